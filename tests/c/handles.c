/* handles.c - the reliability defects of 0.1, each a check that failed there:
 *  1. closed handles: a second close (after on_packet's non-zero answer, after
 *     MC_NEXT_DONE, after mc_poller_free, after an explicit close) is a no-op and
 *     every other call is MC_ECLOSED; a stale handle never reaches a newer object;
 *     100,000 create/close cycles leave the fd count and the RSS flat;
 *  2. mc_sendto_many checks every packet before sending any;
 *  3. mc_listener_next inside a callback of its poller (its filter too) is MC_EBUSY;
 *  4. fork: the child's default poller is a new one, and a poll never returns
 *     without waiting because of an event it cannot dispatch;
 *  5. timeouts below -1 and negative intervals are MC_EINVAL.
 * Run under valgrind too (with MC_TEST_CYCLES lowered): no invalid read or write. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include "wire.h"

#define GROUP "239.9.9.1"

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1) break;
    fclose(f);
    return kb;
}

static int got;
static int stop_now(void *ud, const mc_packet *p) { (void)ud; (void)p; got++; return 1; }
static int keep(void *ud, const mc_packet *p) { (void)ud; (void)p; got++; return 0; }

static void send_one(uint16_t port) {
    CHECK_RC(mc_sendto("x", 1, GROUP, port, 1), 1);
}

/* Every call on a closed listener: MC_ECLOSED; close: no-op (twice). */
static void check_closed_listener(mc_listener *l) {
    mc_listener_stats st;
    const mc_packet *pk = NULL;
    CHECK_RC(mc_listener_get_stats(l, &st), MC_ECLOSED);
    CHECK_RC(mc_listener_fd(l), MC_ECLOSED);
    CHECK_RC(mc_listener_recv_buffer(l), MC_ECLOSED);
    CHECK_RC(mc_listener_set_filter(l, NULL, NULL), MC_ECLOSED);
    CHECK_RC(mc_listener_set_filter_regex(l, "x"), MC_ECLOSED);
    CHECK_RC(mc_listener_next(l, &pk, 0), MC_ECLOSED);
    mc_listener_close(l);
    mc_listener_close(l);
    CHECK_RC(mc_listener_fd(l), MC_ECLOSED);
}

static int next_done(void *ud, const uint8_t **data, size_t *len) {
    int *n = ud;
    if ((*n)++ >= 3) return MC_NEXT_DONE;
    *data = (const uint8_t *)"m";
    *len = 1;
    return MC_NEXT_PACKET;
}

static void closed_handles(void) {
    mc_poller *p = NULL;
    mc_listener *l = NULL, *l2 = NULL;
    mc_multicaster *m = NULL;
    int asked = 0;
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for(GROUP, 7001);

    /* closed by on_packet's answer */
    got = 0;
    CHECK_RC(mc_listener_new(p, o, stop_now, NULL, &l), 0);
    send_one(7001);
    CHECK(wait_for(p, &got, 1));
    check_closed_listener(l);

    /* closed explicitly, twice, outside any callback */
    CHECK_RC(mc_listener_new(p, o, keep, NULL, &l), 0);
    mc_listener_close(l);
    check_closed_listener(l);

    /* a stale handle never reaches the newer listener (same memory, likely) */
    CHECK_RC(mc_listener_new(p, o, keep, NULL, &l), 0);
    mc_listener_close(l);
    CHECK_RC(mc_listener_new(p, o, keep, NULL, &l2), 0);
    CHECK(l != l2);
    CHECK_RC(mc_listener_fd(l), MC_ECLOSED);
    mc_listener_close(l);            /* must not close l2 */
    CHECK(mc_listener_fd(l2) >= 0);
    got = 0;
    send_one(7001);
    CHECK(wait_for(p, &got, 1));     /* l2 still listens */
    /* a handle of the other kind, and a value that never was a handle */
    CHECK_RC(mc_multicaster_resume((mc_multicaster *)l2), MC_EINVAL);
    CHECK_MSG("listener");
    CHECK_RC(mc_listener_fd((mc_listener *)&asked), MC_EINVAL);
    CHECK_MSG("not a listener handle");
    mc_listener_close((mc_listener *)&asked);   /* not a handle: no-op, no crash */

    /* a multicaster after MC_NEXT_DONE */
    CHECK_RC(mc_multicaster_new(p, o, next_done, &asked, &m), 0);
    for (int i = 0; i < 100 && mc_multicaster_resume(m) == 0; i++) mc_poll(p, 10);
    CHECK(asked == 4);
    CHECK_RC(mc_multicaster_resume(m), MC_ECLOSED);
    CHECK_RC(mc_multicaster_send(m, "x", 1), MC_ECLOSED);
    CHECK_RC(mc_multicaster_get_counts(m, NULL, NULL), MC_ECLOSED);
    mc_multicaster_close(m);
    mc_multicaster_close(m);

    /* handles after mc_poller_free */
    CHECK_RC(mc_multicaster_new(p, o, next_done, &asked, &m), 0);
    mc_poller_free(p);
    check_closed_listener(l2);
    CHECK_RC(mc_multicaster_resume(m), MC_ECLOSED);
    mc_multicaster_close(m);
    mc_opts_free(o);
}

/* 100,000 create/close cycles (fewer under valgrind): fds and RSS flat. */
static void cycles(void) {
    const char *env = getenv("MC_TEST_CYCLES");
    long n = env ? atol(env) : 100000;
    mc_poller *p = NULL;
    mc_listener *l = NULL, *first = NULL;
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for(GROUP, 7002);
    /* warm up: caches, the poller's slab, the allocator */
    for (int i = 0; i < 1000; i++) {
        CHECK_RC(mc_listener_new(p, o, keep, NULL, &l), 0);
        mc_listener_close(l);
    }
    int fds = count_fds();
    long rss = rss_kb();
    CHECK_RC(mc_listener_new(p, o, keep, NULL, &first), 0);
    mc_listener_close(first);
    for (long i = 0; i < n; i++) {
        mc_listener *x = NULL;
        mc_multicaster *m = NULL;
        int asked = 0;
        if (mc_listener_new(p, o, keep, NULL, &x) != 0) {
            CHECK(!"mc_listener_new failed during cycles");
            break;
        }
        mc_listener_close(x);
        mc_listener_close(x);
        if (i % 10 == 0) {
            CHECK_RC(mc_multicaster_new(p, o, next_done, &asked, &m), 0);
            mc_multicaster_close(m);
            mc_multicaster_close(m);
        }
    }
    CHECK_RC(mc_listener_fd(first), MC_ECLOSED); /* never reused */
    int fds_after = count_fds();
    long rss_after = rss_kb();
    printf("cycles: %ld listener + %ld multicaster create/close; fds %d -> %d; RSS %ld -> %ld kB\n",
           n, n / 10, fds, fds_after, rss, rss_after);
    CHECK(fds_after == fds);
    if (!getenv("MC_UNDER_VALGRIND")) CHECK(rss_after - rss < 2048);
    mc_opts_free(o);
    mc_poller_free(p);
}

/* 2: mc_sendto_many checks every packet first. */
static void send_many_checks(void) {
    mc_poller *p = NULL;
    mc_listener *l = NULL;
    static char big[70000];
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for(GROUP, 7003);
    CHECK_RC(mc_listener_new(p, o, keep, NULL, &l), 0);
    mc_buf bad_len[3] = {{"a", 1}, {"b", SIZE_MAX}, {"c", 1}};
    CHECK_RC(mc_sendto_many(bad_len, 3, GROUP, 7003, 1), MC_EINVAL);
    CHECK_MSG("packets[1]");
    mc_buf too_big[3] = {{"a", 1}, {big, sizeof big}, {"c", 1}};
    CHECK_RC(mc_sendto_many(too_big, 3, GROUP, 7003, 1), -EMSGSIZE);
    CHECK_MSG("packets[1]");
    CHECK_MSG("70000");
    CHECK_MSG("65507");
    mc_buf null_data[2] = {{"a", 1}, {NULL, 3}};
    CHECK_RC(mc_sendto_many(null_data, 2, GROUP, 7003, 1), MC_EINVAL);
    CHECK_RC(mc_sendto(big, sizeof big, GROUP, 7003, 1), -EMSGSIZE);
    CHECK_MSG("65507");
    CHECK_RC(mc_sendto(big, 65508, "ff15::7", 7003, 1), -ENETUNREACH);  /* v6 allows more */
    got = 0;
    quiet(p, QUIET_MS);
    CHECK(got == 0);       /* nothing of the refused batches went out */
    mc_buf ok[2] = {{"a", 1}, {big, 65507}};
    CHECK_RC(mc_sendto_many(ok, 2, GROUP, 7003, 1), 2);
    CHECK(wait_for(p, &got, 2));
    mc_opts_free(o);
    mc_poller_free(p);
}

/* 3: mc_listener_next inside a callback of the same poller is MC_EBUSY. */
static mc_listener *PULL;
static int next_rc_in_filter = 1, next_rc_in_io = 1, filter_calls;
static int filter_pulls(void *ud, const mc_packet *pk) {
    const mc_packet *got_pk = NULL;
    (void)ud;
    filter_calls++;
    next_rc_in_filter = mc_listener_next(PULL, &got_pk, 0);
    return pk->len == 1 && pk->data[0] == 'y';   /* accept only "y" */
}
static void io_pulls(void *ud, int fd) {
    const mc_packet *got_pk = NULL;
    uint64_t v;
    (void)ud;
    if (read(fd, &v, sizeof v) < 0) {}
    next_rc_in_io = mc_listener_next(PULL, &got_pk, 0);
}

static void next_busy(void) {
    mc_poller *p = NULL;
    const mc_packet *pk = NULL;
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for(GROUP, 7004);
    CHECK_RC(mc_listener_new(p, o, NULL, NULL, &PULL), 0);
    CHECK_RC(mc_listener_set_filter(PULL, filter_pulls, NULL), 0);
    CHECK_RC(mc_sendto("n", 1, GROUP, 7004, 1), 1);
    CHECK_RC(mc_sendto("y", 1, GROUP, 7004, 1), 1);
    CHECK_RC(mc_listener_next(PULL, &pk, WAIT_MS), 1);
    CHECK(pk && pk->len == 1 && pk->data[0] == 'y');  /* the filtered one never */
    CHECK(filter_calls == 2);
    CHECK_RC(next_rc_in_filter, MC_EBUSY);
    /* from another registration's callback, with packets queued */
    CHECK_RC(mc_sendto("y", 1, GROUP, 7004, 1), 1);
    CHECK_RC(mc_sendto("y", 1, GROUP, 7004, 1), 1);
    CHECK_RC(mc_listener_next(PULL, &pk, WAIT_MS), 1);   /* one read, one queued */
    int efd = eventfd(1, EFD_NONBLOCK);
    CHECK_RC(mc_register(p, efd, 0, io_pulls, NULL, NULL), 0);
    CHECK(mc_poll(p, WAIT_MS) >= 1);
    CHECK_RC(next_rc_in_io, MC_EBUSY);
    CHECK_MSG("inside a callback");
    CHECK_RC(mc_listener_next(PULL, &pk, WAIT_MS), 1);   /* still there */
    CHECK_RC(mc_unregister(p, efd), 0);
    close(efd);
    mc_opts_free(o);
    mc_poller_free(p);
}

/* 5: timeouts. */
static void timeouts(void) {
    mc_poller *p = NULL;
    mc_listener *l = NULL;
    const mc_packet *pk = NULL;
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK_RC(mc_poll(p, -2), MC_EINVAL);
    CHECK_MSG("-2");
    CHECK_RC(mc_poll(p, INT_MIN), MC_EINVAL);
    CHECK_RC(mc_loop(p, INT_MIN, 0), MC_EINVAL);
    CHECK_RC(mc_loop(p, 0, -1), MC_EINVAL);
    CHECK_MSG("interval_ms -1");
    mc_opts *o = opts_for(GROUP, 7005);
    CHECK_RC(mc_listener_new(p, o, NULL, NULL, &l), 0);
    CHECK_RC(mc_listener_next(l, &pk, -5), MC_EINVAL);
    CHECK_RC(mc_listener_next(l, &pk, INT_MIN), MC_EINVAL);
    CHECK_RC(mc_listener_next(l, &pk, 0), 0);
    CHECK_RC(mc_poll(p, 0), 0);
    mc_opts_free(o);
    mc_poller_free(p);
}

/* Polls p for ms and counts the returns: a poll that waits returns a few
   times; one that spins on an undispatchable event, thousands. */
static int returns_within(mc_poller *p, int ms) {
    int n = 0;
    long end = now_ms() + ms;
    while (now_ms() < end && n < 100000) {
        mc_poll(p, 50);
        n++;
    }
    return n;
}

/* 4: fork. */
static void forks(void) {
    mc_listener *l = NULL;
    int to_child[2], to_parent[2];
    CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
    mc_opts *o = opts_for(GROUP, 7006);
    got = 0;
    CHECK_RC(mc_listener_new(NULL, o, keep, NULL, &l), 0);   /* the default poller */
    int parent_epoll = mc_poller_fd(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* The child: a new default poller, not the parent's epoll set. */
        char c;
        int bad = 0;
        mc_listener *cl = NULL;
        int fd = mc_poller_fd(NULL);
        if (fd < 0 || fd == parent_epoll) bad |= 1;
        if (mc_listener_new(NULL, o, keep, NULL, &cl) != 0) bad |= 2;
        /* registrations the child makes never reach the parent's set */
        int efd = eventfd(1, EFD_NONBLOCK);
        if (mc_register(NULL, efd, MC_READ, NULL, NULL, NULL) != 0) bad |= 4;
        /* the parent's listener is not served here: poll sees only the child's */
        if (mc_sendto("c", 1, GROUP, 7006, 1) != 1) bad |= 8;
        got = 0;
        for (int i = 0; i < 100 && got < 1; i++) mc_poll(NULL, 20);
        if (got != 1) bad |= 16;           /* only cl counted (keep is shared code) */
        if (write(to_parent[1], "r", 1) != 1) bad |= 32;
        if (read(to_child[0], &c, 1) != 1) bad |= 64;   /* the parent measured */
        mc_unregister(NULL, efd);
        mc_listener_close(cl);
        /* closing the parent's listener here must not touch the parent's set */
        mc_listener_close(l);
        mc_opts_free(o);
        _exit(bad);
    }
    char c;
    CHECK(read(to_parent[0], &c, 1) == 1);
    /* The child registered a readable eventfd on its own default poller: the
       parent's poll must wait, not spin. */
    int n = returns_within(NULL, 300);
    printf("fork: the parent's mc_poll(50 ms) returned %d times in 300 ms\n", n);
    CHECK(n < 50);
    CHECK(write(to_child[1], "g", 1) == 1);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (WIFEXITED(status) && WEXITSTATUS(status)) fprintf(stderr, "child status bits %d\n", WEXITSTATUS(status));
    /* the parent's listener still works after the child closed its copy */
    got = 0;
    CHECK_RC(mc_sendto("p", 1, GROUP, 7006, 1), 1);
    CHECK(wait_for(NULL, &got, 1));
    mc_listener_close(l);
    mc_opts_free(o);
}

/* An explicit poller shared across fork: the child adds to the shared epoll
   set (the program's choice); the parent's poll rebuilds its own set and
   waits instead of spinning on events it cannot dispatch. */
static void shared_poller_never_spins(void) {
    mc_poller *p = NULL;
    int sync[2];
    CHECK(pipe(sync) == 0);
    CHECK_RC(mc_poller_new(&p), 0);
    int dummy = eventfd(0, EFD_NONBLOCK);
    CHECK_RC(mc_register(p, dummy, MC_READ, NULL, NULL, NULL), 0);
    pid_t pid = fork();
    if (pid == 0) {
        int efd = eventfd(1, EFD_NONBLOCK);   /* readable for good */
        int bad = mc_register(p, efd, MC_READ, NULL, NULL, NULL) != 0;
        if (write(sync[1], "r", 1) != 1) bad = 1;
        _exit(bad);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int fd_before = mc_poller_fd(p);
    int n = returns_within(p, 300);
    printf("shared poller: mc_poll(50 ms) returned %d times in 300 ms\n", n);
    CHECK(n < 50);
    CHECK(mc_poller_fd(p) == fd_before);
    /* its own registration still works after the rebuild */
    uint64_t one = 1;
    CHECK(write(dummy, &one, sizeof one) == sizeof one);
    CHECK(mc_poll(p, WAIT_MS) == 1);
    CHECK_RC(mc_unregister(p, dummy), 0);
    close(dummy);
    mc_poller_free(p);
}

int main(void) {
    require_private_netns();
    closed_handles();
    send_many_checks();
    next_busy();
    timeouts();
    forks();
    shared_poller_never_spins();
    cycles();
    return check_done("handles");
}
