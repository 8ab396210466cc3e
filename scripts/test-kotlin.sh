#!/usr/bin/env bash
# Kotlin (and Swift) bindings: build the UniFFI library, generate Kotlin + Swift from it, run the
# JUnit 5 tests on the JVM through JNA, and print "N passed, N failed".
# Needs: cargo, a JDK (17+) and Maven; Maven fetches Kotlin, JNA and JUnit itself.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
PROFILE="${YUTANG_KOTLIN_PROFILE:-release}"
case "$(uname -s)" in
  Darwin) LIB="libyutang_ffi.dylib" ;;
  *) LIB="libyutang_ffi.so" ;;
esac

echo "== kotlin: building yutang-ffi ($PROFILE)"
cargo build --quiet -p yutang-ffi --profile "$PROFILE"
if [ "$PROFILE" = dev ]; then OUTDIR="$TARGET/debug"; else OUTDIR="$TARGET/$PROFILE"; fi
GEN="$ROOT/bindings-kotlin/kotlin/generated"
rm -rf "$GEN" && mkdir -p "$GEN"
"$OUTDIR/uniffi-bindgen" generate --library "$OUTDIR/$LIB" --language kotlin --out-dir "$GEN" --no-format
# Swift sources from the same library, into the build output (no Swift compiler on these machines).
SWIFT="$TARGET/swift"
rm -rf "$SWIFT" && mkdir -p "$SWIFT"
"$OUTDIR/uniffi-bindgen" generate --library "$OUTDIR/$LIB" --language swift --out-dir "$SWIFT" --no-format
echo "== swift sources generated in $SWIFT: $(ls "$SWIFT" | tr '\n' ' ')"

echo "== kotlin: maven test"
cd "$ROOT/bindings-kotlin/kotlin"
set +e
mvn -B -q -ntp test -Dnative.dir="$OUTDIR" 2>&1 | tee "$TARGET/kotlin-test.log" | grep -v "^\[INFO\]" | tail -60
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
exit $status
