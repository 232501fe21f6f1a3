/*  kf_units_csv — an estate's units from CSV, checked whole. See
    kf_units_csv.h.
*/
#include "kf_units_csv.h"
#include "kf_config.h"
#include "kf_field.h"
#include "kf_money.h"
#include "kf_time.h"
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
kf_occupancy_in_use (Kf__Occupancy occupancy)
{
    return occupancy == KF__OCCUPANCY__OCCUPANCY_DECORATING || occupancy == KF__OCCUPANCY__OCCUPANCY_OCCUPIED
        || occupancy == KF__OCCUPANCY__OCCUPANCY_LET;
}

static const char *s_columns [] = {
    "unit", "area_m2", "owner_name", "owner_phone", "occupied", "move_in_date", "building_type", "parking_spaces",
    "occupancy"
};
enum { C_UNIT, C_AREA, C_NAME, C_PHONE, C_OCCUPIED, C_MOVE_IN, C_TYPE, C_PARKING, C_OCCUPANCY, C_COUNT };

static const char *s_occupancies [] = { "", "vacant", "handed_over", "decorating", "occupied", "let" };

//  The fields of one CSV record on one line, RFC 4180 quoting, in place.
//  Returns how many, or -1 when a quote is left open or there are too many.
static int
s_csv_fields (char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    while (true) {
        if (n == max)
            return -1;
        char *out = p;
        fields [n++] = out;
        if (*p == '"') {
            p++;
            while (true) {
                if (*p == 0)
                    return -1;
                if (*p == '"' && p [1] == '"')
                    p++;
                else
                if (*p == '"') {
                    p++;
                    break;
                }
                *out++ = *p++;
            }
            if (*p != ',' && *p != 0)
                return -1;
        }
        else
            while (*p && *p != ',')
                *out++ = *p++;
        bool more = *p == ',';
        if (*p)
            p++;
        *out = 0;
        //  Spaces around an unquoted field are not part of it.
        char *f = fields [n - 1];
        while (*f == ' ')
            f++;
        size_t len = strlen (f);
        while (len && f [len - 1] == ' ')
            f [--len] = 0;
        fields [n - 1] = f;
        if (!more)
            return n;
    }
}

typedef struct {
    int column [C_COUNT];      //  field index of each column, -1 when absent
    Kf__ImportReport *report;
    uint32_t rejected;
    kf_arena_t *arena;
} s_import_t;

static void s_reject (s_import_t *im, int line, const char *format, ...) __attribute__ ((format (printf, 3, 4)));

static void
s_reject (s_import_t *im, int line, const char *format, ...)
{
    im->rejected++;
    if (im->report->n_rejected >= KF_UNITS_CSV_REJECTS)
        return;
    char text [300];
    int used = snprintf (text, sizeof text, "line %d: ", line);
    va_list args;
    va_start (args, format);
    vsnprintf (text + used, sizeof text - (size_t) used, format, args);
    va_end (args);
    im->report->rejected [im->report->n_rejected++] = kf_arena_strdup (im->arena, text);
}

static int
s_header (s_import_t *im, char *line)
{
    char *fields [C_COUNT + 1];
    int n = s_csv_fields (line, fields, C_COUNT + 1);
    for (int c = 0; c < C_COUNT; c++)
        im->column [c] = -1;
    if (n < 0) {
        s_reject (im, 1, "the header names more than the %d known columns, or a quote is open", C_COUNT);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        int c = 0;
        while (c < C_COUNT && strcmp (fields [i], s_columns [c]) != 0)
            c++;
        if (c == C_COUNT || im->column [c] >= 0) {
            s_reject (im, 1, c == C_COUNT ? "unknown column '%s' (unit, area_m2, owner_name, owner_phone, occupied, "
                                            "move_in_date, building_type, parking_spaces, occupancy)"
                                          : "column '%s' is named twice", fields [i]);
            return -1;
        }
        im->column [c] = i;
    }
    if (im->column [C_UNIT] < 0 || im->column [C_AREA] < 0) {
        s_reject (im, 1, "the header must name unit and area_m2");
        return -1;
    }
    return 0;
}

//  One data line into a unit, or a rejection with the first reason.
static Kf__Unit *
s_unit_line (s_import_t *im, const char *estate, char *line, int number)
{
    char *fields [C_COUNT + 1];
    int n = s_csv_fields (line, fields, C_COUNT + 1);
    int want = 0;
    for (int c = 0; c < C_COUNT; c++)
        want += im->column [c] >= 0;
    if (n != want) {
        s_reject (im, number, n < 0 ? "a quote is left open" : "%d fields, the header has %d", n, want);
        return NULL;
    }
    const char *v [C_COUNT];
    for (int c = 0; c < C_COUNT; c++)
        v [c] = im->column [c] >= 0 ? fields [im->column [c]] : "";
    Kf__Unit *u = (Kf__Unit *) kf_arena_message (im->arena, &kf__unit__descriptor);
    if (!u)
        return NULL;
    kf_err_t err;
    int64_t area;
    if (!kf_unit_valid (v [C_UNIT])) {
        s_reject (im, number, "'%s' is not a unit (building-unit-room, e.g. 3-2-1502)", v [C_UNIT]);
        return NULL;
    }
    if (kf_fen_parse (v [C_AREA], &area, &err) || area <= 0 || area > 10000000) {
        s_reject (im, number, "area_m2 '%s' is not an area from 0.01 to 100000 m² with at most two decimals",
                  v [C_AREA]);
        return NULL;
    }
    if (*v [C_NAME] && kf_text_check ("owner_name", v [C_NAME], 100, &err)) {
        s_reject (im, number, "%s", err.text);
        return NULL;
    }
    if (*v [C_PHONE] && !kf_phone_valid (v [C_PHONE])) {
        s_reject (im, number, "owner_phone '%s' is not 5 to 20 digits with an optional leading +", v [C_PHONE]);
        return NULL;
    }
    const char *occupied = v [C_OCCUPIED];
    bool yes = !*occupied || !strcmp (occupied, "yes") || !strcmp (occupied, "true") || !strcmp (occupied, "1")
            || !strcmp (occupied, "occupied");
    bool no = !strcmp (occupied, "no") || !strcmp (occupied, "false") || !strcmp (occupied, "0")
           || !strcmp (occupied, "vacant");
    if (!yes && !no) {
        s_reject (im, number, "occupied '%s' is not yes or no", occupied);
        return NULL;
    }
    int64_t day = 0;
    if (*v [C_MOVE_IN] && kf_date_parse (v [C_MOVE_IN], &day, &err)) {
        s_reject (im, number, "move_in_date: %s", err.text);
        return NULL;
    }
    if (*v [C_TYPE] && !kf_config_valid_id (v [C_TYPE])) {
        s_reject (im, number, "building_type '%s' is not an identifier", v [C_TYPE]);
        return NULL;
    }
    Kf__Occupancy occupancy = yes ? KF__OCCUPANCY__OCCUPANCY_OCCUPIED : KF__OCCUPANCY__OCCUPANCY_VACANT;
    if (*v [C_OCCUPANCY]) {
        int o = 1;
        while (o <= KF__OCCUPANCY__OCCUPANCY_LET && strcmp (v [C_OCCUPANCY], s_occupancies [o]))
            o++;
        if (o > KF__OCCUPANCY__OCCUPANCY_LET) {
            s_reject (im, number, "occupancy '%s' is not vacant, handed_over, decorating, occupied or let",
                      v [C_OCCUPANCY]);
            return NULL;
        }
        occupancy = (Kf__Occupancy) o;
        if (*occupied && yes != kf_occupancy_in_use (occupancy)) {
            s_reject (im, number, "occupied '%s' contradicts occupancy '%s'", occupied, v [C_OCCUPANCY]);
            return NULL;
        }
    }
    char *end;
    long spaces = *v [C_PARKING] ? strtol (v [C_PARKING], &end, 10) : 0;
    if (*v [C_PARKING] && (*end || spaces < 0 || spaces > 50)) {
        s_reject (im, number, "parking_spaces '%s' is not a count from 0 to 50", v [C_PARKING]);
        return NULL;
    }
    u->unit = kf_arena_strdup (im->arena, v [C_UNIT]);
    u->estate = (char *) estate;
    KF_SET (u, area_centi_m2, area);
    u->owner_name = *v [C_NAME] ? kf_arena_strdup (im->arena, v [C_NAME]) : NULL;
    u->owner_phone = *v [C_PHONE] ? kf_arena_strdup (im->arena, v [C_PHONE]) : NULL;
    KF_SET (u, occupancy, occupancy);
    KF_SET (u, occupied, kf_occupancy_in_use (occupancy));
    KF_SET (u, move_in_date, *v [C_MOVE_IN] ? kf_day_to_yyyymmdd (day) : 0);
    u->building_type = kf_arena_strdup (im->arena, *v [C_TYPE] ? v [C_TYPE] : "default");
    KF_SET (u, parking_spaces, (uint32_t) spaces);
    return u;
}

typedef struct {
    const char *unit;
    int line;
} s_seen_t;

static int
s_by_unit (const void *a, const void *b)
{
    const s_seen_t *x = a, *y = b;
    int c = strcmp (x->unit, y->unit);
    return c ? c : x->line - y->line;
}

int
kf_units_csv_parse (const void *csv, size_t size, const char *estate, kf_arena_t *arena, kf_units_csv_t *out)
{
    assert (estate && arena && out);
    memset (out, 0, sizeof *out);
    s_import_t im = { .arena = arena,
                      .report = (Kf__ImportReport *) kf_arena_message (arena, &kf__import_report__descriptor) };
    //  Room for as many units as the file has lines (up to the bound).
    size_t lines = 1;
    for (const uint8_t *p = csv, *end = p + size; p < end && lines <= KF_UNITS_CSV_MAX_LINES; p++)
        lines += *p == '\n';
    char *text = kf_arena_alloc (arena, size + 1);
    Kf__Unit **units = kf_arena_alloc (arena, lines * sizeof *units);
    s_seen_t *seen = kf_arena_alloc (arena, lines * sizeof *seen);
    if (!text || !im.report || !units || !seen
    ||  !(im.report->rejected = kf_arena_alloc (arena, KF_UNITS_CSV_REJECTS * sizeof (char *))))
        return -1;
    out->report = im.report;
    if (size == 0) {
        s_reject (&im, 1, "the CSV is empty");
        out->rejected = im.rejected;
        return -1;
    }
    if (memchr (csv, 0, size)) {
        s_reject (&im, 1, "the CSV holds a NUL byte");
        out->rejected = im.rejected;
        return -1;
    }
    memcpy (text, csv, size);
    text [size] = 0;
    size_t count = 0;
    int number = 0;
    bool header = true;
    for (char *line = text, *next; line; line = next) {
        next = strchr (line, '\n');
        if (next)
            *next++ = 0;
        number++;
        size_t len = strlen (line);
        if (len && line [len - 1] == '\r')
            line [--len] = 0;
        if (len == 0)
            continue;
        if (!kf_utf8_valid (line, len)) {
            s_reject (&im, number, "not UTF-8");
            continue;
        }
        if (header) {
            header = false;
            if (s_header (&im, line))
                break;
            continue;
        }
        if (count == KF_UNITS_CSV_MAX_LINES || count == lines) {
            s_reject (&im, number, "more than %d units in one import", KF_UNITS_CSV_MAX_LINES);
            break;
        }
        Kf__Unit *u = s_unit_line (&im, estate, line, number);
        if (u) {
            seen [count] = (s_seen_t) { u->unit, number };
            units [count++] = u;
        }
    }
    if (header && im.rejected == 0)
        s_reject (&im, 1, "there is no header line");
    qsort (seen, count, sizeof *seen, s_by_unit);
    for (size_t i = 1; i < count; i++)
        if (strcmp (seen [i].unit, seen [i - 1].unit) == 0)
            s_reject (&im, seen [i].line, "unit %s is on line %d too", seen [i].unit, seen [i - 1].line);
    out->rejected = im.rejected;
    KF_SET (im.report, accepted, im.rejected ? 0 : (uint32_t) count);
    if (im.rejected)
        return -1;
    out->units = units;
    out->count = count;
    return 0;
}
