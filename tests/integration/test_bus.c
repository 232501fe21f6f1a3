/*  Integration tests of the event bus: real kefu-bus, real producers and
    consumers (bus_producer, bus_consumer) on ipc:// endpoints in a scratch
    directory, killed with SIGKILL at chosen and at random moments.

    Every consumer's store must end with exactly the expected effect per
    stream: count and checksum, no event applied twice or out of order.

    The long version, random kill -9 of every kind of process, is
    tests/fault/test_storm.c (make fault).
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

#include "bus_cluster.h"

//  The test producer says so when it has made all its events.
static bool
s_all_produced (void *proc)
{
    return h_log_contains (proc, "events of each estate produced");
}

//  Consumer 0 has stopped a stream for an operator: a range trimmed from
//  the outbox, or a producer's new epoch (its bus status says so).
static bool
s_trimmed_alarm (void *arg)
{
    (void) arg;
    return bc_stream_alarm (0, KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_TRIMMED);
}

static bool
s_epoch_alarm (void *arg)
{
    (void) arg;
    return bc_stream_alarm (0, KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_NEW_EPOCH);
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

//  Consumer 0's view of producer p1@c1, from its bus status.
static bool
s_p1_up (void *arg)
{
    (void) arg;
    return bc_producer_down (0, "p1@c1") == 0;
}

static bool
s_p1_down (void *arg)
{
    (void) arg;
    return bc_producer_down (0, "p1@c1") == 1;
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
    bc_cluster_t c;
    bc_cluster_init (&c, 2, 3, 3000, 3000, 1000000);
    bc_start_all (&c);
    assert_true (bc_wait_progress (&c, 0, c.events / 4, 60000));
    h_kill9 (&c.consumers [0]);
    h_start (&c.consumers [0]);
    assert_true (bc_wait_progress (&c, 1, c.events / 2, 60000));
    h_kill9 (&c.bus);
    h_start (&c.bus);
    assert_true (bc_wait_progress (&c, 2, 3 * c.events / 4, 60000));
    h_kill9 (&c.producers [0]);
    h_start (&c.producers [0]);
    assert_true (bc_wait_progress (&c, -1, c.events, 120000));
    bc_cluster_stop (&c);
    bc_verify (&c);
}

//  A consumer down while everything is produced catches up by replay.
static void
test_stopped_consumer_catches_up (void **state)
{
    (void) state;
    bc_cluster_t c;
    bc_cluster_init (&c, 1, 1, 5000, 0, 1000000);
    h_start (&c.bus);
    h_start (&c.producers [0]);
    //  Until the producer has made everything, the consumer is not there.
    assert_true (h_wait_for (s_all_produced, &c.producers [0], 60000));
    h_start (&c.consumers [0]);
    assert_true (bc_wait_progress (&c, 0, c.events, 60000));
    bc_cluster_stop (&c);
    assert_true (h_log_contains (&c.consumers [0], "replayed 15000"));
    bc_verify (&c);
}

//  A producer whose store was wiped comes back with a new epoch and starts
//  its streams again at 1: the consumer must say so, not apply them.
static void
test_new_epoch_is_reported (void **state)
{
    (void) state;
    bc_cluster_t c;
    bc_cluster_init (&c, 1, 1, 500, 0, 1000000);
    bc_start_all (&c);
    assert_true (bc_wait_progress (&c, 0, c.events, 60000));
    assert_int_equal (h_stop (&c.producers [0], 20000), 0);
    char data [256];
    snprintf (data, sizeof data, "%s/p1", kf_test_dir);
    kf_test_remove_tree (data);
    h_start (&c.producers [0]);
    assert_true (h_wait_for (s_epoch_alarm, NULL, 60000));
    assert_true (h_log_contains (&c.consumers [0], "the epoch changed"));   //  and it said so
    bc_cluster_stop (&c);
    //  The old effects stand; none of the new epoch's events were applied.
    bc_verify (&c);
}

//  Events trimmed from the outbox cannot be replayed: the consumer that
//  needs them raises the alarm instead of skipping them.
static void
test_trimmed_range_is_reported (void **state)
{
    (void) state;
    bc_cluster_t c;
    bc_cluster_init (&c, 1, 1, 3000, 0, 1000);
    h_start (&c.bus);
    h_start (&c.producers [0]);
    assert_true (h_wait_for (s_all_produced, &c.producers [0], 60000));
    //  Maintenance runs with each heartbeat; once it has trimmed, start.
    assert_true (h_wait_for (s_outbox_trimmed, &c, 60000));
    h_start (&c.consumers [0]);
    assert_true (h_wait_for (s_trimmed_alarm, NULL, 60000));
    assert_true (h_log_contains (&c.consumers [0], "snapshot required"));   //  and it said so
    bc_cluster_stop (&c);
    assert_true (h_log_contains (&c.consumers [0], "was trimmed"));
    for (int e = 0; e < BC_ESTATES; e++)
        assert_int_equal (bc_effect (0, bc_producers [0], bc_estates [e]).count, 0);
}

//  Junk on the bus and at a replay endpoint is counted and dropped.
static void
test_malformed_frames_are_dropped (void **state)
{
    (void) state;
    bc_cluster_t c;
    bc_cluster_init (&c, 1, 1, 2000, 2000, 1000000);
    bc_start_all (&c);
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
    assert_true (bc_wait_progress (&c, 0, 200, 60000));
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
    assert_true (bc_wait_progress (&c, 0, c.events, 60000));
    zsock_destroy (&junk);
    zsock_destroy (&replay);
    assert_true (h_alive (&c.consumers [0]) && h_alive (&c.producers [0]));
    bc_cluster_stop (&c);
    assert_false (h_log_contains (&c.consumers [0], "malformed 0,"));
    assert_false (h_log_contains (&c.producers [0], "malformed 0,"));
    bc_verify (&c);
}

//  A producer that stops is marked down after three missed beats, and up
//  again when it comes back: as the consumer's bus status says.
static void
test_producer_down_and_up (void **state)
{
    (void) state;
    bc_cluster_t c;
    bc_cluster_init (&c, 1, 1, 100, 0, 1000000);
    bc_start_all (&c);
    assert_true (bc_wait_progress (&c, 0, c.events, 60000));
    //  A producer is known by its heartbeats: wait until one was heard.
    assert_true (h_wait_for (s_p1_up, NULL, 30000));
    assert_int_equal (h_stop (&c.producers [0], 20000), 0);
    assert_true (h_wait_for (s_p1_down, NULL, 30000));
    assert_true (h_log_contains (&c.consumers [0], "producer p1@c1 is down"));   //  and it said so
    h_start (&c.producers [0]);
    assert_true (h_wait_for (s_p1_up, NULL, 30000));
    bc_cluster_stop (&c);
    bc_verify (&c);
}

//  A newer producer: its stream mixes known events with a kind this build
//  does not know. The consumer applies the known ones, steps over the
//  others, and its cursor reaches the end: it does not stall.
static void
test_unknown_kinds_advance_the_cursor (void **state)
{
    (void) state;
    bc_cluster_t c;
    bc_cluster_init (&c, 0, 1, 0, 0, 1000000);
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
    bc_cluster_stop (&c);
    bus_effect_t effect = bc_effect (0, "newer@c1", "E001");
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
    bc_cluster_t c;
    bc_cluster_init (&c, 0, 1, 0, 0, 1000000);
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
    bc_cluster_stop (&c);
    assert_int_equal (bc_effect (0, "intake@e002", "E001").count, 0);
    assert_int_equal (bc_effect (0, "intake@c1", "E001").count, 3);
    assert_true (h_log_contains (&c.consumers [0], "refused stream intake@e002/E001: estate E001 is filed by intake@c1"));
}

int
main (void)
{
    h_init ();
    struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_exactly_once_across_kill9, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_stopped_consumer_catches_up, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_new_epoch_is_reported, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_trimmed_range_is_reported, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_malformed_frames_are_dropped, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_producer_down_and_up, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_unknown_kinds_advance_the_cursor, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_forged_intake_stream_is_refused, kf_test_dir_setup, h_teardown),
    };
    return H_RUN_TESTS (tests, NULL, NULL);
}
