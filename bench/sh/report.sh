# bench/sh/report.sh - sourced by bench/run.sh: the run's header, then the table of
# results (run.sh pipes them through tee into summary.txt): each part one function,
# every figure a median of the reps [min..max], every ratio lib / baseline from this
# run, judged against its target. Needs stats.sh, catalog.sh and the measurements'
# PP_MODES, DROPS, TIMERS, SNMP, T_START and T_END.

ROWFMT='%-9s %-36s %5s  %-30s %-26s %-24s %-9s %s\n'
row() { printf "$ROWFMT" "$@"; }

# the machine, the library and the settings, before the measurements
print_run_header() {
    echo "== libmulticast benchmark (bench/run.sh), $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "kernel: $(uname -r); cpus: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
    echo "namespace interfaces: $(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')"
    echo "library: $(readlink -f lib/libmulticast.so.0) ($(stat -c '%y' "$(readlink -f lib/libmulticast.so.0)" | cut -d. -f1))"
    echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" status --porcelain -- src 2>/dev/null | grep -q . && echo ' (src/ modified)')"
    echo "libuv: $(pkg-config --modversion libuv 2>/dev/null || echo missing)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "net.core.rmem_max=$(cat /proc/sys/net/core/rmem_max) rmem_default=$(cat /proc/sys/net/core/rmem_default)"
    echo "COUNT=$COUNT GCOUNT=$GCOUNT GRPCOUNT=$GRPCOUNT GROUPS=$NGROUPS REPS=$REPS SCOUNT=$SCOUNT SECS=$SECS SCALE_L=$SCALE_L PIN=${PIN:-0} QUICK=${QUICK:-}"
    [ -z "$UV_NOTE" ] || echo "NOTE: $UV_NOTE"
}

# the heading of the table and its columns
report_intro() {
    echo
    echo "== RESULTS  (medians of $REPS reps [min..max]; every ratio = lib / baseline from this run)"
    echo "   rx CPU ns/pkt = the receiver's getrusage user+sys / packets (on lo the sender's syscall runs the"
    echo "   receive softirq, so this is the receiver's own cost, measured alike for all); rx pkt/s = packets"
    echo "   received / (last - first packet); loss: median lost% (max), k = kernel drops summed over reps"
    echo "   (SO_MEMINFO; /proc/net/udp for the many-groups rows), lib = mc_listener_get_stats kernel_drops"
    row section measurement size "figure" "loss / drops" "ratio" target verdict
    row ------- ----------- ---- ------ ------------ ----- ------ -------
}

# receive, plain sender: the 0.1 targets
report_receive() {
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
}

# GSO / GRO: rx pkt/s and rx CPU of each sender -> receiver pair
report_gso_gro() {
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
}

# senders alone
report_senders() {
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
}

# ping-pong against the event-loop floor
report_pingpong() {
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
}

# per-packet options, blocked sources and many groups
report_options_groups() {
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
}

# idle listeners: time and memory
report_scale_memory() {
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
}

# loss, kernel drop accounting and the per-packet checks
report_checks() {
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
}

# timer lateness and poll cost, if section 6 ran
report_timers() {
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
}

# per receiver: rx pkt/s, packets per wakeup, machine and sender CPU
report_receiver_details() {
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
}

# the namespace's Udp counters, the load, the caveats and where the data is
report_footer() {
    echo
    echo "  Udp counters (namespace): $SNMP"
    echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (at the start: see the header)"
    echo "  The machine is shared: figures are noisy (see [min..max]); compare ratios, not absolutes."
    echo "  all ns/pkt counts every process on the machine (other people's builds too): meaningful only on an idle machine."
    echo "  Wall time inside the namespace: $((T_END - T_START)) s. Per-trial data: $OUT/{rx,tx,pp}_trials.tsv, $RAW"
}
