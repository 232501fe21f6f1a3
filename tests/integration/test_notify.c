/*  Integration tests of kf_notify: real daemons started as systemd starts a
    Type=notify unit, with NOTIFY_SOCKET naming a datagram socket this test
    binds (and WATCHDOG_USEC when the unit has WatchdogSec). Each kind of
    loop is covered: kefu-bus's own, a domain daemon's kf_bus (kefu-intake)
    and the gateway's zloop. READY=1 must come once the daemon answers,
    WATCHDOG=1 keep coming while it runs and only when asked for, STOPPING=1
    on SIGTERM; a daemon that cannot start must never say READY=1.

    The daemons need no bus to start (they connect when it comes), so each
    runs alone and every notification on the socket is its own.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "kf_test.h"
#include "kf_harness.h"

static char s_config [256], s_socket [100];
static int s_fd = -1;
static h_proc_t s_daemon;

static int
s_setup (void **state)
{
    if (kf_test_dir_setup (state))
        return -1;
    const char *d = kf_test_dir;
    char text [4096];
    snprintf (text, sizeof text,
        "cluster\n    name = c1\n    data_dir = %s/data\n"
        "bus\n    publish = ipc://%s/bus-in\n    subscribe = ipc://%s/bus-out\n    capture = ipc://%s/bus-tap\n"
        "estates\n    E001\n        name = One\n"
        "services\n"
        "    intake\n        endpoint = ipc://%s/intake\n        replay = ipc://%s/intake-replay\n"
        "    gateway\n        listen = 127.0.0.1:%u\n"
        "gateway\n    tokens\n        ops\n            secret = \"ops-token-000000000\"\n"
        "            role = operations\n",
        d, d, d, d, d, d, 20000 + (unsigned) getpid () % 20000);
    h_write ("kefu.conf", text, s_config, sizeof s_config);
    //  What systemd listens on: a unix datagram socket.
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf (s_socket, sizeof s_socket, "%s/notify", d);
    snprintf (addr.sun_path, sizeof addr.sun_path, "%s", s_socket);
    s_fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    return s_fd >= 0 && bind (s_fd, (struct sockaddr *) &addr, sizeof addr) == 0 ? 0 : -1;
}

static int
s_teardown (void **state)
{
    if (s_fd >= 0)
        close (s_fd);
    s_fd = -1;
    h_proc_free (&s_daemon);
    return h_teardown (state);
}

//  The next notification within timeout_ms into buf; false when none came.
static bool
s_next (char *buf, size_t size, int timeout_ms)
{
    struct pollfd item = { .fd = s_fd, .events = POLLIN };
    if (poll (&item, 1, timeout_ms) != 1)
        return false;
    ssize_t n = recv (s_fd, buf, size - 1, 0);
    buf [n > 0 ? n : 0] = 0;
    return n > 0;
}

//  Wait up to timeout_ms for a notification holding `state`, passing over
//  others (WATCHDOG=1); what came is left in got.
static bool
s_expect (const char *state, int timeout_ms, char *got, size_t size)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    int64_t left;
    while ((left = deadline - zclock_mono ()) > 0)
        if (s_next (got, size, (int) left) && strstr (got, state))
            return true;
    return false;
}

//  Start kefu-NAME as systemd would: NOTIFY_SOCKET set, and WATCHDOG_USEC
//  when watchdog_usec is not NULL. Only this daemon inherits them.
static void
s_start (const char *name, const char *watchdog_usec)
{
    char program [64];
    snprintf (program, sizeof program, "kefu-%s", name);
    h_proc_init (&s_daemon, kf_test_dir, name, program, "--config", s_config, NULL);
    setenv ("NOTIFY_SOCKET", s_socket, 1);
    if (watchdog_usec)
        setenv ("WATCHDOG_USEC", watchdog_usec, 1);
    h_start (&s_daemon);
    unsetenv ("NOTIFY_SOCKET");
    unsetenv ("WATCHDOG_USEC");
}

//  SIGTERM: STOPPING=1 before it exits, and a clean exit.
static void
s_stop_says_stopping (void)
{
    char got [512];
    kill (s_daemon.pid, SIGTERM);
    if (!s_expect ("STOPPING=1", 10000, got, sizeof got))
        fail_msg ("%s sent no STOPPING=1 on SIGTERM; see %s", s_daemon.name, s_daemon.log);
    assert_int_equal (h_stop (&s_daemon, 10000), 0);
}

static void
test_intake_is_ready_when_it_answers (void **state)
{
    (void) state;
    s_start ("intake", NULL);
    char got [512], out [1024], err [512];
    if (!s_expect ("READY=1", 20000, got, sizeof got))
        fail_msg ("no READY=1 from kefu-intake; see %s", s_daemon.log);
    assert_non_null (strstr (got, "STATUS=intake@c1: live on the bus"));
    //  Ready means live: the first ping, at once, is answered.
    assert_int_equal (h_run (kf_test_dir, out, sizeof out, err, sizeof err, "kefuctl", "--config", s_config,
                             "--timeout", "2000", "ping", "intake", NULL), 0);
    //  No WatchdogSec, no WATCHDOG=1; and READY=1 only once.
    assert_false (s_next (got, sizeof got, 600));
    s_stop_says_stopping ();
}

//  Every kind of loop pings while it runs: with WATCHDOG_USEC=200000
//  (WatchdogSec=200ms) every 100 ms, so at least a few in a second even
//  under the sanitizers.
static void
s_watchdog_case (const char *name)
{
    s_start (name, "200000");
    char got [512];
    if (!s_expect ("READY=1", 20000, got, sizeof got))
        fail_msg ("no READY=1 from kefu-%s; see %s", name, s_daemon.log);
    int pings = 0;
    int64_t until = zclock_mono () + 1000;
    while (zclock_mono () < until)
        if (s_next (got, sizeof got, 100) && strcmp (got, "WATCHDOG=1") == 0)
            pings++;
    if (pings < 4)
        fail_msg ("kefu-%s sent %d WATCHDOG=1 in a second; expected about 10", name, pings);
    s_stop_says_stopping ();
}

static void
test_bus_pings_the_watchdog (void **state)
{
    (void) state;
    s_watchdog_case ("bus");
}

static void
test_intake_pings_the_watchdog (void **state)
{
    (void) state;
    s_watchdog_case ("intake");
}

static void
test_gateway_pings_the_watchdog (void **state)
{
    (void) state;
    s_watchdog_case ("gateway");
}

//  A daemon that cannot open its store ends with its reason, and systemd
//  never hears it is ready.
static void
test_no_ready_when_start_fails (void **state)
{
    (void) state;
    char path [512];
    h_write ("data", "not a directory\n", path, sizeof path);
    s_start ("intake", NULL);
    int status = 0;
    assert_int_equal (waitpid (s_daemon.pid, &status, 0), s_daemon.pid);
    s_daemon.pid = 0;
    h_forget (&s_daemon);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 1);
    char got [512];
    if (s_next (got, sizeof got, 200))
        fail_msg ("kefu-intake failed to start yet sent '%s'", got);
}

int
main (void)
{
    h_init ();
    struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_intake_is_ready_when_it_answers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bus_pings_the_watchdog, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_intake_pings_the_watchdog, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_gateway_pings_the_watchdog, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_no_ready_when_start_fails, s_setup, s_teardown),
    };
    return H_RUN_TESTS (tests, NULL, NULL);
}
