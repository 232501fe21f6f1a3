/*  kf_template — messages for people from an event's fields, the paths
    resolved once at load. See kf_template.h.
*/
#include "kf_template.h"
#include "kf_field.h"
#include "kf_money.h"
#include "kf_time.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t literal_from, literal_to;     //  the text before the placeholder, in self->text
    const ProtobufCFieldDescriptor *path [KF_TEMPLATE_DEPTH_MAX];
    int depth;                           //  0: the literal tail, no placeholder
} s_part_t;

struct _kf_template_t {
    const ProtobufCMessageDescriptor *descriptor;
    char *text;                          //  literals, "{{" already made '{'
    s_part_t parts [KF_TEMPLATE_FIELDS_MAX + 1];
    int count;
};

void
kf_template_destroy (kf_template_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free ((*self_p)->text);
        free (*self_p);
        *self_p = NULL;
    }
}

//  "round.name": each segment a field; the last a value people can read.
static int
s_resolve (s_part_t *part, const ProtobufCMessageDescriptor *descriptor, const char *name, kf_err_t *err)
{
    char copy [200];
    if (strlen (name) >= sizeof copy || !*name)
        return kf_err_set (err, "{%s} is not a field name", name);
    snprintf (copy, sizeof copy, "%s", name);
    const ProtobufCMessageDescriptor *in = descriptor;
    char *save = NULL;
    for (char *segment = strtok_r (copy, ".", &save); segment; segment = strtok_r (NULL, ".", &save)) {
        if (!in)
            return kf_err_set (err, "{%s}: '%s' is not a message, it has no fields", name, part->path [part->depth - 1]->name);
        if (part->depth == KF_TEMPLATE_DEPTH_MAX)
            return kf_err_set (err, "{%s} goes deeper than %d fields", name, KF_TEMPLATE_DEPTH_MAX);
        const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field_by_name (in, segment);
        if (!field)
            return kf_err_set (err, "{%s}: %s has no field '%s'", name, in->name, segment);
        if (field->label == PROTOBUF_C_LABEL_REPEATED)
            return kf_err_set (err, "{%s}: '%s' is a list, not one value", name, segment);
        part->path [part->depth++] = field;
        in = field->type == PROTOBUF_C_TYPE_MESSAGE ? field->descriptor : NULL;
    }
    if (part->depth == 0 || in)
        return kf_err_set (err, "{%s} is a message, not a value: name one of its fields", name);
    if (part->path [part->depth - 1]->type == PROTOBUF_C_TYPE_BYTES)
        return kf_err_set (err, "{%s} holds bytes, not text", name);
    return 0;
}

kf_template_t *
kf_template_new (const char *text, const ProtobufCMessageDescriptor *descriptor, kf_err_t *err)
{
    assert (descriptor);
    size_t len = text ? strlen (text) : 0;
    if (!text || len > KF_TEMPLATE_TEXT_MAX || !kf_utf8_valid (text, len)) {
        kf_err_set (err, "a template is UTF-8 text of at most %d bytes", KF_TEMPLATE_TEXT_MAX);
        return NULL;
    }
    kf_template_t *self = calloc (1, sizeof *self);
    if (self)
        self->text = malloc (len + 1);
    if (!self || !self->text) {
        kf_template_destroy (&self);
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->descriptor = descriptor;
    size_t out = 0, from = 0;
    for (size_t at = 0; at < len; ) {
        if (text [at] == '{' && text [at + 1] == '{') {
            self->text [out++] = '{';
            at += 2;
            continue;
        }
        if (text [at] == '}' && text [at + 1] == '}') {
            self->text [out++] = '}';
            at += 2;
            continue;
        }
        if (text [at] != '{') {
            self->text [out++] = text [at++];
            continue;
        }
        const char *close = strchr (text + at, '}');
        if (!close) {
            kf_err_set (err, "a '{' at byte %zu is not closed (a literal brace is {{)", at + 1);
            kf_template_destroy (&self);
            return NULL;
        }
        if (self->count == KF_TEMPLATE_FIELDS_MAX) {
            kf_err_set (err, "more than %d placeholders", KF_TEMPLATE_FIELDS_MAX);
            kf_template_destroy (&self);
            return NULL;
        }
        char name [200];
        snprintf (name, sizeof name, "%.*s", (int) (close - text - at - 1), text + at + 1);
        s_part_t *part = &self->parts [self->count];
        part->literal_from = from;
        part->literal_to = out;
        if (s_resolve (part, descriptor, name, err)) {
            kf_template_destroy (&self);
            return NULL;
        }
        self->count++;
        from = out;
        at = (size_t) (close - text) + 1;
    }
    self->text [out] = 0;
    self->parts [self->count] = (s_part_t) { .literal_from = from, .literal_to = out };
    return self;
}

//  One value as people read it, into buf.
static void
s_value (const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *field, int offset_min, char *buf, size_t size)
{
    buf [0] = 0;
    if (!kf_field_present (msg, field))
        return;
    const void *v = kf_field_element (msg, field, 0);
    size_t n = strlen (field->name);
    bool ms = n > 3 && strcmp (field->name + n - 3, "_ms") == 0;
    bool fen = n > 4 && strcmp (field->name + n - 4, "_fen") == 0;
    int64_t number = 0;
    switch (field->type) {
        case PROTOBUF_C_TYPE_STRING:
            snprintf (buf, size, "%s", *(char *const *) v ? *(char *const *) v : "");
            return;
        case PROTOBUF_C_TYPE_BOOL:
            snprintf (buf, size, "%s", *(const protobuf_c_boolean *) v ? "yes" : "no");
            return;
        case PROTOBUF_C_TYPE_ENUM:
            kf_enum_short_name (field->descriptor, *(const int *) v, buf, size);
            return;
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
            number = *(const int32_t *) v;
            break;
        case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
            number = *(const uint32_t *) v;
            break;
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
            number = *(const int64_t *) v;
            break;
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
            snprintf (buf, size, "%" PRIu64, *(const uint64_t *) v);
            return;
        default:
            return;   //  floats and bytes: kefu has none for people
    }
    if (ms)
        kf_local_format (number, offset_min, buf, size);
    else
    if (fen) {
        char yuan [40];
        snprintf (buf, size, "¥%s", kf_fen_format (number, yuan, sizeof yuan));
    }
    else
        snprintf (buf, size, "%" PRId64, number);
}

int
kf_template_render (const kf_template_t *self, const ProtobufCMessage *msg, int offset_min, char *out, size_t size)
{
    assert (self && msg && out && size);
    assert (msg->descriptor == self->descriptor);
    size_t used = 0;
    bool fits = true;
    out [0] = 0;
    for (int i = 0; i <= self->count && fits; i++) {
        const s_part_t *part = &self->parts [i];
        size_t n = part->literal_to - part->literal_from;
        char value [512] = "";
        if (i < self->count) {
            const ProtobufCMessage *at = msg;
            for (int d = 0; at && d < part->depth - 1; d++)
                at = kf_field_present (at, part->path [d])
                   ? *(ProtobufCMessage *const *) kf_field_element (at, part->path [d], 0) : NULL;
            if (at)
                s_value (at, part->path [part->depth - 1], offset_min, value, sizeof value);
        }
        int written = snprintf (out + used, size - used, "%.*s%s", (int) n, self->text + part->literal_from, value);
        if (written < 0 || (size_t) written >= size - used) {
            fits = false;
            used = size - 1;
        }
        else
            used += (size_t) written;
    }
    kf_utf8_clip (out, SIZE_MAX);
    return fits ? 0 : -1;
}
