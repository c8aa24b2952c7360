# Shared by scripts/quickstart and scripts/test: install what ninsho needs on
# a fresh Debian/Ubuntu machine that has only the Rust toolchain.

set -euo pipefail

# The directory holding initdb and pg_ctl, or nothing.
pg_bin_dir() {
    local initdb
    if initdb=$(command -v initdb 2>/dev/null); then
        dirname "$(readlink -f "$initdb")"
        # An explicit status: inside an EXIT trap a bare `return` gives the
        # status of the command that exited the script.
        return 0
    fi
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

apt_updated=no
apt_install() {
    if [ "$(id -u)" != 0 ]; then
        echo "ninsho needs these packages: $*; install them as root (apt-get install $*)" >&2
        exit 1
    fi
    if ! command -v apt-get >/dev/null; then
        echo "ninsho needs these packages: $* (no apt-get here: install them with your package manager)" >&2
        exit 1
    fi
    if [ "$apt_updated" = no ]; then
        apt-get update -qq
        apt_updated=yes
    fi
    echo "installing $*" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# A C toolchain (Rust links with cc, and a few dependencies compile C), and
# OpenSSL's headers with pkg-config: S/MIME signing links the system OpenSSL.
ensure_cc() {
    local missing=()
    command -v cc >/dev/null || missing+=(gcc libc6-dev)
    command -v pkg-config >/dev/null || missing+=(pkg-config)
    if ! pkg-config --exists openssl 2>/dev/null; then
        missing+=(libssl-dev)
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
}

# PostgreSQL server programs (initdb, pg_ctl, postgres).
ensure_postgres() {
    if [ -z "$(pg_bin_dir)" ]; then
        apt_install postgresql
    fi
}

# Everything the test suite drives: Chromium and its WebDriver, pgrep,
# unshare, runuser.
ensure_test_tools() {
    ensure_cc
    ensure_postgres
    local missing=()
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
    command -v pgrep >/dev/null || missing+=(procps)
    command -v unshare >/dev/null || missing+=(util-linux)
    # A Japanese font, so the pages' screenshots show Japanese, not boxes.
    [ -d /usr/share/fonts/opentype/ipafont-gothic ] || missing+=(fonts-ipafont-gothic)
    # The S/MIME test checks signatures with `openssl cms -verify`.
    command -v openssl >/dev/null || missing+=(openssl)
    # The bounce samples are read by sisimai too, the peer they are compared with.
    perl -MSisimai -e1 2>/dev/null || missing+=(libsisimai-perl)
    # The API's OpenAPI document is checked with openapi-spec-validator
    # (Python), kept in a virtual environment of its own.
    command -v python3 >/dev/null || missing+=(python3)
    python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
    # Haraka, an MTA outside the bounce samples, makes bounces the reader
    # is measured on (Node.js; Debian's npm brings it).
    command -v npm >/dev/null || missing+=(npm)
    # swaks, a foreign SMTP client, submits mail to the submission role.
    command -v swaks >/dev/null || missing+=(swaks)
    if [ ${#missing[@]} -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
    ensure_openapi_validator
    ensure_parsedmarc
    ensure_haraka
}

# openapi-spec-validator, pinned, in a virtual environment under the user's
# cache; exports its path as NINSHO_OPENAPI_VALIDATOR for the test.
ensure_openapi_validator() {
    local venv="${XDG_CACHE_HOME:-$HOME/.cache}/ninsho/openapi-venv"
    local version=0.9.0
    if ! "$venv/bin/openapi-spec-validator" --version 2>/dev/null | grep -q "$version"; then
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "openapi-spec-validator==$version"
    fi
    export NINSHO_OPENAPI_VALIDATOR="$venv/bin/openapi-spec-validator"
}

# parsedmarc, pinned, in a virtual environment under the user's cache: the
# peer that DMARC aggregate reports are compared with
# (tests/peers/parsedmarc-read.py); exports its Python as NINSHO_PARSEDMARC.
ensure_parsedmarc() {
    local venv="${XDG_CACHE_HOME:-$HOME/.cache}/ninsho/parsedmarc-venv"
    local version=11.1.0
    if ! "$venv/bin/parsedmarc" --version 2>/dev/null | grep -qx "$version"; then
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "parsedmarc==$version"
    fi
    export NINSHO_PARSEDMARC="$venv/bin/python"
}

# Haraka, pinned (3.1.1 runs on the Node.js of Debian 12), under the user's
# cache: the MTA of tests/tests/foreign_bounces.rs; exports NINSHO_HARAKA.
ensure_haraka() {
    local dir="${XDG_CACHE_HOME:-$HOME/.cache}/ninsho/haraka"
    local version=3.1.1
    if ! grep -qs "\"version\": \"$version\"" "$dir/node_modules/Haraka/package.json"; then
        rm -rf "$dir"
        mkdir -p "$dir"
        npm install --prefix "$dir" --no-audit --no-fund --silent "Haraka@$version"
    fi
    export NINSHO_HARAKA="$dir/node_modules/.bin/haraka"
}

# A temporary directory for the throwaway PostgreSQL cluster that the test
# harness creates on first use (NINSHO_TEST_PGDATA); sets run_dir.
make_test_cluster_dir() {
    # Directories the tests create must be enterable by the postgres account.
    umask 022
    run_dir=$(mktemp -d /tmp/ninsho-test.XXXXXX)
    # The cluster runs as the postgres account when we are root: it must be
    # able to reach its directory.
    chmod 711 "$run_dir"
    export NINSHO_TEST_PGDATA="$run_dir/pg"
}

# Stops that cluster and removes run_dir (an EXIT trap).
remove_test_cluster() {
    # Best effort, whatever failed before: never stop half-way.
    set +e
    if [ -f "$NINSHO_TEST_PGDATA/postmaster.pid" ]; then
        local pg_ctl
        pg_ctl="$(pg_bin_dir)/pg_ctl"
        if [ "$(id -u)" = 0 ]; then
            /usr/sbin/runuser -u postgres -- "$pg_ctl" stop -D "$NINSHO_TEST_PGDATA" -m immediate -s || true
        else
            "$pg_ctl" stop -D "$NINSHO_TEST_PGDATA" -m immediate -s || true
        fi
    fi
    rm -rf "$run_dir"
}

# What the benchmarks and their Postfix + OpenDKIM peer need: a C compiler,
# PostgreSQL, Postfix (smtp-source, smtp-sink), OpenDKIM and dkimpy. Installing
# must not start a system Postfix or OpenDKIM: the peer script runs its own,
# on its own ports.
ensure_bench_peer_tools() {
    ensure_cc
    ensure_postgres
    local missing=()
    for tool in postfix opendkim opendkim-genkey smtp-source ss; do
        command -v "$tool" >/dev/null || missing=(postfix opendkim opendkim-tools python3-dkim iproute2)
    done
    /usr/bin/python3 -c 'import dkim' 2>/dev/null || missing=(postfix opendkim opendkim-tools python3-dkim iproute2)
    if [ ${#missing[@]} -gt 0 ]; then
        local blocker=/usr/sbin/policy-rc.d made=no
        if [ ! -e "$blocker" ]; then
            printf '#!/bin/sh\nexit 101\n' > "$blocker"
            chmod 755 "$blocker"
            made=yes
        fi
        apt_install "${missing[@]}"
        [ "$made" = no ] || rm -f "$blocker"
    fi
}
