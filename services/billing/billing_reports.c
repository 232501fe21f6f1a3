/*  billing_reports — a unit's statement, an estate's collection rate by
    month from the collection tallies (kept here too), and its arrears by
    age. See billing_private.h.
*/
#include "billing_private.h"

//  ---- statements and reports --------------------------------------------------------------------

#define S_STATEMENT_MAX 2000   //  lines of a statement shown: the newest
#define S_NOTICES_MAX   120    //  notices of a statement shown in full: the newest (ten years)

typedef struct {
    Kf__StatementLine **lines;
    size_t count;
    kf_arena_t *arena;
} s_statement_t;

static int
s_statement_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) key;
    (void) txn;
    s_statement_t *st = arg;
    Kf__StatementLine *line = (Kf__StatementLine *) msg;
    if (st->count == S_STATEMENT_MAX) {
        memmove (st->lines, st->lines + 1, (S_STATEMENT_MAX - 1) * sizeof *st->lines);
        st->count--;
    }
    st->lines [st->count++] = line;
    return 0;
}

typedef struct {
    billing_t *self;
    Kf__Invoice **notices;
    size_t count;
    kf_arena_t *arena;
} s_notices_t;

//  A unit's notice, newest first, in full: its lines, late fees, reminders.
static int
s_notice_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, bool show, void *arg)
{
    (void) value;
    s_notices_t *n = arg;
    char estate [KF_ID_MAX + 1], unit [S_UNIT_MAX + 1];
    uint32_t period;
    if (!show)
        return 2;
    if (kf_key_scan (key.data, key.size, "s|s|u", estate, sizeof estate, unit, sizeof unit, &period))
        return kf_txn_fail (txn, "a unit's notice key does not parse");
    Kf__Invoice *invoice = billing_invoice_get (n->self, txn, estate, period, unit, n->arena);
    if (!invoice)
        return kf_txn_ok (txn) ? kf_txn_fail (txn, "notice %s-%06u-%s is indexed but not there", estate, period, unit)
                               : -1;
    n->notices [n->count++] = invoice;
    return 1;
}

int
billing_statement (billing_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__GetStatement *q = request->statement;
    const billing_estate_t *e = billing_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    if (!q->unit || !kf_unit_valid (q->unit))
        return KF_BAD ("unit '%s' is not a unit (building-unit-room)", q->unit ? q->unit : "");
    if (!kf_request_sees_unit (request, e->estate->id, q->unit))
        return KF_FORBIDDEN ("an owner sees the statement of their own unit, %s", request->unit);
    Kf__Unit *unit = billing_unit_get (self, txn, e->estate->id, q->unit, arena);
    if (!unit)
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no unit %s in %s", q->unit, e->estate->id) : -1;
    s_statement_t st = { kf_arena_alloc (arena, S_STATEMENT_MAX * sizeof (Kf__StatementLine *)), 0, arena };
    Kf__Statement *statement = (Kf__Statement *) kf_arena_message (arena, &kf__statement__descriptor);
    if (!st.lines || !statement)
        return kf_txn_fail (txn, "out of memory");
    kf_key_t prefix, top;
    kf_key_make (&prefix, "s|s|", e->estate->id, q->unit);
    if (kf_txn_scan_msg_in (txn, self->ledger, &prefix, &kf__statement_line__descriptor, st.arena, s_statement_row,
                            &st) < 0)
        return -1;
    s_notices_t n = { self, kf_arena_alloc (arena, S_NOTICES_MAX * sizeof (Kf__Invoice *)), 0, arena };
    kf_page_t page;
    kf_key_make (&top, "s|s|u", e->estate->id, q->unit, UINT32_MAX);
    if (!n.notices)
        return kf_txn_fail (txn, "out of memory");
    if (kf_page_walk (txn, self->unit_invoices, &prefix, &top, NULL, S_NOTICES_MAX, s_notice_row, &n, arena, &page))
        return -1;
    for (size_t i = 0; i < n.count / 2; i++) {
        Kf__Invoice *newer = n.notices [i];
        n.notices [i] = n.notices [n.count - 1 - i];
        n.notices [n.count - 1 - i] = newer;
    }
    statement->unit = unit->unit;
    statement->lines = st.lines;
    statement->n_lines = st.count;
    statement->notices = n.notices;
    statement->n_notices = n.count;
    KF_SET (statement, balance_fen, unit->balance_fen);
    reply->result_case = KF__REPLY__RESULT_STATEMENT;
    reply->statement = statement;
    return 0;
}

static bool
s_period_valid (uint32_t period)
{
    return period / 100 >= 2000 && period / 100 <= 2999 && period % 100 >= 1 && period % 100 <= 12;
}

//  ---- the collection tallies ------------------------------------------------------------------

#define S_BUILT "built"   //  the tallies' own key: the notices were counted once

//  A notice's part of its month: what it billed, and what was collected
//  of that (late fees are not billed fees).
static void
s_part (const Kf__Invoice *invoice, int64_t *billed, int64_t *collected)
{
    *billed = *collected = 0;
    if (invoice && invoice->issued) {
        *billed = invoice->issued->total_fen;
        *collected = invoice->paid_fen < *billed ? invoice->paid_fen : *billed;
        *collected = *collected < 0 ? 0 : *collected;
    }
}

static void
s_tally_key (kf_key_t *key, const char *estate, uint32_t period, const char *what)
{
    kf_key_make (key, "s|u|s", estate, period, what);
}

void
billing_collection_move (billing_t *self, kf_txn_t *txn, const Kf__Invoice *was, const Kf__Invoice *is)
{
    int64_t billed_was, collected_was, billed, collected;
    s_part (was, &billed_was, &collected_was);
    s_part (is, &billed, &collected);
    const Kf__Invoice *which = is ? is : was;
    if (!which || !which->issued || !which->estate)
        return;
    kf_key_t key;
    if (billed != billed_was) {
        s_tally_key (&key, which->estate, which->issued->period, "billed");
        kf_txn_add (txn, self->collection, &key, billed - billed_was);
    }
    if (collected != collected_was) {
        s_tally_key (&key, which->estate, which->issued->period, "collected");
        kf_txn_add (txn, self->collection, &key, collected - collected_was);
    }
}

static int
s_build_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *message, void *arg)
{
    (void) key;
    void **b = arg;
    (*(uint64_t *) b [1])++;
    billing_collection_move (b [0], txn, NULL, (const Kf__Invoice *) message);
    return kf_txn_ok (txn) ? 0 : -1;
}

int
billing_collection_build (billing_t *self, kf_txn_t *txn, uint64_t *built)
{
    billing_tables (self, txn);
    *built = 0;
    int rc = kf_txn_rebuild_once (txn, self->collection, S_BUILT);
    if (rc <= 0)
        return rc;
    //  A store from before the tallies: every notice counted once, now.
    void *b [2] = { self, built };
    if (kf_txn_scan_msg (txn, self->invoices, NULL, &kf__invoice__descriptor, s_build_row, b) < 0)
        return -1;
    return 0;
}

//  An estate's months from..to: the sums of its tallies.
static void
s_collection_sum (billing_t *self, kf_txn_t *txn, const char *estate, uint32_t from, uint32_t to, int64_t *billed,
                  int64_t *collected)
{
    *billed = *collected = 0;
    kf_key_t start, prefix;
    kf_key_make (&start, "s|u", estate, from);
    kf_key_make (&prefix, "s|", estate);
    kf_cursor_t *cursor = kf_cursor_open (txn, self->collection);
    kf_val_t k, v;
    for (int found = cursor ? kf_cursor_seek (cursor, &start, &k, &v) : -1;
         found == KF_FOUND && kf_key_has_prefix (k, &prefix); found = kf_cursor_next (cursor, &k, &v)) {
        char id [KF_ID_MAX + 1], what [16];
        uint32_t period;
        if (kf_key_scan (k.data, k.size, "s|u|s", id, sizeof id, &period, what, sizeof what) || period > to)
            break;
        uint64_t n;
        if (!kf_val_counter (v, &n)) {
            kf_txn_fail (txn, "a collection tally is not a counter");
            break;
        }
        if (strcmp (what, "billed") == 0)
            *billed += (int64_t) n;
        else
        if (strcmp (what, "collected") == 0)
            *collected += (int64_t) n;
    }
    kf_cursor_close (&cursor);
}

int
billing_collection (billing_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ReportCollection *q = request->report_collection;
    uint32_t from = q->period_from, to = q->has_period_to && q->period_to ? q->period_to : q->period_from;
    if (!s_period_valid (from) || !s_period_valid (to) || to < from)
        return KF_BAD ("the periods are months (yyyymm), the first not after the last");
    Kf__CollectionReport *report = (Kf__CollectionReport *) kf_arena_message (arena, &kf__collection_report__descriptor);
    if (!report || !(report->rows = kf_arena_alloc (arena, (self->base.estate_count + 1) * sizeof *report->rows)))
        return kf_txn_fail (txn, "out of memory");
    const char *only = q->estate && *q->estate ? q->estate : NULL;
    if (only && (!billing_estate (self, only) || !kf_request_sees (request, only)))
        return KF_NOT_FOUND ("unknown estate '%s'", only);
    for (size_t i = 0; i < self->base.estate_count; i++) {
        const char *estate = self->estates [i].estate->id;
        if ((only && strcmp (only, estate) != 0) || !kf_request_sees (request, estate))
            continue;
        int64_t billed, collected;
        s_collection_sum (self, txn, estate, from, to, &billed, &collected);
        Kf__CollectionRow *row = (Kf__CollectionRow *) kf_arena_message (arena, &kf__collection_row__descriptor);
        if (!row)
            return kf_txn_fail (txn, "out of memory");
        row->estate = (char *) estate;
        KF_SET (row, billed_fen, billed);
        KF_SET (row, collected_fen, collected);
        KF_SET (row, rate_permille, kf_permille ((uint64_t) collected, (uint64_t) billed));
        report->rows [report->n_rows++] = row;
    }
    KF_SET (report, period_from, from);
    KF_SET (report, period_to, to);
    reply->result_case = KF__REPLY__RESULT_COLLECTION;
    reply->collection = report;
    return kf_txn_ok (txn) ? 0 : -1;
}

int
billing_arrears_report (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                        kf_arena_t *arena)
{
    const billing_estate_t *e = billing_request_estate (self, request, request->report_arrears->estate, reply, arena);
    if (!e)
        return -1;
    Kf__ArrearsReport *report = (Kf__ArrearsReport *) kf_arena_message (arena, &kf__arrears_report__descriptor);
    if (!report)
        return kf_txn_fail (txn, "out of memory");
    report->estate = (char *) e->estate->id;
    int64_t buckets [4] = { 0 };
    kf_key_t prefix;
    kf_key_make (&prefix, "s|", e->estate->id);
    kf_cursor_t *cursor = kf_cursor_open (txn, self->open);
    kf_val_t k, v;
    int offset = e->estate->utc_offset_min;
    for (int found = cursor ? kf_cursor_seek (cursor, &prefix, &k, &v) : -1;
         found == KF_FOUND && kf_key_has_prefix (k, &prefix) && kf_txn_ok (txn); found = kf_cursor_next (cursor, &k, &v)) {
        char estate [KF_ID_MAX + 1], again [KF_ID_MAX + 1], unit [S_UNIT_MAX + 1];
        int64_t due;
        uint32_t period;
        if (kf_key_scan (k.data, k.size, "s|t|s|u|s", estate, sizeof estate, &due, again, sizeof again, &period,
                         unit, sizeof unit))
            continue;
        if (due > now_ms)
            break;
        Kf__Invoice *invoice = billing_invoice_get (self, txn, estate, period, unit, self->base.scratch);
        if (!invoice)
            continue;
        int64_t days = kf_local_day (now_ms, offset) - kf_local_day (due - 1, offset);
        int bucket = days <= 30 ? 0 : days <= 90 ? 1 : days <= 180 ? 2 : 3;
        buckets [bucket] += billing_outstanding (invoice);
    }
    kf_cursor_close (&cursor);
    kf_arena_reset (self->base.scratch);
    KF_SET (report, days_0_30_fen, buckets [0]);
    KF_SET (report, days_31_90_fen, buckets [1]);
    KF_SET (report, days_91_180_fen, buckets [2]);
    KF_SET (report, days_over_180_fen, buckets [3]);
    reply->result_case = KF__REPLY__RESULT_ARREARS;
    reply->arrears = report;
    return kf_txn_ok (txn) ? 0 : -1;
}
