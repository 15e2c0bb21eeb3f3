"""Screenshots rendered from text with Debian's fonts (DejaVu, Noto): chat, official letter, social post.

Used by the OCR benchmark (benchmarks/bench_ocr.py), the tests and the demo's sample tips: what a
citizen sends in is most often a screenshot of one of these three. The fonts come from Debian's
``fonts-dejavu-core`` and ``fonts-noto-core``; :func:`font` raises :class:`FileNotFoundError` naming the
package when one is missing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEMO_FORGED_LETTER", "DEMO_SCREENSHOTS", "FONTS", "STYLES", "Letter", "demo_images", "font", "render",
           "render_letter", "to_png", "wrap"]

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/noto")
FONTS = {
    "dejavu-sans": "DejaVuSans.ttf",
    "dejavu-sans-bold": "DejaVuSans-Bold.ttf",
    "dejavu-serif": "DejaVuSerif.ttf",
    "dejavu-serif-bold": "DejaVuSerif-Bold.ttf",
    "noto-sans": "NotoSans-Regular.ttf",
    "noto-sans-bold": "NotoSans-Bold.ttf",
    "noto-serif": "NotoSerif-Regular.ttf",
    "noto-serif-bold": "NotoSerif-Bold.ttf",
}
STYLES = ("chat", "letter", "post")


def font(name: str, size: int):
    """A TrueType font of :data:`FONTS` at ``size`` pixels."""
    from PIL import ImageFont

    file = FONTS[name]
    for d in FONT_DIRS:
        p = Path(d) / file
        if p.is_file():
            return ImageFont.truetype(str(p), size)
    pkg = "fonts-dejavu-core" if name.startswith("dejavu") else "fonts-noto-core"
    raise FileNotFoundError(f"font {file} not found: apt-get install {pkg}")


def wrap(text: str, fnt, width: int) -> list[str]:
    """Greedy word wrap of ``text`` (paragraphs kept) to lines at most ``width`` pixels wide."""
    out: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split():
            trial = f"{line} {word}".strip()
            if fnt.getlength(trial) <= width or not line:
                line = trial
            else:
                out.append(line)
                line = word
        out.append(line)
    return out


def _draw_lines(draw, lines, fnt, x, y, fill, spacing):
    step = fnt.size + spacing
    for ln in lines:
        draw.text((x, y), ln, font=fnt, fill=fill)
        y += step
    return y


def render(text: str, style: str = "post", *, family: str = "noto-sans", size: int = 22,
           width: int = 720, author: str = "Nguyễn Văn An", when: str = "2 giờ trước"):
    """A screenshot (PIL RGB image) of ``text`` as a chat bubble, a social post or a plain letter page."""
    from PIL import Image, ImageDraw

    fnt = font(family, size)
    bold = font(family.replace("-bold", "") + "-bold" if "-bold" not in family else family, size)
    pad = 24
    if style == "chat":
        bubble_w = int(width * 0.78)
        lines = wrap(text, fnt, bubble_w - 2 * 18)
        line_h = size + size // 3
        h = pad * 2 + 40 + len(lines) * line_h + 36
        im = Image.new("RGB", (width, h), (231, 221, 211))
        d = ImageDraw.Draw(im)
        d.rectangle((0, 0, width, 40), fill=(7, 94, 84))
        d.text((pad, 8), author, font=font(family, 20), fill=(255, 255, 255))
        top = 40 + pad
        d.rounded_rectangle((pad, top, pad + bubble_w, top + len(lines) * line_h + 28), radius=12, fill=(255, 255, 255))
        _draw_lines(d, lines, fnt, pad + 18, top + 12, (17, 17, 17), size // 3)
        return im
    if style == "post":
        lines = wrap(text, fnt, width - 2 * pad - 16)
        line_h = size + size // 3
        h = pad * 2 + 70 + len(lines) * line_h + 50
        im = Image.new("RGB", (width, h), (240, 242, 245))
        d = ImageDraw.Draw(im)
        d.rectangle((8, 8, width - 8, h - 8), fill=(255, 255, 255))
        d.ellipse((pad, pad, pad + 44, pad + 44), fill=(66, 103, 178))
        d.text((pad + 56, pad), author, font=bold, fill=(5, 5, 5))
        d.text((pad + 56, pad + size + 4), when, font=font(family, max(12, size - 6)), fill=(101, 103, 107))
        _draw_lines(d, lines, fnt, pad + 8, pad + 70, (5, 5, 5), size // 3)
        d.text((pad + 8, h - 44), "Thích   Bình luận   Chia sẻ", font=font(family, max(12, size - 4)), fill=(101, 103, 107))
        return im
    if style == "letter":
        lines = wrap(text, fnt, width - 2 * 60)
        line_h = size + size // 2
        h = 120 + len(lines) * line_h + 60
        im = Image.new("RGB", (width, h), (255, 255, 255))
        d = ImageDraw.Draw(im)
        _draw_lines(d, lines, fnt, 60, 60, (0, 0, 0), size // 2)
        return im
    raise ValueError(f"unknown style {style!r}; one of {', '.join(STYLES)}")


@dataclass(frozen=True)
class Letter:
    """The parts of an official letter ("công văn") as it is laid out on the page."""

    issuer_parent: str  # e.g. "UBND TỈNH QUẢNG NAM"
    issuer: str  # e.g. "SỞ Y TẾ"
    number: str  # e.g. "Số: 123/SYT-VP"
    place_date: str  # e.g. "Quảng Nam, ngày 12 tháng 3 năm 2026"
    subject: str  # e.g. "V/v tạm dừng tiêm chủng"
    body: str
    signer_title: str  # e.g. "GIÁM ĐỐC"
    signer: str  # e.g. "Trần Văn Bình"


def render_letter(letter: Letter, *, family: str = "noto-serif", size: int = 20, width: int = 900):
    """A page of an official letter in the two-column layout of Vietnamese administrative documents:
    issuer and number on the left, the national motto and the place/date on the right, then subject,
    body and signature."""
    from PIL import Image, ImageDraw

    fnt = font(family, size)
    bold = font(family + "-bold", size)
    margin = 50
    col = (width - 2 * margin) // 2
    body_lines = wrap(letter.body, fnt, width - 2 * margin)
    line_h = size + size // 2
    h = 330 + len(body_lines) * line_h + 200
    im = Image.new("RGB", (width, h), (255, 255, 255))
    d = ImageDraw.Draw(im)

    def centred(txt, x0, y, f):
        w = f.getlength(txt)
        d.text((x0 + (col - w) / 2, y), txt, font=f, fill=(0, 0, 0))

    centred(letter.issuer_parent, margin, 40, fnt)
    centred(letter.issuer, margin, 40 + line_h, bold)
    centred(letter.number, margin, 40 + 3 * line_h, fnt)
    centred(letter.subject, margin, 40 + 4 * line_h, fnt)
    centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", margin + col, 40, font(family + "-bold", size - 3))
    centred("Độc lập - Tự do - Hạnh phúc", margin + col, 40 + line_h, bold)
    centred(letter.place_date, margin + col, 40 + 3 * line_h, fnt)
    y = _draw_lines(d, body_lines, fnt, margin, 40 + 6 * line_h, (0, 0, 0), size // 2)
    sx = margin + col
    centred(letter.signer_title, sx, y + line_h, bold)
    centred(letter.signer, sx, y + 4 * line_h, bold)
    return im


def to_png(im) -> bytes:
    """PNG bytes of a PIL image."""
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


# A forged letter for the demo: the bundled sample (kiemchung/data/sample) holds the province's denial
# ("UBND tỉnh cảnh báo thông tin giả mạo về việc hỗ trợ người dân vùng lũ") and the fact-check of the
# claim it spreads ("hỗ trợ 5 triệu đồng cho mỗi hộ vùng lũ, đăng ký nhận qua đường link").
DEMO_FORGED_LETTER = Letter(
    issuer_parent="UBND TỈNH LAM GIANG",
    issuer="VĂN PHÒNG",
    number="Số: 2468/UBND-KT",
    place_date="Lam Giang, ngày 18 tháng 10 năm 2026",
    subject="V/v hỗ trợ người dân vùng lũ",
    body="Ủy ban nhân dân tỉnh hỗ trợ 5 triệu đồng cho mỗi hộ dân vùng lũ. Người dân đăng ký nhận tiền hỗ trợ "
         "qua đường link được gửi kèm tin nhắn này trước ngày 25 tháng 10 năm 2026, nhập số tài khoản ngân "
         "hàng và mã OTP để nhận tiền ngay.",
    signer_title="TM. ỦY BAN NHÂN DÂN",
    signer="Nguyễn Văn Hải",
)

DEMO_SCREENSHOTS = (
    ("chat", "Mọi người ơi, nghe nói nước máy ở Giang Khẩu bị nhiễm độc, đừng dùng để nấu ăn nhé! "
             "Chia sẻ cho người thân ngay."),
    ("post", "Cầu Giang Khẩu 2 bị nứt, sắp sập, tuyệt đối không đi qua! Ai có người nhà hay đi cầu này "
             "thì báo ngay nhé."),
)


def demo_images() -> list[tuple[str, bytes]]:
    """``(file name, PNG)`` of the demo's sample tip images: a chat and a social post repeating claims the
    sample's fact-checks answer, and the forged letter :data:`DEMO_FORGED_LETTER`."""
    out = [(f"tin-bao-{style}.png", to_png(render(text_, style))) for style, text_ in DEMO_SCREENSHOTS]
    out.append(("cong-van-gia.png", to_png(render_letter(DEMO_FORGED_LETTER))))
    return out
