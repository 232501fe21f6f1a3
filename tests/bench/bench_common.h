/*  bench_common — what the kefu and the bare benchmark programs share, so
    that both pipelines are measured the same way.

    Every event carries "<k>|<t>": its number and the monotonic microsecond
    at which its producer's transaction began (its publish time). A
    consumer notes, right after each commit, how long each event of the
    batch took, and at the end writes them to a file the driver reads.
*/
#ifndef BENCH_COMMON_H_INCLUDED
#define BENCH_COMMON_H_INCLUDED

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t
bench_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static inline void
bench_note (char *buf, size_t size, uint64_t k, uint64_t t)
{
    snprintf (buf, size, "%llu|%llu", (unsigned long long) k, (unsigned long long) t);
}

static inline int
bench_parse (const char *note, uint64_t *k, uint64_t *t)
{
    char *bar;
    *k = strtoull (note, &bar, 10);
    if (*bar != '|')
        return -1;
    *t = strtoull (bar + 1, NULL, 10);
    return 0;
}

//  How many of `events` are due `elapsed_us` after the start at `rate`/s
//  (rate 0: all of them).
static inline uint64_t
bench_due (uint64_t events, uint64_t rate, uint64_t elapsed_us)
{
    if (rate == 0)
        return events;
    uint64_t due = rate * elapsed_us / 1000000 + 1;
    return due < events ? due : events;
}

//  A consumer's record: latency per event, and when the first and the last
//  commit happened.
typedef struct {
    uint64_t events;
    uint64_t received;
    uint64_t first_commit_us;
    uint64_t last_commit_us;
    uint64_t first_publish_us;  //  the earliest publish time seen
    uint32_t *latency_us;      //  per event number - 1; 0 until received
    uint64_t *pending_k;       //  events of the batch being committed
    uint64_t *pending_t;
    size_t pending;
} bench_record_t;

static inline bench_record_t *
bench_record_new (uint64_t events)
{
    bench_record_t *r = calloc (1, sizeof *r);
    r->events = events;
    r->latency_us = calloc (events, sizeof *r->latency_us);
    r->pending_k = calloc (4096, sizeof (uint64_t));
    r->pending_t = calloc (4096, sizeof (uint64_t));
    return r;
}

static inline void
bench_record_destroy (bench_record_t **r)
{
    if (*r) {
        free ((*r)->latency_us);
        free ((*r)->pending_k);
        free ((*r)->pending_t);
        free (*r);
        *r = NULL;
    }
}

//  An event applied in the batch being committed.
static inline void
bench_record_pending (bench_record_t *r, uint64_t k, uint64_t t)
{
    if (r->pending < 4096 && k >= 1 && k <= r->events) {
        r->pending_k [r->pending] = k;
        r->pending_t [r->pending] = t;
        r->pending++;
    }
}

//  The batch has committed: every pending event has arrived.
static inline void
bench_record_committed (bench_record_t *r)
{
    uint64_t now = bench_now_us ();
    for (size_t i = 0; i < r->pending; i++) {
        uint64_t k = r->pending_k [i];
        if (r->latency_us [k - 1] == 0)
            r->received++;
        if (!r->first_publish_us || r->pending_t [i] < r->first_publish_us)
            r->first_publish_us = r->pending_t [i];
        uint64_t lat = now > r->pending_t [i] ? now - r->pending_t [i] : 1;
        r->latency_us [k - 1] = (uint32_t) (lat ? lat : 1);
    }
    if (r->pending && !r->first_commit_us)
        r->first_commit_us = now;
    if (r->pending)
        r->last_commit_us = now;
    r->pending = 0;
}

static inline int
bench_record_write (bench_record_t *r, const char *path)
{
    FILE *file = fopen (path, "wb");
    if (!file)
        return -1;
    uint64_t header [5] = { r->events, r->received, r->first_commit_us, r->last_commit_us, r->first_publish_us };
    fwrite (header, sizeof header, 1, file);
    fwrite (r->latency_us, sizeof *r->latency_us, r->events, file);
    fclose (file);
    return 0;
}

#endif
