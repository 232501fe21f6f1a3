/*  Integration tests of kefuctl on its own, with no daemon running.

    Every command's --help, and that of each action that parses its own
    options (order STEP, report NAME), taken from kefuctl's command table
    itself, so a command added later is covered without touching this
    file: each must print its usage, exit 0, say nothing on stderr, and
    reach for no daemon. The configuration points every endpoint at an
    empty directory, so a command that carried on past its usage to a
    socket would fail ("not running": kefuctl looks for the ipc:// file
    before it connects), hang (tap, bounded by the run's deadline), or
    leave a file there.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>

#include "kf_test.h"
#include "kf_harness.h"
#include "../../services/kefuctl/ctl.h"

static char s_config [256], s_run_dir [256];
static char s_out [65536], s_err [4096];

static void
s_write_config (void)
{
    const char *d = kf_test_dir;
    char text [4096];
    snprintf (text, sizeof text,
        "cluster\n    name = c1\n    data_dir = %s/data\n"
        "bus\n    publish = ipc://%s/run/bus-in\n    subscribe = ipc://%s/run/bus-out\n"
        "    capture = ipc://%s/run/bus-tap\n"
        "estates\n    E001\n        name = One\n"
        "services\n"
        "    intake\n        endpoint = ipc://%s/run/intake\n        replay = ipc://%s/run/intake-replay\n"
        "    dispatch\n        endpoint = ipc://%s/run/dispatch\n        replay = ipc://%s/run/dispatch-replay\n"
        "    escalation\n        endpoint = ipc://%s/run/escalation\n        replay = ipc://%s/run/escalation-replay\n"
        "    survey\n        endpoint = ipc://%s/run/survey\n        replay = ipc://%s/run/survey-replay\n"
        "    billing\n        endpoint = ipc://%s/run/billing\n        replay = ipc://%s/run/billing-replay\n",
        d, d, d, d, d, d, d, d, d, d, d, d, d, d);
    h_write ("kefu.conf", text, s_config, sizeof s_config);
    snprintf (s_run_dir, sizeof s_run_dir, "%s/run", d);
    assert_int_equal (mkdir (s_run_dir, 0750), 0);
}

//  Entries in a directory, . and .. aside.
static int
s_entries (const char *path)
{
    DIR *dir = opendir (path);
    assert_non_null (dir);
    int n = 0;
    for (struct dirent *e = readdir (dir); e; e = readdir (dir))
        n += strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0;
    closedir (dir);
    return n;
}

//  kefuctl --config CONFIG, the words of `name` ("order pause"), then
//  `option`: its exit status, or -1 when it crashed or was still running
//  after 20 s (killed then).
static int
s_ctl (const char *name, const char *option)
{
    char words [128], *argv [16] = { "kefuctl", "--config", s_config };
    int n = 3;
    snprintf (words, sizeof words, "%s", name);
    for (char *word = strtok (words, " "); word && n < 14; word = strtok (NULL, " "))
        argv [n++] = word;
    if (*option)
        argv [n++] = (char *) option;
    argv [n] = NULL;
    return h_runv_within (kf_test_dir, s_out, sizeof s_out, s_err, sizeof s_err, argv, 20000);
}

//  `name --help` (and -h) prints its usage and nothing else, and does
//  nothing else: no error, no daemon asked, nothing left behind.
static void
s_check_help (const char *name, const char *usage)
{
    static const char *options [] = { "--help", "-h" };
    char expected [8192];
    snprintf (expected, sizeof expected, "usage: kefuctl %s\n", usage);
    for (size_t i = 0; i < 2; i++) {
        int status = s_ctl (name, options [i]);
        if (status != 0 || strcmp (s_out, expected) != 0 || *s_err)
            fail_msg ("kefuctl %s %s: exit %d, stdout '%.300s', stderr '%s'", name, options [i], status, s_out, s_err);
        if (s_entries (s_run_dir) != 0)
            fail_msg ("kefuctl %s %s left something in %s", name, options [i], s_run_dir);
    }
}

static void
test_every_command_help (void **state)
{
    (void) state;
    s_write_config ();
    int commands = 0, actions = 0;
    for (int i = 0; ctl_commands [i]; i++, commands++) {
        const ctl_command_t *command = ctl_commands [i];
        s_check_help (command->name, command->usage);
        for (const ctl_command_t *action = command->actions; action && action->name; action++, actions++)
            //  An action without a usage of its own prints its command's.
            s_check_help (action->name, action->usage ? action->usage : command->usage);
    }
    assert_true (commands >= 21);
    assert_true (actions >= 14);
    //  kefuctl --help lists every command of the table.
    static const char *forms [][2] = { { "", "--help" }, { "", "-h" }, { "help", "" } };
    for (size_t f = 0; f < sizeof forms / sizeof forms [0]; f++) {
        assert_int_equal (s_ctl (forms [f][0], forms [f][1]), 0);
        for (int i = 0; ctl_commands [i]; i++) {
            char line [256];
            snprintf (line, sizeof line, "\n  %-8s %s\n", ctl_commands [i]->name, ctl_commands [i]->summary);
            if (!strstr (s_out, line))
                fail_msg ("kefuctl %s%s does not list %s", forms [f][0], forms [f][1], ctl_commands [i]->name);
        }
        assert_int_equal (s_entries (s_run_dir), 0);
    }
    //  Nothing but the configuration and the outputs in the scratch directory.
    assert_int_equal (s_entries (kf_test_dir), 4);
}

static void
test_options_given_twice (void **state)
{
    (void) state;
    s_write_config ();
    static const h_ctl_case_t cases [] = {
        { { "list", "--estate", "E001", "--estate", "E002" }, 2, "list: --estate given twice" },
        { { "list", "--estate=E001", "--page-size", "5", "--estate", "E001" }, 2, "list: --estate given twice" },
        { { "tap", "--kind", "ticket.", "--kind", "order." }, 2, "tap: --kind given twice" },
        { { "order", "pause", "X", "--reason", "owner", "--reason", "parts" }, 2, "order pause: --reason given twice" },
        { { "report", "sla", "--from", "2026-01-01", "--from", "2026-02-01" }, 2, "report: --from given twice" },
        { { "--timeout", "100", "--timeout", "200", "ping" }, 2, "--timeout given twice (see kefuctl --help)" },
        { { "--scope", "E001", "--scope", "E002", "list" }, 2, "--scope given twice" },
        //  What may be repeated still may: this one stops at the next check.
        { { "billing", "schedule", "--rate", "a:1", "--rate", "b:2", "--estate", "E001" }, 2,
          "billing schedule: --from YYYY-MM-DD is required" },
        { { NULL }, 0, NULL }
    };
    h_ctl_cases (s_config, cases);
    assert_int_equal (s_entries (s_run_dir), 0);
}

//  "-2h" and "-5" are operands (a clock moved back, an amount), not options.
static void
test_negative_numbers_are_operands (void **state)
{
    (void) state;
    s_write_config ();
    char clock [256];
    h_write ("clock", "1795000000000\n", clock, sizeof clock);
    char *back [] = { "kefuctl", "--config", s_config, "clock", "advance", "-2h", "--file", clock, NULL };
    assert_int_equal (h_runv_within (kf_test_dir, s_out, sizeof s_out, s_err, sizeof s_err, back, 20000), 0);
    char *show [] = { "kefuctl", "--config", s_config, "--json", "clock", "--file", clock, NULL };
    assert_int_equal (h_runv_within (kf_test_dir, s_out, sizeof s_out, s_err, sizeof s_err, show, 20000), 0);
    assert_non_null (strstr (s_out, "\"utc_ms\":\"1794992800000\""));
    //  As the old spelling still says.
    char *old [] = { "kefuctl", "--config", s_config, "clock", "advance", "--file", clock, "--", "-1h", NULL };
    assert_int_equal (h_runv_within (kf_test_dir, s_out, sizeof s_out, s_err, sizeof s_err, old, 20000), 0);
    assert_non_null (strstr (s_out, "2026-11-18T"));
    static const h_ctl_case_t cases [] = {
        { { "billing", "pay", "1-1-102", "-5.x", "--ref", "r1", "--estate", "E001" }, 2,
          "billing pay: amount: '-5.x' is not an amount in yuan" },
        { { "order", "complete", "X", "--paid", "-5" }, 2,
          "order complete: --paid: the amount must be a positive number of yuan, not -5.00" },
        { { "billing", "pay", "1-1-102", "-5", "--ref", "r1", "--estate", "E001" }, 2,
          "billing pay: the amount must be a positive number of yuan, not -5.00" },
        { { "billing", "refund", "WX1", "-0.5", "--ref", "r2", "--estate", "E001", "why" }, 2,
          "billing refund: the amount must be a positive number of yuan, not -0.50" },
        { { "list", "-x" }, 2, "list: unknown option -x" },
        { { NULL }, 0, NULL }
    };
    h_ctl_cases (s_config, cases);
    assert_int_equal (s_entries (s_run_dir), 0);
}

//  clock set takes what its help says: UTC milliseconds or ISO 8601.
static void
test_clock_set (void **state)
{
    (void) state;
    s_write_config ();
    char clock [256];
    snprintf (clock, sizeof clock, "%s/clock", kf_test_dir);
    char *set [] = { "kefuctl", "--config", s_config, "clock", "set", "1772413200000", "--file", clock, NULL };
    assert_int_equal (h_runv_within (kf_test_dir, s_out, sizeof s_out, s_err, sizeof s_err, set, 20000), 0);
    assert_non_null (strstr (s_out, "2026-03-02T01:00:00.000Z"));
    set [5] = "2026-03-02T09:30:00+08:00";
    assert_int_equal (h_runv_within (kf_test_dir, s_out, sizeof s_out, s_err, sizeof s_err, set, 20000), 0);
    assert_non_null (strstr (s_out, "2026-03-02T01:30:00.000Z"));
    static const h_ctl_case_t cases [] = {
        { { "clock", "set", "next tuesday", "--file", "/nonexistent/clock" }, 2,
          "clock set: 'next tuesday' is not a time" },
        { { "clock", "set", "99999999999999999999", "--file", "/nonexistent/clock" }, 2, "is out of range" },
        { { NULL }, 0, NULL }
    };
    h_ctl_cases (s_config, cases);
}

//  What a command needs and is not given is a wrong command line (exit 2),
//  and its usage shows it without brackets (as the synopsis here says).
static void
test_required_options (void **state)
{
    (void) state;
    s_write_config ();
    static const struct {
        h_ctl_case_t run;
        const char *command, *synopsis;
    } cases [] = {
        { { { "file", "--unit", "1-1-101", "--name", "a", "--phone", "13800000000", "--type", "repair", "--channel",
              "phone", "--category", "other", "text" }, 2, "file: --estate E is required (or kefuctl --scope E)" },
          "file", "file --estate E [--unit B-U-R] [--name NAME] --phone PHONE --type T --channel C --category C" },
        { { { "file", "--estate", "E001", "--unit", "1-1-101", "--name", "a", "--phone", "13800000000", "--channel",
              "phone", "--category", "other", "text" }, 2, "file: --type T is required" }, "file", "--type T" },
        { { { "file", "--estate", "E001", "--unit", "1-1-101", "--name", "a", "--type", "repair", "--channel",
              "phone", "--category", "other", "text" }, 2, "file: --phone PHONE is required" }, "file", "--phone PHONE" },
        { { { "file", "--estate", "E001", "--unit", "1-1-101", "--name", "a", "--phone", "13800000000", "--type",
              "repair", "--channel", "phone", "--category", "other" }, 2, "file: a DESCRIPTION is required" },
          "file", "DESCRIPTION..." },
        { { { "report", "daily" }, 2, "report daily: --estate E is required" }, "report", "report daily --estate E" },
        { { { "report", "arrears" }, 2, "report arrears: --estate E is required" }, "report", "report arrears --estate E" },
        { { { "report", "collection" }, 2, "report collection: --from YYYY-MM is required" }, "report",
          "report collection --from YYYY-MM" },
        { { { "units" }, 2, "units: --estate E is required" }, "units", "units [list] --estate E" },
        { { { "units", "import", "x.csv" }, 2, "units import: --estate E is required" }, "units",
          "units import FILE|- --estate E" },
        { { { "visits" }, 2, "visits: --estate E is required" }, "visits", "visits [list] --estate E" },
        { { { "evaluation", "sample", "--year", "2026", "--quarter", "4" }, 2,
            "evaluation sample: --estate E is required" }, "evaluation", "evaluation sample --estate E --year Y" },
        { { { "billing", "run", "--period", "2026-12" }, 2, "billing run: --estate E is required" }, "billing",
          "billing run --estate E --period YYYY-MM" },
        { { { "billing", "run", "--estate", "E001" }, 2, "billing run: --period YYYY-MM is required" }, "billing",
          "billing run --estate E --period YYYY-MM" },
        { { { "billing", "pay", "1-1-101", "10", "--estate", "E001" }, 2, "billing pay: --ref REFERENCE is required" },
          "billing", "billing pay UNIT YUAN --estate E --ref PAYMENT_REF" },
        { { { "billing", "statement", "1-1-101" }, 2, "billing statement: --estate E is required" }, "billing",
          "billing statement UNIT --estate E" },
        { { { "billing", "schedule", "--from", "2026-01-01", "--rate", "a:1" }, 2,
            "billing schedule: --estate E is required" }, "billing", "billing schedule --estate E --from YYYY-MM-DD" },
        { { { "staff", "rota", "W01", "daily" }, 2, "staff rota: --estate E is required" }, "staff",
          "staff rota STAFF ROTA... --estate E" },
        { { { "order", "pause", "X" }, 2, "order pause: --reason owner, parts or other is required" }, "order pause",
          "order pause ORDER --reason owner|parts|other" },
        { { { "order", "transfer", "X", "why" }, 2, "order transfer: --to DEPARTMENT is required" }, "order transfer",
          "order transfer ORDER --to DEPARTMENT" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        h_ctl_case_t one [2] = { cases [i].run, { { NULL }, 0, NULL } };
        h_ctl_cases (s_config, one);
        assert_int_equal (s_ctl (cases [i].command, "--help"), 0);
        if (!strstr (s_out, cases [i].synopsis))
            fail_msg ("kefuctl %s --help does not show '%s':\n%s", cases [i].command, cases [i].synopsis, s_out);
    }
    //  --scope stands in for --estate: this one goes on, to a daemon that is not there.
    static const h_ctl_case_t scoped [] = {
        { { "--scope", "E001", "report", "daily" }, 1, "kefu-survey is not running" },
        { { "--scope", "E001", "file", "--unit", "1-1-101", "--name", "a", "--phone", "13800000000", "--type",
            "repair", "--channel", "phone", "--category", "other", "text" }, 1, "kefu-intake is not running" },
        { { NULL }, 0, NULL }
    };
    h_ctl_cases (s_config, scoped);
    assert_int_equal (s_entries (s_run_dir), 0);
}

//  kefuctl with these words after --config; its exit status.
#define KEYS(...) h_run (kf_test_dir, s_out, sizeof s_out, s_err, sizeof s_err, "kefuctl", "--config", s_config, \
                         "keys", __VA_ARGS__, NULL)

//  Issue 16.1: a host's key pair says whose it is; the cluster admits the
//  public part of a sound one for estates it serves, lists and revokes.
static void
test_keys (void **state)
{
    (void) state;
    s_write_config ();
    char keys [300], allowed [300], path [400];
    snprintf (keys, sizeof keys, "%s/keys", kf_test_dir);
    snprintf (allowed, sizeof allowed, "%s/allowed", kf_test_dir);
    assert_int_equal (KEYS ("new", "e1", "--role", "estate", "--estates", "E001", "--dir", keys), 0);
    assert_int_equal (KEYS ("new", "e1", "--role", "estate", "--estates", "E001", "--dir", keys), 2);
    assert_non_null (strstr (s_err, "exists already"));
    assert_int_equal (KEYS ("new", "e2", "--role", "estate", "--dir", keys), 2);
    assert_non_null (strstr (s_err, "names its estates"));
    assert_int_equal (KEYS ("new", "e3", "--role", "mayor", "--dir", keys), 2);
    assert_int_equal (KEYS ("new", "e9", "--role", "estate", "--estates", "E009", "--dir", keys), 0);
    //  Admitting the secret file puts only the public part in.
    snprintf (path, sizeof path, "%s/e1.cert_secret", keys);
    assert_int_equal (KEYS ("admit", path, "--allowed", allowed), 0);
    assert_non_null (strstr (s_out, "admitted e1 (estate: E001)"));
    snprintf (path, sizeof path, "%s/e1.cert", allowed);
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    char text [2048];
    size_t got = fread (text, 1, sizeof text - 1, file);
    text [got] = 0;
    fclose (file);
    assert_null (strstr (text, "secret-key"));
    assert_non_null (strstr (text, "public-key"));
    //  An estate the cluster does not serve; a file that is no certificate.
    snprintf (path, sizeof path, "%s/e9.cert", keys);
    assert_int_equal (KEYS ("admit", path, "--allowed", allowed), 1);
    assert_non_null (strstr (s_err, "names estate E009, which this configuration does not serve"));
    h_write ("junk.cert", "junk\n", path, sizeof path);
    assert_int_equal (KEYS ("admit", path, "--allowed", allowed), 1);
    assert_non_null (strstr (s_err, "is not a certificate"));
    assert_int_equal (h_occurrences (s_err, "\n"), 1);   //  one line
    assert_int_equal (KEYS ("list", "--allowed", allowed), 0);
    assert_non_null (strstr (s_out, "e1    estate  E001"));
    //  No row of e9 (a row begins with the name; a key's hex may hold "e9").
    assert_true (strncmp (s_out, "e9 ", 3) != 0 && !strstr (s_out, "\ne9 "));
    assert_int_equal (KEYS ("revoke", "e1", "--allowed", allowed), 0);
    assert_int_equal (KEYS ("--allowed", allowed), 0);
    assert_null (strstr (s_out, "e1 "));
    assert_int_equal (KEYS ("revoke", "e1", "--allowed", allowed), 1);
    assert_int_equal (KEYS ("rotate", "e1"), 2);
}

int
main (void)
{
    h_init ();
    struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_every_command_help, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_options_given_twice, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_negative_numbers_are_operands, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_required_options, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_clock_set, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_keys, kf_test_dir_setup, h_teardown),
    };
    return H_RUN_TESTS (tests, NULL, NULL);
}
