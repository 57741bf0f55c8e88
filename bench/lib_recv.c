/* lib_recv.c - libmulticast receiver: one listener with an on_packet callback on a
 * poller of its own, driven by mc_poll. Counts sequence numbers and loss exactly like
 * the raw baselines (recv_raw.c, recv_mmsg.c, recv_uv.c) and prints the same RESULT
 * line, plus the listener's mc_listener_get_stats (lib_kernel_drops, lib_received...)
 * next to the kernel's own drop count for the socket (sock_drops = SO_MEMINFO,
 * proc_drops = /proc/net/udp).
 * Defaults differ from the baselines only where the library has its own: -b (SO_RCVBUF
 * request; library default 4 MiB) and -s (mtu; library default 4096) are passed to the
 * library only when given. Exits after -n packets, -I ms idle, or -T seconds.
 * 0.2 options (lib_common.h): -G 0|1 GRO, -t timestamps, -y received TTL, and -N n:
 * n groups (239.42.x.y, fed by sender -N n), as n listeners of one group each on the
 * poller, or with -J as one listener that joins the other n-1 with mc_listener_add_group
 * (it spreads them over sockets by itself: net.ipv4.igmp_max_memberships, 20 by default).
 * Refuses to run unless the network namespace holds only lo.
 */
#include "lib_common.h"

int main(int argc, char **argv)
{
    struct ropts o;
    struct lrx x;
    mc_poller *poller;
    mc_listener *l, **ls = &l;
    mc_opts *op;
    int rc, nl = 1, i;
    struct rlimit rl;

    ropts_parse(&o, argc, argv);
    require_private_netns(argv[0]);
    memset(&x, 0, sizeof(x));
    x.o = &o;
    if ((rc = mc_poller_new(&poller)) < 0)
        lib_die("mc_poller_new", rc);
    /* -d: the library's own opt-in coalescing, not a pause of ours */
    if (o.delay_us > 0) {
        if ((rc = mc_poller_set_coalesce_us(poller, (uint32_t)o.delay_us)) < 0)
            lib_die("mc_poller_set_coalesce_us", rc);
        o.delay_us = 0;
    }
    if (o.ngroups) {
        char g[32];
        lrx_groups(&x, &o);
        nl = o.join_all ? 1 : o.ngroups;
        /* one fd per listener */
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)nl + 64) {
            rl.rlim_cur = rl.rlim_max < (rlim_t)nl + 64 ? rl.rlim_max : (rlim_t)nl + 64;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
        if (!(ls = calloc(nl, sizeof(*ls))))
            die("calloc");
        for (i = 0; i < nl; i++) {
            group_name(i, g, sizeof(g));
            op = lib_rx_opts(&o, g, o.port);
            if ((rc = mc_listener_new(poller, op, lrx_on_packet, &x, &ls[i])) < 0)
                lib_die("mc_listener_new", rc);
            mc_opts_free(op);
        }
        for (i = 1; o.join_all && i < o.ngroups; i++) {
            group_name(i, g, sizeof(g));
            if ((rc = mc_listener_add_group(ls[0], g, NULL)) < 0)
                lib_die("mc_listener_add_group", rc);
        }
    } else {
        op = lib_rx_opts(&o, o.group, o.port);
        if ((rc = mc_listener_new(poller, op, lrx_on_packet, &x, &l)) < 0)
            lib_die("mc_listener_new", rc);
        mc_opts_free(op);
        /* -X n: the kernel filters n sources that never send (the cost of the check) */
        for (i = 1; i <= o.blocked; i++) {
            char src[32];
            snprintf(src, sizeof src, "10.99.0.%d", i);
            if ((rc = mc_listener_block_source(l, o.group, src)) < 0)
                lib_die("mc_listener_block_source", rc);
        }
    }
    lib_receive_n("lib_recv", &o, poller, ls, nl, &x, "");
    mc_poller_free(poller);
    return 0;
}
