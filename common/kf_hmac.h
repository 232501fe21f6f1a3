/*  kf_hmac — signed webhooks (issue 24): kefu-notify POSTs JSON to the
    group's own gateways (WeChat Work, SMS) and signs each body so that the
    receiver knows it is kefu's and fresh.

    The signature header reads "t=<unix ms>,v1=<hex HMAC-SHA256>", the MAC
    taken over "<unix ms>.<body>" with the endpoint's shared secret: the
    time inside the MAC stops a replayed body from passing as new (the
    receiver refuses one older than its tolerance). Verification compares
    in constant time. libsodium does the hashing.
*/
#ifndef KF_HMAC_H_INCLUDED
#define KF_HMAC_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KF_HMAC_SIZE            32     //  bytes of a MAC
#define KF_HMAC_HEX_SIZE        65     //  64 hex digits and the NUL
#define KF_SIGNATURE_SIZE       96     //  "t=...,v1=..." and the NUL
#define KF_HMAC_SECRET_MIN      16     //  bytes: shorter secrets are refused

//  HMAC-SHA256 of data under key (a key of any length, as RFC 2104 says:
//  key chains such as Tencent Cloud's TC3 feed one MAC in as the next
//  key). 0, or -1 when libsodium cannot start.
int kf_hmac_sha256 (const void *key, size_t key_size, const void *data, size_t size, uint8_t mac [KF_HMAC_SIZE]);

//  The same in lower-case hex.
int kf_hmac_sha256_hex (const void *key, size_t key_size, const void *data, size_t size,
                        char hex [KF_HMAC_HEX_SIZE]);

//  The signature header for a body sent at at_ms. 0, or -1.
int kf_webhook_sign (const char *secret, int64_t at_ms, const void *body, size_t size,
                     char signature [KF_SIGNATURE_SIZE]);

//  Whether a signature header is this body's under secret, made within
//  tolerance_ms of now_ms (either way).
bool kf_webhook_verify (const char *secret, const char *signature, const void *body, size_t size, int64_t now_ms,
                        int64_t tolerance_ms);

#endif
