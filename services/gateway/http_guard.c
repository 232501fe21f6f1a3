/*  http_guard — connections before their request. See http_guard.h.  */
#include "http_guard.h"

#include <assert.h>
#include <czmq.h>
#include <stdlib.h>
#include <sys/socket.h>

struct _http_socket_t {
    int fd;
    int64_t deadline_ms;      //  when its head must be whole; 0: it is
    bool shut;                //  shut down already, waiting for MHD to close it
    void *handle;             //  in the guard's list
};

struct _http_guard_t {
    size_t max_connections;
    int64_t head_timeout_ms, keepalive_ms;
    zlistx_t *sockets;        //  http_socket_t *, the oldest deadline first (accept order)
    http_guard_stats_t stats;
};

http_guard_t *
http_guard_new (size_t max_connections, int64_t head_timeout_ms, int64_t keepalive_ms)
{
    assert (max_connections > 0 && head_timeout_ms > 0 && keepalive_ms > 0);
    http_guard_t *self = calloc (1, sizeof *self);
    if (self && !(self->sockets = zlistx_new ()))
        free (self), self = NULL;
    if (self) {
        self->max_connections = max_connections;
        self->head_timeout_ms = head_timeout_ms;
        self->keepalive_ms = keepalive_ms;
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
http_guard_head (http_guard_t *self, http_socket_t *socket)
{
    assert (self);
    if (socket)
        socket->deadline_ms = 0;
    if (self->stats.open > self->max_connections) {
        self->stats.over_cap++;
        return false;
    }
    return true;
}

void
http_guard_answered (http_guard_t *self, http_socket_t *socket, int64_t now_ms)
{
    assert (self);
    if (socket && !socket->shut)
        socket->deadline_ms = now_ms + self->keepalive_ms;
}

size_t
http_guard_expire (http_guard_t *self, int64_t now_ms)
{
    assert (self);
    size_t closed = 0;
    for (http_socket_t *s = zlistx_first (self->sockets); s; s = zlistx_next (self->sockets))
        if (s->deadline_ms && s->deadline_ms < now_ms && !s->shut) {
            //  Not close(): the descriptor is MHD's. Shut down, the socket
            //  reads its end, and MHD closes it on its next run.
            shutdown (s->fd, SHUT_RDWR);
            s->shut = true;
            closed++;
        }
    self->stats.late_heads += closed;
    return closed;
}

bool
http_guard_check (http_guard_t *self, http_socket_t *socket)
{
    assert (self);
    char byte;
    if (!socket || socket->shut || recv (socket->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) != 0)
        return false;
    shutdown (socket->fd, SHUT_RDWR);
    socket->shut = true;
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
