/*  kefu-intake — the front desk. See intake.h.

    Files tickets on services/intake/endpoint, publishes ticket.* for the
    estates it owns, and follows every service's events of those estates
    for the tickets' timelines. An estate server runs its own instance with
    its own configuration (cluster/name names the site, so the producer id
    and the store are its own): it keeps filing while the link is down, and
    the cluster replays its outbox when the link returns.
*/
#include "intake.h"
#include "kf_commands.h"
#include "kf_daemon.h"

typedef struct {
    intake_t *intake;
    kf_clock_t *clock;
} s_app_t;

static int
s_on_request (kf_bus_t *bus, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
              kf_arena_t *arena, void *arg)
{
    (void) bus;
    s_app_t *app = arg;
    return intake_handle_request (app->intake, txn, kf_clock_now (app->clock), request, reply, arena);
}

static int
s_on_event (kf_bus_t *bus, kf_txn_t *txn, const Kf__Envelope *event, void *arg)
{
    (void) bus;
    s_app_t *app = arg;
    return intake_apply_event (app->intake, txn, kf_clock_now (app->clock), event);
}

int
main (int argc, char **argv)
{
    int status;
    kf_daemon_t *daemon = kf_daemon_new ("kefu-intake",
        "The front desk: files tickets for the estates this instance owns\n"
        "(estates/<id>/intake), answers kefuctl on services/intake/endpoint and\n"
        "keeps each ticket's timeline from every service's events.", argc, argv, &status);
    if (!daemon)
        return status;
    kf_config_t *config = kf_daemon_config (daemon);
    s_app_t app = { .clock = kf_daemon_clock (daemon) };
    char producer [2 * KF_ID_MAX + 2], path [1024];
    snprintf (producer, sizeof producer, "intake@%s", kf_config_str (config, "cluster/name"));
    snprintf (path, sizeof path, "%s/intake", kf_config_str (config, "cluster/data_dir"));

    kf_err_t err;
    kf_store_t *store = NULL;
    kf_bus_t *bus = NULL;
    kf_commands_t *commands = NULL;
    const char *tables [] = { INTAKE_TABLES, NULL };
    app.intake = intake_new (config, producer, &err);
    if (app.intake)
        store = kf_store_new (path, tables, NULL, &err);
    if (store) {
        kf_bus_options_t options = {
            .producer = producer,
            .replay_endpoint = kf_config_str (config, "services/intake/replay"),
            //  Every estate of its configuration (DESIGN.md §1: intake
            //  consumes everything); an estate server's configuration lists
            //  only its own, so only those cross its link.
            .estates = NULL,
            .handler = s_on_event,
            .handler_arg = &app,
        };
        bus = kf_bus_new (config, store, app.clock, &options, &err);
    }
    if (bus) {
        intake_set_outbox (app.intake, kf_bus_outbox (bus));
        commands = kf_commands_new (bus, kf_config_str (config, "services/intake/endpoint"), s_on_request, &app,
                                    NULL, &err);
    }
    if (commands) {
        char owned [512] = "";
        for (const char *const *e = intake_estates (app.intake); *e; e++)
            snprintf (owned + strlen (owned), sizeof owned - strlen (owned), "%s%s", *owned ? ", " : "", *e);
        kf_notice ("%s files tickets of %s; commands on %s", producer, owned,
                   kf_config_str (config, "services/intake/endpoint"));
        status = kf_bus_run (bus) == 0 ? 0 : 1;
        const kf_commands_stats_t *stats = kf_commands_stats (commands);
        kf_notice ("stopping after %llu requests in %llu transactions", (unsigned long long) stats->requests,
                   (unsigned long long) stats->batches);
    }
    else {
        kf_error ("%s", err.text);
        status = 1;
    }
    kf_commands_destroy (&commands);
    kf_bus_destroy (&bus);
    kf_store_destroy (&store);
    intake_destroy (&app.intake);
    kf_daemon_destroy (&daemon);
    return status;
}
