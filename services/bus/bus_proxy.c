/*  bus_proxy — XSUB/XPUB forwarding with a capture socket.  */
#include "bus_proxy.h"
#include "kf_net.h"
#include "kf_notify.h"

#include <assert.h>
#include <czmq.h>

//  Messages drained per wake-up before polling again: keeps both
//  directions moving under load.
#define S_BURST 1024
//  How often the loop looks at zsys_interrupted when idle.
#define S_POLL_MS 200
//  High-water marks: large, because dropping is recoverable but costly.
#define S_HWM 200000

struct _bus_proxy_t {
    kf_net_t *net;
    zsock_t *frontend;   //  XSUB: producers connect
    zsock_t *backend;    //  XPUB: consumers connect
    zsock_t *capture;    //  PUB: operations, optional
    uint64_t events;
    uint64_t subscriptions;
};

bus_proxy_t *
bus_proxy_new (kf_config_t *config, kf_err_t *err)
{
    assert (config);
    bus_proxy_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->net = kf_net_new (config, err);
    if (!self->net) {
        bus_proxy_destroy (&self);
        return NULL;
    }
    self->frontend = zsock_new (ZMQ_XSUB);
    self->backend = zsock_new (ZMQ_XPUB);
    const char *capture = kf_config_str (config, "bus/capture");
    if (capture)
        self->capture = zsock_new (ZMQ_PUB);
    if (!self->frontend || !self->backend || (capture && !self->capture)) {
        kf_err_set (err, "cannot create sockets: %s", zmq_strerror (zmq_errno ()));
        bus_proxy_destroy (&self);
        return NULL;
    }
    zsock_set_rcvhwm (self->frontend, S_HWM);
    zsock_set_sndhwm (self->frontend, S_HWM);
    zsock_set_sndhwm (self->backend, S_HWM);
    zsock_set_rcvhwm (self->backend, S_HWM);
    if (self->capture)
        zsock_set_sndhwm (self->capture, S_HWM);
    if (kf_net_bind (self->net, self->frontend, kf_config_str (config, "bus/publish"), err)
    ||  kf_net_bind (self->net, self->backend, kf_config_str (config, "bus/subscribe"), err)
    ||  (self->capture && kf_net_bind (self->net, self->capture, capture, err))) {
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
        kf_net_destroy (&self->net);
        free (self);
        *self_p = NULL;
    }
}

//  Move one whole multipart message from `from` to `to` (and a copy to
//  `copy`), without blocking. Returns 1 when a message moved, 0 when none
//  was waiting, -1 on an error other than EAGAIN/EINTR.
static int
s_forward (void *from, void *to, void *copy)
{
    zmq_msg_t msg;
    int more = 1;
    bool first = true;
    while (more) {
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, from, first ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close (&msg);
            return (zmq_errno () == EAGAIN || zmq_errno () == EINTR) && first ? 0 : -1;
        }
        first = false;
        more = zmq_msg_more (&msg);
        if (copy) {
            zmq_msg_t dup;
            zmq_msg_init (&dup);
            zmq_msg_copy (&dup, &msg);
            //  The capture socket is a PUB: it drops rather than blocks.
            if (zmq_msg_send (&dup, copy, more ? ZMQ_SNDMORE | ZMQ_DONTWAIT : ZMQ_DONTWAIT) < 0)
                zmq_msg_close (&dup);
        }
        //  XPUB drops at its high-water mark and XSUB never blocks, so this
        //  send cannot stall the loop.
        if (zmq_msg_send (&msg, to, more ? ZMQ_SNDMORE : 0) < 0) {
            zmq_msg_close (&msg);
            return -1;
        }
    }
    return 1;
}

int
bus_proxy_run (bus_proxy_t *self)
{
    assert (self);
    void *frontend = zsock_resolve (self->frontend);
    void *backend = zsock_resolve (self->backend);
    void *capture = self->capture ? zsock_resolve (self->capture) : NULL;
    zmq_pollitem_t items [] = {
        { frontend, 0, ZMQ_POLLIN, 0 },
        { backend, 0, ZMQ_POLLIN, 0 },
    };
    //  Wake up often enough for systemd's watchdog too (kf_notify).
    int watchdog_ms = kf_notify_watchdog_ms ();
    int poll_ms = watchdog_ms && watchdog_ms < S_POLL_MS ? watchdog_ms : S_POLL_MS;
    while (!zsys_interrupted) {
        kf_notify_alive ();
        if (zmq_poll (items, 2, poll_ms) < 0) {
            if (zmq_errno () == EINTR)
                continue;
            kf_error ("poll failed: %s", zmq_strerror (zmq_errno ()));
            return -1;
        }
        for (int n = 0; n < S_BURST && (items [0].revents & ZMQ_POLLIN); n++) {
            int rc = s_forward (frontend, backend, capture);
            if (rc <= 0)
                break;
            self->events++;
        }
        //  Subscriptions flow upstream so producers' PUBs filter early.
        for (int n = 0; n < S_BURST && (items [1].revents & ZMQ_POLLIN); n++) {
            int rc = s_forward (backend, frontend, NULL);
            if (rc <= 0)
                break;
            self->subscriptions++;
        }
    }
    return 0;
}

uint64_t
bus_proxy_events (bus_proxy_t *self)
{
    assert (self);
    return self->events;
}

uint64_t
bus_proxy_subscriptions (bus_proxy_t *self)
{
    assert (self);
    return self->subscriptions;
}
