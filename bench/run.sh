#!/bin/bash
# bench/run.sh - libmulticast's benchmark suite: builds the library (cargo build --release)
# and the programs of bench/, then runs every measurement inside ONE private network
# namespace (tests/netns-run: user+net+mount+pid namespaces holding only lo), and prints
# one table of figures and of ratios to the raw-C baselines measured in the same run, with
# loss and kernel drops. Benchmarks print; they never fail on time.
#
# usage: bench/run.sh             full run: 1M packets per trial, 3 reps (about 6 minutes)
#        QUICK=1 bench/run.sh     smoke run: 200k packets, 2 reps (about 1.5 minutes)
# env:   COUNT   packets per receiver / scale trial     (full 1000000, QUICK 200000)
#        GCOUNT  packets per trial of a GSO sender with a GRO receiver, and per GSO
#                sender-alone trial                     (full 5000000, QUICK 1000000)
#        GRPCOUNT packets per many-groups trial         (full COUNT/2)
#        NGROUPS groups of the many-groups trials       (200)
#        REPS    repetitions of every trial (medians)   (full 3, QUICK 2)
#        SCOUNT  packets per sender trial               (full 1000000, QUICK 200000)
#        SECS    seconds per ping-pong run              (full 3, QUICK 1)
#        SCALE_L idle listeners in the scale test       (1000)
#        UVMMSG=1 also run libuv with UV_UDP_RECVMMSG (information only)
#        NOCOALESCE=1 skip the lib_d1ms rows (lib_recv -d 1000: information only)
#        BUSY=1   also run busy-poll ping-pongs (information only)
#        PIN=1    pin senders to CPU 0 and receivers to CPU 1
#        NOBUILD=1 skip cargo build (use target/release/libmulticast.so as it is)
#        OUT     results directory (default bench/results/<timestamp>)
#        SECTIONS which parts to run (default "1 2 3 4 5 6"), ONLY names of trials to run
#                (e.g. ONLY="lib_lib mcast_lib" SECTIONS=1): to re-run rows of a busy moment
#        Every trial row of the .tsv files ends with the 1-minute load average at its start.
#
# Safety (the network rule): nothing is sent from the machine's own network namespace.
# This script does its measurements only after re-executing itself under
# tests/netns-run, and then checks again that the namespace holds nothing but lo (else
# it stops with exit 3). Every program also refuses to run (exit 2) if it sees any other
# interface. Every process is bounded by a packet count, an idle timeout, its own -T cap
# and a `timeout`; the whole namespace runs under `timeout`, and dies with this script.
#
# The parts live in sh/ next to this script and are sourced from there: catalog.sh (every
# trial name: its program, sender, count, sizes, description), trials.sh (one trial each:
# rx_trial, tx_trial, pp_trial, drop_trial), sections.sh (the six measuring parts),
# stats.sh (medians, ratios, verdicts, formatting) and report.sh (the header, the table).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
cd "$HERE"

if [ "${1:-}" != "--inner" ]; then
    if [ -z "${NOBUILD:-}" ]; then
        if ! (cd "$ROOT" && cargo build --release --locked 2>&1 | tail -n 3); then
            [ -e "$ROOT/target/release/libmulticast.so" ] || { echo "run.sh: cargo build failed" >&2; exit 1; }
            echo "run.sh: WARNING: cargo build --release failed; benchmarking the existing .so" >&2
        fi
    fi
    make -s all
    OUT=${OUT:-$HERE/results/$(date +%Y%m%d-%H%M%S)}
    mkdir -p "$OUT"
    export OUT
    echo "build done; results go to $OUT"
    # hard cap on the whole namespace: 20 minutes
    exec timeout -k 5 1200 "$ROOT/tests/netns-run" "$HERE/run.sh" --inner
fi

# ------------------------------------------------------------------ inside the netns
others=$(ip -o link show | awk -F': ' '$2 != "lo" {print $2}')
if [ -n "$others" ]; then
    echo "run.sh: refusing: this namespace has interfaces other than lo: $others" >&2
    exit 3
fi
if [ -n "${MC_HOST_NETNS:-}" ] && [ "$(readlink /proc/self/ns/net)" = "$MC_HOST_NETNS" ]; then
    echo "run.sh: refusing: still in the host's network namespace" >&2
    exit 3
fi
# not grep -q: under pipefail its early exit could kill ip with SIGPIPE (exit 141), and the
# route, present, was added again ("RTNETLINK answers: File exists", the run stopped)
if ! ip route show table all | grep '224.0.0.0/4' >/dev/null; then
    ip link set lo up multicast on
    ip route add 224.0.0.0/4 dev lo src 127.0.0.1
fi

if [ -n "${QUICK:-}" ]; then
    COUNT=${COUNT:-200000}
    GCOUNT=${GCOUNT:-1000000}
    REPS=${REPS:-2}
    SCOUNT=${SCOUNT:-200000}
    SECS=${SECS:-1}
fi
COUNT=${COUNT:-1000000}
GCOUNT=${GCOUNT:-5000000}
GRPCOUNT=${GRPCOUNT:-$((COUNT / 2))}
NGROUPS=${NGROUPS:-200}
REPS=${REPS:-3}
SCOUNT=${SCOUNT:-1000000}
SECS=${SECS:-3}
SCALE_L=${SCALE_L:-1000}
SECTIONS=${SECTIONS:-1 2 3 4 5 6}
want_section() { [[ " $SECTIONS " == *" $1 "* ]]; }
want_name() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }
OUT=${OUT:-$HERE/results/inner-$$}
mkdir -p "$OUT"
PINTX=""
PINRX=""
if [ "${PIN:-0}" = 1 ]; then
    PINTX="taskset -c 0"
    PINRX="taskset -c 1"
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
RAW=$OUT/raw.log
RXT=$OUT/rx_trials.tsv
TXT=$OUT/tx_trials.tsv
PPT=$OUT/pp_trials.tsv
SUM=$OUT/summary.txt
: >"$RAW"
printf 'rep\tname\tsize\treceived\texpected\tlost_pct\trx_cpu_ns\trx_rate_pps\tpkts_per_wakeup\tsock_drops\tproc_drops\tlib_kernel_drops\ttx_cpu_ns\tall_ns\theap_per_listener\trss_per_listener\texit\ttx_rate_pps\tload1\n' >"$RXT"
printf 'rep\tname\tsize\tsent\trate_pps\tcpu_ns\texit\tload1\n' >"$TXT"
printf 'rep\tname\tsize\tsamples\tlost\tmedian_us\tp99_us\tmin_us\tp999_us\tload1\n' >"$PPT"
T_START=$(date +%s)
CHECKS_FAILED=0
hz=$(getconf CLK_TCK)

UV_NOTE=""
HAVE_UV=1
if [ ! -x ./recv_uv ]; then
    HAVE_UV=0
    UV_NOTE="libuv MISSING (apt-get install libuv1-dev, then make -C bench): the uv rows are skipped"
    echo "run.sh: $UV_NOTE" >&2
fi

. "$HERE/sh/catalog.sh"
. "$HERE/sh/trials.sh"
. "$HERE/sh/sections.sh"
. "$HERE/sh/stats.sh"
. "$HERE/sh/report.sh"

print_run_header | tee "$SUM"
measure_receivers
measure_senders
measure_pingpong
measure_scale
measure_drops
measure_timers

SNMP=$(grep '^Udp:' /proc/net/snmp | awk 'NR==1{for(i=2;i<=NF;i++)h[i]=$i} NR==2{for(i=2;i<=NF;i++) printf "%s=%s ", h[i], $i}')
T_END=$(date +%s)

{
    report_intro
    report_receive
    report_gso_gro
    report_senders
    report_pingpong
    report_options_groups
    report_scale_memory
    report_checks
    report_timers
    report_receiver_details
    report_footer
} | tee -a "$SUM"
