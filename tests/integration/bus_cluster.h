/*  bus_cluster — a bus under test: kefu-bus, test producers (bus_producer)
    and consumers (bus_consumer) on ipc:// endpoints in the test's scratch
    directory, and what each consumer's store holds against what the
    producers made. Shared by tests/integration/test_bus.c and the long
    fault suite, tests/fault/test_storm.c.
*/
#ifndef BUS_CLUSTER_H_INCLUDED
#define BUS_CLUSTER_H_INCLUDED

#include "kf_test.h"
#include "kf_harness.h"
#include "kf_outbox.h"
#include "bus_effect.h"

#define BC_ESTATES 3
static const char *const bc_estates [BC_ESTATES] = { "E001", "E002", "E003" };
static const char *const bc_producers [2] = { "p1@c1", "p2@c1" };
//  Consumers see all estates, E001 and E002, and E003 only.
static const char *const bc_consumer_estates [3] = { NULL, "E001,E002", "E003" };

//  Where consumer i answers its bus status.
static inline void
bc_commands_endpoint (int consumer, char *endpoint, size_t size)
{
    snprintf (endpoint, size, "ipc://%s/c%d-commands", kf_test_dir, consumer + 1);
}

//  Consumer i's bus status, asked on its command endpoint; NULL when it
//  does not answer within 2 s. Free with kf__reply__free_unpacked.
static inline Kf__Reply *
bc_bus_status (int consumer)
{
    char endpoint [160];
    bc_commands_endpoint (consumer, endpoint, sizeof endpoint);
    zsock_t *dealer = zsock_new_dealer (endpoint);
    if (!dealer)
        return NULL;
    zsock_set_rcvtimeo (dealer, 2000);
    Kf__GetBusStatus get = KF__GET_BUS_STATUS__INIT;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_BUS_STATUS;
    request.bus_status = &get;
    zframe_t *frame = zframe_new (NULL, protobuf_c_message_get_packed_size (&request.base));
    protobuf_c_message_pack (&request.base, zframe_data (frame));
    Kf__Reply *reply = NULL;
    if (zframe_send (&frame, dealer, 0) == 0 && (frame = zframe_recv (dealer)))
        reply = kf__reply__unpack (NULL, zframe_size (frame), zframe_data (frame));
    zframe_destroy (&frame);
    zsock_destroy (&dealer);
    if (reply && !reply->bus_status) {
        kf__reply__free_unpacked (reply, NULL);
        reply = NULL;
    }
    return reply;
}

//  What consumer i knows of a producer now: 1 down, 0 up, -1 not heard of
//  (or no answer).
static inline int
bc_producer_down (int consumer, const char *producer)
{
    Kf__Reply *reply = bc_bus_status (consumer);
    int down = -1;
    for (size_t p = 0; reply && p < reply->bus_status->n_producers; p++)
        if (strcmp (reply->bus_status->producers [p]->producer, producer) == 0)
            down = reply->bus_status->producers [p]->down ? 1 : 0;
    if (reply)
        kf__reply__free_unpacked (reply, NULL);
    return down;
}

//  Whether consumer i has stopped a stream for an operator, for this why.
static inline bool
bc_stream_alarm (int consumer, Kf__StreamAlarmKind kind)
{
    Kf__Reply *reply = bc_bus_status (consumer);
    bool alarmed = false;
    for (size_t a = 0; reply && a < reply->bus_status->n_stream_alarms; a++)
        alarmed = alarmed || reply->bus_status->stream_alarms [a]->kind == kind;
    if (reply)
        kf__reply__free_unpacked (reply, NULL);
    return alarmed;
}

typedef struct {
    char config [256];
    h_proc_t bus;
    h_proc_t producers [2];
    h_proc_t consumers [3];
    int np, nc;
    uint64_t events;        //  per stream
} bc_cluster_t;

static inline void
bc_write_config (const char *path, uint64_t outbox_max_events)
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
    for (int i = 0; i < BC_ESTATES; i++)
        fprintf (file, "    %s\n        name = \"estate %d\"\n", bc_estates [i], i + 1);
    fclose (file);
}

static inline void
bc_producer_init (bc_cluster_t *c, int i, uint64_t rate)
{
    char replay [128], data [128], events [32], rate_text [32];
    snprintf (replay, sizeof replay, "ipc://%s/p%d-replay", kf_test_dir, i + 1);
    snprintf (data, sizeof data, "%s/p%d", kf_test_dir, i + 1);
    snprintf (events, sizeof events, "%llu", (unsigned long long) c->events);
    snprintf (rate_text, sizeof rate_text, "%llu", (unsigned long long) rate);
    char name [16];
    snprintf (name, sizeof name, "p%d", i + 1);
    h_proc_init (&c->producers [i], kf_test_dir, name, "bus_producer", "--config", c->config,
                 "--producer", bc_producers [i], "--replay", replay, "--data", data,
                 "--estates", "E001,E002,E003", "--events", events, "--batch", "20", "--rate", rate_text, NULL);
}

static inline void
bc_consumer_init (bc_cluster_t *c, int i)
{
    char data [128], name [16], commands [160];
    snprintf (data, sizeof data, "%s/c%d", kf_test_dir, i + 1);
    snprintf (name, sizeof name, "c%d", i + 1);
    bc_commands_endpoint (i, commands, sizeof commands);
    if (bc_consumer_estates [i])
        h_proc_init (&c->consumers [i], kf_test_dir, name, "bus_consumer", "--config", c->config,
                     "--data", data, "--estates", bc_consumer_estates [i], "--commands", commands, NULL);
    else
        h_proc_init (&c->consumers [i], kf_test_dir, name, "bus_consumer", "--config", c->config,
                     "--data", data, "--commands", commands, NULL);
}

//  np producers at `rate` events/s per estate (0: flat out), nc consumers.
static inline void
bc_cluster_init (bc_cluster_t *c, int np, int nc, uint64_t events, uint64_t rate, uint64_t outbox_max_events)
{
    memset (c, 0, sizeof *c);
    c->np = np;
    c->nc = nc;
    c->events = events;
    snprintf (c->config, sizeof c->config, "%s/kefu.conf", kf_test_dir);
    bc_write_config (c->config, outbox_max_events);
    h_proc_init (&c->bus, kf_test_dir, "bus", "kefu-bus", "--config", c->config, NULL);
    for (int i = 0; i < np; i++)
        bc_producer_init (c, i, rate);
    for (int i = 0; i < nc; i++)
        bc_consumer_init (c, i);
}

//  Stop everything; each must exit cleanly (under ASan: without a leak).
static inline void
bc_cluster_stop (bc_cluster_t *c)
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

static inline bool
bc_consumes (int consumer, const char *estate)
{
    return !bc_consumer_estates [consumer] || strstr (bc_consumer_estates [consumer], estate);
}

//  ---- reading the consumers' stores ---------------------------------------

//  The effect a consumer holds for a stream.
static inline bus_effect_t
bc_effect (int consumer, const char *producer, const char *estate)
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

static inline uint64_t
bc_expected_checksum (const char *producer, const char *estate, uint64_t events)
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
static inline uint64_t
bc_progress (bc_cluster_t *c, int consumer)
{
    uint64_t least = UINT64_MAX;
    for (int p = 0; p < c->np; p++)
        for (int e = 0; e < BC_ESTATES; e++)
            if (bc_consumes (consumer, bc_estates [e])) {
                uint64_t n = bc_effect (consumer, bc_producers [p], bc_estates [e]).count;
                least = n < least ? n : least;
            }
    return least;
}

typedef struct {
    bc_cluster_t *cluster;
    int consumer;        //  -1: all of them
    uint64_t at_least;
} bc_progress_t;

static inline bool
bc_reached (void *arg)
{
    bc_progress_t *p = arg;
    for (int i = 0; i < p->cluster->nc; i++)
        if ((p->consumer < 0 || p->consumer == i) && bc_progress (p->cluster, i) < p->at_least)
            return false;
    return true;
}

static inline bool
bc_wait_progress (bc_cluster_t *c, int consumer, uint64_t at_least, int timeout_ms)
{
    bc_progress_t p = { c, consumer, at_least };
    return h_wait_for (bc_reached, &p, timeout_ms);
}

//  Compare every consumer's effects with what the producers made; prints
//  the totals and fails the test on any difference.
static inline void
bc_verify (bc_cluster_t *c)
{
    uint64_t events = 0, lost = 0, duplicated = 0, disorder = 0, wrong = 0;
    for (int p = 0; p < c->np; p++)
        for (int e = 0; e < BC_ESTATES; e++) {
            events += c->events;
            uint64_t expected = bc_expected_checksum (bc_producers [p], bc_estates [e], c->events);
            for (int i = 0; i < c->nc; i++) {
                if (!bc_consumes (i, bc_estates [e]))
                    continue;
                bus_effect_t effect = bc_effect (i, bc_producers [p], bc_estates [e]);
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

static inline void
bc_start_all (bc_cluster_t *c)
{
    h_start (&c->bus);
    for (int i = 0; i < c->nc; i++)
        h_start (&c->consumers [i]);
    for (int i = 0; i < c->np; i++)
        h_start (&c->producers [i]);
}

#endif
