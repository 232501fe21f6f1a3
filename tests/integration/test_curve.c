/*  Integration tests of CURVE on tcp:// endpoints: the real kefu-bus,
    producer and consumer over tcp://127.0.0.1 with certificates made here.
    A known key is admitted and events flow exactly once; an unknown key is
    refused in the handshake; a tcp:// endpoint without security settings
    stops the daemon with a clear reason.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "kf_test.h"
#include "kf_harness.h"
#include "kf_inbox.h"
#include "kf_outbox.h"
#include "bus_effect.h"

//  Whether a TCP port on the loopback can be bound now. A plain socket, not
//  a ZeroMQ one: ZeroMQ closes its listeners later, on its I/O thread, and
//  the daemon's bind could still find the port taken.
static bool
s_port_free (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    bool free = fd >= 0 && bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0;
    if (fd >= 0)
        close (fd);
    return free;
}

//  Free TCP ports on the loopback, below the kernel's ephemeral range
//  (32768 and up): there no outgoing connection can take one as its source
//  port between our probe and the daemon's bind.
static void
s_free_ports (int *ports, int count)
{
    srandom ((unsigned) getpid () ^ (unsigned) zclock_mono ());
    for (int attempt = 0; attempt < 100; attempt++) {
        int base = 20000 + (int) (random () % 12000);
        bool all = true;
        for (int i = 0; i < count && all; i++) {
            ports [i] = base + i;
            all = s_port_free (ports [i]);
        }
        if (all)
            return;
    }
    fail_msg ("no free ports below the ephemeral range");
}

typedef struct {
    int publish, subscribe, replay;
    char config [256];
} s_setup_t;

//  Certificates: the cluster's, a known host's (admitted), a rogue's.
static void
s_make_certificates (void)
{
    char path [256];
    snprintf (path, sizeof path, "%s/allowed", kf_test_dir);
    zsys_dir_create ("%s", path);
    zcert_t *cluster = zcert_new (), *node = zcert_new (), *rogue = zcert_new ();
    snprintf (path, sizeof path, "%s/cluster.cert", kf_test_dir);
    assert_int_equal (zcert_save (cluster, path), 0);
    snprintf (path, sizeof path, "%s/node.cert", kf_test_dir);
    assert_int_equal (zcert_save (node, path), 0);
    snprintf (path, sizeof path, "%s/allowed/node.cert", kf_test_dir);
    assert_int_equal (zcert_save_public (node, path), 0);
    snprintf (path, sizeof path, "%s/rogue.cert", kf_test_dir);
    assert_int_equal (zcert_save (rogue, path), 0);
    zcert_destroy (&cluster);
    zcert_destroy (&node);
    zcert_destroy (&rogue);
}

static void
s_write_config (s_setup_t *s, bool secure)
{
    int ports [3];
    s_free_ports (ports, 3);
    s->publish = ports [0];
    s->subscribe = ports [1];
    s->replay = ports [2];
    snprintf (s->config, sizeof s->config, "%s/kefu.conf", kf_test_dir);
    FILE *file = fopen (s->config, "w");
    fprintf (file,
        "bus\n    publish = tcp://127.0.0.1:%d\n    subscribe = tcp://127.0.0.1:%d\n    heartbeat = 200ms\n"
        "estates\n    E001\n        name = one\n", s->publish, s->subscribe);
    if (secure)
        fprintf (file, "security\n    cluster_certificate = %s/cluster.cert\n    certificate = %s/node.cert\n"
                       "    allowed_keys = %s/allowed\n", kf_test_dir, kf_test_dir, kf_test_dir);
    fclose (file);
}

//  Connect a socket of a fitting type (SUB to the bus's XPUB, DEALER to a
//  ROUTER) with the given certificate and report how its handshake went:
//  ZMQ_EVENT_HANDSHAKE_SUCCEEDED or ZMQ_EVENT_HANDSHAKE_FAILED_AUTH (0: neither in time).
static int
s_handshake (int type, int port, const char *certificate)
{
    char path [256];
    snprintf (path, sizeof path, "%s/cluster.cert", kf_test_dir);
    zcert_t *cluster = zcert_load (path);
    snprintf (path, sizeof path, "%s/%s", kf_test_dir, certificate);
    zcert_t *own = zcert_load (path);
    zsock_t *sub = zsock_new (type);
    zcert_apply (own, sub);
    zsock_set_curve_serverkey (sub, zcert_public_txt (cluster));
    char monitor_endpoint [64];
    snprintf (monitor_endpoint, sizeof monitor_endpoint, "inproc://monitor-%s", certificate);
    zmq_socket_monitor (zsock_resolve (sub), monitor_endpoint,
                        ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    zsock_t *monitor = zsock_new (ZMQ_PAIR);
    zsock_connect (monitor, "%s", monitor_endpoint);
    zsock_set_rcvtimeo (monitor, 10000);
    zsock_connect (sub, "tcp://127.0.0.1:%d", port);
    int event = 0;
    zmsg_t *msg = zmsg_recv (monitor);
    zframe_t *frame = msg ? zmsg_first (msg) : NULL;
    if (frame && zframe_size (frame) >= 2) {
        uint16_t id;
        memcpy (&id, zframe_data (frame), sizeof id);
        event = id;
    }
    zmsg_destroy (&msg);
    zmq_socket_monitor (zsock_resolve (sub), NULL, 0);
    zsock_destroy (&monitor);
    zsock_destroy (&sub);
    zcert_destroy (&cluster);
    zcert_destroy (&own);
    return event;
}

static bus_effect_t
s_effect (const char *consumer, const char *stream)
{
    char path [128];
    snprintf (path, sizeof path, "%s/%s", kf_test_dir, consumer);
    const char *tables [] = { KF_BUS_TABLES, "effects", NULL };
    kf_store_t *store = kf_store_new (path, tables, NULL, NULL);
    bus_effect_t effect = { 0 };
    kf_key_t key;
    kf_key_make (&key, "s", stream);
    if (store) {
        bus_effect_read_t arg = { &key, &effect };
        kf_store_read (store, bus_effect_read, &arg, NULL);
    }
    kf_store_destroy (&store);
    return effect;
}

static bool
s_consumer_done (void *arg)
{
    return s_effect ("c1", "p1@c1/E001").count >= *(uint64_t *) arg;
}

static void
test_known_key_works_unknown_refused (void **state)
{
    (void) state;
    s_make_certificates ();
    s_setup_t s;
    s_write_config (&s, true);
    h_proc_t bus, producer, consumer;
    char replay [64], data [128], cdata [128];
    snprintf (replay, sizeof replay, "tcp://127.0.0.1:%d", s.replay);
    snprintf (data, sizeof data, "%s/p1", kf_test_dir);
    snprintf (cdata, sizeof cdata, "%s/c1", kf_test_dir);
    h_proc_init (&bus, kf_test_dir, "bus", "kefu-bus", "--config", s.config, NULL);
    h_proc_init (&producer, kf_test_dir, "p1", "bus_producer", "--config", s.config, "--producer", "p1@c1",
                 "--replay", replay, "--data", data, "--estates", "E001", "--events", "500", "--rate", "2000", NULL);
    h_proc_init (&consumer, kf_test_dir, "c1", "bus_consumer", "--config", s.config, "--data", cdata, NULL);
    h_start (&bus);
    h_start (&consumer);
    h_start (&producer);
    //  Events cross tcp:// under CURVE, replay included.
    uint64_t all = 500;
    assert_true (h_wait_for (s_consumer_done, &all, 60000));
    //  The handshake admits the known key and refuses another.
    assert_int_equal (s_handshake (ZMQ_SUB, s.subscribe, "node.cert"), ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    assert_int_equal (s_handshake (ZMQ_SUB, s.subscribe, "rogue.cert"), ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    assert_int_equal (s_handshake (ZMQ_DEALER, s.replay, "node.cert"), ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    assert_int_equal (s_handshake (ZMQ_DEALER, s.replay, "rogue.cert"), ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    assert_int_equal (h_stop (&consumer, 20000), 0);
    assert_int_equal (h_stop (&producer, 20000), 0);
    assert_int_equal (h_stop (&bus, 20000), 0);
    bus_effect_t effect = s_effect ("c1", "p1@c1/E001");
    assert_int_equal (effect.count, 500);
    assert_int_equal (effect.violations, 0);
    h_proc_free (&bus);
    h_proc_free (&producer);
    h_proc_free (&consumer);
}

//  Issue 16.1: a key admitted with kefuctl keys while the cluster runs is
//  let in, and refused again once revoked, with no restart.
static bool
s_handshake_is (void *arg)
{
    const int *want = arg;
    return s_handshake (ZMQ_SUB, want [0], "keys/e7.cert") == want [1];
}

static void
test_admit_and_revoke_without_restart (void **state)
{
    (void) state;
    s_make_certificates ();
    s_setup_t s;
    s_write_config (&s, true);
    h_proc_t bus;
    h_proc_init (&bus, kf_test_dir, "bus", "kefu-bus", "--config", s.config, NULL);
    h_start (&bus);
    char keys [192], allowed [192], cert [256], out [1024], err [1024];
    snprintf (keys, sizeof keys, "%s/keys", kf_test_dir);
    snprintf (allowed, sizeof allowed, "%s/allowed", kf_test_dir);
    snprintf (cert, sizeof cert, "%s/e7.cert", keys);
    assert_int_equal (h_run (kf_test_dir, out, sizeof out, err, sizeof err, "kefuctl", "--config", s.config, "keys", "new",
                             "e7", "--role", "estate", "--estates", "E001", "--dir", keys, NULL), 0);
    int refused [2] = { s.subscribe, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH };
    int admitted [2] = { s.subscribe, ZMQ_EVENT_HANDSHAKE_SUCCEEDED };
    assert_true (h_wait_for (s_handshake_is, refused, 20000));
    assert_int_equal (h_run (kf_test_dir, out, sizeof out, err, sizeof err, "kefuctl", "--config", s.config, "keys",
                             "admit", cert, NULL), 0);
    assert_true (h_wait_for (s_handshake_is, admitted, 20000));
    assert_int_equal (h_run (kf_test_dir, out, sizeof out, err, sizeof err, "kefuctl", "--config", s.config, "keys",
                             "revoke", "e7", NULL), 0);
    assert_true (h_wait_for (s_handshake_is, refused, 20000));
    assert_int_equal (h_stop (&bus, 20000), 0);
    h_proc_free (&bus);
}

static void
test_tcp_without_security_is_refused (void **state)
{
    (void) state;
    s_setup_t s;
    s_write_config (&s, false);
    h_proc_t bus;
    h_proc_init (&bus, kf_test_dir, "bus", "kefu-bus", "--config", s.config, NULL);
    h_start (&bus);
    int status;
    waitpid (bus.pid, &status, 0);
    bus.pid = 0;
    h_forget (&bus);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 1);
    assert_true (h_log_contains (&bus, "CURVE needs security/cluster_certificate"));
    h_proc_free (&bus);
}


int
main (void)
{
    h_init ();
    struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_known_key_works_unknown_refused, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_admit_and_revoke_without_restart, kf_test_dir_setup, h_teardown),
        cmocka_unit_test_setup_teardown (test_tcp_without_security_is_refused, kf_test_dir_setup, h_teardown),
    };
    return H_RUN_TESTS (tests, NULL, NULL);
}
