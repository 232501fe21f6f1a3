/*  kf_checks — a plan's checkpoints as people write them (issue 23): in
    the configuration (a checkpoint's items) and on kefuctl's command line
    (a whole checkpoint), one syntax read by one parser.

    Items, separated by ';':
      yes_no: WHAT                 as it should be, or not
      photo: WHAT                  a photo of it
      reading: WHAT (UNIT MIN..MAX)  a value read; the parenthesis is
                                   optional, and so are its unit and range
    e.g. "yes_no: 水泵处于自动状态; reading: 出水压力 (MPa 0.30..1.20); photo: 控制柜"

    A checkpoint: "NAME | PLACE | AREA | ITEMS", PLACE and AREA may be
    empty; AREA is the common area's unit code its findings are filed at
    (0-..., such as 0-B1-PUMP; 0-0-0, the estate's common areas as a
    whole, when empty): rounds walk common areas, a unit's own
    inspections are the registry's.

    Readings are fixed-point thousandths (no floats): "1.2" is 1200.
*/
#ifndef KF_CHECKS_H_INCLUDED
#define KF_CHECKS_H_INCLUDED

#include "kf_codec.h"
#include "round.pb-c.h"

#define KF_CHECK_WHAT_MAX       100   //  characters of an item
#define KF_CHECKPOINT_NAME_MAX  64    //  characters of a checkpoint's name
#define KF_CHECKPOINT_PLACE_MAX 100   //  ... of its place
#define KF_CHECK_ITEMS_MAX      20    //  items of one checkpoint
#define KF_CHECKPOINTS_MAX      50    //  checkpoints of one plan
#define KF_READING_MAX          INT64_C (1000000000000)   //  |value| in thousandths

//  The items a text lists, into the checkpoint (in the arena). 0, or -1
//  with the reason ("item 2: ...").
int kf_check_items_parse (const char *text, Kf__Checkpoint *checkpoint, kf_arena_t *arena, kf_err_t *err);

//  A whole checkpoint from its one-line form. 0, or -1 with the reason.
int kf_checkpoint_parse (const char *text, Kf__Checkpoint *checkpoint, kf_arena_t *arena, kf_err_t *err);

//  Whether a checkpoint is whole: a name, a place and area that are well
//  formed, one item at least, each with a kind and what to check, a
//  reading's range in order. 0, or -1 with the reason.
int kf_checkpoint_check (const Kf__Checkpoint *checkpoint, kf_err_t *err);

//  "1.2" -> 1200: a decimal with at most three places. 0, or -1.
int kf_milli_parse (const char *text, int64_t *milli);

//  1200 -> "1.2". Returns buf.
const char *kf_milli_format (int64_t milli, char *buf, size_t size);

//  Items back in the text form. Returns buf.
const char *kf_check_items_format (const Kf__Checkpoint *checkpoint, char *buf, size_t size);

#endif
