"""Property tests (hypothesis): the query parser/compiler/search, canonical_url, import row parsing.

The contract under test: arbitrary input gives a result or a documented kiemchung error, never a crash.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kiemchung.dedupe import canonical_url
from kiemchung.errors import QueryError
from kiemchung.ingest import Ingestor
from kiemchung.models import Document
from kiemchung.sources.feeds import html_to_text
from kiemchung.sources.imports import parse_count, parse_import_time
from kiemchung.store import Database
from kiemchung.store.search import compile_query, parse_query, search

QUERY_ALPHABET = st.sampled_from(list('lũquétgiáxăngLAMGiang " ()*-:+|&^~ANDORNOT \\\'\t\n\x00đĐơư1234567890.,') + ["\u0301", "\ufffe", "😀"])
queries = st.one_of(st.text(max_size=80), st.text(QUERY_ALPHABET, max_size=60))


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    db = Database(tmp_path_factory.mktemp("q") / "q.sqlite")
    texts = ["Lũ quét ở Lam Giang", "Giá xăng tăng mạnh", "Tin đồn sai về vắc-xin", "Cầu Bến Lức sập?"]
    Ingestor(db).add(
        Document(kind="article", title=t, body=t + " — nội dung thử.", url=f"https://a.example.vn/{i}")
        for i, t in enumerate(texts)
    )
    return db


@settings(max_examples=300, deadline=None)
@given(queries)
@example("lũ NOT NOT")  # atheris regression: tests/fuzz/regressions/query-not-not-at-end
@example("NOT (")
def test_parse_and_compile_never_crash(q):
    try:
        parse_query(q)
        fts, terms, _ = compile_query(q)
        compile_query(q, accented=False)
    except QueryError:
        return
    assert fts is None or isinstance(fts, str)
    assert isinstance(terms, set)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(queries, st.sampled_from(["newest", "oldest", "relevance"]), st.integers(-5, 1000), st.integers(0, 10))
def test_search_returns_results_or_query_error(small_db, q, sort, limit, offset):
    try:
        res = search(small_db, q, limit=limit, offset=offset, sort=sort, count=True)
    except QueryError:
        return
    assert all(h.document.id is not None for h in res.hits)
    assert res.total is None or res.total >= len(res.hits)


def test_search_known_query_finds_document(small_db):
    # Guards the properties above against a search that "never crashes" because it never matches.
    assert search(small_db, "lũ quét").hits and search(small_db, "lu quet").hits


urls = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda scheme, host, path, q: f"{scheme}://{host}/{path}?{q}",
        st.sampled_from(["http", "https", "HTTPS", "ftp", ""]),
        # IPv6 literals and non-numeric/out-of-range ports are known failures: see the xfail test below.
        st.sampled_from(["www.Bao.vn", "m.bao.vn", "amp.bao.vn:443", "bao.vn:80", "xn--bo-yja.vn", "a..b", "thời.vn"]),
        st.text(max_size=20),
        st.text(st.sampled_from(list("utm_source=x&fbclid=1&a=b&%#;")), max_size=30),
    ),
)


@settings(max_examples=400, deadline=None)
@given(urls)
def test_canonical_url_never_raises_and_is_idempotent(u):
    c = canonical_url(u)
    assert c is None or isinstance(c, str)
    if c is not None:
        assert canonical_url(c) == c


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=True), st.none(), st.booleans()))
def test_parse_count_gives_int_none_or_documented_error(v):
    try:
        n = parse_count(v)
    except ValueError as exc:  # documented: a Vietnamese message, turned into an error row
        assert str(exc)
        return
        return
    assert n is None or (isinstance(n, int) and n >= 0)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=30), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.none()))
def test_parse_import_time_is_aware_or_none(v):
    try:
        t = parse_import_time(v)
    except ValueError as exc:  # documented: a Vietnamese message, turned into an error row
        assert str(exc)
        return
        return
    assert t is None or (isinstance(t, dt.datetime) and t.tzinfo is not None)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(min_codepoint=0, max_codepoint=0x30), max_size=40))
def test_html_to_text_survives_control_characters(s):
    # Regression for the atheris crash in tests/fuzz/regressions/feed-control-chars-in-html.
    assert isinstance(html_to_text("<p>" + s + "</p><br>" + s), str)


@pytest.mark.parametrize("u", ["http://a.vn:abc/", "http://a.vn:99999999/", "https://[::1]:8080/x"])
def test_canonical_url_bad_ports_and_ipv6(u):
    c = canonical_url(u)
    assert canonical_url(c) == c


def test_feed_items_with_unparseable_links_are_kept(tmp_path):
    # Regressions: tests/fuzz/regressions/feed-invalid-ipv6-link (urljoin ValueError in parse_feed) and a
    # non-numeric port that made canonical_url raise inside Ingestor.add, losing the whole batch.
    from hostile_server import rss

    from kiemchung.sources.feeds import parse_feed

    items = [("g1", "Bài một", "http://[hỏng/bai-1"), ("g2", "Bài hai", "http://bao.vn:abc/bai-2"), ("g3", "Bài ba", "https://bao.vn/3")]
    docs = parse_feed(rss(items), url="https://bao.vn/rss")
    assert len(docs) == 3
    db = Database(tmp_path / "x.sqlite")
    assert Ingestor(db).add(docs).added == 3
    assert Ingestor(db).add(parse_feed(rss(items), url="https://bao.vn/rss")).added == 0
