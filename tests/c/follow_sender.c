/* follow_sender.c CASE - senders follow the system's interfaces (the setting:
 * follow.h). Cases:
 *   sender   a multicaster and mc_sendto_opts given "mc0" by name still
 *            reach the peer after mc0 was re-created; 20 more re-creations
 *            leave no socket behind
 */
#define _GNU_SOURCE
#include "follow.h"

/* Starts a child in the peer netns that counts what a plain socket joined to
   group:port receives within timeout_ms (up to count); returns the read end of
   a pipe: first a byte once it is joined, then the count (an int). */
static int peer_receives(const char *group, int port, int count, int timeout_ms) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork_to_peer();
    if (pid == 0) {
        int s = raw_receiver(group, (uint16_t)port, 0);
        if (s < 0) _exit(4);
        if (write(fds[1], "r", 1) != 1) _exit(5);
        int n = 0;
        long end = now_ms() + timeout_ms;
        while (n < count && now_ms() < end) {
            char buf[64];
            struct pollfd pf = {s, POLLIN, 0};
            if (poll(&pf, 1, 20) == 1 && recv(s, buf, sizeof buf, 0) > 0) n++;
        }
        if (write(fds[1], &n, sizeof n) != sizeof n) _exit(6);
        _exit(0);
    }
    close(fds[1]);
    return pid < 0 ? -1 : fds[0];
}

static int multicaster_next(void *ud, const uint8_t **data, size_t *len) {
    int *left = ud;
    if (*left <= 0) return MC_NEXT_WAIT;
    (*left)--;
    *data = (const uint8_t *)"mcast";
    *len = 5;
    return MC_NEXT_PACKET;
}

/* Waits for the child's "joined" byte. */
static void wait_ready(int fd) {
    char r;
    CHECK(read(fd, &r, 1) == 1);
}

static void test_sender(void) {
    mc_poller *p = NULL;
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("239.5.5.7", 5507);
    CHECK_RC(mc_opts_set_interface(o, "mc0"), 0);
    CHECK_RC(mc_opts_set_loopback(o, 0), 0);
    int left = 0;
    mc_multicaster *m = NULL;
    CHECK_RC(mc_multicaster_new(p, o, multicaster_next, &left, &m), 0);
    for (int round = 0; round < 2; round++) {
        if (round == 1) {
            delete_mc0();
            create_mc0(1);
        }
        int fd = peer_receives("239.5.5.7", 5507, 2, 3000);
        wait_ready(fd);                 /* the peer's socket is joined */
        CHECK_RC(mc_sendto_opts(o, "opts", 4), 4);
        left = 1;
        CHECK_RC(mc_multicaster_resume(m), 0);
        long end = now_ms() + 2000;
        while (left > 0 && now_ms() < end) mc_poll(p, 10);
        quiet(p, 50);
        int n = -1;
        CHECK(read(fd, &n, sizeof n) == sizeof n);
        close(fd);
        while (waitpid(-1, NULL, WNOHANG) > 0) {}
        printf("sender round %d: the peer got %d of 2\n", round, n);
        CHECK(n == 2);
    }
    /* 20 more re-creations, a send by name after each: the cached send socket follows
       the name (re-pointed), so no socket of a dead index piles up */
    int fds = count_fds();
    for (int i = 0; i < 20; i++) {
        delete_mc0();
        create_mc0(1);
        CHECK_RC(mc_sendto_opts(o, "opts", 4), 4);
    }
    printf("sender: open fds %d before 20 re-creations, %d after\n", fds, count_fds());
    CHECK(count_fds() == fds);
    mc_multicaster_close(m);
    mc_opts_free(o);
    mc_poller_free(p);
}

CHECK_MAIN("follow_sender", { "sender", test_sender })
