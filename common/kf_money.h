/*  kf_money — amounts of money: int64_t fen (分), never floating point.

    As text for people, yuan with up to two decimals: "35", "35.5", "35.50"
    are all 3,550 fen; "-12.05" is a refund's -1,205.
*/
#ifndef KF_MONEY_H_INCLUDED
#define KF_MONEY_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include "kf_log.h"

#define KF_FEN_MAX INT64_C (100000000000000)   //  ¥1,000,000,000,000.00: far beyond any bill

//  Yuan text -> fen. Strict: digits, at most one '.', at most two decimals,
//  an optional leading '-', |amount| <= KF_FEN_MAX.
int kf_fen_parse (const char *text, int64_t *fen, kf_err_t *err);

//  An amount someone pays or is paid (a payment, a refund, a paid job):
//  more than 0 and at most max fen. 0, or -1 with the reason: "the amount
//  must be a positive number of yuan, not -5.00", "the amount must be at
//  most ¥100000000.00".
int kf_fen_check_positive (int64_t fen, int64_t max, kf_err_t *err);

//  Fen -> "35.50" (always two decimals). Returns buf.
const char *kf_fen_format (int64_t fen, char *buf, size_t size);

#endif
