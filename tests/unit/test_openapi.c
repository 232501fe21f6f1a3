/*  kf_openapi: the HTTP API's description is made from the schema. Every
    command is a route whose request and reply are the messages' schemas;
    every schema has the message's fields, with their types, limits and
    comments; every example request decodes with the real codec.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kf_openapi.h"
#include "kf_codec.h"
#include "kf_json.h"
#include "kf_proto_docs.h"
#include "kf_schema.h"
#include "commands.pb-c.h"

static char *s_doc;

static int
s_setup (void **state)
{
    (void) state;
    s_doc = kf_openapi_document ();
    return s_doc ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    free (s_doc);
    return 0;
}

//  The text of a schema in components ("kf.FileTicket"): from its key to
//  the next schema's.
static const char *
s_schema (const char *name, char *buf, size_t size)
{
    char key [128];
    snprintf (key, sizeof key, "\"%s\":{\"type\":", name);
    const char *at = strstr (strstr (s_doc, "\"schemas\":{"), key);
    if (!at)
        return NULL;
    const char *end = strstr (at + strlen (key), "\"kf.");
    while (end && end [-1] != ',')   //  a schema's own $ref is inside it: find the next key
        end = strstr (end + 1, "\"kf.");
    snprintf (buf, size, "%.*s", (int) (end ? end - at : (long) strlen (at)), at);
    return buf;
}

static void
test_every_command_is_a_route (void **state)
{
    (void) state;
    int routes = 0;
    for (unsigned i = 0; i < kf__request__descriptor.n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &kf__request__descriptor.fields [i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        const ProtobufCMessageDescriptor *command = f->descriptor;
        char route [128], ref [160];
        snprintf (route, sizeof route, "\"/api/v1/%s\":{\"post\":{\"operationId\":\"%s\"", f->name, f->name);
        const char *at = strstr (s_doc, route);
        //  The gateway's own steps of a sign-in, and its sign-in codes, are
        //  no route, and only they.
        bool own = strcmp (f->name, "begin_sign_in") == 0 || strcmp (f->name, "end_sign_in") == 0
                || strcmp (f->name, "send_code") == 0;
        assert_int_equal (kf_openapi_served (f), !own);
        if (own) {
            if (at)
                fail_msg ("%s is the gateway's own, yet a route", f->name);
            continue;
        }
        if (!at)
            fail_msg ("no route for %s", f->name);
        snprintf (ref, sizeof ref, "\"schema\":{\"$ref\":\"#/components/schemas/%s\"}", command->name);
        const char *next = strstr (at + 1, "\"/api/v1/");
        const char *body = strstr (at, ref);
        if (!body || (next && body > next))
            fail_msg ("%s's request is not %s", f->name, command->name);
        //  Its example is what the codec takes.
        char *example = kf_openapi_example (command);
        assert_non_null (example);
        kf_err_t err;
        ProtobufCMessage *decoded = kf_json_decode (command, example, strlen (example), &err);
        if (!decoded)
            fail_msg ("%s's example %s: %s", f->name, example, err.text);
        kf_codec_free (&decoded);
        free (example);
        routes++;
    }
    assert_true (routes >= 40);
    //  The daemons' own commands say which daemon, as ?service=.
    const char *ping = strstr (s_doc, "\"/api/v1/ping\"");
    assert_non_null (ping);
    assert_true (strstr (ping, "\"name\":\"service\",\"in\":\"query\",\"required\":true") < strstr (ping + 1, "\"/api/v1/"));
}

static void
test_schemas_are_the_messages (void **state)
{
    (void) state;
    static char schema [1 << 16];
    //  Every field, with its comment; unknown fields refused, as the codec does.
    assert_non_null (s_schema ("kf.FileTicket", schema, sizeof schema));
    const ProtobufCMessageDescriptor *d = kf_schema_find ("kf.FileTicket");
    for (unsigned f = 0; f < d->n_fields; f++) {
        char key [96];
        snprintf (key, sizeof key, "\"%s\":{", d->fields [f].name);
        if (!strstr (schema, key))
            fail_msg ("kf.FileTicket has no %s in %s", d->fields [f].name, schema);
    }
    const char *want [] = {
        "\"additionalProperties\":false",
        "\"description\":{\"type\":\"string\",\"maxLength\":2000,\"minLength\":1,",
        "\"idempotency_key\":{\"type\":\"string\",\"maxLength\":128,\"minLength\":1,",
        "\"unit\":{\"type\":\"string\",\"maxLength\":65536,\"example\":\"3-2-1502\"",
        "\"hazards\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/components/schemas/kf.Hazard\"},\"maxItems\":100000",
        "\"required\":[\"type\",\"channel\",\"category\",\"description\",\"idempotency_key\"]",
        "\"type\":{\"allOf\":[{\"$ref\":\"#/components/schemas/kf.TicketType\"}],\"description\":\"required\"}",
    };
    for (size_t i = 0; i < sizeof want / sizeof want [0]; i++)
        if (!strstr (schema, want [i]))
            fail_msg ("no %s in kf.FileTicket: %s", want [i], schema);
    //  64-bit integers are strings, as kf_json writes them.
    assert_non_null (s_schema ("kf.Pong", schema, sizeof schema));
    assert_non_null (strstr (schema, "\"now_ms\":{\"type\":\"string\",\"format\":\"int64\""));
    //  An enum lists its names, with and without their prefix, and says
    //  what each is.
    assert_non_null (strstr (s_doc, "\"kf.ReplyStatus\":{\"type\":\"string\",\"enum\":[\"REPLY_STATUS_UNSPECIFIED\""));
    assert_non_null (strstr (s_doc, "\"NOT_FOUND\""));
    assert_non_null (strstr (s_doc, "REPLY_STATUS_NOT_FOUND: 404"));
    //  Every reference names a schema the document has.
    for (const char *p = strstr (s_doc, "\"$ref\":\"#/components/schemas/"); p;
         p = strstr (p + 1, "\"$ref\":\"#/components/schemas/")) {
        char name [128], key [160];
        const char *start = p + strlen ("\"$ref\":\"#/components/schemas/");
        snprintf (name, sizeof name, "%.*s", (int) strcspn (start, "\""), start);
        snprintf (key, sizeof key, "\"%s\":{\"type\":", name);
        if (!strstr (strstr (s_doc, "\"schemas\":{"), key))
            fail_msg ("a $ref to %s, which the document does not define", name);
    }
}

static void
test_the_comments_are_read (void **state)
{
    (void) state;
    assert_string_equal (kf_proto_doc ("kf.Backup", "directory"),
                         "refused when set: the daemon names its copy under cluster/backup_dir");
    assert_non_null (strstr (kf_proto_doc ("kf.FileTicket", NULL), "File a new case"));
    assert_non_null (strstr (kf_proto_doc ("kf.Request", "ping"), "-> Pong"));
    assert_null (kf_proto_doc ("kf.FileTicket", "no_such_field"));
    assert_null (kf_proto_doc (NULL, NULL));
    //  A message written on one line ("message Ping {}") does not hide the
    //  ones after it.
    assert_non_null (kf_proto_doc ("kf.Pong", "now_ms"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_every_command_is_a_route),
        cmocka_unit_test (test_schemas_are_the_messages),
        cmocka_unit_test (test_the_comments_are_read),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
