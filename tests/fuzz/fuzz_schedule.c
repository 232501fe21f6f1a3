/*  libFuzzer target: kf_schedule, the schedule of recurring work (a plan's,
    desk/patrol_schedule), from whoever wrote the configuration or the plan.

    Input: the text. Beyond "no crash, no leak, no UB", it checks the
    parser's promise: a schedule taken has 1 .. KF_SCHEDULE_TIMES_MAX times
    of the day in order, and its next occurrence, when there is one, is at
    or after the time asked, on a day it says it falls on.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kf_schedule.h"
#include "kf_time.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char text [KF_SCHEDULE_TEXT_MAX + 8];
    if (size >= sizeof text)
        return 0;
    memcpy (text, data, size);
    text [size] = 0;
    kf_schedule_t s;
    kf_err_t err;
    if (kf_schedule_parse (text, &s, &err))
        return 0;
    if (s.times < 1 || s.times > KF_SCHEDULE_TIMES_MAX)
        __builtin_trap ();
    for (int i = 1; i < s.times; i++)
        if (s.minutes [i] <= s.minutes [i - 1])
            __builtin_trap ();
    kf_calendar_t *calendar = kf_calendar_new (480);
    if (!calendar)
        return 0;
    int64_t t = INT64_C (1796083200000);   //  2026-12-01 00:00 UTC
    int64_t at = kf_schedule_next (&s, calendar, t);
    if (at && (at < t || !kf_schedule_on_day (&s, calendar, kf_local_day (at, 480))))
        __builtin_trap ();
    kf_calendar_destroy (&calendar);
    return 0;
}
