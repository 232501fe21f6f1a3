/*  survey_visits — return visits: scheduled after a completed order or a
    closed ticket within the standard's 2, 3 or 7 days, merged and spared
    for a household visited lately, answered, listed. See survey_private.h.
*/
#include "survey_private.h"

//  ---- visits -------------------------------------------------------------------------------

Kf__Visit *
survey_visit_get (survey_t *self, kf_txn_t *txn, const char *visit_id, kf_arena_t *arena)
{
    kf_key_t key;
    if (!visit_id || kf_key_make (&key, "s", visit_id))
        return NULL;
    return (Kf__Visit *) kf_txn_find_msg_in (txn, self->visits, &key, &kf__visit__descriptor, arena);
}

//  The visit and its indexes: pending ones are listed and timed.
void
survey_visit_put (survey_t *self, kf_txn_t *txn, const Kf__Visit *v)
{
    const Kf__VisitScheduled *s = v->scheduled;
    kf_key_t key, pending;
    kf_key_make (&key, "s", s->visit_id);
    kf_txn_put_msg (txn, self->visits, &key, &v->base);
    kf_key_make (&pending, "s|t|s", v->estate, -s->due_at_ms, s->visit_id);
    if (v->done || v->overdue)
        kf_timers_disarm (txn, self->visit_timers, s->due_at_ms, s->visit_id);
    else
        kf_timers_arm (txn, self->visit_timers, s->due_at_ms, s->visit_id);
    if (v->done)
        kf_txn_del (txn, self->pending, &pending);
    else
        kf_txn_put (txn, self->pending, &pending, "", 0);
}

typedef struct {
    survey_t *self;
    int64_t since_ms;          //  fatigue: visits scheduled from here on count
    uint32_t recent;
    char pending_id [S_ID_MAX];
    kf_arena_t *arena;
} s_household_t;

static int
s_household_visit (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) value;
    s_household_t *h = arg;
    char estate [KF_ID_MAX + 1], unit [S_UNIT_MAX + 1], visit_id [S_ID_MAX];
    int64_t scheduled;
    if (kf_key_scan (key.data, key.size, "s|s|t|s", estate, sizeof estate, unit, sizeof unit, &scheduled, visit_id,
                     sizeof visit_id))
        return kf_txn_fail (txn, "a household visit key does not parse");
    if (scheduled >= h->since_ms)
        h->recent++;
    Kf__Visit *v = survey_visit_get (h->self, txn, visit_id, h->arena);
    if (v && !v->done)
        snprintf (h->pending_id, sizeof h->pending_id, "%s", visit_id);
    return kf_txn_ok (txn) ? 0 : -1;
}


//  A return visit for a finished case: merged into one still pending for
//  the household, not made when it has had its visits for 30 days, else
//  scheduled by the window of its kind.
void
survey_schedule (survey_t *self, kf_txn_t *txn, int64_t now_ms, const survey_estate_t *e, const survey_visit_for_t *f,
                 const char *causation, kf_arena_t *arena)
{
    if (!f->unit || !kf_unit_valid (f->unit) || !f->ticket_no)
        return;
    s_household_t h = { .self = self, .since_ms = f->done_at_ms - 30 * S_DAY_MS, .arena = arena };
    kf_key_t prefix;
    kf_key_make (&prefix, "s|s|", e->estate->id, f->unit);
    if (kf_txn_scan (txn, self->by_unit, &prefix, s_household_visit, &h) < 0)
        return;
    if (h.pending_id [0]) {
        Kf__Visit *v = survey_visit_get (self, txn, h.pending_id, arena);
        if (!v)
            return;
        for (size_t i = 0; i < v->n_merged_tickets; i++)
            if (strcmp (v->merged_tickets [i], f->ticket_no) == 0)
                return;
        if (strcmp (v->scheduled->ticket_no, f->ticket_no) != 0) {
            char **grown = kf_arena_alloc (arena, (v->n_merged_tickets + 1) * sizeof *grown);
            if (!grown) {
                kf_txn_fail (txn, "out of memory");
                return;
            }
            if (v->n_merged_tickets)
                memcpy (grown, v->merged_tickets, v->n_merged_tickets * sizeof *grown);
            grown [v->n_merged_tickets++] = (char *) f->ticket_no;
            v->merged_tickets = grown;
        }
        survey_visit_put (self, txn, v);
        Kf__VisitMerged merged = KF__VISIT_MERGED__INIT;
        merged.visit_id = h.pending_id;
        merged.ticket_no = (char *) f->ticket_no;
        merged.order_no = (char *) f->order_no;
        Kf__Envelope event = KF__ENVELOPE__INIT;
        event.body_case = KF__ENVELOPE__BODY_VISIT_MERGED;
        event.visit_merged = &merged;
        kf_emit (self->base.outbox, txn, now_ms, e->estate->id, &event, causation);
        return;
    }
    if (h.recent >= e->max_contacts) {
        kf_notice ("%s: no return visit for %s: household %s had %u in 30 days", e->estate->id, f->ticket_no, f->unit,
                   h.recent);
        return;
    }
    int64_t window = f->reason == KF__VISIT_REASON__VISIT_REASON_AFTER_COMPLAINT ? e->complaint_ms
                   : f->category > 0 && f->category < S_CATEGORIES && e->safety [f->category] ? e->safety_ms
                   : f->category > 0 && f->category < S_CATEGORIES && e->leak [f->category] ? e->leak_ms
                   : e->other_ms;
    kf_key_t counter;
    kf_key_make (&counter, "s|s", "visits", f->ticket_no);
    char visit_id [S_ID_MAX];
    snprintf (visit_id, sizeof visit_id, "%s-V%" PRIu64, f->ticket_no, kf_txn_next (txn, self->counters, &counter));
    Kf__VisitScheduled s = KF__VISIT_SCHEDULED__INIT;
    s.visit_id = visit_id;
    s.ticket_no = (char *) f->ticket_no;
    s.order_no = (char *) f->order_no;
    s.unit = (char *) f->unit;
    KF_SET (&s, reason, f->reason);
    KF_SET (&s, due_at_ms, f->done_at_ms + window);
    KF_SET (&s, category, f->category);
    KF_SET (&s, department, f->department);
    s.staff_id = (char *) f->staff_id;
    Kf__Visit v = KF__VISIT__INIT;
    v.scheduled = &s;
    v.estate = (char *) e->estate->id;
    KF_SET (&v, attempts, 0);
    KF_SET (&v, scheduled_at_ms, f->done_at_ms);
    survey_visit_put (self, txn, &v);
    kf_key_t key;
    kf_key_make (&key, "s|t|s", e->estate->id, -s.due_at_ms, visit_id);
    kf_txn_put (txn, self->by_estate, &key, "", 0);
    survey_tally_due (self, txn, e->estate->id, s.due_at_ms, false);
    kf_key_make (&key, "s|s|t|s", e->estate->id, f->unit, f->done_at_ms, visit_id);
    kf_txn_put (txn, self->by_unit, &key, "", 0);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_VISIT_SCHEDULED;
    event.visit_scheduled = &s;
    kf_emit (self->base.outbox, txn, now_ms, e->estate->id, &event, causation);
}

int
survey_answer (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
               kf_arena_t *arena)
{
    const Kf__AnswerVisit *q = request->answer_visit;
    Kf__Visit *v = survey_visit_get (self, txn, q->visit_id, arena);
    if (!v || !kf_request_sees_unit (request, v->estate, v->scheduled ? v->scheduled->unit : NULL))
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no visit '%s'", q->visit_id ? q->visit_id : "") : -1;
    const survey_estate_t *e = survey_estate (self, v->estate);
    if (!e)
        return KF_NOT_FOUND ("no visit '%s'", q->visit_id);
    if (v->done)
        return KF_CONFLICT ("visit %s is done already", q->visit_id);
    if (request->role == KF__ROLE__ROLE_TECHNICIAN)
        return KF_FORBIDDEN ("a technician does not record return visits of work");
    //  An owner answering is reached: a call that did not reach them is the staff's to record.
    if (request->role == KF__ROLE__ROLE_OWNER && !q->reached)
        return KF_BAD ("an owner's answer is reached: true, with their satisfaction");
    const Kf__VisitScheduled *s = v->scheduled;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    if (!q->reached) {
        KF_SET (v, attempts, v->attempts + 1);
        Kf__VisitAttempted a = KF__VISIT_ATTEMPTED__INIT;
        a.visit_id = s->visit_id;
        a.ticket_no = s->ticket_no;
        KF_SET (&a, attempt, v->attempts);
        a.note = q->comment;
        a.staff_id = request->actor;
        KF_SET (&a, gave_up, v->attempts >= e->attempts);
        if (a.gave_up) {
            KF_SET (v, done, 1);
            KF_SET (v, gave_up, 1);
            KF_SET (v, answered_at_ms, now_ms);
        }
        event.body_case = KF__ENVELOPE__BODY_VISIT_ATTEMPTED;
        event.visit_attempted = &a;
        kf_emit (self->base.outbox, txn, now_ms, v->estate, &event, NULL);
        survey_visit_put (self, txn, v);
        reply->result_case = KF__REPLY__RESULT_VISIT;
        reply->visit = v;
        return kf_txn_ok (txn) ? 0 : -1;
    }
    if (!kf_enum_known (&kf__satisfaction__descriptor, q->has_satisfaction, q->satisfaction) || !q->satisfaction)
        return KF_BAD ("satisfaction is satisfied, fairly_satisfied or unsatisfied");
    if (q->score < 1 || q->score > 5)
        return KF_BAD ("score is 1 (worst) to 5 (best)");
    kf_err_t err;
    if (q->comment && kf_text_check ("comment", q->comment, SURVEY_TEXT_MAX, &err))
        return KF_BAD ("%s", err.text);
    Kf__VisitCompleted *c = (Kf__VisitCompleted *) kf_arena_message (arena, &kf__visit_completed__descriptor);
    if (!c)
        return kf_txn_fail (txn, "out of memory");
    c->visit_id = s->visit_id;
    c->ticket_no = s->ticket_no;
    c->order_no = s->order_no;
    KF_SET (c, satisfaction, q->satisfaction);
    KF_SET (c, score, q->score);
    c->comment = q->comment;
    c->visited_by = request->actor;
    KF_SET (c, department, s->department);
    KF_SET (c, category, s->category);
    c->technician_id = s->staff_id;
    KF_SET (c, on_time, now_ms <= s->due_at_ms);
    KF_SET (v, attempts, v->attempts + 1);
    KF_SET (v, done, 1);
    KF_SET (v, answered_at_ms, now_ms);
    v->result = c;
    survey_visit_put (self, txn, v);
    kf_key_t key;
    kf_key_make (&key, "s|t|s", v->estate, now_ms, s->visit_id);
    kf_txn_put_msg (txn, self->outcomes, &key, &c->base);
    survey_tally_answer (self, txn, v->estate, now_ms, c);
    if (c->on_time)
        survey_tally_due (self, txn, v->estate, s->due_at_ms, true);
    survey_count (self, txn, e, now_ms, D_VISITS_DONE, self->base.scratch);
    if (q->satisfaction != KF__SATISFACTION__SATISFACTION_UNSATISFIED)
        survey_count (self, txn, e, now_ms, D_VISITS_SATISFIED, self->base.scratch);
    event.body_case = KF__ENVELOPE__BODY_VISIT_COMPLETED;
    event.visit_completed = c;
    event.actor = request->actor;
    kf_emit (self->base.outbox, txn, now_ms, v->estate, &event, NULL);
    if (q->satisfaction == KF__SATISFACTION__SATISFACTION_UNSATISFIED) {
        //  Dispatch opens the rectification order, intake reopens the ticket.
        Kf__VisitUnsatisfied u = KF__VISIT_UNSATISFIED__INIT;
        u.visit_id = s->visit_id;
        u.ticket_no = s->ticket_no;
        u.order_no = s->order_no;
        KF_SET (&u, department, s->department);
        KF_SET (&u, category, s->category);
        u.unit = s->unit;
        u.comment = q->comment;
        Kf__Envelope unsatisfied = KF__ENVELOPE__INIT;
        unsatisfied.body_case = KF__ENVELOPE__BODY_VISIT_UNSATISFIED;
        unsatisfied.visit_unsatisfied = &u;
        unsatisfied.actor = request->actor;
        kf_emit (self->base.outbox, txn, now_ms, v->estate, &unsatisfied, NULL);
        survey_problem (self, txn, v->estate, now_ms, s->category, s->visit_id);
    }
    reply->result_case = KF__REPLY__RESULT_VISIT;
    reply->visit = v;
    return kf_txn_ok (txn) ? 0 : -1;
}

//  Whether a visit is a ticket's: its own, or merged into it.
static bool
s_visit_of (const Kf__Visit *v, const char *ticket_no)
{
    if (v->scheduled && v->scheduled->ticket_no && strcmp (v->scheduled->ticket_no, ticket_no) == 0)
        return true;
    for (size_t i = 0; i < v->n_merged_tickets; i++)
        if (strcmp (v->merged_tickets [i], ticket_no) == 0)
            return true;
    return false;
}

typedef struct {
    survey_t *self;
    const Kf__ListVisits *query;
    Kf__VisitList *list;
    kf_arena_t *arena;
    const Kf__Request *request;   //  an owner's sees their unit's visits only
} s_visits_t;

static int
s_visit_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, bool show, void *arg)
{
    (void) value;
    s_visits_t *l = arg;
    char estate [KF_ID_MAX + 1], visit_id [S_ID_MAX];
    int64_t minus_due;
    if (kf_key_scan (key.data, key.size, "s|t|s", estate, sizeof estate, &minus_due, visit_id, sizeof visit_id))
        return kf_txn_fail (txn, "a visit key does not parse");
    //  Soonest due first: past the bound, nothing further matches.
    if (l->query->has_due_before_ms && l->query->due_before_ms && -minus_due >= l->query->due_before_ms)
        return 2;
    const char *ticket_no = l->query->ticket_no && *l->query->ticket_no ? l->query->ticket_no : NULL;
    bool owner = l->request->role == KF__ROLE__ROLE_OWNER;
    if (!show && !ticket_no && !owner)
        return 1;
    Kf__Visit *v = survey_visit_get (l->self, txn, visit_id, l->arena);
    if (!v)
        return kf_txn_ok (txn) ? kf_txn_fail (txn, "index names visit %s, which is not there", visit_id) : -1;
    if (!kf_request_sees_unit (l->request, v->estate, v->scheduled ? v->scheduled->unit : NULL))
        return 0;
    if (ticket_no && !s_visit_of (v, ticket_no))
        return 0;
    if (show)
        l->list->visits [l->list->n_visits++] = v;
    return 1;
}

int
survey_list_visits (survey_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ListVisits *q = request->list_visits;
    const survey_estate_t *e = survey_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    uint32_t size = kf_page_size (q->page, SURVEY_PAGE_DEFAULT, SURVEY_PAGE_MAX);
    s_visits_t l = { self, q, (Kf__VisitList *) kf_arena_message (arena, &kf__visit_list__descriptor), arena,
                     request };
    if (!l.list || !(l.list->visits = kf_arena_alloc (arena, size * sizeof *l.list->visits)))
        return kf_txn_fail (txn, "out of memory");
    kf_key_t prefix, top;
    kf_key_make (&prefix, "s|", e->estate->id);
    kf_key_make (&top, "s|t", e->estate->id, INT64_MAX);
    kf_page_t page;
    int rc = kf_page_walk (txn, q->pending_only ? self->pending : self->by_estate, &prefix, &top, q->page, size,
                           s_visit_row, &l, arena, &page);
    if (kf_page_result (rc, reply, arena))
        return -1;
    KF_SET (l.list, total, page.total);
    l.list->next_page_token = page.next_token;
    reply->result_case = KF__REPLY__RESULT_VISITS;
    reply->visits = l.list;
    return 0;
}
