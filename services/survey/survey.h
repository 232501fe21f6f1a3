/*  survey — return visits, quarterly owner evaluations and the daily
    statistics (DESIGN.md §5, issue 7).

    Plain functions over a store transaction, as the other services'.

    - Return visits (回访): order.completed of a repair (or a rectification)
      schedules one, due by category (safety installations 2 days, leaks 3,
      other repairs 7); a closed complaint gets one too. Staff record the
      outcome: not reached (retried up to a count, then given up), or
      satisfied / fairly satisfied / unsatisfied with a 1-5 score and a
      comment. Unsatisfied publishes visit.unsatisfied: dispatch opens a
      rectification order, intake reopens the ticket. A visit not done in
      its window is visit.overdue.
    - Survey fatigue: a household gets at most survey/max_contacts visits
      in 30 days; a repeat case merges into a visit still pending.
    - The quarterly evaluation samples survey/sample_percent of the occupied
      households (known from billing's unit.registered), those not drawn in
      the last four quarters first, reproducibly from a recorded seed; it
      is handed out on the 15th of the quarter's last month and collected
      for survey/collection_days.
    - Reports: satisfaction by estate, department or technician; visit
      timeliness; the Pareto of problem categories; the daily statistics of
      the day before, made at survey/daily_report_at and kept.
*/
#ifndef SURVEY_H_INCLUDED
#define SURVEY_H_INCLUDED

#include "kf_codec.h"
#include "kf_config.h"
#include "kf_outbox.h"
#include "commands.pb-c.h"
#include "envelope.pb-c.h"

#define SURVEY_OWN_TABLES "visits", "visit_timers", "pending", "by_estate", "by_unit", "households", \
    "evaluations", "answers", "outcomes", "problems", "days", "tickets", "counters", "tallies"
#define SURVEY_TABLES KF_BUS_TABLES, SURVEY_OWN_TABLES

#define SURVEY_PAGE_DEFAULT 50
#define SURVEY_PAGE_MAX     500
#define SURVEY_TEXT_MAX     500    //  characters of a comment

typedef struct _survey_t survey_t;

survey_t *survey_new (kf_config_t *config, kf_err_t *err);
void survey_destroy (survey_t **self_p);
void survey_set_outbox (survey_t *self, kf_outbox_t *outbox);

int survey_handle_request (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                           Kf__Reply *reply, kf_arena_t *arena);

//  order.completed, ticket.*, sla.breached, unit.registered.
int survey_apply_event (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event);

//  The periodic work at now_ms: overdue visits, the day's turn and its
//  report, evaluations to hand out and to close. Returns how many things
//  it did, or -1.
int survey_tick (survey_t *self, kf_txn_t *txn, int64_t now_ms);

//  The evaluation draw, for the tests: from `count` households (sorted,
//  with the quarter each was last drawn in, yyyy * 10 + q, 0 never), draw
//  `percent` % (rounded up) for quarter `quarter` (yyyy * 10 + q): first
//  those not drawn in the last four quarters, in an order shuffled by
//  `seed`, then the least recently drawn. Writes the indexes drawn, in
//  household order, into `drawn`; returns how many.
size_t survey_draw (const uint32_t *last_sampled, size_t count, uint32_t quarter, unsigned percent, uint64_t seed,
                    size_t *drawn);

//  At the start, in a write transaction: a store from before the
//  satisfaction report's day tallies gets them, its answers and visits
//  counted once; `built` says how many (0: nothing to do).
int survey_tally_build (survey_t *self, kf_txn_t *txn, uint64_t *built);

#endif
