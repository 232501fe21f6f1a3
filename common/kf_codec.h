/*  kf_codec — protobuf in and out, with hostile input in mind.

    Every decode goes through kf_codec_unpack: a size cap first, then
    protobuf-c's unpack with an allocator that zeroes what it hands out
    (protobuf-c 1.4.1 can leave fields uninitialised on some error paths),
    then kf_codec_validate over the whole message: enum values must be known,
    strings valid UTF-8 and not too long, repeated fields not too many.
    Unknown fields are kept, so a store or a relay never drops what a newer
    build wrote. JSON lives in kf_json, driven by the same descriptors.
*/
#ifndef KF_CODEC_H_INCLUDED
#define KF_CODEC_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>
#include "kf_log.h"

#define KF_CODEC_MAX_MESSAGE   (4u << 20)   //  bytes of one encoded message
#define KF_CODEC_MAX_STRING    (64u << 10)  //  bytes of one string field (bytes fields: the message's bound)
#define KF_CODEC_MAX_REPEATED  100000u      //  elements of one repeated field

//  The allocator of every message kf_codec and kf_json hand out: calloc and
//  free, so memory is zeroed and realloc-compatible.
extern ProtobufCAllocator kf_codec_allocator;

//  Decode and validate. NULL with a one-line reason on any failure.
ProtobufCMessage *kf_codec_unpack (const ProtobufCMessageDescriptor *descriptor,
                                   const void *data, size_t size, kf_err_t *err);

//  Check a whole message tree (see above). Returns 0 or -1 with the reason,
//  naming the field: "kf.TicketFiled.type: 99 is not a kf.TicketType".
int kf_codec_validate (const ProtobufCMessage *msg, kf_err_t *err);

//  kf_codec_validate for a command from people (a kf.Request): every
//  string, however deep, must also be free of control characters
//  (kf_text_control_at), so no command of any service stores a value that
//  would split a table or a log line. Stored records and events are not
//  held to this: what an older build accepted must still decode.
int kf_codec_validate_command (const ProtobufCMessage *msg, kf_err_t *err);

//  Free a message from kf_codec_unpack or kf_json_decode; nulls the pointer.
void kf_codec_free (ProtobufCMessage **msg_p);

//  An arena for decoding many messages that die together (a batch of
//  events): allocation is a bump of a pointer, memory is zeroed as handed
//  out, and nothing is freed one by one: kf_arena_reset frees it all.
typedef struct _kf_arena_t kf_arena_t;
kf_arena_t *kf_arena_new (void);
void kf_arena_destroy (kf_arena_t **self_p);
void kf_arena_reset (kf_arena_t *self);

//  A new, initialised message of the given type in the arena; a copy of a
//  string in the arena. NULL when out of memory.
ProtobufCMessage *kf_arena_message (kf_arena_t *self, const ProtobufCMessageDescriptor *descriptor);
char *kf_arena_strdup (kf_arena_t *self, const char *text);
//  size zeroed bytes in the arena (arrays of a reply); NULL when out of memory.
void *kf_arena_alloc (kf_arena_t *self, size_t size);

//  Append `item` to an array of pointers that grows in the arena (a
//  reply's repeated field, as rows come): *items holds *count of them in
//  room for *room; a full array doubles (the old one stays in the arena
//  until the reset). 0, or -1 when out of memory, nothing appended.
int kf_arena_push (kf_arena_t *self, void ***items, size_t *count, size_t *room, void *item);

//  kf_codec_unpack into an arena. Never kf_codec_free the result.
ProtobufCMessage *kf_codec_unpack_in (kf_arena_t *arena, const ProtobufCMessageDescriptor *descriptor,
                                      const void *data, size_t size, kf_err_t *err);

//  Encode into a new buffer (malloc; the caller frees). NULL when out of memory.
uint8_t *kf_codec_pack (const ProtobufCMessage *msg, size_t *size);

//  A 64-bit digest (FNV-1a) of a message's encoding: "has this changed?"
//  for idempotency and configuration checks, not for security. 0 when out
//  of memory.
uint64_t kf_codec_digest (const ProtobufCMessage *msg);

//  The field of a oneof that is set, or NULL. `oneof_member` is the name of
//  any member of that oneof (protobuf-c keeps no table of oneofs).
const ProtobufCFieldDescriptor *kf_codec_oneof_case (const ProtobufCMessage *msg,
                                                     const char *oneof_member);

//  The kind of an event, from the name of its envelope's body field with the
//  first '_' turned into '.': "ticket.filed". Writes "unknown" when the body
//  is not one this build knows. Returns buf.
const char *kf_codec_event_kind (const ProtobufCMessage *envelope, char *buf, size_t size);

//  UTF-8: one well-formed character at text (no overlongs, no surrogates,
//  ≤ U+10FFFF): its length in bytes, or 0 when it is not well-formed.
size_t kf_utf8_decode (const char *text, size_t size, uint32_t *code_point);
//  Every character well-formed.
bool kf_utf8_valid (const char *text, size_t size);
//  Code points in a valid UTF-8 string ("at most 2,000 characters").
size_t kf_utf8_length (const char *text);
//  Text made by snprintf from parts, which may have cut a character in
//  two: ended after its last whole character, and after at most max_chars
//  of them. Returns text.
char *kf_utf8_clip (char *text, size_t max_chars);
//  The first control character in valid UTF-8 text (C0, DEL or C1: a
//  newline, a tab, an escape...): its offset in bytes and, in *code_point,
//  the character; -1 when there is none.
long kf_text_control_at (const char *text, uint32_t *code_point);

//  Text for people, as every service checks it: present and not only
//  blanks, well-formed, no control characters (a newline splits the tables
//  and logs that show the text), at most max_chars characters. 0, or -1
//  with the reason naming `field`: "description is required (1 to 2000
//  characters)", "reporter_name is too long (65 characters, at most 64)",
//  "note may not contain control characters (U+000A at character 3)".
int kf_text_check (const char *field, const char *text, size_t max_chars, kf_err_t *err);

//  A reference the caller chooses (an idempotency key, a payment's
//  reference): 1 to max_chars printable ASCII characters, no spaces and no
//  '|' (it becomes part of a store key). 0, or -1 with the reason naming
//  `field`, as kf_text_check.
int kf_ref_check (const char *field, const char *ref, size_t max_chars, kf_err_t *err);

//  A unit of an estate: building-unit-room, three parts of 1-8 letters or
//  digits ("3-2-1502").
bool kf_unit_valid (const char *unit);
//  A unit code of the estate's common areas (公共区域): building 0, e.g.
//  "0-0-0", "0-B1-PUMP". Valid without being in the register: a round's
//  findings are filed there.
bool kf_unit_common (const char *unit);
#define KF_COMMON_AREA "0-0-0"     //  the estate's common areas, as a whole
//  A phone number: 5 to 20 digits, with an optional leading +.
bool kf_phone_valid (const char *phone);
//  An http(s) URL (a photo's, a plan's, evidence) of at most max bytes,
//  without spaces or control characters.
bool kf_url_valid (const char *url, size_t max);
//  A phone as shown to someone who may not see it whole: the first three
//  and last four digits of a long number (138****0000), the last two of a
//  short one. Writes at most size bytes, always terminated.
void kf_phone_mask (const char *phone, char *out, size_t size);

#endif
