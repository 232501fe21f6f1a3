/*  registry_lists — what the register hands on: the monthly title and
    tenancy lists (产权清册, 租赁清册, "每月出一份"), made on each estate's
    1st for the month before by the periodic job (kf_period: a month the
    daemon was down for is made when it is back, once), and an estate's
    whole register exported for the owner of the data. See
    registry_private.h.
*/
#include "registry_private.h"
#include "kf_period.h"
#include <czmq.h>

#define S_CATCH_UP 3       //  months one estate makes in one tick step

//  Months as a count: yyyy × 12 + (mm - 1).
static int64_t
s_month_index (uint32_t yyyymm)
{
    return (int64_t) (yyyymm / 100) * 12 + (int64_t) (yyyymm % 100) - 1;
}

static uint32_t
s_yyyymm (int64_t index)
{
    return (uint32_t) (index / 12) * 100 + (uint32_t) (index % 12) + 1;
}

//  A month's list is made at 00:00 local of the 1st after it.
static int64_t
s_list_due (int64_t month, const void *arg)
{
    const kf_estate_t *e = arg;
    int64_t next = month + 1;
    return kf_local_day_start (kf_days_from_civil ((int) (next / 12), (int) (next % 12) + 1, 1), e->utc_offset_min);
}

typedef struct {
    registry_t *self;
    const char *estate;
    uint32_t first, last;          //  the month's days, yyyymmdd
    Kf__RegisterList *list;
    size_t size;
    zhashx_t *changed_in;          //  unit -> the last change in the month (TitleChange)
    zhashx_t *owners_after;        //  unit -> the first change after it (its from_owners were the month's)
    kf_arena_t *arena;
} s_make_t;

static Kf__RegisterRow *
s_row (s_make_t *m)
{
    Kf__RegisterRow *row = (Kf__RegisterRow *) kf_arena_message (m->arena, &kf__register_row__descriptor);
    if (row && kf_arena_push (m->arena, (void ***) &m->list->rows, &m->list->n_rows, &m->size, row))
        return NULL;
    return row;
}

static int
s_title_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) txn; (void) key;
    s_make_t *m = arg;
    Kf__TitleChange *c = (Kf__TitleChange *) msg;
    if (c->date >= m->first && c->date <= m->last)
        zhashx_update (m->changed_in, c->unit, c);
    else
    if (c->date > m->last && !zhashx_lookup (m->owners_after, c->unit))
        zhashx_insert (m->owners_after, c->unit, c);
    return 0;
}

static int
s_unit_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) key;
    s_make_t *m = arg;
    Kf__Unit *u = (Kf__Unit *) msg;
    Kf__RegisterRow *row = s_row (m);
    if (!row)
        return kf_txn_fail (txn, "out of memory");
    row->unit = u->unit;
    KF_SET (row, area_centi_m2, u->area_centi_m2);
    KF_SET (row, occupancy, u->occupancy);
    KF_SET (row, move_in_date, u->move_in_date);
    const Kf__TitleChange *after = zhashx_lookup (m->owners_after, u->unit);
    const Kf__TitleChange *in = zhashx_lookup (m->changed_in, u->unit);
    if (after) {
        //  Its owners changed since the month ended: the month's were those before.
        row->owners = after->from_owners;
        row->n_owners = after->n_from_owners;
    }
    else {
        Kf__HouseholdFile *h = registry_household_get (m->self, txn, m->estate, u->unit, m->arena);
        row->owners = kf_arena_alloc (m->arena, REGISTRY_PEOPLE_MAX * sizeof *row->owners);
        if (!row->owners)
            return kf_txn_fail (txn, "out of memory");
        row->n_owners = registry_owner_names (h, row->owners, REGISTRY_PEOPLE_MAX);
    }
    if (in)
        KF_SET (row, title_changed, in->date);
    return 0;
}

static int
s_tenancy_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) key;
    s_make_t *m = arg;
    Kf__Tenancy *t = (Kf__Tenancy *) msg;
    if (t->from_date > m->last || (t->ended_date && t->ended_date < m->first))
        return 0;   //  not running in the month
    Kf__RegisterRow *row = s_row (m);
    if (!row || !(row->tenants = kf_arena_alloc (m->arena, (t->n_tenants + 1) * sizeof *row->tenants)))
        return kf_txn_fail (txn, "out of memory");
    row->unit = t->unit;
    for (size_t i = 0; i < t->n_tenants; i++)
        row->tenants [row->n_tenants++] = t->tenants [i]->name;
    KF_SET (row, from_date, t->from_date);
    KF_SET (row, to_date, t->to_date);
    KF_SET (row, ended_date, t->ended_date);
    Kf__Unit *u = registry_unit_get (m->self, txn, m->estate, t->unit, m->arena);
    if (u) {
        KF_SET (row, area_centi_m2, u->area_centi_m2);
        KF_SET (row, occupancy, u->occupancy);
    }
    return 0;
}

//  Both lists of an estate's month, stored.
static int
s_make (registry_t *self, kf_txn_t *txn, const char *estate, int64_t month, int64_t now_ms)
{
    kf_arena_t *arena = self->base.scratch;
    kf_arena_reset (arena);
    uint32_t yyyymm = s_yyyymm (month);
    int days = (int) (kf_days_from_civil ((int) ((month + 1) / 12), (int) ((month + 1) % 12) + 1, 1)
                      - kf_days_from_civil ((int) (month / 12), (int) (month % 12) + 1, 1));
    s_make_t m = { .self = self, .estate = estate, .first = yyyymm * 100 + 1, .last = yyyymm * 100 + (uint32_t) days,
                   .arena = arena, .changed_in = zhashx_new (), .owners_after = zhashx_new () };
    int rc = m.changed_in && m.owners_after ? 0 : kf_txn_fail (txn, "out of memory");
    Kf__RegisterListKind kinds [] = { KF__REGISTER_LIST_KIND__REGISTER_LIST_KIND_TITLES,
                                      KF__REGISTER_LIST_KIND__REGISTER_LIST_KIND_TENANCIES };
    for (size_t k = 0; k < 2 && rc == 0; k++) {
        m.list = (Kf__RegisterList *) kf_arena_message (arena, &kf__register_list__descriptor);
        m.size = 0;
        if (!m.list) {
            rc = kf_txn_fail (txn, "out of memory");
            break;
        }
        m.list->estate = (char *) estate;
        KF_SET (m.list, month, yyyymm);
        KF_SET (m.list, kind, kinds [k]);
        KF_SET (m.list, made_at_ms, now_ms);
        kf_key_t prefix;
        kf_key_make (&prefix, "s|", estate);
        if (k == 0) {
            rc = kf_txn_scan_msg_in (txn, self->titles, &prefix, &kf__title_change__descriptor, arena, s_title_row, &m);
            if (rc == 0)
                rc = kf_txn_scan_msg_in (txn, self->units, &prefix, &kf__unit__descriptor, arena, s_unit_row, &m);
        }
        else
            rc = kf_txn_scan_msg_in (txn, self->tenancies, &prefix, &kf__tenancy__descriptor, arena, s_tenancy_row,
                                     &m);
        kf_key_t key;
        kf_key_make (&key, "s|u|u", estate, yyyymm, (uint32_t) kinds [k]);
        if (rc == 0)
            rc = kf_txn_put_msg (txn, self->lists, &key, &m.list->base);
    }
    zhashx_destroy (&m.changed_in);
    zhashx_destroy (&m.owners_after);
    return rc;
}

int
registry_tick (registry_t *self, kf_txn_t *txn, int64_t now_ms)
{
    assert (self && txn);
    registry_tables (self, txn);
    int done = registry_vacant_tick (self, txn, now_ms);
    if (done < 0)
        return -1;
    for (size_t i = 0; i < self->base.estate_count; i++) {
        const kf_estate_t *e = kf_config_estate (self->base.config, i);
        char name [KF_ID_MAX + 16];
        snprintf (name, sizeof name, "lists/%s", e->id);
        kf_period_t job = { self->counters, name, s_list_due, e };
        //  A register begins with the month before the one it starts in.
        int64_t before = s_month_index (registry_today (self, e->id, now_ms) / 100) - 1;
        int64_t month;
        for (int n = 0; n < S_CATCH_UP && kf_period_next (txn, &job, before, now_ms, &month) == KF_FOUND; n++) {
            if (s_make (self, txn, e->id, month, now_ms) || kf_period_done (txn, &job, month))
                return -1;
            kf_info ("%s: the title and tenancy lists of %u made", e->id, s_yyyymm (month));
            done++;
        }
        if (!kf_txn_ok (txn))
            return -1;
    }
    return done;
}

int
registry_list (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
               kf_arena_t *arena)
{
    const Kf__GetRegisterList *q = request->register_list;
    const kf_estate_t *e = registry_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    if (q->kind != KF__REGISTER_LIST_KIND__REGISTER_LIST_KIND_TITLES
    &&  q->kind != KF__REGISTER_LIST_KIND__REGISTER_LIST_KIND_TENANCIES)
        return KF_BAD ("the list is titles or tenancies");
    if (q->month % 100 < 1 || q->month % 100 > 12 || q->month / 100 < 2000)
        return KF_BAD ("month %u is not a month (yyyymm)", q->month);
    kf_key_t key;
    kf_key_make (&key, "s|u|u", e->id, q->month, (uint32_t) q->kind);
    Kf__RegisterList *list = (Kf__RegisterList *) kf_txn_find_msg_in (txn, self->lists, &key,
                                                                      &kf__register_list__descriptor, arena);
    if (!list) {
        if (!kf_txn_ok (txn))
            return -1;
        int64_t month = s_month_index (q->month), now = s_month_index (registry_today (self, e->id, now_ms) / 100);
        if (month >= now) {
            int64_t next = month + 1;
            return KF_NOT_FOUND ("the lists of %04u-%02u are made on %04d-%02d-01", q->month / 100, q->month % 100,
                                 (int) (next / 12), (int) (next % 12) + 1);
        }
        return KF_NOT_FOUND ("no list of %04u-%02u: %s's register began after it", q->month / 100, q->month % 100,
                             e->id);
    }
    reply->result_case = KF__REPLY__RESULT_REGISTER_LIST;
    reply->register_list = list;
    return 0;
}

//  ---- the export ---------------------------------------------------------------------

typedef struct {
    void ***items;
    size_t *count, size;
    kf_arena_t *arena;
} s_collect_t;

static int
s_collect_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) key;
    s_collect_t *c = arg;
    return kf_arena_push (c->arena, c->items, c->count, &c->size, (void *) msg) ? kf_txn_fail (txn, "out of memory")
                                                                                : 0;
}

int
registry_export (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                 kf_arena_t *arena)
{
    const Kf__ExportRegister *q = request->export_register;
    if (request->role != KF__ROLE__ROLE_MANAGER && request->role != KF__ROLE__ROLE_OPERATIONS)
        return KF_FORBIDDEN ("only a manager or operations exports a register");
    const kf_estate_t *e = registry_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    Kf__RegisterExport *x = (Kf__RegisterExport *) kf_arena_message (arena, &kf__register_export__descriptor);
    if (!x)
        return kf_txn_fail (txn, "out of memory");
    x->estate = (char *) e->id;
    KF_SET (x, exported_at_ms, now_ms);
    struct {
        kf_table_t table;
        const ProtobufCMessageDescriptor *descriptor;
        void ***items;
        size_t *count;
    } parts [] = {
        { self->units, &kf__unit__descriptor, (void ***) &x->units, &x->n_units },
        { self->households, &kf__household_file__descriptor, (void ***) &x->households, &x->n_households },
        { self->tenancies, &kf__tenancy__descriptor, (void ***) &x->tenancies, &x->n_tenancies },
        { self->handovers, &kf__handover__descriptor, (void ***) &x->handovers, &x->n_handovers },
        { self->titles, &kf__title_change__descriptor, (void ***) &x->titles, &x->n_titles },
    };
    kf_key_t prefix;
    kf_key_make (&prefix, "s|", e->id);
    for (size_t i = 0; i < sizeof parts / sizeof parts [0]; i++) {
        s_collect_t c = { parts [i].items, parts [i].count, 0, arena };
        if (kf_txn_scan_msg_in (txn, parts [i].table, &prefix, parts [i].descriptor, arena, s_collect_row, &c) < 0)
            return -1;
    }
    kf_info ("%s: the register exported by %s (%zu units)", e->id, request->actor ? request->actor : "unknown",
             x->n_units);
    reply->result_case = KF__REPLY__RESULT_REGISTER_EXPORT;
    reply->register_export = x;
    return 0;
}
