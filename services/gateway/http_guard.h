/*  http_guard — what the gateway allows a connection before it has a
    request (DESIGN.md §7; issue 18.5): a slow client must not hold the
    door for everyone else.

    libmicrohttpd refuses an address's connections past
    services/gateway/max_per_address at accept (its per-IP limit). This
    module keeps the rest: every open connection with the time its request
    head must be whole by (services/gateway/head_timeout from the accept,
    however the bytes trickle in; the keep-alive allowance after an answer),
    the count that makes a request over services/gateway/max_connections
    get 503, and the closing of the late ones (their socket is shut down,
    so libmicrohttpd sees the end and closes it at once, leaving nothing in
    CLOSE-WAIT).
*/
#ifndef HTTP_GUARD_H_INCLUDED
#define HTTP_GUARD_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _http_guard_t http_guard_t;
typedef struct _http_socket_t http_socket_t;

typedef struct {
    size_t open;               //  connections now
    uint64_t late_heads;       //  closed: their request head did not come in time
    uint64_t over_cap;         //  requests answered 503: max_connections were open
    uint64_t gone;             //  closed: their client had gone and MHD had not seen it
} http_guard_stats_t;

http_guard_t *http_guard_new (size_t max_connections, int64_t head_timeout_ms, int64_t keepalive_ms);
void http_guard_destroy (http_guard_t **self_p);

//  A connection was accepted (fd: its socket) at now_ms: its own record,
//  or NULL when out of memory (it is then never closed early).
http_socket_t *http_guard_opened (http_guard_t *self, int fd, int64_t now_ms);
//  It closed: its record goes. NULL is ignored.
void http_guard_closed (http_guard_t *self, http_socket_t **socket_p);

//  Its request head is whole: no deadline until the answer is sent. Returns
//  whether the request may be served (false: over max_connections, answer
//  503).
bool http_guard_head (http_guard_t *self, http_socket_t *socket);
//  Its answer went out at now_ms: the next request on it (keep-alive) must
//  be whole within the keep-alive allowance.
void http_guard_answered (http_guard_t *self, http_socket_t *socket, int64_t now_ms);

//  Shut down every connection whose head is late at now_ms; how many.
size_t http_guard_expire (http_guard_t *self, int64_t now_ms);

//  Shut down every connection whose client has gone (its socket reads the
//  end of the stream); how many. libmicrohttpd's epoll set is
//  edge-triggered, and when the client's last bytes and its FIN come in
//  one edge, MHD reads the bytes, takes the short read for a drained
//  socket and never reads the end: the connection would sit in CLOSE-WAIT
//  until the idle timeout, counted against its address. A shutdown is a
//  new edge, and MHD closes it on its next run.
size_t http_guard_sweep (http_guard_t *self);

//  The same for one connection, at once: after MHD hands over what it
//  read (the moment a short read with the client's FIN is taken for a
//  drained socket). Whether its client had gone.
bool http_guard_check (http_guard_t *self, http_socket_t *socket);

const http_guard_stats_t *http_guard_stats (const http_guard_t *self);
size_t http_guard_max_connections (const http_guard_t *self);

#endif
