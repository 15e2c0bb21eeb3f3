"""The youtube, telegram and claimreview source kinds, polled through the collector against a local
server serving recorded-shape pages (tests/fixtures/channels): documents, counts, paging back to a start
date, other publishers' fact-checks, and a clear error per source for pages that changed shape while
the other sources are collected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from channel_server import ChannelServer

from kiemchung.claims.factchecks import list_factchecks
from kiemchung.collect import Collector
from kiemchung.errors import ConfigError
from kiemchung.models import Source
from kiemchung.sources.connectors import connector_class, kinds
from kiemchung.sources.http import Fetcher, FetchSettings

F = Path(__file__).parent / "fixtures" / "channels"
XML, HTML, JSON = "application/atom+xml; charset=utf-8", "text/html; charset=utf-8", "application/json"
CHANNEL = "UCabcdefghijklmnopqrstuv"


def _page(name: str, ctype: str = HTML):
    return (200, ctype, (F / name).read_bytes())


@pytest.fixture
def fetcher():
    f = Fetcher(FetchSettings(min_interval_s=0.0, retries=0, total_timeout_s=5.0, read_timeout_s=2.0))
    yield f
    f.close()


def _add(db, kind: str, url: str, **meta) -> Source:
    return db.add_source(Source(kind=kind, url=connector_class(kind).check_url(url), name=kind, meta=meta))


def test_the_channel_kinds_are_registered():
    assert {"youtube", "telegram", "claimreview"} <= set(kinds())
    assert connector_class("youtube").check_url(f"https://www.youtube.com/channel/{CHANNEL}") == (
        f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}")
    assert connector_class("telegram").check_url("https://t.me/ubndlamgiang") == "https://t.me/s/ubndlamgiang"
    with pytest.raises(ConfigError):
        connector_class("youtube").check_url("https://www.youtube.com/@kenh")


# -- YouTube -------------------------------------------------------------------------------------------

def test_youtube_channel_feed_without_key(db, fetcher):
    with ChannelServer({"/feeds/videos.xml": _page("youtube_channel.xml", XML)}) as srv:
        src = _add(db, "youtube", srv.url(f"/feeds/videos.xml?channel_id={CHANNEL}"))
        res = Collector(db, fetcher=fetcher).poll(src)
        assert res.ok and res.stats.added == 2, res.error
        assert not any("/youtube/v3" in r for r in srv.requests)  # no key: the API is never asked
    docs = sorted(db.iter_documents(), key=lambda d: d.external_id)
    assert [d.platform for d in docs] == ["youtube", "youtube"]
    assert docs[0].engagement == {"views": 15402, "ratings": 231}
    assert docs[0].author != "Truyền hình Lam Giang"  # hash_authors is on by default
    raw = db.get_document(docs[0].id, with_raw=True).raw
    assert "Truyền hình Lam Giang".encode() not in (raw if isinstance(raw, bytes) else raw.encode())
    assert "Sở Y tế công bố" in docs[0].lead


def test_youtube_statistics_with_an_api_key_never_comments(db, fetcher, monkeypatch):
    with ChannelServer({"/feeds/videos.xml": _page("youtube_channel.xml", XML),
                        "/youtube/v3/videos": _page("youtube_stats.json", JSON)}) as srv:
        monkeypatch.setattr(connector_class("youtube"), "api_url", srv.url("/youtube/v3/videos"))
        db.set_setting("youtube_api_key", "KHOA-BI-MAT")
        src = _add(db, "youtube", srv.url(f"/feeds/videos.xml?channel_id={CHANNEL}"))
        assert Collector(db, fetcher=fetcher).poll(src).ok
        api = [r for r in srv.requests if r.startswith("/youtube/v3/")]
        assert len(api) == 1 and "part=statistics" in api[0]
        assert not any("comment" in r.lower() for r in srv.requests)
        by_id = {d.external_id: d.engagement for d in db.iter_documents()}
        assert by_id["yt:vid00000001"] == {"views": 15873, "ratings": 231, "likes": 240, "comments": 37}
        assert by_id["yt:vid00000002"] == {"views": 1002, "ratings": 12}
        # polled again a day later: the same videos (stored once) with their newer counts
        later = (F / "youtube_stats.json").read_text("utf-8").replace('"15873"', '"20417"')
        srv.routes["/youtube/v3/videos"] = (200, JSON, later.encode())
        again = Collector(db, fetcher=fetcher).poll(db.get_source(src.id))
        assert again.ok and again.stats.added == 0 and db.count_documents() == 2
    by_id = {d.external_id: d.engagement for d in db.iter_documents()}
    assert by_id["yt:vid00000001"]["views"] == 20417 and by_id["yt:vid00000001"]["comments"] == 37


def test_youtube_api_error_is_a_problem_without_the_key(db, fetcher, monkeypatch):
    error = json.dumps({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key."}})
    with ChannelServer({"/feeds/videos.xml": _page("youtube_channel.xml", XML),
                        "/youtube/v3/videos": (400, JSON, error.encode())}) as srv:
        monkeypatch.setattr(connector_class("youtube"), "api_url", srv.url("/youtube/v3/videos"))
        db.set_setting("youtube_api_key", "KHOA-BI-MAT")
        src = _add(db, "youtube", srv.url(f"/feeds/videos.xml?channel_id={CHANNEL}"))
        res = Collector(db, fetcher=fetcher).poll(src)
    assert res.ok and res.stats.added == 2  # the videos are collected anyway
    problem = db.get_source(src.id).last_problem
    assert "YouTube Data API" in problem and "KHOA-BI-MAT" not in problem


# -- Telegram ------------------------------------------------------------------------------------------

def _telegram_routes():
    return {"/s/ubndlamgiang": _page("telegram_page_newest.html"),
            "/s/ubndlamgiang?before=100": _page("telegram_page_before100.html"),
            "/s/ubndlamgiang?before=97": _page("telegram_page_before97.html")}


def test_telegram_pages_back_to_the_start_date_then_only_new_messages(db, fetcher):
    with ChannelServer(_telegram_routes()) as srv:
        src = _add(db, "telegram", srv.url("/s/ubndlamgiang"), since="2026-11-01")
        collector = Collector(db, fetcher=fetcher)
        first = collector.poll(src)
        assert first.ok, first.error
        # the page before #100 reaches back past the start date (#97 is of 30/10): no older page is asked
        assert [r for r in srv.requests if r.startswith("/s/")] == ["/s/ubndlamgiang", "/s/ubndlamgiang?before=100"]
        ids = sorted(d.external_id for d in db.iter_documents())
        # 96 and 97 are older than the start date; 99 is a photo without caption; 103 is undated (kept)
        assert ids == sorted(f"tg:{i}" for i in (98, 100, 101, 102, 103))
        src = db.get_source(src.id)
        assert src.cursor["last_id"] == 103 and src.cursor["backfill_done"] is True
        assert "103" in (src.last_problem or "")  # the unreadable time is reported
        srv.requests.clear()
        second = collector.poll(src)
        assert second.ok and second.stats.added == 0
        assert [r for r in srv.requests if r.startswith("/s/")] == ["/s/ubndlamgiang"]  # no paging again
    views = {d.external_id: d.engagement.get("views") for d in db.iter_documents()}
    assert views["tg:102"] == 1_200_000
    for doc in db.iter_documents():  # hash_authors (on by default): the channel's handle is nowhere in clear
        stored = db.get_document(doc.id, with_raw=True)
        raw = stored.raw if isinstance(stored.raw, bytes) else (stored.raw or "").encode()
        assert "ubndlamgiang" not in (stored.url or "") and b"ubndlamgiang" not in raw
        assert "ubndlamgiang" not in json.dumps(stored.meta, ensure_ascii=False) and stored.author != "UBND tỉnh Lam Giang"


def test_telegram_without_start_date_reads_the_newest_page_only(db, fetcher):
    with ChannelServer(_telegram_routes()) as srv:
        src = _add(db, "telegram", srv.url("/s/ubndlamgiang"))
        assert Collector(db, fetcher=fetcher).poll(src).stats.added == 4
        assert [r for r in srv.requests if r.startswith("/s/")] == ["/s/ubndlamgiang"]


# -- ClaimReview ---------------------------------------------------------------------------------------

def test_claimreview_page_imports_the_good_review_and_lists_the_bad_ones(db, fetcher):
    with ChannelServer({"/kc/cau-ben-da.html": _page("claimreview_page.html")}) as srv:
        src = _add(db, "claimreview", srv.url("/kc/cau-ben-da.html"))
        collector = Collector(db, fetcher=fetcher)
        res = collector.poll(src)
        assert res.ok, res.error
        assert collector.poll(db.get_source(src.id)).ok  # polled again: nothing twice
    fcs = list_factchecks(db, external=True)
    assert len(fcs) == 1 and fcs[0].publisher == "Tổ kiểm chứng Báo Sông Hương" and fcs[0].status == "published"
    assert fcs[0].meta["source_id"] == src.id and list_factchecks(db, external=False) == []
    problem = db.get_source(src.id).last_problem
    assert "JSON-LD thứ 2 hỏng" in problem and "claimReviewed" in problem and "reviewRating" in problem
    assert db.count_documents() == 0  # fact-checks, not documents


def test_claimreview_feed_reads_each_new_item_page_once(db, fetcher):
    routes = {"/kiem-chung/rss.xml": _page("claimreview_feed.xml", "application/rss+xml"),
              "/kc/cau-ben-da.html": _page("claimreview_page.html"),
              "/kc/khong-phai.html": _page("claimreview_nojsonld.html")}
    with ChannelServer(routes) as srv:
        src = _add(db, "claimreview", srv.url("/kiem-chung/rss.xml"))
        collector = Collector(db, fetcher=fetcher)
        assert collector.poll(src).ok
        src = db.get_source(src.id)
        assert len(src.cursor["seen"]) == 3
        assert "no_claimreview" in src.last_problem and "404" in src.last_problem
        srv.requests.clear()
        assert collector.poll(src).ok
        assert [r for r in srv.requests if r.startswith("/kc/")] == []  # item pages read once
    assert [f.claim for f in list_factchecks(db, external=True)] == ["Cầu Bến Đá đóng cửa từ tuần sau để sửa chữa"]


def _claims_search(query):
    return _page("claims_search_p2.json" if query.get("pageToken") == "TRANG2" else "claims_search_p1.json", JSON)


def test_fact_check_tools_api_needs_a_key_and_pages(db, fetcher):
    with ChannelServer({"/v1alpha1/claims:search": _claims_search}) as srv:
        src = _add(db, "claimreview", srv.url("/v1alpha1/claims:search?query=L%C3%A2m+Giang&languageCode=vi"))
        collector = Collector(db, fetcher=fetcher)
        res = collector.poll(src)
        assert not res.ok and res.error.reason == "no_api_key" and srv.requests == []
        db.set_setting("factcheck_api_key", "KHOA-FC")
        res = collector.poll(db.get_source(src.id))
        assert res.ok, res.error
        assert len([r for r in srv.requests if "claims:search" in r]) == 2 and "pageToken=TRANG2" in srv.requests[-1]
    by_claim = {f.claim: f for f in list_factchecks(db, external=True)}
    assert set(by_claim) == {"Uống nước chanh nóng chữa khỏi sốt xuất huyết", "Gạo ST25 bị thu hồi vì nhiễm độc"}
    assert by_claim["Gạo ST25 bị thu hồi vì nhiễm độc"].meta["publisher_url"] == "https://factdesk.example"
    src = db.get_source(src.id)
    assert "Four Pinocchios" in src.last_problem and "KHOA-FC" not in (src.last_problem + (src.last_error or ""))


# -- bad input: a clear error per source, the rest collected -------------------------------------------

def test_changed_pages_fail_their_own_source_only(db, fetcher):
    routes = {"/feeds/videos.xml": (404, HTML, (F / "youtube_deleted.html").read_bytes()),
              "/s/kenhrieng": _page("telegram_no_messages.html"),
              "/kc/tin.html": _page("claimreview_nojsonld.html"),
              **_telegram_routes()}
    with ChannelServer(routes) as srv:
        bad = [_add(db, "youtube", srv.url(f"/feeds/videos.xml?channel_id={CHANNEL}")),
               _add(db, "telegram", srv.url("/s/kenhrieng")),
               _add(db, "claimreview", srv.url("/kc/tin.html"))]
        good = _add(db, "telegram", srv.url("/s/ubndlamgiang"))
        results = {r.source.id: r for r in Collector(db, fetcher=fetcher).poll_many([*bad, good])}
    assert results[good.id].ok and results[good.id].stats.added == 4
    reasons = [results[s.id].error.reason for s in bad]
    assert reasons == ["http_4xx", "no_messages", "no_claimreview"]
    errors = [db.get_source(s.id).last_error for s in bad]
    assert "Kênh YouTube không còn" in errors[0] and "không có tin nào" in errors[1] and "ClaimReview" in errors[2]


def test_cli_adds_channel_kinds_and_health_shows_each_error(db, fetcher, capsys, monkeypatch):
    from factories import run_cli_in_process, target_of

    monkeypatch.setenv("COLUMNS", "400")  # the health table on one line per source

    target = target_of(db)
    assert run_cli_in_process(target, "sources", "kinds") == 0
    assert {"youtube", "telegram", "claimreview"} <= set(capsys.readouterr().out.split())
    assert run_cli_in_process(target, "sources", "add", "https://t.me/ubndlamgiang", "--kind", "telegram",
                              "--since", "01/11/2026") == 0
    assert run_cli_in_process(target, "sources", "add", "https://www.youtube.com/@kenh", "--kind", "youtube") == 1
    assert "UC" in capsys.readouterr().err
    assert run_cli_in_process(target, "sources", "add", "https://x.example/rss", "--since", "01/11/2026") == 1
    assert "--since" in capsys.readouterr().err
    tg = next(s for s in db.list_sources() if s.kind == "telegram")
    assert tg.url == "https://t.me/s/ubndlamgiang" and tg.meta["since"].startswith("2026-11-01T00:00:00+07:00")
    with ChannelServer({"/s/kenhrieng": _page("telegram_no_messages.html")}) as srv:
        bad = _add(db, "telegram", srv.url("/s/kenhrieng"))
        assert not Collector(db, fetcher=fetcher).poll(bad).ok
    capsys.readouterr()
    assert run_cli_in_process(target, "sources", "health") == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "no_messages" in out and "không có tin nào" in out


def test_telegram_start_date_from_the_web_form_and_the_api(db, fetcher):
    """The start date a person types on /sources (or sends as the API's ``since``) is the one the
    CLI's ``--since`` sets: the poll pages back to it. Other kinds refuse it, a bad day is a clear 400."""
    import re

    from fastapi.testclient import TestClient

    from kiemchung import users as U
    from kiemchung.web import create_app

    U.add_user(db, "bientap", "matkhau-manh-123", "editor")
    app = create_app(db)
    web = TestClient(app)
    web.post("/login", data={"username": "bientap", "password": "matkhau-manh-123", "next": "/"})
    page = web.get("/sources").text
    assert 'name="since" type="date"' in page and "chỉ kênh Telegram" in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    api = TestClient(app, headers={"Authorization": f"Bearer {U.create_token(db, 'bientap')}"})
    assert next(k for k in api.get("/api/v1/sources/kinds").json() if k["kind"] == "telegram")["pages_back"]
    with ChannelServer(_telegram_routes()) as srv:
        r = web.post("/sources", data={"kind": "telegram", "url": srv.url("/s/ubndlamgiang"), "name": "UBND",
                                       "since": "01/11/2026", "csrf": csrf}, follow_redirects=False)
        assert r.status_code == 303
        (src,) = [s for s in db.list_sources() if s.kind == "telegram"]
        assert src.meta["since"].startswith("2026-11-01T00:00:00")
        assert Collector(db, fetcher=fetcher).poll(src).ok
        assert "/s/ubndlamgiang?before=100" in srv.requests  # paged back towards the start date
        assert sorted(d.external_id for d in db.iter_documents()) == sorted(f"tg:{i}" for i in (98, 100, 101, 102, 103))
    # refused: a start date for a kind that does not page back, a day that does not exist
    r = web.post("/sources", data={"kind": "feed", "url": "https://bao-lamson.vn/rss", "since": "2026-11-01",
                                   "csrf": csrf})
    assert r.status_code == 400 and "chỉ dùng cho nguồn lấy lùi được (telegram)" in r.text
    r = web.post("/sources", data={"kind": "telegram", "url": "https://t.me/kenh_khac", "since": "31/02/2026",
                                   "csrf": csrf})
    assert r.status_code == 400 and "31/02/2026" in r.text
    # the API
    ok = api.post("/api/v1/sources", json={"kind": "telegram", "url": "https://t.me/kenh_moi", "since": "2026-10-15"})
    assert ok.status_code == 201, ok.text
    assert db.get_source(ok.json()["id"]).meta["since"].startswith("2026-10-15T00:00:00")
    bad = api.post("/api/v1/sources", json={"kind": "sitemap", "url": "https://bao-lamson.vn/sitemap.xml",
                                            "since": "2026-10-15"})
    assert bad.status_code == 400 and "a start date is only for kinds that page back: telegram" in bad.json()["detail"]
    bad = api.post("/api/v1/sources", json={"kind": "telegram", "url": "https://t.me/kenh_ba", "since": "hôm qua"})
    assert bad.status_code == 400 and "hôm qua" in bad.json()["detail"]
    assert not any(s.url.endswith(("kenh_khac", "kenh_ba")) for s in db.list_sources())  # nothing half-added
    assert api.post("/api/v1/sources", json={"kind": "telegram", "url": "https://t.me/kenh_bon"}).status_code == 201
