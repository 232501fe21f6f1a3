/*  kf_bus — consuming, producing, replaying and heartbeats on one zloop.  */
#include "kf_bus.h"
#include "kf_codec.h"
#include "kf_field.h"
#include "kf_net.h"
#include "kf_notify.h"
#include "kf_replay.h"
#include "kf_version.h"

#include <assert.h>
#include <string.h>

#define S_HEARTBEAT_TOPIC   "_sys/heartbeat"
#define S_MISSED_BEATS      3       //  beats missed before a producer is down
#define S_ARCHIVE_GRACE_BEATS 3     //  just started, a trimmed range waits this long (+ S_ARCHIVE_WAIT_MS) to hear the archive
#define S_ARCHIVE_WAIT_MS   30000   //  ... or for an archive whose beats stopped, before the alarm
#define S_REPLAY_STALL_MS   5000    //  a replay without progress this long is abandoned
#define S_HWM               200000
#define S_TRIM_BUDGET       10000   //  outbox events trimmed per maintenance at most

//  A producer as a consumer knows it, from its heartbeats.
typedef struct {
    char *name;                //  e.g. "dispatch@c1"
    char *endpoint;            //  its replay endpoint
    char *server_key;          //  that endpoint's CURVE key, as the bus let its heartbeat say; NULL: the cluster's
    zsock_t *dealer;           //  to its replay endpoint, made when needed
    int64_t last_beat;         //  monotonic ms
    bool down;
    bool archive;              //  the archive: it replays every stream's history
    bool replaying;            //  one replay at a time per producer
    char replay_stream [KF_STREAM_MAX];
    int64_t replay_progress;   //  monotonic ms of the last batch
    zlistx_t *heads;           //  Kf__StreamHead * of its last heartbeat
} s_producer_t;

//  A consumer's view of a stream, mirrored from the store after commits.
typedef struct {
    uint64_t epoch;
    uint64_t last;
    bool alarmed;              //  stopped for an operator: we do not touch it until resolved
    Kf__StreamAlarmKind alarm_kind;
    char alarm_reason [200];
    int64_t alarm_since_ms;    //  the clock's UTC ms
    uint64_t archive_asked;    //  last + 1 when the archive was last asked for it (0: never)
    uint64_t archive_lacks;    //  last + 1 where the archive's replay ended bringing nothing (0: none)
} s_cursor_t;

struct _kf_bus_t {
    kf_config_t *config;
    kf_store_t *store;
    kf_clock_t *clock;
    kf_bus_options_t options;
    kf_net_t *net;
    char *producer;
    char *replay_endpoint;
    zloop_t *loop;
    int64_t started;           //  monotonic ms of kf_bus_new
    int64_t heartbeat_ms;
    int64_t outbox_max_age_ms;
    uint64_t outbox_max_events;
    kf_bus_stats_t stats;

    //  producing
    kf_outbox_t *outbox;
    zsock_t *pub;
    zsock_t *replay;
    kf_replay_t *replayer;     //  serves the outbox (or options.replay_source)
    bool stopping;             //  kf_bus_stop was called

    //  consuming
    kf_inbox_t *inbox;
    zsock_t *sub;
    zhashx_t *producers;       //  name -> s_producer_t
    zhashx_t *cursors;         //  stream -> s_cursor_t
    zhashx_t *forged;          //  forged stream names already logged (at most S_FORGED_LOGGED)
    zhashx_t *estates;         //  consumed estate ids (NULL: all)
    kf_table_t recovered;      //  event ids whose effects came back from the archive (kf_recover)
    bool recovered_pending;    //  that table held some at the start

    //  the batch being applied; its events live in the arena until applied
    kf_arena_t *arena;
    Kf__Envelope **batch;
    size_t batch_len;
    size_t batch_size;
};

//  ---- small helpers ----------------------------------------------------------

static int64_t
s_mono_ms (void)
{
    return zclock_mono ();
}

//  "dispatch@c1/E001" -> "dispatch@c1" into buf; false when not a stream name.
static bool
s_stream_producer (const char *stream, char *buf, size_t size)
{
    const char *slash = stream ? strrchr (stream, '/') : NULL;
    if (!slash || (size_t) (slash - stream) >= size)
        return false;
    memcpy (buf, stream, (size_t) (slash - stream));
    buf [slash - stream] = 0;
    return true;
}

//  An event of one of our own streams: its effects were made with it.
static bool
s_own_stream (kf_bus_t *self, const char *stream)
{
    char producer [KF_STREAM_MAX];
    return self->producer && s_stream_producer (stream, producer, sizeof producer)
        && strcmp (producer, self->producer) == 0;
}

static bool
s_consumes_estate (kf_bus_t *self, const char *estate)
{
    return self->estates == NULL || (estate && zhashx_lookup (self->estates, estate) != NULL);
}

static s_cursor_t *
s_cursor (kf_bus_t *self, const char *stream)
{
    s_cursor_t *cursor = zhashx_lookup (self->cursors, stream);
    if (!cursor) {
        cursor = calloc (1, sizeof *cursor);
        if (cursor)
            zhashx_insert (self->cursors, stream, cursor);
    }
    return cursor;
}

static void
s_free_item (void **item)
{
    free (*item);
    *item = NULL;
}

static void
s_producer_free (void **item)
{
    s_producer_t *p = *item;
    if (p) {
        free (p->name);
        free (p->endpoint);
        free (p->server_key);
        zsock_destroy (&p->dealer);
        zlistx_destroy (&p->heads);
        free (p);
        *item = NULL;
    }
}

static void
s_head_free (void **item)
{
    ProtobufCMessage *msg = *item;
    kf_codec_free (&msg);
    *item = NULL;
}

#define S_FORGED_LOGGED 64   //  forged stream names logged one by one; the rest are counted

//  An estate's intake events come from the intake that owns the estate
//  (its configuration says which): "intake@<site>/<estate>" from another
//  site is forged, whatever the bus let through (DESIGN.md §7: consumers
//  refuse what is not the sender's estate). Other services' streams are
//  the cluster's; the bus's keys decide who may publish them.
static bool
s_forged (kf_bus_t *self, const char *stream, const char *estate)
{
    if (!stream || !estate || strncmp (stream, "intake@", 7) != 0)
        return false;
    const kf_estate_t *e = kf_config_estate_find (self->config, estate);
    if (!e || !e->intake)
        return false;   //  not an estate of ours: not consumed anyway
    size_t n = strlen (e->intake);
    return strncmp (stream, e->intake, n) != 0 || stream [n] != '/';
}

//  Count a forged event; say so once per stream name (a few dozen names).
static void
s_refuse_forged (kf_bus_t *self, const char *stream, const char *estate)
{
    self->stats.forged++;
    if (!self->forged || zhashx_size (self->forged) >= S_FORGED_LOGGED || zhashx_lookup (self->forged, stream))
        return;
    zhashx_insert (self->forged, stream, (void *) "");
    const kf_estate_t *e = kf_config_estate_find (self->config, estate);
    kf_error ("refused stream %s: estate %s is filed by %s, not by it (forged; counted in forged_events)", stream,
              estate, e && e->intake ? e->intake : "?");
}

//  Raise the operator-visible alarm of a stream, once: the stream stops
//  until kefuctl streams resolve (kf_bus_resolve) ends it.
static void
s_alarm (kf_bus_t *self, const char *stream, Kf__StreamAlarmKind kind, const char *why)
{
    s_cursor_t *cursor = s_cursor (self, stream);
    if (cursor && !cursor->alarmed) {
        cursor->alarmed = true;
        cursor->alarm_kind = kind;
        snprintf (cursor->alarm_reason, sizeof cursor->alarm_reason, "%s", why);
        cursor->alarm_since_ms = kf_clock_now (self->clock);
        self->stats.alarms++;
        kf_error ("stream %s needs an operator: %s; its events are not applied until `kefuctl streams resolve` "
                  "(see kefuctl streams --help)", stream, why);
    }
}

//  ---- sending ----------------------------------------------------------------

//  [topic][body] on the bus. A PUB socket never blocks: at its high-water
//  mark, or with no bus, the message is dropped here, and consumers replay
//  events from the outbox.
static void
s_send_on_bus (kf_bus_t *self, const char *topic, const void *body, size_t size)
{
    void *pub = zsock_resolve (self->pub);
    if (zmq_send (pub, topic, strlen (topic), ZMQ_SNDMORE) < 0 || zmq_send (pub, body, size, 0) < 0)
        kf_warning ("publishing %s: %s", topic, zmq_strerror (zmq_errno ()));
}

static int
s_publish (const char *topic, const void *envelope, size_t size, void *arg)
{
    kf_bus_t *self = arg;
    s_send_on_bus (self, topic, envelope, size);
    self->stats.published++;
    return 0;
}

static void
s_flush (kf_bus_t *self)
{
    if (!self->outbox)
        return;
    kf_err_t err;
    if (kf_outbox_flush (self->outbox, s_publish, self, &err))
        kf_error ("sending the outbox: %s", err.text);
}

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
    if (!event->event_id || kf_key_make (&key, "s", event->event_id) || kf_txn_del (txn, self->recovered, &key) != KF_FOUND)
        return false;
    kf_info ("%s #%llu: its effects came back from the archive; not applied again", event->stream,
             (unsigned long long) event->seq);
    return true;
}

static int
s_apply_txn (kf_txn_t *txn, void *arg)
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
            s_cursor_t *cursor = event->stream ? zhashx_lookup (self->cursors, event->stream) : NULL;
            run_skip = s_own_stream (self, event->stream) || (cursor && cursor->alarmed);
            run_forged = !run_skip && s_forged (self, event->stream, event->estate);
            if (!run_skip && !run_forged && kf_inbox_well_formed (event)) {
                batch_cursor = s_batch_cursor (a, txn, event->stream);
                if (!batch_cursor)
                    return kf_txn_ok (txn) ? kf_txn_fail (txn, "out of memory") : -1;
            }
        }
        if (run_skip || !s_consumes_estate (self, event->estate))
            continue;
        if (run_forged) {
            s_refuse_forged (self, event->stream, event->estate);
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

static void s_replay_start (kf_bus_t *self, s_producer_t *producer, const char *stream, uint64_t from);

static void
s_batch_clear (kf_bus_t *self)
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
static void
s_batch_decode (kf_bus_t *self, const void *data, size_t size, const char *only)
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
static void
s_apply_batch (kf_bus_t *self)
{
    if (self->batch_len == 0)
        return;
    s_apply_t a = { self, { 0 }, zlistx_new (), zlistx_new (), zlistx_new (), zhashx_new () };
    zhashx_set_destructor (a.cursors, s_free_item);
    zlistx_set_comparator (a.gaps, s_list_compare);
    zlistx_set_comparator (a.epochs, s_list_compare);
    zlistx_set_comparator (a.reused, s_list_compare);
    kf_err_t err;
    if (kf_store_write (self->store, s_apply_txn, &a, &err) == 0) {
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
            s_cursor_t *cursor = moved->moved_to ? s_cursor (self, zhashx_cursor (a.cursors)) : NULL;
            if (cursor) {
                cursor->epoch = moved->epoch;
                cursor->last = moved->last;
            }
        }
        s_flush (self);
        //  Events of another epoch than the cursor's: the producer's next
        //  heartbeat says whether its new epoch continues ours (a restore)
        //  or not (s_catch_up); until then they are not applied.
        for (const char *stream = zlistx_first (a.epochs); stream; stream = zlistx_next (a.epochs))
            kf_debug ("%s: events of another epoch; waiting for its producer's heartbeat", stream);
        for (const char *stream = zlistx_first (a.reused); stream; stream = zlistx_next (a.reused))
            s_alarm (self, stream, KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_BEHIND,
                     "its producer sent another event under a sequence applied here, same epoch "
                     "(its store restored without kefuctl restore?)");
        for (const char *stream = zlistx_first (a.gaps); stream; stream = zlistx_next (a.gaps)) {
            char name [KF_STREAM_MAX];
            s_cursor_t *cursor = zhashx_lookup (self->cursors, stream);
            if (s_stream_producer (stream, name, sizeof name))
                s_replay_start (self, zhashx_lookup (self->producers, name), stream, cursor ? cursor->last + 1 : 1);
        }
    }
    else
        kf_error ("applying %zu events failed, they will be replayed: %s", self->batch_len, err.text);
    zlistx_destroy (&a.gaps);
    zlistx_destroy (&a.epochs);
    zlistx_destroy (&a.reused);
    zhashx_destroy (&a.cursors);
    s_batch_clear (self);
}

//  ---- heartbeats ------------------------------------------------------------

//  Drop the socket to a producer's replay endpoint: zloop first, so it does
//  not poll a socket that is gone. A replay in flight on it is abandoned.
static void
s_producer_disconnect (kf_bus_t *self, s_producer_t *producer)
{
    if (producer->dealer) {
        zloop_reader_end (self->loop, producer->dealer);
        zsock_destroy (&producer->dealer);
    }
    producer->replaying = false;
}

static s_producer_t *
s_producer (kf_bus_t *self, const char *name)
{
    s_producer_t *p = zhashx_lookup (self->producers, name);
    if (!p) {
        p = calloc (1, sizeof *p);
        if (!p || !(p->name = strdup (name)) || !(p->heads = zlistx_new ())) {
            s_producer_free ((void **) &p);
            return NULL;
        }
        zlistx_set_destructor (p->heads, s_head_free);
        zhashx_insert (self->producers, name, p);
    }
    return p;
}

//  ---- decisions: how a stream's alarm ends ---------------------------------

static void s_catch_up (kf_bus_t *self, s_producer_t *producer);
static bool s_ask_archive (kf_bus_t *self, const char *stream, const char *why);

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
    s_cursor_t *cursor = s_cursor (self, decision->stream);
    if (cursor) {
        cursor->epoch = decision->to_epoch;
        cursor->last = decision->to_seq;
        cursor->alarmed = false;
        cursor->archive_asked = cursor->archive_lacks = 0;   //  a retry asks the archive again
    }
    return 0;
}

static void
s_decision_init (kf_bus_t *self, Kf__StreamDecision *decision, const char *stream, const s_cursor_t *cursor,
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
s_continue_after_restore (kf_bus_t *self, const Kf__StreamHead *head, s_cursor_t *cursor)
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
    s_cursor_t *cursor = stream && self->cursors ? zhashx_lookup (self->cursors, stream) : NULL;
    if (!cursor || !cursor->alarmed)
        return kf_err_set (err, "%s has no alarm here: nothing to resolve", stream ? stream : "(no stream)");
    if (!reason || !*reason)
        return kf_err_set (err, "say why (--reason): the decision is kept for ever");
    if (!actor || !*actor)
        return kf_err_set (err, "who decides? (--as)");
    //  What the producer last announced of the stream.
    char name [KF_STREAM_MAX];
    const s_producer_t *producer = s_stream_producer (stream, name, sizeof name) ? zhashx_lookup (self->producers, name)
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
        s_catch_up (self, (s_producer_t *) producer);
    return 0;
}

//  Compare a producer's announced heads with our cursors: a head beyond a
//  cursor means events we never got (a lost tail, or a start-up), so ask.
static void
s_catch_up (kf_bus_t *self, s_producer_t *producer)
{
    for (Kf__StreamHead *head = zlistx_first (producer->heads); head && !producer->replaying;
         head = zlistx_next (producer->heads)) {
        const char *slash = strrchr (head->stream, '/');
        if (!slash || !s_consumes_estate (self, slash + 1) || s_forged (self, head->stream, slash + 1))
            continue;
        s_cursor_t *cursor = s_cursor (self, head->stream);
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
                if (!s_ask_archive (self, head->stream, why))
                    s_alarm (self, head->stream, KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_NEW_EPOCH, why);
            }
            else
            if (head->has_previous_epoch && head->previous_epoch == cursor->epoch && head->epoch_from_seq > 0
            &&  cursor->last + 1 < head->epoch_from_seq)
                //  Behind the restored head: first the old epoch's events up
                //  to it, which the restored outbox still holds.
                s_replay_start (self, producer, head->stream, cursor->last + 1);
            else
            if (head->has_previous_epoch && head->previous_epoch == cursor->epoch && head->epoch_from_seq > 0)
                s_continue_after_restore (self, head, cursor);
            else
                s_alarm (self, head->stream, KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_NEW_EPOCH,
                         "its producer's store is another one (rebuilt?): the epoch changed");
            continue;
        }
        //  A head behind our cursor in the same epoch says nothing by
        //  itself: a heartbeat read late (while a replay kept us busy) is
        //  older than the events that followed it. A store put back from
        //  a backup shows when it reuses a sequence (s_apply_txn).
        if (head->head_seq > cursor->last)
            s_replay_start (self, producer, head->stream, cursor->last + 1);
    }
}

static void
s_on_heartbeat (kf_bus_t *self, const void *data, size_t size)
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
    s_producer_t *producer = s_producer (self, beat->producer);
    if (producer) {
        bool key_changed = (producer->server_key == NULL) != (beat->replay_key == NULL)
                        || (beat->replay_key && strcmp (producer->server_key, beat->replay_key) != 0);
        if (!producer->endpoint || strcmp (producer->endpoint, beat->replay_endpoint) != 0 || key_changed) {
            free (producer->endpoint);
            free (producer->server_key);
            producer->endpoint = strdup (beat->replay_endpoint);
            producer->server_key = beat->replay_key ? strdup (beat->replay_key) : NULL;
            s_producer_disconnect (self, producer);
        }
        if (producer->down || producer->last_beat == 0)
            kf_notice ("producer %s is up (replay at %s)", producer->name, producer->endpoint);
        producer->down = false;
        producer->archive = beat->has_archive && beat->archive;
        producer->last_beat = s_mono_ms ();
        zlistx_purge (producer->heads);
        for (size_t i = 0; i < beat->n_heads; i++) {
            Kf__StreamHead *head = beat->heads [i];
            char owner [KF_STREAM_MAX];
            //  A producer speaks only for its own streams.
            if (head->stream && s_stream_producer (head->stream, owner, sizeof owner)
            &&  strcmp (owner, beat->producer) == 0) {
                beat->heads [i] = NULL;
                zlistx_add_end (producer->heads, head);
            }
        }
        s_catch_up (self, producer);
    }
    kf_codec_free ((ProtobufCMessage **) &beat);
}

//  ---- consuming the bus -----------------------------------------------------

//  Receive one whole multipart message without waiting: topic and body.
//  Returns 1, 0 when nothing is waiting, or -1 when it was not two frames.
static int
s_recv_event (void *socket, zmq_msg_t *topic, zmq_msg_t *body)
{
    if (zmq_msg_recv (topic, socket, ZMQ_DONTWAIT) < 0)
        return 0;
    if (!zmq_msg_more (topic))
        return -1;
    zmq_msg_recv (body, socket, 0);
    if (zmq_msg_more (body)) {
        //  Drain the rest of a message with too many frames.
        zmq_msg_t rest;
        zmq_msg_init (&rest);
        while (zmq_msg_more (body) && zmq_msg_recv (&rest, socket, 0) >= 0 && zmq_msg_more (&rest))
            ;
        zmq_msg_close (&rest);
        return -1;
    }
    return 1;
}

static int
s_on_sub (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    kf_bus_t *self = arg;
    void *sub = zsock_resolve (reader);
    int64_t deadline = zclock_usecs () + (int64_t) self->options.batch_ms * 1000;
    size_t received = 0;
    while (received < self->options.batch_max && zclock_usecs () < deadline) {
        zmq_msg_t topic, body;
        zmq_msg_init (&topic);
        zmq_msg_init (&body);
        int rc = s_recv_event (sub, &topic, &body);
        if (rc == 0) {
            zmq_msg_close (&topic);
            zmq_msg_close (&body);
            break;
        }
        received++;
        size_t topic_size = zmq_msg_size (&topic);
        if (rc < 0)
            self->stats.malformed++;
        else
        if (topic_size == strlen (S_HEARTBEAT_TOPIC) && memcmp (zmq_msg_data (&topic), S_HEARTBEAT_TOPIC, topic_size) == 0)
            s_on_heartbeat (self, zmq_msg_data (&body), zmq_msg_size (&body));
        else
        if (topic_size >= 5 && memcmp (zmq_msg_data (&topic), "_sys/", 5) == 0)
            ;   //  the bus's own (_sys/alarm, _sys/bus): for operations, not events
        else
            s_batch_decode (self, zmq_msg_data (&body), zmq_msg_size (&body), NULL);
        zmq_msg_close (&topic);
        zmq_msg_close (&body);
    }
    s_apply_batch (self);
    return self->stopping ? -1 : 0;
}

//  ---- replay: the consumer's side -------------------------------------------

static int s_on_replay_reply (zloop_t *loop, zsock_t *reader, void *arg);

static void
s_replay_start (kf_bus_t *self, s_producer_t *producer, const char *stream, uint64_t from)
{
    if (!producer || !producer->endpoint || producer->replaying || producer->down)
        return;   //  the next heartbeat brings us back here
    if (!producer->dealer) {
        producer->dealer = zsock_new (ZMQ_DEALER);
        kf_err_t err;
        if (!producer->dealer || kf_net_connect_to (self->net, producer->dealer, producer->endpoint, producer->server_key, &err)) {
            kf_warning ("replay from %s: %s", producer->name, producer->dealer ? err.text : "no socket");
            zsock_destroy (&producer->dealer);
            return;
        }
        zsock_set_rcvhwm (producer->dealer, S_HWM);
        zloop_reader (self->loop, producer->dealer, s_on_replay_reply, self);
        zloop_reader_set_tolerant (self->loop, producer->dealer);
    }
    s_cursor_t *cursor = s_cursor (self, stream);
    bool in_epoch = cursor && cursor->last > 0;
    if (kf_replay_ask (producer->dealer, stream, in_epoch, in_epoch ? cursor->epoch : 0, from, 0,
                       (uint32_t) self->options.replay_credit) != 0)
        return;
    producer->replaying = true;
    producer->replay_progress = s_mono_ms ();
    snprintf (producer->replay_stream, sizeof producer->replay_stream, "%s", stream);
    self->stats.replays++;
    kf_debug ("replaying %s from %llu", stream, (unsigned long long) from);
}

//  ---- replay from the archive ------------------------------------------------

//  The archive, once heard: the producer of last resort for any stream.
static s_producer_t *
s_archive (kf_bus_t *self)
{
    for (s_producer_t *p = zhashx_first (self->producers); p; p = zhashx_next (self->producers))
        if (p->archive && p->endpoint)
            return p;
    return NULL;
}

//  A stream's producer cannot give what the cursor needs next (trimmed,
//  or an old epoch it no longer keeps): ask the archive for it, in the
//  cursor's epoch. False when there is no archive, or when its replay
//  from this very point ended and brought nothing: then it is the
//  operator's (the caller raises the alarm). A busy archive is asked at
//  the next heartbeat, when the producer's refusal brings us back; so is
//  one not heard yet while we are young (just started, a producer's beat
//  may come before the archive's), and one whose beats stopped a short
//  while ago (a consumer busy with a long replay reads its beats late).
static bool
s_ask_archive (kf_bus_t *self, const char *stream, const char *why)
{
    s_producer_t *archive = s_archive (self);
    s_cursor_t *cursor = s_cursor (self, stream);
    int64_t now = s_mono_ms ();
    if (!cursor)
        return false;
    if (!archive)
        return now - self->started < S_ARCHIVE_GRACE_BEATS * self->heartbeat_ms + S_ARCHIVE_WAIT_MS;
    if (cursor->archive_lacks == cursor->last + 1)
        return false;
    if (archive->down)
        return now - archive->last_beat < S_ARCHIVE_WAIT_MS;
    if (archive->replaying)
        return true;
    kf_notice ("%s: %s; asking the archive (%s) from %llu", stream, why, archive->name,
               (unsigned long long) (cursor->last + 1));
    cursor->archive_asked = cursor->last + 1;
    s_replay_start (self, archive, stream, cursor->last + 1);
    return true;
}

//  The archive's replay ended: carry on with the producer when it brought
//  something, else the alarm the producer's refusal would have raised.
static void
s_archive_replay_end (kf_bus_t *self, s_producer_t *archive, const Kf__ReplayEnd *end)
{
    const char *stream = archive->replay_stream;
    s_cursor_t *cursor = s_cursor (self, stream);
    if (!cursor || cursor->alarmed)
        return;
    bool moved = cursor->last + 1 > cursor->archive_asked;
    if (end->status == KF__REPLAY_STATUS__REPLAY_STATUS_OK && moved) {
        kf_notice ("%s: the archive gave %llu events; on with the producer",
                   stream, (unsigned long long) (cursor->last + 1 - cursor->archive_asked));
        char name [KF_STREAM_MAX];
        s_producer_t *producer = s_stream_producer (stream, name, sizeof name) ? zhashx_lookup (self->producers, name)
                                                                               : NULL;
        if (producer)
            s_catch_up (self, producer);
        return;
    }
    //  Only a replay that ended says the archive lacks it; one cut short
    //  (a stall, a new endpoint) is asked again.
    cursor->archive_lacks = cursor->last + 1;
    char why [200];
    snprintf (why, sizeof why, "snapshot required: neither the producer nor the archive has %s from %llu (%s)",
              stream, (unsigned long long) (cursor->last + 1),
              end->reason && *end->reason ? end->reason : "the archive ends before it");
    s_alarm (self, stream, KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_TRIMMED, why);
}

static s_producer_t *
s_producer_of_dealer (kf_bus_t *self, zsock_t *dealer)
{
    for (s_producer_t *p = zhashx_first (self->producers); p; p = zhashx_next (self->producers))
        if (p->dealer == dealer)
            return p;
    return NULL;
}

static int
s_on_replay_reply (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    kf_bus_t *self = arg;
    s_producer_t *producer = s_producer_of_dealer (self, reader);
    zframe_t *frame = zframe_recv (reader);
    if (!frame || !producer) {
        zframe_destroy (&frame);
        return 0;
    }
    Kf__ReplayMessage *msg = (Kf__ReplayMessage *) kf_codec_unpack (&kf__replay_message__descriptor,
                                                                    zframe_data (frame), zframe_size (frame), NULL);
    zframe_destroy (&frame);
    if (!msg) {
        self->stats.malformed++;
        return 0;
    }
    producer->replay_progress = s_mono_ms ();
    if (msg->msg_case == KF__REPLAY_MESSAGE__MSG_BATCH) {
        Kf__ReplayBatch *batch = msg->batch;
        for (size_t i = 0; i < batch->n_events; i++)
            s_batch_decode (self, batch->events [i].data, batch->events [i].len, producer->replay_stream);
        self->stats.replayed += batch->n_events;
        s_apply_batch (self);
        //  Applied and committed: the producer may send one more.
        kf_replay_give_credit (producer->dealer, 1);
    }
    else
    if (msg->msg_case == KF__REPLAY_MESSAGE__MSG_END) {
        producer->replaying = false;
        if (producer->archive)
            s_archive_replay_end (self, producer, msg->end);
        else
        if (msg->end->status == KF__REPLAY_STATUS__REPLAY_STATUS_SNAPSHOT_REQUIRED) {
            //  The producer no longer has the range: the archive may.
            const char *why = msg->end->reason ? msg->end->reason : "the producer cannot replay";
            if (!s_ask_archive (self, producer->replay_stream, why)) {
                char alarm [200];
                snprintf (alarm, sizeof alarm, "snapshot required: %s, and no archive has it", why);
                s_alarm (self, producer->replay_stream, KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_TRIMMED, alarm);
            }
        }
        else
        if (msg->end->status != KF__REPLAY_STATUS__REPLAY_STATUS_OK)
            kf_warning ("replay of %s ended: %s", producer->replay_stream, msg->end->reason ? msg->end->reason : "?");
        else
            s_catch_up (self, producer);   //  more streams may be behind
    }
    else
        self->stats.malformed++;
    kf_codec_free ((ProtobufCMessage **) &msg);
    return self->stopping ? -1 : 0;
}

//  ---- the tick: heartbeat, maintenance, liveness ----------------------------

typedef struct {
    Kf__StreamHead **heads;
    size_t count, size;
} s_heads_t;

static int
s_collect_head (const Kf__StreamHead *head, void *arg)
{
    s_heads_t *h = arg;
    if (h->count == h->size) {
        size_t size = h->size ? h->size * 2 : 16;
        Kf__StreamHead **grown = realloc (h->heads, size * sizeof *grown);
        if (!grown)
            return -1;
        h->heads = grown;
        h->size = size;
    }
    //  A copy: the one passed in is freed when we return.
    size_t packed;
    uint8_t *data = kf_codec_pack (&head->base, &packed);
    Kf__StreamHead *copy = data ? (Kf__StreamHead *) kf_codec_unpack (&kf__stream_head__descriptor, data, packed, NULL) : NULL;
    free (data);
    if (!copy)
        return -1;
    h->heads [h->count++] = copy;
    return 0;
}

static int
s_collect_heads (kf_txn_t *txn, void *arg)
{
    void **args = arg;
    return kf_outbox_heads (args [0], txn, s_collect_head, args [1]);
}

static void
s_heartbeat (kf_bus_t *self)
{
    s_heads_t heads = { 0 };
    void *args [2] = { self->outbox, &heads };
    kf_err_t err;
    if (kf_store_read (self->store, s_collect_heads, args, &err) == 0) {
        Kf__Heartbeat beat = KF__HEARTBEAT__INIT;
        beat.producer = self->producer;
        beat.replay_endpoint = self->replay_endpoint;
        beat.sent_at_ms = kf_clock_now (self->clock);
        beat.has_sent_at_ms = 1;
        beat.heads = heads.heads;
        beat.n_heads = heads.count;
        beat.version = KF_VERSION;
        //  Over tcp:// the replay endpoint is a CURVE server with this key.
        beat.replay_key = (char *) kf_net_server_key (self->net);
        beat.archive = self->options.archive;
        beat.has_archive = self->options.archive;
        size_t size;
        uint8_t *data = kf_codec_pack (&beat.base, &size);
        if (data)
            s_send_on_bus (self, S_HEARTBEAT_TOPIC, data, size);
        free (data);
    }
    else
        kf_error ("heartbeat: %s", err.text);
    for (size_t i = 0; i < heads.count; i++)
        kf_codec_free ((ProtobufCMessage **) &heads.heads [i]);
    free (heads.heads);
}

static int
s_maintain (kf_txn_t *txn, void *arg)
{
    kf_bus_t *self = arg;
    size_t trimmed = kf_outbox_maintain (self->outbox, txn, kf_clock_now (self->clock), self->outbox_max_age_ms,
                                         self->outbox_max_events, S_TRIM_BUDGET);
    if (trimmed)
        kf_debug ("outbox: trimmed %zu events", trimmed);
    return kf_txn_ok (txn) ? 0 : -1;
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    kf_bus_t *self = arg;
    if (self->outbox) {
        s_flush (self);   //  anything a failed send left behind
        kf_err_t err;
        if (kf_store_write (self->store, s_maintain, self, &err))
            kf_error ("outbox maintenance: %s", err.text);
        s_heartbeat (self);
    }
    int64_t now = s_mono_ms ();
    if (self->replayer)
        kf_replay_expire (self->replayer);
    if (self->stopping)
        return -1;
    for (s_producer_t *p = zhashx_first (self->producers); p; p = zhashx_next (self->producers)) {
        if (!p->down && now - p->last_beat > S_MISSED_BEATS * self->heartbeat_ms) {
            p->down = true;
            kf_warning ("producer %s is down: no heartbeat for %lld ms", p->name, (long long) (now - p->last_beat));
        }
        if (p->replaying && now - p->replay_progress > S_REPLAY_STALL_MS) {
            kf_warning ("replay of %s from %s stalled; will ask again", p->replay_stream, p->name);
            //  A new socket next time: whatever the old one holds is stale.
            s_producer_disconnect (self, p);
        }
    }
    return 0;
}

//  ---- life cycle ------------------------------------------------------------

static int
s_load_cursor (const Kf__Cursor *stored, void *arg)
{
    kf_bus_t *self = arg;
    s_cursor_t *cursor = s_cursor (self, stored->stream);
    if (cursor) {
        cursor->epoch = stored->epoch;
        cursor->last = stored->last_seq;
    }
    return 0;
}

static int
s_load_cursors (kf_txn_t *txn, void *arg)
{
    kf_bus_t *self = arg;
    self->recovered = kf_store_table (kf_txn_store (txn), "bus_recovered");
    self->recovered_pending = kf_txn_count (txn, self->recovered) > 0;
    return kf_inbox_cursors (self->inbox, txn, s_load_cursor, self);
}

kf_bus_t *
kf_bus_new (kf_config_t *config, kf_store_t *store, kf_clock_t *clock, const kf_bus_options_t *options,
            kf_err_t *err)
{
    assert (config && store && clock && options);
    assert (options->producer || options->handler);
    assert (!options->producer || options->replay_endpoint);
    kf_bus_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->config = config;
    self->store = store;
    self->clock = clock;
    self->options = *options;
    if (!self->options.batch_max)
        self->options.batch_max = 1000;
    if (!self->options.batch_ms)
        self->options.batch_ms = 2;
    if (!self->options.replay_batch)
        self->options.replay_batch = 256;
    if (!self->options.replay_credit)
        self->options.replay_credit = 4;
    self->started = s_mono_ms ();
    self->heartbeat_ms = kf_config_duration_ms (config, "bus/heartbeat");
    self->outbox_max_age_ms = kf_config_duration_ms (config, "bus/outbox_max_age");
    self->outbox_max_events = (uint64_t) kf_config_int (config, "bus/outbox_max_events");
    self->net = kf_net_new (config, err);
    if (!self->net)
        goto fail;
    self->loop = zloop_new ();
    self->producers = zhashx_new ();
    self->cursors = zhashx_new ();
    self->forged = zhashx_new ();
    if (!self->loop || !self->producers || !self->cursors)
        goto oom;
    zhashx_set_destructor (self->producers, s_producer_free);
    zhashx_set_destructor (self->cursors, s_free_item);

    if (options->producer) {
        self->producer = strdup (options->producer);
        self->replay_endpoint = strdup (options->replay_endpoint);
        self->outbox = kf_outbox_new (store, options->producer, err);
        if (!self->outbox)
            goto fail;
        self->pub = zsock_new (ZMQ_PUB);
        self->replay = zsock_new (ZMQ_ROUTER);
        if (!self->pub || !self->replay)
            goto oom;
        zsock_set_sndhwm (self->pub, S_HWM);
        zsock_set_router_mandatory (self->replay, 1);
        zsock_set_sndhwm (self->replay, S_HWM);
        if (kf_net_connect (self->net, self->pub, kf_config_str (config, "bus/publish"), err)
        ||  kf_net_bind (self->net, self->replay, options->replay_endpoint, err))
            goto fail;
        kf_replay_source_t source = options->replay_source ? *options->replay_source
                                                           : kf_replay_outbox_source (self->outbox);
        self->replayer = kf_replay_new (self->loop, self->replay, store, self->net, &source,
                                        self->options.replay_batch, err);
        if (!self->replayer)
            goto fail;
    }
    if (options->handler) {
        self->inbox = kf_inbox_new (store);
        self->sub = zsock_new (ZMQ_SUB);
        self->arena = kf_arena_new ();
        if (!self->inbox || !self->sub || !self->arena)
            goto oom;
        zsock_set_rcvhwm (self->sub, S_HWM);
        if (options->estates) {
            self->estates = zhashx_new ();
            for (const char *const *e = options->estates; *e; e++) {
                char prefix [KF_ID_MAX + 2];
                snprintf (prefix, sizeof prefix, "%s/", *e);
                zhashx_insert (self->estates, *e, (void *) "");
                zsock_set_subscribe (self->sub, prefix);
            }
            zsock_set_subscribe (self->sub, "_sys/");
        }
        else
            zsock_set_subscribe (self->sub, "");
        if (kf_net_connect (self->net, self->sub, kf_config_str (config, "bus/subscribe"), err)
        ||  kf_store_read (store, s_load_cursors, self, err))
            goto fail;
        zloop_reader (self->loop, self->sub, s_on_sub, self);
        zloop_reader_set_tolerant (self->loop, self->sub);
    }
    zloop_timer (self->loop, (size_t) self->heartbeat_ms, 0, s_on_tick, self);
    return self;
oom:
    kf_err_set (err, "out of memory or sockets");
fail:
    kf_bus_destroy (&self);
    return NULL;
}

void
kf_bus_destroy (kf_bus_t **self_p)
{
    assert (self_p);
    kf_bus_t *self = *self_p;
    if (self) {
        s_batch_clear (self);
        free (self->batch);
        kf_arena_destroy (&self->arena);
        zhashx_destroy (&self->producers);
        zhashx_destroy (&self->cursors);
        zhashx_destroy (&self->forged);
        kf_replay_destroy (&self->replayer);
        zhashx_destroy (&self->estates);
        zloop_destroy (&self->loop);
        zsock_destroy (&self->pub);
        zsock_destroy (&self->replay);
        zsock_destroy (&self->sub);
        kf_net_destroy (&self->net);
        kf_outbox_destroy (&self->outbox);
        kf_inbox_destroy (&self->inbox);
        free (self->producer);
        free (self->replay_endpoint);
        free (self);
        *self_p = NULL;
    }
}

zloop_t *
kf_bus_loop (kf_bus_t *self)
{
    assert (self);
    return self->loop;
}

int
kf_bus_run (kf_bus_t *self)
{
    assert (self);
    s_flush (self);
    if (self->outbox)
        s_heartbeat (self);
    //  Live now: what the outbox had not sent is sent, and commands queued
    //  while starting are answered as soon as the loop turns.
    char status [KF_STREAM_MAX + 32];
    snprintf (status, sizeof status, "%s: live on the bus", kf_bus_name (self));
    kf_notify_run (self->loop, status);
    return 0;
}

void
kf_bus_stop (kf_bus_t *self)
{
    assert (self);
    self->stopping = true;
}

uint64_t
kf_bus_emit (kf_bus_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    assert (self && self->outbox);
    return kf_outbox_append (self->outbox, txn, event, kf_clock_now (self->clock));
}

int
kf_bus_write (kf_bus_t *self, kf_txn_fn *fn, void *arg, kf_err_t *err)
{
    assert (self && fn);
    int rc = kf_store_write (self->store, fn, arg, err);
    if (rc == 0)
        s_flush (self);
    return rc;
}

const kf_bus_stats_t *
kf_bus_stats (kf_bus_t *self)
{
    assert (self);
    if (self->replayer) {
        const kf_replay_stats_t *served = kf_replay_stats (self->replayer);
        self->stats.served = served->served;
        self->stats.forbidden = served->forbidden;
    }
    return &self->stats;
}

kf_clock_t *
kf_bus_clock (kf_bus_t *self)
{
    assert (self);
    return self->clock;
}

kf_net_t *
kf_bus_net (kf_bus_t *self)
{
    assert (self);
    return self->net;
}

const char *
kf_bus_name (kf_bus_t *self)
{
    assert (self);
    return self->producer ? self->producer : "consumer";
}

kf_outbox_t *
kf_bus_outbox (kf_bus_t *self)
{
    assert (self);
    return self->outbox;
}

kf_store_t *
kf_bus_store (kf_bus_t *self)
{
    assert (self);
    return self->store;
}

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
    for (s_cursor_t *c = self->cursors ? zhashx_first (self->cursors) : NULL; c; c = zhashx_next (self->cursors)) {
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
        s_producer_t *p = s_stream_producer (stream, name, sizeof name) ? zhashx_lookup (self->producers, name) : NULL;
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
    for (s_producer_t *p = zhashx_first (self->producers); ok && p; p = zhashx_next (self->producers)) {
        Kf__ProducerState state = KF__PRODUCER_STATE__INIT;
        state.producer = p->name;
        state.replay_endpoint = p->endpoint;
        //  Ages, not monotonic stamps, mean something outside this process.
        state.last_beat_ms = kf_clock_now (self->clock) - (s_mono_ms () - p->last_beat);
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
