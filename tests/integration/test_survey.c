/*  Integration tests of kefu-survey: the real kefu-bus, kefu-intake,
    kefu-dispatch, kefu-billing and kefu-survey on ipc:// endpoints in a
    scratch directory, on one file clock, driven through kefuctl.

    The whole loop with the owner: a leak repaired → a return visit due in
    3 days → the owner is unsatisfied → dispatch's rectification order and
    intake's reopened ticket → the rectification completed → a new visit.
    The evaluation draws from the households billing imported. The clock
    moves: the visit falls overdue, and the daily report is made in the
    morning.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kf_test.h"
#include "kf_harness.h"

static char s_config [256], s_clock [256];

#define OUT_SIZE (1 << 20)
static char s_out [OUT_SIZE], s_err [8192];


static void
s_write_config (void)
{
    char text [8192];
    h_cluster_config (text, sizeof text, H_OUTBOX_YEAR,
        "estates\n"
        "    E001\n        name = Riverside\n"
        "        staff\n"
        "            W01\n                name = Wang\n                department = engineering\n"
        "                shifts = \"daily 00:00-24:00\"\n"
        "    E002\n        name = Maple\n"
        "registry\n    check_units = false\n",   //  its tickets are for units no register holds
        (const char *[]) { "intake", "dispatch", "billing", "survey", "registry", NULL });
    h_write ("kefu.conf", text, s_config, sizeof s_config);
}

static const char *s_services [] = { "intake", "dispatch", "billing", "survey", "registry", NULL };
static h_proc_t s_procs [H_CLUSTER_MAX];   //  the bus, then s_services

static int
s_cluster_up (void **state)
{
    return h_suite_up (state, s_write_config, s_procs, s_services, s_config, s_clock, sizeof s_clock,
                       "2026-11-02T10:00:00+08:00");
}

static int
s_cluster_down (void **state)
{
    return h_suite_down (state, s_procs, s_services);
}

//  Accept, start and complete an order once dispatch has assigned it.
static void
s_work (const char *order_no)
{
    UNTIL ("ORDER_STATUS_ASSIGNED", "--json", "order", "show", order_no);
    CTL_OK ("--as", "W01", "--role", "technician", "order", "accept", order_no);
    CTL_OK ("--as", "W01", "--role", "technician", "order", "start", order_no);
    CTL_OK ("--as", "W01", "--role", "technician", "order", "complete", order_no, "--minutes", "40");
}

static void
test_unsatisfied_owner_gets_rectification_and_a_new_visit (void **state)
{
    (void) state;
    CTL_OK ("clock", "set", "2026-11-02T10:00:00+08:00", "--file", s_clock);
    CTL_OK ("--json", "--as", "F01", "file", "--estate", "E001", "--unit", "3-2-1502", "--name", "张三", "--phone",
            "13800000000", "--type", "repair", "--channel", "phone", "--category", "water_leak", "卫生间漏水");
    char ticket_no [64], order_no [80], rectification [80], visit [96];
    h_json_field (s_out, "ticket_no", ticket_no, sizeof ticket_no);
    snprintf (order_no, sizeof order_no, "%s-W1", ticket_no);
    s_work (order_no);
    CTL_OK ("--as", "F01", "close", ticket_no, "换了水管");
    //  A leak: the visit is due in 3 days.
    UNTIL ("2026-11-05 10:00", "visits", "--estate", "E001", "--pending");
    assert_non_null (strstr (s_out, "after_repair"));
    assert_non_null (strstr (s_out, "water_leak"));
    snprintf (visit, sizeof visit, "%s-V1", ticket_no);
    assert_int_equal (CTL ("visits", "answer", visit, "--reached", "--satisfaction", "delighted", "--score", "5"), 2);
    assert_int_equal (CTL ("visits", "answer", visit, "--reached", "--satisfaction", "unsatisfied"), 2);
    CTL_OK ("--as", "F01", "visits", "answer", visit, "--reached", "--satisfaction", "unsatisfied", "--score", "1",
            "还在漏");
    assert_non_null (strstr (s_out, "rectification order"));
    assert_int_equal (CTL ("visits", "answer", visit, "--not-reached"), 1);
    assert_non_null (strstr (s_err, "done already"));
    //  Dispatch's rectification order, intake's reopened ticket.
    snprintf (rectification, sizeof rectification, "%s-W2", ticket_no);
    UNTIL ("rectifies", "order", "show", rectification);
    UNTIL ("ticket.reopened", "show", ticket_no);
    assert_non_null (strstr (s_out, "visit.unsatisfied"));
    //  The rectification done: a new visit, after rectification.
    s_work (rectification);
    UNTIL ("after_rectification", "visits", "--estate", "E001", "--pending");
    //  Its window passes: overdue; the satisfaction report counts the first.
    CTL_OK ("clock", "set", "2026-11-06T10:01:00+08:00", "--file", s_clock);
    UNTIL ("overdue", "visits", "--estate", "E001");
    CTL_OK ("report", "satisfaction", "--estate", "E001", "--by", "technician");
    assert_non_null (strstr (s_out, "W01"));
    assert_non_null (strstr (s_out, "0.0 %"));
    CTL_OK ("report", "pareto", "--estate", "E001");
    assert_non_null (strstr (s_out, "water_leak"));
    assert_non_null (strstr (s_out, "vital few"));
}

//  File a case of E002 now; its number out.
static void
s_file_e002 (const char *type, const char *category, char *ticket_no, size_t size)
{
    CTL_OK ("--json", "--as", "F01", "file", "--estate", "E002", "--unit", "1-1-101", "--name", "李四", "--phone",
            "13800000001", "--type", type, "--channel", "phone", "--category", category, "a case");
    h_json_field (s_out, "ticket_no", ticket_no, size);
}

//  The daily statistics of E002 (its own cases: the count is this test's):
//  made in the morning, and after a jump over three mornings each missed
//  day's, with the count open at its own midnight (issue 15.4). In January,
//  after every other test's days: a report is made once, for the days
//  after its job began, so a day before another test's is never made.
static void
test_daily_report_in_the_morning (void **state)
{
    (void) state;
    char repair [64], complaint [64];
    CTL_OK ("clock", "set", "2027-01-11T10:00:00+08:00", "--file", s_clock);
    s_file_e002 ("repair", "plumbing", repair, sizeof repair);
    s_file_e002 ("complaint", "noise", complaint, sizeof complaint);
    CTL_OK ("--as", "F01", "close", repair, "fixed");
    //  Survey has counted the day before the clock moves on.
    UNTIL ("tickets closed     1", "report", "daily", "--estate", "E002", "--date", "2027-01-11");
    CTL_OK ("clock", "set", "2027-01-12T10:01:00+08:00", "--file", s_clock);
    UNTIL ("made 2027-01-12", "report", "daily", "--estate", "E002", "--date", "2027-01-11");
    assert_non_null (strstr (s_out, "tickets filed      2 (complaints 1, repairs 1)"));
    assert_non_null (strstr (s_out, "open at midnight   1"));
    //  The complaint closed on the 13th; the clock then jumps to the 15th.
    CTL_OK ("clock", "set", "2027-01-13T15:00:00+08:00", "--file", s_clock);
    CTL_OK ("--as", "F01", "close", complaint, "talked to the neighbours");
    UNTIL ("tickets closed     1", "report", "daily", "--estate", "E002", "--date", "2027-01-13");
    CTL_OK ("clock", "set", "2027-01-15T09:00:00+08:00", "--file", s_clock);
    UNTIL ("made 2027-01-15", "report", "daily", "--estate", "E002", "--date", "2027-01-14");
    CTL_OK ("report", "daily", "--estate", "E002", "--date", "2027-01-12");
    assert_non_null (strstr (s_out, "open at midnight   1"));
    assert_non_null (strstr (s_out, "made 2027-01-1"));   //  the 12th's own, or the catch-up's
    CTL_OK ("report", "daily", "--estate", "E002", "--date", "2027-01-13");
    assert_non_null (strstr (s_out, "made 2027-01-15"));
    assert_non_null (strstr (s_out, "open at midnight   0"));
    assert_non_null (strstr (s_out, "tickets closed     1"));
    assert_int_equal (CTL ("report", "daily", "--estate", "E002", "--date", "2026-02-30"), 2);
}

static void
test_evaluation_from_billing_households (void **state)
{
    (void) state;
    CTL_OK ("clock", "set", "2026-12-01T09:00:00+08:00", "--file", s_clock);
    char csv [4096], path [256];
    size_t used = (size_t) snprintf (csv, sizeof csv, "unit,area_m2,occupied\n");
    for (int i = 1; i <= 30; i++)
        used += (size_t) snprintf (csv + used, sizeof csv - used, "5-1-%d,90,%s\n", i, i <= 25 ? "yes" : "no");
    h_write ("units.csv", csv, path, sizeof path);
    CTL_OK ("units", "import", path, "--estate", "E001");
    UNTIL ("5 of 25 occupied households", "evaluation", "sample", "--estate", "E001", "--year", "2026", "--quarter",
           "4", "--seed", "2a");
    assert_int_equal (CTL ("evaluation", "sample", "--estate", "E001", "--year", "2026", "--quarter", "4", "--seed",
                           "2b"), 1);
    assert_non_null (strstr (s_err, "drawn already, with seed 000000000000002a"));
    CTL_OK ("--json", "evaluation", "status", "E001-2026Q4");
    char drawn [5][32], line [192];
    const char *units = strstr (s_out, "\"units\":[");
    assert_non_null (units);
    units += 9;
    for (int i = 0; i < 5; i++) {
        assert_true (*units == '"');
        snprintf (drawn [i], sizeof drawn [i], "%.*s", (int) strcspn (units + 1, "\""), units + 1);
        units += strlen (drawn [i]) + 3;
    }
    const char *unit = drawn [0];
    assert_int_equal (CTL ("evaluation", "answer", "E001-2026Q4", unit, "--area", "cleaning:4"), 1);
    assert_non_null (strstr (s_err, "handed out on the 15th"));
    CTL_OK ("clock", "set", "2026-12-16T09:00:00+08:00", "--file", s_clock);
    CTL_OK ("evaluation", "answer", "E001-2026Q4", unit, "--area", "cleaning:2:cleaning", "--area", "security:5",
            "楼道不干净");
    assert_non_null (strstr (s_out, "1 answered"));
    assert_int_equal (CTL ("evaluation", "answer", "E001-2026Q4", unit, "--area", "gardens:4"), 2);
    //  Whom to chase: the four drawn households that have not answered, a page at a time or all.
    CTL_OK ("evaluation", "status", "E001-2026Q4", "--page-size", "3");
    assert_non_null (strstr (s_out, "5 of 25 occupied households drawn"));
    assert_non_null (strstr (s_out, "3 of 4 unanswered households; next page: --page "));
    CTL_OK ("evaluation", "status", "E001-2026Q4", "--page-size", "3", "--all");
    assert_non_null (strstr (s_out, "4 of 4 unanswered households\n"));
    for (int i = 0; i < 5; i++) {
        snprintf (line, sizeof line, "\n%s\n", drawn [i]);
        if ((strstr (s_out, line) != NULL) != (i > 0))
            fail_msg ("%s is %slisted as not answered:\n%s", drawn [i], i ? "not " : "", s_out);
    }
    CTL_OK ("--json", "evaluation", "status", "E001-2026Q4");
    snprintf (line, sizeof line, "\"not_answered\":[\"%s\"", drawn [1]);
    assert_non_null (strstr (s_out, line));
    assert_int_equal (CTL ("evaluation", "status", "E001-2026Q4", "--page", "nobody"), 1);
    assert_non_null (strstr (s_err, "page_token is not one this service gave"));
    CTL_OK ("clock", "set", "2026-12-30T00:00:05+08:00", "--file", s_clock);
    UNTIL ("closed", "evaluation", "status", "E001-2026Q4");
}

int
main (void)
{
    struct CMUnitTest tests [] = {
        cmocka_unit_test (test_unsatisfied_owner_gets_rectification_and_a_new_visit),
        cmocka_unit_test (test_daily_report_in_the_morning),
        cmocka_unit_test (test_evaluation_from_billing_households),
    };
    return H_RUN_TESTS (tests, s_cluster_up, s_cluster_down);
}
