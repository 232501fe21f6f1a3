/*  bench_billing — a monthly billing run over 1,000,000 units (issue 8:
    target 10 s on this machine).

    kefu-billing's domain code over a real store, as the daemon runs it:
    the units are learnt from the registry's unit.registered events, made
    from CSV files of 200,000 as the registry's import makes them, then the run is
    requested again and again (each request a durable, fsync'd transaction
    of BILLING_RUN_CHUNK units: its notices, their events and the run's
    progress) until nothing remains. A second run of the month, which must
    issue nothing, is timed too. Prints; never fails.
*/
#include "../unit/kf_test.h"
#include "../integration/kf_harness.h"
#include "../../services/billing/billing.h"
#include "bench_common.h"
#include "kf_money.h"
#include "kf_units_csv.h"

#include <inttypes.h>

#define S_UNITS   1000000
#define S_IMPORT  200000
#define S_NOW     INT64_C (1794700800000)   //  2026-11-15T00:00Z: November is billed in November

typedef struct {
    billing_t *billing;
    kf_arena_t *arena;
    Kf__Request *request;
    Kf__Reply reply;
} s_bench_t;

static int
s_request (kf_txn_t *txn, void *arg)
{
    s_bench_t *b = arg;
    kf_arena_reset (b->arena);
    kf__reply__init (&b->reply);
    b->reply.status = KF__REPLY_STATUS__REPLY_STATUS_OK;
    return billing_handle_request (b->billing, txn, S_NOW, b->request, &b->reply, b->arena);
}

static int
s_do (kf_store_t *store, s_bench_t *b, Kf__Request *request)
{
    b->request = request;
    request->role = KF__ROLE__ROLE_OPERATIONS;
    request->has_role = 1;
    kf_err_t err;
    if (kf_store_write (store, s_request, b, &err) || b->reply.status != KF__REPLY_STATUS__REPLY_STATUS_OK) {
        fprintf (stderr, "bench_billing: %s\n", b->reply.error ? b->reply.error : err.text);
        return -1;
    }
    return 0;
}

static int
s_learn (kf_txn_t *txn, void *arg)
{
    void **a = arg;
    const kf_units_csv_t *file = a [1];
    for (size_t i = 0; i < file->count; i++) {
        Kf__UnitRegistered registered = KF__UNIT_REGISTERED__INIT;
        registered.unit = file->units [i];
        Kf__Envelope event = KF__ENVELOPE__INIT;
        event.estate = "E001";
        event.stream = "registry@c1/E001";
        event.body_case = KF__ENVELOPE__BODY_UNIT_REGISTERED;
        event.unit_registered = &registered;
        if (billing_apply_event (a [0], txn, S_NOW, &event))
            return -1;
    }
    return 0;
}

//  One run of November: requests until every unit was visited.
static int
s_run (kf_store_t *store, s_bench_t *b, const char *what)
{
    Kf__RunBilling run = KF__RUN_BILLING__INIT;
    run.estate = "E001";
    run.period = 202611;
    run.has_period = 1;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_RUN_BILLING;
    request.run_billing = &run;
    uint64_t issued = 0, skipped = 0, requests = 0;
    int64_t total = 0;
    uint64_t start = bench_now_us ();
    do {
        if (s_do (store, b, &request))
            return -1;
        issued += b->reply.billing_run->issued;
        skipped += b->reply.billing_run->skipped_already_billed;
        total += b->reply.billing_run->total_fen;
        requests++;
    } while (b->reply.billing_run->remaining > 0);
    double seconds = (double) (bench_now_us () - start) / 1e6;
    char money [32];
    printf ("  %-14s %7" PRIu64 " notices, %7" PRIu64 " already billed, ¥%s, %" PRIu64 " requests: %6.2f s, %8.0f units/s\n",
            what, issued, skipped, kf_fen_format (total, money, sizeof money), requests, seconds,
            (double) (issued + skipped) / seconds);
    return 0;
}

static int
s_sum_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *message, void *arg)
{
    (void) txn; (void) key;
    const Kf__Invoice *invoice = (const Kf__Invoice *) message;
    int64_t *sum = arg, total = invoice->issued->total_fen;
    sum [0] += total;
    sum [1] += invoice->paid_fen < total ? invoice->paid_fen : total;
    return 0;
}

static int
s_sum_txn (kf_txn_t *txn, void *arg)
{
    kf_key_t prefix;
    kf_key_make (&prefix, "s|u|", "E001", 202611);
    void **a = arg;
    return kf_txn_scan_msg (txn, kf_store_table (a [0], "invoices"), &prefix, &kf__invoice__descriptor, s_sum_row,
                            a [1]) < 0 ? -1 : 0;
}

//  The collection report of the month's million notices (issue 25.3),
//  from its tallies; and the same sums read from every notice, as the
//  report did before the tallies.
static void
s_collection (kf_store_t *store, s_bench_t *b)
{
    Kf__ReportCollection collection = KF__REPORT_COLLECTION__INIT;
    collection.estate = "E001";
    collection.period_from = 202601;
    collection.has_period_from = 1;
    collection.period_to = 202612;
    collection.has_period_to = 1;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_REPORT_COLLECTION;
    request.report_collection = &collection;
    uint64_t took [100];
    for (int i = 0; i < 100; i++) {
        uint64_t t0 = bench_now_us ();
        if (s_do (store, b, &request))
            return;
        took [i] = bench_now_us () - t0;
    }
    qsort (took, 100, sizeof *took, h_cmp_u64);
    int64_t billed = b->reply.collection->rows [0]->billed_fen;
    int64_t sum [2] = { 0, 0 };
    void *args [2] = { store, sum };
    uint64_t t0 = bench_now_us ();
    kf_store_read (store, s_sum_txn, args, NULL);
    double scan_s = (double) (bench_now_us () - t0) / 1e6;
    printf ("  collection report, E001 over 2026 (%d notices): p50 %.2f ms, p99 %.2f ms from the tallies; "
            "the same sums from every notice: %.2f s (%s)\n", S_UNITS, took [50] / 1000.0, took [99] / 1000.0, scan_s,
            sum [0] == billed ? "equal" : "NOT EQUAL");
}

int
main (void)
{
    const char *text = "bus\n    publish = ipc://x/in\n    subscribe = ipc://x/out\n"
                       "estates\n    E001\n        name = bench\n";
    kf_err_t err;
    kf_log_init ("bench_billing", KF_LOG_WARNING);
    kf_config_t *config = kf_config_load_text (text, "bench", &err);
    if (!config || kf_test_dir_setup (NULL)) {
        fprintf (stderr, "bench_billing: %s\n", config ? "no scratch directory" : err.text);
        return 1;
    }
    char path [128];
    snprintf (path, sizeof path, "%s/store", kf_test_dir);
    const char *tables [] = { BILLING_TABLES, NULL };
    kf_store_t *store = kf_store_new (path, tables, NULL, &err);
    kf_outbox_t *outbox = store ? kf_outbox_new (store, "billing@c1", &err) : NULL;
    s_bench_t b = { .billing = billing_new (config, &err), .arena = kf_arena_new () };
    if (!outbox || !b.billing) {
        fprintf (stderr, "bench_billing: %s\n", err.text);
        return 1;
    }
    billing_set_outbox (b.billing, outbox);
    printf ("bench_billing: a billing run over %d units, %d units a durable transaction\n", S_UNITS,
            BILLING_RUN_CHUNK);

    //  The units, 200,000 a request: mixed areas, some vacant, some with parking.
    size_t size = 64 + (size_t) S_IMPORT * 40;
    char *csv = malloc (size);
    uint64_t start = bench_now_us ();
    for (int from = 0; from < S_UNITS; from += S_IMPORT) {
        size_t used = (size_t) snprintf (csv, size, "unit,area_m2,occupied,parking_spaces\n");
        for (int i = from; i < from + S_IMPORT; i++)
            used += (size_t) snprintf (csv + used, size - used, "%d-%d-%d,%d.%02d,%s,%d\n", i / 10000 + 1,
                                       i / 100 % 100 + 1, i % 100 + 1, 60 + i % 90, i % 100, i % 7 ? "yes" : "no",
                                       i % 5 == 0);
        //  As billing learns them: the registry checks the file and
        //  announces each unit (unit.registered).
        kf_arena_reset (b.arena);
        kf_units_csv_t file;
        if (kf_units_csv_parse (csv, used, "E001", b.arena, &file) || file.rejected) {
            fprintf (stderr, "bench_billing: the units' file is refused\n");
            return 1;
        }
        void *learn [2] = { b.billing, &file };
        if (kf_store_write (store, s_learn, learn, &err)) {
            fprintf (stderr, "bench_billing: %s\n", err.text);
            return 1;
        }
    }
    free (csv);
    printf ("  import         %7d units: %6.2f s\n", S_UNITS, (double) (bench_now_us () - start) / 1e6);

    Kf__BuildingRate rate = KF__BUILDING_RATE__INIT;
    rate.building_type = "default";
    rate.fen_per_m2_month = 235;
    rate.has_fen_per_m2_month = 1;
    Kf__BuildingRate *rates [] = { &rate };
    Kf__FeeItem garbage = KF__FEE_ITEM__INIT;
    garbage.name = "garbage";
    garbage.amount_fen = 1000;
    garbage.has_amount_fen = 1;
    Kf__FeeItem *items [] = { &garbage };
    Kf__FeeSchedule f = KF__FEE_SCHEDULE__INIT;
    f.effective_from = 20260101;
    f.has_effective_from = 1;
    f.rates = rates;
    f.n_rates = 1;
    f.parking_fen_per_space = 30000;
    f.has_parking_fen_per_space = 1;
    f.fixed_items = items;
    f.n_fixed_items = 1;
    f.vacant_discount_percent = 30;
    f.has_vacant_discount_percent = 1;
    Kf__SetFeeSchedule set = KF__SET_FEE_SCHEDULE__INIT;
    set.estate = "E001";
    set.schedule = &f;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_SET_FEE_SCHEDULE;
    request.set_fee_schedule = &set;
    if (s_do (store, &b, &request) || s_run (store, &b, "run") || s_run (store, &b, "run again"))
        return 1;
    printf ("  store %.0f MiB; target: the run within 10 s\n", kf_store_used (store) / 1048576.0);
    s_collection (store, &b);

    billing_destroy (&b.billing);
    kf_arena_destroy (&b.arena);
    kf_outbox_destroy (&outbox);
    kf_store_destroy (&store);
    kf_config_destroy (&config);
    kf_test_remove_tree (kf_test_dir);
    return 0;
}
