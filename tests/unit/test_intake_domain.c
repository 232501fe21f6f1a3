/*  Unit tests: intake's domain logic over a real store and outbox, without
    sockets: priority rules, field checks, ticket numbers per estate and
    local day, idempotency, timelines from other services' events, and the
    reopening after an unsatisfied return visit.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../services/intake/intake_private.h"
#include "kf_commands.h"
#include "kf_filing.h"
#include "kf_test.h"
#include "kf_test_world.h"
#include "kf_field.h"
#include "kf_time.h"

static const char *s_config_text =
    "bus\n    publish = ipc://x/in\n    subscribe = ipc://x/out\n"
    "estates\n"
    "    E001\n        name = one\n"
    "    W9\n        name = west\n        utc_offset = -05:00\n"
    "        priority\n            urgent = category:noise\n            low = none\n"
    "        registry\n            check_units = false\n"   //  its register is being loaded
    "    E003\n        name = edge\n        intake = intake@edge3\n"
    //  An estate whose rules forget life safety (issue 15.1).
    "    E004\n        name = lax\n"
    "        priority\n            emergency = category:gas\n            urgent = none\n            low = type:emergency_help\n";

typedef struct {
    kf_test_world_t base;    //  config, store, outbox, arena, events
    intake_t *intake;
    int64_t now;
    Kf__Request *request;
    Kf__Reply reply;
    Kf__Envelope *event;
} s_world_t;

static s_world_t w;

static int
s_setup (void **state)
{
    if (kf_test_dir_setup (state))
        return -1;
    const char *tables [] = { INTAKE_TABLES, NULL };
    memset (&w, 0, sizeof w);
    kf_test_world_config (&w.base, s_config_text);
    kf_test_world_open (&w.base, tables, "intake@c1", "intake@c1/E001", NULL);
    w.intake = intake_new (w.base.config, "intake@c1", NULL);
    assert_non_null (w.intake);
    intake_set_outbox (w.intake, w.base.outbox);
    kf_time_parse ("2026-11-23T15:59:00Z", 0, &w.now, NULL);   //  23:59 in E001 (+08:00)
    return 0;
}

static int
s_teardown (void **state)
{
    intake_destroy (&w.intake);
    kf_test_world_close (&w.base);
    return kf_test_dir_teardown (state);
}

static int
s_request_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    kf_test_reply_ok (&w.reply);
    return intake_handle_request (w.intake, txn, w.now, w.request, &w.reply, w.base.arena);
}

//  One request in its own transaction, as kf_commands runs it.
static Kf__ReplyStatus
s_do (Kf__Request *request)
{
    kf_arena_reset (w.base.arena);
    w.request = request;
    kf_err_t err;
    kf_store_write (w.base.store, s_request_txn, NULL, &err);
    return w.reply.status;
}

static Kf__FileTicket
s_filing (const char *estate, const char *key)
{
    return kf_filing (estate, key, "tap drips");
}

static Kf__ReplyStatus
s_file (Kf__FileTicket *f, char *ticket_no, size_t size)
{
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_FILE_TICKET;
    request.file_ticket = f;
    request.actor = "alice";
    Kf__ReplyStatus status = s_do (&request);
    if (status == KF__REPLY_STATUS__REPLY_STATUS_OK && ticket_no)
        snprintf (ticket_no, size, "%s", w.reply.ticket->ticket_no);
    return status;
}

static void
test_priority_rules (void **state)
{
    (void) state;
    Kf__FileTicket f = s_filing ("E001", "k");
    assert_int_equal (intake_priority (w.intake, "E001", &f), KF__PRIORITY__PRIORITY_NORMAL);
    Kf__Hazard trapped [] = { KF__HAZARD__HAZARD_NO_WATER, KF__HAZARD__HAZARD_PERSON_TRAPPED };
    f.hazards = trapped;
    f.n_hazards = 2;
    //  The first level that matches wins: trapped is an emergency, no water urgent.
    assert_int_equal (intake_priority (w.intake, "E001", &f), KF__PRIORITY__PRIORITY_EMERGENCY);
    f.n_hazards = 1;
    assert_int_equal (intake_priority (w.intake, "E001", &f), KF__PRIORITY__PRIORITY_URGENT);
    f.n_hazards = 0;
    f.category = KF__CATEGORY__CATEGORY_GAS;
    assert_int_equal (intake_priority (w.intake, "E001", &f), KF__PRIORITY__PRIORITY_EMERGENCY);
    f.category = KF__CATEGORY__CATEGORY_LIFT;
    assert_int_equal (intake_priority (w.intake, "E001", &f), KF__PRIORITY__PRIORITY_URGENT);
    f.category = KF__CATEGORY__CATEGORY_NOISE;
    f.type = KF__TICKET_TYPE__TICKET_TYPE_SUGGESTION;
    assert_int_equal (intake_priority (w.intake, "E001", &f), KF__PRIORITY__PRIORITY_LOW);
    //  W9 replaces urgent and low; emergency stays the group's.
    assert_int_equal (intake_priority (w.intake, "W9", &f), KF__PRIORITY__PRIORITY_URGENT);
    f.category = KF__CATEGORY__CATEGORY_FIRE_SAFETY;
    assert_int_equal (intake_priority (w.intake, "W9", &f), KF__PRIORITY__PRIORITY_EMERGENCY);
    f.category = KF__CATEGORY__CATEGORY_OTHER;
    assert_int_equal (intake_priority (w.intake, "W9", &f), KF__PRIORITY__PRIORITY_NORMAL);
    //  Life safety is an emergency whatever an estate's rules say: a call
    //  for help, and each life-safety hazard; a lack of water is not one.
    f.type = KF__TICKET_TYPE__TICKET_TYPE_EMERGENCY_HELP;
    assert_int_equal (intake_priority (w.intake, "E004", &f), KF__PRIORITY__PRIORITY_EMERGENCY);
    f.type = KF__TICKET_TYPE__TICKET_TYPE_REPAIR;
    const Kf__Hazard life [] = { KF__HAZARD__HAZARD_PERSON_TRAPPED, KF__HAZARD__HAZARD_GAS_SMELL,
                                 KF__HAZARD__HAZARD_SMOKE_OR_FIRE, KF__HAZARD__HAZARD_ELECTRICAL_DANGER,
                                 KF__HAZARD__HAZARD_LEAK_INTO_HOME, KF__HAZARD__HAZARD_INJURY };
    for (size_t i = 0; i < sizeof life / sizeof life [0]; i++) {
        f.hazards = (Kf__Hazard *) &life [i];
        f.n_hazards = 1;
        assert_int_equal (intake_priority (w.intake, "E004", &f), KF__PRIORITY__PRIORITY_EMERGENCY);
    }
    Kf__Hazard dry [] = { KF__HAZARD__HAZARD_NO_WATER };
    f.hazards = dry;
    assert_int_equal (intake_priority (w.intake, "E004", &f), KF__PRIORITY__PRIORITY_NORMAL);
}

static void
test_field_checks (void **state)
{
    (void) state;
    const char *units_ok [] = { "3-2-1502", "A3-1-B201", "1-1-1", "12345678-1-1", NULL };
    const char *units_bad [] = { "3-2", "3-2-1-1", "3--1", "-2-1", "3-2-", "3-2-1502 ", "3/2/1502",
                                 "123456789-1-1", "", "3-2-１", NULL };
    for (int i = 0; units_ok [i]; i++)
        assert_true (kf_unit_valid (units_ok [i]));
    for (int i = 0; units_bad [i]; i++)
        if (kf_unit_valid (units_bad [i]))
            fail_msg ("unit '%s' accepted", units_bad [i]);
    assert_true (kf_phone_valid ("13800000000"));
    assert_true (kf_phone_valid ("+8613800000000"));
    assert_true (kf_phone_valid ("12345"));
    assert_false (kf_phone_valid ("1234"));
    assert_false (kf_phone_valid ("+"));
    assert_false (kf_phone_valid ("138 0000 0000"));
    assert_false (kf_phone_valid ("++8613800000000"));
    assert_false (kf_phone_valid ("123456789012345678901"));
    //  The URLs a photo, a plan or evidence may be (intake's and the desk's).
    assert_true (kf_url_valid ("https://img.example/a.jpg", 40));
    assert_true (kf_url_valid ("http://img.example/a.jpg", 40));
    assert_false (kf_url_valid ("ftp://img.example/a.jpg", 40));
    assert_false (kf_url_valid ("https://img.example/a b.jpg", 40));
    assert_false (kf_url_valid ("https://img.example/a.jpg\n", 40));
    assert_false (kf_url_valid ("https://img.example/a-long-name.jpg", 20));
    assert_false (kf_url_valid (NULL, 40));
}

static void
test_numbers_per_estate_and_local_day (void **state)
{
    (void) state;
    char no [64];
    Kf__FileTicket a = s_filing ("E001", "a"), b = s_filing ("E001", "b"), c = s_filing ("W9", "c");
    assert_int_equal (s_file (&a, no, sizeof no), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (no, "E001-20261123-0001");
    assert_int_equal (s_file (&c, no, sizeof no), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (no, "W9-20261123-0001");       //  10:59 in W9, same date
    w.now += 60000;                                     //  00:00 on the 24th in E001
    assert_int_equal (s_file (&b, no, sizeof no), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (no, "E001-20261124-0001");
    //  The retry of "a" the next day: the same ticket, nothing new.
    assert_int_equal (s_file (&a, no, sizeof no), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (no, "E001-20261123-0001");
    //  Another instance's estate is refused.
    Kf__FileTicket e = s_filing ("E003", "e");
    assert_int_equal (s_file (&e, NULL, 0), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_non_null (strstr (w.reply.error, "E003 is filed by intake@edge3, not by intake@c1"));
}

//  The estate guard (kf_request_sees): a caller bound to an estate files,
//  shows and lists its estate only; another's ticket is not found.
static void
test_a_scoped_caller_sees_its_estate_only (void **state)
{
    (void) state;
    char mine [64], theirs [64];
    Kf__FileTicket a = s_filing ("E001", "guard-a"), b = s_filing ("W9", "guard-b");
    assert_int_equal (s_file (&a, mine, sizeof mine), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (s_file (&b, theirs, sizeof theirs), KF__REPLY_STATUS__REPLY_STATUS_OK);
    Kf__ShowTicket show = KF__SHOW_TICKET__INIT;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_SHOW_TICKET;
    request.show_ticket = &show;
    request.scope = "E001";
    show.ticket_no = mine;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    show.ticket_no = theirs;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    //  A list without an estate is the scope's; naming another is refused.
    Kf__ListTickets list = KF__LIST_TICKETS__INIT;
    request.command_case = KF__REQUEST__COMMAND_LIST_TICKETS;
    request.list_tickets = &list;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    for (size_t i = 0; i < w.reply.tickets->n_tickets; i++)
        assert_string_equal (w.reply.tickets->tickets [i]->estate, "E001");
    list.estate = "W9";
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    //  Filing for another estate is refused too.
    Kf__FileTicket c = s_filing ("W9", "guard-c");
    request.command_case = KF__REQUEST__COMMAND_FILE_TICKET;
    request.file_ticket = &c;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
}

//  An owner (ROLE_OWNER, bound to W9 3-2-1502) files through the owners'
//  page for their own unit, and sees their own unit's cases alone.
static void
test_an_owner_sees_their_own_unit_only (void **state)
{
    (void) state;
    char neighbours [64], mine [64];
    Kf__FileTicket other = s_filing ("W9", "owner-other");
    other.unit = "3-2-1501";
    assert_int_equal (s_file (&other, neighbours, sizeof neighbours), KF__REPLY_STATUS__REPLY_STATUS_OK);
    Kf__Request request = KF__REQUEST__INIT;
    request.scope = "W9";
    request.unit = "3-2-1502";
    request.actor = "owner";
    KF_SET (&request, role, KF__ROLE__ROLE_OWNER);
    request.command_case = KF__REQUEST__COMMAND_FILE_TICKET;
    Kf__FileTicket f = s_filing ("W9", "owner-mine");
    request.file_ticket = &f;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);   //  not "by phone"
    f.channel = KF__CHANNEL__CHANNEL_APP_WEB;
    f.unit = "3-2-1501";
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);     //  not their unit
    f.unit = "3-2-1502";
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    snprintf (mine, sizeof mine, "%s", w.reply.ticket->ticket_no);
    //  The neighbour's case is not found, as another estate's would not be.
    Kf__ShowTicket show = KF__SHOW_TICKET__INIT;
    request.command_case = KF__REQUEST__COMMAND_SHOW_TICKET;
    request.show_ticket = &show;
    show.ticket_no = neighbours;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    show.ticket_no = mine;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_true (w.reply.ticket->n_timeline > 0);
    //  Shown as an owner sees a unit's case: the reporter masked, the
    //  timeline without the staff's words and names.
    assert_string_equal (w.reply.ticket->filed->reporter_phone, "138****0000");
    assert_string_equal (w.reply.ticket->filed->reporter_name, "张*");
    assert_null (w.reply.ticket->timeline [0]->summary);
    assert_null (w.reply.ticket->timeline [0]->actor);
    //  A list is of their unit, or refused.
    Kf__ListTickets list = KF__LIST_TICKETS__INIT;
    request.command_case = KF__REQUEST__COMMAND_LIST_TICKETS;
    request.list_tickets = &list;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    list.unit = "3-2-1501";
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    list.unit = "3-2-1502";
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.tickets->total, 1);
    assert_string_equal (w.reply.tickets->tickets [0]->ticket_no, mine);
    assert_string_equal (w.reply.tickets->tickets [0]->filed->reporter_phone, "138****0000");
    //  A key reused with other details names no other case to an owner.
    request.command_case = KF__REQUEST__COMMAND_FILE_TICKET;
    Kf__FileTicket reused = s_filing ("W9", "owner-other");
    reused.channel = KF__CHANNEL__CHANNEL_APP_WEB;
    request.file_ticket = &reused;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_CONFLICT);
    assert_null (strstr (w.reply.error, neighbours));
    request.command_case = KF__REQUEST__COMMAND_LIST_TICKETS;
    request.list_tickets = &list;
    //  Staff of the estate see both.
    request.role = KF__ROLE__ROLE_FRONT_DESK;
    request.unit = NULL;
    list.unit = NULL;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.tickets->total, 2);
}

//  A list's total and the page, as the list command answers them.
static uint64_t
s_total (Kf__TicketStatus status, int64_t from, int64_t to, const char *token, char *next, size_t size)
{
    Kf__TimeRange filed = KF__TIME_RANGE__INIT;
    if (from)
        KF_SET (&filed, from_ms, from);
    if (to)
        KF_SET (&filed, to_ms, to);
    Kf__PageRequest page = KF__PAGE_REQUEST__INIT;
    KF_SET (&page, page_size, 3);
    page.page_token = (char *) token;
    Kf__ListTickets list = KF__LIST_TICKETS__INIT;
    list.estate = "W9";
    list.filed = &filed;
    list.page = &page;
    if (status)
        KF_SET (&list, status, status);
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_LIST_TICKETS;
    request.list_tickets = &list;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    if (next)
        snprintf (next, size, "%s", w.reply.tickets->next_page_token ? w.reply.tickets->next_page_token : "");
    return w.reply.tickets->total;
}

static int
s_forget_tallies_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) txn; (void) value;
    zlistx_add_end (arg, zframe_new (key.data, key.size));
    return 0;
}

//  A store from before the tallies: its status index and tallies gone.
static int
s_forget_tallies_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    intake_tables (w.intake, txn);
    kf_table_t tables [] = { w.intake->by_status, w.intake->tallies };
    for (int t = 0; t < 2; t++) {
        zlistx_t *keys = zlistx_new ();
        zlistx_set_destructor (keys, (zlistx_destructor_fn *) zframe_destroy);
        kf_txn_scan (txn, tables [t], NULL, s_forget_tallies_row, keys);
        for (zframe_t *f = zlistx_first (keys); f; f = zlistx_next (keys)) {
            kf_key_t key = { .size = zframe_size (f) };
            memcpy (key.data, zframe_data (f), key.size);
            kf_txn_del (txn, tables [t], &key);
        }
        zlistx_destroy (&keys);
    }
    return 0;
}

static int
s_build_txn (kf_txn_t *txn, void *arg)
{
    return intake_tally_build (w.intake, txn, arg);
}

//  A list's total comes from the tallies of whole days and the index at
//  the part-days (issue 25.3): the same as counting, for every status and
//  period, across closes and cancels; its pages from the status index.
//  And a store from before them gets them built once.
static void
test_list_totals_from_the_tallies (void **state)
{
    (void) state;
    const int64_t day = 86400000;
    int64_t start = w.now, at [12];
    uint64_t built = 0;
    char numbers [12][64];
    for (int i = 0; i < 12; i++) {
        w.now = start + i * (day / 3);   //  three a day, over four days
        at [i] = w.now;
        char key [32];
        snprintf (key, sizeof key, "tally-%d", i);
        Kf__FileTicket f = s_filing ("W9", key);
        assert_int_equal (s_file (&f, numbers [i], sizeof numbers [i]), KF__REPLY_STATUS__REPLY_STATUS_OK);
    }
    //  Closed: 0, 3, 6, 9; cancelled: 1; the others open.
    for (int i = 0; i < 12; i += 3) {
        Kf__CloseTicket close = KF__CLOSE_TICKET__INIT;
        close.ticket_no = numbers [i];
        close.resolution = "fixed";
        Kf__Request request = KF__REQUEST__INIT;
        request.command_case = KF__REQUEST__COMMAND_CLOSE_TICKET;
        request.close_ticket = &close;
        request.actor = "alice";
        assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    }
    Kf__CancelTicket cancel = KF__CANCEL_TICKET__INIT;
    cancel.ticket_no = numbers [1];
    cancel.reason = "twice";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_CANCEL_TICKET;
    request.cancel_ticket = &cancel;
    request.actor = "sup";
    KF_SET (&request, role, KF__ROLE__ROLE_SUPERVISOR);
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    Kf__TicketStatus of [12];
    for (int i = 0; i < 12; i++)
        of [i] = i == 1 ? KF__TICKET_STATUS__TICKET_STATUS_CANCELLED
               : i % 3 == 0 ? KF__TICKET_STATUS__TICKET_STATUS_CLOSED : KF__TICKET_STATUS__TICKET_STATUS_OPEN;
    const Kf__TicketStatus statuses [] = { 0, KF__TICKET_STATUS__TICKET_STATUS_OPEN,
                                           KF__TICKET_STATUS__TICKET_STATUS_CLOSED,
                                           KF__TICKET_STATUS__TICKET_STATUS_CANCELLED };
    //  The start's build after saves that ran ahead of it (a recovery from
    //  the archive does): each ticket counted once, not twice.
    kf_store_write (w.base.store, s_build_txn, &built, NULL);
    assert_int_equal (built, 12);
    const int64_t froms [] = { 0, at [2], at [2] + 1, start - day, at [5] };
    const int64_t tos [] = { 0, at [9], at [9] + 1, at [11] + day, at [6] };
    for (int round = 0; round < 2; round++) {
        for (size_t s = 0; s < 4; s++)
            for (size_t r = 0; r < sizeof froms / sizeof froms [0]; r++) {
                uint64_t want = 0;
                for (int i = 0; i < 12; i++)
                    want += (!statuses [s] || of [i] == statuses [s]) && (!froms [r] || at [i] >= froms [r])
                         && (!tos [r] || at [i] < tos [r]);
                if (s_total (statuses [s], froms [r], tos [r], NULL, NULL, 0) != want)
                    fail_msg ("status %d, range %zu: total %" PRIu64 ", not %" PRIu64, statuses [s], r,
                              w.reply.tickets->total, want);
            }
        if (round == 1)
            break;
        //  Built at the start, not again; a store from before them (the
        //  index and tallies gone) gets them, once, and the same totals.
        kf_store_write (w.base.store, s_build_txn, &built, NULL);
        assert_int_equal (built, 0);
        kf_store_write (w.base.store, s_forget_tallies_txn, NULL, NULL);
        assert_int_equal (s_total (KF__TICKET_STATUS__TICKET_STATUS_OPEN, 0, 0, NULL, NULL, 0), 0);
        kf_store_write (w.base.store, s_build_txn, &built, NULL);
        assert_int_equal (built, 12);
    }
    //  The open ones, newest first, a page at a time: 11, 10, 8 | 7, 5, 4 | 2.
    char next [256], token [256];
    assert_int_equal (s_total (KF__TICKET_STATUS__TICKET_STATUS_OPEN, 0, 0, NULL, next, sizeof next), 7);
    assert_string_equal (w.reply.tickets->tickets [0]->ticket_no, numbers [11]);
    assert_string_equal (w.reply.tickets->tickets [2]->ticket_no, numbers [8]);
    snprintf (token, sizeof token, "%s", next);
    s_total (KF__TICKET_STATUS__TICKET_STATUS_OPEN, 0, 0, token, next, sizeof next);
    assert_int_equal (w.reply.tickets->n_tickets, 3);
    assert_string_equal (w.reply.tickets->tickets [0]->ticket_no, numbers [7]);
    snprintf (token, sizeof token, "%s", next);
    s_total (KF__TICKET_STATUS__TICKET_STATUS_OPEN, 0, 0, token, next, sizeof next);
    assert_int_equal (w.reply.tickets->n_tickets, 1);
    assert_string_equal (w.reply.tickets->tickets [0]->ticket_no, numbers [2]);
    assert_string_equal (next, "");
}

static int
s_event_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    return intake_apply_event (w.intake, txn, w.now, w.event);
}

static void
test_timeline_and_unsatisfied_visit (void **state)
{
    (void) state;
    char no [64];
    Kf__FileTicket a = s_filing ("E001", "a");
    assert_int_equal (s_file (&a, no, sizeof no), KF__REPLY_STATUS__REPLY_STATUS_OK);
    //  Dispatch assigned it; survey found the owner unsatisfied after the close.
    Kf__OrderAssigned assigned = KF__ORDER_ASSIGNED__INIT;
    assigned.order_no = "W1";
    assigned.ticket_no = no;
    assigned.staff_name = "李师傅";
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.estate = "E001";
    event.event_id = "0123456789abcdef0123456789abcdef";
    event.occurred_at_ms = w.now + 1000;
    event.has_occurred_at_ms = 1;
    event.body_case = KF__ENVELOPE__BODY_ORDER_ASSIGNED;
    event.order_assigned = &assigned;
    w.event = &event;
    assert_int_equal (kf_store_write (w.base.store, s_event_txn, NULL, NULL), 0);
    Kf__CloseTicket close = KF__CLOSE_TICKET__INIT;
    close.ticket_no = no;
    close.resolution = "fixed";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_CLOSE_TICKET;
    request.close_ticket = &close;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    Kf__VisitUnsatisfied unsatisfied = KF__VISIT_UNSATISFIED__INIT;
    unsatisfied.ticket_no = no;
    unsatisfied.comment = "still drips";
    event.body_case = KF__ENVELOPE__BODY_VISIT_UNSATISFIED;
    event.visit_unsatisfied = &unsatisfied;
    event.occurred_at_ms = w.now + 5000;
    w.now += 10000;
    assert_int_equal (kf_store_write (w.base.store, s_event_txn, NULL, NULL), 0);
    //  An event of a ticket intake does not hold changes nothing.
    unsatisfied.ticket_no = "E001-20200101-0001";
    assert_int_equal (kf_store_write (w.base.store, s_event_txn, NULL, NULL), 0);

    Kf__ShowTicket show = KF__SHOW_TICKET__INIT;
    show.ticket_no = no;
    request.command_case = KF__REQUEST__COMMAND_SHOW_TICKET;
    request.show_ticket = &show;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    const Kf__Ticket *t = w.reply.ticket;
    assert_int_equal (t->status, KF__TICKET_STATUS__TICKET_STATUS_OPEN);
    assert_int_equal (t->reopen_count, 1);
    const char *kinds [] = { "ticket.filed", "ticket.closed", "order.assigned", "visit.unsatisfied", "ticket.reopened" };
    assert_int_equal (t->n_timeline, 5);
    //  Oldest first by when it happened: the assignment (now + 1 s) after
    //  the close (now), though it was written before it.
    for (size_t i = 0; i < 5; i++)
        assert_string_equal (t->timeline [i]->kind, kinds [i]);
    assert_non_null (strstr (t->timeline [2]->summary, "staff_name=李师傅"));
    assert_null (strstr (t->timeline [2]->summary, "ticket_no"));
    assert_string_equal (t->timeline [2]->event_id, "0123456789abcdef0123456789abcdef");
}

//  The registry's announcements, as the bus hands them to intake.
static void
s_registered (const char *estate, const char *unit, const char *owner, const char *phone)
{
    Kf__Unit u = KF__UNIT__INIT;
    u.unit = (char *) unit;
    u.estate = (char *) estate;
    Kf__UnitRegistered registered = KF__UNIT_REGISTERED__INIT;
    registered.unit = &u;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.estate = (char *) estate;
    event.body_case = KF__ENVELOPE__BODY_UNIT_REGISTERED;
    event.unit_registered = &registered;
    w.event = &event;
    assert_int_equal (kf_store_write (w.base.store, s_event_txn, NULL, NULL), 0);
    if (!owner)
        return;
    char *phones [] = { (char *) phone };
    Kf__Person person = KF__PERSON__INIT;
    person.name = (char *) owner;
    KF_SET (&person, role, KF__PERSON_ROLE__PERSON_ROLE_OWNER);
    person.phones = phones;
    person.n_phones = phone ? 1 : 0;
    Kf__Person *people [] = { &person };
    Kf__HouseholdFile h = KF__HOUSEHOLD_FILE__INIT;
    h.estate = (char *) estate;
    h.unit = (char *) unit;
    h.people = people;
    h.n_people = 1;
    Kf__HouseholdRegistered hr = KF__HOUSEHOLD_REGISTERED__INIT;
    hr.household = &h;
    event.body_case = KF__ENVELOPE__BODY_HOUSEHOLD_REGISTERED;
    event.household_registered = &hr;
    assert_int_equal (kf_store_write (w.base.store, s_event_txn, NULL, NULL), 0);
}

//  Issue 21.2: once an estate's register holds units, intake files only
//  for those (unless the estate switched the check off); a filing without
//  a unit takes the one its reporter's phone belongs to, and the name.
static void
test_units_the_register_holds (void **state)
{
    (void) state;
    char no [64];
    //  No register yet: any well-formed unit.
    Kf__FileTicket f = s_filing ("E001", "r1");
    f.unit = "5-1-817";
    assert_int_equal (s_file (&f, no, sizeof no), KF__REPLY_STATUS__REPLY_STATUS_OK);
    s_registered ("E001", "3-2-1502", "Zhang San", "13800000000");
    s_registered ("E001", "3-2-1503", "Li Si", "13900000000");
    s_registered ("E001", "3-2-1504", "Li Si", "13900000000");
    //  Now an unknown unit is refused, a known one filed.
    f.idempotency_key = "r2";
    assert_int_equal (s_file (&f, no, sizeof no), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_string_equal (w.reply.error, "no unit 5-1-817 in E001");
    f.unit = "3-2-1502";
    assert_int_equal (s_file (&f, no, sizeof no), KF__REPLY_STATUS__REPLY_STATUS_OK);
    //  No unit, no name: the phone's.
    f.idempotency_key = "r3";
    f.unit = NULL;
    f.reporter_name = NULL;
    assert_int_equal (s_file (&f, no, sizeof no), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (w.reply.ticket->filed->unit, "3-2-1502");
    assert_string_equal (w.reply.ticket->filed->reporter_name, "Zhang San");
    //  A phone of two units, or of none: the unit is needed.
    f.idempotency_key = "r4";
    f.reporter_phone = "13900000000";
    assert_int_equal (s_file (&f, no, sizeof no), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_string_equal (w.reply.error, "unit is required: phone 13900000000 is registered at several units of E001");
    f.reporter_phone = "13700000000";
    assert_int_equal (s_file (&f, no, sizeof no), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_string_equal (w.reply.error, "unit is required: phone 13700000000 is not in E001's register");
    //  A new household: the old owner's phone no longer finds the unit.
    s_registered ("E001", "3-2-1502", "Wang Wu", "13600000000");
    f.reporter_phone = "13800000000";
    assert_int_equal (s_file (&f, no, sizeof no), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    f.reporter_phone = "13600000000";
    assert_int_equal (s_file (&f, no, sizeof no), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (w.reply.ticket->filed->reporter_name, "Wang Wu");
    //  A unit given, the name not: the name the register has for the phone there.
    f.unit = "3-2-1502";
    f.idempotency_key = "r5";
    assert_int_equal (s_file (&f, no, sizeof no), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_string_equal (w.reply.ticket->filed->reporter_name, "Wang Wu");
    //  Nobody the register knows, no name: the name is needed.
    f.reporter_phone = "13500000000";
    f.idempotency_key = "r6";
    assert_int_equal (s_file (&f, no, sizeof no), KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST);
    assert_non_null (strstr (w.reply.error, "reporter_name is required"));
    //  W9 switched the check off while its register is loaded.
    s_registered ("W9", "1-1-101", NULL, NULL);
    Kf__FileTicket g = s_filing ("W9", "w1");
    g.unit = "5-1-817";
    assert_int_equal (s_file (&g, no, sizeof no), KF__REPLY_STATUS__REPLY_STATUS_OK);
}

//  Issue 20.2: the desk's list finds a caller's tickets by phone, by words
//  of the description, unit or reporter (any case), and the overdue ones
//  (a target missed, as escalation announced it).
static void
test_list_by_phone_text_and_overdue (void **state)
{
    (void) state;
    char leak [64], lift [64];
    Kf__FileTicket a = s_filing ("E001", "find-a"), b = s_filing ("E001", "find-b");
    a.description = "Kitchen tap drips 厨房漏水";
    b.description = "lift stuck on floor 9";
    b.reporter_phone = "13900000009";
    b.reporter_name = "王五";
    b.unit = "7-1-901";
    assert_int_equal (s_file (&a, leak, sizeof leak), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (s_file (&b, lift, sizeof lift), KF__REPLY_STATUS__REPLY_STATUS_OK);
    Kf__ListTickets list = KF__LIST_TICKETS__INIT;
    list.estate = "E001";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_LIST_TICKETS;
    request.list_tickets = &list;
    struct { const char *phone, *text; bool overdue; const char *only; } cases [] = {
        { "13900000009", NULL, false, lift }, { NULL, "KITCHEN", false, leak }, { NULL, "漏水", false, leak },
        { NULL, "7-1-9", false, lift }, { NULL, "王五", false, lift }, { NULL, "nothing like it", false, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        list.reporter_phone = (char *) cases [i].phone;
        list.text = (char *) cases [i].text;
        assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
        assert_int_equal (w.reply.tickets->total, cases [i].only ? 1 : 0);
        if (cases [i].only)
            assert_string_equal (w.reply.tickets->tickets [0]->ticket_no, cases [i].only);
    }
    list.reporter_phone = list.text = NULL;
    list.overdue = 1;
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.tickets->total, 0);
    Kf__SlaAlert breached = KF__SLA_ALERT__INIT;
    breached.ticket_no = lift;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.estate = "E001";
    event.event_id = "00112233445566778899aabbccddeeff";
    event.body_case = KF__ENVELOPE__BODY_SLA_BREACHED;
    event.sla_breached = &breached;
    w.event = &event;
    assert_int_equal (kf_store_write (w.base.store, s_event_txn, NULL, NULL), 0);
    assert_int_equal (s_do (&request), KF__REPLY_STATUS__REPLY_STATUS_OK);
    assert_int_equal (w.reply.tickets->total, 1);
    assert_string_equal (w.reply.tickets->tickets [0]->ticket_no, lift);
    assert_true (w.reply.tickets->tickets [0]->overdue);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_priority_rules, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_list_by_phone_text_and_overdue, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_field_checks, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_scoped_caller_sees_its_estate_only, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_an_owner_sees_their_own_unit_only, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_list_totals_from_the_tallies, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_numbers_per_estate_and_local_day, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_timeline_and_unsatisfied_visit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_units_the_register_holds, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
