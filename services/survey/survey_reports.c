/*  survey_reports — satisfaction, the Pareto of the problems found, and
    the daily statistics. See survey_private.h.
*/
#include "survey_private.h"
#include "kf_tally.h"

//  ---- reports ------------------------------------------------------------------------------------

typedef struct {
    char key [S_ID_MAX];
    uint64_t answered, satisfied, score;
} s_group_t;

typedef struct {
    const char *group_by;
    const char *estate;
    s_group_t *groups;
    size_t count, size;
    int64_t to_ms;
} s_satisfaction_t;

//  The report's group of that key, made when new (NULL when full).
static s_group_t *
s_group (s_satisfaction_t *r, const char *key_text)
{
    size_t g = 0;
    while (g < r->count && strcmp (r->groups [g].key, key_text) != 0)
        g++;
    if (g == r->count && r->count < r->size)
        snprintf (r->groups [r->count++].key, S_ID_MAX, "%s", key_text);
    return g < r->count ? &r->groups [g] : NULL;
}

static int
s_satisfaction_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    s_satisfaction_t *r = arg;
    char estate [KF_ID_MAX + 1], visit_id [S_ID_MAX];
    int64_t at;
    if (kf_key_scan (key.data, key.size, "s|t|s", estate, sizeof estate, &at, visit_id, sizeof visit_id))
        return kf_txn_fail (txn, "an outcome key does not parse");
    if (at >= r->to_ms)
        return 1;
    Kf__VisitCompleted *c = (Kf__VisitCompleted *) kf_codec_unpack (&kf__visit_completed__descriptor, value.data,
                                                                     value.size, NULL);
    if (!c)
        return kf_txn_fail (txn, "a visit outcome does not decode");
    char key_text [S_ID_MAX];
    if (strcmp (r->group_by, "department") == 0)
        kf_enum_short_name (&kf__department__descriptor, c->department, key_text, sizeof key_text);
    else
    if (strcmp (r->group_by, "technician") == 0)
        snprintf (key_text, sizeof key_text, "%s", c->technician_id ? c->technician_id : "-");
    else
        snprintf (key_text, sizeof key_text, "%s", r->estate);
    s_group_t *group = s_group (r, key_text);
    if (group) {
        group->answered++;
        group->satisfied += c->satisfaction != KF__SATISFACTION__SATISFACTION_UNSATISFIED;
        group->score += c->score;
    }
    kf_codec_free ((ProtobufCMessage **) &c);
    return 0;
}

typedef struct {
    survey_t *self;
    uint64_t due, on_time;
} s_timeliness_t;

//  Visits due in [from, to), and of those, done within their window.
static int
s_timeliness (s_timeliness_t *t, kf_txn_t *txn, const char *estate, int64_t from, int64_t to, kf_arena_t *arena)
{
    kf_key_t start, prefix;
    kf_key_make (&prefix, "s|", estate);
    //  The index is by -due: from the latest due before `to` (a period
    //  ending at the first instant of time starts at the index's end).
    kf_key_make (&start, "s|t", estate, to - 1 == INT64_MIN ? INT64_MAX : -(to - 1));
    kf_cursor_t *cursor = kf_cursor_open (txn, t->self->by_estate);
    kf_val_t k, v;
    for (int found = cursor ? kf_cursor_seek (cursor, &start, &k, &v) : -1;
         found == KF_FOUND && kf_key_has_prefix (k, &prefix); found = kf_cursor_next (cursor, &k, &v)) {
        char id [KF_ID_MAX + 1], visit_id [S_ID_MAX];
        int64_t minus_due;
        if (kf_key_scan (k.data, k.size, "s|t|s", id, sizeof id, &minus_due, visit_id, sizeof visit_id)
        ||  -minus_due < from)
            break;
        Kf__Visit *visit = survey_visit_get (t->self, txn, visit_id, arena);
        t->due++;
        t->on_time += visit && visit->result && visit->result->on_time;
    }
    kf_cursor_close (&cursor);
    return kf_txn_ok (txn) ? 0 : -1;
}

//  The answers of [from, to), from the records.
static int
s_answers (survey_t *self, kf_txn_t *txn, const char *estate, int64_t from, int64_t to, s_satisfaction_t *r)
{
    kf_key_t start, prefix;
    kf_key_make (&prefix, "s|", estate);
    kf_key_make (&start, "s|t", estate, from);
    kf_cursor_t *cursor = kf_cursor_open (txn, self->outcomes);
    kf_val_t k, v;
    int stop = 0;
    r->to_ms = to;
    for (int found = cursor ? kf_cursor_seek (cursor, &start, &k, &v) : -1;
         found == KF_FOUND && kf_key_has_prefix (k, &prefix) && !stop; found = kf_cursor_next (cursor, &k, &v))
        stop = s_satisfaction_row (txn, k, v, r);
    kf_cursor_close (&cursor);
    return stop < 0 ? -1 : 0;
}

typedef struct {
    s_satisfaction_t *r;
    s_timeliness_t *t;
} s_whole_t;

//  Whole days' counts from the tallies, as the records are counted.
static void
s_tally_row (uint32_t what, const char *name, uint32_t which, uint64_t count, void *arg)
{
    s_whole_t *w = arg;
    if (what == SURVEY_TALLY_DUE) {
        if (which == 0)
            w->t->due += count;
        else
            w->t->on_time += count;
        return;
    }
    const char *group_by = w->r->group_by;
    if ((what == SURVEY_TALLY_ESTATE && strcmp (group_by, "estate") == 0)
    ||  (what == SURVEY_TALLY_DEPARTMENT && strcmp (group_by, "department") == 0)
    ||  (what == SURVEY_TALLY_TECHNICIAN && strcmp (group_by, "technician") == 0)) {
        s_group_t *group = s_group (w->r, what == SURVEY_TALLY_ESTATE ? w->r->estate : name);
        if (group && which == 0)
            group->answered += count;
        else
        if (group && which == 1)
            group->satisfied += count;
        else
        if (group)
            group->score += count;
    }
}

//  An estate's answers and visits due in [from, to): the whole UTC days
//  from the tallies, the part-days at its ends from the records
//  (kf_tally_days; no start at all is s_period's INT64_MIN / 2).
static int
s_estate_counts (survey_t *self, kf_txn_t *txn, const char *estate, int64_t from, int64_t to, s_satisfaction_t *r,
                 s_timeliness_t *t, kf_arena_t *arena)
{
    int64_t first, last;
    kf_tally_days (from, to, &first, &last);
    s_whole_t whole = { r, t };
    if ((from < first && (s_answers (self, txn, estate, from, first, r)
                      ||  s_timeliness (t, txn, estate, from, first, arena)))
    ||  (first < last && survey_tally_read (self, txn, estate, first, last, s_tally_row, &whole))
    ||  (last < to && (s_answers (self, txn, estate, last, to, r) || s_timeliness (t, txn, estate, last, to, arena))))
        return -1;
    return 0;
}

static int
s_period (const Kf__TimeRange *period, int64_t now_ms, int64_t *from, int64_t *to)
{
    *from = period && period->has_from_ms ? period->from_ms : INT64_MIN / 2;
    *to = period && period->has_to_ms ? period->to_ms : now_ms;
    return *to > *from ? 0 : -1;
}

int
survey_report_satisfaction (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                            kf_arena_t *arena)
{
    const Kf__ReportSatisfaction *q = request->report_satisfaction;
    const char *group_by = q->group_by && *q->group_by ? q->group_by : "estate";
    if (strcmp (group_by, "estate") && strcmp (group_by, "department") && strcmp (group_by, "technician"))
        return KF_BAD ("group_by is estate, department or technician, not '%s'", group_by);
    int64_t from, to;
    if (s_period (q->period, now_ms, &from, &to))
        return KF_BAD ("the period ends before it begins");
    const char *only = q->estate && *q->estate ? q->estate : NULL;
    if (only && (!survey_estate (self, only) || !kf_request_sees (request, only)))
        return KF_NOT_FOUND ("unknown estate '%s'", only);
    s_satisfaction_t r = { .group_by = group_by, .size = 1000, .to_ms = to };
    s_timeliness_t t = { .self = self };
    r.groups = kf_arena_alloc (arena, r.size * sizeof *r.groups);
    Kf__SatisfactionReport *report = (Kf__SatisfactionReport *) kf_arena_message (arena,
                                                                                   &kf__satisfaction_report__descriptor);
    if (!r.groups || !report)
        return kf_txn_fail (txn, "out of memory");
    for (size_t i = 0; i < self->base.estate_count; i++) {
        const char *estate = self->estates [i].estate->id;
        if ((only && strcmp (only, estate) != 0) || !kf_request_sees (request, estate))
            continue;
        r.estate = estate;
        if (s_estate_counts (self, txn, estate, from, to, &r, &t, arena))
            return -1;
    }
    report->rows = kf_arena_alloc (arena, (r.count + 1) * sizeof *report->rows);
    Kf__TimeRange *period = (Kf__TimeRange *) kf_arena_message (arena, &kf__time_range__descriptor);
    if (!report->rows || !period)
        return kf_txn_fail (txn, "out of memory");
    for (size_t g = 0; g < r.count; g++) {
        Kf__SatisfactionRow *row = (Kf__SatisfactionRow *) kf_arena_message (arena, &kf__satisfaction_row__descriptor);
        if (!row || !(row->key = kf_arena_strdup (arena, r.groups [g].key)))
            return kf_txn_fail (txn, "out of memory");
        KF_SET (row, answered, r.groups [g].answered);
        KF_SET (row, satisfied, r.groups [g].satisfied);
        KF_SET (row, satisfied_permille, kf_permille (r.groups [g].satisfied, r.groups [g].answered));
        KF_SET (row, mean_score_centi, (uint32_t) kf_muldiv_round ((int64_t) r.groups [g].score, 100,
                                                                  (int64_t) r.groups [g].answered));
        report->rows [report->n_rows++] = row;
    }
    if (q->period && q->period->has_from_ms)
        KF_SET (period, from_ms, from);
    KF_SET (period, to_ms, to);
    report->period = period;
    report->group_by = (char *) group_by;
    KF_SET (report, visits_due, t.due);
    KF_SET (report, visits_on_time, t.on_time);
    reply->result_case = KF__REPLY__RESULT_SATISFACTION;
    reply->satisfaction = report;
    return 0;
}

typedef struct {
    Kf__Category category;
    uint64_t count;
} s_pareto_t;

static int
s_by_count (const void *a, const void *b)
{
    const s_pareto_t *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return (int) x->category - (int) y->category;
}

//  Problem categories, most frequent first, with the running share; the
//  "vital few" are the rows up to the one that reaches 80 %.
int
survey_report_pareto (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                      kf_arena_t *arena)
{
    const Kf__ReportPareto *q = request->report_pareto;
    int64_t from, to;
    if (s_period (q->period, now_ms, &from, &to))
        return KF_BAD ("the period ends before it begins");
    const char *only = q->estate && *q->estate ? q->estate : NULL;
    if (only && (!survey_estate (self, only) || !kf_request_sees (request, only)))
        return KF_NOT_FOUND ("unknown estate '%s'", only);
    s_pareto_t counts [S_CATEGORIES];
    for (int c = 0; c < S_CATEGORIES; c++)
        counts [c] = (s_pareto_t) { c, 0 };
    uint64_t total = 0;
    for (size_t i = 0; i < self->base.estate_count; i++) {
        const char *estate = self->estates [i].estate->id;
        if ((only && strcmp (only, estate) != 0) || !kf_request_sees (request, estate))
            continue;
        kf_key_t start, prefix;
        kf_key_make (&prefix, "s|", estate);
        kf_key_make (&start, "s|t", estate, from);
        kf_cursor_t *cursor = kf_cursor_open (txn, self->problems);
        kf_val_t k, v;
        for (int found = cursor ? kf_cursor_seek (cursor, &start, &k, &v) : -1;
             found == KF_FOUND && kf_key_has_prefix (k, &prefix); found = kf_cursor_next (cursor, &k, &v)) {
            char id [KF_ID_MAX + 1], source [S_ID_MAX];
            int64_t at;
            uint32_t category;
            if (kf_key_scan (k.data, k.size, "s|t|u|s", id, sizeof id, &at, &category, source,
                             sizeof source) || at >= to)
                break;
            if (category < S_CATEGORIES) {
                counts [category].count++;
                total++;
            }
        }
        kf_cursor_close (&cursor);
    }
    qsort (counts, S_CATEGORIES, sizeof *counts, s_by_count);
    Kf__ParetoReport *report = (Kf__ParetoReport *) kf_arena_message (arena, &kf__pareto_report__descriptor);
    Kf__TimeRange *period = (Kf__TimeRange *) kf_arena_message (arena, &kf__time_range__descriptor);
    if (!report || !period || !(report->rows = kf_arena_alloc (arena, S_CATEGORIES * sizeof *report->rows)))
        return kf_txn_fail (txn, "out of memory");
    uint64_t running = 0;
    for (int c = 0; c < S_CATEGORIES && counts [c].count; c++) {
        Kf__ParetoRow *row = (Kf__ParetoRow *) kf_arena_message (arena, &kf__pareto_row__descriptor);
        if (!row)
            return kf_txn_fail (txn, "out of memory");
        KF_SET (row, vital_few, running * 10 < total * 8);
        running += counts [c].count;
        KF_SET (row, category, counts [c].category);
        KF_SET (row, count, counts [c].count);
        KF_SET (row, cumulative_permille, kf_permille (running, total));
        report->rows [report->n_rows++] = row;
    }
    if (q->period && q->period->has_from_ms)
        KF_SET (period, from_ms, from);
    KF_SET (period, to_ms, to);
    report->period = period;
    KF_SET (report, total, total);
    reply->result_case = KF__REPLY__RESULT_PARETO;
    reply->pareto = report;
    return 0;
}

int
survey_daily_report (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                     kf_arena_t *arena)
{
    const Kf__GetDailyReport *q = request->daily_report;
    const survey_estate_t *e = survey_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    uint32_t date = q->date;
    int64_t day;
    if (!date)
        date = kf_day_to_yyyymmdd (kf_local_day (now_ms, e->estate->utc_offset_min) - 1);
    if (kf_yyyymmdd_to_day (date, &day))
        return KF_BAD ("%u is not a date (yyyymmdd)", date);
    kf_key_t key;
    kf_key_make (&key, "s|u", e->estate->id, date);
    Kf__DailyReport *d = (Kf__DailyReport *) kf_txn_find_msg_in (txn, self->days, &key, &kf__daily_report__descriptor,
                                                                 arena);
    if (!d && kf_txn_ok (txn)) {
        d = (Kf__DailyReport *) kf_arena_message (arena, &kf__daily_report__descriptor);
        if (!d)
            return kf_txn_fail (txn, "out of memory");
        d->estate = (char *) e->estate->id;
        KF_SET (d, date, date);
    }
    if (!d)
        return -1;
    reply->result_case = KF__REPLY__RESULT_DAILY_REPORT;
    reply->daily_report = d;
    return 0;
}
