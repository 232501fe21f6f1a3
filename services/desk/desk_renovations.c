/*  desk_renovations — renovation (装修) on its real steps: the application
    with its plans and workers; the preliminary review (初审, a supervisor)
    then the second review (复审, a manager), both within the renovation
    policy's limit (sla/renovation/resolution, 2 working days by default:
    a deadline of escalation's from the submission, met by the last review);
    the permit and the workers' passes; while work is on, site patrols twice
    a day (desk/patrol_schedule: the estate's working days at 10:00 and
    15:00, kf_schedule), each due within
    desk/patrol_window (a deadline, and missed once when its window passes),
    each finding able to raise a violation of the unit; the completion
    inspection.

    The patrols are the shared timers' (table `site`): "<id>/S" at the next
    patrol's time opens it and arms the one after, "<id>/M<slot>" at its
    window's end marks it missed if nobody came. A timer arms the next from
    its own time, so after downtime every slot in between opens and closes
    in order, none doubled. See desk_private.h.
*/
#include "desk_private.h"
#include "kf_sla.h"
#include "kf_summary.h"
#include "kf_timers.h"

#define S_TEXT_MAX      1000
#define S_URLS_MAX      20
#define S_WORKERS_MAX   50
#define S_FINDINGS_MAX  20
#define S_PATROLS_MAX   1000     //  kept on the record (a year of work twice a day ...)
#define S_FIRE_MAX      1000
#define S_TIMER_SIZE    80
#define S_RECTIFY_MS    (3 * KF_MS_PER_DAY)   //  a patrol's violation is put right within three days

//  ---- records --------------------------------------------------------------------------

static Kf__Renovation *
s_get (desk_t *self, kf_txn_t *txn, const char *id, kf_arena_t *arena)
{
    return desk_record_get (txn, self->renovations, id, &kf__renovation__descriptor, arena);
}

static void
s_put (desk_t *self, kf_txn_t *txn, const Kf__Renovation *r)
{
    desk_record_put (txn, self->renovations, r->renovation_id, &r->base, self->by_submitted, self->unit_renovations,
                     r->estate, r->unit, r->submitted_at_ms);
}

static void
s_announce (desk_t *self, kf_txn_t *txn, int64_t at_ms, Kf__Envelope__BodyCase kind, Kf__Renovation *r,
            const char *actor)
{
    Kf__RenovationEvent body = KF__RENOVATION_EVENT__INIT;
    body.renovation = r;
    desk_emit (self, txn, at_ms, r->estate, kind, &body.base, actor);
}

static void
s_review_deadline (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Renovation *r, Kf__Envelope__BodyCase what)
{
    char subject [DESK_ID_SIZE + 16], text [200];
    snprintf (subject, sizeof subject, "renovation/%s", r->renovation_id);
    snprintf (text, sizeof text, "装修审核 review of %s (%s)", r->renovation_id, r->unit);
    desk_deadline (self, txn, now_ms, r->estate, subject, KF__DEADLINE_KIND__DEADLINE_KIND_RENOVATION_REVIEW, what,
                   r->submitted_at_ms, r->review_due_ms, r->unit, r->submitted_by, text);
}

static void
s_patrol_deadline (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Renovation *r, const Kf__RenovationPatrol *p,
                   Kf__Envelope__BodyCase what)
{
    char subject [DESK_ID_SIZE + 48], text [200];
    snprintf (subject, sizeof subject, "patrol/%s/%" PRId64, r->renovation_id, p->slot_ms);
    snprintf (text, sizeof text, "装修巡查 site patrol of %s (%s)", r->renovation_id, r->unit);
    desk_deadline (self, txn, now_ms, r->estate, subject, KF__DEADLINE_KIND__DEADLINE_KIND_RENOVATION_PATROL, what,
                   p->slot_ms, p->due_ms, r->unit, NULL, text);
}

static Kf__Renovation *
s_find (desk_t *self, kf_txn_t *txn, const desk_estate_t *e, const char *id, Kf__Reply *reply, kf_arena_t *arena)
{
    Kf__Renovation *r = id && *id ? s_get (self, txn, id, arena) : NULL;
    if (r && r->estate && strcmp (r->estate, e->estate->id) == 0)
        return r;
    if (kf_txn_ok (txn))
        KF_NOT_FOUND ("no renovation %s in %s", id ? id : "", e->estate->id);
    return NULL;
}

static int
s_reply (Kf__Reply *reply, Kf__Renovation *r, kf_txn_t *txn)
{
    if (!kf_txn_ok (txn))
        return -1;
    reply->result_case = KF__REPLY__RESULT_RENOVATION;
    reply->renovation = r;
    return 0;
}

//  ---- the patrols' times -----------------------------------------------------------------

//  The first patrol at or after `t`, on the estate's calendar.
static int64_t
s_next_slot (const desk_estate_t *e, int64_t t)
{
    return kf_schedule_next (&e->patrols, e->estate->calendar, t);
}

static void
s_timer_id (char *id, size_t size, const char *renovation_id, char what, int64_t slot)
{
    if (what == 'S')
        snprintf (id, size, "%s/S", renovation_id);
    else
        snprintf (id, size, "%s/M%" PRId64, renovation_id, slot);
}

//  ---- the application --------------------------------------------------------------------

static int
s_check (const Kf__Renovation *in, Kf__Reply *reply, kf_arena_t *arena)
{
    if (!desk_text_ok (in->applicant, DESK_NAME_MAX))
        return KF_BAD ("who applies? the owner's (or tenant's) name");
    if (!desk_text_ok (in->contractor, DESK_NAME_MAX))
        return KF_BAD ("the contractor (施工单位) is 1 to %d characters", DESK_NAME_MAX);
    if (!desk_text_ok (in->description, S_TEXT_MAX))
        return KF_BAD ("what is done: 1 to %d characters on one line", S_TEXT_MAX);
    if (in->n_plan_urls == 0 || in->n_plan_urls > S_URLS_MAX)
        return KF_BAD ("the plans: 1 to %d URLs", S_URLS_MAX);
    for (size_t i = 0; i < in->n_plan_urls; i++)
        if (!kf_url_valid (in->plan_urls [i], 500))
            return KF_BAD ("plan %zu is not an http(s) URL", i + 1);
    if (in->n_workers == 0 || in->n_workers > S_WORKERS_MAX)
        return KF_BAD ("the workers: 1 to %d, each with a name, the last four of an ID and a phone", S_WORKERS_MAX);
    for (size_t i = 0; i < in->n_workers; i++) {
        const Kf__RenovationWorker *w = in->workers [i];
        if (!desk_text_ok (w->name, DESK_NAME_MAX) || !w->id_last4 || strlen (w->id_last4) != 4
        ||  !w->phone || !kf_phone_valid (w->phone))
            return KF_BAD ("worker %zu needs a name, the last four characters of an ID (never more) and a phone", i + 1);
    }
    int64_t a, b;
    if (kf_yyyymmdd_to_day (in->start_date, &a) || kf_yyyymmdd_to_day (in->end_date, &b) || b < a || b - a > 366)
        return KF_BAD ("the planned dates: a start and an end within a year of it");
    return 0;
}

int
desk_submit_renovation (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                        kf_arena_t *arena)
{
    const Kf__Renovation *in = request->submit_renovation->renovation;
    if (!in)
        return KF_BAD ("the renovation is required");
    const desk_estate_t *e = desk_request_estate (self, request, in->estate, true, reply, arena);
    if (!e || s_check (in, reply, arena))
        return -1;
    const Kf__Person *person = desk_person_of (self, txn, e->estate->id, in->unit, in->applicant, reply, arena);
    if (!person)
        return -1;
    if (person->role == KF__PERSON_ROLE__PERSON_ROLE_MEMBER)
        return KF_BAD ("%s is a member of %s's household: the owner (or a tenant) applies", in->applicant, in->unit);
    Kf__Renovation *r = (Kf__Renovation *) kf_arena_message (arena, &kf__renovation__descriptor);
    if (!r)
        return kf_txn_fail (txn, "out of memory");
    *r = *in;
    r->estate = (char *) e->estate->id;
    if (!(r->renovation_id = desk_number (self, txn, e, "renovation", 'R', now_ms, arena)))
        return kf_txn_ok (txn) ? kf_txn_fail (txn, "out of memory") : -1;
    KF_SET (r, status, KF__RENOVATION_STATUS__RENOVATION_STATUS_SUBMITTED);
    KF_SET (r, submitted_at_ms, now_ms);
    r->submitted_by = request->actor;
    r->n_reviews = r->n_patrols = 0;
    r->has_started_at_ms = r->has_completed_at_ms = r->has_next_slot_ms = 0;
    r->has_patrols_done = r->has_patrols_missed = 0;
    r->completion_note = NULL;
    for (size_t i = 0; i < r->n_workers; i++)
        r->workers [i]->pass_no = NULL;
    //  Both reviews within the renovation policy's limit, on its hours.
    int64_t due = kf_sla_deadline (&e->review_limit, e->estate->calendar, e->review_working ? e->estate->calendar : NULL,
                                   e->cutoff_minute, now_ms);
    KF_SET (r, review_due_ms, due);
    //  The estate's deposit and fees, charged through billing with the permit.
    KF_SET (r, deposit_fen, e->deposit_fen);
    KF_SET (r, fees_fen, e->fees_fen);
    s_put (self, txn, r);
    s_announce (self, txn, now_ms, KF__ENVELOPE__BODY_RENOVATION_SUBMITTED, r, request->actor);
    if (due != INT64_MAX)
        s_review_deadline (self, txn, now_ms, r, KF__ENVELOPE__BODY_DEADLINE_SET);
    return s_reply (reply, r, txn);
}

//  ---- the reviews ----------------------------------------------------------------------

int
desk_review_renovation (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                        kf_arena_t *arena)
{
    const Kf__ReviewRenovation *q = request->review_renovation;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, true, reply, arena);
    if (!e)
        return -1;
    if (!q->approved && !desk_text_ok (q->reason, S_TEXT_MAX))
        return KF_BAD ("a refusal says why");
    if (q->reason && *q->reason && !desk_text_ok (q->reason, S_TEXT_MAX))
        return KF_BAD ("the reason is at most %d characters on one line", S_TEXT_MAX);
    Kf__Renovation *r = s_find (self, txn, e, q->renovation_id, reply, arena);
    if (!r)
        return -1;
    uint32_t step = r->status == KF__RENOVATION_STATUS__RENOVATION_STATUS_SUBMITTED ? 1
                  : r->status == KF__RENOVATION_STATUS__RENOVATION_STATUS_REVIEWED ? 2 : 0;
    if (!step)
        return KF_CONFLICT ("%s is %s: it has no review waiting", r->renovation_id,
                            r->status == KF__RENOVATION_STATUS__RENOVATION_STATUS_REJECTED ? "refused" : "approved");
    //  The preliminary review is a supervisor's (the engineering one), the
    //  second a manager's; one person does not review twice.
    if (step == 1 && request->role != KF__ROLE__ROLE_SUPERVISOR && request->role != KF__ROLE__ROLE_MANAGER)
        return KF_FORBIDDEN ("the preliminary review (初审) is a supervisor's");
    if (step == 2 && request->role != KF__ROLE__ROLE_MANAGER)
        return KF_FORBIDDEN ("%s passed its preliminary review: the second review (复审) is a manager's",
                             r->renovation_id);
    if (step == 2 && r->n_reviews && request->actor && r->reviews [0]->by && strcmp (r->reviews [0]->by, request->actor) == 0)
        return KF_FORBIDDEN ("%s reviewed it first: the second review is someone else's", request->actor);
    Kf__RenovationReview *v = (Kf__RenovationReview *) kf_arena_message (arena, &kf__renovation_review__descriptor);
    size_t room = r->n_reviews;
    if (!v || kf_arena_push (arena, (void ***) &r->reviews, &r->n_reviews, &room, v))
        return kf_txn_fail (txn, "out of memory");
    KF_SET (v, step, step);
    v->by = request->actor;
    KF_SET (v, at_ms, now_ms);
    KF_SET (v, approved, q->approved);
    v->reason = q->reason && *q->reason ? q->reason : NULL;
    Kf__Envelope__BodyCase kind;
    if (!q->approved) {
        KF_SET (r, status, KF__RENOVATION_STATUS__RENOVATION_STATUS_REJECTED);
        kind = KF__ENVELOPE__BODY_RENOVATION_REJECTED;
    }
    else
    if (step == 1) {
        KF_SET (r, status, KF__RENOVATION_STATUS__RENOVATION_STATUS_REVIEWED);
        kind = KF__ENVELOPE__BODY_RENOVATION_REVIEWED;
    }
    else {
        //  The permit is the application's number; a pass per worker.
        KF_SET (r, status, KF__RENOVATION_STATUS__RENOVATION_STATUS_APPROVED);
        for (size_t i = 0; i < r->n_workers; i++) {
            char pass [DESK_ID_SIZE + 8];
            snprintf (pass, sizeof pass, "%s-W%zu", r->renovation_id, i + 1);
            if (!(r->workers [i]->pass_no = kf_arena_strdup (arena, pass)))
                return kf_txn_fail (txn, "out of memory");
        }
        kind = KF__ENVELOPE__BODY_RENOVATION_APPROVED;
    }
    s_put (self, txn, r);
    s_announce (self, txn, now_ms, kind, r, request->actor);
    if ((step == 2 || !q->approved) && r->review_due_ms != INT64_MAX)
        s_review_deadline (self, txn, now_ms, r, KF__ENVELOPE__BODY_DEADLINE_MET);
    return s_reply (reply, r, txn);
}

//  ---- work on: the patrols ----------------------------------------------------------------

int
desk_start_renovation (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                       kf_arena_t *arena)
{
    const Kf__RenovationStep *q = request->start_renovation;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, true, reply, arena);
    if (!e)
        return -1;
    Kf__Renovation *r = s_find (self, txn, e, q->renovation_id, reply, arena);
    if (!r)
        return -1;
    if (r->status != KF__RENOVATION_STATUS__RENOVATION_STATUS_APPROVED)
        return KF_CONFLICT ("%s has no permit to start on: it is not approved by both reviews", r->renovation_id);
    KF_SET (r, status, KF__RENOVATION_STATUS__RENOVATION_STATUS_WORKING);
    KF_SET (r, started_at_ms, now_ms);
    KF_SET (r, patrols_done, 0);
    KF_SET (r, patrols_missed, 0);
    KF_SET (r, next_slot_ms, s_next_slot (e, now_ms));
    char id [S_TIMER_SIZE];
    s_timer_id (id, sizeof id, r->renovation_id, 'S', 0);
    if (r->next_slot_ms)
        kf_timers_arm (txn, self->site, r->next_slot_ms, id);
    s_put (self, txn, r);
    s_announce (self, txn, now_ms, KF__ENVELOPE__BODY_RENOVATION_STARTED, r, request->actor);
    return s_reply (reply, r, txn);
}

//  The patrol open now: its slot passed, its window not yet.
static Kf__RenovationPatrol *
s_open_patrol (Kf__Renovation *r, int64_t now_ms)
{
    for (size_t i = r->n_patrols; i-- > 0;) {
        Kf__RenovationPatrol *p = r->patrols [i];
        if (!p->done_at_ms && !p->missed && p->slot_ms <= now_ms && now_ms < p->due_ms)
            return p;
    }
    return NULL;
}

int
desk_patrol_renovation (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                        kf_arena_t *arena)
{
    const Kf__RenovationStep *q = request->patrol_renovation;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, false, reply, arena);
    if (!e)
        return -1;
    if (q->n_findings > S_FINDINGS_MAX)
        return KF_BAD ("at most %d findings", S_FINDINGS_MAX);
    for (size_t i = 0; i < q->n_findings; i++)
        if (!desk_text_ok (q->findings [i], S_TEXT_MAX))
            return KF_BAD ("finding %zu is not 1 to %d characters on one line", i + 1, S_TEXT_MAX);
    Kf__Renovation *r = s_find (self, txn, e, q->renovation_id, reply, arena);
    if (!r)
        return -1;
    if (r->status != KF__RENOVATION_STATUS__RENOVATION_STATUS_WORKING)
        return KF_CONFLICT ("%s has no work on to patrol", r->renovation_id);
    Kf__RenovationPatrol *p = s_open_patrol (r, now_ms);
    char when [32];
    if (!p)
        return KF_CONFLICT ("%s has no patrol open now: the next is at %s", r->renovation_id,
                            r->next_slot_ms ? kf_local_format (r->next_slot_ms, e->estate->utc_offset_min, when,
                                                               sizeof when) : "none");
    KF_SET (p, done_at_ms, now_ms);
    p->by = request->actor;
    p->findings = q->findings;
    p->n_findings = q->n_findings;
    KF_SET (r, patrols_done, r->patrols_done + 1);
    //  A finding may raise a violation of the unit (装修违规), recorded as the desk would.
    if (q->raise_violations && q->n_findings) {
        p->violation_ids = kf_arena_alloc (arena, q->n_findings * sizeof *p->violation_ids);
        if (!p->violation_ids)
            return kf_txn_fail (txn, "out of memory");
        for (size_t i = 0; i < q->n_findings; i++) {
            Kf__Violation v = KF__VIOLATION__INIT;
            v.estate = r->estate;
            v.unit = r->unit;
            KF_SET (&v, category, KF__VIOLATION_CATEGORY__VIOLATION_CATEGORY_RENOVATION);
            v.description = q->findings [i];
            v.notice_served_to = r->contractor;
            Kf__RecordViolation rv = KF__RECORD_VIOLATION__INIT;
            rv.violation = &v;
            KF_SET (&rv, rectify_in_ms, S_RECTIFY_MS);
            Kf__Request inner = *request;
            inner.command_case = KF__REQUEST__COMMAND_RECORD_VIOLATION;
            inner.record_violation = &rv;
            KF_SET (&inner, role, KF__ROLE__ROLE_FRONT_DESK);   //  the desk records it for the patrol
            Kf__Reply answer = KF__REPLY__INIT;
            answer.status = KF__REPLY_STATUS__REPLY_STATUS_OK;
            if (desk_record_violation (self, txn, now_ms, &inner, &answer, arena))
                return kf_txn_ok (txn) ? KF_BAD ("finding %zu raises no violation: %s", i + 1,
                                                 answer.error ? answer.error : "refused")
                                       : -1;
            p->violation_ids [p->n_violation_ids++] = answer.violation->violation_id;
        }
    }
    s_put (self, txn, r);
    s_announce (self, txn, now_ms, KF__ENVELOPE__BODY_RENOVATION_PATROLLED, r, request->actor);
    s_patrol_deadline (self, txn, now_ms, r, p, KF__ENVELOPE__BODY_DEADLINE_MET);
    return s_reply (reply, r, txn);
}

int
desk_complete_renovation (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                          kf_arena_t *arena)
{
    const Kf__RenovationStep *q = request->complete_renovation;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, true, reply, arena);
    if (!e)
        return -1;
    if (!desk_text_ok (q->note, S_TEXT_MAX))
        return KF_BAD ("the completion inspection says what it found: 1 to %d characters", S_TEXT_MAX);
    Kf__Renovation *r = s_find (self, txn, e, q->renovation_id, reply, arena);
    if (!r)
        return -1;
    if (r->status != KF__RENOVATION_STATUS__RENOVATION_STATUS_WORKING)
        return KF_CONFLICT ("%s has no work on to inspect", r->renovation_id);
    r->completion_note = q->note;
    if (!q->passed) {
        //  Failed: work goes on, patrols too; the finding is on the record.
        s_put (self, txn, r);
        s_announce (self, txn, now_ms, KF__ENVELOPE__BODY_RENOVATION_PATROLLED, r, request->actor);
        return s_reply (reply, r, txn);
    }
    char id [S_TIMER_SIZE];
    s_timer_id (id, sizeof id, r->renovation_id, 'S', 0);
    if (r->next_slot_ms)
        kf_timers_disarm (txn, self->site, r->next_slot_ms, id);
    //  A patrol not done is owed no more: an open one's miss is disarmed,
    //  and its deadline, or a missed one's still breached, is withdrawn.
    for (size_t i = 0; i < r->n_patrols; i++) {
        Kf__RenovationPatrol *p = r->patrols [i];
        if (p->done_at_ms)
            continue;
        if (!p->missed) {
            s_timer_id (id, sizeof id, r->renovation_id, 'M', p->slot_ms);
            kf_timers_disarm (txn, self->site, p->due_ms, id);
        }
        s_patrol_deadline (self, txn, now_ms, r, p, KF__ENVELOPE__BODY_DEADLINE_DROPPED);
    }
    KF_SET (r, status, KF__RENOVATION_STATUS__RENOVATION_STATUS_COMPLETED);
    KF_SET (r, completed_at_ms, now_ms);
    KF_SET (r, next_slot_ms, 0);
    s_put (self, txn, r);
    s_announce (self, txn, now_ms, KF__ENVELOPE__BODY_RENOVATION_COMPLETED, r, request->actor);
    return s_reply (reply, r, txn);
}

//  ---- the timers ------------------------------------------------------------------------------

//  "<id>/S": a patrol's time came: it opens (its deadline set, its miss
//  armed), and the next is armed from its time. "<id>/M<slot>": its window
//  passed: missed, unless someone came.
static int
s_site (kf_txn_t *txn, int64_t at_ms, const char *id, void *arg)
{
    desk_t *self = arg;
    kf_arena_reset (self->base.scratch);
    kf_arena_t *arena = self->base.scratch;
    const char *bar = strrchr (id, '/');
    char rid [DESK_ID_SIZE];
    if (!bar || (size_t) (bar - id) >= sizeof rid)
        return 0;
    snprintf (rid, sizeof rid, "%.*s", (int) (bar - id), id);
    Kf__Renovation *r = s_get (self, txn, rid, arena);
    const desk_estate_t *e = r ? desk_estate (self, r->estate) : NULL;
    if (!r || !e || r->status != KF__RENOVATION_STATUS__RENOVATION_STATUS_WORKING)
        return kf_txn_ok (txn) ? 0 : -1;
    char next_id [S_TIMER_SIZE];
    if (bar [1] == 'S') {
        if (r->next_slot_ms != at_ms)
            return 0;
        //  The record keeps the latest patrols: the oldest done one goes
        //  (an open or missed one stays while it is owed).
        if (r->n_patrols >= S_PATROLS_MAX) {
            size_t old = 0;
            while (old < r->n_patrols && !r->patrols [old]->done_at_ms)
                old++;
            if (old == r->n_patrols)
                old = 0;
            memmove (r->patrols + old, r->patrols + old + 1, (r->n_patrols - old - 1) * sizeof *r->patrols);
            r->n_patrols--;
        }
        Kf__RenovationPatrol *p = (Kf__RenovationPatrol *) kf_arena_message (arena, &kf__renovation_patrol__descriptor);
        size_t room = r->n_patrols;
        if (!p || kf_arena_push (arena, (void ***) &r->patrols, &r->n_patrols, &room, p))
            return kf_txn_fail (txn, "out of memory");
        KF_SET (p, slot_ms, at_ms);
        KF_SET (p, due_ms, at_ms + e->patrol_window_ms);
        s_timer_id (next_id, sizeof next_id, rid, 'M', at_ms);
        kf_timers_arm (txn, self->site, p->due_ms, next_id);
        KF_SET (r, next_slot_ms, s_next_slot (e, at_ms + 1));
        s_timer_id (next_id, sizeof next_id, rid, 'S', 0);
        if (r->next_slot_ms)
            kf_timers_arm (txn, self->site, r->next_slot_ms, next_id);
        s_put (self, txn, r);
        s_announce (self, txn, at_ms, KF__ENVELOPE__BODY_RENOVATION_PATROL_DUE, r, NULL);
        s_patrol_deadline (self, txn, at_ms, r, p, KF__ENVELOPE__BODY_DEADLINE_SET);
        return kf_txn_ok (txn) ? 1 : -1;
    }
    int64_t slot = strtoll (bar + 2, NULL, 10);
    for (size_t i = 0; i < r->n_patrols; i++) {
        Kf__RenovationPatrol *p = r->patrols [i];
        if (p->slot_ms != slot || p->due_ms != at_ms || p->done_at_ms || p->missed)
            continue;
        KF_SET (p, missed, 1);
        KF_SET (r, patrols_missed, r->patrols_missed + 1);
        s_put (self, txn, r);
        s_announce (self, txn, at_ms, KF__ENVELOPE__BODY_RENOVATION_PATROL_MISSED, r, NULL);
        return kf_txn_ok (txn) ? 1 : -1;
    }
    return 0;
}

int
desk_renovations_tick (desk_t *self, kf_txn_t *txn, int64_t now_ms)
{
    return kf_timers_fire (txn, self->site, now_ms, S_FIRE_MAX, s_site, self);
}

//  ---- the list --------------------------------------------------------------------------------

static bool
s_keep (const ProtobufCMessage *record, const void *query)
{
    const Kf__ListRenovations *q = query;
    return !q->status || ((const Kf__Renovation *) record)->status == q->status;
}

int
desk_list_renovations (desk_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ListRenovations *q = request->list_renovations;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, false, reply, arena);
    if (!e)
        return -1;
    Kf__RenovationList *list = (Kf__RenovationList *) kf_arena_message (arena, &kf__renovation_list__descriptor);
    if (!list)
        return kf_txn_fail (txn, "out of memory");
    const desk_register_t reg = { self->renovations, self->by_submitted, self->unit_renovations,
                                  &kf__renovation__descriptor, s_keep };
    kf_page_t page;
    if (desk_list (txn, &reg, e->estate->id, q->unit, q->page, q, (void ***) &list->renovations, &list->n_renovations,
                   reply, arena, &page))
        return -1;
    list->next_page_token = page.next_token;
    KF_SET (list, total, page.total);
    reply->result_case = KF__REPLY__RESULT_RENOVATIONS;
    reply->renovations = list;
    return 0;
}

//  ---- after a restore --------------------------------------------------------------------------

int
desk_renovations_recover (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_RENOVATION_SUBMITTED: case KF__ENVELOPE__BODY_RENOVATION_REVIEWED:
        case KF__ENVELOPE__BODY_RENOVATION_APPROVED: case KF__ENVELOPE__BODY_RENOVATION_REJECTED:
        case KF__ENVELOPE__BODY_RENOVATION_STARTED: case KF__ENVELOPE__BODY_RENOVATION_PATROL_DUE:
        case KF__ENVELOPE__BODY_RENOVATION_PATROLLED: case KF__ENVELOPE__BODY_RENOVATION_PATROL_MISSED:
        case KF__ENVELOPE__BODY_RENOVATION_COMPLETED:
            break;
        default:
            return 0;
    }
    const Kf__RenovationEvent *body = (const Kf__RenovationEvent *) kf_event_body (event);
    const Kf__Renovation *r = body ? body->renovation : NULL;
    if (!r || !r->renovation_id || !r->estate || !r->unit || !desk_estate (self, r->estate))
        return 0;
    //  The timers as the record now says: the next patrol's, each open one's miss.
    const Kf__Renovation *was = s_get (self, txn, r->renovation_id, self->base.scratch);
    char id [S_TIMER_SIZE];
    const Kf__Renovation *both [] = { was, r };
    for (int k = 0; k < 2; k++) {
        const Kf__Renovation *x = both [k];
        if (!x || x->status != KF__RENOVATION_STATUS__RENOVATION_STATUS_WORKING)
            continue;
        s_timer_id (id, sizeof id, x->renovation_id, 'S', 0);
        if (x->next_slot_ms)
            (k ? kf_timers_arm : kf_timers_disarm) (txn, self->site, x->next_slot_ms, id);
        for (size_t i = 0; i < x->n_patrols; i++) {
            const Kf__RenovationPatrol *p = x->patrols [i];
            if (p->done_at_ms || p->missed)
                continue;
            s_timer_id (id, sizeof id, x->renovation_id, 'M', p->slot_ms);
            (k ? kf_timers_arm : kf_timers_disarm) (txn, self->site, p->due_ms, id);
        }
    }
    s_put (self, txn, r);
    desk_number_seen (self, txn, r->estate, "renovation", 'R', r->renovation_id);
    return kf_txn_ok (txn) ? 0 : -1;
}
