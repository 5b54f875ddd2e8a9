#!/usr/bin/env bash
# Builds the static Linux binary of signsim: x86_64, glibc linked in statically
# (`-C target-feature=+crt-static`), stripped, with its SHA-256 beside it.
#
#   bash dist/build.sh [OUT_DIR]        (default: dist/out)
#
# Writes OUT_DIR/signsim-x86_64-linux and OUT_DIR/signsim-x86_64-linux.sha256 (the format
# `sha256sum -c` reads), and OUT_DIR/image/ — the files the Containerfile copies
# (the binary as `signsim` and an empty `data/` for the volume).
# The binary needs nothing at run time: no libc, no /etc, no /tmp, no name service (it
# resolves only `localhost` itself). SIGNSIM_COMMIT overrides the commit it reports
# (a build outside a git checkout); CARGO_TARGET_DIR is honoured.
#
# Profile-guided: the build is optimised with a profile dist/pgo.sh makes first from this same
# source (an instrumented build driven by the benchmark's load client). SIGNSIM_PGO=auto (the
# default) does so when an llvm-profdata of rustc's LLVM version is at hand and says so when it
# is not; =on fails without one (the release workflow); =off builds without (faster to build,
# 11–17 % more server CPU a request: CONTRIBUTING.md, Benchmarks). Behaviour is the same.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist/out}
target=x86_64-unknown-linux-gnu
[ "$(uname -m)" = x86_64 ] || { echo "dist/build.sh: builds on x86_64 Linux only (this is $(uname -m))" >&2; exit 1; }

# --target keeps these flags off build scripts and proc macros (which must stay dynamic)
# and keeps the static build in its own directory beside the ordinary one.
flags="${RUSTFLAGS:-} -C target-feature=+crt-static"
pgo=${SIGNSIM_PGO:-auto}
case "$pgo" in
  auto | on | off) ;;
  *) echo "dist/build.sh: SIGNSIM_PGO=$pgo: expected auto, on or off" >&2; exit 2 ;;
esac
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
profile="$scratch/signsim.profdata"
if [ "$pgo" != off ]; then
  status=0
  PGO_RUSTFLAGS="$flags" bash dist/pgo.sh "$profile" "$target" || status=$?
  if [ $status -eq 0 ]; then
    flags="$flags -C profile-use=$profile"
  elif [ $status -eq 3 ] && [ "$pgo" = auto ]; then
    echo "dist/build.sh: building without a profile (SIGNSIM_PGO=auto)" >&2
  else
    exit $status
  fi
fi
RUSTFLAGS="$flags" cargo build --release --locked --target "$target" --bin signsim
bin="${CARGO_TARGET_DIR:-target}/$target/release/signsim"

mkdir -p "$out/image/data"
name=signsim-x86_64-linux
cp "$bin" "$out/$name"
strip "$out/$name"
# A static binary has no interpreter and no needed libraries: refuse to ship anything else.
if readelf -l "$out/$name" | grep -q 'INTERP'; then
  echo "dist/build.sh: $out/$name asks for a dynamic loader: not static" >&2; exit 1
fi
if readelf -d "$out/$name" 2>/dev/null | grep -q NEEDED; then
  echo "dist/build.sh: $out/$name needs shared libraries: not static" >&2; exit 1
fi
(cd "$out" && sha256sum "$name" > "$name.sha256")
cp "$out/$name" "$out/image/signsim"
case "$flags" in
  *profile-use*) optimised="profile-guided" ;;
  *) optimised="without a profile" ;;
esac
echo "$out/$name ($(stat -c %s "$out/$name") bytes, $optimised): $("$out/$name" --version)"
