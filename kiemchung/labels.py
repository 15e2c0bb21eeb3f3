"""Labels for every code a user sees: Vietnamese first, English as the second language.

One table, shared by the web pages, the API's human-readable fields, the reports and the CLI's human
output. Codes stay codes in stored data, exports and API fields; only what a person reads is labelled.

    >>> label("verdict", "false")
    'sai sự thật'
    >>> label("role", "admin", "en")
    'administrator'
    >>> label("audit_action", "factcheck.publish")
    'xuất bản bài kiểm chứng'

An unknown code comes back as it is (a newer code is never hidden), except audit actions, which are
built from their two parts (``user.password`` → "người dùng: mật khẩu") when not in the table.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

LANGS = ("vi", "en")

# group → code → (Vietnamese, English)
LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "verdict": {
        "false": ("sai sự thật", "false"),
        "misleading": ("gây hiểu lầm", "misleading"),
        "true": ("đúng", "true"),
        "unverified": ("chưa kiểm chứng", "unverified"),
    },
    # Fact-check workflow states.
    "fc_status": {
        "draft": ("bản nháp", "draft"),
        "proposed": ("chờ duyệt", "proposed"),
        "published": ("đã xuất bản", "published"),
        "withdrawn": ("đã rút", "withdrawn"),
    },
    # What happened in one version of a fact-check (its history).
    "fc_action": {
        "create": ("tạo mới", "created"),
        "update": ("sửa", "edited"),
        "propose": ("đề xuất xuất bản", "proposed"),
        "approve": ("duyệt", "approved"),
        "publish": ("xuất bản", "published"),
        "withdraw": ("rút bài", "withdrawn"),
        "evidence": ("sửa bằng chứng", "evidence changed"),
        "revise": ("đề xuất sửa bài đã xuất bản", "revision proposed"),
        "approve-revision": ("duyệt bản sửa", "revision approved"),
        "discard-revision": ("bỏ bản sửa", "revision discarded"),
    },
    # Kept copies of pages (kiemchung.captures).
    "capture_status": {
        "pending": ("đang chờ lưu", "waiting"),
        "done": ("đã lưu", "kept"),
        "failed": ("không lưu được", "failed"),
    },
    # Why a fetch failed (kiemchung.sources.http: FetchError.reason).
    "fetch_reason": {
        "bad_compression": ("dữ liệu nén bị hỏng", "broken compression"),
        "bad_redirect": ("chuyển hướng không hợp lệ", "bad redirect"),
        "bad_status": ("máy chủ trả lời bất thường", "unexpected answer"),
        "bad_url": ("địa chỉ không hợp lệ", "invalid address"),
        "connection": ("không kết nối được", "could not connect"),
        # reasons of the channel kinds (kiemchung.sources.youtube, telegram; kiemchung.claims.external)
        "no_messages": ("trang xem trước Telegram không có tin", "Telegram preview without messages"),
        "no_claimreview": ("trang không có ClaimReview", "no ClaimReview on the page"),
        "api_error": ("API báo lỗi", "API error"),
        "no_api_key": ("chưa đặt khóa API", "API key not set"),
        "content_encoding": ("kiểu nén không hỗ trợ", "unsupported compression"),
        "decompression_bomb": ("dữ liệu giải nén quá lớn", "decompressed data too large"),
        "http_429": ("máy chủ yêu cầu giảm tốc độ", "rate limited by the server"),
        "http_4xx": ("trang không có hoặc bị từ chối", "page missing or refused"),
        "http_5xx": ("máy chủ lỗi", "server error"),
        "io_error": ("lỗi đọc tệp", "file read error"),
        "not_found": ("không tìm thấy", "not found"),
        "private_address": ("địa chỉ mạng nội bộ bị chặn", "private address refused"),
        "redirect_loop": ("chuyển hướng vòng lặp", "redirect loop"),
        "robots_disallowed": ("robots.txt không cho phép", "disallowed by robots.txt"),
        "timeout": ("hết thời gian chờ", "timed out"),
        "too_large": ("trang quá lớn", "page too large"),
        "too_many_redirects": ("quá nhiều lần chuyển hướng", "too many redirects"),
    },
    "capture_link": {
        "factcheck": ("bài kiểm chứng", "fact-check"),
        "alert": ("cảnh báo", "alert"),
    },
    "alert_status": {
        "new": ("mới", "new"),
        "seen": ("đã xem", "seen"),
        "dismissed": ("bỏ qua", "dismissed"),
        "confirmed": ("xác nhận", "confirmed"),
    },
    # How sure an alert is (kiemchung.claims.verify.LEVEL_LABELS holds the same words).
    "alert_level": {
        "repeat": ("lặp lại tin sai", "repeats a false claim"),
        "related": ("có thể liên quan", "possibly related"),
    },
    "doc_kind": {
        "article": ("bài báo", "news article"),
        "post": ("bài đăng mạng xã hội", "social media post"),
        "official": ("văn bản chính thức", "official statement"),
        "tip": ("tin báo của người dân", "tip from the public"),
    },
    "source_kind": {
        # Polled kinds (feed, web, sitemap, …) take their labels from their connector
        # (kiemchung.sources.connectors); these kinds are not connectors.
        "import": ("tệp nhập", "imported file"),
        "sample": ("dữ liệu mẫu", "sample data"),
        "outlet": ("đầu báo (theo tên)", "outlet (by name)"),
    },
    # A source's state as the sources page and the overview show it.
    "source_health": {
        "healthy": ("hoạt động tốt", "healthy"),
        "failing": ("đang lỗi", "failing"),
        "never": ("chưa thu thập lần nào", "never fetched"),
        "disabled": ("đã tắt", "disabled"),
        "passive": ("không thu thập (chỉ nhận dữ liệu nhập)", "not polled (imported data only)"),
    },
    "story_status": {
        "active": ("đang diễn ra", "active"),
        "dormant": ("đã lắng xuống", "dormant"),
        "merged": ("đã gộp", "merged"),
    },
    "story_edit": {
        "merge": ("gộp", "merge"),
        "split": ("tách", "split"),
        "running": ("đang thực hiện", "running"),
        "failed": ("thất bại", "failed"),
        "done": ("xong", "done"),
    },
    # Why a sentence is worth checking (kiemchung.claims.checkworthy signals, and queue marks).
    "reason": {
        "number": ("có số liệu", "has figures"),
        "date": ("có ngày tháng", "has a date"),
        "percent": ("có tỷ lệ phần trăm", "has a percentage"),
        "money_unit": ("có tiền hoặc đơn vị đo", "has money or units"),
        "entity": ("có tên riêng", "names someone or somewhere"),
        "reporting": ("có động từ tường thuật", "reports what someone said"),
        "quote": ("có trích lời", "has a quotation"),
        "superlative": ("so sánh nhất", "superlative"),
        "comparison": ("so sánh, tăng giảm", "comparison"),
        "viral": ("dấu hiệu lan truyền", "viral marks"),
        "claim_verb": ("động từ khẳng định", "assertive verb"),
        "opinion": ("ý kiến cá nhân", "opinion"),
        "question": ("câu hỏi", "question"),
        "short": ("câu ngắn", "short sentence"),
        "post": ("bài đăng mạng xã hội", "social media post"),
        "engagement": ("nhiều tương tác", "much engagement"),
        "official": ("văn bản chính thức", "official statement"),
        "settled": ("tin đã được đưa rộng rãi", "widely reported news"),
    },
    # Types of outlet in the source directory (kiemchung.sources.directory.OUTLET_TYPES).
    "outlet_type": {
        "central": ("báo trung ương", "central press"),
        "local": ("báo địa phương", "local press"),
        "official": ("thông tấn, cơ quan, cổng thông tin chính thức", "news agency or official portal"),
        "tv": ("truyền hình, phát thanh", "TV and radio"),
        "social": ("kênh mạng xã hội", "social media channel"),
        "factcheck": ("đơn vị kiểm chứng", "fact-checker"),
    },
    # Why an alert was raised, besides shared words (kiemchung.claims.alerts).
    "alert_reason": {
        "image": ("ảnh giống ảnh trong bài kiểm chứng", "image matches a fact-check's image"),
        "story": ("lan truyền trong cùng câu chuyện với một bài đã lặp lại tin sai",
                  "spreading in a story where another post repeats the claim"),
        "story_names": ("đọc với tên mà các bài lặp lại tin sai trong câu chuyện đã nêu",
                        "read with the names the story's repeats of the claim state"),
    },
    # What contradicts a post and a fact-check's claim (kiemchung.claims.verify.CONFLICTS: feature
    # names stored with an alert, printed by the verifier's explanations).
    "alert_conflict": {
        "num_diff": ("số liệu cùng loại khác nhau", "numbers of one kind differ"),
        "neg_diff": ("một bên phủ định hoặc bác bỏ", "one side negates or denies"),
        "scope_diff": ("thời gian hoặc phạm vi khác nhau (một ngày / cả tuần, ba huyện / toàn tỉnh)",
                       "duration or scope differs (one day / the whole week, three districts / the whole province)"),
    },
    # Why an image was refused, or what was noted keeping it (kiemchung.images.store).
    "image_problem": {
        "image_empty": ("tệp ảnh rỗng", "empty image"),
        "image_too_large": ("ảnh quá lớn", "image too large"),
        "image_wrong_type": ("không phải ảnh JPEG/PNG/GIF/WebP", "not a JPEG/PNG/GIF/WebP image"),
        "image_too_many_pixels": ("quá nhiều điểm ảnh", "too many pixels"),
        "image_corrupt": ("ảnh hỏng", "corrupt image"),
        "image_fetch": ("không tải được ảnh", "image could not be fetched"),
        "animated": ("ảnh động: chỉ giữ khung đầu", "animated: first frame kept"),
        "metadata_script": ("siêu dữ liệu chứa mã lệnh: đã xoá", "script in metadata: stripped"),
        "downscaled": ("ảnh quá lớn: đã thu nhỏ", "too large: kept downscaled"),
    },
    "role": {
        "viewer": ("người xem", "viewer"),
        "editor": ("biên tập viên", "editor"),
        "admin": ("quản trị viên", "administrator"),
    },
    "audit_action": {
        "login": ("đăng nhập", "logged in"),
        "logout": ("đăng xuất", "logged out"),
        "user.add": ("thêm người dùng", "added a user"),
        "user.role": ("đổi vai trò", "changed a role"),
        "user.disable": ("khóa/mở khóa tài khoản", "disabled/enabled an account"),
        "user.password": ("đổi mật khẩu", "changed a password"),
        "user.password_reset": ("đặt lại mật khẩu", "reset a password"),
        "token.create": ("tạo khóa API", "created an API token"),
        "token.revoke": ("thu hồi khóa API", "revoked an API token"),
        "source.add": ("thêm nguồn tin", "added a source"),
        "source.remove": ("xóa nguồn tin", "removed a source"),
        "source.profile": ("sửa thông tin nguồn tin", "edited a source's directory entry"),
        "collection.create": ("tạo bộ sưu tập nguồn", "created a source collection"),
        "collection.delete": ("xóa bộ sưu tập nguồn", "deleted a source collection"),
        "collection.sources": ("đổi nguồn trong bộ sưu tập", "changed a collection's sources"),
        "tip.reply": ("trả lời tin báo", "answered a tip"),
        "tip.status": ("đổi trạng thái tin báo", "changed a tip's status"),
        "capture.request": ("yêu cầu lưu bản sao trang", "asked for a kept copy of a page"),
        "capture.done": ("đã lưu bản sao trang", "kept a copy of a page"),
        "capture.failed": ("không lưu được bản sao trang", "could not keep a copy of a page"),
        "factcheck.create": ("tạo bài kiểm chứng", "created a fact-check"),
        "factcheck.update": ("sửa bài kiểm chứng", "edited a fact-check"),
        "factcheck.import_external": ("nhận bài kiểm chứng của đơn vị khác", "pulled another publisher's fact-check"),
        "factcheck.propose": ("đề xuất xuất bản", "proposed a fact-check"),
        "factcheck.approve": ("duyệt bài kiểm chứng", "approved a fact-check"),
        "factcheck.publish": ("xuất bản bài kiểm chứng", "published a fact-check"),
        "factcheck.withdraw": ("rút bài kiểm chứng", "withdrew a fact-check"),
        "factcheck.evidence": ("sửa bằng chứng", "changed evidence"),
        "factcheck.image_add": ("thêm ảnh vào bài kiểm chứng", "added an image to a fact-check"),
        "factcheck.image_remove": ("bỏ ảnh khỏi bài kiểm chứng", "removed an image from a fact-check"),
        "factcheck.revise": ("đề xuất sửa bài kiểm chứng đã xuất bản", "proposed a revision of a fact-check"),
        "factcheck.approve_revision": ("duyệt bản sửa bài kiểm chứng", "approved a fact-check's revision"),
        "factcheck.discard_revision": ("bỏ bản sửa bài kiểm chứng", "discarded a fact-check's revision"),
        "alert.status": ("đổi trạng thái cảnh báo", "changed an alert's status"),
        "report.generate": ("lập báo cáo", "generated a report"),
        "watchlist.add": ("thêm danh sách theo dõi", "added a watchlist"),
        "watchlist.remove": ("xóa danh sách theo dõi", "removed a watchlist"),
        "watchlist.rise": ("báo danh sách theo dõi đang nổi lên", "notified a rising watchlist"),
        "digest.send": ("gửi bản tin buổi sáng", "sent the morning digest"),
        "story.merge": ("gộp câu chuyện", "merged stories"),
        "story.split": ("tách câu chuyện", "split a story"),
        "story.merge.failed": ("gộp câu chuyện (thất bại)", "merge of stories (failed)"),
        "story.split.failed": ("tách câu chuyện (thất bại)", "split of a story (failed)"),
        "settings.set": ("đổi cài đặt", "changed a setting"),
        "setting.set": ("đổi cài đặt", "changed a setting"),
    },
    # The first part of an audit action or object ("factcheck:12").
    "audit_object": {
        "user": ("người dùng", "user"),
        "token": ("khóa API", "API token"),
        "source": ("nguồn tin", "source"),
        "factcheck": ("bài kiểm chứng", "fact-check"),
        "alert": ("cảnh báo", "alert"),
        "report": ("báo cáo", "report"),
        "watchlist": ("danh sách theo dõi", "watchlist"),
        "story": ("câu chuyện", "story"),
        "document": ("tài liệu", "document"),
        "setting": ("cài đặt", "setting"),
        "settings": ("cài đặt", "settings"),
        "capture": ("bản lưu trang", "kept page"),
        "collection": ("bộ sưu tập nguồn", "source collection"),
        "tip": ("tin báo", "tip"),
    },
    # Field names in audit entries and fact-check histories.
    "field": {
        "fetch_reason": ("lý do lỗi tải", "why the fetch failed"),
        "attempts": ("số lần thử", "attempts"),
        "sha256": ("mã băm SHA-256", "SHA-256 hash"),
        "size": ("kích thước (byte)", "size (bytes)"),
        "factcheck": ("bài kiểm chứng", "fact-check"),
        "alert": ("cảnh báo", "alert"),
        "name": ("tên", "name"),
        "role": ("vai trò", "role"),
        "disabled": ("bị khóa", "disabled"),
        "ip": ("địa chỉ IP", "IP address"),
        "label": ("nhãn", "label"),
        "status": ("trạng thái", "status"),
        "query": ("truy vấn", "query"),
        "period": ("kỳ báo cáo", "period"),
        "files": ("tệp", "files"),
        "story": ("câu chuyện", "story"),
        "from": ("từ", "from"),
        "into": ("vào", "into"),
        "error": ("lỗi", "error"),
        "kind": ("loại", "kind"),
        "url": ("đường dẫn", "URL"),
        "documents": ("số tài liệu", "documents"),
        "claim": ("tuyên bố", "claim"),
        "verdict": ("kết luận", "verdict"),
        "explanation": ("giải thích", "explanation"),
        "phrasings": ("các cách nói", "phrasings"),
        "evidence": ("bằng chứng", "evidence"),
        "appearances": ("nơi xuất hiện", "appearances"),
        "first_appearance": ("lần xuất hiện đầu", "first appearance"),
        "claim_date": ("ngày của tuyên bố", "claim date"),
        "publisher": ("đơn vị xuất bản", "publisher"),
        "original_label": ("kết luận gốc", "original label"),
        "version": ("phiên bản", "version"),
        "proposed_by": ("người đề xuất", "proposed by"),
        "approved_by": ("người duyệt", "approved by"),
        "published_at": ("ngày xuất bản", "published at"),
        "withdrawn_at": ("ngày rút", "withdrawn at"),
        "reason": ("lý do", "reason"),
        "key": ("mã", "key"),
        "value": ("giá trị", "value"),
        "expires_at": ("hết hạn", "expires"),
        "enabled": ("đang bật", "enabled"),
        "pending_revision": ("bản sửa chờ duyệt", "pending revision"),
        "scrubbed_documents": ("số tài liệu đã băm tên tác giả", "documents scrubbed of author handles"),
        "doc_counts": ("số tài liệu", "document counts"),
        "docs": ("tài liệu", "documents"),
    },
    # Values of the "kind" select of the trends page.
    "trend_kind": {
        "story": ("câu chuyện", "stories"),
        "keyword": ("từ khóa", "keywords"),
        "watchlist": ("danh sách theo dõi", "watchlists"),
        "province": ("tỉnh/thành", "provinces"),
    },
    # Engagement counts of a post, as imports name them.
    "engagement": {
        "likes": ("thích", "likes"),
        "reactions": ("cảm xúc", "reactions"),
        "shares": ("chia sẻ", "shares"),
        "comments": ("bình luận", "comments"),
        "views": ("lượt xem", "views"),
        "retweets": ("đăng lại", "reposts"),
        "replies": ("trả lời", "replies"),
    },
    # Stages of a report generated from the web (kiemchung.web.report_views).
    "report_stage": {
        "queued": ("đang chờ", "waiting"),
        "build": ("đang tính số liệu (tài liệu, câu chuyện, lan tỏa)", "computing the figures (documents, stories, reach)"),
        "html": ("đang viết bản HTML", "writing the HTML version"),
        "md": ("đang viết bản Markdown", "writing the Markdown version"),
        "pdf": ("đang dựng bản PDF", "rendering the PDF"),
        "done": ("xong", "done"),
        "failed": ("thất bại", "failed"),
    },
    # Installation settings (kiemchung.store.settings: the registry holds the longer descriptions).
    "setting": {
        "hash_authors": ("băm tên tác giả", "hash author handles"),
        "author_salt": ("muối băm tác giả", "author hashing salt"),
        "match_threshold": ("ngưỡng khớp (ngữ nghĩa)", "match threshold (semantic)"),
        "match_threshold_lexical": ("ngưỡng khớp (từ vựng)", "match threshold (lexical)"),
        "match_semantic": ("so khớp ngữ nghĩa", "semantic matching"),
        "match_min_query_tokens": ("độ dài tối thiểu câu truy vấn", "shortest query matched"),
        "pair_threshold": ("ngưỡng cùng nhận định", "same-claim threshold"),
        "alert_precision": ("độ chính xác cảnh báo mong muốn", "target alert precision"),
        "alert_related_threshold": ("ngưỡng 'có thể liên quan'", "'possibly related' threshold"),
        "alert_learn": ("học từ phân loại cảnh báo", "learn from alert triage"),
        "alerts_backscan_days": ("số ngày quét lại", "back-scan days"),
        "alert_log": ("ghi cảnh báo vào nhật ký", "log alerts"),
        "alert_webhook_url": ("webhook cảnh báo", "alert webhook"),
        "watch_alerts": ("báo danh sách theo dõi nổi lên", "push rising watchlists"),
        "digest_mail_to": ("người nhận bản tin buổi sáng", "morning digest recipients"),
        "digest_hour": ("giờ gửi bản tin buổi sáng", "morning digest hour"),
        "smtp_host": ("máy chủ SMTP", "SMTP host"),
        "smtp_port": ("cổng SMTP", "SMTP port"),
        "smtp_from": ("địa chỉ gửi thư", "From address"),
        "smtp_to": ("người nhận cảnh báo", "alert recipients"),
        "smtp_user": ("tài khoản SMTP", "SMTP user"),
        "smtp_password": ("mật khẩu SMTP", "SMTP password"),
        "youtube_api_key": ("khóa YouTube Data API", "YouTube Data API key"),
        "factcheck_api_key": ("khóa Fact Check Tools API", "Fact Check Tools API key"),
        "org_name": ("tên tổ chức", "organisation name"),
        "org_url": ("trang của tổ chức", "organisation URL"),
        "site_url": ("địa chỉ ứng dụng web", "site URL"),
        "require_approval": ("duyệt hai người", "two-person approval"),
        "report_dir": ("thư mục báo cáo", "report folder"),
        "report_schedule": ("lịch báo cáo định kỳ", "report schedule"),
        "report_mail_to": ("người nhận báo cáo", "report recipients"),
        "fetch_allow_private": ("cho phép mạng nội bộ", "allow private networks"),
        "fetch_allow_hosts": ("máy luôn được phép tải", "hosts always allowed"),
        "evidence_capture": ("lưu bản sao trang làm bằng chứng", "keep copies of pages as evidence"),
        "image_max_bytes": ("dung lượng ảnh tối đa", "largest image"),
        "image_max_pixels": ("số điểm ảnh tối đa", "most pixels per image"),
        "image_folder": ("thư mục lưu ảnh", "image folder"),
        "image_match_distance": ("khoảng cách khớp ảnh", "image match distance"),
        "reference_time": ("thời điểm “bây giờ” cố định", "fixed 'now'"),
        "trusted_proxies": ("proxy tin cậy", "trusted proxies"),
        "tips_form": ("mẫu gửi tin báo công khai", "public tip form"),
        "tips_per_hour": ("số tin báo mỗi giờ từ một địa chỉ", "tips per hour per address"),
        "tips_max_images": ("số ảnh tối đa mỗi tin báo", "images per tip"),
        "tips_max_image_kb": ("dung lượng ảnh tối đa (KB)", "largest image (KB)"),
        "imap_host": ("máy chủ IMAP", "IMAP host"),
        "imap_port": ("cổng IMAP", "IMAP port"),
        "imap_ssl": ("IMAP qua TLS", "IMAP over TLS"),
        "imap_user": ("tài khoản IMAP", "IMAP user"),
        "imap_password": ("mật khẩu IMAP", "IMAP password"),
        "imap_folder": ("thư mục IMAP", "IMAP folder"),
        "telegram_bot_token": ("mã bot Telegram", "Telegram bot token"),
        "telegram_api_url": ("địa chỉ Bot API Telegram", "Telegram Bot API address"),
    },
    "setting_group": {
        "privacy": ("quyền riêng tư", "privacy"),
        "organisation": ("tổ chức và xuất bản", "organisation and publishing"),
        "reports": ("báo cáo", "reports"),
        "alerts": ("cảnh báo", "alerts"),
        "email": ("thư điện tử", "e-mail"),
        "matcher": ("so khớp nhận định", "claim matching"),
        "network": ("mạng", "network"),
        "images": ("hình ảnh", "images"),
        "sources": ("nguồn tin", "sources"),
        "views": ("hiển thị", "views"),
        "web": ("máy chủ web", "web server"),
        "tips": ("tin báo", "tips"),
    },
    # Tips (kiemchung.tips): where a tip came from, where it stands, how its answer went.
    "tip_channel": {
        "form": ("mẫu gửi tin", "web form"),
        "email": ("thư điện tử", "e-mail"),
        "telegram": ("Telegram", "Telegram"),
    },
    "tip_status": {
        "new": ("chưa xử lý", "open"),
        "replied": ("đã trả lời", "answered"),
        "dismissed": ("bỏ qua", "dismissed"),
    },
    "tip_reply_status": {
        "shown": ("hiện trên trang theo dõi của người gửi", "shown on the tipper's status page"),
        "sent": ("đã gửi", "sent"),
        "failed": ("gửi không được", "not delivered"),
    },
    "yes_no": {"true": ("có", "yes"), "false": ("không", "no")},
    # Forged-letter assist (kiemchung/images/letters.py): the fields read from an official letter.
    "letter_field": {
        "letter_number": ("số văn bản", "number"),
        "letter_date": ("ngày ban hành", "date"),
        "letter_issuer": ("cơ quan ban hành", "issuing body"),
        "letter_signer": ("người ký", "signer"),
        "letter_subject": ("trích yếu", "subject"),
        "same_number": ("văn bản đã lưu cùng số", "stored statements with the same number"),
        "same_issuer": ("văn bản chính thức của cùng cơ quan", "official statements of the same issuer"),
        "same_content": ("văn bản chính thức về cùng nội dung", "official statements on the same subject"),
    },
    "letter_statement": {
        "document": ("văn bản", "document"),
        "factcheck": ("bài kiểm chứng", "fact-check"),
    },
}

# Audit fields that change on every write and say nothing to a reader.
NOISE_FIELDS = frozenset({"updated_at", "updated_by", "created_at", "created_by", "id", "meta"})


def label(group: str, code: Any, lang: str = "vi") -> str:
    """The label of ``code`` in ``group`` ("verdict", "role", …) in ``lang`` ("vi" or "en").

    An unknown code is returned as it is; ``None`` gives "".
    """
    if code is None:
        return ""
    if isinstance(code, bool):
        code = "true" if code else "false"
    code = str(code)
    entry = _group(group).get(code)
    if entry is None:
        if group == "audit_action" and "." in code:
            obj, _, verb = code.partition(".")
            return f"{label('audit_object', obj, lang)}: {verb.replace('_', ' ').replace('.', ' ')}"
        return code
    return entry[1] if lang == "en" else entry[0]


def labels(group: str, codes, lang: str = "vi", sep: str = ", ") -> str:
    """Several codes of one group, labelled and joined."""
    return sep.join(label(group, c, lang) for c in codes)


def choices(group: str, lang: str = "vi") -> list[tuple[str, str]]:
    """(code, label) for every code of ``group``, in table order (for form selects)."""
    return [(code, label(group, code, lang)) for code in _group(group)]


def _group(group: str) -> dict[str, tuple[str, str]]:
    """A group's codes; source kinds join the registered connectors' labels to the table's."""
    if group == "source_kind":
        from kiemchung.sources.connectors import labels as connector_labels

        return {**connector_labels(), **LABELS["source_kind"]}
    return LABELS.get(group, {})


def bilingual(group: str, code: Any) -> str:
    """The label as "Vietnamese (English)" for the CLI, or the label alone when both read the same."""
    vi, en = label(group, code, "vi"), label(group, code, "en")
    return vi if vi == en else f"{vi} ({en})"


def object_label(obj: str | None, lang: str = "vi") -> str:
    """An audit object such as ``factcheck:12`` as "bài kiểm chứng #12"; other text unchanged."""
    if not obj:
        return ""
    kind, sep, ident = obj.partition(":")
    if not sep or kind not in LABELS["audit_object"]:
        return obj
    name = label("audit_object", kind, lang)
    if kind in ("setting", "settings") and ident in LABELS["setting"]:
        return f"{name}: {label('setting', ident, lang)}"
    return f"{name} #{ident}" if ident.isdigit() else f"{name} {ident}"


def shown_url(url: str | None) -> str:
    """A source address as people are shown it: a file on the server by its name only (the server's
    folders are nobody's business), anything else unchanged."""
    if not url:
        return ""
    if url.startswith("file:"):
        return "…/" + url.rstrip("/").rsplit("/", 1)[-1]
    return url


_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)")


def _value_text(field: str, value: Any, lang: str) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if field == "url" and isinstance(value, str):
        return shown_url(value)
    if field == "verdict":
        return label("verdict", value, lang)
    if field == "status":
        for group in ("fc_status", "alert_status", "story_status"):
            if str(value) in _group(group):
                return label(group, value, lang)
    if field == "role":
        return label("role", value, lang)
    if field == "kind":
        for group in ("doc_kind", "source_kind"):
            if str(value) in _group(group):
                return label(group, value, lang)
    if field == "fetch_reason":
        return label("fetch_reason", value, lang)
    if isinstance(value, str) and _ISO_TIME.fullmatch(value):
        from kiemchung.timeutil import fmt_local

        try:
            return fmt_local(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    if isinstance(value, bool):
        return label("yes_no", value, lang)
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict):
                parts.append(str(item.get("title") or item.get("url") or item.get("doc_id") or item))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    if isinstance(value, dict):
        return "; ".join(f"{label('field', k, lang)}: {_value_text(k, v, lang)}" for k, v in value.items())
    return str(value)


def changes(before: Any, after: Any, lang: str = "vi", *, limit: int = 300) -> list[dict[str, str]]:
    """What an audit entry changed, readably: [{"field", "before", "after"}] with labels.

    Only fields that differ are listed (every field of a creation or a deletion); values are
    labelled (a verdict reads "sai sự thật") and cut to ``limit`` characters.
    """
    b = before if isinstance(before, dict) else ({} if before is None else {"value": before})
    a = after if isinstance(after, dict) else ({} if after is None else {"value": after})
    rows = []
    for key in list(b) + [k for k in a if k not in b]:
        if key in NOISE_FIELDS:
            continue
        old, new = b.get(key), a.get(key)
        if before is not None and after is not None and old == new:
            continue
        if (before is None and new in (None, "", [], {})) or (after is None and old in (None, "", [], {})):
            continue  # a creation or a deletion lists the fields that hold something

        def cut(text: str) -> str:
            return text if len(text) <= limit else text[: limit - 1] + "…"

        rows.append(
            {
                "field": label("field", key, lang),
                "before": cut(_value_text(key, old, lang)) if before is not None else "",
                "after": cut(_value_text(key, new, lang)) if after is not None else "",
            }
        )
    return rows


def duration(value: Any, lang: str = "vi") -> str:
    """A time span as people say it: "2 giờ 36 phút" / "2 h 36 min", "3 ngày 4 giờ" / "3 d 4 h"."""
    seconds = getattr(value, "total_seconds", lambda: value)()
    if seconds is None:
        return ""
    minutes = int(round(float(seconds) / 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    units = {"vi": ("ngày", "giờ", "phút"), "en": ("d", "h", "min")}[lang if lang in LANGS else "vi"]
    if days:
        parts = [(days, units[0]), (hours, units[1])]
    elif hours:
        parts = [(hours, units[1]), (mins, units[2])]
    else:
        if not minutes:
            return "dưới 1 phút" if lang != "en" else "under 1 min"
        parts = [(mins, units[2])]
    return " ".join(f"{n} {u}" for n, u in parts if n or len(parts) == 1)


def _decimal(value: float, lang: str) -> str:
    text = f"{value:.1f}".removesuffix(".0")
    return text.replace(".", ",") if lang == "vi" else text


def times_usual(current: int, baseline: float, lang: str = "vi") -> str:
    """A rise in everyday words: "gấp 3,2 lần mức thường ngày" / "3.2 times the usual level"."""
    if baseline <= 0:
        return "mới xuất hiện (trước đó không có)" if lang == "vi" else "new (nothing before)"
    ratio = current / baseline
    if lang == "vi":
        return f"gấp {_decimal(ratio, lang)} lần mức thường ngày"
    return f"{_decimal(ratio, lang)} times the usual level"


def usual_level(baseline: float, lang: str = "vi") -> str:
    """The baseline as a daily figure: "7,5/ngày" / "7.5/day"."""
    return f"{_decimal(baseline, lang)}/{'ngày' if lang == 'vi' else 'day'}"
