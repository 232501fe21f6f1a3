/*  kf_period — periodic work as "the periods ended since the last one done"
    (DESIGN.md §10).

    A periodic job (a day's statistics, a quarter's draw) numbers its
    periods — local days, quarters — and says when the work of each falls
    due. kf_period keeps, per job, the next period not yet done, in the
    job's own table and in the same transaction as the job's effect. So a
    daemon that was down over three 08:00s, or a clock that jumped a week,
    does each missed period once, oldest first; a clock that moves back
    does nothing twice. Never "is it the hour now".

        kf_period_t job = { table, "daily/E001", s_report_due, e };
        int64_t day;
        while (kf_period_next (txn, &job, yesterday, now_ms, &day) == KF_FOUND) {
            ... the day's report, in txn ...
            kf_period_done (txn, &job, day);
        }
*/
#ifndef KF_PERIOD_H_INCLUDED
#define KF_PERIOD_H_INCLUDED

#include <stdint.h>
#include "kf_store.h"

//  When the work of `period` falls due, UTC ms.
typedef int64_t (kf_period_due_fn) (int64_t period, const void *arg);

typedef struct {
    kf_table_t table;        //  the job's daemon's table for such records
    const char *job;         //  its name, one per job and estate: "daily/E001"
    kf_period_due_fn *due;
    const void *arg;         //  for due
} kf_period_t;

//  The oldest period of the job that is due by now_ms and not done:
//  KF_FOUND with *period set, KF_NOTFOUND when none is due, -1 when the
//  transaction has failed. A job with no record yet begins at `first`,
//  which is recorded then (a write transaction), due or not.
int kf_period_next (kf_txn_t *txn, const kf_period_t *job, int64_t first, int64_t now_ms, int64_t *period);

//  The job has done `period` (in the transaction of its effect): the next
//  one it looks at is period + 1.
int kf_period_done (kf_txn_t *txn, const kf_period_t *job, int64_t period);

//  The next period the job will look at, or `first` when it has no record:
//  for views ("last report made for ...").
int64_t kf_period_pending (kf_txn_t *txn, const kf_period_t *job, int64_t first);

#endif
