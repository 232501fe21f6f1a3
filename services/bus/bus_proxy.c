/*  bus_proxy — XSUB/XPUB forwarding that knows whose estate it is. See bus_proxy.h.  */
#include "bus_proxy.h"
#include "bus_guard.h"
#include "kf_codec.h"
#include "kf_net.h"
#include "kf_notify.h"
#include "kf_version.h"
#include "bus.pb-c.h"

#include <assert.h>
#include <czmq.h>

//  Messages drained per wake-up before polling again: keeps both
//  directions moving under load.
#define S_BURST 1024
//  How often the loop looks at zsys_interrupted when idle.
#define S_POLL_MS 200
//  High-water marks: large, because dropping is recoverable but costly.
#define S_HWM 200000
//  A key's refusals (publishes, subscriptions): logged and raised at the
//  first, then at most this often.
#define S_ALARM_EVERY_MS (60 * 1000)
//  Keys whose refusals are remembered one by one; the rest share one entry.
#define S_KEYS_TRACKED 4096
//  The bus's counters on _sys/bus.
#define S_COUNTERS_EVERY_MS 1000
#define S_ALARM_TOPIC "_sys/alarm"
#define S_COUNTERS_TOPIC "_sys/bus"

//  What one key has had refused.
typedef struct {
    uint64_t refused;
    int64_t alarmed_ms;     //  monotonic, 0: never
} s_offender_t;

struct _bus_proxy_t {
    kf_net_t *net;
    kf_clock_t *clock;
    zsock_t *frontend;   //  XSUB: producers connect
    zsock_t *backend;    //  XPUB (manual): consumers connect
    zsock_t *capture;    //  XPUB (manual): operations, optional
    zhashx_t *offenders; //  public key (or "local") -> s_offender_t
    bus_proxy_stats_t stats;
    int64_t counters_ms;
    //  libzmq's XPUB_MANUAL pairs each subscription with the pipe it came
    //  from through a queue that a frame which is not a subscription does
    //  not enter (4.3.4): after one, the pairing is off until the queue is
    //  empty, and no subscription is applied (refused, counted) until then.
    bool unpaired [2];   //  backend, capture
};

static void
s_offender_free (void **item)
{
    free (*item);
    *item = NULL;
}

bus_proxy_t *
bus_proxy_new (kf_config_t *config, kf_clock_t *clock, kf_err_t *err)
{
    assert (config && clock);
    bus_proxy_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->clock = clock;
    self->net = kf_net_new (config, err);
    if (!self->net) {
        bus_proxy_destroy (&self);
        return NULL;
    }
    self->offenders = zhashx_new ();
    self->frontend = zsock_new (ZMQ_XSUB);
    self->backend = zsock_new (ZMQ_XPUB);
    const char *capture = kf_config_str (config, "bus/capture");
    if (capture)
        self->capture = zsock_new (ZMQ_XPUB);
    if (!self->offenders || !self->frontend || !self->backend || (capture && !self->capture)) {
        kf_err_set (err, "cannot create sockets: %s", zmq_strerror (zmq_errno ()));
        bus_proxy_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->offenders, s_offender_free);
    zsock_set_rcvhwm (self->frontend, S_HWM);
    zsock_set_sndhwm (self->frontend, S_HWM);
    zsock_set_sndhwm (self->backend, S_HWM);
    zsock_set_rcvhwm (self->backend, S_HWM);
    //  Subscriptions are the bus's to grant: each is checked, then applied.
    zsock_set_xpub_manual (self->backend, 1);
    if (self->capture) {
        zsock_set_sndhwm (self->capture, S_HWM);
        zsock_set_xpub_manual (self->capture, 1);
    }
    if (kf_net_bind (self->net, self->frontend, kf_config_str (config, "bus/publish"), err)
    ||  kf_net_bind (self->net, self->backend, kf_config_str (config, "bus/subscribe"), err)
    ||  (self->capture && kf_net_bind (self->net, self->capture, capture, err))) {
        bus_proxy_destroy (&self);
        return NULL;
    }
    //  Producers send everything: subscriptions are checked here, per
    //  subscriber, and never passed upstream, so that a refused one cannot
    //  be undone for others by its unsubscription.
    const uint8_t all = 1;
    if (zmq_send (zsock_resolve (self->frontend), &all, 1, 0) < 0) {
        kf_err_set (err, "cannot subscribe to producers: %s", zmq_strerror (zmq_errno ()));
        bus_proxy_destroy (&self);
        return NULL;
    }
    return self;
}

void
bus_proxy_destroy (bus_proxy_t **self_p)
{
    assert (self_p);
    bus_proxy_t *self = *self_p;
    if (self) {
        zsock_destroy (&self->frontend);
        zsock_destroy (&self->backend);
        zsock_destroy (&self->capture);
        zhashx_destroy (&self->offenders);
        kf_net_destroy (&self->net);
        free (self);
        *self_p = NULL;
    }
}

//  ---- sending the bus's own messages -----------------------------------------

static void
s_send_own (bus_proxy_t *self, const char *topic, const ProtobufCMessage *msg)
{
    size_t size;
    uint8_t *data = kf_codec_pack (msg, &size);
    if (!data)
        return;
    void *sockets [2] = { zsock_resolve (self->backend), self->capture ? zsock_resolve (self->capture) : NULL };
    for (int i = 0; i < 2; i++)
        if (sockets [i]) {
            zmq_send (sockets [i], topic, strlen (topic), ZMQ_SNDMORE | ZMQ_DONTWAIT);
            zmq_send (sockets [i], data, size, ZMQ_DONTWAIT);
        }
    free (data);
}

static void
s_counters (bus_proxy_t *self)
{
    Kf__BusCounters counters = KF__BUS_COUNTERS__INIT;
    counters.sent_at_ms = kf_clock_now (self->clock);
    counters.forwarded = self->stats.forwarded;
    counters.refused_publish = self->stats.refused_publish;
    counters.refused_subscribe = self->stats.refused_subscribe;
    counters.unknown_keys = self->stats.unknown_keys;
    counters.subscriptions = self->stats.subscriptions;
    counters.has_sent_at_ms = counters.has_forwarded = counters.has_refused_publish = 1;
    counters.has_refused_subscribe = counters.has_unknown_keys = counters.has_subscriptions = 1;
    counters.version = KF_VERSION;
    s_send_own (self, S_COUNTERS_TOPIC, &counters.base);
}

//  Count a refusal; log it and raise _sys/alarm at a key's first (of
//  publishes, of subscriptions), then at most once a minute with the count.
static void
s_refused (bus_proxy_t *self, const kf_key_identity_t *id, const char *user_id, bool publish, const void *what,
           size_t what_size, const bus_guard_verdict_t *verdict)
{
    if (!id)
        self->stats.unknown_keys++;
    else
    if (publish)
        self->stats.refused_publish++;
    else
        self->stats.refused_subscribe++;
    //  A key's publishes and subscriptions are told apart: a spy's refused
    //  subscriptions must not hide its forged publishes from the log.
    char key [64];
    snprintf (key, sizeof key, "%s|%c", user_id && *user_id ? user_id : "local", publish ? 'p' : 's');
    s_offender_t *offender = zhashx_lookup (self->offenders, key);
    if (!offender && zhashx_size (self->offenders) >= S_KEYS_TRACKED) {
        snprintf (key, sizeof key, "(others)");
        offender = zhashx_lookup (self->offenders, key);
    }
    if (!offender) {
        offender = calloc (1, sizeof *offender);
        if (!offender)
            return;
        zhashx_insert (self->offenders, key, offender);
    }
    offender->refused++;
    int64_t now = zclock_mono ();
    if (offender->alarmed_ms && now - offender->alarmed_ms < S_ALARM_EVERY_MS)
        return;
    offender->alarmed_ms = now;
    //  What was refused, as printable text for the log and the alarm.
    char shown [KF_STREAM_MAX];
    size_t n = what_size < sizeof shown - 1 ? what_size : sizeof shown - 1;
    for (size_t i = 0; i < n; i++) {
        char c = ((const char *) what) [i];
        shown [i] = c >= 0x20 && c < 0x7f ? c : '?';
    }
    shown [n] = 0;
    const char *name = id ? id->name : "?";
    const char *role = id ? kf_key_role_name (id->role) : "revoked";
    kf_warning ("refused %s %s%s%s from key %s (%s): %s; %llu refused from it so far",
                publish ? "publish of" : "subscription to", shown, *verdict->stream ? " stream " : "",
                verdict->stream, name, role, verdict->reason, (unsigned long long) offender->refused);
    Kf__BusAlarm alarm = KF__BUS_ALARM__INIT;
    alarm.key = (char *) name;
    alarm.role = (char *) role;
    alarm.reason = (char *) verdict->reason;
    alarm.topic = shown;
    alarm.stream = *verdict->stream ? (char *) verdict->stream : NULL;
    alarm.refused = offender->refused;
    alarm.raised_at_ms = kf_clock_now (self->clock);
    alarm.has_refused = alarm.has_raised_at_ms = 1;
    s_send_own (self, S_ALARM_TOPIC, &alarm.base);
}

//  ---- publishes ------------------------------------------------------------------

//  Send a received frame on, and a copy to the capture socket. Both are
//  XPUBs: they drop at the high-water mark rather than block.
static int
s_send_part (bus_proxy_t *self, zmq_msg_t *msg, bool more)
{
    if (self->capture) {
        zmq_msg_t dup;
        zmq_msg_init (&dup);
        zmq_msg_copy (&dup, msg);
        if (zmq_msg_send (&dup, zsock_resolve (self->capture), more ? ZMQ_SNDMORE | ZMQ_DONTWAIT : ZMQ_DONTWAIT) < 0)
            zmq_msg_close (&dup);
    }
    if (zmq_msg_send (msg, zsock_resolve (self->backend), more ? ZMQ_SNDMORE : 0) < 0) {
        zmq_msg_close (msg);
        return -1;
    }
    return 0;
}

//  One message from a producer: forwarded when its sender may publish it.
//  1 when a message was taken, 0 when none was waiting, -1 on an error.
static int
s_on_publish (bus_proxy_t *self)
{
    void *frontend = zsock_resolve (self->frontend);
    zmq_msg_t parts [2];
    zmq_msg_init (&parts [0]);
    if (zmq_msg_recv (&parts [0], frontend, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&parts [0]);
        return zmq_errno () == EAGAIN || zmq_errno () == EINTR ? 0 : -1;
    }
    const char *user_id = zmq_msg_gets (&parts [0], "User-Id");
    const kf_key_identity_t *id = kf_net_sender (self->net, user_id);
    bool more = zmq_msg_more (&parts [0]);
    //  The cluster's own: through as it came, whatever its frames.
    if (id && id->role == KF_KEY_CLUSTER) {
        self->stats.forwarded++;
        zmq_msg_t *msg = &parts [0];
        while (true) {
            if (s_send_part (self, msg, more) < 0)
                return -1;
            if (!more)
                return 1;
            zmq_msg_init (msg);
            if (zmq_msg_recv (msg, frontend, 0) < 0) {
                zmq_msg_close (msg);
                return -1;
            }
            more = zmq_msg_more (msg);
        }
    }
    //  Anyone else: [topic][body], judged whole before anything goes on.
    size_t frames = 1;
    zmq_msg_init (&parts [1]);
    while (more) {
        if (frames == 1) {
            if (zmq_msg_recv (&parts [1], frontend, 0) < 0)
                break;
            more = zmq_msg_more (&parts [1]);
        }
        else {
            zmq_msg_t extra;
            zmq_msg_init (&extra);
            bool got = zmq_msg_recv (&extra, frontend, 0) >= 0;
            more = got && zmq_msg_more (&extra);
            zmq_msg_close (&extra);
            if (!got)
                break;
        }
        frames++;
    }
    bus_guard_verdict_t verdict;
    bool ok = frames == 2
        ? bus_guard_publish (id, user_id, zmq_msg_data (&parts [0]), zmq_msg_size (&parts [0]),
                             zmq_msg_data (&parts [1]), zmq_msg_size (&parts [1]), &verdict)
        : (verdict = (bus_guard_verdict_t) { "a message that is not [topic][body]", "" }, false);
    int rc = 1;
    if (ok) {
        self->stats.forwarded++;
        if (s_send_part (self, &parts [0], true) < 0) {
            zmq_msg_close (&parts [1]);
            rc = -1;
        }
        else
        if (s_send_part (self, &parts [1], false) < 0)
            rc = -1;
    }
    else {
        s_refused (self, id, user_id, true, zmq_msg_data (&parts [0]), zmq_msg_size (&parts [0]), &verdict);
        zmq_msg_close (&parts [0]);
        zmq_msg_close (&parts [1]);
    }
    return rc;
}

//  ---- subscriptions ---------------------------------------------------------------

//  One subscription message from a consumer (or an operations host on the
//  capture socket): applied to that subscriber alone when it may have it.
static int
s_on_subscription (bus_proxy_t *self, zsock_t *socket, bool capture)
{
    void *handle = zsock_resolve (socket);
    bool *unpaired = &self->unpaired [capture ? 1 : 0];
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, handle, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&msg);
        if (zmq_errno () == EAGAIN)
            *unpaired = false;   //  the queue is empty: pipes and messages pair again
        return zmq_errno () == EAGAIN || zmq_errno () == EINTR ? 0 : -1;
    }
    //  A subscription is one frame; anything after it is not ours to read.
    bool more = zmq_msg_more (&msg);
    while (more) {
        zmq_msg_t extra;
        zmq_msg_init (&extra);
        more = zmq_msg_recv (&extra, handle, 0) >= 0 && zmq_msg_more (&extra);
        zmq_msg_close (&extra);
        *unpaired = true;
    }
    const char *user_id = zmq_msg_gets (&msg, "User-Id");
    const kf_key_identity_t *id = kf_net_sender (self->net, user_id);
    const uint8_t *data = zmq_msg_data (&msg);
    size_t size = zmq_msg_size (&msg);
    bus_guard_verdict_t verdict;
    if (size == 0 || data [0] > 1)
        *unpaired = true;
    if (*unpaired && size > 0 && data [0] <= 1) {
        //  Whose it is cannot be known: applied to the wrong subscriber it
        //  could hand one estate another's events.
        verdict = (bus_guard_verdict_t) { "a subscription after a frame that is not one (whose it is is unknown)", "" };
        s_refused (self, id, user_id, false, data + 1, size - 1, &verdict);
    }
    else
    if (bus_guard_subscribe (id, data, size, capture, &verdict)) {
        //  XPUB_MANUAL: this applies to the subscriber the message came from.
        int option = data [0] == 1 ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE;
        if (zmq_setsockopt (handle, option, data + 1, size - 1) == 0 && option == ZMQ_SUBSCRIBE)
            self->stats.subscriptions++;
    }
    else
    if (size > 0)
        s_refused (self, id, user_id, false, data + 1, size - 1, &verdict);
    zmq_msg_close (&msg);
    return 1;
}

int
bus_proxy_run (bus_proxy_t *self)
{
    assert (self);
    zmq_pollitem_t items [] = {
        { zsock_resolve (self->frontend), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self->backend), 0, ZMQ_POLLIN, 0 },
        { self->capture ? zsock_resolve (self->capture) : NULL, 0, ZMQ_POLLIN, 0 },
    };
    int count = self->capture ? 3 : 2;
    //  Wake up often enough for systemd's watchdog too (kf_notify).
    int watchdog_ms = kf_notify_watchdog_ms ();
    int poll_ms = watchdog_ms && watchdog_ms < S_POLL_MS ? watchdog_ms : S_POLL_MS;
    while (!zsys_interrupted) {
        kf_notify_alive ();
        int64_t now = zclock_mono ();
        if (now - self->counters_ms >= S_COUNTERS_EVERY_MS) {
            self->counters_ms = now;
            kf_net_refresh (self->net);
            s_counters (self);
        }
        if (zmq_poll (items, count, poll_ms) < 0) {
            if (zmq_errno () == EINTR)
                continue;
            kf_error ("poll failed: %s", zmq_strerror (zmq_errno ()));
            return -1;
        }
        for (int n = 0; n < S_BURST && (items [0].revents & ZMQ_POLLIN); n++)
            if (s_on_publish (self) <= 0)
                break;
        for (int n = 0; n < S_BURST && (items [1].revents & ZMQ_POLLIN); n++)
            if (s_on_subscription (self, self->backend, false) <= 0)
                break;
        for (int n = 0; n < S_BURST && count == 3 && (items [2].revents & ZMQ_POLLIN); n++)
            if (s_on_subscription (self, self->capture, true) <= 0)
                break;
    }
    return 0;
}

const bus_proxy_stats_t *
bus_proxy_stats (bus_proxy_t *self)
{
    assert (self);
    return &self->stats;
}
