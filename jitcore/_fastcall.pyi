"""Types of jitcore._fastcall, the C fast path of calls (csrc/fastcall.c)."""

from typing import Any

STATUS_INT: int
STATUS_DEOPT: int
STATUS_NONE: int
STATUS_BOOL: int
STATUS_FLOAT: int
STATUS_INTERRUPT: int
STATUS_DEPTH: int
STATUS_TUPLE: int
MAX_RESULT_SLOTS: int
MAX_NATIVE_DEPTH: int
MAX_NATIVE_BUDGET: int
MAX_ARGS: int
MAX_ENTRIES: int
DEEPEST_FRAME_C_LEVELS: int

class DispatcherBase:
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...
    def _add_entry(self, types: tuple[Any, ...], handle: int,
                   tuple_shapes: Any, owner: object, frame_bytes: int = 256,
                   buffers: tuple[tuple[type, str] | None, ...] | None = None) -> bool: ...
    def _remove_entry(self, types: tuple[type, ...]) -> bool: ...
    def _fast_signatures(self) -> list[tuple[type, ...]]: ...
    def _set_nogil(self, flag: bool) -> None: ...

def _set_call_packed(address_gil: int, address: int, address_stack_ready: int) -> None: ...
def _gil_drop_check() -> int | None: ...
def _enable_vectorcall(cls: type) -> bool: ...
def _depth_fallback(delta: int) -> int: ...
def _depth_budget(frames_between: int, frame_bytes: int = 1) -> int: ...

RUN_PY_FUNC: object
RUN_PY_FUNC_IN_DEPTH_FALLBACK: object
def _native_calls() -> int: ...
