"""Search gives the same result sets on SQLite (FTS5) and PostgreSQL (tsvector): a table of queries, each
run on both backends over the same documents, with every sort, filters, counts and time buckets.

Also: the PostgreSQL backend's tokens are FTS5's (checked against SQLite's own tokenizer), and lexemes
holding quotes, backslashes, colons and operators survive the tsvector/tsquery literals.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from factories import make_doc

from kiemchung.errors import QueryError
from kiemchung.ingest import Ingestor
from kiemchung.models import Source
from kiemchung.store import Database
from kiemchung.store.backends import FtsFilter, Phrase
from kiemchung.store.backends.postgresql import fts_tokens, quote_lexeme, tsquery_literal, tsvector_literal
from kiemchung.store.search import compile_tree, search
from kiemchung.stories.watchlists import query_counts
from kiemchung.timeutil import VN_TZ

DOCS = [
    # (title, lead, kind, day)
    ("Tỉnh Lam Sơn khai trương cầu Bến Đá", "Cầu Bến Đá dài 1.200 m nối hai huyện Tây Hà và Đông Hà.", "article", 2),
    ("Nước chanh không chữa được sốt xuất huyết", "Uống nước chanh không thay được điều trị, Sở Y tế nói.", "article", 3),
    ("Hòa Bình thôn mới đón nước sạch", "Hơn 300 hộ dân xã Hòa Bình đã có nước sạch.", "article", 4),
    ("Hoà giải thành ở thôn Đông", "Tổ hoà giải giúp hai gia đình thoả thuận.", "article", 5),
    ("Hóa chất trong thực phẩm bẩn", "Cơ quan chức năng thu giữ hóa chất tẩy trắng.", "official", 6),
    ("Giá vàng hôm nay tăng mạnh", "Giá vàng miếng tăng 500.000 đồng mỗi lượng; lãi suất 6,5%.", "article", 7),
    ("", "mn ơi ko uống nước máy nha, nghe nói nước máy Tây Hà nhiễm độc", "post", 8),
    ("", "bn ơi dc nghỉ ko, lũ về rồi đó", "post", 9),
    ("Lũ dâng cao trên sông Thu Bồn, Quảng Nam", "Mưa lớn gây lũ ở nhiều xã ven sông.", "article", 10),
    ("Ngập lụt kéo dài ở Huế", "Nhiều tuyến phố bị lụt sau ba ngày mưa.", "article", 11),
    ("Bão số 5 đổ bộ Quảng Nam", "Bão gây gió giật mạnh ở vùng ven biển.", "article", 12),
    ("Cảnh báo tin giả về sạt lở đập thủy điện", "Mạng xã hội lan truyền tin giả rằng đập bị sạt lở.", "official", 13),
    ("Sạt lở đất ở xã miền núi", "Sạt lở vùi lấp hai ngôi nhà.", "article", 14),
    # A phrase must not run from the title into the body: "miền tây" is in neither alone.
    ("Nông sản miền", "Tây Ninh vào mùa thu hoạch.", "article", 15),
    ("COVID-19: số ca F0 giảm", "Ngày 12/7/2025 có 30% ca nhẹ; ngày 7/2025 khác.", "article", 16),
    ("Tin nhắn 'lừa đảo' và dấu \\ gạch", 'Kẻ gian gửi "quà tặng": nhấn vào link a:b & c|d!', "post", 17),
    ("Chanh", "chanh chanh chanh " * 40 + "muối ớt", "article", 18),
]

QUERIES = [
    "nuoc chanh", "nước chanh", '"nước chanh"', '"chanh nuoc"', "chanh", "hoà", "hòa", "hóa", "Hoà Bình",
    "lũ OR lụt", "lũ | lụt", "lũ HOẶC lụt", 'sạt lở -"tin giả"', 'sạt lở NOT "tin giả"',
    '(bão OR lũ) AND "Quảng Nam"', "nuoc -chanh -may", "nuoc NOT (chanh OR may)", "ko", "dc", "bn", "k",
    '"ko uong"', '"không uống"', "ko chua", '"mien tay"', '"miền tây"', "mien tay", "1.200", "1200",
    "6,5%", "30%", "12/7/2025", "7/2025", "covid-19", "f0", "500.000", '"chanh muoi"', '"chanh muối ớt"',
    "lừa đảo", "'lừa đảo'", "a:b", "c|d", "\\", "'", "it's", "a'b", "x\\y", "a:*", "&", "!", "<->",
    "quà tặng:", "gạch \\ dấu", '"tây hà"', "tay ha", "TÂY HÀ", "Đông", "dong", "đ", "d",
    "(bão OR (lũ AND sông)) -huế", "nhieu xa", "nhiều OR ngày OR mưa", "xyzkhongco", "nam",
]


def _load(db: Database) -> dict[int, str]:
    src = db.add_source(Source(kind="feed", url="https://vidu.vn/rss", name="Báo Ví Dụ"))
    docs = []
    for i, (title, lead, kind, day) in enumerate(DOCS):
        extra = {"external_id": f"p-{i}", "platform": "facebook"} if kind == "post" else {}
        doc = make_doc(title, lead, url=None if kind == "post" else f"https://vidu.vn/{i}.html", day=day,
                       kind=kind, **extra)
        if i % 2 == 0:
            doc.source_id = src.id
        docs.append(doc)
    Ingestor(db).add(docs)
    return {d.id: f"{d.title}|{d.lead}" for d in db.iter_documents()}


@pytest.fixture(scope="module")
def both(request, tmp_path_factory):
    """The same documents in a SQLite store and a PostgreSQL store (skips without a server)."""
    server = request.getfixturevalue("pg_server")
    name = server.create_database(template=request.getfixturevalue("_pg_migrated_template"))
    lite = Database(tmp_path_factory.mktemp("both") / "kc.db")
    pg = Database(server.url(name))
    keys = (_load(lite), _load(pg))
    yield lite, pg, keys
    lite.close()
    pg.close()
    server.drop_database(name)


def _found(db, keys, query, **kw):
    try:
        result = search(db, query, limit=500, use_cache=False, count=True, **kw)
    except QueryError as exc:
        return ("error", str(exc).split(":")[0])
    return (result.accented, result.total, sorted(keys[h.document.id] for h in result.hits))


@pytest.mark.parametrize("query", QUERIES)
def test_same_result_sets_on_both_backends(both, query):
    lite, pg, (lk, pk) = both
    expected = _found(lite, lk, query)
    assert _found(pg, pk, query) == expected
    for sort in ("newest", "oldest", "relevance"):
        assert _found(pg, pk, query, sort=sort) == _found(lite, lk, query, sort=sort)


def test_order_pages_filters_and_counts_agree(both):
    lite, pg, (lk, pk) = both
    since = dt.datetime(2026, 3, 5, tzinfo=VN_TZ)
    until = dt.datetime(2026, 3, 14, tzinfo=VN_TZ)
    src = {db: db.list_sources(kind="feed")[0].id for db in (lite, pg)}
    for query in ("nuoc", "nước", "lũ OR lụt OR bão OR sạt", "ko"):
        for sort in ("newest", "oldest"):
            pages = []
            for db, keys in ((lite, lk), (pg, pk)):
                pages.append([
                    [keys[h.document.id] for h in search(db, query, sort=sort, limit=2, offset=o, use_cache=False).hits]
                    for o in (0, 2, 4)
                ])
            assert pages[0] == pages[1], (query, sort)  # time order is the same order on both
        for kw in ({"since": since}, {"until": until}, {"since": since, "until": until}, {"kinds": ["post"]},
                   {"kinds": ["official", "article"]}):
            assert _found(pg, pk, query, **kw) == _found(lite, lk, query, **kw), (query, kw)
        assert _found(pg, pk, query, sources=[src[pg]]) == _found(lite, lk, query, sources=[src[lite]])


@pytest.mark.parametrize("window_days", [0, 4, 9])
def test_newest_first_across_the_recent_window(both, monkeypatch, window_days):
    """PostgreSQL finds newest-first pages in two steps (the matches of a recent window, then older ones
    through the index): with the window's edge inside the documents' days (and with no window at all),
    pages, filters and the relevance window give what SQLite gives."""
    from kiemchung.store.backends import postgresql

    monkeypatch.setattr(postgresql, "RECENT_WINDOW_S", window_days * 86400)
    monkeypatch.setattr(postgresql, "TWO_STEP_MAX_ROWS", 4)  # offsets 3 and 5 below: both forms
    lite, pg, (lk, pk) = both
    since = dt.datetime(2026, 3, 5, tzinfo=VN_TZ)
    for query in ("nuoc", "nước", "lũ OR lụt OR bão OR sạt", "ko", '"nước chanh"', "chanh"):
        pages = []
        for db, keys in ((lite, lk), (pg, pk)):
            pages.append([
                [keys[h.document.id] for h in search(db, query, limit=2, offset=o, use_cache=False).hits]
                for o in (0, 1, 2, 3, 5)
            ])
        assert pages[0] == pages[1], (query, window_days)
        for sort in ("newest", "relevance"):  # relevance: the same documents (ts_rank orders them its way)
            for kw in ({"since": since}, {"kinds": ["post", "article"]}):
                assert _found(pg, pk, query, sort=sort, **kw) == _found(lite, lk, query, sort=sort, **kw)
    monkeypatch.setattr("kiemchung.store.search.RELEVANCE_WINDOW", 3)
    for query in ("nuoc", "lũ OR lụt OR bão OR sạt"):
        assert _found(pg, pk, query, sort="relevance") == _found(lite, lk, query, sort="relevance")


def test_relevance_weights_titles(both):
    _, pg, (_, pk) = both
    # "chanh" fills the body of one document and is the title of another; the title one ranks first
    # over documents where it only appears in the body.
    hits = search(pg, "sốt", sort="relevance", use_cache=False).hits
    assert hits and all(h.score is not None for h in hits)
    top = search(pg, "chanh", sort="relevance", use_cache=False).hits
    assert pk[top[0].document.id].startswith("Chanh|") or pk[top[0].document.id].startswith("Nước chanh")
    assert [h.score for h in top] == sorted((h.score for h in top), reverse=True)


def test_snippets_are_the_same(both):
    lite, pg, (lk, pk) = both
    for query in ("nuoc may", '"nước chanh"', "ko"):
        a = {lk[h.document.id]: h.snippet for h in search(lite, query, use_cache=False).hits}
        b = {pk[h.document.id]: h.snippet for h in search(pg, query, use_cache=False).hits}
        assert a == b and any(hl for segs in a.values() for _, hl in segs)


def test_time_buckets_agree(both):
    lite, pg, _ = both
    since = dt.datetime(2026, 3, 1, tzinfo=VN_TZ)
    until = dt.datetime(2026, 3, 20, tzinfo=VN_TZ)
    for query in ("nuoc", "lũ OR lụt", "sạt lở -đập"):
        for bucket in ("day", "hour"):
            a = query_counts(lite, query, since, until, bucket)
            assert a == query_counts(pg, query, since, until, bucket)
        assert sum(a.values()) > 0
    compiled = compile_tree("nuoc", accented=False)
    where = FtsFilter(lo=0, hi=1 << 62)
    with lite.read() as c1, pg.read() as c2:
        now = int(until.timestamp())
        assert lite.backend.fts_buckets(c1, compiled, where, size=86400, origin=now, backwards=True) == \
            pg.backend.fts_buckets(c2, compiled, where, size=86400, origin=now, backwards=True)


# ---------------------------------------------------------------------------------------------
# Tokens and literals (no server needed)

TOKEN_SAMPLES = [
    "Hòa bình 1.000 30% COVID-19 ko_biết", "Đường Đá, ĐỒNG THÁP — «tin» (giả)!", "x\u200by", "a\u00adb",
    "số 12/7/2025 và 6,5% lãi", "ǅ ǈ Ǳ", "ΣΊΣΥΦΟΣ", "京都 東京", "١٢٣ ٤", "①② ½", "emoji 😀 ok", "tab\tnew\nline",
    "Thuỷ Thủy thuỷ", "quote's \"dbl\" back\\slash", "a:b c&d e|f g!h <->",
]


def _fts5_tokens(text: str) -> list[str]:
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE f USING fts5(x, tokenize = 'unicode61 remove_diacritics 0', detail = 'full')")
    con.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, instance)")
    con.execute("INSERT INTO f(rowid, x) VALUES (1, ?)", (text,))
    return [r[0] for r in con.execute("SELECT term FROM v ORDER BY offset")]


@pytest.mark.parametrize("text", TOKEN_SAMPLES)
def test_postgres_tokens_are_fts5_tokens(text):
    from kiemchung import text as T

    for variant in (text, T.normalize(text), T.fold(T.normalize(text))):
        assert fts_tokens(variant) == _fts5_tokens(variant)


def test_literals_escape_quotes_backslashes_and_operators():
    assert quote_lexeme("it's") == "'it''s'"
    assert quote_lexeme("a\\b") == "'a\\\\b'"
    assert quote_lexeme("a:b") == "'a:b'"
    vec = tsvector_literal("Tiêu đề", "thân bài tiêu")
    # Title and body positions never touch (2 then 4): a phrase cannot span them.
    assert vec == "'tiêu':1A,6 'đề':2A 'thân':4 'bài':5"
    assert tsquery_literal(compile_tree('"nước chanh" -muối OR x', accented=False)) is not None
    from kiemchung.store.backends import FtsQuery

    odd = FtsQuery(Phrase(("it's", "a\\b", "c:d")), frozenset(), False)
    assert tsquery_literal(odd) == "('it' <-> 's' <-> 'a' <-> 'b' <-> 'c' <-> 'd')"


def test_hostile_lexemes_round_trip_through_postgres(pg_url):
    """Lexemes with quotes, backslashes, colons and operator characters are matched literally."""
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            for lexeme in ("it's", "a\\b", "c:d", "e&f", "g|h", "!i", "<->", "j:*", "''", "\\'", "k l"):
                vec = f"{quote_lexeme(lexeme)}:1A {quote_lexeme('other')}:3"
                got = conn.execute(text("SELECT CAST(:v AS tsvector) @@ CAST(:q AS tsquery)"),
                                   {"v": vec, "q": quote_lexeme(lexeme)}).scalar()
                assert got is True, lexeme
                miss = conn.execute(text("SELECT CAST(:v AS tsvector) @@ CAST(:q AS tsquery)"),
                                    {"v": vec, "q": quote_lexeme(lexeme + "x")}).scalar()
                assert miss is False, lexeme
    finally:
        engine.dispose()
