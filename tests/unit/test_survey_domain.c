/*  Unit tests: survey's domain logic over a real store and outbox, without
    sockets: every return-visit window, answers and retries, overdue
    visits, survey fatigue and merging, the evaluation draw (proportion, no
    repeats across four quarters, reproducible), answers and closing, the
    daily report, satisfaction and the Pareto.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kf_test_survey.h"

static void
test_visit_windows (void **state)
{
    (void) state;
    char gas [64], leak [64], door [64], complaint [64], enquiry [64], again [64];
    s_repair ("1-1-101", KF__CATEGORY__CATEGORY_GAS, gas);
    s_repair ("1-1-102", KF__CATEGORY__CATEGORY_WATER_LEAK, leak);
    s_repair ("1-1-103", KF__CATEGORY__CATEGORY_DOORS_LOCKS, door);
    s_completed ("1-1-104", KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT, KF__CATEGORY__CATEGORY_NOISE, NULL, complaint);
    s_completed ("1-1-105", KF__TICKET_TYPE__TICKET_TYPE_ENQUIRY, KF__CATEGORY__CATEGORY_FEES, NULL, enquiry);
    assert_string_equal (s_events (), "visit.scheduled visit.scheduled visit.scheduled");
    assert_int_equal (s_visit_of (gas)->scheduled->due_at_ms, w.now + 2 * DAY);
    assert_int_equal (s_visit_of (leak)->scheduled->due_at_ms, w.now + 3 * DAY);
    assert_int_equal (s_visit_of (door)->scheduled->due_at_ms, w.now + 7 * DAY);
    assert_string_equal (s_visit_of (gas)->scheduled->staff_id, "W01");
    assert_null (s_visit_of (complaint));   //  its visit follows its closing
    assert_null (s_visit_of (enquiry));
    //  A closed complaint: 3 days.
    Kf__TicketClosed c = KF__TICKET_CLOSED__INIT;
    c.ticket_no = complaint;
    c.type = KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT;
    c.has_type = 1;
    c.category = KF__CATEGORY__CATEGORY_NOISE;
    c.has_category = 1;
    c.unit = "1-1-104";
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_TICKET_CLOSED;
    event.ticket_closed = &c;
    s_apply (&event);
    assert_int_equal (s_visit_of (complaint)->scheduled->due_at_ms, w.now + 3 * DAY);
    assert_int_equal (s_visit_of (complaint)->scheduled->reason, KF__VISIT_REASON__VISIT_REASON_AFTER_COMPLAINT);
    //  A rectification order of the gas repair, once its visit is done: after rectification.
    assert_int_equal (s_answer (s_visit_of (gas)->scheduled->visit_id, true, KF__SATISFACTION__SATISFACTION_UNSATISFIED, 1),
                      KF__REPLY_STATUS__REPLY_STATUS_OK);
    s_completed ("1-1-101", KF__TICKET_TYPE__TICKET_TYPE_REPAIR, KF__CATEGORY__CATEGORY_GAS, "x-W1", again);
    assert_int_equal (s_visit_of (again)->scheduled->reason, KF__VISIT_REASON__VISIT_REASON_AFTER_RECTIFICATION);
    //  The due list: pending, soonest first.
    const Kf__VisitList *l = s_visits (true);
    assert_int_equal (l->n_visits, 4);
    for (size_t i = 1; i < l->n_visits; i++)
        assert_true (l->visits [i - 1]->scheduled->due_at_ms <= l->visits [i]->scheduled->due_at_ms);
}

static void
test_answers_retries_and_unsatisfied (void **state)
{
    (void) state;
    char a [64], b [64], c [64];
    s_repair ("1-1-101", KF__CATEGORY__CATEGORY_PLUMBING, a);
    s_repair ("1-1-102", KF__CATEGORY__CATEGORY_PLUMBING, b);
    s_repair ("1-1-103", KF__CATEGORY__CATEGORY_PLUMBING, c);
    s_events ();
    char va [80], vb [80], vc [80];
    snprintf (va, sizeof va, "%s", s_visit_of (a)->scheduled->visit_id);
    snprintf (vb, sizeof vb, "%s", s_visit_of (b)->scheduled->visit_id);
    snprintf (vc, sizeof vc, "%s", s_visit_of (c)->scheduled->visit_id);
    //  Not reached three times: given up.
    for (int i = 0; i < 3; i++)
        assert_int_equal (s_answer (va, false, 0, 0), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (s_events (), "visit.attempted(1) visit.attempted(2) visit.attempted(3,gave_up)");
    assert_true (w.reply.visit->gave_up);
    assert_int_equal (s_answer (va, false, 0, 0), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);
    //  Satisfied, on time; an unsatisfied answer asks for the rectification.
    assert_int_equal (s_answer (vb, true, KF__SATISFACTION__SATISFACTION_SATISFIED, 5), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_true (w.reply.visit->result->on_time);
    assert_int_equal (s_answer (vc, true, KF__SATISFACTION__SATISFACTION_UNSATISFIED, 7),
                      KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_int_equal (s_answer (vc, true, 0, 3), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    Kf__AnswerVisit tech = KF__ANSWER_VISIT__INIT;
    tech.visit_id = vc;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_ANSWER_VISIT;
    request.answer_visit = &tech;
    request.role = KF__ROLE__ROLE_TECHNICIAN;
    request.has_role = 1;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_int_equal (s_answer (vc, true, KF__SATISFACTION__SATISFACTION_UNSATISFIED, 1), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (s_events (), "visit.completed visit.completed visit.unsatisfied");
    assert_int_equal (s_answer ("nope", false, 0, 0), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
}

static void
test_overdue (void **state)
{
    (void) state;
    char a [64];
    s_repair ("1-1-101", KF__CATEGORY__CATEGORY_GAS, a);   //  due in 2 days
    s_events ();
    s_tick ("2026-11-04 09:59");
    assert_null (strstr (s_events (), "visit.overdue"));
    s_tick ("2026-11-04 10:00");
    assert_string_equal (s_events (), "visit.overdue");
    s_tick ("2026-11-05 10:00");
    assert_null (strstr (s_events (), "visit.overdue"));
    assert_true (s_visit_of (a)->overdue);
    assert_int_equal (s_answer (s_visit_of (a)->scheduled->visit_id, true, KF__SATISFACTION__SATISFACTION_SATISFIED, 4),
                      KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_false (w.reply.visit->result->on_time);
}

static void
test_fatigue_and_merging (void **state)
{
    (void) state;
    char t1 [64], t2 [64], t3 [64], t4 [64], t5 [64];
    s_repair ("3-2-1502", KF__CATEGORY__CATEGORY_PLUMBING, t1);
    s_repair ("3-2-1502", KF__CATEGORY__CATEGORY_ELECTRICAL, t2);   //  merges into t1's pending visit
    assert_string_equal (s_events (), "visit.scheduled visit.merged");
    const Kf__Visit *v = s_visit_of (t1);
    assert_int_equal (v->n_merged_tickets, 1);
    assert_string_equal (v->merged_tickets [0], t2);
    assert_null (s_visit_of (t2));
    s_answer (v->scheduled->visit_id, true, KF__SATISFACTION__SATISFACTION_SATISFIED, 5);
    w.now += 5 * DAY;
    s_repair ("3-2-1502", KF__CATEGORY__CATEGORY_PLUMBING, t3);     //  the second visit in 30 days
    s_answer (s_visit_of (t3)->scheduled->visit_id, true, KF__SATISFACTION__SATISFACTION_SATISFIED, 5);
    s_events ();
    w.now += 5 * DAY;
    s_repair ("3-2-1502", KF__CATEGORY__CATEGORY_PLUMBING, t4);     //  a third: not made
    assert_string_equal (s_events (), "");
    assert_null (s_visit_of (t4));
    w.now += 21 * DAY;                                              //  the first is 31 days back
    s_repair ("3-2-1502", KF__CATEGORY__CATEGORY_PLUMBING, t5);
    assert_string_equal (s_events (), "visit.scheduled");
}

//  ---- the evaluation --------------------------------------------------------------------------

static void
s_register (const char *unit, bool occupied)
{
    Kf__Unit u = KF__UNIT__INIT;
    u.unit = (char *) unit;
    u.occupied = occupied;
    u.has_occupied = 1;
    Kf__UnitRegistered r = KF__UNIT_REGISTERED__INIT;
    r.unit = &u;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_UNIT_REGISTERED;
    event.unit_registered = &r;
    s_apply (&event);
}

static void
s_households (int occupied, int vacant)
{
    char unit [32];
    for (int i = 0; i < occupied + vacant; i++) {
        snprintf (unit, sizeof unit, "%d-1-%d", i < occupied ? 1 : 9, i + 1);
        s_register (unit, i < occupied);
    }
}

static const Kf__EvaluationStatusView *
s_sample (uint32_t year, uint32_t quarter, uint64_t seed, Kf__ReplyStatus want)
{
    Kf__SampleEvaluation q = KF__SAMPLE_EVALUATION__INIT;
    q.estate = "E001";
    q.year = year;
    q.has_year = 1;
    q.quarter = quarter;
    q.has_quarter = 1;
    q.seed = seed;
    q.has_seed = 1;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_SAMPLE_EVALUATION;
    request.sample_evaluation = &q;
    request.role = KF__ROLE__ROLE_SUPERVISOR;
    request.has_role = 1;
    assert_int_equal (s_do (&request), want);
    return w.reply.evaluation;
}

static void
test_draw_rules (void **state)
{
    (void) state;
    //  The pure draw: a fifth, rounded up; reproducible; another seed, another draw.
    uint32_t last [101] = { 0 };
    size_t a [101], b [101], c [101];
    assert_int_equal (survey_draw (last, 101, 20264, 20, 42, a), 21);
    assert_int_equal (survey_draw (last, 101, 20264, 20, 42, b), 21);
    assert_memory_equal (a, b, 21 * sizeof *a);
    survey_draw (last, 101, 20264, 20, 43, c);
    assert_memory_not_equal (a, c, 21 * sizeof *a);
    //  Households drawn in the last four quarters come last, the oldest first.
    for (int i = 0; i < 95; i++)
        last [i] = 20262;
    for (int i = 95; i < 101; i++)
        last [i] = 0;
    assert_int_equal (survey_draw (last, 101, 20264, 20, 7, a), 21);
    for (int i = 0; i < 6; i++)
        assert_int_equal (a [15 + i], 95 + i);   //  the six never drawn are in
    //  Through the service: 100 occupied and 10 vacant households, four quarters.
    s_households (100, 10);
    char seen [128][16];
    int count = 0;
    for (uint32_t q = 1; q <= 4; q++) {
        const Kf__EvaluationStatusView *v = s_sample (2026, q, 1000 + q, KF__REPLY_STATUS__REPLY_STATUS_OK);
        assert_int_equal (v->sample->n_units, 20);
        assert_int_equal (v->sample->occupied, 100);
        for (size_t i = 0; i < v->sample->n_units; i++) {
            assert_int_equal (v->sample->units [i][0], '1');   //  never a vacant (9-...) household
            for (int j = 0; j < count; j++)
                assert_string_not_equal (seen [j], v->sample->units [i]);   //  none twice in a year
            snprintf (seen [count++], sizeof seen [0], "%s", v->sample->units [i]);
        }
    }
    //  Asking again: the recorded draw; with another seed: refused.
    const Kf__EvaluationStatusView *again = s_sample (2026, 1, 1001, KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (again->sample->seed, 1001);
    s_sample (2026, 1, 9, KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);
    s_sample (2026, 5, 9, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    //  The same seed over the same households elsewhere draws the same.
    char first [20][16];
    const Kf__EvaluationStatusView *v = s_sample (2027, 2, 77, KF__REPLY_STATUS__REPLY_STATUS_OK);
    for (size_t i = 0; i < 20; i++)
        snprintf (first [i], sizeof first [i], "%s", v->sample->units [i]);
    s_close_store ();
    kf_test_remove_tree (kf_test_dir);
    mkdir (kf_test_dir, 0700);
    s_open_store ();
    s_households (100, 10);
    for (uint32_t q = 1; q <= 4; q++)
        s_sample (2026, q, 1000 + q, KF__REPLY_STATUS__REPLY_STATUS_OK);
    v = s_sample (2027, 2, 77, KF__REPLY_STATUS__REPLY_STATUS_OK);
    for (size_t i = 0; i < 20; i++)
        assert_string_equal (first [i], v->sample->units [i]);
}

static Kf__ReplyStatus
s_evaluate (const char *id, const char *unit, uint32_t score)
{
    Kf__AreaScore cleaning = KF__AREA_SCORE__INIT, security = KF__AREA_SCORE__INIT;
    cleaning.area = KF__DEPARTMENT__DEPARTMENT_CLEANING;
    cleaning.has_area = 1;
    cleaning.score = score;
    cleaning.has_score = 1;
    cleaning.problem = KF__CATEGORY__CATEGORY_CLEANING;
    cleaning.has_problem = 1;
    security.area = KF__DEPARTMENT__DEPARTMENT_SECURITY;
    security.has_area = 1;
    security.score = 5;
    security.has_score = 1;
    Kf__AreaScore *answers [] = { &cleaning, &security };
    Kf__AnswerEvaluation a = KF__ANSWER_EVALUATION__INIT;
    a.evaluation_id = (char *) id;
    a.unit = (char *) unit;
    a.answers = answers;
    a.n_answers = 2;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_ANSWER_EVALUATION;
    request.answer_evaluation = &a;
    return s_do (&request);
}

//  Evaluation status, with one page of the households not answered.
static const Kf__EvaluationStatusView *
s_status (const char *id, uint32_t page_size, const char *token, Kf__ReplyStatus want)
{
    Kf__PageRequest page = KF__PAGE_REQUEST__INIT;
    page.page_size = page_size;
    page.has_page_size = 1;
    page.page_token = (char *) token;
    Kf__GetEvaluationStatus get = KF__GET_EVALUATION_STATUS__INIT;
    get.evaluation_id = (char *) id;
    get.page = &page;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_EVALUATION_STATUS;
    request.evaluation_status = &get;
    assert_int_equal (s_do (&request), want);
    return w.reply.evaluation;
}

static void
test_evaluation_collection (void **state)
{
    (void) state;
    s_households (10, 0);
    w.now = kf_test_at ("2026-12-01 09:00");
    const Kf__EvaluationStatusView *v = s_sample (2026, 4, 5, KF__REPLY_STATUS__REPLY_STATUS_OK);
    char unit [16], other [16] = "";
    snprintf (unit, sizeof unit, "%s", v->sample->units [0]);
    assert_string_equal (v->sample->evaluation_id, "E001-2026Q4");
    assert_int_equal (v->sample->hand_out_at_ms, kf_test_at ("2026-12-15 00:00"));
    assert_int_equal (v->sample->closes_at_ms, kf_test_at ("2026-12-30 00:00"));
    for (int i = 1; i <= 10 && !other [0]; i++) {
        char u [16];
        snprintf (u, sizeof u, "1-1-%d", i);
        if (strcmp (u, v->sample->units [0]) && strcmp (u, v->sample->units [1]))
            snprintf (other, sizeof other, "%s", u);
    }
    assert_int_equal (s_evaluate ("E001-2026Q4", unit, 3), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);   //  not yet out
    //  Nobody has answered: both drawn households, a page at a time.
    char second [16];
    snprintf (second, sizeof second, "%s", v->sample->units [1]);
    const Kf__EvaluationStatusView *st = s_status ("E001-2026Q4", 1, NULL, KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (st->n_not_answered, 1);
    assert_string_equal (st->not_answered [0], unit);
    assert_string_equal (st->next_page_token, unit);
    st = s_status ("E001-2026Q4", 1, unit, KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (st->n_not_answered, 1);
    assert_string_equal (st->not_answered [0], second);
    assert_null (st->next_page_token);
    s_status ("E001-2026Q4", 1, "9-9-9", KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    w.now = kf_test_at ("2026-12-16 10:00");
    assert_int_equal (s_evaluate ("E001-2026Q4", unit, 3), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.evaluation->answered, 1);
    assert_int_equal (w.reply.evaluation->n_not_answered, 0);   //  the stored view holds no page
    st = s_status ("E001-2026Q4", 50, NULL, KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (st->n_not_answered, 1);
    assert_string_equal (st->not_answered [0], second);
    assert_null (st->next_page_token);
    assert_int_equal (s_evaluate ("E001-2026Q4", unit, 3), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);
    assert_int_equal (s_evaluate ("E001-2026Q4", other, 3), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_int_equal (s_evaluate ("E001-2026Q4", unit, 9), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_int_equal (s_evaluate ("E001-2026Q3", unit, 3), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    s_events ();
    s_tick ("2026-12-30 00:00");
    assert_non_null (strstr (s_events (), "evaluation.closed"));
    assert_int_equal (s_evaluate ("E001-2026Q4", v->sample->units [1], 3), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);
    //  The next quarter draws itself on its hand-out day.
    assert_null (strstr (s_events (), "evaluation.sampled"));
    s_tick ("2027-03-14 23:59");
    assert_null (strstr (s_events (), "evaluation.sampled"));   //  (the daily report comes, as every day)
    s_tick ("2027-03-15 00:00");
    assert_non_null (strstr (s_events (), "evaluation.sampled"));
    s_tick ("2027-03-15 00:01");
    assert_null (strstr (s_events (), "evaluation.sampled"));
}

//  An owner (ROLE_OWNER) sees their own unit's return visits and answers
//  them, and of the quarter's evaluation whether their own household was
//  drawn, never which others were.
static void
test_an_owner_sees_their_own_visits_and_household (void **state)
{
    (void) state;
    s_households (10, 0);
    w.now = kf_test_at ("2026-12-01 09:00");
    const Kf__EvaluationStatusView *v = s_sample (2026, 4, 5, KF__REPLY_STATUS__REPLY_STATUS_OK);
    char mine [16], neighbour [16], undrawn [16] = "";
    snprintf (mine, sizeof mine, "%s", v->sample->units [0]);
    snprintf (neighbour, sizeof neighbour, "%s", v->sample->units [1]);
    for (int i = 1; i <= 10 && !undrawn [0]; i++) {
        char u [16];
        snprintf (u, sizeof u, "1-1-%d", i);
        if (strcmp (u, mine) && strcmp (u, neighbour))
            snprintf (undrawn, sizeof undrawn, "%s", u);
    }
    char my_ticket [64], their_ticket [64];
    s_repair (mine, KF__CATEGORY__CATEGORY_PLUMBING, my_ticket);
    s_repair (neighbour, KF__CATEGORY__CATEGORY_PLUMBING, their_ticket);
    char their_visit [64];
    snprintf (their_visit, sizeof their_visit, "%s", s_visit_of (their_ticket)->scheduled->visit_id);

    Kf__Request request = KF__REQUEST__INIT;
    request.scope = "E001";
    request.unit = mine;
    request.actor = "owner";
    KF_SET (&request, role, KF__ROLE__ROLE_OWNER);
    Kf__ListVisits list = KF__LIST_VISITS__INIT;
    list.estate = "E001";
    KF_SET (&list, pending_only, 1);
    request.command_case = KF__REQUEST__COMMAND_LIST_VISITS;
    request.list_visits = &list;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.visits->total, 1);
    assert_int_equal (w.reply.visits->n_visits, 1);
    assert_string_equal (w.reply.visits->visits [0]->scheduled->ticket_no, my_ticket);
    char my_visit [64];
    snprintf (my_visit, sizeof my_visit, "%s", w.reply.visits->visits [0]->scheduled->visit_id);
    Kf__AnswerVisit a = KF__ANSWER_VISIT__INIT;
    KF_SET (&a, reached, 1);
    KF_SET (&a, satisfaction, KF__SATISFACTION__SATISFACTION_SATISFIED);
    KF_SET (&a, score, 5);
    request.command_case = KF__REQUEST__COMMAND_ANSWER_VISIT;
    request.answer_visit = &a;
    a.visit_id = their_visit;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    a.visit_id = my_visit;
    a.reached = 0;   //  "not reached" is the staff's to record
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    a.reached = 1;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_true (w.reply.visit->done);

    //  The evaluation: their household drawn, nobody else's shown.
    Kf__GetEvaluationStatus get = KF__GET_EVALUATION_STATUS__INIT;
    get.evaluation_id = "E001-2026Q4";
    request.command_case = KF__REQUEST__COMMAND_EVALUATION_STATUS;
    request.evaluation_status = &get;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.evaluation->sample->n_units, 1);
    assert_string_equal (w.reply.evaluation->sample->units [0], mine);
    assert_int_equal (w.reply.evaluation->n_not_answered, 1);
    assert_false (w.reply.evaluation->sample->has_seed);   //  the seed would redo the draw
    //  A page token naming a neighbour tells nothing of whether they were drawn.
    Kf__PageRequest page = KF__PAGE_REQUEST__INIT;
    page.page_token = undrawn;
    get.page = &page;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    page.page_token = neighbour;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.evaluation->sample->n_units, 1);
    get.page = NULL;
    request.unit = undrawn;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.evaluation->sample->n_units, 0);
    assert_int_equal (w.reply.evaluation->n_not_answered, 0);
    //  An answer for another household is refused; their own recorded.
    w.now = kf_test_at ("2026-12-16 10:00");
    Kf__AreaScore score = KF__AREA_SCORE__INIT;
    KF_SET (&score, area, KF__DEPARTMENT__DEPARTMENT_CLEANING);
    KF_SET (&score, score, 4);
    Kf__AreaScore *answers [] = { &score };
    Kf__AnswerEvaluation e = KF__ANSWER_EVALUATION__INIT;
    e.evaluation_id = "E001-2026Q4";
    e.unit = neighbour;
    e.answers = answers;
    e.n_answers = 1;
    request.unit = mine;
    request.command_case = KF__REQUEST__COMMAND_ANSWER_EVALUATION;
    request.answer_evaluation = &e;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    e.unit = mine;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.evaluation->sample->n_units, 1);
    assert_int_equal (w.reply.evaluation->n_not_answered, 0);
    //  The store's record keeps the whole draw.
    const Kf__EvaluationStatusView *st = s_status ("E001-2026Q4", 50, NULL, KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (st->sample->n_units, 2);
    assert_int_equal (st->n_not_answered, 1);
    assert_string_equal (st->not_answered [0], neighbour);
}

//  ---- statistics ----------------------------------------------------------------------------------

static void
s_filed (Kf__TicketType type, Kf__Category category, char *ticket_no)
{
    sprintf (ticket_no, "E001-20261102-%04d", ++w.tickets);
    Kf__TicketFiled f = KF__TICKET_FILED__INIT;
    f.ticket_no = ticket_no;
    f.type = type;
    f.has_type = 1;
    f.category = category;
    f.has_category = 1;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_TICKET_FILED;
    event.ticket_filed = &f;
    s_apply (&event);
}

static void
s_closed (const char *ticket_no, Kf__TicketType type, const char *unit, Kf__Category category)
{
    Kf__TicketClosed closed = KF__TICKET_CLOSED__INIT;
    closed.ticket_no = (char *) ticket_no;
    closed.type = type;
    closed.has_type = 1;
    closed.unit = (char *) unit;
    closed.category = category;
    closed.has_category = category != 0;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_TICKET_CLOSED;
    event.ticket_closed = &closed;
    s_apply (&event);
}

static void
test_daily_report (void **state)
{
    (void) state;
    char a [64], b [64], c [64], d [64];
    s_filed (KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT, KF__CATEGORY__CATEGORY_NOISE, a);
    s_filed (KF__TICKET_TYPE__TICKET_TYPE_REPAIR, KF__CATEGORY__CATEGORY_PLUMBING, b);
    s_filed (KF__TICKET_TYPE__TICKET_TYPE_REPAIR, KF__CATEGORY__CATEGORY_LIFT, c);
    s_closed (b, KF__TICKET_TYPE__TICKET_TYPE_REPAIR, NULL, 0);
    Kf__SlaAlert alert = KF__SLA_ALERT__INIT;
    Kf__Envelope breach = KF__ENVELOPE__INIT;
    breach.body_case = KF__ENVELOPE__BODY_SLA_BREACHED;
    breach.sla_breached = &alert;
    s_apply (&breach);
    //  A deadline's breach (a vacant unit not inspected) is not a case's.
    Kf__Deadline deadline = KF__DEADLINE__INIT;
    deadline.subject = "vacant/1-1-101";
    Kf__SlaAlert missed = KF__SLA_ALERT__INIT;
    missed.deadline = &deadline;
    breach.sla_breached = &missed;
    s_apply (&breach);
    s_repair ("1-1-101", KF__CATEGORY__CATEGORY_PLUMBING, d);
    s_answer (s_visit_of (d)->scheduled->visit_id, true, KF__SATISFACTION__SATISFACTION_FAIRLY_SATISFIED, 4);
    s_events ();
    s_tick ("2026-11-03 00:01");   //  the day turned: its open count noted, no report yet
    assert_string_equal (s_events (), "");
    s_tick ("2026-11-03 07:59");
    assert_string_equal (s_events (), "");
    s_tick ("2026-11-03 08:00");
    assert_string_equal (s_events (), "report.daily");
    s_tick ("2026-11-03 11:00");
    assert_string_equal (s_events (), "");
    Kf__GetDailyReport get = KF__GET_DAILY_REPORT__INIT;
    get.estate = "E001";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_DAILY_REPORT;
    request.daily_report = &get;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    const Kf__DailyReport *r = w.reply.daily_report;
    assert_int_equal (r->date, 20261102);
    assert_int_equal (r->filed, 3);
    assert_int_equal (r->closed, 1);
    assert_int_equal (r->open_at_end, 2);
    assert_int_equal (r->complaints, 1);
    assert_int_equal (r->repairs, 2);
    assert_int_equal (r->breaches, 1);
    assert_int_equal (r->visits_done, 1);
    assert_int_equal (r->visits_satisfied, 1);
    assert_int_equal (r->generated_at_ms, kf_test_at ("2026-11-03 08:00"));
}

static const Kf__DailyReport *
s_daily_of (uint32_t date)
{
    Kf__GetDailyReport get = KF__GET_DAILY_REPORT__INIT;
    get.estate = "E001";
    get.date = date;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_DAILY_REPORT;
    request.daily_report = &get;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    return w.reply.daily_report;
}

//  Issue 15: periodic work never skips a period. kefu-survey is down from
//  Monday to Friday (its events are replayed with their own times): the
//  tick that follows makes the four reports it missed, oldest first, each
//  with the count open at its own midnight; a clock set back makes none
//  twice.
static void
test_daily_reports_catch_up (void **state)
{
    (void) state;
    char a [64], b [64], c [64], d [64];
    s_filed (KF__TICKET_TYPE__TICKET_TYPE_REPAIR, KF__CATEGORY__CATEGORY_PLUMBING, a);
    s_filed (KF__TICKET_TYPE__TICKET_TYPE_REPAIR, KF__CATEGORY__CATEGORY_LIFT, b);
    s_tick ("2026-11-02 10:00");                 //  Sunday's report; then down
    assert_string_equal (s_events (), "report.daily");
    w.now = kf_test_at ("2026-11-03 10:00");
    s_filed (KF__TICKET_TYPE__TICKET_TYPE_REPAIR, KF__CATEGORY__CATEGORY_LIFT, c);
    s_closed (a, KF__TICKET_TYPE__TICKET_TYPE_REPAIR, NULL, 0);   //  Tuesday ends with b, c open
    w.now = kf_test_at ("2026-11-04 10:00");
    s_closed (b, KF__TICKET_TYPE__TICKET_TYPE_REPAIR, NULL, 0);
    s_closed (c, KF__TICKET_TYPE__TICKET_TYPE_REPAIR, NULL, 0);   //  Wednesday ends with none
    w.now = kf_test_at ("2026-11-05 10:00");
    s_filed (KF__TICKET_TYPE__TICKET_TYPE_REPAIR, KF__CATEGORY__CATEGORY_LIFT, d);
    assert_int_equal (s_tick ("2026-11-06 09:00"), 8);   //  four days of each of the two estates
    assert_string_equal (s_events (), "report.daily report.daily report.daily report.daily");
    static const struct { uint32_t date; uint32_t open, filed, closed; } days [] = {
        { 20261102, 2, 2, 0 }, { 20261103, 2, 1, 1 }, { 20261104, 0, 0, 2 }, { 20261105, 1, 1, 0 },
    };
    for (size_t i = 0; i < 4; i++) {
        const Kf__DailyReport *r = s_daily_of (days [i].date);
        if (r->open_at_end != days [i].open || r->filed != days [i].filed || r->closed != days [i].closed)
            fail_msg ("%u: open %u filed %u closed %u", days [i].date, r->open_at_end, r->filed, r->closed);
        assert_int_equal (r->generated_at_ms, kf_test_at ("2026-11-06 09:00"));
    }
    assert_int_equal (s_tick ("2026-11-06 09:01"), 0);
    assert_int_equal (s_tick ("2026-11-03 09:00"), 0);   //  the clock set back
    assert_string_equal (s_events (), "");
    assert_int_equal (s_tick ("2026-11-07 08:00"), 2);   //  and on: Friday's
    assert_int_equal (s_daily_of (20261106)->open_at_end, 1);
}

//  Issue 15: every quarter's draw, in order, after a long downtime.
static void
test_quarters_catch_up (void **state)
{
    (void) state;
    s_households (10, 0);
    s_tick ("2026-11-02 10:00");                 //  the job begins with 2026 Q4
    s_events ();
    s_tick ("2027-03-20 10:00");                 //  down over both hand-outs
    const char *events = s_events ();
    const char *first = strstr (events, "evaluation.sampled");
    assert_non_null (first);
    assert_non_null (strstr (first + 1, "evaluation.sampled"));
    Kf__GetEvaluationStatus q = KF__GET_EVALUATION_STATUS__INIT;
    q.evaluation_id = "E001-2026Q4";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_EVALUATION_STATUS;
    request.evaluation_status = &q;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    q.evaluation_id = "E001-2027Q1";
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    s_tick ("2027-03-20 10:01");
    assert_null (strstr (s_events (), "evaluation.sampled"));
}

//  Issue 15: a complaint's visit counts for the guard who handled it, in
//  the security department, not for "-" in "unspecified".
static void
test_complaint_visit_counts_for_handler (void **state)
{
    (void) state;
    char t [64];
    s_filed (KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT, KF__CATEGORY__CATEGORY_NOISE, t);
    Kf__OrderAssigned a = KF__ORDER_ASSIGNED__INIT;
    a.order_no = "x-W1";
    a.ticket_no = t;
    a.staff_id = "B01";
    a.department = KF__DEPARTMENT__DEPARTMENT_SECURITY;
    a.has_department = 1;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_ORDER_ASSIGNED;
    event.order_assigned = &a;
    s_apply (&event);
    s_closed (t, KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT, "1-1-101", KF__CATEGORY__CATEGORY_NOISE);
    const Kf__Visit *v = s_visit_of (t);
    assert_non_null (v);
    assert_string_equal (v->scheduled->staff_id, "B01");
    assert_int_equal (v->scheduled->department, KF__DEPARTMENT__DEPARTMENT_SECURITY);
    assert_int_equal (s_answer (v->scheduled->visit_id, true, KF__SATISFACTION__SATISFACTION_SATISFIED, 5),
                      KF__REPLY_STATUS__REPLY_STATUS_OK);
    Kf__ReportSatisfaction q = KF__REPORT_SATISFACTION__INIT;
    q.estate = "E001";
    q.group_by = "department";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_REPORT_SATISFACTION;
    request.report_satisfaction = &q;
    w.now += DAY;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.satisfaction->n_rows, 1);
    assert_string_equal (w.reply.satisfaction->rows [0]->key, "security");
    q.group_by = "technician";
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (w.reply.satisfaction->rows [0]->key, "B01");

    //  Replayed in the other order (intake's close before dispatch's
    //  assignment): the visit, not yet answered, takes its handler late.
    char u [64];
    s_filed (KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT, KF__CATEGORY__CATEGORY_NOISE, u);
    s_closed (u, KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT, "1-1-102", KF__CATEGORY__CATEGORY_NOISE);
    assert_null (s_visit_of (u)->scheduled->staff_id);
    a.ticket_no = u;
    s_apply (&event);
    assert_string_equal (s_visit_of (u)->scheduled->staff_id, "B01");
    assert_int_equal (s_visit_of (u)->scheduled->department, KF__DEPARTMENT__DEPARTMENT_SECURITY);
}

//  Issue 15.13: a caller bound to E002 sees nothing of E001's: its visits,
//  answers, evaluations and reports are "not found", as if absent.
static void
test_other_estates_are_not_seen (void **state)
{
    (void) state;
    char t [64];
    s_repair ("1-1-101", KF__CATEGORY__CATEGORY_PLUMBING, t);
    s_households (5, 0);
    w.now = kf_test_at ("2026-12-01 09:00");
    s_sample (2026, 4, 7, KF__REPLY_STATUS__REPLY_STATUS_OK);
    const Kf__Visit *v = s_visit_of (t);
    assert_non_null (v);
    char visit_id [96];
    snprintf (visit_id, sizeof visit_id, "%s", v->scheduled->visit_id);

    Kf__ListVisits list = KF__LIST_VISITS__INIT;
    list.estate = "E001";
    Kf__Request request = KF__REQUEST__INIT;
    request.scope = "E002";
    request.command_case = KF__REQUEST__COMMAND_LIST_VISITS;
    request.list_visits = &list;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    Kf__AnswerVisit a = KF__ANSWER_VISIT__INIT;
    a.visit_id = visit_id;
    a.reached = 1;
    a.has_reached = 1;
    request.command_case = KF__REQUEST__COMMAND_ANSWER_VISIT;
    request.answer_visit = &a;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    Kf__GetEvaluationStatus e = KF__GET_EVALUATION_STATUS__INIT;
    e.evaluation_id = "E001-2026Q4";
    request.command_case = KF__REQUEST__COMMAND_EVALUATION_STATUS;
    request.evaluation_status = &e;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    Kf__GetDailyReport d = KF__GET_DAILY_REPORT__INIT;
    d.estate = "E001";
    request.command_case = KF__REQUEST__COMMAND_DAILY_REPORT;
    request.daily_report = &d;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    Kf__ReportSatisfaction r = KF__REPORT_SATISFACTION__INIT;
    r.estate = "E001";
    request.command_case = KF__REQUEST__COMMAND_REPORT_SATISFACTION;
    request.report_satisfaction = &r;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    //  Its own estate it sees; the visit is still not done.
    request.scope = "E001";
    request.command_case = KF__REQUEST__COMMAND_LIST_VISITS;
    request.list_visits = &list;   //  (the command is a oneof: one pointer for all)
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_false (s_visit_of (t)->done);
}

static void
test_satisfaction_and_pareto (void **state)
{
    (void) state;
    char t [8][64];
    Kf__Category categories [] = { KF__CATEGORY__CATEGORY_NOISE, KF__CATEGORY__CATEGORY_NOISE,
                                   KF__CATEGORY__CATEGORY_NOISE, KF__CATEGORY__CATEGORY_PARKING,
                                   KF__CATEGORY__CATEGORY_CLEANING };
    for (int i = 0; i < 5; i++)
        s_filed (KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT, categories [i], t [i]);
    char unit [16];
    for (int i = 0; i < 3; i++) {
        snprintf (unit, sizeof unit, "2-1-%d", i + 1);
        s_repair (unit, KF__CATEGORY__CATEGORY_PLUMBING, t [5 + i]);
    }
    s_answer (s_visit_of (t [5])->scheduled->visit_id, true, KF__SATISFACTION__SATISFACTION_SATISFIED, 5);
    s_answer (s_visit_of (t [6])->scheduled->visit_id, true, KF__SATISFACTION__SATISFACTION_UNSATISFIED, 2);
    s_answer (s_visit_of (t [7])->scheduled->visit_id, true, KF__SATISFACTION__SATISFACTION_FAIRLY_SATISFIED, 4);
    Kf__ReportSatisfaction q = KF__REPORT_SATISFACTION__INIT;
    q.estate = "E001";
    q.group_by = "technician";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_REPORT_SATISFACTION;
    request.report_satisfaction = &q;
    w.now += 10 * DAY;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    const Kf__SatisfactionReport *s = w.reply.satisfaction;
    assert_int_equal (s->n_rows, 1);
    assert_string_equal (s->rows [0]->key, "W01");
    //  2 of 3 satisfied is 66.7 % (rounded, not cut to 66.6 %); the mean 11 / 3 is 3.67.
    assert_int_equal (s->rows [0]->answered, 3);
    assert_int_equal (s->rows [0]->satisfied_permille, 667);
    assert_int_equal (s->rows [0]->mean_score_centi, 367);
    assert_int_equal (s->visits_due, 3);
    assert_int_equal (s->visits_on_time, 3);
    q.group_by = "mood";
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    //  Pareto: noise 3, then plumbing (the unsatisfied visit), parking, cleaning: 3 of 6 is 50 %, 4 of 6 67 %,
    //  5 of 6 83 %: the first three are the vital few.
    Kf__ReportPareto p = KF__REPORT_PARETO__INIT;
    p.estate = "E001";
    request.command_case = KF__REQUEST__COMMAND_REPORT_PARETO;
    request.report_pareto = &p;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    const Kf__ParetoReport *r = w.reply.pareto;
    assert_int_equal (r->total, 6);
    assert_int_equal (r->n_rows, 4);
    assert_int_equal (r->rows [0]->category, KF__CATEGORY__CATEGORY_NOISE);
    assert_int_equal (r->rows [0]->count, 3);
    assert_int_equal (r->rows [0]->cumulative_permille, 500);
    assert_int_equal (r->rows [1]->cumulative_permille, 667);   //  4 of 6, rounded
    assert_int_equal (r->rows [2]->cumulative_permille, 833);
    assert_true (r->rows [0]->vital_few);
    assert_true (r->rows [1]->vital_few);
    assert_true (r->rows [2]->vital_few);
    assert_false (r->rows [3]->vital_few);
    assert_int_equal (r->rows [3]->cumulative_permille, 1000);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_visit_windows, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_answers_retries_and_unsatisfied, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_overdue, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_fatigue_and_merging, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_draw_rules, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_evaluation_collection, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_an_owner_sees_their_own_visits_and_household, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_daily_report, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_satisfaction_and_pareto, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_daily_reports_catch_up, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_quarters_catch_up, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_complaint_visit_counts_for_handler, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_other_estates_are_not_seen, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
