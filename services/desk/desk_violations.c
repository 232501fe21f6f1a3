/*  desk_violations — violations (客户违章记录表 QR-029SD): recorded against a
    unit with what was seen and its evidence, the rectification notice
    (整改通知) served with a deadline, followed up, closed with the outcome.
    Each unit's violations are counted (the n-th is said on it). The
    deadline is a shared timer (overdue once: violation.overdue) and a
    deadline of kefu-escalation's (set with the notice, met at the close),
    so an unrectified violation climbs the chain like any missed target. A
    supervisor may fine it, once: violation.fined, which billing charges to
    the unit's next notice under the violation's number. See
    desk_private.h.
*/
#include "desk_private.h"
#include "kf_money.h"
#include "kf_timers.h"

#define S_TEXT_MAX      1000
#define S_URL_MAX       500
#define S_URLS_MAX      10
#define S_FOLLOW_UPS    100
#define S_RECTIFY_MAX   (90 * KF_MS_PER_DAY)
#define S_FINE_MAX      (100000 * 100)   //  ¥100,000
#define S_FIRE_MAX      1000

static Kf__Violation *
s_get (desk_t *self, kf_txn_t *txn, const char *id, kf_arena_t *arena)
{
    return desk_record_get (txn, self->violations, id, &kf__violation__descriptor, arena);
}

//  The record, its indexes, and the estate's open ones (a handover lists
//  those without reading the estate's whole history).
static void
s_put (desk_t *self, kf_txn_t *txn, const Kf__Violation *v)
{
    desk_record_put (txn, self->violations, v->violation_id, &v->base, self->by_noticed, self->unit_violations, v->estate,
                     v->unit, v->recorded_at_ms);
    kf_key_t key;
    kf_key_make (&key, "s|s", v->estate, v->violation_id);
    if (v->status == KF__VIOLATION_STATUS__VIOLATION_STATUS_OPEN)
        kf_txn_put (txn, self->open_violations, &key, "", 0);
    else
        kf_txn_del (txn, self->open_violations, &key);
}

static void
s_announce (desk_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Envelope__BodyCase kind, Kf__Violation *v,
            const char *actor)
{
    Kf__ViolationEvent body = KF__VIOLATION_EVENT__INIT;
    body.violation = v;
    desk_emit (self, txn, now_ms, v->estate, kind, &body.base, actor);
}

static void
s_deadline (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Violation *v, Kf__Envelope__BodyCase what)
{
    char subject [DESK_ID_SIZE + 16], text [300], category [48];
    snprintf (subject, sizeof subject, "violation/%s", v->violation_id);
    kf_enum_short_name (&kf__violation_category__descriptor, v->category, category, sizeof category);
    snprintf (text, sizeof text, "违章整改 %s at %s (%s): put right", v->violation_id, v->unit, category);
    desk_deadline (self, txn, now_ms, v->estate, subject, KF__DEADLINE_KIND__DEADLINE_KIND_VIOLATION_RECTIFICATION,
                   what, v->recorded_at_ms, v->rectify_by_ms, v->unit, v->recorded_by, text);
}

//  The violation of the estate named by the request; NULL after a reply.
static Kf__Violation *
s_find (desk_t *self, kf_txn_t *txn, const desk_estate_t *e, const char *id, Kf__Reply *reply, kf_arena_t *arena)
{
    if (!id || !*id) {
        KF_BAD ("which violation? its number, e.g. %s-V20261203-0001", e->estate->id);
        return NULL;
    }
    Kf__Violation *v = s_get (self, txn, id, arena);
    if ((!v || !v->estate || strcmp (v->estate, e->estate->id) != 0) && kf_txn_ok (txn))
        KF_NOT_FOUND ("no violation %s in %s", id, e->estate->id);
    return v && v->estate && strcmp (v->estate, e->estate->id) == 0 ? v : NULL;
}

//  ---- record -----------------------------------------------------------------------------

int
desk_record_violation (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                       kf_arena_t *arena)
{
    const Kf__Violation *in = request->record_violation->violation;
    if (!in)
        return KF_BAD ("the violation is required");
    const desk_estate_t *e = desk_request_estate (self, request, in->estate, true, reply, arena);
    if (!e)
        return -1;
    if (!in->has_category || in->category < KF__VIOLATION_CATEGORY__VIOLATION_CATEGORY_RENOVATION
    ||  in->category > KF__VIOLATION_CATEGORY__VIOLATION_CATEGORY_OTHER)
        return KF_BAD ("what kind of violation: renovation, encroachment, parking, pets, noise, waste, fire_safety "
                       "or other");
    if (!desk_text_ok (in->description, S_TEXT_MAX))
        return KF_BAD ("what was seen: 1 to %d characters on one line", S_TEXT_MAX);
    if (in->n_evidence_urls > S_URLS_MAX)
        return KF_BAD ("at most %d evidence URLs", S_URLS_MAX);
    for (size_t i = 0; i < in->n_evidence_urls; i++)
        if (!kf_url_valid (in->evidence_urls [i], S_URL_MAX))
            return KF_BAD ("evidence %zu is not an http(s) URL of at most %d characters", i + 1, S_URL_MAX);
    const Kf__RecordViolation *q = request->record_violation;
    if (q->rectify_in_ms && in->rectify_by_ms)
        return KF_BAD ("the notice's deadline is a time or a length from now, not both");
    if (q->rectify_in_ms < 0 || q->rectify_in_ms > S_RECTIFY_MAX)
        return KF_BAD ("the notice's deadline (rectify by) is after now and within 90 days");
    int64_t rectify_by = q->rectify_in_ms ? now_ms + q->rectify_in_ms : in->rectify_by_ms;
    if (!rectify_by || rectify_by <= now_ms || rectify_by > now_ms + S_RECTIFY_MAX)
        return KF_BAD ("the notice's deadline (rectify by) is after now and within 90 days");
    if (in->notice_served_to && *in->notice_served_to && !desk_text_ok (in->notice_served_to, DESK_NAME_MAX))
        return KF_BAD ("the notice was served to a name (a person's or a company's) of 1 to %d characters",
                       DESK_NAME_MAX);
    if (!desk_unit_known (self, txn, e->estate->id, in->unit, reply, arena))
        return -1;
    Kf__Violation *v = (Kf__Violation *) kf_arena_message (arena, &kf__violation__descriptor);
    if (!v)
        return kf_txn_fail (txn, "out of memory");
    *v = *in;
    v->estate = (char *) e->estate->id;
    if (!(v->violation_id = desk_number (self, txn, e, "violation", 'V', now_ms, arena)))
        return kf_txn_ok (txn) ? kf_txn_fail (txn, "out of memory") : -1;
    if (v->notice_served_to && !*v->notice_served_to)
        v->notice_served_to = NULL;
    v->recorded_by = request->actor;
    KF_SET (v, recorded_at_ms, now_ms);
    KF_SET (v, rectify_by_ms, rectify_by);
    KF_SET (v, status, KF__VIOLATION_STATUS__VIOLATION_STATUS_OPEN);
    v->n_follow_ups = 0;
    v->has_closed_at_ms = v->has_fine_fen = v->has_overdue = 0;
    v->closed_by = v->outcome = v->fine_reason = v->fined_by = NULL;
    //  Repeated violations are counted per unit.
    kf_key_t key;
    kf_key_make (&key, "s|s|s", "violations", e->estate->id, v->unit);
    KF_SET (v, unit_count, (uint32_t) kf_txn_next (txn, self->counters, &key));
    s_put (self, txn, v);
    kf_timers_arm (txn, self->rectify, v->rectify_by_ms, v->violation_id);
    s_announce (self, txn, now_ms, KF__ENVELOPE__BODY_VIOLATION_RECORDED, v, request->actor);
    s_deadline (self, txn, now_ms, v, KF__ENVELOPE__BODY_DEADLINE_SET);
    if (!kf_txn_ok (txn))
        return -1;
    reply->result_case = KF__REPLY__RESULT_VIOLATION;
    reply->violation = v;
    return 0;
}

//  ---- follow up, close -------------------------------------------------------------------

int
desk_follow_violation (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                       kf_arena_t *arena)
{
    const Kf__FollowViolation *q = request->follow_violation;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, true, reply, arena);
    if (!e)
        return -1;
    if (!desk_text_ok (q->note, S_TEXT_MAX))
        return KF_BAD ("the follow-up says what was found or done: 1 to %d characters on one line", S_TEXT_MAX);
    if (q->outcome && *q->outcome && (!q->close || !desk_text_ok (q->outcome, S_TEXT_MAX)))
        return KF_BAD ("an outcome goes with closing, in 1 to %d characters", S_TEXT_MAX);
    Kf__Violation *v = s_find (self, txn, e, q->violation_id, reply, arena);
    if (!v)
        return -1;
    if (v->status != KF__VIOLATION_STATUS__VIOLATION_STATUS_OPEN) {
        char when [32];
        return KF_CONFLICT ("%s was closed %s: %s", v->violation_id,
                            kf_local_format (v->closed_at_ms, e->estate->utc_offset_min, when, sizeof when),
                            v->outcome ? v->outcome : "no outcome said");
    }
    if (v->n_follow_ups >= S_FOLLOW_UPS)
        return KF_CONFLICT ("%s has %d follow-ups: close it, or record a new violation", v->violation_id, S_FOLLOW_UPS);
    Kf__ViolationFollowUp *f = (Kf__ViolationFollowUp *) kf_arena_message (arena,
                                                                         &kf__violation_follow_up__descriptor);
    size_t room = v->n_follow_ups;
    if (!f || kf_arena_push (arena, (void ***) &v->follow_ups, &v->n_follow_ups, &room, f))
        return kf_txn_fail (txn, "out of memory");
    KF_SET (f, at_ms, now_ms);
    f->by = request->actor;
    f->note = q->note;
    Kf__Envelope__BodyCase kind = KF__ENVELOPE__BODY_VIOLATION_FOLLOWED;
    if (q->close) {
        if (!v->overdue)
            kf_timers_disarm (txn, self->rectify, v->rectify_by_ms, v->violation_id);
        KF_SET (v, status, KF__VIOLATION_STATUS__VIOLATION_STATUS_CLOSED);
        KF_SET (v, closed_at_ms, now_ms);
        v->closed_by = request->actor;
        v->outcome = q->outcome && *q->outcome ? q->outcome : q->note;
        kind = KF__ENVELOPE__BODY_VIOLATION_CLOSED;
    }
    s_put (self, txn, v);
    s_announce (self, txn, now_ms, kind, v, request->actor);
    if (q->close)
        s_deadline (self, txn, now_ms, v, KF__ENVELOPE__BODY_DEADLINE_MET);
    if (!kf_txn_ok (txn))
        return -1;
    reply->result_case = KF__REPLY__RESULT_VIOLATION;
    reply->violation = v;
    return 0;
}

//  ---- the fine ------------------------------------------------------------------------------

int
desk_fine_violation (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                     kf_arena_t *arena)
{
    const Kf__FineViolation *q = request->fine_violation;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, true, reply, arena);
    if (!e)
        return -1;
    if (request->role != KF__ROLE__ROLE_SUPERVISOR && request->role != KF__ROLE__ROLE_MANAGER)
        return KF_FORBIDDEN ("only a supervisor fines a violation");
    if (q->amount_fen <= 0 || q->amount_fen > S_FINE_MAX)
        return KF_BAD ("a fine is more than ¥0 and at most ¥100,000.00");
    if (!desk_text_ok (q->reason, S_TEXT_MAX))
        return KF_BAD ("a fine says why (the rule broken): 1 to %d characters on one line", S_TEXT_MAX);
    Kf__Violation *v = s_find (self, txn, e, q->violation_id, reply, arena);
    if (!v)
        return -1;
    char money [32];
    if (v->fine_fen)
        return KF_CONFLICT ("%s was fined ¥%s by %s: a violation is fined once", v->violation_id,
                            kf_fen_format (v->fine_fen, money, sizeof money), v->fined_by ? v->fined_by : "?");
    KF_SET (v, fine_fen, q->amount_fen);
    v->fine_reason = q->reason;
    v->fined_by = request->actor;
    s_put (self, txn, v);
    char category [48], description [200];
    kf_enum_short_name (&kf__violation_category__descriptor, v->category, category, sizeof category);
    snprintf (description, sizeof description, "违章罚款 fine, %s (%s)", v->violation_id, category);
    Kf__ViolationFined fined = KF__VIOLATION_FINED__INIT;
    fined.violation_id = v->violation_id;
    fined.unit = v->unit;
    KF_SET (&fined, amount_fen, q->amount_fen);
    fined.description = description;
    fined.reason = q->reason;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_VIOLATION_FINED;
    event.violation_fined = &fined;
    event.actor = request->actor;
    kf_emit (self->base.outbox, txn, now_ms, v->estate, &event, NULL);
    if (!kf_txn_ok (txn))
        return -1;
    reply->result_case = KF__REPLY__RESULT_VIOLATION;
    reply->violation = v;
    return 0;
}

//  ---- the register ------------------------------------------------------------------------

static bool
s_keep (const ProtobufCMessage *record, const void *query)
{
    const Kf__Violation *v = (const Kf__Violation *) record;
    return !((const Kf__ListViolations *) query)->open_only || v->status == KF__VIOLATION_STATUS__VIOLATION_STATUS_OPEN;
}

int
desk_list_violations (desk_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ListViolations *q = request->list_violations;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, false, reply, arena);
    if (!e)
        return -1;
    Kf__ViolationList *list = (Kf__ViolationList *) kf_arena_message (arena, &kf__violation_list__descriptor);
    if (!list)
        return kf_txn_fail (txn, "out of memory");
    const desk_register_t reg = { self->violations, self->by_noticed, self->unit_violations, &kf__violation__descriptor,
                                  s_keep };
    kf_page_t page;
    if (desk_list (txn, &reg, e->estate->id, q->unit, q->page, q, (void ***) &list->violations, &list->n_violations,
                   reply, arena, &page))
        return -1;
    list->next_page_token = page.next_token;
    KF_SET (list, total, page.total);
    reply->result_case = KF__REPLY__RESULT_VIOLATIONS;
    reply->violations = list;
    return 0;
}

//  ---- overdue ------------------------------------------------------------------------------

static int
s_overdue (kf_txn_t *txn, int64_t at_ms, const char *id, void *arg)
{
    desk_t *self = arg;
    kf_arena_reset (self->base.scratch);
    Kf__Violation *v = s_get (self, txn, id, self->base.scratch);
    if (!v || v->status != KF__VIOLATION_STATUS__VIOLATION_STATUS_OPEN || v->overdue || v->rectify_by_ms != at_ms)
        return kf_txn_ok (txn) ? 0 : -1;
    KF_SET (v, overdue, 1);
    s_put (self, txn, v);
    s_announce (self, txn, at_ms, KF__ENVELOPE__BODY_VIOLATION_OVERDUE, v, NULL);
    return kf_txn_ok (txn) ? 1 : -1;
}

int
desk_violations_tick (desk_t *self, kf_txn_t *txn, int64_t now_ms)
{
    return kf_timers_fire (txn, self->rectify, now_ms, S_FIRE_MAX, s_overdue, self);
}

//  ---- after a restore ------------------------------------------------------------------------

int
desk_violations_recover (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    const Kf__ViolationEvent *body = NULL;
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_VIOLATION_RECORDED: body = event->violation_recorded; break;
        case KF__ENVELOPE__BODY_VIOLATION_FOLLOWED: body = event->violation_followed; break;
        case KF__ENVELOPE__BODY_VIOLATION_CLOSED: body = event->violation_closed; break;
        case KF__ENVELOPE__BODY_VIOLATION_OVERDUE: body = event->violation_overdue; break;
        case KF__ENVELOPE__BODY_VIOLATION_FINED: {
            //  The fine is on the record the next event carries; alone, put it back here.
            const Kf__ViolationFined *f = event->violation_fined;
            Kf__Violation *v = f ? s_get (self, txn, f->violation_id, self->base.scratch) : NULL;
            if (v && !v->fine_fen) {
                KF_SET (v, fine_fen, f->amount_fen);
                v->fine_reason = f->reason ? f->reason : f->description;
                v->fined_by = event->actor;
                s_put (self, txn, v);
            }
            return kf_txn_ok (txn) ? 0 : -1;
        }
        default:
            return 0;
    }
    const Kf__Violation *v = body ? body->violation : NULL;
    if (!v || !v->violation_id || !v->estate || !v->unit || !desk_estate (self, v->estate))
        return 0;
    const Kf__Violation *was = s_get (self, txn, v->violation_id, self->base.scratch);
    if (was && was->status == KF__VIOLATION_STATUS__VIOLATION_STATUS_OPEN && !was->overdue)
        kf_timers_disarm (txn, self->rectify, was->rectify_by_ms, was->violation_id);
    s_put (self, txn, v);
    if (v->status == KF__VIOLATION_STATUS__VIOLATION_STATUS_OPEN && !v->overdue)
        kf_timers_arm (txn, self->rectify, v->rectify_by_ms, v->violation_id);
    desk_number_seen (self, txn, v->estate, "violation", 'V', v->violation_id);
    kf_key_t key;
    kf_key_make (&key, "s|s|s", "violations", v->estate, v->unit);
    uint64_t count = kf_txn_counter (txn, self->counters, &key);
    if (v->unit_count > count)
        kf_txn_add (txn, self->counters, &key, (int64_t) (v->unit_count - count));
    return kf_txn_ok (txn) ? 0 : -1;
}
