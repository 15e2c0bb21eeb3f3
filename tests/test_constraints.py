"""constraints.txt: the tested versions, used by every install step, inside pyproject's ranges."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def pins() -> dict[str, Version]:
    found = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt pins exact versions only: {line!r}"
            found[canonicalize_name(name)] = Version(version)
    return found


def requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra]
    return reqs


def test_every_dependency_is_pinned_inside_its_range():
    pinned = pins()
    problems = []
    for req in requirements():
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # e.g. atheris off x86_64
        version = pinned.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req.name}: not in constraints.txt")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}: pinned {version}, pyproject allows {req.specifier}")
    assert not problems, "run `make constraints` (then `make test`): " + "; ".join(problems)


def test_the_cli_framework_has_an_upper_bound():
    """typer 0.29 (its own click) broke every usage error: an untested typer must not arrive unnoticed."""
    typer = next(r for r in requirements() if r.name == "typer")
    assert any(s.operator == "<" for s in typer.specifier)


def test_install_steps_use_the_constraints():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "PIP_INSTALL := $(BIN)/pip install -q -c constraints.txt" in makefile
    installs = re.findall(r"^\t(.*pip install.*-e.*)$", makefile, re.M)
    assert installs and all(line.startswith("$(PIP_INSTALL)") for line in installs if ".venv-constraints" not in line)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")  # CI installs through the Makefile


def test_installed_versions_are_the_pinned_ones():
    """What the tests run on here is what constraints.txt says (make test installs with it)."""
    wrong = []
    for name, version in pins().items():
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            continue  # an extra not installed here
        if installed != version:
            wrong.append(f"{name} {installed} (pinned {version})")
    assert not wrong, ("installed versions differ from constraints.txt: " + ", ".join(wrong)
                       + "; reinstall: pip install -c constraints.txt -e '.[test,web,semantic,reports]'")


def test_make_demo_needs_no_extra():
    """`make demo` installs kiemchung without extras (`pip install -e .`), and the demo stores tips with
    images (Pillow decodes them, imagehash hashes them) and reads them with pytesseract: those must be core
    dependencies, or the README's first command fails on a fresh machine (it did, with imagehash in the
    `images` extra only)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = {Requirement(r).name.lower() for r in project["dependencies"]}
    assert {"pillow", "imagehash", "pytesseract"} <= core, core
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "demo: $(VENV)/.installed\n" in makefile and "$(PIP_INSTALL) -e .\n" in makefile
