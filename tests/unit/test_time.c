/*  Unit tests: kf_time.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kf_time.h"
#include "kf_tally.h"
#include "kf_money.h"

static void
test_civil_round_trip (void **state)
{
    (void) state;
    assert_int_equal (kf_days_from_civil (1970, 1, 1), 0);
    assert_int_equal (kf_days_from_civil (2000, 3, 1), 11017);
    assert_int_equal (kf_days_from_civil (1969, 12, 31), -1);
    //  Every day of four centuries maps back to itself and steps by one.
    int64_t previous = kf_days_from_civil (1899, 12, 31);
    for (int64_t day = previous + 1; day < previous + 146097 + 1; day++) {
        int y, m, d;
        kf_civil_from_days (day, &y, &m, &d);
        assert_int_equal (kf_days_from_civil (y, m, d), day);
    }
}

static void
test_weekday (void **state)
{
    (void) state;
    assert_int_equal (kf_weekday (0), 4);                                  //  1970-01-01, Thursday
    assert_int_equal (kf_weekday (kf_days_from_civil (2026, 11, 23)), 1);  //  Monday
    assert_int_equal (kf_weekday (kf_days_from_civil (2026, 10, 10)), 6);  //  Saturday
    assert_int_equal (kf_weekday (-1), 3);
}

static void
test_local_day (void **state)
{
    (void) state;
    int64_t t;
    //  23:30 UTC on the 22nd is 07:30 on the 23rd in Beijing.
    assert_int_equal (kf_time_parse ("2026-11-22T23:30:00Z", 0, &t, NULL), 0);
    assert_int_equal (kf_local_day (t, 480), kf_days_from_civil (2026, 11, 23));
    assert_int_equal (kf_local_day (t, 0), kf_days_from_civil (2026, 11, 22));
    assert_int_equal (kf_local_day_start (kf_days_from_civil (2026, 11, 23), 480),
                      t - 7 * KF_MS_PER_HOUR - 30 * KF_MS_PER_MINUTE);
    assert_int_equal (kf_day_to_yyyymmdd (kf_days_from_civil (2026, 2, 9)), 20260209);
    int64_t day;
    assert_int_equal (kf_yyyymmdd_to_day (20260229, &day), -1);
    assert_int_equal (kf_yyyymmdd_to_day (20240229, &day), 0);
    assert_int_equal (day, kf_days_from_civil (2024, 2, 29));
}

static void
test_time_parse_and_format (void **state)
{
    (void) state;
    int64_t t;
    kf_err_t err;
    assert_int_equal (kf_time_parse ("1970-01-01T00:00:00Z", 0, &t, &err), 0);
    assert_int_equal (t, 0);
    assert_int_equal (kf_time_parse ("2026-11-23T16:21:03.25+08:00", 0, &t, &err), 0);
    char buf [64];
    kf_time_format (t, 480, buf, sizeof buf);
    assert_string_equal (buf, "2026-11-23T16:21:03.250+08:00");
    kf_time_format (t, 0, buf, sizeof buf);
    assert_string_equal (buf, "2026-11-23T08:21:03.250Z");
    //  Without an offset, the default one applies; a bare date is local midnight.
    int64_t local;
    assert_int_equal (kf_time_parse ("2026-11-23 16:21:03.25", 480, &local, &err), 0);
    assert_int_equal (local, t);
    assert_int_equal (kf_time_parse ("2026-11-23", 480, &local, &err), 0);
    kf_time_format (local, 480, buf, sizeof buf);
    assert_string_equal (buf, "2026-11-23T00:00:00.000+08:00");
    //  Negative times format too.
    kf_time_format (-1, 0, buf, sizeof buf);
    assert_string_equal (buf, "1969-12-31T23:59:59.999Z");

    const char *bad [] = { "", "2026-13-01", "2026-02-30", "2026-11-23T25:00", "2026-11-23T10:00+15:00",
                           "2026-11-23T10", "2026-11-23X", "26-11-23", "2026-11-23T10:00:00.", NULL };
    for (int i = 0; bad [i]; i++) {
        assert_int_equal (kf_time_parse (bad [i], 0, &t, &err), -1);
        assert_non_null (strstr (err.text, "is not a time"));
    }
}

static void
test_durations (void **state)
{
    (void) state;
    int64_t ms;
    kf_err_t err;
    struct { const char *text; int64_t ms; } good [] = {
        { "500ms", 500 }, { "90s", 90000 }, { "15m", 900000 }, { "26h", 26 * KF_MS_PER_HOUR },
        { "3d", 3 * KF_MS_PER_DAY }, { "2w", 14 * KF_MS_PER_DAY }, { "1h30m", 90 * KF_MS_PER_MINUTE },
        { "-5m", -5 * KF_MS_PER_MINUTE }, { "0s", 0 },
    };
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++) {
        assert_int_equal (kf_duration_parse (good [i].text, &ms, &err), 0);
        assert_int_equal (ms, good [i].ms);
        //  Formatting and parsing again gives the same duration.
        char buf [64];
        kf_duration_format (ms, buf, sizeof buf);
        int64_t again;
        assert_int_equal (kf_duration_parse (buf, &again, &err), 0);
        assert_int_equal (again, ms);
    }
    char buf [64];
    kf_duration_format (26 * KF_MS_PER_HOUR + 1500, buf, sizeof buf);
    assert_string_equal (buf, "1d2h1s500ms");
    const char *bad [] = { "", "5", "h", "5x", "1.5h", "-", "99999999999999999999d", "5h ", NULL };
    for (int i = 0; bad [i]; i++)
        assert_int_equal (kf_duration_parse (bad [i], &ms, &err), -1);
}

static void
test_offsets (void **state)
{
    (void) state;
    int offset;
    kf_err_t err;
    assert_int_equal (kf_utc_offset_parse ("+08:00", &offset, &err), 0);
    assert_int_equal (offset, 480);
    assert_int_equal (kf_utc_offset_parse ("-0530", &offset, &err), 0);
    assert_int_equal (offset, -330);
    assert_int_equal (kf_utc_offset_parse ("Z", &offset, &err), 0);
    assert_int_equal (offset, 0);
    assert_int_equal (kf_utc_offset_parse ("+8", &offset, &err), -1);
    assert_int_equal (kf_utc_offset_parse ("+15:00", &offset, &err), -1);
    assert_int_equal (kf_utc_offset_parse ("08:00", &offset, &err), -1);
    assert_non_null (strstr (err.text, "UTC offset"));
}

static void
test_dates (void **state)
{
    (void) state;
    int64_t day;
    kf_err_t err;
    assert_int_equal (kf_date_parse ("2026-10-01", &day, &err), 0);
    assert_int_equal (day, kf_days_from_civil (2026, 10, 1));
    assert_int_equal (kf_date_parse ("2026-10-01 ", &day, &err), -1);
    assert_int_equal (kf_date_parse ("2026-1-01", &day, &err), -1);
    assert_int_equal (kf_date_parse ("2025-02-29", &day, &err), -1);
    assert_string_equal (err.text, "'2025-02-29' is not a date (expected YYYY-MM-DD)");
}

static void
test_floor (void **state)
{
    (void) state;
    assert_int_equal (kf_floor_div (-1, 86400000), -1);
    assert_int_equal (kf_floor_div (86399999, 86400000), 0);
    assert_int_equal (kf_floor_mod (-1, 7), 6);
    assert_int_equal (kf_floor_mod (14, 7), 0);
}

//  Money rides along here: it is text <-> integers like the rest.
static void
test_money (void **state)
{
    (void) state;
    static const struct { const char *text; int64_t fen; } good [] = {
        { "35", 3500 }, { "35.5", 3550 }, { "35.50", 3550 }, { "0.01", 1 }, { "-12.05", -1205 }, { "0", 0 },
        { "1000000000000", 100000000000000 },
    };
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++) {
        int64_t fen = -1;
        assert_int_equal (kf_fen_parse (good [i].text, &fen, NULL), 0);
        assert_int_equal (fen, good [i].fen);
    }
    static const char *bad [] = { "", "-", ".5", "35.", "35.505", "3,500", "35 ", "1e3", "¥35", "--1",
                                  "1000000000000.01", "99999999999999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        int64_t fen = 7;
        kf_err_t err = { "" };
        if (kf_fen_parse (bad [i], &fen, &err) != -1)
            fail_msg ("'%s' parsed", bad [i]);
        assert_int_equal (fen, 7);
        assert_true (err.text [0] != 0);
    }
    char buf [32];
    assert_string_equal (kf_fen_format (3550, buf, sizeof buf), "35.50");
    assert_string_equal (kf_fen_format (-1205, buf, sizeof buf), "-12.05");
    assert_string_equal (kf_fen_format (7, buf, sizeof buf), "0.07");
    assert_string_equal (kf_fen_format (INT64_MIN, buf, sizeof buf), "-92233720368547758.08");
}

//  The whole UTC days of a period (day tallies): before 1970 too.
static void
test_utc_midnights (void **state)
{
    (void) state;
    const int64_t day = 86400000;
    assert_int_equal (kf_utc_midnight_before (0), 0);
    assert_int_equal (kf_utc_midnight_after (0), 0);
    assert_int_equal (kf_utc_midnight_before (1), 0);
    assert_int_equal (kf_utc_midnight_after (1), day);
    assert_int_equal (kf_utc_midnight_before (-1), -day);
    assert_int_equal (kf_utc_midnight_after (-1), 0);
    assert_int_equal (kf_utc_midnight_before (3 * day - 1), 2 * day);
    assert_int_equal (kf_utc_midnight_after (-day), -day);
}

//  A report's whole days and part-days (kf_tally_days).
static void
test_tally_days (void **state)
{
    (void) state;
    const int64_t day = 86400000;
    int64_t first, last;
    kf_tally_days (day / 2, 5 * day + 7, &first, &last);   //  part, three whole days, part
    assert_int_equal (first, day);
    assert_int_equal (last, 5 * day);
    kf_tally_days (day, 3 * day, &first, &last);           //  whole days only
    assert_int_equal (first, day);
    assert_int_equal (last, 3 * day);
    kf_tally_days (day + 5, 2 * day + 4, &first, &last);   //  no whole day: all records
    assert_int_equal (first, 2 * day + 4);
    assert_int_equal (last, 2 * day + 4);
    kf_tally_days (INT64_MIN / 2, 2 * day + 4, &first, &last);   //  no start
    assert_int_equal (first, INT64_MIN);
    assert_int_equal (last, 2 * day);
    kf_tally_days (INT64_MAX - 1000, INT64_MAX, &first, &last);  //  hostile: records only
    assert_int_equal (first, INT64_MAX);
    kf_tally_days (INT64_MIN, INT64_MIN + 1, &first, &last);
    assert_int_equal (first, INT64_MIN + 1);
    assert_int_equal (last, INT64_MIN + 1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_civil_round_trip),
        cmocka_unit_test (test_weekday),
        cmocka_unit_test (test_local_day),
        cmocka_unit_test (test_utc_midnights),
        cmocka_unit_test (test_tally_days),
        cmocka_unit_test (test_time_parse_and_format),
        cmocka_unit_test (test_durations),
        cmocka_unit_test (test_offsets),
        cmocka_unit_test (test_dates),
        cmocka_unit_test (test_floor),
        cmocka_unit_test (test_money),
    };
    return cmocka_run_group_tests_name ("kf_time", tests, NULL, NULL);
}
