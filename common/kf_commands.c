/*  kf_commands — request/reply with group commit and nested transactions.  */
#include "kf_commands.h"

#include "kf_backup.h"
#include "kf_codec.h"
#include "kf_domain.h"
#include "kf_field.h"
#include "kf_net.h"
#include "kf_restore.h"
#include "kf_scope.h"
#include "kf_version.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    zmsg_t *routing;            //  the frames before the request
    Kf__Request *request;       //  in the arena; NULL when malformed
    Kf__Reply reply;            //  its result and strings in the arena
    Kf__BusStatus *status;      //  a bus_status result, freed after sending
    Kf__StreamDecision *decision;   //  resolve_stream's, freed after the reply
} s_pending_t;

struct _kf_commands_t {
    kf_bus_t *bus;
    zsock_t *router;
    kf_command_fn *fn;
    void *arg;
    kf_commands_options_t options;
    char *backup_dir;           //  the options' own copy
    kf_commands_stats_t stats;
    kf_arena_t *arena;
    s_pending_t *pending;
    size_t pending_len, pending_size;
    //  The backup being copied (one at a time) and whom to tell when done.
    kf_backup_t *backup;
    zmsg_t *backup_routing;
    char *backup_request_id;
};

int
kf_reply_error (Kf__Reply *reply, Kf__ReplyStatus status, kf_arena_t *arena, const char *format, ...)
{
    kf_err_t err;
    va_list args;
    va_start (args, format);
    kf_err_setv (&err, format, args);
    va_end (args);
    reply->status = status;
    reply->has_status = 1;
    reply->error = kf_arena_strdup (arena, err.text);
    reply->result_case = KF__REPLY__RESULT__NOT_SET;
    return -1;
}

typedef struct {
    kf_commands_t *self;
    s_pending_t *pending;
} s_one_t;

//  Ping, bus status and backup are every service's and write nothing: they
//  are answered outside the batch's transaction, after its commit (a backup
//  then holds what the batch acknowledged).
static bool
s_is_common (const Kf__Request *request)
{
    return request && (request->command_case == KF__REQUEST__COMMAND_PING
                    || request->command_case == KF__REQUEST__COMMAND_BUS_STATUS
                    || request->command_case == KF__REQUEST__COMMAND_BACKUP
                    || request->command_case == KF__REQUEST__COMMAND_RESOLVE_STREAM);
}

//  A backup's directory, named by the daemon and never by the request:
//  backup_dir/<producer>-<UTC time of its clock>, with -2, -3... when a
//  copy of that second exists (a test's clock may stand still).
static int
s_backup_directory (kf_commands_t *self, char *path, size_t size, kf_err_t *err)
{
    const char *root = self->backup_dir;
    if (!root || !*root)
        return kf_err_set (err, "this daemon has no backup directory (cluster/backup_dir)");
    if (mkdir (root, 0750) != 0 && errno != EEXIST)
        return kf_err_set (err, "backup: cannot make %s: %s", root, strerror (errno));
    char absolute [PATH_MAX];
    if (!realpath (root, absolute))
        return kf_err_set (err, "backup: %s: %s", root, strerror (errno));
    time_t seconds = (time_t) (kf_clock_now (kf_bus_clock (self->bus)) / 1000);
    struct tm tm;
    char stamp [32];
    strftime (stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r (&seconds, &tm));
    for (int n = 1; n < 100; n++) {
        int len = n == 1 ? snprintf (path, size, "%s/%s-%s", absolute, kf_bus_name (self->bus), stamp)
                         : snprintf (path, size, "%s/%s-%s-%d", absolute, kf_bus_name (self->bus), stamp, n);
        if (len < 0 || (size_t) len >= size)
            return kf_err_set (err, "backup: %s: the name is too long", absolute);
        if (mkdir (path, 0750) == 0)
            return 0;
        if (errno != EEXIST)
            return kf_err_set (err, "backup: cannot make %s: %s", path, strerror (errno));
    }
    return kf_err_set (err, "backup: 99 copies of %s in one second already", kf_bus_name (self->bus));
}

static int s_on_backup (zloop_t *loop, zsock_t *reader, void *arg);
static void s_backup_done (kf_commands_t *self);

static void
s_handle_common (kf_commands_t *self, s_pending_t *p)
{
    Kf__Reply *reply = &p->reply;
    reply->status = KF__REPLY_STATUS__REPLY_STATUS_OK;
    reply->has_status = 1;
    switch (p->request->command_case) {
        case KF__REQUEST__COMMAND_PING: {
            Kf__Pong *pong = (Kf__Pong *) kf_arena_message (self->arena, &kf__pong__descriptor);
            if (!pong) {
                kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_INTERNAL, self->arena, "out of memory");
                return;
            }
            pong->service = (char *) kf_bus_name (self->bus);
            pong->version = KF_VERSION;
            pong->now_ms = kf_clock_now (kf_bus_clock (self->bus));
            pong->has_now_ms = 1;
            reply->result_case = KF__REPLY__RESULT_PONG;
            reply->pong = pong;
            break;
        }
        case KF__REQUEST__COMMAND_BUS_STATUS:
            p->status = kf_bus_status (self->bus);
            if (!p->status) {
                kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_INTERNAL, self->arena, "out of memory");
                return;
            }
            kf_scope_bus_status (p->status, p->request->scope);
            reply->result_case = KF__REPLY__RESULT_BUS_STATUS;
            reply->bus_status = p->status;
            break;
        case KF__REQUEST__COMMAND_BACKUP: {
            if (p->request->role != KF__ROLE__ROLE_OPERATIONS && p->request->role != KF__ROLE__ROLE_MANAGER) {
                kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN, self->arena,
                                "backups are for operations");
                return;
            }
            if (!kf_scope_is_group (p->request->scope)) {
                kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN, self->arena,
                                "a backup copies every estate's data: the group's operations only, not %s's",
                                p->request->scope);
                return;
            }
            if (p->request->backup->directory && *p->request->backup->directory) {
                kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, self->arena,
                                "backups go under cluster/backup_dir, named by the daemon: send no directory");
                return;
            }
            if (self->backup) {
                kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE, self->arena,
                                "a backup is being copied already, into %s: ask again when it is done",
                                kf_backup_directory (self->backup));
                return;
            }
            char directory [PATH_MAX];
            kf_err_t err = { "" };
            if (s_backup_directory (self, directory, sizeof directory, &err)) {
                kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE, self->arena, "%s", err.text);
                return;
            }
            //  Copied in a thread of its own: the loop goes on, and the
            //  reply goes when the copy is done (s_on_backup).
            self->backup = kf_backup_start (kf_bus_store (self->bus), directory, kf_bus_name (self->bus),
                                            kf_clock_now (kf_bus_clock (self->bus)), &err);
            if (!self->backup) {
                rmdir (directory);
                kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE, self->arena, "%s", err.text);
                return;
            }
            self->backup_routing = p->routing;
            p->routing = NULL;
            self->backup_request_id = p->request->request_id ? strdup (p->request->request_id) : NULL;
            kf_notice ("backup of the store into %s begun by %s", directory,
                       p->request->actor && *p->request->actor ? p->request->actor : "?");
            if (zloop_reader (kf_bus_loop (self->bus), kf_backup_pipe (self->backup), s_on_backup, self)) {
                kf_warning ("backup: cannot watch the copy from the loop: waiting for it here");
                s_backup_done (self);
            }
            break;
        }
        case KF__REQUEST__COMMAND_RESOLVE_STREAM: {
            //  It writes (the cursor and the decision), in a transaction of
            //  its own: the batch's has committed.
            const Kf__ResolveStream *r = p->request->resolve_stream;
            if (p->request->role != KF__ROLE__ROLE_OPERATIONS && p->request->role != KF__ROLE__ROLE_MANAGER) {
                kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN, self->arena,
                                "resolving a stream's alarm is for operations");
                return;
            }
            if (!kf_scope_sees_stream (p->request->scope, r->stream)) {
                kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, self->arena,
                                "no alarmed stream '%s'", r->stream ? r->stream : "");
                return;
            }
            kf_err_t err;
            if (kf_bus_resolve (self->bus, r->stream, r->action, r->to_seq, p->request->actor, r->reason,
                                &p->decision, &err)) {
                kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_CONFLICT, self->arena, "%s", err.text);
                return;
            }
            reply->result_case = KF__REPLY__RESULT_STREAM_DECISION;
            reply->stream_decision = p->decision;
            break;
        }
        default:
            assert (false);
    }
}

static int
s_handle_one (kf_txn_t *txn, void *arg)
{
    s_one_t *one = arg;
    kf_commands_t *self = one->self;
    Kf__Reply *reply = &one->pending->reply;
    return self->fn (self->bus, txn, one->pending->request, reply, self->arena, self->arg);
}

static void
s_reply_init (s_pending_t *p)
{
    kf__reply__init (&p->reply);
    if (p->request && p->request->request_id)
        p->reply.request_id = p->request->request_id;
}

//  The batch: every request in its nested transaction.
static int
s_handle_batch (kf_txn_t *txn, void *arg)
{
    kf_commands_t *self = arg;
    for (size_t i = 0; i < self->pending_len; i++) {
        s_pending_t *p = &self->pending [i];
        if (!p->request || s_is_common (p->request))
            continue;
        //  A redo starts every reply afresh.
        s_reply_init (p);
        p->reply.status = KF__REPLY_STATUS__REPLY_STATUS_OK;
        p->reply.has_status = 1;
        s_one_t one = { self, p };
        kf_err_t err;
        if (kf_txn_nested (txn, s_handle_one, &one, &err) != 0) {
            if (!kf_txn_ok (txn))
                return -1;   //  storage: the whole batch fails
            if (p->reply.status == KF__REPLY_STATUS__REPLY_STATUS_OK)
                kf_reply_error (&p->reply, KF__REPLY_STATUS__REPLY_STATUS_INTERNAL, self->arena, "%s", err.text);
        }
    }
    return 0;
}

static void
s_send (kf_commands_t *self, zmsg_t **routing, const Kf__Reply *reply)
{
    zframe_t *body = zframe_new (NULL, protobuf_c_message_get_packed_size (&reply->base));
    if (!body)
        return;
    protobuf_c_message_pack (&reply->base, zframe_data (body));
    zmsg_append (*routing, &body);
    //  ROUTER drops replies to clients that went away; nothing waits here.
    zmsg_send (routing, self->router);
}

//  A pending request's reply; a backup's goes later (s_on_backup).
static void
s_send_reply (kf_commands_t *self, s_pending_t *p)
{
    if (p->routing)
        s_send (self, &p->routing, &p->reply);
}

//  The backup's copy and manifest are done, or failed (or, at a stop,
//  waited for): its reply, then the backup goes.
static void
s_backup_done (kf_commands_t *self)
{
    Kf__Reply reply = KF__REPLY__INIT;
    Kf__BackupDone done = KF__BACKUP_DONE__INIT;
    reply.request_id = self->backup_request_id;
    uint64_t bytes = 0;
    kf_err_t err;
    if (kf_backup_finish (self->backup, &bytes, &err) == 0) {
        done.path = (char *) kf_backup_directory (self->backup);
        KF_SET (&done, bytes, bytes);
        KF_SET (&reply, status, KF__REPLY_STATUS__REPLY_STATUS_OK);
        reply.result_case = KF__REPLY__RESULT_BACKUP;
        reply.backup = &done;
        kf_notice ("backup of the store written to %s (%" PRIu64 " bytes)", done.path, bytes);
    }
    else {
        KF_SET (&reply, status, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE);
        reply.error = err.text;
        kf_warning ("backup into %s failed: %s", kf_backup_directory (self->backup), err.text);
    }
    s_send (self, &self->backup_routing, &reply);
    kf_backup_destroy (&self->backup);
    zstr_free (&self->backup_request_id);
}

static int
s_on_backup (zloop_t *loop, zsock_t *reader, void *arg)
{
    zloop_reader_end (loop, reader);
    s_backup_done (arg);
    return 0;
}

//  What the key that sent a request lets it do (DESIGN.md §7): an estate
//  server's key acts for its own estates only, so its requests must be
//  scoped to one of them, and it takes no group-wide copy of a store. 0,
//  or -1 with the reason.
static int
s_key_allows (const kf_key_identity_t *key, const Kf__Request *request, kf_err_t *err)
{
    if (!key)
        return kf_err_set (err, "this key is no longer admitted, or has no kefu identity");
    if (key->role != KF_KEY_ESTATE)
        return 0;
    if (!request->scope || !*request->scope || !kf_keys_for_estate (key, request->scope))
        return kf_err_set (err, "key %s acts for its estates only: scope the request to one of them", key->name);
    if (request->command_case == KF__REQUEST__COMMAND_BACKUP
    ||  request->command_case == KF__REQUEST__COMMAND_RESOLVE_STREAM
    ||  request->command_case == KF__REQUEST__COMMAND_BUS_STATUS)
        return kf_err_set (err, "key %s may not copy a store, read or resolve the bus's streams: the cluster's "
                           "and operations' work", key->name);
    return 0;
}

//  An owner's request (DESIGN.md §7): bound to one estate and one unit,
//  and only for the commands an owner has (kf_owner_may). 0, or -1 with
//  the reason.
static int
s_owner_allows (const Kf__Request *request, kf_err_t *err)
{
    if (request->role != KF__ROLE__ROLE_OWNER)
        return 0;
    if (!request->scope || !*request->scope || !request->unit || !kf_unit_valid (request->unit))
        return kf_err_set (err, "an owner's request is bound to an estate and a unit");
    if (!kf_owner_may (request->command_case))
        return kf_err_set (err, "an owner may not do that: only their own cases, visits, evaluation and statement");
    return 0;
}

static int
s_on_requests (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    kf_commands_t *self = arg;
    int64_t deadline = zclock_usecs () + (int64_t) self->options.batch_ms * 1000;
    while (self->pending_len < self->options.batch_max && zclock_usecs () < deadline) {
        zmsg_t *msg = zmsg_recv_nowait (reader);
        if (!msg)
            break;
        if (self->pending_len == self->pending_size) {
            size_t size = self->pending_size ? self->pending_size * 2 : 64;
            s_pending_t *grown = realloc (self->pending, size * sizeof *grown);
            if (!grown) {
                zmsg_destroy (&msg);
                break;
            }
            self->pending = grown;
            self->pending_size = size;
        }
        s_pending_t *p = &self->pending [self->pending_len++];
        memset (p, 0, sizeof *p);
        zframe_t *body = zmsg_last (msg);
        kf_err_t err = { "" };
        if (zmsg_size (msg) >= 2)
            p->request = (Kf__Request *) kf_codec_unpack_in (self->arena, &kf__request__descriptor,
                                                             zframe_data (body), zframe_size (body), &err);
        else
            kf_err_set (&err, "a request is one frame after the routing frames");
        //  Whose key sent it (ZAP's User-Id on the frame); looked up now,
        //  before the frame goes.
        const kf_key_identity_t *key = kf_net_sender (kf_bus_net (self->bus), body ? zframe_meta (body, "User-Id") : NULL);
        zmsg_remove (msg, body);
        zframe_destroy (&body);
        p->routing = msg;
        s_reply_init (p);
        if (!p->request) {
            self->stats.malformed++;
            kf_reply_error (&p->reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, self->arena,
                            "malformed request: %s", err.text);
        }
        else
        if (kf_codec_validate_command (&p->request->base, &err)) {
            //  Decoded, so the reply names the request; no handler sees it.
            kf_reply_error (&p->reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, self->arena, "%s", err.text);
            p->request = NULL;
        }
        else
        if (s_key_allows (key, p->request, &err) || s_owner_allows (p->request, &err)) {
            kf_reply_error (&p->reply, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN, self->arena, "%s", err.text);
            p->request = NULL;
        }
    }
    if (self->pending_len == 0)
        return 0;
    size_t writers = 0;
    for (size_t i = 0; i < self->pending_len; i++)
        writers += self->pending [i].request && !s_is_common (self->pending [i].request);
    kf_err_t err;
    if (writers == 0)
        ;   //  nothing for a transaction: no commit to wait for
    else
    if (kf_bus_write (self->bus, s_handle_batch, self, &err) == 0)
        self->stats.batches++;
    else {
        self->stats.failed++;
        kf_error ("a batch of %zu requests failed: %s", self->pending_len, err.text);
        for (size_t i = 0; i < self->pending_len; i++)
            if (self->pending [i].request && !s_is_common (self->pending [i].request)) {
                s_reply_init (&self->pending [i]);
                kf_reply_error (&self->pending [i].reply, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE, self->arena,
                                "nothing was written: %s", err.text);
            }
    }
    //  Committed (or not at all): now the replies.
    for (size_t i = 0; i < self->pending_len; i++) {
        s_pending_t *p = &self->pending [i];
        if (s_is_common (p->request))
            s_handle_common (self, p);
        self->stats.requests += p->request != NULL;
        s_send_reply (self, p);
        zmsg_destroy (&p->routing);
        kf_codec_free ((ProtobufCMessage **) &p->status);
        kf_codec_free ((ProtobufCMessage **) &p->decision);
    }
    self->pending_len = 0;
    kf_arena_reset (self->arena);
    return 0;
}

kf_commands_t *
kf_commands_new (kf_bus_t *bus, const char *endpoint, kf_command_fn *fn, void *arg,
                 const kf_commands_options_t *options, kf_err_t *err)
{
    assert (bus && endpoint && fn);
    kf_commands_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->bus = bus;
    self->fn = fn;
    self->arg = arg;
    self->options.batch_max = options && options->batch_max ? options->batch_max : 1000;
    self->options.batch_ms = options && options->batch_ms ? options->batch_ms : 2;
    self->backup_dir = options && options->backup_dir ? strdup (options->backup_dir) : NULL;
    self->options.backup_dir = self->backup_dir;
    self->router = zsock_new (ZMQ_ROUTER);
    self->arena = kf_arena_new ();
    if (!self->router || !self->arena) {
        kf_err_set (err, "out of memory or sockets");
        kf_commands_destroy (&self);
        return NULL;
    }
    zsock_set_sndhwm (self->router, 100000);
    zsock_set_rcvhwm (self->router, 100000);
    if (kf_net_bind (kf_bus_net (bus), self->router, endpoint, err)) {
        kf_commands_destroy (&self);
        return NULL;
    }
    zloop_reader (kf_bus_loop (bus), self->router, s_on_requests, self);
    zloop_reader_set_tolerant (kf_bus_loop (bus), self->router);
    return self;
}

void
kf_commands_destroy (kf_commands_t **self_p)
{
    assert (self_p);
    kf_commands_t *self = *self_p;
    if (self) {
        if (self->router)
            zloop_reader_end (kf_bus_loop (self->bus), self->router);
        if (self->backup) {
            //  A copy under way is waited for (no half copy is left behind)
            //  and answered, the socket still there.
            zloop_reader_end (kf_bus_loop (self->bus), kf_backup_pipe (self->backup));
            kf_notice ("backup: waiting for the copy into %s to end", kf_backup_directory (self->backup));
            s_backup_done (self);
        }
        zsock_destroy (&self->router);
        for (size_t i = 0; i < self->pending_len; i++)
            zmsg_destroy (&self->pending [i].routing);
        zmsg_destroy (&self->backup_routing);
        zstr_free (&self->backup_request_id);
        free (self->pending);
        kf_arena_destroy (&self->arena);
        free (self->backup_dir);
        free (self);
        *self_p = NULL;
    }
}

const kf_commands_stats_t *
kf_commands_stats (kf_commands_t *self)
{
    assert (self);
    return &self->stats;
}
