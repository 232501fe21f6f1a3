/*  fuzz_store — a scratch LMDB store for fuzz targets that need one: made
    once per process, removed at exit.  */
#ifndef FUZZ_STORE_H_INCLUDED
#define FUZZ_STORE_H_INCLUDED

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kf_store.h"

static char fuzz_store_dir [64];

static int
fuzz_store_remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove (path);
}

static void
fuzz_store_cleanup (void)
{
    if (fuzz_store_dir [0])
        nftw (fuzz_store_dir, fuzz_store_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static kf_store_t *
fuzz_store_open (const char *const *tables)
{
    snprintf (fuzz_store_dir, sizeof fuzz_store_dir, "/tmp/kf-fuzz-XXXXXX");
    if (!mkdtemp (fuzz_store_dir))
        abort ();
    atexit (fuzz_store_cleanup);
    kf_err_t err;
    kf_store_t *store = kf_store_new (fuzz_store_dir, tables, NULL, &err);
    if (!store) {
        fprintf (stderr, "%s\n", err.text);
        abort ();
    }
    return store;
}

#endif
