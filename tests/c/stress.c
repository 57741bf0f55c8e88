/* stress.c - bounded stress of the C API, inside the private namespace
 * of tests/netns-run (lo only). Figures are printed, never asserted.
 *
 *   stress flood   8 threads each send 125,000 datagrams with mc_sendto
 *                       (one per call: no GSO), round robin over 8 groups, while
 *                       the main thread runs 8 listeners (one per group) and one
 *                       more that holds all 8 groups (mc_listener_add_group), all
 *                       with GRO off (so the kernel counts drops per datagram).
 *                       After the senders finished and every socket is drained:
 *                       per group delivered + kernel_drops == sent (less what the
 *                       kernel dropped before any socket: its backlog drops,
 *                       /proc/net/softnet_stat), the all-groups listener's sum
 *                       agrees, every datagram reached only its own group's
 *                       listener, none twice.
 *   stress many    1000 listeners on one poller, each on its own group and
 *                       port, each receives exactly the one datagram sent to it;
 *                       all closed, the fd count is back where it started.
 * Every wait is bounded; a watchdog ends a run that hangs. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

#include "wire.h"

#define THREADS 8
#define GROUPS 8
#define PER_THREAD 125000
#define PAYLOAD 64
#define FLOOD_PORT 9300
#define LIMIT_MS 120000

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Packets the kernel dropped before any socket saw them, machine-wide
   (the second column of /proc/net/softnet_stat, summed over CPUs). */
static uint64_t backlog_drops(void) {
    FILE *f = fopen("/proc/net/softnet_stat", "r");
    unsigned processed, dropped;
    uint64_t sum = 0;
    char rest[512];
    if (!f) return 0;
    while (fscanf(f, "%x %x", &processed, &dropped) == 2) {
        sum += dropped;
        if (!fgets(rest, sizeof rest, f)) break;
    }
    fclose(f);
    return sum;
}

static void hung(void *arg) {
    fprintf(stderr, "stress %s: still running after %d ms: giving up\n", (const char *)arg,
            LIMIT_MS);
    _exit(3);
}

/* --- flood ----------------------------------------------------------------- */

static char flood_groups[GROUPS][16];

struct sender {
    pthread_t thread;
    int index;
    uint64_t sent[GROUPS];
    uint64_t failed;
    int first_error;
};

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static int senders_done;

static void *send_main(void *arg) {
    struct sender *s = arg;
    uint8_t buf[PAYLOAD];
    memset(buf, 0xa5, sizeof buf);
    for (uint32_t seq = 0; seq < PER_THREAD; seq++) {
        int g = (int)((s->index + seq) % GROUPS);
        buf[0] = (uint8_t)s->index;
        buf[1] = (uint8_t)g;
        memcpy(buf + 2, &seq, sizeof seq);
        int rc = mc_sendto(buf, sizeof buf, flood_groups[g], FLOOD_PORT, 1);
        if (rc == (int)sizeof buf) {
            s->sent[g]++;
        } else {
            if (!s->failed) s->first_error = rc;
            s->failed++;
        }
    }
    pthread_mutex_lock(&done_lock);
    senders_done++;
    pthread_mutex_unlock(&done_lock);
    return NULL;
}

static int all_sent(void) {
    pthread_mutex_lock(&done_lock);
    int done = senders_done == THREADS;
    pthread_mutex_unlock(&done_lock);
    return done;
}

/* What one listener saw: per group counts, and a bit per (thread, seq) per
   group for duplicates. */
struct seen {
    int group;            /* the one group of a per-group listener; -1: all */
    uint32_t group_ip[GROUPS];
    uint64_t got[GROUPS];
    uint64_t wrong;       /* another group's datagram, or a malformed one */
    uint64_t twice;
    uint8_t *bits;        /* GROUPS * THREADS * PER_THREAD bits */
};

static int on_flood(void *ud, const mc_packet *p) {
    struct seen *s = ud;
    uint32_t seq, ip;
    if (p->len != PAYLOAD || p->size != PAYLOAD || p->data[0] >= THREADS ||
        p->data[1] >= GROUPS) {
        s->wrong++;
        return 0;
    }
    int t = p->data[0], g = p->data[1];
    memcpy(&seq, p->data + 2, sizeof seq);
    memcpy(&ip, p->group.ip, sizeof ip);
    if (seq >= PER_THREAD || (s->group >= 0 && g != s->group) || ip != s->group_ip[g]) {
        s->wrong++;
        return 0;
    }
    size_t bit = ((size_t)g * THREADS + (size_t)t) * PER_THREAD + seq;
    if (s->bits[bit / 8] & (1u << (bit % 8))) s->twice++;
    s->bits[bit / 8] |= (uint8_t)(1u << (bit % 8));
    s->got[g]++;
    return 0;
}

static size_t pending(mc_listener *l) {
    int n = 0, fd = mc_listener_fd(l);
    if (fd < 0 || ioctl(fd, FIONREAD, &n) != 0) return 1;
    return (size_t)n;
}

static void flood(void) {
    mc_poller *p = NULL;
    mc_listener *ls[GROUPS + 1];
    struct seen seen[GROUPS + 1];
    struct sender snd[THREADS];
    mc_listener_stats st;
    mc_listener_counts cn;
    size_t bits = (size_t)GROUPS * THREADS * PER_THREAD / 8 + 1;

    CHECK_RC(mc_poller_new(&p), 0);
    memset(seen, 0, sizeof seen);
    for (int g = 0; g < GROUPS; g++) snprintf(flood_groups[g], sizeof flood_groups[g], "239.77.0.%d", g + 1);
    for (int i = 0; i <= GROUPS; i++) {
        seen[i].group = i < GROUPS ? i : -1;
        seen[i].bits = calloc(bits, 1);
        CHECK(seen[i].bits != NULL);
        for (int g = 0; g < GROUPS; g++)
            CHECK(inet_pton(AF_INET, flood_groups[g], &seen[i].group_ip[g]) == 1);
        mc_opts *o = opts_for(flood_groups[i < GROUPS ? i : 0], FLOOD_PORT);
        CHECK_RC(mc_opts_set_gro(o, 0), 0);
        CHECK_RC(mc_listener_new(p, o, on_flood, &seen[i], &ls[i]), 0);
        mc_opts_free(o);
    }
    for (int g = 1; g < GROUPS; g++) CHECK_RC(mc_listener_add_group(ls[GROUPS], flood_groups[g], NULL), 0);
    CHECK_RC(mc_listener_group_count(ls[GROUPS]), GROUPS);
    CHECK_RC(mc_listener_get_counts(ls[GROUPS], &cn), 0);
    if (check_failures) return;

    uint64_t backlog0 = backlog_drops();
    double t0 = now_s();
    memset(snd, 0, sizeof snd);
    for (int t = 0; t < THREADS; t++) {
        snd[t].index = t;
        CHECK(pthread_create(&snd[t].thread, NULL, send_main, &snd[t]) == 0);
    }
    while (!all_sent()) CHECK(mc_poll(p, 10) >= 0);
    for (int t = 0; t < THREADS; t++) pthread_join(snd[t].thread, NULL);
    double t_sent = now_s();
    /* drain: until a poll finds no socket ready (and the first socket of each
       listener, by FIONREAD, holds nothing) */
    long end = now_ms() + 10000;
    for (;;) {
        int rc = mc_poll(p, 0);
        size_t left = 0;
        for (int i = 0; i <= GROUPS; i++) left += pending(ls[i]);
        if (rc == 0 && left == 0) break;
        if (now_ms() > end) {
            CHECK(!"sockets not drained within 10 s");
            break;
        }
    }
    double t_drained = now_s();
    uint64_t backlog = backlog_drops() - backlog0;

    uint64_t sent[GROUPS] = {0}, total = 0, failed = 0;
    for (int t = 0; t < THREADS; t++) {
        for (int g = 0; g < GROUPS; g++) sent[g] += snd[t].sent[g];
        failed += snd[t].failed;
        if (snd[t].failed)
            fprintf(stderr, "sender %d: %llu sends failed, first %d (%s)\n", t,
                    (unsigned long long)snd[t].failed, snd[t].first_error,
                    mc_strerror(snd[t].first_error));
    }
    for (int g = 0; g < GROUPS; g++) total += sent[g];
    CHECK(failed == 0);
    CHECK(total == (uint64_t)THREADS * PER_THREAD);
    printf("flood: %llu datagrams of %d bytes sent by %d threads in %.2f s (%.0f/s), "
           "drained %.2f s later; kernel backlog drops (machine-wide) %llu; the all-groups "
           "listener holds %llu sockets\n",
           (unsigned long long)total, PAYLOAD, THREADS, t_sent - t0, total / (t_sent - t0),
           t_drained - t_sent, (unsigned long long)backlog, (unsigned long long)cn.sockets);

    uint64_t gap_sum = 0, delivered_sum = 0;
    for (int i = 0; i <= GROUPS; i++) {
        struct seen *s = &seen[i];
        uint64_t want = 0, got = 0;
        CHECK_RC(mc_listener_get_stats(ls[i], &st), 0);
        for (int g = 0; g < GROUPS; g++) {
            got += s->got[g];
            if (i == GROUPS || g == i) want += sent[g];
            else CHECK(s->got[g] == 0);
        }
        CHECK(s->wrong == 0);
        CHECK(s->twice == 0);
        CHECK(st.delivered == got);
        CHECK(st.received == got && st.filtered == 0 && st.truncated == 0);
        CHECK(got > 0);
        /* what the socket had: delivered or counted as a kernel drop */
        CHECK(st.delivered + st.kernel_drops <= want);
        uint64_t gap = want - (st.delivered + st.kernel_drops);
        CHECK(gap <= backlog);
        if (i < GROUPS) {
            gap_sum += gap;
            delivered_sum += st.delivered;
        } else {
            /* a datagram lost before the sockets is lost to both listeners */
            CHECK(gap == gap_sum);
        }
        printf("flood: %s %-10s sent %7llu delivered %7llu kernel_drops %7llu "
               "(%.1f%%) not seen by the socket %llu\n",
               i < GROUPS ? "listener" : "all-8   ", i < GROUPS ? flood_groups[i] : "(8 groups)",
               (unsigned long long)want, (unsigned long long)st.delivered,
               (unsigned long long)st.kernel_drops, want ? 100.0 * st.kernel_drops / want : 0.0,
               (unsigned long long)gap);
    }
    printf("flood: the 8 per-group listeners delivered %llu of %llu (%.0f/s received on one "
           "thread, plus the all-groups listener's)\n",
           (unsigned long long)delivered_sum, (unsigned long long)total,
           delivered_sum / (t_drained - t0));
    for (int i = 0; i <= GROUPS; i++) {
        mc_listener_close(ls[i]);
        free(seen[i].bits);
    }
    mc_poller_free(p);
}

/* --- many listeners ------------------------------------------------------------ */

#define MANY 1000
#define MANY_PORT 20000

struct slot {
    int index;
    int got;
    int wrong;
    uint32_t ip;
};

static int on_many(void *ud, const mc_packet *p) {
    struct slot *s = ud;
    int idx = -1;
    uint32_t ip;
    memcpy(&ip, p->group.ip, sizeof ip);
    if (p->len == sizeof idx) memcpy(&idx, p->data, sizeof idx);
    if (idx != s->index || ip != s->ip || p->group.port != MANY_PORT + s->index) s->wrong++;
    s->got++;
    return 0;
}

static void many_group(int i, char *buf, size_t cap) {
    snprintf(buf, cap, "239.88.%d.%d", i / 250, i % 250 + 1);
}

static void many(void) {
    static struct slot slots[MANY];
    static mc_listener *ls[MANY];
    mc_poller *p = NULL;
    char group[32];
    struct rlimit rl;

    /* 1000 sockets and a few more: past a soft limit of 1024 */
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    if (rl.rlim_cur < 4096 && rl.rlim_max > rl.rlim_cur) {
        rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
        CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    }
    /* mc_sendto's socket is cached for the process: make it before counting */
    CHECK_RC(mc_sendto("w", 1, "239.88.99.1", MANY_PORT, 1), 1);
    int fds0 = count_fds();
    double t0 = now_s();
    CHECK_RC(mc_poller_new(&p), 0);
    /* what a poller keeps once it has had a listener (its interface watcher) */
    mc_opts *o1 = opts_for("239.88.99.1", MANY_PORT);
    CHECK_RC(mc_listener_new(p, o1, on_many, &slots[0], &ls[0]), 0);
    mc_listener_close(ls[0]);
    mc_opts_free(o1);
    int fds_poller = count_fds();
    for (int i = 0; i < MANY; i++) {
        many_group(i, group, sizeof group);
        slots[i].index = i;
        CHECK(inet_pton(AF_INET, group, &slots[i].ip) == 1);
        mc_opts *o = opts_for(group, (uint16_t)(MANY_PORT + i));
        int rc = mc_listener_new(p, o, on_many, &slots[i], &ls[i]);
        mc_opts_free(o);
        if (rc != 0) {
            CHECK_RC(rc, 0);
            for (int j = 0; j < i; j++) mc_listener_close(ls[j]);
            mc_poller_free(p);
            return;
        }
    }
    double t_created = now_s();
    int fds_open = count_fds();
    CHECK(fds_open - fds_poller >= MANY);
    for (int i = 0; i < MANY; i++) {
        many_group(i, group, sizeof group);
        CHECK_RC(mc_sendto(&i, sizeof i, group, (uint16_t)(MANY_PORT + i), 1), (int)sizeof i);
    }
    /* until every listener has its datagram (bounded), then 200 ms more for
       any that must not come */
    long end = now_ms() + WAIT_MS;
    int have = 0;
    while (have < MANY && now_ms() < end) {
        CHECK(mc_poll(p, 20) >= 0);
        have = 0;
        for (int i = 0; i < MANY; i++) have += slots[i].got > 0;
    }
    double t_received = now_s();
    quiet(p, QUIET_MS);
    int missing = 0, extra = 0, wrong = 0;
    for (int i = 0; i < MANY; i++) {
        missing += slots[i].got == 0;
        extra += slots[i].got > 1;
        wrong += slots[i].wrong;
    }
    CHECK(missing == 0);
    CHECK(extra == 0);
    CHECK(wrong == 0);
    for (int i = 0; i < MANY; i++) mc_listener_close(ls[i]);
    double t_closed = now_s();
    int fds_closed = count_fds();
    CHECK(fds_closed == fds_poller);
    CHECK_RC(mc_poll(p, 0), 0);
    mc_poller_free(p);
    int fds_end = count_fds();
    CHECK(fds_end == fds0);
    printf("many: %d listeners created in %.2f s, each got its datagram in %.2f s "
           "(missing %d, extra %d, wrong %d), closed in %.2f s; fds %d, with the poller %d, "
           "%d open, %d closed, %d after mc_poller_free\n",
           MANY, t_created - t0, t_received - t_created, missing, extra, wrong,
           t_closed - t_received - QUIET_MS / 1000.0, fds0, fds_poller, fds_open, fds_closed,
           fds_end);
}

int main(int argc, char **argv) {
    struct watchdog w;
    const char *mode = argc > 1 ? argv[1] : "";
    require_private_netns();
    if (strcmp(mode, "flood") != 0 && strcmp(mode, "many") != 0) {
        fprintf(stderr, "usage: stress flood|many\n");
        return 2;
    }
    watchdog_start(&w, LIMIT_MS, hung, (void *)mode);
    if (strcmp(mode, "flood") == 0) flood();
    else many();
    watchdog_end(&w);
    return check_done(strcmp(mode, "flood") == 0 ? "stress flood" : "stress many");
}
