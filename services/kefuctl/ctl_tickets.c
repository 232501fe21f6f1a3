/*  kefuctl — tickets: file, show, list, note, close, reopen, cancel.  */
#include "ctl.h"
#include "kf_field.h"
#include "kf_json.h"
#include "kf_time.h"

#include <inttypes.h>

//  The command endpoint of the intake that owns an estate: the estate's
//  own (edge mode) or the cluster's.
static const char *
s_intake_endpoint (ctl_t *ctl, const char *estate)
{
    char path [128];
    if (estate && kf_config_estate_find (ctl->config, estate)) {
        snprintf (path, sizeof path, "estates/%s/intake_endpoint", estate);
        const char *own = kf_config_str (ctl->config, path);
        if (own)
            return own;
    }
    return kf_config_str (ctl->config, "services/intake/endpoint");
}

static Kf__Reply *
s_call_intake (ctl_t *ctl, const char *estate, Kf__Request *request)
{
    return ctl_call (ctl, "kefu-intake", s_intake_endpoint (ctl, estate), request);
}

//  ---- printing ------------------------------------------------------------------------

static void
s_print_ticket (ctl_t *ctl, const Kf__Ticket *t)
{
    const Kf__TicketFiled *f = t->filed;
    char when [64], when2 [64];
    const kf_estate_t *estate = kf_config_estate_find (ctl->config, t->estate ? t->estate : "");
    printf ("ticket     %s   %s   priority %s\n", t->ticket_no,
            ctl_enum_name (&kf__ticket_status__descriptor, t->status),
            f ? ctl_enum_name (&kf__priority__descriptor, f->priority) : "-");
    printf ("estate     %s %s   unit %s\n", t->estate, estate ? estate->name : "", f && f->unit ? f->unit : "-");
    if (!f)
        return;
    printf ("reporter   %s  %s\n", f->reporter_name ? f->reporter_name : "-", f->reporter_phone ? f->reporter_phone : "-");
    printf ("case       %s / %s, by %s\n", ctl_enum_name (&kf__ticket_type__descriptor, f->type),
            ctl_enum_name (&kf__category__descriptor, f->category), ctl_enum_name (&kf__channel__descriptor, f->channel));
    if (f->n_hazards) {
        printf ("hazards   ");
        for (size_t i = 0; i < f->n_hazards; i++)
            printf (" %s", ctl_enum_name (&kf__hazard__descriptor, f->hazards [i]));
        printf ("\n");
    }
    printf ("filed      %s by %s\n", ctl_time (ctl, t->estate, t->filed_at_ms, when, sizeof when),
            f->filed_by ? f->filed_by : "-");
    printf ("text       %s\n", f->description ? f->description : "");
    for (size_t i = 0; i < f->n_photo_urls; i++)
        printf ("photo      %s\n", f->photo_urls [i]);
    if (t->status == KF__TICKET_STATUS__TICKET_STATUS_CLOSED)
        printf ("closed     %s: %s\n", ctl_time (ctl, t->estate, t->closed_at_ms, when2, sizeof when2),
                t->resolution ? t->resolution : "");
    if (t->status == KF__TICKET_STATUS__TICKET_STATUS_CANCELLED)
        printf ("cancelled  %s\n", t->cancel_reason ? t->cancel_reason : "");
    if (t->reopen_count)
        printf ("reopened   %" PRIu32 " time%s\n", t->reopen_count, t->reopen_count == 1 ? "" : "s");
    if (t->n_timeline == 0)
        return;
    printf ("\ntimeline\n");
    ctl_table_t *table = ctl_table_new (4, "  WHEN", "EVENT", "BY", "WHAT");
    for (size_t i = 0; i < t->n_timeline; i++) {
        const Kf__TimelineEntry *e = t->timeline [i];
        char at [64], what [256];
        snprintf (at, sizeof at, "  %s", ctl_time (ctl, t->estate, e->at_ms, when, sizeof when));
        ctl_table_row (table, at, e->kind, e->actor, ctl_cut (e->summary ? e->summary : "", 100, what, sizeof what));
    }
    ctl_table_print (&table, stdout);
}

static int
s_print_reply_ticket (ctl_t *ctl, Kf__Reply *reply)
{
    if (reply->result_case != KF__REPLY__RESULT_TICKET)
        return ctl_fail (CTL_FAILED, "kefu-intake answered with something other than a ticket");
    if (ctl->json)
        ctl_print_json (&reply->ticket->base);
    else
        s_print_ticket (ctl, reply->ticket);
    return 0;
}

//  ---- file ----------------------------------------------------------------------------

typedef struct {
    Kf__FileTicket *filing;
    const char *from_json;
    char *photos [16];
    int hazards [16];
} s_file_t;

static int
s_file_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_file_t *a = arg;
    Kf__FileTicket *f = a->filing;
    int v;
    switch (option) {
        case 'e': f->estate = (char *) value; break;
        case 'u': f->unit = (char *) value; break;
        case 'n': f->reporter_name = (char *) value; break;
        case 'p': f->reporter_phone = (char *) value; break;
        case 'd': f->description = (char *) value; break;
        case 'k': f->idempotency_key = (char *) value; break;
        case 'j': a->from_json = value; break;
        case 't':
            if (ctl_enum (&kf__ticket_type__descriptor, "--type", value, &v))
                return -1;
            KF_SET (f, type, v);
            break;
        case 'c':
            if (ctl_enum (&kf__channel__descriptor, "--channel", value, &v))
                return -1;
            KF_SET (f, channel, v);
            break;
        case 'g':
            if (ctl_enum (&kf__category__descriptor, "--category", value, &v))
                return -1;
            KF_SET (f, category, v);
            break;
        case 'z':
            if (ctl_enum (&kf__hazard__descriptor, "--hazard", value, &v))
                return -1;
            if (f->n_hazards == 16)
                return ctl_fail (-1, "file: too many --hazard");
            a->hazards [f->n_hazards++] = v;
            break;
        case 'P':
            if (f->n_photo_urls == 16)
                return ctl_fail (-1, "file: too many --photo");
            a->photos [f->n_photo_urls++] = (char *) value;
            break;
    }
    return 0;
}

//  The first of what the usage shows without brackets that a filing lacks,
//  or NULL: one missing is a wrong command line (exit 2), not a refusal.
static const char *
s_missing (const Kf__FileTicket *f)
{
    return !f->reporter_phone ? "--phone PHONE" : !f->has_type ? "--type T" : !f->has_channel ? "--channel C" : !f->has_category ? "--category C"
         : !f->description ? "a DESCRIPTION" : NULL;
}

static int
s_file (ctl_t *ctl, int argc, char **argv)
{
    static const struct option spec [] = {
        { "estate", required_argument, NULL, 'e' }, { "unit", required_argument, NULL, 'u' },
        { "name", required_argument, NULL, 'n' }, { "phone", required_argument, NULL, 'p' },
        { "type", required_argument, NULL, 't' }, { "channel", required_argument, NULL, 'c' },
        { "category", required_argument, NULL, 'g' }, { "hazard", required_argument | CTL_REPEATED, NULL, 'z' },
        { "photo", required_argument | CTL_REPEATED, NULL, 'P' }, { "description", required_argument, NULL, 'd' },
        { "key", required_argument, NULL, 'k' }, { "from-json", required_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 }
    };
    Kf__FileTicket filing = KF__FILE_TICKET__INIT;
    s_file_t a = { .filing = &filing };
    int code;
    int first = ctl_options (ctl, &ctl_file_command, argc, argv, spec, s_file_option, &a, &code);
    if (first < 0)
        return code;
    filing.photo_urls = a.photos;
    filing.hazards = (Kf__Hazard *) a.hazards;
    Kf__FileTicket *from_json = NULL;
    if (a.from_json) {
        if (first < argc || filing.estate || filing.unit || filing.description)
            return ctl_fail (CTL_USAGE, "file: --from-json takes the whole filing; give no other fields");
        FILE *in = strcmp (a.from_json, "-") == 0 ? stdin : fopen (a.from_json, "r");
        if (!in)
            return ctl_fail (CTL_USAGE, "file: cannot read %s: %s", a.from_json, strerror (errno));
        char *text = NULL;
        size_t size = 0;
        FILE *mem = open_memstream (&text, &size);
        char chunk [4096];
        size_t n;
        while (mem && (n = fread (chunk, 1, sizeof chunk, in)) > 0)
            fwrite (chunk, 1, n, mem);
        if (mem)
            fclose (mem);
        if (in != stdin)
            fclose (in);
        kf_err_t err;
        from_json = text ? (Kf__FileTicket *) kf_json_decode (&kf__file_ticket__descriptor, text, size, &err) : NULL;
        free (text);
        if (!from_json)
            return ctl_fail (CTL_USAGE, "file: %s: %s", a.from_json, text ? err.text : "out of memory");
    }
    //  The description: --description, or the remaining words.
    char *joined = NULL;
    if (!from_json && first < argc) {
        if (filing.description)
            return ctl_fail (CTL_USAGE, "file: give the description once, as --description or as words");
        filing.description = joined = ctl_join (argc, argv, first);
    }
    //  The estate may come from --scope, as for every command.
    int rc = CTL_FAILED;
    if (!from_json) {
        const char *missing = NULL;
        if (!ctl_config (ctl) || !(filing.estate = (char *) ctl_estate (ctl, "file", filing.estate, &rc))
        ||  (missing = s_missing (&filing))) {
            free (joined);
            return missing ? ctl_fail (CTL_USAGE, "file: %s is required (see kefuctl file --help)", missing) : rc;
        }
    }
    //  Without a key, one made here: a retry of this command files again,
    //  a retry with --key KEY does not.
    char key [40];
    Kf__FileTicket *f = from_json ? from_json : &filing;
    if (!f->idempotency_key) {
        snprintf (key, sizeof key, "ctl-%08x%08x%08x", (unsigned) randof (0x7fffffff), (unsigned) getpid (),
                  (unsigned) zclock_time ());
        f->idempotency_key = key;
    }
    if (ctl_config (ctl)) {
        Kf__Request request;
        ctl_request_init (ctl, &request);
        request.command_case = KF__REQUEST__COMMAND_FILE_TICKET;
        request.file_ticket = f;
        Kf__Reply *reply = s_call_intake (ctl, f->estate, &request);
        if (reply) {
            rc = s_print_reply_ticket (ctl, reply);
            kf_codec_free ((ProtobufCMessage **) &reply);
        }
    }
    if (from_json && f->idempotency_key == key)
        from_json->idempotency_key = NULL;
    kf_codec_free ((ProtobufCMessage **) &from_json);
    free (joined);
    return rc;
}

const ctl_command_t ctl_file_command = {
    "file", "file a new ticket",
    "file --estate E [--unit B-U-R] [--name NAME] --phone PHONE --type T --channel C --category C\n"
    "            [--hazard H]... [--photo URL]... [--key KEY] DESCRIPTION...\n"
    "       kefuctl file --from-json FILE|-\n\n"
    "Files a ticket with kefu-intake and prints it with its number. Without --unit\n"
    "(or --name), the unit (or name) the estate's register has for the phone; once\n"
    "the register holds units, a unit it does not hold is refused.\n"
    "  --type      repair, complaint, enquiry, suggestion, emergency_help, renovation_application\n"
    "  --channel   counter, phone, on_site_visit, app_web, hotline, suggestion_box\n"
    "  --category  water_leak, plumbing, electrical, lift, doors_locks, fire_safety,\n"
    "              security_installations, gas, cleaning, greening, pests, noise, parking,\n"
    "              renovation_violation, fees, other\n"
    "  --hazard    leak_into_home, person_trapped, gas_smell, smoke_or_fire, injury, no_power, no_water,\n"
    "              electrical_danger; all but no_power and no_water are life safety: an emergency\n"
    "              24x7 whatever the estate's priority rules\n"
    "  --key KEY   idempotency key: filing again with the same key returns the same ticket\n"
    "              and files nothing new (default: a new key each time)\n"
    "  --from-json a FileTicket as JSON (fields as in proto/ticket.proto)",
    s_file, NULL
};

//  ---- one ticket: show, note, close, reopen, cancel ------------------------------------


//  show TICKET | note TICKET TEXT... | close TICKET TEXT... | ...
static int
s_one_ticket (ctl_t *ctl, const ctl_command_t *command, Kf__Request__CommandCase what, int argc, char **argv)
{
    int code;
    int first = ctl_options (ctl, command, argc, argv, NULL, ctl_no_option, NULL, &code);
    if (first < 0)
        return code;
    bool wants_text = what != KF__REQUEST__COMMAND_SHOW_TICKET;
    if (first >= argc)
        return ctl_fail (CTL_USAGE, "%s: which ticket? (see kefuctl %s --help)", command->name, command->name);
    if (wants_text && first + 1 >= argc)
        return ctl_fail (CTL_USAGE, "%s: %s needs a text (see kefuctl %s --help)", command->name, argv [first],
                         command->name);
    if (!wants_text && first + 1 < argc)
        return ctl_fail (CTL_USAGE, "%s: unexpected argument '%s'", command->name, argv [first + 1]);
    if (!ctl_config (ctl))
        return CTL_FAILED;
    char *ticket_no = argv [first], *text = NULL;
    if (wants_text && !(text = ctl_join (argc, argv, first + 1)))
        return ctl_fail (CTL_FAILED, "out of memory");
    Kf__Request request;
    ctl_request_init (ctl, &request);
    Kf__ShowTicket show = KF__SHOW_TICKET__INIT;
    Kf__AddNote note = KF__ADD_NOTE__INIT;
    Kf__CloseTicket close = KF__CLOSE_TICKET__INIT;
    Kf__ReopenTicket reopen = KF__REOPEN_TICKET__INIT;
    Kf__CancelTicket cancel = KF__CANCEL_TICKET__INIT;
    request.command_case = what;
    switch (what) {
        case KF__REQUEST__COMMAND_SHOW_TICKET:
            show.ticket_no = ticket_no;
            request.show_ticket = &show;
            break;
        case KF__REQUEST__COMMAND_ADD_NOTE:
            note.ticket_no = ticket_no;
            note.note = text;
            request.add_note = &note;
            break;
        case KF__REQUEST__COMMAND_CLOSE_TICKET:
            close.ticket_no = ticket_no;
            close.resolution = text;
            request.close_ticket = &close;
            break;
        case KF__REQUEST__COMMAND_REOPEN_TICKET:
            reopen.ticket_no = ticket_no;
            reopen.reason = text;
            request.reopen_ticket = &reopen;
            break;
        case KF__REQUEST__COMMAND_CANCEL_TICKET:
            cancel.ticket_no = ticket_no;
            cancel.reason = text;
            request.cancel_ticket = &cancel;
            break;
        default:
            break;
    }
    char estate [KF_ID_MAX + 1];
    kf_ticket_no_estate (ticket_no, estate, sizeof estate);
    Kf__Reply *reply = s_call_intake (ctl, estate, &request);
    int rc = reply ? s_print_reply_ticket (ctl, reply) : CTL_FAILED;
    kf_codec_free ((ProtobufCMessage **) &reply);
    free (text);
    return rc;
}

static int
s_show (ctl_t *ctl, int argc, char **argv)
{
    return s_one_ticket (ctl, &ctl_show_command, KF__REQUEST__COMMAND_SHOW_TICKET, argc, argv);
}

static int
s_note (ctl_t *ctl, int argc, char **argv)
{
    return s_one_ticket (ctl, &ctl_note_command, KF__REQUEST__COMMAND_ADD_NOTE, argc, argv);
}

static int
s_close (ctl_t *ctl, int argc, char **argv)
{
    return s_one_ticket (ctl, &ctl_close_command, KF__REQUEST__COMMAND_CLOSE_TICKET, argc, argv);
}

static int
s_reopen (ctl_t *ctl, int argc, char **argv)
{
    return s_one_ticket (ctl, &ctl_reopen_command, KF__REQUEST__COMMAND_REOPEN_TICKET, argc, argv);
}

static int
s_cancel (ctl_t *ctl, int argc, char **argv)
{
    return s_one_ticket (ctl, &ctl_cancel_command, KF__REQUEST__COMMAND_CANCEL_TICKET, argc, argv);
}

const ctl_command_t ctl_show_command = {
    "show", "one ticket with its whole timeline",
    "show TICKET\n\nPrints the ticket and its timeline: filed, dispatched, accepted, transferred,\n"
    "escalated, completed, visited, satisfied or not.", s_show, NULL
};
const ctl_command_t ctl_note_command = {
    "note", "add a note to a ticket's timeline",
    "note TICKET TEXT...\n\nAdds a note (1 to 2,000 characters) to the ticket's timeline.", s_note, NULL
};
const ctl_command_t ctl_close_command = {
    "close", "close an open ticket, with its resolution",
    "close TICKET RESOLUTION...\n\nCloses an open ticket; the resolution says what was done.", s_close, NULL
};
const ctl_command_t ctl_reopen_command = {
    "reopen", "reopen a closed ticket, with the reason",
    "reopen TICKET REASON...\n\nReopens a closed ticket. A ticket reopened twice escalates to level 2.", s_reopen, NULL
};
const ctl_command_t ctl_cancel_command = {
    "cancel", "cancel a ticket for good (supervisors), with the reason",
    "cancel TICKET REASON...\n\nWithdraws a ticket for good. Only a supervisor or a manager may (--role).",
    s_cancel, NULL
};

//  ---- list ----------------------------------------------------------------------------

typedef struct {
    Kf__ListTickets *query;
    Kf__TimeRange *range;
    Kf__PageRequest *page;
    const char *from, *to;
    bool all;
} s_list_t;

static int
s_list_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_list_t *a = arg;
    Kf__ListTickets *q = a->query;
    int v;
    switch (option) {
        case 'e': q->estate = (char *) value; break;
        case 'u': q->unit = (char *) value; break;
        case 'p': q->reporter_phone = (char *) value; break;
        case 'x': q->text = (char *) value; break;
        case 'o': q->overdue = q->has_overdue = 1; break;
        case 'f': a->from = value; break;
        case 'T': a->to = value; break;
        case 'a': a->all = true; break;
        case 'P': a->page->page_token = (char *) value; break;
        case 'n':
            return ctl_page_size ("list", value, a->page);
        case 's':
            if (ctl_enum (&kf__ticket_status__descriptor, "--status", value, &v))
                return -1;
            KF_SET (q, status, v);
            break;
        case 't':
            if (ctl_enum (&kf__ticket_type__descriptor, "--type", value, &v))
                return -1;
            KF_SET (q, type, v);
            break;
        case 'g':
            if (ctl_enum (&kf__category__descriptor, "--category", value, &v))
                return -1;
            KF_SET (q, category, v);
            break;
    }
    return 0;
}

static int
s_ticket_rows (ctl_t *ctl, const Kf__Reply *reply, ctl_table_t *table, bool all, ctl_page_t *page, void *arg)
{
    (void) arg;
    if (reply->result_case != KF__REPLY__RESULT_TICKETS)
        return -1;
    const Kf__TicketList *list = reply->tickets;
    page->rows = list->n_tickets;
    page->total = list->total;
    page->next_token = list->next_page_token;
    if (!table && !all) {
        ctl_print_json (&list->base);
        return 0;
    }
    for (size_t i = 0; i < list->n_tickets; i++) {
        const Kf__Ticket *t = list->tickets [i];
        const Kf__TicketFiled *f = t->filed;
        if (!table) {
            ctl_print_json (&t->base);
            continue;
        }
        char when [64], text [128];
        ctl_table_row (table, t->ticket_no, ctl_time (ctl, t->estate, t->filed_at_ms, when, sizeof when),
                       ctl_enum_name (&kf__ticket_status__descriptor, t->status),
                       f ? ctl_enum_name (&kf__priority__descriptor, f->priority) : "-",
                       f ? ctl_enum_name (&kf__ticket_type__descriptor, f->type) : "-",
                       f ? ctl_enum_name (&kf__category__descriptor, f->category) : "-",
                       f ? f->unit : "-", ctl_cut (f && f->description ? f->description : "", 40, text, sizeof text));
    }
    return 0;
}

static int
s_list (ctl_t *ctl, int argc, char **argv)
{
    static const struct option spec [] = {
        { "estate", required_argument, NULL, 'e' }, { "status", required_argument, NULL, 's' },
        { "type", required_argument, NULL, 't' }, { "category", required_argument, NULL, 'g' },
        { "unit", required_argument, NULL, 'u' }, { "from", required_argument, NULL, 'f' },
        { "to", required_argument, NULL, 'T' }, { "page-size", required_argument, NULL, 'n' },
        { "page", required_argument, NULL, 'P' }, { "all", no_argument, NULL, 'a' },
        { "phone", required_argument, NULL, 'p' }, { "text", required_argument, NULL, 'x' },
        { "overdue", no_argument, NULL, 'o' }, { NULL, 0, NULL, 0 }
    };
    Kf__ListTickets query = KF__LIST_TICKETS__INIT;
    Kf__TimeRange range = KF__TIME_RANGE__INIT;
    Kf__PageRequest page = KF__PAGE_REQUEST__INIT;
    s_list_t a = { .query = &query, .range = &range, .page = &page };
    query.page = &page;
    int code;
    int first = ctl_options (ctl, &ctl_list_command, argc, argv, spec, s_list_option, &a, &code);
    if (first < 0)
        return code;
    if (first < argc)
        return ctl_fail (CTL_USAGE, "list: unexpected argument '%s'", argv [first]);
    if (!ctl_config (ctl))
        return CTL_FAILED;
    if (query.estate && !kf_config_estate_find (ctl->config, query.estate))
        return ctl_fail (CTL_FAILED, "list: unknown estate '%s'", query.estate);
    if (a.from && ctl_period_time (ctl, "list", query.estate, a.from, false, &range.from_ms))
        return CTL_USAGE;
    if (a.to && ctl_period_time (ctl, "list", query.estate, a.to, true, &range.to_ms))
        return CTL_USAGE;
    range.has_from_ms = a.from != NULL;
    range.has_to_ms = a.to != NULL;
    if (a.from || a.to)
        query.filed = &range;

    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_LIST_TICKETS;
    request.list_tickets = &query;
    ctl_table_t *table = ctl->json ? NULL
        : ctl_table_new (8, "TICKET", "FILED", "STATUS", "PRIORITY", "TYPE", "CATEGORY", "UNIT", "DESCRIPTION");
    int rc = ctl_list_pages (ctl, "kefu-intake", s_intake_endpoint (ctl, query.estate), &request, &page, a.all, table,
                             "ticket", s_ticket_rows, NULL);
    if (!query.estate && !ctl->json && rc == 0) {
        //  Edge-owned estates live in their own intake: say so, not silently.
        for (size_t i = 0; i < kf_config_estate_count (ctl->config); i++) {
            const kf_estate_t *e = kf_config_estate (ctl->config, i);
            char path [128];
            snprintf (path, sizeof path, "estates/%s/intake_endpoint", e->id);
            if (kf_config_str (ctl->config, path))
                fprintf (stderr, "kefuctl: estate %s is filed by %s: list it with --estate %s\n", e->id, e->intake, e->id);
        }
    }
    return rc;
}

const ctl_command_t ctl_list_command = {
    "list", "list tickets, newest first, by estate, status, type, category, unit, phone, words, dates",
    "list [--estate E] [--status open|closed|cancelled] [--type T] [--category C] [--unit B-U-R]\n"
    "            [--phone P] [--text WORDS] [--overdue] [--from DATE] [--to DATE]\n"
    "            [--page-size N] [--page TOKEN | --all]\n\n"
    "Lists tickets, newest first. Filters combine: --phone the reporter's, --text words of the\n"
    "description, unit or reporter (any case), --overdue those with a target missed. DATE is 2026-11-23 or 2026-11-23 18:00 in the\n"
    "estate's local time; --to a date includes that day. A page holds 50 tickets unless\n"
    "--page-size says; --page TOKEN shows the next one, --all every page. With --json, one\n"
    "TicketList per page (--all: one Ticket per line).", s_list, NULL
};
