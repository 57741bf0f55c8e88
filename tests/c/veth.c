/* veth.c - what we send over a veth pair, as the peer sees it: IP_MULTICAST_LOOP
 * on a real link, and the TTL / hop limit.
 *
 *   tests/netns-veth veth CASE
 *   CASE: loop ttl
 *
 * Other cases over veth: veth_ipv6.c, veth_star.c, veth_ssm.c; the setting and
 * its synchronisation: veth.h.
 */
#define _GNU_SOURCE
#include "veth.h"

/* A multicaster source: one packet, then done. */
typedef struct { const char *payload; int calls; } one_packet;

static int next_one(void *user_data, const uint8_t **data, size_t *len) {
    one_packet *o = user_data;
    if (o->calls++ == 0) {
        *data = (const uint8_t *)o->payload;
        *len = strlen(o->payload);
        return MC_NEXT_PACKET;
    }
    return MC_NEXT_DONE;
}

static int next_wait(void *user_data, const uint8_t **data, size_t *len) {
    (void)user_data; (void)data; (void)len;
    return MC_NEXT_WAIT;
}

/* Runs a multicaster with opts until its source said done (bounded). */
static void multicast_one(mc_poller *poller, mc_opts *o, const char *payload) {
    one_packet src = { payload, 0 };
    mc_multicaster *m = NULL;
    long end = now_ms() + WAIT_MS;
    CHECK_RC(mc_multicaster_new(poller, o, next_one, &src, &m), 0);
    if (!m) return;
    while (src.calls < 2 && now_ms() < end) mc_poll(poller, 50);
    if (src.calls < 2) {
        fprintf(stderr, "multicaster: next called %d times within %d ms\n", src.calls, WAIT_MS);
        check_failures++;
    }
}

/* -------------------------------------------------------------- cases --- */

/* IP_MULTICAST_LOOP on a real link: off = this host's listeners get nothing while the
   peer gets the packet; on = both get it. */
static void test_loop(void) {
    const char *G = "239.1.2.3";
    const int P = 5001;
    unsigned ix = env_index("MC_IFINDEX");
    mc_poller *poller = NULL;
    mc_listener *l;
    peer_t peer;

    CHECK_RC(mc_poller_new(&poller), 0);
    l = listen_on(poller, G, P, "mc0", NULL);

    printf("loopback off, mc_sendto_opts via mc0\n");
    if (peer_recv_start(&peer, "MC_PEER_PID", "mc1", G, P, 1)) {
        send_opts(G, P, "mc0", 1, 0, "loop-off");
        expect_none("local listener, loopback off", l);
        CHECK(peer_finish(&peer, WAIT_MS + 500) == 0);
        expect_peer_got(&peer, "loop-off", "192.0.2.1", NULL, 1);
    }

    printf("loopback off, mc_multicaster_send via mc0\n");
    if (peer_recv_start(&peer, "MC_PEER_PID", "mc1", G, P, 1)) {
        mc_opts *o = opts_for(G, P, "mc0");
        mc_multicaster *m = NULL;
        CHECK_RC(mc_opts_set_loopback(o, 0), 0);
        CHECK_RC(mc_multicaster_new(poller, o, next_wait, NULL, &m), 0);
        mc_opts_free(o);
        if (m) {
            CHECK_RC(mc_multicaster_send(m, "mc-loop-off", 11), 11);
            mc_multicaster_close(m);
        }
        expect_none("local listener, multicaster loopback off", l);
        CHECK(peer_finish(&peer, WAIT_MS + 500) == 0);
        expect_peer_got(&peer, "mc-loop-off", "192.0.2.1", NULL, 1);
    }

    printf("loopback on, mc_sendto_opts via mc0\n");
    if (peer_recv_start(&peer, "MC_PEER_PID", "mc1", G, P, 1)) {
        send_opts(G, P, "mc0", 1, 1, "loop-on");
        expect_packet("local listener, loopback on", l, "loop-on", "192.0.2.1", 0, NULL, 0, G, P,
                      0, ix);
        CHECK(peer_finish(&peer, WAIT_MS + 500) == 0);
        expect_peer_got(&peer, "loop-on", "192.0.2.1", NULL, 1);
    }

    printf("default loopback (on), mc_sendto with the default interface (route via mc0)\n");
    if (peer_recv_start(&peer, "MC_PEER_PID", "mc1", G, P, 1)) {
        CHECK_RC(mc_sendto("sendto-default", 14, G, P, -1), 14);
        expect_packet("local listener, mc_sendto", l, "sendto-default", "192.0.2.1", 0, NULL, 0,
                      G, P, 0, ix);
        CHECK(peer_finish(&peer, WAIT_MS + 500) == 0);
        expect_peer_got(&peer, "sendto-default", "192.0.2.1", NULL, 1);
    }
    expect_none("local listener, nothing left", l);
    mc_listener_close(l);
    mc_poller_free(poller);
}

/* The TTL / hop limit the peer sees is the one asked for. */
static void test_ttl(void) {
    const int P = 5008;
    mc_poller *poller = NULL;
    peer_t peer;
    CHECK_RC(mc_poller_new(&poller), 0);

    printf("IPv4 TTL\n");
    if (peer_recv_start(&peer, "MC_PEER_PID", "mc1", "239.3.3.3", P, 6)) {
        mc_opts *o = opts_for("239.3.3.3", P, "mc0");
        send_opts("239.3.3.3", P, "mc0", 1, 0, "ttl-1");
        send_opts("239.3.3.3", P, "mc0", 32, 0, "ttl-32");
        send_opts("239.3.3.3", P, "mc0", 255, 0, "ttl-255");
        CHECK_RC(mc_sendto("sendto-7", 8, "239.3.3.3", P, 7), 8);
        CHECK_RC(mc_sendto("sendto-default", 14, "239.3.3.3", P, -1), 14);
        CHECK_RC(mc_opts_set_ttl(o, 64), 0);
        multicast_one(poller, o, "multicaster-64");
        mc_opts_free(o);
        CHECK(peer_finish(&peer, WAIT_MS + 500) == 0);
        expect_peer_got(&peer, "ttl-1", "192.0.2.1", NULL, 1);
        expect_peer_got(&peer, "ttl-32", "192.0.2.1", NULL, 32);
        expect_peer_got(&peer, "ttl-255", "192.0.2.1", NULL, 255);
        expect_peer_got(&peer, "sendto-7", "192.0.2.1", NULL, 7);
        expect_peer_got(&peer, "sendto-default", "192.0.2.1", NULL, MC_DEFAULT_TTL);
        expect_peer_got(&peer, "multicaster-64", "192.0.2.1", NULL, 64);
    }

    printf("IPv6 hop limit\n");
    if (peer_recv_start(&peer, "MC_PEER_PID", "mc1", "ff05::3333", P, 5)) {
        mc_opts *o = opts_for("ff05::3333", P, "mc0");
        send_opts("ff05::3333", P, "mc0", 1, 0, "hops-1");
        send_opts("ff05::3333", P, "mc0", 32, 0, "hops-32");
        send_opts("ff05::3333", P, "mc0", 255, 0, "hops-255");
        CHECK_RC(mc_sendto("sendto-9", 8, "ff05::3333", P, 9), 8);
        CHECK_RC(mc_opts_set_ttl(o, 128), 0);
        multicast_one(poller, o, "multicaster-128");
        mc_opts_free(o);
        CHECK(peer_finish(&peer, WAIT_MS + 500) == 0);
        expect_peer_got(&peer, "hops-1", "fd42::1", "fe80::1", 1);
        expect_peer_got(&peer, "hops-32", "fd42::1", "fe80::1", 32);
        expect_peer_got(&peer, "hops-255", "fd42::1", "fe80::1", 255);
        expect_peer_got(&peer, "sendto-9", "fd42::1", "fe80::1", 9);
        expect_peer_got(&peer, "multicaster-128", "fd42::1", "fe80::1", 128);
    }
    mc_poller_free(poller);
}

PEER_MAIN("veth", "/tmp/mc-veth.XXXXXX", { "loop", test_loop }, { "ttl", test_ttl })
