/*  Unit tests: the registry's domain logic over a real store and outbox,
    without sockets: the all-or-nothing import of units and their owners,
    the caller lookup by phone and by unit (people, money from billing's
    events, open and recent cases from intake's), households set and
    checked, phones masked for all but the estate's desk, and the estate
    guard on every request.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../services/registry/registry_private.h"
#include "kf_commands.h"
#include "kf_field.h"
#include "kf_test.h"
#include "kf_test_world.h"
#include "kf_test_events.h"

static const char *s_config_text =
    "bus\n    publish = ipc://x/in\n    subscribe = ipc://x/out\n"
    "estates\n"
    "    E001\n        name = one\n"
    "    E002\n        name = two\n";

static const char *s_units_csv =
    "unit,area_m2,owner_name,owner_phone,occupied,move_in_date,building_type,parking_spaces\n"
    "1-1-101,89.50,\"Zhang, San\",13800000001,yes,,highrise,0\n"
    "1-1-102,120.00,Li Si,13800000002,no,,highrise,1\n"
    "1-1-103,89.50,Wang Wu,,yes,2026-11-16,highrise,0\n"
    "1-1-104,89.50,Zhao Liu,,yes,2026-12-02,highrise,0\n"
    "9-1-1,300.25,Qian Qi,,yes,2020-01-01,villa,2\n";

typedef struct {
    kf_test_world_t base;    //  config, store, outbox, arena, events
    registry_t *registry;
    int64_t now;
    const Kf__Envelope *event;
    const Kf__Request *request;
    Kf__Reply reply;
    uint64_t seq;
} s_world_t;

static s_world_t w;

static int
s_setup (void **state)
{
    if (kf_test_dir_setup (state))
        return -1;
    const char *tables [] = { REGISTRY_TABLES, NULL };
    memset (&w, 0, sizeof w);
    kf_err_t err;
    kf_test_world_config (&w.base, s_config_text);
    kf_test_world_open (&w.base, tables, "registry@c1", "registry@c1/E001", NULL);
    w.registry = registry_new (w.base.config, &err);
    assert_non_null (w.registry);
    registry_set_outbox (w.registry, w.base.outbox);
    w.now = kf_test_at ("2026-11-01 09:00");
    return 0;
}

static int
s_teardown (void **state)
{
    registry_destroy (&w.registry);
    kf_test_world_close (&w.base);
    return kf_test_dir_teardown (state);
}

//  ---- driving it --------------------------------------------------------------------------

static int
s_request_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    kf_test_reply_ok (&w.reply);
    return registry_handle_request (w.registry, txn, w.now, w.request, &w.reply, w.base.arena);
}

//  As kf_commands runs it (a refused request leaves nothing behind), as a
//  manager of the group unless the request says otherwise.
static Kf__ReplyStatus
s_do (Kf__Request *request)
{
    kf_arena_reset (w.base.arena);
    if (!request->has_role) {
        request->role = KF__ROLE__ROLE_MANAGER;
        request->has_role = 1;
    }
    request->actor = "boss";
    w.request = request;
    kf_store_write (w.base.store, s_request_txn, NULL, NULL);
    return w.reply.status;
}

static Kf__ReplyStatus
s_import (const char *estate, const char *csv)
{
    Kf__ImportUnits import = KF__IMPORT_UNITS__INIT;
    import.estate = (char *) estate;
    import.csv.data = (uint8_t *) csv;
    import.csv.len = strlen (csv);
    import.has_csv = 1;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_IMPORT_UNITS;
    request.import_units = &import;
    return s_do (&request);
}

static const char *
s_events (void)
{
    return kf_test_events (&w.base.events);
}

static Kf__ReplyStatus
s_lookup (const char *scope, Kf__Role role, const char *estate, const char *phone, const char *unit)
{
    Kf__LookupCaller q = KF__LOOKUP_CALLER__INIT;
    q.estate = (char *) estate;
    q.phone = (char *) phone;
    q.unit = (char *) unit;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_LOOKUP_CALLER;
    request.lookup_caller = &q;
    request.scope = (char *) scope;
    request.role = role;
    request.has_role = 1;
    return s_do (&request);
}

static int
s_event_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    return registry_apply_event (w.registry, txn, w.now, w.event);
}

//  An event of another daemon's stream, as the bus hands it over.
static void
s_consume (const char *estate, Kf__Envelope *event)
{
    event->estate = (char *) estate;
    event->stream = "other@c1/E001";
    event->seq = ++w.seq;
    event->occurred_at_ms = w.now;
    event->has_occurred_at_ms = 1;
    w.event = event;
    kf_arena_reset (w.base.arena);
    assert_int_equal (kf_store_write (w.base.store, s_event_txn, NULL, NULL), 0);
}

static void
s_filed (const char *estate, const char *ticket_no, const char *unit, const char *text)
{
    Kf__TicketFiled f = KF__TICKET_FILED__INIT;
    f.ticket_no = (char *) ticket_no;
    f.unit = (char *) unit;
    f.description = (char *) text;
    KF_SET (&f, type, KF__TICKET_TYPE__TICKET_TYPE_REPAIR);
    Kf__Envelope e = KF__ENVELOPE__INIT;
    e.body_case = KF__ENVELOPE__BODY_TICKET_FILED;
    e.ticket_filed = &f;
    s_consume (estate, &e);
}

//  ---- the import ---------------------------------------------------------------------------

static void
test_import_all_or_nothing (void **state)
{
    (void) state;
    const char *bad =
        "unit,area_m2,occupied,move_in_date\n"
        "1-1-101,89.50,yes,\n"
        "1-1-102,89.555,yes,\n"
        "1-1-103,89.50,maybe,\n"
        "1-1-104,89.50,yes,2026-02-30\n"
        "1-1-101,70,yes,\n"
        "1-1-105,\"89.50,yes,\n"
        "oops,1,yes,\n";
    assert_int_equal (s_import ("E001", bad), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_string_equal (w.reply.error, "6 lines rejected; nothing imported");
    const Kf__ImportReport *r = w.reply.import_report;
    assert_int_equal (r->accepted, 0);
    assert_int_equal (r->n_rejected, 6);
    assert_non_null (strstr (r->rejected [0], "line 3: area_m2 '89.555'"));
    assert_non_null (strstr (r->rejected [1], "line 4: occupied 'maybe'"));
    assert_non_null (strstr (r->rejected [2], "line 5: move_in_date"));
    assert_non_null (strstr (r->rejected [3], "line 7: a quote is left open"));
    assert_non_null (strstr (r->rejected [4], "line 8: 'oops' is not a unit"));
    assert_non_null (strstr (r->rejected [5], "line 6: unit 1-1-101 is on line 2 too"));
    assert_string_equal (s_events (), "");
    assert_int_equal (s_import ("E001", "area_m2,colour\n"), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_non_null (strstr (w.reply.import_report->rejected [0], "unknown column 'colour'"));
    assert_int_equal (s_import ("E001", ""), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_int_equal (s_import ("E009", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    //  A phone that is not a phone, an occupancy that contradicts the file.
    assert_int_equal (s_import ("E001", "unit,area_m2,owner_phone,occupied,occupancy\n1-1-101,80,1380000x,,\n"
                                        "1-1-102,80,,yes,vacant\n1-1-103,80,,,moved_away\n"),
                      KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    r = w.reply.import_report;
    assert_int_equal (r->n_rejected, 3);
    assert_non_null (strstr (r->rejected [0], "line 2: owner_phone '1380000x' is not"));
    assert_non_null (strstr (r->rejected [1], "line 3: occupied 'yes' contradicts occupancy 'vacant'"));
    assert_non_null (strstr (r->rejected [2], "line 4: occupancy 'moved_away' is not"));
    assert_string_equal (s_events (), "");
    //  The good file: all in, a unit and a household announced for each
    //  owner; the report says where billing will find them.
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.import_report->accepted, 5);
    assert_string_equal (w.reply.import_report->stream, "registry@c1/E001");
    assert_int_equal (w.reply.import_report->head, 11);
    //  The vacant 1-1-102's first inspection is a deadline (deadline.set).
    assert_string_equal (s_events (), "household.registered unit.registered household.registered unit.registered "
                                      "deadline.set household.registered unit.registered household.registered "
                                      "unit.registered household.registered unit.registered");
    //  Again: nothing changes, nothing is announced.
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (s_events (), "");
    //  Only those who manage import.
    Kf__ImportUnits import = KF__IMPORT_UNITS__INIT;
    import.estate = "E001";
    import.csv.data = (uint8_t *) s_units_csv;
    import.csv.len = strlen (s_units_csv);
    import.has_csv = 1;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_IMPORT_UNITS;
    request.import_units = &import;
    request.role = KF__ROLE__ROLE_FRONT_DESK;
    request.has_role = 1;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    //  Nor into another estate than one's own.
    request.role = KF__ROLE__ROLE_MANAGER;
    request.scope = "E002";
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
}

//  ---- the lookup ---------------------------------------------------------------------------

static void
test_lookup_by_phone_and_unit (void **state)
{
    (void) state;
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (s_import ("E002", "unit,area_m2,owner_name,owner_phone\n2-1-301,95,Zhang San,13800000001\n"),
                      KF__REPLY_STATUS__REPLY_STATUS_OK);
    //  Cases from intake, money from billing.
    s_filed ("E001", "E001-20261101-0001", "1-1-101", "Kitchen tap drips\nsince Monday");
    w.now += 3600000;
    s_filed ("E001", "E001-20261101-0002", "1-1-101", "Lift noisy");
    Kf__TicketClosed closed = KF__TICKET_CLOSED__INIT;
    closed.ticket_no = "E001-20261101-0001";
    Kf__Envelope e = KF__ENVELOPE__INIT;
    e.body_case = KF__ENVELOPE__BODY_TICKET_CLOSED;
    e.ticket_closed = &closed;
    s_consume ("E001", &e);
    Kf__InvoiceIssued issued = KF__INVOICE_ISSUED__INIT;
    issued.unit = "1-1-101";
    KF_SET (&issued, total_fen, 22033);
    e = (Kf__Envelope) KF__ENVELOPE__INIT;
    e.body_case = KF__ENVELOPE__BODY_INVOICE_ISSUED;
    e.invoice_issued = &issued;
    s_consume ("E001", &e);
    Kf__PaymentReceived paid = KF__PAYMENT_RECEIVED__INIT;
    paid.unit = "1-1-101";
    KF_SET (&paid, amount_fen, 10000);
    e = (Kf__Envelope) KF__ENVELOPE__INIT;
    e.body_case = KF__ENVELOPE__BODY_PAYMENT_RECEIVED;
    e.payment_received = &paid;
    s_consume ("E001", &e);
    //  The group finds the phone in both estates, masked.
    assert_int_equal (s_lookup (NULL, KF__ROLE__ROLE_OPERATIONS, NULL, "13800000001", NULL),
                      KF__REPLY_STATUS__REPLY_STATUS_OK);
    const Kf__CallerLookup *l = w.reply.caller_lookup;
    assert_int_equal (l->n_units, 2);
    assert_true (l->phones_masked);
    assert_string_equal (l->units [0]->estate, "E001");
    assert_string_equal (l->units [1]->estate, "E002");
    const Kf__CallerUnit *cu = l->units [0];
    assert_string_equal (cu->unit->unit, "1-1-101");
    assert_int_equal (cu->matched_role, KF__PERSON_ROLE__PERSON_ROLE_OWNER);
    assert_string_equal (cu->matched_name, "Zhang, San");
    assert_string_equal (cu->household->people [0]->phones [0], "138****0001");
    assert_string_equal (cu->unit->owner_phone, "138****0001");
    assert_int_equal (cu->balance_fen, 12033);
    assert_int_equal (cu->open_notices, 1);
    assert_int_equal (cu->n_open_tickets, 1);
    assert_string_equal (cu->open_tickets [0]->ticket_no, "E001-20261101-0002");
    assert_int_equal (cu->n_recent, 2);
    assert_string_equal (cu->recent [0]->ticket_no, "E001-20261101-0002");   //  newest first
    assert_string_equal (cu->recent [1]->summary, "Kitchen tap drips");
    assert_int_equal (cu->recent [1]->status, KF__TICKET_STATUS__TICKET_STATUS_CLOSED);
    //  The desk of E001 sees its own estate's phones whole, and only its estate.
    assert_int_equal (s_lookup ("E001", KF__ROLE__ROLE_FRONT_DESK, NULL, "13800000001", NULL),
                      KF__REPLY_STATUS__REPLY_STATUS_OK);
    l = w.reply.caller_lookup;
    assert_int_equal (l->n_units, 1);
    assert_false (l->phones_masked);
    assert_string_equal (l->units [0]->household->people [0]->phones [0], "13800000001");
    //  A technician of E001 sees them masked.
    assert_int_equal (s_lookup ("E001", KF__ROLE__ROLE_TECHNICIAN, NULL, "13800000001", NULL),
                      KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_true (w.reply.caller_lookup->phones_masked);
    //  By unit; an unknown unit; E002's desk asking for E001's unit.
    assert_int_equal (s_lookup ("E001", KF__ROLE__ROLE_FRONT_DESK, NULL, NULL, "1-1-102"),
                      KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (w.reply.caller_lookup->units [0]->household->people [0]->name, "Li Si");
    assert_int_equal (s_lookup ("E001", KF__ROLE__ROLE_FRONT_DESK, NULL, NULL, "5-1-817"),
                      KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    assert_string_equal (w.reply.error, "no unit 5-1-817 in E001");
    assert_int_equal (s_lookup ("E002", KF__ROLE__ROLE_FRONT_DESK, "E001", NULL, "1-1-101"),
                      KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    //  An unknown phone finds nothing; bad input is refused.
    assert_int_equal (s_lookup (NULL, KF__ROLE__ROLE_OPERATIONS, NULL, "13900000000", NULL),
                      KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.caller_lookup->n_units, 0);
    assert_int_equal (s_lookup (NULL, KF__ROLE__ROLE_OPERATIONS, NULL, "12ab", NULL),
                      KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_int_equal (s_lookup (NULL, KF__ROLE__ROLE_OPERATIONS, NULL, NULL, NULL),
                      KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_int_equal (s_lookup (NULL, KF__ROLE__ROLE_OPERATIONS, "E001", "13800000001", "1-1-101"),
                      KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
}

static void
test_phone_mask (void **state)
{
    (void) state;
    char out [32];
    kf_phone_mask ("13800000000", out, sizeof out);
    assert_string_equal (out, "138****0000");
    kf_phone_mask ("+8613800000000", out, sizeof out);
    assert_string_equal (out, "+861******0000");
    kf_phone_mask ("6543210", out, sizeof out);
    assert_string_equal (out, "65*3210");
    kf_phone_mask ("12345", out, sizeof out);
    assert_string_equal (out, "***45");
}

//  ---- households ---------------------------------------------------------------------------

static Kf__ReplyStatus
s_set_household (const char *scope, const char *unit, Kf__Person **people, size_t count)
{
    Kf__SetHousehold q = KF__SET_HOUSEHOLD__INIT;
    q.estate = "E001";
    q.unit = (char *) unit;
    q.people = people;
    q.n_people = count;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_SET_HOUSEHOLD;
    request.set_household = &q;
    request.scope = (char *) scope;
    request.role = KF__ROLE__ROLE_FRONT_DESK;
    request.has_role = 1;
    return s_do (&request);
}

static void
test_households (void **state)
{
    (void) state;
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    s_events ();
    char *owner_phones [] = { "13900000001" }, *tenant_phones [] = { "13900000002", "02155550000" };
    Kf__Person owner = KF__PERSON__INIT, tenant = KF__PERSON__INIT;
    owner.name = "Sun Ba";
    KF_SET (&owner, role, KF__PERSON_ROLE__PERSON_ROLE_OWNER);
    owner.phones = owner_phones;
    owner.n_phones = 1;
    owner.id_last4 = "123X";
    KF_SET (&owner, id_document, KF__ID_DOCUMENT__ID_DOCUMENT_RESIDENT_ID);
    tenant.name = "Zhou Jiu";
    KF_SET (&tenant, role, KF__PERSON_ROLE__PERSON_ROLE_TENANT);
    tenant.phones = tenant_phones;
    tenant.n_phones = 2;
    Kf__Person *people [] = { &owner, &tenant };
    //  A new owner: the household and the unit's owner of record announced.
    assert_int_equal (s_set_household ("E001", "1-1-102", people, 2), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.household->n_people, 2);
    assert_string_equal (s_events (), "household.registered unit.registered");
    //  The old owner's phone finds nothing now; the tenant's finds the unit.
    assert_int_equal (s_lookup (NULL, KF__ROLE__ROLE_OPERATIONS, NULL, "13800000002", NULL),
                      KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.caller_lookup->n_units, 0);
    assert_int_equal (s_lookup (NULL, KF__ROLE__ROLE_OPERATIONS, NULL, "02155550000", NULL),
                      KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.caller_lookup->n_units, 1);
    assert_int_equal (w.reply.caller_lookup->units [0]->matched_role, KF__PERSON_ROLE__PERSON_ROLE_TENANT);
    assert_string_equal (w.reply.caller_lookup->units [0]->unit->owner_name, "Sun Ba");
    //  The same again: nothing announced.
    assert_int_equal (s_set_household ("E001", "1-1-102", people, 2), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (s_events (), "");
    //  Bad input changes nothing: a whole identity number, a phone that is
    //  not one, a phone twice, an unknown unit, another estate's desk.
    owner.id_last4 = "110101199001011234";
    assert_int_equal (s_set_household ("E001", "1-1-102", people, 2), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_non_null (strstr (w.reply.error, "no whole identity number is kept"));
    owner.id_last4 = "123X";
    tenant_phones [1] = "not-a-phone";
    assert_int_equal (s_set_household ("E001", "1-1-102", people, 2), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_string_equal (w.reply.error, "Zhou Jiu: 'not-a-phone' is not a phone (5 to 20 digits with an optional "
                                        "leading +)");
    tenant_phones [1] = "13900000001";
    assert_int_equal (s_set_household ("E001", "1-1-102", people, 2), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_string_equal (w.reply.error, "phone 13900000001 is listed twice");
    tenant_phones [1] = "02155550000";
    assert_int_equal (s_set_household ("E001", "5-1-817", people, 2), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    assert_string_equal (w.reply.error, "no unit 5-1-817 in E001");
    assert_int_equal (s_set_household ("E002", "1-1-102", people, 2), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    assert_string_equal (s_events (), "");
    //  An import keeps the desk's tenant, and takes the file's owner.
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (s_events (), "household.registered unit.registered");
    Kf__ShowHousehold show = KF__SHOW_HOUSEHOLD__INIT;
    show.estate = "E001";
    show.unit = "1-1-102";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_SHOW_HOUSEHOLD;
    request.show_household = &show;
    request.scope = "E001";
    request.role = KF__ROLE__ROLE_FRONT_DESK;
    request.has_role = 1;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    const Kf__HouseholdFile *h = w.reply.household;
    assert_int_equal (h->n_people, 2);
    assert_string_equal (h->people [0]->name, "Li Si");
    assert_string_equal (h->people [0]->phones [0], "13800000002");
    assert_string_equal (h->people [0]->id_last4, "123X");   //  the owner's slot keeps what the file does not say
    assert_string_equal (h->people [1]->name, "Zhou Jiu");
}

//  ---- a unit's life: handed over, let, moved out ---------------------------------------------

static Kf__ReplyStatus
s_move_out (Kf__Role role, const char *unit, const char *reason)
{
    Kf__MoveOut q = KF__MOVE_OUT__INIT;
    q.estate = "E001";
    q.unit = (char *) unit;
    q.override_reason = (char *) reason;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_MOVE_OUT;
    request.move_out = &q;
    request.role = role;
    request.has_role = 1;
    return s_do (&request);
}

static void
test_handover_let_and_move_out (void **state)
{
    (void) state;
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    s_events ();
    //  1-1-102 is vacant: handed over to Li Si with two defects.
    Kf__HandoverDefect tap = KF__HANDOVER_DEFECT__INIT, crack = KF__HANDOVER_DEFECT__INIT;
    tap.place = "kitchen";
    tap.description = "tap drips";
    KF_SET (&tap, category, KF__CATEGORY__CATEGORY_PLUMBING);
    crack.description = "crack in the bedroom wall";
    Kf__HandoverDefect *defects [] = { &tap, &crack };
    Kf__MeterReading water = KF__METER_READING__INIT;
    KF_SET (&water, meter, KF__METER__METER_WATER);
    KF_SET (&water, reading_milli, 12500);
    Kf__MeterReading *readings [] = { &water };
    Kf__Handover h = KF__HANDOVER__INIT;
    h.estate = "E001";
    h.unit = "1-1-102";
    KF_SET (&h, date, 20261016);
    h.defects = defects;
    h.n_defects = 2;
    h.readings = readings;
    h.n_readings = 1;
    KF_SET (&h, keys_handed, 3);
    Kf__MoveIn q = KF__MOVE_IN__INIT;
    q.handover = &h;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_MOVE_IN;
    request.move_in = &q;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.handover->date, 20261016);
    //  Out of the vacant ledger: its inspection's deadline is dropped.
    assert_string_equal (s_events (), "unit.registered deadline.dropped unit.handed_over");
    //  The unit as billing now learns it: handed over on the date, not in use.
    assert_int_equal (s_lookup (NULL, KF__ROLE__ROLE_OPERATIONS, "E001", NULL, "1-1-102"),
                      KF__REPLY_STATUS__REPLY_STATUS_OK);
    const Kf__Unit *u = w.reply.caller_lookup->units [0]->unit;
    assert_int_equal (u->occupancy, KF__OCCUPANCY__OCCUPANCY_HANDED_OVER);
    assert_int_equal (u->move_in_date, 20261016);
    assert_false (u->occupied);
    //  Twice: refused; a bad reading, a date a year ahead, a unit not there.
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);
    h.unit = "1-1-103";
    KF_SET (&water, reading_milli, -1);
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_string_equal (w.reply.error, "reading 1: a meter reading is not negative");
    KF_SET (&water, reading_milli, 1);
    KF_SET (&h, date, 20271016);
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_non_null (strstr (w.reply.error, "more than a month after today"));
    KF_SET (&h, date, 20261016);
    h.unit = "7-7-707";
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    //  1-1-103 (no phone of its owner) cannot report defects.
    h.unit = "1-1-103";
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);   //  occupied already
    assert_string_equal (s_events (), "");
    //  Let to a tenant: the household gains them, the unit is let.
    char *phones [] = { "13700000007" };
    Kf__Person tenant = KF__PERSON__INIT;
    tenant.name = "Zhou";
    KF_SET (&tenant, role, KF__PERSON_ROLE__PERSON_ROLE_TENANT);
    tenant.phones = phones;
    tenant.n_phones = 1;
    Kf__Person *tenants [] = { &tenant };
    Kf__Tenancy t = KF__TENANCY__INIT;
    t.estate = "E001";
    t.unit = "1-1-102";
    KF_SET (&t, from_date, 20261020);
    t.tenants = tenants;
    t.n_tenants = 1;
    Kf__LetUnit let = KF__LET_UNIT__INIT;
    let.tenancy = &t;
    request.command_case = KF__REQUEST__COMMAND_LET_UNIT;
    request.let_unit = &let;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (s_events (), "household.registered unit.registered unit.let");
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);   //  let already
    //  It owes ¥120: moving out is refused; the desk may not override; a
    //  supervisor does, with the reason on the record.
    Kf__InvoiceIssued issued = KF__INVOICE_ISSUED__INIT;
    issued.unit = "1-1-102";
    KF_SET (&issued, total_fen, 12000);
    Kf__Envelope e = KF__ENVELOPE__INIT;
    e.body_case = KF__ENVELOPE__BODY_INVOICE_ISSUED;
    e.invoice_issued = &issued;
    s_consume ("E001", &e);
    assert_int_equal (s_move_out (KF__ROLE__ROLE_FRONT_DESK, "1-1-102", NULL), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);
    assert_string_equal (w.reply.error, "1-1-102 owes ¥120.00: settle it first, or a supervisor overrides with a reason");
    assert_int_equal (s_move_out (KF__ROLE__ROLE_FRONT_DESK, "1-1-102", "leaving the city"),
                      KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_string_equal (s_events (), "");
    assert_int_equal (s_move_out (KF__ROLE__ROLE_SUPERVISOR, "1-1-102", "deposit covers it"),
                      KF__REPLY_STATUS__REPLY_STATUS_OK);
    const Kf__UnitVacated *v = w.reply.vacated;
    assert_true (v->tenancy_ended);
    assert_int_equal (v->owed_fen, 12000);
    assert_string_equal (v->override_reason, "deposit covers it");
    assert_int_equal (v->n_left, 1);
    assert_string_equal (v->left [0]->name, "Zhou");
    assert_string_equal (s_events (), "household.registered unit.registered deadline.set unit.vacated");
    //  Nobody lives there now: another move-out is refused.
    assert_int_equal (s_move_out (KF__ROLE__ROLE_SUPERVISOR, "1-1-102", "x"), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);
    assert_string_equal (w.reply.error, "nobody lives in 1-1-102: there is no one to move out");
    //  The tenant's phone finds nothing now.
    assert_int_equal (s_lookup (NULL, KF__ROLE__ROLE_OPERATIONS, NULL, "13700000007", NULL),
                      KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.caller_lookup->n_units, 0);
}

//  ---- the monthly lists ------------------------------------------------------------------------

static int
s_tick_txn (kf_txn_t *txn, void *arg)
{
    int *made = arg;
    *made = registry_tick (w.registry, txn, w.now);
    return *made < 0 ? -1 : 0;
}

static int
s_tick (void)
{
    int made = -1;
    assert_int_equal (kf_store_write (w.base.store, s_tick_txn, &made, NULL), 0);
    return made;
}

//  Periodic work is the months ended since the last one made: after
//  downtime each missed month once, oldest first; a clock moved back
//  makes nothing twice.
static void
test_monthly_lists_catch_up (void **state)
{
    (void) state;
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    //  Started in November: October's lists (two estates), then nothing.
    assert_int_equal (s_tick (), 2);
    assert_int_equal (s_tick (), 0);
    //  Down until February: November, December and January, once each (and
    //  the vacant 1-1-102's inspection, due on 1 December, overdue).
    w.now = kf_test_at ("2027-02-01 10:00");
    assert_int_equal (s_tick (), 7);
    assert_int_equal (s_tick (), 0);
    w.now = kf_test_at ("2026-12-15 10:00");
    assert_int_equal (s_tick (), 0);
    Kf__GetRegisterList q = KF__GET_REGISTER_LIST__INIT;
    q.estate = "E001";
    KF_SET (&q, month, 202612);
    KF_SET (&q, kind, KF__REGISTER_LIST_KIND__REGISTER_LIST_KIND_TITLES);
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_REGISTER_LIST;
    request.register_list = &q;
    w.now = kf_test_at ("2027-02-01 10:00");
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.register_list->n_rows, 5);
    assert_string_equal (w.reply.register_list->rows [0]->unit, "1-1-101");
    assert_string_equal (w.reply.register_list->rows [0]->owners [0], "Zhang, San");
    //  Another estate's desk sees none of it.
    request.scope = "E002";
    request.role = KF__ROLE__ROLE_FRONT_DESK;
    request.has_role = 1;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
}

//  ---- the vacant units -------------------------------------------------------------------------

static const Kf__VacantLedger *
s_ledger (void)
{
    Kf__ListVacant q = KF__LIST_VACANT__INIT;
    q.estate = "E001";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_LIST_VACANT;
    request.list_vacant = &q;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    return w.reply.vacant_ledger;
}

static Kf__ReplyStatus
s_inspect (const char *unit, const char *finding, const char *phone)
{
    Kf__HandoverDefect f = KF__HANDOVER_DEFECT__INIT;
    f.description = (char *) finding;
    Kf__HandoverDefect *findings [] = { &f };
    Kf__VacantInspection in = KF__VACANT_INSPECTION__INIT;
    in.estate = "E001";
    in.unit = (char *) unit;
    in.findings = findings;
    in.n_findings = finding ? 1 : 0;
    in.reporter_phone = (char *) phone;
    Kf__InspectVacant q = KF__INSPECT_VACANT__INIT;
    q.inspection = &in;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_INSPECT_VACANT;
    request.inspect_vacant = &q;
    return s_do (&request);
}

//  Issue 21.4: a vacant unit is due an inspection a month on; a day that
//  passes marks it overdue, once; an inspection with a finding announces
//  it (intake files the ticket) and sets the next; a handover ends it.
static void
test_vacant_units_inspected_monthly (void **state)
{
    (void) state;
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    s_events ();
    const Kf__VacantLedger *l = s_ledger ();
    assert_int_equal (l->n_units, 1);
    assert_string_equal (l->units [0]->unit, "1-1-102");
    assert_int_equal (l->units [0]->since_date, 20261101);
    assert_int_equal (l->units [0]->next_due, 20261201);
    //  Its day is not over until midnight; then it is overdue, said once.
    w.now = kf_test_at ("2026-12-01 23:00");
    s_tick ();
    assert_false (s_ledger ()->units [0]->overdue);
    w.now = kf_test_at ("2026-12-02 00:30");
    s_tick ();
    assert_true (strstr (s_events (), "unit.inspection_overdue") != NULL);
    s_tick ();
    assert_null (strstr (s_events (), "unit.inspection_overdue"));
    assert_int_equal (s_ledger ()->overdue, 1);
    //  Inspected, with a finding from the owner's phone: the next due a month on.
    assert_int_equal (s_inspect ("1-1-102", "water stain on the ceiling", NULL), KF__REPLY_STATUS__REPLY_STATUS_OK);
    //  The cycle's deadline met, the next one's set (escalation holds them).
    assert_string_equal (s_events (), "unit.inspected deadline.met deadline.set");
    l = s_ledger ();
    assert_false (l->units [0]->overdue);
    assert_int_equal (l->units [0]->last_inspected, 20261202);
    assert_int_equal (l->units [0]->next_due, 20270102);
    assert_int_equal (l->units [0]->inspections, 1);
    //  Bad input: a unit not vacant, a phone that is not one.
    assert_int_equal (s_inspect ("1-1-101", NULL, NULL), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);
    assert_int_equal (s_inspect ("1-1-102", "x", "12ab"), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    //  Handed over: out of the ledger, and its old timer fires for nothing.
    Kf__Handover h = KF__HANDOVER__INIT;
    h.estate = "E001";
    h.unit = "1-1-102";
    Kf__MoveIn q = KF__MOVE_IN__INIT;
    q.handover = &h;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_MOVE_IN;
    request.move_in = &q;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (s_ledger ()->n_units, 0);
    s_events ();
    w.now = kf_test_at ("2027-01-05 09:00");
    s_tick ();
    assert_null (strstr (s_events (), "unit.inspection_overdue"));
}

//  The cycle: monthly (the same day, or the month's last), weekly, N days.
static void
test_inspection_cycles (void **state)
{
    (void) state;
    kf_err_t err;
    registry_cycle_t c;
    assert_int_equal (registry_cycle_parse ("monthly", &c, &err), 0);
    assert_true (c.monthly);
    assert_int_equal (registry_cycle_parse ("weekly", &c, &err), 0);
    assert_int_equal (c.days, 7);
    assert_int_equal (registry_cycle_parse ("14d", &c, &err), 0);
    assert_int_equal (c.days, 14);
    assert_int_equal (registry_cycle_parse ("fortnightly", &c, &err), -1);
    assert_int_equal (registry_cycle_parse ("0d", &c, &err), -1);
    assert_int_equal (registry_cycle_parse ("14", &c, &err), -1);
}

//  Issue 22.2 and 22.6: the desk's news of a unit stands on its page:
//  what is out to its people, its last interviews and communications.
static void
test_the_desk_news_on_the_unit_page (void **state)
{
    (void) state;
    assert_int_equal (s_import ("E001", s_units_csv), KF__REPLY_STATUS__REPLY_STATUS_OK);
    Kf__Loan loan = KF__LOAN__INIT;
    loan.loan_id = "E001-L20261101-0001";
    loan.unit = "1-1-101";
    loan.person = "Zhang, San";
    loan.tag = "K-1-1-101";
    loan.phone = "13800000001";
    KF_SET (&loan, kind, KF__LOAN_KIND__LOAN_KIND_KEY);
    KF_SET (&loan, status, KF__LOAN_STATUS__LOAN_STATUS_OUT);
    Kf__DeskLent lent = KF__DESK_LENT__INIT;
    lent.loan = &loan;
    Kf__Envelope e = KF__ENVELOPE__INIT;
    e.body_case = KF__ENVELOPE__BODY_DESK_LENT;
    e.desk_lent = &lent;
    s_consume ("E001", &e);
    Kf__Communication talk = KF__COMMUNICATION__INIT;
    talk.communication_id = "E001-C20261101-0001";
    talk.unit = "1-1-101";
    talk.person = "Zhang, San";
    talk.summary = "asked about the lift works";
    KF_SET (&talk, at_ms, w.now);
    Kf__DeskCommunication said = KF__DESK_COMMUNICATION__INIT;
    said.communication = &talk;
    e = (Kf__Envelope) KF__ENVELOPE__INIT;
    e.body_case = KF__ENVELOPE__BODY_DESK_COMMUNICATED;
    e.desk_communicated = &said;
    s_consume ("E001", &e);
    assert_int_equal (s_lookup ("E001", KF__ROLE__ROLE_FRONT_DESK, "E001", NULL, "1-1-101"), KF__REPLY_STATUS__REPLY_STATUS_OK);
    const Kf__CallerUnit *cu = w.reply.caller_lookup->units [0];
    assert_int_equal (cu->n_loans_out, 1);
    assert_string_equal (cu->loans_out [0]->tag, "K-1-1-101");
    assert_string_equal (cu->loans_out [0]->phone, "13800000001");
    assert_int_equal (cu->n_communications, 1);
    assert_string_equal (cu->communications [0]->summary, "asked about the lift works");
    //  The group sees the phone masked.
    assert_int_equal (s_lookup (NULL, KF__ROLE__ROLE_MANAGER, "E001", NULL, "1-1-101"), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (w.reply.caller_lookup->units [0]->loans_out [0]->phone, "138****0001");
    //  Back: no longer out.
    KF_SET (&loan, status, KF__LOAN_STATUS__LOAN_STATUS_RETURNED);
    Kf__DeskReturned back = KF__DESK_RETURNED__INIT;
    back.loan = &loan;
    e = (Kf__Envelope) KF__ENVELOPE__INIT;
    e.body_case = KF__ENVELOPE__BODY_DESK_RETURNED;
    e.desk_returned = &back;
    s_consume ("E001", &e);
    assert_int_equal (s_lookup ("E001", KF__ROLE__ROLE_FRONT_DESK, "E001", NULL, "1-1-101"), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.caller_lookup->units [0]->n_loans_out, 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_import_all_or_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_lookup_by_phone_and_unit, s_setup, s_teardown),
        cmocka_unit_test (test_phone_mask),
        cmocka_unit_test_setup_teardown (test_households, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_handover_let_and_move_out, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_monthly_lists_catch_up, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_vacant_units_inspected_monthly, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_the_desk_news_on_the_unit_page, s_setup, s_teardown),
        cmocka_unit_test (test_inspection_cycles),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
