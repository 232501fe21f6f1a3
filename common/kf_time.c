/*  kf_time — civil dates, ISO-8601 times, durations and UTC offsets.  */
#include "kf_time.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int64_t
kf_floor_div (int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t
kf_floor_mod (int64_t a, int64_t b)
{
    return a - kf_floor_div (a, b) * b;
}

//  Howard Hinnant's days_from_civil / civil_from_days: exact over the whole
//  proleptic Gregorian calendar, using 400-year eras.
int64_t
kf_days_from_civil (int year, int month, int day)
{
    int64_t y = (int64_t) year - (month <= 2);
    int64_t era = kf_floor_div (y, 400);
    int64_t yoe = y - era * 400;
    int64_t mp = (month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void
kf_civil_from_days (int64_t days, int *year, int *month, int *day)
{
    int64_t z = days + 719468;
    int64_t era = kf_floor_div (z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int) (doy - (153 * mp + 2) / 5 + 1);
    int m = (int) (mp < 10 ? mp + 3 : mp - 9);
    *year = (int) (yoe + era * 400 + (m <= 2));
    *month = m;
    *day = d;
}

int
kf_weekday (int64_t days)
{
    //  1970-01-01 was a Thursday (4).
    return (int) kf_floor_mod (days + 3, 7) + 1;
}

int64_t
kf_local_day (int64_t utc_ms, int offset_min)
{
    return kf_floor_div (utc_ms + offset_min * KF_MS_PER_MINUTE, KF_MS_PER_DAY);
}

int64_t
kf_local_day_start (int64_t day, int offset_min)
{
    return day * KF_MS_PER_DAY - offset_min * KF_MS_PER_MINUTE;
}

static bool
s_valid_date (int year, int month, int day)
{
    static const int mdays [] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1)
        return false;
    if (day > mdays [month - 1])
        return false;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return !(month == 2 && day == 29 && !leap);
}

uint32_t
kf_day_to_yyyymmdd (int64_t day)
{
    int y, m, d;
    kf_civil_from_days (day, &y, &m, &d);
    return (uint32_t) (y * 10000 + m * 100 + d);
}

int
kf_yyyymmdd_to_day (uint32_t yyyymmdd, int64_t *day)
{
    int y = (int) (yyyymmdd / 10000), m = (int) (yyyymmdd / 100 % 100), d = (int) (yyyymmdd % 100);
    if (!s_valid_date (y, m, d))
        return -1;
    *day = kf_days_from_civil (y, m, d);
    return 0;
}

//  Read exactly `width` decimal digits.
static bool
s_digits (const char **p, int width, int *value)
{
    int v = 0;
    for (int i = 0; i < width; i++) {
        if (!isdigit ((unsigned char) (*p) [i]))
            return false;
        v = v * 10 + ((*p) [i] - '0');
    }
    *p += width;
    *value = v;
    return true;
}

static bool
s_date_at (const char **p, int64_t *day)
{
    int y, m, d;
    const char *s = *p;
    if (!s_digits (&s, 4, &y) || *s++ != '-' || !s_digits (&s, 2, &m) || *s++ != '-'
        || !s_digits (&s, 2, &d) || !s_valid_date (y, m, d))
        return false;
    *day = kf_days_from_civil (y, m, d);
    *p = s;
    return true;
}

int
kf_date_parse (const char *text, int64_t *day, kf_err_t *err)
{
    const char *p = text;
    if (!text || !s_date_at (&p, day) || *p)
        return kf_err_set (err, "'%s' is not a date (expected YYYY-MM-DD)", text ? text : "");
    return 0;
}

//  Offset at *p: "Z", "+08:00" or "+0800". Advances *p.
static bool
s_offset_at (const char **p, int *offset_min)
{
    const char *s = *p;
    if (*s == 'Z' || *s == 'z') {
        *offset_min = 0;
        *p = s + 1;
        return true;
    }
    if (*s != '+' && *s != '-')
        return false;
    int sign = *s++ == '-' ? -1 : 1;
    int h, m;
    if (!s_digits (&s, 2, &h))
        return false;
    if (*s == ':')
        s++;
    if (!s_digits (&s, 2, &m) || m > 59 || h * 60 + m > 14 * 60)
        return false;
    *offset_min = sign * (h * 60 + m);
    *p = s;
    return true;
}

int
kf_utc_offset_parse (const char *text, int *offset_min, kf_err_t *err)
{
    const char *p = text;
    if (!text || !s_offset_at (&p, offset_min) || *p)
        return kf_err_set (err, "'%s' is not a UTC offset (expected e.g. +08:00)", text ? text : "");
    return 0;
}

int
kf_duration_parse (const char *text, int64_t *ms, kf_err_t *err)
{
    const char *p = text;
    if (!p || !*p)
        return kf_err_set (err, "empty duration (expected e.g. 90s, 26h, 3d or 1h30m)");
    bool negative = *p == '-';
    if (negative)
        p++;
    int64_t total = 0;
    bool any = false;
    while (*p) {
        if (!isdigit ((unsigned char) *p))
            goto bad;
        int64_t n = 0;
        while (isdigit ((unsigned char) *p)) {
            if (n > (INT64_MAX - 9) / 10)
                goto bad;
            n = n * 10 + (*p++ - '0');
        }
        int64_t unit;
        if (strncmp (p, "ms", 2) == 0)      { unit = 1; p += 2; }
        else if (*p == 's')                 { unit = 1000; p++; }
        else if (*p == 'm')                 { unit = KF_MS_PER_MINUTE; p++; }
        else if (*p == 'h')                 { unit = KF_MS_PER_HOUR; p++; }
        else if (*p == 'd')                 { unit = KF_MS_PER_DAY; p++; }
        else if (*p == 'w')                 { unit = 7 * KF_MS_PER_DAY; p++; }
        else goto bad;
        if (n > (INT64_MAX - total) / unit)
            goto bad;
        total += n * unit;
        any = true;
    }
    if (!any)
        goto bad;
    *ms = negative ? -total : total;
    return 0;
bad:
    return kf_err_set (err, "'%s' is not a duration (expected e.g. 500ms, 90s, 26h, 3d or 1h30m)", text);
}

int
kf_hhmm_parse (const char **p, int *minutes)
{
    const char *s = *p;
    if (!isdigit ((unsigned char) s [0]) || !isdigit ((unsigned char) s [1]) || s [2] != ':'
        || !isdigit ((unsigned char) s [3]) || !isdigit ((unsigned char) s [4]))
        return -1;
    int h = (s [0] - '0') * 10 + s [1] - '0', m = (s [3] - '0') * 10 + s [4] - '0';
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    *minutes = h * 60 + m;
    *p = s + 5;
    return 0;
}

size_t
kf_duration_format (int64_t ms, char *buf, size_t size)
{
    static const struct { int64_t ms; const char *unit; } units [] = {
        { KF_MS_PER_DAY, "d" }, { KF_MS_PER_HOUR, "h" }, { KF_MS_PER_MINUTE, "m" },
        { 1000, "s" }, { 1, "ms" },
    };
    size_t len = 0;
    if (size == 0)
        return 0;
    buf [0] = 0;
    //  Work in unsigned so that INT64_MIN has a magnitude.
    uint64_t rest = ms < 0 ? (uint64_t) 0 - (uint64_t) ms : (uint64_t) ms;
    if (ms < 0 && len + 1 < size)
        buf [len++] = '-', buf [len] = 0;
    if (rest == 0)
        return len + (size_t) snprintf (buf + len, size - len, "0s");
    for (size_t i = 0; i < sizeof units / sizeof units [0] && rest; i++) {
        uint64_t n = rest / (uint64_t) units [i].ms;
        if (n == 0)
            continue;
        rest -= n * (uint64_t) units [i].ms;
        int w = snprintf (buf + len, size - len, "%llu%s", (unsigned long long) n, units [i].unit);
        if (w < 0 || (size_t) w >= size - len)
            return len;
        len += (size_t) w;
    }
    return len;
}

int
kf_time_parse (const char *text, int default_offset_min, int64_t *utc_ms, kf_err_t *err)
{
    const char *p = text;
    int64_t day;
    if (!text || !s_date_at (&p, &day))
        goto bad;
    int h = 0, m = 0, s = 0, frac_ms = 0;
    int offset = default_offset_min;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!s_digits (&p, 2, &h) || *p++ != ':' || !s_digits (&p, 2, &m))
            goto bad;
        if (*p == ':') {
            p++;
            if (!s_digits (&p, 2, &s))
                goto bad;
            if (*p == '.' || *p == ',') {
                p++;
                int scale = 100, digits = 0;
                while (isdigit ((unsigned char) *p)) {
                    frac_ms += (*p++ - '0') * scale;
                    scale /= 10;
                    digits++;
                }
                if (digits == 0)
                    goto bad;
            }
        }
        if (h > 23 || m > 59 || s > 60)
            goto bad;
        if (*p && !s_offset_at (&p, &offset))
            goto bad;
    }
    if (*p)
        goto bad;
    *utc_ms = kf_local_day_start (day, offset)
            + h * KF_MS_PER_HOUR + m * KF_MS_PER_MINUTE + s * 1000 + frac_ms;
    return 0;
bad:
    return kf_err_set (err, "'%s' is not a time (expected e.g. 2026-11-23T16:21:03+08:00)",
                       text ? text : "");
}

size_t
kf_time_format (int64_t utc_ms, int offset_min, char *buf, size_t size)
{
    int64_t local = utc_ms + offset_min * KF_MS_PER_MINUTE;
    int64_t day = kf_floor_div (local, KF_MS_PER_DAY);
    int64_t in_day = local - day * KF_MS_PER_DAY;
    int y, mo, d;
    kf_civil_from_days (day, &y, &mo, &d);
    int h = (int) (in_day / KF_MS_PER_HOUR);
    int mi = (int) (in_day / KF_MS_PER_MINUTE % 60);
    int s = (int) (in_day / 1000 % 60);
    int ms = (int) (in_day % 1000);
    char zone [8] = "Z";
    if (offset_min != 0) {
        int a = offset_min < 0 ? -offset_min : offset_min;
        snprintf (zone, sizeof zone, "%c%02d:%02d", offset_min < 0 ? '-' : '+', a / 60 % 100, a % 60);
    }
    int n = snprintf (buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%s", y, mo, d, h, mi, s, ms, zone);
    return n < 0 ? 0 : (size_t) n;
}

const char *
kf_local_format (int64_t utc_ms, int offset_min, char *buf, size_t size)
{
    if (utc_ms == INT64_MAX) {
        snprintf (buf, size, "never");
        return buf;
    }
    int year, month, day;
    int64_t days = kf_local_day (utc_ms, offset_min);
    int64_t minute = (utc_ms - kf_local_day_start (days, offset_min)) / KF_MS_PER_MINUTE;
    kf_civil_from_days (days, &year, &month, &day);
    snprintf (buf, size, "%04d-%02d-%02d %02d:%02d", year, month, day, (int) (minute / 60), (int) (minute % 60));
    return buf;
}

int64_t
kf_utc_midnight_before (int64_t utc_ms)
{
    return kf_floor_div (utc_ms, KF_MS_PER_DAY) * KF_MS_PER_DAY;
}

int64_t
kf_utc_midnight_after (int64_t utc_ms)
{
    int64_t midnight = kf_utc_midnight_before (utc_ms);
    return midnight == utc_ms ? midnight : midnight + KF_MS_PER_DAY;
}
