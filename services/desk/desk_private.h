/*  desk_private — what the desk's files share (not for other programs): the
    service's state, an estate's rules, and each request's handler, which
    desk_handle_request calls.

    The files, one concern each:
      desk.c        set-up, the requests' dispatch, the events consumed (the
                    units, their people, the staff)
      desk_loans.c  keys and items lent, owners' things stored: lend,
                    return, the registers, the overdue reminder, the deadline
      desk_permits.c release permits (放行条): issued when nothing is owed
                    (or a supervisor overrides), used at the gate, expired
      desk_violations.c violations (违章): recorded with the notice's
                    deadline, followed up, closed, counted per unit, fined
                    through billing once
      desk_duty.c   the duty log of each shift and its handover, signed by
                    both, listing what is open; the supervisor's daily read
      desk_contacts.c interviews and communications with a unit's people,
                    their follow-ups held to their dates
      desk_renovations.c renovations: the application, its two reviews
                    within the policy's limit, the permit and passes, site
                    patrols twice a day, the completion inspection

    Tables (keys):
      units       estate|unit               ""    the registry announced it
      households  estate|unit               HouseholdFile, as announced
      staff       estate|staff_id           Staff, as dispatch announced it
      balances    estate|unit               UnitBalance, from billing's events (kf_balance)
      loans       loan_id                   Loan
      by_lent     estate|lent_at|loan_id    ""    the register, newest last
      by_unit     estate|unit|lent_at|loan_id ""  a unit's loans
      out         estate|tag                loan_id: what is out now
      counters    name                      big-endian count (loan numbers per day)
      due         deadline|loan_id          kf_timers: each loan's due time
      permits     permit_id                 ReleasePermit
      by_day      estate|date|permit_id     ""    the permits of a day
      expiry      deadline|permit_id        kf_timers: the end of each issued permit's day
      violations  violation_id              Violation
      by_noticed  estate|recorded_at|violation_id       ""
      unit_violations estate|unit|recorded_at|violation_id ""
      open_violations estate|violation_id   ""    the ones not yet closed
      rectify     deadline|violation_id     kf_timers: each open violation's notice deadline
      shifts      estate|date|shift         DutyShift: the log and its handover
      open_tickets estate|ticket_no         ""    the estate's open tickets, from intake's events
      breaches    estate|clock_id           the ticket's number or the deadline's subject: missed, not yet met
      communications communication_id       Communication
      by_contact  estate|at|communication_id        ""
      unit_contacts estate|unit|at|communication_id ""
      renovations renovation_id             Renovation
      by_submitted estate|submitted_at|id   ""
      unit_renovations estate|unit|submitted_at|id ""
      site        deadline|<id>/S, deadline|<id>/M<slot>   kf_timers: the next patrol, each open one's end
*/
#ifndef DESK_PRIVATE_H_INCLUDED
#define DESK_PRIVATE_H_INCLUDED

#include "desk.h"
#include "kf_balance.h"
#include "kf_commands.h"
#include "kf_domain.h"
#include "kf_field.h"
#include "kf_page.h"
#include "kf_schedule.h"
#include "kf_sla.h"
#include "kf_time.h"
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Room for a record's number: "<estate>-<letter><yyyymmdd>-<n>", the
//  estate's id at most KF_ID_MAX and the day's counter any size.
#define DESK_ID_SIZE (KF_ID_MAX + 40)
//  Characters of a name the desk writes down: a person's, a company's.
#define DESK_NAME_MAX 64

//  An estate's rules for its registers (the estate's value, else the group's).
typedef struct {
    const kf_estate_t *estate;
    int64_t due_ms [4];             //  by kf.LoanKind: how long a loan is out by default
    int64_t escalate_after_ms;      //  still out this long after its due time: escalated
    kf_schedule_t patrols;          //  renovation patrols while work is on (desk/patrol_schedule)
    int64_t patrol_window_ms;       //  a patrol is done within this long of its time
    kf_sla_limit_t review_limit;    //  both renovation reviews within it (sla/renovation/resolution)
    bool review_working;            //  ... on the estate's working hours
    int cutoff_minute;              //  sla/same_day_cutoff
    int64_t deposit_fen, fees_fen;  //  a renovation's deposit and fees (desk/renovation_deposit, _fees)
} desk_estate_t;

struct _desk_t {
    kf_domain_t base;               //  config, outbox, scratch arena, estates, tables
    desk_estate_t *estates;         //  base.estates, typed
    kf_table_t units, households, staff, balances, loans, by_lent, by_unit, out, counters, due, permits, by_day, expiry,
               violations, by_noticed, unit_violations, open_violations, rectify, shifts, open_tickets, breaches, communications,
               by_contact, unit_contacts, renovations, by_submitted, unit_renovations, site;
};

void desk_tables (desk_t *self, kf_txn_t *txn);

const desk_estate_t *desk_estate (const desk_t *self, const char *id);

int desk_lend (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
               kf_arena_t *arena);
int desk_return (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                 kf_arena_t *arena);
int desk_list_loans (desk_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena);

//  The loans past their due time while out: how many it reminded, or -1.
int desk_loans_tick (desk_t *self, kf_txn_t *txn, int64_t now_ms);

//  One of the desk's own loan events taken back from the archive.
int desk_loans_recover (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event);

int desk_issue_permit (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                       kf_arena_t *arena);
int desk_use_permit (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                     kf_arena_t *arena);
int desk_list_permits (desk_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
                       kf_arena_t *arena);
//  The issued permits whose day has ended: how many expired, or -1.
int desk_permits_tick (desk_t *self, kf_txn_t *txn, int64_t now_ms);
//  One of the desk's own permit events taken back from the archive.
int desk_permits_recover (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event);

int desk_record_violation (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                           kf_arena_t *arena);
int desk_follow_violation (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                           kf_arena_t *arena);
int desk_fine_violation (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                         kf_arena_t *arena);
int desk_list_violations (desk_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
                          kf_arena_t *arena);
//  The open violations whose notice's deadline has passed: how many, or -1.
int desk_violations_tick (desk_t *self, kf_txn_t *txn, int64_t now_ms);
int desk_violations_recover (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event);

int desk_log_duty (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                   kf_arena_t *arena);
int desk_hand_over (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                    kf_arena_t *arena);
int desk_take_over (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                    kf_arena_t *arena);
int desk_check_handovers (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                          kf_arena_t *arena);
int desk_list_shifts (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                      kf_arena_t *arena);
//  What the desk follows for the handover's list: open tickets (ticket.*)
//  and missed targets (sla.breached, sla.met, deadline.*). 1 when the event
//  was one of those, 0 when not, -1 when the transaction failed.
int desk_duty_follow (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event);
int desk_duty_recover (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event);

int desk_record_communication (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                               Kf__Reply *reply, kf_arena_t *arena);
int desk_follow_up_communication (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                                  Kf__Reply *reply, kf_arena_t *arena);
int desk_list_communications (desk_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
                              kf_arena_t *arena);
int desk_contacts_recover (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event);

int desk_submit_renovation (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                            kf_arena_t *arena);
int desk_review_renovation (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                            kf_arena_t *arena);
int desk_start_renovation (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                           kf_arena_t *arena);
int desk_patrol_renovation (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                            kf_arena_t *arena);
int desk_complete_renovation (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                              Kf__Reply *reply, kf_arena_t *arena);
int desk_list_renovations (desk_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
                           kf_arena_t *arena);
//  The patrols whose time or window's end has come: how many opened or
//  were missed, or -1.
int desk_renovations_tick (desk_t *self, kf_txn_t *txn, int64_t now_ms);
int desk_renovations_recover (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event);

//  A deadline of kefu-escalation's for something of the desk's: set (due
//  at due_ms, its period from since_ms) or met / dropped.
void desk_deadline (desk_t *self, kf_txn_t *txn, int64_t now_ms, const char *estate, const char *subject,
                    Kf__DeadlineKind kind, Kf__Envelope__BodyCase what, int64_t since_ms, int64_t due_ms,
                    const char *unit, const char *handler, const char *text);

//  A register's record by its number (NULL: none, or the transaction failed).
void *desk_record_get (kf_txn_t *txn, kf_table_t table, const char *id, const ProtobufCMessageDescriptor *descriptor,
                       kf_arena_t *arena);

//  A record kept under its number, and indexed by the time it was made:
//  estate|at|id in `by_estate`, estate|unit|at|id in `by_unit`.
void desk_record_put (kf_txn_t *txn, kf_table_t table, const char *id, const ProtobufCMessage *record,
                      kf_table_t by_estate, kf_table_t by_unit, const char *estate, const char *unit, int64_t at_ms);

//  An event of the desk's: `body` is the message the Envelope's `kind`
//  holds (every body is reached through the same union pointer).
void desk_emit (desk_t *self, kf_txn_t *txn, int64_t at_ms, const char *estate, Kf__Envelope__BodyCase kind,
                ProtobufCMessage *body, const char *actor);

//  The estate a request is for, through the shared estate guard
//  (kf_request_estate); `changes` refuses a technician, who may read the
//  desk's registers (and use a permit at the gate) but keeps none. NULL
//  after a one-line reply.
const desk_estate_t *desk_request_estate (desk_t *self, const Kf__Request *request, const char *named, bool changes,
                                          Kf__Reply *reply, kf_arena_t *arena);

//  Whether a register's record goes on a list: its query's filters.
typedef bool (desk_keep_fn) (const ProtobufCMessage *record, const void *query);

//  A page of a register, newest first: its unit's index (estate|unit|time|id)
//  when a unit is named, else its estate's (estate|time|id); each row's
//  record (`records`, by the key's last part, as `descriptor`) that `keep`
//  keeps is counted, and pushed onto *items when on the page. 0, or -1
//  after a reply or a failed transaction.
typedef struct {
    kf_table_t records, by_estate, by_unit;
    const ProtobufCMessageDescriptor *descriptor;
    desk_keep_fn *keep;
} desk_register_t;

int desk_list (kf_txn_t *txn, const desk_register_t *reg, const char *estate, const char *unit,
               const Kf__PageRequest *page, const void *query, void ***items, size_t *count, Kf__Reply *reply,
               kf_arena_t *arena, kf_page_t *result);

//  Whether a unit is in the register the desk has heard of: true; else
//  false after a NOT_FOUND reply ("no unit 5-1-817 in E001").
bool desk_unit_known (desk_t *self, kf_txn_t *txn, const char *estate, const char *unit, Kf__Reply *reply,
                      kf_arena_t *arena);

//  The person of a unit by name, as the registry last announced its
//  people; NULL after a one-line reply.
const Kf__Person *desk_person_of (desk_t *self, kf_txn_t *txn, const char *estate, const char *unit,
                                  const char *person, Kf__Reply *reply, kf_arena_t *arena);

//  The record's number an index key ends with ("...|E001-L20261203-0001");
//  0, or -1 when the key has none that fits.
int desk_key_id (kf_val_t key, char *id, size_t size);

//  Text of 1 to max characters, valid UTF-8, on one line (kf_text_check:
//  no control characters, not blank).
bool desk_text_ok (const char *text, size_t max);

//  A new number "<estate>-<letter><yyyymmdd>-<n>" from the day's counter
//  of `what` (never reused); NULL when the transaction failed.
char *desk_number (desk_t *self, kf_txn_t *txn, const desk_estate_t *e, const char *what, char letter, int64_t now_ms,
                   kf_arena_t *arena);

//  After a restore: the day's counter of `what` past the number `id`'s.
void desk_number_seen (desk_t *self, kf_txn_t *txn, const char *estate, const char *what, char letter, const char *id);

#endif
