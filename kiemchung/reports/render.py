"""Render a :class:`Report` as HTML (charts inline), Markdown, or PDF (WeasyPrint)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from html import escape
from pathlib import Path

from kiemchung import timeutil
from kiemchung.claims.checkworthy import WEIGHTS
from kiemchung.errors import ConfigError
from kiemchung.labels import LABELS, label
from kiemchung.reports.build import Report

NO_DATA = "chưa có dữ liệu"
STORY_ROWS = 20  # rows of the reach-by-story table (most active stories first)
STORY_TABLE = 8  # index of the reach-by-story table in _tables()
STORY_LEGEND = ("TTCT: thông tin chính thức trong câu chuyện; Đăng lại, Lần đầu: số lượt và thời gian tới lượt "
                "đăng lại đầu tiên của TTCT; Tin sai: văn bản của câu chuyện lặp lại một nhận định sai đã kiểm "
                "chứng; Bài KC: số bài kiểm chứng trả lời; KC đăng lại, KC lần đầu: lượt đăng lại bài kiểm chứng "
                "và thời gian tới lượt đầu.")

HEAD_LABELS = [
    ("documents", "Văn bản thu thập", "documents"),
    ("sources", "Nguồn có văn bản", "sources"),
    ("new_stories", "Câu chuyện mới", "new stories"),
    ("official", "Thông tin chính thức", "official statements"),
    ("factchecks", "Bài kiểm chứng đã đăng", "fact-checks published"),
    ("alerts", "Cảnh báo", "alerts raised"),
    ("claims", "Văn bản có nhận định cần kiểm chứng", "documents with check-worthy claims"),
]
# Labels of the codes a report shows: the installation-wide table (kiemchung.labels), capitalised
# where a report cell starts with them.
SIGNALS = {code: label("reason", code) for code in WEIGHTS}
KIND_LABELS = {code: label("doc_kind", code).capitalize() for code in LABELS["doc_kind"]}


def _n(v) -> str:
    return NO_DATA if v is None else f"{v:,}".replace(",", ".")


def _change(cur, prev) -> str:
    if cur is None or prev is None:
        return "–"
    diff = cur - prev
    pct = f" ({diff / prev:+.0%})" if prev else ""
    return f"{diff:+d}{pct}"


def _dur(d: dt.timedelta | None) -> str:
    if d is None:
        return "–"
    h = d.total_seconds() / 3600
    return f"{h:.1f} giờ" if h < 48 else f"{h / 24:.1f} ngày"


def _health(s: dict) -> str:
    quiet = f"im lặng bất thường từ {s['quiet_since']:%d/%m/%Y}" if s.get("quiet_since") else ""
    if s["kind"] == "outlet" or (s["kind"] == "import" and not s["failures"]):
        return quiet or "không thu trực tiếp"  # named by documents, or a file import: nothing is polled
    if not s["enabled"]:
        return "đã tắt"
    state = "tốt" if s["healthy"] else f"lỗi {s['failures']} lần liên tiếp"
    return f"{state}; {quiet}" if quiet else state


def _clip(text: str, n: int = 110) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _days(p) -> str:
    """The period as its first and last day, e.g. "01/10/2026 – 31/12/2026" (the end is exclusive)."""
    last = p.end - dt.timedelta(days=1)
    return f"{p.start:%d/%m/%Y} – {last:%d/%m/%Y}"


def report_title(r: Report) -> str:
    """The report's title: the period, and the source collection when the report is limited to one."""
    scope = f" — bộ sưu tập nguồn «{r.collection.name}»" if r.collection else ""
    return f"Báo cáo thông tin — {r.period.label}{scope}"


def scope_line(r: Report) -> str:
    """Which sources the figures count, in plain words (Vietnamese, then English)."""
    if r.collection is None:
        return "Phạm vi: mọi nguồn (scope: every source)."
    n = len(r.collection.source_ids)
    return (f"Phạm vi: chỉ {n} nguồn của bộ sưu tập «{r.collection.name}» — mọi số liệu, câu chuyện, xu hướng, "
            "danh sách theo dõi, nhận định, cảnh báo và lan toả chỉ tính văn bản của các nguồn này; bài kiểm "
            "chứng là của cả cơ quan, lan toả của chúng tính trong các nguồn này (scope: only the "
            f"{n} sources of collection «{r.collection.name}»).")


def _t(v) -> str:
    return timeutil.fmt_local(v) if v else "–"


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.2f}%".replace(".", ",")


def _tables(r: Report) -> list[tuple[str, str, list[str], list[list[str]] | None]]:
    """(title, English, header, rows or None for no data) per section, shared by HTML and Markdown."""
    head = [[f"{vi} ({en})", _n(r.headline[k]), _n(r.headline_previous.get(k)),
             _change(r.headline[k], r.headline_previous.get(k))] for k, vi, en in HEAD_LABELS]
    kinds = [[KIND_LABELS.get(k, k), _n(v)] for k, v in sorted(r.by_kind.items())]
    stories = [[str(s["id"]), s["headline"], _n(s["documents"]), _n(s["outlets"]), _t(s["first_seen"])]
               for s in r.top_stories]
    rising = None if r.rising is None else [[x["label"], _n(x["current"]), f"{x['baseline']:.1f}", f"{x['score']:.1f}"]
                                            for x in r.rising]
    wl = None if r.watchlists is None else [[w["name"], w["query"], _n(w["count"]), _change(w["count"], w["previous"])]
                                            for w in r.watchlists]
    att = [[a["name"], _n(a["count"]), _pct(a["share"]), _pct(a["previous_share"])]
           for a in getattr(r, "attention", [])]
    stm = [[_t(s["published_at"]), s["title"], _n(s["pickups"]), _n(s["outlets"]), _dur(s["first"]), _dur(s["tenth"])]
           for s in r.statements]
    fcs = None if r.factchecks is None else [
        [_t(f["published_at"]), f["title"], _n(f["pickups"]), _dur(f["first"]), _n(f["before"]), _n(f["after"])]
        for f in r.factchecks]
    sr = [[_clip(s["headline"]), _n(s["documents"]), _n(s["statements"]), _n(s["pickups"]), _dur(s["first_pickup"]),
           _n(s["claim_volume"]), _n(s["factchecks"]), _n(s["correction_pickups"]), _dur(s["first_correction"])]
          for s in r.story_reach[:STORY_ROWS]]
    if len(r.story_reach) > STORY_ROWS:
        sr.append([f"… và {len(r.story_reach) - STORY_ROWS} câu chuyện khác (and more)"] + [""] * 8)
    claims = None if r.claims is None else [
        [c["text"], f"{c['score']:.2f}", ", ".join(SIGNALS.get(x, x) for x in c["reasons"]),
         f"#{c['doc_id']}" + (f" (+{c['documents'] - 1} cùng câu chuyện #{c['story_id']})" if c["documents"] > 1 else ""),
         "có" if c["alerted"] else "–"]
        for c in r.claims]
    src = [[s["name"], label("source_kind", s["kind"]), _health(s), _n(s["documents"])] for s in r.sources]
    ev = [[_t(e["fetched_at"]), e["url"], (e["sha256"] or "")[:16], e["link"]] for e in getattr(r, "evidence", [])]
    return [
        ("Số liệu chính", "headline figures", ["Chỉ số", r.period.label, r.previous.label, "Thay đổi"], head),
        ("Văn bản theo loại", "documents by kind", ["Loại", "Số lượng"], kinds),
        ("Câu chuyện lớn nhất", "top stories", ["#", "Câu chuyện", "Văn bản", "Nguồn", "Xuất hiện"], stories),
        ("Câu chuyện đang nổi lên (cuối kỳ)", "rising at period end", ["Câu chuyện", "24 giờ", "Nền", "Điểm"], rising),
        ("Danh sách theo dõi", "watchlists", ["Tên", "Truy vấn", "Văn bản", "So với kỳ trước"], wl),
        ("Tỷ trọng chú ý: phần của mỗi danh sách theo dõi trong mọi văn bản thu thập", "attention share",
         ["Tên", "Văn bản", "Tỷ trọng", "Kỳ trước"], att),
        ("Nhận định cần kiểm chứng", "claims detected",
         ["Nhận định", "Điểm", "Dấu hiệu", "Văn bản", "Đã cảnh báo"], claims),
        ("Lan toả của thông tin chính thức", "reach of official statements",
         ["Thời điểm", "Văn bản", "Lượt đăng lại", "Nguồn", "Lần đầu sau", "Lần thứ 10 sau"], stm),
        ("Lan toả của bài kiểm chứng", "reach of fact-checks",
         ["Đăng lúc", "Nhận định sai", "Lượt đăng lại", "Lần đầu sau", "Tin sai trước", "Tin sai sau"], fcs),
        ("Theo câu chuyện: thông tin chính thức, tin sai và bài kiểm chứng", "reach by story",
         ["Câu chuyện", "Văn bản", "TTCT", "Đăng lại", "Lần đầu", "Tin sai", "Bài KC", "KC đăng lại",
          "KC lần đầu"], sr),
        ("Tình trạng nguồn tin", "sources' health", ["Nguồn", "Loại", "Tình trạng", "Văn bản trong kỳ"], src),
        ("Bản lưu trang làm bằng chứng", "kept evidence",
         ["Tải lúc", "Trang", "SHA-256", "Xem tại"], ev),
    ]


CSS = """
@page { size: A4; margin: 16mm 14mm; @bottom-right { content: counter(page) "/" counter(pages); font-size: 8pt; } }
body { font-family: "DejaVu Sans", "Noto Sans", sans-serif; font-size: 9.5pt; color: #1a202c; }
h1 { font-size: 17pt; margin: 0 0 2mm; } h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #cbd5e0; }
.en { color: #718096; font-size: 7.5pt; font-weight: normal; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #e2e8f0; padding: 1.2mm 1.5mm;
text-align: left; vertical-align: top; } th { background: #edf2f7; } td.n { text-align: right; white-space: nowrap; }
.nodata { color: #a0aec0; font-style: italic; } svg { max-width: 100%; height: auto; } .meta { color: #4a5568; }
table.t5 td:first-child { width: 42%; } table.t8 td:first-child { width: 36%; } table.t8 { font-size: 8.5pt; }
.legend { color: #4a5568; font-size: 7.5pt; margin: 1mm 0 0; } tr { page-break-inside: avoid; }
"""


def render_html(report: Report) -> str:
    """The report as a standalone HTML page (charts inline SVG); byte-identical for the same figures."""
    from kiemchung.reports.charts import reach_chart, volume_chart

    r = report
    out = ['<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8">',
           f"<title>{escape(report_title(r))}</title><style>{CSS}</style></head><body>",
           f'<h1>{escape(report_title(r))} <span class="en">report</span></h1>',
           f'<p class="meta">Kỳ báo cáo: {_days(r.period)} (giờ Việt Nam); '
           f"so sánh với {escape(r.previous.label)}. Lập lúc {_t(r.generated_at)}.</p>",
           f'<p class="meta scope">{escape(scope_line(r))}</p>']
    tables = _tables(r)
    for i, (title, en, header, rows) in enumerate(tables):
        out.append(f'<h2>{escape(title)} <span class="en">{escape(en)}</span></h2>')
        if rows is None:
            out.append(f'<p class="nodata">{NO_DATA} (module not available yet)</p>')
        elif not rows:
            out.append('<p class="nodata">Không có mục nào trong kỳ (none in this period).</p>')
        else:
            out.append(f'<table class="t{i}"><tr>' + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>")
            for row in rows:
                out.append("<tr>" + "".join(
                    f'<td class="n">{escape(c)}</td>' if j and _numeric(c) else f"<td>{_cell_html(c)}</td>"
                    for j, c in enumerate(row)) + "</tr>")
            out.append("</table>")
            if i == STORY_TABLE:
                out.append(f'<p class="legend">{escape(STORY_LEGEND)}</p>')
        if i == 1:
            unit = "ngày" if r.volume_bucket == "day" else "tuần"
            out.append(f'<h2>Khối lượng theo {unit} <span class="en">volume per {r.volume_bucket}</span></h2>')
            out.append(volume_chart(r.volume, r.volume_bucket) if any(n for _, n in r.volume)
                       else '<p class="nodata">Không có văn bản trong kỳ (no documents).</p>')
        if i == 6 and r.statements:
            out.append(reach_chart(r.statements))
    out.append("</body></html>\n")
    return "\n".join(out)


# A figure cell: a count, a change "+129 (+136%)", a duration "5.6 giờ", a score, a date-time, or "–".
# Text that merely starts with a digit ("5 thói quen…") is not one: it must wrap like any text.
_FIGURE = re.compile(r"[+\-–]?[\d.,:/ ]+(%|\s*\([+\-–]?[\d.,]+%\)| giờ| ngày)?|–")


def _numeric(c: str) -> bool:
    return bool(_FIGURE.fullmatch(c.strip()))


def _cell_html(c: str) -> str:
    """A cell's text, escaped; an http(s) address (a kept page's link) as a link."""
    from kiemchung.links import http_url

    url = http_url(c) if c.startswith(("http://", "https://")) else None
    return f'<a href="{escape(url)}">{escape(c)}</a>' if url else escape(c)


def _md_cell(c: str) -> str:
    return c.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    """The report as Markdown (tables; the volume as a plain list instead of a chart)."""
    r = report
    out = [f"# {report_title(r)}", "",
           f"Kỳ báo cáo: {_days(r.period)} (giờ Việt Nam); so sánh với {r.previous.label}. "
           f"Lập lúc {_t(r.generated_at)}.", "", scope_line(r), ""]
    for i, (title, en, header, rows) in enumerate(_tables(r)):
        out += [f"## {title} _({en})_", ""]
        if rows is None:
            out += [f"_{NO_DATA}_ (module not available yet)", ""]
        elif not rows:
            out += ["_Không có mục nào trong kỳ (none in this period)._", ""]
        else:
            out.append("| " + " | ".join(header) + " |")
            out.append("|" + "---|" * len(header))
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            out.append("")
            if i == STORY_TABLE:
                out += [f"_{STORY_LEGEND}_", ""]
        if i == 1:
            out += [f"## Khối lượng theo {'ngày' if r.volume_bucket == 'day' else 'tuần'} _(volume)_", ""]
            out += [f"- {d.strftime('%d/%m/%Y')}: {n}" for d, n in r.volume] + [""]
    return "\n".join(out)


def _weasyprint_html() -> type:
    """WeasyPrint's ``HTML``. Importing WeasyPrint sets Pillow's process-wide
    ``ImageFile.LOAD_TRUNCATED_IMAGES``, after which Pillow decodes a truncated image without an error:
    ``kiemchung.images`` would then take a cut-off upload in the same process (``kiemchung serve``
    renders reports and receives images) as a whole image. The flag is put back as it was; the
    reports' own images (charts drawn here) are never truncated."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        from weasyprint import HTML
    except ImportError as exc:
        raise ConfigError("Thiếu gói weasyprint để xuất PDF (pip install weasyprint)") from exc
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
    return HTML


def render_pdf(report: Report, path: str | Path) -> Path:
    """Write the report as a PDF (WeasyPrint) to ``path``; returns the path."""
    HTML = _weasyprint_html()
    path = Path(path)
    weasy_log = logging.getLogger("weasyprint")
    weasy_log.addFilter(_svg_style_noise)
    try:
        HTML(string=render_html(report)).write_pdf(path)
    finally:
        weasy_log.removeFilter(_svg_style_noise)
    return path


# WeasyPrint runs the style attributes of inline SVG elements through its HTML CSS parser too, which
# does not know SVG's painting properties and warns once per element ("Ignored `stroke: #000000` at
# 1:1, unknown property": about 250 lines for one report), although its SVG renderer then draws them
# (the charts' colours and lines are in the PDF). Only those warnings are dropped; any other warning
# (a missing font, a CSS error of ours) still shows.
_SVG_PAINT = re.compile(
    r"Ignored `(stroke|stroke-[a-z]+|fill|fill-opacity|text-anchor|clip-path|font|dominant-baseline)"
    r": [^`]*` at \d+:\d+, unknown property"
)


def _svg_style_noise(record: logging.LogRecord) -> bool:
    return not _SVG_PAINT.match(record.getMessage())
