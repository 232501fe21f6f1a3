/*  Unit tests: kf_timers — timers in a real store table by deadline: the
    earliest is next; firing takes what is due in order, counts what did
    something, fires at once what a timer arms in the past, and stops at
    `max`; a disarmed timer never fires; a key that does not parse is
    dropped.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kf_timers.h"
#include "kf_test.h"

static kf_store_t *s_store;
static kf_table_t s_table;

typedef struct {
    int64_t now_ms;
    size_t max;
    int fired;
    char log [512];           //  "at:id ..." of what fired
} s_run_t;

static int
s_fn (kf_txn_t *txn, int64_t at_ms, const char *id, void *arg)
{
    s_run_t *r = arg;
    snprintf (r->log + strlen (r->log), sizeof r->log - strlen (r->log), "%s%lld:%s", *r->log ? " " : "",
              (long long) at_ms, id);
    if (strcmp (id, "stale") == 0)
        return 0;
    if (strcmp (id, "again") == 0)   //  arms another in the past: due at once
        kf_timers_arm (txn, s_table, 1, "late");
    return 1;
}

static int
s_fire_txn (kf_txn_t *txn, void *arg)
{
    s_run_t *r = arg;
    r->fired = kf_timers_fire (txn, s_table, r->now_ms, r->max, s_fn, r);
    return r->fired < 0 ? -1 : 0;
}

static int
s_arm_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    kf_timers_arm (txn, s_table, 300, "c");
    kf_timers_arm (txn, s_table, 100, "a");
    kf_timers_arm (txn, s_table, 200, "stale");
    kf_timers_arm (txn, s_table, 250, "again");
    kf_timers_arm (txn, s_table, 150, "gone");
    kf_timers_disarm (txn, s_table, 150, "gone");
    kf_timers_disarm (txn, s_table, 999, "never-armed");
    kf_key_t bad;
    kf_key_make (&bad, "s", "x");        //  not deadline|id: dropped
    return kf_txn_put (txn, s_table, &bad, "", 0);
}

static int
s_next_txn (kf_txn_t *txn, void *arg)
{
    *(int64_t *) arg = kf_timers_next (txn, s_table);
    return 0;
}

static int64_t
s_next (void)
{
    int64_t next = 0;
    assert_int_equal (kf_store_read (s_store, s_next_txn, &next, NULL), 0);
    return next;
}

static void
test_timers_by_deadline (void **state)
{
    (void) state;
    char path [256];
    snprintf (path, sizeof path, "%s/store", kf_test_dir);
    const char *tables [] = { "timers", NULL };
    s_store = kf_store_new (path, tables, NULL, NULL);
    assert_non_null (s_store);
    s_table = kf_store_table (s_store, "timers");
    assert_int_equal (s_next (), INT64_MAX);
    assert_int_equal (kf_store_write (s_store, s_arm_txn, NULL, NULL), 0);
    assert_int_equal (s_next (), 100);
    //  At 220: a and stale are due (stale does nothing and counts not).
    s_run_t r = { .now_ms = 220, .max = 10 };
    assert_int_equal (kf_store_write (s_store, s_fire_txn, &r, NULL), 0);
    assert_int_equal (r.fired, 1);
    assert_string_equal (r.log, "100:a 200:stale");
    assert_int_equal (s_next (), 250);
    //  At 400, one at most: "again" fires and arms "late" in the past.
    r = (s_run_t) { .now_ms = 400, .max = 1 };
    assert_int_equal (kf_store_write (s_store, s_fire_txn, &r, NULL), 0);
    assert_string_equal (r.log, "250:again");
    assert_int_equal (s_next (), 1);
    //  The rest: late at once, then c; the bad key went with a warning.
    r = (s_run_t) { .now_ms = 400, .max = 10 };
    assert_int_equal (kf_store_write (s_store, s_fire_txn, &r, NULL), 0);
    assert_string_equal (r.log, "1:late 300:c");
    assert_int_equal (r.fired, 2);
    assert_int_equal (s_next (), INT64_MAX);
    kf_store_destroy (&s_store);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_timers_by_deadline, kf_test_dir_setup, kf_test_dir_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
