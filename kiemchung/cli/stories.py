"""``kiemchung stories``: list, show, merge and split stories; assign new documents."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from kiemchung import timeutil
from kiemchung.cli.app import app, console, console_err, open_db
from kiemchung.labels import label

stories_app = typer.Typer(help="Câu chuyện: nhóm tin theo sự kiện (stories: news grouped by event).")
app.add_typer(stories_app, name="stories")


def _date(value: str | None, name: str):
    return timeutil.parse_day_or_time(value, name)


@stories_app.callback(invoke_without_command=True)
def stories_list(
    ctx: typer.Context,
    since: str | None = typer.Option(None, "--since", help="Có tin từ ngày (dd/mm/yyyy hoặc YYYY-MM-DD)."),
    until: str | None = typer.Option(None, "--until", help="Bắt đầu trước ngày (dd/mm/yyyy hoặc YYYY-MM-DD)."),
    min_docs: int = typer.Option(2, "--min-docs", help="Ít nhất N tài liệu."),
    limit: int = typer.Option(30, "--limit", "-n"),
    recent: bool = typer.Option(False, "--recent", help="Sắp theo tin mới nhất (newest first)."),
    collection: str = typer.Option(None, "--collection", help="Chỉ câu chuyện có tin từ bộ sưu tập nguồn (collection id or name)."),
) -> None:
    """Liệt kê câu chuyện lớn nhất (list the largest stories)."""
    if ctx.invoked_subcommand:
        return
    from kiemchung.stories.service import list_stories

    with open_db() as db:
        source_ids = None
        if collection:
            from kiemchung.sources.directory import collection_source_ids

            source_ids = collection_source_ids(db, collection)
        rows = list_stories(
            db, since=_date(since, "--since"), until=_date(until, "--until"), min_docs=min_docs, limit=limit,
            order="recent" if recent else "size", source_ids=source_ids,
        )
    table = Table("#", "Tài liệu", "Nguồn", "Từ", "Đến", "Tiêu đề đại diện")
    for r in rows:
        table.add_row(
            str(r.id), str(r.doc_count), str(r.outlet_count),
            timeutil.fmt_local(r.first_seen, "%d/%m"), timeutil.fmt_local(r.last_seen, "%d/%m"),
            escape(r.headline[:90]),
        )
    console.print(table)


@stories_app.command("run")
def stories_run() -> None:
    """Xếp các tài liệu mới vào câu chuyện (assign new documents to stories)."""
    from kiemchung.pipeline import Pipeline

    with open_db() as db:
        report = Pipeline(db).run()
    console.print(f"Đã xếp {report.counts.get('stories', 0)} tài liệu vào câu chuyện.")


@stories_app.command("show")
def stories_show(story_id: int = typer.Argument(..., help="Số câu chuyện (story id).")) -> None:
    """Xem một câu chuyện: dòng thời gian, nguồn, tài liệu (show one story)."""
    from kiemchung.stories.service import get_story

    with open_db() as db:
        detail = get_story(db, story_id)
    s = detail.story
    console.print(f"[bold]{escape(s.headline)}[/]  [dim]#{s.id} · {s.doc_count} tài liệu · {s.outlet_count} nguồn · {label('story_status', s.status)}[/]")
    console.print(f"Từ khoá: {', '.join(s.keywords[:10])}")
    console.print("Dòng thời gian: " + "  ".join(f"{day[5:]}:{n}" for day, n in detail.timeline))
    console.print("Nguồn: " + ", ".join(f"{escape(name)} ({n})" for name, n in detail.outlets))
    for d in detail.documents[:50]:
        console.print(
            f"  #{d.id} {timeutil.fmt_local(d.published_at or d.fetched_at)} "
            f"[dim]{escape(d.source_name or d.platform or '')}[/] {escape(d.title or d.lead[:100])}",
            highlight=False,
        )


@stories_app.command("merge")
def stories_merge(
    into: int = typer.Argument(..., help="Câu chuyện giữ lại (story kept)."),
    other: int = typer.Argument(..., help="Câu chuyện nhập vào (story merged in)."),
    user: str = typer.Option(None, "--user", help="Người sửa (who made the edit)."),
) -> None:
    """Gộp hai câu chuyện bằng tay (merge two stories by hand)."""
    from kiemchung.audit import cli_actor
    from kiemchung.stories.service import StoryStage

    with open_db() as db:
        kept = StoryStage(db).merge(into, other, user=user, actor=cli_actor())
    console.print(f"Đã gộp #{other} vào #{kept}.")


@stories_app.command("split")
def stories_split(
    story_id: int = typer.Argument(..., help="Câu chuyện cần tách (story to split)."),
    doc_ids: list[int] = typer.Argument(..., help="Các tài liệu tách ra (documents moved out)."),
    user: str = typer.Option(None, "--user", help="Người sửa (who made the edit)."),
) -> None:
    """Tách tài liệu ra thành câu chuyện mới (split documents into a new story)."""
    from kiemchung.audit import cli_actor
    from kiemchung.stories.service import StoryStage

    with open_db() as db:
        new = StoryStage(db).split(story_id, doc_ids, user=user, actor=cli_actor())
    console_err.print(f"Đã tách {len(doc_ids)} tài liệu sang câu chuyện #{new}.")


@stories_app.command("keywords")
def stories_keywords(limit: int = typer.Option(10_000, "--limit", help="Tối đa N câu chuyện (at most N stories).")) -> None:
    """Từ khoá dạng từ (tách từ underthesea) cho các câu chuyện mới hoặc lớn lên (story keywords as words)."""
    from kiemchung.stories.keywords import KeywordStage

    with open_db() as db:
        report = KeywordStage(db).run(limit=limit)
    rate = report.stories / report.seconds if report.seconds else 0.0
    console.print(f"Đã cập nhật từ khoá của {report.stories} câu chuyện ({report.documents} tài liệu, "
                  f"{rate:.1f} câu chuyện/giây).")
