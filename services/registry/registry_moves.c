/*  registry_moves — a unit's life: the handover to its owner (入伙: the
    inspection's defects, keys, opening meter readings, documents), a
    tenancy begun (租赁), and the household moving out (迁出), refused
    while the unit owes fees unless a supervisor overrides with a reason.
    See registry_private.h.
*/
#include "registry_private.h"
#include "kf_units_csv.h"

#define S_DEFECTS_MAX   50
#define S_TAGS_MAX      50
#define S_READINGS_MAX  10
#define S_DOCUMENTS_MAX 20
#define S_KEYS_MAX      100
#define S_TEXT_MAX      500

//  A date a request gives: a real yyyymmdd, at most a month after today
//  (a mistyped year moves nobody); 0 is today.
static int
s_date (registry_t *self, const char *estate, int64_t now_ms, uint32_t given, uint32_t *date, kf_err_t *err)
{
    uint32_t today = registry_today (self, estate, now_ms);
    int64_t day, now_day;
    *date = given ? given : today;
    if (kf_yyyymmdd_to_day (*date, &day) || kf_yyyymmdd_to_day (today, &now_day))
        return kf_err_set (err, "date %u is not a date (yyyymmdd)", given);
    if (day > now_day + 31)
        return kf_err_set (err, "date %u is more than a month after today (%u)", *date, today);
    return 0;
}

int
registry_findings_check (Kf__HandoverDefect **findings, size_t count, kf_err_t *err)
{
    for (size_t i = 0; i < count; i++) {
        const Kf__HandoverDefect *d = findings [i];
        if (kf_text_check ("description", d->description, S_TEXT_MAX, err)
        ||  (d->place && kf_text_check ("place", d->place, 100, err)))
            return -1;
        if (d->has_category && !kf_enum_known (&kf__category__descriptor, true, d->category))
            return kf_err_set (err, "finding %zu: %d is not a category", i + 1, d->category);
    }
    return 0;
}

static int
s_handover_check (const Kf__Handover *h, kf_err_t *err)
{
    if (h->n_defects > S_DEFECTS_MAX || h->n_key_tags > S_TAGS_MAX || h->n_readings > S_READINGS_MAX
    ||  h->n_documents > S_DOCUMENTS_MAX || h->keys_handed > S_KEYS_MAX)
        return kf_err_set (err, "a handover has at most %d defects, %d keys and tags, %d readings, %d documents",
                           S_DEFECTS_MAX, S_KEYS_MAX, S_READINGS_MAX, S_DOCUMENTS_MAX);
    if (registry_findings_check (h->defects, h->n_defects, err))
        return -1;
    for (size_t i = 0; i < h->n_key_tags; i++)
        if (kf_text_check ("key tag", h->key_tags [i], 60, err))
            return -1;
    for (size_t i = 0; i < h->n_documents; i++)
        if (kf_text_check ("document", h->documents [i], 100, err))
            return -1;
    for (size_t i = 0; i < h->n_readings; i++) {
        const Kf__MeterReading *r = h->readings [i];
        if (!r->has_meter || r->meter < KF__METER__METER_WATER || r->meter > KF__METER__METER_GAS)
            return kf_err_set (err, "reading %zu: the meter is water, electricity or gas", i + 1);
        if (r->reading_milli < 0)
            return kf_err_set (err, "reading %zu: a meter reading is not negative", i + 1);
        if (r->meter_no && kf_text_check ("meter_no", r->meter_no, 40, err))
            return -1;
    }
    return 0;
}

//  The household's first owner with a phone: who reports the defects.
static const Kf__Person *
s_reporter (const Kf__HouseholdFile *h)
{
    for (size_t p = 0; h && p < h->n_people; p++)
        if (h->people [p]->role == KF__PERSON_ROLE__PERSON_ROLE_OWNER && h->people [p]->n_phones)
            return h->people [p];
    return NULL;
}

static void
s_emit (registry_t *self, kf_txn_t *txn, int64_t now_ms, const char *estate, Kf__Envelope *event)
{
    kf_emit (self->base.outbox, txn, now_ms, estate, event, NULL);
}

int
registry_move_in (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                  kf_arena_t *arena)
{
    Kf__Handover *h = request->move_in->handover;
    if (!h)
        return KF_BAD ("the handover record is required");
    const kf_estate_t *e = registry_change_estate (self, request, h->estate, h->unit, reply, arena);
    if (!e)
        return -1;
    kf_err_t err = { "" };
    uint32_t date;
    if (s_date (self, e->id, now_ms, h->date, &date, &err) || s_handover_check (h, &err)
    ||  registry_people_check (h->people, h->n_people, 0, &err))
        return KF_BAD ("%s", err.text);
    Kf__Unit *u = registry_unit_get (self, txn, e->id, h->unit, arena);
    if (!u)
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no unit %s in %s", h->unit, e->id) : -1;
    if (u->occupancy != KF__OCCUPANCY__OCCUPANCY_VACANT && u->occupancy != KF__OCCUPANCY__OCCUPANCY_UNSPECIFIED)
        return KF_CONFLICT ("%s is %s, not vacant: it was handed over already", u->unit,
                            protobuf_c_enum_descriptor_get_value (&kf__occupancy__descriptor, u->occupancy)->name);
    //  The household taking it: the one given, else the register's.
    Kf__HouseholdFile *household = registry_household_get (self, txn, e->id, u->unit, arena);
    if (h->n_people) {
        Kf__HouseholdFile *given = (Kf__HouseholdFile *) kf_arena_message (arena, &kf__household_file__descriptor);
        if (!given)
            return kf_txn_fail (txn, "out of memory");
        given->estate = (char *) e->id;
        given->unit = u->unit;
        given->people = h->people;
        given->n_people = h->n_people;
        household = given;
    }
    const Kf__Person *reporter = s_reporter (household);
    if (h->n_defects && !reporter)
        return KF_BAD ("the defects are reported from the owner's phone: give the owner (with a phone) first");
    //  The record, as kept and announced.
    Kf__Handover *record = (Kf__Handover *) kf_arena_message (arena, &kf__handover__descriptor);
    if (!record)
        return kf_txn_fail (txn, "out of memory");
    *record = *h;
    record->estate = (char *) e->id;
    record->unit = u->unit;
    KF_SET (record, date, date);
    KF_SET (record, at_ms, now_ms);
    record->handled_by = request->actor;
    kf_key_t key;
    kf_key_make (&key, "s|s|u", e->id, u->unit, date);
    kf_txn_put_msg (txn, self->handovers, &key, &record->base);
    if (h->n_people && !registry_household_same (household, registry_household_get (self, txn, e->id, u->unit,
                                                                                      arena)))
        registry_household_put (self, txn, now_ms, household, true, arena);
    //  Billing bills it from the handover; it is nobody's home yet.
    KF_SET (u, occupancy, KF__OCCUPANCY__OCCUPANCY_HANDED_OVER);
    KF_SET (u, occupied, false);
    KF_SET (u, move_in_date, date);
    const Kf__Person *owner = s_reporter (household);
    if (owner) {
        u->owner_name = owner->name;
        u->owner_phone = owner->phones [0];
    }
    registry_unit_register (self, txn, now_ms, u);
    Kf__UnitHandedOver handed = KF__UNIT_HANDED_OVER__INIT;
    handed.handover = record;
    if (reporter) {
        handed.reporter_name = reporter->name;
        handed.reporter_phone = reporter->phones [0];
    }
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_UNIT_HANDED_OVER;
    event.unit_handed_over = &handed;
    s_emit (self, txn, now_ms, e->id, &event);
    if (!kf_txn_ok (txn))
        return -1;
    reply->result_case = KF__REPLY__RESULT_HANDOVER;
    reply->handover = record;
    return 0;
}

int
registry_let (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
              kf_arena_t *arena)
{
    Kf__Tenancy *t = request->let_unit->tenancy;
    if (!t)
        return KF_BAD ("the tenancy is required");
    const kf_estate_t *e = registry_change_estate (self, request, t->estate, t->unit, reply, arena);
    if (!e)
        return -1;
    kf_err_t err = { "" };
    uint32_t from;
    if (t->n_tenants == 0)
        return KF_BAD ("a tenancy names its tenants");
    if (s_date (self, e->id, now_ms, t->from_date, &from, &err)
    ||  registry_people_check (t->tenants, t->n_tenants, KF__PERSON_ROLE__PERSON_ROLE_TENANT, &err))
        return KF_BAD ("%s", err.text);
    int64_t d;
    if (t->to_date && (kf_yyyymmdd_to_day (t->to_date, &d) || t->to_date <= from))
        return KF_BAD ("the tenancy's end %u is not a date after its start %u", t->to_date, from);
    Kf__Unit *u = registry_unit_get (self, txn, e->id, t->unit, arena);
    if (!u)
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no unit %s in %s", t->unit, e->id) : -1;
    if (u->occupancy == KF__OCCUPANCY__OCCUPANCY_LET)
        return KF_CONFLICT ("%s is let already: its tenants move out first", u->unit);
    if (u->occupancy == KF__OCCUPANCY__OCCUPANCY_VACANT || u->occupancy == KF__OCCUPANCY__OCCUPANCY_UNSPECIFIED)
        if (!u->move_in_date)
            return KF_CONFLICT ("%s has not been handed over to an owner: nobody can let it", u->unit);
    //  The tenants join the household, after its owners and members.
    Kf__HouseholdFile *was = registry_household_get (self, txn, e->id, u->unit, arena);
    Kf__HouseholdFile *h = (Kf__HouseholdFile *) kf_arena_message (arena, &kf__household_file__descriptor);
    size_t had = was ? was->n_people : 0;
    if (!h || !(h->people = kf_arena_alloc (arena, (had + t->n_tenants) * sizeof *h->people)))
        return kf_txn_fail (txn, "out of memory");
    h->estate = (char *) e->id;
    h->unit = u->unit;
    if (was) {
        h->vehicles = was->vehicles;
        h->n_vehicles = was->n_vehicles;
    }
    for (size_t p = 0; p < had; p++)
        if (was->people [p]->role != KF__PERSON_ROLE__PERSON_ROLE_TENANT)
            h->people [h->n_people++] = was->people [p];
    if (h->n_people + t->n_tenants > REGISTRY_PEOPLE_MAX)
        return KF_BAD ("at most %d people in a household", REGISTRY_PEOPLE_MAX);
    for (size_t p = 0; p < t->n_tenants; p++)
        h->people [h->n_people++] = t->tenants [p];
    registry_household_put (self, txn, now_ms, h, true, arena);
    Kf__Tenancy *record = (Kf__Tenancy *) kf_arena_message (arena, &kf__tenancy__descriptor);
    if (!record)
        return kf_txn_fail (txn, "out of memory");
    *record = *t;
    record->estate = (char *) e->id;
    record->unit = u->unit;
    KF_SET (record, from_date, from);
    record->has_ended_date = 0;
    record->ended_date = 0;
    kf_key_t key;
    kf_key_make (&key, "s|s|u", e->id, u->unit, from);
    kf_txn_put_msg (txn, self->tenancies, &key, &record->base);
    KF_SET (u, occupancy, KF__OCCUPANCY__OCCUPANCY_LET);
    KF_SET (u, occupied, true);
    registry_unit_register (self, txn, now_ms, u);
    Kf__UnitLet let = KF__UNIT_LET__INIT;
    let.tenancy = record;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_UNIT_LET;
    event.unit_let = &let;
    s_emit (self, txn, now_ms, e->id, &event);
    if (!kf_txn_ok (txn))
        return -1;
    reply->result_case = KF__REPLY__RESULT_TENANCY;
    reply->tenancy = record;
    return 0;
}

//  The tenancy that runs now, ended; NULL when none does.
typedef struct {
    Kf__Tenancy *running;
    kf_key_t key;
    kf_arena_t *arena;
} s_running_t;

static int
s_tenancy_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) txn;
    s_running_t *r = arg;
    Kf__Tenancy *t = (Kf__Tenancy *) msg;
    if (!t->ended_date) {
        r->running = t;
        memcpy (r->key.data, key.data, key.size);
        r->key.size = key.size;
    }
    return 0;
}

static bool
s_may_override (Kf__Role role)
{
    return role == KF__ROLE__ROLE_SUPERVISOR || role == KF__ROLE__ROLE_MANAGER || role == KF__ROLE__ROLE_OPERATIONS;
}

int
registry_move_out (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                   kf_arena_t *arena)
{
    const Kf__MoveOut *q = request->move_out;
    const kf_estate_t *e = registry_change_estate (self, request, q->estate, q->unit, reply, arena);
    if (!e)
        return -1;
    kf_err_t err = { "" };
    uint32_t date;
    if (s_date (self, e->id, now_ms, q->date, &date, &err))
        return KF_BAD ("%s", err.text);
    bool override = q->override_reason && *q->override_reason;
    if (override && kf_text_check ("override_reason", q->override_reason, S_TEXT_MAX, &err))
        return KF_BAD ("%s", err.text);
    if (override && !s_may_override (request->role))
        return KF_FORBIDDEN ("only a supervisor or a manager lets a unit that owes fees go");
    Kf__Unit *u = registry_unit_get (self, txn, e->id, q->unit, arena);
    if (!u)
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no unit %s in %s", q->unit, e->id) : -1;
    if (!registry_lived_in (u))
        return KF_CONFLICT ("nobody lives in %s: there is no one to move out", u->unit);
    int64_t owed = registry_balance (self, txn, e->id, u->unit, arena);
    if (owed > 0 && !override) {
        char money [32];
        return KF_CONFLICT ("%s owes ¥%s: settle it first, or a supervisor overrides with a reason", u->unit,
                            kf_fen_format (owed, money, sizeof money));
    }
    //  A let unit's tenants leave and the tenancy ends; else the owner's
    //  household moves out and the owners stay the owners of record.
    Kf__HouseholdFile *h = registry_household_get (self, txn, e->id, u->unit, arena);
    bool let = u->occupancy == KF__OCCUPANCY__OCCUPANCY_LET;
    Kf__UnitVacated *vacated = (Kf__UnitVacated *) kf_arena_message (arena, &kf__unit_vacated__descriptor);
    size_t people = h ? h->n_people : 0;
    Kf__HouseholdFile *stays = (Kf__HouseholdFile *) kf_arena_message (arena, &kf__household_file__descriptor);
    if (!vacated || !stays || !(vacated->left = kf_arena_alloc (arena, (people + 1) * sizeof *vacated->left))
    ||  !(stays->people = kf_arena_alloc (arena, (people + 1) * sizeof *stays->people)))
        return kf_txn_fail (txn, "out of memory");
    stays->estate = (char *) e->id;
    stays->unit = u->unit;
    for (size_t p = 0; p < people; p++) {
        Kf__Person *person = h->people [p];
        bool leaves = let ? person->role == KF__PERSON_ROLE__PERSON_ROLE_TENANT
                          : person->role != KF__PERSON_ROLE__PERSON_ROLE_OWNER;
        if (leaves || (!let && person->role == KF__PERSON_ROLE__PERSON_ROLE_OWNER))
            vacated->left [vacated->n_left++] = person;
        if (!leaves)
            stays->people [stays->n_people++] = person;
    }
    //  Its vehicles leave with it (whose they were, the register does not say).
    if (h && (stays->n_people != h->n_people || h->n_vehicles))
        registry_household_put (self, txn, now_ms, stays, true, arena);
    if (let) {
        s_running_t r = { .arena = arena };
        kf_key_t prefix;
        kf_key_make (&prefix, "s|s|", e->id, u->unit);
        if (kf_txn_scan_msg_in (txn, self->tenancies, &prefix, &kf__tenancy__descriptor, arena, s_tenancy_row, &r) < 0)
            return -1;
        if (r.running) {
            KF_SET (r.running, ended_date, date);
            kf_txn_put_msg (txn, self->tenancies, &r.key, &r.running->base);
            KF_SET (vacated, tenancy_ended, true);
        }
    }
    KF_SET (u, occupancy, KF__OCCUPANCY__OCCUPANCY_VACANT);
    KF_SET (u, occupied, false);
    registry_unit_register (self, txn, now_ms, u);
    vacated->unit = u->unit;
    KF_SET (vacated, date, date);
    KF_SET (vacated, owed_fen, owed);
    vacated->override_reason = override && owed > 0 ? q->override_reason : NULL;
    vacated->by = request->actor;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_UNIT_VACATED;
    event.unit_vacated = vacated;
    s_emit (self, txn, now_ms, e->id, &event);
    if (!kf_txn_ok (txn))
        return -1;
    reply->result_case = KF__REPLY__RESULT_VACATED;
    reply->vacated = vacated;
    return 0;
}
