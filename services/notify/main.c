/*  kefu-notify — the events that concern a person, told to that person by
    email, signed webhook, SMS or WeChat. See notify.h.

    The wiring: events and commands come through kf_service; a pump on the
    loop claims what is due (committed SENDING first) and hands it to the
    sender's thread (notify_sender.h), whose outcomes come back on a socket
    and are recorded each in a transaction of its own.
*/
#include "notify.h"
#include "notify_sender.h"
#include "kf_service.h"
#include <curl/curl.h>

#define S_PUMP_MS      200     //  how often due deliveries are looked for
//  Deliveries handed to the sender and not yet answered: the one in its
//  call and the next. The sender makes one call at a time, so more would
//  not go faster — only leave more SENDING rows in doubt at a kill -9.
#define S_OUTSTANDING  2

//  An answer of the sender's, until it is recorded.
typedef struct {
    char id [NOTIFY_ID_SIZE];
    bool probed;
    notify_result_t result;
} s_answer_t;

typedef struct {
    notify_t *notify;
    kf_bus_t *bus;
    notify_sender_t *sender;
    size_t outstanding;
    bool stopping;
    //  For the transactions below.
    int64_t now_ms;
    zmsg_t *claimed;
    int done;
    s_answer_t answers [S_OUTSTANDING];
    size_t answer_count;
} s_app_t;

static int
s_on_request (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
              kf_arena_t *arena)
{
    return notify_handle_request (((s_app_t *) app)->notify, txn, now_ms, request, reply, arena);
}

static int
s_on_event (void *app, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    return notify_apply_event (((s_app_t *) app)->notify, txn, now_ms, event);
}

static int
s_due_txn (kf_txn_t *txn, void *arg)
{
    s_app_t *app = arg;
    app->done = notify_next_due (app->notify, txn) <= app->now_ms;
    return 0;
}

//  One transaction: the answers that came recorded, then what is due
//  claimed into the room they left (none while stopping). So in steady
//  state a delivery costs one commit, not two: its claim rides on the
//  commit of the answer before it.
static int
s_settle_txn (kf_txn_t *txn, void *arg)
{
    s_app_t *app = arg;
    for (size_t i = 0; i < app->answer_count; i++) {
        const s_answer_t *a = &app->answers [i];
        if (notify_record (app->notify, txn, app->now_ms, a->id, a->probed, &a->result))
            return -1;
    }
    //  The store may run this again (a map grown): only the last run's
    //  claims are the committed ones.
    zmsg_destroy (&app->claimed);
    if (app->stopping || app->outstanding >= S_OUTSTANDING)
        return 0;
    app->claimed = zmsg_new ();
    if (!app->claimed)
        return kf_txn_fail (txn, "out of memory");
    app->done = notify_claim (app->notify, txn, app->now_ms, S_OUTSTANDING - app->outstanding, app->claimed);
    return app->done < 0 ? -1 : 0;
}

//  What was claimed, committed, handed to the sender — in that order, so
//  that a call is never made for a delivery the store does not show
//  SENDING. A message each ([id][delivery]), so that the sender sees a
//  stop between two. Only what it was given is owed an answer: one it
//  could not be given stays SENDING, for the next start to settle.
static void
s_hand_over (s_app_t *app)
{
    while (app->claimed && zmsg_size (app->claimed) >= 2) {
        zmsg_t *one = zmsg_new ();
        zframe_t *id = zmsg_pop (app->claimed), *delivery = zmsg_pop (app->claimed);
        zmsg_append (one, &id);
        zmsg_append (one, &delivery);
        if (notify_sender_send (app->sender, &one) == 0)
            app->outstanding++;
        else
            kf_warning ("notify: the sender could not be handed a delivery: it waits for the next start");
        zmsg_destroy (&one);
    }
    zmsg_destroy (&app->claimed);
}

//  The pump, for what falls due while the sender is idle.
static int
s_pump (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop, (void) timer_id;
    s_app_t *app = arg;
    if (app->stopping || app->outstanding >= S_OUTSTANDING)
        return 0;
    app->now_ms = kf_clock_now (kf_bus_clock (app->bus));
    kf_err_t err;
    //  Most turns find nothing due: a read says so without a commit.
    if (kf_store_read (kf_bus_store (app->bus), s_due_txn, app, &err) || !app->done)
        return 0;
    app->answer_count = 0;
    if (kf_bus_write (app->bus, s_settle_txn, app, &err)) {
        kf_warning ("notify: claiming due deliveries failed: %s", err.text);
        zmsg_destroy (&app->claimed);
        return 0;
    }
    s_hand_over (app);
    return 0;
}

//  The sender's answers: every one waiting now (at most S_OUTSTANDING),
//  recorded together with the claim of what comes next.
static int
s_on_outcome (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop, (void) reader;
    s_app_t *app = arg;
    zsock_t *sock = notify_sender_sock (app->sender);
    app->answer_count = 0;
    do {
        s_answer_t *a = &app->answers [app->answer_count];
        if (notify_sender_recv (app->sender, a->id, sizeof a->id, &a->probed, &a->result))
            break;
        app->answer_count++;
        if (app->outstanding)
            app->outstanding--;
    } while (app->answer_count < S_OUTSTANDING && (zsock_events (sock) & ZMQ_POLLIN));
    if (!app->answer_count)
        return 0;
    app->now_ms = kf_clock_now (kf_bus_clock (app->bus));
    kf_err_t err;
    //  Not recorded (the disk, say): the rows stay SENDING and the next
    //  start treats them as in flight, which never sends them twice.
    if (kf_bus_write (app->bus, s_settle_txn, app, &err)) {
        kf_warning ("notify: recording %zu answers failed: %s", app->answer_count, err.text);
        zmsg_destroy (&app->claimed);
        return 0;
    }
    s_hand_over (app);
    return 0;
}

//  A stop: the call under way is finished and recorded, what the sender
//  had not begun comes back not attempted and is pending again — so a
//  clean stop leaves nothing SENDING, and no false alarm at the start.
static void
s_on_stop (void *arg, kf_bus_t *bus)
{
    (void) bus;
    s_app_t *app = arg;
    if (!app->sender)
        return;
    app->stopping = true;
    notify_sender_stop (app->sender);
    //  zmq_poll, not zpoller: the signal that stopped the loop also makes
    //  CZMQ's pollers return at once.
    //  The call under way may be two (WeChat's token, then the message):
    //  the unit's TimeoutStopSec (90s) is more than twice the longest
    //  notify/call_timeout (40s), and a bit.
    zmq_pollitem_t item = { zsock_resolve (notify_sender_sock (app->sender)), 0, ZMQ_POLLIN, 0 };
    int64_t deadline = zclock_mono () + 2 * notify_channels (app->notify)->timeout_ms + 2000;
    while (app->outstanding && zclock_mono () < deadline)
        if (zmq_poll (&item, 1, (long) (deadline - zclock_mono ())) > 0 && (item.revents & ZMQ_POLLIN))
            s_on_outcome (NULL, NULL, app);
    if (app->outstanding)
        kf_warning ("notify: %zu deliveries still in flight at the stop", app->outstanding);
}

static int
s_recover_txn (kf_txn_t *txn, void *arg)
{
    s_app_t *app = arg;
    app->done = notify_recover_in_flight (app->notify, txn, app->now_ms);
    return app->done < 0 ? -1 : 0;
}

static int
s_on_start (void *arg, kf_bus_t *bus, kf_err_t *err)
{
    s_app_t *app = arg;
    app->bus = bus;
    notify_set_outbox (app->notify, kf_bus_outbox (bus));
    app->now_ms = kf_clock_now (kf_bus_clock (bus));
    if (kf_bus_write (bus, s_recover_txn, app, err))
        return -1;
    if (app->done > 0)
        kf_warning ("notify: %d deliveries were in flight when kefu-notify stopped", app->done);
    app->sender = notify_sender_new (notify_channels (app->notify));
    if (!app->sender)
        return kf_err_set (err, "cannot start the sender");
    zloop_t *loop = kf_bus_loop (bus);
    if (zloop_reader (loop, notify_sender_sock (app->sender), s_on_outcome, app) == -1
    ||  zloop_timer (loop, S_PUMP_MS, 0, s_pump, app) == -1)
        return kf_err_set (err, "cannot start the pump");
    return 0;
}

int
main (int argc, char **argv)
{
    int status;
    kf_daemon_t *daemon = kf_daemon_new ("kefu-notify",
        "Tells people what concerns them (email, signed webhooks, SMS, WeChat); every delivery\n"
        "kept, retried and never sent twice; answers kefuctl notify on services/notify/endpoint.",
        argc, argv, &status);
    if (!daemon)
        return status;
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        kf_error ("libcurl does not start");
        kf_daemon_destroy (&daemon);
        return 1;
    }
    kf_err_t err;
    s_app_t app = { .notify = notify_new (kf_daemon_config (daemon), &err) };
    if (app.notify) {
        const char *tables [] = { NOTIFY_TABLES, NULL };
        kf_service_options_t options = {
            .service = "notify", .tables = tables, .estates = NULL,
            .on_request = s_on_request, .on_event = s_on_event, .on_start = s_on_start, .on_stop = s_on_stop,
            .app = &app,
        };
        status = kf_service_run (daemon, &options);
    }
    else {
        kf_error ("%s", err.text);
        status = 1;
    }
    notify_sender_destroy (&app.sender);
    notify_destroy (&app.notify);
    curl_global_cleanup ();
    kf_daemon_destroy (&daemon);
    return status;
}
