"""Bytecode -> IR. `build_ir(func)` is the front end's whole interface."""

from .translate import build_ir

__all__ = ["build_ir"]
