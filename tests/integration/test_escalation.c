/*  Integration tests of kefu-escalation: the real kefu-bus, kefu-intake,
    kefu-dispatch and kefu-escalation on ipc:// endpoints in a scratch
    directory, all on one file clock, driven through kefuctl.

    The cluster starts on Friday 2026-09-25 at 17:50 local time, ten minutes
    before reception closes and after the same-day cutoff. Saturday 09-26
    is a make-up working day, Monday 09-28 to Sunday 10-04 a holiday week.
    Each rule of the service standard is a test that files its case and
    reads the deadlines kefu-escalation set, from the filing through
    dispatch's work order. The last tests move the clock: the full chain
    reaches the deputy GM, seen in the ticket's timeline at intake; a
    kill -9 of kefu-escalation while its timers are overdue loses none and
    fires each once; the board and the report.
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
static char s_out [OUT_SIZE], s_err [4096];


static void
s_write_config (void)
{
    char text [8192];
    h_cluster_config (text, sizeof text, H_OUTBOX_YEAR,
        "calendars\n    cn\n        holidays = 2026-09-28..2026-10-04\n        makeup_days = 2026-09-26\n"
        "estates\n"
        "    E001\n        name = Riverside\n        calendar = cn\n"
        "        staff\n"
        "            W01\n                name = Wang\n                department = engineering\n"
        "                shifts = \"daily 00:00-24:00\"\n"
        "            B01\n                name = Wu\n                department = security\n"
        "                shifts = \"daily 00:00-24:00\"\n"
        "            F01\n                name = Liu\n                department = customer_service\n"
        "                role = front_desk\n                shifts = \"daily 00:00-24:00\"\n"
        "            S01\n                name = Huang\n                department = customer_service\n"
        "                role = supervisor\n"
        "            D01\n                name = Deng\n                department = customer_service\n"
        "                role = manager\n"
        "    E002\n        name = Board\n        calendar = cn\n",
        (const char *[]) { "intake", "dispatch", "escalation", NULL });
    h_write ("kefu.conf", text, s_config, sizeof s_config);
}

static bool
s_answers (void *arg)
{
    return CTL ("ping", (const char *) arg) == 0;
}

static const char *s_services [] = { "intake", "dispatch", "escalation", NULL };
static h_proc_t s_procs [H_CLUSTER_MAX];   //  the bus, then s_services
static h_proc_t *const s_escalation = &s_procs [3];

static int
s_cluster_up (void **state)
{
    return h_suite_up (state, s_write_config, s_procs, s_services, s_config, s_clock, sizeof s_clock,
                       "2026-09-25T17:50:00+08:00");
}

static int
s_cluster_down (void **state)
{
    return h_suite_down (state, s_procs, s_services);
}

//  Each test starts on the Friday at 17:50, whatever the tests before it
//  did to the clock (they run in reverse order too).
static void
s_friday (void)
{
    if (CTL ("clock", "set", "2026-09-25T17:50:00+08:00", "--file", s_clock))
        fail_msg ("clock set: %s", s_err);
}

//  File a case of an estate by phone (or `channel`) on the Friday at 17:50;
//  its number out.
static void
s_file_in (const char *estate, const char *type, const char *category, const char *channel, char *ticket_no,
           size_t size)
{
    s_friday ();
    if (CTL ("--json", "--as", "F01", "file", "--estate", estate, "--unit", "3-2-1502", "--name", "张三",
             "--phone", "13800000000", "--type", type, "--channel", channel ? channel : "phone",
             "--category", category, "a case"))
        fail_msg ("file: %s", s_err);
    h_json_field (s_out, "ticket_no", ticket_no, size);
}

static void
s_file (const char *type, const char *category, const char *channel, char *ticket_no, size_t size)
{
    s_file_in ("E001", type, category, channel, ticket_no, size);
}

typedef struct {
    const char *ticket_no;
    const char *target;      //  as the clocks table names it: "resolution"
    const char *want [3];    //  texts its row holds: policy, rule, deadline
} s_row_t;

//  The row of one target in `kefuctl sla TICKET` holds every wanted text.
static bool
s_row_holds (void *arg)
{
    s_row_t *r = arg;
    if (CTL ("sla", r->ticket_no))
        return false;
    char start [64];
    snprintf (start, sizeof start, "\n  %s ", r->target);
    const char *row = strstr (s_out, start);
    if (!row)
        return false;
    const char *end = strchr (row + 1, '\n');
    size_t n = end ? (size_t) (end - row) : strlen (row);
    for (int i = 0; i < 3 && r->want [i]; i++) {
        const char *hit = strstr (row, r->want [i]);
        if (!hit || (size_t) (hit - row) > n)
            return false;
    }
    return true;
}

static void
s_expect (const char *ticket_no, const char *target, const char *policy, const char *rule, const char *deadline)
{
    s_row_t r = { ticket_no, target, { policy, rule, deadline } };
    if (!h_wait_for (s_row_holds, &r, 10000))
        fail_msg ("%s of %s is not %s %s due %s:\n%s%s", target, ticket_no, policy, rule, deadline, s_out, s_err);
}

//  ---- each rule, on the Friday at 17:50 -------------------------------------------------------

static void
test_complaint_within_customer_service_same_day (void **state)
{
    (void) state;
    char t [64];
    s_file ("complaint", "fees", NULL, t, sizeof t);   //  fees: customer service's own
    s_expect (t, "resolution", "complaint", "same_day", "2026-09-26 18:00");
}

static void
test_transferred_complaint_three_working_days (void **state)
{
    (void) state;
    char t [64];
    s_file ("complaint", "noise", NULL, t, sizeof t);   //  noise: security handles it
    s_expect (t, "resolution", "complaint", "3wd", "2026-10-06 18:00");
}

static void
test_hotline_reply_72h (void **state)
{
    (void) state;
    char t [64];
    s_file ("complaint", "fees", "hotline", t, sizeof t);
    s_expect (t, "first_response", "hotline", "3d", "2026-09-28 17:50");   //  72 h
    s_expect (t, "resolution", "complaint", "same_day", "2026-09-26 18:00");
}

static void
test_emergency_24x7 (void **state)
{
    (void) state;
    char t [64];
    s_file ("repair", "gas", NULL, t, sizeof t);   //  intake makes gas an emergency
    s_expect (t, "first_response", "emergency", "15m", "2026-09-25 18:05");
    s_expect (t, "on_site", "emergency", "30m", "2026-09-25 18:20");
    s_expect (t, "resolution", "emergency", "1d", "2026-09-26 17:50");
}

static void
test_renovation_review_two_working_days (void **state)
{
    (void) state;
    char t [64];
    s_file ("renovation_application", "other", NULL, t, sizeof t);
    s_expect (t, "resolution", "renovation", "2wd", "2026-10-05 18:00");
}

static void
test_repair_in_working_hours (void **state)
{
    (void) state;
    char t [64];
    s_file ("repair", "plumbing", NULL, t, sizeof t);
    s_expect (t, "first_response", "repair", "30m", "2026-09-26 08:50");
    s_expect (t, "on_site", "repair", "4h", "2026-09-26 12:20");
    s_expect (t, "resolution", "repair", "3wd", "2026-10-06 18:00");
}

//  ---- the clock moves ---------------------------------------------------------------------------

typedef struct {
    const char *ticket_no;
    const char *text;
    int count;
} s_count_t;

//  The ticket's timeline at intake shows `text` exactly `count` times.
static bool
s_timeline_has (void *arg)
{
    s_count_t *c = arg;
    return CTL ("show", c->ticket_no) == 0 && h_occurrences (s_out, c->text) == c->count;
}

static void
s_expect_timeline (const char *ticket_no, const char *text, int count)
{
    s_count_t c = { ticket_no, text, count };
    if (!h_wait_for (s_timeline_has, &c, 15000))
        fail_msg ("the timeline of %s does not show '%s' %d times:\n%s", ticket_no, text, count, s_out);
}

//  A rectification after an unsatisfied visit is survey's to publish (issue
//  7); here, the same-day complaint misses its target and climbs the whole
//  chain, seen through the bus in intake's timeline of the ticket. The
//  service is killed while its timers are overdue: after the restart each
//  level is there once.
static void
test_full_chain_and_kill9_with_overdue_timers (void **state)
{
    (void) state;
    char t [64];
    s_file ("complaint", "fees", NULL, t, sizeof t);
    s_expect (t, "resolution", "complaint", "same_day", "2026-09-26 18:00");
    assert_int_equal (CTL ("clock", "set", "2026-09-26T18:00:00+08:00", "--file", s_clock), 0);
    s_expect_timeline (t, "escalation.raised", 1);
    s_expect_timeline (t, "sla.breached", 1);
    assert_int_equal (CTL ("sla", t), 0);
    assert_non_null (strstr (s_out, "level 1 handler"));
    //  Overdue while it is down: level 2 (22:00) and level 3 (Sunday 22:00).
    h_kill9 (s_escalation);
    assert_int_equal (CTL ("clock", "set", "2026-09-28T09:00:00+08:00", "--file", s_clock), 0);
    h_start (s_escalation);
    assert_true (h_wait_for (s_answers, "escalation", 10000));
    s_expect_timeline (t, "escalation.raised", 3);
    assert_int_equal (CTL ("sla", t), 0);
    assert_non_null (strstr (s_out, "level 3 deputy GM"));
    assert_int_equal (h_occurrences (s_out, "level 1 ("), 1);
    assert_int_equal (h_occurrences (s_out, "level 2 ("), 1);
    assert_int_equal (h_occurrences (s_out, "level 3 ("), 1);
    assert_non_null (strstr (s_out, "notified D01"));
    //  And again: nothing more is due, nothing fires twice.
    h_kill9 (s_escalation);
    h_start (s_escalation);
    assert_true (h_wait_for (s_answers, "escalation", 10000));
    assert_int_equal (CTL ("ping", "escalation"), 0);
    s_expect_timeline (t, "escalation.raised", 3);
    s_expect_timeline (t, "sla.breached", 1);
}

static void
test_board_and_report (void **state)
{
    (void) state;
    //  Two same-day complaints of E002 (its own, so this test counts only
    //  what it made), filed on Friday evening, are overdue by Monday.
    char a [64], b [64];
    s_file_in ("E002", "complaint", "fees", NULL, a, sizeof a);
    s_file_in ("E002", "complaint", "fees", NULL, b, sizeof b);
    s_expect (b, "resolution", "complaint", "same_day", "2026-09-26 18:00");
    assert_int_equal (CTL ("clock", "set", "2026-09-28T09:00:00+08:00", "--file", s_clock), 0);
    s_expect_timeline (b, "sla.breached", 1);
    assert_int_equal (CTL ("sla", "--estate", "E002"), 0);
    if (!strstr (s_out, "-1d15h"))       //  due Saturday 18:00, read Monday 09:00
        fail_msg ("board: %s", s_out);
    assert_non_null (strstr (s_out, a));
    assert_non_null (strstr (s_out, "past the warning threshold"));
    assert_int_equal (CTL ("--json", "sla", "--estate", "E002", "--all", "--limit", "1"), 0);
    assert_int_equal (h_occurrences (s_out, "\"ticket_no\""), 1);
    assert_int_equal (CTL ("sla", "--limit", "0"), 2);
    assert_non_null (strstr (s_err, "--limit takes 1 to 500"));
    assert_int_equal (CTL ("--scope", "E002", "sla", "--estate", "E001"), 1);
    assert_int_equal (CTL ("sla", "E001-20990101-0001"), 1);
    assert_non_null (strstr (s_err, "no SLA clocks"));
    assert_int_equal (CTL ("report", "sla", "--estate", "E002", "--from", "2026-09-01", "--to", "2026-09-30", "--by",
                           "category"), 0);
    assert_non_null (strstr (s_out, "fees"));
    assert_non_null (strstr (s_out, "valid complaints filed: 2"));
    assert_int_equal (CTL ("report", "sla", "--by", "weekday"), 2);
    assert_int_equal (CTL ("report", "weather"), 2);
    assert_int_equal (CTL ("report", "sla", "--from", "yesterday"), 2);
}

int
main (void)
{
    struct CMUnitTest tests [] = {
        cmocka_unit_test (test_complaint_within_customer_service_same_day),
        cmocka_unit_test (test_transferred_complaint_three_working_days),
        cmocka_unit_test (test_hotline_reply_72h),
        cmocka_unit_test (test_emergency_24x7),
        cmocka_unit_test (test_renovation_review_two_working_days),
        cmocka_unit_test (test_repair_in_working_hours),
        cmocka_unit_test (test_full_chain_and_kill9_with_overdue_timers),
        cmocka_unit_test (test_board_and_report),
    };
    return H_RUN_TESTS (tests, s_cluster_up, s_cluster_down);
}
