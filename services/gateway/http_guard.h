/*  http_guard — what the gateway allows a connection outside the work of
    answering it (DESIGN.md §7; issue 18.5): a slow client must not hold
    the door for everyone else, and a client that is gone must not hold a
    socket.

    libmicrohttpd refuses an address's connections past
    services/gateway/max_per_address at accept (its per-IP limit). This
    module keeps the rest. Every open connection is in one state:

      head      accepted, its request head not yet whole: it must be within
                head_timeout of the accept, however slowly the bytes come
      body      its head in, its body coming
      answering its request whole, the gateway (or a daemon) on it
      stream    a live event stream
      idle      answered, kept alive for a next request, at most
                idle_timeout

    A head that is late, or an idle connection past its time, is shut down.
    A request over services/gateway/max_connections gets 503. And a client
    that has gone (its socket reads the end of the stream) is shut down in
    every state but `answering`: a client that half-closes after sending
    its request still gets its answer. That last rule is for
    libmicrohttpd's edge-triggered epoll set: when the client's last bytes
    and its FIN come in one edge, MHD reads the bytes, takes the short read
    for a drained socket and never reads the end, and the connection would
    sit in CLOSE-WAIT, counted against its address, until the idle timeout.
    A shutdown is a new edge, and MHD closes it on its next run.
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
    uint64_t idle_closed;      //  closed: kept alive and idle past idle_timeout
    uint64_t over_cap;         //  requests answered 503: max_connections were open
    uint64_t gone;             //  closed: their client had gone and MHD had not seen it
} http_guard_stats_t;

http_guard_t *http_guard_new (size_t max_connections, int64_t head_timeout_ms, int64_t idle_ms);
void http_guard_destroy (http_guard_t **self_p);

//  A connection was accepted (fd: its socket) at now_ms: its own record,
//  or NULL when out of memory (it is then never closed early). Its state:
//  head.
http_socket_t *http_guard_opened (http_guard_t *self, int fd, int64_t now_ms);
//  It closed: its record goes. NULL is ignored.
void http_guard_closed (http_guard_t *self, http_socket_t **socket_p);

//  Its request head is whole; `body`: a body follows (else it is being
//  answered). Whether the request may be served (false: over
//  max_connections, answer 503).
bool http_guard_head (http_guard_t *self, http_socket_t *socket, bool body);
//  Its body is whole: it is being answered.
void http_guard_body_done (http_guard_t *self, http_socket_t *socket);
//  It carries a live stream from now on.
void http_guard_streaming (http_guard_t *self, http_socket_t *socket);
//  Its answer went out at now_ms: idle, kept alive for idle_timeout.
void http_guard_answered (http_guard_t *self, http_socket_t *socket, int64_t now_ms);

//  Shut down every connection whose head, or idle time, is up at now_ms;
//  how many heads were late.
size_t http_guard_expire (http_guard_t *self, int64_t now_ms);

//  Shut down every connection whose client has gone, but those being
//  answered; how many.
size_t http_guard_sweep (http_guard_t *self);
//  The same for one connection, at once (after MHD hands over a part of a
//  body: the moment a short read with the client's FIN is taken for a
//  drained socket). Whether its client had gone.
bool http_guard_check (http_guard_t *self, http_socket_t *socket);

const http_guard_stats_t *http_guard_stats (const http_guard_t *self);
size_t http_guard_max_connections (const http_guard_t *self);

#endif
