"""Sources: where documents come from (feeds, web pages, import files, the bundled sample)."""

from kiemchung.sources.feeds import discover_feeds, parse_feed
from kiemchung.sources.http import Fetcher, FetchResult, FetchSettings
from kiemchung.sources.web import extract_page, should_fetch_full_text

__all__ = [
    "FetchResult",
    "FetchSettings",
    "Fetcher",
    "discover_feeds",
    "extract_page",
    "parse_feed",
    "should_fetch_full_text",
]
