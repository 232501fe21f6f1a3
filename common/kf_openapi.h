/*  kf_openapi — the OpenAPI 3.0 description of kefu-gateway's HTTP API,
    made from what the API is made of (DESIGN.md §6; issue 18.8): the
    routes are kf.Request's commands, each request and reply schema is the
    protobuf message as kf_json reads and writes it (field types, enum
    values, 64-bit integers as strings, no unknown fields), and the
    descriptions, required fields, limits and examples come from the
    .proto comments (kf_proto_docs). Nothing is written by hand per route,
    so the description cannot drift from the API.

    Conventions read from a field's comment: "required" at its start makes
    it required; "at most N characters", "N to M characters" and "N-M ...
    characters" give a string's lengths, "at most N" an integer's maximum;
    `e.g. "..."` its example. Every string is at most KF_CODEC_MAX_STRING
    bytes and every list KF_CODEC_MAX_REPEATED long, as the codec enforces.
*/
#ifndef KF_OPENAPI_H_INCLUDED
#define KF_OPENAPI_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

//  Whether the HTTP API serves a command of kf.Request: all but the
//  gateway's own steps of a person's sign-in (begin_sign_in hands out a
//  password's hash), which only the gateway sends, over the command socket.
bool kf_openapi_served (const ProtobufCFieldDescriptor *command);

//  The whole document, as JSON (which is YAML too); malloc'd, NULL when out
//  of memory.
char *kf_openapi_document (void);

//  The example request the document gives for a message (a command's): the
//  fields with an example in their comment and the required ones, as JSON;
//  malloc'd.
char *kf_openapi_example (const ProtobufCMessageDescriptor *message);

#endif
