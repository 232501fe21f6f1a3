/*  billing_payments — payments (oldest notices first, principal before
    late fees, the rest credit) and refunds, idempotent on their
    references, with their receipts. See billing_private.h.
*/
#include "billing_private.h"

//  ---- payments and refunds ---------------------------------------------------------------------

static const char *
s_receipt_no (billing_t *self, kf_txn_t *txn, const char *estate, kf_arena_t *arena)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", "receipts", estate);
    char text [KF_ID_MAX + 24];
    snprintf (text, sizeof text, "%s-R%08" PRIu64, estate, kf_txn_next (txn, self->counters, &key));
    return kf_arena_strdup (arena, text);
}

typedef struct {
    uint32_t periods [512];
    size_t count;
} s_periods_t;

static int
s_period_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) value;
    s_periods_t *p = arg;
    char estate [KF_ID_MAX + 1], unit [S_UNIT_MAX + 1];
    uint32_t period;
    if (p->count == sizeof p->periods / sizeof p->periods [0])
        return 1;
    if (kf_key_scan (key.data, key.size, "s|s|u", estate, sizeof estate, unit, sizeof unit, &period))
        return kf_txn_fail (txn, "a unit's notice key does not parse");
    p->periods [p->count++] = period;
    return 0;
}

//  A payment received, its allocations made: what was over goes to the
//  unit's credit, its line on the statement, its record kept (by its
//  reference, with the hash of the request that made it).
void
billing_payment_book (billing_t *self, kf_txn_t *txn, int64_t at_ms, const char *estate, Kf__Unit *unit,
                      Kf__PaymentReceived *p, uint64_t hash, Kf__PaymentRecord *record)
{
    KF_SET (unit, credit_fen, unit->credit_fen + p->credit_fen);
    char what [S_REF_MAX + KF_ID_MAX + 48];
    snprintf (what, sizeof what, "payment %s, receipt %s", p->payment_ref, p->receipt_no);
    billing_ledger (self, txn, at_ms, unit, what, 0, p->amount_fen);
    billing_unit_put (self, txn, unit);
    record->payment = p;
    record->estate = (char *) estate;
    KF_SET (record, at_ms, at_ms);
    KF_SET (record, refunded_fen, 0);
    KF_SET (record, request_hash, hash);
    kf_key_t key;
    kf_key_make (&key, "s|s", estate, p->payment_ref);
    kf_txn_put_msg (txn, self->payments, &key, &record->base);
}

int
billing_pay (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
             kf_arena_t *arena)
{
    const Kf__Pay *q = request->pay;
    const billing_estate_t *e = billing_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    const char *estate = e->estate->id;
    kf_err_t err;
    if (kf_ref_check ("payment_ref", q->payment_ref, S_REF_MAX, &err))
        return KF_BAD ("%s", err.text);
    if (kf_fen_check_positive (q->amount_fen, BILLING_AMOUNT_MAX, &err))
        return KF_BAD ("%s", err.text);
    if (q->method && kf_text_check ("method", q->method, 20, &err))
        return KF_BAD ("%s", err.text);
    uint64_t hash = kf_codec_digest (&q->base);
    kf_key_t key;
    kf_key_make (&key, "s|s", estate, q->payment_ref);
    Kf__PaymentRecord *known = (Kf__PaymentRecord *) kf_txn_find_msg_in (txn, self->payments, &key,
                                                           &kf__payment_record__descriptor, arena);
    if (known) {
        if (known->request_hash != hash)
            return KF_CONFLICT ("payment_ref %s was used for another payment", q->payment_ref);
        reply->result_case = KF__REPLY__RESULT_PAYMENT;
        reply->payment = known->payment;
        return 0;
    }
    if (!kf_txn_ok (txn))
        return -1;
    if (!q->unit || !kf_unit_valid (q->unit))
        return KF_BAD ("unit '%s' is not a unit (building-unit-room)", q->unit ? q->unit : "");
    Kf__Unit *unit = billing_unit_get (self, txn, estate, q->unit, arena);
    if (!unit)
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no unit %s in %s", q->unit, estate) : -1;
    //  Oldest notice first; within one, principal before late fees.
    s_periods_t *periods = kf_arena_alloc (arena, sizeof *periods);
    Kf__Allocation **allocations = kf_arena_alloc (arena, 512 * sizeof *allocations);
    if (!periods || !allocations)
        return kf_txn_fail (txn, "out of memory");
    periods->count = 0;
    kf_key_t prefix;
    kf_key_make (&prefix, "s|s|", estate, q->unit);
    kf_txn_scan (txn, self->unit_invoices, &prefix, s_period_row, periods);
    int64_t left = q->amount_fen;
    size_t n = 0;
    for (size_t i = 0; i < periods->count && left > 0 && kf_txn_ok (txn); i++) {
        Kf__Invoice *invoice = billing_invoice_get (self, txn, estate, periods->periods [i], q->unit, arena);
        if (!invoice || invoice->settled_at_ms || billing_outstanding (invoice) <= 0)
            continue;
        int64_t take = billing_outstanding (invoice) < left ? billing_outstanding (invoice) : left;
        KF_SET (invoice, paid_fen, invoice->paid_fen + take);
        left -= take;
        Kf__Allocation *a = (Kf__Allocation *) kf_arena_message (arena, &kf__allocation__descriptor);
        if (!a)
            return kf_txn_fail (txn, "out of memory");
        a->invoice_no = invoice->issued->invoice_no;
        KF_SET (a, amount_fen, take);
        allocations [n++] = a;
        billing_settle_if_paid (self, txn, now_ms, invoice, NULL);
        billing_invoice_put (self, txn, invoice);
    }
    Kf__PaymentReceived *p = (Kf__PaymentReceived *) kf_arena_message (arena, &kf__payment_received__descriptor);
    Kf__PaymentRecord *record = (Kf__PaymentRecord *) kf_arena_message (arena, &kf__payment_record__descriptor);
    if (!p || !record)
        return kf_txn_fail (txn, "out of memory");
    p->payment_ref = q->payment_ref;
    p->unit = unit->unit;
    KF_SET (p, amount_fen, q->amount_fen);
    p->allocations = allocations;
    p->n_allocations = n;
    KF_SET (p, credit_fen, left);
    p->receipt_no = (char *) s_receipt_no (self, txn, estate, arena);
    p->method = q->method;
    billing_payment_book (self, txn, now_ms, estate, unit, p, hash, record);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_PAYMENT_RECEIVED;
    event.payment_received = p;
    event.actor = request->actor;
    kf_emit (self->base.outbox, txn, now_ms, estate, &event, NULL);
    reply->result_case = KF__REPLY__RESULT_PAYMENT;
    reply->payment = p;
    return kf_txn_ok (txn) ? 0 : -1;
}

//  A refund of `amount` out of a payment: from the unit's credit first,
//  then from what the payment paid, newest notice first, each notice
//  reopened when it owes again. The reversal is noted in the record (the
//  caller keeps it). Returns what could not be found (0: all of it), or
//  -1 when the transaction failed.
int64_t
billing_refund_reverse (billing_t *self, kf_txn_t *txn, const char *estate, Kf__PaymentRecord *record, Kf__Unit *unit,
                        int64_t amount, kf_arena_t *arena)
{
    const Kf__PaymentReceived *p = record->payment;
    int64_t left = amount;
    int64_t from_credit = unit->credit_fen < left ? unit->credit_fen : left;
    KF_SET (unit, credit_fen, unit->credit_fen - from_credit);
    left -= from_credit;
    int64_t *reversed = kf_arena_alloc (arena, (p->n_allocations + 1) * sizeof *reversed);
    if (!reversed)
        return kf_txn_fail (txn, "out of memory");
    for (size_t i = 0; i < p->n_allocations; i++)
        reversed [i] = i < record->n_reversed_fen ? record->reversed_fen [i] : 0;
    for (size_t i = p->n_allocations; i-- > 0 && left > 0 && kf_txn_ok (txn); ) {
        char id [KF_ID_MAX + 1], unit_id [S_UNIT_MAX + 1];
        uint32_t period;
        if (!billing_invoice_no_parse (p->allocations [i]->invoice_no, id, &period, unit_id))
            continue;
        Kf__Invoice *invoice = billing_invoice_get (self, txn, estate, period, unit_id, arena);
        if (!invoice)
            continue;
        int64_t back = p->allocations [i]->amount_fen - reversed [i];
        if (back > left)
            back = left;
        if (back > invoice->paid_fen)
            back = invoice->paid_fen;
        if (back <= 0)
            continue;
        reversed [i] += back;
        KF_SET (invoice, paid_fen, invoice->paid_fen - back);
        if (billing_outstanding (invoice) > 0)
            KF_SET (invoice, settled_at_ms, 0);
        billing_invoice_put (self, txn, invoice);
        left -= back;
    }
    record->reversed_fen = reversed;
    record->n_reversed_fen = p->n_allocations;
    return kf_txn_ok (txn) ? left : -1;
}

//  A refund made: the payment's record, the refund's, its statement line.
void
billing_refund_book (billing_t *self, kf_txn_t *txn, int64_t at_ms, const char *estate, Kf__Unit *unit,
                     Kf__PaymentRecord *record, Kf__PaymentRefunded *r)
{
    KF_SET (record, refunded_fen, record->refunded_fen + r->amount_fen);
    kf_key_t key;
    kf_key_make (&key, "s|s", estate, r->payment_ref);
    kf_txn_put_msg (txn, self->payments, &key, &record->base);
    kf_key_make (&key, "s|s", estate, r->refund_ref);
    kf_txn_put_msg (txn, self->refunds, &key, &r->base);
    char what [2 * S_REF_MAX + KF_ID_MAX + 48];
    snprintf (what, sizeof what, "refund %s of payment %s, receipt %s", r->refund_ref, r->payment_ref, r->receipt_no);
    billing_ledger (self, txn, at_ms, unit, what, r->amount_fen, 0);
    billing_unit_put (self, txn, unit);
}

int
billing_refund (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                kf_arena_t *arena)
{
    const Kf__Refund *q = request->refund;
    if (!kf_role_manages (request->role))
        return KF_FORBIDDEN ("only a supervisor, a manager or operations refunds");
    const billing_estate_t *e = billing_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    const char *estate = e->estate->id;
    kf_err_t err;
    if (kf_ref_check ("payment_ref", q->payment_ref, S_REF_MAX, &err)
    ||  kf_ref_check ("refund_ref", q->refund_ref, S_REF_MAX, &err))
        return KF_BAD ("%s", err.text);
    if (kf_fen_check_positive (q->amount_fen, BILLING_AMOUNT_MAX, &err))
        return KF_BAD ("%s", err.text);
    if (kf_text_check ("reason", q->reason, 200, &err))
        return KF_BAD ("a refund needs a reason: %s", err.text);
    kf_key_t refund_key, payment_key;
    kf_key_make (&refund_key, "s|s", estate, q->refund_ref);
    Kf__PaymentRefunded *known = (Kf__PaymentRefunded *) kf_txn_find_msg_in (txn, self->refunds, &refund_key,
                                                               &kf__payment_refunded__descriptor, arena);
    if (known) {
        if (strcmp (known->payment_ref, q->payment_ref) != 0 || known->amount_fen != q->amount_fen)
            return KF_CONFLICT ("refund_ref %s was used for another refund", q->refund_ref);
        reply->result_case = KF__REPLY__RESULT_REFUND;
        reply->refund = known;
        return 0;
    }
    kf_key_make (&payment_key, "s|s", estate, q->payment_ref);
    Kf__PaymentRecord *record = (Kf__PaymentRecord *) kf_txn_find_msg_in (txn, self->payments, &payment_key,
                                                            &kf__payment_record__descriptor, arena);
    if (!record)
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no payment %s in %s", q->payment_ref, estate) : -1;
    Kf__PaymentReceived *p = record->payment;
    if (q->amount_fen > p->amount_fen - record->refunded_fen) {
        char left [32];
        return KF_CONFLICT ("payment %s has ¥%s left to refund", q->payment_ref,
                           kf_fen_format (p->amount_fen - record->refunded_fen, left, sizeof left));
    }
    Kf__Unit *unit = billing_unit_get (self, txn, estate, p->unit, arena);
    if (!unit)
        return kf_txn_ok (txn) ? kf_txn_fail (txn, "payment %s names unit %s, which is not there", q->payment_ref,
                                              p->unit) : -1;
    int64_t left = billing_refund_reverse (self, txn, estate, record, unit, q->amount_fen, arena);
    if (left < 0)
        return -1;
    if (left > 0) {
        char short_of [32];
        return KF_CONFLICT ("unit %s is ¥%s short of that refund: its credit and what the payment paid are less",
                           p->unit, kf_fen_format (left, short_of, sizeof short_of));
    }
    Kf__PaymentRefunded *r = (Kf__PaymentRefunded *) kf_arena_message (arena, &kf__payment_refunded__descriptor);
    if (!r)
        return kf_txn_fail (txn, "out of memory");
    r->payment_ref = q->payment_ref;
    r->refund_ref = q->refund_ref;
    r->unit = p->unit;
    KF_SET (r, amount_fen, q->amount_fen);
    r->receipt_no = (char *) s_receipt_no (self, txn, estate, arena);
    r->reason = q->reason;
    billing_refund_book (self, txn, now_ms, estate, unit, record, r);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_PAYMENT_REFUNDED;
    event.payment_refunded = r;
    event.actor = request->actor;
    kf_emit (self->base.outbox, txn, now_ms, estate, &event, NULL);
    reply->result_case = KF__REPLY__RESULT_REFUND;
    reply->refund = r;
    return kf_txn_ok (txn) ? 0 : -1;
}
