"""Other publishers' fact-checks, pulled on a schedule (the ``claimreview`` source kind).

Two shapes arrive: schema.org ``ClaimReview`` JSON-LD, in the ``<script type="application/ld+json">``
of a fact-check page (or a JSON document of them), and the answers of the Google Fact Check Tools API
``claims:search``. Both become the same review dict (see :func:`kiemchung.claims.claimreview.parse_item`)
and are stored by :func:`save_external` as **external** fact-checks:

- ``factchecks.external`` is true, ``publisher`` (and ``meta.publisher_url``) name whose fact-check it
  is; they are published as their publisher published them (status ``published``, their own date),
  without passing through this office's review, because they are not this office's verdict;
- they take part in matching (alerts name their publisher), but never count as this office's
  publication: not in its ClaimReview export, its fact-check feed, nor its reports' fact-check counts;
- the same review pulled again updates its fact-check when its publisher changed it (identity: the
  review's URL, else publisher + claim), so nothing is stored twice; a claim this office has already
  fact-checked itself is left to the office's own fact-check (reported as a duplicate, not an error).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml import etree
from sqlalchemy import select, update

from kiemchung import timeutil
from kiemchung.claims import factchecks as fcs
from kiemchung.claims.tables import factchecks
from kiemchung.errors import ConfigError, ParseError
from kiemchung.links import http_url
from kiemchung.privacy import url_scrubber
from kiemchung.sources.http import api_json, decode_body

__all__ = ["claimreviews_in", "external_key", "parse_claims_search", "save_external"]

_MAX_DEPTH = 8
_MAX_SCRIPTS = 50


def _walk(value: Any, depth: int = 0) -> Iterator[dict]:
    """Every object typed ClaimReview inside a JSON-LD value: top level, ``@graph``, lists, nested."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, list):
        for v in value:
            yield from _walk(v, depth + 1)
    elif isinstance(value, dict):
        kind = value.get("@type")
        if kind == "ClaimReview" or (isinstance(kind, list) and "ClaimReview" in kind):
            yield value
            return
        for key, v in value.items():
            if key != "@context" and isinstance(v, (dict, list)):
                yield from _walk(v, depth + 1)


def claimreviews_in(content: bytes, *, url: str, headers: dict | None = None) -> tuple[list[dict], list[str]]:
    """The ClaimReview objects of a page (JSON-LD scripts) or of a JSON document, and the problems met.

    A script that is not valid JSON is a problem (the others are still read); a page with no
    ClaimReview at all raises :class:`ParseError` (reason ``no_claimreview``)."""
    from kiemchung.sources.http import charset_from_content_type

    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    text, _ = decode_body(content or b"", charset=charset_from_content_type(lowered.get("content-type")))
    problems: list[str] = []
    blobs: list[str] = []
    if text.lstrip()[:1] in ("{", "["):
        blobs.append(text)
    elif text.strip():
        try:
            root = lxml.html.document_fromstring(text)
        except (etree.ParserError, ValueError):
            root = None
        if root is not None:
            for el in root.iter("script"):
                if (el.get("type") or "").split(";")[0].strip().lower() == "application/ld+json":
                    blobs.append(el.text or "")
                    if len(blobs) >= _MAX_SCRIPTS:
                        break
    found: list[dict] = []
    for i, blob in enumerate(blobs):
        try:
            data = json.loads(blob)
        except ValueError as exc:
            problems.append(f"{url}: JSON-LD thứ {i + 1} hỏng (broken JSON-LD script {i + 1}): {str(exc)[:120]}")
            continue
        found.extend(_walk(data))
    if not found:
        detail = "; ".join(problems) if problems else "không có đối tượng ClaimReview nào (no ClaimReview object)"
        raise ParseError(f"Trang {url} không có ClaimReview: {detail} (no_claimreview)", soft=False,
                         reason="no_claimreview")
    return found, problems


def parse_claims_search(content: bytes) -> tuple[list[dict], list[str], str | None]:
    """Reviews of a Google Fact Check Tools ``claims:search`` answer, as review dicts (see module doc),
    the problems met (one line per refused review), and the ``nextPageToken`` (None when last page)."""
    data = api_json(content, "Fact Check Tools", "Fact Check Tools API")
    reviews: list[dict] = []
    problems: list[str] = []
    claims = data.get("claims") or []
    if not isinstance(claims, list):
        raise ParseError("API Fact Check Tools: claims không phải danh sách (claims is not a list) (api_error)",
                         soft=False, reason="api_error")
    for i, claim in enumerate(claims):
        try:
            reviews.extend(_api_claim(claim))
        except ConfigError as exc:
            problems.append(f"Mục {i} (item {i}): {exc}")
    token = data.get("nextPageToken")
    return reviews, problems, token if isinstance(token, str) and token else None


def _api_claim(claim: Any) -> list[dict]:
    if not isinstance(claim, dict):
        raise ConfigError("không phải đối tượng JSON (not an object)")
    text = claim.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ConfigError("thiếu text của tuyên bố (missing claim text)")
    claim_date = timeutil.parse_time(claim["claimDate"]) if isinstance(claim.get("claimDate"), str) else None
    out = []
    for review in claim.get("claimReview") or []:
        if not isinstance(review, dict):
            raise ConfigError("claimReview không phải đối tượng (claimReview is not an object)")
        label = review.get("textualRating")
        if not isinstance(label, str) or not label.strip():
            raise ConfigError("thiếu textualRating (missing textualRating)")
        verdict = fcs.parse_verdict(label)  # ConfigError names the label when it maps to no verdict
        url = http_url(review.get("url"))
        if url is None:
            raise ConfigError(f"url của bài kiểm chứng thiếu hoặc sai (missing or bad review url): {review.get('url')!r}")
        publisher = review.get("publisher") if isinstance(review.get("publisher"), dict) else {}
        name = publisher.get("name") if isinstance(publisher.get("name"), str) else None
        site = publisher.get("site") if isinstance(publisher.get("site"), str) else None
        name = (name or site or urlsplit(url).hostname or "").strip()
        published = timeutil.parse_time(review["reviewDate"]) if isinstance(review.get("reviewDate"), str) else None
        out.append(dict(
            claim=text.strip(), verdict=verdict, original_label=label.strip(),
            explanation=review["title"].strip() if isinstance(review.get("title"), str) else "",
            evidence=[], url=url, appearances=[], first_appearance=None, claim_date=claim_date,
            published=published, publisher=name or None,
            publisher_url=http_url(f"https://{site.strip()}") if site and "/" not in site.strip() else http_url(site),
        ))
    return out


def external_key(review: dict) -> str:
    """The identity of an external review: its URL, else its publisher and claim (stable across polls)."""
    basis = review.get("url") or f"{review.get('publisher') or ''}\n{review['claim']}"
    return "ext-" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:24]


def save_external(db, review: dict, *, source_id: int | None, source_name: str = "") -> tuple[str, int | None]:
    """Store one pulled review as an external fact-check; ``(outcome, fact-check id)``.

    ``outcome`` is ``created``, ``updated`` (its publisher changed verdict, text or evidence),
    ``unchanged``, or ``duplicate`` (the claim is already fact-checked by another fact-check; the id is
    that one's). Wrong values raise :class:`ConfigError` (the caller reports it and goes on)."""
    if not review.get("publisher"):
        raise ConfigError("thiếu đơn vị xuất bản (missing publisher/author name)")
    if not review.get("url"):
        raise ConfigError("thiếu url của bài kiểm chứng (missing review url)")
    key = external_key(review)
    actor = f"source:{source_id}" if source_id is not None else "source"
    now = timeutil.now()
    published = review.get("published") or now
    meta = {"external": True, "source_id": source_id, "source_name": source_name}
    if review.get("publisher_url"):
        meta["publisher_url"] = review["publisher_url"]
    fields = dict(claim=review["claim"], verdict=review["verdict"], explanation=review.get("explanation") or "",
                  evidence=list(review.get("evidence") or []), url=review["url"],
                  appearances=list(review.get("appearances") or []), first_appearance=review.get("first_appearance"),
                  claim_date=review.get("claim_date"), original_label=review.get("original_label"), meta=meta)
    scrub = url_scrubber(db)
    with db.write() as conn:
        v = fcs._clean_fields(conn, fields, scrub)
        existing = conn.execute(select(factchecks.c.id).where(factchecks.c.key == key)).scalar()
        if existing is not None:
            before = fcs._load(conn, existing)
            changed = {k: val for k, val in v.items() if k != "meta" and fcs._current(before, k) != val}
            if before.publisher != review["publisher"]:
                changed["publisher"] = review["publisher"]
            if not changed:
                return "unchanged", existing
            if "claim" in changed:
                try:
                    fcs._set_phrasings(conn, existing, [changed["claim"]])
                except fcs.DuplicateFactCheckError as exc:
                    return "duplicate", exc.existing
            conn.execute(update(factchecks).where(factchecks.c.id == existing).values(
                **changed, meta={**before.meta, **meta}, version=before.version + 1, updated_by=actor,
                updated_at=now))
            fcs._snapshot(conn, existing, "update", actor, before=before, actor=actor)
            return "updated", existing
        other = conn.execute(select(fcs.factcheck_phrasings.c.factcheck_id).where(
            fcs.factcheck_phrasings.c.norm == fcs.claim_norm(v["claim"]))).scalar()
        if other is not None:
            return "duplicate", other
        result = conn.execute(factchecks.insert().values(
            key=key, publisher=review["publisher"], external=True, status="published", version=1,
            created_by=actor, updated_by=actor, created_at=now, updated_at=now, published_at=published, **v))
        fc_id = result.inserted_primary_key[0]
        fcs._set_phrasings(conn, fc_id, [v["claim"]])
        fcs._snapshot(conn, fc_id, "create", actor, actor=actor, audit_action="import_external")
        return "created", fc_id
