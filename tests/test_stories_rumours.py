"""One rumour, one story: the bundled sample's rumour posts through the product path (the demo's import
and story stage), scored against the sample's gold file."""

from __future__ import annotations

import io
import datetime as dt
from collections import Counter, defaultdict

import pytest
from rich.console import Console
from sqlalchemy import text

from kiemchung.cli.demo import run_demo
from kiemchung.sources.sample import sample_gold
from kiemchung.stories.features import index_syllables
from kiemchung.store import Database


@pytest.fixture(scope="module")
def rumour_posts(tmp_path_factory):
    """``{claim: [(wording key, story id, time), ...]}`` for the sample's rumour posts after the demo."""
    path = tmp_path_factory.mktemp("rumours") / "sample.db"
    run_demo(path, Console(file=io.StringIO()))
    db = Database(path)
    with db.read() as conn:
        rows = conn.execute(
            text(
                "SELECT d.external_id, d.title, d.body, d.published_at, sd.story_id FROM documents d "
                "JOIN story_documents sd ON sd.doc_id = d.id WHERE d.kind = 'post'"
            )
        ).all()
    db.close()
    by_id = {r.external_id: r for r in rows if r.external_id}
    out: dict[str, list[tuple[str, int, dt.datetime]]] = defaultdict(list)
    for item, gold in sample_gold()["items"].items():
        if gold.get("claim") and gold["kind"] == "post" and item in by_id:
            r = by_id[item]
            # one wording of the rumour: its first folded, teencode-normalised syllables
            key = " ".join(index_syllables(f"{r.title or ''} {r.body or ''}".replace("KHẨN CẤP!!!", ""))[:5])
            out[gold["claim"]].append((key, r.story_id, dt.datetime.fromisoformat(str(r.published_at))))
    return out


def test_most_rumours_are_one_story(rumour_posts):
    """Each rumour's posts in one story: three of the five today (the other two are each in two or
    three stories: wordings posted days apart; see docs/stories.md). Before this change none was,
    and two were in three stories."""
    stories = {claim: {s for _, s, _ in posts} for claim, posts in rumour_posts.items()}
    assert sum(1 for s in stories.values() if len(s) == 1) >= 3, stories
    assert all(len(s) <= 3 for s in stories.values())
