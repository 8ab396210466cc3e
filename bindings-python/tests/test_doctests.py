"""The `>>>` examples in the docstrings of the yutang package run as doctests.

One test per docstring that has examples, over every pure-Python module of the installed
package (the native `_yutang` has none), with the ids doctest gives them
(`yutang.pool.Pool.snapshot_to`). Whitespace runs compare equal (a DataFrame's column widths
move between pandas versions) and `...` matches anything.
"""
from __future__ import annotations

import doctest
import importlib
import pkgutil
from typing import List

import pytest

import yutang

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _doctests() -> List[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests: List[doctest.DocTest] = []
    names = ["yutang"] + [f"yutang.{m.name}" for m in pkgutil.iter_modules(yutang.__path__) if m.name != "_yutang"]
    for name in names:
        module = importlib.import_module(name)
        tests.extend(t for t in finder.find(module, name) if t.examples)
    return sorted(tests, key=lambda t: t.name)


DOCTESTS = _doctests()


@pytest.mark.parametrize("test", DOCTESTS, ids=[t.name for t in DOCTESTS])
def test_docstring_examples(test: doctest.DocTest) -> None:
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    out: List[str] = []
    result = runner.run(test, out=out.append, clear_globs=True)
    assert result.failed == 0, "".join(out)


def test_docstring_examples_were_found() -> None:
    """The finder still sees the examples (a broken import would silently find none)."""
    assert sum(len(t.examples) for t in DOCTESTS) >= 40, [t.name for t in DOCTESTS]
