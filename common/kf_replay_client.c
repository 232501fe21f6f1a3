/*  kf_replay_client — replay, the consumer's side: asking a producer for a
    missing range, with credit, and asking the archive when the producer
    has trimmed it. See kf_bus_private.h.
*/
#include "kf_bus_private.h"

//  ---- replay: the consumer's side -------------------------------------------

static int s_on_replay_reply (zloop_t *loop, zsock_t *reader, void *arg);

void
kf_bus_replay_start (kf_bus_t *self, kf_bus_producer_t *producer, const char *stream, uint64_t from)
{
    if (!producer || !producer->endpoint || producer->replaying || producer->down)
        return;   //  the next heartbeat brings us back here
    if (!producer->dealer) {
        producer->dealer = zsock_new (ZMQ_DEALER);
        kf_err_t err;
        if (!producer->dealer || kf_net_connect_to (self->net, producer->dealer, producer->endpoint,
                                                    producer->server_key, &err)) {
            kf_warning ("replay from %s: %s", producer->name, producer->dealer ? err.text : "no socket");
            zsock_destroy (&producer->dealer);
            return;
        }
        zsock_set_rcvhwm (producer->dealer, S_HWM);
        zloop_reader (self->loop, producer->dealer, s_on_replay_reply, self);
        zloop_reader_set_tolerant (self->loop, producer->dealer);
    }
    kf_bus_cursor_t *cursor = kf_bus_cursor (self, stream);
    bool in_epoch = cursor && cursor->last > 0;
    if (kf_replay_ask (producer->dealer, stream, in_epoch, in_epoch ? cursor->epoch : 0, from, 0,
                       (uint32_t) self->options.replay_credit) != 0)
        return;
    producer->replaying = true;
    producer->replay_progress = kf_bus_mono_ms ();
    snprintf (producer->replay_stream, sizeof producer->replay_stream, "%s", stream);
    self->stats.replays++;
    kf_debug ("replaying %s from %llu", stream, (unsigned long long) from);
}

//  ---- replay from the archive ------------------------------------------------

//  The archive, once heard: the producer of last resort for any stream.
static kf_bus_producer_t *
s_archive (kf_bus_t *self)
{
    for (kf_bus_producer_t *p = zhashx_first (self->producers); p; p = zhashx_next (self->producers))
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
bool
kf_bus_ask_archive (kf_bus_t *self, const char *stream, const char *why)
{
    kf_bus_producer_t *archive = s_archive (self);
    kf_bus_cursor_t *cursor = kf_bus_cursor (self, stream);
    int64_t now = kf_bus_mono_ms ();
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
    kf_bus_replay_start (self, archive, stream, cursor->last + 1);
    return true;
}

//  The archive's replay ended: carry on with the producer when it brought
//  something, else the alarm the producer's refusal would have raised.
static void
s_archive_replay_end (kf_bus_t *self, kf_bus_producer_t *archive, const Kf__ReplayEnd *end)
{
    const char *stream = archive->replay_stream;
    kf_bus_cursor_t *cursor = kf_bus_cursor (self, stream);
    if (!cursor || cursor->alarmed)
        return;
    bool moved = cursor->last + 1 > cursor->archive_asked;
    if (end->status == KF__REPLAY_STATUS__REPLAY_STATUS_OK && moved) {
        kf_notice ("%s: the archive gave %llu events; on with the producer",
                   stream, (unsigned long long) (cursor->last + 1 - cursor->archive_asked));
        char name [KF_STREAM_MAX];
        kf_bus_producer_t *producer = kf_bus_stream_producer (stream, name,
                                                              sizeof name) ? zhashx_lookup (self->producers, name)
                                                                               : NULL;
        if (producer)
            kf_bus_catch_up (self, producer);
        return;
    }
    //  Only a replay that ended says the archive lacks it; one cut short
    //  (a stall, a new endpoint) is asked again.
    cursor->archive_lacks = cursor->last + 1;
    char why [200];
    snprintf (why, sizeof why, "snapshot required: neither the producer nor the archive has %s from %llu (%s)",
              stream, (unsigned long long) (cursor->last + 1),
              end->reason && *end->reason ? end->reason : "the archive ends before it");
    kf_bus_alarm (self, stream, KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_TRIMMED, why);
}

static kf_bus_producer_t *
s_producer_of_dealer (kf_bus_t *self, zsock_t *dealer)
{
    for (kf_bus_producer_t *p = zhashx_first (self->producers); p; p = zhashx_next (self->producers))
        if (p->dealer == dealer)
            return p;
    return NULL;
}

static int
s_on_replay_reply (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    kf_bus_t *self = arg;
    kf_bus_producer_t *producer = s_producer_of_dealer (self, reader);
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
    producer->replay_progress = kf_bus_mono_ms ();
    if (msg->msg_case == KF__REPLAY_MESSAGE__MSG_BATCH) {
        Kf__ReplayBatch *batch = msg->batch;
        for (size_t i = 0; i < batch->n_events; i++)
            kf_bus_batch_decode (self, batch->events [i].data, batch->events [i].len, producer->replay_stream);
        self->stats.replayed += batch->n_events;
        kf_bus_apply_batch (self);
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
            if (!kf_bus_ask_archive (self, producer->replay_stream, why)) {
                char alarm [200];
                snprintf (alarm, sizeof alarm, "snapshot required: %s, and no archive has it", why);
                kf_bus_alarm (self, producer->replay_stream, KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_TRIMMED, alarm);
            }
        }
        else
        if (msg->end->status != KF__REPLAY_STATUS__REPLAY_STATUS_OK)
            kf_warning ("replay of %s ended: %s", producer->replay_stream, msg->end->reason ? msg->end->reason : "?");
        else
            kf_bus_catch_up (self, producer);   //  more streams may be behind
    }
    else
        self->stats.malformed++;
    kf_codec_free ((ProtobufCMessage **) &msg);
    return self->stopping ? -1 : 0;
}
