/*  Unit tests: kf_template, the text a notification is made from (issue
    24): placeholders resolved against the event's descriptor at load, the
    errors of a template naming what the event lacks, values as people
    read them (enums, times in the estate's offset, yuan), nested fields,
    literal braces, and an output that does not fit cut on a whole
    character.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kf_template.h"
#include "kf_field.h"
#include "kf_time.h"
#include "envelope.pb-c.h"

static void
test_values_as_people_read_them (void **state)
{
    (void) state;
    kf_err_t err;
    kf_template_t *t = kf_template_new ("工单 {ticket_no} 派给 {staff_name}（{department}），{{加急}}: {reason}.",
                                        &kf__order_assigned__descriptor, &err);
    assert_non_null (t);
    Kf__OrderAssigned a = KF__ORDER_ASSIGNED__INIT;
    a.ticket_no = "E001-20261123-0001";
    a.staff_name = "王军";
    KF_SET (&a, department, KF__DEPARTMENT__DEPARTMENT_ENGINEERING);
    char out [256];
    assert_int_equal (kf_template_render (t, &a.base, 480, out, sizeof out), 0);
    assert_string_equal (out, "工单 E001-20261123-0001 派给 王军（engineering），{加急}: .");
    //  Cut to what fits, on a whole character.
    char small [12];
    assert_int_equal (kf_template_render (t, &a.base, 480, small, sizeof small), -1);
    assert_string_equal (small, "工单 E001");
    kf_template_destroy (&t);
    kf_template_destroy (&t);   //  safe twice

    //  Nested fields, a time in the estate's offset, money in yuan.
    t = kf_template_new ("{round.name} due {round.due_ms}, {round.findings} findings", &kf__round_event__descriptor, &err);
    assert_non_null (t);
    Kf__Round r = KF__ROUND__INIT;
    r.name = "消防巡检";
    int64_t due;
    assert_int_equal (kf_time_parse ("2026-11-23 13:00", 480, &due, &err), 0);
    KF_SET (&r, due_ms, due);
    Kf__RoundEvent e = KF__ROUND_EVENT__INIT;
    assert_int_equal (kf_template_render (t, &e.base, 480, out, sizeof out), 0);
    assert_string_equal (out, " due ,  findings");   //  no round: nothing
    e.round = &r;
    assert_int_equal (kf_template_render (t, &e.base, 480, out, sizeof out), 0);
    assert_string_equal (out, "消防巡检 due 2026-11-23 13:00,  findings");
    KF_SET (&r, findings, 2);
    assert_int_equal (kf_template_render (t, &e.base, 0, out, sizeof out), 0);
    assert_string_equal (out, "消防巡检 due 2026-11-23 05:00, 2 findings");
    kf_template_destroy (&t);
    t = kf_template_new ("{unit}: {total_fen} by {due_at_ms}", &kf__invoice_issued__descriptor, &err);
    if (!t)
        fail_msg ("%s", err.text);
    Kf__InvoiceIssued invoice = KF__INVOICE_ISSUED__INIT;
    invoice.unit = "3-2-1502";
    KF_SET (&invoice, total_fen, 123456);
    KF_SET (&invoice, due_at_ms, due);
    assert_int_equal (kf_template_render (t, &invoice.base, 480, out, sizeof out), 0);
    assert_string_equal (out, "3-2-1502: ¥1234.56 by 2026-11-23 13:00");
    kf_template_destroy (&t);
}

static void
test_templates_refused (void **state)
{
    (void) state;
    static const struct { const char *text, *why; } bad [] = {
        { "{staff}", "kf.OrderAssigned has no field 'staff'" },
        { "{order_no", "is not closed" },
        { "{}", "not a field name" },
        { "{ticket_no.x}", "is not a message" },
        { "{department.x}", "is not a message" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        kf_err_t err;
        kf_template_t *t = kf_template_new (bad [i].text, &kf__order_assigned__descriptor, &err);
        assert_null (t);
        if (!strstr (err.text, bad [i].why))
            fail_msg ("'%s': '%s', not '%s'", bad [i].text, err.text, bad [i].why);
    }
    kf_err_t err;
    assert_null (kf_template_new ("{round}", &kf__round_event__descriptor, &err));
    assert_non_null (strstr (err.text, "is a message, not a value"));
    assert_null (kf_template_new ("{round.checkpoints}", &kf__round_event__descriptor, &err));
    assert_non_null (strstr (err.text, "is a list"));
    assert_null (kf_template_new ("bad \xff byte", &kf__round_event__descriptor, &err));
    assert_null (kf_template_new (NULL, &kf__round_event__descriptor, &err));
}

int
main (void)
{
    struct CMUnitTest tests [] = {
        cmocka_unit_test (test_values_as_people_read_them),
        cmocka_unit_test (test_templates_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
