/*  kefuctl desk — the front desk's registers, answered by kefu-desk: the
    options every action shares, the actions' table and the help. The
    actions are in ctl_desk_*.c (see ctl_desk.h).  */
#include "ctl_desk.h"

#include <stdlib.h>

const char *
ctl_desk_endpoint (ctl_t *ctl)
{
    return kf_config_str (ctl->config, "services/desk/endpoint");
}

Kf__Reply *
ctl_desk_call (ctl_t *ctl, Kf__Request *request)
{
    return ctl_call (ctl, "kefu-desk", ctl_desk_endpoint (ctl), request);
}

static int
s_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    ctl_desk_args_t *a = arg;
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
            if (a->item_count == CTL_DESK_ITEMS_MAX)
                return ctl_fail (-1, "desk: at most %d --item or --evidence", CTL_DESK_ITEMS_MAX);
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
            if (a->worker_count == CTL_DESK_ITEMS_MAX)
                return ctl_fail (-1, "desk: at most %d --worker", CTL_DESK_ITEMS_MAX);
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
//  Each action: its name, its operands, what they are, its handler.
static const struct {
    const char *name;
    int operands;
    const char *what;
    ctl_desk_fn *fn;
} s_actions [] = {
    { "lend", 2, "KIND (key, item, store) and TAG", ctl_desk_lend },
    { "return", 1, "the LOAN's number", ctl_desk_return },
    { "loans", 0, NULL, ctl_desk_loans },
    { "permit", 1, "the UNIT", ctl_desk_permit },
    { "gate", 1, "the PERMIT's number", ctl_desk_gate },
    { "permits", 0, NULL, ctl_desk_permits },
    { "violation", 1, "the UNIT", ctl_desk_violation },
    { "follow", 1, "the VIOLATION's number", ctl_desk_follow },
    { "fine", 1, "the VIOLATION's number", ctl_desk_fine },
    { "violations", 0, NULL, ctl_desk_violations },
    { "log", 0, NULL, ctl_desk_duty },
    { "handover", 0, NULL, ctl_desk_duty },
    { "takeover", 0, NULL, ctl_desk_duty },
    { "shifts", 0, NULL, ctl_desk_duty },
    { "check", 0, NULL, ctl_desk_duty },
    { "talk", 1, "the UNIT", ctl_desk_talk },
    { "followed", 1, "the COMMUNICATION's number", ctl_desk_followed },
    { "talks", 0, NULL, ctl_desk_talks },
    { "renovate", 1, "the UNIT", ctl_desk_renovate },
    { "review", 1, "the RENOVATION's number", ctl_desk_review },
    { "start", 1, "the RENOVATION's number", ctl_desk_site },
    { "patrol", 1, "the RENOVATION's number", ctl_desk_site },
    { "complete", 1, "the RENOVATION's number", ctl_desk_site },
    { "renovations", 0, NULL, ctl_desk_renovations },
};
#define S_ACTIONS (sizeof s_actions / sizeof s_actions [0])

static int
s_desk (ctl_t *ctl, int argc, char **argv)
{
    ctl_desk_args_t a = { 0 };
    kf__page_request__init (&a.page);
    int code;
    int first = ctl_options (ctl, &ctl_desk_command, argc, argv, s_spec, s_option, &a, &code);
    if (first < 0)
        return code;
    char names [512] = "";
    for (size_t i = 0, used = 0; i < S_ACTIONS && used < sizeof names; i++)
        used += (size_t) snprintf (names + used, sizeof names - used, "%s%s", i ? ", " : "", s_actions [i].name);
    const char *action = first < argc ? argv [first] : NULL;
    if (!action)
        return ctl_fail (CTL_USAGE, "desk: give an action (%s)", names);
    size_t i = 0;
    while (i < S_ACTIONS && strcmp (s_actions [i].name, action) != 0)
        i++;
    if (i == S_ACTIONS)
        return ctl_fail (CTL_USAGE, "desk: unknown action '%s' (%s)", action, names);
    if (argc - first - 1 != s_actions [i].operands)
        return s_actions [i].what ? ctl_fail (CTL_USAGE, "desk %s: give %s", action, s_actions [i].what)
                                  : ctl_fail (CTL_USAGE, "desk %s: takes no operands", action);
    if (!ctl_config (ctl))
        return CTL_FAILED;
    char command [32];
    snprintf (command, sizeof command, "desk %s", action);
    const char *estate = ctl_estate (ctl, command, a.estate, &code);
    if (!estate)
        return code;
    return s_actions [i].fn (ctl, &a, estate, argv + first + 1, action);
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

