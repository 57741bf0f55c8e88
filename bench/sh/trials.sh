# bench/sh/trials.sh - sourced by bench/run.sh: one trial each, its RESULT lines parsed
# into a row of rx_trials.tsv, tx_trials.tsv or pp_trials.tsv (or into DROPS for the
# forced-loss trials), its output appended to raw.log, and one progress line printed.
# Needs the settings of run.sh (TMP, RAW, RXT, TXT, PPT, PINRX, PINTX, SECS, hz,
# CHECKS_FAILED) and the tables of catalog.sh.

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

# one forced-loss trial: lib_recv with the kernel's default buffer (-b 0), its
# kernel_drops against the kernel's own counts; the line is appended to DROPS
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
