/*  kf_domain — what the domain services hold and do the same way: the
    base that intake, dispatch, escalation, billing and survey embed (the
    configuration, the outbox, one record per estate, a scratch arena,
    their tables), publishing an event about an estate, judging a
    request's scope and role. (The archive has no estates' rules and no
    outbox of its own: it opens its tables with kf_store_tables.)
*/
#ifndef KF_DOMAIN_H_INCLUDED
#define KF_DOMAIN_H_INCLUDED

#include <stdbool.h>
#include "kf_config.h"
#include "kf_outbox.h"
#include "commands.pb-c.h"

//  The part of a service's state every service has, embedded first in its
//  struct as `base`. The per-estate records are the service's own struct
//  (`estate_size` bytes each, zeroed, in the configuration's order), so
//  the service keeps a typed pointer to the same array.
typedef struct {
    kf_config_t *config;
    kf_outbox_t *outbox;          //  wired when the service is on the bus
    void *estates;                //  estate_count records of estate_size
    size_t estate_size;
    size_t estate_count;
    kf_arena_t *scratch;          //  for one consumed event or one tick step
    bool tables_known;
} kf_domain_t;

//  Fill a service's base: a zeroed record per configured estate and the
//  scratch arena. Returns the records (the service's typed pointer), or
//  NULL with "out of memory"; kf_domain_fini frees what was made either
//  way.
void *kf_domain_init (kf_domain_t *self, kf_config_t *config, size_t estate_size, kf_err_t *err);

//  Free what kf_domain_init made; safe on a zeroed or finished base.
void kf_domain_fini (kf_domain_t *self);

//  The record of a configured estate, or NULL for an id the configuration
//  does not have.
void *kf_domain_estate (const kf_domain_t *self, const char *id);

//  Look up the service's own tables once, in its first transaction: the
//  handle of names [i] into *tables [i], names NULL-terminated.
void kf_domain_tables (kf_domain_t *self, kf_txn_t *txn, const char *const *names, kf_table_t *const *tables);

//  Append an event about an estate to the outbox, caused by the consumed
//  event `causation` (NULL or empty: none). 0, or -1 when the transaction
//  failed (sticky).
int kf_emit (kf_outbox_t *outbox, kf_txn_t *txn, int64_t now_ms, const char *estate, Kf__Envelope *event,
             const char *causation);

//  A deadline of escalation's (deadline.set, .met or .dropped, `what`):
//  the subject held to a time, as the producer words it. due_ms and
//  since_ms go only with deadline.set. 0, or -1 (sticky).
int kf_emit_deadline (kf_outbox_t *outbox, kf_txn_t *txn, int64_t now_ms, const char *estate,
                      Kf__Envelope__BodyCase what, Kf__Deadline *deadline);

//  Whether a request bound to an estate (its scope) may see this one.
bool kf_request_sees (const Kf__Request *request, const char *estate);

//  Whether a request may see what belongs to one unit of an estate: an
//  owner (ROLE_OWNER) their own unit only, the request's unit of the
//  estate of its scope; staff every unit of an estate kf_request_sees.
//  The one check every daemon makes before it shows an owner a thing.
bool kf_request_sees_unit (const Kf__Request *request, const char *estate, const char *unit);

//  The commands an owner may send at all (their cases, return visits,
//  evaluation and statement); kf_commands refuses every other before any
//  handler sees it, and an owner's request without its estate and unit.
bool kf_owner_may (Kf__Request__CommandCase command);

//  Whether a request sees the phones of an estate's people whole: the
//  desk of that estate (its receptionists, supervisors and managers), not
//  the group's, nor a technician, nor operations. Others see them masked
//  (kf_phone_mask).
bool kf_request_sees_phones (const Kf__Request *request, const char *estate);

//  The estate a request names (`named`), else the one its scope binds it
//  to; NULL after a one-line reply: BAD_REQUEST when there is neither,
//  NOT_FOUND for an estate the configuration or the scope does not allow.
const kf_estate_t *kf_request_estate (const kf_config_t *config, const Kf__Request *request, const char *named,
                                      Kf__Reply *reply, kf_arena_t *arena);

//  Supervisors, managers and operations: who runs an estate's money,
//  draws and imports.
bool kf_role_manages (Kf__Role role);

//  The service standard's life-safety hazards (DESIGN.md §5): a person
//  trapped, gas, smoke or fire, electrical danger, water into a home, an
//  injury.
bool kf_hazard_life_safety (Kf__Hazard hazard);

//  Whether a case is an emergency whatever an estate's priority rules say:
//  a call for help (emergency_help) or a life-safety hazard. Such a case
//  goes at once, 24x7, to someone on shift or on call who can act.
bool kf_case_emergency (Kf__TicketType type, const Kf__Hazard *hazards, size_t count);

//  A list's kf_page_walk or kf_page_forward result as a request's: 0 to
//  go on; -1 for a failed transaction, or after a BAD_REQUEST reply for a
//  page token the list did not give (made up, or another list's).
int kf_page_result (int rc, Kf__Reply *reply, kf_arena_t *arena);

//  When an event happened: its occurred_at, else (an event without one)
//  `now_ms`, the consumer's clock.
int64_t kf_event_time (const Kf__Envelope *event, int64_t now_ms);

//  Whether a reopening follows an unsatisfied return visit (a
//  rectification), by its cause; an event without one (from a producer
//  older than the field) is read as those producers wrote it, by its
//  reopened_by "survey".
bool kf_reopened_after_visit (const Kf__TicketReopened *reopened);


#endif
