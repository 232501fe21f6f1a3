/*  kefuctl top — the whole group at a glance, refreshed (DESIGN.md §8).

    Every daemon's bus status (GetBusStatus), asked once per interval: the
    events it applied and published per second (from the difference of two
    samples), its consumer lag per stream in events and in seconds, replay
    and gap counts, its outbox (events held, the oldest one's age), its
    commit p99, its LMDB map use, the producers it sees down and its
    alarms. And the bus's own counters (_sys/bus): what it forwarded and
    what it refused. --once takes two samples a second apart and prints
    one; --json prints it as one JSON object for scripts.
*/
#include "ctl.h"
#include "kf_store.h"
#include "bus.pb-c.h"

#include <inttypes.h>

typedef struct {
    bool once;
    int interval_ms;
} s_top_t;

//  One sample of the whole group.
typedef struct {
    int64_t taken_ms;                          //  monotonic
    Kf__BusStatus *status [CTL_DAEMONS_MAX];   //  NULL: no answer
} s_sample_t;

//  The bus's counters heard during an interval: the first and the last.
typedef struct {
    Kf__BusCounters *first, *last;
} s_heard_t;

static void
s_sample_free (s_sample_t *sample)
{
    for (size_t i = 0; i < CTL_DAEMONS_MAX; i++)
        kf_codec_free ((ProtobufCMessage **) &sample->status [i]);
}

static void
s_heard_free (s_heard_t *heard)
{
    kf_codec_free ((ProtobufCMessage **) &heard->first);
    kf_codec_free ((ProtobufCMessage **) &heard->last);
}

static int
s_top_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_top_t *a = arg;
    char *end;
    if (option == 'o')
        a->once = true;
    else
    if (option == 'i') {
        long seconds = strtol (value, &end, 10);
        if (*end || seconds < 1 || seconds > 3600)
            return ctl_fail (-1, "top: --interval '%s' is not 1-3600 seconds", value);
        a->interval_ms = (int) seconds * 1000;
    }
    return 0;
}

//  A new subscription takes a moment to reach the bus, and the bus's
//  counters come once a second: a first look waits this long for them.
#define S_FIRST_COUNTERS_MS 3000

//  The bus's counters heard on `sub` within `wait_ms`, and for longer (up
//  to `max_ms`) while none has been heard yet.
static void
s_listen (zsock_t *sub, int wait_ms, int max_ms, s_heard_t *heard)
{
    if (!sub)
        return;
    zpoller_t *poller = zpoller_new (sub, NULL);
    int64_t start = zclock_mono (), wait_end = start + wait_ms, max_end = start + (max_ms > wait_ms ? max_ms : wait_ms);
    while (!zsys_interrupted) {
        int64_t now = zclock_mono ();
        if (now >= wait_end && (heard->first || now >= max_end))
            break;
        if (!zpoller_wait (poller, (int) ((now < wait_end ? wait_end : max_end) - now)))
            continue;
        zmsg_t *msg = zmsg_recv (sub);
        zframe_t *body = msg && zmsg_size (msg) == 2 ? zmsg_last (msg) : NULL;
        Kf__BusCounters *counters = body ? (Kf__BusCounters *) kf_codec_unpack (
            &kf__bus_counters__descriptor, zframe_data (body), zframe_size (body), NULL) : NULL;
        if (counters && !heard->first)
            heard->first = counters;
        else
        if (counters) {
            kf_codec_free ((ProtobufCMessage **) &heard->last);
            heard->last = counters;
        }
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
}

static void
s_take (ctl_t *ctl, const ctl_daemons_t *d, Kf__Request *request, s_sample_t *sample)
{
    Kf__Reply *replies [CTL_DAEMONS_MAX];
    ctl_call_many (ctl, d->count, d->who, d->endpoint, request, replies);
    sample->taken_ms = zclock_mono ();
    for (size_t i = 0; i < d->count; i++) {
        if (replies [i] && replies [i]->result_case == KF__REPLY__RESULT_BUS_STATUS) {
            sample->status [i] = replies [i]->bus_status;
            replies [i]->bus_status = NULL;
        }
        kf_codec_free ((ProtobufCMessage **) &replies [i]);
    }
}

//  What top shows of one daemon.
typedef struct {
    const char *name;
    bool answered;
    double in_per_s, out_per_s;
    uint64_t lag_events, lag_seconds, replays, replayed, gaps;
    uint64_t outbox, oldest_s, map_used, map_size;
    double commit_p99_ms;
    size_t producers_down, lagging_streams;
    uint64_t alarms;         //  streams stopped now, forged events, forbidden replays, malformed frames
} s_row_t;

//  The p99 of the commit histogram: the bound of the bucket that holds it.
static double
s_commit_p99 (const Kf__BusStatus *s)
{
    uint64_t seen = 0, total = s->commit_count;
    if (total == 0)
        return 0;
    for (size_t b = 0; b < s->n_commit_buckets && b < KF_STORE_COMMIT_BUCKETS; b++) {
        seen += s->commit_buckets [b];
        if (seen * 100 >= total * 99)
            return (double) kf_store_commit_bounds_us [b] / 1000.0;
    }
    return (double) kf_store_commit_bounds_us [KF_STORE_COMMIT_BUCKETS - 1] / 1000.0;   //  beyond the last
}

static uint64_t
s_rate_base (uint64_t now, uint64_t before)
{
    return now >= before ? now - before : now;   //  restarted: counted from 0
}

static s_row_t
s_row (const char *name, const Kf__BusStatus *now, const Kf__BusStatus *before, double seconds)
{
    s_row_t r = { .name = name, .answered = now != NULL };
    if (!now)
        return r;
    if (now->service)
        r.name = now->service;   //  its own name, whatever the configuration calls it
    if (before && seconds > 0) {
        r.in_per_s = (double) s_rate_base (now->applied_events, before->applied_events) / seconds;
        r.out_per_s = (double) s_rate_base (now->published_events, before->published_events) / seconds;
    }
    for (size_t c = 0; c < now->n_cursors; c++) {
        const Kf__Cursor *cursor = now->cursors [c];
        for (size_t p = 0; p < now->n_producers; p++)
            for (size_t h = 0; h < now->producers [p]->n_heads; h++) {
                const Kf__StreamHead *head = now->producers [p]->heads [h];
                if (strcmp (head->stream, cursor->stream) != 0 || head->head_seq <= cursor->last_seq
                ||  head->epoch != cursor->epoch)
                    continue;
                uint64_t behind = head->head_seq - cursor->last_seq;
                //  Behind since the cursor last moved, at the latest.
                uint64_t age = now->sampled_at_ms > cursor->updated_at_ms
                             ? (uint64_t) (now->sampled_at_ms - cursor->updated_at_ms) / 1000 : 0;
                r.lagging_streams++;
                r.lag_events = behind > r.lag_events ? behind : r.lag_events;
                r.lag_seconds = age > r.lag_seconds ? age : r.lag_seconds;
            }
    }
    for (size_t p = 0; p < now->n_producers; p++)
        r.producers_down += now->producers [p]->down;
    r.replays = now->replays;
    r.replayed = now->replayed_events;
    r.gaps = now->gaps;
    r.outbox = now->outbox_events;
    if (now->has_outbox_oldest_ms && now->sampled_at_ms > now->outbox_oldest_ms)
        r.oldest_s = (uint64_t) (now->sampled_at_ms - now->outbox_oldest_ms) / 1000;
    r.map_used = now->map_used_bytes;
    r.map_size = now->map_size_bytes;
    r.commit_p99_ms = s_commit_p99 (now);
    r.alarms = now->n_stream_alarms + now->forged_events + now->forbidden_replays + now->malformed_frames;
    return r;
}

//  Forwarded per second between the first and the last counters heard.
static double
s_forwarded_rate (const s_heard_t *heard)
{
    const Kf__BusCounters *a = heard->first, *b = heard->last;
    if (!a || !b || b->sent_at_ms <= a->sent_at_ms)
        return 0;
    return (double) s_rate_base (b->forwarded, a->forwarded) * 1000.0 / (double) (b->sent_at_ms - a->sent_at_ms);
}

static void
s_json (const ctl_daemons_t *d, const s_row_t *rows, const s_heard_t *heard, double seconds)
{
    printf ("{\"interval_s\":%.3f,\"daemons\":[", seconds);
    for (size_t i = 0; i < d->count; i++) {
        const s_row_t *r = &rows [i];
        printf ("%s{\"daemon\":\"%s\",\"answered\":%s", i ? "," : "", r->name, r->answered ? "true" : "false");
        if (r->answered)
            printf (",\"in_per_s\":%.1f,\"out_per_s\":%.1f,\"lag_events\":%" PRIu64 ",\"lag_seconds\":%" PRIu64
                    ",\"lagging_streams\":%zu,\"replays\":%" PRIu64 ",\"replayed_events\":%" PRIu64
                    ",\"gaps\":%" PRIu64 ",\"outbox_events\":%" PRIu64 ",\"outbox_oldest_s\":%" PRIu64
                    ",\"commit_p99_ms\":%.2f,\"map_used_bytes\":%" PRIu64 ",\"map_size_bytes\":%" PRIu64
                    ",\"producers_down\":%zu,\"alarms\":%" PRIu64,
                    r->in_per_s, r->out_per_s, r->lag_events, r->lag_seconds, r->lagging_streams, r->replays,
                    r->replayed, r->gaps, r->outbox, r->oldest_s, r->commit_p99_ms, r->map_used, r->map_size,
                    r->producers_down, r->alarms);
        printf ("}");
    }
    printf ("]");
    const Kf__BusCounters *bus = heard->last ? heard->last : heard->first;
    if (bus)
        printf (",\"bus\":{\"forwarded_per_s\":%.1f,\"forwarded\":%" PRIu64 ",\"refused_publish\":%" PRIu64
                ",\"refused_subscribe\":%" PRIu64 ",\"unknown_keys\":%" PRIu64 ",\"subscriptions\":%" PRIu64 "}",
                s_forwarded_rate (heard), bus->forwarded, bus->refused_publish, bus->refused_subscribe,
                bus->unknown_keys, bus->subscriptions);
    printf ("}\n");
}

static void
s_table (const ctl_daemons_t *d, const s_row_t *rows, const s_heard_t *heard)
{
    ctl_table_t *table = ctl_table_new (13, "DAEMON", "IN/s", "OUT/s", "LAG", "LAG s", "REPLAYS", "GAPS", "OUTBOX",
                                        "OLDEST", "COMMIT p99", "MAP", "DOWN", "ALARMS");
    for (size_t i = 0; i < d->count; i++) {
        const s_row_t *r = &rows [i];
        if (!r->answered) {
            ctl_table_row (table, r->name, "no answer", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-");
            continue;
        }
        char in [24], out [24], lag [24], lag_s [24], replays [24], gaps [24], outbox [24], oldest [24], p99 [24];
        char map [24], down [24], alarms [24];
        snprintf (in, sizeof in, "%.0f", r->in_per_s);
        snprintf (out, sizeof out, "%.0f", r->out_per_s);
        snprintf (lag, sizeof lag, "%" PRIu64, r->lag_events);
        snprintf (lag_s, sizeof lag_s, "%" PRIu64, r->lag_seconds);
        snprintf (replays, sizeof replays, "%" PRIu64, r->replays);
        snprintf (gaps, sizeof gaps, "%" PRIu64, r->gaps);
        snprintf (outbox, sizeof outbox, "%" PRIu64, r->outbox);
        snprintf (oldest, sizeof oldest, "%" PRIu64 "s", r->oldest_s);
        snprintf (p99, sizeof p99, "%.2f ms", r->commit_p99_ms);
        snprintf (map, sizeof map, "%.1f%%", r->map_size ? 100.0 * (double) r->map_used / (double) r->map_size : 0.0);
        snprintf (down, sizeof down, "%zu", r->producers_down);
        snprintf (alarms, sizeof alarms, "%" PRIu64, r->alarms);
        ctl_table_row (table, r->name, in, out, lag, lag_s, replays, gaps, outbox, oldest, p99, map, down, alarms);
    }
    ctl_table_print (&table, stdout);
    const Kf__BusCounters *bus = heard->last ? heard->last : heard->first;
    if (bus)
        printf ("\nbus: %.0f/s forwarded; refused since it started: %" PRIu64 " publishes, %" PRIu64
                " subscriptions, %" PRIu64 " messages of keys no longer admitted\n", s_forwarded_rate (heard),
                bus->refused_publish, bus->refused_subscribe, bus->unknown_keys);
    else
        printf ("\nbus: no counters heard on _sys/bus\n");
}

static int
s_top (ctl_t *ctl, int argc, char **argv)
{
    static const struct option spec [] = {
        { "once", no_argument, NULL, 'o' }, { "interval", required_argument, NULL, 'i' },
        { NULL, 0, NULL, 0 }
    };
    s_top_t a = { .interval_ms = 1000 };
    int code;
    int first = ctl_options (ctl, &ctl_top_command, argc, argv, spec, s_top_option, &a, &code);
    if (first < 0)
        return code;
    if (!ctl_config (ctl))
        return CTL_FAILED;
    ctl_daemons_t d;
    if (ctl_daemons (ctl, argc - first, argv + first, &d))
        return CTL_USAGE;
    kf_err_t err;
    if (!ctl->net && !(ctl->net = kf_net_new (ctl->config, &err)))
        return ctl_fail (CTL_FAILED, "%s", err.text);
    //  The bus's counters come every second on _sys/bus.
    zsock_t *sub = zsock_new (ZMQ_SUB);
    kf_err_set (&err, "out of sockets");
    if (!sub || kf_net_connect (ctl->net, sub, kf_config_str (ctl->config, "bus/subscribe"), &err)) {
        zsock_destroy (&sub);
        fprintf (stderr, "kefuctl: top: without the bus's counters: %s\n", err.text);
    }
    else
        zsock_set_subscribe (sub, "_sys/bus");
    Kf__GetBusStatus get = KF__GET_BUS_STATUS__INIT;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_BUS_STATUS;
    request.bus_status = &get;
    s_sample_t before = { 0 }, now = { 0 };
    s_heard_t heard = { NULL, NULL };
    s_take (ctl, &d, &request, &before);
    s_listen (sub, a.once ? 1000 : a.interval_ms, S_FIRST_COUNTERS_MS, &heard);
    int rc = 0;
    while (!zsys_interrupted) {
        memset (&now, 0, sizeof now);
        s_take (ctl, &d, &request, &now);
        double seconds = (double) (now.taken_ms - before.taken_ms) / 1000.0;
        s_row_t rows [CTL_DAEMONS_MAX];
        size_t answered = 0;
        for (size_t i = 0; i < d.count; i++) {
            rows [i] = s_row (d.who [i], now.status [i], before.status [i], seconds);
            answered += rows [i].answered;
        }
        if (ctl->json)
            s_json (&d, rows, &heard, seconds);
        else {
            if (!a.once)
                printf ("\033[H\033[2J");   //  home and clear: a live view
            s_table (&d, rows, &heard);
        }
        fflush (stdout);
        rc = answered == d.count ? 0 : CTL_FAILED;
        s_sample_free (&before);
        before = now;
        if (a.once)
            break;
        //  The next interval's counters start from the last heard.
        kf_codec_free ((ProtobufCMessage **) &heard.first);
        heard.first = heard.last;
        heard.last = NULL;
        s_listen (sub, a.interval_ms, a.interval_ms, &heard);
    }
    s_sample_free (&before);
    s_heard_free (&heard);
    zsock_destroy (&sub);
    return rc;
}

const ctl_command_t ctl_top_command = {
    "top", "the whole group live: rates, lag, replays, outboxes, commits, map use, alarms",
    "top [--once] [--interval SECONDS] [DAEMON...]\n\n"
    "Every daemon (all by default), refreshed each interval (default 1 s) until Ctrl-C:\n"
    "  IN/s OUT/s   events applied and published per second\n"
    "  LAG, LAG s   its furthest-behind stream: events behind the producer's head, and\n"
    "               seconds since that cursor last moved\n"
    "  REPLAYS GAPS replays asked for and gaps found in live streams, since it started\n"
    "  OUTBOX       events its outbox holds; OLDEST, the age of the oldest of them\n"
    "  COMMIT p99   of its durable commits; MAP, its LMDB map in use\n"
    "  DOWN         producers it hears no heartbeat from; ALARMS, streams stopped for an\n"
    "               operator now (kefuctl streams), forged events, forbidden replays and\n"
    "               malformed frames since it started\n"
    "and the bus's own counters (_sys/bus): forwarded per second, refused publishes and\n"
    "subscriptions. --once takes two samples a second apart and prints one; with\n"
    "--json, one JSON object. Fails when a daemon does not answer.",
    s_top, NULL
};
