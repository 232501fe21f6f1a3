/*  bus_guard — what a key may put on the bus and read from it (DESIGN.md §7).

    The rules the bus applies to every message, as plain functions of the
    sender's identity (kf_keys) and the message's bytes, so that they are
    tested without sockets:

      - publish: a cluster host (or this host's own processes, over ipc://)
        publishes anything; an estate server publishes only events whose
        topic "<estate>/<kind>", envelope estate and stream
        "<service>@<site>/<estate>" are all one of its estates, and only
        heartbeats whose every stream is one of its estates and whose replay
        key is its own, all of producers of its own site (an estate
        server's key is named after its site: "<service>@<key name>"); an
        operations host publishes nothing; a key with no
        identity (revoked since it connected) nothing.
      - subscribe: an estate server to prefixes inside "<estate>/" of its
        estates and to "_sys/"; the capture socket to operations and the
        cluster only. Unsubscribing is always allowed.

    An event's stream and estate are read from the envelope's wire format
    without decoding it (the last occurrence of a field wins, as in
    protobuf); a heartbeat, once a second per producer, is decoded.
*/
#ifndef BUS_GUARD_H_INCLUDED
#define BUS_GUARD_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include "kf_keys.h"
#include "kf_outbox.h"

#define BUS_GUARD_HEARTBEAT "_sys/heartbeat"

typedef struct {
    const char *reason;                //  one line, static text
    char stream [KF_STREAM_MAX];       //  the refused event's stream, when it had one
} bus_guard_verdict_t;

//  Whether `id` (NULL: no identity) may publish [topic][body]. `user_id`
//  is the sender's public key (ZAP User-Id), NULL for a local sender. On
//  refusal, the verdict says why.
bool bus_guard_publish (const kf_key_identity_t *id, const char *user_id, const void *topic, size_t topic_size,
                        const void *body, size_t body_size, bus_guard_verdict_t *verdict);

//  Whether `id` may have subscription message `data` (ZeroMQ's: 1 or 0,
//  then the prefix) applied, on the subscribers' socket or, with
//  `capture`, on the capture socket.
bool bus_guard_subscribe (const kf_key_identity_t *id, const void *data, size_t size, bool capture,
                          bus_guard_verdict_t *verdict);

//  An envelope's stream (field 1) and estate (field 5) from its wire bytes,
//  copied as text: false when the bytes are not a well-formed message or a
//  field does not fit.
bool bus_guard_envelope_names (const void *body, size_t size, char *stream, size_t stream_size, char *estate,
                               size_t estate_size);

#endif
