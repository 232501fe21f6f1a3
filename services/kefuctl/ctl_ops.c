/*  kefuctl — operations: ping, tap, lag, clock, backup.  */
#include "ctl.h"
#include "kf_clock.h"
#include "kf_json.h"
#include "kf_openapi.h"
#include "kf_summary.h"
#include "kf_time.h"
#include "bus.pb-c.h"

#include <inttypes.h>
#include <limits.h>
#include <sys/stat.h>

#define S_SERVICES ((size_t) KF_SERVICE_COUNT)
int
ctl_daemons (ctl_t *ctl, int count, char **names, ctl_daemons_t *d)
{
    memset (d, 0, sizeof *d);
    for (size_t i = 0; i < S_SERVICES; i++) {
        char path [128];
        snprintf (path, sizeof path, "services/%s/endpoint", kf_config_services () [i]);
        snprintf (d->labels [d->count], sizeof d->labels [0], "%s@%s", kf_config_services () [i],
                  kf_config_str (ctl->config, "cluster/name"));
        d->who [d->count] = d->labels [d->count];
        d->endpoint [d->count++] = kf_config_str (ctl->config, path);
    }
    for (size_t i = 0; i < kf_config_estate_count (ctl->config) && d->count < CTL_DAEMONS_MAX; i++) {
        const kf_estate_t *e = kf_config_estate (ctl->config, i);
        char path [128];
        snprintf (path, sizeof path, "estates/%s/intake_endpoint", e->id);
        const char *endpoint = kf_config_str (ctl->config, path);
        bool seen = false;
        for (size_t j = 0; endpoint && j < d->count; j++)
            seen = seen || strcmp (d->endpoint [j], endpoint) == 0;
        if (endpoint && !seen) {
            snprintf (d->labels [d->count], sizeof d->labels [0], "%s", e->intake);
            d->who [d->count] = d->labels [d->count];
            d->endpoint [d->count++] = endpoint;
        }
    }
    if (count == 0)
        return 0;
    //  Keep only those named: "intake" or "intake@c1".
    ctl_daemons_t all = *d;
    d->count = 0;
    for (int n = 0; n < count; n++) {
        size_t i = 0, len = strlen (names [n]);
        while (i < all.count && strcmp (all.labels [i], names [n])
               && !(strncmp (all.labels [i], names [n], len) == 0 && all.labels [i][len] == '@'))
            i++;
        if (i == all.count)
            return ctl_fail (CTL_USAGE, "no daemon '%s' (expected intake, dispatch, escalation, survey, billing, archive, registry, desk "
                             "or a producer id such as intake@c1)", names [n]);
        memcpy (d->labels [d->count], all.labels [i], sizeof d->labels [0]);
        d->who [d->count] = d->labels [d->count];
        d->endpoint [d->count++] = all.endpoint [i];
    }
    return 0;
}


//  Ask every daemon named (all when none) the same thing: 0 when asked
//  (the replies are in), or -1 and what the command returns in *code (its
//  --help included: nothing was asked, there are no replies).
int
ctl_ask_all (ctl_t *ctl, const ctl_command_t *command, int argc, char **argv, Kf__Request *request,
             ctl_daemons_t *d, Kf__Reply **replies, size_t *answered, int *code)
{
    int first = ctl_options (ctl, command, argc, argv, NULL, ctl_no_option, NULL, code);
    if (first < 0)
        return -1;
    *code = CTL_FAILED;
    if (!ctl_config (ctl))
        return -1;
    *code = CTL_USAGE;
    if (ctl_daemons (ctl, argc - first, argv + first, d))
        return -1;
    *answered = ctl_call_many (ctl, d->count, d->who, d->endpoint, request, replies);
    return 0;
}

//  ---- ping ----------------------------------------------------------------------------

static int
s_ping (ctl_t *ctl, int argc, char **argv)
{
    Kf__Ping ping = KF__PING__INIT;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_PING;
    request.ping = &ping;
    ctl_daemons_t d;
    Kf__Reply *replies [CTL_DAEMONS_MAX];
    size_t answered = 0;
    int code;
    if (ctl_ask_all (ctl, &ctl_ping_command, argc, argv, &request, &d, replies, &answered, &code))
        return code;
    ctl_table_t *table = ctl->json ? NULL : ctl_table_new (4, "DAEMON", "ENDPOINT", "VERSION", "CLOCK");
    for (size_t i = 0; i < d.count; i++) {
        const Kf__Pong *pong = replies [i] && replies [i]->result_case == KF__REPLY__RESULT_PONG ? replies [i]->pong : NULL;
        if (ctl->json && pong)
            ctl_print_json (&pong->base);
        char when [64];
        if (table)
            ctl_table_row (table, pong ? pong->service : d.who [i], d.endpoint [i], pong ? pong->version : "no answer",
                           pong ? ctl_time (ctl, NULL, pong->now_ms, when, sizeof when) : "-");
        kf_codec_free ((ProtobufCMessage **) &replies [i]);
    }
    if (table)
        ctl_table_print (&table, stdout);
    return answered == d.count ? 0 : CTL_FAILED;
}

const ctl_command_t ctl_ping_command = {
    "ping", "which daemons answer, their version and clock",
    "ping [DAEMON...]\n\nAsks each daemon (all by default: intake, dispatch, escalation, survey,\n"
    "billing, archive, registry, desk and the estates' own intakes) for its version and clock.\nFails "
    "when one does not answer.",
    s_ping, NULL
};

//  ---- lag -----------------------------------------------------------------------------

static const Kf__StreamHead *
s_head_of (const Kf__BusStatus *status, const char *stream, const Kf__ProducerState **producer)
{
    for (size_t p = 0; p < status->n_producers; p++)
        for (size_t h = 0; h < status->producers [p]->n_heads; h++)
            if (strcmp (status->producers [p]->heads [h]->stream, stream) == 0) {
                *producer = status->producers [p];
                return status->producers [p]->heads [h];
            }
    *producer = NULL;
    return NULL;
}

int
ctl_ask_status (ctl_t *ctl, const ctl_command_t *command, int argc, char **argv, ctl_daemons_t *d,
                Kf__Reply **replies, size_t *answered, int *code)
{
    Kf__GetBusStatus get = KF__GET_BUS_STATUS__INIT;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_BUS_STATUS;
    request.bus_status = &get;
    return ctl_ask_all (ctl, command, argc, argv, &request, d, replies, answered, code);
}

static int
s_lag (ctl_t *ctl, int argc, char **argv)
{
    ctl_daemons_t d;
    Kf__Reply *replies [CTL_DAEMONS_MAX];
    size_t answered = 0;
    int code;
    if (ctl_ask_status (ctl, &ctl_lag_command, argc, argv, &d, replies, &answered, &code))
        return code;
    ctl_table_t *table = ctl->json ? NULL
        : ctl_table_new (7, "CONSUMER", "STREAM", "CURSOR", "HEAD", "LAG", "PRODUCER", "UPDATED");
    ctl_table_t *own = ctl->json ? NULL : ctl_table_new (5, "PRODUCER", "STREAM", "HEAD", "OLDEST KEPT", "EPOCH");
    for (size_t i = 0; i < d.count; i++) {
        const Kf__BusStatus *s = replies [i] && replies [i]->result_case == KF__REPLY__RESULT_BUS_STATUS
                               ? replies [i]->bus_status : NULL;
        if (!s) {
            if (table)
                ctl_table_row (table, d.who [i], "no answer", "-", "-", "-", "-", "-");
            continue;
        }
        if (ctl->json) {
            ctl_print_json (&s->base);
            kf_codec_free ((ProtobufCMessage **) &replies [i]);
            continue;
        }
        for (size_t c = 0; c < s->n_cursors; c++) {
            const Kf__Cursor *cursor = s->cursors [c];
            const Kf__ProducerState *producer;
            const Kf__StreamHead *head = s_head_of (s, cursor->stream, &producer);
            char cur [24], hd [24], lag [24], when [64];
            snprintf (cur, sizeof cur, "%" PRIu64, cursor->last_seq);
            snprintf (hd, sizeof hd, "%" PRIu64, head ? head->head_seq : 0);
            const Kf__StreamAlarm *alarm = NULL;
            for (size_t a = 0; a < s->n_stream_alarms; a++)
                if (strcmp (s->stream_alarms [a]->stream, cursor->stream) == 0)
                    alarm = s->stream_alarms [a];
            if (alarm)
                snprintf (lag, sizeof lag, "ALARM %s", alarm->kind == KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_BEHIND
                          ? "behind" : alarm->kind == KF__STREAM_ALARM_KIND__STREAM_ALARM_KIND_TRIMMED ? "trimmed"
                          : "new epoch");
            else
            if (head && head->epoch != cursor->epoch)
                snprintf (lag, sizeof lag, "new epoch");
            else
                snprintf (lag, sizeof lag, "%" PRIu64, head && head->head_seq > cursor->last_seq
                                                       ? head->head_seq - cursor->last_seq : 0);
            ctl_table_row (table, s->service, cursor->stream, cur, head ? hd : "?", head || alarm ? lag : "?",
                           !producer ? "not heard" : producer->down ? "DOWN" : "up",
                           cursor->updated_at_ms ? ctl_time (ctl, NULL, cursor->updated_at_ms, when, sizeof when) : "-");
        }
        if (s->n_cursors == 0)
            ctl_table_row (table, s->service, "(no stream applied yet)", "-", "-", "-", "-", "-");
        for (size_t h = 0; h < s->n_heads; h++) {
            char hd [24], first [24], epoch [24];
            snprintf (hd, sizeof hd, "%" PRIu64, s->heads [h]->head_seq);
            snprintf (first, sizeof first, "%" PRIu64, s->heads [h]->first_seq);
            snprintf (epoch, sizeof epoch, "%016" PRIx64, s->heads [h]->epoch);
            ctl_table_row (own, s->service, s->heads [h]->stream, hd, first, epoch);
        }
        for (size_t p = 0; p < s->n_producers; p++)
            if (s->producers [p]->down)
                fprintf (stderr, "kefuctl: %s sees producer %s DOWN (three heartbeats missed)\n", s->service,
                         s->producers [p]->producer);
        if (s->n_stream_alarms)
            fprintf (stderr, "kefuctl: %s has %zu stream%s stopped for an operator: kefuctl streams says why and "
                     "what to do\n", s->service, s->n_stream_alarms, s->n_stream_alarms == 1 ? "" : "s");
        kf_codec_free ((ProtobufCMessage **) &replies [i]);
    }
    if (table) {
        ctl_table_print (&table, stdout);
        printf ("\n");
        ctl_table_print (&own, stdout);
    }
    return answered == d.count ? 0 : CTL_FAILED;
}

const ctl_command_t ctl_lag_command = {
    "lag", "each consumer's cursor against each producer's head; producers down",
    "lag [DAEMON...]\n\nFor each daemon (all by default), each stream it consumes: its cursor, the head\n"
    "the producer last announced, the difference, and whether the producer is up or DOWN\n"
    "(three missed heartbeats). Then each daemon's own streams. Fails when a daemon does not answer.",
    s_lag, NULL
};

//  ---- tap -----------------------------------------------------------------------------

typedef struct {
    char *estates [32];
    size_t n_estates;
    const char *kind;
    long count;
    bool sys;
} s_tap_t;

static int
s_tap_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_tap_t *a = arg;
    char *end;
    switch (option) {
        case 'e':
            if (a->n_estates == 32)
                return ctl_fail (-1, "tap: too many --estate");
            a->estates [a->n_estates++] = (char *) value;
            break;
        case 'k': a->kind = value; break;
        case 's': a->sys = true; break;
        case 'n':
            a->count = strtol (value, &end, 10);
            if (*end || a->count < 1)
                return ctl_fail (-1, "tap: --count '%s' is not a positive number", value);
            break;
    }
    return 0;
}

//  A producer's heartbeat, for --sys.
static void
s_tap_heartbeat (ctl_t *ctl, zframe_t *body, long *seen)
{
    kf_err_t err;
    Kf__Heartbeat *beat = (Kf__Heartbeat *) kf_codec_unpack (&kf__heartbeat__descriptor, zframe_data (body),
                                                             zframe_size (body), &err);
    if (!beat) {
        fprintf (stderr, "kefuctl: tap: a heartbeat does not decode (%s); skipped\n", err.text);
        return;
    }
    (*seen)++;
    if (ctl->json)
        ctl_print_json (&beat->base);
    else {
        char when [64];
        printf ("%s  _sys  heartbeat              %s  replay=%s", ctl_time (ctl, NULL, beat->sent_at_ms, when, sizeof when),
                beat->producer ? beat->producer : "?", beat->replay_endpoint ? beat->replay_endpoint : "-");
        for (size_t i = 0; i < beat->n_heads; i++)
            printf (" %s=%" PRIu64, beat->heads [i]->stream, beat->heads [i]->head_seq);
        printf ("\n");
    }
    kf_codec_free ((ProtobufCMessage **) &beat);
}

//  The bus's alarm: a key refused, for --sys.
static void
s_tap_alarm (ctl_t *ctl, zframe_t *body, long *seen)
{
    kf_err_t err;
    Kf__BusAlarm *alarm = (Kf__BusAlarm *) kf_codec_unpack (&kf__bus_alarm__descriptor, zframe_data (body),
                                                            zframe_size (body), &err);
    if (!alarm) {
        fprintf (stderr, "kefuctl: tap: an alarm does not decode (%s); skipped\n", err.text);
        return;
    }
    (*seen)++;
    if (ctl->json)
        ctl_print_json (&alarm->base);
    else {
        char when [64];
        printf ("%s  _sys  alarm                  key %s (%s): %s: %s%s%s; %" PRIu64 " refused\n",
                ctl_time (ctl, NULL, alarm->raised_at_ms, when, sizeof when), alarm->key ? alarm->key : "?",
                alarm->role ? alarm->role : "?", alarm->reason ? alarm->reason : "?", alarm->topic ? alarm->topic : "",
                alarm->stream ? " stream " : "", alarm->stream ? alarm->stream : "", alarm->refused);
    }
    kf_codec_free ((ProtobufCMessage **) &alarm);
}

static int
s_tap (ctl_t *ctl, int argc, char **argv)
{
    static const struct option spec [] = {
        { "estate", required_argument | CTL_REPEATED, NULL, 'e' }, { "kind", required_argument, NULL, 'k' },
        { "count", required_argument, NULL, 'n' }, { "sys", no_argument, NULL, 's' },
        { NULL, 0, NULL, 0 }
    };
    s_tap_t a = { .count = 0 };
    int code;
    int first = ctl_options (ctl, &ctl_tap_command, argc, argv, spec, s_tap_option, &a, &code);
    if (first < 0)
        return code;
    if (first < argc)
        return ctl_fail (CTL_USAGE, "tap: unexpected argument '%s'", argv [first]);
    if (!ctl_config (ctl))
        return CTL_FAILED;
    const char *endpoint = kf_config_str (ctl->config, "bus/capture");
    if (!endpoint)
        return ctl_fail (CTL_FAILED, "tap: bus/capture is not configured; kefu-bus copies traffic only there");
    for (size_t i = 0; i < a.n_estates; i++)
        if (!kf_config_estate_find (ctl->config, a.estates [i]))
            return ctl_fail (CTL_FAILED, "tap: unknown estate '%s'", a.estates [i]);
    kf_err_t err;
    if (!ctl->net && !(ctl->net = kf_net_new (ctl->config, &err)))
        return ctl_fail (CTL_FAILED, "%s", err.text);
    zsock_t *sub = zsock_new (ZMQ_SUB);
    if (!sub || kf_net_connect (ctl->net, sub, endpoint, &err)) {
        zsock_destroy (&sub);
        return ctl_fail (CTL_FAILED, "tap: %s", err.text);
    }
    //  Estates are topic prefixes; kinds are filtered here.
    if (a.n_estates == 0)
        zsock_set_subscribe (sub, "");
    for (size_t i = 0; i < a.n_estates; i++) {
        char prefix [KF_ID_MAX + 2];
        snprintf (prefix, sizeof prefix, "%s/", a.estates [i]);
        zsock_set_subscribe (sub, prefix);
    }
    if (a.sys && a.n_estates)
        zsock_set_subscribe (sub, "_sys/");
    fprintf (stderr, "kefuctl: tapping %s (Ctrl-C stops)\n", endpoint);
    zpoller_t *poller = zpoller_new (sub, NULL);
    long seen = 0;
    int rc = 0;
    while (!zsys_interrupted && (a.count == 0 || seen < a.count)) {
        if (!zpoller_wait (poller, 500)) {
            if (zpoller_terminated (poller))
                break;
            continue;
        }
        zmsg_t *msg = zmsg_recv (sub);
        if (!msg)
            break;
        zframe_t *topic = zmsg_first (msg), *body = zmsg_next (msg);
        bool system = zframe_size (topic) >= 5 && memcmp (zframe_data (topic), "_sys/", 5) == 0;
        if (zmsg_size (msg) != 2 || (system && !a.sys)) {
            zmsg_destroy (&msg);
            continue;
        }
        if (system) {
            if (zframe_streq (topic, "_sys/heartbeat"))
                s_tap_heartbeat (ctl, body, &seen);
            else
            if (zframe_streq (topic, "_sys/alarm"))
                s_tap_alarm (ctl, body, &seen);
            //  _sys/bus, the bus's counters every second: kefuctl top shows them.
            zmsg_destroy (&msg);
            continue;
        }
        char kind [64];
        Kf__Envelope *event = (Kf__Envelope *) kf_codec_unpack (&kf__envelope__descriptor, zframe_data (body),
                                                                zframe_size (body), &err);
        if (!event) {
            char *t = zframe_strdup (topic);
            fprintf (stderr, "kefuctl: tap: an event on %s does not decode (%s); skipped\n", t ? t : "?", err.text);
            free (t);
            zmsg_destroy (&msg);
            continue;
        }
        kf_codec_event_kind (&event->base, kind, sizeof kind);
        if (!a.kind || strncmp (kind, a.kind, strlen (a.kind)) == 0) {
            seen++;
            if (ctl->json)
                ctl_print_json (&event->base);
            else {
                char when [64], summary [1024];
                const ProtobufCMessage *bodymsg = kf_event_body (event);
                printf ("%s  %-5s %-22s %s#%" PRIu64 "  %s%s%s\n",
                        ctl_time (ctl, event->estate, event->occurred_at_ms, when, sizeof when),
                        event->estate ? event->estate : "-", kind, event->stream ? event->stream : "?", event->seq,
                        event->actor ? event->actor : "", event->actor ? "  " : "",
                        bodymsg ? kf_summary (bodymsg, NULL, summary, sizeof summary) : "(a kind this build does not know)");
            }
        }
        kf_codec_free ((ProtobufCMessage **) &event);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&sub);
    return rc;
}

const ctl_command_t ctl_tap_command = {
    "tap", "live decoded events from the bus, one line each (or JSON lines)",
    "tap [--estate E]... [--kind PREFIX] [--count N] [--sys] [--json]\n\n"
    "Prints every event crossing kefu-bus as it passes (bus/capture), one readable line each,\n"
    "or one Envelope as JSON per line with --json. --estate keeps those estates, --kind\n"
    "the kinds starting with PREFIX (ticket., order.assigned), --sys adds heartbeats and\n"
    "the bus's alarms (a key refused), --count stops after N events. Live only: what\n"
    "passed before tap started is not shown.", s_tap, NULL
};

//  ---- clock ---------------------------------------------------------------------------

static int
s_clock_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    if (option == 'f')
        *(const char **) arg = value;
    return 0;
}

static int
s_clock (ctl_t *ctl, int argc, char **argv)
{
    static const struct option spec [] = { { "file", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
    const char *file = getenv ("KEFU_CLOCK");
    if (!file || !*file)
        file = access ("var/clock", F_OK) == 0 ? "var/clock" : NULL;
    int code;
    int first = ctl_options (ctl, &ctl_clock_command, argc, argv, spec, s_clock_option, &file, &code);
    if (first < 0)
        return code;
    const char *action = first < argc ? argv [first] : "show";
    kf_err_t err;
    int64_t now;
    if (strcmp (action, "set") == 0 || strcmp (action, "advance") == 0) {
        if (first + 2 != argc)
            return ctl_fail (CTL_USAGE, "clock %s: needs one %s", action, *action == 's' ? "TIME" : "DURATION");
        if (!file)
            return ctl_fail (CTL_USAGE, "clock %s: which clock file? (--file FILE or KEFU_CLOCK; daemons follow "
                             "one when started with --clock FILE)", action);
        const char *value = argv [first + 1];
        if (*action == 's') {
            if (kf_clock_time_parse (value, &now, &err))
                return ctl_fail (CTL_USAGE, "clock set: %s", err.text);
            if (kf_clock_file_write (file, now, &err))
                return ctl_fail (CTL_FAILED, "clock set: %s", err.text);
        }
        else {
            int64_t delta;
            bool back = value [0] == '-';
            if (kf_duration_parse (value + back, &delta, &err))
                return ctl_fail (CTL_USAGE, "clock advance: %s", err.text);
            if (kf_clock_file_advance (file, back ? -delta : delta, &now, &err))
                return ctl_fail (CTL_FAILED, "clock advance: %s", err.text);
        }
    }
    else
    if (strcmp (action, "show") != 0 || first + 1 < argc)
        return ctl_fail (CTL_USAGE, "clock: expected show, set TIME or advance DURATION");
    else
    if (file && kf_clock_file_read (file, &now, &err))
        return ctl_fail (CTL_FAILED, "clock: %s", err.text);
    char iso [64];
    if (!file)
        now = zclock_time ();
    kf_time_format (now, 0, iso, sizeof iso);
    if (ctl->json)
        printf ("{\"file\":%s%s%s,\"utc_ms\":\"%" PRId64 "\",\"utc\":\"%s\"}\n", file ? "\"" : "", file ? file : "null",
                file ? "\"" : "", now, iso);
    else
        printf ("%s  %s (%s)\n", iso, file ? file : "real time", file ? "file clock" : "no clock file");
    return 0;
}

const ctl_command_t ctl_clock_command = {
    "clock", "show, set or advance the file clock the daemons follow",
    "clock [show | set TIME | advance DURATION] [--file FILE]\n\n"
    "Daemons started with --clock FILE read the time from FILE; this command moves it for\n"
    "all of them at once, e.g. `kefuctl clock advance 26h`. TIME is ISO 8601 (2026-11-23T09:00Z)\n"
    "or UTC milliseconds; DURATION as 90s, 26h, 3d (back: advance -2h). FILE is --file,\n"
    "else $KEFU_CLOCK, else var/clock. `kefuctl ping` shows each daemon's clock.", s_clock, NULL
};

//  ---- backup --------------------------------------------------------------------------

static int
s_backup (ctl_t *ctl, int argc, char **argv)
{
    int code;
    int first = ctl_options (ctl, &ctl_backup_command, argc, argv, NULL, ctl_no_option, NULL, &code);
    if (first < 0)
        return code;
    for (int i = first; i < argc; i++)
        if (strchr (argv [i], '/') || strchr (argv [i], '.'))
            return ctl_fail (CTL_USAGE, "backup: '%s': the daemons write under cluster/backup_dir and name their "
                             "copies; name daemons only (see kefuctl backup --help)", argv [i]);
    if (!ctl_config (ctl))
        return CTL_FAILED;
    ctl_daemons_t d;
    if (ctl_daemons (ctl, argc - first, argv + first, &d))
        return CTL_USAGE;
    Kf__Reply *replies [CTL_DAEMONS_MAX] = { NULL };
    size_t failed = 0;
    ctl_table_t *table = ctl->json ? NULL : ctl_table_new (3, "DAEMON", "COPY", "BYTES");
    for (size_t i = 0; i < d.count; i++) {
        Kf__Backup backup = KF__BACKUP__INIT;
        Kf__Request request;
        ctl_request_init (ctl, &request);
        request.command_case = KF__REQUEST__COMMAND_BACKUP;
        request.backup = &backup;
        if (request.role != KF__ROLE__ROLE_MANAGER)
            request.role = KF__ROLE__ROLE_OPERATIONS;
        replies [i] = ctl_call (ctl, d.who [i], d.endpoint [i], &request);
        const Kf__BackupDone *done = replies [i] && replies [i]->result_case == KF__REPLY__RESULT_BACKUP
                                   ? replies [i]->backup : NULL;
        failed += done == NULL;
        if (done && ctl->json)
            ctl_print_json (&done->base);
        char bytes [32];
        snprintf (bytes, sizeof bytes, "%" PRIu64, done ? done->bytes : 0);
        if (table)
            ctl_table_row (table, d.who [i], done ? done->path : "failed", done ? bytes : "-");
        kf_codec_free ((ProtobufCMessage **) &replies [i]);
    }
    if (table)
        ctl_table_print (&table, stdout);
    return failed ? CTL_FAILED : 0;
}

const ctl_command_t ctl_backup_command = {
    "backup", "online compact copies of every daemon's store",
    "backup [DAEMON...]\n\nEach daemon (all by default) copies its LMDB store while it runs (mdb_env_copy2,\n"
    "compacting), holding everything acknowledged before the request, into a new directory\n"
    "it names under cluster/backup_dir (default data_dir/backups): <producer>-<UTC time>,\n"
    "e.g. intake@c1-20261202T053000Z, on the daemon's host, with the store's file mode. A\n"
    "manifest.json beside the copy (its producer, epoch and heads, the copy's size and\n"
    "SHA-256) is what kefuctl restore checks. Prints where each copy is; fails when one\n"
    "daemon does not answer or cannot write its copy.\n\n"
    "The copy is made in a thread of the daemon's own: it goes on answering requests and\n"
    "applying events meanwhile, and answers this one when the copy and its manifest are\n"
    "done (one copy at a time). A store of years of cases takes minutes: give kefuctl\n"
    "--timeout 3600000 (ms) to wait for it.", s_backup, NULL
};

//  ---- openapi -------------------------------------------------------------------------

static int
s_openapi (ctl_t *ctl, int argc, char **argv)
{
    int code;
    int first = ctl_options (ctl, &ctl_openapi_command, argc, argv, NULL, ctl_no_option, NULL, &code);
    if (first < 0)
        return code;
    if (first < argc)
        return ctl_fail (CTL_USAGE, "openapi: takes no arguments (see kefuctl openapi --help)");
    char *document = kf_openapi_document ();
    if (!document)
        return ctl_fail (CTL_FAILED, "openapi: out of memory");
    fputs (document, stdout);
    free (document);
    return fflush (stdout) == 0 ? 0 : ctl_fail (CTL_FAILED, "openapi: cannot write: %s", strerror (errno));
}

const ctl_command_t ctl_openapi_command = {
    "openapi", "the HTTP API's OpenAPI 3.0 description, from the protobuf schema",
    "openapi\n\nPrints the OpenAPI 3.0 description of kefu-gateway's API as JSON (a YAML\n"
    "document too): one POST /api/v1/<command> per command, each request and reply\n"
    "schema made from the protobuf descriptors kefu's JSON codec uses, described by the\n"
    ".proto comments. The gateway serves the same at /console/openapi.json.", s_openapi, NULL
};
