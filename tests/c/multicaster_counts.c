/* multicaster_counts.c - a multicaster keeps going past a packet the OS refuses,
   and says so in mc_multicaster_get_counts. */
#include <stdint.h>

#include "check.h"

static uint8_t huge[70000];
static uint8_t small[100];

struct feed { int i; };

static int next(void *ud, const uint8_t **data, size_t *len) {
    struct feed *f = ud;
    switch (f->i++) {
    case 0: case 2: *data = small; *len = sizeof small; return MC_NEXT_PACKET;
    case 1: *data = huge; *len = sizeof huge; return MC_NEXT_PACKET; /* EMSGSIZE */
    case 3: return MC_NEXT_WAIT;
    default: return MC_NEXT_DONE;
    }
}

static int count(void *ud, const mc_packet *p) {
    (void)p;
    ++*(int *)ud;
    return 0;
}

int main(void) {
    require_private_netns();
    mc_poller *p;
    mc_listener *l;
    mc_multicaster *m;
    struct feed f = {0};
    int got = 0;
    uint64_t sent = 99, failed = 99;
    mc_opts *o = mc_opts_new();
    CHECK_RC(mc_opts_set_port(o, 7020), 0);
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK_RC(mc_listener_new(p, o, count, &got, &l), 0);
    CHECK_RC(mc_multicaster_new(p, o, next, &f, &m), 0);
    CHECK_RC(mc_multicaster_get_counts(m, &sent, &failed), 0);
    CHECK(sent == 0 && failed == 0 && f.i == 0); /* next not called by new */
    for (int i = 0; i < 20 && got < 2; i++) CHECK(mc_poll(p, 200) >= 0);
    CHECK(got == 2);
    CHECK_RC(mc_multicaster_get_counts(m, &sent, NULL), 0);
    CHECK_RC(mc_multicaster_get_counts(m, NULL, &failed), 0);
    CHECK(sent == 2 && failed == 1);
    CHECK(f.i == 4); /* waiting: not asked again */
    CHECK_RC(mc_multicaster_get_counts(NULL, &sent, &failed), MC_EINVAL);
    CHECK_RC(mc_multicaster_resume(m), 0);
    CHECK_RC(mc_poll(p, 1000), 1); /* asked again: DONE, it frees itself */
    CHECK(f.i == 5);
    mc_listener_close(l);
    CHECK_RC(mc_loop(p, 0, 0), 0);  /* nothing left registered */
    mc_poller_free(p);
    mc_opts_free(o);
    return check_done("multicaster_counts");
}
