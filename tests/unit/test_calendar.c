/*  Unit tests: kf_calendar.

    The scenario: National Day week 2026-10-01 (Thursday) to 2026-10-07
    (Wednesday) is a public holiday, paid for by two make-up working days on
    weekends, Sunday 2026-09-27 before it and Saturday 2026-10-10 after it.
    Estates are in Beijing time (+08:00). Default hours: Mon–Fri 08:30–18:00,
    Sat–Sun 09:00–17:00; make-up days keep workday hours.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kf_calendar.h"
#include "kf_time.h"
#include "kf_test.h"

#define MIN KF_MS_PER_MINUTE
#define HOUR KF_MS_PER_HOUR

#define at kf_test_at

static int64_t
day_of (const char *date)
{
    int64_t day;
    assert_int_equal (kf_date_parse (date, &day, NULL), 0);
    return day;
}

static kf_calendar_t *
s_national_day (void)
{
    kf_calendar_t *calendar = kf_calendar_new (480);
    assert_non_null (calendar);
    for (int64_t d = day_of ("2026-10-01"); d <= day_of ("2026-10-07"); d++)
        assert_int_equal (kf_calendar_add_holiday (calendar, d, NULL), 0);
    assert_int_equal (kf_calendar_add_makeup_day (calendar, day_of ("2026-09-27"), NULL), 0);
    assert_int_equal (kf_calendar_add_makeup_day (calendar, day_of ("2026-10-10"), NULL), 0);
    return calendar;
}

static void
test_day_kinds (void **state)
{
    (void) state;
    kf_calendar_t *calendar = s_national_day ();
    assert_int_equal (kf_calendar_day_kind (calendar, day_of ("2026-09-25")), KF_DAY_WORKDAY);
    assert_int_equal (kf_calendar_day_kind (calendar, day_of ("2026-09-26")), KF_DAY_WEEKEND);
    assert_int_equal (kf_calendar_day_kind (calendar, day_of ("2026-09-27")), KF_DAY_MAKEUP);
    assert_int_equal (kf_calendar_day_kind (calendar, day_of ("2026-10-01")), KF_DAY_HOLIDAY);
    assert_int_equal (kf_calendar_day_kind (calendar, day_of ("2026-10-05")), KF_DAY_HOLIDAY);  //  a Monday
    assert_int_equal (kf_calendar_day_kind (calendar, day_of ("2026-10-10")), KF_DAY_MAKEUP);
    assert_int_equal (kf_calendar_day_kind (calendar, day_of ("2026-10-11")), KF_DAY_WEEKEND);
    assert_true (kf_calendar_is_working_day (calendar, day_of ("2026-09-27")));
    assert_false (kf_calendar_is_working_day (calendar, day_of ("2026-10-05")));
    assert_false (kf_calendar_is_working_day (calendar, day_of ("2026-09-26")));
    kf_calendar_destroy (&calendar);
}

static void
test_opening_hours (void **state)
{
    (void) state;
    kf_calendar_t *calendar = s_national_day ();
    assert_true (kf_calendar_is_open (calendar, at ("2026-09-25 08:30")));
    assert_false (kf_calendar_is_open (calendar, at ("2026-09-25 08:29")));
    assert_false (kf_calendar_is_open (calendar, at ("2026-09-25 18:00")));
    //  An ordinary Saturday keeps weekend hours ...
    assert_false (kf_calendar_is_open (calendar, at ("2026-09-26 08:45")));
    assert_true (kf_calendar_is_open (calendar, at ("2026-09-26 09:00")));
    //  ... a make-up Sunday keeps workday hours ...
    assert_true (kf_calendar_is_open (calendar, at ("2026-09-27 08:45")));
    assert_true (kf_calendar_is_open (calendar, at ("2026-09-27 17:30")));
    //  ... and a holiday is closed all day.
    assert_false (kf_calendar_is_open (calendar, at ("2026-10-02 10:00")));
    kf_calendar_destroy (&calendar);
}

static void
test_add_working_time (void **state)
{
    (void) state;
    kf_calendar_t *calendar = s_national_day ();
    //  Friday 17:50 + 30 working minutes: 10 on Friday, 20 on Saturday from 09:00.
    assert_int_equal (kf_calendar_add_working (calendar, at ("2026-09-25 17:50"), 30 * MIN),
                      at ("2026-09-26 09:20"));
    //  Before the holiday: Wednesday 17:50 + 30 min skips the whole week off
    //  and the closed Thursday afternoon... to Thursday 2026-10-08 08:50.
    assert_int_equal (kf_calendar_add_working (calendar, at ("2026-09-30 17:50"), 30 * MIN),
                      at ("2026-10-08 08:50"));
    //  Crossing midnight: 23:00 is closed, counting starts at 08:30.
    assert_int_equal (kf_calendar_add_working (calendar, at ("2026-09-22 23:00"), 60 * MIN),
                      at ("2026-09-23 09:30"));
    //  Exactly to closing time stays on that day.
    assert_int_equal (kf_calendar_add_working (calendar, at ("2026-09-25 17:00"), 60 * MIN),
                      at ("2026-09-25 18:00"));
    //  One working day (9.5 h) from Friday 17:00 under the week's hours:
    //  Fri 1h, Sat 8h, make-up Sun 30 min.
    assert_int_equal (kf_calendar_add_working (calendar, at ("2026-09-25 17:00"), 9 * HOUR + 30 * MIN),
                      at ("2026-09-27 09:00"));
    //  Zero adds nothing, even when closed.
    assert_int_equal (kf_calendar_add_working (calendar, at ("2026-10-02 03:00"), 0), at ("2026-10-02 03:00"));
    kf_calendar_destroy (&calendar);
}

static void
test_working_between (void **state)
{
    (void) state;
    kf_calendar_t *calendar = s_national_day ();
    //  Wednesday 17:00 to Thursday-after-the-holiday 09:00: 60 + 30 minutes.
    assert_int_equal (kf_calendar_working_between (calendar, at ("2026-09-30 17:00"), at ("2026-10-08 09:00")),
                      90 * MIN);
    //  A whole week with the make-up Sunday: 5 × 9.5 h + 8 h (Sat) + 9.5 h (make-up Sun).
    assert_int_equal (kf_calendar_working_between (calendar, at ("2026-09-21"), at ("2026-09-28")),
                      5 * (9 * HOUR + 30 * MIN) + 8 * HOUR + 9 * HOUR + 30 * MIN);
    assert_int_equal (kf_calendar_working_between (calendar, at ("2026-10-01"), at ("2026-10-08")), 0);
    assert_int_equal (kf_calendar_working_between (calendar, at ("2026-09-25 12:00"), at ("2026-09-25 11:00")), 0);
    kf_calendar_destroy (&calendar);
}

static void
test_add_and_between_agree (void **state)
{
    (void) state;
    kf_calendar_t *calendar = s_national_day ();
    assert_int_equal (kf_calendar_set_hours (calendar, 3, "08:30-12:00,13:30-18:00", NULL), 0);
    srandom (42);
    int64_t start = at ("2026-09-15");
    for (int i = 0; i < 2000; i++) {
        int64_t t = start + (int64_t) (random () % (40 * 24 * 60)) * MIN + random () % 60000;
        int64_t ms = (int64_t) (random () % (5 * 24 * 60)) * MIN;
        int64_t end = kf_calendar_add_working (calendar, t, ms);
        assert_true (end >= t);
        assert_int_equal (kf_calendar_working_between (calendar, t, end), ms);
        //  The deadline of a positive amount is never in closed time's
        //  middle: it is open just before it.
        if (ms > 0)
            assert_true (kf_calendar_is_open (calendar, end - 1));
    }
    kf_calendar_destroy (&calendar);
}

static void
test_weekend_closed_and_lunch_break (void **state)
{
    (void) state;
    kf_calendar_t *calendar = kf_calendar_new (480);
    for (int wd = 1; wd <= 5; wd++)
        assert_int_equal (kf_calendar_set_hours (calendar, wd, "08:30-12:00,13:30-18:00", NULL), 0);
    assert_int_equal (kf_calendar_set_hours (calendar, 6, "closed", NULL), 0);
    assert_int_equal (kf_calendar_set_hours (calendar, 7, "closed", NULL), 0);
    //  Friday 17:00 + 2 h crosses the weekend: Monday 09:30.
    assert_int_equal (kf_calendar_add_working (calendar, at ("2026-09-25 17:00"), 2 * HOUR),
                      at ("2026-09-28 09:30"));
    //  11:30 + 1 h skips lunch: 14:00.
    assert_int_equal (kf_calendar_add_working (calendar, at ("2026-09-28 11:30"), HOUR), at ("2026-09-28 14:00"));
    assert_false (kf_calendar_is_open (calendar, at ("2026-09-28 12:30")));
    kf_calendar_destroy (&calendar);
}

static void
test_close_of_day (void **state)
{
    (void) state;
    kf_calendar_t *calendar = s_national_day ();
    //  A complaint at Friday 17:50 is due at Friday 18:00 the same day ...
    assert_int_equal (kf_calendar_close_of_day (calendar, at ("2026-09-25 17:50")), at ("2026-09-25 18:00"));
    //  ... one after closing belongs to the next day with hours.
    assert_int_equal (kf_calendar_close_of_day (calendar, at ("2026-09-25 18:30")), at ("2026-09-26 17:00"));
    //  On the eve of the holiday, the next working day is after the week off.
    assert_int_equal (kf_calendar_close_of_day (calendar, at ("2026-09-30 19:00")), at ("2026-10-08 18:00"));
    //  Before opening counts for that day.
    assert_int_equal (kf_calendar_close_of_day (calendar, at ("2026-10-10 06:00")), at ("2026-10-10 18:00"));
    kf_calendar_destroy (&calendar);
}

static void
test_around_the_clock_and_never (void **state)
{
    (void) state;
    kf_calendar_t *calendar = kf_calendar_new (480);
    for (int wd = 1; wd <= 7; wd++)
        assert_int_equal (kf_calendar_set_hours (calendar, wd, "00:00-24:00", NULL), 0);
    assert_int_equal (kf_calendar_set_holiday_hours (calendar, "00:00-24:00", NULL), 0);
    int64_t t = at ("2026-09-30 17:50");
    assert_int_equal (kf_calendar_add_working (calendar, t, 72 * HOUR), t + 72 * HOUR);
    assert_int_equal (kf_calendar_working_between (calendar, t, t + 72 * HOUR), 72 * HOUR);
    //  Nothing open at all: no deadline.
    for (int wd = 1; wd <= 7; wd++)
        kf_calendar_set_hours (calendar, wd, "closed", NULL);
    assert_int_equal (kf_calendar_add_working (calendar, t, MIN), INT64_MAX);
    assert_int_equal (kf_calendar_close_of_day (calendar, t), INT64_MAX);
    kf_calendar_destroy (&calendar);
}

static void
test_offsets_shift_local_hours (void **state)
{
    (void) state;
    //  The same local 08:30 opening in UTC and in Beijing is 8 hours apart.
    kf_calendar_t *utc = kf_calendar_new (0), *beijing = kf_calendar_new (480);
    int64_t monday_utc;
    kf_time_parse ("2026-09-28T00:00:00Z", 0, &monday_utc, NULL);
    int64_t a = kf_calendar_add_working (utc, monday_utc, MIN);
    int64_t b = kf_calendar_add_working (beijing, monday_utc - 8 * HOUR, MIN);
    assert_int_equal (a - b, 8 * HOUR);
    kf_calendar_t *copy = kf_calendar_dup (beijing);
    assert_int_equal (kf_calendar_offset (copy), 480);
    kf_calendar_destroy (&utc);
    kf_calendar_destroy (&beijing);
    kf_calendar_destroy (&copy);
}

static void
test_bad_input (void **state)
{
    (void) state;
    kf_calendar_t *calendar = s_national_day ();
    kf_err_t err;
    const char *bad [] = { "", "8:30-18:00", "08:30-18:00,", "18:00-08:30", "08:30-12:00,11:00-13:00",
                           "08:30-24:30", "08:60-09:00", "09:00-10:00,10:00-11:00,11:00-12:00,12:00-13:00,13:00-14:00",
                           "open", NULL };
    for (int i = 0; bad [i]; i++)
        assert_int_equal (kf_calendar_set_hours (calendar, 1, bad [i], &err), -1);
    //  The hours in force did not change.
    assert_true (kf_calendar_is_open (calendar, at ("2026-09-28 08:30")));
    //  A day cannot be both.
    assert_int_equal (kf_calendar_add_holiday (calendar, day_of ("2026-09-27"), &err), -1);
    assert_string_equal (err.text, "2026-09-27 cannot be both a holiday and a make-up working day");
    assert_int_equal (kf_calendar_add_makeup_day (calendar, day_of ("2026-10-03"), &err), -1);
    //  Adding the same holiday twice is harmless.
    assert_int_equal (kf_calendar_add_holiday (calendar, day_of ("2026-10-03"), &err), 0);
    kf_calendar_destroy (&calendar);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_day_kinds),
        cmocka_unit_test (test_opening_hours),
        cmocka_unit_test (test_add_working_time),
        cmocka_unit_test (test_working_between),
        cmocka_unit_test (test_add_and_between_agree),
        cmocka_unit_test (test_weekend_closed_and_lunch_break),
        cmocka_unit_test (test_close_of_day),
        cmocka_unit_test (test_around_the_clock_and_never),
        cmocka_unit_test (test_offsets_shift_local_hours),
        cmocka_unit_test (test_bad_input),
    };
    return cmocka_run_group_tests_name ("kf_calendar", tests, NULL, NULL);
}
