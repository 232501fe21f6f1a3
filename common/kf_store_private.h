/*  kf_store_private — what kf_store's files share (not for other modules):
    the store's, a transaction's and a cursor's state.

      kf_store.c  keys, the store (open, map growth, backups, commit
                  figures)
      kf_txn.c    transactions (sticky errors, the redo of map-full and
                  readers-full, nested ones) and cursors
*/
#ifndef KF_STORE_PRIVATE_H_INCLUDED
#define KF_STORE_PRIVATE_H_INCLUDED

#include "kf_store.h"
#include "kf_codec.h"
#include <assert.h>
#include <errno.h>
#include <time.h>
#include <lmdb.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <limits.h>

#define S_DEFAULT_MAP_SIZE      ((size_t) 64 << 20)
#define S_DEFAULT_MAP_SIZE_MAX  ((size_t) 1 << 40)
#define S_MAX_REDO              64   //  resize/reader-check redos before giving up

typedef struct {
    char *name;
    MDB_dbi dbi;
} s_table_t;

struct _kf_store_t {
    MDB_env *env;
    char *path;
    s_table_t *tables;
    size_t table_count;
    size_t map_size;
    size_t map_size_max;
    uint64_t txn_count;   //  transactions begun, redos included
    kf_store_commits_t commits;
    atomic_int copying;   //  copies being made from another thread: the map keeps its size meanwhile
};

struct _kf_txn_t {
    kf_store_t *store;
    MDB_txn *txn;
    uint64_t id;
    struct { kf_txn_hook_fn *fn; void *arg; } hooks [KF_TXN_HOOKS];
    int hook_count;
    bool write;
    bool dirty;           //  it wrote something: its commit is a durable one worth timing
    int rc;               //  the sticky error
    kf_err_t reason;
};

struct _kf_cursor_t {
    kf_txn_t *txn;
    MDB_cursor *cursor;
};

void kf_store_be64 (uint8_t *out, uint64_t v);

uint64_t kf_store_read_be (const uint8_t *in, int bytes);

#endif
