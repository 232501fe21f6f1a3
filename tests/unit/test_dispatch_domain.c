/*  Unit tests: dispatch's domain logic over a real store and outbox, without
    sockets: routing, rotas (nights, weekends, holidays, make-up days),
    fairness, the order lifecycle, transfers, rectification orders, queues,
    and staff from the configuration against kefuctl's rota changes.

    The calendar: National Day week 2026-10-01..07 is a holiday, Saturday
    2026-10-10 a make-up working day. Monday 2026-11-23 is a plain Monday.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../services/dispatch/dispatch.h"
#include "kf_commands.h"
#include "kf_field.h"
#include "kf_rota.h"
#include "kf_test.h"
#include <sodium.h>
#include "kf_test_world.h"
#include "kf_test_events.h"
#include "kf_time.h"

#define STAFF(id, dept, extra) \
    "            " id "\n                name = \"" id " name\"\n                department = " dept "\n" extra

static const char *s_config_head =
    "bus\n    publish = ipc://x/in\n    subscribe = ipc://x/out\n"
    "calendars\n    cn\n        holidays = 2026-10-01..2026-10-07\n        makeup_days = 2026-10-10\n"
    "estates\n"
    "    E001\n        name = one\n        calendar = cn\n"
    "        staff\n"
    STAFF ("T01", "engineering", "                skills = \"plumbing, water_leak\"\n"
                                 "                shifts = \"mon-fri 08:30-17:30\"\n")
    STAFF ("T02", "engineering", "                skills = \"plumbing, electrical\"\n"
                                 "                shifts = \"mon-fri 08:30-17:30\"\n")
    STAFF ("T03", "engineering", "                shifts = \"mon-fri 08:30-17:30\"\n")
    STAFF ("H01", "engineering", "                shifts = \"hol 09:00-17:00\"\n")
    STAFF ("O01", "engineering", "                skills = \"gas, plumbing\"\n                on_call = true\n")
    STAFF ("S01", "engineering", "                role = supervisor\n                shifts = \"daily 00:00-24:00\"\n")
    STAFF ("C01", "cleaning", "                shifts = \"daily 07:00-19:00\"\n")
    STAFF ("F01", "customer_service", "                role = front_desk\n                shifts = \"mon-fri 08:30-18:00\"\n")
    "    E002\n        name = two\n        calendar = cn\n"
    "        routing\n            greening = \"category:greening, category:pests\"\n";

typedef struct {
    kf_test_world_t base;    //  config, store, outbox, arena, events
    dispatch_t *dispatch;
    int64_t now;
    const Kf__Request *request;
    Kf__Reply reply;
    const Kf__Envelope *event;
    int tickets;
} s_world_t;

static s_world_t w;

static kf_config_t *
s_config (const char *extra)
{
    char text [8192];
    snprintf (text, sizeof text, "%s%s", s_config_head, extra ? extra : "");
    kf_err_t err;
    kf_config_t *config = kf_config_load_text (text, "test", &err);
    if (!config)
        fail_msg ("%s", err.text);
    return config;
}

static int
s_load_txn (kf_txn_t *txn, void *arg)
{
    *(int *) arg = dispatch_load_staff (w.dispatch, txn, w.now);
    return *(int *) arg < 0 ? -1 : 0;
}

//  A (re)start of the daemon over the same store with this configuration.
static int
s_start (kf_config_t *config)
{
    dispatch_destroy (&w.dispatch);
    kf_config_destroy (&w.base.config);
    w.base.config = config;
    kf_err_t err;
    w.dispatch = dispatch_new (w.base.config, &err);
    if (!w.dispatch)
        fail_msg ("%s", err.text);
    dispatch_set_outbox (w.dispatch, w.base.outbox);
    int changed = 0;
    assert_int_equal (kf_store_write (w.base.store, s_load_txn, &changed, NULL), 0);
    return changed;
}

static int
s_setup (void **state)
{
    if (kf_test_dir_setup (state))
        return -1;
    const char *tables [] = { DISPATCH_TABLES, NULL };
    memset (&w, 0, sizeof w);
    kf_test_world_open (&w.base, tables, "dispatch@c1", "dispatch@c1/E001", NULL);
    assert_int_equal (s_start (s_config (NULL)), 8);
    //  Each of E001's eight people is announced (staff.changed), for escalation.
    int announced = 0;
    for (const char *p = kf_test_events (&w.base.events); (p = strstr (p, "staff.changed")); p++)
        announced++;
    assert_int_equal (announced, 8);
    w.now = kf_test_at ("2026-11-23 10:00");   //  a Monday morning
    return 0;
}

static int
s_teardown (void **state)
{
    dispatch_destroy (&w.dispatch);
    kf_test_world_close (&w.base);
    return kf_test_dir_teardown (state);
}

//  ---- driving it ---------------------------------------------------------------------

static int
s_request_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    kf_test_reply_ok (&w.reply);
    //  As kf_commands runs it: a refused request leaves nothing behind.
    return dispatch_handle_request (w.dispatch, txn, w.now, w.request, &w.reply, w.base.arena);
}

static Kf__ReplyStatus
s_do (Kf__Request *request, const char *actor, Kf__Role role)
{
    kf_arena_reset (w.base.arena);
    request->actor = (char *) actor;
    request->role = role;
    request->has_role = 1;
    w.request = request;
    kf_store_write (w.base.store, s_request_txn, NULL, NULL);
    return w.reply.status;
}

static int
s_event_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    return dispatch_apply_event (w.dispatch, txn, w.now, w.event);
}

static void
s_apply (Kf__Envelope *event)
{
    event->event_id = "0123456789abcdef0123456789abcdef";
    event->occurred_at_ms = w.now;
    event->has_occurred_at_ms = 1;
    w.event = event;
    assert_int_equal (kf_store_write (w.base.store, s_event_txn, NULL, NULL), 0);
}

//  ticket.filed for a new ticket of E001 (or `estate`); its number out.
static void
s_filed (const char *estate, Kf__TicketType type, Kf__Category category, Kf__Priority priority, char *ticket_no)
{
    sprintf (ticket_no, "%s-20261123-%04d", estate, ++w.tickets);
    Kf__TicketFiled f = KF__TICKET_FILED__INIT;
    f.ticket_no = ticket_no;
    f.unit = "3-2-1502";
    f.type = type;
    f.has_type = 1;
    f.category = category;
    f.has_category = 1;
    f.priority = priority;
    f.has_priority = 1;
    f.description = "tap drips";
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.estate = (char *) estate;
    event.body_case = KF__ENVELOPE__BODY_TICKET_FILED;
    event.ticket_filed = &f;
    s_apply (&event);
}

static void
s_plumbing (char *ticket_no)
{
    s_filed ("E001", KF__TICKET_TYPE__TICKET_TYPE_REPAIR, KF__CATEGORY__CATEGORY_PLUMBING,
             KF__PRIORITY__PRIORITY_NORMAL, ticket_no);
}

//  The kinds of E001's events since the last call.
static const char *
s_events (void)
{
    return kf_test_events (&w.base.events);
}

static const Kf__Order *
s_show (const char *order_no)
{
    Kf__ShowOrder show = KF__SHOW_ORDER__INIT;
    show.order_no = (char *) order_no;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_SHOW_ORDER;
    request.show_order = &show;
    if (s_do (&request, "boss", KF__ROLE__ROLE_MANAGER) != KF__REPLY_STATUS__REPLY_STATUS_OK)
        fail_msg ("show %s: %s", order_no, w.reply.error);
    return w.reply.order;
}

static const char *
s_assignee (const char *order_no)
{
    static char staff [64];
    const Kf__Order *order = s_show (order_no);
    snprintf (staff, sizeof staff, "%s", order->staff_id ? order->staff_id : "-");
    return staff;
}

static Kf__OrderStatus
s_status (const char *order_no)
{
    return s_show (order_no)->status;
}

//  accept / start / pause / resume / complete by `actor` as `role`.
static Kf__ReplyStatus
s_step (Kf__Request__CommandCase what, const char *order_no, const char *actor, Kf__Role role)
{
    Kf__Request request = KF__REQUEST__INIT;
    Kf__AcceptOrder accept = KF__ACCEPT_ORDER__INIT;
    Kf__StartOrder start = KF__START_ORDER__INIT;
    Kf__PauseOrder pause = KF__PAUSE_ORDER__INIT;
    Kf__ResumeOrder resume = KF__RESUME_ORDER__INIT;
    Kf__CompleteOrder complete = KF__COMPLETE_ORDER__INIT;
    request.command_case = what;
    accept.order_no = start.order_no = pause.order_no = resume.order_no = complete.order_no = (char *) order_no;
    pause.reason = KF__PAUSE_REASON__PAUSE_REASON_WAITING_FOR_PARTS;
    pause.has_reason = 1;
    complete.labour_minutes = 45;
    complete.has_labour_minutes = 1;
    request.accept_order = &accept;   //  one union: any member will do
    switch (what) {
        case KF__REQUEST__COMMAND_START_ORDER: request.start_order = &start; break;
        case KF__REQUEST__COMMAND_PAUSE_ORDER: request.pause_order = &pause; break;
        case KF__REQUEST__COMMAND_RESUME_ORDER: request.resume_order = &resume; break;
        case KF__REQUEST__COMMAND_COMPLETE_ORDER: request.complete_order = &complete; break;
        default: break;
    }
    return s_do (&request, actor, role);
}

#define ACCEPT   KF__REQUEST__COMMAND_ACCEPT_ORDER
#define START    KF__REQUEST__COMMAND_START_ORDER
#define PAUSE    KF__REQUEST__COMMAND_PAUSE_ORDER
#define RESUME   KF__REQUEST__COMMAND_RESUME_ORDER
#define COMPLETE KF__REQUEST__COMMAND_COMPLETE_ORDER
#define TECH     KF__ROLE__ROLE_TECHNICIAN
#define OK       KF__REPLY_STATUS__REPLY_STATUS_OK
#define CONFLICT KF__REPLY_STATUS__REPLY_STATUS_CONFLICT

static int
s_tick_txn (kf_txn_t *txn, void *arg)
{
    *(int *) arg = dispatch_tick (w.dispatch, txn, w.now);
    return *(int *) arg < 0 ? -1 : 0;
}

static int
s_tick (void)
{
    int assigned = -1;
    assert_int_equal (kf_store_write (w.base.store, s_tick_txn, &assigned, NULL), 0);
    return assigned;
}

static uint32_t
s_load_of (const char *staff_id)
{
    Kf__ListStaff list = KF__LIST_STAFF__INIT;
    list.estate = "E001";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_LIST_STAFF;
    request.list_staff = &list;
    assert_int_equal (s_do (&request, "boss", KF__ROLE__ROLE_MANAGER), OK);
    for (size_t i = 0; i < w.reply.staff->n_staff; i++)
        if (strcmp (w.reply.staff->staff [i]->staff_id, staff_id) == 0)
            return w.reply.staff->staff [i]->open_orders;
    fail_msg ("no staff %s", staff_id);
    return 0;
}

//  Exactly one of the ticket's orders is open.
static bool
s_open_order_count_is_one (const char *ticket_no)
{
    Kf__ListOrders list = KF__LIST_ORDERS__INIT;
    list.ticket_no = (char *) ticket_no;
    Kf__PageRequest page = KF__PAGE_REQUEST__INIT;
    page.page_size = 500;
    page.has_page_size = 1;
    list.page = &page;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_LIST_ORDERS;
    request.list_orders = &list;
    assert_int_equal (s_do (&request, "boss", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_OK);
    int open = 0;
    for (size_t i = 0; i < w.reply.orders->n_orders; i++) {
        Kf__OrderStatus status = w.reply.orders->orders [i]->status;
        open += status != KF__ORDER_STATUS__ORDER_STATUS_TRANSFERRED && status != KF__ORDER_STATUS__ORDER_STATUS_COMPLETED
             && status != KF__ORDER_STATUS__ORDER_STATUS_CANCELLED;
    }
    return open == 1;
}

//  ---- routing -------------------------------------------------------------------------

static void
test_routing (void **state)
{
    (void) state;
    const Kf__TicketType repair = KF__TICKET_TYPE__TICKET_TYPE_REPAIR, complaint = KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT;
    static const struct { Kf__Category category; Kf__Department department; } defaults [] = {
        { KF__CATEGORY__CATEGORY_WATER_LEAK, KF__DEPARTMENT__DEPARTMENT_ENGINEERING },
        { KF__CATEGORY__CATEGORY_LIFT, KF__DEPARTMENT__DEPARTMENT_ENGINEERING },
        { KF__CATEGORY__CATEGORY_GAS, KF__DEPARTMENT__DEPARTMENT_ENGINEERING },
        { KF__CATEGORY__CATEGORY_SECURITY_INSTALLATIONS, KF__DEPARTMENT__DEPARTMENT_ENGINEERING },
        { KF__CATEGORY__CATEGORY_CLEANING, KF__DEPARTMENT__DEPARTMENT_CLEANING },
        { KF__CATEGORY__CATEGORY_PESTS, KF__DEPARTMENT__DEPARTMENT_CLEANING },
        { KF__CATEGORY__CATEGORY_NOISE, KF__DEPARTMENT__DEPARTMENT_SECURITY },
        { KF__CATEGORY__CATEGORY_RENOVATION_VIOLATION, KF__DEPARTMENT__DEPARTMENT_SECURITY },
        { KF__CATEGORY__CATEGORY_GREENING, KF__DEPARTMENT__DEPARTMENT_GREENING },
        { KF__CATEGORY__CATEGORY_FEES, KF__DEPARTMENT__DEPARTMENT_CUSTOMER_SERVICE },
        { KF__CATEGORY__CATEGORY_OTHER, KF__DEPARTMENT__DEPARTMENT_CUSTOMER_SERVICE },
    };
    for (size_t i = 0; i < sizeof defaults / sizeof defaults [0]; i++) {
        assert_int_equal (dispatch_route (w.dispatch, "E001", repair, defaults [i].category, NULL, 0), defaults [i].department);
        assert_int_equal (dispatch_route (w.dispatch, "E001", complaint, defaults [i].category, NULL, 0), defaults [i].department);
    }
    //  A type term beats a category term: an enquiry about the lift is customer service's.
    assert_int_equal (dispatch_route (w.dispatch, "E001", KF__TICKET_TYPE__TICKET_TYPE_ENQUIRY, KF__CATEGORY__CATEGORY_LIFT, NULL, 0),
                      KF__DEPARTMENT__DEPARTMENT_CUSTOMER_SERVICE);
    //  A hazard beats both (issue 15): a person trapped is security's, gas is engineering's,
    //  whatever the type and category; the first hazard ticked that is routed decides.
    const Kf__Hazard trapped [] = { KF__HAZARD__HAZARD_NO_POWER, KF__HAZARD__HAZARD_PERSON_TRAPPED };
    const Kf__Hazard gas [] = { KF__HAZARD__HAZARD_GAS_SMELL, KF__HAZARD__HAZARD_SMOKE_OR_FIRE };
    assert_int_equal (dispatch_route (w.dispatch, "E001", KF__TICKET_TYPE__TICKET_TYPE_EMERGENCY_HELP,
                                      KF__CATEGORY__CATEGORY_OTHER, trapped, 2), KF__DEPARTMENT__DEPARTMENT_SECURITY);
    assert_int_equal (dispatch_route (w.dispatch, "E001", KF__TICKET_TYPE__TICKET_TYPE_ENQUIRY,
                                      KF__CATEGORY__CATEGORY_OTHER, gas, 2), KF__DEPARTMENT__DEPARTMENT_ENGINEERING);
    assert_int_equal (dispatch_route (w.dispatch, "E001", KF__TICKET_TYPE__TICKET_TYPE_EMERGENCY_HELP,
                                      KF__CATEGORY__CATEGORY_OTHER, trapped, 1), KF__DEPARTMENT__DEPARTMENT_CUSTOMER_SERVICE);
    //  E002 gives pests to greening; its other departments keep the group's rules.
    assert_int_equal (dispatch_route (w.dispatch, "E002", repair, KF__CATEGORY__CATEGORY_PESTS, NULL, 0), KF__DEPARTMENT__DEPARTMENT_GREENING);
    assert_int_equal (dispatch_route (w.dispatch, "E002", repair, KF__CATEGORY__CATEGORY_CLEANING, NULL, 0), KF__DEPARTMENT__DEPARTMENT_CLEANING);
    assert_int_equal (dispatch_route (w.dispatch, "E002", repair, KF__CATEGORY__CATEGORY_LIFT, NULL, 0), KF__DEPARTMENT__DEPARTMENT_ENGINEERING);
    //  A filed ticket's order goes to the routed department.
    char no [64];
    s_filed ("E001", complaint, KF__CATEGORY__CATEGORY_NOISE, KF__PRIORITY__PRIORITY_NORMAL, no);
    char order_no [80];
    snprintf (order_no, sizeof order_no, "%s-W1", no);
    assert_int_equal (s_show (order_no)->created->department, KF__DEPARTMENT__DEPARTMENT_SECURITY);

    //  Rules that contradict each other stop the daemon with a reason.
    static const struct { const char *extra; const char *reason; } bad [] = {
        { "routing\n    cleaning = \"category:lift\"\n",
          "routing/cleaning: category:lift is routed to both engineering and cleaning" },
        { "routing\n    greening = \"hazard:gas_smell\"\n",
          "routing/greening: hazard:gas_smell is routed to both engineering and greening" },
        { "routing\n    greening = \"channel:phone\"\n", "routing/greening: routing names hazards, types and categories only" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        kf_config_t *config = s_config (bad [i].extra);
        kf_err_t err;
        dispatch_t *dispatch = dispatch_new (config, &err);
        assert_null (dispatch);
        if (!strstr (err.text, bad [i].reason))
            fail_msg ("got '%s', expected '%s'", err.text, bad [i].reason);
        kf_config_destroy (&config);
    }
}

//  ---- rotas -----------------------------------------------------------------------------

static void
test_rota_nights_weekends_holidays_makeup_days (void **state)
{
    (void) state;
    char no [64], order_no [80];
    //  Monday 10:00: the office technicians are on shift.
    s_plumbing (no);
    snprintf (order_no, sizeof order_no, "%s-W1", no);
    assert_string_equal (s_assignee (order_no), "T01");
    assert_string_equal (s_events (), "order.created order.assigned");

    //  Tuesday 03:00: nobody is on shift; a normal case waits in the queue...
    w.now = kf_test_at ("2026-11-24 03:00");
    s_plumbing (no);
    char queued [80];
    snprintf (queued, sizeof queued, "%s-W1", no);
    assert_int_equal (s_status (queued), KF__ORDER_STATUS__ORDER_STATUS_QUEUED);
    assert_string_equal (s_events (), "order.created order.queued");
    //  ... an emergency goes to the on-call technician with the skill.
    s_filed ("E001", KF__TICKET_TYPE__TICKET_TYPE_EMERGENCY_HELP, KF__CATEGORY__CATEGORY_GAS,
             KF__PRIORITY__PRIORITY_EMERGENCY, no);
    snprintf (order_no, sizeof order_no, "%s-W1", no);
    assert_string_equal (s_assignee (order_no), "O01");
    //  The tick does nothing until someone comes on shift, then assigns.
    w.now = kf_test_at ("2026-11-24 08:29");
    assert_int_equal (s_tick (), 0);
    assert_int_equal (s_status (queued), KF__ORDER_STATUS__ORDER_STATUS_QUEUED);
    w.now = kf_test_at ("2026-11-24 08:30");
    assert_int_equal (s_tick (), 1);
    assert_string_equal (s_assignee (queued), "T02");   //  T01 has one already
    assert_int_equal (s_tick (), 0);

    //  Saturday: cleaning works daily; engineering's office staff do not.
    w.now = kf_test_at ("2026-11-28 10:00");
    s_filed ("E001", KF__TICKET_TYPE__TICKET_TYPE_REPAIR, KF__CATEGORY__CATEGORY_CLEANING,
             KF__PRIORITY__PRIORITY_NORMAL, no);
    snprintf (order_no, sizeof order_no, "%s-W1", no);
    assert_string_equal (s_assignee (order_no), "C01");
    s_plumbing (no);
    snprintf (order_no, sizeof order_no, "%s-W1", no);
    assert_int_equal (s_status (order_no), KF__ORDER_STATUS__ORDER_STATUS_QUEUED);

    //  National Day (a Thursday): only the holiday rota.
    w.now = kf_test_at ("2026-10-01 10:00");
    s_plumbing (no);
    snprintf (order_no, sizeof order_no, "%s-W1", no);
    assert_string_equal (s_assignee (order_no), "H01");
    //  The make-up Saturday is worked on Monday's shifts.
    w.now = kf_test_at ("2026-10-10 10:00");
    s_filed ("E001", KF__TICKET_TYPE__TICKET_TYPE_REPAIR, KF__CATEGORY__CATEGORY_ELECTRICAL,
             KF__PRIORITY__PRIORITY_NORMAL, no);
    snprintf (order_no, sizeof order_no, "%s-W1", no);
    assert_string_equal (s_assignee (order_no), "T03");   //  T02 has skills but one order; T03 takes any, none
    //  The supervisor on shift around the clock is never picked by the rules.
    assert_int_equal (s_load_of ("S01"), 0);
}

//  ---- fairness ----------------------------------------------------------------------------

static void
test_fairness (void **state)
{
    (void) state;
    char no [64], orders [7][80];
    const char *expected [] = { "T01", "T02", "T03", "T01", "T02", "T03" };
    for (int i = 0; i < 6; i++) {
        w.now += 1000;
        s_plumbing (no);
        snprintf (orders [i], sizeof orders [i], "%s-W1", no);
        assert_string_equal (s_assignee (orders [i]), expected [i]);
    }
    assert_int_equal (s_load_of ("T01"), 2);
    assert_int_equal (s_load_of ("T02"), 2);
    assert_int_equal (s_load_of ("T03"), 2);
    //  T02 finishes one: the next case is T02's, the lightest load.
    assert_int_equal (s_step (ACCEPT, orders [1], "T02", TECH), OK);
    assert_int_equal (s_step (COMPLETE, orders [1], "T02", TECH), OK);
    assert_int_equal (s_load_of ("T02"), 1);
    w.now += 1000;
    s_plumbing (no);
    snprintf (orders [6], sizeof orders [6], "%s-W1", no);
    assert_string_equal (s_assignee (orders [6]), "T02");
    //  A skill limits: electrical is T02's or T03's (any), never T01's.
    for (int i = 0; i < 4; i++) {
        w.now += 1000;
        s_filed ("E001", KF__TICKET_TYPE__TICKET_TYPE_REPAIR, KF__CATEGORY__CATEGORY_ELECTRICAL,
                 KF__PRIORITY__PRIORITY_NORMAL, no);
        char order_no [80];
        snprintf (order_no, sizeof order_no, "%s-W1", no);
        assert_string_not_equal (s_assignee (order_no), "T01");
    }
    assert_int_equal (s_load_of ("T01"), 2);
    assert_int_equal (s_load_of ("T02"), 4);   //  shared evenly between the two who can
    assert_int_equal (s_load_of ("T03"), 4);
}

//  ---- lifecycle -------------------------------------------------------------------------------

static void
test_lifecycle (void **state)
{
    (void) state;
    char no [64], order_no [80];
    s_plumbing (no);
    snprintf (order_no, sizeof order_no, "%s-W1", no);
    s_events ();
    //  Moves out of order are refused, and change nothing.
    assert_int_equal (s_step (START, order_no, "T01", TECH), CONFLICT);
    assert_non_null (strstr (w.reply.error, "is assigned: only an accepted order can be started"));
    assert_int_equal (s_step (RESUME, order_no, "T01", TECH), CONFLICT);
    assert_int_equal (s_step (COMPLETE, order_no, "T01", TECH), CONFLICT);
    //  Only the assignee among technicians.
    assert_int_equal (s_step (ACCEPT, order_no, "T02", TECH), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_non_null (strstr (w.reply.error, "assigned to T01, not to T02"));
    assert_string_equal (s_events (), "");
    assert_int_equal (s_status (order_no), KF__ORDER_STATUS__ORDER_STATUS_ASSIGNED);

    assert_int_equal (s_step (ACCEPT, order_no, "T01", TECH), OK);
    assert_int_equal (s_step (ACCEPT, order_no, "T01", TECH), CONFLICT);
    assert_int_equal (s_step (START, order_no, "T01", TECH), OK);
    assert_int_equal (s_step (PAUSE, order_no, "T01", TECH), OK);
    assert_int_equal (w.reply.order->paused_for, KF__PAUSE_REASON__PAUSE_REASON_WAITING_FOR_PARTS);
    assert_int_equal (s_step (COMPLETE, order_no, "T01", TECH), CONFLICT);
    assert_non_null (strstr (w.reply.error, "resume it first"));
    assert_int_equal (s_step (RESUME, order_no, "T01", TECH), OK);
    assert_int_equal (w.reply.order->status, KF__ORDER_STATUS__ORDER_STATUS_STARTED);
    //  A paid service needs its amount; a free one may not have one.
    Kf__CompleteOrder complete = KF__COMPLETE_ORDER__INIT;
    complete.order_no = order_no;
    complete.paid_service = 1;
    complete.has_paid_service = 1;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = COMPLETE;
    request.complete_order = &complete;
    assert_int_equal (s_do (&request, "T01", TECH), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    complete.paid_service = 0;
    complete.amount_fen = 500;
    complete.has_amount_fen = 1;
    assert_int_equal (s_do (&request, "T01", TECH), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    Kf__Material washer = KF__MATERIAL__INIT, *materials [] = { &washer };
    washer.name = "washer";
    washer.quantity = 2;
    washer.has_quantity = 1;
    washer.unit_price_fen = 150;
    washer.has_unit_price_fen = 1;
    complete.materials = materials;
    complete.n_materials = 1;
    complete.paid_service = 1;
    complete.amount_fen = 3500;   //  ¥35.00
    assert_int_equal (s_do (&request, "T01", TECH), OK);
    const Kf__Order *done = w.reply.order;
    assert_int_equal (done->status, KF__ORDER_STATUS__ORDER_STATUS_COMPLETED);
    assert_int_equal (done->completion->amount_fen, 3500);
    assert_string_equal (done->completion->unit, "3-2-1502");
    assert_int_equal (done->completion->department, KF__DEPARTMENT__DEPARTMENT_ENGINEERING);
    assert_int_equal (s_load_of ("T01"), 0);
    assert_string_equal (s_events (), "order.accepted order.started order.paused order.resumed order.completed");
    //  Nothing moves a completed order; its history is all there.
    assert_int_equal (s_step (ACCEPT, order_no, "T01", TECH), CONFLICT);
    const Kf__Order *shown = s_show (order_no);
    assert_int_equal (shown->n_history, 7);
    assert_string_equal (shown->history [0]->kind, "order.created");
    assert_string_equal (shown->history [6]->kind, "order.completed");
    assert_string_equal (shown->history [6]->actor, "T01");
}

static void
test_transfer_and_manual_assignment (void **state)
{
    (void) state;
    char no [64], order_no [80];
    s_filed ("E001", KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT, KF__CATEGORY__CATEGORY_OTHER,
             KF__PRIORITY__PRIORITY_NORMAL, no);
    snprintf (order_no, sizeof order_no, "%s-W1", no);
    assert_string_equal (s_assignee (order_no), "F01");
    s_events ();
    Kf__TransferOrder transfer = KF__TRANSFER_ORDER__INIT;
    transfer.order_no = order_no;
    transfer.to_department = KF__DEPARTMENT__DEPARTMENT_CUSTOMER_SERVICE;
    transfer.has_to_department = 1;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_TRANSFER_ORDER;
    request.transfer_order = &transfer;
    assert_int_equal (s_do (&request, "F01", KF__ROLE__ROLE_FRONT_DESK), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_non_null (strstr (w.reply.error, "with customer_service already"));
    transfer.to_department = KF__DEPARTMENT__DEPARTMENT_ENGINEERING;
    assert_int_equal (s_do (&request, "F01", KF__ROLE__ROLE_FRONT_DESK), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_non_null (strstr (w.reply.error, "needs its reason"));
    transfer.reason = "a pipe behind the wall";
    assert_int_equal (s_do (&request, "F01", KF__ROLE__ROLE_FRONT_DESK), OK);
    char next [80];
    snprintf (next, sizeof next, "%s-W2", no);
    assert_string_equal (w.reply.order->order_no, next);
    assert_int_equal (w.reply.order->created->department, KF__DEPARTMENT__DEPARTMENT_ENGINEERING);
    assert_string_equal (s_assignee (next), "T03");   //  category other: only T03 takes any
    const Kf__Order *old = s_show (order_no);
    assert_int_equal (old->status, KF__ORDER_STATUS__ORDER_STATUS_TRANSFERRED);
    assert_string_equal (old->transferred_to, next);
    assert_int_equal (s_load_of ("F01"), 0);
    assert_string_equal (s_events (), "order.transferred order.created order.assigned");

    //  By hand: supervisors only, within the department, not to the same person.
    Kf__AssignOrder assign = KF__ASSIGN_ORDER__INIT;
    assign.order_no = next;
    assign.staff_id = "C01";
    assign.reason = "T03 is off sick";
    request.command_case = KF__REQUEST__COMMAND_ASSIGN_ORDER;
    request.assign_order = &assign;
    assert_int_equal (s_do (&request, "T03", TECH), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_int_equal (s_do (&request, "S01", KF__ROLE__ROLE_SUPERVISOR), CONFLICT);
    assert_non_null (strstr (w.reply.error, "C01 works in cleaning, not engineering"));
    assign.staff_id = "T03";
    assert_int_equal (s_do (&request, "S01", KF__ROLE__ROLE_SUPERVISOR), CONFLICT);
    assign.staff_id = "nobody";
    assert_int_equal (s_do (&request, "S01", KF__ROLE__ROLE_SUPERVISOR), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    assign.staff_id = "T01";
    assert_int_equal (s_do (&request, "S01", KF__ROLE__ROLE_SUPERVISOR), OK);
    assert_string_equal (s_assignee (next), "T01");
    assert_int_equal (s_load_of ("T03"), 0);
    assert_int_equal (s_load_of ("T01"), 1);
    assert_string_equal (s_events (), "order.assigned");
}

//  A ticket's orders are bounded (a transfer loop must not grow it forever).
static void
test_orders_per_ticket_bounded (void **state)
{
    (void) state;
    char no [64], order_no [80];
    s_plumbing (no);
    Kf__TransferOrder transfer = KF__TRANSFER_ORDER__INIT;
    transfer.order_no = order_no;
    transfer.has_to_department = 1;
    transfer.reason = "ping-pong";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_TRANSFER_ORDER;
    request.transfer_order = &transfer;
    for (int n = 1; n < 256; n++) {
        snprintf (order_no, sizeof order_no, "%s-W%d", no, n);
        transfer.to_department = n % 2 ? KF__DEPARTMENT__DEPARTMENT_CUSTOMER_SERVICE : KF__DEPARTMENT__DEPARTMENT_ENGINEERING;
        assert_int_equal (s_do (&request, "boss", KF__ROLE__ROLE_MANAGER), OK);
    }
    snprintf (order_no, sizeof order_no, "%s-W256", no);
    transfer.to_department = KF__DEPARTMENT__DEPARTMENT_ENGINEERING;
    assert_int_equal (s_do (&request, "boss", KF__ROLE__ROLE_MANAGER), CONFLICT);
    assert_non_null (strstr (w.reply.error, "has had 256 orders: file a new ticket"));
    assert_true (s_open_order_count_is_one (no));
}

//  ---- events of the ticket and the visit --------------------------------------------------

static void
test_rectification_and_ticket_events (void **state)
{
    (void) state;
    char no [64], order_no [80];
    s_plumbing (no);
    snprintf (order_no, sizeof order_no, "%s-W1", no);
    assert_int_equal (s_step (ACCEPT, order_no, "T01", TECH), OK);
    assert_int_equal (s_step (COMPLETE, order_no, "T01", TECH), OK);
    s_events ();
    //  The owner is unsatisfied on the return visit: a rectification order.
    w.now = kf_test_at ("2026-11-25 15:00");
    Kf__VisitUnsatisfied visit = KF__VISIT_UNSATISFIED__INIT;
    visit.ticket_no = no;
    visit.order_no = order_no;
    visit.comment = "still drips";
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.estate = "E001";
    event.body_case = KF__ENVELOPE__BODY_VISIT_UNSATISFIED;
    event.visit_unsatisfied = &visit;
    s_apply (&event);
    char rect [80];
    snprintf (rect, sizeof rect, "%s-W2", no);
    const Kf__Order *r = s_show (rect);
    assert_string_equal (r->created->rectification_of, order_no);
    assert_int_equal (r->created->due_at_ms, kf_test_at ("2026-11-26 15:00"));
    assert_int_equal (r->created->department, KF__DEPARTMENT__DEPARTMENT_ENGINEERING);
    assert_int_equal (r->created->priority, KF__PRIORITY__PRIORITY_URGENT);
    assert_non_null (strstr (r->created->description, "still drips"));
    assert_int_equal (r->status, KF__ORDER_STATUS__ORDER_STATUS_ASSIGNED);
    //  Intake's reopening that follows the visit makes no second order.
    Kf__TicketReopened reopened = KF__TICKET_REOPENED__INIT;
    reopened.ticket_no = no;
    reopened.reopened_by = "survey";
    reopened.cause = KF__REOPEN_CAUSE__REOPEN_CAUSE_UNSATISFIED_VISIT;
    reopened.has_cause = 1;
    event.body_case = KF__ENVELOPE__BODY_TICKET_REOPENED;
    event.ticket_reopened = &reopened;
    s_apply (&event);
    assert_string_equal (s_events (), "order.created order.assigned");
    //  Closing the ticket cancels the open order and frees its person.
    const char *who = s_assignee (rect);
    char staff [64];
    snprintf (staff, sizeof staff, "%s", who);
    Kf__TicketClosed closed = KF__TICKET_CLOSED__INIT;
    closed.ticket_no = no;
    event.body_case = KF__ENVELOPE__BODY_TICKET_CLOSED;
    event.ticket_closed = &closed;
    s_apply (&event);
    assert_int_equal (s_status (rect), KF__ORDER_STATUS__ORDER_STATUS_CANCELLED);
    assert_int_equal (s_load_of (staff), 0);
    assert_string_equal (s_events (), "order.cancelled");
    //  A reopening by staff, with no order open: a new order for the same
    //  department, though the staff member's id is "survey": the cause
    //  says what it is, not the name.
    reopened.reopened_by = "survey";
    reopened.cause = KF__REOPEN_CAUSE__REOPEN_CAUSE_STAFF;
    reopened.reason = "owner called again";
    event.body_case = KF__ENVELOPE__BODY_TICKET_REOPENED;
    s_apply (&event);
    char again [80];
    snprintf (again, sizeof again, "%s-W3", no);
    assert_int_equal (s_show (again)->created->department, KF__DEPARTMENT__DEPARTMENT_ENGINEERING);
    assert_null (s_show (again)->created->rectification_of);
    //  ... and a second reopening while it is open makes nothing new.
    s_apply (&event);
    assert_string_equal (s_events (), "order.created order.assigned");
    //  A ticket filed twice (a replay after a rebuild) keeps its one order.
    Kf__TicketFiled f = KF__TICKET_FILED__INIT;
    f.ticket_no = no;
    f.category = KF__CATEGORY__CATEGORY_PLUMBING;
    f.has_category = 1;
    event.body_case = KF__ENVELOPE__BODY_TICKET_FILED;
    event.ticket_filed = &f;
    s_apply (&event);
    assert_string_equal (s_events (), "");
}

static void
test_escalation_reassigns_unaccepted (void **state)
{
    (void) state;
    char no [64], order_no [80];
    s_plumbing (no);
    snprintf (order_no, sizeof order_no, "%s-W1", no);
    assert_string_equal (s_assignee (order_no), "T01");
    s_events ();
    Kf__EscalationRaised raised = KF__ESCALATION_RAISED__INIT;
    raised.ticket_no = no;
    raised.level = KF__ESCALATION_LEVEL__ESCALATION_LEVEL_HANDLER;
    raised.has_level = 1;
    raised.target = KF__SLA_TARGET__SLA_TARGET_FIRST_RESPONSE;
    raised.has_target = 1;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.estate = "E001";
    event.body_case = KF__ENVELOPE__BODY_ESCALATION_RAISED;
    event.escalation_raised = &raised;
    s_apply (&event);                      //  level 1 only notifies
    assert_string_equal (s_assignee (order_no), "T01");
    raised.level = KF__ESCALATION_LEVEL__ESCALATION_LEVEL_SUPERVISOR;
    s_apply (&event);
    assert_string_equal (s_assignee (order_no), "T02");
    assert_int_equal (s_load_of ("T01"), 0);
    assert_string_equal (s_events (), "order.assigned");
    //  Accepted orders stay where they are.
    assert_int_equal (s_step (ACCEPT, order_no, "T02", TECH), OK);
    s_apply (&event);
    assert_string_equal (s_assignee (order_no), "T02");
}

//  ---- staff -------------------------------------------------------------------------------

static Kf__ReplyStatus
s_set_rota (const char *staff_id, const char *text, Kf__Role role)
{
    Kf__Shift shifts [KF_ROTA_SHIFTS_MAX], *ptrs [KF_ROTA_SHIFTS_MAX];
    int n = kf_rota_parse (text, shifts, KF_ROTA_SHIFTS_MAX, NULL);
    assert_true (n >= 0);
    for (int i = 0; i < n; i++)
        ptrs [i] = &shifts [i];
    Kf__SetRota rota = KF__SET_ROTA__INIT;
    rota.estate = "E001";
    rota.staff_id = (char *) staff_id;
    rota.shifts = ptrs;
    rota.n_shifts = (size_t) n;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_SET_ROTA;
    request.set_rota = &rota;
    return s_do (&request, "S01", role);
}

static void
test_staff_rota_changes (void **state)
{
    (void) state;
    char no [64], order_no [80];
    w.now = kf_test_at ("2026-11-28 10:00");   //  Saturday: engineering is off
    s_plumbing (no);
    snprintf (order_no, sizeof order_no, "%s-W1", no);
    assert_int_equal (s_status (order_no), KF__ORDER_STATUS__ORDER_STATUS_QUEUED);
    assert_int_equal (s_set_rota ("T02", "sat 09:00-17:00", TECH), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    //  A supervisor puts T02 on Saturdays: the waiting order goes to T02 at once.
    assert_int_equal (s_set_rota ("T02", "mon-fri 08:30-17:30, sat 09:00-17:00", KF__ROLE__ROLE_SUPERVISOR), OK);
    assert_true (w.reply.staff_member->on_duty);
    assert_string_equal (s_assignee (order_no), "T02");
    assert_int_equal (s_set_rota ("T99", "off", KF__ROLE__ROLE_SUPERVISOR), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);

    //  A restart with the same file keeps kefuctl's change...
    assert_int_equal (s_start (s_config (NULL)), 0);
    s_plumbing (no);
    snprintf (order_no, sizeof order_no, "%s-W1", no);
    assert_string_equal (s_assignee (order_no), "T02");
    assert_int_equal (s_load_of ("T02"), 2);
    //  ... an edited entry wins over it (the load stays), and a person the
    //  file drops becomes inactive, kept with their load.
    char *text = strdup (s_config_head);
    char *t02 = strstr (text, "plumbing, electrical");
    memcpy (t02, "plumbing, water_leak", 20);
    char *h01 = strstr (text, "            H01"), *o01 = strstr (text, "            O01");
    memmove (h01, o01, strlen (o01) + 1);
    kf_err_t err;
    kf_config_t *edited = kf_config_load_text (text, "edited", &err);
    free (text);
    if (!edited)
        fail_msg ("%s", err.text);
    assert_int_equal (s_start (edited), 2);
    assert_int_equal (s_load_of ("T02"), 2);
    s_plumbing (no);
    snprintf (order_no, sizeof order_no, "%s-W1", no);
    assert_int_equal (s_status (order_no), KF__ORDER_STATUS__ORDER_STATUS_QUEUED);   //  T02 is off on Saturdays again
    Kf__ListStaff list = KF__LIST_STAFF__INIT;
    list.estate = "E001";
    list.on_duty_now = 1;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_LIST_STAFF;
    request.list_staff = &list;
    assert_int_equal (s_do (&request, "S01", KF__ROLE__ROLE_SUPERVISOR), OK);
    assert_int_equal (w.reply.staff->n_staff, 2);   //  S01 and C01 on a Saturday morning
    list.on_duty_now = 0;
    assert_int_equal (s_do (&request, "S01", KF__ROLE__ROLE_SUPERVISOR), OK);
    assert_int_equal (w.reply.staff->n_staff, 8);
    bool h01_inactive = false;
    for (size_t i = 0; i < w.reply.staff->n_staff; i++)
        if (strcmp (w.reply.staff->staff [i]->staff_id, "H01") == 0)
            h01_inactive = !w.reply.staff->staff [i]->active;
    assert_true (h01_inactive);
    //  Another estate's caller sees none of E001's orders.
    Kf__ShowOrder show = KF__SHOW_ORDER__INIT;
    show.order_no = order_no;
    request.command_case = KF__REQUEST__COMMAND_SHOW_ORDER;
    request.show_order = &show;
    request.scope = "E002";
    assert_int_equal (s_do (&request, "x", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
}

static void
test_list_orders (void **state)
{
    (void) state;
    char no [64];
    for (int i = 0; i < 5; i++) {
        w.now += 1000;
        s_plumbing (no);
    }
    s_filed ("E002", KF__TICKET_TYPE__TICKET_TYPE_REPAIR, KF__CATEGORY__CATEGORY_PESTS, KF__PRIORITY__PRIORITY_NORMAL, no);
    Kf__ListOrders list = KF__LIST_ORDERS__INIT;
    Kf__PageRequest page = KF__PAGE_REQUEST__INIT;
    page.page_size = 2;
    page.has_page_size = 1;
    list.page = &page;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_LIST_ORDERS;
    request.list_orders = &list;
    assert_int_equal (s_do (&request, "boss", KF__ROLE__ROLE_MANAGER), OK);
    assert_int_equal (w.reply.orders->total, 6);
    assert_int_equal (w.reply.orders->n_orders, 2);
    assert_string_equal (w.reply.orders->orders [0]->estate, "E002");   //  newest first
    list.estate = "E001";
    list.staff_id = "T01";
    assert_int_equal (s_do (&request, "boss", KF__ROLE__ROLE_MANAGER), OK);
    assert_int_equal (w.reply.orders->total, 2);
    char token [256];
    snprintf (token, sizeof token, "%s", w.reply.orders->next_page_token ? w.reply.orders->next_page_token : "");
    assert_string_equal (token, "");
    list.staff_id = NULL;
    assert_int_equal (s_do (&request, "boss", KF__ROLE__ROLE_MANAGER), OK);
    snprintf (token, sizeof token, "%s", w.reply.orders->next_page_token);
    page.page_token = token;
    assert_int_equal (s_do (&request, "boss", KF__ROLE__ROLE_MANAGER), OK);
    assert_int_equal (w.reply.orders->n_orders, 2);
    assert_int_equal (w.reply.orders->total, 5);
    page.page_token = "zz";
    assert_int_equal (s_do (&request, "boss", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    //  Made up, though hex: not a row of this list, refused (it used to
    //  start again at page 1).
    page.page_token = "ffffffffffffffffffffffffffffffff";
    assert_int_equal (s_do (&request, "boss", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    page.page_token = "00";
    assert_int_equal (s_do (&request, "boss", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    page.page_token = NULL;
    list.estate = "E002";
    request.scope = "E001";
    assert_int_equal (s_do (&request, "boss", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    list.estate = NULL;
    list.ticket_no = no;   //  E002's ticket, out of an E001 caller's scope
    assert_int_equal (s_do (&request, "boss", KF__ROLE__ROLE_MANAGER), OK);
    assert_int_equal (w.reply.orders->total, 0);
}

//  ---- staff accounts (issue 20.1) ------------------------------------------------------------

static Kf__ReplyStatus
s_end_sign_in (const char *user, uint32_t generation, bool matched)
{
    Kf__EndSignIn end = KF__END_SIGN_IN__INIT;
    end.user = (char *) user;
    KF_SET (&end, generation, generation);
    KF_SET (&end, matched, matched);
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_END_SIGN_IN;
    request.end_sign_in = &end;
    return s_do (&request, "kefu-gateway", KF__ROLE__ROLE_OPERATIONS);
}

static void
test_accounts (void **state)
{
    (void) state;
    //  Each person of the configuration's staff has an account, without a password.
    Kf__ShowUser show = KF__SHOW_USER__INIT;
    show.user = "F01";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_SHOW_USER;
    request.show_user = &show;
    assert_int_equal (s_do (&request, "S01", KF__ROLE__ROLE_SUPERVISOR), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (w.reply.account->estate, "E001");
    assert_int_equal (w.reply.account->role, KF__ROLE__ROLE_FRONT_DESK);
    assert_false (w.reply.account->has_password);
    assert_null (w.reply.account->password_hash);
    //  A technician may not look; another estate's scope sees no such user.
    assert_int_equal (s_do (&request, "T01", KF__ROLE__ROLE_TECHNICIAN), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    request.scope = "E002";
    assert_int_equal (s_do (&request, "S01", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    request.scope = NULL;
    //  A password: only an Argon2id hash is taken.
    char hash [crypto_pwhash_STRBYTES];
    assert_int_equal (crypto_pwhash_str (hash, "open sesame 芝麻开门", strlen ("open sesame 芝麻开门"),
                                         crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE), 0);
    Kf__SetUser set = KF__SET_USER__INIT;
    set.user = "F01";
    KF_SET (&set, action, KF__USER_ACTION__USER_ACTION_SET_PASSWORD);
    set.password_hash = "open sesame";
    Kf__Request change = KF__REQUEST__INIT;
    change.command_case = KF__REQUEST__COMMAND_SET_USER;
    change.set_user = &set;
    assert_int_equal (s_do (&change, "D01", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    set.password_hash = hash;
    assert_int_equal (s_do (&change, "S01", KF__ROLE__ROLE_SUPERVISOR), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_int_equal (s_do (&change, "D01", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_OK);
    uint32_t generation = w.reply.account->generation;
    //  The gateway's first step hands out the hash, to the gateway only.
    Kf__BeginSignIn begin = KF__BEGIN_SIGN_IN__INIT;
    begin.user = "F01";
    Kf__Request ask = KF__REQUEST__INIT;
    ask.command_case = KF__REQUEST__COMMAND_BEGIN_SIGN_IN;
    ask.begin_sign_in = &begin;
    assert_int_equal (s_do (&ask, "D01", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_int_equal (s_do (&ask, "kefu-gateway", KF__ROLE__ROLE_OPERATIONS), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (w.reply.account->password_hash, hash);
    //  Five misses lock it (the default), and the count is kept though each is refused.
    for (int i = 0; i < 4; i++)
        assert_int_equal (s_end_sign_in ("F01", generation, false), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_int_equal (s_do (&request, "S01", KF__ROLE__ROLE_SUPERVISOR), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.account->failures, 4);
    assert_false (w.reply.account->locked);
    assert_int_equal (s_end_sign_in ("F01", generation, false), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_non_null (strstr (w.reply.error, "locked until 2026-11-23T10:15:00.000+08:00"));
    assert_int_equal (s_end_sign_in ("F01", generation, true), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    //  ... for lockout_for (15 minutes) by the cluster's clock; then a miss
    //  starts a fresh count, it does not lock again at once.
    w.now += 15 * 60000;
    assert_int_equal (s_end_sign_in ("F01", generation, false), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_string_equal (w.reply.error, "wrong user or password");
    assert_int_equal (s_end_sign_in ("F01", generation, true), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.account->failures, 0);
    assert_int_equal (w.reply.account->last_sign_in_ms, w.now);
    //  A changed account (a new password) refuses a check made against the old one.
    assert_int_equal (s_do (&change, "D01", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.account->generation, generation + 1);
    assert_int_equal (s_end_sign_in ("F01", generation, true), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);
    //  Disabled: the right password hears why; a reason is required.
    KF_SET (&set, action, KF__USER_ACTION__USER_ACTION_DISABLE);
    assert_int_equal (s_do (&change, "D01", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    set.reason = "on leave";
    assert_int_equal (s_do (&change, "D01", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (s_end_sign_in ("F01", generation + 2, true), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_non_null (strstr (w.reply.error, "disabled: on leave"));
    //  A manager's disable stands when dispatch starts again over the same file.
    s_start (s_config (NULL));
    assert_int_equal (s_end_sign_in ("F01", generation + 2, true), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_non_null (strstr (w.reply.error, "disabled: on leave"));
    //  An estate's manager adds its own estate's accounts only, and no operations.
    Kf__AddUser add = KF__ADD_USER__INIT;
    add.user = "desk-2";
    add.estate = "E002";
    KF_SET (&add, role, KF__ROLE__ROLE_FRONT_DESK);
    Kf__Request adding = KF__REQUEST__INIT;
    adding.command_case = KF__REQUEST__COMMAND_ADD_USER;
    adding.add_user = &add;
    adding.scope = "E001";
    assert_int_equal (s_do (&adding, "D01", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    add.estate = "E001";
    KF_SET (&add, role, KF__ROLE__ROLE_OPERATIONS);
    assert_int_equal (s_do (&adding, "D01", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    KF_SET (&add, role, KF__ROLE__ROLE_OWNER);   //  owners sign in with a code, never with an account
    assert_int_equal (s_do (&adding, "D01", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    KF_SET (&add, role, KF__ROLE__ROLE_FRONT_DESK);
    assert_int_equal (s_do (&adding, "D01", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (w.reply.account->staff_id, "desk-2");
    assert_int_equal (s_do (&adding, "D01", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);
    add.user = "F01";
    assert_int_equal (s_do (&adding, "D01", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);
    //  The list: every account the caller may see.
    Kf__ListUsers list = KF__LIST_USERS__INIT;
    Kf__Request listing = KF__REQUEST__INIT;
    listing.command_case = KF__REQUEST__COMMAND_LIST_USERS;
    listing.list_users = &list;
    assert_int_equal (s_do (&listing, "D01", KF__ROLE__ROLE_MANAGER), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.accounts->n_accounts, 9);   //  eight of the file and desk-2
}

int
main (void)
{
    kf_log_init ("test", KF_LOG_WARNING);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_routing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rota_nights_weekends_holidays_makeup_days, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_fairness, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_lifecycle, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_transfer_and_manual_assignment, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_orders_per_ticket_bounded, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rectification_and_ticket_events, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_escalation_reassigns_unaccepted, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_staff_rota_changes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_list_orders, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_accounts, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
