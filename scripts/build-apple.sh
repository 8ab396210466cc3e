#!/usr/bin/env bash
# iOS and macOS: the static library of yutang-ffi per Apple target, bundled into
# bindings-kotlin/apple/YutangFFI.xcframework, and the Swift sources UniFFI generates from it in
# bindings-kotlin/apple/Sources/Yutang/ — what bindings-kotlin/apple/Package.swift points at.
# Needs macOS with Xcode (xcodebuild, lipo) and rustup; it adds the Rust targets it needs.
#
# Usage: scripts/build-apple.sh            (release; YUTANG_APPLE_PROFILE=dev for a debug build)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ "$(uname -s)" != Darwin ] || ! command -v xcodebuild >/dev/null; then
  echo "build-apple.sh needs macOS with Xcode (xcodebuild); this is $(uname -s)." >&2
  echo "On Linux the Swift sources alone can be generated: scripts/kotlin-native.sh OUT RES SWIFT_OUT" >&2
  exit 2
fi
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
PROFILE="${YUTANG_APPLE_PROFILE:-release}"
if [ "$PROFILE" = dev ]; then DIR=debug; else DIR="$PROFILE"; fi
OUT="$ROOT/bindings-kotlin/apple"
DEVICE=aarch64-apple-ios
SIMS=(aarch64-apple-ios-sim x86_64-apple-ios)
MACS=(aarch64-apple-darwin x86_64-apple-darwin)
rustup target add "$DEVICE" "${SIMS[@]}" "${MACS[@]}"
for t in "$DEVICE" "${SIMS[@]}" "${MACS[@]}"; do
  cargo build -p yutang-ffi --profile "$PROFILE" --target "$t"
done
LIB=libyutang_ffi.a
STAGE="$TARGET/apple"
rm -rf "$STAGE" && mkdir -p "$STAGE/headers" "$STAGE/ios-sim" "$STAGE/macos"

# Swift sources and the C header from the host library (the same interface on every target).
cargo build -p yutang-ffi --profile "$PROFILE"
"$TARGET/$DIR/uniffi-bindgen" generate --library "$TARGET/$DIR/libyutang_ffi.dylib" --language swift \
  --out-dir "$STAGE/swift" --no-format
cp "$STAGE/swift/YutangFFI.h" "$STAGE/headers/"
cp "$STAGE/swift/YutangFFI.modulemap" "$STAGE/headers/module.modulemap"
rm -rf "$OUT/Sources/Yutang" && mkdir -p "$OUT/Sources/Yutang"
cp "$STAGE/swift/Yutang.swift" "$OUT/Sources/Yutang/"

# One fat library per platform family (simulators, macOS), then the XCFramework.
lipo -create $(for t in "${SIMS[@]}"; do echo "$TARGET/$t/$DIR/$LIB"; done) -output "$STAGE/ios-sim/$LIB"
lipo -create $(for t in "${MACS[@]}"; do echo "$TARGET/$t/$DIR/$LIB"; done) -output "$STAGE/macos/$LIB"
rm -rf "$OUT/YutangFFI.xcframework"
xcodebuild -create-xcframework \
  -library "$TARGET/$DEVICE/$DIR/$LIB" -headers "$STAGE/headers" \
  -library "$STAGE/ios-sim/$LIB" -headers "$STAGE/headers" \
  -library "$STAGE/macos/$LIB" -headers "$STAGE/headers" \
  -output "$OUT/YutangFFI.xcframework"
echo "built $OUT/YutangFFI.xcframework and $OUT/Sources/Yutang/Yutang.swift; open $OUT/Package.swift"
