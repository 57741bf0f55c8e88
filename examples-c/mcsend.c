/* mcsend - send text to a multicast group.

     mcsend [-i IFACE] [-t TTL] [-c COUNT] [-p] [-L] GROUP PORT [TEXT|-]

   Sends TEXT as one datagram, COUNT times (default 1). With "-" or no TEXT it
   reads standard input and sends each line (without its newline) as one
   datagram, COUNT times each. Prints one line per datagram sent.

     mcsend 239.1.2.3 5000 hello                # TTL 1, the system's interface
     mcsend -i eth0 -t 4 -c 3 -p 239.1.2.3 5000 hello   # "1 hello", "2 hello"...
     printf 'a\nb\n' | mcsend ff02::42%eth0 5000 -      # IPv6 link-local scope

   An IPv6 group of interface- or link-local scope (ff01::/16, ff02::/16) needs
   an interface: -i IFACE, or GROUP%IFACE as in ff02::1%eth0.
   Prints what it sent, escaping bytes that are not printable ASCII (\t, \xNN).
   Exit status: 0 all sent, 1 a send failed, 2 bad usage or a bad argument.
   Built on mc_sendto_opts(): one cached, configured socket, one syscall per
   datagram. Try it inside a private network namespace: tests/netns-run. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <multicast.h>

#define MAX_DATAGRAM 65507 /* the largest UDP payload over IPv4 */

static const char usage_text[] =
    "usage: mcsend [-i IFACE] [-t TTL] [-c COUNT] [-p] [-L] GROUP PORT [TEXT|-]\n"
    "Send TEXT (or, with \"-\" or no TEXT, each line of standard input) as one\n"
    "datagram to the multicast GROUP at PORT, COUNT times.\n"
    "\n"
    "  GROUP      IPv4 224.0.0.0/4 or IPv6 ff00::/8 literal; GROUP%IFACE sets the\n"
    "             interface too (ff02::1%eth0: link-local groups need one)\n"
    "  PORT       1..65535\n"
    "  -i IFACE   send on this interface: a name (eth0), an index, or one of its\n"
    "             addresses (default: the system's choice, by the routing table)\n"
    "  -t TTL     time to live / IPv6 hop limit, 0..255 (default 1: this subnet;\n"
    "             32 site, 64 region, 128 continent, 255 unrestricted)\n"
    "  -c COUNT   send each datagram COUNT times (default 1)\n"
    "  -p         number the datagrams: prefix each with \"N \" (1, 2, ...)\n"
    "  -L         do not loop the datagrams back to this host's listeners\n"
    "  -h, --help show this help\n"
    "\n"
    "Prints one line per datagram sent. Exit status: 0 all sent, 1 a send failed,\n"
    "2 bad usage or argument.\n";

static const char *prog = "mcsend";

/* "PROG: <what><arg><end>" and a usage line on stderr; exits 2. */
static void usage_error(const char *what, const char *arg, const char *end) {
    fprintf(stderr, "%s: %s%s%s", prog, what, arg, end);
    fprintf(stderr, "\nusage: mcsend [-i IFACE] [-t TTL] [-c COUNT] [-p] [-L] GROUP PORT "
                    "[TEXT|-]  (mcsend --help for more)\n");
    exit(2);
}

/* A whole decimal number in [min, max], or exit 2 naming what it is. */
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

/* Reports a failed library call with the library's own message; exits. */
static void lib_error(int code, int status) {
    const char *msg = mc_last_error();
    fprintf(stderr, "%s: %s\n", prog, msg[0] ? msg : mc_strerror(code));
    exit(status);
}

struct sender {
    mc_opts *opts;
    const char *group;  /* as given, without %scope */
    const char *iface;  /* NULL: the system's choice */
    long port, ttl, count;
    int number;         /* -p */
    unsigned long seq;  /* the last number used by -p */
    char *buf;          /* numbered datagram being built */
};

/* Prints the bytes as text, escaping what is not printable ASCII. */
static void print_text(const unsigned char *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        switch (p[i]) {
        case '\\': fputs("\\\\", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        default:
            if (p[i] >= 0x20 && p[i] < 0x7f)
                putchar(p[i]);
            else
                printf("\\x%02x", p[i]);
        }
    }
}

/* Sends `len` bytes of `text` COUNT times; returns 0, or the exit status of a
   failed send. */
static int send_text(struct sender *s, const char *text, size_t len) {
    long i;
    for (i = 0; i < s->count; i++) {
        const char *data = text;
        size_t n = len;
        int rc;
        if (s->number) {
            int k = snprintf(s->buf, MAX_DATAGRAM + 1, "%lu ", ++s->seq);
            size_t room = MAX_DATAGRAM - (size_t)k;
            if (len > room) {
                fprintf(stderr, "%s: datagram too long (%zu bytes with its number; at most %d)\n",
                        prog, len + (size_t)k, MAX_DATAGRAM);
                return 1;
            }
            memcpy(s->buf + k, text, len);
            data = s->buf;
            n = len + (size_t)k;
        }
        rc = mc_sendto_opts(s->opts, data, n);
        if (rc < 0) {
            fprintf(stderr, "%s: %s\n", prog, mc_last_error());
            /* a group/interface mismatch is a bad argument; the rest the OS refused */
            return rc == MC_EINVAL || rc == MC_EADDRESS ? 2 : 1;
        }
        printf("sent %d bytes to %s%s%s:%ld (ttl %ld%s%s): ", rc,
               strchr(s->group, ':') ? "[" : "", s->group, strchr(s->group, ':') ? "]" : "",
               s->port, s->ttl, s->iface ? ", interface " : "", s->iface ? s->iface : "");
        print_text((const unsigned char *)data, n);
        putchar('\n');
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv) {
    struct sender s;
    char *group, *scope;
    const char *text = NULL;
    int opt, i, rc, loopback = 1, status = 0;

    memset(&s, 0, sizeof s);
    s.ttl = MC_DEFAULT_TTL;
    s.count = 1;
    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
    }
    opterr = 0;
    while ((opt = getopt(argc, argv, "hi:t:c:pL")) != -1) {
        switch (opt) {
        case 'h': fputs(usage_text, stdout); return 0;
        case 'i': s.iface = optarg; break;
        case 't': s.ttl = parse_number(optarg, 0, 255, "TTL"); break;
        case 'c': s.count = parse_number(optarg, 1, INT_MAX, "COUNT"); break;
        case 'p': s.number = 1; break;
        case 'L': loopback = 0; break;
        default: {
            char o[2] = {(char)optopt, '\0'};
            if (strchr("itc", optopt))
                usage_error("option -", o, " needs a value");
            usage_error("unknown option -", o, "");
        }
        }
    }
    if (argc - optind < 2) usage_error("GROUP and PORT are required", "", "");
    if (argc - optind > 3) usage_error("unexpected argument \"", argv[optind + 3], "\"");
    group = argv[optind];
    s.port = parse_number(argv[optind + 1], 1, 65535, "PORT");
    if (argc - optind == 3) text = argv[optind + 2];

    /* GROUP%IFACE: the scope of an IPv6 group, as in ff02::1%eth0 */
    scope = strchr(group, '%');
    if (scope) {
        *scope++ = '\0';
        if (s.iface && strcmp(s.iface, scope) != 0) {
            fprintf(stderr, "%s: interface given twice: -i %s and %%%s\n", prog, s.iface, scope);
            return 2;
        }
        s.iface = scope;
    }
    s.group = group;

    s.opts = mc_opts_new();
    if (!s.opts) lib_error(MC_EINVAL, 1);
    if ((rc = mc_opts_set_group(s.opts, group)) < 0) lib_error(rc, 2);
    if ((rc = mc_opts_set_port(s.opts, (uint16_t)s.port)) < 0) lib_error(rc, 2);
    if ((rc = mc_opts_set_ttl(s.opts, (int)s.ttl)) < 0) lib_error(rc, 2);
    if ((rc = mc_opts_set_loopback(s.opts, loopback)) < 0) lib_error(rc, 2);
    if (s.iface) {
        if (strcmp(s.iface, "*") == 0) {
            fprintf(stderr, "%s: interface \"*\" is for listeners: a datagram goes out on "
                            "one interface\n", prog);
            return 2;
        }
        if ((rc = mc_opts_set_interface(s.opts, s.iface)) < 0) lib_error(rc, 2);
    }
    if (s.number) {
        s.buf = malloc(MAX_DATAGRAM + 1);
        if (!s.buf) {
            fprintf(stderr, "%s: out of memory\n", prog);
            return 1;
        }
    }

    if (text && strcmp(text, "-") != 0) {
        status = send_text(&s, text, strlen(text));
    } else {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while (status == 0 && (n = getline(&line, &cap, stdin)) != -1) {
            if (n > 0 && line[n - 1] == '\n') n--;
            if (n > 0 && line[n - 1] == '\r') n--;
            status = send_text(&s, line, (size_t)n);
        }
        if (ferror(stdin)) {
            fprintf(stderr, "%s: reading standard input: %s\n", prog, strerror(errno));
            status = 1;
        }
        free(line);
    }
    free(s.buf);
    mc_opts_free(s.opts);
    return status;
}
