/*  Integration tests of kefu-billing: the real kefu-bus, kefu-intake,
    kefu-dispatch and kefu-billing on ipc:// endpoints in a scratch
    directory, on a file clock, driven through kefuctl (and a DEALER for
    the kill -9 run).

    Three estates import their units (a bad file first: every line reported,
    nothing imported), get fee schedules and a month's run, twice (the
    second issues nothing). Payments are idempotent on their reference. A
    paid repair, completed through dispatch while billing is killed, is
    charged on the next notice exactly once. A statement shows each notice's
    lines, late fees and reminders. `billing run --json` on a pipe prints
    each chunk's line before it asks for the next (through a gate in front
    of kefu-billing). A run over 45,000 units is killed with kill -9 three
    times in its middle: in the end every unit has exactly one notice.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kf_test.h"
#include "kf_harness.h"
#include "../../services/billing/billing.h"

#include <poll.h>

static char s_config [256], s_clock [256], s_gate_config [256];

#define OUT_SIZE (1 << 20)
static char s_out [OUT_SIZE], s_err [8192];


//  A kefuctl call that must succeed; its complaint when it does not.

#define S_BIG 45000   //  units of E003: three chunks of a run

//  The cluster's configuration, kefu.conf, and the same in gate.conf but
//  for kefu-billing's command endpoint: the test's gate in front of it.
static void
s_write_config (void)
{
    char text [8192];
    h_cluster_config (text, sizeof text, H_OUTBOX_YEAR,
        "estates\n"
        "    E001\n        name = Riverside\n"
        "        staff\n"
        "            W01\n                name = Wang\n                department = engineering\n"
        "                shifts = \"daily 00:00-24:00\"\n"
        "    E002\n        name = Maple\n"
        "    E003\n        name = Harbour\n"
        "    E004\n        name = Garden\n"
        "        billing\n            late_fee_per_day = 5\n            late_fee_grace_days = 5\n"
        "            late_fee_cap_percent = 1\n"
        "    E005\n        name = Orchard\n"
        "    E006\n        name = Payments\n"
        "        staff\n"
        "            W61\n                name = Wei\n                department = engineering\n"
        "                shifts = \"daily 00:00-24:00\"\n",
        (const char *[]) { "intake", "dispatch", "billing", "registry", NULL });
    h_write ("kefu.conf", text, s_config, sizeof s_config);
    char gate [8192 + 16];
    const char *at = strstr (text, "/billing\n");
    assert_non_null (at);
    snprintf (gate, sizeof gate, "%.*s/billing-gate%s", (int) (at - text), text, at + strlen ("/billing"));
    h_write ("gate.conf", gate, s_gate_config, sizeof s_gate_config);
}

static bool
s_answers (void *arg)
{
    return CTL ("ping", (const char *) arg) == 0;
}

static const char *s_services [] = { "intake", "dispatch", "billing", "registry", NULL };
static h_proc_t s_procs [H_CLUSTER_MAX];   //  the bus, then s_services
static h_proc_t *const s_billing = &s_procs [3];

static int
s_cluster_up (void **state)
{
    return h_suite_up (state, s_write_config, s_procs, s_services, s_config, s_clock, sizeof s_clock,
                       "2026-11-01T09:00:00+08:00");
}

static int
s_cluster_down (void **state)
{
    return h_suite_down (state, s_procs, s_services);
}

static void
s_schedule (const char *estate)
{
    if (CTL ("billing", "schedule", "--estate", estate, "--from", "2026-01-01", "--rate", "highrise:2.35",
             "--rate", "default:2.00", "--parking", "300", "--fixed", "garbage:10.00", "--vacant-discount", "30"))
        fail_msg ("schedule %s: %s", estate, s_err);
}

//  `count` units of 100 m² imported into an estate and its fee schedule set.
static void
s_many_units (const char *estate, int count)
{
    size_t size = 64 + (size_t) count * 32;
    char *csv = malloc (size), name [32], path [256];
    assert_non_null (csv);
    size_t used = (size_t) snprintf (csv, size, "unit,area_m2\n");
    for (int i = 0; i < count; i++)
        used += (size_t) snprintf (csv + used, size - used, "%d-%d-%d,100\n", i / 10000 + 1, i / 100 % 100 + 1,
                                   i % 100 + 1);
    snprintf (name, sizeof name, "%s.csv", estate);
    h_write (name, csv, path, sizeof path);
    free (csv);
    CTL_OK ("--timeout", "60000", "units", "import", path, "--estate", estate);
    char want [64];
    snprintf (want, sizeof want, "%d units imported", count);
    assert_non_null (strstr (s_out, want));
    s_schedule (estate);
}

//  ---- three estates, a month, twice -----------------------------------------------------------

static void
test_import_and_run_three_estates (void **state)
{
    (void) state;
    CTL_OK ("clock", "set", "2026-11-01T09:00:00+08:00", "--file", s_clock);   //  its own day
    char path [256];
    h_write ("bad.csv", "unit,area_m2,occupied\n1-1-101,89.50,yes\n1-1-102,-3,yes\nbad,1,yes\n", path, sizeof path);
    assert_int_equal (CTL ("units", "import", path, "--estate", "E001"), 1);
    assert_non_null (strstr (s_out, "line 3: area_m2 '-3'"));
    assert_non_null (strstr (s_out, "line 4: 'bad' is not a unit"));
    assert_non_null (strstr (s_err, "2 lines rejected; nothing imported"));
    CTL_OK ("--json", "units", "--estate", "E001");
    assert_null (strstr (s_out, "1-1-101"));
    h_write ("e1.csv", "unit,area_m2,owner_name,occupied,building_type,parking_spaces\n"
                       "1-1-101,89.50,\"Zhang, San\",yes,highrise,0\n"
                       "1-1-102,120.00,Li Si,no,highrise,1\n"
                       "2-1-101,100.00,Wu,yes,,0\n", path, sizeof path);
    CTL_OK ("units", "import", path, "--estate", "E001");
    assert_non_null (strstr (s_out, "3 units imported"));
    h_write ("e2.csv", "unit,area_m2\n1-1-1,50\n1-1-2,60\n", path, sizeof path);
    CTL_OK ("units", "import", path, "--estate", "E002");
    assert_int_equal (CTL ("billing", "run", "--estate", "E002", "--period", "2026-11"), 1);
    assert_non_null (strstr (s_err, "no fee schedule of E002"));
    for (int i = 1; i <= 2; i++) {
        char estate [16];
        snprintf (estate, sizeof estate, "E00%d", i);
        s_schedule (estate);
    }
    CTL_OK ("billing", "run", "--estate", "E001", "--period", "2026-11");
    //  ¥220.33 + ¥507.40 + ¥210.00
    assert_non_null (strstr (s_out, "E001 2026-11: 3 notices issued (¥937.73), 0 units already billed"));
    CTL_OK ("billing", "run", "--estate", "E002", "--period", "2026-11");
    assert_non_null (strstr (s_out, "2 notices issued (¥240.00)"));
    CTL_OK ("billing", "run", "--estate", "E001", "--period", "2026-11");
    assert_non_null (strstr (s_out, "0 notices issued (¥0.00), 3 units already billed"));
    CTL_OK ("units", "--estate", "E001");
    assert_non_null (strstr (s_out, "3 of 3 units"));
    assert_int_equal (CTL ("billing", "run", "--estate", "E001", "--period", "2026-13"), 2);
    //  YYYY-MM only; and at most next month by the service's clock (November 2026 here).
    assert_int_equal (CTL ("billing", "run", "--estate", "E001", "--period", "2026-1"), 2);
    assert_non_null (strstr (s_err, "'2026-1' is not a month (YYYY-MM)"));
    assert_int_equal (CTL ("billing", "run", "--estate", "E001", "--period", "202611"), 2);
    assert_int_equal (CTL ("billing", "run", "--estate", "E001", "--period", "2031-01"), 1);
    assert_non_null (strstr (s_err, "period 2031-01 is after next month (2026-12): notices are issued at most "
                                    "a month ahead"));
    assert_int_equal (CTL ("billing", "pay", "1-1-101", "-5", "--ref", "neg", "--estate", "E001"), 2);
    assert_non_null (strstr (s_err, "billing pay: the amount must be a positive number of yuan, not -5.00"));
    assert_int_equal (CTL ("billing", "pay", "1-1-101", "0", "--ref", "zero", "--estate", "E001"), 2);
    assert_non_null (strstr (s_err, "billing pay: the amount must be a positive number of yuan, not 0.00"));
    assert_int_equal (CTL ("billing", "run", "--period", "2026-11"), 2);
    assert_int_equal (CTL ("--scope", "E002", "billing", "run", "--estate", "E001", "--period", "2026-11"), 1);
}

//  ---- payments, and a paid repair charged once across a kill -9 -----------------------------------

static bool
s_order_assigned (void *arg)
{
    return CTL ("--json", "order", "show", (const char *) arg) == 0 && strstr (s_out, "ORDER_STATUS_ASSIGNED");
}

static bool
s_order_completed_seen (void *arg)
{
    return CTL ("--json", "order", "show", (const char *) arg) == 0 && strstr (s_out, "ORDER_STATUS_COMPLETED");
}

//  From `kefuctl --json lag DAEMON`: the first "seq_field" of an entry
//  for the stream, its own head first, then its cursors; 0 when none.
static uint64_t
s_bus_seq (const char *daemon, const char *stream, const char *seq_field)
{
    char key [96], value [32];
    snprintf (key, sizeof key, "\"stream\":\"%s\"", stream);
    const char *at = CTL ("--json", "lag", daemon) == 0 ? strstr (s_out, key) : NULL;
    return at ? strtoull (h_json_field (at, seq_field, value, sizeof value), NULL, 10) : 0;
}

static bool
s_billing_applied (void *arg)
{
    return s_bus_seq ("billing@c1", "dispatch@c1/E006", "last_seq") >= *(uint64_t *) arg;
}

//  E006's own unit and November notice (¥220.33), so that this test counts
//  only what it made, in whatever order the tests run.
static void
test_payments_and_paid_service (void **state)
{
    (void) state;
    char path [256];
    CTL_OK ("clock", "set", "2026-11-01T09:00:00+08:00", "--file", s_clock);
    h_write ("e6.csv", "unit,area_m2,owner_name,occupied,building_type\n1-1-101,89.50,Zhang,yes,highrise\n", path,
             sizeof path);
    CTL_OK ("units", "import", path, "--estate", "E006");
    s_schedule ("E006");
    CTL_OK ("billing", "run", "--estate", "E006", "--period", "2026-11");
    CTL_OK ("billing", "pay", "1-1-101", "100.00", "--ref", "WX-1", "--estate", "E006",
                           "--method", "wechat");
    assert_non_null (strstr (s_out, "paid    E006-202611-1-1-101  ¥100.00"));
    char receipt [64];
    snprintf (receipt, sizeof receipt, "%.*s", (int) strcspn (s_out, ":"), s_out);
    CTL_OK ("billing", "pay", "1-1-101", "100.00", "--ref", "WX-1", "--estate", "E006", "--method", "wechat");
    assert_non_null (strstr (s_out, receipt));
    assert_int_equal (CTL ("billing", "pay", "1-1-101", "100.01", "--ref", "WX-1", "--estate", "E006"), 1);
    assert_non_null (strstr (s_err, "payment_ref WX-1 was used for another payment"));
    assert_int_equal (CTL ("billing", "pay", "1-1-101", "1.234", "--ref", "WX-2", "--estate", "E006"), 2);
    assert_int_equal (CTL ("billing", "pay", "1-1-101", "10", "--estate", "E006"), 2);
    //  A paid repair in 1-1-101, completed while billing is being killed.
    if (CTL ("--json", "file", "--estate", "E006", "--unit", "1-1-101", "--name", "张三", "--phone", "13800000000",
             "--type", "repair", "--channel", "phone", "--category", "plumbing", "replace the tap"))
        fail_msg ("file: %s", s_err);
    char ticket_no [64], order_no [80];
    h_json_field (s_out, "ticket_no", ticket_no, sizeof ticket_no);
    snprintf (order_no, sizeof order_no, "%s-W1", ticket_no);
    if (!h_wait_for (s_order_assigned, order_no, 10000))
        fail_msg ("%s is not assigned: %s%s", order_no, s_out, s_err);
    CTL_OK ("--as", "W61", "--role", "technician", "order", "accept", order_no);
    CTL_OK ("--as", "W61", "--role", "technician", "order", "start", order_no);
    CTL_OK ("--as", "W61", "--role", "technician", "order", "complete", order_no, "--paid", "60");
    uint64_t completed = s_bus_seq ("dispatch@c1", "dispatch@c1/E006", "head_seq");   //  order.completed's
    assert_true (completed > 0);
    h_kill9 (s_billing);
    assert_true (h_wait_for (s_order_completed_seen, order_no, 10000));
    h_start (s_billing);
    assert_true (h_wait_for (s_answers, "billing", 10000));
    h_kill9 (s_billing);
    h_start (s_billing);
    assert_true (h_wait_for (s_answers, "billing", 10000));
    //  Billing has caught up with dispatch (the repair's charge is in) before December is billed.
    if (!h_wait_for (s_billing_applied, &completed, 10000))
        fail_msg ("kefu-billing did not apply dispatch's events up to %llu", (unsigned long long) completed);
    CTL_OK ("clock", "set", "2026-12-01T09:00:00+08:00", "--file", s_clock);
    //  December's notice of 1-1-101: ¥220.33 + the repair's ¥60.00, once.
    bool charged = false;
    for (int tries = 0; tries < 100 && !charged; tries++) {
        CTL_OK ("--json", "billing", "run", "--estate", "E006", "--period", "2026-12");
        CTL_OK ("billing", "statement", "1-1-101", "--estate", "E006");
        charged = strstr (s_out, "notice E006-202612-1-1-101") != NULL;
    }
    assert_true (charged);
    //  Once: one ledger line of ¥280.33, its notice's total, one paid-service line on it.
    assert_int_equal (h_occurrences (s_out, "280.33"), 2);
    assert_non_null (strstr (s_out, "(2026-12), due by 2026-12-26 00:00:00: ¥280.33"));
    assert_int_equal (h_occurrences (s_out, "60.00  paid service, order "), 1);
    assert_non_null (strstr (s_out, "1-1-101 owes ¥400.66"));   //  220.33 - 100 + 280.33
    CTL_OK ("report", "collection", "--from", "2026-11", "--to", "2026-12", "--estate", "E006");
    //  November ¥220.33, December ¥280.33 (the repair's ¥60 with it); ¥100.00 collected.
    assert_non_null (strstr (s_out, "500.66"));
    assert_non_null (strstr (s_out, "100.00"));
}

//  ---- what a statement shows ---------------------------------------------------------------------

static bool
s_reminded (void *arg)
{
    return CTL ("billing", "statement", "1-1-1", "--estate", "E004") == 0 && strstr (s_out, (const char *) arg);
}

//  E004 charges 0.05 % a day after 5 days of grace, at most 1 %. Its one
//  unit's notice is issue 15's ¥1,683.60 (836.80 m² at ¥2.00 and ¥10.00
//  of garbage): the statement lists its lines, its late fees and the
//  reminders sent, and the fee is the exact accrual rounded once.
static void
test_statement_shows_notices (void **state)
{
    (void) state;
    char path [256];
    CTL_OK ("clock", "set", "2026-11-01T09:00:00+08:00", "--file", s_clock);   //  its own day
    h_write ("e4.csv", "unit,area_m2\n1-1-1,836.80\n", path, sizeof path);
    CTL_OK ("units", "import", path, "--estate", "E004");
    s_schedule ("E004");
    CTL_OK ("billing", "run", "--estate", "E004", "--period", "2026-11");   //  due by the end of 25 November
    CTL_OK ("billing", "statement", "1-1-1", "--estate", "E004");
    assert_non_null (strstr (s_out, "notice E004-202611-1-1-1 (2026-11), due by 2026-11-26 00:00:00: ¥1683.60, "
                                    "paid ¥0.00, open"));
    assert_non_null (strstr (s_out, "1673.60  management fee"));
    assert_non_null (strstr (s_out, "10.00  garbage"));
    assert_null (strstr (s_out, "late fees"));
    //  7 days overdue (2 past the grace): the first reminder and two days' fees.
    CTL_OK ("clock", "set", "2026-12-02T09:00:00+08:00", "--file", s_clock);
    if (!h_wait_for (s_reminded, "reminder sent 2026-12-02", 10000))
        fail_msg ("no reminder on the statement: %s%s", s_out, s_err);
    //  16 days (11 past the grace): ¥9.2598 of late fees, charged ¥9.26 (not 11 × ¥0.84).
    CTL_OK ("clock", "set", "2026-12-11T09:00:00+08:00", "--file", s_clock);
    if (!h_wait_for (s_reminded, "15 days overdue", 10000))
        fail_msg ("no second reminder on the statement: %s%s", s_out, s_err);
    assert_non_null (strstr (s_out, "9.26  late fees, 11 days overdue past the grace period"));
    assert_non_null (strstr (s_out, "reminder sent 2026-12-02 09:00:00, 7 days overdue, ¥1685.28 owed"));
    assert_non_null (strstr (s_out, "reminder sent 2026-12-11 09:00:00, 15 days overdue, ¥1692.86 owed"));
    assert_non_null (strstr (s_out, "1-1-1 owes ¥1692.86"));
    //  The same through the generic JSON: the notice with its lines, fees and reminders.
    CTL_OK ("--json", "billing", "statement", "1-1-1", "--estate", "E004");
    char field [64];
    assert_string_equal (h_json_field (s_out, "late_fee_fen", field, sizeof field), "926");
    assert_string_equal (h_json_field (s_out, "late_fee_exact", field, sizeof field), "9259800");
    assert_non_null (strstr (s_out, "\"reminders\":[{\"days_overdue\":7"));
}

//  ---- a run prints each chunk as it goes ---------------------------------------------------------

//  The lines kefuctl has written to the pipe so far (waiting up to
//  timeout_ms for the first), appended to buf.
static int
s_lines_so_far (int fd, char *buf, size_t size, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    size_t used = strlen (buf);
    while (used + 1 < size && poll (&p, 1, timeout_ms) == 1) {
        ssize_t got = read (fd, buf + used, size - used - 1);
        if (got <= 0)
            break;
        used += (size_t) got;
        buf [used] = 0;
        timeout_ms = 0;
    }
    int lines = 0;
    for (const char *c = buf; (c = strchr (c, '\n')); c++)
        lines++;
    return lines;
}

//  kefuctl billing run --json with its output on a pipe, as a script reads
//  it: a line for each request's result, out before it sends the next.
//  kefuctl talks to billing through a gate of the test's own, which passes
//  each request and reply on; when the next request comes, the line of the
//  last reply must already be on the pipe (kefuctl is waiting for the gate,
//  so a line kept in its buffer never comes before the reply).
static void
test_run_prints_each_chunk_as_it_goes (void **state)
{
    (void) state;
    CTL_OK ("clock", "set", "2026-11-01T09:00:00+08:00", "--file", s_clock);   //  its own day
    s_many_units ("E005", BILLING_RUN_CHUNK + 1);   //  a run of two requests
    char endpoint [256];
    snprintf (endpoint, sizeof endpoint, "@ipc://%s/billing-gate", kf_test_dir);
    zsock_t *gate = zsock_new_router (endpoint);
    snprintf (endpoint, sizeof endpoint, "ipc://%s/billing", kf_test_dir);
    zsock_t *billing = zsock_new_dealer (endpoint);
    assert_true (gate && billing);
    zsock_set_rcvtimeo (gate, 60000);
    zsock_set_rcvtimeo (billing, 60000);
    char *argv [] = { "kefuctl", "--config", s_gate_config, "--timeout", "60000", "--json", "billing", "run",
                      "--estate", "E005", "--period", "2026-11", NULL };
    int out = -1;
    pid_t pid = h_spawn_piped (kf_test_dir, &out, argv);
    assert_true (pid > 0);
    char lines [8192] = "";
    int requests = 0;
    bool done = false;
    while (!done) {
        zmsg_t *request = zmsg_recv (gate);
        assert_non_null (request);
        if (requests > 0 && s_lines_so_far (out, lines, sizeof lines, 2000) != requests) {
            kill (pid, SIGKILL);
            waitpid (pid, NULL, 0);
            fail_msg ("kefuctl asked again before its line of the last chunk was out (%d request%s, got: '%s')",
                      requests, requests == 1 ? "" : "s", lines);
        }
        zframe_t *peer = zmsg_pop (request);
        zmsg_send (&request, billing);
        zmsg_t *reply = zmsg_recv (billing);
        assert_non_null (reply);
        zframe_t *body = zmsg_first (reply);
        Kf__Reply *r = kf__reply__unpack (NULL, zframe_size (body), zframe_data (body));
        assert_true (r && r->result_case == KF__REPLY__RESULT_BILLING_RUN);
        done = r->billing_run->remaining == 0;
        kf__reply__free_unpacked (r, NULL);
        zmsg_prepend (reply, &peer);
        zmsg_send (&reply, gate);
        requests++;
    }
    int status = 0;
    waitpid (pid, &status, 0);
    s_lines_so_far (out, lines, sizeof lines, 2000);
    close (out);
    zsock_destroy (&gate);
    zsock_destroy (&billing);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    assert_int_equal (requests, 2);
    char issued [32];
    assert_string_equal (h_json_field (lines, "issued", issued, sizeof issued), "20000");
    assert_string_equal (h_json_field (strchr (lines, '\n'), "issued", issued, sizeof issued), "1");
}

//  ---- kill -9 in the middle of a run -------------------------------------------------------------

//  One chunk of E003's November run, as kefuctl sends it.
static void
s_send_run (zsock_t *client)
{
    Kf__RunBilling run = KF__RUN_BILLING__INIT;
    run.estate = "E003";
    run.period = 202611;
    run.has_period = 1;
    Kf__Request request = KF__REQUEST__INIT;
    request.role = KF__ROLE__ROLE_OPERATIONS;
    request.has_role = 1;
    request.command_case = KF__REQUEST__COMMAND_RUN_BILLING;
    request.run_billing = &run;
    h_send_request (client, &request);
}

static Kf__Reply *
s_run_request (zsock_t *client, int timeout_ms)
{
    s_send_run (client);
    zsock_set_rcvtimeo (client, timeout_ms);
    zframe_t *frame = zframe_recv (client);
    Kf__Reply *reply = frame ? kf__reply__unpack (NULL, zframe_size (frame), zframe_data (frame)) : NULL;
    zframe_destroy (&frame);
    return reply;
}

static void
test_kill9_in_the_middle_of_a_run (void **state)
{
    (void) state;
    s_many_units ("E003", S_BIG);
    char endpoint [256];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/billing", kf_test_dir);
    srandom ((unsigned) getpid ());
    int kills = 0;
    for (int round = 0; round < 200; round++) {
        zsock_t *client = zsock_new_dealer (endpoint);
        assert_non_null (client);
        if (kills < 3) {
            //  Send a chunk and kill billing while it works on it (or just after).
            s_send_run (client);
            usleep ((useconds_t) (20000 + random () % 200000));
            h_kill9 (s_billing);
            h_start (s_billing);
            kills++;
            zsock_destroy (&client);
            assert_true (h_wait_for (s_answers, "billing", 10000));
            continue;
        }
        Kf__Reply *reply = s_run_request (client, 60000);
        zsock_destroy (&client);
        assert_non_null (reply);
        assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_OK);
        bool done = reply->billing_run->remaining == 0;
        kf__reply__free_unpacked (reply, NULL);
        if (done)
            break;
    }
    assert_int_equal (kills, 3);
    //  One more pass: every unit already billed, none issued.
    CTL_OK ("--timeout", "60000", "billing", "run", "--estate", "E003", "--period", "2026-11");
    char want [160];
    snprintf (want, sizeof want, "0 notices issued (¥0.00), %d units already billed", S_BIG);
    assert_non_null (strstr (s_out, want));
    //  And the money: 45,000 notices of 100 m² × ¥2.00 + ¥10.00 = ¥210.00.
    CTL_OK ("--json", "report", "collection", "--from", "2026-11", "--estate", "E003");
    char billed [32];
    snprintf (want, sizeof want, "%lld", (long long) S_BIG * 21000);
    assert_string_equal (h_json_field (s_out, "billed_fen", billed, sizeof billed), want);
    print_message ("      %d units, %d kill -9 of kefu-billing in a run: %d notices, billed %s fen\n", S_BIG, kills,
                   S_BIG, billed);
}

int
main (void)
{
    struct CMUnitTest tests [] = {
        cmocka_unit_test (test_import_and_run_three_estates),
        cmocka_unit_test (test_payments_and_paid_service),
        cmocka_unit_test (test_statement_shows_notices),
        cmocka_unit_test (test_run_prints_each_chunk_as_it_goes),
        cmocka_unit_test (test_kill9_in_the_middle_of_a_run),
    };
    return H_RUN_TESTS (tests, s_cluster_up, s_cluster_down);
}
