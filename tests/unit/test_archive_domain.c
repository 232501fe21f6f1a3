/*  Unit tests: the archive's domain over a real store, without sockets:
    what it keeps, how it answers replay requests (epochs, ranges, what it
    no longer holds), a case's and an estate's history with pages and the
    estate guard, and retention by the clock, a clock set back included.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../services/archive/archive.h"
#include "kf_commands.h"
#include "kf_test.h"

#define DAY (24 * 3600000LL)

static const char *s_config_text =
    "bus\n    publish = ipc://x/in\n    subscribe = ipc://x/out\n"
    "estates\n    E001\n        name = one\n    E002\n        name = two\n"
    "archive\n    retention = 30d\n";

typedef struct {
    kf_config_t *config;
    kf_store_t *store;
    archive_t *archive;
    kf_arena_t *arena;
    const Kf__Envelope *event;
} s_world_t;

static s_world_t w;

static int
s_setup (void **state)
{
    if (kf_test_dir_setup (state))
        return -1;
    memset (&w, 0, sizeof w);
    kf_err_t err;
    w.config = kf_config_load_text (s_config_text, "test", &err);
    char path [128];
    snprintf (path, sizeof path, "%s/store", kf_test_dir);
    const char *tables [] = { ARCHIVE_TABLES, NULL };
    w.store = kf_store_new (path, tables, NULL, NULL);
    w.archive = archive_new (w.config, &err);
    w.arena = kf_arena_new ();
    return w.config && w.store && w.archive && w.arena ? 0 : -1;
}

static int
s_teardown (void **state)
{
    archive_destroy (&w.archive);
    kf_store_destroy (&w.store);
    kf_config_destroy (&w.config);
    kf_arena_destroy (&w.arena);
    return kf_test_dir_teardown (state);
}

static int
s_record_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    return archive_record (w.archive, txn, w.event);
}

//  An event of `stream` (its estate after the slash) naming ticket_no.
static void
s_record (const char *stream, uint64_t epoch, uint64_t seq, int64_t at, const char *ticket_no)
{
    Kf__TicketNoteAdded note = KF__TICKET_NOTE_ADDED__INIT;
    note.ticket_no = (char *) ticket_no;
    note.note = "n";
    Kf__Envelope event = KF__ENVELOPE__INIT;
    char id [33];
    snprintf (id, sizeof id, "%016llx%016llx", (unsigned long long) epoch, (unsigned long long) seq);
    event.stream = (char *) stream;
    event.estate = strrchr (stream, '/') + 1;
    event.epoch = epoch;
    event.seq = seq;
    event.event_id = id;
    event.occurred_at_ms = at;
    event.has_epoch = event.has_seq = event.has_occurred_at_ms = 1;
    event.body_case = KF__ENVELOPE__BODY_TICKET_NOTE_ADDED;
    event.ticket_note_added = &note;
    w.event = &event;
    assert_int_equal (kf_store_write (w.store, s_record_txn, NULL, NULL), 0);
}

//  ---- replay ---------------------------------------------------------------------

typedef struct {
    Kf__ReplayRequest request;
    Kf__ReplayStatus status;
    kf_replay_range_t range;
    char reason [200];
    uint64_t seqs [16];
    size_t count;
} s_ask_t;

static int
s_collect (uint64_t seq, const void *data, size_t size, void *arg)
{
    s_ask_t *a = arg;
    Kf__Envelope *event = (Kf__Envelope *) kf_codec_unpack (&kf__envelope__descriptor, data, size, NULL);
    assert_non_null (event);
    assert_int_equal (event->seq, seq);
    kf_codec_free ((ProtobufCMessage **) &event);
    a->seqs [a->count++] = seq;
    return 0;
}

static int
s_ask_txn (kf_txn_t *txn, void *arg)
{
    s_ask_t *a = arg;
    kf_replay_source_t source = archive_replay_source (w.archive);
    a->status = source.decide (source.source, txn, &a->request, &a->range, a->reason, sizeof a->reason);
    if (a->status == KF__REPLAY_STATUS__REPLAY_STATUS_OK
    &&  source.read (source.source, txn, a->request.stream, a->range.epoch, a->range.from, a->range.to, 16,
                     s_collect, a) < 0)
        return -1;
    return 0;
}

static s_ask_t
s_ask (const char *stream, bool has_epoch, uint64_t epoch, uint64_t from, uint64_t to)
{
    s_ask_t a = { KF__REPLAY_REQUEST__INIT, 0, { 0 }, "", { 0 }, 0 };
    a.request.stream = (char *) stream;
    a.request.epoch = epoch;
    a.request.has_epoch = has_epoch;
    a.request.from_seq = from;
    a.request.to_seq = to;
    assert_int_equal (kf_store_read (w.store, s_ask_txn, &a, NULL), 0);
    return a;
}

static void
test_replay_by_stream_epoch_and_range (void **state)
{
    (void) state;
    int64_t t = kf_test_at ("2026-12-02 10:00");
    for (uint64_t s = 1; s <= 5; s++)
        s_record ("intake@c1/E001", 0xA, s, t + (int64_t) s, "E001-20261202-0001");
    //  Restored: a new epoch that continues from 4.
    for (uint64_t s = 4; s <= 6; s++)
        s_record ("intake@c1/E001", 0xB, s, t + 10 + (int64_t) s, "E001-20261202-0002");
    //  Held already: kept once.
    s_record ("intake@c1/E001", 0xA, 5, t, "E001-20261202-0001");

    s_ask_t a = s_ask ("intake@c1/E001", true, 0xA, 2, 4);
    assert_int_equal (a.status, KF__REPLAY_STATUS__REPLAY_STATUS_OK);
    assert_int_equal (a.count, 3);
    assert_int_equal (a.seqs [0], 2);
    assert_int_equal (a.seqs [2], 4);
    //  Up to the head; the old epoch's head is 5.
    a = s_ask ("intake@c1/E001", true, 0xA, 3, 0);
    assert_int_equal (a.count, 3);
    assert_int_equal (a.range.head, 5);
    //  No epoch: the one met last, from its first.
    a = s_ask ("intake@c1/E001", false, 0, 0, 0);
    assert_int_equal (a.status, KF__REPLAY_STATUS__REPLAY_STATUS_OK);
    assert_int_equal (a.range.epoch, 0xB);
    assert_int_equal (a.count, 3);
    assert_int_equal (a.seqs [0], 4);
    a = s_ask ("intake@c1/E001", true, 0xB, 1, 0);
    assert_int_equal (a.status, KF__REPLAY_STATUS__REPLAY_STATUS_SNAPSHOT_REQUIRED);
    assert_non_null (strstr (a.reason, "from 4 to 6, not from 1"));
    a = s_ask ("intake@c1/E001", true, 0xC, 1, 0);
    assert_int_equal (a.status, KF__REPLAY_STATUS__REPLAY_STATUS_SNAPSHOT_REQUIRED);
    a = s_ask ("dispatch@c1/E001", false, 0, 1, 0);
    assert_int_equal (a.status, KF__REPLAY_STATUS__REPLAY_STATUS_UNKNOWN_STREAM);
    a = s_ask ("no-slash", false, 0, 1, 0);
    assert_int_equal (a.status, KF__REPLAY_STATUS__REPLAY_STATUS_BAD_REQUEST);
    //  A range the archive was made to skip: no replay crosses the hole.
    s_record ("survey@c1/E002", 0xE, 1, t, "E002-20261202-0001");
    s_record ("survey@c1/E002", 0xE, 2, t, "E002-20261202-0001");
    s_record ("survey@c1/E002", 0xE, 5, t, "E002-20261202-0001");
    a = s_ask ("survey@c1/E002", true, 0xE, 1, 0);
    assert_int_equal (a.status, KF__REPLAY_STATUS__REPLAY_STATUS_SNAPSHOT_REQUIRED);
    a = s_ask ("survey@c1/E002", true, 0xE, 5, 0);
    assert_int_equal (a.status, KF__REPLAY_STATUS__REPLAY_STATUS_OK);
    assert_int_equal (a.count, 1);
}

//  ---- history -----------------------------------------------------------------

typedef struct {
    Kf__Request request;
    Kf__GetHistory query;
    Kf__PageRequest page;
    int rc;
} s_history_t;

static Kf__Reply w_reply;

static int
s_history_run (kf_txn_t *txn, void *arg)
{
    s_history_t *h = arg;
    kf__reply__init (&w_reply);
    h->rc = archive_handle_request (w.archive, txn, kf_test_at ("2026-12-03 10:00"), &h->request, &w_reply, w.arena);
    return 0;
}

static const Kf__History *
s_history (const char *ticket_no, const char *estate, const char *scope, uint32_t page_size, const char *token)
{
    static s_history_t h;
    memset (&h, 0, sizeof h);
    kf__request__init (&h.request);
    kf__get_history__init (&h.query);
    kf__page_request__init (&h.page);
    h.query.ticket_no = (char *) ticket_no;
    h.query.estate = (char *) estate;
    h.page.page_size = page_size;
    h.page.has_page_size = page_size > 0;
    h.page.page_token = (char *) token;
    h.query.page = &h.page;
    h.request.scope = (char *) scope;
    h.request.command_case = KF__REQUEST__COMMAND_HISTORY;
    h.request.history = &h.query;
    assert_int_equal (kf_store_read (w.store, s_history_run, &h, NULL), 0);
    return h.rc == 0 ? w_reply.history : NULL;
}

static void
test_history_of_a_case_and_an_estate (void **state)
{
    (void) state;
    int64_t t = kf_test_at ("2026-12-02 10:00");
    s_record ("intake@c1/E001", 0xA, 1, t, "E001-20261202-0001");
    s_record ("dispatch@c1/E001", 0xD, 1, t + 1000, "E001-20261202-0001");
    s_record ("intake@c1/E001", 0xA, 2, t + 2000, "E001-20261202-0002");
    s_record ("dispatch@c1/E001", 0xD, 2, t + 3000, "E001-20261202-0001");
    s_record ("intake@c1/E002", 0xE, 1, t + 4000, "E002-20261202-0001");
    //  A case: its events from every stream, oldest first.
    const Kf__History *h = s_history ("E001-20261202-0001", NULL, NULL, 0, NULL);
    assert_non_null (h);
    assert_int_equal (h->n_events, 3);
    assert_string_equal (h->events [0]->stream, "intake@c1/E001");
    assert_string_equal (h->events [1]->stream, "dispatch@c1/E001");
    assert_int_equal (h->events [2]->seq, 2);
    assert_null (h->next_token);
    assert_int_equal (h->archived, 5);
    //  An estate, a page at a time: the token resumes after the last shown.
    h = s_history (NULL, "E001", NULL, 3, NULL);
    assert_int_equal (h->n_events, 3);
    assert_non_null (h->next_token);
    char token [256];
    snprintf (token, sizeof token, "%s", h->next_token);
    h = s_history (NULL, "E001", NULL, 3, token);
    assert_int_equal (h->n_events, 1);
    assert_int_equal (h->events [0]->occurred_at_ms, t + 3000);
    assert_null (h->next_token);
    //  Another estate's token, or none the archive gave: refused.
    assert_null (s_history (NULL, "E002", NULL, 3, token));
    assert_null (s_history (NULL, "E001", NULL, 3, "zz"));
    //  The estate guard: a caller bound to E002 sees nothing of E001.
    assert_null (s_history ("E001-20261202-0001", NULL, "E002", 0, NULL));
    assert_null (s_history (NULL, "E001", "E002", 0, NULL));
    h = s_history (NULL, "E002", "E002", 0, NULL);
    assert_int_equal (h->n_events, 1);
    assert_null (s_history (NULL, "E009", NULL, 0, NULL));
    assert_null (s_history (NULL, NULL, NULL, 0, NULL));
}

//  ---- retention -------------------------------------------------------------

static int
s_trim_txn (kf_txn_t *txn, void *arg)
{
    int64_t *now_and_trimmed = arg;
    now_and_trimmed [1] = archive_trim (w.archive, txn, now_and_trimmed [0], 2);
    return now_and_trimmed [1] < 0 ? -1 : 0;
}

static int64_t
s_trim (int64_t now)
{
    int64_t args [2] = { now, 0 };
    assert_int_equal (kf_store_write (w.store, s_trim_txn, args, NULL), 0);
    return args [1];
}

static void
test_retention_by_the_clock (void **state)
{
    (void) state;
    int64_t t = kf_test_at ("2026-11-01 10:00");
    s_record ("intake@c1/E001", 0xA, 1, t, "E001-20261101-0001");
    //  A clock set back: the later event is older.
    s_record ("intake@c1/E001", 0xA, 2, t - DAY, "E001-20261101-0001");
    s_record ("intake@c1/E001", 0xA, 3, t + 5 * DAY, "E001-20261106-0001");
    s_record ("intake@c1/E001", 0xA, 4, t + 40 * DAY, "E001-20261211-0001");
    //  29 days on: nothing is 30 days old.
    assert_int_equal (s_trim (t + 29 * DAY), 0);
    //  31 days on: two go (seq 2, then 1), a budget of two a transaction.
    assert_int_equal (s_trim (t + 31 * DAY), 2);
    s_ask_t a = s_ask ("intake@c1/E001", true, 0xA, 1, 0);
    assert_int_equal (a.status, KF__REPLAY_STATUS__REPLAY_STATUS_SNAPSHOT_REQUIRED);
    a = s_ask ("intake@c1/E001", true, 0xA, 3, 0);
    assert_int_equal (a.count, 2);
    //  Gone from the case's history too.
    assert_int_equal (s_history ("E001-20261101-0001", NULL, NULL, 0, NULL)->n_events, 0);
    //  Then the third; the budget holds, and the fourth is young.
    assert_int_equal (s_trim (t + 36 * DAY), 1);
    assert_int_equal (s_trim (t + 36 * DAY), 0);
    a = s_ask ("intake@c1/E001", true, 0xA, 0, 0);
    assert_int_equal (a.range.first, 4);
    assert_int_equal (a.count, 1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_replay_by_stream_epoch_and_range, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_history_of_a_case_and_an_estate, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_retention_by_the_clock, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
