/* mcping - multicast reachability: the ssmping protocol (draft-ietf-mboned-ssmping),
   client and server, IPv4 and IPv6; it works with the deployed ssmping, asmping
   and ssmpingd.

     mcping [-46qv] [-I IFACE] [-c COUNT] [-i INTERVAL] [-S SIZE] [-g GROUP] [-p PORT]
            [-W WAIT] HOST
     mcping -s [-46q] [-p PORT] [-n COUNT] [-w TIMEOUT]

   The client sends a request to HOST (UDP port 4321) every INTERVAL (default 1 s)
   and joins the channel (HOST, 232.43.211.234) -- IPv6: (HOST, ff3e::4321:1234)
   -- on the port its requests come from (asmping's way with -g GROUP: the group
   GROUP, any source, unless GROUP is source-specific). The server answers each
   request twice, unicast to the client and multicast to the group, so a reply
   per request and path shows what works:

       unicast from 192.0.2.2: seq=1 ttl=64 hops=0 time=0.370 ms
     multicast from 192.0.2.2: seq=1 ttl=63 hops=1 time=0.404 ms

   time is the round trip, hops the routers on the way: the servers send with
   TTL 64 (hops = 64 - ttl; 128 - ttl or 255 - ttl for larger TTLs). At the end
   (COUNT requests, SIGINT): sent, received, loss (multicast: since the first
   multicast reply, as the tree needs a moment to form), rtt min/avg/max/std-dev
   and hops, per path. Exit status: 0 multicast replies came, 1 none did (or a
   failure), 2 bad usage or a bad argument.

   -s answers ssmping, asmping and mcping clients on PORT (IPv4 and IPv6, or
   one with -4/-6), as ssmpingd does: the multicast reply goes to the group the
   request names (if it is an ssmping group: 232.x.x.234, ffXe::4321:1234, or
   the default) at the client's port, from the address the request was sent
   to (the library's sender, mc_opts_set_send_from), with TTL 64. One line per request (not with -q). It says "mcping:
   answering ..." on standard error once its sockets are bound; it exits after
   COUNT requests (-n), after TIMEOUT without one (-w), or on SIGINT/SIGTERM.
   -i and -W take seconds, -w milliseconds, or a number with a unit: 500ms,
   1.5s, 2m (parse_duration).

   The client receives the multicast replies through a libmulticast listener
   (source-specific join, received TTL, kernel receive timestamps); the unicast
   requests and replies, which the library does not do, use plain sockets.
   Try it inside a private network namespace: tests/netns-run. */
#define _GNU_SOURCE /* struct in_pktinfo, struct in6_pktinfo */
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "mcping.h"

/* (_GNU_SOURCE: getopt reads options after HOST too) */
static const char optstring[] = "h46qvsI:c:i:S:g:p:W:n:w:";

const char prog[] = "mcping";
const char iface_option[] = "-I IFACE";

static const char usage_line[] =
    "usage: mcping [-46qv] [-I IFACE] [-c COUNT] [-i INTERVAL] [-S SIZE] [-g GROUP] [-p PORT]\n"
    "              [-W WAIT] HOST\n"
    "       mcping -s [-46q] [-p PORT] [-n COUNT] [-w TIMEOUT]\n";

static const char usage_text[] =
    "Multicast reachability with the ssmping protocol: ask HOST (which runs ssmpingd\n"
    "or mcping -s) for replies, unicast and to a multicast group, and show per reply\n"
    "the round-trip time and the hops; or, with -s, answer such requests.\n"
    "\n"
    "  HOST          the server: a unicast IPv4 or IPv6 address or a name (the group\n"
    "                is -g GROUP's)\n"
    "  -4, -6        IPv4 only, IPv6 only\n"
    "  -c COUNT      send COUNT requests (default: until interrupted)\n"
    "  -i INTERVAL   between requests: seconds (default 1; decimals allowed, 0.01 or\n"
    "                more), or with a unit: 200ms, 2s (us, ms, s, m)\n"
    "  -W WAIT       after the last request, wait this long for replies: seconds\n"
    "                (default 1), or with a unit: 500ms, 2s\n"
    "  -I IFACE      join (and send) on this interface\n"
    "  -S SIZE       ask for replies of SIZE bytes (ssmping's -s)\n"
    "  -g GROUP      ask for the multicast replies on GROUP (any-source, as asmping;\n"
    "                the server accepts 224-239.x.x.234 and ffXe::4321:1234)\n"
    "  -p PORT       the server's port (default 4321)\n"
    "  -v            ask for the server's version\n"
    "  -q            quiet: only the summary\n"
    "  -s            server: answer requests (ssmpingd), from the address asked\n"
    "  -n COUNT      server: exit after COUNT requests\n"
    "  -w TIMEOUT    server: exit after TIMEOUT without a request: milliseconds, or\n"
    "                with a unit: 500ms, 10s, 5m\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit status: 0 multicast replies arrived (client) or the server ended normally,\n"
    "1 no multicast reply or a failure, 2 bad usage or argument.\n";

uint8_t *tlv(uint8_t *p, unsigned type, unsigned len, const void *value) {
    put_be16(p, type);
    put_be16(p + 2, len);
    if (len) {
        if (value) memcpy(p + 4, value, len);
        else memset(p + 4, 0, len);
    }
    return p + 4 + len;
}

const char *addr_text(const struct sockaddr *sa, char *out, size_t size) {
    if (getnameinfo(sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                  : sizeof(struct sockaddr_in),
                    out, (socklen_t)size, NULL, 0, NI_NUMERICHOST) != 0)
        snprintf(out, size, "?");
    return out;
}

unsigned sa_port(const struct sockaddr_storage *ss) {
    return ss->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)ss)->sin6_port)
                                     : ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

ssize_t recv_datagram(int fd, struct msghdr *mh, struct iovec *iov,
                      struct sockaddr_storage *from, void *control, size_t control_len) {
    memset(mh, 0, sizeof *mh);
    mh->msg_name = from;
    mh->msg_namelen = sizeof *from;
    mh->msg_iov = iov;
    mh->msg_iovlen = 1;
    mh->msg_control = control;
    mh->msg_controllen = control_len;
    return recvmsg(fd, mh, MSG_DONTWAIT);
}

/* -g GROUP: a literal IPv4 or IPv6 multicast address; otherwise a usage
   error naming -g (exit 2). Its family must be HOST's (run_client). */
static void check_group(const char *group) {
    unsigned char ip[16];
    if (inet_pton(AF_INET, group, ip) == 1) {
        if ((ip[0] & 0xf0) == 0xe0) return;
    } else if (inet_pton(AF_INET6, group, ip) == 1) {
        if (ip[0] == 0xff) return;
    } else {
        usage_error("bad GROUP (-g) \"", group, "\": not an IPv4 or IPv6 address");
    }
    usage_error("bad GROUP (-g) \"", group,
                "\": not a multicast address (IPv4 224.0.0.0/4 or IPv6 ff00::/8)");
}

int main(int argc, char **argv) {
    int opt, family = AF_UNSPEC, server = 0, quiet = 0, version = 0;
    long count = 0, port = SSMPING_PORT, size = 0;
    long long interval = NS_PER_S, wait_end = NS_PER_S, timeout = -1; /* ns; -1: none */
    const char *iface = NULL, *group = NULL;
    int client_only = 0, server_only = 0;

    long_options(argc, argv, optstring, usage_line, usage_text);
    opterr = 0;
    while ((opt = getopt(argc, argv, optstring)) != -1) {
        switch (opt) {
        case 'h': show_help(usage_line, usage_text); break;
        case '4': family = AF_INET; break;
        case '6': family = AF_INET6; break;
        case 'q': quiet = 1; break;
        case 'v': version = 1, client_only = 'v'; break;
        case 's': server = 1; break;
        case 'I': iface = optarg, client_only = 'I'; break;
        case 'c': count = parse_number(optarg, 1, INT_MAX, "COUNT"), client_only = 'c'; break;
        case 'i':
            interval = parse_duration(optarg, NS_PER_S, 10 * NS_PER_MS, 1000000 * NS_PER_S,
                                      "INTERVAL (-i)");
            client_only = 'i';
            break;
        case 'W':
            wait_end = parse_duration(optarg, NS_PER_S, NS_PER_MS, 1000000 * NS_PER_S,
                                      "WAIT (-W)");
            client_only = 'W';
            break;
        case 'S': size = parse_number(optarg, 1, 65507, "SIZE"), client_only = 'S'; break;
        case 'g': group = optarg, client_only = 'g'; break;
        case 'p': port = parse_number(optarg, 1, 65535, "PORT"); break;
        case 'n': count = parse_number(optarg, 1, INT_MAX, "COUNT"), server_only = 'n'; break;
        case 'w':
            timeout = parse_duration(optarg, NS_PER_MS, 0, 10000000 * NS_PER_S, "TIMEOUT (-w)");
            server_only = 'w';
            break;
        default: bad_option(optopt, "IciSgpWnw");
        }
    }
    if (server) {
        if (client_only) {
            char o[2] = {(char)client_only, '\0'};
            usage_error("option -", o, " is for the client, not with -s");
        }
        if (argc - optind > 0) usage_error("unexpected argument \"", argv[optind], "\" with -s");
        return run_server(family, port, count, timeout, quiet);
    }
    if (server_only) {
        char o[2] = {(char)server_only, '\0'};
        usage_error("option -", o, " is for the server (-s)");
    }
    if (argc - optind < 1) usage_error("HOST is required (or -s to answer requests)", "", "");
    if (argc - optind > 1) usage_error("unexpected argument \"", argv[optind + 1], "\"");
    if (group) check_group(group);
    return run_client(family, argv[optind], iface, count, interval, wait_end, (unsigned)size,
                      group, port, quiet, version);
}
