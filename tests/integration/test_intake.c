/*  Integration tests of kefu-intake, driven through kefuctl: the real
    kefu-bus and kefu-intake on ipc:// endpoints in a scratch directory.

    File, show, list; every validation error; an idempotent retry; the
    lifecycle; kill -9 of intake between requests and replies; an estate's
    own intake filing while its link to the cluster is cut (socat is the
    link) and the cluster catching up when it returns; tap showing events.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "kf_test.h"
#include "kf_harness.h"
#include "kf_store.h"
#include "kf_filing.h"
#include "commands.pb-c.h"

static char s_config [256], s_edge_config [256];
static h_proc_t s_bus, s_intake, s_edge, s_link_in, s_link_out;

#define OUT_SIZE (1 << 20)
static char s_out [OUT_SIZE], s_err [4096];

//  kefuctl --config <cluster config> ARGS...; its exit status.


//  The gateway's port. Only the supervisor's test starts a gateway, on a
//  port it holds itself, so that the gateway dies at once, again and again
//  (and never on 8080, which a `make run` on the same machine may hold).
static int s_gateway_port = 8080;

//  The cluster: E001 and E002 filed by its intake, E003 by an estate server.
static void
s_write_configs (void)
{
    const char *d = kf_test_dir;
    char text [4096];
    snprintf (text, sizeof text,
        "cluster\n    name = c1\n    data_dir = %s/data\n"
        "bus\n    publish = ipc://%s/bus-in\n    subscribe = ipc://%s/bus-out\n    capture = ipc://%s/bus-tap\n"
        "    heartbeat = 200ms\n"
        "estates\n"
        "    E001\n        name = \"Riverside 滨江花园\"\n"
        "    E002\n        name = Maple\n        priority\n            low = category:greening\n"
        "    E003\n        name = Harbour\n        intake = intake@edge3\n        intake_endpoint = ipc://%s/edge-intake\n"
        "services\n    intake\n        endpoint = ipc://%s/intake\n        replay = ipc://%s/intake-replay\n"
        "    dispatch\n        endpoint = ipc://%s/dispatch\n        replay = ipc://%s/dispatch-replay\n"
        "    gateway\n        listen = 127.0.0.1:%d\n",
        d, d, d, d, d, d, d, d, d, s_gateway_port);
    h_write ("kefu.conf", text, s_config, sizeof s_config);
    //  The estate server's own: its site name, its store, the link.
    snprintf (text, sizeof text,
        "cluster\n    name = edge3\n    data_dir = %s/edge\n"
        "bus\n    publish = ipc://%s/link-in\n    subscribe = ipc://%s/link-out\n    heartbeat = 200ms\n"
        "estates\n    E003\n        name = Harbour\n"
        "services\n    intake\n        endpoint = ipc://%s/edge-intake\n        replay = ipc://%s/edge-replay\n",
        d, d, d, d, d);
    h_write ("edge.conf", text, s_edge_config, sizeof s_edge_config);
}

static bool
s_answers (void *arg)
{
    return CTL ("ping", (const char *) arg) == 0;
}

static char s_clock [256];

//  The cluster's bus and intake; intake on the file clock s_clock when set.
static void
s_start_cluster (void)
{
    s_write_configs ();
    h_proc_init (&s_bus, kf_test_dir, "bus", "kefu-bus", "--config", s_config, NULL);
    if (*s_clock)
        h_proc_init (&s_intake, kf_test_dir, "intake", "kefu-intake", "--config", s_config, "--clock", s_clock, NULL);
    else
        h_proc_init (&s_intake, kf_test_dir, "intake", "kefu-intake", "--config", s_config, NULL);
    h_start (&s_bus);
    h_start (&s_intake);
    if (!h_wait_for (s_answers, "intake@c1", 10000))
        fail_msg ("kefu-intake does not answer: %s", s_err);
}

static void
s_stop_cluster (void)
{
    assert_int_equal (h_stop (&s_intake, 10000), 0);
    assert_int_equal (h_stop (&s_bus, 10000), 0);
    h_proc_free (&s_intake);
    h_proc_free (&s_bus);
}

static int
s_file (const char *estate, const char *key, const char *text, char *ticket_no, size_t size)
{
    int rc = CTL ("--json", "file", "--estate", estate, "--unit", "3-2-1502", "--name", "张三", "--phone",
                  "13800000000", "--type", "repair", "--channel", "phone", "--category", "plumbing", "--key", key, text);
    if (ticket_no)
        h_json_field (s_out, "ticket_no", ticket_no, size);
    return rc;
}

//  ---- file, show, list -------------------------------------------------------------

static void
test_file_show_list (void **state)
{
    (void) state;
    s_start_cluster ();
    char ticket_no [64], field [64];
    assert_int_equal (CTL ("--json", "--as", "alice", "file", "--estate", "E001", "--unit", "3-2-1502", "--name",
                           "张三", "--phone", "+8613800000000", "--type", "repair", "--channel", "phone",
                           "--category", "water_leak", "--hazard", "leak_into_home", "--photo",
                           "https://img.example.com/1.jpg", "卫生间漏水到楼下"), 0);
    h_json_field (s_out, "ticket_no", ticket_no, sizeof ticket_no);
    //  <estate>-<yyyymmdd>-<nnnn>, the first of the day.
    assert_int_equal (strlen (ticket_no), strlen ("E001-20261123-0001"));
    assert_int_equal (strncmp (ticket_no, "E001-", 5), 0);
    assert_string_equal (ticket_no + 14, "0001");
    //  A leak into a home is an emergency by the default rules.
    assert_string_equal (h_json_field (s_out, "priority", field, sizeof field), "PRIORITY_EMERGENCY");
    assert_string_equal (h_json_field (s_out, "filed_by", field, sizeof field), "alice");

    //  Estate E002's own rule makes greening low; elsewhere it is normal.
    assert_int_equal (CTL ("--json", "file", "--estate", "E002", "--unit", "1-1-101", "--name", "王五", "--phone",
                           "13900000000", "--type", "suggestion", "--channel", "app_web", "--category", "greening",
                           "trim the hedges"), 0);
    assert_string_equal (h_json_field (s_out, "priority", field, sizeof field), "PRIORITY_LOW");
    assert_int_equal (CTL ("--json", "file", "--estate", "E001", "--unit", "1-1-101", "--name", "王五", "--phone",
                           "13900000000", "--type", "repair", "--channel", "app_web", "--category", "greening",
                           "dead tree"), 0);
    assert_string_equal (h_json_field (s_out, "priority", field, sizeof field), "PRIORITY_NORMAL");
    assert_string_equal (h_json_field (s_out, "ticket_no", field, sizeof field) + 14, "0002");

    //  show: readable, with the timeline.
    assert_int_equal (CTL ("show", ticket_no), 0);
    assert_non_null (strstr (s_out, "卫生间漏水到楼下"));
    assert_non_null (strstr (s_out, "ticket.filed"));
    assert_non_null (strstr (s_out, "priority emergency"));

    //  list: by estate, by filter, paged.
    assert_int_equal (CTL ("--json", "list", "--estate", "E001"), 0);
    assert_string_equal (h_json_field (s_out, "total", field, sizeof field), "2");
    assert_int_equal (CTL ("--json", "list", "--category", "water_leak"), 0);
    assert_string_equal (h_json_field (s_out, "total", field, sizeof field), "1");
    assert_int_equal (CTL ("--json", "list", "--estate", "E001", "--page-size", "1"), 0);
    assert_string_equal (h_json_field (s_out, "total", field, sizeof field), "2");
    char token [128];
    h_json_field (s_out, "next_page_token", token, sizeof token);
    assert_true (strlen (token) > 0);
    //  Newest first: page 1 holds 0002, page 2 holds 0001.
    assert_non_null (strstr (s_out, "-0002\""));
    assert_int_equal (CTL ("--json", "list", "--estate", "E001", "--page-size", "1", "--page", token), 0);
    assert_non_null (strstr (s_out, ticket_no));
    assert_string_equal (h_json_field (s_out, "next_page_token", field, sizeof field), "");
    assert_int_equal (CTL ("list", "--estate", "E001"), 0);
    assert_non_null (strstr (s_out, "2 of 2 tickets"));
    assert_int_equal (CTL ("--json", "list", "--status", "closed"), 0);
    assert_string_equal (h_json_field (s_out, "total", field, sizeof field), "0");
    s_stop_cluster ();
}

//  ---- every validation error: one line, and nothing stored ----------------------------

static void
test_validation_errors (void **state)
{
    (void) state;
    s_start_cluster ();
    static const h_ctl_case_t cases [] = {
        { { "file", "--estate", "E009", "--unit", "3-2-1", "--name", "a", "--phone", "138000", "--type", "repair",
            "--channel", "phone", "--category", "other", "text" }, 1, "unknown estate 'E009'" },
        { { "file", "--estate", "E001", "--unit", "3-2", "--name", "a", "--phone", "138000", "--type", "repair",
            "--channel", "phone", "--category", "other", "text" }, 1, "unit '3-2' is not building-unit-room" },
        { { "file", "--estate", "E001", "--unit", "3-2-1502!", "--name", "a", "--phone", "138000", "--type", "repair",
            "--channel", "phone", "--category", "other", "text" }, 1, "is not building-unit-room" },
        { { "file", "--estate", "E001", "--unit", "3-2-1", "--name", "a", "--phone", "138-000", "--type", "repair",
            "--channel", "phone", "--category", "other", "text" }, 1, "reporter_phone '138-000' is not a phone number" },
        { { "file", "--estate", "E001", "--unit", "3-2-1", "--name", "a", "--type", "repair",
            "--channel", "phone", "--category", "other", "text" }, 2, "file: --phone PHONE is required" },
        { { "file", "--estate", "E001", "--unit", "3-2-1", "--phone", "138000", "--type", "repair",
            "--channel", "phone", "--category", "other", "text" }, 1, "reporter_name is required" },
        { { "file", "--estate", "E001", "--unit", "3-2-1", "--name", " ", "--phone", "138000", "--type", "repair",
            "--channel", "phone", "--category", "other", "text" }, 1, "reporter_name is required (1 to 64 characters)" },
        { { "file", "--estate", "E001", "--unit", "3-2-1", "--name", "a", "--phone", "138000", "--type", "repair",
            "--channel", "phone", "--category", "other", "  " }, 1, "description is required" },
        { { "file", "--estate", "E001", "--unit", "3-2-1", "--name", "a", "--phone", "138000", "--type", "repair",
            "--channel", "phone", "--category", "other" }, 2, "file: a DESCRIPTION is required" },
        { { "file", "--estate", "E001", "--unit", "3-2-1", "--name", "a", "--phone", "138000",
            "--channel", "phone", "--category", "other", "text" }, 2, "file: --type T is required" },
        { { "file", "--estate", "E001", "--unit", "3-2-1", "--name", "a", "--phone", "138000", "--type", "repair",
            "--category", "other", "text" }, 2, "file: --channel C is required" },
        { { "file", "--estate", "E001", "--unit", "3-2-1", "--name", "a", "--phone", "138000", "--type", "repair",
            "--channel", "phone", "text" }, 2, "file: --category C is required" },
        { { "file", "--estate", "E001", "--unit", "3-2-1", "--name", "a", "--phone", "138000", "--type", "repairs",
            "--channel", "phone", "--category", "other", "text" }, 2, "--type 'repairs' is not one of: repair," },
        { { "file", "--estate", "E001", "--unit", "3-2-1", "--name", "a", "--phone", "138000", "--type", "repair",
            "--channel", "phone", "--category", "other", "--hazard", "fire", "text" }, 2, "--hazard 'fire' is not one of" },
        { { "file", "--estate", "E001", "--unit", "3-2-1", "--name", "a", "--phone", "138000", "--type", "repair",
            "--channel", "phone", "--category", "other", "--photo", "ftp://x/y.jpg", "text" }, 1,
          "photo_urls: 'ftp://x/y.jpg' is not an http(s) URL" },
        { { "file", "--estate", "E001", "--bogus", "x" }, 2, "file: unknown option --bogus" },
        { { "file", "--estate" }, 2, "file: --estate needs a value" },
        { { "show", "E001-20260101-0001" }, 1, "no ticket 'E001-20260101-0001'" },
        { { "show" }, 2, "show: which ticket?" },
        { { "close", "E001-20260101-0001" }, 2, "needs a text" },
        { { "list", "--status", "done" }, 2, "--status 'done' is not one of: open, closed, cancelled" },
        { { "list", "--from", "yesterday" }, 2, "list: --from:" },
        { { "frobnicate" }, 2, "unknown command 'frobnicate'" },
        { { NULL }, 0, NULL }
    };
    h_ctl_cases (s_config, cases);
    //  A description of 2,001 characters is refused; 2,000 (CJK, 6,000 bytes) filed.
    char text [8192] = "";
    for (int i = 0; i < 2000; i++)
        strcat (text, "漏");
    char ticket_no [64], field [64];
    assert_int_equal (s_file ("E001", "long", text, ticket_no, sizeof ticket_no), 0);
    strcat (text, "x");
    assert_int_equal (s_file ("E001", "longer", text, NULL, 0), 1);
    assert_non_null (strstr (s_err, "description is too long (2001 characters, at most 2000)"));
    //  Each reason says what is wrong, not "is required" when it is there.
    char name [256] = "";
    for (int i = 0; i < 65; i++)
        strcat (name, "张");
    assert_int_equal (CTL ("file", "--estate", "E001", "--unit", "3-2-1", "--name", name, "--phone", "138000",
                           "--type", "repair", "--channel", "phone", "--category", "other", "text"), 1);
    assert_non_null (strstr (s_err, "reporter_name is too long (65 characters, at most 64)"));
    assert_int_equal (s_file ("E001", "a key", "text", NULL, 0), 1);
    assert_non_null (strstr (s_err, "idempotency_key may contain only printable ASCII characters other than space"));
    //  A newline would split the tables that show the name: refused, in
    //  one line, for this as for every text of every command.
    assert_int_equal (CTL ("file", "--estate", "E001", "--unit", "3-2-1", "--name", "张\n三", "--phone", "138000",
                           "--type", "repair", "--channel", "phone", "--category", "other", "text"), 1);
    assert_non_null (strstr (s_err, "kf.FileTicket.reporter_name may not contain control characters (U+000A at character 2)"));
    assert_ptr_equal (strchr (s_err, '\n'), s_err + strlen (s_err) - 1);
    assert_int_equal (CTL ("note", ticket_no, "tab\tseparated"), 1);
    assert_non_null (strstr (s_err, "kf.AddNote.note may not contain control characters (U+0009 at character 4)"));
    //  Nothing of the refused filings was stored, and no number was used.
    assert_int_equal (CTL ("--json", "list"), 0);
    assert_string_equal (h_json_field (s_out, "total", field, sizeof field), "1");
    assert_string_equal (ticket_no + 14, "0001");
    //  A configuration that does not load: a clear line, no daemon needed.
    char bad [256];
    h_write ("bad.conf", "bus\n    publish = nowhere\n", bad, sizeof bad);
    assert_int_equal (h_run (kf_test_dir, s_out, sizeof s_out, s_err, sizeof s_err, "kefuctl", "--config", bad,
                             "list", NULL), 1);
    assert_non_null (strstr (s_err, "bus/publish: 'nowhere' is not an endpoint"));
    s_stop_cluster ();
}

//  ---- idempotency and the lifecycle --------------------------------------------------

static void
test_idempotent_retry_and_lifecycle (void **state)
{
    (void) state;
    s_start_cluster ();
    char first [64], again [64], field [64];
    assert_int_equal (s_file ("E001", "app-7f3a", "tap drips", first, sizeof first), 0);
    assert_int_equal (s_file ("E001", "app-7f3a", "tap drips", again, sizeof again), 0);
    assert_string_equal (first, again);
    //  The same key with other details is a conflict, not a second ticket.
    assert_int_equal (s_file ("E001", "app-7f3a", "tap drips a lot", NULL, 0), 1);
    assert_non_null (strstr (s_err, "idempotency_key 'app-7f3a' already filed"));
    //  Keys are per estate.
    assert_int_equal (s_file ("E002", "app-7f3a", "tap drips", again, sizeof again), 0);
    assert_int_equal (strncmp (again, "E002-", 5), 0);
    assert_int_equal (CTL ("--json", "list", "--estate", "E001"), 0);
    assert_string_equal (h_json_field (s_out, "total", field, sizeof field), "1");

    //  note, close, reopen (twice), cancel; illegal moves refused.
    assert_int_equal (CTL ("--as", "bob", "note", first, "called", "the", "owner"), 0);
    assert_int_equal (CTL ("reopen", first, "not closed"), 1);
    assert_non_null (strstr (s_err, "is not closed"));
    assert_int_equal (CTL ("close", first, "washer replaced"), 0);
    assert_int_equal (CTL ("close", first, "again"), 1);
    assert_non_null (strstr (s_err, "is not open"));
    assert_int_equal (CTL ("reopen", first, "drips again"), 0);
    assert_int_equal (CTL ("close", first, "tap replaced"), 0);
    assert_int_equal (CTL ("--json", "reopen", first, "still drips"), 0);
    assert_non_null (strstr (s_out, "\"reopen_count\":2"));
    assert_int_equal (CTL ("--role", "front_desk", "cancel", first, "duplicate"), 1);
    assert_non_null (strstr (s_err, "only a supervisor may cancel a ticket"));
    assert_int_equal (CTL ("--role", "supervisor", "cancel", first, "duplicate"), 0);
    assert_int_equal (CTL ("cancel", first, "twice"), 1);
    assert_non_null (strstr (s_err, "cancelled already"));
    //  A caller bound to another estate sees nothing of this one.
    assert_int_equal (CTL ("--scope", "E002", "show", first), 1);
    assert_non_null (strstr (s_err, "no ticket"));
    assert_int_equal (CTL ("--scope", "E002", "--json", "list", "--estate", "E001"), 1);

    //  The whole story on show.
    assert_int_equal (CTL ("show", first), 0);
    const char *kinds [] = { "ticket.filed", "ticket.note_added", "ticket.closed", "ticket.reopened",
                             "ticket.cancelled", NULL };
    const char *at = s_out;
    for (int i = 0; kinds [i]; i++) {
        at = strstr (at, kinds [i]);
        if (!at)
            fail_msg ("%s missing from the timeline, in order:\n%s", kinds [i], s_out);
    }
    assert_non_null (strstr (s_out, "called the owner"));
    assert_non_null (strstr (s_out, "bob"));
    assert_non_null (strstr (s_out, "reopened   2 times"));
    s_stop_cluster ();
}

//  ---- kill -9 between requests and replies -------------------------------------------

#define S_STORM 300
#define S_WINDOW 16

static bool
s_intake_answers (void *arg)
{
    (void) arg;
    return CTL ("ping", "intake") == 0;
}

static void
s_send_filing (zsock_t *client, int i)
{
    char key [32], text [64];
    snprintf (key, sizeof key, "storm-%d", i);
    snprintf (text, sizeof text, "storm filing %d", i);
    Kf__FileTicket f = kf_filing ("E001", key, text);
    Kf__Request request = KF__REQUEST__INIT;
    char id [16];
    snprintf (id, sizeof id, "%d", i);
    request.request_id = id;
    request.command_case = KF__REQUEST__COMMAND_FILE_TICKET;
    request.file_ticket = &f;
    h_send_request (client, &request);
}

static void
test_kill9_between_request_and_reply (void **state)
{
    (void) state;
    s_start_cluster ();
    char endpoint [256];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/intake", kf_test_dir);
    zsock_t *client = zsock_new_dealer (endpoint);
    assert_non_null (client);
    static char acked [S_STORM][32];
    static int64_t sent_at [S_STORM];
    memset (acked, 0, sizeof acked);
    memset (sent_at, 0, sizeof sent_at);
    int done = 0, kills = 0, duplicates = 0, resent = 0;
    int kill_at [] = { 30, 70, 110, 150, 190, 230 };
    int n_kills = (int) (sizeof kill_at / sizeof kill_at [0]);
    int64_t deadline = zclock_mono () + 120000;
    srandom ((unsigned) getpid ());
    while (done < S_STORM && zclock_mono () < deadline) {
        //  Keep a window in flight; what got no answer in 2 s is sent again,
        //  with the same key.
        int in_flight = 0;
        for (int i = 0; i < S_STORM && in_flight < S_WINDOW; i++) {
            if (acked [i][0])
                continue;
            if (sent_at [i] == 0 || zclock_mono () - sent_at [i] > 2000) {
                resent += sent_at [i] != 0;
                s_send_filing (client, i);
                sent_at [i] = zclock_mono ();
            }
            in_flight++;
        }
        if (kills < n_kills && done >= kill_at [kills]) {
            //  Mid-stream: a fresh burst, then the kill a moment later, so
            //  that some requests are committed and unanswered, some not
            //  yet read, some answered.
            for (int i = 0, burst = 0; i < S_STORM && burst < S_WINDOW; i++)
                if (!acked [i][0] && sent_at [i] == 0) {
                    s_send_filing (client, i);
                    sent_at [i] = zclock_mono ();
                    burst++;
                }
            usleep ((useconds_t) (random () % 2000));
            h_kill9 (&s_intake);
            h_start (&s_intake);
            kills++;
        }
        zpoller_t *poller = zpoller_new (client, NULL);
        if (zpoller_wait (poller, 100)) {
            zframe_t *frame = zframe_recv (client);
            Kf__Reply *reply = frame ? kf__reply__unpack (NULL, zframe_size (frame), zframe_data (frame)) : NULL;
            zframe_destroy (&frame);
            assert_non_null (reply);
            assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_OK);
            int i = atoi (reply->request_id);
            assert_true (i >= 0 && i < S_STORM);
            const char *no = reply->ticket->ticket_no;
            if (acked [i][0]) {
                //  A second answer for a key (a retry): the same ticket.
                assert_string_equal (acked [i], no);
                duplicates++;
            }
            else {
                snprintf (acked [i], sizeof acked [i], "%s", no);
                done++;
            }
            kf__reply__free_unpacked (reply, NULL);
        }
        zpoller_destroy (&poller);
    }
    zsock_destroy (&client);
    assert_int_equal (done, S_STORM);
    assert_int_equal (kills, n_kills);
    assert_true (h_wait_for (s_intake_answers, NULL, 10000));

    //  Every acknowledged ticket is there, once; nothing else was filed.
    assert_int_equal (CTL ("--json", "list", "--estate", "E001", "--all"), 0);
    int lines = 0;
    for (const char *c = s_out; *c; c++)
        lines += *c == '\n';
    assert_int_equal (lines, S_STORM);
    for (int i = 0; i < S_STORM; i++) {
        char quoted [64];
        snprintf (quoted, sizeof quoted, "{\"ticket_no\":\"%.31s\",\"estate\"", acked [i]);
        const char *first = strstr (s_out, quoted);
        if (!first || strstr (first + 1, quoted))
            fail_msg ("ticket %s of storm-%d is listed %s", acked [i], i, first ? "twice" : "not at all");
    }
    print_message ("      %d filings, %d kill -9 of kefu-intake, %d sent again, %d answered twice (same ticket)\n",
                   S_STORM, n_kills, resent, duplicates);
    s_stop_cluster ();
}

//  ---- an estate's own intake, its link cut and restored -------------------------------

static void
s_link_up (void)
{
    char listen [128], target [128];
    snprintf (listen, sizeof listen, "UNIX-LISTEN:%s/link-in,unlink-early", kf_test_dir);
    snprintf (target, sizeof target, "UNIX-CONNECT:%s/bus-in", kf_test_dir);
    h_proc_init (&s_link_in, kf_test_dir, "link-in", "/usr/bin/socat", listen, target, NULL);
    snprintf (listen, sizeof listen, "UNIX-LISTEN:%s/link-out,unlink-early", kf_test_dir);
    snprintf (target, sizeof target, "UNIX-CONNECT:%s/bus-out", kf_test_dir);
    h_proc_init (&s_link_out, kf_test_dir, "link-out", "/usr/bin/socat", listen, target, NULL);
    h_start (&s_link_in);
    h_start (&s_link_out);
}

static void
s_link_down (void)
{
    h_kill9 (&s_link_in);
    h_kill9 (&s_link_out);
    h_proc_free (&s_link_in);
    h_proc_free (&s_link_out);
}

//  The cluster's cursor on the estate server's stream: dispatch's (the
//  cluster's intake follows only the estates it files).
static uint64_t
s_cluster_cursor (void)
{
    if (CTL ("--json", "lag", "dispatch@c1") != 0)
        return 0;
    const char *at = strstr (s_out, "\"stream\":\"intake@edge3/E003\"");
    char field [32];
    return at ? strtoull (h_json_field (at, "last_seq", field, sizeof field), NULL, 10) : 0;
}

static bool
s_cluster_has (void *arg)
{
    return s_cluster_cursor () >= *(uint64_t *) arg;
}

static void
test_estate_edge_mode (void **state)
{
    (void) state;
    s_start_cluster ();
    h_proc_t dispatch;
    h_proc_init (&dispatch, kf_test_dir, "dispatch", "kefu-dispatch", "--config", s_config, NULL);
    h_start (&dispatch);
    assert_true (h_wait_for (s_answers, "dispatch@c1", 10000));
    s_link_up ();
    h_proc_init (&s_edge, kf_test_dir, "edge", "kefu-intake", "--config", s_edge_config, NULL);
    h_start (&s_edge);
    assert_true (h_wait_for (s_answers, "intake@edge3", 10000));

    //  kefuctl at the cluster reaches the estate's intake for E003.
    char ticket_no [64], field [64];
    assert_int_equal (s_file ("E003", "edge-1", "lobby door stuck", ticket_no, sizeof ticket_no), 0);
    assert_int_equal (strncmp (ticket_no, "E003-", 5), 0);
    //  The cluster's intake does not file E003, and the estate's files only E003.
    assert_int_equal (h_run (kf_test_dir, s_out, sizeof s_out, s_err, sizeof s_err, "kefuctl", "--config",
                             s_edge_config, "file", "--estate", "E001", "--unit", "1-1-1", "--name", "a", "--phone",
                             "138000", "--type", "repair", "--channel", "phone", "--category", "other", "x", NULL), 1);
    assert_non_null (strstr (s_err, "unknown estate 'E001'"));
    uint64_t one = 1;
    assert_true (h_wait_for (s_cluster_has, &one, 10000));

    //  The link goes down: the estate keeps filing, durably.
    s_link_down ();
    for (int i = 2; i <= 4; i++) {
        char key [32];
        snprintf (key, sizeof key, "edge-%d", i);
        assert_int_equal (s_file ("E003", key, "filed while the link is down", NULL, 0), 0);
    }
    //  A crash of the estate server loses none of them either.
    h_kill9 (&s_edge);
    h_start (&s_edge);
    assert_true (h_wait_for (s_answers, "intake@edge3", 10000));
    assert_int_equal (CTL ("--json", "list", "--estate", "E003"), 0);
    assert_string_equal (h_json_field (s_out, "total", field, sizeof field), "4");
    assert_int_equal (s_cluster_cursor (), 1);

    //  The link returns: the cluster catches up by replay.
    s_link_up ();
    uint64_t four = 4;
    if (!h_wait_for (s_cluster_has, &four, 15000))
        fail_msg ("the cluster's cursor stayed at %llu", (unsigned long long) s_cluster_cursor ());
    assert_int_equal (s_cluster_cursor (), 4);
    assert_int_equal (h_stop (&s_edge, 10000), 0);
    h_proc_free (&s_edge);
    assert_int_equal (h_stop (&dispatch, 10000), 0);
    h_proc_free (&dispatch);
    s_link_down ();
    s_stop_cluster ();
}

//  ---- tap -----------------------------------------------------------------------------

static bool
s_tapping (void *arg)
{
    return h_log_contains ((h_proc_t *) arg, "kefuctl: tapping");
}

static bool
s_ended (void *arg)
{
    return !h_alive ((h_proc_t *) arg);
}

static void
test_tap_shows_the_event (void **state)
{
    (void) state;
    s_start_cluster ();
    h_proc_t tap;
    h_proc_init (&tap, kf_test_dir, "tap", "kefuctl", "--config", s_config, "tap", "--json", "--estate", "E001",
                 "--kind", "ticket.filed", "--count", "1", NULL);
    h_start (&tap);
    assert_true (h_wait_for (s_tapping, &tap, 10000));
    //  A subscription takes a moment to reach the bus: file until tap sees one.
    char ticket_no [64] = "";
    for (int i = 0; i < 50 && h_alive (&tap); i++) {
        char key [32];
        snprintf (key, sizeof key, "tap-%d", i);
        assert_int_equal (s_file ("E001", key, "for the tap", ticket_no, sizeof ticket_no), 0);
        if (h_wait_for (s_ended, &tap, 100))
            break;   //  it saw one and left
    }
    assert_int_equal (h_stop (&tap, 5000), 0);
    assert_true (h_log_contains (&tap, "\"ticket_filed\":{\"ticket_no\":\"E001-"));
    assert_true (h_log_contains (&tap, "\"stream\":\"intake@c1/E001\""));
    h_proc_free (&tap);
    s_stop_cluster ();
}

//  ---- top -------------------------------------------------------------------------------

//  Issue 16.5: kefuctl top samples every daemon twice and says what it saw.
static void
test_top_once (void **state)
{
    (void) state;
    s_start_cluster ();
    assert_int_equal (s_file ("E001", "top-1", "for top", NULL, 0), 0);
    assert_int_equal (CTL ("--json", "top", "--once", "intake"), 0);
    assert_non_null (strstr (s_out, "\"daemon\":\"intake@c1\",\"answered\":true"));
    char field [32];
    assert_true (strtoull (h_json_field (s_out, "outbox_events", field, sizeof field), NULL, 10) >= 1);
    assert_true (strtoull (h_json_field (s_out, "map_used_bytes", field, sizeof field), NULL, 10) > 0);
    //  The bus's counters, heard on _sys/bus during the sample.
    assert_non_null (strstr (s_out, "\"bus\":{\"forwarded_per_s\":"));
    assert_int_equal (CTL ("top", "--once", "intake"), 0);
    assert_non_null (strstr (s_out, "COMMIT p99"));
    assert_non_null (strstr (s_out, "intake@c1"));
    //  Bad arguments: one line, nothing asked.
    assert_int_equal (CTL ("top", "--interval", "0"), 2);
    assert_non_null (strstr (s_err, "--interval '0' is not 1-3600 seconds"));
    assert_int_equal (CTL ("top", "--once", "nosuch"), 2);
    s_stop_cluster ();
}

//  ---- the file clock and backups ----------------------------------------------------

static void
test_clock_and_backup (void **state)
{
    (void) state;
    snprintf (s_clock, sizeof s_clock, "%s/clock", kf_test_dir);
    assert_int_equal (CTL ("clock", "set", "2026-11-23T01:00:00Z", "--file", s_clock), 0);
    s_start_cluster ();
    char no [64];
    assert_int_equal (s_file ("E001", "c1", "before", no, sizeof no), 0);
    assert_string_equal (no, "E001-20261123-0001");          //  09:00 in E001
    assert_int_equal (CTL ("clock", "advance", "26h", "--file", s_clock), 0);
    assert_non_null (strstr (s_out, "2026-11-24T03:00:00"));
    assert_int_equal (s_file ("E001", "c2", "after", no, sizeof no), 0);
    assert_string_equal (no, "E001-20261124-0001");          //  11:00 the next day
    assert_int_equal (CTL ("--json", "ping", "intake"), 0);
    char field [64];
    assert_string_equal (h_json_field (s_out, "now_ms", field, sizeof field), "1795489200000");
    assert_int_equal (CTL ("clock", "advance", "soon", "--file", s_clock), 2);
    s_clock [0] = 0;

    //  An online copy holds what was acknowledged, and opens as a store.
    //  The daemon names it, under backup_dir (here data_dir/backups), and
    //  gives it the store's mode.
    char dir [512], again [512], data [600], path [600];
    assert_int_equal (CTL ("--json", "backup", "intake"), 0);
    assert_true (*h_backup_path (s_out, "intake@c1", dir, sizeof dir));
    snprintf (path, sizeof path, "%s/data/backups/intake@c1-", kf_test_dir);
    assert_non_null (strstr (dir, path));
    snprintf (data, sizeof data, "%s/data.mdb", dir);
    struct stat st, store;
    snprintf (path, sizeof path, "%s/data/intake/data.mdb", kf_test_dir);
    assert_int_equal (stat (path, &store), 0);
    assert_int_equal (stat (data, &st), 0);
    assert_int_equal (st.st_mode & 0777, store.st_mode & 0777);
    assert_int_equal (st.st_mode & 0777, 0640);
    snprintf (path, sizeof path, "%s/manifest.json", dir);
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0640);
    assert_int_equal (stat (dir, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0750);
    //  A second copy is a new directory, never over the first.
    assert_int_equal (CTL ("backup", "intake"), 0);
    assert_non_null (strstr (s_out, "intake@c1-"));      //  the table says where
    assert_int_equal (CTL ("--json", "backup", "intake"), 0);
    assert_true (*h_backup_path (s_out, "intake@c1", again, sizeof again));
    assert_string_not_equal (again, dir);
    //  No path from the caller: a directory is a usage error, said so.
    assert_int_equal (CTL ("backup", "../../../../tmp/x", "intake"), 2);
    assert_non_null (strstr (s_err, "cluster/backup_dir"));
    assert_int_equal (CTL ("backup", "nobody"), 2);
    s_stop_cluster ();
    const char *tables [] = { "bus_meta", "bus_outbox", "bus_heads", "bus_cursors", "tickets", "timeline",
                              "idempotency", "counters", "by_filed", "by_estate", NULL };
    kf_store_t *copy = kf_store_new (dir, tables, NULL, NULL);
    assert_non_null (copy);
    kf_store_destroy (&copy);
}

//  ---- the supervisor of make run ------------------------------------------------------

static bool
s_log_says_restarted (void *arg)
{
    return h_log_contains ((h_proc_t *) arg, "kefu-intake (pid");
}

//  Whether a process whose command line holds `text` runs.
static bool
s_running (const char *text)
{
    return h_run (kf_test_dir, s_out, sizeof s_out, NULL, 0, "/usr/bin/pgrep", "-f", text, NULL) == 0;
}

//  A TCP port on loopback, bound and listening (the caller closes it).
static int
s_hold_port (int *port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t size = sizeof a;
    if (fd < 0 || bind (fd, (struct sockaddr *) &a, sizeof a) || listen (fd, 1)
    ||  getsockname (fd, (struct sockaddr *) &a, &size))
        return -1;
    *port = ntohs (a.sin_port);
    return fd;
}

static void
test_supervisor_restarts_and_stops (void **state)
{
    (void) state;
    //  The gateway cannot listen: it dies and is restarted, with a longer
    //  wait each time; that must not hold up the restart of intake.
    int held = s_hold_port (&s_gateway_port);
    assert_true (held >= 0);
    s_write_configs ();
    char bin [600], log_dir [128];
    snprintf (bin, sizeof bin, "%s/../bin", h_bin_dir);
    snprintf (log_dir, sizeof log_dir, "%s/logs", kf_test_dir);
    setenv ("KEFU_LOG_DIR", log_dir, 1);
    h_proc_t supervisor;
    h_proc_init (&supervisor, kf_test_dir, "supervise", "/bin/bash", "deploy/supervise.sh", bin, s_config, NULL);
    h_start (&supervisor);
    unsetenv ("KEFU_LOG_DIR");
    assert_true (h_wait_for (s_answers, "intake@c1", 10000));
    //  kill -9 of a daemon: it is started again and answers again.
    char pattern [320];
    snprintf (pattern, sizeof pattern, "kefu-intake --config %s", s_config);
    assert_int_equal (h_run (kf_test_dir, s_out, sizeof s_out, NULL, 0, "/usr/bin/pkill", "-9", "-f", pattern, NULL), 0);
    assert_true (h_wait_for (s_log_says_restarted, &supervisor, 10000));
    assert_true (h_wait_for (s_answers, "intake@c1", 15000));
    char no [64];
    assert_int_equal (s_file ("E001", "after-restart", "still filing", no, sizeof no), 0);
    //  Ctrl-C: every daemon stops cleanly, then the supervisor.
    kill (supervisor.pid, SIGINT);
    int64_t deadline = zclock_mono () + 15000;
    int status = -1;
    while (waitpid (supervisor.pid, &status, WNOHANG) == 0 && zclock_mono () < deadline)
        zclock_sleep (50);
    h_forget (&supervisor);
    supervisor.pid = 0;
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    assert_false (s_running (pattern));
    snprintf (pattern, sizeof pattern, "kefu-bus --config %s", s_config);
    assert_false (s_running (pattern));
    assert_true (h_log_contains (&supervisor, "supervise: stopped"));
    assert_true (h_log_contains (&supervisor, "kefu-gateway (pid"));
    close (held);
    h_proc_free (&supervisor);
}

int
main (void)
{
    h_init ();
    struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_file_show_list, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_validation_errors, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_idempotent_retry_and_lifecycle, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_kill9_between_request_and_reply, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_estate_edge_mode, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_tap_shows_the_event, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_top_once, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_clock_and_backup, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_supervisor_restarts_and_stops, kf_test_dir_setup, h_teardown),
    };
    return H_RUN_TESTS (tests, NULL, NULL);
}
