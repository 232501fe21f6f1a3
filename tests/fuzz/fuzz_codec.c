/*  libFuzzer target: kf_codec unpack + validate, and kf_json both ways.

    Input: one mode byte (bit 0: 0 = protobuf, 1 = JSON), the short name of a
    message type, a NUL, then the payload. Naming the type keeps the seed
    corpus valid as the schema grows.

    Beyond "no crash, no leak, no UB", it checks the converter's promise:
    whatever decodes, encodes to JSON that decodes again and encodes to the
    very same JSON, and packs to protobuf that unpacks again.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kf_codec.h"
#include "kf_json.h"
#include "kf_schema.h"

static void
s_check_round_trip (const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    kf_err_t err;
    char *json = kf_json_encode (msg);
    if (!json)
        return;
    ProtobufCMessage *again = kf_json_decode (d, json, strlen (json), &err);
    if (!again)
        __builtin_trap ();   //  our own JSON was refused
    char *json2 = kf_json_encode (again);
    if (!json2 || strcmp (json, json2) != 0)
        __builtin_trap ();   //  the JSON changed on the way round
    size_t size;
    uint8_t *packed = kf_codec_pack (again, &size);
    ProtobufCMessage *unpacked = packed ? kf_codec_unpack (d, packed, size, &err) : NULL;
    if (packed && !unpacked)
        __builtin_trap ();   //  our own protobuf was refused
    kf_codec_free (&unpacked);
    free (packed);
    free (json2);
    kf_codec_free (&again);
    free (json);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const char *name = (const char *) data + 1;
    const uint8_t *nul = memchr (name, 0, size - 1 < 64 ? size - 1 : 64);
    if (!nul)
        return 0;
    const ProtobufCMessageDescriptor *d = kf_schema_find (name);
    if (!d)
        return 0;
    const uint8_t *payload = nul + 1;
    size_t payload_size = size - (size_t) (payload - data);
    kf_err_t err;
    ProtobufCMessage *msg = (data [0] & 1)
        ? kf_json_decode (d, (const char *) payload, payload_size, &err)
        : kf_codec_unpack (d, payload, payload_size, &err);
    if (msg) {
        s_check_round_trip (msg);
        kf_codec_free (&msg);
    }
    else
    if (strchr (err.text, '\n'))
        __builtin_trap ();   //  errors are one line
    return 0;
}
