"""Monitor and report area of the workbench: its interface messages (merged into the i18n catalogue).

The area's modules (each calls the library: ``kiemchung.stories``, ``kiemchung.claims``,
``kiemchung.reach``, ``kiemchung.reports``; the SQL in them is limited to small, bounded aggregates):

- :mod:`~kiemchung.web.stories_views` — story list and story page data;
- :mod:`~kiemchung.web.story_edit_jobs` — hand merges and splits started from the web;
- :mod:`~kiemchung.web.search_scope` — search restricted to a story or a province;
- :mod:`~kiemchung.web.trend_views`, :mod:`~kiemchung.web.watchlist_views`,
  :mod:`~kiemchung.web.report_views` — trends, watchlists, reports;
- :mod:`~kiemchung.web.monitor_pages` (HTML routes) and :mod:`~kiemchung.web.monitor_api` (``/api/v1``).
"""

# ruff: noqa: RUF001  (the burst formula and ranges use Greek letters and dashes on purpose)

from __future__ import annotations

from kiemchung.web.search_scope import scoped_search  # noqa: F401  (pages.py imports it from here)

MESSAGES: dict[str, dict[str, str]] = {
    "stories_title": {"vi": "Câu chuyện", "en": "Stories"},
    "min_docs": {"vi": "Số tài liệu tối thiểu", "en": "Minimum documents"},
    "province": {"vi": "Tỉnh/thành", "en": "Province"},
    "story": {"vi": "Câu chuyện", "en": "Story"},
    "filter": {"vi": "Lọc", "en": "Filter"},
    "rising_now": {"vi": "Đang nổi lên", "en": "Rising now"},
    "docs_n": {"vi": "tài liệu", "en": "documents"},
    "outlets_n": {"vi": "nguồn", "en": "outlets"},
    "first_seen": {"vi": "Xuất hiện đầu", "en": "First seen"},
    "last_seen": {"vi": "Gần nhất", "en": "Last seen"},
    "next_page": {"vi": "Trang sau", "en": "Next page"},
    "prev_page": {"vi": "Trang trước", "en": "Previous page"},
    "timeline": {"vi": "Diễn biến theo ngày", "en": "Timeline (documents per day)"},
    "outlets": {"vi": "Nguồn đưa tin", "en": "Outlets"},
    "keywords": {"vi": "Từ khóa", "en": "Keywords"},
    "places": {"vi": "Địa phương được nhắc đến", "en": "Places mentioned"},
    "checkworthy": {"vi": "Nhận định cần kiểm chứng", "en": "Check-worthy claims"},
    "matched_fc": {"vi": "Khớp với bài kiểm chứng", "en": "Matched fact-checks"},
    "pickups": {"vi": "Mức lan tỏa của thông tin chính thức", "en": "Pickups of official statements"},
    "pickups_none": {"vi": "Câu chuyện không có thông báo chính thức.", "en": "No official statement in this story."},
    "picked_up": {"vi": "lượt đăng lại", "en": "pickups"},
    "first_pickup": {"vi": "lần đầu sau", "en": "first after"},
    "loading": {"vi": "Đang tải…", "en": "Loading…"},
    "edits": {"vi": "Lịch sử chỉnh sửa", "en": "Edit history"},
    "edit_running": {
        "vi": "Đang thực hiện; tải lại trang sau ít giây.",
        "en": "Running; reload the page in a few seconds.",
    },
    "edit_failed": {"vi": "Thất bại", "en": "Failed"},
    "merge": {"vi": "Gộp câu chuyện khác vào đây", "en": "Merge another story into this one"},
    "merge_id": {"vi": "Mã câu chuyện cần gộp", "en": "Story id to merge in"},
    "split": {"vi": "Tách các tài liệu đã chọn thành câu chuyện mới", "en": "Split the selected documents into a new story"},
    "search_in_story": {"vi": "Tìm trong câu chuyện", "en": "Search in this story"},
    "watchlists_title": {"vi": "Danh sách theo dõi", "en": "Watchlists"},
    "wl_query_col": {"vi": "Truy vấn", "en": "Query"},
    "wl_query": {"vi": "Truy vấn (không phân biệt dấu)", "en": "Query (diacritic-insensitive)"},
    "wl_add": {"vi": "Thêm danh sách", "en": "Add watchlist"},
    "wl_remove": {"vi": "Xóa", "en": "Remove"},
    "last7": {"vi": "7 ngày", "en": "7 days"},
    "last30": {"vi": "30 ngày", "en": "30 days"},
    "trends_title": {"vi": "Xu hướng", "en": "Trends"},
    "method": {"vi": "Phương pháp", "en": "Method"},
    "at_day": {"vi": "Tính đến ngày", "en": "As of day"},
    "extra_keywords": {"vi": "Từ khóa thêm (cách nhau bởi dấu phẩy)", "en": "Extra keywords (comma separated)"},
    "kind_story": {"vi": "Câu chuyện", "en": "Stories"},
    "kind_keyword": {"vi": "Từ khóa", "en": "Keywords"},
    "kind_watchlist": {"vi": "Danh sách theo dõi", "en": "Watchlists"},
    "kind_province": {"vi": "Tỉnh/thành", "en": "Provinces"},
    "current": {"vi": "24 giờ qua", "en": "Last 24 h"},
    "baseline": {"vi": "Mức thường ngày", "en": "Usual level"},
    "score": {"vi": "Mức nổi bật", "en": "Prominence"},
    "vs_usual": {"vi": "So với thường ngày", "en": "Against the usual"},
    "reports_title": {"vi": "Báo cáo định kỳ", "en": "Periodic reports"},
    "period": {"vi": "Kỳ (2026-Q1, 2026-03, 2026-W10)", "en": "Period (2026-Q1, 2026-03, 2026-W10)"},
    "or_range": {"vi": "hoặc từ ngày – đến ngày", "en": "or from – to"},
    "generate": {"vi": "Lập báo cáo", "en": "Generate report"},
    "formats": {"vi": "Định dạng", "en": "Formats"},
    "report_dir": {"vi": "Thư mục báo cáo", "en": "Report folder"},
    "report_running": {"vi": "Đang lập báo cáo", "en": "Generating the report"},
    "reload": {"vi": "Tải lại trang để xem tiến độ", "en": "Reload the page to see the progress"},
    "download": {"vi": "Tải về", "en": "Download"},
    "scope_note": {
        "vi": "Lọc theo tỉnh/câu chuyện xét tối đa 4.000 kết quả khớp mới nhất.",
        "en": "Province/story filters look at the newest 4,000 matches at most.",
    },
}

