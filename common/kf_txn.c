/*  kf_txn — a store's transactions, Knot's habit: a sticky error after
    which every call is a no-op and commit aborts; MDB_MAP_FULL and
    MDB_READERS_FULL cured and the work redone, in one place; nested
    transactions; and cursors. See kf_store.h.
*/
#include "kf_store_private.h"

//  ---- transactions ---------------------------------------------------------

//  Record the first error; later ones are consequences.
static int
s_txn_error (kf_txn_t *self, int rc, const char *what)
{
    if (self->rc == 0) {
        self->rc = rc;
        snprintf (self->reason.text, sizeof self->reason.text, "store %s: %s: %s",
                  self->store->path, what, mdb_strerror (rc));
    }
    return -1;
}

bool
kf_txn_ok (const kf_txn_t *self)
{
    assert (self);
    return self->rc == 0;
}

bool
kf_txn_writable (const kf_txn_t *self)
{
    assert (self);
    return self->write;
}

int
kf_txn_error (const kf_txn_t *self)
{
    assert (self);
    return self->rc;
}

const char *
kf_txn_reason (const kf_txn_t *self)
{
    assert (self);
    return self->reason.text;
}

kf_store_t *
kf_txn_store (kf_txn_t *self)
{
    assert (self);
    return self->store;
}

int
kf_txn_nested (kf_txn_t *parent, kf_txn_fn *fn, void *arg, kf_err_t *err)
{
    assert (parent && parent->write && fn);
    if (parent->rc)
        return kf_err_set (err, "%s", parent->reason.text);
    kf_store_t *store = parent->store;
    //  What the parent keeps in memory for its commit (the outbox's stream
    //  heads) must be in the store before a child reads it.
    for (int i = 0; i < parent->hook_count && parent->rc == 0; i++)
        parent->hooks [i].fn (parent, parent->hooks [i].arg);
    if (parent->rc)
        return kf_err_set (err, "%s", parent->reason.text);
    kf_txn_t child = { .store = store, .write = true, .id = ++store->txn_count };
    int rc = mdb_txn_begin (store->env, parent->txn, 0, &child.txn);
    if (rc) {
        s_txn_error (parent, rc, "nested transaction");
        return kf_err_set (err, "%s", parent->reason.text);
    }
    if (fn (&child, arg) != 0 && child.rc == 0)
        kf_txn_fail (&child, "request failed");
    for (int i = 0; i < child.hook_count && child.rc == 0; i++)
        child.hooks [i].fn (&child, child.hooks [i].arg);
    if (child.rc == 0) {
        rc = mdb_txn_commit (child.txn);
        if (rc == 0)
            return 0;
        s_txn_error (&child, rc, "nested commit");
    }
    else
        mdb_txn_abort (child.txn);
    //  Only a failure on purpose leaves the parent untouched.
    if (child.rc != KF_TXN_ABORTED && parent->rc == 0) {
        parent->rc = child.rc;
        parent->reason = child.reason;
    }
    if (err)
        *err = child.reason;
    return -1;
}

int
kf_txn_before_commit (kf_txn_t *self, kf_txn_hook_fn *fn, void *arg)
{
    assert (self && self->write && fn);
    for (int i = 0; i < self->hook_count; i++)
        if (self->hooks [i].fn == fn && self->hooks [i].arg == arg)
            return 0;
    if (self->hook_count == KF_TXN_HOOKS)
        return kf_txn_fail (self, "store %s: more than %d commit hooks", self->store->path, KF_TXN_HOOKS);
    self->hooks [self->hook_count].fn = fn;
    self->hooks [self->hook_count].arg = arg;
    self->hook_count++;
    return 0;
}

uint64_t
kf_txn_id (const kf_txn_t *self)
{
    assert (self);
    return self->id;
}

int
kf_txn_fail (kf_txn_t *self, const char *format, ...)
{
    assert (self);
    if (self->rc == 0) {
        self->rc = KF_TXN_ABORTED;
        va_list args;
        va_start (args, format);
        vsnprintf (self->reason.text, sizeof self->reason.text, format, args);
        va_end (args);
    }
    return -1;
}

static bool
s_key_usable (kf_txn_t *self, const kf_key_t *key)
{
    if (key && key->size > 0)
        return true;
    kf_txn_fail (self, "store %s: a key could not be built (too long, or a '|' in a name)",
                 self->store->path);
    return false;
}

int
kf_txn_put (kf_txn_t *self, kf_table_t table, const kf_key_t *key, const void *data, size_t size)
{
    assert (self && self->write);
    if (self->rc || !s_key_usable (self, key))
        return -1;
    MDB_val k = { key->size, (void *) key->data }, v = { size, (void *) data };
    int rc = mdb_put (self->txn, table, &k, &v, 0);
    self->dirty = true;
    return rc ? s_txn_error (self, rc, "put") : 0;
}

void *
kf_txn_reserve (kf_txn_t *self, kf_table_t table, const kf_key_t *key, size_t size)
{
    assert (self && self->write);
    if (self->rc || !s_key_usable (self, key))
        return NULL;
    MDB_val k = { key->size, (void *) key->data }, v = { size, NULL };
    int rc = mdb_put (self->txn, table, &k, &v, MDB_RESERVE);
    self->dirty = true;
    if (rc) {
        s_txn_error (self, rc, "put");
        return NULL;
    }
    return v.mv_data;
}

int
kf_txn_put_msg (kf_txn_t *self, kf_table_t table, const kf_key_t *key, const ProtobufCMessage *msg)
{
    assert (self && self->write && msg);
    size_t size = protobuf_c_message_get_packed_size (msg);
    uint8_t *room = kf_txn_reserve (self, table, key, size);
    if (!room)
        return -1;
    size_t packed = protobuf_c_message_pack (msg, room);
    assert (packed == size);
    (void) packed;
    return 0;
}

int
kf_txn_get (kf_txn_t *self, kf_table_t table, const kf_key_t *key, kf_val_t *value)
{
    assert (self && value);
    if (self->rc || !s_key_usable (self, key))
        return -1;
    MDB_val k = { key->size, (void *) key->data }, v;
    int rc = mdb_get (self->txn, table, &k, &v);
    if (rc == MDB_NOTFOUND)
        return KF_NOTFOUND;
    if (rc)
        return s_txn_error (self, rc, "get");
    value->data = v.mv_data;
    value->size = v.mv_size;
    return KF_FOUND;
}

//  Get and decode, with malloc (arena NULL) or into an arena.
static int
s_get_msg (kf_txn_t *self, kf_table_t table, const kf_key_t *key, const ProtobufCMessageDescriptor *descriptor,
           kf_arena_t *arena, ProtobufCMessage **msg)
{
    assert (msg && descriptor);
    *msg = NULL;
    kf_val_t value;
    int rc = kf_txn_get (self, table, key, &value);
    if (rc != KF_FOUND)
        return rc;
    kf_err_t err;
    *msg = arena ? kf_codec_unpack_in (arena, descriptor, value.data, value.size, &err)
                 : kf_codec_unpack (descriptor, value.data, value.size, &err);
    if (!*msg)
        return kf_txn_fail (self, "store %s: corrupt value: %s", self->store->path, err.text);
    return KF_FOUND;
}

int
kf_txn_get_msg (kf_txn_t *self, kf_table_t table, const kf_key_t *key,
                const ProtobufCMessageDescriptor *descriptor, ProtobufCMessage **msg)
{
    return s_get_msg (self, table, key, descriptor, NULL, msg);
}

int
kf_txn_get_msg_in (kf_txn_t *self, kf_table_t table, const kf_key_t *key,
                   const ProtobufCMessageDescriptor *descriptor, kf_arena_t *arena, ProtobufCMessage **msg)
{
    assert (arena);
    return s_get_msg (self, table, key, descriptor, arena, msg);
}

ProtobufCMessage *
kf_txn_find_msg_in (kf_txn_t *self, kf_table_t table, const kf_key_t *key,
                    const ProtobufCMessageDescriptor *descriptor, kf_arena_t *arena)
{
    ProtobufCMessage *msg = NULL;
    if (!key || key->size == 0 || kf_txn_get_msg_in (self, table, key, descriptor, arena, &msg) != KF_FOUND)
        return NULL;
    return msg;
}

int
kf_txn_del (kf_txn_t *self, kf_table_t table, const kf_key_t *key)
{
    assert (self && self->write);
    if (self->rc || !s_key_usable (self, key))
        return -1;
    MDB_val k = { key->size, (void *) key->data };
    int rc = mdb_del (self->txn, table, &k, NULL);
    self->dirty = true;
    if (rc == MDB_NOTFOUND)
        return KF_NOTFOUND;
    return rc ? s_txn_error (self, rc, "delete") : KF_FOUND;
}

uint64_t
kf_txn_counter (kf_txn_t *self, kf_table_t table, const kf_key_t *key)
{
    kf_val_t value;
    int rc = kf_txn_get (self, table, key, &value);
    if (rc != KF_FOUND)
        return 0;
    if (value.size != 8) {
        kf_txn_fail (self, "store %s: a counter is not 8 bytes long", self->store->path);
        return 0;
    }
    return kf_store_read_be (value.data, 8);
}

uint64_t
kf_txn_add (kf_txn_t *self, kf_table_t table, const kf_key_t *key, int64_t delta)
{
    uint64_t n = kf_txn_counter (self, table, key);
    if (!kf_txn_ok (self))
        return 0;
    n = delta < 0 && (uint64_t) -delta > n ? 0 : n + (uint64_t) delta;
    uint8_t be [8];
    kf_store_be64 (be, n);
    return kf_txn_put (self, table, key, be, 8) == 0 ? n : 0;
}

uint64_t
kf_txn_next (kf_txn_t *self, kf_table_t table, const kf_key_t *key)
{
    return kf_txn_add (self, table, key, 1);
}

uint64_t
kf_txn_count (kf_txn_t *self, kf_table_t table)
{
    assert (self);
    if (self->rc)
        return 0;
    MDB_stat stat;
    int rc = mdb_stat (self->txn, table, &stat);
    if (rc) {
        s_txn_error (self, rc, "stat");
        return 0;
    }
    return stat.ms_entries;
}

int
kf_txn_clear (kf_txn_t *self, kf_table_t table)
{
    assert (self && self->write);
    if (self->rc)
        return -1;
    int rc = mdb_drop (self->txn, table, 0);
    self->dirty = true;
    return rc ? s_txn_error (self, rc, "clear") : 0;
}

int
kf_txn_rebuild_once (kf_txn_t *self, kf_table_t table, const char *mark)
{
    assert (self && self->write && mark);
    kf_key_t key;
    kf_val_t found;
    if (kf_key_make (&key, "s", mark))
        return kf_txn_fail (self, "store %s: '%s' is no mark", self->store->path, mark);
    int rc = kf_txn_get (self, table, &key, &found);
    if (rc != KF_NOTFOUND)
        return rc < 0 ? -1 : 0;
    return kf_txn_clear (self, table) || kf_txn_put (self, table, &key, "", 0) ? -1 : 1;
}

bool
kf_val_counter (kf_val_t value, uint64_t *count)
{
    if (value.size != 8)
        return false;
    *count = kf_store_read_be (value.data, 8);
    return true;
}

int
kf_txn_scan (kf_txn_t *self, kf_table_t table, const kf_key_t *prefix, kf_scan_fn *fn, void *arg)
{
    assert (self && fn);
    kf_cursor_t *cursor = kf_cursor_open (self, table);
    if (!cursor)
        return -1;
    kf_val_t k, v;
    int rc = prefix ? kf_cursor_seek (cursor, prefix, &k, &v) : kf_cursor_first (cursor, &k, &v);
    while (rc == KF_FOUND && (!prefix || kf_key_has_prefix (k, prefix))) {
        int step = fn (self, k, v, arg);
        if (step != 0) {
            rc = step > 0 ? KF_NOTFOUND : -1;
            break;
        }
        rc = kf_cursor_next (cursor, &k, &v);
    }
    kf_cursor_close (&cursor);
    if (rc == -1 && self->rc == 0)
        kf_txn_fail (self, "store %s: a scan was stopped by an error", self->store->path);
    return rc == -1 ? -1 : 0;
}

typedef struct {
    const ProtobufCMessageDescriptor *descriptor;
    kf_scan_msg_fn *fn;
    void *arg;
    kf_arena_t *arena;     //  NULL: each message freed after its call
} s_scan_msg_t;

static int
s_scan_msg_one (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    s_scan_msg_t *scan = arg;
    kf_err_t err;
    ProtobufCMessage *msg = scan->arena ? kf_codec_unpack_in (scan->arena, scan->descriptor, value.data, value.size,
                                                              &err)
                                        : kf_codec_unpack (scan->descriptor, value.data, value.size, &err);
    if (!msg)
        return kf_txn_fail (txn, "store %s: corrupt value: %s", txn->store->path, err.text);
    int rc = scan->fn (txn, key, msg, scan->arg);
    if (!scan->arena)
        kf_codec_free (&msg);
    return rc;
}

int
kf_txn_scan_msg_in (kf_txn_t *self, kf_table_t table, const kf_key_t *prefix,
                    const ProtobufCMessageDescriptor *descriptor, kf_arena_t *arena, kf_scan_msg_fn *fn, void *arg)
{
    assert (descriptor && arena && fn);
    s_scan_msg_t scan = { descriptor, fn, arg, arena };
    return kf_txn_scan (self, table, prefix, s_scan_msg_one, &scan);
}

int
kf_txn_scan_msg (kf_txn_t *self, kf_table_t table, const kf_key_t *prefix,
                 const ProtobufCMessageDescriptor *descriptor, kf_scan_msg_fn *fn, void *arg)
{
    assert (descriptor && fn);
    s_scan_msg_t scan = { descriptor, fn, arg, NULL };
    return kf_txn_scan (self, table, prefix, s_scan_msg_one, &scan);
}

//  ---- cursors --------------------------------------------------------------

kf_cursor_t *
kf_cursor_open (kf_txn_t *txn, kf_table_t table)
{
    assert (txn);
    if (txn->rc)
        return NULL;
    kf_cursor_t *self = calloc (1, sizeof *self);
    if (!self) {
        s_txn_error (txn, ENOMEM, "cursor");
        return NULL;
    }
    self->txn = txn;
    int rc = mdb_cursor_open (txn->txn, table, &self->cursor);
    if (rc) {
        s_txn_error (txn, rc, "cursor");
        free (self);
        return NULL;
    }
    return self;
}

void
kf_cursor_close (kf_cursor_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        mdb_cursor_close ((*self_p)->cursor);
        free (*self_p);
        *self_p = NULL;
    }
}

static int
s_cursor_get (kf_cursor_t *self, MDB_val *key, MDB_cursor_op op, kf_val_t *k, kf_val_t *v)
{
    assert (self);
    if (self->txn->rc)
        return -1;
    MDB_val mk = key ? *key : (MDB_val) { 0, NULL }, mv;
    int rc = mdb_cursor_get (self->cursor, &mk, &mv, op);
    if (rc == MDB_NOTFOUND)
        return KF_NOTFOUND;
    if (rc)
        return s_txn_error (self->txn, rc, "cursor");
    if (k)
        *k = (kf_val_t) { mk.mv_data, mk.mv_size };
    if (v)
        *v = (kf_val_t) { mv.mv_data, mv.mv_size };
    return KF_FOUND;
}

int
kf_cursor_seek (kf_cursor_t *self, const kf_key_t *key, kf_val_t *k, kf_val_t *v)
{
    if (!s_key_usable (self->txn, key))
        return -1;
    MDB_val mk = { key->size, (void *) key->data };
    return s_cursor_get (self, &mk, MDB_SET_RANGE, k, v);
}

int kf_cursor_first (kf_cursor_t *self, kf_val_t *k, kf_val_t *v) { return s_cursor_get (self, NULL, MDB_FIRST, k, v); }
int kf_cursor_last (kf_cursor_t *self, kf_val_t *k, kf_val_t *v)  { return s_cursor_get (self, NULL, MDB_LAST, k, v); }
int kf_cursor_next (kf_cursor_t *self, kf_val_t *k, kf_val_t *v)  { return s_cursor_get (self, NULL, MDB_NEXT, k, v); }
int kf_cursor_prev (kf_cursor_t *self, kf_val_t *k, kf_val_t *v)  { return s_cursor_get (self, NULL, MDB_PREV, k, v); }

int
kf_cursor_del (kf_cursor_t *self)
{
    assert (self && self->txn->write);
    if (self->txn->rc)
        return -1;
    int rc = mdb_cursor_del (self->cursor, 0);
    self->txn->dirty = true;
    return rc ? s_txn_error (self->txn, rc, "cursor delete") : 0;
}
