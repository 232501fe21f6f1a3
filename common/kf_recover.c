/*  kf_recover — what a restored producer takes back from the archive. See kf_recover.h.  */
#include "kf_recover.h"
#include "kf_codec.h"
#include "kf_net.h"
#include "kf_outbox.h"
#include "kf_replay.h"
#include "kf_restore.h"

#include <assert.h>
#include <czmq.h>
#include <string.h>

#define S_CREDIT 4   //  batches the archive may send ahead
#define KF_CAUSE_MAX 64

typedef struct {
    kf_store_t *store;
    kf_outbox_t *outbox;
    kf_recover_fn *fn;
    void *app;
    zsock_t *dealer;
    kf_table_t recovered;       //  bus_recovered: causes not to apply again
    int64_t wait_ms;
    int64_t put;                //  events put back, over all streams
    char cause [KF_CAUSE_MAX];  //  the cause of the stream's last event put back, not marked yet
} s_recover_t;

//  One batch from the archive, in one transaction.
typedef struct {
    s_recover_t *r;
    const Kf__ReplayBatch *batch;
    const char *stream;
    uint64_t epoch;
    uint64_t next;              //  the sequence the batch must start with
    uint64_t seen;              //  the last sequence the cluster had applied
    uint64_t reached;           //  after the commit: the last sequence put back
    char cause [KF_CAUSE_MAX];  //  after the commit: the cause left unmarked (r->cause's next value)
} s_batch_t;

//  Mark a cause whose effects are all back, so that the consumer does not
//  apply it a second time.
static void
s_mark_cause (s_recover_t *r, kf_txn_t *txn, const char *cause)
{
    kf_key_t key;
    if (*cause && kf_key_make (&key, "s", cause) == 0)
        kf_txn_put (txn, r->recovered, &key, "", 0);
}

static int
s_put_batch (kf_txn_t *txn, void *arg)
{
    s_batch_t *b = arg;
    uint64_t next = b->next;    //  from the start again if the store redoes us
    snprintf (b->cause, sizeof b->cause, "%s", b->r->cause);
    for (size_t i = 0; i < b->batch->n_events; i++) {
        kf_err_t err;
        Kf__Envelope *event = (Kf__Envelope *) kf_codec_unpack (&kf__envelope__descriptor, b->batch->events [i].data,
                                                                b->batch->events [i].len, &err);
        if (!event)
            return kf_txn_fail (txn, "the archive sent an event of %s that does not decode: %s", b->stream, err.text);
        int rc = 0;
        if (!event->stream || strcmp (event->stream, b->stream) != 0 || event->epoch != b->epoch
        ||  event->seq != next)
            rc = kf_txn_fail (txn, "the archive sent %s %llu where %s %llu was due",
                              event->stream ? event->stream : "(no stream)", (unsigned long long) event->seq,
                              b->stream, (unsigned long long) next);
        if (rc == 0 && kf_outbox_put_back (b->r->outbox, txn, event) == 0)
            rc = -1;
        int made = rc == 0 ? b->r->fn (b->r->app, txn, event) : -1;
        if (made < 0)
            rc = -1;
        //  What caused it, when the service says its effects are all here:
        //  not applied again when the consumer meets it again. A cause is
        //  marked once the next event has another: what it made may go on
        //  beyond the event last taken back.
        const char *cause = made == 1 && event->causation_id ? event->causation_id : "";
        if (strcmp (cause, b->cause) != 0) {
            s_mark_cause (b->r, txn, b->cause);
            snprintf (b->cause, sizeof b->cause, "%s", cause);
        }
        kf_codec_free ((ProtobufCMessage **) &event);
        if (rc)
            return -1;
        next++;
    }
    b->reached = next - 1;
    //  All the cluster had seen is back: so is what the last cause made
    //  (as far as anyone can know). Short of it, the last cause is applied
    //  again: the rest of what it made is lost with the store.
    if (b->reached == b->seen) {
        s_mark_cause (b->r, txn, b->cause);
        b->cause [0] = 0;
    }
    return kf_txn_ok (txn) ? 0 : -1;
}

//  The next replay message from the archive, or NULL after wait_ms.
static Kf__ReplayMessage *
s_receive (s_recover_t *r)
{
    zpoller_t *poller = zpoller_new (r->dealer, NULL);
    void *ready = poller ? zpoller_wait (poller, (int) r->wait_ms) : NULL;
    zpoller_destroy (&poller);
    zframe_t *frame = ready ? zframe_recv (r->dealer) : NULL;
    Kf__ReplayMessage *msg = frame ? (Kf__ReplayMessage *) kf_codec_unpack (&kf__replay_message__descriptor,
                                                                            zframe_data (frame), zframe_size (frame),
                                                                            NULL) : NULL;
    zframe_destroy (&frame);
    return msg;
}

//  Take back (head, seen] of one stream. 0 (whatever the archive had), or
//  -1 with why.
static int
s_recover_stream (s_recover_t *r, const char *stream, uint64_t epoch, uint64_t head, uint64_t seen, kf_err_t *err)
{
    r->cause [0] = 0;
    if (kf_replay_ask (r->dealer, stream, true, epoch, head + 1, seen, S_CREDIT))
        return kf_err_set (err, "cannot ask the archive for %s", stream);
    kf_notice ("%s: taking back %llu..%llu from the archive", stream, (unsigned long long) (head + 1),
               (unsigned long long) seen);
    uint64_t reached = head;
    while (true) {
        Kf__ReplayMessage *msg = s_receive (r);
        if (!msg)
            return kf_err_set (err, "the archive did not answer within %lld ms about %s (%llu of %llu taken back): "
                               "start this daemon again when kefu-archive runs, or restore it --without-archive",
                               (long long) r->wait_ms, stream, (unsigned long long) (reached - head),
                               (unsigned long long) (seen - head));
        int rc = 0;
        bool done = false;
        if (msg->msg_case == KF__REPLAY_MESSAGE__MSG_BATCH) {
            s_batch_t b = { r, msg->batch, stream, epoch, reached + 1, seen, reached, "" };
            rc = kf_store_write (r->store, s_put_batch, &b, err);
            if (rc == 0) {
                r->put += (int64_t) (b.reached - reached);
                reached = b.reached;
                snprintf (r->cause, sizeof r->cause, "%s", b.cause);
                kf_replay_give_credit (r->dealer, 1);
            }
        }
        else
        if (msg->msg_case == KF__REPLAY_MESSAGE__MSG_END) {
            done = true;
            if (msg->end->status != KF__REPLAY_STATUS__REPLAY_STATUS_OK)
                kf_warning ("%s: the archive cannot give %llu..%llu: %s", stream, (unsigned long long) (reached + 1),
                            (unsigned long long) seen, msg->end->reason ? msg->end->reason : "no reason given");
        }
        kf_codec_free ((ProtobufCMessage **) &msg);
        if (rc)
            return -1;
        if (done)
            break;
    }
    if (reached < seen)
        kf_warning ("%s: the archive had up to %llu; %llu..%llu are lost here (their effects stay with the "
                    "consumers that applied them)", stream, (unsigned long long) reached,
                    (unsigned long long) (reached + 1), (unsigned long long) seen);
    else
        kf_notice ("%s: took back %llu events from the archive, up to %llu", stream,
                   (unsigned long long) (reached - head), (unsigned long long) reached);
    return 0;
}

typedef struct {
    kf_outbox_t *outbox;
    const char *stream;
    Kf__StreamHead head;
} s_head_t;

static int
s_read_head (kf_txn_t *txn, void *arg)
{
    s_head_t *h = arg;
    return kf_outbox_head (h->outbox, txn, h->stream, &h->head);
}

int64_t
kf_recover_from_archive (kf_store_t *store, kf_config_t *config, const char *producer, kf_recover_fn *fn,
                         void *app, kf_err_t *err)
{
    assert (store && config && producer);
    Kf__RestoreMarker *marker = NULL;
    int found = kf_restore_marker_read (store, &marker, err);
    if (found <= 0 || !fn || !marker->from_archive) {
        kf_codec_free ((ProtobufCMessage **) &marker);
        return found < 0 ? -1 : 0;
    }
    s_recover_t r = { store, NULL, fn, app, NULL, kf_store_table (store, "bus_recovered"),
                      kf_config_duration_ms (config, "archive/recover_wait"), 0, "" };
    kf_net_t *net = NULL;
    int rc = 0;
    r.outbox = kf_outbox_new (store, producer, err);
    //  The epoch moved on already (killed after the new epoch's commit,
    //  before the marker went): what came back then is all there is.
    if (r.outbox && kf_outbox_epoch (r.outbox) == marker->epoch) {
        const char *endpoint = kf_config_str (config, "services/archive/replay");
        net = kf_net_new (config, err);
        r.dealer = zsock_new (ZMQ_DEALER);
        if (!net || !r.dealer || kf_net_connect (net, r.dealer, endpoint, err))
            rc = -1;
        size_t plen = strlen (producer);
        for (size_t i = 0; rc == 0 && i < marker->n_seen; i++) {
            const Kf__StreamHead *seen = marker->seen [i];
            if (!seen->stream || strncmp (seen->stream, producer, plen) != 0 || seen->stream [plen] != '/')
                continue;
            s_head_t h = { r.outbox, seen->stream, KF__STREAM_HEAD__INIT };
            if (kf_store_read (store, s_read_head, &h, err))
                rc = -1;
            else
            if (seen->head_seq > h.head.head_seq)
                rc = s_recover_stream (&r, seen->stream, marker->epoch, h.head.head_seq, seen->head_seq, err);
        }
    }
    else
    if (!r.outbox)
        rc = -1;
    zsock_destroy (&r.dealer);
    kf_net_destroy (&net);
    kf_outbox_destroy (&r.outbox);
    kf_codec_free ((ProtobufCMessage **) &marker);
    return rc ? -1 : r.put;
}
