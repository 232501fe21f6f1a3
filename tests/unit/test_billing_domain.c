/*  Unit tests: billing's domain logic over a real store and outbox, without
    sockets: the arithmetic (rounding half up to the fen, pro rata, late
    fees with grace and cap), units learnt from the registry's events, idempotent and
    chunked billing runs, payments oldest first with credit, refunds, paid
    services charged once, reminders and late fees day by day, statements
    and reports.

    E001 charges late fees: 0.05 % a day after 5 days of grace, at most
    10 % of a notice. E002 keeps the defaults (no late fees).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kf_test_billing.h"

//  ---- the arithmetic -------------------------------------------------------------------------

static void
test_rounding_and_pro_rata (void **state)
{
    (void) state;
    //  89.50 m² at ¥2.35 = ¥210.325 -> ¥210.33; half of November -> ¥105.1625 -> ¥105.16.
    assert_int_equal (billing_management_fee (8950, 235, 30, 30), 21033);
    assert_int_equal (billing_management_fee (8950, 235, 15, 30), 10516);
    assert_int_equal (billing_month_days (202602), 28);
    assert_int_equal (billing_month_days (202802), 29);
    assert_int_equal (billing_month_days (202612), 31);
    assert_int_equal (billing_days_billed (202611, 0), 30);
    assert_int_equal (billing_days_billed (202611, 20261116), 15);
    assert_int_equal (billing_days_billed (202611, 20261101), 30);
    assert_int_equal (billing_days_billed (202611, 20261130), 1);
    assert_int_equal (billing_days_billed (202611, 20261201), 0);
}

static void
test_late_fee_grace_and_cap (void **state)
{
    (void) state;
    //  ¥1,000 unpaid at 0.05 % a day: ¥0.50 a day (5,000 ten-thousandths of a fen); capped at 10 %: ¥100.
    assert_int_equal (billing_late_fee_accrue (100000, 100000, 0, 5, 10, 10), 500 * 10000);
    assert_int_equal (billing_late_fee_accrue (100000, 100000, 500 * 10000, 5, 1, 10), 550 * 10000);
    assert_int_equal (billing_late_fee_accrue (100000, 100000, 9800 * 10000, 5, 10, 10), 10000 * 10000);
    assert_int_equal (billing_late_fee_accrue (100000, 100000, 10000 * 10000, 5, 10, 10), 10000 * 10000);
    //  Only on unpaid principal: half paid, half the fee; nothing unpaid, nothing.
    assert_int_equal (billing_late_fee_accrue (100000, 50000, 0, 5, 10, 10), 250 * 10000);
    assert_int_equal (billing_late_fee_accrue (100000, 0, 700 * 10000, 5, 10, 10), 700 * 10000);
    //  Off: no fee.
    assert_int_equal (billing_late_fee_accrue (100000, 100000, 0, 0, 10, 10), 0);
    //  Issue 15: ¥1,683.60 unpaid at 0.05 % a day is ¥0.8418 a day; 11 days
    //  are ¥9.2598, charged ¥9.26 (rounded once), not 11 × ¥0.84 = ¥9.24.
    int64_t exact = billing_late_fee_accrue (168360, 168360, 0, 5, 11, 1);
    assert_int_equal (exact, 9259800);
    assert_int_equal (billing_late_fee_charged (168360, exact, 1), 926);
    //  Day by day, on whatever was unpaid each day, the same.
    exact = 0;
    for (int day = 0; day < 11; day++)
        exact = billing_late_fee_accrue (168360, 168360, exact, 5, 1, 1);
    assert_int_equal (billing_late_fee_charged (168360, exact, 1), 926);
    //  Its 1 % cap is ¥16.836: the fee stops at ¥16.83, never the ¥16.84 rounding would make.
    exact = billing_late_fee_accrue (168360, 168360, exact, 5, 30, 1);
    assert_int_equal (exact, 16836000);
    assert_int_equal (billing_late_fee_charged (168360, exact, 1), 1683);
    assert_int_equal (billing_late_fee_charged (168360, 16834999, 1), 1683);   //  ¥16.834999: rounds to ¥16.83
    assert_int_equal (billing_late_fee_charged (168360, 16825000, 1), 1683);   //  ¥16.825 rounds up
    assert_int_equal (billing_late_fee_charged (168360, 16824999, 1), 1682);
}

//  ---- units ---------------------------------------------------------------------------------

//  Units come from the registry's events; the estate guard holds on
//  their list and statements. (The import itself: test_registry_domain.)
static void
test_units_from_the_registry (void **state)
{
    (void) state;
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);   //  again: no change
    Kf__ListUnits list = KF__LIST_UNITS__INIT;
    list.estate = "E001";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_LIST_UNITS;
    request.list_units = &list;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.units->total, 5);
    for (size_t i = 0; i < w.reply.units->n_units; i++) {
        const Kf__Unit *u = w.reply.units->units [i];
        bool vacant = strcmp (u->unit, "1-1-102") == 0;
        assert_int_equal (u->occupancy, vacant ? KF__OCCUPANCY__OCCUPANCY_VACANT : KF__OCCUPANCY__OCCUPANCY_OCCUPIED);
        assert_int_equal (u->occupied, !vacant);
    }
    //  The estate guard: a caller bound to E002 sees none of E001's units,
    //  nor a unit's statement.
    request.scope = "E002";
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    Kf__GetStatement statement = KF__GET_STATEMENT__INIT;
    statement.estate = "E001";
    statement.unit = "1-1-101";
    request.command_case = KF__REQUEST__COMMAND_STATEMENT;
    request.statement = &statement;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    //  An owner of 1-1-101 sees their own statement, not their neighbour's.
    request.scope = "E001";
    request.unit = "1-1-101";
    KF_SET (&request, role, KF__ROLE__ROLE_OWNER);
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (w.reply.statement->unit, "1-1-101");
    statement.unit = "1-1-102";
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    request.unit = NULL;
    request.has_role = 0;
    request.command_case = KF__REQUEST__COMMAND_LIST_UNITS;
    request.list_units = &list;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    //  Billing imports nothing itself now.
    Kf__ImportUnits import = KF__IMPORT_UNITS__INIT;
    import.estate = "E001";
    request.command_case = KF__REQUEST__COMMAND_IMPORT_UNITS;
    request.import_units = &import;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_non_null (strstr (w.reply.error, "kefu-registry"));
}

//  ---- the monthly run ----------------------------------------------------------------------------

static void
test_billing_run_idempotent (void **state)
{
    (void) state;
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    Kf__RunBilling run = KF__RUN_BILLING__INIT;
    run.estate = "E001";
    run.period = 202611;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_RUN_BILLING;
    request.run_billing = &run;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_string_equal (w.reply.error, "no fee schedule of E001 is in effect on 2026-11-01");
    s_schedule ("E001", 20260101, 235, 400);
    s_events ();
    const Kf__BillingRunResult *r = s_run ("E001", 202611);
    assert_int_equal (r->issued, 4);
    assert_int_equal (r->not_moved_in, 1);
    assert_int_equal (r->remaining, 0);
    //  101: ¥210.33 + garbage ¥10.00                                  = ¥220.33
    //  102: 120 m² × ¥2.35 = ¥282.00, vacant -30 % ¥84.60, parking ¥300, garbage = ¥507.40
    //  103: moved in on the 16th: ¥105.16 + ¥5.00                       = ¥110.16
    //  9-1-1: 300.25 m² × ¥4.00 = ¥1,201.00, 2 spaces ¥600, garbage     = ¥1,811.00
    assert_string_equal (s_events (), "issued(220.33) issued(507.40) issued(110.16) issued(1811.00)");
    assert_int_equal (r->total_fen, 22033 + 50740 + 11016 + 181100);
    r = s_run ("E001", 202611);
    assert_int_equal (r->issued, 0);
    assert_int_equal (r->skipped_already_billed, 4);
    assert_string_equal (s_events (), "");
    assert_int_equal (s_statement ("1-1-102")->balance_fen, 50740);
    //  Next month at most, by the service's clock (a mistyped year bills no one).
    run.period = 202701;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_string_equal (w.reply.error, "period 2027-01 is after next month (2026-12): notices are issued at most "
                                        "a month ahead");
    run.period = 203101;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_string_equal (s_events (), "");
    //  A new rate from December applies from December.
    s_schedule ("E001", 20261201, 250, 400);
    r = s_run ("E001", 202612);
    assert_int_equal (r->issued, 5);
    assert_non_null (strstr (s_events (), "issued(233.75)"));   //  89.50 × ¥2.50 = ¥223.75 + ¥10
}

static void
test_run_in_chunks (void **state)
{
    (void) state;
    enum { UNITS = BILLING_RUN_CHUNK * 2 + 1234 };
    size_t size = 64 + (size_t) UNITS * 32;
    char *csv = malloc (size);
    assert_non_null (csv);
    size_t used = (size_t) snprintf (csv, size, "unit,area_m2,building_type\n");
    for (int i = 0; i < UNITS; i++)
        used += (size_t) snprintf (csv + used, size - used, "%d-%d-%d,100,villa\n", i / 10000 + 1, i / 100 % 100 + 1,
                                   i % 100 + 1);
    assert_int_equal (s_import ("E002", csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    free (csv);
    s_schedule ("E002", 20260101, 200, 200);
    uint32_t issued = 0;
    const Kf__BillingRunResult *r = s_run ("E002", 202611);
    issued += r->issued;
    assert_int_equal (r->issued, BILLING_RUN_CHUNK);
    assert_int_equal (r->remaining, UNITS - BILLING_RUN_CHUNK);
    r = s_run ("E002", 202611);
    issued += r->issued;
    assert_int_equal (r->remaining, UNITS - 2 * BILLING_RUN_CHUNK);
    r = s_run ("E002", 202611);
    issued += r->issued;
    assert_int_equal (r->remaining, 0);
    assert_int_equal (issued, UNITS);
    //  A whole new pass issues nothing.
    for (int pass = 0; pass < 3; pass++) {
        r = s_run ("E002", 202611);
        assert_int_equal (r->issued, 0);
    }
    assert_int_equal (r->remaining, 0);
}

//  ---- payments ------------------------------------------------------------------------------------

//  Issue 17.2: after a restore, receipt numbers the lost payments may have
//  used are skipped, never given again.
typedef struct {
    const char *stream;
    uint64_t restored, seen;
} s_restored_t;

static int
s_restored_txn (kf_txn_t *txn, void *arg)
{
    s_restored_t *r = arg;
    Kf__RestoreMarker marker = KF__RESTORE_MARKER__INIT;
    return billing_restored (w.billing, txn, &marker, r->stream, r->restored, r->seen);
}

static void
test_restore_skips_the_receipts_lost_events_used (void **state)
{
    (void) state;
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    s_schedule ("E001", 20260101, 235, 400);
    s_run ("E001", 202610);
    assert_int_equal (s_pay ("1-1-101", 1000, "P1"), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (w.reply.payment->receipt_no, "E001-R00000001");
    //  The backup held 7 events of E001's stream; the cluster had seen 12.
    s_restored_t r = { "billing@c1/E001", 7, 12 };
    assert_int_equal (kf_store_write (w.base.store, s_restored_txn, &r, NULL), 0);
    assert_int_equal (s_pay ("1-1-101", 1000, "P2"), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (w.reply.payment->receipt_no, "E001-R00000007");
    //  Nothing lost, or another estate's stream: nothing skipped.
    s_restored_t none = { "billing@c1/E001", 12, 12 };
    assert_int_equal (kf_store_write (w.base.store, s_restored_txn, &none, NULL), 0);
    assert_int_equal (s_pay ("1-1-101", 1000, "P3"), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (w.reply.payment->receipt_no, "E001-R00000008");
}

static void
test_payments_oldest_first_with_credit (void **state)
{
    (void) state;
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    s_schedule ("E001", 20260101, 235, 400);
    s_run ("E001", 202610);
    s_run ("E001", 202611);
    s_events ();
    //  101 owes ¥220.33 for October and November each.
    assert_int_equal (s_pay ("1-1-101", 30000, "WX1"), KF__REPLY_STATUS__REPLY_STATUS_OK);
    const Kf__PaymentReceived *p = w.reply.payment;
    assert_int_equal (p->n_allocations, 2);
    assert_string_equal (p->allocations [0]->invoice_no, "E001-202610-1-1-101");
    assert_int_equal (p->allocations [0]->amount_fen, 22033);
    assert_int_equal (p->allocations [1]->amount_fen, 7967);
    assert_int_equal (p->credit_fen, 0);
    char receipt [64];
    snprintf (receipt, sizeof receipt, "%s", p->receipt_no);
    assert_string_equal (s_events (), "invoice.settled payment.received");
    //  The same payment again: the same receipt, nothing new; another amount: refused.
    assert_int_equal (s_pay ("1-1-101", 30000, "WX1"), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (w.reply.payment->receipt_no, receipt);
    assert_int_equal (s_pay ("1-1-101", 30001, "WX1"), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);
    assert_string_equal (s_events (), "");
    //  Over-payment: the rest of November, then credit, which pays December.
    assert_int_equal (s_pay ("1-1-101", 50000, "WX2"), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.payment->credit_fen, 50000 - 14066);
    assert_int_equal (s_statement ("1-1-101")->balance_fen, -35934);
    s_run ("E001", 202612);
    assert_int_equal (s_statement ("1-1-101")->balance_fen, -35934 + 22033);
    assert_non_null (strstr (s_events (), "invoice.settled"));
    //  Refunds: from credit first, then undoing the payment's allocations.
    assert_int_equal (s_refund ("WX2", 20000, "RF1"), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (s_statement ("1-1-101")->balance_fen, -35934 + 22033 + 20000);
    assert_int_equal (s_refund ("WX2", 20000, "RF1"), KF__REPLY_STATUS__REPLY_STATUS_OK);   //  replayed
    assert_int_equal (s_refund ("WX2", 30001, "RF2"), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);
    assert_non_null (strstr (w.reply.error, "has ¥300.00 left to refund"));
    //  The rest of WX2 became credit that paid December: it cannot go back.
    assert_int_equal (s_refund ("WX2", 30000, "RF2"), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);
    assert_non_null (strstr (w.reply.error, "¥220.33 short"));
    assert_int_equal (s_refund ("WX2", 7967, "RF3"), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (s_statement ("1-1-101")->balance_fen, 14066);   //  November open again
    assert_int_equal (s_pay ("9-9-9", 100, "WX3"), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    assert_int_equal (s_pay ("1-1-101", 0, "WX3"), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_string_equal (w.reply.error, "the amount must be a positive number of yuan, not 0.00");
    assert_int_equal (s_pay ("1-1-101", -500, "WX3"), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_string_equal (w.reply.error, "the amount must be a positive number of yuan, not -5.00");
    assert_int_equal (s_pay ("1-1-101", BILLING_AMOUNT_MAX + 1, "WX3"), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_string_equal (w.reply.error, "the amount must be at most ¥100000000.00");
    assert_int_equal (s_pay ("1-1-101", 100, "has space"), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
}

static int
s_event_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    return billing_apply_event (w.billing, txn, w.now, w.event);
}

static void
s_completed (const char *order_no, const char *unit, int64_t fen)
{
    Kf__OrderCompleted o = KF__ORDER_COMPLETED__INIT;
    o.order_no = (char *) order_no;
    o.ticket_no = "E001-20261105-0001";
    o.unit = (char *) unit;
    o.paid_service = fen > 0;
    o.has_paid_service = 1;
    o.amount_fen = fen;
    o.has_amount_fen = 1;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.estate = "E001";
    event.event_id = "0123456789abcdef0123456789abcdef";
    event.body_case = KF__ENVELOPE__BODY_ORDER_COMPLETED;
    event.order_completed = &o;
    w.event = &event;
    assert_int_equal (kf_store_write (w.base.store, s_event_txn, NULL, NULL), 0);
}

static void
test_paid_service_charged_once (void **state)
{
    (void) state;
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    s_schedule ("E001", 20260101, 235, 400);
    s_events ();
    s_completed ("E001-20261105-0001-W1", "1-1-101", 6000);
    s_completed ("E001-20261105-0001-W1", "1-1-101", 6000);   //  replayed
    s_completed ("E001-20261105-0001-W2", "1-1-101", 0);      //  free
    assert_string_equal (s_events (), "invoice.charge_added");
    s_run ("E001", 202611);
    assert_non_null (strstr (s_events (), "issued(280.33)"));   //  ¥220.33 + ¥60.00
    s_completed ("E001-20261105-0001-W1", "1-1-101", 6000);     //  replayed after billing
    s_run ("E001", 202612);
    assert_non_null (strstr (s_events (), "issued(220.33)"));
    const Kf__Statement *st = s_statement ("1-1-101");
    assert_int_equal (st->balance_fen, 28033 + 22033);
}

static void
s_fined (const char *violation_id, int64_t fen)
{
    Kf__ViolationFined f = KF__VIOLATION_FINED__INIT;
    f.violation_id = (char *) violation_id;
    f.unit = "1-1-101";
    KF_SET (&f, amount_fen, fen);
    f.description = "违章罚款 fine, parking";
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.estate = "E001";
    event.event_id = "fedcba9876543210fedcba9876543210";
    event.body_case = KF__ENVELOPE__BODY_VIOLATION_FINED;
    event.violation_fined = &f;
    w.event = &event;
    assert_int_equal (kf_store_write (w.base.store, s_event_txn, NULL, NULL), 0);
}

//  Issue 22.4: the desk's fine is charged to the unit's next notice once,
//  under the violation's number, however often the event comes.
static void
test_a_fine_charged_once (void **state)
{
    (void) state;
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    s_schedule ("E001", 20260101, 235, 400);
    s_events ();
    s_fined ("E001-V20261105-0001", 20000);
    s_fined ("E001-V20261105-0001", 20000);   //  replayed
    assert_string_equal (s_events (), "invoice.charge_added");
    s_run ("E001", 202611);
    assert_non_null (strstr (s_events (), "issued(420.33)"));   //  ¥220.33 + ¥200.00
}

static void
s_renovation (Kf__Envelope__BodyCase what)
{
    Kf__Renovation r = KF__RENOVATION__INIT;
    r.renovation_id = "E001-R20261105-0001";
    r.unit = "1-1-101";
    KF_SET (&r, deposit_fen, 200000);
    KF_SET (&r, fees_fen, 30000);
    Kf__RenovationEvent body = KF__RENOVATION_EVENT__INIT;
    body.renovation = &r;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.estate = "E001";
    event.event_id = "00112233445566778899aabbccddeeff";
    event.body_case = what;
    event.renovation_approved = &body;
    w.event = &event;
    assert_int_equal (kf_store_write (w.base.store, s_event_txn, NULL, NULL), 0);
}

//  Issue 22.7: a renovation's deposit and fees are charged once with its
//  permit; at completion the deposit comes back once, as a payment that
//  pays what the unit owes first.
static void
test_a_renovation_deposit_charged_and_returned_once (void **state)
{
    (void) state;
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    s_schedule ("E001", 20260101, 235, 400);
    s_events ();
    s_renovation (KF__ENVELOPE__BODY_RENOVATION_APPROVED);
    s_renovation (KF__ENVELOPE__BODY_RENOVATION_APPROVED);   //  replayed
    assert_string_equal (s_events (), "invoice.charge_added invoice.charge_added");
    s_run ("E001", 202611);
    assert_non_null (strstr (s_events (), "issued(2520.33)"));   //  ¥220.33 + ¥2,000.00 + ¥300.00
    s_renovation (KF__ENVELOPE__BODY_RENOVATION_COMPLETED);
    s_renovation (KF__ENVELOPE__BODY_RENOVATION_COMPLETED);   //  replayed
    const char *events = s_events ();
    assert_non_null (strstr (events, "payment.received"));
    assert_null (strstr (strstr (events, "payment.received") + 1, "payment.received"));   //  once
    assert_int_equal (s_statement ("1-1-101")->balance_fen, 252033 - 200000);
}

//  ---- arrears ---------------------------------------------------------------------------------------

static void
test_reminders_and_late_fees (void **state)
{
    (void) state;
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    s_schedule ("E001", 20260101, 235, 400);
    s_run ("E001", 202611);            //  due by the end of 25 November
    s_pay ("1-1-102", 50740, "WX1");   //  102 pays in time
    s_pay ("1-1-103", 5000, "WX2");    //  103 pays part: ¥60.16 of principal unpaid
    s_events ();
    s_day ("2026-11-25 23:00");
    assert_string_equal (s_events (), "");
    //  6 days overdue: 1 past the grace, late fees of 0.05 % a day.
    s_day ("2026-12-01 00:10");
    assert_string_equal (s_events (), "late_fee(0.11) late_fee(0.03) late_fee(0.91)");
    s_day ("2026-12-01 18:00");        //  the same day again: nothing
    assert_string_equal (s_events (), "");
    //  7 days: the first reminder. The fees accrue exactly and are rounded
    //  once: 9-1-1's ¥1,811.00 owes ¥0.9055 a day, ¥1.811 in two days, so
    //  ¥1.81 in all and ¥0.90 today (rounded each day it was ¥0.91 again).
    s_day ("2026-12-02 00:10");
    assert_string_equal (s_events (), "late_fee(0.11) reminder(7) late_fee(0.03) reminder(7) late_fee(0.90) reminder(7)");
    //  A jump of a month, 33 days charged in all, and each reminder step
    //  passed, in order, once (issue 15.4: periodic work skips nothing):
    //  101 ¥3.635445 -> ¥3.64, 103 ¥0.99264 -> ¥0.99, 9-1-1 ¥29.8815 -> ¥29.88.
    s_day ("2027-01-02 00:10");
    assert_string_equal (s_events (), "late_fee(3.42) reminder(15) reminder(30) late_fee(0.93) reminder(15) reminder(30) "
                                      "late_fee(28.07) reminder(15) reminder(30)");
    const Kf__Statement *st = s_statement ("1-1-101");
    assert_int_equal (st->balance_fen, 22033 + 364);
    //  The statement shows the notice itself: its lines, its late fees, the reminders sent.
    assert_int_equal (st->n_notices, 1);
    const Kf__Invoice *notice = st->notices [0];
    assert_string_equal (notice->issued->invoice_no, "E001-202611-1-1-101");
    assert_int_equal (notice->issued->n_lines, 2);
    assert_int_equal (notice->issued->lines [0]->amount_fen, 21033);
    assert_int_equal (notice->issued->lines [1]->amount_fen, 1000);
    assert_int_equal (notice->late_fee_fen, 364);
    assert_int_equal (notice->late_fee_exact, 3635445);
    assert_int_equal (notice->late_fee_days, 33);
    assert_int_equal (notice->n_reminders, 3);   //  7 days, then 15 and 30 after the jump
    assert_int_equal (notice->reminders [0]->days_overdue, 7);
    assert_int_equal (notice->reminders [0]->sent_at_ms, kf_test_at ("2026-12-02 00:10"));
    assert_int_equal (notice->reminders [0]->outstanding_fen, 22033 + 22);
    assert_int_equal (notice->reminders [1]->days_overdue, 15);
    assert_int_equal (notice->reminders [1]->sent_at_ms, kf_test_at ("2027-01-02 00:10"));
    assert_int_equal (notice->reminders [2]->days_overdue, 30);
    assert_int_equal (notice->reminders [2]->outstanding_fen, 22033 + 364);
    //  Paying everything settles it, fees included; no more reminders.
    assert_int_equal (s_pay ("1-1-101", st->balance_fen, "WX3"), KF__REPLY_STATUS__REPLY_STATUS_OK);
    s_events ();
    s_day ("2027-02-15 00:10");
    assert_string_equal (s_events (), "late_fee(1.33) late_fee(39.84)");   //  77 days: ¥2.32, ¥69.72
    //  The arrears report: 103 and 9-1-1 owe, 82 days overdue by now.
    Kf__ReportArrears arrears = KF__REPORT_ARREARS__INIT;
    arrears.estate = "E001";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_REPORT_ARREARS;
    request.report_arrears = &arrears;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.arrears->days_0_30_fen, 0);
    assert_int_equal (w.reply.arrears->days_31_90_fen, (11016 + 232 - 5000) + (181100 + 6972));
    //  Collection: billed ¥2,648.89 in November, collected ¥220.33 + ¥507.40 + ¥50.00.
    Kf__ReportCollection collection = KF__REPORT_COLLECTION__INIT;
    collection.estate = "E001";
    collection.period_from = 202611;
    collection.has_period_from = 1;
    request.command_case = KF__REQUEST__COMMAND_REPORT_COLLECTION;
    request.report_collection = &collection;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.collection->n_rows, 1);
    assert_int_equal (w.reply.collection->rows [0]->billed_fen, 264889);
    assert_int_equal (w.reply.collection->rows [0]->collected_fen, 22033 + 50740 + 5000);
    assert_int_equal (w.reply.collection->rows [0]->rate_permille, 294);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_rounding_and_pro_rata),
        cmocka_unit_test (test_late_fee_grace_and_cap),
        cmocka_unit_test_setup_teardown (test_units_from_the_registry, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_billing_run_idempotent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_run_in_chunks, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_payments_oldest_first_with_credit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_restore_skips_the_receipts_lost_events_used, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_paid_service_charged_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_fine_charged_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_renovation_deposit_charged_and_returned_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reminders_and_late_fees, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
