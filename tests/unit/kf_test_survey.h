/*  kf_test_survey — survey's test world for the domain tests: a real store
    and outbox, kefu-survey's domain code, events in as kf_bus applies
    them, requests as kf_commands runs them, visits scheduled and answered.
    One test binary includes it once: it holds the world.
*/
#ifndef KF_TEST_SURVEY_H_INCLUDED
#define KF_TEST_SURVEY_H_INCLUDED

#include "../../services/survey/survey.h"
#include "kf_commands.h"
#include "kf_field.h"
#include "kf_test.h"
#include "kf_test_world.h"
#include "kf_test_events.h"
#include "kf_time.h"

#define DAY (24 * 3600000LL)

static const char *s_config_text =
    "bus\n    publish = ipc://x/in\n    subscribe = ipc://x/out\n"
    "estates\n    E001\n        name = one\n    E002\n        name = two\n";

typedef struct {
    kf_test_world_t base;    //  config, store, outbox, arena, events
    survey_t *survey;
    int64_t now;
    const Kf__Envelope *event;
    const Kf__Request *request;
    Kf__Reply reply;
    int tickets;
} s_world_t;

static s_world_t w;

static inline void
s_describe (const Kf__Envelope *event, char *out, size_t size)
{
    char kind [64];
    kf_codec_event_kind (&event->base, kind, sizeof kind);
    if (event->body_case == KF__ENVELOPE__BODY_VISIT_ATTEMPTED)
        snprintf (out, size, "%s(%u%s)", kind, event->visit_attempted->attempt,
                  event->visit_attempted->gave_up ? ",gave_up" : "");
    else
        snprintf (out, size, "%s", kind);
}

static inline int
s_open_store (void)
{
    const char *tables [] = { SURVEY_TABLES, NULL };
    kf_test_world_open (&w.base, tables, "survey@c1", "survey@c1/E001", s_describe);
    kf_err_t err;
    w.survey = survey_new (w.base.config, &err);
    if (!w.survey)
        fail_msg ("%s", err.text);
    survey_set_outbox (w.survey, w.base.outbox);
    return 0;
}

static inline void
s_close_store (void)
{
    survey_destroy (&w.survey);
    kf_test_world_close_store (&w.base);
}

static inline int
s_setup (void **state)
{
    if (kf_test_dir_setup (state))
        return -1;
    memset (&w, 0, sizeof w);
    kf_test_world_config (&w.base, s_config_text);
    s_open_store ();
    w.now = kf_test_at ("2026-11-02 10:00");   //  a Monday
    return 0;
}

static inline int
s_teardown (void **state)
{
    s_close_store ();
    kf_test_world_close (&w.base);
    return kf_test_dir_teardown (state);
}

//  ---- driving it ---------------------------------------------------------------------------

static inline int
s_event_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    return survey_apply_event (w.survey, txn, w.now, w.event);
}

static inline void
s_apply (Kf__Envelope *event)
{
    event->estate = event->estate ? event->estate : "E001";
    event->event_id = "0123456789abcdef0123456789abcdef";
    event->occurred_at_ms = w.now;
    event->has_occurred_at_ms = 1;
    w.event = event;
    assert_int_equal (kf_store_write (w.base.store, s_event_txn, NULL, NULL), 0);
}

static inline int
s_tick_txn (kf_txn_t *txn, void *arg)
{
    *(int *) arg = survey_tick (w.survey, txn, w.now);
    return *(int *) arg < 0 ? -1 : 0;
}

static inline int
s_tick (const char *local)
{
    w.now = kf_test_at (local);
    int done = 0;
    assert_int_equal (kf_store_write (w.base.store, s_tick_txn, &done, NULL), 0);
    return done;
}

static inline int
s_request_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    kf_test_reply_ok (&w.reply);
    return survey_handle_request (w.survey, txn, w.now, w.request, &w.reply, w.base.arena);
}

static inline Kf__ReplyStatus
s_do (Kf__Request *request)
{
    kf_arena_reset (w.base.arena);
    if (!request->has_role) {
        request->role = KF__ROLE__ROLE_FRONT_DESK;
        request->has_role = 1;
    }
    request->actor = request->actor ? request->actor : "F01";
    w.request = request;
    kf_store_write (w.base.store, s_request_txn, NULL, NULL);
    return w.reply.status;
}

static inline const char *
s_events (void)
{
    return kf_test_events (&w.base.events);
}

//  A case of `type` in `unit` completed now by `staff` of `department`:
//  its ticket number out.
static inline void
s_completed_by (const char *unit, Kf__TicketType type, Kf__Category category, const char *rectification_of,
                const char *staff, Kf__Department department, char *ticket_no)
{
    sprintf (ticket_no, "E001-20261102-%04d", ++w.tickets);
    char order_no [96];
    snprintf (order_no, sizeof order_no, "%s-W1", ticket_no);
    Kf__OrderCompleted o = KF__ORDER_COMPLETED__INIT;
    o.order_no = order_no;
    o.ticket_no = ticket_no;
    o.unit = (char *) unit;
    o.type = type;
    o.has_type = 1;
    o.category = category;
    o.has_category = 1;
    o.department = department;
    o.has_department = 1;
    o.staff_id = (char *) staff;
    o.rectification_of = (char *) rectification_of;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_ORDER_COMPLETED;
    event.order_completed = &o;
    s_apply (&event);
}

//  ... by W01 of engineering.
static inline void
s_completed (const char *unit, Kf__TicketType type, Kf__Category category, const char *rectification_of, char *ticket_no)
{
    s_completed_by (unit, type, category, rectification_of, "W01", KF__DEPARTMENT__DEPARTMENT_ENGINEERING, ticket_no);
}

static inline void
s_repair (const char *unit, Kf__Category category, char *ticket_no)
{
    s_completed (unit, KF__TICKET_TYPE__TICKET_TYPE_REPAIR, category, NULL, ticket_no);
}

static inline const Kf__VisitList *
s_visits_of (bool pending_only, const char *ticket_no)
{
    Kf__ListVisits list = KF__LIST_VISITS__INIT;
    list.estate = "E001";
    list.ticket_no = (char *) ticket_no;
    list.pending_only = pending_only;
    list.has_pending_only = 1;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_LIST_VISITS;
    request.list_visits = &list;
    if (s_do (&request) != KF__REPLY_STATUS__REPLY_STATUS_OK)
        fail_msg ("visits: %s", w.reply.error);
    return w.reply.visits;
}

static inline const Kf__VisitList *
s_visits (bool pending_only)
{
    return s_visits_of (pending_only, NULL);
}

//  The visit of a ticket (its first), or NULL: the list's ticket filter
//  (issue 20: the ticket's page) gives that ticket's visits and no other.
static inline const Kf__Visit *
s_visit_of (const char *ticket_no)
{
    const Kf__VisitList *l = s_visits_of (false, ticket_no);
    const Kf__Visit *first = NULL;
    for (size_t i = 0; i < l->n_visits; i++) {
        const Kf__Visit *v = l->visits [i];
        bool merged = false;
        for (size_t m = 0; m < v->n_merged_tickets; m++)
            merged = merged || strcmp (v->merged_tickets [m], ticket_no) == 0;
        if (strcmp (v->scheduled->ticket_no, ticket_no) != 0 && !merged)
            fail_msg ("the visits of %s include %s's", ticket_no, v->scheduled->ticket_no);
        if (!first && strcmp (v->scheduled->ticket_no, ticket_no) == 0)
            first = v;
    }
    assert_int_equal (l->total, l->n_visits);
    return first;
}

static inline Kf__ReplyStatus
s_answer (const char *visit_id, bool reached, Kf__Satisfaction satisfaction, uint32_t score)
{
    Kf__AnswerVisit a = KF__ANSWER_VISIT__INIT;
    a.visit_id = (char *) visit_id;
    a.reached = reached;
    a.has_reached = 1;
    if (satisfaction) {
        a.satisfaction = satisfaction;
        a.has_satisfaction = 1;
    }
    a.score = score;
    a.has_score = score > 0;
    a.comment = "还可以";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_ANSWER_VISIT;
    request.answer_visit = &a;
    return s_do (&request);
}

//  ---- visits --------------------------------------------------------------------------------

#endif
