# bench/sh/sections.sh - sourced by bench/run.sh: the six measuring parts, each one
# function that prints its heading and, if SECTIONS names it, runs its trials (ONLY
# limits them to some names); the order of the trials changes from rep to rep.
# Sets PP_MODES, DROPS and TIMERS for the table (report.sh).

rotate() { # k items... -> items rotated left by k
    local k=$1
    shift
    local a=("$@") n=$# i
    for ((i = 0; i < n; i++)); do printf '%s ' "${a[$(((i + k) % n))]}"; done
}

# 1. every receiver of RX_NAMES, fed by its sender, in both sizes
measure_receivers() {
    local rep order sizes size name
    echo
    echo "== 1. receivers: $COUNT packets per trial from sender.c (sendmmsg x64, full rate), GSO senders $GCOUNT, ${#RX_NAMES[@]} pairs x ${#SIZES[@]} sizes x $REPS reps"
    want_section 1 || return 0
    for ((rep = 1; rep <= REPS; rep++)); do
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
}

# 2. every sender of TX_NAMES alone
measure_senders() {
    local rep order size name
    echo
    echo "== 2. senders alone (no group member): $SCOUNT packets per trial, ${#TX_NAMES[@]} senders x ${#SIZES[@]} sizes x $REPS reps"
    want_section 2 || return 0
    for ((rep = 1; rep <= REPS; rep++)); do
        order=$(rotate $(((rep - 1) % ${#TX_NAMES[@]})) "${TX_NAMES[@]}")
        for size in "${SIZES[@]}"; do
            for name in $order; do
                want_name "$name" || continue
                tx_trial "$rep" "$name" "$size" "$SCOUNT"
            done
        done
    done
}

# 3. ping-pong: raw blocking, raw epoll (the floor), the library, the library spinning
measure_pingpong() {
    local rep names mode name
    echo
    echo "== 3. ping-pong: 224.0.42.43 -> 224.0.42.44 and back, 64 B, $SECS s per run, $REPS reps"
    PP_MODES="blocking"
    [ -n "${BUSY:-}" ] && PP_MODES="blocking busy"
    want_section 3 || return 0
    for ((rep = 1; rep <= REPS; rep++)); do
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
}

# 4. scale and memory: idle listeners on the poller; many groups on one or many listeners
measure_scale() {
    local rep names name
    echo
    echo "== 4. scale: one measured listener alone vs with $SCALE_L idle listeners (other groups) on the same poller, 64 B, $COUNT packets, $REPS reps"
    echo "   and one listener joined to $NGROUPS groups (mc_listener_add_group) vs $NGROUPS listeners of one group, sender.c -N $NGROUPS, $GRPCOUNT packets"
    want_section 4 || return 0
    for ((rep = 1; rep <= REPS; rep++)); do
        if ((rep % 2)); then names="scale1 scaleN grp_1xN grp_Nx1"; else names="grp_Nx1 grp_1xN scaleN scale1"; fi
        for name in $names; do
            want_name "$name" || continue
            rx_trial "$rep" "$name" 64 "${RX_COUNT[$name]:-$COUNT}"
        done
    done
}

# 5. forced loss: the library's kernel_drops against the kernel's counts
measure_drops() {
    echo
    echo "== 5. kernel drop accounting under forced loss (kernel default buffer, -b 0), 64 B"
    DROPS=""
    if want_section 5; then
        drop_trial "end-of-burst (sleeps 500 ms first)" 20000 "-b 0 -D 500"
        drop_trial "mid-stream (sleeps 2 ms per drain)" "$((COUNT / 2))" "-b 0 -d 2000"
    fi
}

# 6. timers: bench/lib_timer.c: lateness p50/p99/max at 1 ms and 100 ms periods, idle and
# with a plain-sender flood on the same poller; CPU per empty poll with 10,000 armed
# timers vs none.
measure_timers() {
    TIMERS=""
    if want_section 6; then
        echo "== 6. timers (lib_timer, ${SECS}s per lateness trial)"
        TIMERS=$(timeout 300 ./lib_timer -s "$SECS" 2>&1 | tee -a "$RAW" | grep '^RESULT' || true)
    fi
}
