/*  kf_units_csv — the CSV file of an estate's units (one per line, owner
    of record and occupancy with it), checked whole: every bad line is
    reported with its line and column, and a file with one is refused.
    kefu-registry imports with it; tests of billing and survey make their
    units with it, as the registry would announce them.

    Columns, by name in a header line (unit and area_m2 required):
      unit, area_m2, owner_name, owner_phone, occupied (yes/no),
      occupancy (vacant, handed_over, decorating, occupied, let),
      move_in_date (YYYY-MM-DD), building_type, parking_spaces
    RFC 4180 quoting; spaces around an unquoted field are not part of it.
*/
#ifndef KF_UNITS_CSV_H_INCLUDED
#define KF_UNITS_CSV_H_INCLUDED

#include "kf_codec.h"
#include "billing.pb-c.h"

#define KF_UNITS_CSV_MAX_LINES 200000
#define KF_UNITS_CSV_REJECTS   1000      //  reasons listed; all are counted

typedef struct {
    Kf__Unit **units;             //  the units, in the file's order (arena)
    size_t count;
    Kf__ImportReport *report;     //  rejected lines' reasons (arena); accepted is set
    uint32_t rejected;            //  lines rejected (more than listed, perhaps)
} kf_units_csv_t;

//  Parse `size` bytes of CSV for `estate` into `out`, everything in the
//  arena. Returns 0 when every line is good (out->units holds them), -1
//  when any is not (out->report says which, out->count is 0), or -1 with
//  out->report NULL when the arena ran out.
int kf_units_csv_parse (const void *csv, size_t size, const char *estate, kf_arena_t *arena, kf_units_csv_t *out);

//  Whether a unit's occupancy means someone has it in use: decorating,
//  occupied or let (billing's vacant discount goes to the others).
bool kf_occupancy_in_use (Kf__Occupancy occupancy);

#endif
