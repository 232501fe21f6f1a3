/*  The long fault suite (make fault): 2 producers x 3 estates, each
    stream KEFU_FAULT_EVENTS events (make fault: 34,000, so >= 200,000 in
    all) to three consumers, while consumers, producers and kefu-bus are
    killed with SIGKILL at random moments and restarted, until all is
    delivered. Every consumer must end with exactly the effect of every
    event of its streams: nothing lost, nothing twice, nothing out of order.
    Not part of make test (it runs for minutes).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bus_cluster.h"

//  make fault: KEFU_FAULT_EVENTS events per stream, every kind of process
//  killed at random moments and restarted, until all is delivered.
static void
test_random_kill9_storm (void **state)
{
    (void) state;
    const char *env = getenv ("KEFU_FAULT_EVENTS");
    if (!env || !*env)
        skip ();
    bc_cluster_t c;
    //  Paced, so that the storm has time to strike while events flow.
    bc_cluster_init (&c, 2, 3, strtoull (env, NULL, 10), 1500, 100000000);
    bc_start_all (&c);
    srandom ((unsigned) zclock_mono ());
    int kills [3] = { 0, 0, 0 };   //  consumers, producers, bus
    bc_progress_t done = { &c, -1, c.events };
    int64_t deadline = zclock_mono () + 45 * 60 * 1000;
    for (int round = 0; !bc_reached (&done) && zclock_mono () < deadline; round++) {
        //  A random moment; the kinds of victim take turns, the one of its
        //  kind is drawn at random.
        zclock_sleep (200 + (int) (random () % 1200));
        int kind = round % 3;
        h_proc_t *proc = kind == 0 ? &c.consumers [random () % 3]
                       : kind == 1 ? &c.producers [random () % 2] : &c.bus;
        h_kill9 (proc);
        kills [kind]++;
        h_start (proc);
    }
    printf ("kill -9: %d consumers, %d producers, %d bus\n", kills [0], kills [1], kills [2]);
    assert_true (bc_reached (&done));
    assert_true (kills [0] > 0 && kills [1] > 0 && kills [2] > 0);
    bc_cluster_stop (&c);
    bc_verify (&c);
}

int
main (void)
{
    h_init ();
    struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_random_kill9_storm, kf_test_dir_setup, h_teardown),
    };
    return H_RUN_TESTS (tests, NULL, NULL);
}
