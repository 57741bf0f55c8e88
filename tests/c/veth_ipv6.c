/* veth_ipv6.c - IPv6 multicast over a veth pair: groups of several scopes with
 * the interface given by name, index and address; ff02:: (link-local scope),
 * which needs an interface and carries its index as the scope ids.
 *
 *   tests/netns-veth veth_ipv6 CASE
 *   CASE: v6 ff02
 *
 * The setting and its synchronisation: veth.h.
 */
#define _GNU_SOURCE
#include "veth.h"

/* IPv6 on a link: receive from the peer, send to the peer, loopback on/off. */
static void test_v6(void) {
    static const char *groups[] = { "ff05::4242", "ff15::4243", "ff0e::4244" };
    unsigned ix = env_index("MC_IFINDEX");
    const int P = 5002;
    size_t i;
    for (i = 0; i < sizeof groups / sizeof *groups; i++) {
        const char *G = groups[i];
        /* the interface by name, by index, by address */
        const char *iface = i == 0 ? "mc0" : i == 1 ? env("MC_IFINDEX") : "fd42::1";
        mc_poller *poller = NULL;
        mc_listener *l;
        peer_t peer;
        char tag[96];
        printf("%s, listener interface \"%s\"\n", G, iface);
        CHECK_RC(mc_poller_new(&poller), 0);
        l = listen_on(poller, G, P, iface, NULL);

        snprintf(tag, sizeof tag, "%s from the peer", G);
        peer_send("MC_PEER_PID", "mc1", G, P, "v6-from-peer", NULL, -1);
        expect_packet(tag, l, "v6-from-peer #0", "fd42::2", 0, "fe80::2", ix, G, P, 0, ix);

        if (peer_recv_start(&peer, "MC_PEER_PID", "mc1", G, P, 1)) {
            snprintf(tag, sizeof tag, "%s to the peer, loopback on", G);
            send_opts(G, P, iface, 1, 1, "v6-loop-on");
            expect_packet(tag, l, "v6-loop-on", "fd42::1", 0, "fe80::1", ix, G, P, 0, ix);
            CHECK(peer_finish(&peer, WAIT_MS + 500) == 0);
            expect_peer_got(&peer, "v6-loop-on", "fd42::1", "fe80::1", 1);
        }
        if (peer_recv_start(&peer, "MC_PEER_PID", "mc1", G, P, 1)) {
            snprintf(tag, sizeof tag, "%s to the peer, loopback off", G);
            send_opts(G, P, "mc0", 1, 0, "v6-loop-off");
            expect_none(tag, l);
            CHECK(peer_finish(&peer, WAIT_MS + 500) == 0);
            expect_peer_got(&peer, "v6-loop-off", "fd42::1", "fe80::1", 1);
        }
        mc_listener_close(l);
        mc_poller_free(poller);
    }
}

/* ff02:: (link-local scope) needs an interface; with one, scope ids are mc0's index. */
static void test_ff02(void) {
    const char *G = "ff02::4242";
    const int P = 5003;
    unsigned ix = env_index("MC_IFINDEX");
    mc_poller *poller = NULL;
    mc_listener *l = NULL, *l2 = NULL;
    mc_opts *o;
    peer_t peer;
    int rc;

    CHECK_RC(mc_poller_new(&poller), 0);
    printf("%s without an interface\n", G);
    o = opts_for(G, P, NULL);
    l = (mc_listener *)&rc;  /* must be set to NULL on failure */
    CHECK_RC(mc_listener_new(poller, o, NULL, NULL, &l), MC_EADDRESS);
    CHECK(l == NULL);
    CHECK(strlen(mc_last_error()) > 0);
    CHECK_MSG("ff02::4242");
    printf("  mc_last_error: %s\n", mc_last_error());
    rc = mc_sendto_opts(o, "x", 1);
    CHECK(rc < 0);
    printf("  mc_sendto_opts without an interface: %d (%s): %s\n", rc, mc_strerror(rc),
           mc_last_error());
    mc_opts_free(o);

    printf("%s on mc0 (by name), and on mc0 given by its address 192.0.2.1\n", G);
    l = listen_on(poller, G, P, "mc0", NULL);
    l2 = listen_on(poller, G, P, "192.0.2.1", NULL);
    peer_send("MC_PEER_PID", "mc1", G, P, "ff02-from-peer", NULL, -1);
    expect_packet("ff02 from the peer", l, "ff02-from-peer #0", "fe80::2", ix, NULL, 0, G, P, ix, ix);
    expect_packet("ff02 from the peer (interface by address)", l2, "ff02-from-peer #0", "fe80::2",
                  ix, NULL, 0, G, P, ix, ix);

    if (peer_recv_start(&peer, "MC_PEER_PID", "mc1", G, P, 2)) {
        send_opts(G, P, "mc0", 1, 0, "ff02-to-peer");
        expect_none("ff02 local listener, loopback off", l);
        send_opts(G, P, env("MC_IFINDEX"), 1, 1, "ff02-to-peer-2");
        expect_packet("ff02 local listener, loopback on", l, "ff02-to-peer-2", "fe80::1", ix,
                      NULL, 0, G, P, ix, ix);
        CHECK(peer_finish(&peer, WAIT_MS + 500) == 0);
        expect_peer_got(&peer, "ff02-to-peer", "fe80::1", NULL, 1);
        expect_peer_got(&peer, "ff02-to-peer-2", "fe80::1", NULL, 1);
    }
    mc_listener_close(l);
    mc_listener_close(l2);
    mc_poller_free(poller);
}

PEER_MAIN("veth_ipv6", "/tmp/mc-veth.XXXXXX", { "v6", test_v6 }, { "ff02", test_ff02 })
