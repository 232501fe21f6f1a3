/*  kf_inbox — per-stream cursors, moved with the effects.  */
#include "kf_inbox.h"
#include "kf_codec.h"
#include "kf_config.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct _kf_inbox_t {
    kf_table_t cursors;
};

kf_inbox_t *
kf_inbox_new (kf_store_t *store)
{
    assert (store);
    kf_inbox_t *self = calloc (1, sizeof *self);
    if (self)
        self->cursors = kf_store_table (store, "bus_cursors");
    return self;
}

void
kf_inbox_destroy (kf_inbox_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

//  The header must name a stream "<producer>/<estate>" of the event's own
//  estate, an epoch and a sequence from 1: anything else is not an event.
bool
kf_inbox_well_formed (const Kf__Envelope *event)
{
    assert (event);
    if (!event->stream || !event->estate || !event->has_epoch || !event->has_seq || event->seq == 0)
        return false;
    size_t len = strlen (event->stream);
    const char *slash = strrchr (event->stream, '/');
    return len < KF_STREAM_MAX && slash && slash != event->stream && strchr (event->stream, '|') == NULL
        && strcmp (slash + 1, event->estate) == 0 && kf_config_valid_id (event->estate);
}

int
kf_inbox_cursor (kf_inbox_t *self, kf_txn_t *txn, const char *stream, uint64_t *epoch, uint64_t *last_seq,
                 char *event_id, size_t event_id_size)
{
    assert (self && txn && stream);
    *epoch = *last_seq = 0;
    if (event_id && event_id_size)
        *event_id = 0;
    kf_key_t key;
    kf_key_make (&key, "s", stream);
    ProtobufCMessage *stored = NULL;
    int rc = kf_txn_get_msg (txn, self->cursors, &key, &kf__cursor__descriptor, &stored);
    if (rc == KF_FOUND) {
        *epoch = ((Kf__Cursor *) stored)->epoch;
        *last_seq = ((Kf__Cursor *) stored)->last_seq;
        const char *id = ((Kf__Cursor *) stored)->last_event_id;
        if (event_id && event_id_size && id)
            snprintf (event_id, event_id_size, "%s", id);
        kf_codec_free (&stored);
    }
    return rc == -1 ? -1 : 0;
}

kf_inbox_verdict_t
kf_inbox_judge (const Kf__Envelope *event, uint64_t epoch, uint64_t last)
{
    assert (event);
    if (last > 0 && epoch != event->epoch)
        return KF_INBOX_NEW_EPOCH;
    if (event->seq <= last)
        return KF_INBOX_DUPLICATE;
    if (event->seq > last + 1)
        return KF_INBOX_GAP;
    return KF_INBOX_APPLY;
}

kf_inbox_verdict_t
kf_inbox_check (kf_inbox_t *self, kf_txn_t *txn, const Kf__Envelope *event, uint64_t *last)
{
    assert (self && txn && event && last);
    *last = 0;
    if (!kf_inbox_well_formed (event))
        return KF_INBOX_MALFORMED;
    uint64_t epoch;
    if (kf_inbox_cursor (self, txn, event->stream, &epoch, last, NULL, 0))
        return KF_INBOX_MALFORMED;   //  the transaction has failed anyway
    return kf_inbox_judge (event, epoch, *last);
}

int
kf_inbox_set (kf_inbox_t *self, kf_txn_t *txn, const char *stream, uint64_t epoch, uint64_t last_seq,
              const char *event_id, int64_t now_ms)
{
    assert (self && txn && stream);
    Kf__Cursor cursor = KF__CURSOR__INIT;
    cursor.stream = (char *) stream;
    cursor.last_event_id = (char *) event_id;
    cursor.epoch = epoch;
    cursor.last_seq = last_seq;
    cursor.updated_at_ms = now_ms;
    cursor.has_epoch = cursor.has_last_seq = cursor.has_updated_at_ms = 1;
    kf_key_t key;
    kf_key_make (&key, "s", stream);
    return kf_txn_put_msg (txn, self->cursors, &key, &cursor.base);
}

int
kf_inbox_advance (kf_inbox_t *self, kf_txn_t *txn, const Kf__Envelope *event, int64_t now_ms)
{
    assert (self && txn && event && event->stream);
    return kf_inbox_set (self, txn, event->stream, event->epoch, event->seq, event->event_id, now_ms);
}

typedef struct {
    kf_inbox_cursor_fn *fn;
    void *arg;
} s_scan_t;

static int
s_cursor_one (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *cursor, void *arg)
{
    (void) txn; (void) key;
    s_scan_t *scan = arg;
    return scan->fn ((const Kf__Cursor *) cursor, scan->arg);
}

int
kf_inbox_cursors (kf_inbox_t *self, kf_txn_t *txn, kf_inbox_cursor_fn *fn, void *arg)
{
    assert (self && txn && fn);
    s_scan_t scan = { fn, arg };
    return kf_txn_scan_msg (txn, self->cursors, NULL, &kf__cursor__descriptor, s_cursor_one, &scan);
}

const char *
kf_inbox_verdict_name (kf_inbox_verdict_t verdict)
{
    switch (verdict) {
        case KF_INBOX_APPLY:     return "apply";
        case KF_INBOX_DUPLICATE: return "duplicate";
        case KF_INBOX_GAP:       return "gap";
        case KF_INBOX_NEW_EPOCH: return "new epoch";
        case KF_INBOX_MALFORMED: return "malformed";
    }
    return "?";
}
