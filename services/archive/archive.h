/*  archive — every event of every stream, kept for years (DESIGN.md §2,
    issue 17).

    kefu-archive consumes the whole bus like any consumer (cursors, replay,
    exactly once across kill -9) and records each event as its producer
    sent it, under (stream, epoch, sequence), with two indexes: by case
    (the ticket number its body names) and by estate and time. From that:

      - its replay endpoint answers the requests a producer's answers, for
        any stream and epoch it holds: a consumer away longer than an outbox
        keeps events, a daemon added later, a producer restored from a
        backup (which takes back what it lost) all ask it;
      - `kefuctl history` reads a case's or an estate's events;
      - events older than archive/retention go, oldest first, a bounded
        number a tick, so the retention's transactions stay short.

    Plain functions over a store transaction; main.c wires them to the bus.
*/
#ifndef ARCHIVE_H_INCLUDED
#define ARCHIVE_H_INCLUDED

#include "kf_codec.h"
#include "kf_config.h"
#include "kf_replay.h"
#include "commands.pb-c.h"
#include "envelope.pb-c.h"

//  The archive's tables, after the bus's.
#define ARCHIVE_OWN_TABLES "archive_events", "archive_epochs", "archive_current", \
    "archive_by_case", "archive_by_time", "archive_by_age"
#define ARCHIVE_TABLES KF_BUS_TABLES, ARCHIVE_OWN_TABLES

#define ARCHIVE_PAGE_DEFAULT 200
#define ARCHIVE_PAGE_MAX     1000

typedef struct _archive_t archive_t;

archive_t *archive_new (kf_config_t *config, kf_err_t *err);
void archive_destroy (archive_t **self_p);

//  Keep one event (kf_bus_handler_fn's contract: the bus hands each
//  stream's events once, in order). 0, or -1 when the transaction failed.
int archive_record (archive_t *self, kf_txn_t *txn, const Kf__Envelope *event);

//  What the archive's replay endpoint serves.
kf_replay_source_t archive_replay_source (archive_t *self);

//  Answer kefuctl history (kf_command_fn's contract).
int archive_handle_request (archive_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                            Kf__Reply *reply, kf_arena_t *arena);

//  Drop events that occurred before now_ms - archive/retention, at most
//  `budget` of them. How many went, or -1 when the transaction failed.
int64_t archive_trim (archive_t *self, kf_txn_t *txn, int64_t now_ms, size_t budget);

//  Events held, over all streams (reads txn).
uint64_t archive_count (archive_t *self, kf_txn_t *txn);

#endif
