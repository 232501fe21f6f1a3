/*  kefuctl plans, rounds — inspection and maintenance plans and their
    rounds (巡检), answered by kefu-dispatch: plans add|pause|resume|list;
    rounds list|show|start|check-in|record|finish|report|checkpoint.  */
#include "ctl.h"
#include "kf_checks.h"
#include "kf_field.h"
#include "kf_time.h"

#include <stdlib.h>

#define S_ITEMS_MAX 50

typedef struct {
    const char *estate, *name, *department, *skill, *schedule, *window, *plan, *status, *staff, *from, *to, *note;
    const char *checkpoints [S_ITEMS_MAX];
    size_t n_checkpoints;
    const char *results [S_ITEMS_MAX], *photos [S_ITEMS_MAX], *notes [S_ITEMS_MAX], *fails [S_ITEMS_MAX];
    size_t n_results, n_photos, n_notes, n_fails;
    bool while_renovation, all;
    Kf__PageRequest page;
} s_args_t;

static int
s_push (const char **list, size_t *count, const char *value, const char *option)
{
    if (*count == S_ITEMS_MAX)
        return ctl_fail (-1, "at most %d %s", S_ITEMS_MAX, option);
    list [(*count)++] = value;
    return 0;
}

static int
s_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_args_t *a = arg;
    switch (option) {
        case 'e': a->estate = value; break;
        case 'n': a->name = value; break;
        case 'd': a->department = value; break;
        case 'k': a->skill = value; break;
        case 'S': a->schedule = value; break;
        case 'w': a->window = value; break;
        case 'W': a->while_renovation = true; break;
        case 'c': return s_push (a->checkpoints, &a->n_checkpoints, value, "--checkpoint");
        case 'p': a->plan = value; break;
        case 's': a->status = value; break;
        case 't': a->staff = value; break;
        case 'F': a->from = value; break;
        case 'T': a->to = value; break;
        case 'N': a->note = value; break;
        case 'r': return s_push (a->results, &a->n_results, value, "--result");
        case 'P': return s_push (a->photos, &a->n_photos, value, "--photo");
        case 'm': return s_push (a->notes, &a->n_notes, value, "--item-note");
        case 'x': return s_push (a->fails, &a->n_fails, value, "--not-ok");
        case 'z': return ctl_page_size ("rounds", value, &a->page);
        case 'A': a->all = true; break;
    }
    return 0;
}

static const struct option s_spec [] = {
    { "estate", required_argument, NULL, 'e' }, { "name", required_argument, NULL, 'n' },
    { "department", required_argument, NULL, 'd' }, { "skill", required_argument, NULL, 'k' },
    { "schedule", required_argument, NULL, 'S' }, { "window", required_argument, NULL, 'w' },
    { "while-renovation", no_argument, NULL, 'W' }, { "checkpoint", required_argument | CTL_REPEATED, NULL, 'c' },
    { "plan", required_argument, NULL, 'p' }, { "status", required_argument, NULL, 's' },
    { "staff", required_argument, NULL, 't' }, { "from", required_argument, NULL, 'F' },
    { "to", required_argument, NULL, 'T' }, { "note", required_argument, NULL, 'N' },
    { "result", required_argument | CTL_REPEATED, NULL, 'r' }, { "photo", required_argument | CTL_REPEATED, NULL, 'P' },
    { "item-note", required_argument | CTL_REPEATED, NULL, 'm' },
    { "not-ok", required_argument | CTL_REPEATED, NULL, 'x' },
    { "page-size", required_argument, NULL, 'z' }, { "all", no_argument, NULL, 'A' },
    { NULL, 0, NULL, 0 }
};

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

//  ---- plans ----------------------------------------------------------------------------------

static void
s_print_plan_line (ctl_t *ctl, const Kf__Plan *p)
{
    char next [64], window [32];
    kf_duration_format (p->window_ms, window, sizeof window);
    printf ("%s  %s: %s, within %s, %s%s%s; %zu checkpoint%s, %u round%s made, next %s\n", p->plan_id, p->name,
            p->schedule, window, ctl_enum_name (&kf__department__descriptor, p->department),
            p->while_renovation ? ", while a renovation is on" : "", p->paused ? " (paused)" : "", p->n_checkpoints,
            p->n_checkpoints == 1 ? "" : "s", p->rounds_made, p->rounds_made == 1 ? "" : "s", p->paused || !p->next_slot_ms ? "-" : ctl_time (ctl, p->estate, p->next_slot_ms, next,
                                                                              sizeof next));
}

static void
s_print_plan (ctl_t *ctl, const Kf__Reply *reply)
{
    const Kf__Plan *p = reply->plan;
    s_print_plan_line (ctl, p);
    for (size_t i = 0; i < p->n_checkpoints; i++) {
        char items [1000];
        const Kf__Checkpoint *cp = p->checkpoints [i];
        printf ("  %zu. %s%s%s%s: %s\n", i + 1, cp->name, cp->place ? " (" : "", cp->place ? cp->place : "",
                cp->place ? ")" : "", kf_check_items_format (cp, items, sizeof items));
    }
}

static void
s_print_plans (ctl_t *ctl, const Kf__Reply *reply)
{
    for (size_t i = 0; i < reply->plans->n_plans; i++)
        s_print_plan_line (ctl, reply->plans->plans [i]);
    if (reply->plans->n_plans == 0)
        printf ("no plans\n");
}

static int
s_plans (ctl_t *ctl, int argc, char **argv);

const ctl_command_t ctl_plans_command = {
    "plans", "inspection and maintenance plans (巡检计划): add, pause, resume, list",
    "plans add PLAN --estate E --name NAME --department D --schedule S --checkpoint CP...\n"
    "                   [--skill CATEGORY] [--window 2h] [--while-renovation]\n"
    "       kefuctl plans pause|resume PLAN --estate E\n"
    "       kefuctl plans list --estate E\n\n"
    "A plan makes a round at each slot of its schedule on the estate's calendar:\n"
    "  daily 09:00 | workdays 10:00, 15:00 | weekly mon,thu 09:00 | monthly 1,15 09:00\n"
    "  | every 3d 09:00 from 2026-01-01 (a time ending \"working\" skips non-working days)\n"
    "given to someone of the department on shift (with --skill, if given). A round\n"
    "not finished within --window is missed: it breaches and escalates.\n"
    "A checkpoint is \"NAME | PLACE | AREA | ITEMS\" (PLACE, AREA may be empty; AREA is\n"
    "the unit code findings are filed at, 0-0-0 by default), ITEMS ';'-separated:\n"
    "  yes_no: WHAT | reading: WHAT (UNIT MIN..MAX) | photo: WHAT\n"
    "--while-renovation: rounds only while a renovation of the estate has work on.\n"
    "Only supervisors and managers add, pause or resume plans.",
    s_plans, NULL
};

static int
s_plans (ctl_t *ctl, int argc, char **argv)
{
    s_args_t a = { 0 };
    int code;
    int first = ctl_options (ctl, &ctl_plans_command, argc, argv, s_spec, s_option, &a, &code);
    if (first < 0)
        return code;
    const char *action = first < argc ? argv [first] : NULL;
    bool list = action && strcmp (action, "list") == 0;
    bool add = action && strcmp (action, "add") == 0;
    bool pause = action && strcmp (action, "pause") == 0, resume = action && strcmp (action, "resume") == 0;
    if (!list && !add && !pause && !resume)
        return ctl_fail (CTL_USAGE, "plans: give an action (add, pause, resume, list)");
    if (argc - first - 1 != (list ? 0 : 1))
        return list ? ctl_fail (CTL_USAGE, "plans list: takes no operands")
                    : ctl_fail (CTL_USAGE, "plans %s: give the PLAN's id", action);
    if (!ctl_config (ctl))
        return CTL_FAILED;
    char command [32];
    snprintf (command, sizeof command, "plans %s", action);
    const char *estate = ctl_estate (ctl, command, a.estate, &code);
    if (!estate)
        return code;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    if (list) {
        Kf__ListPlans q = KF__LIST_PLANS__INIT;
        q.estate = (char *) estate;
        request.command_case = KF__REQUEST__COMMAND_LIST_PLANS;
        request.list_plans = &q;
        return ctl_print_result (ctl, "kefu-dispatch", s_call (ctl, &request), KF__REPLY__RESULT_PLANS, s_print_plans);
    }
    if (pause || resume) {
        Kf__SetPlan q = KF__SET_PLAN__INIT;
        q.estate = (char *) estate;
        q.plan_id = argv [first + 1];
        KF_SET (&q, paused, pause);
        request.command_case = KF__REQUEST__COMMAND_SET_PLAN;
        request.set_plan = &q;
        return ctl_print_result (ctl, "kefu-dispatch", s_call (ctl, &request), KF__REPLY__RESULT_PLAN, s_print_plan);
    }
    if (!a.name || !a.department || !a.schedule || !a.n_checkpoints)
        return ctl_fail (CTL_USAGE, "plans add: give --name, --department, --schedule and --checkpoint...");
    Kf__Plan plan = KF__PLAN__INIT;
    plan.estate = (char *) estate;
    plan.plan_id = argv [first + 1];
    plan.name = (char *) a.name;
    plan.schedule = (char *) a.schedule;
    int value;
    if (ctl_enum (&kf__department__descriptor, "plans add --department", a.department, &value))
        return CTL_USAGE;
    KF_SET (&plan, department, value);
    if (a.skill) {
        if (ctl_enum (&kf__category__descriptor, "plans add --skill", a.skill, &value))
            return CTL_USAGE;
        KF_SET (&plan, skill, value);
    }
    kf_err_t err;
    int64_t window = 2 * 3600000;
    if (a.window && kf_duration_parse (a.window, &window, &err))
        return ctl_fail (CTL_USAGE, "plans add: --window: %s", err.text);
    KF_SET (&plan, window_ms, window);
    if (a.while_renovation)
        KF_SET (&plan, while_renovation, 1);
    kf_arena_t *arena = kf_arena_new ();
    Kf__Checkpoint *checkpoints [S_ITEMS_MAX];
    for (size_t i = 0; arena && i < a.n_checkpoints; i++) {
        checkpoints [i] = (Kf__Checkpoint *) kf_arena_message (arena, &kf__checkpoint__descriptor);
        if (!checkpoints [i] || kf_checkpoint_parse (a.checkpoints [i], checkpoints [i], arena, &err)) {
            kf_arena_destroy (&arena);
            return ctl_fail (CTL_USAGE, "plans add: --checkpoint %zu: %s", i + 1,
                             checkpoints [i] ? err.text : "out of memory");
        }
    }
    if (!arena)
        return ctl_fail (CTL_FAILED, "out of memory");
    plan.checkpoints = checkpoints;
    plan.n_checkpoints = a.n_checkpoints;
    Kf__AddPlan q = KF__ADD_PLAN__INIT;
    q.plan = &plan;
    request.command_case = KF__REQUEST__COMMAND_ADD_PLAN;
    request.add_plan = &q;
    code = ctl_print_result (ctl, "kefu-dispatch", s_call (ctl, &request), KF__REPLY__RESULT_PLAN, s_print_plan);
    kf_arena_destroy (&arena);
    return code;
}

//  ---- rounds ---------------------------------------------------------------------------------

static void
s_print_round (ctl_t *ctl, const Kf__Reply *reply)
{
    const Kf__Round *r = reply->round;
    char slot [64], due [64], done [64];
    printf ("%s  %s: %s, at %s, due by %s, %s%s%s%s", r->round_id, r->name ? r->name : "",
            ctl_enum_name (&kf__round_status__descriptor, r->status), ctl_time (ctl, r->estate, r->slot_ms, slot, sizeof slot),
            ctl_time (ctl, r->estate, r->due_ms, due, sizeof due), r->staff_id ? r->staff_id : "nobody yet",
            r->finished_at_ms ? ", finished " : "",
            r->finished_at_ms ? ctl_time (ctl, r->estate, r->finished_at_ms, done, sizeof done) : "",
            r->late ? " (late)" : "");
    printf ("; %u finding%s\n", r->findings, r->findings == 1 ? "" : "s");
    for (size_t i = 0; i < r->n_checkpoints; i++) {
        const Kf__Checkpoint *cp = r->checkpoints [i];
        const Kf__CheckpointVisit *v = NULL;
        for (size_t j = 0; j < r->n_visits; j++)
            if (r->visits [j]->checkpoint && strcmp (r->visits [j]->checkpoint, cp->name) == 0)
                v = r->visits [j];
        printf ("  %zu. %-20s %s\n", i + 1, cp->name, !v ? "not yet" : !v->recorded_at_ms ? "checked in"
                                                      : v->findings ? "recorded, NOT OK" : "recorded, OK");
        for (size_t k = 0; v && k < v->n_results; k++) {
            const Kf__CheckResult *res = v->results [k];
            const Kf__CheckItem *item = res->item >= 1 && res->item <= cp->n_items ? cp->items [res->item - 1] : NULL;
            char reading [32] = "";
            if (res->has_reading_milli)
                kf_milli_format (res->reading_milli, reading, sizeof reading);
            printf ("       %s: %s%s%s%s%s\n", item && item->what ? item->what : "?", res->ok ? "OK" : "NOT OK",
                    *reading ? " " : "", reading, res->note ? " — " : "", res->note ? res->note : "");
        }
    }
}

static int
s_round_rows (ctl_t *ctl, const Kf__Reply *reply, ctl_table_t *table, bool all, ctl_page_t *page, void *arg)
{
    (void) arg;
    if (reply->result_case != KF__REPLY__RESULT_ROUNDS)
        return -1;
    const Kf__RoundList *list = reply->rounds;
    page->rows = list->n_rounds;
    page->total = list->total;
    page->next_token = list->next_page_token;
    if (!table && !all) {
        ctl_print_json (&list->base);
        return 0;
    }
    for (size_t i = 0; i < list->n_rounds; i++) {
        const Kf__Round *r = list->rounds [i];
        if (!table) {
            ctl_print_json (&r->base);
            continue;
        }
        char slot [64], due [64], findings [16];
        snprintf (findings, sizeof findings, "%u", r->findings);
        ctl_table_row (table, r->round_id, r->plan_id, ctl_enum_name (&kf__round_status__descriptor, r->status),
                       ctl_time (ctl, r->estate, r->slot_ms, slot, sizeof slot),
                       ctl_time (ctl, r->estate, r->due_ms, due, sizeof due), r->staff_id, findings,
                       r->late ? "late" : NULL);
    }
    return 0;
}

static void
s_count_row (ctl_table_t *table, const char *who, const Kf__RoundCount *c)
{
    char due [16], done [16], late [16], missed [16], rate [16], findings [16];
    snprintf (due, sizeof due, "%u", c->due);
    snprintf (done, sizeof done, "%u", c->done);
    snprintf (late, sizeof late, "%u", c->late);
    snprintf (missed, sizeof missed, "%u", c->missed);
    snprintf (rate, sizeof rate, "%u.%u%%", c->on_time_permille / 10, c->on_time_permille % 10);
    snprintf (findings, sizeof findings, "%u", c->findings);
    ctl_table_row (table, who, due, done, late, missed, c->due ? rate : "-", findings);
}

static void
s_print_report (ctl_t *ctl, const Kf__Reply *reply)
{
    const Kf__RoundReport *r = reply->round_report;
    char from [64], to [64];
    printf ("rounds of %s from %s to %s\n\n", r->estate, ctl_time (ctl, r->estate, r->period->from_ms, from, sizeof from),
            ctl_time (ctl, r->estate, r->period->to_ms, to, sizeof to));
    ctl_table_t *table = ctl_table_new (7, "DEPARTMENT / PERSON", "DUE", "ON TIME", "LATE", "MISSED", "ON-TIME RATE",
                                        "FINDINGS");
    for (size_t i = 0; i < r->n_departments; i++)
        s_count_row (table, ctl_enum_name (&kf__department__descriptor, r->departments [i]->department), r->departments [i]);
    for (size_t i = 0; i < r->n_people; i++) {
        char who [160];
        snprintf (who, sizeof who, "  %s %s", r->people [i]->staff_id, r->people [i]->staff_name ? r->people [i]->staff_name : "");
        s_count_row (table, who, r->people [i]);
    }
    if (r->total)
        s_count_row (table, "all", r->total);
    ctl_table_print (&table, stdout);
    if (r->n_checkpoints) {
        printf ("\n");
        table = ctl_table_new (4, "PLAN", "CHECKPOINT", "FINDINGS", "ROUNDS");
        for (size_t i = 0; i < r->n_checkpoints; i++) {
            char findings [16], rounds [16];
            snprintf (findings, sizeof findings, "%u", r->checkpoints [i]->findings);
            snprintf (rounds, sizeof rounds, "%u", r->checkpoints [i]->rounds);
            ctl_table_row (table, r->checkpoints [i]->plan_id, r->checkpoints [i]->checkpoint, findings, rounds);
        }
        ctl_table_print (&table, stdout);
    }
}

static const char *s_history_estate;   //  whose offset the times are shown in

static void
s_print_history (ctl_t *ctl, const Kf__Reply *reply)
{
    const Kf__CheckpointHistory *h = reply->checkpoint_history;
    char items [1000];
    printf ("%s / %s: %s\n\n", h->plan_id, h->checkpoint->name, kf_check_items_format (h->checkpoint, items, sizeof items));
    ctl_table_t *table = ctl_table_new (5, "ROUND", "AT", "STATUS", "BY", "RESULT");
    for (size_t i = 0; i < h->n_records; i++) {
        const Kf__CheckpointRecord *rec = h->records [i];
        char at [64], findings [32];
        snprintf (findings, sizeof findings, "%u not OK", rec->visit ? rec->visit->findings : 0);
        ctl_table_row (table, rec->round_id, ctl_time (ctl, s_history_estate, rec->slot_ms, at, sizeof at),
                       ctl_enum_name (&kf__round_status__descriptor, rec->status), rec->staff_id,
                       !rec->visit || !rec->visit->recorded_at_ms ? "not recorded"
                       : rec->visit->findings ? findings : "OK");
    }
    ctl_table_print (&table, stdout);
}

//  "N:VALUE": item N, whose VALUE is yes/no, a number (a reading) or a URL
//  (a photo).
static int
s_results (const s_args_t *a, Kf__CheckResult *results, Kf__CheckResult **list, char texts [][600])
{
    for (size_t i = 0; i < a->n_results; i++) {
        kf__check_result__init (&results [i]);
        list [i] = &results [i];
        snprintf (texts [i], 600, "%s", a->results [i]);
        char *colon = strchr (texts [i], ':'), *end;
        unsigned long item = colon ? strtoul (texts [i], &end, 10) : 0;
        if (!colon || end != colon || item < 1 || item > S_ITEMS_MAX)
            return ctl_fail (-1, "rounds record: --result '%s' is not ITEM:VALUE (1:yes, 2:0.85, 3:https://...)",
                             a->results [i]);
        KF_SET (&results [i], item, (uint32_t) item);
        char *value = colon + 1;
        int64_t milli;
        if (strcmp (value, "yes") == 0 || strcmp (value, "ok") == 0)
            KF_SET (&results [i], ok, 1);
        else
        if (strcmp (value, "no") == 0)
            KF_SET (&results [i], ok, 0);
        else
        if (strncmp (value, "http://", 7) == 0 || strncmp (value, "https://", 8) == 0)
            results [i].photo_url = value;
        else
        if (kf_milli_parse (value, &milli) == 0)
            KF_SET (&results [i], reading_milli, milli);
        else
            return ctl_fail (-1, "rounds record: --result %lu: '%s' is not yes, no, a reading or a photo's URL", item,
                             value);
    }
    //  --photo N:URL, --item-note N:TEXT, --not-ok N: onto item N's result.
    const char *const *extra [] = { a->photos, a->notes, a->fails };
    const size_t counts [] = { a->n_photos, a->n_notes, a->n_fails };
    for (int kind = 0; kind < 3; kind++)
        for (size_t i = 0; i < counts [kind]; i++) {
            const char *text = extra [kind][i];
            char *end;
            unsigned long item = strtoul (text, &end, 10);
            size_t r = 0;
            while (r < a->n_results && results [r].item != item)
                r++;
            if (r == a->n_results || (kind < 2 ? *end != ':' : *end != 0))
                return ctl_fail (-1, "rounds record: '%s' names no --result's item%s", text, kind < 2 ? " (ITEM:...)" : "");
            if (kind == 0)
                results [r].photo_url = end + 1;
            else
            if (kind == 1)
                results [r].note = end + 1;
            else
                KF_SET (&results [r], ok, 0);
        }
    return 0;
}

static int
s_rounds (ctl_t *ctl, int argc, char **argv);

const ctl_command_t ctl_rounds_command = {
    "rounds", "rounds of the plans (巡检): list, show, walk them, report",
    "rounds list --estate E [--plan P] [--status S] [--staff ID] [--from T] [--to T] [--page-size N] [--all]\n"
    "       kefuctl rounds show|start ROUND\n"
    "       kefuctl rounds check-in ROUND CHECKPOINT\n"
    "       kefuctl rounds record ROUND CHECKPOINT --result ITEM:VALUE... [--photo ITEM:URL]...\n"
    "                             [--item-note ITEM:TEXT]... [--not-ok ITEM]...\n"
    "       kefuctl rounds finish ROUND [--note TEXT]\n"
    "       kefuctl rounds report --estate E [--from T] [--to T]\n"
    "       kefuctl rounds checkpoint PLAN CHECKPOINT --estate E [--from T] [--to T]\n\n"
    "A round is walked from start: check in at each checkpoint, record its items\n"
    "(VALUE is yes or no, a reading such as 0.85, or a photo's URL; --not-ok flags a\n"
    "reading or a photo), finish when every checkpoint is recorded. Each item not OK\n"
    "is a finding: a ticket at the checkpoint's area, routed as usual. report counts\n"
    "rounds done on time per department and person, and findings per checkpoint;\n"
    "checkpoint lists one checkpoint's history, newest first.",
    s_rounds, NULL
};

static int
s_period (ctl_t *ctl, const char *command, const char *estate, const s_args_t *a, Kf__TimeRange *period)
{
    if (a->from && ctl_period_time (ctl, command, estate, a->from, false, &period->from_ms))
        return -1;
    period->has_from_ms = a->from != NULL;
    if (a->to && ctl_period_time (ctl, command, estate, a->to, true, &period->to_ms))
        return -1;
    period->has_to_ms = a->to != NULL;
    return 0;
}

static int
s_rounds (ctl_t *ctl, int argc, char **argv)
{
    s_args_t a = { 0 };
    kf__page_request__init (&a.page);
    int code;
    int first = ctl_options (ctl, &ctl_rounds_command, argc, argv, s_spec, s_option, &a, &code);
    if (first < 0)
        return code;
    static const struct { const char *name; int operands; } actions [] = {
        { "list", 0 }, { "show", 1 }, { "start", 1 }, { "check-in", 2 }, { "record", 2 }, { "finish", 1 },
        { "report", 0 }, { "checkpoint", 2 },
    };
    const char *action = first < argc ? argv [first] : NULL;
    size_t k = 0;
    while (action && k < sizeof actions / sizeof *actions && strcmp (actions [k].name, action) != 0)
        k++;
    if (!action || k == sizeof actions / sizeof *actions)
        return ctl_fail (CTL_USAGE, "rounds: give an action (list, show, start, check-in, record, finish, report, "
                         "checkpoint)");
    if (argc - first - 1 != actions [k].operands)
        return ctl_fail (CTL_USAGE, "rounds %s: give %s", action,
                         actions [k].operands == 0 ? "no operands" : actions [k].operands == 1 ? "the ROUND"
                         : strcmp (action, "checkpoint") == 0 ? "the PLAN and the CHECKPOINT's name"
                         : "the ROUND and the CHECKPOINT's name");
    char **operands = argv + first + 1;
    if (!ctl_config (ctl))
        return CTL_FAILED;
    char command [32];
    snprintf (command, sizeof command, "rounds %s", action);
    Kf__Request request;
    ctl_request_init (ctl, &request);
    Kf__TimeRange period = KF__TIME_RANGE__INIT;
    const char *estate = NULL;
    if (k == 0 || k == 6 || k == 7) {
        estate = ctl_estate (ctl, command, a.estate, &code);
        if (!estate)
            return code;
        if (s_period (ctl, command, estate, &a, &period))
            return CTL_USAGE;
    }
    if (k == 0) {
        Kf__ListRounds q = KF__LIST_ROUNDS__INIT;
        q.estate = (char *) estate;
        q.plan_id = (char *) a.plan;
        q.staff_id = (char *) a.staff;
        q.period = &period;
        q.page = &a.page;
        if (a.status) {
            int value;
            if (ctl_enum (&kf__round_status__descriptor, "rounds list --status", a.status, &value))
                return CTL_USAGE;
            KF_SET (&q, status, value);
        }
        request.command_case = KF__REQUEST__COMMAND_LIST_ROUNDS;
        request.list_rounds = &q;
        ctl_table_t *table = ctl->json ? NULL : ctl_table_new (8, "ROUND", "PLAN", "STATUS", "AT", "DUE BY", "BY",
                                                                "FINDINGS", "NOTE");
        return ctl_list_pages (ctl, "kefu-dispatch", s_endpoint (ctl), &request, &a.page, a.all, table, "round",
                               s_round_rows, NULL);
    }
    if (k == 6) {
        Kf__ReportRounds q = KF__REPORT_ROUNDS__INIT;
        q.estate = (char *) estate;
        q.period = &period;
        request.command_case = KF__REQUEST__COMMAND_REPORT_ROUNDS;
        request.report_rounds = &q;
        return ctl_print_result (ctl, "kefu-dispatch", s_call (ctl, &request), KF__REPLY__RESULT_ROUND_REPORT,
                                 s_print_report);
    }
    if (k == 7) {
        Kf__ShowCheckpoint q = KF__SHOW_CHECKPOINT__INIT;
        q.estate = (char *) estate;
        q.plan_id = operands [0];
        q.checkpoint = operands [1];
        q.period = &period;
        request.command_case = KF__REQUEST__COMMAND_SHOW_CHECKPOINT;
        request.show_checkpoint = &q;
        s_history_estate = estate;
        return ctl_print_result (ctl, "kefu-dispatch", s_call (ctl, &request), KF__REPLY__RESULT_CHECKPOINT_HISTORY,
                                 s_print_history);
    }
    if (k == 1) {
        Kf__ShowRound q = KF__SHOW_ROUND__INIT;
        q.round_id = operands [0];
        request.command_case = KF__REQUEST__COMMAND_SHOW_ROUND;
        request.show_round = &q;
        return ctl_print_result (ctl, "kefu-dispatch", s_call (ctl, &request), KF__REPLY__RESULT_ROUND, s_print_round);
    }
    Kf__RoundStep q = KF__ROUND_STEP__INIT;
    q.round_id = operands [0];
    q.checkpoint = actions [k].operands == 2 ? operands [1] : NULL;
    q.note = (char *) a.note;
    Kf__CheckResult results [S_ITEMS_MAX], *list [S_ITEMS_MAX];
    static char texts [S_ITEMS_MAX][600];
    if (k == 4) {
        if (!a.n_results)
            return ctl_fail (CTL_USAGE, "rounds record: give a --result ITEM:VALUE for each item");
        if (s_results (&a, results, list, texts))
            return CTL_USAGE;
        q.results = list;
        q.n_results = a.n_results;
    }
    request.command_case = k == 2 ? KF__REQUEST__COMMAND_START_ROUND : k == 3 ? KF__REQUEST__COMMAND_CHECK_IN
                         : k == 4 ? KF__REQUEST__COMMAND_RECORD_CHECKPOINT : KF__REQUEST__COMMAND_FINISH_ROUND;
    request.start_round = &q;   //  the oneof's members share one pointer
    return ctl_print_result (ctl, "kefu-dispatch", s_call (ctl, &request), KF__REPLY__RESULT_ROUND, s_print_round);
}
