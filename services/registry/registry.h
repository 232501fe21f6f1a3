/*  registry — the estates' register of units and households, and the
    caller lookup of the front desk (DESIGN.md §1, issue 21).

    Plain functions over a store transaction, as the other services': a
    request or a consumed event in; units, households, what each unit owes
    and its cases out, with unit.registered and household.registered in
    the outbox for billing, survey and intake.

    - Units and their owners come from a CSV import that is all or
      nothing: every bad line is reported (line and column) and then
      nothing is written. A unit that changes is announced again; one that
      does not is left alone, so importing the same file twice is quiet.
    - A unit's balance is what billing's events say (notices, late fees
      and refunds add, payments take), and its cases are what intake's
      say: the registry never reads another daemon's store.
    - A lookup by phone finds every unit whose people have it, through an
      index kept in the same transaction as the household; phones are
      masked (138****0000) to anyone but the desk of that estate.
*/
#ifndef REGISTRY_H_INCLUDED
#define REGISTRY_H_INCLUDED

#include "kf_codec.h"
#include "kf_config.h"
#include "kf_outbox.h"
#include "commands.pb-c.h"
#include "envelope.pb-c.h"

#define REGISTRY_OWN_TABLES "units", "households", "phones", "balances", "cases", "tickets", "counters", \
    "handovers", "tenancies", "titles", "lists", \
    "vacant", "inspections", "due", "unit_loans", "contacts"
#define REGISTRY_TABLES KF_BUS_TABLES, REGISTRY_OWN_TABLES

#define REGISTRY_IMPORT_MAX_LINES 200000
#define REGISTRY_RECENT_CASES     5        //  cases a lookup lists, newest first
#define REGISTRY_LOOKUP_MAX_UNITS 20       //  units one phone may find
#define REGISTRY_PEOPLE_MAX       20       //  people of one household

typedef struct _registry_t registry_t;

registry_t *registry_new (kf_config_t *config, kf_err_t *err);
void registry_destroy (registry_t **self_p);
void registry_set_outbox (registry_t *self, kf_outbox_t *outbox);

int registry_handle_request (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                             Kf__Reply *reply, kf_arena_t *arena);

//  ticket.* (a unit's cases) and billing's invoice.* and payment.* (what
//  it owes).
int registry_apply_event (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event);

//  The periodic work: each estate's monthly title and tenancy lists, made
//  on its 1st for the month before (the months ended since the last one
//  made, oldest first), and the vacant units whose inspection's day has
//  passed. Returns how much it did, or -1.
int registry_tick (registry_t *self, kf_txn_t *txn, int64_t now_ms);

//  After kefuctl restore, each of the registry's own events that the
//  archive gave back (kf_recover_fn's contract): the unit or household it
//  announced, as it announced it. Returns 0, or -1 when the transaction
//  failed.
int registry_recover (registry_t *self, kf_txn_t *txn, const Kf__Envelope *event);

#endif
