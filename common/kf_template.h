/*  kf_template — a message for people made from an event's body (issue 24:
    kefu-notify's template per event kind, language and channel), checked
    against the body's descriptor when the template is loaded, so that a
    template naming a field the event does not have stops the daemon with
    a one-line error instead of sending a hole.

    Text with placeholders: "工单 {ticket_no} 已派给 {staff_name}". A
    placeholder names a field of the body, or of a message inside it
    ({round.name}); "{{" is a literal '{'. Values read as people read them:
    enums by their short names (water_leak), true/false as yes/no, fields
    ending in _ms as local times in the estate's offset (2026-11-24 09:30),
    fields ending in _fen as yuan (¥12.34), other numbers in decimal; an
    unset field is empty.
*/
#ifndef KF_TEMPLATE_H_INCLUDED
#define KF_TEMPLATE_H_INCLUDED

#include "kf_codec.h"

#define KF_TEMPLATE_TEXT_MAX     4000    //  bytes of a template
#define KF_TEMPLATE_FIELDS_MAX   32      //  placeholders in one template
#define KF_TEMPLATE_DEPTH_MAX    4       //  {a.b.c.d}

typedef struct _kf_template_t kf_template_t;

//  The template `text` for messages of `descriptor`; NULL with the reason
//  ("{staff} : kf.OrderAssigned has no field 'staff'").
kf_template_t *kf_template_new (const char *text, const ProtobufCMessageDescriptor *descriptor, kf_err_t *err);
void kf_template_destroy (kf_template_t **self_p);

//  The text for `msg` (of the template's type), times at offset_min. 0, or
//  -1 when it does not fit in size (out then holds what fitted, ended on a
//  whole character).
int kf_template_render (const kf_template_t *self, const ProtobufCMessage *msg, int offset_min, char *out,
                        size_t size);

#endif
