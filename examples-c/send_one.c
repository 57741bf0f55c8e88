/* send_one.c - send one packet with mc_sendto (the seed's multicast.sendto()).

     send_one [TEXT]

   Sends TEXT (default "test") once to the default group 224.0.42.42:4242 with
   TTL 1 and exits. A listener started before it (mclisten 224.0.42.42 4242, or
   listen_one) sees it arrive; tests/examples.rs runs it that way. Try it inside
   a private network namespace (tests/netns-run): TTL 1 reaches the whole subnet. */
#include <stdio.h>
#include <string.h>

#include <multicast.h>

int main(int argc, char **argv) {
    const char *text = argc > 1 ? argv[1] : "test";
    /* group NULL, port 0 and ttl -1 mean the defaults: 224.0.42.42, 4242, 1 */
    int sent = mc_sendto(text, strlen(text), NULL, 0, -1);
    if (sent < 0) {
        fprintf(stderr, "send_one: %s (%s)\n", mc_last_error(), mc_strerror(sent));
        return 1;
    }
    printf("sent %d bytes to %s:%d: %s\n", sent, MC_DEFAULT_GROUP, MC_DEFAULT_PORT, text);
    return 0;
}
