"""Server mode's workers (issue 13 §3): real `kiemchung worker` processes, a real throwaway PostgreSQL
(tests/pgserver.py), real local feeds served over HTTP. Nothing is mocked; waits have deadlines only
as a guard against a hang, never as the thing measured.

The PostgreSQL tests skip without a PostgreSQL server (the `pg_server` fixture says why).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import func, select, text

from kiemchung.models import Document, Source
from kiemchung.store import Database
from kiemchung.store import schema as t

STALL_S = 3  # the workers' stall timeout in these tests (a killed worker's job is handed back after it)


# ---------------------------------------------------------------------------------------------
# Real local feeds


def _rss(items: list[dict]) -> bytes:
    body = "".join(
        "<item>"
        f"<title>{escape(it['title'])}</title><link>{escape(it['link'])}</link>"
        f"<guid>{escape(it['link'])}</guid>"
        f"<description>{escape(it['body'])}</description>"
        f"<pubDate>{format_datetime(it['when'])}</pubDate>"
        "</item>"
        for it in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Tin Lam Sơn</title>'
        f"<link>http://127.0.0.1/</link><description>tin</description>{body}</channel></rss>"
    ).encode()


class FeedServer:
    """Feeds at /feed/<name>.xml; a feed in ``held`` answers only once released (a poll in flight)."""

    def __init__(self) -> None:
        self.feeds: dict[str, bytes] = {}
        self.held: dict[str, threading.Event] = {}
        self.requested: dict[str, threading.Event] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                name = self.path.rsplit("/", 1)[-1].removesuffix(".xml")
                server.requested.setdefault(name, threading.Event()).set()
                gate = server.held.get(name)
                if gate is not None:
                    gate.wait(60)
                payload = server.feeds.get(name)
                if payload is None:
                    self.send_error(404)
                    return
                with contextlib.suppress(OSError):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/feed/{name}.xml"

    def close(self) -> None:
        for gate in self.held.values():
            gate.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def feeds():
    server = FeedServer()
    yield server
    server.close()


_WORDS = ("cầu", "đường", "trường học", "bệnh viện", "chợ", "cảng cá", "nhà máy nước", "khu dân cư",
          "công viên", "bến xe", "trạm y tế", "thư viện")
_PLACES = ("Tây Hà", "Đông Hà", "Bến Đá", "Hòa Bình", "Lam Sơn", "Cát Tiên", "Phú Mỹ", "An Lạc")


def _item(feed: int, n: int, when: dt.datetime) -> dict:
    """An invented, distinct news item (feed ``feed``, number ``n``)."""
    what = _WORDS[(feed * 7 + n) % len(_WORDS)]
    where = _PLACES[(feed + n * 3) % len(_PLACES)]
    return {
        "title": f"Huyện {where} khởi công {what} số {feed}-{n}",
        "link": f"https://tin{feed}.lamson.vn/bai-{n}.html",
        "body": (f"Sáng nay huyện {where} khởi công xây dựng {what} số {feed}-{n} với tổng vốn {n + 3} tỷ đồng; "
                 f"công trình dự kiến hoàn thành sau {n % 9 + 6} tháng, phục vụ {feed * 100 + n} hộ dân "
                 f"của xã {_PLACES[(n + 5) % len(_PLACES)]}."),
        "when": when - dt.timedelta(hours=n),
    }


# ---------------------------------------------------------------------------------------------
# Worker processes


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["KIEMCHUNG_FETCH_ALLOW_HOSTS"] = "127.0.0.1,localhost"
    env.pop("KIEMCHUNG_DB", None)
    return env


def start_worker(url: str, *args: str, name: str = "w", stall_s: float = STALL_S) -> subprocess.Popen:
    """A real `kiemchung worker` process on ``url`` (its output kept in a pipe for failures)."""
    return subprocess.Popen(
        [sys.executable, "-m", "kiemchung", "--db", url, "worker", "--stall-timeout", str(stall_s), "--no-ner",
         "--name", name, *args],
        env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def stop_workers(procs: list[subprocess.Popen]) -> str:
    """Stop the workers (SIGTERM, then SIGKILL after 30 s); returns their output."""
    out = []
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            text_, _ = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            text_, _ = p.communicate()
        out.append(text_ or "")
    return "\n".join(out)


def wait_for(check, *, timeout: float = 180, procs: list[subprocess.Popen] = (), what: str = "") -> None:
    """Wait until ``check()`` is true; fail with the workers' output after ``timeout`` s (a hang guard)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    output = stop_workers(list(procs))
    pytest.fail(f"timed out waiting for {what}\n--- worker output ---\n{output[-6000:]}")


def counts_by_url(db: Database) -> dict[str, int]:
    d = t.documents
    with db.read() as conn:
        return dict(conn.execute(select(d.c.url, func.count()).group_by(d.c.url)).all())


def stories_caught_up(db: Database) -> bool:
    from kiemchung.stories import tables as st

    with db.read() as conn:
        top = conn.execute(select(func.max(t.documents.c.id))).scalar() or 0
        done = conn.execute(select(st.cluster_state.c.last_doc_id).where(st.cluster_state.c.id == 1)).scalar()
    return top > 0 and done == top


def job_runs(db: Database, task: str) -> list[tuple[int, int]]:
    """(start, end) of every finished run of a job of ``task``, each a position in the order in which the
    queue changed its jobs: the ids of procrastinate's events.

    Not the events' times: an event's ``at`` is ``now()``, the time its transaction began, and a worker
    opens that transaction (psycopg sends ``BEGIN`` on its own) before it sends the statement that
    changes the job. On a loaded machine a job fetched just after another one finished can carry a start
    time before that finish: an overlap that never happened (seen under load: event 77, a start, stamped
    5 ms before event 76, the end of the job before it; no copy, no sweeper). The id is drawn when the
    job's row changes, and a worker fetches a job of a lock only once the end of the one that held it
    is committed, so ids follow the real order."""
    sql = text(
        "SELECT e.id, e.job_id, e.type FROM procrastinate_events e JOIN procrastinate_jobs j ON j.id = e.job_id "
        "WHERE j.task_name = :task ORDER BY e.id"
    )
    starts: dict[int, int] = {}
    out = []
    with db.read() as conn:
        for event_id, job_id, kind in conn.execute(sql, {"task": task}):
            if kind == "started":
                starts[job_id] = event_id
            elif kind in ("succeeded", "failed", "deferred_for_retry", "aborted") and job_id in starts:
                out.append((starts.pop(job_id), event_id))
    return out


# ---------------------------------------------------------------------------------------------
# Without PostgreSQL


def test_worker_on_sqlite_explains_watch_and_creates_nothing(tmp_path):
    target = tmp_path / "kc.db"
    res = subprocess.run([sys.executable, "-m", "kiemchung", "--db", str(target), "worker"],
                         env=_env(), capture_output=True, text=True, timeout=120)
    assert res.returncode == 1
    assert "PostgreSQL" in res.stderr and "kiemchung watch" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert not target.exists()


def test_unknown_queue_is_refused_with_the_list():
    from kiemchung.errors import ConfigError
    from kiemchung.workers.runner import WorkerOptions, parse_queues

    assert parse_queues(["poll,import", "stories", "poll"]) == ("poll", "import", "stories")
    assert parse_queues(None) is None
    with pytest.raises(ConfigError, match="stories"):
        WorkerOptions(queues=("poll", "storys")).check()


def test_a_queued_document_round_trips_and_never_carries_an_author_in_clear(db):
    from kiemchung.ingest import Ingestor
    from kiemchung.workers.tasks import doc_from_job, doc_to_job, pack_docs, unpack_docs

    when = dt.datetime(2026, 3, 4, 5, 6, tzinfo=dt.UTC)
    doc = Document(title="", body="mn ơi chia sẻ ngay", kind="post", platform="facebook", external_id="p1",
                   author="nguyen.van.a", published_at=when, meta={"author": "nguyen.van.a", "likes": 3},
                   raw=b'{"from": "nguyen.van.a", "text": "mn oi"}')
    hasher = Ingestor(db).author_hasher()
    job = doc_to_job(doc, hasher)
    assert "nguyen.van.a" not in repr(job)
    packed = pack_docs([job])  # how a chunk travels: compressed text without quotes or backslashes
    assert not set(packed) & set('"\\,() ') and unpack_docs(packed) == [job]
    back = doc_from_job(unpack_docs(packed)[0])
    assert back.published_at == when and back.external_id == "p1" and back.kind == "post"
    # Stored like the same document ingested directly: the same author hash, nothing in clear.
    Ingestor(db).add([back])
    direct = Document(title="", body="mn ơi chia sẻ ngay", kind="post", platform="facebook", external_id="p2",
                      author="nguyen.van.a", published_at=when)
    Ingestor(db).add([direct])
    with db.read() as conn:
        hashes = conn.execute(select(t.documents.c.external_id, t.documents.c.author_hash)).all()
    assert len({h for _, h in hashes}) == 1 and all(h and "nguyen" not in h for _, h in hashes)


# ---------------------------------------------------------------------------------------------
# With PostgreSQL


def test_the_queue_schema_is_created_once(pg_url):
    from kiemchung.workers.queue import ensure_queue, schema_present

    db = Database(pg_url)
    try:
        ensure_queue(db)  # created here or by the migration: either way present afterwards
        with db.read() as conn:
            assert schema_present(conn)
        assert ensure_queue(db) is False  # idempotent
    finally:
        db.close()


def _context(runtime):
    """What a task reads of its job context: the worker's runtime (``additional_context``)."""
    from types import SimpleNamespace

    return SimpleNamespace(additional_context={"kiemchung": runtime})


def test_scheduled_reports_are_written_once_per_period(db, sample_docs, tmp_path):
    from kiemchung.audit import cli_actor
    from kiemchung.ingest import Ingestor
    from kiemchung.store import settings
    from kiemchung.workers.tasks import Runtime, scheduled_reports

    Ingestor(db).add(sample_docs)
    runtime = Runtime(db, ner=False)
    april = int(dt.datetime(2026, 4, 2, 8, tzinfo=dt.UTC).timestamp())
    assert scheduled_reports(_context(runtime), timestamp=april) == []  # no schedule set: nothing
    settings.set_value(db, "report_schedule", "monthly", actor=cli_actor())
    settings.set_value(db, "report_dir", str(tmp_path / "bc"), actor=cli_actor())
    written = scheduled_reports(_context(runtime), timestamp=april)
    assert sorted(os.path.basename(p) for p in written) == [
        "bao-cao-2026-03-01_2026-03-31.html", "bao-cao-2026-03-01_2026-03-31.md", "bao-cao-2026-03-01_2026-03-31.pdf"]
    assert scheduled_reports(_context(runtime), timestamp=april + 3600) == []  # once per period
    with pytest.raises(Exception, match="weekly"):
        settings.set_value(db, "report_schedule", "yearly", actor=cli_actor())


def test_a_task_run_twice_stores_nothing_twice(db, feeds, pg_url):
    """A retried job (its worker killed after the commit, before the queue heard of it) runs again.
    (The store here is SQLite; the jobs the tasks queue after them go to a real queue in PostgreSQL.)"""
    from kiemchung.workers.queue import make_app
    from kiemchung.workers.tasks import Runtime, doc_to_job, import_chunk, pack_docs, poll_source

    queue_db = _pg_db(pg_url, store=False)
    app = make_app(pg_url).open()

    now = dt.datetime.now(dt.UTC)
    feeds.feeds["a"] = _rss([_item(1, n, now) for n in range(6)])
    src = db.add_source(Source(kind="feed", url=feeds.url("a"), name="A"))
    runtime = Runtime(db, ner=False)
    first = poll_source(_context(runtime), source_id=src.id)
    assert first["added"] == 6
    # The same poll again: the source is not due any more; made due again, nothing new is stored.
    assert poll_source(_context(runtime), source_id=src.id) == {"skipped": "not due"}
    with db.write() as conn:
        conn.execute(t.sources.update().where(t.sources.c.id == src.id).values(last_fetch_at=None, etag=None, last_modified=None))
    assert poll_source(_context(runtime), source_id=src.id)["added"] == 0
    chunk = [doc_to_job(Document(title=f"Bài nhập {i}", body=f"Nội dung bài nhập số {i} về cầu Bến Đá.",
                                 kind="post", platform="facebook", external_id=f"p{i}")) for i in range(4)]
    assert import_chunk(_context(runtime), docs=chunk)["added"] == 4
    # Packed (as import --queue sends it) or plain (a job queued by an earlier version): stored once.
    assert import_chunk(_context(runtime), packed=pack_docs(chunk)) == {"added": 0, "existing": 4, "duplicates": 0}
    by_url = counts_by_url(db)
    assert by_url.pop(None) == 4 and set(by_url.values()) == {1} and len(by_url) == 6
    # What each store queued after it: story assignment, once waiting (its queueing lock).
    waiting = [j for j in app.job_manager.list_jobs() if j.status == "todo"]
    app.close()
    queue_db.close()
    assert [j.task_name for j in waiting] == ["kc:assign_stories"]


def test_both_stage_locks_held_leave_the_writer_free(pg_url):
    """A worker with ``--concurrency 2`` runs a story job and an alert job at once; each holds its
    stage lock for the whole stage, and both stages write meanwhile. (The locks once took the writer's
    two pooled connections: the next write waited for one until the pool's 30 s timeout failed the alert
    job, "QueuePool limit of size 2 overflow 0 reached", seen in this file's several-workers test.)"""
    db = Database(pg_url)
    try:
        with db.stage_lock("stories") as stories, db.stage_lock("alerts") as alerts:
            assert stories and alerts
            for _ in range(2):  # the writer's connections, each checked out in turn
                with db.write() as conn:
                    assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        db.close()


def test_a_delivery_job_beside_the_alert_stage_sends_each_notification_once(db):
    """Alert matching delivers what it raises and a delivery job sends what is pending, and the stall
    sweeper may hand back a copy of either while the other runs. The job does not wait for the alert
    stage: each notification is claimed before it is sent, so the job sends what is pending and a
    second round finds nothing left (tests/test_alerts.py races two rounds on one notification)."""
    from factories import make_doc

    from kiemchung.claims.alerts import AlertEngine, list_alerts
    from kiemchung.claims.factchecks import create_factcheck, publish_factcheck
    from kiemchung.claims.match import ClaimMatcher, MatchConfig
    from kiemchung.claims.notify import enqueue, list_notifications
    from kiemchung.ingest import Ingestor
    from kiemchung.workers.tasks import Runtime, deliver_alerts

    fc = create_factcheck(db, "Nước máy Tây Hà bị nhiễm độc, không được dùng nấu ăn", "tin giả", editor="lan",
                          phrasings=["nước máy ở Tây Hà có chất độc"], evidence=["https://soyte.example/tb.html"])
    publish_factcheck(db, fc.id, "lan")
    Ingestor(db).add([make_doc("", "mn ơi nghe nói nước máy Tây Hà bị nhiễm độc, không dùng nấu ăn được, chia sẻ ngay",
                               kind="post", external_id="p1", platform="facebook", day=3)])
    AlertEngine(db, ClaimMatcher(MatchConfig(semantic=False))).process(list(db.iter_documents()), notify=False)
    queued = enqueue(db, [a.id for a in list_alerts(db)])
    assert queued >= 1  # the log channel (setting alert_log, on)
    context = _context(Runtime(db, ner=False))
    with db.stage_lock("alerts") as mine:  # the alert stage running (another process on PostgreSQL)
        assert mine
        assert deliver_alerts(context) == {"sent": queued, "pending": 0, "failed": 0, "busy": 0}
    assert {n["status"] for n in list_notifications(db)} == {"sent"}
    assert deliver_alerts(context) == {"sent": 0, "pending": 0, "failed": 0, "busy": 0}


def _pg_db(pg_url, *, store: bool = True) -> Database:
    """The PostgreSQL database of ``pg_url`` with the queue's schema; ``store``: documents are stored
    into it (which needs the PostgreSQL full-text index: skipped until it is in, see conftest)."""
    from conftest import PG_FULLTEXT, PG_FULLTEXT_PENDING

    from kiemchung.workers.queue import ensure_queue

    if store and not PG_FULLTEXT:
        pytest.skip(PG_FULLTEXT_PENDING)
    db = Database(pg_url)
    ensure_queue(db)
    return db
def test_several_workers_store_every_feed_item_once(pg_url, feeds):
    """Three worker processes, eight real feeds that overlap (the same article in two feeds, near-copies
    of one text under other links): every item stored once, near-copies grouped across workers, every
    document in a story, and story assignment never ran twice at once."""
    db = _pg_db(pg_url)
    now = dt.datetime.now(dt.UTC)
    expected: set[str] = set()
    copies: list[str] = []
    for f in range(8):
        items = [_item(f, n, now) for n in range(12)]
        if f:  # the first two items of the previous feed again (same links): stored once
            items += [_item(f - 1, n, now) for n in range(2)]
        near = dict(_item(0, 5, now))  # a near-copy of feed 0's item 5 under this feed's own link
        near["link"] = f"https://tin{f}.lamson.vn/chep-lai.html"
        near["body"] = near["body"].replace("Sáng nay", "Sáng nay, theo báo tỉnh,")
        items.append(near)
        copies.append(near["link"])
        expected |= {it["link"] for it in items}
        feeds.feeds[f"f{f}"] = _rss(items)
        db.add_source(Source(kind="feed", url=feeds.url(f"f{f}"), name=f"Báo {f}", poll_interval_s=3600))
    # No worker is killed here, so the stall timeout is the product's default (30 s): with the 3 s of the
    # kill tests, a live worker whose heartbeat waited 3 s on a loaded machine counts as dead and its story
    # job is handed to another worker while it still runs (the copy that the stage lock stops, which
    # tests/test_stage_lock.py studies; the check below accepts only such copies).
    procs = [start_worker(pg_url, "--queues", "poll,import,stories,alerts", "--concurrency", "2", name=f"w{i}",
                          stall_s=30) for i in range(3)]
    try:
        wait_for(lambda: len(counts_by_url(db)) >= len(expected) and stories_caught_up(db), procs=procs,
                 what="every item stored and assigned")
        # Let any poll still in flight finish: nothing may arrive twice afterwards either.
        wait_for(lambda: all(s.meta.get("last_fetch_at") for s in db.list_sources() if s.kind == "feed"),
                 procs=procs, what="every source polled")
    finally:
        output = stop_workers(procs)
    found = counts_by_url(db)
    assert set(found) == expected, output[-3000:]
    assert all(n == 1 for n in found.values()), {u: n for u, n in found.items() if n != 1}
    d = t.documents
    with db.read() as conn:
        groups = dict(conn.execute(select(d.c.url, d.c.dup_group).where(
            d.c.url.in_([*copies, "https://tin0.lamson.vn/bai-5.html"]))).all())
        unassigned = conn.execute(text(
            "SELECT count(*) FROM documents WHERE id NOT IN (SELECT doc_id FROM story_documents)")).scalar()
    assert len(set(groups.values())) == 1 and None not in groups.values(), groups
    assert unassigned == 0
    runs = sorted(job_runs(db, "kc:assign_stories"))
    assert runs
    # procrastinate's lock ``stories``: a story job starts only after the one before it ended. (A job handed
    # back by the stall sweeper ends there for the queue while its first run may go on: the store-wide
    # stage lock stops that copy, see tests/test_stage_lock.py; the 30 s timeout above keeps it out of here.)
    overlapping = [(a, b) for a, b in zip(runs, runs[1:]) if b[0] < a[1]]
    assert not overlapping, (runs, output[-3000:])
    assert "Traceback" not in output, output[-3000:]
    db.close()


def _jobs(db: Database, task: str) -> list[tuple[int, str, int]]:
    with db.read() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT id, status::text, attempts FROM procrastinate_jobs WHERE task_name = :t ORDER BY id"), {"t": task})]


def test_a_worker_killed_in_the_middle_of_a_poll_loses_nothing(pg_url, feeds):
    """SIGKILL while the feed is being fetched: once the dead worker's heartbeat is older than the stall
    timeout, another worker takes the same job again; every item is stored once."""
    db = _pg_db(pg_url)
    now = dt.datetime.now(dt.UTC)
    feeds.feeds["slow"] = _rss([_item(3, n, now) for n in range(10)])
    feeds.held["slow"] = threading.Event()
    feeds.requested["slow"] = threading.Event()
    db.add_source(Source(kind="feed", url=feeds.url("slow"), name="Báo chậm", poll_interval_s=3600))
    a = start_worker(pg_url, "--queues", "poll", name="a")
    b = None
    try:
        wait_for(feeds.requested["slow"].is_set, procs=[a], what="the poll in flight")
        a.kill()  # SIGKILL: no chance to say anything to the queue
        a.wait(30)
        (job_id, status, attempts), = _jobs(db, "kc:poll_source")
        assert status == "doing" and attempts == 0
        assert counts_by_url(db) == {}
        feeds.held["slow"].set()  # the feed answers from now on
        time.sleep(STALL_S + 1)  # the dead worker's last heartbeat is now older than the stall timeout
        b = start_worker(pg_url, "--queues", "poll,stories", name="b")
        wait_for(lambda: len(counts_by_url(db)) == 10 and stories_caught_up(db), procs=[b],
                 what="the poll done by the second worker")
    finally:
        output = stop_workers([p for p in (a, b) if p is not None])
    assert set(counts_by_url(db).values()) == {1}
    jobs = _jobs(db, "kc:poll_source")
    # The killed attempt comes back one of the sweeper's two ways (docs/workers.md), depending on which of
    # the second worker's first sweep and its first due_sources (the source, never polled, is due) comes
    # first: the same job run twice (the killed attempt counted when handed back, and the one that
    # finished), or, when a poll of the source is already waiting, closed as failed while that one does
    # the work.
    if jobs[0] == (job_id, "failed", 1):
        assert "closed, a waiting one does its work" in output, (jobs, output[-3000:])
        assert [status for _, status, _ in jobs[1:]] == ["succeeded"], (jobs, output[-3000:])
    else:
        assert jobs[0] == (job_id, "succeeded", 2), (jobs, output[-3000:])
    assert all(status != "doing" for _, status, _ in jobs)
    db.close()


def test_a_stopping_worker_keeps_its_heartbeat_while_its_job_runs(pg_url, feeds):
    """SIGTERM while a poll is in flight: the worker lets the job finish and keeps sending heartbeats
    meanwhile, so no sweeper (its own included) hands the running job back, however long it takes.
    (procrastinate's shutdown cancels its heartbeat before it waits for the running jobs: a story job
    running at SIGTERM was handed back after the stall timeout, seen in the several-workers test.)"""
    db = _pg_db(pg_url)
    now = dt.datetime.now(dt.UTC)
    feeds.feeds["slow"] = _rss([_item(4, n, now) for n in range(5)])
    feeds.held["slow"] = threading.Event()
    feeds.requested["slow"] = threading.Event()
    db.add_source(Source(kind="feed", url=feeds.url("slow"), name="Báo chậm", poll_interval_s=3600))
    a = start_worker(pg_url, "--queues", "poll", name="a")
    beats: list[dt.datetime] = []

    def beat_again() -> bool:
        with db.read() as conn:
            beat = conn.execute(text("SELECT max(last_heartbeat) FROM procrastinate_workers")).scalar()
        if beat is not None and (not beats or beat > beats[-1]):
            beats.append(beat)
        # Two beats after the first look: one update in flight at the signal could land after it.
        return len(beats) >= 3

    try:
        wait_for(feeds.requested["slow"].is_set, procs=[a], what="the poll in flight")
        a.send_signal(signal.SIGTERM)  # a graceful stop: the poll in flight is waited for
        wait_for(beat_again, procs=[a], what="heartbeats of the stopping worker")
    finally:
        feeds.held["slow"].set()  # the poll ends, and the worker with it
    try:
        output, _ = a.communicate(timeout=120)  # a guard against a hang only
    except subprocess.TimeoutExpired:
        output = stop_workers([a])
        pytest.fail(f"the stopping worker did not exit once its job was done\n{output[-3000:]}")
    assert a.returncode == 0, output[-3000:]
    (_, status, attempts), = _jobs(db, "kc:poll_source")
    assert (status, attempts) == ("succeeded", 1), output[-3000:]  # run once, never handed back
    assert set(counts_by_url(db).values()) <= {1}
    db.close()


def test_the_database_going_away_loses_and_doubles_nothing(pg_server, pg_url, feeds, tmp_path):
    """PostgreSQL stopped while workers run (a poll in flight, an import queued): the jobs fail, the
    workers reconnect when it is back, and every item is stored once."""
    import json

    if not pg_server.can_restart:
        pytest.skip("KIEMCHUNG_TEST_PG: an external server cannot be stopped by the tests")
    db = _pg_db(pg_url)
    now = dt.datetime.now(dt.UTC)
    for f in range(3):
        feeds.feeds[f"f{f}"] = _rss([_item(f, n, now) for n in range(10)])
        db.add_source(Source(kind="feed", url=feeds.url(f"f{f}"), name=f"Báo {f}", poll_interval_s=3600))
    feeds.feeds["late"] = _rss([_item(7, n, now) for n in range(10)])
    feeds.held["late"] = threading.Event()
    feeds.requested["late"] = threading.Event()
    db.add_source(Source(kind="feed", url=feeds.url("late"), name="Báo muộn", poll_interval_s=3600))
    posts = tmp_path / "posts.jsonl"
    with posts.open("w", encoding="utf-8") as fh:
        for i in range(450):
            fh.write(json.dumps({"id": f"p{i}", "text": f"Bài đăng số {i}: mn ơi đường {_PLACES[i % 8]} "
                                 f"ngập sâu {i % 50 + 10} cm, tránh đi lối này nha", "platform": "facebook",
                                 "created_time": (now - dt.timedelta(minutes=i)).isoformat()},
                                ensure_ascii=False) + "\n")
    res = subprocess.run([sys.executable, "-m", "kiemchung", "--db", pg_url, "import", str(posts), "--queue"],
                         env=_env(), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "450" in res.stdout and "3" in res.stdout
    procs = [start_worker(pg_url, "--queues", "poll,import,stories", name=f"w{i}") for i in range(2)]
    try:
        wait_for(feeds.requested["late"].is_set, procs=procs, what="the late feed requested")
        pg_server.stop()  # the database goes away with work in flight
        feeds.held["late"].set()  # the late poll now tries to store into a database that is not there
        time.sleep(2)
        pg_server.start()
        expected = 40 + 450
        wait_for(lambda: sum(1 for _ in db.iter_documents()) >= expected and stories_caught_up(db), procs=procs,
                 timeout=240, what="everything stored after the database came back")
        wait_for(lambda: all(s.meta.get("last_fetch_at") for s in db.list_sources() if s.kind == "feed"),
                 procs=procs, what="every source polled")
        assert all(p.poll() is None for p in procs)  # the workers survived the outage
    finally:
        output = stop_workers(procs)
    by_url = counts_by_url(db)
    posts_stored = by_url.pop(None)
    assert posts_stored == 450 and len(by_url) == 40 and set(by_url.values()) == {1}, output[-3000:]
    assert "ended with status: Error" in output  # the late poll did fail while the database was away
    with db.read() as conn:
        ids = conn.execute(text("SELECT count(DISTINCT external_id), count(*) FROM documents "
                                "WHERE external_id IS NOT NULL AND url IS NULL")).one()
    assert tuple(ids) == (450, 450)
    db.close()


def test_alerts_raised_and_delivered_once_with_several_workers(pg_url, feeds):
    """A published false claim repeated in a polled source: with two workers, each repeating post raises
    one alert, and each alert reaches the webhook (a real local server) once."""
    import json

    from kiemchung.audit import cli_actor
    from kiemchung.claims.factchecks import create_factcheck, publish_factcheck
    from kiemchung.store import settings

    db = _pg_db(pg_url)
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        settings.set_value(db, "match_semantic", "off", actor=cli_actor())
        settings.set_value(db, "alert_webhook_url", f"http://127.0.0.1:{hook.server_port}/hook", actor=cli_actor())
        fc = create_factcheck(db, "Nước máy Tây Hà bị nhiễm độc, không được dùng nấu ăn", "tin giả", editor="lan",
                              phrasings=["nước máy ở Tây Hà có chất độc"], evidence=["https://soyte.example/tb.html"])
        publish_factcheck(db, fc.id, "lan")
        now = dt.datetime.now(dt.UTC)
        rumours = [
            "mn ơi nghe nói nước máy Tây Hà bị nhiễm độc, không dùng nấu ăn được, chia sẻ ngay",
            "nghe nói nước máy Tây Hà bị nhiễm độc đó, không dùng nấu ăn được đâu mọi người ơi",
            "cảnh báo: nước máy Tây Hà bị nhiễm độc, đừng dùng nấu ăn, chia sẻ cho người thân",
        ]
        items = [{"title": "", "link": f"https://mxh.example/p{i}", "body": body, "when": now - dt.timedelta(hours=i)}
                 for i, body in enumerate(rumours)]
        items += [_item(5, n, now) for n in range(6)]
        feeds.feeds["mxh"] = _rss(items)
        db.add_source(Source(kind="feed", url=feeds.url("mxh"), name="Mạng xã hội", poll_interval_s=3600,
                             meta={"doc_kind": "post"}))
        procs = [start_worker(pg_url, "--queues", "poll,stories,alerts", name=f"a{i}") for i in range(2)]
        try:
            wait_for(lambda: len(received) >= 3 and stories_caught_up(db), procs=procs, what="three alerts delivered")
            time.sleep(1)  # a second delivery of one alert, if any, would arrive now
        finally:
            output = stop_workers(procs)
        with db.read() as conn:
            alerts = conn.execute(text("SELECT doc_id, count(*) FROM alerts GROUP BY doc_id")).all()
            notes = conn.execute(text("SELECT channel, status, count(*) FROM notifications GROUP BY 1, 2")).all()
        assert len(alerts) == 3 and all(n == 1 for _, n in alerts), (alerts, output[-3000:])
        assert sorted(p["document"]["id"] for p in received) == sorted(d for d, _ in alerts)
        assert ("webhook", "sent", 3) in [tuple(r) for r in notes]
    finally:
        hook.shutdown()
        hook.server_close()
        db.close()


def test_the_stage_tasks_resume_from_stored_progress(db, sample_docs, pg_url):
    """Stories, alerts, entities and keywords as tasks: each does the work stored since its last run, a
    second run finds nothing left, and each queues what follows it (the store here is SQLite, the
    queue is a real one in PostgreSQL)."""
    from kiemchung.ingest import Ingestor
    from kiemchung.store import progress
    from kiemchung.stories import tables as st
    from kiemchung.workers.queue import make_app
    from kiemchung.workers.tasks import Runtime, assign_stories, enrich, match_alerts

    queue_db = _pg_db(pg_url, store=False)
    app = make_app(pg_url).open()
    try:
        Ingestor(db).add(sample_docs)
        runtime = Runtime(db, ner=False)
        top = db.max_document_id()
        assert assign_stories(_context(runtime)) == top
        assert assign_stories(_context(runtime)) == 0
        match_alerts(_context(runtime))
        assert progress.last_doc_id(db, progress.ALERTS) == top
        first = enrich(_context(runtime))
        assert first["entities"] == top and first["keywords"] >= 1
        assert enrich(_context(runtime)) == {"entities": 0, "keywords": 0, "captures": 0, "ocr": 0}
        assert progress.last_doc_id(db, progress.ENTITIES) == top
        with db.read() as conn:
            assert conn.execute(select(func.count()).select_from(st.story_keywords)).scalar() >= 1
        queued = sorted({j.task_name for j in app.job_manager.list_jobs() if j.status == "todo"})
        assert queued == ["kc:enrich", "kc:match_alerts"]
    finally:
        app.close()
        queue_db.close()
