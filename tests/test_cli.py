"""The command line: every command documented, errors as one clear line, the main commands working."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from kiemchung.cli import app, load_commands, main

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kiemchung.cli", *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def command_names() -> set[str]:
    load_commands()
    group = typer.main.get_command(app)
    names = set()
    for name, cmd in group.commands.items():
        names.add(name)
        for sub in getattr(cmd, "commands", {}) or {}:
            names.add(f"{name} {sub}")
    return names


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^|]*)\|", readme, re.M)

    def documented(name: str) -> bool:
        top, *sub = name.split(" ")
        for row in rows:
            if re.match(rf"{re.escape(top)}\b", row) and all(re.search(rf"\b{re.escape(w)}\b", row) for w in sub):
                return True
        return False

    missing = sorted(n for n in command_names() if not documented(n))
    assert not missing, f"commands missing from README.md's command table: {missing}"


def test_errors_are_one_line_and_exit_non_zero(tmp_path):
    db = str(tmp_path / "kc.db")
    res = run(["--db", db, "show", "12345"])
    assert res.returncode == 1
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Lỗi" in lines[0] and "12345" in lines[0]
    res = run(["--db", db, "sources", "add", "ftp://x"])
    assert res.returncode == 1 and "URL" in res.stderr
    res = run(["--db", db, "import", str(tmp_path / "khong-co.jsonl")])
    assert res.returncode == 1 and "khong-co.jsonl" in res.stderr
    res = run(["--db", db, "search", "-chanh"])  # an unknown option (-c): a usage error
    assert res.returncode == 2 and "Traceback" not in res.stderr
    res = run(["--db", db, "search", "--", "-chanh"])  # a query of exclusions only: a library error
    assert res.returncode == 1 and "Traceback" not in res.stderr
    res = run(["--db", db, "export", "-o", str(tmp_path / "khong-co-thu-muc" / "x.csv")])
    assert res.returncode == 1 and "Traceback" not in res.stderr and "x.csv" in res.stderr


def test_main_raises_system_exit_with_code(tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["--db", str(tmp_path / "x.db"), "show", "1"])
    assert exc.value.code == 1


def test_import_search_show_export_round_trip(tmp_path):
    db = str(tmp_path / "kc.db")
    export = tmp_path / "posts.jsonl"
    export.write_text(
        "\n".join(
            [
                json.dumps({"id": "1", "message": "Cầu Giang Khẩu 2 đã thông xe, người dân rất phấn khởi", "created_time": "2026-03-01T08:00:00+07:00"}, ensure_ascii=False),
                "{hỏng",
                json.dumps({"id": "2", "message": "mn ơi đường vào xã Ngọc Sơn đang sửa, đi vòng nha", "created_time": "2026-03-02T09:00:00+07:00"}, ensure_ascii=False),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    res = run(["--db", db, "import", str(export), "--platform", "facebook"])
    assert res.returncode == 0, res.stderr
    assert "2 mới" in res.stdout and "1 dòng lỗi" in res.stdout
    assert "Dòng 2" in res.stderr
    res = run(["--db", db, "search", "cau giang khau", "--json"])
    hits = [json.loads(line) for line in res.stdout.splitlines()]
    assert [h["platform"] for h in hits] == ["facebook"]
    res = run(["--db", db, "show", str(hits[0]["id"])])
    assert "Giang Khẩu" in res.stdout
    out = tmp_path / "out.csv"
    res = run(["--db", db, "export", "--format", "csv", "-o", str(out)])
    assert res.returncode == 0
    assert out.read_text(encoding="utf-8").count("\n") == 3  # header + 2 rows
    res = run(["--db", db, "stats"])
    assert "Tài liệu: 2" in res.stdout


def test_settings_turn_author_hashing_off(tmp_path):
    db = str(tmp_path / "kc.db")
    assert run(["--db", db, "settings", "set", "hash_authors", "0"]).returncode == 0
    assert "hash_authors = 0" in run(["--db", db, "settings", "get", "hash_authors"]).stdout
    assert run(["--db", db, "settings", "set", "hash_authors", "maybe"]).returncode == 1


def test_settings_set_accepts_installation_settings(tmp_path):
    db = str(tmp_path / "kc.db")
    res = run(["--db", db, "settings", "set", "match_threshold_lexical", "0.5"])
    assert res.returncode == 0, res.stderr
    assert "match_threshold_lexical = 0.5" in run(["--db", db, "settings", "get", "match_threshold_lexical"]).stdout
    bad = run(["--db", db, "settings", "set", "match_threshold_lexical", "2"])
    assert bad.returncode == 1
    assert "match_threshold_lexical = 0.5" in run(["--db", db, "settings", "get", "match_threshold_lexical"]).stdout
    assert run(["--db", db, "settings", "set", "no_such_setting", "1"]).returncode == 1
