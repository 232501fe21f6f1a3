/*  sse_window: the gateway's recent events, for a live stream's resume.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../../services/gateway/sse_window.h"

static void
s_add (sse_window_t *w, int n, size_t size)
{
    char id [16], data [64] = { 0 };
    snprintf (id, sizeof id, "ev-%d", n);
    assert_int_equal (sse_window_add (w, id, "E001", "ticket.filed", (const uint8_t *) data, size), 0);
}

static void
test_the_window_keeps_the_newest (void **state)
{
    (void) state;
    sse_window_t *w = sse_window_new (3, 1000);
    assert_non_null (w);
    assert_int_equal (sse_window_find (w, "ev-1", NULL), -1);
    for (int n = 1; n <= 5; n++)
        s_add (w, n, 10);
    assert_int_equal (sse_window_size (w), 3);
    assert_int_equal (sse_window_find (w, "ev-2", NULL), -1);      //  gone: too old
    sse_event_t e;
    int64_t at = sse_window_find (w, "ev-3", &e);
    assert_true (at >= 0);
    assert_string_equal (e.event_id, "ev-3");
    assert_true (sse_window_next (w, &at, &e));
    assert_string_equal (e.event_id, "ev-4");
    assert_string_equal (e.estate, "E001");
    assert_int_equal (e.size, 10);
    assert_true (sse_window_next (w, &at, &e));
    assert_string_equal (e.event_id, "ev-5");
    assert_false (sse_window_next (w, &at, &e));               //  the newest: nothing after
    assert_int_equal (sse_window_find (w, NULL, NULL), -1);
    sse_window_destroy (&w);
    sse_window_destroy (&w);
}

static void
test_the_window_is_bounded_in_bytes (void **state)
{
    (void) state;
    sse_window_t *w = sse_window_new (100, 50);
    for (int n = 1; n <= 10; n++)
        s_add (w, n, 20);
    assert_int_equal (sse_window_size (w), 2);                 //  40 of 50 bytes
    assert_true (sse_window_find (w, "ev-9", NULL) >= 0);
    assert_int_equal (sse_window_find (w, "ev-8", NULL), -1);
    char big [64] = { 0 };
    assert_int_equal (sse_window_add (w, "huge", "E001", "x", (const uint8_t *) big, 51), -1);
    assert_int_equal (sse_window_size (w), 2);                 //  a refused one drops nothing
    sse_window_destroy (&w);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_the_window_keeps_the_newest),
        cmocka_unit_test (test_the_window_is_bounded_in_bytes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
