/*  kf_summary — readable lines from descriptors.  */
#include "kf_summary.h"
#include "kf_codec.h"
#include "kf_field.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define S_TEXT_MAX 60   //  characters of a text shown before "…"

const ProtobufCMessage *
kf_event_body (const Kf__Envelope *event)
{
    assert (event);
    const ProtobufCFieldDescriptor *f = kf_codec_oneof_case (&event->base, "ticket_filed");
    return f ? *(ProtobufCMessage * const *) kf_field_element (&event->base, f, 0) : NULL;
}

//  Append text to the line, with one space before it when not the first.
static void
s_append (char *buf, size_t size, size_t *len, const char *name, const char *value)
{
    if (*len >= size)
        return;
    int n = snprintf (buf + *len, size - *len, "%s%s=%s", *len ? " " : "", name, value);
    *len = n < 0 ? size : *len + (size_t) n;
    if (*len >= size)
        *len = size;
}

//  A text, cut at S_TEXT_MAX characters on a character boundary; newlines
//  and tabs become spaces so that the line stays one line.
static void
s_text (const char *text, char *out, size_t size)
{
    size_t n = 0, chars = 0, at = 0, len = strlen (text);
    while (at < len && n + 5 < size) {
        uint32_t cp;
        size_t step = kf_utf8_decode (text + at, len - at, &cp);
        if (step == 0)
            break;
        if (chars++ == S_TEXT_MAX) {
            memcpy (out + n, "\xe2\x80\xa6", 3);   //  …
            n += 3;
            break;
        }
        if (cp < 0x20) {
            out [n++] = ' ';
            at += step;
            continue;
        }
        if (n + step + 4 >= size)
            break;
        memcpy (out + n, text + at, step);
        n += step;
        at += step;
    }
    out [n] = 0;
}

//  One scalar value as text; false for a type not shown on one line
//  (nested messages, bytes, floats).
static bool
s_scalar (const ProtobufCFieldDescriptor *f, const void *v, char *value, size_t size)
{
    switch (f->type) {
        case PROTOBUF_C_TYPE_STRING:
            s_text (*(char * const *) v, value, size);
            return true;
        case PROTOBUF_C_TYPE_ENUM:
            kf_enum_short_name (f->descriptor, *(const int *) v, value, size);
            return true;
        case PROTOBUF_C_TYPE_BOOL:
            snprintf (value, size, "%s", *(const protobuf_c_boolean *) v ? "yes" : "no");
            return true;
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
            snprintf (value, size, "%" PRId32, *(const int32_t *) v);
            return true;
        case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
            snprintf (value, size, "%" PRIu32, *(const uint32_t *) v);
            return true;
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
            snprintf (value, size, "%" PRId64, *(const int64_t *) v);
            return true;
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
            snprintf (value, size, "%" PRIu64, *(const uint64_t *) v);
            return true;
        default:
            return false;
    }
}

const char *
kf_summary (const ProtobufCMessage *msg, const char *skip, char *buf, size_t size)
{
    assert (msg && buf && size > 0);
    buf [0] = 0;
    size_t len = 0;
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields [i];
        if (skip && strcmp (f->name, skip) == 0)
            continue;
        //  A repeated field reads as its values joined by commas (the
        //  people an escalation told, the hazards ticked), up to the room.
        size_t count = f->label == PROTOBUF_C_LABEL_REPEATED ? kf_field_count (msg, f)
                     : kf_field_present (msg, f) ? 1 : 0;
        char value [256], one [256];
        size_t used = 0;
        value [0] = 0;
        for (size_t k = 0; k < count && used + 1 < sizeof value; k++) {
            if (!s_scalar (f, kf_field_element (msg, f, k), one, sizeof one))
                break;
            int n = snprintf (value + used, sizeof value - used, "%s%s", k ? "," : "", one);
            used = n < 0 || (size_t) n >= sizeof value - used ? sizeof value : used + (size_t) n;
        }
        if (value [0])
            s_append (buf, size, &len, f->name, value);
    }
    return buf;
}

const char *
kf_summary_string (const ProtobufCMessage *msg, const char *name)
{
    assert (msg && name);
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name (msg->descriptor, name);
    if (!f || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED
    ||  !kf_field_present (msg, f))
        return NULL;
    return *(char * const *) kf_field_element (msg, f, 0);
}
