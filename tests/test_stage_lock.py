"""The store-wide stage lock (``Database.stage_lock``): one story or alert stage at a time, on any host.

procrastinate keeps two jobs of one lock apart, except when its stalled-job sweeper hands back the job
of a worker that missed its heartbeats (starved of CPU) while it still runs. The stage lock stops that
second copy. Both stores: a ``flock`` beside a SQLite file, a session advisory lock on PostgreSQL.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from kiemchung.store import Database
from kiemchung.stories import tables as st

HOLD = """
import sys, time
from kiemchung.store import Database
db = Database(sys.argv[1])
with db.stage_lock("stories") as mine:
    print("held" if mine else "busy", flush=True)
    time.sleep(600)
"""


def _holder(target: str) -> subprocess.Popen:
    """Another process holding the stories lock (until killed)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, target], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_one_holder_at_a_time_and_released_after_the_block(any_db):
    with any_db.stage_lock("stories") as first:
        assert first is True
        with any_db.stage_lock("stories") as second:
            assert second is False  # another connection (PostgreSQL) or file description (SQLite)
        with any_db.stage_lock("alerts") as other:
            assert other is True  # locks of other stages are independent
    with any_db.stage_lock("stories") as again:
        assert again is True


def test_a_killed_holder_leaves_the_lock_free(any_db_target):
    db = Database(any_db_target)
    try:
        proc = _holder(any_db_target)
        try:
            with db.stage_lock("stories") as mine:
                assert mine is False
        finally:
            proc.kill()  # SIGKILL: no cleanup in the holder
            proc.wait()
        deadline = time.monotonic() + 30  # the server notices the closed session (PostgreSQL)
        while True:
            with db.stage_lock("stories") as mine:
                if mine or time.monotonic() > deadline:
                    break
            time.sleep(0.1)
        assert mine is True
    finally:
        db.close()


@pytest.mark.pg_fulltext
def test_a_second_story_job_stops_without_assigning(any_db_target, sample_docs):
    from types import SimpleNamespace

    from kiemchung.ingest import Ingestor
    from kiemchung.workers.tasks import Runtime, assign_stories, match_alerts

    db = Database(any_db_target)
    try:
        Ingestor(db).add(sample_docs)
        context = SimpleNamespace(additional_context={"kiemchung": Runtime(db, ner=False)})
        proc = _holder(any_db_target)
        try:
            assert assign_stories(context) == 0
            with db.read() as conn:
                assert conn.execute(select(func.count()).select_from(st.story_documents)).scalar() == 0
        finally:
            proc.kill()
            proc.wait()
        with db.stage_lock("alerts") as mine:
            assert mine is True
            assert match_alerts(context) == 0  # this process holds it: the job is the second copy
    finally:
        db.close()
