/*  kf_bus_private — what kf_bus's files share (not for other modules): the
    bus's state, a producer heard and a cursor kept, and the helpers each
    part uses.

    The files, one concern each:
      kf_bus.c            small helpers, sending, heartbeats, consuming the
                          bus, the tick (heartbeat, maintenance, liveness),
                          the life cycle
      kf_bus_apply.c      applying a batch of events exactly once
      kf_bus_alarms.c     a stream's alarm, and the operator's decision
                          that ends it
      kf_replay_client.c  replay, the consumer's side: from a producer, and
                          from the archive
      kf_bus_status.c     the bus's status, for kefuctl lag and /metrics
    (kf_replay.c is the replay server, the producer's side.)
*/
#ifndef KF_BUS_PRIVATE_H_INCLUDED
#define KF_BUS_PRIVATE_H_INCLUDED

#include "kf_bus.h"
#include "kf_codec.h"
#include "kf_field.h"
#include "kf_net.h"
#include "kf_notify.h"
#include "kf_replay.h"
#include "kf_version.h"
#include <assert.h>
#include <string.h>

#define S_HEARTBEAT_TOPIC   "_sys/heartbeat"
#define S_MISSED_BEATS      3       //  beats missed before a producer is down
#define S_ARCHIVE_GRACE_BEATS 3     //  just started, a trimmed range waits this long (+ S_ARCHIVE_WAIT_MS) to hear the archive
#define S_ARCHIVE_WAIT_MS   30000   //  ... or for an archive whose beats stopped, before the alarm
#define S_REPLAY_STALL_MS   5000    //  a replay without progress this long is abandoned
#define S_HWM               200000
#define S_TRIM_BUDGET       10000   //  outbox events trimmed per maintenance at most

//  A producer as a consumer knows it, from its heartbeats.
typedef struct {
    char *name;                //  e.g. "dispatch@c1"
    char *endpoint;            //  its replay endpoint
    char *server_key;          //  that endpoint's CURVE key, as the bus let its heartbeat say; NULL: the cluster's
    zsock_t *dealer;           //  to its replay endpoint, made when needed
    int64_t last_beat;         //  monotonic ms
    bool down;
    bool archive;              //  the archive: it replays every stream's history
    bool replaying;            //  one replay at a time per producer
    char replay_stream [KF_STREAM_MAX];
    int64_t replay_progress;   //  monotonic ms of the last batch
    zlistx_t *heads;           //  Kf__StreamHead * of its last heartbeat
} kf_bus_producer_t;

//  A consumer's view of a stream, mirrored from the store after commits.
typedef struct {
    uint64_t epoch;
    uint64_t last;
    bool alarmed;              //  stopped for an operator: we do not touch it until resolved
    Kf__StreamAlarmKind alarm_kind;
    char alarm_reason [200];
    int64_t alarm_since_ms;    //  the clock's UTC ms
    uint64_t archive_asked;    //  last + 1 when the archive was last asked for it (0: never)
    uint64_t archive_lacks;    //  last + 1 where the archive's replay ended bringing nothing (0: none)
} kf_bus_cursor_t;

struct _kf_bus_t {
    kf_config_t *config;
    kf_store_t *store;
    kf_clock_t *clock;
    kf_bus_options_t options;
    kf_net_t *net;
    char *producer;
    char *replay_endpoint;
    zloop_t *loop;
    int64_t started;           //  monotonic ms of kf_bus_new
    int64_t heartbeat_ms;
    int64_t outbox_max_age_ms;
    uint64_t outbox_max_events;
    kf_bus_stats_t stats;

    //  producing
    kf_outbox_t *outbox;
    zsock_t *pub;
    zsock_t *replay;
    kf_replay_t *replayer;     //  serves the outbox (or options.replay_source)
    bool stopping;             //  kf_bus_stop was called

    //  consuming
    kf_inbox_t *inbox;
    zsock_t *sub;
    zhashx_t *producers;       //  name -> kf_bus_producer_t
    zhashx_t *cursors;         //  stream -> kf_bus_cursor_t
    zhashx_t *forged;          //  forged stream names already logged (at most S_FORGED_LOGGED)
    zhashx_t *estates;         //  consumed estate ids (NULL: all)
    kf_table_t recovered;      //  event ids whose effects came back from the archive (kf_recover)
    bool recovered_pending;    //  that table held some at the start

    //  the batch being applied; its events live in the arena until applied
    kf_arena_t *arena;
    Kf__Envelope **batch;
    size_t batch_len;
    size_t batch_size;
};



int64_t kf_bus_mono_ms (void);

//  "dispatch@c1/E001" -> "dispatch@c1" into buf; false when not a stream name.
bool kf_bus_stream_producer (const char *stream, char *buf, size_t size);

//  An event of one of our own streams: its effects were made with it.
bool kf_bus_own_stream (kf_bus_t *self, const char *stream);

bool kf_bus_consumes_estate (kf_bus_t *self, const char *estate);

kf_bus_cursor_t *kf_bus_cursor (kf_bus_t *self, const char *stream);

void kf_bus_free_item (void **item);

//  An estate's intake events come from the intake that owns the estate
//  (its configuration says which): "intake@<site>/<estate>" from another
//  site is forged, whatever the bus let through (DESIGN.md §7: consumers
//  refuse what is not the sender's estate). Other services' streams are
//  the cluster's; the bus's keys decide who may publish them.
bool kf_bus_forged (kf_bus_t *self, const char *stream, const char *estate);

//  Count a forged event; say so once per stream name (a few dozen names).
void kf_bus_refuse_forged (kf_bus_t *self, const char *stream, const char *estate);

//  Raise the operator-visible alarm of a stream, once: the stream stops
//  until kefuctl streams resolve (kf_bus_resolve) ends it.
void kf_bus_alarm (kf_bus_t *self, const char *stream, Kf__StreamAlarmKind kind, const char *why);

void kf_bus_flush (kf_bus_t *self);

//  Drop the socket to a producer's replay endpoint: zloop first, so it does
//  not poll a socket that is gone. A replay in flight on it is abandoned.
void kf_bus_producer_disconnect (kf_bus_t *self, kf_bus_producer_t *producer);

kf_bus_producer_t *kf_bus_producer (kf_bus_t *self, const char *name);

int kf_bus_apply_txn (kf_txn_t *txn, void *arg);

void kf_bus_batch_clear (kf_bus_t *self);

//  Decode an event into the batch; counts what does not decode.
void kf_bus_batch_decode (kf_bus_t *self, const void *data, size_t size, const char *only);

//  Apply the gathered batch in one transaction, then send what the handler
//  emitted and chase the gaps it found.
void kf_bus_apply_batch (kf_bus_t *self);

//  Compare a producer's announced heads with our cursors: a head beyond a
//  cursor means events we never got (a lost tail, or a start-up), so ask.
void kf_bus_catch_up (kf_bus_t *self, kf_bus_producer_t *producer);

void kf_bus_on_heartbeat (kf_bus_t *self, const void *data, size_t size);

void kf_bus_replay_start (kf_bus_t *self, kf_bus_producer_t *producer, const char *stream, uint64_t from);

//  A stream's producer cannot give what the cursor needs next (trimmed,
//  or an old epoch it no longer keeps): ask the archive for it, in the
//  cursor's epoch. False when there is no archive, or when its replay
//  from this very point ended and brought nothing: then it is the
//  operator's (the caller raises the alarm). A busy archive is asked at
//  the next heartbeat, when the producer's refusal brings us back; so is
//  one not heard yet while we are young (just started, a producer's beat
//  may come before the archive's), and one whose beats stopped a short
//  while ago (a consumer busy with a long replay reads its beats late).
bool kf_bus_ask_archive (kf_bus_t *self, const char *stream, const char *why);

#endif
