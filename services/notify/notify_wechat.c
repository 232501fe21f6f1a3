/*  notify_wechat — the WeChat channel: official-account template messages
    (模板消息) per WeChat's HTTP API, and what its answers mean. No I/O:
    notify_sender.c makes the calls and keeps the token.

      GET  <url>/cgi-bin/token?grant_type=client_credential&appid=..&secret=..
           {"access_token":"..","expires_in":7200} | {"errcode":40013,"errmsg":".."}
      POST <url>/cgi-bin/message/template/send?access_token=..
           {"touser":"<openid>","template_id":"..","data":{..},"client_msg_id":"<delivery id>"}
           {"errcode":0,"errmsg":"ok","msgid":200228332}

    The data from the delivery's params, in order: the first is "first",
    the last is "remark", those between "keyword1", "keyword2"...; a single
    param is "first" alone, two are "first" and "remark", none is {}. Query
    values are percent-encoded (RFC 3986: all but A-Z a-z 0-9 - . _ ~).

    Answers are read with kf_json_decode_lenient into WechatToken and
    WechatAnswer (proto/provider.proto): typed by the schema, the fields
    WeChat adds skipped.
*/
#include "notify_channel.h"
#include "kf_codec.h"
#include "kf_json.h"
#include "provider.pb-c.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_ANSWER_MAX    (64u << 10)     //  bytes of an answer read; WeChat's are well under 1 KiB

static bool
s_set (const char *text)
{
    return text && *text;
}

//  value percent-encoded onto out.
static int
s_put_encoded (FILE *out, const char *value)
{
    static const char hex [] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *) value; *c; c++) {
        bool plain = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')
                  || *c == '-' || *c == '.' || *c == '_' || *c == '~';
        if (plain ? fputc (*c, out) < 0 : fprintf (out, "%%%c%c", hex [*c >> 4], hex [*c & 15]) < 0)
            return -1;
    }
    return 0;
}

//  The base url without its trailing '/', then path.
static int
s_put_base (FILE *out, const char *url, const char *path)
{
    size_t len = strlen (url);
    while (len > 0 && url [len - 1] == '/')
        len--;
    return fwrite (url, 1, len, out) == len && fputs (path, out) >= 0 ? 0 : -1;
}

//  What open_memstream made in *text (complete only once the stream is
//  closed), or NULL, and nothing to free, when anything failed.
static char *
s_close (FILE *out, char **text, int rc)
{
    if (fclose (out) != 0 || rc) {
        free (*text);
        return NULL;
    }
    return *text;
}

int
notify_wechat_token_request (const notify_wechat_config_t *config, notify_http_request_t *request, kf_err_t *err)
{
    assert (config && request);
    memset (request, 0, sizeof *request);
    const char *missing = !s_set (config->url) ? "url"
                        : !s_set (config->app_id) ? "app_id"
                        : !s_set (config->app_secret) ? "app_secret" : NULL;
    if (missing)
        return kf_err_set (err, "the WeChat channel has no %s", missing);
    char *url = NULL;
    size_t size;
    FILE *out = open_memstream (&url, &size);
    if (!out)
        return kf_err_set (err, "out of memory");
    int rc = s_put_base (out, config->url, "/cgi-bin/token?grant_type=client_credential&appid=")
          || s_put_encoded (out, config->app_id)
          || fputs ("&secret=", out) < 0
          || s_put_encoded (out, config->app_secret);
    request->url = s_close (out, &url, rc);
    if (!request->url)
        return kf_err_set (err, "out of memory");
    request->method = "GET";
    return 0;
}

//  A reason with text from outside in it, one line.
static int
s_token_error (kf_err_t *err, const char *format, ...) __attribute__ ((format (printf, 2, 3)));
static int
s_token_error (kf_err_t *err, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    kf_err_setv (err, format, args);
    va_end (args);
    if (err)
        notify_one_line (err->text);
    return -1;
}

int
notify_wechat_token_parse (const notify_http_answer_t *answer, char *token, size_t size, int64_t *expires_in_ms,
                           kf_err_t *err)
{
    assert (answer && token && size > 0 && expires_in_ms);
    token [0] = 0;
    *expires_in_ms = 0;
    if (answer->transport) {
        notify_result_t result;
        notify_http_transport (answer, &result);
        return s_token_error (err, "WeChat token: %s", result.reason);
    }
    if (!answer->body || answer->body_size == 0)
        return s_token_error (err, "WeChat token: HTTP %ld, no answer", answer->status);
    if (answer->body_size > S_ANSWER_MAX)
        return s_token_error (err, "WeChat token: HTTP %ld, an answer of %zu bytes", answer->status,
                              answer->body_size);
    kf_err_t why = { "" };
    Kf__WechatToken *parsed = (Kf__WechatToken *) kf_json_decode_lenient (
        &kf__wechat_token__descriptor, answer->body, answer->body_size, &why);
    int rc = 0;
    if (!parsed)
        rc = s_token_error (err, "WeChat token: HTTP %ld, %s", answer->status, why.text);
    else
    if (parsed->has_errcode && parsed->errcode != 0)
        rc = s_token_error (err, "WeChat token: %" PRId32 ": %s", parsed->errcode,
                            s_set (parsed->errmsg) ? parsed->errmsg : "(no message)");
    else
    if (!s_set (parsed->access_token))
        rc = s_token_error (err, "WeChat token: HTTP %ld, an answer without access_token", answer->status);
    else
    if (strlen (parsed->access_token) >= size)
        rc = s_token_error (err, "WeChat token: a token of %zu bytes, more than %zu", strlen (parsed->access_token),
                            size - 1);
    else
    if (!parsed->has_expires_in || parsed->expires_in <= 0 || parsed->expires_in > INT64_MAX / 1000)
        rc = s_token_error (err, "WeChat token: no sensible expires_in");
    else {
        memcpy (token, parsed->access_token, strlen (parsed->access_token) + 1);
        *expires_in_ms = parsed->expires_in * 1000;
    }
    ProtobufCMessage *msg = (ProtobufCMessage *) parsed;
    kf_codec_free (&msg);
    return rc;
}

//  The template's data: see the opening comment for which param is which.
static int
s_put_data (FILE *out, const Kf__Delivery *delivery)
{
    size_t n = delivery->n_params;
    int rc = fputc ('{', out) < 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char key [32];
        if (i == 0)
            snprintf (key, sizeof key, "first");
        else
        if (i == n - 1)
            snprintf (key, sizeof key, "remark");
        else
            snprintf (key, sizeof key, "keyword%zu", i);
        rc = (i && fputc (',', out) < 0)
          || fprintf (out, "\"%s\":{\"value\":", key) < 0
          || notify_put_json_string (out, delivery->params [i])
          || fputc ('}', out) < 0;
    }
    return rc || fputc ('}', out) < 0 ? -1 : 0;
}

int
notify_wechat_request (const notify_wechat_config_t *config, const char *token, const Kf__Delivery *delivery,
                       notify_http_request_t *request, kf_err_t *err)
{
    assert (config && delivery && request);
    memset (request, 0, sizeof *request);
    if (!s_set (config->url))
        return kf_err_set (err, "the WeChat channel has no url");
    if (!s_set (token))
        return kf_err_set (err, "no WeChat access token");
    if (!s_set (delivery->id))
        return kf_err_set (err, "the delivery has no id");
    const char *openid = delivery->recipient ? delivery->recipient->address : NULL;
    if (!s_set (openid))
        return kf_err_set (err, "delivery %s: the recipient has no WeChat openid", delivery->id);
    if (!s_set (delivery->template_id))
        return kf_err_set (err, "delivery %s has no WeChat template", delivery->id);

    char *url = NULL, *body = NULL;
    size_t url_size, body_size;
    FILE *out = open_memstream (&url, &url_size);
    if (!out)
        return kf_err_set (err, "out of memory");
    int rc = s_put_base (out, config->url, "/cgi-bin/message/template/send?access_token=")
          || s_put_encoded (out, token);
    request->url = s_close (out, &url, rc);
    out = request->url ? open_memstream (&body, &body_size) : NULL;
    if (!out) {
        notify_http_request_free (request);
        return kf_err_set (err, "out of memory");
    }
    rc = fputs ("{\"touser\":", out) < 0
      || notify_put_json_string (out, openid)
      || fputs (",\"template_id\":", out) < 0
      || notify_put_json_string (out, delivery->template_id)
      || fputs (",\"data\":", out) < 0
      || s_put_data (out, delivery)
      || fputs (",\"client_msg_id\":", out) < 0
      || notify_put_json_string (out, delivery->id)
      || fputc ('}', out) < 0;
    request->body = s_close (out, &body, rc);
    request->body_size = request->body ? body_size : 0;
    request->method = "POST";
    if (!request->body || notify_http_header (request, "Content-Type", "application/json; charset=utf-8")) {
        notify_http_request_free (request);
        return kf_err_set (err, "out of memory");
    }
    return 0;
}

//  An answer kefu cannot read: a 5xx, 408 or 429 certainly did not take
//  the message; another 4xx refused it; otherwise it may have been taken.
static void
s_unreadable (notify_result_t *result, long status, const char *why)
{
    notify_result_set (result, notify_status_outcome (status), "WeChat: HTTP %ld, %s", status, why);
}

void
notify_wechat_outcome (const notify_http_answer_t *answer, notify_result_t *result, bool *token_stale)
{
    assert (answer && result && token_stale);
    memset (result, 0, sizeof *result);
    *token_stale = false;
    if (!notify_http_readable (answer, "WeChat", S_ANSWER_MAX, result))
        return;
    kf_err_t err = { "" };
    Kf__WechatAnswer *parsed = (Kf__WechatAnswer *) kf_json_decode_lenient (
        &kf__wechat_answer__descriptor, answer->body, answer->body_size, &err);
    const char *errmsg = parsed && s_set (parsed->errmsg) ? parsed->errmsg : "(no message)";
    if (!parsed)
        s_unreadable (result, answer->status, err.text);
    else
    if (!parsed->has_errcode)
        s_unreadable (result, answer->status, "an answer without errcode");
    else
    if (parsed->errcode == 0) {
        result->outcome = NOTIFY_SENT;
        if (parsed->has_msgid)
            snprintf (result->reference, sizeof result->reference, "%" PRId64, parsed->msgid);
    }
    else
    if (parsed->errcode == 40001 || parsed->errcode == 40014 || parsed->errcode == 42001) {
        *token_stale = true;
        notify_result_set (result, NOTIFY_RETRY, "%" PRId32 ": %s", parsed->errcode, errmsg);
    }
    else
        notify_result_set (result, parsed->errcode == -1 || parsed->errcode == 45009 ? NOTIFY_RETRY : NOTIFY_FAILED,
                  "%" PRId32 ": %s", parsed->errcode, errmsg);
    ProtobufCMessage *msg = (ProtobufCMessage *) parsed;
    kf_codec_free (&msg);
}
