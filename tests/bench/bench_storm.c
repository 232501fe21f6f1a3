/*  bench_storm — the whole cluster busy at once (issue 25.1): kefu-bus,
    every daemon (intake, dispatch, escalation, survey, billing, archive,
    registry, desk, notify) and kefu-gateway on ipc:// endpoints in a
    scratch directory, one host, with 1, 100 and 1,000 estates filing at
    once, paced at 1,000/s and 5,000/s and flat out.

    Every effect is durable when it is seen: a reply and an event leave a
    daemon only after its commit. Per stage, from the filing's send: the
    reply (ticket filed, its timeline begun), order.created and
    order.assigned on the bus; for one ticket in ten the technician
    accepts, starts and completes the order, and visit.scheduled is timed
    from the completion's send. The effects nobody announces (escalation's
    three SLA clocks, intake's timeline of the order, the archive's copy,
    the gateway's and notify's) are "landed" when every consumer's cursor
    has reached every producer's head, timed from the last filing; then a
    sample of tickets is read back (three clocks each, the assignment on
    the timeline). Per daemon: CPU seconds and RSS from /proc, and so the
    CPU cost per ticket as the estates grow. Prints; never fails.
*/
#include "../unit/kf_test.h"
#include "../integration/kf_harness.h"
#include "../unit/kf_filing.h"
#include "bench_common.h"
#include "kf_field.h"
#include "commands.pb-c.h"
#include "envelope.pb-c.h"

#include <inttypes.h>
#include <unistd.h>

static const char *s_services [] = {
    "intake", "dispatch", "escalation", "survey", "billing", "archive", "registry", "desk", "notify", NULL
};
#define S_DAEMONS  11                 //  the bus, the services, the gateway
#define S_SAMPLE   50                 //  tickets read back after a run
#define S_COMPLETE 10                 //  one ticket in this many has its order completed

static h_proc_t s_procs [H_CLUSTER_MAX], s_gateway;
static char s_config [256], s_clock [256];
static unsigned s_estates;

//  ---- the cluster ---------------------------------------------------------------------------

static void
s_write_config (unsigned estates)
{
    const char *d = kf_test_dir;
    size_t size = 4096 + (size_t) estates * 512;
    char *text = malloc (size);
    int n = snprintf (text, size,
        "cluster\n    name = c1\n    data_dir = %s/data\n    log_level = warning\n"
        "bus\n    publish = ipc://%s/bus-in\n    subscribe = ipc://%s/bus-out\n"
        //  Retention by count that the storm passes (45,000 events in one
        //  estate's intake stream): the outboxes are trimmed as it runs.
        //  Not much less: a consumer that missed the first events (it
        //  joined late) asks for them a beat later, and an outbox that
        //  keeps less than that (1,000 did) has trimmed them away, the
        //  archive too having joined late: every consumer stops on the
        //  stream, rightly, for an operator.
        "    outbox_max_events = 20000\n"
        "registry\n    check_units = false\n"
        "estates\n", d, d, d);
    for (unsigned e = 1; e <= estates; e++)   //  two plumbers each, around the clock
        n += snprintf (text + n, size - (size_t) n,
                       "    E%04u\n        name = estate\n        staff\n"
                       "            P1\n                name = plumber\n                department = engineering\n"
                       "                shifts = \"daily 00:00-24:00\"\n"
                       "            P2\n                name = plumber\n                department = engineering\n"
                       "                shifts = \"daily 00:00-24:00\"\n", e);
    n += snprintf (text + n, size - (size_t) n, "services\n");
    for (const char *const *s = s_services; *s; s++)
        n += snprintf (text + n, size - (size_t) n, "    %s\n        endpoint = ipc://%s/%s\n"
                       "        replay = ipc://%s/%s-replay\n", *s, d, *s, d, *s);
    snprintf (text + n, size - (size_t) n, "    gateway\n        listen = 127.0.0.1:%u\n",
              20000 + (unsigned) getpid () % 20000);
    h_write ("kefu.conf", text, s_config, sizeof s_config);
    free (text);
}

static int
s_cluster_up (unsigned estates)
{
    if (kf_test_dir_setup (NULL))
        return -1;
    s_estates = estates;
    s_write_config (estates);
    snprintf (s_clock, sizeof s_clock, "%s/clock", kf_test_dir);
    if (h_run (kf_test_dir, NULL, 0, NULL, 0, "kefuctl", "clock", "set", "2026-11-23T10:00:00+08:00", "--file",
               s_clock, NULL)
    ||  h_cluster_up (s_procs, s_services, s_config, s_clock))
        return -1;
    h_proc_init (&s_gateway, kf_test_dir, "gateway", "kefu-gateway", "--config", s_config, "--clock", s_clock, NULL);
    h_start (&s_gateway);
    return 0;
}

static void
s_cluster_down (void)
{
    h_stop (&s_gateway, 20000);
    h_proc_free (&s_gateway);
    h_cluster_down (s_procs, s_services);
    kf_test_dir_teardown (NULL);
}

static h_proc_t *
s_daemon (int i)
{
    return i < S_DAEMONS - 1 ? &s_procs [i] : &s_gateway;
}

//  A daemon's CPU seconds and bytes written to its disk so far, and its
//  resident memory now, from /proc.
typedef struct {
    double cpu_s, rss_mib;
    uint64_t written;
} s_usage_t;

static void
s_usage (pid_t pid, s_usage_t *u)
{
    char path [64], line [512];
    *u = (s_usage_t) { 0 };
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *f = fopen (path, "r");
    if (f && fgets (line, sizeof line, f)) {
        const char *p = strrchr (line, ')');   //  the name may hold spaces
        unsigned long utime = 0, stime = 0;
        if (p && sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) == 2)
            u->cpu_s = (double) (utime + stime) / (double) sysconf (_SC_CLK_TCK);
    }
    if (f)
        fclose (f);
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    f = fopen (path, "r");
    while (f && fgets (line, sizeof line, f))
        if (strncmp (line, "VmRSS:", 6) == 0)
            u->rss_mib = strtod (line + 6, NULL) / 1024.0;
    if (f)
        fclose (f);
    snprintf (path, sizeof path, "/proc/%d/io", (int) pid);
    f = fopen (path, "r");
    while (f && fgets (line, sizeof line, f))
        if (strncmp (line, "write_bytes:", 12) == 0)
            u->written = strtoull (line + 12, NULL, 10);
    if (f)
        fclose (f);
}

//  ---- one run ---------------------------------------------------------------------------------

typedef struct {
    int run;             //  in every request id: a late reply of the run before is nobody's
    int count;
    uint64_t *sent, *filed, *created, *assigned, *completing, *visited;   //  µs, 0: not yet
    char (*staff) [16];
    zhashx_t *tickets;   //  ticket_no -> index + 1
    char **numbers;      //  index -> ticket_no
} s_run_t;

static void
s_request (zsock_t *client, const char *id, Kf__Request *request)
{
    request->request_id = (char *) id;
    request->actor = request->actor ? request->actor : "bench";
    h_send_request (client, request);
}

static void
s_file (zsock_t *intake, s_run_t *r, int i, int run)
{
    char key [48], id [16], estate [8], unit [32];
    snprintf (key, sizeof key, "storm-%d-%d", run, i);
    //  A unit of its own each: a second case of one unit would fold into
    //  its pending return visit (visit.merged), not schedule another.
    snprintf (unit, sizeof unit, "%d-%d-%d", run + 10, i % 100 + 1, i / 100 + 1);
    snprintf (id, sizeof id, "f%d:%d", run, i);
    snprintf (estate, sizeof estate, "E%04u", (unsigned) (i % (int) s_estates) + 1);
    Kf__FileTicket f = kf_filing (estate, key, "kitchen tap drips into the cupboard below");
    f.unit = unit;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_FILE_TICKET;
    request.file_ticket = &f;
    r->sent [i] = (uint64_t) zclock_usecs ();
    s_request (intake, id, &request);
}

//  The technician's next step of order i: accept (a), start (s), complete (c).
static void
s_step (zsock_t *dispatch, s_run_t *r, int i, char step)
{
    char id [16], order [64], estate [8];
    snprintf (id, sizeof id, "%c%d:%d", step, r->run, i);
    snprintf (order, sizeof order, "%s-W1", r->numbers [i]);
    snprintf (estate, sizeof estate, "%.5s", r->numbers [i]);
    Kf__AcceptOrder accept = KF__ACCEPT_ORDER__INIT;
    Kf__StartOrder start = KF__START_ORDER__INIT;
    Kf__CompleteOrder complete = KF__COMPLETE_ORDER__INIT;
    accept.order_no = start.order_no = complete.order_no = order;
    KF_SET (&complete, labour_minutes, 30);
    Kf__Request request = KF__REQUEST__INIT;
    request.actor = r->staff [i];
    request.scope = estate;
    KF_SET (&request, role, KF__ROLE__ROLE_TECHNICIAN);
    if (step == 'a')
        request.command_case = KF__REQUEST__COMMAND_ACCEPT_ORDER, request.accept_order = &accept;
    else
    if (step == 's')
        request.command_case = KF__REQUEST__COMMAND_START_ORDER, request.start_order = &start;
    else {
        request.command_case = KF__REQUEST__COMMAND_COMPLETE_ORDER, request.complete_order = &complete;
        r->completing [i] = (uint64_t) zclock_usecs ();
    }
    s_request (dispatch, id, &request);
}

static int
s_index (s_run_t *r, const char *ticket_no)
{
    intptr_t i = ticket_no ? (intptr_t) zhashx_lookup (r->tickets, ticket_no) : 0;
    return (int) i - 1;
}

//  A stage: how many, at what rate (from the first send to the last
//  effect), and the times from each send to its effect. Returns the rate.
static double
s_print_stage (const char *name, uint64_t *from, uint64_t *to, int count)
{
    uint64_t *took = malloc ((size_t) count * sizeof *took), first = UINT64_MAX, last = 0;
    int n = 0;
    for (int i = 0; i < count; i++)
        if (from [i] && to [i]) {
            took [n++] = to [i] - from [i];
            first = from [i] < first ? from [i] : first;
            last = to [i] > last ? to [i] : last;
        }
    qsort (took, (size_t) n, sizeof *took, h_cmp_u64);
    double rate = n && last > first ? n * 1e6 / (double) (last - first) : 0;
    printf ("    %-18s %7d %10.0f %8.2f %8.2f %8.2f\n", name, n, rate,
            n ? took [n / 2] / 1000.0 : 0, n ? took [n * 99 / 100] / 1000.0 : 0, n ? took [n - 1] / 1000.0 : 0);
    free (took);
    return rate;
}

//  Each service's bus status, asked on its probe socket; false when one
//  did not answer (its slot stays NULL). A late answer left on a probe is
//  taken for no other's.
static bool
s_statuses (zsock_t **dealers, Kf__BusStatus **status)
{
    bool all = true;
    for (int s = 0; s_services [s]; s++) {
        status [s] = NULL;
        while (zsock_events (dealers [s]) & ZMQ_POLLIN) {
            zframe_t *stale = zframe_recv (dealers [s]);
            zframe_destroy (&stale);
        }
        Kf__GetBusStatus get = KF__GET_BUS_STATUS__INIT;
        Kf__Request request = KF__REQUEST__INIT;
        KF_SET (&request, role, KF__ROLE__ROLE_OPERATIONS);
        request.command_case = KF__REQUEST__COMMAND_BUS_STATUS;
        request.bus_status = &get;
        s_request (dealers [s], "lag", &request);
        zpoller_t *poller = zpoller_new (dealers [s], NULL);
        zframe_t *frame = zpoller_wait (poller, 5000) ? zframe_recv (dealers [s]) : NULL;
        zpoller_destroy (&poller);
        Kf__Reply *reply = frame ? kf__reply__unpack (NULL, zframe_size (frame), zframe_data (frame)) : NULL;
        zframe_destroy (&frame);
        if (reply && reply->result_case == KF__REPLY__RESULT_BUS_STATUS && reply->request_id
        &&  strcmp (reply->request_id, "lag") == 0) {
            status [s] = reply->bus_status;
            reply->bus_status = NULL;
            reply->result_case = KF__REPLY__RESULT__NOT_SET;
        }
        else
            all = false;
        if (reply)
            kf__reply__free_unpacked (reply, NULL);
    }
    return all;
}

static void
s_statuses_free (Kf__BusStatus **status)
{
    for (int s = 0; s_services [s]; s++)
        if (status [s]) {
            kf__bus_status__free_unpacked (status [s], NULL);
            status [s] = NULL;
        }
}

//  Every consumer's cursors at every producer's head: the total lag.
static uint64_t
s_lag (Kf__BusStatus **status)
{
    //  Thousands of streams and of cursors: the heads by name.
    zhashx_t *heads = zhashx_new ();
    for (int p = 0; s_services [p]; p++)
        for (size_t h = 0; status [p] && h < status [p]->n_heads; h++)
            zhashx_insert (heads, status [p]->heads [h]->stream, status [p]->heads [h]);
    uint64_t lag = 0;
    for (int c = 0; s_services [c]; c++)
        for (size_t k = 0; status [c] && k < status [c]->n_cursors; k++) {
            const Kf__Cursor *cursor = status [c]->cursors [k];
            const Kf__StreamHead *head = zhashx_lookup (heads, cursor->stream);
            if (head && head->head_seq > cursor->last_seq)
                lag += head->head_seq - cursor->last_seq;
        }
    zhashx_destroy (&heads);
    return lag;
}

//  What the run cost the bus, per service: replays asked and the events
//  they brought, events skipped as already applied (a replay racing live
//  traffic brings those), and what its outbox and LMDB map hold after it.
static void
s_print_bus (Kf__BusStatus **before, Kf__BusStatus **after)
{
    printf ("    service      replays   replayed  duplicates    outbox  map used / size MiB\n");
    for (int s = 0; s_services [s]; s++) {
        const Kf__BusStatus *b = before [s], *a = after [s];
        if (!a)
            continue;
        printf ("    %-12s %7" PRIu64 " %10" PRIu64 " %11" PRIu64 " %9" PRIu64 "  %7.0f / %.0f\n", s_services [s],
                a->replays - (b ? b->replays : 0), a->replayed_events - (b ? b->replayed_events : 0),
                a->duplicate_events - (b ? b->duplicate_events : 0), a->outbox_events,
                (double) a->map_used_bytes / 1048576.0, (double) a->map_size_bytes / 1048576.0);
    }
}

//  Read back a sample: three SLA clocks each, and the assignment on its timeline.
static void
s_read_back (zsock_t **dealers, s_run_t *r)
{
    int clocks = 0, timelines = 0, asked = 0;
    for (int k = 0; k < S_SAMPLE && k < r->count; k++) {
        int i = (int) ((uint64_t) k * 7919 % (uint64_t) r->count);
        if (!r->numbers [i])
            continue;
        asked++;
        Kf__ShowSla sla = KF__SHOW_SLA__INIT;
        sla.ticket_no = r->numbers [i];
        Kf__ShowTicket show = KF__SHOW_TICKET__INIT;
        show.ticket_no = r->numbers [i];
        for (int which = 0; which < 2; which++) {
            Kf__Request request = KF__REQUEST__INIT;
            if (which == 0)
                request.command_case = KF__REQUEST__COMMAND_SHOW_SLA, request.show_sla = &sla;
            else
                request.command_case = KF__REQUEST__COMMAND_SHOW_TICKET, request.show_ticket = &show;
            zsock_t *to = dealers [which == 0 ? 2 : 0];
            s_request (to, "back", &request);
            zpoller_t *poller = zpoller_new (to, NULL);
            zframe_t *frame = zpoller_wait (poller, 5000) ? zframe_recv (to) : NULL;
            zpoller_destroy (&poller);
            Kf__Reply *reply = frame ? kf__reply__unpack (NULL, zframe_size (frame), zframe_data (frame)) : NULL;
            zframe_destroy (&frame);
            if (reply && which == 0 && reply->result_case == KF__REPLY__RESULT_SLA_CASE)
                clocks += reply->sla_case->n_clocks == 3;
            if (reply && which == 1 && reply->result_case == KF__REPLY__RESULT_TICKET)
                for (size_t t = 0; t < reply->ticket->n_timeline; t++)
                    if (strcmp (reply->ticket->timeline [t]->kind, "order.assigned") == 0) {
                        timelines++;
                        break;
                    }
            if (reply)
                kf__reply__free_unpacked (reply, NULL);
        }
    }
    printf ("    read back: %d of %d sampled tickets have their three SLA clocks, %d the assignment on "
            "their timeline\n", clocks, asked, timelines);
}

//  `probes`: a socket of its own to each daemon for the lag, so that no
//  status reply is taken for a filing's or the other way round.
static void
s_run (zsock_t **dealers, zsock_t **probes, zsock_t *bus, int run, int count, uint64_t rate)
{
    s_run_t r = { .run = run, .count = count, .tickets = zhashx_new () };
    uint64_t **columns [] = { &r.sent, &r.filed, &r.created, &r.assigned, &r.completing, &r.visited };
    for (size_t c = 0; c < sizeof columns / sizeof columns [0]; c++)
        *columns [c] = calloc ((size_t) count, sizeof (uint64_t));
    r.staff = calloc ((size_t) count, sizeof *r.staff);
    r.numbers = calloc ((size_t) count, sizeof *r.numbers);
    s_usage_t use0 [S_DAEMONS], use1 [S_DAEMONS];
    Kf__BusStatus *bus0 [S_DAEMONS] = { NULL }, *bus1 [S_DAEMONS] = { NULL };
    s_statuses (probes, bus0);
    for (int d = 0; d < S_DAEMONS; d++)
        s_usage (s_daemon (d)->pid, &use0 [d]);
    zsock_t *intake = dealers [0], *dispatch = dealers [1];
    zpoller_t *poller = zpoller_new (intake, dispatch, bus, NULL);
    int next = 0, filed = 0, assigned = 0, to_visit = 0, visited = 0;
    int window = rate ? 4096 : 1024;   //  flat out: as many as intake takes in a batch
    uint64_t start = (uint64_t) zclock_usecs (), progress = start, last_filed = 0, landed_at = 0, probed = 0;
    //  Until every effect is seen and every consumer is at every head. The
    //  bench's own SUB may miss an event the bus dropped at its high-water
    //  mark (kefu's consumers replay; this socket cannot): a second without
    //  progress once everything has landed ends the run.
    while (assigned < count || visited < to_visit || !landed_at) {
        uint64_t now = (uint64_t) zclock_usecs ();
        //  A status of every daemon (thousands of cursors each with many
        //  estates) ten times a second: often enough to see the landing
        //  within 0.1 s, seldom enough not to be the load.
        if (filed == count && !landed_at && now - probed > 100000) {
            probed = now;
            s_statuses_free (bus1);
            if (s_statuses (probes, bus1) && s_lag (bus1) == 0)
                landed_at = (uint64_t) zclock_usecs ();
        }
        if (landed_at && now - progress > 1000000)
            break;
        uint64_t due = bench_due ((uint64_t) count, rate, now - start);
        while (next < count && (int) (next - filed) < window && (uint64_t) next < due)
            s_file (intake, &r, next++, run);
        //  Heartbeats come whatever happens: what counts is progress.
        if (now - progress > (filed == count ? 60000000ULL : 5000000ULL)) {
            fprintf (stderr, "bench_storm: no progress for %s (%d filed, %d assigned, %d of %d visits)\n",
                     filed == count ? "a minute" : "5 s", filed, assigned, visited, to_visit);
            break;
        }
        void *which = zpoller_wait (poller, next < count && rate ? 1 : 100);
        if (!which)
            continue;
        int before = filed + assigned + visited;
        zmsg_t *msg = zmsg_recv (which);
        zframe_t *last = msg ? zmsg_last (msg) : NULL;
        now = (uint64_t) zclock_usecs ();
        if (last && which != bus) {
            Kf__Reply *reply = kf__reply__unpack (NULL, zframe_size (last), zframe_data (last));
            int i = -1, of = 0;
            char what = reply && reply->request_id ? reply->request_id [0] : 0;
            if (what && (sscanf (reply->request_id + 1, "%d:%d", &of, &i) != 2 || of != run))
                what = 0, i = -1;
            bool ok = reply && reply->status == KF__REPLY_STATUS__REPLY_STATUS_OK;
            if (!ok && reply && what)
                fprintf (stderr, "bench_storm: %c%d refused: %s\n", what, i, reply->error ? reply->error : "?");
            if (ok && what == 'f' && i >= 0 && i < count && reply->ticket && !r.filed [i]) {
                r.filed [i] = now;
                r.numbers [i] = strdup (reply->ticket->ticket_no);
                zhashx_insert (r.tickets, r.numbers [i], (void *) (intptr_t) (i + 1));
                filed++;
            }
            else
            if (ok && (what == 'a' || what == 's'))
                s_step (dispatch, &r, i, what == 'a' ? 's' : 'c');
            if (reply)
                kf__reply__free_unpacked (reply, NULL);
        }
        else
        if (last) {
            Kf__Envelope *event = kf__envelope__unpack (NULL, zframe_size (last), zframe_data (last));
            if (event && event->body_case == KF__ENVELOPE__BODY_ORDER_CREATED) {
                int i = s_index (&r, event->order_created->ticket_no);
                if (i >= 0 && !r.created [i])
                    r.created [i] = now;
            }
            if (event && event->body_case == KF__ENVELOPE__BODY_ORDER_ASSIGNED) {
                int i = s_index (&r, event->order_assigned->ticket_no);
                if (i >= 0 && !r.assigned [i]) {
                    r.assigned [i] = now;
                    snprintf (r.staff [i], sizeof r.staff [i], "%s", event->order_assigned->staff_id);
                    assigned++;
                    if (i % S_COMPLETE == 0) {
                        to_visit++;
                        s_step (dispatch, &r, i, 'a');
                    }
                }
            }
            if (event && event->body_case == KF__ENVELOPE__BODY_VISIT_SCHEDULED) {
                int i = s_index (&r, event->visit_scheduled->ticket_no);
                if (i >= 0 && !r.visited [i]) {
                    r.visited [i] = now;
                    visited++;
                }
            }
            if (event)
                kf__envelope__free_unpacked (event, NULL);
        }
        zmsg_destroy (&msg);
        if (filed + assigned + visited != before)
            progress = now;
    }
    for (int i = 0; i < count; i++)
        if (r.filed [i] > last_filed)
            last_filed = r.filed [i];
    for (int d = 0; d < S_DAEMONS; d++)
        s_usage (s_daemon (d)->pid, &use1 [d]);
    char load [32];
    snprintf (load, sizeof load, rate ? "%" PRIu64 "/s" : "flat out", rate);
    printf ("\n  %u estate%s, %s: %d tickets, %d in flight at most\n", s_estates, s_estates == 1 ? "" : "s", load,
            count, window);
    printf ("    stage                  count    per s   p50 ms   p99 ms   max ms\n");
    s_print_stage ("filed (reply)", r.sent, r.filed, count);
    s_print_stage ("order.created", r.sent, r.created, count);
    double assigned_rate = s_print_stage ("order.assigned", r.sent, r.assigned, count);
    //  The peer's comparison (tests/bench/pg_peer.sh): one estate, flat out.
    const char *rate_file = getenv ("KEFU_STORM_RATE_FILE");
    FILE *out = rate_file && s_estates == 1 && rate == 0 ? fopen (rate_file, "w") : NULL;
    if (out) {
        fprintf (out, "%.0f\n", assigned_rate);
        fclose (out);
    }
    s_print_stage ("completed->visit", r.completing, r.visited, count);
    if (landed_at)
        printf ("    every consumer at every head %.0f ms after the last filing (the SLA clocks, timelines, archive, "
                "notify and the rest)\n", (landed_at - last_filed) / 1000.0);
    else
        printf ("    NOT landed: a consumer lags still\n");
    if (assigned < count)
        printf ("    (%d assignments not seen by the bench's own SUB: dropped to it at the high-water mark)\n",
                count - assigned);
    s_print_bus (bus0, bus1);
    s_statuses_free (bus0);
    s_statuses_free (bus1);
    s_read_back (probes, &r);
    double total = 0, written = 0;
    printf ("    daemon        cpu s   rss MiB   written MiB\n");
    for (int d = 0; d < S_DAEMONS; d++) {
        double cpu = use1 [d].cpu_s - use0 [d].cpu_s, mib = (double) (use1 [d].written - use0 [d].written) / 1048576.0;
        total += cpu;
        written += mib;
        printf ("    %-12s %6.2f %9.1f %13.1f\n", s_daemon (d)->name, cpu, use1 [d].rss_mib, mib);
    }
    printf ("    all          %6.2f           %13.1f   %.0f µs of CPU and %.1f KiB written a ticket\n", total, written,
            filed ? total * 1e6 / filed : 0, filed ? written * 1024.0 / filed : 0);
    zpoller_destroy (&poller);
    for (int i = 0; i < count; i++)
        free (r.numbers [i]);
    free (r.numbers);
    free (r.staff);
    for (size_t c = 0; c < sizeof columns / sizeof columns [0]; c++)
        free (*columns [c]);
    zhashx_destroy (&r.tickets);
}

//  A raw SUB is a slow joiner: file until the bus shows it is live.
static bool
s_subscribed (zsock_t *intake, zsock_t *bus)
{
    bool live = false;
    for (int i = 0; i < 100 && !live; i++) {
        s_run_t r = { .count = 1 };
        uint64_t sent;
        r.sent = &sent;
        s_file (intake, &r, 0, -1 - i);
        zpoller_t *poller = zpoller_new (bus, NULL);
        live = zpoller_wait (poller, 200) != NULL;
        zpoller_destroy (&poller);
    }
    //  What the warm-up left on the sockets is not part of a run (the
    //  heartbeats that keep coming are skipped by the runs).
    zpoller_t *poller = zpoller_new (intake, bus, NULL);
    void *which;
    int64_t until = zclock_mono () + 2000;
    while (zclock_mono () < until && (which = zpoller_wait (poller, 100))) {
        zmsg_t *msg = zmsg_recv (which);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    return live;
}

static void
s_estates_run (unsigned estates, const int *counts, const uint64_t *rates, int runs)
{
    zsock_t *probes [S_DAEMONS] = { NULL };
    if (s_cluster_up (estates)) {
        fprintf (stderr, "bench_storm: the cluster of %u estates did not start (see %s)\n", estates, kf_test_dir);
        h_kill_all ();
        return;
    }
    zsock_t *dealers [S_DAEMONS] = { NULL };
    char endpoint [300];
    for (int s = 0; s_services [s]; s++) {
        snprintf (endpoint, sizeof endpoint, "ipc://%s/%s", kf_test_dir, s_services [s]);
        dealers [s] = zsock_new_dealer (endpoint);
        probes [s] = zsock_new_dealer (endpoint);
    }
    snprintf (endpoint, sizeof endpoint, "ipc://%s/bus-out", kf_test_dir);
    zsock_t *bus = zsock_new (ZMQ_SUB);
    zsock_set_rcvhwm (bus, 0);
    zsock_connect (bus, "%s", endpoint);
    //  Everything, as the gateway takes it, filtered by kind here: a
    //  subscription per estate and kind would be thousands.
    zsock_set_subscribe (bus, "");
    if (!s_subscribed (dealers [0], bus))
        fprintf (stderr, "bench_storm: the bus never spoke (see %s)\n", kf_test_dir);
    else {
        s_usage_t use;
        printf ("\n%u estate%s, at rest:", estates, estates == 1 ? "" : "s");
        for (int d = 0; d < S_DAEMONS; d++) {
            s_usage (s_daemon (d)->pid, &use);
            printf (" %s %.0f MiB%s", s_daemon (d)->name, use.rss_mib, d + 1 < S_DAEMONS ? "," : "\n");
        }
        for (int i = 0; i < runs; i++)
            s_run (dealers, probes, bus, i + 1, counts [i], rates [i]);
    }
    zsock_destroy (&bus);
    for (int s = 0; s < S_DAEMONS; s++) {
        zsock_destroy (&dealers [s]);
        zsock_destroy (&probes [s]);
    }
    s_cluster_down ();
}

int
main (void)
{
    h_init ();
    printf ("\nstorm: the whole cluster (bus, nine daemons, the gateway) on one host; FileTicket to kefu-intake,\n"
            "each effect timed from the filing's send as it is seen (after its producer's commit)\n");
    //  KEFU_STORM_SCALE=10 runs a tenth of the tickets (a quick look),
    int counts [] = { 5000, 20000, 20000 };
    const char *scale = getenv ("KEFU_STORM_SCALE");
    for (int i = 0; scale && i < 3; i++)
        counts [i] = counts [i] * atoi (scale) / 100 > 100 ? counts [i] * atoi (scale) / 100 : 100;
    const uint64_t rates [] = { 1000, 5000, 0 };
    //  KEFU_STORM_ESTATES=1000 runs that size alone.
    unsigned estates [] = { 1, 100, 1000 };
    size_t sizes = sizeof estates / sizeof estates [0];
    const char *only = getenv ("KEFU_STORM_ESTATES");
    if (only && atoi (only) > 0 && atoi (only) <= 10000) {
        estates [0] = (unsigned) atoi (only);
        sizes = 1;
    }
    for (size_t e = 0; e < sizes; e++)
        s_estates_run (estates [e], counts, rates, 3);
    return 0;
}
