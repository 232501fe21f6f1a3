/*  kf_bus_status — the bus as a daemon sees it, for kefuctl lag and
    /metrics: cursors, heads, producers, alarms and counters. See
    kf_bus_private.h.
*/
#include "kf_bus_private.h"

//  ---- status, for kefuctl lag -----------------------------------------------

//  A message of the given type, from kf_codec's allocator.
static ProtobufCMessage *
s_new_message (const ProtobufCMessageDescriptor *descriptor)
{
    ProtobufCMessage *msg = kf_codec_allocator.alloc (NULL, descriptor->sizeof_message);
    if (msg)
        descriptor->message_init (msg);
    return msg;
}

//  Append a copy of msg to the repeated message field `field` of parent.
static int
s_append_copy (ProtobufCMessage *parent, const char *field, const ProtobufCMessage *msg)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name (parent->descriptor, field);
    assert (f && f->label == PROTOBUF_C_LABEL_REPEATED && f->type == PROTOBUF_C_TYPE_MESSAGE);
    size_t size;
    uint8_t *data = kf_codec_pack (msg, &size);
    ProtobufCMessage *copy = data ? kf_codec_unpack (msg->descriptor, data, size, NULL) : NULL;
    free (data);
    ProtobufCMessage **slot = copy ? kf_field_append (parent, f) : NULL;
    if (!slot) {
        kf_codec_free (&copy);
        return -1;
    }
    *slot = copy;
    return 0;
}

typedef struct {
    kf_bus_t *self;
    Kf__BusStatus *status;
    kf_txn_t *txn;
} s_status_t;

//  The occurred_at of the oldest event an outbox holds, over its streams.
static int
s_oldest_event (uint64_t seq, const void *data, size_t size, void *arg)
{
    (void) seq;
    Kf__BusStatus *status = arg;
    Kf__Envelope *event = (Kf__Envelope *) kf_codec_unpack (&kf__envelope__descriptor, data, size, NULL);
    if (event && event->has_occurred_at_ms && (!status->has_outbox_oldest_ms
                                            || event->occurred_at_ms < status->outbox_oldest_ms)) {
        status->outbox_oldest_ms = event->occurred_at_ms;
        status->has_outbox_oldest_ms = 1;
    }
    kf_codec_free ((ProtobufCMessage **) &event);
    return 0;
}

static int
s_status_head (const Kf__StreamHead *head, void *arg)
{
    s_status_t *st = arg;
    if (head->first_seq > 0 && head->first_seq <= head->head_seq)
        kf_outbox_read (st->self->outbox, st->txn, head->stream, head->first_seq, head->first_seq, 1,
                        s_oldest_event, st->status);
    return s_append_copy (&st->status->base, "heads", &head->base);
}

static int
s_status_cursor (const Kf__Cursor *cursor, void *arg)
{
    return s_append_copy (arg, "cursors", &cursor->base);
}

static int
s_status_read (kf_txn_t *txn, void *arg)
{
    s_status_t *st = arg;
    st->txn = txn;
    if (st->self->outbox) {
        kf_outbox_heads (st->self->outbox, txn, s_status_head, st);
        st->status->outbox_events = kf_txn_count (txn, kf_store_table (st->self->store, "bus_outbox"));
        st->status->has_outbox_events = 1;
    }
    if (st->self->inbox)
        kf_inbox_cursors (st->self->inbox, txn, s_status_cursor, st->status);
    return kf_txn_ok (txn) ? 0 : -1;
}

Kf__BusStatus *
kf_bus_status (kf_bus_t *self)
{
    assert (self);
    Kf__BusStatus *status = (Kf__BusStatus *) s_new_message (&kf__bus_status__descriptor);
    if (!status)
        return NULL;
    status->service = strdup (kf_bus_name (self));
    status->malformed_frames = self->stats.malformed + (self->replayer ? kf_replay_stats (self->replayer)->malformed : 0);
    status->snapshot_alarms = self->stats.alarms;
    status->forged_events = self->stats.forged;
    status->forbidden_replays = kf_bus_stats (self)->forbidden;
    status->has_malformed_frames = status->has_snapshot_alarms = status->has_forged_events = 1;
    status->has_forbidden_replays = 1;
    const kf_bus_stats_t *counts = &self->stats;
    status->applied_events = counts->applied;
    status->duplicate_events = counts->duplicates;
    status->gaps = counts->gaps;
    status->replays = counts->replays;
    status->replayed_events = counts->replayed;
    status->published_events = counts->published;
    status->served_events = counts->served;
    status->map_used_bytes = kf_store_used (self->store);
    status->map_size_bytes = kf_store_map_size (self->store);
    status->sampled_at_ms = kf_clock_now (self->clock);
    status->has_applied_events = status->has_duplicate_events = status->has_gaps = status->has_replays = 1;
    status->has_replayed_events = status->has_published_events = status->has_served_events = 1;
    status->has_map_used_bytes = status->has_map_size_bytes = status->has_sampled_at_ms = 1;
    const kf_store_commits_t *commits = kf_store_commits (self->store);
    status->commit_buckets = kf_codec_allocator.alloc (NULL, KF_STORE_COMMIT_BUCKETS * sizeof *status->commit_buckets);
    if (status->commit_buckets) {
        memcpy (status->commit_buckets, commits->buckets, KF_STORE_COMMIT_BUCKETS * sizeof *status->commit_buckets);
        status->n_commit_buckets = KF_STORE_COMMIT_BUCKETS;
    }
    status->commit_count = commits->count;
    status->commit_sum_us = commits->sum_us;
    status->has_commit_count = status->has_commit_sum_us = 1;
    for (kf_bus_cursor_t *c = self->cursors ? zhashx_first (self->cursors) : NULL; c; c = zhashx_next (self->cursors)) {
        if (!c->alarmed)
            continue;
        const char *stream = zhashx_cursor (self->cursors);
        Kf__StreamAlarm alarm = KF__STREAM_ALARM__INIT;
        alarm.stream = (char *) stream;
        alarm.kind = c->alarm_kind;
        alarm.reason = c->alarm_reason;
        alarm.since_ms = c->alarm_since_ms;
        alarm.epoch = c->epoch;
        alarm.last_seq = c->last;
        alarm.has_kind = alarm.has_since_ms = alarm.has_epoch = alarm.has_last_seq = 1;
        char name [KF_STREAM_MAX];
        kf_bus_producer_t *p = kf_bus_stream_producer (stream, name, sizeof name) ? zhashx_lookup (self->producers,
                                                                                                   name) : NULL;
        for (Kf__StreamHead *h = p ? zlistx_first (p->heads) : NULL; h; h = zlistx_next (p->heads))
            if (strcmp (h->stream, stream) == 0) {
                alarm.head_epoch = h->epoch;
                alarm.head_seq = h->head_seq;
                alarm.first_seq = h->first_seq;
                alarm.has_head_epoch = alarm.has_head_seq = alarm.has_first_seq = 1;
            }
        if (s_append_copy (&status->base, "stream_alarms", &alarm.base)) {
            kf_codec_free ((ProtobufCMessage **) &status);
            return NULL;
        }
    }
    s_status_t st = { self, status, NULL };
    bool ok = status->service && kf_store_read (self->store, s_status_read, &st, NULL) == 0;
    for (kf_bus_producer_t *p = zhashx_first (self->producers); ok && p; p = zhashx_next (self->producers)) {
        Kf__ProducerState state = KF__PRODUCER_STATE__INIT;
        state.producer = p->name;
        state.replay_endpoint = p->endpoint;
        //  Ages, not monotonic stamps, mean something outside this process.
        state.last_beat_ms = kf_clock_now (self->clock) - (kf_bus_mono_ms () - p->last_beat);
        state.down = p->down;
        state.has_last_beat_ms = state.has_down = 1;
        Kf__StreamHead **heads = NULL;
        size_t n = zlistx_size (p->heads), i = 0;
        if (n && (heads = calloc (n, sizeof *heads)))
            for (Kf__StreamHead *h = zlistx_first (p->heads); h; h = zlistx_next (p->heads))
                heads [i++] = h;
        state.heads = heads;
        state.n_heads = heads ? n : 0;
        ok = s_append_copy (&status->base, "producers", &state.base) == 0;
        free (heads);
    }
    if (!ok)
        kf_codec_free ((ProtobufCMessage **) &status);
    return status;
}
