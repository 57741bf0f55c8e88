/* soak_sender.c - the sender process: traffic generation, answering the driver over the
 * socketpair (see soak.h). */
#include "soak.h"

/* The datagram */

static void build(uint8_t *buf, int stream, int phase, int group, uint32_t epoch, uint32_t seq,
                  uint32_t len, uint32_t arg) {
    struct hdr h;
    h.magic = SOAK_MAGIC;
    h.stream = (uint8_t)stream;
    h.phase = (uint8_t)phase;
    h.group = (uint8_t)group;
    h.pad = 0;
    h.epoch = epoch;
    h.seq = seq;
    h.len = len;
    h.arg = arg;
    h.sum = hdr_sum(&h);
    memcpy(buf, &h, sizeof h);
    for (size_t i = HDR_LEN; i < len; i++) buf[i] = payload_byte(&h, i);
}

static const int size_class[] = {HDR_LEN, 64, 200, 512, 1000, 1400, 1472, 2000, 3000};
#define NSIZES ((int)(sizeof size_class / sizeof size_class[0]))

/* skbs a datagram of len bytes makes on a link of that mtu (fragments). */
static int skbs_for(int len, int mtu) { return 1 + (len + 48) / (mtu > 0 ? mtu : 1500); }

/* ==================================================================================== */
/* The sender process                                                                   */

static volatile sig_atomic_t s_sigs;
static mc_poller *volatile s_stop_target;

static void sender_on_signal(int sig) {
    int e = errno;
    s_sigs++;
    if (sig == SIGUSR1 || s_sigs % 4 == 0) {
        mc_poller *p = s_stop_target;
        if (p) mc_stop(p);
    }
    errno = e;
}

struct mcsrc {                     /* one multicaster and what it is asked to send */
    int stream, group;
    mc_multicaster *m;
    int phase;
    uint32_t epoch, arg;
    int remaining, run_left, size;
    uint64_t handed;               /* handed to the library by next() */
    uint64_t sent0, failed0;       /* its counts already credited */
    uint8_t buf[MAX_DGRAM];
};

static struct {
    int ctl;
    mc_poller *p;
    struct mcsrc mc[3];
    mc_opts *opts6ll, *ctl6ll;
    uint32_t seq[NSTREAMS][NGROUPS];
    uint64_t att[NSTREAMS][NGROUPS], sent[NSTREAMS][NGROUPS];
    int32_t first_err[NSTREAMS];
    int free_run;
    uint32_t epoch;
    int mtu;
    uint8_t buf[MAX_DGRAM];
    char err[240];
} S;

static void s_error(int stream, int rc) {
    if (!S.first_err[stream]) S.first_err[stream] = rc ? rc : -1;
}

static int s_next(void *ud, const uint8_t **data, size_t *len) {
    struct mcsrc *m = ud;
    if (m->remaining <= 0) return MC_NEXT_WAIT;
    if (m->run_left <= 0) {        /* a run of equal sizes: one GSO send in the library */
        m->run_left = rnd_in(1, 40);
        m->size = size_class[rnd_in(0, NSIZES - 1)];
    }
    uint32_t seq = S.seq[m->stream][m->group]++;
    build(m->buf, m->stream, m->phase, m->group, m->epoch, seq, (uint32_t)m->size, m->arg);
    m->remaining--;
    m->run_left--;
    m->handed++;
    S.att[m->stream][m->group]++;
    *data = m->buf;
    *len = (size_t)m->size;
    return MC_NEXT_PACKET;
}

static int s_open_mc(struct mcsrc *m) {
    mc_opts *o = mc_opts_new();
    int rc = o ? 0 : MC_EINVAL;
    if (!rc) rc = mc_opts_set_group(o, grp[m->group].addr);
    if (!rc) rc = mc_opts_set_port(o, PORT);
    if (!rc) rc = mc_opts_set_interface(o, "mc1");
    if (!rc) rc = mc_opts_set_gso(o, m->stream == S_MC6LL ? 0 : 1);
    if (!rc) rc = mc_opts_set_loopback(o, 0);
    if (!rc) rc = mc_multicaster_new(S.p, o, s_next, m, &m->m);
    mc_opts_free(o);
    m->remaining = 0;
    m->run_left = 0;
    m->handed = m->sent0 = m->failed0 = 0;
    if (rc < 0) {
        snprintf(S.err, sizeof S.err, "mc_multicaster_new(%s): %d %s", grp[m->group].addr, rc,
                 mc_last_error());
        m->m = NULL;
    }
    return rc;
}

/* Credits what the multicasters sent since the last call; 1 when all handed are done. */
static int s_credit(void) {
    int done = 1;
    for (int i = 0; i < 3; i++) {
        struct mcsrc *m = &S.mc[i];
        uint64_t sent = 0, failed = 0;
        if (!m->m) continue;
        if (mc_multicaster_get_counts(m->m, &sent, &failed) < 0) continue;
        S.sent[m->stream][m->group] += sent - m->sent0;
        if (failed > m->failed0) s_error(m->stream, -1);
        m->sent0 = sent;
        m->failed0 = failed;
        if (sent + failed < m->handed) done = 0;
    }
    return done;
}

/* Polls the sender's poller until the multicasters sent all they were handed (3 s). */
static int s_flush(void) {
    int64_t end = now_ms() + 3000;
    while (!s_credit()) {
        if (now_ms() > end) {
            snprintf(S.err, sizeof S.err, "multicasters did not send what they were handed "
                     "within 3 s");
            return -1;
        }
        mc_poll(S.p, 5);
    }
    return 0;
}

static void s_plain(int stream, int group, int phase, uint32_t arg, int size) {
    uint32_t seq = S.seq[stream][group]++;
    int rc;
    build(S.buf, stream, phase, group, S.epoch, seq, (uint32_t)size, arg);
    S.att[stream][group]++;
    if (stream == S_OPTS6 || (stream == S_CTL && group == G_6L))
        rc = mc_sendto_opts(stream == S_OPTS6 ? S.opts6ll : S.ctl6ll, S.buf, (size_t)size);
    else
        rc = mc_sendto(S.buf, (size_t)size, grp[group].addr, PORT, 1);
    if (rc == size) S.sent[stream][group]++;
    else s_error(stream, rc);
}

static void s_many(int group, int phase, uint32_t arg, int count) {
    static uint8_t bufs[64][MAX_DGRAM];
    mc_buf b[64];
    int size = size_class[rnd_in(0, NSIZES - 1)];
    if (count > 64) count = 64;
    for (int i = 0; i < count; i++) {
        if (i && rnd() % 8 == 0) size = size_class[rnd_in(0, NSIZES - 1)];
        build(bufs[i], S_MANY4, phase, group, S.epoch, S.seq[S_MANY4][group]++, (uint32_t)size, arg);
        b[i].data = bufs[i];
        b[i].len = (size_t)size;
    }
    S.att[S_MANY4][group] += (uint64_t)count;
    int rc = mc_sendto_many(b, (size_t)count, grp[group].addr, PORT, 1);
    if (rc > 0) S.sent[S_MANY4][group] += (uint64_t)rc;
    if (rc != count) s_error(S_MANY4, rc < 0 ? rc : -1);
}

static int s_group4(void) {
    static const int g4[] = {G_A, G_B, G_S};
    int r = rnd_in(0, 3);
    return r < 3 ? g4[r] : G_M0 + rnd_in(0, NMANY - 1);
}

/* One burst: counts per stream from the RNG, until the skbs it may put on the link reach
   the budget; returns that estimate. It is the worst case: a GSO run may cross the veth as
   one skb, but one whose segments exceed the MTU goes out as fragmented datagrams. */
static int s_burst(int phase, uint32_t arg, int budget) {
    int skbs = 0, worst = skbs_for(MAX_DGRAM, S.mtu);
    for (int i = 0; i < 3; i++) {
        struct mcsrc *m = &S.mc[i];
        if (!m->m) continue;
        int n = rnd_in(0, 16);
        skbs += n * worst;
        m->phase = phase;
        m->epoch = S.epoch;
        m->arg = arg;
        m->remaining += n;
        mc_multicaster_resume(m->m);
    }
    while (skbs < budget) {
        int which = rnd_in(0, 4);
        int size = size_class[rnd_in(0, NSIZES - 1)];
        if (which == 0) s_plain(S_PLAIN4, s_group4(), phase, arg, size);
        else if (which == 1) {
            int n = rnd_in(1, 16);
            s_many(rnd_in(0, 2) ? G_B : G_M0 + rnd_in(0, NMANY - 1), phase, arg, n);
            skbs += n * worst;
            continue;
        } else if (which == 2) s_plain(S_PLAIN6, G_6A, phase, arg, size);
        else if (which == 3) s_plain(S_OPTS6, G_6L, phase, arg, size);
        else skbs += 2;
        skbs += skbs_for(size, S.mtu);
    }
    return skbs;
}

static void s_fill_counts(struct reply *r) {
    memcpy(r->attempted, S.att, sizeof S.att);
    memcpy(r->sent, S.sent, sizeof S.sent);
    memcpy(r->first_err, S.first_err, sizeof S.first_err);
    memset(S.att, 0, sizeof S.att);
    memset(S.sent, 0, sizeof S.sent);
    memset(S.first_err, 0, sizeof S.first_err);
}

static int s_open_all(void) {
    int rc = mc_poller_new(&S.p);
    if (rc < 0) {
        snprintf(S.err, sizeof S.err, "mc_poller_new: %d %s", rc, mc_last_error());
        return rc;
    }
    s_stop_target = S.p;
    for (int i = 0; i < 3 && rc >= 0; i++) rc = s_open_mc(&S.mc[i]);
    return rc;
}

void sender_main(int ctl, const char *peer_pid) {
    char path[64];
    struct sigaction sa;
    struct itimerval it;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    snprintf(path, sizeof path, "/proc/%s/ns/net", peer_pid);
    int ns = open(path, O_RDONLY);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
        fprintf(stderr, "soak sender: cannot enter the peer namespace %s\n", path);
        _exit(2);
    }
    close(ns);
    memset(&S, 0, sizeof S);
    S.ctl = ctl;
    S.mtu = 1500;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = sender_on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    it.it_interval.tv_sec = 0;
    it.it_interval.tv_usec = 7000;
    it.it_value = it.it_interval;
    setitimer(ITIMER_REAL, &it, NULL);
    S.mc[0].stream = S_MC4;
    S.mc[0].group = G_A;
    S.mc[1].stream = S_MC6;
    S.mc[1].group = G_6A;
    S.mc[2].stream = S_MC6LL;
    S.mc[2].group = G_6L;

    for (;;) {
        struct cmd c;
        struct reply r;
        struct pollfd pf = {ctl, POLLIN, 0};
        int n = poll(&pf, 1, S.free_run ? 0 : 20);
        if (n < 0 && errno != EINTR) _exit(2);
        if (S.free_run) {
            s_burst(PH_F, 0, 24);
            mc_poll(S.p, 1);
            s_credit();
        } else if (S.p) {
            mc_poll(S.p, 0);
        }
        if (n <= 0) continue;
        if (pf.revents & (POLLHUP | POLLERR) && !(pf.revents & POLLIN)) _exit(0);
        if (msg_recv(ctl, &c, sizeof c) != 0) _exit(0);
        memset(&r, 0, sizeof r);
        r.op = c.op;
        S.err[0] = 0;
        switch (c.op) {
        case OP_HELLO:
            rng_state = c.seed ^ 0x9e3779b97f4a7c15ULL;
            S.opts6ll = mc_opts_new();
            S.ctl6ll = mc_opts_new();
            r.rc = 0;
            for (int i = 0; i < 2 && r.rc >= 0; i++) {
                mc_opts *o = i ? S.ctl6ll : S.opts6ll;
                r.rc = mc_opts_set_group(o, grp[G_6L].addr);
                if (r.rc >= 0) r.rc = mc_opts_set_port(o, PORT);
                if (r.rc >= 0) r.rc = mc_opts_set_interface(o, "mc1");
            }
            if (r.rc < 0) snprintf(S.err, sizeof S.err, "opts for %s on mc1: %s",
                                   grp[G_6L].addr, mc_last_error());
            if (r.rc >= 0) r.rc = s_open_all();
            break;
        case OP_FREE:
            S.epoch = c.epoch;
            S.free_run = 1;
            break;
        case OP_STOP:
            S.free_run = 0;
            for (int i = 0; i < 3; i++) S.mc[i].remaining = 0;
            r.rc = s_flush();
            break;
        case OP_BURST:
            S.epoch = c.epoch;
            S.mtu = (int)c.mtu;
            r.skbs = (uint32_t)s_burst(PH_C, c.arg, INFLIGHT_SKBS - 4);
            r.rc = s_flush();
            /* the pacer: the burst's last datagram, which the driver waits for */
            r.pacer_seq = S.seq[S_CTL][G_A];
            s_plain(S_CTL, G_A, PH_P, c.arg, 64);
            break;
        case OP_BARRIER:
            S.epoch = c.epoch;
            for (int g = 0; g < NGROUPS; g++) s_plain(S_CTL, g, PH_B, c.arg, 64);
            break;
        case OP_WINDOW:
            r.rc = s_flush();
            s_fill_counts(&r);
            break;
        case OP_MCAST_CHURN:   /* closed mid-traffic (what they hold may be dropped) */
            s_credit();
            for (int i = 0; i < 3 && r.rc >= 0; i++) {
                if (c.arg & (1u << i)) {
                    mc_multicaster_close(S.mc[i].m);
                    if (mc_multicaster_resume(S.mc[i].m) != MC_ECLOSED) {
                        snprintf(S.err, sizeof S.err, "a closed multicaster's handle did not "
                                 "answer MC_ECLOSED");
                        r.rc = -1;
                        break;
                    }
                    r.rc = s_open_mc(&S.mc[i]);
                }
            }
            break;
        case OP_POLLER_CHURN:  /* the poller freed with its multicasters, then made anew */
            s_credit();
            s_stop_target = NULL;
            mc_poller_free(S.p);
            for (int i = 0; i < 3; i++)
                if (mc_multicaster_resume(S.mc[i].m) != MC_ECLOSED) r.rc = -1;
            if (r.rc < 0)
                snprintf(S.err, sizeof S.err, "a multicaster of a freed poller did not answer "
                         "MC_ECLOSED");
            if (r.rc >= 0) r.rc = s_open_all();
            break;
        case OP_STATS:
            r.fds = count_fds();
            r.rss = rss_bytes();
            r.tx_drops = netdev_col("mc1", 11);
            r.sigs = (uint64_t)s_sigs;
            break;
        case OP_QUIT:
            s_stop_target = NULL;
            mc_poller_free(S.p);
            mc_opts_free(S.opts6ll);
            mc_opts_free(S.ctl6ll);
            msg_send(ctl, &r, sizeof r);
            _exit(0);
        default:
            r.rc = -1;
            snprintf(S.err, sizeof S.err, "unknown command %u", c.op);
        }
        if (r.rc < 0 && !r.text[0]) snprintf(r.text, sizeof r.text, "%s", S.err);
        if (msg_send(ctl, &r, sizeof r) != 0) _exit(0);
    }
}

/* ==================================================================================== */
