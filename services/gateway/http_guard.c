/*  http_guard — connections outside their answer. See http_guard.h.  */
#include "http_guard.h"

#include <assert.h>
#include <czmq.h>
#include <stdlib.h>
#include <sys/socket.h>

typedef enum { S_HEAD, S_BODY, S_ANSWERING, S_STREAM, S_IDLE } s_state_t;

struct _http_socket_t {
    int fd;
    s_state_t state;
    int64_t deadline_ms;      //  head and idle: when its time is up
    bool shut;                //  shut down already, waiting for MHD to close it
    void *handle;             //  in the guard's list
};

struct _http_guard_t {
    size_t max_connections;
    int64_t head_timeout_ms, idle_ms;
    zlistx_t *sockets;        //  http_socket_t *, in accept order
    http_guard_stats_t stats;
};

http_guard_t *
http_guard_new (size_t max_connections, int64_t head_timeout_ms, int64_t idle_ms)
{
    assert (max_connections > 0 && head_timeout_ms > 0 && idle_ms > 0);
    http_guard_t *self = calloc (1, sizeof *self);
    if (self && !(self->sockets = zlistx_new ()))
        free (self), self = NULL;
    if (self) {
        self->max_connections = max_connections;
        self->head_timeout_ms = head_timeout_ms;
        self->idle_ms = idle_ms;
    }
    return self;
}

void
http_guard_destroy (http_guard_t **self_p)
{
    assert (self_p);
    http_guard_t *self = *self_p;
    if (self) {
        for (http_socket_t *s = zlistx_first (self->sockets); s; s = zlistx_next (self->sockets))
            free (s);
        zlistx_destroy (&self->sockets);
        free (self);
        *self_p = NULL;
    }
}

http_socket_t *
http_guard_opened (http_guard_t *self, int fd, int64_t now_ms)
{
    assert (self);
    http_socket_t *socket = calloc (1, sizeof *socket);
    if (!socket)
        return NULL;
    socket->fd = fd;
    socket->state = S_HEAD;
    socket->deadline_ms = now_ms + self->head_timeout_ms;
    socket->handle = zlistx_add_end (self->sockets, socket);
    if (!socket->handle) {
        free (socket);
        return NULL;
    }
    self->stats.open++;
    return socket;
}

void
http_guard_closed (http_guard_t *self, http_socket_t **socket_p)
{
    assert (self && socket_p);
    http_socket_t *socket = *socket_p;
    if (!socket)
        return;
    zlistx_delete (self->sockets, socket->handle);
    free (socket);
    self->stats.open--;
    *socket_p = NULL;
}

bool
http_guard_head (http_guard_t *self, http_socket_t *socket, bool body)
{
    assert (self);
    if (socket)
        socket->state = body ? S_BODY : S_ANSWERING;
    if (self->stats.open > self->max_connections) {
        self->stats.over_cap++;
        return false;
    }
    return true;
}

void
http_guard_body_done (http_guard_t *self, http_socket_t *socket)
{
    assert (self);
    if (socket && socket->state == S_BODY)
        socket->state = S_ANSWERING;
}

void
http_guard_streaming (http_guard_t *self, http_socket_t *socket)
{
    assert (self);
    if (socket)
        socket->state = S_STREAM;
}

void
http_guard_answered (http_guard_t *self, http_socket_t *socket, int64_t now_ms)
{
    assert (self);
    if (socket) {
        socket->state = S_IDLE;
        socket->deadline_ms = now_ms + self->idle_ms;
    }
}

//  Not close(): the descriptor is MHD's. Shut down, the socket reads its
//  end, and MHD closes it on its next run.
static void
s_shut (http_socket_t *socket)
{
    shutdown (socket->fd, SHUT_RDWR);
    socket->shut = true;
}

size_t
http_guard_expire (http_guard_t *self, int64_t now_ms)
{
    assert (self);
    size_t late = 0;
    for (http_socket_t *s = zlistx_first (self->sockets); s; s = zlistx_next (self->sockets))
        if (!s->shut && (s->state == S_HEAD || s->state == S_IDLE) && s->deadline_ms < now_ms) {
            s_shut (s);
            if (s->state == S_HEAD)
                late++;
            else
                self->stats.idle_closed++;
        }
    self->stats.late_heads += late;
    return late;
}

bool
http_guard_check (http_guard_t *self, http_socket_t *socket)
{
    assert (self);
    char byte;
    if (!socket || socket->shut || socket->state == S_ANSWERING
    ||  recv (socket->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) != 0)
        return false;
    s_shut (socket);
    self->stats.gone++;
    return true;
}

size_t
http_guard_sweep (http_guard_t *self)
{
    assert (self);
    size_t gone = 0;
    for (http_socket_t *s = zlistx_first (self->sockets); s; s = zlistx_next (self->sockets))
        gone += http_guard_check (self, s);
    return gone;
}

const http_guard_stats_t *
http_guard_stats (const http_guard_t *self)
{
    assert (self);
    return &self->stats;
}

size_t
http_guard_max_connections (const http_guard_t *self)
{
    assert (self);
    return self->max_connections;
}
