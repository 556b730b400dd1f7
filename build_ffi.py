"""cffi builder for jitcore._native, the C side of jitcore (csrc/).

Used two ways:

* by setuptools, through ``setup(cffi_modules=["build_ffi.py:ffibuilder"])``
  (run with the project root as current directory), and
* directly, ``python build_ffi.py``, which builds the module in place so that
  ``jitcore/_native*.so`` sits next to the package for development.

The cdef is read from csrc/jitcore.h and csrc/numeric.h themselves (see
read_cdef), so the C API is declared in one place.
"""

from __future__ import annotations

import os
import sys

from cffi import FFI

ROOT = os.path.dirname(os.path.abspath(__file__))

HEADERS = ["csrc/jitcore.h", "csrc/jc_internal.h", "csrc/libm.h", "csrc/numeric.h", "csrc/pyversions.h",
           "csrc/undo.h"]
PUBLIC_HEADERS = ["csrc/jitcore.h", "csrc/numeric.h", "csrc/undo.h"]


def read_cdef() -> str:
    """The declarations cffi needs, taken from the public headers themselves
    (between their `cffi-cdef: begin` and `cffi-cdef: end` markers), so the C
    API is written down once."""
    parts = []
    for header in PUBLIC_HEADERS:
        with open(os.path.join(ROOT, header)) as f:
            text = f.read()
        begin = text.index("cffi-cdef: begin")
        begin = text.index("*/", begin) + 2
        end = text.rindex("/* cffi-cdef: end */")
        parts.append(text[begin:end])
    return "\n".join(parts)

SOURCES = ["csrc/execmem.c", "csrc/call.c", "csrc/interrupt.c", "csrc/poll.c", "csrc/stack.c",
           "csrc/numeric.c", "csrc/undo.c", "csrc/inplace.c"]


def _extra_compile_args() -> list[str]:
    # Our C files define _GNU_SOURCE / _DARWIN_C_SOURCE themselves.
    # -Wno-unused-parameter: for cffi's generated wrapper.
    return ["-O2", "-std=c99", "-Wall", "-Wextra", "-Wno-unused-parameter"]


def _libraries() -> list[str]:
    # shm_open lives in librt on glibc < 2.34 (manylinux2014 has 2.17);
    # newer glibc and musl keep an empty librt for compatibility.
    if sys.platform.startswith("linux"):
        return ["rt", "m"]  # m: numeric.c calls libm (the same one CPython uses)
    return []


def make_builder(prefix: str = "") -> FFI:
    """An FFI builder whose source paths start with `prefix` ('' = relative
    to the current directory, which must then be the project root)."""
    p = (lambda rel: os.path.join(prefix, rel)) if prefix else (lambda rel: rel)
    builder = FFI()
    builder.cdef(read_cdef())
    builder.set_source(
        "jitcore._native",
        '#include "jitcore.h"\n#include "numeric.h"\n#include "undo.h"',
        sources=[p(s) for s in SOURCES],
        depends=[p(h) for h in HEADERS],
        include_dirs=[p("csrc")],
        libraries=_libraries(),
        extra_compile_args=_extra_compile_args(),
    )
    return builder


def _prefix_for_cwd() -> str:
    """'' when run from the project root (as pip does), else the absolute root."""
    try:
        if os.path.samefile(os.getcwd(), ROOT):
            return ""
    except OSError:
        pass
    return ROOT


ffibuilder = make_builder(_prefix_for_cwd())


def build_in_place(verbose: bool = False) -> str:
    """Compile into build/ffi and copy the module next to the package.

    Returns the path of jitcore/_native*.so.
    """
    import glob
    import shutil

    tmpdir = os.path.join(ROOT, "build", "ffi")
    os.makedirs(tmpdir, exist_ok=True)
    built = make_builder(ROOT).compile(tmpdir=tmpdir, verbose=verbose)
    dest = os.path.join(ROOT, "jitcore", os.path.basename(built))
    # drop stale builds for this interpreter's tag only
    for old in glob.glob(os.path.join(ROOT, "jitcore", os.path.basename(built))):
        os.remove(old)
    shutil.copy2(built, dest)
    return dest


if __name__ == "__main__":
    print(build_in_place(verbose="-v" in sys.argv[1:]))
