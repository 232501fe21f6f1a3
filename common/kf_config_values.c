/*  kf_config_values — what a value of each type of key may be (durations,
    times, rotas, SLA limits, terms, enum lists, dates), as
    kf_config_check_value checks it for the schema's keys, and the parsers
    the daemons read those values with. See kf_config_private.h.
*/
#include "kf_config_private.h"
#include "kf_codec.h"
#include "kf_field.h"
#include "kf_rota.h"
#include "kf_sla.h"
#include "kf_time.h"

#include "types.pb-c.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
kf_config_parse_dates (const char *text, kf_calendar_t *calendar, bool holidays, kf_err_t *err)
{
    char *copy = strdup (text);
    if (!copy)
        return kf_err_set (err, "out of memory");
    int rc = 0;
    char *save = NULL;
    for (char *item = strtok_r (copy, ",", &save); item && rc == 0; item = strtok_r (NULL, ",", &save)) {
        while (*item == ' ')
            item++;
        char *end = item + strlen (item);
        while (end > item && end [-1] == ' ')
            *--end = 0;
        if (!*item)
            continue;
        int64_t from, to;
        char *dots = strstr (item, "..");
        if (dots) {
            *dots = 0;
            rc = kf_date_parse (item, &from, err) || kf_date_parse (dots + 2, &to, err);
            if (rc == 0 && (to < from || to - from > 366))
                rc = kf_err_set (err, "'%s..%s' is not a range of at most a year", item, dots + 2);
        }
        else {
            rc = kf_date_parse (item, &from, err);
            to = from;
        }
        for (int64_t day = from; rc == 0 && calendar && day <= to; day++)
            rc = holidays ? kf_calendar_add_holiday (calendar, day, err)
                          : kf_calendar_add_makeup_day (calendar, day, err);
    }
    free (copy);
    return rc ? -1 : 0;
}

//  The fields a term may name, with their enums.
static const struct {
    const char *name;
    const ProtobufCEnumDescriptor *descriptor;
} s_term_fields [] = {
    { "type", &kf__ticket_type__descriptor },
    { "channel", &kf__channel__descriptor },
    { "category", &kf__category__descriptor },
    { "hazard", &kf__hazard__descriptor },
    { "priority", &kf__priority__descriptor },
};

int
kf_config_check_value (const kf_config_key_t *key, const char *value, kf_err_t *err)
{
    switch (key->type) {
        case T_SECTION:
            return 0;
        case T_STRING: {
            size_t n = strlen (value);
            if (n == 0 || n > 200 || !kf_utf8_valid (value, n))
                return kf_err_set (err, "expected 1 to 200 bytes of UTF-8 text");
            return 0;
        }
        case T_ID:
            return kf_config_valid_id (value) ? 0
                 : kf_err_set (err, "'%s' is not an identifier (1-%d letters, digits, - or _)", value, KF_ID_MAX);
        case T_PRODUCER: {
            const char *at = strchr (value, '@');
            char service [KF_ID_MAX + 1];
            if (!at || at - value > KF_ID_MAX)
                return kf_err_set (err, "'%s' is not a producer id (expected e.g. intake@c1)", value);
            snprintf (service, sizeof service, "%.*s", (int) (at - value), value);
            return kf_config_valid_id (service) && kf_config_valid_id (at + 1) ? 0
                 : kf_err_set (err, "'%s' is not a producer id (expected e.g. intake@c1)", value);
        }
        case T_ENDPOINT:
            if ((strncmp (value, "ipc://", 6) == 0 && value [6])
            ||  (strncmp (value, "tcp://", 6) == 0 && strchr (value + 6, ':'))
            ||  (strncmp (value, "inproc://", 9) == 0 && value [9]))
                return 0;
            return kf_err_set (err, "'%s' is not an endpoint (expected ipc://path, tcp://host:port or inproc://name)", value);
        case T_LISTEN: {
            const char *colon = strrchr (value, ':');
            char *end;
            long port = colon ? strtol (colon + 1, &end, 10) : 0;
            if (!colon || colon == value || !colon [1] || *end || port < 1 || port > 65535)
                return kf_err_set (err, "'%s' is not host:port (expected e.g. 127.0.0.1:8080)", value);
            return 0;
        }
        case T_PATH:
            return *value ? 0 : kf_err_set (err, "expected a path");
        case T_INT: {
            char *end;
            errno = 0;
            long long v = strtoll (value, &end, 10);
            if (errno || end == value || *end || v < key->min || v > key->max)
                return kf_err_set (err, "'%s' is not an integer from %lld to %lld", value,
                                   (long long) key->min, (long long) key->max);
            return 0;
        }
        case T_DURATION: {
            int64_t ms;
            if (kf_duration_parse (value, &ms, err))
                return -1;
            if (ms < key->min || ms > key->max) {
                char lo [32], hi [32];
                kf_duration_format (key->min, lo, sizeof lo);
                kf_duration_format (key->max, hi, sizeof hi);
                return kf_err_set (err, "'%s' is outside %s..%s", value, lo, hi);
            }
            return 0;
        }
        case T_BOOL:
            return strcmp (value, "true") == 0 || strcmp (value, "false") == 0 ? 0
                 : kf_err_set (err, "'%s' is not true or false", value);
        case T_HOURS: {
            kf_calendar_t *probe = kf_calendar_new (0);
            int rc = probe ? kf_calendar_set_hours (probe, 1, value, err) : kf_err_set (err, "out of memory");
            kf_calendar_destroy (&probe);
            return rc;
        }
        case T_DATES:
            return kf_config_parse_dates (value, NULL, true, err);
        case T_OFFSET: {
            int offset;
            return kf_utc_offset_parse (value, &offset, err);
        }
        case T_LEVEL: {
            kf_log_level_t level;
            return kf_log_level_parse (value, &level) == 0 ? 0
                 : kf_err_set (err, "'%s' is not a log level (error, warning, notice, info or debug)", value);
        }
        case T_TERMS:
            return kf_config_terms (value, NULL, NULL, err);
        case T_DEPARTMENT:
        case T_ROLE: {
            const ProtobufCEnumDescriptor *descriptor = key->type == T_ROLE ? &kf__role__descriptor
                                                                            : &kf__department__descriptor;
            int number;
            if (kf_enum_parse (descriptor, value, &number) || number == 0)
                return kf_err_set (err, "'%s' is not a %s", value, kf_config_type_names [key->type]);
            //  Owners sign in with a code to the register's phone, for
            //  their unit alone: no staff member or token is one.
            if (key->type == T_ROLE && number == KF__ROLE__ROLE_OWNER)
                return kf_err_set (err, "'owner' is no staff role: owners sign in with a code (POST /api/v1/owner_code), "
                                   "not as staff or by a token; a %s", kf_config_type_names [key->type]);
            return 0;
        }
        case T_CATEGORIES: {
            int values [64];
            return kf_config_enum_list (value, &kf__category__descriptor, values, 64, err) < 0 ? -1 : 0;
        }
        case T_SHIFTS: {
            Kf__Shift shifts [KF_ROTA_SHIFTS_MAX];
            return kf_rota_parse (value, shifts, KF_ROTA_SHIFTS_MAX, err) < 0 ? -1 : 0;
        }
        case T_LIMIT: {
            kf_sla_limit_t limit;
            return kf_sla_limit_parse (value, &limit, err);
        }
        case T_CLOCK:
            return strcmp (value, "24x7") == 0 || strcmp (value, "working") == 0 ? 0
                 : kf_err_set (err, "'%s' is not 24x7 or working", value);
        case T_PAUSES: {
            int values [8];
            if (strcmp (value, "none") == 0)
                return 0;
            if (strcmp (value, "any") == 0)
                return kf_err_set (err, "'any' is not a pause reason (name them, or none)");
            return kf_config_enum_list (value, &kf__pause_reason__descriptor, values, 8, err) < 0 ? -1 : 0;
        }
        case T_DAYS: {
            if (strcmp (value, "none") == 0)
                return 0;
            long last = 0;
            for (const char *p = value; *p; ) {
                char *end;
                while (*p == ' ')
                    p++;
                long days = strtol (p, &end, 10);
                if (end == p || days < key->min || days > key->max || days <= last)
                    return kf_err_set (err, "'%s' is not a list of %s", value, kf_config_type_names [key->type]);
                last = days;
                p = end;
                while (*p == ' ')
                    p++;
                if (*p && *p++ != ',')
                    return kf_err_set (err, "'%s' is not a list of %s", value, kf_config_type_names [key->type]);
            }
            return 0;
        }
        case T_MINUTE: {
            const char *p = value;
            int minute;
            if (kf_hhmm_parse (&p, &minute) || *p || minute >= 24 * 60)
                return kf_err_set (err, "'%s' is not a time of day such as 16:00", value);
            return 0;
        }
    }
    return 0;
}

int
kf_config_terms (const char *value, kf_term_fn *fn, void *arg, kf_err_t *err)
{
    assert (value);
    if (strcmp (value, "none") == 0)
        return 0;
    if (strlen (value) > 1000)
        return kf_err_set (err, "more than 1000 bytes of terms");
    const char *p = value;
    while (true) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t n = strcspn (p, ",");
        char term [128];
        while (n && (p [n - 1] == ' ' || p [n - 1] == '\t'))
            n--;
        if (n == 0 || n >= sizeof term)
            return kf_err_set (err, "'%s': expected terms like category:gas, separated by commas", value);
        snprintf (term, sizeof term, "%.*s", (int) n, p);
        char *colon = strchr (term, ':');
        size_t f = 0;
        if (colon) {
            *colon = 0;
            while (f < sizeof s_term_fields / sizeof s_term_fields [0] && strcasecmp (s_term_fields [f].name, term))
                f++;
        }
        if (!colon || f == sizeof s_term_fields / sizeof s_term_fields [0])
            return kf_err_set (err, "'%.*s' is not a term (expected type:, channel:, category:, hazard: or priority: and a value)",
                               (int) n, p);
        int number;
        if (kf_enum_parse (s_term_fields [f].descriptor, colon + 1, &number) || number == 0)
            return kf_err_set (err, "'%s:%s' names no %s", term, colon + 1, term);
        if (fn && fn (s_term_fields [f].name, number, arg))
            return kf_err_set (err, "'%s:%s' is not allowed here", term, colon + 1);
        p += strcspn (p, ",");
        if (!*p)
            return 0;
        p++;
    }
}

int
kf_config_enum_list (const char *value, const ProtobufCEnumDescriptor *descriptor, int *values, size_t max,
                     kf_err_t *err)
{
    assert (value && descriptor && values);
    if (strcmp (value, "any") == 0)
        return 0;
    size_t count = 0;
    const char *p = value;
    while (true) {
        while (*p == ' ')
            p++;
        size_t n = strcspn (p, ",");
        while (n && p [n - 1] == ' ')
            n--;
        char name [64];
        int number;
        if (n == 0 || n >= sizeof name)
            return kf_err_set (err, "'%s': expected names separated by commas, or any", value);
        snprintf (name, sizeof name, "%.*s", (int) n, p);
        if (kf_enum_parse (descriptor, name, &number) || number == 0)
            return kf_err_set (err, "'%s' is not one of %s", name, descriptor->short_name);
        if (count == max)
            return kf_err_set (err, "'%s': more than %zu names", value, max);
        values [count++] = number;
        p += strcspn (p, ",");
        if (!*p)
            return (int) count;
        p++;
    }
}
