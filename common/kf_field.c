/*  kf_field — protobuf-c's message layout, in one place.  */
#include "kf_field.h"

#include <assert.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t
kf_field_value_size (ProtobufCType type)
{
    switch (type) {
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
            return 4;
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
            return 8;
        case PROTOBUF_C_TYPE_FLOAT:   return sizeof (float);
        case PROTOBUF_C_TYPE_DOUBLE:  return sizeof (double);
        case PROTOBUF_C_TYPE_BOOL:    return sizeof (protobuf_c_boolean);
        case PROTOBUF_C_TYPE_ENUM:    return sizeof (int);
        case PROTOBUF_C_TYPE_STRING:  return sizeof (char *);
        case PROTOBUF_C_TYPE_BYTES:   return sizeof (ProtobufCBinaryData);
        case PROTOBUF_C_TYPE_MESSAGE: return sizeof (ProtobufCMessage *);
    }
    assert (!"unknown protobuf-c type");
    return 0;
}

static void *
s_at (const ProtobufCMessage *msg, unsigned offset)
{
    return (char *) msg + offset;
}

bool
kf_field_present (const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *field)
{
    if (field->label == PROTOBUF_C_LABEL_REPEATED)
        return *(size_t *) s_at (msg, field->quantifier_offset) > 0;
    if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(uint32_t *) s_at (msg, field->quantifier_offset) == field->id;
    if (field->type == PROTOBUF_C_TYPE_STRING || field->type == PROTOBUF_C_TYPE_MESSAGE)
        return *(void **) s_at (msg, field->offset) != NULL;
    if (field->label == PROTOBUF_C_LABEL_OPTIONAL)
        return *(protobuf_c_boolean *) s_at (msg, field->quantifier_offset);
    return true;   //  required
}

size_t
kf_field_count (const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *field)
{
    if (field->label == PROTOBUF_C_LABEL_REPEATED)
        return *(size_t *) s_at (msg, field->quantifier_offset);
    return 1;
}

const void *
kf_field_element (const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *field, size_t k)
{
    if (field->label == PROTOBUF_C_LABEL_REPEATED)
        return *(char **) s_at (msg, field->offset) + k * kf_field_value_size (field->type);
    assert (k == 0);
    return s_at (msg, field->offset);
}

void *
kf_field_set (ProtobufCMessage *msg, const ProtobufCFieldDescriptor *field)
{
    assert (field->label != PROTOBUF_C_LABEL_REPEATED);
    if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        *(uint32_t *) s_at (msg, field->quantifier_offset) = field->id;
    else
    if (field->label == PROTOBUF_C_LABEL_OPTIONAL
    &&  field->type != PROTOBUF_C_TYPE_STRING && field->type != PROTOBUF_C_TYPE_MESSAGE)
        *(protobuf_c_boolean *) s_at (msg, field->quantifier_offset) = 1;
    return s_at (msg, field->offset);
}

void *
kf_field_append (ProtobufCMessage *msg, const ProtobufCFieldDescriptor *field)
{
    assert (field->label == PROTOBUF_C_LABEL_REPEATED);
    size_t *count = s_at (msg, field->quantifier_offset);
    char **array = s_at (msg, field->offset);
    size_t size = kf_field_value_size (field->type);
    //  Grow by doubling: capacity is the next power of two at or above count.
    size_t n = *count;
    if ((n & (n - 1)) == 0) {
        size_t capacity = n ? n * 2 : 1;
        char *grown = realloc (*array, capacity * size);
        if (!grown)
            return NULL;
        *array = grown;
    }
    void *slot = *array + n * size;
    memset (slot, 0, size);
    (*count)++;
    return slot;
}

//  ---- enum names ------------------------------------------------------------

void
kf_enum_prefix (const ProtobufCEnumDescriptor *descriptor, char *out, size_t size)
{
    assert (descriptor && out && size > 0);
    const char *short_name = descriptor->short_name;
    size_t n = 0;
    for (const char *c = short_name; *c && n + 2 < size; c++) {
        if (isupper ((unsigned char) *c) && c != short_name)
            out [n++] = '_';
        out [n++] = (char) toupper ((unsigned char) *c);
    }
    if (n + 1 < size)
        out [n++] = '_';
    out [n] = 0;
}

int
kf_enum_parse (const ProtobufCEnumDescriptor *descriptor, const char *name, int *value)
{
    assert (descriptor && name && value);
    char prefix [128];
    kf_enum_prefix (descriptor, prefix, sizeof prefix);
    size_t plen = strlen (prefix);
    for (unsigned i = 0; i < descriptor->n_values; i++) {
        const ProtobufCEnumValue *ev = &descriptor->values [i];
        if (strcasecmp (ev->name, name) == 0
        || (strncmp (ev->name, prefix, plen) == 0 && strcasecmp (ev->name + plen, name) == 0)) {
            *value = ev->value;
            return 0;
        }
    }
    return -1;
}

const char *
kf_enum_short_name (const ProtobufCEnumDescriptor *descriptor, int value, char *buf, size_t size)
{
    assert (descriptor && buf && size > 0);
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value (descriptor, value);
    if (!ev) {
        snprintf (buf, size, "%d", value);
        return buf;
    }
    char prefix [128];
    kf_enum_prefix (descriptor, prefix, sizeof prefix);
    size_t plen = strlen (prefix);
    const char *name = strncmp (ev->name, prefix, plen) == 0 ? ev->name + plen : ev->name;
    size_t n = 0;
    for (; name [n] && n + 1 < size; n++)
        buf [n] = (char) tolower ((unsigned char) name [n]);
    buf [n] = 0;
    return buf;
}

bool
kf_enum_known (const ProtobufCEnumDescriptor *descriptor, bool has, int value)
{
    return has && value != 0 && protobuf_c_enum_descriptor_get_value (descriptor, value) != NULL;
}
