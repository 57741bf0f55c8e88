/* veth_ttl_dscp.c - received TTLs, IPv6 groups and DSCP over a veth pair, against
 * independent Python peers in the peer namespace: the received TTL / IPv6 hop
 * limit of a peer's datagrams, several IPv6 groups on one listener (lo carries
 * no IPv6 multicast), and the DSCP (TOS / traffic-class byte) of what the
 * library sends, read by a Python receiver with IP_RECVTOS / IPV6_RECVTCLASS.
 *
 *   tests/netns-veth veth_ttl_dscp CASE     CASE: ttl-v4 v6 tos-v4 tos-v6
 *
 * Runs inside tests/netns-veth (inside tests/netns-run): mc0 here (192.0.2.1,
 * fd42::1), mc1 in the peer netns MC_PEER_PID (192.0.2.2, fd42::2). The peer
 * sender is tests/peers/mcast.py (MC_MCAST_PY); the TOS receiver is the small
 * script tos_py below. Synchronisation without sleeps: a peer receiver makes
 * its --ready file once joined and we send only then; a peer sender starts
 * only once our listener exists. Every wait is bounded. Groups 239.44.10-11.x,
 * ff05::44:x, ports 4420..4475.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "wire.h"
#include "groups.h"

/* ------------------------------------------------------------ peers --- */

#include "peer.h"

/* Starts `nsenter -t $MC_PEER_PID -n python3 (MC_MCAST_PY | -c CODE) ARGS...`. */
static void peer_start(peer_t *p, const char *what, const char *code, const char **args) {
    peer_spawn_py(p, "MC_PEER_PID", what, code, args);
}

/* `mcast.py send GROUP PORT --iface mc1 --ttl TTL --payload PAYLOAD` in the
   peer (the datagram is "PAYLOAD #0"); waits for it. */
static void send_ttl(const char *group, int port, int ttl, const char *payload) {
    peer_send("MC_PEER_PID", "mc1", group, port, payload, NULL, ttl);
}

/* A receiver that reports each datagram's TOS (IPv4, IP_RECVTOS) or traffic
   class (IPv6, IPV6_RECVTCLASS): "RECV src=A tos=N data=D".
   argv: group port ifname count ready-file */
static const char tos_py[] =
    "import os, select, socket, struct, sys, time\n"
    "g, port, ifname, count, ready = sys.argv[1:6]\n"
    "port, count, ix, v6 = int(port), int(count), socket.if_nametoindex(ifname), ':' in g\n"
    "IP_TOS, IP_RECVTOS, IP_MULTICAST_ALL = 1, 13, 49\n"
    "IPV6_RECVTCLASS, IPV6_TCLASS, IPV6_MULTICAST_ALL = 66, 67, 29\n"
    "s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)\n"
    "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "if v6:\n"
    "    s.setsockopt(socket.IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0)\n"
    "    s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVTCLASS, 1)\n"
    "    s.bind((g, port, 0, ix))\n"
    "    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,\n"
    "                 socket.inet_pton(socket.AF_INET6, g) + struct.pack('@I', ix))\n"
    "else:\n"
    "    s.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_ALL, 0)\n"
    "    s.setsockopt(socket.IPPROTO_IP, IP_RECVTOS, 1)\n"
    "    s.bind((g, port))\n"
    "    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,\n"
    "                 socket.inet_aton(g) + bytes(4) + struct.pack('@i', ix))\n"
    "open(ready, 'w').close()\n"
    "got, end = 0, time.monotonic() + 4\n"
    "while got < count:\n"
    "    left = end - time.monotonic()\n"
    "    if left <= 0 or not select.select([s], [], [], left)[0]:\n"
    "        break\n"
    "    data, anc, _f, src = s.recvmsg(2048, 256)\n"
    "    tos = -1\n"
    "    for lvl, typ, d in anc:\n"
    "        if (lvl, typ) == (socket.IPPROTO_IP, IP_TOS):\n"
    "            tos = d[0]\n"
    "        elif (lvl, typ) == (socket.IPPROTO_IPV6, IPV6_TCLASS):\n"
    "            tos = struct.unpack('@i', d[:4])[0]\n"
    "    got += 1\n"
    "    print('RECV src=%s tos=%d data=%s' % (src[0], tos, data.decode('utf-8', 'replace')),\n"
    "          flush=True)\n"
    "print('RECEIVED %d' % got, flush=True)\n"
    "sys.exit(0 if got >= count else 1)\n";

/* Starts tos_py on group:port (on mc1) and waits (bounded) until it joined. */
static int peer_tos_start(peer_t *p, const char *group, int port, int count) {
    char sport[16], scount[16], what[96], ready[128];
    const char *args[8];
    snprintf(sport, sizeof sport, "%d", port);
    snprintf(scount, sizeof scount, "%d", count);
    snprintf(what, sizeof what, "peer tos recv %s:%d", group, port);
    snprintf(ready, sizeof ready, "%s/ready.%d", tmpdir, ++ready_seq);
    args[0] = group; args[1] = sport; args[2] = "mc1"; args[3] = scount;
    args[4] = ready; args[5] = NULL;
    peer_start(p, what, tos_py, args);   /* clears *p */
    return peer_wait_ready(p, ready, WAIT_MS);
}

/* The tos the peer reported for the datagram `payload` (-2: not received). */
static int peer_tos_of(const peer_t *p, const char *payload) {
    char want[128];
    const char *s = p->out;
    snprintf(want, sizeof want, " data=%s\n", payload);
    while ((s = strstr(s, "RECV ")) != NULL) {
        const char *nl = strchr(s, '\n'), *d = strstr(s, want), *t = strstr(s, " tos=");
        if (nl && d && t && d < nl && t < nl && d + strlen(want) - 1 == nl) return atoi(t + 5);
        s = nl ? nl : s + 5;
    }
    return -2;
}

/* --------------------------------------------------------- listening --- */

static mc_listener *listen_on(mc_poller *p, const char *group, int port, int gro, int ttl) {
    mc_listener *l = NULL;
    mc_opts *o = opts_for(group, (uint16_t)port);
    CHECK_RC(mc_opts_set_interface(o, "mc0"), 0);
    CHECK_RC(mc_opts_set_gro(o, gro), 0);
    CHECK_RC(mc_opts_set_recv_ttl(o, ttl), 0);
    CHECK_RC(mc_listener_new(p, o, NULL, NULL, &l), 0);
    mc_opts_free(o);
    return l;
}

/* One packet a listener must get: payload, group, ttl (-1: reporting off). */
typedef struct { const char *payload, *group; int ttl, got; } want_t;

/* Reads l until every wanted packet came (WAIT_MS each), then QUIET_MS more:
   each exactly once, from the peer (v4 192.0.2.2; v6 fd42::2 or fe80::2), on
   mc0, to its group and port (scope 0), with its ttl; nothing else. */
static void expect(const char *tag, mc_listener *l, int port, want_t *w, int nw) {
    const mc_packet *p;
    int total = 0, rc, k;
    if (!l) { check_failures++; return; }
    for (k = 0; k < nw; k++) w[k].got = 0;
    while ((rc = mc_listener_next(l, &p, total < nw ? WAIT_MS : QUIET_MS)) == 1) {
        total++;
        print_packet(tag, p);
        for (k = 0; k < nw; k++)
            if (p->len == strlen(w[k].payload) && !memcmp(p->data, w[k].payload, p->len)) break;
        if (k == nw) {
            fprintf(stderr, "%s: unexpected packet\n", tag);
            check_failures++;
            continue;
        }
        w[k].got++;
        if (!ip_is(&p->group, w[k].group) || p->group.port != port || p->group.scope_id != 0) {
            fprintf(stderr, "%s: \"%s\" with the wrong group\n", tag, w[k].payload);
            check_failures++;
        }
        if (!(ip_is(&p->from, "192.0.2.2") || ip_is(&p->from, "fd42::2") ||
              ip_is(&p->from, "fe80::2")) || p->ifindex != env_index("MC_IFINDEX")) {
            fprintf(stderr, "%s: \"%s\" from the wrong sender or interface\n", tag, w[k].payload);
            check_failures++;
        }
        if (p->ttl != w[k].ttl) {
            fprintf(stderr, "%s: \"%s\" ttl %d, want %d\n", tag, w[k].payload, p->ttl, w[k].ttl);
            check_failures++;
        }
    }
    CHECK_RC(rc, 0);
    for (k = 0; k < nw; k++) {
        if (w[k].got != 1) {
            fprintf(stderr, "%s: \"%s\" came %d times, want once\n", tag, w[k].payload,
                    w[k].got);
            check_failures++;
        }
    }
}

/* /proc/net/igmp6 lists group (32 hex digits) on dev. */
static int igmp6_on(const char *dev, const char *group) {
    unsigned char b[16];
    char hex[33], line[256];
    int found = 0, i;
    FILE *f = fopen("/proc/net/igmp6", "r");
    if (!f || inet_pton(AF_INET6, group, b) != 1) { perror("/proc/net/igmp6"); exit(2); }
    for (i = 0; i < 16; i++) snprintf(hex + 2 * i, 3, "%02x", b[i]);
    while (fgets(line, sizeof line, f)) {
        char d[IF_NAMESIZE + 1], h[33];
        int idx;
        if (sscanf(line, "%d %16s %32s", &idx, d, h) == 3 && !strcmp(d, dev) && !strcmp(h, hex))
            found = 1;
    }
    fclose(f);
    return found;
}

/* =============================================================== cases === */

/* The TTL of the peer's datagrams (mcast.py --ttl), on a listener of two
   groups; -1 on one that did not ask. */
static void test_ttl_v4(void) {
    for (int gro = 1; gro >= 0; gro--) {
        const int port = gro ? 4420 : 4470;
        mc_poller *p = NULL;
        mc_listener *on, *off;
        CHECK_RC(mc_poller_new(&p), 0);
        printf("IPv4 TTL from the peer, port %d, GRO %s\n", port, onoff(gro));
        on = listen_on(p, "239.44.10.1", port, gro, 1);
        off = listen_on(p, "239.44.10.1", port, gro, 0);
        if (on) CHECK_RC(mc_listener_add_group(on, "239.44.10.2", NULL), 0);
        send_ttl("239.44.10.1", port, 5, "ttl-5");
        send_ttl("239.44.10.2", port, 3, "ttl-3");
        send_ttl("239.44.10.1", port, 1, "ttl-1");
        {
            want_t w[] = { { "ttl-5 #0", "239.44.10.1", 5, 0 }, { "ttl-3 #0", "239.44.10.2", 3, 0 },
                           { "ttl-1 #0", "239.44.10.1", 1, 0 } };
            expect("recv_ttl on", on, port, w, 3);
        }
        {
            want_t w[] = { { "ttl-5 #0", "239.44.10.1", -1, 0 },
                           { "ttl-1 #0", "239.44.10.1", -1, 0 } };
            expect("recv_ttl off", off, port, w, 2);
        }
        mc_poller_free(p);
    }
}

/* Three IPv6 groups on one listener: each of the peer's datagrams once, with
   its group and hop limit; not a 4th group (a control listener gets it), not
   unicast to the port; a dropped group leaves (/proc/net/igmp6) and stops. */
static void test_v6(void) {
    for (int gro = 1; gro >= 0; gro--) {
        const int port = gro ? 4421 : 4471;
        mc_poller *p = NULL;
        mc_listener *l, *ctl;
        mc_listener_counts c;
        CHECK_RC(mc_poller_new(&p), 0);
        printf("IPv6 groups and hop limits from the peer, port %d, GRO %s\n", port, onoff(gro));
        l = listen_on(p, "ff05::44:1", port, gro, 1);
        ctl = listen_on(p, "ff05::44:4", port, gro, 1);
        if (!l) { mc_poller_free(p); continue; }
        CHECK_RC(mc_listener_add_group(l, "ff05::44:2", NULL), 0);
        CHECK_RC(mc_listener_add_group(l, "ff05::44:3", NULL), 0);
        CHECK_RC(mc_listener_group_count(l), 3);
        /* the other family, both ways */
        CHECK_RC(mc_listener_add_group(l, "239.44.10.1", NULL), MC_EADDRESS);
        CHECK_MSG("239.44.10.1");
        CHECK_RC(mc_listener_add_group(l, "ff05::44:5", "192.0.2.2"), MC_EADDRESS);
        CHECK_MSG("192.0.2.2");
        CHECK_RC(mc_listener_add_group(l, "ff05::44:2", "fd42::2"), MC_EINVAL);
        CHECK_RC(mc_listener_add_group(l, "ff05::44:2", NULL), MC_EEXIST);
        CHECK_RC(mc_listener_drop_group(l, "ff05::44:9", NULL), MC_ENOTFOUND);
        CHECK_RC(mc_listener_group_count(l), 3);
        {
            mc_listener_counts k;
            CHECK_RC(mc_listener_get_counts(l, &k), 0);
            c = k;
        }
        printf("  joins %llu, sockets %llu\n", (unsigned long long)c.joins,
               (unsigned long long)c.sockets);
        CHECK(c.joins == 3 && c.leaves == 0 && c.sockets >= 1);
        CHECK(igmp6_on("mc0", "ff05::44:1") && igmp6_on("mc0", "ff05::44:2") &&
              igmp6_on("mc0", "ff05::44:3"));
        send_ttl("ff05::44:1", port, 5, "g1-hops-5");
        send_ttl("ff05::44:2", port, 5, "g2-hops-5");
        send_ttl("ff05::44:3", port, 7, "g3-hops-7");
        send_ttl("ff05::44:4", port, 5, "g4-hops-5");
        send_ttl(env("MC_ADDR6"), port, 5, "unicast");
        {
            want_t w[] = { { "g1-hops-5 #0", "ff05::44:1", 5, 0 },
                           { "g2-hops-5 #0", "ff05::44:2", 5, 0 },
                           { "g3-hops-7 #0", "ff05::44:3", 7, 0 } };
            expect("three groups", l, port, w, 3);
        }
        {
            want_t w[] = { { "g4-hops-5 #0", "ff05::44:4", 5, 0 } };
            expect("the control (4th group)", ctl, port, w, 1);
        }
        CHECK_RC(mc_listener_drop_group(l, "ff05::44:2", NULL), 0);
        CHECK(!igmp6_on("mc0", "ff05::44:2") && igmp6_on("mc0", "ff05::44:1"));
        send_ttl("ff05::44:2", port, 5, "g2-after-drop");
        send_ttl("ff05::44:3", port, 5, "g3-after-drop");
        {
            want_t w[] = { { "g3-after-drop #0", "ff05::44:3", 5, 0 } };
            expect("after dropping group 2", l, port, w, 1);
        }
        {
            mc_listener_counts k;
            CHECK_RC(mc_listener_get_counts(l, &k), 0);
            CHECK(k.leaves == 1 && k.joins == 3);
            if (!gro) CHECK(k.coalesced == 0);
        }
        mc_poller_free(p);
        CHECK(!igmp6_on("mc0", "ff05::44:1") && !igmp6_on("mc0", "ff05::44:3"));
    }
}

/* A multicaster's source: `count` packets "PREFIX #i" of equal size, then done. */
typedef struct { const char *prefix; int count, calls; char buf[64]; } src_t;

static int next_n(void *ud, const uint8_t **data, size_t *len) {
    src_t *s = ud;
    if (s->calls >= s->count) { s->calls++; return MC_NEXT_DONE; }
    snprintf(s->buf, sizeof s->buf, "%s #%d", s->prefix, s->calls++);
    *data = (const uint8_t *)s->buf;
    *len = strlen(s->buf);
    return MC_NEXT_PACKET;
}

static int next_wait(void *ud, const uint8_t **data, size_t *len) {
    (void)ud; (void)data; (void)len;
    return MC_NEXT_WAIT;
}

/* The DSCP byte of what the library sends, as the peer sees it: 0xb8 (EF)
   from mc_sendto_opts and multicasters (GSO on and off), 0 by default and
   from mc_sendto, 0x20 set on another multicaster; a refused value (256)
   leaves the one set before. */
static void test_tos(int v6) {
    const char *grp = v6 ? "ff05::44:11" : "239.44.11.1";
    const int port = v6 ? 4423 : 4422;
    static const struct { const char *payload; int tos; } want[] = {
        { "opts-b8", 0xb8 }, { "opts-0", 0 }, { "kept-b8", 0xb8 }, { "sendto-0", 0 },
        { "mc-gso-b8 #0", 0xb8 }, { "mc-gso-b8 #1", 0xb8 }, { "mc-gso-b8 #2", 0xb8 },
        { "mc-nogso-b8 #0", 0xb8 }, { "mc-nogso-b8 #1", 0xb8 }, { "send-20", 0x20 },
    };
    const int nw = (int)(sizeof want / sizeof *want);
    mc_poller *p = NULL;
    peer_t peer;
    printf("%s TOS / traffic class of what we send to %s:%d\n", v6 ? "IPv6" : "IPv4", grp, port);
    CHECK_RC(mc_poller_new(&p), 0);
    if (peer_tos_start(&peer, grp, port, nw)) {
        mc_opts *o = opts_for(grp, (uint16_t)port);
        mc_multicaster *m = NULL;
        src_t gso = { "mc-gso-b8", 3, 0, "" }, nogso = { "mc-nogso-b8", 2, 0, "" };
        long end;
        CHECK_RC(mc_opts_set_interface(o, "mc0"), 0);
        CHECK_RC(mc_opts_set_loopback(o, 0), 0);
        CHECK_RC(mc_opts_set_tos(o, 0xb8), 0);
        CHECK_RC(mc_sendto_opts(o, "opts-b8", 7), 7);
        CHECK_RC(mc_opts_set_tos(o, 0), 0);
        CHECK_RC(mc_sendto_opts(o, "opts-0", 6), 6);
        CHECK_RC(mc_opts_set_tos(o, 0xb8), 0);
        CHECK_RC(mc_opts_set_tos(o, 256), MC_EINVAL);
        CHECK_RC(mc_opts_set_tos(o, -1), MC_EINVAL);
        CHECK_RC(mc_sendto_opts(o, "kept-b8", 7), 7);
        CHECK_RC(mc_sendto("sendto-0", 8, grp, (uint16_t)port, -1), 8);
        /* multicasters: one GSO send of three, two ordinary sends */
        CHECK_RC(mc_multicaster_new(p, o, next_n, &gso, &m), 0);
        end = now_ms() + WAIT_MS;
        while (gso.calls <= gso.count && now_ms() < end) mc_poll(p, 20);
        CHECK(gso.calls == gso.count + 1);
        CHECK_RC(mc_opts_set_gso(o, 0), 0);
        CHECK_RC(mc_multicaster_new(p, o, next_n, &nogso, &m), 0);
        end = now_ms() + WAIT_MS;
        while (nogso.calls <= nogso.count && now_ms() < end) mc_poll(p, 20);
        CHECK(nogso.calls == nogso.count + 1);
        CHECK_RC(mc_opts_set_tos(o, 0x20), 0);
        m = NULL;
        CHECK_RC(mc_multicaster_new(p, o, next_wait, NULL, &m), 0);
        if (m) {
            CHECK_RC(mc_multicaster_send(m, "send-20", 7), 7);
            mc_multicaster_close(m);
        }
        mc_opts_free(o);
        /* keep the poller going until the peer has all (a closing multicaster
           sends what it holds first) */
        end = now_ms() + WAIT_MS;
        while (!strstr(peer.out, "RECEIVED") && now_ms() < end) {
            mc_poll(p, 10);
            peer_drain(&peer);
            peer.out[peer.n] = 0;
        }
        CHECK(peer_finish(&peer, WAIT_MS) == 0);
        for (int i = 0; i < nw; i++) {
            int got = peer_tos_of(&peer, want[i].payload);
            if (got != want[i].tos) {
                fprintf(stderr, "\"%s\": the peer saw tos %d (-2: not received), want %d\n",
                        want[i].payload, got, want[i].tos);
                check_failures++;
            }
        }
    }
    mc_poller_free(p);
}

static void test_tos_v4(void) { test_tos(0); }
static void test_tos_v6(void) { test_tos(1); }

PEER_MAIN("veth_ttl_dscp", "/tmp/mc-groups.XXXXXX", { "ttl-v4", test_ttl_v4 }, { "v6", test_v6 },
          { "tos-v4", test_tos_v4 }, { "tos-v6", test_tos_v6 })
