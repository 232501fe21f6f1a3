/*  survey — return visits, evaluations and statistics over a store
    transaction: set-up, the events consumed, the requests' dispatch and
    the periodic tick. See survey.h; the other parts are named in
    survey_private.h.
*/
#include "survey_private.h"

//  ---- set-up -----------------------------------------------------------------------

static int
s_categories (kf_config_t *config, const char *path, bool *set, kf_err_t *err)
{
    int values [S_CATEGORIES];
    int n = kf_config_enum_list (kf_config_str (config, path), &kf__category__descriptor, values, S_CATEGORIES, err);
    if (n < 0)
        return kf_err_prefix (err, "%s: ", path);
    for (int i = 0; i < n; i++)
        if (values [i] > 0 && values [i] < S_CATEGORIES)
            set [values [i]] = true;
    return 0;
}

//  An estate's own value of a rule, else the group's (in survey_new).
#define S_RULE(key) kf_config_rule (config, id, "survey/" key, path, sizeof path)

survey_t *
survey_new (kf_config_t *config, kf_err_t *err)
{
    assert (config);
    survey_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->estates = kf_domain_init (&self->base, config, sizeof *self->estates, err);
    if (!self->estates) {
        survey_destroy (&self);
        return NULL;
    }
    size_t estates = self->base.estate_count;
    const char *at = kf_config_str (config, "survey/daily_report_at");
    if (kf_hhmm_parse (&at, &self->report_minute))
        assert (false);   //  the configuration checked it
    for (size_t i = 0; i < estates; i++) {
        survey_estate_t *e = &self->estates [i];
        char path [128];
        e->estate = kf_config_estate (config, i);
        const char *id = e->estate->id;
        e->safety_ms = kf_config_duration_ms (config, S_RULE ("visit_safety"));
        e->leak_ms = kf_config_duration_ms (config, S_RULE ("visit_leak"));
        e->other_ms = kf_config_duration_ms (config, S_RULE ("visit_other"));
        e->complaint_ms = kf_config_duration_ms (config, S_RULE ("visit_complaint"));
        e->attempts = (uint32_t) kf_config_int (config, S_RULE ("visit_attempts"));
        e->max_contacts = (uint32_t) kf_config_int (config, S_RULE ("max_contacts"));
        e->percent = (uint32_t) kf_config_int (config, S_RULE ("sample_percent"));
        e->collection_days = (uint32_t) kf_config_int (config, S_RULE ("collection_days"));
        e->report_minute = self->report_minute;
        if (s_categories (config, S_RULE ("safety_categories"), e->safety, err)
        ||  s_categories (config, S_RULE ("leak_categories"), e->leak, err)) {
            survey_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
survey_destroy (survey_t **self_p)
{
    assert (self_p);
    survey_t *self = *self_p;
    if (self) {
        kf_domain_fini (&self->base);
        free (self);
        *self_p = NULL;
    }
}

void
survey_set_outbox (survey_t *self, kf_outbox_t *outbox)
{
    assert (self && outbox);
    self->base.outbox = outbox;
}

const survey_estate_t *
survey_estate (const survey_t *self, const char *id)
{
    return kf_domain_estate (&self->base, id);
}

void
survey_tables (survey_t *self, kf_txn_t *txn)
{
    static const char *const names [] = { SURVEY_OWN_TABLES, NULL };
    kf_table_t *const tables [] = { &self->visits, &self->visit_timers, &self->pending, &self->by_estate,
                                    &self->by_unit, &self->households, &self->evaluations, &self->answers,
                                    &self->outcomes, &self->problems, &self->days, &self->tickets, &self->counters,
                                    &self->tallies };
    kf_domain_tables (&self->base, txn, names, tables);
}

//  ---- small things ---------------------------------------------------------------------

static uint32_t
s_local_date (const survey_estate_t *e, int64_t utc_ms)
{
    return kf_day_to_yyyymmdd (kf_local_day (utc_ms, e->estate->utc_offset_min));
}

//  The estate a request is for, as this service keeps it (kf_request_estate).
const survey_estate_t *
survey_request_estate (survey_t *self, const Kf__Request *request, const char *named, Kf__Reply *reply,
                       kf_arena_t *arena)
{
    const kf_estate_t *estate = kf_request_estate (self->base.config, request, named, reply, arena);
    return estate ? survey_estate (self, estate->id) : NULL;
}


void
survey_count (survey_t *self, kf_txn_t *txn, const survey_estate_t *e, int64_t at_ms, survey_count_t what, kf_arena_t *arena)
{
    uint32_t date = s_local_date (e, at_ms);
    kf_key_t key;
    kf_key_make (&key, "s|u", e->estate->id, date);
    Kf__DailyReport *d = (Kf__DailyReport *) kf_txn_find_msg_in (txn, self->days, &key, &kf__daily_report__descriptor,
                                                                 arena);
    Kf__DailyReport fresh = KF__DAILY_REPORT__INIT;
    if (!d) {
        d = &fresh;
        d->estate = (char *) e->estate->id;
        KF_SET (d, date, date);
    }
    switch (what) {
        case D_FILED: KF_SET (d, filed, d->filed + 1); break;
        case D_CLOSED: KF_SET (d, closed, d->closed + 1); break;
        case D_COMPLAINTS: KF_SET (d, complaints, d->complaints + 1); break;
        case D_REPAIRS: KF_SET (d, repairs, d->repairs + 1); break;
        case D_BREACHES: KF_SET (d, breaches, d->breaches + 1); break;
        case D_VISITS_DONE: KF_SET (d, visits_done, d->visits_done + 1); break;
        case D_VISITS_SATISFIED: KF_SET (d, visits_satisfied, d->visits_satisfied + 1); break;
        case D_OPENED: KF_SET (d, opened, d->opened + 1); break;
        case D_ENDED: KF_SET (d, ended, d->ended + 1); break;
        case D_ROUNDS_DUE: KF_SET (d, rounds_due, d->rounds_due + 1); break;
        case D_ROUNDS_DONE: KF_SET (d, rounds_done, d->rounds_done + 1); break;
        case D_ROUNDS_LATE: KF_SET (d, rounds_late, d->rounds_late + 1); break;
        case D_ROUNDS_MISSED: KF_SET (d, rounds_missed, d->rounds_missed + 1); break;
        case D_ROUND_FINDINGS: KF_SET (d, round_findings, d->round_findings + 1); break;
    }
    kf_txn_put_msg (txn, self->days, &key, &d->base);
}

//  A problem for the Pareto: a complaint or an unsatisfied answer.
void
survey_problem (survey_t *self, kf_txn_t *txn, const char *estate, int64_t at_ms, Kf__Category category,
                const char *source)
{
    kf_key_t key;
    if (category > 0 && kf_key_make (&key, "s|t|u|s", estate, at_ms, (uint32_t) category, source) == 0)
        kf_txn_put (txn, self->problems, &key, "", 0);
}

//  Tickets open now, per estate: delta 0 reads it.
static int64_t
s_open_count (survey_t *self, kf_txn_t *txn, const char *estate, int delta)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", "open", estate);
    return (int64_t) (delta ? kf_txn_add (txn, self->counters, &key, delta) : kf_txn_counter (txn, self->counters,
                                                                                              &key));
}

//  ---- consumed events -----------------------------------------------------------------------------

//  A ticket's mark: its type, whether it is open, who handles it. A change
//  between open and not moves the estate's open count now and the day's
//  opened / ended counts at `at_ms`, from which "open at midnight" is
//  reckoned for any past midnight (s_open_at_end).
static Kf__TicketMark *
s_mark_ticket (survey_t *self, kf_txn_t *txn, const survey_estate_t *e, const char *ticket_no, Kf__TicketType type,
               bool open, int64_t at_ms, kf_arena_t *arena)
{
    kf_key_t key;
    if (!ticket_no || kf_key_make (&key, "s", ticket_no))
        return NULL;
    Kf__TicketMark *mark = (Kf__TicketMark *) kf_txn_find_msg_in (txn, self->tickets, &key,
                                                                  &kf__ticket_mark__descriptor, arena);
    bool was_open = mark && mark->open;
    if (!mark) {
        mark = (Kf__TicketMark *) kf_arena_message (arena, &kf__ticket_mark__descriptor);
        if (!mark) {
            kf_txn_fail (txn, "out of memory");
            return NULL;
        }
        mark->estate = (char *) e->estate->id;
        KF_SET (mark, type, type);
    }
    if (was_open != open) {
        s_open_count (self, txn, e->estate->id, open ? 1 : -1);
        survey_count (self, txn, e, at_ms, open ? D_OPENED : D_ENDED, arena);
    }
    KF_SET (mark, open, open);
    kf_txn_put_msg (txn, self->tickets, &key, &mark->base);
    return mark;
}

//  Who handles a ticket now: the assignee of its latest order, and that
//  order's department (a complaint's visit counts for them).
static void
s_mark_handler (survey_t *self, kf_txn_t *txn, const char *ticket_no, const char *staff_id, Kf__Department department,
                kf_arena_t *arena)
{
    kf_key_t key;
    if (!ticket_no || kf_key_make (&key, "s", ticket_no))
        return;
    Kf__TicketMark *mark = (Kf__TicketMark *) kf_txn_find_msg_in (txn, self->tickets, &key,
                                                                  &kf__ticket_mark__descriptor, arena);
    if (!mark)
        return;   //  a ticket filed before this store began
    if (staff_id && *staff_id)
        mark->staff_id = (char *) staff_id;
    if (department)
        KF_SET (mark, department, department);
    kf_txn_put_msg (txn, self->tickets, &key, &mark->base);
    //  Replayed after a downtime, intake's stream may come before
    //  dispatch's: a complaint's visit made before its handler was known
    //  takes them now, while it is not answered.
    kf_key_t counter;
    kf_key_make (&counter, "s|s", "visits", ticket_no);
    uint64_t last = kf_txn_counter (txn, self->counters, &counter);
    char visit_id [S_ID_MAX];
    snprintf (visit_id, sizeof visit_id, "%s-V%" PRIu64, ticket_no, last);
    Kf__Visit *v = last ? survey_visit_get (self, txn, visit_id, arena) : NULL;
    if (v && !v->done && v->scheduled->reason == KF__VISIT_REASON__VISIT_REASON_AFTER_COMPLAINT
    &&  !(v->scheduled->staff_id && *v->scheduled->staff_id) && staff_id && *staff_id) {
        v->scheduled->staff_id = (char *) staff_id;
        if (department)
            KF_SET (v->scheduled, department, department);
        survey_visit_put (self, txn, v);
    }
}

int
survey_apply_event (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    assert (self && txn && event);
    survey_tables (self, txn);
    const survey_estate_t *e = survey_estate (self, event->estate);
    if (!e)
        return 0;
    kf_arena_reset (self->base.scratch);
    kf_arena_t *arena = self->base.scratch;
    int64_t at = kf_event_time (event, now_ms);
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_UNIT_REGISTERED: {
            const Kf__Unit *u = event->unit_registered->unit;
            if (!u || !u->unit || !kf_unit_valid (u->unit))
                break;
            kf_key_t key;
            kf_key_make (&key, "s|s", e->estate->id, u->unit);
            Kf__Household *h = (Kf__Household *) kf_txn_find_msg_in (txn, self->households, &key,
                                                                     &kf__household__descriptor, arena);
            Kf__Household fresh = KF__HOUSEHOLD__INIT;
            if (!h) {
                h = &fresh;
                h->unit = u->unit;
                h->estate = (char *) e->estate->id;
            }
            KF_SET (h, occupied, u->occupied);
            kf_txn_put_msg (txn, self->households, &key, &h->base);
            break;
        }
        case KF__ENVELOPE__BODY_TICKET_FILED: {
            const Kf__TicketFiled *f = event->ticket_filed;
            s_mark_ticket (self, txn, e, f->ticket_no, f->type, true, at, arena);
            survey_count (self, txn, e, at, D_FILED, arena);
            if (f->type == KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT) {
                survey_count (self, txn, e, at, D_COMPLAINTS, arena);
                survey_problem (self, txn, e->estate->id, at, f->category, f->ticket_no);
            }
            if (f->type == KF__TICKET_TYPE__TICKET_TYPE_REPAIR)
                survey_count (self, txn, e, at, D_REPAIRS, arena);
            break;
        }
        case KF__ENVELOPE__BODY_TICKET_CLOSED: {
            const Kf__TicketClosed *c = event->ticket_closed;
            const Kf__TicketMark *mark = s_mark_ticket (self, txn, e, c->ticket_no, c->type, false, at, arena);
            survey_count (self, txn, e, at, D_CLOSED, arena);
            if (c->type == KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT) {
                //  The visit counts for whoever handled the complaint.
                survey_visit_for_t f = { .reason = KF__VISIT_REASON__VISIT_REASON_AFTER_COMPLAINT, .ticket_no = c->ticket_no,
                                    .unit = c->unit, .category = c->category, .done_at_ms = at,
                                    .staff_id = mark ? mark->staff_id : NULL,
                                    .department = mark && mark->has_department ? mark->department : 0 };
                survey_schedule (self, txn, now_ms, e, &f, event->event_id, arena);
            }
            break;
        }
        case KF__ENVELOPE__BODY_TICKET_REOPENED:
            s_mark_ticket (self, txn, e, event->ticket_reopened->ticket_no, 0, true, at, arena);
            break;
        case KF__ENVELOPE__BODY_TICKET_CANCELLED:
            s_mark_ticket (self, txn, e, event->ticket_cancelled->ticket_no, 0, false, at, arena);
            break;
        case KF__ENVELOPE__BODY_ORDER_ASSIGNED: {
            const Kf__OrderAssigned *o = event->order_assigned;
            s_mark_handler (self, txn, o->ticket_no, o->staff_id, o->has_department ? o->department : 0, arena);
            break;
        }
        case KF__ENVELOPE__BODY_ORDER_COMPLETED: {
            const Kf__OrderCompleted *o = event->order_completed;
            s_mark_handler (self, txn, o->ticket_no, o->staff_id, o->has_department ? o->department : 0, arena);
            bool rectification = o->rectification_of && *o->rectification_of;
            if (!rectification && o->type != KF__TICKET_TYPE__TICKET_TYPE_REPAIR
            &&  o->type != KF__TICKET_TYPE__TICKET_TYPE_EMERGENCY_HELP)
                break;   //  a complaint's or an enquiry's visit follows its ticket.closed
            survey_visit_for_t f = {
                .reason = rectification ? KF__VISIT_REASON__VISIT_REASON_AFTER_RECTIFICATION
                                        : KF__VISIT_REASON__VISIT_REASON_AFTER_REPAIR,
                .ticket_no = o->ticket_no, .order_no = o->order_no, .unit = o->unit, .staff_id = o->staff_id,
                .category = o->category, .department = o->department, .done_at_ms = at,
            };
            survey_schedule (self, txn, now_ms, e, &f, event->event_id, arena);
            break;
        }
        case KF__ENVELOPE__BODY_SLA_BREACHED:
            //  A case's target; a deadline's (a vacant unit's inspection)
            //  is not one of the day's cases.
            if (!event->sla_breached->deadline)
                survey_count (self, txn, e, at, D_BREACHES, arena);
            break;
        //  Rounds: due on the day of their time, done or late on the day
        //  they were finished, missed on the day their window ended; each
        //  finding counts that day and goes into the Pareto by its category.
        case KF__ENVELOPE__BODY_ROUND_DUE:
        case KF__ENVELOPE__BODY_ROUND_FINISHED:
        case KF__ENVELOPE__BODY_ROUND_MISSED: {
            const Kf__Round *r = event->round_due->round;
            if (!r)
                break;
            if (event->body_case == KF__ENVELOPE__BODY_ROUND_DUE)
                survey_count (self, txn, e, r->slot_ms, D_ROUNDS_DUE, arena);
            else
            if (event->body_case == KF__ENVELOPE__BODY_ROUND_MISSED)
                survey_count (self, txn, e, r->due_ms, D_ROUNDS_MISSED, arena);
            else
                survey_count (self, txn, e, at, r->late ? D_ROUNDS_LATE : D_ROUNDS_DONE, arena);
            break;
        }
        case KF__ENVELOPE__BODY_ROUND_FINDING: {
            const Kf__RoundFinding *f = event->round_finding;
            char source [S_ID_MAX];
            survey_count (self, txn, e, at, D_ROUND_FINDINGS, arena);
            snprintf (source, sizeof source, "round/%.60s/%u", f->round_id ? f->round_id : "", f->index);
            survey_problem (self, txn, event->estate, at, f->has_category ? f->category : KF__CATEGORY__CATEGORY_OTHER,
                            source);
            break;
        }
        default:
            break;
    }
    return kf_txn_ok (txn) ? 0 : -1;
}

//  ---- the tick -------------------------------------------------------------------------------------

#define S_OVERDUE_BATCH 10000

//  A visit past its due time without an answer: overdue, said once.
typedef struct {
    survey_t *self;
    int64_t now_ms;
} s_overdue_t;

static int
s_visit_due (kf_txn_t *txn, int64_t due, const char *visit_id, void *arg)
{
    s_overdue_t *o = arg;
    survey_t *self = o->self;
    kf_arena_reset (self->base.scratch);
    Kf__Visit *visit = survey_visit_get (self, txn, visit_id, self->base.scratch);
    if (!visit || visit->done || visit->overdue)
        return 0;
    KF_SET (visit, overdue, 1);
    survey_visit_put (self, txn, visit);
    Kf__VisitOverdue overdue = KF__VISIT_OVERDUE__INIT;
    overdue.visit_id = (char *) visit_id;
    overdue.ticket_no = visit->scheduled->ticket_no;
    KF_SET (&overdue, due_at_ms, due);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_VISIT_OVERDUE;
    event.visit_overdue = &overdue;
    kf_emit (self->base.outbox, txn, o->now_ms, visit->estate, &event, NULL);
    return 1;
}

static int
s_overdue (survey_t *self, kf_txn_t *txn, int64_t now_ms)
{
    s_overdue_t o = { self, now_ms };
    return kf_timers_fire (txn, self->visit_timers, now_ms, S_OVERDUE_BATCH, s_visit_due, &o);
}

#define S_CATCH_UP 400   //  periods one tick does per job: a year's days after a long jump

//  The day's report falls due at the configured minute of the next day.
static int64_t
s_report_due (int64_t day, const void *arg)
{
    const survey_estate_t *e = arg;
    return kf_local_day_start (day + 1, e->estate->utc_offset_min) + (int64_t) e->report_minute * 60000;
}

//  Tickets open at the end of a local day: those open now, less the net
//  openings of the days after it (counted at the events' times), so any
//  past midnight reads right however late the report is made.
static uint32_t
s_open_at_end (survey_t *self, kf_txn_t *txn, const survey_estate_t *e, int64_t day, kf_arena_t *arena)
{
    int64_t open = s_open_count (self, txn, e->estate->id, 0);
    kf_key_t prefix, from;
    kf_key_make (&prefix, "s|", e->estate->id);
    kf_key_make (&from, "s|u", e->estate->id, kf_day_to_yyyymmdd (day + 1));
    kf_cursor_t *cursor = kf_cursor_open (txn, self->days);
    kf_val_t k, v;
    int rc = cursor ? kf_cursor_seek (cursor, &from, &k, &v) : -1;
    while (rc == KF_FOUND && kf_key_has_prefix (k, &prefix)) {
        const Kf__DailyReport *later = (const Kf__DailyReport *) kf_codec_unpack_in (
            arena, &kf__daily_report__descriptor, v.data, v.size, NULL);
        if (!later) {
            kf_txn_fail (txn, "a daily report of %s does not decode", e->estate->id);
            break;
        }
        open -= (int64_t) later->opened - (int64_t) later->ended;
        rc = kf_cursor_next (cursor, &k, &v);
    }
    kf_cursor_close (&cursor);
    return open > 0 ? (uint32_t) open : 0;
}

//  The daily statistics of every day whose report has fallen due since the
//  last one made, oldest first, each once (kf_period): a jump over three
//  08:00s makes three reports.
static int
s_daily (survey_t *self, kf_txn_t *txn, int64_t now_ms, const survey_estate_t *e)
{
    char name [KF_ID_MAX + 16];
    snprintf (name, sizeof name, "daily/%s", e->estate->id);
    kf_period_t job = { self->counters, name, s_report_due, e };
    int64_t yesterday = kf_local_day (now_ms, e->estate->utc_offset_min) - 1;
    int64_t day;
    int64_t open = -1;   //  at the end of the day before, once known: a catch-up steps from it, day by day
    int done = 0;
    while (done < S_CATCH_UP && kf_period_next (txn, &job, yesterday, now_ms, &day) == KF_FOUND) {
        uint32_t date = kf_day_to_yyyymmdd (day);
        kf_key_t key;
        kf_key_make (&key, "s|u", e->estate->id, date);
        kf_arena_reset (self->base.scratch);
        Kf__DailyReport *d = (Kf__DailyReport *) kf_txn_find_msg_in (txn, self->days, &key,
                                                                     &kf__daily_report__descriptor,
                                                                     self->base.scratch);
        Kf__DailyReport fresh = KF__DAILY_REPORT__INIT;
        if (!d) {
            d = &fresh;
            d->estate = (char *) e->estate->id;
            KF_SET (d, date, date);
        }
        if (!d->generated_at_ms) {   //  a store of an older build may have made it already
            //  ... or noted its open count at midnight, before this build
            //  counted the openings that reckon it: that count stands.
            if (!d->has_open_at_end) {
                int64_t at_end = open >= 0 ? open + (int64_t) d->opened - (int64_t) d->ended
                                           : (int64_t) s_open_at_end (self, txn, e, day, self->base.scratch);
                KF_SET (d, open_at_end, at_end > 0 ? (uint32_t) at_end : 0);
            }
            KF_SET (d, generated_at_ms, now_ms);
            Kf__Envelope event = KF__ENVELOPE__INIT;
            event.body_case = KF__ENVELOPE__BODY_REPORT_DAILY;
            event.report_daily = d;
            kf_emit (self->base.outbox, txn, now_ms, e->estate->id, &event, NULL);
            kf_txn_put_msg (txn, self->days, &key, &d->base);
            done++;
        }
        open = d->has_open_at_end ? (int64_t) d->open_at_end : -1;
        kf_period_done (txn, &job, day);
        if (!kf_txn_ok (txn))
            return -1;
    }
    return kf_txn_ok (txn) ? done : -1;
}

static int64_t
s_quarter_due (int64_t quarter, const void *arg)
{
    return survey_hand_out_at (arg, (uint32_t) (quarter / 4), (uint32_t) (quarter % 4) + 1);
}

//  Each quarter's evaluation, drawn on its hand-out day if nobody drew it
//  by hand: every quarter whose hand-out has come since the last one done,
//  in order (kf_period). A quarter with no occupied households waits for
//  them while its collection lasts, and is passed over after.
static int
s_quarterly (survey_t *self, kf_txn_t *txn, int64_t now_ms, const survey_estate_t *e)
{
    char name [KF_ID_MAX + 16];
    snprintf (name, sizeof name, "quarterly/%s", e->estate->id);
    kf_period_t job = { self->counters, name, s_quarter_due, e };
    int year, month, day;
    kf_civil_from_days (kf_local_day (now_ms, e->estate->utc_offset_min), &year, &month, &day);
    int64_t this_quarter = (int64_t) year * 4 + (month - 1) / 3;
    int64_t q;
    int done = 0;
    while (done < S_CATCH_UP && kf_period_next (txn, &job, this_quarter, now_ms, &q) == KF_FOUND) {
        uint32_t y = (uint32_t) (q / 4), quarter = (uint32_t) (q % 4) + 1;
        char id [64];
        survey_evaluation_id (id, sizeof id, e->estate->id, y, quarter);
        kf_key_t key;
        kf_val_t value;
        kf_key_make (&key, "s", id);
        int rc = kf_txn_get (txn, self->evaluations, &key, &value);
        if (rc < 0)
            return -1;
        if (rc == KF_NOTFOUND) {
            kf_arena_reset (self->base.scratch);
            char why [200] = "";
            uint64_t seed = (uint64_t) now_ms * 0x9E3779B97F4A7C15ull ^ (uint64_t) q;   //  q: year and quarter
            if (!survey_sample (self, txn, now_ms, e, y, quarter, seed, self->base.scratch, why, sizeof why)) {
                if (!kf_txn_ok (txn))
                    return -1;
                int64_t closes = s_quarter_due (q, e) + (int64_t) e->collection_days * S_DAY_MS;
                if (now_ms < closes)
                    break;   //  try again while households may still come
                kf_notice ("%s: no evaluation for %s: %s", e->estate->id, id, why);
            }
            done++;
        }
        kf_period_done (txn, &job, q);
        if (!kf_txn_ok (txn))
            return -1;
    }
    return done;
}

typedef struct {
    int64_t now_ms;
    char ids [64][64];
    size_t count;
} s_closing_t;

static int
s_closing_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) txn; (void) key;
    s_closing_t *c = arg;
    const Kf__EvaluationStatusView *view = (const Kf__EvaluationStatusView *) msg;
    if (!view->closed && view->sample && c->now_ms >= view->sample->closes_at_ms && c->count < 64)
        snprintf (c->ids [c->count++], sizeof c->ids [0], "%s", view->sample->evaluation_id);
    return 0;
}

//  Evaluations whose collection has ended: closed, with their counts.
static int
s_close_evaluations (survey_t *self, kf_txn_t *txn, int64_t now_ms)
{
    s_closing_t c = { .now_ms = now_ms };
    if (kf_txn_scan_msg (txn, self->evaluations, NULL, &kf__evaluation_status_view__descriptor, s_closing_row, &c) < 0)
        return -1;
    for (size_t i = 0; i < c.count && kf_txn_ok (txn); i++) {
        kf_arena_reset (self->base.scratch);
        Kf__EvaluationStatusView *view = survey_evaluation_get (self, txn, c.ids [i], self->base.scratch);
        if (!view)
            continue;
        KF_SET (view, closed, 1);
        kf_key_t key;
        kf_key_make (&key, "s", c.ids [i]);
        kf_txn_put_msg (txn, self->evaluations, &key, &view->base);
        Kf__EvaluationClosed closed = KF__EVALUATION_CLOSED__INIT;
        closed.evaluation_id = c.ids [i];
        KF_SET (&closed, sampled, (uint32_t) view->sample->n_units);
        KF_SET (&closed, answered, view->answered);
        Kf__Envelope event = KF__ENVELOPE__INIT;
        event.body_case = KF__ENVELOPE__BODY_EVALUATION_CLOSED;
        event.evaluation_closed = &closed;
        kf_emit (self->base.outbox, txn, now_ms, view->estate, &event, NULL);
    }
    return kf_txn_ok (txn) ? (int) c.count : -1;
}

int
survey_tick (survey_t *self, kf_txn_t *txn, int64_t now_ms)
{
    assert (self && txn);
    survey_tables (self, txn);
    int done = s_overdue (self, txn, now_ms);
    for (size_t i = 0; i < self->base.estate_count && done >= 0; i++) {
        int a = s_daily (self, txn, now_ms, &self->estates [i]);
        int b = a < 0 ? -1 : s_quarterly (self, txn, now_ms, &self->estates [i]);
        done = a < 0 || b < 0 ? -1 : done + a + b;
    }
    int closed = done < 0 ? -1 : s_close_evaluations (self, txn, now_ms);
    return done < 0 || closed < 0 ? -1 : done + closed;
}


int
survey_handle_request (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                       kf_arena_t *arena)
{
    assert (self && txn && request && reply && arena);
    survey_tables (self, txn);
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_LIST_VISITS:
            return survey_list_visits (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_ANSWER_VISIT:
            return survey_answer (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_SAMPLE_EVALUATION:
            return survey_sample_request (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_EVALUATION_STATUS:
            return survey_evaluation_status (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_ANSWER_EVALUATION:
            return survey_answer_evaluation (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_REPORT_SATISFACTION:
            return survey_report_satisfaction (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_REPORT_PARETO:
            return survey_report_pareto (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_DAILY_REPORT:
            return survey_daily_report (self, txn, now_ms, request, reply, arena);
        default:
            return KF_BAD ("kefu-survey does not answer this command");
    }
}
