/* pingpong.c - multicast round-trip latency between two processes.
 *
 *   pingpong server [opts]   joins the ping group (224.0.42.43:4243) on 127.0.0.1 and
 *                            echoes every datagram to the pong group (224.0.42.44:4244)
 *   pingpong client [opts]   joins the pong group, sends ping #i (payload starts with
 *                            the 64-bit seq), waits for echo #i, records the RTT
 *
 * opts: -n iterations (client, default 100000) -w warmup (1000) -s size (64)
 *       -T max_seconds (10) -b busy-poll (MSG_DONTWAIT spin instead of blocking recv)
 *       -e epoll (bench/ addition, a diagnostic: wait in epoll_wait, then recv(MSG_DONTWAIT),
 *          the two system calls an event loop makes, instead of one blocking recv)
 *       -I idle_ms (server exit, 1000) -R readyfile (server) -t reply_timeout_ms (200)
 * Both refuse to run outside a loopback-only network namespace.
 */
#include "common.h"
#include <sys/epoll.h>

#define PING_GROUP "224.0.42.43"
#define PING_PORT 4243
#define PONG_GROUP "224.0.42.44"
#define PONG_PORT 4244
#define BYE UINT64_MAX

static int busy;
static int use_epoll, epfd = -1;

static int rx_socket(const char *group, int port)
{
    struct ropts o;
    memset(&o, 0, sizeof(o));
    o.group = group;
    o.port = port;
    o.ifaddr = DEF_IFADDR;
    return mc_rx_socket(&o, 0, NULL);
}

static int tx_socket(const char *group, int port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ttl = 1;
    struct in_addr ifa = parse_addr(DEF_IFADDR);
    struct sockaddr_in d;
    if (fd < 0)
        die("socket");
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof(ifa)) < 0)
        die("IP_MULTICAST_IF");
    memset(&d, 0, sizeof(d));
    d.sin_family = AF_INET;
    d.sin_port = htons(port);
    d.sin_addr = parse_addr(group);
    if (connect(fd, (struct sockaddr *)&d, sizeof(d)) < 0)
        die("connect");
    return fd;
}

static void set_timeout(int fd, int ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* receive one datagram; -1 on timeout (blocking: SO_RCVTIMEO; busy: until_ns) */
static ssize_t recv1(int fd, char *buf, size_t len, uint64_t until_ns)
{
    if (use_epoll && !busy) {
        for (;;) {
            struct epoll_event ev;
            uint64_t now = now_ns();
            ssize_t r;
            int n;
            if (now >= until_ns)
                return -1;
            n = epoll_wait(epfd, &ev, 1, (int)((until_ns - now) / 1000000) + 1);
            if (n < 0 && errno != EINTR)
                die("epoll_wait");
            if (n <= 0)
                continue;
            r = recv(fd, buf, len, MSG_DONTWAIT);
            if (r >= 0)
                return r;
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                die("recv");
        }
    }
    for (;;) {
        ssize_t r = recv(fd, buf, len, busy ? MSG_DONTWAIT : 0);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            die("recv");
        if (!busy || now_ns() >= until_ns)
            return -1;
    }
}

static void epoll_setup(int fd)
{
    struct epoll_event ev;
    if (!use_epoll || busy)
        return;
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        die("epoll_create1");
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        die("epoll_ctl");
}

static uint64_t get_seq(const char *b)
{
    uint64_t v;
    memcpy(&v, b, 8);
    return be64toh(v);
}

static void put_seq(char *b, uint64_t s)
{
    uint64_t v = htobe64(s);
    memcpy(b, &v, 8);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *role, *ready = NULL;
    uint64_t iters = 100000, warm = 1000, i, k = 0, lost = 0, *rtt, deadline;
    int size = 64, idle_ms = 1000, reply_ms = 200, c, rx, tx;
    double max_s = 10;
    char buf[65536];

    if (argc < 2 || (strcmp(argv[1], "server") && strcmp(argv[1], "client"))) {
        fprintf(stderr, "usage: %s server|client [-n iters] [-w warmup] [-s size] [-T max_s] "
                        "[-b] [-e] [-I idle_ms] [-R readyfile] [-t reply_timeout_ms]\n",
                argv[0]);
        return 2;
    }
    role = argv[1];
    optind = 2;
    while ((c = getopt(argc, argv, "n:w:s:T:beI:R:t:")) != -1) {
        switch (c) {
        case 'n': iters = strtoull(optarg, NULL, 0); break;
        case 'w': warm = strtoull(optarg, NULL, 0); break;
        case 's': size = atoi(optarg); break;
        case 'T': max_s = atof(optarg); break;
        case 'b': busy = 1; break;
        case 'e': use_epoll = 1; break;
        case 'I': idle_ms = atoi(optarg); break;
        case 'R': ready = optarg; break;
        case 't': reply_ms = atoi(optarg); break;
        default: return 2;
        }
    }
    if (size < 8 || size > 65507 || max_s <= 0)
        return 2;
    require_private_netns(argv[0]);
    memset(buf, 'p', sizeof(buf));
    deadline = now_ns() + (uint64_t)(max_s * 1e9);

    if (!strcmp(role, "server")) {
        uint64_t echoed = 0;
        int first = 1, cur_wait = -1;
        rx = rx_socket(PING_GROUP, PING_PORT);
        tx = tx_socket(PONG_GROUP, PONG_PORT);
        epoll_setup(rx);
        if (ready) {
            FILE *f = fopen(ready, "w");
            if (f)
                fclose(f);
        }
        for (;;) {
            int wait = first ? 5000 : idle_ms;
            ssize_t r;
            uint64_t now = now_ns();
            if (now >= deadline)
                break;
            if ((deadline - now) / 1000000 < (uint64_t)wait)
                wait = (int)((deadline - now) / 1000000) + 1;
            if (!busy && wait != cur_wait) {
                set_timeout(rx, wait); /* only when it changes: no extra syscall per echo */
                cur_wait = wait;
            }
            r = recv1(rx, buf, sizeof(buf), now + (uint64_t)wait * 1000000ull);
            if (r < 0)
                break; /* idle */
            first = 0;
            if (r >= 8 && get_seq(buf) == BYE)
                break;
            if (send(tx, buf, r, 0) < 0 && errno != ENOBUFS)
                die("send");
            echoed++;
        }
        printf("RESULT prog=pingpong_server echoed=%llu\n", (unsigned long long)echoed);
        return 0;
    }

    /* client */
    rx = rx_socket(PONG_GROUP, PONG_PORT);
    tx = tx_socket(PING_GROUP, PING_PORT);
    epoll_setup(rx);
    if (!busy)
        set_timeout(rx, reply_ms);
    rtt = malloc(sizeof(*rtt) * (iters ? iters : 1));
    if (!rtt)
        die("malloc");
    for (i = 0; i < warm + iters; i++) {
        uint64_t t0, t1;
        ssize_t r;
        if (now_ns() >= deadline)
            break;
        put_seq(buf, i);
        t0 = now_ns();
        if (send(tx, buf, size, 0) < 0)
            die("send");
        for (;;) {
            r = recv1(rx, buf, sizeof(buf), t0 + (uint64_t)reply_ms * 1000000ull);
            if (r < 0 || (r >= 8 && get_seq(buf) == i))
                break; /* timeout, or our echo (stale echoes are skipped) */
        }
        t1 = now_ns();
        if (r < 0) {
            lost++;
            continue;
        }
        if (i >= warm)
            rtt[k++] = t1 - t0;
    }
    put_seq(buf, BYE);
    for (c = 0; c < 3; c++)
        send(tx, buf, 8, 0);
    qsort(rtt, k, sizeof(*rtt), cmp_u64);
    if (k == 0) {
        printf("RESULT prog=pingpong mode=%s size=%d samples=0 lost=%llu\n",
               busy ? "busy" : use_epoll ? "epoll" : "blocking", size, (unsigned long long)lost);
        return 1;
    }
    {
        double sum = 0;
        for (i = 0; i < k; i++)
            sum += rtt[i];
#define PCT(p) (rtt[(uint64_t)((k - 1) * (p))] / 1000.0)
        printf("RESULT prog=pingpong mode=%s size=%d samples=%llu lost=%llu min_us=%.2f "
               "median_us=%.2f p90_us=%.2f p99_us=%.2f p999_us=%.2f max_us=%.2f "
               "mean_us=%.2f\n",
               busy ? "busy" : use_epoll ? "epoll" : "blocking", size, (unsigned long long)k,
               (unsigned long long)lost, rtt[0] / 1000.0, PCT(0.5), PCT(0.9), PCT(0.99),
               PCT(0.999), rtt[k - 1] / 1000.0, sum / k / 1000.0);
    }
    return 0;
}
