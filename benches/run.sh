#!/usr/bin/env bash
# Speed and memory of the release binary, next to a bare hyper server measured in the same run.
# Usage: bash benches/run.sh [seconds per case, default 5] [output file, default benches/latest.md]
# Builds the release binary and the drivers, then runs examples/bench.rs (its own keep-alive
# load client; server CPU per request from /proc). Sends traffic to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-5}
OUT=${2:-benches/latest.md}
cargo build --release --quiet --bin signsim --example bare_hyper --example bench --example rsa_verify_speed
target/release/examples/bench "$SECS" "$OUT"
echo "RSA-1024 SHA-1 verify alone (1 core): $(target/release/examples/rsa_verify_speed)" | tee -a "$OUT"
echo "(written to $OUT)"
