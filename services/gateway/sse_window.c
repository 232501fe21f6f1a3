/*  sse_window — the recent events. See sse_window.h.  */
#include "sse_window.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *event_id, *estate, *kind;
    uint8_t *data;
    size_t size;
} s_entry_t;

struct _sse_window_t {
    s_entry_t *ring;
    size_t capacity, max_bytes;
    int64_t first, next;      //  positions of the oldest kept and of the next to come
    size_t bytes;
};

sse_window_t *
sse_window_new (size_t max_events, size_t max_bytes)
{
    assert (max_events > 0);
    sse_window_t *self = calloc (1, sizeof *self);
    if (self && !(self->ring = calloc (max_events, sizeof *self->ring)))
        free (self), self = NULL;
    if (self) {
        self->capacity = max_events;
        self->max_bytes = max_bytes;
    }
    return self;
}

static s_entry_t *
s_at (const sse_window_t *self, int64_t position)
{
    return &self->ring [(size_t) position % self->capacity];
}

static void
s_drop_oldest (sse_window_t *self)
{
    s_entry_t *e = s_at (self, self->first++);
    self->bytes -= e->size;
    free (e->event_id);
    free (e->estate);
    free (e->kind);
    free (e->data);
    memset (e, 0, sizeof *e);
}

void
sse_window_destroy (sse_window_t **self_p)
{
    assert (self_p);
    sse_window_t *self = *self_p;
    if (self) {
        while (self->first < self->next)
            s_drop_oldest (self);
        free (self->ring);
        free (self);
        *self_p = NULL;
    }
}

int
sse_window_add (sse_window_t *self, const char *event_id, const char *estate, const char *kind,
                const uint8_t *data, size_t size)
{
    assert (self && event_id && kind && data);
    if (size > self->max_bytes)
        return -1;
    while (self->next - self->first >= (int64_t) self->capacity || self->bytes + size > self->max_bytes)
        s_drop_oldest (self);
    s_entry_t entry = { strdup (event_id), strdup (estate ? estate : ""), strdup (kind), malloc (size ? size : 1),
                        size };
    if (!entry.event_id || !entry.estate || !entry.kind || !entry.data) {
        free (entry.event_id);
        free (entry.estate);
        free (entry.kind);
        free (entry.data);
        return -1;
    }
    memcpy (entry.data, data, size);
    *s_at (self, self->next++) = entry;
    self->bytes += size;
    return 0;
}

int64_t
sse_window_find (const sse_window_t *self, const char *event_id, sse_event_t *event)
{
    assert (self);
    //  Newest first: a reconnecting reader is seldom far behind.
    for (int64_t p = self->next - 1; event_id && p >= self->first; p--) {
        const s_entry_t *e = s_at (self, p);
        if (strcmp (e->event_id, event_id) == 0) {
            if (event)
                *event = (sse_event_t) { e->event_id, e->estate, e->kind, e->data, e->size };
            return p;
        }
    }
    return -1;
}

bool
sse_window_next (const sse_window_t *self, int64_t *at, sse_event_t *event)
{
    assert (self && at && event);
    int64_t p = *at + 1 < self->first ? self->first : *at + 1;
    if (p >= self->next)
        return false;
    const s_entry_t *e = s_at (self, p);
    *event = (sse_event_t) { e->event_id, e->estate, e->kind, e->data, e->size };
    *at = p;
    return true;
}

size_t
sse_window_size (const sse_window_t *self)
{
    assert (self);
    return (size_t) (self->next - self->first);
}
