/* blocks.c CASE - blocked sources of an any-source group on lo
 * (mc_listener_block_source / mc_listener_unblock_source). Plain sockets bound
 * to 127.0.0.2, .3, .4 send (127.0.0.0/8 is local on lo); groups 239.46.C.Y,
 * 232.46.0.1, ff05::46:Y, ports 4601..4620 (no other test uses them). Cases:
 *   lo        a blocked source is silenced while others arrive; the kernel's
 *             filter (/proc/net/mcfilter) says so; unblocked, it arrives again
 *   errors    MC_EEXIST, MC_ENOTFOUND, MC_EINVAL (source-specific group, NULL),
 *             MC_EADDRESS (bad strings, the other family), MC_ECLOSED
 *   callback  block and unblock from inside on_packet
 *   drop      mc_listener_drop_group forgets the blocks: added again, the group
 *             has none
 *   limit     (a namespace of its own) igmp_max_msf 2: the third block is
 *             -ENOBUFS naming the sysctl and its value, nothing of it applied;
 *             igmp_max_memberships 1 and "*" over lo and a veth pair: the
 *             blocks are on each interface's socket
 *   v6        IPv6 on lo: the other family is MC_EADDRESS; blocks until the
 *             kernel's mld_max_msf: -ENOBUFS naming it, nothing half-applied
 * Run by tests/blocks.rs. */
#define _GNU_SOURCE
#include "wire.h"
#include "groups.h"
#include "blocks.h"

#define SSM "232.46.0.1"

/* The case's groups: 239.46.C.1 and .2 for case C (the cases on lo run side by
   side in one namespace, and /proc/net/mcfilter is the namespace's). */
static const char *G1, *G2;

static void groups_of_case(int c) {
    static char g1[32], g2[32];
    snprintf(g1, sizeof g1, "239.46.%d.1", c);
    snprintf(g2, sizeof g2, "239.46.%d.2", c);
    G1 = g1;
    G2 = g2;
}

static int sock2, sock3, sock4;

static void open_senders(void) {
    sock2 = bound_socket("127.0.0.2");
    sock3 = bound_socket("127.0.0.3");
    sock4 = bound_socket("127.0.0.4");
}

static void close_senders(void) {
    close(sock2);
    close(sock3);
    close(sock4);
}

static void send_from(int s, const char *group, uint16_t port) {
    plain_send(s, group, port, "blk", 3, 0);
}

/* A case's start: a poller, r zeroed, the senders open. */
static void start(mc_poller **p, rec_t *r) {
    memset(r, 0, sizeof *r);
    *p = NULL;
    CHECK_RC(mc_poller_new(p), 0);
    open_senders();
}

/* Its end: the senders closed, the poller freed. */
static void finish(mc_poller *p) {
    close_senders();
    mc_poller_free(p);
}

/* The sender of 127.0.0.`n`. */
static int sock_of(int n) { return n == 2 ? sock2 : n == 3 ? sock3 : sock4; }

/* Sends from 127.0.0.n until one arrives from it: 1 if it did within WAIT_MS. */
static int arrives(mc_poller *p, rec_t *r, const char *group, uint16_t port, int n) {
    int want = r->from[n] + 1;
    long end = now_ms() + WAIT_MS;
    while (r->from[n] < want && now_ms() < end) {
        send_from(sock_of(n), group, port);
        long step = now_ms() + 50;
        while (r->from[n] < want && now_ms() < step) mc_poll(p, 10);
    }
    return r->from[n] >= want;
}

/* 127.0.0.b sends 3 datagrams, then 127.0.0.other until one of its arrives
   and QUIET_MS more: 1 if none from b came. */
static int silenced(mc_poller *p, rec_t *r, const char *group, uint16_t port, int b, int other) {
    int before = r->from[b];
    for (int i = 0; i < 3; i++) send_from(sock_of(b), group, port);
    CHECK(arrives(p, r, group, port, other));
    quiet(p, QUIET_MS);
    return r->from[b] == before;
}

static void test_lo(void) {
    groups_of_case(1);
    mc_poller *p;
    rec_t r;
    start(&p, &r);
    mc_listener *l = listen_rec(p, G1, 4601, NULL, &r);
    CHECK(arrives(p, &r, G1, 4601, 2));
    CHECK(arrives(p, &r, G1, 4601, 3));

    CHECK_RC(mc_listener_block_source(l, G1, "127.0.0.2"), 0);
    CHECK(mcfilter_exc("lo", G1, "127.0.0.2") == 1);
    CHECK(mcfilter_exc("lo", G1, "127.0.0.3") == 0);
    CHECK(silenced(p, &r, G1, 4601, 2, 3));
    CHECK(silenced(p, &r, G1, 4601, 2, 4));

    CHECK_RC(mc_listener_unblock_source(l, G1, "127.0.0.2"), 0);
    CHECK(mcfilter_exc("lo", G1, NULL) == 0);
    CHECK(arrives(p, &r, G1, 4601, 2));

    /* two blocked: the third source still arrives */
    CHECK_RC(mc_listener_block_source(l, G1, "127.0.0.2"), 0);
    CHECK_RC(mc_listener_block_source(l, G1, "127.0.0.3"), 0);
    CHECK(mcfilter_exc("lo", G1, NULL) == 2);
    CHECK(silenced(p, &r, G1, 4601, 2, 4));
    CHECK(silenced(p, &r, G1, 4601, 3, 4));

    /* a second group of the listener is not touched */
    CHECK_RC(mc_listener_add_group(l, G2, NULL), 0);
    CHECK(arrives(p, &r, G2, 4601, 2));
    CHECK(mcfilter_exc("lo", G2, NULL) == 0);

    mc_listener_counts c = counts_of(l);
    printf("lo: from .2 %d, .3 %d, .4 %d; sockets %llu\n", r.from[2], r.from[3], r.from[4],
           (unsigned long long)c.sockets);
    mc_listener_close(l);
    CHECK(mcfilter_exc("lo", G1, NULL) == 0); /* closing leaves: the kernel forgets */
    finish(p);
}

static void test_errors(void) {
    groups_of_case(2);
    mc_poller *p;
    rec_t r;
    start(&p, &r);
    mc_listener *l = listen_rec(p, G1, 4602, NULL, &r);
    CHECK_RC(mc_listener_add_group(l, SSM, "127.0.0.9"), 0);

    CHECK_RC(mc_listener_block_source(l, G1, "127.0.0.2"), 0);
    CHECK_RC(mc_listener_block_source(l, G1, "127.0.0.2"), MC_EEXIST);
    CHECK_MSG("127.0.0.2");
    CHECK_MSG("already blocked");
    CHECK_MSG("mc_listener_block_source");

    /* a group the listener does not hold */
    CHECK_RC(mc_listener_block_source(l, G2, "127.0.0.2"), MC_ENOTFOUND);
    CHECK_MSG(G2);
    CHECK_RC(mc_listener_unblock_source(l, G2, "127.0.0.2"), MC_ENOTFOUND);
    /* a source that is not blocked */
    CHECK_RC(mc_listener_unblock_source(l, G1, "127.0.0.3"), MC_ENOTFOUND);
    CHECK_MSG("not blocked");
    CHECK_MSG("mc_listener_unblock_source");

    /* a group held source-specific */
    CHECK_RC(mc_listener_block_source(l, SSM, "127.0.0.2"), MC_EINVAL);
    CHECK_MSG("source-specific");
    CHECK_RC(mc_listener_unblock_source(l, SSM, "127.0.0.9"), MC_EINVAL);

    /* strings that are not addresses of the kind, or of the other family */
    CHECK_RC(mc_listener_block_source(l, "nonsense", "127.0.0.2"), MC_EADDRESS);
    CHECK_MSG("nonsense");
    CHECK_RC(mc_listener_block_source(l, "10.0.0.1", "127.0.0.2"), MC_EADDRESS);
    CHECK_RC(mc_listener_block_source(l, G1, "nonsense"), MC_EADDRESS);
    CHECK_RC(mc_listener_block_source(l, G1, "239.1.1.1"), MC_EADDRESS);
    CHECK_RC(mc_listener_block_source(l, G1, "0.0.0.0"), MC_EADDRESS);
    CHECK_RC(mc_listener_block_source(l, G1, ""), MC_EADDRESS);
    CHECK_RC(mc_listener_block_source(l, G1, "::1"), MC_EADDRESS);
    CHECK_MSG("other family");
    CHECK_RC(mc_listener_block_source(l, "ff05::46:1", "::1"), MC_EADDRESS);
    CHECK_RC(mc_listener_unblock_source(l, G1, "fd00::2"), MC_EADDRESS);
    CHECK_RC(mc_listener_unblock_source(l, "bogus", "127.0.0.2"), MC_EADDRESS);

    /* NULLs and handles that are none */
    CHECK_RC(mc_listener_block_source(l, NULL, "127.0.0.2"), MC_EINVAL);
    CHECK_MSG("group");
    CHECK_RC(mc_listener_block_source(l, G1, NULL), MC_EINVAL);
    CHECK_MSG("source");
    CHECK_RC(mc_listener_unblock_source(l, G1, NULL), MC_EINVAL);
    CHECK_RC(mc_listener_block_source(NULL, G1, "127.0.0.2"), MC_EINVAL);
    CHECK_RC(mc_listener_unblock_source(NULL, G1, "127.0.0.2"), MC_EINVAL);
    CHECK_RC(mc_listener_block_source((mc_listener *)(uintptr_t)0x7777, G1, "127.0.0.2"),
             MC_EINVAL);

    /* failures changed nothing: one source blocked, on lo */
    CHECK(mcfilter_exc("lo", G1, NULL) == 1);
    CHECK_RC(mc_listener_unblock_source(l, G1, "127.0.0.2"), 0);
    CHECK_RC(mc_listener_unblock_source(l, G1, "127.0.0.2"), MC_ENOTFOUND);

    /* a closed listener */
    mc_listener_close(l);
    CHECK_RC(mc_listener_block_source(l, G1, "127.0.0.2"), MC_ECLOSED);
    CHECK_RC(mc_listener_unblock_source(l, G1, "127.0.0.2"), MC_ECLOSED);
    CHECK_RC(mc_listener_block_source(l, G1, NULL), MC_ECLOSED);
    finish(p);
}

/* on_packet that blocks .2 on its first packet and unblocks it on the first
   packet from .4 after that. */
typedef struct {
    rec_t r;
    mc_listener *l;
    int block_rc, unblock_rc, blocked, unblocked;
} cb_t;

static int on_cb(void *ud, const mc_packet *pk) {
    cb_t *c = ud;
    on_rec(&c->r, pk);
    int n = last_byte(&pk->from);
    if (n == 2 && !c->blocked) {
        c->blocked = 1;
        c->block_rc = mc_listener_block_source(c->l, G1, "127.0.0.2");
    } else if (n == 4 && c->blocked && !c->unblocked) {
        c->unblocked = 1;
        c->unblock_rc = mc_listener_unblock_source(c->l, G1, "127.0.0.2");
    }
    return 0;
}

static void test_callback(void) {
    groups_of_case(3);
    mc_poller *p;
    cb_t c;
    memset(&c, 0, sizeof c);
    start(&p, &c.r);
    mc_opts *o = opts_for(G1, 4603);
    CHECK_RC(mc_listener_new(p, o, on_cb, &c, &c.l), 0);
    mc_opts_free(o);
    CHECK(arrives(p, &c.r, G1, 4603, 2));
    CHECK(c.blocked && c.block_rc == 0);
    CHECK(silenced(p, &c.r, G1, 4603, 2, 3));
    CHECK(arrives(p, &c.r, G1, 4603, 4)); /* unblocks */
    CHECK(c.unblocked && c.unblock_rc == 0);
    CHECK(arrives(p, &c.r, G1, 4603, 2));
    CHECK(mcfilter_exc("lo", G1, NULL) == 0);
    mc_listener_close(c.l);
    finish(p);
}

static void test_drop(void) {
    groups_of_case(4);
    mc_poller *p;
    rec_t r;
    start(&p, &r);
    mc_listener *l = listen_rec(p, G1, 4604, NULL, &r);
    CHECK_RC(mc_listener_add_group(l, G2, NULL), 0);
    CHECK_RC(mc_listener_block_source(l, G1, "127.0.0.2"), 0);
    CHECK_RC(mc_listener_block_source(l, G2, "127.0.0.2"), 0);
    CHECK(silenced(p, &r, G1, 4604, 2, 3));

    CHECK_RC(mc_listener_drop_group(l, G1, NULL), 0);
    CHECK_RC(mc_listener_block_source(l, G1, "127.0.0.3"), MC_ENOTFOUND);
    CHECK_RC(mc_listener_unblock_source(l, G1, "127.0.0.2"), MC_ENOTFOUND);
    CHECK(mcfilter_exc("lo", G1, NULL) == 0);
    CHECK_RC(mc_listener_add_group(l, G1, NULL), 0);
    CHECK(arrives(p, &r, G1, 4604, 2)); /* not blocked any more */
    CHECK_RC(mc_listener_unblock_source(l, G1, "127.0.0.2"), MC_ENOTFOUND);
    CHECK_RC(mc_listener_block_source(l, G1, "127.0.0.2"), 0); /* blockable again */
    CHECK(silenced(p, &r, G1, 4604, 2, 3));

    /* the other group kept its block all along */
    CHECK(mcfilter_exc("lo", G2, "127.0.0.2") == 1);
    CHECK(silenced(p, &r, G2, 4604, 2, 4));
    mc_listener_close(l);
    finish(p);
}

static void write_sysctl(const char *name, long v) {
    char path[128];
    snprintf(path, sizeof path, "/proc/sys/net/ipv4/%s", name);
    FILE *f = fopen(path, "w");
    if (!f || fprintf(f, "%ld\n", v) < 0 || fclose(f) != 0) { perror(path); exit(2); }
}

/* In a namespace of its own (tests/blocks.rs: lo and the veth pair mcb0a/mcb0b). */
static void test_limit(void) {
    groups_of_case(5);
    write_sysctl("igmp_max_msf", 2);
    write_sysctl("igmp_max_memberships", 1);
    mc_poller *p;
    rec_t r;
    start(&p, &r);
    mc_listener *l = listen_rec(p, G1, 4605, "*", &r);
    mc_listener_counts c = counts_of(l);
    printf("limit: \"*\" joined %llu interfaces on %llu sockets\n", (unsigned long long)c.joins,
           (unsigned long long)c.sockets);
    CHECK(c.joins == 3 && c.sockets == 3); /* lo, mcb0a, mcb0b: one socket each */
    CHECK(arrives(p, &r, G1, 4605, 4));

    CHECK_RC(mc_listener_block_source(l, G1, "127.0.0.2"), 0);
    CHECK_RC(mc_listener_block_source(l, G1, "127.0.0.3"), 0);
    const char *devs[] = { "lo", "mcb0a", "mcb0b" };
    for (int i = 0; i < 3; i++) {
        CHECK(mcfilter_exc(devs[i], G1, "127.0.0.2") == 1);
        CHECK(mcfilter_exc(devs[i], G1, "127.0.0.3") == 1);
    }
    CHECK_RC(mc_listener_block_source(l, G1, "127.0.0.4"), -ENOBUFS);
    printf("limit: %s\n", mc_last_error());
    CHECK_MSG("mc_listener_block_source");
    CHECK_MSG("127.0.0.4");
    CHECK_MSG("net.ipv4.igmp_max_msf");
    CHECK_MSG("is 2 here");
    /* nothing of the failed block stays, anywhere */
    CHECK(mcfilter_exc(NULL, G1, "127.0.0.4") == 0);
    CHECK(mcfilter_exc(NULL, G1, NULL) == 6);
    CHECK_RC(mc_listener_unblock_source(l, G1, "127.0.0.4"), MC_ENOTFOUND);
    CHECK(arrives(p, &r, G1, 4605, 4));
    CHECK(silenced(p, &r, G1, 4605, 2, 4));
    CHECK(silenced(p, &r, G1, 4605, 3, 4));
    /* room again after an unblock */
    CHECK_RC(mc_listener_unblock_source(l, G1, "127.0.0.3"), 0);
    CHECK_RC(mc_listener_block_source(l, G1, "127.0.0.4"), 0);
    CHECK(silenced(p, &r, G1, 4605, 4, 3));
    mc_listener_close(l);
    finish(p);
}

static void test_v6(void) {
    const char *g = "ff05::46:1";
    mc_poller *p;
    rec_t r;
    start(&p, &r);
    mc_listener *l = listen_rec(p, g, 4606, "lo", &r);
    CHECK_RC(mc_listener_block_source(l, g, "127.0.0.2"), MC_EADDRESS);
    CHECK_MSG("other family");
    CHECK_RC(mc_listener_block_source(l, "239.46.6.1", "fd46::1"), MC_EADDRESS);
    CHECK_RC(mc_listener_block_source(l, "ff05::46:2", "fd46::1"), MC_ENOTFOUND);

    /* blocks up to the kernel's limit (mld_max_msf, 64 by default) */
    char src[64];
    int n = 0, rc = 0;
    while (n < 2000) {
        snprintf(src, sizeof src, "fd46::%x", n + 1);
        rc = mc_listener_block_source(l, g, src);
        if (rc != 0) break;
        n++;
    }
    printf("v6: %d sources blocked, then %d: %s\n", n, rc, mc_last_error());
    CHECK_RC(rc, -ENOBUFS);
    CHECK(n > 0);
    CHECK_MSG("net.ipv6.mld_max_msf");
    CHECK_MSG(src);
    CHECK(mcfilter_exc("lo", g, NULL) == n); /* the refused one nowhere */
    CHECK(mcfilter_exc("lo", g, src) == 0);
    CHECK_RC(mc_listener_block_source(l, g, "fd46::1"), MC_EEXIST);
    for (int i = 0; i < n; i++) {
        snprintf(src, sizeof src, "fd46::%x", i + 1);
        CHECK_RC(mc_listener_unblock_source(l, g, src), 0);
    }
    CHECK(mcfilter_exc("lo", g, NULL) == 0);
    mc_listener_close(l);
    finish(p);
}

CHECK_MAIN("blocks", { "lo", test_lo }, { "errors", test_errors }, { "callback", test_callback },
           { "drop", test_drop }, { "limit", test_limit }, { "v6", test_v6 })
