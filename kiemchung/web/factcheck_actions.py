"""Fact-check writes shared by the pages and the API: library calls with the signed-in user as actor
(the library writes the audit entry, as it does for the CLI)."""

from __future__ import annotations

import dataclasses
from typing import Any

from kiemchung.captures import request_for_factcheck
from kiemchung.claims import factchecks as fcs
from kiemchung.claims.claimreview import to_claimreview
from kiemchung.errors import ConfigError
from kiemchung.timeutil import now

MAX_CLAIM_CHARS = 2000


def create_factcheck(db, user, claim: str, **fields: Any) -> fcs.FactCheck:
    """Create a draft fact-check as ``user`` (default verdict "chưa kiểm chứng") and audit it."""
    if len(claim or "") > MAX_CLAIM_CHARS:
        raise ConfigError("Tuyên bố quá dài, tối đa 2000 ký tự (claim too long)")
    fields.setdefault("verdict", "unverified")
    fc = fcs.create_factcheck(db, claim, editor=user.name, actor=user, **fields)
    request_for_factcheck(db, fc, actor=user)
    return fc


def update_factcheck(db, user, fc_id: int, changes: dict[str, Any]) -> fcs.FactCheck:
    """Apply ``changes`` (library field names) as ``user`` and audit before/after; no-op when empty.

    On a published fact-check under ``require_approval`` the library keeps a change of what it says
    as a pending revision (audited as ``factcheck.revise``)."""
    before = fcs.get_factcheck(db, fc_id)
    if not changes:
        return before
    fc = fcs.update_factcheck(db, fc_id, changes, user.name, actor=user)
    if {"evidence", "appearances"} & set(changes):
        request_for_factcheck(db, fc, actor=user)
    return fc


def discard_revision(db, user, fc_id: int) -> fcs.FactCheck:
    """Drop the pending revision of a published fact-check as ``user`` and audit it."""
    return fcs.discard_revision(db, fc_id, user.name, actor=user)


def publish_factcheck(db, user, fc_id: int) -> tuple[fcs.FactCheck, str]:
    """Publish, propose or approve, whichever the installation's rule and the status call for.

    Without ``require_approval`` the editor publishes. With it: a draft is proposed (an admin may
    publish at once); a proposed fact-check is approved by this user on behalf of its proposer, and
    the library refuses when the approver is the proposer (unless an admin). Returns (fact-check,
    action) where action is ``publish``, ``propose`` or ``approve``. On a published fact-check with a
    pending revision this user approves the revision (``approve_revision``; refused for its editors).
    """
    before = fcs.get_factcheck(db, fc_id)
    if before.status == "published" and before.pending is not None:
        fc, action = fcs.approve_revision(db, fc_id, user.name, actor=user), "approve_revision"
    elif not fcs.require_approval(db):
        fc, action = fcs.publish_factcheck(db, fc_id, user.name, actor=user), "publish"
    elif before.status == "proposed":
        proposer = before.proposed_by or user.name
        fc, action = fcs.publish_factcheck(db, fc_id, proposer, approver=user.name, actor=user), "approve"
    elif user.has_role("admin"):
        fc, action = fcs.publish_factcheck(db, fc_id, user.name, approver=user.name, actor=user), "publish"
    else:
        fc, action = fcs.publish_factcheck(db, fc_id, user.name, actor=user), "propose"
    if fc.status == before.status and fc.version == before.version:
        return fc, "none"
    return fc, action  # the library audited the write, with this user as its actor


def withdraw_factcheck(db, user, fc_id: int, reason: str = "") -> fcs.FactCheck:
    """Withdraw a fact-check as ``user`` and audit it."""
    return fcs.withdraw_factcheck(db, fc_id, user.name, reason, actor=user)


def claimreview_of(db, fc: fcs.FactCheck, *, site: str | None = None) -> tuple[dict[str, Any], bool]:
    """The ClaimReview JSON-LD of ``fc`` and whether it is only a preview (not published yet).

    The library exports published fact-checks only; an unpublished one is previewed by exporting a
    copy marked published now (nothing is written). ``site``: the address the web app is reached at,
    used for links while the setting ``site_url`` is unset.
    """
    if fc.status == "published":
        return to_claimreview(db, fc, site=site), False
    copy = dataclasses.replace(fc, status="published", published_at=fc.published_at or now())
    return to_claimreview(db, copy, site=site), True