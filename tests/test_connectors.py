"""The connector registry: one list of source kinds for the collector, the CLI, the web form, the API."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hostile_server import HostileServer

from kiemchung import models
from kiemchung.collect import Collector, polled
from kiemchung.errors import ConfigError, ParseError
from kiemchung.labels import label
from kiemchung.models import Document, Source
from kiemchung.sources.connectors import Batch, Connector, connector_class, kinds, register
from kiemchung.sources.connectors import registry
from kiemchung.sources.http import Fetcher, FetchSettings

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kiemchung.cli", *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


@pytest.fixture
def fetcher():
    f = Fetcher(FetchSettings(min_interval_s=0.0, retries=0, total_timeout_s=5.0, read_timeout_s=2.0))
    yield f
    f.close()


@pytest.fixture
def numbered_kind():
    """A kind registered for one test: each poll returns the items after the cursor's number."""

    @register
    class Numbered(Connector):
        kind = "numbered_test"
        label_vi = "đánh số (thử)"
        label_en = "numbered (test)"

        def fetch(self, cursor):
            start = (cursor or {}).get("n", 0)
            if start >= 4:
                raise ParseError("Trang đã đổi cấu trúc (changed_shape)", reason="changed_shape")
            fetched = self.get()  # through the shared polite client
            docs = [Document(url=f"{self.source.url}/muc-{i}.html", title=f"Mục số {i}", body=fetched.content.decode()[:50])
                    for i in range(start, start + 2)]
            return Batch(docs, cursor={"n": start + 2}, problems=["mục 9: ngày hỏng (broken date)"] if start else [])

    yield Numbered
    registry._registry.pop("numbered_test")


def test_every_kind_is_a_source_kind_with_labels_in_both_languages():
    assert kinds()[:2] == ("feed", "web")
    assert models.SOURCE_KINDS == (*kinds(), *models.NON_POLLED_KINDS)
    for kind in models.SOURCE_KINDS:
        vi, en = label("source_kind", kind, "vi"), label("source_kind", kind, "en")
        assert vi and en and vi != kind, kind
    with pytest.raises(ConfigError, match="unknown source kind"):
        connector_class("gopher")


def test_every_connector_fetches_through_the_shared_polite_client():
    """Robots, per-host rate, conditional GET and the address guard hold for every kind only if no
    connector opens its own connections: none imports an HTTP or socket library."""
    import ast

    folder = ROOT / "kiemchung" / "sources" / "connectors"
    banned = {"httpx", "requests", "urllib3", "urllib.request", "http.client", "socket", "aiohttp", "ssl"}
    for kind in kinds():
        module = connector_class(kind).__module__
        path = folder / (module.rsplit(".", 1)[-1] + ".py")
        assert path.exists(), module
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not [n for n in names if n in banned or n.split(".")[0] in banned - {"urllib"}], (path, names)


def test_a_kind_must_be_a_short_code_with_labels():
    class NoLabel(Connector):
        kind = "nolabel"

    with pytest.raises(ValueError):
        register(NoLabel)
    with pytest.raises(ConfigError):
        connector_class("web").check_url("file:///etc/passwd", local_files=True)
    assert connector_class("feed").check_url(" file:///tmp/a.xml ", local_files=True) == "file:///tmp/a.xml"
    with pytest.raises(ConfigError):
        connector_class("feed").check_url("file:///tmp/a.xml")


def test_a_registered_kind_is_polled_with_its_cursor_and_problems_stored(db, fetcher, numbered_kind):
    with HostileServer() as srv:
        src = db.add_source(Source(kind="numbered_test", url=srv.url("/rss.xml"), name="Số"))
        collector = Collector(db, fetcher=fetcher)
        assert polled(src) and [s.id for s in collector.due()] == [src.id]
        first = collector.poll(src)
        assert first.ok and first.stats.added == 2 and first.problems == []
        src = db.get_source(src.id)
        assert src.cursor == {"n": 2} and src.last_problem is None
        second = collector.poll(src)
        assert second.ok and second.stats.added == 2
        src = db.get_source(src.id)
        assert src.cursor == {"n": 4} and "ngày hỏng" in src.last_problem and src.healthy
        third = collector.poll(src)  # the page changed shape: a clear error, the cursor kept
        assert not third.ok and third.error.reason == "changed_shape"
        src = db.get_source(src.id)
        assert src.cursor == {"n": 4} and src.consecutive_failures == 1 and "changed_shape" in src.last_error
        assert db.count_documents() == 4


def test_manual_site_entries_are_not_polled(db):
    manual = db.add_source(Source(kind="web", url="https://a-lamson.vn", meta={"manual": True}))
    page = db.add_source(Source(kind="web", url="https://a-lamson.vn/bai.html"))
    imported = db.add_source(Source(kind="import", url="file:///x.csv"))
    assert [polled(s) for s in (manual, page, imported)] == [False, True, False]


def test_cli_lists_kinds_one_a_line_and_adds_any_kind(tmp_path):
    db = str(tmp_path / "kc.db")
    res = run(["--db", db, "sources", "kinds"])
    assert res.returncode == 0 and res.stdout.split()[:2] == ["feed", "web"]
    assert set(res.stdout.split()) == set(kinds())
    res = run(["--db", db, "sources", "add", "https://vi-du-lamson.vn/bai.html", "--kind", "web"])
    assert res.returncode == 0, res.stderr
    res = run(["--db", db, "sources", "add", "https://vi-du-lamson.vn/x", "--kind", "gopher"])
    assert res.returncode == 1 and "gopher" in res.stderr and "feed" in res.stderr
    res = run(["--db", db, "sources", "health"])
    assert res.returncode == 0 and "vi-du-lamson" not in res.stderr


def test_docs_table_of_kinds_is_what_sources_kinds_lists(tmp_path):
    """docs/sources.md's table under "The kinds" has one row per registered kind, in the order
    ``kiemchung sources kinds`` prints them (a kind added without its row fails here)."""
    import re

    doc = (ROOT / "docs" / "sources.md").read_text("utf-8")
    section = doc.split("## The kinds", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M)
    res = run(["--db", str(tmp_path / "kc.db"), "sources", "kinds"])
    assert res.returncode == 0, res.stderr
    assert rows == res.stdout.split() == list(kinds())
