/*  kf_test_escalation — escalation's test world for the domain tests: a
    real store and outbox, kefu-escalation's domain code on a test clock,
    events in as kf_bus applies them, requests as kf_commands runs them,
    and the events out as one string. One test binary includes it once:
    it holds the world.
*/
#ifndef KF_TEST_ESCALATION_H_INCLUDED
#define KF_TEST_ESCALATION_H_INCLUDED

#include "../../services/escalation/escalation.h"
#include "kf_commands.h"
#include "kf_field.h"
#include "kf_test.h"
#include "kf_test_world.h"
#include "kf_test_events.h"
#include "kf_time.h"

#define FRIDAY_1750 "2026-09-25 17:50"

static const char *s_config_text =
    "bus\n    publish = ipc://x/in\n    subscribe = ipc://x/out\n"
    "calendars\n    cn\n        holidays = 2026-09-28..2026-10-04\n        makeup_days = 2026-09-26\n"
    "estates\n"
    "    E001\n        name = one\n        calendar = cn\n"
    "        staff\n"
    "            W01\n                name = Wang\n                department = engineering\n"
    "            F01\n                name = Liu\n                department = customer_service\n"
    "                role = front_desk\n"
    "            S01\n                name = Sun\n                department = customer_service\n"
    "                role = supervisor\n"
    "            S02\n                name = Shi\n                department = engineering\n"
    "                role = supervisor\n"
    "            D01\n                name = Deng\n                department = customer_service\n"
    "                role = manager\n"
    "    E002\n        name = two\n        calendar = cn\n"
    "        sla\n            complaint\n                resolution = 4h\n"
    //  Issue 15: supervisors and managers with rotas, and the named ones.
    "    E003\n        name = three\n        calendar = cn\n"
    "        escalation\n            supervisor = S33\n            deputy_gm = D31\n"
    "        staff\n"
    "            S31\n                name = Day\n                department = customer_service\n"
    "                role = supervisor\n                shifts = \"mon-fri 08:30-18:00\"\n"
    "            S32\n                name = Night\n                department = customer_service\n"
    "                role = supervisor\n                shifts = \"daily 18:00-08:00\"\n"
    "            S33\n                name = Named\n                department = customer_service\n"
    "                role = supervisor\n                shifts = \"mon-fri 08:30-18:00\"\n"
    "            D31\n                name = Deputy\n                department = customer_service\n"
    "                role = manager\n                shifts = \"mon-fri 08:30-18:00\"\n"
    "            D32\n                name = Duty\n                department = customer_service\n"
    "                role = manager\n                on_call = true\n"
    "            D33\n                name = Away\n                department = customer_service\n"
    "                role = manager\n                shifts = \"mon-fri 08:30-18:00\"\n";

typedef struct {
    kf_test_world_t base;    //  config, store, outbox, arena, events
    escalation_t *escalation;
    int64_t now;
    const Kf__Envelope *event;
    const Kf__Request *request;
    Kf__Reply reply;
    int tickets;
    int fired;
} s_world_t;

static s_world_t w;

static inline void
s_describe (const Kf__Envelope *event, char *out, size_t size)
{
    char target [32];
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_SLA_WARNING:
        case KF__ENVELOPE__BODY_SLA_BREACHED: {
            const Kf__SlaAlert *a = event->sla_warning ? event->sla_warning : event->sla_breached;
            snprintf (out, size, "%s(%s%s)", event->body_case == KF__ENVELOPE__BODY_SLA_WARNING ? "warning" : "breached",
                      kf_enum_short_name (&kf__sla_target__descriptor, a->target, target, sizeof target),
                      a->warning_skipped ? ",warning_skipped" : "");
            break;
        }
        case KF__ENVELOPE__BODY_SLA_MET:
            snprintf (out, size, "met(%s,%s)",
                      kf_enum_short_name (&kf__sla_target__descriptor, event->sla_met->target, target, sizeof target),
                      event->sla_met->on_time ? "on_time" : "late");
            break;
        case KF__ENVELOPE__BODY_ESCALATION_RAISED: {
            const Kf__EscalationRaised *r = event->escalation_raised;
            size_t used = (size_t) snprintf (out, size, "level%d(", (int) r->level);
            for (size_t i = 0; i < r->n_notify_staff && used < size; i++)
                used += (size_t) snprintf (out + used, size - used, "%s%s", i ? "," : "", r->notify_staff [i]);
            if (used < size)
                snprintf (out + used, size - used, ")");
            break;
        }
        default:
            kf_codec_event_kind (&event->base, out, size);
    }
}

static inline void
s_start (void)
{
    escalation_destroy (&w.escalation);
    kf_test_world_config (&w.base, s_config_text);
    kf_err_t err;
    w.escalation = escalation_new (w.base.config, &err);
    if (!w.escalation)
        fail_msg ("%s", err.text);
    escalation_set_outbox (w.escalation, w.base.outbox);
}

static inline int
s_setup (void **state)
{
    if (kf_test_dir_setup (state))
        return -1;
    const char *tables [] = { ESCALATION_TABLES, NULL };
    memset (&w, 0, sizeof w);
    kf_test_world_open (&w.base, tables, "escalation@c1", "escalation@c1/E001", s_describe);
    s_start ();
    w.now = kf_test_at (FRIDAY_1750);
    return 0;
}

static inline int
s_teardown (void **state)
{
    escalation_destroy (&w.escalation);
    kf_test_world_close (&w.base);
    return kf_test_dir_teardown (state);
}

//  ---- time --------------------------------------------------------------------------

static inline const char *
s_local (int64_t utc_ms)
{
    static char buf [4][32];
    static int next;
    char *out = buf [next++ % 4];
    int year, month, day;
    int64_t days = kf_local_day (utc_ms, 480);
    int64_t minute = (utc_ms - kf_local_day_start (days, 480)) / KF_MS_PER_MINUTE;
    kf_civil_from_days (days, &year, &month, &day);
    snprintf (out, 32, "%04d-%02d-%02d %02d:%02d", year, month, day, (int) (minute / 60), (int) (minute % 60));
    return out;
}

static inline int
s_fire_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    w.fired = escalation_fire_due (w.escalation, txn, w.now, 100000);
    return w.fired < 0 ? -1 : 0;
}

//  The clock reaches `local`: every timer due by then fires. How many fired.
static inline int
s_at (const char *local)
{
    w.now = kf_test_at (local);
    assert_int_equal (kf_store_write (w.base.store, s_fire_txn, NULL, NULL), 0);
    return w.fired;
}

//  ---- events in ----------------------------------------------------------------------

static inline int
s_event_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    return escalation_apply_event (w.escalation, txn, w.now, w.event);
}

static inline void
s_apply (Kf__Envelope *event)
{
    event->event_id = "0123456789abcdef0123456789abcdef";
    event->occurred_at_ms = w.now;
    event->has_occurred_at_ms = 1;
    if (!event->estate)
        event->estate = "E001";
    w.event = event;
    assert_int_equal (kf_store_write (w.base.store, s_event_txn, NULL, NULL), 0);
}

typedef struct {
    Kf__TicketType type;
    Kf__Category category;
    Kf__Channel channel;
    Kf__Priority priority;
    const char *estate;
} s_case_t;

static inline void
s_filed (s_case_t c, char *ticket_no)
{
    const char *estate = c.estate ? c.estate : "E001";
    sprintf (ticket_no, "%s-20260925-%04d", estate, ++w.tickets);
    Kf__TicketFiled f = KF__TICKET_FILED__INIT;
    f.ticket_no = ticket_no;
    f.unit = "3-2-1502";
    f.type = c.type;
    f.has_type = 1;
    f.category = c.category ? c.category : KF__CATEGORY__CATEGORY_OTHER;
    f.has_category = 1;
    f.channel = c.channel ? c.channel : KF__CHANNEL__CHANNEL_PHONE;
    f.has_channel = 1;
    f.priority = c.priority ? c.priority : KF__PRIORITY__PRIORITY_NORMAL;
    f.has_priority = 1;
    f.filed_by = "F01";
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.estate = (char *) estate;
    event.body_case = KF__ENVELOPE__BODY_TICKET_FILED;
    event.ticket_filed = &f;
    s_apply (&event);
}

static inline void
s_complaint (char *ticket_no)
{
    s_filed ((s_case_t) { .type = KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT, .category = KF__CATEGORY__CATEGORY_NOISE },
             ticket_no);
}

static inline void
s_repair (char *ticket_no)
{
    s_filed ((s_case_t) { .type = KF__TICKET_TYPE__TICKET_TYPE_REPAIR, .category = KF__CATEGORY__CATEGORY_PLUMBING },
             ticket_no);
}

static inline void
s_order_created (const char *ticket_no, Kf__Department department)
{
    char order_no [80];
    snprintf (order_no, sizeof order_no, "%s-W1", ticket_no);
    Kf__OrderCreated o = KF__ORDER_CREATED__INIT;
    o.order_no = order_no;
    o.ticket_no = (char *) ticket_no;
    o.department = department;
    o.has_department = 1;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_ORDER_CREATED;
    event.order_created = &o;
    s_apply (&event);
    Kf__OrderAssigned a = KF__ORDER_ASSIGNED__INIT;
    a.order_no = order_no;
    a.ticket_no = (char *) ticket_no;
    a.staff_id = "W01";
    event.body_case = KF__ENVELOPE__BODY_ORDER_ASSIGNED;
    event.order_assigned = &a;
    s_apply (&event);
}

//  An order event that names only the order and the ticket.
static inline void
s_order (Kf__Envelope__BodyCase what, const char *ticket_no, int n)
{
    char order_no [80];
    snprintf (order_no, sizeof order_no, "%s-W%d", ticket_no, n);
    Kf__OrderAccepted accepted = KF__ORDER_ACCEPTED__INIT;
    Kf__OrderStarted started = KF__ORDER_STARTED__INIT;
    Kf__OrderPaused paused = KF__ORDER_PAUSED__INIT;
    Kf__OrderResumed resumed = KF__ORDER_RESUMED__INIT;
    Kf__OrderCompleted completed = KF__ORDER_COMPLETED__INIT;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = what;
    switch (what) {
        case KF__ENVELOPE__BODY_ORDER_ACCEPTED:
            accepted.order_no = order_no, accepted.ticket_no = (char *) ticket_no;
            event.order_accepted = &accepted;
            break;
        case KF__ENVELOPE__BODY_ORDER_STARTED:
            started.order_no = order_no, started.ticket_no = (char *) ticket_no;
            event.order_started = &started;
            break;
        case KF__ENVELOPE__BODY_ORDER_PAUSED:
            paused.order_no = order_no, paused.ticket_no = (char *) ticket_no;
            paused.reason = KF__PAUSE_REASON__PAUSE_REASON_WAITING_FOR_PARTS;
            paused.has_reason = 1;
            event.order_paused = &paused;
            break;
        case KF__ENVELOPE__BODY_ORDER_RESUMED:
            resumed.order_no = order_no, resumed.ticket_no = (char *) ticket_no;
            event.order_resumed = &resumed;
            break;
        case KF__ENVELOPE__BODY_ORDER_COMPLETED:
            completed.order_no = order_no, completed.ticket_no = (char *) ticket_no;
            event.order_completed = &completed;
            break;
        default:
            fail_msg ("not an order step");
    }
    s_apply (&event);
}

//  A reopening with its cause, as intake writes it since the field came.
static inline void
s_reopened (const char *ticket_no, const char *by, Kf__ReopenCause cause, uint32_t reopen_count)
{
    Kf__TicketReopened reopened = KF__TICKET_REOPENED__INIT;
    reopened.ticket_no = (char *) ticket_no;
    reopened.reopened_by = (char *) by;
    reopened.cause = cause;
    reopened.has_cause = 1;
    reopened.reopen_count = reopen_count;
    reopened.has_reopen_count = 1;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_TICKET_REOPENED;
    event.ticket_reopened = &reopened;
    s_apply (&event);
}

//  A ticket's event; a reopening as producers before its cause wrote it.
static inline void
s_ticket (Kf__Envelope__BodyCase what, const char *ticket_no, const char *by, uint32_t reopen_count)
{
    Kf__TicketClosed closed = KF__TICKET_CLOSED__INIT;
    Kf__TicketReopened reopened = KF__TICKET_REOPENED__INIT;
    Kf__TicketCancelled cancelled = KF__TICKET_CANCELLED__INIT;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = what;
    closed.ticket_no = reopened.ticket_no = cancelled.ticket_no = (char *) ticket_no;
    reopened.reopened_by = (char *) by;
    reopened.reopen_count = reopen_count;
    reopened.has_reopen_count = 1;
    event.ticket_closed = &closed;
    if (what == KF__ENVELOPE__BODY_TICKET_REOPENED)
        event.ticket_reopened = &reopened;
    if (what == KF__ENVELOPE__BODY_TICKET_CANCELLED)
        event.ticket_cancelled = &cancelled;
    s_apply (&event);
}

static inline void
s_unsatisfied (const char *ticket_no)
{
    Kf__VisitUnsatisfied v = KF__VISIT_UNSATISFIED__INIT;
    v.ticket_no = (char *) ticket_no;
    v.visit_id = "V1";
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_VISIT_UNSATISFIED;
    event.visit_unsatisfied = &v;
    s_apply (&event);
}

//  ---- what comes out --------------------------------------------------------------------

//  E001's events since the last call, described.
static inline const char *
s_events (void)
{
    return kf_test_events (&w.base.events);
}

static inline int
s_request_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    kf_test_reply_ok (&w.reply);
    return escalation_handle_request (w.escalation, txn, w.now, w.request, &w.reply, w.base.arena);
}

//  An SLA outcome of September in E001 that is not a kf.SlaMet.
static inline int
s_damage_an_outcome (kf_txn_t *txn, void *arg)
{
    (void) arg;
    kf_key_t key;
    kf_key_make (&key, "s|t|s|u|u", "E001", kf_test_at ("2026-09-15 12:00"), "E001-X", 1, 1);
    return kf_txn_put (txn, kf_store_table (w.base.store, "outcomes"), &key, "\xff\xff\xff", 3);
}

static inline Kf__ReplyStatus
s_do (Kf__Request *request, const char *scope)
{
    kf_arena_reset (w.base.arena);
    request->scope = (char *) scope;
    w.request = request;
    kf_store_write (w.base.store, s_request_txn, NULL, NULL);
    return w.reply.status;
}

static inline const Kf__SlaCase *
s_case (const char *ticket_no)
{
    Kf__ShowSla show = KF__SHOW_SLA__INIT;
    show.ticket_no = (char *) ticket_no;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_SHOW_SLA;
    request.show_sla = &show;
    if (s_do (&request, NULL) != KF__REPLY_STATUS__REPLY_STATUS_OK)
        fail_msg ("show %s: %s", ticket_no, w.reply.error);
    return w.reply.sla_case;
}

static inline const Kf__SlaClock *
s_clock (const char *ticket_no, Kf__SlaTarget target)
{
    const Kf__SlaCase *c = s_case (ticket_no);
    for (size_t i = 0; i < c->n_clocks; i++)
        if (c->clocks [i]->target == target)
            return c->clocks [i];
    return NULL;
}

//  Local time of a target's deadline, or "none" when the case has no such target.
static inline const char *
s_due (const char *ticket_no, Kf__SlaTarget target)
{
    const Kf__SlaClock *k = s_clock (ticket_no, target);
    return k ? s_local (k->deadline_ms) : "none";
}

#define FIRST    KF__SLA_TARGET__SLA_TARGET_FIRST_RESPONSE
#define ON_SITE  KF__SLA_TARGET__SLA_TARGET_ON_SITE
#define RESOLVED KF__SLA_TARGET__SLA_TARGET_RESOLUTION

#endif
