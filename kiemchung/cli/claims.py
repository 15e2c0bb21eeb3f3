"""Verification commands: fact-checks, check-worthy sentences, claim matching, alerts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from kiemchung import timeutil
from kiemchung.cli.app import app, console, open_db
from kiemchung.errors import ConfigError, ImportFileError, KiemchungError
from kiemchung.labels import label, labels

fc_app = typer.Typer(help="Kho bài kiểm chứng (fact-check knowledge base).", no_args_is_help=True)
app.add_typer(fc_app, name="factchecks")
alerts_app = typer.Typer(help="Cảnh báo tin sai lặp lại (alerts).", invoke_without_command=True)
app.add_typer(alerts_app, name="alerts")

EDITOR = typer.Option(..., "--editor", help="Tên biên tập viên (editor name).")


def _show(fc) -> None:
    console.print(f"[bold]#{fc.id}[/] \\[{label('fc_status', fc.status)}] [bold]{escape(fc.verdict_label)}[/] — {escape(fc.claim)}")
    for p in fc.phrasings[1:]:
        console.print(f"  • {escape(p)}")
    if fc.explanation:
        console.print(f"  {escape(fc.explanation)}")
    for e in fc.evidence:
        console.print(f"  Bằng chứng: {escape(e.get('url') or '')} {('(văn bản #' + str(e['doc_id']) + ')') if e.get('doc_id') else ''}")


def _show_similar(db, fc_or_text) -> int:
    """Print the fact-checks that may state the same claim; return how many."""
    from kiemchung.claims.similar import similar_factchecks

    found = similar_factchecks(db, fc_or_text)
    for s in found:
        kind = "cùng tuyên bố (same claim)" if s.same_claim else "khớp (matches)"
        console.print(f"  [yellow]Có thể trùng[/] #{s.factcheck.id} \\[{label('fc_status', s.factcheck.status)}] {s.score:.2f} {kind}: "
                      f"{escape(s.phrasing)}")
    return len(found)


@fc_app.command("add")
def fc_add(
    claim: str = typer.Argument(..., help="Tuyên bố (claim)."),
    verdict: str = typer.Option(..., "--verdict", help="Kết luận: sai sự thật, gây hiểu lầm, đúng, chưa kiểm chứng."),
    explanation: str = typer.Option("", "--explanation", help="Giải thích (explanation)."),
    phrasing: list[str] = typer.Option([], "--phrasing", help="Cách nói khác (other phrasing), lặp lại được."),
    evidence: list[str] = typer.Option([], "--evidence", help="URL hoặc mã văn bản chính thức (URL or doc id)."),
    url: str = typer.Option(None, "--url", help="URL bài kiểm chứng (fact-check URL)."),
    editor: str = EDITOR,
) -> None:
    """Thêm bài kiểm chứng nháp (add a draft fact-check)."""
    from kiemchung.audit import cli_actor
    from kiemchung.claims.factchecks import create_factcheck

    with open_db() as db:
        fc = create_factcheck(db, claim, verdict, explanation, editor=editor, phrasings=phrasing,
                              evidence=evidence, url=url, actor=cli_actor())
        _keep_pages(db, fc)
        _show(fc)
        _show_similar(db, fc)


@fc_app.command("edit")
def fc_edit(
    ref: str = typer.Argument(..., help="Mã bài kiểm chứng (id or key)."),
    verdict: str = typer.Option(None, "--verdict"),
    explanation: str = typer.Option(None, "--explanation"),
    claim: str = typer.Option(None, "--claim"),
    evidence: list[str] = typer.Option([], "--evidence", help="Thay toàn bộ bằng chứng (replaces evidence)."),
    phrasing: list[str] = typer.Option([], "--phrasing", help="Thay các cách nói khác (replaces other phrasings)."),
    url: str = typer.Option(None, "--url", help="URL bài kiểm chứng (fact-check URL)."),
    editor: str = EDITOR,
) -> None:
    """Sửa bài kiểm chứng; mỗi lần sửa là một phiên bản (edit; every change is versioned)."""
    from kiemchung.audit import cli_actor
    from kiemchung.claims.factchecks import update_factcheck

    changes = {k: v for k, v in dict(verdict=verdict, explanation=explanation, claim=claim, url=url).items()
               if v is not None}
    if evidence:
        changes["evidence"] = evidence
    if phrasing:
        changes["phrasings"] = phrasing
    if not changes:
        raise ConfigError("Không có gì để sửa (nothing to change)")
    with open_db() as db:
        fc = update_factcheck(db, ref, changes, editor, actor=cli_actor())
        if evidence:
            _keep_pages(db, fc)
        _show(fc)


def _keep_pages(db, fc) -> None:
    """Ask for kept copies of the pages a fact-check cites (taken by the capture stage)."""
    from kiemchung.audit import cli_actor
    from kiemchung.captures import request_for_factcheck

    asked = request_for_factcheck(db, fc, actor=cli_actor())
    waiting = [c for c in asked if c.status == "pending"]
    if waiting:
        console.print(f"Sẽ lưu bản sao {len(waiting)} trang được trích dẫn ({len(waiting)} cited pages queued for "
                      "capture: kiemchung evidence run).")


@fc_app.command("publish")
def fc_publish(ref: str = typer.Argument(...), editor: str = EDITOR,
               approver: str = typer.Option(None, "--approver", help="Người duyệt (approver).")) -> None:
    """Xuất bản (hoặc đề xuất, nếu cần duyệt) bài kiểm chứng (publish or propose)."""
    from kiemchung.audit import cli_actor
    from kiemchung.claims.factchecks import publish_factcheck

    with open_db() as db:
        _show(publish_factcheck(db, ref, editor, approver, actor=cli_actor()))


@fc_app.command("list")
def fc_list(status: str = typer.Option(None, "--status", help="draft | proposed | published | withdrawn"),
            verdict: list[str] = typer.Option([], "--verdict", help="Lọc theo kết luận (filter by verdict), lặp lại được."),
            query: str = typer.Option(None, "--query", help="Từ trong tuyên bố (words of the claim)."),
            limit: int = typer.Option(50, "--limit")) -> None:
    """Liệt kê bài kiểm chứng (list fact-checks)."""
    from kiemchung.claims.factchecks import list_factchecks

    with open_db() as db:
        rows = list_factchecks(db, status=status, verdicts=verdict or None, query=query, limit=limit)
    if not rows:
        console.print("Không có bài kiểm chứng nào (no fact-checks).")
        return
    table = Table("#", "Trạng thái", "Kết luận", "Tuyên bố", "Cập nhật")
    for fc in rows:
        table.add_row(str(fc.id), label("fc_status", fc.status), fc.verdict_label, escape(fc.claim[:90]), timeutil.fmt_local(fc.updated_at))
    console.print(table)


@fc_app.command("show")
def fc_show(ref: str = typer.Argument(...)) -> None:
    """Xem một bài kiểm chứng (show a fact-check)."""
    from kiemchung.claims.factchecks import get_factcheck

    with open_db() as db:
        fc = get_factcheck(db, ref)
        _show(fc)
        _show_similar(db, fc)


def _factcheck_or_text(db, ref_or_text: str):
    """The fact-check this id or key names, else the text itself (a claim being written)."""
    from kiemchung.claims.factchecks import get_factcheck
    from kiemchung.errors import NotFoundError

    try:
        return get_factcheck(db, ref_or_text)
    except NotFoundError:
        return ref_or_text


@fc_app.command("similar")
def fc_similar(
    ref_or_text: str = typer.Argument(..., help="Mã bài kiểm chứng hoặc một tuyên bố (id, key or a claim)."),
) -> None:
    """Bài kiểm chứng có thể cùng tuyên bố (fact-checks that may state the same claim)."""
    with open_db() as db:
        if not _show_similar(db, _factcheck_or_text(db, ref_or_text)):
            console.print("Không có bài kiểm chứng tương tự (no similar fact-check).")


@fc_app.command("evidence")
def fc_evidence(
    ref_or_text: str = typer.Argument(..., help="Mã bài kiểm chứng hoặc một tuyên bố (id, key or a claim)."),
    limit: int = typer.Option(5, "--limit", min=1, max=50, help="Số văn bản tối đa (most statements shown)."),
) -> None:
    """Văn bản chính thức đã lưu liên quan tới tuyên bố (suggested official statements to cite)."""
    from kiemchung.claims.evidence import suggest_evidence

    with open_db() as db:
        found = suggest_evidence(db, _factcheck_or_text(db, ref_or_text), limit=limit)
        if not found:
            console.print("Không có văn bản chính thức liên quan (no related official statement).")
        for s in found:
            d = s.document
            console.print(f"#{d.id} {s.coverage:.0%} {escape(d.title or d.lead[:80])} [dim]{escape(d.url or '')}[/]  "
                          f"[dim]từ chung: {escape(', '.join(s.reason))}[/]")


@fc_app.command("history")
def fc_history(ref: str = typer.Argument(...)) -> None:
    """Lịch sử các phiên bản (version history)."""
    from kiemchung.claims.factchecks import history

    with open_db() as db:
        for v in history(db, ref):
            s = v.snapshot
            console.print(f"v{v.version} {timeutil.fmt_local(v.at)} {escape(v.editor)} {v.action}: "
                          f"\\[{label('fc_status', s['status'])}] {label('verdict', s['verdict'])} — {escape(s['claim'][:80])}")


@fc_app.command("export")
def fc_export(output: Path = typer.Option(None, "--output", "-o", help="Tệp JSON-LD (default: stdout).")) -> None:
    """Xuất ClaimReview JSON-LD (export published fact-checks as ClaimReview)."""
    from kiemchung.claims.claimreview import export_claimreviews
    from kiemchung.links import jsonld_text

    with open_db() as db:
        # Escaped for embedding in a page's <script type="application/ld+json"> (kiemchung.links).
        data = jsonld_text({"@context": "https://schema.org", "@graph": export_claimreviews(db)}, indent=2)
    if output:
        output.write_text(data, encoding="utf-8")
    else:
        sys.stdout.write(data + "\n")


@fc_app.command("feed")
def fc_feed(fmt: str = typer.Option("rss", "--format", help="rss | atom"),
            output: Path = typer.Option(None, "--output", "-o", help="Tệp XML (default: stdout)."),
            limit: int = typer.Option(50, "--limit")) -> None:
    """Nguồn tin RSS/Atom của các bài đã xuất bản (RSS or Atom feed of published fact-checks)."""
    from kiemchung.claims.feed import atom_feed, rss_feed

    if fmt not in ("rss", "atom"):
        raise ConfigError(f"--format phải là rss hoặc atom (got {fmt!r})")
    with open_db() as db:
        data = (atom_feed if fmt == "atom" else rss_feed)(db, limit=limit)
    if output:
        output.write_bytes(data)
    else:
        sys.stdout.write(data.decode("utf-8") + "\n")


@fc_app.command("config")
def fc_config(key: str = typer.Argument(None, help="Tên cài đặt (setting); bỏ trống: liệt kê (list all)."),
              value: str = typer.Argument(None, help="Giá trị mới (new value); bỏ trống: xem (show).")) -> None:
    """Cài đặt kiểm chứng của bản cài đặt này: ngưỡng khớp, kênh cảnh báo, tổ chức (verify settings)."""
    from kiemchung.claims.config import set_setting, show_settings, shown_value
    from kiemchung.store.settings import check, get_shown, spec

    if key is not None:
        spec(key)
        if value is not None:
            check(key, value)
    with open_db() as db:
        if key is None:
            table = Table("Cài đặt", "Giá trị", "Ý nghĩa")
            for k, v, h in show_settings(db):
                table.add_row(k, escape(v), escape(h))
            console.print(table)
            _print_tradeoff(db)
            return
        if value is None:
            console.print(f"{key} = {escape(get_shown(db, key))}")
            return
        from kiemchung.audit import cli_actor

        stored = set_setting(db, key, value, actor=cli_actor())
        console.print(f"{key} = {escape(shown_value(key, stored))}")
        if key.startswith("alert_") and key in ("alert_precision", "alert_related_threshold", "alert_learn"):
            _print_tradeoff(db)


def _print_tradeoff(db) -> None:
    """The installation's alert trade-off: the measured curve, the threshold in force, triage learnt."""
    from kiemchung.claims.verify import tradeoff

    t = tradeoff(db)
    table = Table("ngưỡng (threshold)", "độ chính xác (precision)", "độ phủ (recall)",
                  "báo sai /1000 bài không liên quan (false alerts per 1,000)",
                  "cảnh báo đã phân loại ở đây: xác nhận/tổng (your triaged alerts: confirmed/all)",
                  title="Mức 'Lặp lại tin sai': đánh đổi đo trên alerts-dev (trade-off, cross-validated)"
                        " và trên cảnh báo đã phân loại của bản cài đặt này (and on this installation's triage)")
    for p in t["curve"]:
        mark = " ◀" if p["in_force"] else ""
        own = p["installation"]
        mine = f"{own['confirmed']}/{own['alerts']} ({own['precision']:.2f})" if own["alerts"] else "—"
        table.add_row(f"{p['threshold']:.2f}{mark}", f"{p['precision']:.3f}", f"{p['recall']:.3f}",
                      f"{p['false_alerts_per_1000']:.2f}", mine)
    console.print(table)
    console.print(f"Ngưỡng đang dùng (threshold in force) {t['repeat_threshold']:.2f}"
                  f" (trước khi học từ phân loại / before triage {t['repeat_threshold_before_triage']:.2f});"
                  f" 'có thể liên quan' từ (possibly related from) {t['related_threshold']:.2f};"
                  f" đã phân loại (triaged) {t['triaged']} cảnh báo, xác nhận (confirmed) {t['confirmed']}.")


@fc_app.command("import")
def fc_import(path: Path = typer.Argument(..., help="Tệp ClaimReview JSON-LD."), editor: str = EDITOR) -> None:
    """Nhập ClaimReview JSON-LD (import ClaimReview JSON-LD)."""
    from kiemchung.audit import cli_actor
    from kiemchung.claims.claimreview import import_claimreviews

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImportFileError(f"Không đọc được tệp {path} (cannot read file): {exc}") from exc
    with open_db() as db:
        res = import_claimreviews(db, data, editor=editor, actor=cli_actor())
    console.print(f"Đã nhập {len(res.created)} bài; {len(res.errors)} lỗi.")
    for e in res.errors:
        console.print(f"  [red]{escape(e)}[/]")


@fc_app.command("import-sample")
def fc_import_sample(editor: str = typer.Option("mau", "--editor")) -> None:
    """Nạp các bài kiểm chứng của dữ liệu mẫu (load the sample's fact-checks)."""
    from kiemchung.claims.factchecks import load_sample_factchecks

    with open_db() as db:
        n, skipped = load_sample_factchecks(db, editor)
    console.print(f"Đã nạp {n} bài kiểm chứng mẫu ({skipped} đã có).")


@app.command("claims")
def claims_cmd(ref: str = typer.Argument(..., help="Mã tài liệu, hoặc s+mã câu chuyện: 12, s5 (document id, or s + story id)."),
               limit: int = typer.Option(10, "--limit")) -> None:
    """Các câu đáng kiểm chứng của một tài liệu hoặc câu chuyện (check-worthy sentences of a document or story)."""
    from kiemchung.claims.checkworthy import rank_document, rank_documents

    key = ref.strip().lower()
    story = key.startswith(("s", "story:"))
    digits = key.removeprefix("story:").removeprefix("s")
    if not digits.isdigit():
        raise KiemchungError(f"Mã không hợp lệ (expected a document id like 12 or a story id like s5): {ref}")
    with open_db() as db:
        if story:
            from kiemchung.stories.service import get_story

            detail = get_story(db, int(digits), max_documents=200)
            console.print(f"[bold]#{detail.story.id} {escape(detail.story.headline)}[/] ({len(detail.documents)} tài liệu)")
            ranked = rank_documents(detail.documents, limit=limit)
        else:
            ranked = rank_document(db.get_document(int(digits)), limit=limit)
    if not ranked:
        console.print("Không có câu nào đáng kiểm chứng (no check-worthy sentence).")
    for s in ranked:
        console.print(f"{s.score:.2f}  {escape(s.text)}  [dim]({labels('reason', s.reasons)})[/]")


@app.command("match")
def match_cmd(text: str = typer.Argument(..., help="Nội dung cần so khớp (text to match).")) -> None:
    """Văn bản này có lặp lại tuyên bố đã kiểm chứng không? (match a text against fact-checks)."""
    from kiemchung.claims.alerts import AlertEngine
    from kiemchung.claims.factchecks import get_factcheck

    with open_db() as db:
        from kiemchung.claims.alerts import level_label

        engine = AlertEngine(db)
        matcher = engine.refresh()
        results, decisions = engine.decider.decide(text, k=5)
        for d in decisions:  # the alert engine's decision: level and probability
            if d.level is not None:
                fc = get_factcheck(db, int(d.match.entry_id))
                console.print(f"[bold]{escape(level_label(d.level))}[/] {d.probability:.2f}  #{fc.id} "
                              f"{escape(fc.claim)}")
        hits = [h for h in results if h.matched]
        if not hits:
            if results:  # say how far the closest one was, so a threshold can be judged
                cfg = matcher.config
                threshold = cfg.threshold if matcher.semantic else cfg.threshold_lexical
                console.print(f"không khớp (no match); gần nhất (closest) #{results[0].entry_id} "
                              f"điểm {results[0].score:.2f} < ngưỡng (threshold) {threshold:.2f}")
            else:
                console.print("không khớp (no match)")
            return
        for h in hits:
            fc = get_factcheck(db, int(h.entry_id))
            console.print(f"{h.score:.2f}  #{fc.id} \\[{escape(fc.verdict_label)}] {escape(fc.claim)}  "
                          f"[dim]từ chung: {escape(', '.join(h.reason))}[/]")


@alerts_app.callback()
def alerts_main(ctx: typer.Context) -> None:
    """Cảnh báo (alerts): mặc định liệt kê theo câu chuyện (lists, grouped by story, by default)."""
    if ctx.invoked_subcommand is None:
        alerts_list(limit=50, flat=False, story=None)


def _alert_line(a, owners: dict | None = None) -> str:
    from kiemchung.claims.alerts import level_label, owner_text

    owner = escape(owner_text((owners or {}).get(a.factcheck_id)))
    return (f"#{a.id} \\[{escape(level_label(a.level))}] tài liệu {a.doc_id} ↔ kiểm chứng #{a.factcheck_id}{owner} "
            f"điểm {a.probability if a.probability is not None else a.score:.2f} "
            f"{timeutil.fmt_local(a.created_at)}: {escape(', '.join(a.reason))}")


@alerts_app.command("list")
def alerts_list(limit: int = typer.Option(50, "--limit", help="Số câu chuyện (hoặc cảnh báo với --flat)."),
                flat: bool = typer.Option(False, "--flat", help="Không gom theo câu chuyện (one line per alert)."),
                story: int = typer.Option(None, "--story", help="Chỉ cảnh báo của câu chuyện này (one story).")) -> None:
    """Liệt kê cảnh báo, gom theo câu chuyện (list alerts, grouped by story)."""
    from kiemchung.claims.alerts import alerts_by_story, factcheck_owners, list_alerts

    with open_db() as db:
        if flat or story is not None:
            rows = list_alerts(db, limit=limit, story_id=story)
            owners = factcheck_owners(db, [a.factcheck_id for a in rows])
            if not rows:
                console.print("Chưa có cảnh báo (no alerts).")
            for a in rows:
                console.print(_alert_line(a, owners) + (f" [dim]câu chuyện {a.story_id}[/]" if a.story_id else ""))
            return
        groups = alerts_by_story(db, limit=limit)
        owners = factcheck_owners(db, [i for g in groups for i in g.factchecks])
    if not groups:
        console.print("Chưa có cảnh báo (no alerts).")
    for g in groups:
        title = (f"Câu chuyện #{g.story_id}: {escape(g.headline)}" if g.story_id is not None
                 else "Không thuộc câu chuyện nào (no story)")
        console.print(f"[bold]{title}[/] — {g.count} cảnh báo, kiểm chứng "
                      + ", ".join(f"#{i}" for i in g.factchecks))
        for a in g.alerts:
            console.print("  " + _alert_line(a, owners))


@alerts_app.command("scan")
def alerts_scan() -> None:
    """Quét mọi tài liệu đã lưu để tạo cảnh báo (scan stored documents)."""
    from kiemchung.claims.alerts import AlertEngine

    with open_db() as db:
        engine = AlertEngine(db)
        created = []
        batch = []
        for doc in db.iter_documents():
            batch.append(doc)
            if len(batch) >= 500:
                created += engine.process(batch)
                batch = []
        created += engine.process(batch)
    console.print(f"Đã tạo {len(created)} cảnh báo mới (new alerts).")


@alerts_app.command("deliver")
def alerts_deliver(include_failed: bool = typer.Option(False, "--include-failed")) -> None:
    """Gửi lại các thông báo đang chờ (deliver pending notifications)."""
    from kiemchung.claims.notify import deliver_pending

    with open_db() as db:
        out = deliver_pending(db, include_failed=include_failed)
    busy = f", {out['busy']} đang được gửi ở nơi khác (being sent by another round)" if out["busy"] else ""
    console.print(f"Đã gửi {out['sent']}, còn chờ {out['pending']}, thất bại {out['failed']}{busy}.")


@alerts_app.command("status")
def alerts_status(
    alert_id: int = typer.Argument(..., help="Số cảnh báo (alert id)."),
    status: str = typer.Argument(..., help="new | seen | dismissed | confirmed"),
    editor: str = typer.Option(None, "--editor", help="Tên biên tập viên (editor name), khi xác nhận."),
) -> None:
    """Đánh dấu cảnh báo: đã xem, bỏ qua, xác nhận (triage an alert; audited)."""
    from kiemchung.audit import cli_actor
    from kiemchung.claims.alerts import set_alert_status

    actor = cli_actor()
    with open_db() as db:
        out = set_alert_status(db, alert_id, status, actor=actor, editor=editor or actor)
    console.print(f"Cảnh báo #{out['id']}: {out['previous']} → {out['status']}")
