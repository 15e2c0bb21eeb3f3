"""The demo (``make demo``): the main job on the bundled sample, offline; a rerun adds nothing twice."""

from __future__ import annotations

import io

from rich.console import Console

from kiemchung.claims.alerts import list_alerts
from kiemchung.claims.factchecks import NEEDS_EVIDENCE, get_factcheck
from kiemchung.cli.demo import run_demo
from kiemchung.store import Database


def test_demo_twice_on_the_sample(tmp_path):
    path = tmp_path / "demo.db"
    out = io.StringIO()
    first = run_demo(path, Console(file=out, width=120))
    text = out.getvalue()
    assert first["factchecks"] >= 3 and first["alerts"] > 0 and first["stories"] > 0
    assert "Cảnh báo tin sai lặp lại" in text and "Câu chuyện lớn nhất" in text
    db = Database(path)
    try:
        alerts = list_alerts(db, limit=10_000)
        assert len(alerts) == first["alerts"]
        for alert in alerts:  # every alert points at a published false or misleading fact-check
            fc = get_factcheck(db, alert.factcheck_id)
            assert fc.status == "published" and fc.verdict in NEEDS_EVIDENCE
        assert first["stats"]["documents"] == db.count_documents()
    finally:
        db.close()
    second = run_demo(path, Console(file=io.StringIO(), width=120))
    assert second["stats"]["documents"] == first["stats"]["documents"]
    assert second["alerts"] == first["alerts"] and second["factchecks"] == first["factchecks"]
