/*  kf_tally — counters kept per estate and time. See kf_tally.h.  */
#include "kf_tally.h"
#include "kf_config.h"
#include "kf_time.h"

int
kf_tally_walk (kf_txn_t *txn, kf_table_t table, const char *estate, int64_t from, int64_t to, kf_tally_fn *fn,
               void *arg)
{
    kf_key_t start, prefix;
    kf_key_make (&prefix, "s|", estate);
    kf_key_make (&start, "s|t", estate, from);
    kf_cursor_t *cursor = kf_cursor_open (txn, table);
    kf_val_t k, v;
    int rc = cursor ? kf_cursor_seek (cursor, &start, &k, &v) : -1;
    for (; rc == KF_FOUND && kf_key_has_prefix (k, &prefix); rc = kf_cursor_next (cursor, &k, &v)) {
        char id [KF_ID_MAX + 1];
        int64_t at;
        uint64_t count;
        //  The time follows the estate and its '|'.
        if (k.size < prefix.size + 8 || kf_key_scan (k.data, prefix.size + 8, "s|t", id, sizeof id, &at)
        ||  !kf_val_counter (v, &count)) {
            rc = kf_txn_fail (txn, "a tally of estate %s does not decode", estate);
            break;
        }
        if (at >= to)
            break;
        if (fn (txn, k, count, arg)) {
            rc = kf_txn_ok (txn) ? kf_txn_fail (txn, "a tally of estate %s does not decode", estate) : -1;
            break;
        }
    }
    kf_cursor_close (&cursor);
    return rc < 0 ? -1 : 0;
}

void
kf_tally_days (int64_t from, int64_t to, int64_t *first, int64_t *last)
{
    bool sane = from < INT64_MAX / 2 && to > INT64_MIN / 2 && to < INT64_MAX / 2;
    *first = !sane ? to : from <= INT64_MIN / 2 ? INT64_MIN : kf_utc_midnight_after (from);
    *last = !sane ? to : kf_utc_midnight_before (to);
    if (*first >= *last)
        *first = *last = to;
}
