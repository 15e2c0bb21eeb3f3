"""Report charts: matplotlib (Agg) to inline SVG, byte-reproducible (fixed hash salt, no date metadata)."""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

plt.rcParams.update({
    "svg.hashsalt": "kiemchung-report",
    "svg.fonttype": "none",  # text stays text: Vietnamese glyphs come from the page's font
    "font.family": ["DejaVu Sans"],
    "font.size": 9,
})


_ID = re.compile(r'(\bid="|href="#|url\(#)([^")]+)')


def _svg(fig, name: str) -> str:
    """The figure as inline SVG; element ids start with ``name`` so that two charts on one page never
    share one (matplotlib names tick groups "ytick_1"… in every chart, which WeasyPrint reported as
    anchors defined twice)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buf.getvalue()
    return _ID.sub(lambda m: f"{m[1]}{name}-{m[2]}", text[text.index("<svg"):])


def volume_chart(points, bucket: str) -> str:
    """Bar chart of documents per day/week as an SVG string."""
    fig, ax = plt.subplots(figsize=(7.2, 2.6))
    labels = [d.strftime("%d/%m") for d, _ in points]
    ax.bar(range(len(points)), [n for _, n in points], color="#2b6cb0", width=0.8)
    step = max(1, -(-len(points) // 8))
    ax.set_xticks(range(0, len(points), step), labels[::step], rotation=0)
    ax.set_ylabel("Số văn bản / " + ("ngày" if bucket == "day" else "tuần"))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    return _svg(fig, "volume")


def reach_chart(rows) -> str:
    """Horizontal bars: pickups per official statement (top 12) as an SVG string."""
    rows = sorted(rows, key=lambda r: (-r["pickups"], r["id"]))[:12]
    fig, ax = plt.subplots(figsize=(7.2, 0.35 * max(len(rows), 1) + 0.8))
    names = [(r["title"][:60] + "…") if len(r["title"]) > 60 else r["title"] for r in rows]
    ax.barh(range(len(rows)), [r["pickups"] for r in rows], color="#c05621")
    ax.set_yticks(range(len(rows)), names)
    ax.invert_yaxis()
    ax.set_xlabel("Số lần được đăng lại / trích dẫn (pickups)")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig, "reach")
