/* soak_faults.c - the network through ip (and ethtool where installed), and the faults
 * (see soak.h). */
#include "soak.h"

/* --- the network, through ip (and ethtool where installed) --- */

static void sh(const char *what, const char *fmt, ...) {
    char script[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(script, sizeof script, fmt, ap);
    va_end(ap);
    if (verbose) fprintf(stderr, "soak: + %s\n", script);
    int rc = system(script);
    if (rc != 0) fail("%s: the command failed (status %d): %s", what, rc, script);
}

/* mc0 and mc1 as tests/netns-veth makes them, plus the soak's settings: the MTU, GRO with
   threaded NAPI on mc0 and TSO off on mc1 (a veth hands datagrams to GRO only so). All
   idempotent: after a re-creation, a down/up (IPv6 addresses are gone then) or at start. */
void configure(const char *what, int create, int rx, int tx) {
    char gro[256] = "", tso[128] = "";
    if (have_ethtool) {
        snprintf(gro, sizeof gro, "ethtool -K mc0 gro on >/dev/null 2>&1 && "
                 "echo 1 > /sys/class/net/mc0/threaded\n");
        snprintf(tso, sizeof tso, "ethtool -K mc1 tso off >/dev/null 2>&1\n");
    }
    if (create)
        sh(what, "set -e\nip link add name mc0 type veth peer name mc1 netns %s\n"
           "ip link set mc0 addrgenmode none\n", peer_pid);
    if (rx)
        sh(what, "set -e\nip -batch - <<EOB\nlink set mc0 mtu %d\naddr replace 192.0.2.1/24 dev mc0\n"
           "addr replace fd42::1/64 dev mc0 nodad\naddr replace fe80::1/64 dev mc0 nodad\n"
           "link set mc0 up\nroute replace 224.0.0.0/4 dev mc0\nEOB\n%s", cur_mtu, gro);
    if (tx)
        sh(what, "set -e\nnsenter -t %s -n sh -ec '\n"
           "%sip -batch - <<EOB\nlink set mc1 mtu %d\naddr replace 192.0.2.2/24 dev mc1\n"
           "addr replace 192.0.2.3/24 dev mc1\naddr replace fd42::2/64 dev mc1 nodad\n"
           "addr replace fd42::3/64 dev mc1 nodad preferred_lft 0\n"
           "addr replace fe80::2/64 dev mc1 nodad\nlink set mc1 up\n"
           "route replace 224.0.0.0/4 dev mc1\nEOB\n%s'\n", peer_pid,
           create ? "ip link set mc1 addrgenmode none\n" : "", cur_mtu, tso);
}

/* --- faults --- */

const char *const fault_name[NFAULTS] = {
    "recreate", "rx-down-up", "tx-down-up", "mtu", "groups", "block-source", "listeners",
    "pollers", "multicasters", "new-iface", "signals"};

static void hold(void) { pump_for(rnd_in(10, 60)); }

static void fault_recreate(void) {
    int wj[NLIST], wl[NLIST];
    for (int i = 0; i < NLIST; i++) {
        wl[i] = L[i].told_left + 1;
        wj[i] = L[i].told_joined + 1;
    }
    sh("recreate", "ip link del mc0");
    path_valid = 0;
    if (rnd() % 2) {           /* half the time the listeners see the loss first */
        settle("recreate (deleted)", NULL, wl);
        hold();
    }
    configure("recreate", 1, 1, 1);
    settle("recreate", wj, wl);
}

static void fault_downup(int rx) {
    mc_listener_counts before[NLIST];
    int tj[NLIST], tl[NLIST];
    for (int i = 0; i < NLIST; i++) {
        before[i] = counts_of(&L[i]);
        tj[i] = L[i].told_joined;
        tl[i] = L[i].told_left;
    }
    if (rx) sh("rx-down-up", "ip link set mc0 down");
    else sh("tx-down-up", "nsenter -t %s -n ip link set mc1 down", peer_pid);
    hold();
    configure(rx ? "rx-down-up" : "tx-down-up", 0, rx, !rx);
    settle(rx ? "rx-down-up" : "tx-down-up", NULL, NULL);
    /* a plain down/up keeps memberships (the kernel does): nothing to tell, nothing to do */
    for (int i = 0; i < NLIST; i++) {
        mc_listener_counts c = counts_of(&L[i]);
        if (c.joins != before[i].joins || c.leaves != before[i].leaves || L[i].told_joined != tj[i] ||
            L[i].told_left != tl[i])
            fail("fault %s: listener %s changed memberships on a plain down/up: joins %llu -> %llu, "
                 "leaves %llu -> %llu, told joined %d -> %d, left %d -> %d",
                 rx ? "rx-down-up" : "tx-down-up", L[i].name,
                 (unsigned long long)before[i].joins, (unsigned long long)c.joins,
                 (unsigned long long)before[i].leaves, (unsigned long long)c.leaves, tj[i],
                 L[i].told_joined, tl[i], L[i].told_left);
    }
}

static void fault_mtu(void) {
    static const int mtus[] = {1280, 1500, 2000, 4000, 9000};
    int m;
    do m = mtus[rnd_in(0, 4)]; while (m == cur_mtu);
    if (m < mtu_lo) mtu_lo = m;      /* before the first datagram sees it */
    if (m > mtu_hi) mtu_hi = m;
    /* the sender's side first when the MTU shrinks, the receiver's first when it grows,
       so that no datagram is larger than what the receiving end takes */
    if (m < cur_mtu) {
        sh("mtu", "nsenter -t %s -n ip link set mc1 mtu %d", peer_pid, m);
        hold();
        sh("mtu", "ip link set mc0 mtu %d", m);
    } else {
        sh("mtu", "ip link set mc0 mtu %d", m);
        hold();
        sh("mtu", "nsenter -t %s -n ip link set mc1 mtu %d", peer_pid, m);
    }
    cur_mtu = m;
    settle("mtu", NULL, NULL);
}

static void fault_groups(void) {
    struct lst *m = &L[L_MANY4], *s = &L[L_STAR4];
    int k = rnd_in(1, 8), dropped[8], n = 0, rc;
    /* many4's groups past the kernel's per-socket limit have a socket of their own, which
       dropping and adding them closes and opens */
    rx_sockets_changed |= RX_V4;
    for (int i = 0; i < k; i++) {
        int g = G_M0 + rnd_in(0, NMANY - 1);
        if (!m->holds[g]) continue;
        rc = mc_listener_drop_group(m->l, grp[g].addr, NULL);
        if (rc != 0) fail("mc_listener_drop_group(%s, %s): %d %s", m->name, grp[g].addr, rc,
                          mc_last_error());
        m->holds[g] = 0;
        dropped[n++] = g;
    }
    if (n && (rc = mc_listener_drop_group(m->l, grp[dropped[0]].addr, NULL)) != MC_ENOTFOUND)
        fail("dropping %s twice: %d, want MC_ENOTFOUND", grp[dropped[0]].addr, rc);
    if ((rc = mc_listener_group_count(m->l)) != NMANY - n)
        fail("%s: mc_listener_group_count %d, want %d", m->name, rc, NMANY - n);
    rc = mc_listener_drop_group(s->l, grp[G_B].addr, NULL);
    if (rc != 0) fail("mc_listener_drop_group(%s, %s): %d", s->name, grp[G_B].addr, rc);
    s->holds[G_B] = 0;
    settle("groups (dropped)", NULL, NULL);
    hold();
    for (int i = 0; i < n; i++) {
        rc = mc_listener_add_group(m->l, grp[dropped[i]].addr, NULL);
        if (rc != 0) fail("mc_listener_add_group(%s, %s): %d %s", m->name, grp[dropped[i]].addr,
                          rc, mc_last_error());
        m->holds[dropped[i]] = 1;
    }
    if ((rc = mc_listener_add_group(m->l, grp[G_M0].addr, NULL)) != MC_EEXIST)
        fail("adding %s twice: %d, want MC_EEXIST", grp[G_M0].addr, rc);
    rc = mc_listener_add_group(s->l, grp[G_B].addr, NULL);
    if (rc != 0) fail("mc_listener_add_group(%s, %s): %d", s->name, grp[G_B].addr, rc);
    s->holds[G_B] = 1;
    settle("groups", NULL, NULL);
}

/* FAULT_BLOCK_SOURCE - star4 blocks the peer's address (the only sender) on G_B while
 * traffic flows: once what was queued before the block is read, star4 gets nothing more
 * of G_B (dflt4 and pull4, which hold G_B too, keep getting it); then it unblocks, and the
 * clean window that follows accounts star4's G_B as usual. */
int blocked_idle; /* block-source faults during which the peer sent nothing to G_B */

static void fault_block_source(void) {
    struct lst *s = &L[L_STAR4];
    const char *g = grp[G_B].addr;
    int rc;
    uint64_t mine, others;
    if (!s->holds[G_B]) return;
    if ((rc = mc_listener_block_source(s->l, g, peer_addr4)) != 0)
        fail("mc_listener_block_source(%s, %s, %s): %d %s", s->name, g, peer_addr4, rc,
             mc_last_error());
    if ((rc = mc_listener_block_source(s->l, g, peer_addr4)) != MC_EEXIST)
        fail("blocking %s on %s twice: %d, want MC_EEXIST", peer_addr4, g, rc);
    pump_for(20);                  /* what was queued before the block is read */
    mine = s->seen_g[G_B];
    others = L[L_DFLT4].seen_g[G_B];
    hold();
    if (L[L_DFLT4].seen_g[G_B] == others)
        blocked_idle++;            /* no G_B traffic in this hold: nothing was shown */
    if (s->seen_g[G_B] != mine)
        fail("block-source: %s got %llu datagrams of %s from the blocked %s", s->name,
             (unsigned long long)(s->seen_g[G_B] - mine), g, peer_addr4);
    if ((rc = mc_listener_unblock_source(s->l, g, peer_addr4)) != 0)
        fail("mc_listener_unblock_source(%s, %s, %s): %d %s", s->name, g, peer_addr4, rc,
             mc_last_error());
    if ((rc = mc_listener_unblock_source(s->l, g, peer_addr4)) != MC_ENOTFOUND)
        fail("unblocking %s on %s twice: %d, want MC_ENOTFOUND", peer_addr4, g, rc);
    settle("block-source", NULL, NULL);
}

static void fault_listeners(void) {
    int a = rnd_in(0, NLIST - 1), b = rnd_in(0, NLIST - 1);
    close_listener(&L[a]);
    hold();
    open_listener(&L[a]);
    if (b != a) {
        close_listener(&L[b]);
        open_listener(&L[b]);
    }
    /* and a short-lived one: created, fed, closed within the fault */
    mc_opts *o = mc_opts_new();
    mc_listener *t = NULL;
    struct lst tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.name = "temporary";
    tmp.mtu = 4096;
    mc_opts_set_group(o, grp[G_A].addr);
    mc_opts_set_port(o, PORT);
    mc_opts_set_gro(o, (int)(rnd() % 2));
    rx_sockets_changed |= rx_group_family(G_A);
    int rc = mc_listener_new(fastp, o, on_packet, &tmp, &t);
    mc_opts_free(o);
    if (rc < 0) fail("mc_listener_new(temporary): %d %s", rc, mc_last_error());
    hold();
    mc_listener_close(t);
    settle("listeners", NULL, NULL);
}

static void fault_pollers(int which) {
    sigset_t set, old;
    if (which % 3 == 2) {              /* the sender's poller and its multicasters */
        sender(OP_POLLER_CHURN, 0);
        return;
    }
    int slow = which % 3 == 1;
    mc_poller **pp = slow ? &slowp : &fastp;
    mc_listener *some = NULL;
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    sigprocmask(SIG_BLOCK, &set, &old);  /* the handler must not stop a freed poller */
    g_stop_target = NULL;
    sigprocmask(SIG_SETMASK, &old, NULL);
    for (int i = 0; i < NLIST; i++)
        if (L[i].slow == slow) {
            some = L[i].l;
            retire(&L[i]);
        }
    mc_poller_free(*pp);               /* closes its listeners */
    mc_listener_stats s;
    if (some && mc_listener_get_stats(some, &s) != MC_ECLOSED)
        fail("a listener of a freed poller did not answer MC_ECLOSED");
    *pp = NULL;
    int rc = mc_poller_new(pp);
    if (rc < 0) {
        fail("mc_poller_new: %d %s", rc, mc_last_error());
        return;
    }
    g_stop_target = fastp;
    for (int i = 0; i < NLIST; i++)
        if (L[i].slow == slow) {
            L[i].l = NULL;
            open_listener(&L[i]);
        }
    settle("pollers", NULL, NULL);
}

static void fault_new_iface(void) {
    int n_star = 0;
    for (int i = 0; i < NLIST; i++) n_star += L[i].ifkind == IF_STAR;
    int wj[NLIST], wl[NLIST];
    for (int i = 0; i < NLIST; i++) {
        wj[i] = L[i].told_joined + (L[i].ifkind == IF_STAR);
        wl[i] = L[i].told_left + (L[i].ifkind == IF_STAR);
    }
    sh("new-iface", "set -e\nip link add name mc5 type veth peer name mc6 netns %s\n"
       "ip link set mc5 up\nnsenter -t %s -n ip link set mc6 up\n", peer_pid, peer_pid);
    settle("new-iface (added)", wj, NULL);
    hold();
    sh("new-iface", "ip link del mc5");
    settle("new-iface (deleted)", wj, wl);
    (void)n_star;
}

void idle_read(void *ud, int fd) {
    (void)ud;
    (void)fd;
    fail("signals: the idle pipe's callback ran");
}

static void fault_signals(void) {
    /* a storm: SIGALRM every 200 us while reading, SIGUSR1 to the sender */
    set_tick(200);
    int64_t end = now_ms() + 100;
    while (now_ms() < end) {
        pump(1, 1);
        kill(g_sender, SIGUSR1);
    }
    set_tick(TICK_US);
    /* EINTR: mc_poll on an idle poller returns 0 at the next tick, long before its timeout */
    int64_t t0 = now_ms();
    int rc = mc_poll(sigp, 3000);
    int64_t dt = now_ms() - t0;
    if (rc != 0 || dt > 1000)
        fail("signals: mc_poll(idle, 3000) interrupted by a signal returned %d after %lld ms "
             "(want 0, promptly)", rc, (long long)dt);
    /* mc_stop from a signal handler ends a blocked mc_loop */
    g_stop_target = sigp;
    g_stop_armed = 1;
    t0 = now_ms();
    rc = mc_loop(sigp, -1, 0);
    dt = now_ms() - t0;
    g_stop_armed = 0;
    g_stop_target = fastp;
    if (rc != 0 || dt > 1000)
        fail("signals: mc_loop(idle, -1) stopped by mc_stop in a signal handler returned %d "
             "after %lld ms (want 0, promptly)", rc, (long long)dt);
    settle("signals", NULL, NULL);
}

void apply_fault(int f, int occurrence) {
    cur_fault = fault_name[f];
    doing(fault_name[f]);
    T.faults[f]++;
    switch (f) {
    case FAULT_RECREATE: fault_recreate(); break;
    case FAULT_RX_DOWNUP: fault_downup(1); break;
    case FAULT_TX_DOWNUP: fault_downup(0); break;
    case FAULT_MTU: fault_mtu(); break;
    case FAULT_GROUPS: fault_groups(); break;
    case FAULT_BLOCK_SOURCE: fault_block_source(); break;
    case FAULT_LISTENERS: fault_listeners(); break;
    case FAULT_POLLERS: fault_pollers(occurrence); break;
    case FAULT_MULTICASTERS:
        hold();
        sender(OP_MCAST_CHURN, (uint32_t)rnd_in(1, 7));
        hold();
        break;
    case FAULT_NEW_IFACE: fault_new_iface(); break;
    case FAULT_SIGNALS: fault_signals(); break;
    }
}
