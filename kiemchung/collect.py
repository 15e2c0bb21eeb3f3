"""Collection: poll feeds, fetch pages and read import files into the store.

This is where sources meet the store. Each function takes a :class:`~kiemchung.store.Database` and
an :class:`~kiemchung.ingest.Ingestor`; nothing here knows about the terminal or HTTP servers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert, select, update

from kiemchung import timeutil
from kiemchung.errors import ImportFileError, SourceError
from kiemchung.ingest import IngestStats, Ingestor
from kiemchung.models import Document, Source
from kiemchung.store import Database
from kiemchung.store import schema as t

log = logging.getLogger(__name__)

# Failing sources are polled less often: interval x 2^failures, at most this long.
MAX_BACKOFF_S = 6 * 3600


def polled(source: Source) -> bool:
    """Whether ``fetch``/``watch`` poll this source: an enabled source of a registered connector kind
    (kiemchung.sources.connectors) that the connector polls (``web`` leaves out the site entries
    :meth:`Collector.add_url` makes to label pages fetched by hand)."""
    from kiemchung.sources.connectors import kinds
    from kiemchung.sources.connectors.registry import connector_class

    if not source.enabled or source.kind not in kinds():
        return False
    return connector_class(source.kind).polls(source)


def is_due(source: Source, now: dt.datetime) -> bool:
    """Whether a polled source's next poll time has come at ``now`` (failing ones back off)."""
    last = source.meta.get("last_fetch_at")
    interval = source.poll_interval_s
    if source.consecutive_failures:
        interval = min(interval * 2 ** min(source.consecutive_failures, 10), MAX_BACKOFF_S)
    return last is None or (now - last).total_seconds() >= interval


@dataclass
class PollResult:
    """What one poll of one source did."""

    source: Source
    fetched: int = 0
    stats: IngestStats = field(default_factory=IngestStats)
    not_modified: bool = False
    error: SourceError | None = None
    elapsed_s: float = 0.0
    #: What the connector found out of shape while collecting the rest.
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the poll succeeded (including 304 Not Modified)."""
        return self.error is None


class Collector:
    """Polls sources and stores what they carry. Safe to use from several threads."""

    def __init__(
        self,
        db: Database,
        ingestor: Ingestor | None = None,
        *,
        fetcher=None,
        full_text_min_chars: int | None = None,
        workers: int = 4,
        clock: Callable[[], dt.datetime] = timeutil.now,
    ) -> None:
        from kiemchung.sources.http import Fetcher

        self.db = db
        self.ingestor = ingestor or Ingestor(db)
        # The installation's address policy (settings fetch_allow_private, fetch_allow_hosts).
        self.fetcher = fetcher or Fetcher.for_db(db)
        # Feed items whose summary is shorter than this get their page fetched (None: never).
        self.full_text_min_chars = full_text_min_chars
        self.workers = workers
        # What "now" is for scheduling: when a source was polled and when it is due again. Tests give a
        # fake clock to check the scheduler's decisions without measuring elapsed time.
        self.clock = clock
        self._ingest_lock = threading.Lock()

    def store(self, docs: Iterable[Document]) -> IngestStats:
        """Store documents through this collector's ingestor (one thread at a time), then keep the
        images of the new ones (feed enclosures; fetched through the guarded client, capped)."""
        docs = list(docs)
        with self._ingest_lock:
            stats = self.ingestor.add(docs)
        added = set(stats.added_ids)
        fresh = [d for d in docs if d.id in added]
        _, problems = _attach_images(self.db, fresh)
        for _, message in problems:
            log.warning("%s", message)
        return stats

    # -- feeds ---------------------------------------------------------------------------------

    def poll(self, source: Source) -> PollResult:
        """Fetch one source through its kind's connector, store what is new, record the source's health.

        The connector (kiemchung.sources.connectors) fetches the items new since the source's stored
        cursor, through this collector's polite fetcher; its new cursor, conditional-GET validators
        and any shape problems (rest collected) are stored with the source.
        """
        from kiemchung.sources.connectors import connector_class

        result = PollResult(source)
        start = time.monotonic()
        try:
            connector = connector_class(source.kind)(source, self.fetcher, clock=self.clock, db=self.db)
            batch = connector.fetch(source.cursor)
            if not batch.not_modified:
                batch.problems = [*batch.problems, *connector.store(self.db, batch)]
            problem = _problem_text(batch.problems)
            if batch.not_modified:
                result.not_modified = True
                self.db.record_fetch_success(
                    source.id, etag=batch.etag, last_modified=batch.last_modified, added=0, now=self.clock(),
                    cursor=batch.cursor, problem=problem,
                )
                return result
            docs = batch.documents
            now = timeutil.now()
            doc_kind = source.meta.get("doc_kind")
            for doc in docs:
                doc.source_id = source.id
                doc.source_name = source.name
                doc.fetched_at = now
                if doc_kind:
                    doc.kind = doc_kind
            if self.full_text_min_chars is not None and connector.full_text:
                docs = [self._maybe_full_text(doc) for doc in docs]
            result.fetched = len(docs)
            result.problems = list(batch.problems)
            result.stats = self.store(docs)
            self.db.record_fetch_success(
                source.id, etag=batch.etag, last_modified=batch.last_modified, added=0, now=self.clock(),
                cursor=batch.cursor, problem=problem,
            )
        except SourceError as exc:
            result.error = exc
            self.db.record_fetch_failure(source.id, message=str(exc), reason=exc.reason, soft=exc.soft,
                                         now=self.clock())
            log.warning("source %s failed: %s", source.url, exc)
        except Exception as exc:  # a bug must not silently stop a source: record it with a reason
            log.exception("source %s: unexpected error", source.url)
            result.error = SourceError(
                f"Lỗi không mong đợi khi xử lý nguồn (unexpected error): {type(exc).__name__}: {exc}",
                soft=True,
                reason="internal_error",
            )
            self.db.record_fetch_failure(source.id, message=str(result.error), reason="internal_error", soft=True,
                                         now=self.clock())
        finally:
            result.elapsed_s = time.monotonic() - start
        return result

    def _maybe_full_text(self, doc: Document) -> Document:
        from kiemchung.sources.web import extract_page, should_fetch_full_text

        if not doc.url or not should_fetch_full_text(doc, self.full_text_min_chars or 0):
            return doc
        try:
            fetched = self.fetcher.get(doc.url)
            page = extract_page(fetched.content, url=fetched.url, headers=dict(fetched.headers or {}))
        except SourceError as exc:
            doc.meta["full_text_error"] = str(exc)
            return doc
        if len(page.body) > len(doc.body):
            doc.body = page.body
            doc.meta["full_text"] = True
        return doc

    def polled_sources(self) -> list[Source]:
        """Every source ``fetch`` polls: enabled sources of every connector kind (see :func:`polled`)."""
        return [src for src in self.db.list_sources(enabled_only=True) if polled(src)]

    def due(self, now: dt.datetime | None = None) -> list[Source]:
        """Polled sources (every connector kind) whose next poll time has come (failing ones back off)."""
        now = now or self.clock()
        return [src for src in self.polled_sources() if is_due(src, now)]

    def poll_many(self, sources: list[Source], on_result: Callable[[PollResult], None] | None = None) -> list[PollResult]:
        """Poll several sources at once; a slow or broken source never holds up the others."""
        results: list[PollResult] = []
        if not sources:
            return results
        with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(sources)))) as pool:
            for res in pool.map(self.poll, sources):
                results.append(res)
                if on_result:
                    on_result(res)
        return results

    def watch(
        self,
        *,
        tick_s: float = 5.0,
        stop: threading.Event | None = None,
        max_cycles: int | None = None,
        on_result: Callable[[PollResult], None] | None = None,
        on_submit: Callable[[Source, dt.datetime], None] | None = None,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        """Poll due sources until ``stop`` is set (or ``max_cycles`` ticks have run).

        Every ``tick_s`` the sources that are due (by :attr:`clock`) and not already being polled are
        handed to the worker pool, so a source that hangs never delays another's turn; a failing
        source backs off (see :meth:`due`). ``on_submit(source, now)`` is told of each decision to
        poll; ``sleep(seconds)`` waits between ticks (default: ``stop.wait``; tests pass one that moves
        a fake clock).
        """
        stop = stop or threading.Event()
        sleep = sleep or stop.wait
        cycles = 0
        pending: dict[int, bool] = {}
        pending_lock = threading.Lock()
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            while not stop.is_set():
                # The sources being polled, taken *before* due() reads the store: a poll records its
                # result before it leaves ``pending``, so a source not in this snapshot is read with its
                # latest result (a poll ending between the read and the check would otherwise be
                # judged on its previous state and started again, ignoring its back-off).
                with pending_lock:
                    busy = set(pending)
                for src in self.due():
                    if src.id in busy:
                        continue
                    if on_submit:
                        on_submit(src, self.clock())
                    with pending_lock:  # before submit: a poll that ends at once must not stay "pending"
                        pending[src.id] = True

                    def _done(f, sid=src.id):
                        with pending_lock:
                            pending.pop(sid, None)
                        if on_result and not f.cancelled() and f.exception() is None:
                            on_result(f.result())

                    pool.submit(self.poll, src).add_done_callback(_done)
                cycles += 1
                if max_cycles is not None and cycles >= max_cycles:
                    break
                sleep(tick_s)

    # -- single pages ------------------------------------------------------------------------------

    def add_url(self, url: str, *, kind: str = "article") -> tuple[Document, IngestStats]:
        """Fetch one web page by hand, extract its article and store it."""
        from kiemchung.sources.web import extract_page

        fetched = self.fetcher.get(url)
        doc = extract_page(fetched.content, url=fetched.url, headers=dict(fetched.headers or {}))
        doc.kind = kind
        doc.fetched_at = timeutil.now()
        # The site is recorded as a source to name the page's origin; it is not polled (meta.manual).
        source = self.db.add_source(
            Source(kind="web", url=_site(fetched.url), name=_site(fetched.url), meta={"manual": True})
        )
        doc.source_id = source.id
        doc.source_name = source.name
        stats = self.store([doc])
        return doc, stats


def _problem_text(problems: list[str], shown: int = 5) -> str | None:
    """The problems of one poll as the one line ``sources health`` shows (the first few, and how many)."""
    if not problems:
        return None
    text = "; ".join(problems[:shown])
    if len(problems) > shown:
        text += f"; … (+{len(problems) - shown})"
    return text


def _site(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


# ---------------------------------------------------------------------------------------------
# Import files


@dataclass
class ImportReport:
    """What an import did: counts, and each bad row with its line number."""

    path: str
    rows: int = 0
    stats: IngestStats = field(default_factory=IngestStats)
    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    resumed_from_line: int = 0
    images: int = 0  # images kept from the file's image column (broken ones are in warnings)


def file_key(path: Path) -> str:
    """Identity of an import file: its resolved path and the hash of its first 64 KiB."""
    with open(path, "rb") as fh:
        head = fh.read(65536)
    return hashlib.sha256(str(path.resolve()).encode() + b"\0" + head).hexdigest()[:40]


def import_file(
    db: Database,
    ingestor: Ingestor,
    path: str | Path,
    *,
    mapping=None,
    fmt: str | None = None,
    platform: str | None = None,
    kind: str = "post",
    batch_rows: int = 500,
    progress: Callable[[int], None] | None = None,
    resume: bool = True,
    name: str | None = None,
) -> ImportReport:
    """Import a JSONL/CSV/Excel export; bad rows are reported by line and the good ones stored.

    Progress is checkpointed after every stored batch: an interrupted import, run again, skips the
    lines already stored (and anything stored twice is recognised by its identity anyway).
    """
    from kiemchung.sources.imports import iter_import

    path = Path(path)
    if not path.exists():
        raise ImportFileError(f"Không tìm thấy tệp (file not found): {path}")
    key = file_key(path)
    report = ImportReport(str(path))
    source = db.add_source(Source(kind="import", url=f"file://{path.resolve()}", name=name or path.name))
    start_line = 0
    if resume:
        with db.read() as conn:
            row = conn.execute(
                select(t.import_checkpoints).where(t.import_checkpoints.c.file_key == key)
            ).first()
        if row is not None:
            start_line = row.line
    report.resumed_from_line = start_line

    def flush(batch: list[Document], last_line: int) -> None:
        if batch:
            report.stats.merge(ingestor.add(batch))
            n, problems = _attach_images(db, batch, base_dir=path.parent)
            report.images += n
            report.warnings.extend((line or 0, message) for line, message in problems)
        _checkpoint(db, key, path, last_line, report)

    batch: list[Document] = []
    last_line = start_line
    rows = iter_import(path, mapping=mapping, fmt=fmt, platform=platform, kind=kind, start_after_line=start_line)
    for row in rows:
        report.rows += 1
        report.warnings.extend((row.line, w) for w in row.warnings)
        last_line = row.line
        if row.error is not None:
            report.errors.append((row.line, row.error))
        else:
            doc = row.document
            doc.source_id = source.id
            doc.source_name = doc.source_name or source.name
            batch.append(doc)
        if len(batch) >= batch_rows:
            flush(batch, last_line)
            if progress:
                progress(len(batch))
            batch = []
    flush(batch, last_line)
    if progress and batch:
        progress(len(batch))
    with db.write() as conn:
        conn.execute(
            update(t.import_checkpoints).where(t.import_checkpoints.c.file_key == key).values(finished=True)
        )
    return report


def _attach_images(db: Database, docs: list[Document], *, base_dir: Path | None = None) -> tuple[int, list]:
    """Keep the images of newly stored documents (kiemchung.images.ingest); without the images extra
    (Pillow, imagehash) they are reported as skipped."""
    if not any((d.meta or {}).get("image_refs") and d.id is not None for d in docs):
        return 0, []
    try:
        from kiemchung.images.ingest import attach_images

        import PIL  # noqa: F401
        import imagehash  # noqa: F401
    except ImportError:
        return 0, [((d.meta or {}).get("line"), "ảnh bị bỏ qua: chưa cài phần images (images skipped: pip install "
                    "'kiemchung[images]')") for d in docs if (d.meta or {}).get("image_refs") and d.id is not None]
    return attach_images(db, docs, base_dir=base_dir)


def _checkpoint(db: Database, key: str, path: Path, line: int, report: ImportReport) -> None:
    c = t.import_checkpoints
    now = timeutil.now()
    with db.write() as conn:
        exists = conn.execute(select(c.c.file_key).where(c.c.file_key == key)).first()
        values = dict(line=line, imported=report.stats.added, errors=len(report.errors), updated_at=now)
        if exists:
            conn.execute(update(c).where(c.c.file_key == key).values(**values))
        else:
            conn.execute(insert(c).values(file_key=key, path=str(path), **values))


def iter_lines_progress(items: Iterable[Document], every: int, callback: Callable[[int], None]) -> Iterator[Document]:
    """Pass items through, calling ``callback(n)`` every ``every`` items (for progress bars)."""
    n = 0
    for item in items:
        n += 1
        if n % every == 0:
            callback(every)
        yield item
