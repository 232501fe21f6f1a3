/*  notify_channel — what each channel makes of a delivery, and what it
    makes of the provider's answer: plain functions with no socket in
    sight, so that each adapter is tested alone against its provider's
    documented examples. notify_sender.c does the I/O (libcurl) in its own
    thread and hands the outcome back to the daemon's loop.

    The outcome is the heart of "never twice": SENT and FAILED are answers;
    RETRY means the provider certainly did not take the message (it was
    never reached, or it said so); UNKNOWN means it may have (the answer
    was lost), so the message is never simply sent again — the webhook asks
    its gateway first, the other channels raise an alarm for an operator.
*/
#ifndef NOTIFY_CHANNEL_H_INCLUDED
#define NOTIFY_CHANNEL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "kf_config.h"
#include "kf_log.h"
#include "notify.pb-c.h"

typedef enum {
    NOTIFY_SENT = 1,      //  accepted; `reference` is the provider's name for it
    NOTIFY_RETRY,         //  certainly not taken: try again later
    NOTIFY_FAILED,        //  refused for good (a bad address, a template the provider does not know)
    NOTIFY_UNKNOWN,       //  the answer was lost: it may have been taken
    NOTIFY_ABSENT,        //  a webhook probe: the gateway does not have it, so it may be sent
    NOTIFY_UNTRIED        //  never begun (the daemon was stopping): due again at once, no try counted
} notify_outcome_t;

#define NOTIFY_REASON_MAX     256
#define NOTIFY_REFERENCE_MAX  128

typedef struct {
    notify_outcome_t outcome;
    char reason [NOTIFY_REASON_MAX];        //  one line, for the log and the alarm
    char reference [NOTIFY_REFERENCE_MAX];  //  SENT: message id, serial number
} notify_result_t;

//  The channels' settings: the group's (notify/email/..., notify/webhook/...,
//  notify/sms/..., notify/wechat/...). Strings belong to the configuration.
typedef struct {
    const char *url;        //  smtp://host:port (STARTTLS) or smtps://host:port
    const char *from;       //  the envelope and header sender
    const char *user;       //  SMTP AUTH, if set
    const char *password;
    bool starttls;          //  refuse to send unless STARTTLS succeeds
    const char *ca_file;    //  the CA to verify the server with; unset: the system's
} notify_email_config_t;

typedef struct {
    const char *url;        //  the group gateway's endpoint; deliveries POST here, probes GET url/<id>
    const char *secret;     //  the shared secret of the signature (kf_webhook_sign)
} notify_webhook_config_t;

typedef struct {
    const char *url;        //  Tencent Cloud SMS API base, https://sms.tencentcloudapi.com
    const char *secret_id;  //  TC3-HMAC-SHA256 credentials
    const char *secret_key;
    const char *app_id;     //  SmsSdkAppId
    const char *sign_name;  //  the approved signature (签名)
    const char *region;     //  e.g. ap-guangzhou
    const char *code_template;  //  sign-in codes' template; NULL: codes go by webhook
} notify_sms_config_t;

typedef struct {
    const char *url;        //  WeChat API base, https://api.weixin.qq.com
    const char *app_id;     //  the official account's appid and secret
    const char *app_secret;
} notify_wechat_config_t;

typedef struct {
    notify_email_config_t email;
    notify_webhook_config_t webhook;
    notify_sms_config_t sms;
    notify_wechat_config_t wechat;
    int64_t timeout_ms;     //  one call's limit (notify/call_timeout)
} notify_channels_t;

//  Read the channels from the configuration; a channel without its url is
//  off. 0, or -1 naming the key (a webhook without a secret of at least
//  KF_HMAC_SECRET_MIN bytes, an SMS provider without its credentials).
int notify_channels_load (notify_channels_t *self, const kf_config_t *config, kf_err_t *err);

//  "email", "webhook", "sms", "wechat" ("none" for unset).
const char *notify_channel_name (Kf__NotifyChannel channel);

//  Whether a channel is configured.
bool notify_channel_on (const notify_channels_t *self, Kf__NotifyChannel channel);

//  ---- an HTTP call, as the adapters describe it -----------------------------------

#define NOTIFY_HEADERS_MAX 8
#define NOTIFY_HEADER_MAX  512

typedef struct {
    const char *method;                     //  "POST" or "GET"
    char *url;                              //  malloc'd
    char headers [NOTIFY_HEADERS_MAX][NOTIFY_HEADER_MAX];   //  "Name: value"
    size_t header_count;
    char *body;                             //  malloc'd, NULL for none
    size_t body_size;
} notify_http_request_t;

typedef struct {
    int transport;          //  0 when an answer came; else the CURLcode that stopped it
    bool reached;           //  the request was (or may have been) sent: connected and past TLS
    long status;            //  the HTTP status when an answer came
    const char *body;       //  the answer's body, NUL-terminated
    size_t body_size;
} notify_http_answer_t;

void notify_http_request_free (notify_http_request_t *self);

//  Append "Name: value"; -1 when there is no room or it is too long.
int notify_http_header (notify_http_request_t *self, const char *name, const char *value);

//  Text from outside (a provider's message) made one line, in place:
//  control characters as spaces, cut after its last whole character.
void notify_one_line (char *text);

//  An outcome and its reason, formatted and made one line.
void notify_result_set (notify_result_t *result, notify_outcome_t outcome, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  What an HTTP status that is not the provider's "yes" means: 408, 429 and
//  5xx certainly did not take it (RETRY), another 4xx refused it (FAILED),
//  anything else may have been taken (UNKNOWN).
notify_outcome_t notify_status_outcome (long status);

//  Before a provider's answer is read: true when its body may be (there is
//  one, of at most `max` bytes); else the result says what the call came to
//  (a transport failure, or "<provider>: HTTP 502, no answer").
bool notify_http_readable (const notify_http_answer_t *answer, const char *provider, size_t max,
                           notify_result_t *result);

//  A string as JSON (quoted, escaped; NULL as ""), onto a body being
//  written. 0, or -1.
int notify_put_json_string (FILE *out, const char *text);

//  What a transport failure means: RETRY when the request cannot have
//  reached the provider, else UNKNOWN; reason filled either way.
void notify_http_transport (const notify_http_answer_t *answer, notify_result_t *result);

//  ---- the webhook (notify_webhook.c) ----------------------------------------------

//  A delivery as the gateway receives it: its JSON, signed at wall_ms.
int notify_webhook_request (const notify_webhook_config_t *config, const Kf__Delivery *delivery, int64_t wall_ms,
                            notify_http_request_t *request, kf_err_t *err);
//  2xx and 409 (it has it already) are SENT; 408, 429 and 5xx RETRY;
//  another 4xx FAILED.
void notify_webhook_outcome (const notify_http_answer_t *answer, notify_result_t *result);

//  Whether the gateway has a delivery: GET url/<id>, signed over the id.
int notify_webhook_probe_request (const notify_webhook_config_t *config, const Kf__Delivery *delivery,
                                  int64_t wall_ms, notify_http_request_t *request, kf_err_t *err);
//  200 is SENT, 404 ABSENT, anything else RETRY (ask again later).
void notify_webhook_probe_outcome (const notify_http_answer_t *answer, notify_result_t *result);

//  ---- email (notify_email.c) -------------------------------------------------------

//  The message as SMTP's DATA carries it (RFC 5322 headers, the subject
//  RFC 2047-encoded, a UTF-8 body in base64, Message-ID <id@kefu>), in a
//  malloc'd buffer. NULL with the reason.
char *notify_email_message (const notify_email_config_t *config, const Kf__Delivery *delivery, int64_t wall_ms,
                            size_t *size, kf_err_t *err);

//  ---- SMS: Tencent Cloud SMS, API 2021-01-11 (notify_sms.c) -------------------

//  SendSms with the delivery's template_id and params to its address (a
//  phone; +86 added to 11-digit mainland numbers), SessionContext the
//  delivery's id, signed TC3-HMAC-SHA256 at wall_ms.
int notify_sms_request (const notify_sms_config_t *config, const Kf__Delivery *delivery, int64_t wall_ms,
                        notify_http_request_t *request, kf_err_t *err);
//  Response.SendStatusSet[0].Code "Ok" is SENT (reference: its SerialNo);
//  LimitExceeded.* and InternalError.* RETRY; other errors FAILED.
void notify_sms_outcome (const notify_http_answer_t *answer, notify_result_t *result);

//  ---- WeChat official-account template messages (notify_wechat.c) -----------

//  GET /cgi-bin/token?grant_type=client_credential&appid=..&secret=..
int notify_wechat_token_request (const notify_wechat_config_t *config, notify_http_request_t *request,
                                 kf_err_t *err);
//  The token and its life from the answer; 0, or -1 with the reason.
int notify_wechat_token_parse (const notify_http_answer_t *answer, char *token, size_t size, int64_t *expires_in_ms,
                               kf_err_t *err);

//  POST /cgi-bin/message/template/send?access_token=.. with touser (the
//  address, an openid), template_id, data (first, keyword1.., remark from
//  params) and client_msg_id (the delivery's id: WeChat drops a repeat).
int notify_wechat_request (const notify_wechat_config_t *config, const char *token, const Kf__Delivery *delivery,
                           notify_http_request_t *request, kf_err_t *err);
//  errcode 0 is SENT (reference: msgid); 40001, 40014, 42001 (the token)
//  set *token_stale and RETRY; -1 (busy) and 45009 (quota) RETRY; others
//  FAILED (43004: the person does not follow the account).
void notify_wechat_outcome (const notify_http_answer_t *answer, notify_result_t *result, bool *token_stale);

#endif
