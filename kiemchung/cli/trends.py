"""``kiemchung trends``, ``watch-lists``, ``places`` and ``entities run``: volumes, rising series, places."""

from __future__ import annotations

import datetime as dt

import typer
from rich.markup import escape
from rich.table import Table

from kiemchung import timeutil
from kiemchung.cli.app import app, console, open_db
from kiemchung.errors import ConfigError
from kiemchung.labels import label, times_usual, usual_level

watch_app = typer.Typer(help="Danh sách theo dõi: truy vấn đã lưu (watchlists: saved queries).")
app.add_typer(watch_app, name="watch-lists")
entities_app = typer.Typer(help="Thực thể: người, tổ chức, địa danh (named entities).")
app.add_typer(entities_app, name="entities")



def _date(value: str | None, default: dt.datetime | None, name: str = "--since/--until") -> dt.datetime | None:
    return timeutil.parse_day_or_time(value, name) if value else default


def _period(db, since: str | None, until: str | None, days: int) -> tuple[dt.datetime, dt.datetime]:
    today = timeutil.local(timeutil.view_now(db)).replace(hour=0, minute=0, second=0, microsecond=0)
    end = _date(until, today + dt.timedelta(days=1), "--until")
    start = _date(since, end - dt.timedelta(days=days), "--since")
    if start >= end:
        raise ConfigError("--since phải trước --until (since must be before until)")
    return start, end


def _label(when: dt.datetime, bucket: str) -> str:
    return timeutil.fmt_local(when, "%d/%m %H:00" if bucket == "hour" else "%d/%m/%Y")


def _bar(n: int, top: int, width: int = 40) -> str:
    return "█" * (round(n / top * width) if top else 0)


@app.command("trends")
def trends(
    since: str = typer.Option(None, "--since", help="Từ ngày (from; dd/mm/yyyy hoặc YYYY-MM-DD; giờ Việt Nam)."),
    until: str = typer.Option(None, "--until", help="Đến trước ngày (until, exclusive)."),
    bucket: str = typer.Option("day", "--bucket", help="day | hour"),
    limit: int = typer.Option(15, "--limit", "-n", help="Số mục đang nổi lên (rising items shown)."),
    collection: str = typer.Option(None, "--collection", help="Chỉ tài liệu của bộ sưu tập nguồn (collection id or name)."),
) -> None:
    """Khối lượng tin theo ngày/giờ và những gì đang nổi lên (volume and what is rising now)."""
    from kiemchung.stories.trends import rising, rising_during, volume

    past = since is not None or until is not None  # a chosen period: what rose during it
    with open_db() as db:
        ids = None
        if collection:
            from kiemchung.sources.directory import collection_source_ids

            ids = collection_source_ids(db, collection)
        start, end = _period(db, since, until, 14 if bucket == "day" else 2)
        counts = volume(db, start, end, bucket=bucket, source_ids=ids)
        if ids == []:  # an empty collection: no documents
            counts = dict.fromkeys(counts, 0)
        if past:
            found = rising_during(db, start, end, limit=limit, source_ids=ids)
        else:
            found = [(r, None) for r in rising(db, timeutil.view_now(db), limit=limit, source_ids=ids)]
    top = max(counts.values(), default=0)
    console.print(f"[bold]Khối lượng tin (volume)[/] {_label(start, bucket)} → {_label(end, bucket)}, giờ Việt Nam")
    for when, n in counts.items():
        console.print(f"  {_label(when, bucket):>16} {n:>6} {_bar(n, top)}", highlight=False)
    if past:
        console.print("[bold]Đã nổi lên trong kỳ (rose during the period)[/] — mỗi mục ở ngày cao điểm: "
                      "24 giờ so với 14 ngày trước đó")
    else:
        console.print("[bold]Đang nổi lên (rising now)[/] — 24 giờ qua so với 14 ngày trước")
    if not found:
        console.print("  (không có / none)")
        return
    table = Table("Loại", "Mục", "Ngày", "24 giờ", "So với thường ngày", "Mức nổi bật")
    for r, at in found:
        day = timeutil.fmt_local(at - dt.timedelta(days=1), "%d/%m") if at else "nay"
        table.add_row(label("trend_kind", r.kind).capitalize(), escape(r.label[:80]), day, str(r.current),
                      f"{times_usual(r.current, r.baseline)} ({usual_level(r.baseline)})", f"{r.score:.1f}")
    console.print(table)


@watch_app.command("add")
def watch_add(name: str = typer.Argument(..., help="Tên (name)."),
              query: str = typer.Argument(..., help="Truy vấn, như khi tìm kiếm (search query).")) -> None:
    """Lưu một truy vấn theo dõi (save a watchlist)."""
    from kiemchung.audit import cli_actor
    from kiemchung.stories.watchlists import add_watchlist

    with open_db() as db:
        w = add_watchlist(db, name, query, actor=cli_actor())
    console.print(f"Đã lưu danh sách theo dõi [bold]{escape(w.name)}[/]: {escape(w.query)}")


@watch_app.command("list")
def watch_list() -> None:
    """Liệt kê danh sách theo dõi (list watchlists)."""
    from kiemchung.stories.watchlists import list_watchlists

    with open_db() as db:
        items = list_watchlists(db)
    if not items:
        console.print("Chưa có danh sách theo dõi nào (no watchlists yet).")
    for w in items:
        console.print(f"  {escape(w.name)}: {escape(w.query)}  [dim]{timeutil.fmt_local(w.created_at)}[/]", highlight=False)


@watch_app.command("remove")
def watch_remove(name: str = typer.Argument(..., help="Tên (name).")) -> None:
    """Xoá một danh sách theo dõi (remove a watchlist)."""
    from kiemchung.audit import cli_actor
    from kiemchung.stories.watchlists import remove_watchlist

    with open_db() as db:
        remove_watchlist(db, name, actor=cli_actor())
    console.print(f"Đã xoá {escape(name)}.")


@watch_app.command("counts")
def watch_counts(
    name: str = typer.Argument(..., help="Tên (name)."),
    since: str = typer.Option(None, "--since", help="Từ ngày (from)."),
    until: str = typer.Option(None, "--until", help="Đến trước ngày (until, exclusive)."),
    bucket: str = typer.Option("day", "--bucket", help="day | hour"),
) -> None:
    """Số tài liệu khớp theo ngày/giờ (matching documents per day/hour)."""
    from kiemchung.stories.watchlists import watchlist_counts

    with open_db() as db:
        start, end = _period(db, since, until, 14 if bucket == "day" else 2)
        counts = watchlist_counts(db, name, start, end, bucket)
    top = max(counts.values(), default=0)
    for when, n in counts.items():
        console.print(f"  {_label(when, bucket):>16} {n:>6} {_bar(n, top)}", highlight=False)
    console.print(f"Tổng (total): {sum(counts.values())}")


@app.command("places")
def places(
    province: str = typer.Option(None, "--province", help="Tên tỉnh, cũ hoặc mới (province, old or new name)."),
    since: str = typer.Option(None, "--since", help="Từ ngày (from)."),
    until: str = typer.Option(None, "--until", help="Đến trước ngày (until)."),
    limit: int = typer.Option(30, "--limit", "-n"),
) -> None:
    """Số tài liệu theo tỉnh/thành (34 đơn vị mới) hoặc tài liệu của một tỉnh (documents per province)."""
    from kiemchung.entities import documents_in_province, province_counts
    from kiemchung.places import province as get_province
    from kiemchung.places import resolve_place

    start = _date(since, None, "--since")
    end = _date(until, None, "--until")
    with open_db() as db:
        if province:
            p = resolve_place(province)
            if p is None:
                raise ConfigError(f"Không tìm thấy tỉnh/thành (unknown province): {province}")
            ids = documents_in_province(db, p.code, start, end, limit=limit)
            console.print(f"[bold]{escape(p.name)}[/] ({p.kind}): {len(ids)} tài liệu gần nhất")
            for doc_id in ids:
                d = db.get_document(doc_id)
                console.print(f"  #{d.id} {timeutil.fmt_local(d.published_at or d.fetched_at)} {escape(d.title or d.lead[:100])}",
                              highlight=False)
            return
        counts = province_counts(db, start, end)
    table = Table("Tỉnh/thành", "Tài liệu")
    for code, n in counts.most_common(limit):
        p = get_province(code)
        table.add_row(escape(p.name if p else code), str(n))
    console.print(table)


@entities_app.command("run")
def entities_run(
    batch: int = typer.Option(200, "--batch", help="Tài liệu mỗi lượt ghi (documents per write)."),
    limit: int = typer.Option(None, "--limit", help="Tối đa N tài liệu (at most N documents)."),
    no_ner: bool = typer.Option(False, "--no-ner", help="Chỉ nhận diện tỉnh/thành, bỏ NER (provinces only, fast)."),
) -> None:
    """Nhận diện thực thể cho tài liệu mới (extract entities for new documents; resumable)."""
    from kiemchung.entities import EntityStage

    with open_db() as db:
        report = EntityStage(db, ner=not no_ner).run(batch=batch, limit=limit)
    console.print(f"Đã xử lý {report.documents} tài liệu, {report.entities} thực thể (last id {report.last_doc_id}).")
