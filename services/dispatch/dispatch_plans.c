/*  dispatch_plans — inspection and maintenance plans (巡检计划, issue 23):
    an estate's department walks its checkpoints on a schedule of the
    estate's calendar (kf_schedule), each round within its window. Plans
    come from the configuration (estates/<id>/plans/<plan>, loaded at every
    start: an entry the file changed wins, one it no longer has is paused)
    and from kefuctl plans add|pause|resume / the API. Every change is
    announced (round.planned).

    The plan's next slot is one shared timer (table round_timers, id
    "P/<estate>/<plan>" at next_slot_ms); dispatch_rounds.c fires it.

    Tables (keys):
      plans           estate|plan_id        Plan
      renovations_on  estate|renovation_id  ""   (work on: while_renovation plans run)
*/
#include "dispatch_private.h"
#include "kf_log.h"
#include <ctype.h>


Kf__Plan *
dispatch_plan_get (dispatch_t *self, kf_txn_t *txn, const char *estate, const char *plan_id, kf_arena_t *arena)
{
    kf_key_t key;
    if (!estate || !plan_id || kf_key_make (&key, "s|s", estate, plan_id))
        return NULL;
    return (Kf__Plan *) kf_txn_find_msg_in (txn, self->plans, &key, &kf__plan__descriptor, arena);
}

void
dispatch_plan_put (dispatch_t *self, kf_txn_t *txn, const Kf__Plan *plan)
{
    kf_key_t key;
    if (kf_key_make (&key, "s|s", plan->estate, plan->plan_id))
        kf_txn_fail (txn, "plan %s: not a key", plan->plan_id);
    else
        kf_txn_put_msg (txn, self->plans, &key, &plan->base);
}

void
dispatch_plan_timer_id (char *id, size_t size, const Kf__Plan *plan)
{
    snprintf (id, size, "P/%s/%s", plan->estate, plan->plan_id);
}

//  ---- checks ---------------------------------------------------------------------------

static bool
s_plan_id_valid (const char *id)
{
    size_t n = id ? strlen (id) : 0;
    if (n == 0 || n > DISPATCH_PLAN_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum ((unsigned char) id [i]) && id [i] != '_')
            return false;   //  no '-': a round's id <estate>-<plan>-<date>-<time> reads one way only
    return true;
}

int
dispatch_plan_check (dispatch_t *self, const Kf__Plan *plan, int64_t now_ms, kf_schedule_t *schedule,
                     kf_err_t *err)
{
    const dispatch_estate_t *e = dispatch_estate (self, plan->estate);
    if (!e)
        return kf_err_set (err, "unknown estate '%s'", plan->estate ? plan->estate : "");
    if (!s_plan_id_valid (plan->plan_id))
        return kf_err_set (err, "plan_id '%s' is not a plan id (1 to %d letters, digits or _)",
                           plan->plan_id ? plan->plan_id : "", DISPATCH_PLAN_ID_MAX);
    kf_err_t why;
    if (kf_text_check ("name", plan->name, 64, &why))
        return kf_err_set (err, "plan %s: %s", plan->plan_id, why.text);
    if (!kf_enum_known (&kf__department__descriptor, plan->has_department, plan->department))
        return kf_err_set (err, "plan %s: department is required (engineering, cleaning, security, greening or "
                           "customer_service)", plan->plan_id);
    if (plan->has_skill && plan->skill && !kf_enum_known (&kf__category__descriptor, 1, plan->skill))
        return kf_err_set (err, "plan %s: skill %d is not a category", plan->plan_id, (int) plan->skill);
    if (!plan->has_window_ms || plan->window_ms < DISPATCH_WINDOW_MIN || plan->window_ms > DISPATCH_WINDOW_MAX)
        return kf_err_set (err, "plan %s: window must be 5 minutes to 30 days", plan->plan_id);
    if (!plan->schedule || kf_schedule_parse (plan->schedule, schedule, &why))
        return kf_err_set (err, "plan %s: schedule: %s", plan->plan_id, plan->schedule ? why.text : "is required");
    if (!kf_schedule_next (schedule, e->estate->calendar, now_ms))
        return kf_err_set (err, "plan %s: schedule '%s' never fires on %s's calendar", plan->plan_id, plan->schedule,
                           plan->estate);
    if (plan->n_checkpoints == 0)
        return kf_err_set (err, "plan %s has no checkpoints", plan->plan_id);
    if (plan->n_checkpoints > KF_CHECKPOINTS_MAX)
        return kf_err_set (err, "plan %s has more than %d checkpoints", plan->plan_id, KF_CHECKPOINTS_MAX);
    for (size_t i = 0; i < plan->n_checkpoints; i++) {
        if (!plan->checkpoints [i] || kf_checkpoint_check (plan->checkpoints [i], &why))
            return kf_err_set (err, "plan %s: %s", plan->plan_id, plan->checkpoints [i] ? why.text : "a checkpoint is empty");
        for (size_t j = 0; j < i; j++)
            if (strcmp (plan->checkpoints [j]->name, plan->checkpoints [i]->name) == 0)
                return kf_err_set (err, "plan %s: checkpoint %s is given twice", plan->plan_id,
                                   plan->checkpoints [i]->name);
    }
    return 0;
}

void
dispatch_plan_arm (dispatch_t *self, kf_txn_t *txn, Kf__Plan *plan, int64_t from_ms)
{
    char id [DISPATCH_PLAN_TIMER_SIZE];
    dispatch_plan_timer_id (id, sizeof id, plan);
    if (plan->next_slot_ms)
        kf_timers_disarm (txn, self->round_timers, plan->next_slot_ms, id);
    KF_SET (plan, next_slot_ms, 0);
    kf_schedule_t schedule;
    const dispatch_estate_t *e = dispatch_estate (self, plan->estate);
    if (plan->paused || !e || !plan->schedule || kf_schedule_parse (plan->schedule, &schedule, NULL))
        return;
    KF_SET (plan, next_slot_ms, kf_schedule_next (&schedule, e->estate->calendar, from_ms));
    if (plan->next_slot_ms)
        kf_timers_arm (txn, self->round_timers, plan->next_slot_ms, id);
}

static int
s_announce (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Plan *plan, const char *actor)
{
    Kf__PlanEvent body = KF__PLAN_EVENT__INIT;
    body.plan = plan;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_ROUND_PLANNED;
    event.round_planned = &body;
    event.actor = (char *) actor;
    return kf_emit (self->base.outbox, txn, now_ms, plan->estate, &event, NULL);
}

//  ---- from the configuration ---------------------------------------------------------

typedef struct {
    dispatch_t *self;
    const char *estate, *plan_id;
    Kf__Plan *plan;
    kf_arena_t *arena;
    kf_err_t *err;
} s_read_t;

static int
s_read_checkpoint (const char *name, void *arg)
{
    s_read_t *r = arg;
    kf_config_t *config = r->self->base.config;
    char path [256];
    if (r->plan->n_checkpoints == KF_CHECKPOINTS_MAX)
        return kf_err_set (r->err, "more than %d checkpoints", KF_CHECKPOINTS_MAX);
    Kf__Checkpoint *cp = (Kf__Checkpoint *) kf_arena_message (r->arena, &kf__checkpoint__descriptor);
    if (!cp)
        return kf_err_set (r->err, "out of memory");
    const char *keys [] = { "name", "place", "area", "items" };
    char **fields [] = { &cp->name, &cp->place, &cp->area, NULL };
    const char *items = NULL;
    for (int k = 0; k < 4; k++) {
        snprintf (path, sizeof path, "estates/%s/plans/%s/checkpoints/%s/%s", r->estate, r->plan_id, name, keys [k]);
        const char *value = kf_config_str (config, path);
        if (fields [k])
            *fields [k] = value && *value ? (char *) value : NULL;
        else
            items = value;
    }
    kf_err_t why;
    if (kf_check_items_parse (items, cp, r->arena, &why))
        return kf_err_set (r->err, "checkpoints/%s: %s", name, why.text);
    r->plan->checkpoints [r->plan->n_checkpoints++] = cp;
    return 0;
}

//  The plan the file describes (strings are the configuration's own).
static int
s_plan_from_config (dispatch_t *self, const char *estate, const char *plan_id, Kf__Plan *plan, kf_arena_t *arena,
                    kf_err_t *err)
{
    kf_config_t *config = self->base.config;
    char path [192];
    kf__plan__init (plan);
    plan->estate = (char *) estate;
    plan->plan_id = (char *) plan_id;
#define S_PATH(key) (snprintf (path, sizeof path, "estates/%s/plans/%s/%s", estate, plan_id, key), path)
    plan->name = (char *) kf_config_str (config, S_PATH ("name"));
    KF_SET (plan, department, kf_config_enum (config, S_PATH ("department")));
    const char *skill = kf_config_str (config, S_PATH ("skill"));
    int category = 0;
    if (skill && *skill && kf_enum_parse (&kf__category__descriptor, skill, &category))
        return kf_err_set (err, "skill '%s' is not a category", skill);
    if (category)
        KF_SET (plan, skill, category);
    plan->schedule = (char *) kf_config_str (config, S_PATH ("schedule"));
    KF_SET (plan, window_ms, kf_config_duration_ms (config, S_PATH ("window")));
    if (kf_config_bool (config, S_PATH ("while_renovation")))
        KF_SET (plan, while_renovation, 1);
    if (kf_config_bool (config, S_PATH ("paused")))
        KF_SET (plan, paused, 1);
    KF_SET (plan, from_config, 1);
    plan->checkpoints = kf_arena_alloc (arena, KF_CHECKPOINTS_MAX * sizeof *plan->checkpoints);
    if (!plan->checkpoints)
        return kf_err_set (err, "out of memory");
    s_read_t r = { self, estate, plan_id, plan, arena, err };
    return kf_config_each (config, S_PATH ("checkpoints"), s_read_checkpoint, &r);
#undef S_PATH
}

typedef struct {
    dispatch_t *self;
    kf_txn_t *txn;
    int64_t now_ms;
    const char *estate;
    int changed;
} s_load_t;

static int
s_load_one (const char *plan_id, void *arg)
{
    s_load_t *l = arg;
    dispatch_t *self = l->self;
    kf_arena_reset (self->base.scratch);
    kf_arena_t *arena = self->base.scratch;
    Kf__Plan wanted;
    kf_schedule_t schedule;
    kf_err_t err;
    if (s_plan_from_config (self, l->estate, plan_id, &wanted, arena, &err)
    ||  dispatch_plan_check (self, &wanted, l->now_ms, &schedule, &err))
        return kf_txn_fail (l->txn, "estates/%s/plans/%s: %s", l->estate, plan_id, err.text);
    uint64_t digest = kf_codec_digest (&wanted.base);
    Kf__Plan *stored = dispatch_plan_get (self, l->txn, l->estate, plan_id, arena);
    if (!kf_txn_ok (l->txn))
        return -1;
    if (stored && stored->config_digest == digest)
        return 0;   //  as the file left it: kefuctl's pause or resume stands
    KF_SET (&wanted, config_digest, digest);
    KF_SET (&wanted, updated_at_ms, l->now_ms);
    wanted.updated_by = "configuration";
    if (stored) {
        wanted.next_slot_ms = stored->next_slot_ms;
        wanted.has_next_slot_ms = stored->has_next_slot_ms;
        wanted.rounds_made = stored->rounds_made;
        wanted.has_rounds_made = stored->has_rounds_made;
    }
    //  A new plan's first round is the first slot from now; a changed one
    //  keeps its rounds made and takes its next slot from the new schedule,
    //  counted from the slot it still owed (one that fell while the daemon
    //  was down is made, not skipped).
    int64_t from = l->now_ms;
    if (stored && !stored->paused && stored->next_slot_ms && stored->next_slot_ms < from)
        from = stored->next_slot_ms;
    dispatch_plan_arm (self, l->txn, &wanted, from);
    char next [40];
    kf_local_format (wanted.next_slot_ms ? wanted.next_slot_ms : INT64_MAX,
                     kf_calendar_offset (dispatch_estate (self, l->estate)->estate->calendar), next, sizeof next);
    kf_notice ("plan %s/%s %s from the configuration: %s, next round %s", l->estate, plan_id,
               stored ? "updated" : "added", wanted.schedule, wanted.paused ? "none (paused)" : next);
    l->changed++;
    dispatch_plan_put (self, l->txn, &wanted);
    return s_announce (self, l->txn, l->now_ms, &wanted, NULL);
}

//  Plans of the file's that the file no longer has: paused, never deleted.
static int
s_unlisted_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) key;
    s_load_t *l = arg;
    Kf__Plan *plan = (Kf__Plan *) msg;
    char path [192];
    snprintf (path, sizeof path, "estates/%s/plans/%s/name", l->estate, plan->plan_id);
    if (!plan->from_config || plan->paused || kf_config_has (l->self->base.config, path)) {
        //  Kept: its timer armed as the record says (a plan whose estate
        //  left the file and came back lost it when it went stale).
        char id [DISPATCH_PLAN_TIMER_SIZE];
        dispatch_plan_timer_id (id, sizeof id, plan);
        if (!plan->paused && plan->next_slot_ms)
            kf_timers_arm (txn, l->self->round_timers, plan->next_slot_ms, id);
        return kf_txn_ok (txn) ? 0 : -1;
    }
    KF_SET (plan, paused, 1);
    KF_SET (plan, from_config, 0);
    plan->has_config_digest = 0;
    KF_SET (plan, updated_at_ms, l->now_ms);
    plan->updated_by = "configuration";
    dispatch_plan_arm (l->self, txn, plan, l->now_ms);
    kf_notice ("plan %s/%s is no longer in the configuration: paused", l->estate, plan->plan_id);
    l->changed++;
    dispatch_plan_put (l->self, txn, plan);
    return s_announce (l->self, txn, l->now_ms, plan, NULL);
}

int
dispatch_load_plans (dispatch_t *self, kf_txn_t *txn, int64_t now_ms)
{
    assert (self && txn);
    dispatch_tables (self, txn);
    s_load_t l = { .self = self, .txn = txn, .now_ms = now_ms };
    for (size_t i = 0; i < self->base.estate_count && kf_txn_ok (txn); i++) {
        l.estate = self->estates [i].estate->id;
        char path [96];
        snprintf (path, sizeof path, "estates/%s/plans", l.estate);
        if (kf_config_each (self->base.config, path, s_load_one, &l))
            return -1;
        kf_key_t prefix;
        kf_key_make (&prefix, "s|", l.estate);
        kf_arena_reset (self->base.scratch);
        kf_txn_scan_msg_in (txn, self->plans, &prefix, &kf__plan__descriptor, self->base.scratch, s_unlisted_row, &l);
    }
    return kf_txn_ok (txn) ? l.changed : -1;
}

//  ---- requests -----------------------------------------------------------------------

static const kf_estate_t *
s_request_estate (dispatch_t *self, const Kf__Request *request, const char *named, bool changes, Kf__Reply *reply,
                  kf_arena_t *arena)
{
    if (changes && !dispatch_directs (request->role)) {
        KF_FORBIDDEN ("only a supervisor or a manager changes the plans");
        return NULL;
    }
    const kf_estate_t *estate = kf_request_estate (self->base.config, request, named, reply, arena);
    if (estate && !dispatch_estate (self, estate->id)) {
        KF_NOT_FOUND ("unknown estate '%s'", estate->id);
        return NULL;
    }
    return estate;
}

static int
s_add (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
       kf_arena_t *arena)
{
    Kf__Plan *spec = request->add_plan->plan;
    if (!spec)
        return KF_BAD ("plan is required");
    const kf_estate_t *estate = s_request_estate (self, request, spec->estate, true, reply, arena);
    if (!estate)
        return -1;
    Kf__Plan plan = *spec;
    plan.estate = (char *) estate->id;
    kf_schedule_t schedule;
    kf_err_t err;
    if (dispatch_plan_check (self, &plan, now_ms, &schedule, &err))
        return KF_BAD ("%s", err.text);
    if (dispatch_plan_get (self, txn, estate->id, plan.plan_id, arena))
        return KF_CONFLICT ("plan %s exists in %s: pause it, or add another id", plan.plan_id, estate->id);
    if (!kf_txn_ok (txn))
        return -1;
    plan.has_next_slot_ms = plan.has_rounds_made = plan.has_from_config = plan.has_config_digest = 0;
    plan.next_slot_ms = 0;
    plan.rounds_made = 0;
    plan.from_config = 0;
    KF_SET (&plan, updated_at_ms, now_ms);
    plan.updated_by = request->actor;
    dispatch_plan_arm (self, txn, &plan, now_ms);
    dispatch_plan_put (self, txn, &plan);
    s_announce (self, txn, now_ms, &plan, request->actor);
    kf_notice ("plan %s/%s added by %s: %s", estate->id, plan.plan_id, request->actor ? request->actor : "unknown",
               plan.schedule);
    Kf__Plan *stored = dispatch_plan_get (self, txn, estate->id, plan.plan_id, arena);
    if (!stored)
        return -1;
    reply->result_case = KF__REPLY__RESULT_PLAN;
    reply->plan = stored;
    return 0;
}

static int
s_set (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
       kf_arena_t *arena)
{
    const Kf__SetPlan *q = request->set_plan;
    const kf_estate_t *estate = s_request_estate (self, request, q->estate, true, reply, arena);
    if (!estate)
        return -1;
    if (!q->has_paused)
        return KF_BAD ("paused is required: true pauses the plan, false resumes it");
    Kf__Plan *plan = dispatch_plan_get (self, txn, estate->id, q->plan_id, arena);
    if (!plan)
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no plan '%s' in %s", q->plan_id ? q->plan_id : "", estate->id) : -1;
    if ((bool) plan->paused == (bool) q->paused)
        return KF_CONFLICT ("plan %s is %s already", plan->plan_id, plan->paused ? "paused" : "running");
    KF_SET (plan, paused, q->paused);
    KF_SET (plan, updated_at_ms, now_ms);
    plan->updated_by = request->actor;
    dispatch_plan_arm (self, txn, plan, now_ms);
    dispatch_plan_put (self, txn, plan);
    s_announce (self, txn, now_ms, plan, request->actor);
    reply->result_case = KF__REPLY__RESULT_PLAN;
    reply->plan = plan;
    return 0;
}

static int
s_list_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) key;
    void **a = arg;
    Kf__PlanList *list = a [0];
    size_t *room = a [1];
    if (kf_arena_push (a [2], (void ***) &list->plans, &list->n_plans, room, (void *) msg))
        return kf_txn_fail (txn, "out of memory");
    return 0;
}

static int
s_list (dispatch_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const kf_estate_t *estate = s_request_estate (self, request, request->list_plans->estate, false, reply, arena);
    if (!estate)
        return -1;
    Kf__PlanList *list = (Kf__PlanList *) kf_arena_message (arena, &kf__plan_list__descriptor);
    if (!list)
        return kf_txn_fail (txn, "out of memory");
    size_t room = 0;
    void *a [] = { list, &room, arena };
    kf_key_t prefix;
    kf_key_make (&prefix, "s|", estate->id);
    if (kf_txn_scan_msg_in (txn, self->plans, &prefix, &kf__plan__descriptor, arena, s_list_row, a) < 0)
        return -1;
    reply->result_case = KF__REPLY__RESULT_PLANS;
    reply->plans = list;
    return 0;
}

int
dispatch_plans_request (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                        Kf__Reply *reply, kf_arena_t *arena)
{
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_ADD_PLAN:
            return s_add (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_SET_PLAN:
            return s_set (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_LIST_PLANS:
            return s_list (self, txn, request, reply, arena);
        default:
            return KF_BAD ("not a plan command");
    }
}

//  ---- renovations with work on --------------------------------------------------------

bool
dispatch_renovation_on (dispatch_t *self, kf_txn_t *txn, const char *estate)
{
    kf_key_t prefix;
    kf_cursor_t *cursor = kf_cursor_open (txn, self->renovations_on);
    kf_val_t k, v;
    kf_key_make (&prefix, "s|", estate);
    bool on = cursor && kf_cursor_seek (cursor, &prefix, &k, &v) == KF_FOUND && kf_key_has_prefix (k, &prefix);
    kf_cursor_close (&cursor);
    return on;
}

int
dispatch_on_renovation (dispatch_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    const Kf__RenovationEvent *body = event->renovation_started;   //  the oneof's members share one pointer
    const Kf__Renovation *r = body ? body->renovation : NULL;
    kf_key_t key;
    if (!r || !r->renovation_id || !event->estate || kf_key_make (&key, "s|s", event->estate, r->renovation_id))
        return 0;
    if (event->body_case == KF__ENVELOPE__BODY_RENOVATION_STARTED)
        kf_txn_put (txn, self->renovations_on, &key, "", 0);
    else
        kf_txn_del (txn, self->renovations_on, &key);
    return kf_txn_ok (txn) ? 0 : -1;
}
