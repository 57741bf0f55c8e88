/* test_groups.c - the 0.2 additions of issue 10 from C, through libmulticast.so:
 * several groups per listener (spread over more sockets past the kernel's
 * per-socket limits igmp_max_memberships / igmp_max_msf), add/drop inside
 * callbacks, bad input, the limits themselves, "*" on more interfaces than a
 * socket may join, receive timestamps and TTLs, GRO runs split again, senders'
 * GSO as a GRO listener sees it, the option setters.
 * The listener cases run with GRO on and off (split: both, side by side;
 * gso: the default, on).
 *
 *   test_groups CASE
 *   CASE: three many ssm callbacks errors timestamps split gso ttl opts
 *         limit (needs a network namespace of its own: it writes the
 *         per-namespace sysctls net.ipv4.igmp_max_memberships / igmp_max_msf)
 *         star  (needs the veth pairs tests/groups.rs makes in a namespace of
 *         its own)
 *
 * Runs inside tests/netns-run's namespace (lo, route 224/4 dev lo src
 * 127.0.0.1). Groups 239.44.x.y and 232.44.x.y, ports 4401..4460: no other
 * test uses them. 127.0.0.0/8 is local on lo, so 127.0.0.2..14 serve as SSM
 * sources: plain sockets bound to each send. Every wait is bounded (wire.h:
 * WAIT_MS for what must come, QUIET_MS of polling for what must not).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include "wire.h"

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h */
#endif

/* "239.44.X.Y" in one of 16 rotating buffers (for arguments: do not keep it). */
static const char *G(int x, int y) {
    static char ring[16][32];
    static int k;
    char *b = ring[k++ % 16];
    snprintf(b, sizeof ring[0], "239.44.%d.%d", x, y);
    return b;
}

static const char *onoff(int v) { return v ? "on" : "off"; }

static unsigned lo_index(void) { return if_nametoindex("lo"); }

static uint64_t realtime_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static mc_listener_counts counts_of(const mc_listener *l) {
    mc_listener_counts c;
    memset(&c, 0xff, sizeof c);
    CHECK_RC(mc_listener_get_counts(l, &c), 0);
    return c;
}

static mc_listener_stats stats_of(const mc_listener *l) {
    mc_listener_stats s;
    memset(&s, 0xff, sizeof s);
    CHECK_RC(mc_listener_get_stats(l, &s), 0);
    return s;
}

/* ------------------------------------------------- what the kernel says --- */

/* True if /proc/net/igmp lists `group` (on device `dev`; NULL: on any). The
   kernel prints the group as %08X of its network-order value, on a line of
   its own that starts with tabs; devices head their lines ("1\tlo : ..."). */
static int igmp_on(const char *dev, const char *group) {
    char line[256], needle[16], cur[IF_NAMESIZE + 1] = "";
    struct in_addr a;
    uint32_t v;
    int found = 0;
    FILE *f;
    if (inet_pton(AF_INET, group, &a) != 1) { fprintf(stderr, "bad group %s\n", group); exit(2); }
    memcpy(&v, &a, 4);
    snprintf(needle, sizeof needle, "\t%08X ", v);
    f = fopen("/proc/net/igmp", "r");
    if (!f) { perror("/proc/net/igmp"); exit(2); }
    while (fgets(line, sizeof line, f)) {
        if (line[0] != '\t') {
            int idx;
            if (sscanf(line, "%d %16[^: \t]", &idx, cur) != 2) cur[0] = 0;
            continue;
        }
        if (strstr(line, needle) && (!dev || strcmp(cur, dev) == 0)) found = 1;
    }
    fclose(f);
    return found;
}

static int igmp_has(const char *group) { return igmp_on(NULL, group); }

/* Bytes queued on the UDP sockets bound to 0.0.0.0:port (/proc/net/udp). */
static long udp_rxq(uint16_t port) {
    char line[512];
    long total = 0;
    FILE *f = fopen("/proc/net/udp", "r");
    if (!f) { perror("/proc/net/udp"); exit(2); }
    while (fgets(line, sizeof line, f)) {
        unsigned long ip, rx;
        unsigned p;
        if (sscanf(line, " %*d: %8lX:%4X %*8X:%*4X %*2X %*8X:%8lX", &ip, &p, &rx) == 3 &&
            ip == 0 && p == port)
            total += (long)rx;
    }
    fclose(f);
    return total;
}

/* Waits (bounded: 1 s, in 1 ms steps) until something is queued on a wildcard
   socket of port; returns the bytes queued (0: nothing came). */
static long wait_rxq(uint16_t port) {
    long end = now_ms() + 1000, q;
    while ((q = udp_rxq(port)) == 0 && now_ms() < end) poll(NULL, 0, 1);
    return q;
}

/* -------------------------------------------------------------- sending --- */

static void send1(const char *group, uint16_t port, const char *payload) {
    int n = (int)strlen(payload);
    int rc = mc_sendto(payload, (size_t)n, group, port, -1);
    if (rc != n) {
        fprintf(stderr, "mc_sendto(%s:%u, \"%s\") = %d: %s\n", group, port, payload, rc,
                mc_last_error());
        check_failures++;
    }
}

/* A run of `count` equal-size datagrams "PREFIX #i" (i < 10) with
   mc_sendto_many: one GSO send. */
static void send_run(const char *group, uint16_t port, const char *prefix, int count, int ttl) {
    char text[16][64];
    mc_buf bufs[16];
    int i, rc;
    for (i = 0; i < count && i < 16; i++) {
        snprintf(text[i], sizeof text[i], "%s #%d", prefix, i % 10);
        bufs[i].data = text[i];
        bufs[i].len = strlen(text[i]);
    }
    rc = mc_sendto_many(bufs, (size_t)i, group, port, ttl);
    if (rc != i) {
        fprintf(stderr, "mc_sendto_many(%s:%u, %d x \"%s\") = %d: %s\n", group, port, i, prefix,
                rc, mc_last_error());
        check_failures++;
    }
}

/* A plain UDP socket bound to local address ip (port 0). */
static int bound_socket(const char *ip) {
    struct sockaddr_in a;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(s >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    CHECK(inet_pton(AF_INET, ip, &a.sin_addr) == 1);
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) {
        fprintf(stderr, "bind %s: %s\n", ip, strerror(errno));
        check_failures++;
    }
    return s;
}

/* sendto from a plain socket; seg > 0: as one UDP_SEGMENT (GSO) send of
   segments of seg bytes. */
static void plain_send(int s, const char *ip, uint16_t port, const void *data, size_t len,
                       int seg) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    CHECK(inet_pton(AF_INET, ip, &a.sin_addr) == 1);
    CHECK(setsockopt(s, SOL_UDP, UDP_SEGMENT, &seg, sizeof seg) == 0);
    if (sendto(s, data, len, 0, (struct sockaddr *)&a, sizeof a) != (ssize_t)len) {
        fprintf(stderr, "sendto %s:%u: %s\n", ip, port, strerror(errno));
        check_failures++;
    }
}

/* ------------------------------------------------------------ receiving --- */

/* What a listener got, counted by the last byte of the group and of the
   sender. Payloads start "gY " where Y is the group's last byte (and, with
   by_source, go on "sZ " where Z is the sender's last byte). */
typedef struct {
    int x;             /* groups 239.44.X.* (or 232.44.X.* with ssm) */
    int ssm;
    uint16_t port;
    int total, bad;
    int per[256];
    int by_src[256];
    mc_listener *l;
} tally_t;

static void tally_reset(tally_t *t, int x, uint16_t port) {
    memset(t, 0, sizeof *t);
    t->x = x;
    t->port = port;
}

static void print_packet(const char *tag, const mc_packet *p) {
    char f[INET6_ADDRSTRLEN] = "?", g[INET6_ADDRSTRLEN] = "?";
    inet_ntop(p->from.family, p->from.ip, f, sizeof f);
    inet_ntop(p->group.family, p->group.ip, g, sizeof g);
    fprintf(stderr, "  [%s] \"%.*s\" (len %zu size %zu) from %s:%u to %s:%u scope %u ifindex %u\n",
            tag, (int)(p->len > 60 ? 60 : p->len), (const char *)p->data, p->len, p->size, f,
            p->from.port, g, p->group.port, p->group.scope_id, p->ifindex);
}

/* Checks one packet of a tally: IPv4, group 239.44.X.Y (232.44.X.Y) port,
   from 127.0.0.Z port != 0, arrived on lo, payload "gY " ("gY sZ "). Counts it. */
static void tally_packet(tally_t *t, const mc_packet *p) {
    char want[32];
    int ok = 1;
    size_t n;
    t->total++;
    if (p->group.family != AF_INET || p->group.ip[0] != (t->ssm ? 232 : 239) ||
        p->group.ip[1] != 44 || p->group.ip[2] != t->x || p->group.port != t->port ||
        p->group.scope_id != 0)
        ok = 0;
    if (p->from.family != AF_INET || p->from.ip[0] != 127 || p->from.port == 0) ok = 0;
    if (p->ifindex != lo_index()) ok = 0;
    if (t->ssm) snprintf(want, sizeof want, "g%u s%u ", p->group.ip[3], p->from.ip[3]);
    else snprintf(want, sizeof want, "g%u ", p->group.ip[3]);
    n = strlen(want);
    if (p->len < n || p->size != p->len || memcmp(p->data, want, n) != 0) ok = 0;
    if (!ok) {
        print_packet("unexpected", p);
        t->bad++;
        return;
    }
    t->per[p->group.ip[3]]++;
    t->by_src[p->from.ip[3]]++;
}

static int on_tally(void *ud, const mc_packet *p) {
    tally_packet(ud, p);
    return 0;
}

/* Pull mode: reads l until `want` packets came (WAIT_MS each), then QUIET_MS more. */
static void pull_all(mc_listener *l, tally_t *t, int want) {
    const mc_packet *p;
    int rc;
    while ((rc = mc_listener_next(l, &p, t->total < want ? WAIT_MS : QUIET_MS)) == 1)
        tally_packet(t, p);
    CHECK_RC(rc, 0);
}

/* Waits for `want` packets in t, then QUIET_MS more: exactly want must have come. */
static void settle(mc_poller *p, tally_t *t, int want) {
    CHECK(wait_for(p, &t->total, want));
    quiet(p, QUIET_MS);
    if (t->total != want) {
        fprintf(stderr, "got %d packets, want %d\n", t->total, want);
        check_failures++;
    }
    CHECK(t->bad == 0);
}

/* =============================================================== cases === */

/* A listener on 3 groups gets those (each packet with its own group), not a
   4th group on the same port (a control listener proves it arrived), never a
   unicast datagram to the port (it was queued on a socket of the listener:
   /proc/net/udp shows it). Pull mode. */
static void case_three(void) {
    for (int gro = 1; gro >= 0; gro--) {
        uint16_t port = gro ? 4401 : 4451;
        mc_poller *p = NULL;
        mc_listener *l = NULL, *ctl = NULL;
        mc_opts *o = opts_for(G(0, 1), port);
        mc_listener_counts c;
        mc_listener_stats st;
        tally_t t, tc;
        int s;
        printf("three groups on port %u, GRO %s\n", port, onoff(gro));
        CHECK_RC(mc_poller_new(&p), 0);
        CHECK_RC(mc_opts_set_gro(o, gro), 0);
        CHECK_RC(mc_listener_new(p, o, NULL, NULL, &l), 0);
        CHECK_RC(mc_opts_set_group(o, G(0, 4)), 0);
        CHECK_RC(mc_listener_new(p, o, NULL, NULL, &ctl), 0);
        mc_opts_free(o);
        if (!l || !ctl) { mc_poller_free(p); continue; }
        CHECK_RC(mc_listener_add_group(l, G(0, 2), NULL), 0);
        CHECK_RC(mc_listener_add_group(l, G(0, 3), NULL), 0);
        CHECK_RC(mc_listener_group_count(l), 3);
        c = counts_of(l);
        printf("  counts: joins %llu leaves %llu sockets %llu\n", (unsigned long long)c.joins,
               (unsigned long long)c.leaves, (unsigned long long)c.sockets);
        CHECK(c.joins == 3 && c.leaves == 0 && c.sockets >= 1 && c.sockets <= 3);
        for (int g = 1; g <= 4; g++) {
            char prefix[16];
            snprintf(prefix, sizeof prefix, "g%d single", g);
            send1(G(0, g), port, prefix);
            snprintf(prefix, sizeof prefix, "g%d run", g);
            send_run(G(0, g), port, prefix, 4, -1);
        }
        /* unicast to the port: it lands on a socket of the listener (bound to
           0.0.0.0:port), which must not deliver it */
        s = bound_socket("127.0.0.1");
        plain_send(s, "127.0.0.1", port, "g1 unicast", 10, 0);
        close(s);
        {
            long q = wait_rxq(port);
            printf("  the unicast datagram is queued on a wildcard socket: %ld bytes\n",
                   q);
            CHECK(q > 0);
        }
        tally_reset(&t, 0, port);
        pull_all(l, &t, 15);
        printf("  got %d: group 1: %d, 2: %d, 3: %d, 4: %d\n", t.total, t.per[1], t.per[2],
               t.per[3], t.per[4]);
        CHECK(t.total == 15 && t.bad == 0);
        CHECK(t.per[1] == 5 && t.per[2] == 5 && t.per[3] == 5 && t.per[4] == 0);
        CHECK(t.by_src[1] == 15);
        CHECK(udp_rxq(port) == 0);  /* read (and dropped), not left behind */
        /* the control: group 4's datagrams did arrive at this host */
        tally_reset(&tc, 0, port);
        pull_all(ctl, &tc, 5);
        CHECK(tc.total == 5 && tc.per[4] == 5 && tc.bad == 0);
        st = stats_of(l);
        CHECK(st.received == 15 && st.delivered == 15 && st.filtered == 0);
        c = counts_of(l);
        printf("  GRO runs read: %llu\n", (unsigned long long)c.coalesced);
        if (gro) CHECK(c.coalesced >= 3);
        else CHECK(c.coalesced == 0);
        mc_listener_close(l);
        mc_listener_close(ctl);
        mc_poller_free(p);
    }
}

/* Sends "gY #k" and a run of 3 "gY run #k" to every group Y in `which`
   (1..n; which[Y] != 0); the number sent per group. */
static int send_round(int x, int n, const char *which, uint16_t port, int k) {
    for (int y = 1; y <= n; y++) {
        char b[32];
        if (which && !which[y]) continue;
        snprintf(b, sizeof b, "g%d #%d", y, k);
        send1(G(x, y), port, b);
        snprintf(b, sizeof b, "g%d run", y);
        send_run(G(x, y), port, b, 3, -1);
    }
    return 4;
}

/* n groups on one listener with the default sysctls (20 memberships per
   socket): at least n/20 sockets, every group delivered, each datagram once;
   then drop the second half (sockets shrink), then every other one left. */
static void many(int n, int x, int gro) {
    uint16_t port = (uint16_t)((gro ? 4402 : 4452) + (n > 100));
    mc_poller *p = NULL;
    mc_listener *l = NULL;
    mc_opts *o = opts_for(G(x, 1), port);
    mc_listener_counts c;
    uint64_t sockets_all;
    tally_t t;
    char joined[256];
    int want[256], kept, y, k;
    const long min_sockets = (n + 19) / 20;
    long t0;
    printf("%d groups on port %u, GRO %s\n", n, port, onoff(gro));
    tally_reset(&t, x, port);
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK_RC(mc_opts_set_gro(o, gro), 0);
    CHECK_RC(mc_listener_new(p, o, on_tally, &t, &l), 0);
    mc_opts_free(o);
    if (!l) { mc_poller_free(p); return; }
    t0 = now_ms();
    for (y = 2; y <= n; y++) CHECK_RC(mc_listener_add_group(l, G(x, y), NULL), 0);
    CHECK_RC(mc_listener_group_count(l), n);
    c = counts_of(l);
    sockets_all = c.sockets;
    printf("  %d groups joined in %ld ms: joins %llu, sockets %llu (at least %ld needed)\n", n,
           now_ms() - t0, (unsigned long long)c.joins, (unsigned long long)c.sockets,
           min_sockets);
    CHECK(c.joins == (uint64_t)n && c.leaves == 0);
    CHECK(c.sockets >= 2 && c.sockets >= (uint64_t)min_sockets);
    for (y = 1; y <= n; y++) {
        if (!igmp_has(G(x, y))) {
            fprintf(stderr, "  %s is not in /proc/net/igmp\n", G(x, y));
            check_failures++;
        }
    }
    memset(joined, 1, sizeof joined);
    memset(want, 0, sizeof want);
    for (k = 0; k < 2; k++) {
        send_round(x, n, NULL, port, k);
        for (y = 1; y <= n; y++) want[y] += 4;
    }
    settle(p, &t, 8 * n);

    /* drop the second half: those sockets empty and close */
    for (y = n / 2 + 1; y <= n; y++) {
        CHECK_RC(mc_listener_drop_group(l, G(x, y), NULL), 0);
        joined[y] = 0;
    }
    kept = n / 2;
    CHECK_RC(mc_listener_group_count(l), kept);
    c = counts_of(l);
    printf("  dropped %d: leaves %llu, sockets %llu -> %llu\n", n - kept,
           (unsigned long long)c.leaves, (unsigned long long)sockets_all,
           (unsigned long long)c.sockets);
    CHECK(c.joins == (uint64_t)n && c.leaves == (uint64_t)(n - kept));
    CHECK(c.sockets < sockets_all && c.sockets >= (uint64_t)((kept + 19) / 20));
    for (y = 1; y <= n; y++) {
        if (igmp_has(G(x, y)) != joined[y]) {
            fprintf(stderr, "  %s is %sin /proc/net/igmp after the drop\n", G(x, y),
                    joined[y] ? "not " : "still ");
            check_failures++;
        }
    }
    send_round(x, n, NULL, port, 2);   /* to all: the dropped ones must not come */
    for (y = 1; y <= n; y++) want[y] += joined[y] ? 4 : 0;
    settle(p, &t, 8 * n + 4 * kept);

    /* then every other group left: sockets keep memberships of both kinds */
    for (y = 2; y <= n / 2; y += 2) {
        CHECK_RC(mc_listener_drop_group(l, G(x, y), NULL), 0);
        joined[y] = 0;
        kept--;
    }
    CHECK_RC(mc_listener_group_count(l), kept);
    c = counts_of(l);
    printf("  dropped every other: %d left, leaves %llu, sockets %llu\n", kept,
           (unsigned long long)c.leaves, (unsigned long long)c.sockets);
    CHECK(c.leaves == (uint64_t)(n - kept));
    send_round(x, n, NULL, port, 3);
    for (y = 1; y <= n; y++) want[y] += joined[y] ? 4 : 0;
    settle(p, &t, 8 * n + 4 * (n / 2) + 4 * kept);
    for (y = 1; y <= n; y++) {
        if (t.per[y] != want[y]) {
            fprintf(stderr, "  group %s: %d datagrams, want %d\n", G(x, y), t.per[y], want[y]);
            check_failures++;
        }
    }
    {
        mc_listener_stats st = stats_of(l);
        CHECK(st.received == (uint64_t)t.total && st.delivered == (uint64_t)t.total);
        c = counts_of(l);
        printf("  %d datagrams, each once; GRO runs read: %llu\n", t.total,
               (unsigned long long)c.coalesced);
        if (gro) CHECK(c.coalesced > 0);
        else CHECK(c.coalesced == 0);
    }
    mc_listener_close(l);
    for (y = 1; y <= n; y++) CHECK(!igmp_has(G(x, y)));
    mc_poller_free(p);
}

static void case_many(void) {
    for (int gro = 1; gro >= 0; gro--) {
        many(40, 1, gro);
        many(200, 2, gro);
    }
}

/* 12 sources of one SSM group (igmp_max_msf: 10 per socket): each source's
   datagrams once, a 13th source (not joined) never, though an any-source
   socket of the same group:port (the control) gets its datagrams. Sources
   127.0.0.2..13 send from plain sockets bound to them: two datagrams and one
   GSO send of three segments each. */
static void case_ssm(void) {
    for (int gro = 1; gro >= 0; gro--) {
        const char *grp = "232.44.0.1";
        uint16_t port = gro ? 4404 : 4454;
        mc_poller *p = NULL;
        mc_listener *l = NULL;
        mc_opts *o = opts_for(grp, port);
        mc_listener_counts c;
        tally_t t;
        int socks[16], ctl, z, ctl_other = 0, ctl_total = 0, round;
        char src[32];
        printf("SSM %s:%u from 12 sources, GRO %s\n", grp, port, onoff(gro));
        tally_reset(&t, 0, port);
        t.ssm = 1;
        CHECK_RC(mc_poller_new(&p), 0);
        CHECK_RC(mc_opts_set_gro(o, gro), 0);
        CHECK_RC(mc_opts_set_source(o, "127.0.0.2"), 0);
        CHECK_RC(mc_listener_new(p, o, on_tally, &t, &l), 0);
        mc_opts_free(o);
        if (!l) { mc_poller_free(p); continue; }
        for (z = 2; z <= 14; z++) {
            snprintf(src, sizeof src, "127.0.0.%d", z);
            socks[z] = bound_socket(src);
        }
        /* a datagram queued before more sources join is delivered all the same */
        plain_send(socks[2], grp, port, "g1 s2 early", 11, 0);
        for (z = 3; z <= 13; z++) {
            snprintf(src, sizeof src, "127.0.0.%d", z);
            CHECK_RC(mc_listener_add_group(l, grp, src), 0);
        }
        CHECK_RC(mc_listener_group_count(l), 12);
        c = counts_of(l);
        printf("  12 sources: joins %llu, sockets %llu\n", (unsigned long long)c.joins,
               (unsigned long long)c.sockets);
        CHECK(c.joins == 12 && c.sockets >= 2);
        ctl = raw_receiver(grp, port, 1 << 20);
        for (round = 0; round < 2; round++) {
            int last = round == 0 ? 13 : 11;   /* round 1: 12 and 13 were dropped */
            for (z = 2; z <= 14; z++) {
                char b[96];
                snprintf(b, sizeof b, "g1 s%d #0", z);
                plain_send(socks[z], grp, port, b, strlen(b), 0);
                snprintf(b, sizeof b, "g1 s%d #1", z);
                plain_send(socks[z], grp, port, b, strlen(b), 0);
                /* three segments of 16 bytes in one send */
                for (int i = 0; i < 3; i++) {
                    char seg[17];
                    int len = snprintf(seg, sizeof seg, "g1 s%d gso #%d", z, i);
                    memset(seg + len, '.', (size_t)(16 - len));
                    memcpy(b + 16 * i, seg, 16);
                }
                plain_send(socks[z], grp, port, b, 48, 16);
            }
            settle(p, &t, round == 0 ? 12 * 5 + 1 : 12 * 5 + 1 + 10 * 5);
            for (z = 2; z <= 14; z++) {
                int w = z > last ? (z == 14 ? 0 : 5) : (round == 0 ? 5 : 10);
                if (z == 2) w++;
                if (t.by_src[z] != w) {
                    fprintf(stderr, "  source 127.0.0.%d: %d datagrams, want %d\n", z,
                            t.by_src[z], w);
                    check_failures++;
                }
            }
            /* the control got everything, the 13th source's too */
            for (;;) {
                char buf[128];
                int ttl;
                int wait = ctl_total < 13 * 5 * (round + 1) ? WAIT_MS : 0;
                ssize_t r = raw_recv(ctl, buf, sizeof buf, &ttl, NULL, wait);
                if (r < 0) break;
                ctl_total++;
                if (r >= 6 && memcmp(buf, "g1 s14", 6) == 0) ctl_other++;
            }
            printf("  round %d: the listener got %d; the any-source control %d "
                   "(%d from 127.0.0.14)\n",
                   round, t.total, ctl_total, ctl_other);
            CHECK(ctl_other == 5 * (round + 1));
            if (round == 0) {
                uint64_t before = counts_of(l).sockets;
                CHECK_RC(mc_listener_drop_group(l, grp, "127.0.0.13"), 0);
                CHECK_RC(mc_listener_drop_group(l, grp, "127.0.0.12"), 0);
                CHECK_RC(mc_listener_group_count(l), 10);
                c = counts_of(l);
                printf("  dropped 2 sources: leaves %llu, sockets %llu -> %llu\n",
                       (unsigned long long)c.leaves, (unsigned long long)before,
                       (unsigned long long)c.sockets);
                CHECK(c.leaves == 2 && c.sockets <= before);
            }
        }
        c = counts_of(l);
        if (gro) CHECK(c.coalesced > 0);
        else CHECK(c.coalesced == 0);
        for (z = 2; z <= 14; z++) close(socks[z]);
        close(ctl);
        mc_listener_close(l);
        mc_poller_free(p);
    }
}

/* ------------------------------------------------- add/drop in callbacks --- */

typedef struct {
    mc_listener *l;
    uint16_t port;
    int total, bursts, bad, in_filter_adds, in_filter_drops;
    int per[8];
    int first_fd;
} cb_t;

static void drop_in_callback(cb_t *c, int y) {
    CHECK_RC(mc_listener_drop_group(c->l, G(4, y), NULL), 0);
    /* left at once: the kernel no longer lists it */
    if (igmp_has(G(4, y))) {
        fprintf(stderr, "  %s still in /proc/net/igmp right after the drop\n", G(4, y));
        check_failures++;
    }
}

static int cb_packet(void *ud, const mc_packet *p) {
    cb_t *c = ud;
    int y = p->group.ip[3];
    c->total++;
    if (p->group.family != AF_INET || p->group.ip[2] != 4 || y < 1 || y > 7 ||
        p->group.port != c->port) {
        print_packet("unexpected", p);
        c->bad++;
        return 0;
    }
    c->per[y]++;
    if (p->len == 5 && memcmp(p->data, "add-2", 5) == 0) {
        CHECK_RC(mc_listener_add_group(c->l, G(4, 2), NULL), 0);
        CHECK(igmp_has(G(4, 2)));
        CHECK_RC(mc_listener_group_count(c->l), 2);
    } else if (p->len == 6 && memcmp(p->data, "drop-1", 6) == 0) {
        drop_in_callback(c, 1);   /* the listener's own (first) pair */
        CHECK_RC(mc_listener_group_count(c->l), 1);
    } else if (p->len > 5 && memcmp(p->data, "burst", 5) == 0) {
        /* the first of a run drops its group: the rest, read with it, never come */
        if (c->bursts++ == 0) drop_in_callback(c, y);
    }
    return 0;
}

static int cb_filter(void *ud, const mc_packet *p) {
    cb_t *c = ud;
    if (p->len == 7 && memcmp(p->data, "f-add-3", 7) == 0) {
        CHECK_RC(mc_listener_add_group(c->l, G(4, 3), NULL), 0);
        CHECK(igmp_has(G(4, 3)));
        c->in_filter_adds++;
    } else if (p->len == 8 && memcmp(p->data, "f-drop-3", 8) == 0) {
        drop_in_callback(c, 3);
        c->in_filter_drops++;
        return 0;
    }
    return 1;
}

static int pull_filter(void *ud, const mc_packet *p) {
    cb_t *c = ud;
    if (p->len > 5 && memcmp(p->data, "burst", 5) == 0 && c->bursts++ == 0)
        drop_in_callback(c, p->group.ip[3]);
    return 1;
}

static void case_callbacks(void) {
    for (int gro = 1; gro >= 0; gro--) {
        uint16_t port = gro ? 4405 : 4455;
        mc_poller *p = NULL;
        mc_opts *o = opts_for(G(4, 1), port);
        mc_listener_counts k;
        cb_t c;
        int want;
        printf("add/drop inside on_packet and a filter, port %u, GRO %s\n", port, onoff(gro));
        memset(&c, 0, sizeof c);
        c.port = port;
        CHECK_RC(mc_poller_new(&p), 0);
        CHECK_RC(mc_opts_set_gro(o, gro), 0);
        CHECK_RC(mc_listener_new(p, o, cb_packet, &c, &c.l), 0);
        mc_opts_free(o);
        if (!c.l) { mc_poller_free(p); continue; }
        c.first_fd = mc_listener_fd(c.l);
        CHECK(c.first_fd >= 0);
        CHECK_RC(mc_listener_set_filter(c.l, cb_filter, &c), 0);
        CHECK(!igmp_has(G(4, 2)) && !igmp_has(G(4, 3)));

        send1(G(4, 1), port, "add-2");             /* on_packet adds group 2 */
        CHECK(wait_for(p, &c.total, 1));
        send1(G(4, 2), port, "hello-2");
        CHECK(wait_for(p, &c.total, 2));
        CHECK(c.per[2] == 1);
        send1(G(4, 2), port, "f-add-3");           /* the filter adds group 3 */
        CHECK(wait_for(p, &c.total, 3));
        CHECK(c.in_filter_adds == 1);
        CHECK_RC(mc_listener_group_count(c.l), 3);
        send1(G(4, 3), port, "hello-3");
        CHECK(wait_for(p, &c.total, 4));
        CHECK(c.per[3] == 1);
        send1(G(4, 3), port, "f-drop-3");          /* the filter drops group 3 (and the packet) */
        want = c.total;
        {
            long end = now_ms() + WAIT_MS;
            while (!c.in_filter_drops && now_ms() < end) mc_poll(p, 20);
        }
        CHECK(c.in_filter_drops == 1);
        send1(G(4, 3), port, "after-drop-3");
        send1(G(4, 2), port, "drop-1");            /* on_packet drops group 1 */
        CHECK(wait_for(p, &c.total, want + 1));
        send1(G(4, 1), port, "after-drop-1");
        quiet(p, QUIET_MS);
        CHECK(c.total == want + 1 && c.per[1] == 1 && c.per[3] == 1);
        CHECK_RC(mc_listener_group_count(c.l), 1);

        /* a run of 5 to group 2: the first packet drops it */
        send_run(G(4, 2), port, "burst", 5, -1);
        CHECK(wait_for(p, &c.total, want + 2));
        quiet(p, QUIET_MS);
        CHECK(c.bursts == 1);
        CHECK(c.total == want + 2);
        CHECK_RC(mc_listener_group_count(c.l), 0);
        /* a listener with no group stays open, on its first socket */
        CHECK_RC(mc_listener_fd(c.l), c.first_fd);
        k = counts_of(c.l);
        printf("  joins %llu leaves %llu sockets %llu GRO runs %llu\n",
               (unsigned long long)k.joins, (unsigned long long)k.leaves,
               (unsigned long long)k.sockets, (unsigned long long)k.coalesced);
        CHECK(k.joins == 3 && k.leaves == 3 && k.sockets >= 1);
        CHECK(!igmp_has(G(4, 1)) && !igmp_has(G(4, 2)) && !igmp_has(G(4, 3)));

        /* pull mode: a filter drops the group on a run's first datagram; the
           rest of the run is not queued */
        {
            mc_listener *pl = NULL;
            mc_opts *po = opts_for(G(4, 5), port);
            const mc_packet *pk;
            cb_t pc;
            int n = 0, rc;
            memset(&pc, 0, sizeof pc);
            pc.port = port;
            CHECK_RC(mc_opts_set_gro(po, gro), 0);
            CHECK_RC(mc_listener_new(p, po, NULL, NULL, &pl), 0);
            mc_opts_free(po);
            pc.l = pl;
            CHECK_RC(mc_listener_set_filter(pl, pull_filter, &pc), 0);
            send_run(G(4, 5), port, "burst", 5, -1);
            while ((rc = mc_listener_next(pl, &pk, n ? QUIET_MS : WAIT_MS)) == 1) n++;
            CHECK_RC(rc, 0);
            CHECK(n == 1 && pc.bursts == 1);
            CHECK_RC(mc_listener_group_count(pl), 0);
            CHECK(!igmp_has(G(4, 5)));
            mc_listener_close(pl);
        }

        /* and takes its first group back */
        CHECK_RC(mc_listener_add_group(c.l, G(4, 1), NULL), 0);
        CHECK(igmp_has(G(4, 1)));
        send1(G(4, 1), port, "back-1");
        CHECK(wait_for(p, &c.total, want + 3));
        CHECK(c.per[1] == 2);
        CHECK(c.bad == 0);
        mc_listener_close(c.l);
        CHECK(!igmp_has(G(4, 1)));
        mc_poller_free(p);
    }
}

/* ------------------------------------------------------------ bad input --- */

static void case_errors(void) {
    for (int gro = 1; gro >= 0; gro--) {
        uint16_t port = gro ? 4406 : 4456;
        const char *ssm = "232.44.5.1";
        mc_poller *p = NULL;
        mc_listener *l = NULL, *s = NULL;
        mc_opts *o = opts_for(G(5, 1), port);
        mc_listener_counts c, c0, cs0;
        tally_t t, ts;
        int src3;
        printf("bad input, port %u, GRO %s\n", port, onoff(gro));
        tally_reset(&t, 5, port);
        tally_reset(&ts, 5, port);
        ts.ssm = 1;
        CHECK_RC(mc_poller_new(&p), 0);
        CHECK_RC(mc_opts_set_gro(o, gro), 0);
        CHECK_RC(mc_listener_new(p, o, on_tally, &t, &l), 0);
        CHECK_RC(mc_opts_set_group(o, ssm), 0);
        CHECK_RC(mc_opts_set_source(o, "127.0.0.2"), 0);
        CHECK_RC(mc_listener_new(p, o, on_tally, &ts, &s), 0);
        mc_opts_free(o);
        if (!l || !s) { mc_poller_free(p); continue; }
        CHECK_RC(mc_listener_add_group(l, G(5, 2), NULL), 0);
        CHECK_RC(mc_listener_add_group(s, ssm, "127.0.0.3"), 0);
        c0 = counts_of(l);
        cs0 = counts_of(s);

        /* a pair already joined */
        CHECK_RC(mc_listener_add_group(l, G(5, 1), NULL), MC_EEXIST);
        CHECK_MSG("239.44.5.1");
        CHECK_RC(mc_listener_add_group(l, G(5, 2), NULL), MC_EEXIST);
        CHECK_MSG("239.44.5.2");
        CHECK_RC(mc_listener_add_group(s, ssm, "127.0.0.3"), MC_EEXIST);
        CHECK_MSG("127.0.0.3");
        printf("  EEXIST: %s\n", mc_last_error());
        /* one group any-source and source-specific */
        CHECK_RC(mc_listener_add_group(l, G(5, 2), "127.0.0.4"), MC_EINVAL);
        CHECK_MSG("239.44.5.2");
        printf("  ASM+SSM: %s\n", mc_last_error());
        CHECK_RC(mc_listener_add_group(s, ssm, NULL), MC_EINVAL);
        CHECK_MSG(ssm);
        /* not a group, not a source, the other family */
        CHECK_RC(mc_listener_add_group(l, "not-an-ip", NULL), MC_EADDRESS);
        CHECK_MSG("not-an-ip");
        CHECK_RC(mc_listener_add_group(l, "10.1.2.3", NULL), MC_EADDRESS);
        CHECK_MSG("10.1.2.3");
        printf("  unicast group: %s\n", mc_last_error());
        CHECK_RC(mc_listener_add_group(l, "", NULL), MC_EADDRESS);
        CHECK_RC(mc_listener_add_group(l, "239.44.5.300", NULL), MC_EADDRESS);
        CHECK_MSG("239.44.5.300");
        CHECK_RC(mc_listener_add_group(l, "ff05::44", NULL), MC_EADDRESS);
        CHECK_MSG("ff05::44");
        printf("  other family: %s\n", mc_last_error());
        CHECK_RC(mc_listener_add_group(l, G(5, 3), "::1"), MC_EADDRESS);
        CHECK_MSG("::1");
        CHECK_RC(mc_listener_add_group(s, ssm, "fd42::2"), MC_EADDRESS);
        CHECK_MSG("fd42::2");
        CHECK_RC(mc_listener_add_group(l, G(5, 3), "garbage-src"), MC_EADDRESS);
        CHECK_MSG("garbage-src");
        CHECK_RC(mc_listener_add_group(l, G(5, 3), "239.1.1.1"), MC_EADDRESS);
        CHECK_MSG("239.1.1.1");
        CHECK_RC(mc_listener_add_group(l, G(5, 3), "0.0.0.0"), MC_EADDRESS);
        CHECK_RC(mc_listener_add_group(l, G(5, 3), ""), MC_EADDRESS);
        /* dropping what is not joined */
        CHECK_RC(mc_listener_drop_group(l, G(5, 9), NULL), MC_ENOTFOUND);
        CHECK_MSG("239.44.5.9");
        printf("  drop unknown: %s\n", mc_last_error());
        CHECK_RC(mc_listener_drop_group(l, G(5, 1), "127.0.0.2"), MC_ENOTFOUND);
        CHECK_RC(mc_listener_drop_group(s, ssm, "127.0.0.9"), MC_ENOTFOUND);
        CHECK_MSG("127.0.0.9");
        CHECK_RC(mc_listener_drop_group(s, ssm, NULL), MC_ENOTFOUND);
        CHECK_RC(mc_listener_drop_group(l, "junk", NULL), MC_EADDRESS);
        CHECK_MSG("junk");
        CHECK_RC(mc_listener_drop_group(l, G(5, 2), "junk-src"), MC_EADDRESS);
        CHECK_MSG("junk-src");
        CHECK_RC(mc_listener_drop_group(l, "ff05::44", NULL), MC_EADDRESS);
        CHECK_RC(mc_listener_drop_group(l, "10.1.2.3", NULL), MC_EADDRESS);
        /* NULL and never-a-handle */
        CHECK_RC(mc_listener_add_group(NULL, G(5, 3), NULL), MC_EINVAL);
        CHECK_RC(mc_listener_drop_group(NULL, G(5, 1), NULL), MC_EINVAL);
        CHECK_RC(mc_listener_group_count(NULL), MC_EINVAL);
        CHECK_RC(mc_listener_get_counts(NULL, &c), MC_EINVAL);
        CHECK_RC(mc_listener_get_counts(l, NULL), MC_EINVAL);
        CHECK_RC(mc_listener_add_group(l, NULL, NULL), MC_EINVAL);
        CHECK_RC(mc_listener_add_group(l, NULL, "127.0.0.2"), MC_EINVAL);
        CHECK_RC(mc_listener_drop_group(l, NULL, NULL), MC_EINVAL);
        CHECK_RC(mc_listener_add_group((mc_listener *)&c, G(5, 3), NULL), MC_EINVAL);
        CHECK_RC(mc_listener_group_count((mc_listener *)&c), MC_EINVAL);

        /* nothing changed: counts, and delivery (each once, no other source) */
        CHECK_RC(mc_listener_group_count(l), 2);
        CHECK_RC(mc_listener_group_count(s), 2);
        c = counts_of(l);
        CHECK(c.joins == c0.joins && c.leaves == c0.leaves && c.sockets == c0.sockets);
        c = counts_of(s);
        CHECK(c.joins == cs0.joins && c.leaves == cs0.leaves && c.sockets == cs0.sockets);
        CHECK(!igmp_has(G(5, 3)));
        send1(G(5, 1), port, "g1 a");
        send1(G(5, 2), port, "g2 a");
        send1(G(5, 3), port, "g3 a");
        src3 = bound_socket("127.0.0.4");
        plain_send(src3, ssm, port, "g1 s4 x", 7, 0);
        close(src3);
        src3 = bound_socket("127.0.0.3");
        plain_send(src3, ssm, port, "g1 s3 x", 7, 0);
        close(src3);
        send1(ssm, port, "g1 s1 from 127.0.0.1");
        CHECK(wait_for(p, &t.total, 2) && wait_for(p, &ts.total, 1));
        quiet(p, QUIET_MS);
        CHECK(t.total == 2 && t.per[1] == 1 && t.per[2] == 1 && t.bad == 0);
        CHECK(ts.total == 1 && ts.by_src[3] == 1 && ts.bad == 0);

        /* once dropped, the group may come back as the other kind */
        CHECK_RC(mc_listener_drop_group(l, G(5, 2), NULL), 0);
        CHECK_RC(mc_listener_add_group(l, G(5, 2), "127.0.0.4"), 0);
        CHECK_RC(mc_listener_add_group(l, G(5, 2), NULL), MC_EINVAL);
        CHECK_RC(mc_listener_group_count(l), 2);
        src3 = bound_socket("127.0.0.4");
        plain_send(src3, G(5, 2), port, "g2 from 4", 9, 0);
        close(src3);
        send1(G(5, 2), port, "g2 from 1");   /* not that source */
        CHECK(wait_for(p, &t.total, 3));
        quiet(p, QUIET_MS);
        CHECK(t.total == 3 && t.per[2] == 2 && t.by_src[4] == 1);

        /* closed handles: ECLOSED, forever */
        mc_listener_close(l);
        CHECK_RC(mc_listener_add_group(l, G(5, 3), NULL), MC_ECLOSED);
        CHECK_RC(mc_listener_add_group(l, "not-an-ip", NULL), MC_ECLOSED);
        CHECK_RC(mc_listener_drop_group(l, G(5, 1), NULL), MC_ECLOSED);
        CHECK_RC(mc_listener_group_count(l), MC_ECLOSED);
        CHECK_RC(mc_listener_get_counts(l, &c), MC_ECLOSED);
        mc_listener_close(l);
        CHECK_RC(mc_listener_group_count(l), MC_ECLOSED);
        CHECK(!igmp_has(G(5, 1)) && !igmp_has(G(5, 2)));
        mc_poller_free(p);   /* closes s */
        CHECK_RC(mc_listener_add_group(s, ssm, "127.0.0.5"), MC_ECLOSED);
        CHECK_RC(mc_listener_drop_group(s, ssm, "127.0.0.2"), MC_ECLOSED);
        CHECK_RC(mc_listener_group_count(s), MC_ECLOSED);
        CHECK_RC(mc_listener_get_counts(s, &c), MC_ECLOSED);
    }
}

/* ----------------------------------------------------------- the limits --- */

static long read_sysctl(const char *name) {
    char path[128];
    long v = -1;
    FILE *f;
    snprintf(path, sizeof path, "/proc/sys/net/ipv4/%s", name);
    f = fopen(path, "r");
    if (!f || fscanf(f, "%ld", &v) != 1) { perror(path); exit(2); }
    fclose(f);
    return v;
}

static void write_sysctl(const char *name, long v) {
    char path[128];
    FILE *f;
    snprintf(path, sizeof path, "/proc/sys/net/ipv4/%s", name);
    f = fopen(path, "w");
    if (!f || fprintf(f, "%ld\n", v) < 0 || fclose(f) != 0) { perror(path); exit(2); }
    if (read_sysctl(name) != v) { fprintf(stderr, "%s did not take %ld\n", path, v); exit(2); }
}

/* mc_last_error names the sysctl and its value v. */
static void check_limit_msg(const char *name, long v) {
    char val[32];
    CHECK_MSG(name);
    snprintf(val, sizeof val, "is %ld", v);
    CHECK_MSG(val);
}

/* In a network namespace of its own (tests/groups.rs): the per-namespace
   sysctls, restored at the end. */
static void case_limit(void) {
    const long orig = read_sysctl("igmp_max_memberships"), orig_msf = read_sysctl("igmp_max_msf");
    printf("net.ipv4.igmp_max_memberships = %ld, igmp_max_msf = %ld here\n", orig, orig_msf);
    for (int gro = 1; gro >= 0; gro--) {
        uint16_t port = gro ? 4409 : 4459;
        mc_poller *p = NULL;
        int dummy;
        mc_listener *l = (mc_listener *)&dummy;   /* must become NULL on failure */
        mc_opts *o = opts_for(G(8, 1), port);
        mc_listener_counts c;
        tally_t t;
        int rc, y;
        printf("limits, port %u, GRO %s\n", port, onoff(gro));
        tally_reset(&t, 8, port);
        CHECK_RC(mc_poller_new(&p), 0);
        CHECK_RC(mc_opts_set_gro(o, gro), 0);

        write_sysctl("igmp_max_memberships", 0);
        rc = mc_listener_new(p, o, on_tally, &t, &l);
        CHECK_RC(rc, -ENOBUFS);
        CHECK(l == NULL);
        check_limit_msg("igmp_max_memberships", 0);
        printf("  igmp_max_memberships 0: mc_listener_new = %d: %s\n", rc, mc_last_error());
        CHECK(!igmp_has(G(8, 1)));

        write_sysctl("igmp_max_memberships", 2);
        CHECK_RC(mc_listener_new(p, o, on_tally, &t, &l), 0);
        if (!l) { mc_opts_free(o); mc_poller_free(p); continue; }
        for (y = 2; y <= 5; y++) CHECK_RC(mc_listener_add_group(l, G(8, y), NULL), 0);
        CHECK_RC(mc_listener_group_count(l), 5);
        c = counts_of(l);
        printf("  igmp_max_memberships 2: 5 groups on %llu sockets (joins %llu)\n",
               (unsigned long long)c.sockets, (unsigned long long)c.joins);
        CHECK(c.sockets >= 3 && c.joins == 5);

        /* the limit of a fresh socket refuses an add: the listener stays as it was */
        write_sysctl("igmp_max_memberships", 0);
        rc = mc_listener_add_group(l, G(8, 6), NULL);
        CHECK_RC(rc, -ENOBUFS);
        check_limit_msg("igmp_max_memberships", 0);
        CHECK_MSG("239.44.8.6");
        printf("  add at 0: %d: %s\n", rc, mc_last_error());
        CHECK_RC(mc_listener_group_count(l), 5);
        {
            mc_listener_counts d = counts_of(l);
            CHECK(d.sockets == c.sockets && d.joins == c.joins && d.leaves == c.leaves);
        }
        CHECK(!igmp_has(G(8, 6)));
        write_sysctl("igmp_max_memberships", orig);
        for (y = 1; y <= 6; y++) {
            char b[16];
            snprintf(b, sizeof b, "g%d limit", y);
            send1(G(8, y), port, b);
            send_run(G(8, y), port, b, 3, -1);
        }
        settle(p, &t, 5 * 4);
        for (y = 1; y <= 6; y++) CHECK(t.per[y] == (y <= 5 ? 4 : 0));
        mc_listener_close(l);

        /* a source-specific join counts as a membership too: at 0 it is that
           limit (not igmp_max_msf: a fresh socket takes any first source) */
        write_sysctl("igmp_max_memberships", 0);
        CHECK_RC(mc_opts_set_group(o, "232.44.8.1"), 0);
        CHECK_RC(mc_opts_set_source(o, "127.0.0.2"), 0);
        l = (mc_listener *)&dummy;
        rc = mc_listener_new(p, o, on_tally, &t, &l);
        CHECK_RC(rc, -ENOBUFS);
        CHECK(l == NULL);
        check_limit_msg("igmp_max_memberships", 0);
        printf("  SSM at igmp_max_memberships 0: %d: %s\n", rc, mc_last_error());
        write_sysctl("igmp_max_memberships", orig);

        /* igmp_max_msf 1: each source of a group on a socket of its own */
        write_sysctl("igmp_max_msf", 1);
        tally_reset(&t, 8, port);
        t.ssm = 1;
        l = NULL;
        CHECK_RC(mc_listener_new(p, o, on_tally, &t, &l), 0);
        if (l) {
            CHECK_RC(mc_listener_add_group(l, "232.44.8.1", "127.0.0.3"), 0);
            CHECK_RC(mc_listener_add_group(l, "232.44.8.1", "127.0.0.4"), 0);
            c = counts_of(l);
            printf("  igmp_max_msf 1: 3 sources on %llu sockets\n", (unsigned long long)c.sockets);
            CHECK(c.sockets >= 3 && c.joins == 3);
            for (y = 2; y <= 5; y++) {
                char src[32], b[32];
                int s;
                snprintf(src, sizeof src, "127.0.0.%d", y);
                snprintf(b, sizeof b, "g1 s%d msf", y);
                s = bound_socket(src);
                plain_send(s, "232.44.8.1", port, b, strlen(b), 0);
                close(s);
            }
            settle(p, &t, 3);
            CHECK(t.by_src[2] == 1 && t.by_src[3] == 1 && t.by_src[4] == 1 && t.by_src[5] == 0);
            mc_listener_close(l);
        }
        write_sysctl("igmp_max_msf", orig_msf);
        mc_opts_free(o);
        mc_poller_free(p);
    }
    CHECK(read_sysctl("igmp_max_memberships") == orig);
    CHECK(read_sysctl("igmp_max_msf") == orig_msf);
}

/* ------------------------------------------- "*" on many interfaces ------ */

/* In a namespace of its own (tests/groups.rs) with 25 veth pairs mcsNa/mcsNb
   (10.44.N.1 / 10.44.N.2), all up with MULTICAST, plus mcq0a/b (MULTICAST
   off) and mcr0a/b (down). A "*" listener joins on every interface up with
   MULTICAST: more than igmp_max_memberships (20) on one socket. Each mcsNb
   sends (loopback off): it arrives on mcsNa, once. */
static void case_star(void) {
    struct if_nameindex *ifs = if_nameindex(), *i;
    int want_joins = 0, senders = 0, fd = socket(AF_INET, SOCK_DGRAM, 0);
    const char *grp = "239.44.9.1";
    CHECK(ifs != NULL && fd >= 0);
    if (!ifs) return;
    for (i = ifs; i->if_index; i++) {
        struct ifreq r;
        memset(&r, 0, sizeof r);
        snprintf(r.ifr_name, sizeof r.ifr_name, "%s", i->if_name);
        CHECK(ioctl(fd, SIOCGIFFLAGS, &r) == 0);
        if ((r.ifr_flags & IFF_UP) && (r.ifr_flags & IFF_MULTICAST)) want_joins++;
        if (strncmp(i->if_name, "mcs", 3) == 0 && i->if_name[strlen(i->if_name) - 1] == 'b')
            senders++;
    }
    close(fd);
    printf("%d interfaces up with MULTICAST, %d senders\n", want_joins, senders);
    CHECK(want_joins > 40 && senders == 25);
    for (int gro = 1; gro >= 0; gro--) {
        uint16_t port = gro ? 4410 : 4460;
        mc_poller *p = NULL;
        mc_listener *l = NULL;
        mc_opts *o = opts_for(grp, port);
        mc_listener_counts c;
        int got_on[256], total = 0, bad = 0;
        printf("\"*\" on port %u, GRO %s\n", port, onoff(gro));
        CHECK_RC(mc_poller_new(&p), 0);
        CHECK_RC(mc_opts_set_gro(o, gro), 0);
        CHECK_RC(mc_opts_set_interface(o, "*"), 0);
        CHECK_RC(mc_listener_new(p, o, NULL, NULL, &l), 0);
        mc_opts_free(o);
        if (!l) { mc_poller_free(p); continue; }
        c = counts_of(l);
        printf("  joins %llu, sockets %llu\n", (unsigned long long)c.joins,
               (unsigned long long)c.sockets);
        CHECK(c.joins == (uint64_t)want_joins);
        CHECK(c.sockets >= 2 && c.sockets >= (uint64_t)(want_joins + 19) / 20);
        CHECK_RC(mc_listener_group_count(l), 1);
        /* the kernel's view: on each such interface, not on the others */
        for (i = ifs; i->if_index; i++) {
            int excluded = strncmp(i->if_name, "mcq", 3) == 0 || strncmp(i->if_name, "mcr", 3) == 0;
            if (igmp_on(i->if_name, grp) == excluded) {
                fprintf(stderr, "  %s: joined %d, want %d\n", i->if_name, !excluded, excluded);
                check_failures++;
            }
        }
        memset(got_on, 0, sizeof got_on);
        for (i = ifs; i->if_index; i++) {
            char payload[64];
            mc_opts *so;
            int rc;
            if (strncmp(i->if_name, "mcs", 3) != 0 || i->if_name[strlen(i->if_name) - 1] != 'b')
                continue;
            so = opts_for(grp, port);
            CHECK_RC(mc_opts_set_interface(so, i->if_name), 0);
            CHECK_RC(mc_opts_set_loopback(so, 0), 0);
            snprintf(payload, sizeof payload, "via %s", i->if_name);
            rc = mc_sendto_opts(so, payload, strlen(payload));
            if (rc != (int)strlen(payload)) {
                fprintf(stderr, "  send via %s: %d %s\n", i->if_name, rc, mc_last_error());
                check_failures++;
            }
            mc_opts_free(so);
        }
        for (;;) {
            const mc_packet *pk;
            char name[IF_NAMESIZE + 1] = "?", want[64];
            int rc = mc_listener_next(l, &pk, total < senders ? WAIT_MS : QUIET_MS);
            if (rc != 1) { CHECK_RC(rc, 0); break; }
            total++;
            if_indextoname(pk->ifindex, name);
            /* "via mcsNb" arrives on mcsNa */
            snprintf(want, sizeof want, "via %s", name);
            want[strlen(want) - 1] = 'b';
            if (name[strlen(name) - 1] != 'a' || pk->len != strlen(want) ||
                memcmp(pk->data, want, pk->len) != 0 || pk->ifindex >= 256) {
                print_packet(name, pk);
                bad++;
                continue;
            }
            got_on[pk->ifindex]++;
        }
        printf("  got %d datagrams (%d unexpected)\n", total, bad);
        CHECK(total == senders && bad == 0);
        for (int ix = 0; ix < 256; ix++) CHECK(got_on[ix] <= 1);
        /* a second group: joined on every interface again, on more sockets */
        CHECK_RC(mc_listener_add_group(l, G(9, 2), NULL), 0);
        CHECK_RC(mc_listener_group_count(l), 2);
        {
            mc_listener_counts d = counts_of(l);
            printf("  a second group: joins %llu, sockets %llu\n", (unsigned long long)d.joins,
                   (unsigned long long)d.sockets);
            CHECK(d.joins == 2 * (uint64_t)want_joins && d.leaves == 0);
            CHECK(d.sockets > c.sockets && d.sockets >= (uint64_t)(2 * want_joins + 19) / 20);
            for (i = ifs; i->if_index; i++) {
                int excluded = strncmp(i->if_name, "mcq", 3) == 0 ||
                               strncmp(i->if_name, "mcr", 3) == 0;
                CHECK(igmp_on(i->if_name, G(9, 2)) != excluded);
            }
            CHECK_RC(mc_listener_drop_group(l, grp, NULL), 0);
            d = counts_of(l);
            printf("  the first dropped: leaves %llu, sockets %llu\n",
                   (unsigned long long)d.leaves, (unsigned long long)d.sockets);
            CHECK(d.leaves == (uint64_t)want_joins && !igmp_has(grp) && igmp_has(G(9, 2)));
        }
        total = 0;
        for (i = ifs; i->if_index; i++) {
            mc_opts *so;
            if (strncmp(i->if_name, "mcs", 3) != 0 || i->if_name[strlen(i->if_name) - 1] != 'b')
                continue;
            so = opts_for(G(9, 2), port);
            CHECK_RC(mc_opts_set_interface(so, i->if_name), 0);
            CHECK_RC(mc_opts_set_loopback(so, 0), 0);
            CHECK_RC(mc_sendto_opts(so, "second", 6), 6);
            CHECK_RC(mc_opts_set_group(so, grp), 0);
            CHECK_RC(mc_sendto_opts(so, "first", 5), 5);   /* dropped: never comes */
            mc_opts_free(so);
        }
        for (;;) {
            const mc_packet *pk;
            int rc = mc_listener_next(l, &pk, total < senders ? WAIT_MS : QUIET_MS);
            if (rc != 1) { CHECK_RC(rc, 0); break; }
            total++;
            if (pk->len != 6 || memcmp(pk->data, "second", 6) != 0 || pk->group.ip[3] != 2) {
                print_packet("second group", pk);
                bad++;
            }
        }
        printf("  second group: got %d datagrams (%d unexpected)\n", total, bad);
        CHECK(total == senders && bad == 0);
        mc_listener_close(l);
        CHECK(!igmp_has(G(9, 2)));
        CHECK(!igmp_has(grp));
        mc_poller_free(p);
    }
    if_freenameindex(ifs);
}

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

static void case_timestamps(void) {
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

static void case_split(void) {
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
static void case_gso(void) {
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

static void case_ttl(void) {
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

static void case_opts(void) {
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

int main(int argc, char **argv) {
    static const struct { const char *name; void (*fn)(void); } cases[] = {
        { "three", case_three }, { "many", case_many }, { "ssm", case_ssm },
        { "callbacks", case_callbacks }, { "errors", case_errors }, { "limit", case_limit },
        { "star", case_star }, { "timestamps", case_timestamps }, { "split", case_split },
        { "gso", case_gso },
        { "ttl", case_ttl },
        { "opts", case_opts },
    };
    char name[64];
    size_t i;
    setvbuf(stdout, NULL, _IOLBF, 0);
    require_private_netns();
    if (argc != 2) {
        fprintf(stderr, "usage: test_groups CASE\n");
        return 2;
    }
    for (i = 0; i < sizeof cases / sizeof *cases; i++)
        if (strcmp(cases[i].name, argv[1]) == 0) break;
    if (i == sizeof cases / sizeof *cases) {
        fprintf(stderr, "unknown case %s\n", argv[1]);
        return 2;
    }
    cases[i].fn();
    snprintf(name, sizeof name, "test_groups %s", argv[1]);
    return check_done(name);
}
