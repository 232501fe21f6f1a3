/*  registry — set-up, the records every part reads and writes, the
    requests' dispatch, what the consumed events tell (each unit's cases
    from intake, what it owes from billing), and what a restore needs. See
    registry.h; the other parts are named in registry_private.h.
*/
#include "registry_private.h"
#include "kf_units_csv.h"

//  ---- set-up -------------------------------------------------------------------------

//  The registry keeps no rules of its own per estate yet: its records are
//  the configuration's estates, so that a request for an unknown one fails.
typedef struct {
    const kf_estate_t *estate;
} s_estate_t;

registry_t *
registry_new (kf_config_t *config, kf_err_t *err)
{
    assert (config);
    registry_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    s_estate_t *estates = kf_domain_init (&self->base, config, sizeof *estates, err);
    self->cycles = calloc (self->base.estate_count + 1, sizeof *self->cycles);
    if (!estates || !self->cycles) {
        if (estates)
            kf_err_set (err, "out of memory");
        registry_destroy (&self);
        return NULL;
    }
    for (size_t i = 0; i < self->base.estate_count; i++) {
        estates [i].estate = kf_config_estate (config, i);
        char path [128];
        const char *key = kf_config_rule (config, estates [i].estate->id, "registry/vacant_inspection", path,
                                          sizeof path);
        if (registry_cycle_parse (kf_config_str (config, key), &self->cycles [i], err)) {
            kf_err_prefix (err, "%s", key);
            registry_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
registry_destroy (registry_t **self_p)
{
    assert (self_p);
    registry_t *self = *self_p;
    if (self) {
        kf_domain_fini (&self->base);
        free (self->cycles);
        free (self);
        *self_p = NULL;
    }
}

void
registry_set_outbox (registry_t *self, kf_outbox_t *outbox)
{
    assert (self && outbox);
    self->base.outbox = outbox;
}

void
registry_tables (registry_t *self, kf_txn_t *txn)
{
    static const char *const names [] = { REGISTRY_OWN_TABLES, NULL };
    kf_table_t *const tables [] = { &self->units, &self->households, &self->phones, &self->balances, &self->cases,
                                    &self->tickets, &self->counters, &self->handovers, &self->tenancies,
                                    &self->titles, &self->lists, &self->vacant, &self->inspections,
                                    &self->due, &self->unit_loans, &self->contacts };
    kf_domain_tables (&self->base, txn, names, tables);
}

const kf_estate_t *
registry_request_estate (registry_t *self, const Kf__Request *request, const char *named, Kf__Reply *reply,
                         kf_arena_t *arena)
{
    return kf_request_estate (self->base.config, request, named, reply, arena);
}

const kf_estate_t *
registry_change_estate (registry_t *self, const Kf__Request *request, const char *named, const char *unit,
                        Kf__Reply *reply, kf_arena_t *arena)
{
    if (request->role == KF__ROLE__ROLE_TECHNICIAN) {
        KF_FORBIDDEN ("a technician does not change the register");
        return NULL;
    }
    const kf_estate_t *e = registry_request_estate (self, request, named, reply, arena);
    if (e && (!unit || !kf_unit_valid (unit))) {
        KF_BAD ("'%s' is not a unit (building-unit-room, e.g. 3-2-1502)", unit ? unit : "");
        return NULL;
    }
    return e;
}

//  ---- records -------------------------------------------------------------------------

Kf__Unit *
registry_unit_get (registry_t *self, kf_txn_t *txn, const char *estate, const char *unit, kf_arena_t *arena)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", estate, unit);
    return (Kf__Unit *) kf_txn_find_msg_in (txn, self->units, &key, &kf__unit__descriptor, arena);
}

Kf__HouseholdFile *
registry_household_get (registry_t *self, kf_txn_t *txn, const char *estate, const char *unit, kf_arena_t *arena)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", estate, unit);
    return (Kf__HouseholdFile *) kf_txn_find_msg_in (txn, self->households, &key, &kf__household_file__descriptor, arena);
}

static void
s_unit_put (registry_t *self, kf_txn_t *txn, const Kf__Unit *unit)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", unit->estate, unit->unit);
    kf_txn_put_msg (txn, self->units, &key, &unit->base);
}

void
registry_unit_register (registry_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Unit *unit)
{
    s_unit_put (self, txn, unit);
    Kf__UnitRegistered registered = KF__UNIT_REGISTERED__INIT;
    registered.unit = unit;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_UNIT_REGISTERED;
    event.unit_registered = &registered;
    kf_emit (self->base.outbox, txn, now_ms, unit->estate, &event, NULL);
    registry_vacant_follow (self, txn, now_ms, unit, true, self->base.scratch);
}

//  The index of a household's phones: one entry per phone of anyone in it.
static void
s_phones_index (registry_t *self, kf_txn_t *txn, const Kf__HouseholdFile *h, bool add)
{
    for (size_t p = 0; h && p < h->n_people; p++)
        for (size_t i = 0; i < h->people [p]->n_phones; i++) {
            kf_key_t key;
            kf_key_make (&key, "s|s|s", h->people [p]->phones [i], h->estate, h->unit);
            if (add)
                kf_txn_put (txn, self->phones, &key, "", 0);
            else
                kf_txn_del (txn, self->phones, &key);
        }
}

static void
s_household_store (registry_t *self, kf_txn_t *txn, const Kf__HouseholdFile *h, const Kf__HouseholdFile *was)
{
    s_phones_index (self, txn, was, false);
    s_phones_index (self, txn, h, true);
    kf_key_t key;
    kf_key_make (&key, "s|s", h->estate, h->unit);
    kf_txn_put_msg (txn, self->households, &key, &h->base);
}

size_t
registry_owner_names (const Kf__HouseholdFile *h, char **names, size_t max)
{
    size_t n = 0;
    for (size_t p = 0; h && p < h->n_people && n < max; p++)
        if (h->people [p]->role == KF__PERSON_ROLE__PERSON_ROLE_OWNER)
            names [n++] = h->people [p]->name ? h->people [p]->name : "";
    return n;
}

//  A change of owners, kept by date for the monthly title list. A unit's
//  first owners are its register's start, not a change.
static void
s_title_change (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__HouseholdFile *was,
                const Kf__HouseholdFile *now)
{
    char *from [REGISTRY_PEOPLE_MAX], *to [REGISTRY_PEOPLE_MAX];
    size_t n_from = registry_owner_names (was, from, REGISTRY_PEOPLE_MAX);
    size_t n_to = registry_owner_names (now, to, REGISTRY_PEOPLE_MAX);
    bool same = n_from == n_to;
    for (size_t i = 0; same && i < n_from; i++)
        same = strcmp (from [i], to [i]) == 0;
    if (same || n_from == 0)
        return;
    Kf__TitleChange change = KF__TITLE_CHANGE__INIT;
    change.unit = now->unit;
    KF_SET (&change, date, registry_today (self, now->estate, now_ms));
    change.from_owners = from;
    change.n_from_owners = n_from;
    change.to_owners = to;
    change.n_to_owners = n_to;
    kf_key_t key, seq;
    kf_key_make (&seq, "s", "titles");
    kf_key_make (&key, "s|u|s|q", now->estate, change.date, now->unit, kf_txn_next (txn, self->counters, &seq));
    kf_txn_put_msg (txn, self->titles, &key, &change.base);
}

void
registry_household_put (registry_t *self, kf_txn_t *txn, int64_t now_ms, Kf__HouseholdFile *household, bool announce,
                        kf_arena_t *arena)
{
    Kf__HouseholdFile *was = registry_household_get (self, txn, household->estate, household->unit, arena);
    KF_SET (household, changed_at_ms, now_ms);
    s_title_change (self, txn, now_ms, was, household);
    s_household_store (self, txn, household, was);
    if (!announce)
        return;
    Kf__HouseholdRegistered registered = KF__HOUSEHOLD_REGISTERED__INIT;
    registered.household = household;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_HOUSEHOLD_REGISTERED;
    event.household_registered = &registered;
    kf_emit (self->base.outbox, txn, now_ms, household->estate, &event, NULL);
}

static bool
s_same_text (const char *a, const char *b)
{
    return strcmp (a ? a : "", b ? b : "") == 0;
}

bool
registry_household_same (const Kf__HouseholdFile *a, const Kf__HouseholdFile *b)
{
    if (!a || !b || a->n_people != b->n_people)
        return a == b;
    for (size_t p = 0; p < a->n_people; p++) {
        const Kf__Person *x = a->people [p], *y = b->people [p];
        if (!s_same_text (x->name, y->name) || x->role != y->role || x->n_phones != y->n_phones
        ||  x->id_document != y->id_document || !s_same_text (x->id_last4, y->id_last4) || x->contact != y->contact
        ||  !s_same_text (x->email, y->email))
            return false;
        for (size_t i = 0; i < x->n_phones; i++)
            if (strcmp (x->phones [i], y->phones [i]))
                return false;
    }
    if (a->n_vehicles != b->n_vehicles)
        return false;
    for (size_t v = 0; v < a->n_vehicles; v++)
        if (!s_same_text (a->vehicles [v]->plate, b->vehicles [v]->plate)
        ||  !s_same_text (a->vehicles [v]->space, b->vehicles [v]->space))
            return false;
    return true;
}

void
registry_report_head (registry_t *self, kf_txn_t *txn, const char *estate, Kf__ImportReport *report,
                      kf_arena_t *arena)
{
    char stream [KF_KEY_MAX];
    if (!self->base.outbox || kf_stream_name (stream, sizeof stream, kf_outbox_producer (self->base.outbox), estate))
        return;
    report->stream = kf_arena_strdup (arena, stream);
    KF_SET (report, head, kf_outbox_head_in (self->base.outbox, txn, stream));
}

int64_t
registry_balance (registry_t *self, kf_txn_t *txn, const char *estate, const char *unit, kf_arena_t *arena)
{
    return kf_balance_owed (txn, self->balances, estate, unit, arena);
}

uint32_t
registry_today (registry_t *self, const char *estate, int64_t now_ms)
{
    const kf_estate_t *e = kf_config_estate_find (self->base.config, estate);
    return kf_day_to_yyyymmdd (kf_local_day (now_ms, e ? e->utc_offset_min : 0));
}

bool
registry_lived_in (const Kf__Unit *unit)
{
    //  A unit imported before occupancy was kept says only `occupied`.
    return unit->has_occupancy && unit->occupancy != KF__OCCUPANCY__OCCUPANCY_UNSPECIFIED
         ? kf_occupancy_in_use (unit->occupancy) : unit->occupied;
}

//  ---- requests ------------------------------------------------------------------------

int
registry_handle_request (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                         Kf__Reply *reply, kf_arena_t *arena)
{
    assert (self && txn && request && reply && arena);
    registry_tables (self, txn);
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_IMPORT_UNITS:
            return registry_import (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_LOOKUP_CALLER:
            return registry_lookup (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_SHOW_HOUSEHOLD:
            return registry_show_household (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_SET_HOUSEHOLD:
            return registry_set_household (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_MOVE_IN:
            return registry_move_in (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_MOVE_OUT:
            return registry_move_out (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_LET_UNIT:
            return registry_let (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_REGISTER_LIST:
            return registry_list (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_EXPORT_REGISTER:
            return registry_export (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_INSPECT_VACANT:
            return registry_inspect (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_LIST_VACANT:
            return registry_vacant_list (self, txn, request, reply, arena);
        default:
            return KF_BAD ("kefu-registry does not answer this command");
    }
}

//  ---- what the events tell: a unit's cases ------------------------------------------

//  The first line of a description, at most 80 characters, cut on a
//  character's boundary.
static char *
s_summary (const char *text, kf_arena_t *arena)
{
    if (!text)
        return NULL;
    size_t n = 0, chars = 0;
    while (text [n] && text [n] != '\n' && text [n] != '\r' && chars < 80) {
        n++;
        while (((unsigned char) text [n] & 0xc0) == 0x80)
            n++;
        chars++;
    }
    char *out = kf_arena_alloc (arena, n + 1);
    if (out) {
        memcpy (out, text, n);
        out [n] = 0;
    }
    return out;
}

//  The case a ticket event names, with its key in `cases`; NULL when the
//  ticket has no unit the registry follows.
static Kf__CaseSummary *
s_case_find (registry_t *self, kf_txn_t *txn, const char *estate, const char *ticket_no, kf_key_t *key,
             kf_arena_t *arena)
{
    kf_key_t index;
    kf_val_t found;
    kf_key_make (&index, "s|s", estate, ticket_no ? ticket_no : "");
    if (kf_txn_get (txn, self->tickets, &index, &found) != KF_FOUND || found.size > KF_KEY_MAX)
        return NULL;
    memcpy (key->data, found.data, found.size);
    key->size = found.size;
    return (Kf__CaseSummary *) kf_txn_find_msg_in (txn, self->cases, key, &kf__case_summary__descriptor, arena);
}

static int
s_case_filed (registry_t *self, kf_txn_t *txn, const Kf__Envelope *event, int64_t now_ms)
{
    const Kf__TicketFiled *f = event->ticket_filed;
    if (!f->unit || !f->ticket_no || !kf_unit_valid (f->unit))
        return 0;
    kf_arena_t *arena = self->base.scratch;
    Kf__CaseSummary c = KF__CASE_SUMMARY__INIT;
    c.ticket_no = f->ticket_no;
    KF_SET (&c, type, f->type);
    KF_SET (&c, category, f->category);
    KF_SET (&c, status, KF__TICKET_STATUS__TICKET_STATUS_OPEN);
    KF_SET (&c, filed_at_ms, kf_event_time (event, now_ms));
    c.summary = s_summary (f->description, arena);
    c.reporter_name = f->reporter_name;
    kf_key_t key, index;
    kf_key_make (&key, "s|s|t|s", event->estate, f->unit, c.filed_at_ms, f->ticket_no);
    kf_key_make (&index, "s|s", event->estate, f->ticket_no);
    kf_txn_put_msg (txn, self->cases, &key, &c.base);
    kf_txn_put (txn, self->tickets, &index, key.data, key.size);
    return kf_txn_ok (txn) ? 0 : -1;
}

static int
s_case_status (registry_t *self, kf_txn_t *txn, const Kf__Envelope *event, const char *ticket_no,
               Kf__TicketStatus status, int64_t now_ms)
{
    kf_key_t key;
    Kf__CaseSummary *c = s_case_find (self, txn, event->estate, ticket_no, &key, self->base.scratch);
    if (!c)
        return kf_txn_ok (txn) ? 0 : -1;
    KF_SET (c, status, status);
    KF_SET (c, closed_at_ms, status == KF__TICKET_STATUS__TICKET_STATUS_OPEN ? 0 : kf_event_time (event, now_ms));
    kf_txn_put_msg (txn, self->cases, &key, &c->base);
    return kf_txn_ok (txn) ? 0 : -1;
}

//  ---- what the events tell: the desk's news of a unit ------------------------------------

//  A key or an item out to the unit's people (desk.lent), or back
//  (desk.returned): the unit's page shows what is out.
static int
s_desk_loan (registry_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    const Kf__Loan *l = event->body_case == KF__ENVELOPE__BODY_DESK_LENT ? event->desk_lent->loan
                                                                          : event->desk_returned->loan;
    kf_key_t key;
    if (!l || !l->unit || !l->loan_id || !kf_unit_valid (l->unit)
    ||  kf_key_make (&key, "s|s|s", event->estate, l->unit, l->loan_id))
        return 0;
    if (l->status == KF__LOAN_STATUS__LOAN_STATUS_OUT)
        kf_txn_put_msg (txn, self->unit_loans, &key, &l->base);
    else
        kf_txn_del (txn, self->unit_loans, &key);
    return kf_txn_ok (txn) ? 0 : -1;
}

//  An interview or a communication with the unit's people, or its follow-up.
static int
s_desk_contact (registry_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    const Kf__Communication *c = event->body_case == KF__ENVELOPE__BODY_DESK_COMMUNICATED
                               ? event->desk_communicated->communication : event->desk_followed_up->communication;
    kf_key_t key;
    if (!c || !c->unit || !c->communication_id || !kf_unit_valid (c->unit)
    ||  kf_key_make (&key, "s|s|t|s", event->estate, c->unit, c->at_ms, c->communication_id))
        return 0;
    return kf_txn_put_msg (txn, self->contacts, &key, &c->base);
}

//  ---- what the events tell: a unit's cases and what it owes -------------------------------

int
registry_apply_event (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    assert (self && txn && event);
    registry_tables (self, txn);
    if (!event->estate || !kf_domain_estate (&self->base, event->estate))
        return 0;
    kf_arena_reset (self->base.scratch);
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_TICKET_FILED:
            return s_case_filed (self, txn, event, now_ms);
        case KF__ENVELOPE__BODY_TICKET_CLOSED:
            return s_case_status (self, txn, event, event->ticket_closed->ticket_no,
                                  KF__TICKET_STATUS__TICKET_STATUS_CLOSED, now_ms);
        case KF__ENVELOPE__BODY_TICKET_REOPENED:
            return s_case_status (self, txn, event, event->ticket_reopened->ticket_no,
                                  KF__TICKET_STATUS__TICKET_STATUS_OPEN, now_ms);
        case KF__ENVELOPE__BODY_TICKET_CANCELLED:
            return s_case_status (self, txn, event, event->ticket_cancelled->ticket_no,
                                  KF__TICKET_STATUS__TICKET_STATUS_CANCELLED, now_ms);
        case KF__ENVELOPE__BODY_DESK_LENT:
        case KF__ENVELOPE__BODY_DESK_RETURNED:
            return s_desk_loan (self, txn, event);
        case KF__ENVELOPE__BODY_DESK_COMMUNICATED:
        case KF__ENVELOPE__BODY_DESK_FOLLOWED_UP:
            return s_desk_contact (self, txn, event);
        case KF__ENVELOPE__BODY_INVOICE_ISSUED:
        case KF__ENVELOPE__BODY_INVOICE_LATE_FEE:
        case KF__ENVELOPE__BODY_INVOICE_SETTLED:
        case KF__ENVELOPE__BODY_PAYMENT_RECEIVED:
        case KF__ENVELOPE__BODY_PAYMENT_REFUNDED:
            return kf_balance_follow (txn, self->balances, event, now_ms, self->base.scratch);
        default:
            return 0;
    }
}

//  ---- after a restore -------------------------------------------------------------------

int
registry_recover (registry_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    assert (self && txn && event);
    registry_tables (self, txn);
    kf_arena_reset (self->base.scratch);
    if (!event->estate)
        return 0;
    if (event->body_case == KF__ENVELOPE__BODY_UNIT_REGISTERED && event->unit_registered->unit) {
        Kf__Unit unit = *event->unit_registered->unit;
        unit.estate = event->estate;
        s_unit_put (self, txn, &unit);
        registry_vacant_follow (self, txn, event->occurred_at_ms, &unit, false, self->base.scratch);
    }
    else
    if (event->body_case == KF__ENVELOPE__BODY_HOUSEHOLD_REGISTERED && event->household_registered->household) {
        Kf__HouseholdFile household = *event->household_registered->household;
        household.estate = event->estate;
        Kf__HouseholdFile *was = registry_household_get (self, txn, household.estate, household.unit,
                                                     self->base.scratch);
        s_household_store (self, txn, &household, was);
    }
    return kf_txn_ok (txn) ? 0 : -1;
}
