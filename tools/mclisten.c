/* mclisten - join multicast groups, print the datagrams that arrive, and count
   them: a monitor for mcsend's test streams, iperf2's, or anyone's.

     mclisten [-i IFACE|*] [-s SOURCE] [-f REGEX] [-n COUNT] [-x] [-w TIMEOUT]
              [-m MTU] [-q] [-j] [-t] [-T] [-I INTERVAL] [-d DURATION] [-H FORMAT]
              [-X SOURCE]... GROUP PORT

   GROUP is one group or a comma-separated list: G, G+N (the N groups from G
   on: 239.1.1.1+3 is .1 .2 .3), SOURCE@G (source-specific), SOURCE@G+N.
   -X SOURCE (repeatable) blocks a sender on every any-source group of the list:
   the kernel drops its datagrams (MCAST_BLOCK_SOURCE).

   One line per datagram on standard output (not with -q):

     14:02:11.493021 127.0.0.1:48213 -> 239.1.2.3:5000 lo 11 bytes: hello world

   the kernel's time of arrival (local time), the sender, the group:port, the
   interface, [with -t "ttl N", with -T "rx SECONDS.NANOSECONDS"], the size
   ("N bytes, truncated to M" when longer than the MTU) and the payload, as text
   with the bytes that are not printable ASCII escaped (\n, \t, \\, \xNN), or
   in hex with -x. A datagram that starts with mcsend's test header (-p) shows
   "[stream S seq N delay D ms]" and what went wrong before it (lost, late,
   duplicate); the payload after the header follows, without its zero padding.

   Per flow (group, sender, stream) it counts datagrams, bytes, rate, and with a
   test header (mcsend -p; iperf2's with -H iperf) lost, duplicated and
   reordered datagrams, the one-way delay and the jitter (RFC 3550). -I prints
   those every INTERVAL; a summary comes at the end (COUNT datagrams, -d, -w,
   SIGINT, SIGTERM), after what ended the run (-w: "no datagram for N ms"): on
   standard error, or standard output with -q or -j; its rates only over
   MIN_RATE_SPAN_MS or more (else "too short to measure a rate", JSON null). With -j every line on
   standard output is a JSON object (see mclisten(1)); a stream id is a string
   of 8 hex digits there too, as in the text ("stream":"4162ea86").
   -w takes milliseconds, -I and -d seconds, or a number with a unit: 500ms,
   1.5s, 2m (parse_duration).

   Once joined it says "mclisten: listening on ..." on standard error.
   Exit status: 0 done, nothing lost; 1 no datagram within TIMEOUT (or fewer
   than COUNT), or a failure; 2 bad usage or a bad argument; 3 datagrams were
   lost (gaps in the test header's sequence numbers, or drops by the kernel).
   Try it inside a private network namespace: tests/netns-run. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mclisten.h"

/* '+': the options end at the first operand, so that TEXT (or a group) may
   start with '-' -- as the POSIX getopt of _POSIX_C_SOURCE does anyway */
static const char optstring[] = "+hi:s:X:f:n:xw:m:qjtTI:d:H:";

const char prog[] = "mclisten";
const char iface_option[] = "-i IFACE";

static const char usage_line[] =
    "usage: mclisten [-i IFACE|*] [-s SOURCE] [-f REGEX] [-n COUNT] [-x] [-w TIMEOUT]\n"
    "                [-m MTU] [-q] [-j] [-t] [-T] [-I INTERVAL] [-d DURATION] [-H FORMAT]\n"
    "                [-X SOURCE]... GROUP PORT\n";

static const char usage_text[] =
    "Join the multicast GROUP(s) at PORT, print one line per datagram (time, sender,\n"
    "group:port, interface, size, payload) and count them per flow: rate, and with a\n"
    "test header (mcsend -p, or iperf2's with -H iperf) loss, duplicates, reordering,\n"
    "delay and jitter.\n"
    "\n"
    "  GROUP          a group (IPv4 224.0.0.0/4 or IPv6 ff00::/8 literal), or a list:\n"
    "                 G1,G2,...; G+N is the N groups from G on; SOURCE@G is\n"
    "                 source-specific; G%IFACE sets the interface (ff02:: needs one)\n"
    "  PORT           1..65535\n"
    "  -i IFACE       join on this interface: a name (eth0), an index, or one of its\n"
    "                 addresses; \"*\" joins on every interface that is up with the\n"
    "                 MULTICAST flag (default: the system's choice)\n"
    "  -s SOURCE      source-specific multicast: only datagrams from SOURCE (for the\n"
    "                 groups that do not name their own)\n"
    "  -X SOURCE      ignore SOURCE: block its datagrams on every any-source group\n"
    "                 (repeatable: one -X per sender)\n"
    "  -f REGEX       print only datagrams whose bytes match REGEX at their start\n"
    "                 (Rust regex syntax; ${ip}, ${port}, ${mtu} are this listener's)\n"
    "  -n COUNT       exit after COUNT datagrams (default: never)\n"
    "  -x             print the payload in hex instead of escaped text\n"
    "  -w TIMEOUT     exit when TIMEOUT passes without a datagram: milliseconds, or\n"
    "                 with a unit: 500ms, 2s (us, ms, s, m)\n"
    "  -d DURATION    exit after DURATION: seconds (decimals allowed), or with a\n"
    "                 unit: 500ms, 1.5s, 2m\n"
    "  -m MTU         bytes read per datagram, 1..65535 (default 4096); longer ones\n"
    "                 are truncated and reported as such\n"
    "  -q             quiet: no line per datagram; the summaries on standard output\n"
    "  -j             JSON: every line on standard output is one JSON object\n"
    "  -t             a column with the received TTL / hop limit (\"ttl N\")\n"
    "  -T             a column with the kernel's receive time (\"rx SECONDS.NS\")\n"
    "  -I INTERVAL    print the figures of every flow every INTERVAL: seconds, or\n"
    "                 with a unit: 250ms, 1s, 1m\n"
    "  -H FORMAT      test header: \"mc\" (default: mcsend -p's, recognized by its\n"
    "                 magic), \"iperf\" (iperf2's UDP header too), \"none\"\n"
    "  -h, --help     show this help\n"
    "\n"
    "Says \"mclisten: listening on ...\" on standard error once joined; a summary\n"
    "at the end on standard error (standard output with -q or -j). Exit status:\n"
    "0 done, nothing lost; 1 timeout with nothing (or fewer than COUNT) or failure;\n"
    "2 bad usage or argument; 3 datagrams were lost.\n";

/* A failed library call: the library's message, exit 2 for a bad argument
   (address, value, pattern, a pair given twice), 1 for anything else. */
static void lib_error(int code) {
    const char *msg = lib_msg();
    fprintf(stderr, "%s: %s\n", prog, msg[0] ? msg : mc_strerror(code));
    exit(code == MC_EADDRESS || code == MC_EINVAL || code == MC_EREGEX || code == MC_EEXIST
             ? 2
             : 1);
}

/* The library refused a group of GROUP (rc 0: no memory for its check). */
static void group_refused(int rc) {
    lib_error(rc ? rc : MC_EINVAL);
}

/* Parses GROUP ("S@G+N,G,...") into pairs; the interface named by %IFACE
   goes to *iface (all must agree). Returns the number of pairs. */
static int parse_groups(char *spec, struct group_entry *pairs, const char **iface,
                        const char *default_source) {
    struct group_rules rules = {.sources = 1,
                                .one_interface = 1,
                                .iface_note = " (one listener joins on one interface)",
                                .bad_group_is_usage = 1,
                                .refused = group_refused};
    rules.default_source = default_source;
    return parse_group_list(spec, pairs, iface, &rules);
}

/* "mclisten: listening on G:P (...)", "G1:P, S@G2:P (...)", "G1:P, ... G1000:P
   (1000 groups, ...)" on standard error, once joined. */
static void print_listening(const struct group_entry *pairs, int npairs, long port,
                            const char *iface, const char *filter, char **blocked,
                            int nblocked) {
    int i, v6 = strchr(pairs[0].addr, ':') != NULL;
    fprintf(stderr, "%s: listening on ", prog);
    for (i = 0; i < npairs; i++) {
        if (npairs > 8 && i == 4) {
            fputs(", ...", stderr);
            i = npairs - 1;
        }
        if (i > 0) fputs(", ", stderr);
        if (pairs[i].source && npairs > 1) fprintf(stderr, "%s@", pairs[i].source);
        fprintf(stderr, "%s%s%s:%ld", v6 ? "[" : "", pairs[i].addr, v6 ? "]" : "", port);
    }
    if (npairs > 1) fprintf(stderr, " (%d groups, ", npairs);
    else fputs(" (", stderr);
    fprintf(stderr, "%s%s%s%s%s",
            !iface ? "the system's interface"
                   : strcmp(iface, "*") == 0 ? "every multicast interface" : "interface ",
            iface && strcmp(iface, "*") != 0 ? iface : "",
            pairs[0].source && npairs == 1 ? ", source " : "",
            pairs[0].source && npairs == 1 ? pairs[0].source : "", filter ? ", filtered" : "");
    for (i = 0; i < nblocked; i++) fprintf(stderr, "%s%s", i ? " " : ", blocking ", blocked[i]);
    fputs(")\n", stderr);
    fflush(stderr);
}

/* -X: blocks every source of `blocked` on every any-source group of `pairs`. */
static void block_sources(mc_listener *l, const struct group_entry *pairs, int npairs,
                          char **blocked, int nblocked) {
    int i, j, rc;
    for (i = 0; i < npairs; i++)
        for (j = 0; j < nblocked && !pairs[i].source; j++)
            if ((rc = mc_listener_block_source(l, pairs[i].addr, blocked[j])) < 0) lib_error(rc);
}

/* The listener's callback: reads, counts and prints the datagram; returns 1
   (the listener closes) once COUNT datagrams came. */
static int on_packet(void *user_data, const mc_packet *p) {
    struct state *st = user_data;
    struct arrival a;
    read_arrival(st->header, p, &a);
    count_arrival(p, &a);
    if (!st->quiet) print_arrival(st, p, &a);

    st->seen++;
    st->last = mono_ns();
    if (st->count > 0 && st->seen >= st->count) {
        /* read the counters now: returning non-zero closes and frees the listener */
        mc_listener_get_stats(st->listener, &st->stats);
        st->done = 1;
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    static struct group_entry pairs[MAX_GROUPS];
    const char *iface = NULL, *source = NULL, *filter = NULL, *header = "mc";
    char **blocked = calloc((size_t)argc, sizeof *blocked); /* -X, in order */
    int nblocked = 0;
    long port, mtu = 0;
    long long timeout = -1, interval = 0, duration = 0; /* ns; -1: no timeout */
    char ms[32];
    static struct state st;
    mc_opts *opts;
    int opt, i, rc, npairs, timed_out = 0, status = 0, v6;
    long long next_iv = 0, deadline = 0, iv_start;
    uint64_t lost = 0, dups = 0, reord = 0, packets = 0, bytes = 0;
    double elapsed;

    if (!blocked) lib_error(-ENOMEM);
    long_options(argc, argv, optstring, usage_line, usage_text);
    opterr = 0;
    while ((opt = getopt(argc, argv, optstring)) != -1) {
        switch (opt) {
        case 'h': show_help(usage_line, usage_text); break;
        case 'i': iface = optarg; break;
        case 's': source = optarg; break;
        case 'X': blocked[nblocked++] = optarg; break;
        case 'f': filter = optarg; break;
        case 'n': st.count = parse_number(optarg, 1, LONG_MAX, "COUNT"); break;
        case 'x': st.hex = 1; break;
        case 'w':
            timeout = parse_duration(optarg, NS_PER_MS, 0, 10000000 * NS_PER_S, "TIMEOUT (-w)");
            break;
        case 'm': mtu = parse_number(optarg, 1, 65535, "MTU"); break;
        case 'q': st.quiet = 1; break;
        case 'j': st.json = 1; break;
        case 't': st.show_ttl = 1; break;
        case 'T': st.show_rx = 1; break;
        case 'I':
            interval = parse_duration(optarg, NS_PER_S, NS_PER_MS, 10000000 * NS_PER_S,
                                      "INTERVAL (-I)");
            break;
        case 'd':
            duration = parse_duration(optarg, NS_PER_S, NS_PER_MS, 10000000 * NS_PER_S,
                                      "DURATION (-d)");
            break;
        case 'H': header = optarg; break;
        default: bad_option(optopt, "isXfnwmIdH");
        }
    }
    if (strcmp(header, "mc") == 0) st.header = KIND_MC;
    else if (strcmp(header, "iperf") == 0) st.header = KIND_IPERF;
    else if (strcmp(header, "none") == 0) st.header = KIND_NONE;
    else usage_error("bad FORMAT \"", header, "\" (-H): expected mc, iperf or none");
    if (argc - optind < 2) usage_error("GROUP and PORT are required", "", "");
    if (argc - optind > 2) usage_error("unexpected argument \"", argv[optind + 2], "\"");
    port = parse_number(argv[optind + 1], 1, 65535, "PORT");
    npairs = parse_groups(argv[optind], pairs, &iface, source);
    for (i = 0; i < npairs && pairs[i].source; i++) {
    }
    if (nblocked > 0 && i == npairs)
        usage_error("-X SOURCE blocks a sender of an any-source group; ", pairs[0].addr,
                    " is source-specific (-s SOURCE or SOURCE@GROUP)");
    v6 = strchr(pairs[0].addr, ':') != NULL;
    for (i = 1; i < npairs; i++)
        if ((strchr(pairs[i].addr, ':') != NULL) != v6) {
            fprintf(stderr,
                    "%s: %s and %s: the groups of one mclisten are all IPv4 or all IPv6  (%s "
                    "--help for more)\n",
                    prog, pairs[0].addr, pairs[i].addr, prog);
            return 2;
        }
    st.report = st.quiet || st.json ? stdout : stderr;

    opts = mc_opts_new();
    if (!opts) lib_error(MC_EINVAL);
    if ((rc = mc_opts_set_group(opts, pairs[0].addr)) < 0) lib_error(rc);
    if ((rc = mc_opts_set_port(opts, (uint16_t)port)) < 0) lib_error(rc);
    if (mtu > 0 && (rc = mc_opts_set_mtu(opts, (size_t)mtu)) < 0) lib_error(rc);
    if (iface && (rc = mc_opts_set_interface(opts, iface)) < 0) lib_error(rc);
    if (pairs[0].source && (rc = mc_opts_set_source(opts, pairs[0].source)) < 0) lib_error(rc);
    if ((rc = mc_opts_set_timestamps(opts, 1)) < 0) lib_error(rc);
    if ((rc = mc_opts_set_recv_ttl(opts, 1)) < 0) lib_error(rc);

    if ((rc = mc_poller_new(&st.poller)) < 0) lib_error(rc);
    rc = mc_listener_new(st.poller, opts, on_packet, &st, &st.listener);
    mc_opts_free(opts);
    if (rc < 0) lib_error(rc);
    for (i = 1; i < npairs; i++)
        if ((rc = mc_listener_add_group(st.listener, pairs[i].addr, pairs[i].source)) < 0)
            lib_error(rc);
    if (filter && (rc = mc_listener_set_filter_regex(st.listener, filter)) < 0) lib_error(rc);
    block_sources(st.listener, pairs, npairs, blocked, nblocked);

    catch_signals(st.poller, 1);

    print_listening(pairs, npairs, port, iface, filter, blocked, nblocked);

    st.start = st.last = iv_start = mono_ns();
    st.start_real = real_ns();
    if (interval > 0) next_iv = st.start + interval;
    if (duration > 0) deadline = st.start + duration;
    while (!st.done && !interrupted) {
        long long now = mono_ns(), wake = LLONG_MAX;
        if (timeout >= 0) {
            long long t = st.last + timeout;
            if (t <= now) {
                timed_out = 1;
                break;
            }
            wake = t;
        }
        if (deadline) {
            if (deadline <= now) break;
            if (deadline < wake) wake = deadline;
        }
        if (next_iv) {
            if (next_iv <= now) {
                print_interval(&st, (double)(iv_start - st.start) / 1e9,
                               (double)(next_iv - st.start) / 1e9);
                iv_start = next_iv;
                next_iv += interval;
                continue;
            }
            if (next_iv < wake) wake = next_iv;
        }
        rc = mc_poll(st.poller, ms_until(wake, now));
        if (rc < 0) {
            fprintf(stderr, "%s: %s\n", prog, lib_msg());
            mc_poller_free(st.poller);
            return 1;
        }
    }
    if (!st.done) mc_listener_get_stats(st.listener, &st.stats);
    elapsed = (double)(mono_ns() - st.start) / 1e9;

    /* the summary */
    for (i = 0; i < nflows; i++) {
        lost += lost_of(flows[i]);
        dups += flows[i]->all.dups;
        reord += flows[i]->all.reord;
        packets += flows[i]->all.packets;
        bytes += flows[i]->all.bytes;
    }
    if (timed_out && (st.seen == 0 || st.count > 0)) status = 1;
    else if (lost > 0 || st.stats.kernel_drops > 0) status = 3;
    if (interval > 0 && nflows > 0) { /* the part of an interval at the end, if it saw any */
        uint64_t in_iv = 0;
        for (i = 0; i < nflows; i++) in_iv += flows[i]->iv.packets;
        if (in_iv > 0) print_interval(&st, (double)(iv_start - st.start) / 1e9, elapsed);
    }
    if (timed_out) { /* what ended the run, before the summary */
        fflush(st.report);
        if (st.count > 0)
            fprintf(stderr, "%s: no datagram for %s: got %ld of %ld\n", prog,
                    ms_text(timeout, ms, sizeof ms), st.seen, st.count);
        else
            fprintf(stderr, "%s: no datagram for %s%s\n", prog, ms_text(timeout, ms, sizeof ms),
                    st.seen ? ": done" : "");
        fflush(stderr);
    }
    if (nflows > 0 || st.json) {
        if (!st.json) fprintf(st.report, "--- %s summary: %d flow%s, %.2f s ---\n", prog, nflows,
                              plural((unsigned long long)nflows), elapsed);
        for (i = 0; i < nflows; i++) {
            struct flow *f = flows[i];
            double span = (double)(f->last_rx - f->first_rx) / 1e9;
            print_row(&st, f, &f->all, lost_of(f), (double)(f->first_rx - st.start_real) / 1e9,
                      (double)(f->last_rx - st.start_real) / 1e9, span, 1);
        }
        long long first = LLONG_MAX, last = 0;
        for (i = 0; i < nflows; i++) {
            if (flows[i]->first_rx < first) first = flows[i]->first_rx;
            if (flows[i]->last_rx > last) last = flows[i]->last_rx;
        }
        if (nflows == 0) first = last = st.start_real;
        print_total(&st, (double)(first - st.start_real) / 1e9,
                    (double)(last - st.start_real) / 1e9, packets, bytes, lost, dups, reord,
                    st.stats.kernel_drops, 1, status);
    }
    fflush(st.report);
    fprintf(stderr,
            "%s: %ld datagram%s%s; %llu received, %llu filtered, %llu truncated, "
            "%llu dropped by the kernel\n",
            prog, st.seen, plural((unsigned long long)st.seen), st.quiet ? "" : " printed",
            (unsigned long long)st.stats.received, (unsigned long long)st.stats.filtered,
            (unsigned long long)st.stats.truncated, (unsigned long long)st.stats.kernel_drops);
    if (status == 3)
        fprintf(stderr, "%s: %llu datagram%s lost, %llu dropped by the kernel\n", prog,
                (unsigned long long)lost, plural(lost), (unsigned long long)st.stats.kernel_drops);
    catch_signals(st.poller, 0); /* no mc_stop on a freed poller */
    mc_poller_free(st.poller); /* closes the listener if it is still open */
    for (i = 0; i < nflows; i++) free(flows[i]);
    free(blocked);
    return status;
}
