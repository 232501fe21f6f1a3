/*  kefu-escalation — SLA clocks and the escalation chain. See escalation.h.

    Consumes ticket.*, order.* and visit.unsatisfied of every estate,
    publishes sla.* and escalation.*, answers kefuctl's sla and report sla
    on services/escalation/endpoint, and fires due timers from a tick (the
    daemon's one periodic job): a read finds the earliest timer, and only
    when it is due does a write transaction fire what is due.
*/
#include "escalation.h"
#include "kf_service.h"

#define S_TICK_MS     250
#define S_FIRE_BATCH  10000   //  timers one transaction fires
#define S_TICK_BATCHES 20     //  transactions one tick may take when many are due

typedef struct {
    escalation_t *escalation;
    kf_bus_t *bus;
    int64_t now_ms;
    int64_t next_due_ms;
    int fired;
} s_app_t;

static int
s_on_request (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
              kf_arena_t *arena)
{
    return escalation_handle_request (((s_app_t *) app)->escalation, txn, now_ms, request, reply, arena);
}

static int
s_on_event (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    return escalation_apply_event (((s_app_t *) app)->escalation, txn, now_ms, event);
}

static int
s_next_due (kf_txn_t *txn, void *arg)
{
    s_app_t *app = arg;
    app->next_due_ms = escalation_next_due (app->escalation, txn);
    return 0;
}

static int
s_fire (kf_txn_t *txn, void *arg)
{
    s_app_t *app = arg;
    app->fired = escalation_fire_due (app->escalation, txn, app->now_ms, S_FIRE_BATCH);
    return app->fired < 0 ? -1 : 0;
}

//  The tick. Timers armed in the past by those that fire are due at once,
//  so a tick goes on while whole batches fire, up to a bound that keeps
//  commands answered while a long backlog (after a restart) drains.
static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    s_app_t *app = arg;
    kf_err_t err;
    app->now_ms = kf_clock_now (kf_bus_clock (app->bus));
    int total = 0;
    for (int batch = 0; batch < S_TICK_BATCHES; batch++) {
        if (kf_store_read (kf_bus_store (app->bus), s_next_due, app, &err) || app->next_due_ms > app->now_ms)
            break;
        if (kf_bus_write (app->bus, s_fire, app, &err)) {
            kf_warning ("the timer tick failed: %s", err.text);
            break;
        }
        total += app->fired;
        if (app->fired < S_FIRE_BATCH)
            break;
    }
    if (total > 0)
        kf_debug ("%d timer%s fired", total, total == 1 ? "" : "s");
    return 0;
}

static int
s_on_start (void *arg, kf_bus_t *bus, kf_err_t *err)
{
    s_app_t *app = arg;
    app->bus = bus;
    escalation_set_outbox (app->escalation, kf_bus_outbox (bus));
    if (zloop_timer (kf_bus_loop (bus), S_TICK_MS, 0, s_on_tick, app) == -1)
        return kf_err_set (err, "cannot start the timer tick");
    return 0;
}

int
main (int argc, char **argv)
{
    int status;
    kf_daemon_t *daemon = kf_daemon_new ("kefu-escalation",
        "SLA clocks and the escalation chain: starts a case's clocks when it is\n"
        "filed, moves them on its work orders' events, warns at 80 %, breaches\n"
        "at 100 % and climbs the chain to the deputy GM; answers kefuctl's sla\n"
        "and report sla on services/escalation/endpoint.", argc, argv, &status);
    if (!daemon)
        return status;
    kf_err_t err;
    s_app_t app = { .escalation = escalation_new (kf_daemon_config (daemon), &err) };
    if (app.escalation) {
        const char *tables [] = { ESCALATION_TABLES, NULL };
        kf_service_options_t options = {
            .service = "escalation", .tables = tables, .estates = NULL,
            .on_request = s_on_request, .on_event = s_on_event, .on_start = s_on_start, .app = &app,
        };
        status = kf_service_run (daemon, &options);
    }
    else {
        kf_error ("%s", err.text);
        status = 1;
    }
    escalation_destroy (&app.escalation);
    kf_daemon_destroy (&daemon);
    return status;
}
