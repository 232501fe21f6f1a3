/*  Integration tests of deploy/supervise.sh (make run): started in the
    background by a script, as `sh -c 'supervise.sh ... &'` does, which
    hands it SIGINT ignored, it must still stop on SIGINT, and on SIGTERM:
    every daemon it started gone, and itself exited 0.

    It supervises kefu-bus, kefu-intake and kefu-dispatch of this build
    (links in a directory of their own) on ipc:// in the scratch directory.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <limits.h>

#include "kf_test.h"
#include "kf_harness.h"

static char s_config [256], s_bin [256], s_script [PATH_MAX], s_pid_file [256];
static h_proc_t s_shell;
static pid_t s_supervise;

#define S_DAEMONS 3

static void
s_prepare (void)
{
    const char *d = kf_test_dir;
    char text [4096];
    snprintf (text, sizeof text,
        "cluster\n    name = c1\n    data_dir = %s/data\n"
        "bus\n    publish = ipc://%s/bus-in\n    subscribe = ipc://%s/bus-out\n    heartbeat = 200ms\n"
        "estates\n    E001\n        name = One\n"
        "services\n"
        "    intake\n        endpoint = ipc://%s/intake\n        replay = ipc://%s/intake-replay\n"
        "    dispatch\n        endpoint = ipc://%s/dispatch\n        replay = ipc://%s/dispatch-replay\n",
        d, d, d, d, d, d, d);
    h_write ("kefu.conf", text, s_config, sizeof s_config);
    //  The daemons it is to run, and only those.
    snprintf (s_bin, sizeof s_bin, "%s/bin", d);
    assert_int_equal (mkdir (s_bin, 0750), 0);
    const char *daemons [S_DAEMONS] = { "kefu-bus", "kefu-intake", "kefu-dispatch" };
    for (int i = 0; i < S_DAEMONS; i++) {
        char target [sizeof h_bin_dir + 80], link [512];
        h_program (target, sizeof target, daemons [i]);
        snprintf (link, sizeof link, "%s/%s", s_bin, daemons [i]);
        assert_int_equal (symlink (target, link), 0);
    }
    //  The script of this tree: build/<flavour>/tests/../../../deploy.
    char path [sizeof h_bin_dir + 80];
    snprintf (path, sizeof path, "%s/../../../deploy/supervise.sh", h_bin_dir);
    assert_non_null (realpath (path, s_script));
    snprintf (s_pid_file, sizeof s_pid_file, "%s/supervise.pid", d);
    char logs [256];
    snprintf (logs, sizeof logs, "%s/log", d);
    setenv ("KEFU_LOG_DIR", logs, 1);
}

static bool
s_pid_known (void *arg)
{
    (void) arg;
    FILE *file = fopen (s_pid_file, "r");
    long pid = 0;
    if (file) {
        if (fscanf (file, "%ld", &pid) != 1)
            pid = 0;
        fclose (file);
    }
    s_supervise = (pid_t) pid;
    return pid > 0;
}

//  supervise.sh's children that are kefu daemons, into pids; how many.
static int
s_daemons (pid_t *pids)
{
    char path [128], list [1024] = "";
    snprintf (path, sizeof path, "/proc/%d/task/%d/children", (int) s_supervise, (int) s_supervise);
    FILE *file = fopen (path, "r");
    if (file) {
        size_t n = fread (list, 1, sizeof list - 1, file);
        list [n] = 0;
        fclose (file);
    }
    int count = 0;
    for (char *word = strtok (list, " \n"); word && count < 16; word = strtok (NULL, " \n")) {
        char exe [PATH_MAX], link [64];
        snprintf (link, sizeof link, "/proc/%s/exe", word);
        ssize_t len = readlink (link, exe, sizeof exe - 1);
        exe [len > 0 ? len : 0] = 0;
        const char *name = strrchr (exe, '/');
        if (name && strncmp (name + 1, "kefu-", 5) == 0)
            pids [count++] = (pid_t) atol (word);
    }
    return count;
}

static bool
s_cluster_up (void *arg)
{
    pid_t pids [16];
    char out [4096], err [512];
    char *intake [] = { "kefuctl", "--config", s_config, "ping", "intake", NULL };
    char *dispatch [] = { "kefuctl", "--config", s_config, "ping", "dispatch", NULL };
    (void) arg;
    return s_daemons (pids) == S_DAEMONS && h_runv (kf_test_dir, out, sizeof out, err, sizeof err, intake) == 0
        && h_runv (kf_test_dir, out, sizeof out, err, sizeof err, dispatch) == 0;
}

static int s_shell_status;

static bool
s_shell_gone (void *arg)
{
    (void) arg;
    return waitpid (s_shell.pid, &s_shell_status, WNOHANG) == s_shell.pid;
}

static bool
s_all_gone (void *arg)
{
    const pid_t *pids = arg;
    for (int i = 0; i < S_DAEMONS; i++)
        if (kill (pids [i], 0) == 0 || errno != ESRCH)
            return false;
    return true;
}

//  Start supervise.sh as a script in the background would, wait for its
//  daemons to answer, send it `signal`, and check that it and they are gone.
static void
s_start_and_stop (int signal)
{
    s_prepare ();
    //  "&" in a non-interactive sh: the job starts with SIGINT ignored.
    //  The shell waits for it and exits with its status.
    h_proc_init (&s_shell, kf_test_dir, "supervise", "/bin/sh", "-c",
                 "bash \"$0\" \"$1\" \"$2\" & echo $! > \"$3\"; wait $!", s_script, s_bin, s_config, s_pid_file,
                 NULL);
    h_start (&s_shell);
    if (!h_wait_for (s_pid_known, NULL, 10000))
        fail_msg ("supervise.sh did not start");
    if (!h_wait_for (s_cluster_up, NULL, 20000))
        fail_msg ("supervise.sh's daemons do not answer; see %s", s_shell.log);
    pid_t pids [16];
    assert_int_equal (s_daemons (pids), S_DAEMONS);
    assert_int_equal (kill (s_supervise, signal), 0);
    bool stopped = h_wait_for (s_shell_gone, NULL, 30000);
    if (!stopped) {
        //  Leave nothing behind: SIGTERM stops even the supervisor of old.
        kill (s_supervise, SIGTERM);
        h_wait_for (s_shell_gone, NULL, 30000);
        fail_msg ("supervise.sh did not stop on %s", strsignal (signal));
    }
    s_shell.pid = 0;
    h_forget (&s_shell);
    assert_true (WIFEXITED (s_shell_status));
    assert_int_equal (WEXITSTATUS (s_shell_status), 0);
    assert_true (h_wait_for (s_all_gone, pids, 10000));
    assert_true (h_log_contains (&s_shell, "supervise: stopped"));
    h_proc_free (&s_shell);
}

static void
test_background_sigint (void **state)
{
    (void) state;
    s_start_and_stop (SIGINT);
}

static void
test_background_sigterm (void **state)
{
    (void) state;
    s_start_and_stop (SIGTERM);
}

//  Whatever happened, no supervisor and no daemon outlives its test.
static bool
s_supervise_gone (void *arg)
{
    (void) arg;
    if (s_shell.pid > 0)
        s_shell_gone (NULL);
    return kill (s_supervise, 0) != 0;
}

static int
s_teardown (void **state)
{
    if (s_supervise > 0 && kill (s_supervise, SIGTERM) == 0)
        h_wait_for (s_supervise_gone, NULL, 30000);
    s_supervise = 0;
    return h_teardown (state);
}

int
main (void)
{
    h_init ();
    struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_background_sigint, kf_test_dir_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_background_sigterm, kf_test_dir_setup, s_teardown),
    };
    return H_RUN_TESTS (tests, NULL, NULL);
}
