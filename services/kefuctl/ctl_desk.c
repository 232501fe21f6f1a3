/*  kefuctl — the front desk's registers, answered by kefu-desk: keys and
    items lent, owners' things stored, returned, and the registers listed;
    release permits issued, used at the gate, listed.  */
#include "ctl.h"
#include "kf_field.h"
#include "kf_time.h"

#include "kf_money.h"

#include <stdlib.h>

#define S_ITEMS_MAX 20

static const char *
s_endpoint (ctl_t *ctl)
{
    return kf_config_str (ctl->config, "services/desk/endpoint");
}

static Kf__Reply *
s_call (ctl_t *ctl, Kf__Request *request)
{
    return ctl_call (ctl, "kefu-desk", s_endpoint (ctl), request);
}

typedef struct {
    const char *estate, *unit, *person, *staff, *phone, *due, *note, *by, *kind, *plate, *date, *override_reason,
               *status;
    const char *items [S_ITEMS_MAX];
    size_t item_count;
    const char *what, *category, *served_to, *rectify_by, *outcome, *amount, *reason, *shift, *text, *to, *channel,
               *follow_up, *follow_up_by, *applicant, *contractor, *from, *until;
    bool pending, approve, refuse, raise, failed;
    const char *workers [S_ITEMS_MAX];
    size_t worker_count;
    bool close, open_only;
    long count;
    bool out, overdue, all;
    Kf__PageRequest page;
} s_args_t;

static int
s_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_args_t *a = arg;
    char *end;
    switch (option) {
        case 'e': a->estate = value; break;
        case 'u': a->unit = value; break;
        case 'p': a->person = value; break;
        case 's': a->staff = value; break;
        case 'Q': a->phone = value; break;
        case 'd': a->due = value; break;
        case 'n': a->note = value; break;
        case 'b': a->by = value; break;
        case 'k': a->kind = value; break;
        case 'o': a->out = true; break;
        case 'O': a->overdue = true; break;
        case 'A': a->all = true; break;
        case 'c':
            a->count = strtol (value, &end, 10);
            if (*end || a->count < 1 || a->count > 999)
                return ctl_fail (-1, "desk: --count takes 1 to 999, not '%s'", value);
            break;
        case 'P': return ctl_page_size ("desk", value, &a->page);
        case 'l': a->plate = value; break;
        case 'D': a->date = value; break;
        case 'v': a->override_reason = value; break;
        case 'S': a->status = value; break;
        case 'i':
        case 'E':
            if (a->item_count == S_ITEMS_MAX)
                return ctl_fail (-1, "desk: at most %d --item or --evidence", S_ITEMS_MAX);
            a->items [a->item_count++] = value;
            break;
        case 'w': a->what = value; break;
        case 'C': a->category = value; break;
        case 'T': a->served_to = value; break;
        case 'R': a->rectify_by = value; break;
        case 'X': a->close = true; break;
        case 'y': a->outcome = value; break;
        case 'm': a->amount = value; break;
        case 'r': a->reason = value; break;
        case 'N': a->open_only = true; break;
        case 'H': a->shift = value; break;
        case 'x': a->text = value; break;
        case 'o' + 256: a->to = value; break;
        case 'c' + 256: a->channel = value; break;
        case 'f' + 256: a->follow_up = value; break;
        case 'F' + 256: a->follow_up_by = value; break;
        case 'p' + 256: a->pending = true; break;
        case 'a' + 256: a->applicant = value; break;
        case 'k' + 256: a->contractor = value; break;
        case 'F' + 512: a->from = value; break;
        case 'U' + 512: a->until = value; break;
        case 'A' + 512: a->approve = true; break;
        case 'R' + 512: a->refuse = true; break;
        case 'V' + 512: a->raise = true; break;
        case 'X' + 512: a->failed = true; break;
        case 'W' + 512:
            if (a->worker_count == S_ITEMS_MAX)
                return ctl_fail (-1, "desk: at most %d --worker", S_ITEMS_MAX);
            a->workers [a->worker_count++] = value;
            break;
    }
    return 0;
}

static const struct option s_spec [] = {
    { "estate", required_argument, NULL, 'e' }, { "unit", required_argument, NULL, 'u' },
    { "person", required_argument, NULL, 'p' }, { "staff", required_argument, NULL, 's' },
    { "phone", required_argument, NULL, 'Q' }, { "due", required_argument, NULL, 'd' },
    { "note", required_argument, NULL, 'n' }, { "by", required_argument, NULL, 'b' },
    { "kind", required_argument, NULL, 'k' }, { "count", required_argument, NULL, 'c' },
    { "out", no_argument, NULL, 'o' }, { "overdue", no_argument, NULL, 'O' }, { "all", no_argument, NULL, 'A' },
    { "page-size", required_argument, NULL, 'P' }, { "plate", required_argument, NULL, 'l' },
    { "date", required_argument, NULL, 'D' }, { "override", required_argument, NULL, 'v' },
    { "status", required_argument, NULL, 'S' }, { "item", required_argument | CTL_REPEATED, NULL, 'i' },
    { "evidence", required_argument | CTL_REPEATED, NULL, 'E' }, { "what", required_argument, NULL, 'w' },
    { "category", required_argument, NULL, 'C' }, { "served-to", required_argument, NULL, 'T' },
    { "rectify-by", required_argument, NULL, 'R' }, { "close", no_argument, NULL, 'X' },
    { "outcome", required_argument, NULL, 'y' }, { "amount", required_argument, NULL, 'm' },
    { "reason", required_argument, NULL, 'r' }, { "open", no_argument, NULL, 'N' },
    { "shift", required_argument, NULL, 'H' }, { "text", required_argument, NULL, 'x' },
    { "to", required_argument, NULL, 'o' + 256 }, { "channel", required_argument, NULL, 'c' + 256 },
    { "follow-up", required_argument, NULL, 'f' + 256 }, { "follow-up-by", required_argument, NULL, 'F' + 256 },
    { "pending", no_argument, NULL, 'p' + 256 },
    { "applicant", required_argument, NULL, 'a' + 256 }, { "contractor", required_argument, NULL, 'k' + 256 },
    { "plan", required_argument | CTL_REPEATED, NULL, 'E' }, { "finding", required_argument | CTL_REPEATED, NULL, 'E' },
    { "worker", required_argument | CTL_REPEATED, NULL, 'W' + 512 }, { "from", required_argument, NULL, 'F' + 512 },
    { "until", required_argument, NULL, 'U' + 512 }, { "approve", no_argument, NULL, 'A' + 512 },
    { "refuse", no_argument, NULL, 'R' + 512 }, { "violation", no_argument, NULL, 'V' + 512 },
    { "failed", no_argument, NULL, 'X' + 512 },
    { NULL, 0, NULL, 0 }
};

//  "key", "item", "stored" (or "store"): the kind of a register's line.
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

static int
s_lend (ctl_t *ctl, const s_args_t *a, const char *estate, const char *kind_text, const char *tag)
{
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
    return ctl_print_result (ctl, "kefu-desk", s_call (ctl, &request), KF__REPLY__RESULT_LOAN, s_print_loan);
}

static int
s_return (ctl_t *ctl, const s_args_t *a, const char *estate, const char *loan_id)
{
    Kf__ReturnLoan q = KF__RETURN_LOAN__INIT;
    q.estate = (char *) estate;
    q.loan_id = (char *) loan_id;
    q.returned_by = (char *) a->by;
    q.note = (char *) a->note;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_RETURN_LOAN;
    request.return_loan = &q;
    return ctl_print_result (ctl, "kefu-desk", s_call (ctl, &request), KF__REPLY__RESULT_LOAN, s_print_loan);
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

static int
s_loans (ctl_t *ctl, s_args_t *a, const char *estate)
{
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
    int rc = ctl_list_pages (ctl, "kefu-desk", s_endpoint (ctl), &request, &a->page, a->all, table, "line",
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

static int
s_permit (ctl_t *ctl, const s_args_t *a, const char *estate, const char *unit)
{
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
    return ctl_print_result (ctl, "kefu-desk", s_call (ctl, &request), KF__REPLY__RESULT_PERMIT, s_print_permit);
}

static int
s_gate (ctl_t *ctl, const s_args_t *a, const char *estate, const char *permit_id)
{
    Kf__UsePermit q = KF__USE_PERMIT__INIT;
    q.estate = (char *) estate;
    q.permit_id = (char *) permit_id;
    q.note = (char *) a->note;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_USE_PERMIT;
    request.use_permit = &q;
    return ctl_print_result (ctl, "kefu-desk", s_call (ctl, &request), KF__REPLY__RESULT_PERMIT, s_print_permit);
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

static int
s_permits (ctl_t *ctl, s_args_t *a, const char *estate)
{
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
    return ctl_list_pages (ctl, "kefu-desk", s_endpoint (ctl), &request, &a->page, a->all, table, "permit",
                           s_permit_rows, NULL);
}

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

static int
s_violation (ctl_t *ctl, const s_args_t *a, const char *estate, const char *unit)
{
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
    return ctl_print_result (ctl, "kefu-desk", s_call (ctl, &request), KF__REPLY__RESULT_VIOLATION, s_print_violation);
}

static int
s_follow (ctl_t *ctl, const s_args_t *a, const char *estate, const char *id)
{
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
    return ctl_print_result (ctl, "kefu-desk", s_call (ctl, &request), KF__REPLY__RESULT_VIOLATION, s_print_violation);
}

static int
s_fine (ctl_t *ctl, const s_args_t *a, const char *estate, const char *id)
{
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
    return ctl_print_result (ctl, "kefu-desk", s_call (ctl, &request), KF__REPLY__RESULT_VIOLATION, s_print_violation);
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

static int
s_violations (ctl_t *ctl, s_args_t *a, const char *estate)
{
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
    return ctl_list_pages (ctl, "kefu-desk", s_endpoint (ctl), &request, &a->page, a->all, table, "violation",
                           s_violation_rows, NULL);
}

//  ---- the duty log and the handover --------------------------------------------------------

static void
s_print_shift_one (ctl_t *ctl, const Kf__DutyShift *s)
{
    char day [16], when [64], money [32];
    printf ("%s %s shift of %s: %zu entr%s", s->estate, s->shift, ctl_day (s->date, day, sizeof day), s->n_entries,
            s->n_entries == 1 ? "y" : "ies");
    if (s->handed_by)
        printf (", handed over by %s to %s at %s", s->handed_by, s->handed_to ? s->handed_to : "-",
                ctl_time (ctl, s->estate, s->handed_at_ms, when, sizeof when));
    if (s->taken_by)
        printf (", taken by %s", s->taken_by);
    if (s->checked_by)
        printf (", checked by %s%s%s", s->checked_by, s->check_note ? ": " : "", s->check_note ? s->check_note : "");
    printf ("\n");
    for (size_t i = 0; i < s->n_entries; i++) {
        const Kf__DutyEntry *e = s->entries [i];
        printf ("  %s  %-6s %-8s %s", ctl_time (ctl, s->estate, e->at_ms, when, sizeof when), e->by ? e->by : "-",
                ctl_enum_name (&kf__duty_entry_kind__descriptor, e->kind), e->text);
        if (e->amount_fen)
            printf ("  ¥%s", kf_fen_format (e->amount_fen, money, sizeof money));
        printf ("\n");
    }
    const Kf__HandoverOpen *o = s->open;
    if (!o)
        return;
    struct { const char *what; char **list; size_t n; uint32_t total; } parts [] = {
        { "open tickets", o->tickets, o->n_tickets, o->ticket_count },
        { "keys and items out", o->loans_out, o->n_loans_out, (uint32_t) o->n_loans_out },
        { "permits pending", o->permits_pending, o->n_permits_pending, (uint32_t) o->n_permits_pending },
        { "violations open", o->violations_open, o->n_violations_open, (uint32_t) o->n_violations_open },
        { "targets missed", o->breaches, o->n_breaches, (uint32_t) o->n_breaches },
    };
    printf ("  still open at the handover:\n");
    for (size_t p = 0; p < sizeof parts / sizeof parts [0]; p++) {
        printf ("    %-19s %u", parts [p].what, parts [p].total);
        for (size_t i = 0; i < parts [p].n; i++)
            printf ("%s%s", i ? ", " : "  ", parts [p].list [i]);
        printf ("\n");
    }
}

static void
s_print_shift (ctl_t *ctl, const Kf__Reply *reply)
{
    s_print_shift_one (ctl, reply->duty_shift);
}

static void
s_print_shifts (ctl_t *ctl, const Kf__Reply *reply)
{
    const Kf__DutyShiftList *l = reply->duty_shifts;
    for (size_t i = 0; i < l->n_shifts; i++)
        s_print_shift_one (ctl, l->shifts [i]);
    printf ("%zu shift%s\n", l->n_shifts, l->n_shifts == 1 ? "" : "s");
}

static int
s_duty (ctl_t *ctl, const s_args_t *a, const char *estate, const char *action)
{
    Kf__Request request;
    ctl_request_init (ctl, &request);
    uint32_t date;
    char command [32];
    snprintf (command, sizeof command, "desk %s", action);
    if (ctl_yyyymmdd (command, "--date", a->date, &date))
        return CTL_USAGE;
    bool list = strcmp (action, "shifts") == 0 || strcmp (action, "check") == 0;
    if (!list && !a->shift)
        return ctl_fail (CTL_USAGE, "%s: which shift? --shift NAME (day, night)", command);
    Kf__LogDuty log = KF__LOG_DUTY__INIT;
    Kf__DutyEntry entry = KF__DUTY_ENTRY__INIT;
    Kf__HandOver over = KF__HAND_OVER__INIT;
    Kf__TakeOver take = KF__TAKE_OVER__INIT;
    Kf__CheckHandovers check = KF__CHECK_HANDOVERS__INIT;
    Kf__ListShifts shifts = KF__LIST_SHIFTS__INIT;
    if (strcmp (action, "log") == 0) {
        int value;
        if (!a->kind || !a->text)
            return ctl_fail (CTL_USAGE, "desk log: give --kind (event, call, keys, cash, other) and --text");
        if (ctl_enum (&kf__duty_entry_kind__descriptor, "desk log --kind", a->kind, &value))
            return CTL_USAGE;
        KF_SET (&entry, kind, (Kf__DutyEntryKind) value);
        entry.text = (char *) a->text;
        if (a->amount) {
            kf_err_t err;
            int64_t fen;
            if (kf_fen_parse (a->amount, &fen, &err))
                return ctl_fail (CTL_USAGE, "desk log: --amount: %s", err.text);
            KF_SET (&entry, amount_fen, fen);
        }
        log.estate = (char *) estate;
        KF_SET (&log, date, date);
        log.shift = (char *) a->shift;
        log.entry = &entry;
        request.command_case = KF__REQUEST__COMMAND_LOG_DUTY;
        request.log_duty = &log;
    }
    else
    if (strcmp (action, "handover") == 0) {
        if (!a->to)
            return ctl_fail (CTL_USAGE, "desk handover: to whom? --to STAFF");
        over.estate = (char *) estate;
        KF_SET (&over, date, date);
        over.shift = (char *) a->shift;
        over.to = (char *) a->to;
        over.note = (char *) a->note;
        request.command_case = KF__REQUEST__COMMAND_HAND_OVER;
        request.hand_over = &over;
    }
    else
    if (strcmp (action, "takeover") == 0) {
        take.estate = (char *) estate;
        KF_SET (&take, date, date);
        take.shift = (char *) a->shift;
        request.command_case = KF__REQUEST__COMMAND_TAKE_OVER;
        request.take_over = &take;
    }
    else
    if (strcmp (action, "check") == 0) {
        check.estate = (char *) estate;
        KF_SET (&check, date, date);
        check.note = (char *) a->note;
        request.command_case = KF__REQUEST__COMMAND_CHECK_HANDOVERS;
        request.check_handovers = &check;
    }
    else {
        shifts.estate = (char *) estate;
        KF_SET (&shifts, date, date);
        request.command_case = KF__REQUEST__COMMAND_LIST_SHIFTS;
        request.list_shifts = &shifts;
    }
    return list ? ctl_print_result (ctl, "kefu-desk", s_call (ctl, &request), KF__REPLY__RESULT_DUTY_SHIFTS,
                                    s_print_shifts)
                : ctl_print_result (ctl, "kefu-desk", s_call (ctl, &request), KF__REPLY__RESULT_DUTY_SHIFT,
                                    s_print_shift);
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

static int
s_talk (ctl_t *ctl, const s_args_t *a, const char *estate, const char *unit)
{
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
    return ctl_print_result (ctl, "kefu-desk", s_call (ctl, &request), KF__REPLY__RESULT_COMMUNICATION, s_print_talk);
}

static int
s_followed (ctl_t *ctl, const s_args_t *a, const char *estate, const char *id)
{
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
    return ctl_print_result (ctl, "kefu-desk", s_call (ctl, &request), KF__REPLY__RESULT_COMMUNICATION, s_print_talk);
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

static int
s_talks (ctl_t *ctl, s_args_t *a, const char *estate)
{
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
    return ctl_list_pages (ctl, "kefu-desk", s_endpoint (ctl), &request, &a->page, a->all, table, "communication",
                           s_talk_rows, NULL);
}

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
    return ctl_print_result (ctl, "kefu-desk", s_call (ctl, request), KF__REPLY__RESULT_RENOVATION, s_print_renovation);
}

static int
s_renovate (ctl_t *ctl, const s_args_t *a, const char *estate, const char *unit)
{
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
    Kf__RenovationWorker workers [S_ITEMS_MAX], *list [S_ITEMS_MAX];
    char texts [S_ITEMS_MAX][160];
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

static int
s_review (ctl_t *ctl, const s_args_t *a, const char *estate, const char *id)
{
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

static int
s_site_step (ctl_t *ctl, const s_args_t *a, const char *estate, const char *id, const char *action)
{
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

static int
s_renovations (ctl_t *ctl, s_args_t *a, const char *estate)
{
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
    return ctl_list_pages (ctl, "kefu-desk", s_endpoint (ctl), &request, &a->page, a->all, table, "renovation",
                           s_renovation_rows, NULL);
}

static int
s_desk (ctl_t *ctl, int argc, char **argv)
{
    s_args_t a = { 0 };
    kf__page_request__init (&a.page);
    int code;
    int first = ctl_options (ctl, &ctl_desk_command, argc, argv, s_spec, s_option, &a, &code);
    if (first < 0)
        return code;
    const char *action = first < argc ? argv [first] : NULL;
    static const char *actions = "lend, return, loans, permit, gate, permits, violation, follow, fine, violations, "
                                 "log, handover, takeover, shifts, check, talk, followed, talks, renovate, review, "
                                 "start, patrol, complete, renovations";
    if (!action)
        return ctl_fail (CTL_USAGE, "desk: give an action (%s)", actions);
    bool lend = strcmp (action, "lend") == 0, back = strcmp (action, "return") == 0,
         loans = strcmp (action, "loans") == 0, permit = strcmp (action, "permit") == 0,
         gate = strcmp (action, "gate") == 0, permits = strcmp (action, "permits") == 0,
         violation = strcmp (action, "violation") == 0, follow = strcmp (action, "follow") == 0,
         fine = strcmp (action, "fine") == 0, violations = strcmp (action, "violations") == 0;
    bool talk = strcmp (action, "talk") == 0, followed = strcmp (action, "followed") == 0,
         talks = strcmp (action, "talks") == 0;
    bool renovate = strcmp (action, "renovate") == 0, review = strcmp (action, "review") == 0,
         site = strcmp (action, "start") == 0 || strcmp (action, "patrol") == 0 || strcmp (action, "complete") == 0,
         renovations = strcmp (action, "renovations") == 0;
    bool duty = strcmp (action, "log") == 0 || strcmp (action, "handover") == 0 || strcmp (action, "takeover") == 0
             || strcmp (action, "shifts") == 0 || strcmp (action, "check") == 0;
    if (!lend && !back && !loans && !permit && !gate && !permits && !violation && !follow && !fine && !violations
    &&  !duty && !talk && !followed && !talks && !renovate && !review && !site && !renovations)
        return ctl_fail (CTL_USAGE, "desk: unknown action '%s' (%s)", action, actions);
    int operands = lend ? 2
                 : back || permit || gate || violation || follow || fine || talk || followed || renovate || review || site
                 ? 1 : 0;
    if (argc - first - 1 != operands)
        return ctl_fail (CTL_USAGE, "desk %s: %s", action, lend ? "give KIND (key, item, store) and TAG"
                         : back ? "give the LOAN's number" : permit || violation || talk ? "give the UNIT"
                         : gate ? "give the PERMIT's number" : follow || fine ? "give the VIOLATION's number"
                         : followed ? "give the COMMUNICATION's number" : renovate ? "give the UNIT"
                         : review || site ? "give the RENOVATION's number"
                         : "takes no operands");
    if (!ctl_config (ctl))
        return CTL_FAILED;
    char command [32];
    snprintf (command, sizeof command, "desk %s", action);
    const char *estate = ctl_estate (ctl, command, a.estate, &code);
    if (!estate)
        return code;
    if (duty)
        return s_duty (ctl, &a, estate, action);
    if (renovate || review || site || renovations)
        return renovate ? s_renovate (ctl, &a, estate, argv [first + 1]) : review ? s_review (ctl, &a, estate, argv [first + 1])
             : site ? s_site_step (ctl, &a, estate, argv [first + 1], action) : s_renovations (ctl, &a, estate);
    if (talk || followed || talks)
        return talk ? s_talk (ctl, &a, estate, argv [first + 1]) : followed ? s_followed (ctl, &a, estate, argv [first + 1])
             : s_talks (ctl, &a, estate);
    if (violation || follow || fine || violations)
        return violation ? s_violation (ctl, &a, estate, argv [first + 1]) : follow ? s_follow (ctl, &a, estate, argv [first + 1])
             : fine ? s_fine (ctl, &a, estate, argv [first + 1]) : s_violations (ctl, &a, estate);
    if (permit || gate || permits)
        return permit ? s_permit (ctl, &a, estate, argv [first + 1]) : gate ? s_gate (ctl, &a, estate, argv [first + 1])
             : s_permits (ctl, &a, estate);
    return lend ? s_lend (ctl, &a, estate, argv [first + 1], argv [first + 2])
         : back ? s_return (ctl, &a, estate, argv [first + 1]) : s_loans (ctl, &a, estate);
}

const ctl_command_t ctl_desk_command = {
    "desk", "the front desk's registers: keys and items lent, things stored, release permits",
    "desk lend key|item|store TAG --estate E (--unit U --person NAME | --staff ID)\n"
    "                        [--phone P] [--count N] [--due 4h|TIME] [--note TEXT]\n"
    "       kefuctl desk return LOAN --estate E [--by NAME] [--note TEXT]\n"
    "       kefuctl desk loans --estate E [--unit U] [--kind key|item|stored] [--out] [--overdue]\n"
    "                          [--page-size N] [--all]\n"
    "       kefuctl desk permit UNIT --estate E --person NAME --item TEXT... [--plate P]\n"
    "                           [--date YYYY-MM-DD] [--override REASON]\n"
    "       kefuctl desk gate PERMIT --estate E [--note TEXT]\n"
    "       kefuctl desk permits --estate E [--date YYYY-MM-DD] [--unit U] [--status issued|used|expired]\n"
    "       kefuctl desk violation UNIT --estate E --category C --what TEXT --rectify-by 3d|TIME\n"
    "                              [--evidence URL]... [--served-to NAME]\n"
    "       kefuctl desk follow VIOLATION --estate E --note TEXT [--close [--outcome TEXT]]\n"
    "       kefuctl desk fine VIOLATION --estate E --amount YUAN --reason TEXT\n"
    "       kefuctl desk violations --estate E [--unit U] [--open]\n"
    "       kefuctl desk log --estate E --shift NAME --kind event|call|keys|cash|other --text TEXT [--amount YUAN]\n"
    "       kefuctl desk handover --estate E --shift NAME --to STAFF [--note TEXT] [--date YYYY-MM-DD]\n"
    "       kefuctl desk takeover --estate E --shift NAME [--date YYYY-MM-DD]\n"
    "       kefuctl desk shifts --estate E [--date YYYY-MM-DD]\n"
    "       kefuctl desk check --estate E [--date YYYY-MM-DD] [--note TEXT]\n"
    "       kefuctl desk talk UNIT --estate E --person NAME --kind interview|contact --channel C --text TEXT\n"
    "                         [--follow-up STAFF --follow-up-by 2d|TIME]\n"
    "       kefuctl desk followed COMMUNICATION --estate E --note TEXT\n"
    "       kefuctl desk talks --estate E [--unit U] [--pending]\n"
    "       kefuctl desk renovate UNIT --estate E --applicant NAME --contractor C --what TEXT --plan URL...\n"
    "                             --worker NAME:ID4:PHONE... --from YYYY-MM-DD --until YYYY-MM-DD\n"
    "       kefuctl desk review RENOVATION --estate E --approve|--refuse [--reason TEXT]\n"
    "       kefuctl desk start|patrol|complete RENOVATION --estate E [--finding TEXT... [--violation]]\n"
    "                             [--note TEXT [--failed]]\n"
    "       kefuctl desk renovations --estate E [--unit U] [--status S]\n\n"
    "lend writes a line of the key register (钥匙借用登记表), the items register\n"
    "(物品借用登记表) or the storage register (客户物品寄存登记表): what (its tag),\n"
    "to whom (a person of the unit, as the register has them; a plant room's key\n"
    "may go to a member of staff) and when it is due back: --due as a length or a\n"
    "time, else desk/key_due, item_due or stored_due. A tag is out once at a time.\n"
    "Still out at its due time, the desk is reminded; desk/escalate_after later it\n"
    "is escalated like any missed target (kefuctl sla --all shows it).\n"
    "return takes it back (--by who brought it, else the person it was lent to).\n"
    "loans lists the register newest first, with what is out now.\n"
    "permit issues a release permit (放行条) for goods leaving the unit on a day\n"
    "(today by default): asked by its owner or tenant, and only while the unit owes\n"
    "nothing, unless a supervisor gives --override with the reason (kept on it).\n"
    "gate marks it used on its day; unused, it expires at the day's end.\n"
    "violation records one against a unit (客户违章记录表: renovation, encroachment,\n"
    "parking, pets, noise, waste, fire_safety, other) with the rectification\n"
    "notice's deadline, counted per unit; past it the violation is overdue and\n"
    "escalated like any missed target. follow adds a follow-up, --close ends it.\n"
    "fine (supervisors) charges a fine through billing to the unit's next notice,\n"
    "once.\n"
    "log writes a line of the shift's duty log (值班记录); handover signs it over to\n"
    "the incoming staff and lists what is still open (tickets, keys and items out,\n"
    "permits pending, violations, missed targets); takeover is the incoming's\n"
    "signature. check (supervisors) reads the day's handovers, yesterday's by default.\n"
    "talk records an interview (访谈) or a communication (沟通记录) with a unit's\n"
    "people (channel in_person, phone, wechat, letter, other), with a follow-up's\n"
    "owner and date held like any target; followed records the follow-up. They\n"
    "stand on the unit's page (kefuctl lookup) with its tickets.\n"
    "renovate files a renovation application (装修申请); review is the preliminary\n"
    "review (初审, a supervisor) then the second (复审, a manager), both due within\n"
    "sla/renovation/resolution (2 working days); the second approval issues the\n"
    "permit and a pass per worker. start begins the work: site patrols twice a day\n"
    "(desk/patrol_schedule) each due within desk/patrol_window, missed otherwise; patrol\n"
    "records the open one (--violation: each finding a violation of the unit);\n"
    "complete is the completion inspection (--failed: work goes on).",
    s_desk, NULL
};
