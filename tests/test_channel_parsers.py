"""Parsers of the channel source kinds (YouTube feed and Data API, Telegram preview, ClaimReview pages and
the Fact Check Tools API) on recorded-shape pages written for these tests: pure functions of bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiemchung.claims import claimreview, external
from kiemchung.errors import ConfigError, ParseError
from kiemchung.sources import telegram, youtube

F = Path(__file__).parent / "fixtures" / "channels"


def _read(name: str) -> bytes:
    return (F / name).read_bytes()


# -- YouTube -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("given, feed", [
    ("https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv",
     "https://www.youtube.com/feeds/videos.xml?channel_id=UCabcdefghijklmnopqrstuv"),
    ("youtube.com/channel/UCabcdefghijklmnopqrstuv/videos",
     "https://www.youtube.com/feeds/videos.xml?channel_id=UCabcdefghijklmnopqrstuv"),
    ("UCabcdefghijklmnopqrstuv", "https://www.youtube.com/feeds/videos.xml?channel_id=UCabcdefghijklmnopqrstuv"),
    ("https://www.youtube.com/user/thlamgiang", "https://www.youtube.com/feeds/videos.xml?user=thlamgiang"),
    ("https://www.youtube.com/playlist?list=PL1234567890abc",
     "https://www.youtube.com/feeds/videos.xml?playlist_id=PL1234567890abc"),
    ("https://www.youtube.com/feeds/videos.xml?channel_id=UCabcdefghijklmnopqrstuv",
     "https://www.youtube.com/feeds/videos.xml?channel_id=UCabcdefghijklmnopqrstuv"),
])
def test_youtube_channel_urls_resolve_offline(given, feed):
    assert youtube.feed_url(given) == feed


@pytest.mark.parametrize("given", ["https://www.youtube.com/@thlamgiang", "https://www.youtube.com/c/THLamGiang",
                                   "https://vimeo.com/channel/x", "https://www.youtube.com/feeds/videos.xml?q=1"])
def test_youtube_urls_without_a_channel_id_are_refused_with_a_way_out(given):
    with pytest.raises(ConfigError) as err:
        youtube.feed_url(given)
    assert "YouTube" in str(err.value) or "UC" in str(err.value)


def test_youtube_feed_gives_title_description_and_counts():
    docs = youtube.parse_channel_feed(_read("youtube_channel.xml"), url="https://yt.example/feed")
    assert [d.external_id for d in docs] == ["yt:vid00000001", "yt:vid00000002"]  # the empty video is skipped
    first = docs[0]
    assert first.title.startswith("Thời sự tối 18/11")
    assert first.lead.startswith("Sở Y tế công bố") and first.body.startswith("Người dân không cần tích trữ")
    assert first.url == "https://www.youtube.com/watch?v=vid00000001"
    assert first.platform == "youtube" and first.kind == "post"
    assert first.engagement == {"views": 15402, "ratings": 231}
    assert first.author == "Truyền hình Lam Giang"
    assert docs[1].lead == "" and docs[1].title == "Phòng chống sốt xuất huyết mùa mưa"


@pytest.mark.parametrize("content", [b"", b"<html><body>404</body></html>", b"<feed", b"<rss version='2.0'/>"])
def test_youtube_feed_of_another_shape_is_a_clear_error(content):
    with pytest.raises(ParseError) as err:
        youtube.parse_channel_feed(content, url="https://yt.example/feed")
    assert err.value.reason == "changed_shape" and "YouTube" in str(err.value)


def test_youtube_feed_entities_are_not_expanded():
    bomb = b'<!DOCTYPE x [<!ENTITY a "b">]><feed xmlns="http://www.w3.org/2005/Atom"><title>&a;</title></feed>'
    assert youtube.parse_channel_feed(bomb, url="u") == []


def test_youtube_statistics_and_api_errors():
    assert youtube.parse_statistics(_read("youtube_stats.json")) == {
        "vid00000001": {"views": 15873, "likes": 240, "comments": 37}, "vid00000002": {"views": 1002}}
    with pytest.raises(ParseError) as err:
        youtube.parse_statistics(b'{"error": {"code": 400, "message": "API key not valid."}}')
    assert "API key not valid" in str(err.value)
    with pytest.raises(ParseError):
        youtube.parse_statistics(b"<html>")
    url = youtube.statistics_url(["a", "b"], "KEY", base="http://127.0.0.1:1/v")
    assert "part=statistics" in url and "id=a%2Cb" in url and "comment" not in url.replace("commentCount", "")


# -- Telegram ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("given", ["https://t.me/ubndlamgiang", "https://t.me/s/ubndlamgiang", "@ubndlamgiang",
                                   "t.me/ubndlamgiang/101", "ubndlamgiang"])
def test_telegram_channel_names(given):
    assert telegram.channel_name(given) == "ubndlamgiang"


@pytest.mark.parametrize("given", ["https://t.me/+AbCdEf", "https://t.me/joinchat/AbCd", "https://example.vn/x", "ab"])
def test_telegram_private_or_foreign_addresses_are_refused(given):
    with pytest.raises(ConfigError):
        telegram.channel_name(given)


@pytest.mark.parametrize("text, n", [("856", 856), ("1.2K", 1200), ("2,4K", 2400), ("1.2M", 1_200_000),
                                     ("12 345", None), ("", None), ("abc", None)])
def test_telegram_view_counts(text, n):
    assert telegram.parse_views(text) == n


def test_telegram_preview_messages():
    page = telegram.parse_preview(_read("telegram_page_newest.html"), url="https://t.me/s/ubndlamgiang")
    assert page.channel == "ubndlamgiang" and page.title == "UBND tỉnh Lam Giang" and page.before == 100
    ids = [d.external_id for d in page.messages]
    assert ids == [f"tg:{i}" for i in (100, 101, 102, 103)]
    m101 = page.messages[1]
    assert m101.url == "https://t.me/ubndlamgiang/101" and m101.engagement == {"views": 12300}
    assert m101.lead.startswith("Sở Y tế: nước máy") and "syt.lamgiang.example" in m101.body
    assert m101.published_at.isoformat() == "2026-11-18T10:00:00+00:00"
    assert page.messages[2].engagement == {"views": 1_200_000} and page.messages[2].meta.get("forwarded")
    # an unreadable time: kept undated and reported
    assert page.messages[3].published_at is None and any("103" in p for p in page.problems)


def test_telegram_older_page_photo_without_caption_and_signed_message():
    page = telegram.parse_preview(_read("telegram_page_before100.html"), url="https://t.me/s/ubndlamgiang?before=100")
    assert [d.external_id for d in page.messages] == ["tg:97", "tg:98"]  # 99: photo only
    assert page.messages[1].author == "Phòng Thông tin" and page.before == 97
    last = telegram.parse_preview(_read("telegram_page_before97.html"), url="x")
    assert last.before is None  # the channel's first page: no older one


@pytest.mark.parametrize("name", ["telegram_no_messages.html", "youtube_deleted.html"])
def test_telegram_preview_without_messages_is_a_clear_error(name):
    with pytest.raises(ParseError) as err:
        telegram.parse_preview(_read(name), url="https://t.me/s/kenhrieng")
    assert err.value.reason == "no_messages" and "không có tin nào" in str(err.value)
    with pytest.raises(ParseError):
        telegram.parse_preview(b"", url="https://t.me/s/kenhrieng")


# -- ClaimReview ---------------------------------------------------------------------------------------

def test_claimreview_in_page_good_broken_and_wrong_typed():
    items, problems = external.claimreviews_in(_read("claimreview_page.html"), url="https://songhuong.example/kc")
    assert len(items) == 4 and len(problems) == 1 and "JSON-LD thứ 2 hỏng" in problems[0]
    good = claimreview.parse_item(items[0])
    assert good["claim"] == "Cầu Bến Đá đóng cửa từ tuần sau để sửa chữa" and good["verdict"] == "false"
    assert good["publisher"] == "Tổ kiểm chứng Báo Sông Hương" and good["publisher_url"] == "https://songhuong.example"
    errors = []
    for item in items[1:]:
        with pytest.raises(ConfigError) as err:
            claimreview.parse_item(item)
        errors.append(str(err.value))
    assert "claimReviewed" in errors[0] and "reviewRating phải là đối tượng" in errors[1] and "datePublished" in errors[2]


def test_page_without_claimreview_is_a_clear_error():
    with pytest.raises(ParseError) as err:
        external.claimreviews_in(_read("claimreview_nojsonld.html"), url="https://songhuong.example/x")
    assert err.value.reason == "no_claimreview"
    assert external.claimreviews_in(b'[{"@type": ["ClaimReview"], "claimReviewed": "x"}]', url="u")[0]


def test_claims_search_answer():
    reviews, problems, token = external.parse_claims_search(_read("claims_search_p1.json"))
    assert token == "TRANG2" and len(reviews) == 1 and len(problems) == 2
    assert reviews[0]["publisher"] == "Tổ kiểm chứng Báo Sông Hương" and reviews[0]["verdict"] == "false"
    assert "Four Pinocchios" in problems[0] and "Mục 2" in problems[1]
    reviews, problems, token = external.parse_claims_search(_read("claims_search_p2.json"))
    assert token is None and reviews[0]["publisher"] == "factdesk.example" and reviews[0]["verdict"] == "misleading"
    with pytest.raises(ParseError) as err:
        external.parse_claims_search(b'{"error": {"code": 403, "message": "The caller does not have permission"}}')
    assert "permission" in str(err.value)
