/* veth.c - libmulticast over veth pairs: what lo cannot show.
 *
 *   tests/netns-veth [--two] veth CASE
 *   CASE: loop v6 ff02 star-v4 star-v6 star-ff02 (these three need --two) ssm-v4 ssm-v6 ttl
 *
 * Runs inside tests/netns-veth (inside tests/netns-run): mc0 here, mc1 in the
 * peer netns MC_PEER_PID (with --two also mc2 here, mc3 in MC_PEER2_PID). The
 * other end is an independent peer, tests/peers/mcast.py (MC_MCAST_PY), run in
 * the peer netns with `nsenter -t PID -n python3 mcast.py ...`.
 *
 * Synchronisation without sleeps: a peer receiver is started with --ready FILE
 * and we send only once FILE exists; a peer sender is started only after our
 * listener exists. Every wait is bounded (<= 2 s); "nothing arrives" is checked
 * with a 300 ms wait, after a positive control proved the path works.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define WAIT_MS 10000   /* a packet that should come (generous: only a failure waits it out) */
#define NONE_MS 300     /* a packet that should not */

static long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ peers --- */

#include "peer.h"

static unsigned env_index(const char *name) { return (unsigned)strtoul(env(name), NULL, 10); }


/* Starts `mcast.py recv GROUP PORT --iface IF --count N --ready FILE` in the
   peer netns and waits (bounded) until it has joined. 1: ready. */
static int peer_recv_start(peer_t *p, const char *peer_env, const char *iface,
                           const char *group, int port, int count) {
    char sport[16], scount[16], what[96];
    const char *args[16];
    char ready[128];
    int n = 0;
    snprintf(sport, sizeof sport, "%d", port);
    snprintf(scount, sizeof scount, "%d", count);
    snprintf(what, sizeof what, "peer recv %s:%d", group, port);
    snprintf(ready, sizeof ready, "%s/ready.%d", tmpdir, ++ready_seq);
    args[n++] = "recv"; args[n++] = group; args[n++] = sport;
    args[n++] = "--iface"; args[n++] = iface;
    args[n++] = "--count"; args[n++] = scount;
    args[n++] = "--timeout"; args[n++] = "10";
    args[n++] = "--ready"; args[n++] = ready;
    args[n] = NULL;
    peer_spawn(p, peer_env, what, args);
    return peer_wait_ready(p, ready, WAIT_MS);
}

/* Runs `mcast.py send GROUP PORT --iface IF --payload PAYLOAD [--source SRC] [--ttl T]`
   in the peer netns and waits for it. */
static void peer_send(const char *peer_env, const char *iface, const char *group, int port,
                      const char *payload, const char *source) {
    peer_t p;
    char sport[16], what[128];
    const char *args[16];
    int n = 0;
    snprintf(sport, sizeof sport, "%d", port);
    snprintf(what, sizeof what, "peer send %s:%d %s", group, port, payload);
    args[n++] = "send"; args[n++] = group; args[n++] = sport;
    args[n++] = "--iface"; args[n++] = iface;
    args[n++] = "--payload"; args[n++] = payload;
    if (source) { args[n++] = "--source"; args[n++] = source; }
    args[n] = NULL;
    peer_spawn(&p, peer_env, what, args);
    if (peer_finish(&p, WAIT_MS) != 0 || !strstr(p.out, "SENT 1")) {
        fprintf(stderr, "%s: failed\n", what);
        check_failures++;
    }
}

/* A burst sender (mcast.py sends from one socket): `count` datagrams "PAYLOAD #i",
   each from a socket of its own, so each has its own source port (the kernel hashes
   the ports when it picks one socket of a SO_REUSEPORT group). Optionally bound to a
   source address; TTL / hop limit 1. */
static const char burst_py[] =
    "import socket, struct, sys\n"
    "g, port, ifname, payload, src, n = sys.argv[1:7]\n"
    "port, n, ix, v6 = int(port), int(n), socket.if_nametoindex(ifname), ':' in g\n"
    "socks = []\n"
    "for i in range(n):\n"
    "    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)\n"
    "    socks.append(s)\n"
    "    if v6:\n"
    "        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ix)\n"
    "        if src != '-': s.bind((src, 0, 0, ix))\n"
    "        dst = (g, port, 0, ix)\n"
    "    else:\n"
    "        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,\n"
    "                     struct.pack('=4s4si', bytes(4), bytes(4), ix))\n"
    "        if src != '-': s.bind((src, 0))\n"
    "        dst = (g, port)\n"
    "    s.sendto(('%s #%d' % (payload, i)).encode(), dst)\n"
    "print('SENT %d' % n)\n";

static void peer_burst(const char *peer_env, const char *iface, const char *group, int port,
                       const char *payload, const char *source, int count) {
    peer_t p;
    char sport[16], scount[16], what[128], want[32];
    const char *args[8];
    snprintf(sport, sizeof sport, "%d", port);
    snprintf(scount, sizeof scount, "%d", count);
    snprintf(want, sizeof want, "SENT %d", count);
    snprintf(what, sizeof what, "peer burst %s:%d %s x%d", group, port, payload, count);
    args[0] = group; args[1] = sport; args[2] = iface; args[3] = payload;
    args[4] = source ? source : "-"; args[5] = scount; args[6] = NULL;
    peer_spawn_py(&p, peer_env, what, burst_py, args);
    if (peer_finish(&p, WAIT_MS) != 0 || !strstr(p.out, want)) {
        fprintf(stderr, "%s: failed\n", what);
        check_failures++;
    }
}

/* The RECV line of mcast.py's output whose data is exactly `payload`, copied
   into line; 0 if none. */
static int recv_line(const peer_t *p, const char *payload, char *line, size_t size) {
    const char *s = p->out;
    size_t pl = strlen(payload);
    while (s && *s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        const char *d = strstr(s, " data=");
        if (strncmp(s, "RECV ", 5) == 0 && d && d < s + len &&
            (size_t)(s + len - (d + 6)) == pl && memcmp(d + 6, payload, pl) == 0) {
            snprintf(line, size, "%.*s", (int)len, s);
            return 1;
        }
        s = nl ? nl + 1 : NULL;
    }
    return 0;
}

/* The value of "KEY=" in a RECV line, up to a space (or '%' of a scoped address). */
static const char *field(const char *line, const char *key, char *buf, size_t size) {
    char k[32];
    const char *v;
    size_t i = 0;
    snprintf(k, sizeof k, " %s=", key);
    v = strstr(line, k);
    buf[0] = 0;
    if (!v) return buf;
    v += strlen(k);
    while (v[i] && v[i] != ' ' && v[i] != '%' && i + 1 < size) { buf[i] = v[i]; i++; }
    buf[i] = 0;
    return buf;
}

/* The peer got `payload` from one of the addresses src1/src2 (src2 may be NULL),
   with TTL/hop limit `ttl` (< 0: any). */
static void expect_peer_got(const peer_t *p, const char *payload, const char *src1,
                            const char *src2, int ttl) {
    char line[512], v[64];
    if (!recv_line(p, payload, line, sizeof line)) {
        fprintf(stderr, "%s: did not receive \"%s\"\n", p->what, payload);
        check_failures++;
        return;
    }
    field(line, "src", v, sizeof v);
    if (strcmp(v, src1) != 0 && !(src2 && strcmp(v, src2) == 0)) {
        fprintf(stderr, "%s: \"%s\" came from %s, want %s%s%s\n", p->what, payload, v, src1,
                src2 ? " or " : "", src2 ? src2 : "");
        check_failures++;
    }
    if (ttl >= 0 && atoi(field(line, "ttl", v, sizeof v)) != ttl) {
        fprintf(stderr, "%s: \"%s\" arrived with ttl/hop limit %s, want %d\n", p->what,
                payload, v, ttl);
        check_failures++;
    }
    if (strcmp(field(line, "ifindex", v, sizeof v), env("MC_PEER_IFINDEX")) != 0 &&
        strcmp(v, getenv("MC_PEER2_IFINDEX") ? getenv("MC_PEER2_IFINDEX") : "") != 0) {
        fprintf(stderr, "%s: \"%s\" arrived on ifindex %s, want MC_PEER_IFINDEX %s%s%s\n",
                p->what, payload, v, env("MC_PEER_IFINDEX"),
                getenv("MC_PEER2_IFINDEX") ? " or MC_PEER2_IFINDEX " : "",
                getenv("MC_PEER2_IFINDEX") ? getenv("MC_PEER2_IFINDEX") : "");
        check_failures++;
    }
}

/* --------------------------------------------------------- library ---- */

static mc_opts *opts_for(const char *group, int port, const char *iface) {
    mc_opts *o = mc_opts_new();
    if (!o) { fprintf(stderr, "mc_opts_new failed\n"); exit(2); }
    CHECK_RC(mc_opts_set_group(o, group), 0);
    CHECK_RC(mc_opts_set_port(o, (uint16_t)port), 0);
    if (iface) CHECK_RC(mc_opts_set_interface(o, iface), 0);
    return o;
}

/* A pull-mode listener on `poller`; NULL (and a failed check) if it cannot be made. */
static mc_listener *listen_on(mc_poller *poller, const char *group, int port, const char *iface,
                              const char *source) {
    mc_listener *l = NULL;
    mc_opts *o = opts_for(group, port, iface);
    int rc;
    if (source) CHECK_RC(mc_opts_set_source(o, source), 0);
    rc = mc_listener_new(poller, o, NULL, NULL, &l);
    mc_opts_free(o);
    if (rc != 0 || !l) {
        fprintf(stderr, "mc_listener_new(%s:%d, interface %s, source %s) = %d (%s): %s\n",
                group, port, iface ? iface : "default", source ? source : "any", rc,
                mc_strerror(rc), mc_last_error());
        check_failures++;
        return NULL;
    }
    return l;
}

/* mc_sendto_opts of `payload` to group:port via iface with ttl and loopback. */
static void send_opts(const char *group, int port, const char *iface, int ttl, int loop,
                      const char *payload) {
    mc_opts *o = opts_for(group, port, iface);
    int rc;
    CHECK_RC(mc_opts_set_ttl(o, ttl), 0);
    CHECK_RC(mc_opts_set_loopback(o, loop), 0);
    rc = mc_sendto_opts(o, payload, strlen(payload));
    if (rc != (int)strlen(payload)) {
        fprintf(stderr, "mc_sendto_opts(%s:%d via %s, ttl %d, loop %d, \"%s\") = %d (%s): %s\n",
                group, port, iface ? iface : "default", ttl, loop, payload, rc,
                mc_strerror(rc), mc_last_error());
        check_failures++;
    }
    mc_opts_free(o);
}

static int ip_is(const mc_addr *a, const char *ip) {
    unsigned char b[16];
    if (strchr(ip, ':')) {
        return a->family == AF_INET6 && inet_pton(AF_INET6, ip, b) == 1 && !memcmp(a->ip, b, 16);
    }
    return a->family == AF_INET && inet_pton(AF_INET, ip, b) == 1 && !memcmp(a->ip, b, 4);
}

static const char *show(const mc_addr *a, char *buf, size_t size) {
    char ip[INET6_ADDRSTRLEN] = "?";
    if (a->family == AF_INET) inet_ntop(AF_INET, a->ip, ip, sizeof ip);
    else if (a->family == AF_INET6) inet_ntop(AF_INET6, a->ip, ip, sizeof ip);
    snprintf(buf, size, "%s port %u scope_id %u (family %u)", ip, a->port, a->scope_id,
             a->family);
    return buf;
}

static int payload_is(const mc_packet *p, const char *payload) {
    size_t n = strlen(payload);
    return p->len == n && p->size == n && memcmp(p->data, payload, n) == 0;
}

static void print_packet(const char *tag, const mc_packet *p) {
    char f[96], g[96];
    printf("  [%s] got \"%.*s\" from %s, group %s, ifindex %u\n", tag,
           (int)(p->len > 60 ? 60 : p->len), (const char *)p->data,
           show(&p->from, f, sizeof f), show(&p->group, g, sizeof g), p->ifindex);
}

/* Expects the next packet of l within WAIT_MS to be `payload`, sent from
   from1 (scope from_scope1) or from2 (scope from_scope2; from2 may be NULL),
   to group:port (scope group_scope), arrived on ifindex. */
static void expect_packet(const char *tag, mc_listener *l, const char *payload, const char *from1,
                          uint32_t from_scope1, const char *from2, uint32_t from_scope2,
                          const char *group, int port, uint32_t group_scope, uint32_t ifindex) {
    const mc_packet *p = NULL;
    char b[96];
    int rc;
    if (!l) { check_failures++; return; }
    rc = mc_listener_next(l, &p, WAIT_MS);
    if (rc != 1 || !p) {
        fprintf(stderr, "%s: mc_listener_next = %d, want 1 (\"%s\" within %d ms); %s\n", tag,
                rc, payload, WAIT_MS, mc_last_error());
        check_failures++;
        return;
    }
    print_packet(tag, p);
    if (!payload_is(p, payload)) {
        fprintf(stderr, "%s: got \"%.*s\" (len %zu size %zu), want \"%s\"\n", tag, (int)p->len,
                (const char *)p->data, p->len, p->size, payload);
        check_failures++;
    }
    if (!((ip_is(&p->from, from1) && p->from.scope_id == from_scope1) ||
          (from2 && ip_is(&p->from, from2) && p->from.scope_id == from_scope2))) {
        fprintf(stderr, "%s: from %s, want %s scope_id %u%s%s\n", tag, show(&p->from, b, sizeof b),
                from1, from_scope1, from2 ? " or " : "", from2 ? from2 : "");
        check_failures++;
    }
    if (p->from.port == 0) {
        fprintf(stderr, "%s: from.port is 0\n", tag);
        check_failures++;
    }
    if (!ip_is(&p->group, group) || p->group.port != port || p->group.scope_id != group_scope) {
        fprintf(stderr, "%s: group %s, want %s port %d scope_id %u\n", tag,
                show(&p->group, b, sizeof b), group, port, group_scope);
        check_failures++;
    }
    if (p->ifindex != ifindex) {
        fprintf(stderr, "%s: ifindex %u, want %u\n", tag, p->ifindex, ifindex);
        check_failures++;
    }
}

/* Nothing must arrive on l within NONE_MS. */
static void expect_none(const char *tag, mc_listener *l) {
    const mc_packet *p = NULL;
    int rc;
    if (!l) return;
    rc = mc_listener_next(l, &p, NONE_MS);
    if (rc != 0) {
        fprintf(stderr, "%s: mc_listener_next = %d, want 0 (nothing within %d ms)\n", tag, rc,
                NONE_MS);
        if (rc == 1 && p) print_packet(tag, p);
        check_failures++;
    }
}

/* One kind of packet a listener may get: payload "PREFIX #i" from `from` (scope
   from_scope), to the group with scope group_scope, arrived on ifindex. */
typedef struct {
    const char *prefix;
    const char *from;
    uint32_t from_scope, group_scope, ifindex;
    int want;   /* how many must arrive (0: none may) */
    int got;
} kind_t;

/* Reads l's packets until the wanted ones are in (<= WAIT_MS each), then for NONE_MS
   more; each must be of a kind and look as that kind says; every count must match. */
static void collect(const char *tag, mc_listener *l, const char *group, int port, kind_t *kinds,
                    int nk) {
    const mc_packet *p = NULL;
    int total = 0, seen = 0, other = 0, k, rc, shown = 0;
    char b[96];
    if (!l) { check_failures++; return; }
    for (k = 0; k < nk; k++) { kinds[k].got = 0; total += kinds[k].want; }
    for (;;) {
        rc = mc_listener_next(l, &p, seen < total ? WAIT_MS : NONE_MS);
        if (rc != 1) break;
        seen++;
        for (k = 0; k < nk; k++) {
            size_t n = strlen(kinds[k].prefix);
            if (p->len > n + 2 && !memcmp(p->data, kinds[k].prefix, n) &&
                !memcmp(p->data + n, " #", 2))
                break;
        }
        if (k == nk) {
            print_packet(tag, p);
            fprintf(stderr, "%s: unexpected packet\n", tag);
            other++;
            continue;
        }
        kinds[k].got++;
        if (kinds[k].got > kinds[k].want || shown < 2) { print_packet(tag, p); shown++; }
        if (!ip_is(&p->from, kinds[k].from) || p->from.scope_id != kinds[k].from_scope) {
            fprintf(stderr, "%s: \"%s\" from %s, want %s scope_id %u\n", tag, kinds[k].prefix,
                    show(&p->from, b, sizeof b), kinds[k].from, kinds[k].from_scope);
            check_failures++;
        }
        if (!ip_is(&p->group, group) || p->group.port != port ||
            p->group.scope_id != kinds[k].group_scope) {
            fprintf(stderr, "%s: \"%s\" to group %s, want %s port %d scope_id %u\n", tag,
                    kinds[k].prefix, show(&p->group, b, sizeof b), group, port,
                    kinds[k].group_scope);
            check_failures++;
        }
        if (p->ifindex != kinds[k].ifindex) {
            fprintf(stderr, "%s: \"%s\" on ifindex %u, want %u\n", tag, kinds[k].prefix,
                    p->ifindex, kinds[k].ifindex);
            check_failures++;
        }
    }
    if (rc < 0) {
        fprintf(stderr, "%s: mc_listener_next = %d (%s): %s\n", tag, rc, mc_strerror(rc),
                mc_last_error());
        check_failures++;
    }
    printf("  [%s] got", tag);
    for (k = 0; k < nk; k++) printf(" %d \"%s\" (want %d)", kinds[k].got, kinds[k].prefix,
                                    kinds[k].want);
    printf("\n");
    for (k = 0; k < nk; k++) {
        if (kinds[k].got != kinds[k].want) {
            fprintf(stderr, "%s: got %d \"%s\" packets (from %s), want %d\n", tag,
                    kinds[k].got, kinds[k].prefix, kinds[k].from, kinds[k].want);
            check_failures++;
        }
    }
    if (other) check_failures++;
}

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
        peer_send("MC_PEER_PID", "mc1", G, P, "v6-from-peer", NULL);
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
    peer_send("MC_PEER_PID", "mc1", G, P, "ff02-from-peer", NULL);
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

/* "*" joins on every interface: packets from both links, told apart by ifindex (and,
   for ff02::, by scope ids); a listener on "mc0" gets only mc0's. Each peer sends a
   burst from distinct source ports (see peer_burst). Neither listener gets another
   group's datagram or a unicast one sent to the same port (a listener on mc0 of that
   other group is the control that it did arrive). which: 0 IPv4, 1 ff05::, 2 ff02::. */
static void star(int which) {
    static const struct {
        const char *group, *from0, *from2;
        int scoped;
        const char *other_group, *unicast;   /* same port: the listeners must not get these */
    } gs[] = {
        { "239.7.7.7", "192.0.2.2", "198.51.100.2", 0, "239.7.7.8", "192.0.2.1" },
        { "ff05::4344", "fd42::2", "fd43::2", 0, "ff05::4345", "fd42::1" },
        { "ff02::4343", "fe80::2", "fe80::4", 1, "ff02::4345", "fe80::1" },
    };
    enum { N = 8 };
    unsigned ix0 = env_index("MC_IFINDEX"), ix2 = env_index("MC_IF2INDEX");
    const int P = 5004;
    const size_t i = (size_t)which;
    {
        const char *G = gs[i].group;
        uint32_t s0 = gs[i].scoped ? ix0 : 0, s2 = gs[i].scoped ? ix2 : 0;
        mc_poller *pa = NULL, *pb = NULL;
        mc_listener *all, *one, *og;
        char tag[96];
        kind_t kinds[4];
        printf("%s: listener \"*\" and listener \"mc0\"; %d packets from each peer\n", G, N);
        CHECK_RC(mc_poller_new(&pa), 0);
        CHECK_RC(mc_poller_new(&pb), 0);
        all = listen_on(pa, G, P, "*", NULL);
        one = listen_on(pb, G, P, "mc0", NULL);
        og = listen_on(pb, gs[i].other_group, P, "mc0", NULL);  /* so that it arrives */
        peer_burst("MC_PEER_PID", "mc1", G, P, "via-mc0", NULL, N);
        peer_burst("MC_PEER2_PID", "mc3", G, P, "via-mc2", NULL, N);
        /* another group and a unicast datagram to the same port */
        peer_send("MC_PEER_PID", "mc1", gs[i].other_group, P, "other-group", NULL);
        peer_send("MC_PEER_PID", "mc1", gs[i].unicast, P, "unicast", NULL);
        memset(kinds, 0, sizeof kinds);
        kinds[0].prefix = "via-mc0"; kinds[0].from = gs[i].from0;
        kinds[0].from_scope = s0; kinds[0].group_scope = s0; kinds[0].ifindex = ix0;
        kinds[1].prefix = "via-mc2"; kinds[1].from = gs[i].from2;
        kinds[1].from_scope = s2; kinds[1].group_scope = s2; kinds[1].ifindex = ix2;
        kinds[2].prefix = "other-group"; kinds[2].from = gs[i].from0;
        kinds[2].from_scope = s0; kinds[2].group_scope = s0; kinds[2].ifindex = ix0;
        kinds[3].prefix = "unicast"; kinds[3].from = gs[i].from0;
        kinds[3].from_scope = s0; kinds[3].group_scope = s0; kinds[3].ifindex = ix0;
        kinds[0].want = N; kinds[1].want = N;
        snprintf(tag, sizeof tag, "%s listener \"*\"", G);
        collect(tag, all, G, P, kinds, 4);
        kinds[0].want = N; kinds[1].want = 0;
        snprintf(tag, sizeof tag, "%s listener \"mc0\"", G);
        collect(tag, one, G, P, kinds, 4);
        /* the control: the other group's datagram did arrive at this host */
        kinds[0].want = 0; kinds[2].want = 1;
        snprintf(tag, sizeof tag, "%s listener on mc0 (control)", gs[i].other_group);
        collect(tag, og, gs[i].other_group, P, kinds, 4);
        mc_listener_close(all);
        mc_listener_close(one);
        mc_listener_close(og);
        mc_poller_free(pa);
        mc_poller_free(pb);
    }
}

/* Source-specific multicast: only the chosen source's packets - alone, and next to a
   listener of any source on the same group:port (which gets both: the control). The
   other source sends a burst from distinct ports (see peer_burst). which: 0 IPv4,
   1 IPv6. */
static void ssm(int which) {
    static const struct { const char *group, *src, *other, *wrong; } gs[] = {
        { "232.1.1.1", "192.0.2.2", "192.0.2.3", "fd42::2" },
        { "ff3e::1234", "fd42::2", "fd42::3", "192.0.2.2" },
    };
    enum { N = 8 };
    unsigned ix = env_index("MC_IFINDEX");
    const int P = 5006;
    const size_t i = (size_t)which;
    {
        const char *G = gs[i].group;
        mc_poller *poller = NULL;
        mc_listener *ssm, *any, *bad;
        mc_listener_stats st;
        mc_opts *o;
        char tag[128];
        kind_t kinds[2];
        memset(kinds, 0, sizeof kinds);
        kinds[0].prefix = "from-other"; kinds[0].from = gs[i].other; kinds[0].ifindex = ix;
        kinds[1].prefix = "from-source"; kinds[1].from = gs[i].src; kinds[1].ifindex = ix;
        CHECK_RC(mc_poller_new(&poller), 0);

        printf("%s:%d: a listener with source %s alone\n", G, P, gs[i].src);
        ssm = listen_on(poller, G, P, "mc0", gs[i].src);
        peer_burst("MC_PEER_PID", "mc1", G, P, "from-other", gs[i].other, N);
        peer_send("MC_PEER_PID", "mc1", G, P, "from-source", gs[i].src);
        snprintf(tag, sizeof tag, "%s source %s, alone", G, gs[i].src);
        kinds[0].want = 0; kinds[1].want = 1;
        collect(tag, ssm, G, P, kinds, 2);
        if (ssm) {
            CHECK_RC(mc_listener_get_stats(ssm, &st), 0);
            CHECK(st.received == 1);
        }
        mc_listener_close(ssm);

        printf("%s:%d: a listener with source %s and one with any source\n", G, P + 1,
               gs[i].src);
        ssm = listen_on(poller, G, P + 1, "mc0", gs[i].src);
        any = listen_on(poller, G, P + 1, "mc0", NULL);
        peer_burst("MC_PEER_PID", "mc1", G, P + 1, "from-other", gs[i].other, N);
        peer_send("MC_PEER_PID", "mc1", G, P + 1, "from-source", gs[i].src);
        /* the control: all were sent and arrive at a listener of any source */
        snprintf(tag, sizeof tag, "%s any source, next to a source-specific one", G);
        kinds[0].want = N; kinds[1].want = 1;
        collect(tag, any, G, P + 1, kinds, 2);
        snprintf(tag, sizeof tag, "%s source %s, next to an any-source one", G, gs[i].src);
        kinds[0].want = 0; kinds[1].want = 1;
        collect(tag, ssm, G, P + 1, kinds, 2);
        if (ssm) {
            CHECK_RC(mc_listener_get_stats(ssm, &st), 0);
            CHECK(st.received == 1);
        }
        mc_listener_close(ssm);
        mc_listener_close(any);

        printf("%s with source %s (the other family)\n", G, gs[i].wrong);
        o = opts_for(G, P, "mc0");
        CHECK_RC(mc_opts_set_source(o, gs[i].wrong), 0);
        bad = (mc_listener *)&st;  /* must be set to NULL on failure */
        CHECK_RC(mc_listener_new(poller, o, NULL, NULL, &bad), MC_EADDRESS);
        CHECK(bad == NULL);
        CHECK_MSG(gs[i].wrong);
        printf("  mc_last_error: %s\n", mc_last_error());
        mc_opts_free(o);
        mc_poller_free(poller);
    }
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

static void test_star_v4(void) { star(0); }
static void test_star_v6(void) { star(1); }
static void test_star_ff02(void) { star(2); }
static void test_ssm_v4(void) { ssm(0); }
static void test_ssm_v6(void) { ssm(1); }

int main(int argc, char **argv) {
    static const check_case cases[] = {
        { "loop", test_loop }, { "v6", test_v6 }, { "ff02", test_ff02 },
        { "star-v4", test_star_v4 }, { "star-v6", test_star_v6 }, { "star-ff02", test_star_ff02 },
        { "ssm-v4", test_ssm_v4 }, { "ssm-v6", test_ssm_v6 }, { "ttl", test_ttl },
    };
    return peer_main("veth", "/tmp/mc-veth.XXXXXX", argc, argv, cases, sizeof cases / sizeof *cases);
}
