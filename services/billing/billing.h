/*  billing — property fees, payment notices, arrears, payments and paid
    services (DESIGN.md §5, issue 8).

    Plain functions over a store transaction, as the other services': a
    request, a consumed event or the daily arrears job in; units, notices,
    payments and a ledger per unit out, with invoice.*, payment.*,
    reminder.* events in the outbox.

    Money is int64 fen everywhere. Every line of a notice is rounded half up
    to the fen on its own, from the exact product (area × rate × days /
    (100 × days in the month)); the notice's total is the sum of its lines.

    - Units come from kefu-registry's unit.registered (its CSV import is
      all or nothing); billing keeps each unit's money beside them.
    - Fee schedules are stored per estate by effective date; a month is
      billed on the schedule in effect on its first day.
    - A billing run of a month issues one notice per unit not yet billed for
      it, in chunks of BILLING_RUN_CHUNK units a request (send it again
      until `remaining` is 0); a unit's notice and the run's progress commit
      together, so a run killed half-way and run again bills every unit
      exactly once. A month that moved in mid-month is billed pro rata.
    - Payments (idempotent on their reference) pay the oldest notices
      first, principal before late fees; the rest is credit, which pays the
      next notice when it is issued. Refunds take credit first, then undo
      the payment's allocations, newest first.
    - Once a local day per estate, overdue notices get a reminder at each
      configured step and, when the estate charges them, late fees on the
      unpaid principal after a grace period, up to a cap. The fee accrues
      exactly (ten-thousandths of a fen, day by day, on whatever principal
      was unpaid each day) and is rounded to the fen once, on the total.
    - order.completed of a paid service becomes a charge on the unit's next
      notice, once, however often the event is replayed.
*/
#ifndef BILLING_H_INCLUDED
#define BILLING_H_INCLUDED

#include "kf_codec.h"
#include "kf_config.h"
#include "kf_outbox.h"
#include "commands.pb-c.h"
#include "envelope.pb-c.h"

#define BILLING_OWN_TABLES "units", "schedules", "invoices", "unit_invoices", "open", "payments", \
    "refunds", "charges", "pending", "runs", "ledger", "arrears", "counters", "collection"
#define BILLING_TABLES KF_BUS_TABLES, BILLING_OWN_TABLES

#define BILLING_RUN_CHUNK        20000     //  units one run request visits
#define BILLING_ARREARS_CHUNK    20000     //  overdue notices one arrears step visits
#define BILLING_AMOUNT_MAX       INT64_C (10000000000)   //  fen: ¥100,000,000 in one payment
#define BILLING_PAGE_DEFAULT     50
#define BILLING_PAGE_MAX         500

typedef struct _billing_t billing_t;

billing_t *billing_new (kf_config_t *config, kf_err_t *err);
void billing_destroy (billing_t **self_p);
void billing_set_outbox (billing_t *self, kf_outbox_t *outbox);

int billing_handle_request (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                            Kf__Reply *reply, kf_arena_t *arena);

//  unit.registered: a unit to bill, or its new shape. order.completed of a
//  paid service: a charge for the unit's next notice.
int billing_apply_event (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event);

//  After kefuctl restore, each of billing's own events that the archive
//  gave back (kf_recover_fn's contract): the unit, charge, notice,
//  settlement, late fee, reminder, payment or refund it recorded, with the
//  statement's lines, the units' credit and balance and the receipt
//  numbers taken, as the request or the day's arrears made them. A late
//  fee's unrounded accrual is not in its event: it goes on from the fee in
//  fen. Returns 0.
int billing_recover (billing_t *self, kf_txn_t *txn, const Kf__Envelope *event);

//  After kefuctl restore (kf_restore_fn's arguments): the payments the
//  backup lacks took receipt numbers the restored counter would give
//  again; an estate's receipts skip as many as its stream lost events (at
//  most one receipt each). Numbers may go unused; none is used twice.
int billing_restored (billing_t *self, kf_txn_t *txn, const Kf__RestoreMarker *marker, const char *stream,
                      uint64_t restored_head, uint64_t seen_head);

//  Whether an estate's arrears day has work left at now_ms (a read).
bool billing_arrears_due (billing_t *self, kf_txn_t *txn, int64_t now_ms);
//  Do up to BILLING_ARREARS_CHUNK notices of it. Returns how many, or -1.
int billing_arrears_step (billing_t *self, kf_txn_t *txn, int64_t now_ms);

//  ---- the arithmetic, for the tests ------------------------------------------------
//  (Rounding half up is kf_muldiv_round, in kf_rate.)
int billing_month_days (uint32_t yyyymm);
//  Days of the month yyyymm a unit that moved in on yyyymmdd (0: long ago)
//  is billed for: the whole month, from the move-in day on, or 0.
int billing_days_billed (uint32_t yyyymm, uint32_t move_in);
//  The management fee of a month: area (m² × 100) × rate (fen per m² per
//  month) × days / days in the month, rounded half up to the fen.
int64_t billing_management_fee (int64_t area_centi_m2, int64_t fen_per_m2, int days, int month_days);
//  Late fees accrue exactly, in ten-thousandths of a fen: per_day is in
//  ten-thousandths of the unpaid principal a day, so a day on `unpaid` fen
//  is unpaid × per_day of them, whatever the principal. `exact` so far plus
//  `days` more days on `unpaid`, never beyond cap_percent of the principal.
#define BILLING_EXACT_PER_FEN 10000
int64_t billing_late_fee_accrue (int64_t principal, int64_t unpaid, int64_t exact, int per_day, int days,
                                 int cap_percent);
//  The late fee charged for an exact accrual: rounded half up to the fen
//  once, from the exact amount, and never above the cap (cap_percent of
//  the principal, rounded down: a cap of ¥16.836 is ¥16.83).
int64_t billing_late_fee_charged (int64_t principal, int64_t exact, int cap_percent);

//  At the start, in a write transaction: a store from before the collection
//  tallies (per estate and month, kept with every notice saved) gets them,
//  its notices counted once; `built` says how many (0: nothing to do).
int billing_collection_build (billing_t *self, kf_txn_t *txn, uint64_t *built);

#endif
