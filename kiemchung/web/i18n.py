"""The workbench's message catalogue: Vietnamese first, English as the second language."""

from __future__ import annotations

LANGS = ("vi", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "app": {"vi": "Kiểm chứng", "en": "Kiemchung"},
    "overview": {"vi": "Tổng quan", "en": "Overview"},
    "search": {"vi": "Tìm kiếm", "en": "Search"},
    "sources": {"vi": "Nguồn tin", "en": "Sources"},
    "users": {"vi": "Người dùng", "en": "Users"},
    "settings": {"vi": "Cài đặt", "en": "Settings"},
    "settings_note": {
        "vi": "Mọi thay đổi được kiểm tra, ghi vào nhật ký thao tác và có hiệu lực với mọi tiến trình (web, watch, "
              "worker) trong vòng một giây; cũng đổi được bằng lệnh kiemchung settings set.",
        "en": "Every change is validated, written to the audit log and reaches every process (web, watch, workers) "
              "within a second; the command kiemchung settings set does the same.",
    },
    "setting": {"vi": "Cài đặt", "en": "Setting"},
    "setting_value": {"vi": "Giá trị", "en": "Value"},
    "setting_default": {"vi": "Mặc định", "en": "Default"},
    "setting_set": {"vi": "đã đặt", "en": "set"},
    "setting_saved": {"vi": "Đã lưu.", "en": "Saved."},
    "setting_clear": {"vi": "Xoá", "en": "Clear"},
    "alert_tradeoff": {"vi": "Đánh đổi của mức 'Lặp lại tin sai'", "en": "What the 'Repeats a false claim' level trades"},
    "alert_tradeoff_note": {
        "vi": "Độ chính xác, độ phủ và số báo sai trên 1.000 bài không liên quan đo trên alerts-dev (kiểm định chéo); "
              "cột cuối: các cảnh báo biên tập viên của bản cài đặt này đã xác nhận hoặc bỏ qua mà sẽ là "
              "'Lặp lại tin sai' ở ngưỡng đó. Đổi độ chính xác mong muốn ở trên để chọn ngưỡng.",
        "en": "Precision, recall and false alerts per 1,000 unrelated posts measured on alerts-dev (cross-validated); "
              "last column: this installation's confirmed or dismissed alerts that would be 'Repeats a false claim' "
              "at that threshold. Change the wanted precision above to choose the threshold.",
    },
    "tradeoff_threshold": {"vi": "Ngưỡng", "en": "Threshold"},
    "tradeoff_precision": {"vi": "Độ chính xác", "en": "Precision"},
    "tradeoff_recall": {"vi": "Độ phủ", "en": "Recall"},
    "tradeoff_false": {"vi": "Báo sai / 1.000 bài", "en": "False alerts / 1,000 posts"},
    "tradeoff_here": {"vi": "Ở đây: xác nhận/đã phân loại", "en": "Here: confirmed/triaged"},
    "tradeoff_in_force": {"vi": "đang dùng", "en": "in force"},
    "tradeoff_summary": {
        "vi": "Ngưỡng đang dùng {repeat} (trước khi học từ phân loại: {before}); 'Có thể liên quan' từ {related}; "
              "đã phân loại {triaged} cảnh báo, xác nhận {confirmed}.",
        "en": "Threshold in force {repeat} (before learning from triage: {before}); 'Possibly related' from "
              "{related}; {triaged} alerts triaged, {confirmed} confirmed.",
    },
    "audit": {"vi": "Nhật ký thao tác", "en": "Audit log"},
    "login": {"vi": "Đăng nhập", "en": "Log in"},
    "logout": {"vi": "Đăng xuất", "en": "Log out"},
    "username": {"vi": "Tên đăng nhập", "en": "User name"},
    "password": {"vi": "Mật khẩu", "en": "Password"},
    "bad_login": {"vi": "Sai tên đăng nhập hoặc mật khẩu.", "en": "Wrong user name or password."},
    "rate_limited": {
        "vi": "Quá nhiều lần đăng nhập sai, hãy thử lại sau {seconds} giây.",
        "en": "Too many failed logins; try again in {seconds} seconds.",
    },
    "volume": {"vi": "Số tài liệu mỗi ngày (30 ngày gần nhất)", "en": "Documents per day (last 30 days)"},
    "trouble": {"vi": "Nguồn đang gặp sự cố", "en": "Sources in trouble"},
    "official": {"vi": "Thông báo chính thức mới nhất", "en": "Latest official statements"},
    "rising": {"vi": "Câu chuyện đang nổi lên", "en": "Rising stories"},
    "alerts": {"vi": "Cảnh báo mới", "en": "New alerts"},
    "none_yet": {"vi": "Chưa có.", "en": "None yet."},
    "fixed_now": {
        "vi": "“Bây giờ” của bản cài đặt này được cố định (Cài đặt, nhóm hiển thị; ví dụ cuối dữ liệu mẫu)",
        "en": "This installation's “now” is fixed (Settings, views group; e.g. the end of the sample)",
    },
    "all_ok": {"vi": "Mọi nguồn đều hoạt động bình thường.", "en": "All sources are healthy."},
    "query": {"vi": "Từ khóa (gõ có dấu hoặc không dấu)", "en": "Query (with or without diacritics)"},
    "since": {"vi": "Từ ngày", "en": "From"},
    "until": {"vi": "Đến ngày", "en": "To"},
    "source": {"vi": "Nguồn", "en": "Source"},
    "kind": {"vi": "Loại", "en": "Kind"},
    "any": {"vi": "Tất cả", "en": "Any"},
    "results": {"vi": "kết quả", "en": "results"},
    "no_results": {"vi": "Không tìm thấy tài liệu nào.", "en": "No documents found."},
    "export": {"vi": "Xuất", "en": "Export"},
    "published": {"vi": "Ngày đăng", "en": "Published"},
    "fetched": {"vi": "Ngày thu thập", "en": "Fetched"},
    "duplicates": {"vi": "Bản gần trùng", "en": "Near-duplicates"},
    "raw": {"vi": "Tải dữ liệu gốc", "en": "Download raw payload"},
    "add_source": {"vi": "Thêm nguồn", "en": "Add source"},
    "name": {"vi": "Tên", "en": "Name"},
    "health": {"vi": "Tình trạng", "en": "Health"},
    "healthy": {"vi": "Tốt", "en": "Healthy"},
    "failing": {"vi": "Lỗi", "en": "Failing"},
    "last_error": {"vi": "Lỗi gần nhất", "en": "Last error"},
    "last_problem": {"vi": "Lần lấy cuối có vấn đề (phần còn lại đã lấy)", "en": "Last poll's problems (the rest was collected)"},
    "role": {"vi": "Vai trò", "en": "Role"},
    "add_user": {"vi": "Thêm người dùng", "en": "Add user"},
    "set_role": {"vi": "Đổi vai trò", "en": "Set role"},
    "disable": {"vi": "Khóa", "en": "Disable"},
    "enable": {"vi": "Mở khóa", "en": "Enable"},
    "disabled": {"vi": "Đã khóa", "en": "Disabled"},
    "save": {"vi": "Lưu", "en": "Save"},
    "documents": {"vi": "Tài liệu", "en": "Documents"},
    "error": {"vi": "Lỗi", "en": "Error"},
    "not_found": {"vi": "Không tìm thấy.", "en": "Not found."},
    "forbidden": {"vi": "Bạn không có quyền làm việc này.", "en": "You are not allowed to do this."},
    "csrf": {
        "vi": "Phiên làm việc không hợp lệ, hãy tải lại trang.",
        "en": "Invalid form token; reload the page.",
    },
    "other_lang": {"vi": "English", "en": "Tiếng Việt"},
    "nav_stories": {"vi": "Câu chuyện", "en": "Stories"},
    "nav_trends": {"vi": "Xu hướng", "en": "Trends"},
    "nav_watchlists": {"vi": "Danh sách theo dõi", "en": "Watchlists"},
    "nav_attention": {"vi": "Tỷ trọng chú ý", "en": "Attention"},
    "nav_digest": {"vi": "Bản tin buổi sáng", "en": "Morning digest"},
    "nav_reports": {"vi": "Báo cáo", "en": "Reports"},
    "nav_claims": {"vi": "Cần kiểm chứng", "en": "Claims queue"},
    "nav_factchecks": {"vi": "Bài kiểm chứng", "en": "Fact-checks"},
    "nav_alerts": {"vi": "Cảnh báo", "en": "Alerts"},
    "menu": {"vi": "Menu", "en": "Menu"},
    "grp_monitor": {"vi": "Theo dõi", "en": "Monitor"},
    "grp_verify": {"vi": "Kiểm chứng", "en": "Verify"},
    "grp_reports": {"vi": "Báo cáo", "en": "Reports"},
    "grp_admin": {"vi": "Quản trị", "en": "Administration"},
    "api_docs": {"vi": "Tài liệu API", "en": "API docs"},
    "go_home": {"vi": "Về trang tổng quan", "en": "Back to the overview"},
    "bad_request": {
        "vi": "Địa chỉ hoặc biểu mẫu có giá trị không hợp lệ.",
        "en": "The address or the form has an invalid value.",
    },
    "when": {"vi": "Thời gian", "en": "When"},
    "who": {"vi": "Người thực hiện", "en": "Who"},
    "action": {"vi": "Thao tác", "en": "Action"},
    "object": {"vi": "Đối tượng", "en": "Object"},
    "changes": {"vi": "Thay đổi", "en": "Changes"},
    "system": {"vi": "hệ thống", "en": "system"},
    "unchanged": {"vi": "không thay đổi gì", "en": "nothing changed"},
    "doc_count": {"vi": "Số tài liệu", "en": "Documents"},
    "last_fetch": {"vi": "Thu thập gần nhất", "en": "Last fetch"},
    "remove": {"vi": "Xóa", "en": "Remove"},
    "remove_source_note": {
        "vi": "Xóa nguồn chỉ ngừng thu thập; tài liệu đã thu thập vẫn được giữ.",
        "en": "Removing a source stops collecting from it; documents already collected are kept.",
    },
    "local_file": {"vi": "tệp trên máy chủ", "en": "file on the server"},
    "matched_alerts": {"vi": "Cảnh báo khớp với tài liệu này", "en": "Alerts raised by this document"},
    "matched_factchecks": {"vi": "Bài kiểm chứng liên quan", "en": "Fact-checks it matched"},
    "post_time": {"vi": "Đăng lúc", "en": "Posted"},
    "collected": {"vi": "thu thập", "en": "collected"},
    "quiet_since": {"vi": "Im lặng bất thường từ", "en": "Gone quiet since"},
    "source_since": {"vi": "Lấy lùi tới ngày (chỉ kênh Telegram; để trống: chỉ tin mới)",
                     "en": "Page back to (Telegram channels only; empty: new messages only)"},
    "quiet_detail": {
        "vi": "{observed} tài liệu trong {days} ngày, thường khoảng {expected}",
        "en": "{observed} documents in {days} days, usually about {expected}",
    },
}


def _merge_area_messages() -> None:
    """Add the messages each area module (monitor, verify) keeps next to its pages."""
    from kiemchung.web import (
        accounts,
        attention_views,
        digest_views,
        directory_views,
        evidence_views,
        image_views,
        monitor,
        ocr_views,
        tip_views,
        verify,
    )

    for area in (monitor, verify, accounts, evidence_views, ocr_views, tip_views, directory_views, attention_views,
                 digest_views, image_views):
        for key, entry in area.MESSAGES.items():
            MESSAGES.setdefault(key, entry)


_merged: list[bool] = []


def translator(lang: str):
    """A function ``t(key)`` returning the message in ``lang`` (falls back to Vietnamese, then the key)."""
    lang = lang if lang in LANGS else "vi"
    if not _merged:
        _merge_area_messages()
        _merged.append(True)

    def t(key: str) -> str:
        entry = MESSAGES.get(key)
        if entry is None:
            return key
        return entry.get(lang) or entry["vi"]

    return t
