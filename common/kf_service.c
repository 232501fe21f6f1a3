/*  kf_service — a domain daemon's wiring. See kf_service.h.  */
#include "kf_service.h"

#include <unistd.h>
#include "kf_commands.h"

#include <assert.h>

typedef struct {
    const kf_service_options_t *options;
    kf_clock_t *clock;
    kf_bus_t *bus;
    int64_t tick_now_ms;       //  the tick's time, the same for its rounds
    int tick_due, tick_done;
} s_run_t;

static int
s_on_request (kf_bus_t *bus, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena,
              void *arg)
{
    (void) bus;
    s_run_t *run = arg;
    return run->options->on_request (run->options->app, txn, kf_clock_now (run->clock), request, reply, arena);
}

static int
s_on_event (kf_bus_t *bus, kf_txn_t *txn, const Kf__Envelope *event, void *arg)
{
    (void) bus;
    s_run_t *run = arg;
    return run->options->on_event (run->options->app, txn, kf_clock_now (run->clock), event);
}

static int
s_tick_due_txn (kf_txn_t *txn, void *arg)
{
    s_run_t *run = arg;
    run->tick_due = run->options->tick_due (run->options->app, txn, run->tick_now_ms);
    return run->tick_due < 0 ? -1 : 0;
}

static int
s_tick_txn (kf_txn_t *txn, void *arg)
{
    s_run_t *run = arg;
    run->tick_done = run->options->on_tick (run->options->app, txn, run->tick_now_ms);
    return run->tick_done < 0 ? -1 : 0;
}

//  The periodic work: a read asks whether any is due (most ticks, none),
//  and only then a write does it, round after round while more is due.
static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    s_run_t *run = arg;
    const kf_service_options_t *o = run->options;
    run->tick_now_ms = kf_clock_now (run->clock);
    int rounds = o->tick_rounds > 0 ? o->tick_rounds : 1;
    kf_err_t err;
    for (int round = 0; round < rounds; round++) {
        if (o->tick_due && (kf_store_read (kf_bus_store (run->bus), s_tick_due_txn, run, &err) || run->tick_due <= 0))
            break;
        if (kf_bus_write (run->bus, s_tick_txn, run, &err)) {
            kf_warning ("%s: the tick failed: %s", o->service, err.text);
            break;
        }
        if (run->tick_done == 0)
            break;
    }
    return 0;
}

int
kf_service_run (kf_daemon_t *daemon, const kf_service_options_t *options)
{
    assert (daemon && options && options->service && options->tables && options->on_request && options->on_event);
    kf_config_t *config = kf_daemon_config (daemon);
    s_run_t run = { .options = options, .clock = kf_daemon_clock (daemon) };
    char producer [2 * KF_ID_MAX + 2], path [1024], endpoint [128], replay [128];
    snprintf (producer, sizeof producer, "%s@%s", options->service, kf_config_str (config, "cluster/name"));
    snprintf (path, sizeof path, "%s/%s", kf_config_str (config, "cluster/data_dir"), options->service);
    snprintf (endpoint, sizeof endpoint, "services/%s/endpoint", options->service);
    snprintf (replay, sizeof replay, "services/%s/replay", options->service);

    kf_err_t err;
    kf_bus_t *bus = NULL;
    kf_commands_t *commands = NULL;
    //  One daemon per store, and none while kefuctl restore installs one.
    int lock = -1;
    kf_store_t *store = kf_store_new (path, options->tables, NULL, &err);
    if (store && (lock = kf_restore_lock (path, &err)) < 0)
        kf_store_destroy (&store);
    //  Put back from a backup: what the archive has of the events lost with
    //  the store, then a new epoch, before anything goes out.
    if (store && kf_recover_from_archive (store, config, producer, options->on_recover, options->app, &err) < 0)
        kf_store_destroy (&store);
    if (store && kf_restore_begin (store, options->on_restored, options->app, &err) < 0)
        kf_store_destroy (&store);
    if (store) {
        kf_bus_options_t bus_options = {
            .producer = producer,
            .replay_endpoint = kf_config_str (config, replay),
            .estates = options->estates,
            .handler = s_on_event,
            .handler_arg = &run,
            .replay_source = options->replay_source,
            .archive = options->archive,
        };
        bus = kf_bus_new (config, store, run.clock, &bus_options, &err);
    }
    char backups [1024];
    kf_config_backup_dir (config, backups, sizeof backups);
    kf_commands_options_t command_options = { .backup_dir = backups };
    run.bus = bus;
    bool started = bus && (!options->on_start || options->on_start (options->app, bus, &err) == 0);
    size_t tick_ms = (size_t) (options->tick_ms > 0 ? options->tick_ms : 1000);
    if (started && options->on_tick && zloop_timer (kf_bus_loop (bus), tick_ms, 0, s_on_tick, &run) == -1) {
        kf_err_set (&err, "cannot start the tick");
        started = false;
    }
    if (started)
        commands = kf_commands_new (bus, kf_config_str (config, endpoint), s_on_request, &run, &command_options, &err);
    int status = 1;
    if (commands) {
        kf_notice ("%s: commands on %s", producer, kf_config_str (config, endpoint));
        status = kf_bus_run (bus) == 0 ? 0 : 1;
        if (options->on_stop)
            options->on_stop (options->app, bus);
        const kf_commands_stats_t *stats = kf_commands_stats (commands);
        kf_notice ("stopping after %llu requests in %llu transactions", (unsigned long long) stats->requests,
                   (unsigned long long) stats->batches);
    }
    else
        kf_error ("%s", err.text);
    kf_commands_destroy (&commands);
    kf_bus_destroy (&bus);
    kf_store_destroy (&store);
    if (lock >= 0)
        close (lock);
    return status;
}
