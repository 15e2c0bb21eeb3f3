"""Usage errors of the command line (unknown command or option, bad or missing value) as two clear lines.

Typer up to 0.28 raises click's exceptions; typer 0.29 and later bundle their own copy of click
(``typer._click``) whose exceptions are other classes. Both flavours are recognised here, by looking
only at the modules already imported (the one that raised is among them), so this module itself
imports neither.
"""

from __future__ import annotations

import re
import sys

# typer >= 0.29: ClickException and its kin in typer._click.exceptions, Abort in typer.exceptions.
_FLAVOURS = ("typer._click.exceptions", "typer.exceptions", "click.exceptions")


def _classes(name: str) -> tuple[type, ...]:
    found = []
    for module in _FLAVOURS:
        mod = sys.modules.get(module)
        cls = getattr(mod, name, None) if mod else None
        if isinstance(cls, type):
            found.append(cls)
    return tuple(found)


def is_click_exception(exc: BaseException) -> bool:
    """Whether ``exc`` is a ClickException of either click flavour (usage errors among them)."""
    return bool(_classes("ClickException")) and isinstance(exc, _classes("ClickException"))


def is_abort(exc: BaseException) -> bool:
    """Whether ``exc`` is click's Abort (Ctrl-C or Ctrl-D at a prompt) of either flavour."""
    return bool(_classes("Abort")) and isinstance(exc, _classes("Abort"))


def _name(exc: BaseException) -> str:
    return type(exc).__name__


def vietnamese(exc: BaseException) -> str:
    """The Vietnamese sentence for a click error (its English message is printed after it)."""
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    kind = _name(exc)
    if kind == "NoSuchOption":
        option = getattr(exc, "option_name", "") or ""
        text = f"Không có tuỳ chọn {option}"
        possibilities = getattr(exc, "possibilities", None)
        if possibilities:
            text += "; có phải ý bạn là: " + ", ".join(sorted(possibilities)) + "?"
        if option.startswith("-") and not option.startswith("--"):
            text += (
                ". Nếu đây là nội dung cần tìm bắt đầu bằng dấu '-', đặt -- trước nó, ví dụ: "
                "kiemchung search -- \"-lũ\" (a query starting with '-' goes after --)"
            )
        return text
    if m := re.match(r"No such command '(.*)'\.(?: Did you mean (.*)\?)?", message):
        text = f"Không có lệnh '{m[1]}'"
        if m[2]:
            text += f"; có phải ý bạn là: {m[2]}?"
        return text
    if m := re.match(r"Missing (argument|option|parameter) (.*?)\.?$", message.splitlines()[0] if message else ""):
        what = {"argument": "đối số", "option": "tuỳ chọn", "parameter": "giá trị"}[m[1]]
        return f"Thiếu {what} {m[2]}"
    if message.startswith("Missing command"):
        return "Thiếu tên lệnh"
    if kind == "BadParameter":
        m = re.match(r"Invalid value for (.*?): (.*)", message, re.S)
        where = m[1] if m else ""
        detail = m[2] if m else message
        if "valid integer" in detail and "'" not in detail:  # typer >= 0.29 does not repeat the value
            detail = "cần một số nguyên"
        elif n := re.match(r"'(.*)' is not a valid integer", detail):
            detail = f"'{n[1]}' không phải là số nguyên"
        elif n := re.match(r"'(.*)' is not a valid float", detail):
            detail = f"'{n[1]}' không phải là số"
        elif n := re.match(r"'(.*)' is not one of (.*)\.", detail):
            detail = f"'{n[1]}' không thuộc các giá trị {n[2]}"
        return f"Giá trị không hợp lệ cho {where}: {detail}" if where else f"Giá trị không hợp lệ: {detail}"
    if m := re.match(r"Got unexpected extra arguments? \((.*)\)", message):
        return f"Thừa đối số: {m[1]} (nội dung có dấu cách cần đặt trong ngoặc kép)"
    if m := re.match(r"Option '(.*)' requires an argument", message):
        return f"Tuỳ chọn {m[1]} cần một giá trị"
    if kind == "FileError":
        return f"Không mở được tệp {getattr(exc, 'ui_filename', '')}"
    return "Lệnh không hợp lệ"


def show(exc: BaseException, file=None) -> int:
    """Print a click error: usage line, Vietnamese sentence, English message, where to find help.

    Returns the exit code (2 for usage errors; a command given no arguments prints its help).
    """
    file = file or sys.stderr
    ctx = getattr(exc, "ctx", None)
    code = int(getattr(exc, "exit_code", 1) or 1)
    if _name(exc) == "NoArgsIsHelpError":
        text = exc.format_message()  # the help; typer's rich help has already printed itself
        if text.strip():
            print(text, file=file)
        print("Chưa chọn lệnh: xem danh sách ở trên (no command given: see the list above).", file=file)
        return 2
    if ctx is not None:
        print(ctx.get_usage(), file=file)
    english = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    sentence = vietnamese(exc)
    print(f"Lỗi: {sentence}" + ("" if sentence.endswith((".", "?", ")")) else "."), file=file)
    print(f"Error: {english}", file=file)
    if ctx is not None:
        print(f"Xem hướng dẫn (help): {ctx.command_path} --help", file=file)
    return code
