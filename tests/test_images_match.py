"""Image matching: fact-checks hold images; a resized, re-compressed or captioned copy is recognised,
an unrelated image is not; a matching image in a new document raises an alert through the alert path;
``kiemchung images match`` prints the fact-checks or nothing."""

from __future__ import annotations

import json
import random

import pytest
from factories import make_doc, run_cli_in_process, target_of
from imagekit import board, encoded, picture, with_caption

from kiemchung.audit import entries
from kiemchung.claims.alerts import AlertEngine, list_alerts
from kiemchung.claims.factchecks import create_factcheck, publish_factcheck
from kiemchung.claims.match import ClaimMatcher, MatchConfig
from kiemchung.images.match import (
    ImageMatcher,
    attach_to_factcheck,
    detach_from_factcheck,
    match_factchecks,
    reference_entries,
)
from kiemchung.images.phash import BKTree, HashIndex
from kiemchung.images.store import ImageStore
from kiemchung.ingest import Ingestor

pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


def _factcheck(db, claim="Ảnh lũ cuốn trôi cầu Tây Hà là ảnh mới chụp hôm qua"):
    fc = create_factcheck(db, claim, "tin giả", editor="lan", evidence=["https://soyte.example/tb.html"])
    publish_factcheck(db, fc.id, "lan")
    return fc


def test_hash_index_and_bk_tree_agree_with_a_linear_scan():
    rnd = random.Random(3)
    stored = [rnd.getrandbits(64) for _ in range(3000)]
    base = stored[17]
    stored += [base ^ (1 << rnd.randrange(64)) ^ (1 << rnd.randrange(64)) for _ in range(5)]  # near copies
    index, tree = HashIndex(), BKTree()
    for i, h in enumerate(stored):
        index.add(h, i)
        tree.add(f"{h:016x}", i)
    for q in (base, stored[5], rnd.getrandbits(64)):
        for d in (0, 2, 3, 8, 12):
            want = sorted(((i, (h ^ q).bit_count()) for i, h in enumerate(stored) if (h ^ q).bit_count() <= d),
                          key=lambda t: (t[1], t[0]))
            assert index.within(q, d) == want
            assert tree.within(q, d) == want


def test_transformed_copies_match_and_unrelated_images_do_not():
    from kiemchung.images.store import decode

    original = picture(11, (640, 480))
    m = ImageMatcher()
    d0 = decode(encoded(original, "PNG"))
    m.add(1, d0.phash, reference_entries(d0.clean, d0.crop_hashes), [101])
    for seed in range(20, 40):  # unrelated pictures stored too, with their windows
        d = decode(encoded(picture(seed, (640, 480)), "PNG"))
        m.add(seed, d.phash, reference_entries(d.clean), [seed])
    assert m.windows() > 100 * 21
    copies = {
        "resized": original.resize((320, 240)),
        "recompressed": original,
        "captioned": with_caption(original),
        "cropped": original.crop((80, 20, 620, 430)),  # 72 % of the area kept, off-centre
        "cropped from another corner": original.crop((0, 40, 560, 480)),
    }
    for name, img in copies.items():
        q = decode(encoded(img, "JPEG", quality=30 if name == "recompressed" else 85))
        found = m.match(q.phash, q.crop_hashes)
        assert found and found[0].image_id == 1 and found[0].factcheck_ids == (101,), name
    for seed in range(60, 80):
        q = decode(encoded(picture(seed, (640, 480)), "JPEG"))
        assert all(f.image_id != 1 for f in m.match(q.phash, q.crop_hashes)), seed


def _pie(colours, size=(640, 420)):
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, (250, 250, 250))
    draw = ImageDraw.Draw(img)
    draw.text((40, 12), "Tỷ lệ hộ dân được hỗ trợ", fill=(20, 20, 20))
    start = 30
    for colour, extent in zip(colours, (140, 100, 120), strict=True):
        draw.pieslice([170, 60, 470, 360], start, start + extent, fill=colour, outline="white")
        start += extent
    return img


def test_colour_layout_tells_apart_charts_that_differ_only_in_colour():
    """Two pie charts of one layout whose slices differ in colour but not in grey level: pHash and dHash
    (grey structure) agree; the colour layout (the independent second check) does not."""
    from kiemchung.images.store import decode

    # pairs of colours of (nearly) the same grey level: 0.299 R + 0.587 G + 0.114 B
    a = _pie([(220, 80, 80), (60, 90, 230), (200, 200, 60)])
    b = _pie([(40, 170, 60), (150, 70, 90), (120, 220, 250)])
    da, db_ = decode(encoded(a, "PNG")), decode(encoded(b, "PNG"))
    for colour in (None, 12.0):
        m = ImageMatcher(colour_distance=colour)
        m.add(1, da.phash, reference_entries(da.clean, da.crop_hashes), [101])
        found = m.match(db_.phash, db_.crop_hashes)
        if colour is None:  # the grey structure alone says "the same picture"
            assert [f.image_id for f in found] == [1]
        else:
            assert found == []
        copy = decode(encoded(a.resize((320, 210)), "JPEG", quality=40))
        hit = m.match(copy.phash, copy.crop_hashes)
        assert hit and hit[0].image_id == 1
        if colour is not None:
            assert hit[0].colour is not None and hit[0].colour <= colour and "màu/colour" in hit[0].describe()


def test_entries_kept_before_colour_layouts_still_match_and_are_computed_again():
    """Rows kept before the colour layout hold 33-character entries: they parse without one, match without
    the colour check, and a fact-check's windows without one count as missing (ensure_windows redoes them)."""
    from kiemchung.images.match import has_windows
    from kiemchung.images.phash import parse_entry
    from kiemchung.images.store import decode

    original = picture(11, (640, 480))
    d0 = decode(encoded(original, "PNG"))
    entries = reference_entries(d0.clean, d0.crop_hashes)
    assert has_windows(entries) and all(parse_entry(e)[3] is not None for e in entries)
    old = [e[:33] for e in entries]
    assert parse_entry(old[0])[3] is None and not has_windows(old)
    m = ImageMatcher()
    m.add(1, d0.phash, old, [101])
    copy = decode(encoded(original.crop((80, 20, 620, 430)), "JPEG", quality=85))  # as in the test above
    found = m.match(copy.phash, [e[:33] for e in copy.crop_hashes])
    assert found and found[0].image_id == 1 and found[0].method == "window" and found[0].colour is None


def test_factcheck_images_are_audited_and_matched(db):
    fc = _factcheck(db)
    original = picture(5, (600, 400))
    img = attach_to_factcheck(db, fc.id, encoded(original, "JPEG", quality=90), editor="lan")
    assert [i.id for i in ImageStore(db).for_target("factcheck", fc.id)] == [img.id]
    assert any(e["action"] == "factcheck.image_add" for e in entries(db, limit=20))
    found = match_factchecks(db, encoded(original.resize((300, 200)), "PNG"))
    assert [(f.factcheck_id, f.method) for f in found] == [(fc.id, "phash")] and found[0].distance <= 10
    assert match_factchecks(db, encoded(picture(99, (600, 400)), "PNG")) == []
    assert detach_from_factcheck(db, fc.id, img.id, editor="lan")
    assert match_factchecks(db, encoded(original, "PNG")) == []


def test_a_document_with_a_matching_image_raises_an_alert(db):
    fc = _factcheck(db)
    original = picture(8, (640, 480))
    attach_to_factcheck(db, fc.id, encoded(original, "JPEG", quality=92), editor="lan")
    other = _factcheck(db, "Trường học Tây Hà cho học sinh nghỉ cả tuần vì dịch")
    attach_to_factcheck(db, other.id, encoded(board(), "PNG"), editor="lan")
    # two posts with no words in common with the claims: one carries a resized, re-compressed copy (a
    # caption is recognised far less often: docs/images.md), one another image
    Ingestor(db).add([make_doc("", "xem cái này đi mọi người", kind="post", external_id="p1", platform="facebook"),
                      make_doc("", "trời đẹp quá hôm nay", kind="post", external_id="p2", platform="facebook")])
    docs = sorted(db.iter_documents(), key=lambda d: d.id)
    store = ImageStore(db)
    store.add(encoded(original.resize((480, 360)), "JPEG", quality=60), "document", docs[0].id)
    store.add(encoded(picture(77, (640, 480)), "JPEG"), "document", docs[1].id)
    engine = AlertEngine(db, ClaimMatcher(MatchConfig(semantic=False)))
    created = engine.process(docs, notify=False)
    assert [(a.doc_id, a.factcheck_id, a.level) for a in created] == [(docs[0].id, fc.id, "repeat")]
    reason = list_alerts(db)[0].reason
    assert reason and "ảnh" in reason[0] and "image" in reason[0]
    assert engine.process(docs, notify=False) == []  # once per document and fact-check


def test_cli_images_match_prints_the_factcheck_or_nothing(db, tmp_path, capsys):
    fc = _factcheck(db)
    original = picture(21, (500, 500))
    path = tmp_path / "goc.png"
    path.write_bytes(encoded(original, "PNG"))
    assert run_cli_in_process(target_of(db), "images", "add", str(path), "--factcheck", str(fc.id), "--editor", "lan") == 0
    capsys.readouterr()
    copy = tmp_path / "ban-sao.jpg"
    copy.write_bytes(encoded(original.resize((250, 250)), "JPEG", quality=40))
    assert run_cli_in_process(target_of(db), "images", "match", str(copy)) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"#{fc.id}\tpHash ") and "cầu Tây Hà" in out
    assert run_cli_in_process(target_of(db), "images", "match", str(copy), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["factcheck_id"] == fc.id and data[0]["distance"] <= 10
    unrelated = tmp_path / "khac.png"
    unrelated.write_bytes(encoded(picture(22, (500, 500)), "PNG"))
    assert run_cli_in_process(target_of(db), "images", "match", str(unrelated)) == 0
    assert capsys.readouterr().out == ""
    bad = tmp_path / "anh.jpg"
    bad.write_bytes(b"<svg onload=alert(1)></svg>")
    assert run_cli_in_process(target_of(db), "images", "match", str(bad)) == 1
    err = capsys.readouterr().err
    assert "Không phải ảnh" in err and "not a JPEG" in err and "Traceback" not in err


def test_a_cropped_and_a_captioned_copy_raise_image_alerts_end_to_end(db):
    """A fact-check image that comes back cropped (off-centre) or with a caption band raises an image
    alert through the alert stage on a real store; an unrelated picture does not."""
    fc = _factcheck(db)
    original = picture(31, (720, 540))
    attach_to_factcheck(db, fc.id, encoded(original, "JPEG", quality=92), editor="lan")
    other = _factcheck(db, "Trường học Tây Hà cho học sinh nghỉ cả tuần vì dịch")
    attach_to_factcheck(db, other.id, encoded(board(), "PNG"), editor="lan")
    Ingestor(db).add([make_doc("", "ảnh này là thật không", kind="post", external_id="c1", platform="facebook"),
                      make_doc("", "chia sẻ cho mọi người cùng biết", kind="post", external_id="c2", platform="facebook"),
                      make_doc("", "trời đẹp quá hôm nay", kind="post", external_id="c3", platform="facebook")])
    docs = sorted(db.iter_documents(), key=lambda d: d.id)
    store = ImageStore(db)
    cropped = original.crop((0, 60, 610, 540))  # 75 % of the area, cut from the right and the top
    store.add(encoded(cropped.resize((460, 362)), "JPEG", quality=70), "document", docs[0].id)
    store.add(encoded(with_caption(original, band=0.18), "JPEG", quality=80), "document", docs[1].id)
    store.add(encoded(picture(78, (720, 540)), "JPEG"), "document", docs[2].id)
    created = AlertEngine(db, ClaimMatcher(MatchConfig(semantic=False))).process(docs, notify=False)
    assert sorted((a.doc_id, a.factcheck_id, a.level) for a in created) == [
        (docs[0].id, fc.id, "repeat"), (docs[1].id, fc.id, "repeat")]
    reasons = {a.doc_id: a.reason[0] for a in list_alerts(db)}
    assert "vùng cắt" in reasons[docs[0].id] and "crop window" in reasons[docs[0].id]


def _letter(number: str, subject: str, body: str):
    from kiemchung.images.samples import Letter, render_letter

    return render_letter(Letter("UBND TỈNH QUẢNG NAM", "SỞ Y TẾ", number, "Quảng Nam, ngày 12 tháng 3 năm 2026",
                                subject, body, "GIÁM ĐỐC", "Trần Văn Bình"), size=20, width=900)


def test_two_letters_of_one_layout_do_not_match_but_copies_of_one_do():
    """Two official letters in one layout (same issuer, font, size, number of lines) differ only in their
    words: pHash, dHash and the colour layout agree, the fine hash of a text page does not. A resized,
    re-compressed or cropped copy of one letter still matches it."""
    from kiemchung.images.match import FINE_DISTANCE
    from kiemchung.images.phash import is_text_page, parse_entry
    from kiemchung.images.store import decode

    a = _letter("Số: 412/SYT-NV", "V/v tạm dừng tiêm chủng vắc xin tại các trạm y tế",
                "Sở Y tế đề nghị các đơn vị tạm dừng tiêm chủng vắc xin phòng bệnh sởi tại các trạm y tế xã trong "
                "thời gian chờ kết quả kiểm định lô vắc xin mới. Các đơn vị báo cáo số liều đã tiêm và số phản ứng "
                "sau tiêm về Sở trước ngày 20 tháng 3 năm 2026 để tổng hợp.")
    b = _letter("Số: 87/SYT-KH", "V/v tăng cường kiểm tra an toàn thực phẩm trong dịp lễ",
                "Để bảo đảm an toàn thực phẩm trong dịp lễ, Sở Y tế yêu cầu các phòng y tế huyện phối hợp với chợ "
                "và bếp ăn tập thể kiểm tra nguồn gốc hàng hóa, xử lý nghiêm các trường hợp vi phạm. Kết quả kiểm "
                "tra gửi về Sở trước ngày 25 tháng 3 năm 2026 qua thư điện tử.")
    assert a.size == b.size
    da, db_ = decode(encoded(a, "PNG")), decode(encoded(b, "PNG"))
    stored = reference_entries(da.clean, da.crop_hashes)
    assert is_text_page(parse_entry(stored[0])[3]) and parse_entry(stored[0])[4] is not None
    w, h = a.size
    copies = {
        "resized": (a.resize((w // 2, h // 2)), 60),
        "recompressed": (a, 30),
        "cropped off-centre": (a.crop((int(w * 0.08), int(h * 0.10), int(w * 0.97), int(h * 0.95))), 60),
        "cropped from a corner": (a.crop((0, 0, int(w * 0.85), int(h * 0.88))), 60),
    }
    for fine in (None, FINE_DISTANCE):
        m = ImageMatcher(fine_distance=fine)
        m.add(1, da.phash, stored, [101])
        other = m.match(db_.phash, db_.crop_hashes)
        if fine is None:  # the grey structure and the colour layout alone say "the same picture"
            assert [f.image_id for f in other] == [1]
        else:
            assert other == []
        for name, (img, quality) in copies.items():
            q = decode(encoded(img, "JPEG", quality=quality))
            found = m.match(q.phash, q.crop_hashes)
            assert found and found[0].image_id == 1, (fine, name)


def test_entries_kept_before_fine_hashes_match_without_them_and_are_computed_again():
    """Entries kept before the fine hash (129 characters) parse without one, skip the fine check, and a
    fact-check's windows without one count as missing (ensure_windows redoes them)."""
    from kiemchung.images.match import has_windows
    from kiemchung.images.phash import parse_entry
    from kiemchung.images.store import decode

    a = _letter("Số: 5/SYT-VP", "V/v lịch trực", "Các phòng bố trí lịch trực trong dịp lễ và báo cáo về Văn phòng Sở.")
    d = decode(encoded(a, "PNG"))
    entries = reference_entries(d.clean, d.crop_hashes)
    old = [e[:129] for e in entries]
    assert parse_entry(old[0])[3] is not None and parse_entry(old[0])[4] is None
    assert has_windows(entries) and not has_windows(old)
    m = ImageMatcher()
    m.add(1, d.phash, old, [101])
    q = decode(encoded(a.resize((450, a.height // 2)), "JPEG", quality=60))
    assert [f.image_id for f in m.match(q.phash, [e[:129] for e in q.crop_hashes])] == [1]
