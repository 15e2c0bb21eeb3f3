"""The ingest path: normalize → identify → dedupe → store → index, in batches.

Every source (feeds, pages, imports, the sample) hands :class:`~kiemchung.models.Document` objects to
:class:`Ingestor`. A batch is one transaction, so an interrupted run loses at most the batch in flight,
and a rerun skips what is already stored (documents are identified by :func:`kiemchung.dedupe.doc_key`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, update

from kiemchung import text, timeutil
from kiemchung.dedupe import (
    DedupeSettings,
    NearDuplicateIndex,
    canonical_url,
    content_tokens,
    doc_key,
    hash_of_tokens,
)
from kiemchung.links import http_url
from kiemchung.models import DOC_KINDS, Document, Source
from kiemchung.privacy import hash_handle, normalize_handle, scrub_document
from kiemchung.store import Database
from kiemchung.store import schema as t

log = logging.getLogger(__name__)


#: ``Document.meta`` key of an author handle already hashed with this installation's salt (by the
#: command that queued the document for a worker): stored as the author hash, never hashed again.
PREHASHED_AUTHOR = "_author_hash"


@dataclass
class IngestStats:
    """What one ingest call did."""

    seen: int = 0
    added: int = 0
    existing: int = 0
    exact_duplicates: int = 0
    near_duplicates: int = 0
    # (8 bytes an id, not a list's 36: an import's report holds the ids of every document it stored)
    added_ids: array = field(default_factory=lambda: array("q"))

    def merge(self, other: IngestStats) -> None:
        """Add another call's counts to this one."""
        self.seen += other.seen
        self.added += other.added
        self.existing += other.existing
        self.exact_duplicates += other.exact_duplicates
        self.near_duplicates += other.near_duplicates
        self.added_ids.extend(other.added_ids)


@dataclass
class _Prepared:
    doc: Document
    key: str
    chash: str
    tokens: list[str]
    title: str
    lead: str
    body: str
    url: str | None
    fold_title: str
    fold_body: str
    acc_title: str
    acc_body: str
    author: str | None


def index_fields(kind: str, title: str, lead: str, body: str) -> tuple[str, str, str, str]:
    """The full-text fields of a stored document: (title, text) as written, then both folded.

    ``title``, ``lead`` and ``body`` are the normalised values the documents table holds; posts have
    their teencode expanded. The ingest path and ``migrate-db`` (which rebuilds the index on another
    database) both index through this function.
    """
    joined = " ".join(p for p in (lead, body) if p)
    is_post = kind == "post"
    idx_title = text.expand_teencode(title) if is_post else title
    idx_body = text.expand_teencode(joined) if is_post else joined
    return idx_title, idx_body, text.fold(idx_title), text.fold(idx_body)


def _shingle_tokens(kind: str, fold_title: str, fold_body: str, folded: list[str]) -> list[str]:
    """The tokens whose shingles make a document's MinHash signature: those of its folded index text.

    ``folded`` (the content hash's tokens of the same title, lead and body, already at hand) are the
    same tokens when the folded text is ASCII and not a post's (a post's index text has its teencode
    expanded): the index text is the title, lead and body joined by white space, folding keeps every
    token boundary, normalising ASCII text only collapses its white space, and a token never spans white
    space. Any other text is tokenised again, as before (``tests/test_ingest.py`` compares both ways).
    """
    if kind != "post" and fold_title.isascii() and fold_body.isascii():
        return folded
    return text.syllables(fold_title + " " + fold_body, strip=False)


def _raw_bytes(raw: bytes | str | dict | None) -> bytes | None:
    if raw is None:
        return None
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogatepass")
    return json.dumps(raw, ensure_ascii=False, default=str).encode()


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _fts_rowids(db: Database, conn, fresh: list[_Prepared], next_id: int, now) -> list[int]:
    """Time-ordered FTS row ids for a batch, bumped past any already taken (rare: same second and id bits)."""
    wanted = [
        t.fts_rowid(timeutil.aware(p.doc.published_at) or timeutil.aware(p.doc.fetched_at) or now, next_id + i)
        for i, p in enumerate(fresh)
    ]
    taken = db.backend.fts_taken(conn, wanted)
    out: list[int] = []
    for rowid in wanted:
        while rowid in taken:
            rowid += 1
            taken |= db.backend.fts_taken(conn, [rowid])
        taken.add(rowid)
        out.append(rowid)
    return out


class Ingestor:
    """Stores documents with dedupe and full-text indexing. One per process; reuse it across batches."""

    def __init__(
        self,
        db: Database,
        *,
        dedupe: DedupeSettings | None = None,
        batch_size: int = 500,
        on_added: Callable[[list[Document]], None] | None = None,
    ) -> None:
        self.db = db
        self.batch_size = batch_size
        self.index = NearDuplicateIndex(dedupe or DedupeSettings(), loader=self._stored_between)
        self._index_loaded_upto = 0
        self.on_added = on_added
        self._hash_authors = True
        self._salt = ""
        self._refresh_privacy()
        self._outlets: dict[str, int] = {}

    def _refresh_privacy(self) -> None:
        """Read ``hash_authors`` from the database itself (not a cache): an admin may turn it on while
        this process keeps ingesting (``watch``), and from then on nothing may be stored in clear."""
        from kiemchung.store import settings

        self._hash_authors = settings.current(self.db, "hash_authors") != "0"
        if self._hash_authors and not self._salt:
            self._salt = self.db.installation_salt()

    def _hash_handle(self, handle: str) -> str:
        return hash_handle(handle, self._salt)

    def author_hasher(self) -> Callable[[str], str] | None:
        """The function that hashes an author handle as this store does, or None while the installation
        keeps authors in clear (setting ``hash_authors`` = 0), read afresh."""
        self._refresh_privacy()
        return self._hash_handle if self._hash_authors else None

    # -- index of what is stored ---------------------------------------------------------------

    def refresh_index(self, conn: Any = None) -> None:
        """Load hashes and MinHash signatures stored since the last refresh (other processes may write).

        With ``conn`` (the open write transaction of a batch, holding the ingest lock) the index is
        brought up to date with everything committed by other processes and hosts before the batch is
        matched against it: near-copies stored by another worker a moment ago are found. Only documents inside the index's window (``DedupeSettings.window_days``, by publication time:
        ``published_at``, else ``fetched_at``, before the newest stored) are loaded, and at most the
        newest ``max_entries`` of them; older ones are read a day at a time when a document of their
        time arrives (:meth:`_stored_between`).
        """
        d = t.documents
        settings = self.index.settings
        with self.db.read() if conn is None else contextlib.nullcontext(conn) as c:
            top = c.execute(select(func.max(d.c.id))).scalar() or 0
            in_window = []
            if self._index_loaded_upto == 0 and settings.window_days is not None:
                start = self._window_start(c)
                if start is not None:
                    in_window = [or_(d.c.published_at >= start, and_(d.c.published_at.is_(None), d.c.fetched_at >= start))]
            if settings.max_entries is not None and self._index_loaded_upto == 0:
                # First load: skip what the cap would evict at once (the newest ``max_entries`` stay).
                skip_to = c.execute(
                    select(d.c.id).where(*in_window).order_by(d.c.id.desc()).offset(settings.max_entries).limit(1)
                ).scalar()
                if skip_to is not None:
                    self._index_loaded_upto = skip_to
        if top <= self._index_loaded_upto:
            return
        while True:
            with self.db.read() if conn is None else contextlib.nullcontext(conn) as c:
                rows = c.execute(
                    select(d.c.id, d.c.content_hash, d.c.minhash, d.c.dup_group, d.c.published_at, d.c.fetched_at)
                    .where(d.c.id > self._index_loaded_upto, d.c.id <= top, *in_window)
                    .order_by(d.c.id)
                    .limit(20000)
                ).all()
            if not rows:
                break
            for row in rows:
                group = row.dup_group if row.dup_group not in (None, row.id) else None
                self.index.add(
                    row.id, row.content_hash, NearDuplicateIndex.from_bytes(row.minhash), group,
                    timeutil.aware(row.published_at or row.fetched_at),
                )
            self._index_loaded_upto = rows[-1].id
        self._index_loaded_upto = max(self._index_loaded_upto, top)

    def evict_old(self) -> int:
        """Forget documents published before the dedupe window; returns how many were forgotten (they
        are read back from the store a day at a time when a document of their time arrives)."""
        return self.index.evict_window()

    def _window_start(self, conn: Any) -> dt.datetime | None:
        """The oldest publication time the index loads: the window before the newest stored document
        (a date in the future counts as tomorrow), or None when nothing is stored."""
        d = t.documents
        limit = timeutil.now() + dt.timedelta(days=1)
        newest = [
            conn.execute(select(func.max(d.c.published_at)).where(d.c.published_at <= limit)).scalar(),
            conn.execute(
                select(d.c.fetched_at).where(d.c.published_at.is_(None)).order_by(d.c.fetched_at.desc()).limit(1)
            ).scalar(),
        ]
        newest = [timeutil.aware(x) for x in newest if x is not None]
        if not newest:
            return None
        return min(max(newest), limit) - dt.timedelta(days=self.index.settings.window_days)

    def _stored_between(self, start: float, end: float) -> list[tuple[int, str, Any, int | None]]:
        """Stored documents published in ``[start, end)`` (POSIX seconds; ``fetched_at`` when there is no
        ``published_at``) with their hash, signature and group: an archive day of the near-duplicate index."""
        d = t.documents
        a = dt.datetime.fromtimestamp(start, timeutil.UTC)
        b = dt.datetime.fromtimestamp(end, timeutil.UTC)
        with self.db.read() as c:
            rows = c.execute(
                select(d.c.id, d.c.content_hash, d.c.minhash, d.c.dup_group)
                .where(or_(and_(d.c.published_at >= a, d.c.published_at < b),
                           and_(d.c.published_at.is_(None), d.c.fetched_at >= a, d.c.fetched_at < b)))
                .order_by(d.c.id)
            ).all()
        return [
            (r.id, r.content_hash, NearDuplicateIndex.from_bytes(r.minhash),
             r.dup_group if r.dup_group not in (None, r.id) else None)
            for r in rows
        ]

    # -- the path ------------------------------------------------------------------------------

    def _prepare(self, doc: Document) -> _Prepared:
        if self._hash_authors:
            # Nothing that names an author reaches the store in clear: raw payload and meta included.
            scrub_document(doc, self._hash_handle)
        title = text.normalize(doc.title)
        lead = text.normalize(doc.lead)
        body = text.normalize(doc.body, keep_newlines=True)
        if lead and body.startswith(lead):
            # Feeds often repeat the summary as the first paragraph of the content.
            body = body[len(lead):].strip()
        if doc.kind not in DOC_KINDS:
            doc.kind = "article"
        # Only http(s) links are kept (a feed's javascript: or data: link is dropped, the item kept).
        url = canonical_url(http_url(doc.url))
        idx_title, idx_body, fold_title, fold_body = index_fields(doc.kind, title, lead, body)
        folded = content_tokens(title, lead, body, normalized=True)
        chash = hash_of_tokens(folded)
        tokens = _shingle_tokens(doc.kind, fold_title, fold_body, folded)
        source = doc.source_name or (str(doc.source_id) if doc.source_id is not None else doc.platform)
        key = doc_key(url=url, source=source, external_id=doc.external_id, chash=chash)
        prehashed = doc.meta.pop(PREHASHED_AUTHOR, None) if doc.meta else None
        if doc.author:
            author = hash_handle(doc.author, self._salt) if self._hash_authors else normalize_handle(doc.author)[:64]
        elif isinstance(prehashed, str):  # hashed by the sender (a queued import chunk): never in clear
            author = prehashed[:64]
        else:
            author = None
        return _Prepared(
            doc, key, chash, tokens, title, lead, body, url, fold_title, fold_body, idx_title, idx_body, author
        )

    def _outlet(self, name: str) -> int:
        """The id of the outlet source named ``name`` (a publisher known only by name), made on first use."""
        if name not in self._outlets:
            src = self.db.add_source(Source(kind="outlet", url=f"outlet:{name[:300]}", name=name[:300], enabled=False))
            self._outlets[name] = src.id
        return self._outlets[name]

    def add(self, docs: Iterable[Document], *, progress: Callable[[int], None] | None = None) -> IngestStats:
        """Store ``docs`` (any iterable, streamed in batches); returns what was added and skipped."""
        total = IngestStats()
        self._refresh_privacy()
        self.refresh_index()
        for batch in _batched(docs, self.batch_size):
            self.evict_old()
            total.merge(self._add_batch(batch))
            if progress:
                progress(len(batch))
        self.evict_old()
        return total

    def _add_batch(self, batch: list[Document]) -> IngestStats:
        stats = IngestStats(seen=len(batch))
        prepared: list[_Prepared] = []
        keys_in_batch: set[str] = set()
        for doc in batch:
            p = self._prepare(doc)
            if p.key in keys_in_batch:
                stats.existing += 1
                continue
            keys_in_batch.add(p.key)
            prepared.append(p)
        if not prepared:
            return stats
        for p in prepared:
            if p.doc.source_id is None and p.doc.source_name and p.doc.source_name.strip():
                p.doc.source_id = self._outlet(p.doc.source_name.strip())
        d = t.documents
        now = timeutil.now()
        # MinHash signatures of what is not stored yet, computed before the store-wide ingest lock is
        # taken: workers prepare their batches in parallel and hold the lock only to compare and insert.
        with self.db.read() as conn:
            known = set(conn.execute(select(d.c.doc_key).where(d.c.doc_key.in_([p.key for p in prepared]))).scalars())
        unsigned = [p for p in prepared if p.key not in known]
        sigs = dict(zip([p.key for p in unsigned], self.index.signatures([p.tokens for p in unsigned]), strict=True))
        with self.db.write() as conn:
            # Writers take turns (one lock on every backend and host), and each first reads what the
            # others stored: the near-duplicate index is the store's, not this process's.
            self.db.serialize(conn, "ingest")
            self.refresh_index(conn)
            existing = set(
                conn.execute(select(d.c.doc_key).where(d.c.doc_key.in_([p.key for p in prepared]))).scalars()
            )
            fresh = [p for p in prepared if p.key not in existing and not _same_linkless_item(conn, p)]
            stats.existing += len(prepared) - len(fresh)
            # Counts move (a video's views, a message's views): an item seen again brings its newer ones.
            for p in prepared:
                if p.key in existing and p.doc.engagement:
                    conn.execute(update(d).where(d.c.doc_key == p.key).values(engagement=dict(p.doc.engagement)))
            if not fresh:
                return stats
            next_id = (conn.execute(select(func.max(d.c.id))).scalar() or 0) + 1
            if next_id <= self._index_loaded_upto:
                raise RuntimeError("document ids went backwards; the index is out of step")
            rows: list[dict[str, Any]] = []
            fts_rows: list[dict[str, Any]] = []
            group_firsts: set[int] = set()
            fts_ids = _fts_rowids(self.db, conn, fresh, next_id, now)
            # Exact copies of documents the index no longer holds (older than its window) are found here.
            older = _stored_groups(conn, {p.chash for p in fresh if not self.index.knows_hash(p.chash)})
            for offset, p in enumerate(fresh):
                doc_id = next_id + offset
                sig = sigs[p.key] if p.key in sigs else self.index.signature(p.tokens)
                doc = p.doc
                published = timeutil.aware(doc.published_at)
                fetched = timeutil.aware(doc.fetched_at) or now
                if p.chash in older and not self.index.knows_hash(p.chash):
                    found: tuple[int, float] | None = (older[p.chash], 1.0)
                else:
                    found = self.index.find(p.chash, sig, published or fetched)
                group, score = (found if found else (None, None))
                if group is not None:
                    group_firsts.add(group)
                    if score == 1.0:
                        stats.exact_duplicates += 1
                    else:
                        stats.near_duplicates += 1
                rowid = fts_ids[offset]
                lang = doc.language or text.detect_language(f"{p.title} {p.lead} {p.body[:500]}")
                rows.append(
                    {
                        "id": doc_id,
                        "doc_key": p.key,
                        "url": p.url,
                        "source_id": doc.source_id,
                        "kind": doc.kind,
                        "platform": doc.platform,
                        "external_id": doc.external_id,
                        "title": p.title,
                        "lead": p.lead,
                        "body": p.body,
                        "author_hash": p.author,
                        "published_at": published,
                        "fetched_at": fetched,
                        "fts_rowid": rowid,
                        "language": lang,
                        "content_hash": p.chash,
                        "dup_group": group,
                        "dup_score": score,
                        "minhash": NearDuplicateIndex.to_bytes(sig),
                        "engagement": doc.engagement or None,
                        "meta": doc.meta or None,
                        "raw": zlib.compress(raw, 6) if (raw := _raw_bytes(doc.raw)) else None,
                    }
                )
                fts_rows.append(
                    {
                        "rowid": rowid,
                        "title_acc": p.acc_title,
                        "body_acc": p.acc_body,
                        "title_fold": p.fold_title,
                        "body_fold": p.fold_body,
                    }
                )
                # Visible to the rest of this batch at once, so duplicates inside a batch are found too.
                self.index.add(doc_id, p.chash, sig, group, published or fetched)
            try:
                conn.execute(insert(d), rows)
                self.db.advance_sequence(conn, "documents")  # ids are chosen here; keep PostgreSQL's in step
                self.db.backend.fts_insert(conn, fts_rows)
                if group_firsts:
                    conn.execute(
                        update(d)
                        .where(d.c.id == bindparam("gid"))
                        .where(d.c.dup_group.is_(None))
                        .values(dup_group=bindparam("gid"), dup_score=1.0),
                        [{"gid": g} for g in group_firsts],
                    )
                per_source: dict[int, int] = {}
                for r in rows:
                    if r["source_id"] is not None:
                        per_source[r["source_id"]] = per_source.get(r["source_id"], 0) + 1
                for sid, n in per_source.items():
                    conn.execute(
                        update(t.sources)
                        .where(t.sources.c.id == sid)
                        .values(documents_added=t.sources.c.documents_added + n)
                    )
            except BaseException:
                # The transaction rolls back; forget what this batch put in the in-memory index.
                self.index = NearDuplicateIndex(self.index.settings, loader=self._stored_between)
                self._index_loaded_upto = 0
                raise
        self._index_loaded_upto = max(self._index_loaded_upto, next_id + len(fresh) - 1)
        stats.added = len(fresh)
        stats.added_ids = array("q", [r["id"] for r in rows])
        for r, p in zip(rows, fresh, strict=True):  # callers tie images etc. to the stored documents
            p.doc.id = r["id"]
        if self.on_added:
            self.on_added([p.doc for p in fresh])
        return stats


def _stored_groups(conn: Any, hashes: set[str]) -> dict[str, int]:
    """The group each content hash belongs to among stored documents (indexed on ``content_hash``).

    The group is the first such document's ``dup_group``, or the document itself when it has none, which
    is what :meth:`NearDuplicateIndex.find` answers for a document it holds.
    """
    d = t.documents
    out: dict[str, int] = {}
    wanted = sorted(hashes)
    for i in range(0, len(wanted), 500):
        rows = conn.execute(
            select(d.c.content_hash, d.c.id, d.c.dup_group)
            .where(d.c.content_hash.in_(wanted[i : i + 500]))
            .order_by(d.c.id)
        )
        for row in rows:
            out.setdefault(row.content_hash, row.dup_group if row.dup_group is not None else row.id)
    return out


def _same_linkless_item(conn: Any, p: _Prepared) -> bool:
    """True when a link-less feed/web item is already stored under another id.

    Some feeds give their items new ids on every poll; without a link, the key changes each time. The
    same source, same content and same publication time is then the same item. Posts (imports) are
    excluded: two people can post the same words at the same minute.
    """
    doc = p.doc
    if p.url or doc.source_id is None or doc.kind == "post":
        return False
    d = t.documents
    published = timeutil.aware(doc.published_at)
    query = select(d.c.id).where(
        d.c.content_hash == p.chash,
        d.c.source_id == doc.source_id,
        d.c.url.is_(None),
        d.c.published_at.is_(None) if published is None else d.c.published_at == published,
    )
    return conn.execute(query.limit(1)).first() is not None
