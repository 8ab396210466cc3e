"""The installed package's types: what a user's `mypy --strict` sees, and the native stubs.

- `typecheck/user_script.py` (a user's script: `import yutang`, `from yutang import Pool, ...`)
  passes `mypy --strict`, and runs;
- `typecheck/user_mistakes.py` gets exactly the errors its `# E:` comments name (the types are
  real, not `Any`);
- `yutang.__all__` lists exactly the public names;
- `mypy.stubtest` finds `_yutang.pyi` complete and matching the built module (no
  `--ignore-missing-stub`).

mypy and stubtest run on the installed package from a scratch directory, so that the source
tree's `python/yutang` (which has no native module) is not what they see.
"""
from __future__ import annotations

import pathlib
import re
import subprocess
import sys
import types
from typing import List, Set, Tuple

import pytest

import yutang

pytest.importorskip("mypy")

HERE = pathlib.Path(__file__).resolve().parent / "typecheck"
_ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z0-9-]+)\]$")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """One scratch working directory (and mypy cache) for the module's mypy runs."""
    return tmp_path_factory.mktemp("typing")


def _mypy(scratch: pathlib.Path, script: pathlib.Path) -> Tuple[int, str]:
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--show-error-codes", "--no-color-output",
         "--cache-dir", str(scratch / ".mypy_cache"), str(script)],
        cwd=scratch, capture_output=True, text=True, timeout=600,
    )
    return r.returncode, r.stdout + r.stderr


def test_user_script_passes_mypy_strict(scratch: pathlib.Path) -> None:
    code, out = _mypy(scratch, HERE / "user_script.py")
    assert code == 0, out


def test_user_script_runs(scratch: pathlib.Path) -> None:
    r = subprocess.run([sys.executable, str(HERE / "user_script.py")], cwd=scratch, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr


def test_user_mistakes_are_reported(scratch: pathlib.Path) -> None:
    script = HERE / "user_mistakes.py"
    expected: Set[Tuple[int, str]] = set()
    for i, line in enumerate(script.read_text(encoding="utf-8").splitlines(), start=1):
        m = re.search(r"# E: ([a-z0-9-]+)\s*$", line)
        if m:
            expected.add((i, m.group(1)))
    assert expected, "no `# E:` markers found"
    code, out = _mypy(scratch, script)
    got: Set[Tuple[int, str]] = set()
    other: List[str] = []
    for line in out.splitlines():
        m = _ERROR.match(line)
        if m and pathlib.Path(m.group("file")).name == script.name:
            got.add((int(m.group("line")), m.group("code")))
        elif ": error:" in line:
            other.append(line)
    assert code == 1, out
    assert not other, "errors outside the script:\n" + "\n".join(other)
    assert got == expected, f"missing: {sorted(expected - got)}, unexpected: {sorted(got - expected)}\n{out}"


def test_all_lists_the_public_names() -> None:
    public = {n for n in dir(yutang) if not n.startswith("_")} | {"__version__"}
    assert set(yutang.__all__) == public
    assert len(yutang.__all__) == len(set(yutang.__all__))
    for name in yutang.__all__:
        obj = getattr(yutang, name)
        if isinstance(obj, types.ModuleType):
            assert obj.__name__ == f"yutang.{name}"


def test_native_stubs_match_the_module(scratch: pathlib.Path) -> None:
    r = subprocess.run([sys.executable, "-m", "mypy.stubtest", "yutang._yutang"], cwd=scratch,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
