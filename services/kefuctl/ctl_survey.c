/*  kefuctl — return visits (visits, visits answer), the quarterly
    evaluation (evaluation sample|status|answer) and survey's reports
    (report satisfaction|pareto|daily).  */
#include "ctl.h"
#include "kf_field.h"
#include "kf_rate.h"
#include "kf_time.h"

#include <inttypes.h>
#include <stdlib.h>

static const char *
s_endpoint (ctl_t *ctl)
{
    return kf_config_str (ctl->config, "services/survey/endpoint");
}

static Kf__Reply *
s_call (ctl_t *ctl, Kf__Request *request)
{
    return ctl_call (ctl, "kefu-survey", s_endpoint (ctl), request);
}

typedef struct {
    const char *estate, *due_before, *from, *to, *by, *date, *seed;
    const char *areas [8];
    size_t area_count;
    uint32_t year, quarter, score;
    const char *satisfaction;
    bool pending, all, reached, not_reached;
    Kf__PageRequest *page;
} s_args_t;

static int
s_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_args_t *a = arg;
    char *end;
    long n;
    switch (option) {
        case 'e': a->estate = value; break;
        case 'd': a->due_before = value; break;
        case 'f': a->from = value; break;
        case 'T': a->to = value; break;
        case 'b': a->by = value; break;
        case 'D': a->date = value; break;
        case 's': a->seed = value; break;
        case 'S': a->satisfaction = value; break;
        case 'p': a->pending = true; break;
        case 'a': a->all = true; break;
        case 'r': a->reached = true; break;
        case 'R': a->not_reached = true; break;
        case 'P': if (a->page) a->page->page_token = (char *) value; break;
        case 'n': return a->page ? ctl_page_size ("visits", value, a->page) : 0;
        case 'A':
            if (a->area_count == 8)
                return ctl_fail (-1, "evaluation answer: at most 5 --area");
            a->areas [a->area_count++] = value;
            break;
        case 'y': case 'q': case 'c':
            n = strtol (value, &end, 10);
            if (*end || n < 0 || n > 9999)
                return ctl_fail (-1, "'%s' is not a number", value);
            if (option == 'y') a->year = (uint32_t) n;
            if (option == 'q') a->quarter = (uint32_t) n;
            if (option == 'c') a->score = (uint32_t) n;
            break;
    }
    return 0;
}

static const struct option s_spec [] = {
    { "estate", required_argument, NULL, 'e' }, { "due-before", required_argument, NULL, 'd' },
    { "from", required_argument, NULL, 'f' }, { "to", required_argument, NULL, 'T' },
    { "by", required_argument, NULL, 'b' }, { "date", required_argument, NULL, 'D' },
    { "seed", required_argument, NULL, 's' }, { "satisfaction", required_argument, NULL, 'S' },
    { "pending", no_argument, NULL, 'p' }, { "all", no_argument, NULL, 'a' },
    { "reached", no_argument, NULL, 'r' }, { "not-reached", no_argument, NULL, 'R' },
    { "page", required_argument, NULL, 'P' }, { "page-size", required_argument, NULL, 'n' },
    { "area", required_argument | CTL_REPEATED, NULL, 'A' }, { "year", required_argument, NULL, 'y' },
    { "quarter", required_argument, NULL, 'q' }, { "score", required_argument, NULL, 'c' },
    { NULL, 0, NULL, 0 }
};

//  ---- visits ---------------------------------------------------------------------------------

static const char *
s_visit_state (const Kf__Visit *v)
{
    if (v->gave_up)
        return "not reached";
    if (v->result)
        return ctl_enum_name (&kf__satisfaction__descriptor, v->result->satisfaction);
    return v->overdue ? "overdue" : "pending";
}

static int
s_visit_rows (ctl_t *ctl, const Kf__Reply *reply, ctl_table_t *table, bool all, ctl_page_t *page, void *arg)
{
    (void) arg;
    if (reply->result_case != KF__REPLY__RESULT_VISITS)
        return -1;
    const Kf__VisitList *list = reply->visits;
    page->rows = list->n_visits;
    page->total = list->total;
    page->next_token = list->next_page_token;
    if (!table && !all) {
        ctl_print_json (&list->base);
        return 0;
    }
    for (size_t i = 0; i < list->n_visits; i++) {
        const Kf__Visit *v = list->visits [i];
        const Kf__VisitScheduled *s = v->scheduled;
        if (!table) {
            ctl_print_json (&v->base);
            continue;
        }
        char due [64], attempts [16];
        snprintf (attempts, sizeof attempts, "%u", v->attempts);
        ctl_table_row (table, s->visit_id, ctl_time (ctl, v->estate, s->due_at_ms, due, sizeof due), s->unit,
                       ctl_enum_name (&kf__visit_reason__descriptor, s->reason),
                       ctl_enum_name (&kf__category__descriptor, s->category), s->staff_id, attempts, s_visit_state (v));
    }
    return 0;
}

static void
s_print_visit (ctl_t *ctl, const Kf__Reply *reply)
{
    const Kf__Visit *v = reply->visit;
    char due [64];
    printf ("visit %s of %s, unit %s, due %s: %s, %u call%s\n", v->scheduled->visit_id, v->scheduled->ticket_no,
            v->scheduled->unit, ctl_time (ctl, v->estate, v->scheduled->due_at_ms, due, sizeof due), s_visit_state (v),
            v->attempts, v->attempts == 1 ? "" : "s");
    if (v->result && v->result->satisfaction == KF__SATISFACTION__SATISFACTION_UNSATISFIED)
        printf ("unsatisfied: dispatch opens a rectification order and the ticket is reopened\n");
}

static int
s_visits (ctl_t *ctl, int argc, char **argv)
{
    Kf__PageRequest page = KF__PAGE_REQUEST__INIT;
    s_args_t a = { .page = &page };
    int code;
    int first = ctl_options (ctl, &ctl_visits_command, argc, argv, s_spec, s_option, &a, &code);
    if (first < 0)
        return code;
    bool answer = first < argc && strcmp (argv [first], "answer") == 0;
    if (first < argc && !answer && strcmp (argv [first], "list") != 0)
        return ctl_fail (CTL_USAGE, "visits: unknown action '%s' (list or answer)", argv [first]);
    if (!ctl_config (ctl))
        return CTL_FAILED;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    if (!answer) {
        if (first + 1 < argc)
            return ctl_fail (CTL_USAGE, "visits: unexpected argument '%s'", argv [first + 1]);
        const char *estate = ctl_estate (ctl, "visits", a.estate, &code);
        if (!estate)
            return code;
        Kf__ListVisits q = KF__LIST_VISITS__INIT;
        q.estate = (char *) estate;
        KF_SET (&q, pending_only, a.pending);
        q.page = &page;
        if (a.due_before && ctl_period_time (ctl, "visits", estate, a.due_before, false, &q.due_before_ms))
            return CTL_USAGE;
        q.has_due_before_ms = a.due_before != NULL;
        request.command_case = KF__REQUEST__COMMAND_LIST_VISITS;
        request.list_visits = &q;
        ctl_table_t *table = ctl->json ? NULL : ctl_table_new (8, "VISIT", "DUE", "UNIT", "AFTER", "CATEGORY",
                                                               "TECHNICIAN", "CALLS", "STATE");
        return ctl_list_pages (ctl, "kefu-survey", s_endpoint (ctl), &request, &page, a.all, table, "visit",
                               s_visit_rows, NULL);
    }
    if (first + 2 > argc)
        return ctl_fail (CTL_USAGE, "visits answer: which visit?");
    if (a.reached == a.not_reached)
        return ctl_fail (CTL_USAGE, "visits answer: --reached (with --satisfaction and --score) or --not-reached");
    Kf__AnswerVisit q = KF__ANSWER_VISIT__INIT;
    q.visit_id = argv [first + 1];
    KF_SET (&q, reached, a.reached);
    int value;
    if (a.reached) {
        if (!a.satisfaction || a.score == 0)
            return ctl_fail (CTL_USAGE, "visits answer: --reached needs --satisfaction and --score 1..5");
        if (ctl_enum (&kf__satisfaction__descriptor, "--satisfaction", a.satisfaction, &value))
            return CTL_USAGE;
        KF_SET (&q, satisfaction, value);
        KF_SET (&q, score, a.score);
    }
    char *comment = ctl_join (argc, argv, first + 2);
    q.comment = comment;
    request.command_case = KF__REQUEST__COMMAND_ANSWER_VISIT;
    request.answer_visit = &q;
    Kf__Reply *reply = s_call (ctl, &request);
    free (comment);
    return ctl_print_result (ctl, "kefu-survey", reply, KF__REPLY__RESULT_VISIT, s_print_visit);
}

const ctl_command_t ctl_visits_command = {
    "visits", "return visits (回访): the due list, and recording an answer",
    "visits [list] --estate E [--pending] [--due-before TIME] [--page-size N] [--page TOKEN | --all]\n"
    "       kefuctl visits answer VISIT --reached --satisfaction S --score 1..5 [COMMENT...]\n"
    "       kefuctl visits answer VISIT --not-reached [NOTE...]\n\n"
    "Visits are listed soonest due first. satisfaction is satisfied,\n"
    "fairly_satisfied or unsatisfied; an unsatisfied answer has dispatch open\n"
    "a rectification order and intake reopen the ticket. A visit not reached\n"
    "after the configured number of calls is given up.",
    s_visits, NULL
};

//  ---- evaluation -------------------------------------------------------------------------------

static void
s_evaluation_heading (ctl_t *ctl, const Kf__EvaluationStatusView *v)
{
    const Kf__EvaluationSampled *s = v->sample;
    char out [64], closes [64];
    printf ("evaluation %s: %zu of %u occupied households drawn (seed %016" PRIx64 ")\n", s->evaluation_id, s->n_units,
            s->occupied, s->seed);
    printf ("handed out %s, collected until %s: %u answered%s\n", ctl_time (ctl, v->estate, s->hand_out_at_ms, out, sizeof out),
            ctl_time (ctl, v->estate, s->closes_at_ms, closes, sizeof closes), v->answered, v->closed ? ", closed" : "");
}

//  A draw or an answer: the evaluation and every household drawn.
static void
s_print_evaluation (ctl_t *ctl, const Kf__Reply *reply)
{
    const Kf__EvaluationStatusView *v = reply->evaluation;
    const Kf__EvaluationSampled *s = v->sample;
    s_evaluation_heading (ctl, v);
    for (size_t i = 0; i < s->n_units; i++)
        printf ("%s%s", i % 10 ? "  " : i ? "\n  " : "  ", s->units [i]);
    printf ("\n");
}

//  A page of evaluation status: the heading once, then the households
//  drawn that have not answered. With --json each page's view.
static int
s_status_rows (ctl_t *ctl, const Kf__Reply *reply, ctl_table_t *table, bool all, ctl_page_t *page, void *arg)
{
    (void) all;
    bool *headed = arg;
    if (reply->result_case != KF__REPLY__RESULT_EVALUATION)
        return -1;
    const Kf__EvaluationStatusView *v = reply->evaluation;
    page->rows = v->n_not_answered;
    page->total = v->sample->n_units - v->answered;
    page->next_token = v->next_page_token;
    if (!table) {
        ctl_print_json (&v->base);
        return 0;
    }
    if (!*headed) {
        s_evaluation_heading (ctl, v);
        printf ("\n");
        *headed = true;
    }
    for (size_t i = 0; i < v->n_not_answered; i++)
        ctl_table_row (table, v->not_answered [i]);
    return 0;
}

static int
s_area (const char *text, Kf__AreaScore *score)
{
    //  area:score[:problem]
    char area [48], problem [48] = "";
    unsigned n;
    int value;
    if (sscanf (text, "%47[a-z_]:%u:%47[a-z_]", area, &n, problem) < 2 || n < 1 || n > 5)
        return ctl_fail (-1, "evaluation answer: --area '%s' is not AREA:SCORE[:PROBLEM] (e.g. cleaning:3:pests)", text);
    if (ctl_enum (&kf__department__descriptor, "--area", area, &value))
        return -1;
    kf__area_score__init (score);
    KF_SET (score, area, value);
    KF_SET (score, score, n);
    if (*problem) {
        if (ctl_enum (&kf__category__descriptor, "--area problem", problem, &value))
            return -1;
        KF_SET (score, problem, value);
    }
    return 0;
}

static int
s_evaluation (ctl_t *ctl, int argc, char **argv)
{
    Kf__PageRequest page = KF__PAGE_REQUEST__INIT;
    s_args_t a = { .page = &page };
    int code;
    int first = ctl_options (ctl, &ctl_evaluation_command, argc, argv, s_spec, s_option, &a, &code);
    if (first < 0)
        return code;
    if (first == argc)
        return ctl_fail (CTL_USAGE, "evaluation: which action? (sample, status, answer)");
    const char *action = argv [first];
    if (!ctl_config (ctl))
        return CTL_FAILED;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    Kf__SampleEvaluation sample = KF__SAMPLE_EVALUATION__INIT;
    Kf__GetEvaluationStatus status = KF__GET_EVALUATION_STATUS__INIT;
    Kf__AnswerEvaluation answer = KF__ANSWER_EVALUATION__INIT;
    Kf__AreaScore scores [8], *score_p [8];
    char *comment = NULL;
    if (strcmp (action, "sample") == 0) {
        if (first + 1 != argc)
            return ctl_fail (CTL_USAGE, "evaluation sample: unexpected argument '%s'", argv [first + 1]);
        const char *estate = ctl_estate (ctl, "evaluation sample", a.estate, &code);
        if (!estate)
            return code;
        if (!a.year || !a.quarter)
            return ctl_fail (CTL_USAGE, "evaluation sample: --year and --quarter are required");
        sample.estate = (char *) estate;
        KF_SET (&sample, year, a.year);
        KF_SET (&sample, quarter, a.quarter);
        if (a.seed) {
            char *end;
            sample.seed = strtoull (a.seed, &end, 16);
            if (*end || !*a.seed)
                return ctl_fail (CTL_USAGE, "evaluation sample: --seed is up to 16 hex digits, as a draw records it");
            sample.has_seed = 1;
        }
        request.command_case = KF__REQUEST__COMMAND_SAMPLE_EVALUATION;
        request.sample_evaluation = &sample;
    }
    else
    if (strcmp (action, "status") == 0) {
        if (first + 2 != argc)
            return ctl_fail (CTL_USAGE, "evaluation status: give the evaluation (e.g. E001-2026Q4)");
        status.evaluation_id = argv [first + 1];
        status.page = &page;
        request.command_case = KF__REQUEST__COMMAND_EVALUATION_STATUS;
        request.evaluation_status = &status;
        bool headed = false;
        ctl_table_t *table = ctl->json ? NULL : ctl_table_new (1, "NOT ANSWERED");
        return ctl_list_pages (ctl, "kefu-survey", s_endpoint (ctl), &request, &page, a.all, table,
                               "unanswered household", s_status_rows, &headed);
    }
    else
    if (strcmp (action, "answer") == 0) {
        if (first + 3 > argc)
            return ctl_fail (CTL_USAGE, "evaluation answer: give the evaluation and the unit");
        if (a.area_count == 0)
            return ctl_fail (CTL_USAGE, "evaluation answer: give each area's score: --area cleaning:4 ...");
        for (size_t i = 0; i < a.area_count; i++) {
            if (s_area (a.areas [i], &scores [i]))
                return CTL_USAGE;
            score_p [i] = &scores [i];
        }
        answer.evaluation_id = argv [first + 1];
        answer.unit = argv [first + 2];
        answer.answers = score_p;
        answer.n_answers = a.area_count;
        answer.comment = comment = ctl_join (argc, argv, first + 3);
        request.command_case = KF__REQUEST__COMMAND_ANSWER_EVALUATION;
        request.answer_evaluation = &answer;
    }
    else
        return ctl_fail (CTL_USAGE, "evaluation: unknown action '%s' (sample, status, answer)", action);
    Kf__Reply *reply = s_call (ctl, &request);
    free (comment);
    return ctl_print_result (ctl, "kefu-survey", reply, KF__REPLY__RESULT_EVALUATION, s_print_evaluation);
}

const ctl_command_t ctl_evaluation_command = {
    "evaluation", "the quarterly owner evaluation: draw the households, its status, an answer",
    "evaluation sample --estate E --year Y --quarter Q [--seed HEX]\n"
    "       kefuctl evaluation status EVALUATION [--page-size N] [--page TOKEN | --all]\n"
    "       kefuctl evaluation answer EVALUATION UNIT --area AREA:SCORE[:PROBLEM]... [COMMENT...]\n\n"
    "sample draws the configured share (20 %) of the occupied households, those\n"
    "not drawn in the last four quarters first; the seed it records redoes the\n"
    "same draw. Left alone, the draw happens on the hand-out day, the 15th of\n"
    "the quarter's last month. status lists the households drawn that have not\n"
    "answered yet, in unit order, 50 a page. Areas: engineering, cleaning, security,\n"
    "greening, customer_service; scores 1 (worst) to 5; a problem is a\n"
    "category (it counts in the Pareto).",
    s_evaluation, NULL
};

//  ---- reports ----------------------------------------------------------------------------------

//  The options of survey's reports: 0, or -1 and what the report returns
//  in *code (its --help included).
static int
s_report_common (ctl_t *ctl, int argc, char **argv, const char *name, s_args_t *a, Kf__TimeRange *period,
                 int *code)
{
    int first = ctl_options (ctl, &ctl_report_command, argc, argv, s_spec, s_option, a, code);
    if (first < 0)
        return -1;
    *code = CTL_USAGE;
    if (first < argc)
        return ctl_fail (-1, "report %s: unexpected argument '%s'", name, argv [first]);
    *code = CTL_FAILED;
    if (!ctl_config (ctl))
        return -1;
    if (a->estate && !kf_config_estate_find (ctl->config, a->estate))
        return ctl_fail (-1, "report %s: unknown estate '%s'", name, a->estate);
    char command [48];
    snprintf (command, sizeof command, "report %s", name);
    *code = CTL_USAGE;
    if (period && a->from && ctl_period_time (ctl, command, a->estate, a->from, false, &period->from_ms))
        return -1;
    if (period && a->to && ctl_period_time (ctl, command, a->estate, a->to, true, &period->to_ms))
        return -1;
    if (period) {
        period->has_from_ms = a->from != NULL;
        period->has_to_ms = a->to != NULL;
    }
    return 0;
}

static void
s_print_satisfaction (ctl_t *ctl, const Kf__Reply *reply)
{
    (void) ctl;
    const Kf__SatisfactionReport *r = reply->satisfaction;
    printf ("satisfaction of return visits, by %s\n\n", r->group_by);
    ctl_table_t *table = ctl_table_new (5, r->group_by, "ANSWERED", "SATISFIED", "RATE", "MEAN SCORE");
    for (size_t i = 0; i < r->n_rows; i++) {
        const Kf__SatisfactionRow *row = r->rows [i];
        char answered [24], satisfied [24], rate [16], mean [16];
        snprintf (answered, sizeof answered, "%" PRIu64, row->answered);
        snprintf (satisfied, sizeof satisfied, "%" PRIu64, row->satisfied);
        kf_permille_format (row->satisfied_permille, rate, sizeof rate);
        snprintf (mean, sizeof mean, "%u.%02u", row->mean_score_centi / 100, row->mean_score_centi % 100);
        ctl_table_row (table, row->key, answered, satisfied, rate, mean);
    }
    ctl_table_print (&table, stdout);
    printf ("\nvisits due in the period: %" PRIu64 ", done within their window: %" PRIu64 "\n", r->visits_due,
            r->visits_on_time);
}

int
ctl_report_satisfaction (ctl_t *ctl, int argc, char **argv)
{
    s_args_t a = { 0 };
    Kf__TimeRange period = KF__TIME_RANGE__INIT;
    int code;
    if (s_report_common (ctl, argc, argv, "satisfaction", &a, &period, &code))
        return code;
    Kf__ReportSatisfaction q = KF__REPORT_SATISFACTION__INIT;
    q.estate = (char *) a.estate;
    q.period = &period;
    q.group_by = (char *) a.by;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_REPORT_SATISFACTION;
    request.report_satisfaction = &q;
    return ctl_print_result (ctl, "kefu-survey", s_call (ctl, &request), KF__REPLY__RESULT_SATISFACTION, s_print_satisfaction);
}

static void
s_print_pareto (ctl_t *ctl, const Kf__Reply *reply)
{
    (void) ctl;
    const Kf__ParetoReport *r = reply->pareto;
    printf ("Pareto of %" PRIu64 " problem%s (complaints, unsatisfied return visits, evaluation answers, round findings)\n\n", r->total,
            r->total == 1 ? "" : "s");
    ctl_table_t *table = ctl_table_new (4, "CATEGORY", "COUNT", "CUMULATIVE", "PARETO");
    for (size_t i = 0; i < r->n_rows; i++) {
        char count [24], cumulative [16];
        snprintf (count, sizeof count, "%" PRIu64, r->rows [i]->count);
        kf_permille_format (r->rows [i]->cumulative_permille, cumulative, sizeof cumulative);
        ctl_table_row (table, ctl_enum_name (&kf__category__descriptor, r->rows [i]->category), count, cumulative,
                       r->rows [i]->vital_few ? "vital few (80 %)" : "");
    }
    ctl_table_print (&table, stdout);
}

int
ctl_report_pareto (ctl_t *ctl, int argc, char **argv)
{
    s_args_t a = { 0 };
    Kf__TimeRange period = KF__TIME_RANGE__INIT;
    int code;
    if (s_report_common (ctl, argc, argv, "pareto", &a, &period, &code))
        return code;
    Kf__ReportPareto q = KF__REPORT_PARETO__INIT;
    q.estate = (char *) a.estate;
    q.period = &period;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_REPORT_PARETO;
    request.report_pareto = &q;
    return ctl_print_result (ctl, "kefu-survey", s_call (ctl, &request), KF__REPLY__RESULT_PARETO, s_print_pareto);
}

static void
s_print_daily (ctl_t *ctl, const Kf__Reply *reply)
{
    const Kf__DailyReport *d = reply->daily_report;
    char when [64] = "not yet (it is made at the configured hour)";
    if (d->generated_at_ms)
        ctl_time (ctl, d->estate, d->generated_at_ms, when, sizeof when);
    printf ("daily statistics of %s for %04u-%02u-%02u, made %s\n\n", d->estate, d->date / 10000, d->date / 100 % 100,
            d->date % 100, when);
    printf ("  tickets filed      %u (complaints %u, repairs %u)\n", d->filed, d->complaints, d->repairs);
    printf ("  tickets closed     %u\n", d->closed);
    printf ("  open at midnight   %u\n", d->open_at_end);
    printf ("  SLA targets missed %u\n", d->breaches);
    printf ("  return visits      %u done, %u satisfied\n", d->visits_done, d->visits_satisfied);
    printf ("  rounds             %u due, %u done, %u late, %u missed; %u findings\n", d->rounds_due, d->rounds_done,
            d->rounds_late, d->rounds_missed, d->round_findings);
}

int
ctl_report_daily (ctl_t *ctl, int argc, char **argv)
{
    s_args_t a = { 0 };
    int code;
    if (s_report_common (ctl, argc, argv, "daily", &a, NULL, &code))
        return code;
    const char *estate = ctl_estate (ctl, "report daily", a.estate, &code);
    if (!estate)
        return code;
    Kf__GetDailyReport q = KF__GET_DAILY_REPORT__INIT;
    q.estate = (char *) estate;
    if (a.date) {
        int64_t day;
        kf_err_t err;
        if (kf_date_parse (a.date, &day, &err))
            return ctl_fail (CTL_USAGE, "report daily: --date: %s", err.text);
        KF_SET (&q, date, kf_day_to_yyyymmdd (day));
    }
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_DAILY_REPORT;
    request.daily_report = &q;
    return ctl_print_result (ctl, "kefu-survey", s_call (ctl, &request), KF__REPLY__RESULT_DAILY_REPORT, s_print_daily);
}
