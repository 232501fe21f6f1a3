/*  survey_private — what survey's files share (not for other programs):
    the service's state, an estate's visit and evaluation rules, and the
    helpers and handlers each part uses.

    The files, one concern each:
      survey.c            set-up, small shared things, consumed events, the
                          requests' dispatch and the tick (overdue visits,
                          quarterly draws, daily statistics)
      survey_visits.c     return visits: scheduling, fatigue, answers, lists
      survey_evaluation.c the quarterly owner evaluation: draw, hand-out,
                          answers
      survey_reports.c    satisfaction, the Pareto of problems, the daily
                          statistics
      survey_tally.c      the satisfaction report's counts per estate and day


    Tables (keys):
      visits        visit_id                      Visit
      visit_timers  due|visit_id                  ""   pending visits not yet overdue
      pending       estate|-due|visit_id          ""   visits not done, soonest due last (paged backwards)
      by_estate     estate|-due|visit_id          ""   every visit
      by_unit       estate|unit|scheduled|visit   ""   a household's visits (fatigue, merging)
      households    estate|unit                   Household
      evaluations   evaluation_id                 EvaluationStatusView
      answers       evaluation_id|unit            EvaluationAnswered
      outcomes      estate|answered|visit_id      VisitCompleted
      problems      estate|time|category|source   ""   complaints and unsatisfied answers (Pareto)
      days          estate|yyyymmdd               DailyReport (counted as the day goes)
      tickets       ticket_no                     TicketMark
      counters      name                          big-endian count; period|<job> the next period of a
                                                  periodic job (kf_period)
      tallies       estate|day|what|name|which    big-endian count: answers (all, satisfied, score) by
                                                  estate, department, technician; visits due, on time
*/
#ifndef SURVEY_PRIVATE_H_INCLUDED
#define SURVEY_PRIVATE_H_INCLUDED

#include "survey.h"
#include "kf_timers.h"
#include "kf_commands.h"
#include "kf_domain.h"
#include "kf_field.h"
#include "kf_page.h"
#include "kf_period.h"
#include "kf_rate.h"
#include "kf_time.h"
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DAY_MS     (24 * 3600000LL)
#define S_ID_MAX     128
#define S_UNIT_MAX   32
#define S_CATEGORIES 32
#define S_AREAS      6


typedef struct {
    const kf_estate_t *estate;
    int64_t safety_ms, leak_ms, other_ms, complaint_ms;
    bool safety [S_CATEGORIES], leak [S_CATEGORIES];
    uint32_t attempts, max_contacts, percent, collection_days;
    int report_minute;           //  the day's report falls due at this minute of the next day
} survey_estate_t;

struct _survey_t {
    kf_domain_t base;               //  config, outbox, scratch arena, estates, tables
    survey_estate_t *estates;        //  base.estates, typed
    int report_minute;
    kf_table_t tallies;
    kf_table_t visits, visit_timers, pending, by_estate, by_unit, households, evaluations, answers, outcomes, problems,
               days, tickets, counters;
};

//  The day's statistics, counted as events come.
typedef enum { D_FILED, D_CLOSED, D_COMPLAINTS, D_REPAIRS, D_BREACHES, D_VISITS_DONE, D_VISITS_SATISFIED, D_OPENED,
               D_ENDED, D_ROUNDS_DUE, D_ROUNDS_DONE, D_ROUNDS_LATE, D_ROUNDS_MISSED, D_ROUND_FINDINGS } survey_count_t;

typedef struct {
    Kf__VisitReason reason;
    const char *ticket_no, *order_no, *unit, *staff_id;
    Kf__Category category;
    Kf__Department department;
    int64_t done_at_ms;
} survey_visit_for_t;

const survey_estate_t *survey_estate (const survey_t *self, const char *id);

//  The estate a request is for, as this service keeps it (kf_request_estate).
const survey_estate_t *survey_request_estate (survey_t *self, const Kf__Request *request, const char *named,
                                              Kf__Reply *reply, kf_arena_t *arena);

void survey_count (survey_t *self, kf_txn_t *txn, const survey_estate_t *e, int64_t at_ms, survey_count_t what,
                   kf_arena_t *arena);

//  A problem for the Pareto: a complaint or an unsatisfied answer.
void survey_problem (survey_t *self, kf_txn_t *txn, const char *estate, int64_t at_ms, Kf__Category category,
                     const char *source);

Kf__Visit *survey_visit_get (survey_t *self, kf_txn_t *txn, const char *visit_id, kf_arena_t *arena);

void survey_tables (survey_t *self, kf_txn_t *txn);

//  The satisfaction report's day tallies (survey_tally.c): an answer under
//  the UTC day it was given, for the estate, its department and its
//  technician; a visit due under its due day when scheduled, and on time
//  under the same day when answered in its window.
#define SURVEY_TALLY_ESTATE     0
#define SURVEY_TALLY_DEPARTMENT 1
#define SURVEY_TALLY_TECHNICIAN 2
#define SURVEY_TALLY_DUE        3
void survey_tally_answer (survey_t *self, kf_txn_t *txn, const char *estate, int64_t answered_ms,
                          const Kf__VisitCompleted *c);
void survey_tally_due (survey_t *self, kf_txn_t *txn, const char *estate, int64_t due_ms, bool on_time);
//  Every count of an estate's days in [from, to), whole UTC days: fn (what,
//  the group's name, which: 0 all/due, 1 satisfied/on time, 2 score, count).
typedef void (survey_tally_fn) (uint32_t what, const char *name, uint32_t which, uint64_t count, void *arg);
int survey_tally_read (survey_t *self, kf_txn_t *txn, const char *estate, int64_t from, int64_t to,
                       survey_tally_fn *fn, void *arg);


//  The visit and its indexes: pending ones are listed and timed.
void survey_visit_put (survey_t *self, kf_txn_t *txn, const Kf__Visit *v);

//  A return visit for a finished case: merged into one still pending for
//  the household, not made when it has had its visits for 30 days, else
//  scheduled by the window of its kind.
void survey_schedule (survey_t *self, kf_txn_t *txn, int64_t now_ms, const survey_estate_t *e,
                      const survey_visit_for_t *f,
                 const char *causation, kf_arena_t *arena);

int survey_answer (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
               kf_arena_t *arena);

int survey_list_visits (survey_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena);

void survey_evaluation_id (char *buf, size_t size, const char *estate, uint32_t year, uint32_t quarter);

//  Hand-out: local midnight of the 15th of the quarter's last month.
int64_t survey_hand_out_at (const survey_estate_t *e, uint32_t year, uint32_t quarter);

//  Draw the quarter's households and announce it. NULL (reply set, or
//  the transaction failed) when it cannot be drawn.
Kf__EvaluationStatusView *survey_sample (survey_t *self, kf_txn_t *txn, int64_t now_ms, const survey_estate_t *e,
                                         uint32_t year, uint32_t quarter,
               uint64_t seed, kf_arena_t *arena, char *why, size_t why_size);

Kf__EvaluationStatusView *survey_evaluation_get (survey_t *self, kf_txn_t *txn, const char *id, kf_arena_t *arena);

int survey_sample_request (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                       kf_arena_t *arena);

//  The evaluation, with one page of the drawn households that have not
//  answered (whom to chase), in unit order: the page token is the last
//  unit of the page before.
int survey_evaluation_status (survey_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
                              kf_arena_t *arena);

int survey_answer_evaluation (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                              Kf__Reply *reply,
                          kf_arena_t *arena);

int survey_report_satisfaction (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                                Kf__Reply *reply,
                            kf_arena_t *arena);

//  Problem categories, most frequent first, with the running share; the
//  "vital few" are the rows up to the one that reaches 80 %.
int survey_report_pareto (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                      kf_arena_t *arena);

int survey_daily_report (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                     kf_arena_t *arena);

#endif
