/*  kefuctl streams — the streams a daemon stopped for an operator, and the
    way out of each alarm (DESIGN.md §2, issue 17.4).

    A consumer stops a stream rather than apply something doubtful: its
    producer's store is another one (NEW_EPOCH), the events it misses are
    no longer kept (TRIMMED), or the producer holds fewer events than were
    applied here in the same epoch (BEHIND: a store put back from a backup
    by hand). `kefuctl streams` lists them with what to do; `kefuctl
    streams resolve` records the operator's decision, with who and why, in
    the daemon's store and lets the stream go on. A producer restored with
    `kefuctl restore` announces its new epoch as the old one's continuation,
    and its consumers follow it without an alarm.
*/
#include "ctl.h"
#include "bus.pb-c.h"

#include <inttypes.h>

//  What to do about an alarm, for the listing.
static const char *
s_way_out (Kf__StreamAlarmKind kind)
{
    switch (kind) {
        case KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_NEW_EPOCH:
            return "the producer's store was replaced: restore it with kefuctl restore, or accept its new epoch "
                   "(resolve --accept-epoch)";
        case KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_TRIMMED:
            return "the producer no longer keeps the events missed here: skip them on the record "
                   "(resolve --skip-to FIRST_KEPT)";
        case KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_BEHIND:
            return "the producer's store was put back from a backup by hand: stop it and put it back with "
                   "kefuctl restore, then resolve --retry";
        default:
            return "see the daemon's log";
    }
}

static const char *
s_kind_name (Kf__StreamAlarmKind kind)
{
    switch (kind) {
        case KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_NEW_EPOCH: return "new epoch";
        case KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_TRIMMED: return "trimmed";
        case KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_BEHIND: return "behind";
        default: return "?";
    }
}

static int
s_list (ctl_t *ctl, int argc, char **argv)
{
    ctl_daemons_t d;
    Kf__Reply *replies [CTL_DAEMONS_MAX];
    size_t answered = 0;
    int code;
    if (ctl_ask_status (ctl, &ctl_streams_command, argc, argv, &d, replies, &answered, &code))
        return code;
    size_t alarms = 0;
    ctl_table_t *table = NULL;   //  made at the first alarm
    for (size_t i = 0; i < d.count; i++) {
        const Kf__BusStatus *s = replies [i] && replies [i]->result_case == KF__REPLY__RESULT_BUS_STATUS
                               ? replies [i]->bus_status : NULL;
        for (size_t a = 0; s && a < s->n_stream_alarms; a++) {
            const Kf__StreamAlarm *alarm = s->stream_alarms [a];
            alarms++;
            if (ctl->json) {
                ctl_print_json (&alarm->base);
                continue;
            }
            if (!table)
                table = ctl_table_new (7, "DAEMON", "STREAM", "ALARM", "CURSOR", "PRODUCER HEAD", "SINCE", "WAY OUT");
            char cursor [48], head [64], when [64];
            snprintf (cursor, sizeof cursor, "%016" PRIx64 "/%" PRIu64, alarm->epoch, alarm->last_seq);
            if (alarm->has_head_seq)
                snprintf (head, sizeof head, "%016" PRIx64 "/%" PRIu64 " (kept from %" PRIu64 ")", alarm->head_epoch,
                          alarm->head_seq, alarm->first_seq);
            else
                snprintf (head, sizeof head, "not heard");
            ctl_table_row (table, s->service, alarm->stream, s_kind_name (alarm->kind), cursor, head,
                           ctl_time (ctl, NULL, alarm->since_ms, when, sizeof when), s_way_out (alarm->kind));
        }
        kf_codec_free ((ProtobufCMessage **) &replies [i]);
    }
    if (table)
        ctl_table_print (&table, stdout);
    else
    if (!ctl->json && alarms == 0)
        printf ("no stream is stopped: every consumer applies every stream it follows\n");
    return answered == d.count ? 0 : CTL_FAILED;
}

typedef struct {
    Kf__StreamAction action;
    uint64_t to_seq;
    const char *reason;
    int actions;
} s_resolve_t;

static int
s_resolve_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_resolve_t *r = arg;
    char *end;
    switch (option) {
        case 'a': r->action = KF__STREAM_ACTION__STREAM_ACTION_ACCEPT_EPOCH; r->actions++; break;
        case 'r': r->action = KF__STREAM_ACTION__STREAM_ACTION_RETRY; r->actions++; break;
        case 's':
            r->action = KF__STREAM_ACTION__STREAM_ACTION_SKIP_TO;
            r->actions++;
            r->to_seq = strtoull (value, &end, 10);
            if (*end || *value == '-' || r->to_seq == 0)
                return ctl_fail (-1, "streams resolve: --skip-to '%s' is not a sequence number", value);
            break;
        case 'w': r->reason = value; break;
    }
    return 0;
}

static int
s_resolve (ctl_t *ctl, int argc, char **argv)
{
    static const struct option spec [] = {
        { "accept-epoch", no_argument, NULL, 'a' }, { "skip-to", required_argument, NULL, 's' },
        { "retry", no_argument, NULL, 'r' }, { "reason", required_argument, NULL, 'w' },
        { NULL, 0, NULL, 0 }
    };
    s_resolve_t r = { 0 };
    int code;
    int first = ctl_options (ctl, &ctl_streams_command, argc, argv, spec, s_resolve_option, &r, &code);
    if (first < 0)
        return code;
    if (argc - first != 2)
        return ctl_fail (CTL_USAGE, "streams resolve: which daemon and stream? (streams resolve DAEMON STREAM ...)");
    if (r.actions != 1)
        return ctl_fail (CTL_USAGE, "streams resolve: say one of --accept-epoch, --skip-to SEQ or --retry");
    if (!r.reason || !*r.reason)
        return ctl_fail (CTL_USAGE, "streams resolve: say why with --reason: the decision is kept for ever");
    if (!ctl_config (ctl))
        return CTL_FAILED;
    ctl_daemons_t d;
    if (ctl_daemons (ctl, 1, argv + first, &d))
        return CTL_USAGE;
    Kf__ResolveStream resolve = KF__RESOLVE_STREAM__INIT;
    resolve.stream = argv [first + 1];
    resolve.action = r.action;
    resolve.to_seq = r.to_seq;
    resolve.reason = (char *) r.reason;
    resolve.has_action = resolve.has_to_seq = 1;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_RESOLVE_STREAM;
    request.resolve_stream = &resolve;
    Kf__Reply *reply = ctl_call (ctl, d.who [0], d.endpoint [0], &request);
    if (!reply)
        return CTL_FAILED;
    const Kf__StreamDecision *decision = reply->result_case == KF__REPLY__RESULT_STREAM_DECISION
                                       ? reply->stream_decision : NULL;
    if (!decision) {
        kf_codec_free ((ProtobufCMessage **) &reply);
        return ctl_fail (CTL_FAILED, "streams resolve: %s answered without its decision", d.who [0]);
    }
    if (ctl->json)
        ctl_print_json (&decision->base);
    else
        printf ("%s: %s resolved by %s: cursor %016" PRIx64 "/%" PRIu64 " -> %016" PRIx64 "/%" PRIu64
                " (the next event applied is %" PRIu64 ")\n", d.who [0], decision->stream, decision->actor,
                decision->from_epoch, decision->from_seq, decision->to_epoch, decision->to_seq, decision->to_seq + 1);
    kf_codec_free ((ProtobufCMessage **) &reply);
    return 0;
}

static int
s_streams (ctl_t *ctl, int argc, char **argv)
{
    if (argc >= 2 && strcmp (argv [1], "resolve") == 0)
        return s_resolve (ctl, argc - 1, argv + 1);
    if (argc >= 2 && strcmp (argv [1], "list") == 0)
        return s_list (ctl, argc - 1, argv + 1);
    return s_list (ctl, argc, argv);
}

const ctl_command_t ctl_streams_command = {
    "streams", "streams stopped for an operator, and the way out of each: resolve, on the record",
    "streams [list] [DAEMON...]\n"
    "       streams resolve DAEMON STREAM --accept-epoch|--skip-to SEQ|--retry --reason TEXT\n\n"
    "A consumer stops a stream rather than apply something doubtful, and says so in its log,\n"
    "in lag, top and /metrics:\n"
    "  new epoch  the producer's store is another one (rebuilt, or copied in by hand). If it\n"
    "             was put back from a backup, stop it and use kefuctl restore (its consumers\n"
    "             then follow it on their own); else --accept-epoch follows the new store\n"
    "             from its oldest kept event.\n"
    "  trimmed    the events missed here are no longer kept by the producer: --skip-to\n"
    "             FIRST_KEPT goes on from there, the range left out on the record.\n"
    "  behind     the producer holds fewer events than were applied here, in the same epoch:\n"
    "             a store put back by hand. Stop it, put it back with kefuctl restore, then\n"
    "             --retry.\n"
    "Every decision is kept in the daemon's store with --as (who) and --reason (why), and\n"
    "the stream goes on. Operations only.",
    s_streams, NULL
};
