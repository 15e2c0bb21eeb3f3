"""``kiemchung worker``: a server-mode worker process (PostgreSQL installations)."""

from __future__ import annotations

import typer

from kiemchung.cli.app import app, console, state


@app.command("worker")
def worker_cmd(
    queues: list[str] = typer.Option(
        None, "--queues", "-q",
        help="Chỉ làm các hàng đợi này, cách nhau bởi dấu phẩy (only these queues): "
             "poll, import, stories, alerts, enrich, reports. Mặc định: tất cả (default: all).",
    ),
    concurrency: int = typer.Option(1, "--concurrency", "-c", help="Số việc chạy cùng lúc (jobs at once)."),
    stall_timeout: float = typer.Option(
        30.0, "--stall-timeout",
        help="Sau N giây không có nhịp tim, việc của tiến trình đó được giao lại (hand back a dead worker's jobs after N s).",
    ),
    ner: bool = typer.Option(True, "--ner/--no-ner", help="Dùng NER underthesea (slow); tắt: chỉ tỉnh/thành."),
    name: str | None = typer.Option(None, "--name", help="Tên tiến trình trong nhật ký (worker name in logs)."),
    burst: bool = typer.Option(False, "--burst", help="Dừng khi hết việc (stop when the queues are empty)."),
) -> None:
    """Chạy một tiến trình xử lý nền của chế độ máy chủ (run a server-mode worker; PostgreSQL)."""
    from kiemchung.workers.queue import require_server
    from kiemchung.workers.runner import WorkerOptions, parse_queues, run

    url = state.db_path
    require_server(url)  # before anything is opened or created: a SQLite path gets the explanation
    options = WorkerOptions(queues=parse_queues(queues), concurrency=concurrency, stall_timeout_s=stall_timeout,
                            ner=ner, name=name, burst=burst)
    options.check()
    shown = ", ".join(options.queues) if options.queues else "tất cả (all)"
    console.print(f"Tiến trình nền đang chạy; hàng đợi: {shown}; cùng lúc: {concurrency} (Ctrl-C để dừng)")
    run(url, options)
