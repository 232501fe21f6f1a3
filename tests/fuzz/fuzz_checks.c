/*  libFuzzer target: kf_checks, a plan's checkpoints in their text form,
    from whoever wrote the configuration or typed kefuctl plans add.

    Input: the one-line checkpoint. Beyond "no crash, no leak, no UB", it
    checks the parser's promise: a checkpoint taken passes kf_checkpoint_check,
    has 1 .. KF_CHECK_ITEMS_MAX items, and its items written back and read
    again are the same items.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kf_checks.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char text [5000];
    if (size >= sizeof text)
        return 0;
    memcpy (text, data, size);
    text [size] = 0;
    kf_arena_t *arena = kf_arena_new ();
    if (!arena)
        return 0;
    Kf__Checkpoint cp = KF__CHECKPOINT__INIT;
    kf_err_t err;
    if (kf_checkpoint_parse (text, &cp, arena, &err) == 0) {
        if (cp.n_items < 1 || cp.n_items > KF_CHECK_ITEMS_MAX || kf_checkpoint_check (&cp, &err))
            __builtin_trap ();
        static char items [KF_CHECK_ITEMS_MAX * 400];
        kf_check_items_format (&cp, items, sizeof items);
        Kf__Checkpoint again = KF__CHECKPOINT__INIT;
        if (kf_check_items_parse (items, &again, arena, &err) || again.n_items != cp.n_items)
            __builtin_trap ();
        for (size_t i = 0; i < cp.n_items; i++)
            if (kf_codec_digest (&again.items [i]->base) != kf_codec_digest (&cp.items [i]->base))
                __builtin_trap ();
    }
    kf_arena_destroy (&arena);
    return 0;
}
