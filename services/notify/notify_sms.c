/*  notify_sms — the SMS channel: Tencent Cloud SMS, API 2021-01-11,
    action SendSms, signed TC3-HMAC-SHA256; and what its answer means. No
    I/O: notify_sender.c makes the call.

    The request is POST <url>/ with the JSON body
      {"PhoneNumberSet":["+8613800000000"],"SmsSdkAppId":..,"SignName":..,
       "TemplateId":..,"TemplateParamSet":[..],"SessionContext":"<delivery id>"}
    and the headers Authorization, Content-Type, Host, X-TC-Action,
    X-TC-Timestamp, X-TC-Version and X-TC-Region (ap-guangzhou when the
    configuration sets none). The canonical request signs the host of the
    configured url (configurable so that tests point it at a local server)
    and the path "/": a url with another path is refused.

    The phone is the recipient's address: "+" and 4 to 15 digits (E.164) as
    it is; 11 digits starting with 1, a mainland mobile, get "+86".

    The answer is read with kf_json_decode_lenient into TencentSmsAnswer
    (proto/provider.proto): the fields kefu reads are typed by the schema
    and checked by the one decoder, and the many it does not read are
    skipped, so a field Tencent adds tomorrow changes nothing.
*/
#include "notify_sms.h"
#include "notify_channel.h"
#include "kf_codec.h"
#include "kf_hmac.h"
#include "kf_json.h"
#include "provider.pb-c.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_ANSWER_MAX    (64u << 10)     //  bytes of an answer read; SendSms's are well under 1 KiB
#define S_REGION        "ap-guangzhou"

//  ---- the signature -----------------------------------------------------------

static void
s_sha256_hex (const void *data, size_t size, char hex [KF_HMAC_HEX_SIZE])
{
    unsigned char hash [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (hash, data, size);
    sodium_bin2hex (hex, KF_HMAC_HEX_SIZE, hash, sizeof hash);
}

int
notify_tc3_authorization (const char *secret_id, const char *secret_key, const char *service, const char *host,
                          int64_t timestamp, const char *payload, size_t payload_size, char *authorization,
                          size_t size, kf_err_t *err)
{
    assert (secret_id && secret_key && service && host && (payload || payload_size == 0) && authorization);
    if (sodium_init () < 0)
        return kf_err_set (err, "libsodium cannot start");
    time_t t = (time_t) timestamp;
    struct tm utc;
    char date [16];
    if (timestamp < 0 || !gmtime_r (&t, &utc) || strftime (date, sizeof date, "%Y-%m-%d", &utc) == 0)
        return kf_err_set (err, "no date for the timestamp %" PRId64, timestamp);

    //  1. The canonical request, and its hash.
    char payload_hash [KF_HMAC_HEX_SIZE], request_hash [KF_HMAC_HEX_SIZE];
    s_sha256_hex (payload, payload_size, payload_hash);
    char *canonical = NULL;
    int n = asprintf (&canonical, "POST\n/\n\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s",
                      NOTIFY_TC3_CONTENT_TYPE, host, payload_hash);
    if (n < 0)
        return kf_err_set (err, "out of memory");
    s_sha256_hex (canonical, (size_t) n, request_hash);
    free (canonical);

    //  2. The string to sign.
    char scope [128], to_sign [256];
    snprintf (scope, sizeof scope, "%s/%s/tc3_request", date, service);
    int m = snprintf (to_sign, sizeof to_sign, "TC3-HMAC-SHA256\n%" PRId64 "\n%s\n%s", timestamp, scope,
                      request_hash);
    if (m < 0 || (size_t) m >= sizeof to_sign || strlen (scope) + 1 >= sizeof scope)
        return kf_err_set (err, "the TC3 service name '%s' is too long", service);

    //  3. The key chain from "TC3" + SecretKey, and the signature.
    size_t key_size = strlen (secret_key) + 3;
    unsigned char *key = malloc (key_size);
    if (!key)
        return kf_err_set (err, "out of memory");
    memcpy (key, "TC3", 3);
    memcpy (key + 3, secret_key, key_size - 3);
    uint8_t k_date [KF_HMAC_SIZE], k_service [KF_HMAC_SIZE], k_signing [KF_HMAC_SIZE];
    char signature [KF_HMAC_HEX_SIZE];
    int rc = kf_hmac_sha256 (key, key_size, date, strlen (date), k_date)
          || kf_hmac_sha256 (k_date, sizeof k_date, service, strlen (service), k_service)
          || kf_hmac_sha256 (k_service, sizeof k_service, "tc3_request", 11, k_signing)
          || kf_hmac_sha256_hex (k_signing, sizeof k_signing, to_sign, (size_t) m, signature) ? -1 : 0;
    sodium_memzero (key, key_size);
    free (key);
    sodium_memzero (k_date, sizeof k_date);
    sodium_memzero (k_service, sizeof k_service);
    sodium_memzero (k_signing, sizeof k_signing);
    if (rc)
        return kf_err_set (err, "libsodium cannot start");

    //  4. The header.
    int a = snprintf (authorization, size,
                      "TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=content-type;host, Signature=%s",
                      secret_id, scope, signature);
    if (a < 0 || (size_t) a >= size)
        return kf_err_set (err, "the SMS secret_id is too long for the Authorization header");
    return 0;
}

//  ---- the request ---------------------------------------------------------------

static bool
s_set (const char *text)
{
    return text && *text;
}

//  The host (and port) of "http[s]://host[:port][/]", lower-cased.
static int
s_host (const char *url, char *host, size_t size, kf_err_t *err)
{
    const char *start = strncmp (url, "https://", 8) == 0 ? url + 8
                      : strncmp (url, "http://", 7) == 0 ? url + 7 : NULL;
    if (!start)
        return kf_err_set (err, "the SMS url '%s' is not http:// or https://", url);
    size_t len = strcspn (start, "/");
    if (len == 0 || len >= size || (start [len] == '/' && start [len + 1]))
        return kf_err_set (err, "the SMS url '%s' must be scheme://host[:port] (the path is /)", url);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) start [i];
        if (!isalnum (c) && !strchr (".-:[]", c))
            return kf_err_set (err, "the SMS url '%s' has a bad host", url);
        host [i] = (char) tolower (c);
    }
    host [len] = 0;
    return 0;
}

//  The recipient's phone as Tencent Cloud wants it, E.164: "+" and 4 to 15
//  digits as it is; 11 digits starting with 1 (a mainland mobile) with
//  "+86" in front; anything else refused.
static int
s_phone (const char *address, char *phone, size_t size, kf_err_t *err)
{
    assert (size >= 17);
    if (!s_set (address))
        return kf_err_set (err, "the recipient has no phone");
    const char *digits = address + (address [0] == '+');
    size_t n = strlen (digits);
    bool all_digits = n > 0 && strspn (digits, "0123456789") == n;
    if (all_digits && address [0] == '+' && n >= 4 && n <= 15 && digits [0] != '0')
        snprintf (phone, size, "%s", address);
    else
    if (all_digits && address [0] != '+' && n == 11 && digits [0] == '1')
        snprintf (phone, size, "+86%s", digits);
    else
        return kf_err_set (err, "'%.40s' is not a phone (+ and 4 to 15 digits, or an 11-digit mainland mobile)",
                           address);
    return 0;
}

//  The SendSms body; NULL when out of memory.
static char *
s_body (const notify_sms_config_t *config, const Kf__Delivery *delivery, const char *phone, size_t *size)
{
    char *body = NULL;
    FILE *out = open_memstream (&body, size);
    if (!out)
        return NULL;
    int rc = fputs ("{\"PhoneNumberSet\":[", out) < 0
          || notify_put_json_string (out, phone)
          || fputs ("],\"SmsSdkAppId\":", out) < 0
          || notify_put_json_string (out, config->app_id)
          || fputs (",\"SignName\":", out) < 0
          || notify_put_json_string (out, config->sign_name)
          || fputs (",\"TemplateId\":", out) < 0
          || notify_put_json_string (out, delivery->template_id)
          || fputs (",\"TemplateParamSet\":[", out) < 0;
    for (size_t i = 0; rc == 0 && i < delivery->n_params; i++)
        rc = (i && fputc (',', out) < 0) || notify_put_json_string (out, delivery->params [i]);
    rc = rc || fputs ("],\"SessionContext\":", out) < 0
            || notify_put_json_string (out, delivery->id)
            || fputc ('}', out) < 0;
    if (fclose (out) != 0 || rc) {
        free (body);
        return NULL;
    }
    return body;
}

int
notify_sms_request (const notify_sms_config_t *config, const Kf__Delivery *delivery, int64_t wall_ms,
                    notify_http_request_t *request, kf_err_t *err)
{
    assert (config && delivery && request);
    memset (request, 0, sizeof *request);
    const char *missing = !s_set (config->url) ? "url"
                        : !s_set (config->secret_id) ? "secret_id"
                        : !s_set (config->secret_key) ? "secret_key"
                        : !s_set (config->app_id) ? "app_id"
                        : !s_set (config->sign_name) ? "sign_name" : NULL;
    if (missing)
        return kf_err_set (err, "the SMS channel has no %s", missing);
    if (!s_set (delivery->id))
        return kf_err_set (err, "the delivery has no id");
    if (!s_set (delivery->template_id))
        return kf_err_set (err, "delivery %s has no SMS template", delivery->id);
    if (wall_ms < 0)
        return kf_err_set (err, "the time %" PRId64 " is before 1970", wall_ms);
    char host [256], phone [24];
    if (s_host (config->url, host, sizeof host, err)
    ||  s_phone (delivery->recipient ? delivery->recipient->address : NULL, phone, sizeof phone, err))
        return -1;

    request->method = "POST";
    size_t url_len = strlen (config->url);
    request->body = s_body (config, delivery, phone, &request->body_size);
    if (!request->body
    ||  asprintf (&request->url, "%s%s", config->url, config->url [url_len - 1] == '/' ? "" : "/") < 0) {
        request->url = NULL;
        notify_http_request_free (request);
        return kf_err_set (err, "out of memory");
    }
    int64_t timestamp = wall_ms / 1000;
    char authorization [NOTIFY_HEADER_MAX - sizeof "Authorization: " + 1], stamp [24];
    snprintf (stamp, sizeof stamp, "%" PRId64, timestamp);
    if (notify_tc3_authorization (config->secret_id, config->secret_key, "sms", host, timestamp, request->body,
                                  request->body_size, authorization, sizeof authorization, err)) {
        notify_http_request_free (request);
        return -1;
    }
    const char *region = s_set (config->region) ? config->region : S_REGION;
    if (notify_http_header (request, "Authorization", authorization)
    ||  notify_http_header (request, "Content-Type", NOTIFY_TC3_CONTENT_TYPE)
    ||  notify_http_header (request, "Host", host)
    ||  notify_http_header (request, "X-TC-Action", "SendSms")
    ||  notify_http_header (request, "X-TC-Timestamp", stamp)
    ||  notify_http_header (request, "X-TC-Version", "2021-01-11")
    ||  notify_http_header (request, "X-TC-Region", region)) {
        notify_http_request_free (request);
        return kf_err_set (err, "the SMS region '%.40s' does not fit in a header", region);
    }
    return 0;
}

//  ---- the answer ----------------------------------------------------------------

//  The code, or one of its family: "InternalError" or "InternalError.Timeout".
static bool
s_in_family (const char *code, const char *family)
{
    size_t n = strlen (family);
    return strncmp (code, family, n) == 0 && (code [n] == 0 || code [n] == '.');
}

//  A code of Tencent Cloud's: UNKNOWN when its own call onward timed out
//  or was cut (the text may have gone: InternalError.Timeout,
//  InternalError.SendAndRecvFail), RETRY when it says try later (a limit,
//  another fault on its side), else FAILED.
static void
s_code (notify_result_t *result, const char *code, const char *message)
{
    bool maybe = strcmp (code, "InternalError.Timeout") == 0 || strcmp (code, "InternalError.SendAndRecvFail") == 0;
    bool later = s_in_family (code, "LimitExceeded") || s_in_family (code, "InternalError")
              || s_in_family (code, "RequestLimitExceeded");
    notify_result_set (result, maybe ? NOTIFY_UNKNOWN : later ? NOTIFY_RETRY : NOTIFY_FAILED, "%s: %s", code,
                       s_set (message) ? message : "(no message)");
}

//  An answer kefu cannot read: the status is all it has. A 5xx, 408 or 429
//  certainly did not take it; another 4xx refused it; otherwise it may have
//  been taken.
static void
s_unreadable (notify_result_t *result, long status, const char *why)
{
    notify_result_set (result, notify_status_outcome (status), "SMS provider: HTTP %ld, %s", status, why);
}

void
notify_sms_outcome (const notify_http_answer_t *answer, notify_result_t *result)
{
    assert (answer && result);
    memset (result, 0, sizeof *result);
    if (!notify_http_readable (answer, "SMS provider", S_ANSWER_MAX, result))
        return;
    kf_err_t err = { "" };
    Kf__TencentSmsAnswer *parsed = (Kf__TencentSmsAnswer *) kf_json_decode_lenient (
        &kf__tencent_sms_answer__descriptor, answer->body, answer->body_size, &err);
    const Kf__TencentSmsResponse *response = parsed ? parsed->response : NULL;
    const Kf__TencentCloudError *error = response ? response->error : NULL;
    const Kf__TencentSmsSendStatus *status = response && response->n_sendstatusset ? response->sendstatusset [0] : NULL;
    if (!parsed)
        s_unreadable (result, answer->status, err.text);
    else
    if (error && s_set (error->code))
        s_code (result, error->code, error->message);
    else
    if (!status || !s_set (status->code))
        s_unreadable (result, answer->status, "an answer without Response.SendStatusSet[0].Code");
    else
    if (strcmp (status->code, "Ok") == 0) {
        result->outcome = NOTIFY_SENT;
        snprintf (result->reference, sizeof result->reference, "%s", status->serialno ? status->serialno : "");
        notify_one_line (result->reference);
    }
    else
        s_code (result, status->code, status->message);
    ProtobufCMessage *msg = (ProtobufCMessage *) parsed;
    kf_codec_free (&msg);
}
