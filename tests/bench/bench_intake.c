/*  bench_intake — filing tickets with the real kefu-intake and kefu-bus.

    A client keeps a window of FileTicket requests in flight (1, then 64)
    and measures filings/s and the time from sending a request to its
    reply, which comes only after the durable commit. The daemon's own
    count of transactions shows the group commit: with many requests
    waiting, one fdatasync serves them all. Prints; never fails.
*/
#include "../integration/kf_harness.h"
#include "../unit/kf_test.h"
#include "../unit/kf_filing.h"
#include "commands.pb-c.h"

#define S_FILINGS 20000

static void
s_send (zsock_t *client, int i, int run)
{
    char key [32], id [16];
    snprintf (key, sizeof key, "bench-%d-%d", run, i);
    snprintf (id, sizeof id, "%d", i);
    Kf__FileTicket f = kf_filing (i % 2 ? "E001" : "E002", key, "kitchen tap drips into the cupboard below");
    Kf__Request request = KF__REQUEST__INIT;
    request.request_id = id;
    request.actor = "bench";
    request.command_case = KF__REQUEST__COMMAND_FILE_TICKET;
    request.file_ticket = &f;
    h_send_request (client, &request);
}

//  One run: `count` filings with `window` in flight.
static void
s_run (const char *endpoint, int run, int count, int window)
{
    zsock_t *client = zsock_new_dealer (endpoint);
    uint64_t *sent = calloc ((size_t) count, sizeof *sent), *took = calloc ((size_t) count, sizeof *took);
    int next = 0, done = 0;
    uint64_t start = (uint64_t) zclock_usecs ();
    while (done < count) {
        while (next < count && next - done < window) {
            sent [next] = (uint64_t) zclock_usecs ();
            s_send (client, next++, run);
        }
        zframe_t *frame = zframe_recv (client);
        if (!frame)
            break;
        Kf__Reply *reply = kf__reply__unpack (NULL, zframe_size (frame), zframe_data (frame));
        zframe_destroy (&frame);
        if (!reply || reply->status != KF__REPLY_STATUS__REPLY_STATUS_OK) {
            fprintf (stderr, "bench_intake: a filing failed: %s\n", reply && reply->error ? reply->error : "?");
            break;
        }
        int i = atoi (reply->request_id);
        took [done++] = (uint64_t) zclock_usecs () - sent [i];
        kf__reply__free_unpacked (reply, NULL);
    }
    uint64_t elapsed = (uint64_t) zclock_usecs () - start;
    qsort (took, (size_t) done, sizeof *took, h_cmp_u64);
    printf ("intake  window %-3d %8d %10.0f %8.2f %8.2f\n", window, done, done * 1e6 / (double) elapsed,
            done ? took [done / 2] / 1000.0 : 0, done ? took [done * 99 / 100] / 1000.0 : 0);
    free (sent);
    free (took);
    zsock_destroy (&client);
}

//  kefu-intake answers kefuctl ping.
static bool
s_answers (void *config)
{
    return h_run (kf_test_dir, NULL, 0, NULL, 0, "kefuctl", "--config", (const char *) config, "ping", "intake",
                  NULL) == 0;
}

int
main (void)
{
    h_init ();
    if (kf_test_dir_setup (NULL))
        return 1;
    char config [256], text [1024], endpoint [128];
    snprintf (text, sizeof text,
        "cluster\n    data_dir = %s/data\n    log_level = notice\n"
        "bus\n    publish = ipc://%s/in\n    subscribe = ipc://%s/out\n"
        "estates\n    E001\n        name = one\n    E002\n        name = two\n"
        "services\n    intake\n        endpoint = ipc://%s/intake\n        replay = ipc://%s/replay\n",
        kf_test_dir, kf_test_dir, kf_test_dir, kf_test_dir, kf_test_dir);
    snprintf (config, sizeof config, "%s/kefu.conf", kf_test_dir);
    FILE *file = fopen (config, "w");
    fputs (text, file);
    fclose (file);
    snprintf (endpoint, sizeof endpoint, "ipc://%s/intake", kf_test_dir);
    h_proc_t bus, intake;
    h_proc_init (&bus, kf_test_dir, "bus", "kefu-bus", "--config", config, NULL);
    h_proc_init (&intake, kf_test_dir, "intake", "kefu-intake", "--config", config, NULL);
    h_start (&bus);
    h_start (&intake);
    if (!h_wait_for (s_answers, config, 10000)) {
        fprintf (stderr, "bench_intake: kefu-intake does not answer (see %s)\n", intake.log);
        h_kill_all ();
        return 1;
    }
    printf ("\nintake: FileTicket over ipc:// to kefu-intake, each reply after its durable commit\n\n");
    printf ("        load        filings  filings/s   p50 ms   p99 ms\n");
    s_run (endpoint, 1, 2000, 1);
    s_run (endpoint, 2, S_FILINGS, 64);
    h_stop (&intake, 10000);
    h_stop (&bus, 10000);
    //  The daemon's last words: requests and the transactions they took.
    FILE *log = fopen (intake.log, "r");
    char line [512];
    while (log && fgets (line, sizeof line, log))
        if (strstr (line, "stopping after"))
            printf ("kefu-intake: %s", strstr (line, "stopping after"));
    if (log)
        fclose (log);
    h_proc_free (&intake);
    h_proc_free (&bus);
    kf_test_dir_teardown (NULL);
    return 0;
}
