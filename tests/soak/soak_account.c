/* soak_account.c - failed checks, talking to the sender, waiting for interface following
 * to settle, the windows and their accounting, the paced clean phase (see soak.h). */
#include "soak.h"

/* --- failed checks --- */

int fatal, failed;
char first_failure[512];

/* Failed checks by kind (the call site's format): each kind is printed the first 3 times
   and counted after that; the end lists them all. */
struct kind kinds[MAX_KINDS];
int nkinds;

void fail(const char *fmt, ...) {
    va_list ap;
    char msg[512];
    int k;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!failed) snprintf(first_failure, sizeof first_failure, "%s", msg);
    failed++;
    for (k = 0; k < nkinds && kinds[k].fmt != fmt; k++) {}
    if (k == nkinds && nkinds < MAX_KINDS) {
        kinds[k].fmt = fmt;
        snprintf(kinds[k].first, sizeof kinds[k].first, "%s", msg);
        nkinds++;
    }
    if (k < MAX_KINDS && ++kinds[k].n <= 3) fprintf(stderr, "soak: FAILED CHECK: %s\n", msg);
    else if (verbose) fprintf(stderr, "soak: FAILED CHECK (again): %s\n", msg);
}

/* --- talking to the sender --- */

struct reply rep;

int sender(uint32_t op, uint32_t arg) {
    struct cmd c;
    memset(&c, 0, sizeof c);
    c.op = op;
    c.epoch = epoch;
    c.arg = arg;
    c.mtu = (uint32_t)cur_mtu;
    c.seed = rng_state;
    if (fatal) return -1;
    if (msg_send(ctl, &c, sizeof c) != 0 || msg_recv(ctl, &rep, sizeof rep) != 0) {
        fail("the sender process is gone (command %u)", op);
        fatal = 1;
        return -1;
    }
    if (rep.rc < 0) {
        fail("sender: %s", rep.text[0] ? rep.text : "failed");
        return -1;
    }
    return 0;
}

/* --- waiting for interface following to settle --- */

/* Until every listener holds its memberships again (joins - leaves == expected) and, for
   those in `told`, has been told joined/left at least the given counts. */
int settle(const char *fault, const int *want_joined, const int *want_left) {
    int64_t end = now_ms() + SETTLE_MS;
    for (;;) {
        int ok = 1;
        for (int i = 0; i < NLIST && ok; i++) {
            struct lst *x = &L[i];
            mc_listener_counts c = counts_of(x);
            if ((int64_t)(c.joins - c.leaves) != expected_memberships(x)) ok = 0;
            if (want_joined && x->told_joined < want_joined[i]) ok = 0;
            if (want_left && x->told_left < want_left[i]) ok = 0;
        }
        if (ok) return 1;
        if (now_ms() > end) break;
        pump(5, 1);
    }
    for (int i = 0; i < NLIST; i++) {
        struct lst *x = &L[i];
        mc_listener_counts c = counts_of(x);
        int bad = (int64_t)(c.joins - c.leaves) != expected_memberships(x) ||
                  (want_joined && x->told_joined < want_joined[i]) ||
                  (want_left && x->told_left < want_left[i]);
        if (bad) {
            fail("fault %s: listener %s did not settle within %d ms: joins %llu - leaves %llu, "
                 "want %d memberships; told joined %d (want >= %d), left %d (want >= %d)",
                 fault, x->name, SETTLE_MS, (unsigned long long)c.joins,
                 (unsigned long long)c.leaves, expected_memberships(x), x->told_joined,
                 want_joined ? want_joined[i] : 0, x->told_left, want_left ? want_left[i] : 0);
            return 0;
        }
    }
    return 1;
}

/* --- windows and the accounting --- */

struct path {                     /* drops before any socket, and the sockets' own */
    uint64_t rx_drop, tx_drop, ip, ip6, udp_err, rcvbuf;
};

static struct path path_now(uint64_t tx_drops) {
    struct path p;
    p.rx_drop = netdev_col("mc0", 3);
    p.tx_drop = tx_drops;
    /* not ReasmFails: a reassembly fails when its timer (30 s) runs out, long after the
       fragment was lost (that loss shows in the device counters when it happens) */
    p.ip = snmp("Ip", "InDiscards");
    p.ip6 = snmp6("Ip6InDiscards");
    p.rcvbuf = snmp("Udp", "RcvbufErrors") + snmp("Udp", "MemErrors") +
               snmp6("Udp6RcvbufErrors") + snmp6("Udp6MemErrors");
    p.udp_err = snmp("Udp", "InErrors") + snmp6("Udp6InErrors");
    return p;
}

static struct path path0;
int path_valid;          /* 0 after mc0/mc1 were re-created (their counters restart) */

struct totals T;

static uint32_t barrier_round;
const char *cur_fault = "start";
int rx_sockets_changed;

void window_begin(int kind) {
    window = kind;
    rx_sockets_changed = 0;
    mtu_lo = mtu_hi = cur_mtu;
    for (int i = 0; i < NLIST; i++) {
        struct lst *x = &L[i];
        mark_counters(x);
        x->ad = x->ak = x->af = x->aq = x->ac = 0;
        x->seen = x->dup = x->reorder = x->wrong = x->corrupt = x->stale = x->badlen = x->trunc = 0;
        x->unchecked = 0;
        memset(x->seen_ph, 0, sizeof x->seen_ph);
        memset(x->seen_g, 0, sizeof x->seen_g);
        memset(x->order, 0, sizeof x->order);
        x->have_pacer = 0;
    }
    if (sender(OP_STATS, 0) == 0) path0 = path_now(rep.tx_drops);
    path_valid = 1;
}

/* Barrier rounds until one reached every listener on every group it holds. */
static int barrier(void) {
    int64_t end = now_ms() + SETTLE_MS;
    while (now_ms() < end && !STOP) {
        barrier_round++;
        if (sender(OP_BARRIER, barrier_round) < 0) return 0;
        int64_t round_end = now_ms() + 30;
        for (;;) {
            int all = 1;
            for (int i = 0; i < NLIST && all; i++)
                for (int g = 0; g < NGROUPS && all; g++)
                    if (L[i].holds[g] && L[i].barrier_seen[g] != barrier_round) all = 0;
            if (all) return 1;
            if (now_ms() > round_end) break;
            pump(2, 1);
        }
    }
    for (int i = 0; i < NLIST; i++)
        for (int g = 0; g < NGROUPS; g++)
            if (L[i].holds[g] && L[i].barrier_seen[g] != barrier_round) {
                fail("after fault %s: listener %s receives nothing on %s any more (%d ms of "
                     "barrier datagrams)", cur_fault, L[i].name, grp[g].addr, SETTLE_MS);
                return 0;
            }
    return 0;
}

static void quiet(void) {
    int64_t end = now_ms() + 2000, last = now_ms();
    uint64_t n = g_packets;
    while (now_ms() - last < QUIET_MS && now_ms() < end) {
        pump(2, 1);
        if (g_packets != n) {
            n = g_packets;
            last = now_ms();
        }
    }
}

void fmt_count(char *out, size_t n, double v) {
    if (v >= 1e9) snprintf(out, n, "%.2fG", v / 1e9);
    else if (v >= 1e6) snprintf(out, n, "%.2fM", v / 1e6);
    else if (v >= 1e4) snprintf(out, n, "%.1fk", v / 1e3);
    else snprintf(out, n, "%.0f", v);
}

/* Ends the window now open at a quiet point and checks it; opens the next one. */
void window_end(void) {
    int kind = window;
    doing(kind == PH_F ? "ending a fault window (barrier)" : "ending a clean window (barrier)");
    int settled = barrier();
    quiet();
    if (sender(OP_WINDOW, 0) < 0) return;
    static uint64_t att[NSTREAMS][NGROUPS], snt[NSTREAMS][NGROUPS];
    memcpy(att, rep.attempted, sizeof att);
    memcpy(snt, rep.sent, sizeof snt);
    int32_t errs[NSTREAMS];
    memcpy(errs, rep.first_err, sizeof errs);
    if (kind == PH_C) {                /* a clean window's sends all succeed */
        for (int s = 0; s < NSTREAMS; s++) {
            uint64_t a = 0, b = 0;
            for (int g = 0; g < NGROUPS; g++) { a += att[s][g]; b += snt[s][g]; }
            if (a != b)
                fail("epoch %u clean window: %s sent %llu of %llu datagrams (first error %d: %s)",
                     epoch, stream_name[s], (unsigned long long)b, (unsigned long long)a,
                     errs[s], mc_strerror(errs[s]));
        }
    }
    for (int i = 0; i < NLIST; i++) T.unchecked += L[i].unchecked;
    if (!settled) {                /* no quiet point: nothing to account; start afresh */
        T.unsettled++;
        window_begin(kind == PH_F ? PH_C : PH_F);
        return;
    }
    if (sender(OP_STATS, 0) < 0) return;
    struct path pn = path_now(rep.tx_drops);
    uint64_t pdrops = 0, rcvbuf = pn.rcvbuf - path0.rcvbuf, udp_err = pn.udp_err - path0.udp_err;
    if (path_valid)
        pdrops = (pn.rx_drop - path0.rx_drop) + (pn.tx_drop - path0.tx_drop) +
                 (pn.ip - path0.ip) + (pn.ip6 - path0.ip6);
    uint64_t per_group[NGROUPS], att_group[NGROUPS], sent_all = 0;
    for (int g = 0; g < NGROUPS; g++) {
        per_group[g] = att_group[g] = 0;
        for (int s = 0; s < NSTREAMS; s++) {
            per_group[g] += snt[s][g];
            att_group[g] += att[s][g];
            sent_all += snt[s][g];
        }
    }
    uint64_t drops_sum = 0;
    if (kind == PH_C) {
        T.windows++;
        T.sent_dgrams += sent_all;
        if (pdrops) {
            T.path_drops += pdrops;
            T.path_epochs++;
            fprintf(stderr, "soak: epoch %u clean window (after %s): path drops: mc0 rx %llu, mc1 "
                    "tx %llu, Ip InDiscards %llu, Ip6 InDiscards %llu\n", epoch, cur_fault,
                    (unsigned long long)(pn.rx_drop - path0.rx_drop),
                    (unsigned long long)(pn.tx_drop - path0.tx_drop),
                    (unsigned long long)(pn.ip - path0.ip), (unsigned long long)(pn.ip6 - path0.ip6));
        }
    } else {
        T.f_sent += sent_all;
    }
    for (int i = 0; i < NLIST; i++) {
        struct lst *x = &L[i];
        mc_listener_stats s = stats_of(x);
        mc_listener_counts c = counts_of(x);
        uint64_t D = s.delivered - x->d0 + x->ad, K = s.kernel_drops - x->k0 + x->ak,
                 Fl = s.filtered - x->f0 + x->af, Q = c.queue_drops - x->q0 + x->aq, due = 0;
        drops_sum += K;
        const char *w = kind == PH_C ? "clean" : "fault";
        if (x->corrupt) fail("epoch %u %s window: %s: %llu datagrams with wrong bytes", epoch, w,
                             x->name, (unsigned long long)x->corrupt);
        if (x->badlen) fail("epoch %u %s window: %s: %llu datagrams with a wrong len/size", epoch,
                            w, x->name, (unsigned long long)x->badlen);
        if (x->wrong) fail("epoch %u %s window: %s: %llu datagrams of a group it does not hold "
                           "(or that its filter rejects)", epoch, w, x->name,
                           (unsigned long long)x->wrong);
        if (x->dup) fail("epoch %u %s window: %s: %llu duplicates", epoch, w, x->name,
                         (unsigned long long)x->dup);
        /* The kernel's GRO (veth NAPI) asks the first socket its lookup finds for a datagram
           whether to coalesce: while sockets with GRO on and off come and go on the port, a
           datagram it holds can be overtaken by later ones passed up at once (seen: one
           datagram after 1 to 543 later ones; tests/soak/gro_reorder.py shows it with plain
           sockets, and not with GRO off on mc0). Every listener of that group sees the same
           reorder. Allowed only in a fault window that opened or closed a listening socket
           of the listener's family, and at most one coalesced run's worth (RUN_BOUND). */
        int sockets_changed = kind == PH_F && (rx_sockets_changed & rx_family(x));
        int gro_may_reorder = sockets_changed && x->reorder <= RUN_BOUND;
        if (x->reorder && !gro_may_reorder)
            fail("epoch %u %s window: %s: %llu datagrams out of their sender's order%s", epoch,
                 w, x->name, (unsigned long long)x->reorder,
                 sockets_changed ? " (more than the kernel's GRO explains while sockets change)"
                                 : "");
        if (x->stale) fail("epoch %u %s window: %s: %llu datagrams of an earlier window arrived "
                           "after its quiet point", epoch, w, x->name,
                           (unsigned long long)x->stale);
        if (D != x->seen)
            fail("epoch %u %s window: %s: stats say %llu delivered, the callback saw %llu", epoch,
                 w, x->name, (unsigned long long)D, (unsigned long long)x->seen);
        if (x->max_run > RUN_BOUND)
            fail("%s: a coalesced run of %d datagrams, more than the bound %d", x->name,
                 x->max_run, RUN_BOUND);
        T.dups += x->dup;
        if (gro_may_reorder) T.gro_reorders += x->reorder;
        else T.reorders += x->reorder;
        for (int g = 0; g < NGROUPS; g++) {
            if (x->seen_g[g] > (kind == PH_C ? per_group[g] : att_group[g]))
                fail("epoch %u %s window: %s got %llu datagrams of %s, %llu were sent", epoch, w,
                     x->name, (unsigned long long)x->seen_g[g], grp[g].addr,
                     (unsigned long long)(kind == PH_C ? per_group[g] : att_group[g]));
            if (x->holds[g]) due += per_group[g];
        }
        if (kind != PH_C) {
            T.f_deliv += D;
            T.f_drops += K;
            continue;
        }
        /* the accounting of a clean window */
        uint64_t acc = D + Fl + Q + K, lo, hi, un = 0;
        uint64_t slack = RUN_BOUND * pdrops;
        if (x->gro) {
            lo = D + Fl + Q + K;                       /* each drop: at least one datagram */
            hi = D + Fl + Q + RUN_BOUND * K + slack;  /* ... and at most a run of 64 */
        } else {
            lo = acc;
            hi = acc + slack;
        }
        if (due < lo) un = lo - due;
        else if (due > hi) un = due - hi;
        else if (due > hi - slack) T.path_lost += due - (hi - slack); /* within the allowance */
        if (un) {
            fail("epoch %u clean window (after %s): %s: sent %llu, delivered %llu + filtered %llu "
                 "+ queue drops %llu + kernel drops %llu (%s) -> %llu unaccounted (path drops %llu)",
                 epoch, cur_fault, x->name, (unsigned long long)due, (unsigned long long)D,
                 (unsigned long long)Fl, (unsigned long long)Q, (unsigned long long)K,
                 x->gro ? "GRO: bound x64" : "exact", (unsigned long long)un,
                 (unsigned long long)pdrops);
        }
        T.unaccounted += un;
        T.due += due;
        T.deliv += D;
        T.drops += K;
        T.filtered += Fl;
        x->t_sent += due;
        x->t_deliv += D;
        x->t_drops += K;
        x->t_filtered += Fl;
        x->t_qdrops += Q;
        x->t_trunc += s.truncated;
        x->t_coal += c.coalesced - x->c0 + x->ac;
    }
    if (kind == PH_C && drops_sum != rcvbuf)
        fail("epoch %u clean window: the listeners' kernel_drops add up to %llu, the kernel "
             "counted %llu socket drops (Udp/Udp6 RcvbufErrors + MemErrors)", epoch,
             (unsigned long long)drops_sum, (unsigned long long)rcvbuf);
    if (kind == PH_C && udp_err != rcvbuf)
        fail("epoch %u clean window: Udp InErrors rose by %llu, socket drops by %llu (other "
             "UDP receive errors)", epoch, (unsigned long long)udp_err,
             (unsigned long long)rcvbuf);
    window_begin(kind == PH_F ? PH_C : PH_F);
}

/* --- the clean phase: paced bursts --- */

void clean_phase(int ms) {
    int64_t end = now_ms() + ms;
    int slow_every = rnd_in(1, 8), n = 0;
    uint32_t burst = 0;
    doing("sending paced bursts");
    while (now_ms() < end && !STOP) {
        if (sender(OP_BURST, ++burst) < 0) return;
        T.bursts++;
        uint32_t want = rep.pacer_seq;
        int64_t t0 = now_ms(), wait_end = t0 + 3000;
        struct lst *pc = &L[L_PACE4];
        while (!(pc->have_pacer && pc->pacer >= want)) {
            if (now_ms() > wait_end) {   /* lost, or the receiving side starved: go on */
                T.pacer_timeouts++;
                fprintf(stderr, "soak: epoch %u burst %u: its last datagram did not reach %s "
                        "within 3 s\n", epoch, burst, pc->name);
                break;
            }
            pump(2, 0);
        }
        if (++n % slow_every == 0) pump(0, 1);
    }
}
