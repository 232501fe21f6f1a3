/*  kf_net — endpoints: binding and connecting ZeroMQ sockets the kefu way.

    Configuration holds plain endpoints (ipc://var/run/bus-in); whether a
    socket binds or connects is the code's business. Binding an ipc://
    endpoint creates its directory first; libzmq itself replaces a socket
    file left by a process that died, so a restart after kill -9 binds.
*/
#ifndef KF_NET_H_INCLUDED
#define KF_NET_H_INCLUDED

#include <czmq.h>
#include "kf_log.h"

int kf_net_bind (zsock_t *socket, const char *endpoint, kf_err_t *err);
int kf_net_connect (zsock_t *socket, const char *endpoint, kf_err_t *err);

#endif
