/*  kf_service — the wiring every domain daemon shares (intake, dispatch,
    and the services to come): its store under data_dir/<service>, its place
    on the bus as producer <service>@<cluster> consuming events, its command
    endpoint services/<service>/endpoint, the run until SIGINT/SIGTERM, and
    an orderly shutdown. main.c keeps only what is its own: the domain
    object, and the callbacks that hand it requests, events and the clock.
*/
#ifndef KF_SERVICE_H_INCLUDED
#define KF_SERVICE_H_INCLUDED

#include "kf_bus.h"
#include "kf_codec.h"
#include "kf_daemon.h"
#include "kf_recover.h"
#include "kf_restore.h"
#include "commands.pb-c.h"

typedef struct {
    const char *service;                 //  "dispatch"
    const char *const *tables;           //  the store's tables, NULL-terminated (KF_BUS_TABLES among them)
    const char *const *estates;          //  consumed estates, NULL-terminated; NULL: all
    //  A request or an event inside a transaction, at the daemon's clock
    //  time (kf_command_fn's and kf_bus_handler_fn's contracts).
    int (*on_request) (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                       kf_arena_t *arena);
    int (*on_event) (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event);
    //  Once on the bus, before the first command: wire the outbox, load
    //  state, add timers to kf_bus_loop. 0, or -1 with the reason.
    int (*on_start) (void *app, kf_bus_t *bus, kf_err_t *err);
    //  After kefuctl restore, once per stream, in the transaction that
    //  starts the store's new epoch: move the service's numbers past what
    //  the events the backup lacks (seen_head - restored_head) may have
    //  used (kf_restore_fn). NULL: the service numbers nothing.
    kf_restore_fn *on_restored;
    //  After kefuctl restore, before the new epoch: rebuild what one of the
    //  service's own events, taken back from the archive, had made
    //  (kf_recover_fn). NULL: nothing is taken back.
    kf_recover_fn *on_recover;
    //  Periodic work, the daemon's one tick (every tick_ms, default 1 s, on
    //  the daemon's clock): `tick_due`, in a read transaction, says whether
    //  there is work now (1), none (0) or failed (-1); NULL: always ask.
    //  Then `on_tick`, in a write transaction, does a bounded part of it
    //  and returns how much (0: nothing was left) or -1 to undo it. While
    //  it did some and more is due, it runs again, up to tick_rounds times
    //  a tick (default 1), so a backlog drains without starving commands.
    //  NULL: the service has none.
    int (*tick_due) (void *app, kf_txn_t *txn, int64_t now_ms);
    int (*on_tick) (void *app, kf_txn_t *txn, int64_t now_ms);
    int tick_ms;
    int tick_rounds;
    //  When the loop has stopped (a signal), before the commands and the
    //  bus go: the service ends what it had under way and records it
    //  (kf_bus_write still works). NULL: nothing to end.
    void (*on_stop) (void *app, kf_bus_t *bus);
    //  The archive's: its replay endpoint serves this source, not the
    //  outbox, and its heartbeat says so (kf_bus_options_t).
    const kf_replay_source_t *replay_source;
    bool archive;
    void *app;
} kf_service_options_t;

//  Run the service; returns the process's exit status (1 after logging why
//  it could not start or run).
int kf_service_run (kf_daemon_t *daemon, const kf_service_options_t *options);

#endif
