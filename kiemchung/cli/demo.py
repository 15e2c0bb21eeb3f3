"""The demo: kiemchung's main job on the bundled sample, offline, on an embedded SQLite file.

``make demo`` runs this. It registers the sample's feeds (``file://`` URLs) and imports its social
exports, then shows what an office would look at first. Running it again adds nothing twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kiemchung import timeutil
from kiemchung.cli.app import render_snippet
from kiemchung.collect import Collector, import_file
from kiemchung.labels import label
from kiemchung.sources.sample import load_manifest, sample_mapping, sample_sources
from kiemchung.store import Database
from kiemchung.store.search import search
from kiemchung.text import first_words

DEMO_QUERIES = ("nuoc may", "Lam Giang", '"sốt xuất huyết"', "ko dc")


def run_demo(db_path: str | Path, console: Console) -> dict:
    """Ingest the bundled sample into ``db_path`` and print an overview; returns the figures shown."""
    manifest = load_manifest()
    console.rule(f"[bold]kiemchung · {manifest.get('name', 'mẫu')}")
    db = Database(db_path)
    figures: dict = {"db": db.shown_url}
    try:
        # One feed at a time: document ids (the order the story stage reads) and so the demo's figures
        # are the same on every run; the sample's feeds are local files, so threads would save nothing.
        collector = Collector(db, workers=1)
        feeds, imports = [], []
        for src in sample_sources():
            if src.kind == "feed":
                feeds.append(db.add_source(src))
            else:
                imports.append(src)
        from kiemchung.claims.factchecks import load_sample_factchecks

        loaded, known = load_sample_factchecks(db)
        figures["factchecks"] = loaded + known
        console.print(
            f"[bold]0. Kho kiểm chứng[/] (fact-check knowledge base): {loaded + known} bài đã xuất bản của mẫu"
        )
        console.print(f"[bold]1. Lấy tin từ {len(feeds)} nguồn RSS/Atom[/] (fetch feeds)")
        for res in collector.poll_many(feeds):
            status = f"[red]{res.error}[/]" if res.error else f"{res.fetched} mục, {res.stats.added} mới"
            console.print(f"   {res.source.name}: {status}", highlight=False)
        console.print(f"[bold]2. Nhập {len(imports)} tệp bài đăng mạng xã hội[/] (import exports)")
        for src in imports:
            report = import_file(
                db,
                collector.ingestor,
                src.meta["path"],
                mapping=sample_mapping(src),
                platform=src.meta.get("platform"),
                kind=src.meta.get("doc_kind") or "post",
                name=src.name,
            )
            console.print(
                f"   {src.name}: {report.rows} dòng, {report.stats.added} mới, {len(report.errors)} dòng lỗi",
                highlight=False,
            )
            for line, message in report.errors[:5]:
                console.print(f"     [yellow]{escape(message)}[/]", highlight=False)

        from kiemchung.pipeline import Pipeline
        from kiemchung.stories.keywords import KeywordStage
        from kiemchung.stories.service import list_stories

        Pipeline(db).run()
        KeywordStage(db).run(limit=10_000, min_docs=2)  # keywords as words for the stories shown
        figures["now"] = anchor_clock(db, manifest)
        st = db.stats()
        figures["stats"] = st
        console.print("[bold]3. Kho dữ liệu[/] (store)")
        console.print(
            f"   {st['documents']} tài liệu: "
            + ", ".join(f"{n} {label('doc_kind', k)}" for k, n in sorted(st["by_kind"].items()))
            + f"; {st['duplicate_groups']} nhóm gần trùng ({st['documents_in_duplicate_groups']} tài liệu); "
            f"từ {timeutil.fmt_local(st['first_published'], '%d/%m/%Y')} đến "
            f"{timeutil.fmt_local(st['last_published'], '%d/%m/%Y')}"
        )

        stories = list_stories(db, min_docs=2, limit=8)
        figures["stories"] = len(list_stories(db, min_docs=2, limit=10_000))
        console.print(f"[bold]4. Câu chuyện lớn nhất[/] (largest of {figures['stories']} stories)")
        for s in stories:
            words = f" [dim]({escape(', '.join(s.keywords[:4]))})[/]" if s.keywords else ""
            console.print(
                f"   #{s.id} [bold]{s.doc_count}[/] tài liệu, {s.outlet_count} nguồn: {escape(s.headline[:90])}{words}",
                highlight=False,
            )
        _show_rising(db, console, figures)
        _show_alerts(db, console, figures)
        console.print("[bold]6. Tìm kiếm, có và không dấu[/] (search)")
        figures["searches"] = {}
        for q in DEMO_QUERIES:
            result = search(db, q, limit=3, count=True)
            figures["searches"][q] = result.total
            console.print(f"   [cyan]{q}[/] → {result.total} kết quả", highlight=False)
            for hit in result.hits:
                console.print(
                    f"     #{hit.document.id} [bold]{escape(hit.document.title or '')}[/] {render_snippet(hit)} "
                    f"[dim]({escape(hit.document.source_name or hit.document.platform or '')})[/]",
                    highlight=False,
                )
        _show_duplicate_groups(db, console)
        _show_tips(db, console, figures)
        console.print(
            f"\nCơ sở dữ liệu: [bold]{db.shown_url}[/]. Thử: kiemchung --db "
            f"{db_path if db.is_sqlite else db.shown_url} search \"nuoc may\""
        )
    finally:
        db.close()
    return figures


def manifest_now(manifest: dict) -> dt.datetime | None:
    """The end of the sample (the demo's "now"), for the sample tips' times; None when not stated."""
    end = manifest.get("now")
    try:
        return timeutil.parse_time(end) if end else None
    except (ValueError, TypeError):
        return None


def _show_tips(db: Database, console: Console, figures: dict) -> None:
    """The sample tips (form, Telegram screenshot, forged-letter e-mail), grouped and matched."""
    from kiemchung.pipeline import Pipeline
    from kiemchung.tips import grouped_tips
    from kiemchung.tips.demo import load_demo_tips

    # The sample tips, stored last (the figures above are the sample's own), through the same stages.
    figures["tips"] = load_demo_tips(db, now=figures.get("now"))
    Pipeline(db).run()
    figures["stats"] = db.stats()
    t = figures["tips"]
    console.print(f"[bold]8. Tin báo của người dân[/] (tips): {t['tips']} tin, {t['groups']} nhóm, "
                  f"{t['matched']} khớp bài kiểm chứng; ảnh đã đọc chữ (OCR): {t['ocr']}")
    for g in grouped_tips(db, limit=20)[:5]:
        tip = g.first
        best = f" → khớp bài kiểm chứng #{g.best['factcheck_id']}" if g.best else ""
        asked = f" [bold]{g.count} người đã hỏi[/]" if g.count > 1 else ""
        console.print(f"   #{tip.id} {label('tip_channel', tip.channel)}:{asked} "
                      f"{escape((tip.text or '')[:80])}{' [ảnh]' if tip.images else ''}{best}", highlight=False)
    console.print("   Trả lời (answer, never automatic): kiemchung tips reply ID --best · web: /tips · mẫu gửi tin: /tin-bao")


def anchor_clock(db: Database, manifest: dict) -> dt.datetime | None:
    """Fix the demo installation's "now" (setting ``reference_time``) at the sample's own ``now`` and save
    the sample's watchlists, so that the overview, trends and watchlists show the sample as it ends,
    whatever today's date. The data keep their real dates; the web pages say which "now" they use."""
    from kiemchung.claims.config import set_setting
    from kiemchung.errors import QueryError
    from kiemchung.stories.watchlists import add_watchlist, list_watchlists

    if manifest.get("now"):
        set_setting(db, timeutil.REFERENCE_TIME, manifest["now"])
    known = {w.name for w in list_watchlists(db)}
    for w in manifest.get("watchlists", []):
        if w["name"] not in known:
            with contextlib.suppress(QueryError):  # a watchlist of the same name saved meanwhile
                add_watchlist(db, w["name"], w["query"])
    return timeutil.view_now(db) if manifest.get("now") else None


def _show_rising(db: Database, console: Console, figures: dict) -> None:
    """Step 4b: what is rising at the demo's "now" (stories and watchlists against their own baseline)."""
    from kiemchung.stories.trends import rising

    at = timeutil.view_now(db)
    found = rising(db, at, kinds=("story", "watchlist"), limit=5)
    figures["rising"] = len(found)
    console.print(
        f"[bold]Đang nổi lên lúc {timeutil.fmt_local(at)}[/] (rising; thời điểm cuối dữ liệu mẫu — "
        f"the demo's clock is fixed at the end of its sample): {len(found)}"
    )
    for r in found:
        console.print(
            f"   {escape(r.label[:90])} [dim]({r.current} tài liệu trong 24 giờ, trung bình {r.baseline:g}/ngày)[/]",
            highlight=False,
        )


def _show_alerts(db: Database, console: Console, figures: dict) -> None:
    """Step 5: the alerts raised while ingesting (posts repeating a claim already found false)."""
    from kiemchung.claims.alerts import list_alerts
    from kiemchung.claims.factchecks import get_factcheck

    alerts = list_alerts(db, limit=10_000)
    figures["alerts"] = len(alerts)
    console.print(f"[bold]5. Cảnh báo tin sai lặp lại[/] (alerts): {len(alerts)}")
    for alert in alerts[:6]:
        doc = db.get_document(alert.doc_id)
        fc = get_factcheck(db, alert.factcheck_id)
        console.print(
            f"   #{doc.id} {escape(' '.join((doc.title or doc.lead or doc.body or '').split())[:70])} → [red]{escape(fc.verdict_label)}[/]: "
            f"{escape(fc.claim[:70])} [dim](điểm {alert.score:.2f})[/]",
            highlight=False,
        )


def _show_duplicate_groups(db: Database, console: Console) -> None:
    from sqlalchemy import func, select

    from kiemchung.store import schema as t

    d = t.documents
    with db.read() as conn:
        groups = conn.execute(
            select(d.c.dup_group, func.count())
            .where(d.c.dup_group.is_not(None))
            .group_by(d.c.dup_group)
            .order_by(func.count().desc(), d.c.dup_group)
            .limit(3)
        ).all()
        table = Table("Nhóm", "Tiêu đề", "Nguồn", "Độ giống", title="Tin gần trùng (near-duplicates)")
        for group, _n in groups:
            for row in conn.execute(
                select(d.c.title, d.c.lead, d.c.body, d.c.dup_score, d.c.source_id, d.c.platform)
                .where(d.c.dup_group == group)
                .limit(4)
            ):
                name = db.get_source(row.source_id).name if row.source_id else row.platform or ""
                shown = row.title or first_words(row.lead or row.body or "", 12)  # posts have no title
                table.add_row(str(group), shown[:60], name, f"{row.dup_score or 0:.2f}")
    if groups:
        console.print(table)
