/*  Integration tests of kefu-registry: the real kefu-bus, kefu-intake,
    kefu-billing and kefu-registry on ipc:// endpoints in a scratch
    directory, on a file clock, driven through kefuctl.

    An estate's register is imported (a bad file first: every line with
    its reason, nothing written), then the desk looks a caller up by phone
    and by unit: the people (phones whole for the estate's desk, masked
    for the group), what the unit owes after billing's run and a payment,
    its open ticket. Intake refuses a unit the register does not hold,
    and files from a known phone alone. A household set by the desk moves
    the phone index. Each test uses its own estate, so they pass in any
    order.
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

static void
s_write_config (void)
{
    char text [8192];
    h_cluster_config (text, sizeof text, H_OUTBOX_YEAR,
        "estates\n"
        "    E001\n        name = Riverside\n"
        "    E002\n        name = Maple\n"
        "    E003\n        name = Harbour\n"
        "        registry\n            check_units = false\n"
        "    E004\n        name = Garden\n"
        "    E005\n        name = Orchard\n",
        (const char *[]) { "intake", "billing", "registry", "escalation", NULL });
    h_write ("kefu.conf", text, s_config, sizeof s_config);
}

static const char *s_services [] = { "intake", "billing", "registry", "escalation", NULL };
static h_proc_t s_procs [H_CLUSTER_MAX];   //  the bus, then s_services

static int
s_cluster_up (void **state)
{
    return h_suite_up (state, s_write_config, s_procs, s_services, s_config, s_clock, sizeof s_clock,
                       "2026-11-01T09:00:00+08:00");
}

static int
s_cluster_down (void **state)
{
    return h_suite_down (state, s_procs, s_services);
}

static const char *s_register =
    "unit,area_m2,owner_name,owner_phone,occupancy,move_in_date,building_type\n"
    "3-2-1502,128.60,张三,13800000000,occupied,2018-06-01,highrise\n"
    "3-2-1503,96.20,李四,13900000000,let,2020-01-01,highrise\n"
    "3-2-1504,96.20,,,vacant,,highrise\n";

static void
s_import (const char *estate)
{
    char path [256];
    h_write ("register.csv", s_register, path, sizeof path);
    CTL_OK ("units", "import", path, "--estate", estate);
    assert_non_null (strstr (s_out, "3 units imported"));
}

static void
test_import_and_lookup (void **state)
{
    (void) state;
    char path [256];
    //  A bad file: each line's reason, nothing imported.
    h_write ("bad.csv", "unit,area_m2,owner_phone\n3-2-1502,128.6,13800000000\n3-2-1503,96,1380000x\n"
             "3-2-1502,80,\n", path, sizeof path);
    assert_int_equal (CTL ("units", "import", path, "--estate", "E001"), 1);
    assert_non_null (strstr (s_out, "line 3: owner_phone '1380000x' is not"));
    assert_non_null (strstr (s_out, "line 4: unit 3-2-1502 is on line 2 too"));
    assert_non_null (strstr (s_err, "2 lines rejected; nothing imported"));
    assert_int_equal (CTL ("lookup", "3-2-1502", "--estate", "E001"), 1);
    assert_non_null (strstr (s_err, "no unit 3-2-1502 in E001"));
    s_import ("E001");
    //  The group sees the caller masked; the estate's desk, whole.
    CTL_OK ("lookup", "13800000000");
    assert_non_null (strstr (s_out, "E001 3-2-1502"));
    assert_non_null (strstr (s_out, "(the caller: owner 张三)"));
    assert_non_null (strstr (s_out, "138****0000"));
    assert_null (strstr (s_out, "13800000000"));
    CTL_OK ("--as", "F01", "--role", "front_desk", "--scope", "E001", "lookup", "13800000000");
    assert_non_null (strstr (s_out, "13800000000"));
    //  Another estate's desk finds nothing of E001.
    CTL_OK ("--as", "F02", "--role", "front_desk", "--scope", "E002", "--json", "lookup", "13800000000");
    assert_null (strstr (s_out, "\"estate\":\"E001\""));
    //  Billing has the units: a run bills them; a payment moves the balance.
    CTL_OK ("billing", "schedule", "--estate", "E001", "--from", "2026-01-01", "--rate", "highrise:2.00");
    CTL_OK ("billing", "run", "--estate", "E001", "--period", "2026-11");
    assert_non_null (strstr (s_out, "3 notices issued"));
    CTL_OK ("billing", "pay", "3-2-1502", "100", "--ref", "WX-R1", "--estate", "E001");
    UNTIL ("\"balance_fen\":\"15720\"", "--json", "lookup", "3-2-1502", "--estate", "E001");   //  ¥257.20 - ¥100
}

static void
test_intake_checks_the_register (void **state)
{
    (void) state;
    s_import ("E002");
    //  A unit the register does not hold is refused; a known phone alone files.
    assert_int_equal (CTL ("file", "--estate", "E002", "--unit", "5-1-817", "--name", "王五", "--phone", "13700000000",
                           "--type", "repair", "--channel", "phone", "--category", "lift", "电梯异响"), 1);
    assert_non_null (strstr (s_err, "no unit 5-1-817 in E002"));
    CTL_OK ("--json", "file", "--estate", "E002", "--phone", "13900000000", "--type", "repair", "--channel", "phone",
            "--category", "plumbing", "厨房水龙头滴水");
    assert_non_null (strstr (s_out, "\"unit\":\"3-2-1503\""));
    assert_non_null (strstr (s_out, "\"reporter_name\":\"李四\""));
    char ticket_no [64];
    h_json_field (s_out, "ticket_no", ticket_no, sizeof ticket_no);
    //  The desk's lookup shows it open.
    UNTIL (ticket_no, "lookup", "13900000000", "--estate", "E002");
    assert_non_null (strstr (s_out, "open      "));
    //  E003 switched the check off while its register is loaded.
    s_import ("E003");
    CTL_OK ("file", "--estate", "E003", "--unit", "5-1-817", "--name", "王五", "--phone", "13700000000", "--type",
            "repair", "--channel", "phone", "--category", "lift", "电梯异响");
}

static void
test_household_set_by_the_desk (void **state)
{
    (void) state;
    s_import ("E003");
    CTL_OK ("--as", "F03", "--role", "front_desk", "--scope", "E003", "household", "set", "3-2-1504", "--person",
            "owner:赵六:13600000000", "--person", "tenant:钱七:13500000000,02155550000:123X", "--vehicle",
            "沪A12345:B2-117");
    assert_non_null (strstr (s_out, "tenant  钱七  13500000000, 02155550000"));
    assert_non_null (strstr (s_out, "vehicles  沪A12345  space B2-117"));
    assert_int_equal (CTL ("--as", "F03", "--role", "front_desk", "--scope", "E003", "household", "set", "3-2-1504",
                           "--person", "owner:赵六", "--vehicle", "沪A1", "--vehicle", "沪A1"), 1);
    assert_non_null (strstr (s_err, "vehicle 沪A1 is listed twice"));
    CTL_OK ("--as", "F03", "--role", "front_desk", "--scope", "E003", "lookup", "02155550000");
    assert_non_null (strstr (s_out, "(the caller: tenant 钱七)"));
    //  A whole identity number is refused, and nothing changes.
    assert_int_equal (CTL ("--as", "F03", "--role", "front_desk", "--scope", "E003", "household", "set", "3-2-1504",
                           "--person", "owner:赵六:13600000000:110101199001011234"), 1);
    assert_non_null (strstr (s_err, "no whole identity number is kept"));
    CTL_OK ("household", "3-2-1504", "--estate", "E003");
    assert_non_null (strstr (s_out, "钱七"));
    assert_non_null (strstr (s_out, "135****0000"));   //  the group's view: masked
    //  A technician may not change the register.
    assert_int_equal (CTL ("--as", "W01", "--role", "technician", "--scope", "E003", "household", "set", "3-2-1504",
                           "--person", "owner:x"), 1);
    assert_non_null (strstr (s_err, "a technician does not change the register"));
}

//  Issue 21.3: a handover starts billing from its date and files its
//  defects; a let unit that owes is not moved out but by a supervisor.
static void
test_move_in_bills_from_the_handover (void **state)
{
    (void) state;
    char path [256];
    h_write ("e4.csv", "unit,area_m2,owner_name,owner_phone,occupancy\n1-1-101,100,孙八,13800000011,vacant\n",
             path, sizeof path);
    CTL_OK ("units", "import", path, "--estate", "E004");
    CTL_OK ("billing", "schedule", "--estate", "E004", "--from", "2026-01-01", "--rate", "default:2.00");
    CTL_OK ("registry", "move-in", "1-1-101", "--estate", "E004", "--date", "2026-11-16", "--defect",
            "kitchen: tap drips", "--keys", "2", "--key-tag", "front door", "--meter", "water:W-1:12.5",
            "--document", "住户手册");
    assert_non_null (strstr (s_out, "E004 1-1-101 handed over on 2026-11-16: 1 defect"));
    assert_int_equal (CTL ("registry", "move-in", "1-1-101", "--estate", "E004"), 1);
    assert_non_null (strstr (s_err, "it was handed over already"));
    //  The defect is a repair ticket reported from the owner's phone.
    UNTIL ("入伙验房", "--json", "list", "--estate", "E004", "--unit", "1-1-101");
    assert_non_null (strstr (s_out, "13800000011"));
    //  Billing bills from the handover: 15 of November's 30 days of ¥200.
    UNTIL ("\"move_in_date\":20261116", "--json", "units", "--estate", "E004");
    CTL_OK ("billing", "run", "--estate", "E004", "--period", "2026-11");
    assert_non_null (strstr (s_out, "1 notices issued (¥100.00)"));
    //  Let, then moved out: refused while it owes, then a supervisor's override.
    CTL_OK ("registry", "let", "1-1-101", "--estate", "E004", "--person", "tenant:周九:13700000012", "--date",
            "2026-11-20");
    UNTIL ("\"balance_fen\":\"10000\"", "--json", "lookup", "1-1-101", "--estate", "E004");
    assert_int_equal (CTL ("--as", "F04", "--role", "front_desk", "--scope", "E004", "registry", "move-out", "1-1-101"),
                      1);
    assert_non_null (strstr (s_err, "1-1-101 owes ¥100.00: settle it first"));
    CTL_OK ("--as", "S04", "--role", "supervisor", "--scope", "E004", "registry", "move-out", "1-1-101", "--override",
            "押金抵扣 the deposit covers it");
    assert_non_null (strstr (s_out, "1 moved out, the tenancy ended, owing ¥100.00 (override: 押金抵扣"));
    assert_int_equal (CTL ("registry", "move-out", "1-1-101", "--estate", "E004"), 1);
    assert_non_null (strstr (s_err, "nobody lives in 1-1-101"));
}

//  Issue 21.5 and 21.6: the month's title and tenancy lists are made on
//  the 1st after it, on the file clock; the owner of the data exports the
//  register whole, and nobody else.
static void
test_monthly_lists_and_the_export (void **state)
{
    (void) state;
    CTL_OK ("clock", "set", "2028-05-20T10:00:00+08:00", "--file", s_clock);
    char path [256];
    h_write ("e5.csv", "unit,area_m2,owner_name,owner_phone,occupancy,move_in_date\n"
             "1-1-101,90,吴一,13800000051,occupied,2020-01-01\n1-1-102,95,郑二,13800000052,occupied,2020-01-01\n",
             path, sizeof path);
    CTL_OK ("units", "import", path, "--estate", "E005");
    //  1-1-102 is sold on the 20th and let on the 21st (in 2028: no other
    //  test moves the clock past these month ends).
    CTL_OK ("--as", "F05", "--role", "front_desk", "--scope", "E005", "household", "set", "1-1-102", "--person",
            "owner:冯三:13800000053");
    CTL_OK ("--as", "F05", "--role", "front_desk", "--scope", "E005", "registry", "let", "1-1-102", "--person",
            "tenant:陈四:13800000054", "--date", "2028-05-21", "--to", "2029-05-20");
    assert_int_equal (CTL ("registry", "titles", "--month", "2028-05", "--estate", "E005"), 1);
    assert_non_null (strstr (s_err, "the lists of 2028-05 are made on 2028-06-01"));
    //  The 1st: November's lists are made.
    CTL_OK ("clock", "set", "2028-06-01T00:30:00+08:00", "--file", s_clock);
    UNTIL ("冯三", "registry", "titles", "--month", "2028-05", "--estate", "E005");
    assert_non_null (strstr (s_out, "2028-05-20"));   //  its owners changed that day
    assert_non_null (strstr (s_out, "2 units, title list 2028-05"));
    CTL_OK ("registry", "tenancies", "--month", "2028-05", "--estate", "E005", "--csv");
    assert_non_null (strstr (s_out, "unit,area_m2,tenants,from_date,to_date,ended_date\n"
                                    "1-1-102,95.00,陈四,2028-05-21,2029-05-20,\n"));
    assert_int_equal (CTL ("registry", "titles", "--month", "2026-09", "--estate", "E005"), 1);
    assert_non_null (strstr (s_err, "no list of 2026-09"));
    assert_int_equal (CTL ("registry", "titles", "--month", "2026-13", "--estate", "E005"), 2);
    //  The export: the estate's manager gets it whole; the desk does not.
    CTL_OK ("--as", "M05", "--role", "manager", "--scope", "E005", "registry", "export");
    assert_non_null (strstr (s_out, "\"13800000054\""));
    assert_non_null (strstr (s_out, "\"from_owners\":[\"郑二\"]"));
    assert_int_equal (CTL ("--as", "F05", "--role", "front_desk", "--scope", "E005", "registry", "export"), 1);
    assert_non_null (strstr (s_err, "only a manager or operations exports a register"));
    assert_int_equal (CTL ("--as", "M04", "--role", "manager", "--scope", "E004", "registry", "export", "--estate",
                           "E005"), 1);
}

//  Issue 21.4: the ledger of vacant units; an inspection's finding is a ticket.
static void
test_vacant_inspection_files_its_finding (void **state)
{
    (void) state;
    s_import ("E002");
    CTL_OK ("registry", "vacant", "--estate", "E002");
    assert_non_null (strstr (s_out, "3-2-1504"));
    assert_int_equal (CTL ("registry", "inspect", "3-2-1504", "--estate", "E002", "--finding", "卫生间: 天花板水渍"), 1);
    assert_non_null (strstr (s_err, "the findings are reported from a phone"));
    CTL_OK ("--as", "F02", "--role", "front_desk", "--scope", "E002", "registry", "inspect", "3-2-1504", "--finding",
            "卫生间: 天花板水渍 a stain on the ceiling", "--phone", "13600000002");
    assert_non_null (strstr (s_out, "1 finding (each a ticket)"));
    UNTIL ("空置房检查", "--json", "list", "--estate", "E002", "--unit", "3-2-1504");
    assert_int_equal (CTL ("registry", "inspect", "3-2-1502", "--estate", "E002"), 1);
    assert_non_null (strstr (s_err, "3-2-1502 is not vacant"));
    //  Two months on the file clock without an inspection: overdue (from
    //  whatever day the clock shows: tests run in any order).
    CTL_OK ("clock", "advance", "62d", "--file", s_clock);
    UNTIL ("OVERDUE", "registry", "vacant", "--estate", "E002", "--overdue");
    assert_non_null (strstr (s_out, "3-2-1504"));
    //  kefu-escalation holds the inspection like any target: breached, the
    //  chain raised; the inspection meets it and the next cycle begins.
    UNTIL ("level 1 (handler and receptionist): vacant_inspection missed", "sla", "--estate", "E002", "--subject",
           "vacant/3-2-1504");
    assert_non_null (strstr (s_out, "cycle 2"));
    CTL_OK ("sla", "--estate", "E002", "--all");
    assert_non_null (strstr (s_out, "vacant/3-2-1504"));
    CTL_OK ("--as", "F02", "--role", "front_desk", "--scope", "E002", "registry", "inspect", "3-2-1504");
    UNTIL ("cycle 3", "sla", "--estate", "E002", "--subject", "vacant/3-2-1504");
    assert_non_null (strstr (s_out, "met late"));
    assert_int_equal (CTL ("sla", "--subject", "vacant/3-2-1504"), 2);
    assert_non_null (strstr (s_err, "takes its --estate"));
    assert_int_equal (CTL ("sla", "--estate", "E005", "--subject", "vacant/3-2-1504"), 1);
    assert_non_null (strstr (s_err, "no deadline vacant/3-2-1504 in E005"));
}

int
main (void)
{
    struct CMUnitTest tests [] = {
        cmocka_unit_test (test_import_and_lookup),
        cmocka_unit_test (test_intake_checks_the_register),
        cmocka_unit_test (test_household_set_by_the_desk),
        cmocka_unit_test (test_move_in_bills_from_the_handover),
        cmocka_unit_test (test_monthly_lists_and_the_export),
        cmocka_unit_test (test_vacant_inspection_files_its_finding),
    };
    return H_RUN_TESTS (tests, s_cluster_up, s_cluster_down);
}
