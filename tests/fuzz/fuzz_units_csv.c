/*  libFuzzer target: kf_units_csv, the check of an estate's register file
    (kefuctl units import's CSV, from whoever typed it).

    Input: the CSV itself. Beyond "no crash, no leak, no UB", it checks the
    parser's promise: a file is all good or refused whole, so either units
    come back and nothing is rejected, or no unit comes back and at least
    one reason does; every unit that comes back is a well-formed unit with
    an area, listed once.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kf_codec.h"
#include "kf_units_csv.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    kf_arena_t *arena = kf_arena_new ();
    if (!arena)
        return 0;
    kf_units_csv_t file;
    int rc = kf_units_csv_parse (data, size, "E001", arena, &file);
    if (file.report) {
        if (rc == 0 && (file.rejected || file.report->n_rejected))
            __builtin_trap ();   //  accepted with a reason to refuse
        if (rc != 0 && (file.count || !file.rejected || file.report->n_rejected == 0))
            __builtin_trap ();   //  refused without a reason, or with units
        for (size_t i = 0; i < file.count; i++) {
            const Kf__Unit *u = file.units [i];
            if (!kf_unit_valid (u->unit) || u->area_centi_m2 <= 0 || strcmp (u->estate, "E001"))
                __builtin_trap ();
            for (size_t j = 0; j < i; j++)
                if (strcmp (file.units [j]->unit, u->unit) == 0)
                    __builtin_trap ();   //  the same unit twice
        }
    }
    kf_arena_destroy (&arena);
    return 0;
}
