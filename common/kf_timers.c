/*  kf_timers — timers in a store table, by deadline. See kf_timers.h.  */
#include "kf_timers.h"
#include "kf_log.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

static int
s_key (kf_key_t *key, int64_t at_ms, const char *id)
{
    return strlen (id) >= KF_TIMER_ID_MAX ? -1 : kf_key_make (key, "t|s", at_ms, id);
}

int
kf_timers_arm (kf_txn_t *txn, kf_table_t table, int64_t at_ms, const char *id)
{
    assert (txn && id);
    kf_key_t key;
    if (s_key (&key, at_ms, id))
        return kf_txn_fail (txn, "timer '%.40s...': the id is too long", id);
    return kf_txn_put (txn, table, &key, "", 0);
}

int
kf_timers_disarm (kf_txn_t *txn, kf_table_t table, int64_t at_ms, const char *id)
{
    assert (txn && id);
    kf_key_t key;
    if (s_key (&key, at_ms, id))
        return kf_txn_fail (txn, "timer '%.40s...': the id is too long", id);
    return kf_txn_del (txn, table, &key) < 0 ? -1 : 0;   //  one not armed is disarmed already
}

int64_t
kf_timers_next (kf_txn_t *txn, kf_table_t table)
{
    assert (txn);
    kf_cursor_t *cursor = kf_cursor_open (txn, table);
    kf_val_t k, v;
    int64_t at = INT64_MAX;
    char id [KF_TIMER_ID_MAX];
    //  A key that does not parse (kf_timers_fire drops it) hides no timer.
    for (int rc = cursor ? kf_cursor_first (cursor, &k, &v) : -1; rc == KF_FOUND; rc = kf_cursor_next (cursor, &k, &v))
        if (kf_key_scan (k.data, k.size, "t|s", &at, id, sizeof id) == 0)
            break;
        else
            at = INT64_MAX;
    kf_cursor_close (&cursor);
    return at;
}

int
kf_timers_fire (kf_txn_t *txn, kf_table_t table, int64_t now_ms, size_t max, kf_timer_fn *fn, void *arg)
{
    assert (txn && fn);
    kf_cursor_t *cursor = kf_cursor_open (txn, table);
    if (!cursor)
        return -1;
    size_t fired = 0;
    kf_val_t k, v;
    while (fired < max && kf_txn_ok (txn) && kf_cursor_first (cursor, &k, &v) == KF_FOUND) {
        int64_t at;
        char id [KF_TIMER_ID_MAX];
        if (kf_key_scan (k.data, k.size, "t|s", &at, id, sizeof id)) {
            kf_warning ("a timer key does not parse: dropped");
            kf_cursor_del (cursor);
            continue;
        }
        if (at > now_ms)
            break;
        kf_cursor_del (cursor);
        int rc = fn (txn, at, id, arg);
        if (rc < 0) {
            kf_cursor_close (&cursor);
            return -1;
        }
        fired += (size_t) rc;
    }
    kf_cursor_close (&cursor);
    return kf_txn_ok (txn) ? (int) fired : -1;
}
