#!/usr/bin/env bash
# The hardening suite's long runs (tests/it/hardening, the #[ignore]d tests): 20 kill -9 cycles
# during writes and 10 during reset on a data dir, 1000 idle connections with SIGTERM, and 1000
# hostile 1 MB JSON bodies against the journal budget, and 10 runs of four clients filling a 64 MiB
# tmpfs data directory (needs root to mount it). Each prints its numbers (--nocapture).
#
#   bash tests/hardening.sh           # against the release binary (built first): the figures to quote
#   bash tests/hardening.sh debug     # against the debug binary `cargo test` already built (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-release}
case "$profile" in
  release) cargo build --release --quiet; bin="$PWD/target/release/signsim" ;;
  debug) cargo build --quiet; bin="$PWD/target/debug/signsim" ;;
  *) echo "usage: $0 [release|debug]" >&2; exit 2 ;;
esac
SIGNSIM_BIN="$bin" cargo test --quiet --test it hardening -- --ignored --test-threads 1 --nocapture
