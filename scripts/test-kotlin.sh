#!/usr/bin/env bash
# Kotlin (and Swift) bindings, as a user gets them: `mvn install` in bindings-kotlin/kotlin builds
# the native library, generates the Kotlin from it (scripts/kotlin-native.sh, in Maven's
# generate-sources phase), runs the JUnit 5 tests against the jar's class path, and installs
# yutang-kotlin-<version>.jar (native library inside) in the local Maven repository. Then the
# consumer project bindings-kotlin/examples/quickstart, which depends on it by coordinates only,
# runs; the Swift sources are generated and checked against bindings-kotlin/apple/Package.swift.
# Prints "kotlin: N passed, N failed".
# Needs: cargo, a JDK (17+) and Maven; Maven fetches Kotlin, JNA and JUnit itself.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
mkdir -p "$TARGET"
status=0

echo "== kotlin: mvn install (native library, generated bindings, tests, jar)"
cd "$ROOT/bindings-kotlin/kotlin"
rm -rf target/surefire-reports
set +e
mvn -B -q -ntp -Dstyle.color=never install 2>&1 | tee "$TARGET/kotlin-test.log" | grep -v "^\[INFO\]" | tail -60
status=${PIPESTATUS[0]}
set -e
python3 - "$ROOT/bindings-kotlin/kotlin/target/surefire-reports" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
tests = failed = skipped = 0
for f in glob.glob(sys.argv[1] + "/TEST-*.xml"):
    r = ET.parse(f).getroot()
    tests += int(r.get("tests", 0)); skipped += int(r.get("skipped", 0))
    failed += int(r.get("failures", 0)) + int(r.get("errors", 0))
print(f"kotlin: {tests - failed - skipped} passed, {failed} failed, {skipped} skipped")
PY
JAR="$(ls "$ROOT"/bindings-kotlin/kotlin/target/yutang-kotlin-*.jar 2>/dev/null | head -1 || true)"
if [ "$status" -eq 0 ]; then
  # the jar carries the native library under JNA's resource prefix
  NATIVE="$(python3 -c 'import sys, zipfile; print(" ".join(n for n in zipfile.ZipFile(sys.argv[1]).namelist() if n.rsplit("/", 1)[-1] in ("libyutang_ffi.so", "libyutang_ffi.dylib")))' "$JAR" || true)"
  if [ -n "$NATIVE" ]; then echo "== kotlin: $(basename "$JAR") holds: $NATIVE"; else echo "kotlin: no native library in ${JAR:-the jar}"; status=1; fi
  echo "== kotlin: consumer project (bindings-kotlin/examples/quickstart, by Maven coordinates)"
  if ! (cd "$ROOT/bindings-kotlin/examples/quickstart" && mvn -B -q -ntp -Dstyle.color=never compile exec:java 2>&1 | sed 's/\x1b\[[0-9;]*m//g'; exit "${PIPESTATUS[0]}"); then
    echo "kotlin consumer FAILED"; status=1
  fi
fi

echo "== swift: sources generated from the same library, checked against Package.swift"
SWIFT="$TARGET/swift"
if ! (bash "$ROOT/scripts/kotlin-native.sh" "$TARGET/kotlin-generated" "$TARGET/kotlin-native" "$SWIFT" >/dev/null \
      && python3 "$ROOT/scripts/check-swift-package.py" "$SWIFT" "$ROOT/bindings-kotlin/apple/Package.swift"); then
  echo "swift package check FAILED"; status=1
fi
exit $status
