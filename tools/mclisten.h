/* mclisten.h - the parts of mclisten: mclisten.c reads the options, joins
   and runs the listener; mclisten_flows.c reads the test headers and counts
   each flow (loss, duplicates, reordering, delay, jitter); mclisten_output.c
   prints the datagrams, the interval figures and the summary. */
#ifndef MC_TOOLS_MCLISTEN_H
#define MC_TOOLS_MCLISTEN_H

#include "common.h"

#define MAX_FLOWS 1024
#define SLOTS 4096          /* hash slots for the flows (a power of two) */
#define WINDOW 8192         /* sequence numbers remembered per flow (a multiple of 64) */

/* ------------------------------------------------------------------------- */
/* Flows: (group, sender, stream) and what was counted */

enum kind { KIND_NONE, KIND_MC, KIND_IPERF };
enum event { EV_NONE, EV_OK, EV_GAP, EV_LATE, EV_DUP, EV_FIN, EV_FIN_AGAIN };

struct figures {              /* over the whole run, or one interval */
    uint64_t packets, bytes, lost, dups, reord;
    double dmin, dmax, dsum;   /* delay, ms */
    uint64_t dn;
};

struct flow {
    int family;
    uint8_t group[16], src[16];
    uint16_t sport;
    uint32_t stream;
    enum kind kind;
    struct figures all, iv;
    uint64_t iv_lost_at;       /* lost() when the interval began */
    /* sequence numbers */
    int have_seq;
    uint64_t first, max, unique;
    uint64_t bits[WINDOW / 64];
    /* jitter (RFC 3550), ms */
    double jitter, last_transit;
    int have_transit;
    int ttl_min, ttl_max;
    long long first_rx, last_rx; /* ns since the epoch */
};

/* What one datagram's header said (kind KIND_NONE: none), and what counting
   it in its flow found. */
struct arrival {
    enum kind kind;
    uint32_t stream;            /* mct1's stream id; iperf: the sender's port */
    uint64_t seq;
    int fin;                    /* iperf's last datagram (negative id) */
    long long rx, tx;           /* received and sent, ns since the epoch */
    enum event ev;              /* EV_NONE if the flow is not tracked */
    uint64_t gap;               /* with EV_GAP: the datagrams lost before it */
    double delay;               /* ms */
    size_t text_at, text_len;   /* the payload after the header, without zero padding */
};

/* The flows in the order they were first seen, at most MAX_FLOWS. */
extern struct flow *flows[MAX_FLOWS];
extern int nflows;
/* Datagrams of flows beyond MAX_FLOWS. */
extern uint64_t untracked;

/* Reads the test header of `p` as `header` says (KIND_MC: mcsend's, recognized
   by its magic; KIND_IPERF: that or iperf2's; KIND_NONE: none) into *a, with
   the time of arrival. */
void read_arrival(enum kind header, const mc_packet *p, struct arrival *a);

/* Counts `p` in its flow (a new one if it is the first of its flow): packets,
   bytes, TTL, and with a header the sequence number (a->ev, a->gap), delay
   and jitter. */
void count_arrival(const mc_packet *p, struct arrival *a);

/* The datagrams missing from the flow's sequence numbers so far. */
uint64_t lost_of(const struct flow *f);

/* ------------------------------------------------------------------------- */
/* Output */

/* What the run is: its options, its listener and where it is. */
struct state {
    mc_poller *poller;
    mc_listener *listener;
    long count;          /* 0: no limit */
    long seen;
    int hex, quiet, json, show_ttl, show_rx;
    enum kind header;    /* KIND_MC (default), KIND_IPERF, KIND_NONE */
    int done;            /* COUNT reached: the listener closed itself */
    long long last;      /* monotonic ns of the last datagram (or the start) */
    long long start;     /* monotonic ns of the start */
    long long start_real;/* ns since the epoch of the start */
    mc_listener_stats stats;
    uint64_t iv_kernel_drops;
    FILE *report;        /* where summaries go */
};

/* The line (or with -j the JSON object) of datagram `p` on standard output. */
void print_arrival(const struct state *st, const mc_packet *p, const struct arrival *a);

/* The figures of the interval [t0, t1] (seconds since the start) of every
   flow and their total; starts the next interval. */
void print_interval(struct state *st, double t0, double t1);

/* One flow's figures over [t0, t1] seconds since the start; `rate_span` the
   seconds the rates are taken over; `final`: the summary's row. */
void print_row(const struct state *st, const struct flow *f, const struct figures *x,
               uint64_t lost, double t0, double t1, double rate_span, int final);

/* The total of every flow over [t0, t1]; `final`: the summary's, with the
   listener's counts and the exit status. */
void print_total(const struct state *st, double t0, double t1, uint64_t packets,
                 uint64_t bytes, uint64_t lost, uint64_t dups, uint64_t reord,
                 uint64_t kdrops, int final, int status);

#endif
