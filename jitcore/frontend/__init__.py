"""Bytecode -> IR. `build_ir(func)` is the front end's whole interface.

translate.py holds it (and check_code_shape), versions.py the tables of each
CPython's bytecode. Importing the package loads neither: runtime.py reads
versions.HEXVERSION, and a call whose code comes from the code cache
(jitcore/cache.py) needs nothing more of the front end, so translate.py loads
with the first compile.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .translate import build_ir, check_code_shape

__all__ = ["build_ir", "check_code_shape"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from . import translate

        return getattr(translate, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
