/*  Integration tests of recovery (issue 17): what a consumer does when its
    producer's store is put back from a backup by hand or rebuilt, and the
    operator's way out of each alarm. Real kefu-bus and kefu-dispatch (the
    consumer, asked with kefuctl) and the test producer as intake@c1 on its
    own store, copied and replaced as an operator would.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kf_test.h"
#include "kf_harness.h"

static char s_config [256], s_out [65536], s_err [4096];
static h_proc_t s_bus, s_dispatch, s_producer;


static void
s_write_config (void)
{
    const char *d = kf_test_dir;
    char text [2048];
    snprintf (text, sizeof text,
        "cluster\n    name = c1\n    data_dir = %s/data\n"
        "bus\n    publish = ipc://%s/bus-in\n    subscribe = ipc://%s/bus-out\n    heartbeat = 200ms\n"
        "estates\n    E001\n        name = one\n"
        "services\n    dispatch\n        endpoint = ipc://%s/dispatch\n        replay = ipc://%s/dispatch-replay\n"
        "    intake\n        endpoint = ipc://%s/intake\n        replay = ipc://%s/intake-replay\n",
        d, d, d, d, d, d, d);
    h_write ("kefu.conf", text, s_config, sizeof s_config);
}

//  The test producer as intake@c1: `events` notes of E001 on its store.
static void
s_producer_start (const char *events)
{
    char data [192], replay [192];
    snprintf (data, sizeof data, "%s/producer", kf_test_dir);
    snprintf (replay, sizeof replay, "ipc://%s/producer-replay", kf_test_dir);
    h_proc_init (&s_producer, kf_test_dir, "producer", "bus_producer", "--config", s_config, "--producer", "intake@c1",
                 "--replay", replay, "--data", data, "--estates", "E001", "--events", events, "--rate", "1000", NULL);
    h_start (&s_producer);
}

static void
s_producer_stop (void)
{
    assert_int_equal (h_stop (&s_producer, 10000), 0);
    h_proc_free (&s_producer);
}

//  A shell command in the test directory (cp, rm): the operator's hands.
static void
s_sh (const char *format, ...)
{
    char command [1024];
    va_list args;
    va_start (args, format);
    vsnprintf (command, sizeof command, format, args);
    va_end (args);
    char line [1200];
    snprintf (line, sizeof line, "cd '%s' && %s", kf_test_dir, command);
    if (h_run (kf_test_dir, s_out, sizeof s_out, s_err, sizeof s_err, "/bin/sh", "-c", line, NULL) != 0)
        fail_msg ("%s: %s", command, s_err);
}

//  dispatch's cursor on intake@c1/E001: last applied.
static uint64_t
s_cursor (void)
{
    if (CTL_OPS ("--json", "lag", "dispatch") != 0)
        return 0;
    const char *at = strstr (s_out, "\"cursors\":[{\"stream\":\"intake@c1/E001\"");
    char field [32];
    return at ? strtoull (h_json_field (at, "last_seq", field, sizeof field), NULL, 10) : 0;
}

static bool
s_cursor_is (void *arg)
{
    return s_cursor () == *(uint64_t *) arg;
}

static bool
s_alarm_is (void *arg)
{
    return CTL_OPS ("--json", "streams", "dispatch") == 0 && strstr (s_out, (const char *) arg);
}

static bool
s_answers (void *arg)
{
    return CTL_OPS ("ping", (const char *) arg) == 0;
}

static bool
s_heard_head (void *arg)
{
    return CTL_OPS ("--json", "lag", "dispatch") == 0 && strstr (s_out, (const char *) arg);
}

static void
test_restored_by_hand_or_rebuilt_stops_the_stream_until_resolved (void **state)
{
    (void) state;
    s_write_config ();
    h_proc_init (&s_bus, kf_test_dir, "bus", "kefu-bus", "--config", s_config, NULL);
    h_proc_init (&s_dispatch, kf_test_dir, "dispatch", "kefu-dispatch", "--config", s_config, NULL);
    h_start (&s_bus);
    h_start (&s_dispatch);
    assert_true (h_wait_for (s_answers, "dispatch", 20000));
    //  Three events, a copy of the producer's store, three more.
    s_producer_start ("3");
    uint64_t three = 3, six = 6, four = 4;
    assert_true (h_wait_for (s_cursor_is, &three, 20000));
    s_producer_stop ();
    s_sh ("cp -a producer producer-backup");
    s_producer_start ("6");
    assert_true (h_wait_for (s_cursor_is, &six, 20000));
    s_producer_stop ();
    //  Put back by hand: the same epoch, a head of 3 where 6 were applied;
    //  it goes on, numbering 4, 5, 6 anew: other events under sequences
    //  dispatch applied. The last of them stops the stream.
    s_sh ("rm -rf producer && cp -a producer-backup producer");
    s_producer_start ("6");
    assert_true (h_wait_for (s_alarm_is, "STREAM_ALARM_KIND_BEHIND", 20000));
    assert_int_equal (CTL_OPS ("lag", "dispatch"), 0);
    if (!strstr (s_out, "ALARM behind"))
        fail_msg ("lag: %s", s_out);
    assert_non_null (strstr (s_err, "kefuctl streams says why"));
    assert_int_equal (CTL_OPS ("streams", "dispatch"), 0);
    assert_non_null (strstr (s_out, "kefuctl restore"));
    //  The way out must fit the alarm, and say why.
    assert_int_equal (CTL_OPS ("streams", "resolve", "dispatch", "intake@c1/E001", "--accept-epoch", "--reason", "x"), 1);
    assert_non_null (strstr (s_err, "accept-epoch ends a new-epoch alarm"));
    assert_int_equal (CTL_OPS ("streams", "resolve", "dispatch", "intake@c1/E001", "--retry"), 2);
    assert_non_null (strstr (s_err, "--reason"));
    assert_int_equal (CTL_OPS ("streams", "resolve", "dispatch", "intake@c1/E009", "--retry", "--reason", "x"), 1);
    assert_non_null (strstr (s_err, "has no alarm here"));
    assert_int_equal (s_cursor (), 6);   //  nothing of the reused sequences applied
    //  Rebuilt: a new store, a new epoch, four events.
    s_producer_stop ();
    s_sh ("rm -rf producer");
    s_producer_start ("4");
    //  Once dispatch has heard the new store's heartbeat (head 4), look again.
    assert_true (h_wait_for (s_heard_head, "\"head_seq\":\"4\"", 20000));
    assert_int_equal (CTL_OPS ("streams", "resolve", "dispatch", "intake@c1/E001", "--retry", "--reason",
                           "the producer's store was rebuilt"), 0);
    assert_true (h_wait_for (s_alarm_is, "STREAM_ALARM_KIND_NEW_EPOCH", 20000));
    assert_int_equal (CTL_OPS ("streams", "resolve", "dispatch", "intake@c1/E001", "--accept-epoch", "--reason",
                           "rebuilt on purpose: its old events are applied here"), 0);
    assert_non_null (strstr (s_out, "resolved by ops1"));
    assert_true (h_wait_for (s_cursor_is, &four, 20000));
    assert_true (h_log_contains (&s_dispatch, "alarm resolved by ops1 (STREAM_ACTION_ACCEPT_EPOCH)"));
    //  The decision holds across a restart: no alarm, the new epoch's cursor.
    assert_int_equal (h_stop (&s_dispatch, 10000), 0);
    h_start (&s_dispatch);
    assert_true (h_wait_for (s_cursor_is, &four, 20000));
    assert_int_equal (CTL_OPS ("streams", "dispatch"), 0);
    assert_non_null (strstr (s_out, "no stream is stopped"));
    s_producer_stop ();
    assert_int_equal (h_stop (&s_dispatch, 10000), 0);
    assert_int_equal (h_stop (&s_bus, 10000), 0);
    h_proc_free (&s_dispatch);
    h_proc_free (&s_bus);
}

//  ---- kefuctl restore: the scenario of issue 17 ----------------------------------

static h_proc_t s_intake;

static void
s_file (int n, char *ticket_no, size_t size)
{
    h_file_leak (s_config, "restore", n, ticket_no, size);
}

static bool
s_has_order (void *arg)
{
    const char *args [] = { s_config, arg };
    return h_has_order (args);
}

//  kefu-bus, kefu-dispatch and kefu-intake on the test's configuration.
static void
s_cluster_start (void)
{
    s_write_config ();
    h_proc_init (&s_bus, kf_test_dir, "bus", "kefu-bus", "--config", s_config, NULL);
    h_proc_init (&s_dispatch, kf_test_dir, "dispatch", "kefu-dispatch", "--config", s_config, NULL);
    h_proc_init (&s_intake, kf_test_dir, "intake", "kefu-intake", "--config", s_config, NULL);
    h_start (&s_bus);
    h_start (&s_dispatch);
    h_start (&s_intake);
    assert_true (h_wait_for (s_answers, "dispatch", 20000));
    assert_true (h_wait_for (s_answers, "intake", 20000));
}

static void
s_cluster_stop (void)
{
    assert_int_equal (h_stop (&s_intake, 10000), 0);
    assert_int_equal (h_stop (&s_dispatch, 10000), 0);
    assert_int_equal (h_stop (&s_bus, 10000), 0);
    h_proc_free (&s_intake);
    h_proc_free (&s_dispatch);
    h_proc_free (&s_bus);
}

static void
test_restore_numbers_nothing_twice (void **state)
{
    (void) state;
    s_cluster_start ();
    char tickets [9][64];
    for (int i = 0; i < 3; i++) {
        s_file (i + 1, tickets [i], sizeof tickets [i]);
        assert_true (*tickets [i]);
    }
    assert_true (h_wait_for (s_has_order, tickets [2], 20000));
    //  A backup, with its manifest; three more tickets after it.
    char dir [320];
    assert_int_equal (CTL_OPS ("--json", "backup", "intake"), 0);
    assert_true (*h_backup_path (s_out, "intake@c1", dir, sizeof dir));
    for (int i = 3; i < 6; i++)
        s_file (i + 1, tickets [i], sizeof tickets [i]);
    assert_true (h_wait_for (s_has_order, tickets [5], 20000));
    //  Not while it runs.
    assert_int_equal (CTL_OPS ("--timeout", "1000", "restore", "intake", dir), 1);
    assert_non_null (strstr (s_err, "is in use: its daemon runs"));
    //  A damaged copy is refused, and changes nothing.
    s_sh ("cp -a '%s' damaged && printf x | dd of=damaged/data.mdb bs=1 seek=5000 conv=notrunc 2>/dev/null", dir);
    assert_int_equal (h_stop (&s_intake, 10000), 0);
    char damaged [320];
    snprintf (damaged, sizeof damaged, "%s/damaged", kf_test_dir);
    assert_int_equal (CTL_OPS ("--timeout", "1000", "restore", "intake", damaged), 1);
    assert_non_null (strstr (s_err, "does not match its manifest"));
    //  Only when every other daemon says how far it applied intake's
    //  streams (escalation, survey and billing are not run here).
    assert_int_equal (CTL_OPS ("--timeout", "1000", "restore", "intake", dir), 1);
    assert_non_null (strstr (s_err, "did not answer"));
    //  Restored: the cluster had applied six, the backup holds three.
    assert_int_equal (CTL_OPS ("--timeout", "1000", "restore", "intake", dir, "--force"), 0);
    assert_non_null (strstr (s_out, "intake@c1/E001"));
    assert_non_null (strstr (s_out, "3   "));
    h_start (&s_intake);
    assert_true (h_wait_for (s_answers, "intake", 20000));
    //  Three new leaks: numbers past the lost ones, each with its order.
    for (int i = 6; i < 9; i++) {
        s_file (i + 1, tickets [i], sizeof tickets [i]);
        assert_true (*tickets [i]);
        for (int j = 0; j < 6; j++)
            assert_string_not_equal (tickets [i], tickets [j]);
    }
    for (int i = 6; i < 9; i++)
        assert_true (h_wait_for (s_has_order, tickets [i], 20000));
    //  dispatch followed the new epoch on its own: no alarm, and it said why.
    assert_int_equal (CTL_OPS ("streams", "dispatch"), 0);
    assert_non_null (strstr (s_out, "no stream is stopped"));
    assert_true (h_log_contains (&s_dispatch, "events 4..6 of the old epoch were applied here"));
    assert_true (h_log_contains (&s_intake, "restored from a backup: epoch"));
    //  The tickets of the backup are there; with no archive running, the
    //  lost ones are not (test_archive: the archive brings them back).
    assert_int_equal (CTL_OPS ("show", tickets [0]), 0);
    assert_int_equal (CTL_OPS ("show", tickets [3]), 1);
    s_cluster_stop ();
}

//  A consumer that was down when the backup was taken, and behind it: it
//  gets the old epoch's events up to the restored head, then follows.
static void
test_a_lagging_consumer_catches_up_across_a_restore (void **state)
{
    (void) state;
    s_cluster_start ();
    char tickets [9][64];
    s_file (1, tickets [0], sizeof tickets [0]);
    assert_true (h_wait_for (s_has_order, tickets [0], 20000));
    //  dispatch away; two more tickets, the backup, one more.
    assert_int_equal (h_stop (&s_dispatch, 10000), 0);
    s_file (2, tickets [1], sizeof tickets [1]);
    s_file (3, tickets [2], sizeof tickets [2]);
    char dir [320];
    assert_int_equal (CTL_OPS ("--json", "backup", "intake"), 0);
    assert_true (*h_backup_path (s_out, "intake@c1", dir, sizeof dir));
    s_file (4, tickets [3], sizeof tickets [3]);
    assert_int_equal (h_stop (&s_intake, 10000), 0);
    assert_int_equal (CTL_OPS ("--timeout", "1000", "restore", "intake", dir, "--force"), 0);
    h_start (&s_intake);
    assert_true (h_wait_for (s_answers, "intake", 20000));
    h_start (&s_dispatch);
    //  The tickets the backup holds get their orders; a new one too.
    assert_true (h_wait_for (s_has_order, tickets [1], 20000));
    assert_true (h_wait_for (s_has_order, tickets [2], 20000));
    s_file (5, tickets [4], sizeof tickets [4]);
    assert_true (h_wait_for (s_has_order, tickets [4], 20000));
    assert_int_equal (CTL_OPS ("streams", "dispatch"), 0);
    assert_non_null (strstr (s_out, "no stream is stopped"));
    s_cluster_stop ();
}

int
main (void)
{
    h_init ();
    struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_restored_by_hand_or_rebuilt_stops_the_stream_until_resolved,
                                         kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_restore_numbers_nothing_twice, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_a_lagging_consumer_catches_up_across_a_restore, kf_test_dir_setup,
                                         h_teardown),
    };
    return H_RUN_TESTS (tests, NULL, NULL);
}
