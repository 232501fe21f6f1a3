/*  kefu-intake — the front desk. See intake.h.

    Files tickets on services/intake/endpoint, publishes ticket.* for the
    estates it owns, and follows every service's events of those estates
    for the tickets' timelines. An estate server runs its own instance with
    its own configuration (cluster/name names the site, so the producer id
    and the store are its own): it keeps filing while the link is down, and
    the cluster replays its outbox when the link returns.
*/
#include "intake.h"
#include "kf_service.h"

#include <inttypes.h>

static int
s_on_request (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
              kf_arena_t *arena)
{
    return intake_handle_request (app, txn, now_ms, request, reply, arena);
}

static int
s_on_event (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    return intake_apply_event (app, txn, now_ms, event);
}

//  A store from before the status index and the tallies gets them, once.
static int
s_build_tallies (kf_txn_t *txn, void *app)
{
    uint64_t built;
    if (intake_tally_build (app, txn, &built))
        return -1;
    if (built)
        kf_notice ("the status index and day tallies of %" PRIu64 " tickets built", built);
    return 0;
}

static int
s_on_start (void *app, kf_bus_t *bus, kf_err_t *err)
{
    if (kf_bus_write (bus, s_build_tallies, app, err))
        return -1;
    intake_set_outbox (app, kf_bus_outbox (bus));
    char owned [512] = "";
    for (const char *const *e = intake_estates (app); *e; e++)
        snprintf (owned + strlen (owned), sizeof owned - strlen (owned), "%s%s", *owned ? ", " : "", *e);
    kf_notice ("%s files tickets of %s", kf_bus_name (bus), owned);
    return 0;
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
    char producer [2 * KF_ID_MAX + 2];
    snprintf (producer, sizeof producer, "intake@%s", kf_config_str (config, "cluster/name"));
    kf_err_t err;
    intake_t *intake = intake_new (config, producer, &err);
    if (intake) {
        const char *tables [] = { INTAKE_TABLES, NULL };
        kf_service_options_t options = {
            .service = "intake", .tables = tables,
            //  The estates it owns: only its own tickets have timelines
            //  here, and on an estate server its key may read no others
            //  (DESIGN.md §7), so only those cross its link.
            .estates = intake_estates (intake),
            .on_request = s_on_request, .on_event = s_on_event, .on_start = s_on_start,
            .on_restored = intake_restored, .on_recover = intake_recover, .app = intake,
        };
        status = kf_service_run (daemon, &options);
    }
    else {
        kf_error ("%s", err.text);
        status = 1;
    }
    intake_destroy (&intake);
    kf_daemon_destroy (&daemon);
    return status;
}
