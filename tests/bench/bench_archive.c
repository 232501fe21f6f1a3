/*  bench_archive — what `make bench` prints for the archive (issue 17).

    Fills an archive store with BENCH_ARCHIVE_EVENTS events (default
    10,000,000: 10 producers x 10 estates, durable commits of 50,000), as
    kefu-archive records them (archive_record: the event and its three
    indexes); starts the real kefu-archive on it; and replays one stream
    (a hundredth of them) from its replay endpoint twice: to a reader that
    decodes every envelope, and to one that also commits a cursor after
    each batch, as a consumer does. It measures; it does not fail.
*/
#include "kf_test.h"
#include "kf_harness.h"
#include "kf_replay.h"
#include "../../services/archive/archive.h"

#define S_STREAMS     100
#define S_TXN_EVENTS  50000

typedef struct {
    archive_t *archive;
    uint64_t first_seq, last_seq;   //  this transaction's sequences, for every stream
    int64_t at_ms;
} s_fill_t;

static int
s_fill_txn (kf_txn_t *txn, void *arg)
{
    s_fill_t *f = arg;
    char stream [KF_STREAM_MAX], estate [8], ticket_no [32], note [96], id [33];
    Kf__TicketNoteAdded body = KF__TICKET_NOTE_ADDED__INIT;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_TICKET_NOTE_ADDED;
    event.ticket_note_added = &body;
    event.has_epoch = event.has_seq = event.has_occurred_at_ms = 1;
    for (uint64_t seq = f->first_seq; seq <= f->last_seq; seq++)
        for (int s = 0; s < S_STREAMS; s++) {
            snprintf (estate, sizeof estate, "E%03d", s % 10 + 1);
            snprintf (stream, sizeof stream, "service%d@c1/%s", s / 10, estate);
            snprintf (ticket_no, sizeof ticket_no, "%s-20261202-%04llu", estate, (unsigned long long) (seq % 5000 + 1));
            snprintf (note, sizeof note, "the owner called back about the leak under the sink, note %llu",
                      (unsigned long long) seq);
            snprintf (id, sizeof id, "%016x%016llx", s, (unsigned long long) seq);
            body.ticket_no = ticket_no;
            body.note = note;
            body.author = "F01";
            event.stream = stream;
            event.estate = estate;
            event.epoch = 0x1234567800000000ULL + (uint64_t) s;
            event.seq = seq;
            event.event_id = id;
            event.occurred_at_ms = f->at_ms + (int64_t) seq;
            if (archive_record (f->archive, txn, &event))
                return -1;
        }
    return 0;
}

typedef struct {
    kf_table_t table;
    const char *stream;
    uint64_t last;
} s_cursor_t;

static int
s_cursor_txn (kf_txn_t *txn, void *arg)
{
    s_cursor_t *c = arg;
    kf_key_t key;
    kf_key_make (&key, "s", c->stream);
    return kf_txn_put (txn, c->table, &key, &c->last, sizeof c->last);
}

//  kefu-archive answers kefuctl ping (its endpoints are bound).
static bool
s_answers (void *config_path)
{
    char out [1024], err [1024];
    return h_run (kf_test_dir, out, sizeof out, err, sizeof err, "kefuctl", "--config", (char *) config_path, "ping",
                  "archive", NULL) == 0;
}

//  Replay one stream to a DEALER; with a store, commit a cursor per batch.
static double
s_replay (const char *endpoint, const char *stream, uint64_t epoch, uint64_t events, kf_store_t *cursors,
          uint64_t *received)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_rcvhwm (dealer, 200000);
    zsock_connect (dealer, "%s", endpoint);
    uint64_t start = zclock_usecs ();
    kf_replay_ask (dealer, stream, true, epoch, 1, 0, 4);
    *received = 0;
    kf_table_t table = cursors ? kf_store_table (cursors, "cursors") : 0;
    while (*received < events) {
        zframe_t *frame = zframe_recv (dealer);
        if (!frame)
            break;
        Kf__ReplayMessage *msg = (Kf__ReplayMessage *) kf_codec_unpack (&kf__replay_message__descriptor,
                                                                        zframe_data (frame), zframe_size (frame), NULL);
        zframe_destroy (&frame);
        if (!msg || msg->msg_case != KF__REPLAY_MESSAGE__MSG_BATCH) {
            kf_codec_free ((ProtobufCMessage **) &msg);
            break;
        }
        uint64_t last = 0;
        for (size_t i = 0; i < msg->batch->n_events; i++) {
            Kf__Envelope *event = (Kf__Envelope *) kf_codec_unpack (&kf__envelope__descriptor,
                                                                    msg->batch->events [i].data,
                                                                    msg->batch->events [i].len, NULL);
            if (event)
                last = event->seq;
            kf_codec_free ((ProtobufCMessage **) &event);
        }
        *received += msg->batch->n_events;
        kf_codec_free ((ProtobufCMessage **) &msg);
        if (cursors) {
            s_cursor_t c = { table, stream, last };
            kf_store_write (cursors, s_cursor_txn, &c, NULL);
        }
        kf_replay_give_credit (dealer, 1);
    }
    double seconds = (double) (zclock_usecs () - start) / 1e6;
    zsock_destroy (&dealer);
    return seconds > 0 ? (double) *received / seconds : 0;
}

int
main (void)
{
    h_init ();
    kf_log_init ("bench_archive", KF_LOG_WARNING);
    const char *env = getenv ("BENCH_ARCHIVE_EVENTS");
    uint64_t total = env ? strtoull (env, NULL, 10) : 10000000;
    uint64_t per_stream = total / S_STREAMS;
    kf_test_dir_setup (NULL);
    char config_path [256], text [1024], store_path [256];
    snprintf (text, sizeof text,
        "cluster\n    name = c1\n    data_dir = %s/data\n"
        "bus\n    publish = ipc://%s/bus-in\n    subscribe = ipc://%s/bus-out\n"
        "estates\n    E001\n        name = one\n"
        "services\n    archive\n        endpoint = ipc://%s/archive\n        replay = ipc://%s/archive-replay\n",
        kf_test_dir, kf_test_dir, kf_test_dir, kf_test_dir, kf_test_dir);
    h_write ("kefu.conf", text, config_path, sizeof config_path);
    snprintf (store_path, sizeof store_path, "%s/data/archive", kf_test_dir);
    zsys_dir_create ("%s", store_path);

    kf_err_t err;
    kf_config_t *config = kf_config_load (config_path, &err);
    const char *tables [] = { ARCHIVE_TABLES, NULL };
    kf_store_t *store = config ? kf_store_new (store_path, tables, NULL, &err) : NULL;
    s_fill_t fill = { archive_new (config, &err), 0, 0, zclock_time () - 3600000 };
    if (!store || !fill.archive) {
        fprintf (stderr, "bench_archive: %s\n", err.text);
        return 1;
    }
    printf ("archive: %llu events in %d streams (durable commits of %d)\n", (unsigned long long) total, S_STREAMS,
            S_TXN_EVENTS);
    uint64_t start = zclock_usecs ();
    uint64_t step = S_TXN_EVENTS / S_STREAMS;
    for (uint64_t seq = 1; seq <= per_stream; seq += step) {
        fill.first_seq = seq;
        fill.last_seq = seq + step - 1 < per_stream ? seq + step - 1 : per_stream;
        if (kf_store_write (store, s_fill_txn, &fill, &err)) {
            fprintf (stderr, "bench_archive: filling: %s\n", err.text);
            return 1;
        }
    }
    double fill_s = (double) (zclock_usecs () - start) / 1e6;
    printf ("  recorded            %10.0f events/s   (%.1f s; store %.2f GiB)\n", (double) total / fill_s, fill_s,
            (double) kf_store_used (store) / (1 << 30));
    archive_destroy (&fill.archive);
    kf_store_destroy (&store);

    h_proc_t daemon;
    h_proc_init (&daemon, kf_test_dir, "archive", "kefu-archive", "--config", config_path, NULL);
    h_start (&daemon);
    char endpoint [256];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/archive-replay", kf_test_dir);
    if (!h_wait_for (s_answers, config_path, 30000)) {
        fprintf (stderr, "bench_archive: kefu-archive did not answer\n");
        return 1;
    }
    uint64_t received;
    double rate = s_replay (endpoint, "service0@c1/E001", 0x1234567800000000ULL, per_stream, NULL, &received);
    printf ("  replayed one stream %10.0f events/s   (%llu events, each decoded)\n", rate,
            (unsigned long long) received);
    char cursors_path [256];
    snprintf (cursors_path, sizeof cursors_path, "%s/consumer", kf_test_dir);
    zsys_dir_create ("%s", cursors_path);
    const char *cursor_tables [] = { "cursors", NULL };
    kf_store_t *cursors = kf_store_new (cursors_path, cursor_tables, NULL, &err);
    rate = cursors ? s_replay (endpoint, "service1@c1/E002", 0x1234567800000000ULL + 11, per_stream, cursors,
                               &received) : 0;
    printf ("  replayed, committed %10.0f events/s   (%llu events; a durable cursor commit per batch of 256)\n",
            rate, (unsigned long long) received);
    kf_store_destroy (&cursors);
    h_stop (&daemon, 10000);
    h_proc_free (&daemon);
    kf_config_destroy (&config);
    kf_test_dir_teardown (NULL);
    return 0;
}
