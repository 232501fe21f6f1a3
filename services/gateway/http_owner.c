/*  http_owner — owners and tenants sign in by a one-time code (issue 24.5,
    DESIGN.md §7): the code goes by kefu-notify's send_code, which sends it
    only to a phone the register gives an owner or tenant of the unit; the
    gateway keeps a keyed hash of it in memory, as it keeps sessions, for
    gateway/owners/code_life and at most gateway/owners/attempts tries. The
    session it opens is bound to the estate and the unit (ROLE_OWNER): the
    gateway and every daemon then show that unit alone. See
    http_private.h.

    POST /api/v1/owner_code answers at once and the same whether or not
    the phone is the unit's: who lives where is nobody's to learn from it.
    A code becomes good only when kefu-notify says it was sent, so a code
    for a phone the register does not know can never be guessed into a
    session. One code per code_gap and codes_per_hour an hour per phone, a
    unit twice as many codes sent, an address twenty times as many asked
    for and ten codes' worth of wrong tries: with attempts tries a code, a
    guesser gets few tries an hour at a million codes, and many wrong codes
    in a minute are a warning in the log. A new code does not end the one
    before while that one is good: asking again for someone's phone cannot
    take their code from them.
*/
#include "http_private.h"

#define S_CODE_DIGITS   6
#define S_CODES_MAX     10000      //  codes waiting at once; more get 503
#define S_RATES_MAX     100000     //  phones and units counted in the hour
#define S_HOUR_MS       3600000LL
#define S_WRONG_WARN    20         //  wrong codes in a minute that are worth a warning
#define S_OWNER_BODY    "estate, unit and phone"

typedef struct {
    char estate [KF_ID_MAX + 1];
    char unit [GATEWAY_UNIT_MAX + 1];
    char phone [GATEWAY_PHONE_MAX + 1];
    unsigned char hash [crypto_generichash_BYTES];   //  of the code, keyed by the gateway's own key
    int64_t expires_ms;      //  http_now's
    unsigned char prev_hash [crypto_generichash_BYTES];   //  the code before, while it is good
    int64_t prev_expires_ms; //  0: none
    unsigned attempts;
    bool sent;               //  kefu-notify sent it: the phone is the unit's
    char request_id [32];    //  the send_code's, while it is out
} s_code_t;

typedef struct {
    int64_t hour_from_ms;    //  the hour being counted began
    unsigned count;          //  codes asked for in it
    int64_t last_ms;         //  the last one
} s_rate_t;

static void
s_code_destroy (void **item)
{
    if (*item) {
        sodium_memzero (*item, sizeof (s_code_t));
        free (*item);
        *item = NULL;
    }
}

static void
s_hash (http_t *self, const char *code, unsigned char *hash)
{
    crypto_generichash (hash, crypto_generichash_BYTES, (const unsigned char *) code, strlen (code), self->owner_key,
                        sizeof self->owner_key);
}

int
http_owner_start (http_t *self, kf_err_t *err)
{
    self->owner_codes = zhashx_new ();
    self->owner_rates = zhashx_new ();
    self->owner_sends = zhashx_new ();
    if (!self->owner_codes || !self->owner_rates || !self->owner_sends)
        return kf_err_set (err, "out of memory for owners' codes");
    zhashx_set_destructor (self->owner_codes, s_code_destroy);
    zhashx_set_destructor (self->owner_rates, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_destructor (self->owner_sends, (zhashx_destructor_fn *) zstr_free);
    randombytes_buf (self->owner_key, sizeof self->owner_key);
    self->code_life_ms = kf_config_duration_ms (self->config, "gateway/owners/code_life");
    self->code_attempts = (unsigned) kf_config_int (self->config, "gateway/owners/attempts");
    self->codes_per_hour = (unsigned) kf_config_int (self->config, "gateway/owners/codes_per_hour");
    self->code_gap_ms = kf_config_duration_ms (self->config, "gateway/owners/code_gap");
    return 0;
}

void
http_owner_stop (http_t *self)
{
    zhashx_destroy (&self->owner_codes);
    zhashx_destroy (&self->owner_rates);
    zhashx_destroy (&self->owner_sends);
    sodium_memzero (self->owner_key, sizeof self->owner_key);
}

//  Codes past their life, and counts past their hour, go.
void
http_owner_sweep (http_t *self, int64_t now)
{
    zlistx_t *over = zlistx_new ();
    if (!over)
        return;
    zlistx_set_destructor (over, (zlistx_destructor_fn *) zstr_free);
    for (s_code_t *code = zhashx_first (self->owner_codes); code; code = zhashx_next (self->owner_codes))
        if (code->expires_ms <= now)
            zlistx_add_end (over, strdup (zhashx_cursor (self->owner_codes)));
    for (char *key = zlistx_first (over); key; key = zlistx_next (over))
        zhashx_delete (self->owner_codes, key);
    zlistx_purge (over);
    for (s_rate_t *rate = zhashx_first (self->owner_rates); rate; rate = zhashx_next (self->owner_rates))
        if (now - rate->hour_from_ms >= S_HOUR_MS)
            zlistx_add_end (over, strdup (zhashx_cursor (self->owner_rates)));
    for (char *key = zlistx_first (over); key; key = zlistx_next (over))
        zhashx_delete (self->owner_rates, key);
    zlistx_purge (over);
    //  A send_code never answered (kefu-notify down) is forgotten with its code.
    for (char *key = zhashx_first (self->owner_sends); key; key = zhashx_next (self->owner_sends)) {
        s_code_t *code = zhashx_lookup (self->owner_codes, key);
        if (!code || strcmp (code->request_id, zhashx_cursor (self->owner_sends)) != 0)
            zlistx_add_end (over, strdup (zhashx_cursor (self->owner_sends)));
    }
    for (char *id = zlistx_first (over); id; id = zlistx_next (over))
        zhashx_delete (self->owner_sends, id);
    zlistx_destroy (&over);
    if (now - self->wrong_since_ms >= 60000) {
        if (self->wrong_codes >= S_WRONG_WARN)
            kf_warning ("owners: %u wrong sign-in codes in the last minute", self->wrong_codes);
        self->wrong_codes = 0;
        self->wrong_since_ms = now;
    }
}

//  The count of `key` ("p|<phone>" or "u|<estate>|<unit>"): false when one
//  more would pass `per_hour` (or, with `gap`, come within code_gap of the
//  last).
static bool
s_rate_allows (http_t *self, const char *key, unsigned per_hour, bool gap, int64_t now, int64_t *wait_ms)
{
    s_rate_t *rate = zhashx_lookup (self->owner_rates, key);
    if (rate && now - rate->hour_from_ms >= S_HOUR_MS) {
        rate->hour_from_ms = now;
        rate->count = 0;
    }
    if (rate && gap && now - rate->last_ms < self->code_gap_ms) {
        *wait_ms = self->code_gap_ms - (now - rate->last_ms);
        return false;
    }
    if (rate && rate->count >= per_hour) {
        *wait_ms = S_HOUR_MS - (now - rate->hour_from_ms);
        return false;
    }
    return true;
}

static int
s_rate_count (http_t *self, const char *key, int64_t now)
{
    s_rate_t *rate = zhashx_lookup (self->owner_rates, key);
    if (!rate) {
        rate = calloc (1, sizeof *rate);
        if (!rate || zhashx_insert (self->owner_rates, key, rate)) {
            free (rate);
            return -1;
        }
        rate->hour_from_ms = now;
    }
    rate->count++;
    rate->last_ms = now;
    return 0;
}

//  The caller's address, as text, for its own counts.
static void
s_address (http_conn_t *c, char *out, size_t size)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info (c->connection,
                                                                    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    snprintf (out, size, "?");
    if (sa && sa->sa_family == AF_INET)
        inet_ntop (AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, out, (socklen_t) size);
    else
    if (sa && sa->sa_family == AF_INET6)
        inet_ntop (AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr, out, (socklen_t) size);
}

static void
s_too_many (http_t *self, http_conn_t *c, int64_t wait_ms)
{
    http_error (c, 429, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE,
                "codes to one phone are %" PRId64 " s apart and %u an hour at most: ask again in %" PRId64 " s",
                self->code_gap_ms / 1000, self->codes_per_hour, (wait_ms + 999) / 1000);
}

//  The estate, unit and phone of a body, checked; the code's key out.
static bool
s_who_asks (http_t *self, http_conn_t *c, const char *estate, const char *unit, const char *phone, char *key,
            size_t size)
{
    if (!estate || !kf_config_estate_find (self->config, estate) || !unit || !kf_unit_valid (unit) || !phone
    ||  !kf_phone_valid (phone) || strlen (phone) > GATEWAY_PHONE_MAX) {
        http_error (c, 400, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST,
                    "send the estate's id, the unit (building-unit-room) and the phone the register has for you");
        return false;
    }
    snprintf (key, size, "%s|%s|%s", estate, unit, phone);
    return true;
}

void
http_owner_code (http_t *self, http_conn_t *c)
{
    kf_err_t err;
    Kf__OwnerCodeRequest *q = (Kf__OwnerCodeRequest *) kf_json_decode (&kf__owner_code_request__descriptor,
                                                                       c->body ? c->body : "{}",
                                                                       c->body ? c->body_size : 2, &err);
    char key [128], phone_key [64], unit_key [80], address [INET6_ADDRSTRLEN], address_key [INET6_ADDRSTRLEN + 4];
    if (!q) {
        http_error (c, 400, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, "bad JSON: %s (send %s)", err.text,
                    S_OWNER_BODY);
        return;
    }
    if (!s_who_asks (self, c, q->estate, q->unit, q->phone, key, sizeof key)) {
        kf_codec_free ((ProtobufCMessage **) &q);
        return;
    }
    int64_t now = http_now (), wait_ms = 0;
    s_address (c, address, sizeof address);
    snprintf (phone_key, sizeof phone_key, "p|%s", q->phone);
    snprintf (unit_key, sizeof unit_key, "u|%s|%s", q->estate, q->unit);
    snprintf (address_key, sizeof address_key, "a|%s", address);
    //  The unit's count is of codes sent (http_owner_sent): asking for
    //  phones that are not the unit's does not spend its owners' codes.
    if (!s_rate_allows (self, phone_key, self->codes_per_hour, true, now, &wait_ms)
    ||  !s_rate_allows (self, unit_key, 2 * self->codes_per_hour, false, now, &wait_ms)
    ||  !s_rate_allows (self, address_key, 20 * self->codes_per_hour, false, now, &wait_ms)) {
        s_too_many (self, c, wait_ms);
        kf_codec_free ((ProtobufCMessage **) &q);
        return;
    }
    if (zhashx_size (self->owner_codes) >= S_CODES_MAX || zhashx_size (self->owner_rates) + 3 >= S_RATES_MAX) {
        http_error (c, 503, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE, "too many sign-ins at once: try again shortly");
        kf_codec_free ((ProtobufCMessage **) &q);
        return;
    }
    //  A new code replaces the one before: only the newest is good.
    s_code_t *code = calloc (1, sizeof *code);
    char digits [S_CODE_DIGITS + 1];
    snprintf (digits, sizeof digits, "%0*u", S_CODE_DIGITS, (unsigned) randombytes_uniform (1000000));
    if (code) {
        snprintf (code->estate, sizeof code->estate, "%s", q->estate);
        snprintf (code->unit, sizeof code->unit, "%s", q->unit);
        snprintf (code->phone, sizeof code->phone, "%s", q->phone);
        s_hash (self, digits, code->hash);
        code->expires_ms = now + self->code_life_ms;
        snprintf (code->request_id, sizeof code->request_id, "o%" PRIu64, ++self->next_id);
    }
    Kf__SendCode send = KF__SEND_CODE__INIT;
    send.estate = q->estate, send.unit = q->unit, send.phone = q->phone, send.code = digits;
    KF_SET (&send, expires_at_ms, kf_clock_now (self->clock) + self->code_life_ms);
    Kf__Request request = KF__REQUEST__INIT;
    request.actor = "kefu-gateway";
    KF_SET (&request, role, KF__ROLE__ROLE_OPERATIONS);
    request.command_case = KF__REQUEST__COMMAND_SEND_CODE;
    request.send_code = &send;
    bool sent = code && http_send_request (self, "notify", &request, code->request_id) == 0;
    free (request.request_id);
    sodium_memzero (digits, sizeof digits);
    char *waiting = sent ? strdup (key) : NULL;
    if (!waiting || zhashx_insert (self->owner_sends, code->request_id, waiting)) {
        free (waiting);
        s_code_destroy ((void **) &code);
        http_error (c, 503, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE, "codes cannot be sent now: try again shortly");
        kf_codec_free ((ProtobufCMessage **) &q);
        return;
    }
    //  The code before stays good till its own end, beside this one.
    s_code_t *before = zhashx_lookup (self->owner_codes, key);
    if (before && before->sent && before->expires_ms > now) {
        memcpy (code->prev_hash, before->hash, sizeof code->prev_hash);
        code->prev_expires_ms = before->expires_ms;
    }
    else
    if (before && before->prev_expires_ms > now) {
        memcpy (code->prev_hash, before->prev_hash, sizeof code->prev_hash);
        code->prev_expires_ms = before->prev_expires_ms;
    }
    if (before)
        code->attempts = before->attempts;
    zhashx_delete (self->owner_codes, key);
    zhashx_insert (self->owner_codes, key, code);
    s_rate_count (self, phone_key, now);
    s_rate_count (self, address_key, now);
    Kf__OwnerCodeSent answer = KF__OWNER_CODE_SENT__INIT;
    KF_SET (&answer, expires_in_s, self->code_life_ms / 1000);
    KF_SET (&answer, next_in_s, self->code_gap_ms / 1000);
    http_answer (c, 200, "application/json", kf_json_encode (&answer.base));
    kf_codec_free ((ProtobufCMessage **) &q);
}

bool
http_owner_sent (http_t *self, const Kf__Reply *reply)
{
    char *key = zhashx_lookup (self->owner_sends, reply->request_id);
    if (!key)
        return false;
    s_code_t *code = zhashx_lookup (self->owner_codes, key);
    if (code && strcmp (code->request_id, reply->request_id) == 0) {
        if (reply->status == KF__REPLY_STATUS__REPLY_STATUS_OK) {
            code->sent = true;
            code->request_id [0] = 0;
            char unit_key [80];
            snprintf (unit_key, sizeof unit_key, "u|%s|%s", code->estate, code->unit);
            s_rate_count (self, unit_key, http_now ());
        }
        else {
            //  Not the unit's phone (or no channel reaches phones): the
            //  code was never sent, and is never good (one before it may be).
            char masked [32];
            kf_phone_mask (code->phone, masked, sizeof masked);
            kf_info ("owners: no code for %s %s to %s: %s", code->estate, code->unit, masked,
                     reply->error ? reply->error : "refused");
            code->request_id [0] = 0;
            if (code->prev_expires_ms <= http_now ())
                zhashx_delete (self->owner_codes, key);
        }
    }
    zhashx_delete (self->owner_sends, reply->request_id);
    return true;
}

void
http_owner_session (http_t *self, http_conn_t *c)
{
    kf_err_t err;
    Kf__OwnerSignIn *q = (Kf__OwnerSignIn *) kf_json_decode (&kf__owner_sign_in__descriptor, c->body ? c->body : "{}",
                                                             c->body ? c->body_size : 2, &err);
    if (c->body)
        sodium_memzero (c->body, c->body_cap);   //  it held the code
    char key [128];
    if (!q) {
        http_error (c, 400, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, "bad JSON: %s (send %s and code)", err.text,
                    S_OWNER_BODY);
        return;
    }
    if (!s_who_asks (self, c, q->estate, q->unit, q->phone, key, sizeof key)) {
        kf_codec_free ((ProtobufCMessage **) &q);
        return;
    }
    char address [INET6_ADDRSTRLEN], guesses_key [INET6_ADDRSTRLEN + 4];
    s_address (c, address, sizeof address);
    snprintf (guesses_key, sizeof guesses_key, "g|%s", address);
    int64_t now = http_now (), wait_ms = 0;
    if (!s_rate_allows (self, guesses_key, 10 * self->code_attempts, false, now, &wait_ms)) {
        http_error (c, 429, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE,
                    "too many wrong codes from here: try again in %" PRId64 " s", (wait_ms + 999) / 1000);
        kf_codec_free ((ProtobufCMessage **) &q);
        return;
    }
    s_code_t *code = zhashx_lookup (self->owner_codes, key);
    bool live = code && ((code->sent && code->expires_ms > now) || code->prev_expires_ms > now);
    bool good = false;
    if (live && q->code && strlen (q->code) == S_CODE_DIGITS) {
        unsigned char hash [crypto_generichash_BYTES];
        s_hash (self, q->code, hash);
        good = (code->sent && code->expires_ms > now && sodium_memcmp (hash, code->hash, sizeof hash) == 0)
            || (code->prev_expires_ms > now && sodium_memcmp (hash, code->prev_hash, sizeof hash) == 0);
        sodium_memzero (hash, sizeof hash);
    }
    if (!good) {
        self->wrong_codes++;
        s_rate_count (self, guesses_key, now);
    }
    if (live && !good && ++code->attempts >= self->code_attempts)
        zhashx_delete (self->owner_codes, key);   //  no more tries: a new code is asked for
    if (q->code)
        sodium_memzero (q->code, strlen (q->code));
    if (!good) {
        http_error (c, 401, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN,
                    "that code is wrong or no longer good: check it, or ask for a new one");
        kf_codec_free ((ProtobufCMessage **) &q);
        return;
    }
    gateway_token_t who = { .role = KF__ROLE__ROLE_OWNER };
    snprintf (who.estate, sizeof who.estate, "%s", code->estate);
    snprintf (who.unit, sizeof who.unit, "%s", code->unit);
    snprintf (who.phone, sizeof who.phone, "%s", code->phone);
    snprintf (who.name, sizeof who.name, "owner %.*s", (int) sizeof who.name - 7, code->unit);
    snprintf (who.staff, sizeof who.staff, "owner-%.*s", (int) sizeof who.staff - 7, code->unit);
    zhashx_delete (self->owner_codes, key);   //  a code opens one session
    http_session_open (self, c, &who, NULL, 0);
    kf_codec_free ((ProtobufCMessage **) &q);
}
