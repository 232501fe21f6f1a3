/*  http — the gateway's HTTP server: answers, libmicrohttpd's callbacks
    (routes, bodies, refusals before the body), the loop and the server's
    life. See http.h; the other parts are named in http_private.h.
*/
#include "http_private.h"

//  ---- answers ----------------------------------------------------------------------------

void
http_answer (http_conn_t *c, int status, const char *content_type, char *body)
{
    free (c->answer);
    c->answer = body;
    c->status = status;
    c->content_type = content_type;
    c->answered = true;
}

//  An error in the API's one shape: a kf.Reply with its status and error,
//  as JSON (malloc'd).
char *
http_reply_json (Kf__ReplyStatus reply_status, const char *format, va_list args)
{
    char text [512];
    vsnprintf (text, sizeof text, format, args);
    Kf__Reply reply = KF__REPLY__INIT;
    KF_SET (&reply, status, reply_status);
    reply.error = text;
    return kf_json_encode (&reply.base);
}

void
http_error (http_conn_t *c, int status, Kf__ReplyStatus reply_status, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *json = http_reply_json (reply_status, format, args);
    va_end (args);
    http_answer (c, status, "application/json", json);
}

static enum MHD_Result
s_send (http_conn_t *c)
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

void
http_resume (http_conn_t *c)
{
    if (c->suspended) {
        c->suspended = false;
        MHD_resume_connection (c->connection);
        MHD_run (c->http->daemon);
    }
}

void
http_suspend (http_conn_t *c)
{
    c->suspended = true;
    MHD_suspend_connection (c->connection);
}

int64_t
http_now (void)
{
    return zclock_mono ();
}

//  ---- the MHD callbacks ------------------------------------------------------------------------

//  The routes that open a session: the only POSTs to /api/v1/ of callers
//  not signed in.
static bool
s_signs_in (const char *url)
{
    return strcmp (url, "/api/v1/session") == 0 || strcmp (url, "/api/v1/owner_code") == 0
        || strcmp (url, "/api/v1/owner_session") == 0;
}

//  The most a route's body may be: a sign-in's is small, and never more
//  than max_body.
static size_t
s_body_limit (const http_t *self, const char *url)
{
    if (s_signs_in (url))
        return S_SESSION_BODY_MAX < self->max_body ? S_SESSION_BODY_MAX : self->max_body;
    if (strcmp (url, "/payments/callback") == 0)
        return S_PAYMENT_BODY_MAX < self->max_body ? S_PAYMENT_BODY_MAX : self->max_body;
    return self->max_body;
}

//  A route with the methods it takes: another method gets 405 with Allow.
static bool
s_method (http_conn_t *c, const char *method, const char *allowed)
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
    http_error (c, 405, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, "%s takes %s only", c->path, allowed);
    return false;
}

static enum MHD_Result
s_route (http_t *self, http_conn_t *c, const char *url, const char *method)
{
    bool api = strncmp (url, "/api/v1/", 8) == 0;
    if (c->too_large)
        http_error (c, 413, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, "the body is larger than %zu bytes",
                    s_body_limit (self, url));
    else
    if (strcmp (url, "/healthz") == 0) {
        if (s_method (c, method, "GET, HEAD"))
            http_answer (c, 200, "text/plain", strdup ("ok\n"));
    }
    else
    if (strcmp (url, "/") == 0 || strcmp (url, "/console") == 0 || strcmp (url, "/console/") == 0) {
        if (s_method (c, method, "GET, HEAD"))
            http_file (self, c, "index.html");
    }
    else
    if (strcmp (url, "/console/openapi.json") == 0 || strcmp (url, "/console/openapi.yaml") == 0) {
        //  Made from the descriptors the codec uses (kf_openapi): JSON,
        //  which is YAML too.
        if (s_method (c, method, "GET, HEAD"))
            http_answer (c, 200, strstr (url, ".json") ? "application/json" : "application/yaml; charset=utf-8",
                         strdup (self->openapi));
    }
    else
    if (strncmp (url, "/console/", 9) == 0) {
        if (s_method (c, method, "GET, HEAD"))
            http_file (self, c, url + 9);
    }
    else
    if (strcmp (url, "/api/v1/session") == 0) {
        if (s_method (c, method, "POST, DELETE")) {
            if (strcmp (method, "POST") == 0)
                http_sign_in (self, c);
            else
                http_sign_out (self, c);
        }
    }
    else
    if (strcmp (url, "/api/v1/owner_code") == 0 || strcmp (url, "/api/v1/owner_session") == 0) {
        if (s_method (c, method, "POST")) {
            if (strcmp (url, "/api/v1/owner_code") == 0)
                http_owner_code (self, c);
            else
                http_owner_session (self, c);
        }
    }
    else
    if (strcmp (url, "/owner") == 0 || strcmp (url, "/owner/") == 0) {
        if (s_method (c, method, "GET, HEAD"))
            http_file (self, c, "owner.html");
    }
    else
    if (strcmp (url, "/api/v1/whoami") == 0) {
        if (s_method (c, method, "GET") && http_signed_in (c))
            http_answer (c, 200, "application/json", http_session_view (self, c));
    }
    else
    if (strcmp (url, "/api/v1/events") == 0) {
        //  Every signed-in caller: each sees its estates' events only. An
        //  estate's events are every unit's: not an owner's to watch.
        if (s_method (c, method, "GET") && http_signed_in (c)) {
            if (c->token->role != KF__ROLE__ROLE_OWNER)
                return http_stream (self, c);
            http_error (c, 403, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN, "the live stream is the staff's");
        }
    }
    else
    if (strcmp (url, "/payments/callback") == 0) {
        if (s_method (c, method, "POST"))
            http_payment (self, c);
    }
    else
    if (strcmp (url, "/metrics") == 0) {
        if (s_method (c, method, "GET, HEAD"))
            http_metrics (self, c);
    }
    else
    if (api) {
        //  A command changes things or may: POST only, never a link to follow.
        if (s_method (c, method, "POST"))
            http_api (self, c, url + 8);
    }
    else
        http_error (c, 404, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, "no such page");
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
s_from_another_site (http_conn_t *c)
{
    struct MHD_Connection *connection = c->connection;
    if (MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Authorization"))
        return false;
    const char *type = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Content-Type");
    if (!type || strncasecmp (type, "application/json", 16) != 0) {
        http_error (c, 415, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST,
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
        http_error (c, 403, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN,
                    "a request from another site's page: the console's own origin only");
    return foreign;
}

static bool
s_refuse_early (http_t *self, http_conn_t *c, const char *url, const char *method)
{
    if (strcmp (method, "POST") != 0 && strcmp (method, "PUT") != 0)
        return false;
    if (strncmp (url, "/api/v1/", 8) == 0 && s_from_another_site (c))
        return true;
    if (!s_signs_in (url) && strncmp (url, "/api/v1/", 8) == 0 && !http_signed_in (c))
        return true;
    size_t limit = s_body_limit (self, url);
    const char *length = MHD_lookup_connection_value (c->connection, MHD_HEADER_KIND, "Content-Length");
    char *end = NULL;
    unsigned long long declared = length ? strtoull (length, &end, 10) : 0;
    if (length && end && *end == 0 && declared > limit) {
        http_error (c, 413, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, "the body is larger than %zu bytes", limit);
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
    http_conn_t *c = *con_cls;
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
            http_error (c, 503, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE,
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
    http_conn_t *c = *con_cls;
    if (!c)
        return;
    http_guard_answered (self->guard, c->socket, http_now ());
    if (c->kind == C_STREAM) {
        void *handle = zlistx_find (self->streams, c);
        if (handle)
            zlistx_delete (self->streams, handle);
        kf_info ("live stream of %s closed", c->token ? c->token->name : "?");
    }
    for (int s = 0; s < S_SERVICES; s++)
        kf_codec_free ((ProtobufCMessage **) &c->statuses [s]);
    free (c->open_cases);
    if (c->password) {
        sodium_memzero (c->password, strlen (c->password));
        free (c->password);
    }
    if (c->body)
        sodium_memzero (c->body, c->body_cap);   //  a sign-in's held a password
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
        *socket_context = info ? http_guard_opened (self->guard, info->connect_fd, http_now ()) : NULL;
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
    int64_t second = http_now () / 1000;
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
    int64_t now = http_now ();
    zlistx_t *late = zlistx_new ();
    for (http_conn_t *c = zhashx_first (self->pending); c && late; c = zhashx_next (self->pending))
        if (c->deadline_ms < now && !zlistx_find (late, c))
            zlistx_add_end (late, c);
    for (http_conn_t *c = late ? zlistx_first (late) : NULL; c; c = zlistx_next (late)) {
        if (c->kind == C_SCRAPE)
            http_scrape_done (self, c);
        else {
            char id [32];
            snprintf (id, sizeof id, "g%" PRIu64, c->id);
            zhashx_delete (self->pending, id);
            http_error (c, 504, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE, "no answer from the daemon in time");
            http_resume (c);
        }
    }
    zlistx_destroy (&late);
    http_sessions_check (self, now);
    s_expire_heads (self, now);
    if (now - self->last_sweep_ms >= S_SWEEP_MS) {
        self->last_sweep_ms = now;
        http_guard_sweep (self->guard);
        http_owner_sweep (self, now);
    }
    if (now - self->last_ping_ms > S_SSE_PING_MS) {
        self->last_ping_ms = now;
        for (http_conn_t *c = zlistx_first (self->streams); c; c = zlistx_next (self->streams))
            if (!c->ended)
                http_stream_push (c, ": ping\n\n", 8);
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
http_new (kf_config_t *config, kf_net_t *net, gateway_t *gateway, kf_clock_t *clock, zloop_t *loop, kf_err_t *err)
{
    assert (config && net && gateway && loop);
    http_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->config = config;
    self->gateway = gateway;
    self->clock = clock;
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
    self->session_idle_ms = kf_config_duration_ms (config, "gateway/sessions/idle");
    self->session_lifetime_ms = kf_config_duration_ms (config, "gateway/sessions/lifetime");
    self->recheck_ms = kf_config_duration_ms (config, "gateway/sessions/recheck");
    if (http_sign_in_start (self, err) || http_owner_start (self, err)) {
        http_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->checks, (zhashx_destructor_fn *) zstr_free);
    for (int s = 0; s < S_SERVICES; s++) {
        char key [64];
        snprintf (key, sizeof key, "services/%s/endpoint", kf_config_services () [s]);
        self->dealers [s] = zsock_new (ZMQ_DEALER);
        if (!self->dealers [s] || kf_net_connect (net, self->dealers [s], kf_config_str (config, key), err)) {
            http_destroy (&self);
            return NULL;
        }
        zsock_set_sndhwm (self->dealers [s], 10000);
        zloop_reader (loop, self->dealers [s], http_on_reply, self);
    }
    self->sub = zsock_new (ZMQ_SUB);
    if (!self->sub || kf_net_connect (net, self->sub, kf_config_str (config, "bus/subscribe"), err)) {
        http_destroy (&self);
        return NULL;
    }
    zsock_set_subscribe (self->sub, "");
    zloop_reader (loop, self->sub, http_on_event, self);
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
        kf_err_set (err, "cannot listen on %s: %s", kf_config_str (config, "services/gateway/listen"),
                    strerror (errno));
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
        for (http_conn_t *c = zlistx_first (self->streams); c; c = zlistx_next (self->streams))
            if (c->suspended) {
                c->suspended = false;
                MHD_resume_connection (c->connection);
            }
        for (http_conn_t *c = zhashx_first (self->pending); c; c = zhashx_next (self->pending))
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
    http_sign_in_stop (self);
    http_owner_stop (self);
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
