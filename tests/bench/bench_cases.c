/*  bench_cases — years of cases in kefu-intake's store (issue 25.3): a
    generator files tickets over ten years and many estates through
    intake's own domain code, 10,000 to a durable transaction, and closes
    19 in 20 of them as it goes; then 1,000 random queries of each kind, as
    the daemon answers them (a write transaction each, as kf_commands runs
    a batch): an estate's open tickets with their total, a month of an
    estate's tickets with its total, and a ticket shown with its timeline.
    Prints p50/p99/max per kind and the store's size per ticket. Then
    (issue 25.4) kefu-intake is started on the store and files 1,000
    tickets a second while kefuctl backup's request copies it: the copy's
    time, and the filings' times before and during it. Never fails.

    KEFU_CASES (default 1,000,000) and KEFU_CASES_ESTATES (default 100) set
    the store: KEFU_CASES=10000000 KEFU_CASES_ESTATES=1000 is the issue's.
*/
#include "../unit/kf_test.h"
#include "../integration/kf_harness.h"
#include "../unit/kf_filing.h"
#include "../../services/intake/intake.h"
#include "bench_common.h"
#include "kf_field.h"
#include "kf_time.h"
#include "commands.pb-c.h"

#include <inttypes.h>
#include <sys/stat.h>

#define S_BATCH   10000
#define S_QUERIES 1000
#define S_YEARS   10
#define S_DAY_MS  86400000LL

typedef struct {
    intake_t *intake;
    kf_arena_t *arena;
    uint64_t cases, estates;
    uint64_t from, to;        //  this batch's tickets
    int64_t start_ms, span_ms;
    const Kf__Request *request;
    Kf__Reply reply;
    Kf__ReplyStatus status;
} s_bench_t;

static int
s_file_batch (kf_txn_t *txn, void *arg)
{
    s_bench_t *b = arg;
    for (uint64_t i = b->from; i < b->to; i++) {
        kf_arena_reset (b->arena);
        char key [32], estate [24], unit [72], phone [24];
        snprintf (key, sizeof key, "gen-%" PRIu64, i);
        snprintf (estate, sizeof estate, "E%04" PRIu64, i % b->estates + 1);
        snprintf (unit, sizeof unit, "%" PRIu64 "-%" PRIu64 "-%" PRIu64, i % 30 + 1, i / 30 % 6 + 1, i / 180 % 3000 + 1);
        snprintf (phone, sizeof phone, "139%08" PRIu64, i % 100000000);
        Kf__FileTicket f = kf_filing (estate, key, "kitchen tap drips into the cupboard below");
        f.unit = unit;
        f.reporter_phone = phone;
        Kf__Request request = KF__REQUEST__INIT;
        request.actor = "gen";
        request.command_case = KF__REQUEST__COMMAND_FILE_TICKET;
        request.file_ticket = &f;
        int64_t at = b->start_ms + (int64_t) (i * (uint64_t) b->span_ms / b->cases);
        kf__reply__init (&b->reply);
        KF_SET (&b->reply, status, KF__REPLY_STATUS__REPLY_STATUS_OK);
        if (intake_handle_request (b->intake, txn, at, &request, &b->reply, b->arena) < 0
        ||  b->reply.status != KF__REPLY_STATUS__REPLY_STATUS_OK)
            return -1;
        if (i % 20 == 0)
            continue;   //  one in twenty stays open
        Kf__CloseTicket close = KF__CLOSE_TICKET__INIT;
        close.ticket_no = b->reply.ticket->ticket_no;
        close.resolution = "fixed";
        request.command_case = KF__REQUEST__COMMAND_CLOSE_TICKET;
        request.close_ticket = &close;
        kf__reply__init (&b->reply);
        KF_SET (&b->reply, status, KF__REPLY_STATUS__REPLY_STATUS_OK);
        if (intake_handle_request (b->intake, txn, at + 3600000, &request, &b->reply, b->arena) < 0)
            return -1;
    }
    return 0;
}

static int
s_query (kf_txn_t *txn, void *arg)
{
    s_bench_t *b = arg;
    kf_arena_reset (b->arena);
    kf__reply__init (&b->reply);
    KF_SET (&b->reply, status, KF__REPLY_STATUS__REPLY_STATUS_OK);
    int rc = intake_handle_request (b->intake, txn, b->start_ms + b->span_ms, b->request, &b->reply, b->arena);
    b->status = b->reply.status;
    return rc < 0 ? -1 : 0;
}

static int
s_tallies_built (kf_txn_t *txn, void *arg)
{
    uint64_t built;
    return intake_tally_build (arg, txn, &built);
}

static int
s_send_nowhere (const char *topic, const void *envelope, size_t size, void *arg)
{
    (void) topic; (void) envelope; (void) size; (void) arg;
    return 0;
}

static int
s_checkpoint (kf_txn_t *txn, void *arg)
{
    kf_outbox_maintain (arg, txn, 0, INT64_MAX, UINT64_MAX, 0);
    return kf_txn_ok (txn) ? 0 : -1;
}

static void
s_print (const char *what, uint64_t *took, int n, const char *also)
{
    if (n == 0) {
        printf ("  %-42s      0  (every query failed) %s\n", what, also);
        return;
    }
    qsort (took, (size_t) n, sizeof *took, h_cmp_u64);
    printf ("  %-42s %6d %8.2f %8.2f %8.2f  %s\n", what, n, took [n / 2] / 1000.0, took [n * 99 / 100] / 1000.0,
            took [n - 1] / 1000.0, also);
}

//  ---- a backup while filing goes on (issue 25.4) ----------------------------------------

#define S_FILE_RATE 1000          //  filings a second while the copy is made
#define S_FILINGS_MAX 4000000     //  an hour of them at most

//  kefu-intake started on the store, filing at S_FILE_RATE: a second of
//  it, then kefuctl backup's request, then on until its reply and a second
//  more. Prints the copy's time and size, and the filings' times before
//  and during the copy.
static void
s_backup_while_filing (const char *config, uint64_t estates)
{
    h_init ();
    static h_proc_t procs [H_CLUSTER_MAX];
    const char *services [] = { "intake", NULL };
    char clock [256], endpoint [300];
    snprintf (clock, sizeof clock, "%s/clock", kf_test_dir);
    uint64_t t0 = bench_now_us ();
    if (h_run (kf_test_dir, NULL, 0, NULL, 0, "kefuctl", "clock", "set", "2026-12-01T10:00:00+08:00", "--file",
               clock, NULL)
    ||  h_cluster_up (procs, services, config, clock)) {
        fprintf (stderr, "bench_cases: kefu-intake did not start on the store (see %s)\n", kf_test_dir);
        h_kill_all ();
        return;
    }
    double started_s = (double) (bench_now_us () - t0) / 1e6;
    snprintf (endpoint, sizeof endpoint, "ipc://%s/intake", kf_test_dir);
    zsock_t *intake = zsock_new_dealer (endpoint);
    uint64_t *sent = calloc (S_FILINGS_MAX, sizeof *sent), *answered = calloc (S_FILINGS_MAX, sizeof *answered);
    uint64_t start = bench_now_us (), asked = 0, done = 0, bytes = 0;
    int next = 0, failed = 0;
    char error [256] = "";
    while (intake && sent && answered && next < S_FILINGS_MAX && bench_now_us () - start < 3600000000ULL) {
        uint64_t now = bench_now_us ();
        if (done && now - done > 1000000)
            break;
        for (uint64_t due = bench_due (S_FILINGS_MAX, S_FILE_RATE, now - start); (uint64_t) next < due; next++) {
            char key [32], id [16], estate [24];
            snprintf (key, sizeof key, "during-%d", next);
            snprintf (id, sizeof id, "f%d", next);
            snprintf (estate, sizeof estate, "E%04" PRIu64, (uint64_t) next % estates + 1);
            Kf__FileTicket f = kf_filing (estate, key, "the tap drips while the store is copied");
            Kf__Request request = KF__REQUEST__INIT;
            request.request_id = id;
            request.actor = "bench";
            request.command_case = KF__REQUEST__COMMAND_FILE_TICKET;
            request.file_ticket = &f;
            sent [next] = bench_now_us ();
            h_send_request (intake, &request);
        }
        if (!asked && now - start > 1000000) {
            Kf__Backup backup = KF__BACKUP__INIT;
            Kf__Request request = KF__REQUEST__INIT;
            request.request_id = "backup";
            request.actor = "bench";
            KF_SET (&request, role, KF__ROLE__ROLE_OPERATIONS);
            request.command_case = KF__REQUEST__COMMAND_BACKUP;
            request.backup = &backup;
            asked = bench_now_us ();
            h_send_request (intake, &request);
        }
        zpoller_t *poller = zpoller_new (intake, NULL);
        zframe_t *frame = zpoller_wait (poller, 1) ? zframe_recv (intake) : NULL;
        zpoller_destroy (&poller);
        Kf__Reply *reply = frame ? kf__reply__unpack (NULL, zframe_size (frame), zframe_data (frame)) : NULL;
        zframe_destroy (&frame);
        if (reply && reply->request_id && strcmp (reply->request_id, "backup") == 0) {
            done = bench_now_us ();
            if (reply->result_case == KF__REPLY__RESULT_BACKUP)
                bytes = reply->backup->bytes;
            else
                snprintf (error, sizeof error, "%s", reply->error ? reply->error : "?");
        }
        else
        if (reply && reply->request_id && reply->request_id [0] == 'f') {
            int i = atoi (reply->request_id + 1);
            if (reply->status != KF__REPLY_STATUS__REPLY_STATUS_OK)
                failed++;
            else
            if (i >= 0 && i < next)
                answered [i] = bench_now_us ();
        }
        if (reply)
            kf__reply__free_unpacked (reply, NULL);
    }
    //  Before the request, and while the copy was made.
    uint64_t *before = calloc ((size_t) next + 1, sizeof *before), *during = calloc ((size_t) next + 1, sizeof *during);
    int nb = 0, nd = 0;
    for (int i = 0; before && during && i < next; i++)
        if (answered [i] && answered [i] < asked)
            before [nb++] = answered [i] - sent [i];
        else
        if (answered [i] && answered [i] <= done)
            during [nd++] = answered [i] - sent [i];
    printf ("  kefu-intake started on it in %.2f s; filing %d a second, then kefuctl backup (a compact copy and "
            "its manifest, made in a thread):\n", started_s, S_FILE_RATE);
    if (done && !*error)
        printf ("    copy of %.0f MiB in %.1f s (%.0f MiB/s)\n", (double) bytes / 1048576.0,
                (double) (done - asked) / 1e6, (double) bytes / 1048576.0 / ((double) (done - asked) / 1e6));
    else
        printf ("    backup %s: %s\n", done ? "refused" : "never answered", *error ? error : "in an hour");
    printf ("  filing (reply)                             count   p50 ms   p99 ms   max ms\n");
    s_print ("before the backup", before, nb, "");
    char also [64];
    snprintf (also, sizeof also, "%d refused", failed);
    s_print ("while the copy was made", during, nd, failed ? also : "");
    free (before);
    free (during);
    free (sent);
    free (answered);
    zsock_destroy (&intake);
    h_cluster_down (procs, services);
}

int
main (void)
{
    s_bench_t b = { .cases = 1000000, .estates = 100 };
    if (getenv ("KEFU_CASES"))
        b.cases = strtoull (getenv ("KEFU_CASES"), NULL, 10);
    if (getenv ("KEFU_CASES_ESTATES"))
        b.estates = strtoull (getenv ("KEFU_CASES_ESTATES"), NULL, 10);
    if (b.cases < 1000 || b.estates < 1 || b.estates > 9999) {
        fprintf (stderr, "bench_cases: KEFU_CASES is at least 1000, KEFU_CASES_ESTATES 1 to 9999\n");
        return 1;
    }
    if (kf_test_dir_setup (NULL)) {
        fprintf (stderr, "bench_cases: no scratch directory\n");
        return 1;
    }
    //  The store is kefu-intake's own, where its daemon looks for it: the
    //  backup is taken from the daemon, filing all the while.
    size_t size = 4096 + b.estates * 64;
    char *text = malloc (size);
    const char *d = kf_test_dir;
    int n = snprintf (text, size, "cluster\n    name = c1\n    data_dir = %s/data\n    log_level = warning\n"
                      "bus\n    publish = ipc://%s/bus-in\n    subscribe = ipc://%s/bus-out\n"
                      "    outbox_max_age = 3650d\n"
                      "registry\n    check_units = false\n"
                      "services\n    intake\n        endpoint = ipc://%s/intake\n        replay = ipc://%s/intake-replay\n"
                      "estates\n", d, d, d, d, d);
    for (uint64_t e = 1; e <= b.estates; e++)
        n += snprintf (text + n, size - (size_t) n, "    E%04" PRIu64 "\n        name = estate\n", e);
    kf_err_t err;
    kf_config_t *config = kf_config_load_text (text, "bench", &err);
    char config_path [256];
    if (config)
        h_write ("kefu.conf", text, config_path, sizeof config_path);
    free (text);
    if (!config) {
        fprintf (stderr, "bench_cases: %s\n", err.text);
        kf_test_remove_tree (kf_test_dir);
        return 1;
    }
    kf_log_init ("bench_cases", KF_LOG_WARNING);
    char path [128];
    snprintf (path, sizeof path, "%s/data", kf_test_dir);
    mkdir (path, 0750);
    snprintf (path, sizeof path, "%s/data/intake", kf_test_dir);
    const char *tables [] = { INTAKE_TABLES, NULL };
    kf_store_t *store = kf_store_new (path, tables, NULL, &err);
    kf_outbox_t *outbox = store ? kf_outbox_new (store, "intake@c1", &err) : NULL;
    b.intake = outbox ? intake_new (config, "intake@c1", &err) : NULL;
    b.arena = kf_arena_new ();
    if (!b.intake || !b.arena) {
        fprintf (stderr, "bench_cases: %s\n", err.text);
        kf_test_remove_tree (kf_test_dir);
        return 0;   //  a benchmark prints; it does not fail the build
    }
    intake_set_outbox (b.intake, outbox);
    //  The tallies are kept as tickets are filed: marked built, as a new
    //  daemon's store is, so the daemon does not count them again.
    kf_store_write (store, s_tallies_built, b.intake, NULL);
    kf_time_parse ("2016-12-01 00:00", 480, &b.start_ms, &err);
    b.span_ms = S_YEARS * 365 * S_DAY_MS;

    printf ("\nbench_cases: %" PRIu64 " tickets over %d years and %" PRIu64 " estates in kefu-intake's store, "
            "%d to a durable transaction, 19 in 20 closed\n", b.cases, S_YEARS, b.estates, S_BATCH);
    uint64_t start = bench_now_us ();
    for (b.from = 0; b.from < b.cases; b.from = b.to) {
        b.to = b.from + S_BATCH < b.cases ? b.from + S_BATCH : b.cases;
        if (kf_store_write (store, s_file_batch, &b, &err)) {
            fprintf (stderr, "bench_cases: at ticket %" PRIu64 ": %s %s\n", b.from, err.text,
                     b.reply.error ? b.reply.error : "");
            kf_store_destroy (&store);
            kf_test_remove_tree (kf_test_dir);
            return 0;
        }
    }
    //  The events were "sent" as the daemon sends them (here to nobody),
    //  their marks kept: its start sends nothing again.
    kf_outbox_flush (outbox, s_send_nowhere, NULL, NULL);
    kf_store_write (store, s_checkpoint, outbox, NULL);
    double seconds = (double) (bench_now_us () - start) / 1e6;
    uint64_t used = kf_store_used (store);
    printf ("  generated in %.0f s (%.0f tickets/s, each filed and most closed); store %.0f MiB, %.0f bytes a "
            "ticket (its outbox of ticket.filed and ticket.closed included)\n", seconds, b.cases / seconds,
            used / 1048576.0, (double) used / (double) b.cases);

    printf ("  query (1,000 random each)                  count   p50 ms   p99 ms   max ms\n");
    uint64_t *took = calloc (S_QUERIES, sizeof *took);
    Kf__PageRequest page = KF__PAGE_REQUEST__INIT;
    KF_SET (&page, page_size, 50);
    Kf__Request request = KF__REQUEST__INIT;
    request.actor = "bench";
    b.request = &request;
    uint64_t totals = 0;
    char estate [24], ticket_no [40];
    const char *kinds [] = { "list an estate's open tickets, with total", "list an estate's month, with total",
                             "show a ticket, with its timeline" };
    for (int kind = 0; kind < 3; kind++) {
        totals = 0;
        int failed = 0;
        for (int q = 0; q < S_QUERIES; q++) {
            uint64_t pick = (uint64_t) q * 2654435761u % b.cases;
            snprintf (estate, sizeof estate, "E%04" PRIu64, pick % b.estates + 1);
            Kf__ListTickets list = KF__LIST_TICKETS__INIT;
            Kf__TimeRange month = KF__TIME_RANGE__INIT;
            Kf__ShowTicket show = KF__SHOW_TICKET__INIT;
            list.estate = estate;
            list.page = &page;
            if (kind == 0)
                KF_SET (&list, status, KF__TICKET_STATUS__TICKET_STATUS_OPEN);
            if (kind == 1) {
                int64_t from = b.start_ms + (int64_t) (pick * (uint64_t) b.span_ms / b.cases);
                KF_SET (&month, from_ms, from);
                KF_SET (&month, to_ms, from + 30 * S_DAY_MS);
                list.filed = &month;
            }
            if (kind < 2)
                request.command_case = KF__REQUEST__COMMAND_LIST_TICKETS, request.list_tickets = &list;
            else {
                //  A ticket of the estate filed that day: its number from the
                //  list of that day (outside the timing).
                Kf__TimeRange day = KF__TIME_RANGE__INIT;
                int64_t at = b.start_ms + (int64_t) (pick * (uint64_t) b.span_ms / b.cases);
                KF_SET (&day, from_ms, at - S_DAY_MS);
                KF_SET (&day, to_ms, at + S_DAY_MS);
                list.filed = &day;
                request.command_case = KF__REQUEST__COMMAND_LIST_TICKETS, request.list_tickets = &list;
                kf_store_write (store, s_query, &b, NULL);
                if (b.status != KF__REPLY_STATUS__REPLY_STATUS_OK || !b.reply.tickets->n_tickets) {
                    failed++;
                    continue;
                }
                snprintf (ticket_no, sizeof ticket_no, "%s", b.reply.tickets->tickets [0]->ticket_no);
                show.ticket_no = ticket_no;
                request.command_case = KF__REQUEST__COMMAND_SHOW_TICKET, request.show_ticket = &show;
            }
            uint64_t t0 = bench_now_us ();
            kf_store_write (store, s_query, &b, NULL);
            took [q - failed] = bench_now_us () - t0;
            if (b.status != KF__REPLY_STATUS__REPLY_STATUS_OK) {
                failed++;
                continue;
            }
            if (kind < 2)
                totals += b.reply.tickets->total;
        }
        char also [96] = "";
        if (kind < 2)
            snprintf (also, sizeof also, "(%.1f tickets in a total, on average)",
                      (double) totals / (S_QUERIES - failed));
        if (failed)
            snprintf (also + strlen (also), sizeof also - strlen (also), " %d failed", failed);
        s_print (kinds [kind], took, S_QUERIES - failed, also);
    }
    free (took);
    intake_destroy (&b.intake);
    kf_arena_destroy (&b.arena);
    kf_outbox_destroy (&outbox);
    kf_store_destroy (&store);
    kf_config_destroy (&config);
    s_backup_while_filing (config_path, b.estates);
    kf_test_remove_tree (kf_test_dir);
    return 0;
}
