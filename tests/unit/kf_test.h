/*  kf_test — helpers shared by the unit tests: a scratch directory per test.  */
#ifndef KF_TEST_H_INCLUDED
#define KF_TEST_H_INCLUDED

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "kf_time.h"

//  The scratch directory of the running test, made by kf_test_dir_setup.
static char kf_test_dir [64];

static inline int
kf_test_dir_remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove (path);
}

//  cmocka setup: a fresh, empty directory under /tmp.
static inline int
kf_test_dir_setup (void **state)
{
    (void) state;
    snprintf (kf_test_dir, sizeof kf_test_dir, "/tmp/kf-test-XXXXXX");
    return mkdtemp (kf_test_dir) ? 0 : -1;
}

//  A directory and everything in it, gone.
static inline int
kf_test_remove_tree (const char *path)
{
    return nftw (path, kf_test_dir_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

//  cmocka teardown: the scratch directory, gone (kept when KEFU_TEST_KEEP
//  is set, for reading the daemons' logs after a failure).
static inline int
kf_test_dir_teardown (void **state)
{
    (void) state;
    if (getenv ("KEFU_TEST_KEEP")) {
        fprintf (stderr, "kept %s\n", kf_test_dir);
        return 0;
    }
    return kf_test_remove_tree (kf_test_dir);
}

#ifdef fail_msg   //  in cmocka tests, not in the benchmarks
//  A local time in Beijing (+08:00), "2026-10-01 10:00", as UTC ms.
static inline int64_t
kf_test_at (const char *local)
{
    int64_t t;
    kf_err_t err;
    if (kf_time_parse (local, 480, &t, &err))
        fail_msg ("%s", err.text);
    return t;
}
#endif

#endif
