/*  kf_outbox — the producer's half of the bus (DESIGN.md §2).

    A producer writes each event into its outbox in the same transaction as
    the state change that caused it. The outbox gives the event its stream
    (<producer>/<estate>), its gap-free sequence and the store's epoch, and
    keeps it for replay. After the commit, kf_outbox_flush sends what has not
    been sent yet; after a restart that is the unsent tail, found from the
    sent marks that kf_outbox_maintain checkpoints.

    Tables: the store must be opened with KF_BUS_TABLES among its tables.
*/
#ifndef KF_OUTBOX_H_INCLUDED
#define KF_OUTBOX_H_INCLUDED

#include <stdint.h>
#include "kf_store.h"
#include "envelope.pb-c.h"
#include "bus.pb-c.h"

//  The tables of the bus in a daemon's store: put these in its table list.
#define KF_BUS_TABLES "bus_meta", "bus_outbox", "bus_heads", "bus_cursors", "bus_decisions", "bus_recovered"

#define KF_STREAM_MAX 80   //  <producer>/<estate>: 32 + 1 + 32 + 1 + 1, rounded up

typedef struct _kf_outbox_t kf_outbox_t;

//  Opens the producer's outbox, making its epoch if the store is new.
//  producer: "<service>@<cluster>", e.g. "dispatch@c1".
kf_outbox_t *kf_outbox_new (kf_store_t *store, const char *producer, kf_err_t *err);
void kf_outbox_destroy (kf_outbox_t **self_p);

const char *kf_outbox_producer (kf_outbox_t *self);
uint64_t kf_outbox_epoch (kf_outbox_t *self);

//  In a write transaction: append an event. The caller sets its estate and
//  body (and causation_id, actor when known); the outbox fills in stream,
//  epoch, seq, event_id, occurred_at_ms and schema_version, in its own copy:
//  the caller's struct is not changed. Returns the sequence, or 0 when the
//  transaction failed (sticky).
uint64_t kf_outbox_append (kf_outbox_t *self, kf_txn_t *txn, const Kf__Envelope *event, int64_t now_ms);

//  In a write transaction, after a restore: put back an event this store
//  published before it was lost (from the archive), as it was: its stream
//  of this producer, this store's epoch, the sequence after the head. It
//  counts as sent. Returns its sequence, 0 when it does not fit (the
//  transaction fails, saying why). The sent marks it keeps in memory are
//  not undone with an aborted transaction: use it on an outbox that is
//  thrown away afterwards (kf_recover's), and open the bus's anew.
uint64_t kf_outbox_put_back (kf_outbox_t *self, kf_txn_t *txn, const Kf__Envelope *event);

//  Sends each event not sent yet, in order per stream: send(topic, envelope
//  bytes, arg) returns 0, or -1 to stop (it will be sent again next time).
typedef int (kf_outbox_send_fn) (const char *topic, const void *envelope, size_t size, void *arg);
int kf_outbox_flush (kf_outbox_t *self, kf_outbox_send_fn *send, void *arg, kf_err_t *err);

//  In a write transaction, at most once a second or so: checkpoint the sent
//  marks and trim events older than max_age_ms or beyond the newest
//  max_events of each stream, never one that is not yet sent. Deletes at
//  most `budget` events, so the transaction stays short. Returns how many
//  were trimmed.
size_t kf_outbox_maintain (kf_outbox_t *self, kf_txn_t *txn, int64_t now_ms,
                           int64_t max_age_ms, uint64_t max_events, size_t budget);

//  The head of a stream (head_seq 0 when it has none). Reads txn.
int kf_outbox_head (kf_outbox_t *self, kf_txn_t *txn, const char *stream, Kf__StreamHead *head);
//  The head of a stream as this transaction has made it, its appends
//  included (kf_outbox_head reads what was committed): what a consumer's
//  cursor must reach to have applied them. 0 when it has none, or failed.
uint64_t kf_outbox_head_in (kf_outbox_t *self, kf_txn_t *txn, const char *stream);

//  Every stream's head, in stream order: fn returns 0 to go on.
typedef int (kf_outbox_head_fn) (const Kf__StreamHead *head, void *arg);
int kf_outbox_heads (kf_outbox_t *self, kf_txn_t *txn, kf_outbox_head_fn *fn, void *arg);

//  Events [from, to] of a stream (to 0: up to the head), at most `max`, in
//  order: fn (seq, envelope bytes, arg) returns 0 to go on. Returns how many
//  were read, or -1.
typedef int (kf_outbox_read_fn) (uint64_t seq, const void *envelope, size_t size, void *arg);
int64_t kf_outbox_read (kf_outbox_t *self, kf_txn_t *txn, const char *stream, uint64_t from, uint64_t to,
                        size_t max, kf_outbox_read_fn *fn, void *arg);

//  Decide a replay request (kf_bus's replay endpoint, the fuzzers): OK with
//  the range [*from, *to] to send (empty when from > to), or why not, in
//  `reason`: another producer's stream (UNKNOWN_STREAM), another epoch or a
//  range already trimmed (SNAPSHOT_REQUIRED). *head and *first describe the
//  stream in every case.
Kf__ReplayStatus kf_outbox_replay_range (kf_outbox_t *self, kf_txn_t *txn, const Kf__ReplayRequest *request,
                                         uint64_t *from, uint64_t *to, uint64_t *head, uint64_t *first,
                                         char *reason, size_t size);

//  A stream's name: "<producer>/<estate>". Returns 0, or -1 if too long.
int kf_stream_name (char *buf, size_t size, const char *producer, const char *estate);

//  After a restore (kf_restore), before the outbox opens: a new epoch that
//  continues the store's own. Every stream keeps its head and announces
//  (StreamHead.previous_epoch, epoch_from_seq = head + 1) that it goes on
//  from there, so that consumers follow it instead of raising an alarm and
//  no (stream, epoch, seq) is ever used twice. fn (stream, restored head,
//  arg) sees each stream first; non-zero stops it.
typedef int (kf_outbox_restart_fn) (const char *stream, uint64_t head_seq, void *arg);
int kf_outbox_restart_epoch (kf_txn_t *txn, uint64_t *old_epoch, uint64_t *new_epoch, kf_outbox_restart_fn *fn,
                             void *arg);

//  Before kf_outbox_restart_epoch: a stream the cluster had seen in the
//  backup's epoch that the restored store does not hold at all (it began
//  after the backup) gets an empty head, so that the new epoch announces
//  itself as its continuation too and the service moves its numbers past
//  it. Nothing when the store has the stream. 0, or -1.
int kf_outbox_adopt_stream (kf_txn_t *txn, const char *stream, uint64_t epoch);

#endif
