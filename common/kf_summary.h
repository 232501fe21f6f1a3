/*  kf_summary — one readable line for an event, built from its descriptor.

    Timelines (intake) and `kefuctl tap` describe events for people. Rather
    than a hand-written sentence per kind, which the next new event would
    lack, the line lists the body's set scalar fields as name=value, enums by
    their short names, long texts cut:

        ticket_no=E001-20261123-0001 unit=3-2-1502 category=water_leak ...
*/
#ifndef KF_SUMMARY_H_INCLUDED
#define KF_SUMMARY_H_INCLUDED

#include <stddef.h>
#include "envelope.pb-c.h"

//  The body of an event, NULL when this build does not know it.
const ProtobufCMessage *kf_event_body (const Kf__Envelope *event);

//  The line for a message's fields; `skip` names one field to leave out
//  (NULL: none). Texts over 60 characters end in "…". Returns buf.
const char *kf_summary (const ProtobufCMessage *msg, const char *skip, char *buf, size_t size);

//  A string field of msg by name, NULL when there is none or it is unset.
const char *kf_summary_string (const ProtobufCMessage *msg, const char *name);

#endif
