/*  billing_private — what billing's files share (not for other programs):
    the service's state, an estate's billing rules, the records' helpers,
    and each request's handler, which billing_handle_request calls.

    The files, one concern each:
      billing.c          set-up, the arithmetic, records, requests and paid
                         services in, recovery after a restore
      billing_units.c    units learnt from the registry's events, their list
      billing_run.c      fee schedules and the monthly billing run
      billing_payments.c payments and refunds, receipts
      billing_reports.c  statements, collection and arrears reports
      billing_arrears.c  the daily arrears job: reminders and late fees

    Tables (keys):
      units          estate|unit                   Unit
      schedules      estate|effective (yyyymmdd)   FeeSchedule
      invoices       estate|period|unit            Invoice
      unit_invoices  estate|unit|period            ""      a unit's notices, oldest first
      open           estate|due|estate|period|unit ""      notices not paid in full, by due time
      payments       estate|payment_ref            PaymentRecord
      refunds        estate|refund_ref             PaymentRefunded
      charges        estate|order_no               ChargeRecord
      pending        estate|unit|order_no          ""      charges not yet on a notice
      runs           estate|period                 BillingRunState
      ledger         estate|unit|time|seq          StatementLine
      arrears        estate                        ArrearsDay
      counters       name                          big-endian count
*/
#ifndef BILLING_PRIVATE_H_INCLUDED
#define BILLING_PRIVATE_H_INCLUDED

#include "billing.h"
#include "kf_commands.h"
#include "kf_domain.h"
#include "kf_field.h"
#include "kf_money.h"
#include "kf_page.h"
#include "kf_rate.h"
#include "kf_time.h"
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_REF_MAX        64        //  bytes of a payment or refund reference
#define S_UNIT_MAX       32
#define S_INVOICE_NO_MAX (KF_ID_MAX + 48)
#define S_STEPS_MAX      16


typedef struct {
    const kf_estate_t *estate;
    int due_day;
    int steps [S_STEPS_MAX];      //  reminder cadence, rising
    int step_count;
    int late_fee_per_day;         //  ten-thousandths; 0: none
    int late_fee_grace_days;
    int late_fee_cap_percent;
} billing_estate_t;

struct _billing_t {
    kf_domain_t base;               //  config, outbox, scratch arena, estates, tables
    billing_estate_t *estates;        //  base.estates, typed
    kf_table_t units, schedules, invoices, unit_invoices, open, payments, refunds, charges, pending, runs, ledger,
               arrears, counters, collection;
};


const billing_estate_t *billing_estate (const billing_t *self, const char *id);

void billing_tables (billing_t *self, kf_txn_t *txn);

Kf__Unit *
billing_unit_get (billing_t *self, kf_txn_t *txn, const char *estate, const char *unit, kf_arena_t *arena);

void billing_unit_put (billing_t *self, kf_txn_t *txn, const Kf__Unit *unit);

Kf__Invoice *
billing_invoice_get (billing_t *self, kf_txn_t *txn, const char *estate, uint32_t period, const char *unit,
                     kf_arena_t *arena);

//  A notice's number, <estate>-<yyyymm>-<unit>, back into its parts. From
//  the right, since estate ids may hold dashes: the unit's three parts,
//  six digits, the estate.
bool billing_invoice_no_parse (const char *invoice_no, char *estate, uint32_t *period, char *unit);

void billing_invoice_put (billing_t *self, kf_txn_t *txn, const Kf__Invoice *invoice);

//  The collection tallies (billing_reports.c): per estate and month, what
//  its notices billed and what of that was collected, moved by every save
//  of a notice from what it was to what it is (NULL: none), so a report
//  over a year or the whole group reads two counters a month, not every
//  notice (billing_collection_build in billing.h counts an older store's).
void billing_collection_move (billing_t *self, kf_txn_t *txn, const Kf__Invoice *was, const Kf__Invoice *is);

int64_t billing_outstanding (const Kf__Invoice *invoice);

//  A line of the unit's statement: the unit's balance moves by debit -
//  credit (the caller puts the unit back).
void billing_ledger (billing_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Unit *unit, const char *what, int64_t debit,
                int64_t credit);

void billing_settle_if_paid (billing_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Invoice *invoice,
                             const char *causation);

//  The estate a request names, or its scope's; NULL after a NOT_FOUND or
//  BAD_REQUEST reply.
//  The estate a request is for, as this service keeps it (kf_request_estate).
const billing_estate_t *billing_request_estate (billing_t *self, const Kf__Request *request, const char *named,
                                                Kf__Reply *reply, kf_arena_t *arena);

//  A unit as the registry announced it (unit.registered): kept with the
//  money billing already knew of it; a new one counted for its estate.
void billing_unit_learn (billing_t *self, kf_txn_t *txn, const char *estate, const Kf__Unit *registered,
                         kf_arena_t *arena);

uint64_t billing_unit_count (billing_t *self, kf_txn_t *txn, const char *estate);

int billing_list_units (billing_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
                        kf_arena_t *arena);

int billing_set_schedule (billing_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
                          kf_arena_t *arena);

//  A notice issued: its line on the unit's statement, the unit's credit
//  paying it first, the notice kept and indexed. `settle` publishes
//  invoice.settled when the credit paid it all (a notice taken back from
//  the archive has its own invoice.settled to come).
void billing_invoice_book (billing_t *self, kf_txn_t *txn, int64_t at_ms, Kf__Unit *u, Kf__InvoiceIssued *issued,
                           bool settle);

//  The estate's local date now: yyyymmdd.
uint32_t billing_today (const billing_estate_t *e, int64_t now_ms);

int billing_run (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
             kf_arena_t *arena);

//  A payment received, its allocations made: what was over goes to the
//  unit's credit, its line on the statement, its record kept (by its
//  reference, with the hash of the request that made it).
void billing_payment_book (billing_t *self, kf_txn_t *txn, int64_t at_ms, const char *estate, Kf__Unit *unit,
                      Kf__PaymentReceived *p, uint64_t hash, Kf__PaymentRecord *record);

int billing_pay (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
             kf_arena_t *arena);

//  A refund of `amount` out of a payment: from the unit's credit first,
//  then from what the payment paid, newest notice first, each notice
//  reopened when it owes again. The reversal is noted in the record (the
//  caller keeps it). Returns what could not be found (0: all of it), or
//  -1 when the transaction failed.
int64_t billing_refund_reverse (billing_t *self, kf_txn_t *txn, const char *estate, Kf__PaymentRecord *record,
                                Kf__Unit *unit,
                        int64_t amount, kf_arena_t *arena);

//  A refund made: the payment's record, the refund's, its statement line.
void billing_refund_book (billing_t *self, kf_txn_t *txn, int64_t at_ms, const char *estate, Kf__Unit *unit,
                     Kf__PaymentRecord *record, Kf__PaymentRefunded *r);

int billing_refund (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                kf_arena_t *arena);

int billing_statement (billing_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena);

int billing_collection (billing_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
                        kf_arena_t *arena);

int billing_arrears_report (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                            Kf__Reply *reply,
                        kf_arena_t *arena);

//  A reminder sent for a notice, kept with it for the statement.
void billing_keep_reminder (kf_txn_t *txn, Kf__Invoice *invoice, int64_t now_ms, uint32_t step, kf_arena_t *arena);

//  A late fee charged on a notice (its total so far `fee`, `added` of it
//  new): the notice's fee and the unit's statement line.
void billing_late_fee_book (billing_t *self, kf_txn_t *txn, int64_t at_ms, Kf__Invoice *invoice, int64_t added,
                            int64_t fee,
                       uint32_t days, kf_arena_t *arena);

#endif
