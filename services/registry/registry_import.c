/*  registry_import — units and their owners from a CSV import, all lines
    or none (kf_units_csv checks the file whole). See registry_private.h.
*/
#include "registry_private.h"
#include "kf_units_csv.h"

static bool
s_same_text (const char *a, const char *b)
{
    return strcmp (a ? a : "", b ? b : "") == 0;
}

//  Whether an import changes what is known of a unit.
static bool
s_unit_changed (const Kf__Unit *was, const Kf__Unit *now)
{
    return was->area_centi_m2 != now->area_centi_m2 || !s_same_text (was->owner_name, now->owner_name)
        || !s_same_text (was->owner_phone, now->owner_phone) || was->occupied != now->occupied
        || was->occupancy != now->occupancy || was->move_in_date != now->move_in_date
        || !s_same_text (was->building_type, now->building_type) || was->parking_spaces != now->parking_spaces;
}

//  The household a unit's line implies: its owner of record first (the
//  file's name and phone), then whoever else the register already had
//  (members and tenants are the desk's to keep, not the file's). NULL when
//  the line names no owner: the household is left as it is.
static Kf__HouseholdFile *
s_household_of (const Kf__Unit *u, const Kf__HouseholdFile *was, kf_arena_t *arena)
{
    if (!u->owner_name && !u->owner_phone)
        return NULL;
    Kf__HouseholdFile *h = (Kf__HouseholdFile *) kf_arena_message (arena, &kf__household_file__descriptor);
    Kf__Person *owner = (Kf__Person *) kf_arena_message (arena, &kf__person__descriptor);
    size_t others = was ? was->n_people : 0;
    if (!h || !owner || !(h->people = kf_arena_alloc (arena, (others + 1) * sizeof *h->people)))
        return NULL;
    h->estate = u->estate;
    h->unit = u->unit;
    if (was) {
        h->vehicles = was->vehicles;
        h->n_vehicles = was->n_vehicles;
    }
    //  The owner the register had keeps what the file does not say.
    for (size_t p = 0; p < others; p++)
        if (was->people [p]->role == KF__PERSON_ROLE__PERSON_ROLE_OWNER) {
            *owner = *was->people [p];
            break;
        }
    owner->name = u->owner_name;
    KF_SET (owner, role, KF__PERSON_ROLE__PERSON_ROLE_OWNER);
    if (u->owner_phone) {
        owner->phones = kf_arena_alloc (arena, sizeof *owner->phones);
        if (!owner->phones)
            return NULL;
        owner->phones [0] = u->owner_phone;
        owner->n_phones = 1;
    }
    else
        owner->n_phones = 0;
    h->people [h->n_people++] = owner;
    bool first_owner = true;
    for (size_t p = 0; p < others; p++) {
        bool owner_of_record = was->people [p]->role == KF__PERSON_ROLE__PERSON_ROLE_OWNER && first_owner;
        if (owner_of_record)
            first_owner = false;
        else
            h->people [h->n_people++] = was->people [p];
    }
    return h;
}

int
registry_import (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                 kf_arena_t *arena)
{
    const Kf__ImportUnits *q = request->import_units;
    if (!kf_role_manages (request->role))
        return KF_FORBIDDEN ("only a supervisor, a manager or operations imports units");
    const kf_estate_t *e = registry_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    if (!q->has_csv || q->csv.len == 0)
        return KF_BAD ("the CSV is empty");
    kf_units_csv_t file;
    if (kf_units_csv_parse (q->csv.data, q->csv.len, e->id, arena, &file) && !file.report)
        return kf_txn_fail (txn, "out of memory");
    if (file.rejected) {
        //  The report goes back with the refusal: it says what to fix.
        KF_BAD ("%u line%s rejected; nothing imported", file.rejected, file.rejected == 1 ? "" : "s");
        reply->result_case = KF__REPLY__RESULT_IMPORT_REPORT;
        reply->import_report = file.report;
        return -1;
    }
    kf_key_t counter;
    kf_key_make (&counter, "s|s", "units", e->id);
    for (size_t i = 0; i < file.count && kf_txn_ok (txn); i++) {
        Kf__Unit *u = file.units [i];
        Kf__Unit *was = registry_unit_get (self, txn, e->id, u->unit, arena);
        Kf__HouseholdFile *had = registry_household_get (self, txn, e->id, u->unit, arena);
        Kf__HouseholdFile *h = s_household_of (u, had, arena);
        if (h && !registry_household_same (h, had))
            registry_household_put (self, txn, now_ms, h, true, arena);
        if (was && !s_unit_changed (was, u))
            continue;
        if (!was)
            kf_txn_next (txn, self->counters, &counter);
        registry_unit_register (self, txn, now_ms, u);
    }
    registry_report_head (self, txn, e->id, file.report, arena);
    reply->result_case = KF__REPLY__RESULT_IMPORT_REPORT;
    reply->import_report = file.report;
    kf_info ("%s: %zu units imported by %s", e->id, file.count, request->actor ? request->actor : "unknown");
    return kf_txn_ok (txn) ? 0 : -1;
}
