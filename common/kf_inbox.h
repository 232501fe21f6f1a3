/*  kf_inbox — the consumer's half of the bus (DESIGN.md §2): one cursor per
    stream, read and moved in the same transaction as the effect of the
    event, so that effect is applied exactly once whatever crashes.

        seq = last + 1  apply
        seq <= last     a duplicate: skip
        seq > last + 1  a gap: replay [last + 1, seq - 1] first
        another epoch   the producer's store was rebuilt: an operator must
                        decide (snapshot required); never skipped silently
*/
#ifndef KF_INBOX_H_INCLUDED
#define KF_INBOX_H_INCLUDED

#include "kf_outbox.h"

typedef enum {
    KF_INBOX_APPLY = 0,
    KF_INBOX_DUPLICATE,
    KF_INBOX_GAP,
    KF_INBOX_NEW_EPOCH,
    KF_INBOX_MALFORMED    //  stream, epoch, seq or estate missing or inconsistent
} kf_inbox_verdict_t;

typedef struct _kf_inbox_t kf_inbox_t;

kf_inbox_t *kf_inbox_new (kf_store_t *store);
void kf_inbox_destroy (kf_inbox_t **self_p);

//  What to do with an event. *last gets the cursor's sequence (0: none).
kf_inbox_verdict_t kf_inbox_check (kf_inbox_t *self, kf_txn_t *txn, const Kf__Envelope *event, uint64_t *last);

//  The two halves of kf_inbox_check, for a caller that keeps the cursors of
//  a batch in memory (kf_bus): whether the header hangs together, and the
//  verdict on a well-formed event against a cursor (epoch, last).
bool kf_inbox_well_formed (const Kf__Envelope *event);
kf_inbox_verdict_t kf_inbox_judge (const Kf__Envelope *event, uint64_t epoch, uint64_t last);

//  Move the stream's cursor to this event (after applying it).
int kf_inbox_advance (kf_inbox_t *self, kf_txn_t *txn, const Kf__Envelope *event, int64_t now_ms);

//  A stream's cursor; last_seq 0 and epoch 0 when there is none.
//  event_id (may be NULL) receives the last applied event's id, "" if unknown.
int kf_inbox_cursor (kf_inbox_t *self, kf_txn_t *txn, const char *stream, uint64_t *epoch, uint64_t *last_seq,
                     char *event_id, size_t event_id_size);

//  Move a stream's cursor where an operator's decision (or a producer's
//  announced continuation) puts it: the next event applied is last_seq + 1
//  of `epoch`.
int kf_inbox_set (kf_inbox_t *self, kf_txn_t *txn, const char *stream, uint64_t epoch, uint64_t last_seq,
                  const char *event_id, int64_t now_ms);

//  Every cursor: fn returns 0 to go on.
typedef int (kf_inbox_cursor_fn) (const Kf__Cursor *cursor, void *arg);
int kf_inbox_cursors (kf_inbox_t *self, kf_txn_t *txn, kf_inbox_cursor_fn *fn, void *arg);

const char *kf_inbox_verdict_name (kf_inbox_verdict_t verdict);

#endif
