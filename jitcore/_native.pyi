"""Types of jitcore._native, the cffi module built from csrc/ (see build_ffi.py).

cffi's objects are dynamic: `lib` has the functions and constants declared in
csrc/jitcore.h and csrc/numeric.h, `ffi` is the cffi FFI instance."""

from typing import Any

ffi: Any
lib: Any
