/*  escalation_deadline — deadlines other daemons hold things to (deadline.*:
    a vacant unit's inspection, the registry's), each kept as a case of its
    own so that it is warned, breached and raised level by level by the
    same clocks, timers, board and chain as a ticket's targets.

    A deadline's case has no ticket: its key is "<estate>:<subject>" (a
    ticket number has no ':'), its one clock is the resolution target with
    the deadline's own length (from since_ms to due_ms, calendar time: the
    producer has already put it on the estate's calendar), and its policy is
    "deadline" with the kind as its rule. deadline.set opens it or starts
    its next cycle (a new round, the chain from the bottom again),
    deadline.met closes it, deadline.dropped withdraws it. Deadlines are not
    cases of the on-time rate: they are on the board and in the chain. See
    escalation_private.h.
*/
#include "escalation_private.h"

#define S_POLICY "deadline"

//  The case of a deadline: "<estate>:<subject>", or NULL when it names none.
static const char *
s_case_id (const Kf__Envelope *event, const Kf__Deadline *d, char *id, size_t size)
{
    if (!d->subject || !*d->subject || !event->estate || strchr (event->estate, ':'))
        return NULL;
    int n = snprintf (id, size, "%s:%s", event->estate, d->subject);
    return n > 0 && (size_t) n < size ? id : NULL;
}

//  The cycle's one clock: due at due_ms, its length the period since since_ms.
static int
s_start_cycle (escalation_ctx_t *x, const Kf__Deadline *d, int64_t at)
{
    Kf__SlaCase *c = x->c;
    Kf__SlaClock *k = (Kf__SlaClock *) kf_arena_message (x->arena, &kf__sla_clock__descriptor);
    Kf__SlaClock **clocks = kf_arena_alloc (x->arena, sizeof *clocks);
    char clock_id [S_TIMER_ID], kind [48], when [40];
    snprintf (clock_id, sizeof clock_id, "%s/%s", c->case_id, escalation_target_keys [S_RESOLUTION]);
    kf_enum_short_name (&kf__deadline_kind__descriptor, d->kind, kind, sizeof kind);
    if (!k || !clocks || !(k->clock_id = kf_arena_strdup (x->arena, clock_id))
    ||  !(k->rule = kf_arena_strdup (x->arena, kind)))
        return kf_txn_fail (x->txn, "out of memory");
    int64_t since = d->since_ms && d->since_ms < d->due_ms ? d->since_ms : at < d->due_ms ? at : d->due_ms;
    k->estate = c->estate;
    k->policy = S_POLICY;
    KF_SET (k, target, KF__SLA_TARGET__SLA_TARGET_RESOLUTION);
    KF_SET (k, working_hours, 0);
    KF_SET (k, started_at_ms, since);
    KF_SET (k, limit_ms, d->due_ms - since);
    KF_SET (k, used_ms, 0);
    escalation_run_from (x->estate, k, since);
    clocks [0] = k;
    c->clocks = clocks;
    c->n_clocks = 1;
    c->deadline = (Kf__Deadline *) d;
    c->handler = d->handler;
    KF_SET (c, department, d->department);
    KF_SET (c, status, KF__TICKET_STATUS__TICKET_STATUS_OPEN);
    KF_SET (c, level, 0);
    KF_SET (c, next_level_at_ms, 0);
    escalation_history (x, at, "round %u: %s due %s (%s)", c->round, kind,
                        escalation_local (x, d->due_ms, when, sizeof when), d->what ? d->what : d->subject);
    return 0;
}

static void
s_end_cycle (escalation_ctx_t *x, int64_t at, bool met, const char *why)
{
    Kf__SlaCase *c = x->c;
    for (size_t i = 0; i < c->n_clocks; i++) {
        if (met)
            escalation_meet (x, c->clocks [i], at);
        escalation_stop (x, c->clocks [i], at);
    }
    KF_SET (c, status, met ? KF__TICKET_STATUS__TICKET_STATUS_CLOSED : KF__TICKET_STATUS__TICKET_STATUS_CANCELLED);
    escalation_history (x, at, "%s", why);
}

int
escalation_deadline_apply (escalation_ctx_t *x, const Kf__Envelope *event, int64_t at)
{
    const Kf__Deadline *d = (const Kf__Deadline *) kf_event_body (event);
    char id [S_TIMER_ID];
    const char *case_id = d ? s_case_id (event, d, id, sizeof id) : NULL;
    bool set = event->body_case == KF__ENVELOPE__BODY_DEADLINE_SET;
    if (!case_id) {
        kf_warning ("%s: a %s names no subject: ignored", event->estate ? event->estate : "?",
                    set ? "deadline.set" : "deadline's end");
        return 0;
    }
    if (set && (!d->due_ms || d->kind == KF__DEADLINE_KIND__DEADLINE_KIND_UNSPECIFIED)) {
        kf_warning ("%s: deadline.set for %s has no due time or kind: ignored", event->estate, d->subject);
        return 0;
    }
    x->c = escalation_case_get (x->self, x->txn, case_id, x->arena);
    if (!kf_txn_ok (x->txn))
        return -1;
    if (!x->c && !set)
        return 0;   //  ended before this store began
    if (!x->c) {
        x->c = (Kf__SlaCase *) kf_arena_message (x->arena, &kf__sla_case__descriptor);
        if (!x->c || !(x->c->case_id = kf_arena_strdup (x->arena, case_id)))
            return kf_txn_fail (x->txn, "out of memory");
        x->c->estate = event->estate;
        KF_SET (x->c, filed_at_ms, at);
        KF_SET (x->c, round, 1);
        if (s_start_cycle (x, d, at))
            return -1;
    }
    else {
        escalation_unindex (x);
        bool open = x->c->status == KF__TICKET_STATUS__TICKET_STATUS_OPEN;
        if (set) {
            //  The next cycle: what was still owed of this one ends unmet.
            if (open)
                s_end_cycle (x, at, false, "the next cycle began before this one was met");
            KF_SET (x->c, round, x->c->round + 1);
            if (s_start_cycle (x, d, at))
                return -1;
        }
        else
        if (open && event->body_case == KF__ENVELOPE__BODY_DEADLINE_MET)
            s_end_cycle (x, at, true, "met: done");
        else
        if (open)
            s_end_cycle (x, at, false, "dropped: no longer owed");
        escalation_settle (x);
    }
    //  Time may already have passed its warning or its deadline (a deadline
    //  announced late, a replay): the clock's timer fires on the next tick.
    escalation_index (x);
    escalation_case_put (x);
    return kf_txn_ok (x->txn) ? 0 : -1;
}
