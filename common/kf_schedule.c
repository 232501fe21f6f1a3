/*  kf_schedule — when recurring work falls. See kf_schedule.h.  */
#include "kf_schedule.h"
#include "kf_time.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
s_skip (const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

//  A word at p (letters), copied lowercase; advances past it.
static const char *
s_word (const char *p, char *word, size_t size)
{
    size_t n = 0;
    p = s_skip (p);
    while (isalpha ((unsigned char) *p) && n + 1 < size)
        word [n++] = (char) tolower ((unsigned char) *p++);
    word [n] = 0;
    return p;
}

static int
s_weekday (const char *name)
{
    static const char *const names [] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
    for (int i = 0; i < 7; i++)
        if (strcmp (name, names [i]) == 0)
            return i + 1;
    return 0;
}

//  "10:00, 15:00" at p, ascending; then optionally "working".
static int
s_times (const char *p, const char *text, kf_schedule_t *s, kf_err_t *err)
{
    s->times = 0;
    for (;;) {
        p = s_skip (p);
        int minute;
        if (!isdigit ((unsigned char) *p))
            break;
        if (s->times == KF_SCHEDULE_TIMES_MAX || kf_hhmm_parse (&p, &minute) || minute >= 24 * 60
        ||  (s->times && minute <= s->minutes [s->times - 1]))
            return kf_err_set (err, "'%s': at most %d times of the day, in order (10:00, 15:00)", text,
                               KF_SCHEDULE_TIMES_MAX);
        s->minutes [s->times++] = minute;
        p = s_skip (p);
        if (*p == ',')
            p++;
    }
    if (s->times == 0)
        return kf_err_set (err, "'%s': when in the day? one or more times (09:00)", text);
    char word [16];
    p = s_word (p, word, sizeof word);
    if (strcmp (word, "working") == 0)
        s->working_only = true;
    else
    if (*word)
        return kf_err_set (err, "'%s': '%s' is not 'working'", text, word);
    p = s_skip (p);
    if (*p)
        return kf_err_set (err, "'%s': unexpected '%s'", text, p);
    return 0;
}

int
kf_schedule_parse (const char *text, kf_schedule_t *s, kf_err_t *err)
{
    memset (s, 0, sizeof *s);
    if (!text || !*text || strlen (text) > KF_SCHEDULE_TEXT_MAX)
        return kf_err_set (err, "a schedule is daily, workdays, weekly, monthly or every Nd, with its times");
    char word [16];
    const char *p = s_word (text, word, sizeof word);
    if (strcmp (word, "daily") == 0)
        s->kind = KF_SCHEDULE_DAILY;
    else
    if (strcmp (word, "workdays") == 0)
        s->kind = KF_SCHEDULE_WORKDAYS;
    else
    if (strcmp (word, "weekly") == 0) {
        s->kind = KF_SCHEDULE_WEEKLY;
        for (;;) {
            char day [8];
            const char *q = s_word (p, day, sizeof day);
            int weekday = s_weekday (day);
            if (!weekday)
                break;
            s->weekdays |= (uint8_t) (1u << weekday);
            p = s_skip (q);
            if (*p == ',')
                p++;
        }
        if (!s->weekdays)
            return kf_err_set (err, "'%s': which days of the week? (weekly mon,thu 09:00)", text);
    }
    else
    if (strcmp (word, "monthly") == 0) {
        s->kind = KF_SCHEDULE_MONTHLY;
        //  Dates first: "1,15,31 09:00" — a date is digits not followed by ':'.
        for (;;) {
            p = s_skip (p);
            char *end;
            long date = strtol (p, &end, 10);
            if (end == p || *end == ':')
                break;
            if (date < 1 || date > 31)
                return kf_err_set (err, "'%s': %ld is not a date of a month (1 .. 31)", text, date);
            s->dates |= 1u << date;
            p = s_skip (end);
            if (*p == ',')
                p++;
        }
        if (!s->dates)
            return kf_err_set (err, "'%s': which dates of the month? (monthly 1,15 09:00)", text);
    }
    else
    if (strcmp (word, "every") == 0) {
        s->kind = KF_SCHEDULE_EVERY;
        p = s_skip (p);
        char *end;
        long days = strtol (p, &end, 10);
        if (end == p || *end != 'd' || days < 1 || days > 366)
            return kf_err_set (err, "'%s': every how many days? (every 3d 09:00, 1 to 366)", text);
        s->every_days = (int) days;
        p = end + 1;
    }
    else
        return kf_err_set (err, "'%s': a schedule is daily, workdays, weekly, monthly or every Nd", text);
    //  every Nd ... [from DATE]: the date is at the end, after the times.
    const char *from = s->kind == KF_SCHEDULE_EVERY ? strstr (p, "from") : NULL;
    char times [KF_SCHEDULE_TEXT_MAX + 1];
    snprintf (times, sizeof times, "%.*s", from ? (int) (from - p) : (int) strlen (p), p);
    if (s_times (times, text, s, err))
        return -1;
    if (from) {
        char date [16];
        if (sscanf (from, "from %15s", date) != 1 || kf_date_parse (date, &s->from_day, err))
            return kf_err_set (err, "'%s': from a date (from 2026-12-01)", text);
    }
    return 0;
}

bool
kf_schedule_on_day (const kf_schedule_t *s, const kf_calendar_t *calendar, int64_t day)
{
    bool working = kf_calendar_is_working_day (calendar, day);
    if (s->working_only && !working)
        return false;
    switch (s->kind) {
        case KF_SCHEDULE_DAILY:
            return true;
        case KF_SCHEDULE_WORKDAYS:
            return working;
        case KF_SCHEDULE_WEEKLY:
            return s->weekdays & (1u << kf_weekday (day));
        case KF_SCHEDULE_MONTHLY: {
            int year, month, date;
            kf_civil_from_days (day, &year, &month, &date);
            int64_t first = kf_days_from_civil (year, month, 1);
            int64_t next = month == 12 ? kf_days_from_civil (year + 1, 1, 1) : kf_days_from_civil (year, month + 1, 1);
            int last = (int) (next - first);
            if (s->dates & (1u << date))
                return true;
            //  The month's last day takes the dates it lacks (31 in April).
            return date == last && ((uint64_t) s->dates >> (last + 1)) != 0;
        }
        case KF_SCHEDULE_EVERY:
            return kf_floor_mod (day - s->from_day, s->every_days) == 0;
    }
    return false;
}

int64_t
kf_schedule_next (const kf_schedule_t *s, const kf_calendar_t *calendar, int64_t t)
{
    int offset = kf_calendar_offset (calendar);
    int64_t day = kf_local_day (t, offset);
    for (int n = 0; n < KF_CALENDAR_HORIZON_DAYS; n++, day++) {
        if (!kf_schedule_on_day (s, calendar, day))
            continue;
        int64_t start = kf_local_day_start (day, offset);
        for (int i = 0; i < s->times; i++) {
            int64_t at = start + s->minutes [i] * KF_MS_PER_MINUTE;
            if (at >= t)
                return at;
        }
    }
    return 0;
}
