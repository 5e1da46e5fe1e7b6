#!/usr/bin/env bash
# The fault-injection proof (RELIABILITY.md): runs `cargo test --test torture` on the debug build,
# times it, and prints the figures of the run (target/tmp/torture-figures/*.json).
#
#   scripts/torture.sh                          # what CI runs: every check
#   CARTNUDGE_TORTURE_KILLS=50 scripts/torture.sh crash::   # a smaller crash torture only
#
# Arguments go to the test binary (a name filter, --test-threads N).
# Sizes: CARTNUDGE_TORTURE_KILLS (200), _JOBS (3), _ROUNDS (5), _DISK_STEPS (8), _CASES (2000),
# _CLI_CASES (32); CARTNUDGE_TORTURE_SEED replays the random choices of an earlier run.
set -euo pipefail
cd "$(dirname "$0")/.."

figures=target/tmp/torture-figures
cargo build --test torture --quiet
rm -rf "$figures"
start=$(date +%s)
status=0
cargo test --quiet --test torture -- "$@" || status=$?
took=$(( $(date +%s) - start ))

echo "== torture figures: ${took} s on $(nproc) cores, debug build (seed in crash.json)"
for f in "$figures"/*.json; do
    [ -e "$f" ] || continue
    echo "-- $(basename "$f" .json)"
    cat "$f"
    echo
done
exit "$status"
