/*  bus_producer — a producer for the bus tests.

    Emits `events` ticket.note_added events into each estate, numbered
    1..events per stream; the note says "<producer>|<estate>|<k>", so a
    consumer's checksum can be recomputed by anyone. Progress is written in
    the same transaction as the events, so after kill -9 it resumes exactly
    where the last commit left it. When done it stays up: heartbeats and
    replays go on until SIGTERM.

        bus_producer --config F --producer NAME --replay ENDPOINT --data DIR
                     --estates E001,E002 --events N [--batch B] [--rate R]
*/
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kf_bus.h"
#include "kf_codec.h"
#include "kf_daemon.h"
#include "bus_effect.h"

typedef struct {
    kf_bus_t *bus;
    const char *name;
    kf_table_t progress;
    char *estates [16];
    int estate_count;
    uint64_t events, batch;
    bool done;
} s_producer_t;

static int
s_produce (kf_txn_t *txn, void *arg)
{
    s_producer_t *self = arg;
    self->done = true;
    for (int i = 0; i < self->estate_count; i++) {
        kf_key_t key;
        kf_key_make (&key, "s", self->estates [i]);
        kf_val_t value;
        uint64_t done = 0;
        if (kf_txn_get (txn, self->progress, &key, &value) == KF_FOUND && value.size == sizeof done)
            memcpy (&done, value.data, sizeof done);
        uint64_t until = done + self->batch < self->events ? done + self->batch : self->events;
        for (uint64_t k = done + 1; k <= until; k++) {
            char note [96];
            bus_effect_note (note, sizeof note, self->name, self->estates [i], k);
            Kf__TicketNoteAdded body = KF__TICKET_NOTE_ADDED__INIT;
            body.ticket_no = "T";
            body.note = note;
            Kf__Envelope event = KF__ENVELOPE__INIT;
            event.estate = self->estates [i];
            event.body_case = KF__ENVELOPE__BODY_TICKET_NOTE_ADDED;
            event.ticket_note_added = &body;
            kf_bus_emit (self->bus, txn, &event);
        }
        kf_txn_put (txn, self->progress, &key, &until, sizeof until);
        if (until < self->events)
            self->done = false;
    }
    return kf_txn_ok (txn) ? 0 : -1;
}

static int
s_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    s_producer_t *self = arg;
    kf_err_t err;
    if (kf_bus_write (self->bus, s_produce, self, &err))
        kf_error ("producing: %s", err.text);
    if (self->done) {
        kf_notice ("all %llu events of each estate produced", (unsigned long long) self->events);
        zloop_timer_end (loop, timer_id);
    }
    return 0;
}

int
main (int argc, char **argv)
{
    const char *producer = NULL, *replay = NULL, *data = NULL, *estates = NULL;
    uint64_t events = 1000, batch = 100, rate = 0;
    //  Our own options first; the common ones go to kf_daemon.
    char *common [8] = { argv [0] };
    int common_count = 1;
    static const struct option options [] = {
        { "config", required_argument, NULL, 'c' }, { "clock", required_argument, NULL, 'k' },
        { "producer", required_argument, NULL, 'p' }, { "replay", required_argument, NULL, 'r' },
        { "data", required_argument, NULL, 'd' }, { "estates", required_argument, NULL, 'e' },
        { "events", required_argument, NULL, 'n' }, { "batch", required_argument, NULL, 'b' },
        { "rate", required_argument, NULL, 'R' }, { NULL, 0, NULL, 0 }
    };
    int c;
    while ((c = getopt_long (argc, argv, "", options, NULL)) != -1) {
        switch (c) {
            case 'c': common [common_count++] = "--config"; common [common_count++] = optarg; break;
            case 'k': common [common_count++] = "--clock"; common [common_count++] = optarg; break;
            case 'p': producer = optarg; break;
            case 'r': replay = optarg; break;
            case 'd': data = optarg; break;
            case 'e': estates = optarg; break;
            case 'n': events = strtoull (optarg, NULL, 10); break;
            case 'b': batch = strtoull (optarg, NULL, 10); break;
            case 'R': rate = strtoull (optarg, NULL, 10); break;
            default: fprintf (stderr, "bus_producer: bad arguments\n"); return 2;
        }
    }
    if (!producer || !replay || !data || !estates || batch == 0) {
        fprintf (stderr, "bus_producer: --producer, --replay, --data and --estates are required\n");
        return 2;
    }
    int status;
    kf_daemon_t *daemon = kf_daemon_new (producer, "bus test producer", common_count, common, &status);
    if (!daemon)
        return status;
    s_producer_t self = { .name = producer, .events = events, .batch = batch };
    char *list = strdup (estates), *save = NULL;
    for (char *e = strtok_r (list, ",", &save); e && self.estate_count < 16; e = strtok_r (NULL, ",", &save))
        self.estates [self.estate_count++] = e;
    const char *tables [] = { KF_BUS_TABLES, "progress", NULL };
    kf_err_t err;
    kf_store_t *store = kf_store_new (data, tables, NULL, &err);
    kf_bus_options_t bus_options = { .producer = producer, .replay_endpoint = replay };
    self.bus = store ? kf_bus_new (kf_daemon_config (daemon), store, kf_daemon_clock (daemon), &bus_options, &err) : NULL;
    if (!self.bus) {
        kf_error ("%s", err.text);
        return 1;
    }
    self.progress = kf_store_table (store, "progress");
    //  Paced: `batch` events per estate every tick; rate 0 means flat out.
    size_t interval = rate ? (size_t) (1000 * batch / rate) : 1;
    zloop_timer (kf_bus_loop (self.bus), interval ? interval : 1, 0, s_on_timer, &self);
    kf_bus_run (self.bus);
    const kf_bus_stats_t *stats = kf_bus_stats (self.bus);
    kf_notice ("published %llu, served %llu, malformed %llu", (unsigned long long) stats->published,
               (unsigned long long) stats->served, (unsigned long long) stats->malformed);
    kf_bus_destroy (&self.bus);
    kf_store_destroy (&store);
    free (list);
    kf_daemon_destroy (&daemon);
    return 0;
}
