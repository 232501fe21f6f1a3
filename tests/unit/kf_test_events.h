/*  kf_test_events — what a service under a domain test published: the
    events of one outbox stream since the last look, each described in a
    few words (by default its kind), space-separated, so that a test
    asserts a whole sequence in one line.  */
#ifndef KF_TEST_EVENTS_H_INCLUDED
#define KF_TEST_EVENTS_H_INCLUDED

#include <string.h>
#include "kf_codec.h"
#include "kf_outbox.h"

typedef void (kf_test_describe_fn) (const Kf__Envelope *event, char *out, size_t size);

typedef struct {
    kf_store_t *store;
    kf_outbox_t *outbox;
    const char *stream;               //  "dispatch@c1/E001"
    kf_test_describe_fn *describe;    //  NULL: the event's kind
    uint64_t seen;                    //  the last sequence read
    char text [8192];
} kf_test_events_t;

static inline int
kf_test_events_one (uint64_t seq, const void *data, size_t size, void *arg)
{
    kf_test_events_t *self = arg;
    self->seen = seq;
    Kf__Envelope *event = (Kf__Envelope *) kf_codec_unpack (&kf__envelope__descriptor, data, size, NULL);
    assert_non_null (event);
    char one [256];
    if (self->describe)
        self->describe (event, one, sizeof one);
    else
        kf_codec_event_kind (&event->base, one, sizeof one);
    size_t used = strlen (self->text);
    snprintf (self->text + used, sizeof self->text - used, "%s%s", used ? " " : "", one);
    kf_codec_free ((ProtobufCMessage **) &event);
    return 0;
}

static inline int
kf_test_events_txn (kf_txn_t *txn, void *arg)
{
    kf_test_events_t *self = arg;
    self->text [0] = 0;
    return kf_outbox_read (self->outbox, txn, self->stream, self->seen + 1, 0, 1000000, kf_test_events_one, self) < 0
         ? -1 : 0;
}

//  The events since the last call, described.
static inline const char *
kf_test_events (kf_test_events_t *self)
{
    assert_int_equal (kf_store_read (self->store, kf_test_events_txn, self, NULL), 0);
    return self->text;
}

#endif
