/*  kf_net — endpoints: binding and connecting ZeroMQ sockets the kefu way.

    Configuration holds plain endpoints (ipc://var/run/bus-in); whether a
    socket binds or connects is the code's business. Binding an ipc://
    endpoint creates its directory first; libzmq itself replaces a socket
    file left by a process that died, so a restart after kill -9 binds.

    tcp:// endpoints cross hosts, so they use CURVE (DESIGN.md §7):
      - a socket that binds is a CURVE server with the cluster's
        certificate (security/cluster_certificate, its _secret file) on a
        cluster host, or the host's own (an estate server's replay
        endpoint), and ZAP (CZMQ's zauth) admits only clients whose public
        certificate is in security/allowed_keys; kf_net_sender then says
        whose key sent each message (kf_keys);
      - a socket that connects is a CURVE client with this process's own
        certificate (security/certificate) and the cluster's public key, or,
        for a service's endpoint whose services/<name>/certificate is set
        (an estate server's intake), that certificate's.
    A tcp:// endpoint without that configuration is refused, unless the
    operator turned CURVE off on purpose (security/curve = false). ipc://
    and inproc:// stay on the host and need none.
*/
#ifndef KF_NET_H_INCLUDED
#define KF_NET_H_INCLUDED

#include <czmq.h>
#include "kf_config.h"
#include "kf_keys.h"
#include "kf_log.h"

typedef struct _kf_net_t kf_net_t;

//  Loads the certificates the configuration names; starts ZAP only when a
//  tcp:// endpoint is first bound.
kf_net_t *kf_net_new (kf_config_t *config, kf_err_t *err);
void kf_net_destroy (kf_net_t **self_p);

int kf_net_bind (kf_net_t *self, zsock_t *socket, const char *endpoint, kf_err_t *err);
int kf_net_connect (kf_net_t *self, zsock_t *socket, const char *endpoint, kf_err_t *err);

//  Connect to a server that is not the cluster: an estate server's replay
//  endpoint, whose public key (Z85) its heartbeat announced. NULL: the
//  cluster's.
int kf_net_connect_to (kf_net_t *self, zsock_t *socket, const char *endpoint, const char *server_key,
                       kf_err_t *err);

//  The public key (Z85) this process's bound tcp:// sockets serve with, or
//  NULL without CURVE.
const char *kf_net_server_key (kf_net_t *self);

//  Who sent a message, from its ZAP User-Id (zmq_msg_gets or zframe_meta
//  "User-Id": the client's public key): the allowed key's identity, or
//  NULL for a key revoked since it connected or without a kefu identity.
//  A message without a User-Id came from this host (ipc://, inproc://) or
//  over tcp:// with CURVE off: kf_keys_local, trusted as the cluster.
const kf_key_identity_t *kf_net_sender (kf_net_t *self, const char *user_id);

//  Look at the allowed-keys directory again if it changed (at most once a
//  second); lookups do so themselves, an idle loop calls this.
void kf_net_refresh (kf_net_t *self);

#endif
