/* blocks_veth.c CASE - blocked sources survive interface re-creation (the
 * setting: follow.h, under tests/netns-veth). The peer is tests/peers/mcast.py
 * in the peer netns, sending out of mc1 from its two addresses (192.0.2.2 and
 * .3, fd42::2 and ::3); the listener blocks one and must keep it silenced after
 * mc0 is deleted and re-created, while the other still arrives. Cases:
 *   v4    listener on "mc0", 239.46.9.1 (and /proc/net/mcfilter on the new mc0)
 *   v6    listener on "mc0", ff05::46:9
 *   star  listener on "*", 239.46.9.2: lo and mc0, re-created mc0 blocked again
 * Run by tests/blocks.rs. */
#define _GNU_SOURCE
#include "follow.h"
#include "groups.h"
#include "blocks.h"

/* The Python peer sends count datagrams from src out of mc1. */
static void py_send(const char *group, int port, const char *src, int count) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "nsenter -t %s -n python3 %s send %s %d --iface mc1 --source %s --count %d "
             "--interval 0.001 --payload blk >/dev/null",
             env("MC_PEER_PID"), env("MC_MCAST_PY"), group, port, src, count);
    sh(cmd);
}

/* The peer's address ending in `n` (2 or 3) of group's family. */
static const char *peer_addr(const char *group, int n) {
    int v6 = strchr(group, ':') != NULL;
    if (n == 2) return v6 ? "fd42::2" : "192.0.2.2";
    return v6 ? "fd42::3" : "192.0.2.3";
}

/* The peer sends from address n until one arrives from it: 1 if it did. */
static int arrives_from(mc_poller *p, rec_t *r, const char *group, int port, int n) {
    int want = r->from[n] + 1;
    for (int i = 0; i < 20 && r->from[n] < want; i++) {
        py_send(group, port, peer_addr(group, n), 1);
        long end = now_ms() + 200;
        while (r->from[n] < want && now_ms() < end) mc_poll(p, 10);
    }
    return r->from[n] >= want;
}

/* 3 datagrams from address b, then from `other` until one arrives, then
   QUIET_MS: 1 if none from b came. */
static int silenced(mc_poller *p, rec_t *r, const char *group, int port, int b, int other) {
    int before = r->from[b];
    py_send(group, port, peer_addr(group, b), 3);
    CHECK(arrives_from(p, r, group, port, other));
    quiet(p, QUIET_MS);
    return r->from[b] == before;
}

/* mc0 deleted and re-created (the listener told of both), with the peer's
   second addresses as tests/netns-veth gives them. */
static void recreate(mc_poller *p, struct seen *s) {
    char cmd[512];
    recreate_and_rejoin(p, s, 1);
    snprintf(cmd, sizeof cmd,
             "nsenter -t %s -n ip addr add 192.0.2.3/24 dev mc1 && "
             "nsenter -t %s -n ip addr add fd42::3/64 dev mc1 nodad preferred_lft 0",
             env("MC_PEER_PID"), env("MC_PEER_PID"));
    sh(cmd);
}

static void survives(const char *group, int port, const char *iface) {
    mc_poller *p = NULL;
    rec_t r;
    struct seen s;
    memset(&r, 0, sizeof r);
    memset(&s, 0, sizeof s);
    CHECK_RC(mc_poller_new(&p), 0);
    mc_listener *l = listen_rec(p, group, (uint16_t)port, iface, &r);
    CHECK_RC(mc_listener_set_iface_fn(l, on_iface, &s), 0);
    CHECK(arrives_from(p, &r, group, port, 2));
    CHECK(arrives_from(p, &r, group, port, 3));

    CHECK_RC(mc_listener_block_source(l, group, peer_addr(group, 2)), 0);
    CHECK(mcfilter_exc("mc0", group, peer_addr(group, 2)) == 1);
    CHECK(silenced(p, &r, group, port, 2, 3));

    unsigned ix0 = if_nametoindex("mc0");
    for (int round = 0; round < 2; round++) {
        recreate(p, &s);
        CHECK(if_nametoindex("mc0") != ix0);
        CHECK(mcfilter_exc("mc0", group, peer_addr(group, 2)) == 1);
        CHECK(mcfilter_exc("mc0", group, peer_addr(group, 3)) == 0);
        CHECK(silenced(p, &r, group, port, 2, 3));
    }
    CHECK_RC(mc_listener_block_source(l, group, peer_addr(group, 2)), MC_EEXIST);

    /* unblocked: it arrives again, and stays so after a re-creation */
    CHECK_RC(mc_listener_unblock_source(l, group, peer_addr(group, 2)), 0);
    CHECK(arrives_from(p, &r, group, port, 2));
    recreate(p, &s);
    CHECK(mcfilter_exc("mc0", group, NULL) == 0);
    CHECK(arrives_from(p, &r, group, port, 2));
    mc_listener_counts c = counts_of(l);
    printf("%s on %s: from ::2/.2 %d, ::3/.3 %d; joins %llu leaves %llu sockets %llu\n", group,
           iface, r.from[2], r.from[3], (unsigned long long)c.joins,
           (unsigned long long)c.leaves, (unsigned long long)c.sockets);
    mc_listener_close(l);
    mc_poller_free(p);
}

static void test_v4(void) { survives("239.46.9.1", 4611, "mc0"); }

static void test_v6(void) { survives("ff05::46:9", 4612, "mc0"); }

static void test_star(void) { survives("239.46.9.2", 4613, "*"); }

CHECK_MAIN("blocks_veth", { "v4", test_v4 }, { "v6", test_v6 }, { "star", test_star })
