/*  Unit tests: the on-time report from its day tallies (issue 25.3).

    Over two weeks of cases (met on time, breached, a later outcome
    replacing an earlier one, a reopening's second round, complaints
    handled, open and withdrawn), the report over periods with whole UTC
    days (read from the tallies) equals the sum of the same report over
    half-day pieces (each read from the records alone: half a day holds
    no whole day), grouped by estate, category and department. A store
    from before the tallies gets them counted once at the start.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kf_test_escalation.h"

#define S_HALF_DAY_MS (12 * 3600000LL)
#define S_ROWS 40

//  A report's counts, by its rows' keys.
typedef struct {
    char key [S_ROWS][48];
    uint64_t total [S_ROWS], on_time [S_ROWS];
    int rows;
    uint64_t complaints, handled;
} s_counts_t;

static void
s_add_report (s_counts_t *counts, const char *estate, const char *group_by, int64_t from, int64_t to)
{
    Kf__TimeRange period = KF__TIME_RANGE__INIT;
    KF_SET (&period, from_ms, from);
    KF_SET (&period, to_ms, to);
    Kf__ReportSla report = KF__REPORT_SLA__INIT;
    report.period = &period;
    report.estate = (char *) estate;
    report.group_by = (char *) group_by;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_REPORT_SLA;
    request.report_sla = &report;
    assert_int_equal (s_do (&request, NULL), KF__REPLY_STATUS__REPLY_STATUS_OK);
    const Kf__SlaReport *r = w.reply.sla_report;
    for (size_t i = 0; i < r->n_rows; i++) {
        int at = 0;
        while (at < counts->rows && strcmp (counts->key [at], r->rows [i]->key))
            at++;
        assert_true (at < S_ROWS);
        if (at == counts->rows)
            snprintf (counts->key [counts->rows++], sizeof counts->key [0], "%s", r->rows [i]->key);
        counts->total [at] += r->rows [i]->total;
        counts->on_time [at] += r->rows [i]->on_time;
    }
    counts->complaints += r->valid_complaints;
    counts->handled += r->valid_complaints_handled;
}

//  The report over [from, to) in one go, and as the sum of its half-days.
static void
s_agrees (const char *group_by, int64_t from, int64_t to, uint64_t *outcomes)
{
    s_counts_t whole = { .rows = 0 }, pieces = { .rows = 0 };
    s_add_report (&whole, "E001", group_by, from, to);
    for (int64_t at = from; at < to; at += S_HALF_DAY_MS)
        s_add_report (&pieces, "E001", group_by, at, at + S_HALF_DAY_MS < to ? at + S_HALF_DAY_MS : to);
    assert_int_equal (whole.rows, pieces.rows);
    *outcomes = 0;
    for (int i = 0; i < whole.rows; i++) {
        int at = 0;
        while (at < pieces.rows && strcmp (pieces.key [at], whole.key [i]))
            at++;
        assert_true (at < pieces.rows);
        assert_int_equal (whole.total [i], pieces.total [at]);
        assert_int_equal (whole.on_time [i], pieces.on_time [at]);
        *outcomes += whole.total [i];
    }
    assert_int_equal (whole.complaints, pieces.complaints);
    assert_int_equal (whole.handled, pieces.handled);
}

//  Two weeks of E001's cases, filed at awkward hours.
static void
s_fortnight (void)
{
    char t [8][64];
    s_at ("2026-10-05 09:00");
    s_repair (t [0]);                                   //  met at once
    s_order_created (t [0], KF__DEPARTMENT__DEPARTMENT_ENGINEERING);
    s_order (KF__ENVELOPE__BODY_ORDER_ACCEPTED, t [0], 1);
    s_order (KF__ENVELOPE__BODY_ORDER_STARTED, t [0], 1);
    s_at ("2026-10-05 23:30");
    s_complaint (t [1]);                                //  handled the next day
    s_repair (t [2]);                                   //  left to breach
    s_order_created (t [2], KF__DEPARTMENT__DEPARTMENT_ENGINEERING);
    s_at ("2026-10-06 15:00");
    s_ticket (KF__ENVELOPE__BODY_TICKET_CLOSED, t [1], NULL, 0);
    s_complaint (t [3]);                                //  withdrawn: not a valid complaint
    s_ticket (KF__ENVELOPE__BODY_TICKET_CANCELLED, t [3], NULL, 0);
    s_at ("2026-10-08 07:45");
    s_complaint (t [4]);                                //  still open
    s_order (KF__ENVELOPE__BODY_ORDER_ACCEPTED, t [2], 1);   //  late
    s_ticket (KF__ENVELOPE__BODY_TICKET_CLOSED, t [0], NULL, 0);
    s_at ("2026-10-10 12:00");
    s_reopened (t [0], "F01", KF__REOPEN_CAUSE__REOPEN_CAUSE_STAFF, 1);   //  a second round
    s_at ("2026-10-13 18:00");
    s_ticket (KF__ENVELOPE__BODY_TICKET_CLOSED, t [0], NULL, 1);
    s_ticket (KF__ENVELOPE__BODY_TICKET_CLOSED, t [2], NULL, 0);
    s_at ("2026-10-19 09:00");
}

static void
test_whole_days_agree_with_the_records (void **state)
{
    (void) state;
    s_fortnight ();
    const char *groups [] = { "estate", "category", "department" };
    uint64_t outcomes = 0;
    for (int g = 0; g < 3; g++) {
        //  Whole days and part-days at both ends; exactly whole UTC days;
        //  within one day; from before anything.
        s_agrees (groups [g], kf_test_at ("2026-10-05 03:17"), kf_test_at ("2026-10-19 08:00"), &outcomes);
        assert_true (outcomes >= 6);   //  something to agree on
        s_agrees (groups [g], kf_test_at ("2026-10-05 08:00"), kf_test_at ("2026-10-12 08:00"), &outcomes);
        s_agrees (groups [g], kf_test_at ("2026-10-08 09:00"), kf_test_at ("2026-10-08 18:00"), &outcomes);
        s_agrees (groups [g], kf_test_at ("2026-09-01 00:00"), kf_test_at ("2026-10-19 09:00"), &outcomes);
    }
    s_counts_t counts = { .rows = 0 };
    s_add_report (&counts, "E001", "estate", kf_test_at ("2026-10-01 00:00"), kf_test_at ("2026-10-19 09:00"));
    assert_int_equal (counts.complaints, 2);   //  t1 and t4; t3 was withdrawn
    assert_int_equal (counts.handled, 1);
    //  Periods at the ends of time count what is in them (nothing here),
    //  with no day arithmetic overflowing on the way (UBSan would stop).
    const int64_t ends [][2] = { { INT64_MIN, INT64_MIN + 1000 }, { INT64_MIN + 5, -INT64_C (9223372036854775000) },
                                 { INT64_MAX - 1000, INT64_MAX }, { INT64_MIN / 2 - 5, 0 } };
    for (size_t i = 0; i < sizeof ends / sizeof ends [0]; i++) {
        s_counts_t none = { .rows = 0 };
        s_add_report (&none, "E001", "estate", ends [i][0], ends [i][1]);
        assert_int_equal (none.rows, 0);
        assert_int_equal (none.complaints, 0);
    }
    s_counts_t all = { .rows = 0 };
    s_add_report (&all, "E001", "estate", INT64_MIN, kf_test_at ("2026-10-19 09:00"));
    assert_int_equal (all.total [0], counts.total [0]);
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
    return escalation_tally_build (w.escalation, txn, arg);
}

static void
test_an_older_store_is_counted_once (void **state)
{
    (void) state;
    s_fortnight ();
    int64_t from = kf_test_at ("2026-10-05 08:00"), to = kf_test_at ("2026-10-19 08:00");
    s_counts_t before = { .rows = 0 }, none = { .rows = 0 }, after = { .rows = 0 }, again = { .rows = 0 };
    s_add_report (&before, "E001", "category", from, to);
    //  A store from before the tallies: the whole days count nothing.
    assert_int_equal (kf_store_write (w.base.store, s_forget_tallies, NULL, NULL), 0);
    s_add_report (&none, "E001", "category", from, to);
    assert_int_equal (none.rows, 0);
    uint64_t built = 0;
    assert_int_equal (kf_store_write (w.base.store, s_build_txn, &built, NULL), 0);
    assert_true (built > 0);
    s_add_report (&after, "E001", "category", from, to);
    assert_memory_equal (&before, &after, sizeof before);
    assert_int_equal (kf_store_write (w.base.store, s_build_txn, &built, NULL), 0);
    assert_int_equal (built, 0);
    s_add_report (&again, "E001", "category", from, to);
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
