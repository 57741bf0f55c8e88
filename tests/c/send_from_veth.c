/* send_from_veth.c - mc_opts_set_send_from over veth pairs, as a peer we did not
 * write sees it: tests/peers/mcast.py prints each datagram's source address and
 * port. With an address and no interface set, datagrams leave by the interface
 * that holds the address (mc2's, although the IPv4 multicast route is mc0's).
 *
 *   tests/netns-veth --two send_from_veth CASE
 *   CASE: v4 ll6 v6
 *
 * Groups 239.9.9.x / ff05::99, ff02::99, ports 52xx (sent to) and 402xx (sent
 * from) are this program's. On lo: send_from.c.
 */
#define _GNU_SOURCE
#include "veth.h"

/* The peer's RECV line of payload came from src, port `port`. */
static void expect_peer_from(const peer_t *p, const char *payload, const char *src, int port) {
    char line[512], v[16];
    expect_peer_got(p, payload, src, NULL, -1);
    if (recv_line(p, payload, line, sizeof line) && atoi(field(line, "port", v, sizeof v)) != port) {
        fprintf(stderr, "%s: \"%s\" came from port %s, want %d\n", p->what, payload, v, port);
        check_failures++;
    }
}

/* mc_sendto_opts of payload to group:port (interface iface, NULL: none) from
   address:from_port. */
static void send_from(const char *group, int port, const char *iface, const char *address,
                      uint16_t from_port, const char *payload) {
    mc_opts *o = opts_for(group, port, iface);
    CHECK_RC(mc_opts_set_send_from(o, address, from_port), 0);
    CHECK_RC(mc_sendto_opts(o, payload, strlen(payload)), (int)strlen(payload));
    mc_opts_free(o);
}

static int next_wait(void *user_data, const uint8_t **data, size_t *len) {
    (void)user_data; (void)data; (void)len;
    return MC_NEXT_WAIT;
}

/* A multicaster to group:port from address:from_port sends payload. */
static void multicast_from(const char *group, int port, const char *address,
                           uint16_t from_port, const char *payload) {
    mc_poller *poller = NULL;
    mc_multicaster *m = NULL;
    mc_opts *o = opts_for(group, port, NULL);
    CHECK_RC(mc_opts_set_send_from(o, address, from_port), 0);
    CHECK_RC(mc_poller_new(&poller), 0);
    CHECK_RC(mc_multicaster_new(poller, o, next_wait, NULL, &m), 0);
    if (m) CHECK_RC(mc_multicaster_send(m, payload, strlen(payload)), (int)strlen(payload));
    mc_opts_free(o);
    mc_poller_free(poller);
}

/* One datagram from address:from_port (no interface set) reaches the peer behind
   peer_env/peer_if with that source address and port. */
static void peer_sees(const char *peer_env, const char *peer_if, const char *group, int port,
                      const char *address, const char *scope, uint16_t from_port,
                      const char *payload, int multicaster) {
    peer_t peer;
    char from[96];
    snprintf(from, sizeof from, "%s%s%s", address, scope ? "%" : "", scope ? scope : "");
    printf("%s from %s port %u to %s:%d, peer on %s\n", multicaster ? "multicaster" : "sendto",
           from, from_port, group, port, peer_if);
    if (!peer_recv_start(&peer, peer_env, peer_if, group, port, 1)) return;
    if (multicaster) multicast_from(group, port, from, from_port, payload);
    else send_from(group, port, NULL, from, from_port, payload);
    CHECK(peer_finish(&peer, WAIT_MS + 500) == 0);
    expect_peer_from(&peer, payload, address, from_port);
}

/* IPv4: from mc0's address, and from mc2's, which leaves by mc2 (the route to
   224.0.0.0/4 is mc0's). */
static void test_v4(void) {
    const char *G = "239.9.9.4";
    peer_sees("MC_PEER_PID", "mc1", G, 5201, "192.0.2.1", NULL, 40201, "v4 mc0", 0);
    peer_sees("MC_PEER2_PID", "mc3", G, 5201, "198.51.100.1", NULL, 40202, "v4 mc2", 0);
    peer_sees("MC_PEER2_PID", "mc3", G, 5201, "198.51.100.1", NULL, 40203, "v4 mc2 m", 1);
}

/* IPv6 link-local with its scope by name and by index: the datagram leaves by
   that interface; ff02:: with the interface set. */
static void test_ll6(void) {
    const char *G = "ff05::99";
    peer_t peer;
    peer_sees("MC_PEER_PID", "mc1", G, 5202, "fe80::1", "mc0", 40204, "ll6 mc0", 0);
    peer_sees("MC_PEER_PID", "mc1", G, 5202, "fe80::1", env("MC_IFINDEX"), 40205, "ll6 #", 0);
    peer_sees("MC_PEER_PID", "mc1", G, 5202, "fe80::1", "mc0", 40206, "ll6 m", 1);
    peer_sees("MC_PEER2_PID", "mc3", G, 5202, "fe80::3", "mc2", 40207, "ll6 mc2", 0);
    if (peer_recv_start(&peer, "MC_PEER_PID", "mc1", "ff02::99", 5203, 1)) {
        send_from("ff02::99", 5203, "mc0", "fe80::1%mc0", 40208, "ll6 ff02");
        CHECK(peer_finish(&peer, WAIT_MS + 500) == 0);
        expect_peer_from(&peer, "ll6 ff02", "fe80::1", 40208);
    }
}

/* IPv6 global: from mc0's and mc2's addresses, each leaving by its interface. */
static void test_v6(void) {
    const char *G = "ff05::99";
    peer_sees("MC_PEER_PID", "mc1", G, 5204, "fd42::1", NULL, 40209, "v6 mc0", 0);
    peer_sees("MC_PEER2_PID", "mc3", G, 5204, "fd43::1", NULL, 40210, "v6 mc2", 0);
}

PEER_MAIN("send_from_veth", "/tmp/mc-sendfrom.XXXXXX", { "v4", test_v4 }, { "ll6", test_ll6 },
          { "v6", test_v6 })
