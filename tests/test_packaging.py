"""pyproject.toml, environment.yml, constraints.txt and the Makefile describe one and the same environment."""
from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PINS = {}
for line in (ROOT / "constraints.txt").read_text().splitlines():
    if line.strip() and not line.startswith("#"):
        name, version = line.split("==")
        PINS[canonicalize_name(name)] = version.strip()


def _requirements() -> list[Requirement]:
    proj = PYPROJECT["project"]
    reqs = [Requirement(r) for r in proj["dependencies"]]
    for extra, items in proj["optional-dependencies"].items():
        reqs += [Requirement(r) for r in items if not r.startswith("pharma-kit")]
    return reqs


def test_environment_yml_installs_the_project_with_every_extra_under_the_same_constraints():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-c constraints.txt" in pip_section
    install = [p for p in pip_section if p.startswith("-e ")]
    assert install == ["-e .[all]"]
    extras = set(PYPROJECT["project"]["optional-dependencies"]) - {"all"}
    all_extra = PYPROJECT["project"]["optional-dependencies"]["all"][0]
    assert set(re.search(r"\[(.*)\]", all_extra).group(1).split(",")) == extras
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    assert SpecifierSet(PYPROJECT["project"]["requires-python"]).contains(python.split("=")[1] + ".0")
    # conda packages other than python/pip/make would be a second, unpinned source of truth
    assert {d.split("=")[0] for d in env["dependencies"] if isinstance(d, str)} == {"python", "pip", "make"}


def test_makefile_installs_the_same_thing():
    mk = (ROOT / "Makefile").read_text()
    assert "-c constraints.txt -e '.[all]'" in mk


def test_every_dependency_is_pinned_and_the_pin_satisfies_pyproject():
    for req in _requirements():
        name = canonicalize_name(req.name)
        assert name in PINS, f"{req.name} is not pinned in constraints.txt"
        assert req.specifier.contains(PINS[name], prereleases=True), f"{req.name}=={PINS[name]} violates {req.specifier}"


def test_installed_versions_are_the_pinned_ones():
    for req in _requirements():
        name = canonicalize_name(req.name)
        assert metadata.version(req.name) == PINS[name], f"{req.name}: installed {metadata.version(req.name)}, pinned {PINS[name]}"
