/*  bus_effect — what the bus test consumer stores per stream, shared by the
    consumer that writes it and the drivers that check it.  */
#ifndef BUS_EFFECT_H_INCLUDED
#define BUS_EFFECT_H_INCLUDED

#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    uint64_t count;        //  events applied
    uint64_t checksum;     //  sum of bus_effect_hash (note)
    uint64_t violations;   //  events that were not the next one
} bus_effect_t;

//  FNV-1a of a note.
static inline uint64_t
bus_effect_hash (const char *text)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *text; text++)
        h = (h ^ (uint8_t) *text) * 1099511628211ULL;
    return h;
}

//  The note of event k of a producer's estate, as the test producer writes it.
static inline void
bus_effect_note (char *buf, size_t size, const char *producer, const char *estate, uint64_t k)
{
    snprintf (buf, size, "%s|%s|%llu", producer, estate, (unsigned long long) k);
}

#ifdef KF_STORE_H_INCLUDED
//  Read the effect at a key from a consumer's store (drivers only).
typedef struct {
    kf_key_t *key;
    bus_effect_t *effect;
} bus_effect_read_t;

static inline int
bus_effect_read (kf_txn_t *txn, void *arg)
{
    bus_effect_read_t *r = arg;
    kf_val_t value;
    if (kf_txn_get (txn, kf_store_table (kf_txn_store (txn), "effects"), r->key, &value) == KF_FOUND
    &&  value.size == sizeof *r->effect)
        memcpy (r->effect, value.data, sizeof *r->effect);
    return 0;
}
#endif

#endif
