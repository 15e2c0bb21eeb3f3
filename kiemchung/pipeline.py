"""What runs after documents are stored: the stages that follow ingest.

Story assignment is fast and runs right after each ingest (streaming: each new document joins a
story as it arrives); then the alert stage checks the new documents against the published false and
misleading fact-checks. Slow stages (named entities, keyword segmentation) run on their own
(``kiemchung entities run``), never holding up ingest.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from kiemchung.store import Database

log = logging.getLogger(__name__)


@dataclass
class StageReport:
    """How many documents each stage handled in one pass."""

    counts: dict[str, int] = field(default_factory=dict)


class Pipeline:
    """The post-ingest stages of one database, safe to call from several threads."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._stories = None
        self._extra: list[tuple[str, Callable[[], int]]] = []
        self._alerts = None

    def add_stage(self, name: str, run: Callable[[], int]) -> None:
        """Register another fast stage, run after the story stage on every pass."""
        self._extra.append((name, run))

    @property
    def stories(self):
        """The story assignment stage (loaded on first use)."""
        if self._stories is None:
            from kiemchung.stories.service import StoryStage

            self._stories = StoryStage(self.db)
        return self._stories

    @property
    def alerts(self):
        """The alert stage (loaded on first use)."""
        if self._alerts is None:
            from kiemchung.claims.alerts import AlertStage

            self._alerts = AlertStage(self.db)
        return self._alerts

    def run(self) -> StageReport:
        """Run every fast stage over what has been stored since the last pass."""
        report = StageReport()
        with self._lock:
            report.counts["stories"] = self.stories.run()
            report.counts["alerts"] = self.alerts.run()
            for name, run in self._extra:
                report.counts[name] = run()
        return report
