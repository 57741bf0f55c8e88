/* common.h - what the command-line tools (mcsend, mclisten, mcping) share:
   messages and usage errors, number, rate and time parsing, clocks and
   byte order, mcsend's test header, group lists, formatting, signals.

   Every tool defines `prog` and `iface_option`; everything here that prints
   starts its message with "PROG: ". */
#ifndef MC_TOOLS_COMMON_H
#define MC_TOOLS_COMMON_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <arpa/inet.h>

#include <multicast.h>

/* The tool's name, the start of every message ("mcsend"); each tool defines it. */
extern const char prog[];

/* How the tool's option that names the interface is written ("-i IFACE"):
   the library's hints say it instead of the C function; each tool defines it. */
extern const char iface_option[];

/* ------------------------------------------------------------------------- */
/* Messages, usage and help */

/* The library's last message (mc_last_error), the C function it names in the
   tool's terms: "mc_opts_set_interface" (a hint) as iface_option,
   "mc_listener_block_source" as "-X" (mclisten's option). The text lives in
   a static buffer until the next call. */
const char *lib_msg(void);

/* Prints "PROG: <what><arg><end>  (PROG --help for more)" on standard error
   and exits with status 2. */
void usage_error(const char *what, const char *arg, const char *end);

/* The default case of a getopt loop (opterr = 0): `opt` is optopt. Exits 2
   with "option -X needs a value" if X is one of `with_value` (the options
   that take a value), else "unknown option -X". */
void bad_option(int opt, const char *with_value);

/* Before the getopt loop over `optstring` (the options, "x:" for one that
   takes a value): "--help" anywhere before a lone "--" prints `line` and
   `text` on standard output and exits 0 (as -h does, through show_help); a
   word that getopt would read as an option and starts with "--" (not the value
   of an option) exits 2 with "unknown option '--WORD'" -- getopt alone would
   name only its first '-'. As getopt does, it stops at the first operand if
   optstring starts with '+' (or POSIXLY_CORRECT is set), else reads the
   options after the operands too (glibc's _GNU_SOURCE getopt). */
void long_options(int argc, char **argv, const char *optstring, const char *line,
                  const char *text);

/* Prints `line` and `text` (the usage and the help) on standard output and
   exits 0. */
void show_help(const char *line, const char *text);

/* ------------------------------------------------------------------------- */
/* Numbers, rates and times */

/* A whole decimal number in [min, max]; otherwise exits 2 with
   "PROG: bad WHAT "S": expected a number from MIN to MAX". */
long parse_number(const char *s, long min, long max, const char *what);

/* A positive decimal number (fractions allowed) of at most `max`, with an
   optional k/K, M, G/g suffix (x 1e3, 1e6, 1e9) when `suffixes`; otherwise
   exits 2 with "PROG: bad WHAT "S": expected EXPECT". Rates: datagrams or
   bits per second. */
double parse_real(const char *s, double max, int suffixes, const char *what,
                  const char *expect);

/* Durations: a decimal number (fractions allowed: 1.5, .5; no exponent such
   as 1e3: mclisten -w took none in 0.2) and a unit, "us", "ms", "s" or "m"
   (minutes): "500ms", "1.5s", "2m"; a bare number is in the unit `bare_ns`
   (NS_PER_S for an option in seconds, NS_PER_MS in milliseconds). Returns
   nanoseconds, in [min_ns, max_ns]; otherwise (a sign, an exponent, another
   unit, no number, too large) exits 2 with "PROG: bad WHAT "S": expected
   seconds|milliseconds or a number with a unit us, ms, s or m (500ms, 1.5s),
   from MIN to MAX". WHAT names the option: "TIMEOUT (-w)". */
#define NS_PER_US 1000LL
#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL
long long parse_duration(const char *s, long long bare_ns, long long min_ns, long long max_ns,
                         const char *what);

/* `ns` as a duration for a message: "1000 ms", "0.5 ms", "2500 ms". */
const char *ms_text(long long ns, char *out, size_t size);

/* The shortest time from the first datagram to the last over which mcsend's
   report and mclisten's summary give a rate: below it they say "too short to
   measure a rate" (JSON: null). A burst of a few datagrams takes
   microseconds; a rate over that is noise. */
#define MIN_RATE_SPAN_MS 10

/* CLOCK_MONOTONIC in nanoseconds. */
long long mono_ns(void);

/* CLOCK_REALTIME in nanoseconds since the Unix epoch. */
long long real_ns(void);

/* The poll timeout until monotonic `wake` from `now`, in whole milliseconds
   rounded up (at most INT_MAX): -1 (forever) if wake is LLONG_MAX, 0 if it
   has passed. */
int ms_until(long long wake, long long now);

/* ------------------------------------------------------------------------- */
/* Network byte order */

/* Writes `v` as 2, 4 or 8 bytes, most significant first, at p. */
void put_be16(uint8_t *p, unsigned v);
void put_be32(uint8_t *p, uint32_t v);
void put_be64(uint8_t *p, uint64_t v);

/* Reads 2, 4 or 8 bytes, most significant first, at p. */
unsigned get_be16(const uint8_t *p);
uint32_t get_be32(const uint8_t *p);
uint64_t get_be64(const uint8_t *p);

/* ------------------------------------------------------------------------- */
/* The test header (mcsend -p writes it, mclisten reads it), 24 bytes in
   network byte order at the start of a datagram:

     offset 0   4 bytes  magic "mct1" (6d 63 74 31)
     offset 4   4 bytes  stream id: random, one per mcsend run
     offset 8   8 bytes  sequence number: 1, 2, 3 ... per group
     offset 16  8 bytes  send time: nanoseconds since the Unix epoch (CLOCK_REALTIME) */

#define TEST_HEADER_LEN 24
#define TEST_HEADER_MAGIC "mct1"

/* Writes a test header (TEST_HEADER_LEN bytes) at p. */
void test_header_put(uint8_t *p, uint32_t stream, uint64_t seq, long long send_ns);

/* If the `len` bytes at p start with a test header: its fields, and 1;
   else 0 (and the fields are left alone). */
int test_header_get(const uint8_t *p, size_t len, uint32_t *stream, uint64_t *seq,
                    long long *send_ns);

/* ------------------------------------------------------------------------- */
/* Group lists: "G1,G2+N,SOURCE@G3,G4%IFACE" */

#define MAX_GROUPS 1024

/* One group of a list, with what the list said about it. */
struct group_entry {
    char addr[INET6_ADDRSTRLEN]; /* the group, as inet_ntop writes it */
    const char *source;          /* SOURCE@ (or the default source); NULL: any */
    const char *iface;           /* %IFACE (or the default interface); NULL: none */
};

/* How a tool reads a group list, and its words for what is wrong with one. */
struct group_rules {
    int sources;                /* SOURCE@GROUP is allowed (else '@' is the group's) */
    const char *default_source; /* for the groups that name none (with sources) */
    int one_interface;          /* every %IFACE must agree (one socket, one interface) */
    const char *iface_note;     /* appended to "interface given twice: ..." */
    int quote_spec;             /* an empty group: "empty group in \"SPEC\"" (what
                                   is left of SPEC), not "empty group in GROUP" */
    int bad_group_is_usage;     /* an address inet_pton refuses: a usage error
                                   (with the --help hint), not a bare message */
    /* The library refused `group` (rc < 0 from mc_opts_set_group, or 0 when
       mc_opts_new failed): says so and exits. */
    void (*refused)(int rc);
};

/* Parses the list `spec` (modified: cut at ',', '%', '+', '@') into out[],
   at most MAX_GROUPS; an empty element (",," or a comma at the start or the
   end) is a usage error naming the list; each group checked by the library (mc_opts_set_group),
   G+N expanded to the N groups from G on. *iface is the interface of -i (NULL:
   none), which %IFACE may not contradict; with one_interface, %IFACE becomes
   *iface. Exits 2 (or through rules->refused) on anything wrong. Returns the
   number of groups, at least 1. */
int parse_group_list(char *spec, struct group_entry *out, const char **iface,
                     const struct group_rules *rules);

/* ------------------------------------------------------------------------- */
/* Formatting */

/* "s" unless n is 1: the plural of a count's noun in a report ("1 datagram",
   "2 datagrams": printf("%llu datagram%s", n, plural(n))). */
const char *plural(unsigned long long n);

/* "12.345 kbit/s": bps in bit/s, kbit/s, Mbit/s or Gbit/s (3 decimals above
   1000) into out. */
void format_bits(double bps, char *out, size_t size);

/* The `n` bytes at p as text: printable ASCII as it is, \\, \n, \r, \t, and
   \xNN for the other bytes. */
void print_escaped(FILE *out, const uint8_t *p, size_t n);

/* The numeric text of the address `ip` of `family` (AF_INET, AF_INET6), or
   "?" if it has none. */
void ip_text(int family, const uint8_t *ip, char *out, size_t size);

/* ------------------------------------------------------------------------- */
/* Signals */

/* Set by SIGINT or SIGTERM once catch_signals(p, 1) is in effect. */
extern volatile sig_atomic_t interrupted;

/* on: SIGINT and SIGTERM set `interrupted` and stop the poller p (mc_stop);
   off: their default actions again (before p is freed). */
void catch_signals(mc_poller *p, int on);

#endif
