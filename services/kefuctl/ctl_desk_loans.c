/*  kefuctl desk — keys and items lent, owners' things stored (lend, return,
    loans), and release permits (permit, gate, permits). See ctl_desk.h.  */
#include "ctl_desk.h"
#include "kf_field.h"
#include "kf_money.h"
#include "kf_time.h"

#include <stdlib.h>

static int
s_kind (const char *command, const char *text, Kf__LoanKind *kind)
{
    if (text && strcmp (text, "store") == 0)
        text = "stored";
    int value;
    if (ctl_enum (&kf__loan_kind__descriptor, command, text, &value))
        return -1;
    *kind = (Kf__LoanKind) value;
    return 0;
}

static void
s_print_loan (ctl_t *ctl, const Kf__Reply *reply)
{
    const Kf__Loan *l = reply->loan;
    char when [64], who [160];
    if (l->staff_id)
        snprintf (who, sizeof who, "staff %s", l->staff_id);
    else
        snprintf (who, sizeof who, "%s of %s", l->person ? l->person : "-", l->unit ? l->unit : "-");
    if (l->status == KF__LOAN_STATUS__LOAN_STATUS_RETURNED) {
        printf ("%s %s %s (%u) back from %s at %s%s\n", l->loan_id, ctl_enum_name (&kf__loan_kind__descriptor, l->kind),
                l->tag, l->count, l->returned_by ? l->returned_by : who,
                ctl_time (ctl, l->estate, l->returned_at_ms, when, sizeof when), l->overdue ? " (it was overdue)" : "");
        return;
    }
    printf ("%s %s %s (%u) lent to %s, due back %s\n", l->loan_id, ctl_enum_name (&kf__loan_kind__descriptor, l->kind),
            l->tag, l->count, who, ctl_time (ctl, l->estate, l->due_ms, when, sizeof when));
}

int
ctl_desk_lend (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    const char *kind_text = operands [0];
    const char *tag = operands [1];
    (void) action;
    Kf__Loan l = KF__LOAN__INIT;
    Kf__Lend q = KF__LEND__INIT;
    if (!a->staff && (!a->unit || !a->person))
        return ctl_fail (CTL_USAGE, "desk lend: to whom? --unit U --person NAME (a person of the unit), or --staff ID");
    if (s_kind ("desk lend", kind_text, &l.kind))
        return CTL_USAGE;
    l.has_kind = 1;
    l.estate = (char *) estate;
    l.tag = (char *) tag;
    l.unit = (char *) a->unit;
    l.person = (char *) a->person;
    l.staff_id = (char *) a->staff;
    l.phone = (char *) a->phone;
    l.note = (char *) a->note;
    if (a->count)
        KF_SET (&l, count, (uint32_t) a->count);
    if (a->due) {
        kf_err_t err;
        int64_t ms;
        //  A length (4h, 3d) from now, or a time in the estate's offset.
        if (kf_duration_parse (a->due, &ms, &err) == 0)
            KF_SET (&q, due_in_ms, ms);
        else
        if (ctl_period_time (ctl, "desk lend --due", estate, a->due, false, &ms) == 0)
            KF_SET (&l, due_ms, ms);
        else
            return CTL_USAGE;
    }
    q.loan = &l;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_LEND;
    request.lend = &q;
    return ctl_print_result (ctl, "kefu-desk", ctl_desk_call (ctl, &request), KF__REPLY__RESULT_LOAN, s_print_loan);
}

int
ctl_desk_return (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    const char *loan_id = operands [0];
    (void) action;
    Kf__ReturnLoan q = KF__RETURN_LOAN__INIT;
    q.estate = (char *) estate;
    q.loan_id = (char *) loan_id;
    q.returned_by = (char *) a->by;
    q.note = (char *) a->note;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_RETURN_LOAN;
    request.return_loan = &q;
    return ctl_print_result (ctl, "kefu-desk", ctl_desk_call (ctl, &request), KF__REPLY__RESULT_LOAN, s_print_loan);
}

typedef struct {
    uint32_t out, overdue;
} s_counts_t;

static int
s_loan_rows (ctl_t *ctl, const Kf__Reply *reply, ctl_table_t *table, bool all, ctl_page_t *page, void *arg)
{
    s_counts_t *counts = arg;
    if (reply->result_case != KF__REPLY__RESULT_LOANS)
        return -1;
    const Kf__LoanList *list = reply->loans;
    page->rows = list->n_loans;
    page->total = list->total;
    page->next_token = list->next_page_token;
    counts->out = list->out;
    counts->overdue = list->overdue;
    if (!table && !all) {
        ctl_print_json (&list->base);
        return 0;
    }
    for (size_t i = 0; i < list->n_loans; i++) {
        const Kf__Loan *l = list->loans [i];
        if (!table) {
            ctl_print_json (&l->base);
            continue;
        }
        char lent [64], due [64], back [64] = "", who [160], count [16];
        snprintf (count, sizeof count, "%u", l->count);
        if (l->staff_id)
            snprintf (who, sizeof who, "staff %s", l->staff_id);
        else
            snprintf (who, sizeof who, "%s %s", l->unit ? l->unit : "-", l->person ? l->person : "-");
        if (l->status == KF__LOAN_STATUS__LOAN_STATUS_RETURNED)
            snprintf (back, sizeof back, "%s", ctl_time (ctl, l->estate, l->returned_at_ms, lent, sizeof lent));
        else
            snprintf (back, sizeof back, "%s", l->overdue ? "OUT, OVERDUE" : "OUT");
        ctl_table_row (table, l->loan_id, ctl_enum_name (&kf__loan_kind__descriptor, l->kind), l->tag, count, who,
                       l->phone, ctl_time (ctl, l->estate, l->lent_at_ms, lent, sizeof lent),
                       ctl_time (ctl, l->estate, l->due_ms, due, sizeof due), l->lent_by, back);
    }
    return 0;
}

int
ctl_desk_loans (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    (void) operands;
    (void) action;
    Kf__ListLoans q = KF__LIST_LOANS__INIT;
    q.estate = (char *) estate;
    q.unit = (char *) a->unit;
    if (a->kind) {
        if (s_kind ("desk loans --kind", a->kind, &q.kind))
            return CTL_USAGE;
        q.has_kind = 1;
    }
    KF_SET (&q, out_only, a->out);
    KF_SET (&q, overdue_only, a->overdue);
    q.page = &a->page;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_LIST_LOANS;
    request.list_loans = &q;
    ctl_table_t *table = ctl->json ? NULL
                       : ctl_table_new (10, "LOAN", "KIND", "TAG", "N", "TO", "PHONE", "LENT", "DUE", "BY", "BACK");
    s_counts_t counts = { 0, 0 };
    int rc = ctl_list_pages (ctl, "kefu-desk", ctl_desk_endpoint (ctl), &request, &a->page, a->all, table, "line",
                             s_loan_rows, &counts);
    if (rc == 0 && !ctl->json)
        printf ("%u out now, %u overdue\n", counts.out, counts.overdue);
    return rc;
}

//  ---- release permits ---------------------------------------------------------------------

static void
s_print_permit (ctl_t *ctl, const Kf__Reply *reply)
{
    const Kf__ReleasePermit *p = reply->permit;
    char day [16], when [64], owed [32];
    if (p->status == KF__PERMIT_STATUS__PERMIT_STATUS_USED) {
        printf ("%s used at the gate %s by %s: %zu item%s out of %s\n", p->permit_id,
                ctl_time (ctl, p->estate, p->used_at_ms, when, sizeof when), p->used_by ? p->used_by : "-",
                p->n_items, p->n_items == 1 ? "" : "s", p->unit);
        return;
    }
    printf ("%s release permit for %s (%s) on %s: %zu item%s%s%s", p->permit_id, p->unit, p->person,
            ctl_day (p->date, day, sizeof day), p->n_items, p->n_items == 1 ? "" : "s", p->plate ? ", vehicle " : "",
            p->plate ? p->plate : "");
    if (p->override_reason)
        printf (" (owes ¥%s: overridden by %s: %s)", kf_fen_format (p->owed_fen, owed, sizeof owed),
                p->issued_by ? p->issued_by : "-", p->override_reason);
    printf ("\n");
}

int
ctl_desk_permit (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    const char *unit = operands [0];
    (void) action;
    if (!a->person)
        return ctl_fail (CTL_USAGE, "desk permit: who asks? --person NAME (the unit's owner or tenant)");
    if (a->item_count == 0)
        return ctl_fail (CTL_USAGE, "desk permit: what goes out? --item TEXT, once per item");
    Kf__ReleasePermit p = KF__RELEASE_PERMIT__INIT;
    p.estate = (char *) estate;
    p.unit = (char *) unit;
    p.person = (char *) a->person;
    p.items = (char **) a->items;
    p.n_items = a->item_count;
    p.plate = (char *) a->plate;
    if (ctl_yyyymmdd ("desk permit", "--date", a->date, &p.date))
        return CTL_USAGE;
    p.has_date = p.date != 0;
    Kf__IssuePermit q = KF__ISSUE_PERMIT__INIT;
    q.permit = &p;
    q.override_reason = (char *) a->override_reason;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_ISSUE_PERMIT;
    request.issue_permit = &q;
    return ctl_print_result (ctl, "kefu-desk", ctl_desk_call (ctl, &request), KF__REPLY__RESULT_PERMIT, s_print_permit);
}

int
ctl_desk_gate (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    const char *permit_id = operands [0];
    (void) action;
    Kf__UsePermit q = KF__USE_PERMIT__INIT;
    q.estate = (char *) estate;
    q.permit_id = (char *) permit_id;
    q.note = (char *) a->note;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_USE_PERMIT;
    request.use_permit = &q;
    return ctl_print_result (ctl, "kefu-desk", ctl_desk_call (ctl, &request), KF__REPLY__RESULT_PERMIT, s_print_permit);
}

static int
s_permit_rows (ctl_t *ctl, const Kf__Reply *reply, ctl_table_t *table, bool all, ctl_page_t *page, void *arg)
{
    (void) ctl;
    (void) arg;
    if (reply->result_case != KF__REPLY__RESULT_PERMITS)
        return -1;
    const Kf__PermitList *list = reply->permits;
    page->rows = list->n_permits;
    page->total = list->total;
    page->next_token = list->next_page_token;
    if (!table && !all) {
        ctl_print_json (&list->base);
        return 0;
    }
    for (size_t i = 0; i < list->n_permits; i++) {
        const Kf__ReleasePermit *p = list->permits [i];
        if (!table) {
            ctl_print_json (&p->base);
            continue;
        }
        char day [16], items [160] = "", owed [32], cut [64];
        for (size_t j = 0, used = 0; j < p->n_items && used < sizeof items; j++)
            used += (size_t) snprintf (items + used, sizeof items - used, "%s%s", j ? ", " : "", p->items [j]);
        if (p->override_reason)
            snprintf (owed, sizeof owed, "¥%s", kf_fen_format (p->owed_fen, cut, sizeof cut));
        ctl_table_row (table, p->permit_id, ctl_day (p->date, day, sizeof day), p->unit, p->person,
                       ctl_cut (items, 40, cut, sizeof cut), p->plate,
                       ctl_enum_name (&kf__permit_status__descriptor, p->status),
                       p->override_reason ? owed : "", p->override_reason);
    }
    return 0;
}

int
ctl_desk_permits (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    (void) operands;
    (void) action;
    Kf__ListPermits q = KF__LIST_PERMITS__INIT;
    q.estate = (char *) estate;
    q.unit = (char *) a->unit;
    if (ctl_yyyymmdd ("desk permits", "--date", a->date, &q.date))
        return CTL_USAGE;
    q.has_date = q.date != 0;
    if (a->status) {
        int value;
        if (ctl_enum (&kf__permit_status__descriptor, "desk permits --status", a->status, &value))
            return CTL_USAGE;
        KF_SET (&q, status, (Kf__PermitStatus) value);
    }
    q.page = &a->page;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_LIST_PERMITS;
    request.list_permits = &q;
    ctl_table_t *table = ctl->json ? NULL
                       : ctl_table_new (9, "PERMIT", "DAY", "UNIT", "PERSON", "ITEMS", "PLATE", "STATUS", "OWED",
                                        "OVERRIDE");
    return ctl_list_pages (ctl, "kefu-desk", ctl_desk_endpoint (ctl), &request, &a->page, a->all, table, "permit",
                           s_permit_rows, NULL);
}
