/*  notify_sender — the calls, made with libcurl in the sender's thread.
    See notify_sender.h.

    Wall time, not the daemon's clock, signs requests and dates emails: a
    provider checks a signature's freshness against its own clock, and the
    daemon's may be a test's file clock three days ahead.
*/
#include "notify_sender.h"
#include <curl/curl.h>
#include <inttypes.h>
#include <stdatomic.h>

#define S_ANSWER_MAX   (64 * 1024)     //  bytes of an answer read; the rest is dropped
#define S_TOKEN_MAX    600

//  What the daemon's thread and the sender's share: the channels (read
//  only) and whether the daemon is stopping.
typedef struct {
    const notify_channels_t *channels;
    atomic_bool stopping;
    CURL *curl;                        //  made before the thread, used by it alone
} s_shared_t;

struct _notify_sender_t {
    zactor_t *actor;
    s_shared_t shared;
};

typedef struct {
    const notify_channels_t *channels;
    s_shared_t *shared;
    zsock_t *pipe;
    CURL *curl;
    char wechat_token [S_TOKEN_MAX];
    int64_t wechat_token_until;        //  wall ms
} s_worker_t;

//  ---- libcurl ---------------------------------------------------------------------

typedef struct {
    char data [S_ANSWER_MAX + 1];
    size_t size;
} s_buffer_t;

static size_t
s_write (char *data, size_t size, size_t count, void *arg)
{
    s_buffer_t *b = arg;
    size_t n = size * count;
    size_t room = S_ANSWER_MAX - b->size;
    memcpy (b->data + b->size, data, n < room ? n : room);
    b->size += n < room ? n : room;
    b->data [b->size] = 0;
    return n;
}

typedef struct {
    const char *data;
    size_t size, at;
} s_upload_t;

static size_t
s_read (char *out, size_t size, size_t count, void *arg)
{
    s_upload_t *u = arg;
    size_t n = size * count;
    if (n > u->size - u->at)
        n = u->size - u->at;
    memcpy (out, u->data + u->at, n);
    u->at += n;
    return n;
}

static void
s_common (s_worker_t *self, const char *protocols)
{
    curl_easy_reset (self->curl);
    curl_easy_setopt (self->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (self->curl, CURLOPT_TIMEOUT_MS, (long) self->channels->timeout_ms);
    curl_easy_setopt (self->curl, CURLOPT_CONNECTTIMEOUT_MS, (long) self->channels->timeout_ms);
    //  Never a redirect, never another protocol than the channel's own.
    curl_easy_setopt (self->curl, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt (self->curl, CURLOPT_FOLLOWLOCATION, 0L);
    //  A connection of its own for every call: on a reused one that died
    //  libcurl may send the request again by itself, and the provider would
    //  have it twice.
    curl_easy_setopt (self->curl, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt (self->curl, CURLOPT_FORBID_REUSE, 1L);
}

//  Whether the request may have reached the provider: libcurl had begun
//  the transfer proper (connected, past TLS and, for SMTP, the envelope).
static bool
s_reached (CURL *curl)
{
    curl_off_t pretransfer = 0;
    curl_easy_getinfo (curl, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
    return pretransfer > 0;
}

static void
s_http (s_worker_t *self, const notify_http_request_t *request, notify_http_answer_t *answer, s_buffer_t *buffer)
{
    s_common (self, "http,https");
    buffer->size = 0;
    buffer->data [0] = 0;
    struct curl_slist *headers = NULL;
    for (size_t i = 0; i < request->header_count; i++)
        headers = curl_slist_append (headers, request->headers [i]);
    headers = curl_slist_append (headers, "Expect:");
    curl_easy_setopt (self->curl, CURLOPT_URL, request->url);
    curl_easy_setopt (self->curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt (self->curl, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt (self->curl, CURLOPT_WRITEDATA, buffer);
    if (strcmp (request->method, "POST") == 0) {
        curl_easy_setopt (self->curl, CURLOPT_POSTFIELDS, request->body ? request->body : "");
        curl_easy_setopt (self->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) request->body_size);
    }
    CURLcode rc = curl_easy_perform (self->curl);
    memset (answer, 0, sizeof *answer);
    answer->transport = (int) rc;
    answer->reached = rc == CURLE_OK || s_reached (self->curl);
    curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &answer->status);
    if (rc == CURLE_OK && answer->status == 0)
        answer->transport = (int) CURLE_GOT_NOTHING;
    answer->body = buffer->data;
    answer->body_size = buffer->size;
    curl_slist_free_all (headers);
}

//  ---- the channels ----------------------------------------------------------------

static void
s_email (s_worker_t *self, const Kf__Delivery *d, int64_t wall_ms, notify_result_t *result)
{
    const notify_email_config_t *config = &self->channels->email;
    kf_err_t err;
    size_t size;
    char *message = notify_email_message (config, d, wall_ms, &size, &err);
    if (!message) {
        result->outcome = NOTIFY_FAILED;
        snprintf (result->reason, sizeof result->reason, "%s", err.text);
        return;
    }
    s_common (self, "smtp,smtps");
    char from [300], to [300];
    snprintf (from, sizeof from, "<%s>", config->from);
    snprintf (to, sizeof to, "<%s>", d->recipient->address);
    struct curl_slist *rcpt = curl_slist_append (NULL, to);
    s_upload_t upload = { message, size, 0 };
    curl_easy_setopt (self->curl, CURLOPT_URL, config->url);
    curl_easy_setopt (self->curl, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt (self->curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt (self->curl, CURLOPT_READFUNCTION, s_read);
    curl_easy_setopt (self->curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt (self->curl, CURLOPT_UPLOAD, 1L);
    if (config->starttls)
        curl_easy_setopt (self->curl, CURLOPT_USE_SSL, (long) CURLUSESSL_ALL);
    if (config->ca_file)
        curl_easy_setopt (self->curl, CURLOPT_CAINFO, config->ca_file);
    if (config->user) {
        curl_easy_setopt (self->curl, CURLOPT_USERNAME, config->user);
        curl_easy_setopt (self->curl, CURLOPT_PASSWORD, config->password ? config->password : "");
    }
    CURLcode rc = curl_easy_perform (self->curl);
    long code = 0;
    curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &code);
    if (rc == CURLE_OK) {
        result->outcome = NOTIFY_SENT;
        snprintf (result->reference, sizeof result->reference, "<%s@kefu>", d->id);
    }
    else
    if (code >= 400) {
        //  The server said no: 4xx for now, 5xx for good (a mailbox that is not there).
        result->outcome = code >= 500 ? NOTIFY_FAILED : NOTIFY_RETRY;
        snprintf (result->reason, sizeof result->reason, "SMTP %ld: %s", code, curl_easy_strerror (rc));
    }
    else {
        notify_http_answer_t answer = { .transport = (int) rc, .reached = s_reached (self->curl) };
        notify_http_transport (&answer, result);
    }
    curl_slist_free_all (rcpt);
    free (message);
}

//  Build, call, judge: one HTTP channel's turn.
static void
s_call (s_worker_t *self, notify_http_request_t *request, int built, const kf_err_t *err,
        void (*outcome) (const notify_http_answer_t *, notify_result_t *), notify_result_t *result)
{
    if (built) {
        result->outcome = NOTIFY_FAILED;
        snprintf (result->reason, sizeof result->reason, "%s", err->text);
        return;
    }
    s_buffer_t *buffer = malloc (sizeof *buffer);
    if (!buffer) {
        result->outcome = NOTIFY_RETRY;
        snprintf (result->reason, sizeof result->reason, "out of memory");
        notify_http_request_free (request);
        return;
    }
    notify_http_answer_t answer;
    s_http (self, request, &answer, buffer);
    outcome (&answer, result);
    free (buffer);
    notify_http_request_free (request);
}

//  A template message with the account's token; a token WeChat says is
//  stale is dropped, so the retry fetches a new one.
static void
s_wechat (s_worker_t *self, const Kf__Delivery *d, notify_result_t *result)
{
    notify_http_request_t request;
    kf_err_t err;
    if (notify_wechat_request (&self->channels->wechat, self->wechat_token, d, &request, &err)) {
        result->outcome = NOTIFY_FAILED;
        snprintf (result->reason, sizeof result->reason, "%s", err.text);
        return;
    }
    s_buffer_t *buffer = malloc (sizeof *buffer);
    if (!buffer) {
        notify_http_request_free (&request);
        result->outcome = NOTIFY_RETRY;
        snprintf (result->reason, sizeof result->reason, "out of memory");
        return;
    }
    notify_http_answer_t answer;
    s_http (self, &request, &answer, buffer);
    bool stale = false;
    notify_wechat_outcome (&answer, result, &stale);
    if (stale)
        self->wechat_token [0] = 0;
    free (buffer);
    notify_http_request_free (&request);
}

//  A token for the official account, fetched when there is none or it is
//  about to run out; WeChat's tokens live two hours.
static int
s_wechat_token (s_worker_t *self, int64_t wall_ms, notify_result_t *result)
{
    if (self->wechat_token [0] && wall_ms < self->wechat_token_until)
        return 0;
    notify_http_request_t request;
    kf_err_t err;
    if (notify_wechat_token_request (&self->channels->wechat, &request, &err)) {
        result->outcome = NOTIFY_RETRY;
        snprintf (result->reason, sizeof result->reason, "%s", err.text);
        return -1;
    }
    s_buffer_t *buffer = malloc (sizeof *buffer);
    if (!buffer) {
        notify_http_request_free (&request);
        result->outcome = NOTIFY_RETRY;
        snprintf (result->reason, sizeof result->reason, "out of memory");
        return -1;
    }
    notify_http_answer_t answer;
    s_http (self, &request, &answer, buffer);
    int64_t life = 0;
    int rc = 0;
    if (answer.transport) {
        notify_http_transport (&answer, result);
        result->outcome = NOTIFY_RETRY;   //  no message was sent yet
        rc = -1;
    }
    else
    if (notify_wechat_token_parse (&answer, self->wechat_token, sizeof self->wechat_token, &life, &err)) {
        result->outcome = NOTIFY_RETRY;
        snprintf (result->reason, sizeof result->reason, "the access token: %.200s", err.text);
        self->wechat_token [0] = 0;
        rc = -1;
    }
    else
        //  Renewed five minutes early, so a message never goes with a dying token.
        self->wechat_token_until = wall_ms + (life > 600000 ? life - 300000 : life / 2);
    free (buffer);
    notify_http_request_free (&request);
    return rc;
}

static void
s_deliver (s_worker_t *self, const Kf__Delivery *d, notify_result_t *result)
{
    int64_t wall_ms = zclock_time ();
    notify_http_request_t request;
    kf_err_t err = { 0 };
    switch (d->channel) {
        case KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_EMAIL:
            s_email (self, d, wall_ms, result);
            return;
        case KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WEBHOOK:
            if (d->probe)
                s_call (self, &request,
                        notify_webhook_probe_request (&self->channels->webhook, d, wall_ms, &request, &err), &err,
                        notify_webhook_probe_outcome, result);
            else
                s_call (self, &request, notify_webhook_request (&self->channels->webhook, d, wall_ms, &request, &err),
                        &err, notify_webhook_outcome, result);
            return;
        case KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_SMS:
            s_call (self, &request, notify_sms_request (&self->channels->sms, d, wall_ms, &request, &err), &err,
                    notify_sms_outcome, result);
            return;
        case KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WECHAT:
            if (s_wechat_token (self, wall_ms, result) == 0)
                s_wechat (self, d, result);
            return;
        default:
            result->outcome = NOTIFY_FAILED;
            snprintf (result->reason, sizeof result->reason, "no such channel");
    }
}

//  ---- the actor -------------------------------------------------------------------

//  One delivery: [id][packed Delivery]. Every one given is answered, even
//  one that does not read (never begun: due again).
static void
s_job (s_worker_t *self, zmsg_t *msg)
{
    char *id = zmsg_popstr (msg);
    zframe_t *frame = zmsg_pop (msg);
    Kf__Delivery *d = frame ? kf__delivery__unpack (NULL, zframe_size (frame), zframe_data (frame)) : NULL;
    zframe_destroy (&frame);
    if (!d || !d->id || !id || strcmp (d->id, id) != 0) {
        kf_warning ("notify: the sender got a delivery it cannot read");
        if (id)
            zsock_send (self->pipe, "ssiss", id, "0", (int) NOTIFY_UNTRIED, "the sender could not read it", "");
        if (d)
            kf__delivery__free_unpacked (d, NULL);
        zstr_free (&id);
        return;
    }
    zstr_free (&id);
    notify_result_t result;
    memset (&result, 0, sizeof result);
    if (!d->recipient || !d->recipient->address || !*d->recipient->address) {
        result.outcome = NOTIFY_FAILED;
        snprintf (result.reason, sizeof result.reason, "no address");
    }
    else
    if (atomic_load (&self->shared->stopping)) {
        //  Never begun: certainly not taken, so it simply goes at the next start.
        result.outcome = NOTIFY_UNTRIED;
        snprintf (result.reason, sizeof result.reason, "not attempted: kefu-notify was stopping");
    }
    else
        s_deliver (self, d, &result);
    zsock_send (self->pipe, "ssiss", d->id, d->probe ? "1" : "0", (int) result.outcome, result.reason,
                result.reference);
    kf__delivery__free_unpacked (d, NULL);
}

static void
s_actor (zsock_t *pipe, void *arg)
{
    s_shared_t *shared = arg;
    s_worker_t self = { .channels = shared->channels, .shared = shared, .pipe = pipe, .curl = shared->curl };
    zsock_signal (pipe, 0);
    while (true) {
        zmsg_t *msg = zmsg_recv (pipe);
        if (!msg)
            break;
        zframe_t *first = zmsg_first (msg);
        if (first && zframe_streq (first, "$TERM")) {
            zmsg_destroy (&msg);
            break;
        }
        s_job (&self, msg);
        zmsg_destroy (&msg);
    }
}

notify_sender_t *
notify_sender_new (const notify_channels_t *channels)
{
    assert (channels);
    notify_sender_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->shared.channels = channels;
    atomic_init (&self->shared.stopping, false);
    self->shared.curl = curl_easy_init ();
    self->actor = self->shared.curl ? zactor_new (s_actor, &self->shared) : NULL;
    if (!self->actor) {
        if (self->shared.curl)
            curl_easy_cleanup (self->shared.curl);
        free (self);
        return NULL;
    }
    return self;
}

void
notify_sender_destroy (notify_sender_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zactor_destroy (&(*self_p)->actor);
        curl_easy_cleanup ((*self_p)->shared.curl);
        free (*self_p);
        *self_p = NULL;
    }
}

void
notify_sender_stop (notify_sender_t *self)
{
    assert (self);
    atomic_store (&self->shared.stopping, true);
}

zsock_t *
notify_sender_sock (notify_sender_t *self)
{
    return zactor_sock (self->actor);
}

int
notify_sender_send (notify_sender_t *self, zmsg_t **claimed_p)
{
    assert (self && claimed_p);
    return zmsg_send (claimed_p, self->actor);
}

int
notify_sender_recv (notify_sender_t *self, char *id, size_t id_size, bool *probed, notify_result_t *result)
{
    char *got_id = NULL, *got_probed = NULL, *reason = NULL, *reference = NULL;
    int outcome = 0;
    if (zsock_recv (self->actor, "ssiss", &got_id, &got_probed, &outcome, &reason, &reference) || !got_id) {
        zstr_free (&got_id), zstr_free (&got_probed), zstr_free (&reason), zstr_free (&reference);
        return -1;
    }
    memset (result, 0, sizeof *result);
    snprintf (id, id_size, "%s", got_id);
    *probed = got_probed && got_probed [0] == '1';
    result->outcome = (notify_outcome_t) outcome;
    snprintf (result->reason, sizeof result->reason, "%s", reason ? reason : "");
    snprintf (result->reference, sizeof result->reference, "%s", reference ? reference : "");
    zstr_free (&got_id), zstr_free (&got_probed), zstr_free (&reason), zstr_free (&reference);
    return 0;
}
