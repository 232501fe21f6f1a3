/*  kf_calendar — working hours, holidays and make-up working days.  */
#include "kf_calendar.h"
#include "kf_time.h"

#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int count;
    struct { int start, end; } span [KF_CALENDAR_MAX_SPANS];  //  minutes of the local day
} s_hours_t;

//  Index into hours[]: 1..7 weekdays, then holidays and make-up days.
enum { S_HOLIDAY = 8, S_MAKEUP = 9, S_KINDS = 10 };

typedef struct {
    int64_t *days;
    size_t count, size;
} s_days_t;

struct _kf_calendar_t {
    int offset_min;
    s_hours_t hours [S_KINDS];
    s_days_t holidays;   //  sorted, unique
    s_days_t makeups;    //  sorted, unique
};

static int
s_parse_hours (const char *spec, s_hours_t *hours, kf_err_t *err)
{
    s_hours_t parsed = { 0 };
    if (spec && strcmp (spec, "closed") == 0) {
        *hours = parsed;
        return 0;
    }
    const char *p = spec;
    while (p && *p) {
        int start, end;
        if (parsed.count == KF_CALENDAR_MAX_SPANS)
            return kf_err_set (err, "'%s': at most %d spans a day", spec, KF_CALENDAR_MAX_SPANS);
        if (kf_hhmm_parse (&p, &start) || *p++ != '-' || kf_hhmm_parse (&p, &end))
            goto bad;
        if (start >= end)
            return kf_err_set (err, "'%s': a span must end after it starts, within the day", spec);
        if (parsed.count > 0 && start < parsed.span [parsed.count - 1].end)
            return kf_err_set (err, "'%s': spans must be in order and must not overlap", spec);
        parsed.span [parsed.count].start = start;
        parsed.span [parsed.count].end = end;
        parsed.count++;
        if (*p == ',' && p [1])
            p++;
        else
        if (*p)
            goto bad;
    }
    if (parsed.count == 0)
        goto bad;
    *hours = parsed;
    return 0;
bad:
    return kf_err_set (err, "'%s' is not a list of opening hours (expected e.g. 08:30-18:00, "
                       "08:30-12:00,13:30-18:00 or closed)", spec ? spec : "");
}

kf_calendar_t *
kf_calendar_new (int utc_offset_min)
{
    kf_calendar_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->offset_min = utc_offset_min;
    for (int wd = 1; wd <= 7; wd++) {
        int rc = s_parse_hours (wd <= 5 ? "08:30-18:00" : "09:00-17:00", &self->hours [wd], NULL);
        assert (rc == 0);
    }
    int rc = s_parse_hours ("08:30-18:00", &self->hours [S_MAKEUP], NULL);
    assert (rc == 0);
    (void) rc;
    return self;
}

void
kf_calendar_destroy (kf_calendar_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free ((*self_p)->holidays.days);
        free ((*self_p)->makeups.days);
        free (*self_p);
        *self_p = NULL;
    }
}

static int
s_days_copy (s_days_t *to, const s_days_t *from)
{
    *to = *from;
    to->days = NULL;
    if (from->count) {
        to->days = malloc (from->count * sizeof (int64_t));
        if (!to->days)
            return -1;
        memcpy (to->days, from->days, from->count * sizeof (int64_t));
    }
    to->size = from->count;
    return 0;
}

kf_calendar_t *
kf_calendar_dup (const kf_calendar_t *self)
{
    assert (self);
    kf_calendar_t *copy = malloc (sizeof *copy);
    if (!copy)
        return NULL;
    *copy = *self;
    copy->holidays.days = copy->makeups.days = NULL;
    if (s_days_copy (&copy->holidays, &self->holidays) || s_days_copy (&copy->makeups, &self->makeups))
        kf_calendar_destroy (&copy);
    return copy;
}

int
kf_calendar_offset (const kf_calendar_t *self)
{
    assert (self);
    return self->offset_min;
}

int
kf_calendar_set_hours (kf_calendar_t *self, int weekday, const char *spec, kf_err_t *err)
{
    assert (self);
    assert (weekday >= 1 && weekday <= 7);
    return s_parse_hours (spec, &self->hours [weekday], err);
}

int
kf_calendar_set_holiday_hours (kf_calendar_t *self, const char *spec, kf_err_t *err)
{
    assert (self);
    return s_parse_hours (spec, &self->hours [S_HOLIDAY], err);
}

int
kf_calendar_set_makeup_hours (kf_calendar_t *self, const char *spec, kf_err_t *err)
{
    assert (self);
    return s_parse_hours (spec, &self->hours [S_MAKEUP], err);
}

//  Index of the first element >= day.
static size_t
s_days_lower_bound (const s_days_t *set, int64_t day)
{
    size_t lo = 0, hi = set->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (set->days [mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool
s_days_has (const s_days_t *set, int64_t day)
{
    size_t i = s_days_lower_bound (set, day);
    return i < set->count && set->days [i] == day;
}

static int
s_days_insert (s_days_t *set, int64_t day)
{
    size_t i = s_days_lower_bound (set, day);
    if (i < set->count && set->days [i] == day)
        return 0;
    if (set->count == set->size) {
        size_t size = set->size ? set->size * 2 : 16;
        int64_t *days = realloc (set->days, size * sizeof *days);
        if (!days)
            return -1;
        set->days = days;
        set->size = size;
    }
    memmove (set->days + i + 1, set->days + i, (set->count - i) * sizeof (int64_t));
    set->days [i] = day;
    set->count++;
    return 0;
}

static int
s_add_day (kf_calendar_t *self, s_days_t *set, const s_days_t *other, int64_t day,
           const char *what, const char *other_what, kf_err_t *err)
{
    if (s_days_has (other, day)) {
        int y, m, d;
        kf_civil_from_days (day, &y, &m, &d);
        return kf_err_set (err, "%04d-%02d-%02d cannot be both a %s and a %s", y, m, d, what, other_what);
    }
    (void) self;
    return s_days_insert (set, day) ? kf_err_set (err, "out of memory") : 0;
}

int
kf_calendar_add_holiday (kf_calendar_t *self, int64_t day, kf_err_t *err)
{
    assert (self);
    return s_add_day (self, &self->holidays, &self->makeups, day, "holiday", "make-up working day", err);
}

int
kf_calendar_add_makeup_day (kf_calendar_t *self, int64_t day, kf_err_t *err)
{
    assert (self);
    return s_add_day (self, &self->makeups, &self->holidays, day, "make-up working day", "holiday", err);
}

kf_day_kind_t
kf_calendar_day_kind (const kf_calendar_t *self, int64_t day)
{
    assert (self);
    if (s_days_has (&self->holidays, day))
        return KF_DAY_HOLIDAY;
    if (s_days_has (&self->makeups, day))
        return KF_DAY_MAKEUP;
    return kf_weekday (day) <= 5 ? KF_DAY_WORKDAY : KF_DAY_WEEKEND;
}

bool
kf_calendar_is_working_day (const kf_calendar_t *self, int64_t day)
{
    kf_day_kind_t kind = kf_calendar_day_kind (self, day);
    return kind == KF_DAY_WORKDAY || kind == KF_DAY_MAKEUP;
}

static const s_hours_t *
s_hours_of (const kf_calendar_t *self, int64_t day)
{
    switch (kf_calendar_day_kind (self, day)) {
        case KF_DAY_HOLIDAY: return &self->hours [S_HOLIDAY];
        case KF_DAY_MAKEUP:  return &self->hours [S_MAKEUP];
        default:             return &self->hours [kf_weekday (day)];
    }
}

bool
kf_calendar_is_open (const kf_calendar_t *self, int64_t utc_ms)
{
    assert (self);
    int64_t day = kf_local_day (utc_ms, self->offset_min);
    int64_t minute_ms = utc_ms - kf_local_day_start (day, self->offset_min);
    const s_hours_t *hours = s_hours_of (self, day);
    for (int i = 0; i < hours->count; i++)
        if (minute_ms >= hours->span [i].start * KF_MS_PER_MINUTE
        &&  minute_ms < hours->span [i].end * KF_MS_PER_MINUTE)
            return true;
    return false;
}

int64_t
kf_calendar_add_working (const kf_calendar_t *self, int64_t t, int64_t working_ms)
{
    assert (self);
    if (working_ms <= 0)
        return t;
    int64_t day = kf_local_day (t, self->offset_min);
    for (int n = 0; n < KF_CALENDAR_HORIZON_DAYS; n++, day++) {
        int64_t day_start = kf_local_day_start (day, self->offset_min);
        const s_hours_t *hours = s_hours_of (self, day);
        for (int i = 0; i < hours->count; i++) {
            int64_t start = day_start + hours->span [i].start * KF_MS_PER_MINUTE;
            int64_t end = day_start + hours->span [i].end * KF_MS_PER_MINUTE;
            if (end <= t)
                continue;
            int64_t from = start > t ? start : t;
            if (end - from >= working_ms)
                return from + working_ms;
            working_ms -= end - from;
        }
    }
    return INT64_MAX;
}

int64_t
kf_calendar_working_between (const kf_calendar_t *self, int64_t a, int64_t b)
{
    assert (self);
    int64_t total = 0;
    if (b <= a)
        return 0;
    //  A range longer than the horizon is counted up to the horizon only.
    int64_t day = kf_local_day (a, self->offset_min);
    for (int n = 0; n < KF_CALENDAR_HORIZON_DAYS * 10; n++, day++) {
        int64_t day_start = kf_local_day_start (day, self->offset_min);
        if (day_start >= b)
            break;
        const s_hours_t *hours = s_hours_of (self, day);
        for (int i = 0; i < hours->count; i++) {
            int64_t start = day_start + hours->span [i].start * KF_MS_PER_MINUTE;
            int64_t end = day_start + hours->span [i].end * KF_MS_PER_MINUTE;
            int64_t lo = start > a ? start : a, hi = end < b ? end : b;
            if (hi > lo)
                total += hi - lo;
        }
    }
    return total;
}

int64_t
kf_calendar_close_of_day (const kf_calendar_t *self, int64_t t)
{
    assert (self);
    int64_t day = kf_local_day (t, self->offset_min);
    for (int n = 0; n < KF_CALENDAR_HORIZON_DAYS; n++, day++) {
        const s_hours_t *hours = s_hours_of (self, day);
        if (hours->count == 0)
            continue;
        int64_t close = kf_local_day_start (day, self->offset_min)
                      + hours->span [hours->count - 1].end * KF_MS_PER_MINUTE;
        if (close > t)
            return close;
    }
    return INT64_MAX;
}
