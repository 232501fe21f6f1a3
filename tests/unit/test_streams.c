/*  Unit tests: kf_outbox and kf_inbox, the two halves of a stream.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kf_codec.h"
#include "kf_inbox.h"
#include "kf_outbox.h"
#include "kf_test.h"

static const char *s_tables [] = { KF_BUS_TABLES, NULL };

static kf_store_t *
s_open (const char *name)
{
    char path [256];
    snprintf (path, sizeof path, "%s/%s", kf_test_dir, name);
    kf_err_t err;
    kf_store_t *store = kf_store_new (path, s_tables, NULL, &err);
    if (!store)
        fail_msg ("%s", err.text);
    return store;
}

typedef struct {
    kf_outbox_t *outbox;
    const char *estates [4];
    int per_estate;
    int64_t now;
} s_emit_t;

//  Emit per_estate ticket.note_added events into each estate.
static int
s_emit (kf_txn_t *txn, void *arg)
{
    s_emit_t *e = arg;
    for (int i = 0; e->estates [i]; i++)
        for (int n = 0; n < e->per_estate; n++) {
            Kf__TicketNoteAdded note = KF__TICKET_NOTE_ADDED__INIT;
            char text [32];
            snprintf (text, sizeof text, "note %d", n);
            note.ticket_no = "E001-20261123-0001";
            note.note = text;
            Kf__Envelope env = KF__ENVELOPE__INIT;
            env.estate = (char *) e->estates [i];
            env.body_case = KF__ENVELOPE__BODY_TICKET_NOTE_ADDED;
            env.ticket_note_added = &note;
            kf_outbox_append (e->outbox, txn, &env, e->now);
            //  The caller's envelope is left as it was.
            assert_null (env.stream);
            assert_false (env.has_seq);
        }
    return kf_txn_ok (txn) ? 0 : -1;
}

typedef struct {
    int count;
    int stop_after;     //  refuse the send after this many (-1: never)
    char topics [64][64];
    uint64_t seqs [64];
    char streams [64][KF_STREAM_MAX];
} s_sent_t;

static int
s_send (const char *topic, const void *data, size_t size, void *arg)
{
    s_sent_t *sent = arg;
    if (sent->stop_after >= 0 && sent->count >= sent->stop_after)
        return -1;
    ProtobufCMessage *msg = kf_codec_unpack (&kf__envelope__descriptor, data, size, NULL);
    assert_non_null (msg);
    Kf__Envelope *env = (Kf__Envelope *) msg;
    assert_true (sent->count < 64);
    snprintf (sent->topics [sent->count], 64, "%s", topic);
    snprintf (sent->streams [sent->count], KF_STREAM_MAX, "%s", env->stream);
    sent->seqs [sent->count] = env->seq;
    assert_int_equal (strlen (env->event_id), 32);
    assert_int_equal (env->schema_version, 1);
    sent->count++;
    kf_codec_free (&msg);
    return 0;
}

static void
test_sequences_epochs_and_flush (void **state)
{
    (void) state;
    kf_store_t *store = s_open ("p");
    kf_err_t err;
    kf_outbox_t *outbox = kf_outbox_new (store, "dispatch@c1", &err);
    assert_non_null (outbox);
    uint64_t epoch = kf_outbox_epoch (outbox);
    assert_true (epoch != 0);
    s_emit_t e = { outbox, { "E001", "E002", NULL }, 3, 1795000000000 };
    assert_int_equal (kf_store_write (store, s_emit, &e, &err), 0);

    //  Every event goes out once, in order per stream, with its topic.
    s_sent_t sent = { .stop_after = -1 };
    assert_int_equal (kf_outbox_flush (outbox, s_send, &sent, &err), 0);
    assert_int_equal (sent.count, 6);
    int per_stream [2] = { 0, 0 };
    for (int i = 0; i < sent.count; i++) {
        int s = strcmp (sent.streams [i], "dispatch@c1/E001") == 0 ? 0 : 1;
        assert_int_equal (sent.seqs [i], (uint64_t) ++per_stream [s]);
        assert_string_equal (sent.topics [i], s == 0 ? "E001/ticket.note_added" : "E002/ticket.note_added");
    }
    sent.count = 0;
    assert_int_equal (kf_outbox_flush (outbox, s_send, &sent, &err), 0);
    assert_int_equal (sent.count, 0);

    //  A send that fails stops the flush; the next one resumes there.
    e.per_estate = 2;
    assert_int_equal (kf_store_write (store, s_emit, &e, &err), 0);
    sent.stop_after = 1;
    kf_outbox_flush (outbox, s_send, &sent, &err);
    assert_int_equal (sent.count, 1);
    sent.stop_after = -1;
    kf_outbox_flush (outbox, s_send, &sent, &err);
    assert_int_equal (sent.count, 4);
    kf_outbox_destroy (&outbox);
    kf_store_destroy (&store);

    //  The epoch belongs to the store: the same after reopening ...
    store = s_open ("p");
    outbox = kf_outbox_new (store, "dispatch@c1", &err);
    assert_true (kf_outbox_epoch (outbox) == epoch);
    kf_outbox_destroy (&outbox);
    kf_store_destroy (&store);
    //  ... and another for a store built anew.
    store = s_open ("p2");
    outbox = kf_outbox_new (store, "dispatch@c1", &err);
    assert_true (kf_outbox_epoch (outbox) != epoch);
    kf_outbox_destroy (&outbox);
    kf_store_destroy (&store);
}

typedef struct {
    kf_outbox_t *outbox;
    int64_t now, max_age;
    uint64_t max_events;
    size_t trimmed;
} s_maintain_t;

static int
s_maintain (kf_txn_t *txn, void *arg)
{
    s_maintain_t *m = arg;
    m->trimmed = kf_outbox_maintain (m->outbox, txn, m->now, m->max_age, m->max_events, 1000);
    return kf_txn_ok (txn) ? 0 : -1;
}

typedef struct {
    kf_outbox_t *outbox;
    Kf__StreamHead head;
    uint64_t seqs [16];
    int64_t read;
} s_look_t;

static int
s_collect (uint64_t seq, const void *data, size_t size, void *arg)
{
    (void) data; (void) size;
    s_look_t *look = arg;
    look->seqs [look->read++] = seq;
    return 0;
}

static int
s_look (kf_txn_t *txn, void *arg)
{
    s_look_t *look = arg;
    kf_outbox_head (look->outbox, txn, "intake@c1/E001", &look->head);
    look->read = 0;
    kf_outbox_read (look->outbox, txn, "intake@c1/E001", 1, 0, 16, s_collect, look);
    return 0;
}

static void
test_restart_resends_only_the_unsent_tail (void **state)
{
    (void) state;
    kf_store_t *store = s_open ("r");
    kf_err_t err;
    kf_outbox_t *outbox = kf_outbox_new (store, "intake@c1", &err);
    s_emit_t e = { outbox, { "E001", NULL }, 5, 1795000000000 };
    kf_store_write (store, s_emit, &e, &err);
    s_sent_t sent = { .stop_after = 3 };
    kf_outbox_flush (outbox, s_send, &sent, &err);
    assert_int_equal (sent.count, 3);
    //  The sent mark is checkpointed, then the process dies.
    s_maintain_t m = { outbox, e.now, INT64_MAX, UINT64_MAX, 0 };
    assert_int_equal (kf_store_write (store, s_maintain, &m, &err), 0);
    kf_outbox_destroy (&outbox);
    kf_store_destroy (&store);

    store = s_open ("r");
    outbox = kf_outbox_new (store, "intake@c1", &err);
    s_sent_t again = { .stop_after = -1 };
    kf_outbox_flush (outbox, s_send, &again, &err);
    assert_int_equal (again.count, 2);
    assert_int_equal (again.seqs [0], 4);
    assert_int_equal (again.seqs [1], 5);
    kf_outbox_destroy (&outbox);
    kf_store_destroy (&store);

    //  A stream that was never checkpointed is sent whole after a restart.
    store = s_open ("r2");
    outbox = kf_outbox_new (store, "intake@c1", &err);
    e.outbox = outbox;
    assert_int_equal (kf_store_write (store, s_emit, &e, &err), 0);
    kf_outbox_destroy (&outbox);
    kf_store_destroy (&store);
    store = s_open ("r2");
    outbox = kf_outbox_new (store, "intake@c1", &err);
    s_sent_t all = { .stop_after = -1 };
    kf_outbox_flush (outbox, s_send, &all, &err);
    assert_int_equal (all.count, 5);
    kf_outbox_destroy (&outbox);
    kf_store_destroy (&store);
}

static void
test_retention_never_trims_the_unsent (void **state)
{
    (void) state;
    kf_store_t *store = s_open ("t");
    kf_err_t err;
    kf_outbox_t *outbox = kf_outbox_new (store, "intake@c1", &err);
    s_emit_t e = { outbox, { "E001", NULL }, 10, 1000 };
    kf_store_write (store, s_emit, &e, &err);
    //  Keep 4 events: but only 6 were sent, so only 1..6 may go.
    s_sent_t sent = { .stop_after = 6 };
    kf_outbox_flush (outbox, s_send, &sent, &err);
    s_maintain_t m = { outbox, 1000, INT64_MAX, 2, 0 };
    assert_int_equal (kf_store_write (store, s_maintain, &m, &err), 0);
    assert_int_equal (m.trimmed, 6);
    s_look_t look = { .outbox = outbox };
    kf_store_read (store, s_look, &look, &err);
    assert_int_equal (look.head.head_seq, 10);
    assert_int_equal (look.head.first_seq, 7);
    assert_int_equal (look.read, 4);
    assert_int_equal (look.seqs [0], 7);
    //  Once everything is sent, age trims too.
    sent.stop_after = -1;
    kf_outbox_flush (outbox, s_send, &sent, &err);
    m = (s_maintain_t) { outbox, 1000 + 7 * 86400000LL, 86400000, UINT64_MAX, 0 };
    kf_store_write (store, s_maintain, &m, &err);
    assert_int_equal (m.trimmed, 4);
    kf_store_read (store, s_look, &look, &err);
    assert_int_equal (look.head.first_seq, 11);
    assert_int_equal (look.read, 0);
    //  The sequence carries on after everything was trimmed.
    kf_store_write (store, s_emit, &e, &err);
    kf_store_read (store, s_look, &look, &err);
    assert_int_equal (look.head.head_seq, 20);
    assert_int_equal (look.seqs [0], 11);
    kf_outbox_destroy (&outbox);
    kf_store_destroy (&store);
}

//  Appends in a transaction, then in a transaction nested in it, then in the
//  outer one again: one stream, one sequence, no number used twice.
typedef struct {
    kf_outbox_t *outbox;
    int count;
} s_nest_t;

static int
s_append_some (kf_txn_t *txn, void *arg)
{
    s_nest_t *n = arg;
    for (int i = 0; i < n->count; i++) {
        Kf__TicketClosed closed = KF__TICKET_CLOSED__INIT;
        Kf__Envelope event = KF__ENVELOPE__INIT;
        event.estate = "E001";
        event.body_case = KF__ENVELOPE__BODY_TICKET_CLOSED;
        event.ticket_closed = &closed;
        kf_outbox_append (n->outbox, txn, &event, 0);
    }
    return kf_txn_ok (txn) ? 0 : -1;
}

static int
s_fail_after_append (kf_txn_t *txn, void *arg)
{
    s_append_some (txn, arg);
    return kf_txn_fail (txn, "undone on purpose");
}

static int
s_outer_and_nested (kf_txn_t *txn, void *arg)
{
    s_nest_t *n = arg;
    s_nest_t two = { n->outbox, 2 }, one = { n->outbox, 1 };
    s_append_some (txn, &two);                   //  1, 2
    kf_txn_nested (txn, s_append_some, &two, NULL);   //  3, 4
    kf_txn_nested (txn, s_fail_after_append, &one, NULL);   //  5, undone
    s_append_some (txn, &one);                   //  5
    return kf_txn_ok (txn) ? 0 : -1;
}

static void
test_nested_transactions_share_the_sequence (void **state)
{
    (void) state;
    kf_store_t *store = s_open ("n");
    kf_outbox_t *outbox = kf_outbox_new (store, "intake@c1", NULL);
    s_nest_t n = { outbox, 0 };
    kf_err_t err;
    assert_int_equal (kf_store_write (store, s_outer_and_nested, &n, &err), 0);
    s_look_t look = { .outbox = outbox };
    kf_store_read (store, s_look, &look, &err);
    assert_int_equal (look.head.head_seq, 5);
    assert_int_equal (look.read, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal (look.seqs [i], (uint64_t) i + 1);
    kf_outbox_destroy (&outbox);
    kf_store_destroy (&store);
}

//  ---- the consumer's side --------------------------------------------------

typedef struct {
    kf_inbox_t *inbox;
    Kf__Envelope *env;
    kf_inbox_verdict_t verdict;
    uint64_t last;
    bool advance;
} s_check_t;

static int
s_check (kf_txn_t *txn, void *arg)
{
    s_check_t *c = arg;
    c->verdict = kf_inbox_check (c->inbox, txn, c->env, &c->last);
    if (c->verdict == KF_INBOX_APPLY && c->advance)
        kf_inbox_advance (c->inbox, txn, c->env, 5);
    return kf_txn_ok (txn) ? 0 : -1;
}

static kf_inbox_verdict_t
s_offer (kf_store_t *store, kf_inbox_t *inbox, const char *stream, uint64_t epoch, uint64_t seq)
{
    Kf__Envelope env = KF__ENVELOPE__INIT;
    env.stream = (char *) stream;
    env.estate = "E001";
    env.epoch = epoch;
    env.seq = seq;
    env.has_epoch = env.has_seq = 1;
    s_check_t c = { inbox, &env, 0, 0, true };
    assert_int_equal (kf_store_write (store, s_check, &c, NULL), 0);
    return c.verdict;
}

static void
test_cursor_verdicts (void **state)
{
    (void) state;
    kf_store_t *store = s_open ("c");
    kf_inbox_t *inbox = kf_inbox_new (store);
    const char *stream = "intake@c1/E001";
    //  A new stream starts at 1: seq 2 first is a gap.
    assert_int_equal (s_offer (store, inbox, stream, 7, 2), KF_INBOX_GAP);
    assert_int_equal (s_offer (store, inbox, stream, 7, 1), KF_INBOX_APPLY);
    assert_int_equal (s_offer (store, inbox, stream, 7, 2), KF_INBOX_APPLY);
    assert_int_equal (s_offer (store, inbox, stream, 7, 2), KF_INBOX_DUPLICATE);
    assert_int_equal (s_offer (store, inbox, stream, 7, 1), KF_INBOX_DUPLICATE);
    assert_int_equal (s_offer (store, inbox, stream, 7, 9), KF_INBOX_GAP);
    assert_int_equal (s_offer (store, inbox, stream, 7, 3), KF_INBOX_APPLY);
    //  A rebuilt producer store: never accepted silently, whatever the seq.
    assert_int_equal (s_offer (store, inbox, stream, 8, 1), KF_INBOX_NEW_EPOCH);
    assert_int_equal (s_offer (store, inbox, stream, 8, 4), KF_INBOX_NEW_EPOCH);
    //  Headers that do not hang together.
    assert_int_equal (s_offer (store, inbox, "intake@c1/E002", 7, 1), KF_INBOX_MALFORMED);   //  estate differs
    assert_int_equal (s_offer (store, inbox, "E001", 7, 1), KF_INBOX_MALFORMED);             //  no producer
    assert_int_equal (s_offer (store, inbox, stream, 7, 0), KF_INBOX_MALFORMED);             //  seq 0
    assert_int_equal (s_offer (store, inbox, "intake|c1/E001", 7, 1), KF_INBOX_MALFORMED);
    kf_inbox_destroy (&inbox);
    kf_store_destroy (&store);

    //  The cursor is in the store: it survives a restart.
    store = s_open ("c");
    inbox = kf_inbox_new (store);
    assert_int_equal (s_offer (store, inbox, stream, 7, 3), KF_INBOX_DUPLICATE);
    assert_int_equal (s_offer (store, inbox, stream, 7, 4), KF_INBOX_APPLY);
    assert_string_equal (kf_inbox_verdict_name (KF_INBOX_NEW_EPOCH), "new epoch");
    kf_inbox_destroy (&inbox);
    kf_store_destroy (&store);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_sequences_epochs_and_flush, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_restart_resends_only_the_unsent_tail, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_retention_never_trims_the_unsent, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_nested_transactions_share_the_sequence, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_cursor_verdicts, kf_test_dir_setup, kf_test_dir_teardown),
    };
    return cmocka_run_group_tests_name ("kf_outbox+kf_inbox", tests, NULL, NULL);
}
