/*  http_session — who is asking: a Bearer token or a session cookie,
    signing in and out, the caller's view; and the console's files. See
    http_private.h.
*/
#include "http_private.h"

//  ---- who is asking ------------------------------------------------------------------------

static const gateway_token_t *
s_caller (http_t *self, struct MHD_Connection *connection)
{
    const char *authorization = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Authorization");
    if (authorization && strncasecmp (authorization, "Bearer ", 7) == 0)
        return gateway_authenticate (self->gateway, authorization + 7);
    const char *cookie = MHD_lookup_connection_value (connection, MHD_COOKIE_KIND, S_COOKIE);
    http_session_t *session = cookie ? zhashx_lookup (self->sessions, cookie) : NULL;
    if (session && session->expires_ms < http_now ()) {
        zhashx_delete (self->sessions, cookie);
        session = NULL;
    }
    return session ? session->token : NULL;
}

bool
http_signed_in (http_conn_t *c)
{
    c->token = s_caller (c->http, c->connection);
    if (!c->token)
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
http_session_view (http_t *self, const gateway_token_t *token)
{
    Kf__SessionView view = KF__SESSION_VIEW__INIT;
    view.name = (char *) token->name;
    view.estate = (char *) token->estate;
    KF_SET (&view, role, token->role);
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

void
http_sign_in (http_t *self, http_conn_t *c)
{
    kf_err_t err;
    Kf__SessionRequest *request = (Kf__SessionRequest *) kf_json_decode (&kf__session_request__descriptor,
                                                                         c->body ? c->body : "{}",
                                                                         c->body ? c->body_size : 2, &err);
    if (!request) {
        http_error (c, 400, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, "bad JSON: %s", err.text);
        return;
    }
    const gateway_token_t *token = gateway_authenticate (self->gateway, request->token);
    kf_codec_free ((ProtobufCMessage **) &request);
    if (!token) {
        http_error (c, 401, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN, "that is not a token of this cluster");
        return;
    }
    http_session_t *session = calloc (1, sizeof *session);
    zuuid_t *uuid = zuuid_new ();
    if (!session || !uuid || zhashx_insert (self->sessions, zuuid_str (uuid), session)) {
        free (session);
        zuuid_destroy (&uuid);
        http_error (c, 500, KF__REPLY_STATUS__REPLY_STATUS_INTERNAL, "out of memory");
        return;
    }
    session->token = token;
    session->expires_ms = http_now () + S_SESSION_MS;
    snprintf (c->cookie, sizeof c->cookie, S_COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%lld",
              zuuid_str (uuid), S_SESSION_MS / 1000);
    zuuid_destroy (&uuid);
    c->token = token;
    kf_notice ("session opened for token %s", token->name);
    http_answer (c, 200, "application/json", http_session_view (self, token));
}

void
http_sign_out (http_t *self, http_conn_t *c)
{
    const char *cookie = MHD_lookup_connection_value (c->connection, MHD_COOKIE_KIND, S_COOKIE);
    if (cookie)
        zhashx_delete (self->sessions, cookie);
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
