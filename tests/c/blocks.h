/* blocks.h - what the blocked-source programs share (blocks.c on lo,
 * blocks_veth.c over veth): a recorder of a listener's packets by sender (the
 * last byte of its address), and what the kernel says of source filters
 * (/proc/net/mcfilter, /proc/net/mcfilter6: one line per interface, group
 * and source, with how many sockets include and exclude that source).
 *
 * Include it after wire.h. The functions are static inline: a program that
 * does not use one gets no warning. */
#ifndef MC_BLOCKS_H
#define MC_BLOCKS_H

#include "wire.h"

/* A listener's packets counted by the last byte of their sender's address. */
typedef struct {
    int total;
    int from[256];
} rec_t;

static inline int last_byte(const mc_addr *a) { return a->family == AF_INET ? a->ip[3] : a->ip[15]; }

static inline int on_rec(void *ud, const mc_packet *p) {
    rec_t *r = ud;
    r->total++;
    r->from[last_byte(&p->from)]++;
    return 0;
}

/* A listener of group:port (any-source) on iface (NULL: the system's choice)
   that records into r. */
static inline mc_listener *listen_rec(mc_poller *p, const char *group, uint16_t port,
                                      const char *iface, rec_t *r) {
    mc_opts *o = opts_for(group, port);
    mc_listener *l = NULL;
    if (iface) CHECK_RC(mc_opts_set_interface(o, iface), 0);
    CHECK_RC(mc_listener_new(p, o, on_rec, r, &l), 0);
    mc_opts_free(o);
    return l;
}

/* An address as /proc/net/mcfilter(6) prints it: IPv4 "0x%08x" of its host-order
   value, IPv6 32 hex digits. */
static inline void mcf_text(const char *ip, char *out, size_t len) {
    unsigned char b[16];
    if (strchr(ip, ':')) {
        if (inet_pton(AF_INET6, ip, b) != 1) { fprintf(stderr, "bad address %s\n", ip); exit(2); }
        for (int i = 0; i < 16; i++) snprintf(out + 2 * i, len - 2 * (size_t)i, "%02x", b[i]);
    } else {
        struct in_addr a;
        if (inet_pton(AF_INET, ip, &a) != 1) { fprintf(stderr, "bad address %s\n", ip); exit(2); }
        snprintf(out, len, "0x%08x", ntohl(a.s_addr));
    }
}

/* How many sockets exclude source src of group on device dev (NULL: on any)
   now; src NULL: how many sources of group some socket excludes there. */
static inline long mcfilter_exc(const char *dev, const char *group, const char *src) {
    char line[256], g[40], s[40] = "";
    long total = 0;
    FILE *f;
    mcf_text(group, g, sizeof g);
    if (src) mcf_text(src, s, sizeof s);
    f = fopen(strchr(group, ':') ? "/proc/net/mcfilter6" : "/proc/net/mcfilter", "r");
    if (!f) { perror("/proc/net/mcfilter"); exit(2); }
    while (fgets(line, sizeof line, f)) {
        char d[32], mg[40], ms[40];
        unsigned long inc, exc;
        int idx;
        if (sscanf(line, "%d %31s %39s %39s %lu %lu", &idx, d, mg, ms, &inc, &exc) != 6) continue;
        if (strcmp(mg, g) != 0 || (dev && strcmp(d, dev) != 0) || exc == 0) continue;
        if (!src) total++;
        else if (strcmp(ms, s) == 0) total += (long)exc;
    }
    fclose(f);
    return total;
}

#endif
