/*  bench_escalation — arming and firing 1,000,000 SLA timers (issue 6).

    kefu-escalation's domain code over a real store, as the daemon runs it:
    ticket.filed events applied 10,000 to a durable (fsync'd) write
    transaction, each arming a same-day resolution clock; then the clock
    moves past 80 % (a million warnings, each arming the breach) and past
    the deadline (a million breaches, each raising level 1 and arming the
    chain). Prints the rates, the store's size, and the process's anonymous
    memory (its own heap, apart from LMDB's file pages), which must not grow
    with the number of timers; then the on-time report over the month of
    the million late outcomes, from its day tallies and from the records.
    Never fails.
*/
#include "../unit/kf_test.h"
#include "../../services/escalation/escalation.h"
#include "bench_common.h"
#include "kf_time.h"

#include <inttypes.h>

#define S_CASES  1000000
#define S_BATCH  10000

typedef struct {
    escalation_t *escalation;
    int64_t now;
    int from, to;
    int fired;
} s_bench_t;

static int
s_arm (kf_txn_t *txn, void *arg)
{
    s_bench_t *b = arg;
    char ticket_no [40];
    Kf__TicketFiled f = KF__TICKET_FILED__INIT;
    f.ticket_no = ticket_no;
    f.type = KF__TICKET_TYPE__TICKET_TYPE_ENQUIRY;
    f.has_type = 1;
    f.category = KF__CATEGORY__CATEGORY_FEES;
    f.has_category = 1;
    f.filed_by = "F01";
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.estate = "E001";
    event.event_id = "0123456789abcdef0123456789abcdef";
    event.occurred_at_ms = b->now;
    event.has_occurred_at_ms = 1;
    event.body_case = KF__ENVELOPE__BODY_TICKET_FILED;
    event.ticket_filed = &f;
    for (int i = b->from; i < b->to; i++) {
        snprintf (ticket_no, sizeof ticket_no, "E001-20261123-%07d", i);
        if (escalation_apply_event (b->escalation, txn, b->now, &event))
            return -1;
    }
    return 0;
}

static int
s_fire (kf_txn_t *txn, void *arg)
{
    s_bench_t *b = arg;
    b->fired = escalation_fire_due (b->escalation, txn, b->now, S_BATCH);
    return b->fired < 0 ? -1 : 0;
}

typedef struct {
    escalation_t *escalation;
    uint64_t timers;
} s_count_t;

static int
s_count (kf_txn_t *txn, void *arg)
{
    s_count_t *c = arg;
    c->timers = escalation_timer_count (c->escalation, txn);
    return 0;
}

//  kB of the process's anonymous resident memory (heap, stacks), and of
//  file pages mapped in (LMDB's).
static void
s_rss (long *anon, long *file)
{
    char line [256];
    FILE *status = fopen ("/proc/self/status", "r");
    *anon = *file = -1;
    while (status && fgets (line, sizeof line, status)) {
        sscanf (line, "RssAnon: %ld", anon);
        sscanf (line, "RssFile: %ld", file);
    }
    if (status)
        fclose (status);
}

static int
s_cmp_u64 (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

static double
s_fire_all (kf_store_t *store, s_bench_t *b, const char *what)
{
    uint64_t start = bench_now_us ();
    long total = 0;
    do {
        if (kf_store_write (store, s_fire, b, NULL))
            return -1;
        total += b->fired;
    } while (b->fired == S_BATCH);
    double seconds = (double) (bench_now_us () - start) / 1e6;
    printf ("  fire %-30s %8ld timers in %6.2f s: %9.0f timers/s\n", what, total, seconds, (double) total / seconds);
    return seconds;
}

typedef struct {
    escalation_t *escalation;
    int64_t now, from, to;
    Kf__Reply reply;
    kf_arena_t *arena;
} s_report_t;

static int
s_report_txn (kf_txn_t *txn, void *arg)
{
    s_report_t *r = arg;
    Kf__TimeRange period = KF__TIME_RANGE__INIT;
    period.from_ms = r->from;
    period.to_ms = r->to;
    period.has_from_ms = period.has_to_ms = 1;
    Kf__ReportSla report = KF__REPORT_SLA__INIT;
    report.period = &period;
    report.estate = "E001";
    report.group_by = "category";
    Kf__Request request = KF__REQUEST__INIT;
    request.role = KF__ROLE__ROLE_MANAGER;
    request.has_role = 1;
    request.command_case = KF__REQUEST__COMMAND_REPORT_SLA;
    request.report_sla = &report;
    kf_arena_reset (r->arena);
    kf__reply__init (&r->reply);
    return escalation_handle_request (r->escalation, txn, r->now, &request, &r->reply, r->arena);
}

//  The on-time report over November (issue 25.3): its whole days from the
//  day tallies; then the same outcomes read from the records, as the
//  report reads part-days (the month in half-days, none of them whole).
static void
s_report (kf_store_t *store, s_bench_t *b)
{
    s_report_t r = { .escalation = b->escalation, .now = b->now, .arena = kf_arena_new () };
    kf_time_parse ("2026-11-01 00:00", 0, &r.from, NULL);
    kf_time_parse ("2026-12-01 00:00", 0, &r.to, NULL);
    int64_t month_from = r.from, month_to = r.to;
    uint64_t took [20], outcomes = 0;
    for (int i = 0; i < 20; i++) {
        uint64_t t0 = bench_now_us ();
        kf_store_write (store, s_report_txn, &r, NULL);
        took [i] = bench_now_us () - t0;
    }
    for (size_t i = 0; r.reply.sla_report && i < r.reply.sla_report->n_rows; i++)
        outcomes += r.reply.sla_report->rows [i]->total;
    qsort (took, 20, sizeof *took, s_cmp_u64);
    uint64_t records = 0, t0 = bench_now_us ();
    for (r.from = month_from; r.from < month_to; r.from += 12 * 3600000LL) {
        r.to = r.from + 12 * 3600000LL;
        kf_store_write (store, s_report_txn, &r, NULL);
        for (size_t i = 0; r.reply.sla_report && i < r.reply.sla_report->n_rows; i++)
            records += r.reply.sla_report->rows [i]->total;
    }
    double scan_s = (double) (bench_now_us () - t0) / 1e6;
    printf ("  on-time report, E001 over November (%" PRIu64 " outcomes): p50 %.2f ms, max %.2f ms from the day "
            "tallies; from the records: %.2f s (%s)\n", outcomes, took [10] / 1000.0, took [19] / 1000.0, scan_s,
            records == outcomes ? "equal" : "NOT EQUAL");
    kf_arena_destroy (&r.arena);
}

int
main (void)
{
    const char *text =
        "bus\n    publish = ipc://x/in\n    subscribe = ipc://x/out\n"
        "cluster\n    log_level = warning\n"
        "estates\n    E001\n        name = bench\n"
        "        staff\n            S01\n                name = s\n                department = customer_service\n"
        "                role = supervisor\n            D01\n                name = d\n"
        "                department = customer_service\n                role = manager\n";
    kf_err_t err;
    kf_config_t *config = kf_config_load_text (text, "bench", &err);
    if (!config || kf_test_dir_setup (NULL)) {
        fprintf (stderr, "bench_escalation: %s\n", config ? "no scratch directory" : err.text);
        return 1;
    }
    kf_log_init ("bench_escalation", KF_LOG_WARNING);
    char path [128];
    snprintf (path, sizeof path, "%s/store", kf_test_dir);
    const char *tables [] = { ESCALATION_TABLES, NULL };
    kf_store_t *store = kf_store_new (path, tables, NULL, &err);
    kf_outbox_t *outbox = store ? kf_outbox_new (store, "escalation@c1", &err) : NULL;
    s_bench_t b = { .escalation = escalation_new (config, &err) };
    if (!outbox || !b.escalation) {
        fprintf (stderr, "bench_escalation: %s\n", err.text);
        return 1;
    }
    escalation_set_outbox (b.escalation, outbox);
    b.now = 0;
    kf_time_parse ("2026-11-23 10:00", 480, &b.now, &err);   //  a Monday: due 18:00, warned at 16:24

    printf ("bench_escalation: %d same-day clocks, %d events to a durable transaction\n", S_CASES, S_BATCH);
    long anon0, file0, anon1, file1, anon2, file2, anon_tenth = -1, file_tenth;
    s_rss (&anon0, &file0);
    uint64_t start = bench_now_us ();
    for (b.from = 0; b.from < S_CASES; b.from = b.to) {
        b.to = b.from + S_BATCH;
        if (kf_store_write (store, s_arm, &b, &err)) {
            fprintf (stderr, "bench_escalation: %s\n", err.text);
            return 1;
        }
        if (b.to == S_CASES / 10)
            s_rss (&anon_tenth, &file_tenth);
    }
    double seconds = (double) (bench_now_us () - start) / 1e6;
    s_count_t armed = { b.escalation, 0 };
    kf_store_read (store, s_count, &armed, NULL);
    s_rss (&anon1, &file1);
    printf ("  arm  %-30s %8d timers in %6.2f s: %9.0f timers/s\n", "(ticket.filed)", S_CASES, seconds,
            S_CASES / seconds);
    printf ("  armed timers in the store: %" PRIu64 "; store %.0f MiB\n", armed.timers,
            kf_store_used (store) / 1048576.0);
    printf ("  anonymous memory: %ld kB before, %ld kB with %d armed, %ld kB with all armed "
            "(LMDB's file pages resident: %ld kB)\n", anon0, anon_tenth, S_CASES / 10, anon1, file1);

    kf_time_parse ("2026-11-23 16:30", 480, &b.now, &err);
    s_fire_all (store, &b, "warnings (80 %)");
    kf_time_parse ("2026-11-23 18:00", 480, &b.now, &err);
    s_fire_all (store, &b, "breaches and level 1");
    kf_store_read (store, s_count, &armed, NULL);
    s_rss (&anon2, &file2);
    printf ("  armed after: %" PRIu64 " (each case's next level); store %.0f MiB; anonymous memory %ld kB\n",
            armed.timers, kf_store_used (store) / 1048576.0, anon2);

    s_report (store, &b);

    escalation_destroy (&b.escalation);
    kf_outbox_destroy (&outbox);
    kf_store_destroy (&store);
    kf_config_destroy (&config);
    kf_test_remove_tree (kf_test_dir);
    return 0;
}
