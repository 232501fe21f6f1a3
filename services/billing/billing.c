/*  billing — set-up, the fee arithmetic, the records every part reads and
    writes, the requests' dispatch, paid services from order.completed, and
    what a restore needs. See billing.h; the other parts are named in
    billing_private.h.
*/
#include "billing_private.h"

//  ---- the arithmetic ---------------------------------------------------------------

int
billing_month_days (uint32_t yyyymm)
{
    int year = (int) (yyyymm / 100), month = (int) (yyyymm % 100);
    int64_t first = kf_days_from_civil (year, month, 1);
    int64_t next = month == 12 ? kf_days_from_civil (year + 1, 1, 1) : kf_days_from_civil (year, month + 1, 1);
    return (int) (next - first);
}

int
billing_days_billed (uint32_t yyyymm, uint32_t move_in)
{
    int days = billing_month_days (yyyymm);
    uint32_t first = yyyymm * 100 + 1, last = yyyymm * 100 + (uint32_t) days;
    if (move_in <= first)
        return days;
    if (move_in > last)
        return 0;
    return days - (int) (move_in - first);
}

int64_t
billing_management_fee (int64_t area_centi_m2, int64_t fen_per_m2, int days, int month_days)
{
    return kf_muldiv_round (area_centi_m2 * days, fen_per_m2, 100 * (int64_t) month_days);
}

int64_t
billing_late_fee_accrue (int64_t principal, int64_t unpaid, int64_t exact, int per_day, int days, int cap_percent)
{
    if (per_day <= 0 || days <= 0 || unpaid <= 0)
        return exact;
    int64_t cap = principal * cap_percent * (BILLING_EXACT_PER_FEN / 100);
    int64_t total = exact + unpaid * per_day * days;
    return total > cap ? (exact > cap ? exact : cap) : total;
}

int64_t
billing_late_fee_charged (int64_t principal, int64_t exact, int cap_percent)
{
    int64_t fee = kf_muldiv_round (exact, 1, BILLING_EXACT_PER_FEN);
    int64_t cap = principal * cap_percent / 100;
    return fee < cap ? fee : cap;
}

//  ---- set-up -------------------------------------------------------------------------

static void
s_parse_steps (billing_estate_t *e, const char *value)
{
    e->step_count = 0;
    for (const char *p = value; *p && strcmp (value, "none") != 0 && e->step_count < S_STEPS_MAX; ) {
        char *end;
        long days = strtol (p, &end, 10);
        if (end == p)
            break;
        e->steps [e->step_count++] = (int) days;
        p = end + strspn (end, " ,");
    }
}

//  An estate's own value of a rule, else the group's (in billing_new).
#define S_RULE(key) kf_config_rule (config, id, "billing/" key, path, sizeof path)

billing_t *
billing_new (kf_config_t *config, kf_err_t *err)
{
    assert (config);
    billing_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->estates = kf_domain_init (&self->base, config, sizeof *self->estates, err);
    if (!self->estates) {
        billing_destroy (&self);
        return NULL;
    }
    size_t estates = self->base.estate_count;
    for (size_t i = 0; i < estates; i++) {
        billing_estate_t *e = &self->estates [i];
        char path [128];
        e->estate = kf_config_estate (config, i);
        const char *id = e->estate->id;
        e->due_day = (int) kf_config_int (config, S_RULE ("due_day"));
        s_parse_steps (e, kf_config_str (config, S_RULE ("reminders")));
        e->late_fee_per_day = (int) kf_config_int (config, S_RULE ("late_fee_per_day"));
        e->late_fee_grace_days = (int) kf_config_int (config, S_RULE ("late_fee_grace_days"));
        e->late_fee_cap_percent = (int) kf_config_int (config, S_RULE ("late_fee_cap_percent"));
    }
    return self;
}

void
billing_destroy (billing_t **self_p)
{
    assert (self_p);
    billing_t *self = *self_p;
    if (self) {
        kf_domain_fini (&self->base);
        free (self);
        *self_p = NULL;
    }
}

void
billing_set_outbox (billing_t *self, kf_outbox_t *outbox)
{
    assert (self && outbox);
    self->base.outbox = outbox;
}

const billing_estate_t *
billing_estate (const billing_t *self, const char *id)
{
    return kf_domain_estate (&self->base, id);
}

void
billing_tables (billing_t *self, kf_txn_t *txn)
{
    static const char *const names [] = { BILLING_OWN_TABLES, NULL };
    kf_table_t *const tables [] = { &self->units, &self->schedules, &self->invoices, &self->unit_invoices,
                                    &self->open, &self->payments, &self->refunds, &self->charges, &self->pending,
                                    &self->runs, &self->ledger, &self->arrears, &self->counters, &self->collection };
    kf_domain_tables (&self->base, txn, names, tables);
}

//  ---- records -------------------------------------------------------------------------

Kf__Unit *
billing_unit_get (billing_t *self, kf_txn_t *txn, const char *estate, const char *unit, kf_arena_t *arena)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", estate, unit);
    return (Kf__Unit *) kf_txn_find_msg_in (txn, self->units, &key, &kf__unit__descriptor, arena);
}

void
billing_unit_put (billing_t *self, kf_txn_t *txn, const Kf__Unit *unit)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", unit->estate, unit->unit);
    kf_txn_put_msg (txn, self->units, &key, &unit->base);
}

static void
s_invoice_key (kf_key_t *key, const char *estate, uint32_t period, const char *unit)
{
    kf_key_make (key, "s|u|s", estate, period, unit);
}

Kf__Invoice *
billing_invoice_get (billing_t *self, kf_txn_t *txn, const char *estate, uint32_t period, const char *unit,
                     kf_arena_t *arena)
{
    kf_key_t key;
    s_invoice_key (&key, estate, period, unit);
    return (Kf__Invoice *) kf_txn_find_msg_in (txn, self->invoices, &key, &kf__invoice__descriptor, arena);
}

//  A notice's number, <estate>-<yyyymm>-<unit>, back into its parts. From
//  the right, since estate ids may hold dashes: the unit's three parts,
//  six digits, the estate.
bool
billing_invoice_no_parse (const char *invoice_no, char *estate, uint32_t *period, char *unit)
{
    const char *p = invoice_no + strlen (invoice_no);
    int dashes = 0;
    while (p > invoice_no && dashes < 4)
        if (*--p == '-')
            dashes++;
    if (dashes != 4 || p == invoice_no || p - invoice_no > KF_ID_MAX || strlen (p + 1) < 8 || p [7] != '-'
    ||  strlen (p + 8) > S_UNIT_MAX)
        return false;
    *period = 0;
    for (int i = 1; i <= 6; i++) {
        if (!isdigit ((unsigned char) p [i]))
            return false;
        *period = *period * 10 + (uint32_t) (p [i] - '0');
    }
    snprintf (estate, KF_ID_MAX + 1, "%.*s", (int) (p - invoice_no), invoice_no);
    snprintf (unit, S_UNIT_MAX + 1, "%s", p + 8);
    return *period % 100 >= 1 && *period % 100 <= 12;
}

void
billing_invoice_put (billing_t *self, kf_txn_t *txn, const Kf__Invoice *invoice)
{
    const Kf__InvoiceIssued *i = invoice->issued;
    kf_key_t key, open;
    s_invoice_key (&key, invoice->estate, i->period, i->unit);
    //  What it was, for the collection tallies (most saves are of a
    //  notice the caller read, but not all of them say so).
    ProtobufCMessage *was = NULL;
    if (kf_txn_get_msg (txn, self->invoices, &key, &kf__invoice__descriptor, &was) >= 0)
        billing_collection_move (self, txn, (const Kf__Invoice *) was, invoice);
    kf_codec_free (&was);
    kf_txn_put_msg (txn, self->invoices, &key, &invoice->base);
    kf_key_make (&open, "s|t|s|u|s", invoice->estate, i->due_at_ms, invoice->estate, i->period, i->unit);
    if (invoice->settled_at_ms)
        kf_txn_del (txn, self->open, &open);
    else
        kf_txn_put (txn, self->open, &open, "", 0);
}

int64_t
billing_outstanding (const Kf__Invoice *invoice)
{
    return invoice->issued->total_fen + invoice->late_fee_fen - invoice->paid_fen;
}

//  A line of the unit's statement: the unit's balance moves by debit -
//  credit (the caller puts the unit back).
void
billing_ledger (billing_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Unit *unit, const char *what, int64_t debit,
                int64_t credit)
{
    KF_SET (unit, balance_fen, unit->balance_fen + debit - credit);
    Kf__StatementLine line = KF__STATEMENT_LINE__INIT;
    KF_SET (&line, at_ms, now_ms);
    line.what = (char *) what;
    KF_SET (&line, debit_fen, debit);
    KF_SET (&line, credit_fen, credit);
    KF_SET (&line, balance_fen, unit->balance_fen);
    kf_key_t seq_key, key;
    kf_key_make (&seq_key, "s", "ledger");
    uint64_t seq = kf_txn_next (txn, self->counters, &seq_key);
    kf_key_make (&key, "s|s|t|q", unit->estate, unit->unit, now_ms, seq);
    kf_txn_put_msg (txn, self->ledger, &key, &line.base);
}

void
billing_settle_if_paid (billing_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Invoice *invoice, const char *causation)
{
    if (invoice->settled_at_ms || billing_outstanding (invoice) > 0)
        return;
    KF_SET (invoice, settled_at_ms, now_ms);
    Kf__InvoiceSettled settled = KF__INVOICE_SETTLED__INIT;
    settled.invoice_no = invoice->issued->invoice_no;
    settled.unit = invoice->issued->unit;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_INVOICE_SETTLED;
    event.invoice_settled = &settled;
    kf_emit (self->base.outbox, txn, now_ms, invoice->estate, &event, causation);
}

//  The estate a request names, or its scope's; NULL after a NOT_FOUND or
//  BAD_REQUEST reply.
//  The estate a request is for, as this service keeps it (kf_request_estate).
const billing_estate_t *
billing_request_estate (billing_t *self, const Kf__Request *request, const char *named, Kf__Reply *reply,
                        kf_arena_t *arena)
{
    const kf_estate_t *estate = kf_request_estate (self->base.config, request, named, reply, arena);
    return estate ? billing_estate (self, estate->id) : NULL;
}

//  ---- units and paid services ------------------------------------------------------------------------------

//  A charge to a unit's next notice (a paid service's, a violation's fine),
//  once under its id however often the event is replayed.
static int
s_charge (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event, const char *charge_id,
          const char *unit, int64_t amount_fen, const char *description)
{
    if (amount_fen <= 0 || !charge_id || !*charge_id || !unit || !kf_unit_valid (unit)
    ||  !billing_estate (self, event->estate))
        return 0;
    if (amount_fen > BILLING_AMOUNT_MAX) {
        kf_warning ("%s: a charge of %" PRId64 " fen is beyond any notice: not charged", charge_id, amount_fen);
        return 0;
    }
    kf_arena_reset (self->base.scratch);
    kf_key_t key;
    if (kf_key_make (&key, "s|s", event->estate, charge_id))
        return 0;
    kf_val_t known;
    int rc = kf_txn_get (txn, self->charges, &key, &known);
    if (rc != KF_NOTFOUND)
        return rc == KF_FOUND ? 0 : -1;   //  charged once, however often replayed
    Kf__InvoiceChargeAdded charge = KF__INVOICE_CHARGE_ADDED__INIT;
    charge.charge_id = (char *) charge_id;
    charge.unit = (char *) unit;
    KF_SET (&charge, amount_fen, amount_fen);
    charge.description = (char *) description;
    Kf__ChargeRecord record = KF__CHARGE_RECORD__INIT;
    record.charge = &charge;
    record.estate = event->estate;
    KF_SET (&record, at_ms, kf_event_time (event, now_ms));
    kf_txn_put_msg (txn, self->charges, &key, &record.base);
    kf_key_t pending;
    kf_key_make (&pending, "s|s|s", event->estate, unit, charge_id);
    kf_txn_put (txn, self->pending, &pending, "", 0);
    Kf__Envelope out = KF__ENVELOPE__INIT;
    out.body_case = KF__ENVELOPE__BODY_INVOICE_CHARGE_ADDED;
    out.invoice_charge_added = &charge;
    kf_emit (self->base.outbox, txn, now_ms, event->estate, &out, event->event_id);
    return kf_txn_ok (txn) ? 0 : -1;
}

//  A renovation's money (issue 22.7): its deposit and fees charged on the
//  unit's next notice when its permit is issued, each once under
//  "<id>/deposit" and "<id>/fees"; at completion the deposit comes back as
//  a payment to the unit (billing's own idempotent pay, reference
//  "<id>/deposit-return"): it pays what the unit owes first, the rest is
//  the unit's credit. Only a deposit charged is returned.
static int
s_renovation (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    const Kf__Renovation *r = event->body_case == KF__ENVELOPE__BODY_RENOVATION_APPROVED
                            ? event->renovation_approved->renovation : event->renovation_completed->renovation;
    if (!r || !r->renovation_id || !r->unit || !event->estate || !billing_estate (self, event->estate))
        return 0;
    char id [160], description [200];
    if (event->body_case == KF__ENVELOPE__BODY_RENOVATION_APPROVED) {
        snprintf (id, sizeof id, "%s/deposit", r->renovation_id);
        snprintf (description, sizeof description, "装修押金 renovation deposit, %s", r->renovation_id);
        if (s_charge (self, txn, now_ms, event, id, r->unit, r->deposit_fen, description))
            return -1;
        snprintf (id, sizeof id, "%s/fees", r->renovation_id);
        snprintf (description, sizeof description, "装修管理费 renovation fees, %s", r->renovation_id);
        return s_charge (self, txn, now_ms, event, id, r->unit, r->fees_fen, description);
    }
    kf_key_t key;
    kf_val_t charged;
    snprintf (id, sizeof id, "%s/deposit", r->renovation_id);
    if (r->deposit_fen <= 0 || kf_key_make (&key, "s|s", event->estate, id))
        return 0;
    int rc = kf_txn_get (txn, self->charges, &key, &charged);
    if (rc != KF_FOUND)
        return rc == KF_NOTFOUND ? 0 : -1;
    snprintf (id, sizeof id, "%s/deposit-return", r->renovation_id);
    Kf__Pay pay = KF__PAY__INIT;
    pay.estate = event->estate;
    pay.unit = r->unit;
    KF_SET (&pay, amount_fen, r->deposit_fen);
    pay.payment_ref = id;
    pay.method = "deposit";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_PAY;
    request.pay = &pay;
    request.actor = "billing";
    KF_SET (&request, role, KF__ROLE__ROLE_OPERATIONS);
    Kf__Reply reply = KF__REPLY__INIT;
    reply.status = KF__REPLY_STATUS__REPLY_STATUS_OK;
    kf_arena_reset (self->base.scratch);
    if (billing_pay (self, txn, now_ms, &request, &reply, self->base.scratch)) {
        if (!kf_txn_ok (txn))
            return -1;
        kf_warning ("%s: the deposit of %s is not returned: %s", event->estate, r->renovation_id,
                    reply.error ? reply.error : "refused");
    }
    return kf_txn_ok (txn) ? 0 : -1;
}

int
billing_apply_event (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    assert (self && txn && event);
    billing_tables (self, txn);
    if (event->body_case == KF__ENVELOPE__BODY_UNIT_REGISTERED) {
        const Kf__Unit *u = event->unit_registered->unit;
        if (!u || !u->unit || !kf_unit_valid (u->unit) || !billing_estate (self, event->estate))
            return 0;
        kf_arena_reset (self->base.scratch);
        billing_unit_learn (self, txn, event->estate, u, self->base.scratch);
        return kf_txn_ok (txn) ? 0 : -1;
    }
    char description [200];
    if (event->body_case == KF__ENVELOPE__BODY_ORDER_COMPLETED) {
        const Kf__OrderCompleted *o = event->order_completed;
        if (!o->paid_service)
            return 0;
        snprintf (description, sizeof description, "paid service, order %s", o->order_no ? o->order_no : "");
        return s_charge (self, txn, now_ms, event, o->order_no, o->unit, o->amount_fen, description);
    }
    if (event->body_case == KF__ENVELOPE__BODY_RENOVATION_APPROVED
    ||  event->body_case == KF__ENVELOPE__BODY_RENOVATION_COMPLETED)
        return s_renovation (self, txn, now_ms, event);
    if (event->body_case == KF__ENVELOPE__BODY_VIOLATION_FINED) {
        const Kf__ViolationFined *f = event->violation_fined;
        snprintf (description, sizeof description, "%s", f->description ? f->description : "fine");
        return s_charge (self, txn, now_ms, event, f->violation_id, f->unit, f->amount_fen, description);
    }
    return 0;
}

//  ---- after a restore -------------------------------------------------------------------------

int
billing_restored (billing_t *self, kf_txn_t *txn, const Kf__RestoreMarker *marker, const char *stream,
                  uint64_t restored_head, uint64_t seen_head)
{
    assert (self && txn && marker && stream);
    const char *slash = strrchr (stream, '/');
    if (!slash || seen_head <= restored_head || !kf_config_valid_id (slash + 1))
        return 0;
    billing_tables (self, txn);
    kf_key_t key;
    kf_key_make (&key, "s|s", "receipts", slash + 1);
    kf_txn_add (txn, self->counters, &key, (int64_t) (seen_head - restored_head));
    kf_warning ("%s: receipts of %s skip %llu numbers (what the lost events may have used)", stream, slash + 1,
                (unsigned long long) (seen_head - restored_head));
    return kf_txn_ok (txn) ? 0 : -1;
}

//  "E001-R00000012" -> 12; 0 when it is not a receipt number.
static uint64_t
s_receipt_seq (const char *receipt_no)
{
    const char *r = receipt_no ? strrchr (receipt_no, 'R') : NULL;
    char *end = NULL;
    uint64_t n = r && r > receipt_no && r [-1] == '-' ? strtoull (r + 1, &end, 10) : 0;
    return end && *end == 0 ? n : 0;
}

//  A receipt number taken: the estate's counter goes at least that far.
static void
s_receipt_taken (billing_t *self, kf_txn_t *txn, const char *estate, const char *receipt_no)
{
    uint64_t n = s_receipt_seq (receipt_no);
    kf_key_t key;
    kf_key_make (&key, "s|s", "receipts", estate);
    uint64_t have = kf_txn_counter (txn, self->counters, &key);
    if (n > have)
        kf_txn_add (txn, self->counters, &key, (int64_t) (n - have));
}

//  The notice an event of ours names, or NULL (said).
static Kf__Invoice *
s_recover_invoice (billing_t *self, kf_txn_t *txn, const Kf__Envelope *event, const char *invoice_no)
{
    char estate [KF_ID_MAX + 1], unit [S_UNIT_MAX + 1];
    uint32_t period;
    Kf__Invoice *invoice = invoice_no && billing_invoice_no_parse (invoice_no, estate, &period, unit)
                         ? billing_invoice_get (self, txn, estate, period, unit, self->base.scratch) : NULL;
    if (!invoice && kf_txn_ok (txn))
        kf_warning ("%s %llu: notice %s is neither in the backup nor taken back before it", event->stream,
                    (unsigned long long) event->seq, invoice_no ? invoice_no : "(none)");
    return invoice;
}

int
billing_recover (billing_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    assert (self && txn && event);
    billing_tables (self, txn);
    kf_arena_reset (self->base.scratch);
    kf_arena_t *arena = self->base.scratch;
    const char *estate = event->estate;
    int64_t at = event->occurred_at_ms;
    if (!estate)
        return 0;
    kf_key_t key;
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_UNIT_REGISTERED:
            //  From before the registry kept the units, when billing announced them.
            if (event->unit_registered->unit)
                billing_unit_learn (self, txn, estate, event->unit_registered->unit, arena);
            break;
        case KF__ENVELOPE__BODY_INVOICE_CHARGE_ADDED: {
            Kf__InvoiceChargeAdded *charge = event->invoice_charge_added;
            Kf__ChargeRecord record = KF__CHARGE_RECORD__INIT;
            record.charge = charge;
            record.estate = (char *) estate;
            KF_SET (&record, at_ms, at);
            kf_key_make (&key, "s|s", estate, charge->charge_id);
            kf_txn_put_msg (txn, self->charges, &key, &record.base);
            kf_key_make (&key, "s|s|s", estate, charge->unit, charge->charge_id);
            kf_txn_put (txn, self->pending, &key, "", 0);
            break;
        }
        case KF__ENVELOPE__BODY_INVOICE_ISSUED: {
            Kf__InvoiceIssued *issued = event->invoice_issued;
            Kf__Unit *unit = billing_unit_get (self, txn, estate, issued->unit, arena);
            if (!unit)
                return kf_txn_ok (txn) ? kf_txn_fail (txn, "%s: notice %s of unit %s, which is not there",
                                                      event->stream, issued->invoice_no, issued->unit) : -1;
            //  The paid services it charged are charged.
            for (size_t i = 0; i < issued->n_lines; i++) {
                const char *reference = issued->lines [i]->reference;
                if (!reference)
                    continue;
                kf_key_make (&key, "s|s", estate, reference);
                Kf__ChargeRecord *c = (Kf__ChargeRecord *) kf_txn_find_msg_in (txn, self->charges, &key,
                                                                               &kf__charge_record__descriptor, arena);
                if (c) {
                    c->invoice_no = issued->invoice_no;
                    kf_txn_put_msg (txn, self->charges, &key, &c->base);
                }
                kf_key_make (&key, "s|s|s", estate, issued->unit, reference);
                kf_txn_del (txn, self->pending, &key);
            }
            billing_invoice_book (self, txn, at, unit, issued, false);
            break;
        }
        case KF__ENVELOPE__BODY_INVOICE_SETTLED: {
            Kf__Invoice *invoice = s_recover_invoice (self, txn, event, event->invoice_settled->invoice_no);
            if (invoice) {
                KF_SET (invoice, settled_at_ms, at);
                billing_invoice_put (self, txn, invoice);
            }
            break;
        }
        case KF__ENVELOPE__BODY_INVOICE_LATE_FEE: {
            const Kf__InvoiceLateFee *late = event->invoice_late_fee;
            Kf__Invoice *invoice = s_recover_invoice (self, txn, event, late->invoice_no);
            if (invoice) {
                //  The unrounded accrual is not in the event: it goes on
                //  from the fee in fen, as for a notice from before it was kept.
                invoice->has_late_fee_exact = 0;
                KF_SET (invoice, late_fee_days, late->days_overdue);
                billing_late_fee_book (self, txn, at, invoice, late->amount_fen, late->total_late_fee_fen,
                                       late->days_overdue, arena);
                billing_invoice_put (self, txn, invoice);
            }
            break;
        }
        case KF__ENVELOPE__BODY_REMINDER_SENT: {
            const Kf__ReminderSent *reminder = event->reminder_sent;
            Kf__Invoice *invoice = s_recover_invoice (self, txn, event, reminder->invoice_no);
            if (invoice) {
                KF_SET (invoice, reminder_step, reminder->days_overdue);
                billing_keep_reminder (txn, invoice, at, reminder->days_overdue, arena);
                billing_invoice_put (self, txn, invoice);
            }
            break;
        }
        case KF__ENVELOPE__BODY_PAYMENT_RECEIVED: {
            Kf__PaymentReceived *p = event->payment_received;
            Kf__Unit *unit = billing_unit_get (self, txn, estate, p->unit, arena);
            Kf__PaymentRecord *record = (Kf__PaymentRecord *) kf_arena_message (arena, &kf__payment_record__descriptor);
            if (!unit || !record)
                return kf_txn_ok (txn) ? kf_txn_fail (txn, "%s: payment %s of unit %s, which is not there",
                                                      event->stream, p->payment_ref, p->unit) : -1;
            for (size_t i = 0; i < p->n_allocations; i++) {
                Kf__Invoice *invoice = s_recover_invoice (self, txn, event, p->allocations [i]->invoice_no);
                if (invoice) {
                    KF_SET (invoice, paid_fen, invoice->paid_fen + p->allocations [i]->amount_fen);
                    billing_invoice_put (self, txn, invoice);
                }
            }
            //  The request as the cashier's client sent it: a retry finds the payment.
            Kf__Pay q = KF__PAY__INIT;
            q.estate = (char *) estate;
            q.unit = p->unit;
            KF_SET (&q, amount_fen, p->amount_fen);
            q.payment_ref = p->payment_ref;
            q.method = p->method;
            billing_payment_book (self, txn, at, estate, unit, p, kf_codec_digest (&q.base), record);
            s_receipt_taken (self, txn, estate, p->receipt_no);
            break;
        }
        case KF__ENVELOPE__BODY_PAYMENT_REFUNDED: {
            Kf__PaymentRefunded *r = event->payment_refunded;
            kf_key_make (&key, "s|s", estate, r->payment_ref);
            Kf__PaymentRecord *record = (Kf__PaymentRecord *) kf_txn_find_msg_in (txn, self->payments, &key,
                                                                    &kf__payment_record__descriptor, arena);
            Kf__Unit *unit = record ? billing_unit_get (self, txn, estate, record->payment->unit, arena) : NULL;
            if (!record || !unit)
                return kf_txn_ok (txn) ? kf_txn_fail (txn, "%s: refund %s of payment %s, which is not there",
                                                      event->stream, r->refund_ref, r->payment_ref) : -1;
            if (billing_refund_reverse (self, txn, estate, record, unit, r->amount_fen, arena) < 0)
                return -1;
            billing_refund_book (self, txn, at, estate, unit, record, r);
            s_receipt_taken (self, txn, estate, r->receipt_no);
            break;
        }
        default:
            break;
    }
    //  A charge's cause (order.completed) is kept by its charge record.
    return kf_txn_ok (txn) ? 0 : -1;
}


int
billing_handle_request (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                        Kf__Reply *reply, kf_arena_t *arena)
{
    assert (self && txn && request && reply && arena);
    billing_tables (self, txn);
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_IMPORT_UNITS:
            return KF_BAD ("units are imported by kefu-registry, which announces them to billing");
        case KF__REQUEST__COMMAND_LIST_UNITS:
            return billing_list_units (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_SET_FEE_SCHEDULE:
            return billing_set_schedule (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_RUN_BILLING:
            return billing_run (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_PAY:
            return billing_pay (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_REFUND:
            return billing_refund (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_STATEMENT:
            return billing_statement (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_REPORT_COLLECTION:
            return billing_collection (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_REPORT_ARREARS:
            return billing_arrears_report (self, txn, now_ms, request, reply, arena);
        default:
            return KF_BAD ("kefu-billing does not answer this command");
    }
}
