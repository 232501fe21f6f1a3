/*  Unit tests: bus_guard — what each key may publish on the bus and read
    from it (issue 16.2): an estate server only its estates, operations
    nothing but reading, the cluster everything, a revoked key nothing.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../services/bus/bus_guard.h"
#include "kf_codec.h"
#include "bus.pb-c.h"
#include "envelope.pb-c.h"

static const kf_key_identity_t s_estate = { "e2", KF_KEY_ESTATE, { "E002", "E003" }, 2 };
static const kf_key_identity_t s_ops = { "ops", KF_KEY_OPERATIONS, { { 0 } }, 0 };
static const kf_key_identity_t s_cluster = { "hub", KF_KEY_CLUSTER, { { 0 } }, 0 };
#define S_KEY "0123456789012345678901234567890123456789"

typedef struct {
    uint8_t *data;
    size_t size;
} s_bytes_t;

static s_bytes_t
s_event (const char *stream, const char *estate)
{
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.stream = (char *) stream;
    event.estate = (char *) estate;
    event.seq = 7;
    event.has_seq = 1;
    event.epoch = 0x1122334455667788ULL;
    event.has_epoch = 1;
    event.event_id = "0123456789abcdef0123456789abcdef";
    s_bytes_t b;
    b.data = kf_codec_pack (&event.base, &b.size);
    assert_non_null (b.data);
    return b;
}

static bool
s_publish (const kf_key_identity_t *id, const char *topic, const char *stream, const char *estate,
           bus_guard_verdict_t *verdict)
{
    s_bytes_t b = s_event (stream, estate);
    bool ok = bus_guard_publish (id, S_KEY, topic, strlen (topic), b.data, b.size, verdict);
    free (b.data);
    return ok;
}

static void
test_an_estate_publishes_its_own_estates_only (void **state)
{
    (void) state;
    bus_guard_verdict_t v;
    assert_true (s_publish (&s_estate, "E002/ticket.filed", "intake@e2/E002", "E002", &v));
    assert_true (s_publish (&s_estate, "E003/ticket.filed", "intake@e2/E003", "E003", &v));
    //  The attack of the issue: E002's key files for E001.
    assert_false (s_publish (&s_estate, "E001/ticket.filed", "intake@e002/E001", "E001", &v));
    assert_non_null (strstr (v.reason, "not the sender's"));
    assert_string_equal (v.stream, "intake@e002/E001");
    //  Its own topic, another estate's stream or envelope.
    assert_false (s_publish (&s_estate, "E002/ticket.filed", "intake@e2/E001", "E002", &v));
    assert_false (s_publish (&s_estate, "E002/ticket.filed", "intake@e2/E002", "E001", &v));
    assert_false (s_publish (&s_estate, "E002/ticket.filed", "E002", "E002", &v));
    //  Its estate, but another site's producer: the cluster's billing.
    assert_false (s_publish (&s_estate, "E002/payment.received", "billing@c1/E002", "E002", &v));
    assert_non_null (strstr (v.reason, "not of the sender's site"));
    //  A prefix of an estate id is not the estate.
    assert_false (s_publish (&s_estate, "E00/ticket.filed", "intake@e2/E00", "E00", &v));
    assert_false (s_publish (&s_estate, "E0021/ticket.filed", "intake@e2/E0021", "E0021", &v));
    //  Not [estate]/[kind], or the bus's own topics.
    assert_false (s_publish (&s_estate, "E002", "intake@e2/E002", "E002", &v));
    assert_false (s_publish (&s_estate, "_sys/alarm", "intake@e2/E002", "E002", &v));
    //  The cluster publishes for all; operations and revoked keys nothing.
    assert_true (s_publish (&s_cluster, "E001/ticket.filed", "intake@c1/E001", "E001", &v));
    assert_false (s_publish (&s_ops, "E001/ticket.filed", "intake@c1/E001", "E001", &v));
    assert_false (s_publish (NULL, "E002/ticket.filed", "intake@e2/E002", "E002", &v));
    assert_non_null (strstr (v.reason, "no longer admitted"));
}

static void
test_wire_names_are_read_as_protobuf_reads_them (void **state)
{
    (void) state;
    char stream [KF_STREAM_MAX], estate [KF_ID_MAX + 1];
    s_bytes_t b = s_event ("intake@e2/E002", "E002");
    assert_true (bus_guard_envelope_names (b.data, b.size, stream, sizeof stream, estate, sizeof estate));
    assert_string_equal (stream, "intake@e2/E002");
    assert_string_equal (estate, "E002");
    //  A second stream field after the first: the last wins, for protobuf
    //  and for the guard alike.
    s_bytes_t tail = s_event ("intake@e2/E001", NULL);
    uint8_t *both = malloc (b.size + tail.size);
    memcpy (both, b.data, b.size);
    memcpy (both + b.size, tail.data, tail.size);
    assert_true (bus_guard_envelope_names (both, b.size + tail.size, stream, sizeof stream, estate, sizeof estate));
    assert_string_equal (stream, "intake@e2/E001");
    bus_guard_verdict_t v;
    assert_false (bus_guard_publish (&s_estate, S_KEY, "E002/x.y", 8, both, b.size + tail.size, &v));
    Kf__Envelope *decoded = (Kf__Envelope *) kf_codec_unpack (&kf__envelope__descriptor, both, b.size + tail.size, NULL);
    assert_non_null (decoded);
    assert_string_equal (decoded->stream, "intake@e2/E001");
    kf_codec_free ((ProtobufCMessage **) &decoded);
    //  Truncated anywhere: refused, never read past the end.
    for (size_t n = 1; n < b.size; n++)
        if (bus_guard_envelope_names (b.data, n, stream, sizeof stream, estate, sizeof estate))
            assert_true (strcmp (stream, "intake@e2/E002") != 0 || strcmp (estate, "E002") != 0);
    const uint8_t garbage [] = { 0xff, 0xff, 0xff };
    assert_false (bus_guard_publish (&s_estate, S_KEY, "E002/x.y", 8, garbage, sizeof garbage, &v));
    free (both);
    free (b.data);
    free (tail.data);
}

static s_bytes_t
s_heartbeat_of (const char *producer, const char *stream, const char *key, bool archive)
{
    Kf__StreamHead head = KF__STREAM_HEAD__INIT, *heads [] = { &head };
    head.stream = (char *) stream;
    Kf__Heartbeat beat = KF__HEARTBEAT__INIT;
    beat.producer = (char *) producer;
    beat.replay_endpoint = "tcp://10.0.0.2:7001";
    beat.replay_key = (char *) key;
    beat.heads = stream ? heads : NULL;
    beat.n_heads = stream ? 1 : 0;
    beat.archive = beat.has_archive = archive;
    s_bytes_t b;
    b.data = kf_codec_pack (&beat.base, &b.size);
    return b;
}

static s_bytes_t
s_heartbeat (const char *producer, const char *stream, const char *key)
{
    return s_heartbeat_of (producer, stream, key, false);
}

static void
test_an_estate_heartbeat_speaks_for_its_streams_and_key (void **state)
{
    (void) state;
    bus_guard_verdict_t v;
    const char *topic = BUS_GUARD_HEARTBEAT;
    s_bytes_t good = s_heartbeat ("intake@e2", "intake@e2/E002", S_KEY);
    assert_true (bus_guard_publish (&s_estate, S_KEY, topic, strlen (topic), good.data, good.size, &v));
    //  Heads of another estate's stream: it could make consumers ask it.
    s_bytes_t other = s_heartbeat ("dispatch@c1", "dispatch@c1/E001", S_KEY);
    assert_false (bus_guard_publish (&s_estate, S_KEY, topic, strlen (topic), other.data, other.size, &v));
    assert_non_null (strstr (v.reason, "not of the sender's site"));
    //  Its own site, a head of another estate: it could make consumers ask it.
    s_bytes_t head = s_heartbeat ("intake@e2", "intake@e2/E001", S_KEY);
    assert_false (bus_guard_publish (&s_estate, S_KEY, topic, strlen (topic), head.data, head.size, &v));
    assert_string_equal (v.stream, "intake@e2/E001");
    free (head.data);
    //  Another producer's name with no heads: consumers would take its
    //  replay endpoint for the cluster's intake's.
    s_bytes_t named = s_heartbeat ("intake@c1", NULL, S_KEY);
    assert_false (bus_guard_publish (&s_estate, S_KEY, topic, strlen (topic), named.data, named.size, &v));
    free (named.data);
    //  A replay key not its own: consumers would trust another server.
    s_bytes_t key = s_heartbeat ("intake@e2", "intake@e2/E002", "9999999999999999999999999999999999999999");
    assert_false (bus_guard_publish (&s_estate, S_KEY, topic, strlen (topic), key.data, key.size, &v));
    assert_non_null (strstr (v.reason, "replay key"));
    assert_true (bus_guard_publish (&s_cluster, S_KEY, topic, strlen (topic), other.data, other.size, &v));
    //  The archive: consumers would ask it for every stream of every estate.
    s_bytes_t archive = s_heartbeat_of ("intake@e2", NULL, S_KEY, true);
    assert_false (bus_guard_publish (&s_estate, S_KEY, topic, strlen (topic), archive.data, archive.size, &v));
    assert_non_null (strstr (v.reason, "archive"));
    s_bytes_t cluster_archive = s_heartbeat_of ("archive@c1", NULL, S_KEY, true);
    assert_true (bus_guard_publish (&s_cluster, S_KEY, topic, strlen (topic), cluster_archive.data,
                                    cluster_archive.size, &v));
    free (archive.data);
    free (cluster_archive.data);
    free (good.data);
    free (other.data);
    free (key.data);
}

static bool
s_subscribe (const kf_key_identity_t *id, const char *prefix, bool capture)
{
    char data [64];
    data [0] = 1;
    size_t n = strlen (prefix);
    memcpy (data + 1, prefix, n);
    bus_guard_verdict_t v;
    return bus_guard_subscribe (id, data, n + 1, capture, &v);
}

static void
test_an_estate_reads_its_estates_and_sys (void **state)
{
    (void) state;
    assert_true (s_subscribe (&s_estate, "E002/", false));
    assert_true (s_subscribe (&s_estate, "E003/ticket.", false));
    assert_true (s_subscribe (&s_estate, "_sys/", false));
    assert_false (s_subscribe (&s_estate, "", false));
    assert_false (s_subscribe (&s_estate, "E00", false));
    assert_false (s_subscribe (&s_estate, "E002", false));   //  would match E0021/
    assert_false (s_subscribe (&s_estate, "E001/", false));
    assert_false (s_subscribe (&s_estate, "_sys", false));
    assert_false (s_subscribe (NULL, "_sys/", false));
    //  Everyone may unsubscribe; the capture socket is for operations.
    const uint8_t unsubscribe [] = { 0, 'E' };
    bus_guard_verdict_t v;
    assert_true (bus_guard_subscribe (&s_estate, unsubscribe, sizeof unsubscribe, false, &v));
    assert_false (s_subscribe (&s_estate, "E002/", true));
    assert_true (s_subscribe (&s_ops, "", true));
    assert_true (s_subscribe (&s_ops, "", false));
    assert_true (s_subscribe (&s_cluster, "", true));
    const uint8_t junk [] = { 7, 'x' };
    assert_false (bus_guard_subscribe (&s_ops, junk, sizeof junk, false, &v));
    assert_false (bus_guard_subscribe (&s_ops, junk, 0, false, &v));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_an_estate_publishes_its_own_estates_only),
        cmocka_unit_test (test_wire_names_are_read_as_protobuf_reads_them),
        cmocka_unit_test (test_an_estate_heartbeat_speaks_for_its_streams_and_key),
        cmocka_unit_test (test_an_estate_reads_its_estates_and_sys),
    };
    return cmocka_run_group_tests_name ("bus_guard", tests, NULL, NULL);
}
