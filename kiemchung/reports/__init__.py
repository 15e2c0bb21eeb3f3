"""Periodic reports: periods, figures, charts, HTML/Markdown/PDF rendering, scheduling."""

from kiemchung.reports.build import Report, build_report
from kiemchung.reports.period import Period, last_complete, parse_period
from kiemchung.reports.render import render_html, render_markdown, render_pdf

__all__ = ["Period", "Report", "build_report", "last_complete", "parse_period", "render_html", "render_markdown",
           "render_pdf"]
