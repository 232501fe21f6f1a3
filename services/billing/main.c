/*  kefu-billing — fees, payment notices, arrears and payments. See billing.h.

    Consumes order.completed (paid services), publishes invoice.*,
    payment.*, reminder.* and unit.registered, answers kefuctl's units,
    billing and report collection|arrears on services/billing/endpoint,
    and once a second looks whether an estate's local day has turned: then
    its overdue notices get their reminders and late fees, in chunks.
*/
#include "billing.h"
#include "kf_service.h"

#define S_TICK_MS      1000
#define S_TICK_STEPS   10     //  arrears chunks one tick may take

typedef struct {
    billing_t *billing;
    kf_bus_t *bus;
    int64_t now_ms;
    bool due;
    int done;
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

static int
s_arrears_due (kf_txn_t *txn, void *arg)
{
    s_app_t *app = arg;
    app->due = billing_arrears_due (app->billing, txn, app->now_ms);
    return 0;
}

static int
s_arrears_step (kf_txn_t *txn, void *arg)
{
    s_app_t *app = arg;
    app->done = billing_arrears_step (app->billing, txn, app->now_ms);
    return app->done < 0 ? -1 : 0;
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    s_app_t *app = arg;
    kf_err_t err;
    app->now_ms = kf_clock_now (kf_bus_clock (app->bus));
    for (int step = 0; step < S_TICK_STEPS; step++) {
        if (kf_store_read (kf_bus_store (app->bus), s_arrears_due, app, &err) || !app->due)
            break;
        if (kf_bus_write (app->bus, s_arrears_step, app, &err)) {
            kf_warning ("the arrears tick failed: %s", err.text);
            break;
        }
    }
    return 0;
}

static int
s_on_start (void *arg, kf_bus_t *bus, kf_err_t *err)
{
    s_app_t *app = arg;
    app->bus = bus;
    billing_set_outbox (app->billing, kf_bus_outbox (bus));
    if (zloop_timer (kf_bus_loop (bus), S_TICK_MS, 0, s_on_tick, app) == -1)
        return kf_err_set (err, "cannot start the arrears tick");
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
        "Property fees: units, fee schedules, monthly payment notices, arrears\n"
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
