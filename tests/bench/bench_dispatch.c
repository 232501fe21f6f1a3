/*  bench_dispatch — from a filed ticket to an assigned work order, with the
    real kefu-bus, kefu-intake and kefu-dispatch.

    A client files tickets (1, then 64 in flight) and watches the bus for
    each ticket's order.assigned: the time from sending the filing to seeing
    the assignment covers intake's durable commit, the bus, dispatch's
    durable commit and the bus again. Issue 5 asks for under a second.
    Prints; never fails.
*/
#include "../unit/kf_test.h"
#include "../integration/kf_harness.h"
#include "../unit/kf_filing.h"
#include "commands.pb-c.h"
#include "envelope.pb-c.h"

#define S_TICKETS 5000

static void
s_send (zsock_t *client, int i, int run)
{
    char key [32], id [16];
    snprintf (key, sizeof key, "bench-%d-%d", run, i);
    snprintf (id, sizeof id, "%d", i);
    Kf__FileTicket f = kf_filing ("E001", key, "kitchen tap drips into the cupboard below");
    Kf__Request request = KF__REQUEST__INIT;
    request.request_id = id;
    request.actor = "bench";
    request.command_case = KF__REQUEST__COMMAND_FILE_TICKET;
    request.file_ticket = &f;
    h_send_request (client, &request);
}

//  One run: `count` tickets, `window` filings in flight.
static void
s_run (const char *intake, zsock_t *bus, int run, int count, int window)
{
    zsock_t *client = zsock_new_dealer (intake);
    uint64_t *sent = calloc ((size_t) count, sizeof *sent), *took = calloc ((size_t) count, sizeof *took);
    zhashx_t *tickets = zhashx_new ();   //  ticket_no -> index + 1
    int next = 0, filed = 0, assigned = 0;
    uint64_t start = (uint64_t) zclock_usecs ();
    zpoller_t *poller = zpoller_new (client, bus, NULL);
    while (assigned < count) {
        while (next < count && next - filed < window) {
            sent [next] = (uint64_t) zclock_usecs ();
            s_send (client, next++, run);
        }
        void *which = zpoller_wait (poller, 5000);
        if (!which) {
            fprintf (stderr, "bench_dispatch: nothing for 5 s (%d filed, %d assigned)\n", filed, assigned);
            break;
        }
        zmsg_t *msg = zmsg_recv (which);
        zframe_t *last = msg ? zmsg_last (msg) : NULL;
        if (which == client && last) {
            Kf__Reply *reply = kf__reply__unpack (NULL, zframe_size (last), zframe_data (last));
            if (reply && reply->status == KF__REPLY_STATUS__REPLY_STATUS_OK && reply->ticket) {
                zhashx_insert (tickets, reply->ticket->ticket_no, (void *) (intptr_t) (atoi (reply->request_id) + 1));
                filed++;
            }
            if (reply)
                kf__reply__free_unpacked (reply, NULL);
        }
        else
        if (last) {
            Kf__Envelope *event = kf__envelope__unpack (NULL, zframe_size (last), zframe_data (last));
            if (event && event->body_case == KF__ENVELOPE__BODY_ORDER_ASSIGNED) {
                intptr_t i = (intptr_t) zhashx_lookup (tickets, event->order_assigned->ticket_no);
                if (i > 0 && took [i - 1] == 0) {
                    took [i - 1] = (uint64_t) zclock_usecs () - sent [i - 1];
                    assigned++;
                }
            }
            if (event)
                kf__envelope__free_unpacked (event, NULL);
        }
        zmsg_destroy (&msg);
    }
    uint64_t elapsed = (uint64_t) zclock_usecs () - start;
    qsort (took, (size_t) count, sizeof *took, h_cmp_u64);
    uint64_t *measured = took + (count - assigned);   //  the zeros of lost ones sort first
    printf ("dispatch window %-3d %7d %10.0f %8.2f %8.2f %8.2f\n", window, assigned,
            assigned * 1e6 / (double) elapsed, assigned ? measured [assigned / 2] / 1000.0 : 0,
            assigned ? measured [assigned * 99 / 100] / 1000.0 : 0, assigned ? measured [assigned - 1] / 1000.0 : 0);
    zpoller_destroy (&poller);
    zhashx_destroy (&tickets);
    free (sent);
    free (took);
    zsock_destroy (&client);
}

static zmsg_t *
s_recv_within (zsock_t *sock, int ms)
{
    zpoller_t *poller = zpoller_new (sock, NULL);
    zmsg_t *msg = zpoller_wait (poller, ms) ? zmsg_recv (sock) : NULL;
    zpoller_destroy (&poller);
    return msg;
}

//  A raw SUB is a slow joiner: file until an assignment shows it is live.
static bool
s_subscribed (const char *intake, zsock_t *bus)
{
    zsock_t *client = zsock_new_dealer (intake);
    bool live = false;
    for (int i = 0; i < 50 && !live; i++) {
        s_send (client, i, 0);
        zmsg_t *msg = s_recv_within (bus, 200);
        live = msg != NULL;
        zmsg_destroy (&msg);
    }
    zsock_destroy (&client);
    //  What the warm-up left on the bus is not part of a run.
    zmsg_t *msg;
    while ((msg = s_recv_within (bus, 300)))
        zmsg_destroy (&msg);
    return live;
}

static bool
s_answers (void *config)
{
    return h_run (kf_test_dir, NULL, 0, NULL, 0, "kefuctl", "--config", (const char *) config, "ping", "intake",
                  "dispatch", NULL) == 0;
}

int
main (void)
{
    h_init ();
    if (kf_test_dir_setup (NULL))
        return 1;
    const char *d = kf_test_dir;
    char config [256], text [4096], intake [128], out [128];
    int n = snprintf (text, sizeof text,
        "cluster\n    data_dir = %s/data\n    log_level = notice\n"
        "bus\n    publish = ipc://%s/in\n    subscribe = ipc://%s/out\n"
        "estates\n    E001\n        name = one\n        staff\n", d, d, d);
    for (int i = 1; i <= 10; i++)   //  ten plumbers, around the clock
        n += snprintf (text + n, sizeof text - (size_t) n,
                       "            P%02d\n                name = plumber\n                department = engineering\n"
                       "                shifts = \"daily 00:00-24:00\"\n", i);
    snprintf (text + n, sizeof text - (size_t) n,
        "services\n    intake\n        endpoint = ipc://%s/intake\n        replay = ipc://%s/intake-replay\n"
        "    dispatch\n        endpoint = ipc://%s/dispatch\n        replay = ipc://%s/dispatch-replay\n", d, d, d, d);
    h_write ("kefu.conf", text, config, sizeof config);
    snprintf (intake, sizeof intake, "ipc://%s/intake", d);
    snprintf (out, sizeof out, "ipc://%s/out", d);
    h_proc_t bus, intaked, dispatch;
    h_proc_init (&bus, d, "bus", "kefu-bus", "--config", config, NULL);
    h_proc_init (&intaked, d, "intake", "kefu-intake", "--config", config, NULL);
    h_proc_init (&dispatch, d, "dispatch", "kefu-dispatch", "--config", config, NULL);
    h_start (&bus);
    h_start (&intaked);
    h_start (&dispatch);
    zsock_t *sub = zsock_new_sub (out, "E001/order.assigned");
    if (!sub || !h_wait_for (s_answers, config, 10000) || !s_subscribed (intake, sub)) {
        fprintf (stderr, "bench_dispatch: the cluster does not answer (see %s)\n", d);
        zsock_destroy (&sub);
        h_kill_all ();
        return 1;
    }
    printf ("\ndispatch: FileTicket to kefu-intake until order.assigned from kefu-dispatch is on the bus\n\n");
    printf ("         load        tickets  tickets/s   p50 ms   p99 ms   max ms\n");
    s_run (intake, sub, 1, 1000, 1);
    s_run (intake, sub, 2, S_TICKETS, 64);
    zsock_destroy (&sub);
    h_stop (&dispatch, 10000);
    h_stop (&intaked, 10000);
    h_stop (&bus, 10000);
    h_proc_free (&dispatch);
    h_proc_free (&intaked);
    h_proc_free (&bus);
    kf_test_dir_teardown (NULL);
    return 0;
}
