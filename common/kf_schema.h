/*  kf_schema — every message type of the schema, for code that walks it
    (the codec's tests, the fuzzers, kefuctl's decoders).

    The table is generated at build time from protoc-c's headers
    (proto/gen-schema-table.sh); this module adds lookups over it.
*/
#ifndef KF_SCHEMA_H_INCLUDED
#define KF_SCHEMA_H_INCLUDED

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

//  The version producers stamp on every envelope. Raise it when the meaning
//  of existing fields changes; adding fields or bodies does not need it.
#define KF_SCHEMA_VERSION 1

extern const ProtobufCMessageDescriptor *const kf_schema_messages [];
extern const size_t kf_schema_message_count;

//  By full name ("kf.TicketFiled") or short name ("TicketFiled"); NULL if none.
const ProtobufCMessageDescriptor *kf_schema_find (const char *name);

#endif
