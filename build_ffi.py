"""cffi builder for jitcore._native, the C side of jitcore (csrc/).

Used two ways:

* by setuptools, through ``setup(cffi_modules=["build_ffi.py:ffibuilder"])``
  (run with the project root as current directory), and
* directly, ``python build_ffi.py``, which builds the module in place so that
  ``jitcore/_native*.so`` sits next to the package for development.

The cdef below repeats csrc/jitcore.h and csrc/numeric.h; the C compiler
checks that they agree whenever the module is built.
"""

from __future__ import annotations

import os
import sys

from cffi import FFI

ROOT = os.path.dirname(os.path.abspath(__file__))

CDEF = """
#define JC_CHUNK_SIZE ...
#define JC_CODE_ALIGN ...

typedef struct jc_code jc_code;

int jc_code_new(const unsigned char *bytes, size_t len, jc_code **out);
void jc_code_free(jc_code *code);
uintptr_t jc_code_address(const jc_code *code);
size_t jc_code_size(const jc_code *code);
int jc_code_read(const jc_code *code, unsigned char *buf, size_t len);
const char *jc_last_error(void);
const char *jc_strategy(void);
int jc_force_strategy(const char *name);
void jc_stats(size_t *chunks, size_t *bytes_mapped, size_t *bytes_live,
              size_t *blocks_live);
int jc_call(const jc_code *code, const int64_t *args, int64_t *out);
typedef union { int64_t i; double d; } jc_value;
int jc_call_packed(const jc_code *code, const char *args, jc_value *out, int64_t depth);

/* csrc/numeric.h: helpers called by generated code; status 0 = ok */
int jc_float_floordiv(double a, double b, double *out);
int jc_float_mod(double a, double b, double *out);
int jc_float_pow(double a, double b, double *out);
int jc_float_round(double x, int64_t *out);
int jc_float_to_int(double x, int64_t *out);
int jc_float_floor(double x, int64_t *out);
int jc_float_ceil(double x, int64_t *out);
int jc_int_pow(int64_t base, int64_t exp, int64_t *out);
int jc_int_floordiv(int64_t a, int64_t b, int64_t *out);
int jc_int_mod(int64_t a, int64_t b, int64_t *out);
int jc_int_truediv(int64_t a, int64_t b, double *out);
int jc_math_sqrt(double x, double *out);
int jc_math_exp(double x, double *out);
int jc_math_log(double x, double *out);
int jc_math_sin(double x, double *out);
int jc_math_cos(double x, double *out);
int jc_math_fabs(double x, double *out);
int jc_math_hypot(double x, double y, double *out);
int jc_math_copysign(double x, double y, double *out);
"""

SOURCES = ["csrc/execmem.c", "csrc/call.c", "csrc/numeric.c"]
HEADERS = ["csrc/jitcore.h", "csrc/jc_internal.h", "csrc/numeric.h"]


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
    builder.cdef(CDEF)
    builder.set_source(
        "jitcore._native",
        '#include "jitcore.h"\n#include "numeric.h"',
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
