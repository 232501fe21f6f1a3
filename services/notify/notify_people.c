/*  notify_people — who an event concerns, and how each is reached.

    kefu-notify keeps its own copy of the people it may tell, from the
    events that announce them, and never reads another daemon's store:
    the staff from dispatch's staff.changed, a unit's people from the
    registry's household.registered, a case's reporter from ticket.filed
    and its handler from order.assigned. Every lookup is keyed by the
    event's own estate, so nobody of another estate is ever told.

    A resident is reached as they asked (kf.ContactChannel): by email, by
    WeChat when they follow the account and the kind has a WeChat template,
    else by SMS (the provider when the kind has an SMS template, else the
    group's gateway by webhook). "none" is an opt-out: such a message is
    kept as suppressed, unless it is urgent. Staff are told through
    notify/staff_channels.
*/
#include "notify_private.h"

//  ---- following -------------------------------------------------------------------

int
notify_people_follow (notify_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    kf_key_t key;
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_STAFF_CHANGED: {
            const Kf__Staff *s = event->staff_changed->staff;
            if (!s || !s->staff_id || !s->estate || strcmp (s->estate, event->estate) != 0
            ||  kf_key_make (&key, "s|s", event->estate, s->staff_id))
                return 0;
            return kf_txn_put_msg (txn, self->staff, &key, &s->base) ? -1 : 1;
        }
        case KF__ENVELOPE__BODY_HOUSEHOLD_REGISTERED: {
            const Kf__HouseholdFile *h = event->household_registered->household;
            if (!h || !h->unit || !kf_unit_valid (h->unit) || kf_key_make (&key, "s|s", event->estate, h->unit))
                return 0;
            return kf_txn_put_msg (txn, self->households, &key, &h->base) ? -1 : 1;
        }
        case KF__ENVELOPE__BODY_TICKET_FILED: {
            const Kf__TicketFiled *t = event->ticket_filed;
            if (!t->ticket_no || kf_key_make (&key, "s|s", event->estate, t->ticket_no))
                return 0;
            Kf__NotifyCase c = KF__NOTIFY_CASE__INIT;
            c.ticket_no = t->ticket_no;
            c.unit = t->unit;
            c.reporter_name = t->reporter_name;
            c.reporter_phone = t->reporter_phone;
            KF_SET (&c, emergency, t->priority == KF__PRIORITY__PRIORITY_EMERGENCY
                                   || kf_case_emergency (t->type, t->hazards, t->n_hazards));
            return kf_txn_put_msg (txn, self->cases, &key, &c.base) ? -1 : 1;
        }
        case KF__ENVELOPE__BODY_ORDER_ASSIGNED: {
            const Kf__OrderAssigned *a = event->order_assigned;
            if (!a->ticket_no || kf_key_make (&key, "s|s", event->estate, a->ticket_no))
                return 0;
            Kf__NotifyCase *c = (Kf__NotifyCase *) kf_txn_find_msg_in (txn, self->cases, &key,
                                                                       &kf__notify_case__descriptor,
                                                                       self->base.scratch);
            if (!c)
                return 0;
            c->handler = a->staff_id;
            return kf_txn_put_msg (txn, self->cases, &key, &c->base) ? -1 : 1;
        }
        default:
            return 0;
    }
}

//  ---- lookups ---------------------------------------------------------------------

static void *
s_find (notify_t *self, kf_txn_t *txn, kf_table_t table, const char *estate, const char *id,
        const ProtobufCMessageDescriptor *d)
{
    kf_key_t key;
    if (!id || !*id || kf_key_make (&key, "s|s", estate, id))
        return NULL;
    return kf_txn_find_msg_in (txn, table, &key, d, self->base.scratch);
}

static const Kf__NotifyCase *
s_case (notify_t *self, kf_txn_t *txn, const char *estate, const char *ticket_no)
{
    return s_find (self, txn, self->cases, estate, ticket_no, &kf__notify_case__descriptor);
}

static bool
s_phone_of (const Kf__Person *p, const char *phone)
{
    for (size_t i = 0; phone && i < p->n_phones; i++)
        if (strcmp (p->phones [i], phone) == 0)
            return true;
    return false;
}

bool
notify_people_holds (notify_t *self, kf_txn_t *txn, const char *estate, const char *unit, const char *phone)
{
    const Kf__HouseholdFile *h = s_find (self, txn, self->households, estate, unit, &kf__household_file__descriptor);
    for (size_t i = 0; h && i < h->n_people; i++)
        if ((h->people [i]->role == KF__PERSON_ROLE__PERSON_ROLE_OWNER
             || h->people [i]->role == KF__PERSON_ROLE__PERSON_ROLE_TENANT)
        &&  s_phone_of (h->people [i], phone))
            return true;
    return false;
}

//  ---- telling ----------------------------------------------------------------------

typedef struct {
    notify_t *self;
    kf_txn_t *txn;
    int64_t now_ms;
    const Kf__Envelope *event;
    const notify_kind_t *kind;
    const ProtobufCMessage *body;
    const notify_messages_t *messages;
    bool urgent;
    const char *ticket_no;
} s_tell_t;

static int
s_send (s_tell_t *t, const Kf__Recipient *r, Kf__NotifyChannel channel)
{
    return notify_deliver (t->self, t->txn, t->now_ms, t->event, t->kind, t->body, r, channel, t->urgent,
                           t->ticket_no);
}

static int
s_tell_staff (s_tell_t *t, const char *staff_id)
{
    const Kf__Staff *s = s_find (t->self, t->txn, t->self->staff, t->event->estate, staff_id,
                                 &kf__staff__descriptor);
    if (!s || (s->has_active && !s->active))
        return 0;
    Kf__Recipient r = KF__RECIPIENT__INIT;
    KF_SET (&r, kind, KF__RECIPIENT_KIND__RECIPIENT_KIND_STAFF);
    r.id = s->staff_id;
    r.name = s->name;
    r.language = s->language;
    int rc = 0;
    const notify_channels_t *c = &t->self->channels;
    if (t->self->staff_webhook && notify_channel_on (c, KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WEBHOOK)) {
        r.address = s->staff_id;
        rc |= s_send (t, &r, KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WEBHOOK);
    }
    if (t->self->staff_email && s->email && *s->email
    &&  notify_channel_on (c, KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_EMAIL)) {
        r.address = s->email;
        rc |= s_send (t, &r, KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_EMAIL);
    }
    return rc;
}

//  A message by text to a phone: the SMS provider when the kind has a
//  template there, else the group's gateway. UNSPECIFIED when neither is on.
static Kf__NotifyChannel
s_text_channel (const s_tell_t *t)
{
    const notify_channels_t *c = &t->self->channels;
    if (t->messages->sms_template && notify_channel_on (c, KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_SMS))
        return KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_SMS;
    if (notify_channel_on (c, KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WEBHOOK))
        return KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WEBHOOK;
    return KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_UNSPECIFIED;
}

//  A person of the unit, as they asked to be reached. A delivery that
//  cannot or may not be made is still kept, suppressed, with the reason.
static int
s_tell_person (s_tell_t *t, const char *unit, const Kf__Person *p)
{
    const notify_channels_t *c = &t->self->channels;
    Kf__Recipient r = KF__RECIPIENT__INIT;
    KF_SET (&r, kind, KF__RECIPIENT_KIND__RECIPIENT_KIND_RESIDENT);
    r.id = (char *) unit;
    r.name = p->name;
    r.language = p->language;
    const char *phone = p->n_phones ? p->phones [0] : NULL;
    Kf__NotifyChannel channel = KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_UNSPECIFIED;
    if (p->contact == KF__CONTACT_CHANNEL__CONTACT_CHANNEL_EMAIL && p->email && *p->email
    &&  notify_channel_on (c, KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_EMAIL)) {
        channel = KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_EMAIL;
        r.address = p->email;
    }
    else
    if (p->contact == KF__CONTACT_CHANNEL__CONTACT_CHANNEL_WECHAT && p->wechat_openid && *p->wechat_openid
    &&  t->messages->wechat_template && notify_channel_on (c, KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WECHAT)) {
        channel = KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WECHAT;
        r.address = p->wechat_openid;
    }
    else
    if (phone) {
        channel = s_text_channel (t);
        r.address = (char *) phone;
    }
    if (!r.address)
        r.address = p->email && *p->email ? p->email : "";
    //  Opted out, or nothing reaches them: kept, suppressed, with the reason
    //  (notify_deliver sees the channel unset, or the contact "none").
    if (p->contact == KF__CONTACT_CHANNEL__CONTACT_CHANNEL_NONE && !t->urgent)
        channel = KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_UNSPECIFIED;
    return s_send (t, &r, channel);
}

//  The owners and tenants of a unit (the ones a notice is for); members
//  only when the unit has neither.
static int
s_tell_unit (s_tell_t *t, const char *unit)
{
    const Kf__HouseholdFile *h = s_find (t->self, t->txn, t->self->households, t->event->estate, unit,
                                         &kf__household_file__descriptor);
    if (!h)
        return 0;
    size_t told = 0;
    int rc = 0;
    for (size_t i = 0; i < h->n_people; i++)
        if (h->people [i]->role == KF__PERSON_ROLE__PERSON_ROLE_OWNER
        ||  h->people [i]->role == KF__PERSON_ROLE__PERSON_ROLE_TENANT) {
            rc |= s_tell_person (t, unit, h->people [i]);
            told++;
        }
    for (size_t i = 0; !told && i < h->n_people; i++)
        rc |= s_tell_person (t, unit, h->people [i]);
    return rc;
}

//  Whoever gave this phone: the unit's person it belongs to (as they asked
//  to be reached), else the phone alone, by text.
static int
s_tell_phone (s_tell_t *t, const char *unit, const char *name, const char *phone)
{
    if (!phone || !*phone)
        return 0;
    const Kf__HouseholdFile *h = unit ? s_find (t->self, t->txn, t->self->households, t->event->estate, unit,
                                                &kf__household_file__descriptor) : NULL;
    for (size_t i = 0; h && i < h->n_people; i++)
        if (s_phone_of (h->people [i], phone))
            return s_tell_person (t, unit, h->people [i]);
    Kf__Recipient r = KF__RECIPIENT__INIT;
    KF_SET (&r, kind, KF__RECIPIENT_KIND__RECIPIENT_KIND_REPORTER);
    r.id = (char *) (unit ? unit : "");
    r.name = (char *) name;
    r.address = (char *) phone;
    return s_send (t, &r, s_text_channel (t));
}

static int
s_tell_reporter (s_tell_t *t, const char *ticket_no)
{
    const Kf__NotifyCase *c = s_case (t->self, t->txn, t->event->estate, ticket_no);
    if (!c)
        return 0;
    t->urgent = t->urgent || c->emergency;
    return s_tell_phone (t, c->unit, c->reporter_name, c->reporter_phone);
}

int
notify_people_tell (notify_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event,
                    const notify_kind_t *kind, const ProtobufCMessage *body)
{
    const notify_estate_t *e = notify_estate (self, event->estate);
    s_tell_t t = { self, txn, now_ms, event, kind, body, &e->messages [kind - notify_kinds], kind->urgent, NULL };
    switch (kind->body) {
        case KF__ENVELOPE__BODY_ORDER_ASSIGNED: {
            const Kf__OrderAssigned *a = event->order_assigned;
            t.ticket_no = a->ticket_no;
            const Kf__NotifyCase *c = s_case (self, txn, event->estate, a->ticket_no);
            t.urgent = c && c->emergency;
            return s_tell_staff (&t, a->staff_id);
        }
        case KF__ENVELOPE__BODY_ESCALATION_RAISED: {
            const Kf__EscalationRaised *x = event->escalation_raised;
            t.ticket_no = x->ticket_no;
            int rc = 0;
            for (size_t i = 0; i < x->n_notify_staff; i++)
                rc |= s_tell_staff (&t, x->notify_staff [i]);
            return rc;
        }
        case KF__ENVELOPE__BODY_SLA_WARNING: {
            const Kf__SlaAlert *w = event->sla_warning;
            t.ticket_no = w->ticket_no;
            if (w->deadline)
                return s_tell_staff (&t, w->deadline->handler);
            const Kf__NotifyCase *c = s_case (self, txn, event->estate, w->ticket_no);
            return c ? s_tell_staff (&t, c->handler) : 0;
        }
        case KF__ENVELOPE__BODY_INVOICE_ISSUED:
            return s_tell_unit (&t, event->invoice_issued->unit);
        case KF__ENVELOPE__BODY_REMINDER_SENT:
            return s_tell_unit (&t, event->reminder_sent->unit);
        case KF__ENVELOPE__BODY_VISIT_SCHEDULED:
            //  The return visit is with whoever reported the case.
            t.ticket_no = event->visit_scheduled->ticket_no;
            return s_tell_reporter (&t, t.ticket_no);
        case KF__ENVELOPE__BODY_TICKET_CLOSED:
            t.ticket_no = event->ticket_closed->ticket_no;
            return s_tell_reporter (&t, t.ticket_no);
        case KF__ENVELOPE__BODY_DESK_LOAN_OVERDUE: {
            const Kf__Loan *l = event->desk_loan_overdue->loan;
            if (!l)
                return 0;
            if (l->staff_id && *l->staff_id)
                return s_tell_staff (&t, l->staff_id);
            return s_tell_phone (&t, l->unit, l->person, l->phone);
        }
        case KF__ENVELOPE__BODY_VIOLATION_RECORDED:
        case KF__ENVELOPE__BODY_VIOLATION_OVERDUE: {
            const Kf__Violation *v = kind->body == KF__ENVELOPE__BODY_VIOLATION_RECORDED
                                   ? event->violation_recorded->violation : event->violation_overdue->violation;
            return v ? s_tell_unit (&t, v->unit) : 0;
        }
        default:
            return 0;
    }
}
