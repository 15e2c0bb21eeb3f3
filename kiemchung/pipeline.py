"""What runs after documents are stored: the stages that follow ingest.

Story assignment is fast and runs right after each ingest (streaming: each new document joins a
story as it arrives); then the alert stage checks the new documents against the published false and
misleading fact-checks. Slow stages (named entities with underthesea NER, story keywords with word
segmentation, kept copies of pages editors relied on, the text of images by OCR) run on their own in :class:`SlowStages` (a separate background process of ``kiemchung watch``, or
``kiemchung entities run`` / ``kiemchung stories keywords``), never holding up assignment.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from kiemchung.errors import KiemchungError
from kiemchung.processes import child_process_start, die_with_parent
from kiemchung.store import Database

log = logging.getLogger(__name__)

OCR_IMAGES_PER_ROUND = 10  # images recognised per slow round (Tesseract takes about a second each)


@dataclass
class StageReport:
    """How many documents each stage handled in one pass."""

    counts: dict[str, int] = field(default_factory=dict)


class Pipeline:
    """The post-ingest stages of one database, safe to call from several threads."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._stories = None
        self._extra: list[tuple[str, Callable[[], int]]] = []
        self._alerts = None

    def add_stage(self, name: str, run: Callable[[], int]) -> None:
        """Register another fast stage, run after the story stage on every pass."""
        self._extra.append((name, run))

    @property
    def stories(self):
        """The story assignment stage (loaded on first use)."""
        if self._stories is None:
            from kiemchung.stories.service import StoryStage

            self._stories = StoryStage(self.db)
        return self._stories

    @property
    def alerts(self):
        """The alert stage (loaded on first use)."""
        if self._alerts is None:
            from kiemchung.claims.alerts import AlertStage

            self._alerts = AlertStage(self.db)
        return self._alerts

    def run(self) -> StageReport:
        """Run every fast stage over what has been stored since the last pass."""
        report = StageReport()
        with self._lock:
            report.counts["stories"] = self.stories.run()
            report.counts["alerts"] = self.alerts.run()
            for name, run in self._extra:
                report.counts[name] = run()
        return report


INGEST_NICE = 10  # how much lower the CPU priority of an ingest followed by a story process is (Follower.ingesting)


class Follower:
    """The fast stages in a second process that follows an import as it stores (the two cores at once).

    ``kiemchung import`` ingests (reading, normalising, near-duplicates, full-text index) in its own
    process while this one assigns the stored documents to stories, a full batch at a time, then, once
    :meth:`finish` says the ingest is over, assigns the rest and runs the other fast stages
    (:meth:`Pipeline.run`). The batches are those a run after the ingest would make, so the stories are
    the same. Both processes commit as they go: an interrupted import, run again, resumes each from
    its own position. The process ends with its parent (and is ended by :meth:`abort`).
    """

    def __init__(self, db: Database, *, batch: int = 1000) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        # not a daemon: it starts a helper process of its own (see StoryStage.run); it ends with its
        # parent all the same (die_with_parent), and finish() or abort() always joins it
        self._process = ctx.Process(target=_follow, args=(db.url, child, batch, os.getpid()),
                                    name="kiemchung-stories")
        self.error: str | None = None
        self._process.start()
        child.close()

    def ingesting(self):
        """A context for the ingest that this process runs meanwhile: at a lower CPU priority
        (``INGEST_NICE``; :func:`kiemchung.processes.lower_priority`). The story process is the import's
        critical path: an ingest running further ahead of it gains nothing, and on two cores the two
        processes and the story process's feature helper share the CPU by default. Measured on the RSS
        year (docs/stories.md, session 14): 123 s wall at the same priority, 104 s with the ingest
        lowered by 10, the same stories."""
        from kiemchung.processes import lower_priority

        return lower_priority(INGEST_NICE)

    def finish(self) -> StageReport | None:
        """Tell the process the ingest is over and wait for it: the report of the stages, or None when
        the process failed (the caller then runs :meth:`Pipeline.run` itself, from where it stopped)."""
        counts = None
        try:
            self._conn.send("done")
            counts = self._conn.recv()
        except (EOFError, OSError) as exc:
            counts = f"{type(exc).__name__}: {exc}"
        self._process.join()
        self._conn.close()
        if isinstance(counts, dict):
            return StageReport(counts)
        self.error = str(counts)
        return None

    def abort(self) -> None:
        """End the process now (safe: what it stored is committed, the next run resumes from there)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(10)
        self._conn.close()


# Entries per generation of each text cache in the story process that follows an import
# (kiemchung.text.core.limit_caches; the feature helper's bound, HELPER_TEXT_CACHE in
# kiemchung.stories.service). This process still does some text work itself (the batches its helper did
# not number, for one); with the default bound, never reached, its caches grew all year: on the RSS
# year from 7.9 MB after 10,000 documents to 36.8 MB after 150,000 (80,176 chunks). docs/stories.md,
# "Memory outside the clusterer (session 16, census)".
FOLLOWER_TEXT_CACHE = 15_000


def _follow(url: str, conn, batch: int = 1000, parent: int | None = None) -> None:
    """The body of the :class:`Follower` process (``parent``: the importing process's pid)."""
    # (memo-only caches: the same results)
    give_back = child_process_start(FOLLOWER_TEXT_CACHE, parent)
    from kiemchung.store.backends.sqlite import lean_connections

    try:
        with lean_connections():  # this process reads and writes much of the database once (memory; see there)
            _follow_stages(url, conn, batch)
    finally:
        give_back()


def _follow_stages(url: str, conn, batch: int) -> None:
    finished = False

    def until() -> bool:
        nonlocal finished
        if not finished and conn.poll():
            conn.recv()  # EOFError when the parent is gone
            finished = True
        return finished

    db = Database(url)
    try:
        pipeline = Pipeline(db)
        followed = pipeline.stories.run(batch=batch, until=until)  # returns once the ingest is over and all assigned
        report = pipeline.run()
        report.counts["stories"] = report.counts.get("stories", 0) + followed
        conn.send(report.counts)
    except EOFError:
        pass
    except Exception as exc:  # the parent runs the stages itself from where this stopped
        log.warning("stages following the import: %s", exc)
        try:
            conn.send(f"{type(exc).__name__}: {exc}")
        except OSError:
            pass
    finally:
        db.close()


class SlowStages:
    """Named entities and story keywords, in a background process that never holds up ingest.

    The stages are CPU-bound (underthesea's CRF models hold the interpreter), so they run in their own
    process on their own connection to the same database, not in a thread of the ingesting one. Each
    round handles at most ``docs_per_round`` documents (entities) and ``stories_per_round`` stories
    (keywords), then sleeps ``pause_s`` when there was nothing to do. Everything is resumable: a killed
    worker loses at most the round in progress.
    """

    def __init__(self, db: Database, *, ner: bool = True, docs_per_round: int = 25,
                 stories_per_round: int = 20, pause_s: float = 5.0) -> None:
        self.url = db.url
        self.options = dict(ner=ner, docs_per_round=docs_per_round, stories_per_round=stories_per_round,
                            pause_s=pause_s)
        import multiprocessing

        self._ctx = multiprocessing.get_context("spawn")
        self._stop = self._ctx.Event()
        self._process = None

    def start(self) -> SlowStages:
        """Start the worker process (a daemon: it ends with the parent); returns self."""
        self._process = self._ctx.Process(
            target=_slow_worker, args=(self.url, self.options, self._stop, os.getpid()),
            name="kiemchung-slow-stages",
            daemon=True,
        )
        self._process.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the worker to stop after its current round; end it after ``timeout`` seconds (safe: each
        round commits as it goes and the next start resumes)."""
        self._stop.set()
        if self._process is not None:
            self._process.join(timeout)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(5)


def run_slow_round(db: Database, *, ner: bool = True, docs_per_round: int = 200,
                   stories_per_round: int = 50, captures_per_round: int = 3,
                   images_per_round: int = OCR_IMAGES_PER_ROUND) -> dict[str, int]:
    """One round of the slow stages in this process: ``{"entities": docs, "keywords": stories,
    "captures": kept pages attempted, "ocr": image links read}`` (captures:
    :func:`kiemchung.captures.capture_pending`, at most ``captures_per_round``; OCR:
    :class:`kiemchung.images.ocr_stage.OcrStage`, at most ``images_per_round`` images, ~1 s each)."""
    from kiemchung.captures import capture_pending
    from kiemchung.entities import EntityStage
    from kiemchung.images.ocr_stage import OcrStage
    from kiemchung.stories.keywords import KeywordStage

    return {
        "entities": EntityStage(db, ner=ner).run(limit=docs_per_round).documents,
        "keywords": KeywordStage(db).run(limit=stories_per_round).stories,
        "captures": capture_pending(db, limit=captures_per_round),
        "ocr": OcrStage(db).run(limit=images_per_round).links,
    }


def _slow_worker(url: str, options: dict, stop, parent: int | None = None) -> None:
    """The body of the :class:`SlowStages` process (``parent``: the pid of the process that started it).
    As a daemon it ends when its parent exits; it also ends when the parent is killed (a daemon's end
    comes from its parent's exit handlers, which a killed parent never runs)."""
    die_with_parent(parent)
    db = Database(url)
    try:
        while not stop.is_set():
            try:
                busy = sum(run_slow_round(db, ner=options["ner"], docs_per_round=options["docs_per_round"],
                                          stories_per_round=options["stories_per_round"]).values())
            except KiemchungError as exc:  # recorded; the next round tries again
                log.warning("slow stages: %s", exc)
                busy = 0
            if not busy:
                stop.wait(options["pause_s"])
    finally:
        db.close()
