#!/usr/bin/env bash
# Speed and memory of the release binary, next to a bare hyper server measured in the same run.
# Usage: bash benches/run.sh [seconds per case, default 5] [output file, default benches/latest.md] [part…]
# Parts (default: all, in this order): throughput issue p12 journal growth — each in memory and
# with --data-dir. Builds the release binary and the drivers, then runs examples/bench/ (its own
# keep-alive load client; server CPU per request from /proc) and prints one table with targets,
# the comparisons and notes. Sends traffic to 127.0.0.1 only. With 5 s per case it takes about
# 8 minutes on a 2-core machine, most of it seeding 2 × 110 000 records for the growth part.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-5}
OUT=${2:-benches/latest.md}
shift $(($# < 2 ? $# : 2))
TARGET=${CARGO_TARGET_DIR:-target}
START=$(date +%s)
cargo build --release --quiet --bin signsim --example bare_hyper --example bench --example rsa_verify_speed
BENCH_TARGET_DIR="$TARGET" "$TARGET/release/examples/bench" "$SECS" "$OUT" "$@"
echo "RSA-1024 SHA-1 verify alone (1 core): $("$TARGET/release/examples/rsa_verify_speed")" | tee -a "$OUT"
echo "whole run (build included): $(($(date +%s) - START)) s" | tee -a "$OUT"
echo "(written to $OUT)"
