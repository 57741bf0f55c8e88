/* groups.h - helpers of the C programs that test groups on lo (groups*.c,
 * receive.c, ...), on top of wire.h (bounded waits, the recorder): group
 * names, what the kernel says of groups on lo (/proc/net/igmp, queued bytes
 * in /proc/net/udp), plain and GSO senders, and a tally of what a listener
 * got. Groups 239.44.X.Y and 232.44.X.Y, ports 4401..4460: no other test
 * uses them. 127.0.0.0/8 is local on lo, so 127.0.0.2..14 serve as SSM
 * sources: plain sockets bound to each send.
 *
 * Include it after wire.h (and so after defining _GNU_SOURCE). The functions
 * are static inline: a program that does not use one gets no warning. */
#ifndef MC_GROUPS_H
#define MC_GROUPS_H

#include "wire.h"

#include <errno.h>
#include <net/if.h>

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h */
#endif

/* "239.44.X.Y" in one of 16 rotating buffers (for arguments: do not keep it). */
static inline const char *G(int x, int y) {
    static char ring[16][32];
    static int k;
    char *b = ring[k++ % 16];
    snprintf(b, sizeof ring[0], "239.44.%d.%d", x, y);
    return b;
}

static inline const char *onoff(int v) { return v ? "on" : "off"; }

static inline unsigned lo_index(void) { return if_nametoindex("lo"); }

static inline uint64_t realtime_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static inline mc_listener_counts counts_of(const mc_listener *l) {
    mc_listener_counts c;
    memset(&c, 0xff, sizeof c);
    CHECK_RC(mc_listener_get_counts(l, &c), 0);
    return c;
}

static inline mc_listener_stats stats_of(const mc_listener *l) {
    mc_listener_stats s;
    memset(&s, 0xff, sizeof s);
    CHECK_RC(mc_listener_get_stats(l, &s), 0);
    return s;
}

/* ------------------------------------ IPv4 groups on lo: what the kernel says --- */

/* True if /proc/net/igmp lists `group` (on device `dev`; NULL: on any). The
   kernel prints the group as %08X of its network-order value, on a line of
   its own that starts with tabs; devices head their lines ("1\tlo : ..."). */
static inline int igmp_on(const char *dev, const char *group) {
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

static inline int igmp_has(const char *group) { return igmp_on(NULL, group); }

/* Bytes queued on the UDP sockets bound to 0.0.0.0:port (/proc/net/udp). */
static inline long udp_rxq(uint16_t port) {
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
static inline long wait_rxq(uint16_t port) {
    long end = now_ms() + 1000, q;
    while ((q = udp_rxq(port)) == 0 && now_ms() < end) poll(NULL, 0, 1);
    return q;
}

/* -------------------------------------------------------------- sending --- */

static inline void send1(const char *group, uint16_t port, const char *payload) {
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
static inline void send_run(const char *group, uint16_t port, const char *prefix, int count, int ttl) {
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
static inline int bound_socket(const char *ip) {
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
static inline void plain_send(int s, const char *ip, uint16_t port, const void *data, size_t len,
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

static inline void tally_reset(tally_t *t, int x, uint16_t port) {
    memset(t, 0, sizeof *t);
    t->x = x;
    t->port = port;
}

/* One line about a packet on stdout: payload (60 bytes at most), len, size,
   from, group, scope, ifindex, ttl. */
static inline void print_packet(const char *tag, const mc_packet *p) {
    char f[INET6_ADDRSTRLEN] = "?", g[INET6_ADDRSTRLEN] = "?";
    inet_ntop(p->from.family, p->from.ip, f, sizeof f);
    inet_ntop(p->group.family, p->group.ip, g, sizeof g);
    printf("  [%s] \"%.*s\" (len %zu size %zu) from %s:%u to %s:%u scope %u ifindex %u ttl %d\n",
           tag, (int)(p->len > 60 ? 60 : p->len), (const char *)p->data, p->len, p->size, f,
           p->from.port, g, p->group.port, p->group.scope_id, p->ifindex, p->ttl);
}

/* Checks one packet of a tally: IPv4, group 239.44.X.Y (232.44.X.Y) port,
   from 127.0.0.Z port != 0, arrived on lo, payload "gY " ("gY sZ "). Counts it. */
static inline void tally_packet(tally_t *t, const mc_packet *p) {
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

static inline int on_tally(void *ud, const mc_packet *p) {
    tally_packet(ud, p);
    return 0;
}

/* Pull mode: reads l until `want` packets came (WAIT_MS each), then QUIET_MS more. */
static inline void pull_all(mc_listener *l, tally_t *t, int want) {
    const mc_packet *p;
    int rc;
    while ((rc = mc_listener_next(l, &p, t->total < want ? WAIT_MS : QUIET_MS)) == 1)
        tally_packet(t, p);
    CHECK_RC(rc, 0);
}

/* Waits for `want` packets in t, then QUIET_MS more: exactly want must have come. */
static inline void settle(mc_poller *p, tally_t *t, int want) {
    CHECK(wait_for(p, &t->total, want));
    quiet(p, QUIET_MS);
    if (t->total != want) {
        fprintf(stderr, "got %d packets, want %d\n", t->total, want);
        check_failures++;
    }
    CHECK(t->bad == 0);
}

#endif
