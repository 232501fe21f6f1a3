/*  Unit tests: kf_bus's status report (kefuctl lag reads it).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kf_bus.h"
#include "kf_codec.h"
#include "kf_json.h"
#include "kf_test.h"

static const char *s_tables [] = { KF_BUS_TABLES, NULL };

static kf_config_t *
s_config (void)
{
    char text [512];
    snprintf (text, sizeof text,
              "bus\n    publish = ipc://%s/in\n    subscribe = ipc://%s/out\n"
              "estates\n    E001\n        name = one\n    E002\n        name = two\n", kf_test_dir, kf_test_dir);
    kf_config_t *config = kf_config_load_text (text, "test", NULL);
    assert_non_null (config);
    return config;
}

typedef struct {
    kf_bus_t *bus;
    int count;
} s_emit_t;

static int
s_emit (kf_txn_t *txn, void *arg)
{
    s_emit_t *e = arg;
    for (int i = 0; i < e->count; i++) {
        Kf__TicketClosed closed = KF__TICKET_CLOSED__INIT;
        closed.ticket_no = "E002-20261123-0001";
        Kf__Envelope event = KF__ENVELOPE__INIT;
        event.estate = "E002";
        event.body_case = KF__ENVELOPE__BODY_TICKET_CLOSED;
        event.ticket_closed = &closed;
        kf_bus_emit (e->bus, txn, &event);
    }
    return kf_txn_ok (txn) ? 0 : -1;
}

static void
test_producer_status (void **state)
{
    (void) state;
    char path [128], replay [128];
    snprintf (path, sizeof path, "%s/store", kf_test_dir);
    snprintf (replay, sizeof replay, "ipc://%s/replay", kf_test_dir);
    kf_config_t *config = s_config ();
    kf_store_t *store = kf_store_new (path, s_tables, NULL, NULL);
    kf_clock_t *clock = kf_clock_new (NULL, NULL);
    kf_bus_options_t options = { .producer = "intake@c1", .replay_endpoint = replay };
    kf_err_t err;
    kf_bus_t *bus = kf_bus_new (config, store, clock, &options, &err);
    assert_non_null (bus);
    s_emit_t e = { bus, 7 };
    assert_int_equal (kf_bus_write (bus, s_emit, &e, &err), 0);
    //  With no bus running the events were "sent" into the void: the
    //  outbox keeps them for replay all the same.
    assert_int_equal (kf_bus_stats (bus)->published, 7);
    Kf__BusStatus *status = kf_bus_status (bus);
    assert_non_null (status);
    assert_string_equal (status->service, "intake@c1");
    assert_int_equal (status->n_heads, 1);
    assert_string_equal (status->heads [0]->stream, "intake@c1/E002");
    assert_int_equal (status->heads [0]->head_seq, 7);
    assert_int_equal (status->heads [0]->first_seq, 1);
    assert_int_equal (status->outbox_events, 7);
    assert_int_equal (status->n_cursors, 0);
    //  It is a message like any other: it goes out as JSON.
    char *json = kf_json_encode (&status->base);
    assert_non_null (strstr (json, "\"head_seq\":\"7\""));
    free (json);
    kf_codec_free ((ProtobufCMessage **) &status);
    kf_bus_destroy (&bus);
    kf_clock_destroy (&clock);
    kf_store_destroy (&store);
    kf_config_destroy (&config);
}

static int
s_handle (kf_bus_t *bus, kf_txn_t *txn, const Kf__Envelope *event, void *arg)
{
    (void) bus; (void) txn; (void) event; (void) arg;
    return 0;
}

typedef struct {
    kf_inbox_t *inbox;
} s_cursor_t;

static int
s_move_cursors (kf_txn_t *txn, void *arg)
{
    s_cursor_t *c = arg;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.stream = "dispatch@c1/E001";
    event.estate = "E001";
    event.epoch = 9;
    event.seq = 42;
    event.has_epoch = event.has_seq = 1;
    return kf_inbox_advance (c->inbox, txn, &event, 1000);
}

static void
test_consumer_status (void **state)
{
    (void) state;
    char path [128];
    snprintf (path, sizeof path, "%s/consumer", kf_test_dir);
    kf_config_t *config = s_config ();
    kf_store_t *store = kf_store_new (path, s_tables, NULL, NULL);
    s_cursor_t c = { kf_inbox_new (store) };
    assert_int_equal (kf_store_write (store, s_move_cursors, &c, NULL), 0);
    kf_inbox_destroy (&c.inbox);
    kf_clock_t *clock = kf_clock_new (NULL, NULL);
    const char *estates [] = { "E001", NULL };
    kf_bus_options_t options = { .estates = estates, .handler = s_handle };
    kf_bus_t *bus = kf_bus_new (config, store, clock, &options, NULL);
    assert_non_null (bus);
    Kf__BusStatus *status = kf_bus_status (bus);
    assert_string_equal (status->service, "consumer");
    assert_int_equal (status->n_heads, 0);
    assert_int_equal (status->n_cursors, 1);
    assert_string_equal (status->cursors [0]->stream, "dispatch@c1/E001");
    assert_int_equal (status->cursors [0]->last_seq, 42);
    assert_int_equal (status->n_producers, 0);
    kf_codec_free ((ProtobufCMessage **) &status);
    kf_bus_destroy (&bus);
    kf_clock_destroy (&clock);
    kf_store_destroy (&store);
    kf_config_destroy (&config);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_producer_status, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_consumer_status, kf_test_dir_setup, kf_test_dir_teardown),
    };
    return cmocka_run_group_tests_name ("kf_bus status", tests, NULL, NULL);
}
