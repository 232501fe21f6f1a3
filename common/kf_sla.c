/*  kf_sla — the arithmetic of SLA targets. See kf_sla.h.  */
#include "kf_sla.h"
#include "kf_time.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DURATION_MAX (365LL * 24 * 3600000)

int
kf_sla_limit_parse (const char *text, kf_sla_limit_t *limit, kf_err_t *err)
{
    assert (text && limit);
    *limit = (kf_sla_limit_t) { KF_SLA_NONE, 0, 0 };
    if (strcmp (text, "none") == 0)
        return 0;
    if (strcmp (text, "same_day") == 0) {
        limit->kind = KF_SLA_SAME_DAY;
        return 0;
    }
    size_t n = strlen (text);
    if (n > 2 && n < 5 && strcmp (text + n - 2, "wd") == 0 && text [0] >= '1' && text [0] <= '9') {
        char *end;
        long days = strtol (text, &end, 10);
        if (end == text + n - 2 && days >= 1 && days <= KF_SLA_WORKING_DAYS_MAX) {
            limit->kind = KF_SLA_WORKING_DAYS;
            limit->days = (int) days;
            return 0;
        }
    }
    int64_t ms;
    kf_err_t ignored;
    if (kf_duration_parse (text, &ms, &ignored) == 0 && ms >= KF_MS_PER_MINUTE && ms <= S_DURATION_MAX) {
        limit->kind = KF_SLA_DURATION;
        limit->ms = ms;
        return 0;
    }
    return kf_err_set (err, "'%s' is not an SLA limit (none, same_day, 1wd..%dwd, or a duration from 1m to 365d)",
                       text, KF_SLA_WORKING_DAYS_MAX);
}

const char *
kf_sla_limit_format (const kf_sla_limit_t *limit, char *buf, size_t size)
{
    assert (limit && buf && size);
    switch (limit->kind) {
        case KF_SLA_SAME_DAY: snprintf (buf, size, "same_day"); break;
        case KF_SLA_WORKING_DAYS: snprintf (buf, size, "%dwd", limit->days); break;
        case KF_SLA_DURATION: kf_duration_format (limit->ms, buf, size); break;
        default: snprintf (buf, size, "none"); break;
    }
    return buf;
}

int64_t
kf_sla_add (const kf_calendar_t *working, int64_t t, int64_t ms)
{
    if (working)
        return kf_calendar_add_working (working, t, ms);
    return ms > 0 && t > INT64_MAX - ms ? INT64_MAX : t + (ms > 0 ? ms : 0);
}

int64_t
kf_sla_between (const kf_calendar_t *working, int64_t a, int64_t b)
{
    if (working)
        return kf_calendar_working_between (working, a, b);
    return b > a ? b - a : 0;
}

int64_t
kf_sla_deadline (const kf_sla_limit_t *limit, const kf_calendar_t *calendar, const kf_calendar_t *working,
                 int cutoff_minute, int64_t start)
{
    assert (limit && calendar);
    int offset = kf_calendar_offset (calendar);
    int64_t day = kf_local_day (start, offset);
    switch (limit->kind) {
        case KF_SLA_DURATION:
            return kf_sla_add (working, start, limit->ms);
        case KF_SLA_SAME_DAY: {
            int64_t close = kf_calendar_close_of_day (calendar, start);
            int64_t cutoff = kf_local_day_start (day, offset) + (int64_t) cutoff_minute * KF_MS_PER_MINUTE;
            //  Filed after the cutoff of a day still open: the next day's close.
            if (close != INT64_MAX && start >= cutoff && kf_local_day (close, offset) == day)
                close = kf_calendar_close_of_day (calendar, close);
            return close;
        }
        case KF_SLA_WORKING_DAYS: {
            int left = limit->days;
            for (int n = 0; n < KF_CALENDAR_HORIZON_DAYS; n++) {
                day++;
                if (kf_calendar_is_working_day (calendar, day) && --left == 0)
                    return kf_calendar_close_of_day (calendar, kf_local_day_start (day, offset));
            }
            return INT64_MAX;
        }
        default:
            return INT64_MAX;
    }
}
