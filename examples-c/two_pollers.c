/* two_pollers.c - two pollers in one program, each run by its own thread
   (the seed: "for implementing multiple polling loops, multiple instances of
   the Poller class can be created").

   Poller A has a listener on 224.0.42.42:4242, poller B one on 224.0.42.43:4242:
   the same port, two groups, and each listener gets only its own group's
   packets. The main thread creates both (so both groups are joined), sends
   three packets to each group with mc_sendto (thread-safe), then runs one
   thread per poller; each loop ends when its listener has had three packets,
   or after five seconds. A poller and its objects are used by one thread at a
   time: here main hands each poller to its thread and takes it back at join.
     tests/netns-run ./two_pollers */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <multicast.h>

#define PER_GROUP 3

struct loop {
    const char *name;   /* "A" or "B" */
    const char *group;
    mc_poller *poller;
    mc_listener *listener;
    int got;            /* packets of its own group */
    int foreign;        /* packets meant for the other poller (must stay 0) */
    int rc;             /* the last mc_poll error, or 0 */
};

static int on_packet(void *user_data, const mc_packet *p) {
    struct loop *lp = user_data;
    char prefix[16];
    snprintf(prefix, sizeof prefix, "for %s ", lp->name);
    if (p->len >= strlen(prefix) && memcmp(p->data, prefix, strlen(prefix)) == 0)
        lp->got++;
    else
        lp->foreign++;
    printf("poller %s got: %.*s\n", lp->name, (int)p->len, (const char *)p->data);
    fflush(stdout);
    return lp->got == PER_GROUP; /* non-zero: close the listener */
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Each thread polls its own poller; nothing else touches it meanwhile. */
static void *run_loop(void *arg) {
    struct loop *lp = arg;
    long long deadline = now_ms() + 5000;
    while (lp->got < PER_GROUP && now_ms() < deadline) {
        int rc = mc_poll(lp->poller, 100);
        if (rc < 0) {
            lp->rc = rc;
            break;
        }
    }
    return NULL;
}

static int setup(struct loop *lp) {
    mc_opts *opts = mc_opts_new();
    int rc = opts ? mc_opts_set_group(opts, lp->group) : MC_EINVAL;
    if (rc >= 0) rc = mc_poller_new(&lp->poller);
    if (rc >= 0) rc = mc_listener_new(lp->poller, opts, on_packet, lp, &lp->listener);
    mc_opts_free(opts);
    return rc;
}

int main(void) {
    struct loop loops[2] = {
        {"A", "224.0.42.42", NULL, NULL, 0, 0, 0},
        {"B", "224.0.42.43", NULL, NULL, 0, 0, 0},
    };
    pthread_t threads[2];
    int i, j, rc, ok = 1;

    for (i = 0; i < 2; i++) {
        rc = setup(&loops[i]);
        if (rc < 0) {
            fprintf(stderr, "two_pollers: %s (%s)\n", mc_last_error(), mc_strerror(rc));
            mc_poller_free(loops[0].poller);
            mc_poller_free(loops[1].poller);
            return 1;
        }
    }
    /* interleaved: A1 B1 A2 B2 A3 B3 */
    for (j = 1; j <= PER_GROUP; j++) {
        for (i = 0; i < 2; i++) {
            char text[32];
            int n = snprintf(text, sizeof text, "for %s #%d", loops[i].name, j);
            rc = mc_sendto(text, (size_t)n, loops[i].group, MC_DEFAULT_PORT, MC_TTL_SUBNET);
            if (rc < 0) {
                fprintf(stderr, "two_pollers: %s\n", mc_last_error());
                return 1;
            }
        }
    }
    for (i = 0; i < 2; i++) {
        if (pthread_create(&threads[i], NULL, run_loop, &loops[i]) != 0) {
            fprintf(stderr, "two_pollers: pthread_create failed\n");
            return 1;
        }
    }
    for (i = 0; i < 2; i++) pthread_join(threads[i], NULL);

    for (i = 0; i < 2; i++) {
        struct loop *lp = &loops[i];
        printf("poller %s (%s): %d of %d packets, %d foreign\n", lp->name, lp->group, lp->got,
               PER_GROUP, lp->foreign);
        if (lp->rc < 0) fprintf(stderr, "two_pollers: poller %s: %s\n", lp->name, mc_strerror(lp->rc));
        if (lp->got != PER_GROUP || lp->foreign != 0 || lp->rc < 0) ok = 0;
        mc_poller_free(lp->poller); /* closes the listener if it is still open */
    }
    return ok ? 0 : 1;
}
