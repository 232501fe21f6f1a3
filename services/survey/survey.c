/*  survey — return visits, evaluations, statistics over a store transaction.
    See survey.h.

    Tables (keys):
      visits        visit_id                      Visit
      visit_timers  due|visit_id                  ""   pending visits not yet overdue
      pending       estate|-due|visit_id          ""   visits not done, soonest due last (paged backwards)
      by_estate     estate|-due|visit_id          ""   every visit
      by_unit       estate|unit|scheduled|visit   ""   a household's visits (fatigue, merging)
      households    estate|unit                   Household
      evaluations   evaluation_id                 EvaluationStatusView
      answers       evaluation_id|unit            EvaluationAnswered
      outcomes      estate|answered|visit_id      VisitCompleted
      problems      estate|time|category|source   ""   complaints and unsatisfied answers (Pareto)
      days          estate|yyyymmdd               DailyReport (counted as the day goes)
      tickets       ticket_no                     TicketMark
      counters      name                          big-endian count; period|<job> the next period of a
                                                  periodic job (kf_period)
*/
#include "survey.h"
#include "kf_commands.h"
#include "kf_domain.h"
#include "kf_field.h"
#include "kf_page.h"
#include "kf_period.h"
#include "kf_rate.h"
#include "kf_time.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SET(msg, field, value) ((msg)->field = (value), (msg)->has_##field = 1)
#define S_DAY_MS     (24 * 3600000LL)
#define S_ID_MAX     128
#define S_UNIT_MAX   32
#define S_CATEGORIES 32
#define S_AREAS      6

#define S_BAD(...) kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, arena, __VA_ARGS__)
#define S_NOT_FOUND(...) kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, __VA_ARGS__)
#define S_CONFLICT(...) kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_CONFLICT, arena, __VA_ARGS__)
#define S_FORBIDDEN(...) kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN, arena, __VA_ARGS__)

typedef struct {
    const kf_estate_t *estate;
    int64_t safety_ms, leak_ms, other_ms, complaint_ms;
    bool safety [S_CATEGORIES], leak [S_CATEGORIES];
    uint32_t attempts, max_contacts, percent, collection_days;
    int report_minute;           //  the day's report falls due at this minute of the next day
} s_estate_t;

struct _survey_t {
    kf_config_t *config;
    kf_outbox_t *outbox;
    s_estate_t *estates;
    size_t estate_count;
    int report_minute;
    kf_arena_t *scratch;
    kf_table_t visits, visit_timers, pending, by_estate, by_unit, households, evaluations, answers, outcomes, problems,
               days, tickets, counters;
    bool tables_known;
};

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
    size_t estates = kf_config_estate_count (config);
    if (self) {
        self->estates = calloc (estates, sizeof *self->estates);
        self->scratch = kf_arena_new ();
    }
    if (!self || !self->estates || !self->scratch) {
        kf_err_set (err, "out of memory");
        survey_destroy (&self);
        return NULL;
    }
    self->config = config;
    self->estate_count = estates;
    const char *at = kf_config_str (config, "survey/daily_report_at");
    if (kf_hhmm_parse (&at, &self->report_minute))
        assert (false);   //  the configuration checked it
    for (size_t i = 0; i < estates; i++) {
        s_estate_t *e = &self->estates [i];
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
        kf_arena_destroy (&self->scratch);
        free (self->estates);
        free (self);
        *self_p = NULL;
    }
}

void
survey_set_outbox (survey_t *self, kf_outbox_t *outbox)
{
    assert (self && outbox);
    self->outbox = outbox;
}

static const s_estate_t *
s_estate (const survey_t *self, const char *id)
{
    for (size_t i = 0; id && i < self->estate_count; i++)
        if (strcmp (self->estates [i].estate->id, id) == 0)
            return &self->estates [i];
    return NULL;
}

static void
s_tables (survey_t *self, kf_txn_t *txn)
{
    if (self->tables_known)
        return;
    kf_store_t *store = kf_txn_store (txn);
    const char *names [] = { "visits", "visit_timers", "pending", "by_estate", "by_unit", "households", "evaluations",
                             "answers", "outcomes", "problems", "days", "tickets", "counters" };
    kf_table_t *tables [] = { &self->visits, &self->visit_timers, &self->pending, &self->by_estate, &self->by_unit,
                              &self->households, &self->evaluations, &self->answers, &self->outcomes,
                              &self->problems, &self->days, &self->tickets, &self->counters };
    for (size_t i = 0; i < sizeof names / sizeof names [0]; i++)
        *tables [i] = kf_store_table (store, names [i]);
    self->tables_known = true;
}

//  ---- small things ---------------------------------------------------------------------

static uint32_t
s_local_date (const s_estate_t *e, int64_t utc_ms)
{
    return kf_day_to_yyyymmdd (kf_local_day (utc_ms, e->estate->utc_offset_min));
}

//  The estate a request is for, as this service keeps it (kf_request_estate).
static const s_estate_t *
s_request_estate (survey_t *self, const Kf__Request *request, const char *named, Kf__Reply *reply, kf_arena_t *arena)
{
    const kf_estate_t *estate = kf_request_estate (self->config, request, named, reply, arena);
    return estate ? s_estate (self, estate->id) : NULL;
}

//  The day's statistics, counted as events come.
typedef enum { D_FILED, D_CLOSED, D_COMPLAINTS, D_REPAIRS, D_BREACHES, D_VISITS_DONE, D_VISITS_SATISFIED, D_OPENED,
               D_ENDED } s_count_t;

static void
s_count (survey_t *self, kf_txn_t *txn, const s_estate_t *e, int64_t at_ms, s_count_t what, kf_arena_t *arena)
{
    uint32_t date = s_local_date (e, at_ms);
    kf_key_t key;
    kf_key_make (&key, "s|u", e->estate->id, date);
    Kf__DailyReport *d = (Kf__DailyReport *) kf_txn_find_msg_in (txn, self->days, &key, &kf__daily_report__descriptor, arena);
    Kf__DailyReport fresh = KF__DAILY_REPORT__INIT;
    if (!d) {
        d = &fresh;
        d->estate = (char *) e->estate->id;
        S_SET (d, date, date);
    }
    switch (what) {
        case D_FILED: S_SET (d, filed, d->filed + 1); break;
        case D_CLOSED: S_SET (d, closed, d->closed + 1); break;
        case D_COMPLAINTS: S_SET (d, complaints, d->complaints + 1); break;
        case D_REPAIRS: S_SET (d, repairs, d->repairs + 1); break;
        case D_BREACHES: S_SET (d, breaches, d->breaches + 1); break;
        case D_VISITS_DONE: S_SET (d, visits_done, d->visits_done + 1); break;
        case D_VISITS_SATISFIED: S_SET (d, visits_satisfied, d->visits_satisfied + 1); break;
        case D_OPENED: S_SET (d, opened, d->opened + 1); break;
        case D_ENDED: S_SET (d, ended, d->ended + 1); break;
    }
    kf_txn_put_msg (txn, self->days, &key, &d->base);
}

//  A problem for the Pareto: a complaint or an unsatisfied answer.
static void
s_problem (survey_t *self, kf_txn_t *txn, const char *estate, int64_t at_ms, Kf__Category category, const char *source)
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
    return (int64_t) (delta ? kf_txn_add (txn, self->counters, &key, delta) : kf_txn_counter (txn, self->counters, &key));
}

//  ---- visits -------------------------------------------------------------------------------

static Kf__Visit *
s_visit_get (survey_t *self, kf_txn_t *txn, const char *visit_id, kf_arena_t *arena)
{
    kf_key_t key;
    if (!visit_id || kf_key_make (&key, "s", visit_id))
        return NULL;
    return (Kf__Visit *) kf_txn_find_msg_in (txn, self->visits, &key, &kf__visit__descriptor, arena);
}

//  The visit and its indexes: pending ones are listed and timed.
static void
s_visit_put (survey_t *self, kf_txn_t *txn, const Kf__Visit *v)
{
    const Kf__VisitScheduled *s = v->scheduled;
    kf_key_t key, timer, pending;
    kf_key_make (&key, "s", s->visit_id);
    kf_txn_put_msg (txn, self->visits, &key, &v->base);
    kf_key_make (&timer, "t|s", s->due_at_ms, s->visit_id);
    kf_key_make (&pending, "s|t|s", v->estate, -s->due_at_ms, s->visit_id);
    if (v->done || v->overdue)
        kf_txn_del (txn, self->visit_timers, &timer);
    else
        kf_txn_put (txn, self->visit_timers, &timer, "", 0);
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
    Kf__Visit *v = s_visit_get (h->self, txn, visit_id, h->arena);
    if (v && !v->done)
        snprintf (h->pending_id, sizeof h->pending_id, "%s", visit_id);
    return kf_txn_ok (txn) ? 0 : -1;
}

typedef struct {
    Kf__VisitReason reason;
    const char *ticket_no, *order_no, *unit, *staff_id;
    Kf__Category category;
    Kf__Department department;
    int64_t done_at_ms;
} s_visit_for_t;

//  A return visit for a finished case: merged into one still pending for
//  the household, not made when it has had its visits for 30 days, else
//  scheduled by the window of its kind.
static void
s_schedule (survey_t *self, kf_txn_t *txn, int64_t now_ms, const s_estate_t *e, const s_visit_for_t *f,
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
        Kf__Visit *v = s_visit_get (self, txn, h.pending_id, arena);
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
        s_visit_put (self, txn, v);
        Kf__VisitMerged merged = KF__VISIT_MERGED__INIT;
        merged.visit_id = h.pending_id;
        merged.ticket_no = (char *) f->ticket_no;
        merged.order_no = (char *) f->order_no;
        Kf__Envelope event = KF__ENVELOPE__INIT;
        event.body_case = KF__ENVELOPE__BODY_VISIT_MERGED;
        event.visit_merged = &merged;
        kf_emit (self->outbox, txn, now_ms, e->estate->id, &event, causation);
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
    S_SET (&s, reason, f->reason);
    S_SET (&s, due_at_ms, f->done_at_ms + window);
    S_SET (&s, category, f->category);
    S_SET (&s, department, f->department);
    s.staff_id = (char *) f->staff_id;
    Kf__Visit v = KF__VISIT__INIT;
    v.scheduled = &s;
    v.estate = (char *) e->estate->id;
    S_SET (&v, attempts, 0);
    S_SET (&v, scheduled_at_ms, f->done_at_ms);
    s_visit_put (self, txn, &v);
    kf_key_t key;
    kf_key_make (&key, "s|t|s", e->estate->id, -s.due_at_ms, visit_id);
    kf_txn_put (txn, self->by_estate, &key, "", 0);
    kf_key_make (&key, "s|s|t|s", e->estate->id, f->unit, f->done_at_ms, visit_id);
    kf_txn_put (txn, self->by_unit, &key, "", 0);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_VISIT_SCHEDULED;
    event.visit_scheduled = &s;
    kf_emit (self->outbox, txn, now_ms, e->estate->id, &event, causation);
}

static int
s_answer (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
          kf_arena_t *arena)
{
    const Kf__AnswerVisit *q = request->answer_visit;
    Kf__Visit *v = s_visit_get (self, txn, q->visit_id, arena);
    if (!v || !kf_request_sees (request, v->estate))
        return kf_txn_ok (txn) ? S_NOT_FOUND ("no visit '%s'", q->visit_id ? q->visit_id : "") : -1;
    const s_estate_t *e = s_estate (self, v->estate);
    if (!e)
        return S_NOT_FOUND ("no visit '%s'", q->visit_id);
    if (v->done)
        return S_CONFLICT ("visit %s is done already", q->visit_id);
    if (request->role == KF__ROLE__ROLE_TECHNICIAN)
        return S_FORBIDDEN ("a technician does not record return visits of work");
    const Kf__VisitScheduled *s = v->scheduled;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    if (!q->reached) {
        S_SET (v, attempts, v->attempts + 1);
        Kf__VisitAttempted a = KF__VISIT_ATTEMPTED__INIT;
        a.visit_id = s->visit_id;
        a.ticket_no = s->ticket_no;
        S_SET (&a, attempt, v->attempts);
        a.note = q->comment;
        a.staff_id = request->actor;
        S_SET (&a, gave_up, v->attempts >= e->attempts);
        if (a.gave_up) {
            S_SET (v, done, 1);
            S_SET (v, gave_up, 1);
            S_SET (v, answered_at_ms, now_ms);
        }
        event.body_case = KF__ENVELOPE__BODY_VISIT_ATTEMPTED;
        event.visit_attempted = &a;
        kf_emit (self->outbox, txn, now_ms, v->estate, &event, NULL);
        s_visit_put (self, txn, v);
        reply->result_case = KF__REPLY__RESULT_VISIT;
        reply->visit = v;
        return kf_txn_ok (txn) ? 0 : -1;
    }
    if (!kf_enum_known (&kf__satisfaction__descriptor, q->has_satisfaction, q->satisfaction) || !q->satisfaction)
        return S_BAD ("satisfaction is satisfied, fairly_satisfied or unsatisfied");
    if (q->score < 1 || q->score > 5)
        return S_BAD ("score is 1 (worst) to 5 (best)");
    kf_err_t err;
    if (q->comment && kf_text_check ("comment", q->comment, SURVEY_TEXT_MAX, &err))
        return S_BAD ("%s", err.text);
    Kf__VisitCompleted *c = (Kf__VisitCompleted *) kf_arena_message (arena, &kf__visit_completed__descriptor);
    if (!c)
        return kf_txn_fail (txn, "out of memory");
    c->visit_id = s->visit_id;
    c->ticket_no = s->ticket_no;
    c->order_no = s->order_no;
    S_SET (c, satisfaction, q->satisfaction);
    S_SET (c, score, q->score);
    c->comment = q->comment;
    c->visited_by = request->actor;
    S_SET (c, department, s->department);
    S_SET (c, category, s->category);
    c->technician_id = s->staff_id;
    S_SET (c, on_time, now_ms <= s->due_at_ms);
    S_SET (v, attempts, v->attempts + 1);
    S_SET (v, done, 1);
    S_SET (v, answered_at_ms, now_ms);
    v->result = c;
    s_visit_put (self, txn, v);
    kf_key_t key;
    kf_key_make (&key, "s|t|s", v->estate, now_ms, s->visit_id);
    kf_txn_put_msg (txn, self->outcomes, &key, &c->base);
    s_count (self, txn, e, now_ms, D_VISITS_DONE, self->scratch);
    if (q->satisfaction != KF__SATISFACTION__SATISFACTION_UNSATISFIED)
        s_count (self, txn, e, now_ms, D_VISITS_SATISFIED, self->scratch);
    event.body_case = KF__ENVELOPE__BODY_VISIT_COMPLETED;
    event.visit_completed = c;
    event.actor = request->actor;
    kf_emit (self->outbox, txn, now_ms, v->estate, &event, NULL);
    if (q->satisfaction == KF__SATISFACTION__SATISFACTION_UNSATISFIED) {
        //  Dispatch opens the rectification order, intake reopens the ticket.
        Kf__VisitUnsatisfied u = KF__VISIT_UNSATISFIED__INIT;
        u.visit_id = s->visit_id;
        u.ticket_no = s->ticket_no;
        u.order_no = s->order_no;
        S_SET (&u, department, s->department);
        S_SET (&u, category, s->category);
        u.unit = s->unit;
        u.comment = q->comment;
        Kf__Envelope unsatisfied = KF__ENVELOPE__INIT;
        unsatisfied.body_case = KF__ENVELOPE__BODY_VISIT_UNSATISFIED;
        unsatisfied.visit_unsatisfied = &u;
        unsatisfied.actor = request->actor;
        kf_emit (self->outbox, txn, now_ms, v->estate, &unsatisfied, NULL);
        s_problem (self, txn, v->estate, now_ms, s->category, s->visit_id);
    }
    reply->result_case = KF__REPLY__RESULT_VISIT;
    reply->visit = v;
    return kf_txn_ok (txn) ? 0 : -1;
}

typedef struct {
    survey_t *self;
    const Kf__ListVisits *query;
    Kf__VisitList *list;
    kf_arena_t *arena;
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
    if (!show)
        return 1;
    Kf__Visit *v = s_visit_get (l->self, txn, visit_id, l->arena);
    if (!v)
        return kf_txn_ok (txn) ? kf_txn_fail (txn, "index names visit %s, which is not there", visit_id) : -1;
    l->list->visits [l->list->n_visits++] = v;
    return 1;
}

static int
s_list_visits (survey_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ListVisits *q = request->list_visits;
    const s_estate_t *e = s_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    uint32_t size = kf_page_size (q->page, SURVEY_PAGE_DEFAULT, SURVEY_PAGE_MAX);
    s_visits_t l = { self, q, (Kf__VisitList *) kf_arena_message (arena, &kf__visit_list__descriptor), arena };
    if (!l.list || !(l.list->visits = kf_arena_alloc (arena, size * sizeof *l.list->visits)))
        return kf_txn_fail (txn, "out of memory");
    kf_key_t prefix, top;
    kf_key_make (&prefix, "s|", e->estate->id);
    kf_key_make (&top, "s|t", e->estate->id, INT64_MAX);
    kf_page_t page;
    int rc = kf_page_walk (txn, q->pending_only ? self->pending : self->by_estate, &prefix, &top, q->page, size,
                           s_visit_row, &l, arena, &page);
    if (rc == KF_PAGE_BAD_TOKEN)
        return S_BAD ("page_token is not one this service gave");
    if (rc)
        return -1;
    S_SET (l.list, total, page.total);
    l.list->next_page_token = page.next_token;
    reply->result_case = KF__REPLY__RESULT_VISITS;
    reply->visits = l.list;
    return 0;
}

//  ---- the quarterly evaluation -----------------------------------------------------------------

static uint64_t
s_splitmix (uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int
s_quarter_index (uint32_t yyyyq)
{
    return (int) (yyyyq / 10) * 4 + (int) (yyyyq % 10) - 1;
}

typedef struct {
    size_t index;
    uint32_t last;
    uint64_t order;
} s_candidate_t;

static int
s_by_draw (const void *a, const void *b)
{
    const s_candidate_t *x = a, *y = b;
    if (x->last != y->last)
        return x->last < y->last ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int
s_by_index (const void *a, const void *b)
{
    size_t x = *(const size_t *) a, y = *(const size_t *) b;
    return x < y ? -1 : x > y;
}

size_t
survey_draw (const uint32_t *last_sampled, size_t count, uint32_t quarter, unsigned percent, uint64_t seed,
             size_t *drawn)
{
    size_t want = (count * percent + 99) / 100;
    s_candidate_t *c = malloc ((count + 1) * sizeof *c);
    if (!c)
        return 0;
    //  Not drawn in the last four quarters: equal (last 0), in the seed's
    //  order. The others after them, least recently drawn first.
    uint64_t state = seed;
    int now = s_quarter_index (quarter);
    for (size_t i = 0; i < count; i++) {
        bool fresh = last_sampled [i] == 0 || now - s_quarter_index (last_sampled [i]) >= 4;
        c [i] = (s_candidate_t) { i, fresh ? 0 : last_sampled [i], s_splitmix (&state) };
    }
    qsort (c, count, sizeof *c, s_by_draw);
    for (size_t i = 0; i < want; i++)
        drawn [i] = c [i].index;
    free (c);
    qsort (drawn, want, sizeof *drawn, s_by_index);
    return want;
}

typedef struct {
    Kf__Household **households;
    size_t count, size;
    kf_arena_t *arena;
} s_frame_t;

static int
s_frame_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) key;
    s_frame_t *f = arg;
    kf_err_t err;
    Kf__Household *h = (Kf__Household *) kf_codec_unpack_in (f->arena, &kf__household__descriptor, value.data,
                                                               value.size, &err);
    if (!h)
        return kf_txn_fail (txn, "a household does not decode: %s", err.text);
    if (!h->occupied)
        return 0;
    if (f->count == f->size) {
        size_t size = f->size ? f->size * 2 : 1024;
        Kf__Household **grown = kf_arena_alloc (f->arena, size * sizeof *grown);
        if (!grown)
            return kf_txn_fail (txn, "out of memory");
        if (f->count)
            memcpy (grown, f->households, f->count * sizeof *grown);
        f->households = grown;
        f->size = size;
    }
    f->households [f->count++] = h;
    return 0;
}

static void
s_evaluation_id (char *buf, size_t size, const char *estate, uint32_t year, uint32_t quarter)
{
    snprintf (buf, size, "%s-%04uQ%u", estate, year, quarter);
}

//  Hand-out: local midnight of the 15th of the quarter's last month.
static int64_t
s_hand_out_at (const s_estate_t *e, uint32_t year, uint32_t quarter)
{
    return kf_local_day_start (kf_days_from_civil ((int) year, (int) quarter * 3, 15), e->estate->utc_offset_min);
}

//  Draw the quarter's households and announce it. NULL (reply set, or
//  the transaction failed) when it cannot be drawn.
static Kf__EvaluationStatusView *
s_sample (survey_t *self, kf_txn_t *txn, int64_t now_ms, const s_estate_t *e, uint32_t year, uint32_t quarter,
          uint64_t seed, kf_arena_t *arena, char *why, size_t why_size)
{
    s_frame_t frame = { .arena = arena };
    kf_key_t prefix;
    kf_key_make (&prefix, "s|", e->estate->id);
    if (kf_txn_scan (txn, self->households, &prefix, s_frame_row, &frame) < 0)
        return NULL;
    if (frame.count == 0) {
        snprintf (why, why_size, "%s has no occupied households yet (billing's unit import registers them)",
                  e->estate->id);
        return NULL;
    }
    uint32_t *last = kf_arena_alloc (arena, frame.count * sizeof *last);
    size_t *drawn = kf_arena_alloc (arena, frame.count * sizeof *drawn);
    char **units = kf_arena_alloc (arena, frame.count * sizeof *units);
    Kf__EvaluationSampled *s = (Kf__EvaluationSampled *) kf_arena_message (arena, &kf__evaluation_sampled__descriptor);
    Kf__EvaluationStatusView *view = (Kf__EvaluationStatusView *) kf_arena_message (
        arena, &kf__evaluation_status_view__descriptor);
    char id [64];
    s_evaluation_id (id, sizeof id, e->estate->id, year, quarter);
    if (!last || !drawn || !units || !s || !view || !(s->evaluation_id = kf_arena_strdup (arena, id))) {
        kf_txn_fail (txn, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < frame.count; i++)
        last [i] = frame.households [i]->last_sampled;
    uint32_t this_quarter = year * 10 + quarter;
    size_t n = survey_draw (last, frame.count, this_quarter, e->percent, seed, drawn);
    for (size_t i = 0; i < n; i++) {
        Kf__Household *h = frame.households [drawn [i]];
        units [i] = h->unit;
        S_SET (h, last_sampled, this_quarter);
        kf_key_t key;
        kf_key_make (&key, "s|s", e->estate->id, h->unit);
        kf_txn_put_msg (txn, self->households, &key, &h->base);
    }
    S_SET (s, year, year);
    S_SET (s, quarter, quarter);
    S_SET (s, seed, seed);
    S_SET (s, occupied, (uint32_t) frame.count);
    s->units = units;
    s->n_units = n;
    S_SET (s, hand_out_at_ms, s_hand_out_at (e, year, quarter));
    S_SET (s, closes_at_ms, s->hand_out_at_ms + (int64_t) e->collection_days * S_DAY_MS);
    view->sample = s;
    S_SET (view, answered, 0);
    S_SET (view, closed, 0);
    view->estate = (char *) e->estate->id;
    kf_key_t key;
    kf_key_make (&key, "s", id);
    kf_txn_put_msg (txn, self->evaluations, &key, &view->base);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_EVALUATION_SAMPLED;
    event.evaluation_sampled = s;
    kf_emit (self->outbox, txn, now_ms, e->estate->id, &event, NULL);
    kf_notice ("%s: %s drew %zu of %zu occupied households (seed %016" PRIx64 ")", e->estate->id, id, n, frame.count,
               seed);
    return kf_txn_ok (txn) ? view : NULL;
}

static Kf__EvaluationStatusView *
s_evaluation_get (survey_t *self, kf_txn_t *txn, const char *id, kf_arena_t *arena)
{
    kf_key_t key;
    if (!id || kf_key_make (&key, "s", id))
        return NULL;
    return (Kf__EvaluationStatusView *) kf_txn_find_msg_in (txn, self->evaluations, &key, &kf__evaluation_status_view__descriptor,
                                               arena);
}

static int
s_sample_request (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                  kf_arena_t *arena)
{
    const Kf__SampleEvaluation *q = request->sample_evaluation;
    if (!kf_role_manages (request->role))
        return S_FORBIDDEN ("only a supervisor, a manager or operations draws the evaluation");
    const s_estate_t *e = s_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    if (q->year < 2000 || q->year > 2999 || q->quarter < 1 || q->quarter > 4)
        return S_BAD ("year and quarter (1 to 4) name the quarter");
    char id [64];
    s_evaluation_id (id, sizeof id, e->estate->id, q->year, q->quarter);
    Kf__EvaluationStatusView *known = s_evaluation_get (self, txn, id, arena);
    if (known) {
        if (q->has_seed && known->sample->seed != q->seed)
            return S_CONFLICT ("%s was drawn already, with seed %016" PRIx64, id, known->sample->seed);
        reply->result_case = KF__REPLY__RESULT_EVALUATION;
        reply->evaluation = known;
        return 0;
    }
    //  Without a seed: one from the time and the quarter, recorded with the draw.
    uint64_t seed = q->has_seed ? q->seed : ((uint64_t) now_ms * 0x9E3779B97F4A7C15ull) ^ kf_codec_digest (&q->base);
    char why [200] = "";
    Kf__EvaluationStatusView *view = s_sample (self, txn, now_ms, e, q->year, q->quarter, seed, arena, why, sizeof why);
    if (!view)
        return why [0] ? S_CONFLICT ("%s", why) : -1;
    reply->result_case = KF__REPLY__RESULT_EVALUATION;
    reply->evaluation = view;
    return 0;
}

static int
s_unit_cmp (const void *key, const void *member)
{
    return strcmp ((const char *) key, *(char *const *) member);
}

//  The evaluation, with one page of the drawn households that have not
//  answered (whom to chase), in unit order: the page token is the last
//  unit of the page before.
static int
s_evaluation_status (survey_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__GetEvaluationStatus *q = request->evaluation_status;
    Kf__EvaluationStatusView *view = s_evaluation_get (self, txn, q->evaluation_id, arena);
    if (!view || !kf_request_sees (request, view->estate))
        return kf_txn_ok (txn) ? S_NOT_FOUND ("no evaluation '%s'", q->evaluation_id ? q->evaluation_id : "") : -1;
    const Kf__EvaluationSampled *s = view->sample;
    const char *after = q->page && q->page->page_token && *q->page->page_token ? q->page->page_token : NULL;
    if (after && !bsearch (after, s->units, s->n_units, sizeof *s->units, s_unit_cmp))
        return S_BAD ("page_token is not one this service gave");
    uint32_t size = kf_page_size (q->page, SURVEY_PAGE_DEFAULT, SURVEY_PAGE_MAX);
    if (!(view->not_answered = kf_arena_alloc (arena, size * sizeof *view->not_answered)))
        return kf_txn_fail (txn, "out of memory");
    for (size_t i = 0; i < s->n_units; i++) {
        if (after && strcmp (s->units [i], after) <= 0)
            continue;
        kf_key_t key;
        kf_val_t answer;
        kf_key_make (&key, "s|s", s->evaluation_id, s->units [i]);
        int rc = kf_txn_get (txn, self->answers, &key, &answer);
        if (rc < 0)
            return -1;
        if (rc == KF_FOUND)
            continue;
        if (view->n_not_answered == size) {
            view->next_page_token = view->not_answered [size - 1];
            break;
        }
        view->not_answered [view->n_not_answered++] = s->units [i];
    }
    reply->result_case = KF__REPLY__RESULT_EVALUATION;
    reply->evaluation = view;
    return 0;
}

static int
s_answer_evaluation (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                     kf_arena_t *arena)
{
    const Kf__AnswerEvaluation *q = request->answer_evaluation;
    Kf__EvaluationStatusView *view = s_evaluation_get (self, txn, q->evaluation_id, arena);
    if (!view || !kf_request_sees (request, view->estate))
        return kf_txn_ok (txn) ? S_NOT_FOUND ("no evaluation '%s'", q->evaluation_id ? q->evaluation_id : "") : -1;
    const Kf__EvaluationSampled *s = view->sample;
    if (view->closed || now_ms >= s->closes_at_ms)
        return S_CONFLICT ("%s closed its collection", s->evaluation_id);
    if (now_ms < s->hand_out_at_ms)
        return S_CONFLICT ("%s is handed out on the 15th; answers come after", s->evaluation_id);
    if (!q->unit || !bsearch (q->unit, s->units, s->n_units, sizeof *s->units, s_unit_cmp))
        return S_BAD ("unit '%s' was not drawn for %s", q->unit ? q->unit : "", s->evaluation_id);
    if (q->n_answers == 0 || q->n_answers > 5)
        return S_BAD ("an evaluation scores 1 to 5 service areas");
    bool seen [S_AREAS] = { false };
    kf_err_t err;
    for (size_t i = 0; i < q->n_answers; i++) {
        const Kf__AreaScore *a = q->answers [i];
        if (a->area <= 0 || a->area >= S_AREAS || seen [a->area])
            return S_BAD ("answer %zu: each of the five service areas at most once", i + 1);
        seen [a->area] = true;
        if (a->score < 1 || a->score > 5)
            return S_BAD ("answer %zu: a score is 1 to 5", i + 1);
        if (a->comment && kf_text_check ("comment", a->comment, SURVEY_TEXT_MAX, &err))
            return S_BAD ("answer %zu: %s", i + 1, err.text);
        if (a->has_problem && !kf_enum_known (&kf__category__descriptor, a->has_problem, a->problem))
            return S_BAD ("answer %zu: the problem is not a category", i + 1);
    }
    if (q->comment && kf_text_check ("comment", q->comment, SURVEY_TEXT_MAX, &err))
        return S_BAD ("%s", err.text);
    kf_key_t key;
    kf_key_make (&key, "s|s", s->evaluation_id, q->unit);
    kf_val_t known;
    int rc = kf_txn_get (txn, self->answers, &key, &known);
    if (rc == KF_FOUND)
        return S_CONFLICT ("%s answered %s already", q->unit, s->evaluation_id);
    if (rc < 0)
        return -1;
    Kf__EvaluationAnswered answered = KF__EVALUATION_ANSWERED__INIT;
    answered.evaluation_id = s->evaluation_id;
    answered.unit = q->unit;
    answered.answers = q->answers;
    answered.n_answers = q->n_answers;
    answered.comment = q->comment;
    kf_txn_put_msg (txn, self->answers, &key, &answered.base);
    for (size_t i = 0; i < q->n_answers; i++)
        if (q->answers [i]->problem) {
            char source [S_ID_MAX];
            snprintf (source, sizeof source, "%s/%s/%d", s->evaluation_id, q->unit, (int) q->answers [i]->area);
            s_problem (self, txn, view->estate, now_ms, q->answers [i]->problem, source);
        }
    S_SET (view, answered, view->answered + 1);
    kf_key_make (&key, "s", s->evaluation_id);
    kf_txn_put_msg (txn, self->evaluations, &key, &view->base);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_EVALUATION_ANSWERED;
    event.evaluation_answered = &answered;
    event.actor = request->actor;
    kf_emit (self->outbox, txn, now_ms, view->estate, &event, NULL);
    reply->result_case = KF__REPLY__RESULT_EVALUATION;
    reply->evaluation = view;
    return kf_txn_ok (txn) ? 0 : -1;
}

//  ---- reports ------------------------------------------------------------------------------------

typedef struct {
    char key [S_ID_MAX];
    uint64_t answered, satisfied, score;
} s_group_t;

typedef struct {
    const char *group_by;
    const char *estate;
    s_group_t *groups;
    size_t count, size;
    int64_t to_ms;
} s_satisfaction_t;

static int
s_satisfaction_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    s_satisfaction_t *r = arg;
    char estate [KF_ID_MAX + 1], visit_id [S_ID_MAX];
    int64_t at;
    if (kf_key_scan (key.data, key.size, "s|t|s", estate, sizeof estate, &at, visit_id, sizeof visit_id))
        return kf_txn_fail (txn, "an outcome key does not parse");
    if (at >= r->to_ms)
        return 1;
    Kf__VisitCompleted *c = (Kf__VisitCompleted *) kf_codec_unpack (&kf__visit_completed__descriptor, value.data,
                                                                     value.size, NULL);
    if (!c)
        return kf_txn_fail (txn, "a visit outcome does not decode");
    char key_text [S_ID_MAX];
    if (strcmp (r->group_by, "department") == 0)
        kf_enum_short_name (&kf__department__descriptor, c->department, key_text, sizeof key_text);
    else
    if (strcmp (r->group_by, "technician") == 0)
        snprintf (key_text, sizeof key_text, "%s", c->technician_id ? c->technician_id : "-");
    else
        snprintf (key_text, sizeof key_text, "%s", r->estate);
    size_t g = 0;
    while (g < r->count && strcmp (r->groups [g].key, key_text) != 0)
        g++;
    if (g == r->count && r->count < r->size)
        snprintf (r->groups [r->count++].key, S_ID_MAX, "%s", key_text);
    if (g < r->count) {
        r->groups [g].answered++;
        r->groups [g].satisfied += c->satisfaction != KF__SATISFACTION__SATISFACTION_UNSATISFIED;
        r->groups [g].score += c->score;
    }
    kf_codec_free ((ProtobufCMessage **) &c);
    return 0;
}

typedef struct {
    survey_t *self;
    int64_t from_ms, to_ms;
    uint64_t due, on_time;
} s_timeliness_t;

//  Visits due in the period, and of those, done within their window.
static int
s_timeliness (s_timeliness_t *t, kf_txn_t *txn, const char *estate, kf_arena_t *arena)
{
    kf_key_t start, prefix;
    kf_key_make (&prefix, "s|", estate);
    kf_key_make (&start, "s|t", estate, -(t->to_ms - 1));
    kf_cursor_t *cursor = kf_cursor_open (txn, t->self->by_estate);
    kf_val_t k, v;
    for (int found = cursor ? kf_cursor_seek (cursor, &start, &k, &v) : -1;
         found == KF_FOUND && kf_key_has_prefix (k, &prefix); found = kf_cursor_next (cursor, &k, &v)) {
        char id [KF_ID_MAX + 1], visit_id [S_ID_MAX];
        int64_t minus_due;
        if (kf_key_scan (k.data, k.size, "s|t|s", id, sizeof id, &minus_due, visit_id, sizeof visit_id)
        ||  -minus_due < t->from_ms)
            break;
        Kf__Visit *visit = s_visit_get (t->self, txn, visit_id, arena);
        t->due++;
        t->on_time += visit && visit->result && visit->result->on_time;
    }
    kf_cursor_close (&cursor);
    return kf_txn_ok (txn) ? 0 : -1;
}

static int
s_period (const Kf__TimeRange *period, int64_t now_ms, int64_t *from, int64_t *to)
{
    *from = period && period->has_from_ms ? period->from_ms : INT64_MIN / 2;
    *to = period && period->has_to_ms ? period->to_ms : now_ms;
    return *to > *from ? 0 : -1;
}

static int
s_report_satisfaction (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                       kf_arena_t *arena)
{
    const Kf__ReportSatisfaction *q = request->report_satisfaction;
    const char *group_by = q->group_by && *q->group_by ? q->group_by : "estate";
    if (strcmp (group_by, "estate") && strcmp (group_by, "department") && strcmp (group_by, "technician"))
        return S_BAD ("group_by is estate, department or technician, not '%s'", group_by);
    int64_t from, to;
    if (s_period (q->period, now_ms, &from, &to))
        return S_BAD ("the period ends before it begins");
    const char *only = q->estate && *q->estate ? q->estate : NULL;
    if (only && (!s_estate (self, only) || !kf_request_sees (request, only)))
        return S_NOT_FOUND ("unknown estate '%s'", only);
    s_satisfaction_t r = { .group_by = group_by, .size = 1000, .to_ms = to };
    s_timeliness_t t = { .self = self, .from_ms = from, .to_ms = to };
    r.groups = kf_arena_alloc (arena, r.size * sizeof *r.groups);
    Kf__SatisfactionReport *report = (Kf__SatisfactionReport *) kf_arena_message (arena,
                                                                                   &kf__satisfaction_report__descriptor);
    if (!r.groups || !report)
        return kf_txn_fail (txn, "out of memory");
    for (size_t i = 0; i < self->estate_count; i++) {
        const char *estate = self->estates [i].estate->id;
        if ((only && strcmp (only, estate) != 0) || !kf_request_sees (request, estate))
            continue;
        r.estate = estate;
        kf_key_t start, prefix;
        kf_key_make (&prefix, "s|", estate);
        kf_key_make (&start, "s|t", estate, from);
        kf_cursor_t *cursor = kf_cursor_open (txn, self->outcomes);
        kf_val_t k, v;
        int stop = 0;
        for (int found = cursor ? kf_cursor_seek (cursor, &start, &k, &v) : -1;
             found == KF_FOUND && kf_key_has_prefix (k, &prefix) && !stop; found = kf_cursor_next (cursor, &k, &v))
            stop = s_satisfaction_row (txn, k, v, &r);
        kf_cursor_close (&cursor);
        if (stop < 0 || s_timeliness (&t, txn, estate, arena))
            return -1;
    }
    report->rows = kf_arena_alloc (arena, (r.count + 1) * sizeof *report->rows);
    Kf__TimeRange *period = (Kf__TimeRange *) kf_arena_message (arena, &kf__time_range__descriptor);
    if (!report->rows || !period)
        return kf_txn_fail (txn, "out of memory");
    for (size_t g = 0; g < r.count; g++) {
        Kf__SatisfactionRow *row = (Kf__SatisfactionRow *) kf_arena_message (arena, &kf__satisfaction_row__descriptor);
        if (!row || !(row->key = kf_arena_strdup (arena, r.groups [g].key)))
            return kf_txn_fail (txn, "out of memory");
        S_SET (row, answered, r.groups [g].answered);
        S_SET (row, satisfied, r.groups [g].satisfied);
        S_SET (row, satisfied_permille, kf_permille (r.groups [g].satisfied, r.groups [g].answered));
        S_SET (row, mean_score_centi, (uint32_t) kf_muldiv_round ((int64_t) r.groups [g].score, 100,
                                                                  (int64_t) r.groups [g].answered));
        report->rows [report->n_rows++] = row;
    }
    if (q->period && q->period->has_from_ms)
        S_SET (period, from_ms, from);
    S_SET (period, to_ms, to);
    report->period = period;
    report->group_by = (char *) group_by;
    S_SET (report, visits_due, t.due);
    S_SET (report, visits_on_time, t.on_time);
    reply->result_case = KF__REPLY__RESULT_SATISFACTION;
    reply->satisfaction = report;
    return 0;
}

typedef struct {
    Kf__Category category;
    uint64_t count;
} s_pareto_t;

static int
s_by_count (const void *a, const void *b)
{
    const s_pareto_t *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return (int) x->category - (int) y->category;
}

//  Problem categories, most frequent first, with the running share; the
//  "vital few" are the rows up to the one that reaches 80 %.
static int
s_report_pareto (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                 kf_arena_t *arena)
{
    const Kf__ReportPareto *q = request->report_pareto;
    int64_t from, to;
    if (s_period (q->period, now_ms, &from, &to))
        return S_BAD ("the period ends before it begins");
    const char *only = q->estate && *q->estate ? q->estate : NULL;
    if (only && (!s_estate (self, only) || !kf_request_sees (request, only)))
        return S_NOT_FOUND ("unknown estate '%s'", only);
    s_pareto_t counts [S_CATEGORIES];
    for (int c = 0; c < S_CATEGORIES; c++)
        counts [c] = (s_pareto_t) { c, 0 };
    uint64_t total = 0;
    for (size_t i = 0; i < self->estate_count; i++) {
        const char *estate = self->estates [i].estate->id;
        if ((only && strcmp (only, estate) != 0) || !kf_request_sees (request, estate))
            continue;
        kf_key_t start, prefix;
        kf_key_make (&prefix, "s|", estate);
        kf_key_make (&start, "s|t", estate, from);
        kf_cursor_t *cursor = kf_cursor_open (txn, self->problems);
        kf_val_t k, v;
        for (int found = cursor ? kf_cursor_seek (cursor, &start, &k, &v) : -1;
             found == KF_FOUND && kf_key_has_prefix (k, &prefix); found = kf_cursor_next (cursor, &k, &v)) {
            char id [KF_ID_MAX + 1], source [S_ID_MAX];
            int64_t at;
            uint32_t category;
            if (kf_key_scan (k.data, k.size, "s|t|u|s", id, sizeof id, &at, &category, source, sizeof source) || at >= to)
                break;
            if (category < S_CATEGORIES) {
                counts [category].count++;
                total++;
            }
        }
        kf_cursor_close (&cursor);
    }
    qsort (counts, S_CATEGORIES, sizeof *counts, s_by_count);
    Kf__ParetoReport *report = (Kf__ParetoReport *) kf_arena_message (arena, &kf__pareto_report__descriptor);
    Kf__TimeRange *period = (Kf__TimeRange *) kf_arena_message (arena, &kf__time_range__descriptor);
    if (!report || !period || !(report->rows = kf_arena_alloc (arena, S_CATEGORIES * sizeof *report->rows)))
        return kf_txn_fail (txn, "out of memory");
    uint64_t running = 0;
    for (int c = 0; c < S_CATEGORIES && counts [c].count; c++) {
        Kf__ParetoRow *row = (Kf__ParetoRow *) kf_arena_message (arena, &kf__pareto_row__descriptor);
        if (!row)
            return kf_txn_fail (txn, "out of memory");
        S_SET (row, vital_few, running * 10 < total * 8);
        running += counts [c].count;
        S_SET (row, category, counts [c].category);
        S_SET (row, count, counts [c].count);
        S_SET (row, cumulative_permille, kf_permille (running, total));
        report->rows [report->n_rows++] = row;
    }
    if (q->period && q->period->has_from_ms)
        S_SET (period, from_ms, from);
    S_SET (period, to_ms, to);
    report->period = period;
    S_SET (report, total, total);
    reply->result_case = KF__REPLY__RESULT_PARETO;
    reply->pareto = report;
    return 0;
}

static int
s_daily_report (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                kf_arena_t *arena)
{
    const Kf__GetDailyReport *q = request->daily_report;
    const s_estate_t *e = s_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    uint32_t date = q->date;
    int64_t day;
    if (!date)
        date = kf_day_to_yyyymmdd (kf_local_day (now_ms, e->estate->utc_offset_min) - 1);
    if (kf_yyyymmdd_to_day (date, &day))
        return S_BAD ("%u is not a date (yyyymmdd)", date);
    kf_key_t key;
    kf_key_make (&key, "s|u", e->estate->id, date);
    Kf__DailyReport *d = (Kf__DailyReport *) kf_txn_find_msg_in (txn, self->days, &key, &kf__daily_report__descriptor, arena);
    if (!d && kf_txn_ok (txn)) {
        d = (Kf__DailyReport *) kf_arena_message (arena, &kf__daily_report__descriptor);
        if (!d)
            return kf_txn_fail (txn, "out of memory");
        d->estate = (char *) e->estate->id;
        S_SET (d, date, date);
    }
    if (!d)
        return -1;
    reply->result_case = KF__REPLY__RESULT_DAILY_REPORT;
    reply->daily_report = d;
    return 0;
}

int
survey_handle_request (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                       kf_arena_t *arena)
{
    assert (self && txn && request && reply && arena);
    s_tables (self, txn);
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_LIST_VISITS:
            return s_list_visits (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_ANSWER_VISIT:
            return s_answer (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_SAMPLE_EVALUATION:
            return s_sample_request (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_EVALUATION_STATUS:
            return s_evaluation_status (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_ANSWER_EVALUATION:
            return s_answer_evaluation (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_REPORT_SATISFACTION:
            return s_report_satisfaction (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_REPORT_PARETO:
            return s_report_pareto (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_DAILY_REPORT:
            return s_daily_report (self, txn, now_ms, request, reply, arena);
        default:
            return S_BAD ("kefu-survey does not answer this command");
    }
}

//  ---- consumed events -----------------------------------------------------------------------------

//  A ticket's mark: its type, whether it is open, who handles it. A change
//  between open and not moves the estate's open count now and the day's
//  opened / ended counts at `at_ms`, from which "open at midnight" is
//  reckoned for any past midnight (s_open_at_end).
static Kf__TicketMark *
s_mark_ticket (survey_t *self, kf_txn_t *txn, const s_estate_t *e, const char *ticket_no, Kf__TicketType type,
               bool open, int64_t at_ms, kf_arena_t *arena)
{
    kf_key_t key;
    if (!ticket_no || kf_key_make (&key, "s", ticket_no))
        return NULL;
    Kf__TicketMark *mark = (Kf__TicketMark *) kf_txn_find_msg_in (txn, self->tickets, &key, &kf__ticket_mark__descriptor, arena);
    bool was_open = mark && mark->open;
    if (!mark) {
        mark = (Kf__TicketMark *) kf_arena_message (arena, &kf__ticket_mark__descriptor);
        if (!mark) {
            kf_txn_fail (txn, "out of memory");
            return NULL;
        }
        mark->estate = (char *) e->estate->id;
        S_SET (mark, type, type);
    }
    if (was_open != open) {
        s_open_count (self, txn, e->estate->id, open ? 1 : -1);
        s_count (self, txn, e, at_ms, open ? D_OPENED : D_ENDED, arena);
    }
    S_SET (mark, open, open);
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
    Kf__TicketMark *mark = (Kf__TicketMark *) kf_txn_find_msg_in (txn, self->tickets, &key, &kf__ticket_mark__descriptor, arena);
    if (!mark)
        return;   //  a ticket filed before this store began
    if (staff_id && *staff_id)
        mark->staff_id = (char *) staff_id;
    if (department)
        S_SET (mark, department, department);
    kf_txn_put_msg (txn, self->tickets, &key, &mark->base);
    //  Replayed after a downtime, intake's stream may come before
    //  dispatch's: a complaint's visit made before its handler was known
    //  takes them now, while it is not answered.
    kf_key_t counter;
    kf_key_make (&counter, "s|s", "visits", ticket_no);
    uint64_t last = kf_txn_counter (txn, self->counters, &counter);
    char visit_id [S_ID_MAX];
    snprintf (visit_id, sizeof visit_id, "%s-V%" PRIu64, ticket_no, last);
    Kf__Visit *v = last ? s_visit_get (self, txn, visit_id, arena) : NULL;
    if (v && !v->done && v->scheduled->reason == KF__VISIT_REASON__VISIT_REASON_AFTER_COMPLAINT
    &&  !(v->scheduled->staff_id && *v->scheduled->staff_id) && staff_id && *staff_id) {
        v->scheduled->staff_id = (char *) staff_id;
        if (department)
            S_SET (v->scheduled, department, department);
        s_visit_put (self, txn, v);
    }
}

int
survey_apply_event (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    assert (self && txn && event);
    s_tables (self, txn);
    const s_estate_t *e = s_estate (self, event->estate);
    if (!e)
        return 0;
    kf_arena_reset (self->scratch);
    kf_arena_t *arena = self->scratch;
    int64_t at = event->has_occurred_at_ms && event->occurred_at_ms > 0 ? event->occurred_at_ms : now_ms;
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_UNIT_REGISTERED: {
            const Kf__Unit *u = event->unit_registered->unit;
            if (!u || !u->unit || !kf_unit_valid (u->unit))
                break;
            kf_key_t key;
            kf_key_make (&key, "s|s", e->estate->id, u->unit);
            Kf__Household *h = (Kf__Household *) kf_txn_find_msg_in (txn, self->households, &key, &kf__household__descriptor, arena);
            Kf__Household fresh = KF__HOUSEHOLD__INIT;
            if (!h) {
                h = &fresh;
                h->unit = u->unit;
                h->estate = (char *) e->estate->id;
            }
            S_SET (h, occupied, u->occupied);
            kf_txn_put_msg (txn, self->households, &key, &h->base);
            break;
        }
        case KF__ENVELOPE__BODY_TICKET_FILED: {
            const Kf__TicketFiled *f = event->ticket_filed;
            s_mark_ticket (self, txn, e, f->ticket_no, f->type, true, at, arena);
            s_count (self, txn, e, at, D_FILED, arena);
            if (f->type == KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT) {
                s_count (self, txn, e, at, D_COMPLAINTS, arena);
                s_problem (self, txn, e->estate->id, at, f->category, f->ticket_no);
            }
            if (f->type == KF__TICKET_TYPE__TICKET_TYPE_REPAIR)
                s_count (self, txn, e, at, D_REPAIRS, arena);
            break;
        }
        case KF__ENVELOPE__BODY_TICKET_CLOSED: {
            const Kf__TicketClosed *c = event->ticket_closed;
            const Kf__TicketMark *mark = s_mark_ticket (self, txn, e, c->ticket_no, c->type, false, at, arena);
            s_count (self, txn, e, at, D_CLOSED, arena);
            if (c->type == KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT) {
                //  The visit counts for whoever handled the complaint.
                s_visit_for_t f = { .reason = KF__VISIT_REASON__VISIT_REASON_AFTER_COMPLAINT, .ticket_no = c->ticket_no,
                                    .unit = c->unit, .category = c->category, .done_at_ms = at,
                                    .staff_id = mark ? mark->staff_id : NULL,
                                    .department = mark && mark->has_department ? mark->department : 0 };
                s_schedule (self, txn, now_ms, e, &f, event->event_id, arena);
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
            s_visit_for_t f = {
                .reason = rectification ? KF__VISIT_REASON__VISIT_REASON_AFTER_RECTIFICATION
                                        : KF__VISIT_REASON__VISIT_REASON_AFTER_REPAIR,
                .ticket_no = o->ticket_no, .order_no = o->order_no, .unit = o->unit, .staff_id = o->staff_id,
                .category = o->category, .department = o->department, .done_at_ms = at,
            };
            s_schedule (self, txn, now_ms, e, &f, event->event_id, arena);
            break;
        }
        case KF__ENVELOPE__BODY_SLA_BREACHED:
            s_count (self, txn, e, at, D_BREACHES, arena);
            break;
        default:
            break;
    }
    return kf_txn_ok (txn) ? 0 : -1;
}

//  ---- the tick -------------------------------------------------------------------------------------

#define S_OVERDUE_BATCH 10000

static int
s_overdue (survey_t *self, kf_txn_t *txn, int64_t now_ms)
{
    kf_cursor_t *cursor = kf_cursor_open (txn, self->visit_timers);
    if (!cursor)
        return -1;
    int done = 0;
    kf_val_t k, v;
    while (done < S_OVERDUE_BATCH && kf_txn_ok (txn) && kf_cursor_first (cursor, &k, &v) == KF_FOUND) {
        int64_t due;
        char visit_id [S_ID_MAX];
        if (kf_key_scan (k.data, k.size, "t|s", &due, visit_id, sizeof visit_id)) {
            kf_cursor_del (cursor);
            continue;
        }
        if (due > now_ms)
            break;
        kf_cursor_del (cursor);
        kf_arena_reset (self->scratch);
        Kf__Visit *visit = s_visit_get (self, txn, visit_id, self->scratch);
        if (!visit || visit->done || visit->overdue)
            continue;
        S_SET (visit, overdue, 1);
        s_visit_put (self, txn, visit);
        Kf__VisitOverdue o = KF__VISIT_OVERDUE__INIT;
        o.visit_id = visit_id;
        o.ticket_no = visit->scheduled->ticket_no;
        S_SET (&o, due_at_ms, due);
        Kf__Envelope event = KF__ENVELOPE__INIT;
        event.body_case = KF__ENVELOPE__BODY_VISIT_OVERDUE;
        event.visit_overdue = &o;
        kf_emit (self->outbox, txn, now_ms, visit->estate, &event, NULL);
        done++;
    }
    kf_cursor_close (&cursor);
    return kf_txn_ok (txn) ? done : -1;
}

#define S_CATCH_UP 400   //  periods one tick does per job: a year's days after a long jump

//  The day's report falls due at the configured minute of the next day.
static int64_t
s_report_due (int64_t day, const void *arg)
{
    const s_estate_t *e = arg;
    return kf_local_day_start (day + 1, e->estate->utc_offset_min) + (int64_t) e->report_minute * 60000;
}

//  Tickets open at the end of a local day: those open now, less the net
//  openings of the days after it (counted at the events' times), so any
//  past midnight reads right however late the report is made.
static uint32_t
s_open_at_end (survey_t *self, kf_txn_t *txn, const s_estate_t *e, int64_t day, kf_arena_t *arena)
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
s_daily (survey_t *self, kf_txn_t *txn, int64_t now_ms, const s_estate_t *e)
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
        kf_arena_reset (self->scratch);
        Kf__DailyReport *d = (Kf__DailyReport *) kf_txn_find_msg_in (txn, self->days, &key, &kf__daily_report__descriptor,
                                                                     self->scratch);
        Kf__DailyReport fresh = KF__DAILY_REPORT__INIT;
        if (!d) {
            d = &fresh;
            d->estate = (char *) e->estate->id;
            S_SET (d, date, date);
        }
        if (!d->generated_at_ms) {   //  a store of an older build may have made it already
            //  ... or noted its open count at midnight, before this build
            //  counted the openings that reckon it: that count stands.
            if (!d->has_open_at_end) {
                int64_t at_end = open >= 0 ? open + (int64_t) d->opened - (int64_t) d->ended
                                           : (int64_t) s_open_at_end (self, txn, e, day, self->scratch);
                S_SET (d, open_at_end, at_end > 0 ? (uint32_t) at_end : 0);
            }
            S_SET (d, generated_at_ms, now_ms);
            Kf__Envelope event = KF__ENVELOPE__INIT;
            event.body_case = KF__ENVELOPE__BODY_REPORT_DAILY;
            event.report_daily = d;
            kf_emit (self->outbox, txn, now_ms, e->estate->id, &event, NULL);
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
    return s_hand_out_at (arg, (uint32_t) (quarter / 4), (uint32_t) (quarter % 4) + 1);
}

//  Each quarter's evaluation, drawn on its hand-out day if nobody drew it
//  by hand: every quarter whose hand-out has come since the last one done,
//  in order (kf_period). A quarter with no occupied households waits for
//  them while its collection lasts, and is passed over after.
static int
s_quarterly (survey_t *self, kf_txn_t *txn, int64_t now_ms, const s_estate_t *e)
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
        s_evaluation_id (id, sizeof id, e->estate->id, y, quarter);
        kf_key_t key;
        kf_val_t value;
        kf_key_make (&key, "s", id);
        int rc = kf_txn_get (txn, self->evaluations, &key, &value);
        if (rc < 0)
            return -1;
        if (rc == KF_NOTFOUND) {
            kf_arena_reset (self->scratch);
            char why [200] = "";
            uint64_t seed = (uint64_t) now_ms * 0x9E3779B97F4A7C15ull ^ (uint64_t) q;   //  q: year and quarter
            if (!s_sample (self, txn, now_ms, e, y, quarter, seed, self->scratch, why, sizeof why)) {
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
        kf_arena_reset (self->scratch);
        Kf__EvaluationStatusView *view = s_evaluation_get (self, txn, c.ids [i], self->scratch);
        if (!view)
            continue;
        S_SET (view, closed, 1);
        kf_key_t key;
        kf_key_make (&key, "s", c.ids [i]);
        kf_txn_put_msg (txn, self->evaluations, &key, &view->base);
        Kf__EvaluationClosed closed = KF__EVALUATION_CLOSED__INIT;
        closed.evaluation_id = c.ids [i];
        S_SET (&closed, sampled, (uint32_t) view->sample->n_units);
        S_SET (&closed, answered, view->answered);
        Kf__Envelope event = KF__ENVELOPE__INIT;
        event.body_case = KF__ENVELOPE__BODY_EVALUATION_CLOSED;
        event.evaluation_closed = &closed;
        kf_emit (self->outbox, txn, now_ms, view->estate, &event, NULL);
    }
    return kf_txn_ok (txn) ? (int) c.count : -1;
}

int
survey_tick (survey_t *self, kf_txn_t *txn, int64_t now_ms)
{
    assert (self && txn);
    s_tables (self, txn);
    int done = s_overdue (self, txn, now_ms);
    for (size_t i = 0; i < self->estate_count && done >= 0; i++) {
        int a = s_daily (self, txn, now_ms, &self->estates [i]);
        int b = a < 0 ? -1 : s_quarterly (self, txn, now_ms, &self->estates [i]);
        done = a < 0 || b < 0 ? -1 : done + a + b;
    }
    int closed = done < 0 ? -1 : s_close_evaluations (self, txn, now_ms);
    return done < 0 || closed < 0 ? -1 : done + closed;
}
