/* listen_one.c - listen for a single packet and quit (the seed's Printer).

   A listener on the default poller whose filter accepts every packet and whose
   handler prints the packet and returns non-zero: "stop listening", which closes
   and frees the listener. To be runnable on its own, the program then sends its
   own packet with mc_sendto and polls (for at most five seconds) until the
   listener has printed it. Run it inside a private network namespace:
     tests/netns-run ./listen_one [TEXT] */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <multicast.h>

struct printer { int done; };

/* filter = lambda packet, addr: True */
static int accept_all(void *user_data, const mc_packet *packet) {
    (void)user_data;
    (void)packet;
    return 1;
}

/* handle_packet: print it, return non-zero to stop listening */
static int handle_packet(void *user_data, const mc_packet *packet) {
    struct printer *printer = user_data;
    printf("%.*s\n", (int)packet->len, (const char *)packet->data);
    fflush(stdout);
    printer->done = 1;
    return 1;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
    const char *text = argc > 1 ? argv[1] : "test";
    struct printer printer = {0};
    mc_listener *listener;
    long long deadline;
    int rc;

    /* Printer(): NULL poller = the default poller, NULL opts = 224.0.42.42:4242 */
    rc = mc_listener_new(NULL, NULL, handle_packet, &printer, &listener);
    if (rc < 0) goto fail;
    rc = mc_listener_set_filter(listener, accept_all, NULL);
    if (rc < 0) goto fail;

    /* sendto('test') */
    rc = mc_sendto(text, strlen(text), NULL, 0, -1);
    if (rc < 0) goto fail;

    /* poll() until the Printer has stopped; bounded */
    deadline = now_ms() + 5000;
    while (!printer.done && now_ms() < deadline) {
        rc = mc_poll(NULL, 100);
        if (rc < 0) goto fail;
    }
    if (!printer.done) {
        fprintf(stderr, "listen_one: no packet within 5 s\n");
        mc_listener_close(listener);
        return 1;
    }
    /* the listener closed itself when handle_packet returned non-zero */
    return 0;
fail:
    fprintf(stderr, "listen_one: %s (%s)\n", mc_last_error(), mc_strerror(rc));
    return 1;
}
