/*  escalation_events — the events escalation consumes (tickets, orders,
    visits, rotas) and what each does to a case. See escalation_private.h.
*/
#include "escalation_private.h"

//  ---- consumed events -------------------------------------------------------------------------

static bool
s_remove_string (char **list, size_t *n, const char *value)
{
    for (size_t i = 0; value && i < *n; i++)
        if (strcmp (list [i], value) == 0) {
            memmove (list + i, list + i + 1, (*n - i - 1) * sizeof *list);
            (*n)--;
            return true;
        }
    return false;
}

static void
s_resume_all (escalation_ctx_t *x, int64_t at)
{
    for (size_t i = 0; i < x->c->n_clocks; i++) {
        Kf__SlaClock *k = x->c->clocks [i];
        if (k->paused && !k->met_at_ms && !k->stopped) {
            KF_SET (k, paused, 0);
            escalation_run_from (x->estate, k, at > k->started_at_ms ? at : k->started_at_ms);
        }
    }
}

static void
s_on_paused (escalation_ctx_t *x, const Kf__OrderPaused *o, int64_t at)
{
    Kf__SlaCase *c = x->c;
    bool any = false;
    for (size_t i = 0; i < c->n_clocks; i++) {
        Kf__SlaClock *k = c->clocks [i];
        const escalation_policy_t *p = escalation_policy_named (x->estate, k->policy);
        if (!escalation_running (k) || !p || !escalation_in (p->pause_for, S_PAUSES, o->reason))
            continue;
        KF_SET (k, used_ms, escalation_used_at (x->estate, k, at));
        KF_SET (k, running_since_ms, 0);
        KF_SET (k, paused, 1);
        any = true;
    }
    if (!any || !o->order_no)
        return;
    char **grown = kf_arena_alloc (x->arena, (c->n_paused_orders + 1) * sizeof *grown);
    if (!grown) {
        kf_txn_fail (x->txn, "out of memory");
        return;
    }
    if (c->n_paused_orders)
        memcpy (grown, c->paused_orders, c->n_paused_orders * sizeof *grown);
    grown [c->n_paused_orders++] = o->order_no;
    c->paused_orders = grown;
    escalation_history (x, at, "clocks paused: %s %s", o->order_no,
                        kf_summary_string (&o->base, "note") ? kf_summary_string (&o->base, "note") : "");
}

static void
s_on_order_gone (escalation_ctx_t *x, const char *order_no, int64_t at, const char *what)
{
    Kf__SlaCase *c = x->c;
    if (!s_remove_string (c->paused_orders, &c->n_paused_orders, order_no) || c->n_paused_orders)
        return;
    s_resume_all (x, at);
    escalation_history (x, at, "clocks run again: %s %s", order_no, what);
}

static void
s_handled_by (escalation_ctx_t *x, Kf__Department department, int64_t at)
{
    Kf__SlaCase *c = x->c;
    if (department)
        KF_SET (c, department, department);
    if (department && department != KF__DEPARTMENT__DEPARTMENT_CUSTOMER_SERVICE && !c->transferred) {
        KF_SET (c, transferred, 1);
        escalation_retarget (x, at);
    }
}

static void
s_on_closed (escalation_ctx_t *x, int64_t at)
{
    Kf__SlaCase *c = x->c;
    for (size_t i = 0; i < c->n_clocks; i++) {
        escalation_meet (x, c->clocks [i], at);
        escalation_stop (x, c->clocks [i], at);
    }
    KF_SET (c, status, KF__TICKET_STATUS__TICKET_STATUS_CLOSED);
    c->n_paused_orders = 0;
    escalation_complaint_state (x, '1');
    escalation_history (x, at, "closed: clocks stopped");
}

//  A withdrawn case does not count: its open targets leave the reports.
static void
s_on_cancelled (escalation_ctx_t *x, int64_t at)
{
    Kf__SlaCase *c = x->c;
    for (size_t i = 0; i < c->n_clocks; i++) {
        Kf__SlaClock *k = c->clocks [i];
        if (!k->met_at_ms)
            escalation_outcome_drop (x, k);
        escalation_stop (x, k, at);
    }
    KF_SET (c, status, KF__TICKET_STATUS__TICKET_STATUS_CANCELLED);
    c->n_paused_orders = 0;
    escalation_complaint_state (x, 0);
    escalation_history (x, at, "cancelled: clocks stopped");
}

static void
s_on_reopened (escalation_ctx_t *x, const Kf__TicketReopened *r, int64_t at)
{
    Kf__SlaCase *c = x->c;
    if (c->status == KF__TICKET_STATUS__TICKET_STATUS_OPEN)
        return;
    for (size_t i = 0; i < c->n_clocks; i++)
        escalation_stop (x, c->clocks [i], at);
    KF_SET (c, status, KF__TICKET_STATUS__TICKET_STATUS_OPEN);
    KF_SET (c, reopen_count, r->reopen_count ? r->reopen_count : c->reopen_count + 1);
    KF_SET (c, round, c->round + 1);
    //  Only the reopening that follows an unsatisfied visit is a rectification.
    if (!kf_reopened_after_visit (r))
        KF_SET (c, rectification_at_ms, 0);
    c->n_paused_orders = 0;
    escalation_complaint_state (x, '0');
    escalation_history (x, at, "reopened (%u): %s", c->reopen_count, r->reason ? r->reason : "");
    escalation_start_round (x, at);
    if (c->reopen_count >= x->self->reopens_to_supervisor && c->level < 2) {
        char reason [48];
        snprintf (reason, sizeof reason, "reopened %u times", c->reopen_count);
        escalation_raise (x, 2, KF__SLA_TARGET__SLA_TARGET_UNSPECIFIED, reason, at);
    }
}

//  An emergency nobody can take (nobody of the department on shift or on
//  call) goes to the supervisor and the deputy GM at once: DESIGN.md §5.
static void
s_on_queued (escalation_ctx_t *x, const Kf__OrderQueued *q, int64_t at)
{
    Kf__SlaCase *c = x->c;
    if (c->priority != KF__PRIORITY__PRIORITY_EMERGENCY || c->status != KF__TICKET_STATUS__TICKET_STATUS_OPEN
    ||  c->level >= 3)
        return;
    char reason [200];
    snprintf (reason, sizeof reason, "emergency with nobody to take it (%s)", q->reason ? q->reason : "queued");
    escalation_history (x, at, "%s: supervisor and deputy GM at once", reason);
    if (c->level < 2)
        escalation_raise (x, 2, KF__SLA_TARGET__SLA_TARGET_UNSPECIFIED, reason, at);
    escalation_raise (x, 3, KF__SLA_TARGET__SLA_TARGET_UNSPECIFIED, reason, at);
}

static void
s_on_unsatisfied (escalation_ctx_t *x, int64_t at)
{
    Kf__SlaCase *c = x->c;
    KF_SET (c, rectification_at_ms, at);
    escalation_history (x, at, "unsatisfied return visit: rectification due by the rectification policy");
    if (c->status == KF__TICKET_STATUS__TICKET_STATUS_OPEN)
        escalation_retarget (x, at);
}

static void
s_apply (escalation_ctx_t *x, const Kf__Envelope *event, int64_t at)
{
    Kf__SlaCase *c = x->c;
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_TICKET_CLOSED:
            if (c->status == KF__TICKET_STATUS__TICKET_STATUS_OPEN)
                s_on_closed (x, at);
            break;
        case KF__ENVELOPE__BODY_TICKET_CANCELLED:
            if (c->status != KF__TICKET_STATUS__TICKET_STATUS_CANCELLED)
                s_on_cancelled (x, at);
            break;
        case KF__ENVELOPE__BODY_TICKET_REOPENED:
            s_on_reopened (x, event->ticket_reopened, at);
            break;
        case KF__ENVELOPE__BODY_ORDER_CREATED:
            c->handler = NULL;   //  a new order (a transfer, a rectification): nobody holds it yet
            s_handled_by (x, event->order_created->department, at);
            break;
        case KF__ENVELOPE__BODY_ORDER_QUEUED:
            c->handler = NULL;
            s_on_queued (x, event->order_queued, at);
            break;
        case KF__ENVELOPE__BODY_ORDER_ASSIGNED:
            c->handler = event->order_assigned->staff_id;
            if (event->order_assigned->department)
                s_handled_by (x, event->order_assigned->department, at);
            break;
        case KF__ENVELOPE__BODY_ORDER_ACCEPTED:
            escalation_meet (x, escalation_clock (c, S_FIRST_RESPONSE), at);
            break;
        case KF__ENVELOPE__BODY_ORDER_STARTED:
            escalation_meet (x, escalation_clock (c, S_FIRST_RESPONSE), at);
            escalation_meet (x, escalation_clock (c, S_ON_SITE), at);
            break;
        case KF__ENVELOPE__BODY_ORDER_PAUSED:
            s_on_paused (x, event->order_paused, at);
            break;
        case KF__ENVELOPE__BODY_ORDER_RESUMED:
            s_on_order_gone (x, event->order_resumed->order_no, at, "resumed");
            break;
        case KF__ENVELOPE__BODY_ORDER_COMPLETED:
            for (int t = 0; t < S_TARGETS; t++)
                escalation_meet (x, escalation_clock (c, t), at);
            break;
        case KF__ENVELOPE__BODY_ORDER_TRANSFERRED: {
            char name [48];
            kf_enum_short_name (&kf__department__descriptor, event->order_transferred->to_department, name,
                                sizeof name);
            escalation_history (x, at, "transferred to %s", name);
            c->handler = NULL;
            s_handled_by (x, event->order_transferred->to_department, at);
            break;
        }
        case KF__ENVELOPE__BODY_ORDER_CANCELLED:
            s_on_order_gone (x, event->order_cancelled->order_no, at, "cancelled");
            break;
        case KF__ENVELOPE__BODY_VISIT_UNSATISFIED:
            s_on_unsatisfied (x, at);
            break;
        default:
            break;
    }
}

static int
s_on_filed (escalation_ctx_t *x, const Kf__Envelope *event, int64_t at)
{
    const Kf__TicketFiled *f = event->ticket_filed;
    if (escalation_case_get (x->self, x->txn, f->ticket_no, x->arena))
        return 0;   //  filed once; a second filing under the same number is not ours to judge
    if (!kf_txn_ok (x->txn))
        return -1;
    Kf__SlaCase *c = (Kf__SlaCase *) kf_arena_message (x->arena, &kf__sla_case__descriptor);
    if (!c)
        return kf_txn_fail (x->txn, "out of memory");
    x->c = c;
    c->ticket_no = f->ticket_no;
    c->estate = event->estate;
    KF_SET (c, type, f->type);
    KF_SET (c, category, f->category);
    KF_SET (c, channel, f->channel);
    KF_SET (c, priority, f->priority);
    c->hazards = f->hazards;
    c->n_hazards = f->n_hazards;
    c->filed_by = f->filed_by;
    KF_SET (c, status, KF__TICKET_STATUS__TICKET_STATUS_OPEN);
    KF_SET (c, round, 1);
    KF_SET (c, filed_at_ms, at);
    escalation_start_round (x, at);
    escalation_complaint_state (x, '0');
    escalation_index (x);
    escalation_case_put (x);
    return kf_txn_ok (x->txn) ? 0 : -1;
}

int
escalation_apply_event (escalation_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    assert (self && txn && event);
    escalation_tables (self, txn);
    kf_arena_reset (self->base.scratch);
    escalation_ctx_t x = {
        .self = self, .txn = txn, .now_ms = now_ms, .causation = event->event_id, .arena = self->base.scratch
    };
    int64_t at = kf_event_time (event, now_ms);
    const ProtobufCMessage *body = kf_event_body (event);
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_TICKET_FILED:
        case KF__ENVELOPE__BODY_TICKET_CLOSED:
        case KF__ENVELOPE__BODY_TICKET_CANCELLED:
        case KF__ENVELOPE__BODY_TICKET_REOPENED:
        case KF__ENVELOPE__BODY_ORDER_CREATED:
        case KF__ENVELOPE__BODY_ORDER_QUEUED:
        case KF__ENVELOPE__BODY_ORDER_ASSIGNED:
        case KF__ENVELOPE__BODY_ORDER_ACCEPTED:
        case KF__ENVELOPE__BODY_ORDER_STARTED:
        case KF__ENVELOPE__BODY_ORDER_PAUSED:
        case KF__ENVELOPE__BODY_ORDER_RESUMED:
        case KF__ENVELOPE__BODY_ORDER_COMPLETED:
        case KF__ENVELOPE__BODY_ORDER_TRANSFERRED:
        case KF__ENVELOPE__BODY_ORDER_CANCELLED:
        case KF__ENVELOPE__BODY_VISIT_UNSATISFIED:
        case KF__ENVELOPE__BODY_STAFF_CHANGED:
            break;
        case KF__ENVELOPE__BODY_DEADLINE_SET:
        case KF__ENVELOPE__BODY_DEADLINE_MET:
        case KF__ENVELOPE__BODY_DEADLINE_DROPPED:
            if (!(x.estate = escalation_estate (self, event->estate)))
                return 0;
            return escalation_deadline_apply (&x, event, at);
        default:
            return 0;
    }
    if (event->body_case == KF__ENVELOPE__BODY_STAFF_CHANGED)
        return escalation_on_staff (self, txn, event);
    const char *ticket_no = body ? kf_summary_string (body, "ticket_no") : NULL;
    if (!ticket_no || !*ticket_no || !(x.estate = escalation_estate (self, event->estate)))
        return 0;   //  not a case of an estate this configuration knows
    if (event->body_case == KF__ENVELOPE__BODY_TICKET_FILED)
        return s_on_filed (&x, event, at);
    x.c = escalation_case_get (self, txn, ticket_no, x.arena);
    if (!x.c) {
        if (kf_txn_ok (txn))
            kf_debug ("%s for %s, a case filed before this store began: no clocks", "event", ticket_no);
        return kf_txn_ok (txn) ? 0 : -1;
    }
    escalation_unindex (&x);
    s_apply (&x, event, at);
    escalation_settle (&x);
    escalation_index (&x);
    escalation_case_put (&x);
    return kf_txn_ok (txn) ? 0 : -1;
}
