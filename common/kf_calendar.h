/*  kf_calendar — an estate's working calendar.

    Reception hours per weekday (up to KF_CALENDAR_MAX_SPANS spans a day, so
    a lunch break can be closed), public holidays (closed unless given hours),
    and make-up working days (调休) that fall on weekends and keep workday
    hours. The estate's UTC offset is fixed: China keeps no daylight saving.

    Defaults are the service standard's: Mon–Fri 08:30–18:00, Sat–Sun
    09:00–17:00, holidays closed, make-up days 08:30–18:00.

    "Working time" below means time within the open spans.
*/
#ifndef KF_CALENDAR_H_INCLUDED
#define KF_CALENDAR_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "kf_log.h"

#define KF_CALENDAR_MAX_SPANS 4
//  How far the calendar looks for open time before it gives up.
#define KF_CALENDAR_HORIZON_DAYS 3660

typedef struct _kf_calendar_t kf_calendar_t;

typedef enum {
    KF_DAY_WORKDAY = 1,   //  Monday to Friday, not a holiday
    KF_DAY_WEEKEND = 2,   //  Saturday or Sunday, not a make-up day
    KF_DAY_HOLIDAY = 3,   //  a public holiday
    KF_DAY_MAKEUP = 4     //  a weekend day worked in exchange for a holiday
} kf_day_kind_t;

kf_calendar_t *kf_calendar_new (int utc_offset_min);
void kf_calendar_destroy (kf_calendar_t **self_p);
kf_calendar_t *kf_calendar_dup (const kf_calendar_t *self);

int kf_calendar_offset (const kf_calendar_t *self);

//  Hours as text: "08:30-18:00", "08:30-12:00,13:30-18:00", "00:00-24:00"
//  or "closed". Spans are in order, do not overlap and stay within the day.
//  weekday is 1 = Monday .. 7 = Sunday.
int kf_calendar_set_hours (kf_calendar_t *self, int weekday, const char *spec, kf_err_t *err);
int kf_calendar_set_holiday_hours (kf_calendar_t *self, const char *spec, kf_err_t *err);
int kf_calendar_set_makeup_hours (kf_calendar_t *self, const char *spec, kf_err_t *err);

//  Days are local day numbers (kf_time). A day is either a holiday or a
//  make-up day, never both; adding the same day twice is harmless.
int kf_calendar_add_holiday (kf_calendar_t *self, int64_t day, kf_err_t *err);
int kf_calendar_add_makeup_day (kf_calendar_t *self, int64_t day, kf_err_t *err);

kf_day_kind_t kf_calendar_day_kind (const kf_calendar_t *self, int64_t day);
//  A workday or a make-up day.
bool kf_calendar_is_working_day (const kf_calendar_t *self, int64_t day);
//  Within an open span.
bool kf_calendar_is_open (const kf_calendar_t *self, int64_t utc_ms);

//  The instant at which `working_ms` of working time have passed after t.
//  Counting starts at t if open, else at the next opening. Returns t when
//  working_ms <= 0, INT64_MAX when there is no open time within the horizon.
int64_t kf_calendar_add_working (const kf_calendar_t *self, int64_t t, int64_t working_ms);

//  Working time in [a, b), in ms; 0 when b <= a.
int64_t kf_calendar_working_between (const kf_calendar_t *self, int64_t a, int64_t b);

//  The closing time of the working day that t falls in, or, when t is after
//  that day's last span (or on a closed day), of the next day with open
//  time: "resolved the same working day". INT64_MAX when none.
int64_t kf_calendar_close_of_day (const kf_calendar_t *self, int64_t t);

#endif
