/*  kf_bus_alarms — a stream stopped for an operator (a new epoch, a
    trimmed range, a head behind), and the decision that ends it, kept with
    its reason. See kf_bus_private.h.
*/
#include "kf_bus_private.h"

//  ---- decisions: how a stream's alarm ends ---------------------------------


typedef struct {
    kf_bus_t *self;
    Kf__StreamDecision *decision;
} s_decision_txn_t;

//  Move the cursor and keep the decision, in one transaction.
static int
s_record_decision (kf_txn_t *txn, void *arg)
{
    s_decision_txn_t *d = arg;
    Kf__StreamDecision *decision = d->decision;
    if (kf_inbox_set (d->self->inbox, txn, decision->stream, decision->to_epoch, decision->to_seq, NULL,
                      decision->decided_at_ms))
        return -1;
    //  stream|decided_at|the cursor before: one record per decision, kept for ever.
    kf_key_t key;
    kf_key_make (&key, "s|u|u|u", decision->stream, (uint64_t) decision->decided_at_ms, decision->from_epoch,
                 decision->from_seq);
    return kf_txn_put_msg (txn, kf_store_table (d->self->store, "bus_decisions"), &key, &decision->base);
}

static int
s_apply_decision (kf_bus_t *self, Kf__StreamDecision *decision, kf_err_t *err)
{
    s_decision_txn_t d = { self, decision };
    if (kf_store_write (self->store, s_record_decision, &d, err))
        return -1;
    kf_bus_cursor_t *cursor = kf_bus_cursor (self, decision->stream);
    if (cursor) {
        cursor->epoch = decision->to_epoch;
        cursor->last = decision->to_seq;
        cursor->alarmed = false;
        cursor->archive_asked = cursor->archive_lacks = 0;   //  a retry asks the archive again
    }
    return 0;
}

static void
s_decision_init (kf_bus_t *self, Kf__StreamDecision *decision, const char *stream, const kf_bus_cursor_t *cursor,
                 Kf__StreamAction action)
{
    kf__stream_decision__init (decision);
    decision->stream = (char *) stream;
    decision->action = action;
    decision->from_epoch = cursor->epoch;
    decision->from_seq = cursor->last;
    decision->to_epoch = cursor->epoch;
    decision->to_seq = cursor->last;
    decision->decided_at_ms = kf_clock_now (self->clock);
    decision->alarm = cursor->alarmed ? cursor->alarm_kind : KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_UNSPECIFIED;
    decision->has_action = decision->has_from_epoch = decision->has_from_seq = decision->has_to_epoch = 1;
    decision->has_to_seq = decision->has_decided_at_ms = decision->has_alarm = 1;
}

//  The producer's store was put back from a backup with kefuctl restore:
//  its new epoch continues ours from epoch_from_seq. What we applied of
//  the old epoch past that point stays applied (its effects are here) but
//  the producer no longer has it: said, and kept with the decision.
static void
s_continue_after_restore (kf_bus_t *self, const Kf__StreamHead *head, kf_bus_cursor_t *cursor)
{
    Kf__StreamDecision decision;
    s_decision_init (self, &decision, head->stream, cursor, KF__STREAM_ACTION__STREAM_ACTION_CONTINUE_AFTER_RESTORE);
    decision.to_epoch = head->epoch;
    decision.to_seq = head->epoch_from_seq - 1;
    decision.actor = "kefu";
    char reason [200];
    if (cursor->last >= head->epoch_from_seq)
        snprintf (reason, sizeof reason, "restored producer: events %llu..%llu of the old epoch were applied here "
                  "and are lost at the producer", (unsigned long long) head->epoch_from_seq,
                  (unsigned long long) cursor->last);
    else
        snprintf (reason, sizeof reason, "restored producer: nothing applied here was lost");
    decision.reason = reason;
    kf_err_t err;
    if (s_apply_decision (self, &decision, &err))
        kf_error ("%s: cannot follow the restored producer: %s", head->stream, err.text);
    else
        kf_warning ("%s continues in epoch %016llx from %llu (%s)", head->stream, (unsigned long long) head->epoch,
                    (unsigned long long) head->epoch_from_seq, reason);
}

int
kf_bus_resolve (kf_bus_t *self, const char *stream, Kf__StreamAction action, uint64_t to_seq, const char *actor,
                const char *reason, Kf__StreamDecision **result, kf_err_t *err)
{
    assert (self && result);
    *result = NULL;
    kf_bus_cursor_t *cursor = stream && self->cursors ? zhashx_lookup (self->cursors, stream) : NULL;
    if (!cursor || !cursor->alarmed)
        return kf_err_set (err, "%s has no alarm here: nothing to resolve", stream ? stream : "(no stream)");
    if (!reason || !*reason)
        return kf_err_set (err, "say why (--reason): the decision is kept for ever");
    if (!actor || !*actor)
        return kf_err_set (err, "who decides? (--as)");
    //  What the producer last announced of the stream.
    char name [KF_STREAM_MAX];
    const kf_bus_producer_t *producer = kf_bus_stream_producer (stream, name,
                                                                sizeof name) ? zhashx_lookup (self->producers, name)
                                                                                 : NULL;
    const Kf__StreamHead *head = NULL;
    for (Kf__StreamHead *h = producer ? zlistx_first (producer->heads) : NULL; h; h = zlistx_next (producer->heads))
        if (strcmp (h->stream, stream) == 0)
            head = h;
    Kf__StreamDecision decision;
    s_decision_init (self, &decision, stream, cursor, action);
    decision.actor = (char *) actor;
    decision.reason = (char *) reason;
    switch (action) {
        case KF__STREAM_ACTION__STREAM_ACTION_ACCEPT_EPOCH:
            if (cursor->alarm_kind != KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_NEW_EPOCH || !head)
                return kf_err_set (err, "%s: accept-epoch ends a new-epoch alarm, with its producer heard", stream);
            //  From the new epoch's oldest kept event: what came before it
            //  in that epoch is gone from the producer's outbox.
            decision.to_epoch = head->epoch;
            decision.to_seq = head->first_seq > 0 ? head->first_seq - 1 : 0;
            break;
        case KF__STREAM_ACTION__STREAM_ACTION_SKIP_TO:
            if (cursor->alarm_kind != KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_TRIMMED || !head)
                return kf_err_set (err, "%s: skip-to ends a trimmed-range alarm, with its producer heard", stream);
            if (to_seq <= cursor->last + 1 || (head->first_seq > 0 && to_seq > head->first_seq)
            ||  head->epoch != cursor->epoch)
                return kf_err_set (err, "%s: skip to a sequence after %llu and no later than the oldest the producer "
                                   "keeps (%llu)", stream, (unsigned long long) cursor->last + 1,
                                   (unsigned long long) head->first_seq);
            decision.to_seq = to_seq - 1;
            break;
        case KF__STREAM_ACTION__STREAM_ACTION_RETRY:
            break;
        default:
            return kf_err_set (err, "%s: the actions are accept-epoch, skip-to and retry", stream);
    }
    if (s_apply_decision (self, &decision, err))
        return -1;
    kf_warning ("%s: alarm resolved by %s (%s): cursor %016llx/%llu -> %016llx/%llu: %s", stream, actor,
                kf__stream_action__descriptor.values [action].name, (unsigned long long) decision.from_epoch,
                (unsigned long long) decision.from_seq, (unsigned long long) decision.to_epoch,
                (unsigned long long) decision.to_seq, reason);
    size_t size;
    uint8_t *packed = kf_codec_pack (&decision.base, &size);
    *result = packed ? (Kf__StreamDecision *) kf_codec_unpack (&kf__stream_decision__descriptor, packed, size, NULL)
                     : NULL;
    free (packed);
    if (producer)
        kf_bus_catch_up (self, (kf_bus_producer_t *) producer);
    return 0;
}

//  Compare a producer's announced heads with our cursors: a head beyond a
//  cursor means events we never got (a lost tail, or a start-up), so ask.
void
kf_bus_catch_up (kf_bus_t *self, kf_bus_producer_t *producer)
{
    for (Kf__StreamHead *head = zlistx_first (producer->heads); head && !producer->replaying;
         head = zlistx_next (producer->heads)) {
        const char *slash = strrchr (head->stream, '/');
        if (!slash || !kf_bus_consumes_estate (self, slash + 1) || kf_bus_forged (self, head->stream, slash + 1))
            continue;
        kf_bus_cursor_t *cursor = kf_bus_cursor (self, head->stream);
        if (!cursor || cursor->alarmed)
            continue;
        if (cursor->last > 0 && cursor->epoch != head->epoch) {
            if (head->has_previous_epoch && head->previous_epoch == cursor->epoch && head->epoch_from_seq > 0
            &&  cursor->last + 1 < head->epoch_from_seq && cursor->last + 1 < head->first_seq) {
                //  Behind the restored head too, and what lies between is no
                //  longer served by the producer: following would skip it
                //  without a word. The archive has the old epoch, if any has.
                char why [200];
                snprintf (why, sizeof why, "its producer was restored at %llu while %llu were applied here, and "
                          "keeps only from %llu", (unsigned long long) (head->epoch_from_seq - 1),
                          (unsigned long long) cursor->last, (unsigned long long) head->first_seq);
                if (!kf_bus_ask_archive (self, head->stream, why))
                    kf_bus_alarm (self, head->stream, KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_NEW_EPOCH, why);
            }
            else
            if (head->has_previous_epoch && head->previous_epoch == cursor->epoch && head->epoch_from_seq > 0
            &&  cursor->last + 1 < head->epoch_from_seq)
                //  Behind the restored head: first the old epoch's events up
                //  to it, which the restored outbox still holds.
                kf_bus_replay_start (self, producer, head->stream, cursor->last + 1);
            else
            if (head->has_previous_epoch && head->previous_epoch == cursor->epoch && head->epoch_from_seq > 0)
                s_continue_after_restore (self, head, cursor);
            else
                kf_bus_alarm (self, head->stream, KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_NEW_EPOCH,
                              "its producer's store is another one (rebuilt?): the epoch changed");
            continue;
        }
        //  A head behind our cursor in the same epoch says nothing by
        //  itself: a heartbeat read late (while a replay kept us busy) is
        //  older than the events that followed it. A store put back from
        //  a backup shows when it reuses a sequence (kf_bus_apply_txn).
        if (head->head_seq > cursor->last)
            kf_bus_replay_start (self, producer, head->stream, cursor->last + 1);
    }
}

void
kf_bus_on_heartbeat (kf_bus_t *self, const void *data, size_t size)
{
    kf_err_t err;
    Kf__Heartbeat *beat = (Kf__Heartbeat *) kf_codec_unpack (&kf__heartbeat__descriptor, data, size, &err);
    if (!beat || !beat->producer || !strchr (beat->producer, '@') || !beat->replay_endpoint) {
        self->stats.malformed++;
        kf_codec_free ((ProtobufCMessage **) &beat);
        return;
    }
    if (self->producer && strcmp (beat->producer, self->producer) == 0) {
        kf_codec_free ((ProtobufCMessage **) &beat);
        return;
    }
    kf_bus_producer_t *producer = kf_bus_producer (self, beat->producer);
    if (producer) {
        bool key_changed = (producer->server_key == NULL) != (beat->replay_key == NULL)
                        || (beat->replay_key && strcmp (producer->server_key, beat->replay_key) != 0);
        if (!producer->endpoint || strcmp (producer->endpoint, beat->replay_endpoint) != 0 || key_changed) {
            free (producer->endpoint);
            free (producer->server_key);
            producer->endpoint = strdup (beat->replay_endpoint);
            producer->server_key = beat->replay_key ? strdup (beat->replay_key) : NULL;
            kf_bus_producer_disconnect (self, producer);
        }
        if (producer->down || producer->last_beat == 0)
            kf_notice ("producer %s is up (replay at %s)", producer->name, producer->endpoint);
        producer->down = false;
        producer->archive = beat->has_archive && beat->archive;
        producer->last_beat = kf_bus_mono_ms ();
        zlistx_purge (producer->heads);
        for (size_t i = 0; i < beat->n_heads; i++) {
            Kf__StreamHead *head = beat->heads [i];
            char owner [KF_STREAM_MAX];
            //  A producer speaks only for its own streams.
            if (head->stream && kf_bus_stream_producer (head->stream, owner, sizeof owner)
            &&  strcmp (owner, beat->producer) == 0) {
                beat->heads [i] = NULL;
                zlistx_add_end (producer->heads, head);
            }
        }
        kf_bus_catch_up (self, producer);
    }
    kf_codec_free ((ProtobufCMessage **) &beat);
}
