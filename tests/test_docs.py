"""Cheap checks that the documentation matches the code (the full build is `make -C docs html`)."""

from __future__ import annotations

import ast
import doctest
import importlib.util
import re
from pathlib import Path

import pytest

import sklearn_lc
from sklearn_lc import cli

DOCS = Path(__file__).resolve().parents[1] / "docs"
pytestmark = pytest.mark.skipif(not DOCS.is_dir(), reason="docs/ not in this checkout")


def _conf():
    spec = importlib.util.spec_from_file_location("_docs_conf", DOCS / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)  # writes docs/generated/api.rst
    return conf


def test_api_page_lists_every_export():
    _conf()
    text = (DOCS / "generated" / "api.rst").read_text()
    listed = set(re.findall(r"^   (\w+)$", text, flags=re.M))
    public = {n for n in sklearn_lc.__all__ if not n.startswith("_")}
    assert public <= listed, f"missing from the API page: {sorted(public - listed)}"


@pytest.mark.parametrize("page", sorted(p.name for p in (DOCS / "user_guide").glob("*.rst")))
def test_user_guide_doctests(page):
    result = doctest.testfile(str(DOCS / "user_guide" / page), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                              verbose=False)
    assert result.failed == 0


def test_gallery_scripts_have_titles_and_compile():
    scripts = sorted((DOCS / "examples").glob("plot_*.py"))
    assert len(scripts) >= 3
    for script in scripts:
        tree = ast.parse(script.read_text(), filename=str(script))
        doc = ast.get_docstring(tree)
        assert doc, f"{script.name}: no title docstring"
        title, underline = doc.splitlines()[:2]
        assert set(underline) == {"="} and len(underline) >= len(title), script.name
        # every example falls back to simulated data when ../shared/data is absent
        assert "make_light_curves" in script.read_text(), script.name


def test_cli_page_documents_every_command():
    text = (DOCS / "cli.rst").read_text()
    parser = cli._build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for command in sub.choices:
        assert f"sklearn-lc {command}" in text, command
