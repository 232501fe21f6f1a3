/*  notify_sms — Tencent Cloud SMS (API 2021-01-11, SendSms): the call and
    its answer are declared in notify_channel.h with the other channels';
    here is the TC3-HMAC-SHA256 signature they are made with, on its own so
    that it is tested against Tencent Cloud's documented example (a CVM
    call: the signature is the same for every Tencent Cloud API).
*/
#ifndef NOTIFY_SMS_H_INCLUDED
#define NOTIFY_SMS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include "kf_log.h"

#define NOTIFY_TC3_CONTENT_TYPE "application/json; charset=utf-8"

//  The Authorization header's value for a POST of payload to https://host/
//  with the content type above, at timestamp (Unix seconds), for service
//  ("sms", "cvm"): "TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/
//  tc3_request, SignedHeaders=content-type;host, Signature=<hex>". 0, or
//  -1 with the reason (it does not fit in size, libsodium cannot start).
int notify_tc3_authorization (const char *secret_id, const char *secret_key, const char *service, const char *host,
                              int64_t timestamp, const char *payload, size_t payload_size, char *authorization,
                              size_t size, kf_err_t *err);

#endif
