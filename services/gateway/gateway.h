/*  gateway — what the HTTP gateway decides, without sockets (DESIGN.md §6,
    §7; issue 9): tokens and who they are, which daemon answers a command,
    how a JSON body becomes a kf.Request and a kf.Reply an HTTP answer,
    which live events a caller may see, and the /metrics text.

    The API is one route per command: POST /api/v1/<command>, the body the
    JSON of that command's message (the field of kf.Request's oneof, e.g.
    file_ticket: a kf.FileTicket), the answer the JSON of the reply's
    result. Errors are the JSON of the kf.Reply (status and error, and a
    result that explains, such as an import's rejected lines).
*/
#ifndef GATEWAY_H_INCLUDED
#define GATEWAY_H_INCLUDED

#include "kf_codec.h"
#include "kf_config.h"
#include "commands.pb-c.h"
#include "envelope.pb-c.h"
#include "bus.pb-c.h"

#define GATEWAY_SECRET_MIN 16
#define GATEWAY_SECRET_MAX 200
#define GATEWAY_UNIT_MAX   26     //  building-unit-room, 8 characters a part (kf_unit_valid)
#define GATEWAY_PHONE_MAX  21     //  an optional + and 20 digits (kf_phone_valid)

typedef struct {
    char name [KF_ID_MAX + 1];       //  what logs show
    char secret [GATEWAY_SECRET_MAX + 1];
    size_t secret_len;
    char estate [KF_ID_MAX + 1];     //  empty: the whole group
    Kf__Role role;
    char staff [KF_ID_MAX + 1];      //  the actor of its requests
    //  An owner's (ROLE_OWNER, signed in by a code): their one unit of
    //  `estate`, and the phone the code went to.
    char unit [GATEWAY_UNIT_MAX + 1];
    char phone [GATEWAY_PHONE_MAX + 1];
} gateway_token_t;

typedef struct _gateway_t gateway_t;

//  Fails with a reason naming the token when one is unusable (a short
//  secret, an unknown estate, two tokens with one secret).
gateway_t *gateway_new (kf_config_t *config, kf_err_t *err);
void gateway_destroy (gateway_t **self_p);

size_t gateway_token_count (const gateway_t *self);

//  The payment gateway's identity (gateway/payments): its secret signs
//  each callback, within *tolerance_ms of the clock; NULL when none is
//  configured.
const gateway_token_t *gateway_payments (const gateway_t *self, int64_t *tolerance_ms);

//  The token whose secret this is, or NULL. Every token is compared, each
//  in time that depends only on the lengths, so the answer's timing tells
//  nothing of any secret.
const gateway_token_t *gateway_authenticate (const gateway_t *self, const char *secret);

//  The daemons a command may go to, and the one it goes to ("intake",
//  ...); NULL when the gateway does not pass it on. Ping, bus status and
//  backup are every daemon's: `service` names one (a ?service= argument).
const char *gateway_service (const ProtobufCFieldDescriptor *command, const char *service);

//  A request from a command name, a JSON body and a token. On error,
//  *http_status and `error` say why (404 unknown command, 400 bad JSON,
//  403 a role that may not). An owner's request is bound to their unit:
//  only an owner's commands (kf_owner_may), the command's estate and unit
//  theirs (filled in when left out, 403 when another's), a filing theirs
//  from the owners' page. Free the request with kf_codec_free.
Kf__Request *gateway_request (const gateway_token_t *token, const char *command, const char *service,
                              const char *body, size_t size, const char **to, int *http_status, kf_err_t *err);

//  The HTTP status of a reply's status.
int gateway_http_status (Kf__ReplyStatus status);

//  The body of an answer (malloc'd JSON): the result on success, the
//  whole reply (status, error, and any result) on failure.
char *gateway_reply_json (const Kf__Reply *reply, int *http_status);

//  Whether a live event is for this caller: its estate within the token's,
//  and its kind starting with one of `kinds` (comma-separated prefixes;
//  NULL or empty: all).
bool gateway_event_visible (const gateway_token_t *token, const char *estate, const char *kind, const char *kinds);

//  ---- /metrics -----------------------------------------------------------------------------
typedef struct _gateway_metrics_t gateway_metrics_t;

gateway_metrics_t *gateway_metrics_new (void);
void gateway_metrics_destroy (gateway_metrics_t **self_p);
//  One event seen on the bus.
void gateway_metrics_event (gateway_metrics_t *self, const char *estate, const char *kind);
//  The bus's own counters (_sys/bus), the last heard.
void gateway_metrics_bus (gateway_metrics_t *self, const Kf__BusCounters *counters);
//  The gateway's own connections: open now, and since it started those
//  closed for a late request head, those closed idle (kept alive past
//  idle_timeout), and requests answered 503 over max_connections.
void gateway_metrics_http (gateway_metrics_t *self, uint64_t open, uint64_t late_heads, uint64_t idle_closed,
                           uint64_t over_cap);
//  The text for Prometheus, for a caller of `scope` (an estate, or empty
//  for the group): events, alerts and open cases per estate (-1: unknown),
//  and for each daemon that answered its status (NULL: down) its lag per
//  stream and the producers it hears, each only of the scope's estates;
//  for the group also each daemon's outbox, totals and commit histogram,
//  and the bus's counters, which add up every estate's work.
char *gateway_metrics_text (gateway_metrics_t *self, const char *scope, const char *const *services,
                            Kf__BusStatus *const *statuses, size_t service_count, const char *const *estates,
                            const int64_t *open_cases, size_t estate_count);

#endif
