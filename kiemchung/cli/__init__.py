"""The ``kiemchung`` command. Each command opens the database, calls the library, prints the result.

Library errors (:class:`kiemchung.errors.KiemchungError`) become one clear line and a non-zero exit.
"""

from __future__ import annotations

import sys

from kiemchung.cli.app import app
from kiemchung.errors import KiemchungError


def load_commands() -> None:
    """Import every module of this package: each registers its commands on :data:`app`."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        if info.name not in ("app", "__main__"):
            importlib.import_module(f"{__name__}.{info.name}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    from kiemchung.cli.app import console_err

    load_commands()

    try:
        app(args=argv, standalone_mode=False)
    except KiemchungError as exc:
        console_err.print(f"[bold red]Lỗi:[/] {exc}", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        console_err.print("[yellow]Đã dừng (interrupted).[/]")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click's usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        raise


__all__ = ["app", "main"]
