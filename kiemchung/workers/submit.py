"""Work handed to the workers by commands and the web app (server mode): imports in chunks, polls."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kiemchung.collect import ImportReport, file_key
from kiemchung.errors import ImportFileError
from kiemchung.models import Document, Source

CHUNK_ROWS = 200


def queue_import(
    db,
    path: str | Path,
    *,
    mapping=None,
    fmt: str | None = None,
    platform: str | None = None,
    kind: str = "post",
    chunk_rows: int = CHUNK_ROWS,
    name: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[ImportReport, int]:
    """Read an import file here and queue its documents for the workers, ``chunk_rows`` a job.

    Bad rows are reported by line (as :func:`kiemchung.collect.import_file` does) and never queued.
    The file stays on this host: the documents travel in the queue, so a worker on any host stores
    them; queuing a file again queues it again, and the workers store nothing twice (document keys).
    Returns the report (``stats.seen``: documents queued) and the number of jobs queued.
    """
    from kiemchung.ingest import Ingestor
    from kiemchung.sources.imports import iter_import
    from kiemchung.workers import tasks
    from kiemchung.workers.queue import ensure_queue, make_app

    path = Path(path)
    if not path.exists():
        raise ImportFileError(f"Không tìm thấy tệp (file not found): {path}")
    key = file_key(path)
    report = ImportReport(str(path))
    source = db.add_source(Source(kind="import", url=f"file://{path.resolve()}", name=name or path.name))
    ensure_queue(db)
    hasher = Ingestor(db).author_hasher()
    app = make_app(db.url)
    jobs = 0
    with app.open():
        batch: list[Document] = []
        first = None
        last = 0

        def flush() -> None:
            nonlocal batch, first, jobs
            if batch:
                tasks.defer_import(batch, file_key=key, first_line=first, last_line=last, name=path.name,
                                   hasher=hasher)
                report.stats.seen += len(batch)
                jobs += 1
                if progress:
                    progress(len(batch))
            batch, first = [], None

        for row in iter_import(path, mapping=mapping, fmt=fmt, platform=platform, kind=kind):
            report.rows += 1
            report.warnings.extend((row.line, w) for w in row.warnings)
            if row.error is not None:
                report.errors.append((row.line, row.error))
                continue
            doc = row.document
            doc.source_id = source.id
            doc.source_name = doc.source_name or source.name
            if first is None:
                first = row.line
            last = row.line
            batch.append(doc)
            if len(batch) >= chunk_rows:
                flush()
        flush()
    return report, jobs
