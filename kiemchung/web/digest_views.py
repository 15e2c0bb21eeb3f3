"""The morning digest on the web (``/digest?day=``): the same content as the e-mail, as a page."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from kiemchung import timeutil
from kiemchung.reports.digest import build_digest
from kiemchung.web import queries
from kiemchung.web.app import render, viewer
from kiemchung.web.params import vn_day

router = APIRouter(include_in_schema=False)

MESSAGES = {
    "digest_title": {"vi": "Bản tin buổi sáng", "en": "Morning digest"},
    "digest_note": {
        "vi": "Những gì đáng chú ý của ngày đã chọn (mặc định: hôm qua), mỗi phần xếp theo mức quan trọng; "
              "cũng được gửi qua thư mỗi sáng khi đã cấu hình máy chủ thư.",
        "en": "What mattered on the chosen day (default: yesterday), each part ranked; also sent by e-mail each "
              "morning when a mail server is configured.",
    },
    "digest_stories": {"vi": "Câu chuyện nổi lên", "en": "Rising stories"},
    "digest_rises": {"vi": "Danh sách theo dõi nổi lên", "en": "Rising watchlists"},
    "digest_claims": {"vi": "Nhận định mới cần kiểm chứng, theo danh sách theo dõi", "en": "New check-worthy claims by watchlist"},
    "digest_alerts": {"vi": "Cảnh báo mới", "en": "New alerts"},
    "digest_day": {"vi": "Ngày", "en": "Day"},
    "digest_peak": {"vi": "Đỉnh 24 giờ", "en": "24-hour peak"},
    "digest_matches": {"vi": "Khớp bài kiểm chứng", "en": "Matches the fact-check"},
}


@router.get("/digest", response_class=HTMLResponse, dependencies=[viewer])
def digest_page(request: Request, day: str | None = Query(None, max_length=20)):
    """The digest of a Vietnamese day (default yesterday), cached 60 s and until anything is committed."""
    db = request.app.state.db
    start = vn_day(day) if day and day.strip() else None
    if start is None:
        today = timeutil.local(timeutil.view_now(db)).date()
        chosen = today - dt.timedelta(days=1)
    else:
        chosen = start.date()
    dg = queries.cached_fresh(db, ("digest", chosen), 60, lambda: build_digest(db, chosen))
    return render(request, "digest.html", digest=dg, day=chosen.isoformat())
