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
