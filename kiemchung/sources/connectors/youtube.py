"""``youtube``: a YouTube channel (or playlist) through its public Atom feed; no account, no key.

With the secret setting ``youtube_api_key`` the videos' exact view, like and comment counts are asked
from the Data API (``videos?part=statistics``, one request for the whole feed) and stored as the
documents' engagement. Comments themselves are never fetched.
"""

from __future__ import annotations

from kiemchung.errors import FetchError, SourceError
from kiemchung.sources import youtube
from kiemchung.sources.connectors.base import Batch, Connector
from kiemchung.sources.connectors.registry import register


@register
class YouTubeConnector(Connector):
    """A channel's feed: its ~15 newest videos (title, description, counts), conditional GET."""

    kind = "youtube"
    label_vi = "kênh YouTube"
    label_en = "YouTube channel"
    help = "kênh YouTube: youtube.com/channel/UC… hoặc mã kênh UC… (YouTube channel URL or UC… id)"
    #: The Data API's ``videos`` endpoint (tests point it at a local stand-in).
    api_url = youtube.API_URL

    @classmethod
    def check_url(cls, url: str, *, local_files: bool = False) -> str:
        """A channel, user or playlist URL (or a bare UC… id) as the feed URL that is polled."""
        return super().check_url(youtube.feed_url(url), local_files=local_files)

    def fetch(self, cursor):
        """The feed's videos, newest first, with the Data API's counts when a key is set."""
        try:
            fetched = self.get(conditional=True)
        except FetchError as exc:
            if getattr(exc, "status", None) in (404, 410):
                raise FetchError(
                    f"Kênh YouTube không còn hoặc sai mã kênh (HTTP {exc.status}) khi tải {self.source.url}: kênh "
                    "đã bị xóa, đổi sang riêng tư, hoặc mã kênh sai (channel deleted, private or wrong id) (http_4xx)",
                    soft=False, reason="http_4xx") from None
            raise
        if fetched.not_modified:
            return Batch(not_modified=True, etag=self.source.etag, last_modified=self.source.last_modified)
        docs = youtube.parse_channel_feed(fetched.content, url=fetched.url)
        problems: list[str] = []
        key = self.setting("youtube_api_key")
        if key and docs:
            try:
                stats = self._statistics([d.meta["video_id"] for d in docs], key)
            except SourceError as exc:  # the feed is collected anyway; the counts wait for the next poll
                problems.append("Không lấy được số liệu từ YouTube Data API (video statistics not fetched): "
                                + str(exc).replace(key, "***"))
            else:
                for doc in docs:
                    doc.engagement = {**doc.engagement, **stats.get(doc.meta["video_id"], {})}
        return Batch(docs, etag=fetched.etag, last_modified=fetched.last_modified, problems=problems)

    def _statistics(self, video_ids: list[str], key: str) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for i in range(0, len(video_ids), 50):
            url = youtube.statistics_url(video_ids[i:i + 50], key, base=self.api_url)
            try:
                fetched = self.get(url)
            except SourceError as exc:  # the key travels in the URL: never in a message
                raise type(exc)(str(exc).replace(key, "***"), soft=exc.soft, reason=exc.reason) from None
            out.update(youtube.parse_statistics(fetched.content))
        return out
