#!/usr/bin/env bash
# Checks what a user installs, on Linux x86-64:
#
#   1. builds the sdist (python -m build --sdist) and checks it holds what a
#      build needs (csrc/, build_ffi.py, setup.py, ...) and the test suite;
#   2. builds the release wheel (.ci/build_wheel.sh: zig for glibc 2.17,
#      stripped, no RUNPATH, tagged manylinux_2_17 by auditwheel) from the
#      checkout and again from the sdist, and a plain wheel from the sdist with
#      this machine's compiler (what `pip install jitcore-*.tar.gz` does where no
#      wheel fits), and checks all three hold the same files: both compiled C
#      modules (jitcore/_native*.so, jitcore/_fastcall*.so), the package's
#      Python files and type information, and nothing else (no C source);
#   3. installs only the release wheel, plus cffi's wheels fetched beforehand, into a
#      fresh virtual environment with no package index, and there, outside the
#      checkout, runs `python -m jitcore demo`, `python -m jitcore bench`
#      (quick: import time and short scripts) and a jitted loop that must
#      compile to native code;
#   4. prints the sizes.
#
# Everything is built in a temporary folder (deleted at the end; KEEP=1 keeps
# it): the checkout gets no build/, dist/ or *.egg-info. Uses $PYTHON, else
# `python`, for the builds and the fresh environment. Needs the package index
# for the build dependencies (setuptools, cffi), cffi's wheels and the tools
# (build; build_wheel.sh keeps its own), which go into a throwaway environment.
#
#     bash .ci/check_wheel.sh          # or: python -m nox -s wheel
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-python}"
START=$SECONDS
WORK="$(mktemp -d "${TMPDIR:-/tmp}/jitcore-wheel.XXXXXX")"
if [ "${KEEP:-0}" = 1 ]; then
    echo "keeping $WORK"
else
    trap 'rm -rf "$WORK"' EXIT
fi

step() { printf '\n== [%3ds] %s\n' $((SECONDS - START)) "$*"; }
fail() { echo "check_wheel: $*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] || fail "auditwheel checks Linux wheels: run this on Linux"

step "copy of the checkout (what git tracks, plus new files it does not ignore)"
SRC="$WORK/src"
mkdir -p "$SRC"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf -) | tar -xf - -C "$SRC"
else
    tar -C "$ROOT" --exclude=./.git --exclude=./build --exclude=./dist --exclude=./.nox \
        --exclude='*.egg-info' --exclude='*.so' --exclude=__pycache__ -cf - . | tar -xf - -C "$SRC"
fi

step "tools in a throwaway environment: build"
"$PY" -m venv "$WORK/tools"
"$WORK/tools/bin/python" -m pip install -q build
"$PY" -c 'import sys; print(sys.version)'

step "sdist"
"$WORK/tools/bin/python" -m build --sdist --outdir "$WORK/sdist" "$SRC" >"$WORK/sdist.log" 2>&1 ||
    { cat "$WORK/sdist.log"; fail "sdist build failed"; }
SDIST="$(ls "$WORK"/sdist/jitcore-*.tar.gz)"

step "release wheel from the checkout and from the sdist; plain wheel from the sdist"
bash "$ROOT/.ci/build_wheel.sh" "$PY" "$WORK/wheel" "$SRC"
bash "$ROOT/.ci/build_wheel.sh" "$PY" "$WORK/wheel-from-sdist" "$SDIST"
"$PY" -m pip wheel -q --no-deps -w "$WORK/plain-from-sdist" "$SDIST"
WHEEL="$(ls "$WORK"/wheel/jitcore-*.whl)"
WHEEL2="$(ls "$WORK"/wheel-from-sdist/jitcore-*.whl)"
WHEEL3="$(ls "$WORK"/plain-from-sdist/jitcore-*.whl)"

step "contents"
"$PY" - "$SRC" "$SDIST" "$WHEEL" "$WHEEL2" "$WHEEL3" <<'EOF'
import os, sys, tarfile, zipfile

src, sdist, wheel, wheel2, wheel3 = sys.argv[1:]
problems = []

with tarfile.open(sdist) as tar:
    top = os.path.basename(sdist)[: -len(".tar.gz")] + "/"
    in_sdist = {m.name[len(top):] for m in tar.getmembers() if m.isfile()}
needed = {"setup.py", "build_ffi.py", "pyproject.toml", "MANIFEST.in", "README.md", "PKG-INFO",
          "tests/conftest.py", "noxfile.py", ".ci/debian_root.sh", ".ci/build_wheel.sh", ".ci/zig-cc",
          ".ci/cross_macos.sh"}
needed |= {"csrc/" + f for f in os.listdir(os.path.join(src, "csrc")) if f.endswith((".c", ".h"))}
needed |= {os.path.relpath(os.path.join(d, f), src)
           for d, _, files in os.walk(os.path.join(src, "jitcore")) for f in files if f.endswith(".py")}
needed |= {"tests/" + f for f in os.listdir(os.path.join(src, "tests")) if f.endswith(".py")}
if os.path.exists(os.path.join(src, "LICENSE")):
    needed.add("LICENSE")
problems += [f"sdist lacks {name}" for name in sorted(needed - in_sdist)]
problems += [f"sdist holds a build product: {name}" for name in sorted(in_sdist)
             if name.endswith((".so", ".o", ".pyc")) or name == "jitcore/_native.c"]

def names(path):
    with zipfile.ZipFile(path) as z:
        return sorted(n for n in z.namelist() if not n.endswith("/"))

a, b, c = names(wheel), names(wheel2), names(wheel3)
if a != b:
    problems.append(f"the wheels differ: only from the checkout {sorted(set(a) - set(b))}, "
                    f"only from the sdist {sorted(set(b) - set(a))}")
if a != c:
    problems.append(f"the release and plain wheels differ: only in the release wheel "
                    f"{sorted(set(a) - set(c))}, only in the plain one {sorted(set(c) - set(a))}")
# only what runs (and its type information): the package and its metadata
problems += [f"the wheel holds {n}, which does not run" for n in a
             if not (n.startswith("jitcore-") and ".dist-info/" in n)
             and not (n.startswith("jitcore/") and n.endswith((".py", ".pyi", ".so", "py.typed")))]
for pattern in ("jitcore/_native", "jitcore/_fastcall"):
    if not any(n.startswith(pattern) and n.endswith(".so") for n in a):
        problems.append(f"the wheel has no {pattern}*.so")
problems += [f"the wheel holds source to compile: {n}" for n in a if n.endswith((".c", ".h"))]
with zipfile.ZipFile(wheel) as z:
    tags = z.read(next(n for n in a if n.endswith(".dist-info/WHEEL"))).decode()
if "Root-Is-Purelib: false" not in tags or "-none-any" in wheel:
    problems.append(f"not a platform wheel:\n{tags}")

print(f"sdist: {len(in_sdist)} files; wheel: {len(a)} files, the same from the sdist:")
print("\n".join("  " + n for n in a))
if problems:
    sys.exit("check_wheel: " + "\n".join(problems))
EOF



step "fresh environment: the wheel and cffi, from files only"
"$PY" -m pip download -q --only-binary=:all: -d "$WORK/deps" cffi
"$PY" -m venv "$WORK/venv"
VPY="$WORK/venv/bin/python"
# no index, and none of this machine's pip settings (extra indexes, find-links)
env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT \
    PIP_CONFIG_FILE=/dev/null \
    "$VPY" -m pip install -q --no-index --only-binary=:all: --find-links "$WORK/deps" "$WHEEL"
"$VPY" -m pip list 2>/dev/null | sed 's/^/  /'

step "python -m jitcore demo, outside the checkout"
mkdir -p "$WORK/elsewhere"
cd "$WORK/elsewhere"
# -I: neither PYTHONPATH nor the current folder can bring in the checkout
"$VPY" -I -m jitcore demo | tee "$WORK/demo.txt"
grep -q 'foo(2\*\*32, 1) => 18446744073709551615' "$WORK/demo.txt" || fail "demo: wrong result"
grep -q 'Installed native code' "$WORK/demo.txt" || fail "demo: foo was not compiled"

step "python -m jitcore bench (the benchmarks ship with the wheel), outside the checkout"
"$VPY" -I -m jitcore bench --quick --only import,e2e --no-numba --no-pypy | tee "$WORK/bench.txt"
grep -q 'none: every kernel compiled natively' "$WORK/bench.txt" || fail "bench: problems"

step "a jitted loop, outside the checkout"
"$VPY" -I - "$WORK/venv" <<'EOF'
import os, sys, warnings
warnings.simplefilter("error")  # a JitWarning would mean: runs in CPython
import jitcore
import jitcore._fastcall, jitcore._native
from jitcore import jit

venv = os.path.realpath(sys.argv[1])
for module in (jitcore, jitcore._native, jitcore._fastcall):
    assert os.path.realpath(module.__file__).startswith(venv), module.__file__

@jit(strict=True)
def total(n):
    s = 0
    i = 0
    while i < n:
        s += i
        i += 1
    return s

assert total(10**6) == total.py_func(10**6) == 499999500000
assert total.signatures == [(int,)], total.signatures
from jitcore.dispatcher import _fastcall
assert _fastcall is not None, "calls would go through Python"
from jitcore.runtime import strategy
print(f"total(10**6) = {total(10**6)} in native code; executable memory: {strategy()}; "
      f"jitcore from {os.path.dirname(jitcore.__file__)}")
EOF
cd "$ROOT"

step "sizes"
size() { printf '%8d bytes  %s\n' "$(wc -c <"$1")" "$(basename "$1")"; }
size "$WHEEL"
size "$WHEEL2"
size "$WHEEL3"
size "$SDIST"
"$PY" - "$WHEEL" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        if info.filename.endswith(".so"):
            print(f"{info.file_size:8d} bytes  {info.filename} (in the release wheel)")
EOF
printf '\ncheck_wheel: all checks passed in %ds\n' $((SECONDS - START))
