/*  registry_vacant — the ledger of vacant units (空置房动态登记表/台账) and
    their periodic inspections ("对空置房要定期检查"). A unit enters the
    ledger when it becomes vacant and leaves it when it is handed over or
    lived in again; each is due for an inspection on the estate's cycle
    (registry/vacant_inspection: monthly, weekly or every N days), by the
    end of its due day. An inspection records its findings (each files a
    ticket through intake) and sets the next due day; a due day that passes
    marks the unit overdue and announces it (unit.inspection_overdue), by
    the shared timers, once.

    Each due day is also a deadline (deadline.set, subject "vacant/<unit>")
    that kefu-escalation holds like any other target: warned, breached and
    raised level by level until the inspection is recorded (deadline.met,
    then the next cycle's set) or the unit leaves the ledger
    (deadline.dropped). See registry_private.h.
*/
#include "registry_private.h"
#include "kf_timers.h"
#include <ctype.h>

#define S_FINDINGS_MAX 50
#define S_FIRE_MAX     1000      //  overdue inspections one tick step marks

int
registry_cycle_parse (const char *text, registry_cycle_t *cycle, kf_err_t *err)
{
    cycle->monthly = text && strcmp (text, "monthly") == 0;
    cycle->days = text && strcmp (text, "weekly") == 0 ? 7 : 0;
    if (cycle->monthly || cycle->days)
        return 0;
    char *end = NULL;
    long days = text && isdigit ((unsigned char) *text) ? strtol (text, &end, 10) : 0;
    if (!end || strcmp (end, "d") != 0 || days < 1 || days > 366)
        return kf_err_set (err, "'%s' is not monthly, weekly or a number of days (14d)", text ? text : "");
    cycle->days = (int) days;
    return 0;
}

//  The day after `from` that the cycle comes to: the same day of the next
//  month (its last day when it has fewer), or `days` later.
static uint32_t
s_next_due (const registry_cycle_t *cycle, uint32_t from)
{
    int64_t day;
    if (kf_yyyymmdd_to_day (from, &day))
        return from;
    if (!cycle->monthly)
        return kf_day_to_yyyymmdd (day + cycle->days);
    int year = (int) (from / 10000), month = (int) (from / 100 % 100) + 1, dom = (int) (from % 100);
    if (month == 13) {
        month = 1;
        year++;
    }
    int64_t first = kf_days_from_civil (year, month, 1);
    int64_t next = month == 12 ? kf_days_from_civil (year + 1, 1, 1) : kf_days_from_civil (year, month + 1, 1);
    int last = (int) (next - first);
    return (uint32_t) (year * 10000 + month * 100 + (dom < last ? dom : last));
}

//  The end of a due day: the timer's deadline, UTC ms.
static int64_t
s_due_end (registry_t *self, const char *estate, uint32_t due)
{
    const kf_estate_t *e = kf_config_estate_find (self->base.config, estate);
    int64_t day = 0;
    kf_yyyymmdd_to_day (due, &day);
    return kf_local_day_start (day + 1, e ? e->utc_offset_min : 0);
}

static void
s_timer_id (char *id, size_t size, const char *estate, const char *unit)
{
    snprintf (id, size, "%s/%s", estate, unit);
}

//  The inspection due by `due` as a deadline of escalation's: `kind` is
//  deadline.set (with its period from `since_ms`), .met or .dropped.
static void
s_deadline (registry_t *self, kf_txn_t *txn, int64_t now_ms, const char *estate, const Kf__VacantFile *file,
            Kf__Envelope__BodyCase kind, int64_t since_ms)
{
    char subject [KF_TIMER_ID_MAX], what [160];
    snprintf (subject, sizeof subject, "vacant/%s", file->unit);
    snprintf (what, sizeof what, "空置房检查 vacant-unit inspection of %s, due by %u", file->unit, file->next_due);
    Kf__Deadline d = KF__DEADLINE__INIT;
    d.subject = subject;
    KF_SET (&d, kind, KF__DEADLINE_KIND__DEADLINE_KIND_VACANT_INSPECTION);
    d.unit = file->unit;
    d.what = what;
    KF_SET (&d, department, KF__DEPARTMENT__DEPARTMENT_CUSTOMER_SERVICE);
    if (kind == KF__ENVELOPE__BODY_DEADLINE_SET) {
        KF_SET (&d, due_ms, s_due_end (self, estate, file->next_due));
        KF_SET (&d, since_ms, since_ms);
    }
    kf_emit_deadline (self->base.outbox, txn, now_ms, estate, kind, &d);
}

static const registry_cycle_t *
s_cycle (registry_t *self, const char *estate)
{
    int index = kf_config_estate_index (self->base.config, estate);
    return &self->cycles [index < 0 ? 0 : index];
}

static Kf__VacantFile *
s_file_get (registry_t *self, kf_txn_t *txn, const char *estate, const char *unit, kf_arena_t *arena)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", estate, unit);
    return (Kf__VacantFile *) kf_txn_find_msg_in (txn, self->vacant, &key, &kf__vacant_file__descriptor, arena);
}

static void
s_file_put (registry_t *self, kf_txn_t *txn, const char *estate, const Kf__VacantFile *file)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", estate, file->unit);
    kf_txn_put_msg (txn, self->vacant, &key, &file->base);
}

void
registry_vacant_follow (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Unit *unit, bool announce,
                        kf_arena_t *arena)
{
    bool vacant = unit->occupancy == KF__OCCUPANCY__OCCUPANCY_VACANT;
    Kf__VacantFile *file = s_file_get (self, txn, unit->estate, unit->unit, arena);
    char id [KF_TIMER_ID_MAX];
    s_timer_id (id, sizeof id, unit->estate, unit->unit);
    if (file && !vacant) {
        kf_timers_disarm (txn, self->due, s_due_end (self, unit->estate, file->next_due), id);
        kf_key_t key;
        kf_key_make (&key, "s|s", unit->estate, unit->unit);
        kf_txn_del (txn, self->vacant, &key);
        if (announce)
            s_deadline (self, txn, now_ms, unit->estate, file, KF__ENVELOPE__BODY_DEADLINE_DROPPED, 0);
    }
    else
    if (!file && vacant && kf_txn_ok (txn)) {
        Kf__VacantFile fresh = KF__VACANT_FILE__INIT;
        fresh.unit = unit->unit;
        uint32_t today = registry_today (self, unit->estate, now_ms);
        KF_SET (&fresh, since_date, today);
        KF_SET (&fresh, next_due, s_next_due (s_cycle (self, unit->estate), today));
        s_file_put (self, txn, unit->estate, &fresh);
        kf_timers_arm (txn, self->due, s_due_end (self, unit->estate, fresh.next_due), id);
        if (announce)
            s_deadline (self, txn, now_ms, unit->estate, &fresh, KF__ENVELOPE__BODY_DEADLINE_SET, now_ms);
    }
}

int
registry_inspect (registry_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                  kf_arena_t *arena)
{
    Kf__VacantInspection *in = request->inspect_vacant->inspection;
    if (!in)
        return KF_BAD ("the inspection is required");
    const kf_estate_t *e = registry_change_estate (self, request, in->estate, in->unit, reply, arena);
    if (!e)
        return -1;
    kf_err_t err = { "" };
    uint32_t today = registry_today (self, e->id, now_ms), date = in->date ? in->date : today;
    int64_t day;
    if (kf_yyyymmdd_to_day (date, &day) || date > today)
        return KF_BAD ("date %u is not a day up to today (%u)", date, today);
    if (in->n_findings > S_FINDINGS_MAX)
        return KF_BAD ("at most %d findings", S_FINDINGS_MAX);
    if (registry_findings_check (in->findings, in->n_findings, &err))
        return KF_BAD ("%s", err.text);
    if (in->reporter_phone && !kf_phone_valid (in->reporter_phone))
        return KF_BAD ("'%s' is not a phone (5 to 20 digits with an optional leading +)", in->reporter_phone);
    Kf__Unit *u = registry_unit_get (self, txn, e->id, in->unit, arena);
    if (!u)
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no unit %s in %s", in->unit, e->id) : -1;
    Kf__VacantFile *file = s_file_get (self, txn, e->id, u->unit, arena);
    if (!file)
        return kf_txn_ok (txn) ? KF_CONFLICT ("%s is not vacant: the ledger does not hold it", u->unit) : -1;
    //  Findings are reported from the inspector's phone, else the owner's.
    const char *phone = in->reporter_phone ? in->reporter_phone : u->owner_phone;
    if (in->n_findings && !phone)
        return KF_BAD ("the findings are reported from a phone: give the inspector's (the unit has no owner's)");
    Kf__VacantInspection *record = (Kf__VacantInspection *) kf_arena_message (arena,
                                                                            &kf__vacant_inspection__descriptor);
    if (!record)
        return kf_txn_fail (txn, "out of memory");
    *record = *in;
    record->estate = (char *) e->id;
    record->unit = u->unit;
    KF_SET (record, date, date);
    KF_SET (record, at_ms, now_ms);
    record->by = request->actor;
    record->reporter_phone = (char *) phone;
    kf_key_t key;
    kf_key_make (&key, "s|s|u", e->id, u->unit, date);
    kf_txn_put_msg (txn, self->inspections, &key, &record->base);
    //  The next one is due a cycle after this one (a late inspection moves it on).
    char id [KF_TIMER_ID_MAX];
    s_timer_id (id, sizeof id, e->id, u->unit);
    kf_timers_disarm (txn, self->due, s_due_end (self, e->id, file->next_due), id);
    //  The cycle's deadline is met, the next one's is set; an inspection
    //  dated before the last one recorded changes neither.
    bool next = date >= file->last_inspected;
    if (next) {
        KF_SET (file, last_inspected, date);
        KF_SET (file, next_due, s_next_due (s_cycle (self, e->id), date));
    }
    KF_SET (file, inspections, file->inspections + 1);
    KF_SET (file, overdue, s_due_end (self, e->id, file->next_due) <= now_ms);
    s_file_put (self, txn, e->id, file);
    if (!file->overdue)
        kf_timers_arm (txn, self->due, s_due_end (self, e->id, file->next_due), id);
    Kf__UnitInspected inspected = KF__UNIT_INSPECTED__INIT;
    inspected.inspection = record;
    inspected.reporter_name = in->reporter_phone ? (request->actor ? request->actor : "inspector")
                            : u->owner_name;
    inspected.reporter_phone = (char *) phone;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_UNIT_INSPECTED;
    event.unit_inspected = &inspected;
    kf_emit (self->base.outbox, txn, now_ms, e->id, &event, NULL);
    if (next) {
        s_deadline (self, txn, now_ms, e->id, file, KF__ENVELOPE__BODY_DEADLINE_MET, 0);
        s_deadline (self, txn, now_ms, e->id, file, KF__ENVELOPE__BODY_DEADLINE_SET, now_ms);
    }
    if (!kf_txn_ok (txn))
        return -1;
    reply->result_case = KF__REPLY__RESULT_VACANT_INSPECTION;
    reply->vacant_inspection = record;
    return 0;
}

typedef struct {
    Kf__VacantLedger *ledger;
    size_t room;
    bool overdue_only;
    kf_arena_t *arena;
} s_ledger_t;

static int
s_ledger_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) key;
    s_ledger_t *l = arg;
    const Kf__VacantFile *file = (const Kf__VacantFile *) msg;
    KF_SET (l->ledger, overdue, l->ledger->overdue + file->overdue);
    if (l->overdue_only && !file->overdue)
        return 0;
    return kf_arena_push (l->arena, (void ***) &l->ledger->units, &l->ledger->n_units, &l->room, (void *) msg)
         ? kf_txn_fail (txn, "out of memory") : 0;
}

int
registry_vacant_list (registry_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
                      kf_arena_t *arena)
{
    const Kf__ListVacant *q = request->list_vacant;
    const kf_estate_t *e = registry_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    s_ledger_t l = { .ledger = (Kf__VacantLedger *) kf_arena_message (arena, &kf__vacant_ledger__descriptor),
                     .overdue_only = q->overdue_only, .arena = arena };
    if (!l.ledger)
        return kf_txn_fail (txn, "out of memory");
    KF_SET (l.ledger, overdue, 0);
    kf_key_t prefix;
    kf_key_make (&prefix, "s|", e->id);
    if (kf_txn_scan_msg_in (txn, self->vacant, &prefix, &kf__vacant_file__descriptor, arena, s_ledger_row, &l) < 0)
        return -1;
    reply->result_case = KF__REPLY__RESULT_VACANT_LEDGER;
    reply->vacant_ledger = l.ledger;
    return 0;
}

//  A due day passed: the unit is overdue, said once. A timer whose unit
//  left the ledger, or was inspected since, is stale.
static int
s_overdue (kf_txn_t *txn, int64_t at_ms, const char *id, void *arg)
{
    registry_t *self = arg;
    const char *slash = strchr (id, '/');
    if (!slash || slash == id || (size_t) (slash - id) > KF_ID_MAX)
        return 0;
    char estate [KF_ID_MAX + 1];
    snprintf (estate, sizeof estate, "%.*s", (int) (slash - id), id);
    kf_arena_t *arena = self->base.scratch;
    Kf__VacantFile *file = s_file_get (self, txn, estate, slash + 1, arena);
    if (!file || file->overdue || s_due_end (self, estate, file->next_due) != at_ms)
        return kf_txn_ok (txn) ? 0 : -1;
    KF_SET (file, overdue, true);
    s_file_put (self, txn, estate, file);
    Kf__UnitInspectionOverdue overdue = KF__UNIT_INSPECTION_OVERDUE__INIT;
    overdue.unit = file->unit;
    KF_SET (&overdue, due, file->next_due);
    KF_SET (&overdue, last_inspected, file->last_inspected);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_UNIT_INSPECTION_OVERDUE;
    event.unit_inspection_overdue = &overdue;
    kf_emit (self->base.outbox, txn, at_ms, estate, &event, NULL);
    kf_warning ("%s: the inspection of vacant unit %s was due by %u", estate, file->unit, file->next_due);
    return kf_txn_ok (txn) ? 1 : -1;
}

int
registry_vacant_tick (registry_t *self, kf_txn_t *txn, int64_t now_ms)
{
    kf_arena_reset (self->base.scratch);
    return kf_timers_fire (txn, self->due, now_ms, S_FIRE_MAX, s_overdue, self);
}
