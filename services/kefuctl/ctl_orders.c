/*  kefuctl — work orders and staff: orders, order <step>, staff.  */
#include "ctl.h"
#include "kf_field.h"
#include "kf_money.h"
#include "kf_rota.h"

#include <inttypes.h>

static const char *
s_endpoint (ctl_t *ctl)
{
    return kf_config_str (ctl->config, "services/dispatch/endpoint");
}

static Kf__Reply *
s_call (ctl_t *ctl, Kf__Request *request)
{
    return ctl_call (ctl, "kefu-dispatch", s_endpoint (ctl), request);
}

//  ---- printing ------------------------------------------------------------------------

static void
s_print_order (ctl_t *ctl, const Kf__Order *o)
{
    const Kf__OrderCreated *c = o->created;
    char when [64], money [32];
    printf ("order      %s   %s   priority %s\n", o->order_no, ctl_enum_name (&kf__order_status__descriptor, o->status),
            c ? ctl_enum_name (&kf__priority__descriptor, c->priority) : "-");
    if (!c)
        return;
    printf ("ticket     %s   unit %s   estate %s\n", c->ticket_no ? c->ticket_no : "-", c->unit ? c->unit : "-", o->estate);
    printf ("case       %s / %s, for %s\n", ctl_enum_name (&kf__ticket_type__descriptor, c->type),
            ctl_enum_name (&kf__category__descriptor, c->category), ctl_enum_name (&kf__department__descriptor, c->department));
    printf ("assignee   %s\n", o->staff_id ? o->staff_id : "-");
    printf ("created    %s\n", ctl_time (ctl, o->estate, o->created_at_ms, when, sizeof when));
    if (c->rectification_of)
        printf ("rectifies  %s, due %s\n", c->rectification_of, ctl_time (ctl, o->estate, c->due_at_ms, when, sizeof when));
    if (o->status == KF__ORDER_STATUS__ORDER_STATUS_PAUSED)
        printf ("paused     %s\n", ctl_enum_name (&kf__pause_reason__descriptor, o->paused_for));
    if (o->transferred_to)
        printf ("continued  as %s\n", o->transferred_to);
    if (o->completion) {
        const Kf__OrderCompleted *d = o->completion;
        printf ("completed  %u min of labour%s%s\n", d->labour_minutes, d->paid_service ? ", paid service ¥" : "",
                d->paid_service ? kf_fen_format (d->amount_fen, money, sizeof money) : "");
        for (size_t i = 0; i < d->n_materials; i++)
            printf ("material   %s × %u at ¥%s\n", d->materials [i]->name, d->materials [i]->quantity,
                    kf_fen_format (d->materials [i]->unit_price_fen, money, sizeof money));
    }
    printf ("text       %s\n", c->description ? c->description : "");
    if (o->n_history == 0)
        return;
    printf ("\nhistory\n");
    ctl_table_t *table = ctl_table_new (4, "  WHEN", "EVENT", "BY", "WHAT");
    for (size_t i = 0; i < o->n_history; i++) {
        const Kf__TimelineEntry *e = o->history [i];
        char at [80], what [256];
        snprintf (at, sizeof at, "  %s", ctl_time (ctl, o->estate, e->at_ms, when, sizeof when));
        ctl_table_row (table, at, e->kind, e->actor, ctl_cut (e->summary ? e->summary : "", 100, what, sizeof what));
    }
    ctl_table_print (&table, stdout);
}

static int
s_print_reply_order (ctl_t *ctl, Kf__Reply *reply)
{
    int rc = 0;
    if (!reply)
        rc = CTL_FAILED;
    else
    if (reply->result_case != KF__REPLY__RESULT_ORDER)
        rc = ctl_fail (CTL_FAILED, "kefu-dispatch answered with something other than an order");
    else
    if (ctl->json)
        ctl_print_json (&reply->order->base);
    else
        s_print_order (ctl, reply->order);
    kf_codec_free ((ProtobufCMessage **) &reply);
    return rc;
}

//  ---- orders (the list) -------------------------------------------------------------------

typedef struct {
    Kf__ListOrders *query;
    Kf__PageRequest *page;
    bool all;
} s_orders_t;

static int
s_orders_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_orders_t *a = arg;
    Kf__ListOrders *q = a->query;
    int v;
    switch (option) {
        case 'e': q->estate = (char *) value; break;
        case 'S': q->staff_id = (char *) value; break;
        case 'k': q->ticket_no = (char *) value; break;
        case 'P': a->page->page_token = (char *) value; break;
        case 'a': a->all = true; break;
        case 'n':
            return ctl_page_size ("orders", value, a->page);
        case 's':
            if (ctl_enum (&kf__order_status__descriptor, "--status", value, &v))
                return -1;
            KF_SET (q, status, v);
            break;
        case 'd':
            if (ctl_enum (&kf__department__descriptor, "--department", value, &v))
                return -1;
            KF_SET (q, department, v);
            break;
    }
    return 0;
}

static int
s_order_rows (ctl_t *ctl, const Kf__Reply *reply, ctl_table_t *table, bool all, ctl_page_t *page, void *arg)
{
    (void) arg;
    if (reply->result_case != KF__REPLY__RESULT_ORDERS)
        return -1;
    const Kf__OrderList *list = reply->orders;
    page->rows = list->n_orders;
    page->total = list->total;
    page->next_token = list->next_page_token;
    if (!table && !all) {
        ctl_print_json (&list->base);
        return 0;
    }
    for (size_t i = 0; i < list->n_orders; i++) {
        const Kf__Order *o = list->orders [i];
        const Kf__OrderCreated *c = o->created;
        if (!table) {
            ctl_print_json (&o->base);
            continue;
        }
        char when [64], due [64] = "-";
        if (c && c->has_due_at_ms)
            ctl_time (ctl, o->estate, c->due_at_ms, due, sizeof due);
        ctl_table_row (table, o->order_no, ctl_time (ctl, o->estate, o->created_at_ms, when, sizeof when),
                       ctl_enum_name (&kf__order_status__descriptor, o->status),
                       c ? ctl_enum_name (&kf__department__descriptor, c->department) : "-",
                       c ? ctl_enum_name (&kf__priority__descriptor, c->priority) : "-",
                       c ? ctl_enum_name (&kf__category__descriptor, c->category) : "-",
                       o->staff_id, c ? c->unit : "-", due);
    }
    return 0;
}

static int
s_orders (ctl_t *ctl, int argc, char **argv)
{
    static const struct option spec [] = {
        { "estate", required_argument, NULL, 'e' }, { "status", required_argument, NULL, 's' },
        { "department", required_argument, NULL, 'd' }, { "staff", required_argument, NULL, 'S' },
        { "ticket", required_argument, NULL, 'k' }, { "page-size", required_argument, NULL, 'n' },
        { "page", required_argument, NULL, 'P' }, { "all", no_argument, NULL, 'a' },
        { NULL, 0, NULL, 0 }
    };
    Kf__ListOrders query = KF__LIST_ORDERS__INIT;
    Kf__PageRequest page = KF__PAGE_REQUEST__INIT;
    s_orders_t a = { .query = &query, .page = &page };
    query.page = &page;
    int code;
    int first = ctl_options (ctl, &ctl_orders_command, argc, argv, spec, s_orders_option, &a, &code);
    if (first < 0)
        return code;
    if (first < argc)
        return ctl_fail (CTL_USAGE, "orders: unexpected argument '%s'", argv [first]);
    if (!ctl_config (ctl))
        return CTL_FAILED;
    if (query.estate && !kf_config_estate_find (ctl->config, query.estate))
        return ctl_fail (CTL_FAILED, "orders: unknown estate '%s'", query.estate);
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_LIST_ORDERS;
    request.list_orders = &query;
    ctl_table_t *table = ctl->json ? NULL
        : ctl_table_new (9, "ORDER", "CREATED", "STATUS", "DEPARTMENT", "PRIORITY", "CATEGORY", "STAFF", "UNIT", "DUE");
    return ctl_list_pages (ctl, "kefu-dispatch", s_endpoint (ctl), &request, &page, a.all, table, "order",
                           s_order_rows, NULL);
}

const ctl_command_t ctl_orders_command = {
    "orders", "list work orders, newest first, by estate, status, department, staff, ticket",
    "orders [--estate E] [--status S] [--department D] [--staff ID] [--ticket T]\n"
    "            [--page-size N] [--page TOKEN | --all]\n\n"
    "Lists work orders, newest first. Filters combine.\n"
    "  --status      created, queued, assigned, accepted, started, paused, completed,\n"
    "                transferred or cancelled (queued: waiting for someone on shift)\n"
    "  --department  engineering, cleaning, security, greening or customer_service",
    s_orders, NULL
};

//  ---- order STEP ORDER ... -------------------------------------------------------------------

typedef struct {
    int reason;              //  pause
    int to;                  //  transfer
    uint32_t minutes;        //  complete
    bool paid;
    int64_t amount_fen;
    Kf__Material materials [16];
    Kf__Material *material_ptrs [16];
    size_t n_materials;
    char *names [16];
} s_step_t;

//  --material NAME:QUANTITY[:YUAN]
static int
s_material (s_step_t *a, const char *value)
{
    if (a->n_materials == 16)
        return ctl_fail (-1, "order complete: at most 16 --material");
    Kf__Material *m = &a->materials [a->n_materials];
    kf__material__init (m);
    char *copy = strdup (value);
    char *colon = copy ? strchr (copy, ':') : NULL;
    if (!colon) {
        free (copy);
        return ctl_fail (-1, "order complete: --material '%s' is not NAME:QUANTITY[:YUAN]", value);
    }
    *colon = 0;
    char *price = strchr (colon + 1, ':'), *end;
    if (price)
        *price++ = 0;
    long quantity = strtol (colon + 1, &end, 10);
    kf_err_t err;
    if (!*copy || *end || quantity < 1 || quantity > 100000
    ||  (price && kf_fen_parse (price, &m->unit_price_fen, &err))) {
        free (copy);
        return ctl_fail (-1, "order complete: --material '%s' is not NAME:QUANTITY[:YUAN]", value);
    }
    m->name = copy;
    KF_SET (m, quantity, (uint32_t) quantity);
    m->has_unit_price_fen = price != NULL;
    a->names [a->n_materials] = copy;
    a->material_ptrs [a->n_materials] = m;
    a->n_materials++;
    return 0;
}

static int
s_step_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_step_t *a = arg;
    char *end;
    kf_err_t err;
    switch (option) {
        case 'r':
            //  "owner" and "parts" say the same as their long names.
            if (strcmp (value, "owner") == 0)
                value = "waiting_for_owner";
            else
            if (strcmp (value, "parts") == 0)
                value = "waiting_for_parts";
            return ctl_enum (&kf__pause_reason__descriptor, "--reason", value, &a->reason);
        case 't':
            return ctl_enum (&kf__department__descriptor, "--to", value, &a->to);
        case 'm': {
            long minutes = strtol (value, &end, 10);
            if (*end || minutes < 0 || minutes > 20160)
                return ctl_fail (-1, "order complete: --minutes '%s' is not from 0 to 20160", value);
            a->minutes = (uint32_t) minutes;
            return 0;
        }
        case 'p':
            if (kf_fen_parse (value, &a->amount_fen, &err) || kf_fen_check_positive (a->amount_fen, KF_FEN_MAX, &err))
                return ctl_fail (-1, "order complete: --paid: %s", err.text);
            a->paid = true;
            return 0;
        case 'M':
            return s_material (a, value);
    }
    return 0;
}

static int s_order (ctl_t *ctl, int argc, char **argv);

//  The steps, each with its own usage: "order STEP" picks one.
static const ctl_command_t s_step_commands [] = {
    { "order show", "", "order show ORDER\n\nThe order with its history.", s_order, NULL },
    { "order accept", "", "order accept ORDER\n\nThe assignee takes the order (the first response).\n"
      "A technician (--role technician --as ID) may accept only their own orders.", s_order, NULL },
    { "order start", "", "order start ORDER\n\nThe assignee is on site.", s_order, NULL },
    { "order pause", "", "order pause ORDER --reason owner|parts|other [NOTE...]\n\n"
      "Waiting for the owner or for parts; SLA clocks pause until it resumes.", s_order, NULL },
    { "order resume", "", "order resume ORDER [NOTE...]\n\nBack to work after a pause.", s_order, NULL },
    { "order complete", "", "order complete ORDER [--minutes N] [--material NAME:QTY[:YUAN]]... [--paid YUAN]\n"
      "            [NOTE...]\n\n"
      "The work is done: labour minutes, materials used, and with --paid the amount the\n"
      "owner pays for a paid service (billing charges it on the next notice).", s_order, NULL },
    { "order transfer", "", "order transfer ORDER --to DEPARTMENT REASON...\n\n"
      "Hands the case to another department: a new order there (the 3-day limit applies).", s_order, NULL },
    { "order assign", "", "order assign ORDER STAFF [REASON...]\n\n"
      "Assigns or reassigns the order by hand (supervisors and managers).", s_order, NULL },
    { NULL, NULL, NULL, NULL, NULL }
};

//  What each step sends and takes, in the order of s_step_commands.
typedef struct {
    Kf__Request__CommandCase what;
    int operands;          //  after ORDER: 0 none, 1 one required (STAFF), words are text
    bool text_required;
} s_step_kind_t;

static const s_step_kind_t s_steps [] = {
    { KF__REQUEST__COMMAND_SHOW_ORDER, 0, false },
    { KF__REQUEST__COMMAND_ACCEPT_ORDER, 0, false },
    { KF__REQUEST__COMMAND_START_ORDER, 0, false },
    { KF__REQUEST__COMMAND_PAUSE_ORDER, 0, false },
    { KF__REQUEST__COMMAND_RESUME_ORDER, 0, false },
    { KF__REQUEST__COMMAND_COMPLETE_ORDER, 0, false },
    { KF__REQUEST__COMMAND_TRANSFER_ORDER, 0, true },
    { KF__REQUEST__COMMAND_ASSIGN_ORDER, 1, false },
};
#define S_STEPS (sizeof s_steps / sizeof s_steps [0])
_Static_assert (S_STEPS + 1 == sizeof s_step_commands / sizeof s_step_commands [0],
                "a kind for every step, in the same order");

static int
s_order (ctl_t *ctl, int argc, char **argv)
{
    if (argc < 2 || strcmp (argv [1], "--help") == 0 || strcmp (argv [1], "-h") == 0) {
        printf ("usage: kefuctl %s\n", ctl_order_command.usage);
        return argc < 2 ? CTL_USAGE : 0;
    }
    const s_step_kind_t *step = NULL;
    const ctl_command_t *command = NULL;
    for (size_t i = 0; i < S_STEPS && !step; i++)
        if (strcmp (s_step_commands [i].name + strlen ("order "), argv [1]) == 0) {
            step = &s_steps [i];
            command = &s_step_commands [i];
        }
    if (!step)
        return ctl_fail (CTL_USAGE, "order: unknown step '%s' (show, accept, start, pause, resume, complete, "
                         "transfer or assign)", argv [1]);
    static const struct option spec [] = {
        { "reason", required_argument, NULL, 'r' }, { "to", required_argument, NULL, 't' },
        { "minutes", required_argument, NULL, 'm' }, { "paid", required_argument, NULL, 'p' },
        { "material", required_argument | CTL_REPEATED, NULL, 'M' }, { NULL, 0, NULL, 0 }
    };
    s_step_t a = { 0 };
    int code;
    int first = ctl_options (ctl, command, argc - 1, argv + 1, spec, s_step_option, &a, &code);
    int rc = CTL_USAGE;
    char *text = NULL;
    argc--;
    argv++;
    const char *name = command->name;
    if (first < 0)
        rc = code;
    else
    if (first >= argc)
        rc = ctl_fail (CTL_USAGE, "%s: which order? (see kefuctl %s --help)", name, name);
    else
    if (step->operands && first + 1 >= argc)
        rc = ctl_fail (CTL_USAGE, "%s: whom? (see kefuctl %s --help)", name, name);
    else
    if (step->text_required && first + 1 + step->operands >= argc)
        rc = ctl_fail (CTL_USAGE, "%s: give the reason (see kefuctl %s --help)", name, name);
    else
    if ((step->what == KF__REQUEST__COMMAND_SHOW_ORDER || step->what == KF__REQUEST__COMMAND_ACCEPT_ORDER
         || step->what == KF__REQUEST__COMMAND_START_ORDER) && first + 1 < argc)
        rc = ctl_fail (CTL_USAGE, "%s: unexpected argument '%s'", name, argv [first + 1]);
    else
    if (step->what == KF__REQUEST__COMMAND_PAUSE_ORDER && !a.reason)
        rc = ctl_fail (CTL_USAGE, "%s: --reason owner, parts or other is required", name);
    else
    if (step->what == KF__REQUEST__COMMAND_TRANSFER_ORDER && !a.to)
        rc = ctl_fail (CTL_USAGE, "%s: --to DEPARTMENT is required", name);
    else
    if (ctl_config (ctl)) {
        char *order_no = argv [first];
        text = ctl_join (argc, argv, first + 1 + step->operands);
        Kf__Request request;
        ctl_request_init (ctl, &request);
        request.command_case = step->what;
        Kf__ShowOrder show = KF__SHOW_ORDER__INIT;
        Kf__AcceptOrder accept = KF__ACCEPT_ORDER__INIT;
        Kf__StartOrder start = KF__START_ORDER__INIT;
        Kf__PauseOrder pause = KF__PAUSE_ORDER__INIT;
        Kf__ResumeOrder resume = KF__RESUME_ORDER__INIT;
        Kf__CompleteOrder complete = KF__COMPLETE_ORDER__INIT;
        Kf__TransferOrder transfer = KF__TRANSFER_ORDER__INIT;
        Kf__AssignOrder assign = KF__ASSIGN_ORDER__INIT;
        switch (step->what) {
            case KF__REQUEST__COMMAND_SHOW_ORDER: show.order_no = order_no; request.show_order = &show; break;
            case KF__REQUEST__COMMAND_ACCEPT_ORDER: accept.order_no = order_no; request.accept_order = &accept; break;
            case KF__REQUEST__COMMAND_START_ORDER: start.order_no = order_no; request.start_order = &start; break;
            case KF__REQUEST__COMMAND_PAUSE_ORDER:
                pause.order_no = order_no;
                KF_SET (&pause, reason, a.reason);
                pause.note = text;
                request.pause_order = &pause;
                break;
            case KF__REQUEST__COMMAND_RESUME_ORDER:
                resume.order_no = order_no;
                resume.note = text;
                request.resume_order = &resume;
                break;
            case KF__REQUEST__COMMAND_COMPLETE_ORDER:
                complete.order_no = order_no;
                KF_SET (&complete, labour_minutes, a.minutes);
                complete.materials = a.material_ptrs;
                complete.n_materials = a.n_materials;
                KF_SET (&complete, paid_service, a.paid);
                complete.amount_fen = a.amount_fen;
                complete.has_amount_fen = a.paid;
                complete.note = text;
                request.complete_order = &complete;
                break;
            case KF__REQUEST__COMMAND_TRANSFER_ORDER:
                transfer.order_no = order_no;
                KF_SET (&transfer, to_department, a.to);
                transfer.reason = text;
                request.transfer_order = &transfer;
                break;
            case KF__REQUEST__COMMAND_ASSIGN_ORDER:
                assign.order_no = order_no;
                assign.staff_id = argv [first + 1];
                assign.reason = text;
                request.assign_order = &assign;
                break;
            default:
                break;
        }
        rc = s_print_reply_order (ctl, s_call (ctl, &request));
    }
    else
        rc = CTL_FAILED;
    for (size_t i = 0; i < a.n_materials; i++)
        free (a.names [i]);
    free (text);
    return rc;
}

const ctl_command_t ctl_order_command = {
    "order", "one work order: show, accept, start, pause, resume, complete, transfer, assign",
    "order show|accept|start|pause|resume|complete|transfer|assign ORDER ...\n\n"
    "  show ORDER                       the order and its history\n"
    "  accept ORDER                     the assignee takes it (first response)\n"
    "  start ORDER                      on site\n"
    "  pause ORDER --reason R [NOTE]    waiting for the owner, for parts (R: owner, parts, other)\n"
    "  resume ORDER [NOTE]              back to work\n"
    "  complete ORDER [--minutes N] [--material NAME:QTY[:YUAN]]... [--paid YUAN] [NOTE]\n"
    "  transfer ORDER --to DEPARTMENT REASON...   a new order in that department\n"
    "  assign ORDER STAFF [REASON]      by hand (supervisors and managers)\n\n"
    "kefuctl order STEP --help explains one. Technicians act as themselves: --as ID --role technician.",
    s_order, s_step_commands
};

//  ---- staff -------------------------------------------------------------------------------

typedef struct {
    Kf__ListStaff *query;
    const char *estate;
    int on_call;             //  -1 unchanged, 0 off, 1 on
} s_staff_t;

static int
s_staff_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_staff_t *a = arg;
    int v;
    switch (option) {
        case 'e': a->estate = value; break;
        case 'o': a->query->on_duty_now = 1; a->query->has_on_duty_now = 1; break;
        case 'c': a->on_call = 1; break;
        case 'C': a->on_call = 0; break;
        case 'd':
            if (ctl_enum (&kf__department__descriptor, "--department", value, &v))
                return -1;
            KF_SET (a->query, department, v);
            break;
    }
    return 0;
}

static void
s_print_staff (ctl_t *ctl, const Kf__Staff *const *staff, size_t count, bool on_duty)
{
    (void) ctl;
    if (count == 0) {
        //  A bare header says nothing; this says what was asked.
        printf ("%s\n", on_duty ? "nobody on shift" : "no staff");
        return;
    }
    ctl_table_t *table = ctl_table_new (10, "STAFF", "ESTATE", "NAME", "DEPARTMENT", "ROLE", "ON SHIFT", "ON CALL",
                                        "OPEN", "ROTA", "SKILLS");
    for (size_t i = 0; i < count; i++) {
        const Kf__Staff *s = staff [i];
        char open [16], rota [256], skills [256] = "";
        snprintf (open, sizeof open, "%u", s->open_orders);
        kf_rota_format (s->shifts, s->n_shifts, rota, sizeof rota);
        for (size_t k = 0; k < s->n_skills; k++)
            snprintf (skills + strlen (skills), sizeof skills - strlen (skills), "%s%s", k ? "," : "",
                      ctl_enum_name (&kf__category__descriptor, s->skills [k]));
        ctl_table_row (table, s->staff_id, s->estate, s->name, ctl_enum_name (&kf__department__descriptor, s->department),
                       ctl_enum_name (&kf__role__descriptor, s->role), !s->active ? "left" : s->on_duty ? "yes" : "no",
                       s->on_call ? "yes" : "no", open, rota, s->n_skills ? skills : "any");
    }
    ctl_table_print (&table, stdout);
}

static int
s_staff (ctl_t *ctl, int argc, char **argv)
{
    static const struct option spec [] = {
        { "estate", required_argument, NULL, 'e' }, { "department", required_argument, NULL, 'd' },
        { "on-duty", no_argument, NULL, 'o' }, { "on-call", no_argument, NULL, 'c' },
        { "no-on-call", no_argument, NULL, 'C' }, { NULL, 0, NULL, 0 }
    };
    Kf__ListStaff query = KF__LIST_STAFF__INIT;
    s_staff_t a = { .query = &query, .on_call = -1 };
    int code;
    int first = ctl_options (ctl, &ctl_staff_command, argc, argv, spec, s_staff_option, &a, &code);
    if (first < 0)
        return code;
    bool rota = first < argc && strcmp (argv [first], "rota") == 0;
    if (first < argc && !rota && strcmp (argv [first], "list") != 0)
        return ctl_fail (CTL_USAGE, "staff: unknown action '%s' (list or rota)", argv [first]);
    if (!rota && first + 1 < argc)
        return ctl_fail (CTL_USAGE, "staff: unexpected argument '%s'", argv [first + 1]);
    if (rota && first + 2 >= argc)
        return ctl_fail (CTL_USAGE, "staff rota: give the person and the rota (see kefuctl staff --help)");
    if (!rota && a.on_call >= 0)
        return ctl_fail (CTL_USAGE, "staff: --on-call and --no-on-call go with rota");
    if (!ctl_config (ctl))
        return CTL_FAILED;
    if (a.estate && !kf_config_estate_find (ctl->config, a.estate))
        return ctl_fail (CTL_FAILED, "staff: unknown estate '%s'", a.estate);
    Kf__Request request;
    ctl_request_init (ctl, &request);
    Kf__SetRota set = KF__SET_ROTA__INIT;
    Kf__Shift shifts [KF_ROTA_SHIFTS_MAX], *shift_ptrs [KF_ROTA_SHIFTS_MAX];
    char *text = NULL;
    if (rota) {
        const char *estate = ctl_estate (ctl, "staff rota", a.estate, &code);
        if (!estate)
            return code;
        text = ctl_join (argc, argv, first + 2);
        kf_err_t err = { "out of memory" };
        int n = text ? kf_rota_parse (text, shifts, KF_ROTA_SHIFTS_MAX, &err) : -1;
        if (n < 0) {
            free (text);
            return ctl_fail (CTL_USAGE, "staff rota: %s", err.text);
        }
        for (int i = 0; i < n; i++)
            shift_ptrs [i] = &shifts [i];
        set.estate = (char *) estate;
        set.staff_id = argv [first + 1];
        set.shifts = shift_ptrs;
        set.n_shifts = (size_t) n;
        set.on_call = a.on_call == 1;
        set.has_on_call = a.on_call >= 0;
        request.command_case = KF__REQUEST__COMMAND_SET_ROTA;
        request.set_rota = &set;
    }
    else {
        query.estate = (char *) a.estate;
        request.command_case = KF__REQUEST__COMMAND_LIST_STAFF;
        request.list_staff = &query;
    }
    Kf__Reply *reply = s_call (ctl, &request);
    free (text);
    int rc = 0;
    if (!reply)
        rc = CTL_FAILED;
    else
    if (reply->result_case == KF__REPLY__RESULT_STAFF && !rota) {
        if (ctl->json)
            ctl_print_json (&reply->staff->base);
        else
            s_print_staff (ctl, (const Kf__Staff *const *) reply->staff->staff, reply->staff->n_staff,
                           query.on_duty_now);
    }
    else
    if (reply->result_case == KF__REPLY__RESULT_STAFF_MEMBER && rota) {
        if (ctl->json)
            ctl_print_json (&reply->staff_member->base);
        else
            s_print_staff (ctl, (const Kf__Staff *const *) &reply->staff_member, 1, false);
    }
    else
        rc = ctl_fail (CTL_FAILED, "kefu-dispatch answered with something other than staff");
    kf_codec_free ((ProtobufCMessage **) &reply);
    return rc;
}

const ctl_command_t ctl_staff_command = {
    "staff", "who takes work orders: list, on shift now, set a rota",
    "staff [list] [--estate E] [--department D] [--on-duty]\n"
    "       kefuctl staff rota STAFF ROTA... --estate E [--on-call | --no-on-call]\n\n"
    "Lists the people who take orders with their rota, load and whether they are on shift\n"
    "now (--on-duty: only those). `rota` replaces one person's rota at once, without a\n"
    "restart (supervisors and managers); queued orders go to them if they are on shift.\n"
    "ROTA is e.g. \"mon-fri 08:30-17:30, sat 09:00-12:00, hol 09:00-17:00\", nights as\n"
    "\"fri 22:00-06:00\", daily, mkp (make-up working days), or off.",
    s_staff, NULL
};
