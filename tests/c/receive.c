/* receive.c - what comes with a packet and how a listener reads it, through
 * libmulticast.so on lo: receive timestamps and TTLs, GRO runs split again
 * into datagrams, senders' GSO as a GRO listener sees it, a listener's
 * defaults and the option setters of these (mc_opts_set_gso/gro/timestamps/
 * recv_ttl). The listener cases run with GRO on and off.
 *
 *   receive CASE
 *   CASE: timestamps split gso ttl opts
 *
 * Runs inside tests/netns-run's namespace (lo, route 224/4 dev lo src
 * 127.0.0.1), from tests/receive.rs and tests/gso.rs. Groups 239.44.x.y and 232.44.x.y, ports 4401..4460
 * (groups.h's helpers for groups on lo). Every wait is bounded (wire.h: WAIT_MS
 * for what must come, QUIET_MS of polling for what must not).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include "wire.h"
#include "groups.h"

/* ------------------------------------------------------------ timestamps --- */

typedef struct {
    int n;
    uint64_t ts[64];
    size_t size[64];
    char first[64];
    int ttl[64];
} rec_t;

static int on_record(void *ud, const mc_packet *p) {
    rec_t *r = ud;
    if (r->n < 64) {
        r->ts[r->n] = p->timestamp_ns;
        r->size[r->n] = p->size;
        r->first[r->n] = p->len ? (char)p->data[0] : 0;
        r->ttl[r->n] = p->ttl;
    }
    r->n++;
    return 0;
}

/* The kernel turns receive stamping on for the whole host when the first
   socket asks (SO_TIMESTAMPNS) - later, from a workqueue; until then it
   stamps a datagram when it is read, not when it arrives (and off again,
   later, when the last such socket closes). A plain socket with
   SO_TIMESTAMPNS, kept open for the case, holds it on; this waits (bounded)
   until probes sent to it are stamped at arrival: within their send on lo.
   Returns the socket. */
static int stamping_on(void) {
    int s = raw_receiver("239.44.6.9", 4414, 0), one = 1, probes = 0, on = 0;
    long end = now_ms() + WAIT_MS;
    CHECK(setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) == 0);
    while (!on && now_ms() < end) {
        union { char buf[CMSG_SPACE(sizeof(struct timespec)) * 4]; struct cmsghdr align; } c;
        struct pollfd pf = { s, POLLIN, 0 };
        char data[16];
        struct iovec iov = { data, sizeof data };
        struct msghdr mh;
        struct cmsghdr *cm;
        uint64_t t1;
        send1("239.44.6.9", 4414, "probe");
        t1 = realtime_ns();
        probes++;
        if (poll(&pf, 1, WAIT_MS) != 1) break;
        memset(&mh, 0, sizeof mh);
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = c.buf;
        mh.msg_controllen = sizeof c.buf;
        if (recvmsg(s, &mh, MSG_DONTWAIT) < 0) break;
        for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
            struct timespec ts;
            if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_TIMESTAMPNS) continue;
            memcpy(&ts, CMSG_DATA(cm), sizeof ts);
            on = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec <= t1;
        }
    }
    printf("  receive stamping on after %d probe(s)\n", probes);
    CHECK(on);
    return s;
}

static void test_timestamps(void) {
    int holder = stamping_on();
    for (int gro = 1; gro >= 0; gro--) {
        uint16_t port = gro ? 4407 : 4457;
        const char *grp = "239.44.6.1";
        mc_poller *p = NULL;
        mc_listener *on = NULL, *off = NULL;
        mc_opts *o = opts_for(grp, port);
        uint64_t t0[20], t1[20];
        int64_t dmin = INT64_MAX, dmax = INT64_MIN;
        rec_t a, b;
        int i, mono = 1;
        printf("timestamps on %s:%u, GRO %s\n", grp, port, onoff(gro));
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        CHECK_RC(mc_poller_new(&p), 0);
        CHECK_RC(mc_opts_set_gro(o, gro), 0);
        CHECK_RC(mc_listener_new(p, o, on_record, &b, &off), 0);
        CHECK_RC(mc_opts_set_timestamps(o, 1), 0);
        CHECK_RC(mc_listener_new(p, o, on_record, &a, &on), 0);
        mc_opts_free(o);
        if (!on || !off) { mc_poller_free(p); continue; }
        /* a burst of 20, each stamped against the clock around its send */
        for (i = 0; i < 20; i++) {
            char m[16];
            snprintf(m, sizeof m, "%c single", 'A' + i);
            t0[i] = realtime_ns();
            send1(grp, port, m);
            t1[i] = realtime_ns();
        }
        CHECK(wait_for(p, &a.n, 20) && wait_for(p, &b.n, 20));
        quiet(p, QUIET_MS);
        CHECK(a.n == 20 && b.n == 20);
        for (i = 0; i < 20 && i < a.n; i++) {
            int k = a.first[i] - 'A';
            int64_t d;
            CHECK(k == i);   /* in order */
            if (k < 0 || k >= 20) continue;
            d = (int64_t)(a.ts[i] - t0[k]);
            if (d < dmin) dmin = d;
            if (d > dmax) dmax = d;
            if (d < -1000000000LL || d > 1000000000LL) {
                fprintf(stderr, "  packet %d: timestamp %llu is %lld ns from the send "
                                "(%llu..%llu)\n",
                        i, (unsigned long long)a.ts[i], (long long)d,
                        (unsigned long long)t0[k], (unsigned long long)t1[k]);
                check_failures++;
            }
            if (i > 0 && a.ts[i] < a.ts[i - 1]) mono = 0;
            CHECK(b.ts[i] == 0);
        }
        printf("  timestamp - clock before the send: %.1f .. %.1f us over 20 packets; "
               "nondecreasing: %s\n", (double)dmin / 1000, (double)dmax / 1000,
               mono ? "yes" : "no");
        CHECK(mono);

        /* runs: mc_sendto_many of 8 x 50, 8 x 100, 8 x 200 bytes: three GSO sends */
        {
            static char data[24][200];
            mc_buf bufs[24];
            uint64_t s0, s1;
            int base = a.n, runs_equal = 1;
            mc_listener_counts c;
            for (i = 0; i < 24; i++) {
                size_t len = i < 8 ? 50 : i < 16 ? 100 : 200;
                memset(data[i], 'a' + i, len);
                bufs[i].data = data[i];
                bufs[i].len = len;
            }
            s0 = realtime_ns();
            CHECK_RC(mc_sendto_many(bufs, 24, grp, port, -1), 24);
            s1 = realtime_ns();
            CHECK(wait_for(p, &a.n, base + 24) && wait_for(p, &b.n, base + 24));
            quiet(p, QUIET_MS);
            CHECK(a.n == base + 24 && b.n == base + 24);
            for (i = 0; i < 24 && base + i < 64; i++) {
                int j = base + i;
                CHECK(a.first[j] == 'a' + i && a.size[j] == bufs[i].len);
                CHECK(a.ts[j] + 1000000000ull > s0 && a.ts[j] < s1 + 1000000000ull);
                CHECK(b.ts[j] == 0);
                if (i % 8 != 0 && a.ts[j] != a.ts[j - 1]) runs_equal = 0;
                if (i > 0) CHECK(a.ts[j] >= a.ts[j - 1]);
            }
            c = counts_of(on);
            printf("  24 in 3 runs: GRO runs read %llu; each run one stamp: %s; first at "
                   "%+.1f us of the send\n", (unsigned long long)c.coalesced,
                   runs_equal ? "yes" : "no", (double)(int64_t)(a.ts[base] - s0) / 1000);
            if (gro) {
                CHECK(c.coalesced == 3);
                CHECK(runs_equal);
            } else {
                CHECK(c.coalesced == 0);
            }
        }
        mc_listener_close(on);
        mc_listener_close(off);
        mc_poller_free(p);
    }
    close(holder);
}

/* ------------------------------------------------------- GRO runs split --- */

/* Four listeners of one group on one poller (so they share its buffers): GRO
   on and off, mtu 64 and the default. mc_sendto_many of 12 datagrams, planned
   as runs [100 x 5, 50] [50, 50] [100, 100, 30] and a lone 70: a GRO listener
   reads the 3 runs coalesced and hands over each datagram with its own size,
   len (truncated at the mtu) and bytes, in order. */
typedef struct {
    int n, bad;
    size_t mtu;
} split_t;

static const size_t split_sizes[] = { 100, 100, 100, 100, 100, 50, 50, 50, 100, 100, 30, 70 };
enum { SPLIT_N = sizeof split_sizes / sizeof *split_sizes };

static int on_split(void *ud, const mc_packet *p) {
    split_t *t = ud;
    int k = t->n++, ok = k < SPLIT_N;
    size_t i, want_len = 0;
    if (ok) {
        want_len = split_sizes[k] < t->mtu ? split_sizes[k] : t->mtu;
        ok = p->size == split_sizes[k] && p->len == want_len && p->data[0] == k;
        for (i = 1; ok && i < p->len; i++) ok = p->data[i] == 'A' + k;
    }
    if (!ok) {
        fprintf(stderr, "  [mtu %zu] datagram %d: len %zu size %zu first byte %d, want len %zu "
                        "size %zu first byte %d\n", t->mtu, k, p->len, p->size,
                p->len ? p->data[0] : -1, want_len, k < SPLIT_N ? split_sizes[k] : 0, k);
        t->bad++;
    }
    return 0;
}

static void test_split(void) {
    static uint8_t data[SPLIT_N][100];
    mc_buf bufs[SPLIT_N];
    mc_poller *p = NULL;
    mc_listener *l[4] = { NULL, NULL, NULL, NULL };
    split_t t[4];
    int i, truncated = 0;
    CHECK_RC(mc_poller_new(&p), 0);
    for (i = 0; i < 4; i++) {
        mc_opts *o = opts_for("239.44.12.1", 4412);
        memset(&t[i], 0, sizeof t[i]);
        t[i].mtu = i < 2 ? 64 : MC_DEFAULT_MTU;
        CHECK_RC(mc_opts_set_gro(o, i % 2 == 0), 0);
        CHECK_RC(mc_opts_set_mtu(o, t[i].mtu), 0);
        CHECK_RC(mc_listener_new(p, o, on_split, &t[i], &l[i]), 0);
        mc_opts_free(o);
    }
    for (i = 0; i < SPLIT_N; i++) {
        memset(data[i], 'A' + i, sizeof data[i]);
        data[i][0] = (uint8_t)i;
        bufs[i].data = data[i];
        bufs[i].len = split_sizes[i];
        truncated += split_sizes[i] > 64;
    }
    CHECK_RC(mc_sendto_many(bufs, SPLIT_N, "239.44.12.1", 4412, -1), SPLIT_N);
    for (i = 0; i < 4; i++) CHECK(wait_for(p, &t[i].n, SPLIT_N));
    quiet(p, QUIET_MS);
    for (i = 0; i < 4; i++) {
        mc_listener_stats st;
        mc_listener_counts c;
        if (!l[i]) continue;
        st = stats_of(l[i]);
        c = counts_of(l[i]);
        printf("GRO %s, mtu %zu: %d datagrams, %llu truncated, %llu GRO runs\n",
               onoff(i % 2 == 0), t[i].mtu, t[i].n, (unsigned long long)st.truncated,
               (unsigned long long)c.coalesced);
        CHECK(t[i].n == SPLIT_N && t[i].bad == 0);
        CHECK(st.received == SPLIT_N && st.delivered == SPLIT_N);
        CHECK(st.truncated == (uint64_t)(i < 2 ? truncated : 0));
        CHECK(c.coalesced == (uint64_t)(i % 2 == 0 ? 3 : 0));
        mc_listener_close(l[i]);
    }
    mc_poller_free(p);
}

/* ------------------------------------------- GSO of multicasters, defaults --- */

/* A multicaster's source: `count` packets of 40 bytes "PREFIX #i....", then done. */
typedef struct { const char *prefix; int count, calls; char buf[64]; } src_t;

static int next_n(void *ud, const uint8_t **data, size_t *len) {
    src_t *s = ud;
    int n;
    if (s->calls >= s->count) { s->calls++; return MC_NEXT_DONE; }
    n = snprintf(s->buf, sizeof s->buf, "%s #%d", s->prefix, s->calls++ % 10);
    memset(s->buf + n, '.', (size_t)(40 - n));
    *data = (const uint8_t *)s->buf;
    *len = 40;
    return MC_NEXT_PACKET;
}

/* Runs a multicaster of opts o until its source said done (bounded). */
static void multicast_n(mc_poller *p, const mc_opts *o, src_t *src) {
    mc_multicaster *m = NULL;
    long end = now_ms() + WAIT_MS;
    CHECK_RC(mc_multicaster_new(p, o, next_n, src, &m), 0);
    while (m && src->calls <= src->count && now_ms() < end) mc_poll(p, 20);
    CHECK(src->calls == src->count + 1);
}

/* What a GRO listener on lo sees of what senders send: a multicaster with
   the default opts (GSO on) sends the 8 packets one dispatch hands it as GSO
   runs (the listener reads them coalesced); with mc_opts_set_gso(o, 0), and
   mc_sendto_opts, ordinary datagrams. The defaults of a listener: GRO on,
   timestamps 0, ttl -1. */
static void test_gso(void) {
    const char *grp = "239.44.13.1";
    mc_poller *p = NULL;
    mc_listener *l = NULL;
    mc_opts *o = opts_for(grp, 4413);   /* the defaults otherwise */
    rec_t r;
    mc_listener_counts c;
    src_t on = { "gso-on", 8, 0, "" }, off = { "gso-off", 8, 0, "" };
    int i;
    memset(&r, 0, sizeof r);
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK_RC(mc_listener_new(p, o, on_record, &r, &l), 0);
    if (!l) { mc_opts_free(o); mc_poller_free(p); return; }

    multicast_n(p, o, &on);
    CHECK(wait_for(p, &r.n, 8));
    c = counts_of(l);
    printf("multicaster, default opts: %d datagrams, GRO runs read %llu\n", r.n,
           (unsigned long long)c.coalesced);
    CHECK(r.n == 8 && c.coalesced >= 1);
    for (i = 0; i < 8 && i < r.n; i++)
        CHECK(r.size[i] == 40 && r.first[i] == 'g' && r.ts[i] == 0 && r.ttl[i] == -1);

    CHECK_RC(mc_opts_set_gso(o, 0), 0);
    multicast_n(p, o, &off);
    for (i = 0; i < 4; i++)
        CHECK_RC(mc_sendto_opts(o, "single one, 38 bytes, like the others", 37), 37);
    CHECK(wait_for(p, &r.n, 20));
    quiet(p, QUIET_MS);
    {
        mc_listener_counts d = counts_of(l);
        printf("multicaster with gso 0, mc_sendto_opts: %d datagrams, GRO runs read %llu -> %llu\n",
               r.n - 8, (unsigned long long)c.coalesced, (unsigned long long)d.coalesced);
        CHECK(r.n == 20 && d.coalesced == c.coalesced);
    }
    mc_listener_close(l);
    mc_opts_free(o);
    mc_poller_free(p);
}

/* ------------------------------------------------------------------ ttl --- */

static void test_ttl(void) {
    for (int gro = 1; gro >= 0; gro--) {
        uint16_t port = gro ? 4408 : 4458;
        const char *grp = "239.44.7.1";
        mc_poller *p = NULL;
        mc_listener *on = NULL, *off = NULL, *both = NULL;
        mc_opts *o = opts_for(grp, port);
        static const int want[] = { 7, 1, 200, 9, 9, 9, 4, 33, 2, 2 };
        rec_t a, b, c;
        int i;
        printf("received TTL on %s:%u, GRO %s\n", grp, port, onoff(gro));
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        memset(&c, 0, sizeof c);
        CHECK_RC(mc_poller_new(&p), 0);
        CHECK_RC(mc_opts_set_gro(o, gro), 0);
        CHECK_RC(mc_listener_new(p, o, on_record, &b, &off), 0);
        CHECK_RC(mc_opts_set_recv_ttl(o, 1), 0);
        CHECK_RC(mc_listener_new(p, o, on_record, &a, &on), 0);
        CHECK_RC(mc_opts_set_timestamps(o, 1), 0);
        CHECK_RC(mc_listener_new(p, o, on_record, &c, &both), 0);
        if (!on || !off || !both) { mc_opts_free(o); mc_poller_free(p); continue; }
        /* a second group (on another socket): the same from there */
        CHECK_RC(mc_listener_add_group(on, G(7, 3), NULL), 0);
        CHECK_RC(mc_listener_add_group(off, G(7, 3), NULL), 0);
        CHECK_RC(mc_listener_add_group(both, G(7, 3), NULL), 0);
        CHECK_RC(mc_sendto("a ttl 7", 7, grp, port, 7), 7);
        CHECK_RC(mc_sendto("b default", 9, grp, port, -1), 9);
        CHECK_RC(mc_opts_set_ttl(o, 200), 0);
        CHECK_RC(mc_sendto_opts(o, "c opts 200", 10), 10);
        send_run(grp, port, "d run 9", 3, 9);
        CHECK(wait_for(p, &a.n, 6) && wait_for(p, &b.n, 6) && wait_for(p, &c.n, 6));
        CHECK_RC(mc_sendto("e ttl 4", 7, G(7, 3), port, 4), 7);
        CHECK_RC(mc_opts_set_group(o, G(7, 3)), 0);
        CHECK_RC(mc_opts_set_ttl(o, 33), 0);
        CHECK_RC(mc_sendto_opts(o, "f opts 33", 9), 9);
        send_run(G(7, 3), port, "g run 2", 2, 2);
        mc_opts_free(o);
        CHECK(wait_for(p, &a.n, 10) && wait_for(p, &b.n, 10) && wait_for(p, &c.n, 10));
        quiet(p, QUIET_MS);
        CHECK(a.n == 10 && b.n == 10 && c.n == 10);
        for (i = 0; i < 10 && i < a.n && i < b.n && i < c.n; i++) {
            printf("  \"%c...\": ttl %d (off: %d; with timestamps: %d, stamp %s)\n", a.first[i],
                   a.ttl[i], b.ttl[i], c.ttl[i], c.ts[i] ? "set" : "0");
            CHECK(a.first[i] == "abcdddefgg"[i]);
            CHECK(a.ttl[i] == want[i]);
            CHECK(b.ttl[i] == -1);
            CHECK(c.ttl[i] == want[i] && c.ts[i] != 0);
            CHECK(a.ts[i] == 0 && b.ts[i] == 0);
        }
        mc_listener_close(on);
        mc_listener_close(off);
        mc_listener_close(both);
        mc_poller_free(p);
    }
}

/* ---------------------------------------------------------- opts setters --- */

static void test_opts(void) {
    static int (*const setters[])(mc_opts *, int) = {
        mc_opts_set_gso, mc_opts_set_gro, mc_opts_set_timestamps, mc_opts_set_recv_ttl,
    };
    static const char *const names[] = { "gso", "gro", "timestamps", "recv_ttl" };
    mc_opts *o = mc_opts_new();
    size_t i;
    CHECK(o != NULL);
    for (i = 0; i < sizeof setters / sizeof *setters; i++) {
        printf("mc_opts_set_%s\n", names[i]);
        CHECK_RC(setters[i](o, 0), 0);
        CHECK_RC(setters[i](o, 1), 0);
        CHECK_RC(setters[i](o, 2), MC_EINVAL);
        CHECK_MSG(names[i]);
        CHECK_MSG("2");
        printf("  2: %s\n", mc_last_error());
        CHECK_RC(setters[i](o, -1), MC_EINVAL);
        CHECK_MSG("-1");
        CHECK_RC(setters[i](o, 256), MC_EINVAL);
        CHECK_RC(setters[i](NULL, 1), MC_EINVAL);
        CHECK_MSG("opts");
        CHECK_RC(setters[i](NULL, 0), MC_EINVAL);
    }
    CHECK_RC(mc_opts_set_tos(o, 0), 0);
    CHECK_RC(mc_opts_set_tos(o, 0xb8), 0);
    CHECK_RC(mc_opts_set_tos(o, 255), 0);
    CHECK_RC(mc_opts_set_tos(o, 256), MC_EINVAL);
    CHECK_MSG("256");
    printf("  tos 256: %s\n", mc_last_error());
    CHECK_RC(mc_opts_set_tos(o, -1), MC_EINVAL);
    CHECK_MSG("-1");
    CHECK_RC(mc_opts_set_tos(NULL, 0), MC_EINVAL);

    /* a refused value leaves the old one: recv_ttl and timestamps stay on */
    {
        mc_poller *p = NULL;
        mc_listener *l = NULL;
        rec_t r;
        memset(&r, 0, sizeof r);
        CHECK_RC(mc_opts_set_group(o, G(7, 2)), 0);
        CHECK_RC(mc_opts_set_port(o, 4411), 0);
        CHECK_RC(mc_opts_set_recv_ttl(o, 1), 0);
        CHECK_RC(mc_opts_set_recv_ttl(o, 2), MC_EINVAL);
        CHECK_RC(mc_opts_set_timestamps(o, 1), 0);
        CHECK_RC(mc_opts_set_timestamps(o, -1), MC_EINVAL);
        CHECK_RC(mc_opts_set_gro(o, 0), 0);
        CHECK_RC(mc_opts_set_gro(o, 7), MC_EINVAL);
        CHECK_RC(mc_poller_new(&p), 0);
        CHECK_RC(mc_listener_new(p, o, on_record, &r, &l), 0);
        send_run(G(7, 2), 4411, "x", 3, 5);
        CHECK(wait_for(p, &r.n, 3));
        CHECK(r.n == 3 && r.ttl[0] == 5 && r.ts[0] != 0);
        if (l) CHECK(counts_of(l).coalesced == 0);   /* GRO stayed off */
        mc_listener_close(l);
        mc_poller_free(p);
    }
    mc_opts_free(o);
}

CHECK_MAIN("receive", { "timestamps", test_timestamps }, { "split", test_split },
           { "gso", test_gso }, { "ttl", test_ttl }, { "opts", test_opts })
