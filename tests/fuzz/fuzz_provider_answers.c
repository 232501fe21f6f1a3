/*  libFuzzer target: the answers of kefu-notify's providers (Tencent Cloud
    SMS, WeChat), which come from outside over the network.

    Input: an answer's body, fed to notify_sms_outcome, notify_wechat_outcome
    and notify_wechat_token_parse under the first byte's choice of HTTP
    status. Beyond "no crash, no leak, no UB", it checks the promise: an
    outcome of the header's classes, a reason and a reference that are one
    line of valid UTF-8 within their bounds.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kf_codec.h"
#include "../../services/notify/notify_channel.h"

static void
s_check_line (const char *text, size_t size)
{
    const char *end = memchr (text, 0, size);
    if (!end || !kf_utf8_valid (text, (size_t) (end - text)))
        __builtin_trap ();
    uint32_t cp;
    if (kf_text_control_at (text, &cp) >= 0)
        __builtin_trap ();
}

static void
s_check (const notify_result_t *result)
{
    if (result->outcome < NOTIFY_SENT || result->outcome > NOTIFY_UNKNOWN)
        __builtin_trap ();
    s_check_line (result->reason, sizeof result->reason);
    s_check_line (result->reference, sizeof result->reference);
    if (result->outcome != NOTIFY_SENT && !result->reason [0])
        __builtin_trap ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static const long statuses [] = { 200, 200, 200, 200, 400, 404, 429, 500, 502, 503 };
    if (size == 0)
        return 0;
    long status = statuses [data [0] % (sizeof statuses / sizeof statuses [0])];
    //  The body NUL-terminated, as the sender hands it over.
    char *body = malloc (size);
    if (!body)
        return 0;
    memcpy (body, data + 1, size - 1);
    body [size - 1] = 0;
    notify_http_answer_t answer = { .status = status, .body = body, .body_size = size - 1 };

    notify_result_t result;
    notify_sms_outcome (&answer, &result);
    s_check (&result);
    bool stale = false;
    notify_wechat_outcome (&answer, &result, &stale);
    s_check (&result);
    if (stale && result.outcome != NOTIFY_RETRY)
        __builtin_trap ();
    char token [512];
    int64_t expires_in_ms;
    kf_err_t err;
    if (notify_wechat_token_parse (&answer, token, sizeof token, &expires_in_ms, &err) == 0) {
        if (!token [0] || expires_in_ms <= 0)
            __builtin_trap ();
    }
    else
        s_check_line (err.text, sizeof err.text);
    free (body);
    return 0;
}
