/*  kefuctl — the register: lookup (a caller's phone or a unit: its people,
    what it owes, its cases) and household (a unit's people, shown or set),
    answered by kefu-registry.  */
#include "ctl.h"
#include "kf_field.h"
#include "kf_money.h"

#include <stdlib.h>

#define S_PEOPLE_MAX 20
#define S_PHONES_MAX 5

static Kf__Reply *
s_call (ctl_t *ctl, Kf__Request *request)
{
    return ctl_call (ctl, "kefu-registry", kf_config_str (ctl->config, "services/registry/endpoint"), request);
}

typedef struct {
    const char *estate;
    const char *people [S_PEOPLE_MAX];
    size_t people_count;
} s_args_t;

static int
s_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_args_t *a = arg;
    if (option == 'e')
        a->estate = value;
    else
    if (option == 'p') {
        if (a->people_count == S_PEOPLE_MAX)
            return ctl_fail (-1, "household set: at most %d --person", S_PEOPLE_MAX);
        a->people [a->people_count++] = value;
    }
    return 0;
}

static const struct option s_spec [] = {
    { "estate", required_argument, NULL, 'e' }, { "person", required_argument | CTL_REPEATED, NULL, 'p' },
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
    if (!set && a.people_count)
        return ctl_fail (CTL_USAGE, "household: --person is for household set");
    if (!ctl_config (ctl))
        return CTL_FAILED;
    const char *estate = ctl_estate (ctl, set ? "household set" : "household", a.estate, &code);
    if (!estate)
        return code;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    Kf__ShowHousehold show = KF__SHOW_HOUSEHOLD__INIT;
    Kf__SetHousehold change = KF__SET_HOUSEHOLD__INIT;
    Kf__Person people [S_PEOPLE_MAX], *list [S_PEOPLE_MAX];
    char *copies [S_PEOPLE_MAX] = { 0 };
    int rc = 0;
    if (set) {
        for (size_t i = 0; i < a.people_count && rc == 0; i++) {
            kf__person__init (&people [i]);
            list [i] = &people [i];
            rc = s_person (a.people [i], &people [i], &copies [i]);
        }
        change.estate = (char *) estate;
        change.unit = argv [first];
        change.people = list;
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
    for (size_t i = 0; set && i < a.people_count; i++) {
        free (copies [i]);
        if (i < a.people_count)
            free (people [i].phones);
    }
    return rc;
}

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
    "       kefuctl household set UNIT --estate E --person ROLE:NAME[:PHONE[,PHONE]][:ID_LAST4]...\n\n"
    "set replaces the unit's people with those given (ROLE is owner, member or\n"
    "tenant); the first owner becomes the unit's owner of record. Only an identity\n"
    "document's last four characters are kept.",
    s_household, NULL
};
