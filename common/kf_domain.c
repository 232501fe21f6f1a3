/*  kf_domain — what the domain services share. See kf_domain.h.  */
#include "kf_domain.h"
#include "kf_commands.h"
#include "kf_page.h"
#include "kf_scope.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *
kf_domain_init (kf_domain_t *self, kf_config_t *config, size_t estate_size, kf_err_t *err)
{
    assert (self && config && estate_size > 0);
    self->config = config;
    self->estate_size = estate_size;
    self->estate_count = kf_config_estate_count (config);
    //  One record even for no estate, so NULL means only out of memory.
    self->estates = calloc (self->estate_count ? self->estate_count : 1, estate_size);
    self->scratch = kf_arena_new ();
    if (!self->estates || !self->scratch) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    return self->estates;
}

void
kf_domain_fini (kf_domain_t *self)
{
    assert (self);
    kf_arena_destroy (&self->scratch);
    free (self->estates);
    self->estates = NULL;
    self->estate_count = 0;
}

void *
kf_domain_estate (const kf_domain_t *self, const char *id)
{
    int index = kf_config_estate_index (self->config, id);
    return index >= 0 ? (char *) self->estates + (size_t) index * self->estate_size : NULL;
}

void
kf_domain_tables (kf_domain_t *self, kf_txn_t *txn, const char *const *names, kf_table_t *const *tables)
{
    if (self->tables_known)
        return;
    kf_store_tables (kf_txn_store (txn), names, tables);
    self->tables_known = true;
}

int
kf_emit (kf_outbox_t *outbox, kf_txn_t *txn, int64_t now_ms, const char *estate, Kf__Envelope *event,
         const char *causation)
{
    assert (outbox && txn && estate && event);
    event->estate = (char *) estate;
    event->causation_id = causation && *causation ? (char *) causation : NULL;
    return kf_outbox_append (outbox, txn, event, now_ms) ? 0 : -1;
}

int
kf_emit_deadline (kf_outbox_t *outbox, kf_txn_t *txn, int64_t now_ms, const char *estate,
                  Kf__Envelope__BodyCase what, Kf__Deadline *deadline)
{
    assert (deadline && (what == KF__ENVELOPE__BODY_DEADLINE_SET || what == KF__ENVELOPE__BODY_DEADLINE_MET
                         || what == KF__ENVELOPE__BODY_DEADLINE_DROPPED));
    if (what != KF__ENVELOPE__BODY_DEADLINE_SET)
        deadline->has_due_ms = deadline->has_since_ms = 0;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = what;
    event.deadline_set = deadline;   //  the oneof's members share their storage
    return kf_emit (outbox, txn, now_ms, estate, &event, NULL);
}

bool
kf_request_sees (const Kf__Request *request, const char *estate)
{
    return kf_scope_sees (request->scope, estate);
}

bool
kf_request_sees_unit (const Kf__Request *request, const char *estate, const char *unit)
{
    if (!kf_request_sees (request, estate))
        return false;
    if (request->role != KF__ROLE__ROLE_OWNER)
        return true;
    return request->scope && *request->scope && estate && strcmp (request->scope, estate) == 0
        && request->unit && *request->unit && unit && strcmp (request->unit, unit) == 0;
}

bool
kf_owner_may (Kf__Request__CommandCase command)
{
    switch (command) {
        case KF__REQUEST__COMMAND_FILE_TICKET:
        case KF__REQUEST__COMMAND_SHOW_TICKET:
        case KF__REQUEST__COMMAND_LIST_TICKETS:
        case KF__REQUEST__COMMAND_LIST_VISITS:
        case KF__REQUEST__COMMAND_ANSWER_VISIT:
        case KF__REQUEST__COMMAND_EVALUATION_STATUS:
        case KF__REQUEST__COMMAND_ANSWER_EVALUATION:
        case KF__REQUEST__COMMAND_STATEMENT:
            return true;
        default:
            return false;
    }
}

bool
kf_request_sees_phones (const Kf__Request *request, const char *estate)
{
    bool desk = request->role == KF__ROLE__ROLE_FRONT_DESK || request->role == KF__ROLE__ROLE_SUPERVISOR
             || request->role == KF__ROLE__ROLE_MANAGER;
    return desk && request->scope && estate && strcmp (request->scope, estate) == 0;
}

const kf_estate_t *
kf_request_estate (const kf_config_t *config, const Kf__Request *request, const char *named, Kf__Reply *reply,
                   kf_arena_t *arena)
{
    const char *id = named && *named ? named : request->scope;
    if (!id || !*id) {
        kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, arena, "estate is required");
        return NULL;
    }
    const kf_estate_t *estate = kf_config_estate_find (config, id);
    if (!estate || !kf_request_sees (request, id)) {
        kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, "unknown estate '%s'", id);
        return NULL;
    }
    return estate;
}

bool
kf_role_manages (Kf__Role role)
{
    return role == KF__ROLE__ROLE_SUPERVISOR || role == KF__ROLE__ROLE_MANAGER || role == KF__ROLE__ROLE_OPERATIONS;
}

bool
kf_hazard_life_safety (Kf__Hazard hazard)
{
    switch (hazard) {
        case KF__HAZARD__HAZARD_PERSON_TRAPPED:
        case KF__HAZARD__HAZARD_GAS_SMELL:
        case KF__HAZARD__HAZARD_SMOKE_OR_FIRE:
        case KF__HAZARD__HAZARD_ELECTRICAL_DANGER:
        case KF__HAZARD__HAZARD_LEAK_INTO_HOME:
        case KF__HAZARD__HAZARD_INJURY:
            return true;
        default:
            return false;
    }
}

bool
kf_case_emergency (Kf__TicketType type, const Kf__Hazard *hazards, size_t count)
{
    if (type == KF__TICKET_TYPE__TICKET_TYPE_EMERGENCY_HELP)
        return true;
    for (size_t i = 0; i < count; i++)
        if (kf_hazard_life_safety (hazards [i]))
            return true;
    return false;
}

bool
kf_reopened_after_visit (const Kf__TicketReopened *reopened)
{
    assert (reopened);
    if (reopened->has_cause && reopened->cause != KF__REOPEN_CAUSE__REOPEN_CAUSE_UNSPECIFIED)
        return reopened->cause == KF__REOPEN_CAUSE__REOPEN_CAUSE_UNSATISFIED_VISIT;
    return reopened->reopened_by && strcmp (reopened->reopened_by, "survey") == 0;
}

int64_t
kf_event_time (const Kf__Envelope *event, int64_t now_ms)
{
    assert (event);
    return event->has_occurred_at_ms && event->occurred_at_ms > 0 ? event->occurred_at_ms : now_ms;
}

int
kf_page_result (int rc, Kf__Reply *reply, kf_arena_t *arena)
{
    if (rc == KF_PAGE_BAD_TOKEN)
        return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, arena,
                               "page_token is not one this service gave: ask again without it for the first page");
    return rc ? -1 : 0;
}
