"""The ``kiemchung`` command. Each command opens the database, calls the library, prints the result.

Library errors (:class:`kiemchung.errors.KiemchungError`) become one clear line and exit code 1;
usage errors (unknown command or option, bad value) a usage line, the error in Vietnamese then English,
and exit code 2 (:mod:`kiemchung.cli._usage`). Never a traceback for either.

Start-up time matters (every command, ``--help`` included, pays it): command modules import the heavy
parts of the library (scipy through datasketch, underthesea, trafilatura, feedparser, FastAPI, …) inside
the commands that use them; ``tests/test_cli_usage.py`` checks that importing this package does not.
"""

from __future__ import annotations

import sys

from kiemchung.cli.app import app
from kiemchung.errors import KiemchungError


# The modules that register commands on :data:`app` (helpers such as ``demo`` are imported by the
# command that uses them). tests/test_cli_usage.py checks that every module registering a command is here.
COMMAND_MODULES = ("attention", "claims", "commands", "directory", "evaluate", "evidence", "images", "migrate", "ocr", "reports",
                   "stories", "tips", "trends", "web", "workers")


def load_commands() -> None:
    """Import the command modules: each registers its commands on :data:`app`."""
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}")


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
    except Exception as exc:  # click's errors arrive here in non-standalone mode
        from kiemchung.cli import _usage

        if _usage.is_click_exception(exc):
            sys.exit(_usage.show(exc))
        if _usage.is_abort(exc):
            console_err.print("[yellow]Đã huỷ (aborted).[/]")
            sys.exit(1)
        raise


__all__ = ["app", "main"]
