/*  kf_schedule — when recurring work falls, on an estate's calendar: the
    patrols, safety checks and planned maintenance of a plan (issue 23), a
    renovation's site patrols.

    One line of text:
      daily AT                      every day, holidays and make-up days too
      workdays AT                   the calendar's working days (weekdays
                                    and make-up days, never holidays)
      weekly DAYS AT                mon,thu (mon .. sun)
      monthly DATES AT              1,15,31: a date past a month's end falls
                                    on its last day (once, however many do)
      every Nd AT [from DATE]       every N days counted from DATE
                                    (default 1970-01-01)
    AT is one or more local times, "10:00, 15:00", in order. Any of them
    may end with "working": occurrences on a day that is not a working day
    are skipped (a weekly check that does not fall on a holiday).

    The estate's offset is fixed (China keeps no daylight saving), so a
    local 09:00 is the same UTC instant of the day all year round.
*/
#ifndef KF_SCHEDULE_H_INCLUDED
#define KF_SCHEDULE_H_INCLUDED

#include "kf_calendar.h"
#include <stdbool.h>
#include <stdint.h>

#define KF_SCHEDULE_TIMES_MAX 8
#define KF_SCHEDULE_TEXT_MAX  200

typedef enum {
    KF_SCHEDULE_DAILY = 1,
    KF_SCHEDULE_WORKDAYS,
    KF_SCHEDULE_WEEKLY,
    KF_SCHEDULE_MONTHLY,
    KF_SCHEDULE_EVERY
} kf_schedule_kind_t;

typedef struct {
    kf_schedule_kind_t kind;
    uint8_t weekdays;             //  WEEKLY: bit 1 Monday .. bit 7 Sunday
    uint32_t dates;               //  MONTHLY: bit 1 .. bit 31
    int every_days;               //  EVERY: 1 .. 366
    int64_t from_day;             //  EVERY: the local day counting starts
    int minutes [KF_SCHEDULE_TIMES_MAX];   //  local minutes after midnight, ascending
    int times;
    bool working_only;            //  skip the days that are not working days
} kf_schedule_t;

//  The schedule a text says. 0, or -1 with the reason.
int kf_schedule_parse (const char *text, kf_schedule_t *schedule, kf_err_t *err);

//  Whether the schedule falls on a local day of the calendar.
bool kf_schedule_on_day (const kf_schedule_t *schedule, const kf_calendar_t *calendar, int64_t day);

//  The first occurrence at or after `t` (UTC ms), in the calendar's offset;
//  0 when there is none within KF_CALENDAR_HORIZON_DAYS (a schedule that
//  never fires on this calendar).
int64_t kf_schedule_next (const kf_schedule_t *schedule, const kf_calendar_t *calendar, int64_t t);

#endif
