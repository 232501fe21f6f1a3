/*  kf_scope — the estate guard. See kf_scope.h.  */
#include "kf_scope.h"
#include "kf_codec.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

bool
kf_scope_is_group (const char *scope)
{
    return !scope || !*scope;
}

bool
kf_scope_sees (const char *scope, const char *estate)
{
    return kf_scope_is_group (scope) || (estate && strcmp (scope, estate) == 0);
}

const char *
kf_scope_stream_estate (const char *stream)
{
    const char *slash = stream ? strrchr (stream, '/') : NULL;
    return slash && slash [1] ? slash + 1 : NULL;
}

bool
kf_scope_sees_stream (const char *scope, const char *stream)
{
    return kf_scope_sees (scope, kf_scope_stream_estate (stream));
}

//  Keep the elements of a repeated message field that `keep` accepts,
//  freeing the others; the order of those kept stays.
typedef bool (s_keep_fn) (ProtobufCMessage *element, const char *scope);

static void
s_filter (ProtobufCMessage ***elements, size_t *count, s_keep_fn *keep, const char *scope)
{
    size_t kept = 0;
    for (size_t i = 0; i < *count; i++) {
        ProtobufCMessage *element = (*elements) [i];
        if (keep (element, scope))
            (*elements) [kept++] = element;
        else
            kf_codec_free (&element);
    }
    *count = kept;
}

static bool
s_keep_head (ProtobufCMessage *element, const char *scope)
{
    return kf_scope_sees_stream (scope, ((Kf__StreamHead *) element)->stream);
}

static bool
s_keep_cursor (ProtobufCMessage *element, const char *scope)
{
    return kf_scope_sees_stream (scope, ((Kf__Cursor *) element)->stream);
}

static bool
s_keep_alarm (ProtobufCMessage *element, const char *scope)
{
    return kf_scope_sees_stream (scope, ((Kf__StreamAlarm *) element)->stream);
}

//  A producer is shown with the heads of the scope's streams, and only
//  when it has one: that it exists says nothing of another estate.
static bool
s_keep_producer (ProtobufCMessage *element, const char *scope)
{
    Kf__ProducerState *producer = (Kf__ProducerState *) element;
    s_filter ((ProtobufCMessage ***) &producer->heads, &producer->n_heads, s_keep_head, scope);
    return producer->n_heads > 0;
}

void
kf_scope_bus_status (Kf__BusStatus *status, const char *scope)
{
    assert (status);
    if (kf_scope_is_group (scope))
        return;
    s_filter ((ProtobufCMessage ***) &status->heads, &status->n_heads, s_keep_head, scope);
    s_filter ((ProtobufCMessage ***) &status->cursors, &status->n_cursors, s_keep_cursor, scope);
    s_filter ((ProtobufCMessage ***) &status->stream_alarms, &status->n_stream_alarms, s_keep_alarm, scope);
    s_filter ((ProtobufCMessage ***) &status->producers, &status->n_producers, s_keep_producer, scope);
    //  Every optional scalar is a total over the daemon's estates, except
    //  when the status was taken: unset them all, by the descriptor, so
    //  that a total added later is not shown by mistake.
    const ProtobufCMessageDescriptor *d = status->base.descriptor;
    const ProtobufCFieldDescriptor *sampled = protobuf_c_message_descriptor_get_field_by_name (d, "sampled_at_ms");
    for (unsigned f = 0; f < d->n_fields; f++) {
        const ProtobufCFieldDescriptor *field = &d->fields [f];
        if (field == sampled)
            continue;
        if (field->label == PROTOBUF_C_LABEL_OPTIONAL && field->quantifier_offset
        &&  field->type != PROTOBUF_C_TYPE_STRING && field->type != PROTOBUF_C_TYPE_MESSAGE)
            *(protobuf_c_boolean *) ((char *) status + field->quantifier_offset) = 0;
        if (field->label == PROTOBUF_C_LABEL_REPEATED && field->type != PROTOBUF_C_TYPE_MESSAGE)
            *(size_t *) ((char *) status + field->quantifier_offset) = 0;   //  commit_buckets: kept allocated, unshown
    }
}
