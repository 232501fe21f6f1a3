/*  kf_period — periodic work by the periods ended. See kf_period.h.

    The record is `period|<job>` → the next period to do, 8 bytes
    big-endian with the sign bit flipped (kf_key's 't'), so it reads the
    same in mdb_dump as the keys do.
*/
#include "kf_period.h"

#include <assert.h>
#include <string.h>

static int
s_key (kf_key_t *key, const char *job)
{
    return kf_key_make (key, "s|s", "period", job);
}

int64_t
kf_period_pending (kf_txn_t *txn, const kf_period_t *job, int64_t first)
{
    assert (txn && job && job->job);
    kf_key_t key;
    kf_val_t value;
    int64_t next;
    if (s_key (&key, job->job) || kf_txn_get (txn, job->table, &key, &value) != KF_FOUND
    ||  value.size != 8 || kf_key_scan (value.data, value.size, "t", &next))
        return first;
    return next;
}

int
kf_period_next (kf_txn_t *txn, const kf_period_t *job, int64_t first, int64_t now_ms, int64_t *period)
{
    assert (txn && job && job->due && period);
    kf_key_t key;
    kf_val_t value;
    if (s_key (&key, job->job))
        return kf_txn_fail (txn, "a period job's name is not a key: '%s'", job->job);
    int rc = kf_txn_get (txn, job->table, &key, &value);
    if (rc < 0)
        return -1;
    //  A job begins where it was first looked at, not where it is next
    //  looked at: a daemon down over its first period still does it.
    if (rc == KF_NOTFOUND && kf_period_done (txn, job, first - 1))
        return -1;
    int64_t next = kf_period_pending (txn, job, first);
    if (!kf_txn_ok (txn))
        return -1;
    if (job->due (next, job->arg) > now_ms)
        return KF_NOTFOUND;
    *period = next;
    return KF_FOUND;
}

int
kf_period_done (kf_txn_t *txn, const kf_period_t *job, int64_t period)
{
    assert (txn && job && job->job);
    kf_key_t key, value;
    if (s_key (&key, job->job) || kf_key_make (&value, "t", period + 1))
        return kf_txn_fail (txn, "a period job's name is not a key: '%s'", job->job);
    return kf_txn_put (txn, job->table, &key, value.data, value.size);
}
