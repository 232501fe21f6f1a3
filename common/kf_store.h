/*  kf_store — a daemon's LMDB environment, used the Knot DNS way
    (kf_store.c: keys and the store; kf_txn.c: the sticky-error
    transactions that cure map-full and readers-full, and cursors).

    One environment per daemon, named tables, one writer thread. Work runs as
    a callback inside a transaction:

        static int
        s_file_ticket (kf_txn_t *txn, void *arg)
        {
            ...
            kf_txn_put_msg (txn, self->tickets, &key, &ticket.base);
            kf_txn_put (txn, self->by_unit, &index_key, "", 0);
            return 0;      //  or kf_txn_fail (txn, "unknown unit '%s'", unit)
        }
        kf_store_write (store, s_file_ticket, &req, &err);

    The transaction has a sticky error: after the first failure every call is
    a no-op and the commit aborts, so a handler is a straight line of puts
    with one check at the end (kf_store_write makes it). MDB_MAP_FULL (grow
    the map), MDB_READERS_FULL (clear stale readers) and MDB_MAP_RESIZED
    (another process grew it) are handled here, once: the transaction is
    aborted and the callback is run again from the start, so a callback must
    keep its effects inside the transaction, or reset them when it begins.

    Commits are durable (fdatasync). Throughput comes from putting many
    changes into one transaction, never from turning fsync off.
*/
#ifndef KF_STORE_H_INCLUDED
#define KF_STORE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>
#include "kf_log.h"

typedef struct _kf_store_t kf_store_t;
typedef struct _kf_txn_t kf_txn_t;
typedef struct _kf_cursor_t kf_cursor_t;
typedef unsigned int kf_table_t;

//  Results of lookups: found, or not there. Errors are -1.
#define KF_FOUND     0
#define KF_NOTFOUND  1

//  The sticky error of a transaction that its callback failed on purpose.
#define KF_TXN_ABORTED (-29000)

//  A key or value as LMDB returns it: valid until the transaction ends or
//  the next write in it.
typedef struct {
    const void *data;
    size_t size;
} kf_val_t;

//  ---- keys -----------------------------------------------------------------
//  Keys sort as bytes. They are built by one helper from a format:
//      s   const char *   the string's bytes; may not contain '|'
//      u   uint32_t       4 bytes big-endian
//      q   uint64_t       8 bytes big-endian
//      t   int64_t        8 bytes big-endian with the sign bit flipped, so
//                         negative times sort before positive ones
//      b   const void *, size_t   raw bytes
//      |   a literal '|' separator
//  e.g. kf_key_make (&key, "s|t|s", estate, deadline_ms, clock_id).

#define KF_KEY_MAX 511   //  LMDB's default maximum key size

typedef struct {
    size_t size;         //  0 marks a key that could not be built
    uint8_t data [KF_KEY_MAX];
} kf_key_t;

//  Returns 0, or -1 (and an empty key, which every store call refuses) when
//  the key would be too long or a string holds '|'.
int kf_key_make (kf_key_t *key, const char *format, ...);

//  The reverse, over the same format; 's' takes (char *buffer, size_t size).
//  Returns 0 only when the whole key matches the whole format.
int kf_key_scan (const void *data, size_t size, const char *format, ...);

bool kf_key_has_prefix (kf_val_t key, const kf_key_t *prefix);

//  ---- the store ------------------------------------------------------------

typedef struct {
    size_t map_size;      //  initial map size in bytes (default 64 MiB)
    size_t map_size_max;  //  growth stops here (default 1 TiB)
    unsigned max_readers; //  default 126
} kf_store_options_t;

//  Open (creating when needed) the environment in directory `path` with the
//  given NULL-terminated table names. Options may be NULL.
kf_store_t *kf_store_new (const char *path, const char *const *tables,
                          const kf_store_options_t *options, kf_err_t *err);
void kf_store_destroy (kf_store_t **self_p);

//  The handle of a table named at open. Asking for another is a bug.
kf_table_t kf_store_table (kf_store_t *self, const char *name);

//  The handles of several: names [i]'s into *tables [i], names
//  NULL-terminated.
void kf_store_tables (kf_store_t *self, const char *const *names, kf_table_t *const *tables);

typedef int (kf_txn_fn) (kf_txn_t *txn, void *arg);

//  Run fn in a write transaction and commit it durably. Returns 0 when
//  committed; -1 with the reason when fn failed, the transaction hit an
//  error, or the commit failed (disk full included): nothing was written.
int kf_store_write (kf_store_t *self, kf_txn_fn *fn, void *arg, kf_err_t *err);

//  Run fn in a read-only transaction.
int kf_store_read (kf_store_t *self, kf_txn_fn *fn, void *arg, kf_err_t *err);

//  Online compact copy into `directory` (created if missing; must be empty).
int kf_store_backup (kf_store_t *self, const char *directory, kf_err_t *err);

//  A copy made from another thread while this one goes on writing (a big
//  store takes minutes). LMDB lets the map grow only with no transaction
//  open in the process, and the copy holds one: kf_store_copy_begin, in
//  the writing thread, grows the map ahead by a quarter of what is used
//  (at least 256 MiB) and holds it at that size until the copying thread
//  has called kf_store_copy_end after kf_store_backup; a write that does
//  not fit meanwhile fails with that reason and writes nothing.
int kf_store_copy_begin (kf_store_t *self, kf_err_t *err);
void kf_store_copy_end (kf_store_t *self);

//  Durable commits of write transactions that wrote something, and how long
//  each took, as a
//  histogram: buckets [i] counts the commits that took at most
//  kf_store_commit_bounds_us [i] (cumulative, as Prometheus counts).
#define KF_STORE_COMMIT_BUCKETS 11
extern const int64_t kf_store_commit_bounds_us [KF_STORE_COMMIT_BUCKETS];
typedef struct {
    uint64_t count;
    uint64_t sum_us;
    uint64_t buckets [KF_STORE_COMMIT_BUCKETS];
} kf_store_commits_t;
const kf_store_commits_t *kf_store_commits (kf_store_t *self);

//  Current map size in bytes, and bytes in use.
size_t kf_store_map_size (kf_store_t *self);
size_t kf_store_used (kf_store_t *self);
const char *kf_store_path (kf_store_t *self);

//  ---- transactions ---------------------------------------------------------

bool kf_txn_ok (const kf_txn_t *self);
bool kf_txn_writable (const kf_txn_t *self);
//  The sticky error: 0, an LMDB or errno code, or KF_TXN_ABORTED.
int kf_txn_error (const kf_txn_t *self);
const char *kf_txn_reason (const kf_txn_t *self);
kf_store_t *kf_txn_store (kf_txn_t *self);
//  Run fn in a transaction nested in this write transaction. Its writes join
//  the parent when fn returns 0 and the nested transaction is ok, and are
//  undone otherwise, leaving the parent as it was: one bad request in a
//  batch changes nothing of the batch. A failure on purpose (kf_txn_fail)
//  stays inside; a storage failure (map full, disk) fails the parent too, so
//  that kf_store_write can cure it and redo the whole. Returns 0, or -1 with
//  the nested transaction's reason.
int kf_txn_nested (kf_txn_t *parent, kf_txn_fn *fn, void *arg, kf_err_t *err);

//  Run fn (txn, arg) inside this write transaction just before it commits,
//  after the callback of kf_store_write returned 0: for a module that keeps
//  what it changed in memory and writes it once (the outbox's stream heads).
//  A hook also runs before each transaction nested in this one begins, so
//  the child reads what the parent made: it must write the current state,
//  and may run more than once. At most KF_TXN_HOOKS a transaction;
//  registering the same fn and arg twice registers it once. A redo starts
//  with none.
#define KF_TXN_HOOKS 8
typedef void (kf_txn_hook_fn) (kf_txn_t *txn, void *arg);
int kf_txn_before_commit (kf_txn_t *self, kf_txn_hook_fn *fn, void *arg);

//  A number no other transaction of this store has had, a redo included:
//  lets a caller cache what it read within one transaction, safely.
uint64_t kf_txn_id (const kf_txn_t *self);

//  Fail the transaction on purpose (printf-style reason); returns -1.
int kf_txn_fail (kf_txn_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

int kf_txn_put (kf_txn_t *self, kf_table_t table, const kf_key_t *key, const void *data, size_t size);
//  Room for `size` bytes at key, to be filled before the next call on the
//  transaction; NULL on error (sticky).
void *kf_txn_reserve (kf_txn_t *self, kf_table_t table, const kf_key_t *key, size_t size);
//  Pack a protobuf message straight into the page LMDB reserves for it.
int kf_txn_put_msg (kf_txn_t *self, kf_table_t table, const kf_key_t *key, const ProtobufCMessage *msg);
//  KF_FOUND, KF_NOTFOUND or -1.
int kf_txn_get (kf_txn_t *self, kf_table_t table, const kf_key_t *key, kf_val_t *value);
//  Unpacked and validated by kf_codec; free with kf_codec_free. A value that
//  does not decode is a corrupt store: the transaction fails.
int kf_txn_get_msg (kf_txn_t *self, kf_table_t table, const kf_key_t *key,
                    const ProtobufCMessageDescriptor *descriptor, ProtobufCMessage **msg);
//  The same, decoded into an arena (kf_codec_unpack_in): for messages that
//  live as long as a request's reply or a batch. Never kf_codec_free them.
typedef struct _kf_arena_t kf_arena_t;
int kf_txn_get_msg_in (kf_txn_t *self, kf_table_t table, const kf_key_t *key,
                       const ProtobufCMessageDescriptor *descriptor, kf_arena_t *arena, ProtobufCMessage **msg);
//  The message at key decoded into an arena, or NULL when there is none
//  (a key that could not be built finds none). A corrupt value fails the
//  transaction, as kf_txn_get_msg_in does: check kf_txn_ok after NULL.
ProtobufCMessage *kf_txn_find_msg_in (kf_txn_t *self, kf_table_t table, const kf_key_t *key,
                                      const ProtobufCMessageDescriptor *descriptor, kf_arena_t *arena);
//  KF_FOUND (deleted), KF_NOTFOUND or -1.
int kf_txn_del (kf_txn_t *self, kf_table_t table, const kf_key_t *key);
//  Counters: a big-endian uint64 at key, 0 when absent. kf_txn_next adds
//  one and kf_txn_add adds delta (never below 0); both return the new
//  value, 0 on error.
uint64_t kf_txn_counter (kf_txn_t *self, kf_table_t table, const kf_key_t *key);
uint64_t kf_txn_next (kf_txn_t *self, kf_table_t table, const kf_key_t *key);
uint64_t kf_txn_add (kf_txn_t *self, kf_table_t table, const kf_key_t *key, int64_t delta);

//  Call fn for every entry whose key starts with prefix (all when prefix is
//  NULL), in key order. fn returns 0 to go on, 1 to stop, -1 to fail.
typedef int (kf_scan_fn) (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg);
int kf_txn_scan (kf_txn_t *self, kf_table_t table, const kf_key_t *prefix, kf_scan_fn *fn, void *arg);

//  The same, with each value decoded (kf_codec) as a message of the given
//  type. A value that does not decode is a corrupt store: the scan stops and
//  the transaction fails.
typedef int (kf_scan_msg_fn) (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg);
int kf_txn_scan_msg (kf_txn_t *self, kf_table_t table, const kf_key_t *prefix,
                     const ProtobufCMessageDescriptor *descriptor, kf_scan_msg_fn *fn, void *arg);

//  The same, each message decoded into `arena` (kf_codec_unpack_in), so
//  that fn may keep it (a list's rows, for a reply) as long as the arena.
int kf_txn_scan_msg_in (kf_txn_t *self, kf_table_t table, const kf_key_t *prefix,
                        const ProtobufCMessageDescriptor *descriptor, kf_arena_t *arena, kf_scan_msg_fn *fn,
                        void *arg);

//  Entries in a table.
uint64_t kf_txn_count (kf_txn_t *self, kf_table_t table);

//  Every entry of a table goes (the table stays); 0 or -1 (sticky).
int kf_txn_clear (kf_txn_t *self, kf_table_t table);

//  A table rebuilt from other records once (a tally counted from what it
//  counts, on the first start of a build that keeps it): when `mark` is
//  not in the table yet, the table is emptied (what saves made before the
//  rebuild counted would count twice), marked, and 1 returned, so the
//  caller refills it in this transaction; 0 when it was done before; -1
//  on error (sticky).
int kf_txn_rebuild_once (kf_txn_t *self, kf_table_t table, const char *mark);

//  A counter's value (kf_txn_add) as a cursor or a scan saw it; false when
//  it is not one.
bool kf_val_counter (kf_val_t value, uint64_t *count);

//  ---- cursors --------------------------------------------------------------
//  Positioning calls return KF_FOUND, KF_NOTFOUND (nothing there) or -1.

kf_cursor_t *kf_cursor_open (kf_txn_t *txn, kf_table_t table);
void kf_cursor_close (kf_cursor_t **self_p);
int kf_cursor_seek (kf_cursor_t *self, const kf_key_t *key, kf_val_t *k, kf_val_t *v);  //  first >= key
int kf_cursor_first (kf_cursor_t *self, kf_val_t *k, kf_val_t *v);
int kf_cursor_last (kf_cursor_t *self, kf_val_t *k, kf_val_t *v);
int kf_cursor_next (kf_cursor_t *self, kf_val_t *k, kf_val_t *v);
int kf_cursor_prev (kf_cursor_t *self, kf_val_t *k, kf_val_t *v);
//  Delete the entry under the cursor.
int kf_cursor_del (kf_cursor_t *self);

#endif
