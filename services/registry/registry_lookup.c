/*  registry_lookup — what the desk sees of a unit: the caller lookup (by
    phone or unit: the units, their people, what they owe, their cases),
    a household shown and set, and phones masked for anyone but the desk
    of the unit's estate. See registry_private.h.
*/
#include "registry_private.h"
#include <ctype.h>

#define S_PHONES_MAX 5      //  phones of one person

static char *
s_masked (const char *phone, kf_arena_t *arena)
{
    char text [32];
    kf_phone_mask (phone, text, sizeof text);
    return kf_arena_strdup (arena, text);
}

//  A copy of a household whose phones the request may not see whole.
static Kf__HouseholdFile *
s_household_masked (const Kf__HouseholdFile *h, kf_arena_t *arena)
{
    Kf__HouseholdFile *copy = (Kf__HouseholdFile *) kf_arena_message (arena, &kf__household_file__descriptor);
    if (!copy || !(copy->people = kf_arena_alloc (arena, (h->n_people + 1) * sizeof *copy->people)))
        return NULL;
    *copy = *h;
    copy->people = kf_arena_alloc (arena, (h->n_people + 1) * sizeof *copy->people);
    for (size_t p = 0; copy->people && p < h->n_people; p++) {
        Kf__Person *person = (Kf__Person *) kf_arena_message (arena, &kf__person__descriptor);
        if (!person || !(person->phones = kf_arena_alloc (arena, (h->people [p]->n_phones + 1) * sizeof (char *))))
            return NULL;
        char **phones = person->phones;
        *person = *h->people [p];
        person->phones = phones;
        for (size_t i = 0; i < person->n_phones; i++)
            person->phones [i] = s_masked (h->people [p]->phones [i], arena);
        copy->people [p] = person;
    }
    return copy->people ? copy : NULL;
}

//  ---- the lookup ------------------------------------------------------------------------

typedef struct {
    Kf__CaseSummary **cases;
    size_t count, size;
    kf_arena_t *arena;
} s_cases_t;

static int
s_case_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) key;
    s_cases_t *c = arg;
    return kf_arena_push (c->arena, (void ***) &c->cases, &c->count, &c->size, (void *) msg)
         ? kf_txn_fail (txn, "out of memory") : 0;
}

//  A unit as the lookup answers it: its record, people, money and cases.
//  The desk's news of a unit (loans out, its last communications), as the
//  desk announced them, each list in the arena.
typedef struct {
    void **items;
    size_t count, room;
    kf_arena_t *arena;
} s_rows_t;

static int
s_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) key;
    s_rows_t *r = arg;
    return kf_arena_push (r->arena, &r->items, &r->count, &r->room, (void *) msg) ? kf_txn_fail (txn, "out of memory") : 0;
}

static int
s_desk_news (registry_t *self, kf_txn_t *txn, Kf__CallerUnit *cu, bool whole, kf_arena_t *arena)
{
    kf_key_t key;
    kf_key_make (&key, "s|s|", cu->estate, cu->unit->unit);
    s_rows_t loans = { .arena = arena }, contacts = { .arena = arena };
    if (kf_txn_scan_msg_in (txn, self->unit_loans, &key, &kf__loan__descriptor, arena, s_row, &loans) < 0
    ||  kf_txn_scan_msg_in (txn, self->contacts, &key, &kf__communication__descriptor, arena, s_row, &contacts) < 0)
        return -1;
    cu->loans_out = (Kf__Loan **) loans.items;
    cu->n_loans_out = loans.count;
    for (size_t i = 0; !whole && i < loans.count; i++)
        if (cu->loans_out [i]->phone)
            cu->loans_out [i]->phone = s_masked (cu->loans_out [i]->phone, arena);
    //  The last five, newest first (the table holds them oldest first).
    size_t n = contacts.count < REGISTRY_RECENT_CASES ? contacts.count : REGISTRY_RECENT_CASES;
    cu->communications = kf_arena_alloc (arena, (n + 1) * sizeof *cu->communications);
    if (!cu->communications)
        return kf_txn_fail (txn, "out of memory");
    for (size_t i = 0; i < n; i++)
        cu->communications [cu->n_communications++] = contacts.items [contacts.count - 1 - i];
    return 0;
}

static Kf__CallerUnit *
s_caller_unit (registry_t *self, kf_txn_t *txn, const Kf__Request *request, const char *estate, const char *unit,
               const char *phone, kf_arena_t *arena)
{
    Kf__CallerUnit *cu = (Kf__CallerUnit *) kf_arena_message (arena, &kf__caller_unit__descriptor);
    Kf__Unit *u = registry_unit_get (self, txn, estate, unit, arena);
    if (!cu || !u)
        return NULL;
    bool whole = kf_request_sees_phones (request, estate);
    cu->estate = (char *) estate;
    cu->unit = u;
    if (u->owner_phone && !whole)
        u->owner_phone = s_masked (u->owner_phone, arena);
    Kf__HouseholdFile *h = registry_household_get (self, txn, estate, unit, arena);
    for (size_t p = 0; h && phone && p < h->n_people && !cu->has_matched_role; p++)
        for (size_t i = 0; i < h->people [p]->n_phones; i++)
            if (strcmp (h->people [p]->phones [i], phone) == 0) {
                KF_SET (cu, matched_role, h->people [p]->role);
                cu->matched_name = h->people [p]->name;
                break;
            }
    cu->household = h && !whole ? s_household_masked (h, arena) : h;
    Kf__UnitBalance *b = kf_balance_get (txn, self->balances, estate, unit, arena);
    kf_key_t key;
    KF_SET (cu, balance_fen, b ? b->balance_fen : 0);
    KF_SET (cu, open_notices, b ? b->open_notices : 0);
    kf_key_make (&key, "s|s|", estate, unit);
    s_cases_t c = { .arena = arena };
    if (kf_txn_scan_msg_in (txn, self->cases, &key, &kf__case_summary__descriptor, arena, s_case_row, &c) < 0)
        return NULL;
    size_t recent = c.count < REGISTRY_RECENT_CASES ? c.count : REGISTRY_RECENT_CASES;
    cu->open_tickets = kf_arena_alloc (arena, (c.count + 1) * sizeof *cu->open_tickets);
    cu->recent = kf_arena_alloc (arena, (recent + 1) * sizeof *cu->recent);
    if (!cu->open_tickets || !cu->recent)
        return NULL;
    for (size_t i = 0; i < c.count; i++)
        if (c.cases [i]->status == KF__TICKET_STATUS__TICKET_STATUS_OPEN)
            cu->open_tickets [cu->n_open_tickets++] = c.cases [i];
    for (size_t i = 0; i < recent; i++)
        cu->recent [cu->n_recent++] = c.cases [c.count - 1 - i];
    return s_desk_news (self, txn, cu, whole, arena) ? NULL : cu;
}

typedef struct {
    registry_t *self;
    const Kf__Request *request;
    const char *estate;           //  only this one, or NULL
    const char *phone;
    Kf__CallerLookup *found;
    kf_arena_t *arena;
} s_lookup_t;

//  One entry of the phone index: phone|estate|unit.
static int
s_phone_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) value;
    s_lookup_t *l = arg;
    size_t skip = strlen (l->phone) + 1;
    const char *rest = (const char *) key.data + skip;
    size_t size = key.size - skip;
    const char *bar = memchr (rest, '|', size);
    if (!bar || bar == rest || (size_t) (bar - rest) > KF_ID_MAX || size - (size_t) (bar - rest) - 1 > S_UNIT_MAX)
        return kf_txn_fail (txn, "a phone index entry is damaged");
    char estate [KF_ID_MAX + 1], unit [S_UNIT_MAX + 1];
    snprintf (estate, sizeof estate, "%.*s", (int) (bar - rest), rest);
    snprintf (unit, sizeof unit, "%.*s", (int) (size - (size_t) (bar - rest) - 1), bar + 1);
    if ((l->estate && strcmp (estate, l->estate)) || !kf_request_sees (l->request, estate)
    ||  !kf_domain_estate (&l->self->base, estate))
        return 0;
    const kf_estate_t *e = kf_config_estate_find (l->self->base.config, estate);
    Kf__CallerUnit *cu = s_caller_unit (l->self, txn, l->request, e->id, kf_arena_strdup (l->arena, unit), l->phone,
                                        l->arena);
    if (!cu)
        return kf_txn_ok (txn) ? 0 : -1;   //  an index entry ahead of its unit: not one to show
    l->found->units [l->found->n_units++] = cu;
    return l->found->n_units == REGISTRY_LOOKUP_MAX_UNITS ? 1 : 0;
}

int
registry_lookup (registry_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__LookupCaller *q = request->lookup_caller;
    bool by_phone = q->phone && *q->phone, by_unit = q->unit && *q->unit;
    if (by_phone == by_unit)
        return KF_BAD ("look up a phone or a unit (one of them)");
    if (by_phone && !kf_phone_valid (q->phone))
        return KF_BAD ("'%s' is not a phone (5 to 20 digits with an optional leading +)", q->phone);
    if (by_unit && !kf_unit_valid (q->unit))
        return KF_BAD ("'%s' is not a unit (building-unit-room, e.g. 3-2-1502)", q->unit);
    s_lookup_t l = { .self = self, .request = request, .phone = q->phone, .arena = arena,
                     .found = (Kf__CallerLookup *) kf_arena_message (arena, &kf__caller_lookup__descriptor) };
    if (!l.found || !(l.found->units = kf_arena_alloc (arena, REGISTRY_LOOKUP_MAX_UNITS * sizeof *l.found->units)))
        return kf_txn_fail (txn, "out of memory");
    if (by_unit || (q->estate && *q->estate)) {
        const kf_estate_t *e = registry_request_estate (self, request, q->estate, reply, arena);
        if (!e)
            return -1;
        l.estate = e->id;
    }
    if (by_unit) {
        Kf__CallerUnit *cu = s_caller_unit (self, txn, request, l.estate, q->unit, NULL, arena);
        if (!cu)
            return kf_txn_ok (txn) ? KF_NOT_FOUND ("no unit %s in %s", q->unit, l.estate) : -1;
        l.found->units [l.found->n_units++] = cu;
    }
    else {
        kf_key_t prefix;
        kf_key_make (&prefix, "s|", q->phone);
        if (kf_txn_scan (txn, self->phones, &prefix, s_phone_row, &l) < 0)
            return -1;
    }
    bool masked = false;
    for (size_t i = 0; i < l.found->n_units; i++)
        masked = masked || !kf_request_sees_phones (request, l.found->units [i]->estate);
    KF_SET (l.found, phones_masked, masked);
    reply->result_case = KF__REPLY__RESULT_CALLER_LOOKUP;
    reply->caller_lookup = l.found;
    return 0;
}

//  ---- households ------------------------------------------------------------------------

int
registry_show_household (registry_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
                         kf_arena_t *arena)
{
    const Kf__ShowHousehold *q = request->show_household;
    const kf_estate_t *e = registry_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    if (!q->unit || !kf_unit_valid (q->unit))
        return KF_BAD ("'%s' is not a unit (building-unit-room, e.g. 3-2-1502)", q->unit ? q->unit : "");
    if (!registry_unit_get (self, txn, e->id, q->unit, arena))
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no unit %s in %s", q->unit, e->id) : -1;
    Kf__HouseholdFile *h = registry_household_get (self, txn, e->id, q->unit, arena);
    if (!h) {
        if (!kf_txn_ok (txn) || !(h = (Kf__HouseholdFile *) kf_arena_message (arena, &kf__household_file__descriptor)))
            return -1;
        h->estate = (char *) e->id;
        h->unit = q->unit;
    }
    reply->result_case = KF__REPLY__RESULT_HOUSEHOLD;
    reply->household = kf_request_sees_phones (request, e->id) ? h : s_household_masked (h, arena);
    return reply->household ? 0 : kf_txn_fail (txn, "out of memory");
}

int
registry_person_check (const Kf__Person *person, kf_err_t *err)
{
    if (!person->name || !*person->name)
        return kf_err_set (err, "a person needs a name");
    if (kf_text_check ("name", person->name, 100, err))
        return -1;
    if (person->role < KF__PERSON_ROLE__PERSON_ROLE_OWNER || person->role > KF__PERSON_ROLE__PERSON_ROLE_TENANT)
        return kf_err_set (err, "%s: the role is owner, member or tenant", person->name);
    if (person->n_phones > S_PHONES_MAX)
        return kf_err_set (err, "%s: at most %d phones", person->name, S_PHONES_MAX);
    for (size_t i = 0; i < person->n_phones; i++)
        if (!kf_phone_valid (person->phones [i]))
            return kf_err_set (err, "%s: '%s' is not a phone (5 to 20 digits with an optional leading +)",
                               person->name, person->phones [i]);
    if (person->id_last4) {
        size_t n = strlen (person->id_last4);
        bool ok = n >= 1 && n <= 4;
        for (size_t i = 0; ok && i < n; i++)
            ok = isalnum ((unsigned char) person->id_last4 [i]);
        if (!ok)
            return kf_err_set (err, "%s: id_last4 is the document's last four letters or digits only: "
                               "no whole identity number is kept", person->name);
    }
    if (person->id_document > KF__ID_DOCUMENT__ID_DOCUMENT_OTHER || person->contact > KF__CONTACT_CHANNEL__CONTACT_CHANNEL_NONE)
        return kf_err_set (err, "%s: an unknown document or contact channel", person->name);
    if (person->email && (!strchr (person->email, '@') || kf_text_check ("email", person->email, 254, err)))
        return err && err->text [0] ? -1 : kf_err_set (err, "%s: '%s' is not an email address", person->name,
                                                       person->email);
    return 0;
}

//  A person's phones are no one else's in the same household: the index
//  would hold one entry for two people.
static int
s_phones_distinct (Kf__Person **people, size_t count, kf_err_t *err)
{
    for (size_t p = 0; p < count; p++)
        for (size_t i = 0; i < people [p]->n_phones; i++)
            for (size_t r = 0; r <= p; r++)
                for (size_t j = 0; j < (r == p ? i : people [r]->n_phones); j++)
                    if (strcmp (people [p]->phones [i], people [r]->phones [j]) == 0)
                        return kf_err_set (err, "phone %s is listed twice", people [p]->phones [i]);
    return 0;
}

int
registry_people_check (Kf__Person **people, size_t count, Kf__PersonRole only, kf_err_t *err)
{
    if (count > REGISTRY_PEOPLE_MAX)
        return kf_err_set (err, "at most %d people in a household", REGISTRY_PEOPLE_MAX);
    for (size_t p = 0; p < count; p++) {
        if (registry_person_check (people [p], err))
            return -1;
        if (only && people [p]->role != only)
            return kf_err_set (err, "%s: a tenancy's people are tenants", people [p]->name);
    }
    return s_phones_distinct (people, count, err);
}

#define S_VEHICLES_MAX 10

static int
s_vehicles_check (const Kf__SetHousehold *q, kf_err_t *err)
{
    if (q->n_vehicles > S_VEHICLES_MAX)
        return kf_err_set (err, "at most %d vehicles in a household", S_VEHICLES_MAX);
    for (size_t v = 0; v < q->n_vehicles; v++) {
        const Kf__Vehicle *x = q->vehicles [v];
        if (!x->plate || kf_text_check ("plate", x->plate, 12, err)
        ||  (x->space && *x->space && kf_text_check ("space", x->space, 20, err)))
            return x->plate ? -1 : kf_err_set (err, "a vehicle needs its plate");
        for (size_t w = 0; w < v; w++)
            if (strcmp (q->vehicles [w]->plate, x->plate) == 0)
                return kf_err_set (err, "vehicle %s is listed twice", x->plate);
    }
    return 0;
}

int
registry_set_household (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                        Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__SetHousehold *q = request->set_household;
    const kf_estate_t *e = registry_change_estate (self, request, q->estate, q->unit, reply, arena);
    if (!e)
        return -1;
    kf_err_t err = { "" };
    if (registry_people_check (q->people, q->n_people, 0, &err) || s_vehicles_check (q, &err))
        return KF_BAD ("%s", err.text);
    Kf__Unit *u = registry_unit_get (self, txn, e->id, q->unit, arena);
    if (!u)
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no unit %s in %s", q->unit, e->id) : -1;
    Kf__HouseholdFile *h = (Kf__HouseholdFile *) kf_arena_message (arena, &kf__household_file__descriptor);
    if (!h)
        return kf_txn_fail (txn, "out of memory");
    h->estate = (char *) e->id;
    h->unit = u->unit;
    h->people = q->people;
    h->n_people = q->n_people;
    h->vehicles = q->vehicles;
    h->n_vehicles = q->n_vehicles;
    Kf__HouseholdFile *had = registry_household_get (self, txn, e->id, u->unit, arena);
    if (!registry_household_same (h, had) || !had)
        registry_household_put (self, txn, now_ms, h, true, arena);
    //  The unit's owner of record follows its first owner.
    const Kf__Person *owner = NULL;
    for (size_t p = 0; p < h->n_people && !owner; p++)
        if (h->people [p]->role == KF__PERSON_ROLE__PERSON_ROLE_OWNER)
            owner = h->people [p];
    const char *name = owner ? owner->name : NULL, *phone = owner && owner->n_phones ? owner->phones [0] : NULL;
    if (strcmp (name ? name : "", u->owner_name ? u->owner_name : "")
    ||  strcmp (phone ? phone : "", u->owner_phone ? u->owner_phone : "")) {
        u->owner_name = (char *) name;
        u->owner_phone = (char *) phone;
        registry_unit_register (self, txn, now_ms, u);
    }
    if (!kf_txn_ok (txn))
        return -1;
    reply->result_case = KF__REPLY__RESULT_HOUSEHOLD;
    reply->household = registry_household_get (self, txn, e->id, u->unit, arena);
    return reply->household ? 0 : -1;
}
