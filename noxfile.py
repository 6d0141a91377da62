"""The release matrix: the test suite on every supported Python, at both ends of the ranges.

Run it with ``make matrix`` (or ``nox`` in a checkout). For each Python in the classifiers that
``requires-python`` allows and this machine has:

- ``lowest``: every runtime dependency (the base ones and those of the ``emulator``, ``fast``
  and ``examples`` extras) pinned to the lower bound that ``pyproject.toml`` declares, so that a
  bound is only ever raised to a version that is tested;
- ``no_orjson``: the newest versions, with orjson uninstalled, so that the standard-library
  JSON fallback is tested.

The test tools (pytest, mypy, mkdocs...) are the newest in both. A Python the machine lacks is
skipped (nox says so); set ``PATH`` to make one visible.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nox
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# The extras whose packages the library or its shipped examples import at run time.
RUNTIME_EXTRAS = ("emulator", "fast", "examples")

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = False
nox.options.error_on_missing_interpreters = False


def supported_pythons() -> list[str]:
    """The ``3.x`` classifiers that ``requires-python`` allows, oldest first."""
    allowed = SpecifierSet(PYPROJECT["requires-python"])
    found = (
        re.fullmatch(r"Programming Language :: Python :: (3\.\d+)", classifier)
        for classifier in PYPROJECT["classifiers"]
    )
    versions = [match[1] for match in found if match]
    return sorted(
        (v for v in versions if allowed.contains(f"{v}.0")), key=lambda v: int(v.split(".")[1])
    )


def lowest_pins() -> list[str]:
    """``name==lower bound`` for every runtime dependency, e.g. ``httpx==0.28``."""
    requirements = list(PYPROJECT["dependencies"])
    for extra in RUNTIME_EXTRAS:
        requirements += PYPROJECT["optional-dependencies"][extra]
    pins = []
    for text in requirements:
        requirement = Requirement(text)
        lower = [spec.version for spec in requirement.specifier if spec.operator in (">=", "==")]
        if len(lower) != 1:
            raise ValueError(f"{text!r}: declare exactly one lower bound (>= or ==)")
        marker = f"; {requirement.marker}" if requirement.marker else ""
        pins.append(f"{requirement.name}=={lower[0]}{marker}")
    return pins


@nox.session(python=supported_pythons())
def lowest(session: nox.Session) -> None:
    """The suite with every runtime dependency at its declared lower bound."""
    constraints = Path(session.create_tmp()) / "lowest.txt"
    constraints.write_text("\n".join(lowest_pins()) + "\n")
    session.install("-c", str(constraints), "-e", ".[test]")
    session.run("python", "-m", "pip", "freeze", "--exclude-editable", silent=False)
    session.run("pytest", "-q", "-p", "no:cacheprovider", *session.posargs)


@nox.session(python=supported_pythons())
def no_orjson(session: nox.Session) -> None:
    """The suite with the newest dependencies and without orjson."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pip", "uninstall", "--yes", "orjson")
    session.run("python", "-c", "import importlib.util as u; assert not u.find_spec('orjson')")
    session.run("pytest", "-q", "-p", "no:cacheprovider", *session.posargs)
