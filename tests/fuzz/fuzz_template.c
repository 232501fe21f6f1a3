/*  libFuzzer target: kf_template, the texts kefu-notify's templates are
    written in, from whoever wrote the configuration.

    Input: the template's text, for kf.RoundEvent (strings, enums, times,
    a nested message). Beyond "no crash, no leak, no UB", it checks the
    promise: a template taken renders a sample event into valid UTF-8,
    whether it fits or is cut.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kf_field.h"
#include "kf_template.h"
#include "envelope.pb-c.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char text [KF_TEMPLATE_TEXT_MAX + 8];
    if (size >= sizeof text)
        return 0;
    memcpy (text, data, size);
    text [size] = 0;
    kf_err_t err;
    kf_template_t *t = kf_template_new (text, &kf__round_event__descriptor, &err);
    if (!t)
        return 0;
    Kf__Round round = KF__ROUND__INIT;
    round.name = "消防巡检 fire";
    round.round_id = "E001-FIRE-20261123-0900";
    KF_SET (&round, status, KF__ROUND_STATUS__ROUND_STATUS_MISSED);
    KF_SET (&round, due_ms, INT64_C (1795410000000));
    KF_SET (&round, late, 1);
    Kf__RoundEvent event = KF__ROUND_EVENT__INIT;
    event.round = &round;
    event.checkpoint = "泵房";
    char out [64], big [KF_TEMPLATE_TEXT_MAX * 2];
    kf_template_render (t, &event.base, 480, out, sizeof out);
    kf_template_render (t, &event.base, 480, big, sizeof big);
    if (!kf_utf8_valid (out, strlen (out)) || !kf_utf8_valid (big, strlen (big)))
        __builtin_trap ();
    kf_template_destroy (&t);
    return 0;
}
