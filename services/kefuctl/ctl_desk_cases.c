/*  kefuctl desk — a unit's cases at the desk: violations (violation,
    follow, fine, violations) and interviews and communications (talk,
    followed, talks). See ctl_desk.h.  */
#include "ctl_desk.h"
#include "kf_field.h"
#include "kf_money.h"
#include "kf_time.h"

#include <stdlib.h>

//  ---- violations -------------------------------------------------------------------------

static void
s_print_violation (ctl_t *ctl, const Kf__Reply *reply)
{
    const Kf__Violation *v = reply->violation;
    char when [64], money [32];
    printf ("%s %s at %s (the unit's %u%s), %s, put right by %s", v->violation_id,
            ctl_enum_name (&kf__violation_category__descriptor, v->category), v->unit, v->unit_count,
            v->unit_count == 1 ? "st" : v->unit_count == 2 ? "nd" : v->unit_count == 3 ? "rd" : "th",
            ctl_enum_name (&kf__violation_status__descriptor, v->status),
            ctl_time (ctl, v->estate, v->rectify_by_ms, when, sizeof when));
    if (v->overdue && v->status == KF__VIOLATION_STATUS__VIOLATION_STATUS_OPEN)
        printf (" (OVERDUE)");
    if (v->fine_fen)
        printf (", fined ¥%s", kf_fen_format (v->fine_fen, money, sizeof money));
    if (v->outcome)
        printf (": %s", v->outcome);
    printf ("\n");
}

int
ctl_desk_violation (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    const char *unit = operands [0];
    (void) action;
    if (!a->category || !a->what || !a->rectify_by)
        return ctl_fail (CTL_USAGE, "desk violation: give --category, --what and --rectify-by (a length or a time)");
    Kf__Violation v = KF__VIOLATION__INIT;
    v.estate = (char *) estate;
    v.unit = (char *) unit;
    int value;
    if (ctl_enum (&kf__violation_category__descriptor, "desk violation --category", a->category, &value))
        return CTL_USAGE;
    KF_SET (&v, category, (Kf__ViolationCategory) value);
    v.description = (char *) a->what;
    v.evidence_urls = (char **) a->items;
    v.n_evidence_urls = a->item_count;
    v.notice_served_to = (char *) a->served_to;
    //  A length (3d) from when the desk records it, or a time in the
    //  estate's offset (a bare date: the end of that day).
    Kf__RecordViolation q = KF__RECORD_VIOLATION__INIT;
    kf_err_t err;
    int64_t ms;
    if (kf_duration_parse (a->rectify_by, &ms, &err) == 0)
        KF_SET (&q, rectify_in_ms, ms);
    else
    if (ctl_period_time (ctl, "desk violation --rectify-by", estate, a->rectify_by, true, &ms) == 0)
        KF_SET (&v, rectify_by_ms, ms);
    else
        return CTL_USAGE;
    q.violation = &v;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_RECORD_VIOLATION;
    request.record_violation = &q;
    return ctl_print_result (ctl, "kefu-desk", ctl_desk_call (ctl, &request), KF__REPLY__RESULT_VIOLATION, s_print_violation);
}

int
ctl_desk_follow (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    const char *id = operands [0];
    (void) action;
    if (!a->note)
        return ctl_fail (CTL_USAGE, "desk follow: --note says what was found or done");
    Kf__FollowViolation q = KF__FOLLOW_VIOLATION__INIT;
    q.estate = (char *) estate;
    q.violation_id = (char *) id;
    q.note = (char *) a->note;
    KF_SET (&q, close, a->close);
    q.outcome = (char *) a->outcome;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_FOLLOW_VIOLATION;
    request.follow_violation = &q;
    return ctl_print_result (ctl, "kefu-desk", ctl_desk_call (ctl, &request), KF__REPLY__RESULT_VIOLATION, s_print_violation);
}

int
ctl_desk_fine (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    const char *id = operands [0];
    (void) action;
    kf_err_t err;
    int64_t fen;
    if (!a->amount || !a->reason)
        return ctl_fail (CTL_USAGE, "desk fine: give --amount YUAN and --reason (the rule broken)");
    if (kf_fen_parse (a->amount, &fen, &err))
        return ctl_fail (CTL_USAGE, "desk fine: --amount: %s", err.text);
    Kf__FineViolation q = KF__FINE_VIOLATION__INIT;
    q.estate = (char *) estate;
    q.violation_id = (char *) id;
    KF_SET (&q, amount_fen, fen);
    q.reason = (char *) a->reason;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_FINE_VIOLATION;
    request.fine_violation = &q;
    return ctl_print_result (ctl, "kefu-desk", ctl_desk_call (ctl, &request), KF__REPLY__RESULT_VIOLATION, s_print_violation);
}

static int
s_violation_rows (ctl_t *ctl, const Kf__Reply *reply, ctl_table_t *table, bool all, ctl_page_t *page, void *arg)
{
    (void) arg;
    if (reply->result_case != KF__REPLY__RESULT_VIOLATIONS)
        return -1;
    const Kf__ViolationList *list = reply->violations;
    page->rows = list->n_violations;
    page->total = list->total;
    page->next_token = list->next_page_token;
    if (!table && !all) {
        ctl_print_json (&list->base);
        return 0;
    }
    for (size_t i = 0; i < list->n_violations; i++) {
        const Kf__Violation *v = list->violations [i];
        if (!table) {
            ctl_print_json (&v->base);
            continue;
        }
        char noticed [64], by [64], nth [16], fine [32] = "", cut [80], state [32];
        snprintf (nth, sizeof nth, "%u", v->unit_count);
        if (v->fine_fen)
            snprintf (fine, sizeof fine, "¥%s", kf_fen_format (v->fine_fen, cut, sizeof cut));
        snprintf (state, sizeof state, "%s%s", ctl_enum_name (&kf__violation_status__descriptor, v->status),
                  v->overdue && v->status == KF__VIOLATION_STATUS__VIOLATION_STATUS_OPEN ? ", OVERDUE" : "");
        ctl_table_row (table, v->violation_id, v->unit, nth, ctl_enum_name (&kf__violation_category__descriptor,
                                                                           v->category),
                       ctl_time (ctl, v->estate, v->recorded_at_ms, noticed, sizeof noticed),
                       ctl_time (ctl, v->estate, v->rectify_by_ms, by, sizeof by), state, fine,
                       ctl_cut (v->description, 40, cut, sizeof cut));
    }
    return 0;
}

int
ctl_desk_violations (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    (void) operands;
    (void) action;
    Kf__ListViolations q = KF__LIST_VIOLATIONS__INIT;
    q.estate = (char *) estate;
    q.unit = (char *) a->unit;
    KF_SET (&q, open_only, a->open_only);
    q.page = &a->page;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_LIST_VIOLATIONS;
    request.list_violations = &q;
    ctl_table_t *table = ctl->json ? NULL
                       : ctl_table_new (9, "VIOLATION", "UNIT", "NTH", "CATEGORY", "NOTICED", "RECTIFY BY", "STATUS",
                                        "FINE", "WHAT");
    return ctl_list_pages (ctl, "kefu-desk", ctl_desk_endpoint (ctl), &request, &a->page, a->all, table, "violation",
                           s_violation_rows, NULL);
}

//  ---- interviews and communications -----------------------------------------------------------

static void
s_print_talk (ctl_t *ctl, const Kf__Reply *reply)
{
    const Kf__Communication *c = reply->communication;
    char when [64], due [64];
    printf ("%s %s with %s of %s by %s at %s", c->communication_id,
            ctl_enum_name (&kf__communication_kind__descriptor, c->kind), c->person, c->unit, c->by ? c->by : "-",
            ctl_time (ctl, c->estate, c->at_ms, when, sizeof when));
    if (c->follow_up_due_ms)
        printf (c->followed_up_at_ms ? ", followed up: %s" : ", follow-up by %s due %s",
                c->followed_up_at_ms ? (c->follow_up_note ? c->follow_up_note : "") : c->follow_up_by,
                ctl_time (ctl, c->estate, c->follow_up_due_ms, due, sizeof due));
    printf ("\n");
}

int
ctl_desk_talk (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    const char *unit = operands [0];
    (void) action;
    if (!a->person || !a->kind || !a->channel || !a->text)
        return ctl_fail (CTL_USAGE, "desk talk: give --person, --kind (interview, contact), --channel and --text");
    if (!a->follow_up != !a->follow_up_by)
        return ctl_fail (CTL_USAGE, "desk talk: a follow-up takes --follow-up STAFF and --follow-up-by TIME, both");
    Kf__Communication c = KF__COMMUNICATION__INIT;
    int value;
    if (ctl_enum (&kf__communication_kind__descriptor, "desk talk --kind", a->kind, &value))
        return CTL_USAGE;
    KF_SET (&c, kind, (Kf__CommunicationKind) value);
    if (ctl_enum (&kf__communication_channel__descriptor, "desk talk --channel", a->channel, &value))
        return CTL_USAGE;
    KF_SET (&c, channel, (Kf__CommunicationChannel) value);
    c.estate = (char *) estate;
    c.unit = (char *) unit;
    c.person = (char *) a->person;
    c.summary = (char *) a->text;
    c.follow_up_by = (char *) a->follow_up;
    Kf__RecordCommunication q = KF__RECORD_COMMUNICATION__INIT;
    if (a->follow_up_by) {
        //  A length (2d) from when the desk records it, or a time.
        kf_err_t err;
        int64_t ms;
        if (kf_duration_parse (a->follow_up_by, &ms, &err) == 0)
            KF_SET (&q, follow_up_in_ms, ms);
        else
        if (ctl_period_time (ctl, "desk talk --follow-up-by", estate, a->follow_up_by, true, &ms) == 0)
            KF_SET (&c, follow_up_due_ms, ms);
        else
            return CTL_USAGE;
    }
    q.communication = &c;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_RECORD_COMMUNICATION;
    request.record_communication = &q;
    return ctl_print_result (ctl, "kefu-desk", ctl_desk_call (ctl, &request), KF__REPLY__RESULT_COMMUNICATION, s_print_talk);
}

int
ctl_desk_followed (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    const char *id = operands [0];
    (void) action;
    if (!a->note)
        return ctl_fail (CTL_USAGE, "desk followed: --note says what the follow-up found or did");
    Kf__FollowUpCommunication q = KF__FOLLOW_UP_COMMUNICATION__INIT;
    q.estate = (char *) estate;
    q.communication_id = (char *) id;
    q.note = (char *) a->note;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_FOLLOW_UP_COMMUNICATION;
    request.follow_up_communication = &q;
    return ctl_print_result (ctl, "kefu-desk", ctl_desk_call (ctl, &request), KF__REPLY__RESULT_COMMUNICATION, s_print_talk);
}

static int
s_talk_rows (ctl_t *ctl, const Kf__Reply *reply, ctl_table_t *table, bool all, ctl_page_t *page, void *arg)
{
    (void) arg;
    if (reply->result_case != KF__REPLY__RESULT_COMMUNICATIONS)
        return -1;
    const Kf__CommunicationList *list = reply->communications;
    page->rows = list->n_communications;
    page->total = list->total;
    page->next_token = list->next_page_token;
    if (!table && !all) {
        ctl_print_json (&list->base);
        return 0;
    }
    for (size_t i = 0; i < list->n_communications; i++) {
        const Kf__Communication *c = list->communications [i];
        if (!table) {
            ctl_print_json (&c->base);
            continue;
        }
        char when [64], due [64] = "", cut [80];
        if (c->follow_up_due_ms)
            snprintf (due, sizeof due, "%s %s", c->follow_up_by ? c->follow_up_by : "",
                      c->followed_up_at_ms ? "done" : ctl_time (ctl, c->estate, c->follow_up_due_ms, cut, sizeof cut));
        ctl_table_row (table, c->communication_id, ctl_enum_name (&kf__communication_kind__descriptor, c->kind),
                       c->unit, c->person, ctl_enum_name (&kf__communication_channel__descriptor, c->channel),
                       ctl_time (ctl, c->estate, c->at_ms, when, sizeof when), c->by, due,
                       ctl_cut (c->summary, 40, cut, sizeof cut));
    }
    return 0;
}

int
ctl_desk_talks (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    (void) operands;
    (void) action;
    Kf__ListCommunications q = KF__LIST_COMMUNICATIONS__INIT;
    q.estate = (char *) estate;
    q.unit = (char *) a->unit;
    KF_SET (&q, pending_only, a->pending);
    q.page = &a->page;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_LIST_COMMUNICATIONS;
    request.list_communications = &q;
    ctl_table_t *table = ctl->json ? NULL
                       : ctl_table_new (9, "NUMBER", "KIND", "UNIT", "WITH", "CHANNEL", "WHEN", "BY", "FOLLOW-UP",
                                        "SUMMARY");
    return ctl_list_pages (ctl, "kefu-desk", ctl_desk_endpoint (ctl), &request, &a->page, a->all, table, "communication",
                           s_talk_rows, NULL);
}
