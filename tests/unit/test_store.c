/*  Unit tests: kf_store.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "kf_store.h"
#include "kf_codec.h"
#include "ticket.pb-c.h"
#include "kf_test.h"

static const char *s_tables [] = { "tickets", "index", "counters", NULL };
static kf_store_t *
s_open (const char *sub, size_t map_size)
{
    char path [256];
    snprintf (path, sizeof path, "%s/%s", kf_test_dir, sub);
    kf_store_options_t options = { .map_size = map_size };
    kf_err_t err;
    kf_store_t *store = kf_store_new (path, s_tables, &options, &err);
    if (!store)
        fail_msg ("%s", err.text);
    return store;
}

//  ---- keys -----------------------------------------------------------------

static void
test_keys_sort_as_their_values (void **state)
{
    (void) state;
    kf_key_t a, b;
    //  Big-endian integers sort numerically.
    kf_key_make (&a, "s|q", "E001", (uint64_t) 255);
    kf_key_make (&b, "s|q", "E001", (uint64_t) 256);
    assert_true (memcmp (a.data, b.data, a.size) < 0);
    //  Times sort negative before positive.
    kf_key_make (&a, "t", (int64_t) -5);
    kf_key_make (&b, "t", (int64_t) 3);
    assert_true (memcmp (a.data, b.data, 8) < 0);
    kf_key_make (&a, "t|s", (int64_t) 1795000000000, "E001/T1/resolution");
    assert_int_equal (a.size, 8 + 1 + strlen ("E001/T1/resolution"));

    //  Scanning gives back what went in.
    char estate [16], id [64];
    uint64_t seq;
    int64_t deadline;
    uint32_t n;
    kf_key_make (&a, "s|q|u", "E001", (uint64_t) 42, (uint32_t) 7);
    assert_int_equal (kf_key_scan (a.data, a.size, "s|q|u", estate, sizeof estate, &seq, &n), 0);
    assert_string_equal (estate, "E001");
    assert_int_equal (seq, 42);
    assert_int_equal (n, 7);
    kf_key_make (&a, "t|s", (int64_t) -1, "clock-1");
    assert_int_equal (kf_key_scan (a.data, a.size, "t|s", &deadline, id, sizeof id), 0);
    assert_int_equal (deadline, -1);
    assert_string_equal (id, "clock-1");
    //  A key that does not fit the format, or has bytes left over, is refused.
    assert_int_equal (kf_key_scan (a.data, a.size, "t", &deadline), -1);
    assert_int_equal (kf_key_scan (a.data, 5, "t|s", &deadline, id, sizeof id), -1);
    assert_int_equal (kf_key_scan (a.data, a.size, "t|s", &deadline, id, (size_t) 3), -1);

    //  A '|' inside a name, or a key too long, gives an empty key.
    assert_int_equal (kf_key_make (&a, "s|s", "E0|01", "x"), -1);
    assert_int_equal (a.size, 0);
    char big [600];
    memset (big, 'x', sizeof big - 1);
    big [sizeof big - 1] = 0;
    assert_int_equal (kf_key_make (&a, "s", big), -1);
    assert_int_equal (a.size, 0);

    kf_key_make (&a, "s|", "E001");
    kf_val_t k = { b.data, b.size };
    kf_key_make (&b, "s|q", "E001", (uint64_t) 1);
    k = (kf_val_t) { b.data, b.size };
    assert_true (kf_key_has_prefix (k, &a));
    kf_key_make (&b, "s|q", "E0011", (uint64_t) 1);
    k = (kf_val_t) { b.data, b.size };
    assert_false (kf_key_has_prefix (k, &a));
}

//  ---- transactions ---------------------------------------------------------

typedef struct {
    kf_store_t *store;
    const char *estate;
    int count;
    int fail_at;      //  fail on purpose at this record (-1: never)
    int runs;         //  how often the callback ran (redos show here)
} s_job_t;

static int
s_put_records (kf_txn_t *txn, void *arg)
{
    s_job_t *job = arg;
    job->runs++;
    kf_table_t tickets = kf_store_table (job->store, "tickets");
    kf_table_t counters = kf_store_table (job->store, "counters");
    kf_key_t key, counter;
    kf_key_make (&counter, "s", job->estate);
    for (int i = 0; i < job->count; i++) {
        uint64_t n = kf_txn_next (txn, counters, &counter);
        char no [64];
        snprintf (no, sizeof no, "%s-20261123-%04d", job->estate, (int) n);
        Kf__TicketFiled filed = KF__TICKET_FILED__INIT;
        filed.ticket_no = no;
        filed.description = "水管漏水 water leaking from the ceiling";
        filed.type = KF__TICKET_TYPE__TICKET_TYPE_REPAIR;
        filed.has_type = 1;
        kf_key_make (&key, "s|q", job->estate, n);
        kf_txn_put_msg (txn, tickets, &key, &filed.base);
        if (i == job->fail_at)
            kf_key_make (&key, "s", "bad|key");   //  an unusable key ...
        kf_txn_put (txn, kf_store_table (job->store, "index"), &key, "", 0);   //  ... fails here
    }
    //  One check at the end: the sticky error carries the first failure.
    return kf_txn_ok (txn) ? 0 : -1;
}

typedef struct {
    kf_store_t *store;
    const char *estate;
    uint64_t n;
    char description [128];
    int found;
    uint64_t count;
} s_read_t;

static int
s_read_record (kf_txn_t *txn, void *arg)
{
    s_read_t *r = arg;
    kf_key_t key;
    kf_key_make (&key, "s|q", r->estate, r->n);
    ProtobufCMessage *msg = NULL;
    r->found = kf_txn_get_msg (txn, kf_store_table (r->store, "tickets"), &key, &kf__ticket_filed__descriptor, &msg);
    if (msg) {
        snprintf (r->description, sizeof r->description, "%s", ((Kf__TicketFiled *) msg)->description);
        kf_codec_free (&msg);
    }
    r->count = kf_txn_count (txn, kf_store_table (r->store, "tickets"));
    return 0;
}

static void
test_write_read_and_reopen (void **state)
{
    (void) state;
    kf_store_t *store = s_open ("a", 0);
    s_job_t job = { store, "E001", 10, -1, 0 };
    kf_err_t err;
    assert_int_equal (kf_store_write (store, s_put_records, &job, &err), 0);
    s_read_t r = { .store = store, .estate = "E001", .n = 7 };
    assert_int_equal (kf_store_read (store, s_read_record, &r, &err), 0);
    assert_int_equal (r.found, KF_FOUND);
    assert_string_equal (r.description, "水管漏水 water leaking from the ceiling");
    assert_int_equal (r.count, 10);
    kf_store_destroy (&store);
    assert_null (store);
    kf_store_destroy (&store);

    //  Committed means on disk: a new environment sees it all.
    store = s_open ("a", 0);
    r.store = store;
    r.n = 10;
    assert_int_equal (kf_store_read (store, s_read_record, &r, &err), 0);
    assert_int_equal (r.found, KF_FOUND);
    r.n = 11;
    assert_int_equal (kf_store_read (store, s_read_record, &r, &err), 0);
    assert_int_equal (r.found, KF_NOTFOUND);
    kf_store_destroy (&store);
}

static void
test_sticky_error_aborts_everything (void **state)
{
    (void) state;
    kf_store_t *store = s_open ("b", 0);
    s_job_t job = { store, "E001", 10, 4, 0 };
    kf_err_t err;
    assert_int_equal (kf_store_write (store, s_put_records, &job, &err), -1);
    assert_non_null (strstr (err.text, "a key could not be built"));
    assert_int_equal (job.runs, 1);   //  not a redo case
    //  Not one of the ten records, nor the counter, was written.
    s_read_t r = { .store = store, .estate = "E001", .n = 1 };
    assert_int_equal (kf_store_read (store, s_read_record, &r, &err), 0);
    assert_int_equal (r.found, KF_NOTFOUND);
    assert_int_equal (r.count, 0);
    kf_store_destroy (&store);
}

static int
s_fail_on_purpose (kf_txn_t *txn, void *arg)
{
    kf_key_t key;
    kf_key_make (&key, "s", "x");
    kf_txn_put (txn, kf_store_table (arg, "tickets"), &key, "1", 1);
    kf_txn_fail (txn, "unit '%s' is not in estate %s", "9-9-9999", "E001");
    //  Every call after the failure is a no-op.
    assert_int_equal (kf_txn_put (txn, kf_store_table (arg, "tickets"), &key, "2", 1), -1);
    assert_int_equal (kf_txn_error (txn), KF_TXN_ABORTED);
    return -1;
}

static int
s_count_tickets (kf_txn_t *txn, void *arg)
{
    s_read_t *r = arg;
    r->count = kf_txn_count (txn, kf_store_table (r->store, "tickets"));
    return 0;
}

static void
test_failing_on_purpose (void **state)
{
    (void) state;
    kf_store_t *store = s_open ("c", 0);
    kf_err_t err;
    assert_int_equal (kf_store_write (store, s_fail_on_purpose, store, &err), -1);
    assert_string_equal (err.text, "unit '9-9-9999' is not in estate E001");
    s_read_t r = { .store = store };
    kf_store_read (store, s_count_tickets, &r, NULL);
    assert_int_equal (r.count, 0);
    kf_store_destroy (&store);
}

static void
test_map_full_grows_and_redoes (void **state)
{
    (void) state;
    //  A tiny map: the first large transaction cannot fit.
    kf_store_t *store = s_open ("d", 256 << 10);
    size_t before = kf_store_map_size (store);
    s_job_t job = { store, "E002", 20000, -1, 0 };
    kf_err_t err;
    assert_int_equal (kf_store_write (store, s_put_records, &job, &err), 0);
    assert_true (job.runs > 1);                       //  it was redone ...
    assert_true (kf_store_map_size (store) > before); //  ... after growing
    assert_true (kf_store_used (store) > before);
    s_read_t r = { .store = store, .estate = "E002", .n = 20000 };
    assert_int_equal (kf_store_read (store, s_read_record, &r, &err), 0);
    assert_int_equal (r.found, KF_FOUND);
    assert_int_equal (r.count, 20000);   //  and nothing twice: the redo started clean
    kf_store_destroy (&store);

    //  The grown size is kept when the store is opened again.
    store = s_open ("d", 256 << 10);
    assert_true (kf_store_map_size (store) > before);
    kf_store_destroy (&store);
}

static int
s_scan_collect (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) txn; (void) value;
    uint64_t *seqs = arg;
    char estate [16];
    uint64_t seq;
    assert_int_equal (kf_key_scan (key.data, key.size, "s|q", estate, sizeof estate, &seq), 0);
    seqs [++seqs [0]] = seq;
    return seqs [0] == 5 ? 1 : 0;   //  stop after five
}

typedef struct {
    kf_store_t *store;
    uint64_t seqs [16];
    int deleted;
} s_scan_t;

static int
s_scan_and_delete (kf_txn_t *txn, void *arg)
{
    s_scan_t *s = arg;
    kf_table_t tickets = kf_store_table (s->store, "tickets");
    kf_key_t prefix;
    kf_key_make (&prefix, "s|", "E001");
    memset (s->seqs, 0, sizeof s->seqs);
    kf_txn_scan (txn, tickets, &prefix, s_scan_collect, s->seqs);
    //  Delete what is due: everything up to seq 3, with a cursor from the start.
    kf_cursor_t *cursor = kf_cursor_open (txn, tickets);
    kf_val_t k;
    s->deleted = 0;
    kf_key_t from;
    kf_key_make (&from, "s|q", "E001", (uint64_t) 0);
    int rc = kf_cursor_seek (cursor, &from, &k, NULL);
    while (rc == KF_FOUND) {
        uint64_t seq;
        char estate [16];
        kf_key_scan (k.data, k.size, "s|q", estate, sizeof estate, &seq);
        if (strcmp (estate, "E001") || seq > 3)
            break;
        kf_cursor_del (cursor);
        s->deleted++;
        rc = kf_cursor_next (cursor, &k, NULL);
    }
    kf_cursor_close (&cursor);
    kf_key_t key;
    kf_key_make (&key, "s|q", "E001", (uint64_t) 2);
    assert_int_equal (kf_txn_del (txn, tickets, &key), KF_NOTFOUND);
    kf_key_make (&key, "s|q", "E001", (uint64_t) 4);
    assert_int_equal (kf_txn_del (txn, tickets, &key), KF_FOUND);
    return kf_txn_ok (txn) ? 0 : -1;
}

//  A copy from another thread holds a read transaction, and LMDB may grow
//  the map only with none open: the map is grown ahead of the copy (here
//  to its 1 MiB ceiling), and a write that does not fit until the copy
//  ends fails with that reason and writes nothing.
static void
test_map_keeps_its_size_while_copied (void **state)
{
    (void) state;
    char path [256];
    snprintf (path, sizeof path, "%s/copied", kf_test_dir);
    kf_store_options_t options = { .map_size = 256 << 10, .map_size_max = 1 << 20 };
    kf_err_t err;
    kf_store_t *store = kf_store_new (path, s_tables, &options, &err);
    assert_non_null (store);
    assert_int_equal (kf_store_copy_begin (store, &err), 0);
    assert_int_equal (kf_store_map_size (store), 1 << 20);
    s_job_t job = { store, "E002", 20000, -1, 0 };
    assert_int_equal (kf_store_write (store, s_put_records, &job, &err), -1);
    assert_non_null (strstr (err.text, "full while a backup is being copied"));
    s_read_t r = { .store = store };
    kf_store_read (store, s_count_tickets, &r, NULL);
    assert_int_equal (r.count, 0);
    kf_store_copy_end (store);
    s_job_t small = { store, "E002", 10, -1, 0 };
    assert_int_equal (kf_store_write (store, s_put_records, &small, &err), 0);
    kf_store_destroy (&store);
}

static int
s_rebuild (kf_txn_t *txn, void *arg)
{
    int *rc = arg;
    *rc = kf_txn_rebuild_once (txn, kf_store_table (kf_txn_store (txn), "counters"), "built");
    return *rc < 0 ? -1 : 0;
}

static int
s_count_rows (kf_txn_t *txn, void *arg)
{
    *(uint64_t *) arg = kf_txn_count (txn, kf_store_table (kf_txn_store (txn), "counters"));
    return 0;
}

//  A table rebuilt once: emptied and marked the first time, then left be.
static void
test_rebuild_once (void **state)
{
    (void) state;
    kf_store_t *store = s_open ("once", 0);
    s_job_t job = { store, "E003", 3, -1, 0 };
    assert_int_equal (kf_store_write (store, s_put_records, &job, NULL), 0);   //  a counter row
    uint64_t rows = 0;
    kf_store_read (store, s_count_rows, &rows, NULL);
    assert_int_equal (rows, 1);
    int rc = -2;
    assert_int_equal (kf_store_write (store, s_rebuild, &rc, NULL), 0);
    assert_int_equal (rc, 1);
    kf_store_read (store, s_count_rows, &rows, NULL);
    assert_int_equal (rows, 1);   //  the mark alone
    assert_int_equal (kf_store_write (store, s_put_records, &job, NULL), 0);
    assert_int_equal (kf_store_write (store, s_rebuild, &rc, NULL), 0);
    assert_int_equal (rc, 0);
    kf_store_read (store, s_count_rows, &rows, NULL);
    assert_int_equal (rows, 2);   //  kept: done before
    kf_store_destroy (&store);
}

static void
test_scan_cursor_delete (void **state)
{
    (void) state;
    kf_store_t *store = s_open ("e", 0);
    s_job_t e1 = { store, "E001", 8, -1, 0 }, e11 = { store, "E0011", 3, -1, 0 };
    assert_int_equal (kf_store_write (store, s_put_records, &e1, NULL), 0);
    assert_int_equal (kf_store_write (store, s_put_records, &e11, NULL), 0);
    s_scan_t s = { .store = store };
    kf_err_t err;
    assert_int_equal (kf_store_write (store, s_scan_and_delete, &s, &err), 0);
    //  The prefix scan saw E001's records in order and stopped when told.
    assert_int_equal (s.seqs [0], 5);
    for (int i = 1; i <= 5; i++)
        assert_int_equal (s.seqs [i], (uint64_t) i);
    assert_int_equal (s.deleted, 3);
    s_read_t r = { .store = store };
    kf_store_read (store, s_count_tickets, &r, NULL);
    assert_int_equal (r.count, 8 + 3 - 4);
    kf_store_destroy (&store);
}

static void
test_backup_is_a_usable_copy (void **state)
{
    (void) state;
    kf_store_t *store = s_open ("f", 0);
    s_job_t job = { store, "E003", 100, -1, 0 };
    assert_int_equal (kf_store_write (store, s_put_records, &job, NULL), 0);
    char backup [256];
    snprintf (backup, sizeof backup, "%s/backup-1", kf_test_dir);
    kf_err_t err;
    assert_int_equal (kf_store_backup (store, backup, &err), 0);
    //  Not into a directory that already holds something.
    assert_int_equal (kf_store_backup (store, backup, &err), -1);
    assert_non_null (strstr (err.text, "is not empty"));
    kf_store_destroy (&store);

    store = s_open ("backup-1", 0);
    s_read_t r = { .store = store, .estate = "E003", .n = 100 };
    assert_int_equal (kf_store_read (store, s_read_record, &r, &err), 0);
    assert_int_equal (r.found, KF_FOUND);
    assert_int_equal (r.count, 100);
    kf_store_destroy (&store);
}

//  The child's reads nest: two slots taken, a third refused, then it dies
//  inside them, as a kill -9 would, leaving both slots marked as in use.
static int
s_read_then_die (kf_txn_t *txn, void *arg)
{
    (void) txn;
    kf_store_t *store = arg;
    kf_err_t err;
    if (kf_store_read (store, s_read_then_die, store, &err) != 0) {
        //  The third reader found the table full: the two slots are ours.
        _exit (strstr (err.text, "MDB_READERS_FULL") ? 0 : 3);
    }
    return 0;
}

static void
test_stale_readers_are_cleared (void **state)
{
    (void) state;
    char path [256];
    snprintf (path, sizeof path, "%s/g", kf_test_dir);
    kf_store_options_t options = { .max_readers = 2 };
    pid_t pid = fork ();
    if (pid == 0) {
        kf_store_t *child = kf_store_new (path, s_tables, &options, NULL);
        if (!child)
            _exit (1);
        kf_store_read (child, s_read_then_die, child, NULL);
        _exit (2);
    }
    int status;
    waitpid (pid, &status, 0);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    //  Every slot belongs to a dead process. The store layer clears them
    //  and redoes the read, which would otherwise fail.
    kf_store_t *store = kf_store_new (path, s_tables, &options, NULL);
    assert_non_null (store);
    s_read_t r = { .store = store };
    kf_err_t err;
    assert_int_equal (kf_store_read (store, s_count_tickets, &r, &err), 0);
    kf_store_destroy (&store);
}

//  Disk full: a commit that cannot be written fails with a clear error and
//  loses nothing committed before it. RLIMIT_FSIZE stands in for a full
//  disk (the write gets EFBIG), in a child so the limit stays there.
static void
test_disk_full_loses_nothing (void **state)
{
    (void) state;
    char path [256];
    snprintf (path, sizeof path, "%s/h", kf_test_dir);
    pid_t pid = fork ();
    if (pid == 0) {
        signal (SIGXFSZ, SIG_IGN);
        kf_store_t *store = kf_store_new (path, s_tables, NULL, NULL);
        s_job_t small = { store, "E001", 10, -1, 0 };
        if (!store || kf_store_write (store, s_put_records, &small, NULL))
            _exit (10);
        struct rlimit limit = { 512 << 10, 512 << 10 };
        setrlimit (RLIMIT_FSIZE, &limit);
        s_job_t big = { store, "E001", 20000, -1, 0 };
        kf_err_t err;
        int rc = kf_store_write (store, s_put_records, &big, &err);
        kf_store_destroy (&store);
        if (rc != -1)
            _exit (11);
        if (!strstr (err.text, "cannot write to disk") || !strstr (err.text, "nothing was written"))
            _exit (12);
        _exit (0);
    }
    int status;
    waitpid (pid, &status, 0);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    //  The ten records committed before are all there; the failed batch is not.
    kf_store_t *store = kf_store_new (path, s_tables, NULL, NULL);
    assert_non_null (store);
    s_read_t r = { .store = store, .estate = "E001", .n = 10 };
    assert_int_equal (kf_store_read (store, s_read_record, &r, NULL), 0);
    assert_int_equal (r.found, KF_FOUND);
    assert_int_equal (r.count, 10);
    kf_store_destroy (&store);
}

typedef struct {
    kf_store_t *store;
    int hooks_run;
    bool fail;
} s_hooked_t;

//  Writes, before the commit, how many records the transaction put.
static void
s_count_hook (kf_txn_t *txn, void *arg)
{
    s_hooked_t *h = arg;
    h->hooks_run++;
    kf_key_t key;
    kf_key_make (&key, "s", "count");
    uint64_t n = kf_txn_count (txn, kf_store_table (h->store, "tickets"));
    kf_txn_put (txn, kf_store_table (h->store, "counters"), &key, &n, sizeof n);
}

static int
s_hooked (kf_txn_t *txn, void *arg)
{
    s_hooked_t *h = arg;
    kf_key_t key;
    for (int i = 0; i < 3; i++) {
        kf_key_make (&key, "u", (uint32_t) i);
        kf_txn_put (txn, kf_store_table (h->store, "tickets"), &key, "x", 1);
        //  Registered three times, run once.
        kf_txn_before_commit (txn, s_count_hook, h);
    }
    if (h->fail)
        return kf_txn_fail (txn, "no");
    return 0;
}

static int
s_read_count (kf_txn_t *txn, void *arg)
{
    uint64_t *n = arg;
    kf_key_t key;
    kf_key_make (&key, "s", "count");
    kf_val_t value;
    *n = 0;
    if (kf_txn_get (txn, kf_store_table (kf_txn_store (txn), "counters"), &key, &value) == KF_FOUND)
        memcpy (n, value.data, sizeof *n);
    return 0;
}

static void
test_hooks_run_before_commit (void **state)
{
    (void) state;
    kf_store_t *store = s_open ("hooks", 0);
    s_hooked_t h = { store, 0, true };
    //  A failed transaction runs no hook.
    assert_int_equal (kf_store_write (store, s_hooked, &h, NULL), -1);
    assert_int_equal (h.hooks_run, 0);
    h.fail = false;
    assert_int_equal (kf_store_write (store, s_hooked, &h, NULL), 0);
    assert_int_equal (h.hooks_run, 1);
    uint64_t n;
    kf_store_read (store, s_read_count, &n, NULL);
    assert_int_equal (n, 3);   //  the hook saw the transaction's own writes
    kf_store_destroy (&store);
}

static void
test_bad_paths (void **state)
{
    (void) state;
    kf_err_t err;
    assert_null (kf_store_new ("/proc/kefu-cannot-be-here", s_tables, NULL, &err));
    assert_non_null (strstr (err.text, "cannot open store /proc/kefu-cannot-be-here"));
}

//  ---- counters, finding, the commit histogram ------------------------------------

static int
s_counters (kf_txn_t *txn, void *arg)
{
    kf_store_t *store = arg;
    kf_table_t counters = kf_store_table (store, "counters"), tickets = kf_store_table (store, "tickets");
    kf_key_t key, empty = { 0 };
    kf_key_make (&key, "s|s", "open", "E001");
    assert_int_equal (kf_txn_counter (txn, counters, &key), 0);
    assert_int_equal (kf_txn_add (txn, counters, &key, 5), 5);
    assert_int_equal (kf_txn_add (txn, counters, &key, -7), 0);   //  never below 0
    assert_int_equal (kf_txn_next (txn, counters, &key), 1);
    assert_int_equal (kf_txn_counter (txn, counters, &key), 1);
    kf_arena_t *arena = kf_arena_new ();
    assert_null (kf_txn_find_msg_in (txn, tickets, &key, &kf__ticket_filed__descriptor, arena));
    assert_null (kf_txn_find_msg_in (txn, tickets, &empty, &kf__ticket_filed__descriptor, arena));
    assert_true (kf_txn_ok (txn));   //  nothing there is no error
    Kf__TicketFiled filed = KF__TICKET_FILED__INIT;
    filed.ticket_no = "E001-20261123-0001";
    kf_txn_put_msg (txn, tickets, &key, &filed.base);
    Kf__TicketFiled *found = (Kf__TicketFiled *) kf_txn_find_msg_in (txn, tickets, &key, &kf__ticket_filed__descriptor,
                                                                      arena);
    assert_non_null (found);
    assert_string_equal (found->ticket_no, "E001-20261123-0001");
    //  A counter that is not 8 bytes is a corrupt store.
    kf_txn_put (txn, counters, &key, "abc", 3);
    assert_int_equal (kf_txn_counter (txn, counters, &key), 0);
    assert_false (kf_txn_ok (txn));
    kf_arena_destroy (&arena);
    return -1;
}

static int
s_write_one (kf_txn_t *txn, void *arg)
{
    kf_store_t *store = arg;
    kf_key_t key;
    kf_key_make (&key, "s", "E001");
    return kf_txn_next (txn, kf_store_table (store, "counters"), &key) ? 0 : -1;
}

static int
s_write_nothing (kf_txn_t *txn, void *arg)
{
    (void) txn; (void) arg;
    return 0;
}

static void
test_counters_find_and_commit_histogram (void **state)
{
    (void) state;
    kf_store_t *store = s_open ("counters", 0);
    assert_int_equal (kf_store_write (store, s_counters, store, NULL), -1);   //  the corrupt counter aborts it
    const kf_store_commits_t *commits = kf_store_commits (store);
    uint64_t before = commits->count;
    assert_int_equal (kf_store_write (store, s_write_nothing, store, NULL), 0);
    assert_int_equal (commits->count, before);            //  an empty write is no durable commit
    assert_int_equal (kf_store_write (store, s_write_one, store, NULL), 0);
    assert_int_equal (commits->count, before + 1);
    assert_int_equal (commits->buckets [KF_STORE_COMMIT_BUCKETS - 1] <= commits->count, 1);
    kf_store_destroy (&store);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_keys_sort_as_their_values),
        cmocka_unit_test_setup_teardown (test_write_read_and_reopen, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_sticky_error_aborts_everything, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_failing_on_purpose, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_map_full_grows_and_redoes, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_map_keeps_its_size_while_copied, kf_test_dir_setup,
                                         kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_rebuild_once, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_scan_cursor_delete, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_backup_is_a_usable_copy, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_stale_readers_are_cleared, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_disk_full_loses_nothing, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_hooks_run_before_commit, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_counters_find_and_commit_histogram, kf_test_dir_setup,
                                         kf_test_dir_teardown),
        cmocka_unit_test (test_bad_paths),
    };
    return cmocka_run_group_tests_name ("kf_store", tests, NULL, NULL);
}
