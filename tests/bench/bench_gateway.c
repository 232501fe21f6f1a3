/*  bench_gateway — how fast kefu-gateway takes a request body (issue 18.4).

    The real kefu-bus, kefu-intake and kefu-gateway on loopback. A client
    POSTs a file_ticket whose description fills the body up to max_body
    (8 MiB), first to a command there is not (the body is read, then 404:
    the read alone), then to file_ticket (read, the JSON decoded, then
    refused: a description is 2,000 characters at most), so the time is
    the body's way in, not a daemon's. Then a body over the limit, refused
    from its headers alone. Prints the median of 5; never fails.
*/
#include "../integration/kf_harness.h"
#include "../unit/kf_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define S_RUNS     5
#define S_MAX_BODY (8 << 20)

static int s_port;

static bool
s_answers (void *config)
{
    return h_run (kf_test_dir, NULL, 0, NULL, 0, "kefuctl", "--config", (const char *) config, "ping", "intake",
                  NULL) == 0;
}

//  POST `body` (declaring `declared` bytes); the microseconds from the
//  first byte sent to the whole answer, and its status.
static int64_t
s_post (const char *path, const char *body, size_t size, size_t declared, int *status)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) s_port) };
    inet_pton (AF_INET, "127.0.0.1", &addr.sin_addr);
    *status = -1;
    if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0) {
        if (fd >= 0)
            close (fd);
        return -1;
    }
    char head [512];
    int n = snprintf (head, sizeof head, "POST %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                      "Authorization: Bearer bench-desk-0123456789abcdef\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\n\r\n", path, declared);
    int64_t start = zclock_usecs ();
    send (fd, head, (size_t) n, MSG_NOSIGNAL);
    for (size_t sent = 0; sent < size; ) {
        ssize_t k = send (fd, body + sent, size - sent, MSG_NOSIGNAL);
        if (k <= 0)
            break;   //  answered and closed before the body: that is the point
        sent += (size_t) k;
    }
    char reply [4096];
    ssize_t got, total = 0;
    while ((got = recv (fd, reply + total, sizeof reply - 1 - (size_t) total, 0)) > 0 && total < (ssize_t) sizeof reply - 1)
        total += got;
    int64_t took = zclock_usecs () - start;
    reply [total > 0 ? total : 0] = 0;
    sscanf (reply, "HTTP/1.1 %d", status);
    close (fd);
    return took;
}

//  The gateway takes connections on its port.
static bool
s_gateway_listens (void *arg)
{
    (void) arg;
    int status;
    return s_post ("/api/v1/file_ticket", "{}", 2, 2, &status) >= 0;
}

static int
s_cmp_i64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

static int64_t
s_median (const char *path, const char *body, size_t size, size_t declared, int *status)
{
    int64_t runs [S_RUNS];
    for (int i = 0; i < S_RUNS; i++)
        runs [i] = s_post (path, body, size, declared, status);
    qsort (runs, S_RUNS, sizeof runs [0], s_cmp_i64);
    return runs [S_RUNS / 2];
}

int
main (void)
{
    h_init ();
    if (kf_test_dir_setup (NULL))
        return 1;
    s_port = 20000 + (int) (getpid () % 20000);
    char config [256], text [2048];
    snprintf (text, sizeof text,
        "cluster\n    data_dir = %s/data\n    log_level = notice\n"
        "bus\n    publish = ipc://%s/in\n    subscribe = ipc://%s/out\n"
        "estates\n    E001\n        name = one\n"
        "services\n    intake\n        endpoint = ipc://%s/intake\n        replay = ipc://%s/replay\n"
        "    gateway\n        listen = 127.0.0.1:%d\n        max_body = %d\n"
        "gateway\n    tokens\n        desk\n            secret = \"bench-desk-0123456789abcdef\"\n"
        "            estate = E001\n            role = front_desk\n",
        kf_test_dir, kf_test_dir, kf_test_dir, kf_test_dir, kf_test_dir, s_port, S_MAX_BODY);
    snprintf (config, sizeof config, "%s/kefu.conf", kf_test_dir);
    FILE *file = fopen (config, "w");
    fputs (text, file);
    fclose (file);
    h_proc_t bus, intake, gateway;
    h_proc_init (&bus, kf_test_dir, "bus", "kefu-bus", "--config", config, NULL);
    h_proc_init (&intake, kf_test_dir, "intake", "kefu-intake", "--config", config, NULL);
    h_proc_init (&gateway, kf_test_dir, "gateway", "kefu-gateway", "--config", config, NULL);
    h_start (&bus);
    h_start (&intake);
    h_start (&gateway);
    int status = -1;
    if (!h_wait_for (s_answers, config, 10000)) {
        fprintf (stderr, "bench_gateway: kefu-intake does not answer\n");
        h_kill_all ();
        return 1;
    }
    if (!h_wait_for (s_gateway_listens, NULL, 10000)) {
        fprintf (stderr, "bench_gateway: kefu-gateway does not listen on %d\n", s_port);
        h_kill_all ();
        return 1;
    }
    //  A body at the limit: {"estate":"E001","description":"aaaa…"}.
    size_t size = S_MAX_BODY;
    char *body = malloc (size);
    const char *open = "{\"estate\":\"E001\",\"description\":\"";
    memset (body, 'a', size);
    memcpy (body, open, strlen (open));
    memcpy (body + size - 2, "\"}", 2);
    printf ("\ngateway: a POST body into kefu-gateway on loopback (median of %d)\n\n", S_RUNS);
    int64_t read = s_median ("/api/v1/no_such_command", body, size, size, &status);
    printf ("  %d MiB body, read (%d)                 %8.1f ms  %8.1f MB/s\n", S_MAX_BODY >> 20, status,
            (double) read / 1000.0, read > 0 ? (double) size / (double) read : 0);
    int64_t at_limit = s_median ("/api/v1/file_ticket", body, size, size, &status);
    printf ("  %d MiB body, read and decoded (%d)     %8.1f ms  %8.1f MB/s\n", S_MAX_BODY >> 20, status,
            (double) at_limit / 1000.0, at_limit > 0 ? (double) size / (double) at_limit : 0);
    int64_t over = s_median ("/api/v1/file_ticket", body, size, size + 1, &status);
    printf ("  one byte over the limit (%d)           %8.3f ms  (refused from the headers)\n", status,
            (double) over / 1000.0);
    free (body);
    h_stop (&gateway, 10000);
    h_stop (&intake, 10000);
    h_stop (&bus, 10000);
    h_proc_free (&gateway);
    h_proc_free (&intake);
    h_proc_free (&bus);
    kf_test_dir_teardown (NULL);
    return 0;
}
