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
            if (a->item_count == S_ITEMS_MAX)
                return ctl_fail (-1, "desk: at most %d --item", S_ITEMS_MAX);
            a->items [a->item_count++] = value;
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
    if (!action)
        return ctl_fail (CTL_USAGE, "desk: give an action (lend, return, loans, permit, gate, permits)");
    bool lend = strcmp (action, "lend") == 0, back = strcmp (action, "return") == 0,
         loans = strcmp (action, "loans") == 0, permit = strcmp (action, "permit") == 0,
         gate = strcmp (action, "gate") == 0, permits = strcmp (action, "permits") == 0;
    if (!lend && !back && !loans && !permit && !gate && !permits)
        return ctl_fail (CTL_USAGE, "desk: unknown action '%s' (lend, return, loans, permit, gate, permits)", action);
    int operands = lend ? 2 : back || permit || gate ? 1 : 0;
    if (argc - first - 1 != operands)
        return ctl_fail (CTL_USAGE, "desk %s: %s", action, lend ? "give KIND (key, item, store) and TAG"
                         : back ? "give the LOAN's number" : permit ? "give the UNIT"
                         : gate ? "give the PERMIT's number" : "takes no operands");
    if (!ctl_config (ctl))
        return CTL_FAILED;
    char command [32];
    snprintf (command, sizeof command, "desk %s", action);
    const char *estate = ctl_estate (ctl, command, a.estate, &code);
    if (!estate)
        return code;
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
    "       kefuctl desk permits --estate E [--date YYYY-MM-DD] [--unit U] [--status issued|used|expired]\n\n"
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
    "gate marks it used on its day; unused, it expires at the day's end.",
    s_desk, NULL
};
