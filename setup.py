# setuptools needs this file only for cffi's `cffi_modules` hook, which builds
# the C module jitcore._native from csrc/ (see build_ffi.py). Everything else
# is in pyproject.toml.
from setuptools import setup

setup(cffi_modules=["build_ffi.py:ffibuilder"])
