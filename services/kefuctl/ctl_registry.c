/*  kefuctl — the register: lookup (a caller's phone or a unit: its people,
    what it owes, its cases) and household (a unit's people, shown or set),
    answered by kefu-registry.  */
#include "ctl.h"
#include "kf_field.h"
#include "kf_money.h"
#include "kf_time.h"

#include <stdlib.h>

#define S_PEOPLE_MAX 20
#define S_PHONES_MAX 5

static Kf__Reply *
s_call (ctl_t *ctl, Kf__Request *request)
{
    return ctl_call (ctl, "kefu-registry", kf_config_str (ctl->config, "services/registry/endpoint"), request);
}

#define S_LIST_MAX 50

typedef struct {
    const char *estate, *date, *to, *override_reason, *keys, *month, *phone;
    bool csv, overdue;
    const char *people [S_PEOPLE_MAX];
    size_t people_count;
    const char *vehicles [S_LIST_MAX];
    size_t vehicle_count;
    const char *defects [S_LIST_MAX], *tags [S_LIST_MAX], *meters [S_LIST_MAX], *documents [S_LIST_MAX];
    size_t defect_count, tag_count, meter_count, document_count;
} s_args_t;

static int
s_push (const char **list, size_t *count, const char *value, const char *what)
{
    if (*count == S_LIST_MAX)
        return ctl_fail (-1, "registry: at most %d %s", S_LIST_MAX, what);
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
        case 'd': a->date = value; break;
        case 'T': a->to = value; break;
        case 'o': a->override_reason = value; break;
        case 'k': a->keys = value; break;
        case 'M': a->month = value; break;
        case 'C': a->csv = true; break;
        case 'Q': a->phone = value; break;
        case 'O': a->overdue = true; break;
        case 'p':
            if (a->people_count == S_PEOPLE_MAX)
                return ctl_fail (-1, "registry: at most %d --person", S_PEOPLE_MAX);
            a->people [a->people_count++] = value;
            break;
        case 'D': return s_push (a->defects, &a->defect_count, value, "--defect");
        case 't': return s_push (a->tags, &a->tag_count, value, "--key-tag");
        case 'm': return s_push (a->meters, &a->meter_count, value, "--meter");
        case 'c': return s_push (a->documents, &a->document_count, value, "--document");
        case 'V': return s_push (a->vehicles, &a->vehicle_count, value, "--vehicle");
    }
    return 0;
}

static const struct option s_spec [] = {
    { "estate", required_argument, NULL, 'e' }, { "person", required_argument | CTL_REPEATED, NULL, 'p' },
    { "date", required_argument, NULL, 'd' }, { "to", required_argument, NULL, 'T' },
    { "override", required_argument, NULL, 'o' }, { "keys", required_argument, NULL, 'k' },
    { "defect", required_argument | CTL_REPEATED, NULL, 'D' }, { "key-tag", required_argument | CTL_REPEATED, NULL, 't' },
    { "meter", required_argument | CTL_REPEATED, NULL, 'm' },
    { "document", required_argument | CTL_REPEATED, NULL, 'c' }, { "month", required_argument, NULL, 'M' },
    { "csv", no_argument, NULL, 'C' }, { "vehicle", required_argument | CTL_REPEATED, NULL, 'V' },
    { "finding", required_argument | CTL_REPEATED, NULL, 'D' }, { "phone", required_argument, NULL, 'Q' },
    { "overdue", no_argument, NULL, 'O' },
    { NULL, 0, NULL, 0 }
};

static const char *
s_role (Kf__PersonRole role)
{
    return role ? ctl_enum_name (&kf__person_role__descriptor, (int) role) : "-";
}

static void
s_print_people (const Kf__HouseholdFile *h)
{
    for (size_t v = 0; h && v < h->n_vehicles; v++)
        printf ("  %-9s %s%s%s\n", v == 0 ? "vehicles" : "", h->vehicles [v]->plate,
                h->vehicles [v]->space && *h->vehicles [v]->space ? "  space " : "",
                h->vehicles [v]->space ? h->vehicles [v]->space : "");
    if (!h || h->n_people == 0) {
        printf ("  people    nobody registered\n");
        return;
    }
    for (size_t p = 0; p < h->n_people; p++) {
        const Kf__Person *person = h->people [p];
        printf ("  %-9s %-7s %s", p == 0 ? "people" : "", s_role (person->role), person->name ? person->name : "-");
        for (size_t i = 0; i < person->n_phones; i++)
            printf ("%s%s", i ? ", " : "  ", person->phones [i]);
        if (person->id_last4)
            printf ("  (%s …%s)", person->has_id_document ? ctl_enum_name (&kf__id_document__descriptor,
                                                                           (int) person->id_document) : "id",
                    person->id_last4);
        printf ("\n");
    }
}

static void
s_print_case (ctl_t *ctl, const char *estate, const char *label, const Kf__CaseSummary *c)
{
    char when [32], cut [100];
    printf ("  %-9s %s  %-9s %-8s %s  %s\n", label, c->ticket_no,
            ctl_enum_name (&kf__ticket_type__descriptor, (int) c->type),
            ctl_enum_name (&kf__ticket_status__descriptor, (int) c->status),
            ctl_time (ctl, estate, c->filed_at_ms, when, sizeof when), ctl_cut (c->summary, 40, cut, sizeof cut));
}

static void
s_print_lookup (ctl_t *ctl, const Kf__Reply *reply)
{
    const Kf__CallerLookup *l = reply->caller_lookup;
    if (l->n_units == 0) {
        printf ("no unit found\n");
        return;
    }
    for (size_t i = 0; i < l->n_units; i++) {
        const Kf__CallerUnit *cu = l->units [i];
        const Kf__Unit *u = cu->unit;
        char area [32], owed [32];
        printf ("%s%s %s  %s m²  %s  %s", i ? "\n" : "", cu->estate, u->unit,
                kf_fen_format (u->area_centi_m2, area, sizeof area), u->building_type ? u->building_type : "-",
                u->has_occupancy ? ctl_enum_name (&kf__occupancy__descriptor, (int) u->occupancy)
                                 : u->occupied ? "occupied" : "vacant");
        if (cu->has_matched_role)
            printf ("  (the caller: %s %s)", s_role (cu->matched_role), cu->matched_name ? cu->matched_name : "");
        printf ("\n");
        s_print_people (cu->household);
        printf ("  %-9s ¥%s%s", "owes", kf_fen_format (cu->balance_fen, owed, sizeof owed),
                cu->balance_fen < 0 ? " (credit)" : "");
        if (cu->open_notices)
            printf (", %u notice%s open", cu->open_notices, cu->open_notices == 1 ? "" : "s");
        printf ("\n");
        for (size_t t = 0; t < cu->n_open_tickets; t++)
            s_print_case (ctl, cu->estate, t == 0 ? "open" : "", cu->open_tickets [t]);
        if (cu->n_open_tickets == 0)
            printf ("  %-9s none\n", "open");
        for (size_t t = 0; t < cu->n_recent; t++)
            s_print_case (ctl, cu->estate, t == 0 ? "recent" : "", cu->recent [t]);
        char when [32], cut [100];
        for (size_t t = 0; t < cu->n_loans_out; t++) {
            const Kf__Loan *loan = cu->loans_out [t];
            printf ("  %-9s %s %s %s to %s, due %s\n", t == 0 ? "out" : "", loan->loan_id,
                    ctl_enum_name (&kf__loan_kind__descriptor, (int) loan->kind), loan->tag,
                    loan->person ? loan->person : "-", ctl_time (ctl, cu->estate, loan->due_ms, when, sizeof when));
        }
        for (size_t t = 0; t < cu->n_communications; t++) {
            const Kf__Communication *c = cu->communications [t];
            printf ("  %-9s %s %s with %s  %s  %s\n", t == 0 ? "talks" : "", c->communication_id,
                    ctl_enum_name (&kf__communication_kind__descriptor, (int) c->kind), c->person ? c->person : "-",
                    ctl_time (ctl, cu->estate, c->at_ms, when, sizeof when), ctl_cut (c->summary, 40, cut, sizeof cut));
        }
    }
    if (l->phones_masked)
        printf ("\n(phones masked: only the estate's desk sees them whole)\n");
}

static int
s_lookup (ctl_t *ctl, int argc, char **argv)
{
    s_args_t a = { 0 };
    int code;
    int first = ctl_options (ctl, &ctl_lookup_command, argc, argv, s_spec, s_option, &a, &code);
    if (first < 0)
        return code;
    if (first + 1 != argc)
        return ctl_fail (CTL_USAGE, "lookup: give one PHONE or UNIT");
    if (!ctl_config (ctl))
        return CTL_FAILED;
    const char *what = argv [first];
    bool unit = strchr (what, '-') != NULL;
    const char *estate = a.estate;
    if (unit && !(estate = ctl_estate (ctl, "lookup", a.estate, &code)))
        return code;
    Kf__LookupCaller q = KF__LOOKUP_CALLER__INIT;
    q.estate = (char *) estate;
    if (unit)
        q.unit = (char *) what;
    else
        q.phone = (char *) what;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_LOOKUP_CALLER;
    request.lookup_caller = &q;
    return ctl_print_result (ctl, "kefu-registry", s_call (ctl, &request), KF__REPLY__RESULT_CALLER_LOOKUP,
                             s_print_lookup);
}

static void
s_print_household (ctl_t *ctl, const Kf__Reply *reply)
{
    (void) ctl;
    printf ("%s %s\n", reply->household->estate, reply->household->unit);
    s_print_people (reply->household);
}

//  --person ROLE:NAME[:PHONE[,PHONE...][:ID_LAST4]]: owner:张三:13800000000
static int
s_person (const char *text, Kf__Person *person, char **copy)
{
    *copy = strdup (text);
    if (!*copy)
        return ctl_fail (-1, "out of memory");
    char *fields [4] = { 0 };
    int n = 0;
    for (char *p = *copy, *colon; p && n < 4; p = colon) {
        colon = strchr (p, ':');
        if (colon)
            *colon++ = 0;
        fields [n++] = p;
    }
    if (n < 2 || !*fields [1])
        return ctl_fail (-1, "household set: --person '%s' is not ROLE:NAME[:PHONE[,PHONE]][:ID_LAST4]", text);
    int role;
    if (ctl_enum (&kf__person_role__descriptor, "--person", fields [0], &role))
        return -1;
    KF_SET (person, role, (Kf__PersonRole) role);
    person->name = fields [1];
    if (n > 2 && *fields [2]) {
        person->phones = calloc (S_PHONES_MAX, sizeof *person->phones);
        if (!person->phones)
            return ctl_fail (-1, "out of memory");
        for (char *p = fields [2], *comma; p; p = comma) {
            comma = strchr (p, ',');
            if (comma)
                *comma++ = 0;
            if (person->n_phones == S_PHONES_MAX)
                return ctl_fail (-1, "household set: at most %d phones a person", S_PHONES_MAX);
            person->phones [person->n_phones++] = p;
        }
    }
    if (n > 3 && *fields [3])
        person->id_last4 = fields [3];
    return 0;
}

//  The --person options of a command, parsed; s_people_free frees what
//  was parsed, all of it or up to the one that was not.
typedef struct {
    Kf__Person people [S_PEOPLE_MAX];
    Kf__Person *list [S_PEOPLE_MAX];
    char *copies [S_PEOPLE_MAX];
    size_t count;
} s_people_t;

static int
s_people_parse (const s_args_t *a, s_people_t *set)
{
    memset (set, 0, sizeof *set);
    for (size_t i = 0; i < a->people_count; i++) {
        kf__person__init (&set->people [i]);
        set->list [i] = &set->people [i];
        set->count = i + 1;
        if (s_person (a->people [i], &set->people [i], &set->copies [i]))
            return -1;
    }
    return 0;
}

static void
s_people_free (s_people_t *set)
{
    for (size_t i = 0; i < set->count; i++) {
        free (set->people [i].phones);
        free (set->copies [i]);
    }
    set->count = 0;
}

static int
s_household (ctl_t *ctl, int argc, char **argv)
{
    s_args_t a = { 0 };
    int code;
    int first = ctl_options (ctl, &ctl_household_command, argc, argv, s_spec, s_option, &a, &code);
    if (first < 0)
        return code;
    bool set = first < argc && strcmp (argv [first], "set") == 0;
    if (set)
        first++;
    if (first + 1 != argc)
        return ctl_fail (CTL_USAGE, "household%s: give one UNIT", set ? " set" : "");
    if (set && a.people_count == 0)
        return ctl_fail (CTL_USAGE, "household set: give the household's people with --person (all of them)");
    if (!set && (a.people_count || a.vehicle_count))
        return ctl_fail (CTL_USAGE, "household: --person and --vehicle are for household set");
    if (!ctl_config (ctl))
        return CTL_FAILED;
    const char *estate = ctl_estate (ctl, set ? "household set" : "household", a.estate, &code);
    if (!estate)
        return code;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    Kf__ShowHousehold show = KF__SHOW_HOUSEHOLD__INIT;
    Kf__SetHousehold change = KF__SET_HOUSEHOLD__INIT;
    s_people_t people = { .count = 0 };
    int rc = 0;
    Kf__Vehicle vehicles [S_LIST_MAX], *vehicle_list [S_LIST_MAX];
    char *plates [S_LIST_MAX] = { 0 };
    for (size_t v = 0; v < a.vehicle_count; v++) {
        kf__vehicle__init (&vehicles [v]);
        vehicle_list [v] = &vehicles [v];
        const char *colon = strchr (a.vehicles [v], ':');
        plates [v] = colon ? strndup (a.vehicles [v], (size_t) (colon - a.vehicles [v])) : NULL;
        vehicles [v].plate = colon ? plates [v] : (char *) a.vehicles [v];
        vehicles [v].space = colon ? (char *) colon + 1 : NULL;
    }
    change.vehicles = vehicle_list;
    change.n_vehicles = a.vehicle_count;
    if (set) {
        rc = s_people_parse (&a, &people);
        change.estate = (char *) estate;
        change.unit = argv [first];
        change.people = people.list;
        change.n_people = a.people_count;
        request.command_case = KF__REQUEST__COMMAND_SET_HOUSEHOLD;
        request.set_household = &change;
    }
    else {
        show.estate = (char *) estate;
        show.unit = argv [first];
        request.command_case = KF__REQUEST__COMMAND_SHOW_HOUSEHOLD;
        request.show_household = &show;
    }
    if (rc == 0)
        rc = ctl_print_result (ctl, "kefu-registry", s_call (ctl, &request), KF__REPLY__RESULT_HOUSEHOLD,
                               s_print_household);
    else
        rc = CTL_USAGE;
    s_people_free (&people);
    for (size_t v = 0; v < a.vehicle_count; v++)
        free (plates [v]);
    return rc;
}

//  ---- registry move-in | let | move-out -----------------------------------------------

//  YYYY-MM-DD as yyyymmdd; 0 for none given.
static void
s_print_handover (ctl_t *ctl, const Kf__Reply *reply)
{
    (void) ctl;
    const Kf__Handover *h = reply->handover;
    printf ("%s %s handed over on %04u-%02u-%02u: %zu defect%s (each a repair ticket), %u keys, %zu readings, "
            "%zu documents\n", h->estate, h->unit, h->date / 10000, h->date / 100 % 100, h->date % 100, h->n_defects,
            h->n_defects == 1 ? "" : "s", h->keys_handed, h->n_readings, h->n_documents);
}

static void
s_print_tenancy (ctl_t *ctl, const Kf__Reply *reply)
{
    (void) ctl;
    const Kf__Tenancy *t = reply->tenancy;
    printf ("%s %s let from %04u-%02u-%02u to ", t->estate, t->unit, t->from_date / 10000, t->from_date / 100 % 100,
            t->from_date % 100);
    if (t->to_date)
        printf ("%04u-%02u-%02u", t->to_date / 10000, t->to_date / 100 % 100, t->to_date % 100);
    else
        printf ("open end");
    printf (": %zu tenant%s\n", t->n_tenants, t->n_tenants == 1 ? "" : "s");
}

static void
s_print_vacated (ctl_t *ctl, const Kf__Reply *reply)
{
    (void) ctl;
    const Kf__UnitVacated *v = reply->vacated;
    char owed [32];
    printf ("%s vacated on %04u-%02u-%02u: %zu moved out%s", v->unit, v->date / 10000, v->date / 100 % 100,
            v->date % 100, v->n_left, v->tenancy_ended ? ", the tenancy ended" : "");
    if (v->override_reason)
        printf (", owing ¥%s (override: %s)", kf_fen_format (v->owed_fen, owed, sizeof owed), v->override_reason);
    printf ("\n");
}

//  --meter water:NO:READING (a reading in m³ or kWh, up to three decimals).
static int
s_meter (const char *text, Kf__MeterReading *r)
{
    char kind [16];
    const char *colon = strchr (text, ':'), *last = strrchr (text, ':');
    if (!colon || colon == last || (size_t) (colon - text) >= sizeof kind)
        return ctl_fail (-1, "registry move-in: --meter '%s' is not KIND:NUMBER:READING", text);
    snprintf (kind, sizeof kind, "%.*s", (int) (colon - text), text);
    int meter;
    if (ctl_enum (&kf__meter__descriptor, "--meter", kind, &meter))
        return -1;
    KF_SET (r, meter, (Kf__Meter) meter);
    r->meter_no = strndup (colon + 1, (size_t) (last - colon - 1));
    char *end;
    double reading = strtod (last + 1, &end);
    if (!r->meter_no || *end || end == last + 1 || reading < 0 || reading > 1e12)
        return ctl_fail (-1, "registry move-in: --meter '%s': the reading is a number", text);
    KF_SET (r, reading_milli, (int64_t) (reading * 1000 + 0.5));
    return 0;
}

//  --defect / --finding [PLACE:]TEXT into findings; the places copied
//  into places [] (to free).
static void
s_findings (const s_args_t *a, Kf__HandoverDefect *findings, Kf__HandoverDefect **list, char **places)
{
    for (size_t i = 0; i < a->defect_count; i++) {
        kf__handover_defect__init (&findings [i]);
        list [i] = &findings [i];
        const char *colon = strchr (a->defects [i], ':');
        if (colon) {
            places [i] = strndup (a->defects [i], (size_t) (colon - a->defects [i]));
            findings [i].place = places [i];
            findings [i].description = (char *) colon + 1 + (colon [1] == ' ');
        }
        else
            findings [i].description = (char *) a->defects [i];
    }
}

static void
s_print_inspection (ctl_t *ctl, const Kf__Reply *reply)
{
    (void) ctl;
    const Kf__VacantInspection *in = reply->vacant_inspection;
    char day [16];
    printf ("%s %s inspected on %s: %zu finding%s (each a ticket)\n", in->estate, in->unit,
            ctl_day (in->date, day, sizeof day), in->n_findings, in->n_findings == 1 ? "" : "s");
}

static int
s_inspect (ctl_t *ctl, const s_args_t *a, const char *estate, const char *unit)
{
    Kf__VacantInspection in = KF__VACANT_INSPECTION__INIT;
    in.estate = (char *) estate;
    in.unit = (char *) unit;
    if (ctl_yyyymmdd ("registry inspect", "--date", a->date, &in.date))
        return CTL_USAGE;
    in.has_date = in.date != 0;
    in.reporter_phone = (char *) a->phone;
    Kf__HandoverDefect findings [S_LIST_MAX], *list [S_LIST_MAX];
    char *places [S_LIST_MAX] = { 0 };
    s_findings (a, findings, list, places);
    in.findings = list;
    in.n_findings = a->defect_count;
    Kf__InspectVacant q = KF__INSPECT_VACANT__INIT;
    q.inspection = &in;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_INSPECT_VACANT;
    request.inspect_vacant = &q;
    int rc = ctl_print_result (ctl, "kefu-registry", s_call (ctl, &request), KF__REPLY__RESULT_VACANT_INSPECTION,
                               s_print_inspection);
    for (size_t i = 0; i < a->defect_count; i++)
        free (places [i]);
    return rc;
}

static void
s_print_ledger (ctl_t *ctl, const Kf__Reply *reply)
{
    (void) ctl;
    const Kf__VacantLedger *l = reply->vacant_ledger;
    ctl_table_t *table = ctl_table_new (6, "UNIT", "VACANT SINCE", "LAST INSPECTED", "DUE BY", "INSPECTIONS", "");
    for (size_t i = 0; i < l->n_units; i++) {
        const Kf__VacantFile *f = l->units [i];
        char since [16], last [16], due [16], count [16];
        snprintf (count, sizeof count, "%u", f->inspections);
        ctl_table_row (table, f->unit, ctl_day (f->since_date, since, sizeof since),
                       ctl_day (f->last_inspected, last, sizeof last), ctl_day (f->next_due, due, sizeof due), count,
                       f->overdue ? "OVERDUE" : "");
    }
    ctl_table_print (&table, stdout);
    printf ("%zu vacant units, %u overdue\n", l->n_units, l->overdue);
}

static int
s_vacant (ctl_t *ctl, const s_args_t *a, const char *estate)
{
    Kf__ListVacant q = KF__LIST_VACANT__INIT;
    q.estate = (char *) estate;
    KF_SET (&q, overdue_only, a->overdue);
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_LIST_VACANT;
    request.list_vacant = &q;
    return ctl_print_result (ctl, "kefu-registry", s_call (ctl, &request), KF__REPLY__RESULT_VACANT_LEDGER,
                             s_print_ledger);
}

static int
s_move_in (ctl_t *ctl, const s_args_t *a, const char *estate, const char *unit)
{
    Kf__Handover h = KF__HANDOVER__INIT;
    h.estate = (char *) estate;
    h.unit = (char *) unit;
    if (ctl_yyyymmdd ("registry move-in", "--date", a->date, &h.date))
        return CTL_USAGE;
    h.has_date = h.date != 0;
    Kf__HandoverDefect defects [S_LIST_MAX], *defect_list [S_LIST_MAX];
    Kf__MeterReading readings [S_LIST_MAX], *reading_list [S_LIST_MAX];
    s_people_t people = { .count = 0 };
    char *places [S_LIST_MAX] = { 0 };
    int rc = 0;
    s_findings (a, defects, defect_list, places);
    h.defects = defect_list;
    h.n_defects = a->defect_count;
    for (size_t i = 0; i < a->meter_count; i++) {
        kf__meter_reading__init (&readings [i]);
        reading_list [i] = &readings [i];
    }
    for (size_t i = 0; i < a->meter_count && rc == 0; i++)
        rc = s_meter (a->meters [i], &readings [i]);
    h.readings = reading_list;
    h.n_readings = a->meter_count;
    if (rc == 0)
        rc = s_people_parse (a, &people);
    h.people = people.list;
    h.n_people = a->people_count;
    h.key_tags = (char **) a->tags;
    h.n_key_tags = a->tag_count;
    h.documents = (char **) a->documents;
    h.n_documents = a->document_count;
    char *end = NULL;
    long keys = a->keys ? strtol (a->keys, &end, 10) : 0;
    if (rc == 0 && a->keys && (*end || keys < 0 || keys > 1000))
        rc = ctl_fail (-1, "registry move-in: --keys '%s' is not a count", a->keys);
    KF_SET (&h, keys_handed, (uint32_t) keys);
    if (rc == 0) {
        Kf__MoveIn q = KF__MOVE_IN__INIT;
        q.handover = &h;
        Kf__Request request;
        ctl_request_init (ctl, &request);
        request.command_case = KF__REQUEST__COMMAND_MOVE_IN;
        request.move_in = &q;
        rc = ctl_print_result (ctl, "kefu-registry", s_call (ctl, &request), KF__REPLY__RESULT_HANDOVER,
                               s_print_handover);
    }
    else
        rc = CTL_USAGE;
    for (size_t i = 0; i < a->meter_count; i++)
        free (readings [i].meter_no);
    for (size_t i = 0; i < a->defect_count; i++)
        free (places [i]);
    s_people_free (&people);
    return rc;
}

static int
s_let (ctl_t *ctl, const s_args_t *a, const char *estate, const char *unit)
{
    Kf__Tenancy t = KF__TENANCY__INIT;
    t.estate = (char *) estate;
    t.unit = (char *) unit;
    if (ctl_yyyymmdd ("registry let", "--date", a->date, &t.from_date)
    ||  ctl_yyyymmdd ("registry let", "--to", a->to, &t.to_date))
        return CTL_USAGE;
    t.has_from_date = t.from_date != 0;
    t.has_to_date = t.to_date != 0;
    if (a->people_count == 0)
        return ctl_fail (CTL_USAGE, "registry let: give the tenants with --person tenant:NAME:PHONE");
    s_people_t people;
    int rc = s_people_parse (a, &people);
    t.tenants = people.list;
    t.n_tenants = a->people_count;
    if (rc == 0) {
        Kf__LetUnit q = KF__LET_UNIT__INIT;
        q.tenancy = &t;
        Kf__Request request;
        ctl_request_init (ctl, &request);
        request.command_case = KF__REQUEST__COMMAND_LET_UNIT;
        request.let_unit = &q;
        rc = ctl_print_result (ctl, "kefu-registry", s_call (ctl, &request), KF__REPLY__RESULT_TENANCY,
                               s_print_tenancy);
    }
    else
        rc = CTL_USAGE;
    s_people_free (&people);
    return rc;
}

static int
s_move_out (ctl_t *ctl, const s_args_t *a, const char *estate, const char *unit)
{
    Kf__MoveOut q = KF__MOVE_OUT__INIT;
    q.estate = (char *) estate;
    q.unit = (char *) unit;
    if (ctl_yyyymmdd ("registry move-out", "--date", a->date, &q.date))
        return CTL_USAGE;
    q.has_date = q.date != 0;
    q.override_reason = (char *) a->override_reason;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_MOVE_OUT;
    request.move_out = &q;
    return ctl_print_result (ctl, "kefu-registry", s_call (ctl, &request), KF__REPLY__RESULT_VACATED,
                             s_print_vacated);
}

//  ---- registry titles | tenancies | export ----------------------------------------------


static const char *
s_names (char **names, size_t count, char *buf, size_t size)
{
    size_t used = 0;
    buf [0] = 0;
    for (size_t i = 0; i < count && used < size; i++)
        used += (size_t) snprintf (buf + used, size - used, "%s%s", i ? "; " : "", names [i]);
    return count ? buf : "-";
}

//  A CSV field, quoted when it holds a comma, a quote or a line break.
static void
s_csv_field (const char *text, bool last)
{
    if (strpbrk (text, ",\"\r\n")) {
        putchar ('"');
        for (const char *c = text; *c; c++) {
            if (*c == '"')
                putchar ('"');
            putchar (*c);
        }
        putchar ('"');
    }
    else
        fputs (text, stdout);
    putchar (last ? '\n' : ',');
}

static int
s_print_list (ctl_t *ctl, const s_args_t *a, Kf__Reply *reply)
{
    if (!reply)
        return CTL_FAILED;
    if (ctl->json || reply->result_case != KF__REPLY__RESULT_REGISTER_LIST) {
        int rc = ctl_print_json (reply->result_case == KF__REPLY__RESULT_REGISTER_LIST
                                 ? &reply->register_list->base : &reply->base);
        kf_codec_free ((ProtobufCMessage **) &reply);
        return rc ? CTL_FAILED : 0;
    }
    const Kf__RegisterList *l = reply->register_list;
    bool titles = l->kind == KF__REGISTER_LIST_KIND__REGISTER_LIST_KIND_TITLES;
    ctl_table_t *table = a->csv ? NULL
                       : titles ? ctl_table_new (6, "UNIT", "AREA M²", "OWNERS", "STATE", "MOVED IN", "CHANGED")
                                : ctl_table_new (6, "UNIT", "AREA M²", "TENANTS", "FROM", "TO", "ENDED");
    if (a->csv)
        printf (titles ? "unit,area_m2,owners,occupancy,move_in_date,title_changed\n"
                       : "unit,area_m2,tenants,from_date,to_date,ended_date\n");
    for (size_t i = 0; i < l->n_rows; i++) {
        const Kf__RegisterRow *r = l->rows [i];
        char area [32], names [1024], d1 [16], d2 [16], d3 [16];
        const char *state = r->occupancy ? ctl_enum_name (&kf__occupancy__descriptor, (int) r->occupancy) : "-";
        const char *cells [6] = {
            r->unit, kf_fen_format (r->area_centi_m2, area, sizeof area),
            titles ? s_names (r->owners, r->n_owners, names, sizeof names)
                   : s_names (r->tenants, r->n_tenants, names, sizeof names),
            titles ? state : ctl_day (r->from_date, d1, sizeof d1),
            titles ? ctl_day (r->move_in_date, d2, sizeof d2) : ctl_day (r->to_date, d2, sizeof d2),
            titles ? ctl_day (r->title_changed, d3, sizeof d3) : ctl_day (r->ended_date, d3, sizeof d3),
        };
        if (table)
            ctl_table_row (table, cells [0], cells [1], cells [2], cells [3], cells [4], cells [5]);
        else
            for (int c = 0; c < 6; c++)
                s_csv_field (strcmp (cells [c], "-") ? cells [c] : "", c == 5);
    }
    if (table) {
        ctl_table_print (&table, stdout);
        printf ("%zu %s, %s %04u-%02u\n", l->n_rows, titles ? "units" : "tenancies",
                titles ? "title list" : "tenancy list", l->month / 100, l->month % 100);
    }
    kf_codec_free ((ProtobufCMessage **) &reply);
    return 0;
}

static int
s_list (ctl_t *ctl, const s_args_t *a, const char *estate, bool titles)
{
    const char *command = titles ? "registry titles" : "registry tenancies";
    if (!a->month)
        return ctl_fail (CTL_USAGE, "%s: --month YYYY-MM is required", command);
    unsigned year, month;
    char tail;
    if (strlen (a->month) != 7 || sscanf (a->month, "%4u-%2u%c", &year, &month, &tail) != 2 || month < 1 || month > 12)
        return ctl_fail (CTL_USAGE, "%s: '%s' is not a month (YYYY-MM)", command, a->month);
    Kf__GetRegisterList q = KF__GET_REGISTER_LIST__INIT;
    q.estate = (char *) estate;
    KF_SET (&q, month, year * 100 + month);
    KF_SET (&q, kind, titles ? KF__REGISTER_LIST_KIND__REGISTER_LIST_KIND_TITLES
                             : KF__REGISTER_LIST_KIND__REGISTER_LIST_KIND_TENANCIES);
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_REGISTER_LIST;
    request.register_list = &q;
    return s_print_list (ctl, a, s_call (ctl, &request));
}

static void
s_print_export (ctl_t *ctl, const Kf__Reply *reply)
{
    (void) ctl;
    ctl_print_json (&reply->register_export->base);
}

static int
s_export (ctl_t *ctl, const char *estate)
{
    Kf__ExportRegister q = KF__EXPORT_REGISTER__INIT;
    q.estate = (char *) estate;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_EXPORT_REGISTER;
    request.export_register = &q;
    return ctl_print_result (ctl, "kefu-registry", s_call (ctl, &request), KF__REPLY__RESULT_REGISTER_EXPORT,
                             s_print_export);
}

static int
s_registry (ctl_t *ctl, int argc, char **argv)
{
    s_args_t a = { 0 };
    int code;
    int first = ctl_options (ctl, &ctl_registry_command, argc, argv, s_spec, s_option, &a, &code);
    if (first < 0)
        return code;
    const char *action = first < argc ? argv [first] : NULL;
    if (!action)
        return ctl_fail (CTL_USAGE, "registry: give an action (move-in, let, move-out, titles, tenancies, export)");
    bool move_in = strcmp (action, "move-in") == 0, let = strcmp (action, "let") == 0,
         move_out = strcmp (action, "move-out") == 0, titles = strcmp (action, "titles") == 0,
         tenancies = strcmp (action, "tenancies") == 0, export = strcmp (action, "export") == 0,
         inspect = strcmp (action, "inspect") == 0, vacant = strcmp (action, "vacant") == 0;
    if (!move_in && !let && !move_out && !titles && !tenancies && !export && !inspect && !vacant)
        return ctl_fail (CTL_USAGE, "registry: unknown action '%s' (move-in, let, move-out, vacant, inspect, titles, "
                         "tenancies, export)", action);
    bool whole = titles || tenancies || export || vacant;
    if (whole && first + 1 != argc)
        return ctl_fail (CTL_USAGE, "registry %s: unexpected argument '%s'", action, argv [first + 1]);
    if (!whole && first + 2 != argc)
        return ctl_fail (CTL_USAGE, "registry %s: give one UNIT", action);
    if (!ctl_config (ctl))
        return CTL_FAILED;
    char command [32];
    snprintf (command, sizeof command, "registry %s", action);
    const char *estate = ctl_estate (ctl, command, a.estate, &code);
    if (!estate)
        return code;
    if (whole)
        return export ? s_export (ctl, estate) : vacant ? s_vacant (ctl, &a, estate) : s_list (ctl, &a, estate, titles);
    const char *unit = argv [first + 1];
    if (inspect)
        return s_inspect (ctl, &a, estate, unit);
    return move_in ? s_move_in (ctl, &a, estate, unit) : let ? s_let (ctl, &a, estate, unit)
                   : s_move_out (ctl, &a, estate, unit);
}

const ctl_command_t ctl_registry_command = {
    "registry", "a unit's life in the register (入伙, let, 迁出), the monthly lists, the export",
    "registry move-in UNIT --estate E [--date YYYY-MM-DD] [--person ROLE:NAME[:PHONE]]...\n"
    "                        [--defect [PLACE:]TEXT]... [--keys N] [--key-tag TAG]...\n"
    "                        [--meter water|electricity|gas:NUMBER:READING]... [--document NAME]...\n"
    "       kefuctl registry let UNIT --estate E --person tenant:NAME[:PHONE]... [--date FROM] [--to YYYY-MM-DD]\n"
    "       kefuctl registry move-out UNIT --estate E [--date YYYY-MM-DD] [--override REASON]\n"
    "       kefuctl registry vacant --estate E [--overdue]\n"
    "       kefuctl registry inspect UNIT --estate E [--date YYYY-MM-DD] [--finding [PLACE:]TEXT]... [--phone P]\n"
    "       kefuctl registry titles|tenancies --month YYYY-MM --estate E [--csv]\n"
    "       kefuctl registry export --estate E\n\n"
    "move-in records the handover of a vacant unit to its owner (the people given,\n"
    "else the register's): billing bills it from the date, and each defect the\n"
    "inspection found becomes a repair ticket reported from the owner's phone.\n"
    "let begins a tenancy; move-out ends it (or moves the owner's household out)\n"
    "and leaves the unit vacant. A unit that owes fees is not moved out unless a\n"
    "supervisor gives --override with the reason, which stays on the record.\n"
    "vacant lists the ledger of vacant units with their next inspection's day;\n"
    "inspect records one (each finding a ticket, reported from --phone, else the\n"
    "owner's) and sets the next a cycle on (registry/vacant_inspection).\n"
    "titles and tenancies print the month's title list (产权清册: every unit and\n"
    "its owners at the month's end) or tenancy list (租赁清册), made on the 1st\n"
    "after the month; --csv as CSV. export prints the estate's whole register as\n"
    "JSON, phones whole: managers and operations only.",
    s_registry, NULL
};

const ctl_command_t ctl_lookup_command = {
    "lookup", "a caller's phone or a unit: its people, what it owes, its open and last cases",
    "lookup PHONE [--estate E]\n"
    "       kefuctl lookup UNIT --estate E\n\n"
    "Finds every unit of the estates you may see whose people have the phone\n"
    "(or the one unit): the unit, its people and their roles, what it owes\n"
    "(from billing's notices and payments), its open tickets and its last five\n"
    "cases. Phones are masked (138****0000) except to the desk of the estate.",
    s_lookup, NULL
};

const ctl_command_t ctl_household_command = {
    "household", "a unit's people (一户一档): show them, or set them all",
    "household UNIT --estate E\n"
    "       kefuctl household set UNIT --estate E --person ROLE:NAME[:PHONE[,PHONE]][:ID_LAST4]...\n"
    "                             [--vehicle PLATE[:SPACE]]...\n\n"
    "set replaces the unit's people with those given (ROLE is owner, member or\n"
    "tenant); the first owner becomes the unit's owner of record. Only an identity\n"
    "document's last four characters are kept.",
    s_household, NULL
};
