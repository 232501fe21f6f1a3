/*  kefuctl restore — put a stopped daemon's store back from a backup, so
    that nothing is numbered twice (issue 17). See kf_restore.h.  */
#include "ctl.h"
#include "kf_restore.h"
#include "bus.pb-c.h"

#include <inttypes.h>
#include <limits.h>
#include <unistd.h>

typedef struct {
    bool force;
    bool without_archive;
} s_restore_t;

static int
s_restore_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl; (void) value;
    if (option == 'f')
        ((s_restore_t *) arg)->force = true;
    if (option == 'w')
        ((s_restore_t *) arg)->without_archive = true;
    return 0;
}

//  How far the running daemons have applied each of the producer's streams
//  of the backup's epoch: into marker->seen. How many did not answer (the
//  first names copied into `silent`).
static size_t
s_seen (ctl_t *ctl, const char *producer, uint64_t epoch, Kf__RestoreMarker *marker, char (*silent) [80],
        size_t silent_max)
{
    char archive [KF_ID_MAX + 16];
    snprintf (archive, sizeof archive, "archive@%s", kf_config_str (ctl->config, "cluster/name"));
    ctl_daemons_t all, others = { 0 };
    if (ctl_daemons (ctl, 0, NULL, &all))
        return 0;
    for (size_t i = 0; i < all.count; i++)
        if (strcmp (all.who [i], producer) != 0) {
            others.who [others.count] = all.who [i];
            others.endpoint [others.count++] = all.endpoint [i];
        }
    Kf__GetBusStatus get = KF__GET_BUS_STATUS__INIT;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_BUS_STATUS;
    request.bus_status = &get;
    Kf__Reply *replies [CTL_DAEMONS_MAX];
    ctl_call_many (ctl, others.count, others.who, others.endpoint, &request, replies);
    size_t unanswered = 0, plen = strlen (producer);
    for (size_t i = 0; i < others.count; i++) {
        const Kf__BusStatus *s = replies [i] && replies [i]->result_case == KF__REPLY__RESULT_BUS_STATUS
                               ? replies [i]->bus_status : NULL;
        if (!s && unanswered < silent_max)
            snprintf (silent [unanswered], sizeof silent [0], "%s", others.who [i]);
        unanswered += s == NULL;
        if (s && strcmp (others.who [i], archive) == 0)
            marker->from_archive = marker->has_from_archive = 1;
        for (size_t c = 0; s && c < s->n_cursors; c++) {
            const Kf__Cursor *cursor = s->cursors [c];
            if (!cursor->stream || strncmp (cursor->stream, producer, plen) != 0 || cursor->stream [plen] != '/'
            ||  cursor->epoch != epoch)
                continue;
            Kf__StreamHead *head = NULL;
            for (size_t h = 0; h < marker->n_seen; h++)
                if (strcmp (marker->seen [h]->stream, cursor->stream) == 0)
                    head = marker->seen [h];
            if (!head) {
                Kf__StreamHead **grown = realloc (marker->seen, (marker->n_seen + 1) * sizeof *grown);
                if (!grown)
                    continue;
                marker->seen = grown;
                if (!(head = calloc (1, sizeof *head)))
                    continue;
                kf__stream_head__init (head);
                head->stream = strdup (cursor->stream);
                head->epoch = epoch;
                head->has_epoch = head->has_head_seq = 1;
                marker->seen [marker->n_seen++] = head;
            }
            if (cursor->last_seq > head->head_seq)
                head->head_seq = cursor->last_seq;
        }
        kf_codec_free ((ProtobufCMessage **) &replies [i]);
    }
    return unanswered;
}

static int
s_restore (ctl_t *ctl, int argc, char **argv)
{
    static const struct option spec [] = {
        { "force", no_argument, NULL, 'f' }, { "without-archive", no_argument, NULL, 'w' }, { NULL, 0, NULL, 0 }
    };
    s_restore_t a = { false, false };
    int code;
    int first = ctl_options (ctl, &ctl_restore_command, argc, argv, spec, s_restore_option, &a, &code);
    if (first < 0)
        return code;
    if (argc - first != 2)
        return ctl_fail (CTL_USAGE, "restore: which daemon, from which backup? (restore DAEMON DIR)");
    if (!ctl_config (ctl))
        return CTL_FAILED;
    ctl_daemons_t d;
    if (ctl_daemons (ctl, 1, argv + first, &d))
        return CTL_USAGE;
    const char *producer = d.who [0];
    char service [KF_ID_MAX + 1], store [PATH_MAX], backup [PATH_MAX];
    snprintf (service, sizeof service, "%.*s", (int) strcspn (producer, "@"), producer);
    //  The store is this host's: a daemon of another site is restored there.
    const char *at = strchr (producer, '@');
    if (!at || strcmp (at + 1, kf_config_str (ctl->config, "cluster/name")) != 0)
        return ctl_fail (CTL_FAILED, "restore: %s runs on its own site's host: restore it there, with that host's "
                         "configuration", producer);
    snprintf (store, sizeof store, "%s/%s", kf_config_str (ctl->config, "cluster/data_dir"), service);
    if (!realpath (argv [first + 1], backup))
        return ctl_fail (CTL_FAILED, "restore: %s: %s", argv [first + 1], strerror (errno));
    kf_err_t err;
    Kf__BackupManifest *manifest = kf_restore_manifest_read (backup, &err);
    if (!manifest)
        return ctl_fail (CTL_FAILED, "restore: %s", err.text);
    if (strcmp (manifest->producer, producer) != 0) {
        ctl_fail (CTL_FAILED, "restore: %s is a backup of %s, not of %s", backup, manifest->producer, producer);
        kf_codec_free ((ProtobufCMessage **) &manifest);
        return CTL_FAILED;
    }
    //  The daemon must be stopped, and stay so while the copy goes in.
    if (mkdir (store, 0750) != 0 && errno != EEXIST) {
        kf_codec_free ((ProtobufCMessage **) &manifest);
        return ctl_fail (CTL_FAILED, "restore: cannot make %s: %s", store, strerror (errno));
    }
    int lock = kf_restore_lock (store, &err);
    if (lock < 0) {
        kf_codec_free ((ProtobufCMessage **) &manifest);
        return ctl_fail (CTL_FAILED, "restore: %s", err.text);
    }
    Kf__RestoreMarker marker = KF__RESTORE_MARKER__INIT;
    marker.producer = (char *) producer;
    marker.epoch = manifest->epoch;
    marker.backup_taken_at_ms = manifest->taken_at_ms;
    marker.restored_at_ms = zclock_time ();
    marker.actor = (char *) ctl->actor;
    marker.backup = backup;
    marker.has_epoch = marker.has_backup_taken_at_ms = marker.has_restored_at_ms = 1;
    char silent [CTL_DAEMONS_MAX][80];   //  who did not answer: copied, their labels are s_seen's
    size_t unanswered = s_seen (ctl, producer, manifest->epoch, &marker, silent, CTL_DAEMONS_MAX);
    if (a.without_archive)
        marker.from_archive = marker.has_from_archive = 0;
    int rc = 0;
    if (unanswered && !a.force)
        rc = ctl_fail (CTL_FAILED, "restore: %s and %zu other daemon%s did not answer: what they applied of %s "
                       "would not be counted and its numbers could be used twice; start them, or --force",
                       silent [0], unanswered - 1, unanswered == 2 ? "" : "s", producer);
    if (rc == 0 && kf_restore_install (backup, store, &marker, &err))
        rc = ctl_fail (CTL_FAILED, "restore: %s", err.text);
    if (rc == 0 && ctl->json)
        ctl_print_json (&marker.base);
    else
    if (rc == 0) {
        ctl_table_t *table = ctl_table_new (4, "STREAM", "BACKUP HEAD", "CLUSTER APPLIED", "LOST AT THE PRODUCER");
        for (size_t h = 0; h < manifest->n_heads; h++) {
            const Kf__StreamHead *head = manifest->heads [h];
            uint64_t seen = 0;
            for (size_t s = 0; s < marker.n_seen; s++)
                if (strcmp (marker.seen [s]->stream, head->stream) == 0)
                    seen = marker.seen [s]->head_seq;
            char a1 [24], a2 [24], a3 [24];
            snprintf (a1, sizeof a1, "%" PRIu64, head->head_seq);
            snprintf (a2, sizeof a2, "%" PRIu64, seen);
            snprintf (a3, sizeof a3, "%" PRIu64, seen > head->head_seq ? seen - head->head_seq : 0);
            ctl_table_row (table, head->stream, a1, a2, a3);
        }
        ctl_table_print (&table, stdout);
        printf ("installed %s into %s (the store it replaced is kept beside it); at its next start %s %s"
                "continues in a new epoch and numbers nothing twice\n", backup, store, producer,
                marker.from_archive ? "takes back from the archive the events it published after the backup, then " : "");
    }
    close (lock);
    for (size_t s = 0; s < marker.n_seen; s++) {
        free (marker.seen [s]->stream);
        free (marker.seen [s]);
    }
    free (marker.seen);
    kf_codec_free ((ProtobufCMessage **) &manifest);
    return rc;
}

const ctl_command_t ctl_restore_command = {
    "restore", "put a stopped daemon's store back from a backup; nothing numbered twice",
    "restore DAEMON DIR [--force] [--without-archive]\n\n"
    "DIR is one daemon's copy from kefuctl backup (DIR/data.mdb and its manifest.json).\n"
    "With the daemon stopped (its store's lock free), restore checks the manifest (the\n"
    "daemon, size and SHA-256), asks every other daemon how far it applied the daemon's\n"
    "streams, keeps the store it replaces (data.mdb.replaced-<time>) and installs the\n"
    "copy. At its next start the daemon first takes back from the archive (kefu-archive)\n"
    "the events it had published after the backup and rebuilds what they made (the\n"
    "tickets filed since reappear), waiting for the archive if it must; then it\n"
    "continues in a new epoch that its consumers follow, says what the cluster had\n"
    "applied that neither the backup nor the archive has, and moves its numbers\n"
    "(tickets, ...) past what those lost events may have used. Without an answer\n"
    "from every other daemon it refuses, unless --force; --without-archive starts it\n"
    "without asking the archive (one that is gone for good).",
    s_restore, NULL
};
