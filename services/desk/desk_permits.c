/*  desk_permits — release permits (物资搬运放行条 QR-002SD, 客户物品搬出流程):
    an owner or tenant of a unit asks to move goods out; the desk issues a
    permit naming the unit, the items, the vehicle and the day, only when
    the unit owes nothing (as billing's events told the desk: kf_balance),
    or when a supervisor overrides with the reason, kept on the permit. The
    gate marks it used on its day; unused, it expires at the day's end (a
    shared timer, armed with the issue). See desk_private.h.
*/
#include "desk_private.h"
#include "kf_money.h"
#include "kf_timers.h"

#define S_ITEMS_MAX    20
#define S_ITEM_MAX     100
#define S_PLATE_MAX    16
#define S_REASON_MIN   4
#define S_REASON_MAX   200
#define S_NOTE_MAX     500
#define S_DAYS_AHEAD   30        //  a permit for at most this many days on
#define S_FIRE_MAX     1000

static Kf__ReleasePermit *
s_permit_get (desk_t *self, kf_txn_t *txn, const char *permit_id, kf_arena_t *arena)
{
    return desk_record_get (txn, self->permits, permit_id, &kf__release_permit__descriptor, arena);
}

static void
s_permit_put (desk_t *self, kf_txn_t *txn, const Kf__ReleasePermit *p)
{
    kf_key_t key;
    kf_key_make (&key, "s", p->permit_id);
    kf_txn_put_msg (txn, self->permits, &key, &p->base);
    kf_key_make (&key, "s|u|s", p->estate, p->date, p->permit_id);
    kf_txn_put (txn, self->by_day, &key, "", 0);
}

static void
s_announce (desk_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Envelope__BodyCase kind, Kf__ReleasePermit *p,
            const char *actor)
{
    Kf__DeskPermit body = KF__DESK_PERMIT__INIT;
    body.permit = p;
    desk_emit (self, txn, now_ms, p->estate, kind, &body.base, actor);
}

static uint32_t
s_today (const desk_estate_t *e, int64_t now_ms)
{
    return kf_day_to_yyyymmdd (kf_local_day (now_ms, e->estate->utc_offset_min));
}

//  ---- issue -------------------------------------------------------------------------------

static int
s_check (const Kf__ReleasePermit *in, uint32_t today, Kf__Reply *reply, kf_arena_t *arena)
{
    if (in->n_items == 0 || in->n_items > S_ITEMS_MAX)
        return KF_BAD ("a permit names what goes out: 1 to %d items", S_ITEMS_MAX);
    for (size_t i = 0; i < in->n_items; i++)
        if (!desk_text_ok (in->items [i], S_ITEM_MAX))
            return KF_BAD ("item %zu is not 1 to %d characters on one line", i + 1, S_ITEM_MAX);
    if (in->plate && *in->plate && !desk_text_ok (in->plate, S_PLATE_MAX))
        return KF_BAD ("a plate is 1 to %d characters", S_PLATE_MAX);
    int64_t day, first;
    kf_yyyymmdd_to_day (today, &first);
    if (in->date && (kf_yyyymmdd_to_day (in->date, &day) || day < first || day > first + S_DAYS_AHEAD))
        return KF_BAD ("date %u is not a day from today (%u) to %d days on", in->date, today, S_DAYS_AHEAD);
    return 0;
}

int
desk_issue_permit (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                   kf_arena_t *arena)
{
    const Kf__IssuePermit *q = request->issue_permit;
    const Kf__ReleasePermit *in = q->permit;
    if (!in)
        return KF_BAD ("the permit is required");
    const desk_estate_t *e = desk_request_estate (self, request, in->estate, true, reply, arena);
    if (!e)
        return -1;
    uint32_t today = s_today (e, now_ms);
    if (s_check (in, today, reply, arena))
        return -1;
    const char *reason = q->override_reason && *q->override_reason ? q->override_reason : NULL;
    if (reason && (strlen (reason) < S_REASON_MIN || !desk_text_ok (reason, S_REASON_MAX)))
        return KF_BAD ("an override's reason is %d to %d characters on one line", S_REASON_MIN, S_REASON_MAX);
    const Kf__Person *person = desk_person_of (self, txn, e->estate->id, in->unit, in->person, reply, arena);
    if (!person)
        return -1;
    if (person->role != KF__PERSON_ROLE__PERSON_ROLE_OWNER && person->role != KF__PERSON_ROLE__PERSON_ROLE_TENANT)
        return KF_BAD ("%s is a member of %s's household: an owner or a tenant asks for a release permit",
                       in->person, in->unit);
    //  Only when the unit owes nothing, or a supervisor says why not.
    int64_t owed = kf_balance_owed (txn, self->balances, e->estate->id, in->unit, arena);
    if (!kf_txn_ok (txn))
        return -1;
    char money [32];
    if (owed > 0 && !reason)
        return KF_CONFLICT ("%s owes ¥%s: a release permit needs the fees paid, or a supervisor's override with "
                            "the reason", in->unit, kf_fen_format (owed, money, sizeof money));
    if (owed > 0 && request->role != KF__ROLE__ROLE_SUPERVISOR && request->role != KF__ROLE__ROLE_MANAGER)
        return KF_FORBIDDEN ("%s owes ¥%s: only a supervisor overrides that", in->unit,
                             kf_fen_format (owed, money, sizeof money));
    if (reason && owed <= 0)
        return KF_BAD ("%s owes nothing: there is nothing to override", in->unit);
    Kf__ReleasePermit *p = (Kf__ReleasePermit *) kf_arena_message (arena, &kf__release_permit__descriptor);
    if (!p)
        return kf_txn_fail (txn, "out of memory");
    *p = *in;
    p->estate = (char *) e->estate->id;
    if (!(p->permit_id = desk_number (self, txn, e, "permit", 'P', now_ms, arena)))
        return kf_txn_ok (txn) ? kf_txn_fail (txn, "out of memory") : -1;
    if (p->plate && !*p->plate)
        p->plate = NULL;
    KF_SET (p, date, in->date ? in->date : today);
    KF_SET (p, status, KF__PERMIT_STATUS__PERMIT_STATUS_ISSUED);
    p->issued_by = request->actor;
    KF_SET (p, issued_at_ms, now_ms);
    KF_SET (p, owed_fen, owed);
    p->override_reason = (char *) reason;
    p->used_by = p->note = NULL;
    p->has_used_at_ms = 0;
    int64_t day;
    kf_yyyymmdd_to_day (p->date, &day);
    KF_SET (p, expires_at_ms, kf_local_day_start (day + 1, e->estate->utc_offset_min));
    s_permit_put (self, txn, p);
    kf_timers_arm (txn, self->expiry, p->expires_at_ms, p->permit_id);
    s_announce (self, txn, now_ms, KF__ENVELOPE__BODY_DESK_PERMIT_ISSUED, p, request->actor);
    if (reason)
        kf_notice ("%s: release permit %s for %s, which owes ¥%s, issued on %s's override: %s", e->estate->id,
                   p->permit_id, p->unit, kf_fen_format (owed, money, sizeof money),
                   request->actor ? request->actor : "?", reason);
    if (!kf_txn_ok (txn))
        return -1;
    reply->result_case = KF__REPLY__RESULT_PERMIT;
    reply->permit = p;
    return 0;
}

//  ---- the gate -------------------------------------------------------------------------------

int
desk_use_permit (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                 kf_arena_t *arena)
{
    const Kf__UsePermit *q = request->use_permit;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, false, reply, arena);
    if (!e)
        return -1;
    if (!q->permit_id || !*q->permit_id)
        return KF_BAD ("which permit? its number, e.g. %s-P20261203-0001", e->estate->id);
    if (q->note && *q->note && !desk_text_ok (q->note, S_NOTE_MAX))
        return KF_BAD ("the note is at most %d characters on one line", S_NOTE_MAX);
    Kf__ReleasePermit *p = s_permit_get (self, txn, q->permit_id, arena);
    if (!p || !p->estate || strcmp (p->estate, e->estate->id) != 0)
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no permit %s in %s", q->permit_id, e->estate->id) : -1;
    char when [32];
    if (p->status == KF__PERMIT_STATUS__PERMIT_STATUS_USED)
        return KF_CONFLICT ("%s was used at %s: goods leave once", p->permit_id,
                            kf_local_format (p->used_at_ms, e->estate->utc_offset_min, when, sizeof when));
    if (p->status == KF__PERMIT_STATUS__PERMIT_STATUS_EXPIRED || now_ms >= p->expires_at_ms)
        return KF_CONFLICT ("%s expired at the end of %u: the desk issues a new one", p->permit_id, p->date);
    uint32_t today = s_today (e, now_ms);
    if (p->date != today)
        return KF_CONFLICT ("%s is for %u, not today (%u)", p->permit_id, p->date, today);
    kf_timers_disarm (txn, self->expiry, p->expires_at_ms, p->permit_id);
    KF_SET (p, status, KF__PERMIT_STATUS__PERMIT_STATUS_USED);
    p->used_by = request->actor;
    KF_SET (p, used_at_ms, now_ms);
    if (q->note && *q->note)
        p->note = q->note;
    s_permit_put (self, txn, p);
    s_announce (self, txn, now_ms, KF__ENVELOPE__BODY_DESK_PERMIT_USED, p, request->actor);
    if (!kf_txn_ok (txn))
        return -1;
    reply->result_case = KF__REPLY__RESULT_PERMIT;
    reply->permit = p;
    return 0;
}

//  ---- the list ---------------------------------------------------------------------------------

typedef struct {
    desk_t *self;
    const Kf__ListPermits *query;
    Kf__PermitList *list;
    size_t room;
    kf_arena_t *arena;
} s_list_t;

static int
s_list_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, bool show, void *arg)
{
    (void) value;
    s_list_t *l = arg;
    char estate [KF_ID_MAX + 1], id [DESK_ID_SIZE];
    uint32_t date;
    if (kf_key_scan (key.data, key.size, "s|u|s", estate, sizeof estate, &date, id, sizeof id))
        return kf_txn_fail (txn, "a permit key does not decode");
    Kf__ReleasePermit *p = s_permit_get (l->self, txn, id, l->arena);
    if (!p)
        return kf_txn_ok (txn) ? 0 : -1;
    const Kf__ListPermits *q = l->query;
    if ((q->unit && (!p->unit || strcmp (p->unit, q->unit) != 0)) || (q->status && p->status != q->status))
        return 0;
    if (show && kf_arena_push (l->arena, (void ***) &l->list->permits, &l->list->n_permits, &l->room, p))
        return kf_txn_fail (txn, "out of memory");
    return 1;
}

int
desk_list_permits (desk_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ListPermits *q = request->list_permits;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, false, reply, arena);
    if (!e)
        return -1;
    int64_t day;
    if (q->date && kf_yyyymmdd_to_day (q->date, &day))
        return KF_BAD ("date %u is not a day (yyyymmdd)", q->date);
    if (q->unit && !kf_unit_valid (q->unit))
        return KF_BAD ("'%s' is not a unit (building-unit-room, e.g. 3-2-1502)", q->unit);
    if (q->status > KF__PERMIT_STATUS__PERMIT_STATUS_EXPIRED)
        return KF_BAD ("status %d is not issued, used or expired", (int) q->status);
    s_list_t l = { .self = self, .query = q, .arena = arena,
                   .list = (Kf__PermitList *) kf_arena_message (arena, &kf__permit_list__descriptor) };
    if (!l.list)
        return kf_txn_fail (txn, "out of memory");
    kf_key_t prefix, top;
    if (q->date) {
        kf_key_make (&prefix, "s|u|", e->estate->id, q->date);
        kf_key_make (&top, "s|u|s", e->estate->id, q->date, "\x7f");
    }
    else {
        kf_key_make (&prefix, "s|", e->estate->id);
        kf_key_make (&top, "s|u", e->estate->id, UINT32_MAX);
    }
    kf_page_t page;
    int rc = kf_page_walk (txn, self->by_day, &prefix, &top, q->page,
                           kf_page_size (q->page, DESK_PAGE_DEFAULT, DESK_PAGE_MAX), s_list_row, &l, arena, &page);
    if (kf_page_result (rc, reply, arena))
        return -1;
    l.list->next_page_token = page.next_token;
    KF_SET (l.list, total, page.total);
    reply->result_case = KF__REPLY__RESULT_PERMITS;
    reply->permits = l.list;
    return 0;
}

//  ---- expiry ------------------------------------------------------------------------------------

//  An issued permit's day ended unused: expired, once. A timer whose permit
//  was used since is stale.
static int
s_expire (kf_txn_t *txn, int64_t at_ms, const char *id, void *arg)
{
    desk_t *self = arg;
    kf_arena_reset (self->base.scratch);
    Kf__ReleasePermit *p = s_permit_get (self, txn, id, self->base.scratch);
    if (!p || p->status != KF__PERMIT_STATUS__PERMIT_STATUS_ISSUED || p->expires_at_ms != at_ms)
        return kf_txn_ok (txn) ? 0 : -1;
    KF_SET (p, status, KF__PERMIT_STATUS__PERMIT_STATUS_EXPIRED);
    s_permit_put (self, txn, p);
    s_announce (self, txn, at_ms, KF__ENVELOPE__BODY_DESK_PERMIT_EXPIRED, p, NULL);
    return kf_txn_ok (txn) ? 1 : -1;
}

int
desk_permits_tick (desk_t *self, kf_txn_t *txn, int64_t now_ms)
{
    return kf_timers_fire (txn, self->expiry, now_ms, S_FIRE_MAX, s_expire, self);
}

//  ---- after a restore ------------------------------------------------------------------------------

int
desk_permits_recover (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    const Kf__DeskPermit *body = event->body_case == KF__ENVELOPE__BODY_DESK_PERMIT_ISSUED ? event->desk_permit_issued
                               : event->body_case == KF__ENVELOPE__BODY_DESK_PERMIT_USED ? event->desk_permit_used
                               : event->body_case == KF__ENVELOPE__BODY_DESK_PERMIT_EXPIRED ? event->desk_permit_expired
                               : NULL;
    const Kf__ReleasePermit *p = body ? body->permit : NULL;
    if (!p || !p->permit_id || !p->estate || !p->date || !desk_estate (self, p->estate))
        return 0;
    const Kf__ReleasePermit *was = s_permit_get (self, txn, p->permit_id, self->base.scratch);
    if (was && was->status == KF__PERMIT_STATUS__PERMIT_STATUS_ISSUED)
        kf_timers_disarm (txn, self->expiry, was->expires_at_ms, was->permit_id);
    s_permit_put (self, txn, p);
    if (p->status == KF__PERMIT_STATUS__PERMIT_STATUS_ISSUED)
        kf_timers_arm (txn, self->expiry, p->expires_at_ms, p->permit_id);
    desk_number_seen (self, txn, p->estate, "permit", 'P', p->permit_id);
    return kf_txn_ok (txn) ? 0 : -1;
}
