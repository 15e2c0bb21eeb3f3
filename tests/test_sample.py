"""Tests of the bundled fictional sample: it parses, has the promised shape, and is reproducible."""

from __future__ import annotations

import datetime as dt
import importlib.util
import itertools
import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlparse

import feedparser
import pytest

from kiemchung.sources.imports import iter_import
from kiemchung.sources.sample import (
    load_manifest,
    sample_dir,
    sample_factchecks,
    sample_gold,
    sample_mapping,
    sample_path,
    sample_sources,
)
from kiemchung.text import fold, syllables
from kiemchung.timeutil import VN_TZ

ROOT = Path(__file__).resolve().parents[1]
START = dt.datetime(2026, 8, 28, tzinfo=VN_TZ)
END = dt.datetime(2026, 11, 21, tzinfo=VN_TZ)


@pytest.fixture(scope="module")
def gold():
    return sample_gold()


@pytest.fixture(scope="module")
def feed_entries():
    """(source, parsed entry) for every feed of the sample, parsed from its file:// URL."""
    out = []
    for src in sample_sources():
        if src.kind != "feed":
            continue
        parsed = feedparser.parse(src.url)
        assert not parsed.bozo, (src.name, parsed.get("bozo_exception"))
        out += [(src, e) for e in parsed.entries]
    return out


@pytest.fixture(scope="module")
def import_rows():
    """(source, ImportRow) for every export of the sample, read with its manifest mapping."""
    out = []
    for src in sample_sources():
        if src.kind == "import":
            rows = iter_import(src.meta["path"], mapping=sample_mapping(src), platform=src.meta["platform"])
            out += [(src, r) for r in rows]
    return out


def test_manifest_and_files():
    base = sample_dir()
    manifest = load_manifest()
    assert manifest["period"] == ["2026-08-28", "2026-11-20"]
    kinds = Counter(s["kind"] for s in manifest["sources"])
    assert kinds["feed"] == 5 and kinds["import"] == 2 and kinds["factchecks"] == 1
    for s in manifest["sources"]:
        assert (base / s["path"]).is_file(), s["path"]
    formats = Counter(s["format"] for s in manifest["sources"] if s["kind"] == "feed")
    assert formats == {"rss": 4, "atom": 1}
    total = sum(f.stat().st_size for f in base.rglob("*") if f.is_file())
    assert total < 1_000_000
    with pytest.raises(Exception, match="ngoài"):
        sample_path("../../errors.py")


def test_sample_sources_shape():
    sources = sample_sources()
    feeds = [s for s in sources if s.kind == "feed"]
    imports = [s for s in sources if s.kind == "import"]
    assert len(feeds) == 5 and len(imports) == 2
    assert all(s.url.startswith("file://") for s in feeds)
    assert {s.meta["doc_kind"] for s in feeds} == {"article", "official"}
    assert all(Path(s.url).is_file() and s.meta["doc_kind"] == "post" for s in imports)


def test_feeds_parse_and_match_gold(feed_entries, gold):
    by_url = {v["url"]: (k, v) for k, v in gold["items"].items() if v["kind"] in ("article", "official")}
    assert len(feed_entries) == len(by_url)
    versions = {src.name: None for src, _ in feed_entries}
    for src, e in feed_entries:
        key, item = by_url[e.link]
        assert e.id.endswith(key)
        assert item["kind"] == src.meta["doc_kind"]
        assert e.title and e.summary and e.content[0].value.startswith("<p>")
        published = dt.datetime(*e.published_parsed[:6], tzinfo=dt.UTC)
        assert START <= published <= END
        versions[src.name] = True
    assert all(versions.values())


def test_exports_parse_with_exact_broken_rows(import_rows, gold):
    for name in ("posts.jsonl", "posts.csv"):
        rows = [r for src, r in import_rows if src.meta["path"].endswith(name)]
        assert [r.line for r in rows if not r.ok] == gold["broken_rows"][name]
        expected = {k: v for k, v in gold["items"].items() if v["file"] == name and not v.get("broken")}
        docs = {r.document.external_id: r for r in rows if r.ok}
        assert set(docs) == set(expected)
        for pid, r in docs.items():
            assert r.line == expected[pid]["line"]
            d = r.document
            assert d.kind == "post" and d.author and d.platform and d.url
            assert START <= d.published_at <= END
            assert set(d.engagement) >= {"likes", "shares", "comments"}
            assert all(isinstance(v, int) and v >= 0 for v in d.engagement.values())


def test_counts_stories_and_claims(gold):
    items = gold["items"]
    assert 300 <= len(items) <= 500
    kinds = Counter(v["kind"] for v in items.values())
    assert kinds["article"] >= 150 and kinds["post"] >= 100 and 10 <= kinds["official"] <= 30
    assert 8 <= len(gold["stories"]) <= 15 and 4 <= len(gold["claims"]) <= 6
    outlets_per_story = defaultdict(set)
    for k, v in items.items():
        if v["kind"] == "article" and v["story"]:
            outlets_per_story[v["story"]].add(k.split("-")[0])
    assert set(outlets_per_story) == set(gold["stories"])
    assert all(len(o) >= 2 for o in outlets_per_story.values())
    background = [v for v in items.values() if v["kind"] == "article" and v["story"] is None]
    assert len(background) >= 50
    for claim in gold["claims"]:
        posts = [v for v in items.values() if v["claim"] == claim and v["kind"] == "post"]
        assert len(posts) >= 8
        assert {"plain", "nodiac", "teencode", "caps"} <= {p["style"] for p in posts}
        assert sum(1 for v in items.values() if v["claim"] == claim and v["kind"] == "official") == 1


def test_post_styles_are_real(import_rows, gold):
    styles = {k: v.get("style") for k, v in gold["items"].items()}
    texts = defaultdict(list)
    for _, r in import_rows:
        if r.ok:
            texts[styles[r.document.external_id]].append(r.document.body)
    assert all(fold(t) == t for t in texts["nodiac"])
    assert all(re.search(r"\b(ko|dc|mn|rùi|wá|bít|mik|nhìu|vs)\b", t) for t in texts["teencode"])
    assert all(t.startswith("KHẨN CẤP") and t == t.upper() for t in texts["caps"])
    assert any(fold(t) != t for t in texts["plain"])


def _jaccard(a: str, b: str) -> float:
    x, y = set(syllables(a)), set(syllables(b))
    return len(x & y) / len(x | y)


def test_paraphrases_differ_and_syndicated_copies_are_near_duplicates(feed_entries, gold):
    by_url = {v["url"]: (k, v) for k, v in gold["items"].items() if "url" in v}
    text = {}
    for _, e in feed_entries:
        key, _ = by_url[e.link]
        text[key] = re.sub(r"<[^>]+>", " ", e.content[0].value)
    items = gold["items"]
    copies = [(k, v["syndicated_from"]) for k, v in items.items() if v["syndicated_from"]]
    assert len(copies) >= 10
    for copy, orig in copies:
        assert items[copy]["story"] == items[orig]["story"]
        assert _jaccard(text[copy], text[orig]) >= 0.6
    # original reports of the same story by different outlets are worded differently
    originals = defaultdict(list)
    for k, v in items.items():
        if v["kind"] == "article" and v["story"] and not v["syndicated_from"]:
            originals[v["story"]].append(k)
    for keys in originals.values():
        for a, b in itertools.combinations(keys, 2):
            assert text[a] != text[b]


def test_factchecks_cite_official_statements(gold):
    checks = sample_factchecks()
    assert 4 <= len(checks) <= 6
    official_by_url = {v["url"]: v for v in gold["items"].values() if v["kind"] == "official"}
    for fc in checks:
        assert fc["verdict"] in {"sai sự thật", "gây hiểu lầm", "chưa có căn cứ", "đúng"}
        assert fc["claim"] and fc["explanation"]
        assert official_by_url[fc["evidence"]]["claim"] == fc["claim_key"]
        assert fc["claim_key"] in gold["claims"]
        assert dt.datetime.fromisoformat(fc["published_at"]).tzinfo is not None


def test_everything_is_fictional(gold):
    hosts = {urlparse(v["url"]).hostname for v in gold["items"].values() if "url" in v}
    assert hosts and all(h.endswith(".example") for h in hosts)
    raw = (sample_dir() / "posts.jsonl").read_text(encoding="utf-8")
    assert "https://" in raw and all(h.endswith(".example") for h in re.findall(r"https://([^/\"]+)", raw))


def test_generator_is_deterministic_and_matches_committed_files(tmp_path):
    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "scripts" / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "sample"
    module.main(out)
    committed = {p.relative_to(sample_dir()): p.read_bytes() for p in sample_dir().rglob("*") if p.is_file()}
    fresh = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert fresh.keys() == committed.keys()
    assert [k for k in fresh if fresh[k] != committed[k]] == []
    assert json.loads(fresh[Path("manifest.json")])["seed"] == module.SEED
