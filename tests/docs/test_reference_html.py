"""The rendered reference, checked in the built HTML: what a reader of the site sees.

The site is built once per session (``mkdocs build --strict``, about 3 s) into a temporary
directory. The checks: no reStructuredText residue (``:class:`X```, double backticks, ``::``
literal markers) on any page; no private name in a rendered signature or base list; a heading
for every public name; and headings that nest (sections above the objects they hold).
"""

from __future__ import annotations

import html
import importlib
import inspect
import itertools
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

import dataflow_async
from tests.docs.blocks import ROOT

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings_handlers.python")

PUBLIC_MODULES = (
    "dataflow_async",
    "dataflow_async.emulator",
    "dataflow_async.types",
    "dataflow_async.resources",
    "dataflow_async.testing",
)
ROLE = re.compile(r":(?:class|meth|func|data|attr|exc|mod|obj|ref|py:\w+):`?")
# A leading underscore (not a dunder), as in `_DEFAULT` or `_lifecycle.AsyncClosing`.
UNDERSCORED = re.compile(r"(?<![\w.])_[A-Za-z]\w*|\._[a-z]\w*")


@dataclass
class Heading:
    level: int
    id: str
    is_object: bool
    text: str = ""


@dataclass
class Page(HTMLParser):
    """The parts of a rendered page the checks look at."""

    headings: list[Heading] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)  # text of each rendered signature
    bases: list[str] = field(default_factory=list)  # text of each "Bases:" paragraph
    titles: list[str] = field(default_factory=list)  # span titles (full paths) in those
    prose: list[str] = field(default_factory=list)  # text outside <pre> and <code>
    _stack: list[str] = field(default_factory=list)
    _heading: Heading | None = None
    _capture: list[str] | None = None
    _capture_tag: str = ""
    _capture_kind: str = ""
    _capture_depth: int = 0
    _code_depth: int = 0

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        classes = attributes.get("class", "").split()
        if re.fullmatch(r"h[1-6]", tag):
            heading = Heading(int(tag[1]), attributes.get("id", ""), "doc-heading" in classes)
            self.headings.append(heading)
            self._heading = heading
        if tag in ("pre", "code"):
            self._code_depth += 1
        if self._capture is None and ("doc-signature" in classes or "doc-class-bases" in classes):
            self._capture = []
            self._capture_tag, self._capture_depth = tag, 0
            self._capture_kind = "signature" if "doc-signature" in classes else "bases"
        if self._capture is not None:
            if tag == self._capture_tag:
                self._capture_depth += 1
            if "title" in attributes:
                self.titles.append(attributes["title"])

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = None
        if tag in ("pre", "code"):
            self._code_depth -= 1
        if self._capture is not None and tag == self._capture_tag:
            self._capture_depth -= 1
            if self._capture_depth == 0:
                text = "".join(self._capture)
                (self.signatures if self._capture_kind == "signature" else self.bases).append(text)
                self._capture = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.text += data
        if self._capture is not None:
            self._capture.append(data)
        if self._code_depth == 0:
            self.prose.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation site, built strictly once for the session."""
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    done = subprocess.run(
        # Not --quiet: mkdocs then stops counting warnings, and --strict lets them all pass.
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    return out


@pytest.fixture(scope="session")
def reference(site: Path) -> Page:
    return parse(site / "reference" / "index.html")


def pages(site: Path) -> Iterator[Path]:
    yield from sorted(site.rglob("*.html"))


def public_names() -> list[str]:
    """Every name a user can import from a public module, as its anchor on the page."""
    names = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if module_name != "dataflow_async" and getattr(dataflow_async, name, None) is obj:
                continue  # documented once, under dataflow_async
            names.append(f"{module_name}.{name}")
    return names


def public_members(anchor: str) -> list[str]:
    """The public methods and properties a public class defines itself, as anchors."""
    module_name, _, name = anchor.rpartition(".")
    obj = getattr(importlib.import_module(module_name), name)
    if not inspect.isclass(obj) or issubclass(obj, BaseException):
        return []
    found = []
    for klass in obj.__mro__:
        if not klass.__module__.startswith("dataflow_async"):
            continue
        for member, value in vars(klass).items():
            if member.startswith("_") or not (
                inspect.isfunction(value) or isinstance(value, (property, classmethod))
            ):
                continue
            found.append(f"{anchor}.{member}")
    return found


def private_constants() -> set[str]:
    """Module-level names of the private modules that no public module exports."""
    public = {name for module in PUBLIC_MODULES for name in importlib.import_module(module).__all__}
    private: set[str] = set()
    package = Path(dataflow_async.__file__).parent
    for path in package.rglob("_*.py"):
        if path.name == "__main__.py" or "_cli" in path.parts:
            continue
        relative = path.relative_to(package.parent).with_suffix("")
        module = importlib.import_module(".".join(relative.parts).removesuffix(".__init__"))
        for name, value in vars(module).items():
            if inspect.ismodule(value) or name.startswith("_") or name in public:
                continue
            if isinstance(value, TypeVar):
                continue
            constant = name.isupper() and len(name) > 1
            defined_here = getattr(value, "__module__", "").startswith("dataflow_async")
            if constant or (defined_here and (inspect.isclass(value) or name[0].isupper())):
                private.add(name)
    # A name httpx exports (Response, Timeout) is shown for the httpx one.
    return private - set(dir(httpx))


def test_no_restructuredtext_residue_on_any_page(site: Path) -> None:
    residue = []
    for path in pages(site):
        page = parse(path)
        text = html.unescape("".join(page.prose))
        for pattern in (ROLE, re.compile(r"``"), re.compile(r"\S::(?:\s|$)")):
            for match in pattern.finditer(text):
                start = max(match.start() - 40, 0)
                excerpt = text[start : match.end() + 40].replace("\n", " ")
                residue.append(f"{path.relative_to(site)}: {excerpt!r}")
    assert residue == []


def test_no_private_names_in_signatures_or_bases(reference: Page) -> None:
    assert len(reference.signatures) > 100 and len(reference.bases) > 20
    private = private_constants()
    assert {"DEFAULT_PAGE_SIZE", "AsyncClosing"} <= private
    found = []
    for text in reference.signatures + reference.bases:
        for token in re.findall(r"[A-Za-z_][\w.]*", text):
            last = token.rsplit(".", 1)[-1]
            if UNDERSCORED.search(token) or last in private:
                found.append(f"{token} in {' '.join(text.split())[:120]!r}")
    # The full path a name shows on hover: the name itself must be public.
    for title in reference.titles:
        path = title.split("(")[-1].strip(" )")
        if path.rsplit(".", 1)[-1] in private:
            found.append(f"{path} (hover)")
    assert found == []


def test_every_public_name_has_a_heading(reference: Page) -> None:
    anchors = {heading.id for heading in reference.headings if heading.is_object}
    wanted = public_names()
    assert "dataflow_async.Jobs" in wanted and "dataflow_async.emulator.EmulatorApp" in wanted
    missing = [name for name in wanted if name not in anchors]
    assert missing == []
    members = [member for name in wanted for member in public_members(name)]
    assert "dataflow_async.Jobs.list" in members
    assert [member for member in members if member not in anchors] == []


def test_headings_nest(reference: Page) -> None:
    headings = reference.headings
    assert headings[0].level == 1
    jumps = [
        (before.id, before.level, after.id, after.level)
        for before, after in itertools.pairwise(headings)
        if after.level > before.level + 1
    ]
    assert jumps == []
    sections = [h for h in headings[1:] if not h.is_object]
    objects = [h for h in headings if h.is_object]
    # Every section is above every object: the table of contents nests objects in sections.
    assert max(h.level for h in sections) < min(h.level for h in objects)
    # Each object sits directly under a section (level 3) or under its own parent object.
    for heading in objects:
        if heading.level > 3:
            parent = heading.id.rpartition(".")[0]
            assert any(h.id == parent and h.level == heading.level - 1 for h in objects), heading


def test_no_maintainer_notes_or_missing_commands(reference: Page) -> None:
    text = " ".join(html.unescape("".join(reference.prose)).split())
    assert "Why:" not in text
    # The command line serves the emulator with `dataflow-async emulator`; there is no `serve`.
    assert not re.search(r"dataflow[-_]async(?:\.emulator)? serve\b|emulator serve\b", text)
