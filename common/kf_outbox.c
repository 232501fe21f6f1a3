/*  kf_outbox — events written with the state that caused them: appended in
    the same transaction, each stream's head, replay decisions, a new epoch
    after a restore. See kf_outbox.h; sending is kf_outbox_send.c's.
*/
#include "kf_outbox_private.h"

static const char s_hex [] = "0123456789abcdef";

static void
s_hex64 (char *out, uint64_t v)
{
    for (int i = 15; i >= 0; i--, v >>= 4)
        out [i] = s_hex [v & 15];
}

int
kf_stream_name (char *buf, size_t size, const char *producer, const char *estate)
{
    size_t p = strlen (producer), e = strlen (estate);
    if (p + 1 + e >= size)
        return -1;
    memcpy (buf, producer, p);
    buf [p] = '/';
    memcpy (buf + p + 1, estate, e + 1);
    return 0;
}

uint64_t
kf_outbox_be64_read (const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p [i];
    return v;
}

void
kf_outbox_be64_write (uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p [i] = (uint8_t) v;
}

static int s_meet_stream (const Kf__StreamHead *head, void *arg);

static kf_outbox_stream_t *
s_stream (kf_outbox_t *self, const char *name)
{
    kf_outbox_stream_t *stream = zhashx_lookup (self->streams, name);
    if (!stream) {
        stream = calloc (1, sizeof *stream);
        if (stream)
            zhashx_insert (self->streams, name, stream);
    }
    return stream;
}

static void
s_stream_free (void **item)
{
    free (*item);
    *item = NULL;
}

typedef struct {
    kf_outbox_t *self;
    uint64_t epoch;
} s_open_t;

//  Read or make the epoch; load the sent marks of every stream.
static int
s_open (kf_txn_t *txn, void *arg)
{
    s_open_t *open = arg;
    kf_outbox_t *self = open->self;
    kf_key_t key;
    kf_val_t value;
    kf_key_make (&key, "s", "epoch");
    int rc = kf_txn_get (txn, self->meta, &key, &value);
    if (rc == KF_FOUND && value.size == 8)
        open->epoch = kf_outbox_be64_read (value.data);
    else
    if (rc == KF_NOTFOUND) {
        //  A random epoch: a rebuilt store is never taken for the old one.
        do {
            if (getrandom (&open->epoch, sizeof open->epoch, 0) != sizeof open->epoch)
                return kf_txn_fail (txn, "cannot draw a random epoch");
        } while (open->epoch == 0);
        uint8_t be [8];
        kf_outbox_be64_write (be, open->epoch);
        kf_txn_put (txn, self->meta, &key, be, 8);
        kf_info ("outbox %s: new store, epoch %016llx", self->producer, (unsigned long long) open->epoch);
    }
    else
        return kf_txn_fail (txn, "outbox %s: the epoch in the store is damaged", self->producer);
    return kf_txn_ok (txn) ? 0 : -1;
}

static int
s_load_sent (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) txn;
    kf_outbox_t *self = arg;
    char what [8], name [KF_STREAM_MAX];
    if (kf_key_scan (key.data, key.size, "s|s", what, sizeof what, name, sizeof name) != 0
    ||  value.size != 8)
        return 0;
    kf_outbox_stream_t *stream = s_stream (self, name);
    if (stream) {
        stream->sent = stream->checkpointed = kf_outbox_be64_read (value.data);
        stream->unsent = true;
    }
    return 0;
}

static int
s_meet_stream (const Kf__StreamHead *head, void *arg)
{
    kf_outbox_t *self = arg;
    kf_outbox_stream_t *stream = s_stream (self, head->stream);
    if (!stream)
        return -1;
    stream->unsent = true;
    //  The continuation a restore announced goes on being announced.
    if (head->has_previous_epoch && head->epoch == self->epoch) {
        stream->previous_epoch = head->previous_epoch;
        stream->epoch_from_seq = head->epoch_from_seq;
    }
    return 0;
}

//  Every stream of the store, with its sent mark: a stream with events but
//  no mark yet has sent nothing that we know of, so all of it is unsent.
static int
s_load_streams (kf_txn_t *txn, void *arg)
{
    kf_outbox_t *self = arg;
    kf_key_t prefix;
    kf_key_make (&prefix, "s|", "sent");
    zhashx_purge (self->streams);
    kf_txn_scan (txn, self->meta, &prefix, s_load_sent, self);
    kf_outbox_heads (self, txn, s_meet_stream, self);
    return kf_txn_ok (txn) ? 0 : -1;
}

kf_outbox_t *
kf_outbox_new (kf_store_t *store, const char *producer, kf_err_t *err)
{
    assert (store && producer);
    kf_outbox_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    if (snprintf (self->producer, sizeof self->producer, "%s", producer) >= (int) sizeof self->producer
    ||  !strchr (producer, '@') || strchr (producer, '/') || strchr (producer, '|')) {
        kf_err_set (err, "'%s' is not a producer id (expected e.g. dispatch@c1)", producer);
        free (self);
        return NULL;
    }
    self->store = store;
    self->meta = kf_store_table (store, "bus_meta");
    self->outbox = kf_store_table (store, "bus_outbox");
    self->heads = kf_store_table (store, "bus_heads");
    self->streams = zhashx_new ();
    zhashx_set_destructor (self->streams, s_stream_free);
    s_open_t open = { self, 0 };
    if (kf_store_write (store, s_open, &open, err)) {
        kf_outbox_destroy (&self);
        return NULL;
    }
    self->epoch = open.epoch;   //  before the streams: their heads are compared with it
    if (kf_store_read (store, s_load_streams, self, err)) {
        kf_outbox_destroy (&self);
        return NULL;
    }
    //  Event ids: 64 random bits drawn once per process, then a counter.
    //  Unique across restarts without a system call per event.
    uint64_t prefix;
    if (getrandom (&prefix, sizeof prefix, 0) != sizeof prefix) {
        kf_err_set (err, "cannot draw random bits for event ids");
        kf_outbox_destroy (&self);
        return NULL;
    }
    s_hex64 (self->id_prefix, prefix);
    self->id_prefix [16] = 0;
    return self;
}

void
kf_outbox_destroy (kf_outbox_t **self_p)
{
    assert (self_p);
    kf_outbox_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->streams);
        free (self);
        *self_p = NULL;
    }
}

const char *
kf_outbox_producer (kf_outbox_t *self)
{
    assert (self);
    return self->producer;
}

uint64_t
kf_outbox_epoch (kf_outbox_t *self)
{
    assert (self);
    return self->epoch;
}

int
kf_outbox_head (kf_outbox_t *self, kf_txn_t *txn, const char *stream, Kf__StreamHead *head)
{
    assert (self && txn && stream && head);
    kf__stream_head__init (head);
    kf_key_t key;
    kf_key_make (&key, "s", stream);
    ProtobufCMessage *stored = NULL;
    int rc = kf_txn_get_msg (txn, self->heads, &key, &kf__stream_head__descriptor, &stored);
    if (rc == -1)
        return -1;
    if (rc == KF_FOUND) {
        Kf__StreamHead *h = (Kf__StreamHead *) stored;
        head->head_seq = h->head_seq;
        head->first_seq = h->first_seq;
        head->epoch = h->epoch;
        kf_codec_free (&stored);
    }
    else {
        head->epoch = self->epoch;
        head->first_seq = 1;
    }
    head->has_head_seq = head->has_first_seq = head->has_epoch = 1;
    return 0;
}

int
kf_outbox_put_head (kf_outbox_t *self, kf_txn_t *txn, const char *stream, const kf_outbox_stream_t *known,
                    uint64_t head_seq,
                    uint64_t first_seq)
{
    Kf__StreamHead head = KF__STREAM_HEAD__INIT;
    head.stream = (char *) stream;
    head.epoch = self->epoch;
    head.head_seq = head_seq;
    head.first_seq = first_seq;
    head.has_epoch = head.has_head_seq = head.has_first_seq = 1;
    //  (`known` is passed in: a lookup here would move the cursor of
    //  s_write_heads' walk over the same hash.)
    if (known && known->previous_epoch) {
        head.previous_epoch = known->previous_epoch;
        head.epoch_from_seq = known->epoch_from_seq;
        head.has_previous_epoch = head.has_epoch_from_seq = 1;
    }
    kf_key_t key;
    kf_key_make (&key, "s", stream);
    return kf_txn_put_msg (txn, self->heads, &key, &head.base);
}

//  Before the commit: the head of every stream this transaction appended to.
static void
s_write_heads (kf_txn_t *txn, void *arg)
{
    kf_outbox_t *self = arg;
    for (kf_outbox_stream_t *stream = zhashx_first (self->streams); stream; stream = zhashx_next (self->streams))
        if (stream->txn_id == kf_txn_id (txn)) {
            kf_outbox_put_head (self, txn, zhashx_cursor (self->streams), stream, stream->head_seq, stream->first_seq);
            stream->unsent = true;   //  should the commit fail, the flush finds nothing new
        }
}

//  A stream's head within a transaction: from the store the first time,
//  then from memory. A redo is another transaction, so it reads the store
//  again. NULL when the transaction failed.
static kf_outbox_stream_t *
s_stream_in (kf_outbox_t *self, kf_txn_t *txn, const char *stream)
{
    kf_outbox_stream_t *cached = s_stream (self, stream);
    if (!cached) {
        kf_txn_fail (txn, "out of memory");
        return NULL;
    }
    if (cached->txn_id != kf_txn_id (txn)) {
        Kf__StreamHead head;
        if (kf_outbox_head (self, txn, stream, &head))
            return NULL;
        cached->txn_id = kf_txn_id (txn);
        cached->head_seq = head.head_seq;
        cached->first_seq = head.head_seq == 0 ? 1 : head.first_seq;
        //  The heads are written once, when the transaction is about to commit.
        if (kf_txn_before_commit (txn, s_write_heads, self))
            return NULL;
    }
    return cached;
}

uint64_t
kf_outbox_head_in (kf_outbox_t *self, kf_txn_t *txn, const char *stream)
{
    assert (self && txn && stream);
    kf_outbox_stream_t *cached = s_stream_in (self, txn, stream);
    return cached ? cached->head_seq : 0;
}

//  An event's value in the outbox: [time][topic length][topic][envelope].
static int
s_put_event (kf_outbox_t *self, kf_txn_t *txn, const Kf__Envelope *env, int64_t at_ms)
{
    char kind [64], topic [128];
    kf_codec_event_kind (&env->base, kind, sizeof kind);
    int topic_len = kf_stream_name (topic, sizeof topic, env->estate, kind) == 0 ? (int) strlen (topic) : -1;
    assert (topic_len > 0 && topic_len < 256);
    size_t packed = protobuf_c_message_get_packed_size (&env->base);
    kf_key_t key;
    kf_key_make (&key, "s|q", env->stream, env->seq);
    uint8_t *room = kf_txn_reserve (txn, self->outbox, &key, S_PREFIX + (size_t) topic_len + packed);
    if (!room)
        return -1;
    kf_outbox_be64_write (room, (uint64_t) at_ms);
    room [8] = (uint8_t) topic_len;
    memcpy (room + S_PREFIX, topic, (size_t) topic_len);
    protobuf_c_message_pack (&env->base, room + S_PREFIX + topic_len);
    return 0;
}

uint64_t
kf_outbox_append (kf_outbox_t *self, kf_txn_t *txn, const Kf__Envelope *event, int64_t now_ms)
{
    assert (self && txn && event);
    assert (event->estate && event->body_case != KF__ENVELOPE__BODY__NOT_SET);
    char stream [KF_STREAM_MAX];
    if (!kf_config_valid_id (event->estate) || kf_stream_name (stream, sizeof stream, self->producer, event->estate)) {
        kf_txn_fail (txn, "outbox %s: '%s' is not an estate id", self->producer, event->estate);
        return 0;
    }
    kf_outbox_stream_t *cached = s_stream_in (self, txn, stream);
    if (!cached)
        return 0;
    uint64_t seq = cached->head_seq + 1;

    //  Our own copy of the envelope, with the header filled in.
    Kf__Envelope env = *event;
    char event_id [33];
    memcpy (event_id, self->id_prefix, 16);
    s_hex64 (event_id + 16, ++self->id_counter);
    event_id [32] = 0;
    env.stream = stream;
    env.epoch = self->epoch;
    env.seq = seq;
    env.event_id = event_id;
    env.occurred_at_ms = now_ms;
    env.schema_version = KF_SCHEMA_VERSION;
    env.has_epoch = env.has_seq = env.has_occurred_at_ms = env.has_schema_version = 1;
    if (s_put_event (self, txn, &env, now_ms))
        return 0;
    cached->head_seq = seq;
    return seq;
}

uint64_t
kf_outbox_put_back (kf_outbox_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    assert (self && txn && event);
    char owner [KF_STREAM_MAX];
    const char *slash = event->stream ? strrchr (event->stream, '/') : NULL;
    size_t plen = slash ? (size_t) (slash - event->stream) : 0;
    if (!slash || plen >= sizeof owner || !event->estate || strcmp (slash + 1, event->estate) != 0) {
        kf_txn_fail (txn, "outbox %s: an event to put back without its stream", self->producer);
        return 0;
    }
    memcpy (owner, event->stream, plen);
    owner [plen] = 0;
    if (strcmp (owner, self->producer) != 0 || event->epoch != self->epoch) {
        kf_txn_fail (txn, "outbox %s: %s in epoch %016llx is not this store's to put back", self->producer,
                     event->stream, (unsigned long long) event->epoch);
        return 0;
    }
    kf_outbox_stream_t *cached = s_stream_in (self, txn, event->stream);
    if (!cached)
        return 0;
    if (event->seq != cached->head_seq + 1) {
        kf_txn_fail (txn, "outbox %s: %s %llu does not follow its head %llu", self->producer, event->stream,
                     (unsigned long long) event->seq, (unsigned long long) cached->head_seq);
        return 0;
    }
    if (s_put_event (self, txn, event, event->occurred_at_ms))
        return 0;
    //  Sent already, by the store that was lost: the bus has seen it.
    uint8_t be [8];
    kf_outbox_be64_write (be, event->seq);
    kf_key_t key;
    kf_key_make (&key, "s|s", "sent", event->stream);
    kf_txn_put (txn, self->meta, &key, be, 8);
    cached->head_seq = event->seq;
    cached->sent = cached->checkpointed = event->seq;
    return kf_txn_ok (txn) ? event->seq : 0;
}

//  ---- replay decisions -------------------------------------------------------

Kf__ReplayStatus
kf_outbox_replay_range (kf_outbox_t *self, kf_txn_t *txn, const Kf__ReplayRequest *request,
                        uint64_t *from, uint64_t *to, uint64_t *head, uint64_t *first,
                        char *reason, size_t size)
{
    assert (self && txn && request && from && to && head && first && reason && size);
    *from = *to = *head = *first = 0;
    reason [0] = 0;
    size_t plen = strlen (self->producer);
    const char *stream = request->stream;
    if (!stream || strncmp (stream, self->producer, plen) != 0 || stream [plen] != '/'
    ||  !kf_config_valid_id (stream + plen + 1)) {
        snprintf (reason, size, "not a stream of %s", self->producer);
        return KF__REPLAY_STATUS__REPLAY_STATUS_UNKNOWN_STREAM;
    }
    Kf__StreamHead h;
    if (kf_outbox_head (self, txn, stream, &h)) {
        snprintf (reason, size, "%s", kf_txn_reason (txn));
        return KF__REPLAY_STATUS__REPLAY_STATUS_BAD_REQUEST;
    }
    *head = h.head_seq;
    *first = h.first_seq;
    //  After a restore, the events below the new epoch's first are the
    //  old epoch's, as their envelopes say: a consumer still in it gets them.
    const kf_outbox_stream_t *known = zhashx_lookup (self->streams, stream);
    bool previous = request->has_epoch && known && known->previous_epoch && request->epoch == known->previous_epoch
                 && request->from_seq > 0 && request->from_seq < known->epoch_from_seq;
    if (request->has_epoch && request->epoch != self->epoch && !previous) {
        snprintf (reason, size, "%s has epoch %016llx, not %016llx: its store was rebuilt",
                  self->producer, (unsigned long long) self->epoch, (unsigned long long) request->epoch);
        return KF__REPLAY_STATUS__REPLAY_STATUS_SNAPSHOT_REQUIRED;
    }
    *from = request->from_seq ? request->from_seq : 1;
    if (*from < h.first_seq && *from <= h.head_seq) {
        snprintf (reason, size, "%s from %llu was trimmed: the outbox keeps %llu..%llu", stream,
                  (unsigned long long) *from, (unsigned long long) h.first_seq, (unsigned long long) h.head_seq);
        return KF__REPLAY_STATUS__REPLAY_STATUS_SNAPSHOT_REQUIRED;
    }
    *to = request->to_seq && request->to_seq < h.head_seq ? request->to_seq : h.head_seq;
    if (previous && *to >= known->epoch_from_seq)
        *to = known->epoch_from_seq - 1;   //  the old epoch's end: the consumer continues from there
    return KF__REPLAY_STATUS__REPLAY_STATUS_OK;
}

//  ---- a new epoch after a restore ----------------------------------------------

typedef struct {
    kf_txn_t *txn;
    kf_table_t heads;
    uint64_t old_epoch, new_epoch;
    kf_outbox_restart_fn *fn;
    void *arg;
    int rc;
} s_restart_t;

static int
s_restart_head (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) key;
    s_restart_t *r = arg;
    Kf__StreamHead head = *(const Kf__StreamHead *) msg;
    uint64_t restored = head.head_seq;
    if (r->fn && r->fn (head.stream, restored, r->arg))
        return -1;
    //  Restarted twice before publishing (killed between the commit and
    //  the marker's removal): the epoch it continues is still the backup's.
    bool unpublished = head.has_previous_epoch && head.epoch == r->old_epoch && head.epoch_from_seq == restored + 1;
    head.epoch = r->new_epoch;
    head.previous_epoch = unpublished ? head.previous_epoch : r->old_epoch;
    head.epoch_from_seq = restored + 1;
    head.has_epoch = head.has_previous_epoch = head.has_epoch_from_seq = 1;
    head.base.unknown_fields = NULL;
    head.base.n_unknown_fields = 0;
    kf_key_t k;
    kf_key_make (&k, "s", head.stream);
    return kf_txn_put_msg (txn, r->heads, &k, &head.base);
}

int
kf_outbox_adopt_stream (kf_txn_t *txn, const char *stream, uint64_t epoch)
{
    assert (txn && stream);
    kf_table_t heads = kf_store_table (kf_txn_store (txn), "bus_heads");
    kf_key_t key;
    kf_val_t value;
    if (kf_key_make (&key, "s", stream))
        return kf_txn_fail (txn, "'%s' is not a stream name", stream);
    int rc = kf_txn_get (txn, heads, &key, &value);
    if (rc != KF_NOTFOUND)
        return rc == KF_FOUND ? 0 : -1;
    Kf__StreamHead head = KF__STREAM_HEAD__INIT;
    head.stream = (char *) stream;
    head.epoch = epoch;
    head.head_seq = 0;
    head.first_seq = 1;
    head.has_epoch = head.has_head_seq = head.has_first_seq = 1;
    return kf_txn_put_msg (txn, heads, &key, &head.base);
}

int
kf_outbox_restart_epoch (kf_txn_t *txn, uint64_t *old_epoch, uint64_t *new_epoch, kf_outbox_restart_fn *fn,
                         void *arg)
{
    assert (txn && old_epoch && new_epoch);
    kf_store_t *store = kf_txn_store (txn);
    kf_table_t meta = kf_store_table (store, "bus_meta");
    kf_key_t key;
    kf_val_t value;
    kf_key_make (&key, "s", "epoch");
    if (kf_txn_get (txn, meta, &key, &value) != KF_FOUND || value.size != 8)
        return kf_txn_fail (txn, "a restored store without an epoch: not a kefu store");
    s_restart_t r = { txn, kf_store_table (store, "bus_heads"), kf_outbox_be64_read (value.data), 0, fn, arg, 0 };
    do {
        if (getrandom (&r.new_epoch, sizeof r.new_epoch, 0) != sizeof r.new_epoch)
            return kf_txn_fail (txn, "cannot draw a random epoch");
    } while (r.new_epoch == 0 || r.new_epoch == r.old_epoch);
    uint8_t be [8];
    kf_outbox_be64_write (be, r.new_epoch);
    kf_txn_put (txn, meta, &key, be, 8);
    kf_txn_scan_msg (txn, r.heads, NULL, &kf__stream_head__descriptor, s_restart_head, &r);
    *old_epoch = r.old_epoch;
    *new_epoch = r.new_epoch;
    return kf_txn_ok (txn) ? 0 : -1;
}
