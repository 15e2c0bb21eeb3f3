"""What runs after documents are stored: the stages that follow ingest.

Story assignment is fast and runs right after each ingest (streaming: each new document joins a
story as it arrives). Slow stages (named entities, keyword segmentation) run on their own, never
holding up ingest. Other stages (alerts) register here as they are built.
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

    def run(self) -> StageReport:
        """Run every fast stage over what has been stored since the last pass."""
        report = StageReport()
        with self._lock:
            report.counts["stories"] = self.stories.run()
            for name, run in self._extra:
                report.counts[name] = run()
        return report
