/* soak.c - libmulticast under faults, for as long as you like (`make soak MINUTES=N`).
 *
 * Runs ONLY inside tests/netns-run + tests/netns-veth (it refuses anywhere else): mc0 is
 * here, its veth peer mc1 lives in the peer namespace MC_PEER_PID. Two processes, both
 * linked to libmulticast.so and using only <multicast.h>:
 *
 *   the listener process (this one, in mc0's namespace): ten listeners on two pollers
 *     (IPv4 and IPv6, GRO on and off, named / "*" / the system's choice / SSM, one with
 *     24 groups over two sockets, a filter, truncation, pull mode, tiny receive buffers on
 *     the "slow" poller, which is read only now and then so that the kernel drops), and
 *     the fault driver (ip, ethtool, the library's own calls, signals). Before use, mc0
 *     gets GRO with threaded NAPI and mc1 TSO off where ethtool is installed (a veth hands
 *     locally sent datagrams to GRO only so); what was probed is printed;
 *   the sender process (forked before the library is used, moved into the peer namespace
 *     with setns): GSO multicasters (IPv4, IPv6, ff02:: without GSO), mc_sendto,
 *     mc_sendto_many (GSO runs), mc_sendto_opts, answering the driver over a socketpair.
 *
 * Every datagram starts with a header (magic, stream, phase, group, epoch, seq per
 * (stream, group), length, a checksum) and a payload derived from it, so each one is
 * checked whole: bytes, length, truncation, group, sender order, duplicates. Sender order
 * is per sending socket, stream and group, and separately for datagrams that were
 * fragmented and those that were not: under GRO the kernel delivers a reassembled
 * datagram at once while earlier unfragmented ones of the same flow still wait in its GRO
 * list (seen here: seq 189 of 3000 B before 186..188 of 200 B, on every GRO socket alike).
 *
 * Time runs in epochs. Each epoch:
 *   F (fault) window: the sender sends freely (no pacing) while ONE fault is applied (round
 *     robin over the list below; its parameters come from a seeded RNG, the seed printed
 *     at the start), then the driver waits for interface following to settle (the
 *     listeners' mc_iface_fn and mc_listener_get_counts joins/leaves, bounded, no sleeps).
 *     Datagrams sent while a fault is active are NOT accounted by design (an interface that
 *     is down loses them); they are checked only for bytes, order, duplicates and for
 *     never being delivered more often than sent.
 *   C (clean) window: paced bursts of numbered datagrams from every sender: each burst
 *     puts at most ~210 skbs on the link (counted for the worst case: fragments, GSO runs
 *     that fall back to plain sends), and the next one starts only once its last
 *     datagram reached the pacing listener (or 3 s passed: lost, or the receiving side
 *     starved), so the veth's 256-slot ring does not overflow;
 *     the slow poller is read only every few bursts, so its listeners overflow and the
 *     kernel drops.
 *   Each window ends at a quiet point: "barrier" datagrams to every group, repeated until
 *   one round reached every listener on every group (this is also the check that every
 *   listener receives again after the fault), then 20 ms without a packet. Nothing is in
 *   flight then and every kernel drop is counted, so the window's counts close exactly:
 *     GRO off:  delivered + filtered + queue_drops + kernel_drops == sent to it
 *     GRO on:   delivered + ... + kernel_drops <= sent <= delivered + ... + 64 x kernel_drops
 *               (the kernel counts a dropped coalesced run once; a run holds at most 64
 *               datagrams: UDP_GRO_CNT_MAX, and the library's UDP_SEGMENT sends carry at
 *               most 64; the largest run seen, measured with receive timestamps, is checked
 *               against the 64 too)
 *   plus: the sum of kernel_drops over all listeners equals the kernel's own count of
 *   socket drops (/proc/net/snmp{,6} Udp RcvbufErrors + MemErrors) over the window.
 *   Drops before any socket ("path drops": mc0 receive and mc1 transmit drops in
 *   /proc/net/dev, Ip/Ip6 InDiscards) are read from the kernel for every clean window;
 *   with the pacing there should be none, and a window that has some may miss up to 64
 *   datagrams per such drop per listener (printed, with how many were missing; without
 *   path drops the checks above are exact). Reassembly failures are not path drops of
 *   the window: the kernel counts them when a reassembly times out, 30 s after the loss.
 *
 * Faults: the veth pair deleted and re-created; mc0 (receiver) down and up; mc1 (sender)
 * down and up; MTU changes (1280..9000: GSO segments then exceed the MTU, datagrams get
 * fragmented); groups dropped and re-added; [blocking sources: a 0.3 API, see
 * FAULT_BLOCK_SOURCE]; listeners closed and re-created; pollers freed and re-created
 * (both processes); multicasters closed mid-traffic and re-created; a new interface that
 * comes and goes ("*" listeners join and leave); a signal storm (SIGALRM at 5 kHz, SIGUSR1
 * to the sender, mc_stop from a signal handler ending a blocked mc_poll and mc_loop).
 * SIGALRM also ticks every 5 ms all the time in both processes, interrupting mc_poll
 * (EINTR returns 0) and, every 8th tick, calling mc_stop from the handler.
 *
 * fds and anonymous RSS (RssAnon: not the library's code pages) of both processes are read
 * at every epoch boundary; after a warm-up (two full rounds of faults, or 40% of the run
 * if shorter) no boundary may exceed the warm-up's highest fd count, nor its highest RSS
 * by more than 4 MiB. The 4 MiB are what the library legitimately holds more or less of
 * at a quiet point, depending on the traffic since its objects were made: a multicaster
 * keeps its largest send batch (up to ~1 MiB each, three here), a poller its receive
 * buffers; measured over 5-minute runs: 0.8-3.2 MiB (sender), 2.0-3.4 MiB (listeners),
 * reached at random epochs, not growing. A leak of a byte per datagram (tens of millions
 * per run) still shows, or of ~4 KiB per epoch in 10 minutes (~1000 epochs). At the end,
 * with every poller freed, the listener process has the fds it had before the first call.
 * glibc's mmap threshold is pinned at 128 KiB in both processes so that the RSS tells
 * live memory, not heap fragmentation left by the big buffers every new poller makes. The pull-mode listener has a small receive buffer: a
 * drained pull queue keeps the memory of its largest backlog until the listener closes
 * (up to 4096 x the datagram size), which would make RSS depend on the worst backlog.
 *
 * A failed check does not end the run (its figures are worth having, and every wait is
 * bounded): each kind of failed check is printed the first 3 times and counted, the end
 * lists them, and the summary line names the first. The run ends early only if the sender
 * process is gone, or with --stop-at-first. A watchdog ends a run that makes no progress
 * for 60 s.
 *
 * Usage: soak [--seconds S | --minutes M] [--epochs N] [--seed N] [--verbose] [--stop-at-first]
 *        (also SOAK_SECONDS, SOAK_SEED). Runs S seconds (default 60), or N epochs if given
 *        (S then only bounds it). Prints one summary line; exit 0 on PASS, 1 with the
 *        first failing check named, 2 for a bad setup, 3 for a hang (watchdog). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "multicast.h"

/* ------------------------------------------------------------------------------------ */
/* Constants                                                                            */

#define PORT 19000
#define NMANY 24              /* groups of the many-groups listener: > 20, two sockets */
#define RUN_BOUND 64          /* most datagrams in one coalesced run (see the header)   */
#define HDR_LEN 28
#define MAX_DGRAM 3000
#define SOAK_MAGIC 0x4b414f53u /* "SOAK" */
#define ORDER_CAP 2048        /* order keys per listener per window (power of two)     */
#define TICK_US 5000          /* the SIGALRM tick                                       */
#define SETTLE_MS 5000        /* bound on every wait for following/barriers             */
#define QUIET_MS 20
#define INFLIGHT_SKBS 160     /* per paced burst; the veth ring has 256 slots           */
#define RSS_SLACK (4096 * 1024) /* see the header: fds and RSS */

enum { PH_F = 1, PH_C = 2, PH_B = 3, PH_P = 4 }; /* fault, clean, barrier, pacer */

enum { G_A, G_B, G_S, G_6A, G_6L, G_M0, NGROUPS = G_M0 + NMANY };
struct group {
    char addr[48];
    int v6;
    uint8_t bin[16];
};
static struct group grp[NGROUPS];

enum { S_MC4, S_MC6, S_MC6LL, S_PLAIN4, S_MANY4, S_PLAIN6, S_OPTS6, S_CTL, NSTREAMS };
static const char *const stream_name[NSTREAMS] = {
    "multicaster4 (GSO)", "multicaster6 (GSO)", "multicaster6 ff02 (no GSO)", "mc_sendto4",
    "mc_sendto_many4",    "mc_sendto6",         "mc_sendto_opts6 ff02",       "control"};

static const char *peer_addr4 = "192.0.2.2"; /* the sender's source (SSM) */

/* ------------------------------------------------------------------------------------ */
/* Small helpers                                                                        */

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
static int64_t now_ms(void) { return now_ns() / 1000000; }

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void) {
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 2685821657736338717ULL;
}
static int rnd_in(int lo, int hi) { return lo + (int)(rnd() % (uint64_t)(hi - lo + 1)); }

static int count_fds(void) {
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    if (!d) return -1;
    while ((e = readdir(d))) n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the DIR's own fd */
}

/* Anonymous resident memory (RssAnon of /proc/self/status: heap, stacks, anonymous
   mappings), the part a leak grows; file-backed pages (the library's code, which becomes
   resident as rarer paths first run) are left out. */
static long rss_bytes(void) {
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %ld kB", &kb) == 1) break;
    fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

/* A column of /proc/net/dev for one interface (of the calling process's namespace):
   col 3 = receive drop, col 11 = transmit drop (0-based after the name). */
static uint64_t netdev_col(const char *ifname, int col) {
    char line[512];
    uint64_t v = 0;
    FILE *f = fopen("/proc/net/dev", "r");
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        char *c = strchr(line, ':');
        char *s = line;
        if (!c) continue;
        while (*s == ' ') s++;
        if ((size_t)(c - s) != strlen(ifname) || strncmp(s, ifname, strlen(ifname)) != 0) continue;
        s = c + 1;
        for (int i = 0; i <= col; i++) {
            char *end;
            unsigned long long x = strtoull(s, &end, 10);
            if (end == s) break;
            if (i == col) v = x;
            s = end;
        }
    }
    fclose(f);
    return v;
}

/* A counter of /proc/net/snmp ("Udp", "RcvbufErrors") or /proc/net/snmp6 ("Udp6RcvbufErrors"). */
static uint64_t snmp(const char *proto, const char *name) {
    char head[2048], vals[2048];
    uint64_t v = 0;
    FILE *f = fopen("/proc/net/snmp", "r");
    if (!f) return 0;
    while (fgets(head, sizeof head, f) && fgets(vals, sizeof vals, f)) {
        size_t pl = strlen(proto);
        if (strncmp(head, proto, pl) != 0 || head[pl] != ':') continue;
        char *hs = head + pl + 1, *vs = vals + pl + 1, *hsave, *vsave;
        char *h = strtok_r(hs, " \n", &hsave), *x = strtok_r(vs, " \n", &vsave);
        while (h && x) {
            if (strcmp(h, name) == 0) v = strtoull(x, NULL, 10);
            h = strtok_r(NULL, " \n", &hsave);
            x = strtok_r(NULL, " \n", &vsave);
        }
        break;
    }
    fclose(f);
    return v;
}
static uint64_t snmp6(const char *name) {
    char key[128];
    unsigned long long x;
    uint64_t v = 0;
    FILE *f = fopen("/proc/net/snmp6", "r");
    if (!f) return 0;
    while (fscanf(f, "%127s %llu", key, &x) == 2)
        if (strcmp(key, name) == 0) v = x;
    fclose(f);
    return v;
}

/* Reads and writes on the socketpair, whole messages, EINTR retried. */
static int msg_send(int fd, const void *m, size_t len) {
    for (;;) {
        ssize_t n = send(fd, m, len, MSG_NOSIGNAL);
        if (n == (ssize_t)len) return 0;
        if (n < 0 && errno == EINTR) continue;
        return -1;
    }
}
static int msg_recv(int fd, void *m, size_t len) {
    for (;;) {
        ssize_t n = recv(fd, m, len, 0);
        if (n == (ssize_t)len) return 0;
        if (n < 0 && errno == EINTR) continue;
        return -1;
    }
}

/* ------------------------------------------------------------------------------------ */
/* The datagram                                                                         */

struct hdr {
    uint32_t magic;
    uint8_t stream, phase, group, pad;
    uint32_t epoch, seq, len, arg, sum;
};

static uint32_t hdr_sum(const struct hdr *h) {
    uint32_t s = 2166136261u;
    uint32_t w[6] = {h->magic, (uint32_t)h->stream | (uint32_t)h->phase << 8 |
                                   (uint32_t)h->group << 16 | (uint32_t)h->pad << 24,
                     h->epoch, h->seq, h->len, h->arg};
    for (int i = 0; i < 6; i++) s = (s ^ w[i]) * 16777619u;
    return s;
}

static uint8_t payload_byte(const struct hdr *h, size_t i) {
    return (uint8_t)(h->seq * 131u + (uint32_t)i * 7u + h->stream * 17u + h->group);
}

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

/* ------------------------------------------------------------------------------------ */
/* Messages between the driver and the sender                                           */

enum { OP_HELLO = 1, OP_FREE, OP_STOP, OP_BURST, OP_BARRIER, OP_WINDOW, OP_MCAST_CHURN,
       OP_POLLER_CHURN, OP_STATS, OP_QUIT };

struct cmd {
    uint32_t op, epoch, arg, mtu;
    uint64_t seed;
};

struct reply {
    uint32_t op;
    int32_t rc;           /* < 0: the sender failed: text says why */
    uint32_t pacer_seq;   /* OP_BURST: the seq of the burst's last (pacer) datagram */
    uint32_t skbs;
    int64_t fds, rss;     /* OP_STATS */
    uint64_t tx_drops;    /* mc1's transmit drops (/proc/net/dev in the peer namespace) */
    uint64_t sigs;
    uint64_t attempted[NSTREAMS][NGROUPS]; /* OP_WINDOW: since the last OP_WINDOW */
    uint64_t sent[NSTREAMS][NGROUPS];
    int32_t first_err[NSTREAMS];
    char text[240];
};

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

static void sender_main(int ctl, const char *peer_pid) {
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
/* The listener process and fault driver                                                */

static int verbose, stop_at_first, fatal;
static char first_failure[512];
static int failed;
/* A failed check does not end the run (its figures are worth having; every wait is
   bounded): the sender gone, or --stop-at-first, do. */
#define STOP (fatal || (failed && stop_at_first))

/* Failed checks by kind (the call site's format): each kind is printed the first 3 times
   and counted after that; the end lists them all. */
#define MAX_KINDS 64
static struct {
    const char *fmt;
    int n;
    char first[512];
} kinds[MAX_KINDS];
static int nkinds;

static void fail(const char *fmt, ...) {
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

/* --- signals and the watchdog --- */

static volatile sig_atomic_t g_sigs;
static mc_poller *volatile g_stop_target;
static volatile sig_atomic_t g_stop_armed;
static volatile int64_t g_deadline_ns;
static const char *volatile g_doing = "starting";
static pid_t g_sender = -1;

static void put(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    if (write(2, s, n) < 0) { /* nothing to do */ }
}

static void on_alarm(int sig) {
    int e = errno;
    (void)sig;
    g_sigs++;
    mc_poller *p = g_stop_target;   /* never NULL: that would be the default poller */
    if (p && g_stop_armed) {
        g_stop_armed = 0;
        mc_stop(p);
    } else if (p && g_sigs % 8 == 0) {
        mc_stop(p);
    }
    if (g_deadline_ns && now_ns() > g_deadline_ns) {
        put("soak: FAIL: watchdog: no progress for 60 s while ");
        put(g_doing);
        put("\n");
        if (g_sender > 0) kill(g_sender, SIGKILL);
        _exit(3);
    }
    errno = e;
}

static void set_tick(long us) {
    struct itimerval it;
    it.it_interval.tv_sec = us / 1000000;
    it.it_interval.tv_usec = us % 1000000;
    it.it_value = it.it_interval;
    setitimer(ITIMER_REAL, &it, NULL);
}

static void doing(const char *what) {
    g_doing = what;
    g_deadline_ns = now_ns() + 60LL * 1000000000LL;
}

/* --- the listeners --- */

enum { IF_NAMED, IF_DEFAULT, IF_STAR };

struct okey {
    uint8_t ip[16];
    uint16_t port;
    uint8_t stream, group, cls, used;
    uint32_t last, last_len;
};

struct lst {
    /* configuration */
    const char *name;
    int base[NGROUPS], nbase;  /* its groups */
    int ifkind;
    const char *source;        /* SSM */
    int gro, slow, pull, ts, filter;
    size_t mtu, rcvbuf;
    /* now */
    mc_listener *l;
    int holds[NGROUPS];        /* groups joined now */
    int told_joined, told_left;
    /* window */
    uint64_t d0, k0, f0, q0, c0; /* stats at the window's start (or at its opening) */
    uint64_t ad, ak, af, aq, ac; /* what closed incarnations counted in this window */
    uint64_t seen, seen_ph[5], seen_g[NGROUPS];
    uint64_t dup, reorder, wrong, corrupt, stale, badlen, trunc, unchecked;
    uint32_t barrier_seen[NGROUPS];
    uint32_t pacer;            /* the last pacer seq seen */
    int have_pacer;
    struct okey order[ORDER_CAP];
    uint64_t last_ts;
    int run;
    /* totals (clean windows) */
    uint64_t t_sent, t_deliv, t_drops, t_filtered, t_trunc, t_coal, t_qdrops;
    int max_run;
};

enum { L_PACE4, L_STAR4, L_DFLT4, L_SLOW4, L_MANY4, L_SSM4, L_V6, L_V6LL, L_STAR6, L_PULL4,
       NLIST };
static struct lst L[NLIST];
static mc_poller *fastp, *slowp, *sigp;
static int sig_pipe[2] = {-1, -1};
static int ctl = -1;
static uint32_t epoch;
static int window;            /* PH_F or PH_C: the window now open */
static int cur_mtu = 1500;
static int have_ethtool;
static const char *peer_pid;

static uint64_t g_packets;    /* every datagram seen by any listener */

static int holds_count(const struct lst *x) {
    int n = 0;
    for (int g = 0; g < NGROUPS; g++) n += x->holds[g];
    return n;
}

static int up_multicast_ifaces(void) {
    int n = 0;
    struct if_nameindex *ifs = if_nameindex(), *i;
    if (!ifs) return 0;
    for (i = ifs; i->if_index; i++) {
        char path[128], buf[32];
        snprintf(path, sizeof path, "/sys/class/net/%s/flags", i->if_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        if (fgets(buf, sizeof buf, f)) {
            unsigned long fl = strtoul(buf, NULL, 16);
            if ((fl & IFF_UP) && (fl & IFF_MULTICAST)) n++;
        }
        fclose(f);
    }
    if_freenameindex(ifs);
    return n;
}

/* What a listener should hold now: its groups on mc0 (named, or the system's choice: the
   route 224.0.0.0/4 / ff00::/8 dev mc0), or on every interface up with MULTICAST ("*"). */
static int expected_memberships(const struct lst *x) {
    if (x->ifkind == IF_STAR) return holds_count(x) * up_multicast_ifaces();
    return if_nametoindex("mc0") ? holds_count(x) : 0;
}

static mc_listener_counts counts_of(const struct lst *x) {
    mc_listener_counts c;
    memset(&c, 0, sizeof c);
    int rc = mc_listener_get_counts(x->l, &c);
    if (rc < 0) fail("mc_listener_get_counts(%s): %d %s", x->name, rc, mc_last_error());
    return c;
}

static mc_listener_stats stats_of(const struct lst *x) {
    mc_listener_stats s;
    memset(&s, 0, sizeof s);
    int rc = mc_listener_get_stats(x->l, &s);
    if (rc < 0) fail("mc_listener_get_stats(%s): %d %s", x->name, rc, mc_last_error());
    return s;
}

/* The listener's counters now: what a window counts starts from here. */
static void mark_counters(struct lst *x) {
    mc_listener_stats s = stats_of(x);
    x->d0 = s.delivered;
    x->k0 = s.kernel_drops;
    x->f0 = s.filtered;
    mc_listener_counts c = counts_of(x);
    x->q0 = c.queue_drops;
    x->c0 = c.coalesced;
}

static int group_of(const mc_addr *a) {
    for (int g = 0; g < NGROUPS; g++) {
        if (grp[g].v6 != (a->family == AF_INET6)) continue;
        if (memcmp(a->ip, grp[g].bin, grp[g].v6 ? 16 : 4) == 0) return g;
    }
    return -1;
}

/* The filter of the many-groups listener: rejects every 7th data datagram (never a
   control one), so "filtered" takes part in the accounting. */
static int rejects(const uint8_t *d, size_t len) {
    struct hdr h;
    if (len < HDR_LEN) return 0;
    memcpy(&h, d, sizeof h);
    return h.magic == SOAK_MAGIC && h.stream != S_CTL && h.seq % 7 == 3;
}
static int filter_fn(void *ud, const mc_packet *p) {
    (void)ud;
    return !rejects(p->data, p->len);
}

/* The MTU range of the window now open (an MTU fault changes it mid-window). */
static int mtu_lo = 1500, mtu_hi = 1500;

/* Sender order is checked per sending socket (address, port), stream and group, and
   separately for datagrams that were fragmented and those that were not: under GRO the
   kernel delivers a reassembled datagram at once while earlier unfragmented ones of the
   same flow wait in its GRO list (seen: seq 189 of 3000 B delivered before 186..188).
   Class 0: fits the window's smallest MTU; 1: exceeds its largest; 2: either (an MTU
   fault in this window): only duplicates of the last seq are caught there. */
static void check_order(struct lst *x, const mc_packet *p, const struct hdr *h) {
    int ovh = p->from.family == AF_INET6 ? 48 : 28;
    uint8_t cls = (int)h->len + ovh <= mtu_lo ? 0 : (int)h->len + ovh > mtu_hi ? 1 : 2;
    uint32_t hash = 2166136261u;
    for (int i = 0; i < 16; i++) hash = (hash ^ p->from.ip[i]) * 16777619u;
    hash = (hash ^ p->from.port) * 16777619u;
    hash = (hash ^ h->stream) * 16777619u;
    hash = (hash ^ h->group) * 16777619u;
    hash = (hash ^ cls) * 16777619u;
    for (uint32_t probe = 0; probe < ORDER_CAP; probe++) {
        struct okey *k = &x->order[(hash + probe) & (ORDER_CAP - 1)];
        if (!k->used) {
            memcpy(k->ip, p->from.ip, 16);
            k->port = p->from.port;
            k->stream = h->stream;
            k->group = h->group;
            k->cls = cls;
            k->used = 1;
            k->last = h->seq;
            k->last_len = h->len;
            return;
        }
        if (k->port == p->from.port && k->stream == h->stream && k->group == h->group &&
            k->cls == cls && memcmp(k->ip, p->from.ip, 16) == 0) {
            if (cls == 2 && h->seq < k->last) return;
            if (h->seq == k->last) x->dup++;
            else if (h->seq < k->last) x->reorder++;
            if (h->seq <= k->last && (verbose || x->dup + x->reorder <= 3)) {
                char from[64];
                inet_ntop(p->from.family, p->from.ip, from, sizeof from);
                fprintf(stderr, "soak: %s: %s from %s:%u, %s to %s: seq %u after %u (of %u B) (len %u, "
                        "phase %u, timestamp %llu)\n", x->name,
                        h->seq == k->last ? "duplicate" : "out of order", from, p->from.port,
                        stream_name[h->stream], grp[h->group].addr, h->seq, k->last, k->last_len, h->len,
                        h->phase, (unsigned long long)p->timestamp_ns);
            }
            if (h->seq > k->last) { k->last = h->seq; k->last_len = h->len; }
            return;
        }
    }
    /* more sending sockets in one window than the table holds (a sender that opens a
       socket per call): this datagram's order and uniqueness cannot be checked; counted */
    x->unchecked++;
}

static void seen(struct lst *x, const mc_packet *p) {
    struct hdr h;
    g_packets++;
    x->seen++;
    if (p->size < HDR_LEN || p->len < HDR_LEN) { x->corrupt++; return; }
    memcpy(&h, p->data, sizeof h);
    if (h.magic != SOAK_MAGIC || h.sum != hdr_sum(&h) || h.phase < PH_F || h.phase > PH_P ||
        h.stream >= NSTREAMS || h.group >= NGROUPS) {
        x->corrupt++;
        return;
    }
    size_t want_len = h.len < x->mtu ? h.len : x->mtu;
    if (p->size != h.len || p->len != want_len) x->badlen++;
    if (p->size > p->len) x->trunc++;
    for (size_t i = HDR_LEN; i < p->len; i++)
        if (p->data[i] != payload_byte(&h, i)) { x->corrupt++; return; }
    int g = group_of(&p->group);
    if (g != h.group || p->group.port != PORT) { x->wrong++; return; }
    if (!x->holds[g] && window == PH_C) x->wrong++;  /* in F a dropped group may trail */
    if (x->filter && rejects(p->data, p->len)) x->wrong++;
    /* a clean window sees only its own epoch's clean, pacer and barrier datagrams */
    if (window == PH_C && (h.phase == PH_F || h.epoch != epoch)) x->stale++;
    if (window == PH_F && h.epoch != epoch) x->stale++;
    check_order(x, p, &h);
    x->seen_ph[h.phase]++;
    x->seen_g[g]++;
    if (h.phase == PH_B && h.epoch == epoch) x->barrier_seen[g] = h.arg;
    if (h.phase == PH_P && h.epoch == epoch) {
        x->pacer = h.seq;
        x->have_pacer = 1;
    }
    if (x->ts) {
        if (p->timestamp_ns && p->timestamp_ns == x->last_ts) x->run++;
        else x->run = 1;
        x->last_ts = p->timestamp_ns;
        if (x->run > x->max_run) x->max_run = x->run;
    }
}

static int on_packet(void *ud, const mc_packet *p) {
    seen(ud, p);
    return 0;
}

static void on_iface(void *ud, mc_listener *l, uint32_t ifindex, const char *ifname, int joined) {
    struct lst *x = ud;
    (void)l;
    if (verbose)
        fprintf(stderr, "soak: %s: %s %s (%u)\n", x->name, joined ? "joined on" : "lost", ifname,
                ifindex);
    if (joined) x->told_joined++;
    else x->told_left++;
}

static void drain_pulls(void) {
    for (int i = 0; i < NLIST; i++) {
        const mc_packet *p;
        if (!L[i].pull || !L[i].l) continue;
        for (int n = 0; n < 100000; n++) {
            int rc = mc_listener_next(L[i].l, &p, 0);
            if (rc < 0) {
                fail("mc_listener_next(%s): %d %s", L[i].name, rc, mc_last_error());
                break;
            }
            if (rc == 0) break;
            seen(&L[i], p);
        }
    }
}

/* One round of reading: the fast poller (waiting up to ms), the slow one if asked. */
static void pump(int ms, int slow_too) {
    int rc = mc_poll(fastp, ms);
    if (rc < 0) fail("mc_poll(fast): %d %s", rc, mc_last_error());
    if (slow_too) {
        rc = mc_poll(slowp, 0);
        if (rc < 0) fail("mc_poll(slow): %d %s", rc, mc_last_error());
    }
    drain_pulls();
}

static void pump_for(int ms) {
    int64_t end = now_ms() + ms;
    while (now_ms() < end) pump(2, 1);
}

static void open_listener(struct lst *x) {
    mc_opts *o = mc_opts_new();
    int rc = o ? 0 : MC_EINVAL;
    int first = x->base[0];
    if (!rc) rc = mc_opts_set_group(o, grp[first].addr);
    if (!rc) rc = mc_opts_set_port(o, PORT);
    if (!rc && x->ifkind == IF_NAMED) rc = mc_opts_set_interface(o, "mc0");
    if (!rc && x->ifkind == IF_STAR) rc = mc_opts_set_interface(o, "*");
    if (!rc && x->source) rc = mc_opts_set_source(o, x->source);
    if (!rc) rc = mc_opts_set_gro(o, x->gro);
    if (!rc) rc = mc_opts_set_timestamps(o, x->ts);
    if (!rc && x->mtu != 4096) rc = mc_opts_set_mtu(o, x->mtu);
    if (!rc && x->rcvbuf) rc = mc_opts_set_recv_buffer(o, x->rcvbuf);
    if (!rc)
        rc = mc_listener_new(x->slow ? slowp : fastp, o, x->pull ? NULL : on_packet, x, &x->l);
    mc_opts_free(o);
    if (rc < 0) {
        fail("mc_listener_new(%s, %s): %d %s", x->name, grp[first].addr, rc, mc_last_error());
        x->l = NULL;
        return;
    }
    memset(x->holds, 0, sizeof x->holds);
    x->holds[first] = 1;
    for (int i = 1; i < x->nbase; i++) {
        rc = mc_listener_add_group(x->l, grp[x->base[i]].addr, NULL);
        if (rc < 0) fail("mc_listener_add_group(%s, %s): %d %s", x->name, grp[x->base[i]].addr,
                         rc, mc_last_error());
        else x->holds[x->base[i]] = 1;
    }
    if (x->filter && (rc = mc_listener_set_filter(x->l, filter_fn, NULL)) < 0)
        fail("mc_listener_set_filter(%s): %d", x->name, rc);
    if ((rc = mc_listener_set_iface_fn(x->l, on_iface, x)) < 0)
        fail("mc_listener_set_iface_fn(%s): %d", x->name, rc);
    x->told_joined = x->told_left = 0;
    mark_counters(x);
}

/* Before a listener is closed (by the program or by mc_poller_free): what it counted in
   this window stays in the window's figures. */
static void retire(struct lst *x) {
    mc_listener_stats s = stats_of(x);
    mc_listener_counts c = counts_of(x);
    x->ad += s.delivered - x->d0;
    x->ak += s.kernel_drops - x->k0;
    x->af += s.filtered - x->f0;
    x->aq += c.queue_drops - x->q0;
    x->ac += c.coalesced - x->c0;
}

static void close_listener(struct lst *x) {
    mc_listener *old = x->l;
    retire(x);
    mc_listener_stats s;
    mc_listener_close(old);
    mc_listener_close(old); /* a second close: a no-op */
    if (mc_listener_get_stats(old, &s) != MC_ECLOSED)
        fail("%s: a closed listener's handle did not answer MC_ECLOSED", x->name);
    x->l = NULL;
}

static void setup_listeners(void) {
    static const struct { const char *name; int ifkind, gro, slow, pull, ts, filter; size_t mtu, rcvbuf; }
    cfg[NLIST] = {
        [L_PACE4] = {"pace4 (239.10.0.1 on mc0, GRO off)", IF_NAMED, 0, 0, 0, 0, 0, 4096, 0},
        [L_STAR4] = {"star4 (2 groups on *, GRO)", IF_STAR, 1, 0, 0, 1, 0, 4096, 0},
        [L_DFLT4] = {"default4 (system's choice, GRO, slow 64 KiB)", IF_DEFAULT, 1, 1, 0, 1, 0, 4096, 32768},
        [L_SLOW4] = {"slow4 (mc0, GRO off, slow 32 KiB, mtu 1000)", IF_NAMED, 0, 1, 0, 0, 0, 1000, 16384},
        [L_MANY4] = {"many4 (24 groups, GRO off, filter)", IF_NAMED, 0, 0, 0, 0, 1, 4096, 0},
        [L_SSM4] = {"ssm4 (232.10.0.1 from the peer, GRO)", IF_NAMED, 1, 0, 0, 1, 0, 4096, 0},
        [L_V6] = {"v6 (ff05::10:1 on mc0, GRO, slow 64 KiB)", IF_NAMED, 1, 1, 0, 1, 0, 4096, 32768},
        [L_V6LL] = {"v6ll (ff02::10:2 on mc0, GRO off)", IF_NAMED, 0, 0, 0, 0, 0, 4096, 0},
        [L_STAR6] = {"star6 (ff05::10:1 on *, GRO off)", IF_STAR, 0, 0, 0, 0, 0, 4096, 0},
        [L_PULL4] = {"pull4 (239.10.0.2, pull mode, GRO, 64 KiB)", IF_NAMED, 1, 0, 1, 1, 0, 4096, 32768},
    };
    static const int groups[NLIST][3] = {
        [L_PACE4] = {G_A, -1}, [L_STAR4] = {G_A, G_B, -1}, [L_DFLT4] = {G_B, -1},
        [L_SLOW4] = {G_A, -1}, [L_MANY4] = {-2}, [L_SSM4] = {G_S, -1}, [L_V6] = {G_6A, -1},
        [L_V6LL] = {G_6L, -1}, [L_STAR6] = {G_6A, -1}, [L_PULL4] = {G_B, -1},
    };
    for (int i = 0; i < NLIST; i++) {
        struct lst *x = &L[i];
        x->name = cfg[i].name;
        x->ifkind = cfg[i].ifkind;
        x->gro = cfg[i].gro;
        x->slow = cfg[i].slow;
        x->pull = cfg[i].pull;
        x->ts = cfg[i].ts;
        x->filter = cfg[i].filter;
        x->mtu = cfg[i].mtu;
        x->rcvbuf = cfg[i].rcvbuf;
        x->source = i == L_SSM4 ? peer_addr4 : NULL;
        if (groups[i][0] == -2) {
            for (int k = 0; k < NMANY; k++) x->base[k] = G_M0 + k;
            x->nbase = NMANY;
        } else {
            for (x->nbase = 0; groups[i][x->nbase] >= 0; x->nbase++)
                x->base[x->nbase] = groups[i][x->nbase];
        }
        open_listener(x);
    }
}

/* --- talking to the sender --- */

static struct reply rep;

static int sender(uint32_t op, uint32_t arg) {
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
static void configure(const char *what, int create, int rx, int tx) {
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

/* --- waiting for interface following to settle --- */

/* Until every listener holds its memberships again (joins - leaves == expected) and, for
   those in `told`, has been told joined/left at least the given counts. */
static int settle(const char *fault, const int *want_joined, const int *want_left) {
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
static int path_valid;          /* 0 after mc0/mc1 were re-created (their counters restart) */

static struct {
    uint64_t sent_dgrams, due, deliv, drops, filtered, unaccounted, dups, reorders, path_drops,
        path_epochs, path_lost, unchecked, unsettled, f_sent, f_deliv, f_drops, pacer_timeouts, bursts, windows, faults[16];
} T;

static uint32_t barrier_round;
static const char *cur_fault = "start";

static void window_begin(int kind) {
    window = kind;
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

static void fmt_count(char *out, size_t n, double v) {
    if (v >= 1e9) snprintf(out, n, "%.2fG", v / 1e9);
    else if (v >= 1e6) snprintf(out, n, "%.2fM", v / 1e6);
    else if (v >= 1e4) snprintf(out, n, "%.1fk", v / 1e3);
    else snprintf(out, n, "%.0f", v);
}

/* Ends the window now open at a quiet point and checks it; opens the next one. */
static void window_end(void) {
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
        if (x->reorder) fail("epoch %u %s window: %s: %llu datagrams out of their sender's order",
                             epoch, w, x->name, (unsigned long long)x->reorder);
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
        T.reorders += x->reorder;
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

static void clean_phase(int ms) {
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

/* --- faults --- */

enum { FAULT_RECREATE, FAULT_RX_DOWNUP, FAULT_TX_DOWNUP, FAULT_MTU, FAULT_GROUPS,
       FAULT_BLOCK_SOURCE, FAULT_LISTENERS, FAULT_POLLERS, FAULT_MULTICASTERS, FAULT_NEW_IFACE,
       FAULT_SIGNALS, NFAULTS };
static const char *const fault_name[NFAULTS] = {
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
    /* FAULT_BLOCK_SOURCE would go here too: see fault_block_source(). */
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

/* FAULT_BLOCK_SOURCE - blocking sources of an any-source group is a 0.3 API that does not
 * exist yet (no mc_listener_block_source in multicast.h). When it lands, this fault should:
 * block the peer's address (192.0.2.2) on star4's 239.10.0.1 while traffic flows, check
 * that star4 then gets nothing from it on that group (others still do), unblock, and
 * settle; the clean window's "sent to it" stays as it is (the block is lifted by then).
 * Until then the fault is skipped, and said so at the start: nothing here pretends. */
static int fault_block_source(void) { return 0; }

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

static void idle_read(void *ud, int fd) {
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

static void apply_fault(int f, int occurrence) {
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

/* --- setup --- */

static void refuse_unless_private(void) {
    const char *host = getenv("MC_HOST_NETNS");
    char me[128] = "";
    ssize_t n = readlink("/proc/self/ns/net", me, sizeof me - 1);
    if (n > 0) me[n] = 0;
    if (!getenv("MC_VETH") || strcmp(getenv("MC_VETH"), "1") != 0 || !getenv("MC_NETNS") ||
        strcmp(getenv("MC_NETNS"), "1") != 0 || (host && strcmp(host, me) == 0)) {
        fprintf(stderr, "soak: refusing to run: run it as tests/netns-run tests/netns-veth "
                "soak ... (make soak)\n");
        exit(2);
    }
    struct if_nameindex *ifs = if_nameindex(), *i;
    if (!ifs) { perror("if_nameindex"); exit(2); }
    for (i = ifs; i->if_index; i++)
        if (strcmp(i->if_name, "lo") != 0 && strncmp(i->if_name, "mc", 2) != 0) {
            fprintf(stderr, "soak: refusing to run: interface %s exists (not a private "
                    "namespace)\n", i->if_name);
            exit(2);
        }
    if_freenameindex(ifs);
    peer_pid = getenv("MC_PEER_PID");
    if (!peer_pid || !*peer_pid) {
        fprintf(stderr, "soak: MC_PEER_PID is not set (run through tests/netns-veth)\n");
        exit(2);
    }
}

static void init_groups(void) {
    const char *fixed[G_M0] = {"239.10.0.1", "239.10.0.2", "232.10.0.1", "ff05::10:1",
                               "ff02::10:2"};
    for (int g = 0; g < NGROUPS; g++) {
        if (g < G_M0) snprintf(grp[g].addr, sizeof grp[g].addr, "%s", fixed[g]);
        else snprintf(grp[g].addr, sizeof grp[g].addr, "239.10.1.%d", g - G_M0);
        grp[g].v6 = strchr(grp[g].addr, ':') != NULL;
        inet_pton(grp[g].v6 ? AF_INET6 : AF_INET, grp[g].addr, grp[g].bin);
    }
}

static int read_first_line(const char *path, char *out, size_t n) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    if (!fgets(out, (int)n, f)) out[0] = 0;
    fclose(f);
    out[strcspn(out, "\n")] = 0;
    return 0;
}

/* Probes and prints what the kernel and the tools offer. */
static void probe(void) {
    struct utsname u;
    char threaded[16] = "?", feat[256] = "";
    uname(&u);
    have_ethtool = system("command -v ethtool >/dev/null 2>&1") == 0;
    configure("setup", 0, 1, 1);
    read_first_line("/sys/class/net/mc0/threaded", threaded, sizeof threaded);
    if (have_ethtool) {
        FILE *f = popen("ethtool -k mc0 2>/dev/null | grep -E '^generic-receive-offload' | "
                        "tr -d '\\n'; echo -n ', mc1 '; nsenter -t $MC_PEER_PID -n ethtool -k mc1 "
                        "2>/dev/null | grep -E '^(tcp-segmentation-offload|tx-udp-segmentation)' "
                        "| tr '\\n' ' '", "r");
        if (f) {
            if (!fgets(feat, sizeof feat, f)) feat[0] = 0;
            pclose(f);
        }
        for (size_t n = strlen(feat); n && (feat[n - 1] == ' ' || feat[n - 1] == '\n'); n--)
            feat[n - 1] = 0;
    }
    int v6 = access("/proc/net/if_inet6", F_OK) == 0;
    printf("soak: kernel %s; library %s; ethtool %s; mc0 threaded NAPI %s%s%s; IPv6 %s\n",
           u.release, mc_version(), have_ethtool ? "yes" : "no (GRO not set up on mc0: GRO "
           "listeners kept, only GSO runs can arrive coalesced)", threaded,
           have_ethtool ? "; mc0 " : "", feat, v6 ? "yes" : "no");
    if (!v6) {
        fprintf(stderr, "soak: IPv6 is not available in this kernel\n");
        exit(2);
    }
}

static void usage(void) {
    fprintf(stderr, "usage: soak [--seconds S | --minutes M] [--epochs N] [--seed N] "
            "[--verbose] [--stop-at-first]\n");
    exit(2);
}

int main(int argc, char **argv) {
    double seconds = 60;
    long max_epochs = 0;
    uint64_t seed = 0;
    int have_seed = 0;
    if (getenv("SOAK_SECONDS")) seconds = atof(getenv("SOAK_SECONDS"));
    if (getenv("SOAK_SEED")) { seed = strtoull(getenv("SOAK_SEED"), NULL, 0); have_seed = 1; }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--minutes") && i + 1 < argc) seconds = 60 * atof(argv[++i]);
        else if (!strcmp(argv[i], "--epochs") && i + 1 < argc) max_epochs = atol(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 0);
            have_seed = 1;
        } else if (!strcmp(argv[i], "--verbose")) verbose = 1;
        else if (!strcmp(argv[i], "--stop-at-first")) stop_at_first = 1;
        else usage();
    }
    if (!(seconds > 0) || max_epochs < 0) usage();
    if (!have_seed) seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    rng_state = seed ? seed : 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
#ifdef M_MMAP_THRESHOLD
    /* RSS should tell live memory, not the allocator's luck: with glibc's dynamic mmap
       threshold, the pollers' and multicasters' big buffers (made anew whenever a poller
       is) move into the heap after the first free and leave fragmentation whose high-water
       mark can rise late in a run. A fixed threshold keeps every block of 128 KiB or more
       mmapped and gives it back on free (both processes: the sender inherits it). */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
    refuse_unless_private();
    init_groups();

    /* the sender: forked before the library is touched, so it starts clean */
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) { perror("socketpair"); return 2; }
    fflush(NULL);
    g_sender = fork();
    if (g_sender < 0) { perror("fork"); return 2; }
    if (g_sender == 0) {
        close(sv[0]);
        sender_main(sv[1], peer_pid);
        _exit(0);
    }
    close(sv[1]);
    ctl = sv[0];

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;        /* epoll_wait is never restarted: mc_poll sees EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    doing("setting up");
    set_tick(TICK_US);

    printf("soak: seed %llu (SOAK_SEED=%llu reproduces the choices), %.0f s\n",
           (unsigned long long)seed, (unsigned long long)seed, seconds);
    probe();
    printf("soak: bounds, per listener and clean window: GRO off: delivered + filtered + "
           "queue drops + kernel_drops == sent to it; GRO on: delivered + ... + kernel_drops <= "
           "sent <= delivered + ... + %d x kernel_drops (a dropped coalesced run counts once "
           "and holds at most %d datagrams); + up to %d per path drop (veth, IP) if any; the sum "
           "of kernel_drops == the kernel's Udp/Udp6 RcvbufErrors + MemErrors; datagrams sent "
           "while a fault is active are not accounted (by design); sender order per socket, "
           "fragmented and unfragmented apart; fds: no epoch boundary after the warm-up above "
           "its highest, anonymous RSS not above its highest + 4 MiB (both processes)\n", RUN_BOUND,
           RUN_BOUND, RUN_BOUND);
    printf("soak: faults, round robin:");
    for (int f = 0; f < NFAULTS; f++)
        printf(" %s%s", fault_name[f], f == FAULT_BLOCK_SOURCE ? " (0.3 API, not yet: skipped)" : "");
    printf("\n");

    int fds_start = count_fds();
    int rc;
    if ((rc = mc_poller_new(&fastp)) < 0 || (rc = mc_poller_new(&slowp)) < 0 ||
        (rc = mc_poller_new(&sigp)) < 0) {
        fprintf(stderr, "soak: mc_poller_new: %d %s\n", rc, mc_last_error());
        return 2;
    }
    if (pipe(sig_pipe) != 0 || mc_register(sigp, sig_pipe[0], MC_READ, idle_read, NULL, NULL) < 0) {
        fprintf(stderr, "soak: cannot register the idle pipe: %s\n", mc_last_error());
        return 2;
    }
    g_stop_target = fastp;
    setup_listeners();
    if (sender(OP_HELLO, 0) < 0) {
        fprintf(stderr, "soak: FAIL: %s\n", first_failure);
        return 2;
    }
    settle("start", NULL, NULL);
    window_begin(PH_F);
    window_end();                     /* everyone receives: the first clean window opens */
    window_end();

    int64_t t_start = now_ms(), t_end = t_start + (int64_t)(seconds * 1000);
    int clean_ms = (int)(seconds * 1000 / 400);
    if (clean_ms < 80) clean_ms = 80;
    if (clean_ms > 400) clean_ms = 400;
    if (max_epochs) clean_ms = 100;
    /* the warm-up: two full rounds of faults, or 40% of the run (time or epochs) if less */
    int warm_epochs = 2 * NFAULTS, warm = 1;
    if (max_epochs && max_epochs * 2 / 5 < warm_epochs) warm_epochs = (int)(max_epochs * 2 / 5);
    int64_t warm_until = t_start + (int64_t)(seconds * 1000 * 0.4);
    if (max_epochs) warm_until = t_end;
    long rss_max = 0, rss_first = 0, rss_last = 0, srss_max = 0, srss_first = 0, srss_last = 0;
    int fds_max = 0, fds_first = 0, fds_last = 0, sfds_max = 0, sfds_first = 0, sfds_last = 0;
    int fault_i = 0, grew[4] = {0, 0, 0, 0};
    int occurrence[NFAULTS];
    memset(occurrence, 0, sizeof occurrence);
    int64_t next_report = t_start + 60000;

    while (!STOP && now_ms() < t_end && (!max_epochs || epoch < (uint32_t)max_epochs)) {
        epoch++;
        int f = fault_i++ % NFAULTS;
        if (f == FAULT_BLOCK_SOURCE) f = fault_i++ % NFAULTS;  /* 0.3: see fault_block_source */
        if (sender(OP_FREE, 0) < 0) break;
        apply_fault(f, occurrence[f]++);
        if (STOP) break;
        doing("stopping the free-running sender");
        if (sender(OP_STOP, 0) < 0) break;
        window_end();                  /* the fault window's quiet point */
        if (STOP) break;
        clean_phase(clean_ms);
        if (STOP) break;
        window_end();                  /* the clean window's quiet point: the accounting */
        if (STOP) break;

        /* the epoch boundary: fds and RSS of both processes */
        int fds = count_fds();
        long rss = rss_bytes();
        if (sender(OP_STATS, 0) < 0) break;
        int sfds = (int)rep.fds;
        long srss = (long)rep.rss;
        if (warm) {
            if (fds > fds_max) fds_max = fds;
            if (rss > rss_max) rss_max = rss;
            if (sfds > sfds_max) sfds_max = sfds;
            if (srss > srss_max) srss_max = srss;
            if ((int)epoch >= warm_epochs || now_ms() >= warm_until) {
                warm = 0;
                fds_first = fds;
                rss_first = rss;
                sfds_first = sfds;
                srss_first = srss;
                if (verbose)
                    fprintf(stderr, "soak: warm-up over after %u epochs: fds %d/%d, RSS %ld/%ld\n",
                            epoch, fds_max, sfds_max, rss_max, srss_max);
            }
        } else {                     /* each reported once; the summary shows the end */
            if (fds > fds_max && !grew[0]++)
                fail("epoch %u (after %s): the listener process has %d fds, more than the "
                     "warm-up's %d", epoch, cur_fault, fds, fds_max);
            if (rss > rss_max + RSS_SLACK && !grew[1]++)
                fail("epoch %u (after %s): the listener process's RSS is %ld KiB, more than the "
                     "warm-up's highest %ld KiB + 4096", epoch, cur_fault, rss / 1024,
                     rss_max / 1024);
            if (sfds > sfds_max && !grew[2]++)
                fail("epoch %u (after %s): the sender process has %d fds, more than the "
                     "warm-up's %d", epoch, cur_fault, sfds, sfds_max);
            if (srss > srss_max + RSS_SLACK && !grew[3]++)
                fail("epoch %u (after %s): the sender process's RSS is %ld KiB, more than the "
                     "warm-up's highest %ld KiB + 4096", epoch, cur_fault, srss / 1024,
                     srss_max / 1024);
        }
        if (verbose) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
            struct mallinfo2 mi = mallinfo2();
            fprintf(stderr, "soak: epoch %u (%s) boundary: fds %d, RSS %ld KiB (heap in use %zu "
                    "KiB, arena %zu KiB, mmapped %zu KiB); sender fds %d, RSS %ld KiB\n", epoch,
                    cur_fault, fds, rss / 1024, mi.uordblks / 1024, mi.arena / 1024,
                    mi.hblkhd / 1024, sfds, srss / 1024);
#else
            fprintf(stderr, "soak: epoch %u (%s) boundary: fds %d, RSS %ld KiB; sender fds %d, "
                    "RSS %ld KiB\n", epoch, cur_fault, fds, rss / 1024, sfds, srss / 1024);
#endif
        }
        fds_last = fds;
        rss_last = rss;
        sfds_last = sfds;
        srss_last = srss;
        if (now_ms() >= next_report) {
            char a[32], b[32];
            fmt_count(a, sizeof a, (double)T.due);
            fmt_count(b, sizeof b, (double)T.drops);
            fprintf(stderr, "soak: %.1f min, %u epochs, %s due to listeners, %s kernel drops, "
                    "fds %d/%d, anon RSS %.1f/%.1f MiB\n", (now_ms() - t_start) / 60000.0, epoch, a, b,
                    fds, sfds, rss / 1048576.0, srss / 1048576.0);
            next_report += 60000;
        }
    }
    double minutes = (now_ms() - t_start) / 60000.0;
    if (!fatal && warm)
        fail("the run ended within its warm-up (%u epochs): fds and RSS were not checked", epoch);

    /* the end: everything closed, the listener process's fds as before the first call */
    doing("closing");
    uint64_t ssigs = 0;
    if (sender(OP_STATS, 0) == 0) ssigs = rep.sigs;
    struct cmd q;
    memset(&q, 0, sizeof q);
    q.op = OP_QUIT;
    msg_send(ctl, &q, sizeof q);
    msg_recv(ctl, &rep, sizeof rep);
    int st = 0;
    waitpid(g_sender, &st, 0);
    g_sender = -1;
    g_stop_target = NULL;
    set_tick(0);
    mc_poller_free(fastp);
    mc_poller_free(slowp);
    mc_unregister(sigp, sig_pipe[0]);
    mc_poller_free(sigp);
    close(sig_pipe[0]);
    close(sig_pipe[1]);
    close(ctl);
    int fds_end = count_fds();
    if (!fatal && fds_end != fds_start - 1)  /* ctl was open at the start, closed now */
        fail("with every poller freed the listener process has %d fds, %d before the first call",
             fds_end, fds_start - 1);

    /* figures */
    for (int i = 0; i < NLIST; i++) {
        struct lst *x = &L[i];
        char a[32], b[32];
        fmt_count(a, sizeof a, (double)x->t_sent);
        fmt_count(b, sizeof b, (double)x->t_deliv);
        printf("soak:   %-46s sent %s, delivered %s, kernel drops %llu, filtered %llu%s",
               x->name, a, b, (unsigned long long)x->t_drops, (unsigned long long)x->t_filtered,
               x->gro ? "" : "\n");
        if (x->gro) printf(", coalesced runs %llu, largest %d\n", (unsigned long long)x->t_coal,
                           x->max_run);
    }
    {
        char a[32], b[32], c[32];
        fmt_count(a, sizeof a, (double)T.f_sent);
        fmt_count(b, sizeof b, (double)T.f_deliv);
        fmt_count(c, sizeof c, (double)T.f_drops);
        printf("soak: fault windows (not accounted by design): %s datagrams sent, %s deliveries "
               "to listeners, %s kernel drops; faults:", a, b, c);
        for (int f = 0; f < NFAULTS; f++)
            if (T.faults[f]) printf(" %s %llu", fault_name[f], (unsigned long long)T.faults[f]);
        printf("; %llu paced bursts, %llu pacer timeouts; path drops %llu in %llu windows "
               "(datagrams missing within their allowance: %llu); %llu windows without a quiet "
               "point (not accounted); %llu datagrams whose order could not be checked (more "
               "than %d sending sockets in a window); signals %llu here, %llu in the sender\n",
               (unsigned long long)T.bursts,
               (unsigned long long)T.pacer_timeouts, (unsigned long long)T.path_drops,
               (unsigned long long)T.path_epochs, (unsigned long long)T.path_lost,
               (unsigned long long)T.unsettled, (unsigned long long)T.unchecked, ORDER_CAP,
               (unsigned long long)g_sigs,
               (unsigned long long)ssigs);
    }
    char s1[32], s2[32], s3[32];
    fmt_count(s1, sizeof s1, (double)T.sent_dgrams);
    fmt_count(s2, sizeof s2, (double)T.due);
    fmt_count(s3, sizeof s3, (double)T.deliv);
    for (int k = 0; k < nkinds; k++)
        printf("soak: failed check, %d time%s, first: %s\n", kinds[k].n,
               kinds[k].n == 1 ? "" : "s", kinds[k].first);
    char more[64] = "", skipped[64] = "";
    if (T.unsettled)
        snprintf(skipped, sizeof skipped, " (%llu windows not accountable: no quiet point)",
                 (unsigned long long)T.unsettled);
    if (failed > 1) snprintf(more, sizeof more, " (and %d more failed check%s)", failed - 1,
                             failed > 2 ? "s" : "");
    printf("soak: %.1f min, %u epochs, %s datagrams sent, %s due to listeners, %s delivered, "
           "%llu kernel drops, %llu unaccounted%s, %llu duplicates, %llu out of order, fds %d->%d "
           "(sender %d->%d), anon RSS %.1f->%.1f MiB (sender %.1f->%.1f): %s%s%s\n",
           minutes, epoch, s1, s2, s3, (unsigned long long)T.drops,
           (unsigned long long)T.unaccounted, skipped, (unsigned long long)T.dups,
           (unsigned long long)T.reorders, fds_first, fds_last, sfds_first, sfds_last,
           rss_first / 1048576.0, rss_last / 1048576.0, srss_first / 1048576.0,
           srss_last / 1048576.0, failed ? "FAIL: " : "PASS", failed ? first_failure : "",
           more);
    return failed ? 1 : 0;
}
