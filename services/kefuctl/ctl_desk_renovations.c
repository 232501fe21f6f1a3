/*  kefuctl desk — renovations: the application, its reviews, the work and
    its patrols, the completion (renovate, review, start, patrol, complete,
    renovations). See ctl_desk.h.  */
#include "ctl_desk.h"
#include "kf_field.h"
#include "kf_money.h"
#include "kf_time.h"

#include <stdlib.h>

//  ---- renovations ------------------------------------------------------------------------------

static void
s_print_renovation (ctl_t *ctl, const Kf__Reply *reply)
{
    const Kf__Renovation *r = reply->renovation;
    char when [64];
    printf ("%s renovation of %s (%s, %s): %s, reviews due %s", r->renovation_id, r->unit, r->applicant,
            r->contractor, ctl_enum_name (&kf__renovation_status__descriptor, r->status),
            ctl_time (ctl, r->estate, r->review_due_ms, when, sizeof when));
    if (r->status == KF__RENOVATION_STATUS__RENOVATION_STATUS_WORKING && r->next_slot_ms)
        printf (", next patrol %s", ctl_time (ctl, r->estate, r->next_slot_ms, when, sizeof when));
    if (r->has_patrols_done || r->has_patrols_missed)
        printf (", patrols %u done, %u missed", r->patrols_done, r->patrols_missed);
    printf ("\n");
    for (size_t i = 0; i < r->n_reviews; i++)
        printf ("  review %u by %s: %s%s%s\n", r->reviews [i]->step, r->reviews [i]->by ? r->reviews [i]->by : "-",
                r->reviews [i]->approved ? "approved" : "refused", r->reviews [i]->reason ? ": " : "",
                r->reviews [i]->reason ? r->reviews [i]->reason : "");
    for (size_t i = 0; i < r->n_workers; i++)
        if (r->workers [i]->pass_no)
            printf ("  pass %s  %s\n", r->workers [i]->pass_no, r->workers [i]->name);
}

static int
s_renovation_call (ctl_t *ctl, Kf__Request *request)
{
    return ctl_print_result (ctl, "kefu-desk", ctl_desk_call (ctl, request), KF__REPLY__RESULT_RENOVATION, s_print_renovation);
}

int
ctl_desk_renovate (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    const char *unit = operands [0];
    (void) action;
    if (!a->applicant || !a->contractor || !a->what || !a->item_count || !a->worker_count || !a->from || !a->until)
        return ctl_fail (CTL_USAGE, "desk renovate: give --applicant, --contractor, --what, --plan URL..., "
                         "--worker NAME:ID4:PHONE..., --from and --until");
    Kf__Renovation r = KF__RENOVATION__INIT;
    r.estate = (char *) estate;
    r.unit = (char *) unit;
    r.applicant = (char *) a->applicant;
    r.contractor = (char *) a->contractor;
    r.description = (char *) a->what;
    r.plan_urls = (char **) a->items;
    r.n_plan_urls = a->item_count;
    if (ctl_yyyymmdd ("desk renovate", "--from", a->from, &r.start_date)
    ||  ctl_yyyymmdd ("desk renovate", "--until", a->until, &r.end_date))
        return CTL_USAGE;
    r.has_start_date = r.has_end_date = 1;
    Kf__RenovationWorker workers [CTL_DESK_ITEMS_MAX], *list [CTL_DESK_ITEMS_MAX];
    char texts [CTL_DESK_ITEMS_MAX][160];
    for (size_t i = 0; i < a->worker_count; i++) {
        kf__renovation_worker__init (&workers [i]);
        snprintf (texts [i], sizeof texts [i], "%s", a->workers [i]);
        char *id = strchr (texts [i], ':'), *phone = id ? strchr (id + 1, ':') : NULL;
        if (!phone)
            return ctl_fail (CTL_USAGE, "desk renovate: --worker '%s' is not NAME:ID4:PHONE", a->workers [i]);
        *id++ = 0;
        *phone++ = 0;
        workers [i].name = texts [i];
        workers [i].id_last4 = id;
        workers [i].phone = phone;
        list [i] = &workers [i];
    }
    r.workers = list;
    r.n_workers = a->worker_count;
    Kf__SubmitRenovation q = KF__SUBMIT_RENOVATION__INIT;
    q.renovation = &r;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_SUBMIT_RENOVATION;
    request.submit_renovation = &q;
    return s_renovation_call (ctl, &request);
}

int
ctl_desk_review (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    const char *id = operands [0];
    (void) action;
    if (a->approve == a->refuse)
        return ctl_fail (CTL_USAGE, "desk review: --approve or --refuse (with --reason)");
    Kf__ReviewRenovation q = KF__REVIEW_RENOVATION__INIT;
    q.estate = (char *) estate;
    q.renovation_id = (char *) id;
    KF_SET (&q, approved, a->approve);
    q.reason = (char *) a->reason;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_REVIEW_RENOVATION;
    request.review_renovation = &q;
    return s_renovation_call (ctl, &request);
}

int
ctl_desk_site (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    const char *id = operands [0];
    Kf__RenovationStep q = KF__RENOVATION_STEP__INIT;
    q.estate = (char *) estate;
    q.renovation_id = (char *) id;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    if (strcmp (action, "start") == 0) {
        request.command_case = KF__REQUEST__COMMAND_START_RENOVATION;
        request.start_renovation = &q;
    }
    else
    if (strcmp (action, "patrol") == 0) {
        q.findings = (char **) a->items;
        q.n_findings = a->item_count;
        KF_SET (&q, raise_violations, a->raise);
        request.command_case = KF__REQUEST__COMMAND_PATROL_RENOVATION;
        request.patrol_renovation = &q;
    }
    else {
        if (!a->note)
            return ctl_fail (CTL_USAGE, "desk complete: --note says what the completion inspection found");
        q.note = (char *) a->note;
        KF_SET (&q, passed, !a->failed);
        request.command_case = KF__REQUEST__COMMAND_COMPLETE_RENOVATION;
        request.complete_renovation = &q;
    }
    return s_renovation_call (ctl, &request);
}

static int
s_renovation_rows (ctl_t *ctl, const Kf__Reply *reply, ctl_table_t *table, bool all, ctl_page_t *page, void *arg)
{
    (void) arg;
    if (reply->result_case != KF__REPLY__RESULT_RENOVATIONS)
        return -1;
    const Kf__RenovationList *list = reply->renovations;
    page->rows = list->n_renovations;
    page->total = list->total;
    page->next_token = list->next_page_token;
    if (!table && !all) {
        ctl_print_json (&list->base);
        return 0;
    }
    for (size_t i = 0; i < list->n_renovations; i++) {
        const Kf__Renovation *r = list->renovations [i];
        if (!table) {
            ctl_print_json (&r->base);
            continue;
        }
        char due [64], from [16], until [16], patrols [32], cut [80];
        snprintf (patrols, sizeof patrols, "%u/%u", r->patrols_done, r->patrols_missed);
        ctl_table_row (table, r->renovation_id, r->unit, r->applicant,
                       ctl_enum_name (&kf__renovation_status__descriptor, r->status),
                       ctl_time (ctl, r->estate, r->review_due_ms, due, sizeof due), ctl_day (r->start_date, from, sizeof from),
                       ctl_day (r->end_date, until, sizeof until), patrols, ctl_cut (r->description, 30, cut, sizeof cut));
    }
    return 0;
}

int
ctl_desk_renovations (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    (void) operands;
    (void) action;
    Kf__ListRenovations q = KF__LIST_RENOVATIONS__INIT;
    q.estate = (char *) estate;
    q.unit = (char *) a->unit;
    if (a->status) {
        int value;
        if (ctl_enum (&kf__renovation_status__descriptor, "desk renovations --status", a->status, &value))
            return CTL_USAGE;
        KF_SET (&q, status, (Kf__RenovationStatus) value);
    }
    q.page = &a->page;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_LIST_RENOVATIONS;
    request.list_renovations = &q;
    ctl_table_t *table = ctl->json ? NULL
                       : ctl_table_new (9, "RENOVATION", "UNIT", "APPLICANT", "STATUS", "REVIEWS DUE", "FROM", "UNTIL",
                                        "PATROLS DONE/MISSED", "WHAT");
    return ctl_list_pages (ctl, "kefu-desk", ctl_desk_endpoint (ctl), &request, &a->page, a->all, table, "renovation",
                           s_renovation_rows, NULL);
}
