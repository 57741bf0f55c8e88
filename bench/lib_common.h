/* lib_common.h - the receive loop of libmulticast's benchmark receivers (lib_recv.c,
 * lib_scale.c), written to measure exactly what the raw-C baselines measure:
 *   - the same options (common.h ropts), the same sequence/loss accounting, the same
 *     RESULT line (print_rx_result_x), CPU from getrusage taken after set-up;
 *   - a listener with an on_packet callback on a poller of our own, driven by mc_poll
 *     with the baselines' idle timeout, first-packet wait and -T cap;
 *   - at the end: the listener's mc_listener_get_stats next to the kernel's own drop
 *     counters for the same socket (SO_MEMINFO and /proc/net/udp).
 * bench/ 0.2 additions: -G 0|1 (mc_opts_set_gro), -t (timestamps), -y (received TTL),
 * each checked on every packet (timestamp_ns != 0, ttl == 1: the senders' TTL); -N
 * groups: several listeners (or one with -J) whose statistics are summed, per-group
 * sequence accounting and a check that each datagram's group is the one it was sent to
 * (sender.c -N sends seq to group seq % N); the kernel's drops are then the sum over
 * every socket on the port (/proc/net/udp), since a listener's extra sockets have no
 * fd in the API.
 * Refuses to run outside a loopback-only network namespace (common.h).
 */
#ifndef BENCH_LIB_COMMON_H
#define BENCH_LIB_COMMON_H

#include "common.h"
#include <multicast.h>

#define LIB_DEFAULT_RCVBUF 4194304 /* the library's documented SO_RCVBUF request */

struct lrx {
    const struct ropts *o;
    struct seqstat s;
    uint64_t first_ns;
    uint64_t callbacks;
    int done;
    /* -t / -y: packets without a timestamp, with a TTL other than 1 */
    uint64_t ts_zero, ttl_bad;
    /* -N: per-group next local sequence, the groups' addresses (network order), and
     * datagrams that came with another group than the one they were sent to */
    unsigned ngroups;
    uint64_t *gnext;
    uint32_t *gaddr;
    uint64_t wrong_group;
};

static inline void lib_die(const char *what, int rc)
{
    fprintf(stderr, "fatal: %s: %s (%s)\n", what, mc_strerror(rc), mc_last_error());
    exit(1);
}

static inline int lrx_on_packet(void *user_data, const mc_packet *p)
{
    struct lrx *x = user_data;
    x->callbacks++;
    if (!x->first_ns)
        x->first_ns = now_ns();
    if (p->size > p->len)
        x->s.trunc++;
    if (x->ngroups) {
        int g = seq_account_groups(&x->s, x->gnext, x->ngroups, p->data, p->len);
        uint32_t a;
        memcpy(&a, p->group.ip, 4);
        if (g >= 0 && a != x->gaddr[g])
            x->wrong_group++;
    } else {
        seq_account(&x->s, p->data, p->len);
    }
    if (x->o->timestamps && p->timestamp_ns == 0)
        x->ts_zero++;
    if (x->o->recv_ttl && p->ttl != 1)
        x->ttl_bad++;
    if (x->o->count && x->s.received >= x->o->count)
        x->done = 1;
    return 0;
}

/* options as the baselines' sockets: group:port joined on the interface of ifaddr;
 * SO_RCVBUF and mtu only if -b / -s were given (else the library's defaults) */
static inline mc_opts *lib_rx_opts(const struct ropts *o, const char *group, int port)
{
    mc_opts *op = mc_opts_new();
    int rc;
    if (!op)
        lib_die("mc_opts_new", MC_EINVAL);
    if ((rc = mc_opts_set_group(op, group)) < 0)
        lib_die("mc_opts_set_group", rc);
    if ((rc = mc_opts_set_port(op, (uint16_t)port)) < 0)
        lib_die("mc_opts_set_port", rc);
    if ((rc = mc_opts_set_interface(op, o->ifaddr)) < 0)
        lib_die("mc_opts_set_interface", rc);
    if (o->rcvbuf_given && (rc = mc_opts_set_recv_buffer(op, (size_t)o->rcvbuf)) < 0)
        lib_die("mc_opts_set_recv_buffer", rc);
    if (o->bufsz_given && (rc = mc_opts_set_mtu(op, (size_t)o->bufsz)) < 0)
        lib_die("mc_opts_set_mtu", rc);
    if (o->gro >= 0 && (rc = mc_opts_set_gro(op, o->gro)) < 0)
        lib_die("mc_opts_set_gro", rc);
    if (o->timestamps && (rc = mc_opts_set_timestamps(op, 1)) < 0)
        lib_die("mc_opts_set_timestamps", rc);
    if (o->recv_ttl && (rc = mc_opts_set_recv_ttl(op, 1)) < 0)
        lib_die("mc_opts_set_recv_ttl", rc);
    return op;
}

/* -N: the per-group state of x for o->ngroups groups */
static inline void lrx_groups(struct lrx *x, const struct ropts *o)
{
    int i;
    x->ngroups = (unsigned)o->ngroups;
    x->gnext = calloc(o->ngroups, sizeof(*x->gnext));
    x->gaddr = calloc(o->ngroups, sizeof(*x->gaddr));
    if (!x->gnext || !x->gaddr)
        die("calloc");
    for (i = 0; i < o->ngroups; i++) {
        char g[32];
        group_name(i, g, sizeof(g));
        x->gaddr[i] = parse_addr(g).s_addr;
    }
}

/* Runs the poller until -n packets, idleness or -T, then prints the RESULT line for the
 * nl listeners ls (their statistics summed). `extra` (may be "") is appended to the line. */
static inline void lib_receive_n(const char *prog, const struct ropts *o, mc_poller *poller,
                                 mc_listener **ls, int nl, struct lrx *x, const char *extra)
{
    struct rcvbuf_info ri;
    mc_listener_stats st;
    mc_listener_counts cn;
    uint64_t last_ns = 0, wakeups = 0, polls = 0, deadline, sockets = 0, coalesced = 0;
    const char *why = "count";
    double u0, s0;
    char more[1024];
    mc_listener *l = ls[0];
    int fd = mc_listener_fd(l), rc, i, groups = 0;
    long kdrops = 0, pdrops;

    memset(&ri, 0, sizeof(ri));
    ri.fd = fd;
    ri.rmem_max = read_int_file("/proc/sys/net/core/rmem_max");
    ri.before = read_int_file("/proc/sys/net/core/rmem_default");
    ri.req = o->rcvbuf_given ? o->rcvbuf : LIB_DEFAULT_RCVBUF;
    ri.after = mc_listener_recv_buffer(l);

    cpu_times(&u0, &s0);
    deadline = now_ns() + (uint64_t)(o->max_s * 1e9);
    signal_ready(o);

    for (;;) {
        int timeout = x->s.received ? o->idle_ms : o->first_ms;
        uint64_t t = now_ns(), before = x->s.received;
        int n;
        if (t >= deadline) {
            why = "max_time";
            break;
        }
        if ((deadline - t) / 1000000 < (uint64_t)timeout)
            timeout = (int)((deadline - t) / 1000000) + 1;
        n = mc_poll(poller, timeout);
        polls++;
        if (n < 0)
            lib_die("mc_poll", n);
        if (n > 0)
            wakeups++;
        if (x->done) {
            last_ns = now_ns();
            why = "count";
            break;
        }
        if (x->s.received != before) {
            last_ns = now_ns();
            coalesce_pause(o);
            continue;
        }
        if (n == 0) {
            why = x->s.received ? "idle" : "no_packets";
            if (now_ns() >= deadline)
                why = "max_time";
            break;
        }
    }

    memset(&st, 0, sizeof(st));
    for (i = 0; i < nl; i++) {
        mc_listener_stats one;
        if ((rc = mc_listener_get_stats(ls[i], &one)) < 0)
            lib_die("mc_listener_get_stats", rc);
        if ((rc = mc_listener_get_counts(ls[i], &cn)) < 0)
            lib_die("mc_listener_get_counts", rc);
        st.received += one.received;
        st.delivered += one.delivered;
        st.filtered += one.filtered;
        st.truncated += one.truncated;
        st.kernel_drops += one.kernel_drops;
        sockets += cn.sockets;
        coalesced += cn.coalesced;
        groups += mc_listener_group_count(ls[i]);
    }
    if (o->ngroups) {
        /* a listener's extra sockets have no fd in the API: every socket on the port */
        kdrops = proc_udp_drops_port(o->port);
        pdrops = kdrops;
    } else {
        kdrops = sock_drops(fd);     /* SO_MEMINFO: the kernel's sk_drops */
        pdrops = proc_udp_drops(fd); /* /proc/net/udp drops column: same counter */
    }
    snprintf(more, sizeof(more),
             "proc_drops=%ld lib_kernel_drops=%llu lib_received=%llu lib_delivered=%llu "
             "lib_filtered=%llu lib_truncated=%llu drops_match=%s mtu=%s polls=%llu "
             "callbacks=%llu lib_version=%s gro=%s timestamps=%d recv_ttl=%d ts_zero=%llu "
             "ttl_bad=%llu coalesced=%llu listeners=%d groups=%d sockets=%llu "
             "wrong_group=%llu%s%s",
             pdrops, (unsigned long long)st.kernel_drops, (unsigned long long)st.received,
             (unsigned long long)st.delivered, (unsigned long long)st.filtered,
             (unsigned long long)st.truncated,
             (kdrops >= 0 && (unsigned long long)kdrops == st.kernel_drops) ? "yes" : "NO",
             o->bufsz_given ? "custom" : "default", (unsigned long long)polls,
             (unsigned long long)x->callbacks, mc_version(),
             o->gro < 0 ? "default" : o->gro ? "on" : "off", o->timestamps, o->recv_ttl,
             (unsigned long long)x->ts_zero, (unsigned long long)x->ttl_bad,
             (unsigned long long)coalesced, nl, groups, (unsigned long long)sockets,
             (unsigned long long)x->wrong_group, extra[0] ? " " : "", extra);
    print_rx_result_x(prog, o, &x->s, &ri, kdrops, x->first_ns, last_ns, u0, s0, wakeups,
                      polls, why, more);
}

static inline void lib_receive(const char *prog, const struct ropts *o, mc_poller *poller,
                               mc_listener *l, struct lrx *x, const char *extra)
{
    lib_receive_n(prog, o, poller, &l, 1, x, extra);
}

#endif
