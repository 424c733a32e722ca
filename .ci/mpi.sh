#!/usr/bin/env bash
# CI for the distributed crate (mpi/, tropical-blas-mpi): installs Open MPI
# when missing, checks formatting, lints and docs, runs the bitwise SUMMA
# checks under mpirun with 1, 2, 3 and 4 ranks (oversubscribed), and the
# distributed APSP example in a small configuration. Self-contained; runs
# from the repository root as root on a fresh Debian machine with Rust.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

step() { printf '\n=== [%s] %s\n' "$(date +%T)" "$*"; }

step "install: Open MPI (libopenmpi-dev, openmpi-bin) and libclang-dev (rsmpi's bindings)"
if ! command -v mpirun >/dev/null || ! command -v mpicc >/dev/null \
    || ! ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq libopenmpi-dev openmpi-bin libclang-dev >/dev/null
fi
mpirun --version | head -n 1

# CI runs as root; this machine has fewer cores than the largest run.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

cd mpi

step "mpi: cargo fmt --check, clippy -D warnings, doc -D warnings"
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps

step "mpi: cargo test (unit and doc tests; summa_check as one rank)"
cargo test

step "mpi: summa_check under mpirun with 1, 2, 3, 4 ranks (every grid shape of each)"
check_bin=$(cargo test --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "summa_check":
        print(m["executable"])
')
for ranks in 1 2 3 4; do
    timeout 600 mpirun -n "$ranks" "$check_bin"
done

# The examples run from the debug build: mpi/Cargo.toml optimizes the
# dependencies (tropical-blas) in it, and a release build would cost a
# second compile of everything.
step "mpi: distributed APSP example, small (4 ranks on a 2x2 grid)"
cargo build --examples
timeout 600 mpirun -n 4 target/debug/examples/apsp 300 900 --sources 8

step "mpi: SUMMA benchmark, smoke run (n = 512, 2 ranks)"
timeout 600 mpirun -n 2 target/debug/examples/summa_bench 512 --reps 1
