/*  Unit tests: kf_rota — rota text, and who is on shift when.

    The calendar is the one of test_calendar.c: National Day week
    2026-10-01 (Thursday) to 2026-10-07 is a public holiday, and Saturday
    2026-10-10 a make-up working day (调休). Beijing time (+08:00).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kf_rota.h"
#include "kf_time.h"
#include "kf_test.h"

static kf_calendar_t *s_calendar;

#define at kf_test_at

static int
setup (void **state)
{
    (void) state;
    s_calendar = kf_calendar_new (480);
    int64_t day;
    assert_int_equal (kf_date_parse ("2026-10-01", &day, NULL), 0);
    for (int i = 0; i < 7; i++)
        assert_int_equal (kf_calendar_add_holiday (s_calendar, day + i, NULL), 0);
    assert_int_equal (kf_date_parse ("2026-10-10", &day, NULL), 0);
    assert_int_equal (kf_calendar_add_makeup_day (s_calendar, day, NULL), 0);
    return 0;
}

static int
teardown (void **state)
{
    (void) state;
    kf_calendar_destroy (&s_calendar);
    return 0;
}

//  A rota from text, as pointers the way protobuf-c holds repeated fields.
typedef struct {
    Kf__Shift shifts [KF_ROTA_SHIFTS_MAX];
    Kf__Shift *ptrs [KF_ROTA_SHIFTS_MAX];
    int count;
} rota_t;

static void
rota (rota_t *r, const char *text)
{
    kf_err_t err;
    r->count = kf_rota_parse (text, r->shifts, KF_ROTA_SHIFTS_MAX, &err);
    if (r->count < 0)
        fail_msg ("%s: %s", text, err.text);
    for (int i = 0; i < r->count; i++)
        r->ptrs [i] = &r->shifts [i];
}

static bool
on_duty (const char *text, const char *local)
{
    rota_t r;
    rota (&r, text);
    return kf_rota_on_duty (r.ptrs, (size_t) r.count, s_calendar, at (local));
}

static void
test_text_round_trip (void **state)
{
    (void) state;
    static const struct { const char *in, *out; int count; } cases [] = {
        { "mon-fri 08:30-17:30, sat 09:00-12:00 13:00-17:00, hol 09:00-17:00",
          "mon-fri 08:30-17:30, sat 09:00-12:00 13:00-17:00, hol 09:00-17:00", 8 },
        { "daily 20:00-08:00", "daily 20:00-08:00", 7 },
        { "sat-mon 00:00-24:00", "mon 00:00-24:00, sat-sun 00:00-24:00", 3 },
        { "  Mon 08:00-12:00 , tue 08:00-12:00,mkp 09:00-15:00", "mon-tue 08:00-12:00, mkp 09:00-15:00", 3 },
        { "off", "off", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        rota_t r;
        rota (&r, cases [i].in);
        assert_int_equal (r.count, cases [i].count);
        char text [256];
        assert_string_equal (kf_rota_format (r.ptrs, (size_t) r.count, text, sizeof text), cases [i].out);
        assert_int_equal (kf_rota_check (r.ptrs, (size_t) r.count, NULL), 0);
    }
}

static void
test_bad_text (void **state)
{
    (void) state;
    static const char *bad [] = {
        "", "mon", "mon,", "xyz 08:00-09:00", "mon 8:00-9:00", "mon 09:00-09:00", "mon 08:00-17:00;",
        "mon 08:00-25:00", "mon-hol 08:00-17:00", "mon 08:00-12:00 tue 13:00-17:00", "mon 24:00-08:00",
    };
    Kf__Shift shifts [KF_ROTA_SHIFTS_MAX];
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        kf_err_t err = { 0 };
        if (kf_rota_parse (bad [i], shifts, KF_ROTA_SHIFTS_MAX, &err) != -1)
            fail_msg ("'%s' parsed", bad [i]);
        assert_true (err.text [0] != 0);
        assert_null (strchr (err.text, '\n'));
    }
    //  More shifts than room.
    assert_int_equal (kf_rota_parse ("daily 08:00-09:00 10:00-11:00", shifts, 10, NULL), -1);
}

static void
test_check_wire_shifts (void **state)
{
    (void) state;
    Kf__Shift s = KF__SHIFT__INIT;
    Kf__Shift *ptr = &s;
    s.weekday = 10;
    s.start_minute = 60;
    s.end_minute = 120;
    assert_int_equal (kf_rota_check (&ptr, 1, NULL), -1);
    s.weekday = 9;
    assert_int_equal (kf_rota_check (&ptr, 1, NULL), 0);
    s.end_minute = 60;
    assert_int_equal (kf_rota_check (&ptr, 1, NULL), -1);
    s.end_minute = 1441;
    assert_int_equal (kf_rota_check (&ptr, 1, NULL), -1);
}

static void
test_workdays_and_weekends (void **state)
{
    (void) state;
    const char *office = "mon-fri 08:30-17:30";
    assert_true (on_duty (office, "2026-11-23 08:30"));     //  Monday, the first minute
    assert_true (on_duty (office, "2026-11-23 17:29"));
    assert_false (on_duty (office, "2026-11-23 17:30"));   //  the end is not included
    assert_false (on_duty (office, "2026-11-23 08:29"));
    assert_false (on_duty (office, "2026-11-28 10:00"));   //  Saturday
    assert_true (on_duty ("sat-sun 09:00-17:00", "2026-11-28 10:00"));
    assert_false (on_duty ("sat-sun 09:00-17:00", "2026-11-27 10:00"));
    //  Split shifts: the lunch break is off.
    assert_false (on_duty ("sat 09:00-12:00 13:00-17:00", "2026-11-28 12:30"));
    assert_true (on_duty ("sat 09:00-12:00 13:00-17:00", "2026-11-28 13:00"));
}

static void
test_nights (void **state)
{
    (void) state;
    const char *night = "fri 22:00-06:00";
    assert_true (on_duty (night, "2026-11-27 23:00"));     //  Friday night
    assert_true (on_duty (night, "2026-11-28 05:59"));     //  ... into Saturday morning
    assert_false (on_duty (night, "2026-11-28 06:00"));
    assert_false (on_duty (night, "2026-11-27 21:59"));
    assert_false (on_duty (night, "2026-11-29 03:00"));    //  Saturday night is not Friday's
    //  A night that starts on a workday runs on into a holiday morning.
    assert_true (on_duty ("wed 22:00-06:00", "2026-10-01 03:00"));
    //  A holiday night shift runs on into the next (holiday) morning.
    assert_true (on_duty ("hol 22:00-06:00", "2026-10-02 03:00"));
    //  ... and the last holiday's night into the first workday's morning.
    assert_true (on_duty ("hol 22:00-06:00", "2026-10-08 03:00"));
}

static void
test_holidays (void **state)
{
    (void) state;
    //  Thursday 2026-10-01 is National Day: the Thursday shift is off.
    assert_false (on_duty ("mon-fri 08:30-17:30", "2026-10-01 10:00"));
    assert_true (on_duty ("mon-fri 08:30-17:30, hol 09:00-17:00", "2026-10-01 10:00"));
    assert_false (on_duty ("mon-fri 08:30-17:30, hol 09:00-17:00", "2026-10-01 08:45"));
    //  The Saturday of the holiday week is a holiday, not a weekend.
    assert_false (on_duty ("sat 09:00-17:00", "2026-10-03 10:00"));
    //  The day after the week is a plain Thursday again.
    assert_true (on_duty ("mon-fri 08:30-17:30", "2026-10-08 10:00"));
    //  The holiday night shift ends with the holidays: 10-08 starts no night.
    assert_false (on_duty ("hol 22:00-06:00", "2026-10-09 03:00"));
}

//  Issue 15: "daily" is every day. On National Day the 24-hour guard, the
//  night engineer and the daily cleaner are at work; weekday-only staff are
//  not; "hol" adds hours; only "hol off" takes a daily person off.
static void
test_daily_covers_holidays (void **state)
{
    (void) state;
    assert_true (on_duty ("daily 00:00-24:00", "2026-10-01 03:00"));
    assert_true (on_duty ("daily 00:00-24:00", "2026-10-03 23:59"));
    assert_true (on_duty ("daily 07:00-19:00", "2026-10-01 10:00"));
    assert_false (on_duty ("daily 07:00-19:00", "2026-10-01 19:00"));
    //  The night engineer: the holiday's own night, into the next morning.
    assert_true (on_duty ("daily 20:00-08:00", "2026-10-01 22:00"));
    assert_true (on_duty ("daily 20:00-08:00", "2026-10-02 07:59"));
    //  Seven weekdays with the same hours are daily hours.
    assert_true (on_duty ("mon-sun 09:00-17:00", "2026-10-05 10:00"));
    //  Hours of some weekdays only stay off; hol adds to daily.
    assert_false (on_duty ("mon-sat 08:00-17:00", "2026-10-01 10:00"));
    assert_true (on_duty ("daily 08:00-12:00, hol 14:00-18:00", "2026-10-01 10:00"));
    assert_true (on_duty ("daily 08:00-12:00, hol 14:00-18:00", "2026-10-01 15:00"));
    assert_false (on_duty ("daily 08:00-12:00, hol 14:00-18:00", "2026-10-02 13:00"));
    //  hol off: off on holidays, and no night runs on from one.
    assert_false (on_duty ("daily 00:00-24:00, hol off", "2026-10-01 10:00"));
    assert_false (on_duty ("daily 20:00-08:00, hol off", "2026-10-02 03:00"));
    assert_true (on_duty ("daily 20:00-08:00, hol off", "2026-10-01 03:00"));   //  Wednesday's night
    assert_true (on_duty ("daily 00:00-24:00, hol off", "2026-10-08 10:00"));
    //  Make-up days: daily hours, with or without mkp; mkp off takes them off.
    assert_true (on_duty ("daily 07:00-19:00", "2026-10-10 08:00"));
    assert_true (on_duty ("daily 07:00-19:00, mkp 20:00-22:00", "2026-10-10 08:00"));
    assert_true (on_duty ("daily 07:00-19:00, mkp 20:00-22:00", "2026-10-10 21:00"));
    assert_false (on_duty ("daily 07:00-19:00, mkp off", "2026-10-10 08:00"));
    assert_true (on_duty ("daily 07:00-19:00, mkp off", "2026-10-11 08:00"));
}

static void
test_off_text (void **state)
{
    (void) state;
    rota_t r;
    rota (&r, "daily 00:00-24:00, hol off");
    assert_int_equal (r.count, 8);
    char text [256];
    assert_string_equal (kf_rota_format (r.ptrs, (size_t) r.count, text, sizeof text), "daily 00:00-24:00, hol off");
    assert_int_equal (kf_rota_check (r.ptrs, (size_t) r.count, NULL), 0);
    Kf__Shift shifts [KF_ROTA_SHIFTS_MAX];
    kf_err_t err;
    assert_int_equal (kf_rota_parse ("daily 08:00-17:00, sun off", shifts, KF_ROTA_SHIFTS_MAX, &err), -1);
    assert_non_null (strstr (err.text, "only hol and mkp"));
    assert_int_equal (kf_rota_parse ("hol off 09:00-17:00", shifts, KF_ROTA_SHIFTS_MAX, &err), -1);
    assert_non_null (strstr (err.text, "takes no hours"));
    assert_int_equal (kf_rota_parse ("hol off, hol 09:00-17:00", shifts, KF_ROTA_SHIFTS_MAX, &err), -1);
    assert_non_null (strstr (err.text, "hol is off and has hours too"));
    //  Off and hours on the same slot, over the wire.
    rota (&r, "hol 09:00-17:00");
    Kf__Shift off = KF__SHIFT__INIT;
    off.weekday = KF_ROTA_HOLIDAY;
    off.has_off = off.off = 1;
    r.ptrs [r.count] = &off;
    assert_int_equal (kf_rota_check (r.ptrs, (size_t) r.count + 1, NULL), -1);
}

static void
test_makeup_days (void **state)
{
    (void) state;
    //  Saturday 2026-10-10 is worked: Monday's shifts, unless mkp says.
    assert_true (on_duty ("mon-fri 08:30-17:30", "2026-10-10 10:00"));
    assert_false (on_duty ("tue-fri 08:30-17:30", "2026-10-10 10:00"));
    assert_false (on_duty ("mon-fri 08:30-17:30, mkp 13:00-17:00", "2026-10-10 10:00"));
    assert_true (on_duty ("mon-fri 08:30-17:30, mkp 13:00-17:00", "2026-10-10 14:00"));
    //  A weekend-only person does not work the make-up Saturday as a Saturday.
    assert_false (on_duty ("sat-sun 09:00-17:00", "2026-10-10 10:00"));
    assert_true (on_duty ("sat-sun 09:00-17:00", "2026-10-11 10:00"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_text_round_trip),
        cmocka_unit_test (test_bad_text),
        cmocka_unit_test (test_check_wire_shifts),
        cmocka_unit_test (test_workdays_and_weekends),
        cmocka_unit_test (test_nights),
        cmocka_unit_test (test_holidays),
        cmocka_unit_test (test_makeup_days),
        cmocka_unit_test (test_daily_covers_holidays),
        cmocka_unit_test (test_off_text),
    };
    return cmocka_run_group_tests (tests, setup, teardown);
}
