/*  http — the gateway's HTTP server on a zloop: libmicrohttpd in external
    epoll mode, so that HTTP, the daemons' command endpoints and the bus
    are served by one thread with no locks.

    A request for a daemon is sent on a DEALER and its connection is
    suspended until the reply (or the timeout) resumes it. The live event
    stream (Server-Sent Events) suspends its connection while it has
    nothing to send. /metrics asks every daemon for its status at once.

      GET  /healthz                 "ok"
      GET  /  /console/<file>       the web console (static files)
      POST /api/v1/session          {"token": ...} -> a session cookie
      DELETE /api/v1/session        signs out
      GET  /api/v1/whoami           the caller's token: name, estate, role
      POST /api/v1/<command>        a kefuctl operation (see gateway.h)
      GET  /api/v1/events           live events (operations): ?kinds=ticket.,sla.
      GET  /metrics                 Prometheus text (operations)
*/
#ifndef HTTP_H_INCLUDED
#define HTTP_H_INCLUDED

#include <czmq.h>
#include "gateway.h"
#include "kf_clock.h"
#include "kf_net.h"

typedef struct _http_t http_t;

//  Listen on services/gateway/listen and connect to the daemons and the
//  bus; everything then runs on `loop`. `clock` is the cluster's time, as
//  the console shows it (its periods, countdowns).
http_t *http_new (kf_config_t *config, kf_net_t *net, gateway_t *gateway, kf_clock_t *clock, zloop_t *loop,
                  kf_err_t *err);
void http_destroy (http_t **self_p);

//  The port it listens on (useful when the configuration said 0).
unsigned http_port (http_t *self);

#endif
