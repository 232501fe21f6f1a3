/*  kefu-escalation — SLA clocks and the escalation chain. See escalation.h.

    Consumes ticket.*, order.* and visit.unsatisfied of every estate,
    publishes sla.* and escalation.*, answers kefuctl's sla and report sla
    on services/escalation/endpoint, and fires due timers from a tick (the
    daemon's one periodic job): a read finds the earliest timer, and only
    when it is due does a write transaction fire what is due.
*/
#include "escalation.h"
#include "kf_service.h"

#include <inttypes.h>

#define S_TICK_MS     250
#define S_FIRE_BATCH  10000   //  timers one transaction fires
#define S_TICK_BATCHES 20     //  transactions one tick may take when many are due

typedef struct {
    escalation_t *escalation;
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

//  Timers armed in the past by those that fire are due at once: the tick
//  goes round while whole batches fire (kf_service bounds the rounds).
static int
s_tick_due (void *app, kf_txn_t *txn, int64_t now_ms)
{
    return escalation_next_due (((s_app_t *) app)->escalation, txn) <= now_ms;
}

static int
s_on_tick (void *app, kf_txn_t *txn, int64_t now_ms)
{
    int fired = escalation_fire_due (((s_app_t *) app)->escalation, txn, now_ms, S_FIRE_BATCH);
    if (fired > 0)
        kf_debug ("%d timer%s fired", fired, fired == 1 ? "" : "s");
    return fired;
}

//  A store from before the on-time report's day tallies gets them, once.
static int
s_build_tallies (kf_txn_t *txn, void *escalation)
{
    uint64_t built;
    if (escalation_tally_build (escalation, txn, &built))
        return -1;
    if (built)
        kf_notice ("the on-time report's day tallies of %" PRIu64 " outcomes and complaints built", built);
    return 0;
}

static int
s_on_start (void *arg, kf_bus_t *bus, kf_err_t *err)
{
    s_app_t *app = arg;
    if (kf_bus_write (bus, s_build_tallies, app->escalation, err))
        return -1;
    escalation_set_outbox (app->escalation, kf_bus_outbox (bus));
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
            .tick_due = s_tick_due, .on_tick = s_on_tick, .tick_ms = S_TICK_MS, .tick_rounds = S_TICK_BATCHES,
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
