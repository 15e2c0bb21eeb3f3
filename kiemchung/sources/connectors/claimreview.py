"""``claimreview``: other fact-checkers' fact-checks, pulled on a schedule (kiemchung.claims.external).

The source's URL is one of
- a fact-check page (or a JSON document) carrying schema.org ``ClaimReview`` JSON-LD;
- an RSS/Atom feed of a fact-checker: each new item's page is read for its ClaimReview (at most
  :data:`MAX_PAGES` pages per poll; the cursor remembers the items read);
- the Google Fact Check Tools API, ``https://factchecktools.googleapis.com/v1alpha1/claims:search?…``
  with the query of the administrator's choice (``query=…``, ``reviewPublisherSiteFilter=…``,
  ``languageCode=vi``), read with the secret setting ``factcheck_api_key``.

What it brings are fact-checks, not documents: :meth:`ClaimReviewConnector.store` saves them as
external fact-checks (marked external, their publisher kept, used in matching). A review with missing
or wrong-typed fields is listed in the source's problems, the others are saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from kiemchung.claims import claimreview, external
from kiemchung.errors import ConfigError, ParseError, SourceError
from kiemchung.sources.connectors.base import Batch, Connector
from kiemchung.sources.connectors.registry import register

#: Fact-check pages read per poll from a feed, and API pages per poll.
MAX_PAGES = 30
MAX_API_PAGES = 5
_SEEN_KEPT = 500


@dataclass
class ReviewBatch(Batch):
    """A batch of reviews (dicts of :func:`kiemchung.claims.claimreview.parse_item`'s shape)."""

    reviews: list[dict] = field(default_factory=list)


def is_api(url: str) -> bool:
    """Whether ``url`` is a Fact Check Tools ``claims:search`` URL (or a stand-in of the same path)."""
    return urlsplit(url).path.rstrip("/").endswith("claims:search")


@register
class ClaimReviewConnector(Connector):
    """ClaimReview JSON-LD from pages and feeds of other fact-checkers, or the Fact Check Tools API."""

    kind = "claimreview"
    label_vi = "nguồn ClaimReview"
    label_en = "ClaimReview feed"
    help = ("trang, nguồn tin hoặc API claims:search của đơn vị kiểm chứng khác "
            "(other fact-checkers' ClaimReview pages, feeds, or the Fact Check Tools API)")

    def fetch(self, cursor):
        """The reviews new since the cursor (an API search or a feed) or on the page."""
        if is_api(self.source.url):
            return self._api()
        fetched = self.get(conditional=True)
        if fetched.not_modified:
            return ReviewBatch(not_modified=True, etag=self.source.etag, last_modified=self.source.last_modified,
                               cursor=cursor)
        headers = dict(fetched.headers or {})
        links = self._feed_links(fetched.content, fetched.url, headers)
        batch = ReviewBatch(etag=fetched.etag, last_modified=fetched.last_modified)
        if links is None:  # a page (or JSON) carrying ClaimReview itself
            self._read_page(batch, fetched.content, fetched.url, headers, raise_empty=True)
            return batch
        seen = list((cursor or {}).get("seen") or [])
        new = [u for u in links if u not in seen][:MAX_PAGES]
        failed: list[str] = []  # whole pages lost come first in the source's problems, items after
        for url in new:
            try:
                page = self.get(url)
                self._read_page(batch, page.content, page.url, dict(page.headers or {}), raise_empty=False,
                                failed=failed)
            except SourceError as exc:
                failed.append(f"{url}: {exc}")
        batch.problems = failed + batch.problems
        if len([u for u in links if u not in seen]) > MAX_PAGES:
            batch.problems.append(f"Còn bài chưa đọc, đọc tiếp ở lần sau (more than {MAX_PAGES} new pages; "
                                  "the next poll goes on)")
        batch.cursor = {"seen": (new + seen)[:_SEEN_KEPT]}
        return batch

    # -- the three shapes ----------------------------------------------------------------------------

    @staticmethod
    def _feed_links(content: bytes, url: str, headers: dict) -> list[str] | None:
        """The item links of an RSS/Atom feed (newest first), or None when ``content`` is not a feed."""
        from kiemchung.sources.feeds import parse_feed

        head = content[:2048].lstrip().lower()
        if not (head.startswith(b"<?xml") or head.startswith(b"<rss") or head.startswith(b"<feed")):
            return None
        try:
            docs = parse_feed(content, url=url, headers=headers)
        except ParseError:
            return None
        return [d.url for d in docs if d.url]

    def _read_page(self, batch: ReviewBatch, content: bytes, url: str, headers: dict, *, raise_empty: bool,
                   failed: list[str] | None = None) -> None:
        try:
            items, problems = external.claimreviews_in(content, url=url, headers=headers)
        except ParseError as exc:
            if raise_empty or failed is None:
                raise
            failed.append(str(exc))
            return
        batch.problems.extend(problems)
        for i, item in enumerate(items):
            try:
                review = claimreview.parse_item(item)
            except ConfigError as exc:
                batch.problems.append(f"{url} mục {i} (item {i}): {exc}")
                continue
            review["url"] = review["url"] or url  # a page's own ClaimReview often leaves its URL out
            batch.reviews.append(review)

    def _api(self) -> ReviewBatch:
        key = self.setting("factcheck_api_key")
        if not key:
            raise SourceError(
                "Chưa đặt khóa Fact Check Tools API: quản trị viên đặt bằng `kiemchung settings set factcheck_api_key …` "
                "(API key not set) (no_api_key)", soft=False, reason="no_api_key")
        parts = urlsplit(self.source.url)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("key", "pageToken")]
        if not any(k == "pageSize" for k, _ in query):
            query.append(("pageSize", "100"))
        batch = ReviewBatch()
        token = None
        for _ in range(MAX_API_PAGES):
            page_query = query + [("key", key)] + ([("pageToken", token)] if token else [])
            url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(page_query), ""))
            try:
                fetched = self.get(url)
                reviews, problems, token = external.parse_claims_search(fetched.content)
            except SourceError as exc:  # the key travels in the URL: never in a message
                raise type(exc)(str(exc).replace(key, "***"), soft=exc.soft, reason=exc.reason) from None
            batch.reviews.extend(reviews)
            batch.problems.extend(problems)
            if not token:
                break
        return batch

    # -- what the collector stores ------------------------------------------------------------------

    def store(self, db, batch: Batch) -> list[str]:
        """Save the batch's reviews as external fact-checks; the problems met (one line per review)."""
        problems: list[str] = []
        counts = {"created": 0, "updated": 0, "unchanged": 0, "duplicate": 0}
        for review in getattr(batch, "reviews", []):
            try:
                outcome, _ = external.save_external(db, review, source_id=self.source.id,
                                                    source_name=self.source.name)
            except ConfigError as exc:
                problems.append(f"{review.get('url') or review.get('claim', '')[:80]}: {exc}")
                continue
            counts[outcome] += 1
        batch.stats = counts  # type: ignore[attr-defined]
        return problems
