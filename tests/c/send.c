/* send.c - mc_sendto, mc_sendto_many and mc_sendto_opts through
 * libmulticast.so, IPv4 on lo (inside tests/netns-run's namespace).
 *
 * The receivers are plain sockets with IP_RECVTTL (lo keeps the TTL the
 * sender set, so the received TTL shows what the library configured), plus a
 * library listener where the group and port it reports matter.
 * Groups 224.2.0.x, ports 5201..5299 and the defaults 224.0.42.42:4242 belong
 * to this program (the other C programs on lo run at the same time).
 * Every wait is bounded. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wire.h"

/* --- a plain receiving socket --------------------------------------------- */

/* The receive buffer of each raw_receiver (wire.h) here. */
#define RCVBUF (4 << 20)

/* Sends a marker with mc_sendto and checks it is the next thing s receives:
   whatever was (not) sent before it to the same group:port did (not) arrive. */
static void expect_marker_next(int s, const char *group, uint16_t port) {
    char buf[64];
    int ttl;
    CHECK_RC(mc_sendto("marker", 6, group, port, -1), 6);
    ssize_t n = raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS);
    CHECK(n == 6 && memcmp(buf, "marker", 6) == 0);
}

/* Nothing arrives at s within QUIET_MS. */
static void expect_nothing(int s) {
    char buf[64];
    int ttl;
    CHECK(raw_recv(s, buf, sizeof buf, &ttl, NULL, QUIET_MS) == -1);
}

/* ========================================================================= */

static void test_sendto(void) {
    int s = raw_receiver("224.2.0.1", 5201, RCVBUF), ttl;
    uint8_t payload[123], buf[65536];
    static uint8_t big[65508];
    uint32_t from = 0;
    ssize_t n;

    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(255 - i);
    CHECK_RC(mc_sendto(payload, sizeof payload, "224.2.0.1", 5201, 1), (int)sizeof payload);
    n = raw_recv(s, buf, sizeof buf, &ttl, &from, WAIT_MS);
    CHECK(n == (ssize_t)sizeof payload);
    CHECK(memcmp(buf, payload, sizeof payload) == 0);
    CHECK(ttl == 1);
    CHECK(from == INADDR_LOOPBACK);

    /* the ttl asked for is the ttl sent (each its own cached socket) */
    int ttls[] = {7, 0, 255, 32, 7, 1};
    for (size_t i = 0; i < sizeof ttls / sizeof *ttls; i++) {
        CHECK_RC(mc_sendto("t", 1, "224.2.0.1", 5201, ttls[i]), 1);
        n = raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS);
        CHECK(n == 1 && buf[0] == 't');
        if (ttl != ttls[i]) fprintf(stderr, "sent with ttl %d, received ttl %d\n", ttls[i], ttl);
        CHECK(ttl == ttls[i]);
    }

    /* zero bytes: a datagram of length 0 */
    CHECK_RC(mc_sendto(NULL, 0, "224.2.0.1", 5201, -1), 0);
    CHECK_RC(mc_sendto("x", 0, "224.2.0.1", 5201, -1), 0);
    CHECK(raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS) == 0);
    CHECK(raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS) == 0);

    /* the largest IPv4 UDP payload goes out whole; one more byte is the OS's EMSGSIZE */
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 31);
    CHECK_RC(mc_sendto(big, 65507, "224.2.0.1", 5201, -1), 65507);
    n = raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS);
    CHECK(n == 65507);
    CHECK(n == 65507 && memcmp(buf, big, 65507) == 0);
    CHECK_RC(mc_sendto(big, 65508, "224.2.0.1", 5201, -1), -EMSGSIZE);
    CHECK_MSG("224.2.0.1");
    expect_marker_next(s, "224.2.0.1", 5201);
    close(s);
}

/* NULL group, port 0 and ttl < 0 mean 224.0.42.42, 4242 and ttl 1. */
struct got { int count; mc_packet last; char text[32]; };

static int got_packet(void *ud, const mc_packet *p) {
    struct got *g = ud;
    size_t n = p->len < sizeof g->text - 1 ? p->len : sizeof g->text - 1;
    g->count++;
    g->last = *p;
    if (n) memcpy(g->text, p->data, n);
    g->text[n] = '\0';
    return 0;
}

static void test_defaults(void) {
    int s = raw_receiver(MC_DEFAULT_GROUP, MC_DEFAULT_PORT, RCVBUF), ttl;
    char buf[64];
    mc_poller *p;
    mc_listener *l = NULL;
    struct got g;
    const uint8_t dflt_ip[4] = {224, 0, 42, 42};
    ssize_t n;

    CHECK(MC_DEFAULT_PORT == 4242 && MC_DEFAULT_TTL == 1 &&
          strcmp(MC_DEFAULT_GROUP, "224.0.42.42") == 0);
    memset(&g, 0, sizeof g);
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK_RC(mc_listener_new(p, NULL, got_packet, &g, &l), 0); /* default opts */

    CHECK_RC(mc_sendto("dflt", 4, NULL, 0, -1), 4);
    n = raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS);
    CHECK(n == 4 && memcmp(buf, "dflt", 4) == 0);
    CHECK(ttl == MC_DEFAULT_TTL);
    long end = now_ms() + WAIT_MS;
    while (g.count < 1 && now_ms() < end) mc_poll(p, 20);
    CHECK(g.count == 1 && strcmp(g.text, "dflt") == 0);
    CHECK(g.last.group.family == AF_INET && g.last.group.port == 4242);
    CHECK(memcmp(g.last.group.ip, dflt_ip, 4) == 0);

    CHECK_RC(mc_sendto("neg", 3, NULL, 0, -7), 3); /* any ttl < 0 */
    n = raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS);
    CHECK(n == 3 && memcmp(buf, "neg", 3) == 0 && ttl == 1);

    CHECK_RC(mc_sendto_opts(NULL, "opts", 4), 4);
    n = raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS);
    CHECK(n == 4 && memcmp(buf, "opts", 4) == 0 && ttl == 1);

    mc_opts *o = mc_opts_new(); /* defaults, said explicitly */
    CHECK_RC(mc_sendto_opts(o, "new", 3), 3);
    n = raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS);
    CHECK(n == 3 && memcmp(buf, "new", 3) == 0 && ttl == 1);
    mc_opts_free(o);

    mc_buf two[2] = {{"m1", 2}, {"m2", 2}};
    CHECK_RC(mc_sendto_many(two, 2, NULL, 0, -1), 2);
    n = raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS);
    CHECK(n == 2 && memcmp(buf, "m1", 2) == 0 && ttl == 1);
    n = raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS);
    CHECK(n == 2 && memcmp(buf, "m2", 2) == 0 && ttl == 1);

    end = now_ms() + WAIT_MS;
    while (g.count < 6 && now_ms() < end) mc_poll(p, 20);
    CHECK(g.count == 6);
    mc_poller_free(p);
    close(s);

    /* each default alone */
    s = raw_receiver(MC_DEFAULT_GROUP, 5202, RCVBUF);
    CHECK_RC(mc_sendto("g", 1, NULL, 5202, 3), 1);
    n = raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS);
    CHECK(n == 1 && buf[0] == 'g' && ttl == 3);
    close(s);
    s = raw_receiver("224.2.0.3", MC_DEFAULT_PORT, RCVBUF);
    CHECK_RC(mc_sendto("p", 1, "224.2.0.3", 0, 4), 1);
    n = raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS);
    CHECK(n == 1 && buf[0] == 'p' && ttl == 4);
    close(s);
}

static void test_sendto_many(void) {
    enum { N = 200 };
    int s = raw_receiver("224.2.0.4", 5204, RCVBUF), ttl;
    static uint8_t pkts[N][64];
    mc_buf bufs[N];
    uint8_t buf[128];
    ssize_t n;

    for (int i = 0; i < N; i++) {
        size_t len = 4 + (size_t)(i % 50);
        pkts[i][0] = (uint8_t)(i >> 24);
        pkts[i][1] = (uint8_t)(i >> 16);
        pkts[i][2] = (uint8_t)(i >> 8);
        pkts[i][3] = (uint8_t)i;
        for (size_t k = 4; k < len; k++) pkts[i][k] = (uint8_t)(i + k);
        bufs[i].data = pkts[i];
        bufs[i].len = len;
    }
    CHECK_RC(mc_sendto_many(bufs, N, "224.2.0.4", 5204, 2), N);
    int got = 0, in_order = 1;
    for (int i = 0; i < N; i++) {
        n = raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS);
        if (n < 0) break;
        got++;
        int seq = (buf[0] << 24) | (buf[1] << 16) | (buf[2] << 8) | buf[3];
        if (seq != i || n != (ssize_t)bufs[i].len || memcmp(buf, pkts[i], bufs[i].len) != 0 ||
            ttl != 2) {
            if (in_order)
                fprintf(stderr, "packet %d: got seq %d, %zd bytes, ttl %d\n", i, seq, n, ttl);
            in_order = 0;
        }
    }
    CHECK(got == N);
    CHECK(in_order);
    expect_marker_next(s, "224.2.0.4", 5204); /* nothing more than the N */

    /* zero-length entries, NULL only with length 0 */
    mc_buf mixed[3] = {{"a", 1}, {NULL, 0}, {"c", 1}};
    CHECK_RC(mc_sendto_many(mixed, 3, "224.2.0.4", 5204, -1), 3);
    CHECK(raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS) == 1 && buf[0] == 'a');
    CHECK(raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS) == 0);
    CHECK(raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS) == 1 && buf[0] == 'c');

    /* count 0: nothing to do */
    CHECK_RC(mc_sendto_many(bufs, 0, "224.2.0.4", 5204, -1), 0);
    CHECK_RC(mc_sendto_many(NULL, 0, "224.2.0.4", 5204, -1), 0);
    expect_marker_next(s, "224.2.0.4", 5204);

    /* a NULL entry: MC_EINVAL and none is sent, not even those before it */
    mc_buf holey[10];
    for (int i = 0; i < 10; i++) { holey[i].data = "h"; holey[i].len = 1; }
    holey[3].data = NULL;
    holey[3].len = 5;
    CHECK_RC(mc_sendto_many(holey, 10, "224.2.0.4", 5204, -1), MC_EINVAL);
    CHECK_MSG("NULL");
    CHECK_RC(mc_sendto_many(NULL, 3, "224.2.0.4", 5204, -1), MC_EINVAL);
    CHECK_RC(mc_sendto_many(bufs, 3, "10.1.2.3", 5204, -1), MC_EADDRESS);
    CHECK_MSG("10.1.2.3");
    CHECK_RC(mc_sendto_many(bufs, 3, "224.2.0.4", 5204, 256), MC_EINVAL);
    CHECK_MSG("256");
    expect_marker_next(s, "224.2.0.4", 5204);
    close(s);
}

static void test_sendto_opts(void) {
    int s = raw_receiver("224.2.0.5", 5205, RCVBUF), ttl;
    char buf[64];
    ssize_t n;
    mc_opts *o = mc_opts_new();

    CHECK_RC(mc_opts_set_group(o, "224.2.0.5"), 0);
    CHECK_RC(mc_opts_set_port(o, 5205), 0);
    CHECK_RC(mc_opts_set_ttl(o, 9), 0);
    const char *ifaces[] = {"lo", "1", "127.0.0.1"};
    for (int i = 0; i < 3; i++) {
        CHECK_RC(mc_opts_set_interface(o, ifaces[i]), 0);
        CHECK_RC(mc_sendto_opts(o, "via-lo", 6), 6);
        n = raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS);
        CHECK(n == 6 && memcmp(buf, "via-lo", 6) == 0);
        CHECK(ttl == 9);
    }
    CHECK_RC(mc_opts_set_interface(o, NULL), 0); /* the system's choice */
    CHECK_RC(mc_opts_set_ttl(o, 0), 0);
    CHECK_RC(mc_sendto_opts(o, "ttl0", 4), 4);
    n = raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS);
    CHECK(n == 4 && memcmp(buf, "ttl0", 4) == 0 && ttl == 0);

    /* bad input: nothing sent, the options still work afterwards */
    CHECK_RC(mc_opts_set_interface(o, "*"), 0);
    CHECK_RC(mc_sendto_opts(o, "star", 4), MC_EINVAL);
    CHECK_MSG("*");
    CHECK_RC(mc_opts_set_interface(o, "lo"), 0);
    CHECK_RC(mc_sendto_opts(o, NULL, 3), MC_EINVAL);
    CHECK_MSG("NULL");
    expect_marker_next(s, "224.2.0.5", 5205);
    CHECK_RC(mc_sendto_opts(o, NULL, 0), 0);
    CHECK(raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS) == 0);
    mc_opts_free(o);
    close(s);
}

/* --- several threads at once ------------------------------------------------ */

enum { THREADS = 4, PER_THREAD = 200, CHUNK = 4, WINDOW = 64 };

/* Flow control: a sender takes a credit per packet, the receiver gives one
   back per packet read, so the socket never holds more than WINDOW. */
struct flow {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int credits;
    int abort;
};

struct sender {
    struct flow *f;
    int tid;
    int errors;    /* calls that did not return what they should */
    int starved;   /* gave up waiting for credits */
};

static int take_credits(struct flow *f, int n) {
    struct timespec dl;
    int ok = 1;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += WAIT_MS / 1000;
    pthread_mutex_lock(&f->mu);
    while (f->credits < n && !f->abort && ok)
        if (pthread_cond_timedwait(&f->cv, &f->mu, &dl) == ETIMEDOUT) ok = 0;
    if (f->abort) ok = 0;
    if (ok) f->credits -= n;
    pthread_mutex_unlock(&f->mu);
    return ok;
}

static void give_credit(struct flow *f) {
    pthread_mutex_lock(&f->mu);
    f->credits++;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static void *sender_main(void *arg) {
    struct sender *t = arg;
    uint8_t pk[CHUNK][8];
    mc_buf bufs[CHUNK];
    int ttl = 1 + t->tid;
    for (int seq = 0; seq < PER_THREAD; seq += CHUNK) {
        if (!take_credits(t->f, CHUNK)) { t->starved = 1; return NULL; }
        for (int k = 0; k < CHUNK; k++) {
            pk[k][0] = (uint8_t)t->tid;
            pk[k][1] = (uint8_t)((seq + k) >> 8);
            pk[k][2] = (uint8_t)(seq + k);
            memset(pk[k] + 3, 0x5a, 5);
            bufs[k].data = pk[k];
            bufs[k].len = 8;
        }
        if ((seq / CHUNK) % 2 == 0) {
            for (int k = 0; k < CHUNK; k++)
                if (mc_sendto(pk[k], 8, "224.2.0.6", 5206, ttl) != 8) t->errors++;
        } else if (mc_sendto_many(bufs, CHUNK, "224.2.0.6", 5206, ttl) != CHUNK) {
            t->errors++;
        }
    }
    return NULL;
}

static void test_threads(void) {
    int s = raw_receiver("224.2.0.6", 5206, RCVBUF), ttl;
    struct flow f;
    struct sender t[THREADS];
    pthread_t th[THREADS];
    static unsigned char seen[THREADS][PER_THREAD];
    int total = 0, dups = 0, bad = 0;
    uint8_t buf[64];

    memset(seen, 0, sizeof seen);
    pthread_mutex_init(&f.mu, NULL);
    pthread_cond_init(&f.cv, NULL);
    f.credits = WINDOW;
    f.abort = 0;
    for (int i = 0; i < THREADS; i++) {
        t[i].f = &f;
        t[i].tid = i;
        t[i].errors = t[i].starved = 0;
        CHECK(pthread_create(&th[i], NULL, sender_main, &t[i]) == 0);
    }
    long end = now_ms() + 4 * WAIT_MS;
    while (total < THREADS * PER_THREAD && now_ms() < end) {
        ssize_t n = raw_recv(s, buf, sizeof buf, &ttl, NULL, 20);
        if (n < 0) continue;
        give_credit(&f);
        int tid = buf[0], seq = (buf[1] << 8) | buf[2];
        if (n != 8 || tid >= THREADS || seq >= PER_THREAD || ttl != 1 + tid) {
            bad++;
            continue;
        }
        if (seen[tid][seq]++) dups++;
        total++;
    }
    pthread_mutex_lock(&f.mu);
    f.abort = 1;
    pthread_cond_broadcast(&f.cv);
    pthread_mutex_unlock(&f.mu);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK(t[i].errors == 0);
        CHECK(t[i].starved == 0);
    }
    CHECK(total == THREADS * PER_THREAD);
    CHECK(dups == 0);
    CHECK(bad == 0);
    for (int i = 0; i < THREADS; i++)
        for (int k = 0; k < PER_THREAD; k++)
            if (!seen[i][k]) { fprintf(stderr, "missing thread %d packet %d\n", i, k); CHECK(0); i = THREADS; break; }
    CHECK(raw_recv(s, buf, sizeof buf, &ttl, NULL, 50) == -1); /* nothing more */
    pthread_cond_destroy(&f.cv);
    pthread_mutex_destroy(&f.mu);
    close(s);
}

/* --- bad input ------------------------------------------------------------ */

static void test_bad_input(void) {
    int s = raw_receiver("224.2.0.7", 5207, RCVBUF);

    CHECK_RC(mc_sendto(NULL, 5, "224.2.0.7", 5207, -1), MC_EINVAL);
    CHECK_MSG("NULL");
    const char *bad_groups[] = {"10.0.0.1", "127.0.0.1", "garbage", "", "224.0.0",
                                "240.0.0.1", "::1"};
    for (size_t i = 0; i < sizeof bad_groups / sizeof *bad_groups; i++) {
        CHECK_RC(mc_sendto("x", 1, bad_groups[i], 5207, -1), MC_EADDRESS);
        CHECK_MSG(bad_groups[i]);
    }
    CHECK_RC(mc_sendto("x", 1, "\xff\xfe", 5207, -1), MC_EADDRESS);
    CHECK_RC(mc_sendto("x", 1, "224.2.0.7", 5207, 256), MC_EINVAL);
    CHECK_MSG("256");
    CHECK_RC(mc_sendto("x", 1, "224.2.0.7", 5207, INT_MAX), MC_EINVAL);
    mc_opts *o = mc_opts_new();
    CHECK_RC(mc_opts_set_group(o, "224.2.0.7"), 0);
    CHECK_RC(mc_opts_set_port(o, 5207), 0);
    CHECK_RC(mc_opts_set_interface(o, "*"), 0);
    CHECK_RC(mc_sendto_opts(o, "x", 1), MC_EINVAL);
    mc_opts_free(o);
    expect_nothing(s);
    /* the failures left nothing broken */
    expect_marker_next(s, "224.2.0.7", 5207);
    close(s);
}

int main(void) {
    require_private_netns();
    test_sendto();
    test_defaults();
    test_sendto_many();
    test_sendto_opts();
    test_threads();
    test_bad_input();
    return check_done("send");
}
