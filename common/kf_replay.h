/*  kf_replay — a replay endpoint (DESIGN.md §2): a ROUTER that serves
    consumers the ranges of streams they ask for, a batch at a time against
    their credit, so nothing is dropped at the high-water mark.

    The events come from a source: a producer's own outbox (kf_bus), or the
    archive, which keeps every stream's events for years. Both answer the
    same requests, so a consumer asks either in the same words.

    The rule of the bus holds here too: a key reads its own estates only.
*/
#ifndef KF_REPLAY_H_INCLUDED
#define KF_REPLAY_H_INCLUDED

#include <czmq.h>
#include "kf_net.h"
#include "kf_outbox.h"
#include "kf_store.h"

//  What a source decided about a request: the stream, its epoch and the
//  range [from, to] to send (empty when from > to), and how the stream
//  stands (head, first kept).
typedef struct {
    uint64_t epoch;
    uint64_t from, to;
    uint64_t head, first;
} kf_replay_range_t;

typedef struct {
    //  Decide a request inside a read transaction: OK with the range, or
    //  why not in `reason` (UNKNOWN_STREAM, SNAPSHOT_REQUIRED, ...).
    Kf__ReplayStatus (*decide) (void *source, kf_txn_t *txn, const Kf__ReplayRequest *request,
                                kf_replay_range_t *range, char *reason, size_t size);
    //  Events [from, to] of (stream, epoch), at most max, in order; the
    //  bytes handed to fn live until the transaction ends. How many were
    //  read, or -1.
    int64_t (*read) (void *source, kf_txn_t *txn, const char *stream, uint64_t epoch, uint64_t from, uint64_t to,
                     size_t max, kf_outbox_read_fn *fn, void *arg);
    void *source;
} kf_replay_source_t;

//  A producer's outbox as a source.
kf_replay_source_t kf_replay_outbox_source (kf_outbox_t *outbox);

typedef struct {
    uint64_t served;       //  events sent
    uint64_t forbidden;    //  requests refused: not of the asking key's estates
    uint64_t malformed;    //  frames that were not replay messages
} kf_replay_stats_t;

typedef struct _kf_replay_t kf_replay_t;

//  Serve from `router` (bound, ROUTER_MANDATORY) on loop, reading the
//  source in read transactions of store, batch events to a batch. The
//  router stays the caller's.
kf_replay_t *kf_replay_new (zloop_t *loop, zsock_t *router, kf_store_t *store, kf_net_t *net,
                            const kf_replay_source_t *source, size_t batch, kf_err_t *err);
void kf_replay_destroy (kf_replay_t **self_p);

//  Drop the sessions of consumers that went quiet (from a periodic tick).
void kf_replay_expire (kf_replay_t *self);

const kf_replay_stats_t *kf_replay_stats (kf_replay_t *self);

//  A protobuf message packed straight into a new frame. NULL when out of memory.
zframe_t *kf_replay_frame (const ProtobufCMessage *msg);

//  The asking side, on a DEALER: ask for [from, to] (to 0: up to the head)
//  of a stream, in `epoch` when has_epoch, with `credit` batches ahead; or
//  give credit for more. 0, or -1 when it could not be sent.
int kf_replay_ask (zsock_t *dealer, const char *stream, bool has_epoch, uint64_t epoch, uint64_t from, uint64_t to,
                   uint32_t credit);
int kf_replay_give_credit (zsock_t *dealer, uint32_t credit);

#endif
