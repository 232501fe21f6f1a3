/*  Integration tests of kefu-dispatch: the real kefu-bus, kefu-intake and
    kefu-dispatch on ipc:// endpoints in a scratch directory, on a file
    clock, driven through kefuctl (and a DEALER client for load).

    A filed ticket becomes an assigned order; the whole order lifecycle and
    its refusals; the queue at night and the tick when the clock reaches the
    morning shift; a rota set with kefuctl; kill -9 of dispatch while
    tickets pour in: every ticket gets exactly one order, and every
    person's load counts each of their orders once.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kf_test.h"
#include "kf_harness.h"
#include "kf_filing.h"
#include "commands.pb-c.h"

static char s_config [256], s_clock [256];
static h_proc_t s_bus, s_intake, s_dispatch;

#define OUT_SIZE (1 << 20)
static char s_out [OUT_SIZE], s_err [4096];


static void
s_write_config (void)
{
    char text [8192];
    h_cluster_config (text, sizeof text, NULL,
        "calendars\n    cn\n        holidays = 2026-10-01..2026-10-07\n        makeup_days = 2026-10-10\n"
        "estates\n"
        "    E001\n        name = Riverside\n        calendar = cn\n"
        "        staff\n"
        "            W01\n                name = \"Wang 王军\"\n                department = engineering\n"
        "                skills = \"plumbing, water_leak\"\n                shifts = \"mon-fri 08:30-17:30\"\n"
        "            W02\n                name = Li\n                department = engineering\n"
        "                shifts = \"mon-fri 08:30-17:30\"\n"
        "            O01\n                name = Zhao\n                department = engineering\n"
        "                skills = gas\n                on_call = true\n"
        "            F01\n                name = Liu\n                department = customer_service\n"
        "                role = front_desk\n                shifts = \"daily 00:00-24:00\"\n"
        "    E002\n        name = Maple\n",
        (const char *[]) { "intake", "dispatch", NULL });
    h_write ("kefu.conf", text, s_config, sizeof s_config);
}

static bool
s_answers (void *arg)
{
    return CTL ("ping", (const char *) arg) == 0;
}

//  The cluster on a file clock set to `now` (local time, +08:00).
static void
s_start (const char *now)
{
    s_write_config ();
    snprintf (s_clock, sizeof s_clock, "%s/clock", kf_test_dir);
    assert_int_equal (CTL ("clock", "set", now, "--file", s_clock), 0);
    h_proc_init (&s_bus, kf_test_dir, "bus", "kefu-bus", "--config", s_config, NULL);
    h_proc_init (&s_intake, kf_test_dir, "intake", "kefu-intake", "--config", s_config, "--clock", s_clock, NULL);
    h_proc_init (&s_dispatch, kf_test_dir, "dispatch", "kefu-dispatch", "--config", s_config, "--clock", s_clock, NULL);
    h_start (&s_bus);
    h_start (&s_intake);
    h_start (&s_dispatch);
    if (!h_wait_for (s_answers, "intake", 10000) || !h_wait_for (s_answers, "dispatch", 10000))
        fail_msg ("the cluster does not answer: %s", s_err);
}

static void
s_stop (void)
{
    assert_int_equal (h_stop (&s_dispatch, 10000), 0);
    assert_int_equal (h_stop (&s_intake, 10000), 0);
    assert_int_equal (h_stop (&s_bus, 10000), 0);
    h_proc_free (&s_dispatch);
    h_proc_free (&s_intake);
    h_proc_free (&s_bus);
}

static void
s_file (const char *category, const char *type, char *ticket_no, size_t size)
{
    if (CTL ("--json", "file", "--estate", "E001", "--unit", "3-2-1502", "--name", "张三", "--phone", "13800000000",
             "--type", type, "--channel", "phone", "--category", category, "it is broken"))
        fail_msg ("file: %s", s_err);
    h_json_field (s_out, "ticket_no", ticket_no, size);
}

typedef struct {
    const char *order_no;
    const char *status;      //  e.g. "ORDER_STATUS_ASSIGNED"
} s_order_is_t;

static bool
s_order_is (void *arg)
{
    s_order_is_t *want = arg;
    char status [64];
    return CTL ("--json", "order", "show", want->order_no) == 0
        && strcmp (h_json_field (s_out, "status", status, sizeof status), want->status) == 0;
}

static void
s_wait_order (const char *order_no, const char *status)
{
    s_order_is_t want = { order_no, status };
    if (!h_wait_for (s_order_is, &want, 10000))
        fail_msg ("order %s is not %s: %s%s", order_no, status, s_out, s_err);
}

//  ---- a filed ticket becomes an assigned order ---------------------------------------

static bool
s_timeline_tells (void *ticket_no)
{
    return CTL ("show", (const char *) ticket_no) == 0 && strstr (s_out, "order.assigned");
}

static void
test_filed_ticket_assigned (void **state)
{
    (void) state;
    s_start ("2026-11-23T10:00:00+08:00");   //  a Monday morning
    char ticket_no [64], order_no [80], field [128];
    s_file ("plumbing", "repair", ticket_no, sizeof ticket_no);
    snprintf (order_no, sizeof order_no, "%s-W1", ticket_no);
    s_wait_order (order_no, "ORDER_STATUS_ASSIGNED");
    assert_string_equal (h_json_field (s_out, "staff_id", field, sizeof field), "W01");
    assert_string_equal (h_json_field (s_out, "department", field, sizeof field), "DEPARTMENT_ENGINEERING");
    //  The ticket's timeline at intake tells the same story, once intake
    //  has applied dispatch's events (it may be a moment behind).
    if (!h_wait_for (s_timeline_tells, ticket_no, 10000))
        fail_msg ("the timeline of %s lacks its order: %s%s", ticket_no, s_out, s_err);
    assert_non_null (strstr (s_out, "order.created"));
    //  A complaint about fees is customer service's; noise has nobody in
    //  security, so it waits in the queue, and the list says so.
    s_file ("fees", "complaint", ticket_no, sizeof ticket_no);
    snprintf (order_no, sizeof order_no, "%s-W1", ticket_no);
    s_wait_order (order_no, "ORDER_STATUS_ASSIGNED");
    assert_string_equal (h_json_field (s_out, "staff_id", field, sizeof field), "F01");
    s_file ("noise", "complaint", ticket_no, sizeof ticket_no);
    snprintf (order_no, sizeof order_no, "%s-W1", ticket_no);
    s_wait_order (order_no, "ORDER_STATUS_QUEUED");
    assert_int_equal (CTL ("orders", "--status", "queued"), 0);
    assert_non_null (strstr (s_out, order_no));
    assert_non_null (strstr (s_out, "1 of 1 order"));
    assert_int_equal (CTL ("orders", "--estate", "E001"), 0);
    assert_non_null (strstr (s_out, "3 of 3 orders"));
    s_stop ();
}

//  ---- the lifecycle through kefuctl ----------------------------------------------------

static void
test_lifecycle_through_kefuctl (void **state)
{
    (void) state;
    s_start ("2026-11-23T10:00:00+08:00");
    char ticket_no [64], order_no [80], field [128];
    s_file ("water_leak", "repair", ticket_no, sizeof ticket_no);
    snprintf (order_no, sizeof order_no, "%s-W1", ticket_no);
    s_wait_order (order_no, "ORDER_STATUS_ASSIGNED");
    //  The refusals: one line each, the right exit status.
    //  The refusals: one line each, the right exit status. "@" stands for the order.
    static const struct { const char *args [12]; int status; const char *reason; } refused [] = {
        { { "--as", "W02", "--role", "technician", "order", "accept", "@" }, 1, "is assigned to W01, not to W02" },
        { { "order", "start", "@" }, 1, "only an accepted order can be started" },
        { { "order", "pause", "@" }, 2, "--reason owner, parts or other is required" },
        { { "order", "pause", "@", "--reason", "lunch" }, 2, "--reason 'lunch' is not one of" },
        { { "order", "transfer", "@", "--to", "cleaning" }, 2, "give the reason" },
        { { "order", "transfer", "@", "--to", "engineering", "wrong" }, 1, "is with engineering already" },
        { { "order", "complete", "@", "--paid", "3.505" }, 2, "is not an amount in yuan" },
        { { "order", "assign", "@" }, 2, "whom?" },
        { { "--role", "technician", "order", "assign", "@", "W02" }, 1, "only a supervisor or a manager" },
        { { "order", "show", "@", "extra" }, 2, "unexpected argument 'extra'" },
        { { "order", "show", "E001-20200101-0001-W1" }, 1, "no order 'E001-20200101-0001-W1'" },
        { { "order", "frobnicate", "@" }, 2, "unknown step 'frobnicate'" },
        { { NULL }, 0, NULL }
    };
    for (int i = 0; refused [i].args [0]; i++) {
        char *argv [24] = { "kefuctl", "--config", s_config };
        int n = 3;
        for (int j = 0; refused [i].args [j]; j++)
            argv [n++] = strcmp (refused [i].args [j], "@") == 0 ? order_no : (char *) refused [i].args [j];
        argv [n] = NULL;
        int status = h_runv (kf_test_dir, s_out, sizeof s_out, s_err, sizeof s_err, argv);
        if (status != refused [i].status || !strstr (s_err, refused [i].reason))
            fail_msg ("case %d: status %d, '%s'; expected %d, '%s'", i, status, s_err, refused [i].status,
                      refused [i].reason);
        assert_ptr_equal (strchr (s_err, '\n'), s_err + strlen (s_err) - 1);
    }
    s_wait_order (order_no, "ORDER_STATUS_ASSIGNED");   //  nothing moved it
    //  The way through, as the technician.
    assert_int_equal (CTL ("--as", "W01", "--role", "technician", "order", "accept", order_no), 0);
    assert_int_equal (CTL ("--as", "W01", "--role", "technician", "order", "start", order_no), 0);
    assert_int_equal (CTL ("--as", "W01", "--role", "technician", "order", "pause", order_no, "--reason", "parts",
                           "valve", "on", "order"), 0);
    assert_non_null (strstr (s_out, "paused     waiting_for_parts"));
    assert_int_equal (CTL ("--as", "W01", "--role", "technician", "order", "complete", order_no), 1);
    assert_non_null (strstr (s_err, "resume it first"));
    assert_int_equal (CTL ("--as", "W01", "--role", "technician", "order", "resume", order_no), 0);
    assert_int_equal (CTL ("--json", "--as", "W01", "--role", "technician", "order", "complete", order_no,
                           "--minutes", "40", "--material", "valve:1:28.50", "--paid", "60", "valve", "replaced"), 0);
    assert_string_equal (h_json_field (s_out, "status", field, sizeof field), "ORDER_STATUS_COMPLETED");
    assert_string_equal (h_json_field (s_out, "amount_fen", field, sizeof field), "6000");
    assert_int_equal (CTL ("order", "show", order_no), 0);
    const char *kinds [] = { "order.created", "order.assigned", "order.accepted", "order.started", "order.paused",
                             "order.resumed", "order.completed", NULL };
    const char *at = s_out;
    for (int i = 0; kinds [i]; i++)
        if (!(at = strstr (at, kinds [i])))
            fail_msg ("%s missing from the history, in order:\n%s", kinds [i], s_out);
    assert_non_null (strstr (s_out, "paid service ¥60.00"));
    //  Transfer and assign by hand, on another ticket.
    s_file ("plumbing", "repair", ticket_no, sizeof ticket_no);
    snprintf (order_no, sizeof order_no, "%s-W1", ticket_no);
    s_wait_order (order_no, "ORDER_STATUS_ASSIGNED");
    assert_int_equal (CTL ("--json", "order", "transfer", order_no, "--to", "customer_service", "owner", "disputes",
                           "the", "bill"), 0);
    char next [80];
    snprintf (next, sizeof next, "%s-W2", ticket_no);
    assert_string_equal (h_json_field (s_out, "order_no", field, sizeof field), next);
    s_wait_order (next, "ORDER_STATUS_ASSIGNED");
    assert_string_equal (h_json_field (s_out, "staff_id", field, sizeof field), "F01");
    s_wait_order (order_no, "ORDER_STATUS_TRANSFERRED");
    assert_int_equal (CTL ("--json", "order", "assign", next, "W02"), 1);
    assert_non_null (strstr (s_err, "W02 works in engineering, not customer_service"));
    //  Closing the ticket cancels its open order.
    assert_int_equal (CTL ("close", ticket_no, "settled", "at", "the", "desk"), 0);
    s_wait_order (next, "ORDER_STATUS_CANCELLED");
    assert_int_equal (CTL ("staff", "--estate", "E001"), 0);
    assert_non_null (strstr (s_out, "W01"));
    assert_non_null (strstr (s_out, "mon-fri 08:30-17:30"));
    s_stop ();
}

//  ---- the queue, the clock and the rota ---------------------------------------------------

static void
test_queue_clock_and_rota (void **state)
{
    (void) state;
    s_start ("2026-11-28T03:00:00+08:00");   //  Saturday, 3 a.m.
    char ticket_no [64], order_no [80], gas [80], field [128];
    s_file ("plumbing", "repair", ticket_no, sizeof ticket_no);
    snprintf (order_no, sizeof order_no, "%s-W1", ticket_no);
    s_wait_order (order_no, "ORDER_STATUS_QUEUED");
    //  A gas emergency goes to the on-call engineer at any hour.
    s_file ("gas", "emergency_help", ticket_no, sizeof ticket_no);
    snprintf (gas, sizeof gas, "%s-W1", ticket_no);
    s_wait_order (gas, "ORDER_STATUS_ASSIGNED");
    assert_string_equal (h_json_field (s_out, "staff_id", field, sizeof field), "O01");
    assert_int_equal (CTL ("staff", "--on-duty"), 0);
    assert_non_null (strstr (s_out, "F01"));
    assert_null (strstr (s_out, "W01"));
    //  No engineer on shift on a Saturday night (O01 is on call, not on shift): said so,
    //  and an empty list in JSON, not {}.
    assert_int_equal (CTL ("staff", "--on-duty", "--department", "engineering"), 0);
    assert_string_equal (s_out, "nobody on shift\n");
    assert_int_equal (CTL ("--json", "staff", "--on-duty", "--department", "engineering"), 0);
    assert_string_equal (s_out, "{\"staff\":[]}\n");
    assert_int_equal (CTL ("staff", "--estate", "E002"), 0);
    assert_string_equal (s_out, "no staff\n");
    //  Monday 08:30: the tick hands the queued order to the morning shift.
    assert_int_equal (CTL ("clock", "set", "2026-11-30T08:30:00+08:00", "--file", s_clock), 0);
    s_wait_order (order_no, "ORDER_STATUS_ASSIGNED");
    assert_string_equal (h_json_field (s_out, "staff_id", field, sizeof field), "W01");
    //  Back to Saturday night; a supervisor puts W02 on weekend nights.
    assert_int_equal (CTL ("clock", "set", "2026-12-05T23:00:00+08:00", "--file", s_clock), 0);
    s_file ("electrical", "repair", ticket_no, sizeof ticket_no);
    snprintf (order_no, sizeof order_no, "%s-W1", ticket_no);
    s_wait_order (order_no, "ORDER_STATUS_QUEUED");
    assert_int_equal (CTL ("--role", "technician", "staff", "rota", "W02", "sat-sun 20:00-08:00", "--estate", "E001"), 1);
    assert_non_null (strstr (s_err, "only a supervisor or a manager"));
    assert_int_equal (CTL ("staff", "rota", "W02", "sat-sun 25:00-08:00", "--estate", "E001"), 2);
    assert_non_null (strstr (s_err, "is not a span of hours"));
    assert_int_equal (CTL ("--role", "supervisor", "staff", "rota", "W02", "mon-fri", "08:30-17:30,", "sat-sun",
                           "20:00-08:00", "--estate", "E001"), 0);
    assert_non_null (strstr (s_out, "mon-fri 08:30-17:30, sat-sun 20:00-08:00"));
    s_wait_order (order_no, "ORDER_STATUS_ASSIGNED");
    assert_string_equal (h_json_field (s_out, "staff_id", field, sizeof field), "W02");
    //  The change outlives a restart of dispatch.
    assert_int_equal (h_stop (&s_dispatch, 10000), 0);
    h_start (&s_dispatch);
    assert_true (h_wait_for (s_answers, "dispatch", 10000));
    assert_int_equal (CTL ("staff", "--on-duty", "--estate", "E001"), 0);
    assert_non_null (strstr (s_out, "W02"));
    s_stop ();
}

//  ---- kill -9 of dispatch while tickets pour in ---------------------------------------------

#define S_LOAD 200

static void
s_send_filing (zsock_t *client, int i)
{
    char key [32];
    snprintf (key, sizeof key, "load-%d", i);
    Kf__FileTicket f = kf_filing ("E001", key, "load");
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_FILE_TICKET;
    request.file_ticket = &f;
    h_send_request (client, &request);
}

static bool
s_all_ordered (void *arg)
{
    (void) arg;
    char total [32];
    return CTL ("--json", "orders", "--estate", "E001", "--page-size", "1") == 0
        && strcmp (h_json_field (s_out, "total", total, sizeof total), "200") == 0;
}

static void
test_kill9_dispatch_under_load (void **state)
{
    (void) state;
    s_start ("2026-11-23T10:00:00+08:00");
    char endpoint [256];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/intake", kf_test_dir);
    zsock_t *client = zsock_new_dealer (endpoint);
    assert_non_null (client);
    int sent = 0, answered = 0, kills = 0;
    srandom ((unsigned) getpid ());
    while (answered < S_LOAD) {
        while (sent < S_LOAD && sent - answered < 20)
            s_send_filing (client, sent++);
        //  Every 40 answers, dispatch dies mid-stream and comes back.
        if (answered >= 40 * (kills + 1) && kills < 4) {
            usleep ((useconds_t) (random () % 3000));
            h_kill9 (&s_dispatch);
            h_start (&s_dispatch);
            kills++;
        }
        zframe_t *frame = zframe_recv (client);
        assert_non_null (frame);
        Kf__Reply *reply = kf__reply__unpack (NULL, zframe_size (frame), zframe_data (frame));
        zframe_destroy (&frame);
        assert_non_null (reply);
        assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_OK);
        kf__reply__free_unpacked (reply, NULL);
        answered++;
    }
    zsock_destroy (&client);
    assert_int_equal (kills, 4);
    assert_true (h_wait_for (s_answers, "dispatch", 10000));
    if (!h_wait_for (s_all_ordered, NULL, 60000))
        fail_msg ("dispatch made %s orders of %d tickets", h_json_field (s_out, "total", s_err, 64), S_LOAD);
    //  One order per ticket: every one is W1, and no ticket has a W2.
    assert_int_equal (CTL ("--json", "orders", "--estate", "E001", "--all"), 0);
    int lines = 0, w1 = 0;
    for (const char *c = s_out; *c; c++)
        lines += *c == '\n';
    for (const char *c = s_out; (c = strstr (c, "-W1\"")); c++)
        w1++;
    assert_int_equal (lines, S_LOAD);
    assert_int_equal (w1, 2 * S_LOAD);   //  order_no and created.order_no
    assert_null (strstr (s_out, "-W2\""));
    //  Loads: W01 and W02 (the on-shift plumbers) carry all 200, each counted once.
    assert_int_equal (CTL ("--json", "staff", "--estate", "E001"), 0);
    int load = 0;
    for (const char *c = s_out; (c = strstr (c, "\"open_orders\":")); c++)
        load += atoi (c + strlen ("\"open_orders\":"));
    assert_int_equal (load, S_LOAD);
    print_message ("      %d tickets, %d kill -9 of kefu-dispatch: %d orders, loads sum to %d\n", S_LOAD, kills, lines,
                   load);
    s_stop ();
}

int
main (void)
{
    h_init ();
    struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_filed_ticket_assigned, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_lifecycle_through_kefuctl, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_queue_clock_and_rota, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_kill9_dispatch_under_load, kf_test_dir_setup, h_teardown),
    };
    return H_RUN_TESTS (tests, NULL, NULL);
}
