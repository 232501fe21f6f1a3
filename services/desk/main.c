/*  kefu-desk — the front desk's registers: keys and items lent, owners'
    things stored at the desk. See desk.h.

    Consumes unit.registered and household.registered (the registry's
    units and their people) and staff.changed (dispatch's staff),
    publishes desk.* and each loan's deadline.*, and answers kefuctl's
    desk commands on services/desk/endpoint.
*/
#include "desk.h"
#include "kf_service.h"

typedef struct {
    desk_t *desk;
} s_app_t;

static int
s_on_request (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
              kf_arena_t *arena)
{
    return desk_handle_request (((s_app_t *) app)->desk, txn, now_ms, request, reply, arena);
}

static int
s_on_event (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    return desk_apply_event (((s_app_t *) app)->desk, txn, now_ms, event);
}

//  The loans whose due time has passed while out.
static int
s_on_tick (void *app, kf_txn_t *txn, int64_t now_ms)
{
    return desk_tick (((s_app_t *) app)->desk, txn, now_ms);
}

static int
s_on_recover (void *app, kf_txn_t *txn, const Kf__Envelope *event)
{
    return desk_recover (((s_app_t *) app)->desk, txn, event);
}

static int
s_on_start (void *arg, kf_bus_t *bus, kf_err_t *err)
{
    s_app_t *app = arg;
    (void) err;
    desk_set_outbox (app->desk, kf_bus_outbox (bus));
    return 0;
}

int
main (int argc, char **argv)
{
    int status;
    kf_daemon_t *daemon = kf_daemon_new ("kefu-desk",
        "The front desk's registers: keys and items lent, owners' things stored;\n"
        "answers kefuctl's desk commands on services/desk/endpoint.", argc, argv, &status);
    if (!daemon)
        return status;
    kf_err_t err;
    s_app_t app = { .desk = desk_new (kf_daemon_config (daemon), &err) };
    if (app.desk) {
        const char *tables [] = { DESK_TABLES, NULL };
        kf_service_options_t options = {
            .service = "desk", .tables = tables, .estates = NULL,
            .on_request = s_on_request, .on_event = s_on_event, .on_start = s_on_start,
            .on_recover = s_on_recover, .on_tick = s_on_tick, .tick_ms = 1000, .app = &app,
        };
        status = kf_service_run (daemon, &options);
    }
    else {
        kf_error ("%s", err.text);
        status = 1;
    }
    desk_destroy (&app.desk);
    kf_daemon_destroy (&daemon);
    return status;
}
