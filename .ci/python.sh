#!/usr/bin/env bash
# CI for the Python package (python/): builds it with pip into a fresh
# virtual environment, as a user would (`pip install ./python`: maturin
# and numpy come from the package index), runs the pytest suite and the
# quick benchmark, after formatting and lints of the binding crate. Needs
# Rust and CPython >= 3.9; nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== [%s] %s\n' "$(date +%T)" "$*"; }

rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "python: cargo fmt --check and clippy of the binding crate (python/, its own workspace)"
cargo fmt --manifest-path python/Cargo.toml -- --check
cargo clippy --manifest-path python/Cargo.toml --all-targets -- -D warnings

step "python: the binding crate's unit tests"
cargo test --manifest-path python/Cargo.toml --lib

venv="$(mktemp -d)/venv"
step "python: fresh virtual environment in $venv"
if ! python3 -m venv "$venv" 2>/dev/null; then
    # Debian's own python3 needs python3-venv for ensurepip.
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$venv"
    python3 -m venv "$venv"
fi
"$venv/bin/python" --version

step "python: pip install ./python pytest (release build of the extension)"
"$venv/bin/pip" install --quiet --disable-pip-version-check ./python pytest
"$venv/bin/pip" list --disable-pip-version-check 2>/dev/null | grep -Ei '^(numpy|tropical-blas|pytest) '

# From the repository root, so `import tropical_blas` finds the installed
# package, not the sources in python/.
step "python: pytest python/tests"
"$venv/bin/python" -m pytest -q python/tests

step "python: dispatch report and quick benchmark"
"$venv/bin/python" -c 'import tropical_blas; print(tropical_blas.cpu_report())'
"$venv/bin/python" python/bench.py --quick
