"""A fast rule-based sentence splitter for Vietnamese news and posts.

Rules, in order:

1. a line break always ends a sentence (news bodies put one paragraph per line);
2. inside a line, a sentence ends at ``.``, ``!``, ``?``, ``…`` or ``...`` (possibly followed by
   closing quotes or brackets) **followed by white space and then** an upper-case letter, a digit,
   an opening quote or bracket, or a dialogue dash;
3. a single ``.`` does not end a sentence after a known abbreviation ("TP.", "TS.", "PGS.",
   "ThS.", "Q.", "P.", "Mr."...) or after initials (one ASCII capital, "Nguyễn V. A", or dotted
   capitals, "E.J. Antoni"); a Vietnamese one-letter word does end one ("Đông Nam Á. Các...");
4. a ``.`` or ``,`` with no white space after it never splits, so numbers ("1.000", "0,34"),
   "Q.1" and "TP.HCM" stay whole.

It does not try to split sentences that run on without a capital letter ("đi rồi. mai về"), as
posts often do: such text is kept as one sentence rather than risk cutting names.
"""

# ruff: noqa: RUF001  (Vietnamese text: letters, quotes and dashes are meant)

from __future__ import annotations

import re


def _words(spaced: str) -> frozenset[str]:
    """The space-separated words of ``spaced`` as a set (keeps long tables readable)."""
    return frozenset(spaced.split())


# Abbreviations written with a final period in Vietnamese news (case-sensitive).
ABBREVIATIONS = _words(
    "TP Tp tp TX Tx TT Tt Q P X H TS Ts PGS GS ThS Ths BS Bs KS Ks CN Th TS.BS ThS.BS PGS.TS GS.TS "
    "NXB Nxb St Mr Mrs Ms Dr Prof Jr Sr No Co Ltd Inc vs etc Tr tr Ng"
)

_BOUNDARY = re.compile(r"(?P<punct>\.{2,}|…|[.!?]+)(?P<close>[\"'”’»)\]]*)(?P<space>\s+)")
_OPENERS = "\"'“‘«([–—-"
_LAST_WORD = re.compile(r"([\w.]+)$")
_INITIALS = re.compile(r"(?:[A-Z]\.)*[A-Z]")


def _is_abbreviation(before: str) -> bool:
    m = _LAST_WORD.search(before)
    if not m:
        return False
    word = m.group(1)
    if word in ABBREVIATIONS or word.rstrip(".") in ABBREVIATIONS:
        return True
    # Initials: one ASCII capital ("Nguyễn V. A", "P. Bến Nghé") or dotted ones ("E.J. Antoni").
    # Single Vietnamese capitals are words ("Đông Nam Á.", "nước Ý.") and do end sentences.
    return _INITIALS.fullmatch(word) is not None


def _starts_sentence(line: str, pos: int) -> bool:
    """True when the text at ``pos`` can begin a sentence (capital, digit, quote, dialogue dash)."""
    n = len(line)
    i = pos
    while i < n and line[i] in _OPENERS:
        if line[i] in "–—-" and i + 1 < n and line[i + 1] == " ":
            return True
        i += 1
    return i < n and (line[i].isupper() or line[i].isdigit())


def _split_line(line: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(line):
        if not _starts_sentence(line, m.end()):
            continue
        if m.group("punct") == "." and not m.group("close") and _is_abbreviation(line[start : m.start()]):
            continue
        piece = line[start : m.start("space")].strip()
        if piece:
            out.append(piece)
        start = m.end()
    tail = line[start:].strip()
    if tail:
        out.append(tail)
    return out


def sentences(text: str) -> list[str]:
    """Split ``text`` into sentences (see the module docstring for the rules); empty parts dropped."""
    if not text:
        return []
    out: list[str] = []
    for line in text.splitlines():
        if line.strip():
            out.extend(_split_line(line))
    return out
