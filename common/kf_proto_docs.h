/*  kf_proto_docs — the comments of the proto files, for descriptions people
    read (the OpenAPI file). protobuf-c's descriptors carry names, types and
    numbers but no comments, so a table of them is generated at build time
    (proto/gen-proto-docs.sh): a message's or enum's leading comment (field
    ""), and each field's or enum value's own.
*/
#ifndef KF_PROTO_DOCS_H_INCLUDED
#define KF_PROTO_DOCS_H_INCLUDED

#include <stddef.h>

typedef struct {
    const char *owner;   //  full name: "kf.FileTicket", "kf.TicketType"
    const char *field;   //  a field or enum value; "" for the owner itself
    const char *text;
} kf_proto_doc_t;

extern const kf_proto_doc_t kf_proto_docs [];
extern const size_t kf_proto_doc_count;

//  The comment of owner (and field: NULL or "" for the owner's own), or NULL.
const char *kf_proto_doc (const char *owner, const char *field);

#endif
