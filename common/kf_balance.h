/*  kf_balance — what a unit owes, as billing's events tell it, for the
    daemons that must know without reading billing's store (the registry's
    caller lookup and move-out, the desk's release permits). Notices, late
    fees and refunds add; payments take; a settled notice closes one.

    Each daemon keeps its own table of UnitBalance (estate|unit) and
    follows the events in the transaction that applies them.
*/
#ifndef KF_BALANCE_H_INCLUDED
#define KF_BALANCE_H_INCLUDED

#include "kf_store.h"
#include "kf_codec.h"
#include "envelope.pb-c.h"

//  The unit an event of billing's moves, by how much (fen added; negative:
//  paid) and the notices it opens (+1) or settles (-1). false when the
//  event moves no balance.
bool kf_balance_move_of (const Kf__Envelope *event, const char **unit, int64_t *fen, int *notices);

//  The event applied to the unit's UnitBalance in `table`: 0 (moved, or
//  nothing to move), -1 when the transaction failed.
int kf_balance_follow (kf_txn_t *txn, kf_table_t table, const Kf__Envelope *event, int64_t now_ms,
                       kf_arena_t *arena);

//  The unit's balance as followed (NULL: none known, or the transaction failed).
Kf__UnitBalance *kf_balance_get (kf_txn_t *txn, kf_table_t table, const char *estate, const char *unit,
                                 kf_arena_t *arena);

//  What a unit owes (0 when nothing is known).
int64_t kf_balance_owed (kf_txn_t *txn, kf_table_t table, const char *estate, const char *unit, kf_arena_t *arena);

#endif
