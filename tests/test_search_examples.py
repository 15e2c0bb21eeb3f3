"""Every search example of README.md and docs/search.md, checked for the documents it finds.

A small corpus written for these examples holds, for each term and phrase, documents that contain it
and documents that do not; each example's result set is compared with the expected one through the
library, the CLI (``search --json``), the web search page and the API. A new example in the docs fails
:func:`test_every_documented_example_has_an_expected_result` until its expectation is written here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from factories import make_doc, run_cli_in_process
from fastapi.testclient import TestClient

from kiemchung import users as U
from kiemchung.errors import QueryError
from kiemchung.ingest import Ingestor
from kiemchung.store.search import search

ROOT = Path(__file__).resolve().parents[1]

# name: (title, lead, kind)
CORPUS = {
    "may-dat": ("Nước máy phường Đông Hà đạt chuẩn", "Kết quả xét nghiệm cho thấy nước máy đạt chuẩn an toàn.", "official"),
    "may-mui": ("Người dân phản ánh nước máy có mùi lạ", "Nước máy ở xã Tây Sơn đục, chưa có kết quả kiểm tra.", "article"),
    "chanh": ("Nước chanh không chữa được sốt", "Bác sĩ nói uống nước chanh không thay được thuốc.", "article"),
    "chanh-tach": ("Chanh và nước ấm buổi sáng", "Một lát chanh trong cốc nước ấm là thói quen của nhiều người.", "article"),
    "lu": ("Lũ dâng cao trên sông Thu Bồn, Quảng Nam", "Mưa lớn kéo dài gây lũ ở nhiều xã ven sông.", "article"),
    "lut": ("Ngập lụt kéo dài ở Huế", "Nhiều tuyến phố bị lụt sau ba ngày mưa.", "article"),
    "bao-qn": ("Bão số 5 đổ bộ Quảng Nam", "Bão gây gió giật mạnh ở vùng ven biển.", "article"),
    "bao-khac": ("Bão số 6 hướng vào Quảng Ngãi", "Bão mạnh dần khi vào gần bờ.", "article"),
    "sat-lo": ("Sạt lở đất ở xã miền núi", "Sạt lở vùi lấp hai ngôi nhà, chính quyền di dời dân.", "article"),
    "sat-lo-gia": ("Cảnh báo tin giả về sạt lở đập thủy điện", "Mạng xã hội lan truyền tin giả rằng đập bị sạt lở.", "official"),
    "hoa": ("Hòa giải thành ở thôn Đông", "Tổ hòa giải giúp hai gia đình thỏa thuận.", "article"),
    "hoa-chat": ("Hóa chất trong thực phẩm bẩn", "Cơ quan chức năng thu giữ hóa chất tẩy trắng.", "article"),
    "post": ("", "mn ơi ko dc uống nước lã nha", "post"),
}

# Each documented query and the documents it must find (and so every other one it must not).
EXPECTED: dict[str, set[str]] = {
    # README.md, quick tour
    "nuoc may": {"may-dat", "may-mui"},
    '"nước máy" -"đạt chuẩn"': {"may-mui"},
    # README.md "Search syntax" and docs/search.md "Query language"
    "nuoc chanh": {"chanh", "chanh-tach"},
    "nước chanh": {"chanh", "chanh-tach"},
    '"nước chanh"': {"chanh"},
    "lũ OR lụt": {"lu", "lut"},
    "lũ | lụt": {"lu", "lut"},
    "lũ HOẶC lụt": {"lu", "lut"},
    'sạt lở -"tin giả"': {"sat-lo"},
    'sạt lở NOT "tin giả"': {"sat-lo"},
    '(bão OR lũ) AND "Quảng Nam"': {"lu", "bao-qn"},
    '(bão OR lũ) VÀ "Quảng Nam"': {"lu", "bao-qn"},
    "hoà": {"hoa"},
    "hòa": {"hoa"},
    "hóa": {"hoa-chat"},
    "ko": {"chanh", "post"},
    "dc": {"chanh", "post"},
    "k": {"chanh", "post"},
    "ko OR không": {"chanh", "post"},
    # The forms the issue names, beyond the docs: a minus before a word, a group, NOT before a group.
    "nuoc may -mui": {"may-dat"},
    '"nước máy" -"có mùi"': {"may-dat"},
    "bão -(Quảng Nam)": {"bao-khac"},
    "nước NOT (chanh OR máy)": {"post"},
    '"sạt lở" -"tin giả" OR lụt': {"sat-lo", "lut"},
    '-"tin giả" sạt lở': {"sat-lo"},
}

# Backticked text in the query sections that is not a query to run.
NOT_QUERIES = {"VÀ", "NOT", "-", "--", "tests/test_search_examples.py", "accented = False", "NEAR", "*", "^", "QueryError", "--sort relevance"}

ONLY_NEGATIVE = ["-lũ", '-"tin giả"', "NOT lũ", "-(bão OR lũ)", "lũ OR -lụt"]


def documented_examples() -> set[str]:
    """Queries shown in README.md (quick tour and "Search syntax") and docs/search.md ("Query language")."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = set()
    for quoted in re.findall(r"kiemchung .*? search (\"[^\"]*\"|'[^']*')", readme):
        found.add(quoted[1:-1])
    section = readme.split("## Search syntax", 1)[1].split("\n## ", 1)[0]
    docs = (ROOT / "docs" / "search.md").read_text(encoding="utf-8")
    section += docs.split("## Query language", 1)[1].split("\n## ", 1)[0]
    for example in re.findall(r"`([^`]+)`", section):
        if example.startswith("kiemchung "):  # a command line: its query is the quoted argument
            example = re.search(r"search (?:-- )?(\"[^\"]*\"|'[^']*')", example)[1][1:-1]
        found.add(example.replace("\\|", "|"))
    # A row's trailing keyword (`VÀ`) stands for the example before it with AND spelt that way.
    return {e for e in found if e not in NOT_QUERIES}


def test_every_documented_example_has_an_expected_result():
    examples = documented_examples()
    assert '"nước máy" -"đạt chuẩn"' in examples and 'sạt lở -"tin giả"' in examples  # the extraction works
    missing = sorted(examples - EXPECTED.keys() - set(ONLY_NEGATIVE))
    assert not missing, f"documented search examples without an expected result here: {missing}"


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def corpus_db(request, tmp_path_factory):
    """The corpus in a store on each backend (the PostgreSQL half skips without a server)."""
    from kiemchung.store import Database

    server = name = None
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("search-examples") / "kc.db"
    else:
        server = request.getfixturevalue("pg_server")
        name = server.create_database(template=request.getfixturevalue("_pg_migrated_template"))
        path = server.url(name)
    db = Database(path)
    docs = []
    for day, (name, (title, lead, kind)) in enumerate(CORPUS.items(), start=1):
        extra = {"external_id": name, "platform": "facebook"} if kind == "post" else {}
        docs.append(make_doc(title, lead, url=None if kind == "post" else f"https://vidu.vn/{name}.html",
                             day=day, kind=kind, **extra))
    Ingestor(db).add(docs)
    U.add_user(db, "xem", "matkhau-manh-123", "viewer")
    ids = {}
    for name, (title, lead, _) in CORPUS.items():
        hit = [d for d in db.iter_documents() if d.title == title and d.lead == lead]
        assert len(hit) == 1, name
        ids[hit[0].id] = name
    yield path, db, ids
    db.close()
    if server is not None:
        server.drop_database(name)


def names(ids: dict[int, str], found) -> set[str]:
    return {ids[int(i)] for i in found}


@pytest.mark.parametrize("query", sorted(EXPECTED))
def test_library_finds_exactly_the_expected_documents(corpus_db, query):
    _, db, ids = corpus_db
    result = search(db, query, limit=100, use_cache=False)
    assert names(ids, (h.document.id for h in result.hits)) == EXPECTED[query]


@pytest.mark.parametrize("query", sorted(EXPECTED))
def test_cli_finds_exactly_the_expected_documents(corpus_db, query, capsys):
    path, _, ids = corpus_db
    capsys.readouterr()
    assert run_cli_in_process(path, "search", "--json", "--", query) == 0
    out = capsys.readouterr().out
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert names(ids, (r["id"] for r in rows)) == EXPECTED[query]


@pytest.fixture(scope="module")
def web(corpus_db):
    from kiemchung.web import create_app

    _, db, _ = corpus_db
    client = TestClient(create_app(db))
    r = client.post("/login", data={"username": "xem", "password": "matkhau-manh-123", "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303
    return client


@pytest.mark.parametrize("query", sorted(EXPECTED))
def test_web_page_and_api_find_exactly_the_expected_documents(corpus_db, web, query):
    _, _, ids = corpus_db
    page = web.get("/search", params={"q": query})
    assert page.status_code == 200
    hits = page.text.split('<ol class="hits">', 1)[1].split("</ol>", 1)[0]
    assert names(ids, re.findall(r'href="/documents/(\d+)"', hits)) == EXPECTED[query]
    api = web.get("/api/v1/search", params={"q": query, "limit": 100})
    assert api.status_code == 200
    assert names(ids, (h["document"]["id"] for h in api.json()["hits"])) == EXPECTED[query]


@pytest.mark.parametrize("query", ONLY_NEGATIVE)
def test_only_exclusions_is_a_clear_error_everywhere(corpus_db, web, query, capsys):
    path, db, _ = corpus_db
    with pytest.raises(QueryError) as err:
        search(db, query, use_cache=False)
    assert "chỉ có phần loại trừ" in str(err.value) or "NOT" in str(err.value)
    capsys.readouterr()
    assert run_cli_in_process(path, "search", "--", query) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "Lỗi" in captured.err
    for url in ("/search", "/api/v1/search"):
        r = web.get(url, params={"q": query})
        assert r.status_code == 400, (url, r.status_code)
        assert "Traceback" not in r.text
