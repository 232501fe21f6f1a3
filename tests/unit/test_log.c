/*  Unit tests: kf_log.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kf_log.h"

//  Run fn with stderr going into a pipe; return what it wrote.
static char *
s_capture_stderr (void (*fn) (void))
{
    int fds [2];
    assert_int_equal (pipe (fds), 0);
    int saved = dup (STDERR_FILENO);
    dup2 (fds [1], STDERR_FILENO);
    close (fds [1]);
    fn ();
    dup2 (saved, STDERR_FILENO);
    close (saved);
    static char buf [4096];
    ssize_t n = read (fds [0], buf, sizeof buf - 1);
    close (fds [0]);
    buf [n > 0 ? n : 0] = 0;
    return buf;
}

static void
s_log_some (void)
{
    kf_info ("filed %s", "E001-20261123-0001");
    kf_debug ("not shown at info");
    kf_error ("two\nlines");
    kf_warning ("name '%s'", "a\r\nb\t\x1b[2J\x7f 张三\xc2\x9b" "2J");
}

static void
test_lines_and_levels (void **state)
{
    (void) state;
    unsetenv ("JOURNAL_STREAM");
    unsetenv ("KEFU_LOG");
    kf_log_init ("kefu-test", KF_LOG_INFO);
    char *out = s_capture_stderr (s_log_some);
    assert_non_null (strstr (out, " kefu-test I: filed E001-20261123-0001\n"));
    assert_null (strstr (out, "not shown"));
    //  A message is always one line, whatever its values hold: control
    //  characters are escaped, the rest (UTF-8 included) kept.
    assert_non_null (strstr (out, " kefu-test E: two\\nlines\n"));
    assert_non_null (strstr (out, " kefu-test W: name 'a\\r\\nb\\t\\x1b[2J\\x7f 张三\\u009b2J'\n"));
    int lines = 0;
    for (char *c = out; *c; c++)
        lines += *c == '\n';
    assert_int_equal (lines, 3);

    //  Under systemd, lines carry the syslog priority for journald.
    setenv ("JOURNAL_STREAM", "8:1234", 1);
    kf_log_init ("kefu-test", KF_LOG_DEBUG);
    out = s_capture_stderr (s_log_some);
    assert_non_null (strstr (out, "<6>kefu-test: filed"));
    assert_non_null (strstr (out, "<7>kefu-test: not shown at info"));
    assert_non_null (strstr (out, "<3>kefu-test: two\\nlines"));
    unsetenv ("JOURNAL_STREAM");

    //  KEFU_LOG overrides the level given.
    setenv ("KEFU_LOG", "error", 1);
    kf_log_init ("kefu-test", KF_LOG_DEBUG);
    assert_false (kf_log_enabled (KF_LOG_WARNING));
    assert_true (kf_log_enabled (KF_LOG_ERROR));
    unsetenv ("KEFU_LOG");
}

static void
test_level_names (void **state)
{
    (void) state;
    kf_log_level_t level;
    assert_int_equal (kf_log_level_parse ("warning", &level), 0);
    assert_int_equal (level, KF_LOG_WARNING);
    assert_int_equal (kf_log_level_parse ("DEBUG", &level), 0);
    assert_int_equal (level, KF_LOG_DEBUG);
    assert_int_equal (kf_log_level_parse ("verbose", &level), -1);
    assert_int_equal (kf_log_level_parse (NULL, &level), -1);
}

static void
test_errors_are_one_line (void **state)
{
    (void) state;
    kf_err_t err;
    assert_int_equal (kf_err_set (&err, "unknown estate '%s'\n", "E9"), -1);
    assert_string_equal (err.text, "unknown estate 'E9' ");
    assert_int_equal (kf_err_prefix (&err, "line %d: ", 12), -1);
    assert_string_equal (err.text, "line 12: unknown estate 'E9' ");
    //  A NULL error is allowed and still fails.
    assert_int_equal (kf_err_set (NULL, "ignored"), -1);
    //  A long reason keeps its prefix; the end gives way.
    char long_text [400];
    memset (long_text, 'q', sizeof long_text - 1);
    long_text [sizeof long_text - 1] = 0;
    kf_err_set (&err, "%s", long_text);
    kf_err_prefix (&err, "config: ");
    assert_int_equal (strlen (err.text), sizeof err.text - 1);
    assert_memory_equal (err.text, "config: qqq", 11);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_lines_and_levels),
        cmocka_unit_test (test_level_names),
        cmocka_unit_test (test_errors_are_one_line),
    };
    return cmocka_run_group_tests_name ("kf_log", tests, NULL, NULL);
}
