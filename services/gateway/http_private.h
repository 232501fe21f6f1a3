/*  http_private — what the gateway's HTTP server's files share (not for
    other programs): the server's state, a connection's, and the helpers
    and handlers each part uses.

    The files, one concern each:
      http.c          answers, libmicrohttpd's callbacks (routes, bodies,
                      early refusals), the loop and the server's life
      http_session.c  who is asking (tokens, sessions, sign-in and out),
                      and the console's files
      http_sign_in.c  a person's sign-in: the account from kefu-dispatch,
                      the password checked in a thread of its own, the
                      lockout's count; sessions' accounts asked after
      http_owner.c    owners' and tenants' sign-in by a one-time code
      http_api.c      commands to the daemons, /metrics, their replies
      http_stream.c   the live stream (Server-Sent Events) and its resume
    (http_guard.c: connections outside their answer; sse_window.c: the
    recent events.)
*/
#ifndef HTTP_PRIVATE_H_INCLUDED
#define HTTP_PRIVATE_H_INCLUDED

#include "http.h"
#include "kf_codec.h"
#include "kf_field.h"
#include "kf_json.h"
#include "kf_log.h"
#include "kf_openapi.h"
#include "kf_scope.h"
#include "http_guard.h"
#include "sse_window.h"
#include "gateway.pb-c.h"
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <sodium.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define S_SERVICES        KF_SERVICE_COUNT
#define S_TICK_MS         50
#define S_SCRAPE_MS       2000
#define S_SESSION_MS      (12 * 3600 * 1000LL)
#define S_SSE_QUEUE_MAX   (1 << 20)    //  bytes a slow live-stream reader may fall behind
#define S_SSE_PING_MS     15000
#define S_SSE_WINDOW      10000        //  recent events a reconnecting stream may resume from
#define S_SSE_WINDOW_BYTES (8 << 20)   //  ... and their packed bytes at most
#define S_FILE_MAX        (4 << 20)
#define S_SESSION_BODY_MAX 4096        //  a sign-in's body: a token, nothing more
#define S_PAYMENT_BODY_MAX 4096        //  a payment callback's body: one Pay
#define S_MHD_RUNS        256          //  MHD_run calls a wake-up at most while MHD has work at once
#define S_READ_BUFFER     (128 << 10)  //  a connection's memory in MHD (it reads half of it at a time)
#define S_SWEEP_MS        200          //  how often connections are looked at for clients gone
#define S_MHD_LOG_PER_S   10           //  libmicrohttpd's lines logged a second at most
#define S_COOKIE          "kefu_session"
#define S_SESSION_ID_MAX  64
#define S_PASSWORD_MAX    128          //  bytes of a password a sign-in may send
#define S_VERIFYING_MAX   16           //  sign-ins whose password is being checked at once; more get 503

typedef enum { C_NEW, C_API, C_SCRAPE, C_STREAM, C_SIGN_IN } http_kind_t;

//  A person's sign-in, while it waits: for the account, for the password's
//  check, for the count.
typedef enum { SIGN_IN_ACCOUNT, SIGN_IN_VERIFY, SIGN_IN_DECOY, SIGN_IN_COUNT } http_sign_in_step_t;

typedef struct {
    http_t *http;
    struct MHD_Connection *connection;
    http_kind_t kind;
    char method [8];
    char path [128];
    const gateway_token_t *token;    //  &who once known
    gateway_token_t who;             //  the caller, copied (no secret): sessions may end while it runs
    char session [S_SESSION_ID_MAX]; //  the session it came by, if one
    char *body;
    size_t body_size, body_cap;
    bool too_large;
    uint64_t id;
    http_socket_t *socket;   //  its connection's record in the guard
    bool close;              //  answer with Connection: close
    const char *allow;       //  a 405's Allow
    bool suspended;
    int64_t deadline_ms;
    //  The answer, once known.
    bool answered;
    int status;
    char *answer;
    const char *content_type;
    char cookie [128];
    //  /metrics: the replies gathered.
    Kf__BusStatus *statuses [S_SERVICES];
    int64_t *open_cases;
    size_t waiting;
    //  The live stream.
    char *kinds;
    char *queue;
    size_t queue_len;
    uint64_t dropped;
    bool ended;              //  its session ended: the stream closes once its queue is sent
    //  A person's sign-in.
    http_sign_in_step_t step;
    char user [KF_ID_MAX + 1];
    char *password;          //  zeroed and freed as soon as it is checked
    uint32_t generation;     //  the account's, as dispatch answered
} http_conn_t;

typedef struct {
    gateway_token_t who;         //  who the session is (a token's copy keeps no secret)
    char user [KF_ID_MAX + 1];   //  the account; empty for a token's session
    uint32_t generation;         //  the account's at sign-in: a newer one ends the session
    int64_t expires_ms;          //  the end of its lifetime ...
    int64_t idle_until_ms;       //  ... or of its idleness, whichever comes first
    int64_t checked_ms;          //  when its account was last asked after
    char check_id [32];          //  that question's request id, while it is out
} http_session_t;

struct _http_t {
    kf_config_t *config;
    gateway_t *gateway;
    kf_clock_t *clock;        //  the cluster's time, for the console
    zloop_t *loop;
    struct MHD_Daemon *daemon;
    zmq_pollitem_t item;
    int timer;
    zsock_t *dealers [S_SERVICES];
    zsock_t *sub;
    zhashx_t *pending;       //  request id -> http_conn_t *
    zlistx_t *streams;       //  http_conn_t * of live streams
    zhashx_t *sessions;      //  cookie -> http_session_t *
    zhashx_t *checks;        //  request id of an account's check -> the session's cookie (a string)
    zactor_t *verifier;      //  checks passwords against hashes, off the loop
    zhashx_t *owner_codes;   //  "<estate>|<unit>|<phone>" -> an owner's code waiting (http_owner.c)
    zhashx_t *owner_rates;   //  "p|<phone>", "u|<estate>|<unit>" -> codes asked for in the hour
    zhashx_t *owner_sends;   //  request id of a send_code -> its code's key
    unsigned char owner_key [32];   //  the codes' hashes' key, random at each start
    int64_t code_life_ms, code_gap_ms;
    unsigned code_attempts, codes_per_hour;
    unsigned wrong_codes;        //  wrong codes since wrong_since_ms (a warning past a count a minute)
    int64_t wrong_since_ms;
    char *decoy_hash;        //  checked for unknown users, so that they take as long
    size_t verifying;        //  sign-ins at the verifier now
    int64_t session_idle_ms, session_lifetime_ms, recheck_ms;
    int64_t last_recheck_ms;
    gateway_metrics_t *metrics;
    http_guard_t *guard;
    sse_window_t *window;     //  the recent events, for Last-Event-ID
    char *openapi;            //  the API's description, made at start from the schema
    int64_t late_logged_ms;   //  when late heads were last logged
    uint64_t late_unlogged;   //  ... and how many since
    uint64_t next_id;
    size_t max_body;
    int64_t log_second;        //  libmicrohttpd's lines: the second being counted,
    uint64_t log_count, log_dropped;   //  ... lines in it, and those not shown
    int64_t timeout_ms;
    int64_t head_timeout_ms;
    int64_t last_sweep_ms;     //  when connections were last looked at for clients gone
    int64_t last_ping_ms;
    const char *console;
    unsigned port;
};



void http_answer (http_conn_t *c, int status, const char *content_type, char *body);

//  An error in the API's one shape: a kf.Reply with its status and error,
//  as JSON (malloc'd).
char *http_reply_json (Kf__ReplyStatus reply_status, const char *format, va_list args);

void http_error (http_conn_t *c, int status, Kf__ReplyStatus reply_status, const char *format, ...);

void http_resume (http_conn_t *c);

void http_suspend (http_conn_t *c);

int64_t http_now (void);

bool http_signed_in (http_conn_t *c);

bool http_operations (http_conn_t *c);

//  Who the connection's caller is (c->token) and, by its session, until
//  when (JSON, malloc'd).
char *http_session_view (http_t *self, http_conn_t *c);

void http_sign_in (http_t *self, http_conn_t *c);

void http_sign_out (http_t *self, http_conn_t *c);

//  A new session for `who` (an account's, or a token's when user is
//  NULL): its cookie on the answer, which is the session's view.
void http_session_open (http_t *self, http_conn_t *c, const gateway_token_t *who, const char *user,
                        uint32_t generation);

//  The session ends: forgotten, and its live streams closed.
void http_session_end (http_t *self, const char *cookie, const char *why);

//  ---- http_sign_in.c ----
//  The verifier's thread and the decoy hash; -1 with a reason.
int http_sign_in_start (http_t *self, kf_err_t *err);
void http_sign_in_stop (http_t *self);

//  A sign-in with a user and password: the first step (the connection
//  waits suspended for the rest).
void http_sign_in_person (http_t *self, http_conn_t *c, const char *user, const char *password);

//  dispatch's reply to a step of a sign-in.
void http_sign_in_reply (http_t *self, http_conn_t *c, const Kf__Reply *reply);

//  dispatch's reply to a session's check: false when the reply was not one.
bool http_sessions_checked (http_t *self, const Kf__Reply *reply);

//  Ask after the accounts of sessions not asked after for recheck_ms.
void http_sessions_check (http_t *self, int64_t now);

//  ---- http_owner.c ----
int http_owner_start (http_t *self, kf_err_t *err);
void http_owner_stop (http_t *self);
//  POST /api/v1/owner_code: a code to the phone, if it is the unit's.
void http_owner_code (http_t *self, http_conn_t *c);
//  POST /api/v1/owner_session: the code, for a session bound to the unit.
void http_owner_session (http_t *self, http_conn_t *c);
//  kefu-notify's reply to a send_code: false when the reply was not one.
bool http_owner_sent (http_t *self, const Kf__Reply *reply);
//  Codes and counts past their time go.
void http_owner_sweep (http_t *self, int64_t now);

//  Send a request to a daemon by service name ("dispatch"), the reply to
//  come back with this id. -1 when it cannot be sent.
int http_send_request (http_t *self, const char *service, Kf__Request *request, const char *request_id);

void http_file (http_t *self, http_conn_t *c, const char *name);

void http_api (http_t *self, http_conn_t *c, const char *command);
//  POST /payments/callback: the payment gateway's signed Pay, recorded by
//  billing as the payment gateway (gateway/payments).
void http_payment (http_t *self, http_conn_t *c);

void http_scrape_done (http_t *self, http_conn_t *c);

void http_metrics (http_t *self, http_conn_t *c);

int http_on_reply (zloop_t *loop, zsock_t *dealer, void *arg);

//  Queue text for a stream. A reader this far behind loses events, and is
//  told so with a resync event before the next one that fits: its
//  EventSource would otherwise move its last id past the gap unknowing.
void http_stream_push (http_conn_t *c, const char *text, size_t size);

enum MHD_Result http_stream (http_t *self, http_conn_t *c);

//  An event from the bus: counted, and sent to each stream that may see it.
int http_on_event (zloop_t *loop, zsock_t *sub, void *arg);

#endif
