"""A varied synthetic image set for the image-matching benchmark (bench_image_match.py).

Four kinds of picture, each drawn from its own seed, so no two are near-identical:

- ``photo``: smooth colour fields (gradients in random directions and palettes), soft blobs, a horizon,
  sensor-like noise and a blur: the low-frequency structure of a photograph;
- ``screenshot``: a chat or news screenshot: a coloured app bar, bubbles or paragraphs of Vietnamese-like
  text rendered with Debian's DejaVu/Noto fonts, varied widths, themes (light/dark) and font sizes;
- ``chart``: bar, line or pie charts with random data, axes, gridlines, legends and titles;
- ``document``: a page of an official letter (the heading layout all Vietnamese administrative letters
  share, a body of random length, sometimes a stamp and a signature), scanned or photographed.

And the transformations a checked image comes back with: ``resize`` (to 40-60 %), ``jpeg`` (re-compressed
at quality 25-40), ``crop`` (70-90 % of the area kept, the kept window's aspect ratio changed by up to
±10 % and placed anywhere: off-centre, up to ~20 % cut from one side and nothing from the other),
``caption`` (a band of text added above or below, 8-25 % of the height, white, black or a random colour,
as memes and screenshot apps do), and ``combo`` (crop + caption + resize to 50-80 % + JPEG q35-60).
"""

from __future__ import annotations

import io
import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/noto")]
FONT_NAMES = ["DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSans-Bold.ttf", "NotoSans-Regular.ttf",
              "NotoSerif-Regular.ttf", "DejaVuSansMono.ttf"]
SYLLABLES = ("người dân tỉnh thông báo khẩn cấp không được chia sẻ tin giả về dịch bệnh mới tại xã huyện "
             "công an đã xác minh nguồn gốc bài đăng trên mạng xã hội hôm nay lúc giờ sáng chiều tối năm "
             "trăm nghìn đồng hỗ trợ học sinh trường học nghỉ bão lũ cầu đường sập cháy rừng giá xăng tăng "
             "giảm vắc xin bệnh viện bác sĩ").split()
KINDS = ("photo", "screenshot", "chart", "document")
TRANSFORMS = ("resize", "jpeg", "crop", "caption", "combo")


def _fonts() -> list[Path]:
    found = [d / n for d in FONT_DIRS for n in FONT_NAMES if (d / n).exists()]
    if not found:
        raise SystemExit("no DejaVu/Noto fonts found (apt-get install fonts-dejavu-core)")
    return found


def _font(rnd: random.Random, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(rnd.choice(_fonts())), size)


def _colour(rnd: random.Random, lo: int = 0, hi: int = 255) -> tuple[int, int, int]:
    return tuple(rnd.randint(lo, hi) for _ in range(3))  # type: ignore[return-value]


def _words(rnd: random.Random, n: int) -> str:
    return " ".join(rnd.choice(SYLLABLES) for _ in range(n))


def photo(rnd: random.Random, size: tuple[int, int]) -> Image.Image:
    w, h = size
    small = (max(8, w // 8), max(8, h // 8))
    a, b = _colour(rnd), _colour(rnd)
    angle = rnd.uniform(0, math.pi)
    grad = Image.new("RGB", small)
    px = grad.load()
    cx, cy = math.cos(angle), math.sin(angle)
    for y in range(small[1]):
        for x in range(small[0]):
            t = ((x / small[0] - 0.5) * cx + (y / small[1] - 0.5) * cy) + 0.5
            t = min(1.0, max(0.0, t))
            px[x, y] = tuple(int(a[i] * (1 - t) + b[i] * t) for i in range(3))
    img = grad.resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(img)
    horizon = int(h * rnd.uniform(0.35, 0.75))
    draw.polygon([(0, horizon)] + [(int(w * k / 6), horizon + rnd.randint(-h // 8, h // 8)) for k in range(7)]
                 + [(w, h), (0, h)], fill=_colour(rnd, 10, 160))
    for _ in range(rnd.randint(4, 12)):
        x, y, r = rnd.randint(0, w), rnd.randint(0, h), rnd.randint(min(w, h) // 20, min(w, h) // 4)
        shape = rnd.choice(("ellipse", "rect", "tri"))
        fill = _colour(rnd)
        if shape == "ellipse":
            draw.ellipse([x - r, y - r, x + r, y + int(r * rnd.uniform(0.5, 1.5))], fill=fill)
        elif shape == "rect":
            draw.rectangle([x - r, y - r // 2, x + r, y + r], fill=fill)
        else:
            draw.polygon([(x, y - r), (x - r, y + r), (x + r, y + r)], fill=fill)
    img = img.filter(ImageFilter.GaussianBlur(rnd.uniform(1.0, 4.0)))
    noise = Image.effect_noise(size, rnd.uniform(8, 25)).convert("RGB")
    return Image.blend(img, noise, rnd.uniform(0.04, 0.12))


def screenshot(rnd: random.Random, size: tuple[int, int]) -> Image.Image:
    w, h = size
    dark = rnd.random() < 0.3
    bg = _colour(rnd, 0, 40) if dark else _colour(rnd, 225, 255)
    fg = _colour(rnd, 210, 255) if dark else _colour(rnd, 0, 60)
    img = Image.new("RGB", size, bg)
    draw = ImageDraw.Draw(img)
    bar = int(h * rnd.uniform(0.06, 0.12))
    draw.rectangle([0, 0, w, bar], fill=_colour(rnd, 20, 200))
    draw.text((bar, bar // 4), _words(rnd, 3).title(), font=_font(rnd, max(12, bar // 2)), fill=(255, 255, 255))
    draw.ellipse([bar // 5, bar // 5, bar * 4 // 5, bar * 4 // 5], fill=_colour(rnd))
    y = bar + 10
    size_px = rnd.randint(14, 26)
    font = _font(rnd, size_px)
    chat = rnd.random() < 0.5
    while y < h - size_px * 2:
        lines = rnd.randint(1, 4)
        mine = chat and rnd.random() < 0.5
        bw = int(w * rnd.uniform(0.45, 0.85))
        x0 = w - bw - 12 if mine else 12
        bh = lines * (size_px + 6) + 12
        if chat:
            draw.rounded_rectangle([x0, y, x0 + bw, y + bh], radius=12,
                                   fill=_colour(rnd, 40, 120) if dark else (_colour(rnd, 170, 240) if mine else (235, 235, 235)))
        for k in range(lines):
            n = max(2, int(bw / (size_px * 2.6)))
            draw.text((x0 + 10, y + 6 + k * (size_px + 6)), _words(rnd, rnd.randint(max(1, n - 3), n)),
                      font=font, fill=fg)
        y += bh + rnd.randint(8, 24)
    return img


def chart(rnd: random.Random, size: tuple[int, int]) -> Image.Image:
    w, h = size
    img = Image.new("RGB", size, _colour(rnd, 235, 255))
    draw = ImageDraw.Draw(img)
    title_font = _font(rnd, max(14, h // 22))
    draw.text((w // 10, h // 40), _words(rnd, rnd.randint(3, 7)), font=title_font, fill=(20, 20, 20))
    left, top, right, bottom = int(w * 0.12), int(h * 0.15), int(w * 0.95), int(h * 0.88)
    kind = rnd.choice(("bar", "line", "pie"))
    if kind == "pie":
        cx, cy, r = (left + right) // 2, (top + bottom) // 2, min(right - left, bottom - top) // 2
        vals = [rnd.random() + 0.1 for _ in range(rnd.randint(3, 7))]
        start = rnd.uniform(0, 360)
        for v in vals:
            ext = 360 * v / sum(vals)
            draw.pieslice([cx - r, cy - r, cx + r, cy + r], start, start + ext, fill=_colour(rnd), outline="white")
            start += ext
        return img
    for k in range(6):
        yy = bottom - (bottom - top) * k // 5
        draw.line([left, yy, right, yy], fill=(200, 200, 200))
        draw.text((left - 40, yy - 8), str(k * rnd.randint(5, 50)), font=_font(rnd, 12), fill=(60, 60, 60))
    draw.line([left, top, left, bottom], fill=(0, 0, 0), width=2)
    draw.line([left, bottom, right, bottom], fill=(0, 0, 0), width=2)
    n = rnd.randint(4, 14)
    if kind == "bar":
        step = (right - left) / n
        for i in range(n):
            v = rnd.uniform(0.05, 1.0)
            draw.rectangle([left + i * step + step * 0.15, bottom - v * (bottom - top), left + (i + 1) * step - step * 0.15,
                            bottom], fill=_colour(rnd, 0, 200))
    else:
        for _series in range(rnd.randint(1, 3)):
            pts = [(left + (right - left) * i / (n - 1), bottom - rnd.uniform(0.05, 1.0) * (bottom - top)) for i in range(n)]
            draw.line(pts, fill=_colour(rnd, 0, 200), width=rnd.randint(2, 5))
    return img


ISSUERS = ("SỞ Y TẾ", "SỞ GIÁO DỤC VÀ ĐÀO TẠO", "CÔNG AN TỈNH", "UBND HUYỆN TÂY HÀ", "SỞ TÀI CHÍNH",
           "BAN CHỈ ĐẠO PHÒNG CHỐNG THIÊN TAI", "SỞ GIAO THÔNG VẬN TẢI", "UBND XÃ TÂN PHÚ")
PROVINCES = ("QUẢNG NAM", "NGHỆ AN", "THANH HÓA", "ĐỒNG THÁP", "LÂM ĐỒNG", "HÀ TĨNH", "BÌNH ĐỊNH")


def document(rnd: random.Random, size: tuple[int, int]) -> Image.Image:
    """A page of an official letter or notice ("công văn", "thông báo"): the two-column heading of
    Vietnamese administrative documents (kiemchung.images.samples.render_letter), a body of random
    length, sometimes a red stamp and a blue signature, photographed or scanned on a white or greyish page.
    Pages of one layout differ only in their words: the hardest unrelated images for a crop window."""
    from kiemchung.images.samples import Letter, render_letter

    province = rnd.choice(PROVINCES)
    letter = Letter(
        issuer_parent=f"UBND TỈNH {province}", issuer=rnd.choice(ISSUERS),
        number=f"Số: {rnd.randint(1, 2999)}/{rnd.choice(('SYT', 'SGD', 'CAT', 'UBND', 'STC'))}-{rnd.choice(('VP', 'NV', 'KH'))}",
        place_date=f"{province.title()}, ngày {rnd.randint(1, 28)} tháng {rnd.randint(1, 12)} năm 2026",
        subject="V/v " + _words(rnd, rnd.randint(3, 7)),
        body=". ".join(_words(rnd, rnd.randint(8, 20)).capitalize() for _ in range(rnd.randint(2, 12))) + ".",
        signer_title=rnd.choice(("GIÁM ĐỐC", "CHỦ TỊCH", "TRƯỞNG BAN", "KT. GIÁM ĐỐC")),
        signer=" ".join(rnd.choice(("Nguyễn", "Trần", "Lê", "Phạm")) for _ in range(1)) + " Văn " + rnd.choice(("Bình", "An", "Hùng", "Minh")),
    )
    family = rnd.choice(("noto-serif", "dejavu-serif", "noto-sans"))
    img = render_letter(letter, family=family, size=rnd.randint(16, 24), width=max(600, size[0]))
    draw = ImageDraw.Draw(img)
    w, h = img.size
    if rnd.random() < 0.6:  # the stamp over the signature, and the signature
        cx, cy, r = int(w * rnd.uniform(0.6, 0.75)), int(h * rnd.uniform(0.8, 0.9)), int(w * rnd.uniform(0.06, 0.1))
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(200, 30, 30), width=max(3, r // 12))
        draw.ellipse([cx - r * 2 // 3, cy - r * 2 // 3, cx + r * 2 // 3, cy + r * 2 // 3], outline=(200, 30, 30), width=2)
        pts = [(cx - r + k * r // 4, cy + rnd.randint(-r // 3, r // 3)) for k in range(9)]
        draw.line(pts, fill=(30, 40, 160), width=3)
    if rnd.random() < 0.5:  # photographed: a greyish page, slightly blurred
        paper = Image.new("RGB", img.size, _colour(rnd, 200, 235))
        img = Image.composite(img, paper, img.convert("L").point(lambda v: 255 - v)).filter(ImageFilter.GaussianBlur(0.8))
    return img


def original(kind: str, seed: int) -> Image.Image:
    rnd = random.Random(f"{kind}:{seed}")
    size = (rnd.randint(480, 1200), rnd.randint(360, 1000))
    if kind == "screenshot" and rnd.random() < 0.6:  # phone screenshots are tall
        size = (rnd.randint(360, 720), rnd.randint(720, 1400))
    return {"photo": photo, "screenshot": screenshot, "chart": chart, "document": document}[kind](rnd, size)


def jpeg(img: Image.Image, quality: int) -> Image.Image:
    out = io.BytesIO()
    img.convert("RGB").save(out, "JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue()))


def caption(img: Image.Image, rnd: random.Random) -> Image.Image:
    w, h = img.size
    band = int(h * rnd.uniform(0.08, 0.25))
    pick = rnd.random()
    bg = (255, 255, 255) if pick < 0.4 else (_colour(rnd, 0, 40) if pick < 0.8 else _colour(rnd))
    out = Image.new("RGB", (w, h + band), bg)
    top = rnd.random() < 0.5
    out.paste(img.convert("RGB"), (0, band if top else 0))
    draw = ImageDraw.Draw(out)
    fill = (255, 255, 255) if sum(bg) < 380 else (0, 0, 0)
    lines = 1 if band < 60 else rnd.randint(1, 2)
    font = _font(rnd, max(11, int(band / (lines + 1.2))))
    for k in range(lines):
        text = _words(rnd, rnd.randint(3, 7))
        text = text.upper() if rnd.random() < 0.5 else text
        tw = draw.textlength(text, font=font)
        x = max(4, int((w - tw) / 2)) if rnd.random() < 0.6 else 10
        y = (0 if top else h) + int(band * (0.15 + 0.8 * k / (lines + 0.2)))
        draw.text((x, y), text, font=font, fill=fill)
    return out


def crop(img: Image.Image, rnd: random.Random) -> Image.Image:
    """70-90 % of the area kept, aspect ratio changed by up to ±10 %, the window placed anywhere."""
    w, h = img.size
    area = rnd.uniform(0.70, 0.90)
    kw = min(1.0, math.sqrt(area) * math.exp(rnd.uniform(-0.05, 0.05)))
    kh = min(1.0, area / kw)
    cw, ch = int(w * kw), int(h * kh)
    x, y = rnd.randint(0, w - cw), rnd.randint(0, h - ch)
    return img.crop((x, y, x + cw, y + ch))


def transform(img: Image.Image, name: str, seed: int) -> Image.Image:
    rnd = random.Random(f"{name}:{seed}")
    if name == "resize":
        f = rnd.uniform(0.4, 0.6)
        return img.resize((max(16, int(img.width * f)), max(16, int(img.height * f))), Image.Resampling.BILINEAR)
    if name == "jpeg":
        return jpeg(img, rnd.randint(25, 40))
    if name == "crop":
        return crop(img, rnd)
    if name == "caption":
        return caption(img, rnd)
    if name == "combo":
        out = caption(crop(img, rnd), rnd)
        f = rnd.uniform(0.5, 0.8)
        out = out.resize((int(out.width * f), int(out.height * f)), Image.Resampling.BILINEAR)
        return jpeg(out, rnd.randint(35, 60))
    raise ValueError(name)


def encoded(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.convert("RGB").save(out, "PNG")
    return out.getvalue()
