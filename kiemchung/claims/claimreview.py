"""schema.org ClaimReview JSON-LD: export published fact-checks, import others' fact-checks.

Rating scale (``reviewRating``): ``worstRating`` 1, ``bestRating`` 5; sai sự thật = 1, gây hiểu lầm
= 2, chưa kiểm chứng = 3, đúng = 5 (4 is not used). ``alternateName`` carries the Vietnamese verdict;
on import it is read first (through the label mapping of :mod:`kiemchung.claims.factchecks`), the
numeric rating only when no label is known. The organisation (author and publisher) comes from the
installation settings ``org_name`` / ``org_url`` unless the fact-check was imported from another one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kiemchung import timeutil
from kiemchung.claims import factchecks as fcs
from kiemchung.errors import ConfigError, NotFoundError
from kiemchung.links import http_url
from kiemchung.store import settings

RATING = {"false": 1, "misleading": 2, "unverified": 3, "true": 5}
_BY_RATING = {1: "false", 2: "misleading", 3: "unverified", 4: "true", 5: "true"}


def _org(db, fc: fcs.FactCheck) -> dict[str, Any]:
    if fc.publisher:
        org = {"@type": "Organization", "name": fc.publisher}
        if http_url(fc.meta.get("publisher_url")):
            org["url"] = fc.meta["publisher_url"].strip()
        return org
    org = {"@type": "Organization", "name": settings.value(db, "org_name")}
    if http_url(settings.value(db, "org_url")):
        org["url"] = settings.value(db, "org_url").strip()
    return org


def site_address(db, fallback: str | None = None) -> str:
    """The address links to this installation start with: setting ``site_url``, else ``fallback``
    (the web app passes the address it is being reached at), else http://localhost:8000."""
    return (http_url(settings.value(db, "site_url")) or http_url(fallback) or "http://localhost:8000").rstrip("/")


def to_claimreview(db, fc: fcs.FactCheck | int | str, *, site: str | None = None) -> dict[str, Any]:
    """The ClaimReview JSON-LD object of a published fact-check.

    ``site``: the address to link to when setting ``site_url`` is unset (see :func:`site_address`).
    """
    if not isinstance(fc, fcs.FactCheck):
        fc = fcs.get_factcheck(db, fc)
    if fc.status != "published":
        raise ConfigError(f"Chỉ xuất được bài kiểm chứng đã xuất bản (only published fact-checks): #{fc.id}")
    if fc.external:
        raise ConfigError(
            f"Bài kiểm chứng #{fc.id} là của {fc.publisher}, không phải của tổ chức này: không xuất ClaimReview "
            f"(an external fact-check is not this office's to publish)")
    # Every URL is checked again here: a non-http link stored before the check existed is left out.
    url = http_url(fc.url) or f"{site_address(db, site)}/factchecks/{fc.id}"
    claim: dict[str, Any] = {"@type": "Claim"}
    appearances = [u for u in map(http_url, fc.appearances) if u]
    if appearances:
        claim["appearance"] = [{"@type": "CreativeWork", "url": u} for u in appearances]
    if http_url(fc.first_appearance):
        claim["firstAppearance"] = {"@type": "CreativeWork", "url": http_url(fc.first_appearance)}
    if fc.claim_date:
        claim["datePublished"] = timeutil.local(fc.claim_date).isoformat()
    org = _org(db, fc)
    out = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": fc.claim,
        "reviewBody": fc.explanation,
        "datePublished": timeutil.local(fc.published_at).isoformat(),
        "inLanguage": "vi",
        "author": org,
        "publisher": org,
        "reviewRating": {
            "@type": "Rating", "ratingValue": RATING[fc.verdict], "bestRating": 5, "worstRating": 1,
            "alternateName": fc.verdict_label,
        },
        "itemReviewed": claim,
    }
    cites = [u for u in (http_url(e.get("url")) for e in fc.evidence) if u]
    if cites:
        out["citation"] = [{"@type": "CreativeWork", "url": u} for u in cites]
    return out


def export_claimreviews(db) -> list[dict[str, Any]]:
    """ClaimReview objects of every published fact-check of this office (external ones are not ours)."""
    return [to_claimreview(db, fc) for fc in fcs.list_factchecks(db, status="published", limit=10**9, external=False)]


@dataclass
class ImportResult:
    """What an import did: ids created, and one error line per refused item (with its index)."""

    created: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _items(data: Any) -> list[Any]:
    if isinstance(data, dict) and isinstance(data.get("@graph"), list):
        return data["@graph"]
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        return [data]
    raise ConfigError("Dữ liệu ClaimReview phải là đối tượng, danh sách hoặc @graph (expected object/list/@graph)")


def _urls(value: Any, name: str) -> list[str]:
    """URLs of a field holding a URL, a CreativeWork or a list of them; a wrong type is an error."""
    vals = value if isinstance(value, list) else [value] if value else []
    out = []
    for v in vals:
        u = v.get("url") if isinstance(v, dict) else v
        if u is None and isinstance(v, dict):
            continue  # a CreativeWork without a URL (e.g. only a name): nothing to cite
        if not isinstance(u, str):
            raise ConfigError(f"{name}: url phải là chuỗi (url must be a string, got {type(u).__name__})")
        if u.strip():
            out.append(_http_url(u, name))
    return out


def _http_url(value: str, name: str) -> str:
    if http_url(value) is None:
        raise ConfigError(f"{name}: đường dẫn phải là http(s) (URL must be http/https): {value.strip()[:200]!r}")
    return value.strip()


def _text(item: dict, key: str) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{key} phải là chuỗi ({key} must be a string, got {type(value).__name__})")
    return value


def _parse(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ConfigError("không phải đối tượng JSON (not an object)")
    if item.get("@type") not in ("ClaimReview", ["ClaimReview"]):
        raise ConfigError(f"@type phải là ClaimReview (got {item.get('@type')!r})")
    claim = item.get("claimReviewed")
    if not isinstance(claim, str) or not claim.strip():
        raise ConfigError("thiếu claimReviewed (missing claimReviewed)")
    rating = item.get("reviewRating")
    if rating is not None and not isinstance(rating, dict):
        raise ConfigError(f"reviewRating phải là đối tượng Rating (reviewRating must be an object, got "
                          f"{type(rating).__name__})")
    if not isinstance(rating, dict):
        raise ConfigError("thiếu reviewRating (missing reviewRating)")
    verdict = None
    label = rating.get("alternateName")
    if isinstance(label, str) and label.strip():
        try:
            verdict = fcs.parse_verdict(label)
        except ConfigError:
            verdict = None
    if verdict is None:
        try:
            value, best, worst = (float(rating.get(k, d)) for k, d in (("ratingValue", "x"), ("bestRating", 5), ("worstRating", 1)))
            verdict = _BY_RATING[round(1 + 4 * (value - worst) / (best - worst))]
        except (TypeError, ValueError, KeyError, ZeroDivisionError):
            raise ConfigError(f"kết luận không đọc được (unreadable reviewRating): {label!r}") from None
    published = _time(item.get("datePublished"))
    if published is None:
        raise ConfigError("thiếu hoặc sai datePublished (missing or invalid datePublished)")
    url = _text(item, "url").strip() or None
    if url is not None:
        url = _http_url(url, "url")
    claim_obj = item.get("itemReviewed")
    if claim_obj is None:
        claim_obj = {}
    if not isinstance(claim_obj, dict):
        raise ConfigError("itemReviewed phải là đối tượng Claim (itemReviewed must be an object)")
    claim_date = None
    if claim_obj.get("datePublished") is not None:
        claim_date = _time(claim_obj.get("datePublished"))
        if claim_date is None:
            raise ConfigError("sai itemReviewed.datePublished (invalid claim date)")
    org = item.get("author") if isinstance(item.get("author"), dict) else item.get("publisher")
    org = org if isinstance(org, dict) else {}
    name, org_url = org.get("name"), org.get("url")
    return dict(
        claim=claim.strip(), verdict=verdict, explanation=_text(item, "reviewBody"),
        evidence=_urls(item.get("citation"), "citation"), url=url,
        appearances=_urls(claim_obj.get("appearance"), "itemReviewed.appearance"),
        first_appearance=(_urls(claim_obj.get("firstAppearance"), "itemReviewed.firstAppearance") or [None])[0],
        claim_date=claim_date, original_label=label if isinstance(label, str) else None, published=published,
        publisher=name if isinstance(name, str) and name.strip() else None,
        publisher_url=http_url(org_url),  # not a reason to refuse the item: a bad one is dropped
    )


def parse_item(item: Any) -> dict[str, Any]:
    """One ClaimReview JSON-LD object as a review dict (claim, verdict, explanation, evidence, url,
    appearances, first_appearance, claim_date, original_label, published, publisher, publisher_url);
    :class:`ConfigError` naming the missing or wrong-typed field otherwise."""
    return _parse(item)


def _time(value: Any):
    """An aware datetime from an ISO string, or None when missing or unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return timeutil.parse_time(value)
    except (ValueError, TypeError, OverflowError):
        return None


def import_claimreviews(db, data: Any, *, editor: str, publish: bool = True, actor: Any = None) -> ImportResult:
    """Import ClaimReview JSON-LD (object, list or ``@graph``); bad items are reported by index.

    Items with evidence are published by ``editor`` (the person importing) unless ``publish`` is off;
    false/misleading items without a citation stay drafts (the evidence rule still holds). An item of
    another organisation (its author/publisher is not setting ``org_name``) is marked external: matched
    against, never exported or counted as this office's own.
    """
    result = ImportResult()
    local_org = settings.value(db, "org_name")
    for i, item in enumerate(_items(data)):
        try:
            p = _parse(item)
            publisher = p["publisher"] if p["publisher"] and p["publisher"] != local_org else None
            meta = {"publisher_url": p["publisher_url"]} if publisher and p["publisher_url"] else {}
            fc = fcs.create_factcheck(
                db, p["claim"], p["verdict"], p["explanation"], editor=editor, evidence=p["evidence"], url=p["url"],
                appearances=p["appearances"], first_appearance=p["first_appearance"], claim_date=p["claim_date"],
                publisher=publisher, original_label=p["original_label"], meta={**meta, "imported": True},
                actor=actor, external=publisher is not None,
            )
            if publish and (fc.evidence or fc.verdict not in fcs.NEEDS_EVIDENCE):
                fc = fcs.publish_factcheck(db, fc.id, editor, published_at=p["published"], actor=actor)
            result.created.append(fc.id)
        except (ConfigError, NotFoundError) as exc:
            result.errors.append(f"Mục {i}: {exc}")
    return result
