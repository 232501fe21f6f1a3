/*  Integration tests of rounds (issue 23): the real kefu-bus, kefu-intake,
    kefu-dispatch, kefu-escalation and kefu-survey on ipc:// endpoints in a
    scratch directory, on a file clock, driven through kefuctl.

    A daily fire-safety round of the configuration's is made each day of a
    week, exactly once, across a kill -9 of kefu-dispatch and two days of it
    down; a round not finished in its window is missed, breaches and
    escalates, and the daily statistics count it; a finding files a ticket
    at the checkpoint's common area that gets its order; bad plans are
    refused with one line, nothing changed. Each test uses its own estate
    and pauses its plan at the end, so they pass in any order.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kf_test.h"
#include "kf_harness.h"

static char s_config [256], s_clock [256];

#define OUT_SIZE (1 << 16)
static char s_out [OUT_SIZE], s_err [8192];

static const char *s_services [] = { "intake", "dispatch", "escalation", "survey", NULL };
static h_proc_t s_procs [H_CLUSTER_MAX];   //  the bus, then s_services
#define S_DISPATCH (&s_procs [2])

static void
s_write_config (void)
{
    char text [8192];
    const char *middle =
        "escalation\n    supervisor_after = 2h\n    deputy_gm_after = 24h\n"
        "estates\n"
        "    E001\n        name = Riverside\n"
        "        staff\n"
        "            W01\n                name = Fire tech\n                department = engineering\n"
        "                skills = fire_safety\n                shifts = \"daily 08:00-18:00\"\n"
        "                phone = 13900000001\n"
        "            W11\n                name = Plumber\n                department = engineering\n"
        "                skills = plumbing\n                shifts = \"daily 08:00-18:00\"\n"
        "            S01\n                name = Boss\n                department = customer_service\n"
        "                role = supervisor\n"
        "        plans\n"
        "            FIRE\n                name = \"消防安全检查 fire safety\"\n"
        "                department = engineering\n                skill = fire_safety\n"
        "                schedule = \"daily 09:00\"\n                window = 4h\n"
        "                paused = true\n"
        "                checkpoints\n"
        "                    pump\n                        name = pump room\n"
        "                        place = B1\n                        area = 0-B1-PUMP\n"
        "                        items = \"yes_no: pumps on auto; reading: pressure (MPa 0.30..1.20)\"\n"
        "    E002\n        name = Maple\n"
        "        escalation\n            supervisor = S02\n"
        "        staff\n"
        "            B02\n                name = Guard\n                department = security\n"
        "                shifts = \"daily 00:00-24:00\"\n                phone = 13900000002\n"
        "            S02\n                name = Boss\n                department = customer_service\n"
        "                role = supervisor\n"
        "    E003\n        name = Harbour\n"
        "        staff\n"
        "            W03\n                name = Tech\n                department = engineering\n"
        "                skills = plumbing\n                shifts = \"daily 08:00-18:00\"\n                phone = 13900000003\n"
        "            S03\n                name = Boss\n                department = customer_service\n"
        "                role = supervisor\n";
    h_cluster_config (text, sizeof text, H_OUTBOX_YEAR, middle, s_services);
    h_write ("kefu.conf", text, s_config, sizeof s_config);
}

static int
s_cluster_up (void **state)
{
    return h_suite_up (state, s_write_config, s_procs, s_services, s_config, s_clock, sizeof s_clock,
                       "2026-12-01T09:00:00+08:00");
}

static int
s_cluster_down (void **state)
{
    return h_suite_down (state, s_procs, s_services);
}

static bool
s_dispatch_answers (void *arg)
{
    (void) arg;
    return CTL ("plans", "list", "--estate", "E001") == 0;
}

static void
s_clock_set (const char *when)
{
    CTL_OK ("clock", "set", when, "--file", s_clock);
}

//  Walk a round whole as `who`: start, check in, record OK, finish.
static void
s_walk (const char *round_id, const char *who, const char *scope, const char *checkpoint)
{
    CTL_OK ("--as", who, "--role", "technician", "--scope", scope, "rounds", "start", round_id);
    CTL_OK ("--as", who, "--role", "technician", "--scope", scope, "rounds", "check-in", round_id, checkpoint);
    CTL_OK ("--as", who, "--role", "technician", "--scope", scope, "rounds", "record", round_id, checkpoint,
            "--result", "1:yes", "--result", "2:0.85");
    CTL_OK ("--as", who, "--role", "technician", "--scope", scope, "rounds", "finish", round_id);
    assert_non_null (strstr (s_out, "done"));
}

//  Issue 23.2: the configuration's daily round, made each day of a week
//  exactly once, across a kill -9 of dispatch and two days of it down.
static void
test_a_daily_round_each_day_once (void **state)
{
    (void) state;
    s_clock_set ("2027-03-01T08:00:00+08:00");   //  a Monday
    CTL_OK ("plans", "list", "--estate", "E001");
    assert_non_null (strstr (s_out, "(paused)"));
    CTL_OK ("--as", "S01", "--role", "supervisor", "--scope", "E001", "plans", "resume", "FIRE");
    assert_non_null (strstr (s_out, "next 2027-03-01 09:00"));
    //  Day 1: made at 09:00 for the one with the skill, walked in time.
    s_clock_set ("2027-03-01T09:30:00+08:00");
    UNTIL ("E001-FIRE-20270301-0900", "rounds", "list", "--estate", "E001", "--plan", "FIRE");
    assert_non_null (strstr (s_out, "W01"));
    assert_int_equal (CTL ("--as", "W11", "--role", "technician", "--scope", "E001", "rounds", "start",
                           "E001-FIRE-20270301-0900"), 1);
    assert_non_null (strstr (s_err, "is W01's"));
    s_walk ("E001-FIRE-20270301-0900", "W01", "E001", "pump room");
    //  Day 2: nothing done.
    s_clock_set ("2027-03-02T09:30:00+08:00");
    UNTIL ("E001-FIRE-20270302-0900", "rounds", "list", "--estate", "E001", "--plan", "FIRE");
    //  Day 3: dispatch killed as its slot comes.
    s_clock_set ("2027-03-03T09:30:00+08:00");
    h_kill9 (S_DISPATCH);
    h_start (S_DISPATCH);
    assert_true (h_wait_for (s_dispatch_answers, NULL, 15000));
    UNTIL ("E001-FIRE-20270303-0900", "rounds", "list", "--estate", "E001", "--plan", "FIRE");
    //  Days 4 and 5 with dispatch down: both made when it is back, in order.
    h_kill9 (S_DISPATCH);
    s_clock_set ("2027-03-05T09:30:00+08:00");
    h_start (S_DISPATCH);
    assert_true (h_wait_for (s_dispatch_answers, NULL, 15000));
    UNTIL ("E001-FIRE-20270305-0900", "rounds", "list", "--estate", "E001", "--plan", "FIRE");
    assert_non_null (strstr (s_out, "E001-FIRE-20270304-0900"));
    //  Days 6 and 7.
    s_clock_set ("2027-03-06T09:30:00+08:00");
    UNTIL ("E001-FIRE-20270306-0900", "rounds", "list", "--estate", "E001", "--plan", "FIRE");
    s_clock_set ("2027-03-07T09:30:00+08:00");
    UNTIL ("E001-FIRE-20270307-0900", "rounds", "list", "--estate", "E001", "--plan", "FIRE");
    s_walk ("E001-FIRE-20270307-0900", "W01", "E001", "pump room");
    //  Each day exactly once; the others missed.
    s_clock_set ("2027-03-07T14:00:00+08:00");
    UNTIL ("7 of 7 rounds", "rounds", "list", "--estate", "E001", "--plan", "FIRE", "--from", "2027-03-01",
           "--to", "2027-03-07");
    for (int day = 1; day <= 7; day++) {
        char id [40];
        snprintf (id, sizeof id, "E001-FIRE-202703%02d-0900", day);
        assert_int_equal (h_occurrences (s_out, id), 1);
    }
    UNTIL ("5 of 5 rounds", "rounds", "list", "--estate", "E001", "--status", "missed", "--from", "2027-03-01",
           "--to", "2027-03-07");
    //  The report: two of seven on time, both W01's.
    CTL_OK ("rounds", "report", "--estate", "E001", "--from", "2027-03-01", "--to", "2027-03-07");
    assert_non_null (strstr (s_out, "engineering"));
    assert_non_null (strstr (s_out, "28.6%"));
    CTL_OK ("rounds", "checkpoint", "FIRE", "pump room", "--estate", "E001", "--from", "2027-03-01", "--to",
            "2027-03-07");
    assert_int_equal (h_occurrences (s_out, " OK"), 2);
    CTL_OK ("--as", "S01", "--role", "supervisor", "--scope", "E001", "plans", "pause", "FIRE");
}

//  Issue 23.3: a round not finished in its window is missed, breaches and
//  escalates through the chain; the daily statistics count it.
static void
test_a_missed_round_breaches_and_escalates (void **state)
{
    (void) state;
    s_clock_set ("2027-05-03T08:00:00+08:00");
    CTL_OK ("--as", "S02", "--role", "supervisor", "--scope", "E002", "plans", "add", "GATE", "--name", "gate check",
            "--department", "security", "--schedule", "daily 09:00", "--window", "1h", "--checkpoint",
            "south gate | | | yes_no: barrier works");
    s_clock_set ("2027-05-03T09:10:00+08:00");
    UNTIL ("E002-GATE-20270503-0900", "rounds", "list", "--estate", "E002", "--status", "assigned");
    assert_non_null (strstr (s_out, "B02"));
    s_clock_set ("2027-05-03T10:30:00+08:00");
    UNTIL ("E002-GATE-20270503-0900", "rounds", "list", "--estate", "E002", "--status", "missed");
    UNTIL ("round missed", "sla", "--estate", "E002", "--subject", "round/E002-GATE-20270503-0900");
    //  Two hours on, the supervisor.
    s_clock_set ("2027-05-03T12:30:00+08:00");
    UNTIL ("level 2", "sla", "--estate", "E002", "--subject", "round/E002-GATE-20270503-0900");
    UNTIL ("1 due, 0 done, 0 late, 1 missed", "report", "daily", "--estate", "E002", "--date", "2027-05-03");
    //  Finished late it is late, and the deadline is met late.
    CTL_OK ("--as", "B02", "--role", "technician", "--scope", "E002", "rounds", "start", "E002-GATE-20270503-0900");
    CTL_OK ("--as", "B02", "--role", "technician", "--scope", "E002", "rounds", "record", "E002-GATE-20270503-0900",
            "south gate", "--result", "1:yes");
    CTL_OK ("--as", "B02", "--role", "technician", "--scope", "E002", "rounds", "finish", "E002-GATE-20270503-0900");
    assert_non_null (strstr (s_out, "(late)"));
    UNTIL ("met late", "sla", "--estate", "E002", "--subject", "round/E002-GATE-20270503-0900");
    UNTIL ("1 due, 0 done, 1 late, 1 missed", "report", "daily", "--estate", "E002", "--date", "2027-05-03");
    CTL_OK ("--as", "S02", "--role", "supervisor", "--scope", "E002", "plans", "pause", "GATE");
}

//  Issue 23.2 and 23.5: a finding files a ticket at the common area that
//  gets its order; bad plans are refused, nothing changed.
static void
test_a_finding_files_a_ticket_with_an_order (void **state)
{
    (void) state;
    s_clock_set ("2027-07-05T08:00:00+08:00");
    const char *as [] = { "--as", "S03", "--role", "supervisor", "--scope", "E003" };
#define S03(...) CTL (as [0], as [1], as [2], as [3], as [4], as [5], __VA_ARGS__)
    //  Bad input: one line each, no plan made.
    assert_int_equal (S03 ("plans", "add", "NEVER", "--name", "n", "--department", "engineering", "--schedule",
                           "weekly sun 09:00 working", "--checkpoint", "a | | | yes_no: x"), 1);
    assert_non_null (strstr (s_err, "never fires"));
    assert_int_equal (S03 ("plans", "add", "EMPTY", "--name", "n", "--department", "engineering", "--schedule",
                           "daily 09:00", "--checkpoint", "a | | | "), 2);
    assert_non_null (strstr (s_err, "needs a check"));
    assert_int_equal (S03 ("plans", "add", "DEPT", "--name", "n", "--department", "plumbing", "--schedule",
                           "daily 09:00", "--checkpoint", "a | | | yes_no: x"), 2);
    assert_int_equal (h_occurrences (s_err, "\n"), 1);
    assert_int_equal (CTL ("--as", "W03", "--role", "technician", "--scope", "E003", "plans", "add", "TECH", "--name",
                           "n", "--department", "engineering", "--schedule", "daily 09:00", "--checkpoint",
                           "a | | | yes_no: x"), 1);
    assert_non_null (strstr (s_err, "supervisor or a manager"));
    CTL_OK ("plans", "list", "--estate", "E003");
    assert_non_null (strstr (s_out, "no plans"));
    //  A plant room, its reading out of range, with a photo.
    if (S03 ("plans", "add", "PUMP", "--name", "pump room weekly", "--department", "engineering", "--skill",
             "fire_safety", "--schedule", "weekly mon 09:00", "--window", "3h", "--checkpoint",
             "pump room | B1 | 0-B1-PUMP | yes_no: pumps on auto; reading: pressure (MPa 0.30..1.20)"))
        fail_msg ("%s", s_err);
    s_clock_set ("2027-07-05T09:05:00+08:00");
    //  Nobody with the skill: nobody named, anyone of the department starts it.
    UNTIL ("E003-PUMP-20270705-0900", "rounds", "list", "--estate", "E003", "--status", "due");
    assert_null (strstr (s_out, "W03"));
    const char *round = "E003-PUMP-20270705-0900";
    assert_int_equal (CTL ("--as", "S03", "--role", "technician", "--scope", "E003", "rounds", "start", round), 1);
    CTL_OK ("--as", "W03", "--role", "technician", "--scope", "E003", "rounds", "start", round);
    assert_int_equal (CTL ("--as", "W03", "--role", "technician", "--scope", "E003", "rounds", "finish", round), 1);
    assert_non_null (strstr (s_err, "1 checkpoint not recorded: pump room"));
    assert_int_equal (CTL ("--as", "W03", "--role", "technician", "--scope", "E003", "rounds", "record", round,
                           "pump room", "--result", "1:yes"), 1);
    assert_non_null (strstr (s_err, "one result for each"));
    CTL_OK ("--as", "W03", "--role", "technician", "--scope", "E003", "rounds", "record", round, "pump room",
            "--result", "1:yes", "--result", "2:1.5", "--photo", "2:https://photos.example/gauge.jpg",
            "--item-note", "2:压力偏高 pressure high");
    assert_non_null (strstr (s_out, "NOT OK"));
    CTL_OK ("--as", "W03", "--role", "technician", "--scope", "E003", "rounds", "finish", round);
    //  The ticket, at the common area, and its order.
    UNTIL ("0-B1-PUMP", "list", "--estate", "E003");
    char ticket [64];
    const char *row = strstr (s_out, "E003-");
    assert_non_null (row);
    snprintf (ticket, sizeof ticket, "%.*s", (int) strcspn (row, " "), row);
    CTL_OK ("show", ticket);
    assert_non_null (strstr (s_out, round));
    assert_non_null (strstr (s_out, "1.5 MPa, outside 0.3..1.2"));
    assert_non_null (strstr (s_out, "https://photos.example/gauge.jpg"));
    UNTIL (ticket, "orders", "--estate", "E003");
    CTL_OK ("rounds", "report", "--estate", "E003", "--from", "2027-07-05", "--to", "2027-07-05");
    assert_non_null (strstr (s_out, "pump room"));
    //  The finding is in the day's statistics and in the Pareto, by its category.
    UNTIL ("1 findings", "report", "daily", "--estate", "E003", "--date", "2027-07-05");
    UNTIL ("fire_safety", "report", "pareto", "--estate", "E003", "--from", "2027-07-01", "--to", "2027-07-31");
    CTL_OK ("--as", "S03", "--role", "supervisor", "--scope", "E003", "plans", "pause", "PUMP");
#undef S03
}

int
main (void)
{
    struct CMUnitTest tests [] = {
        cmocka_unit_test (test_a_daily_round_each_day_once),
        cmocka_unit_test (test_a_missed_round_breaches_and_escalates),
        cmocka_unit_test (test_a_finding_files_a_ticket_with_an_order),
    };
    return H_RUN_TESTS (tests, s_cluster_up, s_cluster_down);
}
