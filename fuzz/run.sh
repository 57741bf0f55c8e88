#!/usr/bin/env bash
# fuzz/run.sh - build the fuzz targets (libFuzzer, AddressSanitizer, on the
# stable toolchain with RUSTC_BOOTSTRAP=1) and run each for SECONDS seconds
# inside a private network namespace (tests/netns-run: the strings target
# resolves interfaces, which opens sockets). `make fuzz SECONDS=N` runs it.
#
#   fuzz/run.sh [SECONDS [TARGET...]]      (default 60 s, every target)
#
# Corpus: fuzz/corpus/TARGET/ (committed; seeded from multicast::fuzzing::seeds
# when empty; new inputs are written there, and at the end it is minimized
# with -set_cover_merge=1). Crashes: fuzz/artifacts/TARGET/ (committed once
# fixed, as regressions: the fuzzer starts from them too). One line per
# target (runs, exec/s, coverage, corpus size); the exit status is non-zero
# if any target crashed, timed out or ran out of memory. Logs:
# fuzz/target/logs/.
# Offline once the crates of fuzz/Cargo.lock are in ~/.cargo (cargo fetch).
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
shift || true
case $secs in '' | *[!0-9]*) echo "fuzz/run.sh: SECONDS must be a number, not '$secs'" >&2; exit 2 ;; esac
all=(cmsg netlink strings filter)
targets=("${@:-${all[@]}}")
triple=x86_64-unknown-linux-gnu
bin=fuzz/target/$triple/release
logs=fuzz/target/logs

# The flags of `cargo fuzz build` (address sanitizer, inline 8-bit counters,
# comparison tracing); --target keeps them off build scripts and proc macros.
unset CARGO_ENCODED_RUSTFLAGS
export RUSTC_BOOTSTRAP=1
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-sanitizer-coverage-stack-depth \
--cfg fuzzing -Zsanitizer=address -Cforce-frame-pointers"
cargo build --manifest-path fuzz/Cargo.toml --locked --release --target "$triple" \
    --target-dir fuzz/target --bins --examples
mkdir -p "$logs"

# Files made as root under sudo go back to the user who ran it.
give_back() {
    if [ "$(id -u)" = 0 ] && [ -n "${SUDO_UID:-}" ]; then
        chown -R "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" fuzz/target fuzz/corpus fuzz/artifacts 2>/dev/null || true
    fi
}
trap give_back EXIT

# A statistic of a libFuzzer log: the value after "stat::NAME:".
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }

failed=()
for t in "${targets[@]}"; do
    [ -x "$bin/$t" ] || { echo "fuzz/run.sh: no target '$t' (targets: ${all[*]})" >&2; exit 2; }
    corpus=fuzz/corpus/$t
    artifacts=fuzz/artifacts/$t
    mkdir -p "$corpus" "$artifacts"
    if [ -z "$(ls -A "$corpus")" ]; then
        "$bin/examples/seeds" fuzz/corpus "$t"
    fi
    dict=()
    [ -f "fuzz/dict/$t.dict" ] && dict=("-dict=fuzz/dict/$t.dict")
    log=$logs/$t.log
    status=0
    tests/netns-run "$bin/$t" -max_total_time="$secs" -print_final_stats=1 -timeout=30 \
        -artifact_prefix="$artifacts/" "${dict[@]}" "$corpus" "$artifacts" >"$log" 2>&1 || status=$?
    before=$(ls "$corpus" | wc -l)
    # Minimize: a small set of inputs that reaches every edge all of them
    # reach (set cover, hit counts ignored: the regex crate's make thousands).
    merged=fuzz/corpus/$t.merging
    rm -rf "$merged"
    mkdir -p "$merged"
    if tests/netns-run "$bin/$t" -set_cover_merge=1 -use_counters=0 "$merged" "$corpus" >"$logs/$t.merge.log" 2>&1 &&
        [ -n "$(ls -A "$merged")" ]; then
        rm -rf "$corpus"
        mv "$merged" "$corpus"
    else
        rm -rf "$merged"
        echo "fuzz $t: the merge failed (see $logs/$t.merge.log); corpus left as it was" >&2
    fi
    cov=$(sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1, ft \2/p' "$log" | tail -n 1)
    printf 'fuzz %-8s %s runs in %s s, %s exec/s, %s, corpus %s files (%s before merge)\n' \
        "$t:" "$(stat number_of_executed_units "$log")" "$secs" \
        "$(stat average_exec_per_sec "$log")" "${cov:-cov ?}" "$(ls "$corpus" | wc -l)" "$before"
    if [ "$status" != 0 ]; then
        failed+=("$t")
        echo "fuzz $t: FAILED (exit $status); from $log:" >&2
        grep -E -A2 'panicked at|^==[0-9]+==ERROR|^SUMMARY|ALARM|out-of-memory|Test unit written' \
            "$log" | grep -v -E '^ *#[0-9]+ 0x' | head -n 40 >&2 || true
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}" \
        "(inputs in fuzz/artifacts/; fix, then commit them as regressions, see fuzz/README.md)" >&2
    exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${secs} s each, no crash"
