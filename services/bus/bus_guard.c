/*  bus_guard — what a key may put on the bus and read from it. See bus_guard.h.  */
#include "bus_guard.h"
#include "kf_codec.h"
#include "kf_outbox.h"
#include "bus.pb-c.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

//  ---- the envelope's names, from its wire bytes ------------------------------

static bool
s_varint (const uint8_t **p, const uint8_t *end, uint64_t *value)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t byte = *(*p)++;
        v |= (uint64_t) (byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *value = v;
            return true;
        }
    }
    return false;
}

static bool
s_copy (const uint8_t *data, uint64_t len, char *out, size_t size)
{
    if (len >= size || memchr (data, 0, (size_t) len))
        return false;
    memcpy (out, data, (size_t) len);
    out [len] = 0;
    return true;
}

bool
bus_guard_envelope_names (const void *body, size_t size, char *stream, size_t stream_size, char *estate,
                          size_t estate_size)
{
    assert (body || size == 0);
    const uint8_t *p = body, *end = p + size;
    *stream = *estate = 0;
    while (p < end) {
        uint64_t tag, len;
        if (!s_varint (&p, end, &tag))
            return false;
        uint64_t field = tag >> 3;
        switch (tag & 7) {
            case 0:   //  varint
                if (!s_varint (&p, end, &len))
                    return false;
                break;
            case 1:   //  64-bit
                if (end - p < 8)
                    return false;
                p += 8;
                break;
            case 2:   //  length-delimited
                if (!s_varint (&p, end, &len) || len > (uint64_t) (end - p))
                    return false;
                if (field == 1 && !s_copy (p, len, stream, stream_size))
                    return false;
                if (field == 5 && !s_copy (p, len, estate, estate_size))
                    return false;
                p += len;
                break;
            case 5:   //  32-bit
                if (end - p < 4)
                    return false;
                p += 4;
                break;
            default:  //  groups, or garbage
                return false;
        }
        if (field == 0)
            return false;
    }
    return true;
}

//  ---- the rules ---------------------------------------------------------------

static bool
s_refuse (bus_guard_verdict_t *verdict, const char *reason)
{
    verdict->reason = reason;
    return false;
}

//  The estate of a stream name "<service>@<site>/<estate>", or NULL.
static const char *
s_stream_estate (const char *stream)
{
    const char *slash = strrchr (stream, '/');
    return slash && slash > stream && memchr (stream, '@', (size_t) (slash - stream)) ? slash + 1 : NULL;
}

//  Whether a producer id "<service>@<site>" (up to `end`, or its end) is of
//  the site an estate key is named after: an estate server's key names its
//  site, so it can speak for no other producer (the cluster's billing, or
//  another server's intake) whatever estate it names.
static bool
s_site_is_key (const kf_key_identity_t *id, const char *producer, const char *end)
{
    const char *at = memchr (producer, '@', end ? (size_t) (end - producer) : strlen (producer));
    size_t len = end ? (size_t) (end - (at ? at + 1 : producer)) : (at ? strlen (at + 1) : 0);
    return at && len == strlen (id->name) && memcmp (at + 1, id->name, len) == 0;
}

static bool
s_estate_heartbeat (const kf_key_identity_t *id, const char *user_id, const void *body, size_t size,
                    bus_guard_verdict_t *verdict)
{
    Kf__Heartbeat *beat = (Kf__Heartbeat *) kf_codec_unpack (&kf__heartbeat__descriptor, body, size, NULL);
    bool ok = beat != NULL && beat->producer != NULL;
    if (!ok)
        s_refuse (verdict, "a heartbeat that does not decode");
    //  Consumers take a heartbeat's replay endpoint for its producer's.
    if (ok && !s_site_is_key (id, beat->producer, NULL))
        ok = s_refuse (verdict, "a heartbeat of a producer not of the sender's site (its key's name)");
    //  Consumers connect to the replay endpoint it names: the server there
    //  must be this very key, or a key could point them at a forger.
    if (ok && beat->replay_key && (!user_id || strcmp (beat->replay_key, user_id) != 0))
        ok = s_refuse (verdict, "a heartbeat whose replay key is not the sender's");
    //  Consumers ask the archive for any stream: only the cluster keeps it.
    if (ok && beat->has_archive && beat->archive)
        ok = s_refuse (verdict, "a heartbeat that claims to be the archive, from an estate's key");
    for (size_t i = 0; ok && i < beat->n_heads; i++) {
        const char *stream = beat->heads [i]->stream;
        const char *estate = stream ? s_stream_estate (stream) : NULL;
        if (!estate || !kf_keys_for_estate (id, estate) || strncmp (stream, beat->producer, strlen (beat->producer))
        ||  stream [strlen (beat->producer)] != '/') {
            snprintf (verdict->stream, sizeof verdict->stream, "%s", stream ? stream : "");
            ok = s_refuse (verdict, "a heartbeat for a stream of an estate not the sender's");
        }
    }
    kf_codec_free ((ProtobufCMessage **) &beat);
    return ok;
}

bool
bus_guard_publish (const kf_key_identity_t *id, const char *user_id, const void *topic, size_t topic_size,
                   const void *body, size_t body_size, bus_guard_verdict_t *verdict)
{
    assert (verdict);
    verdict->reason = NULL;
    verdict->stream [0] = 0;
    if (!id)
        return s_refuse (verdict, "a key that is no longer admitted, or has no kefu identity");
    if (id->role == KF_KEY_CLUSTER)
        return true;
    if (id->role != KF_KEY_ESTATE)
        return s_refuse (verdict, "an operations key publishes nothing");
    //  An estate server: its own estates only.
    char name [KF_STREAM_MAX];
    if (topic_size >= sizeof name || memchr (topic, 0, topic_size))
        return s_refuse (verdict, "a topic that is too long or not text");
    memcpy (name, topic, topic_size);
    name [topic_size] = 0;
    if (strncmp (name, "_sys/", 5) == 0) {
        if (strcmp (name, BUS_GUARD_HEARTBEAT) != 0)
            return s_refuse (verdict, "a system topic only the cluster publishes");
        return s_estate_heartbeat (id, user_id, body, body_size, verdict);
    }
    char *slash = strchr (name, '/');
    if (!slash)
        return s_refuse (verdict, "a topic that is not <estate>/<kind>");
    *slash = 0;
    char estate [KF_ID_MAX + 1];
    if (!bus_guard_envelope_names (body, body_size, verdict->stream, sizeof verdict->stream, estate, sizeof estate))
        return s_refuse (verdict, "an event that does not decode");
    const char *stream_estate = s_stream_estate (verdict->stream);
    if (!kf_keys_for_estate (id, name))
        return s_refuse (verdict, "an event of an estate not the sender's");
    if (strcmp (estate, name) != 0 || !stream_estate || strcmp (stream_estate, name) != 0)
        return s_refuse (verdict, "an event whose topic, estate and stream do not name one estate");
    if (!s_site_is_key (id, verdict->stream, stream_estate - 1))
        return s_refuse (verdict, "an event of a producer not of the sender's site (its key's name)");
    return true;
}

bool
bus_guard_subscribe (const kf_key_identity_t *id, const void *data, size_t size, bool capture,
                     bus_guard_verdict_t *verdict)
{
    assert (verdict);
    verdict->reason = NULL;
    verdict->stream [0] = 0;
    const uint8_t *bytes = data;
    if (size < 1 || bytes [0] > 1)
        return s_refuse (verdict, "not a subscription");
    if (bytes [0] == 0)
        return true;   //  unsubscribing takes nothing
    if (!id)
        return s_refuse (verdict, "a key that is no longer admitted, or has no kefu identity");
    if (id->role == KF_KEY_CLUSTER || id->role == KF_KEY_OPERATIONS)
        return true;
    if (capture)
        return s_refuse (verdict, "the capture socket is for operations keys");
    const char *prefix = (const char *) bytes + 1;
    size_t len = size - 1;
    if (len >= 5 && memcmp (prefix, "_sys/", 5) == 0)
        return true;
    for (size_t i = 0; id->role == KF_KEY_ESTATE && i < id->estate_count; i++) {
        size_t n = strlen (id->estates [i]);
        if (len > n && memcmp (prefix, id->estates [i], n) == 0 && prefix [n] == '/')
            return true;
    }
    return s_refuse (verdict, "a subscription outside the subscriber's estates and _sys/");
}
