/*  Unit tests: kf_hmac — HMAC-SHA256 against RFC 4231's test vectors, and
    the webhook signature: made and verified, refused when the body, the
    secret or the time differs, or the header is malformed.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kf_hmac.h"

static void
test_rfc4231_vectors (void **state)
{
    (void) state;
    char hex [KF_HMAC_HEX_SIZE];
    //  Test case 2: a short key.
    assert_int_equal (kf_hmac_sha256_hex ("Jefe", 4, "what do ya want for nothing?", 28, hex), 0);
    assert_string_equal (hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    uint8_t mac [KF_HMAC_SIZE];     //  the same in bytes
    assert_int_equal (kf_hmac_sha256 ("Jefe", 4, "what do ya want for nothing?", 28, mac), 0);
    assert_int_equal (mac [0], 0x5b);
    assert_int_equal (mac [KF_HMAC_SIZE - 1], 0x43);
    //  Test case 6: a key longer than the block, hashed first.
    unsigned char key [131];
    memset (key, 0xaa, sizeof key);
    const char *data = "Test Using Larger Than Block-Size Key - Hash Key First";
    assert_int_equal (kf_hmac_sha256_hex (key, sizeof key, data, strlen (data), hex), 0);
    assert_string_equal (hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void
test_webhook_signature (void **state)
{
    (void) state;
    const char *secret = "a-secret-of-the-gateway", *body = "{\"event\":\"order.assigned\"}";
    char signature [KF_SIGNATURE_SIZE];
    int64_t at = INT64_C (1795390200000);
    assert_int_equal (kf_webhook_sign (secret, at, body, strlen (body), signature), 0);
    assert_memory_equal (signature, "t=1795390200000,v1=", 19);
    assert_int_equal (strlen (signature), 19 + 64);
    assert_true (kf_webhook_verify (secret, signature, body, strlen (body), at + 1000, 300000));
    assert_true (kf_webhook_verify (secret, signature, body, strlen (body), at - 1000, 300000));
    //  Another body, secret or time; too old; a malformed header.
    assert_false (kf_webhook_verify (secret, signature, "{}", 2, at, 300000));
    assert_false (kf_webhook_verify ("another-secret-entirely", signature, body, strlen (body), at, 300000));
    assert_false (kf_webhook_verify (secret, signature, body, strlen (body), at + 300001, 300000));
    char forged [KF_SIGNATURE_SIZE];
    strcpy (forged, signature);
    forged [2] = forged [2] == '1' ? '2' : '1';   //  the time changed, the MAC kept
    assert_false (kf_webhook_verify (secret, forged, body, strlen (body), at, INT64_MAX / 2));
    assert_false (kf_webhook_verify (secret, "t=1,v1=00", body, strlen (body), 1, 1000));
    assert_false (kf_webhook_verify (secret, "v1=abc", body, strlen (body), 1, 1000));
    assert_false (kf_webhook_verify (secret, "", body, strlen (body), 1, 1000));
    //  A secret too short to sign with.
    assert_int_equal (kf_webhook_sign ("short", at, body, strlen (body), signature), -1);
}

int
main (void)
{
    struct CMUnitTest tests [] = {
        cmocka_unit_test (test_rfc4231_vectors),
        cmocka_unit_test (test_webhook_signature),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
