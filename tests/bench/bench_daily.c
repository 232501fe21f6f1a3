/*  bench_daily — the daily statistics of 1,000 estates (issue 25.3: within
    5 s, reported before 12:00).

    kefu-survey's domain code over a real store, as the daemon runs it: a
    day of cases (20 tickets an estate filed, most closed, as ticket.*
    events, a day's in one durable transaction) counted into each estate's
    day as they come; then the tick after 08:00 next morning, in one write
    transaction as kf_service runs it, makes and publishes every estate's
    report of the day. Three days in a row. Prints; never fails.
*/
#include "../unit/kf_test.h"
#include "../../services/survey/survey.h"
#include "bench_common.h"
#include "kf_field.h"
#include "kf_time.h"

#include <inttypes.h>

#define S_ESTATES 1000
#define S_TICKETS 20      //  a day, an estate
#define S_DAYS    3

typedef struct {
    survey_t *survey;
    int64_t now;
    int day;
    int done;
    int filed, closed;   //  of one estate's report, read back
} s_bench_t;

static int
s_day_of_cases (kf_txn_t *txn, void *arg)
{
    s_bench_t *b = arg;
    char ticket_no [48], estate [16];
    for (int e = 1; e <= S_ESTATES; e++)
        for (int t = 0; t < S_TICKETS; t++) {
            snprintf (estate, sizeof estate, "E%04d", e);
            snprintf (ticket_no, sizeof ticket_no, "%s-2026120%d-%04d", estate, b->day + 1, t + 1);
            Kf__TicketFiled f = KF__TICKET_FILED__INIT;
            f.ticket_no = ticket_no;
            f.unit = "1-1-101";
            KF_SET (&f, type, t % 4 ? KF__TICKET_TYPE__TICKET_TYPE_REPAIR : KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT);
            KF_SET (&f, category, KF__CATEGORY__CATEGORY_PLUMBING);
            Kf__TicketClosed c = KF__TICKET_CLOSED__INIT;
            c.ticket_no = ticket_no;
            Kf__Envelope event = KF__ENVELOPE__INIT;
            event.estate = estate;
            event.occurred_at_ms = b->now;
            event.has_occurred_at_ms = 1;
            event.body_case = KF__ENVELOPE__BODY_TICKET_FILED;
            event.ticket_filed = &f;
            if (survey_apply_event (b->survey, txn, b->now, &event))
                return -1;
            if (t % 5 == 0)
                continue;   //  one in five stays open
            event.body_case = KF__ENVELOPE__BODY_TICKET_CLOSED;
            event.ticket_closed = &c;
            if (survey_apply_event (b->survey, txn, b->now + 3600000, &event))
                return -1;
        }
    return 0;
}

//  What E1000's report of the day says (yesterday's, the default).
static int
s_read (kf_txn_t *txn, void *arg)
{
    s_bench_t *b = arg;
    Kf__GetDailyReport get = KF__GET_DAILY_REPORT__INIT;
    get.estate = "E1000";
    Kf__Request request = KF__REQUEST__INIT;
    KF_SET (&request, role, KF__ROLE__ROLE_MANAGER);
    request.command_case = KF__REQUEST__COMMAND_DAILY_REPORT;
    request.daily_report = &get;
    Kf__Reply reply = KF__REPLY__INIT;
    kf_arena_t *arena = kf_arena_new ();
    int rc = survey_handle_request (b->survey, txn, b->now, &request, &reply, arena);
    b->filed = rc == 0 && reply.result_case == KF__REPLY__RESULT_DAILY_REPORT ? (int) reply.daily_report->filed : -1;
    b->closed = b->filed >= 0 ? (int) reply.daily_report->closed : -1;
    kf_arena_destroy (&arena);
    return rc;
}

static int
s_tick (kf_txn_t *txn, void *arg)
{
    s_bench_t *b = arg;
    b->done = survey_tick (b->survey, txn, b->now);
    return b->done < 0 ? -1 : 0;
}

int
main (void)
{
    size_t size = 4096 + S_ESTATES * 48;
    char *text = malloc (size);
    int n = snprintf (text, size, "bus\n    publish = ipc://x/in\n    subscribe = ipc://x/out\n"
                      "cluster\n    log_level = warning\nestates\n");
    for (int e = 1; e <= S_ESTATES; e++)
        n += snprintf (text + n, size - (size_t) n, "    E%04d\n        name = estate\n", e);
    kf_err_t err;
    kf_config_t *config = kf_config_load_text (text, "bench", &err);
    free (text);
    if (!config || kf_test_dir_setup (NULL)) {
        fprintf (stderr, "bench_daily: %s\n", config ? "no scratch directory" : err.text);
        return 1;
    }
    kf_log_init ("bench_daily", KF_LOG_WARNING);
    char path [128];
    snprintf (path, sizeof path, "%s/store", kf_test_dir);
    const char *tables [] = { SURVEY_TABLES, NULL };
    kf_store_t *store = kf_store_new (path, tables, NULL, &err);
    kf_outbox_t *outbox = store ? kf_outbox_new (store, "survey@c1", &err) : NULL;
    s_bench_t b = { .survey = outbox ? survey_new (config, &err) : NULL };
    if (!b.survey) {
        fprintf (stderr, "bench_daily: %s\n", err.text);
        return 1;
    }
    survey_set_outbox (b.survey, outbox);
    printf ("bench_daily: the daily statistics of %d estates, %d tickets a day each\n", S_ESTATES, S_TICKETS);
    //  The first tick sets where the periods start (nothing is due yet).
    kf_time_parse ("2026-12-01 07:00", 480, &b.now, &err);
    kf_store_write (store, s_tick, &b, NULL);
    for (b.day = 0; b.day < S_DAYS; b.day++) {
        kf_time_parse ("2026-12-01 10:00", 480, &b.now, &err);
        b.now += (int64_t) b.day * 86400000;
        uint64_t t0 = bench_now_us ();
        if (kf_store_write (store, s_day_of_cases, &b, &err)) {
            fprintf (stderr, "bench_daily: %s\n", err.text);
            return 1;
        }
        double cases_s = (double) (bench_now_us () - t0) / 1e6;
        b.now += 22 * 3600000;   //  08:00 the next morning
        t0 = bench_now_us ();
        if (kf_store_write (store, s_tick, &b, &err)) {
            fprintf (stderr, "bench_daily: %s\n", err.text);
            return 1;
        }
        double tick_s = (double) (bench_now_us () - t0) / 1e6;
        kf_store_read (store, s_read, &b, NULL);
        printf ("  day %d: %d cases counted in %.2f s; %d daily reports made and published in %.3f s (target: 5 s); "
                "E1000's says %d filed, %d closed\n", b.day + 1, S_ESTATES * S_TICKETS, cases_s, b.done, tick_s,
                b.filed, b.closed);
    }
    survey_destroy (&b.survey);
    kf_outbox_destroy (&outbox);
    kf_store_destroy (&store);
    kf_config_destroy (&config);
    kf_test_remove_tree (kf_test_dir);
    return 0;
}
