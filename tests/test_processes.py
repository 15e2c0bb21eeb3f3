"""kiemchung.processes: giving the C heap's free pages back to the system, CPU priority, and child processes
that end with their parent."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest
from survivors import marked_env, survivors

from kiemchung import processes

ROOT = Path(__file__).resolve().parent.parent


def test_trim_heap_runs_and_is_a_no_op_without_malloc_trim(monkeypatch):
    """On glibc ``trim_heap`` calls ``malloc_trim(0)``; where the C library has none (musl, macOS) or
    ``CDLL(None)`` cannot be opened (Windows) it does nothing, and the look-up is made once."""
    processes.trim_heap()  # the real C library of this machine (glibc on the CI's Linux)
    monkeypatch.setattr(processes, "_LIBC", {})
    calls = []

    def no_libc(name, *args, **kwargs):
        calls.append(name)
        raise TypeError("no library handle for None")

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert processes.trim_heap() is None
    assert processes._LIBC == {"malloc_trim": None}
    processes.trim_heap()  # looked up once: the failing CDLL is not called again
    assert calls == [None]
    assert processes.fixed_mmap_threshold() is False  # nothing to call: nothing changes


_WHERE_2_MB_GO = """
import sys
from kiemchung.processes import fixed_mmap_threshold
if sys.argv[1] == "fixed":
    assert fixed_mmap_threshold()
big = bytearray(16 << 20)  # mapped apart (over the default threshold), then freed:
del big                     # glibc's dynamic threshold rises to 16 MB
block = bytearray(2 << 20)
import ctypes
at = ctypes.addressof((ctypes.c_char * 1).from_buffer(block))
for line in open("/proc/self/maps"):
    span, *rest = line.split()
    lo, hi = (int(x, 16) for x in span.split("-"))
    if lo <= at < hi:
        print("heap" if rest[-1] == "[heap]" else "mapped")
"""


def test_a_fixed_mmap_threshold_maps_large_blocks_apart_after_larger_ones_were_freed():
    """glibc raises its mmap threshold when a mapped block is freed, so later blocks of a few MB come
    from the heap (and their holes stay resident); with :func:`fixed_mmap_threshold` they are still
    mapped apart (and go back to the system when freed). Each case in a fresh interpreter."""
    if processes._libc("mallopt") is None or not os.path.exists("/proc/self/maps"):
        pytest.skip("glibc's mallopt and /proc are needed")
    where = {
        case: subprocess.run([sys.executable, "-c", _WHERE_2_MB_GO, case], capture_output=True, text=True,
                             check=True).stdout.strip()
        for case in ("default", "fixed")
    }
    assert where == {"default": "heap", "fixed": "mapped"}


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


def _run_python(code: str) -> list[int]:
    """Run ``code`` in a fresh interpreter (a change of priority is for the whole process, so not in
    the test's own) and return the integers it prints."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return [int(x) for x in out.stdout.split()]


def test_lower_priority_lowers_it_for_the_block_and_goes_back_where_allowed():
    """Inside the block the process runs ``increment`` lower (niceness up, at most 19); after it, the
    priority is back where the process may raise it again (root, or RLIMIT_NICE) and stays lower where
    it may not; ``increment`` 0 changes nothing."""
    before, inside, applied, after, zero = _run_python(
        "import os\n"
        "from kiemchung.processes import lower_priority\n"
        "b = os.nice(0)\n"
        "with lower_priority(10) as applied:\n"
        "    i = os.nice(0)\n"
        "a = os.nice(0)\n"
        "with lower_priority(0) as z:\n"
        "    pass\n"
        "print(b, i, applied, a, z)\n"
    )
    assert inside == min(before + 10, 19) and applied == inside - before
    assert after in (before, inside)
    if os.geteuid() == 0:  # CI runs as root: allowed to go back
        assert after == before
    assert zero == 0


def test_an_ingest_followed_by_the_story_process_runs_below_it(tmp_path):
    """``Follower.ingesting``: while the import's own process ingests, its priority is lower than the
    story process's (``INGEST_NICE``), which was started at the import's original priority."""
    db_path = tmp_path / "f.db"
    follower_nice, ingest_nice, base = _run_python(
        "import os\n"
        "from kiemchung.pipeline import Follower, INGEST_NICE\n"
        "from kiemchung.store import Database\n"
        f"db = Database({str(db_path)!r})\n"
        "base = os.nice(0)\n"
        "f = Follower(db)\n"
        "with f.ingesting():\n"
        "    print(os.getpriority(os.PRIO_PROCESS, f._process.pid), os.nice(0), base)\n"
        "f.finish()\n"
    )
    assert follower_nice == base
    assert ingest_nice == min(base + 10, 19) > follower_nice or base == 19


def test_die_with_parent_exits_at_once_when_its_parent_is_already_gone():
    """A child told the pid of the process that started it exits as soon as it arms the parent-death
    signal if its parent is another process by then (it was left to init: the signal would never come);
    with its real parent, or with none given, it goes on."""
    code = "import os, sys\nfrom kiemchung.processes import die_with_parent\ndie_with_parent({})\nprint('alive')\n"
    gone = subprocess.run([sys.executable, "-c", code.format("os.getppid() + 100000")], capture_output=True,
                          text=True, timeout=60)
    assert (gone.returncode, gone.stdout) == (1, "")
    for parent in ("os.getppid()", "None"):
        ok = subprocess.run([sys.executable, "-c", code.format(parent)], capture_output=True, text=True, timeout=60)
        assert (ok.returncode, ok.stdout) == (0, "alive\n"), ok.stderr


# A process that starts one of kiemchung's own child processes, then dies without its exit handlers
# (killed) after ``wait`` seconds: 0, before the child's interpreter has even started
_STARTS_AND_DIES = """
import os, sys, time
from kiemchung.store import Database
kind, db, wait = sys.argv[1], Database(sys.argv[2]), float(sys.argv[3])
if kind == "feature helper":  # (its pool starts the worker with the first batch)
    from types import SimpleNamespace
    from kiemchung.stories.cluster import ClusterConfig
    from kiemchung.stories.service import _FeaturesAhead
    keep = _FeaturesAhead()
    keep.submit([SimpleNamespace(id=1, title="Lũ ở miền Trung", lead="", body="", kind="article")],
                ClusterConfig().field_weights())
elif kind == "story follower":
    from kiemchung.pipeline import Follower
    keep = Follower(db)
elif kind == "slow stages":
    from kiemchung.pipeline import SlowStages
    keep = SlowStages(db, pause_s=0.1).start()
time.sleep(wait)
os._exit(0)
"""


@pytest.mark.parametrize(("kind", "wait"), [("feature helper", 0), ("story follower", 0), ("slow stages", 0),
                                           ("slow stages", 3)])
def test_a_child_whose_parent_died_does_not_stay_behind(tmp_path, kind, wait):
    """kiemchung's child processes (the story stage's feature helper, the story process that follows an
    import, the background slow stages of ``serve``) arm their parent-death signal only once their
    interpreter has started. A parent killed before then had left them to init for good: the feature
    helper waited for work forever (seen after the CI's kill test of an import). The slow stages, a
    daemon, relied on their parent's exit handlers, which a killed parent never runs: they went on
    polling the database. Now none outlives its parent."""
    from kiemchung.store import Database

    db_path = tmp_path / "kc.db"
    Database(db_path).close()
    marker, env = marked_env(PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", _STARTS_AND_DIES, kind, str(db_path), str(wait)], env=env, timeout=120,
                   check=True)
    assert survivors(marker) == []


def test_bulk_collector_collects_a_batch_s_promoted_cycles_every_so_many_documents():
    """A cycle still alive when a young collection runs (mid-batch) is promoted, and with bulk_collector's
    rare collections nothing collected it afterwards (the import's ingest process grew by a batch's
    garbage again and again). ``stored(n)`` collects the younger generations once ``collect_every``
    documents were reported, and not before."""
    import gc
    import weakref

    class Batch:  # what a batch's statements reached: its keys, its rows
        pass

    with processes.bulk_collector(collect_every=1_000) as stored:
        batch = Batch()
        batch.me = batch  # a cycle
        gone = weakref.ref(batch)
        gc.collect(0)  # a young collection while the batch runs: promoted to the next generation
        del batch
        stored(600)
        assert gone() is not None  # (no collection yet, and none of the young generation frees it)
        gc.collect(0)
        assert gone() is not None
        stored(400)  # 1,000 documents: collected
        assert gone() is None
