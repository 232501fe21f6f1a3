/*  kefu-archive — every event of every stream, for years. See archive.h.

    Consumes the whole bus, serves replays of any stream it holds on
    services/archive/replay (its heartbeat says it is the archive, so
    consumers know where to turn when a producer no longer has a range),
    answers kefuctl history on services/archive/endpoint, and once a second
    retires what is older than archive/retention.
*/
#include "archive.h"
#include "kf_service.h"

#define S_TICK_MS       1000
#define S_TRIM_BUDGET   10000   //  events retired a tick at most: the transaction stays short

typedef struct {
    archive_t *archive;
} s_app_t;

static int
s_on_request (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
              kf_arena_t *arena)
{
    return archive_handle_request (((s_app_t *) app)->archive, txn, now_ms, request, reply, arena);
}

static int
s_on_event (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    (void) now_ms;
    return archive_record (((s_app_t *) app)->archive, txn, event);
}

//  Retention: what occurred before archive/retention, a bounded part a tick.
static int
s_on_tick (void *app, kf_txn_t *txn, int64_t now_ms)
{
    int64_t trimmed = archive_trim (((s_app_t *) app)->archive, txn, now_ms, S_TRIM_BUDGET);
    if (trimmed > 0)
        kf_info ("retired %lld events past the retention", (long long) trimmed);
    return trimmed < 0 ? -1 : trimmed > 0;
}

int
main (int argc, char **argv)
{
    int status;
    kf_daemon_t *daemon = kf_daemon_new ("kefu-archive",
        "Keeps every event of every stream for archive/retention, serves their\n"
        "replay to consumers and restored producers on services/archive/replay,\n"
        "and answers kefuctl history on services/archive/endpoint.", argc, argv, &status);
    if (!daemon)
        return status;
    kf_err_t err;
    s_app_t app = { .archive = archive_new (kf_daemon_config (daemon), &err) };
    if (app.archive) {
        const char *tables [] = { ARCHIVE_TABLES, NULL };
        kf_replay_source_t source = archive_replay_source (app.archive);
        kf_service_options_t options = {
            .service = "archive", .tables = tables, .estates = NULL,
            .on_request = s_on_request, .on_event = s_on_event, .app = &app,
            .on_tick = s_on_tick, .tick_ms = S_TICK_MS, .replay_source = &source, .archive = true,
        };
        status = kf_service_run (daemon, &options);
    }
    else {
        kf_error ("%s", err.text);
        status = 1;
    }
    archive_destroy (&app.archive);
    kf_daemon_destroy (&daemon);
    return status;
}
