/*  kf_tally — counters kept per estate and time (day tallies: what lets a
    report over a year or the whole group read a few counters instead of
    every record). A tally's key starts with the estate and its time,
    "estate|t|...", the rest being the service's own; its value is a
    counter (kf_txn_add).
*/
#ifndef KF_TALLY_H_INCLUDED
#define KF_TALLY_H_INCLUDED

#include "kf_store.h"

//  fn (the whole key, its count, arg): 0 to go on, -1 to fail the walk.
typedef int (kf_tally_fn) (kf_txn_t *txn, kf_val_t key, uint64_t count, void *arg);

//  Every tally of `table` under `estate` whose time is in [from, to), in
//  key order. 0, or -1 when fn failed or a tally does not decode (the
//  transaction fails, with the reason).
int kf_tally_walk (kf_txn_t *txn, kf_table_t table, const char *estate, int64_t from, int64_t to, kf_tally_fn *fn,
                   void *arg);

//  The whole UTC days of a report's period [from, to) that it takes from
//  its day tallies: [*first, *last). The part-days [from, *first) and
//  [*last, to) it reads from its records; with no whole day in the period
//  both are `to` (every record). A start at or below INT64_MIN / 2 is no
//  start: the tallies from their first day. Times beyond a quarter of
//  int64 (a hostile period) are read from the records, where no day
//  arithmetic can overflow.
void kf_tally_days (int64_t from, int64_t to, int64_t *first, int64_t *last);

#endif
