/*  desk — set-up, the requests' dispatch, and what the consumed events tell
    the desk: each estate's units and their people (the registry's), and
    its staff (dispatch's). See desk.h; the other parts are named in
    desk_private.h.
*/
#include "desk_private.h"
#include "kf_money.h"

//  ---- set-up -------------------------------------------------------------------------

static int64_t
s_rule_ms (kf_config_t *config, const char *estate, const char *key)
{
    char path [128];
    return kf_config_duration_ms (config, kf_config_rule (config, estate, key, path, sizeof path));
}

desk_t *
desk_new (kf_config_t *config, kf_err_t *err)
{
    assert (config);
    desk_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->estates = kf_domain_init (&self->base, config, sizeof *self->estates, err);
    if (!self->estates) {
        desk_destroy (&self);
        return NULL;
    }
    for (size_t i = 0; i < self->base.estate_count; i++) {
        desk_estate_t *e = &self->estates [i];
        e->estate = kf_config_estate (config, i);
        e->due_ms [KF__LOAN_KIND__LOAN_KIND_KEY] = s_rule_ms (config, e->estate->id, "desk/key_due");
        e->due_ms [KF__LOAN_KIND__LOAN_KIND_ITEM] = s_rule_ms (config, e->estate->id, "desk/item_due");
        e->due_ms [KF__LOAN_KIND__LOAN_KIND_STORED] = s_rule_ms (config, e->estate->id, "desk/stored_due");
        e->escalate_after_ms = s_rule_ms (config, e->estate->id, "desk/escalate_after");
        e->patrol_window_ms = s_rule_ms (config, e->estate->id, "desk/patrol_window");
        char path [128];
        const char *key = kf_config_rule (config, e->estate->id, "desk/patrol_schedule", path, sizeof path);
        if (kf_schedule_parse (kf_config_str (config, key), &e->patrols, err)) {
            kf_err_prefix (err, "%s", key);
            desk_destroy (&self);
            return NULL;
        }
        struct { const char *rule; int64_t *fen; } money [] = {
            { "desk/renovation_deposit", &e->deposit_fen }, { "desk/renovation_fees", &e->fees_fen },
        };
        for (size_t m = 0; m < 2; m++) {
            key = kf_config_rule (config, e->estate->id, money [m].rule, path, sizeof path);
            if (kf_fen_parse (kf_config_str (config, key), money [m].fen, err) || *money [m].fen < 0) {
                kf_err_prefix (err, "%s", key);
                desk_destroy (&self);
                return NULL;
            }
        }
        //  The renovation policy's limit, as escalation reads it (the estate's, else the group's).
        kf_err_t ignored;
        key = kf_config_rule (config, e->estate->id, "sla/renovation/resolution", path, sizeof path);
        if (kf_sla_limit_parse (kf_config_str (config, key), &e->review_limit, &ignored))
            e->review_limit.kind = KF_SLA_NONE;
        key = kf_config_rule (config, e->estate->id, "sla/renovation/hours", path, sizeof path);
        e->review_working = strcmp (kf_config_str (config, key) ? kf_config_str (config, key) : "", "working") == 0;
        const char *cutoff = kf_config_str (config, "sla/same_day_cutoff");
        if (!cutoff || kf_hhmm_parse (&cutoff, &e->cutoff_minute))
            e->cutoff_minute = 16 * 60;
    }
    return self;
}

void
desk_destroy (desk_t **self_p)
{
    assert (self_p);
    desk_t *self = *self_p;
    if (self) {
        kf_domain_fini (&self->base);
        free (self);
        *self_p = NULL;
    }
}

void
desk_set_outbox (desk_t *self, kf_outbox_t *outbox)
{
    assert (self && outbox);
    self->base.outbox = outbox;
}

void
desk_tables (desk_t *self, kf_txn_t *txn)
{
    static const char *const names [] = { DESK_OWN_TABLES, NULL };
    kf_table_t *const tables [] = { &self->units, &self->households, &self->staff, &self->balances, &self->loans,
                                    &self->by_lent, &self->by_unit, &self->out, &self->counters, &self->due,
                                    &self->permits, &self->by_day, &self->expiry, &self->violations,
                                    &self->by_noticed, &self->unit_violations, &self->open_violations, &self->rectify,
                                    &self->shifts,
                                    &self->open_tickets, &self->breaches, &self->communications,
                                    &self->by_contact, &self->unit_contacts, &self->renovations,
                                    &self->by_submitted, &self->unit_renovations, &self->site };
    kf_domain_tables (&self->base, txn, names, tables);
}

const desk_estate_t *
desk_estate (const desk_t *self, const char *id)
{
    return kf_domain_estate (&self->base, id);
}

void *
desk_record_get (kf_txn_t *txn, kf_table_t table, const char *id, const ProtobufCMessageDescriptor *descriptor,
                 kf_arena_t *arena)
{
    kf_key_t key;
    if (!id || kf_key_make (&key, "s", id))
        return NULL;
    return kf_txn_find_msg_in (txn, table, &key, descriptor, arena);
}

void
desk_record_put (kf_txn_t *txn, kf_table_t table, const char *id, const ProtobufCMessage *record, kf_table_t by_estate,
                 kf_table_t by_unit, const char *estate, const char *unit, int64_t at_ms)
{
    kf_key_t key;
    kf_key_make (&key, "s", id);
    kf_txn_put_msg (txn, table, &key, record);
    kf_key_make (&key, "s|t|s", estate, at_ms, id);
    kf_txn_put (txn, by_estate, &key, "", 0);
    if (unit) {
        kf_key_make (&key, "s|s|t|s", estate, unit, at_ms, id);
        kf_txn_put (txn, by_unit, &key, "", 0);
    }
}

void
desk_emit (desk_t *self, kf_txn_t *txn, int64_t at_ms, const char *estate, Kf__Envelope__BodyCase kind,
           ProtobufCMessage *body, const char *actor)
{
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = kind;
    event.desk_lent = (Kf__DeskLent *) (void *) body;   //  the oneof's members share one pointer
    event.actor = (char *) actor;
    kf_emit (self->base.outbox, txn, at_ms, estate, &event, NULL);
}

const desk_estate_t *
desk_request_estate (desk_t *self, const Kf__Request *request, const char *named, bool changes, Kf__Reply *reply,
                     kf_arena_t *arena)
{
    if (changes && request->role == KF__ROLE__ROLE_TECHNICIAN) {
        KF_FORBIDDEN ("a technician does not keep the desk's registers");
        return NULL;
    }
    const kf_estate_t *estate = kf_request_estate (self->base.config, request, named, reply, arena);
    const desk_estate_t *e = estate ? desk_estate (self, estate->id) : NULL;
    if (estate && !e)
        KF_NOT_FOUND ("unknown estate '%s'", estate->id);
    return e;
}

typedef struct {
    const desk_register_t *reg;
    const void *query;
    void ***items;
    size_t *count, room;
    kf_arena_t *arena;
} s_list_t;

static int
s_list_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, bool show, void *arg)
{
    (void) value;
    s_list_t *l = arg;
    char id [DESK_ID_SIZE];
    if (desk_key_id (key, id, sizeof id))
        return kf_txn_fail (txn, "a register's index key does not decode");
    ProtobufCMessage *record = desk_record_get (txn, l->reg->records, id, l->reg->descriptor, l->arena);
    if (!record)
        return kf_txn_ok (txn) ? 0 : -1;
    if (!l->reg->keep (record, l->query))
        return 0;
    if (show && kf_arena_push (l->arena, l->items, l->count, &l->room, record))
        return kf_txn_fail (txn, "out of memory");
    return 1;
}

int
desk_list (kf_txn_t *txn, const desk_register_t *reg, const char *estate, const char *unit,
           const Kf__PageRequest *page, const void *query, void ***items, size_t *count, Kf__Reply *reply,
           kf_arena_t *arena, kf_page_t *result)
{
    s_list_t l = { .reg = reg, .query = query, .items = items, .count = count, .room = *count, .arena = arena };
    if (unit && !kf_unit_valid (unit))
        return KF_BAD ("'%s' is not a unit (building-unit-room, e.g. 3-2-1502)", unit);
    kf_key_t prefix, top;
    if (unit) {
        kf_key_make (&prefix, "s|s|", estate, unit);
        kf_key_make (&top, "s|s|t", estate, unit, INT64_MAX);
    }
    else {
        kf_key_make (&prefix, "s|", estate);
        kf_key_make (&top, "s|t", estate, INT64_MAX);
    }
    int rc = kf_page_walk (txn, unit ? reg->by_unit : reg->by_estate, &prefix, &top, page,
                           kf_page_size (page, DESK_PAGE_DEFAULT, DESK_PAGE_MAX), s_list_row, &l, arena, result);
    return kf_page_result (rc, reply, arena);
}

int
desk_key_id (kf_val_t key, char *id, size_t size)
{
    const char *bytes = key.data;
    size_t at = key.size;
    while (at > 0 && bytes [at - 1] != '|')
        at--;
    if (at == 0 || key.size - at >= size)
        return -1;
    memcpy (id, bytes + at, key.size - at);
    id [key.size - at] = 0;
    return 0;
}

bool
desk_text_ok (const char *text, size_t max)
{
    kf_err_t err;
    return text && kf_text_check ("text", text, max, &err) == 0;
}

bool
desk_unit_known (desk_t *self, kf_txn_t *txn, const char *estate, const char *unit, Kf__Reply *reply,
                 kf_arena_t *arena)
{
    kf_key_t key;
    kf_val_t value;
    if (!unit || !kf_unit_valid (unit)) {
        KF_BAD ("'%s' is not a unit (building-unit-room, e.g. 3-2-1502)", unit ? unit : "");
        return false;
    }
    kf_key_make (&key, "s|s", estate, unit);
    int rc = kf_txn_get (txn, self->units, &key, &value);
    if (rc == KF_NOTFOUND)
        KF_NOT_FOUND ("no unit %s in %s", unit, estate);
    return rc == KF_FOUND;
}

const Kf__Person *
desk_person_of (desk_t *self, kf_txn_t *txn, const char *estate, const char *unit, const char *person,
                Kf__Reply *reply, kf_arena_t *arena)
{
    if (!desk_unit_known (self, txn, estate, unit, reply, arena))
        return NULL;
    if (!person || !*person) {
        KF_BAD ("who? a person of %s, by name", unit);
        return NULL;
    }
    kf_key_t key;
    kf_key_make (&key, "s|s", estate, unit);
    const Kf__HouseholdFile *h = (const Kf__HouseholdFile *) kf_txn_find_msg_in (txn, self->households, &key,
                                                                               &kf__household_file__descriptor, arena);
    if (!kf_txn_ok (txn))
        return NULL;
    char names [256] = "";
    for (size_t i = 0, used = 0; h && i < h->n_people; i++) {
        if (h->people [i]->name && strcmp (h->people [i]->name, person) == 0)
            return h->people [i];
        if (h->people [i]->name && used < sizeof names)
            used += (size_t) snprintf (names + used, sizeof names - used, "%s%s", used ? ", " : "",
                                       h->people [i]->name);
    }
    KF_BAD ("%s is not a person of %s (the register has %s)", person, unit, *names ? names : "nobody there");
    return NULL;
}

char *
desk_number (desk_t *self, kf_txn_t *txn, const desk_estate_t *e, const char *what, char letter, int64_t now_ms,
             kf_arena_t *arena)
{
    uint32_t today = kf_day_to_yyyymmdd (kf_local_day (now_ms, e->estate->utc_offset_min));
    kf_key_t key;
    kf_key_make (&key, "s|s|u", what, e->estate->id, today);
    uint64_t n = kf_txn_next (txn, self->counters, &key);
    char id [DESK_ID_SIZE];
    snprintf (id, sizeof id, "%s-%c%08u-%04" PRIu64, e->estate->id, letter, today, n);
    return n ? kf_arena_strdup (arena, id) : NULL;
}

void
desk_number_seen (desk_t *self, kf_txn_t *txn, const char *estate, const char *what, char letter, const char *id)
{
    unsigned day;
    uint64_t n;
    size_t prefix = strlen (estate);
    if (strncmp (id, estate, prefix) != 0 || id [prefix] != '-' || id [prefix + 1] != letter
    ||  sscanf (id + prefix + 2, "%8u-%" SCNu64, &day, &n) != 2)
        return;
    kf_key_t key;
    kf_key_make (&key, "s|s|u", what, estate, day);
    uint64_t at = kf_txn_counter (txn, self->counters, &key);
    if (n > at)
        kf_txn_add (txn, self->counters, &key, (int64_t) (n - at));
}

void
desk_deadline (desk_t *self, kf_txn_t *txn, int64_t now_ms, const char *estate, const char *subject,
               Kf__DeadlineKind kind, Kf__Envelope__BodyCase what, int64_t since_ms, int64_t due_ms,
               const char *unit, const char *handler, const char *text)
{
    Kf__Deadline d = KF__DEADLINE__INIT;
    d.subject = (char *) subject;
    KF_SET (&d, kind, kind);
    d.unit = (char *) unit;
    d.what = (char *) text;
    d.handler = (char *) handler;
    KF_SET (&d, department, KF__DEPARTMENT__DEPARTMENT_CUSTOMER_SERVICE);
    KF_SET (&d, due_ms, due_ms);
    KF_SET (&d, since_ms, since_ms);
    kf_emit_deadline (self->base.outbox, txn, now_ms, estate, what, &d);
}

//  ---- requests ------------------------------------------------------------------------

int
desk_handle_request (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                     kf_arena_t *arena)
{
    assert (self && txn && request && reply && arena);
    desk_tables (self, txn);
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_LEND:
            return desk_lend (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_RETURN_LOAN:
            return desk_return (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_LIST_LOANS:
            return desk_list_loans (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_ISSUE_PERMIT:
            return desk_issue_permit (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_USE_PERMIT:
            return desk_use_permit (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_LIST_PERMITS:
            return desk_list_permits (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_RECORD_VIOLATION:
            return desk_record_violation (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_FOLLOW_VIOLATION:
            return desk_follow_violation (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_FINE_VIOLATION:
            return desk_fine_violation (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_LIST_VIOLATIONS:
            return desk_list_violations (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_LOG_DUTY:
            return desk_log_duty (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_HAND_OVER:
            return desk_hand_over (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_TAKE_OVER:
            return desk_take_over (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_CHECK_HANDOVERS:
            return desk_check_handovers (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_LIST_SHIFTS:
            return desk_list_shifts (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_RECORD_COMMUNICATION:
            return desk_record_communication (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_FOLLOW_UP_COMMUNICATION:
            return desk_follow_up_communication (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_LIST_COMMUNICATIONS:
            return desk_list_communications (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_SUBMIT_RENOVATION:
            return desk_submit_renovation (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_REVIEW_RENOVATION:
            return desk_review_renovation (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_START_RENOVATION:
            return desk_start_renovation (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_PATROL_RENOVATION:
            return desk_patrol_renovation (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_COMPLETE_RENOVATION:
            return desk_complete_renovation (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_LIST_RENOVATIONS:
            return desk_list_renovations (self, txn, request, reply, arena);
        default:
            return KF_BAD ("kefu-desk does not answer this command");
    }
}

//  ---- what the events tell ------------------------------------------------------------

int
desk_apply_event (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    assert (self && txn && event);
    desk_tables (self, txn);
    kf_arena_reset (self->base.scratch);
    if (!event->estate || !desk_estate (self, event->estate))
        return 0;   //  not an estate this configuration knows
    int followed = desk_duty_follow (self, txn, event);
    if (followed)
        return followed < 0 ? -1 : 0;
    kf_key_t key;
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_UNIT_REGISTERED: {
            const Kf__Unit *u = event->unit_registered->unit;
            if (!u || !u->unit || !kf_unit_valid (u->unit) || kf_key_make (&key, "s|s", event->estate, u->unit))
                return 0;
            return kf_txn_put (txn, self->units, &key, "", 0);
        }
        case KF__ENVELOPE__BODY_HOUSEHOLD_REGISTERED: {
            const Kf__HouseholdFile *h = event->household_registered->household;
            if (!h || !h->unit || !kf_unit_valid (h->unit) || kf_key_make (&key, "s|s", event->estate, h->unit))
                return 0;
            return kf_txn_put_msg (txn, self->households, &key, &h->base);
        }
        case KF__ENVELOPE__BODY_STAFF_CHANGED: {
            const Kf__Staff *s = event->staff_changed->staff;
            if (!s || !s->staff_id || !s->estate || strcmp (s->estate, event->estate) != 0
            ||  kf_key_make (&key, "s|s", event->estate, s->staff_id))
                return 0;
            return kf_txn_put_msg (txn, self->staff, &key, &s->base);
        }
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

int
desk_recover (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    assert (self && txn && event);
    desk_tables (self, txn);
    kf_arena_reset (self->base.scratch);
    return desk_loans_recover (self, txn, event) || desk_permits_recover (self, txn, event)
        || desk_violations_recover (self, txn, event) || desk_duty_recover (self, txn, event)
        || desk_contacts_recover (self, txn, event) || desk_renovations_recover (self, txn, event) ? -1 : 0;
}

int
desk_tick (desk_t *self, kf_txn_t *txn, int64_t now_ms)
{
    assert (self && txn);
    desk_tables (self, txn);
    int loans = desk_loans_tick (self, txn, now_ms);
    int permits = loans < 0 ? -1 : desk_permits_tick (self, txn, now_ms);
    int violations = permits < 0 ? -1 : desk_violations_tick (self, txn, now_ms);
    int patrols = violations < 0 ? -1 : desk_renovations_tick (self, txn, now_ms);
    return patrols < 0 ? -1 : loans + permits + violations + patrols;
}
