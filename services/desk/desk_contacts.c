/*  desk_contacts — interviews (客户访谈记录 QR-035SD) and communications
    (客户沟通记录表 QR-023) with a unit's people: who, when, how, what was
    said, and who follows it up by when. The follow-up's date is a deadline
    of kefu-escalation's (its owner the handler: warned, breached, raised
    like any target), met when the follow-up is recorded. The registry
    keeps each unit's last ones from desk.communicated, so they stand on the
    unit's page with its tickets. See desk_private.h.
*/
#include "desk_private.h"

#define S_TEXT_MAX     2000
#define S_FOLLOW_MAX   (90 * KF_MS_PER_DAY)
#define S_PAST_MAX     (30 * KF_MS_PER_DAY)

static Kf__Communication *
s_get (desk_t *self, kf_txn_t *txn, const char *id, kf_arena_t *arena)
{
    return desk_record_get (txn, self->communications, id, &kf__communication__descriptor, arena);
}

static void
s_put (desk_t *self, kf_txn_t *txn, const Kf__Communication *c)
{
    desk_record_put (txn, self->communications, c->communication_id, &c->base, self->by_contact, self->unit_contacts,
                     c->estate, c->unit, c->at_ms);
}

static void
s_announce (desk_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Envelope__BodyCase kind, Kf__Communication *c,
            const char *actor)
{
    Kf__DeskCommunication body = KF__DESK_COMMUNICATION__INIT;
    body.communication = c;
    desk_emit (self, txn, now_ms, c->estate, kind, &body.base, actor);
}

static void
s_deadline (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Communication *c, Kf__Envelope__BodyCase what)
{
    char subject [DESK_ID_SIZE + 16], text [300];
    snprintf (subject, sizeof subject, "follow-up/%s", c->communication_id);
    snprintf (text, sizeof text, "沟通跟进 follow-up of %s with %s (%s)", c->communication_id,
              c->person ? c->person : "?", c->unit);
    desk_deadline (self, txn, now_ms, c->estate, subject, KF__DEADLINE_KIND__DEADLINE_KIND_COMMUNICATION_FOLLOW_UP,
                   what, c->at_ms, c->follow_up_due_ms, c->unit, c->follow_up_by, text);
}

int
desk_record_communication (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                           kf_arena_t *arena)
{
    const Kf__Communication *in = request->record_communication->communication;
    int64_t in_ms = request->record_communication->follow_up_in_ms;
    if (!in)
        return KF_BAD ("the communication is required");
    if (in_ms < 0 || in_ms > S_FOLLOW_MAX)
        return KF_BAD ("a follow-up's date is after now and within 90 days");
    const desk_estate_t *e = desk_request_estate (self, request, in->estate, true, reply, arena);
    if (!e)
        return -1;
    if (!in->has_kind || in->kind < KF__COMMUNICATION_KIND__COMMUNICATION_KIND_INTERVIEW
    ||  in->kind > KF__COMMUNICATION_KIND__COMMUNICATION_KIND_CONTACT)
        return KF_BAD ("an interview or a contact?");
    if (!in->has_channel || in->channel < KF__COMMUNICATION_CHANNEL__COMMUNICATION_CHANNEL_IN_PERSON
    ||  in->channel > KF__COMMUNICATION_CHANNEL__COMMUNICATION_CHANNEL_OTHER)
        return KF_BAD ("how: in_person, phone, wechat, letter or other");
    if (!desk_text_ok (in->person, DESK_NAME_MAX))
        return KF_BAD ("with whom? a name of 1 to %d characters", DESK_NAME_MAX);
    if (!desk_text_ok (in->summary, S_TEXT_MAX))
        return KF_BAD ("what was said: 1 to %d characters on one line", S_TEXT_MAX);
    if (in->at_ms && (in->at_ms > now_ms || in->at_ms < now_ms - S_PAST_MAX))
        return KF_BAD ("when it took place: not later than now, not more than 30 days back");
    if (in_ms && in->follow_up_due_ms)
        return KF_BAD ("a follow-up's date is a time or a length from now, not both");
    int64_t due = in_ms ? now_ms + in_ms : in->follow_up_due_ms;
    if ((in->follow_up_by && *in->follow_up_by) != (due != 0))
        return KF_BAD ("a follow-up names its owner (a staff id) and its date, both or neither");
    if (in->follow_up_by && *in->follow_up_by && !kf_config_valid_id (in->follow_up_by))
        return KF_BAD ("'%s' is not a staff id", in->follow_up_by);
    if (due && (due <= now_ms || due > now_ms + S_FOLLOW_MAX))
        return KF_BAD ("a follow-up's date is after now and within 90 days");
    if (!desk_unit_known (self, txn, e->estate->id, in->unit, reply, arena))
        return -1;
    Kf__Communication *c = (Kf__Communication *) kf_arena_message (arena, &kf__communication__descriptor);
    if (!c)
        return kf_txn_fail (txn, "out of memory");
    *c = *in;
    c->estate = (char *) e->estate->id;
    if (!(c->communication_id = desk_number (self, txn, e, "communication", 'C', now_ms, arena)))
        return kf_txn_ok (txn) ? kf_txn_fail (txn, "out of memory") : -1;
    KF_SET (c, at_ms, in->at_ms ? in->at_ms : now_ms);
    c->by = request->actor;
    if (c->follow_up_by && !*c->follow_up_by)
        c->follow_up_by = NULL;
    if (due)
        KF_SET (c, follow_up_due_ms, due);
    c->has_followed_up_at_ms = 0;
    c->follow_up_note = NULL;
    s_put (self, txn, c);
    s_announce (self, txn, now_ms, KF__ENVELOPE__BODY_DESK_COMMUNICATED, c, request->actor);
    if (c->follow_up_due_ms)
        s_deadline (self, txn, now_ms, c, KF__ENVELOPE__BODY_DEADLINE_SET);
    if (!kf_txn_ok (txn))
        return -1;
    reply->result_case = KF__REPLY__RESULT_COMMUNICATION;
    reply->communication = c;
    return 0;
}

int
desk_follow_up_communication (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                              Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__FollowUpCommunication *q = request->follow_up_communication;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, true, reply, arena);
    if (!e)
        return -1;
    if (!desk_text_ok (q->note, S_TEXT_MAX))
        return KF_BAD ("the follow-up says what it found or did: 1 to %d characters on one line", S_TEXT_MAX);
    Kf__Communication *c = q->communication_id ? s_get (self, txn, q->communication_id, arena) : NULL;
    if (!c || !c->estate || strcmp (c->estate, e->estate->id) != 0)
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no communication %s in %s", q->communication_id ? q->communication_id
                                                                                                : "", e->estate->id)
                               : -1;
    if (!c->follow_up_due_ms)
        return KF_CONFLICT ("%s asked for no follow-up", c->communication_id);
    if (c->followed_up_at_ms)
        return KF_CONFLICT ("%s was followed up already", c->communication_id);
    KF_SET (c, followed_up_at_ms, now_ms);
    c->follow_up_note = q->note;
    s_put (self, txn, c);
    s_announce (self, txn, now_ms, KF__ENVELOPE__BODY_DESK_FOLLOWED_UP, c, request->actor);
    s_deadline (self, txn, now_ms, c, KF__ENVELOPE__BODY_DEADLINE_MET);
    if (!kf_txn_ok (txn))
        return -1;
    reply->result_case = KF__REPLY__RESULT_COMMUNICATION;
    reply->communication = c;
    return 0;
}

static bool
s_keep (const ProtobufCMessage *record, const void *query)
{
    const Kf__Communication *c = (const Kf__Communication *) record;
    return !((const Kf__ListCommunications *) query)->pending_only || (c->follow_up_due_ms && !c->followed_up_at_ms);
}

int
desk_list_communications (desk_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
                          kf_arena_t *arena)
{
    const Kf__ListCommunications *q = request->list_communications;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, false, reply, arena);
    if (!e)
        return -1;
    Kf__CommunicationList *list = (Kf__CommunicationList *) kf_arena_message (arena, &kf__communication_list__descriptor);
    if (!list)
        return kf_txn_fail (txn, "out of memory");
    const desk_register_t reg = { self->communications, self->by_contact, self->unit_contacts,
                                  &kf__communication__descriptor, s_keep };
    kf_page_t page;
    if (desk_list (txn, &reg, e->estate->id, q->unit, q->page, q, (void ***) &list->communications,
                   &list->n_communications, reply, arena, &page))
        return -1;
    list->next_page_token = page.next_token;
    KF_SET (list, total, page.total);
    reply->result_case = KF__REPLY__RESULT_COMMUNICATIONS;
    reply->communications = list;
    return 0;
}

int
desk_contacts_recover (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    const Kf__DeskCommunication *body = event->body_case == KF__ENVELOPE__BODY_DESK_COMMUNICATED
                                      ? event->desk_communicated
                                      : event->body_case == KF__ENVELOPE__BODY_DESK_FOLLOWED_UP
                                      ? event->desk_followed_up : NULL;
    const Kf__Communication *c = body ? body->communication : NULL;
    if (!c || !c->communication_id || !c->estate || !c->unit || !desk_estate (self, c->estate))
        return 0;
    s_put (self, txn, c);
    desk_number_seen (self, txn, c->estate, "communication", 'C', c->communication_id);
    return kf_txn_ok (txn) ? 0 : -1;
}
