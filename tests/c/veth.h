/* veth.h - our side of the veth programs (veth.c, veth_ipv6.c, veth_star.c,
 * veth_ssm.c): libmulticast over veth pairs, what lo cannot show.
 *
 * They run inside tests/netns-veth (inside tests/netns-run): mc0 here, mc1 in the
 * peer netns MC_PEER_PID (with --two also mc2 here, mc3 in MC_PEER2_PID). The
 * other end is an independent peer, tests/peers/mcast.py (MC_MCAST_PY), run in
 * the peer netns with `nsenter -t PID -n python3 mcast.py ...` (peer.h).
 *
 * Synchronisation without sleeps: a peer receiver is started with --ready FILE
 * and we send only once FILE exists; a peer sender is started only after our
 * listener exists. Every wait is bounded (<= 2 s); "nothing arrives" is checked
 * with a 300 ms wait, after a positive control proved the path works.
 *
 * Here: listeners and sends through the library, and what a listener must (not)
 * get. Include it after defining _GNU_SOURCE. The functions are static inline: a
 * program that does not use one gets no warning.
 */
#ifndef MC_VETH_H
#define MC_VETH_H

#include <arpa/inet.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "check.h"

#define WAIT_MS 10000   /* a packet that should come (generous: only a failure waits it out) */
#define NONE_MS 300     /* a packet that should not */

static inline long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

#include "peer.h"

/* ------------------------------------------------------------ ours --- */

static inline mc_opts *opts_for(const char *group, int port, const char *iface) {
    mc_opts *o = mc_opts_new();
    if (!o) { fprintf(stderr, "mc_opts_new failed\n"); exit(2); }
    CHECK_RC(mc_opts_set_group(o, group), 0);
    CHECK_RC(mc_opts_set_port(o, (uint16_t)port), 0);
    if (iface) CHECK_RC(mc_opts_set_interface(o, iface), 0);
    return o;
}

/* A pull-mode listener on `poller`; NULL (and a failed check) if it cannot be made. */
static inline mc_listener *listen_on(mc_poller *poller, const char *group, int port,
                                     const char *iface, const char *source) {
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
static inline void send_opts(const char *group, int port, const char *iface, int ttl, int loop,
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

static inline const char *show(const mc_addr *a, char *buf, size_t size) {
    char ip[INET6_ADDRSTRLEN] = "?";
    if (a->family == AF_INET) inet_ntop(AF_INET, a->ip, ip, sizeof ip);
    else if (a->family == AF_INET6) inet_ntop(AF_INET6, a->ip, ip, sizeof ip);
    snprintf(buf, size, "%s port %u scope_id %u (family %u)", ip, a->port, a->scope_id,
             a->family);
    return buf;
}

static inline int payload_is(const mc_packet *p, const char *payload) {
    size_t n = strlen(payload);
    return p->len == n && p->size == n && memcmp(p->data, payload, n) == 0;
}

static inline void print_packet(const char *tag, const mc_packet *p) {
    char f[96], g[96];
    printf("  [%s] got \"%.*s\" from %s, group %s, ifindex %u\n", tag,
           (int)(p->len > 60 ? 60 : p->len), (const char *)p->data,
           show(&p->from, f, sizeof f), show(&p->group, g, sizeof g), p->ifindex);
}

/* Expects the next packet of l within WAIT_MS to be `payload`, sent from
   from1 (scope from_scope1) or from2 (scope from_scope2; from2 may be NULL),
   to group:port (scope group_scope), arrived on ifindex. */
static inline void expect_packet(const char *tag, mc_listener *l, const char *payload,
                                 const char *from1, uint32_t from_scope1, const char *from2,
                                 uint32_t from_scope2, const char *group, int port,
                                 uint32_t group_scope, uint32_t ifindex) {
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
static inline void expect_none(const char *tag, mc_listener *l) {
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
static inline void collect(const char *tag, mc_listener *l, const char *group, int port,
                           kind_t *kinds, int nk) {
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

#endif
