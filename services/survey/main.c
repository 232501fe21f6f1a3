/*  kefu-survey — return visits, owner evaluations, daily statistics. See
    survey.h.

    Consumes order.completed, ticket.*, sla.breached and unit.registered,
    publishes visit.*, evaluation.* and report.daily, answers kefuctl's
    visits, evaluation and report satisfaction|pareto|daily on
    services/survey/endpoint, and once a second does the periodic work:
    overdue visits, the day's report, the quarter's draw and its close.
*/
#include "survey.h"
#include "kf_service.h"

#include <inttypes.h>

#define S_TICK_MS      1000

typedef struct {
    survey_t *survey;
} s_app_t;

static int
s_on_request (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
              kf_arena_t *arena)
{
    return survey_handle_request (((s_app_t *) app)->survey, txn, now_ms, request, reply, arena);
}

static int
s_on_event (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    return survey_apply_event (((s_app_t *) app)->survey, txn, now_ms, event);
}

//  Overdue visits, the day's turn and its report, evaluations to hand out
//  and to close: the periods ended since the last one done.
static int
s_on_tick (void *app, kf_txn_t *txn, int64_t now_ms)
{
    return survey_tick (((s_app_t *) app)->survey, txn, now_ms);
}

//  A store from before the satisfaction report's day tallies gets them, once.
static int
s_build_tallies (kf_txn_t *txn, void *survey)
{
    uint64_t built;
    if (survey_tally_build (survey, txn, &built))
        return -1;
    if (built)
        kf_notice ("the satisfaction report's day tallies of %" PRIu64 " answers and visits built", built);
    return 0;
}

static int
s_on_start (void *arg, kf_bus_t *bus, kf_err_t *err)
{
    s_app_t *app = arg;
    if (kf_bus_write (bus, s_build_tallies, app->survey, err))
        return -1;
    survey_set_outbox (app->survey, kf_bus_outbox (bus));
    return 0;
}

int
main (int argc, char **argv)
{
    int status;
    kf_daemon_t *daemon = kf_daemon_new ("kefu-survey",
        "Return visits after repairs and complaints, the quarterly owner\n"
        "evaluation, the daily statistics; answers kefuctl's visits, evaluation\n"
        "and report satisfaction|pareto|daily on services/survey/endpoint.", argc, argv, &status);
    if (!daemon)
        return status;
    kf_err_t err;
    s_app_t app = { .survey = survey_new (kf_daemon_config (daemon), &err) };
    if (app.survey) {
        const char *tables [] = { SURVEY_TABLES, NULL };
        kf_service_options_t options = {
            .service = "survey", .tables = tables, .estates = NULL,
            .on_request = s_on_request, .on_event = s_on_event, .on_start = s_on_start, .app = &app,
            .on_tick = s_on_tick, .tick_ms = S_TICK_MS,
        };
        status = kf_service_run (daemon, &options);
    }
    else {
        kf_error ("%s", err.text);
        status = 1;
    }
    survey_destroy (&app.survey);
    kf_daemon_destroy (&daemon);
    return status;
}
