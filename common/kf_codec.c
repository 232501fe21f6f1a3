/*  kf_codec — size-capped, validated protobuf decoding.  */
#include "kf_codec.h"
#include "kf_field.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_DEPTH 32

static void *
s_alloc (void *data, size_t size)
{
    (void) data;
    return calloc (1, size ? size : 1);
}

static void
s_free (void *data, void *ptr)
{
    (void) data;
    free (ptr);
}

ProtobufCAllocator kf_codec_allocator = { s_alloc, s_free, NULL };

size_t
kf_utf8_decode (const char *text, size_t size, uint32_t *code_point)
{
    const unsigned char *s = (const unsigned char *) text;
    if (size == 0)
        return 0;
    unsigned char c = s [0];
    if (c < 0x80) {
        *code_point = c;
        return 1;
    }
    size_t n;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0)      { n = 2; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (size < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s [i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s [i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    *code_point = cp;
    return n;
}

bool
kf_utf8_valid (const char *text, size_t size)
{
    uint32_t cp;
    for (size_t i = 0; i < size; ) {
        size_t n = kf_utf8_decode (text + i, size - i, &cp);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

size_t
kf_utf8_length (const char *text)
{
    size_t n = 0;
    for (const unsigned char *s = (const unsigned char *) text; *s; s++)
        n += (*s & 0xC0) != 0x80;
    return n;
}

static int
s_validate (const ProtobufCMessage *msg, int depth, kf_err_t *err)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    if (depth > S_MAX_DEPTH)
        return kf_err_set (err, "%s: nested too deeply", d->name);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields [i];
        if (!kf_field_present (msg, f))
            continue;
        size_t count = kf_field_count (msg, f);
        if (count > KF_CODEC_MAX_REPEATED)
            return kf_err_set (err, "%s.%s: %zu elements, more than %u", d->name, f->name,
                               count, KF_CODEC_MAX_REPEATED);
        for (size_t k = 0; k < count; k++) {
            const void *value = kf_field_element (msg, f, k);
            switch (f->type) {
                case PROTOBUF_C_TYPE_ENUM: {
                    int v = *(const int *) value;
                    const ProtobufCEnumDescriptor *e = f->descriptor;
                    if (!protobuf_c_enum_descriptor_get_value (e, v))
                        return kf_err_set (err, "%s.%s: %d is not a %s", d->name, f->name, v, e->name);
                    break;
                }
                case PROTOBUF_C_TYPE_STRING: {
                    const char *s = *(char *const *) value;
                    size_t len = s ? strlen (s) : 0;
                    if (len > KF_CODEC_MAX_STRING)
                        return kf_err_set (err, "%s.%s: %zu bytes, more than %u", d->name, f->name,
                                           len, KF_CODEC_MAX_STRING);
                    if (s && !kf_utf8_valid (s, len))
                        return kf_err_set (err, "%s.%s: not valid UTF-8", d->name, f->name);
                    break;
                }
                case PROTOBUF_C_TYPE_BYTES: {
                    const ProtobufCBinaryData *b = value;
                    if (b->len > KF_CODEC_MAX_STRING)
                        return kf_err_set (err, "%s.%s: %zu bytes, more than %u", d->name, f->name,
                                           b->len, KF_CODEC_MAX_STRING);
                    break;
                }
                case PROTOBUF_C_TYPE_MESSAGE: {
                    const ProtobufCMessage *sub = *(ProtobufCMessage *const *) value;
                    if (sub && s_validate (sub, depth + 1, err))
                        return -1;
                    break;
                }
                default:
                    break;
            }
        }
    }
    return 0;
}

int
kf_codec_validate (const ProtobufCMessage *msg, kf_err_t *err)
{
    assert (msg);
    return s_validate (msg, 0, err);
}

ProtobufCMessage *
kf_codec_unpack (const ProtobufCMessageDescriptor *descriptor, const void *data, size_t size,
                 kf_err_t *err)
{
    assert (descriptor);
    if (size > KF_CODEC_MAX_MESSAGE) {
        kf_err_set (err, "%s: %zu bytes, more than the %u allowed", descriptor->name, size,
                    KF_CODEC_MAX_MESSAGE);
        return NULL;
    }
    ProtobufCMessage *msg = protobuf_c_message_unpack (descriptor, &kf_codec_allocator, size,
                                                       size ? data : (const uint8_t *) "");
    if (!msg) {
        kf_err_set (err, "malformed protobuf: not a valid %s", descriptor->name);
        return NULL;
    }
    if (kf_codec_validate (msg, err)) {
        kf_codec_free (&msg);
        return NULL;
    }
    return msg;
}

void
kf_codec_free (ProtobufCMessage **msg_p)
{
    assert (msg_p);
    if (*msg_p) {
        protobuf_c_message_free_unpacked (*msg_p, &kf_codec_allocator);
        *msg_p = NULL;
    }
}

uint8_t *
kf_codec_pack (const ProtobufCMessage *msg, size_t *size)
{
    assert (msg && size);
    *size = protobuf_c_message_get_packed_size (msg);
    uint8_t *data = malloc (*size ? *size : 1);
    if (data)
        protobuf_c_message_pack (msg, data);
    return data;
}

const ProtobufCFieldDescriptor *
kf_codec_oneof_case (const ProtobufCMessage *msg, const char *oneof_member)
{
    assert (msg && oneof_member);
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const ProtobufCFieldDescriptor *member = protobuf_c_message_descriptor_get_field_by_name (d, oneof_member);
    assert (member && (member->flags & PROTOBUF_C_FIELD_FLAG_ONEOF));
    uint32_t which = *(const uint32_t *) ((const char *) msg + member->quantifier_offset);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields [i];
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && f->quantifier_offset == member->quantifier_offset
        &&  f->id == which)
            return f;
    }
    return NULL;
}

const char *
kf_codec_event_kind (const ProtobufCMessage *envelope, char *buf, size_t size)
{
    assert (envelope && buf && size > 0);
    const ProtobufCMessageDescriptor *d = envelope->descriptor;
    const ProtobufCFieldDescriptor *body = NULL;
    for (unsigned i = 0; i < d->n_fields && !body; i++)
        if (d->fields [i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            body = kf_codec_oneof_case (envelope, d->fields [i].name);
    snprintf (buf, size, "%s", body ? body->name : "unknown");
    char *underscore = strchr (buf, '_');
    if (body && underscore)
        *underscore = '.';
    return buf;
}
