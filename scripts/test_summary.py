#!/usr/bin/env python3
"""Totals meson's test logs of several build directories into one closing line."""
import json
import sys
from pathlib import Path

passed = failed = skipped = 0
for build_dir in sys.argv[1:]:
    log = Path(build_dir) / "meson-logs" / "testlog.json"
    if not log.exists():
        print(f"{build_dir}: no test log (build failed?)")
        failed += 1
        continue
    for line in log.read_text().splitlines():
        result = json.loads(line)["result"]
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
if passed + failed == 0:
    print("no test ran")
    sys.exit(1)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
