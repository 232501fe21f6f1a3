/*  gateway — the HTTP gateway's decisions. See gateway.h.  */
#include "gateway.h"
#include "kf_domain.h"
#include "kf_version.h"
#include "kf_field.h"
#include "kf_json.h"
#include "kf_openapi.h"
#include "kf_scope.h"
#include "kf_store.h"

#include <assert.h>
#include <stddef.h>
#include <czmq.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _gateway_t {
    gateway_token_t *tokens;
    size_t token_count;
    gateway_token_t payments;      //  the payment gateway's callback; secret_len 0: none
    int64_t payments_tolerance_ms;
};

//  ---- tokens -----------------------------------------------------------------------------

typedef struct {
    gateway_t *self;
    kf_config_t *config;
    kf_err_t *err;
} s_load_t;

static int
s_load_token (const char *name, void *arg)
{
    s_load_t *l = arg;
    gateway_t *self = l->self;
    gateway_token_t *t = &self->tokens [self->token_count];
    char path [160];
    snprintf (path, sizeof path, "gateway/tokens/%s/secret", name);
    const char *secret = kf_config_str (l->config, path);
    size_t len = secret ? strlen (secret) : 0;
    if (len < GATEWAY_SECRET_MIN || len > GATEWAY_SECRET_MAX) {
        kf_err_set (l->err, "%s: a secret is %d to %d characters", path, GATEWAY_SECRET_MIN, GATEWAY_SECRET_MAX);
        return -1;
    }
    for (size_t i = 0; i < self->token_count; i++)
        if (self->tokens [i].secret_len == len && memcmp (self->tokens [i].secret, secret, len) == 0) {
            kf_err_set (l->err, "%s: tokens %s and %s have the same secret", path, self->tokens [i].name, name);
            return -1;
        }
    snprintf (t->name, sizeof t->name, "%s", name);
    memcpy (t->secret, secret, len + 1);
    t->secret_len = len;
    snprintf (path, sizeof path, "gateway/tokens/%s/estate", name);
    const char *estate = kf_config_str (l->config, path);
    if (strcmp (estate, "*") != 0) {
        if (!kf_config_estate_find (l->config, estate)) {
            kf_err_set (l->err, "%s: no estate '%s' (an estate's id, or * for the whole group)", path, estate);
            return -1;
        }
        snprintf (t->estate, sizeof t->estate, "%s", estate);
    }
    snprintf (path, sizeof path, "gateway/tokens/%s/role", name);
    t->role = kf_config_enum (l->config, path);
    snprintf (path, sizeof path, "gateway/tokens/%s/staff", name);
    const char *staff = kf_config_str (l->config, path);
    snprintf (t->staff, sizeof t->staff, "%s", staff ? staff : name);
    self->token_count++;
    return 0;
}

//  The payment gateway's callback: who its payments are recorded as (the
//  whole group's, as the counter records them: billing's pay, idempotent
//  by the payment's reference), signed with a secret of its own.
static int
s_load_payments (gateway_t *self, kf_config_t *config, kf_err_t *err)
{
    const char *secret = kf_config_str (config, "gateway/payments/secret");
    if (!secret)
        return 0;
    size_t len = strlen (secret);
    if (len < GATEWAY_SECRET_MIN || len > GATEWAY_SECRET_MAX)
        return kf_err_set (err, "gateway/payments/secret: a secret is %d to %d characters", GATEWAY_SECRET_MIN,
                           GATEWAY_SECRET_MAX);
    for (size_t i = 0; i < self->token_count; i++)
        if (self->tokens [i].secret_len == len && memcmp (self->tokens [i].secret, secret, len) == 0)
            return kf_err_set (err, "gateway/payments/secret: the same as token %s's", self->tokens [i].name);
    gateway_token_t *t = &self->payments;
    snprintf (t->name, sizeof t->name, "payments");
    memcpy (t->secret, secret, len + 1);
    t->secret_len = len;
    t->role = KF__ROLE__ROLE_FRONT_DESK;
    snprintf (t->staff, sizeof t->staff, "payment-gateway");
    self->payments_tolerance_ms = kf_config_duration_ms (config, "gateway/payments/tolerance");
    return 0;
}

const gateway_token_t *
gateway_payments (const gateway_t *self, int64_t *tolerance_ms)
{
    assert (self);
    if (tolerance_ms)
        *tolerance_ms = self->payments_tolerance_ms;
    return self->payments.secret_len ? &self->payments : NULL;
}

static int
s_count_token (const char *name, void *arg)
{
    (void) name;
    (*(size_t *) arg)++;
    return 0;
}

gateway_t *
gateway_new (kf_config_t *config, kf_err_t *err)
{
    assert (config);
    gateway_t *self = calloc (1, sizeof *self);
    size_t count = 0;
    kf_config_each (config, "gateway/tokens", s_count_token, &count);
    if (self)
        self->tokens = calloc (count + 1, sizeof *self->tokens);
    if (!self || !self->tokens) {
        kf_err_set (err, "out of memory");
        gateway_destroy (&self);
        return NULL;
    }
    s_load_t load = { self, config, err };
    if (kf_config_each (config, "gateway/tokens", s_load_token, &load) || s_load_payments (self, config, err)) {
        gateway_destroy (&self);
        return NULL;
    }
    return self;
}

void
gateway_destroy (gateway_t **self_p)
{
    assert (self_p);
    gateway_t *self = *self_p;
    if (self) {
        if (self->tokens)
            memset (self->tokens, 0, self->token_count * sizeof *self->tokens);   //  secrets do not linger
        memset (&self->payments, 0, sizeof self->payments);
        free (self->tokens);
        free (self);
        *self_p = NULL;
    }
}

size_t
gateway_token_count (const gateway_t *self)
{
    return self->token_count;
}

//  Equal, in time that depends on the lengths only.
static bool
s_same_secret (const char *given, size_t given_len, const gateway_token_t *t)
{
    volatile unsigned char diff = given_len != t->secret_len;
    for (size_t i = 0; i < given_len; i++)
        diff |= (unsigned char) given [i] ^ (unsigned char) t->secret [i % t->secret_len];
    return diff == 0;
}

const gateway_token_t *
gateway_authenticate (const gateway_t *self, const char *secret)
{
    assert (self);
    if (!secret)
        return NULL;
    size_t len = strnlen (secret, GATEWAY_SECRET_MAX + 1);
    if (len == 0 || len > GATEWAY_SECRET_MAX)
        return NULL;
    const gateway_token_t *found = NULL;
    for (size_t i = 0; i < self->token_count; i++)
        if (s_same_secret (secret, len, &self->tokens [i]))
            found = &self->tokens [i];
    return found;
}

//  ---- requests and replies ---------------------------------------------------------------

const char *
gateway_service (const ProtobufCFieldDescriptor *command, const char *service)
{
    if (!command || !kf_openapi_served (command))
        return NULL;
    unsigned id = command->id;
    if (id < 20) {
        for (const char *const *s = kf_config_services (); service && *s; s++)
            if (strcmp (service, *s) == 0)
                return *s;
        return NULL;
    }
    //  Units are imported by the registry (the command kept its number
    //  from when billing imported them).
    if (id == KF__REQUEST__COMMAND_IMPORT_UNITS)
        return "registry";
    return id < 40 ? "intake" : id < 60 ? "dispatch" : id < 70 ? "escalation" : id < 90 ? "survey"
         : id < 110 ? "billing" : id < 120 ? "archive" : id < 140 ? "registry" : id < 180 ? "desk"
         : id < 200 ? "dispatch" : id < 220 ? "notify" : NULL;
}

//  A string field of an owner's command that names their estate or unit:
//  theirs when left out; another's is refused. 0, or -1 with the reason.
static int
s_owner_field (ProtobufCMessage *message, const char *name, const char *theirs, kf_err_t *err)
{
    const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field_by_name (message->descriptor, name);
    if (!field || field->type != PROTOBUF_C_TYPE_STRING || field->label == PROTOBUF_C_LABEL_REPEATED)
        return 0;
    char **value = kf_field_set (message, field);
    if (*value && **value)
        return strcmp (*value, theirs) == 0 ? 0 : kf_err_set (err, "%s: an owner speaks for their own, %s", name, theirs);
    char *copy = kf_codec_allocator.alloc (NULL, strlen (theirs) + 1);
    if (!copy)
        return kf_err_set (err, "out of memory");
    strcpy (copy, theirs);
    kf_codec_allocator.free (NULL, *value);
    *value = copy;
    return 0;
}

//  An owner's command, bound to their estate and unit; a filing comes
//  from the owners' page and their phone (the register gives the name).
static int
s_owner_bind (const gateway_token_t *token, ProtobufCMessage *message, kf_err_t *err)
{
    if (s_owner_field (message, "estate", token->estate, err) || s_owner_field (message, "unit", token->unit, err))
        return -1;
    if (message->descriptor == &kf__file_ticket__descriptor) {
        Kf__FileTicket *f = (Kf__FileTicket *) message;
        if (!f->has_channel)
            KF_SET (f, channel, KF__CHANNEL__CHANNEL_APP_WEB);
        if (s_owner_field (message, "reporter_phone", token->phone, err))
            return -1;
    }
    return 0;
}

Kf__Request *
gateway_request (const gateway_token_t *token, const char *command, const char *service, const char *body,
                 size_t size, const char **to, int *http_status, kf_err_t *err)
{
    assert (token && command && to && http_status);
    const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field_by_name (&kf__request__descriptor,
                                                                                           command);
    if (!field || !(field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || field->type != PROTOBUF_C_TYPE_MESSAGE
    ||  !kf_openapi_served (field)) {
        *http_status = 404;
        kf_err_set (err, "no command '%s' (see /console/openapi.json)", command);
        return NULL;
    }
    *to = gateway_service (field, service);
    if (!*to) {
        *http_status = 400;
        char names [256] = "";
        for (const char *const *s = kf_config_services (); *s; s++)
            snprintf (names + strlen (names), sizeof names - strlen (names), "%s%s", s == kf_config_services () ? ""
                      : s [1] ? ", " : " or ", *s);
        kf_err_set (err, "%s goes to one daemon: add ?service=%s", command, names);
        return NULL;
    }
    //  The bus and the stores are operations' business, and a copy of a
    //  store (every estate's data) the group's operations' alone. An
    //  estate's operations see the bus of their estate (the daemon cuts
    //  the status down to the request's scope).
    if ((field->id == KF__REQUEST__COMMAND_BUS_STATUS || field->id == KF__REQUEST__COMMAND_BACKUP)
    &&  token->role != KF__ROLE__ROLE_OPERATIONS) {
        *http_status = 403;
        kf_err_set (err, "only operations may ask for %s", command);
        return NULL;
    }
    if (field->id == KF__REQUEST__COMMAND_BACKUP && !kf_scope_is_group (token->estate)) {
        *http_status = 403;
        kf_err_set (err, "a backup copies every estate's data: the group's operations only, not %s's", token->estate);
        return NULL;
    }
    bool owner = token->role == KF__ROLE__ROLE_OWNER;
    if (owner && !kf_owner_may ((Kf__Request__CommandCase) field->id)) {
        *http_status = 403;
        kf_err_set (err, "an owner may not %s: only their own cases, return visits, evaluation and statement",
                    command);
        return NULL;
    }
    ProtobufCMessage *message = kf_json_decode (field->descriptor, size ? body : "{}", size ? size : 2, err);
    if (!message) {
        *http_status = 400;
        return NULL;
    }
    if (owner && s_owner_bind (token, message, err)) {
        kf_codec_free (&message);
        *http_status = 403;
        return NULL;
    }
    Kf__Request *request = (Kf__Request *) kf_codec_allocator.alloc (NULL, sizeof *request);
    if (!request) {
        kf_codec_free (&message);
        *http_status = 500;
        kf_err_set (err, "out of memory");
        return NULL;
    }
    kf__request__init (request);
    request->actor = strdup (token->staff);
    request->scope = strdup (token->estate);
    KF_SET (request, role, token->role);
    request->unit = owner ? strdup (token->unit) : NULL;
    request->command_case = (Kf__Request__CommandCase) field->id;
    *(ProtobufCMessage **) ((char *) request + field->offset) = message;
    if (!request->actor || !request->scope || (owner && !request->unit)) {
        kf_codec_free ((ProtobufCMessage **) &request);
        *http_status = 500;
        kf_err_set (err, "out of memory");
        return NULL;
    }
    return request;
}

int
gateway_http_status (Kf__ReplyStatus status)
{
    switch (status) {
        case KF__REPLY_STATUS__REPLY_STATUS_OK: return 200;
        case KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST: return 400;
        case KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND: return 404;
        case KF__REPLY_STATUS__REPLY_STATUS_CONFLICT: return 409;
        case KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN: return 403;
        case KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE: return 503;
        default: return 500;
    }
}

char *
gateway_reply_json (const Kf__Reply *reply, int *http_status)
{
    assert (reply && http_status);
    *http_status = gateway_http_status (reply->status);
    if (*http_status != 200)
        return kf_json_encode (&reply->base);
    const ProtobufCFieldDescriptor *field = kf_codec_oneof_case (&reply->base, "pong");
    if (!field)
        return strdup ("{}");
    return kf_json_encode (*(const ProtobufCMessage *const *) ((const char *) reply + field->offset));
}

bool
gateway_event_visible (const gateway_token_t *token, const char *estate, const char *kind, const char *kinds)
{
    if (!kf_scope_sees (token->estate, estate))
        return false;
    if (!kinds || !*kinds)
        return true;
    for (const char *p = kinds; *p; ) {
        size_t n = strcspn (p, ",");
        if (n && kind && strncmp (kind, p, n) == 0)
            return true;
        p += n + (p [n] == ',');
    }
    return false;
}

//  ---- /metrics -----------------------------------------------------------------------------

struct _gateway_metrics_t {
    zhashx_t *events;     //  "estate|kind" -> uint64_t *
    Kf__BusCounters bus;  //  the bus's last _sys/bus counters
    bool bus_heard;
    uint64_t http_open, http_late_heads, http_idle_closed, http_over_cap;
};

gateway_metrics_t *
gateway_metrics_new (void)
{
    gateway_metrics_t *self = calloc (1, sizeof *self);
    if (self && !(self->events = zhashx_new ()))
        free (self), self = NULL;
    if (self)
        zhashx_set_destructor (self->events, (zhashx_destructor_fn *) zstr_free);
    return self;
}

void
gateway_metrics_destroy (gateway_metrics_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zhashx_destroy (&(*self_p)->events);
        free (*self_p);
        *self_p = NULL;
    }
}

void
gateway_metrics_bus (gateway_metrics_t *self, const Kf__BusCounters *counters)
{
    assert (self && counters);
    self->bus = *counters;
    self->bus.base.unknown_fields = NULL;
    self->bus.base.n_unknown_fields = 0;
    self->bus.version = NULL;   //  only the numbers are kept
    self->bus_heard = true;
}

void
gateway_metrics_http (gateway_metrics_t *self, uint64_t open, uint64_t late_heads, uint64_t idle_closed,
                      uint64_t over_cap)
{
    assert (self);
    self->http_open = open;
    self->http_late_heads = late_heads;
    self->http_idle_closed = idle_closed;
    self->http_over_cap = over_cap;
}

void
gateway_metrics_event (gateway_metrics_t *self, const char *estate, const char *kind)
{
    char key [160];
    snprintf (key, sizeof key, "%s|%s", estate ? estate : "", kind ? kind : "unknown");
    uint64_t *count = zhashx_lookup (self->events, key);
    if (!count) {
        count = calloc (1, sizeof *count);
        if (!count || zhashx_insert (self->events, key, count)) {
            free (count);
            return;
        }
    }
    (*count)++;
}

typedef struct {
    char *data;
    size_t size, used;
    bool failed;
} s_text_t;

static void
s_put (s_text_t *t, const char *format, ...)
{
    va_list args;
    while (!t->failed) {
        va_start (args, format);
        int n = vsnprintf (t->data ? t->data + t->used : NULL, t->data ? t->size - t->used : 0, format, args);
        va_end (args);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if (t->data && t->used + (size_t) n < t->size) {
            t->used += (size_t) n;
            return;
        }
        size_t size = (t->size ? t->size * 2 : 4096) + (size_t) n;
        char *grown = realloc (t->data, size);
        if (!grown)
            t->failed = true;
        else {
            t->data = grown;
            t->size = size;
        }
    }
}

static int
s_compare_keys (const void *a, const void *b)
{
    return strcmp ((const char *) a, (const char *) b);
}

//  The head of a stream as a consumer's status heard it.
static uint64_t
s_head (const Kf__BusStatus *status, const char *stream)
{
    for (size_t p = 0; p < status->n_producers; p++)
        for (size_t h = 0; h < status->producers [p]->n_heads; h++)
            if (strcmp (status->producers [p]->heads [h]->stream, stream) == 0)
                return status->producers [p]->heads [h]->head_seq;
    return 0;
}

//  A producer is shown to an estate's caller when it has a stream of the
//  estate (the daemon has cut its heads down to the scope already).
static bool
s_producer_seen (const Kf__ProducerState *producer, const char *scope)
{
    if (kf_scope_is_group (scope))
        return true;
    for (size_t h = 0; h < producer->n_heads; h++)
        if (kf_scope_sees_stream (scope, producer->heads [h]->stream))
            return true;
    return false;
}

//  The series that add up every estate's work (a daemon's outbox, its
//  totals, its commits, the bus's counters): the group's operations' only.
static void
s_group_series (s_text_t *t, const gateway_metrics_t *self, const char *const *services,
                Kf__BusStatus *const *statuses, size_t service_count)
{
    s_put (t, "# HELP kefu_outbox_events Events held in the daemon's outbox.\n# TYPE kefu_outbox_events gauge\n");
    for (size_t s = 0; s < service_count; s++)
        if (statuses [s])
            s_put (t, "kefu_outbox_events{service=\"%s\"} %" PRIu64 "\n", services [s], statuses [s]->outbox_events);
    s_put (t, "# HELP kefu_outbox_oldest_seconds Age of the oldest event the daemon's outbox holds.\n"
               "# TYPE kefu_outbox_oldest_seconds gauge\n");
    for (size_t s = 0; s < service_count; s++)
        if (statuses [s] && statuses [s]->has_outbox_oldest_ms)
            s_put (t, "kefu_outbox_oldest_seconds{service=\"%s\"} %.3f\n", services [s],
                   (double) (statuses [s]->sampled_at_ms - statuses [s]->outbox_oldest_ms) / 1000.0);
    //  What each daemon's bus refused, and what waits for an operator.
    static const struct { const char *name, *help, *type; size_t offset; } counts [] = {
        { "kefu_malformed_frames_total", "Frames the daemon dropped as not valid.", "counter",
          offsetof (Kf__BusStatus, malformed_frames) },
        { "kefu_forged_events_total", "Events refused: an estate's intake stream published by another intake.",
          "counter", offsetof (Kf__BusStatus, forged_events) },
        { "kefu_snapshot_alarms", "Streams that need an operator (snapshot required).", "gauge",
          offsetof (Kf__BusStatus, snapshot_alarms) },
        { "kefu_forbidden_replays_total", "Replay requests refused: the asking key may not read that estate.",
          "counter", offsetof (Kf__BusStatus, forbidden_replays) },
        { "kefu_applied_events_total", "Consumed events whose effect the daemon applied.", "counter",
          offsetof (Kf__BusStatus, applied_events) },
        { "kefu_duplicate_events_total", "Consumed events skipped as already applied.", "counter",
          offsetof (Kf__BusStatus, duplicate_events) },
        { "kefu_published_events_total", "Events the daemon published on the bus (its rate: the producer's).",
          "counter", offsetof (Kf__BusStatus, published_events) },
        { "kefu_gaps_total", "Gaps the daemon found in live streams.", "counter", offsetof (Kf__BusStatus, gaps) },
        { "kefu_replays_total", "Replays the daemon asked of producers.", "counter", offsetof (Kf__BusStatus, replays) },
        { "kefu_replayed_events_total", "Events the daemon received by replay.", "counter",
          offsetof (Kf__BusStatus, replayed_events) },
        { "kefu_served_events_total", "Events the daemon sent to replaying consumers.", "counter",
          offsetof (Kf__BusStatus, served_events) },
        { "kefu_map_used_bytes", "Bytes of the daemon's LMDB map in use.", "gauge",
          offsetof (Kf__BusStatus, map_used_bytes) },
        { "kefu_map_size_bytes", "Bytes of the daemon's LMDB map.", "gauge", offsetof (Kf__BusStatus, map_size_bytes) },
    };
    for (size_t k = 0; k < sizeof counts / sizeof counts [0]; k++) {
        s_put (t, "# HELP %s %s\n# TYPE %s %s\n", counts [k].name, counts [k].help, counts [k].name, counts [k].type);
        for (size_t s = 0; s < service_count; s++)
            if (statuses [s])
                s_put (t, "%s{service=\"%s\"} %" PRIu64 "\n", counts [k].name, services [s],
                       *(const uint64_t *) ((const char *) statuses [s] + counts [k].offset));
    }
    s_put (t, "# HELP kefu_commit_seconds Durable commits of the daemon's store.\n"
               "# TYPE kefu_commit_seconds histogram\n");
    for (size_t s = 0; s < service_count; s++) {
        const Kf__BusStatus *st = statuses [s];
        if (!st || st->n_commit_buckets != KF_STORE_COMMIT_BUCKETS)
            continue;
        for (int b = 0; b < KF_STORE_COMMIT_BUCKETS; b++)
            s_put (t, "kefu_commit_seconds_bucket{service=\"%s\",le=\"%g\"} %" PRIu64 "\n", services [s],
                   kf_store_commit_bounds_us [b] / 1e6, st->commit_buckets [b]);
        s_put (t, "kefu_commit_seconds_bucket{service=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", services [s], st->commit_count);
        s_put (t, "kefu_commit_seconds_sum{service=\"%s\"} %.6f\n", services [s], st->commit_sum_us / 1e6);
        s_put (t, "kefu_commit_seconds_count{service=\"%s\"} %" PRIu64 "\n", services [s], st->commit_count);
    }
    //  The bus's own, from its _sys/bus counters.
    static const struct { const char *name, *help; size_t offset; } bus [] = {
        { "kefu_bus_forwarded_total", "Messages the bus forwarded.", offsetof (Kf__BusCounters, forwarded) },
        { "kefu_bus_refused_publishes_total", "Publishes the bus dropped: not of the sender's estates.",
          offsetof (Kf__BusCounters, refused_publish) },
        { "kefu_bus_refused_subscriptions_total", "Subscriptions the bus refused: not of the subscriber's estates.",
          offsetof (Kf__BusCounters, refused_subscribe) },
        { "kefu_bus_unknown_key_messages_total", "Messages of keys revoked since they connected, or without an identity.",
          offsetof (Kf__BusCounters, unknown_keys) },
    };
    s_put (t, "# HELP kefu_http_connections Connections the gateway has open.\n# TYPE kefu_http_connections gauge\n"
              "kefu_http_connections %" PRIu64 "\n"
              "# HELP kefu_http_late_heads_total Connections closed: their request head was not whole in time.\n"
              "# TYPE kefu_http_late_heads_total counter\nkefu_http_late_heads_total %" PRIu64 "\n"
              "# HELP kefu_http_idle_closed_total Kept-alive connections closed: idle past idle_timeout.\n"
              "# TYPE kefu_http_idle_closed_total counter\nkefu_http_idle_closed_total %" PRIu64 "\n"
              "# HELP kefu_http_over_cap_total Requests answered 503: the gateway had max_connections open.\n"
              "# TYPE kefu_http_over_cap_total counter\nkefu_http_over_cap_total %" PRIu64 "\n",
           self->http_open, self->http_late_heads, self->http_idle_closed, self->http_over_cap);
    for (size_t k = 0; self->bus_heard && k < sizeof bus / sizeof bus [0]; k++)
        s_put (t, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n", bus [k].name, bus [k].help, bus [k].name,
               bus [k].name, *(const uint64_t *) ((const char *) &self->bus + bus [k].offset));
}

char *
gateway_metrics_text (gateway_metrics_t *self, const char *scope, const char *const *services,
                      Kf__BusStatus *const *statuses, size_t service_count, const char *const *estates,
                      const int64_t *open_cases, size_t estate_count)
{
    bool group = kf_scope_is_group (scope);
    s_text_t t = { 0 };
    //  Events by estate and kind, SLA alerts among them.
    zlistx_t *keys = zhashx_keys (self->events);
    if (keys) {
        zlistx_set_comparator (keys, (zlistx_comparator_fn *) s_compare_keys);
        zlistx_sort (keys);
    }
    s_put (&t, "# HELP kefu_events_total Events seen on the bus since the gateway started.\n"
               "# TYPE kefu_events_total counter\n");
    for (const char *key = keys ? zlistx_first (keys) : NULL; key; key = zlistx_next (keys)) {
        const char *bar = strchr (key, '|');
        char estate [KF_ID_MAX + 1];
        snprintf (estate, sizeof estate, "%.*s", (int) (bar - key), key);
        if (!kf_scope_sees (scope, estate))
            continue;
        s_put (&t, "kefu_events_total{estate=\"%.*s\",kind=\"%s\"} %" PRIu64 "\n", (int) (bar - key), key, bar + 1,
               *(uint64_t *) zhashx_lookup (self->events, key));
    }
    const char *alerts [] = { "sla.warning", "sla.breached" };
    const char *names [] = { "kefu_sla_warnings_total", "kefu_sla_breaches_total" };
    for (int a = 0; a < 2; a++) {
        s_put (&t, "# HELP %s %s since the gateway started.\n# TYPE %s counter\n", names [a], alerts [a], names [a]);
        for (size_t e = 0; e < estate_count; e++) {
            if (!kf_scope_sees (scope, estates [e]))
                continue;
            char key [160];
            snprintf (key, sizeof key, "%s|%s", estates [e], alerts [a]);
            uint64_t *count = zhashx_lookup (self->events, key);
            s_put (&t, "%s{estate=\"%s\"} %" PRIu64 "\n", names [a], estates [e], count ? *count : 0);
        }
    }
    zlistx_destroy (&keys);
    s_put (&t, "# HELP kefu_open_cases Tickets open now, per estate.\n# TYPE kefu_open_cases gauge\n");
    for (size_t e = 0; e < estate_count; e++)
        if (open_cases [e] >= 0 && kf_scope_sees (scope, estates [e]))
            s_put (&t, "kefu_open_cases{estate=\"%s\"} %" PRId64 "\n", estates [e], open_cases [e]);
    //  Each daemon: up, lag per stream it consumes, and (for the group)
    //  its outbox and commits.
    s_put (&t, "# HELP kefu_up Whether the daemon answered.\n# TYPE kefu_up gauge\n");
    for (size_t s = 0; s < service_count; s++)
        s_put (&t, "kefu_up{service=\"%s\"} %d\n", services [s], statuses [s] != NULL);
    s_put (&t, "# HELP kefu_consumer_lag Events of a stream the daemon has yet to apply.\n"
               "# TYPE kefu_consumer_lag gauge\n");
    for (size_t s = 0; s < service_count; s++)
        for (size_t c = 0; statuses [s] && c < statuses [s]->n_cursors; c++) {
            const Kf__Cursor *cursor = statuses [s]->cursors [c];
            if (!kf_scope_sees_stream (scope, cursor->stream))
                continue;
            uint64_t head = s_head (statuses [s], cursor->stream);
            s_put (&t, "kefu_consumer_lag{service=\"%s\",stream=\"%s\"} %" PRIu64 "\n", services [s], cursor->stream,
                   head > cursor->last_seq ? head - cursor->last_seq : 0);
        }
    //  Seconds behind: since a lagging cursor last moved (0 when caught up).
    s_put (&t, "# HELP kefu_consumer_lag_seconds Seconds a stream's cursor has been behind its head, at most.\n"
               "# TYPE kefu_consumer_lag_seconds gauge\n");
    for (size_t s = 0; s < service_count; s++)
        for (size_t c = 0; statuses [s] && c < statuses [s]->n_cursors; c++) {
            const Kf__Cursor *cursor = statuses [s]->cursors [c];
            if (!kf_scope_sees_stream (scope, cursor->stream))
                continue;
            uint64_t head = s_head (statuses [s], cursor->stream);
            int64_t behind = head > cursor->last_seq && statuses [s]->sampled_at_ms > cursor->updated_at_ms
                           ? statuses [s]->sampled_at_ms - cursor->updated_at_ms : 0;
            s_put (&t, "kefu_consumer_lag_seconds{service=\"%s\",stream=\"%s\"} %.3f\n", services [s], cursor->stream,
                   (double) behind / 1000.0);
        }
    s_put (&t, "# HELP kefu_stream_alarm A stream the daemon stopped for an operator (kefuctl streams), by why.\n"
               "# TYPE kefu_stream_alarm gauge\n");
    static const char *const alarm_kinds [] = { "unspecified", "new_epoch", "trimmed", "behind" };
    for (size_t s = 0; s < service_count; s++)
        for (size_t a = 0; statuses [s] && a < statuses [s]->n_stream_alarms; a++) {
            const Kf__StreamAlarm *alarm = statuses [s]->stream_alarms [a];
            if (!kf_scope_sees_stream (scope, alarm->stream))
                continue;
            s_put (&t, "kefu_stream_alarm{service=\"%s\",stream=\"%s\",kind=\"%s\"} 1\n", services [s], alarm->stream,
                   alarm->kind <= 3 ? alarm_kinds [alarm->kind] : "unspecified");
        }
    s_put (&t, "# HELP kefu_producer_down Whether the daemon hears no heartbeat from a producer.\n"
               "# TYPE kefu_producer_down gauge\n");
    for (size_t s = 0; s < service_count; s++)
        for (size_t p = 0; statuses [s] && p < statuses [s]->n_producers; p++)
            if (s_producer_seen (statuses [s]->producers [p], scope))
                s_put (&t, "kefu_producer_down{service=\"%s\",producer=\"%s\"} %d\n", services [s],
                       statuses [s]->producers [p]->producer, statuses [s]->producers [p]->down ? 1 : 0);
    if (group)
        s_group_series (&t, self, services, statuses, service_count);
    s_put (&t, "# HELP kefu_build_info The gateway's build.\n# TYPE kefu_build_info gauge\n"
               "kefu_build_info{version=\"%s\"} 1\n", KF_VERSION);
    if (t.failed) {
        free (t.data);
        return NULL;
    }
    return t.data ? t.data : strdup ("");
}
