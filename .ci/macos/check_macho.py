"""Check a CPython extension module linked for macOS x86-64 (.ci/cross_macos.sh).

    python check_macho.py --python-exports LIBPYTHON --init PyInit__native MODULE.so

MODULE.so must be a Mach-O 64-bit x86-64 dynamic library (zig links no
MH_BUNDLE; Python's dlopen loads either) that defines the module's init
function, and every symbol it leaves undefined must be either

* bound to /usr/lib/libSystem.B.dylib: the linker found it in zig's stub of
  macOS's libSystem, so macOS has it; or
* looked up at load time (-undefined dynamic_lookup, as Python extensions on
  macOS are linked) and exported by CPython: the allow list is the dynamic
  symbol table of LIBPYTHON, this machine's libpython (or python executable)
  of the version whose headers were used. CPython exports the same C API on
  Linux and macOS.

Anything else (mremap, memfd_create, ... which macOS lacks, or a typo) is an
error: on macOS it would fail when the module is imported.

No tool beyond Python is needed: the Mach-O and ELF symbol tables are read
here (struct layouts from <mach-o/loader.h>, <mach-o/nlist.h> and <elf.h>).
"""

from __future__ import annotations

import argparse
import struct
import sys

MH_MAGIC_64 = 0xFEEDFACF
CPU_TYPE_X86_64 = 0x01000007
MH_DYLIB, MH_BUNDLE = 6, 8
LC_SYMTAB = 0x2
LC_REQ_DYLD = 0x80000000
# load commands that name a library, in the order that library ordinals count
LC_DYLIBS = {0xC, 0x18 | LC_REQ_DYLD, 0x1F | LC_REQ_DYLD, 0x20, 0x23 | LC_REQ_DYLD}
N_STAB, N_TYPE, N_EXT, N_UNDF, N_SECT = 0xE0, 0x0E, 0x01, 0x0, 0xE
# A symbol left to be looked up at load time (-undefined dynamic_lookup): ld64
# marks it DYNAMIC_LOOKUP_ORDINAL in n_desc; zig's linker leaves ordinal 0
# (SELF_LIBRARY_ORDINAL, meaningless for an undefined symbol) and binds it in
# the flat namespace (`llvm-objdump --macho --lazy-bind` shows "flat-namespace").
DYNAMIC_LOOKUP_ORDINALS = {0xFE, 0}
LIBSYSTEM = "/usr/lib/libSystem.B.dylib"


def macho_symbols(data: bytes) -> tuple[list[str], dict[str, str | None], set[str]]:
    """(libraries, undefined symbol -> library or None for dynamic lookup,
    defined external symbols) of a Mach-O 64-bit x86-64 dylib or bundle."""
    magic, cputype, _sub, filetype, ncmds, _size, _flags, _res = struct.unpack_from("<IiiIIIII", data)
    if magic != MH_MAGIC_64:
        raise SystemExit(f"not a 64-bit Mach-O file (magic 0x{magic:08x})")
    if cputype != CPU_TYPE_X86_64:
        raise SystemExit(f"not x86-64 (cputype 0x{cputype:x})")
    if filetype not in (MH_DYLIB, MH_BUNDLE):
        raise SystemExit(f"not a dynamic library or bundle (filetype {filetype})")
    libraries: list[str] = []
    symtab = None
    offset = 32
    for _ in range(ncmds):
        cmd, cmdsize = struct.unpack_from("<II", data, offset)
        if cmd in LC_DYLIBS:
            (name_at,) = struct.unpack_from("<I", data, offset + 8)
            libraries.append(data[offset + name_at:offset + cmdsize].split(b"\0", 1)[0].decode())
        elif cmd == LC_SYMTAB:
            symtab = struct.unpack_from("<IIII", data, offset + 8)
        offset += cmdsize
    if symtab is None:
        raise SystemExit("no symbol table (LC_SYMTAB)")
    symoff, nsyms, stroff, _strsize = symtab
    undefined: dict[str, str | None] = {}
    defined: set[str] = set()
    for i in range(nsyms):
        strx, ntype, _sect, desc, _value = struct.unpack_from("<IBBHQ", data, symoff + 16 * i)
        if ntype & N_STAB or not ntype & N_EXT:
            continue
        name = data[stroff + strx:data.index(b"\0", stroff + strx)].decode()
        if ntype & N_TYPE == N_SECT:
            defined.add(name)
        elif ntype & N_TYPE == N_UNDF:
            ordinal = desc >> 8
            if ordinal in DYNAMIC_LOOKUP_ORDINALS:
                undefined[name] = None
            elif 1 <= ordinal <= len(libraries):
                undefined[name] = libraries[ordinal - 1]
            else:
                undefined[name] = f"(library ordinal {ordinal})"
    return libraries, undefined, defined


def elf_exports(path: str) -> set[str]:
    """The names an ELF64 shared object or executable exports (.dynsym)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise SystemExit(f"{path}: not a 64-bit ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names: set[str] = set()
    for _name, sh_type, _fl, _addr, offset, size, link, _info, _align, entsize in sections:
        if sh_type != 11:  # SHT_DYNSYM
            continue
        stroff = sections[link][4]
        for at in range(offset, offset + size, entsize):
            st_name, st_info, _other, st_shndx, _value, _size = struct.unpack_from("<IBBHQQ", data, at)
            if st_shndx != 0 and st_info >> 4 in (1, 2):  # defined, GLOBAL or WEAK
                names.add(data[stroff + st_name:data.index(b"\0", stroff + st_name)].decode())
    if not names:
        raise SystemExit(f"{path}: exports nothing (no .dynsym)")
    return names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python-exports", required=True, metavar="LIBPYTHON")
    parser.add_argument("--init", required=True, help="the module's init function, e.g. PyInit__native")
    parser.add_argument("module")
    args = parser.parse_args()
    with open(args.module, "rb") as f:
        libraries, undefined, defined = macho_symbols(f.read())
    python = elf_exports(args.python_exports)
    errors = []
    if "_" + args.init not in defined:
        errors.append(f"{args.init} is not defined")
    for library in libraries:
        if library != LIBSYSTEM:
            errors.append(f"links {library}: only {LIBSYSTEM} is expected")
    from_python = 0
    for name, lib in sorted(undefined.items()):
        if lib == LIBSYSTEM:
            continue
        if lib is None and name.startswith("_") and name[1:] in python:
            from_python += 1
            continue
        where = "looked up at load time" if lib is None else f"from {lib}"
        errors.append(f"{name[1:]} ({where}) is neither in macOS's libSystem nor exported by CPython")
    if errors:
        print(f"{args.module}:", *errors, sep="\n  ", file=sys.stderr)
        return 1
    print(f"{args.module}: Mach-O x86-64 dylib, {len(defined)} symbols defined, "
          f"{len(undefined) - from_python} from libSystem, {from_python} from CPython")
    return 0


if __name__ == "__main__":
    sys.exit(main())
