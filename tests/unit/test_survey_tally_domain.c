/*  Unit tests: the satisfaction report from its day tallies (issue 25.3).

    Over two weeks of return visits (answered satisfied and not, in their
    window and late, never answered, by two technicians of two
    departments), the report over periods with whole UTC days (read from
    the tallies) equals the sum of the same report over half-day pieces
    (each read from the records alone), grouped by estate, department and
    technician, visits due and on time included. A store from before the
    tallies gets them counted once at the start.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kf_test_survey.h"

#define S_HALF_DAY_MS (12 * 3600000LL)
#define S_ROWS 16

typedef struct {
    char key [S_ROWS][48];
    uint64_t answered [S_ROWS], satisfied [S_ROWS];
    int rows;
    uint64_t due, on_time;
} s_counts_t;

static void
s_add_report (s_counts_t *counts, const char *group_by, int64_t from, int64_t to)
{
    Kf__TimeRange period = KF__TIME_RANGE__INIT;
    KF_SET (&period, from_ms, from);
    KF_SET (&period, to_ms, to);
    Kf__ReportSatisfaction report = KF__REPORT_SATISFACTION__INIT;
    report.period = &period;
    report.estate = "E001";
    report.group_by = (char *) group_by;
    Kf__Request request = KF__REQUEST__INIT;
    KF_SET (&request, role, KF__ROLE__ROLE_MANAGER);
    request.command_case = KF__REQUEST__COMMAND_REPORT_SATISFACTION;
    request.report_satisfaction = &report;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    const Kf__SatisfactionReport *r = w.reply.satisfaction;
    for (size_t i = 0; i < r->n_rows; i++) {
        int at = 0;
        while (at < counts->rows && strcmp (counts->key [at], r->rows [i]->key))
            at++;
        assert_true (at < S_ROWS);
        if (at == counts->rows)
            snprintf (counts->key [counts->rows++], sizeof counts->key [0], "%s", r->rows [i]->key);
        counts->answered [at] += r->rows [i]->answered;
        counts->satisfied [at] += r->rows [i]->satisfied;
    }
    counts->due += r->visits_due;
    counts->on_time += r->visits_on_time;
}

//  The report over [from, to) in one go, and as the sum of its half-days.
static uint64_t
s_agrees (const char *group_by, int64_t from, int64_t to)
{
    s_counts_t whole = { .rows = 0 }, pieces = { .rows = 0 };
    s_add_report (&whole, group_by, from, to);
    for (int64_t at = from; at < to; at += S_HALF_DAY_MS)
        s_add_report (&pieces, group_by, at, at + S_HALF_DAY_MS < to ? at + S_HALF_DAY_MS : to);
    assert_int_equal (whole.rows, pieces.rows);
    uint64_t answered = 0;
    for (int i = 0; i < whole.rows; i++) {
        int at = 0;
        while (at < pieces.rows && strcmp (pieces.key [at], whole.key [i]))
            at++;
        assert_true (at < pieces.rows);
        assert_int_equal (whole.answered [i], pieces.answered [at]);
        assert_int_equal (whole.satisfied [i], pieces.satisfied [at]);
        answered += whole.answered [i];
    }
    assert_int_equal (whole.due, pieces.due);
    assert_int_equal (whole.on_time, pieces.on_time);
    return answered;
}

static void
s_answer_at (const char *local, const char *ticket_no, Kf__Satisfaction satisfaction, uint32_t score)
{
    w.now = kf_test_at (local);
    const Kf__Visit *v = s_visit_of (ticket_no);
    assert_non_null (v);
    char visit_id [128];
    snprintf (visit_id, sizeof visit_id, "%s", v->scheduled->visit_id);
    assert_int_equal (s_answer (visit_id, true, satisfaction, score), KF__REPLY_STATUS__REPLY_STATUS_OK);
}

static void
s_fortnight (void)
{
    char t [6][64];
    const Kf__TicketType repair = KF__TICKET_TYPE__TICKET_TYPE_REPAIR;
    w.now = kf_test_at ("2026-11-02 10:00");
    s_completed_by ("1-1-101", repair, KF__CATEGORY__CATEGORY_PLUMBING, NULL, "W01",
                    KF__DEPARTMENT__DEPARTMENT_ENGINEERING, t [0]);
    s_completed_by ("1-1-102", repair, KF__CATEGORY__CATEGORY_LIFT, NULL, "W02",
                    KF__DEPARTMENT__DEPARTMENT_ENGINEERING, t [1]);
    w.now = kf_test_at ("2026-11-03 23:40");
    s_completed_by ("1-1-103", repair, KF__CATEGORY__CATEGORY_GREENING, NULL, "G01",
                    KF__DEPARTMENT__DEPARTMENT_GREENING, t [2]);
    s_completed_by ("1-1-104", repair, KF__CATEGORY__CATEGORY_OTHER, NULL, "G01",
                    KF__DEPARTMENT__DEPARTMENT_GREENING, t [3]);   //  never answered
    s_answer_at ("2026-11-03 23:50", t [0], KF__SATISFACTION__SATISFACTION_SATISFIED, 5);
    s_answer_at ("2026-11-06 08:05", t [2], KF__SATISFACTION__SATISFACTION_UNSATISFIED, 2);
    w.now = kf_test_at ("2026-11-07 15:00");
    s_completed_by ("1-1-105", repair, KF__CATEGORY__CATEGORY_PLUMBING, NULL, "W01",
                    KF__DEPARTMENT__DEPARTMENT_ENGINEERING, t [4]);
    s_answer_at ("2026-11-08 09:00", t [4], KF__SATISFACTION__SATISFACTION_SATISFIED, 5);
    s_answer_at ("2026-11-12 20:00", t [1], KF__SATISFACTION__SATISFACTION_SATISFIED, 4);   //  late
    w.now = kf_test_at ("2026-11-16 09:00");
}

static void
test_whole_days_agree_with_the_records (void **state)
{
    (void) state;
    s_fortnight ();
    const char *groups [] = { "estate", "department", "technician" };
    for (int g = 0; g < 3; g++) {
        assert_int_equal (s_agrees (groups [g], kf_test_at ("2026-11-01 03:17"), kf_test_at ("2026-11-16 08:00")), 4);
        s_agrees (groups [g], kf_test_at ("2026-11-02 08:00"), kf_test_at ("2026-11-09 08:00"));
        s_agrees (groups [g], kf_test_at ("2026-11-03 20:00"), kf_test_at ("2026-11-04 06:00"));
        s_agrees (groups [g], kf_test_at ("2026-09-01 00:00"), kf_test_at ("2026-11-16 09:00"));
    }
    s_counts_t all = { .rows = 0 };
    s_add_report (&all, "technician", kf_test_at ("2026-11-01 00:00"), kf_test_at ("2026-11-30 00:00"));
    assert_int_equal (all.rows, 3);     //  W01, W02, G01
    assert_true (all.due >= 5);
    assert_true (all.on_time >= 2 && all.on_time < all.due);
    //  Periods at the ends of time: nothing in them, nothing overflowing.
    s_counts_t none = { .rows = 0 };
    s_add_report (&none, "estate", INT64_MAX - 1000, INT64_MAX);
    s_add_report (&none, "estate", INT64_MIN + 5, -INT64_C (9223372036854775000));
    s_add_report (&none, "estate", INT64_MIN, INT64_MIN + 1);
    assert_int_equal (none.rows, 0);
    assert_int_equal (none.due, 0);
}

static int
s_forget_tallies (kf_txn_t *txn, void *arg)
{
    (void) arg;
    return kf_txn_clear (txn, kf_store_table (w.base.store, "tallies"));
}

static int
s_build_txn (kf_txn_t *txn, void *arg)
{
    return survey_tally_build (w.survey, txn, arg);
}

static void
test_an_older_store_is_counted_once (void **state)
{
    (void) state;
    s_fortnight ();
    int64_t from = kf_test_at ("2026-11-01 08:00"), to = kf_test_at ("2026-11-15 08:00");
    s_counts_t before = { .rows = 0 }, none = { .rows = 0 }, after = { .rows = 0 }, again = { .rows = 0 };
    s_add_report (&before, "technician", from, to);
    assert_int_equal (kf_store_write (w.base.store, s_forget_tallies, NULL, NULL), 0);
    s_add_report (&none, "technician", from, to);
    assert_int_equal (none.rows, 0);
    uint64_t built = 0;
    assert_int_equal (kf_store_write (w.base.store, s_build_txn, &built, NULL), 0);
    assert_true (built > 0);
    s_add_report (&after, "technician", from, to);
    assert_memory_equal (&before, &after, sizeof before);
    assert_int_equal (kf_store_write (w.base.store, s_build_txn, &built, NULL), 0);
    assert_int_equal (built, 0);
    s_add_report (&again, "technician", from, to);
    assert_memory_equal (&before, &again, sizeof before);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_whole_days_agree_with_the_records, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_an_older_store_is_counted_once, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
