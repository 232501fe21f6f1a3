/*  sse_window — the gateway's recent events, so that a live stream that
    reconnects resumes where it stopped (issue 18.7).

    Every event the gateway hears is kept here, packed as it came, with its
    envelope's event id, estate and kind, up to a number of events and of
    bytes; the oldest go first. The SSE stream sends each event with
    `id: <event id>`, and a reconnecting EventSource sends it back as
    Last-Event-ID: the events after it, that the caller may see, are sent
    again before the live ones. An id the window no longer holds (or never
    did: a gateway restarted since) is "too old", and the stream says so.
*/
#ifndef SSE_WINDOW_H_INCLUDED
#define SSE_WINDOW_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _sse_window_t sse_window_t;

typedef struct {
    const char *event_id, *estate, *kind;
    const uint8_t *data;   //  the packed envelope
    size_t size;
} sse_event_t;

sse_window_t *sse_window_new (size_t max_events, size_t max_bytes);
void sse_window_destroy (sse_window_t **self_p);

//  Keep an event (copied); the oldest go when the window is full. -1 when
//  out of memory (the event is then not kept).
int sse_window_add (sse_window_t *self, const char *event_id, const char *estate, const char *kind,
                    const uint8_t *data, size_t size);

//  Where the window holds `event_id`: a position to read after (and the
//  event, into *event when not NULL), or -1.
int64_t sse_window_find (const sse_window_t *self, const char *event_id, sse_event_t *event);

//  The event after position *at, moving *at on; false when there is none.
bool sse_window_next (const sse_window_t *self, int64_t *at, sse_event_t *event);

//  How many events it holds.
size_t sse_window_size (const sse_window_t *self);

#endif
