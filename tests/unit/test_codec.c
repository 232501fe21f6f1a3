/*  Unit tests: kf_codec and kf_json.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kf_codec.h"
#include "kf_field.h"
#include "kf_json.h"
#include "kf_schema.h"
#include "envelope.pb-c.h"
#include "commands.pb-c.h"

//  ---- a generic filler: every field of every message, from descriptors ----

//  Strings that JSON and protobuf must carry unchanged.
static const char *s_strings [] = {
    "E001-20261123-0001", "水管漏水，天花板在滴水", "quote \" backslash \\ slash /",
    "tab\tnewline\ncontrol\x01", "emoji 🚿 and U+2028 \xe2\x80\xa8", "",
};

//  Which member of each oneof is set depends on `choice`, so that the
//  callers' loop over choices sets every member of every oneof once.
static void s_fill (ProtobufCMessage *msg, unsigned choice, unsigned seed, int depth);

static void
s_fill_value (const ProtobufCFieldDescriptor *f, void *slot, unsigned choice, unsigned seed, int depth)
{
    unsigned v = seed * 2654435761u + f->id;
    switch (f->type) {
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
            *(int32_t *) slot = (v & 1) ? -(int32_t) (v % 100000) : (int32_t) (v & 0x7fffffff);
            break;
        case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
            *(uint32_t *) slot = v;
            break;
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
            *(int64_t *) slot = (v & 1) ? INT64_MIN + v : (int64_t) 1795000000000 + v;
            break;
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
            *(uint64_t *) slot = UINT64_MAX - v;
            break;
        case PROTOBUF_C_TYPE_FLOAT:
            *(float *) slot = (float) v / 7.0f;
            break;
        case PROTOBUF_C_TYPE_DOUBLE:
            *(double *) slot = (double) v / 7.0;
            break;
        case PROTOBUF_C_TYPE_BOOL:
            *(protobuf_c_boolean *) slot = v & 1;
            break;
        case PROTOBUF_C_TYPE_ENUM: {
            const ProtobufCEnumDescriptor *e = f->descriptor;
            *(int *) slot = e->values [v % e->n_values].value;
            break;
        }
        case PROTOBUF_C_TYPE_STRING:
            *(char **) slot = strdup (s_strings [v % (sizeof s_strings / sizeof s_strings [0])]);
            break;
        case PROTOBUF_C_TYPE_BYTES: {
            ProtobufCBinaryData *b = slot;
            b->len = v % 7;
            b->data = malloc (b->len + 1);
            for (size_t i = 0; i < b->len; i++)
                b->data [i] = (uint8_t) (v >> i);
            break;
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessageDescriptor *d = f->descriptor;
            ProtobufCMessage *sub = kf_codec_allocator.alloc (NULL, d->sizeof_message);
            d->message_init (sub);
            s_fill (sub, choice, seed + 1, depth + 1);
            *(ProtobufCMessage **) slot = sub;
            break;
        }
    }
}

static void
s_fill (ProtobufCMessage *msg, unsigned choice, unsigned seed, int depth)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    assert_true (depth < 16);   //  the schema must not be recursive
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields [i];
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            //  Members of one oneof share a quantifier; pick the choice-th.
            unsigned index = 0, count = 0;
            for (unsigned j = 0; j < d->n_fields; j++)
                if ((d->fields [j].flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                &&  d->fields [j].quantifier_offset == f->quantifier_offset) {
                    if (j < i)
                        index++;
                    count++;
                }
            if (index != choice % count)
                continue;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED)
            for (unsigned k = 0; k < 2; k++)
                s_fill_value (f, kf_field_append (msg, f), choice, seed + k, depth);
        else
            s_fill_value (f, kf_field_set (msg, f), choice, seed, depth);
    }
}

static void
test_round_trip_every_message (void **state)
{
    (void) state;
    assert_true (kf_schema_message_count > 100);
    size_t trips = 0;
    for (size_t m = 0; m < kf_schema_message_count; m++) {
        const ProtobufCMessageDescriptor *d = kf_schema_messages [m];
        for (unsigned choice = 0; choice < 64; choice++) {
            ProtobufCMessage *msg = kf_codec_allocator.alloc (NULL, d->sizeof_message);
            d->message_init (msg);
            s_fill (msg, choice, choice, 0);
            size_t size;
            uint8_t *packed = kf_codec_pack (msg, &size);
            kf_err_t err;
            //  protobuf -> message -> JSON -> message -> protobuf: the same bytes.
            ProtobufCMessage *unpacked = kf_codec_unpack (d, packed, size, &err);
            if (!unpacked)
                fail_msg ("%s: %s", d->name, err.text);
            char *json = kf_json_encode (unpacked);
            assert_non_null (json);
            ProtobufCMessage *decoded = kf_json_decode (d, json, strlen (json), &err);
            if (!decoded)
                fail_msg ("%s: %s\n%s", d->name, err.text, json);
            size_t size2;
            uint8_t *packed2 = kf_codec_pack (decoded, &size2);
            assert_int_equal (size2, size);
            assert_memory_equal (packed2, packed, size);
            char *json2 = kf_json_encode (decoded);
            assert_string_equal (json2, json);
            free (json);
            free (json2);
            free (packed);
            free (packed2);
            kf_codec_free (&msg);
            kf_codec_free (&unpacked);
            kf_codec_free (&decoded);
            trips++;
        }
    }
    assert_int_equal (trips, kf_schema_message_count * 64);
}

static void
test_schema_lookup (void **state)
{
    (void) state;
    assert_ptr_equal (kf_schema_find ("kf.TicketFiled"), &kf__ticket_filed__descriptor);
    assert_ptr_equal (kf_schema_find ("Envelope"), &kf__envelope__descriptor);
    assert_null (kf_schema_find ("kf.NoSuchThing"));
    assert_null (kf_schema_find (NULL));
}

//  ---- kinds and unknown bodies ---------------------------------------------

static void
test_event_kinds (void **state)
{
    (void) state;
    char kind [64];
    Kf__Envelope env = KF__ENVELOPE__INIT;
    assert_string_equal (kf_codec_event_kind (&env.base, kind, sizeof kind), "unknown");
    Kf__TicketFiled filed = KF__TICKET_FILED__INIT;
    env.body_case = KF__ENVELOPE__BODY_TICKET_FILED;
    env.ticket_filed = &filed;
    assert_string_equal (kf_codec_event_kind (&env.base, kind, sizeof kind), "ticket.filed");
    Kf__SlaAlert alert = KF__SLA_ALERT__INIT;
    env.body_case = KF__ENVELOPE__BODY_SLA_BREACHED;
    env.sla_breached = &alert;
    assert_string_equal (kf_codec_event_kind (&env.base, kind, sizeof kind), "sla.breached");
    Kf__OrderCompleted done = KF__ORDER_COMPLETED__INIT;
    env.body_case = KF__ENVELOPE__BODY_ORDER_COMPLETED;
    env.order_completed = &done;
    assert_string_equal (kf_codec_event_kind (&env.base, kind, sizeof kind), "order.completed");
    Kf__VisitUnsatisfied unhappy = KF__VISIT_UNSATISFIED__INIT;
    env.body_case = KF__ENVELOPE__BODY_VISIT_UNSATISFIED;
    env.visit_unsatisfied = &unhappy;
    assert_string_equal (kf_codec_event_kind (&env.base, kind, sizeof kind), "visit.unsatisfied");
}

static void
test_unknown_body_is_kept (void **state)
{
    (void) state;
    //  An envelope from a newer producer: seq 7 and a body at field 200.
    Kf__Envelope env = KF__ENVELOPE__INIT;
    env.seq = 7;
    env.has_seq = 1;
    env.stream = "dispatch@c1/E001";
    size_t size;
    uint8_t *packed = kf_codec_pack (&env.base, &size);
    uint8_t bytes [64];
    memcpy (bytes, packed, size);
    free (packed);
    const uint8_t body [] = { 0xC2, 0x0C, 0x03, 0x0A, 0x01, 'x' };   //  field 200, 3 bytes
    memcpy (bytes + size, body, sizeof body);
    kf_err_t err;
    Kf__Envelope *got = (Kf__Envelope *) kf_codec_unpack (&kf__envelope__descriptor, bytes,
                                                          size + sizeof body, &err);
    assert_non_null (got);
    assert_int_equal (got->seq, 7);   //  the sequence can still be applied
    assert_int_equal (got->body_case, KF__ENVELOPE__BODY__NOT_SET);
    assert_int_equal (got->base.n_unknown_fields, 1);
    char kind [32];
    assert_string_equal (kf_codec_event_kind (&got->base, kind, sizeof kind), "unknown");
    //  Re-encoding gives back the very bytes: a relay or a store loses nothing.
    size_t total = size + sizeof body, again_size;
    uint8_t *again = kf_codec_pack (&got->base, &again_size);
    assert_int_equal (again_size, total);
    assert_memory_equal (again, bytes, total);
    free (again);
    kf_codec_free ((ProtobufCMessage **) &got);
}

//  ---- validation of hostile input ------------------------------------------

static void
test_rejects_bad_protobuf (void **state)
{
    (void) state;
    kf_err_t err;
    //  An enum value no build knows: type = 99.
    const uint8_t bad_enum [] = { 0x28, 99 };
    assert_null (kf_codec_unpack (&kf__ticket_filed__descriptor, bad_enum, sizeof bad_enum, &err));
    assert_string_equal (err.text, "kf.TicketFiled.type: 99 is not a kf.TicketType");
    //  A repeated enum with one bad element.
    const uint8_t bad_repeated [] = { 0x58, 1, 0x58, 42 };
    assert_null (kf_codec_unpack (&kf__ticket_filed__descriptor, bad_repeated, sizeof bad_repeated, &err));
    assert_non_null (strstr (err.text, "kf.TicketFiled.hazards: 42 is not a kf.Hazard"));
    //  Invalid UTF-8 in a string (an overlong '/'), and a lone surrogate.
    const uint8_t bad_utf8 [] = { 0x4A, 0x02, 0xC0, 0xAF };
    assert_null (kf_codec_unpack (&kf__ticket_filed__descriptor, bad_utf8, sizeof bad_utf8, &err));
    assert_string_equal (err.text, "kf.TicketFiled.description: not valid UTF-8");
    const uint8_t surrogate [] = { 0x4A, 0x03, 0xED, 0xA0, 0x80 };
    assert_null (kf_codec_unpack (&kf__ticket_filed__descriptor, surrogate, sizeof surrogate, &err));
    //  Nested: an invalid enum inside the envelope's body.
    const uint8_t nested [] = { 0xA2, 0x01, 0x02, 0x28, 77 };   //  field 20 (ticket_filed) { type = 77 }
    assert_null (kf_codec_unpack (&kf__envelope__descriptor, nested, sizeof nested, &err));
    assert_string_equal (err.text, "kf.TicketFiled.type: 77 is not a kf.TicketType");
    //  Truncated and garbage input.
    const uint8_t truncated [] = { 0x4A, 0x10, 'a', 'b' };
    assert_null (kf_codec_unpack (&kf__ticket_filed__descriptor, truncated, sizeof truncated, &err));
    assert_string_equal (err.text, "malformed protobuf: not a valid kf.TicketFiled");
    const uint8_t garbage [] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    assert_null (kf_codec_unpack (&kf__envelope__descriptor, garbage, sizeof garbage, &err));
    //  Too large before anything is parsed.
    assert_null (kf_codec_unpack (&kf__envelope__descriptor, garbage, KF_CODEC_MAX_MESSAGE + 1, &err));
    assert_non_null (strstr (err.text, "more than the"));
    //  A string over the cap.
    size_t big = KF_CODEC_MAX_STRING + 1;
    uint8_t *long_string = malloc (big + 4);
    long_string [0] = 0x4A;
    long_string [1] = (uint8_t) (0x80 | (big & 0x7F));
    long_string [2] = (uint8_t) (0x80 | ((big >> 7) & 0x7F));
    long_string [3] = (uint8_t) (big >> 14);
    memset (long_string + 4, 'a', big);
    assert_null (kf_codec_unpack (&kf__ticket_filed__descriptor, long_string, big + 4, &err));
    assert_non_null (strstr (err.text, "kf.TicketFiled.description: 65537 bytes"));
    free (long_string);
    //  The empty message is valid.
    ProtobufCMessage *empty = kf_codec_unpack (&kf__ticket_filed__descriptor, "", 0, &err);
    assert_non_null (empty);
    kf_codec_free (&empty);
}

static void
test_allocator_zeroes (void **state)
{
    (void) state;
    for (int i = 0; i < 100; i++) {
        unsigned char *p = kf_codec_allocator.alloc (NULL, 256);
        for (int j = 0; j < 256; j++)
            assert_int_equal (p [j], 0);
        memset (p, 0xAA, 256);
        kf_codec_allocator.free (NULL, p);
    }
}

static void
test_utf8 (void **state)
{
    (void) state;
    assert_true (kf_utf8_valid ("滨江花园 🚿", strlen ("滨江花园 🚿")));
    assert_false (kf_utf8_valid ("\xF4\x90\x80\x80", 4));   //  above U+10FFFF
    assert_false (kf_utf8_valid ("\xE0\x80\xAF", 3));       //  overlong
    assert_false (kf_utf8_valid ("\xE6\xBB", 2));           //  cut short
    assert_int_equal (kf_utf8_length ("滨江花园 ab"), 7);
}

//  The one text check every service uses: the reason says what is wrong.
static void
test_text_and_ref_checks (void **state)
{
    (void) state;
    char long_name [200] = "";
    for (int i = 0; i < 65; i++)
        strcat (long_name, "张");
    static const struct { const char *text; const char *reason; } texts [] = {
        { "张三", NULL },
        { "tab-free, 一行", NULL },
        { NULL, "name is required (1 to 64 characters)" },
        { "", "name is required (1 to 64 characters)" },
        { " \t ", "name is required (1 to 64 characters)" },
        { "two\nlines", "name may not contain control characters (U+000A at character 4)" },
        { "张\t三", "name may not contain control characters (U+0009 at character 2)" },
        { "esc\x1b[2J", "name may not contain control characters (U+001B at character 4)" },
        { "nel\xc2\x85", "name may not contain control characters (U+0085 at character 4)" },
        { "\xe6\xbb", "name is not valid UTF-8" },
        { NULL, NULL },   //  the 65 characters, below
    };
    size_t n = sizeof texts / sizeof texts [0];
    for (size_t i = 0; i < n; i++) {
        const char *text = i + 1 == n ? long_name : texts [i].text;
        const char *reason = i + 1 == n ? "name is too long (65 characters, at most 64)" : texts [i].reason;
        kf_err_t err = { "" };
        int rc = kf_text_check ("name", text, 64, &err);
        if (reason ? rc != -1 || strcmp (err.text, reason) : rc != 0)
            fail_msg ("text %zu: %d '%s', expected '%s'", i, rc, err.text, reason ? reason : "ok");
    }
    long_name [strlen (long_name) - 3] = 0;   //  64 characters of 3 bytes each: fine
    assert_int_equal (kf_text_check ("name", long_name, 64, NULL), 0);

    static const struct { const char *ref; const char *reason; } refs [] = {
        { "app-7f3a", NULL },
        { "WX01/26", NULL },
        { "", "key is required (1 to 8 characters)" },
        { NULL, "key is required (1 to 8 characters)" },
        { "a b", "key may contain only printable ASCII characters other than space and '|' (character 2 is not)" },
        { "a|b", "key may contain only printable ASCII characters other than space and '|' (character 2 is not)" },
        { "键", "key may contain only printable ASCII characters other than space and '|' (character 1 is not)" },
        { "123456789", "key is too long (9 characters, at most 8)" },
    };
    for (size_t i = 0; i < sizeof refs / sizeof refs [0]; i++) {
        kf_err_t err = { "" };
        int rc = kf_ref_check ("key", refs [i].ref, 8, &err);
        if (refs [i].reason ? rc != -1 || strcmp (err.text, refs [i].reason) : rc != 0)
            fail_msg ("ref %zu: %d '%s', expected '%s'", i, rc, err.text, refs [i].reason ? refs [i].reason : "ok");
    }
    uint32_t cp;
    assert_int_equal (kf_text_control_at ("plain 文字", &cp), -1);
    assert_int_equal (kf_text_control_at ("ab\x7f", &cp), 2);
    assert_int_equal (cp, 0x7f);
}

//  ---- JSON -----------------------------------------------------------------

static ProtobufCMessage *
s_decode (const ProtobufCMessageDescriptor *d, const char *json, kf_err_t *err)
{
    return kf_json_decode (d, json, strlen (json), err);
}

static void
test_json_mapping (void **state)
{
    (void) state;
    kf_err_t err;
    //  Short enum names, camelCase keys, 64-bit integers as numbers or strings.
    const char *in = "{ \"estate\": \"E001\", \"unit\": \"3-2-1502\", \"type\": \"repair\","
                     " \"category\": \"CATEGORY_WATER_LEAK\", \"channel\": 2,"
                     " \"reporterName\": \"\\u5f20\\u4e09 \\ud83d\\udebf\", \"hazards\": [\"LEAK_INTO_HOME\"],"
                     " \"photo_urls\": [], \"description\": null, \"idempotency_key\": \"k-1\" }";
    Kf__FileTicket *file = (Kf__FileTicket *) s_decode (&kf__file_ticket__descriptor, in, &err);
    if (!file)
        fail_msg ("%s", err.text);
    assert_int_equal (file->type, KF__TICKET_TYPE__TICKET_TYPE_REPAIR);
    assert_int_equal (file->category, KF__CATEGORY__CATEGORY_WATER_LEAK);
    assert_int_equal (file->channel, KF__CHANNEL__CHANNEL_PHONE);
    assert_string_equal (file->reporter_name, "张三 🚿");
    assert_int_equal (file->n_hazards, 1);
    assert_null (file->description);
    char *out = kf_json_encode (&file->base);
    assert_string_equal (out, "{\"estate\":\"E001\",\"unit\":\"3-2-1502\",\"reporter_name\":\"张三 🚿\","
                              "\"type\":\"TICKET_TYPE_REPAIR\",\"channel\":\"CHANNEL_PHONE\","
                              "\"category\":\"CATEGORY_WATER_LEAK\",\"hazards\":[\"HAZARD_LEAK_INTO_HOME\"],"
                              "\"idempotency_key\":\"k-1\"}");
    free (out);
    kf_codec_free ((ProtobufCMessage **) &file);

    Kf__Envelope *env = (Kf__Envelope *) s_decode (&kf__envelope__descriptor,
        "{\"seq\": 18446744073709551615, \"epoch\": \"42\", \"occurred_at_ms\": -1,"
        " \"ticket_closed\": {\"ticket_no\": \"E001-20261123-0001\"}}", &err);
    if (!env)
        fail_msg ("%s", err.text);
    assert_true (env->seq == UINT64_MAX);
    assert_int_equal (env->epoch, 42);
    assert_int_equal (env->occurred_at_ms, -1);
    assert_int_equal (env->body_case, KF__ENVELOPE__BODY_TICKET_CLOSED);
    out = kf_json_encode (&env->base);
    assert_string_equal (out, "{\"epoch\":\"42\",\"seq\":\"18446744073709551615\",\"occurred_at_ms\":\"-1\","
                              "\"ticket_closed\":{\"ticket_no\":\"E001-20261123-0001\"}}");
    free (out);
    kf_codec_free ((ProtobufCMessage **) &env);

    //  Bytes are base64, URL-safe and unpadded accepted.
    Kf__ImportUnits *import = (Kf__ImportUnits *) s_decode (&kf__import_units__descriptor,
                                                           "{\"csv\": \"dW5pdCxhcmVh-_8\"}", &err);
    assert_non_null (import);
    assert_int_equal (import->csv.len, 11);
    assert_memory_equal (import->csv.data, "unit,area\xfb\xff", 11);
    out = kf_json_encode (&import->base);
    assert_string_equal (out, "{\"csv\":\"dW5pdCxhcmVh+/8=\"}");
    free (out);
    kf_codec_free ((ProtobufCMessage **) &import);
}

//  For scripts, a list's own repeated fields can be written even when empty.
static void
test_json_empty_lists (void **state)
{
    (void) state;
    Kf__StaffList list = KF__STAFF_LIST__INIT;
    char *json = kf_json_encode (&list.base);
    assert_string_equal (json, "{}");
    free (json);
    json = kf_json_encode_lists (&list.base);
    assert_string_equal (json, "{\"staff\":[]}");
    free (json);
    //  Only the message's own: what is inside keeps the canonical form.
    Kf__Staff one = KF__STAFF__INIT, *staff [] = { &one };
    one.staff_id = "W01";
    list.staff = staff;
    list.n_staff = 1;
    json = kf_json_encode_lists (&list.base);
    assert_string_equal (json, "{\"staff\":[{\"staff_id\":\"W01\"}]}");
    free (json);
}

static void
test_json_encodes_invalid_utf8_safely (void **state)
{
    (void) state;
    Kf__AddNote note = KF__ADD_NOTE__INIT;
    note.note = "ok \xC0\xAF end \x7f";
    char *out = kf_json_encode (&note.base);
    assert_string_equal (out, "{\"note\":\"ok \\ufffd\\ufffd end \x7f\"}");
    free (out);
}

static void
test_json_rejects (void **state)
{
    (void) state;
    struct { const char *json; const char *reason; } cases [] = {
        { "", "expected '{', found the end" },
        { "[]", "expected '{', found '['" },
        { "{\"unit\": \"1\"} x", "unexpected text after the object" },
        { "{\"unit\": \"1\",}", "expected '\"'" },
        { "{\"nmae\": \"x\"}", "kf.FileTicket has no field 'nmae'" },
        { "{\"unit\": \"a\", \"unit\": \"b\"}", "kf.FileTicket.unit appears twice" },
        { "{\"unit\": 5}", "kf.FileTicket.unit: expected a string" },
        { "{\"type\": \"PLUMBING\"}", "kf.FileTicket.type: 'PLUMBING' is not a kf.TicketType" },
        { "{\"type\": 99}", "kf.FileTicket.type: 99 is not a kf.TicketType" },
        { "{\"hazards\": \"LEAK_INTO_HOME\"}", "expected '['" },
        { "{\"unit\": \"a\\u0000b\"}", "\\u0000 is not allowed" },
        { "{\"unit\": \"\\ud800\"}", "lone surrogate" },
        { "{\"unit\": \"\xC0\xAF\"}", "invalid UTF-8" },
        { "{\"unit\": \"tab\there\"}", "control character in a string" },
        { "{\"unit\": \"\\x\"}", "bad escape" },
        { "{\"unit\": \"open", "unterminated string" },
        { "{\"unit\": \"x\"", "expected '}'" },
        { NULL, NULL }
    };
    kf_err_t err;
    for (int i = 0; cases [i].json; i++) {
        ProtobufCMessage *msg = s_decode (&kf__file_ticket__descriptor, cases [i].json, &err);
        if (msg)
            fail_msg ("accepted: %s", cases [i].json);
        if (!strstr (err.text, cases [i].reason))
            fail_msg ("for %s: got '%s', expected '%s'", cases [i].json, err.text, cases [i].reason);
        assert_null (strchr (err.text, '\n'));
    }
    //  Numbers: ranges, integers only, and the grammar.
    struct { const char *json; const char *reason; } numbers [] = {
        { "{\"labour_minutes\": 4294967296}", "out of range" },
        { "{\"labour_minutes\": -1}", "out of range" },
        { "{\"labour_minutes\": 1.5}", "expected an integer" },
        { "{\"labour_minutes\": 1e3}", "expected an integer" },
        { "{\"labour_minutes\": 012}", "expected '}', found '1'" },
        { "{\"labour_minutes\": \"12x\"}", "is not an integer" },
        { "{\"amount_fen\": 9223372036854775808}", "out of range" },
        { "{\"amount_fen\": \"-\"}", "is not an integer" },
        { "{\"paid_service\": 1}", "expected true or false" },
        { "{\"paid_service\": tru}", "expected true or false" },
        { NULL, NULL }
    };
    for (int i = 0; numbers [i].json; i++) {
        ProtobufCMessage *msg = s_decode (&kf__complete_order__descriptor, numbers [i].json, &err);
        if (msg)
            fail_msg ("accepted: %s", numbers [i].json);
        if (!strstr (err.text, numbers [i].reason))
            fail_msg ("for %s: got '%s', expected '%s'", numbers [i].json, err.text, numbers [i].reason);
    }
    //  Two members of one oneof.
    assert_null (s_decode (&kf__envelope__descriptor,
                           "{\"ticket_filed\": {}, \"ticket_closed\": {}}", &err));
    assert_non_null (strstr (err.text, "and another member of its oneof are both set"));
    //  Wrong type for a message field.
    assert_null (s_decode (&kf__envelope__descriptor, "{\"ticket_filed\": 3}", &err));
    assert_non_null (strstr (err.text, "expected '{'"));
    //  Validation runs after decoding too: a string over the cap.
    size_t big = KF_CODEC_MAX_STRING + 100;
    char *json = malloc (big + 32);
    int n = sprintf (json, "{\"note\": \"");
    memset (json + n, 'a', big);
    strcpy (json + n + big, "\"}");
    assert_null (s_decode (&kf__add_note__descriptor, json, &err));
    assert_non_null (strstr (err.text, "kf.AddNote.note"));
    free (json);
}

//  Other people's answers: unknown members skipped, as well-formed JSON
//  within the depth bound; the members kefu has as strict as ever.
static void
test_json_lenient (void **state)
{
    (void) state;
    const char *json = "{\"Extra\": {\"a\": [1, -2.5e3, true, false, null, \"\\u00e9\", {}], \"b\": []},"
                       " \"note\": \"kept\", \"more\": \"x\"}";
    kf_err_t err;
    assert_null (s_decode (&kf__add_note__descriptor, json, &err));
    assert_non_null (strstr (err.text, "kf.AddNote has no field 'Extra'"));
    Kf__AddNote *note = (Kf__AddNote *) kf_json_decode_lenient (&kf__add_note__descriptor, json, strlen (json), &err);
    assert_non_null (note);
    assert_string_equal (note->note, "kept");
    ProtobufCMessage *msg = &note->base;
    kf_codec_free (&msg);
    const char *bad [] = {
        "{\"Extra\": [1, 2,], \"note\": \"x\"}",      //  not JSON
        "{\"Extra\": tru}",
        "{\"Extra\": \"\\ud800\"}",
        "{\"Extra\": {\"a\" 1}}",
        "{\"Extra\": 1, \"note\": 5}",                   //  a known member, mistyped
        "{\"note\": \"a\", \"note\": \"b\"}",
        "{\"Extra\": 1} x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        msg = kf_json_decode_lenient (&kf__add_note__descriptor, bad [i], strlen (bad [i]), &err);
        if (msg)
            fail_msg ("accepted: %s", bad [i]);
    }
    char deep [200] = "{\"Extra\": ";
    size_t n = strlen (deep);
    for (int i = 0; i < KF_JSON_MAX_DEPTH + 1; i++)
        deep [n++] = '[';
    for (int i = 0; i < KF_JSON_MAX_DEPTH + 1; i++)
        deep [n++] = ']';
    deep [n++] = '}';
    deep [n] = 0;
    assert_null (kf_json_decode_lenient (&kf__add_note__descriptor, deep, n, &err));
    assert_non_null (strstr (err.text, "nested more than"));

    char *quoted = kf_json_quote ("say \"hi\"\\\n\x01 é \xC0");
    assert_string_equal (quoted, "\"say \\\"hi\\\"\\\\\\n\\u0001 é \\ufffd\"");
    free (quoted);
}

static void
test_json_request_envelopes_commands (void **state)
{
    (void) state;
    kf_err_t err;
    Kf__Request *req = (Kf__Request *) s_decode (&kf__request__descriptor,
        "{\"request_id\": \"r1\", \"role\": \"FRONT_DESK\", \"file_ticket\": {\"estate\": \"E001\","
        " \"type\": \"COMPLAINT\", \"channel\": \"HOTLINE\", \"category\": \"NOISE\"}}", &err);
    if (!req)
        fail_msg ("%s", err.text);
    assert_int_equal (req->command_case, KF__REQUEST__COMMAND_FILE_TICKET);
    assert_int_equal (req->file_ticket->channel, KF__CHANNEL__CHANNEL_HOTLINE);
    assert_int_equal (req->role, KF__ROLE__ROLE_FRONT_DESK);
    kf_codec_free ((ProtobufCMessage **) &req);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_round_trip_every_message),
        cmocka_unit_test (test_schema_lookup),
        cmocka_unit_test (test_event_kinds),
        cmocka_unit_test (test_unknown_body_is_kept),
        cmocka_unit_test (test_rejects_bad_protobuf),
        cmocka_unit_test (test_allocator_zeroes),
        cmocka_unit_test (test_utf8),
        cmocka_unit_test (test_text_and_ref_checks),
        cmocka_unit_test (test_json_mapping),
        cmocka_unit_test (test_json_empty_lists),
        cmocka_unit_test (test_json_encodes_invalid_utf8_safely),
        cmocka_unit_test (test_json_rejects),
        cmocka_unit_test (test_json_lenient),
        cmocka_unit_test (test_json_request_envelopes_commands),
    };
    return cmocka_run_group_tests_name ("kf_codec", tests, NULL, NULL);
}
