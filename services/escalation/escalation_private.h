/*  escalation_private — what escalation's files share (not for other
    programs): the service's state, an estate's policies and chain, the
    context of a change to one case, and the helpers each part uses.

    The files, one concern each:
      escalation.c         set-up, the case's history and events, timers,
                           requests
      escalation_policy.c  which policy and limit apply to a case's target
      escalation_clock.c   clocks: their time used and deadlines, the timers
                           and board rows a case indexes, what happens to a
                           clock (met, stopped, a round, a retarget)
      escalation_chain.c   the escalation chain: who is raised at each level
      escalation_events.c  the events consumed: tickets, orders, visits
      escalation_reports.c the on-time report
      escalation_deadline.c deadlines other daemons announce (deadline.*),
                           each a case with one clock on the same chain


    Every change to a case is the same straight line: read the case, take
    its timers and board rows out (from what the record says they are),
    change the case, put its timers and board rows back (from what it now
    is), write it. So the indexes are a function of the record and can
    never drift from it, whatever the order of events.
*/
#ifndef ESCALATION_PRIVATE_H_INCLUDED
#define ESCALATION_PRIVATE_H_INCLUDED

#include "escalation.h"
#include "kf_commands.h"
#include "kf_domain.h"
#include "kf_field.h"
#include "kf_rate.h"
#include "kf_rota.h"
#include "kf_sla.h"
#include "kf_summary.h"
#include "kf_time.h"
#include "kf_timers.h"
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TARGETS     3       //  kf.SlaTarget 1..3, at index 0..2
#define S_POLICIES    7
#define S_NOTIFY_MAX  16
#define S_ID_SIZE     (KF_ID_MAX + 1)
#define S_TIMER_ID    128     //  <ticket_no>/<what>
#define S_BOARD_SCAN  100000  //  board rows one request looks at, per estate
#define S_TYPES 16
#define S_CHANNELS 16
#define S_CATEGORIES 32
#define S_HAZARDS 16
#define S_PRIORITIES 8
#define S_PAUSES 4

//  A protobuf-c optional scalar is written only with its has_ flag.

//  The configuration's names of the targets and of the policies (in
//  precedence order).
extern const char *const escalation_target_keys [S_TARGETS];
extern const char *const escalation_policy_names [S_POLICIES];
enum { S_POLICY_RECTIFICATION = 1, S_POLICY_DEFAULT = 6 };
enum { S_FIRST_RESPONSE = 0, S_ON_SITE = 1, S_RESOLUTION = 2 };

typedef struct {
    int index;                       //  in escalation_policy_names: the precedence
    bool type [S_TYPES], channel [S_CHANNELS], category [S_CATEGORIES], hazard [S_HAZARDS],
         priority [S_PRIORITIES];
    bool working;
    bool pause_for [S_PAUSES];
    kf_sla_limit_t limit [S_TARGETS];
    kf_sla_limit_t transferred;
} escalation_policy_t;

//  Someone levels 2 and 3 may notify, with their rota (the configuration's
//  text: the chain asks who is there only when it climbs).
typedef struct {
    char id [S_ID_SIZE];
    const char *shifts;
    bool on_call;
} s_person_t;

typedef struct {
    s_person_t people [S_NOTIFY_MAX];
    size_t count;
    char named [S_ID_SIZE];      //  the estate's own supervisor / deputy GM, always told
} s_level_people_t;

typedef struct {
    const kf_estate_t *estate;
    escalation_policy_t policies [S_POLICIES];
    s_level_people_t levels [4];   //  [2] the CS supervisors, [3] the managers (deputy GM)
} escalation_estate_t;

struct _escalation_t {
    kf_domain_t base;               //  config, outbox, scratch arena, estates, tables
    escalation_estate_t *estates;        //  base.estates, typed
    int warning_percent;
    int cutoff_minute;
    int64_t level_after_ms [3];     //  [1]: level 1 to 2, [2]: level 2 to 3
    uint32_t reopens_to_supervisor;
    kf_table_t cases, timers, board, outcomes, complaints, staff, tallies;
};

//  What a change to one case works with.
typedef struct {
    escalation_t *self;
    kf_txn_t *txn;
    int64_t now_ms;          //  the daemon's clock
    int64_t at_ms;           //  when the fact happened: the event's time, or the timer's
    const char *causation;   //  the consumed event's id
    const escalation_estate_t *estate;
    Kf__SlaCase *c;
    kf_arena_t *arena;
} escalation_ctx_t;



const escalation_estate_t *escalation_estate (const escalation_t *self, const char *id);

void escalation_tables (escalation_t *self, kf_txn_t *txn);

void escalation_history (escalation_ctx_t *x, int64_t at_ms, const char *format, ...);

const char *escalation_local (const escalation_ctx_t *x, int64_t utc_ms, char *buf, size_t size);

int escalation_emit (escalation_ctx_t *x, Kf__Envelope *event, const char *causation);

Kf__SlaMet escalation_met_record (const escalation_ctx_t *x, const Kf__SlaClock *k, int64_t met_at_ms, bool on_time);

//  The target's outcome for the reports, under its deadline: on time or
//  late. A later outcome of the same target replaces an earlier one.
void escalation_outcome (escalation_ctx_t *x, Kf__SlaClock *k, const Kf__SlaMet *m);

void escalation_outcome_drop (escalation_ctx_t *x, Kf__SlaClock *k);

void escalation_complaint_state (escalation_ctx_t *x, char state);

//  The on-time report's day tallies (escalation_tally.c): an outcome
//  counted under its deadline's UTC day by category and by department, a
//  valid complaint ('0' open, '1' handled) under its filing day; delta +1
//  when its record is written, -1 when it is replaced or removed.
#define ESCALATION_TALLY_CATEGORY   0
#define ESCALATION_TALLY_DEPARTMENT 1
#define ESCALATION_TALLY_COMPLAINTS 2
void escalation_tally_outcome (escalation_t *self, kf_txn_t *txn, const char *estate, int64_t deadline_ms,
                               const Kf__SlaMet *m, int delta);
void escalation_tally_complaint (escalation_t *self, kf_txn_t *txn, const char *estate, int64_t filed_at_ms,
                                 char state, int delta);
//  Every count of an estate's days in [from, to), which must be whole UTC
//  days: fn (what, slot, which: 0 all, 1 on time or handled, count).
typedef void (escalation_tally_fn) (uint32_t what, uint32_t slot, uint32_t which, uint64_t count, void *arg);
int escalation_tally_read (escalation_t *self, kf_txn_t *txn, const char *estate, int64_t from, int64_t to,
                           escalation_tally_fn *fn, void *arg);


int escalation_show (escalation_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                 kf_arena_t *arena);

//  The estates a request may see: the one it names (within its scope), or
//  every estate of its scope. 0, or -1 when it names one it cannot see.
int escalation_estates_of (const escalation_t *self, const Kf__Request *request, const char *estate,
                           const escalation_estate_t **list,
                       size_t *n);

//  Open targets soonest due first: those past the warning threshold (or
//  every running one), across the estates the caller may see.
int escalation_board (escalation_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                  kf_arena_t *arena);

bool escalation_in (const bool *set, int size, int value);

//  The policy that sets this target for the case, and its limit; NULL when
//  none does (the case has no such target).
const escalation_policy_t *escalation_policy_for (const escalation_estate_t *e, const Kf__SlaCase *c, int target,
                                                  kf_sla_limit_t *limit);

const escalation_policy_t *escalation_policy_named (const escalation_estate_t *e, const char *name);

bool escalation_running (const Kf__SlaClock *k);

//  Time used on the clock by `at`.
int64_t escalation_used_at (const escalation_estate_t *e, const Kf__SlaClock *k, int64_t at);

void escalation_run_from (const escalation_estate_t *e, Kf__SlaClock *k, int64_t at);

Kf__SlaClock *escalation_clock (const Kf__SlaCase *c, int target);

bool escalation_on_board (const Kf__SlaClock *k);

void escalation_unindex (escalation_ctx_t *x);

void escalation_index (escalation_ctx_t *x);

//  A case's key: its ticket number, or a deadline's "<estate>:<subject>".
const char *escalation_case_id (const Kf__SlaCase *c);

Kf__SlaCase *escalation_case_get (escalation_t *self, kf_txn_t *txn, const char *case_id, kf_arena_t *arena);

int escalation_case_put (escalation_ctx_t *x);

//  A clock's timer fired (or time passed it while it was due): warn at
//  the threshold, breach at the deadline, both when both have passed.
void escalation_clock_due (escalation_ctx_t *x, Kf__SlaClock *k);

//  A target reached at `at`: on time when it came by the deadline (a
//  working-hours clock stands still after closing, so its use alone
//  cannot tell 17:59 from 21:59), or, for a paused clock, when the pause
//  began before the length was used up.
void escalation_meet (escalation_ctx_t *x, Kf__SlaClock *k, int64_t at);

void escalation_stop (escalation_ctx_t *x, Kf__SlaClock *k, int64_t at);

//  Clocks for each target the policies give the case, from `at` (a
//  rectification's resolution from the unsatisfied visit).
void escalation_start_round (escalation_ctx_t *x, int64_t at);

//  The case changed (transferred, made a rectification): a target whose
//  policy or limit changes keeps its start and the time it used, and
//  takes the new length; a rectification's resolution starts afresh at
//  the visit.
void escalation_retarget (escalation_ctx_t *x, int64_t at);

const char *escalation_target_name (int target);

//  dispatch's news of a person: kept for s_level_present.
int escalation_on_staff (escalation_t *self, kf_txn_t *txn, const Kf__Envelope *event);

//  Notify a level: escalation.raised naming the people, and the next
//  level armed `after` the time this one was due.
void escalation_raise (escalation_ctx_t *x, int level, Kf__SlaTarget target, const char *reason, int64_t due_ms);

//  A breach starts the chain, or climbs it when it had stopped (an earlier
//  missed target was met since); a chain already climbing goes on as it is.
void escalation_chain_on_breach (escalation_ctx_t *x, const Kf__SlaClock *k);

void escalation_chain_due (escalation_ctx_t *x, int64_t due_ms);

//  The next level waits only while its cause lasts.
void escalation_settle (escalation_ctx_t *x);

//  deadline.set, .met, .dropped: a deadline's case opened, its next cycle
//  begun, met or withdrawn.
int escalation_deadline_apply (escalation_ctx_t *x, const Kf__Envelope *event, int64_t at);

//  A policy of an estate from the configuration (the estate's, else the
//  group's): what it matches, its limits, what may pause it. 0, or -1 with
//  the reason naming the key.
int escalation_build_policy (escalation_policy_t *p, int index, kf_config_t *config, const char *estate, kf_err_t *err);

//  An estate's people of levels 2 and 3 (its active customer-service
//  supervisors and managers) and the named supervisor and deputy GM. 0,
//  or -1 when a named one is not such a person.
int escalation_chain_people (kf_config_t *config, escalation_estate_t *e, kf_err_t *err);

#endif
