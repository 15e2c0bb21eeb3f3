"""Are alerts robust to social-media chatter? alerts-dev with and without chatter added to every post.

alerts-dev's posts are clean sentences; real posts that repeat a rumour wrap it in calls to share,
alarm words, hearsay framing, questions, emoji and hashtags. This runs what a user runs, ``kiemchung
eval matching --json`` on alerts-dev as it is and with ``--chatter`` (every post, the rewordings, the
related sentences and the unrelated news titles alike, wrapped by the fixed procedure of
kiemchung/claims/chatter.py), and prints alert precision, recall, false alerts per 1,000 posts without
a match and recall@1 for both, with ``lexicon_coverage``: which of the procedure's phrases the framing
filter (kiemchung/text/framing.py) removes whole, the held-out ones apart.

    python benchmarks/alerts_chatter.py [--data DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEYS = ("alert_precision", "alert_recall", "false_alerts_per_1000", "alerts", "false_alerts_repeat",
        "related_precision", "related_recall", "related_false_alerts_per_1000", "recall_at_1", "p95_ms")


def evaluate(data: Path, *extra: str) -> dict:
    """``kiemchung eval matching --json`` on alerts-dev as a user runs it."""
    out = subprocess.run([sys.executable, "-m", "kiemchung.cli", "eval", "matching",
                          "--kb", str(data / "alerts-dev-kb.jsonl"),
                          "--queries", str(data / "alerts-dev-queries.jsonl"), "--json", *extra],
                         check=True, capture_output=True, text=True)
    figures = json.loads(out.stdout)
    return {k: figures[k] for k in KEYS}


def lexicon_coverage() -> dict:
    """Which chatter phrases the framing filter removes whole (as a post's only text)."""
    from kiemchung.claims.chatter import HELD_OUT, PREFIXES, SUFFIXES
    from kiemchung.text.framing import strip_framing

    phrases = PREFIXES + SUFFIXES
    removed = [p for p in phrases if not strip_framing(p)]
    return {"phrases": len(phrases), "removed_whole": len(removed), "held_out": len(HELD_OUT),
            "held_out_removed": sorted(p for p in removed if p in HELD_OUT),
            "not_removed": sorted(p for p in phrases if p not in removed)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = {"plain": evaluate(args.data), "chatter": evaluate(args.data, "--chatter"),
              "lexicon_coverage": lexicon_coverage()}
    print(json.dumps(result, ensure_ascii=False, indent=None if args.json else 1))


if __name__ == "__main__":
    main()
