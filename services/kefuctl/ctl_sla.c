/*  kefuctl — the service standard: sla (the at-risk board, one case's
    clocks) and report sla (the on-time rate and complaint handling).  */
#include "ctl.h"
#include "kf_field.h"
#include "kf_rate.h"
#include "kf_time.h"

#include <inttypes.h>
#include <stdlib.h>

static Kf__Reply *
s_call (ctl_t *ctl, Kf__Request *request)
{
    return ctl_call (ctl, "kefu-escalation", kf_config_str (ctl->config, "services/escalation/endpoint"), request);
}

//  "2h05m", "-35m" (overdue), as people read a time left.
static const char *
s_left (int64_t ms, char *buf, size_t size)
{
    int64_t minutes = (ms < 0 ? -ms : ms) / 60000;
    if (minutes >= 24 * 60)
        snprintf (buf, size, "%s%" PRId64 "d%02" PRId64 "h", ms < 0 ? "-" : "", minutes / 1440, minutes / 60 % 24);
    else
        snprintf (buf, size, "%s%" PRId64 "h%02" PRId64 "m", ms < 0 ? "-" : "", minutes / 60, minutes % 60);
    return buf;
}

static const char *
s_level (int level)
{
    static const char *names [] = { "-", "1 handler", "2 supervisor", "3 deputy GM" };
    return level >= 0 && level <= 3 ? names [level] : "?";
}

//  ---- sla -------------------------------------------------------------------------------

static void
s_print_case (ctl_t *ctl, const Kf__SlaCase *c)
{
    char when [64], used [32], limit [32];
    if (c->deadline) {
        printf ("deadline   %s   estate %s   %s   cycle %u   level %s\n", c->deadline->subject, c->estate,
                ctl_enum_name (&kf__ticket_status__descriptor, c->status), c->round, s_level (c->level));
        printf ("what       %s (%s)\n", c->deadline->what ? c->deadline->what : "-",
                ctl_enum_name (&kf__deadline_kind__descriptor, c->deadline->kind));
    }
    else {
        printf ("ticket     %s   estate %s   %s   round %u   level %s\n", c->ticket_no, c->estate,
                ctl_enum_name (&kf__ticket_status__descriptor, c->status), c->round, s_level (c->level));
        printf ("case       %s / %s via %s, priority %s\n", ctl_enum_name (&kf__ticket_type__descriptor, c->type),
                ctl_enum_name (&kf__category__descriptor, c->category),
                ctl_enum_name (&kf__channel__descriptor, c->channel), ctl_enum_name (&kf__priority__descriptor, c->priority));
    }
    printf ("handled    by %s in %s%s\n", c->handler ? c->handler : "nobody yet",
            c->department ? ctl_enum_name (&kf__department__descriptor, c->department) : "-",
            c->transferred ? " (transferred: outside customer service)" : "");
    if (c->next_level_at_ms)
        printf ("next level %s, if the cause lasts\n", ctl_time (ctl, c->estate, c->next_level_at_ms, when, sizeof when));
    printf ("\nclocks\n");
    ctl_table_t *table = ctl_table_new (7, "  TARGET", "POLICY", "RULE", "CLOCK", "DEADLINE", "USED / LIMIT", "STATE");
    for (size_t i = 0; i < c->n_clocks; i++) {
        const Kf__SlaClock *k = c->clocks [i];
        char target [48], share [80], state [64];
        snprintf (target, sizeof target, "  %s", ctl_enum_name (&kf__sla_target__descriptor, k->target));
        kf_duration_format (k->has_used_now_ms ? k->used_now_ms : k->used_ms, used, sizeof used);
        kf_duration_format (k->limit_ms, limit, sizeof limit);
        snprintf (share, sizeof share, "%s / %s", used, limit);
        if (k->met_at_ms)
            snprintf (state, sizeof state, "met %s", ctl_time (ctl, c->estate, k->met_at_ms, when, sizeof when));
        else
            snprintf (state, sizeof state, "%s", k->stopped ? "stopped" : k->paused ? "paused"
                                               : k->breached ? "breached" : k->warned ? "warned" : "running");
        ctl_table_row (table, target, k->policy, k->rule, k->working_hours ? "working" : "24x7",
                       k->deadline_ms == INT64_MAX ? "never" : ctl_time (ctl, c->estate, k->deadline_ms, when, sizeof when),
                       share, state);
    }
    ctl_table_print (&table, stdout);
    if (c->n_history == 0)
        return;
    printf ("\nhistory\n");
    table = ctl_table_new (2, "  WHEN", "WHAT");
    for (size_t i = 0; i < c->n_history; i++) {
        char at [80], what [256];
        snprintf (at, sizeof at, "  %s", ctl_time (ctl, c->estate, c->history [i]->at_ms, when, sizeof when));
        ctl_table_row (table, at, ctl_cut (c->history [i]->what ? c->history [i]->what : "", 140, what, sizeof what));
    }
    ctl_table_print (&table, stdout);
}

static void
s_print_board (ctl_t *ctl, const Kf__SlaBoard *board, bool all)
{
    ctl_table_t *table = ctl_table_new (9, "TICKET / DEADLINE", "TARGET", "POLICY", "DUE", "LEFT", "LEVEL", "DEPARTMENT",
                                        "CATEGORY", "HANDLER");
    for (size_t i = 0; i < board->n_risks; i++) {
        const Kf__SlaRisk *r = board->risks [i];
        char when [64], left [32];
        const char *what = r->ticket_no ? r->ticket_no : r->deadline && r->deadline->subject ? r->deadline->subject : "?";
        ctl_table_row (table, what, ctl_enum_name (&kf__sla_target__descriptor, r->target), r->policy,
                       ctl_time (ctl, r->estate, r->deadline_ms, when, sizeof when), s_left (r->remaining_ms, left, sizeof left),
                       s_level (r->level), r->department ? ctl_enum_name (&kf__department__descriptor, r->department) : "-",
                       ctl_enum_name (&kf__category__descriptor, r->category), r->handler);
    }
    ctl_table_print (&table, stdout);
    printf ("%zu target%s %s, soonest due first\n", board->n_risks, board->n_risks == 1 ? "" : "s",
            all ? "running" : "past the warning threshold");
}

typedef struct {
    Kf__GetSlaBoard *board;
    const char *subject;
} s_sla_t;

static int
s_sla_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    Kf__GetSlaBoard *q = ((s_sla_t *) arg)->board;
    char *end;
    switch (option) {
        case 'e': q->estate = (char *) value; break;
        case 's': ((s_sla_t *) arg)->subject = value; break;
        case 'a': q->all = q->has_all = 1; break;
        case 'n': {
            long n = strtol (value, &end, 10);
            if (*end || n < 1 || n > 500)
                return ctl_fail (-1, "sla: --limit takes 1 to 500, not '%s'", value);
            KF_SET (q, limit, (uint32_t) n);
            break;
        }
    }
    return 0;
}

static int
s_sla (ctl_t *ctl, int argc, char **argv)
{
    static const struct option spec [] = {
        { "estate", required_argument, NULL, 'e' }, { "limit", required_argument, NULL, 'n' },
        { "all", no_argument, NULL, 'a' }, { "subject", required_argument, NULL, 's' }, { NULL, 0, NULL, 0 }
    };
    Kf__GetSlaBoard board = KF__GET_SLA_BOARD__INIT;
    s_sla_t a = { &board, NULL };
    int code;
    int first = ctl_options (ctl, &ctl_sla_command, argc, argv, spec, s_sla_option, &a, &code);
    if (first < 0)
        return code;
    if (first + 1 < argc)
        return ctl_fail (CTL_USAGE, "sla: unexpected argument '%s'", argv [first + 1]);
    if (first < argc && (board.estate || board.has_all || board.has_limit || a.subject))
        return ctl_fail (CTL_USAGE, "sla: a ticket's clocks take no --estate, --subject, --limit or --all");
    if (a.subject && (!board.estate || board.has_all || board.has_limit))
        return ctl_fail (CTL_USAGE, "sla: a deadline's clock takes its --estate, and no --limit or --all");
    bool one = first < argc || a.subject;
    if (!ctl_config (ctl))
        return CTL_FAILED;
    if (board.estate && !kf_config_estate_find (ctl->config, board.estate))
        return ctl_fail (CTL_FAILED, "sla: unknown estate '%s'", board.estate);
    Kf__Request request;
    Kf__ShowSla show = KF__SHOW_SLA__INIT;
    ctl_request_init (ctl, &request);
    if (one) {
        show.ticket_no = first < argc ? argv [first] : NULL;
        show.estate = a.subject ? board.estate : NULL;
        show.subject = (char *) a.subject;
        request.command_case = KF__REQUEST__COMMAND_SHOW_SLA;
        request.show_sla = &show;
    }
    else {
        request.command_case = KF__REQUEST__COMMAND_SLA_BOARD;
        request.sla_board = &board;
    }
    Kf__Reply *reply = s_call (ctl, &request);
    if (!reply)
        return CTL_FAILED;
    int rc = 0;
    if (reply->result_case != (one ? KF__REPLY__RESULT_SLA_CASE : KF__REPLY__RESULT_SLA_BOARD))
        rc = ctl_fail (CTL_FAILED, "kefu-escalation answered with something else");
    else
    if (ctl->json)
        ctl_print_json (one ? &reply->sla_case->base : &reply->sla_board->base);
    else
    if (one)
        s_print_case (ctl, reply->sla_case);
    else
        s_print_board (ctl, reply->sla_board, board.all);
    kf_codec_free ((ProtobufCMessage **) &reply);
    return rc;
}

const ctl_command_t ctl_sla_command = {
    "sla", "the SLA board: open targets at risk, soonest due first; or one case's clocks",
    "sla [--estate E] [--limit N] [--all]\n"
    "       kefuctl sla TICKET\n"
    "       kefuctl sla --estate E --subject SUBJECT\n\n"
    "Without a ticket: the open targets past the warning threshold (80 % used),\n"
    "soonest due first, with the time left (negative once breached) and the\n"
    "escalation level; --all shows every running target.\n"
    "With a ticket: its clocks (policy, rule, deadline, time used) and their\n"
    "history: started, paused, warned, breached, met, each level raised.\n"
    "With --subject: a deadline another service holds something to (a vacant\n"
    "unit's inspection: vacant/3-2-1504), escalated like a ticket's target.",
    s_sla, NULL
};

//  ---- report sla ----------------------------------------------------------------------------

typedef struct {
    Kf__ReportSla *report;
    const char *from, *to;
} s_report_t;

static int
s_report_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_report_t *a = arg;
    switch (option) {
        case 'e': a->report->estate = (char *) value; break;
        case 'f': a->from = value; break;
        case 'T': a->to = value; break;
        case 'b':
            if (strcmp (value, "estate") && strcmp (value, "department") && strcmp (value, "category"))
                return ctl_fail (-1, "report sla: --by is estate, department or category, not '%s'", value);
            a->report->group_by = (char *) value;
            break;
    }
    return 0;
}

static void
s_print_report (ctl_t *ctl, const Kf__SlaReport *r, const char *estate)
{
    char from [64] = "the beginning", to [64];
    if (r->period && r->period->has_from_ms)
        ctl_time (ctl, estate, r->period->from_ms, from, sizeof from);
    ctl_time (ctl, estate, r->period ? r->period->to_ms : 0, to, sizeof to);
    printf ("on-time rate of targets due from %s to %s, by %s\n\n", from, to, r->group_by);
    ctl_table_t *table = ctl_table_new (4, r->group_by, "TARGETS", "ON TIME", "RATE");
    for (size_t i = 0; i < r->n_rows; i++) {
        char total [24], on_time [24], rate [24];
        snprintf (total, sizeof total, "%" PRIu64, r->rows [i]->total);
        snprintf (on_time, sizeof on_time, "%" PRIu64, r->rows [i]->on_time);
        ctl_table_row (table, r->rows [i]->key, total, on_time, kf_permille_format (r->rows [i]->on_time_permille, rate,
                                                                                    sizeof rate));
    }
    ctl_table_print (&table, stdout);
    if (r->n_rows == 0)
        printf ("(no target fell due in the period)\n");
    char rate [24];
    printf ("\nvalid complaints filed: %" PRIu64 ", handled %" PRIu64 " (%s; the standard asks for 95 %% or more)\n",
            r->valid_complaints, r->valid_complaints_handled,
            kf_permille_format (r->complaint_handling_permille, rate, sizeof rate));
}

int
ctl_report_sla (ctl_t *ctl, int argc, char **argv)
{
    static const struct option spec [] = {
        { "estate", required_argument, NULL, 'e' }, { "from", required_argument, NULL, 'f' },
        { "to", required_argument, NULL, 'T' }, { "by", required_argument, NULL, 'b' }, { NULL, 0, NULL, 0 }
    };
    Kf__ReportSla report = KF__REPORT_SLA__INIT;
    Kf__TimeRange period = KF__TIME_RANGE__INIT;
    s_report_t a = { .report = &report };
    int code;
    int first = ctl_options (ctl, &ctl_report_command, argc, argv, spec, s_report_option, &a, &code);
    if (first < 0)
        return code;
    if (first < argc)
        return ctl_fail (CTL_USAGE, "report sla: unexpected argument '%s'", argv [first]);
    if (!ctl_config (ctl))
        return CTL_FAILED;
    if (report.estate && !kf_config_estate_find (ctl->config, report.estate))
        return ctl_fail (CTL_FAILED, "report sla: unknown estate '%s'", report.estate);
    if (a.from && ctl_period_time (ctl, "report sla", report.estate, a.from, false, &period.from_ms))
        return CTL_USAGE;
    if (a.to && ctl_period_time (ctl, "report sla", report.estate, a.to, true, &period.to_ms))
        return CTL_USAGE;
    period.has_from_ms = a.from != NULL;
    period.has_to_ms = a.to != NULL;
    report.period = &period;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_REPORT_SLA;
    request.report_sla = &report;
    Kf__Reply *reply = s_call (ctl, &request);
    if (!reply)
        return CTL_FAILED;
    int rc = 0;
    if (reply->result_case != KF__REPLY__RESULT_SLA_REPORT)
        rc = ctl_fail (CTL_FAILED, "kefu-escalation answered with something other than a report");
    else
    if (ctl->json)
        ctl_print_json (&reply->sla_report->base);
    else
        s_print_report (ctl, reply->sla_report, report.estate);
    kf_codec_free ((ProtobufCMessage **) &reply);
    return rc;
}
