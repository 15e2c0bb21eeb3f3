"""Verify pages and API: claims queue, fact-check editor (propose, approve, publish), alerts.

Everything here calls the claims library (:mod:`kiemchung.claims.factchecks`, ``claimreview``,
``checkworthy``, ``alerts``, ``match``, ``feed``); the rules (evidence, approval, duplicates, verdict
vocabulary) are enforced there, and this module only turns requests into library calls, records each
write in the audit log and renders the result.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select, update

from kiemchung import audit
from kiemchung.claims import factchecks as fcs
from kiemchung.claims.alerts import document_text
from kiemchung.claims.checkworthy import DEFAULT_THRESHOLD, rank_document
from kiemchung.claims.claimreview import to_claimreview
from kiemchung.claims.feed import atom_feed, rss_feed
from kiemchung.claims.match import ClaimMatcher
from kiemchung.claims.tables import alerts as alerts_t
from kiemchung.claims.tables import factcheck_phrasings
from kiemchung.claims.tables import factchecks as factchecks_t
from kiemchung.errors import ConfigError, KiemchungError, NotFoundError, QueryError
from kiemchung.models import Document
from kiemchung.store import schema as t
from kiemchung.store.database import document_from_row
from kiemchung.store.search import search
from kiemchung.timeutil import now
from kiemchung.web import queries
from kiemchung.web.app import check_csrf, editor, render, viewer

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["api"])
csrf = Depends(check_csrf)

MAX_ID = 2**62
QUEUE_DOCS = 300  # most recent articles/posts whose sentences are scored per queue refresh
QUEUE_POSTS = 500  # most recent posts considered for the "viral, unmatched" list
QUEUE_TTL = 60.0  # seconds a computed queue is reused (recomputed at once when fact-checks change)
QUEUE_BODY_CHARS = 1000  # body characters scored per document (title and lead always)
QUEUE_MATCH_LIMIT = 400  # best sentences checked against the knowledge base
CLAIMS_PAGE = 20
POSTS_PAGE = 10
ALERTS_PAGE = 100
ALERT_STATUSES = ("new", "seen", "dismissed", "confirmed")
MAX_CLAIM_CHARS = 2000

MESSAGES: dict[str, dict[str, str]] = {
    "vf_claims_title": {"vi": "Tuyên bố cần kiểm chứng", "en": "Claims to check"},
    "vf_claims_intro": {
        "vi": "Câu đáng kiểm chứng trong các tài liệu mới nhất, chưa khớp bài kiểm chứng nào.",
        "en": "Check-worthy sentences of the newest documents that match no fact-check yet.",
    },
    "vf_viral_title": {"vi": "Bài đăng lan truyền chưa được kiểm chứng", "en": "Viral posts not yet checked"},
    "vf_score": {"vi": "Điểm", "en": "Score"},
    "vf_reasons": {"vi": "Lý do", "en": "Reasons"},
    "vf_engagement": {"vi": "Tương tác", "en": "Engagement"},
    "vf_start": {"vi": "Tạo bài kiểm chứng", "en": "Start a fact-check"},
    "vf_queue_window": {
        "vi": "Tính trên {n} tài liệu gần nhất; cập nhật mỗi phút.",
        "en": "Computed over the {n} newest documents; refreshed every minute.",
    },
    "vf_factchecks": {"vi": "Bài kiểm chứng", "en": "Fact-checks"},
    "vf_new": {"vi": "Bài kiểm chứng mới", "en": "New fact-check"},
    "vf_status": {"vi": "Trạng thái", "en": "Status"},
    "vf_verdict": {"vi": "Kết luận", "en": "Verdict"},
    "vf_claim": {"vi": "Tuyên bố", "en": "Claim"},
    "vf_phrasings": {
        "vi": "Các cách nói khác (mỗi dòng một câu)",
        "en": "Other phrasings (one per line)",
    },
    "vf_explanation": {"vi": "Giải thích", "en": "Explanation"},
    "vf_article_url": {"vi": "Đường dẫn bài kiểm chứng", "en": "Fact-check article URL"},
    "vf_appearances": {
        "vi": "Nơi tuyên bố xuất hiện (mỗi dòng một đường dẫn)",
        "en": "Where the claim appeared (one URL per line)",
    },
    "vf_evidence": {"vi": "Bằng chứng", "en": "Evidence"},
    "vf_no_evidence": {"vi": "Chưa có bằng chứng.", "en": "No evidence yet."},
    "vf_add_url": {"vi": "Thêm đường dẫn", "en": "Add URL"},
    "vf_evidence_title": {"vi": "Tiêu đề (tùy chọn)", "en": "Title (optional)"},
    "vf_cite_search": {
        "vi": "Tìm trong kho để trích dẫn (văn bản chính thức xếp trước)",
        "en": "Search the store to cite (official statements first)",
    },
    "vf_cite": {"vi": "Trích dẫn", "en": "Cite"},
    "vf_cite_url": {"vi": "Trích dẫn đường dẫn", "en": "Cite URL"},
    "vf_remove": {"vi": "Bỏ", "en": "Remove"},
    "vf_official_docs": {"vi": "Văn bản chính thức", "en": "Official statements"},
    "vf_other_docs": {"vi": "Tài liệu khác (trích dẫn bằng đường dẫn)", "en": "Other documents (cited by URL)"},
    "vf_preview": {"vi": "Xem trước ClaimReview (JSON-LD)", "en": "ClaimReview preview (JSON-LD)"},
    "vf_preview_note": {
        "vi": "Bản xem trước: chưa xuất bản.",
        "en": "Preview: not published yet.",
    },
    "vf_history": {"vi": "Lịch sử phiên bản", "en": "Version history"},
    "vf_version": {"vi": "Phiên bản", "en": "Version"},
    "vf_action": {"vi": "Thao tác", "en": "Action"},
    "vf_editor": {"vi": "Biên tập viên", "en": "Editor"},
    "vf_changed": {"vi": "Trường thay đổi", "en": "Changed fields"},
    "vf_propose": {"vi": "Đề xuất xuất bản", "en": "Propose for publication"},
    "vf_approve": {"vi": "Duyệt và xuất bản", "en": "Approve and publish"},
    "vf_publish": {"vi": "Xuất bản", "en": "Publish"},
    "vf_withdraw": {"vi": "Rút bài", "en": "Withdraw"},
    "vf_withdraw_reason": {"vi": "Lý do rút", "en": "Reason"},
    "vf_needs_approval": {
        "vi": "Cài đặt yêu cầu duyệt: người đề xuất không tự duyệt; cần biên tập viên khác hoặc quản trị viên.",
        "en": "Approval is required: a second editor or an admin approves the proposal.",
    },
    "vf_proposed_by": {"vi": "Đề xuất bởi", "en": "Proposed by"},
    "vf_approved_by": {"vi": "Duyệt bởi", "en": "Approved by"},
    "vf_duplicate": {
        "vi": "Tuyên bố này đã có bài kiểm chứng; đã mở bài đó.",
        "en": "This claim already has a fact-check; it is opened instead.",
    },
    "vf_feed": {"vi": "Nguồn tin RSS", "en": "RSS feed"},
    "vf_filter": {"vi": "Lọc", "en": "Filter"},
    "vf_source_doc": {"vi": "Tài liệu gốc", "en": "Source document"},
    "vf_alerts_title": {"vi": "Cảnh báo tin sai lặp lại", "en": "Alerts: repeated false claims"},
    "vf_no_story": {"vi": "Chưa thuộc câu chuyện nào", "en": "Not in a story"},
    "vf_shared_terms": {"vi": "Từ chung", "en": "Shared terms"},
    "vf_set_status": {"vi": "Đổi trạng thái", "en": "Set status"},
    "vf_document": {"vi": "Tài liệu", "en": "Document"},
    "vf_factcheck": {"vi": "Bài kiểm chứng", "en": "Fact-check"},
    "vf_page_next": {"vi": "Trang sau", "en": "Next page"},
    "vf_page_prev": {"vi": "Trang trước", "en": "Previous page"},
    "vf_status_draft": {"vi": "bản nháp", "en": "draft"},
    "vf_status_proposed": {"vi": "chờ duyệt", "en": "proposed"},
    "vf_status_published": {"vi": "đã xuất bản", "en": "published"},
    "vf_status_withdrawn": {"vi": "đã rút", "en": "withdrawn"},
    "vf_alert_new": {"vi": "mới", "en": "new"},
    "vf_alert_seen": {"vi": "đã xem", "en": "seen"},
    "vf_alert_dismissed": {"vi": "bỏ qua", "en": "dismissed"},
    "vf_alert_confirmed": {"vi": "xác nhận", "en": "confirmed"},
    "vf_verdict_false": {"vi": "sai sự thật", "en": "false"},
    "vf_verdict_misleading": {"vi": "gây hiểu lầm", "en": "misleading"},
    "vf_verdict_true": {"vi": "đúng", "en": "true"},
    "vf_verdict_unverified": {"vi": "chưa kiểm chứng", "en": "unverified"},
    "vf_reason_number": {"vi": "có số liệu", "en": "number"},
    "vf_reason_date": {"vi": "ngày tháng", "en": "date"},
    "vf_reason_percent": {"vi": "tỷ lệ phần trăm", "en": "percentage"},
    "vf_reason_money_unit": {"vi": "tiền, đơn vị đo", "en": "money or unit"},
    "vf_reason_entity": {"vi": "tên riêng", "en": "named entity"},
    "vf_reason_reporting": {"vi": "động từ tường thuật", "en": "reporting verb"},
    "vf_reason_quote": {"vi": "trích lời", "en": "quotation"},
    "vf_reason_superlative": {"vi": "so sánh nhất", "en": "superlative"},
    "vf_reason_comparison": {"vi": "so sánh, tăng giảm", "en": "comparison"},
    "vf_reason_viral": {"vi": "dấu hiệu lan truyền", "en": "viral marks"},
    "vf_reason_claim_verb": {"vi": "động từ khẳng định", "en": "claim verb"},
    "vf_reason_opinion": {"vi": "ý kiến cá nhân", "en": "opinion"},
    "vf_reason_question": {"vi": "câu hỏi", "en": "question"},
    "vf_reason_short": {"vi": "câu ngắn", "en": "short"},
    "vf_evidence_missing": {
        "vi": "Nhập một đường dẫn hoặc chọn một văn bản để trích dẫn (give a URL or pick a document)",
        "en": "Give a URL or pick a document to cite",
    },
}


# ------------------------------------------------------------------------------------------------
# Actions shared by the pages and the API (library call + audit entry)
# ------------------------------------------------------------------------------------------------


def _audit(db, user, action: str, fc_id: int, before: Any, after: Any) -> None:
    with db.write() as conn:
        audit.record(conn, user, action, f"factcheck:{fc_id}", before, after)


def create_factcheck(db, user, claim: str, **fields: Any) -> fcs.FactCheck:
    """Create a draft fact-check as ``user`` (default verdict "chưa kiểm chứng") and audit it."""
    if len(claim or "") > MAX_CLAIM_CHARS:
        raise ConfigError("Tuyên bố quá dài, tối đa 2000 ký tự (claim too long)")
    fields.setdefault("verdict", "unverified")
    fc = fcs.create_factcheck(db, claim, editor=user.name, **fields)
    _audit(db, user, "factcheck.create", fc.id, None, fc.to_dict())
    return fc


def update_factcheck(db, user, fc_id: int, changes: dict[str, Any]) -> fcs.FactCheck:
    """Apply ``changes`` (library field names) as ``user`` and audit before/after; no-op when empty."""
    before = fcs.get_factcheck(db, fc_id)
    if not changes:
        return before
    fc = fcs.update_factcheck(db, fc_id, changes, user.name)
    _audit(db, user, "factcheck.update", fc.id, before.to_dict(), fc.to_dict())
    return fc


def publish_factcheck(db, user, fc_id: int) -> tuple[fcs.FactCheck, str]:
    """Publish, propose or approve, whichever the installation's rule and the status call for.

    Without ``require_approval`` the editor publishes. With it: a draft is proposed (an admin may
    publish at once); a proposed fact-check is approved by this user on behalf of its proposer, and
    the library refuses when the approver is the proposer (unless an admin). Returns (fact-check,
    action) where action is ``publish``, ``propose`` or ``approve``.
    """
    before = fcs.get_factcheck(db, fc_id)
    if not fcs.require_approval(db):
        fc, action = fcs.publish_factcheck(db, fc_id, user.name), "publish"
    elif before.status == "proposed":
        proposer = before.proposed_by or user.name
        fc, action = fcs.publish_factcheck(db, fc_id, proposer, approver=user.name), "approve"
    elif user.has_role("admin"):
        fc, action = fcs.publish_factcheck(db, fc_id, user.name, approver=user.name), "publish"
    else:
        fc, action = fcs.publish_factcheck(db, fc_id, user.name), "propose"
    if fc.status == before.status and fc.version == before.version:
        return fc, "none"
    _audit(db, user, f"factcheck.{action}", fc.id, before.to_dict(), fc.to_dict())
    return fc, action


def withdraw_factcheck(db, user, fc_id: int, reason: str = "") -> fcs.FactCheck:
    """Withdraw a fact-check as ``user`` and audit it."""
    before = fcs.get_factcheck(db, fc_id)
    fc = fcs.withdraw_factcheck(db, fc_id, user.name, reason)
    _audit(db, user, "factcheck.withdraw", fc.id, before.to_dict(), fc.to_dict())
    return fc


def claimreview_of(db, fc: fcs.FactCheck) -> tuple[dict[str, Any], bool]:
    """The ClaimReview JSON-LD of ``fc`` and whether it is only a preview (not published yet).

    The library exports published fact-checks only; an unpublished one is previewed by exporting a
    copy marked published now (nothing is written).
    """
    if fc.status == "published":
        return to_claimreview(db, fc), False
    copy = dataclasses.replace(fc, status="published", published_at=fc.published_at or now())
    return to_claimreview(db, copy), True


def set_alert_status(db, user, alert_id: int, status: str) -> dict[str, Any]:
    """Change an alert's triage status (new, seen, dismissed, confirmed) and audit it."""
    if status not in ALERT_STATUSES:
        raise ConfigError(f"Trạng thái cảnh báo không hợp lệ (unknown alert status): {status}")
    with db.write() as conn:
        row = conn.execute(select(alerts_t).where(alerts_t.c.id == alert_id)).first()
        if row is None:
            raise NotFoundError(f"Không tìm thấy cảnh báo (alert not found): {alert_id}")
        conn.execute(update(alerts_t).where(alerts_t.c.id == alert_id).values(status=status))
        audit.record(conn, user, "alert.status", f"alert:{alert_id}", {"status": row.status}, {"status": status})
    queries.clear_cache()  # the overview's "new alerts" panel
    return {"id": alert_id, "status": status, "previous": row.status}


# ------------------------------------------------------------------------------------------------
# Claims queue (bounded: recent documents only, cached until fact-checks or documents change)
# ------------------------------------------------------------------------------------------------


@dataclass
class QueueClaim:
    """A check-worthy sentence waiting for an editor."""

    text: str
    score: float
    reasons: list[str]
    doc: Document


@dataclass
class QueuePost:
    """A recent post with high engagement that matches no fact-check."""

    doc: Document
    engagement: int
    claim: str


@dataclass
class ClaimsQueue:
    """The ranked candidates; those already fact-checked are dropped lazily, page by page.

    Matching a candidate against the knowledge base is the costly part, so it is done only for the
    candidates a page needs (and remembered), not for the whole list on every refresh.
    """

    candidates: list[QueueClaim] = field(default_factory=list)
    post_candidates: list[QueuePost] = field(default_factory=list)
    documents_scored: int = 0
    seconds: float = 0.0
    matcher: ClaimMatcher | None = None
    norms: set[str] = field(default_factory=set)
    _claims: list[QueueClaim] = field(default_factory=list)
    _posts: list[QueuePost] = field(default_factory=list)
    _next_claim: int = 0
    _next_post: int = 0
    _lock: Any = field(default_factory=threading.Lock)

    def _unknown(self, text: str) -> bool:
        return not _known(self.matcher, self.norms, text)

    def claims(self, stop: int) -> list[QueueClaim]:
        """The first ``stop`` candidates that match no fact-check (fewer when the queue runs out)."""
        with self._lock:
            while len(self._claims) < stop and self._next_claim < len(self.candidates):
                c = self.candidates[self._next_claim]
                self._next_claim += 1
                if self._unknown(c.text):
                    self._claims.append(c)
            return self._claims[:stop]

    def posts(self, stop: int) -> list[QueuePost]:
        """The first ``stop`` viral posts that match no fact-check."""
        with self._lock:
            while len(self._posts) < stop and self._next_post < len(self.post_candidates):
                p = self.post_candidates[self._next_post]
                self._next_post += 1
                if self._unknown(p.claim):
                    self._posts.append(p)
            return self._posts[:stop]


_queue_cache: dict[str, tuple[tuple, float, ClaimsQueue]] = {}
_matcher_cache: dict[str, tuple[tuple, ClaimMatcher]] = {}
_lock = threading.Lock()


def knowledge_matcher(db) -> ClaimMatcher:
    """A matcher over every phrasing of every fact-check not withdrawn (any verdict, any status).

    The alert engine only loads published false/misleading ones; the queue must also skip claims that
    already have a draft or a true/unverified verdict. Rebuilt when ``signature(db)`` changes.
    """
    sig = fcs.signature(db)
    with _lock:
        hit = _matcher_cache.get(db.url)
        if hit and hit[0] == sig:
            return hit[1]
    m = ClaimMatcher()
    c = factcheck_phrasings.c
    with db.read() as conn:
        rows = conn.execute(
            select(c.factcheck_id, c.position, c.text)
            .select_from(factcheck_phrasings.join(factchecks_t, factchecks_t.c.id == c.factcheck_id))
            .where(factchecks_t.c.status != "withdrawn")
        ).all()
    for fc_id, pos, text in rows:
        m.add(f"{fc_id}:{pos}", text, group=str(fc_id))
    with _lock:
        _matcher_cache[db.url] = (sig, m)
    return m


def _engagement(doc: Document) -> int:
    return sum(v for v in (doc.engagement or {}).values() if isinstance(v, int) and v > 0)


def _recent(db, kinds: tuple[str, ...], limit: int) -> list[Document]:
    d = t.documents
    q = (
        select(d, t.sources.c.name.label("source_name"))
        .select_from(d.outerjoin(t.sources, t.sources.c.id == d.c.source_id))
        .where(d.c.kind.in_(kinds))
        .order_by(d.c.published_at.desc(), d.c.id.desc())
        .limit(limit)
    )
    with db.read() as conn:
        return [document_from_row(r, source_name=r.source_name) for r in conn.execute(q)]


def _known(matcher: ClaimMatcher | None, norms: set[str], text: str) -> bool:
    """Whether ``text`` is already a fact-checked claim (same normalised phrasing, or a matcher hit)."""
    try:
        if fcs.claim_norm(text) in norms:
            return True
    except ConfigError:  # no words at all: nothing to check
        return True
    return matcher is not None and bool(len(matcher)) and any(h.matched for h in matcher.match(text, k=1))


def compute_queue(db) -> ClaimsQueue:
    """Score the newest documents' sentences and rank viral posts (fact-checked ones dropped lazily)."""
    t0 = time.perf_counter()
    matcher = knowledge_matcher(db)
    with db.read() as conn:
        norms = set(conn.execute(select(factcheck_phrasings.c.norm)).scalars())
        alerted = set(conn.execute(select(alerts_t.c.doc_id).distinct()).scalars())
    docs = [d for d in _recent(db, ("article", "post"), QUEUE_DOCS) if d.id not in alerted]
    found: dict[str, QueueClaim] = {}
    for doc in docs:
        head = dataclasses.replace(doc, body=(doc.body or "")[:QUEUE_BODY_CHARS])
        for s in rank_document(head, limit=3, threshold=DEFAULT_THRESHOLD):
            if s.text not in found or found[s.text].score < s.score:
                found[s.text] = QueueClaim(s.text, s.score, s.reasons, doc)
    ranked = sorted(found.values(), key=lambda c: (-c.score, -(c.doc.id or 0)))[:QUEUE_MATCH_LIMIT]
    posts = []
    for doc in _recent(db, ("post",), QUEUE_POSTS):
        eng = _engagement(doc)
        if eng > 0 and doc.id not in alerted:
            posts.append(QueuePost(doc, eng, " ".join(document_text(doc).split())[:MAX_CLAIM_CHARS]))
    posts.sort(key=lambda p: -p.engagement)
    return ClaimsQueue(ranked, posts[:QUEUE_MATCH_LIMIT], len(docs), time.perf_counter() - t0, matcher, norms)


def claims_queue(db) -> ClaimsQueue:
    """The queue, reused for :data:`QUEUE_TTL` seconds unless fact-checks, alerts or documents changed."""
    with db.read() as conn:
        n_alerts = conn.execute(select(func.count()).select_from(alerts_t)).scalar()
    key = (fcs.signature(db), db.max_document_id(), n_alerts)
    with _lock:
        hit = _queue_cache.get(db.url)
        if hit and hit[0] == key and time.monotonic() - hit[1] < QUEUE_TTL:
            return hit[2]
    queue = compute_queue(db)
    with _lock:
        _queue_cache[db.url] = (key, time.monotonic(), queue)
    return queue


# ------------------------------------------------------------------------------------------------
# Alerts read model
# ------------------------------------------------------------------------------------------------


def list_alert_rows(
    db,
    *,
    status: str | None = None,
    story_id: int | None = None,
    alert_id: int | None = None,
    limit: int = ALERTS_PAGE,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Alerts newest first with their document, fact-check and story headline (one query)."""
    from kiemchung.stories.tables import stories

    if status is not None and status not in ALERT_STATUSES:
        raise QueryError(f"Trạng thái cảnh báo không hợp lệ (unknown alert status): {status}")
    a, d, f = alerts_t, t.documents, factchecks_t
    q = (
        select(
            a.c.id, a.c.doc_id, a.c.factcheck_id, a.c.story_id, a.c.score, a.c.reason, a.c.status,
            a.c.created_at, d.c.title.label("doc_title"), d.c.lead.label("doc_lead"), d.c.url.label("doc_url"),
            d.c.kind.label("doc_kind"), d.c.platform.label("doc_platform"),
            d.c.published_at.label("doc_published_at"), f.c.claim, f.c.verdict, f.c.status.label("fc_status"),
            stories.c.headline.label("story_headline"),
        )
        .select_from(
            a.join(d, d.c.id == a.c.doc_id)
            .join(f, f.c.id == a.c.factcheck_id)
            .outerjoin(stories, stories.c.id == a.c.story_id)
        )
        .order_by(a.c.created_at.desc(), a.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if status:
        q = q.where(a.c.status == status)
    if story_id is not None:
        q = q.where(a.c.story_id == story_id)
    if alert_id is not None:
        q = q.where(a.c.id == alert_id)
    with db.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    for r in rows:
        r["reason"] = [str(x) for x in r["reason"]] if isinstance(r["reason"], list) else []
    return rows


def group_by_story(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Alerts grouped by story (those without a story together), groups ordered by their newest alert."""
    groups: dict[Any, dict[str, Any]] = {}
    for r in rows:
        key = r["story_id"]
        g = groups.setdefault(
            key, {"story_id": r["story_id"], "headline": r["story_headline"], "alerts": []}
        )
        g["alerts"].append(r)
    return list(groups.values())


# ------------------------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------------------------


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
    return render(
        request, "verify_claims.html", claims=claims, posts=posts, page=page, more=more, queue=queue,
        window=QUEUE_DOCS, stories=stories,
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
    review, preview = claimreview_of(db, fc)
    source_doc = None
    doc_id = fc.meta.get("source_doc_id") if isinstance(fc.meta, dict) else None
    if isinstance(doc_id, int):
        try:
            source_doc = db.get_document(doc_id)
        except KiemchungError:
            source_doc = None
    notice = request.query_params.get("notice")
    return render(
        request, "verify_editor.html", status, fc=fc, verdicts=fcs.VERDICTS, error=error,
        claimreview=json.dumps(review, ensure_ascii=False, indent=2), preview=preview,
        history=_history_rows(db, fc.id), approval=fcs.require_approval(db), source_doc=source_doc,
        notice=notice if notice in ("duplicate",) else None,
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
        fc = fcs.get_factcheck(db, fc_id)
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
        fc = fcs.get_factcheck(db, fc_id)
        update_factcheck(db, user, fc_id, {"evidence": [*fc.evidence, item]})

    return _act(request, fc_id, run)


@router.post("/factchecks/{fc_id}/evidence/remove", dependencies=[editor, csrf])
def factcheck_remove_evidence(
    request: Request, fc_id: int = Path(ge=1, le=MAX_ID), index: int = Form(..., ge=0, le=10_000), user=editor
):
    """Remove one evidence item (refused when a published false verdict would be left without any)."""

    def run(db):
        fc = fcs.get_factcheck(db, fc_id)
        if index >= len(fc.evidence):
            raise ConfigError(f"Không có bằng chứng số {index + 1} (no such evidence item)")
        update_factcheck(db, user, fc_id, {"evidence": [e for i, e in enumerate(fc.evidence) if i != index]})

    return _act(request, fc_id, run)


@router.post("/factchecks/{fc_id}/publish", dependencies=[editor, csrf])
def factcheck_publish(request: Request, fc_id: int = Path(ge=1, le=MAX_ID), user=editor):
    """Publish, propose or approve (the library applies the evidence and approval rules)."""
    return _act(request, fc_id, lambda db: publish_factcheck(db, user, fc_id))


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


# ------------------------------------------------------------------------------------------------
# API
# ------------------------------------------------------------------------------------------------


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
    document_title: str
    document_url: str | None
    document_kind: str
    claim: str
    verdict: str


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


def _iso(v) -> str | None:
    return v.isoformat() if v else None


def factcheck_out(fc: fcs.FactCheck) -> FactCheckOut:
    """The API view of a fact-check."""
    return FactCheckOut(
        id=fc.id, key=fc.key, claim=fc.claim, phrasings=fc.phrasings, verdict=fc.verdict,
        verdict_label=fc.verdict_label, explanation=fc.explanation,
        evidence=[EvidenceOut(url=e.get("url"), doc_id=e.get("doc_id"), title=e.get("title")) for e in fc.evidence],
        url=fc.url, appearances=fc.appearances, status=fc.status, version=fc.version, created_by=fc.created_by,
        updated_by=fc.updated_by, proposed_by=fc.proposed_by, approved_by=fc.approved_by,
        created_at=_iso(fc.created_at), updated_at=_iso(fc.updated_at), published_at=_iso(fc.published_at),
        withdrawn_at=_iso(fc.withdrawn_at),
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
    """Publish (or propose / approve under ``require_approval``); 400 when a rule refuses it."""
    fc, action = publish_factcheck(request.app.state.db, user, fc_id)
    return PublishOut(action=action, factcheck=factcheck_out(fc))


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
    return claimreview_of(db, fc)[0]


def alert_out(r: dict[str, Any]) -> AlertOut:
    """The API view of an alert row from :func:`list_alert_rows`."""
    return AlertOut(
        id=r["id"], doc_id=r["doc_id"], factcheck_id=r["factcheck_id"], story_id=r["story_id"],
        story_headline=r["story_headline"], score=r["score"], shared_terms=r["reason"], status=r["status"],
        created_at=_iso(r["created_at"]), document_title=r["doc_title"] or "", document_url=r["doc_url"],
        document_kind=r["doc_kind"], claim=r["claim"], verdict=r["verdict"],
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


_engines: dict[str, Any] = {}


def alert_engine(db):
    """One :class:`~kiemchung.claims.alerts.AlertEngine` per database (its matcher rebuilt on change)."""
    from kiemchung.claims.alerts import AlertEngine

    with _lock:
        engine = _engines.get(db.url)
        if engine is None:
            engine = _engines[db.url] = AlertEngine(db)
    return engine


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
