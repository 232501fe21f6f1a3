/*  Unit tests: kf_period — periodic work by the periods ended, on a real
    store: each period once, in order, across jumps either way and across
    a reopened store; a job begins where it was first looked at.

    The job here is "period p falls due at p seconds".
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kf_period.h"
#include "kf_test.h"

static kf_store_t *s_store;
static kf_table_t s_table;

static int64_t
s_due (int64_t period, const void *arg)
{
    (void) arg;
    return period * 1000;
}

typedef struct {
    int64_t now_ms, first;
    char done [256];          //  the periods done by one call, "5 6 7"
} s_run_t;

//  A tick: every period due by now, each recorded done.
static int
s_tick_txn (kf_txn_t *txn, void *arg)
{
    s_run_t *r = arg;
    kf_period_t job = { s_table, "daily/E001", s_due, NULL };
    int64_t period;
    size_t used = 0;
    r->done [0] = 0;
    while (kf_period_next (txn, &job, r->first, r->now_ms, &period) == KF_FOUND) {
        used += (size_t) snprintf (r->done + used, sizeof r->done - used, "%s%lld", used ? " " : "",
                                   (long long) period);
        kf_period_done (txn, &job, period);
    }
    return kf_txn_ok (txn) ? 0 : -1;
}

static const char *
s_tick (int64_t now_ms, int64_t first)
{
    static s_run_t r;
    r.now_ms = now_ms;
    r.first = first;
    assert_int_equal (kf_store_write (s_store, s_tick_txn, &r, NULL), 0);
    return r.done;
}

static void
s_open (void)
{
    char path [128];
    snprintf (path, sizeof path, "%s/store", kf_test_dir);
    const char *tables [] = { "counters", NULL };
    s_store = kf_store_new (path, tables, NULL, NULL);
    assert_non_null (s_store);
    s_table = kf_store_table (s_store, "counters");
}

static void
test_each_period_once_in_order (void **state)
{
    (void) state;
    s_open ();
    //  First look at 4.5 s: the job begins with period 4 (due at 4 s).
    assert_string_equal (s_tick (4500, 4), "4");
    assert_string_equal (s_tick (4900, 4), "");
    //  A jump: every period due since, in order.
    assert_string_equal (s_tick (8000, 99), "5 6 7 8");
    //  Back in time: nothing again; forward: only what is new.
    assert_string_equal (s_tick (1000, 0), "");
    assert_string_equal (s_tick (8999, 0), "");
    kf_store_destroy (&s_store);
    //  A reopened store remembers where the job stands.
    s_open ();
    assert_string_equal (s_tick (10000, 0), "9 10");
    kf_store_destroy (&s_store);
}

//  A job first seen before its first period is due still does that one
//  when it comes, however late the next look is.
static void
test_a_job_begins_where_first_seen (void **state)
{
    (void) state;
    s_open ();
    assert_string_equal (s_tick (2500, 3), "");
    assert_string_equal (s_tick (5000, 5), "3 4 5");   //  not from 5: it began at 3
    kf_store_destroy (&s_store);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_each_period_once_in_order, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_a_job_begins_where_first_seen, kf_test_dir_setup, kf_test_dir_teardown),
    };
    return cmocka_run_group_tests_name ("kf_period", tests, NULL, NULL);
}
