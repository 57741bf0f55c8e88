/* poller.c - the Poller, errors and version through libmulticast.so. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

#include "check.h"

struct counter { int reads, writes, last_fd; };

static void count_read(void *ud, int fd) {
    struct counter *c = ud;
    char buf[64];
    c->reads++;
    c->last_fd = fd;
    if (read(fd, buf, sizeof buf) < 0) { /* hang-up or error: nothing to read */ }
}
static void count_write(void *ud, int fd) {
    struct counter *c = ud;
    c->writes++;
    c->last_fd = fd;
}

static void test_errors_and_version(void) {
    const char *v = mc_version();
    unsigned a, b, c;
    CHECK(v && sscanf(v, "%u.%u.%u", &a, &b, &c) == 3);
    CHECK(strcmp(mc_last_error(), "") == 0);
    int codes[] = {MC_EINVAL, MC_EADDRESS, MC_EREGEX, MC_ENOTFOUND, MC_EEXIST,
                   MC_EBUSY, MC_ECLOSED, MC_EPANIC};
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        CHECK(codes[i] < -200); /* below every -errno */
        CHECK(mc_strerror(codes[i]) && *mc_strerror(codes[i]));
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(mc_strerror(codes[i]), mc_strerror(codes[j])) != 0);
    }
    CHECK(strstr(mc_strerror(-EADDRINUSE), "in use") != NULL);
    CHECK(strstr(mc_strerror(-EADDRINUSE), "EADDRINUSE") != NULL);
    CHECK(strcmp(mc_strerror(0), "success") == 0);
    /* the two codes that also answer for a listener's group/source pairs say so */
    CHECK(strstr(mc_strerror(MC_ENOTFOUND), "registered") && strstr(mc_strerror(MC_ENOTFOUND), "pair"));
    CHECK(strstr(mc_strerror(MC_EEXIST), "registered") && strstr(mc_strerror(MC_EEXIST), "pair"));
    CHECK(mc_strerror(12345) && mc_strerror(-99999) && mc_strerror(-1));
}

static void test_lifecycle(void) {
    mc_poller *p = (mc_poller *)1;
    CHECK_RC(mc_poller_new(NULL), MC_EINVAL);
    CHECK_MSG("out");
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK(p != NULL);
    CHECK(mc_poller_fd(p) >= 0);
    CHECK(mc_poller_fd(NULL) >= 0);                 /* the default poller */
    CHECK(mc_poller_fd(NULL) != mc_poller_fd(p));
    CHECK_RC(mc_poll(p, 0), 0);                     /* nothing registered */
    CHECK_RC(mc_loop(p, 0, 0), 0);                  /* returns: nothing registered */
    mc_poller_free(p);
    mc_poller_free(NULL);                           /* no-op */
}

static void test_register_errors(void) {
    mc_poller *p;
    struct counter c = {0, 0, -1};
    int fds[2];
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK(pipe(fds) == 0);
    CHECK_RC(mc_register(p, -1, 0, count_read, NULL, &c), MC_EINVAL);
    CHECK_MSG("-1");
    CHECK_RC(mc_register(p, fds[0], 0x100, count_read, NULL, &c), MC_EINVAL);
    CHECK_MSG("0x100");
    CHECK_RC(mc_register(p, 999, MC_READ, count_read, NULL, &c), -EBADF);
    CHECK_MSG("999");
    CHECK_MSG("EBADF");
    int file = open("/proc/self/status", O_RDONLY);
    CHECK_RC(mc_register(p, file, MC_READ, count_read, NULL, &c), -EPERM);
    close(file);
    CHECK_RC(mc_register(p, fds[0], 0, count_read, NULL, &c), 0);
    CHECK_RC(mc_register(p, fds[0], 0, count_read, NULL, &c), MC_EEXIST);
    CHECK_MSG("already registered");
    CHECK_RC(mc_modify(p, fds[1], MC_WRITE), MC_ENOTFOUND);
    CHECK_RC(mc_unregister(p, fds[1]), MC_ENOTFOUND);
    CHECK_MSG("not registered");
    CHECK_RC(mc_modify(p, fds[0], 0x8), MC_EINVAL);
    /* the failed calls left the registration working */
    CHECK(write(fds[1], "x", 1) == 1);
    CHECK_RC(mc_poll(p, 1000), 1);
    CHECK(c.reads == 1 && c.last_fd == fds[0]);
    /* modify to no interest: nothing dispatched although readable */
    CHECK(write(fds[1], "x", 1) == 1);
    CHECK_RC(mc_modify(p, fds[0], 0), 0);
    CHECK_RC(mc_poll(p, 0), 0);
    CHECK(c.reads == 1);
    CHECK_RC(mc_modify(p, fds[0], MC_READ), 0);
    CHECK_RC(mc_poll(p, 1000), 1);
    CHECK(c.reads == 2);
    CHECK_RC(mc_unregister(p, fds[0]), 0);
    CHECK_RC(mc_unregister(p, fds[0]), MC_ENOTFOUND);
    /* the poller never closes a user fd */
    CHECK(fcntl(fds[0], F_GETFD) >= 0);
    /* NULL handlers with flags: registered, nothing called */
    CHECK_RC(mc_register(p, fds[0], MC_READ, NULL, NULL, NULL), 0);
    CHECK_RC(mc_unregister(p, fds[0]), 0);
    mc_poller_free(p);
    close(fds[0]);
    close(fds[1]);
}

static void test_write_and_hangup(void) {
    mc_poller *p;
    struct counter c = {0, 0, -1}, h = {0, 0, -1};
    int fds[2];
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK(pipe(fds) == 0);
    CHECK_RC(mc_register(p, fds[1], 0, NULL, count_write, &c), 0);
    CHECK_RC(mc_poll(p, 1000), 1);
    CHECK(c.writes == 1 && c.last_fd == fds[1]);
    /* hang-up on the read end goes to on_write when there is no on_read */
    CHECK_RC(mc_register(p, fds[0], MC_READ, NULL, count_write, &h), 0);
    CHECK_RC(mc_unregister(p, fds[1]), 0);
    close(fds[1]);
    CHECK_RC(mc_poll(p, 1000), 1);
    CHECK(h.writes >= 1);
    CHECK_RC(mc_unregister(p, fds[0]), 0);
    close(fds[0]);
    /* error on a write end whose reader is gone goes to on_read */
    struct counter e = {0, 0, -1};
    CHECK(pipe(fds) == 0);
    close(fds[0]);
    CHECK_RC(mc_register(p, fds[1], 0, count_read, NULL, &e), 0);
    CHECK_RC(mc_poll(p, 1000), 1);
    CHECK(e.reads == 1);
    /* the program closes the fd without unregistering: the number can be
       registered again (a stale entry must not say MC_EEXIST) */
    close(fds[1]);
    int again[2];
    CHECK(pipe(again) == 0);
    int fd = again[0] == fds[1] ? again[0] : dup2(again[0], fds[1]);
    CHECK(fd == fds[1]);
    CHECK_RC(mc_register(p, fd, 0, count_read, NULL, &e), 0);
    mc_poller_free(p);
    close(again[0]);
    close(again[1]);
    if (fd != again[0]) close(fd);
}

/* --- reentrancy ----------------------------------------------------------- */

struct reent {
    mc_poller *p;
    int a[2], b[2];
    int a_calls, b_calls, new_b_calls;
    int poll_rc, loop_rc;
    int mode; /* 0: unregister b; 1: unregister and re-register b; 2: free poller; 3: reentrant poll */
};

static void on_b(void *ud, int fd) {
    struct reent *r = ud;
    char buf[8];
    r->b_calls++;
    if (read(fd, buf, sizeof buf) < 0) {}
}
static void on_new_b(void *ud, int fd) {
    struct reent *r = ud;
    char buf[8];
    r->new_b_calls++;
    if (read(fd, buf, sizeof buf) < 0) {}
}
static void on_a(void *ud, int fd) {
    struct reent *r = ud;
    char buf[8];
    r->a_calls++;
    if (read(fd, buf, sizeof buf) < 0) {}
    if (r->b_calls) return; /* b went first in this dispatch: nothing to test */
    switch (r->mode) {
    case 0:
        CHECK_RC(mc_unregister(r->p, r->b[0]), 0);
        break;
    case 1:
        CHECK_RC(mc_unregister(r->p, r->b[0]), 0);
        CHECK_RC(mc_register(r->p, r->b[0], 0, on_new_b, NULL, r), 0);
        break;
    case 2:
        mc_poller_free(r->p);
        CHECK(strlen(mc_last_error()) > 0);
        CHECK_MSG("mc_poller_free");
        break;
    case 3:
        r->poll_rc = mc_poll(r->p, 0);
        r->loop_rc = mc_loop(r->p, 0, 0);
        break;
    }
}

static void run_reent(int mode) {
    struct reent r;
    memset(&r, 0, sizeof r);
    r.mode = mode;
    CHECK_RC(mc_poller_new(&r.p), 0);
    CHECK(pipe(r.a) == 0 && pipe(r.b) == 0);
    CHECK_RC(mc_register(r.p, r.a[0], 0, on_a, NULL, &r), 0);
    CHECK_RC(mc_register(r.p, r.b[0], 0, on_b, NULL, &r), 0);
    /* both ready in one wait; epoll reports them in readiness order: a first */
    CHECK(write(r.a[1], "a", 1) == 1);
    CHECK(write(r.b[1], "b", 1) == 1);
    int n = mc_poll(r.p, 1000);
    CHECK(r.a_calls == 1);
    switch (mode) {
    case 0:
        CHECK(n == 1);
        CHECK(r.b_calls == 0);  /* unregistered inside the dispatch: no callback */
        break;
    case 1:
        CHECK(r.b_calls == 0 && r.new_b_calls == 0); /* no stale event */
        CHECK_RC(mc_poll(r.p, 1000), 1);              /* still readable: new one */
        CHECK(r.new_b_calls == 1);
        break;
    case 2:
        CHECK(n == 2 && r.b_calls == 1);   /* free was ignored: poller alive */
        CHECK(write(r.a[1], "a", 1) == 1);
        CHECK_RC(mc_poll(r.p, 1000), 1);
        break;
    case 3:
        CHECK(r.poll_rc == MC_EBUSY);
        CHECK(r.loop_rc == MC_EBUSY);
        break;
    }
    mc_poller_free(r.p);
    close(r.a[0]); close(r.a[1]); close(r.b[0]); close(r.b[1]);
}

/* --- loop, stop ------------------------------------------------------------- */

struct looper { mc_poller *p; int fds[2]; int calls; int notify; };

static void read_then_unregister(void *ud, int fd) {
    struct looper *l = ud;
    char buf[8];
    if (read(fd, buf, sizeof buf) < 0) {}
    l->calls++;
    if (l->calls == 3) CHECK_RC(mc_unregister(l->p, fd), 0);
    else CHECK(write(l->fds[1], "x", 1) == 1);
}

static void *stopper(void *arg) {
    struct looper *l = arg;
    char c;
    /* wait until the loop is running (a callback wrote here), then stop it */
    if (read(l->notify, &c, 1) != 1) return NULL;
    mc_stop(l->p);
    return NULL;
}

static void tick_and_notify(void *ud, int fd) {
    struct looper *l = ud;
    char buf[8];
    if (read(fd, buf, sizeof buf) < 0) {}
    l->calls++;
    CHECK(write(l->fds[1], "n", 1) == 1); /* tell the stopper thread */
}

static mc_poller *sig_poller;
static void on_sigusr1(int sig) { (void)sig; mc_stop(sig_poller); }
static void raise_signal(void *ud, int fd) {
    struct looper *l = ud;
    char buf[8];
    if (read(fd, buf, sizeof buf) < 0) {}
    l->calls++;
    raise(SIGUSR1);
}

static void test_loop_and_stop(void) {
    struct looper l;
    memset(&l, 0, sizeof l);
    CHECK_RC(mc_poller_new(&l.p), 0);
    CHECK(pipe(l.fds) == 0);
    /* ends when nothing is registered */
    CHECK_RC(mc_register(l.p, l.fds[0], 0, read_then_unregister, NULL, &l), 0);
    CHECK(write(l.fds[1], "x", 1) == 1);
    CHECK_RC(mc_loop(l.p, 1000, 1), 0);
    CHECK(l.calls == 3);

    /* mc_stop from another thread wakes a loop that waits forever */
    int idle[2], notify[2];
    CHECK(pipe(idle) == 0 && pipe(notify) == 0);
    struct looper s;
    memset(&s, 0, sizeof s);
    s.p = l.p;
    s.fds[0] = idle[0];
    s.fds[1] = notify[1];
    s.notify = notify[0];
    CHECK_RC(mc_register(l.p, idle[0], 0, tick_and_notify, NULL, &s), 0);
    CHECK(write(idle[1], "i", 1) == 1); /* one tick, then nothing ever again */
    pthread_t t;
    CHECK(pthread_create(&t, NULL, stopper, &s) == 0);
    CHECK_RC(mc_loop(l.p, -1, 0), 0);
    pthread_join(t, NULL);
    CHECK(s.calls == 1);

    /* mc_stop from a signal handler */
    sig_poller = l.p;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1;
    sigaction(SIGUSR1, &sa, NULL);
    CHECK_RC(mc_unregister(l.p, idle[0]), 0);
    struct looper g;
    memset(&g, 0, sizeof g);
    CHECK_RC(mc_register(l.p, idle[0], 0, raise_signal, NULL, &g), 0);
    CHECK(write(idle[1], "i", 1) == 1);
    CHECK_RC(mc_loop(l.p, -1, 0), 0);
    CHECK(g.calls == 1);

    /* a stop made while nothing polls ends the next loop at once */
    mc_stop(l.p);
    CHECK_RC(mc_loop(l.p, -1, 1000), 0);
    /* ... and only that one: the next poll waits its timeout */
    CHECK_RC(mc_poll(l.p, 0), 0);

    mc_poller_free(l.p);
    close(idle[0]); close(idle[1]); close(notify[0]); close(notify[1]);
    close(l.fds[0]); close(l.fds[1]);
}

static void test_default_poller(void) {
    struct counter c = {0, 0, -1};
    int fds[2];
    CHECK(pipe(fds) == 0);
    CHECK_RC(mc_register(NULL, fds[0], 0, count_read, NULL, &c), 0);
    CHECK(write(fds[1], "d", 1) == 1);
    CHECK_RC(mc_poll(NULL, 1000), 1);
    CHECK(c.reads == 1);
    CHECK_RC(mc_modify(NULL, fds[0], MC_READ), 0);
    CHECK_RC(mc_unregister(NULL, fds[0]), 0);
    mc_stop(NULL);
    CHECK_RC(mc_loop(NULL, -1, 0), 0);  /* nothing registered */
    CHECK_RC(mc_poll(NULL, 0), 0);      /* consumes the stop */
    close(fds[0]);
    close(fds[1]);
}

/* The opt-in coalescing and spinning change when a poll looks, never what it
   delivers; a stop still ends a coalescing pause. */
static void test_coalesce_and_spin(void) {
    mc_poller *p;
    struct counter c = {0, 0, -1};
    int fds[2];
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK_RC(mc_poller_set_coalesce_us(p, 1000001), MC_EINVAL);
    CHECK_MSG("1000001");
    CHECK_RC(mc_poller_set_spin_us(p, 2000000), MC_EINVAL);
    CHECK_RC(mc_poller_set_coalesce_us(NULL, 0), 0);  /* the default poller */
    CHECK_RC(mc_poller_set_spin_us(NULL, 0), 0);
    CHECK(pipe(fds) == 0);
    CHECK_RC(mc_register(p, fds[0], 0, count_read, NULL, &c), 0);
    CHECK_RC(mc_poller_set_coalesce_us(p, 2000), 0);
    for (int i = 1; i <= 3; i++) {
        CHECK(write(fds[1], "x", 1) == 1);
        CHECK_RC(mc_poll(p, 1000), 1);
        CHECK(c.reads == i);
    }
    CHECK_RC(mc_poller_set_coalesce_us(p, 0), 0);
    CHECK_RC(mc_poller_set_spin_us(p, 200), 0);
    CHECK(write(fds[1], "x", 1) == 1);
    CHECK_RC(mc_poll(p, 1000), 1);
    CHECK(c.reads == 4);
    CHECK_RC(mc_poll(p, 1), 0);  /* spins, then waits out its timeout */
    CHECK_RC(mc_poller_set_spin_us(p, 0), 0);
    /* a 1 s coalescing pause after an event is cut short by mc_stop */
    CHECK_RC(mc_poller_set_coalesce_us(p, 1000000), 0);
    CHECK(write(fds[1], "x", 1) == 1);
    CHECK_RC(mc_poll(p, 1000), 1);
    mc_stop(p);
    CHECK_RC(mc_loop(p, -1, 0), 0);
    CHECK(c.reads == 5);
    mc_poller_free(p);
    close(fds[0]);
    close(fds[1]);
}

int main(void) {
    require_private_netns();
    test_errors_and_version(); /* first: it checks that no error is set yet */
    test_coalesce_and_spin();
    test_lifecycle();
    test_register_errors();
    test_write_and_hangup();
    for (int mode = 0; mode < 4; mode++) run_reent(mode);
    test_loop_and_stop();
    test_default_poller();
    return check_done("poller");
}
