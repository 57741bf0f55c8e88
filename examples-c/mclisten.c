/* mclisten - join a multicast group and print every datagram that arrives.

     mclisten [-i IFACE|*] [-s SOURCE] [-f REGEX] [-n COUNT] [-x] [-w TIMEOUT_MS]
              [-m MTU] GROUP PORT

   Prints one line per datagram on standard output:

     14:02:11.493021 127.0.0.1:48213 -> 239.1.2.3:5000 lo 11 bytes: hello world

   the local time of arrival, the sender's address:port, the group:port it was
   sent to, the interface it arrived on, its size ("N bytes, truncated to M"
   when it was longer than the MTU), and the payload: as text with the bytes
   that are not printable ASCII escaped (\n, \t, \\, \xNN), or in hex with -x.
   Once the group is joined it says "mclisten: listening on ..." on standard
   error, so a script can start the sender after that line.

   It stops after COUNT datagrams (exit 0), when TIMEOUT_MS milliseconds pass
   without a datagram (exit 1), or on SIGINT/SIGTERM (exit 0); then it prints
   the listener's counters on standard error. Bad usage or a bad argument
   exits 2 with the library's message (mc_last_error()).
   Try it inside a private network namespace: tests/netns-run. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <multicast.h>

static const char usage_text[] =
    "usage: mclisten [-i IFACE|*] [-s SOURCE] [-f REGEX] [-n COUNT] [-x] [-w TIMEOUT_MS]\n"
    "                [-m MTU] GROUP PORT\n"
    "Join the multicast GROUP at PORT and print one line per datagram: time, source\n"
    "address:port, group:port, interface, size, and the payload.\n"
    "\n"
    "  GROUP          IPv4 224.0.0.0/4 or IPv6 ff00::/8 literal; GROUP%IFACE sets the\n"
    "                 interface too (ff02::1%eth0: link-local groups need one)\n"
    "  PORT           1..65535\n"
    "  -i IFACE       join on this interface: a name (eth0), an index, or one of its\n"
    "                 addresses; \"*\" joins on every interface that is up with the\n"
    "                 MULTICAST flag (default: the system's choice)\n"
    "  -s SOURCE      source-specific multicast: only datagrams from SOURCE\n"
    "  -f REGEX       print only datagrams whose bytes match REGEX at their start\n"
    "                 (Rust regex syntax; ${ip}, ${port}, ${mtu} are this listener's)\n"
    "  -n COUNT       exit 0 after COUNT datagrams (default: never)\n"
    "  -x             print the payload in hex instead of escaped text\n"
    "  -w TIMEOUT_MS  exit 1 when TIMEOUT_MS milliseconds pass without a datagram\n"
    "  -m MTU         bytes read per datagram, 1..65535 (default 4096); longer ones\n"
    "                 are truncated and reported as such\n"
    "  -h, --help     show this help\n"
    "\n"
    "Says \"mclisten: listening on ...\" on standard error once joined; its counters\n"
    "on standard error at exit. Exit status: 0 COUNT datagrams arrived (or SIGINT/\n"
    "SIGTERM), 1 timeout or failure, 2 bad usage or argument.\n";

static const char *prog = "mclisten";

/* "PROG: <what><arg><end>" and a usage line on stderr; exits 2. */
static void usage_error(const char *what, const char *arg, const char *end) {
    fprintf(stderr, "%s: %s%s%s", prog, what, arg, end);
    fprintf(stderr, "\nusage: mclisten [-i IFACE|*] [-s SOURCE] [-f REGEX] [-n COUNT] [-x] "
                    "[-w TIMEOUT_MS] [-m MTU] GROUP PORT  (mclisten --help for more)\n");
    exit(2);
}

static long parse_number(const char *s, long min, long max, const char *what) {
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "%s: bad %s \"%s\": expected a number from %ld to %ld\n", prog, what,
                s, min, max);
        exit(2);
    }
    return v;
}

/* A failed library call: the library's message, exit 2 for a bad argument
   (address, value, pattern), 1 for anything else (the OS refused). */
static void lib_error(int code) {
    const char *msg = mc_last_error();
    fprintf(stderr, "%s: %s\n", prog, msg[0] ? msg : mc_strerror(code));
    exit(code == MC_EADDRESS || code == MC_EINVAL || code == MC_EREGEX ? 2 : 1);
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "127.0.0.1:5000" or "[fe80::1%eth0]:5000" */
static void format_addr(const mc_addr *a, char *out, size_t size) {
    char ip[INET6_ADDRSTRLEN] = "?";
    char scope[IF_NAMESIZE + 16] = "";
    if (a->family == AF_INET || a->family == AF_INET6)
        inet_ntop(a->family, a->ip, ip, sizeof ip);
    if (a->family == AF_INET6 && a->scope_id != 0) {
        char name[IF_NAMESIZE];
        if (if_indextoname(a->scope_id, name))
            snprintf(scope, sizeof scope, "%%%s", name);
        else
            snprintf(scope, sizeof scope, "%%%u", (unsigned)a->scope_id);
    }
    if (a->family == AF_INET6)
        snprintf(out, size, "[%s%s]:%u", ip, scope, (unsigned)a->port);
    else
        snprintf(out, size, "%s:%u", ip, (unsigned)a->port);
}

static void print_text(const uint8_t *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        uint8_t c = p[i];
        switch (c) {
        case '\\': fputs("\\\\", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        default:
            if (c >= 0x20 && c < 0x7f)
                putchar(c);
            else
                printf("\\x%02x", c);
        }
    }
}

static void print_hex(const uint8_t *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) printf("%02x", p[i]);
}

struct state {
    mc_poller *poller;
    mc_listener *listener;
    long count;          /* 0: no limit */
    long seen;
    int hex;
    int done;            /* COUNT reached: the listener closed itself */
    long long last;      /* monotonic ms of the last datagram (or the start) */
    mc_listener_stats stats;
};

static volatile sig_atomic_t interrupted;
static mc_poller *signal_poller;

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
    mc_stop(signal_poller); /* async-signal-safe: one write(2) */
}

static int on_packet(void *user_data, const mc_packet *p) {
    struct state *st = user_data;
    char from[INET6_ADDRSTRLEN + IF_NAMESIZE + 16], group[INET6_ADDRSTRLEN + IF_NAMESIZE + 16];
    char iface[IF_NAMESIZE] = "?", stamp[32] = "";
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (localtime_r(&ts.tv_sec, &tm)) strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
    format_addr(&p->from, from, sizeof from);
    format_addr(&p->group, group, sizeof group);
    if (p->ifindex == 0 || !if_indextoname(p->ifindex, iface))
        snprintf(iface, sizeof iface, "#%u", (unsigned)p->ifindex);

    printf("%s.%06ld %s -> %s %s %zu bytes", stamp, ts.tv_nsec / 1000, from, group, iface,
           p->size);
    if (p->size > p->len) printf(", truncated to %zu", p->len);
    fputs(": ", stdout);
    if (st->hex)
        print_hex(p->data, p->len);
    else
        print_text(p->data, p->len);
    putchar('\n');
    fflush(stdout);

    st->seen++;
    st->last = now_ms();
    if (st->count > 0 && st->seen >= st->count) {
        /* read the counters now: returning non-zero closes and frees the listener */
        mc_listener_get_stats(st->listener, &st->stats);
        st->done = 1;
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *iface = NULL, *source = NULL, *filter = NULL;
    char *group, *scope;
    long port, timeout = -1, mtu = 0;
    struct state st;
    mc_opts *opts;
    struct sigaction sa;
    int opt, i, rc, timed_out = 0;

    memset(&st, 0, sizeof st);
    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
    }
    opterr = 0;
    while ((opt = getopt(argc, argv, "hi:s:f:n:xw:m:")) != -1) {
        switch (opt) {
        case 'h': fputs(usage_text, stdout); return 0;
        case 'i': iface = optarg; break;
        case 's': source = optarg; break;
        case 'f': filter = optarg; break;
        case 'n': st.count = parse_number(optarg, 1, LONG_MAX, "COUNT"); break;
        case 'x': st.hex = 1; break;
        case 'w': timeout = parse_number(optarg, 0, INT_MAX, "TIMEOUT_MS"); break;
        case 'm': mtu = parse_number(optarg, 1, 65535, "MTU"); break;
        default: {
            char o[2] = {(char)optopt, '\0'};
            if (strchr("isfnwm", optopt))
                usage_error("option -", o, " needs a value");
            usage_error("unknown option -", o, "");
        }
        }
    }
    if (argc - optind < 2) usage_error("GROUP and PORT are required", "", "");
    if (argc - optind > 2) usage_error("unexpected argument \"", argv[optind + 2], "\"");
    group = argv[optind];
    port = parse_number(argv[optind + 1], 1, 65535, "PORT");
    scope = strchr(group, '%');
    if (scope) {
        *scope++ = '\0';
        if (iface && strcmp(iface, scope) != 0) {
            fprintf(stderr, "%s: interface given twice: -i %s and %%%s\n", prog, iface, scope);
            return 2;
        }
        iface = scope;
    }

    opts = mc_opts_new();
    if (!opts) lib_error(MC_EINVAL);
    if ((rc = mc_opts_set_group(opts, group)) < 0) lib_error(rc);
    if ((rc = mc_opts_set_port(opts, (uint16_t)port)) < 0) lib_error(rc);
    if (mtu > 0 && (rc = mc_opts_set_mtu(opts, (size_t)mtu)) < 0) lib_error(rc);
    if (iface && (rc = mc_opts_set_interface(opts, iface)) < 0) lib_error(rc);
    if (source && (rc = mc_opts_set_source(opts, source)) < 0) lib_error(rc);

    if ((rc = mc_poller_new(&st.poller)) < 0) lib_error(rc);
    rc = mc_listener_new(st.poller, opts, on_packet, &st, &st.listener);
    mc_opts_free(opts);
    if (rc < 0) lib_error(rc);
    if (filter && (rc = mc_listener_set_filter_regex(st.listener, filter)) < 0) lib_error(rc);

    signal_poller = st.poller;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    fprintf(stderr, "%s: listening on %s%s%s:%ld (%s%s%s%s%s)\n", prog,
            strchr(group, ':') ? "[" : "", group, strchr(group, ':') ? "]" : "", port,
            !iface ? "the system's interface"
                   : strcmp(iface, "*") == 0 ? "every multicast interface" : "interface ",
            iface && strcmp(iface, "*") != 0 ? iface : "", source ? ", source " : "",
            source ? source : "", filter ? ", filtered" : "");
    fflush(stderr);

    st.last = now_ms();
    while (!st.done && !interrupted) {
        int wait = -1;
        if (timeout >= 0) {
            long long left = st.last + timeout - now_ms();
            if (left <= 0) {
                timed_out = 1;
                break;
            }
            wait = left > INT_MAX ? INT_MAX : (int)left;
        }
        rc = mc_poll(st.poller, wait);
        if (rc < 0) {
            fprintf(stderr, "%s: %s\n", prog, mc_last_error());
            mc_poller_free(st.poller);
            return 1;
        }
    }
    if (!st.done) mc_listener_get_stats(st.listener, &st.stats);
    fprintf(stderr,
            "%s: %ld datagrams printed; %llu received, %llu filtered, %llu truncated, "
            "%llu dropped by the kernel\n",
            prog, st.seen, (unsigned long long)st.stats.received,
            (unsigned long long)st.stats.filtered, (unsigned long long)st.stats.truncated,
            (unsigned long long)st.stats.kernel_drops);
    if (timed_out) {
        if (st.count > 0)
            fprintf(stderr, "%s: no datagram for %ld ms: got %ld of %ld\n", prog, timeout,
                    st.seen, st.count);
        else
            fprintf(stderr, "%s: no datagram for %ld ms\n", prog, timeout);
    }
    sa.sa_handler = SIG_DFL; /* no mc_stop on a freed poller */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    mc_poller_free(st.poller); /* closes the listener if it is still open */
    return timed_out ? 1 : 0;
}
