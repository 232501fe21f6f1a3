/*  kf_backup — a daemon's online backup, copied in a thread of its own.

    A compact copy of a store of years of cases (tens of GiB) takes minutes,
    and its manifest's SHA-256 as long again: made in the daemon's loop, it
    stopped every request and every event for as long. The copy and the
    manifest are made here, in an actor, while the loop goes on; the loop
    hears the end on the actor's pipe and answers the request then.

    Started in the loop's thread after a commit, so the copy holds
    everything acknowledged before the request. The store keeps its map's
    size while the copy runs (kf_store_copy_begin): the map is grown ahead
    first. Destroying a backup under way waits for the copy to finish, and
    a copy that fails is removed; one cut short by kill -9 has no
    manifest, which kefuctl restore refuses.
*/
#ifndef KF_BACKUP_H_INCLUDED
#define KF_BACKUP_H_INCLUDED

#include <czmq.h>
#include "kf_store.h"

typedef struct _kf_backup_t kf_backup_t;

//  Copy `store` into `directory` (made, empty) and write its manifest for
//  `producer`, taken at `taken_at_ms` (the daemon's clock at the start).
//  NULL with the reason when it cannot start.
kf_backup_t *kf_backup_start (kf_store_t *store, const char *directory, const char *producer, int64_t taken_at_ms,
                              kf_err_t *err);

//  Waits for a copy under way, then frees; nulls the pointer.
void kf_backup_destroy (kf_backup_t **self_p);

//  The socket that becomes readable once, when the copy and its manifest
//  are done (or failed): then call kf_backup_finish.
zsock_t *kf_backup_pipe (kf_backup_t *self);

//  After the pipe spoke: 0 with the copy's data file size, or -1 with the
//  reason (what was written is gone again).
int kf_backup_finish (kf_backup_t *self, uint64_t *bytes, kf_err_t *err);

const char *kf_backup_directory (kf_backup_t *self);

#endif
