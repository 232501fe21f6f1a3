/*  kf_bus — the event bus, as each daemon sees it (DESIGN.md §2): small
    helpers, sending, heartbeats, consuming, the tick, the life cycle. See
    kf_bus.h; the other parts are named in kf_bus_private.h.
*/
#include "kf_bus_private.h"

//  ---- small helpers ----------------------------------------------------------

int64_t
kf_bus_mono_ms (void)
{
    return zclock_mono ();
}

//  "dispatch@c1/E001" -> "dispatch@c1" into buf; false when not a stream name.
bool
kf_bus_stream_producer (const char *stream, char *buf, size_t size)
{
    const char *slash = stream ? strrchr (stream, '/') : NULL;
    if (!slash || (size_t) (slash - stream) >= size)
        return false;
    memcpy (buf, stream, (size_t) (slash - stream));
    buf [slash - stream] = 0;
    return true;
}

//  An event of one of our own streams: its effects were made with it.
bool
kf_bus_own_stream (kf_bus_t *self, const char *stream)
{
    char producer [KF_STREAM_MAX];
    return self->producer && kf_bus_stream_producer (stream, producer, sizeof producer)
        && strcmp (producer, self->producer) == 0;
}

bool
kf_bus_consumes_estate (kf_bus_t *self, const char *estate)
{
    return self->estates == NULL || (estate && zhashx_lookup (self->estates, estate) != NULL);
}

kf_bus_cursor_t *
kf_bus_cursor (kf_bus_t *self, const char *stream)
{
    kf_bus_cursor_t *cursor = zhashx_lookup (self->cursors, stream);
    if (!cursor) {
        cursor = calloc (1, sizeof *cursor);
        if (cursor)
            zhashx_insert (self->cursors, stream, cursor);
    }
    return cursor;
}

void
kf_bus_free_item (void **item)
{
    free (*item);
    *item = NULL;
}

static void
s_producer_free (void **item)
{
    kf_bus_producer_t *p = *item;
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
bool
kf_bus_forged (kf_bus_t *self, const char *stream, const char *estate)
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
void
kf_bus_refuse_forged (kf_bus_t *self, const char *stream, const char *estate)
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
void
kf_bus_alarm (kf_bus_t *self, const char *stream, Kf__StreamAlarmKind kind, const char *why)
{
    kf_bus_cursor_t *cursor = kf_bus_cursor (self, stream);
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

void
kf_bus_flush (kf_bus_t *self)
{
    if (!self->outbox)
        return;
    kf_err_t err;
    if (kf_outbox_flush (self->outbox, s_publish, self, &err))
        kf_error ("sending the outbox: %s", err.text);
}

//  ---- heartbeats ------------------------------------------------------------

//  Drop the socket to a producer's replay endpoint: zloop first, so it does
//  not poll a socket that is gone. A replay in flight on it is abandoned.
void
kf_bus_producer_disconnect (kf_bus_t *self, kf_bus_producer_t *producer)
{
    if (producer->dealer) {
        zloop_reader_end (self->loop, producer->dealer);
        zsock_destroy (&producer->dealer);
    }
    producer->replaying = false;
}

kf_bus_producer_t *
kf_bus_producer (kf_bus_t *self, const char *name)
{
    kf_bus_producer_t *p = zhashx_lookup (self->producers, name);
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
        if (topic_size == strlen (S_HEARTBEAT_TOPIC) && memcmp (zmq_msg_data (&topic), S_HEARTBEAT_TOPIC,
                                                                topic_size) == 0) {
            //  The beat came after every event its producer sent before it:
            //  apply those first, or their streams look behind and a replay
            //  would bring again what is about to be applied.
            kf_bus_apply_batch (self);
            kf_bus_on_heartbeat (self, zmq_msg_data (&body), zmq_msg_size (&body));
        }
        else
        if (topic_size >= 5 && memcmp (zmq_msg_data (&topic), "_sys/", 5) == 0)
            ;   //  the bus's own (_sys/alarm, _sys/bus): for operations, not events
        else
            kf_bus_batch_decode (self, zmq_msg_data (&body), zmq_msg_size (&body), NULL);
        zmq_msg_close (&topic);
        zmq_msg_close (&body);
    }
    kf_bus_apply_batch (self);
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
    Kf__StreamHead *copy = data ? (Kf__StreamHead *) kf_codec_unpack (&kf__stream_head__descriptor, data, packed,
                                                                      NULL) : NULL;
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
        kf_bus_flush (self);   //  anything a failed send left behind
        kf_err_t err;
        if (kf_store_write (self->store, s_maintain, self, &err))
            kf_error ("outbox maintenance: %s", err.text);
        s_heartbeat (self);
    }
    int64_t now = kf_bus_mono_ms ();
    if (self->replayer)
        kf_replay_expire (self->replayer);
    if (self->stopping)
        return -1;
    for (kf_bus_producer_t *p = zhashx_first (self->producers); p; p = zhashx_next (self->producers)) {
        if (!p->down && now - p->last_beat > S_MISSED_BEATS * self->heartbeat_ms) {
            p->down = true;
            kf_warning ("producer %s is down: no heartbeat for %lld ms", p->name, (long long) (now - p->last_beat));
        }
        if (p->replaying && now - p->replay_progress > S_REPLAY_STALL_MS) {
            kf_warning ("replay of %s from %s stalled; will ask again", p->replay_stream, p->name);
            //  A new socket next time: whatever the old one holds is stale.
            kf_bus_producer_disconnect (self, p);
        }
    }
    return 0;
}

//  ---- life cycle ------------------------------------------------------------

static int
s_load_cursor (const Kf__Cursor *stored, void *arg)
{
    kf_bus_t *self = arg;
    kf_bus_cursor_t *cursor = kf_bus_cursor (self, stored->stream);
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
    self->started = kf_bus_mono_ms ();
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
    zhashx_set_destructor (self->cursors, kf_bus_free_item);

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
        //  A SUB sends its subscriptions through its pipe, and libzmq drops
        //  those past the send high-water mark (1,000) without a word: an
        //  intake of a thousand estates lost its last estates and _sys/.
        //  It sends nothing else, so its sending has no limit.
        zsock_set_sndhwm (self->sub, 0);
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
        kf_bus_batch_clear (self);
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
    kf_bus_flush (self);
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
        kf_bus_flush (self);
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
