/*  notify_deliveries — a delivery's life, and the commands on it.

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
#define S_CODE_LIFE_MAX_MS (30 * 60000)  //  a sign-in code lives at most this long
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

static Kf__Delivery *
s_get (notify_t *self, kf_txn_t *txn, const char *id, kf_arena_t *arena)
{
    kf_key_t key;
    if (!id || kf_key_make (&key, "s", id))
        return NULL;
    return (Kf__Delivery *) kf_txn_find_msg_in (txn, self->deliveries, &key, &kf__delivery__descriptor, arena);
}

//  A sign-in code's text in the log and in replies: that it went, not the
//  code (whoever reads the log could sign in as the person).
static void
s_hide_code (Kf__Delivery *d)
{
    if (d->kind && strcmp (d->kind, NOTIFY_CODE_KIND) == 0) {
        d->text = "(a sign-in code)";
        d->n_params = 0, d->params = NULL;
    }
}

//  A copy of text from outside fit to be stored: one line, whole UTF-8
//  characters (a provider's message, an operator's reason cut by a limit).
static char *
s_clean (kf_arena_t *arena, const char *text)
{
    char *copy = kf_arena_strdup (arena, text ? text : "");
    if (copy)
        notify_one_line (copy);
    return copy;
}

static int
s_put (notify_t *self, kf_txn_t *txn, const Kf__Delivery *d)
{
    kf_key_t key;
    if (kf_key_make (&key, "s", d->id))
        return kf_txn_fail (txn, "delivery id '%s' does not make a key", d->id);
    return kf_txn_put_msg (txn, self->deliveries, &key, &d->base);
}

static int
s_alarm (notify_t *self, kf_txn_t *txn, const Kf__Delivery *d, bool raise)
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

static int64_t s_release_ms (const notify_estate_t *e, int64_t now_ms);

//  Pending again, at `at_ms` — or, for a resident's notice that is not
//  urgent, at the end of the estate's quiet hours when at_ms falls in them
//  (a retry, the rate limit's next hour, an operator's retry all included).
//  Asking the gateway (a probe) tells nobody anything, so it is never held.
static int
s_pend (notify_t *self, kf_txn_t *txn, Kf__Delivery *d, int64_t at_ms)
{
    const notify_kind_t *kind = notify_kind_named (d->kind);
    const notify_estate_t *e = notify_estate (self, d->estate);
    if (kind && kind->audience == NOTIFY_TO_RESIDENTS && !d->urgent && !d->probe && e)
        at_ms = s_release_ms (e, at_ms);
    KF_SET (d, status, KF__DELIVERY_STATUS__DELIVERY_STATUS_PENDING);
    KF_SET (d, next_at_ms, at_ms);
    return s_put (self, txn, d) || kf_timers_arm (txn, self->queue, at_ms, d->id) ? -1 : 0;
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
    s_hide_code (d);   //  never sent again (notify_resolve): its code need not be kept
    kf_warning ("notify: delivery %s (%s to %s) %s: %s", d->id, d->kind,
                d->recipient && d->recipient->name ? d->recipient->name : "?",
                status == KF__DELIVERY_STATUS__DELIVERY_STATUS_FAILED ? "failed" : "is uncertain", reason);
    return s_put (self, txn, d) || s_alarm (self, txn, d, true)
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

static int
s_record_new (notify_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Delivery *d)
{
    kf_key_t key;
    if (kf_key_make (&key, "s|t|s", d->estate, d->created_at_ms, d->id))
        return kf_txn_fail (txn, "delivery %s: no index key", d->id);
    if (kf_txn_put (txn, self->by_estate, &key, "", 0))
        return -1;
    if (d->status == KF__DELIVERY_STATUS__DELIVERY_STATUS_PENDING)
        return s_pend (self, txn, d, d->next_at_ms);
    (void) now_ms;
    return s_put (self, txn, d);
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
        return s_record_new (self, txn, now_ms, d);
    }
    KF_SET (d, status, KF__DELIVERY_STATUS__DELIVERY_STATUS_PENDING);
    int64_t at = kind->audience == NOTIFY_TO_RESIDENTS && !urgent ? s_release_ms (e, now_ms) : now_ms;
    KF_SET (d, next_at_ms, at);
    if (at > now_ms)
        d->reason = "held by the estate's quiet hours";
    return s_record_new (self, txn, now_ms, d);
}

//  ---- claimed, answered -----------------------------------------------------------

typedef struct {
    notify_t *self;
    int64_t now_ms;
    zmsg_t *claimed;
} s_claim_t;

//  The rate limit: one address, one channel, one clock hour. Returns 1
//  when this message is over it (and must wait for the next hour).
static void
s_put_u64 (uint8_t *out, uint64_t value)
{
    for (int i = 7; i >= 0; i--, value >>= 8)
        out [i] = (uint8_t) value;
}

static uint64_t
s_get_u64 (const uint8_t *in)
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value = value << 8 | in [i];
    return value;
}

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
    uint64_t hour = (uint64_t) (now_ms / S_HOUR_MS), count = 0;
    kf_val_t found;
    int rc = kf_txn_get (txn, self->rates, &key, &found);
    if (rc == KF_FOUND && found.size == 16 && s_get_u64 (found.data) == hour)
        count = s_get_u64 ((const uint8_t *) found.data + 8);
    else
    if (rc != KF_FOUND && rc != KF_NOTFOUND)
        return -1;
    if ((int64_t) count >= e->rate_per_hour)
        return 1;
    uint8_t row [16];
    s_put_u64 (row, hour);
    s_put_u64 (row + 8, count + 1);
    return kf_txn_put (txn, self->rates, &key, row, sizeof row) ? -1 : 0;
}

static int
s_claim_one (kf_txn_t *txn, int64_t at_ms, const char *id, void *arg)
{
    s_claim_t *c = arg;
    notify_t *self = c->self;
    kf_arena_t *arena = self->base.scratch;
    Kf__Delivery *d = s_get (self, txn, id, arena);
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
        return s_pend (self, txn, d, (c->now_ms / S_HOUR_MS + 1) * S_HOUR_MS) ? -1 : 0;
    }
    //  A probe is a call to the gateway too: counted, so that its backoff
    //  grows like any other's.
    KF_SET (d, status, KF__DELIVERY_STATUS__DELIVERY_STATUS_SENDING);
    KF_SET (d, attempts, d->attempts + 1);
    KF_SET (d, last_attempt_ms, c->now_ms);
    if (s_put (self, txn, d) || s_in_flight (self, txn, d, true))
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
    Kf__Delivery *d = s_get (self, txn, id, arena);
    if (!d || d->status != KF__DELIVERY_STATUS__DELIVERY_STATUS_SENDING)
        return 0;
    if (s_in_flight (self, txn, d, false))
        return -1;
    char *reason = s_clean (arena, result->reason);
    KF_SET (d, probe, false);
    switch (result->outcome) {
        case NOTIFY_SENT:
            s_hide_code (d);   //  gone: the store keeps no code it will not send again
            KF_SET (d, status, KF__DELIVERY_STATUS__DELIVERY_STATUS_SENT);
            KF_SET (d, sent_at_ms, now_ms);
            d->provider_ref = s_clean (arena, result->reference);
            d->reason = probed ? "the gateway had it already" : NULL;
            d->next_at_ms = 0, d->has_next_at_ms = false;
            return s_put (self, txn, d) || s_announce (self, txn, now_ms, d, KF__ENVELOPE__BODY_NOTIFICATION_SENT)
                 ? -1 : 0;
        case NOTIFY_UNTRIED:
            //  Handed to the sender as the daemon stopped, and never begun:
            //  it was not a try, and it is due again at once.
            KF_SET (d, attempts, d->attempts ? d->attempts - 1 : 0);
            KF_SET (d, probe, probed);   //  a question not asked is still to ask
            d->reason = reason;
            return s_pend (self, txn, d, now_ms);
        case NOTIFY_ABSENT:
            //  The gateway never had it: now it may be sent.
            d->reason = "the gateway did not have it";
            return s_pend (self, txn, d, now_ms);
        case NOTIFY_UNKNOWN:
            //  A webhook's gateway is asked — not at once: a gateway slow to
            //  answer may still be taking the first POST, so it is given a
            //  call's time first. A probe unanswered backs off (RETRY).
            if (d->channel == KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WEBHOOK) {
                KF_SET (d, probe, true);
                d->reason = reason;
                int64_t wait = s_backoff_ms (self, d->attempts);
                return s_pend (self, txn, d, now_ms + (wait > self->channels.timeout_ms ? wait
                                                                                      : self->channels.timeout_ms));
            }
            return s_alarmed (self, txn, now_ms, d, KF__DELIVERY_STATUS__DELIVERY_STATUS_UNCERTAIN, reason);
        case NOTIFY_RETRY: {
            KF_SET (d, probe, probed);   //  a probe unanswered asks again
            int64_t next = now_ms + s_backoff_ms (self, d->attempts);
            if (next <= d->give_up_at_ms) {
                d->reason = reason;
                return s_pend (self, txn, d, next);
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
s_recover_one (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) value;
    s_recover_t *r = arg;
    notify_t *self = r->self;
    char id [NOTIFY_ID_SIZE + 8];
    if (kf_key_scan (key.data, key.size, "s", id, sizeof id))
        return 0;
    Kf__Delivery *d = s_get (self, txn, id, self->base.scratch);
    if (!d || d->status != KF__DELIVERY_STATUS__DELIVERY_STATUS_SENDING)
        return 0;
    r->count++;
    //  A webhook's gateway is asked — a call's time after the call began,
    //  at the soonest: the gateway may still be taking the POST the dead
    //  process sent, and would not know it yet.
    if (d->channel == KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WEBHOOK) {
        KF_SET (d, probe, true);
        d->reason = "kefu-notify stopped while the gateway was being called: asking it";
        int64_t ask = d->last_attempt_ms + self->channels.timeout_ms;
        return s_in_flight (self, txn, d, false) || s_pend (self, txn, d, ask > r->now_ms ? ask : r->now_ms) ? -1 : 0;
    }
    notify_result_t lost = { .outcome = NOTIFY_UNKNOWN };
    snprintf (lost.reason, sizeof lost.reason, "kefu-notify stopped while the provider was being called");
    return notify_record (self, txn, r->now_ms, id, d->probe, &lost);
}

int
notify_recover_in_flight (notify_t *self, kf_txn_t *txn, int64_t now_ms)
{
    assert (self && txn);
    notify_tables (self, txn);
    kf_arena_reset (self->base.scratch);
    s_recover_t r = { self, now_ms, 0 };
    //  notify_record deletes the row it is called for: collect first.
    kf_cursor_t *cursor = kf_cursor_open (txn, self->in_flight);
    if (!cursor)
        return -1;
    char (*ids) [NOTIFY_ID_SIZE] = NULL;
    size_t count = 0, room = 0;
    kf_val_t k, v;
    for (int rc = kf_cursor_first (cursor, &k, &v); rc == KF_FOUND; rc = kf_cursor_next (cursor, &k, &v)) {
        if (count == room) {
            room = room ? room * 2 : 64;
            void *grown = realloc (ids, room * sizeof *ids);
            if (!grown) {
                free (ids);
                kf_cursor_close (&cursor);
                return kf_txn_fail (txn, "out of memory");
            }
            ids = grown;
        }
        if (k.size < NOTIFY_ID_SIZE) {
            memcpy (ids [count], k.data, k.size);
            ids [count++][k.size] = 0;
        }
    }
    kf_cursor_close (&cursor);
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        kf_val_t key = { .data = ids [i], .size = strlen (ids [i]) };
        rc = s_recover_one (txn, key, (kf_val_t) { 0 }, &r);
    }
    free (ids);
    return rc ? -1 : r.count;
}

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
    Kf__Delivery *d = s_get (l->self, txn, id, arena);
    if (!d || !s_matches (l->list, d))
        return 0;
    if (show) {
        if (!l->phones)
            s_mask (d, arena);
        s_hide_code (d);
        if (kf_arena_push (arena, (void ***) &l->out->deliveries, &l->out->n_deliveries, &l->room, d))
            return -1;
    }
    else
        kf_arena_reset (l->self->base.scratch);
    return 1;
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
    kf_cursor_t *cursor = kf_cursor_open (txn, self->alarms);
    kf_val_t k, v;
    for (int found = cursor ? kf_cursor_seek (cursor, &prefix, &k, &v) : -1;
         found == KF_FOUND && kf_key_has_prefix (k, &prefix); found = kf_cursor_next (cursor, &k, &v))
        alarms++;
    kf_cursor_close (&cursor);
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
    Kf__Delivery *d = s_get (self, txn, q->id, arena);
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
    d->reason = s_clean (arena, why);
    if (!d->reason)
        return kf_txn_fail (txn, "out of memory");
    if (s_alarm (self, txn, d, false))
        return -1;
    if (retry) {
        KF_SET (d, attempts, 0);
        KF_SET (d, give_up_at_ms, now_ms + self->retry_for_ms);
        if (s_pend (self, txn, d, now_ms))
            return -1;
    }
    else {
        KF_SET (d, status, KF__DELIVERY_STATUS__DELIVERY_STATUS_DISMISSED);
        if (s_put (self, txn, d))
            return -1;
    }
    //  Stored whole; answered as the log shows it to this caller.
    if (!kf_request_sees_phones (request, estate->id))
        s_mask (d, arena);
    s_hide_code (d);
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
    if (!d->id || !d->event_id || s_record_new (self, txn, now_ms, d))
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
    s_hide_code (shown);
    if (!kf_request_sees_phones (request, estate->id))
        s_mask (shown, arena);
    reply->result_case = KF__REPLY__RESULT_DELIVERY;
    reply->delivery = shown;
    return 0;
}
