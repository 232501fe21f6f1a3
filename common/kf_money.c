/*  kf_money — fen and yuan. See kf_money.h.  */
#include "kf_money.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

int
kf_fen_parse (const char *text, int64_t *fen, kf_err_t *err)
{
    assert (text && fen);
    const char *p = text;
    bool negative = *p == '-';
    if (negative)
        p++;
    int64_t yuan = 0, cents = 0;
    int digits = 0, decimals = -1;
    for (; *p; p++) {
        if (*p == '.' && decimals < 0 && digits > 0) {
            decimals = 0;
            continue;
        }
        if (*p < '0' || *p > '9' || decimals == 2 || yuan > KF_FEN_MAX / 100)
            return kf_err_set (err, "'%s' is not an amount in yuan (e.g. 35 or 35.50)", text);
        if (decimals < 0) {
            yuan = yuan * 10 + (*p - '0');
            digits++;
        }
        else {
            cents = cents * 10 + (*p - '0');
            decimals++;
        }
    }
    if (digits == 0 || decimals == 0)
        return kf_err_set (err, "'%s' is not an amount in yuan (e.g. 35 or 35.50)", text);
    if (decimals == 1)
        cents *= 10;
    int64_t amount = yuan * 100 + cents;
    if (amount > KF_FEN_MAX)
        return kf_err_set (err, "'%s' is more than any bill", text);
    *fen = negative ? -amount : amount;
    return 0;
}

int
kf_fen_check_positive (int64_t fen, int64_t max, kf_err_t *err)
{
    char text [32];
    if (fen <= 0)
        return kf_err_set (err, "the amount must be a positive number of yuan, not %s",
                           kf_fen_format (fen, text, sizeof text));
    if (fen > max)
        return kf_err_set (err, "the amount must be at most ¥%s", kf_fen_format (max, text, sizeof text));
    return 0;
}

const char *
kf_fen_format (int64_t fen, char *buf, size_t size)
{
    assert (buf && size);
    uint64_t magnitude = fen < 0 ? (uint64_t) 0 - (uint64_t) fen : (uint64_t) fen;
    snprintf (buf, size, "%s%" PRIu64 ".%02" PRIu64, fen < 0 ? "-" : "", magnitude / 100, magnitude % 100);
    return buf;
}
