/*  Unit test: a heartbeat read behind its producer's events asks no replay.

    A producer's heartbeat leaves on the same PUB socket as its events, so
    a consumer reads it after every event sent before it. When a busy
    consumer reads a batch of events and the beat in one go, the beat's
    heads are beyond its cursors only until that batch is applied: judged
    before, every stream in flight looked behind and was replayed, the
    replay bringing again what was about to be applied (at a thousand
    estates under load, most of a consumer's work). A real bus between
    the two: the producer's PUB to an XSUB, the consumer's SUB to an XPUB.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kf_test.h"
#include "kf_bus.h"
#include "kf_clock.h"

#define S_EVENTS 300

static const char *s_tables [] = { KF_BUS_TABLES, NULL };

static int
s_count (kf_bus_t *bus, kf_txn_t *txn, const Kf__Envelope *event, void *arg)
{
    (void) bus; (void) txn; (void) event;
    (*(int *) arg)++;
    return 0;
}

static int
s_end (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id; (void) arg;
    return -1;
}

//  Turn a bus's loop for a while: its sockets, its heartbeat.
static void
s_turn (kf_bus_t *bus, int ms)
{
    zloop_timer (kf_bus_loop (bus), (size_t) ms, 1, s_end, NULL);
    zloop_start (kf_bus_loop (bus));
}

static int
s_emit (kf_txn_t *txn, void *arg)
{
    kf_bus_t *bus = arg;
    for (int i = 0; i < S_EVENTS; i++) {
        Kf__TicketClosed closed = KF__TICKET_CLOSED__INIT;
        closed.ticket_no = "E001-20261123-0001";
        Kf__Envelope event = KF__ENVELOPE__INIT;
        event.estate = "E001";
        event.body_case = KF__ENVELOPE__BODY_TICKET_CLOSED;
        event.ticket_closed = &closed;
        kf_bus_emit (bus, txn, &event);
    }
    return kf_txn_ok (txn) ? 0 : -1;
}

static kf_bus_t *
s_bus (kf_config_t *config, kf_clock_t *clock, const char *name, kf_bus_options_t *options)
{
    char path [160];
    snprintf (path, sizeof path, "%s/%s", kf_test_dir, name);
    kf_store_t *store = kf_store_new (path, s_tables, NULL, NULL);
    assert_non_null (store);
    kf_err_t err;
    kf_bus_t *bus = kf_bus_new (config, store, clock, options, &err);
    if (!bus)
        fail_msg ("%s", err.text);
    return bus;
}

static void
test_beat_after_a_batch_asks_no_replay (void **state)
{
    (void) state;
    zactor_t *proxy = zactor_new (zproxy, NULL);
    char in [160], out [160], replay [160], text [640];
    snprintf (in, sizeof in, "ipc://%s/in", kf_test_dir);
    snprintf (out, sizeof out, "ipc://%s/out", kf_test_dir);
    snprintf (replay, sizeof replay, "ipc://%s/replay", kf_test_dir);
    zstr_sendx (proxy, "FRONTEND", "XSUB", in, NULL);
    zsock_wait (proxy);
    zstr_sendx (proxy, "BACKEND", "XPUB", out, NULL);
    zsock_wait (proxy);
    snprintf (text, sizeof text, "bus\n    publish = %s\n    subscribe = %s\n    heartbeat = 100ms\n"
              "estates\n    E001\n        name = one\n", in, out);
    kf_err_t err;
    kf_config_t *config = kf_config_load_text (text, "test", &err);
    if (!config)
        fail_msg ("%s", err.text);
    kf_clock_t *clock = kf_clock_new (NULL, NULL);
    kf_bus_options_t produce = { .producer = "intake@c1", .replay_endpoint = replay };
    kf_bus_t *producer = s_bus (config, clock, "producer", &produce);
    int applied = 0;
    //  A batch is every event waiting, however long it takes to read them.
    kf_bus_options_t consume = { .handler = s_count, .handler_arg = &applied, .batch_ms = 1000 };
    kf_bus_t *consumer = s_bus (config, clock, "consumer", &consume);

    //  Until the consumer has heard the producer (subscriptions travel).
    for (int i = 0; i < 50; i++) {
        s_turn (producer, 150);
        s_turn (consumer, 50);
        Kf__BusStatus *status = kf_bus_status (consumer);
        bool heard = status && status->n_producers > 0;
        kf__bus_status__free_unpacked (status, NULL);
        if (heard)
            break;
    }
    assert_int_equal (kf_bus_stats (consumer)->replays, 0);

    //  The events, then a beat announcing them, all waiting for the consumer.
    assert_int_equal (kf_bus_write (producer, s_emit, producer, &err), 0);
    s_turn (producer, 150);
    s_turn (consumer, 100);
    assert_int_equal (applied, S_EVENTS);
    assert_int_equal (kf_bus_stats (consumer)->duplicates, 0);
    assert_int_equal (kf_bus_stats (consumer)->replays, 0);

    kf_store_t *stores [2] = { kf_bus_store (producer), kf_bus_store (consumer) };
    kf_bus_destroy (&producer);
    kf_bus_destroy (&consumer);
    kf_store_destroy (&stores [0]);
    kf_store_destroy (&stores [1]);
    kf_clock_destroy (&clock);
    kf_config_destroy (&config);
    zactor_destroy (&proxy);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_beat_after_a_batch_asks_no_replay, kf_test_dir_setup,
                                         kf_test_dir_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
