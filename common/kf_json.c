/*  kf_json — descriptor-driven protobuf ⇄ JSON: the output buffer and the
    encoder. See kf_json.h; the decoder is kf_json_decode.c.
*/
#include "kf_json_private.h"

//  ---- output buffer --------------------------------------------------------


void
kf_json_put (kf_json_buf_t *b, const char *data, size_t len)
{
    if (b->oom)
        return;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *grown = realloc (b->data, cap);
        if (!grown) {
            b->oom = true;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy (b->data + b->len, data, len);
    b->len += len;
    b->data [b->len] = 0;
}

static void
s_puts (kf_json_buf_t *b, const char *s)
{
    kf_json_put (b, s, strlen (s));
}

static void
s_printf (kf_json_buf_t *b, const char *format, ...) __attribute__ ((format (printf, 2, 3)));
static void
s_printf (kf_json_buf_t *b, const char *format, ...)
{
    char tmp [64];
    va_list args;
    va_start (args, format);
    int n = vsnprintf (tmp, sizeof tmp, format, args);
    va_end (args);
    assert (n >= 0 && (size_t) n < sizeof tmp);
    kf_json_put (b, tmp, (size_t) n);
}

//  ---- encoding -------------------------------------------------------------

static const char s_b64 [] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
s_encode_base64 (kf_json_buf_t *b, const uint8_t *data, size_t len)
{
    kf_json_put (b, "\"", 1);
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t) data [i] << 16;
        if (i + 1 < len) v |= (uint32_t) data [i + 1] << 8;
        if (i + 2 < len) v |= data [i + 2];
        char out [4] = { s_b64 [v >> 18 & 63], s_b64 [v >> 12 & 63],
                         i + 1 < len ? s_b64 [v >> 6 & 63] : '=', i + 2 < len ? s_b64 [v & 63] : '=' };
        kf_json_put (b, out, 4);
    }
    kf_json_put (b, "\"", 1);
}

static void
s_encode_string (kf_json_buf_t *b, const char *s)
{
    kf_json_put (b, "\"", 1);
    const char *p = s, *end = s + strlen (s);
    while (p < end) {
        unsigned char c = (unsigned char) *p;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            const char *run = p;
            while (p < end && (unsigned char) *p >= 0x20 && (unsigned char) *p < 0x80
                   && *p != '"' && *p != '\\')
                p++;
            kf_json_put (b, run, (size_t) (p - run));
            continue;
        }
        if (c < 0x80) {
            switch (c) {
                case '"':  s_puts (b, "\\\""); break;
                case '\\': s_puts (b, "\\\\"); break;
                case '\n': s_puts (b, "\\n"); break;
                case '\r': s_puts (b, "\\r"); break;
                case '\t': s_puts (b, "\\t"); break;
                case '\b': s_puts (b, "\\b"); break;
                case '\f': s_puts (b, "\\f"); break;
                default:   s_printf (b, "\\u%04x", c);
            }
            p++;
            continue;
        }
        uint32_t cp;
        size_t n = kf_utf8_decode (p, (size_t) (end - p), &cp);
        if (n == 0) {
            s_puts (b, "\\ufffd");
            p++;
        }
        else
        if (cp == 0x2028 || cp == 0x2029) {
            //  Valid JSON, but not valid in older JavaScript: escape them.
            s_printf (b, "\\u%04" PRIx32, cp);
            p += n;
        }
        else {
            kf_json_put (b, p, n);
            p += n;
        }
    }
    kf_json_put (b, "\"", 1);
}

static void s_encode_message (kf_json_buf_t *b, const ProtobufCMessage *msg, bool lists);

static void
s_encode_value (kf_json_buf_t *b, const ProtobufCFieldDescriptor *f, const void *v)
{
    switch (f->type) {
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
            s_printf (b, "%" PRId32, *(const int32_t *) v);
            break;
        case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
            s_printf (b, "%" PRIu32, *(const uint32_t *) v);
            break;
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
            s_printf (b, "\"%" PRId64 "\"", *(const int64_t *) v);
            break;
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
            s_printf (b, "\"%" PRIu64 "\"", *(const uint64_t *) v);
            break;
        case PROTOBUF_C_TYPE_FLOAT: case PROTOBUF_C_TYPE_DOUBLE: {
            double d = f->type == PROTOBUF_C_TYPE_FLOAT ? *(const float *) v : *(const double *) v;
            if (isnan (d))
                s_puts (b, "\"NaN\"");
            else
            if (isinf (d))
                s_puts (b, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
            else
                s_printf (b, f->type == PROTOBUF_C_TYPE_FLOAT ? "%.9g" : "%.17g", d);
            break;
        }
        case PROTOBUF_C_TYPE_BOOL:
            s_puts (b, *(const protobuf_c_boolean *) v ? "true" : "false");
            break;
        case PROTOBUF_C_TYPE_ENUM: {
            const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value (f->descriptor, *(const int *) v);
            if (ev)
                s_encode_string (b, ev->name);
            else
                s_printf (b, "%d", *(const int *) v);
            break;
        }
        case PROTOBUF_C_TYPE_STRING: {
            const char *s = *(char *const *) v;
            s_encode_string (b, s ? s : "");
            break;
        }
        case PROTOBUF_C_TYPE_BYTES: {
            const ProtobufCBinaryData *bin = v;
            s_encode_base64 (b, bin->data, bin->len);
            break;
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessage *sub = *(ProtobufCMessage *const *) v;
            if (sub)
                s_encode_message (b, sub, false);
            else
                s_puts (b, "{}");
            break;
        }
    }
}

//  `lists`: the message's own repeated fields are written even when empty.
static void
s_encode_message (kf_json_buf_t *b, const ProtobufCMessage *msg, bool lists)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    bool first = true;
    kf_json_put (b, "{", 1);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields [i];
        if (!kf_field_present (msg, f) && !(lists && f->label == PROTOBUF_C_LABEL_REPEATED))
            continue;
        if (!first)
            kf_json_put (b, ",", 1);
        first = false;
        s_encode_string (b, f->name);
        kf_json_put (b, ":", 1);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            kf_json_put (b, "[", 1);
            size_t count = kf_field_count (msg, f);
            for (size_t k = 0; k < count; k++) {
                if (k)
                    kf_json_put (b, ",", 1);
                s_encode_value (b, f, kf_field_element (msg, f, k));
            }
            kf_json_put (b, "]", 1);
        }
        else
            s_encode_value (b, f, kf_field_element (msg, f, 0));
    }
    kf_json_put (b, "}", 1);
}

static char *
s_encode (const ProtobufCMessage *msg, bool lists)
{
    assert (msg);
    kf_json_buf_t b = { 0 };
    s_encode_message (&b, msg, lists);
    if (b.oom) {
        free (b.data);
        return NULL;
    }
    return b.data;
}

char *
kf_json_encode (const ProtobufCMessage *msg)
{
    return s_encode (msg, false);
}

char *
kf_json_encode_lists (const ProtobufCMessage *msg)
{
    return s_encode (msg, true);
}

char *
kf_json_quote (const char *text)
{
    assert (text);
    kf_json_buf_t b = { 0 };
    s_encode_string (&b, text);
    if (b.oom) {
        free (b.data);
        return NULL;
    }
    return b.data;
}
