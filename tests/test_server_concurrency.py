"""Progress markers under concurrent writers (issue 13 §2).

Background stages resume from "the last document id processed". That is only correct if document ids
become visible in id order: with several writers on PostgreSQL a lower id could commit after a higher
one that a stage has already passed, and the lower one would never be processed. Ingest takes a
store-wide lock around its write transaction (``Database.serialize``: BEGIN IMMEDIATE on SQLite, a
transaction-level advisory lock on PostgreSQL), so ids are chosen and committed in turn. Here two
writers, each with its own ``Database`` (its own connections, as two processes or hosts have), ingest
at once while a real stage (named entities, provinces only) runs over and over beside them: every
document is processed exactly once. The writers also create the same outlets and the installation's
author salt at the same moment (check-then-insert under the store's ``sources``/``settings`` locks).
"""

from __future__ import annotations

import threading

import pytest
from factories import make_doc, target_of
from sqlalchemy import func, select

from kiemchung.entities import EntityStage, document_entities
from kiemchung.ingest import Ingestor
from kiemchung.store import Database, progress
from kiemchung.store import schema as t

pytestmark = pytest.mark.pg_fulltext

PROVINCES = ("Hà Tĩnh", "Nghệ An", "Quảng Bình", "Thanh Hóa")


def _docs(writer: str, n: int):
    for i in range(n):
        yield make_doc(
            f"Tin {writer}-{i}: mưa lớn ở {PROVINCES[i % len(PROVINCES)]}",
            f"Người viết {writer}, bản tin số {i}, nước sông dâng cao ở {PROVINCES[(i + 1) % len(PROVINCES)]}.",
            url=f"https://{writer}.lamson.example/tin-{i}.html",
            day=1 + i % 27,
            source_name=("Báo Lam Sơn", "Đài Tây Hà")[i % 2],  # outlets both writers create at once
        )


def test_two_writers_and_a_stage_process_every_document_once(any_db):
    target = target_of(any_db)
    per_writer, errors, done = 60, [], threading.Event()

    def write(name: str) -> None:
        db = Database(target)
        try:
            ingestor = Ingestor(db, batch_size=3)  # many small transactions: many chances to interleave
            stats = ingestor.add(_docs(name, per_writer))
            assert stats.added == per_writer, stats
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            db.close()

    def stage() -> None:
        db = Database(target)
        try:
            runs = EntityStage(db, ner=False)
            while not done.is_set():
                runs.run(batch=4)
            runs.run(batch=4)  # what the writers committed last
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            db.close()

    writers = [threading.Thread(target=write, args=(name,)) for name in ("a", "b")]
    stager = threading.Thread(target=stage)
    stager.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=300)
    done.set()
    stager.join(timeout=300)
    assert not errors, errors

    with any_db.read() as conn:
        total = conn.execute(select(func.count()).select_from(t.documents)).scalar_one()
        top = conn.execute(select(func.max(t.documents.c.id))).scalar_one()
        # Every document has its provinces: none was stepped over by the marker.
        with_entities = conn.execute(select(func.count(func.distinct(document_entities.c.doc_id)))).scalar_one()
    assert total == 2 * per_writer
    done_row = next(p for p in progress.listing(any_db) if p.stage == progress.ENTITIES)
    assert done_row.processed == total  # each once: none skipped, none twice
    assert progress.last_doc_id(any_db, progress.ENTITIES) == top
    assert with_entities == total
    assert sorted(s.name for s in any_db.list_sources()) == ["Báo Lam Sơn", "Đài Tây Hà"]
