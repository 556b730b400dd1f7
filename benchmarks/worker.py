"""Run the kernels as plain Python in whatever interpreter runs this module.

The runner starts it under PyPy as `pypy3 -m pypy_worker.worker REPEAT
[--quick] [--buffers]` (from a copy of this module, kernels.py and timing.py
in a package of their own, run.run_pypy; --buffers: the buffer kernels) and
reads one JSON object
from its standard output. It imports neither jitcore nor numba.
"""

import json
import platform
import sys

from . import kernels
from .timing import measure


def main(argv):
    repeat = int(argv[0])
    quick = "--quick" in argv[1:]
    cases = kernels.BUFFER_CASES if "--buffers" in argv[1:] else kernels.CASES
    out = {"version": sys.version.replace("\n", " "),
           "implementation": platform.python_implementation(), "cases": {}}
    for name, func_name, full_args, quick_args, _ in cases:
        args = kernels.materialize(quick_args if quick else full_args)
        try:
            m = measure(getattr(kernels, func_name), args, repeat)
        except Exception as exc:  # reported by the runner, never fatal
            out["cases"][name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        m["result_type"] = type(m["result"]).__name__
        out["cases"][name] = m
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
