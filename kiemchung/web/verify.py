"""Verify area of the workbench: its interface messages (merged into the i18n catalogue).

The area's modules call the claims library (:mod:`kiemchung.claims.factchecks`, ``claimreview``,
``checkworthy``, ``alerts``, ``match``, ``feed``); the rules (evidence, approval, duplicates, verdict
vocabulary) are enforced there, and these modules only turn requests into library calls, record each
write in the audit log and render the result:

- :mod:`~kiemchung.web.factcheck_actions` — audited fact-check writes;
- :mod:`~kiemchung.web.claims_queue` — the claims queue;
- :mod:`~kiemchung.web.alert_views` — alert rows, triage, the matcher engine;
- :mod:`~kiemchung.web.verify_pages` (HTML routes) and :mod:`~kiemchung.web.verify_api` (``/api/v1``).
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "vf_claims_title": {"vi": "Tuyên bố cần kiểm chứng", "en": "Claims to check"},
    "vf_claims_intro": {
        "vi": "Câu đáng kiểm chứng trong các tài liệu mới nhất, chưa khớp bài kiểm chứng nào.",
        "en": "Check-worthy sentences of the newest documents that match no fact-check yet.",
    },
    "vf_viral_title": {"vi": "Bài đăng lan truyền chưa được kiểm chứng", "en": "Viral posts not yet checked"},
    "vf_score": {"vi": "Điểm", "en": "Score"},
    "vf_reasons": {"vi": "Lý do", "en": "Reasons"},
    "vf_engagement": {"vi": "Tương tác", "en": "Engagement"},
    "vf_start": {"vi": "Tạo bài kiểm chứng", "en": "Start a fact-check"},
    "vf_queue_window": {
        "vi": "Tính trên {n} tài liệu gần nhất; cập nhật mỗi phút.",
        "en": "Computed over the {n} newest documents; refreshed every minute.",
    },
    "vf_factchecks": {"vi": "Bài kiểm chứng", "en": "Fact-checks"},
    "vf_new": {"vi": "Bài kiểm chứng mới", "en": "New fact-check"},
    "vf_status": {"vi": "Trạng thái", "en": "Status"},
    "vf_verdict": {"vi": "Kết luận", "en": "Verdict"},
    "vf_claim": {"vi": "Tuyên bố", "en": "Claim"},
    "vf_phrasings": {
        "vi": "Các cách nói khác (mỗi dòng một câu)",
        "en": "Other phrasings (one per line)",
    },
    "vf_explanation": {"vi": "Giải thích", "en": "Explanation"},
    "vf_article_url": {"vi": "Đường dẫn bài kiểm chứng", "en": "Fact-check article URL"},
    "vf_appearances": {
        "vi": "Nơi tuyên bố xuất hiện (mỗi dòng một đường dẫn)",
        "en": "Where the claim appeared (one URL per line)",
    },
    "vf_evidence": {"vi": "Bằng chứng", "en": "Evidence"},
    "vf_no_evidence": {"vi": "Chưa có bằng chứng.", "en": "No evidence yet."},
    "vf_add_url": {"vi": "Thêm đường dẫn", "en": "Add URL"},
    "vf_evidence_title": {"vi": "Tiêu đề (tùy chọn)", "en": "Title (optional)"},
    "vf_cite_search": {
        "vi": "Tìm trong kho để trích dẫn (văn bản chính thức xếp trước)",
        "en": "Search the store to cite (official statements first)",
    },
    "vf_cite": {"vi": "Trích dẫn", "en": "Cite"},
    "vf_cite_url": {"vi": "Trích dẫn đường dẫn", "en": "Cite URL"},
    "vf_remove": {"vi": "Bỏ", "en": "Remove"},
    "vf_official_docs": {"vi": "Văn bản chính thức", "en": "Official statements"},
    "vf_other_docs": {"vi": "Tài liệu khác (trích dẫn bằng đường dẫn)", "en": "Other documents (cited by URL)"},
    "vf_preview": {"vi": "Xem trước ClaimReview (JSON-LD)", "en": "ClaimReview preview (JSON-LD)"},
    "vf_preview_note": {
        "vi": "Bản xem trước: chưa xuất bản.",
        "en": "Preview: not published yet.",
    },
    "vf_settings_note": {
        "vi": "Đường dẫn và tên đơn vị xuất bản lấy từ cài đặt của bản cài đặt; quản trị viên chưa đặt:",
        "en": "Links and the publisher's name come from the installation's settings; an administrator has not set:",
    },
    "vf_history": {"vi": "Lịch sử phiên bản", "en": "Version history"},
    "vf_version": {"vi": "Phiên bản", "en": "Version"},
    "vf_action": {"vi": "Thao tác", "en": "Action"},
    "vf_editor": {"vi": "Biên tập viên", "en": "Editor"},
    "vf_changed": {"vi": "Trường thay đổi", "en": "Changed fields"},
    "vf_propose": {"vi": "Đề xuất xuất bản", "en": "Propose for publication"},
    "vf_approve": {"vi": "Duyệt và xuất bản", "en": "Approve and publish"},
    "vf_publish": {"vi": "Xuất bản", "en": "Publish"},
    "vf_withdraw": {"vi": "Rút bài", "en": "Withdraw"},
    "vf_withdraw_reason": {"vi": "Lý do rút", "en": "Reason"},
    "vf_needs_approval": {
        "vi": "Cài đặt yêu cầu duyệt: người đề xuất không tự duyệt; cần biên tập viên khác hoặc quản trị viên.",
        "en": "Approval is required: a second editor or an admin approves the proposal.",
    },
    "vf_proposed_by": {"vi": "Đề xuất bởi", "en": "Proposed by"},
    "vf_revision": {"vi": "Bản sửa chờ duyệt", "en": "Revision waiting for approval"},
    "vf_revision_note": {
        "vi": "Bản đã xuất bản vẫn được công khai (ClaimReview, nguồn tin, cảnh báo) cho đến khi một biên tập viên "
              "khác người sửa duyệt bản sửa. Các ô bên dưới hiện nội dung bản sửa.",
        "en": "The published version stays public (ClaimReview, feed, alerts) until someone other than the "
              "revision's editors approves it. The fields below show the revision.",
    },
    "vf_revision_fields": {"vi": "Trường sửa", "en": "Changed fields"},
    "vf_revision_by": {"vi": "Người sửa", "en": "Edited by"},
    "vf_approve_revision": {"vi": "Duyệt bản sửa", "en": "Approve the revision"},
    "vf_discard_revision": {"vi": "Bỏ bản sửa", "en": "Discard the revision"},
    "vf_approved_by": {"vi": "Duyệt bởi", "en": "Approved by"},
    "vf_duplicate": {
        "vi": "Tuyên bố này đã có bài kiểm chứng; đã mở bài đó.",
        "en": "This claim already has a fact-check; it is opened instead.",
    },
    "vf_similar": {"vi": "Có thể trùng với bài kiểm chứng khác", "en": "May repeat another fact-check"},
    "vf_similar_note": {
        "vi": "Các bài này nói cùng tuyên bố bằng cách diễn đạt khác (hoặc khớp với nó); xem trước khi kiểm chứng lại.",
        "en": "These state the same claim in other words (or match it); look before checking it again.",
    },
    "vf_same_claim": {"vi": "cùng tuyên bố", "en": "same claim"},
    "vf_suggested": {"vi": "Văn bản chính thức liên quan (gợi ý)", "en": "Related official statements (suggested)"},
    "vf_coverage": {"vi": "từ của tuyên bố", "en": "of the claim's words"},
    "vf_matches": {"vi": "khớp", "en": "matches"},
    "vf_feed": {"vi": "Nguồn tin RSS", "en": "RSS feed"},
    "vf_filter": {"vi": "Lọc", "en": "Filter"},
    "vf_source_doc": {"vi": "Tài liệu gốc", "en": "Source document"},
    "vf_alerts_title": {"vi": "Cảnh báo tin sai lặp lại", "en": "Alerts: repeated false claims"},
    "vf_no_story": {"vi": "Chưa thuộc câu chuyện nào", "en": "Not in a story"},
    "vf_shared_terms": {"vi": "Từ chung", "en": "Shared terms"},
    "vf_set_status": {"vi": "Đổi trạng thái", "en": "Set status"},
    "vf_document": {"vi": "Tài liệu", "en": "Document"},
    "vf_factcheck": {"vi": "Bài kiểm chứng", "en": "Fact-check"},
    "fc_of": {"vi": "của", "en": "by"},
    "fc_external": {"vi": "kiểm chứng bên ngoài, không phải kết luận của đơn vị", "en": "external fact-check, not this office's verdict"},
    "vf_page_next": {"vi": "Trang sau", "en": "Next page"},
    "vf_page_prev": {"vi": "Trang trước", "en": "Previous page"},
    "vf_level": {"vi": "Mức", "en": "Level"},
    "vf_related_title": {"vi": "Có thể liên quan đến tin sai đã kiểm chứng", "en": "Possibly related to a checked false claim"},
    "vf_related_intro": {"vi": "Bài đăng gần giống một nhận định sai đã kiểm chứng nhưng chưa chắc lặp lại nó: "
                                "chỉ hiện ở đây để xem, không gửi thư hay webhook.",
                         "en": "Posts close to a checked false claim but not surely repeating it: shown here for a "
                               "look only, never e-mailed or sent to the webhook."},
    "vf_evidence_missing": {
        "vi": "Nhập một đường dẫn hoặc chọn một văn bản để trích dẫn (give a URL or pick a document)",
        "en": "Give a URL or pick a document to cite",
    },
}

