/*  billing_import — units from a CSV import, all lines or none, and the
    paged list of an estate's units. See billing_private.h.
*/
#include "billing_private.h"

//  ---- units: the CSV import ---------------------------------------------------------------

static const char *s_columns [] = {
    "unit", "area_m2", "owner_name", "owner_phone", "occupied", "move_in_date", "building_type", "parking_spaces"
};
enum { C_UNIT, C_AREA, C_NAME, C_PHONE, C_OCCUPIED, C_MOVE_IN, C_TYPE, C_PARKING, C_COUNT };

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

static void
s_reject (s_import_t *im, int line, const char *format, ...)
{
    im->rejected++;
    if (im->report->n_rejected >= S_REJECTS_LISTED)
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
                                            "move_in_date, building_type, parking_spaces)"
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
    KF_SET (u, occupied, yes);
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

static bool
s_same_text (const char *a, const char *b)
{
    return strcmp (a ? a : "", b ? b : "") == 0;
}

//  Whether an import changes what is known of a unit.
static bool
s_unit_changed (const Kf__Unit *was, const Kf__Unit *now)
{
    return was->area_centi_m2 != now->area_centi_m2 || !s_same_text (was->owner_name, now->owner_name)
        || !s_same_text (was->owner_phone, now->owner_phone) || was->occupied != now->occupied
        || was->move_in_date != now->move_in_date || !s_same_text (was->building_type, now->building_type)
        || was->parking_spaces != now->parking_spaces;
}

int
billing_import (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                kf_arena_t *arena)
{
    const Kf__ImportUnits *q = request->import_units;
    if (!kf_role_manages (request->role))
        return KF_FORBIDDEN ("only a supervisor, a manager or operations imports units");
    const billing_estate_t *e = billing_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    if (!q->has_csv || q->csv.len == 0)
        return KF_BAD ("the CSV is empty");
    if (memchr (q->csv.data, 0, q->csv.len))
        return KF_BAD ("the CSV holds a NUL byte");
    char *text = kf_arena_alloc (arena, q->csv.len + 1);
    s_import_t im = { .arena = arena, .report = (Kf__ImportReport *) kf_arena_message (arena, &kf__import_report__descriptor) };
    if (!text || !im.report || !(im.report->rejected = kf_arena_alloc (arena, S_REJECTS_LISTED * sizeof (char *))))
        return kf_txn_fail (txn, "out of memory");
    memcpy (text, q->csv.data, q->csv.len);
    text [q->csv.len] = 0;
    Kf__Unit **units = kf_arena_alloc (arena, BILLING_IMPORT_MAX_LINES * sizeof *units);
    s_seen_t *seen = kf_arena_alloc (arena, BILLING_IMPORT_MAX_LINES * sizeof *seen);
    if (!units || !seen)
        return kf_txn_fail (txn, "out of memory");
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
        if (count == BILLING_IMPORT_MAX_LINES) {
            s_reject (&im, number, "more than %d units in one import", BILLING_IMPORT_MAX_LINES);
            break;
        }
        Kf__Unit *u = s_unit_line (&im, e->estate->id, line, number);
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
    KF_SET (im.report, accepted, im.rejected ? 0 : (uint32_t) count);
    if (im.rejected)
        KF_BAD ("%u line%s rejected; nothing imported", im.rejected, im.rejected == 1 ? "" : "s");
    //  Refused or not, the report goes back: it says what to fix.
    reply->result_case = KF__REPLY__RESULT_IMPORT_REPORT;
    reply->import_report = im.report;
    if (im.rejected)
        return -1;
    kf_key_t counter;
    kf_key_make (&counter, "s|s", "units", e->estate->id);
    for (size_t i = 0; i < count && kf_txn_ok (txn); i++) {
        Kf__Unit *u = units [i];
        Kf__Unit *was = billing_unit_get (self, txn, e->estate->id, u->unit, arena);
        if (was && !s_unit_changed (was, u))
            continue;
        if (was) {
            KF_SET (u, credit_fen, was->credit_fen);
            KF_SET (u, balance_fen, was->balance_fen);
        }
        else
            kf_txn_next (txn, self->counters, &counter);
        billing_unit_put (self, txn, u);
        Kf__UnitRegistered registered = KF__UNIT_REGISTERED__INIT;
        registered.unit = u;
        Kf__Envelope event = KF__ENVELOPE__INIT;
        event.body_case = KF__ENVELOPE__BODY_UNIT_REGISTERED;
        event.unit_registered = &registered;
        kf_emit (self->base.outbox, txn, now_ms, e->estate->id, &event, NULL);
    }
    kf_info ("%s: %zu units imported by %s", e->estate->id, count, request->actor ? request->actor : "unknown");
    return kf_txn_ok (txn) ? 0 : -1;
}

uint64_t
billing_unit_count (billing_t *self, kf_txn_t *txn, const char *estate)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", "units", estate);
    return kf_txn_counter (txn, self->counters, &key);
}

typedef struct {
    Kf__UnitList *list;
    kf_arena_t *arena;
} s_units_t;

static int
s_units_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, bool show, void *arg)
{
    (void) key;
    s_units_t *l = arg;
    if (!show)
        return 1;
    kf_err_t err;
    Kf__Unit *u = (Kf__Unit *) kf_codec_unpack_in (l->arena, &kf__unit__descriptor, value.data, value.size, &err);
    if (!u)
        return kf_txn_fail (txn, "a unit record does not decode: %s", err.text);
    l->list->units [l->list->n_units++] = u;
    return 1;
}

int
billing_list_units (billing_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ListUnits *q = request->list_units;
    const billing_estate_t *e = billing_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    uint32_t size = kf_page_size (q->page, BILLING_PAGE_DEFAULT, BILLING_PAGE_MAX);
    s_units_t l = { (Kf__UnitList *) kf_arena_message (arena, &kf__unit_list__descriptor), arena };
    if (!l.list || !(l.list->units = kf_arena_alloc (arena, size * sizeof *l.list->units)))
        return kf_txn_fail (txn, "out of memory");
    kf_key_t prefix, top;
    kf_key_make (&prefix, "s|", e->estate->id);
    kf_key_make (&top, "s|s", e->estate->id, "\x7f");
    kf_page_t page;
    int rc = kf_page_walk (txn, self->units, &prefix, &top, q->page, size, s_units_row, &l, arena, &page);
    if (kf_page_result (rc, reply, arena))
        return -1;
    KF_SET (l.list, total, page.total);
    l.list->next_page_token = page.next_token;
    reply->result_case = KF__REPLY__RESULT_UNITS;
    reply->units = l.list;
    return 0;
}
