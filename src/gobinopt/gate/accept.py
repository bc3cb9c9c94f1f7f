"""Accepted growth on record: ``--accept REASON`` or a ``Binary-Size: <reason>`` trailer.

The trailer is read from the message of the head commit of the repository the gate runs in
(``git log -1 --format=%B``). When the head is a merge commit — what ``actions/checkout``
checks out for a pull request (``refs/pull/N/merge``) — the message of its second parent, the
pull request's own head commit, is read too. As in Chromium's ``Binary-Size:`` footer, the
trailer must be in the message's last paragraph; the key is case-insensitive.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from gobinopt.gate.interface import Acceptance

TRAILER = "Binary-Size"
_LINE = re.compile(rf"^{TRAILER}\s*:\s*(\S.*?)\s*$", re.IGNORECASE)


def trailer_reason(message: str) -> str | None:
    """The reason of a ``Binary-Size:`` trailer in the last paragraph of ``message``."""
    paragraphs = [p for p in re.split(r"\n\s*\n", message.strip()) if p.strip()]
    if not paragraphs:
        return None
    reasons = [m.group(1) for line in paragraphs[-1].splitlines() if (m := _LINE.match(line))]
    return "; ".join(reasons) if reasons else None


def _git(args: list[str], cwd: Path) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        res = subprocess.run(
            [git, *args], cwd=cwd, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.stdout if res.returncode == 0 else None


def commit_acceptance(cwd: Path, rev: str = "HEAD") -> Acceptance | None:
    """The acceptance a ``Binary-Size:`` trailer of commit ``rev`` (or, for a merge commit,
    of its second parent) gives; None outside a git repository or without the trailer."""
    parents = _git(["log", "-1", "--format=%H %P", rev], cwd)
    if not parents:
        return None
    shas = parents.split()
    candidates = [shas[0]] + ([shas[2]] if len(shas) >= 3 else [])
    for sha in candidates:
        message = _git(["log", "-1", "--format=%B", sha], cwd)
        reason = trailer_reason(message or "")
        if reason:
            return Acceptance(reason, f"{TRAILER} trailer of commit {sha[:12]}")
    return None


def find_acceptance(accept: str | None, cwd: Path, rev: str = "HEAD") -> Acceptance | None:
    """``--accept REASON`` when given, else the head commit's trailer, else None."""
    if accept is not None and accept.strip():
        return Acceptance(" ".join(accept.split()), "--accept")
    return commit_acceptance(cwd, rev)
