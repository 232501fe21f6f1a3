/*  kf_clock — the one way every daemon reads the time.

    The real clock reads CLOCK_REALTIME. The file clock (started with
    `--clock FILE`) reads the time written in FILE, so every process of a test
    or demo follows the same time and `kefuctl clock advance 26h` moves them
    all. The file clock stands still between writes. FILE holds UTC
    milliseconds, or an ISO-8601 time for people who edit it by hand.
*/
#ifndef KF_CLOCK_H_INCLUDED
#define KF_CLOCK_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "kf_log.h"

typedef struct _kf_clock_t kf_clock_t;

//  The real clock when path is NULL, else the file clock on path, which must
//  exist and hold a valid time.
kf_clock_t *kf_clock_new (const char *path, kf_err_t *err);
void kf_clock_destroy (kf_clock_t **self_p);

//  Now, in UTC ms. A file clock re-reads its file only when it changed; if it
//  becomes unreadable it keeps the last good time and logs a warning once.
int64_t kf_clock_now (kf_clock_t *self);

bool kf_clock_is_file (kf_clock_t *self);
//  The file of a file clock, else NULL.
const char *kf_clock_path (kf_clock_t *self);

//  A time as a clock file holds it, and as people give one: UTC
//  milliseconds ("1772413200000"), or an ISO-8601 time; trailing white
//  space allowed.
int kf_clock_time_parse (const char *text, int64_t *utc_ms, kf_err_t *err);

//  Operations on a clock file (kefuctl clock, tests). Writes are atomic
//  (temporary file, fsync, rename), so a reader never sees half a time.
int kf_clock_file_read (const char *path, int64_t *utc_ms, kf_err_t *err);
int kf_clock_file_write (const char *path, int64_t utc_ms, kf_err_t *err);
//  Add delta_ms under an exclusive lock, so that concurrent advances add up.
//  Stores the new time in *utc_ms when it is not NULL.
int kf_clock_file_advance (const char *path, int64_t delta_ms, int64_t *utc_ms, kf_err_t *err);

#endif
