/*  Unit tests: kf_rate, rates rounded half up from integers.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kf_rate.h"

static void
test_muldiv_round (void **state)
{
    (void) state;
    assert_int_equal (kf_muldiv_round (5, 1, 2), 3);     //  2.5 rounds up
    assert_int_equal (kf_muldiv_round (49, 1, 100), 0);  //  0.49 down
    assert_int_equal (kf_muldiv_round (1, 1, 2), 1);     //  0.5 up
    assert_int_equal (kf_muldiv_round (0, 7, 3), 0);
    //  The product does not overflow: 10^17 × 10^4 / 10^4.
    assert_int_equal (kf_muldiv_round (INT64_C (100000000000000000), 10000, 10000), INT64_C (100000000000000000));
}

static void
test_permille (void **state)
{
    (void) state;
    char text [16];
    //  Issue 15: 2 of 3 is 66.7 %, not the truncated 66.6 %.
    assert_int_equal (kf_permille (2, 3), 667);
    assert_string_equal (kf_permille_format (kf_permille (2, 3), text, sizeof text), "66.7 %");
    assert_int_equal (kf_permille (1, 3), 333);
    assert_int_equal (kf_permille (5, 6), 833);
    assert_int_equal (kf_permille (1, 2000), 1);         //  0.05 % rounds up to 0.1 %
    assert_int_equal (kf_permille (1, 2001), 0);
    assert_int_equal (kf_permille (1999, 2000), 1000);   //  99.95 % shows as 100.0 %
    assert_int_equal (kf_permille (3, 3), 1000);
    assert_int_equal (kf_permille (0, 0), 0);
    assert_string_equal (kf_permille_format (1000, text, sizeof text), "100.0 %");
    assert_string_equal (kf_permille_format (5, text, sizeof text), "0.5 %");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_muldiv_round),
        cmocka_unit_test (test_permille),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
