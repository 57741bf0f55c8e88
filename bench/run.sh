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
#        SECTIONS which parts to run (default "1 2 3 4 5"), ONLY names of trials to run
#                (e.g. ONLY="lib_lib mcast_lib" SECTIONS=1): to re-run rows of a busy moment
#        Every trial row of the .tsv files ends with the 1-minute load average at its start.
#
# Safety (the network rule): nothing is sent from the machine's own network namespace.
# This script does its measurements only after re-executing itself under
# tests/netns-run, and then checks again that the namespace holds nothing but lo (else
# it stops with exit 3). Every program also refuses to run (exit 2) if it sees any other
# interface. Every process is bounded by a packet count, an idle timeout, its own -T cap
# and a `timeout`; the whole namespace runs under `timeout`, and dies with this script.
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
if ! ip route show table all | grep -q '224.0.0.0/4'; then
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

# receivers: name -> command (lib_recv uses the library's default buffer request and mtu;
# the baselines ask for the same 4 MiB SO_RCVBUF, their own default)
RX_NAMES=(raw mmsg)
[ "$HAVE_UV" = 1 ] && RX_NAMES+=(uv)
[ "$HAVE_UV" = 1 ] && [ -n "${UVMMSG:-}" ] && RX_NAMES+=(uv_mmsg)
RX_NAMES+=(lib lib_nogro lib_ts lib_ttl lib_blk8)
[ -z "${NOCOALESCE:-}" ] && RX_NAMES+=(lib_d1ms)
RX_NAMES+=(gro_ceil lib_lib mcast_lib lib_mmsg)
# a trial is a receiver (RX_CMD) fed by a sender (RX_TX, default sender.c sendmmsg x64
# at full rate) with RX_COUNT packets (default COUNT), in the sizes RX_SIZES (default both)
declare -A RX_CMD=(
    [raw]="./recv_raw"
    [mmsg]="./recv_mmsg"
    [uv]="./recv_uv"
    [uv_mmsg]="./recv_uv -M"
    [lib]="./lib_recv"
    [lib_nogro]="./lib_recv -G 0"
    [lib_ts]="./lib_recv -t"
    [lib_ttl]="./lib_recv -y"
    [lib_blk8]="./lib_recv -X 8"
    [lib_d1ms]="./lib_recv -d 1000"
    [gro_ceil]="./recv_mmsg -G 1"
    [lib_lib]="./lib_recv"
    [mcast_lib]="./lib_recv"
    [lib_mmsg]="./recv_mmsg"
    [scale1]="./lib_scale -L 0"
    [scaleN]="./lib_scale -L $SCALE_L"
    [grp_1xN]="./lib_recv -N $NGROUPS -J"
    [grp_Nx1]="./lib_recv -N $NGROUPS"
)
declare -A RX_DESC=(
    [raw]="raw recvfrom + epoll"
    [mmsg]="raw recvmmsg x64 + epoll"
    [uv]="libuv uv_udp"
    [uv_mmsg]="libuv uv_udp + RECVMMSG"
    [lib]="lib listener on_packet (GRO on)"
    [lib_nogro]="lib listener, GRO off"
    [lib_ts]="lib listener + timestamps"
    [lib_ttl]="lib listener + received TTL"
    [lib_blk8]="lib listener + 8 blocked sources"
    [lib_d1ms]="lib + coalesce 1 ms (opt-in)"
    [gro_ceil]="raw GSO -> raw GRO (ceiling)"
    [lib_lib]="lib sendto_many -> lib (GRO)"
    [mcast_lib]="multicaster -> lib (GRO)"
    [lib_mmsg]="lib sendto_many -> raw recvmmsg"
    [scale1]="lib, 1 listener on poller"
    [scaleN]="lib, +$SCALE_L idle listeners"
    [grp_1xN]="lib, 1 listener x $NGROUPS groups"
    [grp_Nx1]="lib, $NGROUPS listeners x 1 group"
)
declare -A RX_TX=(
    [gro_ceil]="./sender -m gso -B 64"
    [lib_lib]="./lib_send -m many -B 64"
    [mcast_lib]="./lib_send -m mcast"
    [lib_mmsg]="./lib_send -m many -B 64"
    [grp_1xN]="./sender -m mmsg -N $NGROUPS"
    [grp_Nx1]="./sender -m mmsg -N $NGROUPS"
)
declare -A RX_COUNT=([gro_ceil]=$GCOUNT [lib_lib]=$GCOUNT [mcast_lib]=$GCOUNT [grp_1xN]=$GRPCOUNT [grp_Nx1]=$GRPCOUNT)
declare -A RX_SIZES=([lib_ts]=64 [lib_ttl]=64 [lib_blk8]=64 [grp_1xN]=64 [grp_Nx1]=64)
SIZES=(64 1400)

kv() { # file key -> value of key=value in the RESULT line (empty if absent)
    [ -f "$1" ] || return 0
    { grep '^RESULT' "$1" | tail -1 | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; } || true
}
cpu_busy() { # system-wide busy ticks (USER_HZ) from /proc/stat
    awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat
}
wait_ready() {
    local i
    for i in $(seq 500); do
        [ -e "$1" ] && return 0
        sleep 0.01
    done
    echo "warning: receiver not ready after 5 s" >&2
    return 1
}
rotate() { # k items... -> items rotated left by k
    local k=$1
    shift
    local a=("$@") n=$# i
    for ((i = 0; i < n; i++)); do printf '%s ' "${a[$(((i + k) % n))]}"; done
}

# one receiver trial: the receiver first, then its sender (default sender.c sendmmsg x64,
# full rate)
rx_trial() { # rep name size count [extra receiver args]
    local rep=$1 name=$2 size=$3 n=$4 extra=${5:-} b0 b1 pid rcv tx load
    load=$(cut -d' ' -f1 /proc/loadavg)
    rm -f "$TMP/ready" "$TMP/rx" "$TMP/tx"
    b0=$(cpu_busy)
    # shellcheck disable=SC2086
    $PINRX timeout 90 ${RX_CMD[$name]} $extra -n "$n" -T 60 -R "$TMP/ready" -l "$name" >"$TMP/rx" 2>"$TMP/rx.err" &
    pid=$!
    wait_ready "$TMP/ready" || true
    tx=${RX_TX[$name]:-./sender -m mmsg}
    # shellcheck disable=SC2086
    $PINTX timeout 90 $tx -n "$n" -s "$size" -T 60 -l "$name" >"$TMP/tx" 2>&1 || true
    wait "$pid" || true
    b1=$(cpu_busy)
    {
        echo "# rx trial rep=$rep recv=$name size=$size"
        cat "$TMP/tx" "$TMP/rx" "$TMP/rx.err"
    } >>"$RAW"
    rcv=$(kv "$TMP/rx" received)
    [ -n "$rcv" ] || rcv=0
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$rep" "$name" "$size" "$rcv" "$(kv "$TMP/rx" expected)" \
        "$(kv "$TMP/rx" lost_pct)" "$(kv "$TMP/rx" cpu_ns_per_pkt)" \
        "$(kv "$TMP/rx" rate_pps)" "$(kv "$TMP/rx" pkts_per_wakeup)" \
        "$(kv "$TMP/rx" sock_drops)" "$(kv "$TMP/rx" proc_drops)" "$(kv "$TMP/rx" lib_kernel_drops)" \
        "$(kv "$TMP/tx" cpu_ns_per_pkt)" \
        "$(awk -v b="$((b1 - b0))" -v r="$rcv" -v hz="$hz" 'BEGIN{printf "%.0f", r ? b*1e9/hz/r : 0}')" \
        "$(kv "$TMP/rx" heap_per_listener_B)" "$(kv "$TMP/rx" rss_per_listener_B)" \
        "$(kv "$TMP/rx" exit)" "$(kv "$TMP/tx" rate_pps)" "$load" >>"$RXT"
    printf '  rep %s %-9s %4sB  rx %8s  cpu %7s ns/pkt  %8s pkt/s  lost %s%%  drops %s (lib %s)  pkts/wake %s  tx %s ns/pkt  load %s\n' \
        "$rep" "$name" "$size" "$rcv" "$(kv "$TMP/rx" cpu_ns_per_pkt)" "$(kv "$TMP/rx" rate_pps)" \
        "$(kv "$TMP/rx" lost_pct)" "$(kv "$TMP/rx" sock_drops)" "$(kv "$TMP/rx" lib_kernel_drops)" \
        "$(kv "$TMP/rx" pkts_per_wakeup)" "$(kv "$TMP/tx" cpu_ns_per_pkt)" "$load"
    # the library receivers check each packet: its group (-N), timestamp (-t), TTL (-y)
    local wg tz tb
    wg=$(kv "$TMP/rx" wrong_group) tz=$(kv "$TMP/rx" ts_zero) tb=$(kv "$TMP/rx" ttl_bad)
    if [ $((${wg:-0} + ${tz:-0} + ${tb:-0})) -ne 0 ]; then
        echo "    CHECK FAILED: wrong_group=$(kv "$TMP/rx" wrong_group) ts_zero=$(kv "$TMP/rx" ts_zero) ttl_bad=$(kv "$TMP/rx" ttl_bad)"
        CHECKS_FAILED=$((CHECKS_FAILED + 1))
    fi
    if [ -s "$TMP/rx.err" ]; then sed 's/^/    stderr: /' "$TMP/rx.err" | head -3; fi
}

# one sender trial, no receiver
declare -A TX_CMD=(
    [raw_sendto]="./sender -m sendto"
    [lib_sendto]="./lib_send -m sendto"
    [raw_mmsg]="./sender -m mmsg -B 64"
    [lib_many]="./lib_send -m many -B 64"
    [lib_mcast]="./lib_send -m mcast"
    [raw_gso]="./sender -m gso -B 64"
)
declare -A TX_DESC=(
    [raw_sendto]="raw sendto (prepared socket)"
    [lib_sendto]="lib mc_sendto"
    [raw_mmsg]="raw sendmmsg x64"
    [lib_many]="lib mc_sendto_many x64 (GSO)"
    [lib_mcast]="lib multicaster (array, GSO)"
    [raw_gso]="raw UDP_SEGMENT x64 (ceiling)"
)
# senders that use GSO send GCOUNT packets (SCOUNT would take a few ms)
declare -A TX_COUNT=([lib_many]=$GCOUNT [lib_mcast]=$GCOUNT [raw_gso]=$GCOUNT)
TX_NAMES=(raw_sendto lib_sendto raw_mmsg lib_many lib_mcast raw_gso)
tx_trial() { # rep name size count
    local rep=$1 name=$2 size=$3 n=${TX_COUNT[$2]:-$4} load
    load=$(cut -d' ' -f1 /proc/loadavg)
    # shellcheck disable=SC2086
    $PINTX timeout 90 ${TX_CMD[$name]} -n "$n" -s "$size" -T 60 -l "$name" >"$TMP/tx" 2>&1 || true
    { echo "# tx trial rep=$rep name=$name size=$size"; cat "$TMP/tx"; } >>"$RAW"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$name" "$size" "$(kv "$TMP/tx" sent)" \
        "$(kv "$TMP/tx" rate_pps)" "$(kv "$TMP/tx" cpu_ns_per_pkt)" "$(kv "$TMP/tx" exit)" "$load" >>"$TXT"
    printf '  rep %s %-10s %4sB  %8s pkt/s  %7s ns/pkt  sent %s\n' "$rep" "$name" "$size" \
        "$(kv "$TMP/tx" rate_pps)" "$(kv "$TMP/tx" cpu_ns_per_pkt)" "$(kv "$TMP/tx" sent)"
    if ! grep -q '^RESULT' "$TMP/tx"; then sed 's/^/    output: /' "$TMP/tx" | head -3; fi
}

# one ping-pong run (server + client), 64 B
pp_trial() { # rep name(raw|raw_epoll|lib) mode(blocking|busy)
    local rep=$1 name=$2 mode=$3 prog=./pingpong flag="" pid load
    load=$(cut -d' ' -f1 /proc/loadavg)
    [ "$name" = lib ] && prog=./lib_pingpong
    [ "$name" = lib_spin ] && prog=./lib_pingpong && flag="-S 50"
    [ "$name" = raw_epoll ] && flag="-e"
    [ "$mode" = busy ] && flag="-b"
    rm -f "$TMP/ready"
    $PINRX timeout $((SECS + 30)) $prog server -T $((SECS + 15)) $flag -R "$TMP/ready" >"$TMP/pps" 2>&1 &
    pid=$!
    wait_ready "$TMP/ready" || true
    $PINTX timeout $((SECS + 30)) $prog client -n 10000000 -w 1000 -s 64 -T "$SECS" $flag >"$TMP/ppc" 2>&1 || true
    wait "$pid" || true
    { echo "# pingpong rep=$rep $name $mode"; cat "$TMP/ppc" "$TMP/pps"; } >>"$RAW"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$name" "$mode" "$(kv "$TMP/ppc" samples)" \
        "$(kv "$TMP/ppc" lost)" "$(kv "$TMP/ppc" median_us)" "$(kv "$TMP/ppc" p99_us)" \
        "$(kv "$TMP/ppc" min_us)" "$(kv "$TMP/ppc" p999_us)" "$load" >>"$PPT"
    printf '  rep %s %-9s %-8s samples %7s lost %s  RTT us: median %6s p99 %7s p99.9 %7s min %6s\n' \
        "$rep" "$name" "$mode" "$(kv "$TMP/ppc" samples)" "$(kv "$TMP/ppc" lost)" \
        "$(kv "$TMP/ppc" median_us)" "$(kv "$TMP/ppc" p99_us)" "$(kv "$TMP/ppc" p999_us)" \
        "$(kv "$TMP/ppc" min_us)"
}

# "median min max" of column c over rows with name==$2 and size==$3
stats() { # file name size col
    awk -F'\t' -v n="$2" -v s="$3" -v c="$4" \
        'NR>1 && $2==n && $3==s && $c!="" && $c!="-" {print $c}' "$1" |
        sort -g |
        awk '{a[NR]=$1} END{ if (NR==0) {print "NA NA NA"; exit}
             m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; print m, a[1], a[NR] }'
}
colsum() { # file name size col -> sum over rows
    awk -F'\t' -v n="$2" -v s="$3" -v c="$4" \
        'NR>1 && $2==n && $3==s && $c ~ /^[0-9.]+$/ {t+=$c} END{printf "%.0f", t}' "$1"
}

{
    echo "== libmulticast benchmark (bench/run.sh), $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "kernel: $(uname -r); cpus: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
    echo "namespace interfaces: $(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')"
    echo "library: $(readlink -f lib/libmulticast.so.0) ($(stat -c '%y' "$(readlink -f lib/libmulticast.so.0)" | cut -d. -f1))"
    echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" status --porcelain -- src 2>/dev/null | grep -q . && echo ' (src/ modified)')"
    echo "libuv: $(pkg-config --modversion libuv 2>/dev/null || echo missing)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "net.core.rmem_max=$(cat /proc/sys/net/core/rmem_max) rmem_default=$(cat /proc/sys/net/core/rmem_default)"
    echo "COUNT=$COUNT GCOUNT=$GCOUNT GRPCOUNT=$GRPCOUNT GROUPS=$NGROUPS REPS=$REPS SCOUNT=$SCOUNT SECS=$SECS SCALE_L=$SCALE_L PIN=${PIN:-0} QUICK=${QUICK:-}"
    [ -z "$UV_NOTE" ] || echo "NOTE: $UV_NOTE"
} | tee "$SUM"

# ------------------------------------------------------------------ 1. receivers
echo
echo "== 1. receivers: $COUNT packets per trial from sender.c (sendmmsg x64, full rate), GSO senders $GCOUNT, ${#RX_NAMES[@]} pairs x ${#SIZES[@]} sizes x $REPS reps"
want_section 1 && for ((rep = 1; rep <= REPS; rep++)); do
    # shellcheck disable=SC2046
    order=$(rotate $(((rep - 1) % ${#RX_NAMES[@]})) "${RX_NAMES[@]}")
    if ((rep % 2)); then sizes="64 1400"; else sizes="1400 64"; fi
    for size in $sizes; do
        for name in $order; do
            [[ " ${RX_SIZES[$name]:-64 1400} " == *" $size "* ]] || continue
            want_name "$name" || continue
            rx_trial "$rep" "$name" "$size" "${RX_COUNT[$name]:-$COUNT}"
        done
    done
done

# ------------------------------------------------------------------ 2. senders
echo
echo "== 2. senders alone (no group member): $SCOUNT packets per trial, ${#TX_NAMES[@]} senders x ${#SIZES[@]} sizes x $REPS reps"
want_section 2 && for ((rep = 1; rep <= REPS; rep++)); do
    order=$(rotate $(((rep - 1) % ${#TX_NAMES[@]})) "${TX_NAMES[@]}")
    for size in "${SIZES[@]}"; do
        for name in $order; do
            want_name "$name" || continue
            tx_trial "$rep" "$name" "$size" "$SCOUNT"
        done
    done
done

# ------------------------------------------------------------------ 3. ping-pong
echo
echo "== 3. ping-pong: 224.0.42.43 -> 224.0.42.44 and back, 64 B, $SECS s per run, $REPS reps"
PP_MODES="blocking"
[ -n "${BUSY:-}" ] && PP_MODES="blocking busy"
want_section 3 && for ((rep = 1; rep <= REPS; rep++)); do
    if ((rep % 2)); then names="raw lib raw_epoll lib_spin"; else names="lib_spin lib raw_epoll raw"; fi
    for mode in $PP_MODES; do
        for name in $names; do
            [ "$mode" = busy ] && [ "$name" = raw_epoll ] && continue
            [ "$mode" = busy ] && [ "$name" = lib_spin ] && continue
            want_name "$name" || continue
            pp_trial "$rep" "$name" "$mode"
        done
    done
done

# ------------------------------------------------------------------ 4. scale + memory
echo
echo "== 4. scale: one measured listener alone vs with $SCALE_L idle listeners (other groups) on the same poller, 64 B, $COUNT packets, $REPS reps"
echo "   and one listener joined to $NGROUPS groups (mc_listener_add_group) vs $NGROUPS listeners of one group, sender.c -N $NGROUPS, $GRPCOUNT packets"
want_section 4 && for ((rep = 1; rep <= REPS; rep++)); do
    if ((rep % 2)); then names="scale1 scaleN grp_1xN grp_Nx1"; else names="grp_Nx1 grp_1xN scaleN scale1"; fi
    for name in $names; do
        want_name "$name" || continue
        rx_trial "$rep" "$name" 64 "${RX_COUNT[$name]:-$COUNT}"
    done
done

# ------------------------------------------------------------------ 5. forced loss
echo
echo "== 5. kernel drop accounting under forced loss (kernel default buffer, -b 0), 64 B"
DROPS=""
drop_trial() { # label n receiver-args
    local label=$1 n=$2 args=$3 pid
    rm -f "$TMP/ready"
    # shellcheck disable=SC2086
    timeout 60 ./lib_recv $args -n "$n" -I 300 -T 30 -R "$TMP/ready" -l "$label" >"$TMP/rx" 2>&1 &
    pid=$!
    wait_ready "$TMP/ready" || true
    timeout 60 ./sender -n "$n" -s 64 -T 30 -l "$label" >"$TMP/tx" 2>&1 || true
    wait "$pid" || true
    { echo "# drop trial $label"; cat "$TMP/tx" "$TMP/rx"; } >>"$RAW"
    local line
    line=$(printf '%-34s sent %6s received %6s missing %6s | kernel SO_MEMINFO %6s /proc/net/udp %6s | lib kernel_drops %6s | %s' \
        "$label" "$n" "$(kv "$TMP/rx" received)" "$(kv "$TMP/rx" missing)" "$(kv "$TMP/rx" sock_drops)" \
        "$(kv "$TMP/rx" proc_drops)" "$(kv "$TMP/rx" lib_kernel_drops)" \
        "$(awk -v k="$(kv "$TMP/rx" sock_drops)" -v l="$(kv "$TMP/rx" lib_kernel_drops)" \
            'BEGIN{ if (k=="" || l=="") print "NA"; else if (k+0==l+0) print "equal"; else print "DIFFERENT" }')")
    echo "  $line"
    DROPS="$DROPS$line"$'\n'
}
if want_section 5; then
    drop_trial "end-of-burst (sleeps 500 ms first)" 20000 "-b 0 -D 500"
    drop_trial "mid-stream (sleeps 2 ms per drain)" "$((COUNT / 2))" "-b 0 -d 2000"
fi

# ------------------------------------------------------------------ 6. timers
# bench/lib_timer.c: lateness p50/p99/max at 1 ms and 100 ms periods, idle and with a
# plain-sender flood on the same poller; CPU per empty poll with 10,000 armed timers vs none.
TIMERS=""
if want_section 6; then
    echo "== 6. timers (lib_timer, ${SECS}s per lateness trial)"
    TIMERS=$(timeout 300 ./lib_timer -s "$SECS" 2>&1 | tee -a "$RAW" | grep '^RESULT' || true)
fi

SNMP=$(grep '^Udp:' /proc/net/snmp | awk 'NR==1{for(i=2;i<=NF;i++)h[i]=$i} NR==2{for(i=2;i<=NF;i++) printf "%s=%s ", h[i], $i}')
T_END=$(date +%s)

# ------------------------------------------------------------------ the table
fmt_fig() { # median min max unit -> "m [min..max] unit"
    awk -v m="$1" -v a="$2" -v b="$3" -v u="$4" 'BEGIN{
        if (m=="NA") { print "NA"; exit }
        if (m >= 100) printf "%.0f [%.0f..%.0f] %s", m, a, b, u; else printf "%.1f [%.1f..%.1f] %s", m, a, b, u }'
}
ratio() { # a b -> a/b
    awk -v a="$1" -v b="$2" 'BEGIN{ if (a=="NA" || b=="NA" || b+0==0) print "NA"; else printf "%.3f", a/b }'
}
judge() { # value op(<=|>=) target -> met/UNMET/n-a
    awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN{
        if (v=="NA" || v=="") { print "n/a"; exit }
        ok = (op=="<=") ? (v+0 <= t+0) : (v+0 >= t+0); print ok ? "met" : "UNMET" }'
}
ROWFMT='%-9s %-36s %5s  %-30s %-26s %-24s %-9s %s\n'
row() { printf "$ROWFMT" "$@"; }
# receivers that are library listeners (their loss target is 0; they report lib= drops)
LIBRX='^(lib|lib_nogro|lib_ts|lib_ttl|lib_blk8|lib_d1ms|lib_lib|mcast_lib|scale1|scaleN|grp_1xN|grp_Nx1)$'
is_librx() { [[ "$1" =~ $LIBRX ]]; }
rx_loss() { # name size -> "lost% / drops k=... lib=..."
    local lm lmax dk dl
    read -r lm _ lmax < <(stats "$RXT" "$1" "$2" 6)
    dk=$(colsum "$RXT" "$1" "$2" 10)
    dl=$(colsum "$RXT" "$1" "$2" 12)
    if is_librx "$1"; then
        awk -v l="$lm" -v x="$lmax" -v k="$dk" -v d="$dl" 'BEGIN{printf "%s%% k=%s lib=%s", (l=="NA"?"NA":sprintf("%.3f",l)) (x>l?"(max "x")":""), k, d}'
    else
        awk -v l="$lm" -v x="$lmax" -v k="$dk" 'BEGIN{printf "%s%% k=%s", (l=="NA"?"NA":sprintf("%.3f",l)) (x>l?"(max "x")":""), k}'
    fi
}
med() { stats "$@" | awk '{print $1}'; } # file name size col -> median
fig() { # file name size col unit -> "median [min..max] unit"
    local m a b
    read -r m a b < <(stats "$1" "$2" "$3" "$4")
    fmt_fig "$m" "$a" "$b" "$5"
}
fmt_pps() { # median min max -> "1.23M [..] pkt/s"
    awk -v m="$1" -v a="$2" -v b="$3" 'function f(x) { return x >= 1e6 ? sprintf("%.2fM", x/1e6) : sprintf("%.0fk", x/1e3) }
        BEGIN{ if (m=="NA") { print "NA"; exit } printf "%s [%s..%s] pkt/s", f(m), f(a), f(b) }'
}
pps_fig() { # file name size col
    local m a b
    read -r m a b < <(stats "$1" "$2" "$3" "$4")
    fmt_pps "$m" "$a" "$b"
}

{
    echo
    echo "== RESULTS  (medians of $REPS reps [min..max]; every ratio = lib / baseline from this run)"
    echo "   rx CPU ns/pkt = the receiver's getrusage user+sys / packets (on lo the sender's syscall runs the"
    echo "   receive softirq, so this is the receiver's own cost, measured alike for all); rx pkt/s = packets"
    echo "   received / (last - first packet); loss: median lost% (max), k = kernel drops summed over reps"
    echo "   (SO_MEMINFO; /proc/net/udp for the many-groups rows), lib = mc_listener_get_stats kernel_drops"
    row section measurement size "figure" "loss / drops" "ratio" target verdict
    row ------- ----------- ---- ------ ------------ ----- ------ -------
    echo "-- receive, plain sender (sender.c sendmmsg x64, full rate): the 0.1 targets"
    for size in "${SIZES[@]}"; do
        declare -A CM=()
        for name in raw mmsg uv uv_mmsg lib lib_d1ms; do
            [[ " ${RX_NAMES[*]} " == *" $name "* ]] || continue
            CM[$name]=$(med "$RXT" "$name" "$size" 7)
            [[ "$name" == lib* ]] && continue
            row receive "${RX_DESC[$name]}" "$size" "$(fig "$RXT" "$name" "$size" 7 ns/pkt)" "$(rx_loss "$name" "$size")" "" "" ""
        done
        cm=${CM[lib]}
        r=$(ratio "$cm" "${CM[raw]}")
        row receive "${RX_DESC[lib]}" "$size" "$(fig "$RXT" lib "$size" 7 ns/pkt)" "$(rx_loss lib "$size")" "$r x raw recvfrom" "<= 0.90" "$(judge "$r" '<=' 0.90)"
        if [ "$HAVE_UV" = 1 ]; then
            r=$(ratio "$cm" "${CM[uv]}")
            row "" "" "" "" "" "$r x libuv uv_udp" "<= 0.80" "$(judge "$r" '<=' 0.80)"
        else
            row "" "" "" "" "" "(libuv missing: skipped)" "<= 0.80" "n/a"
        fi
        if [ -n "${CM[lib_d1ms]:-}" ]; then
            row receive "${RX_DESC[lib_d1ms]}" "$size" "$(fig "$RXT" lib_d1ms "$size" 7 ns/pkt)" "$(rx_loss lib_d1ms "$size")" "$(ratio "${CM[lib_d1ms]}" "${CM[raw]}") x raw recvfrom" "(info)" ""
        fi
        unset CM
    done
    echo
    echo "-- GSO / GRO (issue 9): rx pkt/s and rx CPU of each sender -> receiver pair; baseline = raw sendmmsg -> raw recvmmsg"
    for size in "${SIZES[@]}"; do
        bp=$(med "$RXT" mmsg "$size" 8)
        bc=$(med "$RXT" mmsg "$size" 7)
        cp=$(med "$RXT" gro_ceil "$size" 8)
        cc=$(med "$RXT" gro_ceil "$size" 7)
        row gso/gro "baseline: raw sendmmsg->recvmmsg" "$size" "$(pps_fig "$RXT" mmsg "$size" 8)" "$(rx_loss mmsg "$size")" "" "" ""
        row "" "  rx CPU" "$size" "$(fig "$RXT" mmsg "$size" 7 ns/pkt)" "" "" "" ""
        row gso/gro "${RX_DESC[gro_ceil]}" "$size" "$(pps_fig "$RXT" gro_ceil "$size" 8)" "$(rx_loss gro_ceil "$size")" "$(ratio "$cp" "$bp") x baseline pkt/s" "(info)" ""
        row "" "  rx CPU" "$size" "$(fig "$RXT" gro_ceil "$size" 7 ns/pkt)" "" "$(ratio "$cc" "$bc") x baseline CPU" "(info)" ""
        row gso/gro "${RX_DESC[lib_mmsg]}" "$size" "$(pps_fig "$RXT" lib_mmsg "$size" 8)" "$(rx_loss lib_mmsg "$size")" "$(ratio "$(med "$RXT" lib_mmsg "$size" 8)" "$bp") x baseline pkt/s" "(info)" ""
        row "" "  rx CPU (plain receiver: loses)" "$size" "$(fig "$RXT" lib_mmsg "$size" 7 ns/pkt)" "" "$(ratio "$(med "$RXT" lib_mmsg "$size" 7)" "$bc") x baseline CPU" "(info)" ""
        lp=$(med "$RXT" lib_lib "$size" 8)
        lc=$(med "$RXT" lib_lib "$size" 7)
        r=$(ratio "$lp" "$bp")
        row gso/gro "${RX_DESC[lib_lib]}" "$size" "$(pps_fig "$RXT" lib_lib "$size" 8)" "$(rx_loss lib_lib "$size")" "$r x baseline pkt/s" ">= 10" "$(judge "$r" '>=' 10)"
        r=$(ratio "$lc" "$bc")
        row "" "  rx CPU" "$size" "$(fig "$RXT" lib_lib "$size" 7 ns/pkt)" "" "$r x baseline CPU" "<= 0.10" "$(judge "$r" '<=' 0.10)"
        r=$(ratio "$lp" "$cp")
        row "" "  vs the hand-tuned ceiling" "$size" "" "" "$r x ceiling pkt/s" ">= 0.80" "$(judge "$r" '>=' 0.80)"
        mp=$(med "$RXT" mcast_lib "$size" 8)
        mc=$(med "$RXT" mcast_lib "$size" 7)
        row gso/gro "${RX_DESC[mcast_lib]}" "$size" "$(pps_fig "$RXT" mcast_lib "$size" 8)" "$(rx_loss mcast_lib "$size")" "$(ratio "$mp" "$bp") x baseline pkt/s" "(info)" ""
        row "" "  rx CPU" "$size" "$(fig "$RXT" mcast_lib "$size" 7 ns/pkt)" "" "$(ratio "$mc" "$bc") x baseline CPU" "(info)" ""
        row "" "  vs the hand-tuned ceiling" "$size" "" "" "$(ratio "$mp" "$cp") x ceiling pkt/s" "(info)" ""
        for name in lib lib_nogro; do
            r=$(ratio "$(med "$RXT" "$name" "$size" 7)" "$bc")
            d="raw sendmmsg -> lib (GRO on)"
            [ "$name" = lib_nogro ] && d="raw sendmmsg -> lib (GRO off)"
            row gso/gro "$d" "$size" "$(fig "$RXT" "$name" "$size" 7 ns/pkt)" "$(rx_loss "$name" "$size")" "$r x raw recvmmsg CPU" "<= 1.05" "$(judge "$r" '<=' 1.05)"
        done
    done
    echo
    echo "-- senders alone (no group member): packets/s"
    for size in "${SIZES[@]}"; do
        declare -A PM=()
        for name in "${TX_NAMES[@]}"; do
            PM[$name]=$(med "$TXT" "$name" "$size" 5)
        done
        for name in "${TX_NAMES[@]}"; do
            pm=${PM[$name]}
            f="$(pps_fig "$TXT" "$name" "$size" 5)"
            c="$(med "$TXT" "$name" "$size" 6 | awk '{printf "%.0f ns/pkt", $1}')"
            case $name in
            raw_sendto | raw_mmsg) row send "${TX_DESC[$name]}" "$size" "$f" "$c" "" "" "" ;;
            raw_gso) r=$(ratio "$pm" "${PM[raw_mmsg]:-NA}")
                row send "${TX_DESC[$name]}" "$size" "$f" "$c" "$r x raw sendmmsg" "(info)" "" ;;
            lib_sendto) r=$(ratio "$pm" "${PM[raw_sendto]:-NA}")
                row send "${TX_DESC[$name]}" "$size" "$f" "$c" "$r x raw sendto" ">= 0.95" "$(judge "$r" '>=' 0.95)" ;;
            lib_many | lib_mcast) r=$(ratio "$pm" "${PM[raw_mmsg]:-NA}")
                row send "${TX_DESC[$name]}" "$size" "$f" "$c" "$r x raw sendmmsg" ">= 2.5" "$(judge "$r" '>=' 2.5)"
                row "" "" "" "" "" "$(ratio "$pm" "${PM[raw_gso]:-NA}") x raw GSO" "(info)" "" ;;
            esac
        done
        unset PM
    done
    echo
    echo "-- ping-pong, 64 B: the library against the event-loop floor (raw epoll_wait + recv); raw blocking for reference"
    for mode in $PP_MODES; do
        read -r rm r0 r1 < <(stats "$PPT" raw "$mode" 6)
        read -r r9 r90 r91 < <(stats "$PPT" raw "$mode" 7)
        read -r lm l0 l1 < <(stats "$PPT" lib "$mode" 6)
        read -r l9 l90 l91 < <(stats "$PPT" lib "$mode" 7)
        row pingpong "raw C $mode, median RTT" 64 "$(fmt_fig "$rm" "$r0" "$r1" us)" "lost $(colsum "$PPT" raw "$mode" 5)" "(reference)" "" ""
        row "" "raw C $mode, p99 RTT" 64 "$(fmt_fig "$r9" "$r90" "$r91" us)" "" "" "" ""
        if [ "$mode" = blocking ]; then
            read -r em e0 e1 < <(stats "$PPT" raw_epoll blocking 6)
            read -r e9 e90 e91 < <(stats "$PPT" raw_epoll blocking 7)
            row pingpong "raw epoll_wait+recv (floor), median" 64 "$(fmt_fig "$em" "$e0" "$e1" us)" "lost $(colsum "$PPT" raw_epoll blocking 5)" "$(ratio "$em" "$rm") x raw blocking" "(info)" ""
            row "" "raw epoll_wait+recv (floor), p99" 64 "$(fmt_fig "$e9" "$e90" "$e91" us)" "" "$(ratio "$e9" "$r9") x raw blocking" "(info)" ""
            r=$(ratio "$lm" "$em")
            row pingpong "lib blocking mc_poll, median RTT" 64 "$(fmt_fig "$lm" "$l0" "$l1" us)" "lost $(colsum "$PPT" lib blocking 5)" "$r x epoll floor" "<= 1.02" "$(judge "$r" '<=' 1.02)"
            row "" "" "" "" "" "$(ratio "$lm" "$rm") x raw blocking" "(ref)" ""
            r=$(ratio "$l9" "$e9")
            row "" "lib blocking mc_poll, p99 RTT" 64 "$(fmt_fig "$l9" "$l90" "$l91" us)" "" "$r x epoll floor" "<= 1.02" "$(judge "$r" '<=' 1.02)"
            read -r sm s0 s1 < <(stats "$PPT" lib_spin blocking 6)
            read -r s9 s90 s91 < <(stats "$PPT" lib_spin blocking 7)
            row pingpong "lib + spin 50 us (opt-in), median" 64 "$(fmt_fig "$sm" "$s0" "$s1" us)" "lost $(colsum "$PPT" lib_spin blocking 5)" "$(ratio "$sm" "$em") x epoll floor" "(info)" ""
            row "" "lib + spin 50 us (opt-in), p99" 64 "$(fmt_fig "$s9" "$s90" "$s91" us)" "" "$(ratio "$s9" "$e9") x epoll floor" "(info)" ""
        else
            row pingpong "lib $mode, median RTT" 64 "$(fmt_fig "$lm" "$l0" "$l1" us)" "lost $(colsum "$PPT" lib "$mode" 5)" "$(ratio "$lm" "$rm") x raw median" "(info)" ""
            row "" "lib $mode, p99 RTT" 64 "$(fmt_fig "$l9" "$l90" "$l91" us)" "" "$(ratio "$l9" "$r9") x raw p99" "(info)" ""
        fi
    done
    echo
    echo "-- per-packet options, blocked sources and many groups, 64 B, plain sender"
    oc=$(med "$RXT" lib 64 7)
    for name in lib_ts lib_ttl lib_blk8; do
        row options "${RX_DESC[$name]}" 64 "$(fig "$RXT" "$name" 64 7 ns/pkt)" "$(rx_loss "$name" 64)" "$(ratio "$(med "$RXT" "$name" 64 7)" "$oc") x off" "(info)" ""
    done
    row "" "(off: ${RX_DESC[lib]})" 64 "$(fig "$RXT" lib 64 7 ns/pkt)" "" "" "" ""
    g1=$(med "$RXT" grp_1xN 64 7)
    gn=$(med "$RXT" grp_Nx1 64 7)
    row groups "${RX_DESC[grp_Nx1]}" 64 "$(fig "$RXT" grp_Nx1 64 7 ns/pkt)" "$(rx_loss grp_Nx1 64)" "" "" ""
    row groups "${RX_DESC[grp_1xN]}" 64 "$(fig "$RXT" grp_1xN 64 7 ns/pkt)" "$(rx_loss grp_1xN 64)" "$(ratio "$g1" "$gn") x $NGROUPS listeners" "(info)" ""
    row "" "  sender CPU (kernel delivery)" 64 "$(med "$RXT" grp_1xN 64 13 | awk '{printf "%.0f ns/pkt", $1}') vs $(med "$RXT" grp_Nx1 64 13 | awk '{printf "%.0f", $1}')" "" "$(ratio "$(med "$RXT" grp_1xN 64 13)" "$(med "$RXT" grp_Nx1 64 13)") x $NGROUPS listeners" "(info)" ""
    echo
    read -r s1 s10 s11 < <(stats "$RXT" scale1 64 7)
    read -r sn sn0 sn1 < <(stats "$RXT" scaleN 64 7)
    row scale "${RX_DESC[scale1]}" 64 "$(fmt_fig "$s1" "$s10" "$s11" ns/pkt)" "$(rx_loss scale1 64)" "" "" ""
    r=$(ratio "$sn" "$s1")
    row scale "${RX_DESC[scaleN]}" 64 "$(fmt_fig "$sn" "$sn0" "$sn1" ns/pkt)" "$(rx_loss scaleN 64)" "$r x 1 listener" "<= 1.10" "$(judge "$r" '<=' 1.10)"
    read -r hm h0 h1 < <(stats "$RXT" scaleN 64 15)
    read -r rsm rs0 rs1 < <(stats "$RXT" scaleN 64 16)
    row memory "per idle listener, heap" - "$(fmt_fig "$hm" "$h0" "$h1" B)" "(mallinfo2, mtu 4096)" "" "<= 16384 B" "$(judge "$hm" '<=' 16384)"
    row "" "per idle listener, RSS" - "$(fmt_fig "$rsm" "$rs0" "$rs1" B)" "(/proc/self/statm)" "" "<= 16384 B" "$(judge "$rsm" '<=' 16384)"
    echo
    # loss 0 at full rate in every row whose receiver is a library listener
    lossy_rows=$(awk -F'\t' -v re="$LIBRX" 'NR>1 && $2 ~ re && $6+0 > 0 {k[$2" "$3"B"]=1} END{for (x in k) printf "%s, ", x}' "$RXT" | sed 's/, $//')
    librows=$(awk -F'\t' -v re="$LIBRX" 'NR>1 && $2 ~ re {n++} END{print n+0}' "$RXT")
    row loss "every library-listener row: 0 lost" - "${lossy_rows:-none lost}" "" "" "= 0" "$([ "$librows" = 0 ] && echo n/a || { [ -z "$lossy_rows" ] && echo met || echo UNMET; })"
    # kernel_drops == kernel's count whenever there is loss: every lib trial with loss or drops
    mism=$(awk -F'\t' -v re="$LIBRX" 'NR>1 && $2 ~ re && ($6+0 > 0 || $10+0 > 0) && $10 != $12 {n++} END{print n+0}' "$RXT")
    lossy=$(awk -F'\t' -v re="$LIBRX" 'NR>1 && $2 ~ re && ($6+0 > 0 || $10+0 > 0) {n++} END{print n+0}' "$RXT")
    fd=$(printf '%s' "$DROPS" | grep -c DIFFERENT || true)
    fe=$(printf '%s' "$DROPS" | grep -c equal || true)
    row drops "lib kernel_drops = kernel's" - "forced loss: $fe equal, $fd differ" "full rate: $lossy lossy, $mism differ" "" "equal" "$(if [ "$fe" = 0 ] && [ "$fd" = 0 ] && [ "$lossy" = 0 ]; then echo n/a; elif [ "$fd" = 0 ] && [ "$mism" = 0 ]; then echo met; else echo UNMET; fi)"
    printf '%s' "$DROPS" | sed 's/^/    /'
    row checks "group / timestamp / TTL of every packet" - "$CHECKS_FAILED trials failed" "" "" "0" "$([ "$CHECKS_FAILED" = 0 ] && echo met || echo UNMET)"
    if [ -n "$TIMERS" ]; then
        echo
        echo "-- timers: lateness = time from the due expiry to fn, blocking mc_poll (info)"
        printf '%s\n' "$TIMERS" | awk '/trial=lateness/ {
            for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            printf "timers    %-5s ms period, %-18s p50 %7s us  p99 %8s us  max %8s us  (%s runs)\n",
                v["period_ms"], v["flood"] == 1 ? "plain-sender flood" : "idle", v["p50_us"], v["p99_us"], v["max_us"], v["runs"] }
            /trial=poll_cost/ {
            for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            printf "timers    empty mc_poll with %s armed timers: %s ns vs %s ns with none = %s x (info)\n",
                v["timers"], v["ns_per_poll"], v["none_ns_per_poll"], v["ratio"] }'
    fi
    echo
    echo "== receiver details (medians): rx pkt/s, packets per wakeup, whole-machine busy ns/pkt (/proc/stat), sender CPU ns/pkt"
    printf '  %-9s %5s %10s %10s %12s %12s\n' recv size "rx pkt/s" pkts/wake "all ns/pkt" "tx ns/pkt"
    for size in "${SIZES[@]}"; do
        for name in "${RX_NAMES[@]}" scale1 scaleN grp_1xN grp_Nx1; do
            [[ " ${RX_SIZES[$name]:-64 1400} " == *" $size "* ]] || continue
            [[ "$name" == scale* ]] && [ "$size" != 64 ] && continue
            printf '  %-9s %5s %10.0f %10.2f %12.0f %12.0f\n' "$name" "$size" \
                "$(stats "$RXT" "$name" "$size" 8 | awk '{print ($1=="NA")?0:$1}')" \
                "$(stats "$RXT" "$name" "$size" 9 | awk '{print ($1=="NA")?0:$1}')" \
                "$(stats "$RXT" "$name" "$size" 14 | awk '{print ($1=="NA")?0:$1}')" \
                "$(stats "$RXT" "$name" "$size" 13 | awk '{print ($1=="NA")?0:$1}')"
        done
    done
    echo
    echo "  Udp counters (namespace): $SNMP"
    echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (at the start: see the header)"
    echo "  The machine is shared: figures are noisy (see [min..max]); compare ratios, not absolutes."
    echo "  all ns/pkt counts every process on the machine (other people's builds too): meaningful only on an idle machine."
    echo "  Wall time inside the namespace: $((T_END - T_START)) s. Per-trial data: $OUT/{rx,tx,pp}_trials.tsv, $RAW"
} | tee -a "$SUM"
