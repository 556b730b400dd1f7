"""Record: the base of jitcore's small immutable values (IR constants, memory
operands, signature kinds, ...), equal and hashed by their fields, as frozen
dataclasses are, without importing dataclasses (which costs the first call
milliseconds). A subclass lists its fields in `__slots__`, sets them in
`__init__`, never changes them, and returns them from `_fields()`."""

from __future__ import annotations


class Record:
    __slots__ = ()

    def _fields(self) -> tuple[object, ...]:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return self._fields() == other._fields()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._fields())
