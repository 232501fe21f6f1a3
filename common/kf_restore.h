/*  kf_restore — a daemon's store put back from a backup without ever
    reusing a sequence (issue 17, DESIGN.md §2).

    kefuctl backup leaves a manifest beside each copy (manifest.json: the
    producer, the copy's epoch and heads, data.mdb's size and SHA-256, the
    time). kefuctl restore, with the daemon stopped (its store's lock
    free), checks the manifest, asks the running daemons how far they have
    applied the restored producer's streams, keeps the store it replaces
    (data.mdb.replaced-<time>), installs the copy and leaves a marker
    (restored.json) with what the cluster had seen. At its next start the
    daemon, before it publishes anything, draws a new epoch that announces
    itself as the backup's continuation (kf_outbox_restart_epoch) and lets
    the service move its business numbers past what the lost events may
    have used, in one transaction; then the marker goes. Its consumers
    follow the new epoch on their own, and say what the producer lost.
*/
#ifndef KF_RESTORE_H_INCLUDED
#define KF_RESTORE_H_INCLUDED

#include <stdint.h>
#include "kf_log.h"
#include "kf_store.h"
#include "bus.pb-c.h"

#define KF_RESTORE_MANIFEST "manifest.json"
#define KF_RESTORE_MARKER "restored.json"
#define KF_RESTORE_LOCK "daemon.lock"

//  Take a store directory's lock (flock on daemon.lock, made when
//  missing): a daemon holds it for its whole life, kefuctl restore while it
//  installs. The descriptor (close it to let go), or -1 with why.
int kf_restore_lock (const char *store_dir, kf_err_t *err);

//  After a backup into `dir`: write dir/manifest.json, read from the copy
//  itself. 0, or -1 with why.
int kf_restore_manifest_write (const char *dir, const char *producer, int64_t now_ms, kf_err_t *err);

//  A backup's manifest, checked against its data.mdb (size and SHA-256):
//  to kf_codec_free; NULL with why.
Kf__BackupManifest *kf_restore_manifest_read (const char *dir, kf_err_t *err);

//  Install backup_dir/data.mdb into store_dir (the caller holds its lock),
//  keeping a data.mdb it replaces as data.mdb.replaced-<time>, and leave
//  the marker. 0, or -1 with why (nothing replaced).
int kf_restore_install (const char *backup_dir, const char *store_dir, const Kf__RestoreMarker *marker,
                        kf_err_t *err);

//  The marker kefuctl restore left in the store's directory: 1 (*marker to
//  kf_codec_free), 0 when there is none, -1 with why.
int kf_restore_marker_read (kf_store_t *store, Kf__RestoreMarker **marker, kf_err_t *err);

//  A service's part of the restart: each stream, with the head the backup
//  restored and the highest sequence the cluster had applied (0: none
//  seen), inside the transaction that starts the new epoch.
typedef int (kf_restore_fn) (void *app, kf_txn_t *txn, const Kf__RestoreMarker *marker, const char *stream,
                             uint64_t restored_head, uint64_t seen_head);

//  At a daemon's start, before its bus opens the outbox: when the store's
//  directory holds a marker, the new epoch and fn, in one transaction,
//  then the marker removed. 1 when it restarted, 0 when there was no
//  marker, -1 with why.
int kf_restore_begin (kf_store_t *store, kf_restore_fn *fn, void *app, kf_err_t *err);

#endif
