/* lib_send.c - libmulticast sender: N datagrams of S bytes to group:port, each payload
 * starting with a big-endian u64 sequence number 0..N-1 (like sender.c), by one of:
 *   -m sendto   mc_sendto() per packet                    (baseline: sender -m sendto)
 *   -m many     mc_sendto_many() in batches of -B (64)    (baseline: sender -m mmsg)
 *   -m mcast    a Multicaster on a poller fed from an array of 64 prepared packets (cycled)
 *               by its next() callback                     (baseline: sender -m mmsg)
 *               -G 0|1: mc_opts_set_gso (default: the library's, on)
 * (mc_sendto_many always uses UDP GSO in 0.2; mc_sendto sends one datagram.)
 * Prints a RESULT line in sender.c's format (packets sent, elapsed, pkt/s, CPU ns/pkt).
 *
 * usage: lib_send [-n count] [-s size] [-m sendto|many|mcast] [-B batch] [-g group]
 *                 [-p port] [-t ttl] [-T max_s] [-l label]
 * Refuses to run unless the network namespace holds only lo.
 */
#include "common.h"
#include <multicast.h>
#include <sched.h>

#define ARRAY_PKTS 64 /* the same footprint as sender.c's batch of 64 */

static void usage(const char *p)
{
    fprintf(stderr,
            "usage: %s [-n count] [-s size] [-m sendto|many|mcast] [-B batch]\n"
            "          [-g group] [-p port] [-t ttl] [-T max_s] [-l label] [-G 0|1]\n"
            "  defaults: -n 1000000 -s 64 -m sendto -B 64 -g " DEF_GROUP " -p 4242 -t 1 -T 60\n"
            "  -G: (mcast) mc_opts_set_gso; default: the library's (on)\n",
            p);
    exit(2);
}

static void lib_die(const char *what, int rc)
{
    fprintf(stderr, "fatal: %s: %s (%s)\n", what, mc_strerror(rc), mc_last_error());
    exit(1);
}

static void put_seq(char *buf, uint64_t seq)
{
    uint64_t be = htobe64(seq);
    memcpy(buf, &be, 8);
}

/* the multicaster's source: packets from an array, sequence numbers written in */
struct feed {
    char *arr;
    size_t size;
    uint64_t next, count, deadline, asked;
    const char *why;
    int done;
};

static int next_fn(void *user_data, const uint8_t **data, size_t *len)
{
    struct feed *f = user_data;
    char *b;
    f->asked++;
    if (f->next >= f->count) {
        f->done = 1;
        return MC_NEXT_DONE;
    }
    if ((f->next & 1023) == 0 && now_ns() >= f->deadline) {
        f->why = "max_time";
        f->done = 1;
        return MC_NEXT_DONE;
    }
    b = f->arr + (f->next % ARRAY_PKTS) * f->size;
    put_seq(b, f->next);
    f->next++;
    *data = (const uint8_t *)b;
    *len = f->size;
    return MC_NEXT_PACKET;
}

int main(int argc, char **argv)
{
    const char *group = DEF_GROUP, *mode = "sendto", *label = "-", *why = "count";
    uint64_t count = 1000000, sent = 0, errs = 0, calls = 0, deadline, t0, t1;
    int size = 64, port = DEF_PORT, batch = 64, ttl = 1, gso = -1, c, i;
    double max_s = 60, u0, s0, u1, s1, el, cpu;
    char *bufs;
    mc_buf *mb;

    while ((c = getopt(argc, argv, "n:s:m:B:g:p:t:T:l:G:h")) != -1) {
        switch (c) {
        case 'n': count = strtoull(optarg, NULL, 0); break;
        case 's': size = atoi(optarg); break;
        case 'm': mode = optarg; break;
        case 'B': batch = atoi(optarg); break;
        case 'g': group = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 't': ttl = atoi(optarg); break;
        case 'T': max_s = atof(optarg); break;
        case 'l': label = optarg; break;
        case 'G': gso = atoi(optarg); break;
        default: usage(argv[0]);
        }
    }
    if (strcmp(mode, "sendto") && strcmp(mode, "many") && strcmp(mode, "mcast"))
        usage(argv[0]);
    if (size < 8 || size > 65507 || batch < 1 || batch > 1024 || ttl < 0 || ttl > 255 ||
        max_s <= 0 || port < 1 || port > 65535 || gso < -1 || gso > 1)
        usage(argv[0]);

    require_private_netns(argv[0]);

    bufs = malloc((size_t)(batch > ARRAY_PKTS ? batch : ARRAY_PKTS) * size);
    mb = calloc(batch, sizeof(*mb));
    if (!bufs || !mb)
        die("malloc");
    memset(bufs, 'x', (size_t)(batch > ARRAY_PKTS ? batch : ARRAY_PKTS) * size);
    for (i = 0; i < batch; i++) {
        mb[i].data = bufs + (size_t)i * size;
        mb[i].len = (size_t)size;
    }
    /* warm up: the library creates and caches its send socket on the first call; the
     * baseline's socket is prepared before its clock starts too */
    if (strcmp(mode, "mcast")) {
        int r;
        put_seq(bufs, UINT64_MAX - 1); /* not a sequence number receivers expect */
        r = mc_sendto(bufs, 8, "224.0.42.99", (uint16_t)port, ttl); /* nobody listens */
        if (r < 0)
            lib_die("mc_sendto (warm-up)", r);
        r = mc_sendto(bufs, 8, "224.0.42.99", (uint16_t)port, ttl);
        (void)r;
    }

    if (!strcmp(mode, "mcast")) {
        mc_poller *poller;
        mc_multicaster *m;
        mc_opts *op = mc_opts_new();
        struct feed f;
        int rc;
        memset(&f, 0, sizeof(f));
        f.arr = bufs;
        f.size = (size_t)size;
        f.count = count;
        f.why = "count";
        if (!op)
            lib_die("mc_opts_new", MC_EINVAL);
        if ((rc = mc_opts_set_group(op, group)) < 0 || (rc = mc_opts_set_port(op, (uint16_t)port)) < 0 ||
            (rc = mc_opts_set_ttl(op, ttl)) < 0 || (gso >= 0 && (rc = mc_opts_set_gso(op, gso)) < 0))
            lib_die("mc_opts_set_*", rc);
        if ((rc = mc_poller_new(&poller)) < 0)
            lib_die("mc_poller_new", rc);
        if ((rc = mc_multicaster_new(poller, op, next_fn, &f, &m)) < 0)
            lib_die("mc_multicaster_new", rc);
        mc_opts_free(op);
        cpu_times(&u0, &s0);
        t0 = now_ns();
        deadline = t0 + (uint64_t)(max_s * 1e9);
        f.deadline = deadline;
        while (!f.done) {
            rc = mc_poll(poller, 100);
            calls++;
            if (rc < 0)
                lib_die("mc_poll", rc);
            if (now_ns() >= deadline + 1000000000ull) { /* next() not called for 1 s */
                why = "stuck";
                break;
            }
        }
        t1 = now_ns();
        cpu_times(&u1, &s1);
        sent = f.next;
        if (strcmp(f.why, "count"))
            why = f.why;
        mc_poller_free(poller);
    } else {
        int many = !strcmp(mode, "many");
        cpu_times(&u0, &s0);
        t0 = now_ns();
        deadline = t0 + (uint64_t)(max_s * 1e9);
        while (sent < count) {
            uint64_t n = count - sent;
            if (n > (uint64_t)batch)
                n = batch;
            if (many) {
                int r;
                for (i = 0; i < (int)n; i++)
                    put_seq(bufs + (size_t)i * size, sent + i);
                r = mc_sendto_many(mb, (size_t)n, group, (uint16_t)port, ttl);
                calls++;
                if (r < 0) {
                    if (r == -EINTR)
                        continue;
                    if (r == -ENOBUFS || r == -EAGAIN) {
                        errs++;
                        sched_yield();
                        continue;
                    }
                    lib_die("mc_sendto_many", r);
                }
                sent += (uint64_t)r;
            } else {
                for (i = 0; i < (int)n; i++) {
                    int r;
                    put_seq(bufs, sent);
                    r = mc_sendto(bufs, (size_t)size, group, (uint16_t)port, ttl);
                    calls++;
                    if (r < 0) {
                        if (r == -EINTR)
                            continue;
                        if (r == -ENOBUFS || r == -EAGAIN) {
                            errs++;
                            sched_yield();
                            continue;
                        }
                        lib_die("mc_sendto", r);
                    }
                    sent++;
                }
            }
            if ((calls & 255) == 0 && now_ns() >= deadline) {
                why = "max_time";
                break;
            }
            if (errs > 1000000) {
                why = "errors";
                break;
            }
        }
        t1 = now_ns();
        cpu_times(&u1, &s1);
    }
    el = (t1 - t0) / 1e9;
    cpu = (u1 - u0) + (s1 - s0);
    printf("RESULT prog=lib_send label=%s mode=%s connected=%d size=%d ttl=%d batch=%d "
           "rate_limit=0 sent=%llu calls=%llu errors=%llu elapsed_s=%.4f rate_pps=%.0f "
           "user_s=%.3f sys_s=%.3f cpu_s=%.3f cpu_ns_per_pkt=%.1f exit=%s lib_version=%s gso=%s\n",
           label, !strcmp(mode, "sendto") ? "mc_sendto" : !strcmp(mode, "many") ? "mc_sendto_many" : "multicaster",
           !strcmp(mode, "mcast"), size, ttl, !strcmp(mode, "many") ? batch : 1,
           (unsigned long long)sent, (unsigned long long)calls, (unsigned long long)errs, el,
           el > 0 ? sent / el : 0, u1 - u0, s1 - s0, cpu, sent ? cpu * 1e9 / sent : 0, why,
           mc_version(), !strcmp(mode, "sendto") ? "n/a" : !strcmp(mode, "many") ? "always" : gso == 0 ? "off" : "on");
    return 0;
}
