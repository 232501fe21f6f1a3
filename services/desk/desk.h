/*  desk — the front desk's registers (DESIGN.md §1, issue 22): keys and
    items lent, owners' things stored at the desk.

    Plain functions over a store transaction, as the other services': a
    request or a consumed event in; the registers out, with desk.* in the
    outbox, and each loan's return a deadline of kefu-escalation's.

    - A loan is to a person of a unit as the registry announced its people
      (unit.registered, household.registered): the desk keeps its own copy
      and never reads the registry's store. A plant room's key may go to a
      member of staff instead, as dispatch announced them (staff.changed).
    - One of a tag is out at a time: a key lent twice is refused while the
      first is out.
    - Due back by the kind's time (desk/key_due, item_due, stored_due, per
      estate), a loan still out then reminds the desk (desk.loan_overdue,
      by the shared timers, once), and desk/escalate_after later it is
      escalated: its deadline (deadline.set at the lending, met at the
      return) is kefu-escalation's, on its board and up its chain.
*/
#ifndef DESK_H_INCLUDED
#define DESK_H_INCLUDED

#include "kf_codec.h"
#include "kf_config.h"
#include "kf_outbox.h"
#include "commands.pb-c.h"
#include "envelope.pb-c.h"

#define DESK_OWN_TABLES "units", "households", "staff", "balances", "loans", "by_lent", "by_unit", "out", "counters", \
    "due", "permits", "by_day", "expiry", "violations", "by_noticed", "unit_violations", "open_violations", \
    "rectify", "shifts", "open_tickets", "breaches", "communications", "by_contact", "unit_contacts", \
    "renovations", "by_submitted", "unit_renovations", "site"
#define DESK_TABLES KF_BUS_TABLES, DESK_OWN_TABLES

#define DESK_PAGE_DEFAULT 50
#define DESK_PAGE_MAX     500

typedef struct _desk_t desk_t;

desk_t *desk_new (kf_config_t *config, kf_err_t *err);
void desk_destroy (desk_t **self_p);
void desk_set_outbox (desk_t *self, kf_outbox_t *outbox);

int desk_handle_request (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                         kf_arena_t *arena);

//  unit.registered and household.registered (the units and their people),
//  staff.changed (the staff a plant room's key may go to).
int desk_apply_event (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event);

//  The periodic work: the loans whose due time has passed while out, each
//  reminded once. Returns how many, or -1.
int desk_tick (desk_t *self, kf_txn_t *txn, int64_t now_ms);

//  After kefuctl restore, each of the desk's own events that the archive
//  gave back (kf_recover_fn's contract): the line of the register it
//  announced, as it announced it. Returns 0, or -1 when the transaction
//  failed.
int desk_recover (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event);

#endif
