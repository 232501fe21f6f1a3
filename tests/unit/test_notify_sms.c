/*  notify_sms: Tencent Cloud SMS. The TC3-HMAC-SHA256 signature against
    Tencent Cloud's documented example (CVM DescribeInstances, "签名方法 v3",
    https://cloud.tencent.com/document/api/213/30654); the exact SendSms
    request for a delivery, its signature computed apart (Python's hmac);
    the phone rule; every outcome class; hostile answers.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kf_codec.h"
#include "../../services/notify/notify_channel.h"
#include "../../services/notify/notify_sms.h"

static void
test_tc3_reproduces_the_documented_signature (void **state)
{
    (void) state;
    //  The example of Tencent Cloud's API documentation, byte for byte: its
    //  payload carries the \u escapes as text.
    const char *payload = "{\"Limit\": 1, \"Filters\": [{\"Values\": [\"\\u672a\\u547d\\u540d\"], \"Name\": \"instance-name\"}]}";
    char authorization [512];
    kf_err_t err;
    assert_int_equal (notify_tc3_authorization ("AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
                                                "Gu5t9xGARNpq86cd98joQYCN3*******", "cvm", "cvm.tencentcloudapi.com",
                                                1551113065, payload, strlen (payload), authorization,
                                                sizeof authorization, &err), 0);
    assert_string_equal (authorization,
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, "
        "SignedHeaders=content-type;host, "
        "Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c");

    //  One byte of the payload, the key, the time or the host differs: so does the signature.
    char other [512];
    assert_int_equal (notify_tc3_authorization ("AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
                                                "Gu5t9xGARNpq86cd98joQYCN3*******", "cvm", "cvm.tencentcloudapi.com",
                                                1551113065, payload, strlen (payload) - 1, other, sizeof other,
                                                &err), 0);
    assert_string_not_equal (other, authorization);
    assert_int_equal (notify_tc3_authorization ("AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
                                                "Gu5t9xGARNpq86cd98joQYCN3******!", "cvm", "cvm.tencentcloudapi.com",
                                                1551113065, payload, strlen (payload), other, sizeof other, &err), 0);
    assert_string_not_equal (other, authorization);
    assert_int_equal (notify_tc3_authorization ("AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
                                                "Gu5t9xGARNpq86cd98joQYCN3*******", "cvm", "cvm.tencentcloudapi.co",
                                                1551113065, payload, strlen (payload), other, sizeof other, &err), 0);
    assert_string_not_equal (other, authorization);
    //  Too small a buffer is an error, not a cut header.
    assert_int_equal (notify_tc3_authorization ("AKID", "key", "cvm", "cvm.tencentcloudapi.com", 1551113065,
                                                payload, strlen (payload), other, 100, &err), -1);
}

static notify_sms_config_t
s_config (void)
{
    return (notify_sms_config_t) {
        .url = "http://127.0.0.1:8080", .secret_id = "AKIDEXAMPLE", .secret_key = "SECRETEXAMPLE",
        .app_id = "1400000000", .sign_name = "腾讯云", .region = "ap-guangzhou"
    };
}

typedef struct {
    Kf__Delivery delivery;
    Kf__Recipient recipient;
    char *params [3];
} s_delivery_t;

static void
s_delivery (s_delivery_t *d, const char *address)
{
    kf__delivery__init (&d->delivery);
    kf__recipient__init (&d->recipient);
    d->recipient.address = (char *) address;
    d->delivery.recipient = &d->recipient;
    d->delivery.id = "0123456789abcdef";
    d->delivery.channel = KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_SMS;
    d->delivery.template_id = "1234567";
    d->params [0] = "3-2-1502";
    d->params [1] = "李师傅";
    d->params [2] = "say \"hi\"\n";
    d->delivery.params = d->params;
    d->delivery.n_params = 3;
}

static void
test_the_request_for_a_delivery (void **state)
{
    (void) state;
    notify_sms_config_t config = s_config ();
    s_delivery_t d;
    s_delivery (&d, "13800000000");
    notify_http_request_t request;
    kf_err_t err;
    assert_int_equal (notify_sms_request (&config, &d.delivery, INT64_C (1551113065123), &request, &err), 0);
    assert_string_equal (request.method, "POST");
    assert_string_equal (request.url, "http://127.0.0.1:8080/");
    const char *body = "{\"PhoneNumberSet\":[\"+8613800000000\"],\"SmsSdkAppId\":\"1400000000\",\"SignName\":\"腾讯云\","
                       "\"TemplateId\":\"1234567\",\"TemplateParamSet\":[\"3-2-1502\",\"李师傅\",\"say \\\"hi\\\"\\n\"],"
                       "\"SessionContext\":\"0123456789abcdef\"}";
    assert_string_equal (request.body, body);
    assert_int_equal (request.body_size, strlen (body));
    //  The signature as Python's hashlib and hmac compute it for this body,
    //  host 127.0.0.1:8080, service sms, 2019-02-25 (ms cut to seconds).
    const char *headers [] = {
        "Authorization: TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2019-02-25/sms/tc3_request, "
        "SignedHeaders=content-type;host, Signature=3639952617c5b19267dc234e8855418245575ddd526ddce024b363c8608daad9",
        "Content-Type: application/json; charset=utf-8",
        "Host: 127.0.0.1:8080",
        "X-TC-Action: SendSms",
        "X-TC-Timestamp: 1551113065",
        "X-TC-Version: 2021-01-11",
        "X-TC-Region: ap-guangzhou",
    };
    assert_int_equal (request.header_count, sizeof headers / sizeof headers [0]);
    for (size_t i = 0; i < request.header_count; i++)
        assert_string_equal (request.headers [i], headers [i]);
    notify_http_request_free (&request);
    notify_http_request_free (&request);        //  safe twice
    assert_null (request.url);

    //  A trailing slash is the same url; no region is ap-guangzhou.
    config.url = "https://sms.tencentcloudapi.com/";
    config.region = NULL;
    assert_int_equal (notify_sms_request (&config, &d.delivery, INT64_C (1551113065000), &request, &err), 0);
    assert_string_equal (request.url, "https://sms.tencentcloudapi.com/");
    assert_string_equal (request.headers [2], "Host: sms.tencentcloudapi.com");
    assert_string_equal (request.headers [6], "X-TC-Region: ap-guangzhou");
    notify_http_request_free (&request);
}

static void
test_a_request_that_cannot_be_made (void **state)
{
    (void) state;
    s_delivery_t d;
    s_delivery (&d, "13800000000");
    notify_http_request_t request;
    kf_err_t err;
    notify_sms_config_t config = s_config ();
    config.secret_key = "";
    assert_int_equal (notify_sms_request (&config, &d.delivery, 0, &request, &err), -1);
    assert_string_equal (err.text, "the SMS channel has no secret_key");
    config = s_config ();
    config.url = "http://127.0.0.1:8080/sms";     //  the canonical request signs "/"
    assert_int_equal (notify_sms_request (&config, &d.delivery, 0, &request, &err), -1);
    assert_non_null (strstr (err.text, "the path is /"));
    config.url = "ftp://127.0.0.1";
    assert_int_equal (notify_sms_request (&config, &d.delivery, 0, &request, &err), -1);
    config.url = "http://127.0.0.1 evil";
    assert_int_equal (notify_sms_request (&config, &d.delivery, 0, &request, &err), -1);
    config = s_config ();
    config.region = "ap-guangzhou\r\nX-Evil: 1";     //  no header smuggled in
    assert_int_equal (notify_sms_request (&config, &d.delivery, 0, &request, &err), -1);
    assert_null (request.url);
    assert_null (request.body);
    config = s_config ();
    d.delivery.template_id = NULL;
    assert_int_equal (notify_sms_request (&config, &d.delivery, 0, &request, &err), -1);
    assert_string_equal (err.text, "delivery 0123456789abcdef has no SMS template");
}

//  The PhoneNumberSet the address becomes, or NULL when it is refused.
static char *
s_phone_of (const char *address, char *out, size_t size)
{
    notify_sms_config_t config = s_config ();
    s_delivery_t d;
    s_delivery (&d, address);
    notify_http_request_t request;
    kf_err_t err;
    if (notify_sms_request (&config, &d.delivery, 0, &request, &err))
        return NULL;
    const char *start = strstr (request.body, "[\"") + 2;
    snprintf (out, size, "%.*s", (int) strcspn (start, "\""), start);
    notify_http_request_free (&request);
    return out;
}

static void
test_the_phone_rule (void **state)
{
    (void) state;
    char phone [32];
    assert_string_equal (s_phone_of ("13800000000", phone, sizeof phone), "+8613800000000");
    assert_string_equal (s_phone_of ("19912345678", phone, sizeof phone), "+8619912345678");
    assert_string_equal (s_phone_of ("+8613800000000", phone, sizeof phone), "+8613800000000");
    assert_string_equal (s_phone_of ("+14155550100", phone, sizeof phone), "+14155550100");
    assert_string_equal (s_phone_of ("+85291234567", phone, sizeof phone), "+85291234567");
    assert_string_equal (s_phone_of ("+123456789012345", phone, sizeof phone), "+123456789012345");
    assert_null (s_phone_of ("23800000000", phone, sizeof phone));      //  11 digits, not a mobile
    assert_null (s_phone_of ("1380000000", phone, sizeof phone));       //  10 digits
    assert_null (s_phone_of ("138000000000", phone, sizeof phone));     //  12 digits without +
    assert_null (s_phone_of ("8613800000000", phone, sizeof phone));    //  a country code needs its +
    assert_null (s_phone_of ("+1234567890123456", phone, sizeof phone)); //  16 digits
    assert_null (s_phone_of ("+0123456789", phone, sizeof phone));
    assert_null (s_phone_of ("+", phone, sizeof phone));
    assert_null (s_phone_of ("138-0000-0000", phone, sizeof phone));
    assert_null (s_phone_of (" 13800000000", phone, sizeof phone));
    assert_null (s_phone_of ("", phone, sizeof phone));
    assert_null (s_phone_of (NULL, phone, sizeof phone));
}

static notify_result_t
s_outcome (long status, const char *body)
{
    notify_http_answer_t answer = { .status = status, .body = body, .body_size = body ? strlen (body) : 0 };
    notify_result_t result;
    memset (&result, 0x55, sizeof result);      //  filled, whatever was there
    notify_sms_outcome (&answer, &result);
    assert_non_null (memchr (result.reason, 0, sizeof result.reason));
    assert_null (strchr (result.reason, '\n'));
    assert_true (kf_utf8_valid (result.reason, strlen (result.reason)));
    return result;
}

static void
test_the_outcomes (void **state)
{
    (void) state;
    //  Sent: the SerialNo is the reference; fields kefu does not read are skipped.
    notify_result_t r = s_outcome (200,
        "{\"Response\":{\"SendStatusSet\":[{\"SerialNo\":\"5000:1045710669157053657849499619\","
        "\"PhoneNumber\":\"+8613800000000\",\"Fee\":1,\"SessionContext\":\"0123456789abcdef\",\"Code\":\"Ok\","
        "\"Message\":\"send success\",\"IsoCode\":\"CN\"}],\"RequestId\":\"a0aabda6-cf91-4f3e-a81f-9198114a2279\","
        "\"Future\":{\"Nested\":[1,2.5e3,true,null,{\"x\":\"y\"}]}}}");
    assert_int_equal (r.outcome, NOTIFY_SENT);
    assert_string_equal (r.reference, "5000:1045710669157053657849499619");

    //  The call refused: FAILED with "Code: Message".
    r = s_outcome (200, "{\"Response\":{\"Error\":{\"Code\":\"AuthFailure.SignatureFailure\","
                        "\"Message\":\"The provided credentials could not be validated.\"},\"RequestId\":\"r1\"}}");
    assert_int_equal (r.outcome, NOTIFY_FAILED);
    assert_string_equal (r.reason, "AuthFailure.SignatureFailure: The provided credentials could not be validated.");
    assert_string_equal (r.reference, "");

    //  The number refused for good.
    r = s_outcome (200, "{\"Response\":{\"SendStatusSet\":[{\"SerialNo\":\"\",\"Code\":"
                        "\"InvalidParameterValue.IncorrectPhoneNumber\",\"Message\":\"手机号格式错误\"}],\"RequestId\":\"r2\"}}");
    assert_int_equal (r.outcome, NOTIFY_FAILED);
    assert_string_equal (r.reason, "InvalidParameterValue.IncorrectPhoneNumber: 手机号格式错误");

    //  Limits and Tencent's own faults: try later.
    r = s_outcome (200, "{\"Response\":{\"SendStatusSet\":[{\"Code\":\"LimitExceeded.PhoneNumberDailyLimit\","
                        "\"Message\":\"daily limit\"}],\"RequestId\":\"r3\"}}");
    assert_int_equal (r.outcome, NOTIFY_RETRY);
    assert_string_equal (r.reason, "LimitExceeded.PhoneNumberDailyLimit: daily limit");
    r = s_outcome (200, "{\"Response\":{\"Error\":{\"Code\":\"InternalError.RequestTimeException\",\"Message\":\"t\"}}}");
    assert_int_equal (r.outcome, NOTIFY_RETRY);
    //  ... but a timeout or a cut on its way to the operator may have sent it.
    r = s_outcome (200, "{\"Response\":{\"Error\":{\"Code\":\"InternalError.Timeout\",\"Message\":\"timeout\"}}}");
    assert_int_equal (r.outcome, NOTIFY_UNKNOWN);
    r = s_outcome (200, "{\"Response\":{\"Error\":{\"Code\":\"InternalError.SendAndRecvFail\",\"Message\":\"x\"}}}");
    assert_int_equal (r.outcome, NOTIFY_UNKNOWN);
    r = s_outcome (200, "{\"Response\":{\"Error\":{\"Code\":\"InternalError\",\"Message\":\"oops\"}}}");
    assert_int_equal (r.outcome, NOTIFY_RETRY);
    r = s_outcome (200, "{\"Response\":{\"Error\":{\"Code\":\"RequestLimitExceeded\",\"Message\":\"slow down\"}}}");
    assert_int_equal (r.outcome, NOTIFY_RETRY);
    //  A family is a whole word: InternalErrors is not InternalError.
    r = s_outcome (200, "{\"Response\":{\"Error\":{\"Code\":\"InternalErrors\",\"Message\":\"?\"}}}");
    assert_int_equal (r.outcome, NOTIFY_FAILED);
    //  "Ok" only, exactly.
    r = s_outcome (200, "{\"Response\":{\"SendStatusSet\":[{\"Code\":\"ok\"}]}}");
    assert_int_equal (r.outcome, NOTIFY_FAILED);
    assert_string_equal (r.reason, "ok: (no message)");

    //  No readable answer: the status decides.
    r = s_outcome (502, "<html>Bad Gateway</html>");
    assert_int_equal (r.outcome, NOTIFY_RETRY);
    assert_non_null (strstr (r.reason, "HTTP 502"));
    r = s_outcome (503, NULL);
    assert_int_equal (r.outcome, NOTIFY_RETRY);
    r = s_outcome (429, "");
    assert_int_equal (r.outcome, NOTIFY_RETRY);
    r = s_outcome (404, "not found");
    assert_int_equal (r.outcome, NOTIFY_FAILED);
    r = s_outcome (200, "not json");      //  it may have been taken
    assert_int_equal (r.outcome, NOTIFY_UNKNOWN);
    r = s_outcome (200, "{\"Response\":{\"RequestId\":\"r4\"}}");
    assert_int_equal (r.outcome, NOTIFY_UNKNOWN);
    assert_non_null (strstr (r.reason, "SendStatusSet"));

    //  Transport failures: notify_http_transport's classes.
    notify_http_answer_t lost = { .transport = 28, .reached = true };
    notify_result_t t;
    notify_sms_outcome (&lost, &t);
    assert_int_equal (t.outcome, NOTIFY_UNKNOWN);
    notify_http_answer_t refused = { .transport = 7, .reached = false };
    notify_sms_outcome (&refused, &t);
    assert_int_equal (t.outcome, NOTIFY_RETRY);
    assert_true (strlen (t.reason) > 0);
}

static void
test_hostile_answers (void **state)
{
    (void) state;
    //  Truncated, mistyped, a duplicate, a lone surrogate, bad UTF-8: one line, UNKNOWN on a 200.
    const char *bad [] = {
        "{\"Response\":{\"SendStatusSet\":[{\"Code\":\"Ok\",\"SerialNo\":\"5000",
        "{\"Response\":{\"SendStatusSet\":[{\"Code\":5}]}}",
        "{\"Response\":{\"SendStatusSet\":{\"Code\":\"Ok\"}}}",
        "{\"Response\":\"Ok\"}",
        "[\"Ok\"]",
        "{\"Response\":{\"Error\":{\"Code\":\"X\"},\"Error\":{\"Code\":\"Y\"}}}",
        "{\"Response\":{\"Error\":{\"Code\":\"\\ud800\"}}}",
        "{\"Response\":{\"Error\":{\"Code\":\"\xff\xfe\"}}}",
        "{\"Response\":{\"SendStatusSet\":[{\"Code\":\"Ok\"}]}} trailing",
        "{\"Response\":{\"Unknown\":[1,2,}}",
        "{\"Response\":{\"Unknown\":tru}}",
        "\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        notify_result_t r = s_outcome (200, bad [i]);
        assert_int_equal (r.outcome, NOTIFY_UNKNOWN);
        assert_true (strlen (r.reason) > 0);
    }
    //  Nested deeper than the decoder goes, in a field kefu does not read.
    char deep [600];
    size_t n = (size_t) snprintf (deep, sizeof deep, "{\"Response\":{\"Extra\":");
    for (int i = 0; i < 100; i++)
        deep [n++] = '[';
    deep [n] = 0;
    notify_result_t r = s_outcome (200, deep);
    assert_int_equal (r.outcome, NOTIFY_UNKNOWN);
    assert_non_null (strstr (r.reason, "deep"));

    //  Huge: refused unread.
    size_t huge_size = 1u << 20;
    char *huge = malloc (huge_size + 1);
    assert_non_null (huge);
    memset (huge, ' ', huge_size);
    huge [huge_size] = 0;
    memcpy (huge, "{\"Response\":{\"SendStatusSet\":[{\"Code\":\"Ok\"}]}}", 45);
    r = s_outcome (200, huge);
    assert_int_equal (r.outcome, NOTIFY_UNKNOWN);
    free (huge);

    //  A long message with newlines in it: one line, cut on a whole character.
    char answer [8192];
    n = (size_t) snprintf (answer, sizeof answer, "{\"Response\":{\"Error\":{\"Code\":\"FailedOperation.X\",\"Message\":\"a\\nb\\u0007");
    for (int i = 0; i < 300; i++)
        n += (size_t) snprintf (answer + n, sizeof answer - n, "短信");
    snprintf (answer + n, sizeof answer - n, "\"}}}");
    r = s_outcome (200, answer);
    assert_int_equal (r.outcome, NOTIFY_FAILED);
    assert_memory_equal (r.reason, "FailedOperation.X: a b ", 23);
    assert_true (strlen (r.reason) <= NOTIFY_REASON_MAX - 1);
    assert_true (strlen (r.reason) > NOTIFY_REASON_MAX - 4);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_tc3_reproduces_the_documented_signature),
        cmocka_unit_test (test_the_request_for_a_delivery),
        cmocka_unit_test (test_a_request_that_cannot_be_made),
        cmocka_unit_test (test_the_phone_rule),
        cmocka_unit_test (test_the_outcomes),
        cmocka_unit_test (test_hostile_answers),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
