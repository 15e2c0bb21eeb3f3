"""Vietnamese OCR: text and per-line confidence from a screenshot or photo, with Tesseract.

Tesseract 5 (Debian's ``tesseract-ocr``) with the ``vie`` model (``tesseract-ocr-vie``) is run through
``pytesseract`` (a subprocess per image, nothing to compile). Before recognition the image is
decoded with a pixel cap (a decompression bomb is refused before it is decoded), turned to grayscale,
scaled up when its text is small and straightened when it is slightly rotated; each of these steps was
measured on rendered and degraded Vietnamese screenshots (benchmarks/bench_ocr.py, docs/ocr.md).

The text that comes out goes through :func:`kiemchung.text.normalize` (NFC, one tone-mark placement),
line by line, so OCR'd text is searched and matched like every other text.

    >>> result = recognize("screenshot.png")          # doctest: +SKIP
    >>> result.text, [(l.text, l.confidence) for l in result.lines]
"""

from __future__ import annotations

import io
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kiemchung import text as ktext
from kiemchung.errors import KiemchungError

__all__ = [
    "MAX_PIXELS",
    "OcrError",
    "OcrLine",
    "OcrResult",
    "OcrUnavailable",
    "available",
    "load_image",
    "preprocess",
    "recognize",
]

MAX_PIXELS = 40_000_000  # larger images are refused before decoding (a 40-megapixel photo is already huge)
MAX_BYTES = 30 * 1024 * 1024
TARGET_LINE_PX = 32  # upscale so a text line is at least this tall (Tesseract's best x-height is ~20-30 px)
MAX_UPSCALE = 3.0
MAX_OCR_SIDE = 5000  # never hand Tesseract a side longer than this (time grows with pixels)
DESKEW_MAX_DEG = 8.0
TIMEOUT_S = 60


class OcrError(KiemchungError):
    """An image could not be read or recognised (corrupt, too large, not an image, Tesseract failed)."""


class OcrUnavailable(OcrError):
    """Tesseract or its Vietnamese model is not installed."""


@dataclass(frozen=True)
class OcrLine:
    """One recognised line: its text, Tesseract's mean word confidence (0-100) and its box."""

    text: str
    confidence: float
    left: int = 0
    top: int = 0
    width: int = 0
    height: int = 0


@dataclass
class OcrResult:
    """What :func:`recognize` found: the text (lines joined, blocks separated by a blank line), its
    lines with their confidence, the mean confidence and the steps applied before recognition."""

    text: str
    lines: list[OcrLine] = field(default_factory=list)
    confidence: float = 0.0
    width: int = 0
    height: int = 0
    steps: list[str] = field(default_factory=list)
    language: str = "vie"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``kiemchung ocr --json``, the API)."""
        return {
            "text": self.text,
            "confidence": round(self.confidence, 1),
            "lines": [{**asdict(ln), "confidence": round(ln.confidence, 1)} for ln in self.lines],
            "width": self.width,
            "height": self.height,
            "steps": list(self.steps),
            "language": self.language,
        }


def _tesseract_cmd() -> str | None:
    import pytesseract

    cmd = os.environ.get("KIEMCHUNG_TESSERACT") or pytesseract.pytesseract.tesseract_cmd
    found = shutil.which(cmd)
    if found:
        pytesseract.pytesseract.tesseract_cmd = found
    return found


def available(lang: str = "vie") -> str | None:
    """None when OCR can run; otherwise the reason (Vietnamese, then English)."""
    try:
        import pytesseract
    except ImportError:
        return ("Thiếu gói Python pytesseract: pip install 'kiemchung[ocr]' "
                "(pytesseract is not installed)")
    if _tesseract_cmd() is None:
        return ("Chưa cài Tesseract: apt-get install tesseract-ocr tesseract-ocr-vie "
                "(the tesseract program was not found)")
    try:
        langs = set(pytesseract.get_languages(config=""))
    except Exception as exc:  # noqa: BLE001 - any failure of the program is reported the same way
        return f"Không chạy được Tesseract (tesseract failed to run): {exc}"
    missing = [x for x in lang.split("+") if x not in langs]
    if missing:
        return (f"Thiếu dữ liệu ngôn ngữ {', '.join(missing)} cho Tesseract: apt-get install tesseract-ocr-vie "
                f"(Tesseract has no model for {', '.join(missing)})")
    return None


_OCR_MESSAGES = {  # the store's refusal codes, in OCR's words
    "image_empty": "Tệp ảnh rỗng (empty image file)",
    "image_too_large": f"Ảnh quá lớn, tối đa {MAX_BYTES // 2**20} MB (image too large)",
    "image_wrong_type": "Không phải tệp ảnh hoặc định dạng không hỗ trợ (not an image, or an unsupported format)",
    "image_too_many_pixels": "Ảnh quá nhiều điểm ảnh (image has too many pixels)",
    "image_corrupt": "Tệp ảnh bị hỏng, không đọc được (corrupt image)",
}


def load_image(source: bytes | str | os.PathLike | Any, *, max_pixels: int = MAX_PIXELS):
    """A decoded PIL image (first frame) from bytes, a path or a PIL image; :class:`OcrError` with a
    clear message for a missing file, a file that is not an image, a corrupt one or one over the cap.

    Bytes are decoded by the image store's one decoder (:func:`kiemchung.images.store.open_image`:
    type by magic bytes, the pixel cap read from the header before anything is decoded, a JPEG over the
    cap decoded at a reduced scale, the first frame of an animation, EXIF orientation applied)."""
    from kiemchung.images.store import ImageError, open_image

    if hasattr(source, "mode") and hasattr(source, "size"):
        return source
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = "ảnh (image)"
    else:
        path = Path(source)
        name = str(path)
        if not path.is_file():
            raise OcrError(f"Không tìm thấy tệp ảnh (image file not found): {name}")
        if path.stat().st_size > MAX_BYTES:
            raise OcrError(f"Tệp ảnh quá lớn, tối đa {MAX_BYTES // 2**20} MB (image file too large): {name}")
        data = path.read_bytes()
    try:
        return open_image(data, max_bytes=MAX_BYTES, max_pixels=max_pixels).image
    except ImageError as exc:
        detail = f": {exc.detail}" if exc.detail else ""
        where = f" — {name}" if name != "ảnh (image)" else ""
        raise OcrError(f"{_OCR_MESSAGES[exc.code]}{where}{detail}") from None


def _text_height(gray) -> float | None:
    """Median height in pixels of dark runs in the column profile: a cheap estimate of the text line
    height (None when no text-like rows are found)."""
    import numpy as np

    a = np.asarray(gray, dtype=np.uint8)
    if a.size == 0:
        return None
    thr = a.mean() - 0.5 * a.std() if a.mean() > 127 else a.mean() + 0.5 * a.std()
    ink = (a < thr) if a.mean() > 127 else (a > thr)
    rows = ink.mean(axis=1) > 0.01
    runs, n = [], 0
    for r in rows:
        if r:
            n += 1
        elif n:
            runs.append(n)
            n = 0
    if n:
        runs.append(n)
    runs = [x for x in runs if x >= 3]
    if not runs:
        return None
    return float(np.median(runs))


def _skew_angle(gray) -> float:
    """The rotation (degrees, counter-clockwise positive) that makes text lines horizontal: the angle
    whose row profile of ink is sharpest, searched coarse then fine within ±DESKEW_MAX_DEG."""
    import numpy as np
    from PIL import Image

    small = gray.copy()
    small.thumbnail((800, 800))
    a = np.asarray(small, dtype=np.float32)
    inverted = a.mean() > 127
    ink = Image.fromarray(((a < a.mean() - 0.3 * a.std()) if inverted else (a > a.mean() + 0.3 * a.std())).astype(np.uint8) * 255)

    def score(angle: float) -> float:
        rot = np.asarray(ink.rotate(angle, resample=Image.NEAREST, expand=True), dtype=np.float32)
        prof = rot.sum(axis=1)
        return float(np.sum(np.diff(prof) ** 2))

    best = max((score(x), x) for x in np.arange(-DESKEW_MAX_DEG, DESKEW_MAX_DEG + 0.01, 1.0))[1]
    best = max((score(x), x) for x in np.arange(best - 1.0, best + 1.01, 0.2))[1]
    return float(round(best, 1))


def preprocess(im, *, upscale: bool = True, deskew: bool = True, grayscale: bool = True,
               autocontrast: bool = True, sharpen: bool = False, line_px: int = TARGET_LINE_PX):
    """The image Tesseract sees and the steps applied: grayscale (alpha flattened on white), scaled up
    when the text is small, straightened when rotated by more than half a degree, its contrast
    stretched (1 % cut at each end: it helped or tied every condition of benchmarks/bench_ocr.py,
    the phone photo most; sharpening helped the photo more but cost the clean and JPEG renders)."""
    from PIL import Image

    steps: list[str] = []
    if im.mode in ("RGBA", "LA", "P", "PA"):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im)
    if grayscale:
        im = im.convert("L")
        steps.append("grayscale")
    elif im.mode != "RGB":
        im = im.convert("RGB")
    gray = im if im.mode == "L" else im.convert("L")
    if deskew and min(im.size) >= 40:
        angle = _skew_angle(gray)
        if abs(angle) >= 0.5:
            fill = 255 if grayscale else (255, 255, 255)
            im = im.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=fill)
            gray = im if im.mode == "L" else im.convert("L")
            steps.append(f"deskew {angle:+.1f}°")
    if autocontrast:
        from PIL import ImageOps

        im = ImageOps.autocontrast(im, cutoff=1)
        steps.append("autocontrast")
    if upscale:
        h = _text_height(gray)
        if h and h < line_px:
            factor = min(MAX_UPSCALE, line_px / h)
            if factor >= 1.2 and max(im.size) * factor <= MAX_OCR_SIDE:
                im = im.resize((round(im.width * factor), round(im.height * factor)), Image.LANCZOS)
                steps.append(f"upscale ×{factor:.1f}")
    if sharpen:
        from PIL import ImageFilter

        im = im.filter(ImageFilter.UnsharpMask(radius=2, percent=120, threshold=2))
        steps.append("sharpen")
    if max(im.size) > MAX_OCR_SIDE:
        im = im.copy()
        im.thumbnail((MAX_OCR_SIDE, MAX_OCR_SIDE), Image.LANCZOS)
        steps.append("downscale")
    return im, steps


def recognize(source, *, lang: str = "vie", prepare: bool = True, psm: int = 3,
              options: dict[str, bool] | None = None) -> OcrResult:
    """Recognise the text of an image (bytes, path or PIL image).

    ``prepare=False`` hands the image to Tesseract as it is; ``options`` turns single steps of
    :func:`preprocess` off (``{"deskew": False}``). Raises :class:`OcrUnavailable` when Tesseract or
    its ``vie`` model is missing and :class:`OcrError` for a bad image.
    """
    reason = available(lang)
    if reason:
        raise OcrUnavailable(reason)
    import pytesseract

    im = load_image(source)
    width, height = im.size
    steps: list[str] = []
    if prepare:
        im, steps = preprocess(im, **(options or {}))
    elif im.mode not in ("RGB", "L"):
        im = im.convert("RGB")
    try:
        data = pytesseract.image_to_data(im, lang=lang, config=f"--psm {psm}", timeout=TIMEOUT_S,
                                         output_type=pytesseract.Output.DICT)
    except RuntimeError as exc:  # pytesseract's timeout
        raise OcrError(f"Tesseract quá thời gian {TIMEOUT_S} s (OCR timed out): {exc}") from None
    except pytesseract.TesseractError as exc:
        raise OcrError(f"Tesseract báo lỗi (tesseract failed): {exc}") from None
    scale = im.width / width if width else 1.0
    return _assemble(data, width, height, steps, lang, scale)


def _assemble(data: dict, width: int, height: int, steps: list[str], lang: str, scale: float = 1.0) -> OcrResult:
    """Group Tesseract's words into lines (block, paragraph, line) and blocks."""
    groups: dict[tuple[int, int, int], list[int]] = {}
    for i, word in enumerate(data["text"]):
        if word is None or not str(word).strip():
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        groups.setdefault(key, []).append(i)
    lines: list[OcrLine] = []
    parts: list[str] = []
    prev_block = None
    for key in sorted(groups):
        idx = groups[key]
        words = [str(data["text"][i]) for i in idx]
        line_text = ktext.normalize(" ".join(words))
        if not line_text:
            continue
        confs = [float(data["conf"][i]) for i in idx if float(data["conf"][i]) >= 0]
        left = min(data["left"][i] for i in idx)
        top = min(data["top"][i] for i in idx)
        right = max(data["left"][i] + data["width"][i] for i in idx)
        bottom = max(data["top"][i] + data["height"][i] for i in idx)
        box = [round(v / scale) for v in (left, top, right - left, bottom - top)]  # original image's pixels
        lines.append(OcrLine(line_text, sum(confs) / len(confs) if confs else 0.0, *box))
        if prev_block is not None and key[0] != prev_block:
            parts.append("")
        parts.append(line_text)
        prev_block = key[0]
    total = sum(len(ln.text) for ln in lines)
    mean = sum(ln.confidence * len(ln.text) for ln in lines) / total if total else 0.0
    return OcrResult("\n".join(parts), lines, mean, width, height, steps, lang)
