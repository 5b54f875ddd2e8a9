#!/usr/bin/env bash
# Speed and memory of the release binary, next to a bare hyper server measured in the same run.
# Usage: bash benches/run.sh [seconds per case, default 5] [output file, default benches/latest.md] [part…]
# Parts (default: all, in this order): throughput issue p12 journal growth — each in memory and
# with --data-dir. Builds the binary integrators download and run in the image (dist/build.sh:
# static, profile-guided when an llvm-profdata of rustc's LLVM is at hand — SIGNSIM_PGO=off
# measures the build without) and the drivers, then runs examples/bench/ (its own keep-alive load
# client; server CPU per request from /proc) and prints one table with targets, the comparisons
# and notes. Sends traffic to 127.0.0.1 only. With 5 s per case the run takes about 8 minutes
# on a 2-core machine, most of it seeding 2 × 110 000 records for the growth part, after about
# 12 for the builds (two release builds and a minute of training load for the profile).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-5}
OUT=${2:-benches/latest.md}
shift $(($# < 2 ? $# : 2))
TARGET=${CARGO_TARGET_DIR:-target}
START=$(date +%s)
cargo build --release --quiet --example bare_hyper --example bench --example rsa_verify_speed
DIST="$TARGET/bench-dist"
BUILT=$(bash dist/build.sh "$DIST" | tail -1)
echo "$BUILT"
BENCH_SIGNSIM="$DIST/signsim-x86_64-linux" BENCH_BUILD="${BUILT#"$DIST"/}" BENCH_TARGET_DIR="$TARGET" \
  "$TARGET/release/examples/bench" "$SECS" "$OUT" "$@"
echo "RSA-1024 SHA-1 verify alone (1 core): $("$TARGET/release/examples/rsa_verify_speed")" | tee -a "$OUT"
echo "whole run (build included): $(($(date +%s) - START)) s" | tee -a "$OUT"
echo "(written to $OUT)"
