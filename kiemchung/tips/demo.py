"""The demo's sample tips (``make demo``): what a provincial office receives in a morning.

Three people ask about the same rumour on the form (grouped: "N người đã hỏi về tin này"), a Telegram
user sends a screenshot of a chat, someone on the form a screenshot of a social post (both rendered
from text with Debian's fonts, :func:`kiemchung.images.samples.demo_images`), an e-mail carries a
screenshot of a forged official letter ("công văn giả", the flood-aid scam the province denied), and
one question matches nothing. With Tesseract installed the OCR stage reads the images, so
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
UNMATCHED = "Có phải từ tháng sau giá điện sinh hoạt ở Lam Giang tăng 20% không?"


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
    images: dict[str, bytes] = {}
    try:  # the ocr helper's renders (Debian's fonts): a chat, a social post, the forged letter
        from kiemchung.images.samples import demo_images

        images = dict(demo_images())
    except (ImportError, FileNotFoundError) as exc:  # Pillow or the fonts missing: those tips are left out
        log.warning("demo tips without images: %s", exc)
    with_image = (
        ("telegram", "tin-bao-chat.png", "Tin nhắn này đúng không ạ?", "900001", "900001:1", 35),
        ("form", "tin-bao-post.png", "Thấy bài này trên mạng, cầu có sắp sập thật không?", None, "demo-form-bridge", 25),
        ("email", "cong-van-gia.png", "Công văn này gửi trong nhóm Zalo, bảo nhập số tài khoản để nhận hỗ trợ. "
                                      "Có thật không?", "nguoidan@example.vn", "<demo-letter@example.vn>", 15),
    )
    for channel, name, text, sender, ext, minutes in with_image:
        if name not in images:
            continue
        tip, _ = submit_tip(db, channel=channel, text=text, images=[TipImage(images[name], "image/png", name)],
                            sender=sender, external_id=ext, received_at=now - dt.timedelta(minutes=minutes),
                            clock=lambda: now)
        ids.append(tip.id)
    tip, _ = submit_tip(db, channel="form", text=UNMATCHED, external_id="demo-form-power",
                        received_at=now - dt.timedelta(minutes=5), clock=lambda: now)
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
