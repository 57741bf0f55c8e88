/* lib_common.h - the receive loop of libmulticast's benchmark receivers (lib_recv.c,
 * lib_scale.c), written to measure exactly what the raw-C baselines measure:
 *   - the same options (common.h ropts), the same sequence/loss accounting, the same
 *     RESULT line (print_rx_result_x), CPU from getrusage taken after set-up;
 *   - a listener with an on_packet callback on a poller of our own, driven by mc_poll
 *     with the baselines' idle timeout, first-packet wait and -T cap;
 *   - at the end: the listener's mc_listener_get_stats next to the kernel's own drop
 *     counters for the same socket (SO_MEMINFO and /proc/net/udp).
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
    seq_account(&x->s, p->data, p->len);
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
    return op;
}

/* Runs the poller until -n packets, idleness or -T, then prints the RESULT line.
 * `extra` (may be "") is appended to the line. */
static inline void lib_receive(const char *prog, const struct ropts *o, mc_poller *poller,
                               mc_listener *l, struct lrx *x, const char *extra)
{
    struct rcvbuf_info ri;
    mc_listener_stats st;
    uint64_t last_ns = 0, wakeups = 0, polls = 0, deadline;
    const char *why = "count";
    double u0, s0;
    char more[768];
    int fd = mc_listener_fd(l), rc;
    long kdrops, pdrops;

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

    if ((rc = mc_listener_get_stats(l, &st)) < 0)
        lib_die("mc_listener_get_stats", rc);
    kdrops = sock_drops(fd);    /* SO_MEMINFO: the kernel's sk_drops */
    pdrops = proc_udp_drops(fd); /* /proc/net/udp drops column: same counter */
    snprintf(more, sizeof(more),
             "proc_drops=%ld lib_kernel_drops=%llu lib_received=%llu lib_delivered=%llu "
             "lib_filtered=%llu lib_truncated=%llu drops_match=%s mtu=%s polls=%llu "
             "callbacks=%llu lib_version=%s%s%s",
             pdrops, (unsigned long long)st.kernel_drops, (unsigned long long)st.received,
             (unsigned long long)st.delivered, (unsigned long long)st.filtered,
             (unsigned long long)st.truncated,
             (kdrops >= 0 && (unsigned long long)kdrops == st.kernel_drops) ? "yes" : "NO",
             o->bufsz_given ? "custom" : "default", (unsigned long long)polls,
             (unsigned long long)x->callbacks, mc_version(), extra[0] ? " " : "", extra);
    print_rx_result_x(prog, o, &x->s, &ri, kdrops, x->first_ns, last_ns, u0, s0, wakeups,
                      polls, why, more);
}

#endif
