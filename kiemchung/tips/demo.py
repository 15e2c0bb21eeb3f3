"""The demo's sample tips (``make demo``): what a provincial office receives in a morning.

Three people ask about the same rumour on the form (grouped: "3 người đã hỏi về tin này"), a Telegram
user sends a screenshot of a social post (rendered from text with Debian's fonts,
:mod:`kiemchung.images.samples`), an e-mail carries a screenshot of a forged official letter ("công văn
giả"), and one question matches nothing. With Tesseract installed the OCR stage reads the images, so
the two screenshots are matched by their text too; every tip is matched against the sample's
published fact-checks. Nothing is answered: that is the editor's choice (``kiemchung tips reply``).
"""

from __future__ import annotations

import datetime as dt
import logging

log = logging.getLogger(__name__)

FORM_TIPS = (
    "Nước máy ở Giang Khẩu bị nhiễm độc thật không ạ? Nhà em có dùng nấu ăn được không?",
    "Có phải nước máy Giang Khẩu bị nhiễm độc, không được dùng để nấu ăn không?",
    "Nước máy ở Giang Khẩu bị nhiễm độc thật không ạ? Nhà em có dùng nấu ăn được không ạ?",
)
POST_TEXT = ("THÔNG BÁO KHẨN: Toàn tỉnh Lam Giang cho học sinh nghỉ học hết tuần vì bão số 8. "
             "Phụ huynh chia sẻ ngay cho mọi người biết!")
UNMATCHED = "Có phải từ tháng sau giá điện sinh hoạt ở Lam Giang tăng 20% không?"


def _letter():
    from kiemchung.images.samples import Letter

    return Letter(
        issuer_parent="UBND TỈNH LAM GIANG", issuer="SỞ Y TẾ", number="Số: 1234/SYT-NVY",
        place_date="Lam Giang, ngày 14 tháng 11 năm 2026", subject="V/v ngừng sử dụng nước máy",
        body="Nước máy ở Giang Khẩu bị nhiễm độc, không được dùng để nấu ăn. Đề nghị người dân không sử dụng "
             "nước máy cho đến khi có thông báo mới.",
        signer_title="GIÁM ĐỐC", signer="Nguyễn Văn An")


def load_demo_tips(db, *, now: dt.datetime | None = None) -> dict:
    """Store the sample tips (once: taking them again changes nothing), read their images when OCR is
    available, match them; returns ``{"tips", "groups", "matched", "ocr"}``."""
    from kiemchung.tips.service import TipImage, grouped_tips, list_tips, match_tips, submit_tip

    now = now or dt.datetime.now(dt.UTC)
    ids = []
    for i, text in enumerate(FORM_TIPS):
        tip, _ = submit_tip(db, channel="form", text=text, external_id=f"demo-form-{i}",
                            received_at=now - dt.timedelta(minutes=50 - 10 * i), clock=lambda: now)
        ids.append(tip.id)
    images: list[tuple[str, bytes]] = []
    try:
        from kiemchung.images.samples import render, render_letter, to_png

        images = [("post", to_png(render(POST_TEXT, "post"))), ("letter", to_png(render_letter(_letter())))]
    except (ImportError, FileNotFoundError) as exc:  # Pillow or Debian's fonts missing: text-only tips
        log.warning("demo tips without images: %s", exc)
    shots = dict(images)
    tip, _ = submit_tip(db, channel="telegram", text="Tin này đúng không ạ?" if "post" in shots else POST_TEXT,
                        images=[TipImage(shots["post"], "image/png", "anh-chup.png")] if "post" in shots else [],
                        sender="900001", external_id="900001:1", received_at=now - dt.timedelta(minutes=25))
    ids.append(tip.id)
    tip, _ = submit_tip(db, channel="email", text="Công văn của Sở Y tế gửi trong nhóm Zalo, có thật không?",
                        images=[TipImage(shots["letter"], "image/png", "cong-van.png")] if "letter" in shots else [],
                        sender="nguoidan@example.vn", external_id="<demo-letter@example.vn>",
                        received_at=now - dt.timedelta(minutes=15))
    ids.append(tip.id)
    tip, _ = submit_tip(db, channel="form", text=UNMATCHED, external_id="demo-form-power",
                        received_at=now - dt.timedelta(minutes=5))
    ids.append(tip.id)
    ocr = _read_images(db) if images else 0
    match_tips(db, tip_ids=ids)
    tips = [t for t in list_tips(db, limit=50) if t.id in ids]
    return {"tips": len(tips), "groups": len([g for g in grouped_tips(db) if any(t.id in ids for t in g.tips)]),
            "matched": sum(1 for t in tips if t.matches), "ocr": ocr}


def _read_images(db) -> int:
    """Run the OCR stage over the images tied to documents (the demo's screenshots); 0 without Tesseract."""
    try:
        from kiemchung.images.ocr import available
        from kiemchung.images.ocr_stage import OcrStage
    except ImportError:
        return 0
    if available() is not None:
        return 0
    try:
        return OcrStage(db).run(limit=None).recognised
    except Exception as exc:  # noqa: BLE001 - the demo goes on without OCR
        log.warning("demo tips: OCR stage failed: %s", exc)
        return 0
