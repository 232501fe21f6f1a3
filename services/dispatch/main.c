/*  kefu-dispatch — work orders. See dispatch.h.

    Consumes ticket.*, visit.unsatisfied, escalation.raised and
    renovation.started/completed of every estate, publishes order.* and
    round.*, answers kefuctl's order, staff, plan and round commands on
    services/dispatch/endpoint, and once a second (its one periodic job)
    offers queued orders to whoever has come on shift and fires the round
    timers due: the plans' slots and the rounds' windows.
*/
#include "dispatch.h"
#include "kf_service.h"

#define S_TICK_MS 1000

typedef struct {
    dispatch_t *dispatch;
    kf_bus_t *bus;
} s_app_t;

static int
s_on_request (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
              kf_arena_t *arena)
{
    return dispatch_handle_request (((s_app_t *) app)->dispatch, txn, now_ms, request, reply, arena);
}

static int
s_on_event (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    return dispatch_apply_event (((s_app_t *) app)->dispatch, txn, now_ms, event);
}

static int
s_on_recover (void *app, kf_txn_t *txn, const Kf__Envelope *event)
{
    return dispatch_recover (((s_app_t *) app)->dispatch, txn, event);
}

static int
s_load_staff (kf_txn_t *txn, void *arg)
{
    s_app_t *app = arg;
    int64_t now_ms = kf_clock_now (kf_bus_clock (app->bus));
    if (dispatch_load_staff (app->dispatch, txn, now_ms) < 0)
        return -1;
    return dispatch_load_plans (app->dispatch, txn, now_ms) < 0 ? -1 : 0;
}

//  The queues and the round timers: a read finds nothing to do almost
//  always; only then a write.
static int
s_tick_due (void *app, kf_txn_t *txn, int64_t now_ms)
{
    dispatch_t *dispatch = ((s_app_t *) app)->dispatch;
    return dispatch_has_queued (dispatch, txn) || dispatch_rounds_due (dispatch, txn, now_ms);
}

static int
s_on_tick (void *app, kf_txn_t *txn, int64_t now_ms)
{
    dispatch_t *dispatch = ((s_app_t *) app)->dispatch;
    int assigned = dispatch_tick (dispatch, txn, now_ms);
    if (assigned > 0)
        kf_info ("%d queued order%s assigned", assigned, assigned == 1 ? "" : "s");
    int rounds = assigned < 0 ? -1 : dispatch_rounds_tick (dispatch, txn, now_ms);
    return rounds < 0 ? -1 : assigned + rounds;
}

//  On the bus: the outbox, and the staff from the file.
static int
s_on_start (void *arg, kf_bus_t *bus, kf_err_t *err)
{
    s_app_t *app = arg;
    app->bus = bus;
    dispatch_set_outbox (app->dispatch, kf_bus_outbox (bus));
    if (kf_bus_write (bus, s_load_staff, app, err))
        return -1;
    return 0;
}

int
main (int argc, char **argv)
{
    int status;
    kf_daemon_t *daemon = kf_daemon_new ("kefu-dispatch",
        "Work orders: routes every filed ticket to a department, assigns it to\n"
        "someone on shift, follows the order's lifecycle and answers kefuctl's\n"
        "orders, order and staff commands on services/dispatch/endpoint.", argc, argv, &status);
    if (!daemon)
        return status;
    kf_err_t err;
    s_app_t app = { .dispatch = dispatch_new (kf_daemon_config (daemon), &err) };
    if (app.dispatch) {
        const char *tables [] = { DISPATCH_TABLES, NULL };
        kf_service_options_t options = {
            .service = "dispatch", .tables = tables, .estates = NULL,
            .on_request = s_on_request, .on_event = s_on_event, .on_start = s_on_start,
            .tick_due = s_tick_due, .on_tick = s_on_tick, .tick_ms = S_TICK_MS,
            .on_recover = s_on_recover, .app = &app,
        };
        status = kf_service_run (daemon, &options);
    }
    else {
        kf_error ("%s", err.text);
        status = 1;
    }
    dispatch_destroy (&app.dispatch);
    kf_daemon_destroy (&daemon);
    return status;
}
