#!/bin/bash
# bench/walk.sh - callgrind's instructions per datagram of the receive walk (bench/walk.c):
# the library's mc_poll against the raw epoll+recvmmsg floor, N datagrams (default 40000)
# in rounds of 64, inside a private network namespace (tests/netns-run).
# usage: bench/walk.sh [N]        needs valgrind; builds target/release first unless NOBUILD=1
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
N=${1:-40000}
[ -n "${NOBUILD:-}" ] || (cd "$ROOT" && cargo build --release --locked 2>&1 | tail -n 1)
make -s -C "$HERE" walk
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
count() { # $1 function to count, $2.. program
    local fn=$1; shift
    timeout 600 "$ROOT/tests/netns-run" valgrind --tool=callgrind --toggle-collect="$fn" \
        --callgrind-out-file="$OUT/cg.$fn" "$@" >/dev/null 2>"$OUT/log.$fn" \
        || { cat "$OUT/log.$fn" >&2; exit 1; }
    awk '/^summary:/ { print $2 }' "$OUT/cg.$fn"
}
lib=$(count mc_poll "$HERE/walk" -n "$N")
raw=$(count raw_poll "$HERE/walk" -r -n "$N")
awk -v lib="$lib" -v raw="$raw" -v n="$N" 'BEGIN {
    printf "receive walk, %d datagrams of 64 B in rounds of 64 (callgrind instructions):\n", n
    printf "  library mc_poll     %8.1f instr/datagram\n", lib / n
    printf "  raw epoll+recvmmsg  %8.1f instr/datagram\n", raw / n
    printf "  ratio               %8.2fx\n", lib / raw }'
