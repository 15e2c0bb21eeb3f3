"""How well do the story clusterer's document vectors separate one event from another, in any order?

An order-independent ceiling for a document representation: every document of a stories JSONL file
(``id``, ``story``, ``title``, ``lead``, ``text``) is turned into a TF-IDF vector with the IDF of the
whole file, kept to its ``doc_terms`` strongest terms as the clusterer does, and then

* **AUC**: the chance that a same-story pair has a higher cosine than a different-story pair;
* **nn@1**: the share of documents (in a story of 2+) whose nearest neighbour is of their story;
* **average / complete link**: agglomerative clustering of all documents at once (no arrival order),
  cut at the threshold that gives the best BCubed F1 (chosen after the fact: a ceiling, not a result).

Variants change only how the vectors are built (weights, saturation, fields, terms kept), so a variant
that does not raise these figures cannot help the streaming clusterer either.

    python benchmarks/story_vectors_ceiling.py ../shared/data/stories-dev.jsonl [--part vlsp-train]
        [--only "base (the clusterer's default),entity 0"] [--no-complete]

Figures and findings: docs/stories.md, "How far the document vectors can go".
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import csr_matrix
from scipy.spatial.distance import squareform

from kiemchung.stories.evaluate import bcubed, read_stories_file
from kiemchung.stories.features import FieldWeights, _head_tokens, term_weights
from kiemchung.text import bigrams, normalize, syllables


def parsed(rows: list[dict[str, Any]], body_max: int = 1500) -> list[dict[str, Any]]:
    """Tokenize each document once: title/lead tokens, entity and number terms, body syllables."""
    out = []
    for r in rows:
        d: dict[str, Any] = {}
        for f, key in (("title", "title"), ("lead", "lead")):
            text = r.get(key) or ""
            d[f] = _head_tokens(normalize(text)) if text else ([], [], [])
        body = r.get("text") or ""
        d["body"] = syllables(normalize(body[: body_max * 8]))[:body_max] if body else []
        _, d["body_ents"], d["body_nums"] = _head_tokens(normalize(body[: body_max * 8])) if body else ([], [], [])
        out.append(d)
    return out


def bag(d: dict[str, Any], p: dict[str, Any]) -> dict[str, float]:
    """Weighted raw counts of a parsed document under parameters ``p``."""
    c: dict[str, float] = {}

    def add(terms: list[str], w: float) -> None:
        if w <= 0:
            return
        for t, n in Counter(terms).items():
            c[t] = c.get(t, 0.0) + n * w

    for f in ("title", "lead"):
        toks, ents, nums = d[f]
        fw = p[f]
        add(toks, fw * p["uni"])
        add(bigrams(toks), fw * p["bi"])
        if p.get("tri"):
            add([f"{a}_{b}_{c2}" for a, b, c2 in zip(toks, toks[1:], toks[2:], strict=False)], fw * p["tri"])
        add(ents, fw * p["ent"])
        add(nums, fw * p["num"])
    toks = d["body"][: p.get("body_max", 1500)]
    add(toks, p["body"] * p["uni"])
    add(bigrams(toks), p["body"] * p["bi"])
    if p.get("tri"):
        add([f"{a}_{b}_{c2}" for a, b, c2 in zip(toks, toks[1:], toks[2:], strict=False)], p["body"] * p["tri"])
    if p.get("body_ent"):
        add(d["body_ents"], p["body"] * p["body_ent"])
    if p.get("body_num"):
        add(d["body_nums"], p["body"] * p["body_num"])
    return c


def saturate(c: dict[str, float], p: dict[str, Any]) -> dict[str, float]:
    """Term frequency from weighted counts: ``1 + ln`` (the clusterer's), BM25, square root or binary."""
    how = p.get("sat", "log")
    if how == "log":
        return {t: 1.0 + math.log(v) if v >= 1.0 else v for t, v in c.items() if v > 0}
    if how == "bm25":
        k = p.get("k", 3.0)
        return {t: v * (k + 1) / (v + k) for t, v in c.items() if v > 0}
    if how == "sqrt":
        return {t: math.sqrt(v) for t, v in c.items() if v > 0}
    if how == "binary":
        return {t: 1.0 for t, v in c.items() if v > 0}
    return dict(c)


def vectors(tfs: list[dict[str, float]], p: dict[str, Any]) -> csr_matrix:
    """Sparse L2-normalised TF-IDF rows (the clusterer's IDF with its prior, over the whole file),
    each kept to its ``doc_terms`` strongest terms."""
    df: Counter = Counter()
    for tf in tfs:
        df.update(tf.keys())
    n = len(tfs) + p.get("prior", 100)
    idf = {t: math.log((n + 1) / (df[t] + 0.5)) for t in df}
    stop = p.get("stop_df")
    if stop:
        idf = {t: (0.0 if df[t] > stop * len(tfs) else v) for t, v in idf.items()}
    vocab = {t: i for i, t in enumerate(df)}
    k = p.get("doc_terms", 80)
    rows, cols, vals = [], [], []
    for r, tf in enumerate(tfs):
        w = sorted(((v * idf[t] ** p.get("idf_pow", 1.0), t) for t, v in tf.items()), reverse=True)[:k]
        norm = math.sqrt(sum(x * x for x, _ in w)) or 1.0
        for x, t in w:
            rows.append(r)
            cols.append(vocab[t])
            vals.append(x / norm)
    return csr_matrix((vals, (rows, cols)), shape=(len(tfs), len(vocab)))


def auc(sim: np.ndarray, gold: np.ndarray) -> tuple[float, float, float, float]:
    """AUC over all pairs, nn@1, and the best pair-level F1 (same-story pairs above a threshold)."""
    iu = np.triu_indices(len(gold), 1)
    s = sim[iu]
    same = gold[iu[0]] == gold[iu[1]]
    # pairs by decreasing cosine: precision and recall of "same story" at every cut
    desc = np.argsort(-s, kind="mergesort")
    tp = np.cumsum(same[desc])
    prec = tp / np.arange(1, len(s) + 1)
    rec = tp / same.sum()
    f = 2 * prec * rec / np.maximum(prec + rec, 1e-12)
    j = int(f.argmax())
    pair_f1, pair_thr = float(f[j]), float(s[desc][j])
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    ranks[order] = np.arange(1, len(s) + 1)
    npos, nneg = same.sum(), (~same).sum()
    a = (ranks[same].sum() - npos * (npos + 1) / 2) / (npos * nneg)
    sim2 = sim.copy()
    np.fill_diagonal(sim2, -1)
    nn = sim2.argmax(axis=1)
    counts = Counter(gold.tolist())
    has = np.array([counts[g] > 1 for g in gold])
    nn1 = float((gold[nn] == gold)[has].mean())
    return float(a), nn1, pair_f1, pair_thr


def best_cut(sim: np.ndarray, ids: list[str], gold: np.ndarray, method: str) -> tuple[float, float]:
    """Best BCubed F1 (and its cosine cut) of one agglomerative linkage over every document."""
    dist = np.clip(1.0 - sim, 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    z = linkage(squareform(dist, checks=False), method=method)
    g = dict(zip(ids, gold.tolist(), strict=True))
    best = (0.0, 0.0)
    for thr in np.concatenate([np.arange(0.02, 0.40, 0.01), np.arange(0.40, 0.95, 0.025)]):
        lab = fcluster(z, 1.0 - thr, criterion="distance")
        f1 = bcubed(dict(zip(ids, lab.tolist(), strict=True)), g)[2]
        if f1 > best[0]:
            best = (f1, float(thr))
    return best


def local_scaling(sim: np.ndarray, k: int) -> np.ndarray:
    """Each cosine divided by the geometric mean of both documents' k-th best cosine (self-tuning)."""
    s = sim.copy()
    np.fill_diagonal(s, -1.0)
    scale = np.sort(s, axis=1)[:, -k]
    scale = np.maximum(scale, 1e-3)
    out = sim / np.sqrt(np.outer(scale, scale))
    np.fill_diagonal(out, 1.0)
    return np.clip(out / out.max(), 0.0, 1.0)


BASE = {"title": 3.0, "lead": 2.0, "body": 1.0, "uni": 1.0, "bi": 1.0, "ent": 1.0, "num": 1.0, "doc_terms": 80}

VARIANTS: dict[str, dict[str, Any]] = {
    "base (the clusterer's default)": {},
    "doc_terms 200": {"doc_terms": 200},
    "doc_terms all": {"doc_terms": 100000},
    "bm25 k=1.2": {"sat": "bm25", "k": 1.2},
    "bm25 k=3": {"sat": "bm25", "k": 3.0},
    "sqrt tf": {"sat": "sqrt"},
    "binary tf": {"sat": "binary"},
    "title 6": {"title": 6.0},
    "title 1 lead 1": {"title": 1.0, "lead": 1.0},
    "entity 3": {"ent": 3.0},
    "entity 0": {"ent": 0.0},
    "numbers 0": {"num": 0.0},
    "bigrams 2": {"bi": 2.0},
    "bigrams only": {"uni": 0.0},
    "unigrams only": {"bi": 0.0},
    "trigrams 1": {"tri": 1.0},
    "body 400": {"body_max": 400},
    "body 0.5": {"body": 0.5},
    "idf^1.5": {"idf_pow": 1.5},
    "idf^2": {"idf_pow": 2.0},
    "stop df 5%": {"stop_df": 0.05},
    "doc_terms 20": {"doc_terms": 20},
    "doc_terms 40": {"doc_terms": 40},
    "local scaling k=3": {"local": 3},
    "local scaling k=7": {"local": 7},
    "local scaling k=15": {"local": 15},
    "body entities 1": {"body_ent": 1.0},
    "body numbers 1": {"body_num": 1.0},
    "body entities+numbers 1": {"body_ent": 1.0, "body_num": 1.0},
    "body entities+numbers 2": {"body_ent": 2.0, "body_num": 2.0},
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--part", default=None, help="id prefix, e.g. vlsp-train or vlsp-val")
    ap.add_argument("--only", default=None, help="comma-separated variant names")
    ap.add_argument("--no-complete", action="store_true")
    args = ap.parse_args()
    rows = read_stories_file(args.path)
    if args.part:
        rows = [r for r in rows if str(r["id"]).startswith(args.part + "-")]
    ids = [str(r["id"]) for r in rows]
    gold = np.array([str(r["story"]) for r in rows])
    docs = parsed(rows)
    # the clusterer's own term_weights must agree with the base variant here
    check = term_weights(rows[0].get("title") or "", rows[0].get("lead") or "", rows[0].get("text") or "", FieldWeights())
    assert saturate(bag(docs[0], BASE), {}) == check, "the base variant drifted from features.term_weights"
    names = args.only.split(",") if args.only else list(VARIANTS)
    print(f"{len(rows)} documents, {len(set(gold.tolist()))} stories")
    print(f"{'variant':34} {'AUC':>6} {'nn@1':>6} {'pair F1 @thr':>13} {'avg F1 @thr':>13} {'complete F1 @thr':>17}")
    for name in names:
        p = {**BASE, **VARIANTS[name]}
        tfs = [saturate(bag(d, p), p) for d in docs]
        m = vectors(tfs, p)
        sim = (m @ m.T).toarray()
        if p.get("local"):
            sim = local_scaling(sim, p["local"])
        a, nn1, pf, pt = auc(sim, gold)
        fa, ta = best_cut(sim, ids, gold, "average")
        fc, tc = (0.0, 0.0) if args.no_complete else best_cut(sim, ids, gold, "complete")
        print(f"{name:34} {a:6.4f} {nn1:6.4f} {pf:7.4f} @{pt:.2f} {fa:7.4f} @{ta:.2f} {fc:11.4f} @{tc:.2f}", flush=True)


if __name__ == "__main__":
    main()
