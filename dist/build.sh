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
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist/out}
target=x86_64-unknown-linux-gnu
[ "$(uname -m)" = x86_64 ] || { echo "dist/build.sh: builds on x86_64 Linux only (this is $(uname -m))" >&2; exit 1; }

# --target keeps these flags off build scripts and proc macros (which must stay dynamic)
# and keeps the static build in its own directory beside the ordinary one.
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
  cargo build --release --locked --target "$target" --bin signsim
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
echo "$out/$name ($(stat -c %s "$out/$name") bytes): $("$out/$name" --version)"
