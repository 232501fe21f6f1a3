/*  billing_run — fee schedules by effective date, and the monthly run that
    issues one notice per unit, in chunks, exactly once. See
    billing_private.h.
*/
#include "billing_private.h"

//  ---- fee schedules ----------------------------------------------------------------------------

int
billing_set_schedule (billing_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__SetFeeSchedule *q = request->set_fee_schedule;
    if (!kf_role_manages (request->role))
        return KF_FORBIDDEN ("only a supervisor, a manager or operations sets fee schedules");
    const billing_estate_t *e = billing_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    const Kf__FeeSchedule *f = q->schedule;
    int64_t day;
    if (!f || kf_yyyymmdd_to_day (f->effective_from, &day))
        return KF_BAD ("effective_from is not a date (yyyymmdd)");
    if (f->n_rates == 0)
        return KF_BAD ("a schedule needs a management-fee rate for at least one building type");
    for (size_t i = 0; i < f->n_rates; i++) {
        const Kf__BuildingRate *r = f->rates [i];
        if (!r->building_type || !kf_config_valid_id (r->building_type))
            return KF_BAD ("building type '%s' is not an identifier", r->building_type ? r->building_type : "");
        if (r->fen_per_m2_month < 0 || r->fen_per_m2_month > 100000)
            return KF_BAD ("the rate of %s is not 0 to ¥1000 per m²", r->building_type);
        for (size_t j = 0; j < i; j++)
            if (strcmp (f->rates [j]->building_type, r->building_type) == 0)
                return KF_BAD ("building type %s has two rates", r->building_type);
    }
    if (f->parking_fen_per_space < 0 || f->parking_fen_per_space > 1000000)
        return KF_BAD ("parking is not 0 to ¥10,000 a space");
    for (size_t i = 0; i < f->n_fixed_items; i++) {
        kf_err_t err;
        if (kf_text_check ("name", f->fixed_items [i]->name, 50, &err))
            return KF_BAD ("fixed item %zu: %s", i + 1, err.text);
        if (f->fixed_items [i]->amount_fen < 0 || f->fixed_items [i]->amount_fen > 1000000)
            return KF_BAD ("fixed item %zu: the amount is 0 to ¥10,000 a month", i + 1);
    }
    if (f->vacant_discount_percent > 100)
        return KF_BAD ("vacant_discount_percent is 0 to 100");
    kf_key_t key;
    kf_key_make (&key, "s|u", e->estate->id, f->effective_from);
    kf_txn_put_msg (txn, self->schedules, &key, &f->base);
    kf_notice ("%s: fee schedule from %u set by %s", e->estate->id, f->effective_from,
               request->actor ? request->actor : "unknown");
    reply->result_case = KF__REPLY__RESULT_FEE_SCHEDULE;
    reply->fee_schedule = (Kf__FeeSchedule *) f;
    return kf_txn_ok (txn) ? 0 : -1;
}

//  The schedule in effect on a day: the latest that began by then.
static Kf__FeeSchedule *
s_schedule_on (billing_t *self, kf_txn_t *txn, const char *estate, uint32_t yyyymmdd, kf_arena_t *arena)
{
    kf_key_t key, prefix;
    kf_key_make (&key, "s|u", estate, yyyymmdd + 1);
    kf_key_make (&prefix, "s|", estate);
    kf_cursor_t *cursor = kf_cursor_open (txn, self->schedules);
    kf_val_t k, v;
    Kf__FeeSchedule *found = NULL;
    int rc = cursor ? kf_cursor_seek (cursor, &key, &k, &v) : -1;
    rc = rc == KF_FOUND ? kf_cursor_prev (cursor, &k, &v) : rc == KF_NOTFOUND ? kf_cursor_last (cursor, &k, &v) : rc;
    if (rc == KF_FOUND && kf_key_has_prefix (k, &prefix)) {
        kf_err_t err;
        found = (Kf__FeeSchedule *) kf_codec_unpack_in (arena, &kf__fee_schedule__descriptor, v.data, v.size, &err);
        if (!found)
            kf_txn_fail (txn, "a fee schedule does not decode: %s", err.text);
    }
    kf_cursor_close (&cursor);
    return found;
}

//  ---- the monthly run ---------------------------------------------------------------------------

typedef struct {
    billing_t *self;
    kf_txn_t *txn;
    int64_t now_ms;
    const billing_estate_t *estate;
    uint32_t period;
    const Kf__FeeSchedule *schedule;
    int64_t due_at_ms;
    Kf__BillingRunState *state;
    Kf__BillingRunResult *result;
    uint32_t visited;
    kf_arena_t *arena;           //  the request's
    kf_arena_t *scratch;         //  one unit's
    char error [200];
} s_run_t;

static Kf__InvoiceLine *
s_line (kf_arena_t *arena, Kf__ChargeKind kind, const char *description, int64_t quantity_milli, int64_t amount)
{
    Kf__InvoiceLine *line = (Kf__InvoiceLine *) kf_arena_message (arena, &kf__invoice_line__descriptor);
    if (line) {
        KF_SET (line, kind, kind);
        line->description = kf_arena_strdup (arena, description);
        if (quantity_milli)
            KF_SET (line, quantity_milli, quantity_milli);
        KF_SET (line, amount_fen, amount);
    }
    return line;
}

typedef struct {
    billing_t *self;
    kf_txn_t *txn;
    kf_arena_t *arena;
    Kf__InvoiceLine **lines;
    size_t count, size;
    const char *invoice_no;
} s_pending_t;

//  Paid services waiting for this unit's notice: each a line, marked as
//  charged by it.
static int
s_pending_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) value;
    s_pending_t *p = arg;
    char estate [KF_ID_MAX + 1], unit [S_UNIT_MAX + 1], order_no [128];
    if (kf_key_scan (key.data, key.size, "s|s|s", estate, sizeof estate, unit, sizeof unit, order_no, sizeof order_no))
        return kf_txn_fail (txn, "a pending-charge key does not parse");
    kf_key_t charge_key;
    kf_key_make (&charge_key, "s|s", estate, order_no);
    Kf__ChargeRecord *c = (Kf__ChargeRecord *) kf_txn_find_msg_in (txn, p->self->charges, &charge_key, &kf__charge_record__descriptor,
                                                                   p->arena);
    if (!c || p->count == p->size)
        return kf_txn_ok (txn) ? 1 : -1;
    c->invoice_no = (char *) p->invoice_no;
    kf_txn_put_msg (txn, p->self->charges, &charge_key, &c->base);
    Kf__InvoiceLine *line = s_line (p->arena, KF__CHARGE_KIND__CHARGE_KIND_PAID_SERVICE,
                                    c->charge->description ? c->charge->description : "paid service", 0,
                                    c->charge->amount_fen);
    if (!line)
        return kf_txn_fail (txn, "out of memory");
    line->reference = kf_arena_strdup (p->arena, order_no);
    p->lines [p->count++] = line;
    return 0;
}

//  A notice issued: its line on the unit's statement, the unit's credit
//  paying it first, the notice kept and indexed. `settle` publishes
//  invoice.settled when the credit paid it all (a notice taken back from
//  the archive has its own invoice.settled to come).
void
billing_invoice_book (billing_t *self, kf_txn_t *txn, int64_t at_ms, Kf__Unit *u, Kf__InvoiceIssued *issued,
                      bool settle)
{
    Kf__Invoice invoice = KF__INVOICE__INIT;
    invoice.issued = issued;
    invoice.estate = u->estate;
    KF_SET (&invoice, issued_at_ms, at_ms);
    KF_SET (&invoice, paid_fen, 0);
    char what [S_INVOICE_NO_MAX + 16];
    snprintf (what, sizeof what, "notice %s", issued->invoice_no);
    billing_ledger (self, txn, at_ms, u, what, issued->total_fen, 0);
    //  Credit from earlier over-payments pays the new notice first.
    if (u->credit_fen > 0) {
        int64_t use = u->credit_fen < issued->total_fen ? u->credit_fen : issued->total_fen;
        KF_SET (&invoice, paid_fen, use);
        KF_SET (u, credit_fen, u->credit_fen - use);
    }
    if (settle)
        billing_settle_if_paid (self, txn, at_ms, &invoice, NULL);
    billing_invoice_put (self, txn, &invoice);
    kf_key_t key;
    kf_key_make (&key, "s|s|u", u->estate, u->unit, issued->period);
    kf_txn_put (txn, self->unit_invoices, &key, "", 0);
    billing_unit_put (self, txn, u);
}

static int
s_bill_unit (s_run_t *r, Kf__Unit *u)
{
    billing_t *self = r->self;
    kf_arena_t *arena = r->scratch;
    if (billing_invoice_get (self, r->txn, u->estate, r->period, u->unit, arena)) {
        r->result->skipped_already_billed++;
        return 0;
    }
    int month_days = billing_month_days (r->period);
    int days = billing_days_billed (r->period, u->move_in_date);
    if (days == 0) {
        r->result->not_moved_in++;
        return 0;
    }
    const Kf__FeeSchedule *f = r->schedule;
    const Kf__BuildingRate *rate = NULL;
    //  The unit's building type, else the schedule's "default" rate.
    for (size_t i = 0; i < f->n_rates; i++)
        if (strcmp (f->rates [i]->building_type, u->building_type ? u->building_type : "default") == 0)
            rate = f->rates [i];
    for (size_t i = 0; i < f->n_rates && !rate; i++)
        if (strcmp (f->rates [i]->building_type, "default") == 0)
            rate = f->rates [i];
    if (!rate) {
        snprintf (r->error, sizeof r->error, "the fee schedule from %u has no rate for building type '%s' (unit %s)",
                  f->effective_from, u->building_type ? u->building_type : "default", u->unit);
        return -1;
    }
    char invoice_no [S_INVOICE_NO_MAX], what [120];
    snprintf (invoice_no, sizeof invoice_no, "%s-%06u-%s", u->estate, r->period, u->unit);
    size_t size = 4 + f->n_fixed_items + 64;
    Kf__InvoiceLine **lines = kf_arena_alloc (arena, size * sizeof *lines);
    if (!lines)
        return kf_txn_fail (r->txn, "out of memory");
    size_t n = 0;
    char days_note [40] = "";
    if (days < month_days)
        snprintf (days_note, sizeof days_note, ", %d of %d days", days, month_days);
    snprintf (what, sizeof what, "management fee%s", days_note);
    int64_t management = billing_management_fee (u->area_centi_m2, rate->fen_per_m2_month, days, month_days);
    lines [n++] = s_line (arena, KF__CHARGE_KIND__CHARGE_KIND_MANAGEMENT_FEE, what, u->area_centi_m2 * 10, management);
    if (!u->occupied && f->vacant_discount_percent) {
        //  From the exact fee, not the rounded one: one rounding per line.
        int64_t discount = kf_muldiv_round (u->area_centi_m2 * days * (int64_t) f->vacant_discount_percent,
                                           rate->fen_per_m2_month, 100 * (int64_t) month_days * 100);
        snprintf (what, sizeof what, "vacant unit discount %u %%", f->vacant_discount_percent);
        lines [n++] = s_line (arena, KF__CHARGE_KIND__CHARGE_KIND_DISCOUNT, what, 0, -discount);
    }
    if (u->parking_spaces && f->parking_fen_per_space) {
        snprintf (what, sizeof what, "parking%s", days_note);
        lines [n++] = s_line (arena, KF__CHARGE_KIND__CHARGE_KIND_PARKING, what, (int64_t) u->parking_spaces * 1000,
                              kf_muldiv_round ((int64_t) u->parking_spaces * f->parking_fen_per_space, days, month_days));
    }
    for (size_t i = 0; i < f->n_fixed_items; i++) {
        snprintf (what, sizeof what, "%s%s", f->fixed_items [i]->name, days_note);
        lines [n++] = s_line (arena, KF__CHARGE_KIND__CHARGE_KIND_FIXED, what, 0,
                              kf_muldiv_round (f->fixed_items [i]->amount_fen, days, month_days));
    }
    s_pending_t pending = { self, r->txn, arena, lines, n, size, NULL };
    pending.invoice_no = kf_arena_strdup (arena, invoice_no);
    kf_key_t prefix;
    kf_key_make (&prefix, "s|s|", u->estate, u->unit);
    if (kf_txn_scan (r->txn, self->pending, &prefix, s_pending_row, &pending) < 0)
        return -1;
    for (size_t i = n; i < pending.count; i++) {
        kf_key_t key;
        kf_key_make (&key, "s|s|s", u->estate, u->unit, pending.lines [i]->reference);
        kf_txn_del (r->txn, self->pending, &key);
    }
    n = pending.count;
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!lines [i])
            return kf_txn_fail (r->txn, "out of memory");
        total += lines [i]->amount_fen;
    }
    Kf__InvoiceIssued issued = KF__INVOICE_ISSUED__INIT;
    issued.invoice_no = (char *) pending.invoice_no;
    issued.unit = u->unit;
    KF_SET (&issued, period, r->period);
    issued.lines = lines;
    issued.n_lines = n;
    KF_SET (&issued, total_fen, total);
    KF_SET (&issued, due_at_ms, r->due_at_ms);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_INVOICE_ISSUED;
    event.invoice_issued = &issued;
    kf_emit (self->base.outbox, r->txn, r->now_ms, u->estate, &event, NULL);
    billing_invoice_book (self, r->txn, r->now_ms, u, &issued, true);
    r->result->issued++;
    r->result->total_fen += total;
    return kf_txn_ok (r->txn) ? 0 : -1;
}

//  Bill the units after the run's cursor, up to a chunk. Each unit is
//  found by a fresh seek, as billing it writes to the table walked.
static int
s_run_units (s_run_t *r)
{
    kf_txn_t *txn = r->txn;
    const char *estate = r->estate->estate->id;
    kf_key_t from, prefix;
    kf_key_make (&prefix, "s|", estate);
    if (r->state->cursor)
        kf_key_make (&from, "s|s", estate, r->state->cursor);
    else
        from = prefix;
    kf_cursor_t *cursor = kf_cursor_open (txn, r->self->units);
    if (!cursor)
        return -1;
    kf_val_t k, v;
    int found = kf_cursor_seek (cursor, &from, &k, &v);
    while (found == KF_FOUND && kf_key_has_prefix (k, &prefix) && kf_txn_ok (txn)) {
        char id [KF_ID_MAX + 1], unit [S_UNIT_MAX + 1];
        if (kf_key_scan (k.data, k.size, "s|s", id, sizeof id, unit, sizeof unit)) {
            kf_txn_fail (txn, "a unit key does not parse");
            break;
        }
        if (r->state->cursor && strcmp (unit, r->state->cursor) <= 0) {
            found = kf_cursor_next (cursor, &k, &v);
            continue;
        }
        if (r->visited == BILLING_RUN_CHUNK)
            break;
        kf_arena_reset (r->scratch);
        kf_err_t err;
        Kf__Unit *u = (Kf__Unit *) kf_codec_unpack_in (r->scratch, &kf__unit__descriptor, v.data, v.size, &err);
        if (!u) {
            kf_txn_fail (txn, "unit %s does not decode: %s", unit, err.text);
            break;
        }
        if (s_bill_unit (r, u))
            break;
        r->visited++;
        r->state->cursor = kf_arena_strdup (r->arena, unit);
        kf_key_make (&from, "s|s", estate, unit);
        found = kf_cursor_seek (cursor, &from, &k, &v);
    }
    bool done = found != KF_FOUND || !kf_key_has_prefix (k, &prefix);
    kf_cursor_close (&cursor);
    if (!kf_txn_ok (txn) || r->error [0])
        return -1;
    return done ? 1 : 0;
}

//  The estate's local date now: yyyymmdd.
uint32_t
billing_today (const billing_estate_t *e, int64_t now_ms)
{
    return kf_day_to_yyyymmdd (kf_local_day (now_ms, e->estate->utc_offset_min));
}

//  The month after the estate's current one: yyyymm. Notices are issued at
//  most that far ahead, so a mistyped year bills no one.
static uint32_t
s_next_month (const billing_estate_t *e, int64_t now_ms)
{
    uint32_t month = billing_today (e, now_ms) / 100;
    return month % 100 == 12 ? (month / 100 + 1) * 100 + 1 : month + 1;
}

int
billing_run (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
             kf_arena_t *arena)
{
    const Kf__RunBilling *q = request->run_billing;
    if (!kf_role_manages (request->role))
        return KF_FORBIDDEN ("only a supervisor, a manager or operations runs billing");
    const billing_estate_t *e = billing_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    uint32_t period = q->period;
    if (period / 100 < 2000 || period / 100 > 2999 || period % 100 < 1 || period % 100 > 12)
        return KF_BAD ("period %u is not a month (yyyymm)", period);
    uint32_t next = s_next_month (e, now_ms);
    if (period > next)
        return KF_BAD ("period %04u-%02u is after next month (%04u-%02u): notices are issued at most a month ahead",
                      period / 100, period % 100, next / 100, next % 100);
    s_run_t r = {
        .self = self, .txn = txn, .now_ms = now_ms, .estate = e, .period = period, .arena = arena,
        .scratch = self->base.scratch,
        .result = (Kf__BillingRunResult *) kf_arena_message (arena, &kf__billing_run_result__descriptor),
    };
    if (!r.result)
        return kf_txn_fail (txn, "out of memory");
    r.schedule = s_schedule_on (self, txn, e->estate->id, period * 100 + 1, arena);
    if (!r.schedule)
        return kf_txn_ok (txn) ? KF_BAD ("no fee schedule of %s is in effect on %04u-%02u-01", e->estate->id,
                                        period / 100, period % 100) : -1;
    //  Due by the end of due_day of the month, local time.
    int64_t due_day;
    kf_yyyymmdd_to_day (period * 100 + (uint32_t) e->due_day, &due_day);
    r.due_at_ms = kf_local_day_start (due_day + 1, e->estate->utc_offset_min);
    kf_key_t key;
    kf_key_make (&key, "s|u", e->estate->id, period);
    r.state = (Kf__BillingRunState *) kf_txn_find_msg_in (txn, self->runs, &key, &kf__billing_run_state__descriptor, arena);
    if (!r.state && !kf_txn_ok (txn))
        return -1;
    if (!r.state) {
        r.state = (Kf__BillingRunState *) kf_arena_message (arena, &kf__billing_run_state__descriptor);
        if (!r.state)
            return kf_txn_fail (txn, "out of memory");
        r.state->estate = (char *) e->estate->id;
        KF_SET (r.state, period, period);
    }
    if (r.state->done) {
        //  A new pass: units imported since get their notice; the others are skipped.
        r.state->cursor = NULL;
        KF_SET (r.state, done, 0);
    }
    int rc = s_run_units (&r);
    if (rc < 0)
        return r.error [0] ? KF_BAD ("%s", r.error) : -1;
    bool done = rc == 1;
    KF_SET (r.state, done, done);
    KF_SET (r.state, visited, done ? 0 : r.state->visited + r.visited);
    KF_SET (r.state, issued, r.state->issued + r.result->issued);
    KF_SET (r.state, skipped, r.state->skipped + r.result->skipped_already_billed);
    KF_SET (r.state, total_fen, r.state->total_fen + r.result->total_fen);
    kf_txn_put_msg (txn, self->runs, &key, &r.state->base);
    KF_SET (r.result, period, period);
    r.result->estate = (char *) e->estate->id;
    r.result->has_issued = r.result->has_skipped_already_billed = r.result->has_total_fen = 1;
    r.result->has_not_moved_in = 1;
    //  What is left of this pass: the estate's units it has not visited.
    uint64_t units = billing_unit_count (self, txn, e->estate->id);
    KF_SET (r.result, remaining,
           done || units <= r.state->visited ? (done ? 0 : 1) : (uint32_t) (units - r.state->visited));
    kf_info ("%s: billing %06u: %u issued, %u already billed, %u left", e->estate->id, period, r.result->issued,
             r.result->skipped_already_billed, r.result->remaining);
    reply->result_case = KF__REPLY__RESULT_BILLING_RUN;
    reply->billing_run = r.result;
    return kf_txn_ok (txn) ? 0 : -1;
}
