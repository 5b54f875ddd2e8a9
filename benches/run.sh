#!/usr/bin/env bash
# Speed and memory of the release binary, next to a bare hyper server on the same machine.
# Usage: bash benches/run.sh [seconds per wrk run, default 10]
# Needs wrk (apt-get install wrk), openssl, iconv, python3. Sends traffic to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
cargo build --release --quiet --bin signsim --example bare_hyper --example rsa_verify_speed
BIN=target/release/signsim
BARE=target/release/examples/bare_hyper
TMP=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT

echo "== readiness: spawn → ready file written (20 starts, default scenario, in-memory store)"
python3 - "$BIN" "$TMP" <<'PY'
import os, subprocess, sys, time, statistics
binary, tmp = sys.argv[1], sys.argv[2]
times = []
for i in range(20):
    ready = os.path.join(tmp, f"ready{i}")
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "serve", "--addr", "127.0.0.1:0", "--ready-file", ready],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not os.path.exists(ready):
        time.sleep(0.0002)
    times.append((time.perf_counter() - t0) * 1000)
    p.terminate(); p.wait()
print(f"   median {statistics.median(times):.1f} ms, min {min(times):.1f} ms, max {max(times):.1f} ms")
PY

echo "== bare hyper, fixed bytes (wrk -t2 -c32 -d${DUR}s)"
"$BARE" 0 > "$TMP/url" 2>/dev/null &
BPID=$!; sleep 0.3; URL=$(head -1 "$TMP/url")
wrk -t2 -c32 -d"${DUR}s" "$URL/" | grep -E "Requests/sec|Latency"
kill $BPID

echo "== signsim GET /api/GetCAList (plain read)"
"$BIN" serve --addr 127.0.0.1:0 --log error > "$TMP/url" 2>/dev/null &
PID=$!; sleep 0.3; URL=$(head -1 "$TMP/url")
echo "   idle RSS: $(grep VmRSS /proc/$PID/status | awk '{print $2/1024 " MiB"}')"
wrk -t2 -c32 -d"${DUR}s" "$URL/api/GetCAList?Customercode=10320874334" | grep -E "Requests/sec|Latency"

echo "== signsim POST /api/RegisterInfo (signed: RSA-1024 verify + registry checks + store read)"
KEY=fixtures/pki/customers/10320874334.key
SIG=$(printf '%s' "10320874334-1234-0012345679" | iconv -f UTF-8 -t UTF-16LE | openssl dgst -sha1 -sign $KEY | base64 -w0)
cat > "$TMP/reg.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"caName":"01","customercode":"10320874334-1234","profileName":"Bronze-Sign","signature":"$SIG","personData":{"NationalCode":"0012345679","Name":"مهدی","LastName":"احمدی","EnName":"Mehdi","EnLastName":"Ahmadi","FatherName":"حسن","IsMan":true,"Telephone":"09121234567","BirthDate":"1990/05/12","TokenType":"USERGENERATED","City":"تهران","ProvinceName":"تهران","PostalCode":"1136913111"}}'
LUA
wrk -t2 -c32 -d"${DUR}s" -s "$TMP/reg.lua" "$URL/api/RegisterInfo" | grep -E "Requests/sec|Latency|Non-2xx"
echo "   RSS after load: $(grep VmRSS /proc/$PID/status | awk '{print $2/1024 " MiB"}')"
echo "== the RSA work alone: RSA-1024 SHA-1 verify as signsim does it (1 core)"
echo "   $(cargo run --release --quiet --example rsa_verify_speed)"
kill $PID
