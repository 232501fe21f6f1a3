/*  kf_timers — timers kept in a store table, keyed by deadline (DESIGN.md
    §3, §10): the key is deadline_ms (big-endian) | id, so "what is due" is
    a cursor from the start of the table, and the earliest deadline its
    first key. A timer is armed and disarmed in the same transaction as the
    state it belongs to, so it never drifts from it; firing one takes it
    out of the table, and the service decides from its own state what the
    timer means now (a timer its state no longer holds is stale).

    Escalation's SLA timers and survey's overdue visits use it; each service
    names its table (kf_store_table) and its ids ("E001-20261123-0001/
    resolution", a visit's id).
*/
#ifndef KF_TIMERS_H_INCLUDED
#define KF_TIMERS_H_INCLUDED

#include "kf_store.h"

#define KF_TIMER_ID_MAX 128   //  bytes of a timer's id, its NUL included

//  Arm (put) or disarm (delete) the timer `id` at at_ms. 0, or -1 when the
//  transaction failed (sticky) or the id is too long.
int kf_timers_arm (kf_txn_t *txn, kf_table_t table, int64_t at_ms, const char *id);
int kf_timers_disarm (kf_txn_t *txn, kf_table_t table, int64_t at_ms, const char *id);

//  The earliest deadline armed, or INT64_MAX when none is.
int64_t kf_timers_next (kf_txn_t *txn, kf_table_t table);

//  A timer due: already out of the table. Return 1 when it did something
//  (it counts against `max`), 0 when it was stale, -1 to fail the
//  transaction.
typedef int (kf_timer_fn) (kf_txn_t *txn, int64_t at_ms, const char *id, void *arg);

//  Fire, earliest first, the timers due at now_ms, at most `max` that did
//  something; a timer that another one armed in the past is due at once,
//  in the same call. A key that does not parse is dropped with a warning.
//  Returns how many did something, or -1.
int kf_timers_fire (kf_txn_t *txn, kf_table_t table, int64_t now_ms, size_t max, kf_timer_fn *fn, void *arg);

#endif
