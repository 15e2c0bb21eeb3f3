"""The Typer application object and what every command shares (the database option, consoles)."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(
    name="kiemchung",
    help="kiemchung — bàn làm việc kiểm chứng thông tin tiếng Việt (Vietnamese information-integrity workbench).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console()
console_err = Console(stderr=True, soft_wrap=True)  # an error stays one line, whatever the width

DEFAULT_DB = "kiemchung.db"


class State:
    """Options given before the command name."""

    db_path: str = os.environ.get("KIEMCHUNG_DB", DEFAULT_DB)


state = State()


@app.callback()
def _root(
    db: str = typer.Option(
        None,
        "--db",
        envvar="KIEMCHUNG_DB",
        help="Tệp cơ sở dữ liệu SQLite hoặc URL SQLAlchemy (database file or URL). Mặc định: ./kiemchung.db",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Ghi nhật ký chi tiết (verbose logging)."),
) -> None:
    """kiemchung: theo dõi, kiểm chứng, phản hồi, báo cáo (monitor, verify, respond, report)."""
    import logging

    if db:
        state.db_path = db
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def open_db():
    """Open (creating or upgrading) the database the user pointed at."""
    from kiemchung.store import Database

    return Database(Path(state.db_path) if "://" not in state.db_path else state.db_path)


def render_snippet(hit) -> str:
    """A search hit's snippet as rich markup, matched words in reverse video."""
    from rich.markup import escape

    return "".join(f"[reverse]{escape(s)}[/reverse]" if hl else escape(s) for s, hl in hit.snippet)
