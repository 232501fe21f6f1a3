/*  notify_http — the channels' settings, and an HTTP call as the adapters
    describe it: its headers, and what a failure to get an answer means.
    See notify_channel.h.
*/
#include "notify_channel.h"
#include "kf_codec.h"
#include "kf_hmac.h"
#include "kf_json.h"
#include <assert.h>
#include <stdarg.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
notify_channel_name (Kf__NotifyChannel channel)
{
    switch (channel) {
        case KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_EMAIL: return "email";
        case KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WEBHOOK: return "webhook";
        case KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_SMS: return "sms";
        case KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WECHAT: return "wechat";
        default: return "none";
    }
}

static bool
s_set (const char *value)
{
    return value && *value;
}

//  A url the channel may call: http(s):// for the HTTP APIs, smtp(s):// for
//  email; anything else (file://, a typo) is refused at start.
static int
s_url (const char *key, const char *url, const char *const *schemes, kf_err_t *err)
{
    for (const char *const *s = schemes; *s; s++)
        if (strncmp (url, *s, strlen (*s)) == 0 && url [strlen (*s)])
            return 0;
    return kf_err_set (err, "%s: expected a %s or %s url, not '%s'", key, schemes [0], schemes [1], url);
}

int
notify_channels_load (notify_channels_t *self, const kf_config_t *config, kf_err_t *err)
{
    assert (self && config);
    memset (self, 0, sizeof *self);
    self->timeout_ms = kf_config_duration_ms (config, "notify/call_timeout");
    static const char *const http [] = { "http://", "https://", NULL };
    static const char *const smtp [] = { "smtp://", "smtps://", NULL };

    notify_email_config_t *email = &self->email;
    email->url = kf_config_str (config, "notify/email/url");
    email->from = kf_config_str (config, "notify/email/from");
    email->user = kf_config_str (config, "notify/email/user");
    email->password = kf_config_str (config, "notify/email/password");
    email->starttls = kf_config_bool (config, "notify/email/starttls");
    email->ca_file = kf_config_str (config, "notify/email/ca_file");
    if (s_set (email->url)) {
        if (s_url ("notify/email/url", email->url, smtp, err))
            return -1;
        if (!s_set (email->from) || !strchr (email->from, '@'))
            return kf_err_set (err, "notify/email/from: an email address is required with notify/email/url");
        if (s_set (email->user) && !email->starttls && strncmp (email->url, "smtps://", 8) != 0)
            return kf_err_set (err, "notify/email/user: the password would cross in clear text; "
                               "set notify/email/starttls = true or use smtps://");
    }

    notify_webhook_config_t *webhook = &self->webhook;
    webhook->url = kf_config_str (config, "notify/webhook/url");
    webhook->secret = kf_config_str (config, "notify/webhook/secret");
    if (s_set (webhook->url)) {
        if (s_url ("notify/webhook/url", webhook->url, http, err))
            return -1;
        if (!webhook->secret || strlen (webhook->secret) < KF_HMAC_SECRET_MIN)
            return kf_err_set (err, "notify/webhook/secret: at least %d bytes are required with notify/webhook/url",
                               KF_HMAC_SECRET_MIN);
    }

    notify_sms_config_t *sms = &self->sms;
    sms->url = kf_config_str (config, "notify/sms/url");
    sms->secret_id = kf_config_str (config, "notify/sms/secret_id");
    sms->secret_key = kf_config_str (config, "notify/sms/secret_key");
    sms->app_id = kf_config_str (config, "notify/sms/app_id");
    sms->sign_name = kf_config_str (config, "notify/sms/sign_name");
    sms->region = kf_config_str (config, "notify/sms/region");
    sms->code_template = kf_config_str (config, "notify/sms/code_template");
    if (s_set (sms->url)) {
        if (s_url ("notify/sms/url", sms->url, http, err))
            return -1;
        const char *need [] = { "secret_id", "secret_key", "app_id", "sign_name" };
        const char *have [] = { sms->secret_id, sms->secret_key, sms->app_id, sms->sign_name };
        for (size_t i = 0; i < 4; i++)
            if (!s_set (have [i]))
                return kf_err_set (err, "notify/sms/%s is required with notify/sms/url", need [i]);
    }

    notify_wechat_config_t *wechat = &self->wechat;
    wechat->url = kf_config_str (config, "notify/wechat/url");
    wechat->app_id = kf_config_str (config, "notify/wechat/app_id");
    wechat->app_secret = kf_config_str (config, "notify/wechat/app_secret");
    if (s_set (wechat->url)) {
        if (s_url ("notify/wechat/url", wechat->url, http, err))
            return -1;
        if (!s_set (wechat->app_id) || !s_set (wechat->app_secret))
            return kf_err_set (err, "notify/wechat/app_id and app_secret are required with notify/wechat/url");
    }
    return 0;
}

bool
notify_channel_on (const notify_channels_t *self, Kf__NotifyChannel channel)
{
    assert (self);
    switch (channel) {
        case KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_EMAIL: return s_set (self->email.url);
        case KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WEBHOOK: return s_set (self->webhook.url);
        case KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_SMS: return s_set (self->sms.url);
        case KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WECHAT: return s_set (self->wechat.url);
        default: return false;
    }
}

void
notify_http_request_free (notify_http_request_t *self)
{
    if (self) {
        free (self->url);
        free (self->body);
        self->url = self->body = NULL;
        self->header_count = 0;
    }
}

int
notify_http_header (notify_http_request_t *self, const char *name, const char *value)
{
    assert (self && name && value);
    if (self->header_count == NOTIFY_HEADERS_MAX)
        return -1;
    int n = snprintf (self->headers [self->header_count], NOTIFY_HEADER_MAX, "%s: %s", name, value);
    if (n < 0 || n >= NOTIFY_HEADER_MAX || strpbrk (self->headers [self->header_count], "\r\n"))
        return -1;
    self->header_count++;
    return 0;
}

void
notify_http_transport (const notify_http_answer_t *answer, notify_result_t *result)
{
    assert (answer && result);
    result->outcome = answer->reached ? NOTIFY_UNKNOWN : NOTIFY_RETRY;
    snprintf (result->reason, sizeof result->reason, "%s: %s",
              answer->reached ? "no answer" : "not reached", curl_easy_strerror ((CURLcode) answer->transport));
}

//  Text from outside made one line: control characters (C0, DEL, C1) as
//  spaces, ended after its last whole character.
void
notify_one_line (char *text)
{
    for (unsigned char *c = (unsigned char *) text; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            *c = ' ';
        else
        if (c [0] == 0xC2 && c [1] >= 0x80 && c [1] <= 0x9f)   //  C1: both bytes
            c [0] = c [1] = ' ';
    kf_utf8_clip (text, SIZE_MAX);
}

void
notify_result_set (notify_result_t *result, notify_outcome_t outcome, const char *format, ...)
{
    result->outcome = outcome;
    va_list args;
    va_start (args, format);
    vsnprintf (result->reason, sizeof result->reason, format, args);
    va_end (args);
    notify_one_line (result->reason);
}

notify_outcome_t
notify_status_outcome (long status)
{
    if (status >= 500 || status == 408 || status == 429)
        return NOTIFY_RETRY;
    return status >= 400 ? NOTIFY_FAILED : NOTIFY_UNKNOWN;
}

bool
notify_http_readable (const notify_http_answer_t *answer, const char *provider, size_t max, notify_result_t *result)
{
    if (answer->transport) {
        notify_http_transport (answer, result);
        return false;
    }
    if (answer->body && answer->body_size > 0 && answer->body_size <= max)
        return true;
    notify_result_set (result, notify_status_outcome (answer->status), "%s: HTTP %ld, %s", provider, answer->status,
                       answer->body_size > max ? "an answer too large to read" : "no answer");
    return false;
}

int
notify_put_json_string (FILE *out, const char *text)
{
    char *quoted = kf_json_quote (text ? text : "");
    int rc = quoted && fputs (quoted, out) >= 0 ? 0 : -1;
    free (quoted);
    return rc;
}
