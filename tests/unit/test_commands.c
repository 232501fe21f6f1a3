/*  Unit tests: kf_commands, a command endpoint served by kf_bus in an actor,
    driven from here over ipc:// with a DEALER.

    A toy handler: add_note (ticket_no, note) writes note under ticket_no and
    answers pong (service = note); a note "fail" writes first and then fails.
    show_ticket (ticket_no) answers pong (service = the note) or NOT_FOUND.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kf_commands.h"
#include "kf_version.h"
#include "kf_test.h"

static int
s_handler (kf_bus_t *bus, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena, void *arg)
{
    (void) bus;
    kf_table_t notes = *(kf_table_t *) arg;
    kf_key_t key;
    Kf__Pong *pong = (Kf__Pong *) kf_arena_message (arena, &kf__pong__descriptor);
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_PING:
            pong->service = "test";
            break;
        case KF__REQUEST__COMMAND_ADD_NOTE: {
            const Kf__AddNote *add = request->add_note;
            if (!add->ticket_no || !add->note)
                return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, arena, "ticket_no and note are required");
            kf_key_make (&key, "s", add->ticket_no);
            kf_txn_put (txn, notes, &key, add->note, strlen (add->note) + 1);
            if (strcmp (add->note, "fail") == 0)
                return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, arena, "note '%s' refused", add->note);
            pong->service = kf_arena_strdup (arena, add->note);
            break;
        }
        case KF__REQUEST__COMMAND_SHOW_TICKET: {
            kf_val_t value;
            kf_key_make (&key, "s", request->show_ticket->ticket_no ? request->show_ticket->ticket_no : "?");
            if (kf_txn_get (txn, notes, &key, &value) != KF_FOUND)
                return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, "no such ticket");
            pong->service = kf_arena_strdup (arena, value.data);
            break;
        }
        default:
            return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, arena, "not a command of this service");
    }
    reply->result_case = KF__REPLY__RESULT_PONG;
    reply->pong = pong;
    return kf_txn_ok (txn) ? 0 : -1;
}

//  ---- the server, in an actor ----------------------------------------------

static kf_commands_t *s_commands;

static int
s_on_pipe (zloop_t *loop, zsock_t *pipe, void *arg)
{
    (void) loop; (void) arg;
    char *command = zstr_recv (pipe);
    int rc = 0;
    if (!command || strcmp (command, "$TERM") == 0)
        rc = -1;
    else
    if (strcmp (command, "STATS") == 0) {
        const kf_commands_stats_t *stats = kf_commands_stats (s_commands);
        zsock_send (pipe, "888", stats->requests, stats->batches, stats->malformed);
    }
    zstr_free (&command);
    return rc;
}

static void
s_server (zsock_t *pipe, void *args)
{
    (void) args;
    char text [512], path [128], endpoint [128], replay [128];
    snprintf (text, sizeof text, "bus\n    publish = ipc://%s/in\n    subscribe = ipc://%s/out\n"
              "estates\n    E001\n        name = one\n", kf_test_dir, kf_test_dir);
    snprintf (path, sizeof path, "%s/store", kf_test_dir);
    snprintf (endpoint, sizeof endpoint, "ipc://%s/commands", kf_test_dir);
    snprintf (replay, sizeof replay, "ipc://%s/replay", kf_test_dir);
    const char *tables [] = { KF_BUS_TABLES, "notes", NULL };
    kf_config_t *config = kf_config_load_text (text, "test", NULL);
    kf_store_t *store = kf_store_new (path, tables, NULL, NULL);
    kf_clock_t *clock = kf_clock_new (NULL, NULL);
    kf_table_t notes = kf_store_table (store, "notes");
    kf_bus_options_t options = { .producer = "test@c1", .replay_endpoint = replay };
    kf_bus_t *bus = kf_bus_new (config, store, clock, &options, NULL);
    char backups [160];
    snprintf (backups, sizeof backups, "%s/backups", kf_test_dir);
    kf_commands_options_t command_options = { .backup_dir = backups };
    s_commands = kf_commands_new (bus, endpoint, s_handler, &notes, &command_options, NULL);
    assert_non_null (s_commands);
    zloop_reader (kf_bus_loop (bus), pipe, s_on_pipe, NULL);
    zsock_signal (pipe, 0);
    kf_bus_run (bus);
    kf_commands_destroy (&s_commands);
    kf_bus_destroy (&bus);
    kf_clock_destroy (&clock);
    kf_store_destroy (&store);
    kf_config_destroy (&config);
}

//  ---- the client -------------------------------------------------------------

static zsock_t *
s_client (void)
{
    zsock_t *client = zsock_new (ZMQ_DEALER);
    assert_int_equal (zsock_connect (client, "ipc://%s/commands", kf_test_dir), 0);
    zsock_set_rcvtimeo (client, 10000);
    return client;
}

static void
s_send (zsock_t *client, Kf__Request *request)
{
    zframe_t *frame = zframe_new (NULL, protobuf_c_message_get_packed_size (&request->base));
    protobuf_c_message_pack (&request->base, zframe_data (frame));
    zframe_send (&frame, client, 0);
}

static void
s_add_note (zsock_t *client, const char *id, const char *ticket_no, const char *note)
{
    Kf__AddNote add = KF__ADD_NOTE__INIT;
    add.ticket_no = (char *) ticket_no;
    add.note = (char *) note;
    Kf__Request request = KF__REQUEST__INIT;
    request.request_id = (char *) id;
    request.command_case = KF__REQUEST__COMMAND_ADD_NOTE;
    request.add_note = &add;
    s_send (client, &request);
}

static void
s_show (zsock_t *client, const char *ticket_no)
{
    Kf__ShowTicket show = KF__SHOW_TICKET__INIT;
    show.ticket_no = (char *) ticket_no;
    Kf__Request request = KF__REQUEST__INIT;
    request.request_id = "show";
    request.command_case = KF__REQUEST__COMMAND_SHOW_TICKET;
    request.show_ticket = &show;
    s_send (client, &request);
}

static Kf__Reply *
s_reply (zsock_t *client)
{
    zframe_t *frame = zframe_recv (client);
    assert_non_null (frame);
    Kf__Reply *reply = (Kf__Reply *) kf_codec_unpack (&kf__reply__descriptor, zframe_data (frame), zframe_size (frame), NULL);
    zframe_destroy (&frame);
    assert_non_null (reply);
    return reply;
}

static void
test_group_commit_and_replies (void **state)
{
    (void) state;
    //  The requests wait in the client's queue until the server binds, so
    //  they arrive together.
    zsock_t *client = s_client ();
    enum { N = 300 };
    for (int i = 0; i < N; i++) {
        char id [16], ticket [32], note [32];
        snprintf (id, sizeof id, "r%d", i);
        snprintf (ticket, sizeof ticket, "T%d", i);
        snprintf (note, sizeof note, "note %d", i);
        s_add_note (client, id, ticket, note);
    }
    zactor_t *server = zactor_new (s_server, NULL);
    for (int i = 0; i < N; i++) {
        Kf__Reply *reply = s_reply (client);
        char id [16], note [32];
        snprintf (id, sizeof id, "r%d", i);
        snprintf (note, sizeof note, "note %d", i);
        assert_string_equal (reply->request_id, id);   //  in order, each its own
        assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_OK);
        assert_string_equal (reply->pong->service, note);
        kf_codec_free ((ProtobufCMessage **) &reply);
    }
    //  Committed before they were answered: a later read sees every one.
    s_show (client, "T299");
    Kf__Reply *reply = s_reply (client);
    assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (reply->pong->service, "note 299");
    kf_codec_free ((ProtobufCMessage **) &reply);
    zstr_send (server, "STATS");
    uint64_t requests, batches, malformed;
    zsock_recv (server, "888", &requests, &batches, &malformed);
    assert_int_equal (requests, N + 1);
    assert_true (batches < requests);   //  group commit: fewer transactions than requests
    zactor_destroy (&server);
    zsock_destroy (&client);
}

static void
test_failed_request_changes_nothing (void **state)
{
    (void) state;
    zsock_t *client = s_client ();
    s_add_note (client, "a", "T1", "ok 1");
    s_add_note (client, "b", "T2", "fail");
    s_add_note (client, "c", "T3", "ok 3");
    zactor_t *server = zactor_new (s_server, NULL);
    Kf__Reply *r1 = s_reply (client), *r2 = s_reply (client), *r3 = s_reply (client);
    assert_int_equal (r1->status, KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (r2->status, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_string_equal (r2->error, "note 'fail' refused");
    assert_int_equal (r3->status, KF__REPLY_STATUS__REPLY_STATUS_OK);
    kf_codec_free ((ProtobufCMessage **) &r1);
    kf_codec_free ((ProtobufCMessage **) &r2);
    kf_codec_free ((ProtobufCMessage **) &r3);
    //  The failed request's write is gone; its neighbours' are there.
    s_show (client, "T2");
    Kf__Reply *reply = s_reply (client);
    assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    kf_codec_free ((ProtobufCMessage **) &reply);
    s_show (client, "T3");
    reply = s_reply (client);
    assert_string_equal (reply->pong->service, "ok 3");
    kf_codec_free ((ProtobufCMessage **) &reply);
    zactor_destroy (&server);
    zsock_destroy (&client);
}

static void
test_malformed_requests (void **state)
{
    (void) state;
    zactor_t *server = zactor_new (s_server, NULL);
    zsock_t *client = s_client ();
    zstr_send (client, "\xff\xff\xff not a request");
    Kf__Reply *reply = s_reply (client);
    assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_non_null (strstr (reply->error, "malformed request"));
    kf_codec_free ((ProtobufCMessage **) &reply);
    //  An empty frame, as a REQ socket sends, goes back before the reply.
    zstr_sendx (client, "", "\x0a", NULL);
    zframe_t *empty = zframe_recv (client);
    assert_int_equal (zframe_size (empty), 0);
    zframe_destroy (&empty);
    reply = s_reply (client);
    assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    kf_codec_free ((ProtobufCMessage **) &reply);
    //  Still serving.
    Kf__Ping ping = KF__PING__INIT;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_PING;
    request.ping = &ping;
    s_send (client, &request);
    reply = s_reply (client);
    assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_OK);
    //  kf_commands answers ping for every service: its producer id, its build.
    assert_string_equal (reply->pong->service, "test@c1");
    assert_string_equal (reply->pong->version, KF_VERSION);
    assert_true (reply->pong->has_now_ms && reply->pong->now_ms > 0);
    kf_codec_free ((ProtobufCMessage **) &reply);
    //  An owner's request: bound to an estate and a unit, and for an
    //  owner's commands only; refused before any handler (or ping) sees it.
    request.role = KF__ROLE__ROLE_OWNER;
    request.has_role = 1;
    request.scope = "E001";
    s_send (client, &request);
    reply = s_reply (client);
    assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_non_null (strstr (reply->error, "bound to an estate and a unit"));
    kf_codec_free ((ProtobufCMessage **) &reply);
    request.unit = "3-2-1502";
    s_send (client, &request);
    reply = s_reply (client);
    assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_non_null (strstr (reply->error, "an owner may not"));
    kf_codec_free ((ProtobufCMessage **) &reply);
    request.role = 0;
    request.has_role = 0;
    request.scope = NULL;
    request.unit = NULL;
    //  So are bus status and backup, outside the batch's transaction.
    Kf__GetBusStatus get = KF__GET_BUS_STATUS__INIT;
    request.command_case = KF__REQUEST__COMMAND_BUS_STATUS;
    request.bus_status = &get;
    s_send (client, &request);
    reply = s_reply (client);
    assert_int_equal (reply->result_case, KF__REPLY__RESULT_BUS_STATUS);
    assert_string_equal (reply->bus_status->service, "test@c1");
    kf_codec_free ((ProtobufCMessage **) &reply);
    //  A backup: operations', the group's, and named by the daemon.
    Kf__Backup backup = KF__BACKUP__INIT;
    request.command_case = KF__REQUEST__COMMAND_BACKUP;
    request.backup = &backup;
    s_send (client, &request);
    reply = s_reply (client);
    assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    kf_codec_free ((ProtobufCMessage **) &reply);
    request.role = KF__ROLE__ROLE_OPERATIONS;
    request.has_role = 1;
    request.scope = "E001";
    s_send (client, &request);
    reply = s_reply (client);
    assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_non_null (strstr (reply->error, "every estate"));
    kf_codec_free ((ProtobufCMessage **) &reply);
    request.scope = NULL;
    char escape [160];
    snprintf (escape, sizeof escape, "%s/../../../../tmp/kefu-escape", kf_test_dir);
    backup.directory = escape;
    s_send (client, &request);
    reply = s_reply (client);
    assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_false (zsys_file_exists (escape));
    kf_codec_free ((ProtobufCMessage **) &reply);
    backup.directory = NULL;
    s_send (client, &request);
    reply = s_reply (client);
    assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (reply->result_case, KF__REPLY__RESULT_BACKUP);
    assert_true (reply->backup->bytes > 0);
    char directory [256];
    snprintf (directory, sizeof directory, "%s/backups/test@c1-", kf_test_dir);
    assert_memory_equal (reply->backup->path, directory, strlen (directory));
    snprintf (directory, sizeof directory, "%s", reply->backup->path);
    kf_codec_free ((ProtobufCMessage **) &reply);
    //  The copy opens as a store of its own.
    const char *tables [] = { KF_BUS_TABLES, "notes", NULL };
    kf_store_t *copy = kf_store_new (directory, tables, NULL, NULL);
    assert_non_null (copy);
    kf_store_destroy (&copy);
    zsock_destroy (&client);
    zactor_destroy (&server);
}

//  A control character anywhere in a request's strings: refused before the
//  handler runs, whichever field it is in, naming the field.
static void
test_control_characters_refused (void **state)
{
    (void) state;
    zactor_t *server = zactor_new (s_server, NULL);
    zsock_t *client = s_client ();
    static const struct { const char *ticket_no, *note, *reason; } cases [] = {
        { "T1", "two\nlines", "kf.AddNote.note may not contain control characters (U+000A at character 4)" },
        { "T2", "tab\there", "kf.AddNote.note may not contain control characters (U+0009 at character 4)" },
        { "T3\x1b[2J", "ok", "kf.AddNote.ticket_no may not contain control characters (U+001B at character 3)" },
        { "T4", "漏水\xc2\x85next", "kf.AddNote.note may not contain control characters (U+0085 at character 3)" },
        { "T5", "del\x7f", "kf.AddNote.note may not contain control characters (U+007F at character 4)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        s_add_note (client, "c", cases [i].ticket_no, cases [i].note);
        Kf__Reply *reply = s_reply (client);
        assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
        if (!strstr (reply->error, cases [i].reason))
            fail_msg ("case %zu: '%s', expected '%s'", i, reply->error, cases [i].reason);
        assert_string_equal (reply->request_id, "c");
        kf_codec_free ((ProtobufCMessage **) &reply);
    }
    //  The request's own strings too (who asks).
    Kf__Ping ping = KF__PING__INIT;
    Kf__Request request = KF__REQUEST__INIT;
    request.actor = "ali\rce";
    request.command_case = KF__REQUEST__COMMAND_PING;
    request.ping = &ping;
    s_send (client, &request);
    Kf__Reply *reply = s_reply (client);
    assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_non_null (strstr (reply->error, "kf.Request.actor may not contain control characters (U+000D"));
    kf_codec_free ((ProtobufCMessage **) &reply);
    //  Nothing of them reached the handler; plain text still does.
    s_show (client, "T1");
    reply = s_reply (client);
    assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    kf_codec_free ((ProtobufCMessage **) &reply);
    s_add_note (client, "d", "T1", "one line, 一行");
    reply = s_reply (client);
    assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_OK);
    kf_codec_free ((ProtobufCMessage **) &reply);
    zsock_destroy (&client);
    zactor_destroy (&server);
}

int
main (void)
{
    kf_log_init ("test_commands", KF_LOG_WARNING);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_group_commit_and_replies, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_failed_request_changes_nothing, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_malformed_requests, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_control_characters_refused, kf_test_dir_setup, kf_test_dir_teardown),
    };
    return cmocka_run_group_tests_name ("kf_commands", tests, NULL, NULL);
}
