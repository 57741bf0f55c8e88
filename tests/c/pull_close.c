/* pull_close.c - mc_listener_next runs callbacks (its listener's filter,
   other registrations while it waits); they may close the listener and may
   not poll or free the poller. Run under valgrind: no invalid reads. */
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "check.h"

static mc_poller *P;
static mc_listener *L;
static int poll_rc, filter_calls;

static int filter_closes(void *ud, const mc_packet *p) {
    (void)ud; (void)p;
    filter_calls++;
    mc_listener_close(L);
    return 1;
}

static int filter_reenters(void *ud, const mc_packet *p) {
    (void)ud; (void)p;
    filter_calls++;
    poll_rc = mc_poll(P, 0);
    mc_poller_free(P);          /* ignored: P is dispatching */
    return 1;
}

static void close_listener(void *ud, int fd) {
    uint64_t v;
    (void)ud;
    if (read(fd, &v, sizeof v) < 0) {}
    mc_listener_close(L);
}

static mc_listener *pull(mc_opts *o, int port) {
    mc_listener *l = NULL;
    CHECK_RC(mc_opts_set_port(o, (uint16_t)port), 0);
    CHECK_RC(mc_listener_new(P, o, NULL, NULL, &l), 0);
    return l;
}

int main(void) {
    require_private_netns();
    const mc_packet *pk;
    mc_opts *o = mc_opts_new();
    CHECK_RC(mc_opts_set_group(o, "239.8.8.8"), 0);

    /* the filter closes its own listener during next's first read */
    CHECK_RC(mc_poller_new(&P), 0);
    L = pull(o, 7101);
    CHECK_RC(mc_listener_set_filter(L, filter_closes, NULL), 0);
    CHECK_RC(mc_sendto_opts(o, "a", 1), 1);
    CHECK_RC(mc_sendto_opts(o, "b", 1), 1);
    pk = (const mc_packet *)o;
    CHECK_RC(mc_listener_next(L, &pk, 0), MC_ECLOSED);
    CHECK(filter_calls == 1);   /* no callback after the close */
    CHECK_RC(mc_loop(P, 0, 0), 0); /* nothing left registered */
    mc_poller_free(P);

    /* another registration's callback closes the listener while next waits */
    CHECK_RC(mc_poller_new(&P), 0);
    L = pull(o, 7102);
    int efd = eventfd(0, EFD_NONBLOCK);
    uint64_t one = 1;
    CHECK_RC(mc_register(P, efd, 0, close_listener, NULL, NULL), 0);
    CHECK(write(efd, &one, sizeof one) == sizeof one);
    CHECK_RC(mc_listener_next(L, &pk, 2000), MC_ECLOSED);
    CHECK_RC(mc_unregister(P, efd), 0);
    close(efd);
    mc_poller_free(P);

    /* the filter tries to poll and to free the poller: refused */
    filter_calls = 0;
    CHECK_RC(mc_poller_new(&P), 0);
    L = pull(o, 7103);
    CHECK_RC(mc_listener_set_filter(L, filter_reenters, NULL), 0);
    CHECK_RC(mc_sendto_opts(o, "c", 1), 1);
    CHECK_RC(mc_listener_next(L, &pk, 1000), 1);
    CHECK(pk && pk->len == 1 && pk->data[0] == 'c');
    CHECK(filter_calls == 1);
    CHECK(poll_rc == MC_EBUSY);
    CHECK_RC(mc_listener_next(L, &pk, 0), 0); /* the poller is alive */
    mc_poller_free(P);

    mc_opts_free(o);
    return check_done("pull_close");
}
