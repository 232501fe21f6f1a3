/*  intake — the front desk: tickets, their numbers, priorities, lifecycle
    and timelines (DESIGN.md §1, issue 4).

    Plain functions over a store transaction: a request or a consumed event
    in, state changes and events (appended to the outbox) out. No sockets:
    main.c wires them to kf_commands and kf_bus, the unit tests call them
    directly.

    One intake instance owns a set of estates (estates/<id>/intake names
    it): it files their tickets, numbers them and keeps their timelines from
    every service's events. A filing for an estate it does not own is
    refused, so ticket numbers and streams never collide.
*/
#ifndef INTAKE_H_INCLUDED
#define INTAKE_H_INCLUDED

#include "kf_codec.h"
#include "kf_config.h"
#include "kf_outbox.h"
#include "commands.pb-c.h"
#include "envelope.pb-c.h"

//  intake's tables, after the bus's.
#define INTAKE_OWN_TABLES "tickets", "timeline", "idempotency", "counters", "by_filed", "by_estate", "units", \
    "households", "phones", "by_status", "tallies"
#define INTAKE_TABLES KF_BUS_TABLES, INTAKE_OWN_TABLES

#define INTAKE_TEXT_MAX     2000   //  characters of a description, note, reason
#define INTAKE_PAGE_DEFAULT 50
#define INTAKE_PAGE_MAX     500

typedef struct _intake_t intake_t;

//  `producer` is this instance's id ("intake@c1"). Fails with a reason when
//  the priority rules do not parse or the instance owns no estate.
intake_t *intake_new (kf_config_t *config, const char *producer, kf_err_t *err);
void intake_destroy (intake_t **self_p);

//  Where its events go (before the first request).
void intake_set_outbox (intake_t *self, kf_outbox_t *outbox);

//  The estates this instance owns (files tickets for), NULL-terminated.
const char *const *intake_estates (intake_t *self);

//  The priority the estate's rules give a filing.
Kf__Priority intake_priority (intake_t *self, const char *estate, const Kf__FileTicket *filing);

//  Answer one request inside txn (kf_command_fn's contract): 0 keeps its
//  writes, -1 (reply status and error set) undoes them.
int intake_handle_request (intake_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                           Kf__Reply *reply, kf_arena_t *arena);

//  Apply another service's event inside txn: a line on the timeline of the
//  ticket it names, and a reopening after an unsatisfied return visit.
//  Events of tickets this instance does not hold change nothing. Returns 0,
//  or -1 when the transaction failed.
int intake_apply_event (intake_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event);

//  After kefuctl restore, each of this instance's own events that the
//  archive gave back (kf_recover_fn, `app` the intake): the ticket it filed
//  or moved, its number taken, its line on the timeline, as the request
//  made them.
int intake_recover (void *app, kf_txn_t *txn, const Kf__Envelope *event);

//  After kefuctl restore (kf_restore_fn, `app` the intake): the tickets
//  the backup lacks took numbers the restored counters would give again.
//  For an estate whose stream the cluster had applied beyond the backup's
//  head, each day from the backup's to the restore's (and the next, for a
//  day turning meanwhile) skips as many numbers as events were lost: at
//  most one ticket each. Numbers may be left unused; none is used twice.
int intake_restored (void *app, kf_txn_t *txn, const Kf__RestoreMarker *marker, const char *stream,
                     uint64_t restored_head, uint64_t seen_head);

//  Once, at a start, for a store from before them: the status index and
//  the day tallies (intake_tally.c) of every ticket (*built of them; 0
//  when done before). 0, or -1.
int intake_tally_build (intake_t *self, kf_txn_t *txn, uint64_t *built);

#endif
