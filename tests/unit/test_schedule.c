/*  Unit tests: kf_schedule, when recurring work falls on an estate's
    calendar — daily and working days across a holiday week and its make-up
    days, weekly and monthly dates (month ends, leap years), every N days
    from a date, a fixed offset all year round (no daylight saving), the
    first occurrence at or after a time, and texts that are refused.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kf_schedule.h"
#include "kf_time.h"

static kf_calendar_t *s_calendar;

//  China's 2026 National Day week: 10-01 .. 10-07 off, 09-27 (Sun) and
//  10-10 (Sat) worked.
static int
s_setup (void **state)
{
    (void) state;
    kf_err_t err;
    s_calendar = kf_calendar_new (480);
    int64_t day;
    for (int d = 1; d <= 7; d++) {
        char text [32];
        snprintf (text, sizeof text, "2026-10-%02d", d);
        kf_date_parse (text, &day, &err);
        kf_calendar_add_holiday (s_calendar, day, &err);
    }
    kf_date_parse ("2026-09-27", &day, &err);
    kf_calendar_add_makeup_day (s_calendar, day, &err);
    kf_date_parse ("2026-10-10", &day, &err);
    kf_calendar_add_makeup_day (s_calendar, day, &err);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    kf_calendar_destroy (&s_calendar);
    return 0;
}

static int64_t
s_at (const char *local)
{
    int64_t ms;
    kf_err_t err;
    assert_int_equal (kf_time_parse (local, kf_calendar_offset (s_calendar), &ms, &err), 0);
    return ms;
}

static const char *
s_local (int64_t ms)
{
    static char buf [32];
    return kf_local_format (ms, kf_calendar_offset (s_calendar), buf, sizeof buf);
}

//  The occurrences from `from`, n of them, as local times joined by ' '.
static const char *
s_next_n (const char *text, const char *from, int n)
{
    static char out [1024];
    kf_schedule_t s;
    kf_err_t err;
    if (kf_schedule_parse (text, &s, &err))
        fail_msg ("%s", err.text);
    int64_t t = s_at (from);
    size_t used = 0;
    out [0] = 0;
    for (int i = 0; i < n; i++) {
        int64_t at = kf_schedule_next (&s, s_calendar, t);
        if (!at)
            break;
        used += (size_t) snprintf (out + used, sizeof out - used, "%s%s", i ? " | " : "", s_local (at));
        t = at + 1;
    }
    return out;
}

static void
test_daily_and_working_days_around_a_holiday_week (void **state)
{
    (void) state;
    //  Daily: holidays and make-up days too; the time passed today goes to tomorrow.
    assert_string_equal (s_next_n ("daily 10:00, 15:00", "2026-09-30 12:00", 4),
                         "2026-09-30 15:00 | 2026-10-01 10:00 | 2026-10-01 15:00 | 2026-10-02 10:00");
    //  Working days: Wednesday 09-30, then the week off, then Thursday 10-08,
    //  Friday, and the make-up Saturday 10-10; Sunday 10-11 is a weekend.
    assert_string_equal (s_next_n ("workdays 09:00", "2026-09-30 08:00", 5),
                         "2026-09-30 09:00 | 2026-10-08 09:00 | 2026-10-09 09:00 | 2026-10-10 09:00 | "
                         "2026-10-12 09:00");
    //  The make-up Sunday before it counts as well.
    assert_string_equal (s_next_n ("workdays 09:00", "2026-09-26 10:00", 2), "2026-09-27 09:00 | 2026-09-28 09:00");
    //  An occurrence at t itself is the next.
    assert_string_equal (s_next_n ("daily 09:00", "2026-09-30 09:00", 1), "2026-09-30 09:00");
}

static void
test_weekly_with_and_without_holidays (void **state)
{
    (void) state;
    assert_string_equal (s_next_n ("weekly mon, thu 09:30", "2026-09-28 10:00", 3),
                         "2026-10-01 09:30 | 2026-10-05 09:30 | 2026-10-08 09:30");
    //  "working": the Thursday and the Monday of the holiday week are skipped.
    assert_string_equal (s_next_n ("weekly mon,thu 09:30 working", "2026-09-28 10:00", 2),
                         "2026-10-08 09:30 | 2026-10-12 09:30");
}

static void
test_monthly_dates_at_month_ends (void **state)
{
    (void) state;
    //  The 31st falls on a short month's last day; 30 and 31 together fall once there.
    assert_string_equal (s_next_n ("monthly 31 08:00", "2027-01-15 00:00", 4),
                         "2027-01-31 08:00 | 2027-02-28 08:00 | 2027-03-31 08:00 | 2027-04-30 08:00");
    assert_string_equal (s_next_n ("monthly 30,31 08:00", "2028-02-01 00:00", 3),
                         "2028-02-29 08:00 | 2028-03-30 08:00 | 2028-03-31 08:00");
    assert_string_equal (s_next_n ("monthly 1, 15 07:00", "2026-12-20 00:00", 2), "2027-01-01 07:00 | 2027-01-15 07:00");
}

static void
test_every_n_days_from_a_date (void **state)
{
    (void) state;
    assert_string_equal (s_next_n ("every 3d 14:00 from 2026-12-01", "2026-12-02 00:00", 3),
                         "2026-12-04 14:00 | 2026-12-07 14:00 | 2026-12-10 14:00");
    //  Before its start date too: the count runs both ways.
    assert_string_equal (s_next_n ("every 3d 14:00 from 2026-12-01", "2026-11-27 00:00", 1), "2026-11-28 14:00");
}

//  A fixed offset: 09:00 local is the same UTC instant in January and in
//  July (no daylight saving, whatever the offset).
static void
test_a_fixed_offset_all_year (void **state)
{
    (void) state;
    kf_calendar_t *west = kf_calendar_new (-300);
    kf_schedule_t s;
    kf_err_t err;
    assert_int_equal (kf_schedule_parse ("daily 09:00", &s, &err), 0);
    int64_t day;
    kf_date_parse ("2027-01-15", &day, &err);
    int64_t january = kf_schedule_next (&s, west, kf_local_day_start (day, -300));
    kf_date_parse ("2027-07-15", &day, &err);
    int64_t july = kf_schedule_next (&s, west, kf_local_day_start (day, -300));
    assert_int_equal (kf_floor_mod (january, KF_MS_PER_DAY), 14 * KF_MS_PER_HOUR);
    assert_int_equal (kf_floor_mod (july, KF_MS_PER_DAY), 14 * KF_MS_PER_HOUR);
    kf_calendar_destroy (&west);
}

static void
test_texts_refused (void **state)
{
    (void) state;
    const char *bad [] = {
        "", "hourly 09:00", "daily", "daily 25:00", "daily 15:00, 10:00", "weekly 09:00", "weekly funday 09:00",
        "monthly 09:00", "monthly 32 09:00", "every 0d 09:00", "every 400d 09:00", "every 3 09:00",
        "daily 09:00 sometimes", "every 3d 09:00 from tomorrow",
        "daily 01:00, 02:00, 03:00, 04:00, 05:00, 06:00, 07:00, 08:00, 09:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        kf_schedule_t s;
        kf_err_t err = { "" };
        if (kf_schedule_parse (bad [i], &s, &err) == 0)
            fail_msg ("'%s' was taken", bad [i]);
        assert_true (strlen (err.text) > 0);
    }
    //  A schedule that never fires on a calendar: working days only, on a calendar of none.
    kf_calendar_t *closed = kf_calendar_new (480);
    kf_schedule_t s;
    kf_err_t err;
    assert_int_equal (kf_schedule_parse ("weekly sat 09:00 working", &s, &err), 0);
    assert_int_equal (kf_schedule_next (&s, closed, s_at ("2026-12-01 00:00")), 0);
    kf_calendar_destroy (&closed);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_daily_and_working_days_around_a_holiday_week),
        cmocka_unit_test (test_weekly_with_and_without_holidays),
        cmocka_unit_test (test_monthly_dates_at_month_ends),
        cmocka_unit_test (test_every_n_days_from_a_date),
        cmocka_unit_test (test_a_fixed_offset_all_year),
        cmocka_unit_test (test_texts_refused),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
