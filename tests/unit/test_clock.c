/*  Unit tests: kf_clock.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "kf_clock.h"
#include "kf_time.h"
#include "kf_test.h"

static char s_path [128];

static int
s_setup (void **state)
{
    if (kf_test_dir_setup (state))
        return -1;
    snprintf (s_path, sizeof s_path, "%s/clock", kf_test_dir);
    return 0;
}

static void
test_real_clock (void **state)
{
    (void) state;
    kf_clock_t *clock = kf_clock_new (NULL, NULL);
    assert_non_null (clock);
    assert_false (kf_clock_is_file (clock));
    assert_null (kf_clock_path (clock));
    int64_t now = kf_clock_now (clock);
    int64_t wall = (int64_t) time (NULL) * 1000;
    assert_true (now > wall - 5000 && now < wall + 5000);
    kf_clock_destroy (&clock);
    assert_null (clock);
    kf_clock_destroy (&clock);   //  safe twice
}

static void
test_file_clock_follows_the_file (void **state)
{
    (void) state;
    kf_err_t err;
    //  A clock on a missing file is an error, not the epoch.
    assert_null (kf_clock_new (s_path, &err));
    assert_non_null (strstr (err.text, "does not exist"));

    int64_t friday;
    assert_int_equal (kf_time_parse ("2026-09-25T17:50:00+08:00", 0, &friday, NULL), 0);
    assert_int_equal (kf_clock_file_write (s_path, friday, &err), 0);
    kf_clock_t *clock = kf_clock_new (s_path, &err);
    assert_non_null (clock);
    assert_true (kf_clock_is_file (clock));
    assert_int_equal (kf_clock_now (clock), friday);
    assert_int_equal (kf_clock_now (clock), friday);   //  stands still

    //  Three days in a moment.
    int64_t now;
    assert_int_equal (kf_clock_file_advance (s_path, 3 * KF_MS_PER_DAY, &now, &err), 0);
    assert_int_equal (now, friday + 3 * KF_MS_PER_DAY);
    assert_int_equal (kf_clock_now (clock), friday + 3 * KF_MS_PER_DAY);

    //  Backwards works too: timers fire whichever way the clock moved.
    assert_int_equal (kf_clock_file_advance (s_path, -KF_MS_PER_DAY, NULL, &err), 0);
    assert_int_equal (kf_clock_now (clock), friday + 2 * KF_MS_PER_DAY);

    //  People may write an ISO time into the file by hand.
    FILE *file = fopen (s_path, "w");
    fputs ("2026-10-08T08:30:00+08:00\n", file);
    fclose (file);
    int64_t expected;
    kf_time_parse ("2026-10-08T08:30:00+08:00", 0, &expected, NULL);
    assert_int_equal (kf_clock_now (clock), expected);

    //  Garbage keeps the last good time.
    file = fopen (s_path, "w");
    fputs ("next tuesday", file);
    fclose (file);
    assert_int_equal (kf_clock_now (clock), expected);
    assert_int_equal (kf_clock_file_read (s_path, &now, &err), -1);
    assert_non_null (strstr (err.text, "is not a time"));
    //  The text of a clock file is a time as people give one.
    assert_int_equal (kf_clock_time_parse ("1772413200000", &now, &err), 0);
    assert_int_equal (now, INT64_C (1772413200000));
    assert_int_equal (kf_clock_time_parse ("2026-03-02T01:00:00Z \n", &now, &err), 0);
    assert_int_equal (now, INT64_C (1772413200000));
    assert_int_equal (kf_clock_time_parse ("99999999999999999999", &now, &err), -1);
    assert_string_equal (err.text, "time '99999999999999999999' is out of range");
    //  And so does a file that went away.
    unlink (s_path);
    assert_int_equal (kf_clock_now (clock), expected);
    kf_clock_destroy (&clock);
}

static void
test_concurrent_advances_add_up (void **state)
{
    (void) state;
    assert_int_equal (kf_clock_file_write (s_path, 0, NULL), 0);
    enum { CHILDREN = 4, STEPS = 50 };
    for (int c = 0; c < CHILDREN; c++) {
        pid_t pid = fork ();
        assert_true (pid >= 0);
        if (pid == 0) {
            for (int i = 0; i < STEPS; i++)
                if (kf_clock_file_advance (s_path, 1000, NULL, NULL))
                    _exit (1);
            _exit (0);
        }
    }
    for (int c = 0; c < CHILDREN; c++) {
        int status;
        wait (&status);
        assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    }
    int64_t now;
    assert_int_equal (kf_clock_file_read (s_path, &now, NULL), 0);
    assert_int_equal (now, CHILDREN * STEPS * 1000);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_real_clock),
        cmocka_unit_test_setup_teardown (test_file_clock_follows_the_file, s_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_concurrent_advances_add_up, s_setup, kf_test_dir_teardown),
    };
    return cmocka_run_group_tests_name ("kf_clock", tests, NULL, NULL);
}
