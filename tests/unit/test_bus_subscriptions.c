/*  Unit test: a consumer of many estates subscribes to every one of them.

    A consumer bound to its estates (an intake of a thousand estates, an
    estate server's) subscribes to each estate's prefix and to _sys/. A SUB
    sends its subscriptions through its pipe like messages, and libzmq drops
    what does not fit under the send high-water mark (1,000 by default)
    without a word: the estates past it were heard only by replay after a
    gap, and _sys/ (the last) not at all. The bus's side here is an XPUB
    that counts what arrives.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kf_test.h"
#include "kf_bus.h"
#include "kf_clock.h"

#define S_ESTATES 1500

static int
s_ignore (kf_bus_t *bus, kf_txn_t *txn, const Kf__Envelope *event, void *arg)
{
    (void) bus; (void) txn; (void) event; (void) arg;
    return 0;
}

static void
test_every_estate_is_subscribed (void **state)
{
    (void) state;
    zsock_t *xpub = zsock_new (ZMQ_XPUB);
    assert_int_equal (zsock_bind (xpub, "ipc://%s/out", kf_test_dir), 0);
    char text [512], path [160];
    snprintf (text, sizeof text, "bus\n    publish = ipc://%s/in\n    subscribe = ipc://%s/out\n"
              "estates\n    E0001\n        name = one\n", kf_test_dir, kf_test_dir);
    snprintf (path, sizeof path, "%s/store", kf_test_dir);
    const char *tables [] = { KF_BUS_TABLES, NULL };
    kf_err_t err;
    kf_config_t *config = kf_config_load_text (text, "test", &err);
    if (!config)
        fail_msg ("%s", err.text);
    kf_store_t *store = kf_store_new (path, tables, NULL, NULL);
    kf_clock_t *clock = kf_clock_new (NULL, NULL);
    static char names [S_ESTATES][16];
    static const char *estates [S_ESTATES + 1];
    for (int i = 0; i < S_ESTATES; i++) {
        snprintf (names [i], sizeof names [i], "E%04d", i + 1);
        estates [i] = names [i];
    }
    kf_bus_options_t options = { .estates = estates, .handler = s_ignore };   //  a consumer only
    kf_bus_t *bus = kf_bus_new (config, store, clock, &options, &err);
    assert_non_null (bus);
    //  What reaches the bus: every estate's prefix and _sys/.
    int estate_prefixes = 0, sys = 0;
    zpoller_t *poller = zpoller_new (xpub, NULL);
    while (zpoller_wait (poller, 1000)) {
        zframe_t *frame = zframe_recv (xpub);
        const char *data = frame ? (const char *) zframe_data (frame) : "";
        if (frame && zframe_size (frame) > 1 && data [0] == 1) {
            estate_prefixes += data [1] == 'E';
            sys += zframe_size (frame) == 6 && memcmp (data + 1, "_sys/", 5) == 0;
        }
        zframe_destroy (&frame);
    }
    zpoller_destroy (&poller);
    assert_int_equal (estate_prefixes, S_ESTATES);
    assert_int_equal (sys, 1);
    kf_bus_destroy (&bus);
    kf_clock_destroy (&clock);
    kf_store_destroy (&store);
    kf_config_destroy (&config);
    zsock_destroy (&xpub);
}

int
main (void)
{
    kf_log_init ("test", KF_LOG_WARNING);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_every_estate_is_subscribed, kf_test_dir_setup, kf_test_dir_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
