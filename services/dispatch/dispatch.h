/*  dispatch — work orders (派工单): every case becomes an order for the right
    department and the right person (DESIGN.md §1, issue 5).

    Plain functions over a store transaction, as intake's: a consumed event
    or a request in, state changes and order.* events (appended to the
    outbox) out. main.c wires them to kf_bus, kf_commands and a tick.

    - Routing: a ticket's type, else its category, names the department
      (routing/<department> terms, replaced per estate department by
      department); a case no rule names goes to customer service.
    - Staff and rotas come from the configuration (estates/<id>/staff) and
      live in the store, where kefuctl changes a rota without a restart.
      An entry the file changes wins over earlier kefuctl changes; a person
      the file no longer lists becomes inactive, never deleted.
    - Assignment: among the active technicians and front-desk staff of the
      department who have the skill (the category) and are on shift, the one
      with the fewest open orders; of equal loads, the one who waited
      longest since their last order. An emergency with nobody on shift
      goes to on-call staff at any hour. Nobody: the order waits in the
      department queue (order.queued), and the tick assigns it when someone
      comes on shift.
    - Lifecycle: created → queued → assigned → accepted → started ⇄ paused →
      completed, or transferred (a new order in the other department) or
      cancelled (its ticket was closed or cancelled). Each move is one event;
      a move the status does not allow is refused (CONFLICT).
    - Rectification: visit.unsatisfied opens an order for the same
      department, due dispatch/rectification_due (24 h) after the visit.
    - Plans and rounds (巡检, issue 23): a plan's schedule makes a round at
      each slot, given to someone of its department on shift; a round not
      finished in its window is missed (and a deadline of escalation's
      breaches); an item not OK is a finding intake files as a ticket.
      See dispatch_plans.c and dispatch_rounds.c.
*/
#ifndef DISPATCH_H_INCLUDED
#define DISPATCH_H_INCLUDED

#include "kf_codec.h"
#include "kf_config.h"
#include "kf_outbox.h"
#include "commands.pb-c.h"
#include "envelope.pb-c.h"

//  dispatch's tables, after the bus's.
#define DISPATCH_OWN_TABLES "orders", "by_ticket", "by_estate", "by_created", "queue", "staff", "counters", "accounts", \
                            "plans", "rounds", "rounds_by_slot", "round_timers", "renovations_on"
#define DISPATCH_TABLES KF_BUS_TABLES, DISPATCH_OWN_TABLES

#define DISPATCH_TEXT_MAX     2000    //  characters of a reason or note
#define DISPATCH_PAGE_DEFAULT 50
#define DISPATCH_PAGE_MAX     500
#define DISPATCH_AMOUNT_MAX   INT64_C (100000000)   //  fen: ¥1,000,000 for one paid job

typedef struct _dispatch_t dispatch_t;

//  Fails with a reason when an estate's routing names a value twice or a
//  term other than type: or category:.
dispatch_t *dispatch_new (kf_config_t *config, kf_err_t *err);
void dispatch_destroy (dispatch_t **self_p);

//  Where its events go (before the first request or event).
void dispatch_set_outbox (dispatch_t *self, kf_outbox_t *outbox);

//  The department that takes a case: by its first routed hazard, else its
//  type, else its category, else customer service.
Kf__Department dispatch_route (dispatch_t *self, const char *estate, Kf__TicketType type, Kf__Category category,
                               const Kf__Hazard *hazards, size_t hazard_count);

//  Bring the stored staff in line with the configuration (at start); each
//  record added, changed or retired is announced (staff.changed).
//  Returns how many records changed, or -1 when the transaction failed.
int dispatch_load_staff (dispatch_t *self, kf_txn_t *txn, int64_t now_ms);

//  Bring the stored plans of rounds in line with the configuration (at
//  start): a plan the file changed wins, one it no longer has is paused.
//  Returns how many changed, or -1 (a plan that does not hold: the reason
//  is the transaction's).
int dispatch_load_plans (dispatch_t *self, kf_txn_t *txn, int64_t now_ms);

//  Whether a round timer is due (a read: the tick's cheap check).
bool dispatch_rounds_due (dispatch_t *self, kf_txn_t *txn, int64_t now_ms);

//  The round timers due: the plans' slots (a round each) and the rounds'
//  windows (missed). Returns how many did something, or -1.
int dispatch_rounds_tick (dispatch_t *self, kf_txn_t *txn, int64_t now_ms);

//  Answer one request inside txn (kf_command_fn's contract).
int dispatch_handle_request (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                             Kf__Reply *reply, kf_arena_t *arena);

//  Apply a consumed event: ticket.filed, .closed, .reopened, .cancelled,
//  visit.unsatisfied, escalation.raised, renovation.started, .completed;
//  others change nothing. 0, or -1
//  when the transaction failed.
int dispatch_apply_event (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event);

//  Whether any order waits in a queue (a read: the tick's cheap check).
bool dispatch_has_queued (dispatch_t *self, kf_txn_t *txn);

//  Offer queued orders, most urgent and oldest first, to whoever is on
//  shift now. Returns how many were assigned, or -1.
int dispatch_tick (dispatch_t *self, kf_txn_t *txn, int64_t now_ms);

//  After kefuctl restore, each of dispatch's own events that the archive
//  gave back (kf_recover_fn's contract): the order it made or
//  moved, with its people's loads, its queue and its number taken, as the
//  request or the consumed event made them; staff.changed back into the
//  person's record. Returns 1: the event's cause (a ticket, visit or
//  escalation event) is not applied again when it is consumed again.
int dispatch_recover (dispatch_t *self, kf_txn_t *txn, const Kf__Envelope *event);

#endif
