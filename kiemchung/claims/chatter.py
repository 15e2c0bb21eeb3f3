"""Social-media chatter added to posts, to measure whether alerts survive it (``eval matching --chatter``).

Evaluation sets such as alerts-dev hold clean sentences; real posts that repeat a rumour wrap it in
calls to share, alarm words, hearsay framing, questions, emoji and hashtags. :func:`add_chatter`
wraps a post by a fixed procedure, deterministic per post id (a random generator seeded by it):

* a prefix (alarm word, vocative or hearsay, :data:`PREFIXES`) with probability 0.5;
* a suffix (call to share, question, request for comments, :data:`SUFFIXES`) with probability 0.7,
  and always when no prefix was drawn;
* emoji (:data:`EMOJI`) after the text with probability 0.4, a hashtag (:data:`HASHTAGS`) with
  probability 0.25;
* a post written without diacritics gets its chatter without diacritics (folded); an accented post
  is put in capitals with probability 0.15.

Every post of a set gets the same procedure (rewordings, related sentences and unrelated posts
alike). The phrase lists are ours (generic Vietnamese social phrasing, written for this module, none
taken from the bundled sample or the evaluation data). The phrases of :data:`HELD_OUT` are forms the
framing filter (:mod:`kiemchung.text.framing`) does not hold: the check measures the verifier's
robustness, not only the filter's lexicon.
"""

from __future__ import annotations

import hashlib
import random

from kiemchung.text import fold

PREFIXES = (
    "KHẨN CẤP!!!", "Tin nóng:", "Mọi người ơi,", "Nghe nói", "Cả nhà ơi,", "Anh em ơi,", "NÓNG:",
    "Người ta bảo", "Trời ơi,", "Báo động!", "Nghe đồn", "Bà con ơi,",
    "KHÔNG THỂ TIN NỔI:", "Hóng:", "Cập nhật:", "Thật luôn:",
)
SUFFIXES = (
    "Chia sẻ ngay cho mọi người!", "Mọi người share giùm nha.", "Có ai biết không?", "Lan truyền giúp mình!",
    "Ai biết thêm thì cmt nhé.", "Báo cho nhau biết đi.", "Mọi người ơi.", "Có thật không vậy?",
    "Nhanh tay chia sẻ!", "Inbox mình nha.",
    "Thật hay đùa vậy?", "Xin cảm ơn!", "Tag người nhà vào đây.", "Ai ở gần xác minh giúp với.",
    "Lo quá đi mất.", "Hóng thêm tin.",
)
EMOJI = ("😱", "😡😡", "🙏", "‼️", "🔥🔥", "😭", "👉", "❗❗", "💔")
HASHTAGS = ("#chiase", "#tinnong", "#khancap", "#canhgiac", "#lantoa", "#xahoi")
# Written so that the framing filter's lexicon does not hold them (tests/test_framing.py checks it).
HELD_OUT = frozenset(PREFIXES[-4:] + SUFFIXES[-6:])


def add_chatter(post_id: str, text: str) -> str:
    """``text`` wrapped in chatter by the procedure of the module (seeded by ``post_id``)."""
    rng = random.Random(int(hashlib.md5(post_id.encode("utf-8")).hexdigest(), 16))
    folded = text == fold(text)  # the post is written without diacritics, in lower case
    prefix = rng.choice(PREFIXES) if rng.random() < 0.5 else ""
    suffix = rng.choice(SUFFIXES) if rng.random() < 0.7 or not prefix else ""
    emoji = rng.choice(EMOJI) if rng.random() < 0.4 else ""
    tag = rng.choice(HASHTAGS) if rng.random() < 0.25 else ""
    body = text.strip()
    if suffix and body and body[-1] not in ".!?…":
        body += "."
    out = " ".join(p for p in (prefix, body, suffix, emoji, tag) if p)
    if folded:
        return fold(out)
    return out.upper() if rng.random() < 0.15 else out


__all__ = ["EMOJI", "HASHTAGS", "HELD_OUT", "PREFIXES", "SUFFIXES", "add_chatter"]
