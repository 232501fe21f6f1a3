/*  intake_private — what intake's files share (not for other programs):
    the service's state, an estate's priority rules, and the helpers and
    handlers each part uses.

    The files, one concern each:
      intake.c           set-up, priority rules, the tickets' records and
                         timelines, the requests' dispatch, other services'
                         events on a ticket's timeline, recovery
      intake_commands.c  filing, and the steps of a ticket's life (note,
                         close, reopen, cancel), and showing one
      intake_list.c      the paged list of tickets, with its filters
*/
#ifndef INTAKE_PRIVATE_H_INCLUDED
#define INTAKE_PRIVATE_H_INCLUDED

#include "intake.h"
#include "kf_commands.h"
#include "kf_domain.h"
#include "kf_field.h"
#include "kf_page.h"
#include "kf_summary.h"
#include "kf_time.h"
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_PHOTOS_MAX   9
#define S_HAZARDS_MAX  8
#define S_URL_MAX      1024
#define S_NAME_MAX     64      //  characters of a reporter's name
#define S_KEY_MAX      128     //  bytes of an idempotency key
#define S_TICKET_NO_MAX (KF_ID_MAX + 24)

//  One level of priority rules: which values of each field match.
typedef struct {
    bool type [32], channel [32], category [32], hazard [32];
} intake_level_t;

//  Levels in the order they are tried; the rest is normal.
enum { S_EMERGENCY, S_URGENT, S_LOW, S_LEVELS };

//  A configured estate: whether this instance owns (files tickets for) it,
//  and then its priority rules.
typedef struct {
    const kf_estate_t *estate;
    bool owned;
    bool check_units;            //  registry/check_units: refuse a unit the register does not hold
    intake_level_t levels [S_LEVELS];
} intake_owned_t;

struct _intake_t {
    kf_domain_t base;            //  config, outbox, scratch arena, estates, tables
    intake_owned_t *estates;     //  base.estates, typed
    char producer [KF_ID_MAX * 2 + 2];
    size_t owned_count;
    const char **estate_ids;     //  the owned ones, NULL-terminated, for the bus
    kf_table_t tickets, timeline, idempotency, counters, by_filed, by_estate, units, households, phones;
    kf_table_t by_status, tallies;   //  intake_tally.c
};

const intake_owned_t *intake_owned (intake_t *self, const char *estate);

//  Look up intake's tables once, in its first transaction.
void intake_tables (intake_t *self, kf_txn_t *txn);

//  What the registry announced of an owned estate's units and people
//  (unit.registered, household.registered), kept for the filing's checks;
//  and unit.handed_over, whose defects it files as repair tickets.
//  Returns 1 when the event was one of those (applied), 0 when not, -1.
int intake_register_apply (intake_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event);

//  The unit a filing is for, checked against the register: the one it
//  names, which must be there once the estate's register holds any unit
//  (unless registry/check_units is off), or, when it names none, the one
//  unit whose people have the reporter's phone, whose name fills an empty
//  reporter_name. 0 with *unit and *name set, or -1 after a BAD_REQUEST.
int intake_register_unit (intake_t *self, kf_txn_t *txn, const Kf__FileTicket *f, const char **unit,
                          const char **name, Kf__Reply *reply, kf_arena_t *arena);

//  Every check of a filing, with the reason of the first that fails.
int intake_check_filing (intake_t *self, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena);

//  The stored ticket, allocated from arena, or NULL (reply set: not found,
//  or another estate's in the caller's scope, which must look the same).
Kf__Ticket *intake_load (intake_t *self, kf_txn_t *txn, const Kf__Request *request, const char *ticket_no,
             Kf__Reply *reply, kf_arena_t *arena);

int intake_save (intake_t *self, kf_txn_t *txn, const Kf__Ticket *ticket);

//  Publish an event of this ticket's estate, and write it on the timeline.
int intake_publish (intake_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Envelope *event, const char *ticket_no,
                const char *actor);

//  Answer with the ticket and its timeline.
int intake_reply_ticket (intake_t *self, kf_txn_t *txn, Kf__Ticket *ticket, Kf__Reply *reply, kf_arena_t *arena);

//  ---- intake_tally.c ----
//  The status index and the day's tallies follow a ticket saved: the index
//  says the status it had (none: a new ticket). 0, or -1 (sticky).
int intake_tally_save (intake_t *self, kf_txn_t *txn, const Kf__Ticket *ticket);

//  The index of an estate's tickets of `status` (by_status), or of all
//  (0: by_estate), and the prefix and top of its walk down from `to`.
kf_table_t intake_index_range (intake_t *self, const char *estate, Kf__TicketStatus status, int64_t to,
                               kf_key_t *prefix, kf_key_t *top);

//  The tickets of an estate (of `status`, or all for 0) filed in [from,
//  to): from the tallies, not a walk over the tickets. 0, or -1.
int intake_tally_total (intake_t *self, kf_txn_t *txn, const char *estate, Kf__TicketStatus status, int64_t from,
                        int64_t to, kf_arena_t *arena, uint64_t *total);

//  A ticket as an owner (ROLE_OWNER) is shown it: the reporter's phone
//  masked and their name cut to its first character (a unit's cases may be
//  a former occupant's), the timeline's what and when without the staff's
//  notes and names. Nothing changes for staff.
void intake_owner_view (const Kf__Request *request, Kf__Ticket *ticket, kf_arena_t *arena);

//  A ticket as filed (the caller's `ticket`, filled in here), with its
//  idempotency record and indexes: for a filing, and for a ticket.filed of
//  ours taken back from the archive after a restore.
int intake_store_filed (intake_t *self, kf_txn_t *txn, Kf__Ticket *ticket, const char *estate, Kf__TicketFiled *filed,
                    int64_t at_ms, uint64_t request_hash);

//  What one of intake's own events does to its ticket: the one place a
//  ticket's status moves, for a request and for an event taken back from
//  the archive alike.
void intake_evolve (Kf__Ticket *ticket, const Kf__Envelope *event, int64_t at_ms);

int intake_file (intake_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
             kf_arena_t *arena);

//  Note, close, reopen and cancel: one ticket, one transition, one event.
int intake_transition (intake_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                   kf_arena_t *arena);

int intake_show (intake_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena);

int intake_list (intake_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena);

#endif
