/*  escalation_clock — a target's clock: the time it has used on calendar
    or working time, its deadline, the timers and board rows of a case,
    and what happens to a clock (met, stopped, a new round, a retarget).
    See escalation_private.h.
*/
#include "escalation_private.h"

//  ---- clocks ----------------------------------------------------------------------

const char *
escalation_case_id (const Kf__SlaCase *c)
{
    return c->ticket_no ? c->ticket_no : c->case_id;
}

bool
escalation_running (const Kf__SlaClock *k)
{
    return !k->stopped && !k->paused && !k->met_at_ms;
}

static const kf_calendar_t *
s_working (const escalation_estate_t *e, const Kf__SlaClock *k)
{
    return k->working_hours ? e->estate->calendar : NULL;
}

//  Time used on the clock by `at`.
int64_t
escalation_used_at (const escalation_estate_t *e, const Kf__SlaClock *k, int64_t at)
{
    int64_t used = k->used_ms;
    if (escalation_running (k) && at > k->running_since_ms)
        used += kf_sla_between (s_working (e, k), k->running_since_ms, at);
    return used;
}

void
escalation_run_from (const escalation_estate_t *e, Kf__SlaClock *k, int64_t at)
{
    KF_SET (k, running_since_ms, at);
    KF_SET (k, deadline_ms, k->limit_ms == INT64_MAX ? INT64_MAX
                         : kf_sla_add (s_working (e, k), at, k->limit_ms - k->used_ms));
}

//  The part of a target's limit after which it warns (sla/warning_percent,
//  80 % by default), to the millisecond; the one place it is computed.
static int64_t
s_warning_share (const escalation_t *self, const Kf__SlaClock *k)
{
    return k->limit_ms / 100 * self->warning_percent + k->limit_ms % 100 * self->warning_percent / 100;
}

static int64_t
s_warn_at (const escalation_t *self, const escalation_estate_t *e, const Kf__SlaClock *k)
{
    int64_t share = s_warning_share (self, k);
    if (share <= k->used_ms)
        return k->running_since_ms;
    return kf_sla_add (s_working (e, k), k->running_since_ms, share - k->used_ms);
}

//  The clock's one timer: its warning, then its breach, then none.
static int64_t
s_timer_at (const escalation_t *self, const escalation_estate_t *e, const Kf__SlaClock *k)
{
    if (!escalation_running (k) || k->deadline_ms == INT64_MAX)
        return 0;
    if (!k->warned)
        return s_warn_at (self, e, k);
    return k->breached ? 0 : k->deadline_ms;
}

Kf__SlaClock *
escalation_clock (const Kf__SlaCase *c, int target)
{
    for (size_t i = 0; i < c->n_clocks; i++)
        if ((int) c->clocks [i]->target == target + 1)
            return c->clocks [i];
    return NULL;
}

//  Set the clock's policy and limit as of `start`: the limit becomes a
//  length on the clock, the time from start to the limit's deadline.
static void
s_clock_limit (const escalation_ctx_t *x, Kf__SlaClock *k, const escalation_policy_t *p, const kf_sla_limit_t *limit,
               int64_t start)
{
    const kf_calendar_t *calendar = x->estate->estate->calendar;
    char rule [32];
    k->policy = (char *) escalation_policy_names [p->index];
    k->rule = kf_arena_strdup (x->arena, kf_sla_limit_format (limit, rule, sizeof rule));
    KF_SET (k, working_hours, p->working);
    KF_SET (k, started_at_ms, start);
    int64_t deadline = kf_sla_deadline (limit, calendar, p->working ? calendar : NULL, x->self->cutoff_minute, start);
    KF_SET (k, limit_ms, deadline == INT64_MAX ? INT64_MAX : kf_sla_between (s_working (x->estate, k), start, deadline));
}

static Kf__SlaClock *
s_clock_new (const escalation_ctx_t *x, int target, const escalation_policy_t *p, const kf_sla_limit_t *limit,
             int64_t start)
{
    Kf__SlaClock *k = (Kf__SlaClock *) kf_arena_message (x->arena, &kf__sla_clock__descriptor);
    char clock_id [S_TIMER_ID];
    snprintf (clock_id, sizeof clock_id, "%s/%s", escalation_case_id (x->c), escalation_target_keys [target]);
    k->clock_id = kf_arena_strdup (x->arena, clock_id);
    if (!k->clock_id)
        return NULL;
    k->ticket_no = x->c->ticket_no;
    k->estate = x->c->estate;
    KF_SET (k, target, target + 1);
    KF_SET (k, used_ms, 0);
    s_clock_limit (x, k, p, limit, start);
    escalation_run_from (x->estate, k, start);
    return k;
}

//  ---- indexes: timers and the board ------------------------------------------------

//  A case's timer: "<case id>/<target or chain>" at its time.
static const char *
s_timer_id (char *id, size_t size, const char *ticket_no, const char *what)
{
    snprintf (id, size, "%s/%s", ticket_no, what);
    return id;
}

bool
escalation_on_board (const Kf__SlaClock *k)
{
    return escalation_running (k) && k->deadline_ms != INT64_MAX;
}

void
escalation_unindex (escalation_ctx_t *x)
{
    const Kf__SlaCase *c = x->c;
    kf_key_t key;
    char id [S_TIMER_ID];
    for (size_t i = 0; i < c->n_clocks; i++) {
        const Kf__SlaClock *k = c->clocks [i];
        if (k->timer_at_ms)
            kf_timers_disarm (x->txn, x->self->timers, k->timer_at_ms,
                              s_timer_id (id, sizeof id, escalation_case_id (c), escalation_target_keys [k->target - 1]));
        if (escalation_on_board (k) && kf_key_make (&key, "s|t|s", c->estate, k->deadline_ms, k->clock_id) == 0)
            kf_txn_del (x->txn, x->self->board, &key);
    }
    if (c->next_level_at_ms)
        kf_timers_disarm (x->txn, x->self->timers, c->next_level_at_ms, s_timer_id (id, sizeof id, escalation_case_id (c), "chain"));
}

void
escalation_index (escalation_ctx_t *x)
{
    Kf__SlaCase *c = x->c;
    kf_key_t key;
    char id [S_TIMER_ID];
    for (size_t i = 0; i < c->n_clocks; i++) {
        Kf__SlaClock *k = c->clocks [i];
        KF_SET (k, timer_at_ms, s_timer_at (x->self, x->estate, k));
        if (k->timer_at_ms)
            kf_timers_arm (x->txn, x->self->timers, k->timer_at_ms,
                           s_timer_id (id, sizeof id, escalation_case_id (c), escalation_target_keys [k->target - 1]));
        if (escalation_on_board (k)) {
            kf_key_make (&key, "s|t|s", c->estate, k->deadline_ms, k->clock_id);
            kf_txn_put (x->txn, x->self->board, &key, "", 0);
        }
    }
    if (c->next_level_at_ms)
        kf_timers_arm (x->txn, x->self->timers, c->next_level_at_ms, s_timer_id (id, sizeof id, escalation_case_id (c), "chain"));
}

Kf__SlaCase *
escalation_case_get (escalation_t *self, kf_txn_t *txn, const char *case_id, kf_arena_t *arena)
{
    kf_key_t key;
    if (!case_id || kf_key_make (&key, "s", case_id))
        return NULL;
    return (Kf__SlaCase *) kf_txn_find_msg_in (txn, self->cases, &key, &kf__sla_case__descriptor, arena);
}

int
escalation_case_put (escalation_ctx_t *x)
{
    kf_key_t key;
    kf_key_make (&key, "s", escalation_case_id (x->c));
    return kf_txn_put_msg (x->txn, x->self->cases, &key, &x->c->base);
}

//  ---- what happens to a clock ------------------------------------------------------------

static void
s_alert (escalation_ctx_t *x, const Kf__SlaClock *k, bool breach, bool warning_skipped)
{
    Kf__SlaAlert a = KF__SLA_ALERT__INIT;
    a.ticket_no = x->c->ticket_no;
    a.deadline = x->c->deadline;
    a.clock_id = k->clock_id;
    KF_SET (&a, target, k->target);
    a.policy = k->policy;
    KF_SET (&a, deadline_ms, k->deadline_ms);
    KF_SET (&a, limit_ms, k->limit_ms);
    KF_SET (&a, elapsed_ms, escalation_used_at (x->estate, k, x->now_ms));
    KF_SET (&a, working_hours, k->working_hours);
    if (warning_skipped)
        KF_SET (&a, warning_skipped, 1);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = breach ? KF__ENVELOPE__BODY_SLA_BREACHED : KF__ENVELOPE__BODY_SLA_WARNING;
    if (breach)
        event.sla_breached = &a;
    else
        event.sla_warning = &a;
    escalation_emit (x, &event, NULL);
}

//  A clock's timer fired (or time passed it while it was due): warn at
//  the threshold, breach at the deadline, both when both have passed.
void
escalation_clock_due (escalation_ctx_t *x, Kf__SlaClock *k)
{
    char when [40];
    if (!escalation_running (k))
        return;
    bool past_deadline = k->deadline_ms != INT64_MAX && x->now_ms >= k->deadline_ms;
    bool skipped = false;
    if (!k->warned && x->now_ms >= s_warn_at (x->self, x->estate, k)) {
        KF_SET (k, warned, 1);
        //  A warning after the deadline warns of nothing: the breach alone
        //  is published, marked as having passed its warning.
        skipped = past_deadline && !k->breached;
        if (skipped)
            escalation_history (x, x->now_ms,
                                "warning skipped: %s (%s %s) passed its %d %% and its deadline %s at once",
                                escalation_target_name (k->target), k->policy, k->rule, x->self->warning_percent,
                                escalation_local (x, k->deadline_ms, when, sizeof when));
        else {
            s_alert (x, k, false, false);
            escalation_history (x, x->now_ms, "warning: %d %% of %s (%s %s) used, due %s", x->self->warning_percent,
                                escalation_target_name (k->target), k->policy, k->rule, escalation_local (x, k->deadline_ms, when, sizeof when));
        }
    }
    if (!k->breached && past_deadline) {
        KF_SET (k, breached, 1);
        s_alert (x, k, true, skipped);
        Kf__SlaMet late = escalation_met_record (x, k, 0, false);
        escalation_outcome (x, k, &late);
        escalation_history (x, x->now_ms, "breached: %s (%s %s) was due %s", escalation_target_name (k->target),
                            k->policy, k->rule,
                   escalation_local (x, k->deadline_ms, when, sizeof when));
        escalation_chain_on_breach (x, k);
    }
}

//  A target reached at `at`: on time when it came by the deadline (a
//  working-hours clock stands still after closing, so its use alone
//  cannot tell 17:59 from 21:59), or, for a paused clock, when the pause
//  began before the length was used up.
void
escalation_meet (escalation_ctx_t *x, Kf__SlaClock *k, int64_t at)
{
    if (!k || k->met_at_ms || k->stopped)
        return;
    if (at < k->started_at_ms)
        at = k->started_at_ms;
    int64_t used = escalation_used_at (x->estate, k, at);
    bool on_time = escalation_running (k) ? at <= k->deadline_ms : !k->breached && used <= k->limit_ms;
    KF_SET (k, used_ms, used);
    KF_SET (k, running_since_ms, 0);
    KF_SET (k, met_at_ms, at);
    Kf__SlaMet m = escalation_met_record (x, k, at, on_time);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_SLA_MET;
    event.sla_met = &m;
    escalation_emit (x, &event, x->causation);
    escalation_outcome (x, k, &m);
    escalation_history (x, at, "%s met %s (%s %s)", escalation_target_name (k->target), on_time ? "on time" : "late",
                        k->policy, k->rule);
}

void
escalation_stop (escalation_ctx_t *x, Kf__SlaClock *k, int64_t at)
{
    if (k->stopped || k->met_at_ms)
        return;
    KF_SET (k, used_ms, escalation_used_at (x->estate, k, at));
    KF_SET (k, running_since_ms, 0);
    KF_SET (k, stopped, 1);
}

//  Clocks for each target the policies give the case, from `at` (a
//  rectification's resolution from the unsatisfied visit).
void
escalation_start_round (escalation_ctx_t *x, int64_t at)
{
    Kf__SlaCase *c = x->c;
    Kf__SlaClock **clocks = kf_arena_alloc (x->arena, S_TARGETS * sizeof *clocks);
    if (!clocks) {
        kf_txn_fail (x->txn, "out of memory");
        return;
    }
    size_t n = 0;
    char line [400] = "", when [40];
    size_t used = 0;
    for (int t = 0; t < S_TARGETS; t++) {
        kf_sla_limit_t limit;
        const escalation_policy_t *p = escalation_policy_for (x->estate, c, t, &limit);
        if (!p)
            continue;
        int64_t start = at;
        if (t == S_RESOLUTION && p->index == S_POLICY_RECTIFICATION && c->rectification_at_ms
        &&  c->rectification_at_ms < at)
            start = c->rectification_at_ms;
        Kf__SlaClock *k = s_clock_new (x, t, p, &limit, start);
        if (!k) {
            kf_txn_fail (x->txn, "out of memory");
            return;
        }
        clocks [n++] = k;
        if (used < sizeof line)
            used += snprintf (line + used, sizeof line - used, "%s%s %s (%s) due %s", n > 1 ? "; " : "",
                              escalation_target_keys [t], k->rule, k->policy, escalation_local (x, k->deadline_ms,
                                                                                                when, sizeof when));
    }
    c->clocks = clocks;
    c->n_clocks = n;
    escalation_history (x, at, "round %u: %s", c->round, n ? line : "no targets apply");
}

//  The case changed (transferred, made a rectification): a target whose
//  policy or limit changes keeps its start and the time it used, and
//  takes the new length; a rectification's resolution starts afresh at
//  the visit.
void
escalation_retarget (escalation_ctx_t *x, int64_t at)
{
    Kf__SlaCase *c = x->c;
    char when [40];
    for (int t = 0; t < S_TARGETS; t++) {
        kf_sla_limit_t limit;
        char rule [32];
        const escalation_policy_t *p = escalation_policy_for (x->estate, c, t, &limit);
        Kf__SlaClock *k = escalation_clock (c, t);
        if (!p || !k || k->met_at_ms || k->stopped)
            continue;
        kf_sla_limit_format (&limit, rule, sizeof rule);
        if (strcmp (k->policy, escalation_policy_names [p->index]) == 0 && strcmp (k->rule, rule) == 0)
            continue;
        bool fresh = t == S_RESOLUTION && p->index == S_POLICY_RECTIFICATION && c->rectification_at_ms;
        bool running = escalation_running (k);
        int64_t start = fresh ? c->rectification_at_ms : k->started_at_ms;
        int64_t used = escalation_used_at (x->estate, k, at);
        if (fresh || (bool) k->working_hours != p->working)
            used = kf_sla_between (p->working ? x->estate->estate->calendar : NULL, start, at);
        s_clock_limit (x, k, p, &limit, start);
        KF_SET (k, used_ms, used);
        if (running)
            escalation_run_from (x->estate, k, at);
        else
            KF_SET (k, deadline_ms, kf_sla_add (s_working (x->estate, k), at, k->limit_ms - used));
        //  Alerts already sent stand only if the new limit has been used as far.
        int64_t share = s_warning_share (x->self, k);
        if (k->warned && used < share)
            KF_SET (k, warned, 0);
        if (k->breached && used < k->limit_ms) {
            KF_SET (k, breached, 0);
            escalation_outcome_drop (x, k);
        }
        escalation_history (x, at, "%s now %s (%s), due %s", escalation_target_keys [t], k->rule, k->policy,
                            escalation_local (x, k->deadline_ms, when, sizeof when));
    }
}
