"""Feed parsing: fetched from the real hostile local server, then parsed into Documents."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from hostile_server import HUGE_FEED_ENTRIES, HostileServer, fixture, huge_feed, rss, to_cp1258

from kiemchung.errors import ParseError
from kiemchung.models import Document
from kiemchung.sources.feeds import discover_feeds, html_to_text, parse_feed
from kiemchung.sources.http import Fetcher, FetchSettings

UTC = dt.UTC


@pytest.fixture(scope="module")
def srv():
    with HostileServer() as server:
        yield server


@pytest.fixture(scope="module")
def fetcher():
    with Fetcher(FetchSettings(min_interval_s=0.0, retries=0, total_timeout_s=20)) as f:
        yield f


def fetch_and_parse(fetcher: Fetcher, srv: HostileServer, path: str, **kw) -> list[Document]:
    result = fetcher.get(srv.url(path))
    return parse_feed(result.content, url=result.url, headers=result.headers, **kw)


# -- good feeds -----------------------------------------------------------------------------------------


def test_good_rss(srv, fetcher):
    docs = fetch_and_parse(fetcher, srv, "/rss.xml")
    assert [d.external_id for d in docs] == ["baothu-1001", "baothu-1002", "baothu-1003"]  # duplicate dropped
    first = docs[0]
    assert first.kind == "article"
    assert first.url == "https://baothu.example.vn/thoi-su/cau-treo-nam-luong-1001.html"
    assert first.title == "Tỉnh Hòa Bình Mới khánh thành cầu treo qua suối Nậm Lương"
    # HTML stripped, &nbsp; decoded, no image, plain text
    assert first.lead.startswith("Sáng nay, cây cầu treo dài 120 m đã được đưa vào sử dụng, giúp")
    assert "<" not in first.lead and "&nbsp;" not in first.lead
    # full content carried by content:encoded becomes the body, scripts dropped, paragraphs kept
    assert "\n\n" in first.body and "Trần Văn Mẫu" in first.body
    assert "alert" not in first.body
    assert first.published_at == dt.datetime(2024, 3, 5, 1, 30, tzinfo=UTC)
    assert first.published_at.tzinfo is not None
    assert first.meta["feed_title"] == "Báo Thử Nghiệm - Thời sự"
    assert first.meta["author"] == "Nguyễn Văn Thử"
    assert first.language == "vi"
    raw = json.loads(first.raw)
    assert raw["id"] == "baothu-1001" and raw["link"] == first.url


def test_entities_and_quotes(srv, fetcher):
    second = fetch_and_parse(fetcher, srv, "/rss.xml")[1]
    assert second.title == 'Cảnh báo tin giả về việc "phát tiền hỗ trợ" qua tin nhắn'
    assert "đường link lạ & không cung cấp mã OTP" in second.lead  # double-escaped &amp;amp; → &
    assert second.body == ""  # the feed carries only a summary


def test_entry_without_link_kept(srv, fetcher):
    third = fetch_and_parse(fetcher, srv, "/rss.xml")[2]
    assert third.url is None and third.external_id == "baothu-1003"
    assert third.published_at is None
    assert third.title.startswith("Thông báo lịch cắt điện")


def test_good_atom(srv, fetcher):
    docs = fetch_and_parse(fetcher, srv, "/atom.xml")
    assert len(docs) == 2
    a = docs[0]
    assert a.url == "https://congthu.example.vn/y-te/bac-bo-la-oi-2001"
    assert a.external_id == "tag:congthu.example.vn,2024:2001"
    assert a.lead == "Thông tin lan truyền trên mạng xã hội là không có cơ sở khoa học."
    assert a.body.startswith("Sở Y tế khẳng định") and "\n\nNgười dân" in a.body
    assert a.published_at == dt.datetime(2024, 3, 5, 2, 0, tzinfo=UTC)
    assert docs[1].published_at == dt.datetime(2024, 3, 4, 15, 0, tzinfo=UTC)  # only <updated>
    assert a.meta["author"] == "Phòng Truyền thông"


def test_wrong_content_type_still_parses(srv, fetcher):
    result = fetcher.get(srv.url("/text-plain.xml"))
    assert result.headers["content-type"] == "text/plain"
    docs = parse_feed(result.content, url=result.url, headers=result.headers)
    assert len(docs) == 2


def test_conditional_then_parse(srv, fetcher):
    first = fetcher.get(srv.url("/conditional.xml"))
    assert len(parse_feed(first.content, url=first.url)) == 3
    second = fetcher.get(srv.url("/conditional.xml"), etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.content == b""


# -- charsets -------------------------------------------------------------------------------------------


def test_wrong_charset_header(srv, fetcher):
    result = fetcher.get(srv.url("/wrong-charset.xml"))
    assert result.encoding == "iso-8859-1"  # the server lies...
    docs = parse_feed(result.content, url=result.url, headers=result.headers)
    assert (
        docs[0].title == "Tỉnh Hòa Bình Mới khánh thành cầu treo qua suối Nậm Lương"
    )  # ...and we are not fooled


def test_windows_1258_feed(srv, fetcher):
    docs = fetch_and_parse(fetcher, srv, "/cp1258.xml")
    titles = sorted(d.title for d in docs)
    assert titles == [
        "Người dân phản ánh tình trạng ô nhiễm nước ở huyện Thử",
        "Đề xuất mở rộng chợ đầu mối nông sản",
    ]
    assert all(t == __import__("unicodedata").normalize("NFC", t) for t in titles)
    assert docs[0].meta["feed_title"] == "Báo cũ dùng mã windows-1258"


def test_windows_1258_without_any_declaration():
    text = rss([("x", "Bầu cử hội đồng nhân dân xã", "https://a.example.vn/x")]).decode()
    body = to_cp1258(text.replace(' encoding="utf-8"', ""))
    docs = parse_feed(body, url="https://a.example.vn/rss", headers={"Content-Type": "application/rss+xml"})
    assert docs[0].title == "Bầu cử hội đồng nhân dân xã"


def test_invalid_utf8(srv, fetcher):
    docs = fetch_and_parse(fetcher, srv, "/invalid-utf8.xml")
    assert len(docs) == 3
    assert "\ufffd" in docs[0].lead  # the broken bytes, and only they, are replaced
    assert "cây cầu treo dài 120 m" in docs[0].lead
    assert docs[1].title.startswith("Cảnh báo tin giả")  # the rest is not turned into latin-1 mojibake


def test_legacy_mojibake_feed_repaired(srv, fetcher):
    # Real repair by kiemchung.text.repair_mojibake (VNI font text, double-encoded UTF-8).
    docs = fetch_and_parse(fetcher, srv, "/vni.xml")
    by_id = {d.external_id: d for d in docs}
    assert by_id["cu-0"].title == "Việt Nam đã đạt được nhiều thành tựu"
    assert by_id["cu-0"].lead == "Việt Nam đã đạt được nhiều thành tựu."
    assert by_id["cu-0"].meta["mojibake_repaired"] == "vni"
    assert by_id["cu-1"].title == "Tỉnh Thử tổ chức hội nghị"
    assert by_id["cu-1"].meta["mojibake_repaired"] == "utf-8"


def test_mojibake_repair_is_called(monkeypatch):
    # repair_mojibake belongs to the text core; here we only check that titles and summaries go through it.
    import kiemchung.sources.feeds as feeds

    seen: list[str] = []

    def spy(text: str):
        seen.append(text)
        return text.replace("Vieät", "Việt"), ("vni" if "Vieät" in text else None)

    monkeypatch.setattr(feeds, "repair_mojibake", spy)
    body = rss([("v", "Tin Vieät Nam", "https://a.example.vn/v")])
    doc = parse_feed(body, url="https://a.example.vn/rss")[0]
    assert doc.title == "Tin Việt Nam" and doc.meta["mojibake_repaired"] == "vni"
    assert any("Tóm tắt" in s for s in seen)


# -- broken and hostile feeds ---------------------------------------------------------------------------


def test_broken_xml_keeps_recovered_entries(srv, fetcher):
    docs = fetch_and_parse(fetcher, srv, "/broken.xml")
    assert [d.url for d in docs][:1] == ["https://baohong.example.vn/1"]
    assert docs[0].title == "Bài viết còn nguyên vẹn số một"
    assert len(docs) >= 2


def test_html_served_as_feed(srv, fetcher):
    result = fetcher.get(srv.url("/html-as-feed.xml"))
    assert result.headers["content-type"].startswith("application/rss+xml")
    with pytest.raises(ParseError) as err:
        parse_feed(result.content, url=result.url, headers=result.headers)
    assert err.value.reason == "not_a_feed" and not err.value.soft
    assert "(not_a_feed)" in str(err.value)
    # the error tells the user where the real feeds are
    assert err.value.feeds == [srv.url("/rss/thoi-su.rss"), "https://baothu.example.vn/atom.xml"]


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"   \n",
        b"khong phai xml",
        b"\x00\x01\x02\xff" * 50,
        b"<rss><channel><title>Cut",
        b'{"items": []}',
    ],
)
def test_nothing_parses(payload):
    with pytest.raises(ParseError) as err:
        parse_feed(payload, url="https://a.example.vn/rss")
    assert err.value.reason == "not_a_feed"


def test_valid_empty_feed():
    assert parse_feed(rss([]), url="https://a.example.vn/rss") == []


def test_changing_ids_keep_stable_urls(srv, fetcher):
    first = fetch_and_parse(fetcher, srv, "/changing-ids.xml")
    second = fetch_and_parse(fetcher, srv, "/changing-ids.xml")
    assert {d.external_id for d in first}.isdisjoint({d.external_id for d in second})
    assert [d.url for d in first] == [d.url for d in second]  # consumers dedupe on the URL


def test_duplicates_by_link_when_ids_missing():
    item = "<item><title>Tin A</title><link>https://a.example.vn/a</link></item>"
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{item * 3}</channel></rss>'
    assert len(parse_feed(body.encode(), url="https://a.example.vn/rss")) == 1


@pytest.mark.timeout(120)  # a hang guard; benchmarks/bench_feeds.py measures the speed
def test_huge_feed_capped_newest_first(srv, fetcher):
    docs = fetch_and_parse(fetcher, srv, "/huge-feed.xml", max_entries=300)
    assert len(docs) == 300
    # the fixture lists oldest first; we keep the newest ones
    assert docs[0].title == f"Tin số {HUGE_FEED_ENTRIES - 1}"
    assert docs[-1].title == f"Tin số {HUGE_FEED_ENTRIES - 300}"
    assert all(a.published_at >= b.published_at for a, b in itertools.pairwise(docs))


def test_huge_feed_default_cap():
    docs = parse_feed(huge_feed(), url="https://lon.example.vn/rss")
    assert len(docs) == 5000
    assert docs[0].title == f"Tin số {HUGE_FEED_ENTRIES - 1}"


def test_cap_without_dates_keeps_document_order():
    items = "".join(
        f"<item><title>Bài {i}</title><link>https://a.example.vn/{i}</link></item>" for i in range(50)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    docs = parse_feed(body.encode(), url="https://a.example.vn/rss", max_entries=10)
    assert [d.title for d in docs] == [f"Bài {i}" for i in range(10)]


def test_plain_guid_kept_as_written():
    # RSS guids are permalinks by default; a bare token must not be turned into a URL.
    item = "<item><title>Tin C</title><link>https://c.example.vn/c</link><guid>c-42</guid></item>"
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{item}</channel></rss>'
    doc = parse_feed(body.encode(), url="https://c.example.vn/rss/")[0]
    assert doc.external_id == "c-42" and doc.url == "https://c.example.vn/c"


def test_relative_links_resolved():
    item = "<item><title>Tin B</title><link>/tin/b.html</link></item>"
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{item}</channel></rss>'
    doc = parse_feed(body.encode(), url="https://b.example.vn/rss/home.rss")[0]
    assert doc.url == "https://b.example.vn/tin/b.html"


# -- helpers --------------------------------------------------------------------------------------------


def test_html_to_text():
    assert (
        html_to_text("<p>Một &amp; hai</p><p>Ba&nbsp;bốn<br>năm</p><script>x()</script>")
        == "Một & hai\n\nBa bốn\n\nnăm"
    )
    assert html_to_text("Không có thẻ &lt;b&gt;") == "Không có thẻ <b>"
    assert html_to_text("") == ""
    assert html_to_text("<div><div><b>Đậm</b> <i>nghiêng</i></div></div>") == "Đậm nghiêng"


def test_discover_feeds():
    found = discover_feeds(fixture("html_as_feed.html"), "https://baothu.example.vn/trang/")
    assert found == ["https://baothu.example.vn/rss/thoi-su.rss", "https://baothu.example.vn/atom.xml"]
    with_base = b'<html><head><base href="https://cdn.example.vn/"><link rel="alternate" type="application/atom+xml" href="a.xml"></head></html>'
    assert discover_feeds(with_base, "https://x.example.vn/") == ["https://cdn.example.vn/a.xml"]
    assert discover_feeds("<html><body>Không có</body></html>".encode(), "https://x.example.vn/") == []
    assert discover_feeds(b"", "https://x.example.vn/") == []
