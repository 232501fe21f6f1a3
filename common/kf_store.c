/*  kf_store — LMDB used well, once: keys built by format, the store (open,
    map growth, backups, commit figures). See kf_store.h; transactions and
    cursors are kf_txn.c's.
*/
#include "kf_store_private.h"

const int64_t kf_store_commit_bounds_us [KF_STORE_COMMIT_BUCKETS] = {
    250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 250000, 1000000
};

//  A commit's duration into the histogram (cumulative buckets, as
//  Prometheus counts them).
static void
s_commit_took (kf_store_t *self, const struct timespec *start)
{
    struct timespec end;
    clock_gettime (CLOCK_MONOTONIC, &end);
    int64_t us = (end.tv_sec - start->tv_sec) * 1000000 + (end.tv_nsec - start->tv_nsec) / 1000;
    self->commits.count++;
    self->commits.sum_us += (uint64_t) (us > 0 ? us : 0);
    for (int i = 0; i < KF_STORE_COMMIT_BUCKETS; i++)
        if (us <= kf_store_commit_bounds_us [i])
            self->commits.buckets [i]++;
}

const kf_store_commits_t *
kf_store_commits (kf_store_t *self)
{
    assert (self);
    return &self->commits;
}



//  ---- keys -----------------------------------------------------------------

static bool
s_key_append (kf_key_t *key, const void *data, size_t size)
{
    if (key->size + size > KF_KEY_MAX)
        return false;
    if (size)
        memcpy (key->data + key->size, data, size);
    key->size += size;
    return true;
}

void
kf_store_be64 (uint8_t *out, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out [i] = (uint8_t) v;
}

uint64_t
kf_store_read_be (const uint8_t *in, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | in [i];
    return v;
}

int
kf_key_make (kf_key_t *key, const char *format, ...)
{
    assert (key && format);
    va_list args;
    va_start (args, format);
    key->size = 0;
    bool ok = true;
    for (const char *f = format; *f && ok; f++) {
        uint8_t be [8];
        switch (*f) {
            case 's': {
                const char *s = va_arg (args, const char *);
                assert (s);
                ok = strchr (s, '|') == NULL && s_key_append (key, s, strlen (s));
                break;
            }
            case 'u': {
                uint32_t v = va_arg (args, uint32_t);
                be [0] = (uint8_t) (v >> 24); be [1] = (uint8_t) (v >> 16);
                be [2] = (uint8_t) (v >> 8);  be [3] = (uint8_t) v;
                ok = s_key_append (key, be, 4);
                break;
            }
            case 'q':
                kf_store_be64 (be, va_arg (args, uint64_t));
                ok = s_key_append (key, be, 8);
                break;
            case 't':
                kf_store_be64 (be, (uint64_t) va_arg (args, int64_t) ^ (UINT64_C (1) << 63));
                ok = s_key_append (key, be, 8);
                break;
            case 'b': {
                const void *data = va_arg (args, const void *);
                size_t size = va_arg (args, size_t);
                ok = s_key_append (key, data, size);
                break;
            }
            case '|':
                ok = s_key_append (key, "|", 1);
                break;
            default:
                assert (!"kf_key_make: unknown format character");
        }
    }
    va_end (args);
    if (!ok)
        key->size = 0;
    return ok ? 0 : -1;
}

int
kf_key_scan (const void *data, size_t size, const char *format, ...)
{
    assert (format);
    const uint8_t *p = data, *end = p + size;
    va_list args;
    va_start (args, format);
    bool ok = true;
    for (const char *f = format; *f && ok; f++) {
        switch (*f) {
            case 's': {
                char *buf = va_arg (args, char *);
                size_t cap = va_arg (args, size_t);
                const uint8_t *stop = f [1] ? memchr (p, '|', (size_t) (end - p)) : end;
                if (!stop)
                    stop = end;
                size_t n = (size_t) (stop - p);
                ok = n < cap && memchr (p, 0, n) == NULL;
                if (ok) {
                    memcpy (buf, p, n);
                    buf [n] = 0;
                    p = stop;
                }
                break;
            }
            case 'u':
                ok = end - p >= 4;
                if (ok)
                    *va_arg (args, uint32_t *) = (uint32_t) kf_store_read_be (p, 4), p += 4;
                break;
            case 'q':
                ok = end - p >= 8;
                if (ok)
                    *va_arg (args, uint64_t *) = kf_store_read_be (p, 8), p += 8;
                break;
            case 't':
                ok = end - p >= 8;
                if (ok)
                    *va_arg (args, int64_t *) = (int64_t) (kf_store_read_be (p, 8) ^ (UINT64_C (1) << 63)), p += 8;
                break;
            case '|':
                ok = p < end && *p == '|';
                p++;
                break;
            default:
                assert (!"kf_key_scan: format character not supported");
        }
    }
    va_end (args);
    return ok && p == end ? 0 : -1;
}

bool
kf_key_has_prefix (kf_val_t key, const kf_key_t *prefix)
{
    return key.size >= prefix->size && memcmp (key.data, prefix->data, prefix->size) == 0;
}

//  ---- the store ------------------------------------------------------------

static int
s_mkdir_p (const char *path)
{
    char buf [4096];
    if (snprintf (buf, sizeof buf, "%s", path) >= (int) sizeof buf)
        return ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir (buf, 0755) != 0 && errno != EEXIST)
                return errno;
            *p = '/';
        }
    if (mkdir (buf, 0755) != 0 && errno != EEXIST)
        return errno;
    return 0;
}

kf_store_t *
kf_store_new (const char *path, const char *const *tables, const kf_store_options_t *options,
              kf_err_t *err)
{
    assert (path && tables);
    kf_store_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->map_size = options && options->map_size ? options->map_size : S_DEFAULT_MAP_SIZE;
    self->map_size_max = options && options->map_size_max ? options->map_size_max : S_DEFAULT_MAP_SIZE_MAX;
    unsigned readers = options && options->max_readers ? options->max_readers : 126;
    while (tables [self->table_count])
        self->table_count++;
    self->path = strdup (path);
    self->tables = calloc (self->table_count ? self->table_count : 1, sizeof *self->tables);
    int rc = self->path && self->tables ? 0 : ENOMEM;
    if (rc == 0)
        rc = s_mkdir_p (path);
    if (rc == 0)
        rc = mdb_env_create (&self->env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs (self->env, (MDB_dbi) self->table_count + 1);
    if (rc == 0)
        rc = mdb_env_set_maxreaders (self->env, readers);
    if (rc == 0)
        rc = mdb_env_set_mapsize (self->env, self->map_size);
    if (rc == 0)
        rc = mdb_env_open (self->env, path, MDB_NOTLS, 0640);
    if (rc != 0) {
        kf_err_set (err, "cannot open store %s: %s", path, mdb_strerror (rc));
        kf_store_destroy (&self);
        return NULL;
    }
    //  The file may already be larger than we asked for (grown earlier).
    MDB_envinfo info;
    mdb_env_info (self->env, &info);
    self->map_size = info.me_mapsize;

    MDB_txn *txn;
    rc = mdb_txn_begin (self->env, NULL, 0, &txn);
    for (size_t i = 0; rc == 0 && i < self->table_count; i++) {
        self->tables [i].name = strdup (tables [i]);
        rc = self->tables [i].name ? mdb_dbi_open (txn, tables [i], MDB_CREATE, &self->tables [i].dbi)
                                   : ENOMEM;
    }
    if (rc == 0)
        rc = mdb_txn_commit (txn);
    else
    if (txn)
        mdb_txn_abort (txn);
    if (rc != 0) {
        kf_err_set (err, "cannot open the tables of store %s: %s", path, mdb_strerror (rc));
        kf_store_destroy (&self);
        return NULL;
    }
    return self;
}

void
kf_store_destroy (kf_store_t **self_p)
{
    assert (self_p);
    kf_store_t *self = *self_p;
    if (self) {
        if (self->env)
            mdb_env_close (self->env);
        for (size_t i = 0; self->tables && i < self->table_count; i++)
            free (self->tables [i].name);
        free (self->tables);
        free (self->path);
        free (self);
        *self_p = NULL;
    }
}

kf_table_t
kf_store_table (kf_store_t *self, const char *name)
{
    assert (self && name);
    for (size_t i = 0; i < self->table_count; i++)
        if (strcmp (self->tables [i].name, name) == 0)
            return self->tables [i].dbi;
    assert (!"kf_store_table: table was not named when the store was opened");
    return 0;
}

void
kf_store_tables (kf_store_t *self, const char *const *names, kf_table_t *const *tables)
{
    assert (self && names && tables);
    for (size_t i = 0; names [i]; i++)
        *tables [i] = kf_store_table (self, names [i]);
}

const char *
kf_store_path (kf_store_t *self)
{
    assert (self);
    return self->path;
}

size_t
kf_store_map_size (kf_store_t *self)
{
    assert (self);
    return self->map_size;
}

size_t
kf_store_used (kf_store_t *self)
{
    assert (self);
    MDB_envinfo info;
    MDB_stat stat;
    mdb_env_info (self->env, &info);
    mdb_env_stat (self->env, &stat);
    return (info.me_last_pgno + 1) * (size_t) stat.ms_psize;
}

//  Errors that a fresh attempt can cure after the store layer has acted.
static bool
s_recoverable (kf_store_t *self, int rc)
{
    if ((rc == MDB_MAP_FULL || rc == MDB_MAP_RESIZED) && atomic_load (&self->copying) > 0)
        return false;   //  not with the copy's transaction open (kf_store_copy_begin)
    if (rc == MDB_MAP_FULL) {
        if (self->map_size >= self->map_size_max)
            return false;
        size_t grown = self->map_size * 2 > self->map_size_max ? self->map_size_max : self->map_size * 2;
        if (mdb_env_set_mapsize (self->env, grown) != 0)
            return false;
        kf_info ("store %s: map grown from %zu to %zu KiB", self->path,
                 self->map_size >> 10, grown >> 10);
        self->map_size = grown;
        return true;
    }
    if (rc == MDB_MAP_RESIZED) {
        //  Another process grew the map: adopt its size.
        if (mdb_env_set_mapsize (self->env, 0) != 0)
            return false;
        MDB_envinfo info;
        mdb_env_info (self->env, &info);
        self->map_size = info.me_mapsize;
        return true;
    }
    if (rc == MDB_READERS_FULL) {
        int dead = 0;
        mdb_reader_check (self->env, &dead);
        if (dead > 0)
            kf_warning ("store %s: cleared %d stale reader slots", self->path, dead);
        return dead > 0;
    }
    return false;
}

static int
s_run (kf_store_t *self, bool write, kf_txn_fn *fn, void *arg, kf_err_t *err)
{
    assert (self && fn);
    for (int attempt = 0; attempt < S_MAX_REDO; attempt++) {
        kf_txn_t txn = { .store = self, .write = write, .id = ++self->txn_count };
        int rc = mdb_txn_begin (self->env, NULL, write ? 0 : MDB_RDONLY, &txn.txn);
        if (rc != 0) {
            if (s_recoverable (self, rc))
                continue;
            return kf_err_set (err, "store %s: cannot begin a transaction: %s", self->path, mdb_strerror (rc));
        }
        int fn_rc = fn (&txn, arg);
        if (fn_rc != 0 && txn.rc == 0)
            kf_txn_fail (&txn, "transaction failed");
        for (int i = 0; i < txn.hook_count && txn.rc == 0; i++)
            txn.hooks [i].fn (&txn, txn.hooks [i].arg);
        if (txn.rc == 0 && write) {
            struct timespec start;
            clock_gettime (CLOCK_MONOTONIC, &start);
            rc = mdb_txn_commit (txn.txn);
            txn.txn = NULL;
            if (rc == 0) {
                if (txn.dirty)
                    s_commit_took (self, &start);
                return 0;
            }
            txn.rc = rc;
            //  LMDB turns a short write into EIO, so a full disk shows up
            //  as any of these.
            if (rc == ENOSPC || rc == EFBIG || rc == EDQUOT || rc == EIO)
                snprintf (txn.reason.text, sizeof txn.reason.text,
                          "store %s: cannot write to disk (full, or failing: %s); nothing was written",
                          self->path, mdb_strerror (rc));
            else
                snprintf (txn.reason.text, sizeof txn.reason.text,
                          "store %s: commit failed: %s", self->path, mdb_strerror (rc));
        }
        if (txn.txn)
            mdb_txn_abort (txn.txn);
        if (txn.rc == 0)
            return 0;   //  a read that went well
        if (txn.rc != KF_TXN_ABORTED && s_recoverable (self, txn.rc))
            continue;
        if (txn.rc == MDB_MAP_FULL && atomic_load (&self->copying) > 0)
            snprintf (txn.reason.text, sizeof txn.reason.text, "store %s: full while a backup is being copied "
                      "(the map grows when the copy is done); nothing was written", self->path);
        if (err)
            *err = txn.reason;
        return -1;
    }
    return kf_err_set (err, "store %s: gave up after %d attempts", self->path, S_MAX_REDO);
}

int
kf_store_write (kf_store_t *self, kf_txn_fn *fn, void *arg, kf_err_t *err)
{
    return s_run (self, true, fn, arg, err);
}

int
kf_store_read (kf_store_t *self, kf_txn_fn *fn, void *arg, kf_err_t *err)
{
    return s_run (self, false, fn, arg, err);
}

int
kf_store_copy_begin (kf_store_t *self, kf_err_t *err)
{
    assert (self);
    size_t used = kf_store_used (self);
    size_t headroom = used / 4 > ((size_t) 256 << 20) ? used / 4 : (size_t) 256 << 20;
    size_t wanted = used + headroom > self->map_size_max ? self->map_size_max : used + headroom;
    if (wanted > self->map_size && atomic_load (&self->copying) == 0) {
        int rc = mdb_env_set_mapsize (self->env, wanted);
        if (rc != 0)
            return kf_err_set (err, "store %s: cannot grow the map ahead of a copy: %s", self->path,
                               mdb_strerror (rc));
        kf_info ("store %s: map grown from %zu to %zu KiB ahead of a copy", self->path, self->map_size >> 10,
                 wanted >> 10);
        self->map_size = wanted;
    }
    atomic_fetch_add (&self->copying, 1);
    return 0;
}

void
kf_store_copy_end (kf_store_t *self)
{
    assert (self && atomic_load (&self->copying) > 0);
    atomic_fetch_sub (&self->copying, 1);
}

int
kf_store_backup (kf_store_t *self, const char *directory, kf_err_t *err)
{
    assert (self && directory);
    int rc = s_mkdir_p (directory);
    if (rc != 0)
        return kf_err_set (err, "backup: cannot create %s: %s", directory, strerror (rc));
    DIR *dir = opendir (directory);
    if (!dir)
        return kf_err_set (err, "backup: cannot open %s: %s", directory, strerror (errno));
    struct dirent *entry;
    bool empty = true;
    while ((entry = readdir (dir)))
        if (strcmp (entry->d_name, ".") && strcmp (entry->d_name, ".."))
            empty = false;
    closedir (dir);
    if (!empty)
        return kf_err_set (err, "backup: %s is not empty", directory);
    rc = mdb_env_copy2 (self->env, directory, MDB_CP_COMPACT);
    if (rc != 0)
        return kf_err_set (err, "backup of %s into %s failed: %s", self->path, directory, mdb_strerror (rc));
    //  LMDB makes the copy as any new file (0666 less the umask): it
    //  holds what the store holds, so it gets the store's mode.
    char store [PATH_MAX], copy [PATH_MAX];
    struct stat st;
    snprintf (store, sizeof store, "%s/data.mdb", self->path);
    snprintf (copy, sizeof copy, "%s/data.mdb", directory);
    if (stat (store, &st) != 0 || chmod (copy, st.st_mode & 07777) != 0 || chmod (directory, 0750) != 0)
        return kf_err_set (err, "backup: cannot give %s the store's mode: %s", copy, strerror (errno));
    return 0;
}
