/*  kefuctl — fees: units (list, import), billing (run, pay, refund,
    statement, schedule), report collection and report arrears.  */
#include "ctl.h"
#include "kf_field.h"
#include "kf_money.h"
#include "kf_rate.h"
#include "kf_time.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#define S_CSV_MAX (KF_CODEC_MAX_MESSAGE - 4096)   //  the CSV and the request around it

static Kf__Reply *
s_call (ctl_t *ctl, Kf__Request *request)
{
    return ctl_call (ctl, "kefu-billing", kf_config_str (ctl->config, "services/billing/endpoint"), request);
}

static const char *
s_money (int64_t fen, char *buf, size_t size)
{
    return kf_fen_format (fen, buf, size);
}

//  "2026-11" -> 202611. YYYY-MM only: "2026-1" and "202611" are refused,
//  so a month is always written one way.
static int
s_period (const char *command, const char *text, uint32_t *period)
{
    bool digits = strlen (text) == 7 && text [4] == '-';
    for (int i = 0; digits && i < 7; i++)
        digits = i == 4 || isdigit ((unsigned char) text [i]);
    unsigned year = digits ? (unsigned) atoi (text) : 0, month = digits ? (unsigned) atoi (text + 5) : 0;
    if (year >= 2000 && year <= 2999 && month >= 1 && month <= 12) {
        *period = year * 100 + month;
        return 0;
    }
    return ctl_fail (-1, "%s: '%s' is not a month (YYYY-MM)", command, text);
}

static int
s_fen (const char *command, const char *what, const char *text, int64_t *fen)
{
    kf_err_t err;
    if (kf_fen_parse (text, fen, &err))
        return ctl_fail (-1, "%s: %s: %s", command, what, err.text);
    return 0;
}

typedef struct {
    const char *estate, *ref, *method, *from, *to, *period, *page_token;
    const char *rates [16], *fixed [16];
    size_t rate_count, fixed_count;
    const char *parking, *discount;
    Kf__PageRequest *page;
    bool all, no_wait;
} s_args_t;

static int
s_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_args_t *a = arg;
    switch (option) {
        case 'e': a->estate = value; break;
        case 'r': a->ref = value; break;
        case 'm': a->method = value; break;
        case 'f': a->from = value; break;
        case 'T': a->to = value; break;
        case 'p': a->period = value; break;
        case 'P': if (a->page) a->page->page_token = (char *) value; break;
        case 'a': a->all = true; break;
        case 'W': a->no_wait = true; break;
        case 'k': a->parking = value; break;
        case 'd': a->discount = value; break;
        case 'n': return a->page ? ctl_page_size ("units", value, a->page) : 0;
        case 'R':
            if (a->rate_count == 16)
                return ctl_fail (-1, "billing schedule: at most 16 --rate");
            a->rates [a->rate_count++] = value;
            break;
        case 'F':
            if (a->fixed_count == 16)
                return ctl_fail (-1, "billing schedule: at most 16 --fixed");
            a->fixed [a->fixed_count++] = value;
            break;
    }
    return 0;
}

static const struct option s_spec [] = {
    { "estate", required_argument, NULL, 'e' }, { "ref", required_argument, NULL, 'r' },
    { "method", required_argument, NULL, 'm' }, { "from", required_argument, NULL, 'f' },
    { "to", required_argument, NULL, 'T' }, { "period", required_argument, NULL, 'p' },
    { "page", required_argument, NULL, 'P' }, { "page-size", required_argument, NULL, 'n' },
    { "all", no_argument, NULL, 'a' }, { "rate", required_argument | CTL_REPEATED, NULL, 'R' },
    { "fixed", required_argument | CTL_REPEATED, NULL, 'F' }, { "parking", required_argument, NULL, 'k' },
    { "vacant-discount", required_argument, NULL, 'd' }, { "no-wait", no_argument, NULL, 'W' },
    { NULL, 0, NULL, 0 }
};

//  ---- units -------------------------------------------------------------------------------------

static char *
s_read_file (const char *path, size_t *size)
{
    FILE *file = strcmp (path, "-") == 0 ? stdin : fopen (path, "rb");
    if (!file) {
        ctl_fail (CTL_FAILED, "units import: cannot open %s: %s", path, strerror (errno));
        return NULL;
    }
    char *data = malloc (S_CSV_MAX + 1);
    *size = data ? fread (data, 1, S_CSV_MAX + 1, file) : 0;
    bool failed = ferror (file);
    if (file != stdin)
        fclose (file);
    if (!data || failed || *size > S_CSV_MAX) {
        ctl_fail (CTL_FAILED, "units import: %s: %s", path, !data ? "out of memory" : failed ? "cannot read it"
                                                                 : "larger than 4 MiB (about 100,000 units): import the estate in parts");
        free (data);
        return NULL;
    }
    return data;
}

static void
s_print_import (ctl_t *ctl, const Kf__Reply *reply)
{
    (void) ctl;
    printf ("%u units imported\n", reply->import_report->accepted);
}

//  A daemon's cursor on a stream: how far it has applied it.
static uint64_t
s_cursor (ctl_t *ctl, const char *who, const char *endpoint, const char *stream)
{
    Kf__GetBusStatus get = KF__GET_BUS_STATUS__INIT;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_BUS_STATUS;
    request.bus_status = &get;
    Kf__Reply *reply = ctl_call (ctl, who, endpoint, &request);
    uint64_t seq = 0;
    for (size_t c = 0; reply && reply->result_case == KF__REPLY__RESULT_BUS_STATUS
                       && c < reply->bus_status->n_cursors; c++) {
        const Kf__Cursor *cursor = reply->bus_status->cursors [c];
        if (cursor->stream && strcmp (cursor->stream, stream) == 0)
            seq = cursor->last_seq;
    }
    kf_codec_free ((ProtobufCMessage **) &reply);
    return seq;
}

//  The registry answers an import once it is committed; billing bills the
//  units, and the estate's intake files for them, once their events reach
//  each. So that a `billing run` or a filing straight after an import
//  sees the new units, the import waits (up to --timeout) until both
//  cursors on the registry's stream are where the import left it.
static void
s_wait_for_consumers (ctl_t *ctl, const char *estate, const Kf__ImportReport *report)
{
    if (!report->stream || !report->head)
        return;
    char path [128];
    snprintf (path, sizeof path, "estates/%s/intake_endpoint", estate);
    const char *intake = kf_config_str (ctl->config, path);
    struct { const char *who, *endpoint; } consumers [] = {
        { "kefu-billing", kf_config_str (ctl->config, "services/billing/endpoint") },
        { "kefu-intake", intake ? intake : kf_config_str (ctl->config, "services/intake/endpoint") },
    };
    int64_t deadline = zclock_mono () + ctl->timeout_ms;
    for (size_t i = 0; i < sizeof consumers / sizeof consumers [0]; i++) {
        uint64_t seq;
        while ((seq = s_cursor (ctl, consumers [i].who, consumers [i].endpoint, report->stream)) < report->head
               && zclock_mono () < deadline)
            zclock_sleep (20);
        if (seq < report->head)
            fprintf (stderr, "units import: %s has not applied the import yet (%s at %" PRIu64 " of %" PRIu64
                     "): it will once it has\n", consumers [i].who, report->stream, seq, report->head);
    }
}

static int
s_unit_rows (ctl_t *ctl, const Kf__Reply *reply, ctl_table_t *table, bool all, ctl_page_t *page, void *arg)
{
    (void) ctl; (void) arg;
    if (reply->result_case != KF__REPLY__RESULT_UNITS)
        return -1;
    const Kf__UnitList *list = reply->units;
    page->rows = list->n_units;
    page->total = list->total;
    page->next_token = list->next_page_token;
    if (!table && !all) {
        ctl_print_json (&list->base);
        return 0;
    }
    for (size_t i = 0; i < list->n_units; i++) {
        const Kf__Unit *u = list->units [i];
        if (!table) {
            ctl_print_json (&u->base);
            continue;
        }
        char area [32], balance [32], spaces [16], move_in [16] = "-";
        snprintf (spaces, sizeof spaces, "%u", u->parking_spaces);
        if (u->move_in_date)
            snprintf (move_in, sizeof move_in, "%04u-%02u-%02u", u->move_in_date / 10000, u->move_in_date / 100 % 100,
                      u->move_in_date % 100);
        ctl_table_row (table, u->unit, kf_fen_format (u->area_centi_m2, area, sizeof area), u->building_type,
                       u->occupied ? "occupied" : "vacant", move_in, spaces, u->owner_name,
                       s_money (u->balance_fen, balance, sizeof balance));
    }
    return 0;
}

static int
s_units (ctl_t *ctl, int argc, char **argv)
{
    Kf__PageRequest page = KF__PAGE_REQUEST__INIT;
    s_args_t a = { .page = &page };
    int code;
    int first = ctl_options (ctl, &ctl_units_command, argc, argv, s_spec, s_option, &a, &code);
    if (first < 0)
        return code;
    bool import = first < argc && strcmp (argv [first], "import") == 0;
    if (first < argc && !import && strcmp (argv [first], "list") != 0)
        return ctl_fail (CTL_USAGE, "units: unknown action '%s' (list or import)", argv [first]);
    if (import && first + 2 != argc)
        return ctl_fail (CTL_USAGE, "units import: give one FILE (or - for stdin)");
    if (!import && first + 1 < argc)
        return ctl_fail (CTL_USAGE, "units: unexpected argument '%s'", argv [first + 1]);
    if (!ctl_config (ctl))
        return CTL_FAILED;
    const char *estate = ctl_estate (ctl, import ? "units import" : "units", a.estate, &code);
    if (!estate)
        return code;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    if (!import) {
        Kf__ListUnits list = KF__LIST_UNITS__INIT;
        list.estate = (char *) estate;
        list.page = &page;
        request.command_case = KF__REQUEST__COMMAND_LIST_UNITS;
        request.list_units = &list;
        ctl_table_t *table = ctl->json ? NULL : ctl_table_new (8, "UNIT", "AREA M²", "TYPE", "STATE", "MOVED IN",
                                                               "PARKING", "OWNER", "BALANCE ¥");
        return ctl_list_pages (ctl, "kefu-billing", kf_config_str (ctl->config, "services/billing/endpoint"),
                               &request, &page, a.all, table, "unit", s_unit_rows, NULL);
    }
    size_t size;
    char *csv = s_read_file (argv [first + 1], &size);
    if (!csv)
        return CTL_FAILED;
    Kf__ImportUnits units = KF__IMPORT_UNITS__INIT;
    units.estate = (char *) estate;
    units.csv.data = (uint8_t *) csv;
    units.csv.len = size;
    units.has_csv = 1;
    request.command_case = KF__REQUEST__COMMAND_IMPORT_UNITS;
    request.import_units = &units;
    ctl->keep_failed = true;
    Kf__Reply *reply = ctl_call (ctl, "kefu-registry", kf_config_str (ctl->config, "services/registry/endpoint"),
                                 &request);
    free (csv);
    if (reply && reply->result_case == KF__REPLY__RESULT_IMPORT_REPORT && !a.no_wait)
        s_wait_for_consumers (ctl, estate, reply->import_report);
    if (!reply && ctl->failed && ctl->failed->result_case == KF__REPLY__RESULT_IMPORT_REPORT) {
        //  Every rejected line, for whoever fixes the file.
        const Kf__ImportReport *r = ctl->failed->import_report;
        if (ctl->json)
            ctl_print_json (&r->base);
        else
            for (size_t i = 0; i < r->n_rejected; i++)
                printf ("%s\n", r->rejected [i]);
    }
    kf_codec_free ((ProtobufCMessage **) &ctl->failed);
    return ctl_print_result (ctl, "kefu-registry", reply, KF__REPLY__RESULT_IMPORT_REPORT, s_print_import);
}

const ctl_command_t ctl_units_command = {
    "units", "the estate's units: list them, import them from CSV (all or nothing)",
    "units [list] --estate E [--page-size N] [--page TOKEN | --all]\n"
    "       kefuctl units import FILE|- --estate E [--no-wait]\n\n"
    "import sends a CSV to kefu-registry, whose header names its columns: unit and\n"
    "area_m2, and any of owner_name, owner_phone, occupied (yes/no), occupancy\n"
    "(vacant, handed_over, decorating, occupied, let), move_in_date (YYYY-MM-DD),\n"
    "building_type (keys the fee rate), parking_spaces. Every rejected line is\n"
    "printed, and then nothing is imported. Units already there are updated.\n"
    "It then waits until kefu-billing and the estate's kefu-intake have the units\n"
    "(--no-wait: it does not).\n"
    "The list is billing's: each unit with its balance.",
    s_units, NULL
};

//  ---- billing -----------------------------------------------------------------------------------

static void
s_print_payment (ctl_t *ctl, const Kf__Reply *reply)
{
    (void) ctl;
    const Kf__PaymentReceived *p = reply->payment;
    char money [32];
    printf ("receipt %s: ¥%s from %s (%s)\n", p->receipt_no, s_money (p->amount_fen, money, sizeof money), p->unit,
            p->payment_ref);
    for (size_t i = 0; i < p->n_allocations; i++)
        printf ("  paid    %s  ¥%s\n", p->allocations [i]->invoice_no,
                s_money (p->allocations [i]->amount_fen, money, sizeof money));
    if (p->credit_fen)
        printf ("  credit  ¥%s kept for the next notice\n", s_money (p->credit_fen, money, sizeof money));
}

static void
s_print_refund (ctl_t *ctl, const Kf__Reply *reply)
{
    (void) ctl;
    char money [32];
    printf ("receipt %s: ¥%s refunded to %s of payment %s\n", reply->refund->receipt_no,
            s_money (reply->refund->amount_fen, money, sizeof money), reply->refund->unit, reply->refund->payment_ref);
}

//  One notice of a statement: what it charged line by line, its late fees,
//  what was paid, and each reminder sent.
static void
s_print_notice (ctl_t *ctl, const Kf__Invoice *n)
{
    const Kf__InvoiceIssued *i = n->issued;
    char due [64], money [32], paid [32], when [64];
    printf ("\nnotice %s (%04u-%02u), due by %s: ¥%s", i->invoice_no, i->period / 100, i->period % 100,
            ctl_time (ctl, n->estate, i->due_at_ms, due, sizeof due), s_money (i->total_fen + n->late_fee_fen, money,
                                                                             sizeof money));
    printf (", paid ¥%s, %s\n", s_money (n->paid_fen, paid, sizeof paid),
            n->settled_at_ms ? "settled" : "open");
    for (size_t l = 0; l < i->n_lines; l++)
        printf ("  %12s  %s\n", s_money (i->lines [l]->amount_fen, money, sizeof money), i->lines [l]->description);
    if (n->late_fee_fen)
        printf ("  %12s  late fees, %u day%s overdue past the grace period\n",
                s_money (n->late_fee_fen, money, sizeof money), n->late_fee_days, n->late_fee_days == 1 ? "" : "s");
    for (size_t r = 0; r < n->n_reminders; r++)
        printf ("  reminder sent %s, %u days overdue, ¥%s owed\n",
                ctl_time (ctl, n->estate, n->reminders [r]->sent_at_ms, when, sizeof when),
                n->reminders [r]->days_overdue, s_money (n->reminders [r]->outstanding_fen, money, sizeof money));
}

static void
s_print_statement (ctl_t *ctl, const Kf__Reply *reply)
{
    const Kf__Statement *s = reply->statement;
    ctl_table_t *table = ctl_table_new (5, "WHEN", "WHAT", "DEBIT ¥", "CREDIT ¥", "BALANCE ¥");
    for (size_t i = 0; i < s->n_lines; i++) {
        const Kf__StatementLine *l = s->lines [i];
        char when [64], debit [32] = "", credit [32] = "", balance [32];
        if (l->debit_fen)
            s_money (l->debit_fen, debit, sizeof debit);
        if (l->credit_fen)
            s_money (l->credit_fen, credit, sizeof credit);
        ctl_table_row (table, ctl_time (ctl, NULL, l->at_ms, when, sizeof when), l->what, debit, credit,
                       s_money (l->balance_fen, balance, sizeof balance));
    }
    ctl_table_print (&table, stdout);
    char balance [32];
    printf ("%s %s ¥%s\n", s->unit, s->balance_fen > 0 ? "owes" : "is in credit by",
            s_money (s->balance_fen > 0 ? s->balance_fen : -s->balance_fen, balance, sizeof balance));
    for (size_t i = 0; i < s->n_notices; i++)
        s_print_notice (ctl, s->notices [i]);
}

static void
s_print_schedule (ctl_t *ctl, const Kf__Reply *reply)
{
    (void) ctl;
    const Kf__FeeSchedule *f = reply->fee_schedule;
    char money [32];
    printf ("fee schedule from %u\n", f->effective_from);
    for (size_t i = 0; i < f->n_rates; i++)
        printf ("  %-12s ¥%s per m² a month\n", f->rates [i]->building_type,
                s_money (f->rates [i]->fen_per_m2_month, money, sizeof money));
    printf ("  parking      ¥%s per space a month\n", s_money (f->parking_fen_per_space, money, sizeof money));
    for (size_t i = 0; i < f->n_fixed_items; i++)
        printf ("  %-12s ¥%s a month\n", f->fixed_items [i]->name, s_money (f->fixed_items [i]->amount_fen, money, sizeof money));
    printf ("  vacant units %u %% off the management fee\n", f->vacant_discount_percent);
}

//  "name:12.50" -> name, fen.
static int
s_named_money (const char *option, const char *text, char *name, size_t size, int64_t *fen)
{
    const char *colon = strchr (text, ':');
    if (!colon || colon == text || (size_t) (colon - text) >= size)
        return ctl_fail (-1, "billing schedule: %s '%s' is not NAME:YUAN (e.g. highrise:2.35)", option, text);
    snprintf (name, size, "%.*s", (int) (colon - text), text);
    return s_fen ("billing schedule", option, colon + 1, fen);
}

static int
s_schedule (ctl_t *ctl, const s_args_t *a, const char *estate, Kf__Request *request)
{
    Kf__FeeSchedule f = KF__FEE_SCHEDULE__INIT;
    Kf__BuildingRate rates [16], *rate_p [16];
    Kf__FeeItem items [16], *item_p [16];
    char rate_names [16][64], item_names [16][64];
    int64_t day;
    kf_err_t err;
    if (!a->from || kf_date_parse (a->from, &day, &err))
        return ctl_fail (CTL_USAGE, "billing schedule: --from YYYY-MM-DD is required%s%s", a->from ? ": " : "",
                         a->from ? err.text : "");
    if (a->rate_count == 0)
        return ctl_fail (CTL_USAGE, "billing schedule: give at least one --rate TYPE:YUAN");
    KF_SET (&f, effective_from, kf_day_to_yyyymmdd (day));
    for (size_t i = 0; i < a->rate_count; i++) {
        kf__building_rate__init (&rates [i]);
        if (s_named_money ("--rate", a->rates [i], rate_names [i], sizeof rate_names [i], &rates [i].fen_per_m2_month))
            return CTL_USAGE;
        rates [i].building_type = rate_names [i];
        rates [i].has_fen_per_m2_month = 1;
        rate_p [i] = &rates [i];
    }
    for (size_t i = 0; i < a->fixed_count; i++) {
        kf__fee_item__init (&items [i]);
        if (s_named_money ("--fixed", a->fixed [i], item_names [i], sizeof item_names [i], &items [i].amount_fen))
            return CTL_USAGE;
        items [i].name = item_names [i];
        items [i].has_amount_fen = 1;
        item_p [i] = &items [i];
    }
    f.rates = rate_p;
    f.n_rates = a->rate_count;
    f.fixed_items = item_p;
    f.n_fixed_items = a->fixed_count;
    if (a->parking && s_fen ("billing schedule", "--parking", a->parking, &f.parking_fen_per_space))
        return CTL_USAGE;
    f.has_parking_fen_per_space = 1;
    if (a->discount) {
        char *end;
        long percent = strtol (a->discount, &end, 10);
        if (*end || percent < 0 || percent > 100)
            return ctl_fail (CTL_USAGE, "billing schedule: --vacant-discount is a percentage, 0 to 100");
        KF_SET (&f, vacant_discount_percent, (uint32_t) percent);
    }
    Kf__SetFeeSchedule set = KF__SET_FEE_SCHEDULE__INIT;
    set.estate = (char *) estate;
    set.schedule = &f;
    request->command_case = KF__REQUEST__COMMAND_SET_FEE_SCHEDULE;
    request->set_fee_schedule = &set;
    return ctl_print_result (ctl, "kefu-billing", s_call (ctl, request), KF__REPLY__RESULT_FEE_SCHEDULE, s_print_schedule);
}

//  A run, request after request until every unit was visited.
static int
s_run (ctl_t *ctl, const s_args_t *a, const char *estate, Kf__Request *request)
{
    Kf__RunBilling run = KF__RUN_BILLING__INIT;
    if (!a->period || s_period ("billing run", a->period, &run.period))
        return a->period ? CTL_USAGE : ctl_fail (CTL_USAGE, "billing run: --period YYYY-MM is required");
    run.has_period = 1;
    run.estate = (char *) estate;
    request->command_case = KF__REQUEST__COMMAND_RUN_BILLING;
    request->run_billing = &run;
    uint64_t issued = 0, skipped = 0, later = 0;
    int64_t total = 0;
    for (int round = 0; round < 10000; round++) {
        Kf__Reply *reply = s_call (ctl, request);
        if (!reply)
            return CTL_FAILED;
        if (reply->result_case != KF__REPLY__RESULT_BILLING_RUN) {
            kf_codec_free ((ProtobufCMessage **) &reply);
            return ctl_fail (CTL_FAILED, "kefu-billing answered with something else");
        }
        const Kf__BillingRunResult *r = reply->billing_run;
        if (ctl->json)
            ctl_print_json (&r->base);
        issued += r->issued;
        skipped += r->skipped_already_billed;
        later += r->not_moved_in;
        total += r->total_fen;
        bool done = r->remaining == 0;
        kf_codec_free ((ProtobufCMessage **) &reply);
        if (done)
            break;
    }
    char money [32];
    if (!ctl->json)
        printf ("%s %04u-%02u: %" PRIu64 " notices issued (¥%s), %" PRIu64 " units already billed, %" PRIu64
                " not moved in yet\n", estate, run.period / 100, run.period % 100, issued,
                s_money (total, money, sizeof money), skipped, later);
    return 0;
}

static int
s_billing (ctl_t *ctl, int argc, char **argv)
{
    s_args_t a = { 0 };
    int code;
    int first = ctl_options (ctl, &ctl_billing_command, argc, argv, s_spec, s_option, &a, &code);
    if (first < 0)
        return code;
    if (first == argc)
        return ctl_fail (CTL_USAGE, "billing: which action? (run, pay, refund, statement, schedule)");
    const char *action = argv [first++];
    struct { const char *name; int operands; bool words; } actions [] = {
        { "run", 0, false }, { "schedule", 0, false }, { "statement", 1, false }, { "pay", 2, false },
        { "refund", 2, true },
    };
    size_t i = 0;
    while (i < 5 && strcmp (actions [i].name, action) != 0)
        i++;
    if (i == 5)
        return ctl_fail (CTL_USAGE, "billing: unknown action '%s' (run, pay, refund, statement, schedule)", action);
    int operands = argc - first;
    if (operands < actions [i].operands || (!actions [i].words && operands > actions [i].operands))
        return ctl_fail (CTL_USAGE, "billing %s: expected %d argument%s (see kefuctl billing --help)", action,
                         actions [i].operands, actions [i].operands == 1 ? "" : "s");
    if (!ctl_config (ctl))
        return CTL_FAILED;
    char command [32];
    snprintf (command, sizeof command, "billing %s", action);
    const char *estate = ctl_estate (ctl, command, a.estate, &code);
    if (!estate)
        return code;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    if (strcmp (action, "run") == 0)
        return s_run (ctl, &a, estate, &request);
    if (strcmp (action, "schedule") == 0)
        return s_schedule (ctl, &a, estate, &request);
    if (strcmp (action, "statement") == 0) {
        Kf__GetStatement get = KF__GET_STATEMENT__INIT;
        get.estate = (char *) estate;
        get.unit = argv [first];
        request.command_case = KF__REQUEST__COMMAND_STATEMENT;
        request.statement = &get;
        return ctl_print_result (ctl, "kefu-billing", s_call (ctl, &request), KF__REPLY__RESULT_STATEMENT, s_print_statement);
    }
    if (!a.ref)
        return ctl_fail (CTL_USAGE, "%s: --ref REFERENCE is required (the payment's or refund's own reference)",
                         command);
    int64_t fen;
    kf_err_t err;
    if (s_fen (command, "amount", argv [first + 1], &fen))
        return CTL_USAGE;
    if (kf_fen_check_positive (fen, KF_FEN_MAX, &err))
        return ctl_fail (CTL_USAGE, "%s: %s", command, err.text);
    if (strcmp (action, "pay") == 0) {
        Kf__Pay pay = KF__PAY__INIT;
        pay.estate = (char *) estate;
        pay.unit = argv [first];
        KF_SET (&pay, amount_fen, fen);
        pay.payment_ref = (char *) a.ref;
        pay.method = (char *) a.method;
        request.command_case = KF__REQUEST__COMMAND_PAY;
        request.pay = &pay;
        return ctl_print_result (ctl, "kefu-billing", s_call (ctl, &request), KF__REPLY__RESULT_PAYMENT, s_print_payment);
    }
    char *reason = ctl_join (argc, argv, first + 2);
    if (!reason)
        return ctl_fail (CTL_USAGE, "billing refund: give the reason after the amount");
    Kf__Refund refund = KF__REFUND__INIT;
    refund.estate = (char *) estate;
    refund.payment_ref = argv [first];
    refund.refund_ref = (char *) a.ref;
    KF_SET (&refund, amount_fen, fen);
    refund.reason = reason;
    request.command_case = KF__REQUEST__COMMAND_REFUND;
    request.refund = &refund;
    int rc = ctl_print_result (ctl, "kefu-billing", s_call (ctl, &request), KF__REPLY__RESULT_REFUND, s_print_refund);
    free (reason);
    return rc;
}

const ctl_command_t ctl_billing_command = {
    "billing", "property fees: run a month, pay, refund, a unit's statement, fee schedules",
    "billing run --estate E --period YYYY-MM\n"
    "       kefuctl billing pay UNIT YUAN --estate E --ref PAYMENT_REF [--method M]\n"
    "       kefuctl billing refund PAYMENT_REF YUAN --estate E --ref REFUND_REF REASON...\n"
    "       kefuctl billing statement UNIT --estate E\n"
    "       kefuctl billing schedule --estate E --from YYYY-MM-DD --rate TYPE:YUAN... [--parking YUAN]\n"
    "                                [--fixed NAME:YUAN]... [--vacant-discount PERCENT]\n\n"
    "run issues a payment notice to every unit not yet billed for the month, and\n"
    "is safe to repeat. pay and refund are idempotent on --ref: the same request\n"
    "again gets the same receipt. Payments pay the oldest notices first; the\n"
    "rest is credit for the next notice. Amounts are yuan with at most two\n"
    "decimals (12.50), kept as fen.",
    s_billing, NULL
};

//  ---- reports ------------------------------------------------------------------------------------

static void
s_print_collection (ctl_t *ctl, const Kf__Reply *reply)
{
    (void) ctl;
    const Kf__CollectionReport *r = reply->collection;
    printf ("collection rate (收缴率) of the notices of %04u-%02u to %04u-%02u\n\n", r->period_from / 100,
            r->period_from % 100, r->period_to / 100, r->period_to % 100);
    ctl_table_t *table = ctl_table_new (4, "ESTATE", "BILLED ¥", "COLLECTED ¥", "RATE");
    for (size_t i = 0; i < r->n_rows; i++) {
        char billed [32], collected [32], rate [16];
        ctl_table_row (table, r->rows [i]->estate, s_money (r->rows [i]->billed_fen, billed, sizeof billed),
                       s_money (r->rows [i]->collected_fen, collected, sizeof collected),
                       kf_permille_format (r->rows [i]->rate_permille, rate, sizeof rate));
    }
    ctl_table_print (&table, stdout);
}

int
ctl_report_collection (ctl_t *ctl, int argc, char **argv)
{
    s_args_t a = { 0 };
    int code;
    int first = ctl_options (ctl, &ctl_report_command, argc, argv, s_spec, s_option, &a, &code);
    if (first < 0)
        return code;
    if (first < argc)
        return ctl_fail (CTL_USAGE, "report collection: unexpected argument '%s'", argv [first]);
    Kf__ReportCollection q = KF__REPORT_COLLECTION__INIT;
    if (!a.from)
        return ctl_fail (CTL_USAGE, "report collection: --from YYYY-MM is required");
    if (s_period ("report collection", a.from, &q.period_from) || (a.to && s_period ("report collection", a.to,
                                                                                      &q.period_to)))
        return CTL_USAGE;
    q.has_period_from = 1;
    q.has_period_to = a.to != NULL;
    if (!ctl_config (ctl))
        return CTL_FAILED;
    if (a.estate && !kf_config_estate_find (ctl->config, a.estate))
        return ctl_fail (CTL_FAILED, "report collection: unknown estate '%s'", a.estate);
    q.estate = (char *) a.estate;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_REPORT_COLLECTION;
    request.report_collection = &q;
    return ctl_print_result (ctl, "kefu-billing", s_call (ctl, &request), KF__REPLY__RESULT_COLLECTION, s_print_collection);
}

static void
s_print_arrears (ctl_t *ctl, const Kf__Reply *reply)
{
    (void) ctl;
    const Kf__ArrearsReport *r = reply->arrears;
    char a [32], b [32], c [32], d [32];
    printf ("arrears of %s, by days overdue\n\n", r->estate);
    ctl_table_t *table = ctl_table_new (4, "0-30 ¥", "31-90 ¥", "91-180 ¥", "OVER 180 ¥");
    ctl_table_row (table, s_money (r->days_0_30_fen, a, sizeof a), s_money (r->days_31_90_fen, b, sizeof b),
                   s_money (r->days_91_180_fen, c, sizeof c), s_money (r->days_over_180_fen, d, sizeof d));
    ctl_table_print (&table, stdout);
}

int
ctl_report_arrears (ctl_t *ctl, int argc, char **argv)
{
    s_args_t a = { 0 };
    int code;
    int first = ctl_options (ctl, &ctl_report_command, argc, argv, s_spec, s_option, &a, &code);
    if (first < 0)
        return code;
    if (first < argc)
        return ctl_fail (CTL_USAGE, "report arrears: unexpected argument '%s'", argv [first]);
    if (!ctl_config (ctl))
        return CTL_FAILED;
    const char *estate = ctl_estate (ctl, "report arrears", a.estate, &code);
    if (!estate)
        return code;
    Kf__ReportArrears q = KF__REPORT_ARREARS__INIT;
    q.estate = (char *) estate;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_REPORT_ARREARS;
    request.report_arrears = &q;
    return ctl_print_result (ctl, "kefu-billing", s_call (ctl, &request), KF__REPLY__RESULT_ARREARS, s_print_arrears);
}
