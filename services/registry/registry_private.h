/*  registry_private — what the registry's files share (not for other
    programs): the service's state, the records' helpers, and each
    request's handler, which registry_handle_request calls.

    The files, one concern each:
      registry.c         set-up, records, requests, the events consumed
                         (cases, money), recovery after a restore
      registry_import.c  the CSV import of units and their owners
      registry_lookup.c  the caller lookup, households shown and set,
                         phones masked
      registry_moves.c   move-in (the handover), lettings, move-out
      registry_lists.c   the monthly title and tenancy lists, the export
      registry_vacant.c  the ledger of vacant units and their inspections

    Tables (keys):
      units       estate|unit              Unit (no money: billing's)
      households  estate|unit              Household
      phones      phone|estate|unit        ""    a person of the unit has the phone
      balances    estate|unit              UnitBalance, from billing's events
      cases       estate|unit|filed|ticket CaseSummary, oldest first
      tickets     estate|ticket_no         the case's key in cases
      counters    name                     big-endian count
      handovers   estate|unit|date         Handover
      tenancies   estate|unit|from         Tenancy
      titles      estate|date|unit|seq     TitleChange, for the monthly title list
      lists       estate|yyyymm|kind       RegisterList, made on the 1st after the month
      vacant      estate|unit              VacantFile: the ledger of vacant units
      inspections estate|unit|date         VacantInspection
      due         deadline|estate/unit     kf_timers: the end of each vacant unit's due day
      unit_loans  estate|unit|loan_id      Loan: keys and items out, from the desk's events
      contacts    estate|unit|at|id        Communication: interviews and contacts, from the desk's events
*/
#ifndef REGISTRY_PRIVATE_H_INCLUDED
#define REGISTRY_PRIVATE_H_INCLUDED

#include "registry.h"
#include "kf_balance.h"
#include "kf_commands.h"
#include "kf_domain.h"
#include "kf_field.h"
#include "kf_money.h"
#include "kf_time.h"
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_UNIT_MAX       32
#define S_REJECTS_LISTED 1000

//  How often an estate's vacant units are inspected.
typedef struct {
    bool monthly;                   //  the same day each month
    int days;                       //  else every so many days
} registry_cycle_t;

//  "monthly", "weekly" or "14d"; 0, or -1 with the reason.
int registry_cycle_parse (const char *text, registry_cycle_t *cycle, kf_err_t *err);

struct _registry_t {
    kf_domain_t base;               //  config, outbox, scratch arena, estates, tables
    registry_cycle_t *cycles;       //  per configured estate, in its order
    kf_table_t units, households, phones, balances, cases, tickets, counters, handovers, tenancies, titles, lists, vacant,
               inspections, due, unit_loans, contacts;
};

void registry_tables (registry_t *self, kf_txn_t *txn);

Kf__Unit *registry_unit_get (registry_t *self, kf_txn_t *txn, const char *estate, const char *unit,
                             kf_arena_t *arena);

Kf__HouseholdFile *registry_household_get (registry_t *self, kf_txn_t *txn, const char *estate, const char *unit,
                                       kf_arena_t *arena);

//  A unit kept and announced (unit.registered).
void registry_unit_register (registry_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Unit *unit);

//  A household kept, its phones indexed (the old ones' entries gone), and
//  announced (household.registered) when `announce`.
void registry_household_put (registry_t *self, kf_txn_t *txn, int64_t now_ms, Kf__HouseholdFile *household,
                             bool announce, kf_arena_t *arena);

//  What a unit owes, as billing's events told it (0: nothing known).
int64_t registry_balance (registry_t *self, kf_txn_t *txn, const char *estate, const char *unit, kf_arena_t *arena);

//  The estate's local date now, yyyymmdd.
uint32_t registry_today (registry_t *self, const char *estate, int64_t now_ms);

//  Whether a unit's occupancy means somebody lives there or works on it.
bool registry_lived_in (const Kf__Unit *unit);

int registry_move_in (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                      kf_arena_t *arena);
int registry_move_out (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                       kf_arena_t *arena);
int registry_list (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                   kf_arena_t *arena);
int registry_export (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                     kf_arena_t *arena);
//  Each finding (a handover's defect, an inspection's) described in 1 to
//  500 characters, its place in at most 100, its category known. 0, or -1
//  with the reason.
int registry_findings_check (Kf__HandoverDefect **findings, size_t count, kf_err_t *err);

//  A unit announced: into the vacant ledger when it is vacant (due a cycle
//  after today), out of it when it is not; `announce` publishes its
//  inspection's deadline (not when a restore rebuilds the ledger).
void registry_vacant_follow (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Unit *unit, bool announce,
                             kf_arena_t *arena);
int registry_inspect (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                      kf_arena_t *arena);
int registry_vacant_list (registry_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
                          kf_arena_t *arena);
//  The overdue inspections: how many it marked, or -1.
int registry_vacant_tick (registry_t *self, kf_txn_t *txn, int64_t now_ms);

int registry_let (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                  kf_arena_t *arena);

//  The names of a household's owners, in its order, at most max.
size_t registry_owner_names (const Kf__HouseholdFile *h, char **names, size_t max);

//  Whether two households list the same people the same way.
bool registry_household_same (const Kf__HouseholdFile *a, const Kf__HouseholdFile *b);

//  The estate a request is for (kf_request_estate); NULL after a reply.
const kf_estate_t *registry_request_estate (registry_t *self, const Kf__Request *request, const char *named,
                                            Kf__Reply *reply, kf_arena_t *arena);

//  The stream the registry's events about an estate go out on, and its head
//  now, into an import's report.
void registry_report_head (registry_t *self, kf_txn_t *txn, const char *estate, Kf__ImportReport *report,
                           kf_arena_t *arena);

//  The estate of a request that changes a unit in the register: not a
//  technician's, in the request's scope, for a well-formed unit. NULL
//  after a one-line reply.
const kf_estate_t *registry_change_estate (registry_t *self, const Kf__Request *request, const char *named,
                                           const char *unit, Kf__Reply *reply, kf_arena_t *arena);

//  Every person of a list checked (registry_person_check), at most
//  REGISTRY_PEOPLE_MAX, each of role `only` unless it is 0. 0, or -1 with
//  the reason.
int registry_people_check (Kf__Person **people, size_t count, Kf__PersonRole only, kf_err_t *err);

int registry_import (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                     kf_arena_t *arena);

int registry_lookup (registry_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
                     kf_arena_t *arena);

int registry_show_household (registry_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
                             kf_arena_t *arena);

int registry_set_household (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                            Kf__Reply *reply, kf_arena_t *arena);

//  A person as a request may give it: a name, a role, valid phones, an ID
//  document's last four characters at most. 0, or -1 with the reason.
int registry_person_check (const Kf__Person *person, kf_err_t *err);

#endif
