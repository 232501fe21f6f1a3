/*  kf_test_billing — billing's test world for the domain tests: a real
    store and outbox, kefu-billing's domain code, and requests run as
    kf_commands runs them (a refused request leaves nothing behind).

    E001 charges late fees: 0.05 % a day after 5 days of grace, at most
    10 % of a notice. E002 keeps the defaults (no late fees). One test
    binary includes it once: it holds the world.
*/
#ifndef KF_TEST_BILLING_H_INCLUDED
#define KF_TEST_BILLING_H_INCLUDED

#include "../../services/billing/billing.h"
#include "kf_commands.h"
#include "kf_field.h"
#include "kf_money.h"
#include "kf_test.h"
#include "kf_test_world.h"
#include "kf_test_events.h"
#include "kf_time.h"
#include "kf_units_csv.h"

static const char *s_config_text =
    "bus\n    publish = ipc://x/in\n    subscribe = ipc://x/out\n"
    "estates\n"
    "    E001\n        name = one\n"
    "        billing\n            late_fee_per_day = 5\n            late_fee_grace_days = 5\n"
    "            late_fee_cap_percent = 10\n"
    "    E002\n        name = two\n";

static const char *s_units_csv =
    "unit,area_m2,owner_name,owner_phone,occupied,move_in_date,building_type,parking_spaces\n"
    "1-1-101,89.50,\"Zhang, San\",13800000001,yes,,highrise,0\n"
    "1-1-102,120.00,Li Si,13800000002,no,,highrise,1\n"
    "1-1-103,89.50,Wang Wu,,yes,2026-11-16,highrise,0\n"
    "1-1-104,89.50,Zhao Liu,,yes,2026-12-02,highrise,0\n"
    "9-1-1,300.25,Qian Qi,,yes,2020-01-01,villa,2\n";

typedef struct {
    kf_test_world_t base;    //  config, store, outbox, arena, events
    billing_t *billing;
    int64_t now;
    const Kf__Envelope *event;
    const Kf__Request *request;
    Kf__Reply reply;
} s_world_t;

static s_world_t w;

static inline void
s_describe (const Kf__Envelope *event, char *out, size_t size)
{
    char kind [64], money [32];
    kf_codec_event_kind (&event->base, kind, sizeof kind);
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_REMINDER_SENT:
            snprintf (out, size, "reminder(%u)", event->reminder_sent->days_overdue);
            break;
        case KF__ENVELOPE__BODY_INVOICE_LATE_FEE:
            snprintf (out, size, "late_fee(%s)", kf_fen_format (event->invoice_late_fee->amount_fen, money, sizeof money));
            break;
        case KF__ENVELOPE__BODY_INVOICE_ISSUED:
            snprintf (out, size, "issued(%s)", kf_fen_format (event->invoice_issued->total_fen, money, sizeof money));
            break;
        default:
            snprintf (out, size, "%s", kind);
    }
}

static inline int
s_setup (void **state)
{
    if (kf_test_dir_setup (state))
        return -1;
    const char *tables [] = { BILLING_TABLES, NULL };
    memset (&w, 0, sizeof w);
    kf_err_t err;
    kf_test_world_config (&w.base, s_config_text);
    kf_test_world_open (&w.base, tables, "billing@c1", "billing@c1/E001", s_describe);
    w.billing = billing_new (w.base.config, &err);
    assert_non_null (w.billing);
    billing_set_outbox (w.billing, w.base.outbox);
    w.now = kf_test_at ("2026-11-01 09:00");
    return 0;
}

static inline int
s_teardown (void **state)
{
    billing_destroy (&w.billing);
    kf_test_world_close (&w.base);
    return kf_test_dir_teardown (state);
}

//  ---- driving it --------------------------------------------------------------------------

static inline int
s_request_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    kf_test_reply_ok (&w.reply);
    return billing_handle_request (w.billing, txn, w.now, w.request, &w.reply, w.base.arena);
}

//  As kf_commands runs it: a refused request leaves nothing behind.
static inline Kf__ReplyStatus
s_do (Kf__Request *request)
{
    kf_arena_reset (w.base.arena);
    if (!request->has_role) {
        request->role = KF__ROLE__ROLE_MANAGER;
        request->has_role = 1;
    }
    request->actor = "boss";
    w.request = request;
    kf_store_write (w.base.store, s_request_txn, NULL, NULL);
    return w.reply.status;
}

typedef struct {
    const char *estate;
    kf_units_csv_t *file;
} s_learn_t;

static inline int
s_learn_txn (kf_txn_t *txn, void *arg)
{
    s_learn_t *l = arg;
    for (size_t i = 0; i < l->file->count; i++) {
        Kf__UnitRegistered registered = KF__UNIT_REGISTERED__INIT;
        registered.unit = l->file->units [i];
        Kf__Envelope event = KF__ENVELOPE__INIT;
        event.estate = (char *) l->estate;
        event.stream = "registry@c1/E001";
        event.body_case = KF__ENVELOPE__BODY_UNIT_REGISTERED;
        event.unit_registered = &registered;
        if (billing_apply_event (w.billing, txn, w.now, &event))
            return -1;
    }
    return 0;
}

//  Units as billing learns them: the registry's import checks the file
//  (kf_units_csv) and announces each unit (unit.registered).
static inline Kf__ReplyStatus
s_import (const char *estate, const char *csv)
{
    kf_arena_reset (w.base.arena);
    kf_units_csv_t file;
    if (kf_units_csv_parse (csv, strlen (csv), estate, w.base.arena, &file))
        return KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST;
    s_learn_t learn = { estate, &file };
    assert_int_equal (kf_store_write (w.base.store, s_learn_txn, &learn, NULL), 0);
    return KF__REPLY_STATUS__REPLY_STATUS_OK;
}

static inline void
s_schedule (const char *estate, uint32_t from, int64_t highrise, int64_t villa)
{
    Kf__BuildingRate r1 = KF__BUILDING_RATE__INIT, r2 = KF__BUILDING_RATE__INIT;
    r1.building_type = "highrise";
    r1.fen_per_m2_month = highrise;
    r1.has_fen_per_m2_month = r2.has_fen_per_m2_month = 1;
    r2.building_type = "villa";
    r2.fen_per_m2_month = villa;
    Kf__BuildingRate *rates [] = { &r1, &r2 };
    Kf__FeeItem garbage = KF__FEE_ITEM__INIT;
    garbage.name = "garbage";
    garbage.amount_fen = 1000;
    garbage.has_amount_fen = 1;
    Kf__FeeItem *items [] = { &garbage };
    Kf__FeeSchedule f = KF__FEE_SCHEDULE__INIT;
    f.effective_from = from;
    f.has_effective_from = f.has_parking_fen_per_space = f.has_vacant_discount_percent = 1;
    f.rates = rates;
    f.n_rates = 2;
    f.parking_fen_per_space = 30000;
    f.fixed_items = items;
    f.n_fixed_items = 1;
    f.vacant_discount_percent = 30;
    Kf__SetFeeSchedule set = KF__SET_FEE_SCHEDULE__INIT;
    set.estate = (char *) estate;
    set.schedule = &f;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_SET_FEE_SCHEDULE;
    request.set_fee_schedule = &set;
    if (s_do (&request) != KF__REPLY_STATUS__REPLY_STATUS_OK)
        fail_msg ("schedule: %s", w.reply.error);
}

static inline const Kf__BillingRunResult *
s_run (const char *estate, uint32_t period)
{
    Kf__RunBilling run = KF__RUN_BILLING__INIT;
    run.estate = (char *) estate;
    run.period = period;
    run.has_period = 1;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_RUN_BILLING;
    request.run_billing = &run;
    if (s_do (&request) != KF__REPLY_STATUS__REPLY_STATUS_OK)
        fail_msg ("run: %s", w.reply.error);
    return w.reply.billing_run;
}

static inline Kf__ReplyStatus
s_pay (const char *unit, int64_t fen, const char *ref)
{
    Kf__Pay pay = KF__PAY__INIT;
    pay.estate = "E001";
    pay.unit = (char *) unit;
    pay.amount_fen = fen;
    pay.has_amount_fen = 1;
    pay.payment_ref = (char *) ref;
    pay.method = "wechat";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_PAY;
    request.pay = &pay;
    return s_do (&request);
}

static inline Kf__ReplyStatus
s_refund (const char *payment_ref, int64_t fen, const char *ref)
{
    Kf__Refund refund = KF__REFUND__INIT;
    refund.estate = "E001";
    refund.payment_ref = (char *) payment_ref;
    refund.refund_ref = (char *) ref;
    refund.amount_fen = fen;
    refund.has_amount_fen = 1;
    refund.reason = "paid twice by mistake";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_REFUND;
    request.refund = &refund;
    return s_do (&request);
}

static inline const Kf__Statement *
s_statement (const char *unit)
{
    Kf__GetStatement get = KF__GET_STATEMENT__INIT;
    get.estate = "E001";
    get.unit = (char *) unit;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_STATEMENT;
    request.statement = &get;
    if (s_do (&request) != KF__REPLY_STATUS__REPLY_STATUS_OK)
        fail_msg ("statement: %s", w.reply.error);
    return w.reply.statement;
}

static inline int
s_arrears_txn (kf_txn_t *txn, void *arg)
{
    int *done = arg;
    *done = billing_arrears_step (w.billing, txn, w.now);
    return *done < 0 ? -1 : 0;
}

static inline int
s_due_txn (kf_txn_t *txn, void *arg)
{
    *(bool *) arg = billing_arrears_due (w.billing, txn, w.now);
    return 0;
}

//  The clock reaches `local`: the daily arrears job runs to its end.
static inline void
s_day (const char *local)
{
    w.now = kf_test_at (local);
    for (int i = 0; i < 100; i++) {
        bool due = false;
        int done = 0;
        assert_int_equal (kf_store_read (w.base.store, s_due_txn, &due, NULL), 0);
        if (!due)
            return;
        assert_int_equal (kf_store_write (w.base.store, s_arrears_txn, &done, NULL), 0);
    }
    fail_msg ("the arrears job does not finish");
}

static inline const char *
s_events (void)
{
    return kf_test_events (&w.base.events);
}

#endif
