/*  kf_rota — duty rotas: when a person is on shift, following the estate's
    calendar (DESIGN.md §4, issue 5).

    A rota is a list of kf.Shift: a day slot and a span of local minutes.
    Slots 1..7 are Monday..Sunday; KF_ROTA_HOLIDAY holds the shifts worked on
    public holidays and KF_ROTA_MAKEUP those on make-up working days (调休).
    Which slot a local day uses comes from the estate's calendar:

        public holiday      the holiday shifts and the daily ones
        make-up day         the make-up shifts and the daily ones, or
                            Monday's when there are none (a make-up day is
                            worked as a normal workday)
        any other day       that weekday's shifts

    "daily" means every day: a span worked on all seven weekdays is worked
    on holidays and make-up days too (the 24-hour guard, the night
    engineer, the daily cleaner). Shifts of some weekdays only (mon-fri)
    are not worked on a holiday; "hol ..." adds hours on holidays, and only
    "hol off" (or "mkp off") takes someone off on such days altogether.

    A shift whose end is before its start runs past midnight; the part after
    midnight belongs to the day it started on (a Friday night shift still
    runs on Saturday morning, whatever Saturday is).

    As text, for the configuration and kefuctl:

        mon-fri 08:30-17:30, sat 09:00-12:00 13:00-17:00, hol 09:00-17:00
        daily 20:00-08:00
        daily 00:00-24:00, hol off
        off

    Days are mon tue wed thu fri sat sun, ranges of them (mon-fri, fri-mon),
    daily, hol and mkp; each is followed by one or more HH:MM-HH:MM spans,
    or, for hol and mkp, by "off".
*/
#ifndef KF_ROTA_H_INCLUDED
#define KF_ROTA_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kf_calendar.h"
#include "kf_log.h"
#include "order.pb-c.h"

#define KF_ROTA_HOLIDAY    8
#define KF_ROTA_MAKEUP     9
#define KF_ROTA_SHIFTS_MAX 64

//  Parse rota text into shifts [0..max) (each initialised here). Returns
//  how many, or -1 with the reason.
int kf_rota_parse (const char *text, Kf__Shift *shifts, size_t max, kf_err_t *err);

//  Shifts as they came over the wire (SetRota): slots, minutes and count in
//  range, no span of zero length. 0, or -1 with the reason.
int kf_rota_check (Kf__Shift *const *shifts, size_t count, kf_err_t *err);

//  Back to text, days with the same spans grouped ("mon-fri 08:30-17:30"),
//  "off" when there are none. Returns buf.
const char *kf_rota_format (Kf__Shift *const *shifts, size_t count, char *buf, size_t size);

//  Whether the rota has the person on shift at utc_ms, in the calendar's
//  offset and days.
bool kf_rota_on_duty (Kf__Shift *const *shifts, size_t count, const kf_calendar_t *calendar, int64_t utc_ms);

#endif
