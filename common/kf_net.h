/*  kf_net — endpoints: binding and connecting ZeroMQ sockets the kefu way.

    Configuration holds plain endpoints (ipc://var/run/bus-in); whether a
    socket binds or connects is the code's business. Binding an ipc://
    endpoint creates its directory first; libzmq itself replaces a socket
    file left by a process that died, so a restart after kill -9 binds.

    tcp:// endpoints cross hosts, so they use CURVE (DESIGN.md §7):
      - a socket that binds is a CURVE server with the cluster's
        certificate (security/cluster_certificate, its _secret file), and
        ZAP (CZMQ's zauth) admits only clients whose public certificate is
        in security/allowed_keys;
      - a socket that connects is a CURVE client with this process's own
        certificate (security/certificate) and the cluster's public key.
    A tcp:// endpoint without that configuration is refused, unless the
    operator turned CURVE off on purpose (security/curve = false). ipc://
    and inproc:// stay on the host and need none.
*/
#ifndef KF_NET_H_INCLUDED
#define KF_NET_H_INCLUDED

#include <czmq.h>
#include "kf_config.h"
#include "kf_log.h"

typedef struct _kf_net_t kf_net_t;

//  Loads the certificates the configuration names; starts ZAP only when a
//  tcp:// endpoint is first bound.
kf_net_t *kf_net_new (kf_config_t *config, kf_err_t *err);
void kf_net_destroy (kf_net_t **self_p);

int kf_net_bind (kf_net_t *self, zsock_t *socket, const char *endpoint, kf_err_t *err);
int kf_net_connect (kf_net_t *self, zsock_t *socket, const char *endpoint, kf_err_t *err);

#endif
