"""``kiemchung attention``: a topic's share of everything collected, per day or week, for up to 5 queries."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape
from rich.table import Table

from kiemchung.cli.app import app, console, open_db
from kiemchung.cli.trends import _period


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.2f}%"


@app.command("attention")
def attention_cmd(
    queries: list[str] = typer.Argument(None, help="Truy vấn như khi tìm kiếm, tối đa 5 (search queries, at most 5)."),
    watchlist: list[str] = typer.Option(None, "--watchlist", "-w", help="Tên danh sách theo dõi (watchlist name; repeatable)."),
    since: str = typer.Option(None, "--since", help="Từ ngày (from; dd/mm/yyyy hoặc YYYY-MM-DD; giờ Việt Nam)."),
    until: str = typer.Option(None, "--until", help="Đến trước ngày (until, exclusive)."),
    by: str = typer.Option("day", "--by", help="day | week"),
    source: list[int] = typer.Option(None, "--source", help="Chỉ các nguồn này, ở cả tử và mẫu (only these source ids; repeatable)."),
    collection: str = typer.Option(None, "--collection", help="Chỉ các nguồn của bộ sưu tập này (only the sources of this collection; id or name)."),
    as_csv: bool = typer.Option(False, "--csv", help="In chuỗi số liệu dạng CSV (print the series as CSV)."),
) -> None:
    """Tỷ trọng chú ý: số tài liệu khớp chia cho mọi tài liệu thu thập từ cùng các nguồn trong kỳ
    (attention as a share of everything collected)."""
    from kiemchung.errors import QueryError
    from kiemchung.stories.attention import attention, attention_csv, source_filter, watchlist_queries

    with open_db() as db:
        wq, wl = watchlist_queries(db, watchlist or [])
        qs = list(queries or []) + wq
        labels = list(queries or []) + wl
        if not qs:
            raise QueryError("Cần ít nhất một truy vấn hoặc --watchlist (at least one query or --watchlist)")
        start, end = _period(db, since, until, 30 if by == "day" else 7 * 26)
        ids = source_filter(db, source or (), collection)
        result = attention(db, qs, start, end, by=by, source_ids=ids, labels=labels)
    if as_csv:
        sys.stdout.write(attention_csv(result))
        return
    fmt = "%d/%m/%Y"
    console.print(f"[bold]Tỷ trọng chú ý (attention share)[/] {result.buckets[0].strftime(fmt)} → "
                  f"{(end).strftime(fmt)} (trước ngày, exclusive), theo {'tuần' if by == 'week' else 'ngày'}"
                  f"{', bộ sưu tập ' + escape(collection) if collection else ''}"
                  f"{', nguồn ' + ', '.join(map(str, result.source_ids)) if result.source_ids else ''}", highlight=False)
    table = Table("Kỳ (period)", "Thu thập (collected)", *[escape(s.label[:30]) for s in result.series])
    for i, start_i in enumerate(result.buckets):
        table.add_row(start_i.strftime(fmt), str(result.totals[i]),
                      *[f"{s.counts[i]} · {_pct(s.shares[i])}" for s in result.series])
    table.add_row("[bold]Tổng (total)[/]", str(sum(result.totals)),
                  *[f"{s.total} · {_pct(result.overall_share(s))}" for s in result.series])
    console.print(table)


@app.command("digest")
def digest_cmd(
    day: str = typer.Option(None, "--day", help="Ngày (day; mặc định: hôm qua, giờ Việt Nam)."),
    send: bool = typer.Option(False, "--send", help="Gửi bản tin hôm qua nếu đến hạn và chưa gửi (send yesterday's digest if due)."),
) -> None:
    """Bản tin buổi sáng: câu chuyện nổi lên, danh sách theo dõi nổi lên, nhận định mới, cảnh báo mới
    (the morning digest)."""
    import datetime as dt

    from kiemchung import timeutil
    from kiemchung.reports.digest import build_digest, digest_text, send_due_digest

    with open_db() as db:
        if send:
            status = send_due_digest(db)
            console.print({"sent": "Đã gửi bản tin (digest sent).", "failed": "Gửi thư thất bại (mail failed); sẽ thử lại."}
                          .get(status or "", "Không có gì đến hạn hoặc chưa cấu hình thư (nothing due, or no mail configured)."))
            return
        chosen = timeutil.parse_day(day, "--day") if day else timeutil.local(timeutil.view_now(db)).date() - dt.timedelta(days=1)
        _, text = digest_text(db, build_digest(db, chosen))
    console.print(escape(text), highlight=False)


@app.command("watch-rises")
def watch_rises_cmd(
    check: bool = typer.Option(False, "--check", help="Kiểm tra ngay và báo các lần nổi lên mới (check now and notify new rises)."),
) -> None:
    """Các lần danh sách theo dõi nổi lên trên mức thường ngày và việc gửi báo (watchlist rises and their deliveries)."""
    from kiemchung import timeutil
    from kiemchung.stories.watch_alerts import check_rises, list_rises

    with open_db() as db:
        if check:
            rep = check_rises(db)
            console.print(f"Mới (new): {rep.opened}, đang tiếp diễn (ongoing): {rep.ongoing}, kết thúc (ended): {rep.closed}; "
                          f"gửi được (sent): {rep.sent}, lỗi (failed): {rep.failed}")
        rises = list_rises(db)
    if not rises:
        console.print("Chưa có lần nổi lên nào (no rises yet).")
    table = Table("Danh sách", "Bắt đầu (started)", "Kết thúc (ended)", "Đỉnh 24 giờ", "Mức nổi bật", "Gửi (deliveries)")
    for r in rises:
        deliveries = ", ".join(f"{k}: {'đã gửi' if v == 'sent' else 'lỗi ' + v[:40]}" for k, v in (r["deliveries"] or {}).items()
                               if not k.startswith("_"))
        table.add_row(escape(r["name"]), timeutil.fmt_local(r["started_at"]),
                      timeutil.fmt_local(r["ended_at"]) if r["ended_at"] else "đang diễn ra", str(r["peak_current"]),
                      f"{r['peak_score']:.1f}", escape(deliveries))
    console.print(table)
