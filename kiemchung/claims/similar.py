"""Fact-checks that state the same claim as another, so that a desk does not check a claim twice.

An exact repeat of a phrasing is refused when a fact-check is saved (:class:`DuplicateFactCheckError`);
a rewording is not. :func:`similar_factchecks` finds the rewordings: the other fact-checks that the
claim matcher retrieves for any phrasing of this one and whose closest phrasing is the same claim by
the pair decision (:meth:`~kiemchung.claims.match.ClaimMatcher.same_claim`: IDF-weighted overlap of
syllables and bigrams, lower when a figure differs), or that match it over the installation's
threshold. Withdrawn fact-checks are left out.

The matcher over every phrasing is kept between calls and rebuilt when any fact-check changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from kiemchung.claims.config import match_config
from kiemchung.claims.factchecks import FactCheck, claim_texts, get_factcheck, signature
from kiemchung.claims.match import ClaimMatcher
from kiemchung.claims.memo import PerDatabase
from kiemchung.claims.tables import factcheck_phrasings, factchecks

_matchers: PerDatabase[tuple[ClaimMatcher, dict[int, list[str]]]] = PerDatabase()


@dataclass
class SimilarFactCheck:
    """Another fact-check that may state the same claim."""

    factcheck: FactCheck
    score: float  # pair similarity of the closest two phrasings, 0..1
    same_claim: bool  # the pair decision on those two phrasings
    phrasing: str  # its phrasing closest to ours
    reason: list[str] = field(default_factory=list)  # shared words


def _matcher(db) -> tuple[ClaimMatcher, dict[int, list[str]]]:
    cfg = match_config(db)

    def build() -> tuple[ClaimMatcher, dict[int, list[str]]]:
        with db.read() as conn:
            rows = conn.execute(
                select(factcheck_phrasings.c.factcheck_id, factcheck_phrasings.c.text)
                .select_from(factcheck_phrasings.join(factchecks, factchecks.c.id == factcheck_phrasings.c.factcheck_id))
                .where(factchecks.c.status != "withdrawn")
                .order_by(factcheck_phrasings.c.factcheck_id, factcheck_phrasings.c.position)
            ).all()
        m = ClaimMatcher(cfg)
        phrasings: dict[int, list[str]] = {}
        for fc_id, text in rows:
            phrasings.setdefault(fc_id, []).append(text)
            m.add(f"{fc_id}:{len(phrasings[fc_id])}", text, group=str(fc_id))
        return m, phrasings

    return _matchers.get(db, (signature(db), repr(cfg)), build)


def similar_factchecks(db, fc_or_text: FactCheck | int | str, *, limit: int = 5) -> list[SimilarFactCheck]:
    """Other fact-checks that may state the same claim as ``fc_or_text`` (a fact-check, its id, or a
    claim being written), most similar first; at most ``limit``."""
    fc, texts = claim_texts(db, fc_or_text)
    own = fc.id if fc is not None else None
    if not texts or limit <= 0:
        return []
    m, phrasings = _matcher(db)
    best: dict[int, tuple[float, bool, str, list[str]]] = {}
    for text in texts:
        for r in m.match(text, k=limit + 1):
            fc_id = int(r.entry_id)
            if fc_id == own:
                continue
            score, phrasing = max((m.similar(text, p), p) for p in phrasings[fc_id])
            same = m.same_claim(text, phrasing)
            if not (same or r.matched):
                continue
            if fc_id not in best or score > best[fc_id][0]:
                best[fc_id] = (score, same, phrasing, r.reason)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
    return [SimilarFactCheck(get_factcheck(db, fc_id), round(score, 4), same, phrasing, reason)
            for fc_id, (score, same, phrasing, reason) in ranked]


__all__ = ["SimilarFactCheck", "similar_factchecks"]
