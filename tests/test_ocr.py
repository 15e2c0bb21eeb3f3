"""Vietnamese OCR (kiemchung.images.ocr), the `kiemchung ocr` command and the forged-letter assist, on
screenshots rendered here from text written for these tests (Debian's DejaVu and Noto fonts)."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import unicodedata
import zlib
from pathlib import Path

import pytest
from ocr_support import require_ocr

from kiemchung.images import letters, ocr, samples
from kiemchung.images.accuracy import char_accuracy, word_accuracy

ROOT = Path(__file__).resolve().parents[1]

RUMOUR = ("Khẩn cấp: nhà máy nước của thị xã Lam Sơn bị nhiễm độc, người dân tuyệt đối không dùng nước "
          "máy trong ba ngày tới. Hãy chia sẻ cho người thân của bạn!")

LETTER = samples.Letter(
    issuer_parent="UBND TỈNH LAM SƠN",
    issuer="SỞ GIÁO DỤC VÀ ĐÀO TẠO",
    number="Số: 412/SGDĐT-VP",
    place_date="Lam Sơn, ngày 9 tháng 11 năm 2026",
    subject="V/v cho học sinh nghỉ học",
    body="Sở Giáo dục và Đào tạo thông báo toàn bộ học sinh trên địa bàn tỉnh được nghỉ học từ ngày "
         "10 tháng 11 năm 2026 đến hết ngày 20 tháng 11 năm 2026 để phòng chống dịch bệnh.",
    signer_title="GIÁM ĐỐC",
    signer="Lê Thị Hoa",
)


def run(*args: str, stdin: bytes | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "kiemchung.cli", *args], capture_output=True, timeout=300,
                          cwd=ROOT, input=stdin, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("style", samples.STYLES)
def test_recognises_rendered_screenshots(style):
    require_ocr()
    im = samples.render(RUMOUR, style, family="dejavu-sans" if style == "chat" else "noto-sans")
    result = ocr.recognize(samples.to_png(im))
    assert word_accuracy(RUMOUR, result.text.replace("Nguyễn Văn An", "").replace("2 giờ trước", "")
                         .replace("Thích Bình luận Chia sẻ", "")) >= 0.95, result.text
    assert unicodedata.is_normalized("NFC", result.text)
    assert result.lines and all(0 <= ln.confidence <= 100 for ln in result.lines)
    assert result.confidence > 70
    # Boxes are in the original image's pixels, whatever the scaling done before recognition.
    assert all(0 <= ln.left < im.width and 0 <= ln.top < im.height for ln in result.lines)


def test_small_text_is_scaled_up_and_rotated_text_straightened():
    require_ocr()
    from PIL import Image

    im = samples.render(RUMOUR, "post", size=13, width=420)
    steps = ocr.preprocess(im.convert("L"))[1]
    assert any(s.startswith("upscale") for s in steps)
    big = samples.render(RUMOUR, "post", size=24).convert("L")
    rotated = big.rotate(4, resample=Image.BICUBIC, expand=True, fillcolor=255)
    prepared, steps = ocr.preprocess(rotated)
    assert any(s.startswith("deskew") for s in steps), steps
    angle = float(next(s for s in steps if s.startswith("deskew")).split()[1].rstrip("°"))
    assert abs(angle + 4) <= 0.6
    assert word_accuracy(RUMOUR, ocr.recognize(rotated).text) > word_accuracy(
        RUMOUR, ocr.recognize(rotated, options={"deskew": False}).text) - 0.001


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width × height but holds one tiny compressed row: a decompression bomb's shape."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("data", "message"), [
    (b"", "rỗng"),
    (b"just some text, not an image", "Không phải tệp ảnh"),
    (samples.to_png(samples.render("abc", "letter"))[:200], "hỏng"),
    (_png_header_only(60000, 60000), "quá nhiều điểm ảnh"),
])
def test_bad_images_get_a_clear_error(data, message):
    with pytest.raises(ocr.OcrError, match=message):
        ocr.load_image(data)


def test_animated_image_uses_its_first_frame():
    from PIL import Image

    frames = [Image.new("RGB", (40, 20), c) for c in ("white", "black")]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
    im = ocr.load_image(buf.getvalue())
    assert im.tell() == 0


def test_missing_tesseract_is_a_clear_error(tmp_path):
    img = tmp_path / "a.png"
    img.write_bytes(samples.to_png(samples.render("xin chào", "letter")))
    res = run("ocr", str(img), env={"KIEMCHUNG_TESSERACT": "/nonexistent/tesseract"})
    assert res.returncode == 1
    err = res.stderr.decode()
    assert "Chưa cài Tesseract" in err and "tesseract-ocr-vie" in err and "Traceback" not in err


def test_cli_prints_text_and_json(tmp_path):
    require_ocr()
    img = tmp_path / "tin.png"
    img.write_bytes(samples.to_png(samples.render(RUMOUR, "letter")))
    res = run("ocr", str(img))
    assert res.returncode == 0, res.stderr.decode()
    assert word_accuracy(RUMOUR, res.stdout.decode()) >= 0.95
    res = run("ocr", "--json", "-", stdin=img.read_bytes())
    assert res.returncode == 0, res.stderr.decode()
    data = json.loads(res.stdout)
    assert char_accuracy(RUMOUR, data["text"]) >= 0.97
    assert data["lines"] and {"text", "confidence"} <= set(data["lines"][0])
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"GIF89a broken")
    res = run("ocr", str(bad))
    assert res.returncode == 1 and "Traceback" not in res.stderr.decode()
    assert "ảnh" in res.stderr.decode()


def test_accuracy_counts_diacritics():
    assert word_accuracy("người dân hoà bình", "người dân hòa bình") == 1.0  # same word, other tone placement
    assert word_accuracy("người dân hoà bình", "nguoi dân hoà bình") == 0.75
    assert char_accuracy("abc", "abd") == pytest.approx(2 / 3)


# --- forged-letter assist -------------------------------------------------------------------------

OCR_LIKE = """UBND TỈNH LAM SƠN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
SỞ GIÁO DỤC VÀ ĐÀO TẠO Độc lập - Tự do - Hạnh phúc

Số: 412/SGDĐT-VP Lam Sơn, ngày 9 tháng 11 năm 2026
V/v cho học sinh nghỉ học

Sở Giáo dục và Đào tạo thông báo toàn bộ học sinh nghỉ học.

KT. GIÁM ĐỐC
PHÓ GIÁM ĐỐC

Lê Thị Hoa"""


def test_letter_fields_from_ocr_text():
    f = letters.extract_fields(OCR_LIKE)
    assert f.number == "412/SGDĐT-VP"
    assert f.date == "2026-11-09"
    assert f.issuer_lines == ["UBND TỈNH LAM SƠN", "SỞ GIÁO DỤC VÀ ĐÀO TẠO"]
    assert f.signer == "Lê Thị Hoa"
    assert f.signer_title in ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")
    assert f.subject == "V/v cho học sinh nghỉ học"
    assert f.found
    plain = letters.extract_fields("Trời hôm nay đẹp quá, đi chơi thôi!")
    assert not plain.found and plain.number is None and plain.signer is None


def _store(db):
    from factories import make_doc

    from kiemchung.ingest import Ingestor

    docs = [
        make_doc("Sở Giáo dục và Đào tạo Lam Sơn: không có công văn số 412/SGDĐT-VP cho học sinh nghỉ học",
                 "Sở khẳng định công văn số 412/SGDĐT-VP đang lan truyền là giả mạo.", kind="official", day=10,
                 url="https://sgddt.lamson.example/tin/1"),
        make_doc("Sở Giáo dục và Đào tạo Lam Sơn tổ chức hội nghị tổng kết năm học",
                 "Hội nghị tổng kết năm học của ngành giáo dục tỉnh Lam Sơn.", kind="official", day=3,
                 url="https://sgddt.lamson.example/tin/2"),
        make_doc("Giá lúa tăng mạnh ở đồng bằng", "Nông dân phấn khởi.", day=4, url="https://news.example/lua"),
    ]
    Ingestor(db).add(docs)


def test_letter_check_shows_statements_with_the_same_number_or_issuer(any_db):
    _store(any_db)
    check = letters.check_letter(any_db, OCR_LIKE)
    assert [s.kind for s in check.by_number][:1] == ["document"]
    assert "412/SGDĐT-VP" in check.by_number[0].title
    titles = [s.title for s in check.by_issuer]
    assert any("hội nghị tổng kết" in t for t in titles)
    assert all("Giá lúa" not in s.title for s in check.by_number + check.by_issuer)
    # OCR dropped the hyphen: the same digits and letters still find the statement.
    misread = letters.check_letter(any_db, OCR_LIKE.replace("412/SGDĐT-VP", "412/SGDĐTVP"))
    assert misread.fields.number == "412/SGDĐTVP" and "412/SGDĐT-VP" in misread.by_number[0].title
    none = letters.check_letter(any_db, OCR_LIKE.replace("412/SGDĐT-VP", "999/SGDĐT-VP"))
    assert none.by_number == [] and none.by_issuer  # no such number stored: shown as none, issuer still listed
    # The denial is still shown (under the issuer or the subject), whatever number the forger wrote.
    assert any("412/SGDĐT-VP" in s.title for s in none.by_issuer + none.by_content)


def test_letter_from_rendered_screenshot_and_cli(tmp_path, db):
    require_ocr()
    _store(db)
    png = samples.to_png(samples.render_letter(LETTER))
    check = letters.check_letter_image(db, png)
    assert check.fields.number == "412/SGDĐT-VP"
    assert check.fields.date == "2026-11-09"
    assert check.fields.signer == "Lê Thị Hoa"
    assert "SỞ GIÁO DỤC VÀ ĐÀO TẠO" in (check.fields.issuer or "")
    assert check.by_number
    img = tmp_path / "cv.png"
    img.write_bytes(png)
    from factories import target_of

    res = run("--db", target_of(db), "ocr", "--letter", str(img))
    out = res.stdout.decode()
    assert res.returncode == 0, res.stderr.decode()
    assert "412/SGDĐT-VP" in out and "số văn bản" in out and "không phải kết luận" in out


def test_web_page_shows_the_image_its_text_and_the_letter_check(db):
    require_ocr()
    import re

    from fastapi.testclient import TestClient
    from test_web_app import PW, csrf_of, login

    from kiemchung import users as U
    from kiemchung.web import create_app

    _store(db)
    U.add_user(db, "bientap", PW, "editor")
    U.add_user(db, "xem", PW, "viewer")
    c = TestClient(create_app(db))
    assert login(c, "bientap").status_code == 303
    page = c.get("/ocr")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    png = samples.to_png(samples.render_letter(LETTER))
    r = c.post("/ocr", data={"csrf": csrf_of(c)}, files={"image": ("cv.png", png, "image/png")})
    assert r.status_code == 200, r.text[:500]
    assert 'src="data:image/png;base64,' in r.text
    assert "412/SGDĐT-VP" in r.text and "Lê Thị Hoa" in r.text
    assert re.search(r'href="/documents/\d+">#\d+</a>', r.text)  # the stored denial, one click away
    assert "không phải kết luận" in r.text
    bad = c.post("/ocr", data={"csrf": csrf_of(c)}, files={"image": ("x.png", b"<script>alert(1)</script>", "image/png")})
    assert bad.status_code == 400 and "Không phải tệp ảnh" in bad.text and "<script>alert" not in bad.text
    en = c.post("/ocr?lang=en", data={"csrf": csrf_of(c)}, files={"image": ("cv.png", png, "image/png")})
    assert "Letter check" in en.text and "issuing body" in en.text
    viewer = TestClient(create_app(db))
    assert login(viewer, "xem").status_code == 303
    assert viewer.get("/ocr").status_code == 403
    assert 'href="/ocr"' not in viewer.get("/").text


# --- the background stage -----------------------------------------------------------------------

def test_ocr_stage_joins_image_text_to_documents_for_search_and_alerts(any_db):
    require_ocr()
    from factories import make_doc

    from kiemchung.claims.alerts import list_alerts
    from kiemchung.claims.factchecks import create_factcheck, publish_factcheck
    from kiemchung.images.ocr_stage import OcrStage
    from kiemchung.images.store import ImageStore
    from kiemchung.ingest import Ingestor
    from kiemchung.pipeline import run_slow_round
    from kiemchung.store import progress
    from kiemchung.store.search import search

    db = any_db
    fc = create_factcheck(db, "Nhà máy nước thị xã Lam Sơn bị nhiễm độc, người dân không được dùng nước máy",
                          "sai sự thật", editor="lan", evidence=["https://lamson.example/tb.html"])
    publish_factcheck(db, fc.id, "lan")
    Ingestor(db).add([
        make_doc("", "Mọi người xem ảnh này, có thật không?", kind="post", external_id="p1", platform="facebook", day=3),
        make_doc("", "Cũng ảnh đó, ai gửi vào nhóm lớp", kind="post", external_id="p2", platform="facebook", day=4),
        make_doc("Giá lúa tăng", "Nông dân phấn khởi.", url="https://news.example/lua", day=4),
    ])
    ids = {d.external_id or d.url: d.id for d in db.iter_documents()}
    assert search(db, '"nhiễm độc"').hits == []
    assert OcrStage(db).run().links == 0  # nothing tied yet: no OCR, no marker
    store = ImageStore(db)
    png = samples.to_png(samples.render(RUMOUR, "chat"))
    store.add(png, "document", ids["p1"])
    store.add(png, "document", ids["p2"])  # the same screenshot sent twice: recognised once
    store.add(samples.to_png(samples.render("", "letter")), "document", ids["https://news.example/lua"])
    report = OcrStage(db).run()
    assert (report.links, report.recognised, report.documents) == (3, 2, 2)
    hits = {h.document.id for h in search(db, '"nhiễm độc"').hits}
    assert hits == {ids["p1"], ids["p2"]}
    doc = db.get_document(ids["p1"])
    assert doc.body.startswith("Mọi người") or "Mọi người" in (doc.lead + doc.body)
    assert "nhà máy nước" in doc.body.lower()
    (sha, item), = doc.meta["ocr"].items()
    assert sha == store.for_target("document", ids["p1"])[0].sha256 and "Khẩn cấp" in item["text"]
    assert item["confidence"] > 50
    assert doc.body[doc.meta["ocr_from"]:].startswith("Nguyễn Văn An")
    alerts = list_alerts(db)
    assert {a.doc_id for a in alerts} >= {ids["p1"], ids["p2"]} and {a.factcheck_id for a in alerts} == {fc.id}
    assert progress.last_doc_id(db, progress.OCR) > 0
    # Resumable and idempotent: a second run has nothing to do, the body does not grow.
    again = OcrStage(db).run()
    assert (again.links, again.documents) == (0, 0)
    assert db.get_document(ids["p1"]).body == doc.body
    assert run_slow_round(db, ner=False, docs_per_round=10)["ocr"] == 0


def test_ocr_stage_without_tesseract_waits_and_keeps_its_place(db, monkeypatch):
    from factories import make_doc

    from kiemchung.images.ocr_stage import OcrStage
    from kiemchung.images.store import ImageStore
    from kiemchung.ingest import Ingestor

    Ingestor(db).add([make_doc("", "ảnh", kind="post", external_id="p1", platform="facebook", day=3)])
    doc_id = next(iter(db.iter_documents())).id
    ImageStore(db).add(samples.to_png(samples.render("xin chào", "letter")), "document", doc_id)
    monkeypatch.setenv("KIEMCHUNG_TESSERACT", "/nonexistent/tesseract")
    report = OcrStage(db).run()
    assert report.links == 0 and "Tesseract" in report.unavailable
    assert OcrStage(db).last_link_id() == 0  # nothing skipped: read once Tesseract is installed


def test_demo_forged_letter_finds_the_provinces_denial_and_the_factcheck(tmp_path):
    """The demo's forged-letter screenshot, checked against the demo installation (bundled sample): the
    province's denial and the fact-check of the claim are shown, no statement carries its number."""
    require_ocr()
    from rich.console import Console

    from kiemchung.cli.demo import run_demo
    from kiemchung.store import Database

    run_demo(tmp_path / "demo.db", Console(quiet=True))
    db = Database(tmp_path / "demo.db")
    try:
        names = [n for n, _ in samples.demo_images()]
        assert names == ["tin-bao-chat.png", "tin-bao-post.png", "cong-van-gia.png"]
        check = letters.check_letter_image(db, samples.demo_images()[-1][1])
        assert check.fields.number == "2468/UBND-KT" and check.fields.signer == "Nguyễn Văn Hải"
        assert check.by_number == []
        kinds = {(s.kind, s.title.split(" ")[0]) for s in check.by_content}
        assert any(s.kind == "document" and "giả mạo" in s.title for s in check.by_content), check.by_content
        assert any(s.kind == "factcheck" and "5 triệu" in s.title for s in check.by_content), kinds
        assert all("Lam Giang" in s.title for s in check.by_issuer) and check.by_issuer
    finally:
        db.close()


def test_tip_with_a_letter_screenshot_shows_the_letter_check(db):
    """A tip carrying a forged-letter screenshot: after the OCR stage its page shows the image's text and
    the letter check (no statement with its number; the denial found by what it says)."""
    require_ocr()
    from fastapi.testclient import TestClient
    from test_web_app import PW, login

    from kiemchung import users as U
    from kiemchung.images.ocr_stage import OcrStage
    from kiemchung.tips import service as S
    from kiemchung.web import create_app

    _store(db)
    png = samples.to_png(samples.render_letter(samples.Letter(**{**LETTER.__dict__, "number": "Số: 977/SGDĐT-VP"})))
    tip, _ = S.submit_tip(db, text="Công văn này có thật không?", images=[S.TipImage(png, "image/png", "cv.png")],
                          ip="192.0.2.7")
    assert OcrStage(db).run().documents == 1
    U.add_user(db, "xem", PW, "viewer")
    c = TestClient(create_app(db))
    assert login(c, "xem").status_code == 303
    page = c.get(f"/tips/{tip.id}").text
    assert "977/SGDĐT-VP" in page and "Đối chiếu công văn" in page and "không phải kết luận" in page
    assert "Không có văn bản nào đã lưu." in page  # nothing carries its number
    assert "không có công văn số 412/SGDĐT-VP" in page  # the office's denial, by what the letter says


def test_api_reads_an_image_and_checks_a_letter(db):
    require_ocr()
    import base64

    from fastapi.testclient import TestClient

    from kiemchung import users as U
    from kiemchung.web import create_app

    _store(db)
    U.add_user(db, "bientap", "mat-khau-bien-tap-1", "editor")
    U.add_user(db, "xem", "mat-khau-xem-12345", "viewer")
    app = create_app(db)
    c = TestClient(app, headers={"Authorization": f"Bearer {U.create_token(db, 'bientap')}"})
    png = samples.to_png(samples.render_letter(LETTER))
    r = c.post("/api/v1/ocr", json={"image": base64.b64encode(png).decode(), "letter": True})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["lines"] and 0 <= data["lines"][0]["confidence"] <= 100
    assert data["letter"]["fields"]["number"] == "412/SGDĐT-VP" and data["letter"]["by_number"]
    assert c.post("/api/v1/ocr", json={"image": "không phải base64"}).status_code == 400
    bad = c.post("/api/v1/ocr", json={"image": base64.b64encode(b"GIF89a...").decode()})
    assert bad.status_code == 400 and "ảnh" in bad.json()["detail"]
    viewer = TestClient(app, headers={"Authorization": f"Bearer {U.create_token(db, 'xem')}"})
    assert viewer.post("/api/v1/ocr", json={"image": base64.b64encode(png).decode()}).status_code == 403
    assert "/api/v1/ocr" in c.get("/api/v1/openapi.json").json()["paths"]
