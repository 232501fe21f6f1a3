/*  Unit tests: rounds (issue 23) in dispatch's domain logic over a real
    store and outbox, without sockets — checkpoints' text, plans from the
    configuration and their bad forms, rounds made by the timers across
    downtime (each slot once, in order), plans that run only while a
    renovation has work on, and a round walked with a finding.

    The calendar: National Day week 2026-10-01..07 is a holiday, Saturday
    2026-10-10 a make-up working day.
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
#include "kf_checks.h"
#include "kf_commands.h"
#include "kf_field.h"
#include "kf_test.h"
#include "kf_test_world.h"
#include "kf_time.h"

#define PLAN(id, body) "            " id "\n" body
#define FIELD(key, value) "                " key " = " value "\n"

static const char *s_head =
    "bus\n    publish = ipc://x/in\n    subscribe = ipc://x/out\n"
    "calendars\n    cn\n        holidays = 2026-10-01..2026-10-07\n        makeup_days = 2026-10-10\n"
    "estates\n"
    "    E001\n        name = one\n        calendar = cn\n"
    "        staff\n"
    "            T01\n                name = Fire\n                department = engineering\n"
    "                skills = fire_safety\n                shifts = \"daily 08:00-18:00\"\n"
    "                phone = 13900000001\n"
    "            T02\n                name = Pipes\n                department = engineering\n"
    "                skills = plumbing\n                shifts = \"daily 08:00-18:00\"\n"
    "        plans\n";

static const char *s_fire =
    PLAN ("FIRE", FIELD ("name", "fire") FIELD ("department", "engineering") FIELD ("skill", "fire_safety")
          FIELD ("schedule", "\"daily 09:00\"") FIELD ("window", "2h")
          "                checkpoints\n"
          "                    pump\n"
          "                        name = pump\n"
          "                        area = 0-B1-PUMP\n"
          "                        items = \"yes_no: on auto; reading: pressure (MPa 0.3..1.2); photo: panel\"\n");

typedef struct {
    kf_test_world_t base;
    dispatch_t *dispatch;
    int64_t now;
    const Kf__Request *request;
    Kf__Reply reply;
    const Kf__Envelope *event;
} s_world_t;

static s_world_t w;

//  round.* events with their round's id, others by kind.
static void
s_describe (const Kf__Envelope *event, char *out, size_t size)
{
    char kind [64];
    kf_codec_event_kind (&event->base, kind, sizeof kind);
    const Kf__Round *round = NULL;
    if (event->body_case >= KF__ENVELOPE__BODY_ROUND_DUE && event->body_case <= KF__ENVELOPE__BODY_ROUND_MISSED)
        round = event->round_due->round;
    if (round)
        snprintf (out, size, "%s:%s", kind, round->round_id + strlen ("E001-"));
    else
    if (event->body_case == KF__ENVELOPE__BODY_ROUND_FINDING)
        snprintf (out, size, "%s:%s/%u", kind, event->round_finding->area, event->round_finding->index);
    else
        snprintf (out, size, "%s", kind);
}

static int
s_load_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    if (dispatch_load_staff (w.dispatch, txn, w.now) < 0)
        return -1;
    return dispatch_load_plans (w.dispatch, txn, w.now) < 0 ? -1 : 0;
}

//  A (re)start over the same store with these plans: 0, or -1 with the
//  reason the start failed in `err`.
static int
s_start (const char *plans, kf_err_t *err)
{
    char text [8192];
    snprintf (text, sizeof text, "%s%s", s_head, plans);
    dispatch_destroy (&w.dispatch);
    kf_test_world_config (&w.base, text);
    w.dispatch = dispatch_new (w.base.config, err);
    if (!w.dispatch)
        return -1;
    dispatch_set_outbox (w.dispatch, w.base.outbox);
    return kf_store_write (w.base.store, s_load_txn, NULL, err);
}

static int
s_setup (void **state)
{
    if (kf_test_dir_setup (state))
        return -1;
    const char *tables [] = { DISPATCH_TABLES, NULL };
    memset (&w, 0, sizeof w);
    kf_test_world_open (&w.base, tables, "dispatch@c1", "dispatch@c1/E001", s_describe);
    w.now = kf_test_at ("2026-11-23 08:00");   //  a Monday
    kf_err_t err;
    if (s_start (s_fire, &err))
        fail_msg ("%s", err.text);
    kf_test_events (&w.base.events);
    return 0;
}

static int
s_teardown (void **state)
{
    dispatch_destroy (&w.dispatch);
    kf_test_world_close (&w.base);
    return kf_test_dir_teardown (state);
}

static int
s_tick_txn (kf_txn_t *txn, void *arg)
{
    *(int *) arg = dispatch_rounds_tick (w.dispatch, txn, w.now);
    return *(int *) arg < 0 ? -1 : 0;
}

static int
s_tick (const char *at)
{
    w.now = kf_test_at (at);
    int fired = -1;
    assert_int_equal (kf_store_write (w.base.store, s_tick_txn, &fired, NULL), 0);
    return fired;
}

static const char *
s_events (void)
{
    return kf_test_events (&w.base.events);
}

static int
s_request_txn (kf_txn_t *txn, void *arg)
{
    (void) arg;
    kf_test_reply_ok (&w.reply);
    return dispatch_handle_request (w.dispatch, txn, w.now, w.request, &w.reply, w.base.arena);
}

static Kf__ReplyStatus
s_do (Kf__Request *request, const char *actor, Kf__Role role)
{
    kf_arena_reset (w.base.arena);
    request->actor = (char *) actor;
    KF_SET (request, role, role);
    request->scope = "E001";
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
s_renovation (Kf__Envelope__BodyCase kind)
{
    Kf__Renovation r = KF__RENOVATION__INIT;
    r.renovation_id = "E001-R20261123-0001";
    Kf__RenovationEvent body = KF__RENOVATION_EVENT__INIT;
    body.renovation = &r;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.estate = "E001";
    event.event_id = "0123456789abcdef0123456789abcdef";
    event.body_case = kind;
    event.renovation_started = &body;
    w.event = &event;
    assert_int_equal (kf_store_write (w.base.store, s_event_txn, NULL, NULL), 0);
}

#define OK       KF__REPLY_STATUS__REPLY_STATUS_OK
#define BAD      KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST
#define CONFLICT KF__REPLY_STATUS__REPLY_STATUS_CONFLICT
#define TECH     KF__ROLE__ROLE_TECHNICIAN

//  ---- checkpoints' text ------------------------------------------------------------------

static void
test_checkpoint_text (void **state)
{
    (void) state;
    kf_arena_t *arena = kf_arena_new ();
    Kf__Checkpoint cp = KF__CHECKPOINT__INIT;
    kf_err_t err;
    assert_int_equal (kf_checkpoint_parse ("泵房 pump | B1 | 0-B1-PUMP | yes_no: 自动 auto; "
                                           "reading: 压力 (MPa -0.5..1.25);photo: 控制柜 ", &cp, arena, &err), 0);
    assert_string_equal (cp.name, "泵房 pump");
    assert_string_equal (cp.area, "0-B1-PUMP");
    assert_int_equal (cp.n_items, 3);
    assert_int_equal (cp.items [1]->min_milli, -500);
    assert_int_equal (cp.items [1]->max_milli, 1250);
    char text [300];
    assert_string_equal (kf_check_items_format (&cp, text, sizeof text),
                         "yes_no: 自动 auto; reading: 压力 (MPa -0.5..1.25); photo: 控制柜");
    //  Its form read back is the same checkpoint.
    Kf__Checkpoint again = KF__CHECKPOINT__INIT;
    char line [400];
    snprintf (line, sizeof line, "泵房 pump | B1 | 0-B1-PUMP | %s", text);
    assert_int_equal (kf_checkpoint_parse (line, &again, arena, &err), 0);
    assert_int_equal (kf_codec_digest (&again.base), kf_codec_digest (&cp.base));
    static const struct { const char *text, *why; } bad [] = {
        { "a | | | ", "needs a check" },
        { "a | | | ;  ; ", "needs a check" },
        { "a | | | look: it", "not a kind of check" },
        { "a | | | reading: p (MPa 1.2..0.3)", "runs backwards" },
        { "a | | | reading: p (MPa 0.3333..1)", "at most three decimals" },
        { "a | | | reading: p (MPa 1 2)", "one unit, then a range" },
        { "a | | | yes_no:  ", "what to check is required" },
        { "a | | yes_no: x", "NAME | PLACE | AREA | ITEMS" },
        { " | | | yes_no: x", "its name is required" },
        { "a | | B1 | yes_no: x", "not a common area's unit code" },
        { "a | | 3-2-1502 | yes_no: x", "not a common area's unit code" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        Kf__Checkpoint x = KF__CHECKPOINT__INIT;
        assert_int_equal (kf_checkpoint_parse (bad [i].text, &x, arena, &err), -1);
        if (!strstr (err.text, bad [i].why))
            fail_msg ("'%s': '%s', not '%s'", bad [i].text, err.text, bad [i].why);
    }
    int64_t milli;
    assert_int_equal (kf_milli_parse ("12.5", &milli), 0);
    assert_int_equal (milli, 12500);
    assert_int_equal (kf_milli_parse ("1.", &milli), -1);
    assert_int_equal (kf_milli_parse ("", &milli), -1);
    assert_int_equal (kf_milli_parse ("99999999999999999", &milli), -1);
    kf_arena_destroy (&arena);
}

//  ---- plans from the configuration ------------------------------------------------------

static void
test_bad_plans_stop_the_start (void **state)
{
    (void) state;
    static const struct { const char *plan, *why; } bad [] = {
        { PLAN ("X", FIELD ("name", "x") FIELD ("department", "engineering")
                FIELD ("schedule", "\"weekly sun 09:00 working\"")
                "                checkpoints\n                    a\n                        name = a\n"
                "                        items = \"yes_no: x\"\n"), "estates/E001/plans/X: plan X: schedule 'weekly sun 09:00 working' never fires" },
        { PLAN ("X", FIELD ("name", "x") FIELD ("department", "engineering") FIELD ("schedule", "\"daily 09:00\"")
                "                checkpoints\n                    a\n                        name = a\n"
                "                        items = \" ; \"\n"), "checkpoints/a: a checkpoint needs a check" },
        { PLAN ("X", FIELD ("name", "x") FIELD ("department", "engineering") FIELD ("schedule", "\"daily 09:00\"")
                FIELD ("skill", "dancing")
                "                checkpoints\n                    a\n                        name = a\n"
                "                        items = \"yes_no: x\"\n"), "skill 'dancing' is not a category" },
        { PLAN ("X", FIELD ("name", "x") FIELD ("department", "engineering") FIELD ("schedule", "\"daily 25:00\"")
                "                checkpoints\n                    a\n                        name = a\n"
                "                        items = \"yes_no: x\"\n"), "plan X: schedule:" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        kf_err_t err;
        assert_int_equal (s_start (bad [i].plan, &err), -1);
        if (!strstr (err.text, bad [i].why))
            fail_msg ("plan %zu: '%s', not '%s'", i, err.text, bad [i].why);
    }
    //  A department the schema does not know stops the file's load.
    char text [4096];
    kf_err_t err;
    snprintf (text, sizeof text, "%s" PLAN ("X", FIELD ("name", "x") FIELD ("department", "plumbing")
                                          FIELD ("schedule", "\"daily 09:00\"")
                                          "                checkpoints\n                    a\n"
                                          "                        name = a\n                        items = \"yes_no: x\"\n"),
              s_head);
    kf_config_t *config = kf_config_load_text (text, "test", &err);
    assert_null (config);
    assert_non_null (strstr (err.text, "estates/E001/plans/X/department"));
    //  Nothing changed: the good plan is there and runs.
    assert_int_equal (s_start (s_fire, &err), 0);
    assert_string_equal (s_events (), "");
    assert_int_equal (s_tick ("2026-11-23 09:00"), 1);
    assert_string_equal (s_events (), "round.due:FIRE-20261123-0900 deadline.set");
}

//  A restart that edits a plan after its slot passed unmade (the daemon
//  was down at 09:00) still makes that slot's round; a plan's name of 64
//  Chinese characters is whole in the deadline's text (an event cut in the
//  middle of a character would not decode).
static void
test_a_changed_plan_still_owes_its_slot (void **state)
{
    (void) state;
    char changed [4096], name [64 * 3 + 1] = "";
    for (int i = 0; i < 64; i++)
        strcat (name, "巡");
    snprintf (changed, sizeof changed, "%s", s_fire);
    char *at = strstr (changed, "name = fire");
    assert_non_null (at);
    char rest [4096];
    snprintf (rest, sizeof rest, "%s", at + strlen ("name = fire"));
    snprintf (at, sizeof changed - (size_t) (at - changed), "name = \"%s\"%s", name, rest);
    w.now = kf_test_at ("2026-11-23 09:30");
    kf_err_t err;
    assert_int_equal (s_start (changed, &err), 0);
    assert_string_equal (s_events (), "round.planned");
    assert_int_equal (s_tick ("2026-11-23 09:30"), 1);
    assert_string_equal (s_events (), "round.due:FIRE-20261123-0900 deadline.set");
    //  A plan id reads one way in a round's id: no '-'.
    Kf__Plan plan = KF__PLAN__INIT;
    plan.plan_id = "A-B";
    Kf__AddPlan add = KF__ADD_PLAN__INIT;
    add.plan = &plan;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_ADD_PLAN;
    request.add_plan = &add;
    assert_int_equal (s_do (&request, "S01", KF__ROLE__ROLE_SUPERVISOR), BAD);
    assert_non_null (strstr (w.reply.error, "not a plan id"));
    //  Text cut by snprintf ends on a whole character.
    char cut [8] = "ab巡";   //  "ab", one whole character, one cut after its first byte
    cut [5] = (char) 0xe5;
    cut [6] = 0;
    assert_string_equal (kf_utf8_clip (cut, 100), "ab巡");
    assert_string_equal (kf_utf8_clip (cut, 2), "ab");
}

static void
test_the_file_wins_and_a_plan_left_out_is_paused (void **state)
{
    (void) state;
    Kf__SetPlan set = KF__SET_PLAN__INIT;
    set.plan_id = "FIRE";
    KF_SET (&set, paused, 1);
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_SET_PLAN;
    request.set_plan = &set;
    assert_int_equal (s_do (&request, "T01", TECH), KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_int_equal (s_do (&request, "S01", KF__ROLE__ROLE_SUPERVISOR), OK);
    assert_int_equal (s_do (&request, "S01", KF__ROLE__ROLE_SUPERVISOR), CONFLICT);
    assert_string_equal (s_events (), "round.planned");
    kf_err_t err;
    //  The same file: kefuctl's pause stands, no round at 09:00.
    assert_int_equal (s_start (s_fire, &err), 0);
    assert_int_equal (s_tick ("2026-11-23 09:00"), 0);
    //  The file changed: it wins (running, every day at 10:00).
    char changed [2048];
    snprintf (changed, sizeof changed, "%s", s_fire);
    char *at = strstr (changed, "09:00");
    memcpy (at, "10:00", 5);
    assert_int_equal (s_start (changed, &err), 0);
    assert_string_equal (s_events (), "round.planned");
    assert_int_equal (s_tick ("2026-11-23 10:00"), 1);
    assert_string_equal (s_events (), "round.due:FIRE-20261123-1000 deadline.set");
    //  Left out of the file: paused, its rounds kept.
    assert_int_equal (s_start ("", &err), 0);
    assert_string_equal (s_events (), "round.planned");
    assert_int_equal (s_tick ("2026-11-24 10:00"), 1);   //  the 23rd's round missed; no round on the 24th
    assert_string_equal (s_events (), "round.missed:FIRE-20261123-1000");
}

//  ---- rounds across downtime -------------------------------------------------------------

static void
test_each_slot_once_across_downtime (void **state)
{
    (void) state;
    //  Nothing before the first slot.
    assert_int_equal (s_tick ("2026-11-23 08:59"), 0);
    //  Down from Monday 08:59 to Thursday 12:00: every slot, in order, each
    //  missed (nobody named for a window already gone).
    assert_int_equal (s_tick ("2026-11-26 12:00"), 8);
    assert_string_equal (s_events (),
                         "round.due:FIRE-20261123-0900 deadline.set round.missed:FIRE-20261123-0900 "
                         "round.due:FIRE-20261124-0900 deadline.set round.missed:FIRE-20261124-0900 "
                         "round.due:FIRE-20261125-0900 deadline.set round.missed:FIRE-20261125-0900 "
                         "round.due:FIRE-20261126-0900 deadline.set round.missed:FIRE-20261126-0900");
    //  Again, and with the clock put back: nothing doubled.
    assert_int_equal (s_tick ("2026-11-26 12:00"), 0);
    assert_int_equal (s_tick ("2026-11-25 12:00"), 0);
    assert_string_equal (s_events (), "");
    //  A restart of the daemon changes nothing either.
    kf_err_t err;
    assert_int_equal (s_start (s_fire, &err), 0);
    assert_int_equal (s_tick ("2026-11-26 12:00"), 0);
    //  Friday's in its window goes to the one with the skill.
    assert_int_equal (s_tick ("2026-11-27 09:00"), 1);
    assert_string_equal (s_events (), "round.due:FIRE-20261127-0900 deadline.set");
    Kf__ShowRound show = KF__SHOW_ROUND__INIT;
    show.round_id = "E001-FIRE-20261127-0900";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_SHOW_ROUND;
    request.show_round = &show;
    assert_int_equal (s_do (&request, "S01", KF__ROLE__ROLE_SUPERVISOR), OK);
    assert_string_equal (w.reply.round->staff_id, "T01");
    assert_int_equal (w.reply.round->status, KF__ROUND_STATUS__ROUND_STATUS_ASSIGNED);
}

static void
test_only_while_a_renovation_is_on (void **state)
{
    (void) state;
    char plan [2048];
    snprintf (plan, sizeof plan, "%s%s", s_fire, FIELD ("while_renovation", "true"));
    //  A plan key after the checkpoints' lines: FIRE's own.
    kf_err_t err;
    assert_int_equal (s_start (plan, &err), 0);
    s_events ();
    assert_int_equal (s_tick ("2026-11-23 09:00"), 1);   //  the slot passes, no round
    assert_string_equal (s_events (), "");
    s_renovation (KF__ENVELOPE__BODY_RENOVATION_STARTED);
    assert_int_equal (s_tick ("2026-11-24 09:00"), 1);
    assert_string_equal (s_events (), "round.due:FIRE-20261124-0900 deadline.set");
    s_renovation (KF__ENVELOPE__BODY_RENOVATION_COMPLETED);
    assert_int_equal (s_tick ("2026-11-25 09:00"), 2);   //  the 24th's missed; none on the 25th
    assert_string_equal (s_events (), "round.missed:FIRE-20261124-0900");
}

//  ---- a round walked ----------------------------------------------------------------------

static Kf__ReplyStatus
s_round_step (Kf__Request__CommandCase what, const char *checkpoint, Kf__CheckResult **results, size_t count,
              const char *actor)
{
    Kf__RoundStep step = KF__ROUND_STEP__INIT;
    step.round_id = "E001-FIRE-20261123-0900";
    step.checkpoint = (char *) checkpoint;
    step.results = results;
    step.n_results = count;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = what;
    request.start_round = &step;
    return s_do (&request, actor, TECH);
}

static void
test_a_round_walked_with_a_finding (void **state)
{
    (void) state;
    assert_int_equal (s_tick ("2026-11-23 09:00"), 1);
    s_events ();
    w.now = kf_test_at ("2026-11-23 09:20");
    assert_int_equal (s_round_step (KF__REQUEST__COMMAND_START_ROUND, NULL, NULL, 0, "T02"),
                      KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN);
    assert_int_equal (s_round_step (KF__REQUEST__COMMAND_CHECK_IN, "pump", NULL, 0, "T01"), CONFLICT);
    assert_int_equal (s_round_step (KF__REQUEST__COMMAND_START_ROUND, NULL, NULL, 0, "T01"), OK);
    assert_int_equal (s_round_step (KF__REQUEST__COMMAND_CHECK_IN, "attic", NULL, 0, "T01"), BAD);
    assert_int_equal (s_round_step (KF__REQUEST__COMMAND_CHECK_IN, "pump", NULL, 0, "T01"), OK);
    Kf__CheckResult yes = KF__CHECK_RESULT__INIT, high = KF__CHECK_RESULT__INIT, photo = KF__CHECK_RESULT__INIT;
    KF_SET (&yes, item, 1);
    KF_SET (&yes, ok, 1);
    KF_SET (&high, item, 2);
    KF_SET (&high, reading_milli, 1500);
    KF_SET (&photo, item, 3);
    Kf__CheckResult *results [] = { &yes, &high, &photo };
    //  Bad results: nothing recorded.
    assert_int_equal (s_round_step (KF__REQUEST__COMMAND_RECORD_CHECKPOINT, "pump", results, 2, "T01"), BAD);
    assert_non_null (strstr (w.reply.error, "one result for each"));
    assert_int_equal (s_round_step (KF__REQUEST__COMMAND_RECORD_CHECKPOINT, "pump", results, 3, "T01"), BAD);
    assert_non_null (strstr (w.reply.error, "photo_url is required"));
    photo.photo_url = "not a url";
    assert_int_equal (s_round_step (KF__REQUEST__COMMAND_RECORD_CHECKPOINT, "pump", results, 3, "T01"), BAD);
    assert_int_equal (s_round_step (KF__REQUEST__COMMAND_FINISH_ROUND, NULL, NULL, 0, "T01"), CONFLICT);
    assert_non_null (strstr (w.reply.error, "1 checkpoint not recorded: pump"));
    assert_string_equal (s_events (), "round.started:FIRE-20261123-0900 round.checked:FIRE-20261123-0900");
    photo.photo_url = "https://photos.example/panel.jpg";
    assert_int_equal (s_round_step (KF__REQUEST__COMMAND_RECORD_CHECKPOINT, "pump", results, 3, "T01"), OK);
    assert_int_equal (w.reply.round->findings, 1);
    assert_string_equal (s_events (), "round.finding:0-B1-PUMP/1 round.checked:FIRE-20261123-0900");
    assert_int_equal (s_round_step (KF__REQUEST__COMMAND_RECORD_CHECKPOINT, "pump", results, 3, "T01"), CONFLICT);
    assert_int_equal (s_round_step (KF__REQUEST__COMMAND_FINISH_ROUND, NULL, NULL, 0, "T01"), OK);
    assert_false (w.reply.round->late);
    assert_string_equal (s_events (), "deadline.met round.finished:FIRE-20261123-0900");
    //  Done in its window: its end does nothing.
    assert_int_equal (s_tick ("2026-11-23 11:00"), 0);
    assert_string_equal (s_events (), "");
}

//  ---- the estate guard, and a restore ------------------------------------------------------

static void
test_another_estate_sees_no_round (void **state)
{
    (void) state;
    assert_int_equal (s_tick ("2026-11-23 09:00"), 1);
    Kf__ShowRound show = KF__SHOW_ROUND__INIT;
    show.round_id = "E001-FIRE-20261123-0900";
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_SHOW_ROUND;
    request.show_round = &show;
    kf_arena_reset (w.base.arena);
    request.actor = "S02";
    KF_SET (&request, role, KF__ROLE__ROLE_SUPERVISOR);
    request.scope = "E002";
    w.request = &request;
    kf_store_write (w.base.store, s_request_txn, NULL, NULL);
    assert_int_equal (w.reply.status, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
    Kf__ListRounds list = KF__LIST_ROUNDS__INIT;
    list.estate = "E001";
    request.command_case = KF__REQUEST__COMMAND_LIST_ROUNDS;
    request.list_rounds = &list;
    kf_store_write (w.base.store, s_request_txn, NULL, NULL);
    assert_int_equal (w.reply.status, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND);
}

typedef struct {
    uint8_t *data [64];
    size_t size [64], count;
} s_kept_t;

static int
s_keep_one (uint64_t seq, const void *data, size_t size, void *arg)
{
    (void) seq;
    s_kept_t *k = arg;
    assert_true (k->count < 64);
    k->data [k->count] = malloc (size);
    memcpy (k->data [k->count], data, size);
    k->size [k->count++] = size;
    return 0;
}

static int
s_keep_txn (kf_txn_t *txn, void *arg)
{
    return kf_outbox_read (w.base.outbox, txn, "dispatch@c1/E001", 1, 0, 64, s_keep_one, arg) < 0 ? -1 : 0;
}

static int
s_recover_txn (kf_txn_t *txn, void *arg)
{
    return dispatch_recover (w.dispatch, txn, arg) < 0 ? -1 : 0;
}

static Kf__RoundStatus
s_round_status (const char *round_id)
{
    Kf__ShowRound show = KF__SHOW_ROUND__INIT;
    show.round_id = (char *) round_id;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_SHOW_ROUND;
    request.show_round = &show;
    return s_do (&request, "S01", KF__ROLE__ROLE_SUPERVISOR) == OK ? w.reply.round->status : 0;
}

//  After a restore the archive's round.* bring the plans and rounds back,
//  their timers armed as the records say: nothing made twice, nothing lost.
static void
test_rounds_taken_back_after_a_restore (void **state)
{
    (void) state;
    assert_int_equal (s_tick ("2026-11-23 12:00"), 2);   //  the 23rd's made and missed
    assert_int_equal (s_tick ("2026-11-24 09:00"), 1);
    s_kept_t kept = { .count = 0 };
    assert_int_equal (kf_store_read (w.base.store, s_keep_txn, &kept, NULL), 0);
    //  A new store: the backup's, older than all of it.
    dispatch_destroy (&w.dispatch);
    kf_test_world_close_store (&w.base);
    char from [256], to [256];
    snprintf (from, sizeof from, "%s/store", kf_test_dir);
    snprintf (to, sizeof to, "%s/store-lost", kf_test_dir);
    assert_int_equal (rename (from, to), 0);
    const char *tables [] = { DISPATCH_TABLES, NULL };
    kf_test_world_open (&w.base, tables, "dispatch@c1", "dispatch@c1/E001", s_describe);
    kf_err_t err;
    w.now = kf_test_at ("2026-11-24 09:10");
    assert_int_equal (s_start ("", &err), 0);   //  the file has no plans: the archive's are taken back as they were
    for (size_t i = 0; i < kept.count; i++) {
        Kf__Envelope *event = (Kf__Envelope *) kf_codec_unpack (&kf__envelope__descriptor, kept.data [i],
                                                                 kept.size [i], NULL);
        assert_non_null (event);
        assert_int_equal (kf_store_write (w.base.store, s_recover_txn, event, NULL), 0);
        kf_codec_free ((ProtobufCMessage **) &event);
        free (kept.data [i]);
    }
    assert_int_equal (s_round_status ("E001-FIRE-20261123-0900"), KF__ROUND_STATUS__ROUND_STATUS_MISSED);
    assert_int_equal (s_round_status ("E001-FIRE-20261124-0900"), KF__ROUND_STATUS__ROUND_STATUS_ASSIGNED);
    //  The 24th's window still ends (missed), the 25th's slot comes once.
    s_events ();
    assert_int_equal (s_tick ("2026-11-25 09:00"), 2);
    assert_string_equal (s_events (), "round.missed:FIRE-20261124-0900 round.due:FIRE-20261125-0900 deadline.set");
    assert_int_equal (s_tick ("2026-11-25 09:00"), 0);
}

int
main (void)
{
    struct CMUnitTest tests [] = {
        cmocka_unit_test (test_checkpoint_text),
        cmocka_unit_test_setup_teardown (test_bad_plans_stop_the_start, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_changed_plan_still_owes_its_slot, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_the_file_wins_and_a_plan_left_out_is_paused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_each_slot_once_across_downtime, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_only_while_a_renovation_is_on, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_round_walked_with_a_finding, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_another_estate_sees_no_round, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rounds_taken_back_after_a_restore, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
