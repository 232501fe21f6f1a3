/*  kf_bus — a daemon's place on the event bus (DESIGN.md §2).

    A service writes handle (bus, txn, event) and kf_bus does the rest:

      - consuming: events waiting on the socket (up to batch_max, or
        batch_ms) are applied in one transaction, each after its stream's
        cursor admits it; the handler's effects, the cursors and the events
        the handler emits commit together, and only then are the emitted
        events sent. A gap, or a heartbeat announcing a head beyond a
        cursor, starts a replay from the producer's outbox; a rebuilt
        producer (new epoch) or a trimmed range raises an alarm instead.
      - producing: kf_bus_emit appends to the outbox inside the caller's
        transaction; after the commit the events go out on the bus. Every
        heartbeat interval the producer announces the head of each of its
        streams and its replay endpoint, checkpoints what it has sent and
        trims the outbox; its replay endpoint serves ranges with credit.

    Liveness (heartbeats, replay time-outs) runs on the monotonic clock: a
    file clock that stands still must not mark producers down. Business time
    (occurred_at, retention) runs on the daemon's kf_clock.
*/
#ifndef KF_BUS_H_INCLUDED
#define KF_BUS_H_INCLUDED

#include <czmq.h>
#include "kf_clock.h"
#include "kf_config.h"
#include "kf_inbox.h"
#include "kf_net.h"
#include "kf_outbox.h"
#include "kf_replay.h"

typedef struct _kf_bus_t kf_bus_t;

//  Apply one event inside txn; emit follow-up events with kf_bus_emit.
//  Return 0, or -1 only when the transaction failed (the batch is then
//  retried through replay). An event a service cannot act on is its own
//  business: log it and return 0, and its sequence is still applied.
typedef int (kf_bus_handler_fn) (kf_bus_t *bus, kf_txn_t *txn, const Kf__Envelope *event, void *arg);

//  Called after each batch of consumed events has committed (metrics,
//  benchmarks): `applied` is how many of them took effect.
typedef void (kf_bus_commit_fn) (kf_bus_t *bus, size_t applied, void *arg);

typedef struct {
    const char *producer;          //  "<service>@<cluster>"; NULL: consumes only
    const char *replay_endpoint;   //  bound when producing
    const char *const *estates;    //  consumed estates, NULL-terminated; NULL: all
    kf_bus_handler_fn *handler;    //  NULL: produces only
    void *handler_arg;
    size_t batch_max;              //  group commit: events a transaction (default 1000)
    int batch_ms;                  //  ... or this long gathering them (default 2)
    size_t replay_batch;           //  events per replay batch (default 256)
    int replay_credit;             //  replay batches in flight (default 4)
    kf_bus_commit_fn *on_commit;   //  optional
    void *on_commit_arg;
    //  What the replay endpoint serves: NULL, the producer's outbox; the
    //  archive serves every stream's history (and its heartbeat says so).
    const kf_replay_source_t *replay_source;
    bool archive;
} kf_bus_options_t;

typedef struct {
    uint64_t applied;          //  events whose effect was applied
    uint64_t duplicates;       //  events skipped as already applied
    uint64_t unknown;          //  events of a kind this build does not know (sequence applied)
    uint64_t malformed;        //  frames dropped as not valid
    uint64_t gaps;             //  gaps found in live streams
    uint64_t replays;          //  replays asked for
    uint64_t replayed;         //  events received by replay
    uint64_t alarms;           //  streams that need an operator (snapshot required)
    uint64_t forged;           //  events refused: an estate's intake stream from another intake
    uint64_t forbidden;        //  replay requests refused: not of the asking key's estates
    uint64_t published;        //  events sent on the bus
    uint64_t served;           //  events sent to replaying consumers
    uint64_t commits;          //  write transactions of consumed batches
} kf_bus_stats_t;

kf_bus_t *kf_bus_new (kf_config_t *config, kf_store_t *store, kf_clock_t *clock,
                      const kf_bus_options_t *options, kf_err_t *err);
void kf_bus_destroy (kf_bus_t **self_p);

//  The reactor, for the service's own sockets and timers.
zloop_t *kf_bus_loop (kf_bus_t *self);

//  Run until SIGINT/SIGTERM. Sends what the outbox has not sent yet first,
//  then tells systemd the daemon is ready and pings its watchdog from the
//  loop (kf_notify; nothing outside systemd).
int kf_bus_run (kf_bus_t *self);

//  Ask kf_bus_run to return once the current handler is done.
void kf_bus_stop (kf_bus_t *self);

//  Inside a write transaction: append an event (estate and body set) to the
//  outbox. Returns its sequence, 0 when the transaction failed.
uint64_t kf_bus_emit (kf_bus_t *self, kf_txn_t *txn, const Kf__Envelope *event);

//  Run fn in a write transaction of the daemon's store, then send the events
//  it emitted. For command handlers.
int kf_bus_write (kf_bus_t *self, kf_txn_fn *fn, void *arg, kf_err_t *err);

const kf_bus_stats_t *kf_bus_stats (kf_bus_t *self);
kf_clock_t *kf_bus_clock (kf_bus_t *self);
kf_net_t *kf_bus_net (kf_bus_t *self);
kf_store_t *kf_bus_store (kf_bus_t *self);
//  The daemon's producer id ("intake@c1"), or "consumer".
const char *kf_bus_name (kf_bus_t *self);
//  A producer's outbox (NULL when it only consumes): domain code appends to
//  it with kf_outbox_append inside its transaction, without a socket in
//  sight, and kf_bus sends what it holds after the commit.
kf_outbox_t *kf_bus_outbox (kf_bus_t *self);

//  The daemon's view of the bus, for kefuctl lag: its own heads, its
//  cursors, the producers it has heard and whether they are down, and its
//  counters. NULL when out of memory; free with kf_codec_free.
Kf__BusStatus *kf_bus_status (kf_bus_t *self);

//  End a stream's alarm as an operator decides (kefuctl streams resolve):
//  accept the producer's new epoch from its oldest kept event, skip a
//  trimmed range to `to_seq`, or retry with the cursor as it is. The
//  decision (who, why, the cursor before and after) is kept in the store
//  with the cursor's move, in one transaction; *decision is a copy to
//  kf_codec_free. 0, or -1 with why it does not fit the alarm.
int kf_bus_resolve (kf_bus_t *self, const char *stream, Kf__StreamAction action, uint64_t to_seq, const char *actor,
                    const char *reason, Kf__StreamDecision **decision, kf_err_t *err);

#endif
