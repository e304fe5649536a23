#!/usr/bin/env bash
# Runs every cargo-fuzz target of cpm-pf for N seconds each, one after the other.
#
#   fuzz/run-all.sh N [TARGET...]     (default: every target; N default 60)
#
# Works on the stable toolchain: cargo-fuzz passes nightly-only flags (-Cpasses=sancov-module,
# -Zsanitizer), which RUSTC_BOOTSTRAP=1 lets stable rustc accept. The sanitizer is off by
# default (SANITIZER=none: the library has no `unsafe`, and twice the executions find more);
# SANITIZER=address works too. New inputs go to fuzz/corpus/<target>/ (not committed), the
# committed seeds are read from fuzz/seeds/<target>/, crashes land in fuzz/artifacts/<target>/,
# and each run's log in fuzz/logs/<target>.log. Exits non-zero if any target found something.
set -euo pipefail
cd "$(dirname "$0")"

secs="${1:-60}"
shift || true
sanitizer="${SANITIZER:-none}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz (once per machine)"
    cargo install cargo-fuzz --locked
fi

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi

echo "== building ${#targets[@]} targets (sanitizer: $sanitizer)"
cargo fuzz build -s "$sanitizer"

mkdir -p logs
failed=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    log="logs/$t.log"
    echo "== $t: ${secs}s"
    if cargo fuzz run -s "$sanitizer" "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
        grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true
        grep -E '^stat::number_of_executed_units' "$log" || true
    else
        echo "!! $t found something: see $log and artifacts/$t/"
        grep -E 'panicked at|ERROR: libFuzzer|SUMMARY' "$log" | head -n 5 || true
        failed+=("$t")
    fi
done

passed=$(( ${#targets[@]} - ${#failed[@]} ))
echo "fuzz (${secs}s per target): $passed passed, ${#failed[@]} failed"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "found something in: ${failed[*]}"
    exit 1
fi
