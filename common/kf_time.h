/*  kf_time — civil dates, ISO-8601 times, durations and UTC offsets.

    Times are int64_t UTC milliseconds. A "day" is a count of days since
    1970-01-01 in some local time; local days come from UTC ms plus the
    estate's offset. Pure functions, no I/O: the clock lives in kf_clock.
*/
#ifndef KF_TIME_H_INCLUDED
#define KF_TIME_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include "kf_log.h"

#define KF_MS_PER_MINUTE  INT64_C (60000)
#define KF_MS_PER_HOUR    INT64_C (3600000)
#define KF_MS_PER_DAY     INT64_C (86400000)

//  Floor division and modulo: rounds towards minus infinity, b > 0.
int64_t kf_floor_div (int64_t a, int64_t b);
int64_t kf_floor_mod (int64_t a, int64_t b);

//  Proleptic Gregorian calendar <-> days since 1970-01-01.
int64_t kf_days_from_civil (int year, int month, int day);
void kf_civil_from_days (int64_t days, int *year, int *month, int *day);

//  ISO weekday of a day number: 1 = Monday .. 7 = Sunday.
int kf_weekday (int64_t days);

//  Local day number of a UTC instant, and the UTC ms at which a local day
//  starts, for a UTC offset in minutes.
int64_t kf_local_day (int64_t utc_ms, int offset_min);
int64_t kf_local_day_start (int64_t day, int offset_min);

//  The UTC midnight at or before utc_ms, and the first at or after it:
//  the whole days of a period, as day tallies count them. For times
//  within a quarter of int64 of 0 (a caller checks a hostile period).
int64_t kf_utc_midnight_before (int64_t utc_ms);
int64_t kf_utc_midnight_after (int64_t utc_ms);

//  yyyymmdd as a number (20261123), e.g. for ticket numbers and reports.
uint32_t kf_day_to_yyyymmdd (int64_t day);
int kf_yyyymmdd_to_day (uint32_t yyyymmdd, int64_t *day);

//  "HH:MM" at *p (00:00 .. 24:00) -> minutes after midnight; advances *p
//  past it. -1 (and *p unchanged) when the text is not that.
int kf_hhmm_parse (const char **p, int *minutes);

//  "2026-10-01" -> day number. Strict: exactly that shape, a real date.
int kf_date_parse (const char *text, int64_t *day, kf_err_t *err);

//  "+08:00", "-05:30", "Z" or "+0800" -> minutes east of UTC (-14h .. +14h).
int kf_utc_offset_parse (const char *text, int *offset_min, kf_err_t *err);

//  Durations: "500ms", "90s", "15m", "26h", "3d", "2w" and sums like
//  "1h30m". Negative durations are written with a leading '-'.
int kf_duration_parse (const char *text, int64_t *ms, kf_err_t *err);
//  Shortest exact form: "1d2h", "45m", "0s". Returns the length written.
size_t kf_duration_format (int64_t ms, char *buf, size_t size);

//  "2026-11-23T16:21:03Z", "2026-11-23T16:21:03.5+08:00",
//  "2026-11-23 16:21" (local: default_offset_min applies) or "2026-11-23"
//  (local midnight). Seconds and fractions are optional.
int kf_time_parse (const char *text, int default_offset_min, int64_t *utc_ms, kf_err_t *err);
//  "2026-11-24T00:21:03.000+08:00", or "...Z" when the offset is 0.
size_t kf_time_format (int64_t utc_ms, int offset_min, char *buf, size_t size);
//  "2026-11-24 00:21", local at offset_min, as people read it in a
//  message; "never" for INT64_MAX. Returns buf.
const char *kf_local_format (int64_t utc_ms, int offset_min, char *buf, size_t size);

#endif
