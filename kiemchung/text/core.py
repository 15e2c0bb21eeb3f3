"""Normalization, folding and tokenization of Vietnamese text.

Token rule (one rule for every caller; see docs/text.md):

* a **word token** is a run of letters and digits (``[^\\W_]``), so "F0", "5G" and "COVID" are one
  token each and "COVID-19" is two ("covid", "19");
* a **number token** joins digit groups with ``.``, ``,`` or ``/`` when a digit follows the
  separator, and takes a directly attached ``%``: "1.000", "0,34", "1.000.000", "7/2025",
  "12/7/2025", "30%", "2,5%";
* combining marks (U+0300–U+036F) right after any character of a token belong to the token, so
  decomposed (NFD) text tokenizes like precomposed text;
* everything else (space, punctuation, symbols, zero-width characters) separates tokens.

Folding never adds, removes or moves a token boundary, so the tokens of ``text`` and of
``fold(text)`` align one to one; :func:`token_spans` relies on that to map folded terms back to
offsets in the original text for highlighting.
"""

# ruff: noqa: RUF001, RUF002  (Vietnamese text: letters, quotes and dashes are meant)

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from itertools import pairwise

from kiemchung.text import memo
from kiemchung.text.syllable import _TONES_GET, place_tone
from kiemchung.text.teencode import expand_teencode

_MARK = "[\u0300-\u036f]*"
_TOKEN = re.compile(
    rf"(?:\d{_MARK})+(?:[.,/]{_MARK}(?:\d{_MARK})+)+(?:%{_MARK})?"
    rf"|(?:\d{_MARK})+%{_MARK}"
    rf"|(?:[^\W_]{_MARK})+"
)
_WORD = re.compile(r"[^\W\d_][\w\u0300-\u036f]*")


def _build_fold_table() -> dict[int, int | str | None]:
    table: dict[int, int | str | None] = {}
    for cp in list(range(0x00C0, 0x2200)) + list(range(0xFB00, 0xFB07)):
        ch = chr(cp)
        if not ch.isalpha() or 0x0300 <= cp <= 0x036F:
            continue
        low = ch.lower()
        if len(low) != 1:
            low = ch
        base = "".join(c for c in unicodedata.normalize("NFD", low) if not 0x0300 <= ord(c) <= 0x036F)
        if len(base) == 1 and base.isalpha() and base != ch:
            table[cp] = base
    for cp in range(0x0300, 0x0370):
        table[cp] = None
    table[ord("đ")] = "d"
    table[ord("Đ")] = "d"
    table[ord("ð")] = "d"  # eth, the look-alike legacy converters used for đ
    table[ord("Ð")] = "d"
    table[ord("Σ")] = "σ"  # str.lower() would pick the final form from context
    table[ord("İ")] = "i"  # str.lower() gives two characters
    return table


_FOLD_TABLE = _build_fold_table()

# Control characters that are not white space, and every format character (zero-width space,
# joiners, soft hyphen, BOM, direction marks...): removed by normalize().
_INVISIBLE = re.compile(
    "["
    + "".join(
        re.escape(chr(cp))
        for cp in range(0x10000)
        if unicodedata.category(chr(cp)) in ("Cc", "Cf") and not chr(cp).isspace()
    )
    + "\U000e0000-\U000e007f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    + "]+"
)
_HSPACE = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r" ?\n[\s]*")


def _fix_word(m: re.Match[str]) -> str:
    word = m.group()
    hit = _TONES_GET(word)
    return hit if hit is not None else place_tone(word)


# Per-chunk caches (a chunk is a run of non-space characters): news text repeats its chunks so much
# that a dict lookup per chunk replaces almost all regex work on the hot path. Each holds at most
# 300,000 chunks, with the previous generation beside it (kiemchung.text.memo).
_NORM = memo.Generations("normalize", 300_000)
_TOKS = memo.Generations("syllables", 300_000)
_TEEN = memo.Generations("syllables, teencode", 300_000)
_SPANS = memo.Generations("token_spans", 300_000)
_NORM_CHUNK: dict[str, str] = _NORM.new
_TOKS_CHUNK: dict[str, list[str]] = _TOKS.new
_TEEN_CHUNK: dict[str, list[str]] = _TEEN.new
_SPANS_CHUNK: dict[str, list[tuple[int, int, str]]] = _SPANS.new


def clear_caches() -> None:
    """Empty the per-chunk, tone-placement and mojibake caches (a process done with a large import
    gives their memory back; they fill again as text comes)."""
    from kiemchung.text import mojibake, syllable  # noqa: F401  (their caches register on import)

    memo.clear()
    syllable.is_syllable.cache_clear()


def limit_caches(entries: int) -> Callable[[], None]:
    """Hold at most ``entries`` entries in each generation of every text cache (the per-chunk ones,
    the tone-placement one, the mojibake check's; see kiemchung.text.memo) from now on; returns a
    function that gives the previous bounds back. For a process whose memory must not grow with the
    size of one import: the import's ingest (kiemchung.processes.bulk_collector) and the story stage's
    feature helper (see kiemchung.stories.service)."""
    from kiemchung.text import mojibake, syllable  # noqa: F401  (their caches register on import)

    before = memo.limit(entries)
    return lambda: memo.restore(before)


def _norm_chunk(chunk: str) -> str:
    out = _NORM.old.get(chunk)
    if out is None:
        out = _WORD.sub(_fix_word, unicodedata.normalize("NFC", chunk))
    return _NORM.keep(chunk, out)


def _toks_chunk(chunk: str) -> list[str]:
    # Through the normalized chunk, so that syllables(text) == syllables(normalize(text)) even for
    # characters that NFC changes (CJK compatibility ideographs, composition exclusions).
    out = _TOKS.old.get(chunk)
    if out is None:
        out = _TOKEN.findall(fold(_NORM_CHUNK.get(chunk) or _norm_chunk(chunk)))
    return _TOKS.keep(chunk, out)


def _teen_chunk(chunk: str) -> list[str]:
    out = _TEEN.old.get(chunk)
    if out is None:
        out = _TOKEN.findall(fold(expand_teencode(_NORM_CHUNK.get(chunk) or _norm_chunk(chunk))))
    return _TEEN.keep(chunk, out)


def _folded_tokens(text: str, teencode: bool = False) -> list[str]:
    """Folded tokens of ``text`` (invisible characters already removed), chunk by chunk.

    Tokens never contain white space, so the tokens of a text are those of its chunks in order.
    """
    cache, miss = (_TEEN_CHUNK, _teen_chunk) if teencode else (_TOKS_CHUNK, _toks_chunk)
    get = cache.get
    out: list[str] = []
    for chunk in text.split():
        toks = get(chunk)
        out.extend(toks if toks is not None else miss(chunk))
    return out


def clean(text: str) -> str:
    """Remove control and zero-width characters; the rest of ``text`` is kept as it is."""
    return _INVISIBLE.sub("", text) if text else ""


def normalize(text: str, *, teencode: bool = False, keep_newlines: bool = False) -> str:
    """Return ``text`` in kiemchung's canonical form.

    Unicode NFC; one tone-mark placement ("hòa, khỏe, thủy", see :mod:`kiemchung.text.syllable`),
    also for decomposed text and tone marks typed as separate combining characters; control and
    zero-width characters removed; white space collapsed to single spaces and stripped. With
    ``keep_newlines`` line breaks survive (runs of blank lines become one blank line), for bodies
    whose paragraphs matter. With ``teencode`` post abbreviations are expanded
    (:func:`expand_teencode`). Idempotent.
    """
    if not text:
        return ""
    if not isinstance(text, str):
        raise TypeError(f"normalize() expects str, not {type(text).__name__}")
    text = _INVISIBLE.sub("", text)
    if keep_newlines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" in text:
            text = _HSPACE.sub(" ", text)
            text = _NEWLINES.sub(lambda m: "\n\n" if m.group().count("\n") > 1 else "\n", text).strip()
        else:  # one line: the same as the two substitutions and the strip, without the regexes
            text = " ".join(text.split())
        if not text.isascii():
            # chunk by chunk through the cache, as below (a word never spans white space); lines are
            # separated by one newline or a blank line, words by one space
            get = _NORM_CHUNK.get
            text = "\n".join(
                [" ".join([get(c) or _norm_chunk(c) for c in line.split(" ")]) if line else "" for line in text.split("\n")]
            )
    elif text.isascii():
        text = " ".join(text.split())
    else:
        get = _NORM_CHUNK.get
        text = " ".join([get(c) or _norm_chunk(c) for c in text.split()])
    if teencode:
        text = expand_teencode(text)
    return text


def fold(text: str) -> str:
    """Lowercase, strip all diacritics and map đ → d: the form used for indexing and matching.

    Works character by character (a combining mark is dropped, a letter becomes one letter), so the
    result is never longer than ``text`` and token boundaries do not move.
    """
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD_TABLE).lower()


def syllables(text: str, *, strip: bool = True, normalized: bool = False) -> list[str]:
    """Tokens of ``text`` (see the module's token rule), lowercase.

    With ``strip`` (default) tokens are folded (no diacritics); with ``strip=False`` they keep their
    diacritics, normalized as by :func:`normalize`. ``normalized`` says that ``text`` is made of
    :func:`normalize`'s output (which has no control or zero-width character left): the pass that
    removes those is skipped (3 of the 13 microseconds of an RSS item's title and summary), with the
    same tokens.
    """
    if not text:
        return []
    if strip:
        return _folded_tokens(text if normalized else _INVISIBLE.sub("", text))
    return _TOKEN.findall(normalize(text).lower())


def bigrams(tokens: list[str]) -> list[str]:
    """Adjacent token pairs joined by ``_``: ``["ha", "noi", "mua"]`` → ``["ha_noi", "noi_mua"]``."""
    return list(map("_".join, pairwise(tokens)))


def index_terms(text: str, *, teencode: bool = False) -> list[str]:
    """Folded tokens of ``text`` followed by their bigrams: the terms BM25 and clustering work on.

    Equal to ``syllables(normalize(text, teencode=teencode))`` plus its bigrams, computed chunk by
    chunk (runs of non-space characters) with a cache, which makes it fast on news text.
    """
    if not text:
        return []
    toks = _folded_tokens(_INVISIBLE.sub("", text), teencode)
    return toks + bigrams(toks)


def token_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, folded token)`` for each token of ``text``; offsets index ``text`` itself.

    The folded tokens are exactly :func:`syllables` of ``text`` when ``text`` is NFC and has no
    zero-width characters (those split a token here, since the offsets must stay in the original
    text).
    """
    out: list[tuple[int, int, str]] = []
    get = _SPANS_CHUNK.get
    for m in _CHUNK.finditer(text):
        chunk = m.group()
        spans = get(chunk)
        if spans is None:
            spans = _spans_chunk(chunk)
        base = m.start()
        out.extend([(base + s, base + e, t) for s, e, t in spans])
    return out


_CHUNK = re.compile(r"\S+")
def _spans_chunk(chunk: str) -> list[tuple[int, int, str]]:
    out = _SPANS.old.get(chunk)
    if out is None:
        out = [(m.start(), m.end(), fold(m.group())) for m in _TOKEN.finditer(chunk)]
    return _SPANS.keep(chunk, out)


_SENTENCE_END = re.compile(r"[.!?…:;\n]")


# The kind of a named thing, the word written before its name ("cầu Giang Khẩu 2", "phường Vĩnh Tân",
# "bệnh viện Bạch Mai", "công ty Vedan"; the last syllable of a two-word kind, with its diacritics, so
# that "cho", "chưa", "đến" are not read as "chợ", "chùa", "đền"): what a post says when it speaks of
# the thing without naming it ("cầu mới làm chưa được một tháng đã nứt").
NAME_HEADS = frozenset((
    "cầu", "sông", "hồ", "suối", "núi", "đèo", "đầm", "hầm", "đường", "phố", "lộ", "ngõ", "hẻm", "chợ", "ga",
    "cảng", "bay", "bến", "phường", "xã", "huyện", "quận", "tỉnh", "thôn", "ấp", "làng", "bản", "khu", "trường",
    "viện", "ty", "đập", "đình", "chùa", "đền",
))


def name_runs(text: str) -> list[list[str]]:
    """The proper names of a well-formed sentence, as runs of folded tokens: words written with a
    capital, not counting a sentence's first word unless the next is capitalised too, with a number
    right after one, and the kind written before the name when it is one of :data:`NAME_HEADS` ("Cầu
    Giang Khẩu 2 vừa khánh thành" → ``[["cau", "giang", "khau", "2"]]``, "dân phường Vĩnh Tân" →
    ``[["phuong", "vinh", "tan"]]``, "Hà Nội mưa" → ``[["ha", "noi"]]``). Text written mostly in
    capitals names nothing."""
    return [run for _, run in name_spans(text)]


def name_spans(text: str) -> list[tuple[str, list[str]]]:
    """:func:`name_runs` with each name as written (normalized): ``[("Cầu Giang Khẩu 2", ["cau",
    "giang", "khau", "2"])]``; a name that starts with its kind starts with one of :data:`NAME_HEADS`
    (a capitalised kind, "Cầu", as the first word of a sentence)."""
    src = normalize(text)
    letters = [c for c in src if c.isalpha()]
    if not letters or sum(c.isupper() for c in letters) > 0.5 * len(letters):
        return []
    runs: list[list] = []  # [start, end, folded tokens]
    run: list | None = None
    before: tuple[int, str] | None = None  # the word before, when a run may start with it: a sentence's
    end = -1  # capitalised first word (kept if a capitalised word follows) or a kind (NAME_HEADS)
    for start, stop, tok in token_spans(src):
        raw, gap = src[start:stop], src[end:start] if end >= 0 else "."
        first, joined = bool(_SENTENCE_END.search(gap)), end >= 0 and not gap.strip()
        if raw[:1].isupper() and not first:
            if not (run and joined):
                run = [before[0], stop, [before[1]]] if before is not None and joined else [start, stop, []]
                runs.append(run)
            run[1] = stop
            run[2].append(tok)
        elif raw.isdigit() and run and joined and not first:
            run[1] = stop
            run[2].append(tok)
        else:
            run = None
        before = (start, tok) if (first and raw[:1].isupper()) or raw in NAME_HEADS else None
        end = stop
    return [(src[a:b], toks) for a, b, toks in runs]


def tokens(text: str) -> list[str]:
    """Raw tokens of ``text`` (no folding, no lowercasing), by the module's token rule."""
    return _TOKEN.findall(text)


__all__ = [
    "NAME_HEADS",
    "bigrams",
    "clean",
    "expand_teencode",
    "fold",
    "index_terms",
    "name_runs",
    "name_spans",
    "normalize",
    "syllables",
    "token_spans",
    "tokens",
]


def first_words(text: str | None, n: int = 12, max_chars: int = 90) -> str:
    """The first ``n`` words of ``text`` (at most ``max_chars`` characters), with "…" when cut.

    What a list shows for a document without a title (a social media post): its own words, never
    a placeholder such as "(không tiêu đề)".
    """
    words = (text or "").split()
    if not words:
        return ""
    out = " ".join(words[:n])
    cut = len(words) > n
    if len(out) > max_chars:
        out = out[:max_chars].rsplit(" ", 1)[0] or out[:max_chars]
        cut = True
    return out.rstrip(",;:-–") + ("…" if cut else "")
