/* gso.c CASE - batches on the wire (API.md 0.2 mc_opts_set_gso/_gro):
 *   lo        mc_sendto_many's runs go out as UDP GSO sends (a GRO listener counts
 *             coalesced runs) yet a plain socket receives every datagram, byte-exact
 *             and in order, mixed sizes and short last segments included; a GRO
 *             listener delivers each datagram on its own (sizes, truncation at the
 *             mtu, per-datagram filter, stats, pull mode), the same as with GRO off;
 *             a multicaster with GSO on and off
 *   fallback  (veth) a multicaster sends 1400-byte numbered packets with GSO while
 *             mc0's MTU drops to 576: the GSO send is refused (EMSGSIZE) and the
 *             packets go again as ordinary ones: the peer gets each exactly once
 *   v6        (veth) IPv6: a GSO burst to the peer's plain socket, and a GSO burst
 *             from the peer's netns to a GRO listener here
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/wait.h>

#include "wire.h"

#define N 300

static uint8_t payload[N][2000];
static mc_buf bufs[N];

/* Packet i: its number in the first 4 bytes, then a pattern; its size from
   sizes[] (runs of equal sizes with a shorter one now and then). */
static size_t size_of(int i) {
    static const size_t sizes[] = {100, 100, 100, 37, 1000, 1000, 1000, 1000, 1, 1400, 1400, 64};
    return sizes[i % (int)(sizeof sizes / sizeof sizes[0])];
}

static void make_packets(void) {
    for (int i = 0; i < N; i++) {
        size_t len = size_of(i);
        for (size_t k = 0; k < sizeof payload[i]; k++) payload[i][k] = (uint8_t)(i * 7 + k);
        memcpy(payload[i], &i, 4);
        bufs[i].data = payload[i];
        bufs[i].len = len;
    }
}

static int same(const mc_packet *p, int i, size_t mtu) {
    size_t len = size_of(i);
    size_t want = len < mtu ? len : mtu;
    return p->size == len && p->len == want && memcmp(p->data, payload[i], want) == 0;
}

struct got {
    int n;
    int bad;
    int order;
    size_t mtu;
    int filtered;   /* every other one: a datagram under 4 bytes has no number to check */
};

static int number_of(const mc_packet *p, int expect) {
    int i = expect;
    if (p->len >= 4 && p->size >= 4) memcpy(&i, p->data, 4);
    return i;
}

static int on_packet(void *ud, const mc_packet *p) {
    struct got *g = ud;
    int i = number_of(p, g->n);
    if (g->filtered && p->size < 4) { g->n++; return 0; }
    if (!g->filtered && i != g->n) g->order++;
    if (i < 0 || i >= N || !same(p, i, g->mtu)) g->bad++;
    g->n++;
    return 0;
}

/* Every other packet by number: a filter sees each datagram of a run. */
static int even_only(void *ud, const mc_packet *p) {
    (void)ud;
    return number_of(p, 0) % 2 == 0;
}

static mc_listener *listener(mc_poller *p, const char *group, uint16_t port, int gro,
                             size_t mtu, struct got *g, const char *iface) {
    mc_opts *o = opts_for(group, port);
    CHECK_RC(mc_opts_set_gro(o, gro), 0);
    CHECK_RC(mc_opts_set_mtu(o, mtu), 0);
    if (iface) CHECK_RC(mc_opts_set_interface(o, iface), 0);
    mc_listener *l = NULL;
    memset(g, 0, sizeof *g);
    g->mtu = mtu;
    CHECK_RC(mc_listener_new(p, o, g ? on_packet : NULL, g, &l), 0);
    mc_opts_free(o);
    return l;
}

static void sendto_many_lo(void) {
    mc_poller *p = NULL;
    CHECK_RC(mc_poller_new(&p), 0);
    struct got a, b, c, f;
    mc_listener *gro = listener(p, "239.6.6.1", 6601, 1, 4096, &a, NULL);
    mc_listener *plain = listener(p, "239.6.6.1", 6601, 0, 4096, &b, NULL);
    mc_listener *small = listener(p, "239.6.6.1", 6601, 1, 50, &c, NULL);   /* truncates */
    mc_listener *filt = listener(p, "239.6.6.1", 6601, 1, 4096, &f, NULL);
    CHECK_RC(mc_listener_set_filter(filt, even_only, NULL), 0);
    f.filtered = 1;
    int raw = raw_receiver("239.6.6.1", 6601, 4 << 20);

    CHECK_RC(mc_sendto_many(bufs, N, "239.6.6.1", 6601, 1), N);
    CHECK(wait_for(p, &a.n, N) && wait_for(p, &b.n, N) && wait_for(p, &c.n, N));
    CHECK(wait_for(p, &f.n, N / 2));
    quiet(p, 50);
    printf("lo: gro %d (bad %d, out of order %d), plain %d (bad %d), mtu-50 %d (bad %d), "
           "filtered %d\n", a.n, a.bad, a.order, b.n, b.bad, c.n, c.bad, f.n);
    CHECK(a.n == N && a.bad == 0 && a.order == 0);
    CHECK(b.n == N && b.bad == 0 && b.order == 0);
    CHECK(c.n == N && c.bad == 0);
    CHECK(f.n == N / 2 && f.bad == 0);

    mc_listener_stats st;
    mc_listener_counts k;
    CHECK_RC(mc_listener_get_stats(gro, &st), 0);
    CHECK_RC(mc_listener_get_counts(gro, &k), 0);
    printf("lo: GRO listener stats received %llu delivered %llu, coalesced runs %llu\n",
           (unsigned long long)st.received, (unsigned long long)st.delivered,
           (unsigned long long)k.coalesced);
    CHECK(st.received == N && st.delivered == N && st.truncated == 0);
    CHECK(k.coalesced > 0);                  /* the sends were GSO runs */
    CHECK(k.coalesced < N / 2);
    CHECK_RC(mc_listener_get_counts(plain, &k), 0);
    CHECK(k.coalesced == 0);                 /* GRO off: ordinary datagrams */
    CHECK_RC(mc_listener_get_stats(small, &st), 0);
    int over = 0;
    for (int i = 0; i < N; i++) over += size_of(i) > 50;
    CHECK(st.truncated == (uint64_t)over);
    CHECK_RC(mc_listener_get_stats(filt, &st), 0);
    CHECK(st.received == N && st.filtered == N / 2 && st.delivered == N / 2);

    /* the plain socket: every datagram, byte-exact, in order */
    int ok = 0, ttl;
    static uint8_t buf[70000];
    for (int i = 0; i < N; i++) {
        ssize_t n = raw_recv(raw, buf, sizeof buf, &ttl, NULL, 1000);
        if (n == (ssize_t)size_of(i) && memcmp(buf, payload[i], (size_t)n) == 0) ok++;
        else fprintf(stderr, "plain socket: datagram %d: %zd bytes\n", i, n);
    }
    CHECK(ok == N);
    CHECK(raw_recv(raw, buf, sizeof buf, &ttl, NULL, 50) < 0);   /* and no more */
    close(raw);
    mc_listener_close(plain);
    mc_listener_close(small);
    mc_listener_close(filt);

    /* pull mode with GRO: each datagram on its own */
    mc_opts *o = opts_for("239.6.6.2", 6602);
    mc_listener *pull = NULL;
    CHECK_RC(mc_listener_new(p, o, NULL, NULL, &pull), 0);
    CHECK_RC(mc_sendto_many(bufs, 24, "239.6.6.2", 6602, 1), 24);
    int pulled = 0, pbad = 0;
    const mc_packet *pk;
    while (pulled < 24 && mc_listener_next(pull, &pk, 1000) == 1) {
        if (!same(pk, pulled, 4096)) pbad++;
        pulled++;
    }
    CHECK(pulled == 24 && pbad == 0);
    CHECK_RC(mc_listener_get_counts(pull, &k), 0);
    CHECK(k.coalesced > 0);
    mc_listener_close(pull);
    mc_opts_free(o);
    mc_listener_close(gro);
    mc_poller_free(p);
}

/* A multicaster that hands out packets 0..N-1 (with GSO as opts say). */
struct feed { int next, total; };
static int feed_next(void *ud, const uint8_t **data, size_t *len) {
    struct feed *f = ud;
    if (f->next >= f->total) return MC_NEXT_DONE;
    *data = payload[f->next % N];
    *len = size_of(f->next % N);
    f->next++;
    return MC_NEXT_PACKET;
}

static void multicaster_lo(void) {
    for (int gso = 0; gso <= 1; gso++) {
        mc_poller *p = NULL;
        CHECK_RC(mc_poller_new(&p), 0);
        struct got a;
        mc_listener *l = listener(p, "239.6.6.3", 6603, 1, 4096, &a, NULL);
        mc_opts *o = opts_for("239.6.6.3", 6603);
        CHECK_RC(mc_opts_set_gso(o, gso), 0);
        struct feed fd = {0, N};
        mc_multicaster *m = NULL;
        CHECK_RC(mc_multicaster_new(p, o, feed_next, &fd, &m), 0);
        CHECK(wait_for(p, &a.n, N));
        quiet(p, 50);
        mc_listener_counts k;
        CHECK_RC(mc_listener_get_counts(l, &k), 0);
        printf("multicaster gso %d: %d received (bad %d, out of order %d), coalesced %llu\n",
               gso, a.n, a.bad, a.order, (unsigned long long)k.coalesced);
        CHECK(a.n == N && a.bad == 0 && a.order == 0);
        CHECK(gso ? k.coalesced > 0 : k.coalesced == 0);
        CHECK_RC(mc_multicaster_resume(m), MC_ECLOSED);   /* DONE closed it */
        mc_opts_free(o);
        mc_poller_free(p);
    }
}

static const char *env(const char *name) {
    const char *v = getenv(name);
    if (!v) { fprintf(stderr, "%s not set (run through tests/netns-veth)\n", name); exit(2); }
    return v;
}

static void enter_peer(void) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/ns/net", env("MC_PEER_PID"));
    int ns = open(path, O_RDONLY);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) _exit(3);
}

/* A child in the peer netns with a plain socket on group:port (IPv4 or 6,
   joined on mc1) that counts datagrams by their number until it has `want`
   distinct ones or timeout_ms passed; writes "r" once joined, then
   (distinct, duplicates, total) as three ints to the pipe. */
static int peer_counter(const char *group, uint16_t port, int want, int timeout_ms, pid_t *pid) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    *pid = fork();
    if (*pid == 0) {
        enter_peer();
        int v6 = strchr(group, ':') != NULL, one = 1;
        int s = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
        int rb = 8 << 20;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
        unsigned ix = if_nametoindex("mc1");
        if (v6) {
            struct sockaddr_in6 a;
            memset(&a, 0, sizeof a);
            a.sin6_family = AF_INET6;
            a.sin6_port = htons(port);
            if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) _exit(4);
            struct ipv6_mreq m;
            inet_pton(AF_INET6, group, &m.ipv6mr_multiaddr);
            m.ipv6mr_interface = ix;
            if (setsockopt(s, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m) != 0) _exit(5);
        } else {
            struct sockaddr_in a;
            memset(&a, 0, sizeof a);
            a.sin_family = AF_INET;
            a.sin_port = htons(port);
            inet_pton(AF_INET, group, &a.sin_addr);
            if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) _exit(4);
            struct ip_mreqn m;
            memset(&m, 0, sizeof m);
            m.imr_multiaddr = a.sin_addr;
            m.imr_ifindex = (int)ix;
            if (setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) != 0) _exit(5);
        }
        if (write(fds[1], "r", 1) != 1) _exit(6);
        static unsigned char seen[1 << 16];
        int distinct = 0, dups = 0, total = 0;
        long end = now_ms() + timeout_ms;
        while (distinct < want && now_ms() < end) {
            unsigned char b[2000];
            struct pollfd pf = {s, POLLIN, 0};
            if (poll(&pf, 1, 20) != 1) continue;
            ssize_t n = recv(s, b, sizeof b, 0);
            if (n < 4) continue;
            int i;
            memcpy(&i, b, 4);
            total++;
            if (i < 0 || i >= (1 << 16)) continue;
            if (seen[i]) dups++; else { seen[i] = 1; distinct++; }
        }
        {
            long q = now_ms() + 100;   /* late duplicates */
            while (now_ms() < q) {
                unsigned char b[2000];
                struct pollfd pf = {s, POLLIN, 0};
                if (poll(&pf, 1, 20) == 1 && recv(s, b, sizeof b, 0) >= 4) {
                    int i;
                    memcpy(&i, b, 4);
                    total++;
                    if (i >= 0 && i < (1 << 16) && seen[i]) dups++;
                }
            }
        }
        int r[3] = {distinct, dups, total};
        if (write(fds[1], r, sizeof r) != sizeof r) _exit(7);
        _exit(0);
    }
    close(fds[1]);
    char c;
    CHECK(read(fds[0], &c, 1) == 1);
    return fds[0];
}

static void peer_result(int fd, pid_t pid, int r[3]) {
    CHECK(read(fd, r, 3 * sizeof(int)) == 3 * sizeof(int));
    close(fd);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Numbered 1400-byte packets from a multicaster, GSO on, while the MTU drops. */
static uint8_t big[1400];
struct seq { int next, total, paused; };
static int seq_next(void *ud, const uint8_t **data, size_t *len) {
    struct seq *s = ud;
    if (s->next >= s->total) return MC_NEXT_DONE;
    if (s->next == s->total / 2 && !s->paused) {
        s->paused = 1;
        return MC_NEXT_WAIT;      /* the MTU changes here */
    }
    memcpy(big, &s->next, 4);
    s->next++;
    *data = big;
    *len = sizeof big;
    return MC_NEXT_PACKET;
}

static void test_fallback(void) {
    const int total = 2000;
    pid_t pid;
    int fd = peer_counter("239.6.6.4", 6604, total, 10000, &pid);
    mc_poller *p = NULL;
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("239.6.6.4", 6604);
    CHECK_RC(mc_opts_set_interface(o, "mc0"), 0);
    CHECK_RC(mc_opts_set_loopback(o, 0), 0);
    struct seq s = {0, total, 0};
    mc_multicaster *m = NULL;
    CHECK_RC(mc_multicaster_new(p, o, seq_next, &s, &m), 0);
    long end = now_ms() + 5000;
    while (!s.paused && now_ms() < end) mc_poll(p, 10);
    CHECK(s.paused);
    if (system("ip link set mc0 mtu 576") != 0) CHECK(!"ip link set mc0 mtu 576");
    CHECK_RC(mc_multicaster_resume(m), 0);
    end = now_ms() + 10000;
    while (mc_multicaster_resume(m) == 0 && now_ms() < end) mc_poll(p, 10);
    int r[3];
    peer_result(fd, pid, r);
    printf("fallback: %d sent in 1400-byte packets, MTU 1500 -> 576 halfway: the peer got "
           "%d distinct, %d duplicates, %d datagrams\n", total, r[0], r[1], r[2]);
    CHECK(r[0] == total && r[1] == 0);
    if (system("ip link set mc0 mtu 1500") != 0) CHECK(!"mtu back");
    mc_opts_free(o);
    mc_poller_free(p);
}

static void test_v6(void) {
    /* ours -> the peer's plain socket */
    pid_t pid;
    int fd = peer_counter("ff05::6605", 6605, N, 5000, &pid);
    mc_opts *o = opts_for("ff05::6605", 6605);
    CHECK_RC(mc_opts_set_interface(o, "mc0"), 0);
    mc_buf b[N];
    for (int i = 0; i < N; i++) { b[i].data = payload[i]; b[i].len = size_of(i) < 4 ? 4 : size_of(i); }
    CHECK_RC(mc_sendto_many(b, N, "ff05::6605", 6605, 1), N);   /* the route: mc0 */
    int r[3];
    peer_result(fd, pid, r);
    printf("v6: the peer got %d distinct of %d, %d duplicates\n", r[0], N, r[1]);
    CHECK(r[0] == N && r[1] == 0);
    mc_opts_free(o);

    /* a GSO burst from the peer's netns -> a GRO listener here */
    mc_poller *p = NULL;
    CHECK_RC(mc_poller_new(&p), 0);
    struct got a;
    mc_listener *l = listener(p, "ff05::6606", 6606, 1, 4096, &a, "mc0");
    pid_t child = fork();
    if (child == 0) {
        enter_peer();
        mc_opts *po = mc_opts_new();
        mc_opts_set_group(po, "ff05::6606");
        mc_opts_set_port(po, 6606);
        mc_opts_set_interface(po, "mc1");
        int lim = 0;
        /* mc_sendto_many takes no interface: a multicaster with GSO on */
        struct feed f = {0, N};
        mc_poller *pp = NULL;
        mc_multicaster *m = NULL;
        if (mc_poller_new(&pp) || mc_multicaster_new(pp, po, feed_next, &f, &m)) _exit(8);
        while (mc_multicaster_resume(m) == 0 && lim++ < 500) mc_poll(pp, 10);
        _exit(f.next == N ? 0 : 9);
    }
    int st = 0;
    CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(wait_for(p, &a.n, N));
    quiet(p, 50);
    mc_listener_counts k;
    CHECK_RC(mc_listener_get_counts(l, &k), 0);
    printf("v6: GRO listener got %d (bad %d, out of order %d), coalesced %llu\n", a.n, a.bad,
           a.order, (unsigned long long)k.coalesced);
    CHECK(a.n == N && a.bad == 0 && a.order == 0);
    CHECK(k.coalesced > 0);
    mc_poller_free(p);
}

static void test_lo(void) {
    sendto_many_lo();
    multicaster_lo();
}

int main(int argc, char **argv) {
    static const check_case cases[] = {
        { "lo", test_lo }, { "fallback", test_fallback }, { "v6", test_v6 },
    };
    make_packets();
    return check_main("gso", argc, argv, cases, sizeof cases / sizeof *cases);
}
