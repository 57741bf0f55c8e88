/* recv_uv.c - multicast receiver on libuv: uv_udp_t bound to group:port with
 * UV_UDP_REUSEADDR, uv_udp_set_membership(group, ifaddr), uv_udp_recv_start.
 * -M initialises the handle with UV_UDP_RECVMMSG (libuv >= 1.40) and hands
 * libuv a buffer big enough for its recvmmsg batch (20 x 64 KiB in 1.44).
 * Exits after -n packets, after -I ms without a packet, or after -T seconds
 * (a 20 ms repeating uv_timer watches for idleness and the deadline).
 */
#include "common.h"
#include <uv.h>

#define UV_DGRAM_MAX (64 * 1024) /* libuv's UV__UDP_DGRAM_MAXSIZE */
#define UV_MMSG_WIDTH 20         /* libuv's UV__MMSG_MAXWIDTH */

static struct ropts o;
static struct seqstat s;
static uv_loop_t *loop;
static uv_udp_t udp;
static uv_timer_t timer;
static uv_check_t check;
static char *rxbuf;
static size_t rxbuflen;
static uint64_t first_ns, last_ns, start_ns, deadline, activity_ns;
static uint64_t seen_at_tick, seen_at_check, callbacks, loop_iters;
static const char *why = "count";

static void stop_all(const char *reason)
{
    why = reason;
    uv_udp_recv_stop(&udp);
    uv_stop(loop);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    buf->base = rxbuf;
    buf->len = rxbuflen;
}

static void recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                    const struct sockaddr *addr, unsigned flags)
{
    (void)h;
    (void)addr;
    callbacks++;
#if UV_VERSION_HEX >= 0x012800
    if (flags & UV_UDP_MMSG_FREE)
        return; /* end of a recvmmsg batch: buffer may be released */
#endif
    if (nread == 0)
        return; /* EAGAIN (addr == NULL) or an empty datagram */
    if (nread < 0) {
        fprintf(stderr, "recv error: %s\n", uv_strerror((int)nread));
        stop_all("error");
        return;
    }
    if (!first_ns)
        first_ns = uv_hrtime();
    if (flags & UV_UDP_PARTIAL)
        s.trunc++;
    seq_account(&s, buf->base, (size_t)nread);
    if (o.count && s.received >= o.count) {
        last_ns = uv_hrtime();
        stop_all("count");
    }
}

/* runs once per loop iteration, after I/O: timestamp of the last batch */
static void check_cb(uv_check_t *c)
{
    (void)c;
    loop_iters++;
    if (s.received != seen_at_check) {
        seen_at_check = s.received;
        last_ns = uv_hrtime();
    }
}

static void timer_cb(uv_timer_t *t)
{
    uint64_t now = uv_hrtime();
    (void)t;
    if (now >= deadline) {
        stop_all("max_time");
        return;
    }
    if (s.received != seen_at_tick) {
        seen_at_tick = s.received;
        activity_ns = now;
        return;
    }
    if (now - activity_ns >= (uint64_t)(s.received ? o.idle_ms : o.first_ms) * 1000000ull)
        stop_all(s.received ? "idle" : "no_packets");
}

static void chk(int rc, const char *what)
{
    if (rc < 0) {
        fprintf(stderr, "fatal: %s: %s\n", what, uv_strerror(rc));
        exit(1);
    }
}

int main(int argc, char **argv)
{
    struct rcvbuf_info ri;
    struct sockaddr_in sa;
    unsigned int init_flags = AF_INET;
    uv_os_fd_t fd;
    double u0, s0;
    int v, using_mmsg = 0;
    socklen_t l = sizeof(int);
    char label[96];

    ropts_parse(&o, argc, argv);
    require_private_netns(argv[0]);
    loop = uv_default_loop();

#if UV_VERSION_HEX >= 0x012800 /* 1.40: UV_UDP_RECVMMSG + UV_UDP_MMSG_FREE */
    if (o.uv_mmsg)
        init_flags |= UV_UDP_RECVMMSG;
#else
    if (o.uv_mmsg)
        fprintf(stderr, "libuv %s has no UV_UDP_RECVMMSG; using recvmsg\n",
                uv_version_string());
#endif
    chk(uv_udp_init_ex(loop, &udp, init_flags), "uv_udp_init_ex");
    chk(uv_ip4_addr(o.group, o.port, &sa), "uv_ip4_addr");
    chk(uv_udp_bind(&udp, (const struct sockaddr *)&sa, UV_UDP_REUSEADDR), "uv_udp_bind");
    chk(uv_udp_set_membership(&udp, o.group, o.ifaddr, UV_JOIN_GROUP),
        "uv_udp_set_membership");
#if UV_VERSION_HEX >= 0x012800
    using_mmsg = uv_udp_using_recvmmsg(&udp);
#endif
    /* receive buffer via libuv's own API, reported with getsockopt */
    chk(uv_fileno((uv_handle_t *)&udp, &fd), "uv_fileno");
    memset(&ri, 0, sizeof(ri));
    ri.fd = fd;
    ri.rmem_max = read_int_file("/proc/sys/net/core/rmem_max");
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &ri.before, &l);
    ri.req = o.rcvbuf;
    if (o.rcvbuf > 0) {
        v = o.rcvbuf;
        chk(uv_recv_buffer_size((uv_handle_t *)&udp, &v), "uv_recv_buffer_size");
        if (o.force) {
            l = sizeof(int);
            getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &ri.after, &l);
            if (ri.after < 2 * o.rcvbuf)
                ri.forced = setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &o.rcvbuf,
                                       sizeof(o.rcvbuf)) == 0 ? 1 : -errno;
        }
    }
    l = sizeof(int);
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &ri.after, &l);

    rxbuflen = using_mmsg ? (size_t)UV_DGRAM_MAX * UV_MMSG_WIDTH : UV_DGRAM_MAX;
    rxbuf = malloc(rxbuflen);
    if (!rxbuf)
        die("malloc");

    chk(uv_timer_init(loop, &timer), "uv_timer_init");
    chk(uv_check_init(loop, &check), "uv_check_init");
    chk(uv_check_start(&check, check_cb), "uv_check_start");

    cpu_times(&u0, &s0);
    start_ns = activity_ns = uv_hrtime();
    deadline = start_ns + (uint64_t)(o.max_s * 1e9);
    chk(uv_timer_start(&timer, timer_cb, 20, 20), "uv_timer_start");
    chk(uv_udp_recv_start(&udp, alloc_cb, recv_cb), "uv_udp_recv_start");
    signal_ready(&o);

    uv_run(loop, UV_RUN_DEFAULT);

    {
        long drops = sock_drops(fd);
        snprintf(label, sizeof(label), "%s%slibuv%s%s", o.label, o.label[0] ? "," : "",
                 uv_version_string(), using_mmsg ? "+recvmmsg" : "");
        o.label = label;
        /* wakeups := loop iterations that saw packets is not tracked; report loop
         * iterations (each is one epoll_wait) and recv_cb calls */
        print_rx_result(using_mmsg ? "recv_uv_mmsg" : "recv_uv", &o, &s, &ri, drops, first_ns,
                        last_ns, u0, s0, loop_iters, callbacks, why);
    }
    uv_timer_stop(&timer);
    uv_check_stop(&check);
    uv_close((uv_handle_t *)&udp, NULL);
    uv_close((uv_handle_t *)&timer, NULL);
    uv_close((uv_handle_t *)&check, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    return 0;
}
