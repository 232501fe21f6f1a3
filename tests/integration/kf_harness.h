/*  kf_harness — starting real daemons from a test, and stopping them.

    Daemons run from the build tree next to the test binary, with their
    output in <dir>/<name>.log. A test waits on conditions with a deadline,
    never on a fixed sleep: how long things take is for `make bench`.
*/
#ifndef KF_HARNESS_H_INCLUDED
#define KF_HARNESS_H_INCLUDED

#include <czmq.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include "commands.pb-c.h"
#include "envelope.pb-c.h"
#include "kf_store.h"     //  before bus_effect.h: its store readers too
#include "bus_effect.h"

typedef struct {
    char name [64];        //  for logs and messages
    char log [512];        //  where its stdout and stderr go (appended)
    char *argv [24];       //  the command, kept for restarts
    pid_t pid;             //  0 when not running
} h_proc_t;

static char h_bin_dir [512];   //  build/<flavour>/tests

//  Every process started and not yet stopped: a test that fails half-way
//  must not leave daemons behind (h_kill_all in its teardown).
#define H_MAX_PROCS 64
static h_proc_t *h_running [H_MAX_PROCS];

static inline void
h_forget (h_proc_t *proc)
{
    for (int i = 0; i < H_MAX_PROCS; i++)
        if (h_running [i] == proc)
            h_running [i] = NULL;
}

static inline void
h_init (void)
{
    char exe [512];
    ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    exe [n > 0 ? n : 0] = 0;
    char *slash = strrchr (exe, '/');
    if (slash)
        *slash = 0;
    snprintf (h_bin_dir, sizeof h_bin_dir, "%s", exe);
    //  Sanitizers in the daemons report to their logs and fail them.
    signal (SIGPIPE, SIG_IGN);
}

//  Path of a program of the build: "kefu-bus" is in ../bin, tests beside us.
//  Program names are short: the buffer has room for the directory and 64 more.
static inline void
h_program (char *buf, size_t size, const char *program)
{
    assert (strlen (program) < 64 && size >= sizeof h_bin_dir + 80);
    if (program [0] == '/')
        snprintf (buf, size, "%s", program);
    else
    if (strncmp (program, "kefu-", 5) == 0 || strcmp (program, "kefuctl") == 0)
        snprintf (buf, size, "%s/../bin/%s", h_bin_dir, program);
    else
        snprintf (buf, size, "%s/%s", h_bin_dir, program);
}

//  Prepare a process: program, then its arguments, NULL-terminated.
static inline void
h_proc_init (h_proc_t *proc, const char *dir, const char *name, const char *program, ...)
{
    memset (proc, 0, sizeof *proc);
    snprintf (proc->name, sizeof proc->name, "%s", name);
    snprintf (proc->log, sizeof proc->log, "%s/%s.log", dir, name);
    char path [sizeof h_bin_dir + 80];
    h_program (path, sizeof path, program);
    proc->argv [0] = strdup (path);
    va_list args;
    va_start (args, program);
    int n = 1;
    const char *arg;
    while ((arg = va_arg (args, const char *)) && n < 23)
        proc->argv [n++] = strdup (arg);
    va_end (args);
    proc->argv [n] = NULL;
}

static inline void
h_proc_free (h_proc_t *proc)
{
    for (int i = 0; proc->argv [i]; i++)
        free (proc->argv [i]);
    memset (proc->argv, 0, sizeof proc->argv);
}

static inline void
h_start (h_proc_t *proc)
{
    assert (proc->pid == 0);
    pid_t pid = fork ();
    if (pid == 0) {
        //  A group of its own: kill -9 takes what it started with it (the
        //  supervisor's daemons), so a test that fails leaves nothing behind.
        setpgid (0, 0);
        int fd = open (proc->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2 (fd, STDOUT_FILENO);
            dup2 (fd, STDERR_FILENO);
            close (fd);
        }
        execv (proc->argv [0], proc->argv);
        fprintf (stderr, "cannot run %s: %s\n", proc->argv [0], strerror (errno));
        _exit (127);
    }
    proc->pid = pid;
    h_forget (proc);
    for (int i = 0; i < H_MAX_PROCS; i++)
        if (!h_running [i]) {
            h_running [i] = proc;
            break;
        }
}

//  kill -9, as a crash would (its process group: what it started too).
static inline void
h_kill9 (h_proc_t *proc)
{
    if (proc->pid > 0) {
        kill (-proc->pid, SIGKILL);
        kill (proc->pid, SIGKILL);
        waitpid (proc->pid, NULL, 0);
        proc->pid = 0;
    }
    h_forget (proc);
}

//  kill -9 whatever this test started and did not stop.
static inline void
h_kill_all (void)
{
    for (int i = 0; i < H_MAX_PROCS; i++)
        if (h_running [i])
            h_kill9 (h_running [i]);
}

//  SIGTERM and wait up to timeout_ms; returns the exit status, or -1 when it
//  had to be killed or died of a signal.
static inline int
h_stop (h_proc_t *proc, int timeout_ms)
{
    h_forget (proc);
    if (proc->pid <= 0)
        return 0;
    kill (proc->pid, SIGTERM);
    int status = 0;
    int64_t deadline = zclock_mono () + timeout_ms;
    while (waitpid (proc->pid, &status, WNOHANG) == 0) {
        if (zclock_mono () > deadline) {
            kill (proc->pid, SIGKILL);
            waitpid (proc->pid, &status, 0);
            proc->pid = 0;
            return -1;
        }
        zclock_sleep (10);
    }
    proc->pid = 0;
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

//  Run a program of the build to its end: argv [0] names it ("kefuctl"),
//  the rest are its arguments, NULL-terminated. Its stdout goes into out
//  (cut to size), its stderr into err (may be NULL). Returns its exit
//  status, or -1 when it died of a signal or, timeout_ms given (>= 0), was
//  still running then (it is killed).
static inline int
h_runv_within (const char *dir, char *out, size_t size, char *err, size_t err_size, char *const *argv,
               int timeout_ms)
{
    char path [sizeof h_bin_dir + 80], out_file [512], err_file [512];
    h_program (path, sizeof path, argv [0]);
    snprintf (out_file, sizeof out_file, "%s/.h_run.out", dir);
    snprintf (err_file, sizeof err_file, "%s/.h_run.err", dir);
    pid_t pid = fork ();
    if (pid == 0) {
        int fd = open (out_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open (err_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2 (fd, STDOUT_FILENO);
        dup2 (fe, STDERR_FILENO);
        execv (path, argv);
        _exit (127);
    }
    int status = 0;
    int64_t deadline = zclock_mono () + timeout_ms;
    while (timeout_ms >= 0 && waitpid (pid, &status, WNOHANG) == 0) {
        if (zclock_mono () > deadline) {
            kill (pid, SIGKILL);
            waitpid (pid, &status, 0);
            status = -1;
            break;
        }
        zclock_sleep (5);
    }
    if (timeout_ms < 0)
        waitpid (pid, &status, 0);
    const char *files [2] = { out_file, err_file };
    char *bufs [2] = { out, err };
    size_t sizes [2] = { size, err_size };
    for (int i = 0; i < 2; i++) {
        if (!bufs [i] || sizes [i] == 0)
            continue;
        FILE *file = fopen (files [i], "r");
        size_t got = file ? fread (bufs [i], 1, sizes [i] - 1, file) : 0;
        bufs [i][got] = 0;
        if (file)
            fclose (file);
    }
    return status != -1 && WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static inline int
h_runv (const char *dir, char *out, size_t size, char *err, size_t err_size, char *const *argv)
{
    return h_runv_within (dir, out, size, err, err_size, argv, -1);
}

//  The same with the arguments listed: program, then arguments, NULL.
static inline int
h_run (const char *dir, char *out, size_t size, char *err, size_t err_size, const char *program, ...)
{
    char *argv [64] = { (char *) program };
    va_list args;
    va_start (args, program);
    int n = 1;
    const char *arg;
    while ((arg = va_arg (args, const char *)) && n < 63)
        argv [n++] = (char *) arg;
    va_end (args);
    argv [n] = NULL;
    return h_runv (dir, out, size, err, err_size, argv);
}

//  Start a program of the build (argv as for h_runv) with its stdout on a
//  pipe, whose read end goes to *out_fd, and its stderr appended to
//  <dir>/<argv [0]>.err: for watching what it prints while it runs.
//  Returns its pid (waitpid it), or -1.
static inline pid_t
h_spawn_piped (const char *dir, int *out_fd, char *const *argv)
{
    char path [sizeof h_bin_dir + 80], err_file [512];
    h_program (path, sizeof path, argv [0]);
    snprintf (err_file, sizeof err_file, "%s/%s.err", dir, argv [0]);
    int fds [2];
    if (pipe (fds))
        return -1;
    pid_t pid = fork ();
    if (pid == 0) {
        int fe = open (err_file, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2 (fds [1], STDOUT_FILENO);
        dup2 (fe, STDERR_FILENO);
        close (fds [0]);
        close (fds [1]);
        execv (path, argv);
        _exit (127);
    }
    close (fds [1]);
    if (pid < 0) {
        close (fds [0]);
        return -1;
    }
    *out_fd = fds [0];
    return pid;
}

//  Whether the process is still running (it may have died on its own).
static inline bool
h_alive (h_proc_t *proc)
{
    return proc->pid > 0 && waitpid (proc->pid, NULL, WNOHANG) == 0;
}

//  Poll cond until it holds or timeout_ms passes.
static inline bool
h_wait_for (bool (*cond) (void *), void *arg, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (!cond (arg)) {
        if (zclock_mono () > deadline)
            return false;
        zclock_sleep (20);
    }
    return true;
}

static inline bool
h_log_contains (h_proc_t *proc, const char *text)
{
    FILE *file = fopen (proc->log, "r");
    if (!file)
        return false;
    char line [2048];
    bool found = false;
    while (!found && fgets (line, sizeof line, file))
        found = strstr (line, text) != NULL;
    fclose (file);
    return found;
}

//  A request to a daemon's command endpoint, on a DEALER, as kefuctl and
//  the gateway send it (the load tests and benchmarks).
static inline void
h_send_request (zsock_t *client, const Kf__Request *request)
{
    zframe_t *frame = zframe_new (NULL, protobuf_c_message_get_packed_size (&request->base));
    protobuf_c_message_pack (&request->base, zframe_data (frame));
    zframe_send (&frame, client, 0);
}

//  `count` ticket.note_added events of E001 on `stream`, numbered from 1,
//  sent on a PUB-like socket as a producer would (forgeries in the bus
//  tests); the note is the one bus_effect_note makes for that producer.
static inline void
h_send_notes (zsock_t *pub, const char *stream, uint64_t count)
{
    char producer [32];
    snprintf (producer, sizeof producer, "%.*s", (int) strcspn (stream, "/"), stream);
    for (uint64_t seq = 1; seq <= count; seq++) {
        char note [96];
        bus_effect_note (note, sizeof note, producer, "E001", seq);
        Kf__TicketNoteAdded body = KF__TICKET_NOTE_ADDED__INIT;
        body.note = note;
        Kf__Envelope env = KF__ENVELOPE__INIT;
        env.stream = (char *) stream;
        env.estate = "E001";
        env.epoch = 7;
        env.seq = seq;
        env.has_epoch = env.has_seq = 1;
        env.body_case = KF__ENVELOPE__BODY_TICKET_NOTE_ADDED;
        env.ticket_note_added = &body;
        size_t size = protobuf_c_message_get_packed_size (&env.base);
        uint8_t *data = malloc (size);
        assert (data);
        protobuf_c_message_pack (&env.base, data);
        zmq_send (zsock_resolve (pub), "E001/ticket.note_added", 22, ZMQ_SNDMORE);
        zmq_send (zsock_resolve (pub), data, size, 0);
        free (data);
    }
}

//  Whether a TCP port on the loopback can be bound now. A plain socket, not
//  a ZeroMQ one: ZeroMQ closes its listeners later, on its I/O thread, and
//  the daemon's bind could still find the port taken.
static inline bool
h_port_free (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    bool free = fd >= 0 && bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0;
    if (fd >= 0)
        close (fd);
    return free;
}

//  `count` consecutive free TCP ports on the loopback, below the kernel's
//  ephemeral range (32768 and up): there no outgoing connection can take
//  one as its source port between our probe and the daemon's bind.
static inline bool
h_free_ports (int *ports, int count)
{
    srandom ((unsigned) getpid () ^ (unsigned) zclock_mono ());
    for (int attempt = 0; attempt < 100; attempt++) {
        int base = 20000 + (int) (random () % 12000);
        bool all = true;
        for (int i = 0; i < count && all; i++) {
            ports [i] = base + i;
            all = h_port_free (ports [i]);
        }
        if (all)
            return true;
    }
    return false;
}

//  How many lines of a process's log hold a text.
static inline int
h_log_count (h_proc_t *proc, const char *text)
{
    FILE *file = fopen (proc->log, "r");
    if (!file)
        return 0;
    char line [2048];
    int n = 0;
    while (fgets (line, sizeof line, file))
        n += strstr (line, text) != NULL;
    fclose (file);
    return n;
}

//  qsort order of uint64_t (latencies, for percentiles).
static inline int
h_cmp_u64 (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

//  How often a text stands in another (kefuctl's output).
static inline int
h_occurrences (const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = haystack; (p = strstr (p, needle)); p += strlen (needle))
        n++;
    return n;
}

//  The value of "field":"..." (or "field":123) in JSON text, or "" when
//  absent: enough to read kefuctl --json output in a test.
static inline const char *
h_json_field (const char *json, const char *field, char *buf, size_t size)
{
    char key [64];
    snprintf (key, sizeof key, "\"%s\":", field);
    const char *at = strstr (json, key);
    buf [0] = 0;
    if (at) {
        at += strlen (key);
        bool quoted = *at == '"';
        at += quoted;
        size_t n = quoted ? strcspn (at, "\"") : strcspn (at, ",}");
        snprintf (buf, size, "%.*s", (int) (n < size ? n : size - 1), at);
    }
    return buf;
}

//  Where `kefuctl --json backup` says the copy of `producer` is (its
//  "path", a directory under backup_dir named <producer>-<time>), or "".
static inline const char *
h_backup_path (const char *json, const char *producer, char *buf, size_t size)
{
    buf [0] = 0;
    char name [96];
    snprintf (name, sizeof name, "/%s-", producer);
    for (const char *line = json; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL) {
        char path [512];
        h_json_field (line, "path", path, sizeof path);
        const char *end = strchr (line, '\n');
        if (*path && strstr (path, name) && (!end || strstr (line, path) < end)) {
            snprintf (buf, size, "%s", path);
            break;
        }
    }
    return buf;
}

#ifdef cmocka_unit_test
//  ---- kefuctl from a test ---------------------------------------------------------
//  A file that uses these declares its configuration's path s_config and
//  the buffers s_out and s_err (arrays, for sizeof), where the command's
//  output and errors land.

//  kefuctl with the file's configuration: its exit status.
#define CTL(...) h_run (kf_test_dir, s_out, sizeof s_out, s_err, sizeof s_err, "kefuctl", "--config", s_config, \
                        __VA_ARGS__, NULL)
//  ... as operations' ops1 (the recovery and archive commands).
#define CTL_OPS(...) CTL ("--as", "ops1", "--role", "operations", __VA_ARGS__)
//  ... which must succeed.
#define CTL_OK(...) do { if (CTL (__VA_ARGS__)) fail_msg ("kefuctl: %s", s_err); } while (0)

typedef struct {
    const char *config;
    char *out, *err;
    size_t out_size, err_size;
    const char *const *argv;   //  kefuctl's arguments, NULL-terminated
    const char *text;          //  what its output must hold
} h_until_t;

static inline bool
h_output_holds (void *arg)
{
    h_until_t *u = arg;
    char *argv [48] = { "kefuctl", "--config", (char *) u->config };
    int n = 3;
    for (int i = 0; u->argv [i]; i++) {
        assert (n < 47);   //  a test's command line fits, or it says so
        argv [n++] = (char *) u->argv [i];
    }
    argv [n] = NULL;
    return h_runv (kf_test_dir, u->out, u->out_size, u->err, u->err_size, argv) == 0 && strstr (u->out, u->text);
}

//  Wait (15 s at most) until a kefuctl command's output holds a text.
#define UNTIL(text, ...) do { \
        const char *const argv_ [] = { __VA_ARGS__, NULL }; \
        h_until_t until_ = { s_config, s_out, s_err, sizeof s_out, sizeof s_err, argv_, text }; \
        if (!h_wait_for (h_output_holds, &until_, 15000)) \
            fail_msg ("never '%s' in: %s%s", text, s_out, s_err); \
    } while (0)

//  Run an integration file's tests: in their order, or, with
//  KEFU_TEST_ORDER=reverse (make test runs each file so once more), last
//  first, so a test that counts what another made fails; KEFU_TEST_FILTER
//  picks tests by name. Use as H_RUN_TESTS (tests, setup, teardown).
static inline int
h_run_tests (const char *name, struct CMUnitTest *tests, size_t count, CMFixtureFunction setup,
             CMFixtureFunction teardown)
{
    const char *order = getenv ("KEFU_TEST_ORDER");
    if (order && strcmp (order, "reverse") == 0)
        for (size_t i = 0; i < count / 2; i++) {
            struct CMUnitTest swap = tests [i];
            tests [i] = tests [count - 1 - i];
            tests [count - 1 - i] = swap;
        }
    if (getenv ("KEFU_TEST_FILTER"))
        cmocka_set_test_filter (getenv ("KEFU_TEST_FILTER"));
    return _cmocka_run_group_tests (name, tests, count, setup, teardown);
}
#define H_RUN_TESTS(tests, setup, teardown) \
    h_run_tests (#tests, tests, sizeof tests / sizeof tests [0], setup, teardown)
#endif

#ifdef KF_TEST_H_INCLUDED
//  Whether a consumer has applied a stream as far as its producer's head,
//  by `kefuctl lag --json` of each (asked as operations): what a test
//  waits for before it judges what the consumer did with the events.
typedef struct {
    const char *config;
    const char *consumer, *producer, *stream;   //  "desk", "billing", "billing@c1/E001"
} h_caught_up_t;

static inline uint64_t
h_lag_seq (const char *config, const char *daemon, const char *needle, const char *field)
{
    static char out [1 << 16];
    char err [512], value [32];
    if (h_run (kf_test_dir, out, sizeof out, err, sizeof err, "kefuctl", "--config", config, "--as", "ops1",
               "--role", "operations", "--json", "lag", daemon, NULL))
        return 0;
    const char *at = strstr (out, needle);
    return at ? strtoull (h_json_field (at, field, value, sizeof value), NULL, 10) : 0;
}

static inline bool
h_caught_up (void *arg)
{
    const h_caught_up_t *c = arg;
    char needle [160];
    snprintf (needle, sizeof needle, "{\"stream\":\"%s\"", c->stream);
    uint64_t head = h_lag_seq (c->config, c->producer, needle, "head_seq");
    return head > 0 && h_lag_seq (c->config, c->consumer, needle, "last_seq") >= head;
}

//  A file of the test's scratch directory with this text; its path out.
static inline void
h_write (const char *name, const char *text, char *path, size_t size)
{
    snprintf (path, size, "%s/%s", kf_test_dir, name);
    FILE *file = fopen (path, "w");
    if (file) {
        fputs (text, file);
        fclose (file);
    }
}

//  ---- a leak filed, its order dispatched (the restore scenarios of issue 17) ----

//  File a leak at E001 in unit 3-2-15<n>, idempotency key <prefix>-<n>,
//  with kefuctl on `config` as the operations user: its ticket number into
//  ticket_no, "" when it was refused.
static inline void
h_file_leak (const char *config, const char *prefix, int n, char *ticket_no, size_t size)
{
    static char out [8192], err [1024];
    char unit [32], key [64];
    snprintf (unit, sizeof unit, "3-2-15%02d", n);
    snprintf (key, sizeof key, "%s-%d", prefix, n);
    *ticket_no = 0;
    if (h_run (kf_test_dir, out, sizeof out, err, sizeof err, "kefuctl", "--config", config, "--as", "ops1", "--role",
               "operations", "--json", "file", "--estate", "E001", "--unit", unit, "--name", "Owner", "--phone",
               "13800000000", "--type", "repair", "--channel", "phone", "--category", "plumbing", "--key", key,
               "a leak", NULL) != 0)
        return;
    char field [64];
    snprintf (ticket_no, size, "%s", h_json_field (out, "ticket_no", field, sizeof field));
}

//  dispatch lists an order of the ticket at E001 (args: config, ticket_no).
static inline bool
h_has_order (void *arg)
{
    static char out [1 << 20], err [1024];
    const char *const *args = arg;
    char want [96];
    snprintf (want, sizeof want, "\"ticket_no\":\"%s\"", args [1]);
    return h_run (kf_test_dir, out, sizeof out, err, sizeof err, "kefuctl", "--config", args [0], "--as", "ops1",
                  "--role", "operations", "--json", "orders", "--estate", "E001", "--all", NULL) == 0
        && strstr (out, want);
}

#ifdef fail_msg   //  in cmocka tests
//  A table of kefuctl command lines and what each must give: its exit
//  status, and a text in its one line of stderr, which starts "kefuctl: ".
typedef struct {
    const char *args [24];
    int status;
    const char *reason;
} h_ctl_case_t;

//  Run each of `cases` (ended by one without args) as kefuctl --config
//  CONFIG ARGS..., at most 20 s each, and fail at the first that does not
//  give what it says.
static inline void
h_ctl_cases (const char *config, const h_ctl_case_t *cases)
{
    static char out [1 << 16], err [4096];
    for (int i = 0; cases [i].args [0]; i++) {
        char *argv [32] = { "kefuctl", "--config", (char *) config };
        int n = 3;
        for (int j = 0; cases [i].args [j]; j++)
            argv [n++] = (char *) cases [i].args [j];
        argv [n] = NULL;
        int status = h_runv_within (kf_test_dir, out, sizeof out, err, sizeof err, argv, 20000);
        if (status != cases [i].status || !strstr (err, cases [i].reason))
            fail_msg ("case %d (%s %s): status %d, stderr '%s'; expected %d and '%s'", i, cases [i].args [0],
                      cases [i].args [1] ? cases [i].args [1] : "", status, err, cases [i].status, cases [i].reason);
        if (strncmp (err, "kefuctl: ", 9) != 0 || strchr (err, '\n') != err + strlen (err) - 1)
            fail_msg ("case %d (%s): not one line starting 'kefuctl: ': '%s'", i, cases [i].args [0], err);
    }
}
#endif

//  A cluster for a group of tests: kefu-bus and the named services
//  ("intake", "dispatch", ...) on `config`, the services on the file clock
//  `clock`, each started and answering `kefuctl ping` within 10 s.
//  procs [0] is the bus, procs [1..] the services in order. 0, or -1 after
//  printing which did not answer.
#define H_CLUSTER_MAX 12
static inline bool
h_cluster_answers (void *arg)
{
    char **argv = arg;
    char out [4096], err [512];
    return h_runv (kf_test_dir, out, sizeof out, err, sizeof err, argv) == 0;
}

static inline int
h_cluster_up (h_proc_t *procs, const char *const *services, const char *config, const char *clock)
{
    h_proc_init (&procs [0], kf_test_dir, "bus", "kefu-bus", "--config", config, NULL);
    h_start (&procs [0]);
    for (int i = 0; services [i]; i++) {
        assert (i + 1 < H_CLUSTER_MAX);
        char program [64];
        snprintf (program, sizeof program, "kefu-%s", services [i]);
        h_proc_init (&procs [i + 1], kf_test_dir, services [i], program, "--config", config, "--clock", clock, NULL);
        h_start (&procs [i + 1]);
    }
    for (int i = 0; services [i]; i++) {
        char *argv [] = { "kefuctl", "--config", (char *) config, "ping", (char *) services [i], NULL };
        if (!h_wait_for (h_cluster_answers, argv, 10000)) {
            fprintf (stderr, "kefu-%s does not answer\n", services [i]);
            return -1;
        }
    }
    return 0;
}

//  Stop the cluster, services first; 0 when each stopped cleanly.
static inline int
h_cluster_down (h_proc_t *procs, const char *const *services)
{
    int count = 0, rc = 0;
    while (services [count])
        count++;
    for (int i = count; i >= 0; i--) {
        if (h_stop (&procs [i], 10000))
            rc = -1;
        h_proc_free (&procs [i]);
    }
    return rc;
}

//  cmocka teardown for tests that start daemons: none outlives its test,
//  even one that failed half-way; then the scratch directory goes.
static inline int
h_teardown (void **state)
{
    h_kill_all ();
    return kf_test_dir_teardown (state);
}

//  Tests move the file clock by months: an outbox kept a year (bus_extra
//  of h_cluster_config) keeps a consumer still catching up after the start
//  from being trimmed under (retention is by the clock, 7 days by default).
#define H_OUTBOX_YEAR "    outbox_max_age = 365d\n"

//  A test cluster's kefu.conf on ipc:// endpoints in the scratch
//  directory: cluster c1 with its data in data/, the bus (a 200 ms
//  heartbeat, then `bus_extra`'s lines, NULL: none), `middle` (calendars,
//  estates and any other sections, as ZPL), and a command and a replay
//  endpoint for each service named (NULL-terminated). Aborts the test when
//  it does not fit.
static inline void
h_cluster_config (char *text, size_t size, const char *bus_extra, const char *middle, const char *const *services)
{
    const char *d = kf_test_dir;
    int n = snprintf (text, size, "cluster\n    name = c1\n    data_dir = %s/data\n"
                      "bus\n    publish = ipc://%s/bus-in\n    subscribe = ipc://%s/bus-out\n    heartbeat = 200ms\n"
                      "%s%sservices\n", d, d, d, bus_extra ? bus_extra : "", middle);
    for (size_t i = 0; services [i] && n > 0 && (size_t) n < size; i++)
        n += snprintf (text + n, size - (size_t) n, "    %s\n        endpoint = ipc://%s/%s\n"
                       "        replay = ipc://%s/%s-replay\n", services [i], d, services [i], d, services [i]);
    if (n <= 0 || (size_t) n >= size) {
        fprintf (stderr, "h_cluster_config: the configuration does not fit in %zu bytes\n", size);
        abort ();
    }
}

//  A group of tests' cluster on a file clock (a cmocka group setup): the
//  scratch directory, the configuration (write_config fills `config`),
//  the clock file set to `start` (ISO-8601), then h_cluster_up. 0, or -1.
static inline int
h_suite_up (void **state, void (*write_config) (void), h_proc_t *procs, const char *const *services,
            const char *config, char *clock, size_t clock_size, const char *start)
{
    if (kf_test_dir_setup (state))
        return -1;
    h_init ();
    write_config ();
    snprintf (clock, clock_size, "%s/clock", kf_test_dir);
    char *argv [] = { "kefuctl", "--config", (char *) config, "clock", "set", (char *) start, "--file", clock, NULL };
    char out [512], err [512];
    if (h_runv (kf_test_dir, out, sizeof out, err, sizeof err, argv)) {
        fprintf (stderr, "clock set %s: %s", start, err);
        return -1;
    }
    return h_cluster_up (procs, services, config, clock);
}

//  Its group teardown: the cluster stopped, then nothing left behind.
static inline int
h_suite_down (void **state, h_proc_t *procs, const char *const *services)
{
    int rc = h_cluster_down (procs, services);
    h_teardown (state);
    return rc;
}
#endif

#endif
