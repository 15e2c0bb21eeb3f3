"""A census of memory in the processes of `kiemchung import` (benchmark-only: not part of the product).

Put this directory on PYTHONPATH (Python imports ``sitecustomize`` at start-up, in every process of the
import, spawned ones too) and set the variables below; without them it does nothing:

    PYTHONPATH=benchmarks/census KIEMCHUNG_CENSUS=/tmp/c/story KIEMCHUNG_CENSUS_MODE=text,reach \
        python benchmarks/bench_import.py --keep /tmp/c/run

``KIEMCHUNG_CENSUS=FILE``: the story process (the one that calls ``StoryStage._write``) writes a JSON
line to ``FILE.<pid>`` after every ``KIEMCHUNG_CENSUS_EVERY`` (10,000) documents: RSS and VmHWM, glibc's
``mallinfo2``, ``sqlite3_memory_used`` (every connection of the process), pymalloc's arenas and blocks
(``sys._debugmallocstats``), the collector's frozen objects; and, by ``KIEMCHUNG_CENSUS_MODE``
(comma-separated):

- ``text``: each text cache's entries and deep size (kiemchung.text's module dicts and memo's registry);
- ``reach`` (at the counts in ``KIEMCHUNG_CENSUS_REACH_AT``, default 20000,80000,150000): the summed
  ``sys.getsizeof`` of the objects reached from the clusterer, from the rest of the stage, and of every
  other object by type, with the three largest of each of the 8 largest types and who holds them;
- ``garbage``: the cyclic garbage the batches' ``gc.freeze`` kept out of the collections (collected
  with DEBUG_SAVEALL, then kept alive so that the run stays as it was, unless ``keep`` is also given);
- ``types``: objects by type, growth against the last census;
- ``attrs``: the deep size of each of the clusterer's structures (``benchmarks/story_memory.py``'s
  ``sizes``: the vocabulary, documents, stories, postings...) at every census;
- ``trace``: tracemalloc (``KIEMCHUNG_CENSUS_FRAMES`` frames) from the first census on, snapshots at
  ``KIEMCHUNG_CENSUS_TRACE_AT``, growth grouped by traceback (slow: the year does not fit in 8 minutes).

``KIEMCHUNG_CENSUS_INGEST=FILE`` (with ``KIEMCHUNG_CENSUS``): the import's own process writes, every
2,500 stored documents (a thread that reads the database), its RSS, glibc's and SQLite's figures,
``sys.getallocatedblocks()``, its objects over 1 MB, its (unfrozen, tracked) objects by type and each
text cache's entries; ``KIEMCHUNG_CENSUS_INGEST_TRACE=A,B``: tracemalloc from A stored documents to B,
the 25 largest growths by traceback in ``FILE.trace.<pid>``.

The census's own work (walks, snapshots) changes the measured process's memory and time: read the
figures of these runs for what they show, and the per-block peaks of runs without it for the product.
"""
import os
import sys

_FILE = os.environ.get("KIEMCHUNG_CENSUS")
if _FILE:
    import importlib.abc
    import importlib.util

    MODES = set(os.environ.get("KIEMCHUNG_CENSUS_MODE", "").split(","))
    TRACE_AT = {int(x) for x in os.environ.get("KIEMCHUNG_CENSUS_TRACE_AT", "").split(",") if x}

    EVERY = int(os.environ.get("KIEMCHUNG_CENSUS_EVERY", "10000"))
    _state = {"docs": 0, "next": EVERY, "snap": None, "types": None, "hold": []}

    def _status():
        out = {}
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(("VmRSS", "VmHWM", "RssAnon", "RssFile")):
                    k, v = line.split(":")
                    out[k] = int(v.split()[0]) / 1024
        return out

    def _mallinfo():
        import ctypes
        class MI2(ctypes.Structure):
            _fields_ = [(n, ctypes.c_size_t) for n in
                        ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
        libc = ctypes.CDLL(None)
        libc.mallinfo2.restype = MI2
        m = libc.mallinfo2()
        return {k: round(getattr(m, k) / 2**20, 2) for k in ("arena", "hblkhd", "uordblks", "fordblks", "keepcost")}

    def _sqlite():
        import ctypes
        lib = ctypes.CDLL("libsqlite3.so.0")
        lib.sqlite3_memory_used.restype = ctypes.c_int64
        lib.sqlite3_memory_highwater.restype = ctypes.c_int64
        return {"used": round(lib.sqlite3_memory_used() / 2**20, 2), "high": round(lib.sqlite3_memory_highwater(1) / 2**20, 2)}

    def _pymalloc():
        import re
        import tempfile
        # sys._debugmallocstats writes to C stderr: capture through a temp file on fd 2
        fd = os.dup(2)
        with tempfile.TemporaryFile() as tmp:
            os.dup2(tmp.fileno(), 2)
            try:
                sys._debugmallocstats()
            finally:
                os.dup2(fd, 2)
                os.close(fd)
            tmp.seek(0)
            text = tmp.read().decode()
        out = {}
        for key in ("arenas allocated current", "bytes in allocated blocks", "bytes in available blocks",
                    "bytes in unused pools"):
            m = re.search(r"# " + key + r"\s*=\s*([\d,]+)", text)
            if m:
                v = int(m.group(1).replace(",", ""))
                out[key] = v if key.startswith("arenas") else round(v / 2**20, 2)
        return out

    def _census(stage):
        import collections
        import gc
        import json
        import time
        rec = {"docs": _state["docs"], "t": time.time(), "status": _status(), "malloc": _mallinfo(),
               "sqlite": _sqlite(), "freeze": gc.get_freeze_count(), "pymalloc": _pymalloc()}
        if "garbage" in MODES:
            rec["young"] = gc.collect()  # what the batch's own collection would find
        if "garbage" in MODES or "types" in MODES:
            gc.unfreeze()
        if "garbage" in MODES:
            gc.set_debug(gc.DEBUG_SAVEALL)
            rec["collected"] = gc.collect()
            gc.set_debug(0)
            cnt = collections.Counter()
            size = collections.Counter()
            for o in gc.garbage:
                n = type(o).__qualname__
                cnt[n] += 1
                size[n] += sys.getsizeof(o)
            rec["garbage"] = {n: [cnt[n], size[n]] for n, _ in size.most_common(25)}
            rec["garbage_bytes"] = sum(size.values())
            if "keep" not in MODES:
                _state["hold"].append(list(gc.garbage))  # keep the run's memory as it was
            gc.garbage.clear()
            rec["status_after"] = _status()
        if "types" in MODES:
            cnt = collections.Counter()
            size = collections.Counter()
            for o in gc.get_objects():
                n = type(o).__qualname__
                cnt[n] += 1
                size[n] += sys.getsizeof(o)
            prev = _state["types"] or {}
            cur = {n: (cnt[n], size[n]) for n in cnt}
            diff = sorted(((cur[n][1] - prev.get(n, (0, 0))[1], n) for n in cur), reverse=True)[:25]
            rec["types"] = {n: [cur[n][0] - prev.get(n, (0, 0))[0], d] for d, n in diff}
            _state["types"] = cur
        if "garbage" in MODES or "types" in MODES:
            gc.freeze()
        if "text" in MODES:
            rec["text"] = _text_caches()
        if "reach" in MODES and _state["docs"] in REACH_AT:
            rec["reach"] = _reach_census(stage)
        if "attrs" in MODES:
            rec["attrs"] = _attrs_census(stage)
        import tracemalloc
        if "trace" in MODES and not tracemalloc.is_tracing():
            tracemalloc.start(int(os.environ.get("KIEMCHUNG_CENSUS_FRAMES", "6")))
        elif "trace" in MODES and (not TRACE_AT or _state["docs"] in TRACE_AT):
            snap = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)])
            rec["traced"] = round(tracemalloc.get_traced_memory()[0] / 2**20, 2)
            if _state["snap"] is not None:
                stats = _diff(snap.statistics("traceback"), _state["snap"])
                rec["trace"] = [[round(s.size_diff / 2**20, 3), s.count_diff, [f"{f.filename.split('site-packages/')[-1].split('wt-ingest/')[-1]}:{f.lineno}" for f in s.traceback]]
                                for s in stats[:30]]
            _state["snap"] = snap.statistics("traceback")  # grouped: the snapshot's traces go
            del snap
        with open(f"{_FILE}.{os.getpid()}", "a") as fh:
            fh.write(json.dumps(rec) + "\n")

    class _D:
        def __init__(self, traceback, size_diff, count_diff):
            self.traceback, self.size_diff, self.count_diff = traceback, size_diff, count_diff

    def _diff(new, old):
        o = {s.traceback: s for s in old}
        out = []
        for s in new:
            p = o.pop(s.traceback, None)
            out.append(_D(s.traceback, s.size - (p.size if p else 0), s.count - (p.count if p else 0)))
        for p in o.values():
            out.append(_D(p.traceback, -p.size, -p.count))
        out.sort(key=lambda d: -abs(d.size_diff))
        return out

    def _deep(obj, seen):
        total, todo = 0, [obj]
        while todo:
            o = todo.pop()
            if id(o) in seen:
                continue
            seen.add(id(o))
            total += sys.getsizeof(o)
            if isinstance(o, dict):
                todo.extend(o.keys())
                todo.extend(o.values())
            elif isinstance(o, (list, tuple, set, frozenset)):
                todo.extend(o)
        return total

    def _text_caches():
        out = {}
        seen = set()
        for name in ("kiemchung.text.core", "kiemchung.text.syllable", "kiemchung.text.mojibake", "kiemchung.text.memo"):
            mod = sys.modules.get(name)
            if mod is None:
                continue
            for k, v in vars(mod).items():
                if isinstance(v, dict) and len(v) > 100:
                    out[f"{name.rsplit('.', 1)[1]}.{k}"] = [len(v), round(_deep(v, seen) / 2**20, 2)]
                elif hasattr(v, "cache_info"):
                    out[f"{name.rsplit('.', 1)[1]}.{k}()"] = [v.cache_info().currsize, None]
                elif isinstance(v, (list, tuple)) and v and len(v) < 50:  # registries of caches
                    for j, c in enumerate(v):
                        for attr in ("new", "old", "cache", "_new", "_old"):
                            d = getattr(c, attr, None) if not isinstance(c, dict) else (c if attr == "cache" else None)
                            if isinstance(d, dict):
                                out[f"{name.rsplit('.', 1)[1]}.{k}[{j}].{attr}"] = [len(d), round(_deep(d, seen) / 2**20, 2)]
        return out

    REACH_AT = {int(x) for x in os.environ.get("KIEMCHUNG_CENSUS_REACH_AT", "20000,80000,150000").split(",") if x}

    def _walk(roots, seen, stop):
        import gc
        todo = list(roots)
        got = []
        while todo:
            o = todo.pop()
            i = id(o)
            if i in seen:
                continue
            if isinstance(o, stop):
                continue
            seen.add(i)
            got.append(o)
            todo.extend(gc.get_referents(o))
        return got

    def _describe(o):
        t = type(o).__qualname__
        if isinstance(o, dict):
            ks = list(o)[:3]
            return f"dict[{len(o)}] keys {ks!r}"[:160]
        if isinstance(o, (list, tuple, set)):
            return f"{t}[{len(o)}] {list(o)[:2]!r}"[:160]
        if isinstance(o, str):
            return f"str {o[:40]!r}"
        return t

    def _chain(o, depth=5):
        import gc
        import types
        out = []
        for _ in range(depth):
            skip = _state.get("skip", ())
            refs = [r for r in gc.get_referrers(o) if not isinstance(r, types.FrameType) and r is not _state and id(r) not in skip]
            if not refs:
                break
            o = refs[0]
            out.append(_describe(o))
            if isinstance(o, types.ModuleType) or (isinstance(o, dict) and "__name__" in o):
                out.append(str(o.get("__name__")) if isinstance(o, dict) else o.__name__)
                break
        return out

    def _attrs_census(stage):
        # the deep size of each of the clusterer's structures, each object once, in one order (as
        # benchmarks/story_memory.py: its sizes())
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # benchmarks/
        if here not in sys.path:
            sys.path.insert(0, here)
        from story_memory import sizes

        return sizes(stage)

    def _reach_census(stage):
        import collections
        import gc
        import types
        t0 = __import__("time").time()
        stop = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.CodeType, types.MethodType)
        gc.unfreeze()
        seen = set()
        clus = _walk([stage._clusterer], seen, stop)
        other = _walk([stage], seen, stop)
        size_c = sum(map(sys.getsizeof, clus))
        size_o = sum(map(sys.getsizeof, other))
        del clus, other
        # every other object: the gc's tracked ones and the untracked objects they hold directly
        cnt = collections.Counter()
        size = collections.Counter()
        big = {}
        mine = {id(seen), id(cnt), id(size), id(big)}
        for o in gc.get_objects():
            if id(o) in mine:
                continue
            for x in (o, *gc.get_referents(o)):
                i = id(x)
                if i in seen or isinstance(x, stop) or (x is not o and gc.is_tracked(x)):
                    continue
                seen.add(i)
                n = type(x).__qualname__
                b = sys.getsizeof(x)
                cnt[n] += 1
                size[n] += b
                lst = big.setdefault(n, [])
                if len(lst) < 3 or b > lst[-1][0]:
                    lst.append((b, x))
                    lst.sort(key=lambda e: -e[0])
                    del lst[3:]
        out = {"clusterer": round(size_c / 2**20, 2), "stage_other": round(size_o / 2**20, 2),
               "unreached": {n: [cnt[n], round(size[n] / 2**20, 2)] for n, _ in size.most_common(20)},
               "seconds": round(__import__("time").time() - t0, 1)}
        del seen
        picks = [[n, b, x] for n, _ in size.most_common(8) for b, x in big[n]]
        big.clear()
        _state["skip"] = {id(picks), *map(id, picks)}
        out["samples"] = []
        while picks:
            n, b, x = picks.pop(0)
            out["samples"].append([n, b, _describe(x), _chain(x)])
            del x
        gc.freeze()
        return out

    def _patch(mod):
        Stage = mod.StoryStage
        orig = Stage._write

        def _write(self, doc_ids, *a, **k):
            ok = orig(self, doc_ids, *a, **k)
            if ok:
                _state["docs"] += len(doc_ids)
                if _state["docs"] >= _state["next"]:
                    _state["next"] += EVERY
                    _census(self)
            return ok
        Stage._write = _write

    class _Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name != "kiemchung.stories.service":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            sys.meta_path.insert(0, self)
            loader = spec.loader
            orig_exec = loader.exec_module

            def exec_module(module):
                orig_exec(module)
                _patch(module)
            loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, _Finder())

_INGEST = os.environ.get("KIEMCHUNG_CENSUS_INGEST")
if _INGEST and not _FILE:
    raise SystemExit("KIEMCHUNG_CENSUS_INGEST needs KIEMCHUNG_CENSUS (its helpers)")
if _INGEST and "import" in sys.argv and "--db" in sys.argv:
    import threading

    _ING_TRACE = [int(x) for x in os.environ.get("KIEMCHUNG_CENSUS_INGEST_TRACE", "").split(",") if x]
    _ing: dict = {}

    def _ingest_watch(db):
        import gc
        import json
        import sqlite3
        import time
        conn = None
        last = -1
        while True:
            time.sleep(1.0)
            try:
                if conn is None:
                    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2)
                n = conn.execute("SELECT max(id) FROM documents").fetchone()[0] or 0
            except Exception:
                conn = None
                continue
            if n // 2500 == last:
                continue
            last = n // 2500
            if _ING_TRACE:  # tracemalloc from the first count to the second, growth by traceback
                import tracemalloc
                if n >= _ING_TRACE[0] and not tracemalloc.is_tracing() and "snap" not in _ing:
                    tracemalloc.start(8)
                    _ing["snap"] = tracemalloc.take_snapshot()
                elif n >= _ING_TRACE[1] and tracemalloc.is_tracing():
                    snap = tracemalloc.take_snapshot()
                    tracemalloc.stop()
                    top = snap.compare_to(_ing.pop("snap"), "traceback")[:25]
                    with open(f"{_INGEST}.trace.{os.getpid()}", "w") as fh:
                        for st in top:
                            fh.write(f"{st.size_diff / 2**20:.2f} MB {st.count_diff} objects\n")
                            for fr in st.traceback:
                                fh.write(f"    {fr.filename}:{fr.lineno}\n")
                    _ing["snap"] = None
            big = []
            kinds = {}
            for o in gc.get_objects():
                k = type(o).__qualname__
                kinds[k] = kinds.get(k, 0) + 1
                try:
                    b = sys.getsizeof(o)
                except Exception:
                    continue
                if b > 1_000_000:
                    d = type(o).__qualname__
                    if isinstance(o, (dict, set, list)):
                        d += f"[{len(o)}] " + repr(list(o)[:2])[:100] if not isinstance(o, dict) else f"[{len(o)}] " + repr(list(o.items())[:1])[:100]
                    big.append([round(b / 2**20, 2), d])
            big.sort(reverse=True)
            with open(f"{_INGEST}.{os.getpid()}", "a") as fh:
                fh.write(json.dumps({"docs": n, "t": time.time(), "status": _status(), "sqlite": _sqlite(), "malloc": _mallinfo(),
                                     "blocks": sys.getallocatedblocks(), "big": big[:3],
                                     "kinds": dict(sorted(kinds.items(), key=lambda e: -e[1])[:25]),
                                     "memo": [[c.name, len(c.new), len(c.old), c.cap] for c in getattr(sys.modules.get("kiemchung.text.memo"), "CACHES", [])]}, ensure_ascii=False) + "\n")

    threading.Thread(target=_ingest_watch, args=(sys.argv[sys.argv.index("--db") + 1],), daemon=True).start()
