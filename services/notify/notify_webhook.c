/*  notify_webhook — the group's own gateway (WeChat Work, SMS): a delivery
    POSTed as JSON, signed (kf_webhook_sign: "t=<ms>,v1=<HMAC-SHA256 of
    '<ms>.<body>'>" in Kefu-Signature), named by Kefu-Delivery.

    The gateway's side of the contract (docs/notify.md): it answers 2xx when
    it has taken the message, 409 when it had it already, and keeps the ids
    it took, so that GET <url>/<id> (signed over the id) answers 200 for
    one it has and 404 for one it never had. That question is what lets
    kefu-notify, after a stop in mid-call, know instead of guess.
*/
#include "notify_channel.h"
#include "kf_hmac.h"
#include "kf_json.h"
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The delivery as the gateway sees it: what to say to whom, not kefu's
//  bookkeeping (attempts, next time, probe).
static char *
s_body (const Kf__Delivery *delivery)
{
    Kf__Delivery copy = *delivery;
    copy.has_status = false;
    copy.has_next_at_ms = copy.has_give_up_at_ms = copy.has_attempts = copy.has_last_attempt_ms = false;
    copy.has_probe = copy.has_sent_at_ms = false;
    copy.reason = copy.provider_ref = copy.actor = NULL;
    return kf_json_encode (&copy.base);
}

static int
s_sign (const notify_webhook_config_t *config, notify_http_request_t *request, int64_t wall_ms, const char *id,
        const void *signed_data, size_t size, kf_err_t *err)
{
    char signature [KF_SIGNATURE_SIZE];
    if (kf_webhook_sign (config->secret, wall_ms, signed_data, size, signature)
    ||  notify_http_header (request, "Kefu-Delivery", id)
    ||  notify_http_header (request, "Kefu-Signature", signature))
        return kf_err_set (err, "cannot sign the webhook");
    return 0;
}

int
notify_webhook_request (const notify_webhook_config_t *config, const Kf__Delivery *delivery, int64_t wall_ms,
                        notify_http_request_t *request, kf_err_t *err)
{
    assert (config && config->url && delivery && delivery->id && request);
    memset (request, 0, sizeof *request);
    request->method = "POST";
    request->url = strdup (config->url);
    request->body = s_body (delivery);
    if (!request->url || !request->body) {
        notify_http_request_free (request);
        return kf_err_set (err, "out of memory");
    }
    request->body_size = strlen (request->body);
    if (notify_http_header (request, "Content-Type", "application/json; charset=utf-8")
    ||  s_sign (config, request, wall_ms, delivery->id, request->body, request->body_size, err)) {
        notify_http_request_free (request);
        return -1;
    }
    return 0;
}

void
notify_webhook_outcome (const notify_http_answer_t *answer, notify_result_t *result)
{
    assert (answer && result);
    memset (result, 0, sizeof *result);
    if (answer->transport) {
        notify_http_transport (answer, result);
        return;
    }
    long s = answer->status;
    if ((s >= 200 && s < 300) || s == 409) {
        result->outcome = NOTIFY_SENT;
        snprintf (result->reference, sizeof result->reference, "HTTP %ld", s);
        return;
    }
    //  An answer came: a 3xx or 1xx is no "yes" either.
    notify_outcome_t outcome = notify_status_outcome (s);
    notify_result_set (result, outcome == NOTIFY_UNKNOWN ? NOTIFY_FAILED : outcome, "the gateway answered HTTP %ld", s);
}

int
notify_webhook_probe_request (const notify_webhook_config_t *config, const Kf__Delivery *delivery,
                              int64_t wall_ms, notify_http_request_t *request, kf_err_t *err)
{
    assert (config && config->url && delivery && delivery->id && request);
    memset (request, 0, sizeof *request);
    request->method = "GET";
    size_t n = strlen (config->url) + strlen (delivery->id) + 2;
    request->url = malloc (n);
    if (!request->url)
        return kf_err_set (err, "out of memory");
    const char *slash = config->url [strlen (config->url) - 1] == '/' ? "" : "/";
    snprintf (request->url, n, "%s%s%s", config->url, slash, delivery->id);
    if (s_sign (config, request, wall_ms, delivery->id, delivery->id, strlen (delivery->id), err)) {
        notify_http_request_free (request);
        return -1;
    }
    return 0;
}

void
notify_webhook_probe_outcome (const notify_http_answer_t *answer, notify_result_t *result)
{
    assert (answer && result);
    memset (result, 0, sizeof *result);
    if (!answer->transport && answer->status == 200) {
        result->outcome = NOTIFY_SENT;
        snprintf (result->reference, sizeof result->reference, "HTTP 200 (asked)");
    }
    else
    if (!answer->transport && answer->status == 404)
        result->outcome = NOTIFY_ABSENT;
    else {
        result->outcome = NOTIFY_RETRY;
        if (answer->transport)
            notify_http_transport (answer, result), result->outcome = NOTIFY_RETRY;
        else
            snprintf (result->reason, sizeof result->reason, "asked whether it had it, the gateway answered HTTP %ld",
                      answer->status);
    }
}
