"""Web workbench latency under load: overview, search API, story page, document page, /healthz baseline.

Loads the RSS year (or part of it with --limit) into a database, or uses --db; starts the real server
(uvicorn on ``kiemchung.web.asgi:app_factory``, the same app ``kiemchung serve`` runs) in a subprocess
on loopback; drives it with ``wrk`` (a lean C load generator: Debian package ``wrk``), 20 keep-alive
connections for --seconds per endpoint, logged in (session cookie for pages, API token for the API).
Prints p50/p95/p99 per endpoint, the ratio of each p95 to the /healthz p95 measured in the same run, and
the server's CPU time per request (user + system of the server processes / requests answered: a figure
that other jobs on a shared machine disturb far less than latency).

    python benchmarks/bench_web.py --db bench-out/web-stories.db --seconds 30
    python benchmarks/bench_web.py --db bench-out/web-stories.db --seconds 10 --clients 20 1 --workers 2
    python benchmarks/bench_web.py --db bench-out/web-stories.db --profile bench-out/profile

The search API is measured twice. **Uncached** (the figure held against the target): every request
sends a query never sent before — thousands of distinct queries built from the titles of random
stored documents (2-syllable words, single syllables, quoted phrases, two words, OR; 40 % typed
without diacritics; one in six with a date range or kind filter), sent in order, each run taking its
own part of the pool, so the result cache can never answer. **Cached**: a fixed mix of 200 queries
(common and rare words, with and without diacritics, phrases, boolean operators, teencode, filters)
repeated at random for the whole run, i.e. mostly answered by the result cache. Story pages mix the
largest stories with small ones; document pages are 500 random documents. ``--generator python`` falls back to
an asyncio+httpx client (it competes with the server for CPU; only when wrk is missing).
``--profile DIR`` records the server with py-spy during each endpoint (collapsed stacks, one file each)
and prints the functions with the most samples.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from bench_ingest import stream_lines, to_document

from kiemchung import users as U
from kiemchung.errors import NotFoundError
from kiemchung.ingest import Ingestor
from kiemchung.store import Database
from kiemchung.store import schema as t

# Uncached search runs send each query once: the pool holds this many queries per second of a run.
DISTINCT_RATE = 1500

# Query material written for this benchmark (common news words, rare words, phrases); the mix is built
# from it deterministically so that every run sends the same 200 queries.
COMMON = [
    "giá vàng",
    "bão",
    "học sinh",
    "bóng đá",
    "thời tiết",
    "chứng khoán",
    "giao thông",
    "tai nạn",
    "bệnh viện",
    "xăng dầu",
    "bất động sản",
    "Hà Nội",
    "Quốc hội",
    "thủ tướng",
    "tỷ giá",
    "lãi suất",
    "ngân hàng",
    "điện",
    "nắng nóng",
    "mưa lớn",
    "cháy",
    "tuyển sinh",
    "ô tô",
    "du lịch",
    "giáo dục",
    "việc làm",
    "xuất khẩu",
    "công an",
    "sân bay",
    "đường sắt",
]
RARE = [
    "sầu riêng",
    "thanh long",
    "cá tra",
    "tôm hùm",
    "yến sào",
    "hồ tiêu",
    "nhãn lồng",
    "voọc",
    "sếu đầu đỏ",
    "rùa biển",
    "Sơn Đoòng",
    "Côn Đảo",
    "Lý Sơn",
    "khinh khí cầu",
    "thuyền buồm",
    "cờ vua",
    "bóng bàn",
    "đấu kiếm",
    "cải lương",
    "đờn ca tài tử",
    "thư pháp",
    "gốm Bát Tràng",
    "mắm tôm",
    "phở bò",
    "bánh chưng",
    "ông Công ông Táo",
    "kỳ lân",
    "san hô",
    "mưa đá",
    "lốc xoáy",
]
PHRASES = [
    "tai nạn giao thông",
    "giá vàng hôm nay",
    "học sinh tiểu học",
    "bảo hiểm xã hội",
    "đường cao tốc",
    "thị trường chứng khoán",
    "nắng nóng gay gắt",
    "sạt lở đất",
    "khởi tố vụ án",
    "trí tuệ nhân tạo",
]
BOOLEAN = [
    "bão OR lũ",
    "lũ | lụt",
    "sạt lở -đường",
    "(mưa OR bão) AND miền Trung",
    "vàng NOT USD",
    "xăng OR dầu OR điện",
    "cháy -rừng",
    '"giá vàng" OR "tỷ giá"',
    "học sinh -đại học",
    "(ô tô OR xe máy) tai nạn",
]
TEENCODE = [
    "hs ko dc nghi",
    "ko co dien",
    "dc tang luong",
    "bn tien",
    "ck giam",
    "j vay",
    "ng dan",
    "ko an toan",
]


def fold(value: str) -> str:
    """The query as typed without diacritics (through the project's text core)."""
    from kiemchung import text

    return text.fold(value)


def search_mix(source_ids: list[int], n: int = 200) -> list[str]:
    """A fixed mix of ``n`` search API paths (query strings URL-encoded)."""
    rnd = random.Random(2026)
    days = [
        ("2025-09-01", "2025-09-30"),
        ("2026-01-01", "2026-03-31"),
        ("2026-06-01", None),
        (None, "2025-12-31"),
    ]
    params: list[dict[str, str]] = []
    params += [{"q": q} for q in COMMON]  # 30 accented common
    params += [{"q": fold(q)} for q in COMMON]  # 30 folded common
    params += [{"q": q} for q in RARE]  # 30 accented rare
    params += [{"q": fold(q)} for q in RARE[:20]]  # 20 folded rare
    params += [{"q": f'"{p}"'} for p in PHRASES]  # 10 phrases
    params += [{"q": f'"{fold(p)}"'} for p in PHRASES]  # 10 folded phrases
    params += [{"q": b} for b in BOOLEAN]  # 10 boolean
    params += [{"q": q} for q in TEENCODE]  # 8 teencode
    while len(params) < n:  # filtered: date ranges, kind, source
        q = rnd.choice(COMMON + RARE + PHRASES)
        q = q if rnd.random() < 0.6 else fold(q)
        p = {"q": q}
        kind = rnd.randrange(3)
        if kind == 0 or (kind == 2 and not source_ids):
            since, until = rnd.choice(days)
            if since:
                p["since"] = since
            if until:
                p["until"] = until
        elif kind == 1:
            p["kind"] = "article"
        else:
            p["source"] = str(rnd.choice(source_ids))
        params.append(p)
    return ["/api/v1/search?" + urllib.parse.urlencode({**p, "limit": "20"}) for p in params[:n]]


def distinct_search_paths(db: Database, n: int, *, seed: int = 11) -> list[str]:
    """``n`` distinct search API paths built from the titles of random stored documents.

    Every request of an uncached run gets a query never sent before (so the result cache cannot
    answer it), in a realistic mix: 2-syllable words (the commonest Vietnamese word length) with and
    without diacritics, single syllables, quoted 3-syllable phrases, two words together, either of
    two words, and about one in six with a date range or a kind filter. Title syllables are taken
    through the project's text core; tokens with digits or punctuation are skipped.
    """
    from kiemchung import text

    rnd = random.Random(seed)
    d = t.documents
    from sqlalchemy import func, select

    with db.read() as conn:
        top = conn.execute(select(func.max(d.c.id))).scalar_one() or 0
        ids = sorted({rnd.randint(1, top) for _ in range(max(2000, n))}) if top else []
        titles = [
            r[0]
            for i in range(0, len(ids), 900)
            for r in conn.execute(select(d.c.title).where(d.c.id.in_(ids[i : i + 900])))
        ]
    rnd.shuffle(titles)
    words: list[list[str]] = []
    for title in titles:
        toks = [x for x in text.syllables(text.normalize(title), strip=False) if x.isalpha()]
        if len(toks) >= 3:
            words.append(toks)
    if not words:
        return []
    days = [
        ("2025-09-01", "2025-09-30"),
        ("2025-12-01", "2026-02-28"),
        ("2026-05-01", None),
        (None, "2025-10-31"),
    ]
    seen: set[str] = set()
    out: list[str] = []

    def gram(k: int, toks: list[str] | None = None) -> str:
        toks = toks or rnd.choice(words)
        i = rnd.randrange(0, max(1, len(toks) - k + 1))
        return " ".join(toks[i : i + k])

    tries = 0
    while len(out) < n and tries < 50 * n:
        tries += 1
        plain = rnd.random() < 0.4  # typed without diacritics
        r = rnd.random()
        if r < 0.45:
            parts = [gram(2)]
        elif r < 0.60:
            parts = [gram(1)]
        elif r < 0.75:
            parts = ['"' + gram(3) + '"']
        elif r < 0.90:  # two words of one title, not side by side
            toks = rnd.choice(words)
            parts = [gram(2, toks), rnd.choice(toks)]
        else:
            parts = [gram(2), "OR", gram(2)]
        q = " ".join(fold(x) if plain and x != "OR" else x for x in parts)
        p = {"q": q}
        if rnd.random() < 1 / 6:
            if rnd.random() < 0.7:
                since, until = rnd.choice(days)
                if since:
                    p["since"] = since
                if until:
                    p["until"] = until
            else:
                p["kind"] = "article"
        path = "/api/v1/search?" + urllib.parse.urlencode({**p, "limit": "20"})
        if path not in seen:
            seen.add(path)
            out.append(path)
    return out


def load(path: Path, limit: int | None) -> None:
    """Import the RSS year into ``path`` unless it already holds documents."""
    db = Database(path)
    if db.count_documents():
        return
    t0 = time.perf_counter()

    def docs():
        for line in stream_lines(limit):
            item = json.loads(line)
            yield to_document(item, line)

    Ingestor(db).add(docs())
    print(f"loaded {db.count_documents()} documents in {time.perf_counter() - t0:.0f}s")


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def story_mix(db: Database) -> list[int]:
    """Story ids: the 50 largest and 150 random small/medium ones (stories with at least 2 documents)."""
    from sqlalchemy import select
    from sqlalchemy.exc import OperationalError

    try:
        from kiemchung.stories.tables import stories
    except ImportError:
        return []
    with db.read() as conn:
        try:
            rows = conn.execute(
                select(stories.c.id, stories.c.doc_count)
                .where(stories.c.status != "merged", stories.c.doc_count >= 2)
                .order_by(stories.c.doc_count.desc())
            ).all()
        except OperationalError as exc:  # a database without the stories tables: no story page
            print(f"(no stories: {exc.orig})")
            return []
    if not rows:
        return []
    large = [r.id for r in rows[:50]]
    rest = [r.id for r in rows[50:]]
    small = random.Random(7).sample(rest, min(150, len(rest)))
    sizes = [r.doc_count for r in rows]
    print(
        f"stories with >= 2 documents: {len(rows)}; largest {sizes[0]}, median {statistics.median(sizes):.0f};"
        f" mix: 50 largest + {len(small)} random others"
    )
    return large + small


# ---------------------------------------------------------------------------------------------
# Load generators

LUA = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
%(auth)s
math.randomseed(%(seed)d)
local sequential = %(sequential)s
local i = 0
request = function()
  if sequential then
    i = i + 1
    if i > #paths then i = 1 end
    return wrk.format("GET", paths[i])
  end
  return wrk.format("GET", paths[math.random(#paths)])
end
done = function(summary, latency, requests)
  io.write(string.format(
    '\\nRESULT {"requests": %%d, "p50": %%.3f, "p95": %%.3f, "p99": %%.3f, "max": %%.3f, "non2xx": %%d, "errors": %%d}\\n',
    summary.requests, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def server_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its descendants (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += stats.get(p, (0, 0.0))[1]
        todo.extend(c for c, (ppid, _) in stats.items() if ppid == p)
    return total


def run_wrk(
    base: str,
    paths: list[str],
    seconds: float,
    clients: int,
    cookie: str,
    token: str,
    sequential: bool = False,
) -> dict:
    """One wrk run over ``paths`` (chosen at random per request, or each in turn when ``sequential``:
    then no path is sent twice unless the run outlasts the list); latency figures in ms."""
    # The API is called with a token, pages with the session cookie (as a browser does).
    auth = (
        f'wrk.headers["Authorization"] = "Bearer {token}"'
        if paths[0].startswith("/api/")
        else f'wrk.headers["Cookie"] = "{cookie}"'
    )
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(paths) + "\n")
        path_file = fh.name
    lua = LUA % {
        "paths": path_file,
        "auth": auth,
        "seed": 42,
        "sequential": "true" if sequential else "false",
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(lua)
        script = fh.name
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{clients}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                script,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script)
        os.unlink(path_file)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def run_python(
    base: str,
    paths: list[str],
    seconds: float,
    clients: int,
    cookie: str,
    token: str,
    sequential: bool = False,
) -> dict:
    """The same measurement with an asyncio+httpx client (shares the CPU with the server)."""
    order = iter(range(10**9))

    async def go() -> dict:
        times: list[float] = []
        bad = 0
        end = time.perf_counter() + seconds
        headers = {"Authorization": f"Bearer {token}"} if paths[0].startswith("/api/") else {"Cookie": cookie}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:

            async def worker(seed: int) -> None:
                nonlocal bad
                rnd = random.Random(seed)
                while time.perf_counter() < end:
                    t0 = time.perf_counter()
                    path = paths[next(order) % len(paths)] if sequential else rnd.choice(paths)
                    r = await client.get(path)
                    times.append((time.perf_counter() - t0) * 1000)
                    bad += r.status_code != 200

            await asyncio.gather(*(worker(i) for i in range(clients)))
        q = statistics.quantiles(times, n=100) if len(times) > 1 else times * 99
        return {
            "requests": len(times),
            "p50": q[49],
            "p95": q[94],
            "p99": q[98],
            "max": max(times),
            "non2xx": bad,
            "errors": 0,
        }

    return asyncio.run(go())


# ---------------------------------------------------------------------------------------------
# Profiling


def start_profile(pid: int, out: Path, seconds: float, workers: int) -> subprocess.Popen:
    """py-spy sampling the server (and its worker processes) into collapsed stacks."""
    cmd = [
        "py-spy",
        "record",
        "--pid",
        str(pid),
        "--format",
        "raw",
        "-o",
        str(out),
        "-d",
        str(int(seconds)),
        "-r",
        "50",
    ]
    if workers > 1:
        cmd.append("--subprocesses")
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


IDLE = ("(queue.py", "wait (threading.py", "select (selectors.py", "_run_once (")


def summarise_profile(path: Path, top: int = 12) -> None:
    """Print the functions present in the most samples (inclusive) from a collapsed-stack file."""
    if not path.exists():
        print(f"  (no profile written to {path})")
        return
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        count = int(n)
        if any(idle in stack for idle in IDLE):  # a thread waiting for work, not doing any
            continue
        total += count
        frames = [
            f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0].rsplit("/", 1)[-1] + ")"
            if " (" in f
            else f
            for f in stack.split(";")
        ]
        for f in set(frames):
            inclusive[f] += count
        own[frames[-1]] += count
    print(f"  profile {path.name}: {total} busy samples; top inclusive:")
    skip = (
        "<module>",
        "run (",
        "_run (",
        "_bootstrap",
        "worker (",
        "serve (",
        "main (",
        "run_until_complete",
        "run_forever",
        "invoke (",
        "__call__ (core.py",
        "_run_code",
    )
    shown = 0
    for f, c in inclusive.most_common():
        if any(s in f for s in skip):
            continue
        print(f"    {100 * c / total:5.1f}%  {f}")
        shown += 1
        if shown >= top:
            break
    print("  top own (self) time:")
    for f, c in own.most_common(8):
        print(f"    {100 * c / total:5.1f}%  {f}")


# ---------------------------------------------------------------------------------------------


def start_server(
    db_path: Path | str, port: int, workers: int, loop: str, http: str, search_cache: bool = True
) -> subprocess.Popen:
    """uvicorn on the ASGI factory ``kiemchung serve --workers N`` uses, on loopback."""
    env = dict(os.environ, KIEMCHUNG_DB=str(db_path))
    if not search_cache:
        env["KIEMCHUNG_SEARCH_CACHE_TTL"] = "0"
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "kiemchung.web.asgi:app_factory",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--loop",
        loop,
        "--http",
        http,
        "--no-access-log",
    ]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    return subprocess.Popen(cmd, env=env)


def main() -> None:
    """Load, serve, measure."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="bench-out/web.db",
                    help="SQLite file (the RSS year is imported into a new one), or a postgresql:// URL of a "
                         "populated store (e.g. made with kiemchung migrate-db)")
    ap.add_argument("--limit", type=int, default=None, help="import only this many RSS items (new database)")
    ap.add_argument("--seconds", type=float, default=30, help="per endpoint")
    ap.add_argument(
        "--clients", type=int, nargs="+", default=[20], help="concurrent connections (one run each)"
    )
    ap.add_argument("--workers", type=int, default=1, help="server processes")
    ap.add_argument("--loop", default="auto", help="uvicorn --loop (auto, asyncio, uvloop)")
    ap.add_argument("--http", default="auto", help="uvicorn --http (auto, h11, httptools)")
    ap.add_argument(
        "--generator", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python"
    )
    ap.add_argument(
        "--only", nargs="*", default=None, help="endpoints to run (healthz overview search story document)"
    )
    ap.add_argument(
        "--profile", type=Path, default=None, help="directory for py-spy profiles (one per endpoint)"
    )
    ap.add_argument(
        "--no-search-cache",
        action="store_true",
        help="server without the search result cache (cost of every query)",
    )
    args = ap.parse_args()
    if "://" not in args.db:
        args.db = Path(args.db)
        args.db.parent.mkdir(parents=True, exist_ok=True)
        load(args.db, args.limit)
    db = Database(args.db)
    try:
        U.get_user(db, "bench")
    except NotFoundError:
        U.add_user(db, "bench", "bench-password-1", "admin")
    token = U.create_token(db, "bench")
    from sqlalchemy import func, select

    with db.read() as conn:
        n = conn.execute(select(func.max(t.documents.c.id))).scalar_one()
        # Sources that have documents (the RSS year is imported without sources: then no source filter).
        d = t.documents
        source_ids = [
            r[0]
            for r in conn.execute(
                select(d.c.source_id).where(d.c.source_id.is_not(None)).group_by(d.c.source_id).limit(20)
            )
        ]
    story_ids = story_mix(db)
    doc_ids = [random.Random(i).randint(1, n) for i in range(500)]
    # Uncached search: a pool of distinct queries, consumed in order and never reused across runs
    # (warm-ups included), so the result cache never answers one of them; sized for up to
    # DISTINCT_RATE requests a second.
    want_search = args.only is None or "search" in args.only
    pool_size = (
        int(args.seconds * DISTINCT_RATE + 2 * DISTINCT_RATE) * len(args.clients) if want_search else 0
    )
    t0 = time.perf_counter()
    pool = distinct_search_paths(db, pool_size) if pool_size else []
    if pool:
        print(f"distinct search queries: {len(pool)} (built in {time.perf_counter() - t0:.1f}s)")
    endpoints = [
        ("healthz", "healthz (baseline)", ["/healthz"], None),
        ("overview", "overview page", ["/"], 150),
        ("search", "search API uncached", pool, 50),
        ("search", "search API cached", search_mix(source_ids), None),
        ("story", "story page", [f"/stories/{i}" for i in story_ids], 150),
        ("document", "document page", [f"/documents/{i}" for i in doc_ids], 150),
    ]
    endpoints = [
        e for e in endpoints if e[2] and (args.only is None or e[0] in args.only or e[0] == "healthz")
    ]
    port = free_port()
    proc = start_server(args.db, port, args.workers, args.loop, args.http, not args.no_search_cache)
    base = f"http://127.0.0.1:{port}"
    measure = run_wrk if args.generator == "wrk" else run_python
    try:
        for _ in range(1200):  # up to 120 s on a busy machine
            if proc.poll() is not None:
                raise SystemExit(f"server exited with code {proc.returncode}")
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        r = httpx.post(base + "/login", data={"username": "bench", "password": "bench-password-1"})
        cookie = f"kc_session={r.cookies['kc_session']}"
        print(
            f"documents: {db.count_documents()}, stories in mix: {len(story_ids)}, generator: {args.generator},"
            f" server: {args.workers} process(es), loop={args.loop} http={args.http},"
            f" search cache {'off' if args.no_search_cache else 'on'}, {args.seconds:.0f}s per endpoint"
        )
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        cursor = 0
        for clients in args.clients:
            print(f"\n{clients} concurrent client(s)")
            print(
                f"{'endpoint':20} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p95/base':>9} {'cpu ms':>7} target"
            )
            base_p95 = None
            for key, name, paths, target in endpoints:
                distinct = paths is pool
                if distinct:  # this run's own part of the pool: nothing sent before
                    warm, paths = (
                        pool[cursor : cursor + 2 * DISTINCT_RATE],
                        pool[cursor + 2 * DISTINCT_RATE :],
                    )
                    measure(base, warm, 2, min(clients, 5), cookie, token, True)
                else:
                    measure(base, paths, 2, min(clients, 5), cookie, token)  # warm up
                spy = None
                label = f"{key}{'-uncached' if distinct else ''}-{clients}.txt"
                if args.profile and key != "healthz":
                    spy = start_profile(proc.pid, args.profile / label, args.seconds, args.workers)
                cpu0 = server_cpu_seconds(proc.pid)
                res = measure(base, paths, args.seconds, clients, cookie, token, distinct)
                cpu_ms = 1000 * (server_cpu_seconds(proc.pid) - cpu0) / max(1, res["requests"])
                if distinct:
                    cursor += 2 * DISTINCT_RATE + res["requests"] + clients
                    repeats = max(0, res["requests"] - len(paths))
                    if repeats:
                        print(
                            f"  ({repeats} requests repeated a query: the pool ran out; raise DISTINCT_RATE)"
                        )
                if spy:
                    spy.wait(args.seconds + 30)
                base_p95 = base_p95 or res["p95"]
                verdict = (
                    "" if target is None else f"<= {target} {'OK' if res['p95'] <= target else 'MISSED'}"
                )
                bad = (
                    f"  ({res['non2xx']} non-2xx, {res['errors']} socket errors)"
                    if res["non2xx"] or res["errors"]
                    else ""
                )
                print(
                    f"{name:20} {res['requests']:8d} {res['requests'] / args.seconds:7.0f} {res['p50']:8.1f}"
                    f" {res['p95']:8.1f} {res['p99']:8.1f} {res['p95'] / base_p95:9.1f} {cpu_ms:7.2f} {verdict}{bad}",
                    flush=True,
                )
                if spy:
                    summarise_profile(args.profile / label)
    finally:
        proc.terminate()
        proc.wait(20)


if __name__ == "__main__":
    main()
