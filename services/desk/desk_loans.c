/*  desk_loans — the registers of keys lent (钥匙借用登记表), items lent
    (物品借用登记表) and owners' things stored (客户物品寄存登记表): one Loan
    per line, lent (or taken in) by the desk to a person of a unit, or a
    plant room's key to a member of staff, and returned (or collected).

    A loan is due back by the kind's time unless the desk says when. Its
    due time is a shared timer (kf_timers) armed in the same transaction:
    still out then, the loan is marked overdue and the desk reminded
    (desk.loan_overdue), once. Its return is also a deadline of
    kefu-escalation's (deadline.set at the lending, due escalate_after past
    the due time; deadline.met at the return), so a loan long overdue is
    on the board and goes up the chain like any missed target.
    See desk_private.h.
*/
#include "desk_private.h"
#include "kf_timers.h"

#define S_TAG_MAX     64
#define S_NOTE_MAX    500
#define S_COUNT_MAX   999
#define S_DUE_MAX_MS  (366 * KF_MS_PER_DAY)
#define S_FIRE_MAX    1000     //  overdue loans one tick step marks

static const char *const s_kind_words [] = { "", "key", "item", "stored things" };

//  ---- records -------------------------------------------------------------------------

static Kf__Loan *
s_loan_get (desk_t *self, kf_txn_t *txn, const char *loan_id, kf_arena_t *arena)
{
    return desk_record_get (txn, self->loans, loan_id, &kf__loan__descriptor, arena);
}

static void
s_loan_put (desk_t *self, kf_txn_t *txn, const Kf__Loan *loan)
{
    kf_key_t key;
    kf_key_make (&key, "s", loan->loan_id);
    kf_txn_put_msg (txn, self->loans, &key, &loan->base);
}

static const char *
s_local (const desk_estate_t *e, int64_t utc_ms, char *buf, size_t size)
{
    return kf_local_format (utc_ms, e->estate->utc_offset_min, buf, size);
}

//  Who a loan is with, for a message: "张三 of 3-2-1502" or "staff W01".
static const char *
s_borrower (const Kf__Loan *l, char *buf, size_t size)
{
    if (l->staff_id)
        snprintf (buf, size, "staff %s", l->staff_id);
    else
        snprintf (buf, size, "%s of %s", l->person ? l->person : "?", l->unit ? l->unit : "?");
    return buf;
}

//  The loan's return as kefu-escalation's deadline: deadline.set (due
//  escalate_after past its due time) or deadline.met.
static void
s_deadline (desk_t *self, kf_txn_t *txn, int64_t now_ms, const desk_estate_t *e, const Kf__Loan *l,
            Kf__Envelope__BodyCase kind)
{
    char subject [DESK_ID_SIZE + 8], what [300], who [128], due [32];
    snprintf (subject, sizeof subject, "loan/%s", l->loan_id);
    snprintf (what, sizeof what, "%s %s lent to %s, due back %s", s_kind_words [l->kind], l->tag,
              s_borrower (l, who, sizeof who), s_local (e, l->due_ms, due, sizeof due));
    desk_deadline (self, txn, now_ms, e->estate->id, subject, KF__DEADLINE_KIND__DEADLINE_KIND_LOAN_RETURN, kind,
                   l->lent_at_ms, l->escalate_at_ms, l->unit, l->lent_by, what);
}

static void
s_announce (desk_t *self, kf_txn_t *txn, int64_t now_ms, const char *estate, Kf__Envelope__BodyCase kind,
            Kf__Loan *loan, const char *actor)
{
    Kf__DeskLent body = KF__DESK_LENT__INIT;   //  DeskLent, DeskReturned and DeskLoanOverdue are one shape
    body.loan = loan;
    desk_emit (self, txn, now_ms, estate, kind, &body.base, actor);
}

//  ---- the borrower ----------------------------------------------------------------------

//  A member of staff of the estate, as dispatch last announced them.
static bool
s_staff_known (desk_t *self, kf_txn_t *txn, const char *estate, const char *staff_id, kf_arena_t *arena)
{
    kf_key_t key;
    if (kf_key_make (&key, "s|s", estate, staff_id))
        return false;
    const Kf__Staff *s = (const Kf__Staff *) kf_txn_find_msg_in (txn, self->staff, &key, &kf__staff__descriptor, arena);
    return s && s->active;
}

//  ---- lend ---------------------------------------------------------------------------------

static int
s_check_loan (const desk_estate_t *e, const Kf__Loan *in, int64_t now_ms, Kf__Reply *reply, kf_arena_t *arena)
{
    char when [32];
    if (!in->has_kind || in->kind < KF__LOAN_KIND__LOAN_KIND_KEY || in->kind > KF__LOAN_KIND__LOAN_KIND_STORED)
        return KF_BAD ("what is lent: a key, an item, or stored things");
    if (!desk_text_ok (in->tag, S_TAG_MAX) || strchr (in->tag, '|'))
        return KF_BAD ("the tag names what is lent in 1 to %d characters, without '|' (K-3-2-1502, 梯子 ladder 2)",
                       S_TAG_MAX);
    if (in->has_count && (in->count < 1 || in->count > S_COUNT_MAX))
        return KF_BAD ("count %u is not 1 to %d", in->count, S_COUNT_MAX);
    if (in->note && *in->note && !desk_text_ok (in->note, S_NOTE_MAX))
        return KF_BAD ("the note is at most %d characters on one line", S_NOTE_MAX);
    if (in->phone && !kf_phone_valid (in->phone))
        return KF_BAD ("'%s' is not a phone (5 to 20 digits with an optional leading +)", in->phone);
    if (in->person && *in->person && !desk_text_ok (in->person, DESK_NAME_MAX))
        return KF_BAD ("a person's name is 1 to %d characters", DESK_NAME_MAX);
    if (in->staff_id && (in->unit || in->person))
        return KF_BAD ("lent to a person of a unit or to a member of staff, not both");
    if (in->staff_id && in->kind != KF__LOAN_KIND__LOAN_KIND_KEY)
        return KF_BAD ("only a key goes to a member of staff (a plant room's); %s go to a person of a unit",
                       in->kind == KF__LOAN_KIND__LOAN_KIND_ITEM ? "items" : "stored things");
    if (!in->staff_id && (!in->unit || !kf_unit_valid (in->unit)))
        return KF_BAD ("'%s' is not a unit (building-unit-room, e.g. 3-2-1502)", in->unit ? in->unit : "");
    if (in->has_due_ms && in->due_ms && (in->due_ms <= now_ms || in->due_ms > now_ms + S_DUE_MAX_MS))
        return KF_BAD ("due %s is not after now and within a year", s_local (e, in->due_ms, when, sizeof when));
    return 0;
}

int
desk_lend (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
           kf_arena_t *arena)
{
    const Kf__Loan *in = request->lend->loan;
    if (!in)
        return KF_BAD ("the loan is required");
    const desk_estate_t *e = desk_request_estate (self, request, in->estate, true, reply, arena);
    if (!e)
        return -1;
    if (s_check_loan (e, in, now_ms, reply, arena))
        return -1;
    const Kf__Lend *lend = request->lend;
    if (lend->has_due_in_ms && lend->due_in_ms && (in->due_ms || lend->due_in_ms < 60000
                                                   || lend->due_in_ms > S_DUE_MAX_MS))
        return KF_BAD ("due in a minute to a year, or at a time: not both");
    const Kf__Person *person = NULL;
    if (in->staff_id) {
        if (!s_staff_known (self, txn, e->estate->id, in->staff_id, arena))
            return kf_txn_ok (txn) ? KF_NOT_FOUND ("no staff %s in %s", in->staff_id, e->estate->id) : -1;
    }
    else
    if (!(person = desk_person_of (self, txn, e->estate->id, in->unit, in->person, reply, arena)))
        return -1;
    //  One of a tag out at a time.
    kf_key_t out;
    kf_val_t value;
    kf_key_make (&out, "s|s", e->estate->id, in->tag);
    int rc = kf_txn_get (txn, self->out, &out, &value);
    if (rc == KF_FOUND) {
        char id [DESK_ID_SIZE] = "", who [128], since [32];
        snprintf (id, sizeof id, "%.*s", (int) value.size, (const char *) value.data);
        const Kf__Loan *other = s_loan_get (self, txn, id, arena);
        if (!other)
            return kf_txn_ok (txn) ? kf_txn_fail (txn, "the out entry of %s names no loan", in->tag) : -1;
        return KF_CONFLICT ("%s is out: %s, lent to %s since %s", in->tag, other->loan_id,
                            s_borrower (other, who, sizeof who), s_local (e, other->lent_at_ms, since, sizeof since));
    }
    if (rc < 0)
        return -1;
    Kf__Loan *l = (Kf__Loan *) kf_arena_message (arena, &kf__loan__descriptor);
    if (!l)
        return kf_txn_fail (txn, "out of memory");
    *l = *in;
    l->estate = (char *) e->estate->id;
    if (!(l->loan_id = desk_number (self, txn, e, "loan", 'L', now_ms, arena)))
        return kf_txn_ok (txn) ? kf_txn_fail (txn, "out of memory") : -1;
    if (!l->has_count || !l->count)
        KF_SET (l, count, 1);
    if (!l->phone && person && person->n_phones)
        l->phone = person->phones [0];
    if (l->note && !*l->note)
        l->note = NULL;
    l->lent_by = request->actor;
    KF_SET (l, lent_at_ms, now_ms);
    KF_SET (l, due_ms, in->has_due_ms && in->due_ms ? in->due_ms
                     : lend->has_due_in_ms && lend->due_in_ms ? now_ms + lend->due_in_ms : now_ms + e->due_ms [l->kind]);
    KF_SET (l, escalate_at_ms, l->due_ms + e->escalate_after_ms);
    KF_SET (l, status, KF__LOAN_STATUS__LOAN_STATUS_OUT);
    KF_SET (l, overdue, 0);
    l->has_returned_at_ms = 0;
    l->returned_by = l->received_by = NULL;
    desk_record_put (txn, self->loans, l->loan_id, &l->base, self->by_lent, self->by_unit, e->estate->id, l->unit,
                     now_ms);
    kf_txn_put (txn, self->out, &out, l->loan_id, strlen (l->loan_id));
    kf_timers_arm (txn, self->due, l->due_ms, l->loan_id);
    s_announce (self, txn, now_ms, e->estate->id, KF__ENVELOPE__BODY_DESK_LENT, l, request->actor);
    s_deadline (self, txn, now_ms, e, l, KF__ENVELOPE__BODY_DEADLINE_SET);
    if (!kf_txn_ok (txn))
        return -1;
    reply->result_case = KF__REPLY__RESULT_LOAN;
    reply->loan = l;
    return 0;
}

//  ---- return ---------------------------------------------------------------------------------

int
desk_return (desk_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
             kf_arena_t *arena)
{
    const Kf__ReturnLoan *q = request->return_loan;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, true, reply, arena);
    if (!e)
        return -1;
    if (!q->loan_id || !*q->loan_id)
        return KF_BAD ("which loan comes back? its number, e.g. %s-L20261203-0001", e->estate->id);
    if (q->returned_by && !desk_text_ok (q->returned_by, DESK_NAME_MAX))
        return KF_BAD ("a person's name is 1 to %d characters", DESK_NAME_MAX);
    if (q->note && *q->note && !desk_text_ok (q->note, S_NOTE_MAX))
        return KF_BAD ("the note is at most %d characters on one line", S_NOTE_MAX);
    Kf__Loan *l = s_loan_get (self, txn, q->loan_id, arena);
    if (!l || !l->estate || strcmp (l->estate, e->estate->id) != 0)
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no loan %s in %s", q->loan_id, e->estate->id) : -1;
    if (l->status != KF__LOAN_STATUS__LOAN_STATUS_OUT) {
        char when [32];
        return KF_CONFLICT ("%s is not out: it came back %s (%s)", l->loan_id,
                            s_local (e, l->returned_at_ms, when, sizeof when),
                            l->returned_by ? l->returned_by : "by whom not said");
    }
    if (!l->overdue)
        kf_timers_disarm (txn, self->due, l->due_ms, l->loan_id);
    kf_key_t out;
    kf_key_make (&out, "s|s", e->estate->id, l->tag);
    kf_txn_del (txn, self->out, &out);
    KF_SET (l, status, KF__LOAN_STATUS__LOAN_STATUS_RETURNED);
    KF_SET (l, returned_at_ms, now_ms);
    l->returned_by = q->returned_by ? q->returned_by : l->person ? l->person : l->staff_id;
    l->received_by = request->actor;
    if (q->note && *q->note) {
        size_t size = (l->note ? strlen (l->note) : 0) + strlen (q->note) + 4;
        char *note = kf_arena_alloc (arena, size);
        if (!note)
            return kf_txn_fail (txn, "out of memory");
        snprintf (note, size, "%s%s%s", l->note ? l->note : "", l->note ? " / " : "", q->note);
        l->note = note;
    }
    s_loan_put (self, txn, l);
    s_announce (self, txn, now_ms, e->estate->id, KF__ENVELOPE__BODY_DESK_RETURNED, l, request->actor);
    s_deadline (self, txn, now_ms, e, l, KF__ENVELOPE__BODY_DEADLINE_MET);
    if (!kf_txn_ok (txn))
        return -1;
    reply->result_case = KF__REPLY__RESULT_LOAN;
    reply->loan = l;
    return 0;
}

//  ---- the registers ------------------------------------------------------------------------

static bool
s_keep (const ProtobufCMessage *record, const void *query)
{
    const Kf__Loan *loan = (const Kf__Loan *) record;
    const Kf__ListLoans *q = query;
    bool out = loan->status == KF__LOAN_STATUS__LOAN_STATUS_OUT;
    return (!q->kind || loan->kind == q->kind) && (!q->out_only || out) && (!q->overdue_only || (out && loan->overdue));
}

typedef struct {
    desk_t *self;
    const Kf__ListLoans *query;
    Kf__LoanList *list;
    kf_arena_t *arena;
} s_count_t;

//  What is out now, and how much of it overdue (of the unit's, when asked).
static int
s_count_out (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) key;
    s_count_t *l = arg;
    char id [DESK_ID_SIZE];
    if (value.size >= sizeof id)
        return kf_txn_fail (txn, "an out entry does not decode");
    memcpy (id, value.data, value.size);
    id [value.size] = 0;
    const Kf__Loan *loan = s_loan_get (l->self, txn, id, l->arena);
    if (!loan)
        return kf_txn_ok (txn) ? 0 : -1;
    if (l->query->unit && (!loan->unit || strcmp (loan->unit, l->query->unit) != 0))
        return 0;
    KF_SET (l->list, out, l->list->out + 1);
    KF_SET (l->list, overdue, l->list->overdue + loan->overdue);
    return 0;
}

int
desk_list_loans (desk_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ListLoans *q = request->list_loans;
    const desk_estate_t *e = desk_request_estate (self, request, q->estate, false, reply, arena);
    if (!e)
        return -1;
    if (q->has_kind && q->kind > KF__LOAN_KIND__LOAN_KIND_STORED)
        return KF_BAD ("kind %d is not a key, an item or stored things", (int) q->kind);
    Kf__LoanList *list = (Kf__LoanList *) kf_arena_message (arena, &kf__loan_list__descriptor);
    if (!list)
        return kf_txn_fail (txn, "out of memory");
    const desk_register_t reg = { self->loans, self->by_lent, self->by_unit, &kf__loan__descriptor, s_keep };
    kf_page_t page;
    if (desk_list (txn, &reg, e->estate->id, q->unit, q->page, q, (void ***) &list->loans, &list->n_loans, reply, arena,
                   &page))
        return -1;
    list->next_page_token = page.next_token;
    KF_SET (list, total, page.total);
    //  Phones whole for the estate's desk only.
    bool whole = kf_request_sees_phones (request, e->estate->id);
    for (size_t i = 0; !whole && i < list->n_loans; i++)
        if (list->loans [i]->phone) {
            char masked [32];
            kf_phone_mask (list->loans [i]->phone, masked, sizeof masked);
            list->loans [i]->phone = kf_arena_strdup (arena, masked);
        }
    //  What is out now, and overdue: the out tags (of the unit's, when asked).
    s_count_t c = { .self = self, .query = q, .list = list, .arena = arena };
    KF_SET (list, out, 0);
    KF_SET (list, overdue, 0);
    kf_key_t prefix;
    kf_key_make (&prefix, "s|", e->estate->id);
    if (kf_txn_scan (txn, self->out, &prefix, s_count_out, &c) < 0)
        return -1;
    reply->result_case = KF__REPLY__RESULT_LOANS;
    reply->loans = list;
    return 0;
}

//  ---- overdue ------------------------------------------------------------------------------

//  A loan's due time passed: overdue, the desk reminded, once. A timer
//  whose loan came back (or whose due time changed) is stale.
static int
s_overdue (kf_txn_t *txn, int64_t at_ms, const char *id, void *arg)
{
    desk_t *self = arg;
    kf_arena_reset (self->base.scratch);
    Kf__Loan *l = s_loan_get (self, txn, id, self->base.scratch);
    if (!l || l->status != KF__LOAN_STATUS__LOAN_STATUS_OUT || l->overdue || l->due_ms != at_ms)
        return kf_txn_ok (txn) ? 0 : -1;
    KF_SET (l, overdue, 1);
    s_loan_put (self, txn, l);
    s_announce (self, txn, at_ms, l->estate, KF__ENVELOPE__BODY_DESK_LOAN_OVERDUE, l, NULL);
    kf_notice ("%s: %s %s (%s) is overdue: the desk is reminded", l->estate, s_kind_words [l->kind], l->tag,
               l->loan_id);
    return kf_txn_ok (txn) ? 1 : -1;
}

int
desk_loans_tick (desk_t *self, kf_txn_t *txn, int64_t now_ms)
{
    return kf_timers_fire (txn, self->due, now_ms, S_FIRE_MAX, s_overdue, self);
}

//  ---- after a restore ------------------------------------------------------------------------

//  One of the desk's own events the archive gave back: the loan as it was
//  announced (each event carries the whole line), its indexes, its timer and
//  the day's counter past its number, so nothing lent since the backup is
//  lost and no number is given twice.
int
desk_loans_recover (desk_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    const Kf__Loan *l = NULL;
    if (event->body_case == KF__ENVELOPE__BODY_DESK_LENT)
        l = event->desk_lent->loan;
    else
    if (event->body_case == KF__ENVELOPE__BODY_DESK_RETURNED)
        l = event->desk_returned->loan;
    else
    if (event->body_case == KF__ENVELOPE__BODY_DESK_LOAN_OVERDUE)
        l = event->desk_loan_overdue->loan;
    if (!l || !l->loan_id || !l->estate || !l->tag || !desk_estate (self, l->estate))
        return 0;
    const Kf__Loan *was = s_loan_get (self, txn, l->loan_id, self->base.scratch);
    if (was && was->status == KF__LOAN_STATUS__LOAN_STATUS_OUT && !was->overdue)
        kf_timers_disarm (txn, self->due, was->due_ms, was->loan_id);
    desk_record_put (txn, self->loans, l->loan_id, &l->base, self->by_lent, self->by_unit, l->estate, l->unit,
                     l->lent_at_ms);
    kf_key_t key;
    kf_key_make (&key, "s|s", l->estate, l->tag);
    if (l->status == KF__LOAN_STATUS__LOAN_STATUS_OUT) {
        kf_txn_put (txn, self->out, &key, l->loan_id, strlen (l->loan_id));
        if (!l->overdue)
            kf_timers_arm (txn, self->due, l->due_ms, l->loan_id);
    }
    else
        kf_txn_del (txn, self->out, &key);
    desk_number_seen (self, txn, l->estate, "loan", 'L', l->loan_id);
    return kf_txn_ok (txn) ? 0 : -1;
}
