#!/usr/bin/env bash
# Builds the native library of the Kotlin (and Swift) bindings and what is generated from it:
#   1. `cargo build -p yutang-ffi` (release, or $YUTANG_KOTLIN_PROFILE);
#   2. the Kotlin sources, by uniffi-bindgen from that library, into <kotlin-out>;
#   3. the library itself, copied into <resources-out>/<JNA resource prefix>/ (for example
#      linux-x86-64/libyutang_ffi.so), so that a jar built from <resources-out> carries it and
#      JNA loads it from the class path with no system property;
#   4. with a third argument, the Swift sources into <swift-out>.
# Maven runs this in its generate-sources phase (bindings-kotlin/kotlin/pom.xml); it can also be
# run by hand.
#
# Usage: scripts/kotlin-native.sh <kotlin-out> <resources-out> [<swift-out>]
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 <kotlin-out> <resources-out> [<swift-out>]" >&2
  exit 2
fi
KOTLIN_OUT="$1"; RES_OUT="$2"; SWIFT_OUT="${3:-}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
PROFILE="${YUTANG_KOTLIN_PROFILE:-release}"
case "$(uname -s)" in
  Darwin) LIB="libyutang_ffi.dylib"; OS=darwin ;;
  Linux) LIB="libyutang_ffi.so"; OS=linux ;;
  *) echo "kotlin-native.sh: unsupported build OS $(uname -s) (Linux and macOS are)" >&2; exit 2 ;;
esac
case "$(uname -m)" in
  x86_64|amd64) ARCH=x86-64 ;;
  aarch64|arm64) ARCH=aarch64 ;;
  *) echo "kotlin-native.sh: unsupported CPU $(uname -m) (x86_64 and aarch64 are)" >&2; exit 2 ;;
esac
PREFIX="$OS-$ARCH"   # com.sun.jna.Platform.RESOURCE_PREFIX

cd "$ROOT"
echo "yutang: cargo build -p yutang-ffi ($PROFILE)"
cargo build --quiet -p yutang-ffi --profile "$PROFILE"
if [ "$PROFILE" = dev ]; then OUTDIR="$TARGET/debug"; else OUTDIR="$TARGET/$PROFILE"; fi

rm -rf "$KOTLIN_OUT" && mkdir -p "$KOTLIN_OUT"
"$OUTDIR/uniffi-bindgen" generate --library "$OUTDIR/$LIB" --language kotlin --out-dir "$KOTLIN_OUT" --no-format
rm -rf "${RES_OUT:?}/$PREFIX" && mkdir -p "$RES_OUT/$PREFIX"
cp "$OUTDIR/$LIB" "$RES_OUT/$PREFIX/$LIB"
echo "yutang: Kotlin sources in $KOTLIN_OUT, $PREFIX/$LIB in $RES_OUT"
if [ -n "$SWIFT_OUT" ]; then
  rm -rf "$SWIFT_OUT" && mkdir -p "$SWIFT_OUT"
  "$OUTDIR/uniffi-bindgen" generate --library "$OUTDIR/$LIB" --language swift --out-dir "$SWIFT_OUT" --no-format
  echo "yutang: Swift sources in $SWIFT_OUT"
fi
