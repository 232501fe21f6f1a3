/*  bench_kefu — kefu's side of the bus benchmark.

        bench_kefu producer --config F --data DIR --replay EP --events N [--rate R] [--batch B]
        bench_kefu consumer --config F --data DIR --events N --out FILE

    The producer emits N events into estate E001 through kf_bus, at R/s or
    flat out in transactions of up to B events; the consumer applies them
    with kf_bus (a put per event, group commit, durable) and records each
    event's latency after its commit, then writes the record and exits.
*/
#include <getopt.h>

#include "kf_bus.h"
#include "kf_codec.h"
#include "bench_common.h"

typedef struct {
    kf_bus_t *bus;
    uint64_t events, rate, batch, sent, start_us;
    uint64_t emitted;          //  what the last attempt of s_emit emitted up to
    kf_table_t effects;
    bench_record_t *record;
} s_bench_t;

static int
s_emit (kf_txn_t *txn, void *arg)
{
    s_bench_t *b = arg;
    uint64_t now = bench_now_us ();
    uint64_t due = bench_due (b->events, b->rate, now - b->start_us);
    uint64_t until = b->sent + b->batch < due ? b->sent + b->batch : due;
    b->emitted = until;
    for (uint64_t k = b->sent + 1; k <= until; k++) {
        char note [48];
        bench_note (note, sizeof note, k, now);
        Kf__TicketNoteAdded body = KF__TICKET_NOTE_ADDED__INIT;
        body.note = note;
        Kf__Envelope event = KF__ENVELOPE__INIT;
        event.estate = "E001";
        event.body_case = KF__ENVELOPE__BODY_TICKET_NOTE_ADDED;
        event.ticket_note_added = &body;
        kf_bus_emit (b->bus, txn, &event);
    }
    return kf_txn_ok (txn) ? 0 : -1;
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    s_bench_t *b = arg;
    //  Catch up with everything due: a slow commit makes the next batch
    //  larger, as group commit should.
    while (b->sent < bench_due (b->events, b->rate, bench_now_us () - b->start_us)) {
        kf_err_t err;
        if (kf_bus_write (b->bus, s_emit, b, &err)) {
            fprintf (stderr, "bench_kefu: %s\n", err.text);
            return -1;
        }
        b->sent = b->emitted;
        if (b->rate)
            break;   //  paced: one transaction a tick
    }
    return 0;
}

static int
s_handle (kf_bus_t *bus, kf_txn_t *txn, const Kf__Envelope *event, void *arg)
{
    (void) bus;
    s_bench_t *b = arg;
    uint64_t k, t;
    if (event->body_case != KF__ENVELOPE__BODY_TICKET_NOTE_ADDED
    ||  bench_parse (event->ticket_note_added->note, &k, &t))
        return 0;
    //  The effect: one put per event, as a real service would make.
    kf_key_t key;
    kf_key_make (&key, "q", k);
    bench_record_pending (b->record, k, t);
    return kf_txn_put (txn, b->effects, &key, &t, sizeof t);
}

static void
s_committed (kf_bus_t *bus, size_t applied, void *arg)
{
    (void) applied;
    s_bench_t *b = arg;
    bench_record_committed (b->record);
    if (b->record->received == b->events)
        kf_bus_stop (bus);
}

int
main (int argc, char **argv)
{
    if (argc < 2)
        return 2;
    bool producer = strcmp (argv [1], "producer") == 0;
    const char *config_path = NULL, *data = NULL, *replay = NULL, *out = NULL;
    s_bench_t b = { .batch = 1000 };
    static const struct option options [] = {
        { "config", required_argument, NULL, 'c' }, { "data", required_argument, NULL, 'd' },
        { "replay", required_argument, NULL, 'r' }, { "events", required_argument, NULL, 'n' },
        { "rate", required_argument, NULL, 'R' }, { "batch", required_argument, NULL, 'b' },
        { "out", required_argument, NULL, 'o' }, { NULL, 0, NULL, 0 }
    };
    int c;
    optind = 2;
    while ((c = getopt_long (argc, argv, "", options, NULL)) != -1)
        switch (c) {
            case 'c': config_path = optarg; break;
            case 'd': data = optarg; break;
            case 'r': replay = optarg; break;
            case 'n': b.events = strtoull (optarg, NULL, 10); break;
            case 'R': b.rate = strtoull (optarg, NULL, 10); break;
            case 'b': b.batch = strtoull (optarg, NULL, 10); break;
            case 'o': out = optarg; break;
            default: return 2;
        }
    kf_log_init (producer ? "bench-producer" : "bench-consumer", KF_LOG_WARNING);
    kf_err_t err;
    kf_config_t *config = kf_config_load (config_path, &err);
    const char *tables [] = { KF_BUS_TABLES, "effects", NULL };
    kf_store_t *store = config ? kf_store_new (data, tables, NULL, &err) : NULL;
    kf_clock_t *clock = kf_clock_new (NULL, NULL);
    if (!store) {
        fprintf (stderr, "bench_kefu: %s\n", err.text);
        return 1;
    }
    kf_bus_options_t bus_options = { 0 };
    if (producer) {
        bus_options.producer = "bench@c1";
        bus_options.replay_endpoint = replay;
    }
    else {
        bus_options.handler = s_handle;
        bus_options.handler_arg = &b;
        bus_options.on_commit = s_committed;
        bus_options.on_commit_arg = &b;
        b.effects = kf_store_table (store, "effects");
        b.record = bench_record_new (b.events);
    }
    b.bus = kf_bus_new (config, store, clock, &bus_options, &err);
    if (!b.bus) {
        fprintf (stderr, "bench_kefu: %s\n", err.text);
        return 1;
    }
    if (producer) {
        //  Let subscriptions reach the proxy before the clock starts.
        zclock_sleep (500);
        b.start_us = bench_now_us ();
        zloop_timer (kf_bus_loop (b.bus), 1, 0, s_on_tick, &b);
    }
    kf_bus_run (b.bus);
    const kf_bus_stats_t *stats = kf_bus_stats (b.bus);
    fprintf (stderr, "bench_kefu %s: applied %llu in %llu commits, replayed %llu, duplicates %llu, published %llu\n",
             argv [1], (unsigned long long) stats->applied, (unsigned long long) stats->commits,
             (unsigned long long) stats->replayed, (unsigned long long) stats->duplicates,
             (unsigned long long) stats->published);
    if (!producer)
        bench_record_write (b.record, out);
    bench_record_destroy (&b.record);
    kf_bus_destroy (&b.bus);
    kf_clock_destroy (&clock);
    kf_store_destroy (&store);
    kf_config_destroy (&config);
    return 0;
}
