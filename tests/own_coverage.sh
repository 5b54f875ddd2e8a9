#!/usr/bin/env bash
# Which outcomes of the real APIs the project's own tests never reach: runs the integration tests
# with every test emulator writing its contract coverage report on drop, then adds the reports up
# (an outcome is reached when any test reached it) and prints the never-reached ones by group.
#   bash tests/own_coverage.sh [cargo test filter…]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
SIGNSIM_TEST_COVERAGE_DIR="$dir" cargo test --test it -- "$@" >/dev/null 2>&1 || echo "(some tests failed; the tally covers those that ran)" >&2
python3 - "$dir" <<'PY'
import json, os, sys
from collections import defaultdict
d = sys.argv[1]
count, text, group = defaultdict(int), {}, {}
reports = 0
for f in os.listdir(d):
    try:
        r = json.load(open(os.path.join(d, f)))
    except ValueError:
        continue
    reports += 1
    for o in r.get("outcomes", []):
        count[o["id"]] += o.get("count", 0)
        text[o["id"]] = o["text"]
        group[o["id"]] = (o["api"], o["group"], o.get("avoid", False))
never = [i for i in count if count[i] == 0 and not group[i][2]]
print(f"{reports} test emulators; {len(count) - len(never)} of {len(count)} outcomes reached "
      f"(warnings, which a client should avoid, not counted as gaps)")
by = defaultdict(list)
for i in sorted(never):
    by[group[i][:2]].append(f"{i}: {text[i]}")
for (api, g), items in sorted(by.items()):
    print(f"\n## {api} · {g} ({len(items)} never reached)")
    for line in items:
        print(f"- {line}")
PY
