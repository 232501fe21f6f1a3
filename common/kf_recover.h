/*  kf_recover — a producer restored from a backup takes back, from the
    archive, the events it had published after the backup (issue 17.3).

    Between kefuctl restore and the new epoch (kf_restore_begin), the
    daemon asks the archive's replay endpoint for each of its streams from
    the restored head to what the cluster had applied, in the backup's
    epoch. Each event goes back into the outbox exactly as it was (same
    sequence and event id, counted as sent) and to the service, which
    rebuilds what it made (intake: the ticket, its number, its timeline), in
    one transaction per batch: killed half-way, the next start carries on
    from the head it reached. Then the new epoch continues after all that
    came back, and only what the archive never had is lost.

    It waits for the archive (archive/recover_wait): a daemon that started
    without what it lost would number anew on top of it. When the archive
    did not answer kefuctl restore, or the operator restored
    --without-archive, there is nothing to wait for.
*/
#ifndef KF_RECOVER_H_INCLUDED
#define KF_RECOVER_H_INCLUDED

#include "kf_config.h"
#include "kf_store.h"
#include "envelope.pb-c.h"

//  The service's part: make again, inside txn, what its own event made
//  (the event is already back in the outbox). 0; 1 when what the event's
//  cause (causation_id, an event it consumed) made here is rebuilt by the
//  events that cause made, so that the daemon does not apply the cause a
//  second time when it consumes it again from its restored cursor (a cause
//  is marked so once its last event is back: the next one has another
//  cause, or all the cluster had seen came back); or -1 when the
//  transaction failed.
typedef int (kf_recover_fn) (void *app, kf_txn_t *txn, const Kf__Envelope *event);

//  At a daemon's start, before kf_restore_begin: when the store holds a
//  restore marker from an archive that answered, put back what the archive
//  has of each stream beyond the restored head. NULL fn: the service
//  rebuilds nothing from its own events, so none are put back. Returns the
//  events put back, or -1 with why (the archive did not answer in time).
int64_t kf_recover_from_archive (kf_store_t *store, kf_config_t *config, const char *producer,
                                 kf_recover_fn *fn, void *app, kf_err_t *err);

#endif
