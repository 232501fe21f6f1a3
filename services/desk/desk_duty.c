/*  desk_duty — each shift's duty log (客服值班记录表 QR-032SD, 值班日志) and its
    handover (客服前台交接班记录, 值班交接记录表): the outgoing staff signs it
    naming the incoming, and the desk lists by itself what is still open —
    the estate's open tickets, keys and items not back, release permits not
    yet used, violations not put right, targets missed and not yet met; the
    incoming signs for it. The supervisor reads the day's handovers the day
    after (主管"一查工作完成情况") and says so on each.

    The open tickets and the missed targets are what the desk follows from
    the bus (ticket.*, sla.*, deadline.*): no other daemon's store is read.
    See desk_private.h.
*/
#include "desk_private.h"

#define S_SHIFT_MAX     24
#define S_TEXT_MAX      1000
#define S_NOTE_MAX      500
#define S_ENTRIES_MAX   500
#define S_LISTED_MAX    50
#define S_CASH_MAX      (INT64_C (1000000) * 100)
#define S_ID_SIZE       (DESK_ID_SIZE + 64)   //  a ticket number or a clock's id

static uint32_t
s_day (const desk_estate_t *e, int64_t now_ms, int back)
{
    return kf_day_to_yyyymmdd (kf_local_day (now_ms, e->estate->utc_offset_min) - back);
}

//  The shift named by a request: its day (0: today) and name; NULL after a reply.
static Kf__DutyShift *
s_shift (desk_t *self, kf_txn_t *txn, const desk_estate_t *e, uint32_t date, const char *name, int64_t now_ms,
         bool create, Kf__Reply *reply, kf_arena_t *arena)
{
    int64_t day;
    if (date && kf_yyyymmdd_to_day (date, &day)) {
        KF_BAD ("date %u is not a day (yyyymmdd)", date);
        return NULL;
    }
    if (!desk_text_ok (name, S_SHIFT_MAX) || strchr (name, '|')) {
        KF_BAD ("which shift? its name in 1 to %d characters (day, night, 早班)", S_SHIFT_MAX);
        return NULL;
    }
    date = date ? date : s_day (e, now_ms, 0);
    kf_key_t key;
    kf_key_make (&key, "s|u|s", e->estate->id, date, name);
    Kf__DutyShift *s = (Kf__DutyShift *) kf_txn_find_msg_in (txn, self->shifts, &key, &kf__duty_shift__descriptor,
                                                           arena);
    if (s || !kf_txn_ok (txn))
        return s;
    if (!create) {
        KF_NOT_FOUND ("no %s shift on %u in %s", name, date, e->estate->id);
        return NULL;
    }
    if (!(s = (Kf__DutyShift *) kf_arena_message (arena, &kf__duty_shift__descriptor))) {
        kf_txn_fail (txn, "out of memory");
        return NULL;
    }
    s->estate = (char *) e->estate->id;
    KF_SET (s, date, date);
    s->shift = (char *) name;
    return s;
}

static void
s_put (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__DutyShift *s, Kf__Envelope__BodyCase kind,
       const char *actor)
{
    kf_key_t key;
    kf_key_make (&key, "s|u|s", s->estate, s->date, s->shift);
    kf_txn_put_msg (txn, self->shifts, &key, &s->base);
    Kf__DeskShift body = KF__DESK_SHIFT__INIT;
    body.shift = (Kf__DutyShift *) s;
    desk_emit (self, txn, now_ms, s->estate, kind, &body.base, actor);
}

static int
s_reply (Kf__Reply *reply, Kf__DutyShift *s, kf_txn_t *txn)
{
    if (!kf_txn_ok (txn))
        return -1;
    reply->result_case = KF__REPLY__RESULT_DUTY_SHIFT;
    reply->duty_shift = s;
    return 0;
}

//  ---- the log ---------------------------------------------------------------------------

int
desk_log_duty (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
               kf_arena_t *arena)
{
    const Kf__LogDuty *q = request->log_duty;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, true, reply, arena);
    if (!e)
        return -1;
    const Kf__DutyEntry *in = q->entry;
    if (!in || !in->has_kind || in->kind < KF__DUTY_ENTRY_KIND__DUTY_ENTRY_KIND_EVENT
    ||  in->kind > KF__DUTY_ENTRY_KIND__DUTY_ENTRY_KIND_OTHER)
        return KF_BAD ("what kind of entry: event, call, keys, cash or other");
    if (!desk_text_ok (in->text, S_TEXT_MAX))
        return KF_BAD ("the entry says what in 1 to %d characters on one line", S_TEXT_MAX);
    if (in->amount_fen && in->kind != KF__DUTY_ENTRY_KIND__DUTY_ENTRY_KIND_CASH)
        return KF_BAD ("an amount goes with a cash entry");
    if (in->amount_fen < 0 || in->amount_fen > S_CASH_MAX)
        return KF_BAD ("a cash amount is ¥0 to ¥1,000,000.00");
    Kf__DutyShift *s = s_shift (self, txn, e, q->date, q->shift, now_ms, true, reply, arena);
    if (!s)
        return -1;
    if (s->handed_by)
        return KF_CONFLICT ("the %s shift of %u was handed over by %s: its log is closed", s->shift, s->date,
                            s->handed_by);
    if (s->n_entries >= S_ENTRIES_MAX)
        return KF_CONFLICT ("the %s shift of %u has %d entries", s->shift, s->date, S_ENTRIES_MAX);
    Kf__DutyEntry *entry = (Kf__DutyEntry *) kf_arena_message (arena, &kf__duty_entry__descriptor);
    size_t room = s->n_entries;
    if (!entry || kf_arena_push (arena, (void ***) &s->entries, &s->n_entries, &room, entry))
        return kf_txn_fail (txn, "out of memory");
    *entry = *in;
    KF_SET (entry, at_ms, now_ms);
    entry->by = request->actor;
    s_put (self, txn, now_ms, s, KF__ENVELOPE__BODY_DESK_LOGGED, request->actor);
    return s_reply (reply, s, txn);
}

//  ---- what is open -------------------------------------------------------------------------

typedef struct {
    desk_t *self;
    kf_txn_t *txn;
    Kf__HandoverOpen *open;
    size_t rooms [5];
    uint32_t today;
    kf_arena_t *arena;
    int rc;
} s_open_t;

static int
s_push (s_open_t *o, char ***list, size_t *count, size_t *room, const char *text)
{
    char *copy = kf_arena_strdup (o->arena, text);
    return copy && kf_arena_push (o->arena, (void ***) list, count, room, copy) == 0 ? 0 : -1;
}

static int
s_ticket_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) value;
    s_open_t *o = arg;
    char estate [KF_ID_MAX + 1], ticket_no [S_ID_SIZE];
    if (kf_key_scan (key.data, key.size, "s|s", estate, sizeof estate, ticket_no, sizeof ticket_no))
        return kf_txn_fail (txn, "an open ticket's key does not decode");
    KF_SET (o->open, ticket_count, o->open->ticket_count + 1);
    if (o->open->n_tickets < S_LISTED_MAX
    &&  s_push (o, &o->open->tickets, &o->open->n_tickets, &o->rooms [0], ticket_no))
        return kf_txn_fail (txn, "out of memory");
    return 0;
}

static int
s_loan_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) key;
    s_open_t *o = arg;
    char id [S_ID_SIZE];
    if (value.size >= sizeof id)
        return kf_txn_fail (txn, "an out entry does not decode");
    memcpy (id, value.data, value.size);
    id [value.size] = 0;
    return s_push (o, &o->open->loans_out, &o->open->n_loans_out, &o->rooms [1], id) ? kf_txn_fail (txn, "out of memory")
                                                                                     : 0;
}

//  The estate's permits by day (estate|date|id): from today on, those not yet used.
static int
s_permit_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) value;
    s_open_t *o = arg;
    char estate [KF_ID_MAX + 1], id [DESK_ID_SIZE];
    uint32_t date;
    if (kf_key_scan (key.data, key.size, "s|u|s", estate, sizeof estate, &date, id, sizeof id))
        return kf_txn_fail (txn, "a permit key does not decode");
    if (date < o->today)
        return 0;
    kf_key_t k;
    kf_key_make (&k, "s", id);
    const Kf__ReleasePermit *p = (const Kf__ReleasePermit *) kf_txn_find_msg_in (txn, o->self->permits, &k,
                                                                              &kf__release_permit__descriptor, o->arena);
    if (!p || p->status != KF__PERMIT_STATUS__PERMIT_STATUS_ISSUED)
        return kf_txn_ok (txn) ? 0 : -1;
    return s_push (o, &o->open->permits_pending, &o->open->n_permits_pending, &o->rooms [2], p->permit_id)
         ? kf_txn_fail (txn, "out of memory") : 0;
}

static int
s_violation_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) value;
    s_open_t *o = arg;
    char id [S_ID_SIZE];
    if (desk_key_id (key, id, sizeof id))
        return kf_txn_fail (txn, "an open violation's key does not decode");
    return s_push (o, &o->open->violations_open, &o->open->n_violations_open, &o->rooms [3], id)
         ? kf_txn_fail (txn, "out of memory") : 0;
}

static int
s_breach_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) key;
    s_open_t *o = arg;
    char what [S_ID_SIZE];
    if (value.size >= sizeof what)
        return kf_txn_fail (txn, "a breach entry does not decode");
    memcpy (what, value.data, value.size);
    what [value.size] = 0;
    if (o->open->n_breaches >= S_LISTED_MAX)
        return 1;
    return s_push (o, &o->open->breaches, &o->open->n_breaches, &o->rooms [4], what)
         ? kf_txn_fail (txn, "out of memory") : 0;
}

//  What is open in the estate now, as the desk knows it.
static Kf__HandoverOpen *
s_open_now (desk_t *self, kf_txn_t *txn, const desk_estate_t *e, int64_t now_ms, kf_arena_t *arena)
{
    s_open_t o = { .self = self, .txn = txn, .today = s_day (e, now_ms, 0), .arena = arena,
                   .open = (Kf__HandoverOpen *) kf_arena_message (arena, &kf__handover_open__descriptor) };
    if (!o.open) {
        kf_txn_fail (txn, "out of memory");
        return NULL;
    }
    KF_SET (o.open, ticket_count, 0);
    kf_key_t prefix;
    kf_key_make (&prefix, "s|", e->estate->id);
    if (kf_txn_scan (txn, self->open_tickets, &prefix, s_ticket_row, &o) < 0
    ||  kf_txn_scan (txn, self->out, &prefix, s_loan_row, &o) < 0
    ||  kf_txn_scan (txn, self->by_day, &prefix, s_permit_row, &o) < 0
    ||  kf_txn_scan (txn, self->open_violations, &prefix, s_violation_row, &o) < 0
    ||  kf_txn_scan (txn, self->breaches, &prefix, s_breach_row, &o) < 0)
        return NULL;
    return o.open;
}

//  ---- the handover ----------------------------------------------------------------------------

int
desk_hand_over (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                kf_arena_t *arena)
{
    const Kf__HandOver *q = request->hand_over;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, true, reply, arena);
    if (!e)
        return -1;
    if (!request->actor || !*request->actor)
        return KF_BAD ("a handover is signed by the outgoing staff: who are you?");
    if (!q->to || !*q->to || kf_config_valid_id (q->to) == false)
        return KF_BAD ("to whom? the incoming staff id");
    if (strcmp (q->to, request->actor) == 0)
        return KF_BAD ("a shift is handed to someone else");
    if (q->note && *q->note && !desk_text_ok (q->note, S_NOTE_MAX))
        return KF_BAD ("the note is at most %d characters on one line", S_NOTE_MAX);
    Kf__DutyShift *s = s_shift (self, txn, e, q->date, q->shift, now_ms, true, reply, arena);
    if (!s)
        return -1;
    if (s->handed_by)
        return KF_CONFLICT ("the %s shift of %u was handed over by %s to %s", s->shift, s->date, s->handed_by,
                            s->handed_to ? s->handed_to : "?");
    Kf__HandoverOpen *open = s_open_now (self, txn, e, now_ms, arena);
    if (!open)
        return -1;
    s->handed_by = request->actor;
    KF_SET (s, handed_at_ms, now_ms);
    s->handed_to = q->to;
    s->open = open;
    s->note = q->note && *q->note ? q->note : NULL;
    s_put (self, txn, now_ms, s, KF__ENVELOPE__BODY_DESK_HANDED_OVER, request->actor);
    return s_reply (reply, s, txn);
}

int
desk_take_over (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                kf_arena_t *arena)
{
    const Kf__TakeOver *q = request->take_over;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, true, reply, arena);
    if (!e)
        return -1;
    Kf__DutyShift *s = s_shift (self, txn, e, q->date, q->shift, now_ms, false, reply, arena);
    if (!s)
        return -1;
    if (!s->handed_by)
        return KF_CONFLICT ("the %s shift of %u is not handed over yet", s->shift, s->date);
    if (s->taken_by)
        return KF_CONFLICT ("the %s shift of %u was taken over by %s", s->shift, s->date, s->taken_by);
    if (!request->actor || strcmp (request->actor, s->handed_to) != 0)
        return KF_FORBIDDEN ("the %s shift of %u was handed to %s: only they sign for it", s->shift, s->date,
                             s->handed_to);
    s->taken_by = request->actor;
    KF_SET (s, taken_at_ms, now_ms);
    s_put (self, txn, now_ms, s, KF__ENVELOPE__BODY_DESK_TAKEN_OVER, request->actor);
    return s_reply (reply, s, txn);
}

//  ---- the day's shifts ---------------------------------------------------------------------------

typedef struct {
    Kf__DutyShiftList *list;
    size_t room;
    kf_arena_t *arena;
} s_day_t;

static int
s_day_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) key;
    s_day_t *d = arg;
    return kf_arena_push (d->arena, (void ***) &d->list->shifts, &d->list->n_shifts, &d->room, (void *) msg)
         ? kf_txn_fail (txn, "out of memory") : 0;
}

static Kf__DutyShiftList *
s_day_shifts (desk_t *self, kf_txn_t *txn, const desk_estate_t *e, uint32_t date, kf_arena_t *arena)
{
    s_day_t d = { .arena = arena, .list = (Kf__DutyShiftList *) kf_arena_message (arena,
                                                                               &kf__duty_shift_list__descriptor) };
    if (!d.list) {
        kf_txn_fail (txn, "out of memory");
        return NULL;
    }
    kf_key_t prefix;
    kf_key_make (&prefix, "s|u|", e->estate->id, date);
    if (kf_txn_scan_msg_in (txn, self->shifts, &prefix, &kf__duty_shift__descriptor, arena, s_day_row, &d) < 0)
        return NULL;
    return d.list;
}

int
desk_list_shifts (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                  kf_arena_t *arena)
{
    const Kf__ListShifts *q = request->list_shifts;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, false, reply, arena);
    if (!e)
        return -1;
    int64_t day;
    if (q->date && kf_yyyymmdd_to_day (q->date, &day))
        return KF_BAD ("date %u is not a day (yyyymmdd)", q->date);
    Kf__DutyShiftList *list = s_day_shifts (self, txn, e, q->date ? q->date : s_day (e, now_ms, 0), arena);
    if (!list)
        return -1;
    reply->result_case = KF__REPLY__RESULT_DUTY_SHIFTS;
    reply->duty_shifts = list;
    return 0;
}

//  The supervisor's daily check: yesterday's handovers (or the day's
//  named) read, each marked so. A shift not handed over is said in the
//  reply's error instead, nothing marked: the check waits for it.
int
desk_check_handovers (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                      kf_arena_t *arena)
{
    const Kf__CheckHandovers *q = request->check_handovers;
    if (request->role != KF__ROLE__ROLE_SUPERVISOR && request->role != KF__ROLE__ROLE_MANAGER)
        return KF_FORBIDDEN ("the daily check of the handovers is a supervisor's");
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, true, reply, arena);
    if (!e)
        return -1;
    int64_t day;
    if (q->date && kf_yyyymmdd_to_day (q->date, &day))
        return KF_BAD ("date %u is not a day (yyyymmdd)", q->date);
    if (q->note && *q->note && !desk_text_ok (q->note, S_NOTE_MAX))
        return KF_BAD ("the note is at most %d characters on one line", S_NOTE_MAX);
    uint32_t date = q->date ? q->date : s_day (e, now_ms, 1);
    Kf__DutyShiftList *list = s_day_shifts (self, txn, e, date, arena);
    if (!list)
        return -1;
    if (list->n_shifts == 0)
        return KF_NOT_FOUND ("no shift logged on %u in %s", date, e->estate->id);
    for (size_t i = 0; i < list->n_shifts; i++)
        if (!list->shifts [i]->handed_by || !list->shifts [i]->taken_by)
            return KF_CONFLICT ("the %s shift of %u is not handed over and taken yet", list->shifts [i]->shift, date);
    for (size_t i = 0; i < list->n_shifts; i++) {
        Kf__DutyShift *s = list->shifts [i];
        s->checked_by = request->actor;
        KF_SET (s, checked_at_ms, now_ms);
        s->check_note = q->note && *q->note ? q->note : NULL;
        s_put (self, txn, now_ms, s, KF__ENVELOPE__BODY_DESK_HANDOVER_CHECKED, request->actor);
    }
    if (!kf_txn_ok (txn))
        return -1;
    reply->result_case = KF__REPLY__RESULT_DUTY_SHIFTS;
    reply->duty_shifts = list;
    return 0;
}

//  ---- what the desk follows for the list -------------------------------------------------------

//  The estate's open tickets, by number (a number sorts as it was filed:
//  E001-20261203-0001).
static int
s_ticket_open (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event, const char *ticket_no, bool open)
{
    kf_key_t key;
    if (!ticket_no || kf_key_make (&key, "s|s", event->estate, ticket_no))
        return 1;
    if (open)
        kf_txn_put (txn, self->open_tickets, &key, "", 0);
    else
        kf_txn_del (txn, self->open_tickets, &key);
    return kf_txn_ok (txn) ? 1 : -1;
}

static int
s_breach (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event, const char *clock_id, const char *what, bool on)
{
    kf_key_t key;
    if (!clock_id || kf_key_make (&key, "s|s", event->estate, clock_id))
        return 1;
    if (on && what)
        kf_txn_put (txn, self->breaches, &key, what, strlen (what) < S_ID_SIZE - 1 ? strlen (what) : S_ID_SIZE - 2);
    else
        kf_txn_del (txn, self->breaches, &key);
    return kf_txn_ok (txn) ? 1 : -1;
}

int
desk_duty_follow (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_TICKET_FILED:
            return s_ticket_open (self, txn, event, event->ticket_filed->ticket_no, true);
        case KF__ENVELOPE__BODY_TICKET_REOPENED:
            return s_ticket_open (self, txn, event, event->ticket_reopened->ticket_no, true);
        case KF__ENVELOPE__BODY_TICKET_CLOSED:
            return s_ticket_open (self, txn, event, event->ticket_closed->ticket_no, false);
        case KF__ENVELOPE__BODY_TICKET_CANCELLED: {
            //  A withdrawn case's clocks stop unmet: its breaches go with it.
            const char *no = event->ticket_cancelled->ticket_no;
            static const char *const targets [] = { "first_response", "on_site", "resolution" };
            char clock_id [S_ID_SIZE];
            for (size_t i = 0; no && i < 3; i++) {
                snprintf (clock_id, sizeof clock_id, "%s/%s", no, targets [i]);
                if (s_breach (self, txn, event, clock_id, NULL, false) < 0)
                    return -1;
            }
            return s_ticket_open (self, txn, event, no, false);
        }
        case KF__ENVELOPE__BODY_DEADLINE_DROPPED: {
            char clock_id [S_ID_SIZE];
            const Kf__Deadline *d = event->deadline_dropped;
            if (!d->subject)
                return 1;
            snprintf (clock_id, sizeof clock_id, "%s:%s/resolution", event->estate, d->subject);
            return s_breach (self, txn, event, clock_id, NULL, false);
        }
        case KF__ENVELOPE__BODY_SLA_BREACHED: {
            const Kf__SlaAlert *a = event->sla_breached;
            return s_breach (self, txn, event, a->clock_id, a->ticket_no ? a->ticket_no
                                                             : a->deadline ? a->deadline->subject : NULL, true);
        }
        case KF__ENVELOPE__BODY_SLA_MET:
            return s_breach (self, txn, event, event->sla_met->clock_id, NULL, false);
        default:
            return 0;
    }
}

//  ---- after a restore ----------------------------------------------------------------------------

int
desk_duty_recover (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    const Kf__DeskShift *body = event->body_case == KF__ENVELOPE__BODY_DESK_LOGGED ? event->desk_logged
                              : event->body_case == KF__ENVELOPE__BODY_DESK_HANDED_OVER ? event->desk_handed_over
                              : event->body_case == KF__ENVELOPE__BODY_DESK_TAKEN_OVER ? event->desk_taken_over
                              : event->body_case == KF__ENVELOPE__BODY_DESK_HANDOVER_CHECKED
                              ? event->desk_handover_checked : NULL;
    const Kf__DutyShift *s = body ? body->shift : NULL;
    if (!s || !s->estate || !s->shift || !s->date || !desk_estate (self, s->estate))
        return 0;
    kf_key_t key;
    kf_key_make (&key, "s|u|s", s->estate, s->date, s->shift);
    return kf_txn_put_msg (txn, self->shifts, &key, &s->base);
}
