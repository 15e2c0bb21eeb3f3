"""Suggested evidence: the stored official statements that speak to a claim.

A false or misleading verdict needs cited evidence, and an office's best evidence is usually an
official statement it has already collected (documents of kind "official"). :func:`suggest_evidence`
ranks them for a claim with the claim matcher (the ranking ``kiemchung eval evidence`` measures:
recall@5 0.98 on claims-dev) and keeps those that cover enough of the claim's words. The editor still
chooses what to cite.

The matcher over the official statements is kept between calls and rebuilt when one is added or
removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from kiemchung.claims.alerts import document_text
from kiemchung.claims.config import match_config
from kiemchung.claims.factchecks import FactCheck, claim_texts
from kiemchung.claims.match import ClaimMatcher
from kiemchung.claims.memo import PerDatabase
from kiemchung.models import Document
from kiemchung.store import schema as t
from kiemchung.store.database import document_from_row

# A suggestion must hold at least this IDF-weighted share of the claim's words (feature ``cov``).
MIN_COVERAGE = 0.3

_matchers: PerDatabase[ClaimMatcher] = PerDatabase()


@dataclass
class EvidenceSuggestion:
    """An official statement that may support or refute the claim."""

    document: Document
    score: float  # the matcher's calibrated score
    coverage: float  # IDF-weighted share of the claim's words the statement holds
    reason: list[str] = field(default_factory=list)  # shared words


def _official(db) -> ClaimMatcher:
    d = t.documents.c
    cfg = match_config(db)
    with db.read() as conn:
        count, top = conn.execute(select(func.count(), func.max(d.id)).where(d.kind == "official")).one()

    def build() -> ClaimMatcher:
        m = ClaimMatcher(cfg)
        with db.read() as conn:
            for row in conn.execute(select(t.documents).where(d.kind == "official").order_by(d.id)):
                doc = document_from_row(row)
                m.add(str(doc.id), document_text(doc))
        return m

    return _matchers.get(db, (count, top, repr(cfg)), build)


def suggest_evidence(db, fc_or_text: FactCheck | int | str, *, limit: int = 5) -> list[EvidenceSuggestion]:
    """Official statements for ``fc_or_text`` (a fact-check, its id, or a claim), best first; those
    the fact-check already cites (by document or by URL) are left out."""
    fc, texts = claim_texts(db, fc_or_text)
    evidence = fc.evidence if fc is not None else []
    cited = {e["doc_id"] for e in evidence if e.get("doc_id")}
    cited_urls = {e["url"] for e in evidence if e.get("url")}
    if not texts or limit <= 0:
        return []
    m = _official(db)
    best: dict[int, tuple[float, float, list[str]]] = {}
    for text in texts:
        for r in m.match(text, k=limit + len(evidence)):
            doc_id, cov = int(r.entry_id), r.features.get("cov", 0.0)
            if doc_id in cited or cov < MIN_COVERAGE:
                continue
            if doc_id not in best or r.score > best[doc_id][0]:
                best[doc_id] = (r.score, cov, r.reason)
    out = []
    for doc_id, (score, cov, reason) in sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0])):
        doc = db.get_document(doc_id)
        if doc.url and doc.url in cited_urls:  # cited by its address
            continue
        out.append(EvidenceSuggestion(doc, round(score, 4), round(cov, 4), reason))
        if len(out) == limit:
            break
    return out


__all__ = ["MIN_COVERAGE", "EvidenceSuggestion", "suggest_evidence"]
