"""Web page extraction: pages fetched from the real hostile local server, then extracted."""

from __future__ import annotations

import datetime as dt
import tracemalloc

import pytest
from hostile_server import HostileServer, deep_page, fixture, to_cp1258

from kiemchung.errors import ParseError
from kiemchung.models import Document
from kiemchung.sources.feeds import parse_feed
from kiemchung.sources.http import Fetcher, FetchSettings
from kiemchung.sources.web import MAX_HTML_BYTES, extract_page, should_fetch_full_text

ARTICLE_TITLE = "Xã Thử Nghiệm hoàn thành đường giao thông nông thôn"


@pytest.fixture(scope="module")
def srv():
    with HostileServer() as server:
        yield server


@pytest.fixture(scope="module")
def fetcher():
    with Fetcher(FetchSettings(min_interval_s=0.0, retries=0, total_timeout_s=30)) as f:
        yield f


def fetch_page(fetcher: Fetcher, srv: HostileServer, path: str) -> Document:
    result = fetcher.get(srv.url(path))
    return extract_page(result.content, url=result.url, headers=result.headers)


def test_article_fields(srv, fetcher):
    doc = fetch_page(fetcher, srv, "/page.html")
    assert doc.kind == "article"
    assert doc.url == srv.url("/page.html")
    assert doc.title == ARTICLE_TITLE
    assert doc.lead == "Tuyến đường bê tông dài 3 km nối hai thôn đã hoàn thành sau sáu tháng thi công."
    assert doc.body.startswith("Sau sáu tháng thi công")
    assert doc.body.count("\n\n") == 3  # four paragraphs, headline not repeated
    for boilerplate in ("Trang chủ", "Tin liên quan", "Bản quyền", "quảng cáo"):
        assert boilerplate not in doc.body
    assert doc.published_at == dt.datetime(2024, 3, 2, 0, 45, tzinfo=dt.UTC)
    assert doc.meta["author"] == "Lê Thị Mẫu"
    assert doc.meta["site_name"] == "Báo Thử" and doc.source_name == "Báo Thử"
    assert doc.language == "vi"
    assert doc.raw == fixture("article.html")


def test_windows_1258_page_with_meta_charset(srv, fetcher):
    result = fetcher.get(srv.url("/page-cp1258.html"))
    assert result.encoding is None  # no charset in the header: only <meta> tells
    doc = extract_page(result.content, url=result.url, headers=result.headers)
    assert doc.title == ARTICLE_TITLE
    assert doc.meta["encoding"] == "cp1258"
    assert "Phạm Văn Giả, trưởng thôn Đông" in doc.body
    assert doc.raw == result.content  # the original bytes, not the decoded text


def test_wrong_header_charset_does_not_win():
    page = fixture("article.html")
    doc = extract_page(
        page, url="https://a.example.vn/p", headers={"Content-Type": "text/html; charset=iso-8859-1"}
    )
    assert doc.title == ARTICLE_TITLE


def test_date_from_json_ld_and_language_detection():
    page = (
        "<html><head><title>Tin vắn</title>"
        '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2024-05-01T06:00:00+07:00"}</script>'
        "</head><body><article><p>Sáng nay, ủy ban nhân dân tỉnh đã tổ chức buổi họp báo thường kỳ để thông tin về tình hình kinh tế xã hội trong tháng tư và kế hoạch của tháng năm.</p></article></body></html>"
    ).encode()
    doc = extract_page(page, url="https://a.example.vn/tin-van")
    assert doc.published_at == dt.datetime(2024, 4, 30, 23, 0, tzinfo=dt.UTC)
    assert doc.language == "vi"  # no lang attribute: detected from the text


@pytest.mark.parametrize(
    ("payload", "ctype"),
    [
        (b"%PDF-1.7\n...", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\0\0", None),
        (b'{"tin": "khong phai html"}', "application/json"),
        (b"Chi la van ban thuan, khong co the nao.", "text/plain"),
        (b"", "text/html"),
    ],
)
def test_non_html_refused(payload, ctype):
    with pytest.raises(ParseError) as err:
        extract_page(
            payload, url="https://a.example.vn/x", headers={"Content-Type": ctype} if ctype else None
        )
    assert err.value.reason in ("not_html", "empty_page")
    assert not err.value.soft


def test_image_from_server_refused(srv, fetcher):
    result = fetcher.get(srv.url("/image.png"))
    with pytest.raises(ParseError) as err:
        extract_page(result.content, url=result.url, headers=result.headers)
    assert err.value.reason == "not_html" and "PNG" in str(err.value)


def test_feed_is_not_a_page(srv, fetcher):
    result = fetcher.get(srv.url("/rss.xml"))
    with pytest.raises(ParseError) as err:
        extract_page(result.content, url=result.url, headers=result.headers)
    assert err.value.reason == "not_html" and "RSS" in str(err.value)


def test_page_without_content():
    with pytest.raises(ParseError) as err:
        extract_page(b"<html><head></head><body><div></div></body></html>", url="https://a.example.vn/rong")
    assert err.value.reason == "empty_page"


@pytest.mark.timeout(120)  # a hang guard, not a speed test
def test_script_flood_from_server(srv, fetcher):
    result = fetcher.get(srv.url("/page-script-flood.html"))
    assert len(result.content) > MAX_HTML_BYTES  # larger than the parse cap...
    doc = extract_page(result.content, url=result.url, headers=result.headers)
    assert doc.title == "Tổng kết phòng chống thiên tai"  # trafilatura prefers the headline
    assert "phòng chống thiên tai" in doc.body  # ...but scripts are dropped first, so the article survives
    assert "quangCao" not in doc.body


@pytest.mark.timeout(120)  # a hang guard, not a speed test
def test_deeply_nested_page(srv, fetcher):
    doc = fetch_page(fetcher, srv, "/page-deep.html")
    assert doc.title == "Trang lồng sâu"  # the parser gives up below its depth limit, without blowing up


@pytest.mark.timeout(180)  # a hang guard, not a speed test
def test_50mb_page_is_capped_before_parsing():
    para = "<p>" + "Nội dung trang rất lớn về giao thông nông thôn. " * 40 + "</p>\n"
    page = (
        "<html><head><title>Trang khổng lồ</title></head><body>" + para * 25_000 + "</body></html>"
    ).encode()
    assert len(page) > 50 * 1024 * 1024
    tracemalloc.start()
    try:
        doc = extract_page(page, url="https://a.example.vn/lon")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert doc.meta.get("truncated") is True
    assert doc.title == "Trang khổng lồ"
    assert len(doc.body) <= MAX_HTML_BYTES
    # Python-level allocations stay far below what parsing 50 MB would need (lxml's C heap is not traced).
    assert peak < 400 * 1024 * 1024


def test_deep_page_helper_is_really_deep():
    assert deep_page().count(b"<div>") == 100_000


def test_mojibake_repair_is_called(monkeypatch):
    import kiemchung.sources.web as web

    monkeypatch.setattr(
        web, "repair_mojibake", lambda t: (t.replace("Thöû", "Thử"), "vni" if "Thöû" in t else None)
    )
    page = fixture("article.html").replace("Xã Thử Nghiệm".encode(), "Xã Thöû Nghiệm".encode())
    doc = extract_page(page, url="https://a.example.vn/p")
    assert doc.title == ARTICLE_TITLE and doc.meta["mojibake_repaired"] == "vni"


def test_windows_1258_bytes_without_any_declaration():
    html = fixture("article.html").decode().replace('<meta charset="utf-8">', "")
    doc = extract_page(to_cp1258(html), url="https://a.example.vn/p", headers={"Content-Type": "text/html"})
    assert doc.title == ARTICLE_TITLE


# -- should_fetch_full_text -----------------------------------------------------------------------------


def test_should_fetch_full_text_for_feed_items(srv, fetcher):
    result = fetcher.get(srv.url("/rss.xml"))
    docs = parse_feed(result.content, url=result.url)
    by_id = {d.external_id: d for d in docs}
    assert should_fetch_full_text(by_id["baothu-1002"])  # a one-line summary, has a link
    assert not should_fetch_full_text(by_id["baothu-1003"])  # no link to fetch
    assert not should_fetch_full_text(by_id["baothu-1001"], min_chars=100)  # carries its content


def test_should_fetch_full_text_thresholds():
    long_text = "Nội dung đầy đủ của bài. " * 30
    assert not should_fetch_full_text(Document(url="https://a.example.vn/1", lead=long_text))
    assert not should_fetch_full_text(Document(url="https://a.example.vn/1", body=long_text))
    assert should_fetch_full_text(Document(url="https://a.example.vn/1", lead="Ngắn."))
    assert should_fetch_full_text(Document(url="https://a.example.vn/1", lead=long_text), min_chars=10_000)
    assert not should_fetch_full_text(Document(url="file:///tmp/a.html", lead="Ngắn."))
