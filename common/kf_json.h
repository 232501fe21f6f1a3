/*  kf_json — protobuf ⇄ JSON for every message, driven by protobuf-c's
    descriptors: no converter is written per message.

    The mapping is protobuf's canonical JSON, keeping the .proto field names:
      - field names as in the .proto (snake_case); lowerCamelCase is accepted
      - 64-bit integers as strings ("1795000000000"); numbers are accepted
      - enums by value name ("TICKET_TYPE_REPAIR"); on input the name without
        its enum prefix ("REPAIR", any case) or the number also works
      - bytes as base64 (standard or URL-safe, padding optional on input)
      - unset fields are left out; null on input means unset
    Decoding is strict (kf_json_decode_lenient skips unknown fields): unknown fields, duplicate fields, two members of one
    oneof, a wrong type, an out-of-range number, bad UTF-8, a NUL in a string
    or trailing garbage are errors that name the field. Decoded messages are
    validated by kf_codec_validate before they are returned.
*/
#ifndef KF_JSON_H_INCLUDED
#define KF_JSON_H_INCLUDED

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>
#include "kf_log.h"

#define KF_JSON_MAX_DEPTH 32

//  A new NUL-terminated string (malloc; the caller frees), NULL when out of
//  memory. Invalid UTF-8 in the message is written as U+FFFD, so the output
//  is always valid JSON.
char *kf_json_encode (const ProtobufCMessage *msg);

//  The same, but the message's own repeated fields are written even when
//  empty: a list with nothing in it is {"staff":[]}, not {}, for scripts
//  that iterate it. Nested messages are as kf_json_encode writes them.
char *kf_json_encode_lists (const ProtobufCMessage *msg);

//  Parse `size` bytes of JSON (an object) into a new message of the given
//  type; free it with kf_codec_free. NULL with a one-line reason on error.
ProtobufCMessage *kf_json_decode (const ProtobufCMessageDescriptor *descriptor,
                                  const char *text, size_t size, kf_err_t *err);

//  The same, but a member the message does not have is skipped (its value
//  still well-formed JSON, within KF_JSON_MAX_DEPTH): for answers of
//  other people's APIs, which gain fields without asking. Everything else
//  is as strict as kf_json_decode: a field it has, of the wrong type, is
//  an error.
ProtobufCMessage *kf_json_decode_lenient (const ProtobufCMessageDescriptor *descriptor,
                                          const char *text, size_t size, kf_err_t *err);

//  text as a JSON string, quoted and escaped as kf_json_encode writes
//  strings (UTF-8 as it is, invalid bytes as U+FFFD): for JSON that no
//  message describes. A new string (malloc), NULL when out of memory.
char *kf_json_quote (const char *text);

#endif
