/*  billing_arrears — once a local day per estate: a reminder at each step
    of an overdue notice, and late fees after the grace, up to the cap. See
    billing_private.h.
*/
#include "billing_private.h"

//  ---- arrears: once a local day per estate ------------------------------------------------------------

static Kf__ArrearsDay *
s_arrears_day (billing_t *self, kf_txn_t *txn, const billing_estate_t *e, kf_arena_t *arena)
{
    kf_key_t key;
    kf_key_make (&key, "s", e->estate->id);
    return (Kf__ArrearsDay *) kf_txn_find_msg_in (txn, self->arrears, &key, &kf__arrears_day__descriptor, arena);
}

static bool
s_day_has_work (const Kf__ArrearsDay *day, uint32_t today)
{
    return !day || day->day < today || (day->has_cursor && day->cursor.len > 0);
}

bool
billing_arrears_due (billing_t *self, kf_txn_t *txn, int64_t now_ms)
{
    assert (self && txn);
    billing_tables (self, txn);
    kf_arena_reset (self->base.scratch);
    for (size_t i = 0; i < self->base.estate_count; i++)
        if (s_day_has_work (s_arrears_day (self, txn, &self->estates [i], self->base.scratch),
                            billing_today (&self->estates [i], now_ms)))
            return true;
    return false;
}

//  A reminder sent for a notice, kept with it for the statement.
void
billing_keep_reminder (kf_txn_t *txn, Kf__Invoice *invoice, int64_t now_ms, uint32_t step, kf_arena_t *arena)
{
    Kf__InvoiceReminder **all = kf_arena_alloc (arena, (invoice->n_reminders + 1) * sizeof *all);
    Kf__InvoiceReminder *r = (Kf__InvoiceReminder *) kf_arena_message (arena, &kf__invoice_reminder__descriptor);
    if (!all || !r) {
        kf_txn_fail (txn, "out of memory");
        return;
    }
    KF_SET (r, days_overdue, step);
    KF_SET (r, sent_at_ms, now_ms);
    KF_SET (r, outstanding_fen, billing_outstanding (invoice));
    if (invoice->n_reminders)
        memcpy (all, invoice->reminders, invoice->n_reminders * sizeof *all);
    all [invoice->n_reminders] = r;
    invoice->reminders = all;
    invoice->n_reminders++;
}

//  A late fee charged on a notice (its total so far `fee`, `added` of it
//  new): the notice's fee and the unit's statement line.
void
billing_late_fee_book (billing_t *self, kf_txn_t *txn, int64_t at_ms, Kf__Invoice *invoice, int64_t added, int64_t fee,
                       uint32_t days, kf_arena_t *arena)
{
    KF_SET (invoice, late_fee_fen, fee);
    Kf__Unit *unit = billing_unit_get (self, txn, invoice->estate, invoice->issued->unit, arena);
    if (unit) {
        char what [S_INVOICE_NO_MAX + 48];
        snprintf (what, sizeof what, "late fee on %s, %u days", invoice->issued->invoice_no, days);
        billing_ledger (self, txn, at_ms, unit, what, added, 0);
        billing_unit_put (self, txn, unit);
    }
}

//  One overdue notice on a new day: its late fee up to today, and the
//  highest reminder step it has reached and not been sent. The fee accrues
//  exactly and is charged as that total rounded once; a notice that
//  accrued before the exact amount was kept starts from its fee in fen.
static void
s_overdue (billing_t *self, kf_txn_t *txn, int64_t now_ms, const billing_estate_t *e, Kf__Invoice *invoice,
           kf_arena_t *arena)
{
    const Kf__InvoiceIssued *i = invoice->issued;
    int offset = e->estate->utc_offset_min;
    int64_t days_overdue = kf_local_day (now_ms, offset) - kf_local_day (i->due_at_ms - 1, offset);
    if (days_overdue <= 0 || billing_outstanding (invoice) <= 0)
        return;
    bool changed = false;
    int64_t chargeable = days_overdue - e->late_fee_grace_days;
    if (e->late_fee_per_day > 0 && chargeable > invoice->late_fee_days) {
        int64_t unpaid = i->total_fen - invoice->paid_fen;
        int64_t exact = invoice->has_late_fee_exact ? invoice->late_fee_exact
                                                    : invoice->late_fee_fen * BILLING_EXACT_PER_FEN;
        exact = billing_late_fee_accrue (i->total_fen, unpaid > 0 ? unpaid : 0, exact, e->late_fee_per_day,
                                         (int) (chargeable - invoice->late_fee_days), e->late_fee_cap_percent);
        int64_t fee = billing_late_fee_charged (i->total_fen, exact, e->late_fee_cap_percent);
        int64_t added = fee - invoice->late_fee_fen;
        KF_SET (invoice, late_fee_exact, exact);
        KF_SET (invoice, late_fee_days, (uint32_t) chargeable);
        changed = true;
        if (added > 0) {
            billing_late_fee_book (self, txn, now_ms, invoice, added, fee, (uint32_t) chargeable, arena);
            Kf__InvoiceLateFee late = KF__INVOICE_LATE_FEE__INIT;
            late.invoice_no = i->invoice_no;
            late.unit = i->unit;
            KF_SET (&late, amount_fen, added);
            KF_SET (&late, days_overdue, (uint32_t) chargeable);
            KF_SET (&late, total_late_fee_fen, fee);
            Kf__Envelope event = KF__ENVELOPE__INIT;
            event.body_case = KF__ENVELOPE__BODY_INVOICE_LATE_FEE;
            event.invoice_late_fee = &late;
            kf_emit (self->base.outbox, txn, now_ms, invoice->estate, &event, NULL);
        }
    }
    //  Every step reached and not yet sent, in order: billing down over the
    //  7th and the 15th day sends both when it is back, each once.
    for (int s = 0; s < e->step_count; s++) {
        int step = e->steps [s];
        if (step > days_overdue || (uint32_t) step <= invoice->reminder_step)
            continue;
        KF_SET (invoice, reminder_step, (uint32_t) step);
        billing_keep_reminder (txn, invoice, now_ms, (uint32_t) step, arena);
        changed = true;
        Kf__ReminderSent reminder = KF__REMINDER_SENT__INIT;
        reminder.invoice_no = i->invoice_no;
        reminder.unit = i->unit;
        KF_SET (&reminder, days_overdue, (uint32_t) step);
        KF_SET (&reminder, outstanding_fen, billing_outstanding (invoice));
        Kf__Envelope event = KF__ENVELOPE__INIT;
        event.body_case = KF__ENVELOPE__BODY_REMINDER_SENT;
        event.reminder_sent = &reminder;
        kf_emit (self->base.outbox, txn, now_ms, invoice->estate, &event, NULL);
    }
    if (changed)
        billing_invoice_put (self, txn, invoice);
}

int
billing_arrears_step (billing_t *self, kf_txn_t *txn, int64_t now_ms)
{
    assert (self && txn);
    billing_tables (self, txn);
    for (size_t i = 0; i < self->base.estate_count; i++) {
        const billing_estate_t *e = &self->estates [i];
        kf_arena_reset (self->base.scratch);
        uint32_t today = billing_today (e, now_ms);
        Kf__ArrearsDay *day = s_arrears_day (self, txn, e, self->base.scratch);
        if (!kf_txn_ok (txn))
            return -1;
        if (!s_day_has_work (day, today))
            continue;
        Kf__ArrearsDay fresh = KF__ARREARS_DAY__INIT;
        kf_key_t from, prefix;
        kf_key_make (&prefix, "s|", e->estate->id);
        if (!day || day->day < today) {
            day = &fresh;
            fresh.estate = (char *) e->estate->id;
            KF_SET (&fresh, day, today);
            from = prefix;
        }
        else {
            from.size = day->cursor.len <= KF_KEY_MAX ? day->cursor.len : 0;
            memcpy (from.data, day->cursor.data, from.size);
        }
        kf_cursor_t *cursor = kf_cursor_open (txn, self->open);
        kf_val_t k, v;
        int done = 0, found = cursor ? kf_cursor_seek (cursor, &from, &k, &v) : -1;
        kf_key_t next = { 0 };
        while (found == KF_FOUND && kf_key_has_prefix (k, &prefix) && kf_txn_ok (txn)) {
            char estate [KF_ID_MAX + 1], again [KF_ID_MAX + 1], unit [S_UNIT_MAX + 1];
            int64_t due;
            uint32_t period;
            if (kf_key_scan (k.data, k.size, "s|t|s|u|s", estate, sizeof estate, &due, again, sizeof again, &period,
                             unit, sizeof unit) || due > now_ms)
                break;
            if (done == BILLING_ARREARS_CHUNK) {
                next.size = k.size;
                memcpy (next.data, k.data, k.size);
                break;
            }
            Kf__Invoice *invoice = billing_invoice_get (self, txn, estate, period, unit, self->base.scratch);
            if (invoice)
                s_overdue (self, txn, now_ms, e, invoice, self->base.scratch);
            done++;
            //  s_overdue may have written to the table walked: find the next key afresh.
            kf_key_t here;
            kf_key_make (&here, "s|t|s|u|s", estate, due, again, period, unit);
            found = kf_cursor_seek (cursor, &here, &k, &v);
            if (found == KF_FOUND && k.size == here.size && memcmp (k.data, here.data, k.size) == 0)
                found = kf_cursor_next (cursor, &k, &v);
        }
        kf_cursor_close (&cursor);
        day->cursor.data = next.data;
        day->cursor.len = next.size;
        day->has_cursor = 1;
        kf_key_t key;
        kf_key_make (&key, "s", e->estate->id);
        kf_txn_put_msg (txn, self->arrears, &key, &day->base);
        if (done)
            kf_info ("%s: arrears of %u: %d overdue notice%s looked at", e->estate->id, today, done,
                     done == 1 ? "" : "s");
        return kf_txn_ok (txn) ? done : -1;
    }
    return 0;
}
