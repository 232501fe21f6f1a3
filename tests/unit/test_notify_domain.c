/*  Unit tests: kefu-notify's deliveries over a real store and outbox,
    without sockets or providers. The people as their events announce
    them; an event becomes one delivery per person and channel, once, even
    replayed; quiet hours hold a resident's notice but not an emergency's;
    the rate limit holds the eleventh message of an hour; a provider's
    answers move a delivery through its states, to an alarm when it gives
    up; what was in flight at a stop is asked about (a webhook) or raised
    as uncertain (email), never simply sent again; an opt-out is kept as
    suppressed; nobody of another estate is told; the configuration's
    mistakes are refused naming the key.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "../../services/notify/notify_private.h"
#include "kf_commands.h"
#include "kf_field.h"
#include "kf_openapi.h"
#include "kf_test.h"
#include "kf_test_world.h"
#include "kf_test_events.h"

#define S_CHANNELS \
    "notify\n    staff_channels = \"webhook, email\"\n    retry_first = 1m\n    retry_for = 1h\n" \
    "    email\n        url = smtp://127.0.0.1:2525\n        from = kefu@example.com\n" \
    "    webhook\n        url = http://127.0.0.1:8080/hook\n        secret = a-secret-of-some-length\n"

static const char *s_config_text =
    "bus\n    publish = ipc://x/in\n    subscribe = ipc://x/out\n"
    S_CHANNELS
    "estates\n"
    "    E001\n        name = one\n"
    "    E002\n        name = two\n"
    "        notify\n            language = en\n"
    "            templates\n                ticket_closed\n"
    "                    en = \"Done: {ticket_no} ({resolution})\"\n";

typedef struct {
    kf_test_world_t base;    //  config, store, outbox, arena, events
    notify_t *notify;
    int64_t now;
    const Kf__Envelope *event;
    const Kf__Request *request;
    Kf__Reply reply;
    uint64_t seq;
    //  For the claim and the answers.
    zmsg_t *claimed;
    int count;
    const char *id;
    notify_result_t result;
} s_world_t;

static s_world_t w;

static int
s_setup (void **state)
{
    if (kf_test_dir_setup (state))
        return -1;
    const char *tables [] = { NOTIFY_TABLES, NULL };
    memset (&w, 0, sizeof w);
    kf_err_t err;
    kf_test_world_config (&w.base, s_config_text);
    kf_test_world_open (&w.base, tables, "notify@c1", "notify@c1/E001", NULL);
    w.notify = notify_new (w.base.config, &err);
    if (!w.notify)
        fail_msg ("%s", err.text);
    notify_set_outbox (w.notify, w.base.outbox);
    w.now = kf_test_at ("2026-12-01 09:00");
    return 0;
}

static int
s_teardown (void **state)
{
    zmsg_destroy (&w.claimed);
    notify_destroy (&w.notify);
    kf_test_world_close (&w.base);
    return kf_test_dir_teardown (state);
}

//  ---- driving it --------------------------------------------------------------------

static int
s_event_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    return notify_apply_event (w.notify, txn, w.now, w.event);
}

//  An event of another daemon's stream, as the bus hands it over; `id`
//  NULL: a new event id.
static void
s_consume_id (const char *estate, Kf__Envelope *event, const char *id)
{
    static char ids [64][40];
    char *event_id = ids [w.seq % 64];
    if (id)
        snprintf (event_id, 40, "%s", id);
    else
        snprintf (event_id, 40, "%032" PRIx64, w.seq + 1);
    event->estate = (char *) estate;
    event->stream = "other@c1/E001";
    event->event_id = event_id;
    event->seq = ++w.seq;
    event->occurred_at_ms = w.now;
    event->has_occurred_at_ms = 1;
    w.event = event;
    kf_arena_reset (w.base.arena);
    assert_int_equal (kf_store_write (w.base.store, s_event_txn, NULL, NULL), 0);
}

static void
s_consume (const char *estate, Kf__Envelope *event)
{
    s_consume_id (estate, event, NULL);
}

static void
s_staff (const char *estate, const char *id, const char *email)
{
    Kf__Staff staff = KF__STAFF__INIT;
    staff.staff_id = (char *) id;
    staff.estate = (char *) estate;
    staff.name = "Wang";
    staff.email = (char *) email;
    KF_SET (&staff, active, 1);
    Kf__StaffChanged changed = KF__STAFF_CHANGED__INIT;
    changed.staff = &staff;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_STAFF_CHANGED;
    event.staff_changed = &changed;
    s_consume (estate, &event);
}

static void
s_filed (const char *estate, const char *ticket_no, const char *phone, bool emergency)
{
    Kf__TicketFiled t = KF__TICKET_FILED__INIT;
    t.ticket_no = (char *) ticket_no;
    t.unit = "3-2-1502";
    t.reporter_name = "张三";
    t.reporter_phone = (char *) phone;
    KF_SET (&t, type, emergency ? KF__TICKET_TYPE__TICKET_TYPE_EMERGENCY_HELP : KF__TICKET_TYPE__TICKET_TYPE_REPAIR);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_TICKET_FILED;
    event.ticket_filed = &t;
    s_consume (estate, &event);
}

static Kf__OrderAssigned s_assigned_body;
static Kf__Envelope s_assigned_event;

static void
s_assigned (const char *estate, const char *ticket_no, const char *staff, const char *id)
{
    s_assigned_body = (Kf__OrderAssigned) KF__ORDER_ASSIGNED__INIT;
    s_assigned_body.order_no = "E001-20261201-0001-W1";
    s_assigned_body.ticket_no = (char *) ticket_no;
    s_assigned_body.staff_id = (char *) staff;
    s_assigned_event = (Kf__Envelope) KF__ENVELOPE__INIT;
    s_assigned_event.body_case = KF__ENVELOPE__BODY_ORDER_ASSIGNED;
    s_assigned_event.order_assigned = &s_assigned_body;
    s_consume_id (estate, &s_assigned_event, id);
}

static void
s_closed (const char *estate, const char *ticket_no, const char *resolution)
{
    Kf__TicketClosed c = KF__TICKET_CLOSED__INIT;
    c.ticket_no = (char *) ticket_no;
    c.resolution = (char *) resolution;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_TICKET_CLOSED;
    event.ticket_closed = &c;
    s_consume (estate, &event);
}

static void
s_household (const char *estate, const char *unit, const char *phone, Kf__ContactChannel contact)
{
    char *phones [] = { (char *) phone };
    Kf__Person owner = KF__PERSON__INIT, *people [] = { &owner };
    owner.name = "李四";
    owner.phones = phones;
    owner.n_phones = 1;
    KF_SET (&owner, role, KF__PERSON_ROLE__PERSON_ROLE_OWNER);
    KF_SET (&owner, contact, contact);
    Kf__HouseholdFile h = KF__HOUSEHOLD_FILE__INIT;
    h.estate = (char *) estate;
    h.unit = (char *) unit;
    h.people = people;
    h.n_people = 1;
    Kf__HouseholdRegistered hr = KF__HOUSEHOLD_REGISTERED__INIT;
    hr.household = &h;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_HOUSEHOLD_REGISTERED;
    event.household_registered = &hr;
    s_consume (estate, &event);
}

static int
s_request_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    kf_test_reply_ok (&w.reply);
    return notify_handle_request (w.notify, txn, w.now, w.request, &w.reply, w.base.arena);
}

//  As kf_commands runs it: by a supervisor of the estate unless it says.
static Kf__ReplyStatus
s_do (Kf__Request *request, const char *scope, Kf__Role role)
{
    kf_arena_reset (w.base.arena);
    KF_SET (request, role, role ? role : KF__ROLE__ROLE_SUPERVISOR);
    request->actor = "S01";
    request->scope = (char *) scope;
    w.request = request;
    kf_store_write (w.base.store, s_request_txn, NULL, NULL);
    return w.reply.status;
}

//  The estate's log (newest first), as a supervisor of it reads it.
static const Kf__DeliveryList *
s_log (const char *estate, bool alarms)
{
    Kf__ListDeliveries q = KF__LIST_DELIVERIES__INIT;
    q.estate = (char *) estate;
    KF_SET (&q, alarms, alarms);
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_LIST_DELIVERIES;
    request.list_deliveries = &q;
    assert_int_equal (s_do (&request, estate, 0), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.result_case, KF__REPLY__RESULT_DELIVERIES);
    return w.reply.deliveries;
}

static Kf__ReplyStatus
s_resolve (const char *estate, const char *id, bool retry, const char *reason, Kf__Role role)
{
    Kf__ResolveDelivery q = KF__RESOLVE_DELIVERY__INIT;
    q.estate = (char *) estate;
    q.id = (char *) id;
    q.reason = (char *) reason;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = retry ? KF__REQUEST__COMMAND_RETRY_DELIVERY : KF__REQUEST__COMMAND_DISMISS_DELIVERY;
    if (retry)
        request.retry_delivery = &q;
    else
        request.dismiss_delivery = &q;
    return s_do (&request, estate, role);
}

static int
s_claim_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    w.count = notify_claim (w.notify, txn, w.now, 100, w.claimed);
    return w.count < 0 ? -1 : 0;
}

//  What the sender would be handed now: how many.
static int
s_claim (void)
{
    zmsg_destroy (&w.claimed);
    w.claimed = zmsg_new ();
    assert_int_equal (kf_store_write (w.base.store, s_claim_txn, NULL, NULL), 0);
    return w.count;
}

static int
s_record_txn (kf_txn_t *txn, void *arg)
{
    return notify_record (w.notify, txn, w.now, w.id, arg != NULL, &w.result);
}

//  The sender's outcome of a claimed delivery; `probed`: it was a probe.
static void
s_answer_as (const char *id, bool probed, notify_outcome_t outcome, const char *reason)
{
    w.id = id;
    memset (&w.result, 0, sizeof w.result);
    w.result.outcome = outcome;
    snprintf (w.result.reason, sizeof w.result.reason, "%s", reason ? reason : "");
    if (outcome == NOTIFY_SENT)
        snprintf (w.result.reference, sizeof w.result.reference, "ref-1");
    assert_int_equal (kf_store_write (w.base.store, s_record_txn, probed ? &w : NULL, NULL), 0);
}

static void
s_answer (const char *id, notify_outcome_t outcome, const char *reason)
{
    s_answer_as (id, false, outcome, reason);
}

static void
s_answer_probed (const char *id, notify_outcome_t outcome, const char *reason)
{
    s_answer_as (id, true, outcome, reason);
}

static int
s_recover_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    w.count = notify_recover_in_flight (w.notify, txn, w.now);
    return w.count < 0 ? -1 : 0;
}

static const Kf__Delivery *
s_find (const Kf__DeliveryList *list, const char *kind, Kf__NotifyChannel channel)
{
    for (size_t i = 0; i < list->n_deliveries; i++)
        if (strcmp (list->deliveries [i]->kind, kind) == 0 && list->deliveries [i]->channel == channel)
            return list->deliveries [i];
    return NULL;
}

static const Kf__Delivery *
s_of_ticket (const Kf__DeliveryList *list, const char *ticket_no)
{
    for (size_t i = 0; i < list->n_deliveries; i++)
        if (list->deliveries [i]->ticket_no && strcmp (list->deliveries [i]->ticket_no, ticket_no) == 0)
            return list->deliveries [i];
    fail_msg ("no delivery of %s", ticket_no);
    return NULL;
}

#define S_WEBHOOK KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_WEBHOOK
#define S_EMAIL   KF__NOTIFY_CHANNEL__NOTIFY_CHANNEL_EMAIL
#define S_STATUS(name) KF__DELIVERY_STATUS__DELIVERY_STATUS_##name

//  ---- the tests ---------------------------------------------------------------------

//  An assigned order: the technician by webhook and by email, once each,
//  however often the event is replayed; claimed once; sent.
static void
test_an_order_is_told_once_per_channel (void **state)
{
    (void) state;
    s_staff ("E001", "W01", "w01@example.com");
    s_filed ("E001", "E001-20261201-0001", "13800000000", false);
    s_assigned ("E001", "E001-20261201-0001", "W01", "0000000000000000000000000000aaaa");
    s_assigned ("E001", "E001-20261201-0001", "W01", "0000000000000000000000000000aaaa");   //  replayed
    const Kf__DeliveryList *list = s_log ("E001", false);
    assert_int_equal (list->n_deliveries, 2);
    const Kf__Delivery *email = s_find (list, "order.assigned", S_EMAIL);
    assert_non_null (email);
    assert_string_equal (email->recipient->address, "w01@example.com");
    assert_non_null (strstr (email->text, "E001-20261201-0001-W1"));
    assert_int_equal (email->status, S_STATUS (PENDING));
    assert_int_equal (s_claim (), 2);
    assert_int_equal (s_claim (), 0);   //  claimed: never handed over twice
    list = s_log ("E001", false);
    assert_int_equal (list->deliveries [0]->status, S_STATUS (SENDING));
    char id [NOTIFY_ID_SIZE];
    snprintf (id, sizeof id, "%s", s_find (list, "order.assigned", S_WEBHOOK)->id);
    s_answer (id, NOTIFY_SENT, NULL);
    s_answer (id, NOTIFY_SENT, NULL);   //  a second answer changes nothing
    assert_string_equal (kf_test_events (&w.base.events), "notification.sent");
    list = s_log ("E001", false);
    const Kf__Delivery *sent = s_find (list, "order.assigned", S_WEBHOOK);
    assert_int_equal (sent->status, S_STATUS (SENT));
    assert_string_equal (sent->provider_ref, "ref-1");
    assert_int_equal (sent->attempts, 1);
}

//  A resident's notice at night waits for 08:00; an emergency's does not;
//  the estate's own template and language.
static void
test_quiet_hours_hold_notices_but_not_emergencies (void **state)
{
    (void) state;
    w.now = kf_test_at ("2026-12-01 22:30");
    s_filed ("E002", "E002-20261201-0001", "13800000001", false);
    s_filed ("E002", "E002-20261201-0002", "13800000002", true);
    s_closed ("E002", "E002-20261201-0001", "fixed");
    s_closed ("E002", "E002-20261201-0002", "made safe");
    const Kf__DeliveryList *list = s_log ("E002", false);
    assert_int_equal (list->n_deliveries, 2);
    const Kf__Delivery *held = s_of_ticket (list, "E002-20261201-0001");
    const Kf__Delivery *urgent = s_of_ticket (list, "E002-20261201-0002");
    assert_string_equal (held->text, "Done: E002-20261201-0001 (fixed)");
    assert_int_equal (held->next_at_ms, kf_test_at ("2026-12-02 08:00"));
    assert_string_equal (held->reason, "held by the estate's quiet hours");
    assert_true (urgent->urgent);
    assert_int_equal (urgent->next_at_ms, w.now);
    assert_int_equal (s_claim (), 1);
    w.now = kf_test_at ("2026-12-02 07:59");
    assert_int_equal (s_claim (), 0);
    w.now = kf_test_at ("2026-12-02 08:00");
    assert_int_equal (s_claim (), 1);
}

//  notify/rate_per_hour (10): the eleventh message to one phone in a clock
//  hour waits for the next hour.
static void
test_the_rate_limit_holds_the_eleventh (void **state)
{
    (void) state;
    for (int i = 1; i <= 11; i++) {
        char ticket_no [32];
        snprintf (ticket_no, sizeof ticket_no, "E001-20261201-%04d", i);
        s_filed ("E001", ticket_no, "13800000009", false);
        s_closed ("E001", ticket_no, "ok");
    }
    assert_int_equal (s_claim (), 10);
    assert_int_equal (s_claim (), 0);
    const Kf__DeliveryList *list = s_log ("E001", false);
    assert_int_equal (list->n_deliveries, 11);
    const Kf__Delivery *held = NULL;
    for (size_t i = 0; i < list->n_deliveries; i++)
        if (list->deliveries [i]->status == S_STATUS (PENDING))
            held = list->deliveries [i];
    assert_non_null (held);
    assert_string_equal (held->reason, "held by the rate limit (notify/rate_per_hour)");
    assert_int_equal (held->next_at_ms, kf_test_at ("2026-12-01 10:00"));
    w.now = kf_test_at ("2026-12-01 10:00");
    assert_int_equal (s_claim (), 1);
}

//  RETRY backs off (1 min, 2 min, ...) until retry_for, then FAILED: an
//  alarm and notification.failed; a supervisor retries it, a technician may
//  not; dismissed with the reason, the alarm ends.
static void
test_a_delivery_retried_then_given_up (void **state)
{
    (void) state;
    s_staff ("E001", "W02", NULL);
    s_assigned ("E001", "E001-20261201-0005", "W02", NULL);
    assert_int_equal (s_claim (), 1);
    char id [NOTIFY_ID_SIZE];
    snprintf (id, sizeof id, "%s", s_log ("E001", false)->deliveries [0]->id);
    s_answer (id, NOTIFY_RETRY, "the gateway answered HTTP 503");
    const Kf__Delivery *d = s_log ("E001", false)->deliveries [0];
    assert_int_equal (d->status, S_STATUS (PENDING));
    assert_int_equal (d->next_at_ms, w.now + 60000);
    w.now += 60000;
    assert_int_equal (s_claim (), 1);
    s_answer (id, NOTIFY_RETRY, "the gateway answered HTTP 503");
    assert_int_equal (s_log ("E001", false)->deliveries [0]->next_at_ms, w.now + 120000);
    w.now += 2 * 3600000;   //  past retry_for
    assert_int_equal (s_claim (), 1);
    s_answer (id, NOTIFY_RETRY, "the gateway answered HTTP 503");
    const Kf__DeliveryList *alarms = s_log ("E001", true);
    assert_int_equal (alarms->alarms, 1);
    assert_int_equal (alarms->n_deliveries, 1);
    assert_int_equal (alarms->deliveries [0]->status, S_STATUS (FAILED));
    assert_string_equal (alarms->deliveries [0]->reason, "gave up after 3 tries: the gateway answered HTTP 503");
    assert_string_equal (kf_test_events (&w.base.events), "notification.failed");
    assert_int_equal (s_resolve ("E001", id, true, NULL, KF__ROLE__ROLE_TECHNICIAN),
                      KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_int_equal (s_resolve ("E001", id, false, NULL, 0), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_int_equal (s_resolve ("E001", id, true, NULL, 0), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (s_log ("E001", true)->alarms, 0);
    d = s_log ("E001", false)->deliveries [0];
    assert_string_equal (d->reason, "retried by S01 after 3 tries");
    assert_int_equal (d->attempts, 0);   //  its backoff starts again
    assert_int_equal (s_claim (), 1);
    s_answer (id, NOTIFY_FAILED, "the gateway answered HTTP 400");
    assert_int_equal (s_log ("E001", true)->alarms, 1);
    assert_int_equal (s_resolve ("E001", id, false, "the number is gone", 0), KF__REPLY_STATUS__REPLY_STATUS_OK);
    d = s_log ("E001", false)->deliveries [0];
    assert_int_equal (d->status, S_STATUS (DISMISSED));
    assert_string_equal (d->reason, "by S01: the number is gone");
    assert_int_equal (s_log ("E001", true)->alarms, 0);
    //  Nothing left to dismiss.
    assert_int_equal (s_resolve ("E001", id, false, "again", 0), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);
}

//  At a start, what was SENDING: the webhook is asked about at once (a
//  probe, no attempt counted); the email is uncertain, an alarm.
static void
test_in_flight_at_a_stop_is_asked_or_raised (void **state)
{
    (void) state;
    s_staff ("E001", "W03", "w03@example.com");
    s_assigned ("E001", "E001-20261201-0006", "W03", NULL);
    assert_int_equal (s_claim (), 2);
    //  The daemon stops; the store is opened again.
    notify_destroy (&w.notify);
    kf_test_world_close_store (&w.base);
    const char *tables [] = { NOTIFY_TABLES, NULL };
    kf_test_world_open (&w.base, tables, "notify@c1", "notify@c1/E001", NULL);
    kf_err_t err;
    w.notify = notify_new (w.base.config, &err);
    assert_non_null (w.notify);
    notify_set_outbox (w.notify, w.base.outbox);
    assert_int_equal (kf_store_write (w.base.store, s_recover_txn, NULL, NULL), 0);
    assert_int_equal (w.count, 2);
    const Kf__DeliveryList *list = s_log ("E001", false);
    const Kf__Delivery *hook = s_find (list, "order.assigned", S_WEBHOOK);
    assert_int_equal (hook->status, S_STATUS (PENDING));
    assert_true (hook->probe);
    //  Asked a call's time (call_timeout, 20s) after the call began: the
    //  gateway may still be taking it.
    assert_int_equal (hook->next_at_ms, w.now + 20000);
    const Kf__Delivery *email = s_find (list, "order.assigned", S_EMAIL);
    assert_int_equal (email->status, S_STATUS (UNCERTAIN));
    assert_int_equal (s_log ("E001", true)->alarms, 1);
    assert_string_equal (kf_test_events (&w.base.events), "notification.uncertain");
    //  The probe is a call too (counted); ABSENT lets it go.
    assert_int_equal (s_claim (), 0);
    w.now += 20000;
    assert_int_equal (s_claim (), 1);
    list = s_log ("E001", false);
    hook = s_find (list, "order.assigned", S_WEBHOOK);
    assert_int_equal (hook->attempts, 2);
    char id [NOTIFY_ID_SIZE];
    snprintf (id, sizeof id, "%s", hook->id);
    s_answer (id, NOTIFY_ABSENT, NULL);
    hook = s_find (s_log ("E001", false), "order.assigned", S_WEBHOOK);
    assert_false (hook->probe);
    assert_int_equal (s_claim (), 1);
    s_answer (id, NOTIFY_SENT, NULL);
    hook = s_find (s_log ("E001", false), "order.assigned", S_WEBHOOK);
    assert_int_equal (hook->status, S_STATUS (SENT));
    assert_int_equal (hook->attempts, 3);
    //  Nothing is in flight any more.
    assert_int_equal (kf_store_write (w.base.store, s_recover_txn, NULL, NULL), 0);
    assert_int_equal (w.count, 0);
}

//  A resident who asked not to be contacted: kept, suppressed, with the
//  reason; an emergency reaches them all the same.
static void
test_an_opt_out_is_kept_suppressed (void **state)
{
    (void) state;
    s_household ("E001", "3-2-1502", "13800000007", KF__CONTACT_CHANNEL__CONTACT_CHANNEL_NONE);
    s_filed ("E001", "E001-20261201-0007", "13800000007", false);
    s_filed ("E001", "E001-20261201-0008", "13800000007", true);
    s_closed ("E001", "E001-20261201-0007", "ok");
    s_closed ("E001", "E001-20261201-0008", "ok");
    const Kf__DeliveryList *list = s_log ("E001", false);
    assert_int_equal (list->n_deliveries, 2);
    const Kf__Delivery *quiet = s_of_ticket (list, "E001-20261201-0007");
    assert_int_equal (quiet->status, S_STATUS (SUPPRESSED));
    assert_string_equal (quiet->reason, "opted out, or no channel reaches them");
    assert_int_equal (s_of_ticket (list, "E001-20261201-0008")->status, S_STATUS (PENDING));
    assert_int_equal (s_claim (), 1);
}

//  Nobody of another estate is told, and no estate reads another's log.
static void
test_nobody_of_another_estate (void **state)
{
    (void) state;
    s_staff ("E001", "W01", "w01@example.com");
    //  E002's order naming E001's W01, and E001's case closed "in E002".
    s_assigned ("E002", "E002-20261201-0009", "W01", NULL);
    s_filed ("E001", "E001-20261201-0009", "13800000000", false);
    s_closed ("E002", "E001-20261201-0009", "ok");
    assert_int_equal (s_log ("E002", false)->n_deliveries, 0);
    assert_int_equal (s_log ("E001", false)->n_deliveries, 0);
    assert_int_equal (s_claim (), 0);
    Kf__ListDeliveries q = KF__LIST_DELIVERIES__INIT;
    q.estate = "E001";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_LIST_DELIVERIES;
    request.list_deliveries = &q;
    assert_int_equal (s_do (&request, "E002", 0), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    assert_int_equal (s_do (&request, "E001", KF__ROLE__ROLE_TECHNICIAN), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
}

static Kf__ReplyStatus
s_send_code (const char *code, int64_t expires_at_ms, Kf__Role role)
{
    Kf__SendCode q = KF__SEND_CODE__INIT;
    q.estate = "E001";
    q.unit = "3-2-1502";
    q.phone = "13800000021";
    q.code = (char *) code;
    KF_SET (&q, expires_at_ms, expires_at_ms);
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_SEND_CODE;
    request.send_code = &q;
    return s_do (&request, "E001", role ? role : KF__ROLE__ROLE_OPERATIONS);
}

//  The gateway's sign-in code: sent at once even at night, by the group's
//  gateway here (no SMS code template), the code in what the sender gets
//  and never in the log; not sent once it has expired; the gateway's alone.
//  The text of a delivery as the store holds it (not as the log shows it).
static char s_stored_text [512];

static int
s_stored_txn (kf_txn_t *txn, void *arg)
{
    notify_tables (w.notify, txn);
    kf_key_t key;
    kf_key_make (&key, "s", (const char *) arg);
    Kf__Delivery *d = (Kf__Delivery *) kf_txn_find_msg_in (txn, w.notify->deliveries, &key, &kf__delivery__descriptor,
                                                          w.base.arena);
    snprintf (s_stored_text, sizeof s_stored_text, "%s", d && d->text ? d->text : "");
    return 0;
}

static const char *
s_stored (const char *id)
{
    assert_int_equal (kf_store_read (w.base.store, s_stored_txn, (void *) id, NULL), 0);
    return s_stored_text;
}

static void
test_a_sign_in_code (void **state)
{
    (void) state;
    w.now = kf_test_at ("2026-12-01 23:30");
    int64_t expires = w.now + 5 * 60000;
    //  Only to a phone of the unit's owner or tenant, as the register has it.
    assert_int_equal (s_send_code ("123456", expires, 0), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    s_household ("E001", "3-2-1502", "13800000021", KF__CONTACT_CHANNEL__CONTACT_CHANNEL_NONE);
    assert_int_equal (s_send_code ("123456", w.now + 31 * 60000, 0), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_int_equal (s_send_code ("123456", expires, KF__ROLE__ROLE_FRONT_DESK), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_int_equal (s_send_code ("12ab", expires, 0), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_int_equal (s_send_code ("123456", w.now, 0), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_int_equal (s_send_code ("123456", expires, 0), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (w.reply.delivery->text, "(a sign-in code)");
    const Kf__Delivery *d = s_log ("E001", false)->deliveries [0];
    assert_string_equal (d->kind, "sign_in.code");
    assert_string_equal (d->text, "(a sign-in code)");
    assert_true (d->urgent);
    assert_int_equal (d->channel, S_WEBHOOK);
    assert_int_equal (d->next_at_ms, w.now);   //  23:30, quiet hours or not
    assert_int_equal (d->give_up_at_ms, expires);
    assert_int_equal (s_claim (), 1);
    zframe_t *frame = zmsg_last (w.claimed);
    Kf__Delivery *sent = kf__delivery__unpack (NULL, zframe_size (frame), zframe_data (frame));
    assert_non_null (sent);
    assert_non_null (strstr (sent->text, "123456"));
    assert_non_null (strstr (sent->text, "5 分钟"));
    kf__delivery__free_unpacked (sent, NULL);
    //  Sent: the store no longer holds the code; the bus never heard it.
    char id [NOTIFY_ID_SIZE];
    snprintf (id, sizeof id, "%s", d->id);
    assert_non_null (strstr (s_stored (id), "123456"));
    s_answer (id, NOTIFY_SENT, NULL);
    assert_string_equal (s_stored (id), "(a sign-in code)");
    //  A second code, its delivery kept pending past its expiry: never sent.
    assert_int_equal (s_send_code ("654321", w.now + 60000, 0), KF__REPLY_STATUS__REPLY_STATUS_OK);
    w.now += 60000;
    assert_int_equal (s_claim (), 0);
    const Kf__DeliveryList *alarms = s_log ("E001", true);
    assert_int_equal (alarms->n_deliveries, 1);
    assert_string_equal (alarms->deliveries [0]->reason, "the code expired before it could be sent");
    //  ... and never sent again, even by a supervisor.
    snprintf (id, sizeof id, "%s", alarms->deliveries [0]->id);
    assert_int_equal (s_resolve ("E001", id, true, NULL, 0), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);
    //  Not a command of the API.
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name (&kf__request__descriptor,
                                                                                         "send_code");
    assert_false (kf_openapi_served (f));
}

//  Handed to the sender as the daemon stopped, never begun: due again at
//  once, no try counted.
static void
test_an_untried_delivery_goes_at_once (void **state)
{
    (void) state;
    s_staff ("E001", "W06", NULL);
    s_assigned ("E001", "E001-20261201-0013", "W06", NULL);
    assert_int_equal (s_claim (), 1);
    char id [NOTIFY_ID_SIZE];
    snprintf (id, sizeof id, "%s", s_log ("E001", false)->deliveries [0]->id);
    s_answer (id, NOTIFY_UNTRIED, "not attempted: kefu-notify was stopping");
    const Kf__Delivery *d = s_log ("E001", false)->deliveries [0];
    assert_int_equal (d->status, S_STATUS (PENDING));
    assert_int_equal (d->attempts, 0);
    assert_int_equal (d->next_at_ms, w.now);
    assert_int_equal (s_claim (), 1);
    //  A question handed back unasked is still a question: never a POST.
    s_answer (id, NOTIFY_UNKNOWN, "the answer was lost");
    d = s_log ("E001", false)->deliveries [0];
    assert_true (d->probe);
    w.now = d->next_at_ms;
    assert_int_equal (s_claim (), 1);
    s_answer_probed (id, NOTIFY_UNTRIED, "not attempted: kefu-notify was stopping");
    d = s_log ("E001", false)->deliveries [0];
    assert_true (d->probe);
    assert_int_equal (d->next_at_ms, w.now);
}

//  A resident's notice retried into the night waits for the morning; the
//  rate limit's next hour too.
static void
test_quiet_hours_hold_retries_too (void **state)
{
    (void) state;
    w.now = kf_test_at ("2026-12-01 20:59");
    s_filed ("E001", "E001-20261201-0010", "13800000010", false);
    s_closed ("E001", "E001-20261201-0010", "ok");
    assert_int_equal (s_claim (), 1);
    char id [NOTIFY_ID_SIZE];
    snprintf (id, sizeof id, "%s", s_log ("E001", false)->deliveries [0]->id);
    w.now = kf_test_at ("2026-12-01 21:00");
    s_answer (id, NOTIFY_RETRY, "the gateway answered HTTP 503");
    const Kf__Delivery *d = s_log ("E001", false)->deliveries [0];
    assert_int_equal (d->status, S_STATUS (PENDING));
    assert_int_equal (d->next_at_ms, kf_test_at ("2026-12-02 08:00"));
    w.now = kf_test_at ("2026-12-01 21:01");
    assert_int_equal (s_claim (), 0);
}

//  Whatever a provider says goes into the store as one line of whole
//  UTF-8 characters, and the log still reads.
static void
test_a_providers_words_are_made_safe (void **state)
{
    (void) state;
    s_staff ("E001", "W04", NULL);
    s_assigned ("E001", "E001-20261201-0011", "W04", NULL);
    assert_int_equal (s_claim (), 1);
    char id [NOTIFY_ID_SIZE];
    snprintf (id, sizeof id, "%s", s_log ("E001", false)->deliveries [0]->id);
    s_answer (id, NOTIFY_RETRY, "busy\r\nInjected: yes \xe5\x8f");   //  a line end, half a character
    const Kf__Delivery *d = s_log ("E001", false)->deliveries [0];
    assert_string_equal (d->reason, "busy  Injected: yes ");
}

//  What the bus carries of a delivery names who and how, never the
//  address or the message.
static void
s_describe (const Kf__Envelope *event, char *out, size_t size)
{
    char kind [64];
    kf_codec_event_kind (&event->base, kind, sizeof kind);
    const Kf__Delivery *d = event->notification_sent ? event->notification_sent->delivery : NULL;
    snprintf (out, size, "%s:%s:%s:%s", kind, d && d->recipient && d->recipient->address ? "address" : "-",
              d && d->text ? "text" : "-", d && d->recipient && d->recipient->name ? d->recipient->name : "-");
}

static void
test_the_bus_hears_no_address (void **state)
{
    (void) state;
    w.base.events.describe = s_describe;
    s_staff ("E001", "W05", "w05@example.com");
    s_assigned ("E001", "E001-20261201-0012", "W05", NULL);
    assert_int_equal (s_claim (), 2);
    const Kf__DeliveryList *list = s_log ("E001", false);
    char id [NOTIFY_ID_SIZE];
    snprintf (id, sizeof id, "%s", s_find (list, "order.assigned", S_EMAIL)->id);
    s_answer (id, NOTIFY_SENT, NULL);
    assert_string_equal (kf_test_events (&w.base.events), "notification.sent:-:-:Wang");
}

//  A long Chinese subject: RFC 2047 words of at most 75 characters, cut
//  between whole characters, folded, that read back as the subject.
static void
test_an_emails_subject_is_folded (void **state)
{
    (void) state;
    char subject [700] = "";
    for (int i = 0; i < 40; i++)
        strcat (subject, "报修已办结");
    Kf__Recipient r = KF__RECIPIENT__INIT;
    r.address = "a@example.com";
    Kf__Delivery d = KF__DELIVERY__INIT;
    d.id = "0123456789abcdef";
    d.recipient = &r;
    d.subject = subject;
    d.text = "x";
    notify_email_config_t config = { .url = "smtp://h:25", .from = "kefu@example.com" };
    size_t size;
    kf_err_t err;
    char *message = notify_email_message (&config, &d, 0, &size, &err);
    assert_non_null (message);
    char *line = strstr (message, "Subject: ") + 9, decoded [700] = "";
    size_t got = 0;
    while (strncmp (line, "=?UTF-8?B?", 10) == 0) {
        char *end = strstr (line, "?=");
        assert_true (end - line + 2 <= 64);   //  "Subject: " and the first word within 76
        unsigned char part [64];
        size_t n = 0;
        assert_int_equal (sodium_base642bin (part, sizeof part, line + 10, (size_t) (end - line - 10), NULL, &n, NULL,
                                             sodium_base64_VARIANT_ORIGINAL), 0);
        assert_true (kf_utf8_valid ((const char *) part, n));   //  whole characters in each word
        memcpy (decoded + got, part, n);
        got += n;
        line = end + 2;
        if (strncmp (line, "\r\n ", 3) == 0)
            line += 3;
    }
    decoded [got] = 0;
    assert_string_equal (decoded, subject);
    free (message);
    //  Text that is not UTF-8 at all is cut where it falls, within the buffer.
    memset (subject, 0x80, 400);
    subject [400] = 0;
    message = notify_email_message (&config, &d, 0, &size, &err);
    assert_non_null (message);
    free (message);
}

//  ---- the configuration ---------------------------------------------------------------

//  The configuration is refused, by the loader or by notify_new, with a
//  reason holding `needle`.
static void
s_refused (const char *notify_section, const char *needle)
{
    char text [4096];
    snprintf (text, sizeof text, "bus\n    publish = ipc://x/in\n    subscribe = ipc://x/out\n"
              "%sestates\n    E001\n        name = one\n", notify_section);
    kf_err_t err = { 0 };
    kf_config_t *config = kf_config_load_text (text, "test", &err);
    notify_t *notify = config ? notify_new (config, &err) : NULL;
    if (notify)
        fail_msg ("accepted: %s", notify_section);
    if (!strstr (err.text, needle))
        fail_msg ("refused with '%s', not '%s'", err.text, needle);
    assert_null (strchr (err.text, '\n'));
    kf_config_destroy (&config);
}

//  Estates with no templates of their own share the group's, parsed once
//  (a thousand estates' copies were most of kefu-notify's memory); an
//  estate with its own has its own.
static void
test_estates_share_the_groups_templates (void **state)
{
    (void) state;
    kf_err_t err;
    kf_config_t *config = kf_config_load_text (
        "bus\n    publish = ipc://x/in\n    subscribe = ipc://x/out\n"
        "estates\n    A1\n        name = a\n    A2\n        name = b\n"
        "        notify\n            templates\n                ticket_closed\n                    zh = \"好了 {ticket_no}\"\n"
        "    A3\n        name = c\n", "share", &err);
    assert_non_null (config);
    notify_t *notify = notify_new (config, &err);
    assert_non_null (notify);
    const notify_estate_t *a1 = notify_estate (notify, "A1"), *a2 = notify_estate (notify, "A2"),
                          *a3 = notify_estate (notify, "A3");
    assert_ptr_equal (a1->messages, a3->messages);
    assert_ptr_not_equal (a1->messages, a2->messages);
    notify_destroy (&notify);
    kf_config_destroy (&config);
}

static void
test_the_configuration_s_mistakes (void **state)
{
    (void) state;
    s_refused ("notify\n    templates\n        ticket_closed\n            zh = \"{nope}\"\n",
               "notify/templates/ticket_closed/zh");
    s_refused ("notify\n    templates\n        ticket_opened\n            zh = x\n", "ticket_opened");
    s_refused ("notify\n    quiet_hours = 25:00-08:00\n", "notify/quiet_hours");
    s_refused ("notify\n    staff_channels = fax\n", "fax");
    s_refused ("notify\n    webhook\n        url = http://h/x\n        secret = short\n", "notify/webhook/secret");
    s_refused ("notify\n    email\n        url = smtp://h:25\n", "notify/email/from");
    s_refused ("notify\n    email\n        url = ftp://h\n        from = a@b\n", "notify/email/url");
    s_refused ("notify\n    language = fr\n", "notify/language");
    s_refused ("notify\n    email\n        url = smtp://h:25\n        from = a@b\n        user = u\n"
               "        password = p\n        starttls = false\n", "clear text");
    s_refused ("notify\n    templates\n        ticket_closed\n            sms_params = \"{ticket_no}|{nope}\"\n",
               "nope");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_an_order_is_told_once_per_channel, s_setup, s_teardown),
        cmocka_unit_test (test_estates_share_the_groups_templates),
        cmocka_unit_test_setup_teardown (test_quiet_hours_hold_notices_but_not_emergencies, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_the_rate_limit_holds_the_eleventh, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_delivery_retried_then_given_up, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_in_flight_at_a_stop_is_asked_or_raised, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_an_opt_out_is_kept_suppressed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_nobody_of_another_estate, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_an_untried_delivery_goes_at_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_sign_in_code, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_quiet_hours_hold_retries_too, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_providers_words_are_made_safe, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_the_bus_hears_no_address, s_setup, s_teardown),
        cmocka_unit_test (test_an_emails_subject_is_folded),
        cmocka_unit_test (test_the_configuration_s_mistakes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
