/*  escalation_chain — the three levels (receptionist, CS supervisor,
    deputy GM): who is raised at each, when, and who is there now. See
    escalation_private.h.
*/
#include "escalation_private.h"

//  ---- the people of each level -------------------------------------------------------

typedef struct {
    kf_config_t *config;
    escalation_estate_t *estate;
} s_staff_load_t;

//  Who levels 2 and 3 may notify: the estate's active customer-service
//  supervisors, and its active managers (the deputy general manager).
static int
s_staff_one (const char *staff_id, void *arg)
{
    s_staff_load_t *l = arg;
    escalation_estate_t *e = l->estate;
    char path [160];
#define S_PATH(key) (snprintf (path, sizeof path, "estates/%s/staff/%s/" key, e->estate->id, staff_id), path)
    if (!kf_config_bool (l->config, S_PATH ("active")))
        return 0;
    int role = kf_config_enum (l->config, S_PATH ("role"));
    int department = kf_config_enum (l->config, S_PATH ("department"));
    int level = role == KF__ROLE__ROLE_MANAGER ? 3
              : role == KF__ROLE__ROLE_SUPERVISOR && department == KF__DEPARTMENT__DEPARTMENT_CUSTOMER_SERVICE ? 2 : 0;
    s_level_people_t *people = &e->levels [level];
    if (level && people->count < S_NOTIFY_MAX) {
        s_person_t *p = &people->people [people->count++];
        snprintf (p->id, sizeof p->id, "%s", staff_id);
        p->shifts = kf_config_str (l->config, S_PATH ("shifts"));
        p->on_call = kf_config_bool (l->config, S_PATH ("on_call"));
    }
#undef S_PATH
    return 0;
}

//  The estate's named supervisor and deputy GM (estates/<id>/escalation/
//  supervisor and deputy_gm): a person of that level, or the daemon stops.
static int
s_named (kf_config_t *config, escalation_estate_t *e, int level, const char *key, kf_err_t *err)
{
    char path [160];
    snprintf (path, sizeof path, "estates/%s/%s", e->estate->id, key);
    const char *id = kf_config_str (config, path);
    if (!id || !*id)
        return 0;
    s_level_people_t *people = &e->levels [level];
    for (size_t i = 0; i < people->count; i++)
        if (strcmp (people->people [i].id, id) == 0) {
            snprintf (people->named, sizeof people->named, "%s", id);
            return 0;
        }
    return kf_err_set (err, "%s: %s is not an active %s of estate %s", path, id,
                       level == 2 ? "customer-service supervisor" : "manager", e->estate->id);
}

int
escalation_chain_people (kf_config_t *config, escalation_estate_t *e, kf_err_t *err)
{
    char path [96];
    snprintf (path, sizeof path, "estates/%s/staff", e->estate->id);
    s_staff_load_t load = { config, e };
    kf_config_each (config, path, s_staff_one, &load);
    return s_named (config, e, 2, "escalation/supervisor", err) || s_named (config, e, 3, "escalation/deputy_gm", err)
         ? -1 : 0;
}

//  ---- the chain -------------------------------------------------------------------------

const char *
escalation_target_name (int target)
{
    return target >= 1 && target <= S_TARGETS ? escalation_target_keys [target - 1] : "case";
}

//  Why the chain should climb: a missed target still unmet, or reopenings.
static bool
s_cause (const escalation_t *self, const Kf__SlaCase *c, Kf__SlaTarget *target, char *reason, size_t size)
{
    if (c->status != KF__TICKET_STATUS__TICKET_STATUS_OPEN)
        return false;
    for (size_t i = 0; i < c->n_clocks; i++) {
        const Kf__SlaClock *k = c->clocks [i];
        if (k->breached && !k->met_at_ms && !k->stopped) {
            *target = k->target;
            snprintf (reason, size, "%s missed", c->deadline ? k->rule : escalation_target_name (k->target));
            return true;
        }
    }
    if (c->reopen_count >= self->reopens_to_supervisor) {
        *target = KF__SLA_TARGET__SLA_TARGET_UNSPECIFIED;
        snprintf (reason, size, "reopened %u times", c->reopen_count);
        return true;
    }
    return false;
}

//  Who a level 2 or 3 reaches now: the people of its role on shift or on
//  call, and the estate's named supervisor / deputy GM whatever their
//  shift; when that is nobody, every one of the role (someone must hear).
//  A person's rota and on-call are dispatch's as last announced
//  (staff.changed: kefuctl staff rota included), else the configuration's.
static size_t
s_level_present (escalation_ctx_t *x, int level, char **notify)
{
    const escalation_estate_t *e = x->estate;
    const s_level_people_t *people = &e->levels [level];
    size_t n = 0, reachable = 0;
    const char *reach [S_NOTIFY_MAX];
    for (size_t i = 0; i < people->count; i++) {
        const s_person_t *p = &people->people [i];
        kf_key_t key;
        kf_key_make (&key, "s|s", e->estate->id, p->id);
        const Kf__Staff *known = (const Kf__Staff *) kf_txn_find_msg_in (x->txn, x->self->staff, &key,
                                                                        &kf__staff__descriptor, x->arena);
        if (known && !known->active)
            continue;   //  retired since the configuration was read
        reach [reachable++] = p->id;
        bool there;
        if (known)
            there = known->on_call
                 || kf_rota_on_duty (known->shifts, known->n_shifts, e->estate->calendar, x->now_ms);
        else {
            Kf__Shift shifts [KF_ROTA_SHIFTS_MAX];
            Kf__Shift *ptrs [KF_ROTA_SHIFTS_MAX];
            int count = kf_rota_parse (p->shifts ? p->shifts : "off", shifts, KF_ROTA_SHIFTS_MAX, NULL);
            for (int j = 0; j < count; j++)
                ptrs [j] = &shifts [j];
            there = p->on_call || (count > 0 && kf_rota_on_duty (ptrs, (size_t) count, e->estate->calendar, x->now_ms));
        }
        if (there || strcmp (p->id, people->named) == 0)
            notify [n++] = (char *) p->id;
    }
    for (size_t i = 0; n == 0 && i < reachable; i++)
        notify [i] = (char *) reach [i];
    return n ? n : reachable;
}

//  dispatch's news of a person: kept for s_level_present.
int
escalation_on_staff (escalation_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    const Kf__Staff *staff = event->staff_changed->staff;
    if (!staff || !staff->staff_id || !staff->estate || !event->estate || strcmp (staff->estate, event->estate) != 0
    ||  !escalation_estate (self, staff->estate))
        return 0;   //  not a person of an estate this configuration knows
    kf_key_t key;
    if (kf_key_make (&key, "s|s", staff->estate, staff->staff_id))
        return 0;
    return kf_txn_put_msg (txn, self->staff, &key, &staff->base);
}

//  Notify a level: escalation.raised naming the people, and the next
//  level armed `after` the time this one was due.
void
escalation_raise (escalation_ctx_t *x, int level, Kf__SlaTarget target, const char *reason, int64_t due_ms)
{
    static const Kf__Role roles [] = { 0, KF__ROLE__ROLE_FRONT_DESK, KF__ROLE__ROLE_SUPERVISOR, KF__ROLE__ROLE_MANAGER };
    Kf__SlaCase *c = x->c;
    char *notify [S_NOTIFY_MAX];
    size_t n = 0;
    if (level == 1) {
        if (c->handler && *c->handler)
            notify [n++] = c->handler;
        if (c->filed_by && *c->filed_by && strcmp (c->filed_by, "owner-app") != 0
        &&  (!c->handler || strcmp (c->handler, c->filed_by) != 0))
            notify [n++] = c->filed_by;
    }
    else
        n = s_level_present (x, level, notify);
    int64_t next = level < 3 ? due_ms + x->self->level_after_ms [level] : 0;
    Kf__EscalationRaised r = KF__ESCALATION_RAISED__INIT;
    r.ticket_no = c->ticket_no;
    r.deadline = c->deadline;
    KF_SET (&r, level, level);
    KF_SET (&r, notify_role, roles [level]);
    r.notify_staff = notify;
    r.n_notify_staff = n;
    r.reason = (char *) reason;
    KF_SET (&r, target, target);
    KF_SET (&r, next_level_at_ms, next);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_ESCALATION_RAISED;
    event.escalation_raised = &r;
    escalation_emit (x, &event, x->causation);
    KF_SET (c, level, level);
    KF_SET (c, next_level_at_ms, next);
    for (size_t i = 0; i < c->n_clocks; i++)
        if (c->clocks [i]->target == target)
            KF_SET (c->clocks [i], level, level);
    char names [256] = "nobody by name";
    for (size_t i = 0, used = 0; i < n && used < sizeof names; i++)
        used += snprintf (names + used, sizeof names - used, "%s%s", i ? ", " : "", notify [i]);
    static const char *who [] = { "", "handler and receptionist", "customer-service supervisor", "deputy general manager" };
    escalation_history (x, x->now_ms, "level %d (%s): %s; notified %s", level, who [level], reason, names);
}

//  A breach starts the chain, or climbs it when it had stopped (an earlier
//  missed target was met since); a chain already climbing goes on as it is.
void
escalation_chain_on_breach (escalation_ctx_t *x, const Kf__SlaClock *k)
{
    Kf__SlaCase *c = x->c;
    if (c->status != KF__TICKET_STATUS__TICKET_STATUS_OPEN || c->next_level_at_ms || c->level >= 3)
        return;
    char reason [64];
    snprintf (reason, sizeof reason, "%s missed", c->deadline ? k->rule : escalation_target_name (k->target));
    escalation_raise (x, c->level + 1, k->target, reason, k->deadline_ms);
}

void
escalation_chain_due (escalation_ctx_t *x, int64_t due_ms)
{
    Kf__SlaCase *c = x->c;
    KF_SET (c, next_level_at_ms, 0);
    Kf__SlaTarget target;
    char reason [64], still [80];
    if (c->level < 3 && s_cause (x->self, c, &target, reason, sizeof reason)) {
        snprintf (still, sizeof still, "still: %s", reason);
        escalation_raise (x, c->level + 1, target, still, due_ms);
    }
}

//  The next level waits only while its cause lasts.
void
escalation_settle (escalation_ctx_t *x)
{
    Kf__SlaTarget target;
    char reason [64];
    if (x->c->next_level_at_ms && !s_cause (x->self, x->c, &target, reason, sizeof reason))
        KF_SET (x->c, next_level_at_ms, 0);
}
