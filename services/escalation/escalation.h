/*  escalation — SLA clocks and the escalation chain (DESIGN.md §5, issue 6).

    Plain functions over a store transaction, as intake's and dispatch's: a
    consumed event, a request or a due timer in; clock state, timers and
    sla.* / escalation.* events (appended to the outbox) out. main.c wires
    them to kf_bus, kf_commands and the timer tick.

    - Policies (sla/<policy>, replaced key by key per estate) give each case
      up to three targets: first response, on site, resolution. Each target
      comes from the first policy, in the order emergency, rectification,
      hotline, renovation, complaint, repair, default, that matches the case
      and sets it. Once a department other than customer service handles
      the case, a policy's `transferred` limit replaces its resolution.
    - Clocks start at ticket.filed. order.accepted meets the first response,
      order.started the on-site target, order.completed (or ticket.closed)
      all of them. An order paused for a reason the policy names stops the
      clocks until it resumes. Close and cancel stop them; a reopening
      starts a new round of clocks.
    - Timers live in the store keyed by time (`timers`: deadline|clock id),
      one per clock (its warning, then its breach) and one per case for the
      next level of the chain. Firing one is a change in a write
      transaction: the timer goes, the event is written, the next timer is
      armed. A restart loses none and fires each overdue one once.
    - The chain: sla.breached raises level 1 (the handler and the
      receptionist); while a missed target stays unmet and the case open,
      level 2 (the customer-service supervisors) and level 3 (the deputy
      general manager: the estate's managers) follow at configured
      intervals. A case reopened twice goes to level 2 at once.
    - Reports: outcomes of every target (on time or late) are kept by
      estate and deadline; complaints by estate and filing time; and
      counts of both per estate and UTC day, in the same transactions
      (escalation_tally.c), which the report reads for whole days.
*/
#ifndef ESCALATION_H_INCLUDED
#define ESCALATION_H_INCLUDED

#include "kf_codec.h"
#include "kf_config.h"
#include "kf_outbox.h"
#include "commands.pb-c.h"
#include "envelope.pb-c.h"

//  escalation's tables, after the bus's.
#define ESCALATION_OWN_TABLES "cases", "timers", "board", "outcomes", "complaints", "staff", "tallies"
#define ESCALATION_TABLES KF_BUS_TABLES, ESCALATION_OWN_TABLES

#define ESCALATION_BOARD_DEFAULT 50
#define ESCALATION_BOARD_MAX     500
#define ESCALATION_HISTORY_MAX   100   //  lines of a case's history kept (the newest)

typedef struct _escalation_t escalation_t;

//  Fails with a reason when a policy's terms cannot be used.
escalation_t *escalation_new (kf_config_t *config, kf_err_t *err);
void escalation_destroy (escalation_t **self_p);

//  Where its events go (before the first event or timer).
void escalation_set_outbox (escalation_t *self, kf_outbox_t *outbox);

//  Apply a consumed event: ticket.*, order.*, visit.unsatisfied; others
//  change nothing. 0, or -1 when the transaction failed.
int escalation_apply_event (escalation_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event);

//  Answer one request inside txn (kf_command_fn's contract): GetSlaBoard,
//  ShowSla, ReportSla.
int escalation_handle_request (escalation_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                               Kf__Reply *reply, kf_arena_t *arena);

//  When the earliest armed timer falls due; INT64_MAX when none (a read).
int64_t escalation_next_due (escalation_t *self, kf_txn_t *txn);

//  Fire timers due at now_ms, earliest first, at most `max` (a timer armed
//  in the past by one that fires is due too). Returns how many fired, -1
//  when the transaction failed.
int escalation_fire_due (escalation_t *self, kf_txn_t *txn, int64_t now_ms, size_t max);

//  Armed timers (for tests, benchmarks and ops).
uint64_t escalation_timer_count (escalation_t *self, kf_txn_t *txn);

//  At the start, in a write transaction: a store from before the on-time
//  report's day tallies gets them, its records counted once; `built` says
//  how many (0: nothing to do).
int escalation_tally_build (escalation_t *self, kf_txn_t *txn, uint64_t *built);

#endif
