/* lib_pingpong.c - multicast round-trip latency through libmulticast: two processes,
 * each with one listener on a poller of its own, replying with mc_sendto.
 *
 *   lib_pingpong server [opts]  a listener on the ping group (224.0.42.43:4243) whose
 *                               on_packet echoes each datagram with mc_sendto to the pong
 *                               group (224.0.42.44:4244)
 *   lib_pingpong client [opts]  a listener on the pong group; sends ping #i with mc_sendto
 *                               (payload starts with the 64-bit seq), then mc_poll()s until
 *                               echo #i arrives, and records the round trip
 *
 * The same protocol, options and RESULT line as pingpong.c (the raw C baseline, which
 * blocks in recv() on connected sockets):
 * opts: -n iterations (client, default 100000) -w warmup (1000) -s size (64)
 *       -T max_seconds (10) -b busy-poll (mc_poll(poller, 0) spin instead of blocking)
 *       -I idle_ms (server exit, 1000) -R readyfile (server) -t reply_timeout_ms (200)
 *       -G 0|1 (bench/ 0.2 addition, a diagnostic) mc_opts_set_gro on both listeners
 *          (default: the library's, on)
 * Both refuse to run outside a loopback-only network namespace.
 */
#include "common.h"
#include <multicast.h>

#define PING_GROUP "224.0.42.43"
#define PING_PORT 4243
#define PONG_GROUP "224.0.42.44"
#define PONG_PORT 4244
#define BYE UINT64_MAX

static void lib_die(const char *what, int rc)
{
    fprintf(stderr, "fatal: %s: %s (%s)\n", what, mc_strerror(rc), mc_last_error());
    exit(1);
}

static uint64_t get_seq(const uint8_t *b)
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

struct server {
    uint64_t echoed, send_errors;
    int bye;
};

static int server_on_packet(void *user_data, const mc_packet *p)
{
    struct server *s = user_data;
    int r;
    if (p->len >= 8 && get_seq(p->data) == BYE) {
        s->bye = 1;
        return 0;
    }
    r = mc_sendto(p->data, p->len, PONG_GROUP, PONG_PORT, 1);
    if (r < 0) {
        if (r != -ENOBUFS)
            lib_die("mc_sendto (echo)", r);
        s->send_errors++;
    }
    s->echoed++;
    return 0;
}

struct client {
    uint64_t want;
    int got;
};

static int client_on_packet(void *user_data, const mc_packet *p)
{
    struct client *c = user_data;
    if (p->len >= 8 && get_seq(p->data) == c->want)
        c->got = 1; /* stale echoes are skipped */
    return 0;
}

static int gro = -1; /* -G: mc_opts_set_gro (-1: the library's default) */

static mc_listener *listener(mc_poller *poller, const char *group, int port, mc_packet_fn fn,
                             void *ud)
{
    mc_opts *op = mc_opts_new();
    mc_listener *l;
    int rc;
    if (!op)
        lib_die("mc_opts_new", MC_EINVAL);
    if ((rc = mc_opts_set_group(op, group)) < 0 || (rc = mc_opts_set_port(op, (uint16_t)port)) < 0 ||
        (rc = mc_opts_set_interface(op, DEF_IFADDR)) < 0 ||
        (gro >= 0 && (rc = mc_opts_set_gro(op, gro)) < 0))
        lib_die("mc_opts_set_*", rc);
    if ((rc = mc_listener_new(poller, op, fn, ud, &l)) < 0)
        lib_die("mc_listener_new", rc);
    mc_opts_free(op);
    return l;
}

int main(int argc, char **argv)
{
    const char *role, *ready = NULL;
    uint64_t iters = 100000, warm = 1000, i, k = 0, lost = 0, *rtt, deadline;
    int size = 64, idle_ms = 1000, reply_ms = 200, c, busy = 0, rc, spin_us = 0;
    double max_s = 10;
    char buf[65536];
    mc_poller *poller;

    if (argc < 2 || (strcmp(argv[1], "server") && strcmp(argv[1], "client"))) {
        fprintf(stderr, "usage: %s server|client [-n iters] [-w warmup] [-s size] [-T max_s] "
                        "[-b] [-S spin_us] [-I idle_ms] [-R readyfile] [-t reply_timeout_ms] [-G 0|1]\n",
                argv[0]);
        return 2;
    }
    role = argv[1];
    optind = 2;
    while ((c = getopt(argc, argv, "n:w:s:T:bS:I:R:t:G:")) != -1) {
        switch (c) {
        case 'n': iters = strtoull(optarg, NULL, 0); break;
        case 'w': warm = strtoull(optarg, NULL, 0); break;
        case 's': size = atoi(optarg); break;
        case 'T': max_s = atof(optarg); break;
        case 'b': busy = 1; break;
        case 'S': spin_us = atoi(optarg); break;
        case 'I': idle_ms = atoi(optarg); break;
        case 'R': ready = optarg; break;
        case 't': reply_ms = atoi(optarg); break;
        case 'G': gro = atoi(optarg); break;
        default: return 2;
        }
    }
    if (size < 8 || size > 65507 || max_s <= 0 || reply_ms < 1)
        return 2;
    require_private_netns(argv[0]);
    memset(buf, 'p', sizeof(buf));
    deadline = now_ns() + (uint64_t)(max_s * 1e9);
    if ((rc = mc_poller_new(&poller)) < 0)
        lib_die("mc_poller_new", rc);
    /* -S: the library's opt-in busy polling before each blocking wait */
    if (spin_us > 0 && (rc = mc_poller_set_spin_us(poller, (uint32_t)spin_us)) < 0)
        lib_die("mc_poller_set_spin_us", rc);

    if (!strcmp(role, "server")) {
        struct server s = {0};
        int first = 1;
        listener(poller, PING_GROUP, PING_PORT, server_on_packet, &s);
        /* create and cache the send socket before the first ping */
        if ((rc = mc_sendto(buf, 8, "224.0.42.99", PONG_PORT, 1)) < 0)
            lib_die("mc_sendto (warm-up)", rc);
        if (ready) {
            FILE *f = fopen(ready, "w");
            if (f)
                fclose(f);
        }
        while (!s.bye) {
            int wait = first ? 5000 : idle_ms, n;
            uint64_t now = now_ns(), before = s.echoed;
            if (now >= deadline)
                break;
            if ((deadline - now) / 1000000 < (uint64_t)wait)
                wait = (int)((deadline - now) / 1000000) + 1;
            if (busy) {
                uint64_t until = now + (uint64_t)wait * 1000000ull;
                do
                    n = mc_poll(poller, 0);
                while (n == 0 && now_ns() < until);
            } else {
                n = mc_poll(poller, wait);
            }
            if (n < 0)
                lib_die("mc_poll", n);
            if (n == 0 && s.echoed == before && !s.bye)
                break; /* idle */
            first = 0;
        }
        printf("RESULT prog=lib_pingpong_server echoed=%llu send_errors=%llu\n",
               (unsigned long long)s.echoed, (unsigned long long)s.send_errors);
        mc_poller_free(poller);
        return 0;
    }

    /* client */
    {
        struct client cl = {0};
        listener(poller, PONG_GROUP, PONG_PORT, client_on_packet, &cl);
        if ((rc = mc_sendto(buf, 8, "224.0.42.99", PING_PORT, 1)) < 0)
            lib_die("mc_sendto (warm-up)", rc);
        rtt = malloc(sizeof(*rtt) * (iters ? iters : 1));
        if (!rtt)
            die("malloc");
        for (i = 0; i < warm + iters; i++) {
            uint64_t t0, t1, until;
            if (now_ns() >= deadline)
                break;
            put_seq(buf, i);
            cl.want = i;
            cl.got = 0;
            t0 = now_ns();
            until = t0 + (uint64_t)reply_ms * 1000000ull;
            rc = mc_sendto(buf, (size_t)size, PING_GROUP, PING_PORT, 1);
            if (rc < 0)
                lib_die("mc_sendto (ping)", rc);
            for (;;) {
                uint64_t now;
                int n;
                if (busy) {
                    n = mc_poll(poller, 0);
                } else {
                    now = now_ns();
                    n = mc_poll(poller, now >= until ? 0 : (int)((until - now + 999999) / 1000000));
                }
                if (n < 0)
                    lib_die("mc_poll", n);
                if (cl.got || now_ns() >= until)
                    break;
            }
            t1 = now_ns();
            if (!cl.got) {
                lost++;
                continue;
            }
            if (i >= warm)
                rtt[k++] = t1 - t0;
        }
        put_seq(buf, BYE);
        for (c = 0; c < 3; c++)
            mc_sendto(buf, 8, PING_GROUP, PING_PORT, 1);
        mc_poller_free(poller);
    }
    qsort(rtt, k, sizeof(*rtt), cmp_u64);
    if (k == 0) {
        printf("RESULT prog=lib_pingpong mode=%s size=%d samples=0 lost=%llu\n",
               busy ? "busy" : "blocking", size, (unsigned long long)lost);
        return 1;
    }
    {
        double sum = 0;
        for (i = 0; i < k; i++)
            sum += rtt[i];
#define PCT(p) (rtt[(uint64_t)((k - 1) * (p))] / 1000.0)
        printf("RESULT prog=lib_pingpong mode=%s size=%d samples=%llu lost=%llu min_us=%.2f "
               "median_us=%.2f p90_us=%.2f p99_us=%.2f p999_us=%.2f max_us=%.2f "
               "mean_us=%.2f\n",
               busy ? "busy" : "blocking", size, (unsigned long long)k,
               (unsigned long long)lost, rtt[0] / 1000.0, PCT(0.5), PCT(0.9), PCT(0.99),
               PCT(0.999), rtt[k - 1] / 1000.0, sum / k / 1000.0);
    }
    return 0;
}
