/*  Writes the seed corpora of the fuzz targets from a few hand-written JSON
    documents. fuzz_codec gets each as a JSON seed and as a protobuf seed;
    fuzz_envelope and fuzz_replay get the envelopes and replay messages as
    plain protobuf. Run by `make fuzz-seeds`; the output is committed under
    tests/fuzz/corpus/.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kf_codec.h"
#include "kf_json.h"
#include "kf_schema.h"

static const struct { const char *type; const char *json; } s_seeds [] = {
    { "Envelope", "{\"stream\":\"intake@c1/E001\",\"epoch\":\"9223372036854775809\",\"seq\":\"42\","
                  "\"event_id\":\"0f1e2d3c4b5a69788796a5b4c3d2e1f0\",\"estate\":\"E001\","
                  "\"occurred_at_ms\":\"1795000000000\",\"schema_version\":1,"
                  "\"ticket_filed\":{\"ticket_no\":\"E001-20261123-0001\",\"unit\":\"3-2-1502\","
                  "\"reporter_name\":\"张三\",\"reporter_phone\":\"+8613800138000\",\"type\":\"TICKET_TYPE_REPAIR\","
                  "\"channel\":\"CHANNEL_PHONE\",\"category\":\"CATEGORY_WATER_LEAK\",\"priority\":\"PRIORITY_EMERGENCY\","
                  "\"description\":\"卫生间天花板漏水 \\\"urgent\\\"\",\"photo_urls\":[\"https://x/1.jpg\"],"
                  "\"hazards\":[\"HAZARD_LEAK_INTO_HOME\"],\"idempotency_key\":\"k-1\"}}" },
    { "Envelope", "{\"stream\":\"escalation@c1/E002\",\"seq\":\"7\",\"sla_breached\":{\"ticket_no\":\"E002-20261002-0003\","
                  "\"target\":\"SLA_TARGET_RESOLUTION\",\"deadline_ms\":\"-1\",\"working_hours\":true}}" },
    { "Envelope", "{\"order_completed\":{\"order_no\":\"E001-20261123-0001-W1\",\"materials\":[{\"name\":\"阀门\","
                  "\"quantity\":2,\"unit_price_fen\":\"3500\"}],\"paid_service\":true,\"amount_fen\":\"12000\"}}" },
    { "Request", "{\"request_id\":\"r-1\",\"actor\":\"s-017\",\"scope\":\"E001\",\"role\":\"ROLE_FRONT_DESK\","
                 "\"file_ticket\":{\"estate\":\"E001\",\"unit\":\"3-2-1502\",\"type\":\"COMPLAINT\","
                 "\"channel\":\"HOTLINE\",\"category\":\"NOISE\",\"description\":\"楼上装修噪音\",\"idempotency_key\":\"a\"}}" },
    { "Request", "{\"import_units\":{\"estate\":\"E003\",\"csv\":\"dW5pdCxhcmVhCjEtMS0xMDEsODkuNTAK\"}}" },
    { "Reply", "{\"request_id\":\"r-1\",\"status\":\"REPLY_STATUS_BAD_REQUEST\",\"error\":\"unknown estate 'E9'\"}" },
    { "ReplayMessage", "{\"request\":{\"stream\":\"dispatch@c1/E001\",\"epoch\":\"1\",\"from_seq\":\"10\",\"to_seq\":\"0\",\"credit\":8}}" },
    { "ReplayMessage", "{\"batch\":{\"events\":[\"CgF4\",\"\"]}}" },
    { "Heartbeat", "{\"producer\":\"dispatch@c1\",\"replay_endpoint\":\"ipc://var/run/dispatch-replay\","
                   "\"heads\":[{\"stream\":\"dispatch@c1/E001\",\"epoch\":\"5\",\"head_seq\":\"100\",\"first_seq\":\"1\"}]}" },
    { "ReplayMessage", "{\"request\":{\"stream\":\"intake@c1/E001\",\"from_seq\":\"3\",\"to_seq\":\"40\",\"credit\":4}}" },
    { "ReplayMessage", "{\"request\":{\"stream\":\"intake@c1/E002\",\"from_seq\":\"1\",\"credit\":1}}" },
    { "ReplayMessage", "{\"request\":{\"stream\":\"intake@c1/E001\",\"epoch\":\"7\",\"from_seq\":\"1\"}}" },
    { "ReplayMessage", "{\"request\":{\"stream\":\"dispatch@c1/E001\",\"from_seq\":\"1\"}}" },
    { "ReplayMessage", "{\"credit\":{\"credit\":2}}" },
    { "Envelope", "{\"stream\":\"intake@c1/E001\",\"estate\":\"E001\",\"epoch\":\"7\",\"seq\":\"6\","
                  "\"ticket_note_added\":{\"ticket_no\":\"T\",\"note\":\"n\"}}" },
    { "Envelope", "{\"stream\":\"intake@c1/E001\",\"estate\":\"E001\",\"epoch\":\"8\",\"seq\":\"1\","
                  "\"ticket_closed\":{}}" },
    { "FeeSchedule", "{\"effective_from\":20260101,\"rates\":[{\"building_type\":\"highrise\",\"fen_per_m2_month\":\"235\"}],"
                     "\"vacant_discount_percent\":30}" },
};

static int
s_write (const char *path, const void *prefix, size_t prefix_size, const void *data, size_t size)
{
    FILE *file = fopen (path, "wb");
    if (!file) {
        perror (path);
        return -1;
    }
    fwrite (prefix, 1, prefix_size, file);
    fwrite (data, 1, size, file);
    fclose (file);
    return 0;
}

int
main (int argc, char **argv)
{
    const char *root = argc > 1 ? argv [1] : "tests/fuzz/corpus";
    for (size_t i = 0; i < sizeof s_seeds / sizeof s_seeds [0]; i++) {
        const ProtobufCMessageDescriptor *d = kf_schema_find (s_seeds [i].type);
        kf_err_t err;
        ProtobufCMessage *msg = d ? kf_json_decode (d, s_seeds [i].json, strlen (s_seeds [i].json), &err) : NULL;
        if (!msg) {
            fprintf (stderr, "seed %zu: %s\n", i, d ? err.text : "unknown type");
            return 1;
        }
        size_t size;
        uint8_t *packed = kf_codec_pack (msg, &size);
        //  fuzz_codec: a mode byte, the type's name, NUL, the payload.
        for (int json = 0; json <= 1; json++) {
            char path [512], prefix [64];
            snprintf (path, sizeof path, "%s/codec/seed-%02zu-%s.%s", root, i, s_seeds [i].type, json ? "json" : "pb");
            prefix [0] = (char) json;
            size_t prefix_size = 1 + (size_t) snprintf (prefix + 1, sizeof prefix - 1, "%s", d->short_name) + 1;
            if (s_write (path, prefix, prefix_size, json ? (const void *) s_seeds [i].json : packed,
                         json ? strlen (s_seeds [i].json) : size))
                return 1;
        }
        //  fuzz_envelope and fuzz_replay: the plain protobuf.
        const char *target = strcmp (s_seeds [i].type, "Envelope") == 0 ? "envelope"
                           : strcmp (s_seeds [i].type, "ReplayMessage") == 0 ? "replay" : NULL;
        if (target) {
            char path [512];
            snprintf (path, sizeof path, "%s/%s/seed-%02zu.pb", root, target, i);
            if (s_write (path, "", 0, packed, size))
                return 1;
        }
        free (packed);
        kf_codec_free (&msg);
    }
    return 0;
}
