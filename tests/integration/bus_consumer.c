/*  bus_consumer — a consumer for the bus tests.

    Its effect, per stream: how many events it applied and a checksum of
    their notes (FNV-1a, summed), kept in its store in the same transaction
    as the cursor. It also checks that each event's number is the next one:
    exactly once and in order, or the test sees "violations".

        bus_consumer --config F --data DIR [--estates E001,E002] [--commands ENDPOINT]
*/
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kf_bus.h"
#include "kf_commands.h"
#include "kf_codec.h"
#include "kf_daemon.h"
#include "bus_effect.h"

static int
s_handle (kf_bus_t *bus, kf_txn_t *txn, const Kf__Envelope *event, void *arg)
{
    (void) bus;
    kf_table_t effects = *(kf_table_t *) arg;
    if (event->body_case != KF__ENVELOPE__BODY_TICKET_NOTE_ADDED || !event->ticket_note_added->note)
        return 0;
    kf_key_t key;
    kf_key_make (&key, "s", event->stream);
    bus_effect_t effect = { 0 };
    kf_val_t value;
    if (kf_txn_get (txn, effects, &key, &value) == KF_FOUND && value.size == sizeof effect)
        memcpy (&effect, value.data, sizeof effect);
    //  The note ends in the event's number: it must be the next one.
    const char *number = strrchr (event->ticket_note_added->note, '|');
    uint64_t k = number ? strtoull (number + 1, NULL, 10) : 0;
    if (k != effect.count + 1) {
        effect.violations++;
        kf_error ("%s: event %llu applied after %llu", event->stream, (unsigned long long) k,
                  (unsigned long long) effect.count);
    }
    effect.count++;
    effect.checksum += bus_effect_hash (event->ticket_note_added->note);
    return kf_txn_put (txn, effects, &key, &effect, sizeof effect);
}

static int
s_no_command (kf_bus_t *bus, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena,
              void *arg)
{
    (void) bus; (void) txn; (void) request; (void) arg;
    return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, arena, "a test consumer: bus status only");
}

int
main (int argc, char **argv)
{
    const char *data = NULL, *estates = NULL, *commands_endpoint = NULL;
    char *common [8] = { argv [0] };
    int common_count = 1;
    static const struct option options [] = {
        { "config", required_argument, NULL, 'c' }, { "clock", required_argument, NULL, 'k' },
        { "data", required_argument, NULL, 'd' }, { "estates", required_argument, NULL, 'e' },
        { "commands", required_argument, NULL, 'm' },
        { NULL, 0, NULL, 0 }
    };
    int c;
    while ((c = getopt_long (argc, argv, "", options, NULL)) != -1) {
        switch (c) {
            case 'c': common [common_count++] = "--config"; common [common_count++] = optarg; break;
            case 'k': common [common_count++] = "--clock"; common [common_count++] = optarg; break;
            case 'd': data = optarg; break;
            case 'e': estates = optarg; break;
            case 'm': commands_endpoint = optarg; break;
            default: fprintf (stderr, "bus_consumer: bad arguments\n"); return 2;
        }
    }
    if (!data) {
        fprintf (stderr, "bus_consumer: --data is required\n");
        return 2;
    }
    int status;
    kf_daemon_t *daemon = kf_daemon_new ("bus_consumer", "bus test consumer", common_count, common, &status);
    if (!daemon)
        return status;
    const char *list [16] = { NULL };
    char *copy = estates ? strdup (estates) : NULL, *save = NULL;
    int n = 0;
    for (char *e = copy ? strtok_r (copy, ",", &save) : NULL; e && n < 15; e = strtok_r (NULL, ",", &save))
        list [n++] = e;
    const char *tables [] = { KF_BUS_TABLES, "effects", NULL };
    kf_err_t err;
    kf_store_t *store = kf_store_new (data, tables, NULL, &err);
    kf_table_t effects = store ? kf_store_table (store, "effects") : 0;
    kf_bus_options_t bus_options = { .estates = estates ? list : NULL, .handler = s_handle, .handler_arg = &effects };
    kf_bus_t *bus = store ? kf_bus_new (kf_daemon_config (daemon), store, kf_daemon_clock (daemon), &bus_options, &err) : NULL;
    if (!bus) {
        kf_error ("%s", err.text);
        return 1;
    }
    //  Its bus status for the tests (kf_commands answers it; nothing else).
    kf_commands_t *commands = commands_endpoint ? kf_commands_new (bus, commands_endpoint, s_no_command, NULL, NULL, &err)
                                                : NULL;
    if (commands_endpoint && !commands) {
        kf_error ("%s", err.text);
        return 1;
    }
    kf_bus_run (bus);
    kf_commands_destroy (&commands);
    const kf_bus_stats_t *stats = kf_bus_stats (bus);
    kf_notice ("applied %llu, duplicates %llu, replayed %llu, malformed %llu, alarms %llu, commits %llu",
               (unsigned long long) stats->applied, (unsigned long long) stats->duplicates,
               (unsigned long long) stats->replayed, (unsigned long long) stats->malformed,
               (unsigned long long) stats->alarms, (unsigned long long) stats->commits);
    kf_bus_destroy (&bus);
    kf_store_destroy (&store);
    free (copy);
    kf_daemon_destroy (&daemon);
    return 0;
}
