/*  bus_proxy — the event bus: publishers' XSUB to subscribers' XPUB, with a
    capture socket that copies all traffic for operations (kefuctl tap).

    kefu's own small proxy loop, not bare zmq_proxy (DESIGN.md §7): it
    reads each message's ZAP User-Id, looks the key up in the allowed keys
    (kf_keys) and forwards a publish only when bus_guard lets that key
    publish it; subscriptions are applied per subscriber (XPUB_MANUAL)
    only when its key may read them, and the capture socket serves
    operations keys only. A refusal is dropped, counted, logged and raised
    on _sys/alarm at a key's first and then at most once a minute; the
    counters go out on _sys/bus every second. Over ipc:// there is no key:
    the host's own processes are trusted as the cluster.

    Stateless by design: it may be killed and restarted at any moment. What
    it drops while down, consumers recover by replay from the producers'
    outboxes.
*/
#ifndef BUS_PROXY_H_INCLUDED
#define BUS_PROXY_H_INCLUDED

#include <stdint.h>
#include "kf_clock.h"
#include "kf_config.h"

typedef struct _bus_proxy_t bus_proxy_t;

typedef struct {
    uint64_t forwarded;           //  messages forwarded
    uint64_t refused_publish;     //  publishes not of the sender's estates
    uint64_t refused_subscribe;   //  subscriptions not of the subscriber's estates
    uint64_t unknown_keys;        //  messages of keys revoked or without an identity
    uint64_t subscriptions;       //  subscriptions applied
} bus_proxy_stats_t;

//  Bind the endpoints of the configuration's bus section.
bus_proxy_t *bus_proxy_new (kf_config_t *config, kf_clock_t *clock, kf_err_t *err);
void bus_proxy_destroy (bus_proxy_t **self_p);

//  Forward until SIGINT/SIGTERM (zsys_interrupted), pinging systemd's
//  watchdog when it has one (kf_notify). Returns 0.
int bus_proxy_run (bus_proxy_t *self);

const bus_proxy_stats_t *bus_proxy_stats (bus_proxy_t *self);

#endif
