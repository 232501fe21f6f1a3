/*  http_stream — the live stream: events as Server-Sent Events with their
    ids, a reader resumed from the recent window (Last-Event-ID), told to
    resync when it missed events. See http_private.h.
*/
#include "http_private.h"

//  ---- the live stream --------------------------------------------------------------------------

static ssize_t
s_stream_read (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) pos;
    http_conn_t *c = cls;
    if (c->queue_len == 0 && c->ended)
        return MHD_CONTENT_READER_END_OF_STREAM;   //  its session ended
    if (c->queue_len == 0) {
        //  Nothing to send: park the connection until an event comes.
        http_suspend (c);
        return 0;
    }
    size_t n = c->queue_len < max ? c->queue_len : max;
    memcpy (buf, c->queue, n);
    memmove (c->queue, c->queue + n, c->queue_len - n);
    c->queue_len -= n;
    return (ssize_t) n;
}

//  A `resync` event: the reader has missed events and should reload what
//  it shows. Its data is a kf.Reply with the reason. Into buf; its length,
//  0 when it does not fit.
static size_t
s_resync (char *buf, size_t size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *json = http_reply_json (KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, format, args);
    va_end (args);
    int n = json ? snprintf (buf, size, "event: resync\ndata: %s\n\n", json) : -1;
    free (json);
    return n > 0 && (size_t) n < size ? (size_t) n : 0;
}

//  Queue text for a stream. A reader this far behind loses events, and is
//  told so with a resync event before the next one that fits: its
//  EventSource would otherwise move its last id past the gap unknowing.
void
http_stream_push (http_conn_t *c, const char *text, size_t size)
{
    char note [768];
    size_t n = c->dropped ? s_resync (note, sizeof note, "%" PRIu64 " events were dropped: this reader is too "
                                      "slow; reload", c->dropped) : 0;
    if (c->queue_len + n + size > S_SSE_QUEUE_MAX) {
        c->dropped++;
        return;
    }
    memcpy (c->queue + c->queue_len, note, n);
    memcpy (c->queue + c->queue_len + n, text, size);
    c->queue_len += n + size;
    c->dropped = 0;
    http_resume (c);
}

//  An event as the stream sends it: its id (the envelope's event id, so
//  a reconnecting reader can say where it stopped), its kind, its JSON.
//  An id that could break the framing (a line break) is left out.
static char *
s_event_text (const Kf__Envelope *event, const char *kind)
{
    char *json = kf_json_encode (&event->base);
    if (!json)
        return NULL;
    const char *id = event->event_id && !strpbrk (event->event_id, "\r\n") ? event->event_id : NULL;
    size_t size = strlen (json) + (id ? strlen (id) : 0) + strlen (kind) + 32;
    char *text = malloc (size);
    if (text)
        snprintf (text, size, "%s%s%sevent: %s\ndata: %s\n\n", id ? "id: " : "", id ? id : "", id ? "\n" : "",
                  kind, json);
    free (json);
    return text;
}

//  A reconnecting reader: the events after the one it names, that it may
//  see, from the recent window, before the live ones. When the window no
//  longer holds it (or a restarted gateway never did), a `resync` event
//  says so, for the reader to reload what it shows.
static void
s_stream_resume (http_t *self, http_conn_t *c, const char *last)
{
    //  An id of an event the caller may not see is not found, as one the
    //  window does not hold: nothing tells of another estate's events.
    sse_event_t found;
    int64_t at = sse_window_find (self->window, last, &found);
    if (at < 0 || !gateway_event_visible (c->token, found.estate, found.kind, NULL)) {
        char frame [768];
        size_t n = s_resync (frame, sizeof frame, "event %.64s is not among the gateway's last %zu: some may be "
                             "missed, reload", last, sse_window_size (self->window));
        http_stream_push (c, frame, n);
        return;
    }
    size_t resent = 0;
    sse_event_t e;
    while (sse_window_next (self->window, &at, &e)) {
        if (!gateway_event_visible (c->token, e.estate, e.kind, c->kinds))
            continue;
        Kf__Envelope *event = (Kf__Envelope *) kf_codec_unpack (&kf__envelope__descriptor, e.data, e.size, NULL);
        char *text = event ? s_event_text (event, e.kind) : NULL;
        if (text)
            http_stream_push (c, text, strlen (text));
        resent += text != NULL;
        free (text);
        kf_codec_free ((ProtobufCMessage **) &event);
    }
    kf_info ("live stream of %s resumed after %.64s: %zu events sent again", c->token->name, last, resent);
}

enum MHD_Result
http_stream (http_t *self, http_conn_t *c)
{
    const char *kinds = MHD_lookup_connection_value (c->connection, MHD_GET_ARGUMENT_KIND, "kinds");
    c->kinds = kinds ? strdup (kinds) : NULL;
    c->queue = malloc (S_SSE_QUEUE_MAX);
    if (!c->queue || !zlistx_add_end (self->streams, c))
        return MHD_NO;
    c->kind = C_STREAM;
    http_guard_streaming (self->guard, c->socket);
    const char *hello = ": kefu live events\n\n";
    memcpy (c->queue, hello, strlen (hello));
    c->queue_len = strlen (hello);
    const char *last = MHD_lookup_connection_value (c->connection, MHD_HEADER_KIND, "Last-Event-ID");
    if (!last)
        last = MHD_lookup_connection_value (c->connection, MHD_GET_ARGUMENT_KIND, "last_event_id");
    if (last && *last)
        s_stream_resume (self, c, last);
    struct MHD_Response *response = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, 4096, s_stream_read, c, NULL);
    if (!response)
        return MHD_NO;
    MHD_add_response_header (response, "Content-Type", "text/event-stream");
    MHD_add_response_header (response, "Cache-Control", "no-store");
    enum MHD_Result rc = MHD_queue_response (c->connection, MHD_HTTP_OK, response);
    MHD_destroy_response (response);
    kf_info ("live stream opened by %s (%s)", c->token->name, c->kinds ? c->kinds : "all kinds");
    return rc;
}

//  An event from the bus: counted, and sent to each stream that may see it.
int
http_on_event (zloop_t *loop, zsock_t *sub, void *arg)
{
    (void) loop;
    http_t *self = arg;
    zmsg_t *msg = zmsg_recv (sub);
    if (!msg)
        return 0;
    char *topic = zmsg_popstr (msg);
    zframe_t *frame = zmsg_pop (msg);
    zmsg_destroy (&msg);
    if (topic && frame && strcmp (topic, "_sys/bus") == 0) {
        Kf__BusCounters *counters = (Kf__BusCounters *) kf_codec_unpack (&kf__bus_counters__descriptor,
                                                                         zframe_data (frame), zframe_size (frame), NULL);
        if (counters)
            gateway_metrics_bus (self->metrics, counters);
        kf_codec_free ((ProtobufCMessage **) &counters);
    }
    Kf__Envelope *event = topic && frame && strncmp (topic, "_sys/", 5) != 0
                        ? (Kf__Envelope *) kf_codec_unpack (&kf__envelope__descriptor, zframe_data (frame),
                                                            zframe_size (frame), NULL) : NULL;
    if (event) {
        char kind [64];
        kf_codec_event_kind (&event->base, kind, sizeof kind);
        gateway_metrics_event (self->metrics, event->estate, kind);
        if (event->event_id)
            sse_window_add (self->window, event->event_id, event->estate, kind, zframe_data (frame),
                            zframe_size (frame));
        char *text = NULL;
        for (http_conn_t *c = zlistx_first (self->streams); c; c = zlistx_next (self->streams)) {
            if (c->ended || !gateway_event_visible (c->token, event->estate, kind, c->kinds))
                continue;
            if (!text && !(text = s_event_text (event, kind)))
                break;
            http_stream_push (c, text, strlen (text));
        }
        free (text);
        kf_codec_free ((ProtobufCMessage **) &event);
    }
    zstr_free (&topic);
    zframe_destroy (&frame);
    return 0;
}
