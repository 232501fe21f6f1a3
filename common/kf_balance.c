/*  kf_balance — a unit's balance followed from billing's events. See
    kf_balance.h.  */
#include "kf_balance.h"
#include "kf_domain.h"
#include "kf_field.h"
#include <assert.h>

bool
kf_balance_move_of (const Kf__Envelope *event, const char **unit, int64_t *fen, int *notices)
{
    assert (event && unit && fen && notices);
    *notices = 0;
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_INVOICE_ISSUED:
            *unit = event->invoice_issued->unit;
            *fen = event->invoice_issued->total_fen;
            *notices = 1;
            return true;
        case KF__ENVELOPE__BODY_INVOICE_LATE_FEE:
            *unit = event->invoice_late_fee->unit;
            *fen = event->invoice_late_fee->amount_fen;
            return true;
        case KF__ENVELOPE__BODY_INVOICE_SETTLED:
            *unit = event->invoice_settled->unit;
            *fen = 0;
            *notices = -1;
            return true;
        case KF__ENVELOPE__BODY_PAYMENT_RECEIVED:
            *unit = event->payment_received->unit;
            *fen = -event->payment_received->amount_fen;
            return true;
        case KF__ENVELOPE__BODY_PAYMENT_REFUNDED:
            *unit = event->payment_refunded->unit;
            *fen = event->payment_refunded->amount_fen;
            return true;
        default:
            return false;
    }
}

Kf__UnitBalance *
kf_balance_get (kf_txn_t *txn, kf_table_t table, const char *estate, const char *unit, kf_arena_t *arena)
{
    kf_key_t key;
    if (!estate || !unit || kf_key_make (&key, "s|s", estate, unit))
        return NULL;
    return (Kf__UnitBalance *) kf_txn_find_msg_in (txn, table, &key, &kf__unit_balance__descriptor, arena);
}

int
kf_balance_follow (kf_txn_t *txn, kf_table_t table, const Kf__Envelope *event, int64_t now_ms, kf_arena_t *arena)
{
    const char *unit;
    int64_t fen;
    int notices;
    if (!event->estate || !kf_balance_move_of (event, &unit, &fen, &notices) || !unit || !kf_unit_valid (unit))
        return 0;
    Kf__UnitBalance *b = kf_balance_get (txn, table, event->estate, unit, arena);
    Kf__UnitBalance fresh = KF__UNIT_BALANCE__INIT;
    if (!b) {
        if (!kf_txn_ok (txn))
            return -1;
        b = &fresh;
    }
    KF_SET (b, balance_fen, b->balance_fen + fen);
    int64_t open = (int64_t) b->open_notices + notices;
    KF_SET (b, open_notices, open < 0 ? 0 : (uint32_t) open);
    KF_SET (b, updated_at_ms, kf_event_time (event, now_ms));
    kf_key_t key;
    kf_key_make (&key, "s|s", event->estate, unit);
    kf_txn_put_msg (txn, table, &key, &b->base);
    return kf_txn_ok (txn) ? 0 : -1;
}

int64_t
kf_balance_owed (kf_txn_t *txn, kf_table_t table, const char *estate, const char *unit, kf_arena_t *arena)
{
    const Kf__UnitBalance *b = kf_balance_get (txn, table, estate, unit, arena);
    return b ? b->balance_fen : 0;
}
