/*  kefu-billing — fees, payment notices, arrears and payments. See billing.h.

    Consumes unit.registered (the registry's units) and order.completed
    (paid services), publishes invoice.*, payment.* and reminder.*,
    answers kefuctl's units,
    billing and report collection|arrears on services/billing/endpoint,
    and once a second looks whether an estate's local day has turned: then
    its overdue notices get their reminders and late fees, in chunks.
*/
#include "billing.h"
#include "kf_service.h"

#include <inttypes.h>

#define S_TICK_MS      1000
#define S_TICK_STEPS   10     //  arrears chunks one tick may take

typedef struct {
    billing_t *billing;
} s_app_t;

static int
s_on_request (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
              kf_arena_t *arena)
{
    return billing_handle_request (((s_app_t *) app)->billing, txn, now_ms, request, reply, arena);
}

static int
s_on_event (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    return billing_apply_event (((s_app_t *) app)->billing, txn, now_ms, event);
}

//  Once an estate's local day has turned, its arrears in chunks.
static int
s_tick_due (void *app, kf_txn_t *txn, int64_t now_ms)
{
    return billing_arrears_due (((s_app_t *) app)->billing, txn, now_ms);
}

//  A step finishes one estate's day, whether or not it had notices
//  overdue: it counts as progress, so the tick goes on to the next estate
//  while tick_due says one has work.
static int
s_on_tick (void *app, kf_txn_t *txn, int64_t now_ms)
{
    return billing_arrears_step (((s_app_t *) app)->billing, txn, now_ms) < 0 ? -1 : 1;
}

//  A store from before the collection tallies gets them, once.
static int
s_build_collection (kf_txn_t *txn, void *billing)
{
    uint64_t built;
    if (billing_collection_build (billing, txn, &built))
        return -1;
    if (built)
        kf_notice ("the collection tallies of %" PRIu64 " notices built", built);
    return 0;
}

static int
s_on_start (void *arg, kf_bus_t *bus, kf_err_t *err)
{
    s_app_t *app = arg;
    if (kf_bus_write (bus, s_build_collection, app->billing, err))
        return -1;
    billing_set_outbox (app->billing, kf_bus_outbox (bus));
    return 0;
}

static int
s_on_recover (void *app, kf_txn_t *txn, const Kf__Envelope *event)
{
    return billing_recover (((s_app_t *) app)->billing, txn, event);
}

static int
s_on_restored (void *app, kf_txn_t *txn, const Kf__RestoreMarker *marker, const char *stream, uint64_t restored_head,
               uint64_t seen_head)
{
    return billing_restored (((s_app_t *) app)->billing, txn, marker, stream, restored_head, seen_head);
}

int
main (int argc, char **argv)
{
    int status;
    kf_daemon_t *daemon = kf_daemon_new ("kefu-billing",
        "Property fees: the registry's units, fee schedules, monthly payment notices, arrears\n"
        "reminders and late fees, payments and refunds, paid services; answers\n"
        "kefuctl's units, billing and report collection|arrears on\n"
        "services/billing/endpoint.", argc, argv, &status);
    if (!daemon)
        return status;
    kf_err_t err;
    s_app_t app = { .billing = billing_new (kf_daemon_config (daemon), &err) };
    if (app.billing) {
        const char *tables [] = { BILLING_TABLES, NULL };
        kf_service_options_t options = {
            .service = "billing", .tables = tables, .estates = NULL,
            .on_request = s_on_request, .on_event = s_on_event, .on_start = s_on_start,
            .tick_due = s_tick_due, .on_tick = s_on_tick, .tick_ms = S_TICK_MS, .tick_rounds = S_TICK_STEPS,
            .on_restored = s_on_restored, .on_recover = s_on_recover, .app = &app,
        };
        status = kf_service_run (daemon, &options);
    }
    else {
        kf_error ("%s", err.text);
        status = 1;
    }
    billing_destroy (&app.billing);
    kf_daemon_destroy (&daemon);
    return status;
}
