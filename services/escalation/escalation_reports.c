/*  escalation_reports — the on-time report: targets met on time, by
    category, department or estate, and the valid-complaint handling rate,
    from the day tallies for whole days (escalation_tally.c) and from the
    records for the part-days at the ends of its period.
    See escalation_private.h.
*/
#include "escalation_private.h"
#include "kf_tally.h"

//  ---- the on-time report ------------------------------------------------------------------

typedef struct {
    int64_t from_ms, to_ms;
    const char *group_by;
    size_t estate_index;
    uint64_t total [S_CATEGORIES], on_time [S_CATEGORIES];   //  by department or category
    uint64_t *estate_total, *estate_on_time;
    uint64_t complaints, handled;
} s_report_t;

//  Every key of `table` under prefix `estate|` from time `from` (inclusive)
//  to `to` (exclusive), in order: fn (key, value, arg), which returns -1
//  for a record that does not decode (the report fails; it never skips
//  one).
static int
s_range (kf_txn_t *txn, kf_table_t table, const char *estate, int64_t from, int64_t to,
         int (*fn) (kf_val_t key, kf_val_t value, void *arg), void *arg)
{
    kf_key_t start, prefix;
    kf_key_make (&prefix, "s|", estate);
    kf_key_make (&start, "s|t", estate, from);
    kf_cursor_t *cursor = kf_cursor_open (txn, table);
    if (!cursor)
        return -1;
    kf_val_t k, v;
    char id [S_ID_SIZE];
    int64_t at;
    int rc = kf_cursor_seek (cursor, &start, &k, &v);
    while (rc == KF_FOUND && kf_key_has_prefix (k, &prefix)) {
        //  The time follows the estate and its '|'.
        if (k.size < prefix.size + 8 || kf_key_scan (k.data, prefix.size + 8, "s|t", id, sizeof id, &at) || at >= to)
            break;
        if (fn (k, v, arg)) {
            kf_cursor_close (&cursor);
            return kf_txn_fail (txn, "a record of estate %s's report does not decode", estate);
        }
        rc = kf_cursor_next (cursor, &k, &v);
    }
    kf_cursor_close (&cursor);
    return rc < 0 ? -1 : 0;
}

static int
s_count_outcome (kf_val_t key, kf_val_t value, void *arg)
{
    (void) key;
    s_report_t *r = arg;
    Kf__SlaMet *m = (Kf__SlaMet *) kf_codec_unpack (&kf__sla_met__descriptor, value.data, value.size, NULL);
    if (!m)
        return -1;
    int slot = strcmp (r->group_by, "category") == 0 ? (int) m->category : (int) m->department;
    if (strcmp (r->group_by, "estate") == 0) {
        r->estate_total [r->estate_index]++;
        r->estate_on_time [r->estate_index] += m->on_time;
    }
    else
    if (slot >= 0 && slot < S_CATEGORIES) {
        r->total [slot]++;
        r->on_time [slot] += m->on_time;
    }
    kf_codec_free ((ProtobufCMessage **) &m);
    return 0;
}

static int
s_count_complaint (kf_val_t key, kf_val_t value, void *arg)
{
    (void) key;
    s_report_t *r = arg;
    if (value.size != 1)
        return -1;
    r->complaints++;
    r->handled += *(const char *) value.data == '1';
    return 0;
}

//  Whole days' counts from the tallies, as s_count_outcome and
//  s_count_complaint count the records.
static void
s_count_tally (uint32_t what, uint32_t slot, uint32_t which, uint64_t count, void *arg)
{
    s_report_t *r = arg;
    bool by_estate = strcmp (r->group_by, "estate") == 0;
    if (what == ESCALATION_TALLY_COMPLAINTS) {
        if (which == 0)
            r->complaints += count;
        else
            r->handled += count;
        return;
    }
    if (what == ESCALATION_TALLY_CATEGORY && by_estate) {
        if (which == 0)
            r->estate_total [r->estate_index] += count;
        else
            r->estate_on_time [r->estate_index] += count;
        return;
    }
    bool grouped = what == ESCALATION_TALLY_CATEGORY ? strcmp (r->group_by, "category") == 0
                                                     : strcmp (r->group_by, "department") == 0;
    if (grouped && slot < S_CATEGORIES) {
        if (which == 0)
            r->total [slot] += count;
        else
            r->on_time [slot] += count;
    }
}

//  An estate's outcomes and complaints of [from, to): the whole UTC days
//  from the tallies, the part-days at its ends from the records.
static int
s_estate_counts (escalation_t *self, kf_txn_t *txn, const char *estate, s_report_t *r)
{
    int64_t from = r->from_ms, to = r->to_ms, first, last;
    kf_tally_days (from, to, &first, &last);
    if ((from < first && (s_range (txn, self->outcomes, estate, from, first, s_count_outcome, r)
                      ||  s_range (txn, self->complaints, estate, from, first, s_count_complaint, r)))
    ||  (first < last && escalation_tally_read (self, txn, estate, first, last, s_count_tally, r))
    ||  (last < to && (s_range (txn, self->outcomes, estate, last, to, s_count_outcome, r)
                   ||  s_range (txn, self->complaints, estate, last, to, s_count_complaint, r))))
        return -1;
    return 0;
}

static int
s_report_row (Kf__SlaReport *report, kf_arena_t *arena, const char *key, uint64_t total, uint64_t on_time)
{
    if (total == 0)
        return 0;
    Kf__SlaReportRow *row = (Kf__SlaReportRow *) kf_arena_message (arena, &kf__sla_report_row__descriptor);
    if (!row || !(row->key = kf_arena_strdup (arena, key)))
        return -1;
    KF_SET (row, total, total);
    KF_SET (row, on_time, on_time);
    KF_SET (row, on_time_permille, kf_permille (on_time, total));
    report->rows [report->n_rows++] = row;
    return 0;
}

static int
s_report (escalation_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
          kf_arena_t *arena)
{
    const Kf__ReportSla *q = request->report_sla;
    s_report_t r = {
        .from_ms = q->period && q->period->has_from_ms ? q->period->from_ms : INT64_MIN,
        .to_ms = q->period && q->period->has_to_ms ? q->period->to_ms : now_ms,
        .group_by = q->group_by && *q->group_by ? q->group_by : "estate",
    };
    if (strcmp (r.group_by, "estate") && strcmp (r.group_by, "department") && strcmp (r.group_by, "category"))
        return KF_BAD ("group_by is estate, department or category, not '%s'", r.group_by);
    if (r.to_ms <= r.from_ms)
        return KF_BAD ("the period ends before it begins");
    const escalation_estate_t **estates = kf_arena_alloc (arena, (self->base.estate_count + 1) * sizeof *estates);
    r.estate_total = kf_arena_alloc (arena, (self->base.estate_count + 1) * sizeof *r.estate_total);
    r.estate_on_time = kf_arena_alloc (arena, (self->base.estate_count + 1) * sizeof *r.estate_on_time);
    Kf__SlaReport *report = (Kf__SlaReport *) kf_arena_message (arena, &kf__sla_report__descriptor);
    Kf__TimeRange *period = (Kf__TimeRange *) kf_arena_message (arena, &kf__time_range__descriptor);
    if (!estates || !r.estate_total || !r.estate_on_time || !report || !period)
        return kf_txn_fail (txn, "out of memory");
    size_t n;
    if (escalation_estates_of (self, request, q->estate, estates, &n))
        return KF_NOT_FOUND ("unknown estate '%s'", q->estate);
    escalation_tables (self, txn);
    for (size_t i = 0; i < n; i++) {
        r.estate_index = i;
        r.estate_total [i] = r.estate_on_time [i] = 0;
        if (s_estate_counts (self, txn, estates [i]->estate->id, &r))
            return kf_txn_ok (txn) ? kf_txn_fail (txn, "cannot read the outcomes") : -1;
    }
    report->rows = kf_arena_alloc (arena, (n + S_CATEGORIES) * sizeof *report->rows);
    if (!report->rows)
        return kf_txn_fail (txn, "out of memory");
    int rc = 0;
    if (strcmp (r.group_by, "estate") == 0)
        for (size_t i = 0; i < n; i++)
            rc |= s_report_row (report, arena, estates [i]->estate->id, r.estate_total [i], r.estate_on_time [i]);
    else {
        const ProtobufCEnumDescriptor *d = strcmp (r.group_by, "category") == 0 ? &kf__category__descriptor
                                                                                 : &kf__department__descriptor;
        for (int slot = 0; slot < S_CATEGORIES; slot++) {
            char name [48];
            if (r.total [slot])
                rc |= s_report_row (report, arena, slot ? kf_enum_short_name (d, slot, name, sizeof name) : "none",
                                    r.total [slot], r.on_time [slot]);
        }
    }
    if (rc)
        return kf_txn_fail (txn, "out of memory");
    if (q->period && q->period->has_from_ms)
        KF_SET (period, from_ms, r.from_ms);
    KF_SET (period, to_ms, r.to_ms);
    report->period = period;
    report->group_by = (char *) r.group_by;
    KF_SET (report, valid_complaints, r.complaints);
    KF_SET (report, valid_complaints_handled, r.handled);
    KF_SET (report, complaint_handling_permille, r.complaints ? kf_permille (r.handled, r.complaints) : 1000);
    reply->result_case = KF__REPLY__RESULT_SLA_REPORT;
    reply->sla_report = report;
    return 0;
}

int
escalation_handle_request (escalation_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                           Kf__Reply *reply, kf_arena_t *arena)
{
    assert (self && txn && request && reply && arena);
    escalation_tables (self, txn);
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_SHOW_SLA:
            return escalation_show (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_SLA_BOARD:
            return escalation_board (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_REPORT_SLA:
            return s_report (self, txn, now_ms, request, reply, arena);
        default:
            return KF_BAD ("kefu-escalation does not answer this command");
    }
}
