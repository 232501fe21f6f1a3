/*  kf_json_decode — JSON to a message, driven by its descriptor: strict
    (unknown, duplicate and mistyped fields are errors naming the field;
    the lenient variant skips unknown ones), bounded in depth, validated by
    kf_codec. See kf_json.h.
*/
#include "kf_json_private.h"

//  ---- decoding -------------------------------------------------------------

typedef struct {
    const char *start, *p, *end;
    int depth;
    kf_err_t *err;
    bool failed;
    bool lenient;       //  skip members the message does not have
} s_parser_t;

static int
s_fail (s_parser_t *s, const char *format, ...) __attribute__ ((format (printf, 2, 3)));
static int
s_fail (s_parser_t *s, const char *format, ...)
{
    if (!s->failed && s->err) {
        char what [200];
        va_list args;
        va_start (args, format);
        vsnprintf (what, sizeof what, format, args);
        va_end (args);
        kf_err_set (s->err, "bad JSON at byte %zu: %s", (size_t) (s->p - s->start), what);
    }
    s->failed = true;
    return -1;
}

static void
s_skip_ws (s_parser_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool
s_peek (s_parser_t *s, char c)
{
    s_skip_ws (s);
    return s->p < s->end && *s->p == c;
}

static int
s_expect (s_parser_t *s, char c)
{
    if (!s_peek (s, c))
        return s->p < s->end ? s_fail (s, "expected '%c', found '%c'", c, *s->p)
                             : s_fail (s, "expected '%c', found the end", c);
    s->p++;
    return 0;
}

static bool
s_literal (s_parser_t *s, const char *word)
{
    s_skip_ws (s);
    size_t n = strlen (word);
    if ((size_t) (s->end - s->p) >= n && memcmp (s->p, word, n) == 0) {
        s->p += n;
        return true;
    }
    return false;
}

static int
s_hex4 (s_parser_t *s, uint32_t *v)
{
    *v = 0;
    if (s->end - s->p < 4)
        return s_fail (s, "truncated \\u escape");
    for (int i = 0; i < 4; i++) {
        char c = *s->p++;
        int d = isdigit ((unsigned char) c) ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (d < 0)
            return s_fail (s, "bad \\u escape");
        *v = *v << 4 | (uint32_t) d;
    }
    return 0;
}

static void
s_append_utf8 (kf_json_buf_t *b, uint32_t cp)
{
    char out [4];
    size_t n;
    if (cp < 0x80)        { out [0] = (char) cp; n = 1; }
    else if (cp < 0x800)  { out [0] = (char) (0xC0 | cp >> 6); out [1] = (char) (0x80 | (cp & 63)); n = 2; }
    else if (cp < 0x10000) {
        out [0] = (char) (0xE0 | cp >> 12); out [1] = (char) (0x80 | (cp >> 6 & 63));
        out [2] = (char) (0x80 | (cp & 63)); n = 3;
    }
    else {
        out [0] = (char) (0xF0 | cp >> 18); out [1] = (char) (0x80 | (cp >> 12 & 63));
        out [2] = (char) (0x80 | (cp >> 6 & 63)); out [3] = (char) (0x80 | (cp & 63)); n = 4;
    }
    kf_json_put (b, out, n);
}

//  A JSON string as a new NUL-terminated UTF-8 string; *len excludes the NUL.
//  \u0000 is refused: C strings cannot hold it.
static char *
s_parse_string (s_parser_t *s, size_t *len)
{
    if (s_expect (s, '"'))
        return NULL;
    kf_json_buf_t b = { 0 };
    kf_json_put (&b, "", 0);
    while (true) {
        if (s->p >= s->end) {
            s_fail (s, "unterminated string");
            break;
        }
        unsigned char c = (unsigned char) *s->p;
        if (c == '"') {
            s->p++;
            if (b.oom)
                break;
            if (len)
                *len = b.len;
            return b.data;
        }
        if (c < 0x20) {
            s_fail (s, "control character in a string");
            break;
        }
        if (c == '\\') {
            s->p++;
            if (s->p >= s->end) {
                s_fail (s, "unterminated string");
                break;
            }
            char e = *s->p++;
            const char *simple = strchr ("\"\\/bfnrt", e);
            if (simple && e) {
                static const char map [] = "\"\\/\b\f\n\r\t";
                kf_json_put (&b, &map [simple - "\"\\/bfnrt"], 1);
                continue;
            }
            if (e != 'u') {
                s_fail (s, "bad escape '\\%c'", e);
                break;
            }
            uint32_t cp;
            if (s_hex4 (s, &cp))
                break;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (s->end - s->p < 2 || s->p [0] != '\\' || s->p [1] != 'u') {
                    s_fail (s, "lone surrogate in a \\u escape");
                    break;
                }
                s->p += 2;
                if (s_hex4 (s, &lo))
                    break;
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    s_fail (s, "lone surrogate in a \\u escape");
                    break;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            else
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                s_fail (s, "lone surrogate in a \\u escape");
                break;
            }
            if (cp == 0) {
                s_fail (s, "\\u0000 is not allowed in a string");
                break;
            }
            s_append_utf8 (&b, cp);
            continue;
        }
        if (c < 0x80) {
            kf_json_put (&b, s->p++, 1);
            continue;
        }
        uint32_t cp;
        size_t n = kf_utf8_decode (s->p, (size_t) (s->end - s->p), &cp);
        if (n == 0) {
            s_fail (s, "invalid UTF-8 in a string");
            break;
        }
        kf_json_put (&b, s->p, n);
        s->p += n;
    }
    if (b.oom)
        s_fail (s, "out of memory");
    free (b.data);
    return NULL;
}

//  A number token per RFC 8259; *integral tells whether it has no fraction
//  or exponent. Returns its length, 0 when there is none.
static size_t
s_number_token (s_parser_t *s, bool *integral)
{
    s_skip_ws (s);
    const char *p = s->p, *end = s->end;
    *integral = true;
    if (p < end && *p == '-')
        p++;
    if (p >= end || !isdigit ((unsigned char) *p))
        return 0;
    if (*p == '0')
        p++;
    else
        while (p < end && isdigit ((unsigned char) *p))
            p++;
    if (p < end && *p == '.') {
        *integral = false;
        p++;
        if (p >= end || !isdigit ((unsigned char) *p))
            return 0;
        while (p < end && isdigit ((unsigned char) *p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *integral = false;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !isdigit ((unsigned char) *p))
            return 0;
        while (p < end && isdigit ((unsigned char) *p))
            p++;
    }
    return (size_t) (p - s->p);
}

//  An integer, as a JSON number or a string holding one, within [min, max]
//  (signed) or [0, umax] (unsigned, when is_unsigned).
static int
s_parse_integer (s_parser_t *s, const char *field, bool is_unsigned, int64_t min, int64_t max,
                 uint64_t umax, int64_t *sv, uint64_t *uv)
{
    char text [32];
    size_t n;
    if (s_peek (s, '"')) {
        char *str = s_parse_string (s, &n);
        if (!str)
            return -1;
        bool fits = n < sizeof text;
        if (fits)
            memcpy (text, str, n + 1);
        free (str);
        if (!fits)
            return s_fail (s, "%s: not an integer", field);
    }
    else {
        bool integral;
        n = s_number_token (s, &integral);
        if (n == 0 || !integral || n >= sizeof text)
            return s_fail (s, "%s: expected an integer", field);
        memcpy (text, s->p, n);
        text [n] = 0;
        s->p += n;
    }
    //  The text must be exactly an optional '-' and digits.
    const char *d = text + (text [0] == '-');
    if (!*d || (d [0] == '0' && d [1]))
        return s_fail (s, "%s: '%s' is not an integer", field, text);
    for (const char *c = d; *c; c++)
        if (!isdigit ((unsigned char) *c))
            return s_fail (s, "%s: '%s' is not an integer", field, text);
    errno = 0;
    if (is_unsigned) {
        if (text [0] == '-')
            return s_fail (s, "%s: %s is out of range", field, text);
        unsigned long long v = strtoull (text, NULL, 10);
        if (errno || v > umax)
            return s_fail (s, "%s: %s is out of range", field, text);
        *uv = v;
    }
    else {
        long long v = strtoll (text, NULL, 10);
        if (errno || v < min || v > max)
            return s_fail (s, "%s: %s is out of range", field, text);
        *sv = v;
    }
    return 0;
}

static int
s_parse_double (s_parser_t *s, const char *field, double *out)
{
    if (s_peek (s, '"')) {
        char *str = s_parse_string (s, NULL);
        if (!str)
            return -1;
        int rc = 0;
        if (strcmp (str, "NaN") == 0)            *out = NAN;
        else if (strcmp (str, "Infinity") == 0)  *out = INFINITY;
        else if (strcmp (str, "-Infinity") == 0) *out = -INFINITY;
        else rc = s_fail (s, "%s: expected a number", field);
        free (str);
        return rc;
    }
    bool integral;
    size_t n = s_number_token (s, &integral);
    char text [64];
    if (n == 0 || n >= sizeof text)
        return s_fail (s, "%s: expected a number", field);
    memcpy (text, s->p, n);
    text [n] = 0;
    s->p += n;
    errno = 0;
    *out = strtod (text, NULL);
    if (errno == ERANGE && isinf (*out))
        return s_fail (s, "%s: %s is out of range", field, text);
    return 0;
}

static int
s_b64_value (char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

static int
s_parse_bytes (s_parser_t *s, const char *field, ProtobufCBinaryData *out)
{
    size_t n;
    char *str = s_parse_string (s, &n);
    if (!str)
        return -1;
    while (n > 0 && str [n - 1] == '=')
        n--;
    uint8_t *data = malloc (n * 3 / 4 + 1);
    size_t len = 0;
    uint32_t acc = 0;
    int bits = 0;
    bool ok = data != NULL && n % 4 != 1;
    for (size_t i = 0; ok && i < n; i++) {
        int v = s_b64_value (str [i]);
        ok = v >= 0;
        acc = acc << 6 | (uint32_t) (v & 63);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            data [len++] = (uint8_t) (acc >> bits);
        }
    }
    free (str);
    if (!ok) {
        free (data);
        return s_fail (s, "%s: not base64", field);
    }
    out->data = data;
    out->len = len;
    return 0;
}

static int
s_parse_enum (s_parser_t *s, const char *field, const ProtobufCEnumDescriptor *e, int *out)
{
    if (!s_peek (s, '"')) {
        int64_t v;
        if (s_parse_integer (s, field, false, INT32_MIN, INT32_MAX, 0, &v, NULL))
            return -1;
        if (!protobuf_c_enum_descriptor_get_value (e, (int) v))
            return s_fail (s, "%s: %" PRId64 " is not a %s", field, v, e->name);
        *out = (int) v;
        return 0;
    }
    char *name = s_parse_string (s, NULL);
    if (!name)
        return -1;
    int rc = 0;
    if (kf_enum_parse (e, name, out))
        rc = s_fail (s, "%s: '%s' is not a %s", field, name, e->name);
    free (name);
    return rc;
}

static int s_parse_message (s_parser_t *s, ProtobufCMessage *msg);

//  One value of field f into slot (a singular field's storage or a new
//  element of a repeated one).
static int
s_parse_value (s_parser_t *s, const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f, void *slot)
{
    char field [160];
    snprintf (field, sizeof field, "%s.%s", msg->descriptor->name, f->name);
    int64_t sv;
    uint64_t uv;
    switch (f->type) {
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
            if (s_parse_integer (s, field, false, INT32_MIN, INT32_MAX, 0, &sv, NULL))
                return -1;
            *(int32_t *) slot = (int32_t) sv;
            return 0;
        case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
            if (s_parse_integer (s, field, true, 0, 0, UINT32_MAX, NULL, &uv))
                return -1;
            *(uint32_t *) slot = (uint32_t) uv;
            return 0;
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
            if (s_parse_integer (s, field, false, INT64_MIN, INT64_MAX, 0, &sv, NULL))
                return -1;
            *(int64_t *) slot = sv;
            return 0;
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
            if (s_parse_integer (s, field, true, 0, 0, UINT64_MAX, NULL, &uv))
                return -1;
            *(uint64_t *) slot = uv;
            return 0;
        case PROTOBUF_C_TYPE_FLOAT: case PROTOBUF_C_TYPE_DOUBLE: {
            double d = 0;
            if (s_parse_double (s, field, &d))
                return -1;
            if (f->type == PROTOBUF_C_TYPE_DOUBLE)
                *(double *) slot = d;
            else
            if (isfinite (d) && (d > 3.4028234663852886e38 || d < -3.4028234663852886e38))
                return s_fail (s, "%s: out of range for a float", field);
            else
                *(float *) slot = (float) d;
            return 0;
        }
        case PROTOBUF_C_TYPE_BOOL:
            if (s_literal (s, "true"))
                *(protobuf_c_boolean *) slot = 1;
            else
            if (s_literal (s, "false"))
                *(protobuf_c_boolean *) slot = 0;
            else
                return s_fail (s, "%s: expected true or false", field);
            return 0;
        case PROTOBUF_C_TYPE_ENUM:
            return s_parse_enum (s, field, f->descriptor, (int *) slot);
        case PROTOBUF_C_TYPE_STRING:
            if (!s_peek (s, '"'))
                return s_fail (s, "%s: expected a string", field);
            *(char **) slot = s_parse_string (s, NULL);
            return *(char **) slot ? 0 : -1;
        case PROTOBUF_C_TYPE_BYTES:
            if (!s_peek (s, '"'))
                return s_fail (s, "%s: expected a base64 string", field);
            return s_parse_bytes (s, field, slot);
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessageDescriptor *d = f->descriptor;
            ProtobufCMessage *sub = kf_codec_allocator.alloc (NULL, d->sizeof_message);
            if (!sub)
                return s_fail (s, "out of memory");
            d->message_init (sub);
            *(ProtobufCMessage **) slot = sub;   //  owned by the parent from here on
            return s_parse_message (s, sub);
        }
    }
    return s_fail (s, "%s: unsupported field type", field);
}

//  "reporter_name" matches "reporterName".
static bool
s_camel_equal (const char *name, const char *key)
{
    while (*name && *key) {
        if (*name == '_' && name [1] && isalpha ((unsigned char) name [1])) {
            if (toupper ((unsigned char) name [1]) != *key)
                return false;
            name += 2;
        }
        else
        if (*name++ != *key)
            return false;
        key++;
    }
    return *name == 0 && *key == 0;
}

static const ProtobufCFieldDescriptor *
s_find_field (const ProtobufCMessageDescriptor *d, const char *key)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name (d, key);
    for (unsigned i = 0; !f && i < d->n_fields; i++)
        if (s_camel_equal (d->fields [i].name, key))
            f = &d->fields [i];
    return f;
}

static int
s_parse_field (s_parser_t *s, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    const char *name = msg->descriptor->name;
    if (s_literal (s, "null"))
        return 0;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t which = *(uint32_t *) ((char *) msg + f->quantifier_offset);
        if (which != 0)
            return s_fail (s, "%s: '%s' and another member of its oneof are both set", name, f->name);
    }
    if (f->label != PROTOBUF_C_LABEL_REPEATED)
        return s_parse_value (s, msg, f, kf_field_set (msg, f));
    if (s_expect (s, '['))
        return -1;
    if (s_peek (s, ']')) {
        s->p++;
        return 0;
    }
    while (true) {
        if (kf_field_count (msg, f) >= KF_CODEC_MAX_REPEATED)
            return s_fail (s, "%s.%s: more than %u elements", name, f->name, KF_CODEC_MAX_REPEATED);
        void *slot = kf_field_append (msg, f);
        if (!slot)
            return s_fail (s, "out of memory");
        if (s_parse_value (s, msg, f, slot))
            return -1;
        if (!s_peek (s, ','))
            return s_expect (s, ']');
        s->p++;
    }
}

//  Past one JSON value of any shape, checked as the typed parsers check
//  theirs (well-formed strings and numbers, bounded depth): a member the
//  lenient decoder does not keep.
static int
s_skip_value (s_parser_t *s)
{
    s_skip_ws (s);
    if (s->p >= s->end)
        return s_fail (s, "expected a value, found the end");
    if (*s->p == '"') {
        char *str = s_parse_string (s, NULL);
        free (str);
        return str ? 0 : -1;
    }
    if (*s->p == '{' || *s->p == '[') {
        char close = *s->p == '{' ? '}' : ']';
        bool object = close == '}';
        if (++s->depth > KF_JSON_MAX_DEPTH)
            return s_fail (s, "nested more than %d deep", KF_JSON_MAX_DEPTH);
        s->p++;
        int rc = 0;
        if (s_peek (s, close))
            s->p++;
        else
        while (rc == 0) {
            if (object) {
                char *key = s_parse_string (s, NULL);
                if (!key) {
                    rc = -1;
                    break;
                }
                free (key);
                rc = s_expect (s, ':');
            }
            if (rc == 0)
                rc = s_skip_value (s);
            if (rc == 0 && s_peek (s, ','))
                s->p++;
            else {
                if (rc == 0)
                    rc = s_expect (s, close);
                break;
            }
        }
        s->depth--;
        return rc;
    }
    if (s_literal (s, "true") || s_literal (s, "false") || s_literal (s, "null"))
        return 0;
    bool integral;
    size_t n = s_number_token (s, &integral);
    if (n == 0)
        return s_fail (s, "expected a value, found '%c'", *s->p);
    s->p += n;
    return 0;
}

static int
s_parse_message (s_parser_t *s, ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    if (++s->depth > KF_JSON_MAX_DEPTH)
        return s_fail (s, "nested more than %d deep", KF_JSON_MAX_DEPTH);
    if (s_expect (s, '{'))
        return -1;
    bool *seen = calloc (d->n_fields + 1, sizeof *seen);
    if (!seen)
        return s_fail (s, "out of memory");
    int rc = 0;
    if (s_peek (s, '}'))
        s->p++;
    else
    while (rc == 0) {
        char *key = s_parse_string (s, NULL);
        if (!key) {
            rc = -1;
            break;
        }
        const ProtobufCFieldDescriptor *f = s_find_field (d, key);
        if (!f && s->lenient) {
            free (key);
            rc = s_expect (s, ':');
            if (rc == 0)
                rc = s_skip_value (s);
            if (rc == 0 && s_peek (s, ','))
                s->p++;
            else {
                if (rc == 0)
                    rc = s_expect (s, '}');
                break;
            }
            continue;
        }
        if (!f)
            rc = s_fail (s, "%s has no field '%s'", d->name, key);
        else
        if (seen [f - d->fields])
            rc = s_fail (s, "%s.%s appears twice", d->name, f->name);
        free (key);
        if (rc == 0) {
            seen [f - d->fields] = true;
            rc = s_expect (s, ':');
        }
        if (rc == 0)
            rc = s_parse_field (s, msg, f);
        if (rc == 0 && s_peek (s, ','))
            s->p++;
        else {
            if (rc == 0)
                rc = s_expect (s, '}');
            break;
        }
    }
    free (seen);
    s->depth--;
    return rc;
}

static ProtobufCMessage *
s_decode (const ProtobufCMessageDescriptor *descriptor, const char *text, size_t size, bool lenient,
          kf_err_t *err)
{
    assert (descriptor && (text || size == 0));
    s_parser_t s = { .start = text, .p = text, .end = text + size, .err = err, .lenient = lenient };
    if (size > 4 * (size_t) KF_CODEC_MAX_MESSAGE) {
        kf_err_set (err, "JSON of %zu bytes is larger than allowed", size);
        return NULL;
    }
    ProtobufCMessage *msg = kf_codec_allocator.alloc (NULL, descriptor->sizeof_message);
    if (!msg) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    descriptor->message_init (msg);
    if (s_parse_message (&s, msg) == 0) {
        s_skip_ws (&s);
        if (s.p != s.end)
            s_fail (&s, "unexpected text after the object");
    }
    if (!s.failed && kf_codec_validate (msg, err))
        s.failed = true;
    if (s.failed)
        kf_codec_free (&msg);
    return msg;
}

ProtobufCMessage *
kf_json_decode (const ProtobufCMessageDescriptor *descriptor, const char *text, size_t size,
                kf_err_t *err)
{
    return s_decode (descriptor, text, size, false, err);
}

ProtobufCMessage *
kf_json_decode_lenient (const ProtobufCMessageDescriptor *descriptor, const char *text, size_t size,
                        kf_err_t *err)
{
    return s_decode (descriptor, text, size, true, err);
}
