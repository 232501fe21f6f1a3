/*  kf_openapi — the HTTP API's description. See kf_openapi.h.  */
#include "kf_openapi.h"
#include "kf_codec.h"
#include "kf_config.h"
#include "kf_proto_docs.h"
#include "kf_schema.h"
#include "kf_version.h"
#include "commands.pb-c.h"
#include "gateway.pb-c.h"

#include <assert.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  ---- reading the comments ------------------------------------------------------------------

const char *
kf_proto_doc (const char *owner, const char *field)
{
    if (!field)
        field = "";
    for (size_t i = 0; owner && i < kf_proto_doc_count; i++)
        if (strcmp (kf_proto_docs [i].owner, owner) == 0 && strcmp (kf_proto_docs [i].field, field) == 0)
            return kf_proto_docs [i].text;
    return NULL;
}

//  The comment's own protobuf-c name ("kf.FileTicket"): descriptors name
//  messages so already.
static const char *
s_doc (const char *owner, const char *field)
{
    const char *text = kf_proto_doc (owner, field);
    return text ? text : "";
}

static bool
s_required (const char *text)
{
    return strncmp (text, "required", 8) == 0;
}

//  A number as comments write it ("2,000"); the end in *end.
static long long
s_number (const char *p, const char **end)
{
    long long n = 0;
    while (isdigit ((unsigned char) *p) || (*p == ',' && isdigit ((unsigned char) p [1]))) {
        if (*p != ',')
            n = n * 10 + (*p - '0');
        p++;
    }
    *end = p;
    return n;
}

typedef struct {
    long long min_length, max_length, maximum;   //  -1: not said
} s_limits_t;

static s_limits_t
s_limits (const char *text)
{
    s_limits_t l = { -1, -1, -1 };
    for (const char *p = text; *p; p++) {
        if (!isdigit ((unsigned char) *p) || (p > text && (isalnum ((unsigned char) p [-1]) || p [-1] == ',')))
            continue;
        const char *end;
        long long a = s_number (p, &end), b = -1;
        bool at_most = p - text >= 8 && strncmp (p - 8, "at most ", 8) == 0;
        if (strncmp (end, " to ", 4) == 0 && isdigit ((unsigned char) end [4]))
            b = s_number (end + 4, &end);
        else
        if (*end == '-' && isdigit ((unsigned char) end [1]))
            b = s_number (end + 1, &end);
        //  "characters" within the next words: a length.
        const char *characters = strstr (end, "characters");
        bool length = characters && characters - end <= 12;
        if (length && b >= 0)
            l.min_length = a, l.max_length = b;
        else
        if (length && at_most)
            l.max_length = a;
        else
        if (at_most && !length && l.maximum < 0)
            l.maximum = a;
        p = end - 1;
    }
    return l;
}

//  The example a comment gives: e.g. "3-2-1502". Into buf; false if none.
static bool
s_example (const char *text, char *buf, size_t size)
{
    const char *at = strstr (text, "e.g. \"");
    if (!at)
        return false;
    at += 6;
    const char *end = strchr (at, '"');
    if (!end || end == at)
        return false;
    snprintf (buf, size, "%.*s", (int) (end - at), at);
    return true;
}

//  ---- writing JSON ------------------------------------------------------------------------------

static void
s_string (FILE *out, const char *text)
{
    fputc ('"', out);
    for (const unsigned char *p = (const unsigned char *) (text ? text : ""); *p; p++)
        if (*p == '"' || *p == '\\')
            fprintf (out, "\\%c", *p);
        else
        if (*p < 0x20)
            fprintf (out, "\\u%04x", *p);
        else
            fputc (*p, out);
    fputc ('"', out);
}

static void
s_key (FILE *out, bool *first, const char *key)
{
    if (!*first)
        fputc (',', out);
    *first = false;
    s_string (out, key);
    fputc (':', out);
}

//  ---- the schemas ---------------------------------------------------------------------------------

//  The messages and enums the routes reach, each once.
typedef struct {
    const void **items;
    size_t count, size;
} s_set_t;

static bool
s_add (s_set_t *set, const void *item)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->items [i] == item)
            return false;
    if (set->count == set->size) {
        size_t size = set->size ? set->size * 2 : 64;
        const void **grown = realloc (set->items, size * sizeof *grown);
        if (!grown)
            return false;
        set->items = grown;
        set->size = size;
    }
    set->items [set->count++] = item;
    return true;
}

static void
s_reach (s_set_t *messages, s_set_t *enums, const ProtobufCMessageDescriptor *d)
{
    if (!s_add (messages, d))
        return;
    for (unsigned f = 0; f < d->n_fields; f++)
        if (d->fields [f].type == PROTOBUF_C_TYPE_MESSAGE)
            s_reach (messages, enums, d->fields [f].descriptor);
        else
        if (d->fields [f].type == PROTOBUF_C_TYPE_ENUM)
            s_add (enums, d->fields [f].descriptor);
}

static void
s_ref (FILE *out, const char *name)
{
    fprintf (out, "{\"$ref\":\"#/components/schemas/%s\"}", name);
}

//  One value of a field (an element, for a repeated one).
static void
s_value_schema (FILE *out, const ProtobufCFieldDescriptor *f, const char *doc)
{
    s_limits_t l = s_limits (doc);
    switch (f->type) {
        case PROTOBUF_C_TYPE_STRING:
            fprintf (out, "{\"type\":\"string\",\"maxLength\":%lld",
                     l.max_length >= 0 ? l.max_length : (long long) KF_CODEC_MAX_STRING);
            if (l.min_length >= 0)
                fprintf (out, ",\"minLength\":%lld", l.min_length);
            fputc ('}', out);
            break;
        case PROTOBUF_C_TYPE_BYTES:
            fputs ("{\"type\":\"string\",\"format\":\"byte\"}", out);
            break;
        case PROTOBUF_C_TYPE_BOOL:
            fputs ("{\"type\":\"boolean\"}", out);
            break;
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
            fprintf (out, "{\"type\":\"integer\",\"format\":\"int32\",\"minimum\":%d,\"maximum\":%lld}", INT32_MIN,
                     l.maximum >= 0 ? l.maximum : (long long) INT32_MAX);
            break;
        case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
            fprintf (out, "{\"type\":\"integer\",\"format\":\"int64\",\"minimum\":0,\"maximum\":%lld}",
                     l.maximum >= 0 ? l.maximum : (long long) UINT32_MAX);
            break;
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
            fputs ("{\"type\":\"string\",\"format\":\"int64\",\"pattern\":\"^-?[0-9]{1,19}$\"}", out);
            break;
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
            fputs ("{\"type\":\"string\",\"format\":\"uint64\",\"pattern\":\"^[0-9]{1,20}$\"}", out);
            break;
        case PROTOBUF_C_TYPE_FLOAT: case PROTOBUF_C_TYPE_DOUBLE:
            fputs ("{\"type\":\"number\"}", out);
            break;
        case PROTOBUF_C_TYPE_ENUM:
            s_ref (out, ((const ProtobufCEnumDescriptor *) f->descriptor)->name);
            break;
        case PROTOBUF_C_TYPE_MESSAGE:
            s_ref (out, ((const ProtobufCMessageDescriptor *) f->descriptor)->name);
            break;
    }
}

//  A field: its value (or a list of them), described by its comment
//  ($ref takes no siblings in OpenAPI 3.0: a reference is wrapped).
static void
s_field_schema (FILE *out, const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f)
{
    const char *doc = s_doc (d->name, f->name);
    bool repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
    bool reference = f->type == PROTOBUF_C_TYPE_ENUM || f->type == PROTOBUF_C_TYPE_MESSAGE;
    if (repeated) {
        fputs ("{\"type\":\"array\",\"items\":", out);
        s_value_schema (out, f, doc);
        fprintf (out, ",\"maxItems\":%u", KF_CODEC_MAX_REPEATED);
    }
    else
    if (reference) {
        fputs ("{\"allOf\":[", out);
        s_value_schema (out, f, doc);
        fputc (']', out);
    }
    else {
        //  The value's own schema, opened again for the description.
        char *text = NULL;
        size_t size = 0;
        FILE *value = open_memstream (&text, &size);
        if (value) {
            s_value_schema (value, f, doc);
            fclose (value);
        }
        if (text && size > 1)
            fwrite (text, 1, size - 1, out);   //  without its closing brace
        else
            fputs ("{\"type\":\"string\"", out);
        free (text);
    }
    char example [256];
    if (f->type == PROTOBUF_C_TYPE_STRING && !repeated && s_example (doc, example, sizeof example)) {
        fputs (",\"example\":", out);
        s_string (out, example);
    }
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        char note [512];
        snprintf (note, sizeof note, "%s%s(one of a oneof: at most one of its members is set)", doc, *doc ? " " : "");
        fputs (",\"description\":", out);
        s_string (out, note);
    }
    else
    if (*doc) {
        fputs (",\"description\":", out);
        s_string (out, doc);
    }
    fputc ('}', out);
}

static void
s_message_schema (FILE *out, const ProtobufCMessageDescriptor *d)
{
    fputs ("{\"type\":\"object\",\"additionalProperties\":false", out);
    const char *doc = s_doc (d->name, NULL);
    if (*doc) {
        fputs (",\"description\":", out);
        s_string (out, doc);
    }
    fputs (",\"properties\":{", out);
    bool first = true;
    for (unsigned f = 0; f < d->n_fields; f++) {
        s_key (out, &first, d->fields [f].name);
        s_field_schema (out, d, &d->fields [f]);
    }
    fputc ('}', out);
    bool any = false;
    for (unsigned f = 0; f < d->n_fields; f++)
        if (s_required (s_doc (d->name, d->fields [f].name))) {
            fputs (any ? "," : ",\"required\":[", out);
            s_string (out, d->fields [f].name);
            any = true;
        }
    if (any)
        fputc (']', out);
    fputc ('}', out);
}

//  An enum by its value names as kf_json writes them; on input the name
//  without its prefix works too, so both are listed.
static void
s_enum_schema (FILE *out, const ProtobufCEnumDescriptor *e)
{
    fputs ("{\"type\":\"string\",\"enum\":[", out);
    for (unsigned v = 0; v < e->n_values; v++) {
        if (v)
            fputc (',', out);
        s_string (out, e->values [v].name);
    }
    size_t prefix = 0;   //  the common "PREFIX_" of the names
    if (e->n_values > 1) {
        prefix = strlen (e->values [0].name);
        for (unsigned v = 1; v < e->n_values; v++) {
            size_t n = 0;
            while (n < prefix && e->values [v].name [n] == e->values [0].name [n])
                n++;
            prefix = n;
        }
        while (prefix && e->values [0].name [prefix - 1] != '_')
            prefix--;
    }
    for (unsigned v = 0; prefix && v < e->n_values; v++) {
        fputc (',', out);
        s_string (out, e->values [v].name + prefix);
    }
    fputc (']', out);
    //  The description: the enum's comment, then each value's.
    char *text = NULL;
    size_t size = 0;
    FILE *doc = open_memstream (&text, &size);
    if (doc) {
        fputs (s_doc (e->name, NULL), doc);
        for (unsigned v = 0; v < e->n_values; v++) {
            const char *value = kf_proto_doc (e->name, e->values [v].name);
            if (value)
                fprintf (doc, "%s%s: %s", ftell (doc) ? "; " : "", e->values [v].name, value);
        }
        fclose (doc);
    }
    if (text && *text) {
        fputs (",\"description\":", out);
        s_string (out, text);
    }
    free (text);
    fputc ('}', out);
}

//  ---- examples --------------------------------------------------------------------------------------

static void
s_example_json (FILE *out, const ProtobufCMessageDescriptor *d)
{
    fputc ('{', out);
    bool first = true;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields [i];
        const char *doc = s_doc (d->name, f->name);
        char example [256];
        bool has = f->type == PROTOBUF_C_TYPE_STRING && s_example (doc, example, sizeof example);
        if (f->label == PROTOBUF_C_LABEL_REPEATED || f->type == PROTOBUF_C_TYPE_MESSAGE
        ||  (!has && !s_required (doc)))
            continue;
        s_key (out, &first, f->name);
        switch (f->type) {
            case PROTOBUF_C_TYPE_STRING:
                s_string (out, has ? example : "example");
                break;
            case PROTOBUF_C_TYPE_ENUM: {
                const ProtobufCEnumDescriptor *e = f->descriptor;
                unsigned v = 0;
                while (v + 1 < e->n_values && e->values [v].value == 0)
                    v++;   //  not the unspecified one
                s_string (out, e->values [v].name);
                break;
            }
            case PROTOBUF_C_TYPE_BOOL:
                fputs ("true", out);
                break;
            case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
            case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
                fputs ("\"1\"", out);
                break;
            case PROTOBUF_C_TYPE_BYTES:
                fputs ("\"\"", out);
                break;
            default:
                fputs ("1", out);
        }
    }
    fputc ('}', out);
}

char *
kf_openapi_example (const ProtobufCMessageDescriptor *message)
{
    assert (message);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    if (!out)
        return NULL;
    s_example_json (out, message);
    if (fclose (out) != 0) {
        free (text);
        return NULL;
    }
    return text;
}

//  ---- the document ----------------------------------------------------------------------------------

//  A command's summary and reply, from its comment in kf.Request:
//  "what it does -> Reply".
static const ProtobufCMessageDescriptor *
s_command_reply (const char *doc, char *summary, size_t size)
{
    const char *arrow = strstr (doc, "->");
    snprintf (summary, size, "%.*s", (int) (arrow ? arrow - doc : (long) strlen (doc)), doc);
    for (size_t n = strlen (summary); n && (summary [n - 1] == ' ' || summary [n - 1] == ';'); n--)
        summary [n - 1] = 0;
    if (!arrow)
        return NULL;
    char name [96];
    const char *p = arrow + 2;
    while (*p == ' ')
        p++;
    size_t n = 0;
    while (n + 1 < sizeof name && (isalnum ((unsigned char) p [n]) || p [n] == '_'))
        n++, name [n - 1] = p [n - 1];
    name [n] = 0;
    return kf_schema_find (name);
}

static void
s_json_body (FILE *out, const char *name)
{
    fputs ("{\"application/json\":{\"schema\":", out);
    s_ref (out, name);
    fputs ("}}", out);
}

static void
s_fixed_routes (FILE *out)
{
    fputs ("\"/healthz\":{\"get\":{\"summary\":\"the gateway is up (answered even at the connection cap)\","
           "\"security\":[],\"responses\":{\"200\":{\"description\":\"ok\",\"content\":{\"text/plain\":"
           "{\"schema\":{\"type\":\"string\"}}}}}}},", out);
    fputs ("\"/metrics\":{\"get\":{\"summary\":\"Prometheus text (operations; an estate's operations see its "
           "estate's series only)\",\"responses\":{\"200\":{\"description\":\"metrics\",\"content\":{\"text/plain\":"
           "{\"schema\":{\"type\":\"string\"}}}},\"default\":{\"$ref\":\"#/components/responses/Error\"}}}},", out);
    fputs ("\"/api/v1/session\":{\"post\":{\"operationId\":\"session\",\"summary\":\"sign in with a token; sets "
           "the kefu_session cookie (HttpOnly, SameSite=Strict, 12 h)\",\"security\":[],\"requestBody\":"
           "{\"required\":true,\"content\":{\"application/json\":{\"schema\":{\"$ref\":"
           "\"#/components/schemas/kf.SessionRequest\"},\"example\":{\"token\":\"demo-desk-e001-000000\"}}}},"
           "\"responses\":{\"200\":{\"description\":\"who the session is\",\"content\":", out);
    s_json_body (out, "kf.SessionView");
    fputs ("},\"default\":{\"$ref\":\"#/components/responses/Error\"}}},\"delete\":{\"operationId\":\"sign_out\","
           "\"summary\":\"sign out\",\"responses\":{\"200\":{\"description\":\"signed out\"}}}},", out);
    fputs ("\"/api/v1/owner_code\":{\"post\":{\"operationId\":\"owner_code\",\"summary\":\"an owner or tenant "
           "asks for a one-time sign-in code, sent only to a phone the register gives them for the unit; the same "
           "answer either way (429: codes to one phone are gateway/owners/code_gap apart, codes_per_hour at most)\","
           "\"security\":[],\"requestBody\":{\"required\":true,\"content\":{\"application/json\":{\"schema\":"
           "{\"$ref\":\"#/components/schemas/kf.OwnerCodeRequest\"},\"example\":{\"estate\":\"E001\",\"unit\":"
           "\"3-2-1502\",\"phone\":\"13800000000\"}}}},\"responses\":{\"200\":{\"description\":\"asked\","
           "\"content\":", out);
    s_json_body (out, "kf.OwnerCodeSent");
    fputs ("},\"default\":{\"$ref\":\"#/components/responses/Error\"}}}},", out);
    fputs ("\"/api/v1/owner_session\":{\"post\":{\"operationId\":\"owner_session\",\"summary\":\"the code "
           "received, for a session (the kefu_session cookie) bound to the unit, role owner: the unit's own cases, "
           "return visits, evaluation and statement; 401 for a wrong or spent code\",\"security\":[],"
           "\"requestBody\":{\"required\":true,\"content\":{\"application/json\":{\"schema\":{\"$ref\":"
           "\"#/components/schemas/kf.OwnerSignIn\"},\"example\":{\"estate\":\"E001\",\"unit\":\"3-2-1502\","
           "\"phone\":\"13800000000\",\"code\":\"123456\"}}}},\"responses\":{\"200\":{\"description\":"
           "\"who the session is\",\"content\":", out);
    s_json_body (out, "kf.SessionView");
    fputs ("},\"default\":{\"$ref\":\"#/components/responses/Error\"}}}},", out);
    fputs ("\"/api/v1/whoami\":{\"get\":{\"operationId\":\"whoami\",\"summary\":\"the caller's token or session\","
           "\"responses\":{\"200\":{\"description\":\"who the caller is\",\"content\":", out);
    s_json_body (out, "kf.SessionView");
    fputs ("},\"default\":{\"$ref\":\"#/components/responses/Error\"}}}},", out);
    fputs ("\"/api/v1/events\":{\"get\":{\"operationId\":\"events\",\"summary\":\"live events as Server-Sent "
           "Events (operations): each `id: <event id>`, `event: <kind>`, `data: <kf.Envelope JSON>`; a reconnect "
           "with Last-Event-ID resumes from the gateway's recent window, or gets `event: resync`\","
           "\"parameters\":[{\"name\":\"kinds\",\"in\":\"query\",\"schema\":{\"type\":\"string\"},\"example\":"
           "\"ticket.,sla.\",\"description\":\"comma-separated prefixes of the kinds to send\"},{\"name\":"
           "\"Last-Event-ID\",\"in\":\"header\",\"schema\":{\"type\":\"string\"},\"description\":\"the id of the "
           "last event the reader saw\"}],\"responses\":{\"200\":{\"description\":\"the stream\",\"content\":"
           "{\"text/event-stream\":{\"schema\":{\"type\":\"string\"}}}},\"default\":"
           "{\"$ref\":\"#/components/responses/Error\"}}}}", out);
}

static void
s_command_routes (FILE *out, s_set_t *messages, s_set_t *enums)
{
    const ProtobufCMessageDescriptor *request = &kf__request__descriptor;
    for (unsigned i = 0; i < request->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &request->fields [i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || f->type != PROTOBUF_C_TYPE_MESSAGE || !kf_openapi_served (f))
            continue;
        const ProtobufCMessageDescriptor *command = f->descriptor;
        char summary [512];
        const ProtobufCMessageDescriptor *reply = s_command_reply (s_doc (request->name, f->name), summary,
                                                                   sizeof summary);
        s_reach (messages, enums, command);
        if (reply)
            s_reach (messages, enums, reply);
        fprintf (out, ",\"/api/v1/%s\":{\"post\":{\"operationId\":\"%s\",\"summary\":", f->name, f->name);
        s_string (out, *summary ? summary : s_doc (command->name, NULL));
        fputs (",\"description\":", out);
        s_string (out, s_doc (command->name, NULL));
        if (f->id < 20) {
            //  Every daemon the configuration knows, in its order.
            fputs (",\"parameters\":[{\"name\":\"service\",\"in\":\"query\",\"required\":true,\"schema\":"
                   "{\"type\":\"string\",\"enum\":[", out);
            for (const char *const *name = kf_config_services (); *name; name++)
                fprintf (out, "%s\"%s\"", name == kf_config_services () ? "" : ",", *name);
            fputs ("]},\"description\":\"the daemon that answers: every daemon answers this command\"}]", out);
        }
        fputs (",\"requestBody\":{\"required\":true,\"content\":{\"application/json\":{\"schema\":", out);
        s_ref (out, command->name);
        char *example = kf_openapi_example (command);
        fprintf (out, ",\"example\":%s}}},\"responses\":{\"200\":{\"description\":", example ? example : "{}");
        free (example);
        s_string (out, reply ? reply->name : "the reply's result");
        if (reply) {
            fputs (",\"content\":", out);
            s_json_body (out, reply->name);
        }
        fputs ("},\"default\":{\"$ref\":\"#/components/responses/Error\"}}}}", out);
    }
}

bool
kf_openapi_served (const ProtobufCFieldDescriptor *command)
{
    return command->id != KF__REQUEST__COMMAND_BEGIN_SIGN_IN && command->id != KF__REQUEST__COMMAND_END_SIGN_IN
        && command->id != KF__REQUEST__COMMAND_SEND_CODE;
}

char *
kf_openapi_document (void)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    if (!out)
        return NULL;
    s_set_t messages = { 0 }, enums = { 0 };
    s_reach (&messages, &enums, &kf__reply__descriptor);
    s_reach (&messages, &enums, &kf__session_request__descriptor);
    s_reach (&messages, &enums, &kf__session_view__descriptor);
    s_reach (&messages, &enums, &kf__owner_code_request__descriptor);
    s_reach (&messages, &enums, &kf__owner_code_sent__descriptor);
    s_reach (&messages, &enums, &kf__owner_sign_in__descriptor);
    fprintf (out, "{\"openapi\":\"3.0.3\",\"info\":{\"title\":\"kefu\",\"version\":\"%s\",\"description\":", KF_VERSION);
    s_string (out, "The HTTP API of kefu-gateway: every kefuctl operation is POST /api/v1/<command>, the body the "
                   "JSON of the command's protobuf message, the answer the JSON of the reply's result. JSON is "
                   "protobuf's canonical mapping with the .proto field names: enums by name (with or without "
                   "their prefix), 64-bit integers as strings, unknown fields refused. Errors answer with the HTTP "
                   "status of the reply's status and the JSON of kf.Reply. A token binds its caller to one estate "
                   "(or the whole group) and a role: another estate's objects answer 404. Generated from the "
                   "protobuf descriptors and the .proto comments (kf_openapi).");
    fputs ("},\"servers\":[{\"url\":\"/\"}],\"security\":[{\"token\":[]},{\"session\":[]}],\"paths\":{", out);
    s_fixed_routes (out);
    s_command_routes (out, &messages, &enums);
    fputs ("},\"components\":{\"securitySchemes\":{\"token\":{\"type\":\"http\",\"scheme\":\"bearer\","
           "\"description\":\"a token of gateway/tokens in kefu.conf\"},\"session\":{\"type\":\"apiKey\","
           "\"in\":\"cookie\",\"name\":\"kefu_session\",\"description\":\"the console's session (changes: JSON "
           "from the console's own origin only)\"}},\"responses\":{\"Error\":{\"description\":\"refused: 400 bad "
           "input, 401 no token, 403 role or scope, 404 unknown or another estate's, 405 method, 409 conflict, "
           "413 too large, 415 not JSON, 503 unavailable or at the connection cap, 504 no answer in time\","
           "\"content\":", out);
    s_json_body (out, "kf.Reply");
    fputs ("}},\"schemas\":{", out);
    bool first = true;
    for (size_t i = 0; i < messages.count; i++) {
        const ProtobufCMessageDescriptor *d = messages.items [i];
        s_key (out, &first, d->name);
        s_message_schema (out, d);
    }
    for (size_t i = 0; i < enums.count; i++) {
        const ProtobufCEnumDescriptor *e = enums.items [i];
        s_key (out, &first, e->name);
        s_enum_schema (out, e);
    }
    fputs ("}}}\n", out);
    free (messages.items);
    free (enums.items);
    if (fclose (out) != 0) {
        free (text);
        return NULL;
    }
    return text;
}
