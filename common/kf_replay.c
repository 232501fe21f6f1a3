/*  kf_replay — serving ranges of streams on a ROUTER. See kf_replay.h.  */
#include "kf_replay.h"
#include "kf_codec.h"
#include "kf_keys.h"

#include <assert.h>
#include <string.h>

#define S_SESSION_IDLE_MS   30000   //  a session whose consumer went quiet this long is dropped
#define S_LOGGED_REFUSALS   16      //  refusals logged one by one; then every thousandth

//  A replay being served to one consumer.
typedef struct {
    zframe_t *identity;
    char stream [KF_STREAM_MAX];
    uint64_t epoch;
    uint64_t next;             //  next sequence to send
    uint64_t last;             //  last sequence of the range
    int credit;                //  batches it may send now
    int64_t last_active;       //  monotonic ms of the last request or credit
} s_session_t;

struct _kf_replay_t {
    zloop_t *loop;
    zsock_t *router;
    kf_store_t *store;
    kf_net_t *net;
    kf_replay_source_t source;
    size_t batch;
    ProtobufCBinaryData *events;   //  room for one batch
    zhashx_t *sessions;            //  identity (hex) -> s_session_t
    kf_replay_stats_t stats;
};

static void
s_session_free (void **item)
{
    s_session_t *s = *item;
    if (s) {
        zframe_destroy (&s->identity);
        free (s);
        *item = NULL;
    }
}

zframe_t *
kf_replay_frame (const ProtobufCMessage *msg)
{
    zframe_t *frame = zframe_new (NULL, protobuf_c_message_get_packed_size (msg));
    if (frame)
        protobuf_c_message_pack (msg, zframe_data (frame));
    return frame;
}

static int
s_send_message (zsock_t *dealer, Kf__ReplayMessage *msg)
{
    zframe_t *frame = kf_replay_frame (&msg->base);
    int rc = frame ? zframe_send (&frame, dealer, ZFRAME_DONTWAIT) : -1;
    zframe_destroy (&frame);
    return rc;
}

int
kf_replay_ask (zsock_t *dealer, const char *stream, bool has_epoch, uint64_t epoch, uint64_t from, uint64_t to,
               uint32_t credit)
{
    assert (dealer && stream);
    Kf__ReplayRequest request = KF__REPLAY_REQUEST__INIT;
    request.stream = (char *) stream;
    request.epoch = epoch;
    request.has_epoch = has_epoch;
    request.from_seq = from;
    request.to_seq = to;
    request.credit = credit;
    request.has_from_seq = request.has_credit = 1;
    request.has_to_seq = to > 0;
    Kf__ReplayMessage msg = KF__REPLAY_MESSAGE__INIT;
    msg.msg_case = KF__REPLAY_MESSAGE__MSG_REQUEST;
    msg.request = &request;
    return s_send_message (dealer, &msg);
}

int
kf_replay_give_credit (zsock_t *dealer, uint32_t credit)
{
    assert (dealer);
    Kf__ReplayCredit more = KF__REPLAY_CREDIT__INIT;
    more.credit = credit;
    more.has_credit = 1;
    Kf__ReplayMessage msg = KF__REPLAY_MESSAGE__INIT;
    msg.msg_case = KF__REPLAY_MESSAGE__MSG_CREDIT;
    msg.credit = &more;
    return s_send_message (dealer, &msg);
}

//  ---- the outbox as a source ---------------------------------------------------

static Kf__ReplayStatus
s_outbox_decide (void *source, kf_txn_t *txn, const Kf__ReplayRequest *request, kf_replay_range_t *range,
                 char *reason, size_t size)
{
    kf_outbox_t *outbox = source;
    Kf__ReplayStatus status = kf_outbox_replay_range (outbox, txn, request, &range->from, &range->to, &range->head,
                                                      &range->first, reason, size);
    range->epoch = request->has_epoch ? request->epoch : kf_outbox_epoch (outbox);
    return status;
}

static int64_t
s_outbox_read (void *source, kf_txn_t *txn, const char *stream, uint64_t epoch, uint64_t from, uint64_t to,
               size_t max, kf_outbox_read_fn *fn, void *arg)
{
    //  The outbox keeps one sequence per stream: after a restore, those
    //  below the new epoch's first are the old epoch's (decide said so).
    (void) epoch;
    return kf_outbox_read (source, txn, stream, from, to, max, fn, arg);
}

kf_replay_source_t
kf_replay_outbox_source (kf_outbox_t *outbox)
{
    assert (outbox);
    return (kf_replay_source_t) { s_outbox_decide, s_outbox_read, outbox };
}

//  ---- sending ----------------------------------------------------------------

static int
s_send_to (kf_replay_t *self, zframe_t *identity, zframe_t **body)
{
    void *router = zsock_resolve (self->router);
    zframe_t *id = zframe_dup (identity);
    int rc = *body ? zframe_send (&id, router, ZFRAME_MORE | ZFRAME_DONTWAIT) : -1;
    if (rc == 0)
        rc = zframe_send (body, router, ZFRAME_DONTWAIT);
    zframe_destroy (&id);
    zframe_destroy (body);
    return rc;
}

static void
s_send_end (kf_replay_t *self, zframe_t *identity, Kf__ReplayStatus status, uint64_t head, uint64_t first,
            const char *reason)
{
    Kf__ReplayEnd end = KF__REPLAY_END__INIT;
    end.status = status;
    end.head_seq = head;
    end.first_seq = first;
    end.has_status = end.has_head_seq = end.has_first_seq = 1;
    end.reason = (char *) reason;
    Kf__ReplayMessage msg = KF__REPLAY_MESSAGE__INIT;
    msg.msg_case = KF__REPLAY_MESSAGE__MSG_END;
    msg.end = &end;
    zframe_t *frame = kf_replay_frame (&msg.base);
    s_send_to (self, identity, &frame);
}

typedef struct {
    kf_replay_t *self;
    s_session_t *session;
    size_t count;
    uint64_t last_seq;
    zframe_t *frame;     //  the packed batch, made inside the read transaction
} s_serve_t;

static int
s_pack_one (uint64_t seq, const void *data, size_t size, void *arg)
{
    s_serve_t *s = arg;
    s->self->events [s->count].data = (uint8_t *) data;
    s->self->events [s->count].len = size;
    s->count++;
    s->last_seq = seq;
    return 0;
}

static int
s_serve_read (kf_txn_t *txn, void *arg)
{
    s_serve_t *s = arg;
    kf_replay_t *self = s->self;
    s->count = 0;
    if (self->source.read (self->source.source, txn, s->session->stream, s->session->epoch, s->session->next,
                           s->session->last, self->batch, s_pack_one, s) < 0)
        return -1;
    //  The events point into the map: pack them before the transaction ends.
    Kf__ReplayBatch batch = KF__REPLAY_BATCH__INIT;
    batch.events = self->events;
    batch.n_events = s->count;
    Kf__ReplayMessage msg = KF__REPLAY_MESSAGE__INIT;
    msg.msg_case = KF__REPLAY_MESSAGE__MSG_BATCH;
    msg.batch = &batch;
    s->frame = kf_replay_frame (&msg.base);
    return s->frame ? 0 : kf_txn_fail (txn, "out of memory");
}

//  Send batches while the consumer has credit; end the session when done.
static void
s_pump (kf_replay_t *self, const char *key, s_session_t *session)
{
    while (session->credit > 0 && session->next <= session->last) {
        s_serve_t serve = { self, session, 0, 0, NULL };
        kf_err_t err;
        if (kf_store_read (self->store, s_serve_read, &serve, &err)) {
            kf_error ("replay of %s: %s", session->stream, err.text);
            zhashx_delete (self->sessions, key);
            return;
        }
        if (serve.count == 0) {
            zframe_destroy (&serve.frame);
            break;   //  trimmed under our feet; the end says where it stands
        }
        if (s_send_to (self, session->identity, &serve.frame) != 0) {
            //  The consumer went away (ROUTER_MANDATORY): forget it.
            zhashx_delete (self->sessions, key);
            return;
        }
        self->stats.served += serve.count;
        session->next = serve.last_seq + 1;
        session->credit--;
    }
    if (session->next > session->last || session->credit > 0) {
        s_send_end (self, session->identity, KF__REPLAY_STATUS__REPLAY_STATUS_OK, session->last, 0, NULL);
        zhashx_delete (self->sessions, key);
    }
}

//  ---- requests ---------------------------------------------------------------

typedef struct {
    kf_replay_t *self;
    const Kf__ReplayRequest *request;
    Kf__ReplayStatus status;
    kf_replay_range_t range;
    char reason [200];
} s_decide_t;

static int
s_decide (kf_txn_t *txn, void *arg)
{
    s_decide_t *d = arg;
    d->status = d->self->source.decide (d->self->source.source, txn, d->request, &d->range, d->reason,
                                        sizeof d->reason);
    return 0;
}

static void
s_on_request (kf_replay_t *self, zframe_t *identity, const Kf__ReplayRequest *request)
{
    s_decide_t d = { self, request, 0, { 0 }, "" };
    kf_err_t err;
    if (kf_store_read (self->store, s_decide, &d, &err)) {
        s_send_end (self, identity, KF__REPLAY_STATUS__REPLAY_STATUS_BAD_REQUEST, 0, 0, err.text);
        return;
    }
    if (d.status != KF__REPLAY_STATUS__REPLAY_STATUS_OK) {
        s_send_end (self, identity, d.status, d.range.head, d.range.first, d.reason);
        return;
    }
    s_session_t *session = calloc (1, sizeof *session);
    if (!session)
        return;
    session->identity = zframe_dup (identity);
    snprintf (session->stream, sizeof session->stream, "%s", request->stream);
    session->epoch = d.range.epoch;
    session->next = d.range.from;
    session->last = d.range.to;
    session->credit = request->credit > 0 ? (int) request->credit : 1;
    session->last_active = zclock_mono ();
    char *key = zframe_strhex (identity);
    //  A new request from the same consumer replaces its old one.
    zhashx_update (self->sessions, key, session);
    s_pump (self, key, session);
    free (key);
}

//  The same rule as the bus's: a key reads its estates only. Said for the
//  first few, then every thousandth: a loop of refused requests must not
//  flood the log.
static bool
s_may_read (kf_replay_t *self, zframe_t *identity, zframe_t *body, const Kf__ReplayRequest *request)
{
    const kf_key_identity_t *asker = kf_net_sender (self->net, zframe_meta (body, "User-Id"));
    const char *slash = request->stream ? strrchr (request->stream, '/') : NULL;
    if (asker && slash && kf_keys_reads_estate (asker, slash + 1))
        return true;
    if (++self->stats.forbidden <= S_LOGGED_REFUSALS || self->stats.forbidden % 1000 == 0)
        kf_warning ("refused replay of %s to key %s: not of its estates",
                    request->stream ? request->stream : "(no stream)", asker ? asker->name : "(revoked)");
    s_send_end (self, identity, KF__REPLAY_STATUS__REPLAY_STATUS_FORBIDDEN, 0, 0, "this key may not read that estate");
    return false;
}

static void
s_on_credit (kf_replay_t *self, zframe_t *identity, const Kf__ReplayCredit *credit)
{
    char *key = zframe_strhex (identity);
    s_session_t *session = zhashx_lookup (self->sessions, key);
    if (session) {
        session->last_active = zclock_mono ();
        session->credit += credit->credit > 0 ? (int) credit->credit : 1;
        s_pump (self, key, session);
    }
    free (key);
}

static int
s_on_router (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    kf_replay_t *self = arg;
    for (int n = 0; n < 100; n++) {
        zmsg_t *msg = zmsg_recv_nowait (reader);
        if (!msg)
            break;
        zframe_t *identity = zmsg_pop (msg);
        zframe_t *body = zmsg_pop (msg);
        Kf__ReplayMessage *request = body && zmsg_size (msg) == 0
            ? (Kf__ReplayMessage *) kf_codec_unpack (&kf__replay_message__descriptor,
                                                     zframe_data (body), zframe_size (body), NULL)
            : NULL;
        if (!request)
            self->stats.malformed++;
        else
        if (request->msg_case == KF__REPLAY_MESSAGE__MSG_REQUEST) {
            if (s_may_read (self, identity, body, request->request))
                s_on_request (self, identity, request->request);
        }
        else
        if (request->msg_case == KF__REPLAY_MESSAGE__MSG_CREDIT)
            s_on_credit (self, identity, request->credit);
        else
            self->stats.malformed++;
        kf_codec_free ((ProtobufCMessage **) &request);
        zframe_destroy (&identity);
        zframe_destroy (&body);
        zmsg_destroy (&msg);
    }
    return 0;
}

//  ---- life cycle ----------------------------------------------------------------

kf_replay_t *
kf_replay_new (zloop_t *loop, zsock_t *router, kf_store_t *store, kf_net_t *net, const kf_replay_source_t *source,
               size_t batch, kf_err_t *err)
{
    assert (loop && router && store && net && source && source->decide && source->read && batch > 0);
    kf_replay_t *self = calloc (1, sizeof *self);
    if (self) {
        self->loop = loop;
        self->router = router;
        self->store = store;
        self->net = net;
        self->source = *source;
        self->batch = batch;
        self->events = calloc (batch, sizeof *self->events);
        self->sessions = zhashx_new ();
    }
    if (!self || !self->events || !self->sessions || zloop_reader (loop, router, s_on_router, self) != 0) {
        kf_err_set (err, "out of memory or sockets");
        kf_replay_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->sessions, s_session_free);
    zloop_reader_set_tolerant (loop, router);
    return self;
}

void
kf_replay_destroy (kf_replay_t **self_p)
{
    assert (self_p);
    kf_replay_t *self = *self_p;
    if (self) {
        if (self->sessions)
            zloop_reader_end (self->loop, self->router);
        zhashx_destroy (&self->sessions);
        free (self->events);
        free (self);
        *self_p = NULL;
    }
}

//  A consumer that died while waiting for its next batch never sends
//  credit again: its session would stay for ever.
void
kf_replay_expire (kf_replay_t *self)
{
    assert (self);
    int64_t now = zclock_mono ();
    zlistx_t *idle = zlistx_new ();
    if (!idle)
        return;
    zlistx_set_destructor (idle, (zlistx_destructor_fn *) zstr_free);
    for (s_session_t *session = zhashx_first (self->sessions); session; session = zhashx_next (self->sessions))
        if (now - session->last_active > S_SESSION_IDLE_MS)
            zlistx_add_end (idle, strdup (zhashx_cursor (self->sessions)));
    for (char *key = zlistx_first (idle); key; key = zlistx_next (idle))
        zhashx_delete (self->sessions, key);
    zlistx_destroy (&idle);
}

const kf_replay_stats_t *
kf_replay_stats (kf_replay_t *self)
{
    assert (self);
    return &self->stats;
}
