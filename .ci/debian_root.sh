#!/usr/bin/env bash
# A Debian unstable root holding CPython 3.14 and 3.15, for the test matrix.
#
#   bash .ci/debian_root.sh ensure        # build it once (cached), mount what tests need
#   bash .ci/debian_root.sh path          # print where it is
#   bash .ci/debian_root.sh run CMD...    # run CMD inside it, as root, from /src (this checkout)
#
# Why a chroot: pyenv on these machines has CPython 3.10-3.13 only and nothing
# downloads interpreters from elsewhere, but Debian unstable packages python3.14
# and python3.15 (with -dev and -venv), and pypy3, which tests/test_portability.py
# uses as a real interpreter jitcore does not compile for. debootstrap builds a
# minimal root from the machine's Debian mirror in under a minute; pip inside it
# installs from the package index like pip on the host. Users get these versions the usual
# way (pyenv, their distribution, python.org); this script is for our tests.
#
# The root is cached at $JITCORE_DEBIAN_ROOT (default /var/cache/jitcore/debian-sid)
# and reused while its stamp matches PACKAGES below. /proc, /dev and /dev/shm are
# bind-mounted into it: without them the no-rwx, fork and shm_open tests would fail
# or test nothing. The checkout is bind-mounted read-write at /src.
set -euo pipefail

ROOT=${JITCORE_DEBIAN_ROOT:-/var/cache/jitcore/debian-sid}
SRC=$(cd "$(dirname "$0")/.." && pwd)
PACKAGES=python3.14,python3.14-dev,python3.14-venv,python3.15,python3.15-dev,python3.15-venv,gcc,libc6-dev,libffi-dev,pkg-config,pypy3
STAMP="$ROOT/.jitcore-root"

say() { echo "debian_root: $*" >&2; }

mirror() {
    # The Debian URI the host's apt uses (deb822 or one-line format).
    local uri
    uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null \
          | grep -v security | head -n1 || true)
    if [ -z "$uri" ]; then
        uri=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\(http[^[:space:]]*\).*/\2/p' \
              /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
              | grep -v security | head -n1 || true)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

unmount_all() {
    # Deepest first; never leave a bind mount of /dev under a folder we delete.
    local m
    for m in src dev/shm dev proc; do
        if mountpoint -q "$ROOT/$m" 2>/dev/null; then umount -l "$ROOT/$m"; fi
    done
}

build() {
    if [ "$(id -u)" != 0 ]; then
        say "building the root needs root (debootstrap, chroot, mount)"; exit 1
    fi
    if ! command -v debootstrap >/dev/null; then
        say "installing debootstrap"
        apt-get install -y debootstrap >/dev/null || { apt-get update >/dev/null && apt-get install -y debootstrap >/dev/null; }
    fi
    unmount_all
    rm -rf --one-file-system "$ROOT"
    mkdir -p "$(dirname "$ROOT")"
    local tmp="$ROOT.partial"  # nothing is ever mounted inside it
    rm -rf --one-file-system "$tmp"
    say "debootstrap sid from $(mirror) into $ROOT (under a minute)"
    debootstrap --variant=minbase --include="$PACKAGES" sid "$tmp" "$(mirror)" >"$tmp.log" 2>&1 \
        || { tail -n 30 "$tmp.log" >&2; exit 1; }
    mv "$tmp" "$ROOT"
    echo "$PACKAGES" >"$STAMP"
}

configure() {
    # Name resolution and the CA bundle, so pip inside reaches the package index.
    cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
    local ca=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
    if [ -f "$ca" ]; then
        mkdir -p "$ROOT/etc/ssl/certs"
        cp -L "$ca" "$ROOT/etc/ssl/certs/ca-certificates.crt"
    fi
    mkdir -p "$ROOT/proc" "$ROOT/dev" "$ROOT/src"
    mountpoint -q "$ROOT/proc" || mount --bind /proc "$ROOT/proc"
    mountpoint -q "$ROOT/dev" || mount --bind /dev "$ROOT/dev"
    mkdir -p "$ROOT/dev/shm"
    mountpoint -q "$ROOT/dev/shm" || mount --bind /dev/shm "$ROOT/dev/shm"
    # /src is this checkout; another checkout's mount is replaced (the same
    # one is left alone, so that runs from one checkout may overlap).
    if [ "$(stat -c %d:%i "$ROOT/src")" != "$(stat -c %d:%i "$SRC")" ]; then
        if mountpoint -q "$ROOT/src"; then umount -l "$ROOT/src"; fi
        mount --bind "$SRC" "$ROOT/src"
    fi
}

ensure() {
    if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$PACKAGES" ]; then
        build
    fi
    configure
    local v
    for v in 3.14 3.15; do
        chroot "$ROOT" "python$v" -c 'import sys; print("debian_root:", sys.version.split()[0])' >&2
    done
}

case "${1:-}" in
    ensure) ensure ;;
    path) echo "$ROOT" ;;
    run) shift; ensure
         # A clean environment: the host's pip settings (find-links, constraints)
         # name paths that do not exist inside; an index URL or timeout carries over.
         cd "$ROOT" && exec chroot "$ROOT" /usr/bin/env -i -C /src HOME=/root LANG=C.UTF-8 \
             PATH=/usr/local/bin:/usr/bin:/bin SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
             PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT="${PIP_DEFAULT_TIMEOUT:-60}" \
             ${PIP_INDEX_URL:+PIP_INDEX_URL="$PIP_INDEX_URL"} "$@" ;;
    unmount) unmount_all ;;
    *) echo "usage: $0 ensure | path | run CMD... | unmount" >&2; exit 2 ;;
esac
