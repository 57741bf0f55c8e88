/* mcsend - send datagrams to multicast groups: a text tool and a traffic generator.

     mcsend [-i IFACE] [-t TTL] [-c COUNT] [-p] [-N] [-L] [-q] [-r PPS | -b BITRATE]
            [-s SIZE] [-d DURATION] [-Q DSCP] [-S ADDRESS[:PORT]] [-f FILE]
            GROUP PORT [TEXT|-]

   GROUP is one group, or a comma-separated list of groups and ranges:
   239.1.1.1,239.1.2.1+4 is 239.1.1.1 and the 4 groups 239.1.2.1 .. 239.1.2.4.
   Every datagram goes to every group, in turn (round-robin).

   The payload is TEXT; with -f FILE the bytes of FILE (binary-safe; "-" is all
   of standard input); with "-" or no TEXT each line of standard input (without
   its newline) is one datagram -- unless -p, -s, -r, -b or -d is given without
   a payload, which sends an empty payload (a traffic generator: the test header
   of -p and zero padding up to SIZE).

     mcsend 239.1.2.3 5000 hello                      # once, TTL 1
     mcsend -i eth0 -t 4 -c 3 -N 239.1.2.3 5000 hi    # "1 hi", "2 hi", "3 hi"
     mcsend -q -p -r 1000 -s 1200 -d 10 239.1.1.1+4 5000   # 1000 datagrams/s in all
     printf 'a\nb\n' | mcsend ff02::42%eth0 5000 -    # IPv6 link-local scope
     mcsend -S 192.0.2.7:5353 239.1.2.3 5000 hi       # from that address and port

   -p puts the test header (24 bytes, network byte order) at the start of every
   datagram, so that any receiver can count loss, duplicates and reordering and
   measure the one-way delay:

     offset 0   4 bytes  magic "mct1" (6d 63 74 31)
     offset 4   4 bytes  stream id: random, one per mcsend run
     offset 8   8 bytes  sequence number: 1, 2, 3 ... per group
     offset 16  8 bytes  send time: nanoseconds since the Unix epoch (CLOCK_REALTIME)

   (Python: magic, stream, seq, ns = struct.unpack("!4sIQQ", data[:24])).

   Sending uses the library's multicasters (mc_multicaster_new): batches of
   datagrams per system call, as UDP GSO runs where the kernel supports it,
   paced by -r/-b. Prints one line per datagram sent (not with -q) and, at the
   end, what it sent: datagrams, bytes, time, achieved rate (when the first
   and last datagram are MIN_RATE_SPAN_MS apart or more: a rate over less is
   noise) -- on standard error, or standard output with -q.
   -d takes seconds, or a number with a unit: 1.5s, 500ms, 2m (parse_duration).
   Exit status: 0 all sent, 1 a send failed, 2 bad usage or a bad argument.
   Try it inside a private network namespace: tests/netns-run. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "mcsend.h"

/* '+': the options end at the first operand, so that TEXT (or a group) may
   start with '-' -- as the POSIX getopt of _POSIX_C_SOURCE does anyway */
static const char optstring[] = "+hi:t:c:pNLqr:b:s:d:Q:S:f:";

const char prog[] = "mcsend";
const char iface_option[] = "-i IFACE";

static const char usage_line[] =
    "usage: mcsend [-i IFACE] [-t TTL] [-c COUNT] [-p] [-N] [-L] [-q] [-r PPS | -b BITRATE]\n"
    "              [-s SIZE] [-d DURATION] [-Q DSCP] [-S ADDRESS[:PORT]] [-f FILE]\n"
    "              GROUP PORT [TEXT|-]\n";

static const char usage_text[] =
    "Send TEXT (or the bytes of FILE, or each line of standard input) as datagrams\n"
    "to the multicast GROUP(s) at PORT: a text tool and a traffic generator.\n"
    "\n"
    "  GROUP        a group (IPv4 224.0.0.0/4 or IPv6 ff00::/8 literal), or a list:\n"
    "               G1,G2,...; G+N is the N groups from G on (239.1.1.1+3 = .1 .2 .3);\n"
    "               G%IFACE sets the interface (ff02::1%eth0: link-local needs one).\n"
    "               Every datagram goes to every group, in turn.\n"
    "  PORT         1..65535\n"
    "  TEXT         the payload; \"-\" or none: each line of standard input (but with\n"
    "               -p, -s, -r, -b or -d and no TEXT or -f, the payload is empty)\n"
    "  -i IFACE     send on this interface: a name (eth0), an index, or one of its\n"
    "               addresses (default: the system's choice, by the routing table)\n"
    "  -t TTL       time to live / IPv6 hop limit, 0..255 (default 1: this subnet;\n"
    "               32 site, 64 region, 128 continent, 255 unrestricted)\n"
    "  -c COUNT     send each datagram COUNT times to each group (default 1; with -d\n"
    "               and a fixed payload: until the time is up)\n"
    "  -d DURATION  stop after DURATION: seconds (decimals allowed), or with a unit:\n"
    "               500ms, 1.5s, 2m (us, ms, s, m)\n"
    "  -r PPS       send PPS datagrams per second, all groups together\n"
    "  -b BITRATE   send BITRATE bits of UDP payload per second, all groups together\n"
    "               (suffix k, M, G: 10M = 10000000)\n"
    "  -s SIZE      every datagram is SIZE bytes (0..65507): header, payload, zeros\n"
    "  -p           start every datagram with the test header (magic \"mct1\", stream\n"
    "               id, sequence number, send time: see mcsend(1)), for mclisten\n"
    "  -N           number the datagrams as text: prefix each with \"N \" (1, 2, ...)\n"
    "  -f FILE      the payload is the bytes of FILE (\"-\": all of standard input)\n"
    "  -Q DSCP      DSCP of the datagrams: 0..63 or a name (ef, af11..af43, cs0..cs7,\n"
    "               be, va)\n"
    "  -S ADDRESS[:PORT]\n"
    "               send from ADDRESS, an address of this host (IPv6: [ADDRESS]:PORT,\n"
    "               fe80::1%eth0 for link-local), and PORT (default: an ephemeral one)\n"
    "  -L           do not loop the datagrams back to this host's listeners\n"
    "  -q           quiet: no line per datagram; the summary on standard output\n"
    "  -h, --help   show this help\n"
    "\n"
    "Prints one line per datagram sent, and at the end what it sent (datagrams, bytes,\n"
    "time, and the rate if they took 10 ms or more) on standard error (standard\n"
    "output with -q).\n"
    "Exit status: 0 all sent, 1 a send failed, 2 bad usage or argument.\n";

/* DSCP: 0..63 or a name. */
static int parse_dscp(const char *s) {
    static const struct { const char *name; int v; } names[] = {
        {"be", 0},    {"cs0", 0},   {"cs1", 8},   {"cs2", 16},  {"cs3", 24},  {"cs4", 32},
        {"cs5", 40},  {"cs6", 48},  {"cs7", 56},  {"af11", 10}, {"af12", 12}, {"af13", 14},
        {"af21", 18}, {"af22", 20}, {"af23", 22}, {"af31", 26}, {"af32", 28}, {"af33", 30},
        {"af41", 34}, {"af42", 36}, {"af43", 38}, {"ef", 46},   {"va", 44}};
    size_t i;
    char low[8];
    for (i = 0; s[i] && i < sizeof low - 1; i++) low[i] = (char)tolower((unsigned char)s[i]);
    low[i] = '\0';
    if (strlen(s) < sizeof low)
        for (i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strcmp(low, names[i].name) == 0) return names[i].v;
    if (isdigit((unsigned char)s[0])) return (int)parse_number(s, 0, 63, "DSCP");
    fprintf(stderr,
            "%s: bad DSCP \"%s\": expected 0..63 or ef, af11..af43, cs0..cs7, be, va  (%s --help "
            "for more)\n",
            prog, s, prog);
    exit(2);
}

/* -S ADDRESS[:PORT]: "192.0.2.1", "192.0.2.1:5000", "fd00::1", "fe80::1%eth0",
   "[fe80::1%eth0]:5000" into g->from (a copy of the address) and g->from_port
   (0: none given); the library checks the address (exit 2 with its message). */
static void parse_send_from(struct gen *g, const char *arg) {
    static const char expect[] = "\": expected ADDRESS, ADDRESS:PORT or [ADDRESS]:PORT";
    const char *orig = arg;
    static char addr[128];
    const char *port = NULL, *colon = strchr(arg, ':');
    size_t len = strlen(arg);
    mc_opts *o;
    if (arg[0] == '[') { /* [ADDRESS]:PORT or [ADDRESS] */
        const char *end = strchr(arg, ']');
        if (!end || (end[1] && end[1] != ':') || end == arg + 1)
            usage_error("bad -S \"", orig, expect);
        len = (size_t)(end - arg - 1), arg++;
        if (end[1]) port = end + 2;
    } else if (colon && !strchr(colon + 1, ':')) { /* IPv4:PORT */
        len = (size_t)(colon - arg);
        port = colon + 1;
    }
    if (len == 0 || len >= sizeof addr) usage_error("bad -S \"", orig, expect);
    memcpy(addr, arg, len);
    addr[len] = '\0';
    if (port) g->from_port = parse_number(port, 1, 65535, "PORT (-S)");
    g->from = addr;
    if (!(o = mc_opts_new()) || mc_opts_set_send_from(o, addr, 0) < 0) {
        fprintf(stderr, "%s: %s\n", prog, o ? lib_msg() : "out of memory");
        exit(2);
    }
    mc_opts_free(o);
}

static void raise_fd_limit(int need) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)need) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)need ? rl.rlim_max : (rlim_t)need;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* The library refused a group of GROUP (rc 0: no memory for its check). */
static void group_refused(int rc) {
    fprintf(stderr, "%s: %s\n", prog, rc ? lib_msg() : "out of memory");
    exit(2);
}

/* Parses GROUP (a list) into groups; the default interface is `iface`. Returns the count. */
static int parse_groups(char *spec, struct group *groups, const char *iface) {
    static const struct group_rules rules = {
        .iface_note = "", .quote_spec = 1, .refused = group_refused};
    static struct group_entry list[MAX_GROUPS];
    int n = parse_group_list(spec, list, &iface, &rules), i;
    for (i = 0; i < n; i++) {
        memcpy(groups[i].addr, list[i].addr, sizeof groups[i].addr);
        groups[i].iface = list[i].iface;
    }
    return n;
}

/* One multicaster per group, on `poller`; exits (2 for a bad argument) if
   the library refuses one. */
static void open_multicasters(struct gen *g, mc_poller *poller, int loopback) {
    int i, rc;
    for (i = 0; i < g->ngroups; i++) {
        struct group *gr = &g->groups[i];
        mc_opts *o = mc_opts_new();
        gr->gen = g;
        gr->active = 1;
        gr->buf = malloc(MAX_DATAGRAM + 1);
        if (!o || !gr->buf) {
            fprintf(stderr, "%s: out of memory\n", prog);
            exit(1);
        }
        gr->opts = o;
        if ((rc = mc_opts_set_group(o, gr->addr)) < 0 ||
            (rc = mc_opts_set_port(o, (uint16_t)g->port)) < 0 ||
            (rc = mc_opts_set_ttl(o, (int)g->ttl)) < 0 ||
            (rc = mc_opts_set_loopback(o, loopback)) < 0 ||
            (g->dscp >= 0 && (rc = mc_opts_set_tos(o, g->dscp << 2)) < 0) ||
            (gr->iface && (rc = mc_opts_set_interface(o, gr->iface)) < 0) ||
            (g->from && (rc = mc_opts_set_send_from(o, g->from, (uint16_t)g->from_port)) < 0) ||
            (rc = mc_multicaster_new(poller, o, next_fn, gr, &gr->m)) < 0) {
            fprintf(stderr, "%s: %s\n", prog, lib_msg());
            exit(rc == MC_EINVAL || rc == MC_EADDRESS ? 2 : 1);
        }
    }
    g->active = g->ngroups;
}

/* Polls until every group has finished and flushed: resumes each when its
   next datagram is due, closes each once all it handed over went out.
   Returns 1 if the system refused datagrams, 0 if not, -1 if polling failed
   (said on standard error). */
static int send_all(struct gen *g, mc_poller *poller) {
    struct group *groups = g->groups;
    int i, rc, status = 0;
    while (g->active > 0) {
        long long now = mono_ns(), wake = LLONG_MAX;
        int timeout;
        free_sent_lines(g);
        g->min_n = UINT64_MAX;
        for (i = 0; i < g->ngroups; i++)
            if (groups[i].active && !groups[i].finished && groups[i].n < g->min_n)
                g->min_n = groups[i].n;
        for (i = 0; i < g->ngroups; i++) {
            struct group *gr = &groups[i];
            uint64_t sent = 0, failed = 0;
            if (!gr->active) continue;
            if (gr->finished || interrupted || g->failed_status) {
                /* everything handed over went out (or was refused): close it */
                mc_multicaster_get_counts(gr->m, &sent, &failed);
                if (sent + failed + 1 >= gr->n || interrupted || g->failed_status) {
                    if (failed > 0 && !g->failed_status) {
                        snprintf(g->failed_msg, sizeof g->failed_msg,
                                 "%llu datagram%s to %.46s refused by the system",
                                 (unsigned long long)failed, plural(failed), gr->addr);
                        status = 1;
                    }
                    if (gr->n > 0 && failed > 0) { /* sizes vary only with lines */
                        uint64_t lost = gr->bytes / gr->n * failed;
                        gr->bytes -= lost;
                        g->bytes -= lost;
                        g->packets -= failed;
                    }
                    mc_multicaster_close(gr->m);
                    gr->active = 0;
                    g->active--;
                    continue;
                }
                wake = now; /* flushing: look again soon */
                continue;
            }
            if (gr->waiting) {
                if (gr->due <= now) {
                    gr->waiting = 0;
                    mc_multicaster_resume(gr->m);
                } else if (gr->due < wake) {
                    wake = gr->due;
                }
            }
        }
        if (g->active == 0) break;
        if (g->deadline && g->deadline < wake) wake = g->deadline;
        timeout = ms_until(wake, now);
        if (wake == now) timeout = 1; /* flushing: the socket has no room yet */
        rc = mc_poll(poller, timeout);
        if (rc < 0) {
            fprintf(stderr, "%s: %s\n", prog, lib_msg());
            return -1;
        }
        if (g->deadline && mono_ns() >= g->deadline) {
            for (i = 0; i < g->ngroups; i++)
                if (groups[i].active && !groups[i].finished) {
                    groups[i].finished = 1;
                }
        }
    }
    return status;
}

/* "mcsend: sent N datagrams, B bytes, to G groups in S s: R datagrams/s, RATE
   (asked ...); stream S; interrupted" on standard error (standard output with -q);
   "in S s (too short to measure a rate)" when S is below MIN_RATE_SPAN_MS. */
static void report(const struct gen *g) {
    FILE *out = g->quiet ? stdout : stderr;
    double span = (double)(g->last_ns - g->first_ns) / 1e9;
    char bits[32];
    fprintf(out, "%s: sent %llu datagram%s, %llu byte%s, to %d group%s in %.3f s", prog,
            g->packets, plural(g->packets), g->bytes, plural(g->bytes), g->ngroups,
            plural((unsigned long long)g->ngroups), g->packets ? span : 0.0);
    if (g->packets > 1 && span * 1e3 < MIN_RATE_SPAN_MS) {
        fputs(" (too short to measure a rate)", out);
    } else if (g->packets > 1) {
        double pps = (double)(g->packets - 1) / span;
        format_bits(pps * 8.0 * (double)g->bytes / (double)g->packets, bits, sizeof bits);
        fprintf(out, ": %.1f datagrams/s, %s", pps, bits);
    }
    if (g->pps > 0) fprintf(out, " (asked %g/s)", g->pps);
    if (g->bps > 0) {
        format_bits(g->bps, bits, sizeof bits);
        fprintf(out, " (asked %s)", bits);
    }
    if (g->header) fprintf(out, "; stream %08x", g->stream);
    if (interrupted) fputs("; interrupted", out);
    fputc('\n', out);
}

int main(int argc, char **argv) {
    static struct group groups[MAX_GROUPS];
    static struct gen g;
    const char *text = NULL, *file = NULL, *iface = NULL;
    long long duration = 0; /* ns */
    int opt, i, loopback = 1, status, count_given = 0, generator = 0;
    mc_poller *poller;

    g.ttl = MC_DEFAULT_TTL;
    g.count = 1;
    g.dscp = -1;
    g.groups = groups;
    long_options(argc, argv, optstring, usage_line, usage_text);
    opterr = 0;
    while ((opt = getopt(argc, argv, optstring)) != -1) {
        switch (opt) {
        case 'h': show_help(usage_line, usage_text); break;
        case 'i': iface = optarg; break;
        case 't': g.ttl = parse_number(optarg, 0, 255, "TTL"); break;
        case 'c':
            g.count = (unsigned long long)parse_number(optarg, 1, LONG_MAX, "COUNT");
            count_given = 1;
            break;
        case 'p': g.header = 1, generator = 1; break;
        case 'N': g.number = 1; break;
        case 'L': loopback = 0; break;
        case 'q': g.quiet = 1; break;
        case 'r':
            g.pps = parse_real(optarg, 1e8, 0, "PPS", "datagrams per second, above 0");
            generator = 1;
            break;
        case 'b':
            g.bps = parse_real(optarg, 1e12, 1, "BITRATE", "bits per second (k, M, G), above 0");
            generator = 1;
            break;
        case 's':
            g.size = (size_t)parse_number(optarg, 0, MAX_DATAGRAM, "SIZE");
            g.size_given = 1;
            generator = 1;
            break;
        case 'd':
            duration = parse_duration(optarg, NS_PER_S, NS_PER_US, 10000000 * NS_PER_S,
                                      "DURATION (-d)");
            generator = 1;
            break;
        case 'Q': g.dscp = parse_dscp(optarg); break;
        case 'S': parse_send_from(&g, optarg); break;
        case 'f': file = optarg; break;
        default: bad_option(optopt, "itcrbsdQSf");
        }
    }
    if (g.pps > 0 && g.bps > 0) usage_error("-r and -b both set the rate: give one", "", "");
    if (argc - optind < 2) usage_error("GROUP and PORT are required", "", "");
    if (argc - optind > 3) usage_error("unexpected argument \"", argv[optind + 3], "\"");
    g.port = parse_number(argv[optind + 1], 1, 65535, "PORT");
    if (argc - optind == 3) text = argv[optind + 2];
    if (text && file) usage_error("give TEXT or -f FILE, not both", "", "");
    g.ngroups = parse_groups(argv[optind], groups, iface);
    for (i = 0; i < g.ngroups; i++) {
        if (groups[i].iface && strcmp(groups[i].iface, "*") == 0) {
            fprintf(stderr, "%s: interface \"*\" is for listeners: a datagram goes out on "
                            "one interface\n", prog);
            return 2;
        }
    }

    /* the payload */
    if (file) {
        read_file(&g, file);
    } else if (text && strcmp(text, "-") != 0) {
        g.fixed.data = (uint8_t *)text;
        g.fixed.len = strlen(text);
    } else if (!text && generator) {
        g.fixed.data = (uint8_t *)"";
        g.fixed.len = 0;
    } else {
        g.lines = 1;
    }
    if (duration > 0 && !count_given && !g.lines) g.count = 0; /* until the time is up */
    {
        size_t fixed = (g.header ? TEST_HEADER_LEN : 0) + (g.lines ? 0 : g.fixed.len) +
                       (g.number ? 21 : 0);
        if (g.size_given && !g.lines && !g.number && fixed > g.size) {
            fprintf(stderr, "%s: %zu byte%s of %s do not fit in -s %zu\n", prog, fixed,
                    plural(fixed), g.header ? "header and payload" : "payload", g.size);
            return 2;
        }
    }

    {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        g.stream = (uint32_t)(ts.tv_nsec ^ ((uint32_t)getpid() << 16) ^ (uint32_t)ts.tv_sec);
        if (g.stream == 0) g.stream = 1;
    }
    raise_fd_limit(g.ngroups + 64);
    if (mc_poller_new(&poller) < 0) {
        fprintf(stderr, "%s: %s\n", prog, lib_msg());
        return 1;
    }
    open_multicasters(&g, poller, loopback);
    if (!g.quiet) setvbuf(stdout, NULL, _IOLBF, 0);

    catch_signals(poller, 1);
    g.t0 = mono_ns();
    if (duration > 0) g.deadline = g.t0 + duration;
    status = send_all(&g, poller);
    if (status < 0) return 1;
    catch_signals(poller, 0);
    mc_poller_free(poller);
    fflush(stdout);

    if (g.read_error) {
        fprintf(stderr, "%s: reading standard input: %s\n", prog, strerror(g.read_error));
        status = 1;
    }
    if (g.failed_status) {
        if (g.failed_msg[0]) fprintf(stderr, "%s: %s\n", prog, g.failed_msg);
        status = g.failed_status;
    } else if (status && g.failed_msg[0]) {
        fprintf(stderr, "%s: %s\n", prog, g.failed_msg);
    }
    report(&g);
    for (i = 0; i < g.ngroups; i++) {
        free(groups[i].buf);
        mc_opts_free(groups[i].opts);
    }
    return status;
}
