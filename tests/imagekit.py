"""Small test images made on the spot (no files in the repository): varied scenes from a seed."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw


def picture(seed: int = 1, size=(320, 240)) -> Image.Image:
    """A scene of coloured ellipses on a coloured ground, different for every seed."""
    rnd = random.Random(seed)
    img = Image.new("RGB", size, tuple(rnd.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    w, h = size
    for _ in range(12):
        x, y = rnd.randrange(w), rnd.randrange(h)
        draw.ellipse([x, y, x + rnd.randrange(w // 16 + 1, w // 3), y + rnd.randrange(h // 16 + 1, h // 3)],
                     fill=tuple(rnd.randrange(256) for _ in range(3)))
    return img


def encoded(img: Image.Image, fmt: str = "JPEG", **kw) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **kw)
    return out.getvalue()


def with_caption(img: Image.Image, text: str = "CHIA SẺ NGAY KẺO MẤT", band: float = 0.15) -> Image.Image:
    """The image with a black caption band added below it, as reposts do."""
    w, h = img.size
    out = Image.new("RGB", (w, h + int(h * band)), (0, 0, 0))
    out.paste(img, (0, 0))
    ImageDraw.Draw(out).text((8, h + 4), text, fill=(255, 255, 255))
    return out


def board(size=(640, 480), cell: int = 80) -> Image.Image:
    """A two-colour checkerboard: nothing like :func:`picture`'s scenes."""
    img = Image.new("RGB", size, (250, 250, 250))
    draw = ImageDraw.Draw(img)
    for x in range(0, size[0], cell):
        for y in range(0, size[1], cell):
            if (x // cell + y // cell) % 2:
                draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=(20, 60, 140))
    return img
