"""Test matrix: the suite runs on every supported CPython.

    python -m pip install nox && python -m nox

Each session installs jitcore from this checkout (building the C module) into
a fresh virtual environment together with the test extra, then runs pytest.
A supported Python that cannot be found is an error, not a skip.

CPython 3.10-3.13 come from the machine (PATH or pyenv). 3.14 and 3.15, when
the machine has no python3.14 / python3.15, run inside a Debian unstable root
that .ci/debian_root.sh builds once (about a minute) and caches: session
`tests_debian`. That needs root (debootstrap, chroot); a machine that has the
interpreters itself runs them in `tests` like the others.
"""

import glob
import os
import shutil

import nox

PYTHONS = ["3.10", "3.11", "3.12", "3.13", "3.14", "3.15"]
# Versions that may come from the Debian root when the machine lacks them.
DEBIAN_PYTHONS = ["3.14", "3.15"]

# The default sessions, run by `python -m nox` (and so by .ci/run): the test
# suite on every supported Python, lint and types, the wheel check, and the
# macOS x86-64 build (compiled and linked here, not run).
nox.options.sessions = ["tests", "tests_debian", "lint", "wheel", "macos_build"]
nox.options.error_on_missing_interpreters = True
nox.options.reuse_existing_virtualenvs = False


def _put_pyenv_pythons_on_path() -> None:
    """Let nox find pyenv-installed interpreters as python3.X.

    pyenv's shims only answer for the versions selected in the shell; the
    interpreters themselves live in $PYENV_ROOT/versions/3.X.Y/bin.
    """
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    bins = []
    for minor in PYTHONS:
        found = sorted(
            glob.glob(os.path.join(root, "versions", minor + ".*", "bin", "python" + minor)),
            key=lambda p: [int(x) for x in p.split(os.sep)[-3].split(".") if x.isdigit()],
        )
        if found:
            bins.append(os.path.dirname(found[-1]))
    if bins:
        os.environ["PATH"] = os.pathsep.join(bins + [os.environ.get("PATH", "")])


_put_pyenv_pythons_on_path()
IN_DEBIAN_ROOT = [v for v in DEBIAN_PYTHONS if shutil.which("python" + v) is None]
ON_HOST = [v for v in PYTHONS if v not in IN_DEBIAN_ROOT]
PYTEST = ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"]


# Where each tests session leaves the release wheel it tested (gitignored): after
# `python -m nox`, the wheels for CPython 3.10-3.15.
WHEELHOUSE = "wheelhouse"


def _install_wheel_script(python: str, workdir: str, wheelhouse: str) -> str:
    """Shell commands that build the release wheel for `python` (a venv's
    interpreter) with .ci/build_wheel.sh, gather it and everything its test
    extra needs as wheels (the one step that uses the package index), and
    install them into that venv with no index, as a user's offline install."""
    return (f"set -e; rm -rf {workdir}; "
            f"bash .ci/build_wheel.sh {python} {workdir}/release; "
            f"wheel=$(ls {workdir}/release/jitcore-*.whl); "
            f"mkdir -p {wheelhouse}; cp \"$wheel\" {wheelhouse}/; "
            f"{python} -m pip wheel -q -w {workdir}/deps \"$wheel[test]\"; "
            f"{python} -m pip install -q --no-index --find-links {workdir}/deps \"$wheel[test]\"; "
            f"rm -rf {workdir}")


@nox.session(python=ON_HOST)
def tests(session: nox.Session) -> None:
    """The suite against the release wheel for this Python (.ci/build_wheel.sh:
    built with zig for glibc 2.17, stripped, tagged manylinux_2_17 by
    auditwheel), installed offline into the session's fresh venv."""
    python = os.path.join(session.virtualenv.location, "bin", "python")
    workdir = os.path.join(session.create_tmp(), "wheel")
    session.run("bash", "-c", _install_wheel_script(python, workdir, os.path.abspath(WHEELHOUSE)),
                external=True)
    # Run from tests/ so that `import jitcore` finds the installed package
    # (with its compiled C module), never the source folder.
    session.chdir("tests")
    session.run(*PYTEST, *session.posargs)


@nox.session(python=False)
@nox.parametrize("version", IN_DEBIAN_ROOT)
def tests_debian(session: nox.Session, version: str) -> None:
    """The suite on a CPython this machine lacks, inside the Debian root
    (.ci/debian_root.sh), where the checkout is /src: a fresh venv, the
    release wheel built and installed as in `tests`, pytest from tests/."""
    venv = f"/root/nox-venvs/{version}"
    install = _install_wheel_script(f"{venv}/bin/python", f"/root/nox-wheel-{version}",
                                    "/src/" + WHEELHOUSE)
    script = (f"set -e; python{version} -m venv --clear {venv}; {install}; "
              f"cd /src/tests; {venv}/bin/{' '.join(PYTEST)} \"$@\"")
    session.run("bash", ".ci/debian_root.sh", "run", "bash", "-c", script, "tests",
                *session.posargs, external=True)


@nox.session(python=ON_HOST[-1])
def lint(session: nox.Session) -> None:
    """ruff (rules in pyproject.toml) and mypy --strict on the package."""
    # Pinned: a new release may add rules or checks, which should be a change of its own.
    session.install("ruff==0.17.6", "mypy==2.4.1", "cffi")
    session.run("ruff", "check", "jitcore", "benchmarks", "tests", "noxfile.py", "build_ffi.py",
                "setup.py")
    session.run("mypy")  # files and strictness from pyproject.toml
    session.run("mypy", "--strict", "tests/typing/user_script.py")  # what users' type checkers see


@nox.session(python=ON_HOST[-1])
def wheel(session: nox.Session) -> None:
    """Build the sdist and the wheel, audit the wheel and use it from a fresh
    environment with no index (.ci/check_wheel.sh; Linux)."""
    session.run("bash", ".ci/check_wheel.sh", external=True, env={"PYTHON": "python"})


@nox.session(python=ON_HOST[-1])
def macos_build(session: nox.Session) -> None:
    """Compile and link both C modules for macOS x86-64 with zig's C compiler,
    against the headers of every CPython 3.10+ on this machine, and check the
    Mach-O files: only macOS's libSystem and CPython's own symbols may be left
    undefined (.ci/cross_macos.sh). Nothing runs on macOS here."""
    # ziglang (about 45 MB) goes into this session's throwaway venv only. Pinned:
    # a new zig may compile or link differently, which should be a change of its own.
    session.install("ziglang==0.17.1", "cffi")
    session.run("bash", ".ci/cross_macos.sh", external=True, env={"PYTHON": "python"})
