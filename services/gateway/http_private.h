/*  http_private — what the gateway's HTTP server's files share (not for
    other programs): the server's state, a connection's, and the helpers
    and handlers each part uses.

    The files, one concern each:
      http.c          answers, libmicrohttpd's callbacks (routes, bodies,
                      early refusals), the loop and the server's life
      http_session.c  who is asking (tokens, sessions, sign-in and out),
                      and the console's files
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
#define S_MHD_RUNS        256          //  MHD_run calls a wake-up at most while MHD has work at once
#define S_READ_BUFFER     (128 << 10)  //  a connection's memory in MHD (it reads half of it at a time)
#define S_SWEEP_MS        200          //  how often connections are looked at for clients gone
#define S_MHD_LOG_PER_S   10           //  libmicrohttpd's lines logged a second at most
#define S_COOKIE          "kefu_session"

typedef enum { C_NEW, C_API, C_SCRAPE, C_STREAM } http_kind_t;

typedef struct {
    http_t *http;
    struct MHD_Connection *connection;
    http_kind_t kind;
    char method [8];
    char path [128];
    const gateway_token_t *token;
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
} http_conn_t;

typedef struct {
    const gateway_token_t *token;
    int64_t expires_ms;
} http_session_t;

struct _http_t {
    kf_config_t *config;
    gateway_t *gateway;
    zloop_t *loop;
    struct MHD_Daemon *daemon;
    zmq_pollitem_t item;
    int timer;
    zsock_t *dealers [S_SERVICES];
    zsock_t *sub;
    zhashx_t *pending;       //  request id -> http_conn_t *
    zlistx_t *streams;       //  http_conn_t * of live streams
    zhashx_t *sessions;      //  cookie -> http_session_t *
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

char *http_session_view (http_t *self, const gateway_token_t *token);

void http_sign_in (http_t *self, http_conn_t *c);

void http_sign_out (http_t *self, http_conn_t *c);

void http_file (http_t *self, http_conn_t *c, const char *name);

void http_api (http_t *self, http_conn_t *c, const char *command);

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
