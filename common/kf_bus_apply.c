/*  kf_bus_apply — a batch of consumed events applied exactly once: in
    order, each stream's cursor moved in the same transaction as the
    effect, duplicates skipped, a gap sent to replay. See kf_bus_private.h.
*/
#include "kf_bus_private.h"

//  ---- applying batches -------------------------------------------------------

//  A stream's cursor within one attempt at a batch: read from the store the
//  first time the stream appears, moved in memory, written once at the end.
typedef struct {
    uint64_t epoch;
    uint64_t last;
    char last_event_id [40];        //  of the last applied, "" if unknown
    const Kf__Envelope *moved_to;   //  the last event applied, NULL if none
    bool stopped;                   //  a sequence reused: nothing more of it in this batch
} s_batch_cursor_t;

//  What one attempt at a batch found; reset when the store redoes it.
typedef struct {
    kf_bus_t *self;
    kf_bus_stats_t stats;
    zlistx_t *gaps;            //  streams with a gap (char *), for replay
    zlistx_t *epochs;          //  streams whose producer has a new epoch
    zlistx_t *reused;          //  streams whose producer sent another event under an applied sequence
    zhashx_t *cursors;         //  stream -> s_batch_cursor_t
} s_apply_t;

static s_batch_cursor_t *
s_batch_cursor (s_apply_t *a, kf_txn_t *txn, const char *stream)
{
    s_batch_cursor_t *cursor = zhashx_lookup (a->cursors, stream);
    if (!cursor) {
        cursor = calloc (1, sizeof *cursor);
        if (!cursor || kf_inbox_cursor (a->self->inbox, txn, stream, &cursor->epoch, &cursor->last,
                                        cursor->last_event_id, sizeof cursor->last_event_id)) {
            free (cursor);
            return NULL;
        }
        zhashx_insert (a->cursors, stream, cursor);
    }
    return cursor;
}

//  After a restore, an event we consume again whose effects came back
//  from the archive with the events it had caused here: its handler is
//  not run a second time, once (the mark goes with it).
static bool
s_recovered_cause (kf_bus_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    kf_key_t key;
    if (!event->event_id || kf_key_make (&key, "s", event->event_id) || kf_txn_del (txn, self->recovered,
                                                                                    &key) != KF_FOUND)
        return false;
    kf_info ("%s #%llu: its effects came back from the archive; not applied again", event->stream,
             (unsigned long long) event->seq);
    return true;
}

int
kf_bus_apply_txn (kf_txn_t *txn, void *arg)
{
    s_apply_t *a = arg;
    kf_bus_t *self = a->self;
    memset (&a->stats, 0, sizeof a->stats);
    zlistx_purge (a->gaps);
    zlistx_purge (a->epochs);
    zlistx_purge (a->reused);
    zhashx_purge (a->cursors);
    int64_t now = kf_clock_now (self->clock);
    //  Events come in runs of one stream: what is known of a stream is
    //  looked up once per run, not once per event.
    const char *run_stream = NULL;
    bool run_skip = false, run_forged = false;
    s_batch_cursor_t *batch_cursor = NULL;
    for (size_t i = 0; i < self->batch_len; i++) {
        Kf__Envelope *event = self->batch [i];
        if (!event->stream || !run_stream || strcmp (event->stream, run_stream) != 0) {
            run_stream = event->stream;
            batch_cursor = NULL;
            kf_bus_cursor_t *cursor = event->stream ? zhashx_lookup (self->cursors, event->stream) : NULL;
            run_skip = kf_bus_own_stream (self, event->stream) || (cursor && cursor->alarmed);
            run_forged = !run_skip && kf_bus_forged (self, event->stream, event->estate);
            if (!run_skip && !run_forged && kf_inbox_well_formed (event)) {
                batch_cursor = s_batch_cursor (a, txn, event->stream);
                if (!batch_cursor)
                    return kf_txn_ok (txn) ? kf_txn_fail (txn, "out of memory") : -1;
            }
        }
        if (run_skip || !kf_bus_consumes_estate (self, event->estate))
            continue;
        if (run_forged) {
            kf_bus_refuse_forged (self, event->stream, event->estate);
            continue;
        }
        if (!batch_cursor || !kf_inbox_well_formed (event)) {
            a->stats.malformed++;
            run_stream = NULL;   //  do not let a bad event define a run
            continue;
        }
        if (batch_cursor->stopped)
            continue;
        switch (kf_inbox_judge (event, batch_cursor->epoch, batch_cursor->last)) {
            case KF_INBOX_APPLY:
                if (event->body_case == KF__ENVELOPE__BODY__NOT_SET) {
                    //  Once a batch is enough for the log; the count is in the stats.
                    if (a->stats.unknown++ == 0)
                        kf_notice ("%s #%llu: a kind of event this build does not know; its sequence is "
                                   "applied (said once a batch)", event->stream, (unsigned long long) event->seq);
                }
                else
                if (self->recovered_pending && s_recovered_cause (self, txn, event))
                    ;   //  its effects came back from the archive with ours (kf_recover)
                else
                if (self->options.handler (self, txn, event, self->options.handler_arg) != 0)
                    return -1;
                batch_cursor->epoch = event->epoch;
                batch_cursor->last = event->seq;
                snprintf (batch_cursor->last_event_id, sizeof batch_cursor->last_event_id, "%s",
                          event->event_id ? event->event_id : "");
                batch_cursor->moved_to = event;
                a->stats.applied++;
                break;
            case KF_INBOX_DUPLICATE:
                //  The very event again (a replay, the bus twice) is a
                //  duplicate; another event under the last applied
                //  sequence means the producer numbers anew from an older
                //  store: stop before it passes us.
                if (event->seq == batch_cursor->last && *batch_cursor->last_event_id && event->event_id
                &&  strcmp (event->event_id, batch_cursor->last_event_id) != 0) {
                    if (!zlistx_find (a->reused, event->stream))
                        zlistx_add_end (a->reused, event->stream);
                    batch_cursor->stopped = true;
                }
                else
                    a->stats.duplicates++;
                break;
            case KF_INBOX_GAP:
                if (!zlistx_find (a->gaps, event->stream)) {
                    zlistx_add_end (a->gaps, event->stream);
                    a->stats.gaps++;
                }
                break;
            case KF_INBOX_NEW_EPOCH:
                if (!zlistx_find (a->epochs, event->stream))
                    zlistx_add_end (a->epochs, event->stream);
                break;
            case KF_INBOX_MALFORMED:
                a->stats.malformed++;
                break;
        }
        if (!kf_txn_ok (txn))
            return -1;
    }
    //  Each stream's cursor, once, in the same transaction as the effects.
    for (s_batch_cursor_t *c = zhashx_first (a->cursors); c; c = zhashx_next (a->cursors))
        if (c->moved_to)
            kf_inbox_advance (self->inbox, txn, c->moved_to, now);
    return kf_txn_ok (txn) ? 0 : -1;
}


void
kf_bus_batch_clear (kf_bus_t *self)
{
    self->batch_len = 0;
    if (self->arena)
        kf_arena_reset (self->arena);
}

static int
s_batch_add (kf_bus_t *self, Kf__Envelope *event)
{
    if (self->batch_len == self->batch_size) {
        size_t size = self->batch_size ? self->batch_size * 2 : 64;
        Kf__Envelope **grown = realloc (self->batch, size * sizeof *grown);
        if (!grown)
            return -1;
        self->batch = grown;
        self->batch_size = size;
    }
    self->batch [self->batch_len++] = event;
    return 0;
}

//  Decode an event into the batch; counts what does not decode.
void
kf_bus_batch_decode (kf_bus_t *self, const void *data, size_t size, const char *only)
{
    Kf__Envelope *event = (Kf__Envelope *) kf_codec_unpack_in (self->arena, &kf__envelope__descriptor,
                                                               data, size, NULL);
    if (!event)
        self->stats.malformed++;
    else
    if (only && (!event->stream || strcmp (event->stream, only) != 0)) {
        //  A replay serves the stream asked for and nothing else: what an
        //  estate server's replay endpoint slips in of another stream is
        //  not the bus's to have checked, so it is refused here.
        self->stats.forged++;
        kf_warning ("refused an event of %s in a replay of %s (forged)", event->stream ? event->stream : "?", only);
    }
    else
    if (s_batch_add (self, event))
        kf_warning ("out of memory: an event is left for replay");
}


static int
s_list_compare (const void *a, const void *b)
{
    return strcmp (a, b);
}

//  Apply the gathered batch in one transaction, then send what the handler
//  emitted and chase the gaps it found.
void
kf_bus_apply_batch (kf_bus_t *self)
{
    if (self->batch_len == 0)
        return;
    s_apply_t a = { self, { 0 }, zlistx_new (), zlistx_new (), zlistx_new (), zhashx_new () };
    zhashx_set_destructor (a.cursors, kf_bus_free_item);
    zlistx_set_comparator (a.gaps, s_list_compare);
    zlistx_set_comparator (a.epochs, s_list_compare);
    zlistx_set_comparator (a.reused, s_list_compare);
    kf_err_t err;
    if (kf_store_write (self->store, kf_bus_apply_txn, &a, &err) == 0) {
        if (self->options.on_commit)
            self->options.on_commit (self, (size_t) a.stats.applied, self->options.on_commit_arg);
        self->stats.commits++;
        self->stats.applied += a.stats.applied;
        self->stats.duplicates += a.stats.duplicates;
        self->stats.unknown += a.stats.unknown;
        self->stats.malformed += a.stats.malformed;
        self->stats.gaps += a.stats.gaps;
        //  The commit is durable: mirror the cursors it moved.
        for (s_batch_cursor_t *moved = zhashx_first (a.cursors); moved; moved = zhashx_next (a.cursors)) {
            kf_bus_cursor_t *cursor = moved->moved_to ? kf_bus_cursor (self, zhashx_cursor (a.cursors)) : NULL;
            if (cursor) {
                cursor->epoch = moved->epoch;
                cursor->last = moved->last;
            }
        }
        kf_bus_flush (self);
        //  Events of another epoch than the cursor's: the producer's next
        //  heartbeat says whether its new epoch continues ours (a restore)
        //  or not (kf_bus_catch_up); until then they are not applied.
        for (const char *stream = zlistx_first (a.epochs); stream; stream = zlistx_next (a.epochs))
            kf_debug ("%s: events of another epoch; waiting for its producer's heartbeat", stream);
        for (const char *stream = zlistx_first (a.reused); stream; stream = zlistx_next (a.reused))
            kf_bus_alarm (self, stream, KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_BEHIND,
                          "its producer sent another event under a sequence applied here, same epoch "
                          "(its store restored without kefuctl restore?)");
        for (const char *stream = zlistx_first (a.gaps); stream; stream = zlistx_next (a.gaps)) {
            char name [KF_STREAM_MAX];
            kf_bus_cursor_t *cursor = zhashx_lookup (self->cursors, stream);
            if (kf_bus_stream_producer (stream, name, sizeof name))
                kf_bus_replay_start (self, zhashx_lookup (self->producers, name), stream,
                                     cursor ? cursor->last + 1 : 1);
        }
    }
    else
        kf_error ("applying %zu events failed, they will be replayed: %s", self->batch_len, err.text);
    zlistx_destroy (&a.gaps);
    zlistx_destroy (&a.epochs);
    zlistx_destroy (&a.reused);
    zhashx_destroy (&a.cursors);
    kf_bus_batch_clear (self);
}
