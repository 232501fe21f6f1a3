/*  bench_bare — the same load as bench_kefu through a pipeline with no kefu
    code: LMDB and ZeroMQ used directly, with the same durability (a commit
    per batch, fdatasync) and the same batching, and a plain zmq_proxy for
    the bus. No outbox, no cursors, no replay, no validation: what it cannot
    do is the price kefu pays for exactly-once, and the ratio shows it.

    With --protobuf the events are the same bytes kefu moves: an Envelope
    with the same header and body, packed and unpacked by protobuf-c's
    generated code (not kefu's). Without it they are the bare notes.

        bench_bare proxy --in EP --out EP
        (any of them with --server-cert F --client-cert F: CURVE on tcp://,
        the proxy serving with F's key, no ZAP: encryption and nothing else)
        bench_bare producer --in EP --data DIR --events N [--rate R] [--batch B] [--protobuf]
        bench_bare consumer --out EP --data DIR --events N --record FILE [--protobuf]
*/
#include <assert.h>
#include <czmq.h>
#include <getopt.h>
#include <lmdb.h>

#include "bench_common.h"
#include "envelope.pb-c.h"

#define S_HWM 200000

static MDB_env *
s_env (const char *dir, MDB_dbi *dbi)
{
    MDB_env *env;
    MDB_txn *txn;
    zsys_dir_create ("%s", dir);
    if (mdb_env_create (&env) || mdb_env_set_mapsize (env, (size_t) 1 << 30)
    ||  mdb_env_open (env, dir, 0, 0644) || mdb_txn_begin (env, NULL, 0, &txn)
    ||  mdb_dbi_open (txn, NULL, 0, dbi) || mdb_txn_commit (txn)) {
        fprintf (stderr, "bench_bare: cannot open %s\n", dir);
        exit (1);
    }
    return env;
}

static void
s_be64 (uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p [i] = (uint8_t) v;
}

//  The event as kefu would carry it: header and body, packed by protobuf-c.
static size_t
s_pack_envelope (uint8_t *out, size_t size, uint64_t k, const char *note)
{
    Kf__TicketNoteAdded body = KF__TICKET_NOTE_ADDED__INIT;
    body.note = (char *) note;
    Kf__Envelope env = KF__ENVELOPE__INIT;
    char event_id [33];
    snprintf (event_id, sizeof event_id, "0123456789abcdef%016llx", (unsigned long long) k);
    env.stream = "bench@c1/E001";
    env.estate = "E001";
    env.event_id = event_id;
    env.epoch = 0x1234567890abcdefULL;
    env.seq = k;
    env.occurred_at_ms = 1795000000000;
    env.schema_version = 1;
    env.has_epoch = env.has_seq = env.has_occurred_at_ms = env.has_schema_version = 1;
    env.body_case = KF__ENVELOPE__BODY_TICKET_NOTE_ADDED;
    env.ticket_note_added = &body;
    size_t n = protobuf_c_message_get_packed_size (&env.base);
    if (n > size)
        return 0;
    return protobuf_c_message_pack (&env.base, out);
}

//  CURVE, when the run asks for it: the proxy's sockets serve with the
//  server certificate, the others are clients of it.
static const char *s_server_cert, *s_client_cert;

static void
s_curve (zsock_t *socket, bool server)
{
    if (!s_server_cert || !s_client_cert)
        return;
    zcert_t *srv = zcert_load (s_server_cert), *cli = zcert_load (s_client_cert);
    assert (srv && cli);
    if (server) {
        zcert_apply (srv, socket);
        zsock_set_curve_server (socket, 1);
    }
    else {
        zcert_apply (cli, socket);
        zsock_set_curve_serverkey (socket, zcert_public_txt (srv));
    }
    zcert_destroy (&srv);
    zcert_destroy (&cli);
}

static int
s_producer (const char *endpoint, const char *dir, uint64_t events, uint64_t rate, uint64_t batch, bool protobuf)
{
    MDB_dbi dbi;
    MDB_env *env = s_env (dir, &dbi);
    zsock_t *pub = zsock_new (ZMQ_PUB);
    zsock_set_sndhwm (pub, S_HWM);
    s_curve (pub, false);
    zsock_connect (pub, "%s", endpoint);
    void *socket = zsock_resolve (pub);
    zclock_sleep (500);   //  let subscriptions arrive: a bare pipeline cannot replay
    uint64_t start = bench_now_us (), sent = 0;
    static char notes [4096][48];
    static uint8_t packed [4096][160];
    static size_t sizes [4096];
    while (sent < events && !zsys_interrupted) {
        uint64_t now = bench_now_us ();
        uint64_t due = bench_due (events, rate, now - start);
        if (due <= sent) {
            zclock_sleep (1);
            continue;
        }
        uint64_t until = sent + batch < due ? sent + batch : due;
        if (until - sent > 4096)
            until = sent + 4096;
        MDB_txn *txn;
        mdb_txn_begin (env, NULL, 0, &txn);
        for (uint64_t k = sent + 1; k <= until; k++) {
            char *note = notes [k - sent - 1];
            bench_note (note, sizeof notes [0], k, now);
            size_t i = k - sent - 1;
            if (protobuf)
                sizes [i] = s_pack_envelope (packed [i], sizeof packed [i], k, note);
            else {
                sizes [i] = strlen (note);
                memcpy (packed [i], note, sizes [i]);
            }
            uint8_t key [8];
            s_be64 (key, k);
            MDB_val mk = { 8, key }, mv = { sizes [i], packed [i] };
            mdb_put (txn, dbi, &mk, &mv, 0);
        }
        if (mdb_txn_commit (txn)) {
            fprintf (stderr, "bench_bare: commit failed\n");
            return 1;
        }
        for (uint64_t k = sent + 1; k <= until; k++) {
            zmq_send (socket, "E001/bench", 10, ZMQ_SNDMORE);
            zmq_send (socket, packed [k - sent - 1], sizes [k - sent - 1], 0);
        }
        sent = until;
        if (rate)
            zclock_sleep (1);
    }
    //  Stay until stopped, like a daemon: the consumers may still be reading.
    while (!zsys_interrupted)
        zclock_sleep (50);
    zsock_destroy (&pub);
    mdb_env_close (env);
    return 0;
}

static int
s_consumer (const char *endpoint, const char *dir, uint64_t events, const char *record_path, bool protobuf)
{
    MDB_dbi dbi;
    MDB_env *env = s_env (dir, &dbi);
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zsock_set_rcvhwm (sub, S_HWM);
    zsock_set_subscribe (sub, "E001/");
    s_curve (sub, false);
    zsock_connect (sub, "%s", endpoint);
    void *socket = zsock_resolve (sub);
    bench_record_t *record = bench_record_new (events);
    uint64_t deadline = bench_now_us () + 120 * 1000000ULL;
    zmq_pollitem_t item = { socket, 0, ZMQ_POLLIN, 0 };
    while (record->received < events && !zsys_interrupted && bench_now_us () < deadline) {
        if (zmq_poll (&item, 1, 100) <= 0)
            continue;
        //  The same group commit as kf_bus: up to 1,000 events or 2 ms.
        MDB_txn *txn;
        mdb_txn_begin (env, NULL, 0, &txn);
        uint64_t until = bench_now_us () + 2000;
        for (int n = 0; n < 1000 && bench_now_us () < until; n++) {
            char topic [32], note [64];
            uint8_t body [256];
            int tn = zmq_recv (socket, topic, sizeof topic, ZMQ_DONTWAIT);
            if (tn < 0)
                break;
            int nn = zmq_recv (socket, body, sizeof body, 0);
            if (nn < 0)
                break;
            if (nn > (int) sizeof body)
                continue;
            if (protobuf) {
                Kf__Envelope *event = kf__envelope__unpack (NULL, (size_t) nn, body);
                if (!event)
                    continue;
                snprintf (note, sizeof note, "%s", event->ticket_note_added ? event->ticket_note_added->note : "");
                kf__envelope__free_unpacked (event, NULL);
            }
            else {
                int len = nn < (int) sizeof note - 1 ? nn : (int) sizeof note - 1;
                memcpy (note, body, (size_t) len);
                note [len] = 0;
            }
            uint64_t k, t;
            if (bench_parse (note, &k, &t))
                continue;
            uint8_t key [8];
            s_be64 (key, k);
            MDB_val mk = { 8, key }, mv = { sizeof t, &t };
            mdb_put (txn, dbi, &mk, &mv, 0);
            bench_record_pending (record, k, t);
        }
        if (mdb_txn_commit (txn) == 0)
            bench_record_committed (record);
    }
    bench_record_write (record, record_path);
    bench_record_destroy (&record);
    zsock_destroy (&sub);
    mdb_env_close (env);
    return 0;
}

int
main (int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *in = NULL, *out = NULL, *data = NULL, *record = NULL;
    uint64_t events = 0, rate = 0, batch = 1000;
    bool protobuf = false;
    static const struct option options [] = {
        { "in", required_argument, NULL, 'i' }, { "out", required_argument, NULL, 'o' },
        { "data", required_argument, NULL, 'd' }, { "events", required_argument, NULL, 'n' },
        { "rate", required_argument, NULL, 'R' }, { "batch", required_argument, NULL, 'b' },
        { "record", required_argument, NULL, 'f' }, { "protobuf", no_argument, NULL, 'P' },
        { "server-cert", required_argument, NULL, 'S' }, { "client-cert", required_argument, NULL, 'C' },
        { NULL, 0, NULL, 0 }
    };
    int c;
    optind = 2;
    while ((c = getopt_long (argc, argv, "", options, NULL)) != -1)
        switch (c) {
            case 'i': in = optarg; break;
            case 'o': out = optarg; break;
            case 'd': data = optarg; break;
            case 'n': events = strtoull (optarg, NULL, 10); break;
            case 'R': rate = strtoull (optarg, NULL, 10); break;
            case 'b': batch = strtoull (optarg, NULL, 10); break;
            case 'f': record = optarg; break;
            case 'P': protobuf = true; break;
            case 'S': s_server_cert = optarg; break;
            case 'C': s_client_cert = optarg; break;
            default: return 2;
        }
    zsys_init ();
    if (strcmp (argv [1], "proxy") == 0) {
        zsock_t *xsub = zsock_new (ZMQ_XSUB), *xpub = zsock_new (ZMQ_XPUB);
        zsock_set_rcvhwm (xsub, S_HWM);
        zsock_set_sndhwm (xpub, S_HWM);
        s_curve (xsub, true);
        s_curve (xpub, true);
        if (zsock_bind (xsub, "%s", in) < 0 || zsock_bind (xpub, "%s", out) < 0)
            return 1;
        zmq_proxy (zsock_resolve (xsub), zsock_resolve (xpub), NULL);   //  until a signal
        zsock_destroy (&xsub);
        zsock_destroy (&xpub);
        return 0;
    }
    if (strcmp (argv [1], "producer") == 0)
        return s_producer (in, data, events, rate, batch, protobuf);
    if (strcmp (argv [1], "consumer") == 0)
        return s_consumer (out, data, events, record, protobuf);
    return 2;
}
