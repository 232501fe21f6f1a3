/*  kf_sla — the arithmetic of SLA targets (DESIGN.md §4, §5).

    A target's limit is written in the configuration as
        none          no such target
        same_day      by the close of the working day it starts on; a case
                      that starts after the cutoff (e.g. 16:00 local) is due
                      at the close of the next day with open hours
        3wd           by the close of the 3rd working day (工作日: weekdays
                      and make-up days, not holidays) after the day it starts
        72h, 30m, 2d  a duration, counted on the target's clock
    A clock counts either all time (24x7) or the estate calendar's open
    hours only (working); pauses stop it. So that a pause works the same for
    every kind of limit, a target becomes a length on its clock when it
    starts: the time from its start to its deadline, on that clock.
*/
#ifndef KF_SLA_H_INCLUDED
#define KF_SLA_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kf_calendar.h"
#include "kf_log.h"

#define KF_SLA_WORKING_DAYS_MAX 30

typedef enum {
    KF_SLA_NONE = 0,
    KF_SLA_DURATION,
    KF_SLA_SAME_DAY,
    KF_SLA_WORKING_DAYS
} kf_sla_kind_t;

typedef struct {
    kf_sla_kind_t kind;
    int64_t ms;      //  KF_SLA_DURATION: 1 minute .. 365 days
    int days;        //  KF_SLA_WORKING_DAYS: 1 .. KF_SLA_WORKING_DAYS_MAX
} kf_sla_limit_t;

int kf_sla_limit_parse (const char *text, kf_sla_limit_t *limit, kf_err_t *err);
//  The text it was parsed from, canonically ("same_day", "3wd", "72h").
const char *kf_sla_limit_format (const kf_sla_limit_t *limit, char *buf, size_t size);

//  Time on a clock: `working` is the calendar whose open hours count, or
//  NULL for 24x7. INT64_MAX when the calendar has no open time ahead.
int64_t kf_sla_add (const kf_calendar_t *working, int64_t t, int64_t ms);
int64_t kf_sla_between (const kf_calendar_t *working, int64_t a, int64_t b);

//  When a target of this limit that starts at `start` falls due. Days are
//  the calendar's (which also gives the local time of the cutoff, in
//  minutes after local midnight); durations count on `working` as above.
int64_t kf_sla_deadline (const kf_sla_limit_t *limit, const kf_calendar_t *calendar, const kf_calendar_t *working,
                         int cutoff_minute, int64_t start);

#endif
