"""Verify pages (HTML): claims queue, fact-check list, editor and workflow, evidence, alerts triage."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from kiemchung.claims import factchecks as fcs
from kiemchung.claims.evidence import suggest_evidence
from kiemchung.claims.feed import atom_feed, rss_feed
from kiemchung.claims.similar import similar_factchecks
from kiemchung.errors import ConfigError, KiemchungError, NotFoundError, QueryError
from kiemchung.links import jsonld_text
from kiemchung.store.search import search
from kiemchung.web.alert_views import (
    ALERT_STATUSES,
    ALERTS_PAGE,
    group_by_story,
    list_alert_rows,
    set_alert_status,
)
from kiemchung.web.app import check_csrf, editor, render, viewer
from kiemchung.web.claims_queue import QUEUE_DOCS, claims_queue
from kiemchung.web.evidence_views import captures_of
from kiemchung.web.image_views import images_of
from kiemchung.web.factcheck_actions import (
    MAX_CLAIM_CHARS,
    claimreview_of,
    create_factcheck,
    discard_revision,
    publish_factcheck,
    update_factcheck,
    withdraw_factcheck,
)
from kiemchung.web.params import MAX_ID
from kiemchung.web.verify import MESSAGES
from kiemchung.store import settings

router = APIRouter(include_in_schema=False)
csrf = Depends(check_csrf)

CLAIMS_PAGE = 20
POSTS_PAGE = 10


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/claims", response_class=HTMLResponse, dependencies=[viewer])
def claims_page(request: Request, page: int = Query(0, ge=0, le=1000)):
    """Check-worthy claims and viral posts that no fact-check covers yet, best first."""
    queue = claims_queue(request.app.state.db)
    claims = queue.claims((page + 1) * CLAIMS_PAGE + 1)
    posts = queue.posts((page + 1) * POSTS_PAGE + 1)
    more = len(claims) > (page + 1) * CLAIMS_PAGE or len(posts) > (page + 1) * POSTS_PAGE
    claims = claims[page * CLAIMS_PAGE : (page + 1) * CLAIMS_PAGE]
    posts = posts[page * POSTS_PAGE : (page + 1) * POSTS_PAGE]
    stories = _stories_of(request.app.state.db, {c.doc.id for c in claims} | {p.doc.id for p in posts})
    # "có thể liên quan" alerts not triaged yet: for a look here, never notified
    related = list_alert_rows(request.app.state.db, status="new", level="related", limit=20) if page == 0 else []
    return render(
        request, "verify_claims.html", claims=claims, posts=posts, page=page, more=more, queue=queue,
        window=QUEUE_DOCS, stories=stories, related=related,
    )


def _stories_of(db, doc_ids: set[int]) -> dict[int, tuple[int, str]]:
    """The story (id, headline) of each of these documents that belongs to one (one query)."""
    from kiemchung.stories.tables import stories, story_documents

    if not doc_ids:
        return {}
    sd = story_documents.c
    with db.read() as conn:
        rows = conn.execute(
            select(sd.doc_id, stories.c.id, stories.c.headline)
            .select_from(story_documents.join(stories, stories.c.id == sd.story_id))
            .where(sd.doc_id.in_(sorted(doc_ids)))
        ).all()
    return {doc_id: (story_id, headline) for doc_id, story_id, headline in rows}


@router.post("/claims/start", dependencies=[editor, csrf])
def claims_start(
    request: Request,
    claim: str = Form(..., max_length=MAX_CLAIM_CHARS),
    doc_id: int = Form(..., ge=1, le=MAX_ID),
    user=editor,
):
    """Create a draft fact-check from a queued claim (its document cited as an appearance)."""
    db = request.app.state.db
    doc = db.get_document(doc_id)
    fields: dict[str, Any] = {"meta": {"source_doc_id": doc.id}}
    if doc.url:
        fields.update(appearances=[doc.url], first_appearance=doc.url)
    if doc.published_at:
        fields["claim_date"] = doc.published_at
    try:
        fc = create_factcheck(db, user, claim, **fields)
    except fcs.DuplicateFactCheckError as exc:
        return _redirect(f"/factchecks/{exc.existing}?notice=duplicate")
    return _redirect(f"/factchecks/{fc.id}")


@router.get("/factchecks", response_class=HTMLResponse, dependencies=[viewer])
def factchecks_page(
    request: Request,
    status: str = Query("", max_length=20),
    verdict: str = Query("", max_length=20),
    q: str = Query("", max_length=200),
    page: int = Query(0, ge=0, le=10_000),
):
    """Fact-checks, newest change first, filtered by status, verdict and words of the claim."""
    if status and status not in fcs.STATUSES:
        raise QueryError(f"Trạng thái không hợp lệ (unknown status): {status}")
    if verdict and verdict not in fcs.VERDICTS:
        raise QueryError(f"Kết luận không hợp lệ (unknown verdict): {verdict}")
    items = fcs.list_factchecks(
        request.app.state.db, status=status or None, verdicts=[verdict] if verdict else None,
        query=q or None, limit=51, offset=page * 50,
    )
    return render(
        request, "verify_factchecks.html", items=items[:50], more=len(items) > 50, page=page,
        params={"status": status, "verdict": verdict, "q": q}, statuses=fcs.STATUSES, verdicts=fcs.VERDICTS,
    )


@router.get("/factchecks/feed.xml", dependencies=[viewer])
def factchecks_feed(request: Request, format: str = Query("rss", pattern="^(rss|atom)$")):
    """RSS 2.0 (default) or Atom feed of the published fact-checks."""
    db = request.app.state.db
    if format == "atom":
        return Response(atom_feed(db), media_type="application/atom+xml; charset=utf-8")
    return Response(rss_feed(db), media_type="application/rss+xml; charset=utf-8")


@router.get("/factchecks/new", response_class=HTMLResponse, dependencies=[editor])
def factcheck_new_form(request: Request):
    """An empty fact-check form."""
    return render(request, "verify_new.html", verdicts=fcs.VERDICTS, error=None, form={})


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


@router.post("/factchecks", dependencies=[editor, csrf])
def factcheck_create(
    request: Request,
    claim: str = Form(..., max_length=MAX_CLAIM_CHARS),
    verdict: str = Form("unverified", max_length=40),
    explanation: str = Form("", max_length=50_000),
    phrasings: str = Form("", max_length=50_000),
    user=editor,
):
    """Create a draft fact-check from the form."""
    db = request.app.state.db
    try:
        fc = create_factcheck(
            db, user, claim, verdict=verdict, explanation=explanation, phrasings=_lines(phrasings)
        )
    except fcs.DuplicateFactCheckError as exc:
        return _redirect(f"/factchecks/{exc.existing}?notice=duplicate")
    except KiemchungError as exc:
        form = {"claim": claim, "verdict": verdict, "explanation": explanation, "phrasings": phrasings}
        return render(request, "verify_new.html", 400, verdicts=fcs.VERDICTS, error=str(exc), form=form)
    return _redirect(f"/factchecks/{fc.id}")


def _history_rows(db, fc_id: int) -> list[dict[str, Any]]:
    skip = {"version", "updated_at", "updated_by"}
    out, prev = [], None
    for v in fcs.history(db, fc_id):
        changed = [k for k in v.snapshot if k not in skip and (prev is None or prev.get(k) != v.snapshot.get(k))]
        out.append({"version": v.version, "action": v.action, "editor": v.editor, "at": v.at,
                    "changed": changed if prev is not None else []})
        prev = v.snapshot
    return list(reversed(out))


def _editor_page(request: Request, fc: fcs.FactCheck, *, error: str | None = None, status: int = 200):
    db = request.app.state.db
    # Another publisher's fact-check is theirs to publish: no ClaimReview of this office for it.
    review, preview = (None, False) if fc.external else claimreview_of(db, fc, site=str(request.base_url))
    unset = [key for key in ("site_url", "org_name") if not settings.stored(db, key)]
    source_doc = None
    doc_id = fc.meta.get("source_doc_id") if isinstance(fc.meta, dict) else None
    if isinstance(doc_id, int):
        try:
            source_doc = db.get_document(doc_id)
        except KiemchungError:
            source_doc = None
    notice = request.query_params.get("notice")
    return render(
        request, "verify_editor.html", status, fc=fc.working_copy(), pending=fc.pending, published=fc,
        verdicts=fcs.VERDICTS, error=error,
        claimreview=jsonld_text(review, indent=2) if review is not None else None, preview=preview, unset_settings=unset,
        history=_history_rows(db, fc.id), approval=fcs.require_approval(db), source_doc=source_doc,
        notice=notice if notice in ("duplicate",) else None, similar=similar_factchecks(db, fc),
        suggestions=suggest_evidence(db, fc) if fc.status != "withdrawn" else [],
        captures=captures_of(db, fc.id), fc_images=images_of(db, fc.id),
    )


@router.get("/factchecks/{fc_id}", response_class=HTMLResponse, dependencies=[viewer])
def factcheck_page(request: Request, fc_id: int = Path(ge=1, le=MAX_ID)):
    """The fact-check editor: fields, evidence, ClaimReview preview, history, workflow buttons."""
    return _editor_page(request, fcs.get_factcheck(request.app.state.db, fc_id))


def _act(request: Request, fc_id: int, action):
    """Run a write; on a rule violation show the editor again with the library's message (400)."""
    db = request.app.state.db
    try:
        action(db)
    except fcs.DuplicateFactCheckError as exc:
        return _editor_page(request, fcs.get_factcheck(db, fc_id), error=str(exc), status=409)
    except NotFoundError:
        raise
    except KiemchungError as exc:
        return _editor_page(request, fcs.get_factcheck(db, fc_id), error=str(exc), status=400)
    return _redirect(f"/factchecks/{fc_id}")


@router.post("/factchecks/{fc_id}", dependencies=[editor, csrf])
def factcheck_save(
    request: Request,
    fc_id: int = Path(ge=1, le=MAX_ID),
    claim: str = Form(..., max_length=MAX_CLAIM_CHARS),
    verdict: str = Form(..., max_length=40),
    explanation: str = Form("", max_length=50_000),
    phrasings: str = Form("", max_length=50_000),
    url: str = Form("", max_length=2000),
    appearances: str = Form("", max_length=50_000),
    user=editor,
):
    """Save the editor's fields (only what changed becomes part of the new version)."""

    def run(db):
        fc = fcs.get_factcheck(db, fc_id).working_copy()
        wanted = {
            "claim": claim.strip(),
            "verdict": verdict,
            "explanation": explanation.strip(),
            "phrasings": _lines(phrasings),
            "url": url.strip() or None,
            "appearances": _lines(appearances),
        }
        current = {
            "claim": fc.claim, "verdict": fc.verdict, "explanation": fc.explanation, "phrasings": fc.phrasings[1:],
            "url": fc.url, "appearances": fc.appearances,
        }
        if wanted["url"] and not wanted["url"].startswith(("http://", "https://")):
            raise ConfigError(f"Đường dẫn không hợp lệ (URL must start with http:// or https://): {wanted['url']}")
        update_factcheck(db, user, fc_id, {k: v for k, v in wanted.items() if current[k] != v})

    return _act(request, fc_id, run)


@router.post("/factchecks/{fc_id}/evidence", dependencies=[editor, csrf])
def factcheck_add_evidence(
    request: Request,
    fc_id: int = Path(ge=1, le=MAX_ID),
    url: str = Form("", max_length=2000),
    doc_id: int | None = Form(None, ge=1, le=MAX_ID),
    title: str = Form("", max_length=500),
    user=editor,
):
    """Cite a URL or a stored official document (the library checks both)."""

    def run(db):
        if doc_id:
            item: dict[str, Any] = {"doc_id": doc_id}
        elif url.strip():
            item = {"url": url.strip()}
        else:
            raise ConfigError(MESSAGES["vf_evidence_missing"]["vi"])
        if title.strip():
            item["title"] = title.strip()
        fc = fcs.get_factcheck(db, fc_id).working_copy()
        update_factcheck(db, user, fc_id, {"evidence": [*fc.evidence, item]})

    return _act(request, fc_id, run)


@router.post("/factchecks/{fc_id}/evidence/remove", dependencies=[editor, csrf])
def factcheck_remove_evidence(
    request: Request, fc_id: int = Path(ge=1, le=MAX_ID), index: int = Form(..., ge=0, le=10_000), user=editor
):
    """Remove one evidence item (refused when a published false verdict would be left without any)."""

    def run(db):
        fc = fcs.get_factcheck(db, fc_id).working_copy()
        if index >= len(fc.evidence):
            raise ConfigError(f"Không có bằng chứng số {index + 1} (no such evidence item)")
        update_factcheck(db, user, fc_id, {"evidence": [e for i, e in enumerate(fc.evidence) if i != index]})

    return _act(request, fc_id, run)


@router.post("/factchecks/{fc_id}/publish", dependencies=[editor, csrf])
def factcheck_publish(request: Request, fc_id: int = Path(ge=1, le=MAX_ID), user=editor):
    """Publish, propose or approve (the library applies the evidence and approval rules)."""
    return _act(request, fc_id, lambda db: publish_factcheck(db, user, fc_id))


@router.post("/factchecks/{fc_id}/revision/discard", dependencies=[editor, csrf])
def factcheck_discard_revision(request: Request, fc_id: int = Path(ge=1, le=MAX_ID), user=editor):
    """Drop the pending revision of a published fact-check (the published version stays)."""
    return _act(request, fc_id, lambda db: discard_revision(db, user, fc_id))


@router.post("/factchecks/{fc_id}/withdraw", dependencies=[editor, csrf])
def factcheck_withdraw(
    request: Request, fc_id: int = Path(ge=1, le=MAX_ID), reason: str = Form("", max_length=2000), user=editor
):
    """Withdraw a fact-check (kept with its history)."""
    return _act(request, fc_id, lambda db: withdraw_factcheck(db, user, fc_id, reason.strip()))


@router.get("/factchecks/{fc_id}/cite", response_class=HTMLResponse, dependencies=[viewer])
def factcheck_cite_search(
    request: Request, fc_id: int = Path(ge=1, le=MAX_ID), q: str = Query("", max_length=300)
):
    """htmx partial: stored documents to cite, official statements first."""
    db = request.app.state.db
    fc = fcs.get_factcheck(db, fc_id)
    official, others, error = [], [], None
    if q.strip():
        try:
            official = search(db, q, limit=8, kinds=["official"], sort="relevance").hits
            others = [h for h in search(db, q, limit=8, kinds=["article", "post"], sort="relevance").hits
                      if h.document.url]
        except QueryError as exc:
            error = str(exc)
    cited = {e.get("doc_id") for e in fc.evidence} | {e.get("url") for e in fc.evidence}
    return render(
        request, "verify_cite.html", fc=fc, official=official, others=others, error=error, q=q, cited=cited
    )


@router.get("/alerts", response_class=HTMLResponse, dependencies=[viewer])
def alerts_page(
    request: Request,
    status: str = Query("", max_length=20),
    page: int = Query(0, ge=0, le=10_000),
):
    """Alerts grouped by story, newest first, with triage buttons."""
    rows = list_alert_rows(
        request.app.state.db, status=status or None, limit=ALERTS_PAGE + 1, offset=page * ALERTS_PAGE
    )
    return render(
        request, "verify_alerts.html", groups=group_by_story(rows[:ALERTS_PAGE]), more=len(rows) > ALERTS_PAGE,
        page=page, status=status, statuses=ALERT_STATUSES,
    )


@router.post("/alerts/{alert_id}/status", dependencies=[editor, csrf])
def alert_status(
    request: Request,
    alert_id: int = Path(ge=1, le=MAX_ID),
    status: str = Form(..., max_length=20),
    back: str = Form("/alerts", max_length=500),
    user=editor,
):
    """Triage: mark an alert seen, dismissed or confirmed (or new again)."""
    set_alert_status(request.app.state.db, user, alert_id, status)
    target = back if back.startswith("/alerts") else "/alerts"
    return _redirect(target)

