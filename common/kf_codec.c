/*  kf_codec — size-capped, validated protobuf decoding.  */
#include "kf_codec.h"
#include "kf_field.h"
#include "kf_schema.h"

#include <pthread.h>

#include <assert.h>
#include <ctype.h>
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
    const unsigned char *s = (const unsigned char *) text;
    uint32_t cp;
    for (size_t i = 0; i < size; ) {
        //  Most text here is ASCII: skip runs of it without decoding.
        while (i < size && s [i] < 0x80)
            i++;
        if (i == size)
            break;
        size_t n = kf_utf8_decode (text + i, size - i, &cp);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

//  Characters in the first `bytes` bytes of valid UTF-8 text.
static size_t
s_chars (const char *text, size_t bytes)
{
    size_t n = 0;
    for (size_t i = 0; i < bytes; i++)
        n += ((unsigned char) text [i] & 0xC0) != 0x80;
    return n;
}

char *
kf_utf8_clip (char *text, size_t max_chars)
{
    assert (text);
    size_t len = strlen (text), at = 0;
    for (size_t chars = 0; at < len && chars < max_chars; chars++) {
        uint32_t cp;
        size_t step = kf_utf8_decode (text + at, len - at, &cp);
        if (step == 0)
            break;
        at += step;
    }
    text [at] = 0;
    return text;
}

size_t
kf_utf8_length (const char *text)
{
    return s_chars (text, strlen (text));
}

long
kf_text_control_at (const char *text, uint32_t *code_point)
{
    const unsigned char *s = (const unsigned char *) text;
    for (size_t i = 0; s [i]; i++)
        if (s [i] < 0x20 || s [i] == 0x7f || (s [i] == 0xC2 && s [i + 1] >= 0x80 && s [i + 1] <= 0x9f)) {
            //  C1 controls are U+0080..U+009F: 0xC2 then 0x80..0x9F.
            *code_point = s [i] == 0xC2 ? s [i + 1] : s [i];
            return (long) i;
        }
    return -1;
}

//  ---- validation plans -----------------------------------------------------
//  Validating walks only what can be invalid: strings, bytes, enums and
//  messages outside oneofs, and the one member that is set of each oneof.
//  The plan of every message type of the schema is made once.

typedef struct {
    const ProtobufCMessageDescriptor *descriptor;
    const ProtobufCFieldDescriptor **fields;   //  outside oneofs, of the kinds above
    unsigned n_fields;
    unsigned *oneofs;                          //  quantifier offsets, one per oneof
    unsigned n_oneofs;
} s_plan_t;

#define S_PLANS 512   //  open addressing; more than twice the schema's types
static s_plan_t s_plans [S_PLANS];
static pthread_once_t s_plans_once = PTHREAD_ONCE_INIT;

static bool
s_needs_checking (const ProtobufCFieldDescriptor *f)
{
    return f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_BYTES
        || f->type == PROTOBUF_C_TYPE_ENUM || f->type == PROTOBUF_C_TYPE_MESSAGE
        || f->label == PROTOBUF_C_LABEL_REPEATED;
}

static size_t
s_plan_slot (const ProtobufCMessageDescriptor *d)
{
    return ((uintptr_t) d >> 4) % S_PLANS;
}

static void
s_plans_build (void)
{
    for (size_t m = 0; m < kf_schema_message_count; m++) {
        const ProtobufCMessageDescriptor *d = kf_schema_messages [m];
        size_t slot = s_plan_slot (d);
        while (s_plans [slot].descriptor)
            slot = (slot + 1) % S_PLANS;
        s_plan_t *plan = &s_plans [slot];
        plan->fields = calloc (d->n_fields + 1, sizeof *plan->fields);
        plan->oneofs = calloc (d->n_fields + 1, sizeof *plan->oneofs);
        if (!plan->fields || !plan->oneofs) {
            free (plan->fields);
            free (plan->oneofs);
            continue;   //  no plan: s_validate walks every field instead
        }
        for (unsigned i = 0; i < d->n_fields; i++) {
            const ProtobufCFieldDescriptor *f = &d->fields [i];
            if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
                bool known = false;
                for (unsigned k = 0; k < plan->n_oneofs; k++)
                    known = known || plan->oneofs [k] == f->quantifier_offset;
                if (!known)
                    plan->oneofs [plan->n_oneofs++] = f->quantifier_offset;
            }
            else
            if (s_needs_checking (f))
                plan->fields [plan->n_fields++] = f;
        }
        plan->descriptor = d;
    }
}

static const s_plan_t *
s_plan (const ProtobufCMessageDescriptor *d)
{
    pthread_once (&s_plans_once, s_plans_build);
    for (size_t slot = s_plan_slot (d), n = 0; n < S_PLANS && s_plans [slot].descriptor; n++, slot = (slot + 1) % S_PLANS)
        if (s_plans [slot].descriptor == d)
            return &s_plans [slot];
    return NULL;
}

//  `commands`: strings must also be free of control characters (see
//  kf_codec_validate_command).
static int s_validate (const ProtobufCMessage *msg, int depth, bool commands, kf_err_t *err);

//  Every value of one present field.
static int
s_validate_field (const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f, int depth, bool commands,
                  kf_err_t *err)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    {
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
                    uint32_t cp;
                    long at = commands && s ? kf_text_control_at (s, &cp) : -1;
                    if (at >= 0)
                        return kf_err_set (err, "%s.%s may not contain control characters (U+%04X at character %zu)",
                                           d->name, f->name, (unsigned) cp, s_chars (s, (size_t) at) + 1);
                    break;
                }
                case PROTOBUF_C_TYPE_BYTES: {
                    //  Opaque payloads (an import's CSV): the message's bound is theirs.
                    const ProtobufCBinaryData *b = value;
                    if (b->len > KF_CODEC_MAX_MESSAGE)
                        return kf_err_set (err, "%s.%s: %zu bytes, more than %u", d->name, f->name,
                                           b->len, KF_CODEC_MAX_MESSAGE);
                    break;
                }
                case PROTOBUF_C_TYPE_MESSAGE: {
                    const ProtobufCMessage *sub = *(ProtobufCMessage *const *) value;
                    if (sub && s_validate (sub, depth + 1, commands, err))
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

static int
s_validate (const ProtobufCMessage *msg, int depth, bool commands, kf_err_t *err)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    if (depth > S_MAX_DEPTH)
        return kf_err_set (err, "%s: nested too deeply", d->name);
    const s_plan_t *plan = s_plan (d);
    if (!plan) {
        //  A type outside the schema table: walk it all.
        for (unsigned i = 0; i < d->n_fields; i++)
            if (kf_field_present (msg, &d->fields [i])
            &&  s_validate_field (msg, &d->fields [i], depth, commands, err))
                return -1;
        return 0;
    }
    for (unsigned i = 0; i < plan->n_fields; i++)
        if (kf_field_present (msg, plan->fields [i])
        &&  s_validate_field (msg, plan->fields [i], depth, commands, err))
            return -1;
    for (unsigned k = 0; k < plan->n_oneofs; k++) {
        uint32_t which = *(const uint32_t *) ((const char *) msg + plan->oneofs [k]);
        const ProtobufCFieldDescriptor *f = which ? protobuf_c_message_descriptor_get_field (d, which) : NULL;
        if (f && s_validate_field (msg, f, depth, commands, err))
            return -1;
    }
    return 0;
}

int
kf_codec_validate (const ProtobufCMessage *msg, kf_err_t *err)
{
    assert (msg);
    return s_validate (msg, 0, false, err);
}

int
kf_codec_validate_command (const ProtobufCMessage *msg, kf_err_t *err)
{
    assert (msg);
    return s_validate (msg, 0, true, err);
}

//  ---- arenas ----------------------------------------------------------------

#define S_ARENA_BLOCK (256u << 10)

typedef struct s_block_t {
    struct s_block_t *next;
    size_t size, used;
    max_align_t data [];
} s_block_t;

struct _kf_arena_t {
    s_block_t *blocks;          //  the current block first; the last one is kept on reset
    ProtobufCAllocator allocator;
};

static s_block_t *
s_block_new (size_t size)
{
    s_block_t *block = malloc (sizeof *block + size);
    if (block) {
        block->next = NULL;
        block->size = size;
        block->used = 0;
    }
    return block;
}

static void *
s_arena_alloc (void *data, size_t size)
{
    kf_arena_t *self = data;
    size = (size + 15) & ~(size_t) 15;
    s_block_t *block = self->blocks;
    if (!block || block->used + size > block->size) {
        //  A large request gets a block of its own, behind the current one.
        s_block_t *fresh = s_block_new (size > S_ARENA_BLOCK / 4 ? size : S_ARENA_BLOCK);
        if (!fresh)
            return NULL;
        if (size > S_ARENA_BLOCK / 4 && block) {
            fresh->next = block->next;
            block->next = fresh;
        }
        else {
            fresh->next = block;
            self->blocks = fresh;
        }
        block = fresh;
    }
    void *ptr = (char *) block->data + block->used;
    block->used += size;
    return memset (ptr, 0, size);
}

static void
s_arena_free (void *data, void *ptr)
{
    (void) data; (void) ptr;   //  all at once, in kf_arena_reset
}

kf_arena_t *
kf_arena_new (void)
{
    kf_arena_t *self = calloc (1, sizeof *self);
    if (self)
        self->allocator = (ProtobufCAllocator) { s_arena_alloc, s_arena_free, self };
    return self;
}

void
kf_arena_reset (kf_arena_t *self)
{
    assert (self);
    //  Keep one block for the next batch; give the rest back.
    s_block_t *keep = NULL;
    for (s_block_t *block = self->blocks, *next; block; block = next) {
        next = block->next;
        if (!keep && block->size == S_ARENA_BLOCK) {
            keep = block;
            keep->used = 0;
            keep->next = NULL;
        }
        else
            free (block);
    }
    self->blocks = keep;
}

void
kf_arena_destroy (kf_arena_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        kf_arena_reset (*self_p);
        free ((*self_p)->blocks);
        free (*self_p);
        *self_p = NULL;
    }
}

ProtobufCMessage *
kf_arena_message (kf_arena_t *self, const ProtobufCMessageDescriptor *descriptor)
{
    assert (self && descriptor);
    ProtobufCMessage *msg = s_arena_alloc (self, descriptor->sizeof_message);
    if (msg)
        descriptor->message_init (msg);
    return msg;
}

void *
kf_arena_alloc (kf_arena_t *self, size_t size)
{
    assert (self);
    return s_arena_alloc (self, size ? size : 1);
}

int
kf_arena_push (kf_arena_t *self, void ***items, size_t *count, size_t *room, void *item)
{
    assert (self && items && count && room);
    if (*count == *room) {
        size_t size = *room ? 2 * *room : 16;
        void **grown = s_arena_alloc (self, size * sizeof *grown);
        if (!grown)
            return -1;
        if (*count)
            memcpy (grown, *items, *count * sizeof *grown);
        *items = grown;
        *room = size;
    }
    (*items) [(*count)++] = item;
    return 0;
}

char *
kf_arena_strdup (kf_arena_t *self, const char *text)
{
    assert (self && text);
    size_t size = strlen (text) + 1;
    char *copy = s_arena_alloc (self, size);
    return copy ? memcpy (copy, text, size) : NULL;
}

static ProtobufCMessage *
s_unpack (ProtobufCAllocator *allocator, const ProtobufCMessageDescriptor *descriptor,
          const void *data, size_t size, kf_err_t *err)
{
    if (size > KF_CODEC_MAX_MESSAGE) {
        kf_err_set (err, "%s: %zu bytes, more than the %u allowed", descriptor->name, size,
                    KF_CODEC_MAX_MESSAGE);
        return NULL;
    }
    ProtobufCMessage *msg = protobuf_c_message_unpack (descriptor, allocator, size,
                                                       size ? data : (const uint8_t *) "");
    if (!msg) {
        kf_err_set (err, "malformed protobuf: not a valid %s", descriptor->name);
        return NULL;
    }
    if (kf_codec_validate (msg, err)) {
        protobuf_c_message_free_unpacked (msg, allocator);
        return NULL;
    }
    return msg;
}

ProtobufCMessage *
kf_codec_unpack_in (kf_arena_t *arena, const ProtobufCMessageDescriptor *descriptor,
                    const void *data, size_t size, kf_err_t *err)
{
    assert (arena && descriptor);
    return s_unpack (&arena->allocator, descriptor, data, size, err);
}

ProtobufCMessage *
kf_codec_unpack (const ProtobufCMessageDescriptor *descriptor, const void *data, size_t size,
                 kf_err_t *err)
{
    assert (descriptor);
    return s_unpack (&kf_codec_allocator, descriptor, data, size, err);
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

//  The member set of the oneof that `member` belongs to, or NULL: the case
//  is the set member's field number, found by protobuf-c's binary search.
static const ProtobufCFieldDescriptor *
s_oneof_set (const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *member)
{
    uint32_t which = *(const uint32_t *) ((const char *) msg + member->quantifier_offset);
    const ProtobufCFieldDescriptor *f = which ? protobuf_c_message_descriptor_get_field (msg->descriptor, which) : NULL;
    return f && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && f->quantifier_offset == member->quantifier_offset ? f : NULL;
}

const ProtobufCFieldDescriptor *
kf_codec_oneof_case (const ProtobufCMessage *msg, const char *oneof_member)
{
    assert (msg && oneof_member);
    const ProtobufCFieldDescriptor *member = protobuf_c_message_descriptor_get_field_by_name (msg->descriptor, oneof_member);
    assert (member && (member->flags & PROTOBUF_C_FIELD_FLAG_ONEOF));
    return s_oneof_set (msg, member);
}

const char *
kf_codec_event_kind (const ProtobufCMessage *envelope, char *buf, size_t size)
{
    assert (envelope && buf && size > 0);
    const ProtobufCMessageDescriptor *d = envelope->descriptor;
    const ProtobufCFieldDescriptor *body = NULL;
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields [i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            body = s_oneof_set (envelope, &d->fields [i]);
            break;   //  the envelope has one oneof: its body
        }
    const char *name = body ? body->name : "unknown";
    size_t n = strlen (name);
    if (n >= size)
        n = size - 1;
    memcpy (buf, name, n);
    buf [n] = 0;
    char *underscore = body ? memchr (buf, '_', n) : NULL;
    if (underscore)
        *underscore = '.';
    return buf;
}

uint64_t
kf_codec_digest (const ProtobufCMessage *msg)
{
    size_t size = 0;
    uint8_t *data = kf_codec_pack (msg, &size);
    if (!data)
        return 0;
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < size; i++) {
        hash ^= data [i];
        hash *= 0x100000001b3ULL;
    }
    free (data);
    return hash;
}

int
kf_text_check (const char *field, const char *text, size_t max_chars, kf_err_t *err)
{
    assert (field);
    bool blank = true;
    for (const char *c = text; c && *c && blank; c++)
        blank = *c == ' ' || (*c >= '\t' && *c <= '\r');
    if (blank)
        return kf_err_set (err, "%s is required (1 to %zu characters)", field, max_chars);
    if (!kf_utf8_valid (text, strlen (text)))
        return kf_err_set (err, "%s is not valid UTF-8", field);
    uint32_t cp;
    long at = kf_text_control_at (text, &cp);
    if (at >= 0)
        return kf_err_set (err, "%s may not contain control characters (U+%04X at character %zu)", field,
                           (unsigned) cp, s_chars (text, (size_t) at) + 1);
    size_t chars = kf_utf8_length (text);
    if (chars > max_chars)
        return kf_err_set (err, "%s is too long (%zu characters, at most %zu)", field, chars, max_chars);
    return 0;
}

int
kf_ref_check (const char *field, const char *ref, size_t max_chars, kf_err_t *err)
{
    assert (field);
    size_t n = ref ? strlen (ref) : 0;
    if (n == 0)
        return kf_err_set (err, "%s is required (1 to %zu characters)", field, max_chars);
    for (size_t i = 0; i < n; i++)
        if (ref [i] <= ' ' || ref [i] > '~' || ref [i] == '|')
            return kf_err_set (err, "%s may contain only printable ASCII characters other than space and '|' "
                               "(character %zu is not)", field, i + 1);
    if (n > max_chars)
        return kf_err_set (err, "%s is too long (%zu characters, at most %zu)", field, n, max_chars);
    return 0;
}

bool
kf_unit_common (const char *unit)
{
    return unit && unit [0] == '0' && unit [1] == '-' && kf_unit_valid (unit);
}

bool
kf_unit_valid (const char *unit)
{
    //  building-unit-room: three parts of 1-8 letters or digits.
    int parts = 0;
    size_t len = 0;
    for (const char *c = unit; ; c++) {
        if (*c == '-' || *c == 0) {
            if (len == 0 || len > 8)
                return false;
            parts++;
            len = 0;
            if (*c == 0)
                break;
        }
        else
        if (isalnum ((unsigned char) *c))
            len++;
        else
            return false;
    }
    return parts == 3;
}

bool
kf_url_valid (const char *url, size_t max)
{
    bool ok = url && (strncmp (url, "https://", 8) == 0 || strncmp (url, "http://", 7) == 0) && strlen (url) <= max;
    for (const char *c = url; ok && *c; c++)
        ok = (unsigned char) *c > 0x20 && *c != 0x7f;
    return ok;
}

void
kf_phone_mask (const char *phone, char *out, size_t size)
{
    assert (phone && out && size > 0);
    size_t n = strlen (phone);
    size_t head = n >= 11 ? 3 : n >= 7 ? 2 : 0, tail = n >= 7 ? 4 : n >= 3 ? 2 : 0;
    if (*phone == '+' && head)
        head++;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < size; i++)
        out [o++] = i < head || i >= n - tail ? phone [i] : '*';
    out [o] = 0;
}

bool
kf_phone_valid (const char *phone)
{
    const char *digits = phone [0] == '+' ? phone + 1 : phone;
    size_t n = strlen (digits);
    if (n < 5 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit ((unsigned char) digits [i]))
            return false;
    return true;
}
