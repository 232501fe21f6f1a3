/*  libFuzzer target: an envelope as a consumer receives it from the bus.

    Bytes -> kf_codec_unpack (Envelope) -> its kind -> kf_inbox_check and
    kf_inbox_advance inside a transaction that is then aborted, against
    cursors that exist, so duplicates, gaps and new epochs are all reached.
    Checks: a verdict is one of the five; an event judged well-formed names
    a stream of its own estate.
*/
#include <stdint.h>
#include <string.h>

#include "fuzz_store.h"
#include "kf_codec.h"
#include "kf_inbox.h"
#include "kf_log.h"

static kf_store_t *s_store;
static kf_inbox_t *s_inbox;

static int
s_seed_cursors (kf_txn_t *txn, void *arg)
{
    (void) arg;
    const char *streams [] = { "intake@c1/E001", "dispatch@c1/E002" };
    for (int i = 0; i < 2; i++) {
        Kf__Envelope event = KF__ENVELOPE__INIT;
        event.stream = (char *) streams [i];
        event.estate = (char *) streams [i] + strlen (streams [i]) - 4;
        event.epoch = 7;
        event.seq = 5;
        event.has_epoch = event.has_seq = 1;
        kf_inbox_advance (s_inbox, txn, &event, 0);
    }
    return kf_txn_ok (txn) ? 0 : -1;
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void) argc; (void) argv;
    kf_log_init ("fuzz_envelope", KF_LOG_ERROR);
    const char *tables [] = { KF_BUS_TABLES, NULL };
    s_store = fuzz_store_open (tables);
    s_inbox = kf_inbox_new (s_store);
    if (kf_store_write (s_store, s_seed_cursors, NULL, NULL))
        abort ();
    return 0;
}

typedef struct {
    const Kf__Envelope *event;
    kf_inbox_verdict_t verdict;
} s_try_t;

static int
s_try (kf_txn_t *txn, void *arg)
{
    s_try_t *t = arg;
    uint64_t last;
    t->verdict = kf_inbox_check (s_inbox, txn, t->event, &last);
    if (t->verdict == KF_INBOX_APPLY)
        kf_inbox_advance (s_inbox, txn, t->event, 0);
    return -1;   //  never commit: every input meets the same cursors
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    Kf__Envelope *event = (Kf__Envelope *) kf_codec_unpack (&kf__envelope__descriptor, data, size, NULL);
    if (!event)
        return 0;
    char kind [64];
    kf_codec_event_kind (&event->base, kind, sizeof kind);
    s_try_t t = { event, KF_INBOX_MALFORMED };
    kf_store_write (s_store, s_try, &t, NULL);
    if (t.verdict > KF_INBOX_MALFORMED)
        __builtin_trap ();
    if (t.verdict != KF_INBOX_MALFORMED) {
        //  Well-formed means: stream "<producer>/<estate>" of this estate.
        const char *slash = strrchr (event->stream, '/');
        if (!slash || strcmp (slash + 1, event->estate) != 0 || event->seq == 0)
            __builtin_trap ();
    }
    kf_codec_free ((ProtobufCMessage **) &event);
    return 0;
}
