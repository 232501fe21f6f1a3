/*  kf_commands — a service's command endpoint (ROUTER): kf.Request in,
    kf.Reply out (DESIGN.md §2, group commit).

    Requests waiting on the socket (up to batch_max, or batch_ms) are
    handled in one write transaction, each in a nested transaction of its
    own: a request that fails is undone alone, the others commit together.
    Replies are sent only after the commit, so an acknowledged request is
    on disk. A storage failure fails the batch: every request of it is
    answered UNAVAILABLE with the reason, and nothing of it was written.
    A frame that is not a Request is answered BAD_REQUEST, and so is a
    Request with a control character in any of its strings: every command
    of every service is refused a newline in a name before its handler
    sees it (kf_codec_validate_command).

    Clients may be DEALER or REQ: whatever frames come before the request
    (identity, empty delimiter) go back before the reply.
*/
#ifndef KF_COMMANDS_H_INCLUDED
#define KF_COMMANDS_H_INCLUDED

#include "kf_bus.h"
#include "kf_codec.h"
#include "commands.pb-c.h"

typedef struct _kf_commands_t kf_commands_t;

//  Handle one request inside txn (nested: its own). Fill reply: status,
//  error and result, allocating the result from `arena` (it lives until the
//  reply is sent). Return 0 to keep the request's writes, or -1 (having set
//  the reply's status and error) to undo them. Emit events with
//  kf_bus_emit: they are sent after the commit like the replies.
typedef int (kf_command_fn) (kf_bus_t *bus, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
                             kf_arena_t *arena, void *arg);

typedef struct {
    size_t batch_max;   //  requests per transaction (default 1000)
    int batch_ms;       //  ... or this long gathering them (default 2)
    const char *backup_dir;   //  where backups go, each named by the daemon (NULL: none are taken)
} kf_commands_options_t;

typedef struct {
    uint64_t requests;   //  requests handled
    uint64_t batches;    //  write transactions they took
    uint64_t malformed;  //  frames that were not requests
    uint64_t failed;     //  batches that failed to commit
} kf_commands_stats_t;

//  Bind `endpoint` (CURVE applies to tcp://) and serve it on the bus's loop.
kf_commands_t *kf_commands_new (kf_bus_t *bus, const char *endpoint, kf_command_fn *fn, void *arg,
                                const kf_commands_options_t *options, kf_err_t *err);
void kf_commands_destroy (kf_commands_t **self_p);

const kf_commands_stats_t *kf_commands_stats (kf_commands_t *self);

//  Set a reply's status and one-line error (printf-style); returns -1, so a
//  handler can `return kf_reply_error (reply, KF__REPLY_STATUS__..., "...")`.
//  It clears the result; a handler may set one after it when the result
//  explains the refusal (an import's rejected lines).
int kf_reply_error (Kf__Reply *reply, Kf__ReplyStatus status, kf_arena_t *arena, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

//  The same, for a handler whose reply and arena are called `reply` and
//  `arena`: return KF_BAD ("estate is required").
#define KF_BAD(...) kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, arena, __VA_ARGS__)
#define KF_NOT_FOUND(...) kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, __VA_ARGS__)
#define KF_CONFLICT(...) kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_CONFLICT, arena, __VA_ARGS__)
#define KF_FORBIDDEN(...) kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN, arena, __VA_ARGS__)

#endif
