/*  kf_rate — rates and shares, rounded half up. See kf_rate.h.  */
#include "kf_rate.h"

#include <assert.h>
#include <stdio.h>

int64_t
kf_muldiv_round (int64_t a, int64_t b, int64_t c)
{
    assert (a >= 0 && b >= 0 && c > 0);
    __int128 product = (__int128) a * b;
    return (int64_t) ((product * 2 + c) / (2 * (__int128) c));
}

uint32_t
kf_permille (uint64_t part, uint64_t whole)
{
    assert (part <= INT64_MAX && whole <= INT64_MAX);
    return whole ? (uint32_t) kf_muldiv_round ((int64_t) part, 1000, (int64_t) whole) : 0;
}

const char *
kf_permille_format (uint32_t permille, char *buf, size_t size)
{
    assert (buf && size);
    snprintf (buf, size, "%u.%u %%", permille / 10, permille % 10);
    return buf;
}
