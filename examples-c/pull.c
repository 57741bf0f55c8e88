/* pull.c - pull mode: a listener without a callback, read with
   mc_listener_next (the seed's listen() generator: "listener.next()").

   Packets queue inside the library; mc_listener_next waits for the next one
   (polling the listener's poller meanwhile) and returns 1 with the packet, or
   0 when the timeout passes. The program sends its own three packets, then
   pulls until it has them all or a pull times out (one second each).
     tests/netns-run ./pull */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <multicast.h>

int main(void) {
    static const char *const texts[] = {"first", "second", "third"};
    const int n = (int)(sizeof texts / sizeof *texts);
    mc_listener *listener;
    const mc_packet *p;
    int i, rc, got = 0;

    /* on_packet NULL: pull mode, on the default poller and group */
    rc = mc_listener_new(NULL, NULL, NULL, NULL, &listener);
    if (rc < 0) goto fail;

    for (i = 0; i < n; i++) {
        rc = mc_sendto(texts[i], strlen(texts[i]), NULL, 0, -1);
        if (rc < 0) goto fail;
    }

    while (got < n) {
        char from[INET6_ADDRSTRLEN];
        rc = mc_listener_next(listener, &p, 1000);
        if (rc < 0) goto fail;
        if (rc == 0) {
            fprintf(stderr, "pull: no packet within 1 s\n");
            break;
        }
        got++;
        /* p and p->data stay valid until the next mc_listener_next */
        inet_ntop(p->from.family, p->from.ip, from, sizeof from);
        printf("next() = %.*s (%zu bytes from %s)\n", (int)p->len, (const char *)p->data,
               p->size, from);
    }
    printf("pulled %d of %d\n", got, n);
    mc_listener_close(listener);
    return got == n ? 0 : 1;
fail:
    fprintf(stderr, "pull: %s (%s)\n", mc_last_error(), mc_strerror(rc));
    return 1;
}
