/*
 * lib_timer.c - the library's timers: lateness and what armed timers cost a poll.
 *
 *   lateness: a timer of period P (1 ms, 100 ms) on its own poller, driven by a
 *     blocking mc_poll; each run's lateness is the time since the latest expiry due
 *     (start + delay + k * P) when fn runs. p50 / p99 / max, idle, and with a plain
 *     sender (a child process, sendmmsg x64 at full rate) flooding a listener on the
 *     same poller.
 *   poll cost: CPU per mc_poll(p, 0) that finds nothing, with 10,000 armed timers
 *     (due in an hour) against none.
 * One RESULT line per measurement. Refuses to run outside a loopback-only namespace
 * (run it through bench/run.sh, section 6, or tests/netns-run).
 *
 * usage: lib_timer [-s SECONDS per lateness trial (2)] [-N timers (10000)]
 */
#define _GNU_SOURCE
#include "common.h"
#include "lib_common.h"

#include <signal.h>
#include <sys/wait.h>

#define FLOOD_GROUP "224.0.42.42"
#define FLOOD_PORT 4242

typedef struct {
    uint64_t start, period_ns, delay_ns;
    uint64_t *late;
    size_t n, cap;
} lateness;

static void on_timer(void *user_data, mc_timer *t)
{
    lateness *l = user_data;
    uint64_t now = now_ns(), since = now - l->start - l->delay_ns;
    uint64_t due = l->start + l->delay_ns + since / l->period_ns * l->period_ns;
    (void)t;
    if (l->n < l->cap)
        l->late[l->n++] = now - due;
}

static int on_packet(void *user_data, const mc_packet *p)
{
    (void)p;
    (*(uint64_t *)user_data)++;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* A child that floods FLOOD_GROUP:FLOOD_PORT with 64-byte datagrams (sendmmsg x64)
   until killed or `seconds` passed. */
static pid_t flood(int seconds)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        struct sockaddr_in to;
        struct mmsghdr m[64];
        struct iovec iov;
        char buf[64] = {0};
        uint64_t end = now_ns() + (uint64_t)seconds * 1000000000ull;
        int fd = socket(AF_INET, SOCK_DGRAM, 0), i;
        memset(&to, 0, sizeof to);
        to.sin_family = AF_INET;
        to.sin_port = htons(FLOOD_PORT);
        inet_pton(AF_INET, FLOOD_GROUP, &to.sin_addr);
        iov.iov_base = buf;
        iov.iov_len = sizeof buf;
        memset(m, 0, sizeof m);
        for (i = 0; i < 64; i++) {
            m[i].msg_hdr.msg_name = &to;
            m[i].msg_hdr.msg_namelen = sizeof to;
            m[i].msg_hdr.msg_iov = &iov;
            m[i].msg_hdr.msg_iovlen = 1;
        }
        while (now_ns() < end)
            sendmmsg(fd, m, 64, 0);
        _exit(0);
    }
    return pid;
}

static void lateness_trial(int period_ms, int with_flood, int seconds)
{
    mc_poller *p;
    mc_timer *t;
    mc_listener *l = NULL;
    lateness lt;
    uint64_t received = 0, end;
    pid_t child = -1;
    int rc;
    memset(&lt, 0, sizeof lt);
    lt.period_ns = (uint64_t)period_ms * 1000000;
    lt.delay_ns = lt.period_ns;
    lt.cap = (size_t)seconds * 1000 / (size_t)period_ms + 16;
    if (!(lt.late = calloc(lt.cap, sizeof *lt.late)))
        die("calloc");
    if ((rc = mc_poller_new(&p)) < 0)
        lib_die("mc_poller_new", rc);
    if (with_flood) {
        if ((rc = mc_listener_new(p, NULL, on_packet, &received, &l)) < 0)
            lib_die("mc_listener_new", rc);
        child = flood(seconds + 2);
    }
    lt.start = now_ns();
    if ((rc = mc_timer_new(p, (uint32_t)period_ms, (uint32_t)period_ms, on_timer, &lt, &t)) < 0)
        lib_die("mc_timer_new", rc);
    end = lt.start + (uint64_t)seconds * 1000000000ull;
    while (now_ns() < end)
        if ((rc = mc_poll(p, 100)) < 0)
            lib_die("mc_poll", rc);
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    qsort(lt.late, lt.n, sizeof *lt.late, cmp_u64);
    printf("RESULT prog=lib_timer trial=lateness period_ms=%d flood=%d runs=%zu "
           "p50_us=%.1f p99_us=%.1f max_us=%.1f flood_received=%llu\n",
           period_ms, with_flood, lt.n, lt.n ? lt.late[lt.n / 2] / 1e3 : 0.0,
           lt.n ? lt.late[lt.n * 99 / 100] / 1e3 : 0.0,
           lt.n ? lt.late[lt.n - 1] / 1e3 : 0.0, (unsigned long long)received);
    mc_timer_close(t);
    if (l)
        mc_listener_close(l);
    mc_poller_free(p);
    free(lt.late);
}

/* CPU ns per mc_poll(p, 0) that finds nothing, with `armed` timers due in an hour. */
static double poll_cost(int armed)
{
    mc_poller *p;
    mc_timer **ts = calloc((size_t)armed + 1, sizeof *ts);
    lateness dummy;
    double u0, s0, u1, s1;
    int i, rc, polls = 200000;
    memset(&dummy, 0, sizeof dummy);
    if ((rc = mc_poller_new(&p)) < 0)
        lib_die("mc_poller_new", rc);
    for (i = 0; i < armed; i++)
        if ((rc = mc_timer_new(p, 3600000, 3600000, on_timer, &dummy, &ts[i])) < 0)
            lib_die("mc_timer_new", rc);
    cpu_times(&u0, &s0);
    for (i = 0; i < polls; i++)
        if ((rc = mc_poll(p, 0)) != 0)
            lib_die("mc_poll", rc);
    cpu_times(&u1, &s1);
    for (i = 0; i < armed; i++)
        mc_timer_close(ts[i]);
    mc_poller_free(p);
    free(ts);
    return ((u1 - u0) + (s1 - s0)) * 1e9 / polls;
}

int main(int argc, char **argv)
{
    int seconds = 2, timers = 10000, opt;
    double none, many;
    struct rlimit rl;
    require_private_netns("lib_timer");
    while ((opt = getopt(argc, argv, "s:N:")) != -1) {
        if (opt == 's')
            seconds = atoi(optarg);
        else if (opt == 'N')
            timers = atoi(optarg);
        else
            return 2;
    }
    /* 10,000 timerfds need the fd limit raised */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)timers + 64) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)timers + 64 ? rl.rlim_max : (rlim_t)timers + 64;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    lateness_trial(1, 0, seconds);
    lateness_trial(100, 0, seconds);
    lateness_trial(1, 1, seconds);
    lateness_trial(100, 1, seconds);
    none = poll_cost(0);
    many = poll_cost(timers);
    printf("RESULT prog=lib_timer trial=poll_cost timers=%d ns_per_poll=%.1f none_ns_per_poll=%.1f "
           "ratio=%.3f\n", timers, many, none, many / none);
    return 0;
}
