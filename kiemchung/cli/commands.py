"""Monitoring commands: database, sources, fetching, imports, search, export, demo."""

from __future__ import annotations

import json
import os
import sys
import threading
from contextlib import nullcontext
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from kiemchung import timeutil
from kiemchung.cli.app import app, console, console_err, open_db, render_snippet, state
from kiemchung.errors import ConfigError
from kiemchung.labels import label
from kiemchung.models import Source

sources_app = typer.Typer(help="Quản lý nguồn tin (manage sources).", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
settings_app = typer.Typer(help="Cài đặt của bản cài đặt này (installation settings).", no_args_is_help=True)
app.add_typer(settings_app, name="settings")


def _progress():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console_err,
        transient=False,
    )


def _parse_date(value: str | None, name: str):
    return timeutil.parse_day_or_time(value, name)


@app.command()
def init() -> None:
    """Tạo hoặc nâng cấp cơ sở dữ liệu (create or upgrade the database)."""
    with open_db() as db:
        console.print(f"Cơ sở dữ liệu: [bold]{db.shown_url}[/] (phiên bản lược đồ {db.schema_revision()})")


# -- sources ----------------------------------------------------------------------------------


@sources_app.command("add")
def sources_add(
    url: str = typer.Argument(..., help="URL của nguồn (source URL); nguồn RSS/Atom nhận cả file://"),
    name: str = typer.Option("", "--name", help="Tên hiển thị (display name)."),
    interval: int = typer.Option(900, "--interval", help="Chu kỳ lấy tin, giây (poll interval, seconds)."),
    kind: str = typer.Option(
        "feed", "--kind", help="Loại nguồn, xem `kiemchung sources kinds` (source kind: feed, web, sitemap, …)."
    ),
    since: str = typer.Option(
        "", "--since", help="telegram: lấy lùi tới ngày này, dd/mm/yyyy hoặc YYYY-MM-DD (page back to this day)."
    ),
) -> None:
    """Thêm một nguồn thuộc bất kỳ loại nào (add a source of any registered kind)."""
    from kiemchung.sources.connectors import connector_class

    cls = connector_class(kind)
    url = cls.check_url(url, local_files=True)
    meta = cls.start_meta(since, field="--since")
    with open_db() as db:
        if not url.startswith("file://"):
            from kiemchung.netguard import AddressPolicy

            AddressPolicy.from_db(db).check_url(url)
        from kiemchung.audit import cli_actor

        src = db.add_source(Source(kind=kind, url=url, name=name, poll_interval_s=interval, meta=meta),
                            actor=cli_actor())
    console.print(f"Đã thêm nguồn #{src.id}: {src.name} ({src.url})")


@sources_app.command("kinds")
def sources_kinds(
    labels: bool = typer.Option(False, "--labels", help="Kèm nhãn và mô tả (with labels and help)."),
) -> None:
    """Các loại nguồn có thể thêm, mỗi dòng một loại (registered source kinds, one a line)."""
    from kiemchung.labels import bilingual
    from kiemchung.sources.connectors import connector_class, kinds

    for kind in kinds():
        if labels:
            print(f"{kind}\t{bilingual('source_kind', kind)}\t{connector_class(kind).help}")
        else:
            print(kind)


@sources_app.command("list")
def sources_list() -> None:
    """Liệt kê các nguồn (list sources)."""
    with open_db() as db:
        rows = db.list_sources()
    table = Table("#", "Loại", "Tên", "URL", "Tài liệu", "Trạng thái")
    for s in rows:
        table.add_row(str(s.id), s.kind, s.name, s.url, str(s.meta.get("documents_added", 0)), _health(s))
    console.print(table)


def _health(s: Source) -> str:
    if s.consecutive_failures == 0:
        return "[green]tốt[/]" if s.last_success_at else "chưa lấy"
    kind = "lỗi tạm thời" if s.failure_kind == "soft" else "lỗi cần xử lý"
    return f"[red]{kind}[/] ×{s.consecutive_failures}"


@sources_app.command("remove")
def sources_remove(ref: str = typer.Argument(..., help="Số, URL hoặc tên nguồn (id, URL or name).")) -> None:
    """Xoá một nguồn; các tài liệu đã lưu được giữ lại (remove a source; its documents stay)."""
    from kiemchung.audit import cli_actor

    with open_db() as db:
        src = db.remove_source(ref, actor=cli_actor())
    console.print(f"Đã xoá nguồn #{src.id}: {src.name}")


@sources_app.command("health")
def sources_health() -> None:
    """Tình trạng các nguồn: lần thành công cuối, lỗi cuối, số lần lỗi liên tiếp (source health)."""
    from kiemchung.sources.silence import silent_sources

    with open_db() as db:
        rows = db.list_sources()
        quiet = silent_sources(db)
    table = Table("#", "Tên", "Loại", "Thành công cuối", "Lỗi cuối", "Liên tiếp", "Loại lỗi", "Lý do",
                  "Vấn đề lần lấy cuối (last poll's problems)")
    for s in rows:
        table.add_row(
            str(s.id),
            s.name,
            label("source_kind", s.kind),
            timeutil.fmt_local(s.last_success_at) or _never(s),
            (s.last_error or "")[:80],
            str(s.consecutive_failures),
            {"soft": "tạm thời (soft)", "hard": "cần xử lý (hard)"}.get(s.failure_kind or "", ""),
            s.meta.get("last_error_reason") or "",
            s.last_problem or "",
        )
    console.print(table)
    _print_silences(quiet)


def _never(s: Source) -> str:
    """"never fetched" for a source no poll has reached yet (e.g. just loaded from the starter directory)."""
    if s.last_success_at or s.consecutive_failures or s.last_error:
        return ""
    vi, en = label("source_health", "never"), label("source_health", "never", "en")
    return f"{vi} ({en})"


def _print_silences(quiet) -> None:
    """Sources whose volume fell well below their own baseline (kiemchung.sources.silence)."""
    if not quiet:
        console.print("Không nguồn nào im lặng bất thường (no source has gone quiet).")
        return
    console.print("[bold yellow]Nguồn im lặng bất thường (sources gone quiet)[/] — ít hơn nhiều so với mức thường ngày:")
    for q in quiet:
        seen = timeutil.fmt_local(q.last_seen) if q.last_seen else "chưa có"
        console.print(f"  #{q.source_id} {escape(q.name)}: im lặng từ (quiet since) {q.quiet_since:%d/%m/%Y}; "
                      f"{q.observed} tài liệu trong {q.days} ngày, thường ~{q.expected:.0f}; tin cuối (last item) {seen}",
                      highlight=False)


# -- fetching ---------------------------------------------------------------------------------


def _report_poll(res) -> None:
    if res.error:
        console_err.print(f"[red]✗[/] {res.source.name}: {res.error}", highlight=False)
    elif res.not_modified:
        console.print(f"[dim]= {res.source.name}: không có gì mới (304)[/]")
    else:
        st = res.stats
        console.print(
            f"[green]✓[/] {res.source.name}: {res.fetched} mục, {st.added} mới, {st.existing} đã có, "
            f"{st.exact_duplicates + st.near_duplicates} trùng lặp"
        )
    if res.problems:
        console_err.print(
            f"[yellow]![/] {res.source.name}: {len(res.problems)} vấn đề (problems): {res.problems[0]}", highlight=False
        )


@app.command()
def fetch(
    source: str | None = typer.Option(None, "--source", help="Chỉ lấy một nguồn (only this source)."),
    full_text: int | None = typer.Option(
        None, "--full-text", help="Tải trang đầy đủ khi tóm tắt ngắn hơn N ký tự (fetch pages of short items)."
    ),
) -> None:
    """Lấy tin một lần từ mọi nguồn (poll every source once: feeds, web pages, sitemaps, …)."""
    from kiemchung.collect import Collector

    with open_db() as db:
        collector = Collector(db, full_text_min_chars=full_text)
        sources = [db.get_source(source)] if source else collector.polled_sources()
        if not sources:
            console.print("Chưa có nguồn nào. Thêm bằng: kiemchung sources add URL")
            return
        with _progress() as progress:
            task = progress.add_task("Lấy tin (fetching)", total=len(sources))

            def done(res):
                progress.advance(task)
                _report_poll(res)

            results = collector.poll_many(sources, on_result=done)
        _after_ingest(db)
    failed = sum(1 for r in results if r.error)
    added = sum(r.stats.added for r in results)
    console.print(f"Xong: {added} tài liệu mới từ {len(results)} nguồn, {failed} nguồn lỗi.")


FOLLOW_MIN_BYTES = 1_000_000  # an import file at least this large has its stories assigned as it is stored


def _large(file: Path) -> bool:
    try:
        return file.stat().st_size >= FOLLOW_MIN_BYTES
    except OSError:
        return False


def _follower(db, file: Path):
    """For a large import on a file database or a server, the fast stages in a second process that
    follows the ingest (:class:`kiemchung.pipeline.Follower`); None otherwise (they run after it)."""
    from kiemchung.pipeline import Follower

    if not _large(file) or ":memory:" in db.url or os.environ.get("KIEMCHUNG_IMPORT_FOLLOW", "1") == "0":
        return None
    return Follower(db)


def _after_ingest(db, pipeline=None) -> None:
    from kiemchung.pipeline import Pipeline

    _print_stages((pipeline or Pipeline(db)).run())


def _print_stages(report) -> None:
    done = ", ".join(f"{name}: {n}" for name, n in report.counts.items() if n)
    if done:
        console.print(f"[dim]Các bước sau khi lưu (after ingest): {done}[/]")


@app.command()
def watch(
    tick: float = typer.Option(5.0, "--tick", help="Kiểm tra nguồn đến hạn mỗi N giây (check every N seconds)."),
    cycles: int | None = typer.Option(None, "--cycles", help="Dừng sau N lượt (stop after N ticks)."),
    background: bool = typer.Option(
        True, "--background/--no-background",
        help="Nhận diện thực thể, từ khoá và chữ trong ảnh trong một tiến trình nền (entities, story keywords and image text in a background process).",
    ),
    ner: bool = typer.Option(True, "--ner/--no-ner", help="Dùng NER underthesea (slow); tắt: chỉ tỉnh/thành."),
) -> None:
    """Theo dõi liên tục: lấy tin từ các nguồn khi đến hạn (poll sources on their intervals)."""
    from kiemchung.collect import Collector
    from kiemchung.pipeline import Pipeline, SlowStages

    with open_db() as db:
        collector = Collector(db)
        pipeline = Pipeline(db)

        def on_result(res) -> None:
            _report_poll(res)
            if res.stats.added:
                _after_ingest(db, pipeline)

        slow = SlowStages(db, ner=ner).start() if background else None
        tips_stop = threading.Event()
        tips_thread = threading.Thread(target=_watch_tips, args=(db, pipeline, tick, tips_stop),
                                       name="kiemchung-tips", daemon=True)
        tips_thread.start()
        # Rising watchlists pushed, and the morning digest, every 10 minutes (kiemchung.stories.watch_alerts).
        from kiemchung.stories.watch_alerts import ScheduledWatch

        scheduled = ScheduledWatch(db, interval_s=600).start()
        console.print("Đang theo dõi các nguồn… (Ctrl-C để dừng)")
        try:
            collector.watch(tick_s=tick, max_cycles=cycles, on_result=on_result)
        finally:
            tips_stop.set()
            tips_thread.join(30)
            scheduled.stop()
            if slow is not None:
                slow.stop()


def _watch_tips(db, pipeline, tick: float, stop) -> None:
    """watch's tip loop: the inboxes (IMAP, Telegram) every minute, tips not matched yet every tick."""
    from kiemchung.errors import KiemchungError
    from kiemchung.tips.channels import ChannelPoller

    poller = ChannelPoller(db)
    while not stop.is_set():
        try:
            results = poller.run_due()
            for name, r in results.items():
                if r.received or r.skipped or r.error:
                    console.print(f"[dim]Tin báo {name}: nhận {r.received}, bỏ qua {r.skipped}"
                                  f"{'; lỗi: ' + r.error if r.error else ''}[/]", highlight=False)
            if any(r.received for r in results.values()):
                _after_ingest(db, pipeline)
        except KiemchungError as exc:
            console.print(f"[yellow]Tin báo (tips): {exc}[/]", highlight=False)
        stop.wait(min(tick, 5.0))


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="Tệp JSONL, CSV hoặc Excel (.xlsx)."),
    mapping: Path | None = typer.Option(None, "--mapping", help="Tệp ánh xạ trường JSON/TOML (field mapping)."),
    fmt: str | None = typer.Option(None, "--format", help="jsonl | csv | xlsx (mặc định: theo đuôi tệp)."),
    platform: str | None = typer.Option(None, "--platform", help="Nền tảng (facebook, zalo, tiktok…)."),
    kind: str = typer.Option("post", "--kind", help="post | article | official"),
    restart: bool = typer.Option(False, "--restart", help="Bỏ qua điểm dừng đã lưu (ignore the checkpoint)."),
    queue: bool = typer.Option(
        False, "--queue",
        help="Chế độ máy chủ: giao cho các tiến trình 'kiemchung worker' lưu, từng phần (server mode: queue the file "
             "in chunks for the workers; PostgreSQL).",
    ),
) -> None:
    """Nhập bài đăng từ tệp xuất mạng xã hội (import an export file)."""
    from kiemchung.collect import import_file
    from kiemchung.ingest import Ingestor
    from kiemchung.sources.imports import FieldMapping

    field_mapping = FieldMapping.from_file(mapping) if mapping else None
    if queue:
        _queue_import(file, field_mapping, fmt, platform, kind)
        return
    from kiemchung.store.backends.sqlite import lean_connections

    # One long pass over the database: small SQLite caches, no memory map (memory).
    with lean_connections() if _large(file) else nullcontext(), open_db() as db:
        ingestor = Ingestor(db)
        follower = _follower(db, file)
        try:
            from kiemchung.processes import bulk_collector

            # the ingest at a lower CPU priority than the story process it feeds (Follower.ingesting)
            ingesting = follower.ingesting() if follower is not None else nullcontext()
            with _progress() as progress, bulk_collector() as stored, ingesting:
                task = progress.add_task(f"Nhập {file.name}", total=None)

                def advance(n: int) -> None:
                    progress.advance(task, n)
                    stored(n)  # (the younger generations collected now and then: see bulk_collector)

                report = import_file(
                    db,
                    ingestor,
                    file,
                    mapping=field_mapping,
                    fmt=fmt,
                    platform=platform,
                    kind=kind,
                    resume=not restart,
                    progress=advance,
                )
        except BaseException:
            if follower is not None:
                follower.abort()
            raise
        del ingestor  # its near-duplicate window is not needed by the stages after ingest (memory)
        if follower is not None:  # this process now only waits: what it held goes back to the system
            from kiemchung.processes import release_memory

            release_memory()
        stages = follower.finish() if follower is not None else None
        if stages is None:
            if follower is not None:
                console_err.print(
                    f"[yellow]Gán câu chuyện song song bị lỗi, chạy lại sau khi nhập (the story process beside the "
                    f"import failed; assigning after it): {escape(follower.error or '')}[/]", highlight=False
                )
            _after_ingest(db)
        else:
            _print_stages(stages)
    if report.resumed_from_line:
        console.print(f"Tiếp tục từ dòng {report.resumed_from_line} (resumed after line {report.resumed_from_line}).")
    st = report.stats
    console.print(
        f"Đã đọc {report.rows} dòng: {st.added} mới, {st.existing} đã có, "
        f"{st.exact_duplicates + st.near_duplicates} trùng lặp, {len(report.errors)} dòng lỗi."
    )
    if report.images:
        console.print(f"Đã lưu {report.images} ảnh (images kept).")
    for _line, message in report.warnings[:20]:
        console_err.print(f"  [yellow]{escape(message)}[/]", highlight=False)
    for line, message in report.errors[:50]:
        console_err.print(f"  {message}", highlight=False)
    if len(report.errors) > 50:
        console_err.print(f"  … và {len(report.errors) - 50} dòng lỗi khác")


def _queue_import(file: Path, field_mapping, fmt, platform, kind) -> None:
    from kiemchung.workers.queue import require_server
    from kiemchung.workers.submit import queue_import

    require_server(state.db_path)
    with open_db() as db, _progress() as progress:
        task = progress.add_task(f"Giao {file.name}", total=None)
        report, jobs = queue_import(db, file, mapping=field_mapping, fmt=fmt, platform=platform, kind=kind,
                                    progress=lambda n: progress.advance(task, n))
    console.print(
        f"Đã đọc {report.rows} dòng: {report.stats.seen} bài giao cho các tiến trình nền trong {jobs} phần, "
        f"{len(report.errors)} dòng lỗi (queued {report.stats.seen} documents in {jobs} jobs)."
    )
    for _line, message in report.warnings[:20]:
        console_err.print(f"  [yellow]{escape(message)}[/]", highlight=False)
    for _line, message in report.errors[:50]:
        console_err.print(f"  {message}", highlight=False)
    if len(report.errors) > 50:
        console_err.print(f"  … và {len(report.errors) - 50} dòng lỗi khác")


@app.command("add-url")
def add_url(
    url: str = typer.Argument(..., help="URL của bài báo (article URL)."),
    kind: str = typer.Option("article", "--kind", help="article | official"),
) -> None:
    """Tải và lưu một trang web (fetch and store one web page)."""
    from kiemchung.collect import Collector

    with open_db() as db:
        doc, stats = Collector(db).add_url(url, kind=kind)
    state_text = "đã lưu" if stats.added else "đã có"
    console.print(f"{state_text}: {doc.title or url} ({len(doc.body)} ký tự)")


# -- reading ----------------------------------------------------------------------------------


@app.command()
def search(
    query: str = typer.Argument(..., help='Từ khoá; có hoặc không dấu; "cụm từ", OR, -loại_trừ.'),
    since: str | None = typer.Option(None, "--since", help="Từ ngày (dd/mm/yyyy hoặc YYYY-MM-DD)."),
    until: str | None = typer.Option(None, "--until", help="Đến trước ngày (dd/mm/yyyy hoặc YYYY-MM-DD)."),
    source: list[int] = typer.Option(None, "--source", help="Chỉ nguồn có số này (source id; repeatable)."),
    kind: list[str] = typer.Option(None, "--kind", help="article | post | official (repeatable)."),
    sort: str = typer.Option("newest", "--sort", help="newest | oldest | relevance"),
    limit: int = typer.Option(20, "--limit", "-n"),
    as_json: bool = typer.Option(False, "--json", help="In kết quả dạng JSON Lines."),
    collection: str = typer.Option(None, "--collection", help="Chỉ các nguồn của bộ sưu tập (collection id or name)."),
) -> None:
    """Tìm kiếm toàn văn, có hoặc không dấu (full-text search, with or without diacritics)."""
    from kiemchung.store.search import search as run_search

    with open_db() as db:
        sources = _sources_filter(db, source, collection)
        if sources == []:
            console.print("[dim]0 kết quả (the collection holds none of these sources)[/]")
            return
        result = run_search(
            db,
            query,
            limit=limit,
            since=_parse_date(since, "--since"),
            until=_parse_date(until, "--until"),
            sources=sources,
            kinds=kind or None,
            sort=sort,
            count=True,
        )
    if as_json:
        for hit in result.hits:
            sys.stdout.write(json.dumps(_doc_json(hit.document) | {"snippet": hit.snippet_text()}, ensure_ascii=False) + "\n")
        return
    mode = "có dấu" if result.accented else "không dấu"
    console.print(f"[dim]{result.total} kết quả ({mode})[/]")
    for hit in result.hits:
        d = hit.document
        console.print(
            f"[bold cyan]#{d.id}[/] [bold]{escape(d.title or '(bài đăng)')}[/]  "
            f"[dim]{escape(d.source_name or d.platform or '')} · {timeutil.fmt_local(d.published_at)}[/]",
            highlight=False,
        )
        console.print("   " + render_snippet(hit), highlight=False)


def _sources_filter(db, source: list[int] | None, collection: str | None) -> list[int] | None:
    """The source ids ``--source`` and ``--collection`` allow (None: no filter; []: nothing)."""
    if not collection:
        return source or None
    from kiemchung.sources.directory import collection_source_ids

    ids = collection_source_ids(db, collection)
    return [i for i in ids if i in set(source)] if source else ids


def _doc_json(d) -> dict:
    return {
        "id": d.id,
        "url": d.url,
        "kind": d.kind,
        "source": d.source_name,
        "platform": d.platform,
        "title": d.title,
        "lead": d.lead,
        "body": d.body,
        "published": d.published_at.isoformat() if d.published_at else None,
        "fetched": d.fetched_at.isoformat() if d.fetched_at else None,
        "language": d.language,
        "engagement": d.engagement,
        "dup_group": d.meta.get("dup_group"),
    }


@app.command()
def show(
    doc_id: int = typer.Argument(..., help="Số tài liệu (document id)."),
    raw: bool = typer.Option(False, "--raw", help="In dữ liệu gốc (print the raw payload)."),
) -> None:
    """Xem một tài liệu (show one document)."""
    with open_db() as db:
        d = db.get_document(doc_id, with_raw=raw)
    if raw:
        sys.stdout.write((d.raw or b"").decode("utf-8", "replace") + "\n")
        return
    console.print(f"[bold]{d.title}[/]", highlight=False)
    console.print(
        f"[dim]#{d.id} · {label('doc_kind', d.kind)} · {d.source_name or d.platform or ''} · {timeutil.fmt_local(d.published_at)} "
        f"· {d.language or '?'}[/]"
    )
    if d.url:
        console.print(d.url, highlight=False)
    if d.meta.get("dup_group"):
        console.print(f"[yellow]Nhóm gần trùng #{d.meta['dup_group']} (độ giống {d.meta.get('dup_score') or 0:.2f})[/]")
    if d.lead:
        console.print(f"\n[italic]{d.lead}[/]", highlight=False)
    if d.body:
        console.print("\n" + d.body, highlight=False)
    if d.engagement:
        console.print("\n" + ", ".join(f"{k}: {v}" for k, v in d.engagement.items()))


@app.command()
def stats() -> None:
    """Thống kê kho dữ liệu (store statistics)."""
    with open_db() as db:
        st = db.stats()
    console.print(f"Tài liệu: [bold]{st['documents']}[/]")
    console.print("Theo loại: " + ", ".join(f"{label('doc_kind', k)} {v}" for k, v in st["by_kind"].items()))
    console.print("Theo ngôn ngữ: " + ", ".join(f"{k} {v}" for k, v in st["by_language"].items()))
    console.print(
        f"Nhóm gần trùng: {st['duplicate_groups']} nhóm, {st['documents_in_duplicate_groups']} tài liệu"
    )
    console.print(
        f"Khoảng thời gian: {timeutil.fmt_local(st['first_published'])} – {timeutil.fmt_local(st['last_published'])}"
    )
    for name, n in st["per_source"][:20]:
        console.print(f"  {name}: {n}")


@app.command()
def export(
    output: Path = typer.Option(None, "--output", "-o", help="Tệp ra (mặc định: stdout)."),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl | csv"),
    since: str | None = typer.Option(None, "--since", help="Từ ngày (dd/mm/yyyy hoặc YYYY-MM-DD)."),
    until: str | None = typer.Option(None, "--until", help="Đến trước ngày (dd/mm/yyyy hoặc YYYY-MM-DD)."),
    query: str = typer.Option("", "--query", "-q", help="Chỉ tài liệu khớp truy vấn (only documents matching a search)."),
    source: list[int] = typer.Option(None, "--source", help="Chỉ nguồn có số này (source id; repeatable)."),
    kind: list[str] = typer.Option(None, "--kind", help="article | post | official (repeatable)."),
    collection: str = typer.Option(None, "--collection", help="Chỉ các nguồn của bộ sưu tập (collection id or name)."),
) -> None:
    """Xuất tài liệu ra JSONL hoặc CSV, toàn bộ hoặc theo bộ lọc tìm kiếm (export documents, all or filtered)."""
    if fmt not in ("jsonl", "csv"):
        raise ConfigError(f"Định dạng không hỗ trợ (unsupported format): {fmt}")
    try:
        out = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout
    except OSError as exc:
        raise ConfigError(f"Không ghi được tệp {output} (cannot write the file): {exc.strerror}") from exc
    n = 0
    try:
        with open_db() as db:
            if query.strip() or until or source or kind or collection:
                # Filtered: every match of the search, newest first, streamed (kiemchung.store.search.iter_hits).
                from kiemchung.store.search import compile_tree, iter_hits

                if query.strip():
                    compile_tree(query)  # a bad query fails before the file is started
                docs = (h.document for h in iter_hits(
                    db, query, since=_parse_date(since, "--since"), until=_parse_date(until, "--until"),
                    sources=_sources_filter(db, source, collection), kinds=kind or None,
                ))
            else:
                docs = db.iter_documents(since=_parse_date(since, "--since"))
            if fmt == "jsonl":
                for d in docs:
                    out.write(json.dumps(_doc_json(d), ensure_ascii=False) + "\n")
                    n += 1
            else:
                from kiemchung.export import write_csv

                n = write_csv(
                    out,
                    (_doc_json(d) | {"engagement": json.dumps(d.engagement, ensure_ascii=False)} for d in docs),
                )
    finally:
        if output:
            out.close()
    if output:
        console_err.print(f"Đã xuất {n} tài liệu vào {output}")


@settings_app.command("set")
def settings_set(
    key: str = typer.Argument(..., help="Tên cài đặt, xem `kiemchung settings list` (a key of `settings list`)"),
    value: str = typer.Argument(..., help="Giá trị mới; chuỗi rỗng \"\" để bỏ (new value; \"\" to clear)"),
) -> None:
    """Đổi một cài đặt (change a setting): kiểm tra giá trị, ghi nhật ký kiểm toán (validated, audited).

    Every key is in the registry kiemchung.store.settings; a running serve/watch sees the change within
    a second."""
    from kiemchung.audit import cli_actor
    from kiemchung.store.settings import check, set_value, shown_value

    check(key, value)  # unknown keys and bad values are refused before the database is opened (or made)
    with open_db() as db:
        stored = set_value(db, key, value, actor=cli_actor())
    console.print(f"{key} = {escape(shown_value(key, stored))}", highlight=False)


@settings_app.command("get")
def settings_get(key: str = typer.Argument(..., help="Tên cài đặt (setting key)")) -> None:
    """Xem một cài đặt (show a setting); mật khẩu được che, muối băm tác giả không bao giờ hiển thị."""
    from kiemchung.store.settings import get_shown, spec

    spec(key)
    with open_db() as db:
        shown = get_shown(db, key)
    console.print(f"{key} = {escape(shown)}", highlight=False)


@settings_app.command("list")
def settings_list() -> None:
    """Liệt kê mọi cài đặt, mật khẩu được che (every setting, secrets masked; * = default)."""
    from kiemchung.labels import label
    from kiemchung.store.settings import listing

    with open_db() as db:
        table = Table("Nhóm")
        table.add_column("Cài đặt", no_wrap=True)  # a key is copied whole into `settings set`
        table.add_column("Giá trị")
        table.add_column("Ý nghĩa")
        for row in listing(db):
            shown = row.shown if row.is_set else (f"{row.shown} *" if row.shown else "")
            table.add_row(label("setting_group", row.group), row.key, escape(shown),
                          escape(f"{row.label}: {row.help}"))
    console.print(table)
    console.print("* mặc định (default)")


@app.command()
def demo() -> None:
    """Chạy thử trên bộ mẫu đi kèm: nhập tin, bài đăng, tìm kiếm (run on the bundled sample, offline)."""
    from kiemchung.cli.demo import run_demo

    run_demo(state.db_path, console)
