/*  kf_outbox_private — what kf_outbox's two files share (not for other
    modules): the outbox's state and its streams.

      kf_outbox.c       appending events with the state that caused them,
                        heads, replay decisions, a new epoch after a restore
      kf_outbox_send.c  reading events back, flushing them to the bus, and
                        the outbox's maintenance (retention by age and size)
*/
#ifndef KF_OUTBOX_PRIVATE_H_INCLUDED
#define KF_OUTBOX_PRIVATE_H_INCLUDED

#include "kf_outbox.h"
#include "kf_codec.h"
#include "kf_config.h"
#include "kf_schema.h"
#include <assert.h>
#include <czmq.h>
#include <string.h>
#include <sys/random.h>

//  An outbox value: [occurred_at int64 BE][topic length u8][topic][Envelope].
//  The time lets retention trim without decoding; the topic lets a flush
//  send without decoding.
#define S_PREFIX 9

//  What the outbox remembers of a stream between transactions.
typedef struct {
    uint64_t sent;          //  highest sequence sent (or checkpointed at start)
    uint64_t checkpointed;  //  the sent mark as last written to the store
    uint64_t txn_id;        //  the transaction the two below belong to
    uint64_t head_seq;      //  the head as this transaction has made it
    uint64_t first_seq;
    uint64_t previous_epoch;   //  after a restore: the epoch this one continues (0: none)
    uint64_t epoch_from_seq;   //  after a restore: the first sequence of this epoch
    bool unsent;            //  appended to since its last flush, or not flushed since the start:
                            //  a flush looks only at these, not at every estate's stream
} kf_outbox_stream_t;

struct _kf_outbox_t {
    kf_store_t *store;
    kf_table_t meta, outbox, heads;
    char producer [KF_ID_MAX * 2 + 2];
    uint64_t epoch;
    zhashx_t *streams;      //  stream name -> kf_outbox_stream_t
    char id_prefix [17];    //  random per process: event ids are this + a counter
    uint64_t id_counter;
};

uint64_t kf_outbox_be64_read (const uint8_t *p);

void kf_outbox_be64_write (uint8_t *p, uint64_t v);

int kf_outbox_put_head (kf_outbox_t *self, kf_txn_t *txn, const char *stream, const kf_outbox_stream_t *known,
                        uint64_t head_seq,
                    uint64_t first_seq);

#endif
