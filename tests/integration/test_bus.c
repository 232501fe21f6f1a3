/*  Integration tests of the event bus: real kefu-bus, real producers and
    consumers (bus_producer, bus_consumer) on ipc:// endpoints in a scratch
    directory, killed with SIGKILL at chosen and at random moments.

    Every consumer's store must end with exactly the expected effect per
    stream: count and checksum, no event applied twice or out of order.

    KEFU_FAULT_EVENTS=N (make fault) runs the long version: N events per
    stream, 2 producers x 3 estates, random kill -9 of every kind of process.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kf_test.h"
#include "kf_harness.h"
#include "kf_inbox.h"
#include "kf_outbox.h"
#include "kf_codec.h"
#include "bus_effect.h"

#define S_ESTATES 3
static const char *s_estates [S_ESTATES] = { "E001", "E002", "E003" };
static const char *s_producers [2] = { "p1@c1", "p2@c1" };
//  Consumers see all estates, E001 and E002, and E003 only.
static const char *s_consumer_estates [3] = { NULL, "E001,E002", "E003" };

typedef struct {
    char config [256];
    h_proc_t bus;
    h_proc_t producers [2];
    h_proc_t consumers [3];
    int np, nc;
    uint64_t events;        //  per stream
} s_cluster_t;

static void
s_write_config (const char *path, uint64_t outbox_max_events)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file,
        "bus\n"
        "    publish = ipc://%s/bus-in\n"
        "    subscribe = ipc://%s/bus-out\n"
        "    capture = ipc://%s/bus-tap\n"
        "    heartbeat = 200ms\n"
        "    outbox_max_events = %llu\n"
        "estates\n", kf_test_dir, kf_test_dir, kf_test_dir, (unsigned long long) outbox_max_events);
    for (int i = 0; i < S_ESTATES; i++)
        fprintf (file, "    %s\n        name = \"estate %d\"\n", s_estates [i], i + 1);
    fclose (file);
}

static void
s_producer_init (s_cluster_t *c, int i, uint64_t rate)
{
    char replay [128], data [128], events [32], rate_text [32];
    snprintf (replay, sizeof replay, "ipc://%s/p%d-replay", kf_test_dir, i + 1);
    snprintf (data, sizeof data, "%s/p%d", kf_test_dir, i + 1);
    snprintf (events, sizeof events, "%llu", (unsigned long long) c->events);
    snprintf (rate_text, sizeof rate_text, "%llu", (unsigned long long) rate);
    char name [16];
    snprintf (name, sizeof name, "p%d", i + 1);
    h_proc_init (&c->producers [i], kf_test_dir, name, "bus_producer", "--config", c->config,
                 "--producer", s_producers [i], "--replay", replay, "--data", data,
                 "--estates", "E001,E002,E003", "--events", events, "--batch", "20", "--rate", rate_text, NULL);
}

static void
s_consumer_init (s_cluster_t *c, int i)
{
    char data [128], name [16];
    snprintf (data, sizeof data, "%s/c%d", kf_test_dir, i + 1);
    snprintf (name, sizeof name, "c%d", i + 1);
    if (s_consumer_estates [i])
        h_proc_init (&c->consumers [i], kf_test_dir, name, "bus_consumer", "--config", c->config,
                     "--data", data, "--estates", s_consumer_estates [i], NULL);
    else
        h_proc_init (&c->consumers [i], kf_test_dir, name, "bus_consumer", "--config", c->config,
                     "--data", data, NULL);
}

//  np producers at `rate` events/s per estate (0: flat out), nc consumers.
static void
s_cluster_init (s_cluster_t *c, int np, int nc, uint64_t events, uint64_t rate, uint64_t outbox_max_events)
{
    memset (c, 0, sizeof *c);
    c->np = np;
    c->nc = nc;
    c->events = events;
    snprintf (c->config, sizeof c->config, "%s/kefu.conf", kf_test_dir);
    s_write_config (c->config, outbox_max_events);
    h_proc_init (&c->bus, kf_test_dir, "bus", "kefu-bus", "--config", c->config, NULL);
    for (int i = 0; i < np; i++)
        s_producer_init (c, i, rate);
    for (int i = 0; i < nc; i++)
        s_consumer_init (c, i);
}

//  Stop everything; each must exit cleanly (under ASan: without a leak).
static void
s_cluster_stop (s_cluster_t *c)
{
    for (int i = 0; i < c->nc; i++)
        if (c->consumers [i].pid)
            assert_int_equal (h_stop (&c->consumers [i], 20000), 0);
    for (int i = 0; i < c->np; i++)
        if (c->producers [i].pid)
            assert_int_equal (h_stop (&c->producers [i], 20000), 0);
    if (c->bus.pid)
        assert_int_equal (h_stop (&c->bus, 20000), 0);
    for (int i = 0; i < c->nc; i++)
        h_proc_free (&c->consumers [i]);
    for (int i = 0; i < c->np; i++)
        h_proc_free (&c->producers [i]);
    h_proc_free (&c->bus);
}

static bool
s_consumes (int consumer, const char *estate)
{
    return !s_consumer_estates [consumer] || strstr (s_consumer_estates [consumer], estate);
}

//  ---- reading the consumers' stores ---------------------------------------

//  The effect a consumer holds for a stream.
static bus_effect_t
s_effect (int consumer, const char *producer, const char *estate)
{
    char path [128];
    snprintf (path, sizeof path, "%s/c%d", kf_test_dir, consumer + 1);
    const char *tables [] = { KF_BUS_TABLES, "effects", NULL };
    kf_store_t *store = kf_store_new (path, tables, NULL, NULL);
    char stream [KF_STREAM_MAX];
    kf_stream_name (stream, sizeof stream, producer, estate);
    kf_key_t key;
    kf_key_make (&key, "s", stream);
    bus_effect_t effect = { 0 };
    bus_effect_read_t r = { &key, &effect };
    if (store)
        kf_store_read (store, bus_effect_read, &r, NULL);
    kf_store_destroy (&store);
    return effect;
}

static uint64_t
s_expected_checksum (const char *producer, const char *estate, uint64_t events)
{
    uint64_t sum = 0;
    char note [96];
    for (uint64_t k = 1; k <= events; k++) {
        bus_effect_note (note, sizeof note, producer, estate, k);
        sum += bus_effect_hash (note);
    }
    return sum;
}

//  The least progress of a consumer over the streams it should have.
static uint64_t
s_progress (s_cluster_t *c, int consumer)
{
    uint64_t least = UINT64_MAX;
    for (int p = 0; p < c->np; p++)
        for (int e = 0; e < S_ESTATES; e++)
            if (s_consumes (consumer, s_estates [e])) {
                uint64_t n = s_effect (consumer, s_producers [p], s_estates [e]).count;
                least = n < least ? n : least;
            }
    return least;
}

typedef struct {
    s_cluster_t *cluster;
    int consumer;        //  -1: all of them
    uint64_t at_least;
} s_progress_t;

static bool
s_reached (void *arg)
{
    s_progress_t *p = arg;
    for (int i = 0; i < p->cluster->nc; i++)
        if ((p->consumer < 0 || p->consumer == i) && s_progress (p->cluster, i) < p->at_least)
            return false;
    return true;
}

static bool
s_wait_progress (s_cluster_t *c, int consumer, uint64_t at_least, int timeout_ms)
{
    s_progress_t p = { c, consumer, at_least };
    return h_wait_for (s_reached, &p, timeout_ms);
}

//  Compare every consumer's effects with what the producers made; prints
//  the totals and fails the test on any difference.
static void
s_verify (s_cluster_t *c)
{
    uint64_t events = 0, lost = 0, duplicated = 0, disorder = 0, wrong = 0;
    for (int p = 0; p < c->np; p++)
        for (int e = 0; e < S_ESTATES; e++) {
            events += c->events;
            uint64_t expected = s_expected_checksum (s_producers [p], s_estates [e], c->events);
            for (int i = 0; i < c->nc; i++) {
                if (!s_consumes (i, s_estates [e]))
                    continue;
                bus_effect_t effect = s_effect (i, s_producers [p], s_estates [e]);
                lost += effect.count < c->events ? c->events - effect.count : 0;
                duplicated += effect.count > c->events ? effect.count - c->events : 0;
                disorder += effect.violations;
                wrong += effect.count == c->events && effect.checksum != expected;
            }
        }
    printf ("events=%llu lost=%llu duplicated=%llu\n", (unsigned long long) events,
            (unsigned long long) lost, (unsigned long long) duplicated);
    fflush (stdout);
    assert_int_equal (lost, 0);
    assert_int_equal (duplicated, 0);
    assert_int_equal (disorder, 0);
    assert_int_equal (wrong, 0);
}

static void
s_start_all (s_cluster_t *c)
{
    h_start (&c->bus);
    for (int i = 0; i < c->nc; i++)
        h_start (&c->consumers [i]);
    for (int i = 0; i < c->np; i++)
        h_start (&c->producers [i]);
}

//  The test producer says so when it has made all its events.
static bool
s_all_produced (void *proc)
{
    return h_log_contains (proc, "events of each estate produced");
}

static bool
s_snapshot_alarm (void *proc)
{
    return h_log_contains (proc, "snapshot required");
}

static bool
s_epoch_alarm (void *proc)
{
    return h_log_contains (proc, "the epoch changed");
}

//  Whether the producer's outbox has let go of its first events.
static int
s_first_seq (kf_txn_t *txn, void *arg)
{
    uint64_t *first = arg;
    kf_key_t key;
    kf_key_make (&key, "s", "p1@c1/E001");
    ProtobufCMessage *head = NULL;
    if (kf_txn_get_msg (txn, kf_store_table (kf_txn_store (txn), "bus_heads"), &key,
                        &kf__stream_head__descriptor, &head) == KF_FOUND)
        *first = ((Kf__StreamHead *) head)->first_seq;
    kf_codec_free (&head);
    return 0;
}

static bool
s_outbox_trimmed (void *arg)
{
    (void) arg;
    char path [128];
    snprintf (path, sizeof path, "%s/p1", kf_test_dir);
    const char *tables [] = { KF_BUS_TABLES, "progress", NULL };
    kf_store_t *store = kf_store_new (path, tables, NULL, NULL);
    uint64_t first = 0;
    if (store)
        kf_store_read (store, s_first_seq, &first, NULL);
    kf_store_destroy (&store);
    return first > 1;
}

static bool
s_said_up (void *proc)
{
    return h_log_contains (proc, "producer p1@c1 is up");
}

static bool
s_said_up_again (void *proc)
{
    //  "is up" is said at the first beat and again after the return.
    FILE *file = fopen (((h_proc_t *) proc)->log, "r");
    int ups = 0;
    char line [1024];
    while (file && fgets (line, sizeof line, file))
        ups += strstr (line, "producer p1@c1 is up") != NULL;
    if (file)
        fclose (file);
    return ups >= 2;
}

//  A consumer's cursor on a stream, read from its store.
typedef struct {
    const char *stream;
    uint64_t at_least;
} s_cursor_wait_t;

typedef struct {
    const char *stream;
    uint64_t last;
} s_cursor_read_t;

static int
s_read_cursor (kf_txn_t *txn, void *arg)
{
    s_cursor_read_t *r = arg;
    kf_inbox_t *inbox = kf_inbox_new (kf_txn_store (txn));
    uint64_t epoch;
    kf_inbox_cursor (inbox, txn, r->stream, &epoch, &r->last, NULL, 0);
    kf_inbox_destroy (&inbox);
    return 0;
}

static bool
s_cursor_reached (void *arg)
{
    s_cursor_wait_t *wait = arg;
    char path [128];
    snprintf (path, sizeof path, "%s/c1", kf_test_dir);
    const char *tables [] = { KF_BUS_TABLES, "effects", NULL };
    kf_store_t *store = kf_store_new (path, tables, NULL, NULL);
    s_cursor_read_t r = { wait->stream, 0 };
    if (store)
        kf_store_read (store, s_read_cursor, &r, NULL);
    kf_store_destroy (&store);
    return r.last >= wait->at_least;
}

//  ---- the tests --------------------------------------------------------------

//  A consumer, the bus and a producer each die by kill -9 mid-stream and
//  come back; every effect is still applied exactly once.
static void
test_exactly_once_across_kill9 (void **state)
{
    (void) state;
    s_cluster_t c;
    s_cluster_init (&c, 2, 3, 3000, 3000, 1000000);
    s_start_all (&c);
    assert_true (s_wait_progress (&c, 0, c.events / 4, 60000));
    h_kill9 (&c.consumers [0]);
    h_start (&c.consumers [0]);
    assert_true (s_wait_progress (&c, 1, c.events / 2, 60000));
    h_kill9 (&c.bus);
    h_start (&c.bus);
    assert_true (s_wait_progress (&c, 2, 3 * c.events / 4, 60000));
    h_kill9 (&c.producers [0]);
    h_start (&c.producers [0]);
    assert_true (s_wait_progress (&c, -1, c.events, 120000));
    s_cluster_stop (&c);
    s_verify (&c);
}

//  A consumer down while everything is produced catches up by replay.
static void
test_stopped_consumer_catches_up (void **state)
{
    (void) state;
    s_cluster_t c;
    s_cluster_init (&c, 1, 1, 5000, 0, 1000000);
    h_start (&c.bus);
    h_start (&c.producers [0]);
    //  Until the producer has made everything, the consumer is not there.
    assert_true (h_wait_for (s_all_produced, &c.producers [0], 60000));
    h_start (&c.consumers [0]);
    assert_true (s_wait_progress (&c, 0, c.events, 60000));
    s_cluster_stop (&c);
    assert_true (h_log_contains (&c.consumers [0], "replayed 15000"));
    s_verify (&c);
}

//  A producer whose store was wiped comes back with a new epoch and starts
//  its streams again at 1: the consumer must say so, not apply them.
static void
test_new_epoch_is_reported (void **state)
{
    (void) state;
    s_cluster_t c;
    s_cluster_init (&c, 1, 1, 500, 0, 1000000);
    s_start_all (&c);
    assert_true (s_wait_progress (&c, 0, c.events, 60000));
    assert_int_equal (h_stop (&c.producers [0], 20000), 0);
    char data [256];
    snprintf (data, sizeof data, "%s/p1", kf_test_dir);
    kf_test_remove_tree (data);
    h_start (&c.producers [0]);
    assert_true (h_wait_for (s_epoch_alarm, &c.consumers [0], 60000));
    s_cluster_stop (&c);
    //  The old effects stand; none of the new epoch's events were applied.
    s_verify (&c);
}

//  Events trimmed from the outbox cannot be replayed: the consumer that
//  needs them raises the alarm instead of skipping them.
static void
test_trimmed_range_is_reported (void **state)
{
    (void) state;
    s_cluster_t c;
    s_cluster_init (&c, 1, 1, 3000, 0, 1000);
    h_start (&c.bus);
    h_start (&c.producers [0]);
    assert_true (h_wait_for (s_all_produced, &c.producers [0], 60000));
    //  Maintenance runs with each heartbeat; once it has trimmed, start.
    assert_true (h_wait_for (s_outbox_trimmed, &c, 60000));
    h_start (&c.consumers [0]);
    assert_true (h_wait_for (s_snapshot_alarm, &c.consumers [0], 60000));
    s_cluster_stop (&c);
    assert_true (h_log_contains (&c.consumers [0], "was trimmed"));
    for (int e = 0; e < S_ESTATES; e++)
        assert_int_equal (s_effect (0, s_producers [0], s_estates [e]).count, 0);
}

//  Junk on the bus and at a replay endpoint is counted and dropped.
static void
test_malformed_frames_are_dropped (void **state)
{
    (void) state;
    s_cluster_t c;
    s_cluster_init (&c, 1, 1, 2000, 2000, 1000000);
    s_start_all (&c);
    //  An XPUB, not a PUB: it hears the consumers' subscriptions, so the
    //  junk is sent only once someone downstream will receive it.
    zsock_t *junk = zsock_new (ZMQ_XPUB);
    zsock_t *replay = zsock_new (ZMQ_DEALER);
    assert_int_equal (zsock_connect (junk, "ipc://%s/bus-in", kf_test_dir), 0);
    assert_int_equal (zsock_connect (replay, "ipc://%s/p1-replay", kf_test_dir), 0);
    zsock_set_rcvtimeo (junk, 30000);
    zframe_t *subscription = zframe_recv (junk);
    assert_non_null (subscription);
    zframe_destroy (&subscription);
    assert_true (s_wait_progress (&c, 0, 200, 60000));
    for (int round = 0; round < 50; round++) {
        zstr_send (junk, "E001/ticket.filed");                          //  one frame only
        zstr_sendx (junk, "E001/ticket.filed", "\xff\xff\xff", NULL);   //  not protobuf
        zstr_sendx (junk, "E002/x", "a", "b", NULL);                    //  three frames
        zstr_sendx (junk, "_sys/heartbeat", "\x0a\x02", NULL);          //  a broken heartbeat
        const uint8_t envelope [] = { 0x18, 0x05 };                     //  seq 5, no stream
        zmq_send (zsock_resolve (junk), "E003/ticket.filed", 17, ZMQ_SNDMORE);
        zmq_send (zsock_resolve (junk), envelope, sizeof envelope, 0);
        zstr_send (replay, "not a replay message");
        zstr_sendx (replay, "x", "y", NULL);
    }
    assert_true (s_wait_progress (&c, 0, c.events, 60000));
    zsock_destroy (&junk);
    zsock_destroy (&replay);
    assert_true (h_alive (&c.consumers [0]) && h_alive (&c.producers [0]));
    s_cluster_stop (&c);
    assert_false (h_log_contains (&c.consumers [0], "malformed 0,"));
    assert_false (h_log_contains (&c.producers [0], "malformed 0,"));
    s_verify (&c);
}

//  A producer that stops is marked down after three missed beats, and up
//  again when it comes back.
static bool
s_said_down (void *proc)
{
    return h_log_contains (proc, "producer p1@c1 is down");
}

static void
test_producer_down_and_up (void **state)
{
    (void) state;
    s_cluster_t c;
    s_cluster_init (&c, 1, 1, 100, 0, 1000000);
    s_start_all (&c);
    assert_true (s_wait_progress (&c, 0, c.events, 60000));
    //  A producer is known by its heartbeats: wait until one was heard.
    assert_true (h_wait_for (s_said_up, &c.consumers [0], 30000));
    assert_int_equal (h_stop (&c.producers [0], 20000), 0);
    assert_true (h_wait_for (s_said_down, &c.consumers [0], 30000));
    h_start (&c.producers [0]);
    assert_true (h_wait_for (s_said_up_again, &c.consumers [0], 30000));
    s_cluster_stop (&c);
    s_verify (&c);
}

//  A newer producer: its stream mixes known events with a kind this build
//  does not know. The consumer applies the known ones, steps over the
//  others, and its cursor reaches the end: it does not stall.
static void
test_unknown_kinds_advance_the_cursor (void **state)
{
    (void) state;
    s_cluster_t c;
    s_cluster_init (&c, 0, 1, 0, 0, 1000000);
    h_start (&c.bus);
    h_start (&c.consumers [0]);
    zsock_t *newer = zsock_new (ZMQ_XPUB);
    assert_int_equal (zsock_connect (newer, "ipc://%s/bus-in", kf_test_dir), 0);
    zsock_set_rcvtimeo (newer, 30000);
    zframe_t *subscription = zframe_recv (newer);
    assert_non_null (subscription);
    zframe_destroy (&subscription);
    //  Events 1..10: odd ones known (notes 1..5), even ones a body at field 200.
    //  protobuf-c keeps a length-prefixed unknown field with its length:
    //  3, then the 3 bytes of a message { 1: "x" }.
    uint8_t unknown_body [] = { 0x03, 0x0A, 0x01, 'x' };
    ProtobufCMessageUnknownField field = { 200, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, sizeof unknown_body, unknown_body };
    //  The bus takes everything a producer sends, but forwards to the
    //  consumer only once its subscription is in: this raw producer has no
    //  heartbeat nor replay, so it sends again (duplicates are skipped)
    //  until the consumer has all ten.
    s_cursor_wait_t wait = { "newer@c1/E001", 10 };
    for (int round = 0; round < 60 && !s_cursor_reached (&wait); round++) {
        for (uint64_t seq = 1; seq <= 10; seq++) {
            char note [64];
            bus_effect_note (note, sizeof note, "newer@c1", "E001", (seq + 1) / 2);
            Kf__TicketNoteAdded body = KF__TICKET_NOTE_ADDED__INIT;
            body.note = note;
            Kf__Envelope env = KF__ENVELOPE__INIT;
            env.stream = "newer@c1/E001";
            env.estate = "E001";
            env.epoch = 1;
            env.seq = seq;
            env.has_epoch = env.has_seq = 1;
            if (seq % 2) {
                env.body_case = KF__ENVELOPE__BODY_TICKET_NOTE_ADDED;
                env.ticket_note_added = &body;
            }
            else {
                env.base.n_unknown_fields = 1;
                env.base.unknown_fields = &field;
            }
            size_t size;
            uint8_t *data = kf_codec_pack (&env.base, &size);
            zmq_send (zsock_resolve (newer), "E001/x", 6, ZMQ_SNDMORE);
            zmq_send (zsock_resolve (newer), data, size, 0);
            free (data);
        }
        if (h_wait_for (s_cursor_reached, &wait, 500))
            break;
    }
    assert_true (h_wait_for (s_cursor_reached, &wait, 30000));
    zsock_destroy (&newer);
    s_cluster_stop (&c);
    bus_effect_t effect = s_effect (0, "newer@c1", "E001");
    assert_int_equal (effect.count, 5);
    assert_int_equal (effect.violations, 0);
    assert_true (h_log_contains (&c.consumers [0], "a kind of event this build does not know"));
}

//  Issue 16 (consumers' part of DESIGN.md §7): E001 is filed by intake@c1
//  (the configuration's default), so "intake@e002/E001" is forged, whoever
//  let it through: its events are refused, counted and said once; the real
//  intake's stream of the same estate is applied.
static void
test_forged_intake_stream_is_refused (void **state)
{
    (void) state;
    s_cluster_t c;
    s_cluster_init (&c, 0, 1, 0, 0, 1000000);
    h_start (&c.bus);
    h_start (&c.consumers [0]);
    zsock_t *pub = zsock_new (ZMQ_XPUB);
    assert_int_equal (zsock_connect (pub, "ipc://%s/bus-in", kf_test_dir), 0);
    zsock_set_rcvtimeo (pub, 30000);
    zframe_t *subscription = zframe_recv (pub);
    assert_non_null (subscription);
    zframe_destroy (&subscription);
    //  Sent again until the consumer's subscription is in (see above).
    s_cursor_wait_t wait = { "intake@c1/E001", 3 };
    for (int round = 0; round < 60 && !s_cursor_reached (&wait); round++) {
        h_send_notes (pub, "intake@e002/E001", 5);
        h_send_notes (pub, "intake@c1/E001", 3);
        if (h_wait_for (s_cursor_reached, &wait, 500))
            break;
    }
    assert_true (h_wait_for (s_cursor_reached, &wait, 30000));
    zsock_destroy (&pub);
    s_cluster_stop (&c);
    assert_int_equal (s_effect (0, "intake@e002", "E001").count, 0);
    assert_int_equal (s_effect (0, "intake@c1", "E001").count, 3);
    assert_true (h_log_contains (&c.consumers [0], "refused stream intake@e002/E001: estate E001 is filed by intake@c1"));
}

//  make fault: KEFU_FAULT_EVENTS events per stream, every kind of process
//  killed at random moments and restarted, until all is delivered.
static void
test_random_kill9_storm (void **state)
{
    (void) state;
    const char *env = getenv ("KEFU_FAULT_EVENTS");
    if (!env || !*env)
        skip ();
    s_cluster_t c;
    //  Paced, so that the storm has time to strike while events flow.
    s_cluster_init (&c, 2, 3, strtoull (env, NULL, 10), 1500, 100000000);
    s_start_all (&c);
    srandom ((unsigned) zclock_mono ());
    int kills [3] = { 0, 0, 0 };   //  consumers, producers, bus
    s_progress_t done = { &c, -1, c.events };
    int64_t deadline = zclock_mono () + 45 * 60 * 1000;
    for (int round = 0; !s_reached (&done) && zclock_mono () < deadline; round++) {
        //  A random moment; the kinds of victim take turns, the one of its
        //  kind is drawn at random.
        zclock_sleep (200 + (int) (random () % 1200));
        int kind = round % 3;
        h_proc_t *proc = kind == 0 ? &c.consumers [random () % 3]
                       : kind == 1 ? &c.producers [random () % 2] : &c.bus;
        h_kill9 (proc);
        kills [kind]++;
        h_start (proc);
    }
    printf ("kill -9: %d consumers, %d producers, %d bus\n", kills [0], kills [1], kills [2]);
    assert_true (s_reached (&done));
    assert_true (kills [0] > 0 && kills [1] > 0 && kills [2] > 0);
    s_cluster_stop (&c);
    s_verify (&c);
}


int
main (void)
{
    h_init ();
    //  make fault runs one test by name (KEFU_TEST_FILTER, in H_RUN_TESTS).
    struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_exactly_once_across_kill9, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_stopped_consumer_catches_up, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_new_epoch_is_reported, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_trimmed_range_is_reported, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_malformed_frames_are_dropped, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_producer_down_and_up, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_unknown_kinds_advance_the_cursor, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_forged_intake_stream_is_refused, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_random_kill9_storm, kf_test_dir_setup, h_teardown),
    };
    return H_RUN_TESTS (tests, NULL, NULL);
}
