/*  intake_register — what intake knows of its estates' registers, and the
    tickets other daemons' findings file (a handover's defects, a vacant
    unit's, a round's: round.finding at a checkpoint's area). Each
    unit, and each unit's people by phone, as kefu-registry announced them
    (unit.registered, household.registered). A filing is checked against
    it: an estate whose register holds units files only for those units
    (registry/check_units turns that off while a register is loaded), and a
    filing that names no unit takes the one its reporter's phone belongs
    to. Intake keeps its own copy, so an estate server's intake checks the
    same while its link to the cluster is down. See intake_private.h.

    Tables (keys):
      units       estate|unit          ""
      households  estate|unit          HouseholdFile (the phones to unindex when it changes)
      phones      estate|phone|unit    the person's name
*/
#include "intake_private.h"

static void
s_index (intake_t *self, kf_txn_t *txn, const Kf__HouseholdFile *h, bool add)
{
    for (size_t p = 0; h && p < h->n_people; p++)
        for (size_t i = 0; i < h->people [p]->n_phones; i++) {
            kf_key_t key;
            if (kf_key_make (&key, "s|s|s", h->estate, h->people [p]->phones [i], h->unit))
                continue;   //  not a phone (the registry checks them): nothing to find by it
            const char *name = h->people [p]->name ? h->people [p]->name : "";
            if (add)
                kf_txn_put (txn, self->phones, &key, name, strlen (name));
            else
                kf_txn_del (txn, self->phones, &key);
        }
}

//  One finding of another daemon's filed as the desk would file it: a
//  repair at `f`'s unit, seen on site, under its idempotency key (so a
//  replayed event files nothing twice). A refusal is logged, not fatal:
//  the event is applied. 0, or -1 when the transaction failed.
static int
s_file_finding (intake_t *self, kf_txn_t *txn, int64_t now_ms, Kf__FileTicket *f, const char *actor)
{
    kf_arena_reset (self->base.scratch);
    KF_SET (f, type, KF__TICKET_TYPE__TICKET_TYPE_REPAIR);
    KF_SET (f, channel, KF__CHANNEL__CHANNEL_ON_SITE_VISIT);
    if (!f->has_category || !f->category)
        KF_SET (f, category, KF__CATEGORY__CATEGORY_OTHER);
    kf_utf8_clip (f->description, INTAKE_TEXT_MAX);   //  a description's limit, on a whole character
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_FILE_TICKET;
    request.file_ticket = f;
    request.actor = (char *) actor;
    KF_SET (&request, role, KF__ROLE__ROLE_FRONT_DESK);
    Kf__Reply reply = KF__REPLY__INIT;
    if (intake_file (self, txn, now_ms, &request, &reply, self->base.scratch)) {
        if (!kf_txn_ok (txn))
            return -1;
        kf_warning ("%s: finding %s at %s is not filed: %s", f->estate, f->idempotency_key, f->unit,
                    reply.error ? reply.error : "refused");
    }
    return 0;
}

//  Findings of the register's — a handover's defects (入伙验房), a vacant
//  unit's inspection — each a ticket reported from the phone the registry
//  named; the key is the event's and the finding's number.
static int
s_file_findings (intake_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event, const char *unit,
                 Kf__HandoverDefect **findings, size_t count, const char *what, const char *name, const char *phone,
                 const char *by)
{
    if (!unit || !phone || !event->event_id)
        return 1;
    for (size_t i = 0; i < count; i++) {
        const Kf__HandoverDefect *d = findings [i];
        char key [80], text [2800];   //  a place and a description of 500 characters each, in UTF-8
        snprintf (key, sizeof key, "%.40s/finding-%zu", event->event_id, i + 1);
        snprintf (text, sizeof text, "%s: %s%s%s", what, d->place ? d->place : "", d->place ? ": " : "",
                  d->description ? d->description : "");
        Kf__FileTicket f = KF__FILE_TICKET__INIT;
        f.estate = event->estate;
        f.unit = (char *) unit;
        f.reporter_name = (char *) name;
        f.reporter_phone = (char *) phone;
        f.category = d->category;
        f.has_category = d->has_category;
        f.description = text;
        f.idempotency_key = key;
        if (s_file_finding (self, txn, now_ms, &f, by && *by ? by : "registry"))
            return -1;
    }
    return 1;
}

//  A round's finding (round.finding): a ticket at the checkpoint's area,
//  reported by whoever walked the round, with the photo; routed as usual.
//  Its key is the round's and the finding's number.
static int
s_file_round_finding (intake_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    const Kf__RoundFinding *x = event->round_finding;
    if (!x->round_id || !x->by_phone || !x->has_index)
        return 1;
    char key [KF_ID_MAX * 3 + 32], text [INTAKE_TEXT_MAX * 4 + 1];
    snprintf (key, sizeof key, "round/%s/%u", x->round_id, x->index);
    snprintf (text, sizeof text, "巡检 round %s, %s%s%s%s: %s — %s%s%s", x->round_id, x->checkpoint ? x->checkpoint : "",
              x->place ? " (" : "", x->place ? x->place : "", x->place ? ")" : "", x->what ? x->what : "",
              x->observed ? x->observed : "not OK", x->note ? ". " : "", x->note ? x->note : "");
    Kf__FileTicket f = KF__FILE_TICKET__INIT;
    f.estate = event->estate;
    f.unit = x->area && *x->area ? x->area : KF_COMMON_AREA;
    f.reporter_name = x->by_name && *x->by_name ? x->by_name : x->by;
    f.reporter_phone = x->by_phone;
    f.category = x->category;
    f.has_category = x->has_category;
    f.description = text;
    char *photos [1] = { x->photo_url };
    if (x->photo_url) {
        f.photo_urls = photos;
        f.n_photo_urls = 1;
    }
    f.idempotency_key = key;
    return s_file_finding (self, txn, now_ms, &f, x->by && *x->by ? x->by : "dispatch") ? -1 : 1;
}

int
intake_register_apply (intake_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    if (event->body_case == KF__ENVELOPE__BODY_ROUND_FINDING)
        return intake_owned (self, event->estate) ? s_file_round_finding (self, txn, now_ms, event) : 1;
    bool unit = event->body_case == KF__ENVELOPE__BODY_UNIT_REGISTERED;
    bool handed = event->body_case == KF__ENVELOPE__BODY_UNIT_HANDED_OVER;
    bool inspected = event->body_case == KF__ENVELOPE__BODY_UNIT_INSPECTED;
    if (!unit && !handed && !inspected && event->body_case != KF__ENVELOPE__BODY_HOUSEHOLD_REGISTERED)
        return 0;
    if (!intake_owned (self, event->estate))
        return 1;
    if (handed) {
        const Kf__UnitHandedOver *x = event->unit_handed_over;
        const Kf__Handover *h = x->handover;
        return h ? s_file_findings (self, txn, now_ms, event, h->unit, h->defects, h->n_defects,
                                    "入伙验房 handover inspection", x->reporter_name, x->reporter_phone, h->handled_by)
                 : 1;
    }
    if (inspected) {
        const Kf__UnitInspected *x = event->unit_inspected;
        const Kf__VacantInspection *in = x->inspection;
        return in ? s_file_findings (self, txn, now_ms, event, in->unit, in->findings, in->n_findings,
                                     "空置房检查 vacant-unit inspection", x->reporter_name, x->reporter_phone, in->by)
                  : 1;
    }
    kf_key_t key;
    if (unit) {
        const Kf__Unit *u = event->unit_registered->unit;
        if (!u || !u->unit || !kf_unit_valid (u->unit))
            return 1;
        kf_val_t known;
        kf_key_make (&key, "s|s", event->estate, u->unit);
        int rc = kf_txn_get (txn, self->units, &key, &known);
        if (rc == KF_NOTFOUND) {
            kf_txn_put (txn, self->units, &key, "", 0);
            kf_key_t count;
            kf_key_make (&count, "s|s", "units", event->estate);
            kf_txn_next (txn, self->counters, &count);
        }
        return kf_txn_ok (txn) ? 1 : -1;
    }
    Kf__HouseholdFile *h = event->household_registered->household;
    if (!h || !h->unit || !kf_unit_valid (h->unit))
        return 1;
    Kf__HouseholdFile copy = *h;
    copy.estate = event->estate;    //  the stream's estate, whatever the body says
    kf_key_make (&key, "s|s", event->estate, h->unit);
    kf_arena_reset (self->base.scratch);
    Kf__HouseholdFile *was = (Kf__HouseholdFile *) kf_txn_find_msg_in (txn, self->households, &key,
                                                                       &kf__household_file__descriptor,
                                                                       self->base.scratch);
    if (was)
        was->estate = event->estate;
    s_index (self, txn, was, false);
    s_index (self, txn, &copy, true);
    kf_txn_put_msg (txn, self->households, &key, &copy.base);
    return kf_txn_ok (txn) ? 1 : -1;
}

typedef struct {
    size_t skip;                //  estate|phone| before the unit
    size_t found;
    char unit [KF_KEY_MAX + 1];
} s_phone_t;

static int
s_phone_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) txn; (void) value;
    s_phone_t *p = arg;
    if (p->found++ == 0)
        snprintf (p->unit, sizeof p->unit, "%.*s", (int) (key.size - p->skip), (const char *) key.data + p->skip);
    return p->found > 1 ? 1 : 0;
}

//  The name the register has for a phone at a unit; NULL when none.
static const char *
s_name_at (intake_t *self, kf_txn_t *txn, const char *estate, const char *phone, const char *unit,
           kf_arena_t *arena)
{
    kf_key_t key;
    kf_val_t name;
    if (kf_key_make (&key, "s|s|s", estate, phone, unit) || kf_txn_get (txn, self->phones, &key, &name) != KF_FOUND
    ||  name.size == 0)
        return NULL;
    char *text = kf_arena_alloc (arena, name.size + 1);
    if (text) {
        memcpy (text, name.data, name.size);
        text [name.size] = 0;
    }
    return text;
}

//  The unit of a filing: named and in the register, or the phone's.
static int
s_unit_checked (intake_t *self, kf_txn_t *txn, const Kf__FileTicket *f, const char **unit, Kf__Reply *reply,
                kf_arena_t *arena)
{
    *unit = f->unit;
    kf_key_t key;
    if (!f->unit || !*f->unit) {
        s_phone_t p = { .skip = strlen (f->estate) + strlen (f->reporter_phone) + 2 };
        kf_key_make (&key, "s|s|", f->estate, f->reporter_phone);
        if (kf_txn_scan (txn, self->phones, &key, s_phone_row, &p) < 0)
            return -1;
        if (p.found == 0)
            return KF_BAD ("unit is required: phone %s is not in %s's register", f->reporter_phone, f->estate);
        if (p.found > 1)
            return KF_BAD ("unit is required: phone %s is registered at several units of %s", f->reporter_phone,
                           f->estate);
        *unit = kf_arena_strdup (arena, p.unit);
        return *unit ? 0 : kf_txn_fail (txn, "out of memory");
    }
    if (!intake_owned (self, f->estate)->check_units || kf_unit_common (f->unit))
        return 0;   //  not checked, or the estate's common areas (no register lists them)
    kf_key_make (&key, "s|s", "units", f->estate);
    if (kf_txn_counter (txn, self->counters, &key) == 0)
        return kf_txn_ok (txn) ? 0 : -1;   //  no register yet: every well-formed unit
    kf_val_t known;
    kf_key_make (&key, "s|s", f->estate, f->unit);
    int rc = kf_txn_get (txn, self->units, &key, &known);
    if (rc == KF_NOTFOUND)
        return KF_BAD ("no unit %s in %s", f->unit, f->estate);
    return rc == KF_FOUND ? 0 : -1;
}

int
intake_register_unit (intake_t *self, kf_txn_t *txn, const Kf__FileTicket *f, const char **unit, const char **name,
                      Kf__Reply *reply, kf_arena_t *arena)
{
    int rc = s_unit_checked (self, txn, f, unit, reply, arena);
    if (rc)
        return rc;
    *name = f->reporter_name && *f->reporter_name ? f->reporter_name
          : s_name_at (self, txn, f->estate, f->reporter_phone, *unit, arena);
    if (!kf_txn_ok (txn))
        return -1;
    if (!*name)
        return KF_BAD ("reporter_name is required (1 to %d characters): phone %s is nobody's at %s in the register",
                       S_NAME_MAX, f->reporter_phone, *unit);
    return 0;
}
