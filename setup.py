# setuptools builds jitcore's two C modules here; everything else is in
# pyproject.toml.
#
# * jitcore._native (cffi, csrc/execmem.c, call.c, numeric.c): executable
#   memory and native calls, built through cffi's `cffi_modules` hook (see
#   build_ffi.py).
# * jitcore._fastcall (plain CPython C API, csrc/fastcall.c): the fast path of
#   a call to a jitted function (the base type of jitcore.Dispatcher). Without
#   it jitcore still works, with every call going through Python (slower).
#
# `pip install .` builds both. For development in the checkout, build both in
# place (once per Python version, and again after editing csrc/):
#
#     python setup.py build_ext --inplace      # or: pip install -e .
#
# `python build_ffi.py` rebuilds only jitcore._native, as
# jitcore/_native.cpython-3XX-*.so; the commands above name it _native.abi3.so.
# Python prefers the former, so after editing csrc/ rebuild the one you use
# (or delete jitcore/_native*.so first).
from setuptools import Extension, setup

FASTCALL = Extension(
    "jitcore._fastcall",
    sources=["csrc/fastcall.c"],
    depends=["csrc/jitcore.h", "csrc/pyversions.h", "csrc/undo.h"],
    include_dirs=["csrc"],
    extra_compile_args=["-std=c99", "-Wall", "-Wextra"],
    # If it cannot be built, install without it (jitcore then logs that calls
    # go through Python); tests/test_fastcall.py fails loudly in that case.
    optional=True,
)

setup(cffi_modules=["build_ffi.py:ffibuilder"], ext_modules=[FASTCALL])
