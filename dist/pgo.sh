#!/usr/bin/env bash
# Makes the profile signsim's release builds are optimised with (profile-guided optimisation):
# builds signsim instrumented, drives it with the benchmark's own load client through the
# requests integrators' CI makes most (GetCAList, signed PKI calls, Podpishi uploads, status
# and document reads, certificate and P12 issues; in memory and with --data-dir), stops it with
# SIGTERM so it writes its counts, and merges them.
#
#   bash dist/pgo.sh PROFILE [TARGET]    (TARGET: a rustc target for --target, default none)
#
# Writes PROFILE (an .profdata file for `-C profile-use=PROFILE`). Exits 3 without writing it
# when no llvm-profdata of rustc's own LLVM version is found: rustup's `llvm-tools` component,
# or `llvm-profdata-N` / `llvm-profdata` of the same major version (Debian: apt-get install
# llvm-N). The profile is made fresh from the source being built, never kept in the repository:
# a profile of older code would leave the changed functions unoptimised without a word.
# Takes about as long as two release builds and a minute of load. CARGO_TARGET_DIR is honoured
# (the instrumented build goes to its pgo-train/ subdirectory); PGO_RUSTFLAGS are the flags of
# the build the profile is for (dist/build.sh: static), RUSTFLAGS those of the load client.
# Sends traffic to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:?usage: dist/pgo.sh PROFILE [TARGET]}
target=${2:-}
base=${CARGO_TARGET_DIR:-target}

# llvm-profdata must read the raw profiles rustc's LLVM writes: the same major version.
major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
host=$(rustc -vV | sed -n 's/^host: //p')
profdata=""
for c in "$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata" "llvm-profdata-$major" llvm-profdata; do
  if command -v "$c" >/dev/null 2>&1 && "$c" merge --help >/dev/null 2>&1 &&
    "$c" --version 2>/dev/null | grep -q "LLVM version $major\."; then
    profdata=$c
    break
  fi
done
if [ -z "$profdata" ]; then
  echo "dist/pgo.sh: no llvm-profdata of LLVM $major (rustc's): rustup component add llvm-tools, or apt-get install llvm-$major" >&2
  exit 3
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The instrumented build: the same flags as the build the profile is for, plus the counters.
instr_dir="$base/pgo-train"
RUSTFLAGS="${PGO_RUSTFLAGS:-${RUSTFLAGS:-}} -C profile-generate=$work/raw" CARGO_TARGET_DIR="$instr_dir" \
  cargo build --release --locked ${target:+--target "$target"} --bin signsim --quiet
instr="$instr_dir/${target:+$target/}release/signsim"
# The load client (not instrumented, and not profiled: only the server writes counts).
cargo build --release --locked --example bench --example bare_hyper --quiet

# One second a case: the counts' proportions, not their totals, shape the optimisation.
start=$(date +%s)
BENCH_SIGNSIM="$instr" BENCH_TARGET_DIR="$base" \
  "$base/release/examples/bench" 1 "$work/train.md" throughput issue p12 >"$work/train.log" 2>&1 || {
  echo "dist/pgo.sh: the training load failed:" >&2
  tail -20 "$work/train.log" >&2
  exit 1
}
shopt -s nullglob
raws=("$work"/raw/*.profraw)
if [ ${#raws[@]} -eq 0 ]; then
  echo "dist/pgo.sh: the instrumented servers wrote no counts (were they stopped by SIGTERM?)" >&2
  exit 1
fi
"$profdata" merge -o "$profile" "${raws[@]}"
echo "dist/pgo.sh: $profile from $(($(date +%s) - start)) s of training load ($("$profdata" --version | grep -o 'LLVM version [0-9.]*'))"
