"""Test matrix: the suite runs on every supported CPython.

    python -m pip install nox && python -m nox

Each session installs jitcore from this checkout (building the C module) into
a fresh virtual environment together with the test extra, then runs pytest.
A supported Python that cannot be found is an error, not a skip.
"""

import glob
import os

import nox

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]

# The default sessions, run by `python -m nox` (and so by .ci/run): the test
# suite on every supported Python, lint and types, and the wheel check.
nox.options.sessions = ["tests", "lint", "wheel"]
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


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    session.install(".[test]")
    # Run from tests/ so that `import jitcore` finds the installed package
    # (with its compiled C module), never the source folder.
    session.chdir("tests")
    session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *session.posargs)


@nox.session(python=PYTHONS[-1])
def lint(session: nox.Session) -> None:
    """ruff (rules in pyproject.toml) and mypy --strict on the package."""
    # Pinned: a new release may add rules or checks, which should be a change of its own.
    session.install("ruff==0.17.6", "mypy==2.4.1", "cffi")
    session.run("ruff", "check", "jitcore", "benchmarks", "tests", "noxfile.py", "build_ffi.py",
                "setup.py")
    session.run("mypy")  # files and strictness from pyproject.toml


@nox.session(python=PYTHONS[-1])
def wheel(session: nox.Session) -> None:
    """Build the sdist and the wheel, audit the wheel and use it from a fresh
    environment with no index (.ci/check_wheel.sh; Linux)."""
    session.run("bash", ".ci/check_wheel.sh", external=True, env={"PYTHON": "python"})
