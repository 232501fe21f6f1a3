/*  notify_wechat: WeChat official-account template messages. The token
    call and its answers; the exact send request (the params' mapping to
    first / keyword1.. / remark, JSON escaping, percent-encoded query
    values); every outcome class, the stale token, hostile answers.
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

static const notify_wechat_config_t s_config = {
    .url = "http://127.0.0.1:9090", .app_id = "wx1234567890abcdef", .app_secret = "a b&c/é=?+"
};

static void
test_the_token_request (void **state)
{
    (void) state;
    notify_http_request_t request;
    kf_err_t err;
    assert_int_equal (notify_wechat_token_request (&s_config, &request, &err), 0);
    assert_string_equal (request.method, "GET");
    assert_string_equal (request.url, "http://127.0.0.1:9090/cgi-bin/token?grant_type=client_credential"
                                      "&appid=wx1234567890abcdef&secret=a%20b%26c%2F%C3%A9%3D%3F%2B");
    assert_null (request.body);
    assert_int_equal (request.header_count, 0);
    notify_http_request_free (&request);

    notify_wechat_config_t config = s_config;
    config.url = "https://api.weixin.qq.com/";       //  no "//" from a trailing slash
    config.app_secret = "Az09-._~";                   //  unreserved: as it is
    assert_int_equal (notify_wechat_token_request (&config, &request, &err), 0);
    assert_string_equal (request.url, "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential"
                                      "&appid=wx1234567890abcdef&secret=Az09-._~");
    notify_http_request_free (&request);

    config.app_secret = NULL;
    assert_int_equal (notify_wechat_token_request (&config, &request, &err), -1);
    assert_string_equal (err.text, "the WeChat channel has no app_secret");
}

static int
s_token (long status, const char *body, char *token, size_t size, int64_t *expires_in_ms, kf_err_t *err)
{
    notify_http_answer_t answer = { .status = status, .body = body, .body_size = body ? strlen (body) : 0 };
    int rc = notify_wechat_token_parse (&answer, token, size, expires_in_ms, err);
    if (rc) {
        assert_null (strchr (err->text, '\n'));
        assert_true (kf_utf8_valid (err->text, strlen (err->text)));
        assert_string_equal (token, "");
    }
    return rc;
}

static void
test_the_token_answers (void **state)
{
    (void) state;
    char token [600];
    int64_t expires_in_ms;
    kf_err_t err;
    assert_int_equal (s_token (200, "{\"access_token\":\"ACCESS_TOKEN-x_y\",\"expires_in\":7200}", token,
                               sizeof token, &expires_in_ms, &err), 0);
    assert_string_equal (token, "ACCESS_TOKEN-x_y");
    assert_int_equal (expires_in_ms, 7200000);
    //  A field WeChat adds later changes nothing.
    assert_int_equal (s_token (200, "{\"access_token\":\"T\",\"expires_in\":7200,\"scope\":{\"a\":[1]}}", token,
                               sizeof token, &expires_in_ms, &err), 0);
    assert_string_equal (token, "T");

    assert_int_equal (s_token (200, "{\"errcode\":40013,\"errmsg\":\"invalid appid\"}", token, sizeof token,
                               &expires_in_ms, &err), -1);
    assert_string_equal (err.text, "WeChat token: 40013: invalid appid");
    assert_int_equal (s_token (200, "{\"errcode\":-1,\"errmsg\":\"system error\\nrid: 1\"}", token, sizeof token,
                               &expires_in_ms, &err), -1);
    assert_string_equal (err.text, "WeChat token: -1: system error rid: 1");
    assert_int_equal (s_token (200, "{\"expires_in\":7200}", token, sizeof token, &expires_in_ms, &err), -1);
    assert_non_null (strstr (err.text, "without access_token"));
    assert_int_equal (s_token (200, "{\"access_token\":\"T\"}", token, sizeof token, &expires_in_ms, &err), -1);
    assert_int_equal (s_token (200, "{\"access_token\":\"T\",\"expires_in\":0}", token, sizeof token,
                               &expires_in_ms, &err), -1);
    assert_int_equal (s_token (200, "{\"access_token\":\"T\",\"expires_in\":\"soon\"}", token, sizeof token,
                               &expires_in_ms, &err), -1);
    assert_non_null (strstr (err.text, "expires_in"));
    assert_int_equal (s_token (200, "{\"access_token\":7,\"expires_in\":7200}", token, sizeof token,
                               &expires_in_ms, &err), -1);
    assert_int_equal (s_token (200, "{\"access_token\":\"TOKEN\",\"expires_in\":7200}", token, 5,
                               &expires_in_ms, &err), -1);        //  no room: refused, not cut
    assert_int_equal (s_token (200, "{\"access_token\":\"T\",\"expires_in\":7200", token, sizeof token,
                               &expires_in_ms, &err), -1);
    assert_int_equal (s_token (502, "<html>502</html>", token, sizeof token, &expires_in_ms, &err), -1);
    assert_non_null (strstr (err.text, "HTTP 502"));
    assert_int_equal (s_token (200, NULL, token, sizeof token, &expires_in_ms, &err), -1);

    notify_http_answer_t lost = { .transport = 7 };
    assert_int_equal (notify_wechat_token_parse (&lost, token, sizeof token, &expires_in_ms, &err), -1);
    assert_non_null (strstr (err.text, "WeChat token: "));
}

typedef struct {
    Kf__Delivery delivery;
    Kf__Recipient recipient;
    char *params [8];
} s_delivery_t;

static void
s_delivery (s_delivery_t *d, size_t n_params)
{
    static char *params [] = { "您好，您的报修已派单", "3-2-1502", "李师傅", "2025-12-03 10:00", "请保持电话畅通", "x", "y" };
    kf__delivery__init (&d->delivery);
    kf__recipient__init (&d->recipient);
    d->recipient.address = "oXyZ_openid-0123456789abcdefg";
    d->delivery.recipient = &d->recipient;
    d->delivery.id = "0123456789abcdef";
    d->delivery.channel = KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WECHAT;
    d->delivery.template_id = "ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY";
    for (size_t i = 0; i < n_params; i++)
        d->params [i] = params [i];
    d->delivery.params = d->params;
    d->delivery.n_params = n_params;
}

static void
test_the_send_request (void **state)
{
    (void) state;
    s_delivery_t d;
    s_delivery (&d, 5);
    notify_http_request_t request;
    kf_err_t err;
    assert_int_equal (notify_wechat_request (&s_config, "TOK+/=en &x", &d.delivery, &request, &err), 0);
    assert_string_equal (request.method, "POST");
    assert_string_equal (request.url,
                         "http://127.0.0.1:9090/cgi-bin/message/template/send?access_token=TOK%2B%2F%3Den%20%26x");
    assert_int_equal (request.header_count, 1);
    assert_string_equal (request.headers [0], "Content-Type: application/json; charset=utf-8");
    const char *body = "{\"touser\":\"oXyZ_openid-0123456789abcdefg\","
                       "\"template_id\":\"ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY\","
                       "\"data\":{\"first\":{\"value\":\"您好，您的报修已派单\"},"
                       "\"keyword1\":{\"value\":\"3-2-1502\"},"
                       "\"keyword2\":{\"value\":\"李师傅\"},"
                       "\"keyword3\":{\"value\":\"2025-12-03 10:00\"},"
                       "\"remark\":{\"value\":\"请保持电话畅通\"}},"
                       "\"client_msg_id\":\"0123456789abcdef\"}";
    assert_string_equal (request.body, body);
    assert_int_equal (request.body_size, strlen (body));
    notify_http_request_free (&request);

    //  Quotes, backslashes and control characters escaped; UTF-8 as it is.
    char *tricky [] = { "say \"hi\" \\ now\n\t\x01 é" };
    d.delivery.params = tricky;
    d.delivery.n_params = 1;
    assert_int_equal (notify_wechat_request (&s_config, "T", &d.delivery, &request, &err), 0);
    assert_non_null (strstr (request.body,
                             "\"data\":{\"first\":{\"value\":\"say \\\"hi\\\" \\\\ now\\n\\t\\u0001 é\"}}"));
    notify_http_request_free (&request);

    assert_int_equal (notify_wechat_request (&s_config, "", &d.delivery, &request, &err), -1);
    assert_string_equal (err.text, "no WeChat access token");
    d.recipient.address = "";
    assert_int_equal (notify_wechat_request (&s_config, "T", &d.delivery, &request, &err), -1);
    assert_string_equal (err.text, "delivery 0123456789abcdef: the recipient has no WeChat openid");
    assert_null (request.url);
}

//  The data object for n params.
static void
s_data (size_t n, char *out, size_t size)
{
    s_delivery_t d;
    s_delivery (&d, n);
    notify_http_request_t request;
    kf_err_t err;
    assert_int_equal (notify_wechat_request (&s_config, "T", &d.delivery, &request, &err), 0);
    const char *start = strstr (request.body, "\"data\":") + 7;
    const char *end = strstr (start, ",\"client_msg_id\"");
    snprintf (out, size, "%.*s", (int) (end - start), start);
    notify_http_request_free (&request);
}

static void
test_the_params_mapping (void **state)
{
    (void) state;
    char data [1024];
    s_data (0, data, sizeof data);
    assert_string_equal (data, "{}");
    s_data (1, data, sizeof data);
    assert_string_equal (data, "{\"first\":{\"value\":\"您好，您的报修已派单\"}}");
    s_data (2, data, sizeof data);
    assert_string_equal (data, "{\"first\":{\"value\":\"您好，您的报修已派单\"},\"remark\":{\"value\":\"3-2-1502\"}}");
    s_data (3, data, sizeof data);
    assert_string_equal (data, "{\"first\":{\"value\":\"您好，您的报修已派单\"},\"keyword1\":{\"value\":\"3-2-1502\"},"
                               "\"remark\":{\"value\":\"李师傅\"}}");
    s_data (7, data, sizeof data);
    assert_non_null (strstr (data, "\"keyword5\":{\"value\":\"x\"},\"remark\":{\"value\":\"y\"}}"));
    assert_null (strstr (data, "keyword6"));
}

static notify_result_t
s_outcome (long status, const char *body, bool *stale)
{
    notify_http_answer_t answer = { .status = status, .body = body, .body_size = body ? strlen (body) : 0 };
    notify_result_t result;
    memset (&result, 0x55, sizeof result);
    *stale = true;
    notify_wechat_outcome (&answer, &result, stale);
    assert_non_null (memchr (result.reason, 0, sizeof result.reason));
    assert_null (strchr (result.reason, '\n'));
    assert_true (kf_utf8_valid (result.reason, strlen (result.reason)));
    return result;
}

static void
test_the_outcomes (void **state)
{
    (void) state;
    bool stale;
    notify_result_t r = s_outcome (200, "{\"errcode\":0,\"errmsg\":\"ok\",\"msgid\":200228332}", &stale);
    assert_int_equal (r.outcome, NOTIFY_SENT);
    assert_string_equal (r.reference, "200228332");
    assert_false (stale);
    r = s_outcome (200, "{\"errcode\":0,\"errmsg\":\"ok\",\"msgid\":3147483648123,\"new\":[{}]}", &stale);
    assert_int_equal (r.outcome, NOTIFY_SENT);
    assert_string_equal (r.reference, "3147483648123");

    //  The token: stale, try again with a new one.
    const int token_codes [] = { 40001, 40014, 42001 };
    for (size_t i = 0; i < 3; i++) {
        char body [128];
        snprintf (body, sizeof body, "{\"errcode\":%d,\"errmsg\":\"token\"}", token_codes [i]);
        r = s_outcome (200, body, &stale);
        assert_int_equal (r.outcome, NOTIFY_RETRY);
        assert_true (stale);
    }
    //  Busy, or over the quota: later, with the same token.
    r = s_outcome (200, "{\"errcode\":-1,\"errmsg\":\"system error\"}", &stale);
    assert_int_equal (r.outcome, NOTIFY_RETRY);
    assert_false (stale);
    assert_string_equal (r.reason, "-1: system error");
    r = s_outcome (200, "{\"errcode\":45009,\"errmsg\":\"reach max api daily quota limit\"}", &stale);
    assert_int_equal (r.outcome, NOTIFY_RETRY);
    //  Refused for good.
    r = s_outcome (200, "{\"errcode\":43004,\"errmsg\":\"require subscribe\"}", &stale);
    assert_int_equal (r.outcome, NOTIFY_FAILED);
    assert_string_equal (r.reason, "43004: require subscribe");
    assert_false (stale);
    r = s_outcome (200, "{\"errcode\":40037,\"errmsg\":\"invalid template_id\"}", &stale);
    assert_int_equal (r.outcome, NOTIFY_FAILED);

    //  Nothing readable: the status decides.
    r = s_outcome (503, "<html></html>", &stale);
    assert_int_equal (r.outcome, NOTIFY_RETRY);
    r = s_outcome (403, "forbidden", &stale);
    assert_int_equal (r.outcome, NOTIFY_FAILED);
    r = s_outcome (200, "", &stale);
    assert_int_equal (r.outcome, NOTIFY_UNKNOWN);
    r = s_outcome (200, "{\"errmsg\":\"ok\"}", &stale);        //  no errcode: it may have been taken
    assert_int_equal (r.outcome, NOTIFY_UNKNOWN);

    notify_http_answer_t lost = { .transport = 28, .reached = true };
    notify_wechat_outcome (&lost, &r, &stale);
    assert_int_equal (r.outcome, NOTIFY_UNKNOWN);
    assert_false (stale);
}

static void
test_hostile_answers (void **state)
{
    (void) state;
    bool stale;
    const char *bad [] = {
        "{\"errcode\":0,\"errmsg\":\"ok\",\"msgid\":",
        "{\"errcode\":\"zero\"}",
        "{\"errcode\":0.5}",
        "{\"errcode\":99999999999}",
        "{\"errcode\":0,\"errcode\":0}",
        "{\"errcode\":0,\"msgid\":true}",
        "{\"errcode\":0}{}",
        "{\"x\":\"\xc3\x28\"}",
        "null",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        notify_result_t r = s_outcome (200, bad [i], &stale);
        assert_int_equal (r.outcome, NOTIFY_UNKNOWN);
        assert_false (stale);
        assert_true (strlen (r.reason) > 0);
    }
    size_t huge_size = 100000;
    char *huge = malloc (huge_size + 1);
    assert_non_null (huge);
    memset (huge, '1', huge_size);
    memcpy (huge, "{\"errcode\":0,\"msgid\":", 21);
    huge [huge_size - 1] = '}';
    huge [huge_size] = 0;
    notify_result_t r = s_outcome (200, huge, &stale);
    assert_int_equal (r.outcome, NOTIFY_UNKNOWN);
    free (huge);
    //  A long errmsg: one line, cut on a whole character.
    char answer [4096];
    size_t n = (size_t) snprintf (answer, sizeof answer, "{\"errcode\":43004,\"errmsg\":\"");
    for (int i = 0; i < 200; i++)
        n += (size_t) snprintf (answer + n, sizeof answer - n, "未关注\\r");
    snprintf (answer + n, sizeof answer - n, "\"}");
    r = s_outcome (200, answer, &stale);
    assert_int_equal (r.outcome, NOTIFY_FAILED);
    assert_memory_equal (r.reason, "43004: 未关注 未关注", 7 + 9 + 1 + 9);
    assert_true (strlen (r.reason) < NOTIFY_REASON_MAX);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_the_token_request),
        cmocka_unit_test (test_the_token_answers),
        cmocka_unit_test (test_the_send_request),
        cmocka_unit_test (test_the_params_mapping),
        cmocka_unit_test (test_the_outcomes),
        cmocka_unit_test (test_hostile_answers),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
