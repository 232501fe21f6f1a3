/*  kf_backup — a daemon's online backup, copied in a thread of its own.
    See kf_backup.h.
*/
#include "kf_backup.h"
#include "kf_restore.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

struct _kf_backup_t {
    kf_store_t *store;
    char *directory;
    char *producer;
    int64_t taken_at_ms;
    zactor_t *actor;
    bool finished;       //  the pipe's word was read
    //  Written by the actor before it speaks, read by the loop after.
    int rc;
    kf_err_t err;
    uint64_t bytes;
};

//  A backup that failed half way: what it wrote goes (the copy, its
//  manifest, the lock a reading of it made), then its directory.
static void
s_discard (const char *directory)
{
    const char *files [] = { "data.mdb", "lock.mdb", KF_RESTORE_MANIFEST, NULL };
    char path [PATH_MAX + 32];
    for (int i = 0; files [i]; i++) {
        snprintf (path, sizeof path, "%s/%s", directory, files [i]);
        unlink (path);
    }
    if (rmdir (directory) != 0)
        kf_warning ("backup: %s is left behind: %s", directory, strerror (errno));
}

static void
s_copy (zsock_t *pipe, void *arg)
{
    kf_backup_t *self = arg;
    zsock_signal (pipe, 0);
    int rc = kf_store_backup (self->store, self->directory, &self->err);
    kf_store_copy_end (self->store);
    if (rc == 0)
        rc = kf_restore_manifest_write (self->directory, self->producer, self->taken_at_ms, &self->err);
    if (rc == 0) {
        char data [PATH_MAX + 16];
        snprintf (data, sizeof data, "%s/data.mdb", self->directory);
        self->bytes = (uint64_t) zsys_file_size (data);
    }
    else
        s_discard (self->directory);
    self->rc = rc;
    zsock_signal (pipe, rc == 0 ? 0 : 1);
    //  Until the loop is done with us.
    while (true) {
        char *command = zstr_recv (pipe);
        bool term = !command || streq (command, "$TERM");
        zstr_free (&command);
        if (term)
            break;
    }
}

//  The actor's word that the copy is done. zsock_wait returns -1 when a
//  signal (SIGINT, SIGTERM) interrupts it: that is not the word.
static void
s_wait_for_the_copy (kf_backup_t *self)
{
    while (zsock_wait (self->actor) == -1 && (errno == EINTR || errno == EAGAIN))
        ;
    self->finished = true;
}

kf_backup_t *
kf_backup_start (kf_store_t *store, const char *directory, const char *producer, int64_t taken_at_ms,
                 kf_err_t *err)
{
    assert (store && directory && producer);
    kf_backup_t *self = calloc (1, sizeof *self);
    if (!self || !(self->directory = strdup (directory)) || !(self->producer = strdup (producer))) {
        kf_err_set (err, "out of memory");
        kf_backup_destroy (&self);
        return NULL;
    }
    self->store = store;
    self->taken_at_ms = taken_at_ms;
    if (kf_store_copy_begin (store, err)) {
        self->finished = true;   //  nothing under way
        kf_backup_destroy (&self);
        return NULL;
    }
    self->actor = zactor_new (s_copy, self);
    if (!self->actor) {
        kf_store_copy_end (store);
        kf_err_set (err, "backup: cannot start the copying thread");
        self->finished = true;
        kf_backup_destroy (&self);
        return NULL;
    }
    return self;
}

void
kf_backup_destroy (kf_backup_t **self_p)
{
    assert (self_p);
    kf_backup_t *self = *self_p;
    if (self) {
        //  The copy uses the store and the directory: it ends before they
        //  can go, whatever signals come meanwhile.
        if (self->actor && !self->finished)
            s_wait_for_the_copy (self);
        zactor_destroy (&self->actor);
        free (self->directory);
        free (self->producer);
        free (self);
        *self_p = NULL;
    }
}

zsock_t *
kf_backup_pipe (kf_backup_t *self)
{
    assert (self && self->actor);
    return zactor_sock (self->actor);
}

int
kf_backup_finish (kf_backup_t *self, uint64_t *bytes, kf_err_t *err)
{
    assert (self && self->actor && !self->finished);
    s_wait_for_the_copy (self);
    if (self->rc != 0) {
        if (err)
            *err = self->err;
        return -1;
    }
    *bytes = self->bytes;
    return 0;
}

const char *
kf_backup_directory (kf_backup_t *self)
{
    assert (self);
    return self->directory;
}
