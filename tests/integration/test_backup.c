/*  Integration test: a daemon goes on answering while its backup is copied.

    A backup of years of cases takes minutes; it used to be made in the
    daemon's loop, and nothing was answered meanwhile. Now the copy is made
    in a thread: a ping sent behind a backup is answered before it, a
    second backup while the first is copied is refused with the reason, and
    the copy, when it is answered, holds every filing acknowledged before
    it was asked. The real kefu-bus and kefu-intake on ipc://.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "kf_test.h"
#include "kf_harness.h"
#include "kf_filing.h"
#include "kf_field.h"

#define S_FILINGS 300

static const char *s_services [] = { "intake", NULL };
static h_proc_t s_procs [H_CLUSTER_MAX];
static char s_config [256], s_clock [256];

static void
s_write_config (void)
{
    char text [2048];
    h_cluster_config (text, sizeof text, NULL, "estates\n    E001\n        name = One\n", s_services);
    h_write ("kefu.conf", text, s_config, sizeof s_config);
}

static int
s_setup (void **state)
{
    return h_suite_up (state, s_write_config, s_procs, s_services, s_config, s_clock, sizeof s_clock,
                       "2026-11-23T10:00:00+08:00");
}

static int
s_teardown (void **state)
{
    return h_suite_down (state, s_procs, s_services);
}

static void
s_send (zsock_t *intake, const char *id, Kf__Request *request)
{
    request->request_id = (char *) id;
    request->actor = "test";
    h_send_request (intake, request);
}

typedef struct {
    kf_table_t table;
    int count;
} s_count_t;

static int
s_count_one (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) txn; (void) key; (void) value;
    ((s_count_t *) arg)->count++;
    return 0;
}

static int
s_count_tickets (kf_txn_t *txn, void *arg)
{
    s_count_t *c = arg;
    return kf_txn_scan (txn, c->table, NULL, s_count_one, c);
}

static void
test_requests_are_answered_while_the_copy_is_made (void **state)
{
    (void) state;
    char endpoint [300];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/intake", kf_test_dir);
    zsock_t *intake = zsock_new_dealer (endpoint);
    assert_non_null (intake);
    //  Filings keep the daemon committing while the rest arrive behind them.
    char keys [S_FILINGS][16], ids [S_FILINGS][16];
    for (int i = 0; i < S_FILINGS; i++) {
        snprintf (keys [i], sizeof keys [i], "b-%d", i);
        snprintf (ids [i], sizeof ids [i], "f%d", i);
        Kf__FileTicket f = kf_filing ("E001", keys [i], "the tap drips");
        Kf__Request request = KF__REQUEST__INIT;
        request.command_case = KF__REQUEST__COMMAND_FILE_TICKET;
        request.file_ticket = &f;
        s_send (intake, ids [i], &request);
    }
    Kf__Backup backup = KF__BACKUP__INIT;
    Kf__Ping ping = KF__PING__INIT;
    const char *asked [] = { "backup-1", "backup-2", "ping" };
    for (int i = 0; i < 3; i++) {
        Kf__Request request = KF__REQUEST__INIT;
        KF_SET (&request, role, KF__ROLE__ROLE_OPERATIONS);
        if (i < 2)
            request.command_case = KF__REQUEST__COMMAND_BACKUP, request.backup = &backup;
        else
            request.command_case = KF__REQUEST__COMMAND_PING, request.ping = &ping;
        s_send (intake, asked [i], &request);
    }

    //  Every reply, in the order they come.
    int filed = 0, order = 0, at [3] = { 0, 0, 0 };
    Kf__Reply *replies [3] = { NULL, NULL, NULL };
    zpoller_t *poller = zpoller_new (intake, NULL);
    while ((filed < S_FILINGS || !replies [0] || !replies [1] || !replies [2]) && zpoller_wait (poller, 20000)) {
        zframe_t *frame = zframe_recv (intake);
        Kf__Reply *reply = frame ? kf__reply__unpack (NULL, zframe_size (frame), zframe_data (frame)) : NULL;
        zframe_destroy (&frame);
        assert_non_null (reply);
        assert_non_null (reply->request_id);
        order++;
        int which = -1;
        for (int i = 0; i < 3; i++)
            if (strcmp (reply->request_id, asked [i]) == 0)
                which = i;
        if (which < 0) {
            assert_int_equal (reply->status, KF__REPLY_STATUS__REPLY_STATUS_OK);
            filed++;
            kf__reply__free_unpacked (reply, NULL);
            continue;
        }
        at [which] = order;
        replies [which] = reply;
    }
    zpoller_destroy (&poller);
    assert_int_equal (filed, S_FILINGS);
    for (int i = 0; i < 3; i++)
        assert_non_null (replies [i]);
    //  The ping behind the backup is not held up by the copy.
    assert_true (at [2] < at [0]);
    assert_int_equal (replies [2]->result_case, KF__REPLY__RESULT_PONG);
    //  One copy at a time: the second, asked while the first was copied, is refused and says why.
    if (at [1] < at [0]) {
        assert_int_equal (replies [1]->status, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE);
        assert_non_null (strstr (replies [1]->error, "a backup is being copied already"));
    }
    //  The first: a whole copy with its manifest.
    assert_int_equal (replies [0]->status, KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (replies [0]->result_case, KF__REPLY__RESULT_BACKUP);
    const char *dir = replies [0]->backup->path;
    assert_true (replies [0]->backup->bytes > 0);
    char path [600];
    struct stat st;
    snprintf (path, sizeof path, "%s/manifest.json", dir);
    assert_int_equal (stat (path, &st), 0);
    snprintf (path, sizeof path, "%s/data.mdb", dir);
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal ((uint64_t) st.st_size, replies [0]->backup->bytes);
    //  It holds every filing acknowledged before it.
    const char *tables [] = { "bus_meta", "bus_outbox", "bus_heads", "bus_cursors", "tickets", "timeline",
                              "idempotency", "counters", "by_filed", "by_estate", NULL };
    kf_store_t *copy = kf_store_new (dir, tables, NULL, NULL);
    assert_non_null (copy);
    s_count_t tickets = { kf_store_table (copy, "tickets"), 0 };
    assert_int_equal (kf_store_read (copy, s_count_tickets, &tickets, NULL), 0);
    assert_int_equal (tickets.count, S_FILINGS);
    kf_store_destroy (&copy);
    char out [4096], err [512];
    for (int i = 0; i < 3; i++)
        kf__reply__free_unpacked (replies [i], NULL);
    //  And the daemon is well after it: another backup is taken.
    assert_int_equal (h_run (kf_test_dir, out, sizeof out, err, sizeof err, "kefuctl", "--config", s_config,
                             "backup", "intake", NULL), 0);
    zsock_destroy (&intake);
}

int
main (void)
{
    struct CMUnitTest tests [] = {
        cmocka_unit_test (test_requests_are_answered_while_the_copy_is_made),
    };
    return h_run_tests ("backup", tests, sizeof tests / sizeof tests [0], s_setup, s_teardown);
}
