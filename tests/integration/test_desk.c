/*  Integration tests of kefu-desk: the real kefu-bus, kefu-intake,
    kefu-billing, kefu-registry, kefu-dispatch, kefu-escalation and
    kefu-desk on ipc:// endpoints in a scratch directory, on a file clock,
    driven through kefuctl.

    An estate's register is imported into the registry; the desk lends a
    key to a person of a unit as the registry announced them, refuses the
    same key while it is out and a person the unit does not have; past its
    due time the key is overdue, past desk/escalate_after escalation
    breaches it and raises the chain; returned, the deadline is met. A
    release permit is refused while the unit owes billing's notice and
    issued once it is paid. A kill -9 of kefu-desk loses no line of the
    register. Each test uses its own estate, so they pass in any order.
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

static const char *s_services [] = { "intake", "billing", "registry", "dispatch", "escalation", "desk", NULL };
static h_proc_t s_procs [H_CLUSTER_MAX];   //  the bus, then s_services
#define S_DESK (&s_procs [6])

static void
s_write_config (void)
{
    char text [8192];
    //  Each estate its receptionist F0n and technician W0n.
    const char *middle =
        "desk\n    escalate_after = 2h\n"
        "estates\n"
        "    E001\n        name = Riverside\n"
        "        staff\n"
        "            F01\n                name = Desk\n                department = customer_service\n"
        "                role = front_desk\n"
        "            W01\n                name = Tech\n                department = engineering\n"
        "    E002\n        name = Maple\n"
        "        staff\n"
        "            F02\n                name = Desk\n                department = customer_service\n"
        "                role = front_desk\n"
        "            W02\n                name = Tech\n                department = engineering\n"
        "    E003\n        name = Harbour\n"
        "        staff\n"
        "            F03\n                name = Desk\n                department = customer_service\n"
        "                role = front_desk\n"
        "            W03\n                name = Tech\n                department = engineering\n"
        "    E004\n        name = Garden\n"
        "        staff\n"
        "            F04\n                name = Desk\n                department = customer_service\n"
        "                role = front_desk\n"
        "            S04\n                name = Boss\n                department = customer_service\n"
        "                role = supervisor\n"
        "    E005\n        name = Orchard\n"
        "        staff\n"
        "            F05\n                name = Desk\n                department = customer_service\n"
        "                role = front_desk\n"
        "            W05\n                name = Night desk\n                department = customer_service\n"
        "                role = front_desk\n"
        "    E006\n        name = Lakeside\n"
        "        staff\n"
        "            F06\n                name = Desk\n                department = customer_service\n"
        "                role = front_desk\n"
        "            S06\n                name = Works\n                department = engineering\n"
        "                role = supervisor\n"
        "            M06\n                name = Manager\n                department = customer_service\n"
        "                role = manager\n";
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

static void
s_import (const char *estate)
{
    char path [256];
    h_write ("register.csv",
             "unit,area_m2,owner_name,owner_phone,occupancy,move_in_date,building_type\n"
             "3-2-1502,128.60,张三,13800000000,occupied,2018-06-01,highrise\n"
             "3-2-1503,96.20,李四,13900000000,let,2020-01-01,highrise\n",
             path, sizeof path);
    CTL_OK ("units", "import", path, "--estate", estate);
}

//  The number a kefuctl line starts with: "E001-L20261201-0001 key ...".
static void
s_number (char *id, size_t size)
{
    const char *end = strchr (s_out, ' ');
    assert_non_null (end);
    snprintf (id, size, "%.*s", (int) (end - s_out), s_out);
}

//  Issue 22.2: a key lent to a person of the unit, overdue, escalated, returned.
static void
test_an_overdue_key_escalates (void **state)
{
    (void) state;
    s_import ("E001");
    //  The desk lends from the register once it has heard of it.
    UNTIL ("lent to 张三 of 3-2-1502", "--as", "F01", "--role", "front_desk", "--scope", "E001", "desk", "lend", "key",
           "K-3-2-1502", "--unit", "3-2-1502", "--person", "张三", "--due", "3h");
    char id [64];
    s_number (id, sizeof id);
    //  The same key while it is out; a person the unit does not have; a
    //  unit the register does not hold: refused, nothing written.
    assert_int_equal (CTL ("--as", "F01", "--role", "front_desk", "--scope", "E001", "desk", "lend", "key",
                           "K-3-2-1502", "--unit", "3-2-1502", "--person", "张三"), 1);
    assert_non_null (strstr (s_err, "K-3-2-1502 is out"));
    assert_int_equal (CTL ("--as", "F01", "--role", "front_desk", "--scope", "E001", "desk", "lend", "item", "梯子",
                           "--unit", "3-2-1502", "--person", "王五"), 1);
    assert_non_null (strstr (s_err, "王五 is not a person of 3-2-1502 (the register has 张三)"));
    assert_int_equal (CTL ("--as", "F01", "--role", "front_desk", "--scope", "E001", "desk", "lend", "item", "梯子",
                           "--unit", "5-1-817", "--person", "王五"), 1);
    assert_non_null (strstr (s_err, "no unit 5-1-817 in E001"));
    assert_int_equal (CTL ("desk", "lend", "key", "K-1", "--estate", "E001"), 2);   //  no unit nor staff: usage
    CTL_OK ("--as", "F01", "--role", "front_desk", "--scope", "E001", "desk", "loans", "--out");
    assert_non_null (strstr (s_out, "1 out now, 0 overdue"));
    assert_non_null (strstr (s_out, "13800000000"));   //  the estate's desk sees the phone whole
    CTL_OK ("desk", "loans", "--estate", "E001");
    assert_non_null (strstr (s_out, "138****0000"));   //  the group's view: masked
    //  Past its due time: overdue, the desk reminded.
    CTL_OK ("clock", "advance", "3h", "--file", s_clock);
    UNTIL ("OUT, OVERDUE", "desk", "loans", "--estate", "E001", "--overdue");
    //  Two hours more (desk/escalate_after), and a minute: breached, the
    //  chain raised.
    CTL_OK ("clock", "advance", "121m", "--file", s_clock);
    char subject [80];
    snprintf (subject, sizeof subject, "loan/%s", id);
    UNTIL ("loan_return missed", "sla", "--estate", "E001", "--subject", subject);
    assert_non_null (strstr (s_out, "level 1 (handler and receptionist)"));
    assert_non_null (strstr (s_out, "F01"));   //  the lender hears of it first
    CTL_OK ("sla", "--estate", "E001", "--all");
    assert_non_null (strstr (s_out, subject));
    //  Back: the deadline is met, late.
    CTL_OK ("--as", "F01", "--role", "front_desk", "--scope", "E001", "desk", "return", id);
    assert_non_null (strstr (s_out, "back from 张三"));
    UNTIL ("met late", "sla", "--estate", "E001", "--subject", subject);
    assert_int_equal (CTL ("--as", "F01", "--role", "front_desk", "--scope", "E001", "desk", "return", id), 1);
    assert_non_null (strstr (s_err, "is not out"));
}

static bool
s_desk_answers (void *arg)
{
    (void) arg;
    return CTL ("ping", "desk") == 0;
}

//  Issue 22: a kill -9 of kefu-desk loses no line of the register.
static void
test_kill9_of_the_desk_loses_nothing (void **state)
{
    (void) state;
    s_import ("E002");
    UNTIL ("lent to 张三 of 3-2-1502", "--as", "F02", "--role", "front_desk", "--scope", "E002", "desk", "lend", "item",
           "梯子 ladder 1", "--unit", "3-2-1502", "--person", "张三");
    CTL_OK ("--as", "F02", "--role", "front_desk", "--scope", "E002", "desk", "lend", "store", "快递 parcel",
            "--unit", "3-2-1503", "--person", "李四", "--count", "2");
    h_proc_t *desk = S_DESK;
    h_kill9 (desk);
    h_start (desk);
    assert_true (h_wait_for (s_desk_answers, NULL, 10000));
    CTL_OK ("desk", "loans", "--estate", "E002", "--out");
    assert_non_null (strstr (s_out, "梯子 ladder 1"));
    assert_non_null (strstr (s_out, "快递 parcel"));
    assert_non_null (strstr (s_out, "2 out now"));
    //  The numbers go on after the restart, never reused.
    CTL_OK ("--as", "F02", "--role", "front_desk", "--scope", "E002", "desk", "lend", "key", "泵房 pump room",
            "--staff", "W02");
    assert_non_null (strstr (s_out, "-0003 key"));
}

static void
s_desk_heard_billing (const char *estate)
{
    char stream [64];
    snprintf (stream, sizeof stream, "billing@c1/%s", estate);
    h_caught_up_t c = { s_config, "desk", "billing", stream };
    assert_true (h_wait_for (h_caught_up, &c, 15000));
}

//  Issue 22.3: a release permit is refused with arrears, issued after the
//  payment, used at the gate once.
static void
test_a_permit_waits_for_the_payment (void **state)
{
    (void) state;
    s_import ("E003");
    CTL_OK ("billing", "schedule", "--estate", "E003", "--from", "2026-01-01", "--rate", "highrise:2.00");
    CTL_OK ("billing", "run", "--estate", "E003", "--period", "2026-11");
    s_desk_heard_billing ("E003");
    const char *ask [] = { "--as", "F03", "--role", "front_desk", "--scope", "E003", "desk", "permit", "3-2-1502",
                           "--person", "张三", "--item", "双人床 a double bed", "--item", "冰箱 a fridge",
                           "--plate", "沪A12345", NULL };
    char *argv [32] = { "kefuctl", "--config", s_config };
    int n = 3;
    for (int i = 0; ask [i]; i++)
        argv [n++] = (char *) ask [i];
    argv [n] = NULL;
    assert_int_equal (h_runv (kf_test_dir, s_out, sizeof s_out, s_err, sizeof s_err, argv), 1);
    assert_non_null (strstr (s_err, "3-2-1502 owes ¥257.20: a release permit needs the fees paid"));
    CTL_OK ("desk", "permits", "--estate", "E003");
    assert_non_null (strstr (s_out, "0 permits"));
    //  Paid: issued.
    CTL_OK ("billing", "pay", "3-2-1502", "257.20", "--ref", "WX-D1", "--estate", "E003");
    s_desk_heard_billing ("E003");
    assert_int_equal (h_runv (kf_test_dir, s_out, sizeof s_out, s_err, sizeof s_err, argv), 0);
    assert_non_null (strstr (s_out, "release permit for 3-2-1502 (张三) on "));   //  today, whichever day the clock says
    assert_non_null (strstr (s_out, ": 2 items, vehicle 沪A12345"));
    char id [64];
    s_number (id, sizeof id);
    assert_non_null (strstr (id, "E003-P"));
    CTL_OK ("--as", "W03", "--role", "technician", "--scope", "E003", "desk", "gate", id);
    assert_non_null (strstr (s_out, "used at the gate"));
    assert_int_equal (CTL ("--as", "W03", "--role", "technician", "--scope", "E003", "desk", "gate", id), 1);
    assert_non_null (strstr (s_err, "goods leave once"));
}

//  Issue 22.4: a violation noticed with a deadline, escalated when it
//  passes, fined once by a supervisor and charged by billing on the next
//  notice, closed.
static void
test_a_violation_fined_through_billing (void **state)
{
    (void) state;
    s_import ("E004");
    CTL_OK ("billing", "schedule", "--estate", "E004", "--from", "2026-01-01", "--rate", "highrise:2.00");
    UNTIL ("the unit's 1st", "--as", "F04", "--role", "front_desk", "--scope", "E004", "desk", "violation", "3-2-1503",
           "--category", "fire_safety", "--what", "消防通道堆放杂物 things in the fire lane", "--rectify-by", "1d",
           "--evidence", "https://img.example/e004/lane.jpg", "--served-to", "李四");
    char id [64];
    s_number (id, sizeof id);
    assert_int_equal (CTL ("--as", "F04", "--role", "front_desk", "--scope", "E004", "desk", "violation", "3-2-1503",
                           "--category", "littering", "--what", "x", "--rectify-by", "1d"), 2);
    assert_int_equal (CTL ("--as", "F04", "--role", "front_desk", "--scope", "E004", "desk", "fine", id,
                           "--amount", "200", "--reason", "规约第十二条"), 1);
    assert_non_null (strstr (s_err, "only a supervisor fines"));
    CTL_OK ("--as", "S04", "--role", "supervisor", "--scope", "E004", "desk", "fine", id, "--amount", "200",
            "--reason", "《管理规约》第十二条 fire lanes kept clear");
    assert_non_null (strstr (s_out, "fined ¥200.00"));
    //  A day on, not put right: overdue and escalated.
    CTL_OK ("clock", "advance", "25h", "--file", s_clock);
    char subject [80];
    snprintf (subject, sizeof subject, "violation/%s", id);
    UNTIL ("violation_rectification missed", "sla", "--estate", "E004", "--subject", subject);
    UNTIL ("OVERDUE", "desk", "violations", "--estate", "E004", "--open");
    CTL_OK ("--as", "F04", "--role", "front_desk", "--scope", "E004", "desk", "follow", id, "--note", "已清理 cleared",
            "--close");
    assert_non_null (strstr (s_out, ", closed, put right by"));
    //  Billing charges the fine on the next notice, once.
    h_caught_up_t heard = { s_config, "billing", "desk", "desk@c1/E004" };
    assert_true (h_wait_for (h_caught_up, &heard, 15000));
    CTL_OK ("billing", "run", "--estate", "E004", "--period", "2026-12");
    CTL_OK ("billing", "statement", "3-2-1503", "--estate", "E004");
    assert_int_equal (h_occurrences (s_out, "违章罚款"), 1);
}

//  Issues 22.5 and 22.6 through kefuctl: an interview on the unit's page,
//  a shift's log and its handover listing what is open, signed by both.
static void
test_the_unit_page_and_the_handover (void **state)
{
    (void) state;
    s_import ("E005");
    UNTIL ("interview with 张三 of 3-2-1502", "--as", "F05", "--role", "front_desk", "--scope", "E005", "desk", "talk",
           "3-2-1502", "--person", "张三", "--kind", "interview", "--channel", "in_person", "--text",
           "对电梯维修进度不满 unhappy with the lift works", "--follow-up", "F05", "--follow-up-by", "2d");
    assert_int_equal (CTL ("--as", "F05", "--role", "front_desk", "--scope", "E005", "desk", "talk", "3-2-1502",
                           "--person", "张三", "--kind", "interview", "--channel", "in_person", "--text", "x",
                           "--follow-up", "F05", "--follow-up-by", "2099-01-01"), 1);   //  beyond 90 days
    CTL_OK ("--as", "F05", "--role", "front_desk", "--scope", "E005", "desk", "talk", "3-2-1502", "--person", "张三",
            "--kind", "contact", "--channel", "phone", "--text", "约定明早上门 a visit tomorrow morning");
    UNTIL ("talks", "--as", "F05", "--role", "front_desk", "--scope", "E005", "lookup", "3-2-1502");
    assert_non_null (strstr (s_out, "约定明早上门"));
    CTL_OK ("--as", "F05", "--role", "front_desk", "--scope", "E005", "desk", "lend", "key", "K-E005", "--unit",
            "3-2-1502", "--person", "张三");
    UNTIL ("K-E005", "--as", "F05", "--role", "front_desk", "--scope", "E005", "lookup", "3-2-1502");
    CTL_OK ("--as", "F05", "--role", "front_desk", "--scope", "E005", "desk", "log", "--shift", "day", "--kind", "cash",
            "--text", "备用金 float counted", "--amount", "500");
    CTL_OK ("--as", "F05", "--role", "front_desk", "--scope", "E005", "desk", "handover", "--shift", "day", "--to",
            "W05");
    assert_non_null (strstr (s_out, "handed over by F05 to W05"));
    assert_non_null (strstr (s_out, "keys and items out  1"));
    assert_int_equal (CTL ("--as", "F05", "--role", "front_desk", "--scope", "E005", "desk", "takeover", "--shift",
                           "day"), 1);
    assert_non_null (strstr (s_err, "only they sign for it"));
    CTL_OK ("--as", "W05", "--role", "front_desk", "--scope", "E005", "desk", "takeover", "--shift", "day");
    CTL_OK ("desk", "shifts", "--estate", "E005");
    assert_non_null (strstr (s_out, "taken by W05"));
    assert_non_null (strstr (s_out, "¥500.00"));
}

//  Issue 22.7 on the file clock: a renovation reviewed after its two
//  working days breaches its deadline; work on, its patrols come twice a
//  day, one done, one missed and flagged.
static void
test_a_renovation_reviewed_late_and_patrolled (void **state)
{
    (void) state;
    s_import ("E006");
    CTL_OK ("billing", "schedule", "--estate", "E006", "--from", "2026-01-01", "--rate", "highrise:2.00");
    //  A Tuesday morning (the other tests move the clock by lengths only).
    CTL_OK ("clock", "set", "2027-06-01T09:00:00+08:00", "--file", s_clock);
    UNTIL ("renovation of 3-2-1502", "--as", "F06", "--role", "front_desk", "--scope", "E006", "desk", "renovate",
           "3-2-1502", "--applicant", "张三", "--contractor", "安居装饰 Anju Decor", "--what", "厨卫翻新 kitchen",
           "--plan", "https://plans.example/e006.pdf", "--worker", "王师傅:123X:13900000009", "--from", "2027-06-07",
           "--until", "2027-06-30");
    assert_non_null (strstr (s_out, "reviews due 2027-06-03 18:00"));
    char id [64];
    s_number (id, sizeof id);
    //  The preliminary review is not the desk's.
    assert_int_equal (CTL ("--as", "F06", "--role", "front_desk", "--scope", "E006", "desk", "review", id, "--approve"),
                      1);
    assert_non_null (strstr (s_err, "the preliminary review (初审) is a supervisor's"));
    //  The next Monday: late, breached, the chain raised.
    CTL_OK ("clock", "set", "2027-06-07T09:00:00+08:00", "--file", s_clock);
    char subject [80];
    snprintf (subject, sizeof subject, "renovation/%s", id);
    UNTIL ("renovation_review missed", "sla", "--estate", "E006", "--subject", subject);
    assert_int_equal (CTL ("--as", "F06", "--role", "front_desk", "--scope", "E006", "desk", "start", id), 1);
    assert_non_null (strstr (s_err, "no permit to start on"));
    //  In order: the supervisor, then (not the supervisor again) the manager.
    CTL_OK ("--as", "S06", "--role", "supervisor", "--scope", "E006", "desk", "review", id, "--approve");
    assert_int_equal (CTL ("--as", "S06", "--role", "supervisor", "--scope", "E006", "desk", "review", id, "--approve"),
                      1);
    assert_non_null (strstr (s_err, "the second review (复审) is a manager's"));
    CTL_OK ("--as", "M06", "--role", "manager", "--scope", "E006", "desk", "review", id, "--approve");
    assert_non_null (strstr (s_out, "-W1"));   //  the worker's pass
    UNTIL ("met late", "sla", "--estate", "E006", "--subject", subject);
    //  Work on: the 10:00 patrol recorded, the 15:00 one missed.
    CTL_OK ("--as", "F06", "--role", "front_desk", "--scope", "E006", "desk", "start", id);
    assert_non_null (strstr (s_out, "next patrol 2027-06-07 10:00"));
    CTL_OK ("clock", "set", "2027-06-07T10:30:00+08:00", "--file", s_clock);
    UNTIL ("renovation of", "--as", "W06", "--role", "technician", "--scope", "E006", "desk", "patrol", id);
    CTL_OK ("clock", "set", "2027-06-07T18:30:00+08:00", "--file", s_clock);
    UNTIL (" 1/1 ", "desk", "renovations", "--estate", "E006", "--status", "working");
    //  The completion inspection; billing charged the deposit and the fees
    //  with the permit, and returns the deposit once.
    CTL_OK ("--as", "S06", "--role", "supervisor", "--scope", "E006", "desk", "complete", id, "--note",
            "验收合格 passed");
    h_caught_up_t heard = { s_config, "billing", "desk", "desk@c1/E006" };
    assert_true (h_wait_for (h_caught_up, &heard, 15000));
    CTL_OK ("billing", "run", "--estate", "E006", "--period", "2027-06");
    CTL_OK ("billing", "statement", "3-2-1502", "--estate", "E006");
    assert_int_equal (h_occurrences (s_out, "deposit-return"), 1);
    CTL_OK ("billing", "run", "--estate", "E006", "--period", "2027-07");
    CTL_OK ("billing", "statement", "3-2-1502", "--estate", "E006");
    assert_int_equal (h_occurrences (s_out, "deposit-return"), 1);
}

int
main (void)
{
    struct CMUnitTest tests [] = {
        cmocka_unit_test (test_an_overdue_key_escalates),
        cmocka_unit_test (test_kill9_of_the_desk_loses_nothing),
        cmocka_unit_test (test_a_permit_waits_for_the_payment),
        cmocka_unit_test (test_a_violation_fined_through_billing),
        cmocka_unit_test (test_the_unit_page_and_the_handover),
        cmocka_unit_test (test_a_renovation_reviewed_late_and_patrolled),
    };
    return H_RUN_TESTS (tests, s_cluster_up, s_cluster_down);
}
