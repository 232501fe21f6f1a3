/*  libFuzzer target: the replay protocol as a producer receives it.

    Bytes -> kf_codec_unpack (ReplayMessage); a request goes through
    kf_outbox_replay_range against a real outbox (two streams, one of them
    trimmed), and an OK range is read as the replay endpoint would.
    Checks: an OK range lies within [first, head]; what is read is exactly
    the consecutive sequences from `from`, never beyond `to`.
*/
#include <stdint.h>
#include <string.h>

#include "fuzz_store.h"
#include "kf_codec.h"
#include "kf_log.h"
#include "kf_outbox.h"

static kf_store_t *s_store;
static kf_outbox_t *s_outbox;

static int
s_fill (kf_txn_t *txn, void *arg)
{
    (void) arg;
    const char *estates [] = { "E001", "E002" };
    for (int e = 0; e < 2; e++)
        for (int i = 0; i < 60; i++) {
            Kf__TicketNoteAdded note = KF__TICKET_NOTE_ADDED__INIT;
            note.note = "n";
            Kf__Envelope event = KF__ENVELOPE__INIT;
            event.estate = (char *) estates [e];
            event.body_case = KF__ENVELOPE__BODY_TICKET_NOTE_ADDED;
            event.ticket_note_added = &note;
            kf_outbox_append (s_outbox, txn, &event, 1000);
        }
    return kf_txn_ok (txn) ? 0 : -1;
}

static int
s_sent (const char *topic, const void *envelope, size_t size, void *arg)
{
    (void) topic; (void) envelope; (void) size; (void) arg;
    return 0;
}

static int
s_trim (kf_txn_t *txn, void *arg)
{
    (void) arg;
    kf_outbox_maintain (s_outbox, txn, 1000, INT64_MAX, 50, 1000);   //  keeps 51..60
    return kf_txn_ok (txn) ? 0 : -1;
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void) argc; (void) argv;
    kf_log_init ("fuzz_replay", KF_LOG_ERROR);
    const char *tables [] = { KF_BUS_TABLES, NULL };
    s_store = fuzz_store_open (tables);
    s_outbox = kf_outbox_new (s_store, "intake@c1", NULL);
    if (!s_outbox || kf_store_write (s_store, s_fill, NULL, NULL)
    ||  kf_outbox_flush (s_outbox, s_sent, NULL, NULL) || kf_store_write (s_store, s_trim, NULL, NULL))
        abort ();
    return 0;
}

typedef struct {
    const Kf__ReplayRequest *request;
    uint64_t expect;      //  next sequence the read must give
    uint64_t to;
} s_serve_t;

static int
s_check_one (uint64_t seq, const void *data, size_t size, void *arg)
{
    s_serve_t *s = arg;
    if (seq != s->expect || seq > s->to || size == 0)
        __builtin_trap ();
    Kf__Envelope *event = (Kf__Envelope *) kf_codec_unpack (&kf__envelope__descriptor, data, size, NULL);
    if (!event || event->seq != seq)
        __builtin_trap ();
    kf_codec_free ((ProtobufCMessage **) &event);
    s->expect++;
    return 0;
}

static int
s_serve (kf_txn_t *txn, void *arg)
{
    s_serve_t *s = arg;
    uint64_t from, to, head, first;
    char reason [200];
    Kf__ReplayStatus status = kf_outbox_replay_range (s_outbox, txn, s->request, &from, &to, &head, &first,
                                                      reason, sizeof reason);
    if (status != KF__REPLAY_STATUS__REPLAY_STATUS_OK) {
        if (!reason [0] || strchr (reason, '\n'))
            __builtin_trap ();   //  every refusal says why, on one line
        return 0;
    }
    if (to > head || (from <= to && from < first))
        __builtin_trap ();
    s->expect = from;
    s->to = to;
    int64_t n = kf_outbox_read (s_outbox, txn, s->request->stream, from, to, 256, s_check_one, s);
    if (n < 0 || (from <= to && (uint64_t) n != (to - from + 1 < 256 ? to - from + 1 : 256)))
        __builtin_trap ();
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    Kf__ReplayMessage *msg = (Kf__ReplayMessage *) kf_codec_unpack (&kf__replay_message__descriptor, data, size, NULL);
    if (!msg)
        return 0;
    if (msg->msg_case == KF__REPLAY_MESSAGE__MSG_REQUEST) {
        s_serve_t s = { msg->request, 0, 0 };
        kf_store_read (s_store, s_serve, &s, NULL);
    }
    kf_codec_free ((ProtobufCMessage **) &msg);
    return 0;
}
