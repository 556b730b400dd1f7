#!/usr/bin/env bash
# Build jitcore's two C modules for macOS x86-64 on this Linux machine, with
# zig's C compiler (pip install ziglang: zig ships macOS's libc headers and a
# stub of libSystem), and check what came out.  Nothing here runs on macOS;
# this catches what would not compile or link there: a Linux-only function
# or header, a missing #if for macOS, a platform section that does not build.
#
#   PYTHON=python bash .ci/cross_macos.sh       # `python -m nox -s macos_build`
#
# PYTHON must have cffi and ziglang installed.  For it and every other CPython
# 3.10+ found as python3.X on PATH, CPython's headers from this machine plus a
# macOS pyconfig.h (.ci/macos/pyconfig.h, checked by check_pyconfig.c) compile
#   - jitcore._native: every file of build_ffi.SOURCES and the C source cffi
#     generates for it (build_ffi.make_builder), as build_ffi compiles them;
#   - jitcore._fastcall: csrc/fastcall.c, as setup.py compiles it;
# each linked the way macOS Python extensions are (-undefined dynamic_lookup:
# CPython's symbols are found when Python loads the module).  Then
# .ci/macos/check_macho.py checks each is a Mach-O x86-64 dylib defining its
# PyInit function whose undefined symbols are all in macOS's libSystem (zig's
# stub) or exported by that CPython.  Before that, a file calling mremap is
# built the same way and must be refused, so the check is known to bite.
# Output: build/cross-macos (OUT=... to change).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python}
OUT=${OUT:-build/cross-macos}
TARGET=x86_64-macos
HERE=.ci/macos

ZIG=$("$PYTHON" -c 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))' 2>/dev/null) || {
    echo "cross_macos.sh: $PYTHON has no ziglang: $PYTHON -m pip install ziglang" >&2
    exit 1
}
rm -rf "$OUT"
mkdir -p "$OUT"
# zig caches what it builds for the target (its libc stubs, compiler_rt): keep it out of ~/.cache.
export ZIG_GLOBAL_CACHE_DIR=${ZIG_GLOBAL_CACHE_DIR:-$PWD/build/zig-cache}
export ZIG_LOCAL_CACHE_DIR=$ZIG_GLOBAL_CACHE_DIR
echo "zig $("$ZIG" version), target $TARGET, output $OUT"

# The lists and flags the real builds use, so that this build is theirs.
NATIVE_SOURCES=$("$PYTHON" -c 'import build_ffi; print(" ".join(build_ffi.SOURCES))')
NATIVE_FLAGS=$("$PYTHON" -c 'import build_ffi; print(" ".join(build_ffi._extra_compile_args()))')
FASTCALL_SOURCES="csrc/fastcall.c"
FASTCALL_FLAGS="-std=c99 -Wall -Wextra"   # setup.py's FASTCALL extension
for f in csrc/*.c; do   # a new C file must be in one of the two modules
    case " $NATIVE_SOURCES $FASTCALL_SOURCES " in
        *" $f "*) ;;
        *) echo "cross_macos.sh: $f is in neither module" >&2; exit 1 ;;
    esac
done
"$PYTHON" -c "import build_ffi; build_ffi.make_builder().emit_c_code('$OUT/_native.c')"

# -Werror: a warning for macOS (an implicit declaration, a format) is a bug here.
cc() { "$ZIG" cc -target "$TARGET" -fPIC -Werror "$@"; }
link() { "$ZIG" cc -target "$TARGET" -shared -undefined dynamic_lookup "$@"; }

cc -std=c11 -I"$HERE" -c "$HERE/check_pyconfig.c" -o "$OUT/check_pyconfig.o"

# Python's exports, the allow list: its libpython if it has one, else its executable.
python_exports() {
    "$1" -c 'import os, sys, sysconfig as s
lib = s.get_config_var("INSTSONAME") or ""
path = os.path.join(s.get_config_var("LIBDIR") or "", lib)
print(path if s.get_config_var("Py_ENABLE_SHARED") and os.path.exists(path) else os.path.realpath(sys.executable))'
}

check() { "$PYTHON" "$HERE/check_macho.py" "$@"; }

# The check must refuse a module that calls a function macOS lacks.
printf '%s\n' '#include <stddef.h>' \
    'void *mremap(void *, size_t, size_t, int, ...); /* Linux only */' \
    'void *PyLong_FromVoidPtr(void *);' \
    'void *PyInit__probe(void) { return PyLong_FromVoidPtr(mremap(NULL, 0, 0, 0)); }' > "$OUT/probe.c"
cc -O2 -c "$OUT/probe.c" -o "$OUT/probe.o"
link "$OUT/probe.o" -o "$OUT/probe.so"
if check --python-exports "$(python_exports "$PYTHON")" --init PyInit__probe "$OUT/probe.so" 2>"$OUT/probe.err"; then
    echo "cross_macos.sh: the check let a call of mremap through" >&2
    exit 1
fi
grep -q "mremap (looked up at load time)" "$OUT/probe.err" || { cat "$OUT/probe.err" >&2; exit 1; }
echo "probe: a module calling mremap is refused, as it must be"

build_for() {   # $1: a CPython; builds and checks both modules against its headers
    local py=$1 tag inc dir objs f o
    tag=$("$py" -c 'import sys; print("%d%d" % sys.version_info[:2])')
    inc=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
    dir=$OUT/cp$tag
    mkdir -p "$dir/include" "$dir/jitcore"
    cp -R "$inc/." "$dir/include/"
    cp "$HERE/pyconfig.h" "$dir/include/pyconfig.h"   # macOS's, instead of this machine's

    objs=()
    for f in $NATIVE_SOURCES "$OUT/_native.c"; do
        o=$dir/$(basename "${f%.c}").o
        # shellcheck disable=SC2086  # the flags are words
        cc $NATIVE_FLAGS -Icsrc -I"$dir/include" -c "$f" -o "$o"
        objs+=("$o")
    done
    link "${objs[@]}" -o "$dir/jitcore/_native.abi3.so"

    # shellcheck disable=SC2086
    cc -O2 $FASTCALL_FLAGS -Icsrc -I"$dir/include" -c $FASTCALL_SOURCES -o "$dir/fastcall.o"
    link "$dir/fastcall.o" -o "$dir/jitcore/_fastcall.cpython-$tag-darwin.so"

    local exports
    exports=$(python_exports "$py")
    check --python-exports "$exports" --init PyInit__native "$dir/jitcore/_native.abi3.so"
    check --python-exports "$exports" --init PyInit__fastcall "$dir/jitcore/_fastcall.cpython-$tag-darwin.so"
}

built=0
for minor in 10 11 12 13 14 15; do
    py=$(command -v "python3.$minor" || true)
    # (a pyenv shim is on PATH for versions it does not select: it fails to run)
    [ -n "$py" ] && "$py" -c '' 2>/dev/null || continue
    build_for "$py"
    built=$((built + 1))
done
if [ "$built" = 0 ]; then   # no python3.X on PATH: the one running this
    build_for "$PYTHON"
fi
echo "cross_macos.sh: jitcore's C modules build and link for $TARGET"
