"""Bytecode -> IR. `build_ir(func)` is the front end's whole interface."""

from .translate import build_ir, check_code_shape

__all__ = ["build_ir", "check_code_shape"]
