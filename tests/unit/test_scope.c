/*  kf_scope: the estate guard, and a daemon's bus status cut down to an
    estate's streams.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "kf_scope.h"
#include "kf_codec.h"

static void
test_scope_sees (void **state)
{
    (void) state;
    assert_true (kf_scope_sees ("", "E001"));
    assert_true (kf_scope_sees (NULL, "E002"));
    assert_true (kf_scope_sees ("E001", "E001"));
    assert_false (kf_scope_sees ("E001", "E002"));
    assert_false (kf_scope_sees ("E001", NULL));
    assert_false (kf_scope_sees ("E001", "E0011"));
    assert_string_equal (kf_scope_stream_estate ("dispatch@c1/E001"), "E001");
    assert_null (kf_scope_stream_estate ("dispatch@c1"));
    assert_null (kf_scope_stream_estate ("dispatch@c1/"));
    assert_true (kf_scope_sees_stream ("E001", "intake@e1/E001"));
    assert_false (kf_scope_sees_stream ("E001", "intake@e2/E002"));
    assert_false (kf_scope_sees_stream ("E001", "E001"));
    assert_true (kf_scope_is_group (""));
    assert_false (kf_scope_is_group ("E001"));
}

//  A status as a daemon's, packed and unpacked into kf_codec's allocator.
static Kf__BusStatus *
s_status (void)
{
    Kf__StreamHead h1 = KF__STREAM_HEAD__INIT, h2 = KF__STREAM_HEAD__INIT, *heads [] = { &h1, &h2 };
    h1.stream = "intake@c1/E001";
    h2.stream = "intake@c1/E002";
    Kf__Cursor c1 = KF__CURSOR__INIT, c2 = KF__CURSOR__INIT, *cursors [] = { &c2, &c1 };
    c1.stream = "intake@c1/E001";
    c2.stream = "intake@c1/E002";
    Kf__StreamAlarm a2 = KF__STREAM_ALARM__INIT, *alarms [] = { &a2 };
    a2.stream = "intake@e2/E002";
    Kf__StreamHead p2 = KF__STREAM_HEAD__INIT, *edge_heads [] = { &p2 };
    p2.stream = "intake@e2/E002";
    Kf__ProducerState cluster = KF__PRODUCER_STATE__INIT, edge = KF__PRODUCER_STATE__INIT;
    Kf__ProducerState *producers [] = { &cluster, &edge };
    cluster.producer = "intake@c1";
    cluster.heads = heads;
    cluster.n_heads = 2;
    edge.producer = "intake@e2";
    edge.heads = edge_heads;
    edge.n_heads = 1;
    uint64_t buckets [] = { 1, 2, 3 };
    Kf__BusStatus status = KF__BUS_STATUS__INIT;
    status.service = "dispatch@c1";
    status.heads = heads;
    status.n_heads = 2;
    status.cursors = cursors;
    status.n_cursors = 2;
    status.stream_alarms = alarms;
    status.n_stream_alarms = 1;
    status.producers = producers;
    status.n_producers = 2;
    status.commit_buckets = buckets;
    status.n_commit_buckets = 3;
    status.applied_events = 900;
    status.outbox_events = 12;
    status.sampled_at_ms = 5;
    status.has_applied_events = status.has_outbox_events = status.has_sampled_at_ms = 1;
    uint8_t packed [1024];
    size_t size = protobuf_c_message_pack (&status.base, packed);
    return (Kf__BusStatus *) kf_codec_unpack (&kf__bus_status__descriptor, packed, size, NULL);
}

static void
test_bus_status_cut_to_an_estate (void **state)
{
    (void) state;
    Kf__BusStatus *status = s_status ();
    assert_non_null (status);
    kf_scope_bus_status (status, "");
    assert_int_equal (status->n_cursors, 2);     //  the group's: all of it
    assert_true (status->has_applied_events);
    kf_scope_bus_status (status, "E001");
    assert_int_equal (status->n_heads, 1);
    assert_string_equal (status->heads [0]->stream, "intake@c1/E001");
    assert_int_equal (status->n_cursors, 1);
    assert_string_equal (status->cursors [0]->stream, "intake@c1/E001");
    assert_int_equal (status->n_stream_alarms, 0);
    assert_int_equal (status->n_producers, 1);   //  the edge has nothing of E001
    assert_string_equal (status->producers [0]->producer, "intake@c1");
    assert_int_equal (status->producers [0]->n_heads, 1);
    assert_false (status->has_applied_events);
    assert_false (status->has_outbox_events);
    assert_int_equal (status->n_commit_buckets, 0);
    assert_true (status->has_sampled_at_ms);
    assert_string_equal (status->service, "dispatch@c1");
    //  What goes on the wire holds nothing of E002.
    uint8_t packed [1024];
    size_t size = protobuf_c_message_pack (&status->base, packed);
    assert_null (memmem (packed, size, "E002", 4));
    assert_null (memmem (packed, size, "intake@e2", 9));
    kf_codec_free ((ProtobufCMessage **) &status);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_scope_sees),
        cmocka_unit_test (test_bus_status_cut_to_an_estate),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
