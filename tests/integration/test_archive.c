/*  Integration tests of the archive (issue 17.3): kefu-archive keeps every
    event; a restored intake takes back from it the tickets filed after its
    backup; a consumer away longer than the outbox keeps events, and a
    daemon started for the first time after that, catch up from it; it
    survives kill -9 in the middle of its own catch-up. Real kefu-bus,
    kefu-archive, kefu-intake, kefu-dispatch and kefu-escalation on one
    file clock, driven through kefuctl.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kf_test.h"
#include "kf_harness.h"

//  Room for a whole estate's history of the kill -9 test, one event a line.
static char s_config [256], s_clock [256], s_out [4 << 20], s_err [4096];
static h_proc_t s_bus, s_archive, s_intake, s_dispatch, s_escalation, s_survey, s_billing, s_registry, s_desk, s_notify, s_loader;

#define CTL_AS(who, role, ...) h_run (kf_test_dir, s_out, sizeof s_out, s_err, sizeof s_err, "kefuctl", "--config", \
                                      s_config, "--as", who, "--role", role, __VA_ARGS__, NULL)

static void
s_write_config (void)
{
    char text [8192];
    h_cluster_config (text, sizeof text, "    outbox_max_age = 1d\n",
        "estates\n    E001\n        name = one\n        staff\n            W01\n                name = Plumber\n"
        "                department = engineering\n                shifts = \"daily 00:00-24:00\"\n"
        "    E002\n        name = two\n"
        "archive\n    recover_wait = 20s\n"
        "registry\n    check_units = false\n",   //  its tickets are for units no register holds
        (const char *[]) { "intake", "dispatch", "escalation", "archive", "survey", "billing", "registry", "desk",
                           "notify", NULL });
    h_write ("kefu.conf", text, s_config, sizeof s_config);
}

static bool
s_answers (void *arg)
{
    return CTL_OPS ("ping", (const char *) arg) == 0;
}

static void
s_daemon (h_proc_t *proc, const char *name)
{
    char program [32];
    snprintf (program, sizeof program, "kefu-%s", name);
    h_proc_init (proc, kf_test_dir, name, program, "--config", s_config, "--clock", s_clock, NULL);
    h_start (proc);
    assert_true (h_wait_for (s_answers, (void *) name, 20000));
}

static void
s_stop (h_proc_t *proc)
{
    assert_int_equal (h_stop (proc, 10000), 0);
    h_proc_free (proc);
}

//  The bus, the archive and intake; dispatch and escalation when asked.
static void
s_cluster_start (bool dispatch, bool escalation)
{
    s_write_config ();
    snprintf (s_clock, sizeof s_clock, "%s/clock", kf_test_dir);
    assert_int_equal (CTL_OPS ("clock", "set", "2026-12-02T10:00:00+08:00", "--file", s_clock), 0);
    h_proc_init (&s_bus, kf_test_dir, "bus", "kefu-bus", "--config", s_config, NULL);
    h_start (&s_bus);
    s_daemon (&s_archive, "archive");
    s_daemon (&s_intake, "intake");
    if (dispatch)
        s_daemon (&s_dispatch, "dispatch");
    if (escalation)
        s_daemon (&s_escalation, "escalation");
}

static void
s_cluster_stop (void)
{
    h_proc_t *procs [] = { &s_notify, &s_desk, &s_registry, &s_billing, &s_survey, &s_escalation, &s_dispatch, &s_intake, &s_archive, &s_bus };
    for (size_t i = 0; i < sizeof procs / sizeof procs [0]; i++)
        if (procs [i]->pid > 0)
            s_stop (procs [i]);
}

static void
s_file (int n, char *ticket_no, size_t size)
{
    h_file_leak (s_config, "archive", n, ticket_no, size);
}

static bool
s_has_order (void *arg)
{
    const char *args [] = { s_config, arg };
    return h_has_order (args);
}

static bool
s_has_clock (void *arg)
{
    return CTL_OPS ("sla", (const char *) arg) == 0;
}

//  A daemon's cursor on a stream is at least *want.
typedef struct {
    const char *daemon, *stream;
    uint64_t want;
} s_cursor_t;

static bool
s_cursor_at (void *arg)
{
    s_cursor_t *c = arg;
    if (CTL_OPS ("--json", "lag", c->daemon) != 0)
        return false;
    char needle [128], field [32];
    snprintf (needle, sizeof needle, "{\"stream\":\"%s\"", c->stream);
    const char *at = strstr (s_out, needle);
    return at && strtoull (h_json_field (at, "last_seq", field, sizeof field), NULL, 10) >= c->want;
}

//  No stream of the daemon is stopped; else fail with why (the alarms' JSON).
static void
s_no_stream_stopped (const char *daemon)
{
    assert_int_equal (CTL_OPS ("streams", daemon), 0);
    if (!strstr (s_out, "no stream is stopped")) {
        CTL_OPS ("--json", "streams", daemon);
        fail_msg ("%s: %s", daemon, s_out);
    }
}

//  How many lines of `text` hold `needle`.
static size_t
s_count (const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *at = strstr (text, needle); at; at = strstr (at + 1, needle))
        n++;
    return n;
}

//  The archive's history of a case holds at least `want` order.created
//  (the archive records each stream on its own time: wait for it, then
//  count exactly). Its history stays in s_out.
typedef struct {
    const char *ticket_no;
    size_t want;
} s_orders_t;

static bool
s_history_has_orders (void *arg)
{
    s_orders_t *o = arg;
    return CTL_OPS ("history", o->ticket_no) == 0 && s_count (s_out, "order.created") >= o->want;
}

//  ---- the scenario of issue 17, with the archive ---------------------------------

static bool
s_asking (void *arg)
{
    (void) arg;
    return h_log_contains (&s_intake, "from the archive");
}

static void
test_a_restored_intake_takes_back_its_tickets (void **state)
{
    (void) state;
    s_cluster_start (true, true);
    char tickets [9][64];
    for (int i = 0; i < 3; i++)
        s_file (i + 1, tickets [i], sizeof tickets [i]);
    assert_true (h_wait_for (s_has_order, tickets [2], 20000));
    char dir [320];
    assert_int_equal (CTL_OPS ("--json", "backup", "intake"), 0);
    assert_true (*h_backup_path (s_out, "intake@c1", dir, sizeof dir));
    for (int i = 3; i < 6; i++) {
        s_file (i + 1, tickets [i], sizeof tickets [i]);
        assert_true (*tickets [i]);
    }
    assert_true (h_wait_for (s_has_order, tickets [5], 20000));
    //  One of them closed, with its resolution.
    assert_int_equal (CTL_OPS ("close", tickets [4], "pipe", "replaced"), 0);
    s_cursor_t archived = { "archive", "intake@c1/E001", 7 };
    assert_true (h_wait_for (s_cursor_at, &archived, 20000));
    //  The disk breaks; the backup goes back (survey and billing are not run).
    s_stop (&s_intake);
    assert_int_equal (CTL_OPS ("--timeout", "2000", "restore", "intake", dir, "--force"), 0);
    assert_non_null (strstr (s_out, "takes back from the archive"));
    //  It waits for the archive, answering nothing meanwhile; killed then,
    //  the next start carries on.
    s_stop (&s_archive);
    h_proc_init (&s_intake, kf_test_dir, "intake", "kefu-intake", "--config", s_config, "--clock", s_clock, NULL);
    h_start (&s_intake);
    assert_true (h_wait_for (s_asking, NULL, 20000));
    assert_true (h_log_contains (&s_intake, "taking back 4..7 from the archive"));
    assert_int_equal (CTL_OPS ("--timeout", "300", "ping", "intake"), 1);
    h_kill9 (&s_intake);
    s_daemon (&s_archive, "archive");
    h_start (&s_intake);
    assert_true (h_wait_for (s_answers, "intake", 20000));
    assert_true (h_log_contains (&s_intake, "took back 4 events from the archive"));
    //  The tickets filed after the backup are back, as they were.
    for (int i = 3; i < 6; i++) {
        assert_int_equal (CTL_OPS ("--json", "show", tickets [i]), 0);
        char unit [32], want [48];
        snprintf (unit, sizeof unit, "3-2-15%02d", i + 1);
        snprintf (want, sizeof want, "\"unit\":\"%s\"", unit);
        assert_non_null (strstr (s_out, want));
        assert_non_null (strstr (s_out, "ticket.filed"));
    }
    assert_int_equal (CTL_OPS ("--json", "show", tickets [4]), 0);
    assert_non_null (strstr (s_out, "TICKET_STATUS_CLOSED"));
    assert_non_null (strstr (s_out, "\"resolution\":\"pipe replaced\""));
    //  Their orders' lines come back too, from dispatch's stream.
    assert_true (h_wait_for (s_has_order, tickets [5], 20000));
    //  A retry of a lost filing finds its ticket, not a conflict.
    char again [64];
    s_file (5, again, sizeof again);
    assert_string_equal (again, tickets [4]);
    //  New leaks: numbers nobody had, each with its order and clock.
    for (int i = 6; i < 9; i++) {
        s_file (i + 1, tickets [i], sizeof tickets [i]);
        assert_true (*tickets [i]);
        for (int j = 0; j < i; j++)
            assert_string_not_equal (tickets [i], tickets [j]);
        assert_true (h_wait_for (s_has_order, tickets [i], 20000));
        assert_true (h_wait_for (s_has_clock, tickets [i], 20000));
    }
    //  Nothing stopped, nothing was lost, and the case's history is whole.
    s_no_stream_stopped ("dispatch");
    assert_true (h_log_contains (&s_dispatch, "nothing applied here was lost"));
    s_orders_t one = { tickets [4], 1 };
    assert_true (h_wait_for (s_history_has_orders, &one, 20000));
    assert_non_null (strstr (s_out, "ticket.filed"));
    s_cluster_stop ();
}

static bool
s_visit_due (void *arg)
{
    char want [96];
    snprintf (want, sizeof want, "\"visit_id\":\"%s\"", (const char *) arg);
    return CTL_OPS ("--json", "visits", "--estate", "E001", "--all") == 0 && strstr (s_out, want);
}

static bool
s_order_exists (void *arg)
{
    return CTL_OPS ("order", "show", (const char *) arg) == 0;
}

//  A daemon's head of its stream, from kefuctl lag --json.
static uint64_t
s_head (const char *daemon, const char *stream)
{
    if (CTL_OPS ("--json", "lag", daemon) != 0)
        return 0;
    char needle [128], field [32];
    snprintf (needle, sizeof needle, "\"heads\":[{\"stream\":\"%s\"", stream);
    const char *at = strstr (s_out, needle);
    return at ? strtoull (h_json_field (at, "head_seq", field, sizeof field), NULL, 10) : 0;
}

static void
test_a_restored_dispatch_takes_back_its_orders (void **state)
{
    (void) state;
    s_cluster_start (true, true);
    s_daemon (&s_survey, "survey");
    char tickets [9][64], order [80], visit [80];
    for (int i = 0; i < 3; i++)
        s_file (i + 1, tickets [i], sizeof tickets [i]);
    assert_true (h_wait_for (s_has_order, tickets [2], 20000));
    char dir [320];
    assert_int_equal (CTL_OPS ("--json", "backup", "dispatch"), 0);
    assert_true (*h_backup_path (s_out, "dispatch@c1", dir, sizeof dir));
    //  After the backup: three more orders, one of them accepted, one done
    //  and found wanting at its return visit (a rectification order, W2).
    for (int i = 3; i < 6; i++)
        s_file (i + 1, tickets [i], sizeof tickets [i]);
    assert_true (h_wait_for (s_has_order, tickets [5], 20000));
    snprintf (order, sizeof order, "%s-W1", tickets [4]);
    assert_int_equal (CTL_AS ("W01", "technician", "order", "accept", order), 0);
    snprintf (order, sizeof order, "%s-W1", tickets [3]);
    assert_int_equal (CTL_AS ("W01", "technician", "order", "accept", order), 0);
    assert_int_equal (CTL_AS ("W01", "technician", "order", "complete", order, "fixed"), 0);
    snprintf (visit, sizeof visit, "%s-V1", tickets [3]);
    assert_true (h_wait_for (s_visit_due, visit, 20000));
    assert_int_equal (CTL_OPS ("visits", "answer", visit, "--reached", "--satisfaction", "unsatisfied", "--score", "1",
                           "still", "leaking"), 0);
    char rectification [80];
    snprintf (rectification, sizeof rectification, "%s-W2", tickets [3]);
    assert_true (h_wait_for (s_order_exists, rectification, 20000));
    snprintf (order, sizeof order, "%s-W1", tickets [4]);
    s_cursor_t archived = { "archive", "dispatch@c1/E001", s_head ("dispatch", "dispatch@c1/E001") };
    assert_true (archived.want > 0);
    assert_true (h_wait_for (s_cursor_at, &archived, 20000));
    s_stop (&s_dispatch);
    assert_int_equal (CTL_OPS ("--timeout", "2000", "restore", "dispatch", dir, "--force"), 0);
    s_daemon (&s_dispatch, "dispatch");
    assert_true (h_log_contains (&s_dispatch, "events from the archive"));
    //  The orders made after the backup are back, in the state they were.
    assert_int_equal (CTL_OPS ("--json", "order", "show", order), 0);
    assert_non_null (strstr (s_out, "ORDER_STATUS_ACCEPTED"));
    for (int i = 3; i < 6; i++)
        assert_true (h_wait_for (s_has_order, tickets [i], 20000));
    //  New cases: orders and clocks, and W01 carries every open order once.
    for (int i = 6; i < 9; i++) {
        s_file (i + 1, tickets [i], sizeof tickets [i]);
        assert_true (h_wait_for (s_has_order, tickets [i], 20000));
        assert_true (h_wait_for (s_has_clock, tickets [i], 20000));
    }
    assert_int_equal (CTL_OPS ("--json", "staff", "--estate", "E001"), 0);
    assert_non_null (strstr (s_out, "\"open_orders\":9"));
    //  Each order was made once: dispatch did not make it again when it
    //  consumed intake's and survey's events from its restored cursors.
    for (int i = 3; i < 6; i++) {
        s_orders_t orders = { tickets [i], i == 3 ? 2 : 1 };
        if (!h_wait_for (s_history_has_orders, &orders, 20000) || s_count (s_out, "order.created") != orders.want)
            fail_msg ("%s: %s", tickets [i], s_out);
    }
    snprintf (rectification, sizeof rectification, "%s-W3", tickets [3]);
    assert_false (s_order_exists (rectification));
    s_no_stream_stopped ("escalation");
    s_cluster_stop ();
}

//  ---- billing ---------------------------------------------------------------------

static void
test_a_restored_billing_takes_back_its_notices_and_payments (void **state)
{
    (void) state;
    s_cluster_start (false, false);
    s_daemon (&s_billing, "billing");
    s_daemon (&s_registry, "registry");
    char path [256], dir [320], field [64], receipt [64], refund [64];
    h_write ("units.csv", "unit,area_m2,occupied,building_type\n1-1-101,100,yes,highrise\n1-1-102,80,yes,highrise\n",
             path, sizeof path);
    assert_int_equal (CTL_OPS ("units", "import", path, "--estate", "E001"), 0);
    assert_int_equal (CTL_OPS ("billing", "schedule", "--estate", "E001", "--from", "2026-01-01", "--rate",
                           "highrise:2.00"), 0);
    assert_int_equal (CTL_OPS ("--json", "backup", "billing"), 0);
    assert_true (*h_backup_path (s_out, "billing@c1", dir, sizeof dir));
    //  After the backup: November's notices, a payment and a refund.
    assert_int_equal (CTL_OPS ("billing", "run", "--estate", "E001", "--period", "2026-11"), 0);
    assert_int_equal (CTL_OPS ("--json", "billing", "pay", "1-1-101", "300", "--ref", "WX1", "--estate", "E001"), 0);
    snprintf (receipt, sizeof receipt, "%s", h_json_field (s_out, "receipt_no", field, sizeof field));
    assert_int_equal (CTL_OPS ("--json", "billing", "refund", "WX1", "50", "--estate", "E001", "--ref", "RF1",
                           "paid", "twice"), 0);
    snprintf (refund, sizeof refund, "%s", h_json_field (s_out, "receipt_no", field, sizeof field));
    assert_string_not_equal (receipt, refund);
    s_cursor_t archived = { "archive", "billing@c1/E001", s_head ("billing", "billing@c1/E001") };
    assert_true (archived.want >= 5);
    assert_true (h_wait_for (s_cursor_at, &archived, 20000));
    assert_int_equal (CTL_OPS ("--json", "billing", "statement", "1-1-101", "--estate", "E001"), 0);
    char *before = strdup (s_out);
    assert_non_null (before);
    //  The store goes back to before all that, and takes it back.
    s_stop (&s_billing);
    assert_int_equal (CTL_OPS ("--timeout", "2000", "restore", "billing", dir, "--force"), 0);
    s_daemon (&s_billing, "billing");
    assert_true (h_log_contains (&s_billing, "events from the archive"));
    //  The unit's statement is as it was: notice, payment, refund, balance.
    assert_int_equal (CTL_OPS ("--json", "billing", "statement", "1-1-101", "--estate", "E001"), 0);
    if (strcmp (s_out, before) != 0)
        fail_msg ("statement before:\n%s\nafter:\n%s", before, s_out);
    free (before);
    //  A retry of the payment finds it; a new one takes a new receipt.
    assert_int_equal (CTL_OPS ("--json", "billing", "pay", "1-1-101", "300", "--ref", "WX1", "--estate", "E001"), 0);
    assert_string_equal (h_json_field (s_out, "receipt_no", field, sizeof field), receipt);
    assert_int_equal (CTL_OPS ("--json", "billing", "pay", "1-1-102", "10", "--ref", "WX2", "--estate", "E001"), 0);
    h_json_field (s_out, "receipt_no", field, sizeof field);
    assert_string_not_equal (field, receipt);
    assert_string_not_equal (field, refund);
    //  November is billed once.
    assert_int_equal (CTL_OPS ("--json", "billing", "run", "--estate", "E001", "--period", "2026-11"), 0);
    assert_non_null (strstr (s_out, "\"skipped_already_billed\":2"));
    s_cluster_stop ();
}

//  Issue 22: a restored desk takes back the lines of its registers written
//  after the backup, and gives no loan number twice.
static void
test_a_restored_desk_takes_back_its_loans (void **state)
{
    (void) state;
    s_cluster_start (false, false);
    s_daemon (&s_registry, "registry");
    s_daemon (&s_desk, "desk");
    char path [256], dir [320];
    h_write ("units.csv", "unit,area_m2,owner_name,owner_phone,occupied,building_type\n"
             "1-1-101,100,张三,13800000001,yes,highrise\n", path, sizeof path);
    assert_int_equal (CTL_OPS ("units", "import", path, "--estate", "E001", "--no-wait"), 0);
    const char *lend [] = { "--scope", "E001", "desk", "lend", "key", "K-1-1-101", "--unit", "1-1-101", "--person",
                            "张三", NULL };
    h_until_t until = { s_config, s_out, s_err, sizeof s_out, sizeof s_err, lend, "-0001 key" };
    assert_true (h_wait_for (h_output_holds, &until, 15000));
    assert_int_equal (CTL_OPS ("--json", "backup", "desk"), 0);
    assert_true (*h_backup_path (s_out, "desk@c1", dir, sizeof dir));
    //  After the backup: the key comes back, a ladder goes out.
    assert_int_equal (CTL_AS ("F01", "front_desk", "--scope", "E001", "desk", "return", "E001-L20261202-0001"), 0);
    assert_int_equal (CTL_AS ("F01", "front_desk", "--scope", "E001", "desk", "lend", "item", "梯子 ladder",
                              "--unit", "1-1-101", "--person", "张三"), 0);
    assert_non_null (strstr (s_out, "E001-L20261202-0002"));
    s_cursor_t archived = { "archive", "desk@c1/E001", s_head ("desk", "desk@c1/E001") };
    assert_true (h_wait_for (s_cursor_at, &archived, 20000));
    s_stop (&s_desk);
    assert_int_equal (CTL_OPS ("--timeout", "2000", "restore", "desk", dir, "--force"), 0);
    s_daemon (&s_desk, "desk");
    assert_true (h_log_contains (&s_desk, "events from the archive"));
    assert_int_equal (CTL_OPS ("desk", "loans", "--estate", "E001"), 0);
    assert_non_null (strstr (s_out, "1 out now"));
    assert_non_null (strstr (s_out, "梯子 ladder"));
    assert_int_equal (CTL_AS ("F01", "front_desk", "--scope", "E001", "desk", "return", "E001-L20261202-0001"), 1);
    assert_non_null (strstr (s_err, "is not out"));
    //  The next number follows the last the cluster saw.
    assert_int_equal (CTL_AS ("F01", "front_desk", "--scope", "E001", "desk", "lend", "key", "K-1-1-101",
                              "--unit", "1-1-101", "--person", "张三"), 0);
    assert_non_null (strstr (s_out, "E001-L20261202-0003"));
    s_cluster_stop ();
}

//  ---- every daemon restored in turn ----------------------------------------------

static void
test_every_daemon_restored_in_turn (void **state)
{
    (void) state;
    s_cluster_start (true, true);
    s_daemon (&s_survey, "survey");
    s_daemon (&s_billing, "billing");
    s_daemon (&s_registry, "registry");
    s_daemon (&s_desk, "desk");
    s_daemon (&s_notify, "notify");
    struct { const char *name; h_proc_t *proc; } daemons [] = {
        { "intake", &s_intake }, { "dispatch", &s_dispatch }, { "escalation", &s_escalation },
        { "survey", &s_survey }, { "billing", &s_billing }, { "registry", &s_registry }, { "desk", &s_desk },
        { "notify", &s_notify }, { "archive", &s_archive },
    };
    size_t count = sizeof daemons / sizeof daemons [0];
    char tickets [16][64];
    int filed = 0;
    for (; filed < 2; filed++)
        s_file (filed + 1, tickets [filed], sizeof tickets [filed]);
    assert_true (h_wait_for (s_has_clock, tickets [1], 20000));
    //  Every daemon's store at once, with its manifest.
    char backups [4096], dir [320];
    assert_int_equal (CTL_OPS ("--json", "backup"), 0);
    snprintf (backups, sizeof backups, "%.4000s", s_out);
    for (; filed < 4; filed++)
        s_file (filed + 1, tickets [filed], sizeof tickets [filed]);
    assert_true (h_wait_for (s_has_clock, tickets [3], 20000));
    for (size_t d = 0; d < count; d++) {
        s_cursor_t archived = { "archive", "intake@c1/E001", 0 };
        char producer [64];
        snprintf (producer, sizeof producer, "%s@c1", daemons [d].name);
        assert_true (*h_backup_path (backups, producer, dir, sizeof dir));
        s_stop (daemons [d].proc);
        //  Every other daemon answers: no --force.
        if (CTL_OPS ("--timeout", "3000", "restore", daemons [d].name, dir) != 0)
            fail_msg ("restore %s: %s", daemons [d].name, s_err);
        s_daemon (daemons [d].proc, daemons [d].name);
        s_file (filed + 1, tickets [filed], sizeof tickets [filed]);
        assert_true (*tickets [filed]);
        for (int j = 0; j < filed; j++)
            assert_string_not_equal (tickets [filed], tickets [j]);
        filed++;
        //  The cluster goes on: each case has its order and its clock.
        for (int i = 0; i < filed; i++) {
            if (!h_wait_for (s_has_order, tickets [i], 20000) || !h_wait_for (s_has_clock, tickets [i], 20000))
                fail_msg ("after restoring %s: %s has no order or no clock", daemons [d].name, tickets [i]);
        }
        archived.want = (uint64_t) filed;
        assert_true (h_wait_for (s_cursor_at, &archived, 20000));
    }
    //  Each case's order made once (once the archive has recorded it: the
    //  last one's may still be on its way), and no stream stopped anywhere.
    for (int i = 0; i < filed; i++) {
        s_orders_t one = { tickets [i], 1 };
        if (!h_wait_for (s_history_has_orders, &one, 20000) || s_count (s_out, "order.created") != 1)
            fail_msg ("%s: %s", tickets [i], s_out);
    }
    for (size_t d = 0; d < count; d++) {
        s_no_stream_stopped (daemons [d].name);
    }
    s_cluster_stop ();
}

//  ---- catching up from the archive ----------------------------------------------

static bool
s_outbox_trimmed (void *arg)
{
    (void) arg;
    //  intake's own head of E001: first_seq past what dispatch has.
    if (CTL_OPS ("--json", "lag", "intake") != 0)
        return false;
    const char *at = strstr (s_out, "\"heads\":[{\"stream\":\"intake@c1/E001\"");
    char field [32];
    return at && strtoull (h_json_field (at, "first_seq", field, sizeof field), NULL, 10) > 2;
}

static void
test_consumers_catch_up_past_the_outbox (void **state)
{
    (void) state;
    s_cluster_start (true, false);
    char tickets [4][64];
    s_file (1, tickets [0], sizeof tickets [0]);
    assert_true (h_wait_for (s_has_order, tickets [0], 20000));
    //  The archive has all dispatch said so far (else its outbox's trim
    //  would take from the archive too, and stop the streams: rightly).
    s_cursor_t dispatched = { "archive", "dispatch@c1/E001", s_head ("dispatch", "dispatch@c1/E001") };
    assert_true (dispatched.want > 0);
    assert_true (h_wait_for (s_cursor_at, &dispatched, 20000));
    //  dispatch away; two leaks; two days on, intake's outbox (1 day) lets them go.
    s_stop (&s_dispatch);
    s_file (2, tickets [1], sizeof tickets [1]);
    s_file (3, tickets [2], sizeof tickets [2]);
    s_cursor_t archived = { "archive", "intake@c1/E001", 3 };
    assert_true (h_wait_for (s_cursor_at, &archived, 20000));
    assert_int_equal (CTL_OPS ("clock", "advance", "2d", "--file", s_clock), 0);
    s_file (4, tickets [3], sizeof tickets [3]);
    assert_true (h_wait_for (s_outbox_trimmed, NULL, 20000));
    //  Back: what intake no longer keeps comes from the archive, no alarm.
    s_daemon (&s_dispatch, "dispatch");
    for (int i = 1; i < 4; i++)
        assert_true (h_wait_for (s_has_order, tickets [i], 20000));
    assert_true (h_log_contains (&s_dispatch, "asking the archive"));
    s_no_stream_stopped ("dispatch");
    //  A daemon that never ran starts from history: every ticket's clock.
    s_daemon (&s_escalation, "escalation");
    for (int i = 0; i < 4; i++)
        assert_true (h_wait_for (s_has_clock, tickets [i], 20000));
    assert_true (h_log_contains (&s_escalation, "asking the archive"));
    s_no_stream_stopped ("escalation");
    s_cluster_stop ();
}

//  ---- the archive's own catch-up, killed ------------------------------------------

#define S_LOADED 4000

static bool
s_some_archived (void *arg)
{
    (void) arg;
    if (CTL_OPS ("--json", "lag", "archive") != 0)
        return false;
    const char *at = strstr (s_out, "{\"stream\":\"loader@c1/E002\"");
    char field [32];
    return at && strtoull (h_json_field (at, "last_seq", field, sizeof field), NULL, 10) > 0;
}

static bool
s_loaded (void *arg)
{
    (void) arg;
    return h_log_contains (&s_loader, "events of each estate produced");
}

static void
test_the_archive_survives_kill9_while_catching_up (void **state)
{
    (void) state;
    s_cluster_start (false, false);
    s_stop (&s_archive);
    //  A producer of E002 writes S_LOADED events while the archive is away.
    char data [192], replay [192], events [16];
    snprintf (data, sizeof data, "%s/loader", kf_test_dir);
    snprintf (replay, sizeof replay, "ipc://%s/loader-replay", kf_test_dir);
    snprintf (events, sizeof events, "%d", S_LOADED);
    h_proc_init (&s_loader, kf_test_dir, "loader", "bus_producer", "--config", s_config, "--clock", s_clock,
                 "--producer", "loader@c1",
                 "--replay", replay, "--data", data, "--estates", "E002", "--events", events, "--batch", "500", NULL);
    h_start (&s_loader);
    assert_true (h_wait_for (s_loaded, NULL, 30000));
    //  Back, killed as soon as it has some, back again.
    h_proc_init (&s_archive, kf_test_dir, "archive", "kefu-archive", "--config", s_config, "--clock", s_clock, NULL);
    h_start (&s_archive);
    assert_true (h_wait_for (s_some_archived, NULL, 20000));
    h_kill9 (&s_archive);
    h_proc_free (&s_archive);
    s_daemon (&s_archive, "archive");
    s_cursor_t all = { "archive", "loader@c1/E002", S_LOADED };
    assert_true (h_wait_for (s_cursor_at, &all, 30000));
    //  Every event once: the estate's history holds each sequence one time.
    assert_int_equal (CTL_OPS ("--json", "history", "--estate", "E002", "--all"), 0);
    assert_int_equal (s_count (s_out, "\"stream\":\"loader@c1/E002\""), S_LOADED);
    assert_non_null (strstr (s_out, "\"seq\":\"1\","));
    char last [32];
    snprintf (last, sizeof last, "\"seq\":\"%d\",", S_LOADED);
    assert_non_null (strstr (s_out, last));
    //  Pages: a token that resumes after the last event shown.
    assert_int_equal (CTL_OPS ("history", "--estate", "E002", "--page-size", "7"), 0);
    assert_non_null (strstr (s_out, "7 events; next page: --page "));
    assert_int_equal (CTL_OPS ("history", "--estate", "E002", "--page", "00zz"), 1);
    assert_non_null (strstr (s_err, "page_token"));
    assert_int_equal (h_stop (&s_loader, 10000), 0);
    h_proc_free (&s_loader);
    s_cluster_stop ();
}

int
main (void)
{
    h_init ();
    struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_a_restored_intake_takes_back_its_tickets, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_a_restored_dispatch_takes_back_its_orders, kf_test_dir_setup,
                                         h_teardown),
        cmocka_unit_test_setup_teardown (test_a_restored_billing_takes_back_its_notices_and_payments,
                                         kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_a_restored_desk_takes_back_its_loans, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_every_daemon_restored_in_turn, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_consumers_catch_up_past_the_outbox, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_the_archive_survives_kill9_while_catching_up, kf_test_dir_setup,
                                         h_teardown),
    };
    return H_RUN_TESTS (tests, NULL, NULL);
}
