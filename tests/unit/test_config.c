/*  Unit tests: kf_config. Run from the top of the source tree.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kf_config.h"
#include "kf_time.h"
#include "types.pb-c.h"

#define MINIMAL \
    "bus\n" \
    "    publish = ipc://run/bus-in\n" \
    "    subscribe = ipc://run/bus-out\n" \
    "estates\n" \
    "    E001\n" \
    "        name = \"Riverside Garden\"\n"

static void
test_demo_configuration (void **state)
{
    (void) state;
    kf_err_t err;
    kf_config_t *config = kf_config_load ("deploy/kefu.conf", &err);
    if (!config)
        fail_msg ("%s", err.text);
    assert_int_equal (kf_config_estate_count (config), 3);
    const kf_estate_t *e2 = kf_config_estate_find (config, "E002");
    assert_non_null (e2);
    assert_string_equal (e2->name, "Maple Court 枫林苑");
    assert_int_equal (e2->utc_offset_min, 480);
    assert_string_equal (e2->calendar_name, "cn-2026");
    assert_string_equal (e2->intake, "intake@c1");   //  defaulted from the cluster name
    assert_null (kf_config_estate_find (config, "E999"));
    //  The estate's calendar has the configured holidays and make-up days.
    int64_t day;
    kf_date_parse ("2026-10-05", &day, NULL);
    assert_int_equal (kf_calendar_day_kind (e2->calendar, day), KF_DAY_HOLIDAY);
    kf_date_parse ("2026-10-10", &day, NULL);
    assert_int_equal (kf_calendar_day_kind (e2->calendar, day), KF_DAY_MAKEUP);
    assert_string_equal (kf_config_str (config, "bus/subscribe"), "ipc://var/run/bus-out");
    assert_string_equal (kf_config_str (config, "services/dispatch/replay"), "ipc://var/run/dispatch-replay");
    assert_int_equal (kf_config_duration_ms (config, "bus/heartbeat"), 1000);
    assert_int_equal (kf_config_duration_ms (config, "bus/outbox_max_age"), 7 * KF_MS_PER_DAY);
    assert_int_equal (kf_config_int (config, "bus/outbox_max_events"), 1000000);
    kf_config_destroy (&config);
    assert_null (config);
    kf_config_destroy (&config);
}

static void
test_defaults (void **state)
{
    (void) state;
    kf_err_t err;
    kf_config_t *config = kf_config_load_text (MINIMAL, "minimal.conf", &err);
    if (!config)
        fail_msg ("%s", err.text);
    assert_string_equal (kf_config_str (config, "cluster/name"), "c1");
    assert_string_equal (kf_config_str (config, "cluster/data_dir"), "var/data");
    assert_false (kf_config_has (config, "cluster/data_dir"));
    assert_true (kf_config_has (config, "bus/publish"));
    assert_string_equal (kf_config_str (config, "services/intake/endpoint"), "ipc://var/run/intake");
    assert_null (kf_config_str (config, "bus/capture"));
    const kf_estate_t *e1 = kf_config_estate (config, 0);
    assert_string_equal (e1->id, "E001");
    assert_int_equal (e1->utc_offset_min, 480);
    assert_string_equal (e1->calendar_name, "default");
    //  The default calendar: the standard's hours, no holidays.
    int64_t t;
    kf_time_parse ("2026-10-01 09:00", 480, &t, NULL);   //  a Thursday
    assert_true (kf_calendar_is_open (e1->calendar, t));
    kf_time_parse ("2026-10-03 08:45", 480, &t, NULL);   //  a Saturday, before 09:00
    assert_false (kf_calendar_is_open (e1->calendar, t));
    kf_config_destroy (&config);
}

static void
test_calendar_overrides (void **state)
{
    (void) state;
    kf_err_t err;
    kf_config_t *config = kf_config_load_text (
        MINIMAL
        "        calendar = short-fridays\n"
        "        utc_offset = +00:00\n"
        "        intake = intake@estate-e001\n"
        "calendars\n"
        "    short-fridays\n"
        "        friday = 08:30-12:00\n"
        "        weekend_hours = closed\n"
        "        holidays = 2026-12-25\n", "x.conf", &err);
    if (!config)
        fail_msg ("%s", err.text);
    const kf_estate_t *e1 = kf_config_estate (config, 0);
    assert_string_equal (e1->intake, "intake@estate-e001");
    int64_t t;
    kf_time_parse ("2026-09-25T13:00:00Z", 0, &t, NULL);   //  Friday afternoon
    assert_false (kf_calendar_is_open (e1->calendar, t));
    kf_time_parse ("2026-09-24T13:00:00Z", 0, &t, NULL);   //  Thursday afternoon
    assert_true (kf_calendar_is_open (e1->calendar, t));
    kf_time_parse ("2026-09-26T13:00:00Z", 0, &t, NULL);   //  Saturday
    assert_false (kf_calendar_is_open (e1->calendar, t));
    kf_config_destroy (&config);
}

static void
test_errors_name_the_key (void **state)
{
    (void) state;
    struct { const char *text; const char *reason; } cases [] = {
        //  Unknown keys, with what was expected.
        { MINIMAL "        nmae = x\n",
          "bad.conf: unknown key estates/E001/nmae (expected one of: name, utc_offset, calendar, intake, intake_endpoint, intake_certificate, priority, routing, staff, plans, sla, escalation, billing, survey, registry, desk, notify)" },
        { MINIMAL "colour = blue\n", "bad.conf: unknown key colour (expected one of: cluster, bus, calendars, estates, routing, sla, escalation, billing, survey, registry, desk, notify, dispatch, priority, security, archive, services, gateway, accounts)" },
        { MINIMAL "services\n    mailer\n        endpoint = ipc://x\n", "unknown key services/mailer" },
        //  Bad values, with what was expected.
        { MINIMAL "        utc_offset = 8\n", "bad.conf: estates/E001/utc_offset: '8' is not a UTC offset (expected e.g. +08:00)" },
        { MINIMAL "cluster\n    log_level = loud\n", "cluster/log_level: 'loud' is not a log level" },
        { MINIMAL "cluster\n    name = \"c 1\"\n", "cluster/name: 'c 1' is not an identifier" },
        { "bus\n    publish = http://x\n    subscribe = ipc://y\nestates\n    E1\n        name = a\n",
          "bus/publish: 'http://x' is not an endpoint" },
        { MINIMAL "bus\n", "bus is given twice" },
        { MINIMAL "    E001\n        name = again\n", "estates/E001 is given twice" },
        { MINIMAL "        name = twice\n", "estates/E001/name is given twice" },
        { "bus\n    publish = ipc://a\n    subscribe = ipc://b\n    heartbeat = 5m\nestates\n    E1\n        name = a\n",
          "bus/heartbeat: '5m' is outside 100ms..1m" },
        { "bus\n    publish = ipc://a\n    subscribe = ipc://b\n    outbox_max_events = lots\nestates\n    E1\n        name = a\n",
          "bus/outbox_max_events: 'lots' is not an integer from 1000 to 1000000000" },
        { MINIMAL "calendars\n    cn\n        holidays = 2026-10-01..2026-09-01\n", "is not a range of at most a year" },
        { MINIMAL "calendars\n    cn\n        weekday_hours = 9-5\n", "calendars/cn/weekday_hours: '9-5' is not a list of opening hours" },
        { MINIMAL "calendars\n    cn\n        holidays = 2026-10-01\n        makeup_days = 2026-10-01\n",
          "bad.conf: calendars/cn: 2026-10-01 cannot be both a make-up working day and a holiday" },
        { MINIMAL "services\n    gateway\n        listen = 8080\n", "services/gateway/listen: '8080' is not host:port" },
        { MINIMAL "        intake = intake\n", "estates/E001/intake: 'intake' is not a producer id" },
        { "bus\n    publish = ipc://a\n    subscribe = ipc://b\nestates\n    E1\n        name = \"\xc0\xaf\"\n",
          "estates/E1/name: expected 1 to 200 bytes of UTF-8 text" },
        { MINIMAL "priority\n    urgent = category:lift, colour:red\n",
          "priority/urgent: 'colour:red' is not a term (expected type:, channel:, category:, hazard: or priority: and a value)" },
        { MINIMAL "priority\n    urgent = category:lifts\n", "priority/urgent: 'category:lifts' names no category" },
        { MINIMAL "priority\n    low = type:unspecified\n", "priority/low: 'type:unspecified' names no type" },
        { MINIMAL "        priority\n            low = \"type:enquiry,,\"\n", "estates/E001/priority/low: 'type:enquiry,,': expected terms" },
        //  Staff, routing and dispatch.
        { MINIMAL "        staff\n            T01\n                department = engineering\n",
          "bad.conf: estates/E001/staff/T01/name is missing" },
        { MINIMAL "        staff\n            T01\n                name = Wang\n",
          "bad.conf: estates/E001/staff/T01/department is missing" },
        { MINIMAL "        staff\n            T01\n                name = Wang\n                department = plumbing\n",
          "estates/E001/staff/T01/department: 'plumbing' is not a department (engineering, cleaning" },
        { MINIMAL "        staff\n            T01\n                name = Wang\n                department = engineering\n"
                  "                skills = \"water_leak, lifts\"\n",
          "estates/E001/staff/T01/skills: 'lifts' is not one of Category" },
        { MINIMAL "        staff\n            T01\n                name = Wang\n                department = engineering\n"
                  "                shifts = \"mon-fri 8:30-17:30\"\n",
          "estates/E001/staff/T01/shifts: '8:30-17:30' is not a span of hours" },
        { MINIMAL "        staff\n            T01\n                name = Wang\n                department = engineering\n"
                  "                role = boss\n", "estates/E001/staff/T01/role: 'boss' is not a role" },
        { MINIMAL "        staff\n            T01\n                name = Wang\n                department = engineering\n"
                  "                role = owner\n", "estates/E001/staff/T01/role: 'owner' is no staff role" },
        { MINIMAL "        staff\n            T.1\n                name = Wang\n", "estates/E001/staff/T.1: 'T.1' is not an identifier" },
        { MINIMAL "routing\n    plumbing = category:plumbing\n", "unknown key routing/plumbing" },
        { MINIMAL "dispatch\n    rectification_due = 30m\n", "dispatch/rectification_due: '30m' is outside 1h..7d" },
        //  SLA policies and the chain.
        { MINIMAL "sla\n    complaint\n        resolution = tomorrow\n",
          "sla/complaint/resolution: 'tomorrow' is not an SLA limit (none, same_day, 1wd..30wd, or a duration" },
        { MINIMAL "sla\n    repair\n        on_site = 31wd\n", "sla/repair/on_site: '31wd' is not an SLA limit" },
        { MINIMAL "        sla\n            repair\n                hours = nights\n",
          "estates/E001/sla/repair/hours: 'nights' is not 24x7 or working" },
        { MINIMAL "        sla\n            gold\n                resolution = 1h\n", "unknown key estates/E001/sla/gold" },
        { MINIMAL "sla\n    hotline\n        pause_for = any\n", "sla/hotline/pause_for: 'any' is not a pause reason" },
        { MINIMAL "sla\n    same_day_cutoff = 25:00\n", "sla/same_day_cutoff: '25:00' is not a time of day" },
        { MINIMAL "sla\n    warning_percent = 100\n", "sla/warning_percent: '100' is not an integer from 50 to 99" },
        { MINIMAL "escalation\n    supervisor_after = soon\n", "escalation/supervisor_after: 'soon'" },
        //  Billing.
        { MINIMAL "billing\n    reminders = \"15, 7\"\n", "billing/reminders: '15, 7' is not a list of day counts" },
        { MINIMAL "        billing\n            due_day = 31\n", "estates/E001/billing/due_day: '31' is not an integer from 1 to 28" },
        { MINIMAL "billing\n    late_fee_per_day = 5%\n", "billing/late_fee_per_day: '5%' is not an integer" },
        //  Survey.
        { MINIMAL "survey\n    visit_safety = 10m\n", "survey/visit_safety: '10m' is outside 1h..30d" },
        { MINIMAL "        survey\n            leak_categories = \"water_leak, drips\"\n",
          "estates/E001/survey/leak_categories: 'drips' is not one of Category" },
        { MINIMAL "survey\n    daily_report_at = noon\n", "survey/daily_report_at: 'noon' is not a time of day" },
        //  Structure.
        { MINIMAL "        calendar = nowhere\n", "no calendar 'nowhere' under calendars" },
        { MINIMAL "    E.9\n        name = x\n", "estates/E.9: 'E.9' is not an identifier" },
        { MINIMAL "bus2 = 1\n", "unknown key bus2" },
        { "bus = ipc://x\nestates\n    E1\n        name = a\n", "bus is a section" },
        { MINIMAL "        name\n            first = x\n", "given twice" },
        { "bus\n    publish = ipc://a\nestates\n    E1\n        name = a\n", "bad.conf: bus/subscribe is missing" },
        { "bus\n    publish = ipc://a\n    subscribe = ipc://b\nestates\n    E1\n        utc_offset = +08:00\n",
          "bad.conf: estates/E1/name is missing" },
        { "bus\n    publish = ipc://a\n    subscribe = ipc://b\nestates\n", "bad.conf: estates lists no estate" },
        { "bus\n    publish = ipc://a\n    subscribe = ipc://b\n", "bad.conf: estates is missing" },
        //  ZPL syntax, with the line.
        { "bus\n  publish = x\n", "bad.conf line 2: indent 4 spaces at once" },
        { "bus\n    publish = \"unterminated\n", "bad.conf line 2: missing \"" },
        { NULL, NULL }
    };
    for (int i = 0; cases [i].text; i++) {
        kf_err_t err = { "" };
        kf_config_t *config = kf_config_load_text (cases [i].text, "bad.conf", &err);
        if (config)
            fail_msg ("case %d accepted:\n%s", i, cases [i].text);
        if (!strstr (err.text, cases [i].reason))
            fail_msg ("case %d: got '%s', expected '%s'", i, err.text, cases [i].reason);
        assert_null (strchr (err.text, '\n'));
    }
}

static int
s_collect_term (const char *field, int value, void *arg)
{
    char *out = arg;
    sprintf (out + strlen (out), "%s=%d;", field, value);
    return 0;
}

static void
test_terms (void **state)
{
    (void) state;
    char out [256] = "";
    assert_int_equal (kf_config_terms (" Category:GAS ,hazard:person_trapped,type:emergency_help ", s_collect_term, out, NULL), 0);
    assert_string_equal (out, "category=8;hazard=2;type=5;");
    out [0] = 0;
    assert_int_equal (kf_config_terms ("none", s_collect_term, out, NULL), 0);
    assert_string_equal (out, "");
    kf_err_t err;
    assert_int_equal (kf_config_terms ("", NULL, NULL, &err), -1);
    assert_int_equal (kf_config_terms ("channel:", NULL, NULL, &err), -1);
    assert_int_equal (kf_config_terms (":x", NULL, NULL, &err), -1);
}

static int
s_collect_name (const char *name, void *arg)
{
    strcat (arg, name);
    strcat (arg, ";");
    return 0;
}

static void
test_staff (void **state)
{
    (void) state;
    kf_err_t err;
    kf_config_t *config = kf_config_load_text (MINIMAL
        "        staff\n"
        "            T02\n"
        "                name = \"Li Na 李娜\"\n"
        "                department = Customer_Service\n"
        "                role = supervisor\n"
        "            T01\n"
        "                name = Wang\n"
        "                department = engineering\n"
        "                skills = \"water_leak, plumbing\"\n"
        "                shifts = \"mon-fri 08:30-17:30, hol 09:00-17:00\"\n"
        "                on_call = true\n", "staff.conf", &err);
    if (!config)
        fail_msg ("%s", err.text);
    char names [64] = "";
    assert_int_equal (kf_config_each (config, "estates/E001/staff", s_collect_name, names), 0);
    assert_string_equal (names, "T02;T01;");   //  file order
    names [0] = 0;
    assert_int_equal (kf_config_each (config, "estates/E009/staff", s_collect_name, names), 0);
    assert_string_equal (names, "");
    assert_int_equal (kf_config_enum (config, "estates/E001/staff/T02/department"), 5);
    assert_int_equal (kf_config_enum (config, "estates/E001/staff/T02/role"), 3);
    assert_int_equal (kf_config_enum (config, "estates/E001/staff/T01/role"), 2);   //  technician by default
    assert_string_equal (kf_config_str (config, "estates/E001/staff/T02/skills"), "any");
    assert_string_equal (kf_config_str (config, "estates/E001/staff/T02/shifts"), "off");
    assert_true (kf_config_bool (config, "estates/E001/staff/T01/on_call"));
    assert_true (kf_config_bool (config, "estates/E001/staff/T02/active"));
    int values [8];
    assert_int_equal (kf_config_enum_list (kf_config_str (config, "estates/E001/staff/T01/skills"),
                                           &kf__category__descriptor, values, 8, NULL), 2);
    assert_int_equal (values [0], 1);
    assert_int_equal (values [1], 2);
    assert_int_equal (kf_config_enum_list ("any", &kf__category__descriptor, values, 8, NULL), 0);
    assert_int_equal (kf_config_enum_list ("gas, gas, gas", &kf__category__descriptor, values, 2, NULL), -1);
    assert_int_equal (kf_config_duration_ms (config, "dispatch/rectification_due"), 24 * KF_MS_PER_HOUR);
    assert_non_null (strstr (kf_config_str (config, "routing/engineering"), "category:lift"));
    kf_config_destroy (&config);
}

static void
test_missing_file (void **state)
{
    (void) state;
    kf_err_t err;
    assert_null (kf_config_load ("/nonexistent/kefu.conf", &err));
    assert_string_equal (err.text, "cannot read configuration /nonexistent/kefu.conf: No such file or directory");
}

static void
test_ids (void **state)
{
    (void) state;
    assert_true (kf_config_valid_id ("E001"));
    assert_true (kf_config_valid_id ("north_gate-2"));
    assert_false (kf_config_valid_id (""));
    assert_false (kf_config_valid_id ("E/1"));
    assert_false (kf_config_valid_id ("E|1"));
    assert_false (kf_config_valid_id ("abcdefghijklmnopqrstuvwxyz0123456"));
    assert_false (kf_config_valid_id (NULL));
    //  The estate of a ticket number, '-' in the estate id included.
    char estate [KF_ID_MAX + 1];
    assert_true (kf_ticket_no_estate ("E001-20261123-0001", estate, sizeof estate));
    assert_string_equal (estate, "E001");
    assert_true (kf_ticket_no_estate ("north-gate-20261123-12345", estate, sizeof estate));
    assert_string_equal (estate, "north-gate");
    assert_false (kf_ticket_no_estate ("20261123-0001", estate, sizeof estate));
    assert_false (kf_ticket_no_estate ("E001", estate, sizeof estate));
    assert_false (kf_ticket_no_estate ("-20261123-0001", estate, sizeof estate));
    assert_false (kf_ticket_no_estate ("E001-20261123-0001", estate, 4));
}

//  A group's worth of estates: each found where the file lists it (every
//  event asks, so it is looked up by name, not walked).
static void
test_many_estates (void **state)
{
    (void) state;
    size_t size = 128 + 1200 * 40;
    char *text = malloc (size);
    assert_non_null (text);
    int n = snprintf (text, size, "bus\n    publish = ipc://in\n    subscribe = ipc://out\nestates\n");
    for (int e = 1200; e >= 1; e--)   //  not in name order: the index is the file's
        n += snprintf (text + n, size - (size_t) n, "    G%04d\n        name = estate %d\n", e, e);
    kf_err_t err;
    kf_config_t *config = kf_config_load_text (text, "test", &err);
    free (text);
    if (!config)
        fail_msg ("%s", err.text);
    assert_int_equal (kf_config_estate_count (config), 1200);
    assert_int_equal (kf_config_estate_index (config, "G1200"), 0);
    assert_int_equal (kf_config_estate_index (config, "G0001"), 1199);
    assert_int_equal (kf_config_estate_index (config, "G0600"), 600);
    assert_string_equal (kf_config_estate_find (config, "G0600")->name, "estate 600");
    assert_int_equal (kf_config_estate_index (config, "G0000"), -1);
    assert_int_equal (kf_config_estate_index (config, "G060"), -1);
    assert_int_equal (kf_config_estate_index (config, NULL), -1);
    kf_config_destroy (&config);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_demo_configuration),
        cmocka_unit_test (test_defaults),
        cmocka_unit_test (test_calendar_overrides),
        cmocka_unit_test (test_errors_name_the_key),
        cmocka_unit_test (test_staff),
        cmocka_unit_test (test_missing_file),
        cmocka_unit_test (test_terms),
        cmocka_unit_test (test_ids),
        cmocka_unit_test (test_many_estates),
    };
    return cmocka_run_group_tests_name ("kf_config", tests, NULL, NULL);
}
