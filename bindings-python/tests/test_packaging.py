"""What ships: one version everywhere, and the wheel and sdist the test command built."""
import os
import pathlib
import re
import tarfile
try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]
import xml.etree.ElementTree as ET
import zipfile

import pytest

import yutang
from conftest import ROOT

POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def _pom(path: pathlib.Path) -> ET.Element:
    return ET.parse(path).getroot()


def test_versions_agree_across_cargo_python_maven_and_the_changelog() -> None:
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["package"]["version"]
    pyproject = tomllib.loads((ROOT / "bindings-python" / "pyproject.toml").read_text())["project"]
    assert "version" in pyproject["dynamic"]  # the wheel takes the Cargo version
    assert yutang.__version__ == cargo
    pom = _pom(ROOT / "bindings-kotlin" / "kotlin" / "pom.xml")
    assert pom.findtext("m:version", namespaces=POM_NS) == cargo
    consumer = _pom(ROOT / "bindings-kotlin" / "examples" / "quickstart" / "pom.xml")
    assert consumer.findtext("m:properties/m:yutang.version", namespaces=POM_NS) == cargo
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert releases and releases[0] == cargo, releases


def _built(pattern: str) -> pathlib.Path:
    folder = os.environ.get("YUTANG_WHEEL_DIR")
    if not folder:
        pytest.skip("YUTANG_WHEEL_DIR is not set (scripts/test-all.sh sets it to where it built the wheel)")
    found = sorted(pathlib.Path(folder).glob(pattern))
    assert len(found) == 1, (pattern, found)
    return found[0]


def test_the_wheel_is_abi3_and_manylinux2014() -> None:
    wheel = _built("yutang-*.whl")
    name, version, python, abi, platform = wheel.stem.split("-")
    assert (name, version, python, abi) == ("yutang", yutang.__version__, "cp39", "abi3")
    tags = platform.split(".")
    glibc = []
    for tag in tags:
        m = re.fullmatch(r"manylinux_(\d+)_(\d+)_(?:x86_64|aarch64)|manylinux(2014)_(?:x86_64|aarch64)", tag)
        assert m, f"{tag} is not a manylinux tag"
        glibc.append((2, 17) if m.group(3) else (int(m.group(1)), int(m.group(2))))
    assert max(glibc) == (2, 17), tags  # linked by zig against glibc 2.17
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = z.read(f"yutang-{version}.dist-info/METADATA").decode()
    # the bundled data and the typing information travel with the package
    assert {"yutang/datasets/CDNOW_sample.txt", "yutang/datasets/ORIGIN.md", "yutang/py.typed",
            "yutang/_yutang.pyi"} <= names
    requires = sorted(line.split(":", 1)[1].strip() for line in meta.splitlines() if line.startswith("Requires-Dist:"))
    assert [r for r in requires if "extra ==" not in r] == ["numpy>=1.22", "pandas>=1.5", "pyarrow>=12"]
    extras = sorted(line.split(":", 1)[1].strip() for line in meta.splitlines() if line.startswith("Provides-Extra:"))
    assert extras == ["plot", "polars"]


def test_the_sdist_holds_the_rust_sources_it_builds_from() -> None:
    sdist = _built("yutang-*.tar.gz")
    with tarfile.open(sdist) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    assert {"pyproject.toml", "Cargo.toml", "Cargo.lock", "core/Cargo.toml", "core/src/lib.rs", "core/docs/concepts.md",
            "bindings-python/Cargo.toml", "bindings-python/src/lib.rs", "python/yutang/__init__.py"} <= names
