/*  kefu-registry — the estates' register of units and households, and the
    front desk's caller lookup. See registry.h.

    Consumes ticket.* (each unit's cases) and billing's invoice.* and
    payment.* (what each unit owes), publishes unit.registered and
    household.registered, and answers kefuctl's units import, lookup and
    household on services/registry/endpoint.
*/
#include "registry.h"
#include "kf_service.h"

typedef struct {
    registry_t *registry;
} s_app_t;

static int
s_on_request (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
              kf_arena_t *arena)
{
    return registry_handle_request (((s_app_t *) app)->registry, txn, now_ms, request, reply, arena);
}

static int
s_on_event (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    return registry_apply_event (((s_app_t *) app)->registry, txn, now_ms, event);
}

//  The monthly lists: the months ended since the last one made.
static int
s_on_tick (void *app, kf_txn_t *txn, int64_t now_ms)
{
    return registry_tick (((s_app_t *) app)->registry, txn, now_ms);
}

static int
s_on_start (void *arg, kf_bus_t *bus, kf_err_t *err)
{
    s_app_t *app = arg;
    (void) err;
    registry_set_outbox (app->registry, kf_bus_outbox (bus));
    return 0;
}

static int
s_on_recover (void *app, kf_txn_t *txn, const Kf__Envelope *event)
{
    return registry_recover (((s_app_t *) app)->registry, txn, event);
}

int
main (int argc, char **argv)
{
    int status;
    kf_daemon_t *daemon = kf_daemon_new ("kefu-registry",
        "The estates' register: units, households and their people, what each\n"
        "unit owes and its cases; answers kefuctl's units import, lookup and\n"
        "household on services/registry/endpoint.", argc, argv, &status);
    if (!daemon)
        return status;
    kf_err_t err;
    s_app_t app = { .registry = registry_new (kf_daemon_config (daemon), &err) };
    if (app.registry) {
        const char *tables [] = { REGISTRY_TABLES, NULL };
        kf_service_options_t options = {
            .service = "registry", .tables = tables, .estates = NULL,
            .on_request = s_on_request, .on_event = s_on_event, .on_start = s_on_start,
            .on_recover = s_on_recover, .on_tick = s_on_tick, .tick_ms = 1000, .app = &app,
        };
        status = kf_service_run (daemon, &options);
    }
    else {
        kf_error ("%s", err.text);
        status = 1;
    }
    registry_destroy (&app.registry);
    kf_daemon_destroy (&daemon);
    return status;
}
