/*  bus_proxy — the event bus: publishers' XSUB to subscribers' XPUB, with a
    capture PUB that copies all traffic for operations (kefuctl tap).

    Stateless by design: it may be killed and restarted at any moment. What
    it drops while down, consumers recover by replay from the producers'
    outboxes, so it neither stores nor parses events.
*/
#ifndef BUS_PROXY_H_INCLUDED
#define BUS_PROXY_H_INCLUDED

#include <stdint.h>
#include "kf_config.h"

typedef struct _bus_proxy_t bus_proxy_t;

//  Bind the endpoints of the configuration's bus section.
bus_proxy_t *bus_proxy_new (kf_config_t *config, kf_err_t *err);
void bus_proxy_destroy (bus_proxy_t **self_p);

//  Forward until SIGINT/SIGTERM (zsys_interrupted), pinging systemd's
//  watchdog when it has one (kf_notify). Returns 0.
int bus_proxy_run (bus_proxy_t *self);

//  Frames forwarded so far, each way.
uint64_t bus_proxy_events (bus_proxy_t *self);
uint64_t bus_proxy_subscriptions (bus_proxy_t *self);

#endif
