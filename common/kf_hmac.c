/*  kf_hmac — HMAC-SHA256 and the webhook signature built on it. See
    kf_hmac.h.
*/
#include "kf_hmac.h"

#include <assert.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
kf_hmac_sha256 (const void *key, size_t key_size, const void *data, size_t size, uint8_t mac [KF_HMAC_SIZE])
{
    assert ((key || key_size == 0) && (data || size == 0) && mac);
    if (sodium_init () < 0)
        return -1;
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init (&state, key, key_size);
    crypto_auth_hmacsha256_update (&state, data, size);
    crypto_auth_hmacsha256_final (&state, mac);
    sodium_memzero (&state, sizeof state);
    return 0;
}

int
kf_hmac_sha256_hex (const void *key, size_t key_size, const void *data, size_t size, char hex [KF_HMAC_HEX_SIZE])
{
    assert (key && (data || size == 0) && hex);
    unsigned char mac [crypto_auth_hmacsha256_BYTES];
    if (kf_hmac_sha256 (key, key_size, data, size, mac))
        return -1;
    sodium_bin2hex (hex, KF_HMAC_HEX_SIZE, mac, sizeof mac);
    sodium_memzero (mac, sizeof mac);
    return 0;
}

//  The MAC of "<at_ms>.<body>".
static int
s_mac (const char *secret, int64_t at_ms, const void *body, size_t size, char hex [KF_HMAC_HEX_SIZE])
{
    char prefix [32];
    int n = snprintf (prefix, sizeof prefix, "%" PRId64 ".", at_ms);
    if (sodium_init () < 0 || n <= 0)
        return -1;
    crypto_auth_hmacsha256_state state;
    unsigned char mac [crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init (&state, (const unsigned char *) secret, strlen (secret));
    crypto_auth_hmacsha256_update (&state, (const unsigned char *) prefix, (size_t) n);
    crypto_auth_hmacsha256_update (&state, body, size);
    crypto_auth_hmacsha256_final (&state, mac);
    sodium_bin2hex (hex, KF_HMAC_HEX_SIZE, mac, sizeof mac);
    sodium_memzero (&state, sizeof state);
    return 0;
}

int
kf_webhook_sign (const char *secret, int64_t at_ms, const void *body, size_t size, char signature [KF_SIGNATURE_SIZE])
{
    assert (secret && (body || size == 0) && signature);
    char hex [KF_HMAC_HEX_SIZE];
    if (strlen (secret) < KF_HMAC_SECRET_MIN || at_ms < 0 || s_mac (secret, at_ms, body, size, hex))
        return -1;
    snprintf (signature, KF_SIGNATURE_SIZE, "t=%" PRId64 ",v1=%s", at_ms, hex);
    return 0;
}

bool
kf_webhook_verify (const char *secret, const char *signature, const void *body, size_t size, int64_t now_ms,
                   int64_t tolerance_ms)
{
    if (!secret || !signature || (!body && size) || strlen (secret) < KF_HMAC_SECRET_MIN
    ||  strncmp (signature, "t=", 2) != 0)
        return false;
    char *end;
    long long at = strtoll (signature + 2, &end, 10);
    if (end == signature + 2 || strncmp (end, ",v1=", 4) != 0 || strlen (end + 4) != KF_HMAC_HEX_SIZE - 1 || at < 0)
        return false;
    if ((now_ms > at ? now_ms - at : at - now_ms) > tolerance_ms)
        return false;
    char hex [KF_HMAC_HEX_SIZE];
    if (s_mac (secret, at, body, size, hex))
        return false;
    return sodium_memcmp (hex, end + 4, KF_HMAC_HEX_SIZE - 1) == 0;
}
