"""The CI dependency audit (scripts/audit_dependencies.py): a known vulnerability fails the build, a
vulnerability service that cannot be reached or cannot answer only warns. pip-audit's JSON report
shapes below are the ones pip-audit 2.10 writes (``--format json``)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "audit_dependencies.py"
spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
audit = importlib.util.module_from_spec(spec)
sys.modules["audit_dependencies"] = audit
spec.loader.exec_module(audit)


def _report(*deps) -> str:
    return json.dumps({"dependencies": list(deps), "fixes": []})


def test_a_found_vulnerability_fails():
    out = audit.judge(_report(
        {"name": "jinja2", "version": "3.1.2", "vulns": [
            {"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"], "aliases": ["CVE-2024-22195"],
             "description": ""}]},
        {"name": "fastapi", "version": "0.110.0", "vulns": []},
    ), 1)
    assert out.exit_code == 1 and out.checked == 2
    assert "jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (CVE-2024-22195); sửa ở (fixed in): 3.1.3" in out.report()


def test_clean_audit_passes():
    out = audit.judge(_report({"name": "fastapi", "version": "0.110.0", "vulns": []}), 0)
    assert out.exit_code == 0 and "1 packages audited, no known vulnerabilities" in out.report()


def test_unreachable_service_warns_and_passes():
    stderr = "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.org', port=443): Max retries"
    out = audit.judge("", 1, stderr)
    assert out.exit_code == 0 and "warning" in out.report() and "pypi.org" in out.report()


def test_packages_the_service_could_not_answer_for_warn():
    out = audit.judge(_report(
        {"name": "alembic", "skip_reason": "Dependency not found on PyPI and could not be audited: alembic (1.20.1)"},
        {"name": "fastapi", "version": "0.110.0", "vulns": []},
    ), 0)
    assert out.exit_code == 0 and out.unchecked == ["alembic"] and "1 gói không kiểm tra được" in out.report()


def test_an_audit_that_checked_nothing_says_so():
    """What this sandbox's registry mirror gives: every package 'not found on PyPI'. The run passes (it
    says nothing about our code) but must not read as a clean audit."""
    out = audit.judge(_report(
        {"name": "alembic", "skip_reason": "Dependency not found on PyPI and could not be audited: alembic (1.20.1)"},
        {"name": "fastapi", "skip_reason": "Dependency not found on PyPI and could not be audited: fastapi (0.110.0)"},
    ), 0)
    assert out.exit_code == 0 and out.checked == 0
    assert "no package was audited" in out.report() and "no known vulnerabilities" not in out.report()


def test_a_missing_pip_audit_warns(tmp_path):
    code = audit.main(["--python", sys.executable, "--pip-audit", str(tmp_path / "no-such-pip-audit")])
    assert code == 0
