"""The fact-check knowledge base: claims, verdicts, evidence, review workflow and full history.

A fact-check holds the claim as people state it (several phrasings; the first is the main one), a
verdict from a fixed vocabulary (:data:`VERDICTS`), an explanation, evidence (URLs or ids of official
statements stored as documents of kind "official"), a status (draft → proposed → published →
withdrawn) and its history: every change writes a full snapshot to ``factcheck_versions``.

Rules enforced here (not in the UI): a false or misleading verdict is never published without at
least one piece of evidence; publishing needs a named human editor; when the installation setting
``require_approval`` is on, the editor who proposes cannot approve (an admin can); the same claim
(after normalisation) cannot be fact-checked twice.

Revisions of a published fact-check under ``require_approval``: a change to what it says (the fields
in :data:`SUBSTANTIVE`: claim and phrasings, verdict and the original rating label, explanation,
evidence) is not applied but kept as a pending revision (``meta["pending_revision"]``); the published
version stays what ClaimReview, the feed and the matcher use until someone who did not write the
revision approves it (:func:`approve_revision`; an admin cannot approve their own revision either), or
an editor discards it (:func:`discard_revision`). The other fields (:data:`MINOR`: the fact-check's own
URL, appearances, first appearance, claim date, publisher, meta) describe the fact-check rather than
state its conclusion and are applied at once, versioned and audited like any change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from kiemchung import audit, timeutil
from kiemchung.claims.tables import factcheck_phrasings, factcheck_versions, factchecks
from kiemchung.errors import ConfigError, NotFoundError
from kiemchung.labels import LABELS
from kiemchung.links import check_http_url
from kiemchung.privacy import url_scrubber
from kiemchung.store import schema as t
from kiemchung.text import fold, normalize, tokens
from kiemchung.store import settings

VERDICTS = {code: vi for code, (vi, _en) in LABELS["verdict"].items()}  # code → Vietnamese label
STATUSES = ("draft", "proposed", "published", "withdrawn")
NEEDS_EVIDENCE = ("false", "misleading")

# Labels used by Vietnam's anti-fake-news centre, newsrooms and foreign fact-checkers → verdict code.
# Keys are folded (no diacritics, lower case); see docs/factchecks.md for the reasoning.
_LABELS = {
    "false": [
        "sai sự thật", "tin sai sự thật", "tin giả", "thông tin sai sự thật", "sai", "thông tin sai",
        "thông tin xuyên tạc", "xuyên tạc", "bịa đặt", "tin bịa đặt", "tin đồn thất thiệt", "thất thiệt",
        "không có thật", "giả mạo", "lừa đảo", "false", "fake", "fabricated", "pants on fire", "incorrect",
    ],
    "misleading": [
        "gây hiểu lầm", "gây hiểu nhầm", "sai một phần", "thiếu căn cứ", "thiếu bối cảnh", "cắt ghép",
        "phóng đại", "nửa đúng nửa sai", "đánh tráo khái niệm", "chưa chính xác", "không chính xác",
        "misleading", "partly false", "half true", "mostly false", "missing context", "altered", "exaggerated",
    ],
    "true": ["đúng", "đúng sự thật", "chính xác", "có thật", "true", "correct", "mostly true", "accurate"],
    "unverified": [
        "chưa kiểm chứng", "chưa được kiểm chứng", "chưa xác minh", "đang xác minh", "chưa rõ",
        "unverified", "unproven", "unsubstantiated",
    ],
}
LABEL_MAP: dict[str, str] = {fold(lbl): code for code, labels in _LABELS.items() for lbl in labels}
_EDITABLE = {
    "claim", "phrasings", "verdict", "explanation", "evidence", "url", "appearances", "first_appearance",
    "claim_date", "publisher", "original_label", "meta",
}
# What a published fact-check says: a change goes back through approval under require_approval.
SUBSTANTIVE = ("claim", "phrasings", "verdict", "original_label", "explanation", "evidence")
# Descriptive fields: applied at once (still versioned).
MINOR = tuple(sorted(_EDITABLE - set(SUBSTANTIVE)))
PENDING = "pending_revision"


class DuplicateFactCheckError(ConfigError):
    """The claim already has a fact-check; ``existing`` is its id."""

    def __init__(self, message: str, existing: int) -> None:
        super().__init__(message)
        self.existing = existing


class EvidenceRequiredError(ConfigError):
    """A false or misleading verdict was to be published without evidence."""


class ApprovalError(ConfigError):
    """The review rule (a second editor or an admin approves) was not met."""


@dataclass
class FactCheck:
    """One fact-check as stored (``phrasings[0]`` is the main claim)."""

    id: int
    key: str
    claim: str
    verdict: str
    explanation: str = ""
    phrasings: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    url: str | None = None
    appearances: list[str] = field(default_factory=list)
    first_appearance: str | None = None
    claim_date: dt.datetime | None = None
    publisher: str | None = None
    original_label: str | None = None
    status: str = "draft"
    #: Another publisher's fact-check pulled from its pages or the Fact Check Tools API (used in matching,
    #: never this office's publication: see :mod:`kiemchung.claims.external`).
    external: bool = False
    version: int = 1
    created_by: str = ""
    updated_by: str = ""
    proposed_by: str | None = None
    approved_by: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    published_at: dt.datetime | None = None
    withdrawn_at: dt.datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict_label(self) -> str:
        """The Vietnamese verdict ("sai sự thật", "gây hiểu lầm", "đúng", "chưa kiểm chứng")."""
        return VERDICTS[self.verdict]

    @property
    def pending(self) -> dict[str, Any] | None:
        """The revision waiting for approval (``changes``, ``editors``, ``proposed_by``, ``at``), or None."""
        found = (self.meta or {}).get(PENDING)
        return found if isinstance(found, dict) and found.get("changes") else None

    def working_copy(self) -> FactCheck:
        """This fact-check as its pending revision would make it (itself when none): what editors edit."""
        pending = self.pending
        if pending is None:
            return self
        changes = dict(pending["changes"])
        phrasings = changes.pop("phrasings", self.phrasings[1:])
        claim = changes.get("claim", self.claim)
        return replace(self, **changes, phrasings=[claim, *phrasings])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able snapshot (times as ISO strings)."""
        out = asdict(self)
        for k, v in out.items():
            if isinstance(v, dt.datetime):
                out[k] = v.isoformat()
        return out


@dataclass
class FactCheckVersion:
    """One entry of a fact-check's history: a full snapshot after the change."""

    version: int
    action: str
    editor: str
    at: dt.datetime
    snapshot: dict[str, Any]


def parse_verdict(label: str) -> str:
    """Map a verdict label (code, Vietnamese label or a newsroom/centre label) to a verdict code."""
    if not isinstance(label, str) or not label.strip():
        raise ConfigError("Thiếu kết luận (verdict is required)")
    key = fold(normalize(label)).strip(" .!").strip()
    if key in VERDICTS:
        return key
    if key in LABEL_MAP:
        return LABEL_MAP[key]
    raise ConfigError(
        f"Kết luận không hợp lệ: {label!r}; dùng một trong: {', '.join(VERDICTS.values())} (unknown verdict)"
    )


def claim_norm(text: str) -> str:
    """The duplicate key of a phrasing: hash of its lower-cased, tone-canonical tokens."""
    toks = [w.lower() for w in tokens(normalize(text))]
    if not toks:
        raise ConfigError("Nội dung tuyên bố trống (claim text is empty)")
    return hashlib.sha1(" ".join(toks).encode()).hexdigest()


def _editor(editor: str | None) -> str:
    name = (editor or "").strip()
    if not name or name.lower() in ("system", "auto"):
        raise ConfigError("Cần tên biên tập viên (a named human editor is required)")
    return name


def _evidence(conn, items: Any) -> list[dict[str, Any]]:
    """Validate evidence: URLs (http/https) or ids of stored official documents."""
    out: list[dict[str, Any]] = []
    for item in items or []:
        if isinstance(item, int) or (isinstance(item, str) and re.fullmatch(r"(doc:)?\d+", item.strip())):
            item = {"doc_id": int(str(item).strip().removeprefix("doc:"))}
        elif isinstance(item, str):
            item = {"url": item.strip()}
        if not isinstance(item, dict):
            raise ConfigError(f"Bằng chứng không hợp lệ (invalid evidence): {item!r}")
        if item.get("doc_id") is not None:
            doc_id = int(item["doc_id"])
            row = conn.execute(select(t.documents.c.kind, t.documents.c.url, t.documents.c.title)
                               .where(t.documents.c.id == doc_id)).first()
            if row is None:
                raise ConfigError(f"Không tìm thấy văn bản làm bằng chứng (evidence document not found): {doc_id}")
            if row.kind != "official":
                raise ConfigError(
                    f"Tài liệu {doc_id} không phải văn bản chính thức (evidence documents must be of kind 'official')"
                )
            out.append({"doc_id": doc_id, "url": row.url, "title": item.get("title") or row.title})
        else:
            url = check_http_url(str(item.get("url") or ""), "Đường dẫn bằng chứng (evidence URL)")
            out.append({"url": url, **({"title": item["title"]} if item.get("title") else {})})
    return out


def _row_to_fc(conn, row) -> FactCheck:
    m = dict(row._mapping)
    phr = conn.execute(select(factcheck_phrasings.c.text).where(factcheck_phrasings.c.factcheck_id == m["id"])
                       .order_by(factcheck_phrasings.c.position)).scalars().all()
    m["meta"] = m.get("meta") or {}
    m["evidence"] = list(m["evidence"] or [])
    m["appearances"] = list(m["appearances"] or [])
    return FactCheck(phrasings=list(phr), **m)


def _load(conn, ref: int | str) -> FactCheck:
    c = factchecks.c
    cond = c.id == int(ref) if isinstance(ref, int) or str(ref).isdigit() else c.key == str(ref)
    row = conn.execute(select(factchecks).where(cond)).first()
    if row is None:
        raise NotFoundError(f"Không tìm thấy bài kiểm chứng (fact-check not found): {ref}")
    return _row_to_fc(conn, row)


def _snapshot(conn, fc_id: int, action: str, editor: str, *, before: FactCheck | None = None,
              actor: Any = None, audit_action: str | None = None) -> None:
    """Record the new version, and the audit entry of the write (``actor``, else the editor's name)."""
    fc = _load(conn, fc_id)
    conn.execute(insert(factcheck_versions).values(
        factcheck_id=fc_id, version=fc.version, action=action, snapshot=fc.to_dict(), editor=editor,
        at=fc.updated_at))
    audit.record(conn, actor if actor is not None else editor,
                 f"factcheck.{(audit_action or action).replace('-', '_')}", f"factcheck:{fc_id}",
                 before.to_dict() if before is not None else None, fc.to_dict())


def _set_phrasings(conn, fc_id: int, phrasings: list[str]) -> None:
    conn.execute(delete(factcheck_phrasings).where(factcheck_phrasings.c.factcheck_id == fc_id))
    seen: set[str] = set()
    pos = 0
    for text in phrasings:
        norm = claim_norm(text)
        if norm in seen:
            continue
        seen.add(norm)
        other = conn.execute(select(factcheck_phrasings.c.factcheck_id).where(factcheck_phrasings.c.norm == norm)).scalar()
        if other is not None:
            raise DuplicateFactCheckError(
                f"Tuyên bố này đã có bài kiểm chứng #{other} (duplicate: the claim is already fact-checked "
                f"as #{other}): {text!r}", other)
        conn.execute(insert(factcheck_phrasings).values(factcheck_id=fc_id, position=pos, text=text.strip(), norm=norm))
        pos += 1


def find_duplicate(db, text: str) -> FactCheck | None:
    """The fact-check whose phrasing equals ``text`` after normalisation, or None."""
    with db.read() as conn:
        fc_id = conn.execute(select(factcheck_phrasings.c.factcheck_id)
                             .where(factcheck_phrasings.c.norm == claim_norm(text))).scalar()
        return _load(conn, fc_id) if fc_id is not None else None


def _clean_fields(conn, values: dict[str, Any], scrub: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """``values`` checked and normalised; ``scrub`` makes appearance links handle-free (hash_authors)."""
    out = dict(values)
    if "verdict" in out:
        raw = out["verdict"]
        out["verdict"] = parse_verdict(raw)
        if out.get("original_label") is None and fold(str(raw)).strip() not in VERDICTS:
            out["original_label"] = str(raw)
    if "claim" in out:
        if not isinstance(out["claim"], str) or not out["claim"].strip():
            raise ConfigError("Nội dung tuyên bố trống (claim text is empty)")
        out["claim"] = out["claim"].strip()
    if "evidence" in out:
        out["evidence"] = _evidence(conn, out["evidence"])
    if "appearances" in out:
        out["appearances"] = [check_http_url(str(u), "Nơi xuất hiện (appearance)")
                              for u in out["appearances"] or [] if str(u).strip()]
    for key, what in (("url", "URL bài kiểm chứng (fact-check URL)"),
                      ("first_appearance", "Nơi xuất hiện đầu tiên (first appearance)")):
        if key in out and out[key] is not None:
            out[key] = check_http_url(str(out[key]), what) if str(out[key]).strip() else None
    if "appearances" in out or out.get("first_appearance"):
        # Where a claim appeared is usually a person's post: with hash_authors on, its link loses the
        # account as a stored document's does (evidence, an agency's page cited, keeps its link).
        if scrub is not None:
            if "appearances" in out:
                out["appearances"] = list(dict.fromkeys(scrub(u) for u in out["appearances"]))
            if out.get("first_appearance"):
                out["first_appearance"] = scrub(out["first_appearance"])
    if "meta" in out and isinstance(out["meta"], dict) and out["meta"].get("publisher_url") is not None:
        out["meta"] = {**out["meta"], "publisher_url": check_http_url(out["meta"]["publisher_url"],
                                                                      "Trang của đơn vị (publisher URL)")}
    if "claim_date" in out and out["claim_date"] is not None:
        out["claim_date"] = timeutil.parse_time(out["claim_date"])
    if "explanation" in out:
        out["explanation"] = (out["explanation"] or "").strip()
    return out


def create_factcheck(
    db, claim: str, verdict: str, explanation: str = "", *, editor: str, phrasings: list[str] | tuple = (),
    evidence: list | tuple = (), url: str | None = None, appearances: list[str] | tuple = (),
    first_appearance: str | None = None, claim_date: Any = None, publisher: str | None = None,
    original_label: str | None = None, key: str | None = None, meta: dict | None = None, actor: Any = None,
    external: bool = False,
) -> FactCheck:
    """Create a draft fact-check; refuses a claim (or phrasing) that is already fact-checked.

    ``external``: the fact-check is ``publisher``'s, not this office's (an imported ClaimReview of
    another organisation): it is matched against, never exported or counted as the office's own.

    Every write of this module is audited (``factcheck.<action>``) with ``actor``: the web's user, the
    CLI's ``cli:<os user>``, or by default the editor's name."""
    editor = _editor(editor)
    now = timeutil.now()
    scrub = url_scrubber(db)
    with db.write() as conn:
        if key and (same := conn.execute(select(factchecks.c.id).where(factchecks.c.key == key)).scalar()) is not None:
            raise DuplicateFactCheckError(f"Mã bài kiểm chứng đã có (fact-check key already exists): {key}", same)
        v = _clean_fields(conn, dict(claim=claim, verdict=verdict, explanation=explanation, evidence=evidence,
                                     appearances=appearances, claim_date=claim_date, original_label=original_label,
                                     url=url, first_appearance=first_appearance, meta=meta or {}), scrub)
        result = conn.execute(insert(factchecks).values(
            key=key or f"tmp-{now.timestamp()}-{id(v)}", publisher=publisher, external=bool(external and publisher),
            status="draft", version=1,
            created_by=editor, updated_by=editor, created_at=now, updated_at=now, **v))
        fc_id = result.inserted_primary_key[0]
        if not key:
            conn.execute(update(factchecks).where(factchecks.c.id == fc_id).values(key=f"fc-{fc_id}"))
        _set_phrasings(conn, fc_id, [v["claim"], *[p for p in phrasings if p and p.strip()]])
        _snapshot(conn, fc_id, "create", editor, actor=actor)
        return _load(conn, fc_id)


def _check_phrasings(conn, fc_id: int, phrasings: list[str]) -> None:
    """Refuse phrasings another fact-check already holds (nothing is written)."""
    for text in phrasings:
        other = conn.execute(select(factcheck_phrasings.c.factcheck_id).where(
            factcheck_phrasings.c.norm == claim_norm(text), factcheck_phrasings.c.factcheck_id != fc_id)).scalar()
        if other is not None:
            raise DuplicateFactCheckError(
                f"Tuyên bố này đã có bài kiểm chứng #{other} (duplicate: the claim is already fact-checked "
                f"as #{other}): {text!r}", other)


def _current(fc: FactCheck, key: str) -> Any:
    return fc.phrasings[1:] if key == "phrasings" else getattr(fc, key)


def _hold_revision(conn, fc: FactCheck, v: dict[str, Any], editor: str) -> dict[str, Any] | None:
    """Move the substantive changes of ``v`` into the pending revision of published ``fc``.

    Returns the new pending revision (None when nothing differs from the published version any more).
    """
    held = {k: v.pop(k) for k in SUBSTANTIVE if k in v}
    if "phrasings" in held:
        held["phrasings"] = [p.strip() for p in held["phrasings"] if p and p.strip()]
    before = fc.pending or {"changes": {}, "editors": []}
    changes = {**before["changes"], **held}
    changes = {k: val for k, val in changes.items() if val != _current(fc, k)}
    if not changes:
        return None
    draft = replace(fc, meta={**fc.meta, PENDING: {"changes": changes}}).working_copy()
    _require_evidence(draft.verdict, draft.evidence)
    _check_phrasings(conn, fc.id, draft.phrasings)
    editors = list(before["editors"])
    if held and editor not in editors:
        editors.append(editor)
    return {"changes": changes, "editors": editors, "proposed_by": editor if held else before.get("proposed_by"),
            "at": timeutil.now().isoformat()}


def update_factcheck(db, fc_id: int | str, changes: dict[str, Any], editor: str, *, actor: Any = None) -> FactCheck:
    """Change fields of a fact-check (a new version is recorded); a published one must stay valid.

    Under ``require_approval`` a change to what a published fact-check says (:data:`SUBSTANTIVE`) is
    kept as a pending revision instead of being applied (see the module docstring).
    """
    editor = _editor(editor)
    bad = set(changes) - _EDITABLE
    if bad:
        raise ConfigError(f"Không sửa được trường (fields cannot be edited): {sorted(bad)}")
    scrub = url_scrubber(db) if {"appearances", "first_appearance"} & set(changes) else None
    with db.write() as conn:
        fc = _load(conn, fc_id)
        v = _clean_fields(conn, changes, scrub)
        if "meta" in v:  # the pending revision is the workflow's, not an editable field
            v["meta"] = {k: val for k, val in dict(v["meta"] or {}).items() if k != PENDING}
            if fc.pending is not None:
                v["meta"][PENDING] = fc.meta[PENDING]
        action = "update"
        if fc.status == "published" and require_approval(db) and any(k in v for k in SUBSTANTIVE):
            pending = _hold_revision(conn, fc, v, editor)
            meta = {k: val for k, val in dict(v.get("meta", fc.meta) or {}).items() if k != PENDING}
            v["meta"] = {**meta, PENDING: pending} if pending else meta
            action = "revise"
        phr = v.pop("phrasings", None)
        if "claim" in v or phr is not None:
            claim = v.get("claim", fc.claim)
            rest = [p for p in (phr if phr is not None else fc.phrasings[1:]) if p and p.strip()]
            _set_phrasings(conn, fc.id, [claim, *rest])
        if fc.status in ("published", "proposed"):
            _require_evidence(v.get("verdict", fc.verdict), v.get("evidence", fc.evidence))
        if fc.status == "proposed" and any(k in v for k in SUBSTANTIVE):
            v["proposed_by"] = editor  # who changed a proposal cannot be the one to approve it
        conn.execute(update(factchecks).where(factchecks.c.id == fc.id).values(
            version=fc.version + 1, updated_by=editor, updated_at=timeutil.now(), **v))
        _snapshot(conn, fc.id, action, editor, before=fc, actor=actor)
        return _load(conn, fc.id)


def approve_revision(db, fc_id: int | str, approver: str, *, actor: Any = None) -> FactCheck:
    """Apply the pending revision of a published fact-check, approved by ``approver``.

    The approver must not be one of the revision's editors (an admin neither): the published text
    changes only when a second person has read the new one.
    """
    approver = _editor(approver)
    with db.write() as conn:
        fc = _load(conn, fc_id)
        pending = fc.pending
        if fc.status != "published" or pending is None:
            raise ConfigError("Không có bản sửa nào chờ duyệt (no revision is waiting for approval)")
        if approver in pending.get("editors", []):
            raise ApprovalError(
                "Người sửa không thể tự duyệt bản sửa; cần một biên tập viên khác "
                "(an editor of the revision cannot approve it)")
        new = fc.working_copy()
        _require_evidence(new.verdict, new.evidence)
        _set_phrasings(conn, fc.id, new.phrasings)
        values = {k: getattr(new, k) for k in pending["changes"] if k != "phrasings"}
        meta = {k: val for k, val in fc.meta.items() if k != PENDING}
        conn.execute(update(factchecks).where(factchecks.c.id == fc.id).values(
            **values, meta=meta, version=fc.version + 1, updated_by=approver, updated_at=timeutil.now(),
            proposed_by=pending.get("proposed_by") or fc.proposed_by, approved_by=approver))
        _snapshot(conn, fc.id, "approve-revision", approver, before=fc, actor=actor)
        return _load(conn, fc.id)


def discard_revision(db, fc_id: int | str, editor: str, *, actor: Any = None) -> FactCheck:
    """Drop the pending revision of a fact-check (the published version stays as it is)."""
    editor = _editor(editor)
    with db.write() as conn:
        fc = _load(conn, fc_id)
        if fc.pending is None:
            raise ConfigError("Không có bản sửa nào chờ duyệt (no revision is waiting for approval)")
        meta = {k: val for k, val in fc.meta.items() if k != PENDING}
        conn.execute(update(factchecks).where(factchecks.c.id == fc.id).values(
            meta=meta, version=fc.version + 1, updated_by=editor, updated_at=timeutil.now()))
        _snapshot(conn, fc.id, "discard-revision", editor, before=fc, actor=actor)
        return _load(conn, fc.id)


def _require_evidence(verdict: str, evidence: list) -> None:
    if verdict in NEEDS_EVIDENCE and not evidence:
        raise EvidenceRequiredError(
            f"Không thể xuất bản kết luận “{VERDICTS[verdict]}” khi chưa có bằng chứng: cần ít nhất một đường dẫn "
            "hoặc mã văn bản chính thức (a false/misleading verdict needs at least one cited URL or official document)"
        )


def _is_admin(db, name: str) -> bool:
    try:
        from kiemchung.users import get_user

        return get_user(db, name).role == "admin"
    except NotFoundError:
        return False


def require_approval(db) -> bool:
    """Whether the installation requires a second editor (or an admin) to approve publication."""
    return settings.flag(db, "require_approval")


def publish_factcheck(db, fc_id: int | str, editor: str, approver: str | None = None, *,
                      published_at: Any = None, actor: Any = None) -> FactCheck:
    """Publish (or, under ``require_approval`` without an approver, propose) a fact-check.

    On a published fact-check with a pending revision, ``approver`` approves the revision
    (:func:`approve_revision`).

    ``published_at`` records an earlier publication elsewhere (an imported ClaimReview's
    ``datePublished``, the bundled sample's dates); by default the publication time is now. Either way
    the time is part of the versioned snapshot.
    """
    editor = _editor(editor)
    first = timeutil.parse_time(published_at) if published_at is not None else None
    if published_at is not None and first is None:
        raise ConfigError(f"Ngày xuất bản không hợp lệ (invalid publication time): {published_at!r}")
    with db.write() as conn:
        fc = _load(conn, fc_id)
        if fc.status == "published" and fc.pending is not None and approver is not None:
            return approve_revision(db, fc.id, approver, actor=actor)  # same transaction (nested write)
        if fc.status == "published":
            return fc
        _require_evidence(fc.verdict, fc.evidence)
        now = timeutil.now()
        pub = fc.published_at or first or now
        values: dict[str, Any] = {"version": fc.version + 1, "updated_at": now}
        if require_approval(db):
            if approver is None:
                values.update(status="proposed", proposed_by=editor, updated_by=editor)
                action = "propose"
            else:
                approver = _editor(approver)
                proposer = fc.proposed_by or editor
                if approver == proposer and not _is_admin(db, approver):
                    raise ApprovalError(
                        "Người đề xuất không thể tự duyệt; cần một biên tập viên khác hoặc quản trị viên "
                        "(the proposer cannot approve their own fact-check)")
                values.update(status="published", proposed_by=proposer, approved_by=approver,
                              updated_by=approver, published_at=pub, withdrawn_at=None)
                action = "publish"
        else:
            values.update(status="published", approved_by=approver and _editor(approver), updated_by=editor,
                          proposed_by=fc.proposed_by or editor, published_at=pub, withdrawn_at=None)
            action = "publish"
        conn.execute(update(factchecks).where(factchecks.c.id == fc.id).values(**values))
        approved = action == "publish" and fc.status == "proposed" and values.get("approved_by") is not None
        _snapshot(conn, fc.id, action, values["updated_by"], before=fc, actor=actor,
                  audit_action="approve" if approved else action)
        return _load(conn, fc.id)


def withdraw_factcheck(db, fc_id: int | str, editor: str, reason: str = "", *, actor: Any = None) -> FactCheck:
    """Withdraw a fact-check (kept, with its history; no longer used for alerts or exports)."""
    editor = _editor(editor)
    with db.write() as conn:
        fc = _load(conn, fc_id)
        meta = {k: val for k, val in fc.meta.items() if k != PENDING}
        meta = {**meta, "withdraw_reason": reason} if reason else meta
        conn.execute(update(factchecks).where(factchecks.c.id == fc.id).values(
            status="withdrawn", version=fc.version + 1, updated_by=editor, updated_at=timeutil.now(),
            withdrawn_at=timeutil.now(), meta=meta))
        _snapshot(conn, fc.id, "withdraw", editor, before=fc, actor=actor)
        return _load(conn, fc.id)


def get_factcheck(db, fc_id: int | str) -> FactCheck:
    """A fact-check by id or key."""
    with db.read() as conn:
        return _load(conn, fc_id)


def list_factchecks(db, *, status: str | None = None, verdicts: tuple[str, ...] | list[str] | None = None,
                    query: str | None = None, limit: int = 100, offset: int = 0,
                    external: bool | None = None) -> list[FactCheck]:
    """Fact-checks, newest change first; filter by status, verdict codes, or words of the claim.

    ``external``: False for this office's own fact-checks only, True for other publishers' pulled ones
    (:mod:`kiemchung.claims.external`), None for both."""
    if status is not None and status not in STATUSES:
        raise ConfigError(f"Trạng thái không hợp lệ (unknown status): {status}")
    q = select(factchecks).order_by(factchecks.c.updated_at.desc(), factchecks.c.id.desc())
    if status:
        q = q.where(factchecks.c.status == status)
    if verdicts:
        q = q.where(factchecks.c.verdict.in_([parse_verdict(v) for v in verdicts]))
    if external is not None:
        q = q.where(factchecks.c.external == external)
    with db.read() as conn:
        rows = conn.execute(q).fetchall()
        out = [_row_to_fc(conn, r) for r in rows]
    if query:
        words = fold(normalize(query)).split()
        out = [f for f in out if all(w in fold(" ".join([*f.phrasings, f.explanation])) for w in words)]
    return out[offset: offset + limit]


def claim_texts(db, fc_or_text: FactCheck | int | str) -> tuple[FactCheck | None, list[str]]:
    """A fact-check (given, or by id) and its non-blank phrasings; ``(None, [text])`` for a claim being
    written (a string), ``(None, [])`` when it is blank."""
    if isinstance(fc_or_text, int):
        fc_or_text = get_factcheck(db, fc_or_text)
    if isinstance(fc_or_text, FactCheck):
        fc, texts = fc_or_text, fc_or_text.phrasings or [fc_or_text.claim]
    else:
        fc, texts = None, [fc_or_text]
    return fc, [t for t in texts if isinstance(t, str) and t.strip()]


def history(db, fc_id: int | str) -> list[FactCheckVersion]:
    """Every version of a fact-check, oldest first (full snapshots, editor, time)."""
    with db.read() as conn:
        fc = _load(conn, fc_id)
        rows = conn.execute(select(factcheck_versions).where(factcheck_versions.c.factcheck_id == fc.id)
                            .order_by(factcheck_versions.c.version)).fetchall()
    return [FactCheckVersion(r.version, r.action, r.editor, r.at, r.snapshot) for r in rows]


def signature(db) -> tuple[int, str]:
    """A value that changes whenever a fact-check changes (the alert engine rebuilds on change)."""
    with db.read() as conn:
        n, last, total = conn.execute(select(func.count(), func.max(factchecks.c.updated_at),
                                             func.sum(factchecks.c.version))).one()
    return (n, f"{last}|{total}")


__all__ = [
    "LABEL_MAP",
    "MINOR",
    "STATUSES",
    "SUBSTANTIVE",
    "VERDICTS",
    "ApprovalError",
    "DuplicateFactCheckError",
    "EvidenceRequiredError",
    "FactCheck",
    "FactCheckVersion",
    "approve_revision",
    "claim_norm",
    "claim_texts",
    "create_factcheck",
    "discard_revision",
    "find_duplicate",
    "get_factcheck",
    "history",
    "list_factchecks",
    "parse_verdict",
    "publish_factcheck",
    "signature",
    "update_factcheck",
    "withdraw_factcheck",
]


def load_sample_factchecks(db, editor: str = "mau") -> tuple[int, int]:
    """Load and publish the bundled sample's fact-checks at their own publication dates (so a report
    on the sample is the same whatever day it is loaded); return (loaded, already there)."""
    from kiemchung.sources.sample import sample_factchecks

    n = skipped = 0
    for item in sample_factchecks():
        try:
            fc = create_factcheck(db, item["claim"], item["verdict"], item.get("explanation", ""), editor=editor,
                                  evidence=[item["evidence"]] if item.get("evidence") else [], url=item.get("url"),
                                  key=item.get("id"), publisher=item.get("publisher"))
        except DuplicateFactCheckError:
            skipped += 1
            continue
        publish_factcheck(db, fc.id, editor, approver=editor if require_approval(db) else None,
                          published_at=item.get("published_at"))
        n += 1
    return n, skipped
