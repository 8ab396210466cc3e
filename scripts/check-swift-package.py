"""Checks that the Swift UniFFI generates and bindings-kotlin/apple/Package.swift agree on module
names and paths, so that `scripts/build-apple.sh` fills the package Swift expects.

Usage: python3 scripts/check-swift-package.py <generated-swift-dir> <Package.swift>
Prints "swift package: N checks passed" or each failure, and exits 1 on a failure.
"""
import pathlib
import re
import sys

swift_dir, package = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
root = package.resolve().parents[2]
text = package.read_text()
checks: list[tuple[str, bool]] = []


def check(what: str, ok: bool) -> None:
    checks.append((what, ok))


binary = re.findall(r'\.binaryTarget\(\s*name:\s*"([^"]+)",\s*path:\s*"([^"]+)"', text)
targets = re.findall(r'\.target\(\s*name:\s*"([^"]+)",\s*dependencies:\s*\[([^\]]*)\],\s*path:\s*"([^"]+)"', text)
products = re.findall(r'\.library\(\s*name:\s*"([^"]+)",\s*targets:\s*\[([^\]]*)\]', text)
check("Package.swift has one binary target", len(binary) == 1)
check("Package.swift has one Swift target", len(targets) == 1)
check("Package.swift has one library product", len(products) == 1)
if len(binary) == 1 and len(targets) == 1 and len(products) == 1:
    ffi, xcframework = binary[0]
    module, deps, sources = targets[0]
    product, product_targets = products[0]
    swift_files = sorted(p.name for p in swift_dir.glob("*.swift"))
    check(f"UniFFI generated one Swift file ({swift_files})", len(swift_files) == 1)
    check(f"the Swift file is named for the module {module}", swift_files == [f"{module}.swift"])
    generated = (swift_dir / f"{module}.swift").read_text() if swift_files == [f"{module}.swift"] else ""
    check(f"the generated Swift imports {ffi}", f"canImport({ffi})" in generated and f"import {ffi}" in generated)
    modulemap = (swift_dir / f"{ffi}.modulemap").read_text() if (swift_dir / f"{ffi}.modulemap").exists() else ""
    check(f"the module map declares module {ffi}", re.search(rf"\bmodule\s+{re.escape(ffi)}\s*\{{", modulemap) is not None)
    check(f"the module map's header {ffi}.h was generated",
          f'header "{ffi}.h"' in modulemap and (swift_dir / f"{ffi}.h").exists())
    check(f"the Swift target depends on {ffi}", f'"{ffi}"' in deps)
    check(f"the product exports {module}", f'"{module}"' in product_targets)
    check(f"the XCFramework is named for {ffi}", xcframework == f"{ffi}.xcframework")
    build = (root / "scripts" / "build-apple.sh").read_text()
    check(f"build-apple.sh writes {xcframework} and {sources}/{module}.swift",
          f'$OUT/{xcframework}' in build and f'$OUT/{sources}' in build and f"{module}.swift" in build)
    uniffi = (root / "bindings-kotlin" / "uniffi.toml").read_text()
    check("uniffi.toml names the same modules",
          f'module_name = "{module}"' in uniffi and f'ffi_module_name = "{ffi}"' in uniffi)
    cargo = (root / "bindings-kotlin" / "Cargo.toml").read_text()
    check("the FFI crate builds a staticlib", re.search(r'crate-type\s*=\s*\[[^\]]*"staticlib"', cargo) is not None)

failed = [what for what, ok in checks if not ok]
for what in failed:
    print(f"swift package check failed: {what}")
print(f"swift package: {len(checks) - len(failed)} checks passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
