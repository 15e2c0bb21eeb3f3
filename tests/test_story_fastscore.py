"""The compiled scorer (kiemchung/stories/_fastscore.c) against the Python code it stands in for: the same
documents through a clusterer on each path give the same stories and the same scores, to the bit."""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
from array import array

import pytest

from kiemchung.sources.sample import sample_path
from kiemchung.stories import cluster
from kiemchung.stories.cluster import ClusterConfig, StoryClusterer, compiled_scorer

try:
    from kiemchung.stories import _fastscore
except ImportError:  # not built (no C compiler): the Python path runs; CI requires the build
    _fastscore = None

needs_build = pytest.mark.skipif(_fastscore is None, reason="kiemchung.stories._fastscore is not built")

_T0 = dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.timezone.utc)
_SYLLABLES = (
    "ha noi sai gon da nang can tho hue bao lu chay no tai nan giao thong xang dau gia vang chung khoan "
    "bong da doi tuyen world cup bau cu quoc hoi thu tuong bo truong y te dich benh sot xuat huyet covid "
    "truong hoc hoc sinh thi tot nghiep dai hoc dien luc mat dien nang nong mua bao canh bao thoi tiet "
    "vinh tan phong toa cong an bat giu lua dao tien ao ngan hang lai suat xuat khau gao ca phe tom"
).split()


def test_the_compiled_scorer_is_built_when_required():
    """CI sets KIEMCHUNG_TEST_CEXT_REQUIRED=1 (.ci/run): there the module must have been built by the
    editable install (setup.py), not silently replaced by the Python code."""
    if os.environ.get("KIEMCHUNG_TEST_CEXT_REQUIRED") == "1":
        assert _fastscore is not None, "pip install -e . did not build kiemchung.stories._fastscore (a C compiler?)"
        # and built from this checkout's source: a stale module is not taken, and the Python code would run
        assert compiled_scorer() is not None, "kiemchung.stories._fastscore is older than its source (rebuild)"


def test_the_environment_forces_the_python_code(monkeypatch):
    monkeypatch.setenv("KIEMCHUNG_PURE_PYTHON", "1")
    assert compiled_scorer() is None
    assert StoryClusterer()._fast is None
    monkeypatch.setenv("KIEMCHUNG_PURE_PYTHON", "0")
    assert compiled_scorer() is _fastscore


@needs_build
@pytest.mark.parametrize("missing", ["headline", "DF_ARRAY"])
def test_a_build_from_older_source_is_not_used(monkeypatch, missing):
    """A module built before a function was added, or before its functions took the frequencies as
    an array (a checkout updated without a rebuild): the Python code runs rather than a call failing
    in the middle of an import."""
    assert all(hasattr(_fastscore, name) for name in cluster._COMPILED)
    monkeypatch.delattr(_fastscore, missing)
    assert compiled_scorer() is None


def _news(seed: int, n: int) -> list[dict]:
    """``n`` articles of about n/6 events (each event: its own words over a shared vocabulary, a few
    days long), some undated, some with a daily series headline; in a backfill order (the second half
    of the time range first) so that dormant stories are found again by day."""
    rng = random.Random(seed)
    events = []
    for e in range(max(1, n // 6)):
        words = rng.sample(_SYLLABLES, 8) + [f"ev{e}a", f"ev{e}b", f"ev{e}c"]
        events.append((words, rng.uniform(0, 40)))
    items = []
    for k in range(n):
        words, day = events[rng.randrange(len(events))]
        title = " ".join(rng.sample(words, 6))
        lead = " ".join(rng.choice(_SYLLABLES if rng.random() < 0.3 else words) for _ in range(20))
        when = _T0 + dt.timedelta(days=day + rng.uniform(0, 3))
        if rng.random() < 0.08:  # a daily bulletin: the same headline template each day
            title = f"Kết quả xổ số miền Bắc ngày {when.day}/{when.month}"
        items.append({"id": f"n{k}", "title": title, "lead": lead,
                      "published_at": None if rng.random() < 0.05 else when.isoformat()})
    items.sort(key=lambda it: it["published_at"] or "")
    half = len(items) // 2
    return items[half:] + items[:half]


def _posts() -> list[dict]:
    """The bundled sample's social posts (copies of rumours in several spellings), in file order."""
    with open(sample_path("posts.csv"), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))[1:]
    out = []
    for r in rows:
        try:
            when = dt.datetime.strptime(r[4], "%d/%m/%Y %H:%M").replace(tzinfo=dt.timezone(dt.timedelta(hours=7)))
        except ValueError:  # the sample's posts include times such as "hôm qua": no date
            when = None
        out.append({"id": r[0], "title": r[3][:120], "body": r[3], "informal": True,
                    "published_at": when.isoformat() if when else None})
    return out


def _pair(monkeypatch, config: ClusterConfig) -> tuple[StoryClusterer, StoryClusterer]:
    now = lambda: dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc)  # noqa: E731
    monkeypatch.setenv("KIEMCHUNG_PURE_PYTHON", "1")
    pure = StoryClusterer(config, now=now)
    monkeypatch.delenv("KIEMCHUNG_PURE_PYTHON")
    fast = StoryClusterer(config, now=now)
    assert pure._fast is None and fast._fast is _fastscore
    return pure, fast


def _scores(c: StoryClusterer, docs: list[str]) -> list[tuple]:
    """Every exact score the clusterer computes, for each document against each story holding a
    document (query vector, lexical score, cohesion): floats compared bit for bit."""
    out = []
    active = [s for s, st in c._stories.items() if st.active and st.docs]
    for d in docs:
        doc = c._docs[d]
        q2, qnorm = c._query_vector(doc)
        out.append((d, sorted(q2.items()), qnorm))
        for s in active:
            out.append((d, s, c._lexical(c._stories[s], q2, qnorm)))
    for s in active:
        out.append((s, c._cohesion(c._stories[s])))
    return out


@needs_build
@pytest.mark.parametrize(
    "config",
    [
        ClusterConfig(),
        ClusterConfig(candidate_norm=0.0, max_candidates=4, cohesion_min_docs=2, query_terms=12, story_terms=20),
        ClusterConfig(window_days=1.0, stop_min_docs=50, stop_df_ratio=0.02, max_postings=5, max_active_stories=30),
    ],
    ids=["default", "unnormalised-small-index", "short-window-stopwords"],
)
def test_both_paths_give_the_same_stories_and_scores(monkeypatch, config):
    pure, fast = _pair(monkeypatch, config)
    items = _news(7, 420)
    posts = _posts()
    items = items[:200] + posts + items[200:]  # posts in the middle: near copies, dormant stories around
    for it in items:
        kw = {k: v for k, v in it.items() if k != "id"}
        assert pure.add(it["id"], **kw) == fast.add(it["id"], **kw), it["id"]
    assert pure.assignments() == fast.assignments()
    assert {s: st.indexed for s, st in pure._stories.items()} == {s: st.indexed for s, st in fast._stories.items()}
    assert pure._postings == fast._postings
    # centroids: the same floats, in the same order (the order decides the sums taken over them)
    assert [(s, list(st.centroid.items())) for s, st in pure._stories.items()] == [
        (s, list(st.centroid.items())) for s, st in fast._stories.items()
    ]
    sample = [it["id"] for it in items[::37]]
    assert _scores(pure, sample) == _scores(fast, sample)
    # the summaries the story stage stores (headline and keywords), active and dormant stories, with
    # and without the shared IDF memo
    sids = [st.sid for st in pure._stories.values()]
    assert [pure.summary(s, keywords=20) for s in sids] == [fast.summary(s, keywords=20) for s in sids]
    with pure.same_idf(), fast.same_idf():
        assert [pure.summary(s, keywords=k) for s in sids for k in (0, 5)] == [
            fast.summary(s, keywords=k) for s in sids for k in (0, 5)
        ]
        assert fast._idf_memo.table is not None and not fast._idf_memo  # the compiled path fills the table
        assert pure._idf_memo.computed() == fast._idf_memo.computed()
    assert len(set(pure.assignments().values())) > 40  # the fixture makes stories, not one blob


@needs_build
@pytest.mark.parametrize("df_type", [list, "i"])
def test_each_function_matches_its_python_code(monkeypatch, df_type):
    """Random inputs through each compiled function and its Python original (ties included); the
    frequencies as a list or as the clusterer's array('i')."""
    pure, fast = _pair(monkeypatch, ClusterConfig())
    rng = random.Random(3)
    df = [rng.randrange(1, 50) for _ in range(500)]
    for c in (pure, fast):
        c._df, c._n = (list(df) if df_type is list else array(df_type, df)), 400
    for _ in range(200):
        ids = array("i", rng.sample(range(500), rng.randrange(0, 120)))
        values = array("f", [rng.choice((1.0, 2.0, rng.random() * 3)) for _ in ids])  # ties in w
        k = rng.randrange(1, 90)
        n1 = 501.0
        ref = __import__("heapq").nlargest(
            k, [(v * cluster.math.log(n1 / (pure._df[i] + 0.5)), i, v) for i, v in zip(ids, values)]
        )
        assert _fastscore.weighted(ids, values, pure._df, n1, k) == ref
        doc = cluster._Doc(story=-1, time=None, title="", terms=ids, tfs=values)
        assert pure._query_vector(doc) == fast._query_vector(doc)
    with pytest.raises(ValueError):
        _fastscore.weighted(array("i", [1, 2]), array("f", [1.0]), pure._df, 3.0, 5)
    with pytest.raises(IndexError):
        _fastscore.query_vector(array("i", [900]), array("f", [1.0]), pure._df, 3.0)
    with pytest.raises(TypeError):
        _fastscore.query_vector(array("d", [1.0]), array("f", [1.0]), pure._df, 3.0)
    for wrong in (array("q", df), array("d", df), tuple(df)):  # frequencies of another kind
        with pytest.raises(TypeError):
            _fastscore.query_vector(array("i", [1]), array("f", [1.0]), wrong, 3.0)


@needs_build
@pytest.mark.parametrize("df_type", [list, "i"])
def test_the_summary_functions_match_their_python_code(monkeypatch, df_type):
    """summary_rank and headline on random centroids and members, with equal weights (ties broken by
    the lower term id) and equal scores (the first member wins), against StoryClusterer's Python;
    the frequencies as a list or as the clusterer's array('i')."""
    pure, fast = _pair(monkeypatch, ClusterConfig())
    rng = random.Random(5)
    df = [rng.randrange(1, 8) for _ in range(300)]
    for c in (pure, fast):
        c._df, c._n = (list(df) if df_type is list else array(df_type, df)), 200
    memo_p, memo_f = pure._new_memo(), fast._new_memo()
    table = fast._new_memo(table=True).table  # the memo as the story stage's summaries use it
    pure._restore, pure._drop = (lambda ids: []), (lambda back: None)  # every member in memory here
    for _ in range(150):
        ids = rng.sample(range(300), rng.randrange(0, 300))  # k below and above half of them
        cent = {i: rng.choice((0.25, 0.5, rng.random())) for i in ids}
        k = rng.randrange(0, 80)
        weights = [c * memo_p[i] for i, c in cent.items()]
        ref = [-j for _, j in sorted(zip(weights, [-i for i in cent]), reverse=True)[:k]]
        assert _fastscore.summary_rank(cent, memo_f, fast._df, memo_f.n1, k) == ref
        assert _fastscore.summary_rank(cent, table, fast._df, memo_f.n1, k) == ref
        docs = {}
        for n in range(rng.randrange(1, 6)):
            terms = array("i", rng.sample(ids or [1], min(len(ids) or 1, rng.randrange(1, 30))))
            tfs = array("f", [rng.choice((1.0, 2.0)) for _ in terms])
            title = rng.choice(("", f"tin {n}", "tin"))
            docs[f"d{n}"] = cluster._Doc(story=-1, time=None, title=title, terms=terms, tfs=tfs)
        docs["copy"] = docs["d0"]  # an equal score: the first member keeps the headline
        members = list(docs)
        pure._docs = docs
        story = type("Members", (), {"docs": members})()  # what _headline reads of a story
        want = pure._headline(story, dict(zip(cent, weights)), memo_p)
        assert _fastscore.headline(docs, members, cent, memo_f, fast._df, memo_f.n1) == want
        assert _fastscore.headline(docs, members, cent, table, fast._df, memo_f.n1) == want
    assert sorted(memo_p.items()) == sorted(memo_f.items())
    assert {i: x for i, x in enumerate(table) if x != 0.0} == dict(memo_p)
    with pytest.raises(TypeError):
        _fastscore.summary_rank({1: 1.0}, array("f", [0.0] * 300), fast._df, 3.0, 5)
    with pytest.raises(IndexError):
        _fastscore.summary_rank({900: 1.0}, array("d", bytes(8 * 300)), fast._df, 3.0, 5)
    with pytest.raises(IndexError):
        _fastscore.summary_rank({900: 1.0}, fast._new_memo(), fast._df, 3.0, 5)
    with pytest.raises(ValueError):
        bad = cluster._Doc(story=-1, time=None, title="x", terms=array("i", [1, 2]), tfs=array("f", [1.0]))
        _fastscore.headline({"b": bad}, ["b"], {}, fast._new_memo(), fast._df, 3.0)
