/*  Integration tests of the service standard on every day of the year
    (issue 15): the real kefu-bus, kefu-intake, kefu-dispatch and
    kefu-escalation on ipc:// endpoints in a scratch directory, on one file
    clock, driven through kefuctl. Each test sets the clock to its own day
    and counts only the tickets it files, so the tests pass in any order.

    E001 has a 24-hour guard, a daily cleaner, a night engineer, weekday
    staff, a night supervisor, and a named supervisor and deputy GM. E002
    has weekday staff only: at night nobody there can act.
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


//  The last output holds (or does not hold) a text; else it is shown.
#define S_HAS(text) do { if (!strstr (s_out, text)) fail_msg ("no '%s' in:\n%s", text, s_out); } while (0)
#define S_HAS_NOT(text) do { if (strstr (s_out, text)) fail_msg ("'%s' in:\n%s", text, s_out); } while (0)

#define PERSON(id, department, role, shifts) \
    "            " id "\n                name = " id "\n                department = " department "\n" \
    "                role = " role "\n                shifts = \"" shifts "\"\n"

static void
s_write_config (void)
{
    char text [8192];
    h_cluster_config (text, sizeof text, H_OUTBOX_YEAR,
        "calendars\n    cn\n        holidays = 2026-10-01..2026-10-07\n        makeup_days = 2026-10-10\n"
        "estates\n"
        "    E001\n        name = Riverside\n        calendar = cn\n"
        "        escalation\n            supervisor = S01\n            deputy_gm = D01\n"
        "        staff\n"
        PERSON ("B01", "security", "technician", "daily 00:00-24:00")
        PERSON ("C01", "cleaning", "technician", "daily 07:00-19:00")
        PERSON ("W03", "engineering", "technician", "daily 20:00-08:00")
        PERSON ("W01", "engineering", "technician", "mon-fri 08:30-17:30")
        PERSON ("F01", "customer_service", "front_desk", "mon-fri 08:30-18:00, sat-sun 09:00-17:00, hol 09:00-17:00")
        PERSON ("S01", "customer_service", "supervisor", "mon-fri 08:30-18:00")
        PERSON ("S02", "customer_service", "supervisor", "daily 18:00-08:00")
        PERSON ("S03", "customer_service", "supervisor", "mon-fri 08:30-18:00")
        PERSON ("D01", "customer_service", "manager", "mon-fri 08:30-18:00")
        "    E002\n        name = Maple\n        calendar = cn\n"
        "        staff\n"
        PERSON ("F2", "customer_service", "front_desk", "mon-fri 08:30-18:00")
        PERSON ("S2", "customer_service", "supervisor", "mon-fri 08:30-18:00")
        PERSON ("D2", "customer_service", "manager", "mon-fri 08:30-18:00"),
        (const char *[]) { "intake", "dispatch", "escalation", NULL });
    h_write ("kefu.conf", text, s_config, sizeof s_config);
}

static const char *s_services [] = { "intake", "dispatch", "escalation", NULL };
static h_proc_t s_procs [H_CLUSTER_MAX];   //  the bus, then s_services

static int
s_cluster_up (void **state)
{
    return h_suite_up (state, s_write_config, s_procs, s_services, s_config, s_clock, sizeof s_clock,
                       "2026-11-27T09:00:00+08:00");
}

static int
s_cluster_down (void **state)
{
    return h_suite_down (state, s_procs, s_services);
}

static void
s_clock_at (const char *iso)
{
    CTL_OK ("clock", "set", iso, "--file", s_clock);
}

//  File a case now, with a hazard ticked or none; its number out.
static void
s_file (const char *estate, const char *type, const char *category, const char *hazard, char *ticket_no, size_t size)
{
    const char *argv [] = { "kefuctl", "--config", s_config, "--json", "--as", "F01", "file", "--estate", estate,
                            "--unit", "3-2-1502", "--name", "张三", "--phone", "13800000000", "--type", type,
                            "--channel", "phone", "--category", category, hazard ? "--hazard" : "a case",
                            hazard ? hazard : NULL, hazard ? "a case" : NULL, NULL };
    if (h_runv (kf_test_dir, s_out, sizeof s_out, s_err, sizeof s_err, (char *const *) argv))
        fail_msg ("file: %s", s_err);
    h_json_field (s_out, "ticket_no", ticket_no, size);
}

typedef struct {
    const char *argv [8];    //  kefuctl's command after --config
    const char *text;        //  what its output must hold
    int count;               //  this many times (0: at least once)
} s_until_t;

static bool
s_output_holds (void *arg)
{
    s_until_t *u = arg;
    char *argv [12] = { "kefuctl", "--config", s_config };
    int n = 3;
    for (int i = 0; u->argv [i] && n < 11; i++)
        argv [n++] = (char *) u->argv [i];
    argv [n] = NULL;
    if (h_runv (kf_test_dir, s_out, sizeof s_out, s_err, sizeof s_err, argv))
        return false;
    int seen = h_occurrences (s_out, u->text);
    return u->count ? seen == u->count : seen > 0;
}

//  The ticket's timeline at intake shows `text` (exactly `count` times).
static void
s_timeline (const char *ticket_no, const char *text, int count)
{
    s_until_t u = { { "show", ticket_no }, text, count };
    if (!h_wait_for (s_output_holds, &u, 15000))
        fail_msg ("the timeline of %s does not show '%s' %d times:\n%s%s", ticket_no, text, count, s_out, s_err);
}

//  ---- 15.1 life safety is never queued ------------------------------------------------------

//  A person trapped in a lift at 03:00 on a Sunday, filed as a call for
//  help about "other": an emergency, routed by its hazard to security,
//  assigned at once to the guard on the 24-hour shift.
static void
test_person_trapped_at_night_goes_at_once (void **state)
{
    (void) state;
    s_clock_at ("2026-11-29T03:00:00+08:00");
    char t [64];
    s_file ("E001", "emergency_help", "other", "person_trapped", t, sizeof t);
    s_timeline (t, "staff_id=B01", 0);
    S_HAS ("priority emergency");
    S_HAS ("department=security");
    S_HAS_NOT ("order.queued");
}

//  Gas at 03:00 in an estate with nobody on shift or on call: the order
//  waits, and the supervisor and the deputy GM are told at once, by name,
//  on the ticket's timeline.
static void
test_emergency_nobody_there_escalates_at_once (void **state)
{
    (void) state;
    s_clock_at ("2026-11-29T03:00:00+08:00");
    char t [64];
    s_file ("E002", "repair", "other", "gas_smell", t, sizeof t);
    s_timeline (t, "escalation.raised", 2);
    S_HAS ("order.queued");
    S_HAS ("level=supervisor");
    S_HAS ("notify_staff=S2");
    S_HAS ("level=deputy_gm");
    S_HAS ("notify_staff=D2");
    S_HAS ("emergency with nobody to take it");
}

//  ---- 15.2 rotas on public holidays ----------------------------------------------------------

//  National Day: the daily cleaner takes the cleaning at 10:00, the night
//  engineer the leak at 22:00, the guard the noise; nothing queues.
static void
test_daily_staff_work_on_holidays (void **state)
{
    (void) state;
    char cleaning [64], leak [64], noise [64];
    s_clock_at ("2026-10-01T10:00:00+08:00");
    s_file ("E001", "repair", "cleaning", NULL, cleaning, sizeof cleaning);
    s_file ("E001", "complaint", "noise", NULL, noise, sizeof noise);
    s_timeline (cleaning, "staff_id=C01", 0);
    s_timeline (noise, "staff_id=B01", 0);
    s_clock_at ("2026-10-01T22:00:00+08:00");
    s_file ("E001", "repair", "plumbing", NULL, leak, sizeof leak);
    s_timeline (leak, "staff_id=W03", 0);
    assert_int_equal (CTL ("show", cleaning), 0);
    S_HAS_NOT ("order.queued");
    assert_int_equal (CTL ("staff", "--estate", "E001", "--on-duty"), 0);
    S_HAS ("W03");
    S_HAS ("B01");
    S_HAS_NOT ("W01");   //  weekdays only: off on the holiday
}

//  ---- 15.3 escalation reaches someone who is there ----------------------------------------------

//  A same-day complaint of Friday evening is due at Saturday's close; level
//  2 comes four hours later, at 21:00: the night supervisor on shift and
//  the named supervisor are told, not the day supervisor at home.
static void
test_level_two_reaches_who_is_on_shift (void **state)
{
    (void) state;
    s_clock_at ("2026-11-27T17:50:00+08:00");
    char t [64];
    s_file ("E001", "complaint", "fees", NULL, t, sizeof t);
    s_clock_at ("2026-11-28T21:30:00+08:00");
    s_timeline (t, "level=supervisor", 1);
    S_HAS ("notify_staff=S01,S02 ");
    S_HAS_NOT ("S03");
}

//  After a transfer to a department with nobody on shift, the board names
//  nobody as the handler, not the guard who held the first order.
static void
test_board_handler_after_transfer (void **state)
{
    (void) state;
    s_clock_at ("2026-11-28T10:00:00+08:00");   //  Saturday: no engineer by day
    char t [64], order [80];
    s_file ("E001", "complaint", "noise", NULL, t, sizeof t);
    s_timeline (t, "staff_id=B01", 0);
    snprintf (order, sizeof order, "%s-W1", t);
    CTL_OK ("--as", "B01", "--role", "technician", "order", "transfer", order, "--to", "engineering", "the pipes");
    s_timeline (t, "order.queued", 1);
    s_until_t u = { { "sla", "--estate", "E001", "--all", "--limit", "500" }, t, 0 };
    assert_true (h_wait_for (s_output_holds, &u, 15000));
    const char *row = strstr (s_out, t);
    size_t n = strcspn (row, "\n");
    char line [512];
    snprintf (line, sizeof line, "%.*s", (int) (n < sizeof line ? n : sizeof line - 1), row);
    if (strstr (line, "B01") || line [strlen (line) - 1] != '-')
        fail_msg ("the board still names the old handler: %s", line);
}

//  ---- 15.6 after a jump, 15.7 time used --------------------------------------------------------

//  `sla TICKET` counts the running stretch; then one step past the 80 %
//  and the deadline: the breach alone, its warning marked as skipped.
static void
test_jump_skips_the_warning_and_used_counts_running (void **state)
{
    (void) state;
    s_clock_at ("2026-11-27T09:00:00+08:00");
    char t [64];
    s_file ("E001", "complaint", "fees", NULL, t, sizeof t);
    //  At 15:00, before the warning (80 % of 9 h is 16:12): 6 h used.
    s_clock_at ("2026-11-27T15:00:00+08:00");
    s_until_t used = { { "sla", t }, "6h / 9h", 0 };
    if (!h_wait_for (s_output_holds, &used, 15000))
        fail_msg ("the time used is not counted: %s%s", s_out, s_err);
    s_clock_at ("2026-11-27T19:00:00+08:00");
    s_timeline (t, "sla.breached", 1);
    CTL_OK ("--json", "show", t);
    S_HAS ("warning_skipped=yes");
    S_HAS_NOT ("sla.warning");
    CTL_OK ("sla", t);
    S_HAS ("warning skipped");
}

int
main (void)
{
    struct CMUnitTest tests [] = {
        cmocka_unit_test (test_person_trapped_at_night_goes_at_once),
        cmocka_unit_test (test_emergency_nobody_there_escalates_at_once),
        cmocka_unit_test (test_daily_staff_work_on_holidays),
        cmocka_unit_test (test_level_two_reaches_who_is_on_shift),
        cmocka_unit_test (test_board_handler_after_transfer),
        cmocka_unit_test (test_jump_skips_the_warning_and_used_counts_running),
    };
    return H_RUN_TESTS (tests, s_cluster_up, s_cluster_down);
}
