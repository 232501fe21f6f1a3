/*  http — the gateway's HTTP server. See http.h.  */
#include "http.h"
#include "kf_codec.h"
#include "kf_json.h"
#include "kf_log.h"
#include "kf_openapi.h"
#include "kf_scope.h"
#include "http_guard.h"
#include "sse_window.h"
#include "gateway.pb-c.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define S_SERVICES        KF_SERVICE_COUNT
#define S_TICK_MS         50
#define S_SCRAPE_MS       2000
#define S_SESSION_MS      (12 * 3600 * 1000LL)
#define S_SSE_QUEUE_MAX   (1 << 20)    //  bytes a slow live-stream reader may fall behind
#define S_SSE_PING_MS     15000
#define S_SSE_WINDOW      10000        //  recent events a reconnecting stream may resume from
#define S_SSE_WINDOW_BYTES (8 << 20)   //  ... and their packed bytes at most
#define S_FILE_MAX        (4 << 20)
#define S_SESSION_BODY_MAX 4096        //  a sign-in's body: a token, nothing more
#define S_MHD_RUNS        256          //  MHD_run calls a wake-up at most while MHD has work at once
#define S_READ_BUFFER     (128 << 10)  //  a connection's memory in MHD (it reads half of it at a time)
#define S_SWEEP_MS        200          //  how often connections are looked at for clients gone
#define S_MHD_LOG_PER_S   10           //  libmicrohttpd's lines logged a second at most
#define S_COOKIE          "kefu_session"


typedef enum { C_NEW, C_API, C_SCRAPE, C_STREAM } s_kind_t;

typedef struct {
    http_t *http;
    struct MHD_Connection *connection;
    s_kind_t kind;
    char method [8];
    char path [128];
    const gateway_token_t *token;
    char *body;
    size_t body_size, body_cap;
    bool too_large;
    uint64_t id;
    http_socket_t *socket;   //  its connection's record in the guard
    bool close;              //  answer with Connection: close
    const char *allow;       //  a 405's Allow
    bool suspended;
    int64_t deadline_ms;
    //  The answer, once known.
    bool answered;
    int status;
    char *answer;
    const char *content_type;
    char cookie [128];
    //  /metrics: the replies gathered.
    Kf__BusStatus *statuses [S_SERVICES];
    int64_t *open_cases;
    size_t waiting;
    //  The live stream.
    char *kinds;
    char *queue;
    size_t queue_len;
    uint64_t dropped;
} s_conn_t;

typedef struct {
    const gateway_token_t *token;
    int64_t expires_ms;
} s_session_t;

struct _http_t {
    kf_config_t *config;
    gateway_t *gateway;
    zloop_t *loop;
    struct MHD_Daemon *daemon;
    zmq_pollitem_t item;
    int timer;
    zsock_t *dealers [S_SERVICES];
    zsock_t *sub;
    zhashx_t *pending;       //  request id -> s_conn_t *
    zlistx_t *streams;       //  s_conn_t * of live streams
    zhashx_t *sessions;      //  cookie -> s_session_t *
    gateway_metrics_t *metrics;
    http_guard_t *guard;
    sse_window_t *window;     //  the recent events, for Last-Event-ID
    char *openapi;            //  the API's description, made at start from the schema
    int64_t late_logged_ms;   //  when late heads were last logged
    uint64_t late_unlogged;   //  ... and how many since
    uint64_t next_id;
    size_t max_body;
    int64_t log_second;        //  libmicrohttpd's lines: the second being counted,
    uint64_t log_count, log_dropped;   //  ... lines in it, and those not shown
    int64_t timeout_ms;
    int64_t head_timeout_ms;
    int64_t last_sweep_ms;     //  when connections were last looked at for clients gone
    int64_t last_ping_ms;
    const char *console;
    unsigned port;
};

//  ---- answers ----------------------------------------------------------------------------

static void
s_answer (s_conn_t *c, int status, const char *content_type, char *body)
{
    free (c->answer);
    c->answer = body;
    c->status = status;
    c->content_type = content_type;
    c->answered = true;
}

//  An error in the API's one shape: a kf.Reply with its status and error,
//  as JSON (malloc'd).
static char *
s_reply_json (Kf__ReplyStatus reply_status, const char *format, va_list args)
{
    char text [512];
    vsnprintf (text, sizeof text, format, args);
    Kf__Reply reply = KF__REPLY__INIT;
    reply.status = reply_status;
    reply.has_status = 1;
    reply.error = text;
    return kf_json_encode (&reply.base);
}

static void
s_error (s_conn_t *c, int status, Kf__ReplyStatus reply_status, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *json = s_reply_json (reply_status, format, args);
    va_end (args);
    s_answer (c, status, "application/json", json);
}

static enum MHD_Result
s_send (s_conn_t *c)
{
    const char *body = c->answer ? c->answer : "";
    struct MHD_Response *response = MHD_create_response_from_buffer (strlen (body), (void *) body,
                                                                     MHD_RESPMEM_MUST_COPY);
    if (!response)
        return MHD_NO;
    MHD_add_response_header (response, "Content-Type", c->content_type ? c->content_type : "text/plain");
    MHD_add_response_header (response, "Cache-Control", "no-store");
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    if (c->status == 401)
        MHD_add_response_header (response, "WWW-Authenticate", "Bearer");
    if (c->allow)
        MHD_add_response_header (response, "Allow", c->allow);
    if (c->cookie [0])
        MHD_add_response_header (response, "Set-Cookie", c->cookie);
    if (c->close) {
        MHD_add_response_header (response, "Connection", "close");
        MHD_add_response_header (response, "Retry-After", "1");
    }
    enum MHD_Result rc = MHD_queue_response (c->connection, (unsigned) c->status, response);
    MHD_destroy_response (response);
    kf_info ("%s %s %d%s%s", c->method, c->path, c->status, c->token ? " by " : "", c->token ? c->token->name : "");
    return rc;
}

static void
s_resume (s_conn_t *c)
{
    if (c->suspended) {
        c->suspended = false;
        MHD_resume_connection (c->connection);
        MHD_run (c->http->daemon);
    }
}

static void
s_suspend (s_conn_t *c)
{
    c->suspended = true;
    MHD_suspend_connection (c->connection);
}

static int64_t
s_now (void)
{
    return zclock_mono ();
}

//  ---- who is asking ------------------------------------------------------------------------

static const gateway_token_t *
s_caller (http_t *self, struct MHD_Connection *connection)
{
    const char *authorization = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Authorization");
    if (authorization && strncasecmp (authorization, "Bearer ", 7) == 0)
        return gateway_authenticate (self->gateway, authorization + 7);
    const char *cookie = MHD_lookup_connection_value (connection, MHD_COOKIE_KIND, S_COOKIE);
    s_session_t *session = cookie ? zhashx_lookup (self->sessions, cookie) : NULL;
    if (session && session->expires_ms < s_now ()) {
        zhashx_delete (self->sessions, cookie);
        session = NULL;
    }
    return session ? session->token : NULL;
}

static bool
s_signed_in (s_conn_t *c)
{
    c->token = s_caller (c->http, c->connection);
    if (!c->token)
        s_error (c, 401, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN,
                 "sign in: send Authorization: Bearer <token>, or POST /api/v1/session");
    return c->token != NULL;
}

static bool
s_operations (s_conn_t *c)
{
    if (!s_signed_in (c))
        return false;
    if (c->token->role != KF__ROLE__ROLE_OPERATIONS) {
        s_error (c, 403, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN, "only operations may read the bus and the metrics");
        return false;
    }
    return true;
}

static char *
s_session_view (http_t *self, const gateway_token_t *token)
{
    Kf__SessionView view = KF__SESSION_VIEW__INIT;
    view.name = (char *) token->name;
    view.estate = (char *) token->estate;
    view.role = token->role;
    view.has_role = 1;
    view.staff = (char *) token->staff;
    size_t count = kf_config_estate_count (self->config);
    char **estates = calloc (count + 1, sizeof *estates);
    for (size_t i = 0; estates && i < count; i++) {
        const char *id = kf_config_estate (self->config, i)->id;
        if (kf_scope_sees (token->estate, id))
            estates [view.n_estates++] = (char *) id;
    }
    view.estates = estates;
    char *json = kf_json_encode (&view.base);
    free (estates);
    return json;
}

static void
s_sign_in (http_t *self, s_conn_t *c)
{
    kf_err_t err;
    Kf__SessionRequest *request = (Kf__SessionRequest *) kf_json_decode (&kf__session_request__descriptor,
                                                                         c->body ? c->body : "{}",
                                                                         c->body ? c->body_size : 2, &err);
    if (!request) {
        s_error (c, 400, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, "bad JSON: %s", err.text);
        return;
    }
    const gateway_token_t *token = gateway_authenticate (self->gateway, request->token);
    kf_codec_free ((ProtobufCMessage **) &request);
    if (!token) {
        s_error (c, 401, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN, "that is not a token of this cluster");
        return;
    }
    s_session_t *session = calloc (1, sizeof *session);
    zuuid_t *uuid = zuuid_new ();
    if (!session || !uuid || zhashx_insert (self->sessions, zuuid_str (uuid), session)) {
        free (session);
        zuuid_destroy (&uuid);
        s_error (c, 500, KF__REPLY_STATUS__REPLY_STATUS_INTERNAL, "out of memory");
        return;
    }
    session->token = token;
    session->expires_ms = s_now () + S_SESSION_MS;
    snprintf (c->cookie, sizeof c->cookie, S_COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%lld",
              zuuid_str (uuid), S_SESSION_MS / 1000);
    zuuid_destroy (&uuid);
    c->token = token;
    kf_notice ("session opened for token %s", token->name);
    s_answer (c, 200, "application/json", s_session_view (self, token));
}

static void
s_sign_out (http_t *self, s_conn_t *c)
{
    const char *cookie = MHD_lookup_connection_value (c->connection, MHD_COOKIE_KIND, S_COOKIE);
    if (cookie)
        zhashx_delete (self->sessions, cookie);
    snprintf (c->cookie, sizeof c->cookie, S_COOKIE "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    s_answer (c, 200, "application/json", strdup ("{}"));
}

//  ---- the console's files ---------------------------------------------------------------

static const char *
s_content_type (const char *name)
{
    const char *dot = strrchr (name, '.');
    static const struct { const char *ext, *type; } types [] = {
        { ".html", "text/html; charset=utf-8" }, { ".js", "text/javascript; charset=utf-8" },
        { ".css", "text/css; charset=utf-8" }, { ".svg", "image/svg+xml" }, { ".json", "application/json" },
        { ".yaml", "application/yaml; charset=utf-8" }, { ".png", "image/png" },
    };
    for (size_t i = 0; dot && i < sizeof types / sizeof types [0]; i++)
        if (strcmp (dot, types [i].ext) == 0)
            return types [i].type;
    return "application/octet-stream";
}

static void
s_file (http_t *self, s_conn_t *c, const char *name)
{
    //  A plain file name: letters, digits, '.', '-', '_', not hidden.
    size_t n = strlen (name);
    bool plain = n > 0 && n <= 64 && name [0] != '.';
    for (size_t i = 0; plain && i < n; i++)
        plain = isalnum ((unsigned char) name [i]) || name [i] == '.' || name [i] == '-' || name [i] == '_';
    char path [1024];
    snprintf (path, sizeof path, "%s/%s", self->console, name);
    FILE *file = plain ? fopen (path, "rb") : NULL;
    if (!file) {
        s_error (c, 404, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, "no such page");
        return;
    }
    char *data = malloc (S_FILE_MAX + 1);
    size_t size = data ? fread (data, 1, S_FILE_MAX, file) : 0;
    fclose (file);
    if (!data) {
        s_error (c, 500, KF__REPLY_STATUS__REPLY_STATUS_INTERNAL, "out of memory");
        return;
    }
    data [size] = 0;
    s_answer (c, 200, s_content_type (name), data);
}

//  ---- the API --------------------------------------------------------------------------------

static int
s_send_request (http_t *self, const char *service, Kf__Request *request, const char *request_id)
{
    int i = 0;
    while (i < S_SERVICES && strcmp (kf_config_services () [i], service) != 0)
        i++;
    if (i == S_SERVICES)
        return -1;
    request->request_id = strdup (request_id);
    size_t size = protobuf_c_message_get_packed_size (&request->base);
    zframe_t *frame = zframe_new (NULL, size);
    if (!frame || !request->request_id)
        return -1;
    protobuf_c_message_pack (&request->base, zframe_data (frame));
    if (zframe_send (&frame, self->dealers [i], ZFRAME_DONTWAIT)) {
        zframe_destroy (&frame);
        return -1;
    }
    return 0;
}

static void
s_api (http_t *self, s_conn_t *c, const char *command)
{
    if (!s_signed_in (c))
        return;
    int status;
    const char *to;
    kf_err_t err;
    const char *service = MHD_lookup_connection_value (c->connection, MHD_GET_ARGUMENT_KIND, "service");
    Kf__Request *request = gateway_request (c->token, command, service, c->body, c->body_size, &to, &status, &err);
    if (!request) {
        s_error (c, status, status == 404 ? KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND
                          : status == 403 ? KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN
                          : KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, "%s", err.text);
        return;
    }
    char id [32];
    c->id = ++self->next_id;
    snprintf (id, sizeof id, "g%" PRIu64, c->id);
    int rc = s_send_request (self, to, request, id);
    kf_codec_free ((ProtobufCMessage **) &request);
    if (rc || zhashx_insert (self->pending, id, c)) {
        s_error (c, 503, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE, "kefu-%s cannot be reached", to);
        return;
    }
    c->kind = C_API;
    c->deadline_ms = s_now () + self->timeout_ms;
    s_suspend (c);
}

//  ---- /metrics ---------------------------------------------------------------------------------

static void
s_scrape_done (http_t *self, s_conn_t *c)
{
    const http_guard_stats_t *guard = http_guard_stats (self->guard);
    gateway_metrics_http (self->metrics, guard->open, guard->late_heads, guard->idle_closed, guard->over_cap);
    size_t estates = kf_config_estate_count (self->config);
    const char **ids = malloc ((estates + 1) * sizeof *ids);
    for (size_t e = 0; ids && e < estates; e++)
        ids [e] = kf_config_estate (self->config, e)->id;
    char *text = ids ? gateway_metrics_text (self->metrics, c->token->estate, kf_config_services (), c->statuses,
                                             S_SERVICES, ids, c->open_cases, estates) : NULL;
    free (ids);
    if (text)
        s_answer (c, 200, "text/plain; version=0.0.4", text);
    else
        s_error (c, 500, KF__REPLY_STATUS__REPLY_STATUS_INTERNAL, "out of memory");
    //  Whatever did not answer in time is forgotten.
    char id [48];
    for (int s = 0; s < S_SERVICES; s++) {
        snprintf (id, sizeof id, "g%" PRIu64 "-s%d", c->id, s);
        zhashx_delete (self->pending, id);
    }
    for (size_t e = 0; e < estates; e++) {
        snprintf (id, sizeof id, "g%" PRIu64 "-e%zu", c->id, e);
        zhashx_delete (self->pending, id);
    }
    c->waiting = 0;
    s_resume (c);
}

static void
s_metrics (http_t *self, s_conn_t *c)
{
    if (!s_operations (c))
        return;
    size_t estates = kf_config_estate_count (self->config);
    c->open_cases = malloc ((estates + 1) * sizeof *c->open_cases);
    if (!c->open_cases) {
        s_error (c, 500, KF__REPLY_STATUS__REPLY_STATUS_INTERNAL, "out of memory");
        return;
    }
    c->id = ++self->next_id;
    c->kind = C_SCRAPE;
    char id [48];
    for (int s = 0; s < S_SERVICES; s++) {
        Kf__GetBusStatus get = KF__GET_BUS_STATUS__INIT;
        Kf__Request request = KF__REQUEST__INIT;
        request.scope = (char *) c->token->estate;   //  the daemon cuts its status down to it
        request.role = KF__ROLE__ROLE_OPERATIONS;
        request.has_role = 1;
        request.command_case = KF__REQUEST__COMMAND_BUS_STATUS;
        request.bus_status = &get;
        snprintf (id, sizeof id, "g%" PRIu64 "-s%d", c->id, s);
        if (s_send_request (self, kf_config_services () [s], &request, id) == 0 && zhashx_insert (self->pending, id, c) == 0)
            c->waiting++;
        free (request.request_id);
    }
    for (size_t e = 0; e < estates; e++) {
        c->open_cases [e] = -1;
        if (!kf_scope_sees (c->token->estate, kf_config_estate (self->config, e)->id))
            continue;   //  not asked, not shown
        Kf__PageRequest page = KF__PAGE_REQUEST__INIT;
        page.page_size = 1;
        page.has_page_size = 1;
        Kf__ListTickets list = KF__LIST_TICKETS__INIT;
        list.estate = (char *) kf_config_estate (self->config, e)->id;
        list.status = KF__TICKET_STATUS__TICKET_STATUS_OPEN;
        list.has_status = 1;
        list.page = &page;
        Kf__Request request = KF__REQUEST__INIT;
        request.scope = (char *) c->token->estate;
        request.role = KF__ROLE__ROLE_OPERATIONS;
        request.has_role = 1;
        request.command_case = KF__REQUEST__COMMAND_LIST_TICKETS;
        request.list_tickets = &list;
        snprintf (id, sizeof id, "g%" PRIu64 "-e%zu", c->id, e);
        if (s_send_request (self, "intake", &request, id) == 0 && zhashx_insert (self->pending, id, c) == 0)
            c->waiting++;
        free (request.request_id);
    }
    c->deadline_ms = s_now () + S_SCRAPE_MS;
    s_suspend (c);
}

//  ---- the live stream --------------------------------------------------------------------------

static ssize_t
s_stream_read (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) pos;
    s_conn_t *c = cls;
    if (c->queue_len == 0) {
        //  Nothing to send: park the connection until an event comes.
        s_suspend (c);
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
    char *json = s_reply_json (KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, format, args);
    va_end (args);
    int n = json ? snprintf (buf, size, "event: resync\ndata: %s\n\n", json) : -1;
    free (json);
    return n > 0 && (size_t) n < size ? (size_t) n : 0;
}

//  Queue text for a stream. A reader this far behind loses events, and is
//  told so with a resync event before the next one that fits: its
//  EventSource would otherwise move its last id past the gap unknowing.
static void
s_stream_push (s_conn_t *c, const char *text, size_t size)
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
    s_resume (c);
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
s_stream_resume (http_t *self, s_conn_t *c, const char *last)
{
    //  An id of an event the caller may not see is not found, as one the
    //  window does not hold: nothing tells of another estate's events.
    sse_event_t found;
    int64_t at = sse_window_find (self->window, last, &found);
    if (at < 0 || !gateway_event_visible (c->token, found.estate, found.kind, NULL)) {
        char frame [768];
        size_t n = s_resync (frame, sizeof frame, "event %.64s is not among the gateway's last %zu: some may be "
                             "missed, reload", last, sse_window_size (self->window));
        s_stream_push (c, frame, n);
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
            s_stream_push (c, text, strlen (text));
        resent += text != NULL;
        free (text);
        kf_codec_free ((ProtobufCMessage **) &event);
    }
    kf_info ("live stream of %s resumed after %.64s: %zu events sent again", c->token->name, last, resent);
}

static enum MHD_Result
s_stream (http_t *self, s_conn_t *c)
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
static int
s_on_event (zloop_t *loop, zsock_t *sub, void *arg)
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
        for (s_conn_t *c = zlistx_first (self->streams); c; c = zlistx_next (self->streams)) {
            if (!gateway_event_visible (c->token, event->estate, kind, c->kinds))
                continue;
            if (!text && !(text = s_event_text (event, kind)))
                break;
            s_stream_push (c, text, strlen (text));
        }
        free (text);
        kf_codec_free ((ProtobufCMessage **) &event);
    }
    zstr_free (&topic);
    zframe_destroy (&frame);
    return 0;
}

//  ---- replies from the daemons ------------------------------------------------------------------

static int
s_on_reply (zloop_t *loop, zsock_t *dealer, void *arg)
{
    (void) loop;
    http_t *self = arg;
    zframe_t *frame = zframe_recv (dealer);
    if (!frame)
        return 0;
    Kf__Reply *reply = (Kf__Reply *) kf_codec_unpack (&kf__reply__descriptor, zframe_data (frame), zframe_size (frame),
                                                      NULL);
    zframe_destroy (&frame);
    s_conn_t *c = reply && reply->request_id ? zhashx_lookup (self->pending, reply->request_id) : NULL;
    if (!c) {
        kf_codec_free ((ProtobufCMessage **) &reply);
        return 0;   //  too late: answered with 504 already
    }
    zhashx_delete (self->pending, reply->request_id);
    if (c->kind == C_API) {
        int status;
        char *json = gateway_reply_json (reply, &status);
        if (json)
            s_answer (c, status, "application/json", json);
        else
            s_error (c, 500, KF__REPLY_STATUS__REPLY_STATUS_INTERNAL, "out of memory");
        s_resume (c);
    }
    else
    if (c->kind == C_SCRAPE) {
        const char *dash = strrchr (reply->request_id, '-');
        int which = dash ? atoi (dash + 2) : -1;
        if (dash && dash [1] == 's' && which >= 0 && which < S_SERVICES
        &&  reply->result_case == KF__REPLY__RESULT_BUS_STATUS && !c->statuses [which]) {
            c->statuses [which] = reply->bus_status;
            reply->bus_status = NULL;
            reply->result_case = KF__REPLY__RESULT__NOT_SET;
        }
        if (dash && dash [1] == 'e' && which >= 0 && (size_t) which < kf_config_estate_count (self->config)
        &&  reply->result_case == KF__REPLY__RESULT_TICKETS)
            c->open_cases [which] = (int64_t) reply->tickets->total;
        if (--c->waiting == 0)
            s_scrape_done (self, c);
    }
    kf_codec_free ((ProtobufCMessage **) &reply);
    return 0;
}

//  ---- the MHD callbacks ------------------------------------------------------------------------

//  The most a route's body may be: a sign-in's is small, and never more
//  than max_body.
static size_t
s_body_limit (const http_t *self, const char *url)
{
    if (strcmp (url, "/api/v1/session") == 0)
        return S_SESSION_BODY_MAX < self->max_body ? S_SESSION_BODY_MAX : self->max_body;
    return self->max_body;
}

//  A route with the methods it takes: another method gets 405 with Allow.
static bool
s_method (s_conn_t *c, const char *method, const char *allowed)
{
    size_t n = strlen (method);
    for (const char *p = allowed; *p; ) {
        size_t len = strcspn (p, ",");
        if (len == n && strncmp (p, method, n) == 0)
            return true;
        p += len;
        p += strspn (p, ", ");
    }
    c->allow = allowed;
    s_error (c, 405, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, "%s takes %s only", c->path, allowed);
    return false;
}

static enum MHD_Result
s_route (http_t *self, s_conn_t *c, const char *url, const char *method)
{
    bool api = strncmp (url, "/api/v1/", 8) == 0;
    if (c->too_large)
        s_error (c, 413, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, "the body is larger than %zu bytes",
                 s_body_limit (self, url));
    else
    if (strcmp (url, "/healthz") == 0) {
        if (s_method (c, method, "GET, HEAD"))
            s_answer (c, 200, "text/plain", strdup ("ok\n"));
    }
    else
    if (strcmp (url, "/") == 0 || strcmp (url, "/console") == 0 || strcmp (url, "/console/") == 0) {
        if (s_method (c, method, "GET, HEAD"))
            s_file (self, c, "index.html");
    }
    else
    if (strcmp (url, "/console/openapi.json") == 0 || strcmp (url, "/console/openapi.yaml") == 0) {
        //  Made from the descriptors the codec uses (kf_openapi): JSON,
        //  which is YAML too.
        if (s_method (c, method, "GET, HEAD"))
            s_answer (c, 200, strstr (url, ".json") ? "application/json" : "application/yaml; charset=utf-8",
                      strdup (self->openapi));
    }
    else
    if (strncmp (url, "/console/", 9) == 0) {
        if (s_method (c, method, "GET, HEAD"))
            s_file (self, c, url + 9);
    }
    else
    if (strcmp (url, "/api/v1/session") == 0) {
        if (s_method (c, method, "POST, DELETE")) {
            if (strcmp (method, "POST") == 0)
                s_sign_in (self, c);
            else
                s_sign_out (self, c);
        }
    }
    else
    if (strcmp (url, "/api/v1/whoami") == 0) {
        if (s_method (c, method, "GET") && s_signed_in (c))
            s_answer (c, 200, "application/json", s_session_view (self, c->token));
    }
    else
    if (strcmp (url, "/api/v1/events") == 0) {
        if (s_method (c, method, "GET") && s_operations (c))
            return s_stream (self, c);
    }
    else
    if (strcmp (url, "/metrics") == 0) {
        if (s_method (c, method, "GET, HEAD"))
            s_metrics (self, c);
    }
    else
    if (api) {
        //  A command changes things or may: POST only, never a link to follow.
        if (s_method (c, method, "POST"))
            s_api (self, c, url + 8);
    }
    else
        s_error (c, 404, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, "no such page");
    return c->answered ? s_send (c) : MHD_YES;
}

//  Before a byte of the body is read, from the headers alone: a command
//  from nobody gets its 401, and a body over the route's limit its 413, at
//  once, so an unauthenticated client cannot make the gateway buffer
//  megabytes (memory stays within connections x max_body, and only for
//  callers with a token). Returns true when it answered.
//  A browser sends the session cookie with a request any site's page
//  makes: a change riding on the cookie (or a sign-in) must come from the
//  console's own origin, as JSON, which a page of another site cannot
//  send without the browser asking first. A Bearer token is never sent by
//  a browser on its own, so API clients (curl) are not asked. Returns
//  true when it answered 415 or 403.
static bool
s_from_another_site (s_conn_t *c)
{
    struct MHD_Connection *connection = c->connection;
    if (MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Authorization"))
        return false;
    const char *type = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Content-Type");
    if (!type || strncasecmp (type, "application/json", 16) != 0) {
        s_error (c, 415, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST,
                 "send JSON (Content-Type: application/json), or a Bearer token");
        return true;
    }
    const char *site = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Sec-Fetch-Site");
    const char *origin = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Host");
    const char *origin_host = origin ? strstr (origin, "://") : NULL;
    bool foreign = (site && strcmp (site, "same-origin") != 0 && strcmp (site, "none") != 0)
                || (origin && (!origin_host || !host || strcasecmp (origin_host + 3, host) != 0));
    if (foreign)
        s_error (c, 403, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN,
                 "a request from another site's page: the console's own origin only");
    return foreign;
}

static bool
s_refuse_early (http_t *self, s_conn_t *c, const char *url, const char *method)
{
    if (strcmp (method, "POST") != 0 && strcmp (method, "PUT") != 0)
        return false;
    if (strncmp (url, "/api/v1/", 8) == 0 && s_from_another_site (c))
        return true;
    bool session = strcmp (url, "/api/v1/session") == 0;
    if (!session && strncmp (url, "/api/v1/", 8) == 0 && !s_signed_in (c))
        return true;
    size_t limit = s_body_limit (self, url);
    const char *length = MHD_lookup_connection_value (c->connection, MHD_HEADER_KIND, "Content-Length");
    char *end = NULL;
    unsigned long long declared = length ? strtoull (length, &end, 10) : 0;
    if (length && end && *end == 0 && declared > limit) {
        s_error (c, 413, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, "the body is larger than %zu bytes", limit);
        return true;
    }
    return false;
}

static enum MHD_Result
s_access (void *cls, struct MHD_Connection *connection, const char *url, const char *method, const char *version,
          const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void) version;
    http_t *self = cls;
    s_conn_t *c = *con_cls;
    if (!c) {
        c = calloc (1, sizeof *c);
        if (!c)
            return MHD_NO;
        c->http = self;
        c->connection = connection;
        snprintf (c->method, sizeof c->method, "%s", method);
        snprintf (c->path, sizeof c->path, "%s", url);
        *con_cls = c;
        const union MHD_ConnectionInfo *info = MHD_get_connection_info (connection,
                                                                        MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        c->socket = info ? info->socket_context : NULL;
        //  Over the cap, a clear 503 (health checks are still answered:
        //  the gateway is up, and full).
        const char *length = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Content-Length");
        bool body = (length && strcmp (length, "0") != 0)
                 || MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Transfer-Encoding");
        if (!http_guard_head (self->guard, c->socket, body) && strcmp (url, "/healthz") != 0) {
            c->close = true;
            s_error (c, 503, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE,
                     "the gateway has its %zu connections open: try again shortly",
                     http_guard_max_connections (self->guard));
            return s_send (c);
        }
        if (s_refuse_early (self, c, url, method))
            return s_send (c);   //  answered now: the body is never read
        http_guard_check (self->guard, c->socket);   //  a head, part of a body, and the client's end
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        http_guard_check (self->guard, c->socket);   //  a part of a body and then the end
        size_t limit = s_body_limit (self, url);
        if (c->too_large || c->body_size + n > limit) {
            c->too_large = true;
            return MHD_YES;
        }
        if (c->body_size + n + 1 > c->body_cap) {
            //  Doubling, never past the route's limit (and its NUL).
            size_t cap = (c->body_size + n + 1) * 2;
            if (cap > limit + 1)
                cap = limit + 1;
            char *grown = realloc (c->body, cap);
            if (!grown)
                return MHD_NO;
            c->body = grown;
            c->body_cap = cap;
        }
        memcpy (c->body + c->body_size, upload_data, n);
        c->body_size += n;
        c->body [c->body_size] = 0;
        return MHD_YES;
    }
    if (c->answered)
        return s_send (c);       //  resumed with its answer
    if (c->kind != C_NEW)
        return MHD_YES;          //  still waiting
    http_guard_body_done (self->guard, c->socket);   //  whole: a half-closed client still gets its answer
    return s_route (self, c, url, method);
}

static void
s_completed (void *cls, struct MHD_Connection *connection, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void) connection; (void) toe;
    http_t *self = cls;
    s_conn_t *c = *con_cls;
    if (!c)
        return;
    http_guard_answered (self->guard, c->socket, s_now ());
    if (c->kind == C_STREAM) {
        void *handle = zlistx_find (self->streams, c);
        if (handle)
            zlistx_delete (self->streams, handle);
        kf_info ("live stream of %s closed", c->token ? c->token->name : "?");
    }
    for (int s = 0; s < S_SERVICES; s++)
        kf_codec_free ((ProtobufCMessage **) &c->statuses [s]);
    free (c->open_cases);
    free (c->body);
    free (c->answer);
    free (c->kinds);
    free (c->queue);
    free (c);
    *con_cls = NULL;
}

//  ---- the loop ----------------------------------------------------------------------------------

//  Every connection, from accept to close, is known to the guard.
static void
s_connection (void *cls, struct MHD_Connection *connection, void **socket_context,
              enum MHD_ConnectionNotificationCode code)
{
    http_t *self = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = info ? http_guard_opened (self->guard, info->connect_fd, s_now ()) : NULL;
    }
    else
        http_guard_closed (self->guard, (http_socket_t **) socket_context);
}

//  Connections whose request head is late are shut down; said once a
//  minute with the count, so a slow-client flood is one line.
static void
s_expire_heads (http_t *self, int64_t now)
{
    self->late_unlogged += http_guard_expire (self->guard, now);
    if (self->late_unlogged && now - self->late_logged_ms >= 60000) {
        kf_warning ("http: closed %" PRIu64 " connection%s whose request head was not whole within %" PRId64 " ms",
                    self->late_unlogged, self->late_unlogged == 1 ? "" : "s", self->head_timeout_ms);
        self->late_unlogged = 0;
        self->late_logged_ms = now;
    }
}

//  Enough file descriptors for every connection the gateway accepts, its
//  sockets to the daemons and its files: the soft limit (often 1024) is
//  raised towards the hard one.
static void
s_descriptors (size_t connections)
{
    struct rlimit limit;
    rlim_t want = (rlim_t) connections + 256;
    if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= want)
        return;
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= want ? want : limit.rlim_max;
    if (setrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < want)
        kf_warning ("http: %llu file descriptors at most (ulimit -n): fewer than max_connections needs",
                    (unsigned long long) limit.rlim_cur);
}

//  libmicrohttpd's messages go through kf_log: timestamped, leveled, their
//  control characters escaped, and at most S_MHD_LOG_PER_S a second (a
//  flood of clients closing early is one line a second and a count).
static void
s_mhd_log (void *arg, const char *format, va_list args)
{
    http_t *self = arg;
    int64_t second = s_now () / 1000;
    if (second != self->log_second) {
        if (self->log_dropped)
            kf_info ("http: %llu more libmicrohttpd messages in the last second, not shown",
                     (unsigned long long) self->log_dropped);
        self->log_second = second;
        self->log_count = self->log_dropped = 0;
    }
    if (++self->log_count > S_MHD_LOG_PER_S) {
        self->log_dropped++;
        return;
    }
    char line [512];
    vsnprintf (line, sizeof line, format, args);
    size_t n = strlen (line);
    while (n && (line [n - 1] == '\n' || line [n - 1] == '\r'))
        line [--n] = 0;
    kf_info ("http: %s", line);
}

//  Percent-decoding of paths and arguments, as libmicrohttpd's own, except
//  that %00 stays as it is: a NUL would cut the path short
//  ("/console/app.js%00.png" serving app.js).
static size_t
s_unescape (void *arg, struct MHD_Connection *connection, char *text)
{
    (void) arg; (void) connection;
    char *out = text;
    for (const char *in = text; *in; ) {
        if (in [0] == '%' && isxdigit ((unsigned char) in [1]) && isxdigit ((unsigned char) in [2])
        &&  !(in [1] == '0' && in [2] == '0')) {
            char hex [3] = { in [1], in [2], 0 };
            *out++ = (char) strtol (hex, NULL, 16);
            in += 3;
        }
        else
            *out++ = *in++;
    }
    *out = 0;
    return (size_t) (out - text);
}

//  MHD's epoll set is edge-triggered: what one run leaves readable does
//  not wake the loop again, so a body would move one buffer per tick.
//  Run while MHD says it has work now (a timeout of 0), bounded so the
//  loop's other sockets get their turn.
static void
s_run_mhd (http_t *self)
{
    MHD_UNSIGNED_LONG_LONG timeout = 0;
    int runs = 0;
    do
        MHD_run (self->daemon);
    while (++runs < S_MHD_RUNS && MHD_get_timeout (self->daemon, &timeout) == MHD_YES && timeout == 0);
}

static int
s_on_mhd (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop; (void) item;
    s_run_mhd ((http_t *) arg);
    return 0;
}

//  The periodic work: MHD's own timeouts, requests whose daemon did not
//  answer in time, and a comment on idle live streams so that proxies
//  keep them open.
static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    http_t *self = arg;
    int64_t now = s_now ();
    zlistx_t *late = zlistx_new ();
    for (s_conn_t *c = zhashx_first (self->pending); c && late; c = zhashx_next (self->pending))
        if (c->deadline_ms < now && !zlistx_find (late, c))
            zlistx_add_end (late, c);
    for (s_conn_t *c = late ? zlistx_first (late) : NULL; c; c = zlistx_next (late)) {
        if (c->kind == C_SCRAPE)
            s_scrape_done (self, c);
        else {
            char id [32];
            snprintf (id, sizeof id, "g%" PRIu64, c->id);
            zhashx_delete (self->pending, id);
            s_error (c, 504, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE, "no answer from the daemon in time");
            s_resume (c);
        }
    }
    zlistx_destroy (&late);
    s_expire_heads (self, now);
    if (now - self->last_sweep_ms >= S_SWEEP_MS) {
        self->last_sweep_ms = now;
        http_guard_sweep (self->guard);
    }
    if (now - self->last_ping_ms > S_SSE_PING_MS) {
        self->last_ping_ms = now;
        for (s_conn_t *c = zlistx_first (self->streams); c; c = zlistx_next (self->streams))
            s_stream_push (c, ": ping\n\n", 8);
    }
    s_run_mhd (self);
    return 0;
}

static int
s_listen_address (const char *listen, struct sockaddr_in *addr, kf_err_t *err)
{
    char host [64];
    unsigned port;
    memset (addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    if (sscanf (listen, "%63[^:]:%u", host, &port) != 2 || port > 65535
    ||  inet_pton (AF_INET, strcmp (host, "localhost") == 0 ? "127.0.0.1" : host, &addr->sin_addr) != 1)
        return kf_err_set (err, "services/gateway/listen: '%s' is not an IPv4 host:port", listen);
    addr->sin_port = htons ((uint16_t) port);
    return 0;
}

http_t *
http_new (kf_config_t *config, kf_net_t *net, gateway_t *gateway, zloop_t *loop, kf_err_t *err)
{
    assert (config && net && gateway && loop);
    http_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->config = config;
    self->gateway = gateway;
    self->loop = loop;
    self->max_body = (size_t) kf_config_int (config, "services/gateway/max_body");
    self->timeout_ms = kf_config_duration_ms (config, "services/gateway/timeout");
    self->console = kf_config_str (config, "services/gateway/console");
    size_t max_connections = (size_t) kf_config_int (config, "services/gateway/max_connections");
    self->head_timeout_ms = kf_config_duration_ms (config, "services/gateway/head_timeout");
    int64_t idle_ms = kf_config_duration_ms (config, "services/gateway/idle_timeout");
    self->guard = http_guard_new (max_connections, self->head_timeout_ms, idle_ms);
    self->window = sse_window_new (S_SSE_WINDOW, S_SSE_WINDOW_BYTES);
    self->openapi = kf_openapi_document ();
    self->pending = zhashx_new ();
    self->streams = zlistx_new ();
    self->sessions = zhashx_new ();
    self->metrics = gateway_metrics_new ();
    if (!self->pending || !self->streams || !self->sessions || !self->metrics || !self->guard
    ||  !self->window || !self->openapi) {
        kf_err_set (err, "out of memory");
        http_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->sessions, (zhashx_destructor_fn *) zstr_free);
    for (int s = 0; s < S_SERVICES; s++) {
        char key [64];
        snprintf (key, sizeof key, "services/%s/endpoint", kf_config_services () [s]);
        self->dealers [s] = zsock_new (ZMQ_DEALER);
        if (!self->dealers [s] || kf_net_connect (net, self->dealers [s], kf_config_str (config, key), err)) {
            http_destroy (&self);
            return NULL;
        }
        zsock_set_sndhwm (self->dealers [s], 10000);
        zloop_reader (loop, self->dealers [s], s_on_reply, self);
    }
    self->sub = zsock_new (ZMQ_SUB);
    if (!self->sub || kf_net_connect (net, self->sub, kf_config_str (config, "bus/subscribe"), err)) {
        http_destroy (&self);
        return NULL;
    }
    zsock_set_subscribe (self->sub, "");
    zloop_reader (loop, self->sub, s_on_event, self);
    struct sockaddr_in addr;
    if (s_listen_address (kf_config_str (config, "services/gateway/listen"), &addr, err)) {
        http_destroy (&self);
        return NULL;
    }
    //  MHD accepts a few past max_connections, so that those get a 503
    //  that says why rather than a closed socket.
    size_t accepted = max_connections + (max_connections / 8 > 16 ? max_connections / 8 : 16);
    s_descriptors (accepted);
    self->daemon = MHD_start_daemon (MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                                     s_access, self, MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, self,
                                     MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
                                     MHD_OPTION_NOTIFY_COMPLETED, s_completed, self,
                                     MHD_OPTION_NOTIFY_CONNECTION, s_connection, self,
                                     //  A second after the guard's own idle close, so that a kept-alive
                                     //  connection is the guard's to close and count; MHD's ends a
                                     //  request gone silent half way.
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) ((idle_ms + 999) / 1000 + 1),
                                     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) S_READ_BUFFER,
                                     MHD_OPTION_UNESCAPE_CALLBACK, s_unescape, self,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned) accepted,
                                     MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                     (unsigned) kf_config_int (config, "services/gateway/max_per_address"),
                                     MHD_OPTION_END);
    if (!self->daemon) {
        kf_err_set (err, "cannot listen on %s: %s", kf_config_str (config, "services/gateway/listen"), strerror (errno));
        http_destroy (&self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    const union MHD_DaemonInfo *port = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = port ? port->port : 0;
    self->item = (zmq_pollitem_t) { NULL, info ? info->epoll_fd : -1, ZMQ_POLLIN, 0 };
    if (!info || zloop_poller (loop, &self->item, s_on_mhd, self)
    ||  (self->timer = zloop_timer (loop, S_TICK_MS, 0, s_on_tick, self)) == -1) {
        kf_err_set (err, "cannot serve HTTP from the loop");
        http_destroy (&self);
        return NULL;
    }
    kf_notice ("HTTP on %s, port %u: API /api/v1, console /, metrics /metrics; %zu token%s",
               inet_ntoa (addr.sin_addr), self->port, gateway_token_count (gateway),
               gateway_token_count (gateway) == 1 ? "" : "s");
    return self;
}

void
http_destroy (http_t **self_p)
{
    assert (self_p);
    http_t *self = *self_p;
    if (!self)
        return;
    if (self->daemon) {
        zloop_poller_end (self->loop, &self->item);
        zloop_timer_end (self->loop, self->timer);
        //  Parked connections must run again to be closed.
        for (s_conn_t *c = zlistx_first (self->streams); c; c = zlistx_next (self->streams))
            if (c->suspended) {
                c->suspended = false;
                MHD_resume_connection (c->connection);
            }
        for (s_conn_t *c = zhashx_first (self->pending); c; c = zhashx_next (self->pending))
            if (c->suspended) {
                c->suspended = false;
                MHD_resume_connection (c->connection);
            }
        MHD_stop_daemon (self->daemon);
    }
    for (int s = 0; s < S_SERVICES; s++) {
        if (self->dealers [s])
            zloop_reader_end (self->loop, self->dealers [s]);
        zsock_destroy (&self->dealers [s]);
    }
    if (self->sub)
        zloop_reader_end (self->loop, self->sub);
    zsock_destroy (&self->sub);
    zhashx_destroy (&self->pending);
    zlistx_destroy (&self->streams);
    zhashx_destroy (&self->sessions);
    gateway_metrics_destroy (&self->metrics);
    http_guard_destroy (&self->guard);
    sse_window_destroy (&self->window);
    free (self->openapi);
    free (self);
    *self_p = NULL;
}

unsigned
http_port (http_t *self)
{
    return self->port;
}
