#!/usr/bin/env bash
# Block-size tuning for tropical-blas on this machine.
#   tuning/tune.sh            quick mode (well under 3 minutes)
#   tuning/tune.sh --full     finer grid, more repetitions, n = 2048 check
#   tuning/tune.sh --budget S stop sweeping after about S seconds
# Results: tuning/results/<cpu-model>.{csv,png,tuning}; see tuning/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec cargo run --release --quiet --manifest-path "$here/Cargo.toml" --bin tune -- "$@"
