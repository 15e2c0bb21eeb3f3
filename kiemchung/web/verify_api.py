"""Verify API (/api/v1): fact-checks, ClaimReview, alerts, matching, and their models."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from kiemchung.claims import factchecks as fcs
from kiemchung.claims.claimreview import to_claimreview
from kiemchung.labels import label
from kiemchung.web.alert_views import alert_engine, list_alert_rows, set_alert_status
from kiemchung.web.api import DocumentOut, doc_out
from kiemchung.web.app import check_csrf, editor, title_of, viewer
from kiemchung.web.factcheck_actions import (
    MAX_CLAIM_CHARS,
    claimreview_of,
    create_factcheck,
    discard_revision,
    publish_factcheck,
    update_factcheck,
)
from kiemchung.web.params import MAX_ID, iso

api_router = APIRouter(prefix="/api/v1", tags=["api"])
csrf = Depends(check_csrf)


class EvidenceOut(BaseModel):
    """One cited item: a URL, or a stored official document (with its URL and title)."""

    url: str | None = None
    doc_id: int | None = None
    title: str | None = None


class FactCheckOut(BaseModel):
    """A fact-check as the API returns it."""

    id: int
    key: str
    claim: str
    phrasings: list[str]
    verdict: str = Field(description="false | misleading | true | unverified")
    verdict_label: str = Field(description="Vietnamese verdict label")
    explanation: str
    evidence: list[EvidenceOut]
    url: str | None
    appearances: list[str]
    status: str = Field(description="draft | proposed | published | withdrawn")
    version: int
    created_by: str
    updated_by: str
    proposed_by: str | None
    approved_by: str | None
    created_at: str | None
    updated_at: str | None
    published_at: str | None
    withdrawn_at: str | None
    pending_revision: dict[str, Any] | None = Field(
        None, description="changes to a published fact-check waiting for a second editor's approval "
        "(changes, editors, proposed_by, at); the published fields above stay what is public")


class EvidenceIn(BaseModel):
    """Evidence to cite: ``url`` (http/https) or ``doc_id`` of a stored official document."""

    url: str | None = Field(None, max_length=2000)
    doc_id: int | None = Field(None, ge=1, le=MAX_ID)
    title: str | None = Field(None, max_length=500)


class FactCheckIn(BaseModel):
    """A new fact-check (created as a draft)."""

    claim: str = Field(min_length=1, max_length=MAX_CLAIM_CHARS)
    verdict: str = Field("unverified", max_length=40, description="code, Vietnamese label or a desk's label")
    explanation: str = Field("", max_length=50_000)
    phrasings: list[str] = Field(default_factory=list, max_length=50)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=50)
    url: str | None = Field(None, max_length=2000, pattern=r"^https?://\S+$")
    appearances: list[str] = Field(default_factory=list, max_length=50)


class FactCheckPatch(BaseModel):
    """Fields to change (absent fields are kept)."""

    claim: str | None = Field(None, min_length=1, max_length=MAX_CLAIM_CHARS)
    verdict: str | None = Field(None, max_length=40)
    explanation: str | None = Field(None, max_length=50_000)
    phrasings: list[str] | None = Field(None, max_length=50)
    evidence: list[EvidenceIn] | None = Field(None, max_length=50)
    url: str | None = Field(None, max_length=2000, pattern=r"^https?://\S+$")
    appearances: list[str] | None = Field(None, max_length=50)


class PublishOut(BaseModel):
    """The result of a publish call: what happened (publish, propose, approve, none) and the fact-check."""

    action: str
    factcheck: FactCheckOut


class AlertOut(BaseModel):
    """An alert: a document that repeats a fact-checked claim."""

    id: int
    doc_id: int
    factcheck_id: int
    story_id: int | None
    story_headline: str | None
    score: float
    shared_terms: list[str]
    status: str
    created_at: str | None
    document_title: str = Field(description="the document's title; for a post, its first words")
    document_url: str | None
    document_kind: str
    document_published_at: str | None = Field(None, description="when the post itself was published")
    claim: str
    verdict: str
    verdict_label: str = Field("", description="the verdict in Vietnamese")
    status_label: str = Field("", description="the triage status in Vietnamese")
    level: str = Field("repeat", description="repeat (notified) | related (claims queue only, never notified)")
    level_label: str = Field("", description="the level in Vietnamese")
    probability: float | None = Field(None, description="the alert decision's probability that the post repeats the claim")


class AlertStatusIn(BaseModel):
    """A new triage status."""

    status: str = Field(pattern="^(new|seen|dismissed|confirmed)$")


class MatchIn(BaseModel):
    """A text to check against the published false/misleading fact-checks."""

    text: str = Field(min_length=1, max_length=100_000)
    k: int = Field(5, ge=1, le=20)
    all: bool = Field(False, description="also return candidates under the threshold")


class MatchOut(BaseModel):
    """One fact-check the text repeats (or, with ``all``, a candidate)."""

    factcheck_id: int
    score: float
    matched: bool
    shared_terms: list[str]
    claim: str
    verdict: str
    verdict_label: str
    url: str | None



def factcheck_out(fc: fcs.FactCheck) -> FactCheckOut:
    """The API view of a fact-check."""
    return FactCheckOut(
        id=fc.id, key=fc.key, claim=fc.claim, phrasings=fc.phrasings, verdict=fc.verdict,
        verdict_label=fc.verdict_label, explanation=fc.explanation,
        evidence=[EvidenceOut(url=e.get("url"), doc_id=e.get("doc_id"), title=e.get("title")) for e in fc.evidence],
        url=fc.url, appearances=fc.appearances, status=fc.status, version=fc.version, created_by=fc.created_by,
        updated_by=fc.updated_by, proposed_by=fc.proposed_by, approved_by=fc.approved_by,
        created_at=iso(fc.created_at), updated_at=iso(fc.updated_at), published_at=iso(fc.published_at),
        withdrawn_at=iso(fc.withdrawn_at), pending_revision=fc.pending,
    )


def _evidence_in(items: list[EvidenceIn]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.model_dump().items() if v is not None} for e in items]


@api_router.get("/factchecks", response_model=list[FactCheckOut], dependencies=[viewer])
def api_factchecks(
    request: Request,
    status: str | None = Query(None, pattern="^(draft|proposed|published|withdrawn)$"),
    verdict: str | None = Query(None, pattern="^(false|misleading|true|unverified)$"),
    q: str | None = Query(None, max_length=200),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
):
    """Fact-checks, newest change first, filtered by status, verdict and words of the claim."""
    items = fcs.list_factchecks(
        request.app.state.db, status=status, verdicts=[verdict] if verdict else None, query=q, limit=limit,
        offset=offset,
    )
    return [factcheck_out(fc) for fc in items]


@api_router.post("/factchecks", response_model=FactCheckOut, status_code=201, dependencies=[editor, csrf])
def api_create_factcheck(request: Request, body: FactCheckIn, user=editor):
    """Create a draft fact-check (editor); 400 with the reason when the library refuses it."""
    fc = create_factcheck(
        request.app.state.db, user, body.claim, verdict=body.verdict, explanation=body.explanation,
        phrasings=body.phrasings, evidence=_evidence_in(body.evidence), url=body.url, appearances=body.appearances,
    )
    return factcheck_out(fc)


@api_router.get("/factchecks/{fc_id}", response_model=FactCheckOut, dependencies=[viewer])
def api_factcheck(request: Request, fc_id: int = Path(ge=1, le=MAX_ID)):
    """One fact-check."""
    return factcheck_out(fcs.get_factcheck(request.app.state.db, fc_id))


class SimilarOut(BaseModel):
    """Another fact-check that may state the same claim."""

    factcheck: FactCheckOut
    score: float
    same_claim: bool
    phrasing: str
    reason: list[str]


@api_router.get("/factchecks/{fc_id}/similar", response_model=list[SimilarOut], dependencies=[viewer])
def api_similar_factchecks(request: Request, fc_id: int = Path(ge=1, le=MAX_ID),
                           limit: int = Query(5, ge=1, le=50)):
    """Other fact-checks that may state the same claim (rewordings), most similar first."""
    from kiemchung.claims.similar import similar_factchecks

    found = similar_factchecks(request.app.state.db, fc_id, limit=limit)
    return [SimilarOut(factcheck=factcheck_out(s.factcheck), score=s.score, same_claim=s.same_claim,
                       phrasing=s.phrasing, reason=s.reason) for s in found]


class EvidenceSuggestionOut(BaseModel):
    """A stored official statement that speaks to the claim."""

    document: DocumentOut
    score: float
    coverage: float
    reason: list[str]


@api_router.get("/factchecks/{fc_id}/evidence-suggestions", response_model=list[EvidenceSuggestionOut],
                dependencies=[viewer])
def api_evidence_suggestions(request: Request, fc_id: int = Path(ge=1, le=MAX_ID),
                             limit: int = Query(5, ge=1, le=50)):
    """Official statements to cite for this fact-check (not those cited already), best first."""
    from kiemchung.claims.evidence import suggest_evidence

    found = suggest_evidence(request.app.state.db, fc_id, limit=limit)
    return [EvidenceSuggestionOut(document=doc_out(s.document), score=s.score, coverage=s.coverage,
                                  reason=s.reason) for s in found]


@api_router.patch("/factchecks/{fc_id}", response_model=FactCheckOut, dependencies=[editor, csrf])
def api_update_factcheck(request: Request, body: FactCheckPatch, fc_id: int = Path(ge=1, le=MAX_ID), user=editor):
    """Change fields of a fact-check (editor); a new version is recorded."""
    changes = body.model_dump(exclude_unset=True)
    changes = {k: v for k, v in changes.items() if v is not None or k == "url"}
    if "evidence" in changes:
        changes["evidence"] = _evidence_in(body.evidence or [])
    return factcheck_out(update_factcheck(request.app.state.db, user, fc_id, changes))


@api_router.post("/factchecks/{fc_id}/publish", response_model=PublishOut, dependencies=[editor, csrf])
def api_publish_factcheck(request: Request, fc_id: int = Path(ge=1, le=MAX_ID), user=editor):
    """Publish (or propose / approve under ``require_approval``, or approve a published fact-check's
    pending revision); 400 when a rule refuses it (e.g. the revision's own editor approving it)."""
    fc, action = publish_factcheck(request.app.state.db, user, fc_id)
    return PublishOut(action=action, factcheck=factcheck_out(fc))


@api_router.post("/factchecks/{fc_id}/revision/discard", response_model=FactCheckOut, dependencies=[editor, csrf])
def api_discard_revision(request: Request, fc_id: int = Path(ge=1, le=MAX_ID), user=editor):
    """Drop the pending revision of a published fact-check (the published version stays)."""
    return factcheck_out(discard_revision(request.app.state.db, user, fc_id))


@api_router.get("/factchecks/{fc_id}/claimreview", dependencies=[viewer])
def api_claimreview(
    request: Request,
    fc_id: int = Path(ge=1, le=MAX_ID),
    preview: bool = Query(False, description="allow an unpublished fact-check (preview only)"),
) -> dict[str, Any]:
    """schema.org ClaimReview JSON-LD of a published fact-check (or a preview of an unpublished one)."""
    db = request.app.state.db
    fc = fcs.get_factcheck(db, fc_id)
    if fc.status != "published" and not preview:
        return to_claimreview(db, fc)  # raises the library's ConfigError → 400
    return claimreview_of(db, fc, site=str(request.base_url))[0]


def alert_out(r: dict[str, Any]) -> AlertOut:
    """The API view of an alert row from :func:`list_alert_rows`."""
    return AlertOut(
        id=r["id"], doc_id=r["doc_id"], factcheck_id=r["factcheck_id"], story_id=r["story_id"],
        story_headline=r["story_headline"], score=r["score"], shared_terms=r["reason"], status=r["status"],
        created_at=iso(r["created_at"]),
        document_title=title_of(r["doc_title"], r["doc_lead"], r.get("doc_body"), ident=r["doc_id"]),
        document_url=r["doc_url"], document_kind=r["doc_kind"],
        document_published_at=iso(r.get("doc_published_at")), claim=r["claim"], verdict=r["verdict"],
        verdict_label=label("verdict", r["verdict"]), status_label=label("alert_status", r["status"]),
        level=r.get("level") or "repeat", level_label=label("alert_level", r.get("level") or "repeat"),
        probability=r.get("probability"),
    )


@api_router.get("/alerts", response_model=list[AlertOut], dependencies=[viewer])
def api_alerts(
    request: Request,
    status: str | None = Query(None, pattern="^(new|seen|dismissed|confirmed)$"),
    story: int | None = Query(None, ge=1, le=MAX_ID),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
):
    """Alerts newest first (filter by triage status and story)."""
    rows = list_alert_rows(request.app.state.db, status=status, story_id=story, limit=limit, offset=offset)
    return [alert_out(r) for r in rows]


@api_router.patch("/alerts/{alert_id}", response_model=AlertOut, dependencies=[editor, csrf])
def api_alert_status(request: Request, body: AlertStatusIn, alert_id: int = Path(ge=1, le=MAX_ID), user=editor):
    """Set an alert's triage status (editor)."""
    db = request.app.state.db
    set_alert_status(db, user, alert_id, body.status)
    return alert_out(list_alert_rows(db, alert_id=alert_id, limit=1)[0])


_match_lock = threading.Lock()


@api_router.post("/match", response_model=list[MatchOut], dependencies=[viewer, csrf])
def api_match(request: Request, body: MatchIn):
    """Which published false/misleading fact-checks does this text repeat? (the alert engine's matcher)."""
    db = request.app.state.db
    with _match_lock:  # the engine's matcher is rebuilt in place when fact-checks change
        hits = alert_engine(db).refresh().match(body.text, k=body.k)
    out = []
    for h in hits:
        if not (h.matched or body.all):
            continue
        fc = fcs.get_factcheck(db, int(h.entry_id))
        out.append(MatchOut(
            factcheck_id=fc.id, score=h.score, matched=h.matched, shared_terms=h.reason, claim=fc.claim,
            verdict=fc.verdict, verdict_label=fc.verdict_label, url=fc.url,
        ))
    return out
