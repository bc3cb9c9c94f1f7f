"""What the pipeline stores of one artifact's analysis: size, sha256, categories, packages and
the explain document (largest functions only)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

#: Version of :func:`analyze_binary`'s figures (categories, packages, the explain document).
#: Bump it when explain's accounting changes: stored variants analysed by an older version
#: are re-analysed from their artifact on the next run, never rebuilt.
ANALYSIS_VERSION = 2

#: Functions of an artifact kept in its stored analysis document (`diff --store` shows them).
STORED_FUNCTIONS = 200


@dataclass(frozen=True, slots=True)
class ArtifactAnalysis:
    """What the runner stores of one artifact's analysis (fields of :class:`VariantRecord`)."""

    size: int
    sha256: str
    categories: tuple[tuple[str, int], ...]
    packages: tuple[tuple[str, int], ...]
    non_go_code: int | None
    packer: str | None
    dynamic: bool | None
    #: The ``explain --json`` document (largest functions only), as JSON text.
    analysis: str


def analyze_binary(path: str) -> ArtifactAnalysis:
    """Size, sha256, section categories, package totals and the explain document of one
    artifact."""
    from gobinopt.explain import explain
    from gobinopt.explain.document import to_document

    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256")
    ex = explain(path, savings=False)
    return ArtifactAnalysis(
        size=ex.layout.file_size,
        sha256=digest.hexdigest(),
        categories=tuple((c.category.value, c.file_size) for c in ex.categories),
        packages=tuple((p.name, p.size) for p in (ex.code.packages if ex.code else ())[:50]),
        non_go_code=ex.code.non_go_code if ex.code else None,
        packer=ex.layout.packer,
        dynamic=ex.layout.dynamic,
        analysis=json.dumps(to_document(ex, top=STORED_FUNCTIONS), sort_keys=True),
    )
