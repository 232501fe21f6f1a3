/*  notify_commands — kefuctl notify and the API on the deliveries: the
    log (list_deliveries, phones masked as the caller may see them, sign-in
    codes never shown), an operator's retry and dismiss of an alarm, a test
    message, and the gateway's sign-in codes (send_code). A delivery's own
    life is notify_deliveries.c's.
*/
#include "notify_private.h"
#include <sodium.h>

#define S_CODE_LIFE_MAX_MS (30 * 60000)  //  a sign-in code lives at most this long

//  ---- the commands ----------------------------------------------------------------

//  Who may read the log: the estate's desk and its managers; a technician
//  reads orders, not residents' notices.
static bool
s_reads_log (Kf__Role role)
{
    return role == KF__ROLE__ROLE_FRONT_DESK || kf_role_manages (role);
}

typedef struct {
    notify_t *self;
    const Kf__ListDeliveries *list;
    bool phones;
    Kf__DeliveryList *out;
    size_t room;
    kf_arena_t *arena;
} s_list_t;

static bool
s_matches (const Kf__ListDeliveries *q, const Kf__Delivery *d)
{
    if (q->has_status && d->status != q->status)
        return false;
    if (q->alarms && d->status != KF__DELIVERY_STATUS__DELIVERY_STATUS_FAILED
                  && d->status != KF__DELIVERY_STATUS__DELIVERY_STATUS_UNCERTAIN)
        return false;
    if (q->ticket_no && *q->ticket_no && (!d->ticket_no || strcmp (d->ticket_no, q->ticket_no) != 0))
        return false;
    if (q->address && *q->address
    &&  (!d->recipient || !d->recipient->address || strcmp (d->recipient->address, q->address) != 0))
        return false;
    return true;
}


//  A phone in a delivery, as the caller may see it (kf_phone_mask).
static void
s_mask (Kf__Delivery *d, kf_arena_t *arena)
{
    Kf__Recipient *r = d->recipient;
    if (!r || !r->address || !kf_phone_valid (r->address))
        return;
    char masked [40];
    kf_phone_mask (r->address, masked, sizeof masked);
    r->address = kf_arena_strdup (arena, masked);
}

static int
s_list_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, bool show, void *arg)
{
    (void) value;
    s_list_t *l = arg;
    char estate [KF_ID_MAX + 1], id [NOTIFY_ID_SIZE + 8];
    int64_t created;
    if (kf_key_scan (key.data, key.size, "s|t|s", estate, sizeof estate, &created, id, sizeof id))
        return 0;
    kf_arena_t *arena = show ? l->arena : l->self->base.scratch;
    Kf__Delivery *d = notify_delivery_get (l->self, txn, id, arena);
    if (!d || !s_matches (l->list, d))
        return 0;
    if (show) {
        if (!l->phones)
            s_mask (d, arena);
        notify_delivery_hide_code (d);
        if (kf_arena_push (arena, (void ***) &l->out->deliveries, &l->out->n_deliveries, &l->room, d))
            return -1;
    }
    else
        kf_arena_reset (l->self->base.scratch);
    return 1;
}

static int
s_count_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) txn, (void) key, (void) value;
    (*(uint32_t *) arg)++;
    return 0;
}

int
notify_list (notify_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ListDeliveries *q = request->list_deliveries;
    const kf_estate_t *estate = kf_request_estate (self->base.config, request, q->estate, reply, arena);
    if (!estate)
        return 0;
    if (!s_reads_log (request->role))
        return KF_FORBIDDEN ("the notification log is the desk's and its managers'");
    Kf__DeliveryList *out = kf_arena_alloc (arena, sizeof *out);
    if (!out)
        return -1;
    kf__delivery_list__init (out);
    s_list_t l = { self, q, kf_request_sees_phones (request, estate->id), out, 0, arena };
    kf_key_t prefix, top;
    if (kf_key_make (&prefix, "s|", estate->id) || kf_key_make (&top, "s|t", estate->id, INT64_MAX))
        return KF_BAD ("estate '%s' does not make a key", estate->id);
    kf_page_t page;
    int rc = kf_page_walk (txn, self->by_estate, &prefix, &top, q->page,
                           kf_page_size (q->page, NOTIFY_PAGE_DEFAULT, NOTIFY_PAGE_MAX), s_list_row, &l, arena,
                           &page);
    if (rc == KF_PAGE_BAD_TOKEN)
        return KF_BAD ("page_token is not one this log gave");
    if (rc)
        return -1;
    KF_SET (out, total, page.total);
    out->next_page_token = page.next_token;
    uint32_t alarms = 0;
    if (kf_txn_scan (txn, self->alarms, &prefix, s_count_row, &alarms) < 0)
        return -1;
    KF_SET (out, alarms, alarms);
    reply->result_case = KF__REPLY__RESULT_DELIVERIES;
    reply->deliveries = out;
    return 0;
}

int
notify_resolve (notify_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, bool retry,
                Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ResolveDelivery *q = retry ? request->retry_delivery : request->dismiss_delivery;
    const kf_estate_t *estate = kf_request_estate (self->base.config, request, q->estate, reply, arena);
    if (!estate)
        return 0;
    if (!kf_role_manages (request->role))
        return KF_FORBIDDEN ("only supervisors, managers and operations end a delivery's alarm");
    if (!q->id || !*q->id)
        return KF_BAD ("id is required");
    if (!retry && (!q->reason || !*q->reason))
        return KF_BAD ("reason is required to dismiss a delivery");
    Kf__Delivery *d = notify_delivery_get (self, txn, q->id, arena);
    if (!d || strcmp (d->estate, estate->id) != 0)
        return KF_NOT_FOUND ("no delivery %s in %s", q->id, estate->id);
    if (d->status != KF__DELIVERY_STATUS__DELIVERY_STATUS_FAILED
    &&  d->status != KF__DELIVERY_STATUS__DELIVERY_STATUS_UNCERTAIN)
        return KF_CONFLICT ("delivery %s is not failed or uncertain: nothing to %s", q->id,
                            retry ? "retry" : "dismiss");
    if (retry && d->kind && strcmp (d->kind, NOTIFY_CODE_KIND) == 0)
        return KF_CONFLICT ("a sign-in code is never sent again: the person asks for a new one");
    d->actor = request->actor;
    char why [NOTIFY_REASON_MAX + 64];
    //  Dismissed says the status already: "dismissed: by S04: ...". A retry
    //  starts its backoff again, saying how many tries went before.
    if (retry)
        snprintf (why, sizeof why, "retried by %s after %u tries%s%s", request->actor ? request->actor : "?",
                  d->attempts, q->reason && *q->reason ? ": " : "", q->reason && *q->reason ? q->reason : "");
    else
        snprintf (why, sizeof why, "by %s: %s", request->actor ? request->actor : "?", q->reason);
    d->reason = notify_text_clean (arena, why);
    if (!d->reason)
        return kf_txn_fail (txn, "out of memory");
    if (notify_delivery_alarm (self, txn, d, false))
        return -1;
    if (retry) {
        KF_SET (d, attempts, 0);
        KF_SET (d, give_up_at_ms, now_ms + self->retry_for_ms);
        if (notify_delivery_pend (self, txn, d, now_ms))
            return -1;
    }
    else {
        KF_SET (d, status, KF__DELIVERY_STATUS__DELIVERY_STATUS_DISMISSED);
        if (notify_delivery_put (self, txn, d))
            return -1;
    }
    //  Stored whole; answered as the log shows it to this caller.
    if (!kf_request_sees_phones (request, estate->id))
        s_mask (d, arena);
    notify_delivery_hide_code (d);
    reply->result_case = KF__REPLY__RESULT_DELIVERY;
    reply->delivery = d;
    return 0;
}

//  A delivery a command makes (not an event): pending now, urgent (a person
//  is waiting for it), given up at give_up_ms; *out the stored delivery.
typedef struct {
    const char *kind, *event_id, *text, *subject, *template_id;
    char **params;
    size_t n_params;
    Kf__Recipient *recipient;
    Kf__NotifyChannel channel;
    int64_t give_up_ms;
} s_made_t;

static int
s_made_now (notify_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, const kf_estate_t *estate,
            const s_made_t *m, kf_arena_t *arena, Kf__Delivery **out)
{
    Kf__Delivery *d = kf_arena_alloc (arena, sizeof *d);
    if (!d)
        return kf_txn_fail (txn, "out of memory");
    kf__delivery__init (d);
    //  The command's own event id, made unique (a gateway's request ids
    //  start again when it does), so that no command's delivery is ever
    //  another's: a replay of a request makes a delivery of its own.
    unsigned char nonce [8];
    char hex [17], event_id [160];
    randombytes_buf (nonce, sizeof nonce);
    sodium_bin2hex (hex, sizeof hex, nonce, sizeof nonce);
    snprintf (event_id, sizeof event_id, "%s/%s", m->event_id, hex);
    char id [NOTIFY_ID_SIZE];
    notify_delivery_id (event_id, m->recipient, m->channel, id);
    kf_key_t key;
    kf_val_t found;
    if (kf_key_make (&key, "s", id) || kf_txn_get (txn, self->deliveries, &key, &found) == KF_FOUND)
        return kf_txn_fail (txn, "delivery %s exists already", id);
    d->id = kf_arena_strdup (arena, id);
    d->estate = (char *) estate->id;
    d->event_id = kf_arena_strdup (arena, event_id);
    d->kind = (char *) m->kind;
    d->recipient = m->recipient;
    KF_SET (d, channel, m->channel);
    KF_SET (d, urgent, true);
    d->actor = request->actor;
    d->text = (char *) m->text;
    d->subject = (char *) m->subject;
    d->template_id = (char *) m->template_id;
    d->params = m->params;
    d->n_params = m->n_params;
    KF_SET (d, created_at_ms, now_ms);
    KF_SET (d, give_up_at_ms, m->give_up_ms);
    KF_SET (d, status, KF__DELIVERY_STATUS__DELIVERY_STATUS_PENDING);
    KF_SET (d, next_at_ms, now_ms);
    if (!d->id || !d->event_id || notify_delivery_record_new (self, txn, now_ms, d))
        return -1;
    *out = d;
    return 0;
}

int
notify_test (notify_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
             kf_arena_t *arena)
{
    const Kf__TestNotification *q = request->test_notification;
    const kf_estate_t *estate = kf_request_estate (self->base.config, request, q->estate, reply, arena);
    if (!estate)
        return 0;
    if (!kf_role_manages (request->role))
        return KF_FORBIDDEN ("only supervisors, managers and operations send test messages");
    if (!q->has_channel || q->channel == KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_UNSPECIFIED)
        return KF_BAD ("channel is required: email, webhook, sms or wechat");
    if (!notify_channel_on (&self->channels, q->channel))
        return KF_CONFLICT ("the %s channel is not configured (notify/%s/url)", notify_channel_name (q->channel),
                            notify_channel_name (q->channel));
    if (!q->address || !*q->address)
        return KF_BAD ("address is required: an email address, a phone, an openid or a staff id");
    kf_err_t err;
    if (kf_text_check ("address", q->address, 200, &err) || (q->text && kf_text_check ("text", q->text, 500, &err)))
        return KF_BAD ("%s", err.text);
    bool templated = q->channel == KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_SMS
                  || q->channel == KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WECHAT;
    if (templated && (!q->template_id || !*q->template_id))
        return KF_BAD ("a test by sms or wechat needs the provider's template_id");
    const notify_estate_t *e = notify_estate (self, estate->id);
    char event_id [64];
    snprintf (event_id, sizeof event_id, "test/%" PRId64 "/%.24s", now_ms,
              request->request_id ? request->request_id : "");
    Kf__Recipient *r = kf_arena_alloc (arena, sizeof *r);
    char **params = kf_arena_alloc (arena, sizeof *params);
    if (!r || !params)
        return -1;
    kf__recipient__init (r);
    KF_SET (r, kind, KF__RECIPIENT_KIND__RECIPIENT_KIND_STAFF);
    r->address = q->address;
    r->name = request->actor;
    s_made_t m = {
        .kind = "test", .event_id = event_id, .recipient = r, .channel = q->channel,
        .text = q->text && *q->text ? q->text
              : e->language == NOTIFY_EN ? "A test message from kefu-notify." : "kefu 通知测试消息。",
        .subject = e->language == NOTIFY_EN ? "kefu-notify test" : "kefu 通知测试",
        .give_up_ms = now_ms + self->retry_for_ms,
    };
    if (templated) {
        params [0] = (char *) m.text;
        m.template_id = q->template_id, m.params = params, m.n_params = 1;
    }
    Kf__Delivery *d;
    if (s_made_now (self, txn, now_ms, request, estate, &m, arena, &d))
        return -1;
    reply->result_case = KF__REPLY__RESULT_DELIVERY;
    reply->delivery = d;
    return 0;
}

int
notify_send_code (notify_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                  kf_arena_t *arena)
{
    const Kf__SendCode *q = request->send_code;
    const kf_estate_t *estate = kf_request_estate (self->base.config, request, q->estate, reply, arena);
    if (!estate)
        return 0;
    if (request->role != KF__ROLE__ROLE_OPERATIONS)
        return KF_FORBIDDEN ("sign-in codes are the gateway's to send");
    if (!q->unit || !kf_unit_valid (q->unit))
        return KF_BAD ("unit '%s' is not a unit (building-unit-room)", q->unit ? q->unit : "");
    if (!q->phone || !kf_phone_valid (q->phone))
        return KF_BAD ("phone '%s' is not a phone", q->phone ? q->phone : "");
    size_t digits = q->code ? strspn (q->code, "0123456789") : 0;
    if (!q->code || digits < 4 || digits > 8 || q->code [digits])
        return KF_BAD ("code is 4 to 8 digits");
    if (!q->has_expires_at_ms || q->expires_at_ms <= now_ms || q->expires_at_ms - now_ms > S_CODE_LIFE_MAX_MS)
        return KF_BAD ("expires_at_ms is required, in the future and at most 30 minutes on");
    //  Only to a phone the register gives the unit's owner or tenant: a
    //  code for 3-2-1502 never reaches anyone else's phone.
    if (!notify_people_holds (self, txn, estate->id, q->unit, q->phone))
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no owner or tenant of %s %s has that phone", estate->id, q->unit) : -1;
    //  SMS when the provider has a template for codes, else the group's gateway.
    const notify_channels_t *c = &self->channels;
    Kf__NotifyChannel channel = c->sms.code_template && notify_channel_on (c, KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_SMS)
                              ? KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_SMS
                              : notify_channel_on (c, KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WEBHOOK)
                              ? KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WEBHOOK : KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_UNSPECIFIED;
    if (channel == KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_UNSPECIFIED)
        return KF_CONFLICT ("no channel reaches a phone: set notify/sms (with code_template) or notify/webhook");
    const notify_estate_t *e = notify_estate (self, estate->id);
    int64_t minutes = (q->expires_at_ms - now_ms) / 60000;   //  whole minutes left, never more than there are
    if (minutes < 1)
        minutes = 1;
    char *text = kf_arena_alloc (arena, 200), *span = kf_arena_alloc (arena, 24), **params = kf_arena_alloc (arena, 2 * sizeof *params);
    char event_id [80];
    Kf__Recipient *r = kf_arena_alloc (arena, sizeof *r);
    if (!text || !span || !params || !r)
        return kf_txn_fail (txn, "out of memory");
    snprintf (text, 200, e->language == NOTIFY_EN ? "Your kefu sign-in code is %s. It is good for %" PRId64
                                                    " minutes; tell it to nobody."
                                                  : "您的登录验证码是 %s，%" PRId64 " 分钟内有效，请勿告诉他人。",
              q->code, minutes);
    snprintf (span, 24, "%" PRId64, minutes);
    params [0] = q->code, params [1] = span;
    //  One delivery per code issued: the code's own time names it.
    snprintf (event_id, sizeof event_id, "code/%" PRId64 "/%.24s", q->expires_at_ms,
              request->request_id ? request->request_id : "");
    kf__recipient__init (r);
    KF_SET (r, kind, KF__RECIPIENT_KIND__RECIPIENT_KIND_RESIDENT);
    r->id = q->unit;
    r->address = q->phone;
    s_made_t m = {
        .kind = NOTIFY_CODE_KIND, .event_id = event_id, .recipient = r, .channel = channel, .text = text,
        .give_up_ms = q->expires_at_ms,
    };
    if (channel == KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_SMS)
        m.template_id = c->sms.code_template, m.params = params, m.n_params = 2;
    Kf__Delivery *d;
    if (s_made_now (self, txn, now_ms, request, estate, &m, arena, &d))
        return -1;
    //  The reply is as the log shows it.
    Kf__Delivery *shown = kf_arena_alloc (arena, sizeof *shown);
    if (!shown)
        return kf_txn_fail (txn, "out of memory");
    *shown = *d;
    notify_delivery_hide_code (shown);
    if (!kf_request_sees_phones (request, estate->id))
        s_mask (shown, arena);
    reply->result_case = KF__REPLY__RESULT_DELIVERY;
    reply->delivery = shown;
    return 0;
}
