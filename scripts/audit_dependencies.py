"""Known vulnerabilities in the installed dependency set, with pip-audit (run by `make audit` and CI).

    python scripts/audit_dependencies.py [--python .venv/bin/python] [--pip-audit PATH]

pip-audit runs from its own environment (so its own dependencies are not what is audited) over the
site-packages of ``--python`` — the project's virtual environment, installed from the pinned set.
It asks PyPI's JSON API for each installed version's known vulnerabilities.

Exit status: 1 when a vulnerability is found (CI fails); 0 with a warning when the vulnerability
service could not be reached or could not answer for some or all packages (a network limited to
package registries, a registry mirror without the per-version JSON pages, an outage): that says
nothing about the code and must not fail a build, but it is printed so nobody mistakes it for a
clean audit.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field


@dataclass
class Verdict:
    """What an audit found: vulnerable packages, packages that could not be checked, and why."""

    vulnerable: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    checked: int = 0
    error: str | None = None

    @property
    def exit_code(self) -> int:
        """1 when a vulnerability was found, else 0 (an audit that could not run is a warning)."""
        return 1 if self.vulnerable else 0

    def report(self) -> str:
        """The lines printed for a person reading the CI log."""
        lines = []
        for v in self.vulnerable:
            lines.append(f"LỖ HỔNG (vulnerability): {v}")
        if self.error:
            lines.append(f"CẢNH BÁO (warning): không chạy được kiểm tra lỗ hổng (audit could not run): {self.error}")
        if self.unchecked:
            lines.append(
                f"CẢNH BÁO (warning): {len(self.unchecked)} gói không kiểm tra được, dịch vụ lỗ hổng không trả lời "
                f"(packages not audited, the vulnerability service did not answer): "
                + ", ".join(self.unchecked[:10]) + (" …" if len(self.unchecked) > 10 else ""))
        if self.unchecked and not self.checked and not self.error:
            lines.append("CẢNH BÁO (warning): không gói nào được kiểm tra: lần chạy này không nói gì về lỗ hổng "
                         "đã biết (no package was audited: this run says nothing about known vulnerabilities)")
        if not self.vulnerable and not self.error and self.checked:
            lines.append(f"pip-audit: {self.checked} gói đã kiểm tra, không có lỗ hổng đã biết "
                         f"({self.checked} packages audited, no known vulnerabilities)")
        return "\n".join(lines)


def judge(stdout: str, returncode: int, stderr: str = "") -> Verdict:
    """Classify one pip-audit run (``--format json``) into a :class:`Verdict`."""
    try:
        data = json.loads(stdout) if stdout.strip() else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("dependencies"), list):
        last = (stderr.strip().splitlines() or [f"pip-audit exit {returncode}, no report"])[-1]
        return Verdict(error=last[:300])
    out = Verdict()
    for dep in data["dependencies"]:
        name = f"{dep.get('name')} {dep.get('version', '')}".strip()
        if dep.get("skip_reason"):
            out.unchecked.append(name)
            continue
        out.checked += 1
        for vuln in dep.get("vulns") or []:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "chưa có bản sửa (no fix yet)"
            aliases = ", ".join(vuln.get("aliases") or [])
            out.vulnerable.append(f"{name}: {vuln.get('id')}{f' ({aliases})' if aliases else ''}; sửa ở (fixed in): {fixes}")
    return out


def site_packages(python: str) -> str:
    """The purelib directory of the interpreter ``python``."""
    return subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    """Run pip-audit over the environment of ``--python``; print the verdict; return the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", default=".venv/bin/python", help="interpreter of the environment to audit")
    ap.add_argument("--pip-audit", default=shutil.which("pip-audit") or "pip-audit", help="pip-audit executable")
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args(argv)
    cmd = [args.pip_audit, "--path", site_packages(args.python), "--format", "json", "--progress-spinner", "off",
           "--timeout", "20"]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
        verdict = judge(run.stdout, run.returncode, run.stderr)
    except (OSError, subprocess.TimeoutExpired) as exc:
        verdict = Verdict(error=str(exc)[:300])
    print(verdict.report(), file=sys.stderr if verdict.vulnerable or verdict.error else sys.stdout)
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())
