/* lib_scale.c - libmulticast receive cost with many idle listeners, and memory per
 * idle listener.
 *
 * One poller; first the measured listener (group -g, default 224.0.42.42:4242, on_packet
 * counting sequence numbers like lib_recv), then -L idle listeners (default 1000) on
 * other groups (239.1.x.y, same port, default options: mtu 4096, 4 MiB SO_RCVBUF
 * request) on the same poller. Memory is measured around the creation of the idle
 * listeners only:
 *   heap_per_listener_B = growth of malloc's in-use bytes (mallinfo2 uordblks+hblkhd) / L
 *   rss_per_listener_B  = growth of the resident set (/proc/self/statm) / L
 * neither counts kernel socket buffers. Then it receives exactly like lib_recv and prints
 * the same RESULT line with idle_listeners=, heap_per_listener_B=, rss_per_listener_B=.
 * -L 0 gives the one-listener reference measured the same way.
 * Refuses to run unless the network namespace holds only lo.
 */
#include "lib_common.h"
#include <malloc.h>

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static long rss_bytes(void)
{
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * sysconf(_SC_PAGESIZE);
}

static int idle_on_packet(void *user_data, const mc_packet *p)
{
    (void)p;
    ++*(uint64_t *)user_data; /* must stay 0: nothing is sent to these groups */
    return 0;
}

int main(int argc, char **argv)
{
    struct ropts o;
    struct lrx x;
    struct rlimit rl;
    mc_poller *poller;
    mc_listener *l, **idle = NULL;
    mc_opts *op;
    uint64_t idle_packets = 0, t0, t1;
    size_t heap0, heap1;
    long rss0, rss1;
    char extra[256];
    int rc, i, L;

    ropts_parse(&o, argc, argv);
    require_private_netns(argv[0]);
    L = o.idle_listeners;
    if (L > 65000) {
        fprintf(stderr, "-L %d: at most 65000 (groups 239.1.0.1 .. 239.1.255.254)\n", L);
        return 2;
    }
    /* one fd per listener */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)L + 64) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)L + 64 ? rl.rlim_max : (rlim_t)L + 64;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    memset(&x, 0, sizeof(x));
    x.o = &o;
    if ((rc = mc_poller_new(&poller)) < 0)
        lib_die("mc_poller_new", rc);
    op = lib_rx_opts(&o, o.group, o.port);
    if ((rc = mc_listener_new(poller, op, lrx_on_packet, &x, &l)) < 0)
        lib_die("mc_listener_new (measured)", rc);
    mc_opts_free(op);

    idle = calloc(L ? (size_t)L : 1, sizeof(*idle));
    if (!idle)
        die("calloc");
    heap0 = heap_in_use();
    rss0 = rss_bytes();
    t0 = now_ns();
    for (i = 0; i < L; i++) {
        char group[32];
        mc_opts *io = mc_opts_new();
        snprintf(group, sizeof(group), "239.1.%d.%d", (i + 1) / 254, (i + 1) % 254 + 1);
        if (!io)
            lib_die("mc_opts_new", MC_EINVAL);
        if ((rc = mc_opts_set_group(io, group)) < 0)
            lib_die("mc_opts_set_group", rc);
        if ((rc = mc_opts_set_port(io, (uint16_t)o.port)) < 0)
            lib_die("mc_opts_set_port", rc);
        if ((rc = mc_opts_set_interface(io, o.ifaddr)) < 0)
            lib_die("mc_opts_set_interface", rc);
        if ((rc = mc_listener_new(poller, io, idle_on_packet, &idle_packets, &idle[i])) < 0) {
            fprintf(stderr, "idle listener %d (%s):\n", i, group);
            lib_die("mc_listener_new (idle)", rc);
        }
        mc_opts_free(io);
    }
    t1 = now_ns();
    heap1 = heap_in_use();
    rss1 = rss_bytes();

    snprintf(extra, sizeof(extra),
             "idle_listeners=%d heap_per_listener_B=%.0f rss_per_listener_B=%.0f "
             "heap_growth_B=%ld rss_growth_B=%ld create_us_per_listener=%.1f",
             L, L ? ((double)heap1 - (double)heap0) / L : 0.0,
             L ? ((double)rss1 - (double)rss0) / L : 0.0, (long)heap1 - (long)heap0,
             rss1 - rss0, L ? (t1 - t0) / 1e3 / L : 0.0);
    lib_receive("lib_scale", &o, poller, l, &x, extra);
    if (idle_packets)
        fprintf(stderr, "warning: idle listeners received %llu packets\n",
                (unsigned long long)idle_packets);
    mc_poller_free(poller); /* closes every listener */
    free(idle);
    return 0;
}
