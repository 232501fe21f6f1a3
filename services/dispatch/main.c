/*  kefu-dispatch — work orders. See dispatch.h.

    Consumes ticket.*, visit.unsatisfied and escalation.raised of every
    estate, publishes order.*, answers kefuctl's order and staff commands on
    services/dispatch/endpoint, and once a second offers queued orders to
    whoever has come on shift (the daemon's one periodic job).
*/
#include "dispatch.h"
#include "kf_commands.h"
#include "kf_daemon.h"

#define S_TICK_MS 1000

typedef struct {
    dispatch_t *dispatch;
    kf_clock_t *clock;
    kf_bus_t *bus;
} s_app_t;

static int
s_on_request (kf_bus_t *bus, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
              kf_arena_t *arena, void *arg)
{
    (void) bus;
    s_app_t *app = arg;
    return dispatch_handle_request (app->dispatch, txn, kf_clock_now (app->clock), request, reply, arena);
}

static int
s_on_event (kf_bus_t *bus, kf_txn_t *txn, const Kf__Envelope *event, void *arg)
{
    (void) bus;
    s_app_t *app = arg;
    return dispatch_apply_event (app->dispatch, txn, kf_clock_now (app->clock), event);
}

static int
s_load_staff (kf_txn_t *txn, void *arg)
{
    s_app_t *app = arg;
    return dispatch_load_staff (app->dispatch, txn) < 0 ? -1 : 0;
}

typedef struct {
    s_app_t *app;
    bool queued;
} s_probe_t;

static int
s_has_queued (kf_txn_t *txn, void *arg)
{
    s_probe_t *probe = arg;
    probe->queued = dispatch_has_queued (probe->app->dispatch, txn);
    return 0;
}

static int
s_drain (kf_txn_t *txn, void *arg)
{
    s_app_t *app = arg;
    int assigned = dispatch_tick (app->dispatch, txn, kf_clock_now (app->clock));
    if (assigned > 0)
        kf_info ("%d queued order%s assigned", assigned, assigned == 1 ? "" : "s");
    return assigned < 0 ? -1 : 0;
}

//  The tick: a read finds the queues empty almost always; only then a write.
static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    s_app_t *app = arg;
    kf_err_t err;
    s_probe_t probe = { .app = app };
    if (kf_store_read (kf_bus_store (app->bus), s_has_queued, &probe, &err) == 0 && probe.queued
    &&  kf_bus_write (app->bus, s_drain, app, &err))
        kf_warning ("the queue tick failed: %s", err.text);
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
    kf_config_t *config = kf_daemon_config (daemon);
    s_app_t app = { .clock = kf_daemon_clock (daemon) };
    char producer [2 * KF_ID_MAX + 2], path [1024];
    snprintf (producer, sizeof producer, "dispatch@%s", kf_config_str (config, "cluster/name"));
    snprintf (path, sizeof path, "%s/dispatch", kf_config_str (config, "cluster/data_dir"));

    kf_err_t err;
    kf_store_t *store = NULL;
    kf_commands_t *commands = NULL;
    const char *tables [] = { DISPATCH_TABLES, NULL };
    app.dispatch = dispatch_new (config, &err);
    if (app.dispatch)
        store = kf_store_new (path, tables, NULL, &err);
    if (store) {
        kf_bus_options_t options = {
            .producer = producer,
            .replay_endpoint = kf_config_str (config, "services/dispatch/replay"),
            .estates = NULL,
            .handler = s_on_event,
            .handler_arg = &app,
        };
        app.bus = kf_bus_new (config, store, app.clock, &options, &err);
    }
    if (app.bus) {
        dispatch_set_outbox (app.dispatch, kf_bus_outbox (app.bus));
        if (kf_bus_write (app.bus, s_load_staff, &app, &err) == 0)
            commands = kf_commands_new (app.bus, kf_config_str (config, "services/dispatch/endpoint"), s_on_request,
                                        &app, NULL, &err);
    }
    if (commands && zloop_timer (kf_bus_loop (app.bus), S_TICK_MS, 0, s_on_tick, &app) == -1) {
        kf_err_set (&err, "cannot start the queue tick");
        kf_commands_destroy (&commands);
    }
    if (commands) {
        kf_notice ("%s dispatches work orders; commands on %s", producer,
                   kf_config_str (config, "services/dispatch/endpoint"));
        status = kf_bus_run (app.bus) == 0 ? 0 : 1;
        const kf_commands_stats_t *stats = kf_commands_stats (commands);
        kf_notice ("stopping after %llu requests in %llu transactions", (unsigned long long) stats->requests,
                   (unsigned long long) stats->batches);
    }
    else {
        kf_error ("%s", err.text);
        status = 1;
    }
    kf_commands_destroy (&commands);
    kf_bus_destroy (&app.bus);
    kf_store_destroy (&store);
    dispatch_destroy (&app.dispatch);
    kf_daemon_destroy (&daemon);
    return status;
}
