/*  http_session — who is asking: a Bearer token or a session cookie,
    signing in and out, the caller's view; and the console's files. See
    http_private.h.
*/
#include "http_private.h"

//  ---- who is asking ------------------------------------------------------------------------

//  The caller's identity, copied into the connection: a session may end
//  (signed out in another tab, its account disabled) while a request or a
//  live stream of it runs, and a token's secret is not carried about.
static void
s_who (http_conn_t *c, const gateway_token_t *who)
{
    c->who = *who;
    sodium_memzero (c->who.secret, sizeof c->who.secret);
    c->who.secret_len = 0;
    c->token = &c->who;
}

static bool
s_caller (http_t *self, http_conn_t *c)
{
    const char *authorization = MHD_lookup_connection_value (c->connection, MHD_HEADER_KIND, "Authorization");
    if (authorization && strncasecmp (authorization, "Bearer ", 7) == 0) {
        const gateway_token_t *token = gateway_authenticate (self->gateway, authorization + 7);
        if (token)
            s_who (c, token);
        return token != NULL;
    }
    const char *cookie = MHD_lookup_connection_value (c->connection, MHD_COOKIE_KIND, S_COOKIE);
    http_session_t *session = cookie ? zhashx_lookup (self->sessions, cookie) : NULL;
    if (!session)
        return false;
    int64_t now = http_now ();
    if (session->expires_ms <= now || session->idle_until_ms <= now) {
        http_session_end (self, cookie, session->expires_ms <= now ? "its lifetime is over" : "it was idle");
        return false;
    }
    //  A live stream is the console open, not the person at it: only
    //  requests keep a session from going idle.
    if (strcmp (c->path, "/api/v1/events") != 0)
        session->idle_until_ms = now + self->session_idle_ms;
    s_who (c, &session->who);
    snprintf (c->session, sizeof c->session, "%s", cookie);
    return true;
}

bool
http_signed_in (http_conn_t *c)
{
    if (!c->token && !s_caller (c->http, c))
        http_error (c, 401, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN,
                    "sign in: send Authorization: Bearer <token>, or POST /api/v1/session");
    return c->token != NULL;
}

bool
http_operations (http_conn_t *c)
{
    if (!http_signed_in (c))
        return false;
    if (c->token->role != KF__ROLE__ROLE_OPERATIONS) {
        http_error (c, 403, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN,
                    "only operations may read the bus and the metrics");
        return false;
    }
    return true;
}

char *
http_session_view (http_t *self, http_conn_t *c)
{
    const gateway_token_t *token = c->token;
    Kf__SessionView view = KF__SESSION_VIEW__INIT;
    view.name = (char *) token->name;
    view.estate = (char *) token->estate;
    KF_SET (&view, role, token->role);
    view.staff = (char *) token->staff;
    view.unit = token->unit [0] ? (char *) token->unit : NULL;
    KF_SET (&view, now_ms, kf_clock_now (self->clock));
    http_session_t *session = c->session [0] ? zhashx_lookup (self->sessions, c->session) : NULL;
    if (session) {
        view.user = session->user [0] ? session->user : NULL;
        int64_t now = http_now ();
        KF_SET (&view, idle_timeout_s, self->session_idle_ms / 1000);
        KF_SET (&view, expires_in_s, (session->expires_ms - now) / 1000);
    }
    size_t count = kf_config_estate_count (self->config);
    char **estates = calloc (count + 1, sizeof *estates);
    Kf__EstateView *views = calloc (count + 1, sizeof *views);
    Kf__EstateView **view_ptrs = calloc (count + 1, sizeof *view_ptrs);
    for (size_t i = 0; estates && views && view_ptrs && i < count; i++) {
        const kf_estate_t *estate = kf_config_estate (self->config, i);
        if (!kf_scope_sees (token->estate, estate->id))
            continue;
        Kf__EstateView *v = &views [view.n_estate_views];
        kf__estate_view__init (v);
        v->id = (char *) estate->id;
        v->name = (char *) estate->name;
        KF_SET (v, utc_offset_min, estate->utc_offset_min);
        view_ptrs [view.n_estate_views++] = v;
        estates [view.n_estates++] = (char *) estate->id;
    }
    view.estates = estates;
    view.estate_views = view_ptrs;
    char *json = estates && views && view_ptrs ? kf_json_encode (&view.base) : NULL;
    free (estates);
    free (views);
    free (view_ptrs);
    return json;
}

void
http_session_open (http_t *self, http_conn_t *c, const gateway_token_t *who, const char *user, uint32_t generation)
{
    http_session_t *session = calloc (1, sizeof *session);
    zuuid_t *uuid = zuuid_new ();
    if (!session || !uuid || zhashx_insert (self->sessions, zuuid_str (uuid), session)) {
        free (session);
        zuuid_destroy (&uuid);
        http_error (c, 500, KF__REPLY_STATUS__REPLY_STATUS_INTERNAL, "out of memory");
        return;
    }
    session->who = *who;
    sodium_memzero (session->who.secret, sizeof session->who.secret);
    session->who.secret_len = 0;
    snprintf (session->user, sizeof session->user, "%s", user ? user : "");
    session->generation = generation;
    int64_t now = http_now ();
    session->expires_ms = now + self->session_lifetime_ms;
    session->idle_until_ms = now + self->session_idle_ms;
    session->checked_ms = now;
    snprintf (c->cookie, sizeof c->cookie, S_COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%lld",
              zuuid_str (uuid), (long long) (self->session_lifetime_ms / 1000));
    snprintf (c->session, sizeof c->session, "%s", zuuid_str (uuid));
    zuuid_destroy (&uuid);
    s_who (c, &session->who);
    if (user)
        kf_notice ("session opened for %s (%s)", user, who->name);
    else
    if (who->role == KF__ROLE__ROLE_OWNER)
        kf_notice ("session opened for an owner of %s %s", who->estate, who->unit);
    else
        kf_notice ("session opened for token %s", who->name);
    http_answer (c, 200, "application/json", http_session_view (self, c));
}

void
http_session_end (http_t *self, const char *cookie, const char *why)
{
    http_session_t *session = zhashx_lookup (self->sessions, cookie);
    if (!session)
        return;
    kf_notice ("session of %s ended: %s", session->user [0] ? session->user : session->who.name, why);
    if (session->check_id [0])
        zhashx_delete (self->checks, session->check_id);
    //  Its streams close at MHD's next run: this may be inside one of
    //  MHD's callbacks (a sign-out), which must not run MHD again.
    for (http_conn_t *c = zlistx_first (self->streams); c; c = zlistx_next (self->streams))
        if (strcmp (c->session, cookie) == 0) {
            c->ended = true;
            if (c->suspended) {
                c->suspended = false;
                MHD_resume_connection (c->connection);
            }
        }
    char key [S_SESSION_ID_MAX];
    snprintf (key, sizeof key, "%s", cookie);   //  the cookie may be the table's own key
    zhashx_delete (self->sessions, key);
}

void
http_sign_in (http_t *self, http_conn_t *c)
{
    kf_err_t err;
    Kf__SessionRequest *request = (Kf__SessionRequest *) kf_json_decode (&kf__session_request__descriptor,
                                                                         c->body ? c->body : "{}",
                                                                         c->body ? c->body_size : 2, &err);
    //  The body held the password: it does not stay in memory.
    if (c->body)
        sodium_memzero (c->body, c->body_cap);
    if (!request) {
        http_error (c, 400, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, "bad JSON: %s", err.text);
        return;
    }
    bool person = request->user && *request->user;
    if (person == (request->token && *request->token)) {
        http_error (c, 400, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST,
                    "send your user and password, or a token, not both");
    }
    else
    if (person)
        http_sign_in_person (self, c, request->user, request->password ? request->password : "");
    else {
        const gateway_token_t *token = gateway_authenticate (self->gateway, request->token);
        if (token)
            http_session_open (self, c, token, NULL, 0);
        else
            http_error (c, 401, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN, "that is not a token of this cluster");
    }
    if (request->password)
        sodium_memzero (request->password, strlen (request->password));
    kf_codec_free ((ProtobufCMessage **) &request);
}

void
http_sign_out (http_t *self, http_conn_t *c)
{
    const char *cookie = MHD_lookup_connection_value (c->connection, MHD_COOKIE_KIND, S_COOKIE);
    if (cookie)
        http_session_end (self, cookie, "signed out");
    snprintf (c->cookie, sizeof c->cookie, S_COOKIE "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    http_answer (c, 200, "application/json", strdup ("{}"));
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

void
http_file (http_t *self, http_conn_t *c, const char *name)
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
        http_error (c, 404, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, "no such page");
        return;
    }
    char *data = malloc (S_FILE_MAX + 1);
    size_t size = data ? fread (data, 1, S_FILE_MAX, file) : 0;
    fclose (file);
    if (!data) {
        http_error (c, 500, KF__REPLY_STATUS__REPLY_STATUS_INTERNAL, "out of memory");
        return;
    }
    data [size] = 0;
    http_answer (c, 200, s_content_type (name), data);
}
