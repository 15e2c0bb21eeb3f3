"""Language detection and word segmentation (the two text functions that need outside models).

:func:`detect_language` decides obvious Vietnamese itself (density of Vietnamese-only letters),
recognizes unaccented Vietnamese by syllable structure and very common words, and asks py3langid
(bundled model, no download) otherwise. :func:`words` wraps underthesea's word segmentation; both
libraries are imported on first use, never at module import.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from kiemchung.text.syllable import _words, is_syllable

# Letters that occur in Vietnamese and (almost) nowhere else: ă đ ơ ư and the vowels with a hook,
# a dot below or two marks. Not â ê ô ã õ (French, Portuguese) nor à á è é... (many languages).
_VI_ONLY_LOWER = "ăđơưảạằắẳẵặầấẩẫậẻẽẹềếểễệỉịỏọồốổỗộờớởỡợủụừứửữựỳỷỹỵĩũ"
_VI_ONLY = frozenset(_VI_ONLY_LOWER + _VI_ONLY_LOWER.upper())
_VI_ONLY_RE = re.compile("[" + "".join(sorted(_VI_ONLY)) + "]")
# Very common Vietnamese syllables, folded: they make unaccented Vietnamese recognizable.
_COMMON_VI = _words(
    "khong duoc nguoi nhung cua va la co cho trong nay mot cac voi toi minh ban em anh chi da dang se "
    "thi ma nhu de khi nao gi ca roi lam di ve den tu tai ra vao len xuong nhieu rat qua con hay cung "
    "biet noi thay muon phai nuoc viet nam ngay nam thang gio hom chua vay sao the day do kia "
    "chia tay mua ban sang hay nen thua thang gap ghi moi"
)
# Letters with a Vietnamese mark that other languages share (â ê ô, and the five tones on a e i o u y).
_VI_MARKED = frozenset("âêôàáãèéìíòóõùúýÀÁÃÈÉÌÍÒÓÕÙÚÝÂÊÔ")
_LETTERS = re.compile(r"[^\W\d_]+")
MIN_LETTERS = 8
UNDETERMINED = "und"  # ISO 639-2 "undetermined": some text, too little evidence for any language
MIN_CONFIDENCE = 0.5  # py3langid's normalised probability below which its answer is "und"
OTHER_CONFIDENCE = 0.9  # ...and above which it overrules a weak Vietnamese prior
_SURROGATES = re.compile("[\ud800-\udfff]")


@lru_cache(maxsize=1)
def _langid() -> Any:
    """py3langid's bundled model, with normalised probabilities (0..1) as confidence.

    Read through a memory map of an uncompressed copy (:func:`_mapped_identifier`), so that only the
    pages a text walks through are resident (most news never needs the model; a year of RSS items asked
    it about one text, and loading it whole took 67 MB for that); loaded whole when the copy cannot be
    written or read."""
    from py3langid import langid

    try:
        return _mapped_identifier(langid)
    except (OSError, ValueError, KeyError, TypeError):
        return langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)


_MAP_LAYOUT = 1  # the layout of the uncompressed copy (a new number makes a new file)


def _model_copy_dir() -> Path:
    """Where the uncompressed copy of the language model is kept (``$XDG_CACHE_HOME/kiemchung``, by
    default ``~/.cache/kiemchung``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kiemchung"


def _mapped_identifier(langid: Any) -> Any:
    """py3langid's identifier over a memory map of an uncompressed copy of its model, written on first
    use (the same arrays: the same answers). The copy is named after the model file's size and time."""
    import json
    import mmap
    from array import array

    import numpy as np

    src = langid.MODEL_DIR / langid.MODEL_FILE
    st = src.stat()
    path = _model_copy_dir() / f"langid-{st.st_size}-{st.st_mtime_ns}-{_MAP_LAYOUT}.bin"
    if not path.exists():
        _write_model_copy(src, path)
    with open(path, "rb") as fh:
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    size = int.from_bytes(mm[:8], "little")
    head = json.loads(mm[8 : 8 + size])
    view = memoryview(mm)

    def table(name: str) -> Any:
        off, dtype, shape = head[name]
        count = 1
        for n in shape:
            count *= n
        return np.frombuffer(mm, dtype=dtype, count=count, offset=off).reshape(shape)

    def ints(name: str) -> memoryview:  # indexing gives Python ints, as py3langid's array('I'/'H') did
        off, code, n = head[name]
        return view[off : off + n * array(code).itemsize].cast(code)

    return langid.LanguageIdentifier(
        table("ptc"), table("pc"), head["classes"], ints("nextmove"), ints("output"), norm_probs=True,
        tk_row=ints("row"),
    )


def _write_model_copy(src: Path, path: Path) -> None:
    import json
    import tempfile
    from array import array

    import numpy as np
    from py3langid.modelio import load_model

    ptc, pc, classes, nextmove, row, output = load_model(src)
    parts: list[tuple[str, bytes, Any]] = [
        ("ptc", np.ascontiguousarray(ptc).tobytes(), (np.asarray(ptc).dtype.str, list(np.shape(ptc)))),
        ("pc", np.ascontiguousarray(pc).tobytes(), (np.asarray(pc).dtype.str, list(np.shape(pc)))),
        ("nextmove", nextmove.tobytes(), (nextmove.typecode, len(nextmove))),
        ("row", row.tobytes(), (row.typecode, len(row))),
        ("output", array("i", output).tobytes(), ("i", len(output))),
    ]
    head: dict[str, Any] = {"classes": list(classes)}
    for _ in range(2):  # offsets depend on the header's length: lay out twice
        text = json.dumps(head).encode()
        off = -(-(8 + len(text) + 64) // 64) * 64
        for name, data, (kind, shape) in parts:
            head[name] = [off, kind, shape]
            off += -(-len(data) // 64) * 64
    text = json.dumps(head).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".langid-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(len(text).to_bytes(8, "little") + text)
            for name, data, _ in parts:
                fh.seek(head[name][0])
                fh.write(data)
        os.replace(tmp, path)  # (another process writing the same copy at once: either file is whole)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def release_model() -> None:
    """Let go of py3langid's model (a float16 matrix of 100,053 features x 142 languages and its
    tokenizer's transition table, 67 MB when loaded whole; the pages read of its mapped copy otherwise);
    the next call that needs it maps or loads it again."""
    _langid.cache_clear()


def _syllable_text(words: list[str]) -> bool:
    """True when the words read as Vietnamese: nearly all are syllables, many are very common ones.

    Catches unaccented Vietnamese ("toi khong biet gi ca") and short accented text with few
    Vietnamese-only letters ("Ho do tâm lý").
    """
    if len(words) < 3:
        return False
    syll = sum(1 for w in words if is_syllable(w))
    common = sum(1 for w in words if _fold(w) in _COMMON_VI)
    return syll >= 0.9 * len(words) and common >= max(2, 0.3 * len(words))


def _vietnamese_prior(words: list[str], sample: str) -> bool:
    """Weaker evidence, enough for short posts and titles unless the model is sure of another language.

    The words that are not names (lower case, and a first word that is a syllable) must be at least two, nearly all
    Vietnamese syllables once folded, with a very common Vietnamese word or a letter with a Vietnamese
    mark in the text: "dat phu duong dau gia toi 32 trieu mot met", "Monica Bellucci và Tim Burton chia
    tay" (foreign names say nothing about the language of the sentence around them).
    """
    plain = [w for i, w in enumerate(words) if not w[:1].isupper() or (i == 0 and is_syllable(w))]
    if len(plain) < 2:
        return False
    syll = sum(1 for w in plain if is_syllable(w))
    if syll < 0.85 * len(plain):
        return False
    return any(_fold(w) in _COMMON_VI for w in plain) or any(c in _VI_MARKED for c in sample)


def _fold(word: str) -> str:
    from kiemchung.text.core import fold

    return fold(word)


def detect_language(text: str) -> str | None:
    """ISO 639 code of the language of ``text``; "und" when the evidence is too weak; None when there
    is too little text to tell (fewer than 8 letters).

    Vietnamese is decided without a model when Vietnamese-only letters (ă đ ơ ư, and vowels with a hook,
    a dot below or two marks) make up more than 3% of the letters, or when the words are Vietnamese
    syllables, many of them very common ones (unaccented "toi khong biet gi ca"). The rest goes to
    py3langid, whose answer counts when its probability is at least 0.5 ("und" otherwise), except that
    short posts whose words are nearly all Vietnamese syllables, with a common word or a Vietnamese
    mark, stay Vietnamese unless the model is 90% sure of another language (unaccented posts were read
    as Ligurian, Occitan or Nigerian Pidgin).
    """
    if not text:
        return None
    sample = text[:2000]
    words = _LETTERS.findall(sample)
    n_letters = sum(len(w) for w in words)
    if n_letters < MIN_LETTERS:
        return None
    vi = len(_VI_ONLY_RE.findall(sample))
    if vi / n_letters > 0.03:
        return "vi"
    if _syllable_text(words):
        return "vi"
    lang, confidence = _langid().classify(sample)
    if lang == "vi":
        return "vi"
    if confidence < OTHER_CONFIDENCE and _vietnamese_prior(words, sample):
        return "vi"
    return str(lang) if confidence >= MIN_CONFIDENCE else UNDETERMINED


def words(text: str) -> list[str]:
    """Vietnamese word segmentation with underthesea: ``"Hà Nội mưa to"`` → ``["Hà Nội", "mưa", "to"]``.

    Slow (a CRF model): keep it off the indexing path. underthesea is imported on first call.
    """
    if not text or not text.strip():
        return []
    from underthesea import word_tokenize

    # underthesea's CRF encodes to UTF-8: lone surrogates (from broken JSON escapes) would raise.
    return list(word_tokenize(_SURROGATES.sub("\ufffd", text)))
