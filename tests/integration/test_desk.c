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
        "            W03\n                name = Tech\n                department = engineering\n";
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

//  The loan's number in kefuctl's "E001-L20261201-0001 key ..." line.
static void
s_loan_id (char *id, size_t size)
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
    s_loan_id (id, sizeof id);
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
    assert_non_null (strstr (s_out, "E003-P20261201-0001 release permit for 3-2-1502 (张三) on 2026-12-01: 2 items"));
    CTL_OK ("--as", "W03", "--role", "technician", "--scope", "E003", "desk", "gate", "E003-P20261201-0001");
    assert_non_null (strstr (s_out, "used at the gate"));
    assert_int_equal (CTL ("--as", "W03", "--role", "technician", "--scope", "E003", "desk", "gate",
                           "E003-P20261201-0001"), 1);
    assert_non_null (strstr (s_err, "goods leave once"));
}

int
main (void)
{
    struct CMUnitTest tests [] = {
        cmocka_unit_test (test_an_overdue_key_escalates),
        cmocka_unit_test (test_kill9_of_the_desk_loses_nothing),
        cmocka_unit_test (test_a_permit_waits_for_the_payment),
    };
    return H_RUN_TESTS (tests, s_cluster_up, s_cluster_down);
}
