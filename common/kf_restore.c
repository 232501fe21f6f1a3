/*  kf_restore — a store put back from a backup. See kf_restore.h.  */
#include "kf_restore.h"
#include "kf_codec.h"
#include "kf_json.h"
#include "kf_outbox.h"
#include "kf_version.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_FILE_MAX (1 << 20)   //  a manifest or a marker is never bigger

//  A file kefuctl (as root) makes in a store's directory belongs to whoever
//  owns the directory (user kefu under systemd), or its daemon could not
//  open it. Not root: nothing to change.
static void
s_own_like_dir (const char *path, const char *dir)
{
    struct stat st;
    if (geteuid () == 0 && stat (dir, &st) == 0 && chown (path, st.st_uid, st.st_gid) != 0)
        kf_warning ("cannot give %s to its directory's owner: %s", path, strerror (errno));
}

int
kf_restore_lock (const char *store_dir, kf_err_t *err)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", store_dir, KF_RESTORE_LOCK);
    int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        kf_err_set (err, "%s: %s", path, strerror (errno));
        return -1;
    }
    s_own_like_dir (path, store_dir);
    if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
        kf_err_set (err, "%s is in use: its daemon runs (stop it first)", store_dir);
        close (fd);
        return -1;
    }
    return fd;
}

//  The SHA-256 of a file, as 64 hex digits; its size.
static int
s_sha256 (const char *path, char *hex, uint64_t *size, kf_err_t *err)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return kf_err_set (err, "%s: %s", path, strerror (errno));
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    static unsigned char buffer [1 << 16];
    size_t got;
    *size = 0;
    while ((got = fread (buffer, 1, sizeof buffer, file)) > 0) {
        crypto_hash_sha256_update (&state, buffer, got);
        *size += got;
    }
    bool failed = ferror (file);
    fclose (file);
    if (failed)
        return kf_err_set (err, "%s: cannot read it", path);
    unsigned char digest [crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final (&state, digest);
    sodium_bin2hex (hex, 2 * crypto_hash_sha256_BYTES + 1, digest, sizeof digest);
    return 0;
}

//  Write text to path durably: a temporary file, fsync, rename, fsync the directory.
static int
s_write_file (const char *path, const char *text, kf_err_t *err)
{
    char tmp [PATH_MAX + 8];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return kf_err_set (err, "%s: %s", tmp, strerror (errno));
    size_t len = strlen (text);
    bool ok = write (fd, text, len) == (ssize_t) len && write (fd, "\n", 1) == 1 && fsync (fd) == 0;
    close (fd);
    if (!ok || rename (tmp, path) != 0) {
        unlink (tmp);
        return kf_err_set (err, "cannot write %s: %s", path, strerror (errno));
    }
    char dir [PATH_MAX];
    snprintf (dir, sizeof dir, "%s", path);
    char *slash = strrchr (dir, '/');
    if (slash)
        *slash = 0;
    int dfd = open (slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync (dfd);
        close (dfd);
    }
    return 0;
}

//  A JSON file (at most S_FILE_MAX) decoded as `descriptor`.
static ProtobufCMessage *
s_read_json (const char *path, const ProtobufCMessageDescriptor *descriptor, kf_err_t *err)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        kf_err_set (err, "%s: %s", path, strerror (errno));
        return NULL;
    }
    char *text = malloc (S_FILE_MAX);
    size_t got = text ? fread (text, 1, S_FILE_MAX, file) : 0;
    fclose (file);
    ProtobufCMessage *msg = NULL;
    if (!text)
        kf_err_set (err, "out of memory");
    else
    if (got == S_FILE_MAX)
        kf_err_set (err, "%s: too big for what it should hold", path);
    else {
        while (got > 0 && (text [got - 1] == '\n' || text [got - 1] == ' '))
            got--;
        msg = kf_json_decode (descriptor, text, got, err);
        if (!msg)
            kf_err_prefix (err, "%s: ", path);
    }
    free (text);
    return msg;
}

//  ---- the manifest ------------------------------------------------------------

typedef struct {
    Kf__BackupManifest *manifest;
    Kf__StreamHead **heads;
    size_t count;
} s_copy_t;

static int
s_copy_head (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) txn; (void) key;
    s_copy_t *c = arg;
    Kf__StreamHead **grown = realloc (c->heads, (c->count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    c->heads = grown;
    size_t size;
    uint8_t *packed = kf_codec_pack (msg, &size);
    c->heads [c->count] = packed ? (Kf__StreamHead *) kf_codec_unpack (&kf__stream_head__descriptor, packed, size,
                                                                         NULL) : NULL;
    free (packed);
    return c->heads [c->count++] ? 0 : -1;
}

static int
s_copy_read (kf_txn_t *txn, void *arg)
{
    s_copy_t *c = arg;
    kf_store_t *store = kf_txn_store (txn);
    kf_key_t key;
    kf_val_t value;
    kf_key_make (&key, "s", "epoch");
    if (kf_txn_get (txn, kf_store_table (store, "bus_meta"), &key, &value) == KF_FOUND && value.size == 8) {
        uint64_t epoch = 0;
        for (int i = 0; i < 8; i++)
            epoch = epoch << 8 | ((const uint8_t *) value.data) [i];
        c->manifest->epoch = epoch;
        c->manifest->has_epoch = 1;
    }
    kf_txn_scan_msg (txn, kf_store_table (store, "bus_heads"), NULL, &kf__stream_head__descriptor, s_copy_head, c);
    return kf_txn_ok (txn) ? 0 : -1;
}

int
kf_restore_manifest_write (const char *dir, const char *producer, int64_t now_ms, kf_err_t *err)
{
    assert (dir && producer);
    Kf__BackupManifest manifest = KF__BACKUP_MANIFEST__INIT;
    s_copy_t c = { &manifest, NULL, 0 };
    const char *tables [] = { KF_BUS_TABLES, NULL };
    kf_store_options_t options = { .map_size = 0 };
    kf_store_t *copy = kf_store_new (dir, tables, &options, err);
    int rc = copy ? kf_store_read (copy, s_copy_read, &c, err) : -1;
    kf_store_destroy (&copy);
    char lock [PATH_MAX], data [PATH_MAX], path [PATH_MAX];
    snprintf (lock, sizeof lock, "%s/lock.mdb", dir);
    unlink (lock);   //  the copy's, made by reading it: nobody uses it
    snprintf (data, sizeof data, "%s/data.mdb", dir);
    char hex [2 * crypto_hash_sha256_BYTES + 1];
    uint64_t bytes = 0;
    if (rc == 0)
        rc = s_sha256 (data, hex, &bytes, err);
    if (rc == 0) {
        manifest.producer = (char *) producer;
        manifest.heads = c.heads;
        manifest.n_heads = c.count;
        manifest.taken_at_ms = now_ms;
        manifest.data_bytes = bytes;
        manifest.data_sha256 = hex;
        manifest.version = KF_VERSION;
        manifest.has_taken_at_ms = manifest.has_data_bytes = 1;
        char *json = kf_json_encode (&manifest.base);
        snprintf (path, sizeof path, "%s/%s", dir, KF_RESTORE_MANIFEST);
        rc = json ? s_write_file (path, json, err) : kf_err_set (err, "out of memory");
        free (json);
    }
    struct stat st;   //  the manifest is as private as the copy it describes
    if (rc == 0 && (stat (data, &st) != 0 || chmod (path, st.st_mode & 07777) != 0))
        rc = kf_err_set (err, "%s: %s", path, strerror (errno));
    for (size_t i = 0; i < c.count; i++)
        kf_codec_free ((ProtobufCMessage **) &c.heads [i]);
    free (c.heads);
    return rc;
}

Kf__BackupManifest *
kf_restore_manifest_read (const char *dir, kf_err_t *err)
{
    assert (dir);
    char path [PATH_MAX], data [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", dir, KF_RESTORE_MANIFEST);
    Kf__BackupManifest *manifest = (Kf__BackupManifest *) s_read_json (path, &kf__backup_manifest__descriptor, err);
    if (!manifest)
        return NULL;
    snprintf (data, sizeof data, "%s/data.mdb", dir);
    char hex [2 * crypto_hash_sha256_BYTES + 1];
    uint64_t bytes = 0;
    if (!manifest->producer || !manifest->has_epoch || !manifest->data_sha256) {
        kf_err_set (err, "%s: not a kefu backup manifest (no producer, epoch or checksum)", path);
        kf_codec_free ((ProtobufCMessage **) &manifest);
    }
    else
    if (s_sha256 (data, hex, &bytes, err))
        kf_codec_free ((ProtobufCMessage **) &manifest);
    else
    if (bytes != manifest->data_bytes || strcmp (hex, manifest->data_sha256) != 0) {
        kf_err_set (err, "%s does not match its manifest (size or SHA-256): a damaged or another copy", data);
        kf_codec_free ((ProtobufCMessage **) &manifest);
    }
    return manifest;
}

//  ---- installing ----------------------------------------------------------------

static int
s_copy_file (const char *from, const char *to, kf_err_t *err)
{
    int in = open (from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return kf_err_set (err, "%s: %s", from, strerror (errno));
    int out = open (to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (out < 0) {
        close (in);
        return kf_err_set (err, "%s: %s", to, strerror (errno));
    }
    static char buffer [1 << 16];
    ssize_t got;
    bool ok = true;
    while (ok && (got = read (in, buffer, sizeof buffer)) > 0)
        ok = write (out, buffer, (size_t) got) == got;
    ok = ok && got == 0 && fsync (out) == 0;
    close (in);
    close (out);
    if (!ok) {
        unlink (to);
        return kf_err_set (err, "cannot copy %s to %s: %s", from, to, strerror (errno));
    }
    return 0;
}

int
kf_restore_install (const char *backup_dir, const char *store_dir, const Kf__RestoreMarker *marker, kf_err_t *err)
{
    assert (backup_dir && store_dir && marker);
    char from [PATH_MAX], to [PATH_MAX], tmp [PATH_MAX + 16], kept [PATH_MAX + 64], lock [PATH_MAX], path [PATH_MAX];
    snprintf (from, sizeof from, "%s/data.mdb", backup_dir);
    snprintf (to, sizeof to, "%s/data.mdb", store_dir);
    snprintf (tmp, sizeof tmp, "%s.restoring", to);
    snprintf (path, sizeof path, "%s/%s", store_dir, KF_RESTORE_MARKER);
    if (s_copy_file (from, tmp, err))
        return -1;
    //  The marker first: killed before the copy is in place, the daemon
    //  starts on its old store with a new epoch and skipped numbers, which
    //  is harmless; the other way round it would start on the restored
    //  store with no new epoch.
    char *json = kf_json_encode (&marker->base);
    if (!json || s_write_file (path, json, err)) {
        if (!json)
            kf_err_set (err, "out of memory");
        free (json);
        unlink (tmp);
        return -1;
    }
    free (json);
    //  What it replaces is kept, never lost: data.mdb.replaced-<UTC>.
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    char stamp [32];
    strftime (stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf (kept, sizeof kept, "%s.replaced-%s-%ld", to, stamp, (long) getpid ());
    if (access (to, F_OK) == 0 && rename (to, kept) != 0) {
        kf_err_set (err, "cannot keep %s as %s: %s", to, kept, strerror (errno));
        unlink (tmp);
        unlink (path);
        return -1;
    }
    if (rename (tmp, to) != 0) {
        //  Put back what was there: a failed restore changes nothing.
        kf_err_set (err, "cannot put %s in place: %s", tmp, strerror (errno));
        if (rename (kept, to) != 0)
            kf_err_set (err, "cannot put %s in place, nor the old store back from %s: %s", tmp, kept, strerror (errno));
        unlink (tmp);
        unlink (path);
        return -1;
    }
    snprintf (lock, sizeof lock, "%s/lock.mdb", store_dir);
    unlink (lock);   //  the reader table of the store that was there
    s_own_like_dir (to, store_dir);
    s_own_like_dir (path, store_dir);
    return 0;
}

//  ---- at the daemon's start ---------------------------------------------------------

typedef struct {
    const Kf__RestoreMarker *marker;
    kf_restore_fn *fn;
    void *app;
    kf_txn_t *txn;
    uint64_t old_epoch, new_epoch;
} s_begin_t;

static int
s_begin_stream (const char *stream, uint64_t head_seq, void *arg)
{
    s_begin_t *b = arg;
    uint64_t seen = 0;
    for (size_t i = 0; i < b->marker->n_seen; i++)
        if (b->marker->seen [i]->stream && strcmp (b->marker->seen [i]->stream, stream) == 0)
            seen = b->marker->seen [i]->head_seq;
    if (seen > head_seq)
        kf_warning ("restored %s at %llu: the cluster had applied up to %llu; those %llu events are lost here "
                    "(their effects stay with its consumers)", stream, (unsigned long long) head_seq,
                    (unsigned long long) seen, (unsigned long long) (seen - head_seq));
    return b->fn ? b->fn (b->app, b->txn, b->marker, stream, head_seq, seen) : 0;
}

static int
s_begin (kf_txn_t *txn, void *arg)
{
    s_begin_t *b = arg;
    b->txn = txn;
    size_t plen = b->marker->producer ? strlen (b->marker->producer) : 0;
    for (size_t i = 0; plen && i < b->marker->n_seen; i++) {
        const char *stream = b->marker->seen [i]->stream;
        if (stream && strncmp (stream, b->marker->producer, plen) == 0 && stream [plen] == '/'
        &&  kf_outbox_adopt_stream (txn, stream, b->marker->epoch))
            return -1;
    }
    return kf_outbox_restart_epoch (txn, &b->old_epoch, &b->new_epoch, s_begin_stream, b);
}

int
kf_restore_marker_read (kf_store_t *store, Kf__RestoreMarker **marker, kf_err_t *err)
{
    assert (store && marker);
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", kf_store_path (store), KF_RESTORE_MARKER);
    *marker = NULL;
    if (access (path, F_OK) != 0)
        return 0;
    *marker = (Kf__RestoreMarker *) s_read_json (path, &kf__restore_marker__descriptor, err);
    return *marker ? 1 : -1;
}

int
kf_restore_begin (kf_store_t *store, kf_restore_fn *fn, void *app, kf_err_t *err)
{
    assert (store);
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", kf_store_path (store), KF_RESTORE_MARKER);
    Kf__RestoreMarker *marker;
    int found = kf_restore_marker_read (store, &marker, err);
    if (found <= 0)
        return found;
    s_begin_t b = { marker, fn, app, NULL, 0, 0 };
    int rc = kf_store_write (store, s_begin, &b, err);
    if (rc == 0) {
        //  Committed: the marker has done its work. Were we to die before
        //  this, the next start would draw yet another epoch, harmless:
        //  nothing of this one was published.
        unlink (path);
        kf_warning ("restored from a backup: epoch %016llx continues %016llx, nothing reused",
                    (unsigned long long) b.new_epoch, (unsigned long long) b.old_epoch);
    }
    kf_codec_free ((ProtobufCMessage **) &marker);
    return rc == 0 ? 1 : -1;
}
