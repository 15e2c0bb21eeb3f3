"""Social-media chatter and framing around a claim: what a post adds that says nothing about the claim.

Posts that repeat a rumour wrap it: calls to share ("chia sẻ ngay", "share cho người nhà"), alarm
words ("KHẨN CẤP!!!", "tin nóng"), vocatives ("mọi người ơi", "mn ơi"), hearsay framing ("nghe
nói", "người ta bảo"), requests for more ("có ai biết không?", "ai biết thêm thì bình luận"),
emoji, hashtags and sentence-final particles ("nhé", "nha"). The claim verifier compares words, and
words that are rare in the news (as chatter is) weigh most, so this wrapping counts against a match.

:func:`strip_framing` removes it by a lexicon and a few patterns, in accented or unaccented
spelling (everything is compared folded, see :func:`kiemchung.text.fold`):

* a **chatter clause** (text between punctuation) is dropped whole when it holds at least one
  chatter key phrase (:data:`KEY_PHRASES`) and every other word is a filler (:data:`FILLERS`:
  audience, politeness and hurry words); a clause with any other word is kept, so "không ai dám
  uống" or "nước máy có nhiễm độc không?" stay;
* **leading framing** of a kept clause (:data:`LEADING`: "nghe nói", "người ta bảo", "tin nóng",
  a vocative) is cut, repeatedly;
* **final particles** of a kept clause (:data:`PARTICLES`, accented forms only: folded ones are
  other words too) are cut;
* emoji and hashtags are removed everywhere.

:func:`clauses` splits text at clause punctuation (a ``.``/``,`` inside a number does not split).
The lists are ours, written for this module (docs/matching.md, "Chatter and framing").
"""

from __future__ import annotations

import re

from kiemchung.text.core import token_spans


def _phrases(*items: str) -> tuple[tuple[str, ...], ...]:
    """Folded phrases as token tuples, longest first (so the longest match wins)."""
    return tuple(sorted({tuple(p.split()) for p in items}, key=len, reverse=True))


# Phrases that mark a clause as chatter (folded).
KEY_PHRASES = _phrases(
    # calls to share or pass on
    "chia se", "share", "sh", "repost", "lan truyen", "nhan rong", "chuyen tiep", "truyen tay",
    "bao nhau", "bao cho nhau", "nhac nhau", "loan tin", "dang lai", "up len",
    # alarm and hype
    "khan cap", "tin nong", "nong", "hot", "soc", "bao dong", "tin khan", "cuc nong", "nong hoi",
    "that kinh khung", "kinh khung", "qua kinh khung", "troi oi", "oi troi", "chet thiet", "ghe qua",
    # vocatives
    "moi nguoi oi", "mn oi", "ca nha oi", "ae oi", "anh em oi", "ba con oi", "cac ban oi", "ban oi",
    "moi nguoi", "mn", "ca nha", "ae", "ba con", "cac ban",
    # requests for more, doubt
    "co ai biet khong", "ai biet khong", "ai biet gi them khong", "ai biet them", "co that khong",
    "that khong", "dung khong", "phai khong", "binh luan", "comment", "cmt", "inbox",
    "ib", "xac nhan giup", "kiem chung giup", "thong tin them", "thong bao",
    # hearsay on its own
    "nghe noi", "nghe dau", "nghe don", "nguoi ta bao", "nguoi ta noi", "co nguoi noi",
)
# Words a chatter clause may hold besides its key phrases (folded, teencode included).
FILLERS = frozenset(
    "cho nhau ngay gap di nhe nha nhen ne nha voi vs len rong de biet bit cung het nhanh lien luon "
    "toi tat ca nguoi nha than ban be gia dinh thong tin nay ai co ko khong k gi j them nua "
    "hay nho vui long lam on xin cu can a ak ah ha ho day do oi roi rui ui nhieu nhat giup minh mik "
    "tui em anh chi con ve chuyen tin nhe voi nhung rat qua wa lam va ma thi la di duoc dc "
    "the vay v nao sao dum dum gium".split()
)
# Framing cut from the start of a kept clause (folded), repeatedly.
LEADING = _phrases(
    "nghe noi", "nghe dau", "nghe don", "nghe bao", "nguoi ta bao", "nguoi ta noi", "co nguoi noi",
    "co nguoi bao", "hinh nhu", "tin nong", "khan cap", "canh bao khan",
    "moi nguoi oi", "mn oi", "ca nha oi", "ae oi", "anh em oi", "ba con oi", "cac ban oi", "ban oi",
    "troi oi", "oi troi",
)
# Sentence-final particles cut from the end of a kept clause, as written (lower case). Only accented
# forms: folded, "nha" is also "nhà" (house), "nhe" "nhẹ" (light), "a" "Á" (Asia), "ha" "hà"/"hạ",
# "di" "đi" (go); measured on matching-dev's and alerts-dev's posts without diacritics.
PARTICLES = frozenset("nhé nhá nè hả nhỉ à ạ".split())

_HASHTAG = re.compile(r"#\w+")
# Emoji and pictographs, dingbats, variation selectors, joiners, flags.
_EMOJI = re.compile(
    "[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U0001F900-\U0001F9FF\U00002300-\U000023FF"
    "\U00002B00-\U00002BFF\U0000FE0E\U0000FE0F\U0000200D\U000020E3]+"
)
# A clause ends at , ; : . ! ? … or a line break, when followed by white space or the end of the text.
_SPLIT = re.compile(r"(?:[,;:.!?…]+(?=\s|$)|\n)")


def clauses(text: str) -> list[str]:
    """The clauses of ``text``, stripped, empty ones left out."""
    return [c.strip() for c in _SPLIT.split(text) if c and c.strip()]


# Teencode spellings of words the phrases hold (folded).
_TEEN = {"ko": "khong", "k": "khong", "hok": "khong", "khg": "khong", "kg": "khong", "bit": "biet",
         "dc": "duoc", "j": "gi", "wa": "qua", "rui": "roi"}


def _folded(clause: str) -> tuple[list[tuple[int, int, str]], list[str]]:
    """Token spans of ``clause`` and its folded tokens with teencode spellings read as words."""
    spans = token_spans(clause)
    return spans, [_TEEN.get(t, t) for _, _, t in spans]


def _starts(tokens: list[str], i: int, table: tuple[tuple[str, ...], ...]) -> int:
    """Length of the longest phrase of ``table`` at ``tokens[i:]`` (0: none)."""
    for p in table:
        if tuple(tokens[i:i + len(p)]) == p:
            return len(p)
    return 0


def is_chatter(clause: str) -> bool:
    """True when ``clause`` is only chatter: at least one key phrase, every other word a filler."""
    _, toks = _folded(clause)
    if not toks:
        return True
    i = keys = 0
    while i < len(toks):
        n = _starts(toks, i, KEY_PHRASES)
        if n:
            keys += 1
            i += n
        elif toks[i] in FILLERS:
            i += 1
        else:
            return False
    return keys > 0


def _trim(clause: str) -> str:
    """``clause`` without its leading framing and final particles."""
    spans, toks = _folded(clause)
    i = 0
    while i < len(toks):
        n = _starts(toks, i, LEADING)
        if not n:
            break
        i += n
    j = len(toks)
    while j > i + 1 and clause[spans[j - 1][0]:spans[j - 1][1]].lower() in PARTICLES:
        j -= 1
    if i >= j:
        return ""
    return clause[spans[i][0]:spans[j - 1][1]]


def strip_framing(text: str) -> str:
    """``text`` without its chatter and framing (see the module), clauses joined by ", ". Empty
    when nothing else is left (a post that is only "chia sẻ ngay 😱")."""
    if not text:
        return ""
    text = _EMOJI.sub(" ", _HASHTAG.sub(" ", text))
    kept = []
    for c in clauses(text):
        if is_chatter(c):
            continue
        c = _trim(c)
        if c:
            kept.append(c)
    return ", ".join(kept)


__all__ = ["FILLERS", "KEY_PHRASES", "LEADING", "PARTICLES", "clauses", "is_chatter", "strip_framing"]
