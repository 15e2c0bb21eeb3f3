"""Small inline SVG charts generated on the server (no JavaScript chart library)."""

from __future__ import annotations

import datetime as dt
from html import escape


def bar_chart(
    series: list[tuple[dt.date, int]], *, width: int = 600, height: int = 140, label: str = ""
) -> str:
    """An SVG bar chart of (day, count) pairs; every bar carries a <title> tooltip."""
    n = max(1, len(series))
    top = max((c for _, c in series), default=0) or 1
    bw = width / n
    bars = []
    for i, (day, count) in enumerate(series):
        h = (height - 30) * count / top  # 14 px kept free above the tallest bar for the max label
        bars.append(
            f'<rect x="{i * bw + 1:.1f}" y="{height - 16 - h:.1f}" width="{max(bw - 2, 1):.1f}" height="{h:.1f}">'
            f"<title>{day.strftime('%d/%m')}: {count}</title></rect>"
        )
    first = series[0][0].strftime("%d/%m") if series else ""
    last = series[-1][0].strftime("%d/%m") if series else ""
    # The axis labels are HTML beside the SVG, not SVG text: the bars stretch to any width
    # (preserveAspectRatio="none"), and text inside would be squashed on a phone.
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" preserveAspectRatio="none">'
        + "".join(bars)
        + "</svg>"
        + f'<div class="chart-axis"><span>{first}</span><span class="peak">↑ {top}</span><span>{last}</span></div>'
    )


def line_chart(starts: list[dt.date], lines: list[tuple[str, list[float | None]]], *, width: int = 600,
               height: int = 160, label: str = "", unit: str = "%") -> str:
    """An SVG chart of up to five lines over the same days (gaps where a value is None), each point
    carrying a <title> tooltip; the legend and axis labels are HTML beside the SVG (the drawing stretches
    to any width), colours come from the stylesheet (classes ``l0``…``l4``)."""
    n = max(1, len(starts))
    values = [v for _, vs in lines for v in vs if v is not None]
    top = max(values, default=0.0) or 1.0
    step = width / max(1, n - 1)
    parts = []
    for k, (name, vs) in enumerate(lines):
        runs, run = [], []
        for i, v in enumerate(vs):
            if v is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{i * step:.1f},{height - 4 - (height - 20) * v / top:.1f}")
        if run:
            runs.append(run)
        for pts in runs:
            parts.append(f'<polyline class="l{k}" fill="none" stroke-width="2" points="{" ".join(pts)}"/>')
        for i, v in enumerate(vs):
            if v is not None and starts:
                y = height - 4 - (height - 20) * v / top
                parts.append(f'<circle class="l{k}" cx="{i * step:.1f}" cy="{y:.1f}" r="2">'
                             f"<title>{escape(name)} {starts[i].strftime('%d/%m/%Y')}: {v:.2f}{unit}</title></circle>")
    legend = "".join(f'<span class="key l{k}">{escape(name)}</span>' for k, (name, _) in enumerate(lines))
    first = starts[0].strftime("%d/%m/%Y") if starts else ""
    last = starts[-1].strftime("%d/%m/%Y") if starts else ""
    return (
        f'<div class="chart-legend">{legend}</div>'
        f'<svg class="chart lines" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        f'preserveAspectRatio="none">' + "".join(parts) + "</svg>"
        f'<div class="chart-axis"><span>{first}</span><span class="peak">↑ {top:.2f}{unit}</span><span>{last}</span></div>'
    )
