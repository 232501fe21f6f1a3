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

int
kf_rota_parse (const char *text, Kf__Shift *shifts, size_t max, kf_err_t *err)
{
    assert (text && shifts);
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
        if (s->start_minute >= 1440 || s->end_minute < 1 || s->end_minute > 1440 || s->start_minute == s->end_minute)
            return kf_err_set (err, "shift %zu: %u..%u are not the minutes of a shift", i + 1, s->start_minute,
                               s->end_minute);
    }
    return 0;
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

//  The slot whose shifts a local day follows.
static int
s_slot_of (Kf__Shift *const *shifts, size_t count, const kf_calendar_t *calendar, int64_t day)
{
    switch (kf_calendar_day_kind (calendar, day)) {
        case KF_DAY_HOLIDAY:
            return KF_ROTA_HOLIDAY;
        case KF_DAY_MAKEUP:
            for (size_t i = 0; i < count; i++)
                if (shifts [i]->weekday == KF_ROTA_MAKEUP)
                    return KF_ROTA_MAKEUP;
            return 1;
        default:
            return kf_weekday (day);
    }
}

bool
kf_rota_on_duty (Kf__Shift *const *shifts, size_t count, const kf_calendar_t *calendar, int64_t utc_ms)
{
    assert (calendar);
    int offset = kf_calendar_offset (calendar);
    int64_t day = kf_local_day (utc_ms, offset);
    uint32_t minute = (uint32_t) ((utc_ms - kf_local_day_start (day, offset)) / KF_MS_PER_MINUTE);
    int today = s_slot_of (shifts, count, calendar, day);
    int yesterday = s_slot_of (shifts, count, calendar, day - 1);
    for (size_t i = 0; i < count; i++) {
        const Kf__Shift *s = shifts [i];
        bool overnight = s->end_minute < s->start_minute;
        if ((int) s->weekday == today && minute >= s->start_minute && (overnight || minute < s->end_minute))
            return true;
        if ((int) s->weekday == yesterday && overnight && minute < s->end_minute)
            return true;
    }
    return false;
}
