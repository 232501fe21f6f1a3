/*  kf_rate — rates and shares from integer counts, rounded half up once.

    Every rate kefu reports (on-time, satisfaction, collection, complaint
    handling, Pareto shares) is computed here from its numerator and
    denominator, never from a float and never truncated: 2 of 3 is 66.7 %.
    The same rounding serves money: a × b / c to the fen, half up.
*/
#ifndef KF_RATE_H_INCLUDED
#define KF_RATE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

//  round (a × b / c), half up, for a, b >= 0 and c > 0; exact (128 bits
//  inside), so callers never round a part of the product first.
int64_t kf_muldiv_round (int64_t a, int64_t b, int64_t c);

//  part / whole in tenths of a percent (‰), rounded half up: 2 of 3 is
//  667. 0 when whole is 0 (the caller says what "none" means).
uint32_t kf_permille (uint64_t part, uint64_t whole);

//  A rate in tenths of a percent for people: 667 -> "66.7 %". Returns buf.
const char *kf_permille_format (uint32_t permille, char *buf, size_t size);

#endif
