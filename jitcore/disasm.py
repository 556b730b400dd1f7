"""Disassembly of native code with capstone (the optional `disasm` extra)."""

from __future__ import annotations

from typing import Any


def disassemble_bytes(code: bytes, address: int = 0) -> str:
    """Intel-syntax listing: address, bytes, instruction; one line each."""
    try:
        import capstone
    except ImportError:
        raise ImportError("disassembly needs capstone: pip install 'jitcore[disasm]'") from None
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    lines = []
    end = address
    for insn in md.disasm(code, address):
        raw = " ".join(f"{b:02x}" for b in insn.bytes)
        lines.append(f"0x{insn.address:x}  {raw:<24} {insn.mnemonic} {insn.op_str}".rstrip())
        end = insn.address + insn.size
    if end != address + len(code):
        lines.append(f"0x{end:x}  ({address + len(code) - end} bytes capstone could not decode)")
    return "\n".join(lines)


def disassemble(func: Any) -> str:
    """The native code of a @jit function, as it is in executable memory.

    Compiles the function if it has not been called yet; raises CompileError
    if it cannot be compiled (it then runs in CPython).
    """
    from .dispatcher import Dispatcher

    if not isinstance(func, Dispatcher):
        raise TypeError(f"disassemble() takes a function decorated with @jit, not {func!r}")
    block = func.compile().block
    return disassemble_bytes(block.read(), block.address)
