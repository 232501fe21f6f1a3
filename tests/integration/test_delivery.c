/*  Integration tests of kefu-notify's deliveries, with real providers: the
    real kefu-bus, kefu-intake, kefu-dispatch and kefu-notify on ipc://
    endpoints in a scratch directory, on a file clock; a real SMTP server
    that requires STARTTLS and a gateway that verifies each webhook's
    signature (tests/notify/peers.mjs, on loopback). The receiving side
    counts: every POST and every message accepted is a line of its log.

    An assigned order reaches its technician by email and by signed
    webhook, and a closed case its reporter. kill -9 of kefu-notify just
    before or just after the gateway answers never sends twice (the
    gateway is asked); cut off in the middle of an email, the delivery is
    uncertain, an alarm a supervisor ends. A refusing gateway is retried,
    then given up with an alarm, then sent again by hand. Quiet hours hold
    a resident's notice till morning, but not an emergency's. Each test
    uses its own estate, so they pass in any order.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kf_test.h"
#include "kf_harness.h"

static char s_config [256], s_clock [256];

#define OUT_SIZE (1 << 18)
static char s_out [OUT_SIZE], s_err [8192];

static const char *s_services [] = { "intake", "dispatch", "notify", NULL };
static h_proc_t s_procs [H_CLUSTER_MAX];   //  the bus, then s_services
#define S_NOTIFY (&s_procs [3])
static h_proc_t s_peers;                   //  node tests/notify/peers.mjs

#define S_SECRET "kefu-test-webhook-secret-7f3a9c"

//  ---- the peers ---------------------------------------------------------------------

static bool
s_exists (void *path)
{
    return access ((const char *) path, F_OK) == 0;
}

//  The whole of a file of the scratch directory ("" when there is none).
static const char *
s_read (const char *name)
{
    static char text [1 << 18];
    char path [512];
    snprintf (path, sizeof path, "%s/%s", kf_test_dir, name);
    text [0] = 0;
    FILE *file = fopen (path, "r");
    if (file) {
        size_t n = fread (text, 1, sizeof text - 1, file);
        text [n] = 0;
        fclose (file);
    }
    return text;
}

//  How many lines of a peer's log hold every one of the texts (NULL-ended).
static int
s_lines (const char *log, ...)
{
    const char *texts [8];
    int count = 0, n = 0;
    va_list args;
    va_start (args, log);
    for (const char *t; n < 8 && (t = va_arg (args, const char *)); )
        texts [n++] = t;
    va_end (args);
    const char *line = s_read (log);
    while (*line) {
        const char *end = strchr (line, '\n');
        size_t size = end ? (size_t) (end - line) : strlen (line);
        bool all = true;
        for (int i = 0; i < n && all; i++) {
            const char *hit = strstr (line, texts [i]);
            all = hit && hit < line + size;
        }
        count += all;
        line += size + (end != NULL);
    }
    return count;
}

typedef struct {
    const char *log;
    const char *texts [4];
} s_line_t;

static bool
s_has_line (void *arg)
{
    const s_line_t *l = arg;
    return s_lines (l->log, l->texts [0], l->texts [1], l->texts [2], l->texts [3], NULL) > 0;
}

//  Wait until a line of the log holds the texts (at most 4).
#define SEEN(log, ...) do { \
        s_line_t line_ = { log, { __VA_ARGS__ } }; \
        if (!h_wait_for (s_has_line, &line_, 15000)) \
            fail_msg ("never a line of %s with '%s' in:\n%s", log, line_.texts [0], s_read (log)); \
    } while (0)

//  How the gateway and the SMTP server answer next (peers.mjs: DIR/mode).
static void
s_mode (const char *how, pid_t pid)
{
    char text [64], path [256];
    snprintf (text, sizeof text, pid ? "%s %d\n" : "%s\n", how, (int) pid);
    h_write ("mode", text, path, sizeof path);
}

//  ---- the cluster -------------------------------------------------------------------

static void
s_write_config (void)
{
    char script [sizeof h_bin_dir + 64], peers [512];
    snprintf (script, sizeof script, "%s/../../../tests/notify/peers.mjs", h_bin_dir);
    h_proc_init (&s_peers, kf_test_dir, "peers", "/usr/bin/node", script, kf_test_dir, S_SECRET, NULL);
    h_start (&s_peers);
    snprintf (peers, sizeof peers, "%s/peers.json", kf_test_dir);
    if (!h_wait_for (s_exists, peers, 30000)) {
        fprintf (stderr, "the peers did not start:\n%s", s_read ("peers.log"));
        abort ();
    }
    int http = 0, smtp = 0;
    const char *json = s_read ("peers.json");
    const char *h = strstr (json, "\"http\":"), *m = strstr (json, "\"smtp\":");
    if (!h || !m || sscanf (h + 7, "%d", &http) != 1 || sscanf (m + 7, "%d", &smtp) != 1) {
        fprintf (stderr, "peers.json does not read: %s\n", json);
        abort ();
    }
    char middle [8192], text [16384];
    //  Each estate its technician W0n; E001 and E004's have email too.
    snprintf (middle, sizeof middle,
        "notify\n    staff_channels = \"webhook, email\"\n    retry_first = 1m\n    retry_for = 1h\n"
        "    call_timeout = 5s\n"
        "    email\n        url = smtp://127.0.0.1:%d\n        from = kefu@example.com\n"
        "        ca_file = %s/peer.pem\n"
        "    webhook\n        url = http://127.0.0.1:%d/hook\n        secret = " S_SECRET "\n"
        "estates\n"
        "    E001\n        name = Riverside\n        staff\n"
        "            W01\n                name = Wang\n                department = engineering\n"
        "                shifts = \"daily 00:00-24:00\"\n"
        "                email = w01@example.com\n                language = en\n"
        "    E002\n        name = Maple\n        staff\n"
        "            W02\n                name = Li\n                department = engineering\n"
        "                shifts = \"daily 00:00-24:00\"\n"
        "    E003\n        name = Harbour\n        staff\n"
        "            W03\n                name = Zhao\n                department = engineering\n"
        "                shifts = \"daily 00:00-24:00\"\n"
        "    E004\n        name = Garden\n        staff\n"
        "            W04\n                name = Sun\n                department = engineering\n"
        "                shifts = \"daily 00:00-24:00\"\n"
        "                email = w04@example.com\n"
        "    E005\n        name = Orchard\n        staff\n"
        "            W05\n                name = Zhou\n                department = engineering\n"
        "                shifts = \"daily 00:00-24:00\"\n"
        "    E007\n        name = Hillside\n        staff\n"
        "            W07\n                name = Qian\n                department = engineering\n"
        "                email = w07@example.com\n"
        "                shifts = \"daily 00:00-24:00\"\n"
        "    E006\n        name = Lakeside\n        notify\n            quiet_hours = 21:00-08:00\n"
        "        staff\n"
        "            W06\n                name = Wu\n                department = engineering\n"
        "                shifts = \"daily 00:00-24:00\"\n",
        smtp, kf_test_dir, http);
    h_cluster_config (text, sizeof text, H_OUTBOX_YEAR, middle, s_services);
    h_write ("kefu.conf", text, s_config, sizeof s_config);
}

static int
s_cluster_up (void **state)
{
    return h_suite_up (state, s_write_config, s_procs, s_services, s_config, s_clock, sizeof s_clock,
                       "2026-12-01T09:00:00+08:00");
}

static int
s_cluster_down (void **state)
{
    h_stop (&s_peers, 5000);
    h_proc_free (&s_peers);
    return h_suite_down (state, s_procs, s_services);
}

//  Each test starts with the providers answering.
static int
s_setup (void **state)
{
    (void) state;
    s_mode ("ok", 0);
    return 0;
}

//  A repair ticket of the estate, reported from `phone`; its number.
static void
s_file (const char *estate, const char *phone, const char *hazard, char *ticket_no, size_t size)
{
    int rc = hazard
           ? CTL ("--json", "file", "--estate", estate, "--unit", "3-2-1502", "--name", "张三", "--phone", phone,
                  "--type", "repair", "--channel", "phone", "--category", "plumbing", "--hazard", hazard, "漏水")
           : CTL ("--json", "file", "--estate", estate, "--unit", "3-2-1502", "--name", "张三", "--phone", phone,
                  "--type", "repair", "--channel", "phone", "--category", "plumbing", "水管漏水");
    if (rc)
        fail_msg ("file: %s", s_err);
    h_json_field (s_out, "ticket_no", ticket_no, size);
}

static bool
s_dead (void *proc)
{
    return !h_alive (proc);
}

//  kefu-notify died (the peers killed it): started again, answering.
static void
s_restart_notify (void)
{
    if (!h_wait_for (s_dead, S_NOTIFY, 15000))
        fail_msg ("kefu-notify was not killed");
    h_kill9 (S_NOTIFY);   //  reaped: its pid forgotten
    h_start (S_NOTIFY);
    char *argv [] = { "kefuctl", "--config", s_config, "ping", "notify", NULL };
    if (!h_wait_for (h_cluster_answers, argv, 10000))
        fail_msg ("kefu-notify does not answer after its restart");
    //  A webhook in flight is asked about a call's time (5s) after the
    //  call began: on the file clock, that time must pass.
    CTL_OK ("clock", "advance", "10s", "--file", s_clock);
}

//  The id of the estate's newest delivery of this kind and channel.
static void
s_delivery (const char *estate, const char *kind, const char *channel, char *id, size_t size)
{
    char want [64];
    snprintf (want, sizeof want, "\"kind\":\"%s\"", kind);
    UNTIL (want, "--json", "notify", "log", "--estate", estate);
    //  One line of JSON: find the delivery object holding both.
    for (const char *at = strstr (s_out, "{\"id\":\""); at; at = strstr (at + 1, "{\"id\":\"")) {
        const char *next = strstr (at + 1, "{\"id\":\"");
        const char *k = strstr (at, want), *c = strstr (at, channel);
        if (k && c && (!next || (k < next && c < next))) {
            snprintf (id, size, "%.16s", at + 7);
            return;
        }
    }
    fail_msg ("no %s delivery by %s in: %s", kind, channel, s_out);
}

//  ---- telling people ----------------------------------------------------------------

//  Issue 24.1: an order's technician by STARTTLS email and signed webhook;
//  the case's reporter when it is closed; a test message by hand.
static void
test_an_assigned_order_reaches_its_technician (void **state)
{
    (void) state;
    char ticket_no [64];
    s_file ("E001", "13800000001", NULL, ticket_no, sizeof ticket_no);
    SEEN ("mail.log", "\"to\":[\"w01@example.com\"]", ticket_no);
    assert_int_equal (s_lines ("mail.log", "w01@example.com", "\"tls\":true", "\"from\":\"kefu@example.com\"",
                               "Work order", NULL), 1);
    SEEN ("webhook.log", "\"address\":\"W01\"", "\"kind\":\"order.assigned\"", ticket_no);
    assert_int_equal (s_lines ("webhook.log", "\"address\":\"W01\"", "\"verified\":true", "\"repeat\":false", NULL), 1);
    UNTIL ("2 of 2 messages", "notify", "log", "--estate", "E001", "--status", "sent");
    assert_non_null (strstr (s_out, "w01@example.com"));
    assert_non_null (strstr (s_out, "0 open alarms"));

    CTL_OK ("close", ticket_no, "换了水管");
    SEEN ("webhook.log", "\"address\":\"13800000001\"", "\"kind\":\"ticket.closed\"", "换了水管");
    assert_int_equal (s_lines ("webhook.log", "13800000001", "\"verified\":true", NULL), 1);

    CTL_OK ("notify", "test", "--estate", "E001", "--channel", "email", "--address", "ops@example.com");
    SEEN ("mail.log", "\"to\":[\"ops@example.com\"]", "\"tls\":true");
    //  A front desk reads the log; a technician does not; nor does anyone
    //  read another estate's.
    CTL_OK ("--as", "F01", "--role", "front_desk", "--scope", "E001", "notify", "log");
    assert_int_equal (CTL ("--as", "W01", "--role", "technician", "--scope", "E001", "notify", "log"), 1);
    assert_int_equal (CTL ("--as", "F01", "--role", "front_desk", "--scope", "E001", "notify", "log", "--estate",
                           "E002"), 1);
}

//  ---- never twice -------------------------------------------------------------------

//  Issue 24.2 and 24.6: killed after the gateway took the message and
//  before its answer arrived, kefu-notify asks the gateway on its restart,
//  learns it was taken, and never POSTs it again.
static void
test_a_kill_before_the_answer_asks_the_gateway (void **state)
{
    (void) state;
    char ticket_no [64], id [32], probe [64];
    s_mode ("kill-before", S_NOTIFY->pid);
    s_file ("E002", "13800000002", NULL, ticket_no, sizeof ticket_no);
    s_restart_notify ();
    s_delivery ("E002", "order.assigned", "NOTIFY_CHANNEL_WEBHOOK", id, sizeof id);
    snprintf (probe, sizeof probe, "\"probe\":\"%s\"", id);
    SEEN ("webhook.log", probe, "\"had\":true");
    UNTIL ("1 of 1 message", "notify", "log", "--estate", "E002", "--status", "sent");
    assert_int_equal (s_lines ("webhook.log", "\"address\":\"W02\"", NULL), 1);
    assert_true (h_log_contains (S_NOTIFY, "in flight when kefu-notify stopped"));
}

//  ... killed just after the answer: one POST, whatever the store held.
static void
test_a_kill_after_the_answer_never_sends_twice (void **state)
{
    (void) state;
    char ticket_no [64];
    s_mode ("kill-after", S_NOTIFY->pid);
    s_file ("E003", "13800000003", NULL, ticket_no, sizeof ticket_no);
    s_restart_notify ();
    UNTIL ("1 of 1 message", "notify", "log", "--estate", "E003", "--status", "sent");
    //  Whatever more it does (a probe, say), it sends nothing again.
    CTL_OK ("ping", "notify");
    assert_int_equal (s_lines ("webhook.log", "\"address\":\"W03\"", NULL), 1);
}

//  An email cut off before the server's "250": it may have arrived, and
//  SMTP cannot be asked, so it is uncertain, an alarm, never resent by
//  itself; a supervisor dismisses it (a technician may not).
static void
test_an_email_cut_off_is_uncertain (void **state)
{
    (void) state;
    char ticket_no [64], id [32];
    s_mode ("smtp-kill", S_NOTIFY->pid);
    s_file ("E004", "13800000004", NULL, ticket_no, sizeof ticket_no);
    s_restart_notify ();
    UNTIL ("  uncertain  ", "notify", "log", "--estate", "E004", "--alarms");
    assert_non_null (strstr (s_out, "1 open alarm\n"));
    s_delivery ("E004", "order.assigned", "NOTIFY_CHANNEL_EMAIL", id, sizeof id);
    assert_int_equal (CTL ("--as", "W04", "--role", "technician", "--scope", "E004", "notify", "dismiss", id,
                           "--reason", "seen"), 1);
    CTL_OK ("--as", "S04", "--role", "supervisor", "--scope", "E004", "notify", "dismiss", id, "--reason",
            "the mail server's log shows it delivered");
    assert_non_null (strstr (s_out, ", dismissed: by S04: the mail server's log"));
    CTL_OK ("notify", "log", "--estate", "E004", "--alarms");
    assert_non_null (strstr (s_out, "0 open alarms"));
    //  The webhook of the same order went once; the email was never resent.
    UNTIL ("1 of 1 message", "notify", "log", "--estate", "E004", "--status", "sent");
    assert_int_equal (s_lines ("mail.log", "w04@example.com", NULL), 1);
    assert_int_equal (s_lines ("webhook.log", "\"address\":\"W04\"", NULL), 1);
}

//  A clean stop (SIGTERM) in the middle of a call: the call is finished
//  and recorded, the message not begun is handed back, so nothing is in
//  doubt at the next start and each message arrives once.
static void
test_a_clean_stop_leaves_nothing_in_doubt (void **state)
{
    (void) state;
    char ticket_no [64];
    s_mode ("slow", 2000);
    s_file ("E007", "13800000007", NULL, ticket_no, sizeof ticket_no);
    SEEN ("webhook.log", "\"address\":\"W07\"", ticket_no);
    //  The log is the whole suite's: this test's lines are those past its counts.
    int doubt = h_log_count (S_NOTIFY, "in flight when kefu-notify stopped");
    int left = h_log_count (S_NOTIFY, "still in flight at the stop");
    assert_int_equal (h_stop (S_NOTIFY, 15000), 0);
    assert_int_equal (h_log_count (S_NOTIFY, "still in flight at the stop"), left);
    s_mode ("ok", 0);
    h_start (S_NOTIFY);
    char *argv [] = { "kefuctl", "--config", s_config, "ping", "notify", NULL };
    if (!h_wait_for (h_cluster_answers, argv, 10000))
        fail_msg ("kefu-notify does not answer after its restart");
    UNTIL ("2 of 2 messages", "notify", "log", "--estate", "E007", "--status", "sent");
    assert_int_equal (s_lines ("webhook.log", "\"address\":\"W07\"", NULL), 1);
    assert_int_equal (s_lines ("mail.log", "w07@example.com", NULL), 1);
    assert_int_equal (h_log_count (S_NOTIFY, "in flight when kefu-notify stopped"), doubt);
}

//  Issue 24.2: a gateway answering 503 is retried with backoff until
//  notify/retry_for has passed, then the delivery fails with the reason
//  and an alarm; retried by hand, it goes once the gateway takes it.
static void
test_a_refusing_gateway_is_retried_then_given_up (void **state)
{
    (void) state;
    char ticket_no [64], id [32];
    s_mode ("fail-503", 0);
    s_file ("E005", "13800000005", NULL, ticket_no, sizeof ticket_no);
    UNTIL ("the gateway answered HTTP 503", "notify", "log", "--estate", "E005");
    assert_non_null (strstr (s_out, "  pending  "));
    CTL_OK ("clock", "advance", "2h", "--file", s_clock);
    UNTIL ("  failed  ", "notify", "log", "--estate", "E005", "--alarms");
    assert_non_null (strstr (s_out, "HTTP 503"));
    assert_non_null (strstr (s_out, "1 open alarm\n"));
    assert_true (s_lines ("webhook.log", "\"address\":\"W05\"", "\"mode\":\"fail-503\"", NULL) >= 2);
    s_mode ("ok", 0);
    s_delivery ("E005", "order.assigned", "NOTIFY_CHANNEL_WEBHOOK", id, sizeof id);
    CTL_OK ("--as", "S05", "--role", "supervisor", "--scope", "E005", "notify", "retry", id);
    UNTIL ("1 of 1 message", "notify", "log", "--estate", "E005", "--status", "sent");
    assert_int_equal (s_lines ("webhook.log", "\"address\":\"W05\"", "\"mode\":\"ok\"", NULL), 1);
    CTL_OK ("notify", "log", "--estate", "E005", "--alarms");
    assert_non_null (strstr (s_out, "0 open alarms"));
}

//  Issue 24.2: a case's closing, told to its reporter at night, waits for
//  the end of the estate's quiet hours; an emergency's goes at once.
static void
test_quiet_hours_hold_a_residents_notice (void **state)
{
    (void) state;
    char quiet [64], urgent [64];
    //  Later than any other test goes, so the clock only moves forward.
    CTL_OK ("clock", "set", "2026-12-20T22:00:00+08:00", "--file", s_clock);
    s_file ("E006", "13800000006", NULL, quiet, sizeof quiet);
    s_file ("E006", "13800000066", "leak_into_home", urgent, sizeof urgent);
    //  The technician is told at night all the same.
    SEEN ("webhook.log", "\"address\":\"W06\"", quiet);
    CTL_OK ("close", quiet, "修好了");
    CTL_OK ("close", urgent, "止水了");
    SEEN ("webhook.log", "\"address\":\"13800000066\"", "\"kind\":\"ticket.closed\"");
    UNTIL ("held by the estate's quiet hours", "notify", "log", "--estate", "E006", "--status", "pending");
    assert_non_null (strstr (s_out, quiet));
    assert_non_null (strstr (s_out, "138****0006"));   //  a phone, masked for the group's view
    assert_int_equal (s_lines ("webhook.log", "\"address\":\"13800000006\"", NULL), 0);
    CTL_OK ("clock", "set", "2026-12-21T08:01:00+08:00", "--file", s_clock);
    SEEN ("webhook.log", "\"address\":\"13800000006\"", "\"kind\":\"ticket.closed\"", "修好了");
}

int
main (void)
{
    struct CMUnitTest tests [] = {
        cmocka_unit_test_setup (test_an_assigned_order_reaches_its_technician, s_setup),
        cmocka_unit_test_setup (test_a_kill_before_the_answer_asks_the_gateway, s_setup),
        cmocka_unit_test_setup (test_a_kill_after_the_answer_never_sends_twice, s_setup),
        cmocka_unit_test_setup (test_an_email_cut_off_is_uncertain, s_setup),
        cmocka_unit_test_setup (test_a_clean_stop_leaves_nothing_in_doubt, s_setup),
        cmocka_unit_test_setup (test_a_refusing_gateway_is_retried_then_given_up, s_setup),
        cmocka_unit_test_setup (test_quiet_hours_hold_a_residents_notice, s_setup),
    };
    return H_RUN_TESTS (tests, s_cluster_up, s_cluster_down);
}
