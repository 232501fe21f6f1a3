/*  kf_rota — duty rotas. See kf_rota.h.  */
#include "kf_rota.h"
#include "kf_time.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *s_day_names [] = { NULL, "mon", "tue", "wed", "thu", "fri", "sat", "sun", "hol", "mkp" };

//  Days named by a token: a bitmask of slots 1..9.
static int
s_parse_days (const char *token, size_t len, unsigned *days)
{
    char text [16];
    if (len == 0 || len >= sizeof text)
        return -1;
    snprintf (text, sizeof text, "%.*s", (int) len, token);
    if (strcasecmp (text, "daily") == 0) {
        *days = 0xfe;   //  slots 1..7
        return 0;
    }
    char *dash = strchr (text, '-');
    if (dash)
        *dash = 0;
    int from = 0, to = 0;
    for (int slot = 1; slot <= KF_ROTA_MAKEUP; slot++) {
        if (strcasecmp (text, s_day_names [slot]) == 0)
            from = slot;
        if (dash && strcasecmp (dash + 1, s_day_names [slot]) == 0)
            to = slot;
    }
    if (!from || (dash && (!to || from > 7 || to > 7)))
        return -1;
    *days = 0;
    if (!dash)
        *days = 1u << from;
    else    //  a range may wrap: fri-mon
        for (int slot = from; ; slot = slot % 7 + 1) {
            *days |= 1u << slot;
            if (slot == to)
                break;
        }
    return 0;
}

static bool
s_off (const Kf__Shift *shift)
{
    return shift->has_off && shift->off;
}

//  Whether the rota marks a slot off ("hol off").
static bool
s_slot_off (Kf__Shift *const *shifts, size_t count, int slot)
{
    for (size_t i = 0; i < count; i++)
        if ((int) shifts [i]->weekday == slot && s_off (shifts [i]))
            return true;
    return false;
}

static int
s_parse (const char *text, Kf__Shift *shifts, size_t max, kf_err_t *err)
{
    size_t count = 0;
    const char *p = text;
    while (*p == ' ')
        p++;
    if (strcmp (p, "off") == 0 || strcmp (p, "none") == 0)
        return 0;
    while (true) {
        while (*p == ' ')
            p++;
        size_t len = strcspn (p, " ,");
        unsigned days;
        if (s_parse_days (p, len, &days))
            return kf_err_set (err, "'%.*s' is not a day (expected mon..sun, a range like mon-fri, daily, "
                               "hol or mkp)", (int) len, p);
        const char *day = p;
        p += len;
        int spans = 0;
        //  "hol off", "mkp off": such days are off, daily shifts included.
        const char *rest = p + strspn (p, " ");
        if (rest > p && strncmp (rest, "off", 3) == 0 && (rest [3] == 0 || rest [3] == ',' || rest [3] == ' ')) {
            if (days != (1u << KF_ROTA_HOLIDAY) && days != (1u << KF_ROTA_MAKEUP))
                return kf_err_set (err, "'%.*s off': only hol and mkp can be off (leave a weekday out instead)",
                                   (int) len, day);
            if (count == max)
                return kf_err_set (err, "more than %zu shifts", max);
            Kf__Shift *shift = &shifts [count++];
            kf__shift__init (shift);
            shift->weekday = days == (1u << KF_ROTA_HOLIDAY) ? KF_ROTA_HOLIDAY : KF_ROTA_MAKEUP;
            shift->has_weekday = 1;
            shift->off = shift->has_off = 1;
            p = rest + 3;
            p += strspn (p, " ");
            if (*p && *p != ',')
                return kf_err_set (err, "'%.*s off' takes no hours", (int) len, day);
            spans = 1;
        }
        while (*p == ' ') {
            while (*p == ' ')
                p++;
            if (*p == ',' || !*p)
                break;
            int start, end;
            const char *span = p;
            if (kf_hhmm_parse (&p, &start) || *p++ != '-' || kf_hhmm_parse (&p, &end) || (*p && *p != ' ' && *p != ','))
                return kf_err_set (err, "'%.*s' is not a span of hours (expected e.g. 08:30-17:30)",
                                   (int) strcspn (span, " ,"), span);
            if (start == end || start >= 1440 || end == 0)
                return kf_err_set (err, "'%.*s' is not a shift (start and end differ; 22:00-06:00 runs past midnight)",
                                   (int) (p - span), span);
            for (int slot = 1; slot <= KF_ROTA_MAKEUP; slot++) {
                if (!(days & (1u << slot)))
                    continue;
                if (count == max)
                    return kf_err_set (err, "more than %zu shifts", max);
                Kf__Shift *shift = &shifts [count++];
                kf__shift__init (shift);
                shift->weekday = (uint32_t) slot;
                shift->start_minute = (uint32_t) start;
                shift->end_minute = (uint32_t) end;
                shift->has_weekday = shift->has_start_minute = shift->has_end_minute = 1;
            }
            spans++;
        }
        if (spans == 0)
            return kf_err_set (err, "'%.*s' needs its hours (e.g. %.*s 08:30-17:30)", (int) len, day, (int) len, day);
        if (!*p)
            return (int) count;
        if (*p != ',')
            return kf_err_set (err, "'%s': expected a comma between days", text);
        p++;
    }
}

int
kf_rota_check (Kf__Shift *const *shifts, size_t count, kf_err_t *err)
{
    if (count > KF_ROTA_SHIFTS_MAX)
        return kf_err_set (err, "more than %d shifts", KF_ROTA_SHIFTS_MAX);
    for (size_t i = 0; i < count; i++) {
        const Kf__Shift *s = shifts [i];
        if (s->weekday < 1 || s->weekday > KF_ROTA_MAKEUP)
            return kf_err_set (err, "shift %zu: weekday %u is not 1..9", i + 1, s->weekday);
        if (s_off (s)) {
            if (s->weekday < KF_ROTA_HOLIDAY || s->start_minute || s->end_minute)
                return kf_err_set (err, "shift %zu: only holidays and make-up days are off, without minutes", i + 1);
            continue;
        }
        if (s->weekday >= KF_ROTA_HOLIDAY && s_slot_off (shifts, count, (int) s->weekday))
            return kf_err_set (err, "shift %zu: %s is off and has hours too", i + 1,
                               s->weekday == KF_ROTA_HOLIDAY ? "hol" : "mkp");
        if (s->start_minute >= 1440 || s->end_minute < 1 || s->end_minute > 1440 || s->start_minute == s->end_minute)
            return kf_err_set (err, "shift %zu: %u..%u are not the minutes of a shift", i + 1, s->start_minute,
                               s->end_minute);
    }
    return 0;
}

int
kf_rota_parse (const char *text, Kf__Shift *shifts, size_t max, kf_err_t *err)
{
    assert (text && shifts);
    int count = s_parse (text, shifts, max, err);
    if (count <= 0)
        return count;
    //  What the wire must hold, text must too ("hol off, hol 09:00-17:00").
    Kf__Shift *ptrs [KF_ROTA_SHIFTS_MAX];
    if ((size_t) count > KF_ROTA_SHIFTS_MAX)
        return kf_err_set (err, "more than %d shifts", KF_ROTA_SHIFTS_MAX);
    for (int i = 0; i < count; i++)
        ptrs [i] = &shifts [i];
    return kf_rota_check (ptrs, (size_t) count, err) ? -1 : count;
}

//  The spans of one slot as text, earliest first: "08:30-12:00 13:00-17:30".
static void
s_slot_spans (Kf__Shift *const *shifts, size_t count, int slot, char *buf, size_t size)
{
    size_t len = 0;
    buf [0] = 0;
    uint32_t after = 0;
    bool first = true;
    while (true) {
        const Kf__Shift *next = NULL;
        for (size_t i = 0; i < count; i++) {
            const Kf__Shift *s = shifts [i];
            if (s_off (s))
                continue;
            if ((int) s->weekday == slot && (first || s->start_minute > after)
            &&  (!next || s->start_minute < next->start_minute))
                next = s;
        }
        if (!next)
            return;
        int n = snprintf (buf + len, size - len, "%s%02u:%02u-%02u:%02u", len ? " " : "", next->start_minute / 60,
                          next->start_minute % 60, next->end_minute / 60, next->end_minute % 60);
        if (n < 0 || (size_t) n >= size - len)
            return;
        len += (size_t) n;
        after = next->start_minute;
        first = false;
    }
}

const char *
kf_rota_format (Kf__Shift *const *shifts, size_t count, char *buf, size_t size)
{
    assert (buf && size);
    char spans [KF_ROTA_MAKEUP + 1][128];
    for (int slot = 1; slot <= KF_ROTA_MAKEUP; slot++)
        s_slot_spans (shifts, count, slot, spans [slot], sizeof spans [slot]);
    size_t len = 0;
    buf [0] = 0;
    int slot = 1;
    while (slot <= KF_ROTA_MAKEUP) {
        int last = slot;
        if (slot <= 7)
            while (last < 7 && strcmp (spans [last + 1], spans [slot]) == 0)
                last++;
        if (slot > 7 && s_slot_off (shifts, count, slot))
            snprintf (spans [slot], sizeof spans [slot], "off");
        if (*spans [slot]) {
            char days [16];
            if (slot == 1 && last == 7)
                snprintf (days, sizeof days, "daily");
            else
            if (last > slot)
                snprintf (days, sizeof days, "%s-%s", s_day_names [slot], s_day_names [last]);
            else
                snprintf (days, sizeof days, "%s", s_day_names [slot]);
            int n = snprintf (buf + len, size - len, "%s%s %s", len ? ", " : "", days, spans [slot]);
            if (n < 0 || (size_t) n >= size - len)
                break;
            len += (size_t) n;
        }
        slot = last + 1;
    }
    if (len == 0)
        snprintf (buf, size, "off");
    return buf;
}

//  A span worked on each of the seven weekdays is a daily span: "daily"
//  means every day, so such a span is worked on holidays and make-up days
//  too (the guard's 24 hours, the night engineer), unless the rota says
//  "hol off" / "mkp off". A rota stores daily as seven weekday shifts, so
//  this reads old stores the same way.
static bool
s_daily (Kf__Shift *const *shifts, size_t count, const Kf__Shift *span)
{
    unsigned days = 0;
    for (size_t i = 0; i < count; i++) {
        const Kf__Shift *s = shifts [i];
        if (!s_off (s) && s->weekday >= 1 && s->weekday <= 7
        &&  s->start_minute == span->start_minute && s->end_minute == span->end_minute)
            days |= 1u << s->weekday;
    }
    return days == 0xfe;
}

//  Whether a shift is worked on a local day: the slot that day follows,
//  and on holidays and make-up days the daily spans as well.
static bool
s_worked_on (Kf__Shift *const *shifts, size_t count, const kf_calendar_t *calendar, int64_t day,
             const Kf__Shift *shift)
{
    if (s_off (shift))
        return false;
    int slot;
    switch (kf_calendar_day_kind (calendar, day)) {
        case KF_DAY_HOLIDAY:
            slot = KF_ROTA_HOLIDAY;
            break;
        case KF_DAY_MAKEUP:
            slot = KF_ROTA_MAKEUP;
            bool own = false;
            for (size_t i = 0; i < count && !own; i++)
                own = shifts [i]->weekday == KF_ROTA_MAKEUP;
            if (!own)   //  worked as a normal workday: Monday's shifts, daily ones among them
                return shift->weekday == 1;
            break;
        default:
            return (int) shift->weekday == kf_weekday (day);
    }
    if ((int) shift->weekday == slot)
        return true;
    return shift->weekday == 1 && !s_slot_off (shifts, count, slot) && s_daily (shifts, count, shift);
}

bool
kf_rota_on_duty (Kf__Shift *const *shifts, size_t count, const kf_calendar_t *calendar, int64_t utc_ms)
{
    assert (calendar);
    int offset = kf_calendar_offset (calendar);
    int64_t day = kf_local_day (utc_ms, offset);
    uint32_t minute = (uint32_t) ((utc_ms - kf_local_day_start (day, offset)) / KF_MS_PER_MINUTE);
    for (size_t i = 0; i < count; i++) {
        const Kf__Shift *s = shifts [i];
        bool overnight = s->end_minute < s->start_minute;
        if (minute >= s->start_minute && (overnight || minute < s->end_minute)
        &&  s_worked_on (shifts, count, calendar, day, s))
            return true;
        if (overnight && minute < s->end_minute && s_worked_on (shifts, count, calendar, day - 1, s))
            return true;
    }
    return false;
}
