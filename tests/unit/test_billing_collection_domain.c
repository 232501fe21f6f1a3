/*  Unit tests: the collection report from its tallies (issue 25.3).

    Every save of a notice moves its estate's and month's tallies (billed,
    and collected of that), so a report over a year or the whole group
    reads two counters a month instead of every notice. The tallies are
    checked against a count made from the notices themselves after each
    kind of change (issued, paid in part, paid, refunded, a second month),
    and an older store, with notices but no tallies, gets them counted
    once at the start, never twice.
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

//  The report's row for one estate over from..to.
static const Kf__CollectionRow *
s_collection (const char *estate, uint32_t from, uint32_t to)
{
    Kf__ReportCollection collection = KF__REPORT_COLLECTION__INIT;
    collection.estate = (char *) estate;
    KF_SET (&collection, period_from, from);
    KF_SET (&collection, period_to, to);
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_REPORT_COLLECTION;
    request.report_collection = &collection;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.collection->n_rows, 1);
    return w.reply.collection->rows [0];
}

//  The same sums, from every notice of the store.
typedef struct {
    const char *estate;
    uint32_t from, to;
    int64_t billed, collected;
    int notices;
} s_sum_t;

static int
s_sum_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *message, void *arg)
{
    (void) txn; (void) key;
    s_sum_t *sum = arg;
    const Kf__Invoice *invoice = (const Kf__Invoice *) message;
    if (strcmp (invoice->estate, sum->estate) || invoice->issued->period < sum->from
    ||  invoice->issued->period > sum->to)
        return 0;
    int64_t total = invoice->issued->total_fen;
    sum->billed += total;
    sum->collected += invoice->paid_fen < total ? invoice->paid_fen : total;
    sum->notices++;
    return 0;
}

static int
s_sum_txn (kf_txn_t *txn, void *arg)
{
    return kf_txn_scan_msg (txn, kf_store_table (w.base.store, "invoices"), NULL, &kf__invoice__descriptor,
                            s_sum_row, arg) < 0 ? -1 : 0;
}

//  The report agrees with the notices; returns how many notices there are.
static int
s_agrees (const char *estate, uint32_t from, uint32_t to)
{
    s_sum_t sum = { estate, from, to, 0, 0, 0 };
    assert_int_equal (kf_store_read (w.base.store, s_sum_txn, &sum, NULL), 0);
    const Kf__CollectionRow *row = s_collection (estate, from, to);
    assert_int_equal (row->billed_fen, sum.billed);
    assert_int_equal (row->collected_fen, sum.collected);
    return sum.notices;
}

static void
test_tallies_follow_every_notice (void **state)
{
    (void) state;
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    s_schedule ("E001", 20260101, 235, 400);
    s_run ("E001", 202611);
    assert_int_equal (s_agrees ("E001", 202611, 202611), 4);
    assert_int_equal (s_collection ("E001", 202611, 202611)->collected_fen, 0);
    assert_int_equal (s_pay ("1-1-102", 50740, "WX1"), KF__REPLY_STATUS__REPLY_STATUS_OK);   //  in full
    assert_int_equal (s_pay ("1-1-103", 5000, "WX2"), KF__REPLY_STATUS__REPLY_STATUS_OK);    //  in part
    s_agrees ("E001", 202611, 202611);
    assert_int_equal (s_collection ("E001", 202611, 202611)->collected_fen, 50740 + 5000);
    assert_int_equal (s_refund ("WX1", 20000, "RF1"), KF__REPLY_STATUS__REPLY_STATUS_OK);
    s_agrees ("E001", 202611, 202611);
    assert_int_equal (s_collection ("E001", 202611, 202611)->collected_fen, 30740 + 5000);
    //  A second month, and a payment past what one notice owes (the
    //  rest goes to the next, oldest first): collected never exceeds billed.
    w.now = kf_test_at ("2026-12-01 09:00");
    s_run ("E001", 202612);
    assert_int_equal (s_pay ("1-1-101", 100000, "WX3"), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (s_agrees ("E001", 202611, 202612), 9);
    s_agrees ("E001", 202612, 202612);
    s_agrees ("E001", 202610, 202610);
    assert_int_equal (s_collection ("E002", 202611, 202612)->billed_fen, 0);
}

static int
s_forget_tallies (kf_txn_t *txn, void *arg)
{
    (void) arg;
    kf_table_t tallies = kf_store_table (w.base.store, "collection");
    kf_key_t key;
    for (uint32_t period = 202611; period <= 202612; period++)
        for (int what = 0; what < 2; what++) {
            kf_key_make (&key, "s|u|s", "E001", period, what ? "collected" : "billed");
            kf_txn_del (txn, tallies, &key);
        }
    return kf_txn_ok (txn) ? 0 : -1;
}

static int
s_build_txn (kf_txn_t *txn, void *arg)
{
    return billing_collection_build (w.billing, txn, arg);
}

static void
test_an_older_store_is_counted_once (void **state)
{
    (void) state;
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    s_schedule ("E001", 20260101, 235, 400);
    s_run ("E001", 202611);
    assert_int_equal (s_pay ("1-1-103", 5000, "WX2"), KF__REPLY_STATUS__REPLY_STATUS_OK);
    //  A store from before the tallies: its notices, no tallies. The
    //  report reads the tallies, not the notices: nothing billed.
    assert_int_equal (kf_store_write (w.base.store, s_forget_tallies, NULL, NULL), 0);
    assert_int_equal (s_collection ("E001", 202611, 202611)->billed_fen, 0);
    //  The start counts them once ...
    uint64_t built = 0;
    assert_int_equal (kf_store_write (w.base.store, s_build_txn, &built, NULL), 0);
    assert_int_equal (built, 4);
    assert_int_equal (s_agrees ("E001", 202611, 202611), 4);
    assert_int_equal (s_collection ("E001", 202611, 202611)->collected_fen, 5000);
    //  ... and never again.
    assert_int_equal (kf_store_write (w.base.store, s_build_txn, &built, NULL), 0);
    assert_int_equal (built, 0);
    s_agrees ("E001", 202611, 202611);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_tallies_follow_every_notice, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_an_older_store_is_counted_once, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
