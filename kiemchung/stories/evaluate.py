"""Scoring story clustering against a gold grouping: BCubed precision/recall/F1 and the adjusted Rand index.

:func:`evaluate_stories` streams a JSON Lines file of articles (``id``, ``story``, ``title``, ``lead``,
``text``, optional ``published``) through :class:`~kiemchung.stories.cluster.StoryClusterer` in file
order; the gold ``story`` field is read only to score.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kiemchung.errors import ConfigError, ImportFileError
from kiemchung.stories.cluster import ClusterConfig, StoryClusterer


def _check(pred: Mapping[str, Any], gold: Mapping[str, Any]) -> None:
    if set(pred) != set(gold):
        missing = len(set(gold) - set(pred))
        extra = len(set(pred) - set(gold))
        raise ValueError(f"prediction and gold cover different items ({missing} missing, {extra} extra)")


def bcubed(pred: Mapping[str, Any], gold: Mapping[str, Any]) -> tuple[float, float, float]:
    """BCubed ``(precision, recall, f1)`` of a clustering ``{item: cluster}`` against ``{item: class}``.

    Per item: precision is the share of its predicted cluster that shares its gold class, recall the
    share of its gold class that shares its predicted cluster; both averaged over items.
    """
    _check(pred, gold)
    if not gold:
        return 1.0, 1.0, 1.0
    joint = Counter((pred[i], gold[i]) for i in gold)
    psize = Counter(pred.values())
    gsize = Counter(gold.values())
    p = r = 0.0
    for (c, g), n in joint.items():
        # every one of the n items in this cell has n correct companions
        p += n * n / psize[c]
        r += n * n / gsize[g]
    p /= len(gold)
    r /= len(gold)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _pairs(n: int) -> float:
    return n * (n - 1) / 2.0


def adjusted_rand(pred: Mapping[str, Any], gold: Mapping[str, Any]) -> float:
    """Adjusted Rand index (Hubert and Arabie 1985) of ``{item: cluster}`` against ``{item: class}``.

    1.0 for identical partitions, about 0 for random ones; 1.0 by convention when both partitions
    are trivial in the same way (every pair agrees).
    """
    _check(pred, gold)
    n = len(gold)
    if n < 2:
        return 1.0
    index = sum(_pairs(v) for v in Counter((pred[i], gold[i]) for i in gold).values())
    a = sum(_pairs(v) for v in Counter(pred.values()).values())
    b = sum(_pairs(v) for v in Counter(gold.values()).values())
    expected = a * b / _pairs(n)
    top = (a + b) / 2.0
    if top == expected:
        return 1.0
    return (index - expected) / (top - expected)


def read_stories_file(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a stories JSONL file; raises :class:`ImportFileError` if it is unreadable or malformed."""
    rows: list[dict[str, Any]] = []
    try:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ImportFileError(f"{path}:{lineno}: dòng không phải JSON (not JSON): {exc}") from exc
                if not isinstance(row, dict) or "id" not in row or "story" not in row:
                    raise ImportFileError(f"{path}:{lineno}: thiếu trường id/story (missing id or story)")
                rows.append(row)
    except OSError as exc:
        raise ImportFileError(f"Không đọc được tệp {path} (cannot read file): {exc}") from exc
    return rows


def story_errors(
    pred: Mapping[str, Any], gold: Mapping[str, Any], titles: Mapping[str, str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The clustering's mistakes, for a person to read (error analysis).

    Returns ``split``: gold stories spread over several predicted stories, and ``mixed``: predicted
    stories holding documents of several gold stories; each entry lists its documents as
    ``{"id", "gold", "pred", "title"}`` (title from ``titles`` when given). Largest loss first: a
    story's entry is ordered by how many of its documents are not with the majority.
    """
    _check(pred, gold)
    titles = titles or {}
    by_gold: dict[Any, list[str]] = {}
    by_pred: dict[Any, list[str]] = {}
    for item in gold:
        by_gold.setdefault(gold[item], []).append(item)
        by_pred.setdefault(pred[item], []).append(item)

    def entries(groups: dict[Any, list[str]], other: Mapping[str, Any]) -> list[dict[str, Any]]:
        out = []
        for key, items in groups.items():
            counts = Counter(other[i] for i in items)
            if len(counts) > 1:
                docs = [
                    {"id": i, "gold": gold[i], "pred": pred[i], "title": titles.get(i, "")} for i in items
                ]
                out.append({"key": key, "off": len(items) - max(counts.values()), "docs": docs})
        out.sort(key=lambda e: (-e["off"], str(e["key"])))
        return out

    return {"split": entries(by_gold, pred), "mixed": entries(by_pred, gold)}


ORDERS = ("file", "time", "shuffled", "backfill")
"""Arrival orders :func:`evaluate_stories` can stream a file in (see :func:`arrange`)."""

SYNTH_START = 1_704_042_000.0  # 2024-01-01 00:00 Vietnam time: synthesised dates start here
SYNTH_STORY_GAP_H = 8.0  # a new gold story starts every 8 hours (file order of first appearance)
SYNTH_SPREAD_H = 48.0  # its documents are spread over the 48 hours after it starts


def synthesise_dates(rows: list[dict[str, Any]], seed: int = 0) -> list[dict[str, Any]]:
    """Rows with a ``published`` time, invented where a row has none (copies; the file is untouched).

    The k-th gold story (in order of first appearance) starts ``k * 8`` hours after 2024-01-01 and its
    undated documents get a time drawn uniformly from the 48 hours after that start (seeded): the
    shape of a news stream where an event is reported over a day or two and stories overlap.
    """
    rng = random.Random(seed)
    start: dict[str, float] = {}
    out = []
    for row in rows:
        if row.get("published"):
            out.append(row)
            continue
        story = str(row["story"])
        base = start.setdefault(story, SYNTH_START + len(start) * SYNTH_STORY_GAP_H * 3600.0)
        when = base + rng.uniform(0.0, SYNTH_SPREAD_H * 3600.0)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S+07:00", time.gmtime(when + 7 * 3600))
        out.append({**row, "published": stamp})
    return out


def _time_key(row: dict[str, Any]) -> float:
    from kiemchung import timeutil

    when = timeutil.parse_time(row.get("published"))
    return when.timestamp() if when is not None else float("inf")


def arrange(rows: list[dict[str, Any]], order: str, seed: int = 1) -> list[dict[str, Any]]:
    """The rows in one arrival order.

    ``file``: as in the file (dates as they are, none invented). ``shuffled``: a random order (seeded;
    dates as they are, so an undated file stays undated: arrival order alone). ``time``: by
    publication time, dates synthesised where the file has none (:func:`synthesise_dates`).
    ``backfill``: a random half of the gold stories (seeded) streamed in time order first, as a live
    stream, then the other half in time order, as an archive imported afterwards; dates synthesised
    where missing, so the archive arrives weeks behind the stream clock.
    """
    if order == "file":
        return list(rows)
    if order == "shuffled":
        return random.Random(seed).sample(rows, len(rows))
    dated = sorted(synthesise_dates(rows), key=_time_key)
    if order == "time":
        return dated
    if order == "backfill":
        stories = sorted({str(r["story"]) for r in rows})
        live = set(random.Random(seed).sample(stories, len(stories) // 2))
        return [r for r in dated if str(r["story"]) in live] + [r for r in dated if str(r["story"]) not in live]
    raise ConfigError(
        f"Thứ tự không hợp lệ '{order}' (unknown order; one of {', '.join(ORDERS)})"
    )


def evaluate_stories(
    path: str | Path,
    config: ClusterConfig | None = None,
    *,
    id_prefix: str | None = None,
    shuffle_seed: int | None = None,
    order: str | None = None,
    seed: int = 1,
    with_errors: bool = False,
) -> dict[str, Any]:
    """Cluster the articles of a stories JSONL file in file order and score against the gold stories.

    Returns ``bcubed_precision``, ``bcubed_recall``, ``bcubed_f1``, ``ari``, ``predicted_stories``,
    ``gold_stories``, ``documents`` and ``docs_per_s`` (clustering throughput, reading excluded;
    ``cpu_docs_per_s`` the same on process CPU time, which other programs on the machine do not
    disturb). ``id_prefix`` keeps only the articles whose id starts with it (a part of the file, e.g.
    ``vlsp-val``); ``shuffle_seed`` streams them in a shuffled order instead of file order (the same
    as ``order="shuffled", seed=shuffle_seed``); ``order`` picks an arrival order of :func:`arrange`
    with ``seed``; ``with_errors`` adds ``errors`` (see :func:`story_errors`). With the opt-in
    re-check pass (``config.recheck_every``), one more pass runs after the last article, and the
    scores read every document's final story.
    """
    rows = read_stories_file(path)
    if id_prefix is not None:
        rows = [r for r in rows if str(r["id"]).startswith(id_prefix)]
    if shuffle_seed is not None:
        order, seed = "shuffled", shuffle_seed
    rows = arrange(rows, order or "file", seed)
    clusterer = StoryClusterer(config)
    pred: dict[str, str] = {}
    cpu = time.process_time()
    start = time.perf_counter()
    for row in rows:
        doc_id = str(row["id"])
        pred[doc_id] = clusterer.add(
            doc_id,
            title=row.get("title") or "",
            lead=row.get("lead") or "",
            body=row.get("text") or row.get("body") or "",
            published_at=row.get("published"),
        )
    if clusterer.config.recheck_every:  # the opt-in re-check pass also runs once at the end of the stream
        clusterer.recheck()
    if clusterer.config.reconcile_every:  # and the reconciliation pass, as the story stage runs it after a batch
        clusterer.reconcile()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    # A repeated id keeps its first story, as the clusterer does; gold keeps the first row's story too.
    gold: dict[str, str] = {}
    for row in rows:
        gold.setdefault(str(row["id"]), str(row["story"]))
    pred = {d: clusterer.story_of(d) for d in gold}
    p, r, f = bcubed(pred, gold)
    out: dict[str, Any] = {
        "bcubed_precision": p,
        "bcubed_recall": r,
        "bcubed_f1": f,
        "ari": adjusted_rand(pred, gold),
        "predicted_stories": len(set(pred.values())),
        "gold_stories": len(set(gold.values())),
        "documents": len(gold),
        "docs_per_s": len(rows) / elapsed if elapsed > 0 else float("inf"),
        "cpu_docs_per_s": len(rows) / cpu if cpu > 0 else float("inf"),
    }
    if with_errors:
        titles = {str(row["id"]): str(row.get("title") or "") for row in rows}
        out["errors"] = story_errors(pred, gold, titles)
    return out


SCORES = ("bcubed_precision", "bcubed_recall", "bcubed_f1", "ari", "predicted_stories")


def evaluate_orders(
    path: str | Path,
    config: ClusterConfig | None = None,
    *,
    orders: tuple[str, ...] = ORDERS,
    seeds: int = 6,
) -> dict[str, Any]:
    """The scores of :func:`evaluate_stories` in several arrival orders.

    Returns the file-order figures at the top level (when ``file`` is among ``orders``; otherwise
    those of the first order), ``orders``: ``{order: figures}``, where ``shuffled`` and ``backfill``
    hold the mean over seeds 1 to ``seeds`` with the per-seed F1 in ``f1_by_seed``, and a flat
    ``<order>_bcubed_f1`` per order (what a floor can pin).
    """
    by_order: dict[str, dict[str, Any]] = {}
    for order in orders:
        if order in ("file", "time"):
            by_order[order] = evaluate_stories(path, config, order=order)
            continue
        runs = [evaluate_stories(path, config, order=order, seed=k) for k in range(1, seeds + 1)]
        mean = {key: sum(r[key] for r in runs) / len(runs) for key in (*SCORES, "docs_per_s", "cpu_docs_per_s")}
        mean.update(
            gold_stories=runs[0]["gold_stories"],
            documents=runs[0]["documents"],
            seeds=seeds,
            f1_by_seed=[round(r["bcubed_f1"], 4) for r in runs],
        )
        by_order[order] = mean
    out: dict[str, Any] = dict(by_order[orders[0]] if "file" not in by_order else by_order["file"])
    out["order"] = "file" if "file" in by_order else orders[0]
    for order, figures in by_order.items():
        out[f"{order}_bcubed_f1"] = figures["bcubed_f1"]
    out["orders"] = by_order
    return out

