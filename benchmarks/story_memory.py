"""Where the story process's memory goes over one import, block by block.

    python benchmarks/story_memory.py DIR/kiemchung.db [--block 10000] [--no-sizes] [--work DIR2]

Takes the database of an import (``benchmarks/bench_import.py --keep DIR`` leaves one), copies it,
empties the story tables of the copy and runs the story stage over its documents as the import's
story process does (batches of 1,000, the import's lean SQLite connections, its text caches' bound
and its fixed mmap threshold; the features are computed in this process, without the helper, so the
RSS is not the import's: the structures are the same; with ``--follow`` the run is the import's, the
features in the helper process, the vocabulary and the packed documents on disk,
``StoryClusterer.spill``).
After every block of documents it prints one JSON line: the RSS and its peak in the block (VmHWM,
reset through ``/proc/self/clear_refs``), the deep size in MB of each structure of the clusterer
(``sys.getsizeof`` over ``gc.get_referents``, each object counted once, in a fixed order; skipped
with ``--no-sizes``, which is faster), the stage's summaries' cache, and what the allocators hold
(CPython's arenas from ``sys._debugmallocstats``, glibc's heap from ``mallinfo2``). The last line
is taken after the final save. Not timed: run it niced, outside the benchmark lock.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import re
import shutil
import sys
import tempfile
import time
import types
from pathlib import Path

from sqlalchemy import text

ORDER = ["_docs", "_stories", "_by_sid", "_terms", "_df", "_series", "_occurrences", "_postings", "_dormant_days",
         "_recent", "_heap", "_informal", "_outbox", "_held", "_top_terms", "_slabs", "_slab_members", "_warm",
         "_alias", "_semantic", "_parts"]
SKIP = (types.FunctionType, types.MethodType, types.BuiltinFunctionType, types.ModuleType, type)
STORY_TABLES = ("story_documents", "story_keywords", "stories", "cluster_state", "story_vectors", "story_edits")


def status() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in MB."""
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS", "VmHWM")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) // 1024
    return out


def reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


class _MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def allocators() -> dict[str, float]:
    """MB held by glibc's heap (used, free, mmapped) and by CPython's small-object arenas."""
    out: dict[str, float] = {}
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        mi = libc.mallinfo2()
        out.update(glibc_used=round(mi.uordblks / 2**20, 1), glibc_free=round(mi.fordblks / 2**20, 1),
                   glibc_mmap=round(mi.hblkhd / 2**20, 1))
    except (OSError, AttributeError):  # not glibc
        pass
    with tempfile.TemporaryFile("w+") as tmp:  # _debugmallocstats writes to the C stderr
        saved = os.dup(2)
        sys.stderr.flush()
        os.dup2(tmp.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        report = tmp.read()
    for label, key in (("# arenas allocated current", "py_arenas_mb"), ("# bytes in allocated blocks", "py_used"),
                       ("# bytes in available blocks", "py_free_blocks"), ("unused pools", "py_unused_pools")):
        m = re.search(re.escape(label) + r".*?=\s*([\d,]+)", report)
        if m:
            v = int(m.group(1).replace(",", ""))
            out[key] = v if key == "py_arenas_mb" else round(v / 2**20, 1)  # (arenas of 1 MiB)
    return out


def deep_size(obj: object, seen: set[int]) -> int:
    total, stack = 0, [obj]
    while stack:
        o = stack.pop()
        if id(o) in seen or isinstance(o, SKIP):
            continue
        seen.add(id(o))
        total += sys.getsizeof(o)
        stack.extend(gc.get_referents(o))
    return total


def sizes(stage) -> dict[str, float | int]:
    c = stage.clusterer
    seen = {id(c), id(c.config)}
    out: dict[str, float | int] = {}
    for name in ORDER:
        if hasattr(c, name):
            out[name] = round(deep_size(getattr(c, name), seen) / 1e6, 1)
    out["stage._summaries"] = round(deep_size(stage._summaries, seen) / 1e6, 1)
    out["stories"] = len(c._stories)
    out["active"] = sum(1 for s in c._stories.values() if s.active)
    out["terms"] = len(c._terms)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("database", type=Path, help="an import's SQLite database (bench_import.py --keep DIR)")
    ap.add_argument("--work", type=Path, default=None, help="directory for the copy (default: a temporary one)")
    ap.add_argument("--block", type=int, default=10_000)
    ap.add_argument("--no-sizes", action="store_true", help="no deep sizes of the structures (faster)")
    ap.add_argument("--follow", action="store_true",
                    help="as following an import: the features in the helper process, the vocabulary and "
                         "packed documents on disk")
    args = ap.parse_args()

    from kiemchung.pipeline import FOLLOWER_TEXT_CACHE
    from kiemchung.processes import fixed_mmap_threshold
    from kiemchung.store.backends.sqlite import lean_connections
    from kiemchung.store.database import Database
    from kiemchung.stories.service import StoryStage
    from kiemchung.text.core import limit_caches

    # as the import's story process starts (kiemchung.pipeline._follow): before session 20 this ran with
    # the text caches' default bound, never reached, and its RSS grew with them
    fixed_mmap_threshold()
    limit_caches(FOLLOWER_TEXT_CACHE)

    work = args.work or Path(tempfile.mkdtemp(prefix="kc-story-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    copy = work / "stories.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copy(args.database, copy)
    with lean_connections():
        db = Database(copy)
        with db.write() as conn:
            for table in STORY_TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
        stage = StoryStage(db)
        done, next_at, t0 = 0, args.block, time.time()

        def report(**extra: object) -> None:
            line = {"documents": done, "s": round(time.time() - t0, 1), **status(), **allocators(), **extra}
            if not args.no_sizes:
                line.update(sizes(stage))
            print(json.dumps(line), flush=True)
            reset_peak()

        def progress(n: int) -> None:
            nonlocal done, next_at
            done += n
            if done >= next_at:
                next_at += args.block
                report()

        gc.collect()
        reset_peak()
        stage.run(batch=1000, progress=progress, until=(lambda: True) if args.follow else None)
        report(final=True)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
