"""Run the differential fuzzer (test_fuzz.py) for a time budget and print what it checked.

    python tests/fuzz_long.py                     # one hour
    python tests/fuzz_long.py --seconds 600 --batch 50

It runs test_fuzz.py's time-budget mode (JITCORE_FUZZ_SECONDS) in a pytest
subprocess, with the counts recorded in a JSON file after every batch and each
program written to a file before it runs, so that even a crash of the
interpreter (a segfault in generated code) leaves the counts so far and the
program that crashed it. The last line is the summary, e.g.

    41250 programs, 330000 calls, 0 failures, native rate 99.95% (20 capped)

(the native rate: the programs that compiled natively, of those generated;
the others reached jitcore's cap on the type combinations a block compiles
for; any other refusal is a failure)

and the exit status is 0 only if there was no failure and no crash. Other
JITCORE_FUZZ_* variables (HELPERS, DYNAMIC) pass through.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3600.0, help="time budget (default 3600)")
    parser.add_argument("--batch", type=int, default=100, help="examples per hypothesis run")
    parser.add_argument("--record", help="keep the JSON record here (default: a temp file)")
    opts = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="jitcore-fuzz-")
    record = opts.record or os.path.join(workdir, "record.json")
    last = os.path.join(workdir, "last_program.py")
    env = dict(os.environ, JITCORE_FUZZ_SECONDS=str(opts.seconds),
               JITCORE_FUZZ_BATCH=str(opts.batch), JITCORE_FUZZ_RECORD=record,
               JITCORE_FUZZ_LAST=last)
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
               "test_fuzz.py::test_random_programs_for_a_time_budget"]
    proc = subprocess.run(command, cwd=HERE, env=env)

    try:
        with open(record) as f:
            counts = json.load(f)
    except (OSError, ValueError):
        counts = {"programs": 0, "calls": 0, "capped": 0, "failures": 0, "reports": []}
    failures = counts["failures"]
    if proc.returncode < 0 or (proc.returncode != 0 and not failures):
        failures += 1  # the interpreter died (or pytest failed otherwise): the last program
        how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"exit status {proc.returncode}"
        print(f"\nthe fuzzing process ended with {how}; the program it was running:")
        if os.path.exists(last):
            with open(last) as f:
                print(f.read())
    for text in counts.get("reports", [])[:3]:
        print("\n" + text)
    print(f"record: {record}" + ("" if opts.record else f" (in {workdir})"))
    capped = counts.get("capped", 0)
    rate = 100.0 * counts["programs"] / max(1, counts["programs"] + capped)
    print(f"{counts['programs']} programs, {counts['calls']} calls, {failures} failures, "
          f"native rate {rate:.2f}% ({capped} capped)")
    return 0 if failures == 0 and proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
