#!/usr/bin/env bash
# Installs what building Dendrites needs on Debian/Ubuntu, if it is missing:
#   libopenblas-dev (CBLAS/LAPACK), zlib1g-dev (gzip'd IDX files), pkg-config (finds both),
#   curl and ca-certificates (Scripts/fetch-mnist.sh).
# Runs `apt-get update` once, and only when something has to be installed; uses sudo only
# when not root. Then checks that the Swift toolchain is reachable (on PATH or in
# /opt/swift/usr/bin). Prints nothing when everything is already in place. Safe to rerun.
#
# --with-slurm also installs slurm-wlm and munge, for the test that runs a sweep on a real
# local Slurm (Scripts/slurm-local.sh). They are optional: if they cannot be installed the
# script warns and that test is skipped.
set -euo pipefail

packages=(libopenblas-dev zlib1g-dev pkg-config curl ca-certificates)
optional=()
for argument in "$@"; do
    case "$argument" in
        --with-slurm) optional=(slurm-wlm munge) ;;
        *) echo "error: unknown option $argument (known: --with-slurm)" >&2; exit 2 ;;
    esac
done

is_installed() {
    dpkg-query --show --showformat='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed
}

# True when the package, or something doing its job, is already there.
is_present() {
    is_installed "$1" && return 0
    case "$1" in
        pkg-config | curl) command -v "$1" >/dev/null 2>&1 ;;
        slurm-wlm) PATH="$PATH:/usr/sbin" command -v slurmctld >/dev/null 2>&1 && PATH="$PATH:/usr/sbin" command -v slurmd >/dev/null 2>&1 ;;
        munge) PATH="$PATH:/usr/sbin" command -v munged >/dev/null 2>&1 ;;
        libopenblas-dev) command -v pkg-config >/dev/null 2>&1 && pkg-config --exists openblas ;;
        zlib1g-dev) command -v pkg-config >/dev/null 2>&1 && pkg-config --exists zlib ;;
        *) return 1 ;;
    esac
}

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    missing=()
    for package in "${packages[@]}"; do
        is_present "$package" || missing+=("$package")
    done
    if [[ ${#missing[@]} -gt 0 ]]; then
        if [[ $(id -u) -eq 0 ]]; then
            as_root=()
        elif command -v sudo >/dev/null 2>&1; then
            as_root=(sudo)
        else
            echo "error: missing packages ${missing[*]}, and not root with no sudo to install them;" >&2
            echo "       install them as root: apt-get update && apt-get install -y ${missing[*]}" >&2
            exit 1
        fi
        echo "==> installing ${missing[*]}"
        ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${missing[@]}"
        for package in "${missing[@]}"; do
            is_present "$package" || { echo "error: $package is still not installed" >&2; exit 1; }
        done
    fi
    optional_missing=()
    for package in ${optional[@]+"${optional[@]}"}; do
        is_present "$package" || optional_missing+=("$package")
    done
    if [[ ${#optional_missing[@]} -gt 0 ]]; then
        as_root=()
        if [[ $(id -u) -ne 0 ]]; then as_root=(sudo -n); fi
        echo "==> installing ${optional_missing[*]} (optional: for the local Slurm test)"
        if ! { ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
               ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
                   apt-get install -y -qq --no-install-recommends "${optional_missing[@]}" >/dev/null; }; then
            echo "warning: could not install ${optional_missing[*]}; the Slurm test will be skipped" >&2
        fi
    fi
else
    echo "note: not a Debian/Ubuntu system (no apt-get/dpkg); make sure OpenBLAS, zlib (with" \
        "headers), pkg-config and curl are installed" >&2
fi

# The Swift toolchain.
if ! command -v swift >/dev/null 2>&1; then
    if [[ -x /opt/swift/usr/bin/swift ]]; then
        echo "note: swift is not on PATH but is in /opt/swift/usr/bin; the project's scripts use it" \
            "from there (for your shell: export PATH=/opt/swift/usr/bin:\$PATH)" >&2
    else
        echo "error: the Swift toolchain (swift 6.1 or newer) was not found on PATH or in /opt/swift/usr/bin." >&2
        echo "       Install it from https://www.swift.org/install/linux/ (or with swiftly)" \
            "and put its usr/bin on PATH." >&2
        exit 1
    fi
fi
