/*  kf_field — reading and writing protobuf-c message fields through their
    descriptors. Internal to libkefu: the codec, the JSON converter and the
    tests share it so that one place knows protobuf-c's memory layout.
*/
#ifndef KF_FIELD_H_INCLUDED
#define KF_FIELD_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

//  Bytes one value of this type takes in a message or a repeated array.
size_t kf_field_value_size (ProtobufCType type);

//  Whether the field is set: a oneof member that is the case, an optional
//  with its has_ flag or a non-NULL pointer, a non-empty repeated field.
bool kf_field_present (const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *field);

//  Elements of a present field: the length of a repeated one, else 1.
size_t kf_field_count (const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *field);

//  The k-th value of a field (k = 0 for a singular one), as stored.
const void *kf_field_element (const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *field, size_t k);

//  Set an optional scalar field of a generated message and its has_ flag,
//  in one step: KF_SET (&ticket, reopen_count, 2).
#define KF_SET(msg, field, value) ((msg)->field = (value), (msg)->has_##field = 1)

//  For writers: the storage of a singular field, after marking it present
//  (has_ flag or oneof case). Values already there are not freed.
void *kf_field_set (ProtobufCMessage *msg, const ProtobufCFieldDescriptor *field);

//  For writers: append room for one element to a repeated field (zeroed);
//  NULL when out of memory. Uses realloc, so the message must come from
//  kf_codec_allocator.
void *kf_field_append (ProtobufCMessage *msg, const ProtobufCFieldDescriptor *field);

//  ---- enum names ------------------------------------------------------------
//  kefu's enum values carry their enum's name ("CATEGORY_WATER_LEAK"); people
//  and the command line use the rest in lower case ("water_leak").

//  "TicketType" -> "TICKET_TYPE_": the prefix its value names carry.
void kf_enum_prefix (const ProtobufCEnumDescriptor *descriptor, char *out, size_t size);

//  The value named `name`: the full name or the short one, in any case.
//  Returns 0, or -1 when no value has that name.
int kf_enum_parse (const ProtobufCEnumDescriptor *descriptor, const char *name, int *value);

//  A value present, not 0 ("unspecified") and known to this build.
bool kf_enum_known (const ProtobufCEnumDescriptor *descriptor, bool has, int value);

//  The short lower-case name of a value ("water_leak"), or its number when
//  this build does not know it. Returns buf.
const char *kf_enum_short_name (const ProtobufCEnumDescriptor *descriptor, int value, char *buf, size_t size);

#endif
