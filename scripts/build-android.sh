#!/usr/bin/env bash
# Android: libyutang_ffi.so per ABI into bindings-kotlin/android/jniLibs/<abi>/ (the layout an
# Android module's src/main/jniLibs expects) and the Kotlin sources UniFFI generates, into
# bindings-kotlin/android/kotlin/. In the app's build.gradle.kts:
#     dependencies { implementation("net.java.dev.jna:jna:5.17.0@aar") }
#     android { sourceSets["main"].jniLibs.srcDir("…/bindings-kotlin/android/jniLibs")
#               sourceSets["main"].java.srcDir("…/bindings-kotlin/android/kotlin") }
# Needs cargo-ndk (`cargo install cargo-ndk`), an Android NDK ($ANDROID_NDK_HOME) and rustup.
#
# Usage: scripts/build-android.sh [abi ...]   (default: arm64-v8a armeabi-v7a x86_64)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if ! cargo ndk --version >/dev/null 2>&1; then
  echo "build-android.sh needs cargo-ndk: cargo install cargo-ndk" >&2; exit 2
fi
if [ -z "${ANDROID_NDK_HOME:-}" ] || [ ! -d "$ANDROID_NDK_HOME" ]; then
  echo "build-android.sh needs an Android NDK: set ANDROID_NDK_HOME (now '${ANDROID_NDK_HOME:-}')" >&2; exit 2
fi
ABIS=("$@"); [ ${#ABIS[@]} -gt 0 ] || ABIS=(arm64-v8a armeabi-v7a x86_64)
declare -A RUST=([arm64-v8a]=aarch64-linux-android [armeabi-v7a]=armv7-linux-androideabi [x86_64]=x86_64-linux-android [x86]=i686-linux-android)
for abi in "${ABIS[@]}"; do
  [ -n "${RUST[$abi]:-}" ] || { echo "unknown ABI $abi (arm64-v8a armeabi-v7a x86_64 x86)" >&2; exit 2; }
  rustup target add "${RUST[$abi]}"
done
OUT="$ROOT/bindings-kotlin/android"
rm -rf "$OUT/jniLibs" && mkdir -p "$OUT/jniLibs"
cargo ndk $(for abi in "${ABIS[@]}"; do echo -t "$abi"; done) -o "$OUT/jniLibs" build --release -p yutang-ffi
# The Kotlin is the same on every platform: generate it from the host library.
bash "$ROOT/scripts/kotlin-native.sh" "$OUT/kotlin" "${CARGO_TARGET_DIR:-$ROOT/target}/android-host"
echo "built $(cd "$OUT" && ls jniLibs/*/libyutang_ffi.so | tr '\n' ' ') and the Kotlin in $OUT/kotlin"
