/*  kf_outbox_send — an outbox's events read back, flushed to the bus after
    the commit, and its retention by age and size. See kf_outbox.h.
*/
#include "kf_outbox_private.h"

//  ---- reading --------------------------------------------------------------

typedef struct {
    kf_outbox_read_fn *fn;
    void *arg;
    uint64_t to;
    size_t max, count;
    bool with_topic;   //  pass topic-prefixed values to an internal reader
} s_read_t;

static int
s_read_one (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) txn;
    s_read_t *r = arg;
    if (key.size < 8 || value.size < S_PREFIX)
        return -1;
    uint64_t seq = kf_outbox_be64_read ((const uint8_t *) key.data + key.size - 8);
    if ((r->to && seq > r->to) || r->count >= r->max)
        return 1;
    const uint8_t *v = value.data;
    size_t topic_len = v [8];
    if (value.size < S_PREFIX + topic_len)
        return -1;
    r->count++;
    if (r->with_topic)
        return r->fn (seq, v, value.size, r->arg);
    return r->fn (seq, v + S_PREFIX + topic_len, value.size - S_PREFIX - topic_len, r->arg);
}

static int64_t
s_read (kf_outbox_t *self, kf_txn_t *txn, const char *stream, uint64_t from, uint64_t to, size_t max,
        bool with_topic, kf_outbox_read_fn *fn, void *arg)
{
    s_read_t r = { fn, arg, to, max, 0, with_topic };
    kf_key_t start, prefix;
    kf_key_make (&start, "s|q", stream, from);
    kf_key_make (&prefix, "s|", stream);
    kf_cursor_t *cursor = kf_cursor_open (txn, self->outbox);
    if (!cursor)
        return -1;
    kf_val_t k, v;
    int rc = kf_cursor_seek (cursor, &start, &k, &v);
    while (rc == KF_FOUND && kf_key_has_prefix (k, &prefix) && k.size == prefix.size + 8) {
        int step = s_read_one (txn, k, v, &r);
        if (step)
            break;
        rc = kf_cursor_next (cursor, &k, &v);
    }
    kf_cursor_close (&cursor);
    return kf_txn_ok (txn) ? (int64_t) r.count : -1;
}

int64_t
kf_outbox_read (kf_outbox_t *self, kf_txn_t *txn, const char *stream, uint64_t from, uint64_t to,
                size_t max, kf_outbox_read_fn *fn, void *arg)
{
    assert (self && txn && stream && fn);
    return s_read (self, txn, stream, from, to, max, false, fn, arg);
}

typedef struct {
    kf_outbox_head_fn *fn;
    void *arg;
} s_heads_t;

static int
s_head_one (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *head, void *arg)
{
    (void) txn; (void) key;
    s_heads_t *h = arg;
    return h->fn ((const Kf__StreamHead *) head, h->arg);
}

int
kf_outbox_heads (kf_outbox_t *self, kf_txn_t *txn, kf_outbox_head_fn *fn, void *arg)
{
    assert (self && txn && fn);
    s_heads_t h = { fn, arg };
    return kf_txn_scan_msg (txn, self->heads, NULL, &kf__stream_head__descriptor, s_head_one, &h);
}

//  ---- flushing -------------------------------------------------------------

typedef struct {
    kf_outbox_send_fn *send;
    void *arg;
    kf_outbox_stream_t *stream;
    bool stopped;
} s_flush_t;

static int
s_flush_one (uint64_t seq, const void *value, size_t size, void *arg)
{
    s_flush_t *f = arg;
    const uint8_t *v = value;
    char topic [256];
    size_t topic_len = v [8];
    memcpy (topic, v + S_PREFIX, topic_len);
    topic [topic_len] = 0;
    if (f->send (topic, v + S_PREFIX + topic_len, size - S_PREFIX - topic_len, f->arg) != 0) {
        f->stopped = true;
        return 1;
    }
    f->stream->sent = seq;
    return 0;
}

typedef struct {
    kf_outbox_t *self;
    s_flush_t flush;
} s_flush_all_t;

static int
s_flush_streams (kf_txn_t *txn, void *arg)
{
    s_flush_all_t *all = arg;
    kf_outbox_t *self = all->self;
    Kf__StreamHead head;
    for (kf_outbox_stream_t *stream = zhashx_first (self->streams); stream && !all->flush.stopped;
         stream = zhashx_next (self->streams)) {
        if (!stream->unsent)
            continue;
        const char *name = zhashx_cursor (self->streams);
        if (kf_outbox_head (self, txn, name, &head))
            return -1;
        if (head.head_seq > stream->sent) {
            all->flush.stream = stream;
            //  Sequences below first_seq were trimmed: nothing to send there.
            uint64_t from = stream->sent + 1 < head.first_seq ? head.first_seq : stream->sent + 1;
            if (s_read (self, txn, name, from, head.head_seq, SIZE_MAX, true, s_flush_one, &all->flush) < 0)
                return -1;
        }
        stream->unsent = all->flush.stopped;   //  a send refused: the tick's flush tries again
    }
    return 0;
}

int
kf_outbox_flush (kf_outbox_t *self, kf_outbox_send_fn *send, void *arg, kf_err_t *err)
{
    assert (self && send);
    s_flush_all_t all = { self, { send, arg, NULL, false } };
    return kf_store_read (self->store, s_flush_streams, &all, err);
}

//  ---- maintenance ----------------------------------------------------------

size_t
kf_outbox_maintain (kf_outbox_t *self, kf_txn_t *txn, int64_t now_ms, int64_t max_age_ms,
                    uint64_t max_events, size_t budget)
{
    assert (self && txn);
    size_t trimmed = 0;
    for (kf_outbox_stream_t *stream = zhashx_first (self->streams); stream; stream = zhashx_next (self->streams)) {
        const char *name = zhashx_cursor (self->streams);
        kf_key_t key;
        //  If this transaction does not commit, the mark stays behind and
        //  a restart sends a few events twice: consumers drop duplicates.
        if (stream->sent != stream->checkpointed) {
            uint8_t be [8];
            kf_outbox_be64_write (be, stream->sent);
            kf_key_make (&key, "s|s", "sent", name);
            kf_txn_put (txn, self->meta, &key, be, 8);
            stream->checkpointed = stream->sent;
        }
        //  This transaction's own appends are in memory until the commit.
        bool appended = stream->txn_id == kf_txn_id (txn);
        Kf__StreamHead head;
        if (appended) {
            head.head_seq = stream->head_seq;
            head.first_seq = stream->first_seq;
        }
        else
        if (kf_outbox_head (self, txn, name, &head))
            return trimmed;
        uint64_t first = head.first_seq;
        kf_key_make (&key, "s|q", name, first);
        kf_cursor_t *cursor = kf_cursor_open (txn, self->outbox);
        kf_val_t k, v;
        int rc = cursor ? kf_cursor_seek (cursor, &key, &k, &v) : -1;
        kf_key_t prefix;
        kf_key_make (&prefix, "s|", name);
        while (rc == KF_FOUND && trimmed < budget && kf_key_has_prefix (k, &prefix) && v.size >= S_PREFIX) {
            uint64_t seq = kf_outbox_be64_read ((const uint8_t *) k.data + k.size - 8);
            int64_t at = (int64_t) kf_outbox_be64_read (v.data);
            bool too_many = head.head_seq - seq >= max_events;
            bool too_old = now_ms - at > max_age_ms;
            //  Never trim what has not been sent: it would be lost to the
            //  live stream, and a consumer could not even replay it.
            if (seq > stream->sent || (!too_many && !too_old))
                break;
            kf_cursor_del (cursor);
            first = seq + 1;
            trimmed++;
            rc = kf_cursor_next (cursor, &k, &v);
        }
        kf_cursor_close (&cursor);
        if (first != head.first_seq) {
            if (appended)
                stream->first_seq = first;   //  written by the commit hook
            else
                kf_outbox_put_head (self, txn, name, stream, head.head_seq, first);
        }
    }
    return trimmed;
}
