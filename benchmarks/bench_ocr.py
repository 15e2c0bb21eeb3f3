"""OCR accuracy and throughput on Vietnamese screenshots rendered here, clean and degraded.

The texts below were written for this benchmark (none comes from ../shared/data): chat messages,
official letters and social posts of the kind citizens forward to an office. Each is rendered with
Debian's fonts (DejaVu Sans/Serif, Noto Sans/Serif; kiemchung.images.samples) as a chat bubble, an
official letter page or a social post, then degraded:

* ``clean``: the PNG as rendered;
* ``jpeg30``: JPEG quality 30 (a screenshot forwarded through a few chat apps);
* ``half``: scaled to 50 % (a small screenshot, text ~10 px high), saved as JPEG 85;
* ``rot3``: rotated 3° (a crooked crop), JPEG 85;
* ``photo``: a phone photo of a screen: perspective tilt, Gaussian blur (radius 1.2), uneven lighting,
  sensor noise, JPEG 75.

For each condition it prints character and word accuracy (diacritics counted:
kiemchung.images.accuracy) with the pre-processing kiemchung applies, and, to measure each step, with
none (``--raw``: the image as Tesseract would get it) and without one step at a time. Then throughput:
images/s on one process and on two (``OMP_THREAD_LIMIT=1``, one tesseract per core), and the OCR stage's
cost per document in the pipeline.

Usage: flock /work/bench.lock python benchmarks/bench_ocr.py [--quick] [--workers 2]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from kiemchung.images import ocr, samples  # noqa: E402
from kiemchung.images.accuracy import char_accuracy, word_accuracy  # noqa: E402

CHATS = [
    "Anh ơi, em vừa nghe nói chiều nay cầu Bến Thủy sẽ cấm xe máy đến hết tháng. Có đúng không anh?",
    "Mọi người ơi, trường con mình vừa báo nghỉ học ba ngày vì bão số 7 đổ bộ, nhà ai có con nhỏ nhớ chú ý nhé.",
    "Chị gửi em tin nhắn của bên điện lực: từ thứ hai sẽ cắt điện luân phiên mỗi ngày bốn tiếng ở khu phố mình.",
    "Bạn ơi đừng uống nước chanh nóng để chữa ung thư nha, bác sĩ bảo tin đó là sai hoàn toàn đấy.",
    "Tổ dân phố thông báo: sáng chủ nhật tuần này tập trung dọn vệ sinh đường làng, mỗi hộ cử một người.",
    "Nghe đồn ngân hàng sắp đổi tiền mới, ai giữ tiền mặt thì phải đổi trước ngày mười lăm kẻo mất giá.",
    "Em ơi, giá xăng tối nay tăng hay giảm vậy? Chị định đi đổ đầy bình trước khi điều chỉnh.",
    "Cả nhà ơi, bà ngoại đã xuất viện rồi, sức khỏe ổn định, cuối tuần mình về quê thăm bà nhé.",
]
POSTS = [
    "KHẨN CẤP: Từ ngày mai toàn tỉnh sẽ phong tỏa để phòng dịch, người dân nên mua dự trữ lương thực ngay "
    "hôm nay. Hãy chia sẻ để mọi người cùng biết!",
    "Chiều nay tại ngã tư chợ huyện xảy ra vụ va chạm giữa xe tải và xe máy, rất may không có thương vong. "
    "Lực lượng chức năng đang phân luồng giao thông.",
    "Cảnh báo: đang có kẻ giả danh nhân viên y tế đến từng nhà thu tiền tiêm vắc xin tại nhà. Bà con tuyệt "
    "đối không đưa tiền cho người lạ.",
    "Xã tôi vừa khánh thành cây cầu mới bắc qua sông, từ nay các cháu học sinh không phải đi đò sang trường "
    "nữa. Niềm vui của cả làng!",
    "Thông tin mới nhất: nước sông Hồng đang lên nhanh, các hộ dân ven đê cần chủ động di chuyển tài sản lên "
    "chỗ cao theo hướng dẫn của chính quyền.",
    "Ai bị mất ví màu nâu ở bến xe phía Bắc sáng nay thì liên hệ mình nhé, trong ví có căn cước và một ít "
    "tiền mặt.",
    "Sự thật về muối i-ốt: ăn nhiều không giúp chống phóng xạ như lời đồn. Hãy hỏi ý kiến bác sĩ trước khi "
    "dùng bất kỳ loại thuốc nào.",
    "Hội chợ nông sản cuối tuần này có bưởi, cam, vải thiều và nhiều đặc sản vùng miền, giá bán tận vườn "
    "cho bà con.",
]
LETTERS = [
    samples.Letter("UBND TỈNH LAM SƠN", "SỞ Y TẾ", "Số: 1024/SYT-NVY", "Lam Sơn, ngày 3 tháng 4 năm 2026",
                   "V/v tăng cường phòng chống sốt xuất huyết",
                   "Sở Y tế đề nghị các bệnh viện và trung tâm y tế huyện tăng cường giám sát, phát hiện sớm ca "
                   "bệnh, tổ chức diệt lăng quăng tại các khu dân cư và báo cáo kết quả trước ngày 15 hằng tháng.",
                   "GIÁM ĐỐC", "Nguyễn Thị Mai"),
    samples.Letter("UBND HUYỆN ĐÔNG HÀ", "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO", "Số: 87/PGDĐT-TH",
                   "Đông Hà, ngày 21 tháng 9 năm 2026", "V/v tổ chức ngày hội đọc sách",
                   "Phòng Giáo dục và Đào tạo hướng dẫn các trường tiểu học tổ chức ngày hội đọc sách cho học "
                   "sinh, khuyến khích phụ huynh cùng tham gia và quyên góp sách cho thư viện trường.",
                   "TRƯỞNG PHÒNG", "Trần Quốc Huy"),
    samples.Letter("BỘ TÀI CHÍNH", "CỤC THUẾ TỈNH BÌNH AN", "Số: 5612/CT-TTHT", "Bình An, ngày 8 tháng 12 năm 2026",
                   "V/v hướng dẫn quyết toán thuế thu nhập cá nhân",
                   "Cục Thuế hướng dẫn người nộp thuế thực hiện quyết toán thuế thu nhập cá nhân năm 2026 qua cổng "
                   "thông tin điện tử, hạn chót nộp hồ sơ là ngày cuối cùng của tháng thứ tư.",
                   "CỤC TRƯỞNG", "Phạm Văn Long"),
    samples.Letter("UBND TỈNH LAM SƠN", "BAN CHỈ HUY PHÒNG CHỐNG THIÊN TAI", "Số: 19/BCH-PCTT",
                   "Lam Sơn, ngày 14 tháng 10 năm 2026", "V/v ứng phó với bão số 9",
                   "Ban Chỉ huy yêu cầu các địa phương ven biển kêu gọi tàu thuyền vào nơi tránh trú an toàn, sơ "
                   "tán người dân khỏi vùng nguy hiểm và bố trí lực lượng trực ban hai mươi bốn giờ mỗi ngày.",
                   "TRƯỞNG BAN", "Lê Minh Tuấn"),
    samples.Letter("UBND THÀNH PHỐ HÀ TIÊN", "SỞ GIAO THÔNG VẬN TẢI", "Số: 330/SGTVT-QLGT",
                   "Hà Tiên, ngày 2 tháng 6 năm 2026", "V/v phân luồng giao thông",
                   "Sở Giao thông vận tải thông báo phân luồng giao thông trên tuyến đường ven sông để thi công "
                   "cầu mới, các phương tiện đi theo hướng dẫn của biển báo và lực lượng chức năng.",
                   "PHÓ GIÁM ĐỐC", "Võ Thanh Sơn"),
    samples.Letter("UBND XÃ PHÚ LỘC", "BAN CÔNG AN XÃ", "Số: 45/CAX-TH", "Phú Lộc, ngày 27 tháng 2 năm 2026",
                   "V/v cảnh giác lừa đảo qua điện thoại",
                   "Công an xã đề nghị bà con cảnh giác với các cuộc gọi giả danh cơ quan công an yêu cầu chuyển "
                   "tiền, tuyệt đối không cung cấp mã xác thực ngân hàng cho bất kỳ ai.",
                   "TRƯỞNG CÔNG AN XÃ", "Đặng Văn Hùng"),
    samples.Letter("UBND TỈNH BÌNH AN", "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "Số: 2207/SNNMT-CCTL",
                   "Bình An, ngày 5 tháng 8 năm 2026", "V/v chủ động tưới tiêu vụ hè thu",
                   "Sở Nông nghiệp và Môi trường đề nghị các huyện chủ động điều tiết nước tưới tiêu cho vụ hè thu, "
                   "theo dõi mực nước các hồ chứa và hướng dẫn nông dân gieo sạ đúng lịch.",
                   "GIÁM ĐỐC", "Hoàng Thị Lan"),
    samples.Letter("ĐẠI HỌC LAM SƠN", "TRƯỜNG ĐẠI HỌC SƯ PHẠM", "Số: 611/ĐHSP-ĐT", "Lam Sơn, ngày 30 tháng 7 năm 2026",
                   "V/v lịch nhập học khóa mới",
                   "Trường Đại học Sư phạm thông báo lịch nhập học cho tân sinh viên khóa mới, sinh viên mang theo "
                   "giấy báo trúng tuyển, căn cước và hồ sơ sức khỏe khi làm thủ tục.",
                   "HIỆU TRƯỞNG", "Bùi Đức Anh"),
]
FAMILIES = ("dejavu-sans", "noto-sans", "dejavu-serif", "noto-serif")


def letter_truth(lt: samples.Letter) -> str:
    """The words of a letter page, in the order that is compared (the header's two columns as OCR reads
    them does not matter for word accuracy: we compare the bag order-insensitively below)."""
    return "\n".join([lt.issuer_parent, lt.issuer, lt.number, lt.subject, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                      "Độc lập - Tự do - Hạnh phúc", lt.place_date, lt.body, lt.signer_title, lt.signer])


def build_set(quick: bool):
    """(id, style, truth, PIL image) for every rendered screenshot."""
    out = []
    for i, txt in enumerate(CHATS[:3] if quick else CHATS):
        fam = FAMILIES[i % 2]
        im = samples.render(txt, "chat", family=fam, size=22, author="Nhóm Phụ huynh lớp 5A")
        out.append((f"chat{i}", "chat", "Nhóm Phụ huynh lớp 5A\n" + txt, im))
    for i, txt in enumerate(POSTS[:3] if quick else POSTS):
        fam = FAMILIES[(i + 1) % 2]
        im = samples.render(txt, "post", family=fam, size=21, author="Tin Nóng Lam Sơn", when="3 giờ trước")
        out.append((f"post{i}", "post", "Tin Nóng Lam Sơn\n3 giờ trước\n" + txt + "\nThích Bình luận Chia sẻ", im))
    for i, lt in enumerate(LETTERS[:3] if quick else LETTERS):
        fam = FAMILIES[2 + i % 2]
        im = samples.render_letter(lt, family=fam, size=20)
        out.append((f"letter{i}", "letter", letter_truth(lt), im))
    return out


def _jpeg(im, q: int):
    from PIL import Image

    buf = io.BytesIO()
    im.convert("RGB").save(buf, format="JPEG", quality=q)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _photo(im, seed: int):
    """A phone photo of a screen: perspective tilt, blur, uneven light, noise, JPEG."""
    import numpy as np
    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    w, h = im.size
    m = 0.04
    # Perspective: the top edge slightly narrower than the bottom (the phone held below the screen).
    dx = w * m * rng.uniform(0.6, 1.0)
    dy = h * m * rng.uniform(0.0, 0.4)
    quad = (dx, dy, -0.0, h, w, h, w - dx, dy * 0.5)
    big = Image.new("RGB", (w, h), (255, 255, 255))
    big.paste(im.convert("RGB"))
    warped = big.transform((w, h), Image.QUAD, quad, resample=Image.BICUBIC, fillcolor=(200, 200, 200))
    warped = warped.filter(ImageFilter.GaussianBlur(1.2))
    a = np.asarray(warped, dtype=np.float32)
    yy, xx = np.mgrid[0:h, 0:w]
    light = 0.85 + 0.15 * (xx / w) * (1 - 0.3 * yy / h)
    a = a * light[..., None] + np.random.default_rng(seed).normal(0, 6, a.shape)
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    return _jpeg(out, 75)


def degrade(im, cond: str, seed: int):
    from PIL import Image

    if cond == "clean":
        return im
    if cond == "jpeg30":
        return _jpeg(im, 30)
    if cond == "half":
        return _jpeg(im.resize((im.width // 2, im.height // 2), Image.LANCZOS), 85)
    if cond == "rot3":
        return _jpeg(im.convert("RGB").rotate(3, resample=Image.BICUBIC, expand=True, fillcolor=(255, 255, 255)), 85)
    if cond == "photo":
        return _photo(im, seed)
    raise ValueError(cond)


CONDITIONS = ("clean", "jpeg30", "half", "rot3", "photo")
CONFIGS = {
    "kiemchung": dict(prepare=True),
    "raw": dict(prepare=False),
    "no-upscale": dict(prepare=True, options={"upscale": False}),
    "no-deskew": dict(prepare=True, options={"deskew": False}),
    "no-autocontrast": dict(prepare=True, options={"autocontrast": False}),
    # candidates measured before choosing the defaults (docs/ocr.md)
    "sharpen": dict(prepare=True, options={"sharpen": True}),  # on top of the defaults
    "line40": dict(prepare=True, options={"line_px": 40}),
    "line40-sharpen": dict(prepare=True, options={"line_px": 40, "sharpen": True}),
}


def _version() -> str:
    import pytesseract

    return str(pytesseract.get_tesseract_version())


def _line_order_free(truth: str, got: str) -> tuple[float, float]:
    """Accuracy insensitive to the order in which OCR reads the blocks: truth and OCR words sorted."""
    from kiemchung import text as ktext

    t = sorted(ktext.normalize(truth).split())
    g = sorted(ktext.normalize(got).split())
    return word_accuracy(" ".join(t), " ".join(g)), char_accuracy(" ".join(t), " ".join(g))


def score(style: str, truth: str, got: str) -> tuple[float, float]:
    if style == "letter":
        return _line_order_free(truth, got)
    return word_accuracy(truth, got), char_accuracy(truth, got)


def _job(args):
    png, cfg = args
    t0 = time.perf_counter()
    r = ocr.recognize(png, **CONFIGS[cfg])
    return r.text, time.perf_counter() - t0


def _png(im) -> bytes:
    return samples.to_png(im)


def stage_cost(n: int) -> None:
    """The OCR stage's cost in the pipeline, on the path ``kiemchung watch`` runs: a fresh SQLite store,
    ``n`` posts stored by the ingestor and placed by the fast stages (stories, alerts), each with a
    screenshot tied through the image store; then the slow stages (entities with NER, OCR) timed apart."""
    import tempfile
    from pathlib import Path

    from kiemchung.claims.factchecks import create_factcheck, publish_factcheck
    from kiemchung.entities import EntityStage
    from kiemchung.images.ocr_stage import OcrStage
    from kiemchung.images.store import ImageStore
    from kiemchung.ingest import Ingestor
    from kiemchung.models import Document
    from kiemchung.pipeline import Pipeline
    from kiemchung.store import Database
    from kiemchung import timeutil

    texts = CHATS + POSTS
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "kc.db")
        fc = create_factcheck(db, "Toàn tỉnh sẽ phong tỏa để phòng dịch, người dân nên mua dự trữ lương thực",
                              "sai sự thật", editor="bench", evidence=["https://lamson.example/tb"])
        publish_factcheck(db, fc.id, "bench")
        docs = [Document(title="", lead=f"Ảnh bạn gửi số {i}, có thật không?", kind="post", platform="facebook",
                         external_id=f"b{i}", fetched_at=timeutil.now()) for i in range(n)]
        pngs = [_png(samples.render(texts[i % len(texts)] + f" (lần {i})", ("chat", "post")[i % 2]))
                for i in range(n)]
        t0 = time.perf_counter()
        Ingestor(db).add(docs)
        Pipeline(db).run()
        fast = time.perf_counter() - t0
        ids = [d.id for d in db.iter_documents()]
        t0 = time.perf_counter()
        store = ImageStore(db)
        for doc_id, png in zip(ids, pngs, strict=True):
            store.add(png, "document", doc_id)
        put = time.perf_counter() - t0
        t0 = time.perf_counter()
        EntityStage(db, ner=True).run()
        ner = time.perf_counter() - t0
        t0 = time.perf_counter()
        rep = OcrStage(db).run(limit=None)
        ocr_s = time.perf_counter() - t0
        db.close()
    print(f"\npipeline cost on {n} posts with one screenshot each (SQLite, one process):")
    print(f"  ingest + stories + alerts: {fast:.2f} s ({fast / n * 1000:.1f} ms/doc)")
    print(f"  image store (decode, clean copy, pHash): {put:.2f} s ({put / n * 1000:.1f} ms/image)")
    print(f"  named entities (NER): {ner:.2f} s ({ner / n * 1000:.1f} ms/doc)")
    print(f"  OCR stage: {ocr_s:.2f} s ({ocr_s / n * 1000:.0f} ms/image; {rep.recognised} recognised, "
          f"{rep.documents} documents extended, {rep.alerts} alerts); x{ocr_s / fast:.1f} the fast stages, "
          f"x{ocr_s / ner:.1f} NER")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="3 texts per style instead of 8")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--configs", default="kiemchung,raw,no-upscale,no-deskew,no-autocontrast")
    ap.add_argument("--conditions", default=",".join(CONDITIONS))
    ap.add_argument("--no-throughput", action="store_true")
    ap.add_argument("--stage", type=int, default=0, metavar="N",
                    help="only the pipeline cost, on N posts with a screenshot each")
    args = ap.parse_args()
    reason = ocr.available()
    if reason:
        raise SystemExit(reason)
    if args.stage:
        stage_cost(args.stage)
        return
    configs = args.configs.split(",")
    conditions = args.conditions.split(",")
    items = build_set(args.quick)
    print(f"{len(items)} screenshots ({', '.join(sorted({s for _, s, _, _ in items}))}), "
          f"{len(conditions)} conditions, configs {configs}; tesseract {_version()}; "
          f"shared 2-core machine, OMP_THREAD_LIMIT={os.environ['OMP_THREAD_LIMIT']}")
    jobs, keys = [], []
    for n, (ident, style, truth, im) in enumerate(items):
        for cond in conditions:
            png = _png(degrade(im, cond, n))
            for cfg in configs:
                jobs.append((png, cfg))
                keys.append((ident, style, truth, cond, cfg))
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(_job, jobs, chunksize=1))
    wall = time.perf_counter() - t0
    table: dict[tuple[str, str], list[tuple[float, float]]] = {}
    per_style: dict[tuple[str, str], list[float]] = {}
    times: dict[str, list[float]] = {}
    worst: dict[tuple[str, str], tuple[float, str]] = {}
    for (ident, style, truth, cond, cfg), (got, secs) in zip(keys, results, strict=True):
        wa, ca = score(style, truth, got)
        table.setdefault((cond, cfg), []).append((wa, ca))
        per_style.setdefault((cond, style, cfg), []).append(wa)
        times.setdefault(cfg, []).append(secs)
        if cfg == "kiemchung" and wa < worst.get((cond, "w"), (2.0, ""))[0]:
            worst[(cond, "w")] = (wa, ident)
    print(f"\n{len(jobs)} recognitions in {wall:.1f} s on {args.workers} processes: "
          f"{len(jobs) / wall:.2f} images/s overall")
    print("\nword accuracy / character accuracy (mean over screenshots; diacritics counted)")
    print(f"{'condition':<9}" + "".join(f"{c:>22}" for c in configs))
    for cond in conditions:
        row = f"{cond:<9}"
        for cfg in configs:
            vals = table[(cond, cfg)]
            row += f"{statistics.mean(v[0] for v in vals):>13.4f} / {statistics.mean(v[1] for v in vals):.4f}"
        print(row)
    print("\nword accuracy by style (kiemchung's pre-processing)")
    styles = ("chat", "post", "letter")
    print(f"{'condition':<9}" + "".join(f"{s:>9}" for s in styles) + "   worst")
    for cond in conditions:
        if (cond, styles[0], "kiemchung") not in per_style:
            continue
        vals = [statistics.mean(per_style[(cond, s, 'kiemchung')]) for s in styles]
        w = worst.get((cond, "w"), (0, ""))
        print(f"{cond:<9}" + "".join(f"{v:>9.4f}" for v in vals) + f"   {w[1]} {w[0]:.4f}")
    if ("clean", "kiemchung") in table and len(conditions) > 1:
        clean = statistics.mean(v[0] for v in table[("clean", "kiemchung")])
        degraded = [statistics.mean(v[0] for v in table[(c, "kiemchung")]) for c in conditions if c != "clean"]
        print(f"\nclean word accuracy {clean:.4f} (target >= 0.97); degraded mean {statistics.mean(degraded):.4f}, "
              f"worst condition {min(degraded):.4f} (target >= 0.95)")
    # Forged-letter assist: the fields read from each letter page (kiemchung's pre-processing).
    from kiemchung.images.letters import extract_fields

    by_id = {ident: lt for (ident, _s, _t, _i), lt in zip(
        [x for x in items if x[1] == "letter"], LETTERS, strict=False)}
    fields_ok: dict[str, list[int]] = {}
    for (ident, style, _truth, cond, cfg), (got, _secs) in zip(keys, results, strict=True):
        if style != "letter" or cfg != "kiemchung":
            continue
        lt = by_id[ident]
        f = extract_fields(got)
        want_date = "ngày " + lt.place_date.split("ngày ", 1)[1]
        ok = [f.number == lt.number.removeprefix("Số: "), f.date_text == want_date,
              f.issuer_lines[-1:] == [lt.issuer], f.signer == lt.signer]
        fields_ok.setdefault(cond, [0, 0, 0, 0, 0])
        for i, v in enumerate(ok):
            fields_ok[cond][i] += int(v)
        fields_ok[cond][4] += 1
    if fields_ok:
        print("\nletter fields read exactly (of the letter pages): number, date, issuing body, signer")
        for cond, (a, b, c, d_, n) in fields_ok.items():
            print(f"{cond:<9} {a}/{n}  {b}/{n}  {c}/{n}  {d_}/{n}")
    for cfg in configs:
        print(f"mean seconds per image ({cfg}, as measured inside {args.workers} parallel processes): "
              f"{statistics.mean(times[cfg]):.2f}")
    # Throughput on the path the stage uses: kiemchung's pre-processing, 1 process then 2.
    sample = [p for (p, c) in jobs if c == "kiemchung"][: 30 if not args.quick else 12]
    if not sample or args.no_throughput:
        return
    for n in (1, 2):
        t0 = time.perf_counter()
        with ProcessPoolExecutor(n) as pool:
            list(pool.map(_job, [(p, "kiemchung") for p in sample]))
        dt = time.perf_counter() - t0
        print(f"throughput, {n} process(es): {len(sample) / dt:.2f} images/s ({len(sample)} images, {dt:.1f} s)")


if __name__ == "__main__":
    main()
