/*  http_api — a command sent to its daemon (the connection suspended until
    the reply), /metrics gathered from every daemon, and the replies. See
    http_private.h.
*/
#include "http_private.h"
#include "kf_hmac.h"

//  ---- the API --------------------------------------------------------------------------------

int
http_send_request (http_t *self, const char *service, Kf__Request *request, const char *request_id)
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

//  The command of the body, as `token`, to its daemon; the connection
//  waits for the reply.
static void
s_forward (http_t *self, http_conn_t *c, const gateway_token_t *token, const char *command, const char *service)
{
    int status;
    const char *to;
    kf_err_t err;
    Kf__Request *request = gateway_request (token, command, service, c->body, c->body_size, &to, &status, &err);
    if (!request) {
        http_error (c, status, status == 404 ? KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND
                    : status == 403 ? KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN
                    : KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, "%s", err.text);
        return;
    }
    char id [32];
    c->id = ++self->next_id;
    snprintf (id, sizeof id, "g%" PRIu64, c->id);
    int rc = http_send_request (self, to, request, id);
    kf_codec_free ((ProtobufCMessage **) &request);
    if (rc || zhashx_insert (self->pending, id, c)) {
        http_error (c, 503, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE, "kefu-%s cannot be reached", to);
        return;
    }
    c->kind = C_API;
    c->deadline_ms = http_now () + self->timeout_ms;
    http_suspend (c);
}

void
http_api (http_t *self, http_conn_t *c, const char *command)
{
    if (!http_signed_in (c))
        return;
    s_forward (self, c, c->token, command,
               MHD_lookup_connection_value (c->connection, MHD_GET_ARGUMENT_KIND, "service"));
}

//  ---- the payment gateway's callback ---------------------------------------------------------

void
http_payment (http_t *self, http_conn_t *c)
{
    int64_t tolerance_ms;
    const gateway_token_t *token = gateway_payments (self->gateway, &tolerance_ms);
    if (!token) {
        http_error (c, 404, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND,
                    "no payment callback here (gateway/payments/secret is not set)");
        return;
    }
    //  Signed by the payment gateway over its time and this very body
    //  (kf_webhook_sign), at most tolerance_ms from our wall clock: a
    //  forged or replayed-late callback records nothing. A repeat within
    //  the window is harmless: pay is idempotent by payment_ref.
    const char *signature = MHD_lookup_connection_value (c->connection, MHD_HEADER_KIND, "Kefu-Signature");
    if (!signature || !kf_webhook_verify (token->secret, signature, c->body ? c->body : "", c->body_size,
                                          zclock_time (), tolerance_ms)) {
        kf_warning ("payments: a callback refused: %s Kefu-Signature", signature ? "a wrong or stale" : "no");
        http_error (c, 401, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN,
                    "the callback's Kefu-Signature is missing, wrong or stale");
        return;
    }
    s_forward (self, c, token, "pay", NULL);
}

//  ---- /metrics ---------------------------------------------------------------------------------

void
http_scrape_done (http_t *self, http_conn_t *c)
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
        http_answer (c, 200, "text/plain; version=0.0.4", text);
    else
        http_error (c, 500, KF__REPLY_STATUS__REPLY_STATUS_INTERNAL, "out of memory");
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
    http_resume (c);
}

void
http_metrics (http_t *self, http_conn_t *c)
{
    if (!http_operations (c))
        return;
    size_t estates = kf_config_estate_count (self->config);
    c->open_cases = malloc ((estates + 1) * sizeof *c->open_cases);
    if (!c->open_cases) {
        http_error (c, 500, KF__REPLY_STATUS__REPLY_STATUS_INTERNAL, "out of memory");
        return;
    }
    c->id = ++self->next_id;
    c->kind = C_SCRAPE;
    char id [48];
    for (int s = 0; s < S_SERVICES; s++) {
        Kf__GetBusStatus get = KF__GET_BUS_STATUS__INIT;
        Kf__Request request = KF__REQUEST__INIT;
        request.scope = (char *) c->token->estate;   //  the daemon cuts its status down to it
        KF_SET (&request, role, KF__ROLE__ROLE_OPERATIONS);
        request.command_case = KF__REQUEST__COMMAND_BUS_STATUS;
        request.bus_status = &get;
        snprintf (id, sizeof id, "g%" PRIu64 "-s%d", c->id, s);
        if (http_send_request (self, kf_config_services () [s], &request, id) == 0 && zhashx_insert (self->pending, id,
                                                                                                  c) == 0)
            c->waiting++;
        free (request.request_id);
    }
    for (size_t e = 0; e < estates; e++) {
        c->open_cases [e] = -1;
        if (!kf_scope_sees (c->token->estate, kf_config_estate (self->config, e)->id))
            continue;   //  not asked, not shown
        Kf__PageRequest page = KF__PAGE_REQUEST__INIT;
        KF_SET (&page, page_size, 1);
        Kf__ListTickets list = KF__LIST_TICKETS__INIT;
        list.estate = (char *) kf_config_estate (self->config, e)->id;
        KF_SET (&list, status, KF__TICKET_STATUS__TICKET_STATUS_OPEN);
        list.page = &page;
        Kf__Request request = KF__REQUEST__INIT;
        request.scope = (char *) c->token->estate;
        KF_SET (&request, role, KF__ROLE__ROLE_OPERATIONS);
        request.command_case = KF__REQUEST__COMMAND_LIST_TICKETS;
        request.list_tickets = &list;
        snprintf (id, sizeof id, "g%" PRIu64 "-e%zu", c->id, e);
        if (http_send_request (self, "intake", &request, id) == 0 && zhashx_insert (self->pending, id, c) == 0)
            c->waiting++;
        free (request.request_id);
    }
    c->deadline_ms = http_now () + S_SCRAPE_MS;
    http_suspend (c);
}

//  ---- replies from the daemons ------------------------------------------------------------------

int
http_on_reply (zloop_t *loop, zsock_t *dealer, void *arg)
{
    (void) loop;
    http_t *self = arg;
    zframe_t *frame = zframe_recv (dealer);
    if (!frame)
        return 0;
    Kf__Reply *reply = (Kf__Reply *) kf_codec_unpack (&kf__reply__descriptor, zframe_data (frame), zframe_size (frame),
                                                      NULL);
    zframe_destroy (&frame);
    http_conn_t *c = reply && reply->request_id ? zhashx_lookup (self->pending, reply->request_id) : NULL;
    if (!c && reply && reply->request_id && (http_sessions_checked (self, reply) || http_owner_sent (self, reply))) {
        kf_codec_free ((ProtobufCMessage **) &reply);
        return 0;
    }
    if (!c) {
        kf_codec_free ((ProtobufCMessage **) &reply);
        return 0;   //  too late: answered with 504 already
    }
    if (c->kind == C_SIGN_IN) {
        http_sign_in_reply (self, c, reply);   //  it keeps its place in pending until it is over
        kf_codec_free ((ProtobufCMessage **) &reply);
        return 0;
    }
    zhashx_delete (self->pending, reply->request_id);
    if (c->kind == C_API) {
        int status;
        char *json = gateway_reply_json (reply, &status);
        if (json)
            http_answer (c, status, "application/json", json);
        else
            http_error (c, 500, KF__REPLY_STATUS__REPLY_STATUS_INTERNAL, "out of memory");
        http_resume (c);
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
            http_scrape_done (self, c);
    }
    kf_codec_free ((ProtobufCMessage **) &reply);
    return 0;
}
