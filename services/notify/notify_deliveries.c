/*  notify_deliveries — a delivery's life (notify_commands.c has the commands on it).

    A delivery is made once per (event, recipient, channel): its id is a
    hash of the three, so a replayed event finds it and makes nothing new,
    and the id goes to the provider (Message-ID, client_msg_id,
    SessionContext, the webhook's Kefu-Delivery) as the message's own name.

      PENDING ──claim──▶ SENDING ──SENT──▶ SENT             (notification.sent)
         ▲                  │ RETRY, while its time lasts ─▶ PENDING (backoff)
         │                  │ FAILED, or out of time ──────▶ FAILED  (alarm)
         │                  │ UNKNOWN: webhook ────────────▶ PENDING, probe first
         │                  │          others ─────────────▶ UNCERTAIN (alarm)
         └── kefuctl notify retry ◀── FAILED, UNCERTAIN ──▶ DISMISSED (kefuctl notify dismiss)

    SENDING is committed before the call, and the answer in a transaction
    of its own after it: a stop between the two leaves SENDING in the
    store, and the start (notify_recover_in_flight) treats it as UNKNOWN.
    So a provider that answered is never called again for the same
    delivery — unless an operator, seeing the alarm, says so.

    Every text that comes from outside (a provider's reason, an
    operator's) is made one line of whole UTF-8 characters before it is
    stored, so that no row is ever one the codec refuses to read back.
*/
#include "notify_private.h"
#include <sodium.h>

#define S_BACKOFF_MAX_MS 3600000     //  retries at most an hour apart
#define S_HOUR_MS        3600000
#define S_DAY_MS         (24 * 3600000LL)

//  ---- ids and times ---------------------------------------------------------------

void
notify_delivery_id (const char *event_id, const Kf__Recipient *recipient, Kf__NotifyChannel channel,
                    char id [NOTIFY_ID_SIZE])
{
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    char head [32];
    int n = snprintf (head, sizeof head, "%d|%d|", (int) channel, (int) recipient->kind);
    crypto_hash_sha256_update (&state, (const unsigned char *) head, (size_t) n);
    const char *parts [] = { event_id, recipient->id ? recipient->id : "", recipient->address ? recipient->address : "" };
    for (size_t i = 0; i < 3; i++)
        crypto_hash_sha256_update (&state, (const unsigned char *) parts [i], strlen (parts [i]) + 1);
    unsigned char hash [crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final (&state, hash);
    sodium_bin2hex (id, NOTIFY_ID_SIZE, hash, (NOTIFY_ID_SIZE - 1) / 2);
}

//  When a resident's notice may go: now, or the end of the estate's quiet
//  hours when now falls inside them (in the estate's local time).
static int64_t
s_release_ms (const notify_estate_t *e, int64_t now_ms)
{
    if (e->quiet_from_min == e->quiet_to_min)
        return now_ms;
    int64_t offset = (int64_t) e->estate->utc_offset_min * 60000;
    int64_t local = now_ms + offset;
    int64_t day = local >= 0 ? local / S_DAY_MS * S_DAY_MS : (local - S_DAY_MS + 1) / S_DAY_MS * S_DAY_MS;
    int minute = (int) ((local - day) / 60000);
    int from = e->quiet_from_min, to = e->quiet_to_min;
    bool quiet = from < to ? minute >= from && minute < to : minute >= from || minute < to;
    if (!quiet)
        return now_ms;
    int64_t end = day + (int64_t) to * 60000;
    if (end <= local)
        end += S_DAY_MS;
    return end - offset;
}

static int64_t
s_backoff_ms (const notify_t *self, uint32_t attempts)
{
    int64_t wait = self->retry_first_ms;
    for (uint32_t i = 1; i < attempts && wait < S_BACKOFF_MAX_MS; i++)
        wait *= 2;
    return wait < S_BACKOFF_MAX_MS ? wait : S_BACKOFF_MAX_MS;
}

//  ---- the record ------------------------------------------------------------------

Kf__Delivery *
notify_delivery_get (notify_t *self, kf_txn_t *txn, const char *id, kf_arena_t *arena)
{
    kf_key_t key;
    if (!id || kf_key_make (&key, "s", id))
        return NULL;
    return (Kf__Delivery *) kf_txn_find_msg_in (txn, self->deliveries, &key, &kf__delivery__descriptor, arena);
}

//  A sign-in code's text in the log and in replies: that it went, not the
//  code (whoever reads the log could sign in as the person).
void
notify_delivery_hide_code (Kf__Delivery *d)
{
    if (d->kind && strcmp (d->kind, NOTIFY_CODE_KIND) == 0) {
        d->text = "(a sign-in code)";
        d->n_params = 0, d->params = NULL;
    }
}

//  A copy of text from outside fit to be stored: one line, whole UTF-8
//  characters (a provider's message, an operator's reason cut by a limit).
char *
notify_text_clean (kf_arena_t *arena, const char *text)
{
    char *copy = kf_arena_strdup (arena, text ? text : "");
    if (copy)
        notify_one_line (copy);
    return copy;
}

int
notify_delivery_put (notify_t *self, kf_txn_t *txn, const Kf__Delivery *d)
{
    kf_key_t key;
    if (kf_key_make (&key, "s", d->id))
        return kf_txn_fail (txn, "delivery id '%s' does not make a key", d->id);
    return kf_txn_put_msg (txn, self->deliveries, &key, &d->base);
}

int
notify_delivery_alarm (notify_t *self, kf_txn_t *txn, const Kf__Delivery *d, bool raise)
{
    kf_key_t key;
    if (kf_key_make (&key, "s|s", d->estate, d->id))
        return -1;
    if (raise)
        return kf_txn_put (txn, self->alarms, &key, "", 0);
    return kf_txn_del (txn, self->alarms, &key) < 0 ? -1 : 0;
}

static int
s_in_flight (notify_t *self, kf_txn_t *txn, const Kf__Delivery *d, bool on)
{
    kf_key_t key;
    if (kf_key_make (&key, "s", d->id))
        return -1;
    if (on)
        return kf_txn_put (txn, self->in_flight, &key, "", 0);
    return kf_txn_del (txn, self->in_flight, &key) < 0 ? -1 : 0;
}

//  Pending again, at `at_ms` — or, for a resident's notice that is not
//  urgent, at the end of the estate's quiet hours when at_ms falls in them
//  (a retry, the rate limit's next hour, an operator's retry all included).
//  Asking the gateway (a probe) tells nobody anything, so it is never held.
int
notify_delivery_pend (notify_t *self, kf_txn_t *txn, Kf__Delivery *d, int64_t at_ms)
{
    const notify_kind_t *kind = notify_kind_named (d->kind);
    const notify_estate_t *e = notify_estate (self, d->estate);
    if (kind && kind->audience == NOTIFY_TO_RESIDENTS && !d->urgent && !d->probe && e)
        at_ms = s_release_ms (e, at_ms);
    KF_SET (d, status, KF__DELIVERY_STATUS__DELIVERY_STATUS_PENDING);
    KF_SET (d, next_at_ms, at_ms);
    return notify_delivery_put (self, txn, d) || kf_timers_arm (txn, self->queue, at_ms, d->id) ? -1 : 0;
}

//  notification.sent, .failed or .uncertain, with the delivery as it stands.
static int
s_announce (notify_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Delivery *d, Kf__Envelope__BodyCase what)
{
    //  What the bus may carry to every console of the estate: who, how and
    //  how it went, not the message or the address (phones, emails and
    //  openids stay in kefu-notify's log, behind its roles and masks).
    Kf__Delivery told = *d;
    Kf__Recipient r = KF__RECIPIENT__INIT;
    if (d->recipient) {
        KF_SET (&r, kind, d->recipient->kind);
        r.id = d->recipient->kind == KF__RECIPIENT_KIND__RECIPIENT_KIND_REPORTER ? NULL : d->recipient->id;
        r.name = d->recipient->name;
        told.recipient = &r;
    }
    told.subject = told.text = NULL;
    told.n_params = 0, told.params = NULL;
    Kf__NotificationEvent n = KF__NOTIFICATION_EVENT__INIT;
    n.delivery = &told;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = what;
    switch (what) {
        case KF__ENVELOPE__BODY_NOTIFICATION_SENT: event.notification_sent = &n; break;
        case KF__ENVELOPE__BODY_NOTIFICATION_FAILED: event.notification_failed = &n; break;
        default: event.notification_uncertain = &n; break;
    }
    return kf_emit (self->base.outbox, txn, now_ms, d->estate, &event, d->event_id);
}

//  Failed for good, or uncertain: an alarm until an operator ends it.
static int
s_alarmed (notify_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Delivery *d, Kf__DeliveryStatus status,
           const char *reason)
{
    KF_SET (d, status, status);
    d->reason = (char *) reason;
    notify_delivery_hide_code (d);   //  never sent again (notify_resolve): its code need not be kept
    kf_warning ("notify: delivery %s (%s to %s) %s: %s", d->id, d->kind,
                d->recipient && d->recipient->name ? d->recipient->name : "?",
                status == KF__DELIVERY_STATUS__DELIVERY_STATUS_FAILED ? "failed" : "is uncertain", reason);
    return notify_delivery_put (self, txn, d) || notify_delivery_alarm (self, txn, d, true)
        || s_announce (self, txn, now_ms, d, status == KF__DELIVERY_STATUS__DELIVERY_STATUS_FAILED
                                              ? KF__ENVELOPE__BODY_NOTIFICATION_FAILED
                                              : KF__ENVELOPE__BODY_NOTIFICATION_UNCERTAIN) ? -1 : 0;
}

//  ---- made from an event ----------------------------------------------------------

static int
s_render_params (const kf_template_t *const *templates, size_t count, const ProtobufCMessage *body, int offset,
                 Kf__Delivery *d, kf_arena_t *arena)
{
    if (!count)
        return 0;
    d->params = kf_arena_alloc (arena, count * sizeof *d->params);
    if (!d->params)
        return -1;
    for (size_t p = 0; p < count; p++) {
        char buf [512];
        kf_template_render (templates [p], body, offset, buf, sizeof buf);
        d->params [d->n_params++] = kf_arena_strdup (arena, buf);
    }
    return 0;
}

int
notify_delivery_record_new (notify_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Delivery *d)
{
    kf_key_t key;
    if (kf_key_make (&key, "s|t|s", d->estate, d->created_at_ms, d->id))
        return kf_txn_fail (txn, "delivery %s: no index key", d->id);
    if (kf_txn_put (txn, self->by_estate, &key, "", 0))
        return -1;
    if (d->status == KF__DELIVERY_STATUS__DELIVERY_STATUS_PENDING)
        return notify_delivery_pend (self, txn, d, d->next_at_ms);
    (void) now_ms;
    return notify_delivery_put (self, txn, d);
}

int
notify_deliver (notify_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event,
                const notify_kind_t *kind, const ProtobufCMessage *body, const Kf__Recipient *recipient,
                Kf__NotifyChannel channel, bool urgent, const char *ticket_no)
{
    kf_arena_t *arena = self->base.scratch;
    char id [NOTIFY_ID_SIZE];
    notify_delivery_id (event->event_id, recipient, channel, id);
    kf_key_t key;
    kf_val_t found;
    if (kf_key_make (&key, "s", id) || kf_txn_get (txn, self->deliveries, &key, &found) == KF_FOUND)
        return kf_txn_ok (txn) ? 0 : -1;     //  made already: a replay
    const notify_estate_t *e = notify_estate (self, event->estate);
    const notify_messages_t *m = &e->messages [kind - notify_kinds];
    notify_language_t language = notify_language_of (e, recipient->language);
    int offset = e->estate->utc_offset_min;

    Kf__Delivery *d = kf_arena_alloc (arena, sizeof *d);
    Kf__Recipient *r = kf_arena_alloc (arena, sizeof *r);
    char *text = kf_arena_alloc (arena, NOTIFY_TEXT_MAX);
    char *subject = kf_arena_alloc (arena, 400);
    if (!d || !r || !text || !subject)
        return kf_txn_fail (txn, "out of memory");
    kf__delivery__init (d);
    *r = *recipient;
    d->id = kf_arena_strdup (arena, id);
    d->estate = event->estate;
    d->event_id = event->event_id;
    d->kind = (char *) kind->kind;
    d->recipient = r;
    KF_SET (d, channel, channel);
    KF_SET (d, urgent, urgent);
    d->ticket_no = ticket_no && *ticket_no ? (char *) ticket_no : NULL;
    KF_SET (d, created_at_ms, now_ms);
    KF_SET (d, give_up_at_ms, now_ms + self->retry_for_ms);
    kf_template_render (m->text [language], body, offset, text, NOTIFY_TEXT_MAX);
    kf_template_render (m->subject [language], body, offset, subject, 400);
    d->text = text;
    d->subject = subject;
    if (channel == KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_SMS) {
        d->template_id = (char *) m->sms_template;
        if (s_render_params ((const kf_template_t *const *) m->sms_params, m->sms_param_count, body, offset, d,
                             arena))
            return kf_txn_fail (txn, "out of memory");
    }
    if (channel == KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WECHAT) {
        d->template_id = (char *) m->wechat_template;
        if (s_render_params ((const kf_template_t *const *) m->wechat_params, m->wechat_param_count, body, offset,
                             d, arena))
            return kf_txn_fail (txn, "out of memory");
    }
    if (channel == KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_UNSPECIFIED) {
        //  Kept, so that "why was nobody told" has an answer in the log.
        KF_SET (d, status, KF__DELIVERY_STATUS__DELIVERY_STATUS_SUPPRESSED);
        d->reason = recipient->address && *recipient->address && !urgent ? "opted out, or no channel reaches them"
                                                                         : "no channel reaches them";
        return notify_delivery_record_new (self, txn, now_ms, d);
    }
    KF_SET (d, status, KF__DELIVERY_STATUS__DELIVERY_STATUS_PENDING);
    int64_t at = kind->audience == NOTIFY_TO_RESIDENTS && !urgent ? s_release_ms (e, now_ms) : now_ms;
    KF_SET (d, next_at_ms, at);
    if (at > now_ms)
        d->reason = "held by the estate's quiet hours";
    return notify_delivery_record_new (self, txn, now_ms, d);
}

//  ---- claimed, answered -----------------------------------------------------------

typedef struct {
    notify_t *self;
    int64_t now_ms;
    zmsg_t *claimed;
} s_claim_t;

//  The rate limit: one address, one channel, one clock hour. Returns 1
//  when this message is over it (and must wait for the next hour).
//  The rate limit: one address of one estate, one channel, one clock hour,
//  in one row per address (the hour and its count), so the table holds one
//  row per address ever told and no more. The address is hashed: any
//  text makes a key, and the table holds no phone. Returns 1 when this
//  message is over the limit (not counted), 0 when counted, -1.
static int
s_rate_over (notify_t *self, kf_txn_t *txn, const Kf__Delivery *d, int64_t now_ms)
{
    const notify_estate_t *e = notify_estate (self, d->estate);
    if (d->urgent || !e || !d->recipient || !d->recipient->address)
        return 0;
    unsigned char hash [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (hash, (const unsigned char *) d->recipient->address, strlen (d->recipient->address));
    char address [17];
    sodium_bin2hex (address, sizeof address, hash, 8);
    kf_key_t key;
    if (kf_key_make (&key, "s|u|s", d->estate, (uint32_t) d->channel, address))
        return kf_txn_fail (txn, "a rate key does not fit");
    //  The row is the hour and its count, in the store's own encoding.
    uint64_t hour = (uint64_t) (now_ms / S_HOUR_MS), row_hour = 0, count = 0;
    kf_val_t found;
    int rc = kf_txn_get (txn, self->rates, &key, &found);
    if (rc != KF_FOUND && rc != KF_NOTFOUND)
        return -1;
    if (rc == KF_FOUND && (kf_key_scan (found.data, found.size, "qq", &row_hour, &count) || row_hour != hour))
        count = 0;   //  another hour's (or unreadable): this hour starts at none
    if ((int64_t) count >= e->rate_per_hour)
        return 1;
    kf_key_t row;
    if (kf_key_make (&row, "qq", hour, count + 1))
        return kf_txn_fail (txn, "a rate row does not fit");
    return kf_txn_put (txn, self->rates, &key, row.data, row.size) ? -1 : 0;
}

static int
s_claim_one (kf_txn_t *txn, int64_t at_ms, const char *id, void *arg)
{
    s_claim_t *c = arg;
    notify_t *self = c->self;
    kf_arena_t *arena = self->base.scratch;
    Kf__Delivery *d = notify_delivery_get (self, txn, id, arena);
    if (!d || d->status != KF__DELIVERY_STATUS__DELIVERY_STATUS_PENDING || d->next_at_ms != at_ms)
        return 0;   //  stale: retried, dismissed or re-armed since
    //  A code that has stopped working is worth nothing to its person.
    if (d->kind && strcmp (d->kind, NOTIFY_CODE_KIND) == 0 && c->now_ms >= d->give_up_at_ms)
        return s_alarmed (self, txn, c->now_ms, d, KF__DELIVERY_STATUS__DELIVERY_STATUS_FAILED,
                          d->probe || d->attempts ? "the code expired; it may have gone before"
                                                  : "the code expired before it could be sent") ? -1 : 0;
    //  The limit counts messages to a person, not tries: a retry or a probe
    //  of one already counted is not another.
    int over = d->probe || d->attempts > 0 ? 0 : s_rate_over (self, txn, d, c->now_ms);
    if (over < 0)
        return -1;
    if (over) {
        d->reason = "held by the rate limit (notify/rate_per_hour)";
        return notify_delivery_pend (self, txn, d, (c->now_ms / S_HOUR_MS + 1) * S_HOUR_MS) ? -1 : 0;
    }
    //  A probe is a call to the gateway too: counted, so that its backoff
    //  grows like any other's.
    KF_SET (d, status, KF__DELIVERY_STATUS__DELIVERY_STATUS_SENDING);
    KF_SET (d, attempts, d->attempts + 1);
    KF_SET (d, last_attempt_ms, c->now_ms);
    if (notify_delivery_put (self, txn, d) || s_in_flight (self, txn, d, true))
        return -1;
    size_t size;
    uint8_t *packed = kf_codec_pack (&d->base, &size);
    if (!packed)
        return kf_txn_fail (txn, "out of memory");
    zmsg_addstr (c->claimed, d->id);
    zmsg_addmem (c->claimed, packed, size);
    free (packed);
    return 1;
}

int
notify_claim (notify_t *self, kf_txn_t *txn, int64_t now_ms, size_t max, zmsg_t *claimed)
{
    assert (self && txn && claimed);
    notify_tables (self, txn);
    kf_arena_reset (self->base.scratch);
    s_claim_t c = { self, now_ms, claimed };
    return kf_timers_fire (txn, self->queue, now_ms, max, s_claim_one, &c);
}

int64_t
notify_next_due (notify_t *self, kf_txn_t *txn)
{
    notify_tables (self, txn);
    return kf_timers_next (txn, self->queue);
}

int
notify_record (notify_t *self, kf_txn_t *txn, int64_t now_ms, const char *id, bool probed,
               const notify_result_t *result)
{
    assert (self && txn && id && result);
    notify_tables (self, txn);
    kf_arena_reset (self->base.scratch);
    kf_arena_t *arena = self->base.scratch;
    Kf__Delivery *d = notify_delivery_get (self, txn, id, arena);
    if (!d || d->status != KF__DELIVERY_STATUS__DELIVERY_STATUS_SENDING)
        return 0;
    if (s_in_flight (self, txn, d, false))
        return -1;
    char *reason = notify_text_clean (arena, result->reason);
    KF_SET (d, probe, false);
    switch (result->outcome) {
        case NOTIFY_SENT:
            notify_delivery_hide_code (d);   //  gone: the store keeps no code it will not send again
            KF_SET (d, status, KF__DELIVERY_STATUS__DELIVERY_STATUS_SENT);
            KF_SET (d, sent_at_ms, now_ms);
            d->provider_ref = notify_text_clean (arena, result->reference);
            d->reason = probed ? "the gateway had it already" : NULL;
            d->next_at_ms = 0, d->has_next_at_ms = false;
            return notify_delivery_put (self, txn, d) || s_announce (self, txn, now_ms, d, KF__ENVELOPE__BODY_NOTIFICATION_SENT)
                 ? -1 : 0;
        case NOTIFY_UNTRIED:
            //  Handed to the sender as the daemon stopped, and never begun:
            //  it was not a try, and it is due again at once.
            KF_SET (d, attempts, d->attempts ? d->attempts - 1 : 0);
            KF_SET (d, probe, probed);   //  a question not asked is still to ask
            d->reason = reason;
            return notify_delivery_pend (self, txn, d, now_ms);
        case NOTIFY_ABSENT:
            //  The gateway never had it: now it may be sent.
            d->reason = "the gateway did not have it";
            return notify_delivery_pend (self, txn, d, now_ms);
        case NOTIFY_UNKNOWN:
            //  A webhook's gateway is asked — not at once: a gateway slow to
            //  answer may still be taking the first POST, so it is given a
            //  call's time first. A probe unanswered backs off (RETRY).
            if (d->channel == KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WEBHOOK) {
                KF_SET (d, probe, true);
                d->reason = reason;
                int64_t wait = s_backoff_ms (self, d->attempts);
                return notify_delivery_pend (self, txn, d, now_ms + (wait > self->channels.timeout_ms ? wait
                                                                                      : self->channels.timeout_ms));
            }
            return s_alarmed (self, txn, now_ms, d, KF__DELIVERY_STATUS__DELIVERY_STATUS_UNCERTAIN, reason);
        case NOTIFY_RETRY: {
            KF_SET (d, probe, probed);   //  a probe unanswered asks again
            int64_t next = now_ms + s_backoff_ms (self, d->attempts);
            if (next <= d->give_up_at_ms) {
                d->reason = reason;
                return notify_delivery_pend (self, txn, d, next);
            }
            char *why = kf_arena_alloc (arena, NOTIFY_REASON_MAX + 64);
            if (!why)
                return kf_txn_fail (txn, "out of memory");
            snprintf (why, NOTIFY_REASON_MAX + 64, "gave up after %u tries: %s", d->attempts, reason);
            return s_alarmed (self, txn, now_ms, d, KF__DELIVERY_STATUS__DELIVERY_STATUS_FAILED, why);
        }
        case NOTIFY_FAILED:
        default:
            return s_alarmed (self, txn, now_ms, d, KF__DELIVERY_STATUS__DELIVERY_STATUS_FAILED, reason);
    }
}

typedef struct {
    notify_t *self;
    int64_t now_ms;
    int count;
} s_recover_t;

static int
s_recover_one (kf_txn_t *txn, s_recover_t *r, const char *id)
{
    notify_t *self = r->self;
    Kf__Delivery *d = notify_delivery_get (self, txn, id, self->base.scratch);
    if (!d || d->status != KF__DELIVERY_STATUS__DELIVERY_STATUS_SENDING)
        return kf_txn_ok (txn) ? 0 : -1;
    r->count++;
    //  A webhook's gateway is asked — a call's time after the call began,
    //  at the soonest: the gateway may still be taking the POST the dead
    //  process sent, and would not know it yet.
    if (d->channel == KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WEBHOOK) {
        KF_SET (d, probe, true);
        d->reason = "kefu-notify stopped while the gateway was being called: asking it";
        int64_t ask = d->last_attempt_ms + self->channels.timeout_ms;
        return s_in_flight (self, txn, d, false) || notify_delivery_pend (self, txn, d, ask > r->now_ms ? ask : r->now_ms)
             ? -1 : 0;
    }
    notify_result_t lost = { .outcome = NOTIFY_UNKNOWN };
    snprintf (lost.reason, sizeof lost.reason, "kefu-notify stopped while the provider was being called");
    return notify_record (self, txn, r->now_ms, id, d->probe, &lost);
}

//  The ids of the in_flight table (malloc'd: notify_record resets the
//  scratch arena).
typedef struct {
    char (*ids) [NOTIFY_ID_SIZE];
    size_t count, room;
} s_ids_t;

static int
s_collect (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) value;
    s_ids_t *l = arg;
    if (key.size >= NOTIFY_ID_SIZE)
        return 0;   //  not an id of ours
    if (l->count == l->room) {
        size_t room = l->room ? l->room * 2 : 8;
        void *grown = realloc (l->ids, room * sizeof *l->ids);
        if (!grown)
            return kf_txn_fail (txn, "out of memory");
        l->ids = grown, l->room = room;
    }
    memcpy (l->ids [l->count], key.data, key.size);
    l->ids [l->count++][key.size] = 0;
    return 0;
}

int
notify_recover_in_flight (notify_t *self, kf_txn_t *txn, int64_t now_ms)
{
    assert (self && txn);
    notify_tables (self, txn);
    kf_arena_reset (self->base.scratch);
    s_recover_t r = { self, now_ms, 0 };
    //  notify_record deletes the row it is called for: collect first.
    s_ids_t l = { 0 };
    int rc = kf_txn_scan (txn, self->in_flight, NULL, s_collect, &l) < 0 ? -1 : 0;
    for (size_t i = 0; i < l.count && rc == 0; i++)
        rc = s_recover_one (txn, &r, l.ids [i]);
    free (l.ids);
    return rc ? -1 : r.count;
}
