"""kiemchung.processes: giving the C heap's free pages back to the system."""

from __future__ import annotations

import ctypes

from kiemchung import processes


def test_trim_heap_runs_and_is_a_no_op_without_malloc_trim(monkeypatch):
    """On glibc ``trim_heap`` calls ``malloc_trim(0)``; where the C library has none (musl, macOS) or
    ``CDLL(None)`` cannot be opened (Windows) it does nothing, and the look-up is made once."""
    processes.trim_heap()  # the real C library of this machine (glibc on the CI's Linux)
    monkeypatch.setattr(processes, "_TRIM", [])

    def no_libc(name, *args, **kwargs):
        raise TypeError("no library handle for None")

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert processes.trim_heap() is None
    assert processes._TRIM == [None]
    processes.trim_heap()  # looked up once: the failing CDLL is not called again
    assert processes._TRIM == [None]


def test_the_story_stage_gives_heap_pages_back_after_every_batch(tmp_path, monkeypatch):
    """The story stage returns the C heap's free pages after every batch it assigns (after a save as
    before, and after the other batches too), and the stories are those of a stage that does not."""
    from factories import make_doc

    from kiemchung.ingest import Ingestor
    from kiemchung.store import Database
    from kiemchung.stories import service
    from kiemchung.stories.service import StoryStage, story_of_document

    titles = ["Lũ sông Lam dâng cao, Tây Hà sơ tán 300 hộ dân", "Tây Hà khẩn cấp sơ tán dân vì lũ sông Lam",
              "Khánh thành cầu Bến Đá nối Tây Hà và Đông Hà", "Cầu Bến Đá thông xe, nối Đông Hà về Tây Hà",
              "Lũ sông Lam: 300 hộ ở Tây Hà phải sơ tán"]
    calls = []
    monkeypatch.setattr(service, "trim_heap", lambda: calls.append(1))
    stories = []
    for trim in (True, False):
        monkeypatch.setattr(service, "TRIM_EACH_BATCH", trim)
        calls.clear()
        db = Database(tmp_path / f"kc-{trim}.db")
        Ingestor(db).add([make_doc(t, t, url=f"https://lamson.example/{i}", day=3 + i % 2) for i, t in enumerate(titles)])
        assert StoryStage(db).run(batch=2) == 5
        assert len(calls) >= (3 if trim else 0)  # three batches of at most 2 documents
        stories.append([story_of_document(db, i).id for i in range(1, 6)])
        db.close()
    assert stories[0] == stories[1]
