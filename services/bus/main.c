/*  kefu-bus — the event bus proxy. See bus_proxy.h.  */
#include "bus_proxy.h"
#include "kf_daemon.h"
#include "kf_notify.h"

int
main (int argc, char **argv)
{
    int status;
    kf_daemon_t *daemon = kf_daemon_new ("kefu-bus",
        "The event bus: producers publish to bus/publish, consumers subscribe at\n"
        "bus/subscribe, operations watch bus/capture.", argc, argv, &status);
    if (!daemon)
        return status;
    kf_err_t err;
    bus_proxy_t *proxy = bus_proxy_new (kf_daemon_config (daemon), kf_daemon_clock (daemon), &err);
    if (!proxy) {
        kf_error ("%s", err.text);
        kf_daemon_destroy (&daemon);
        return 1;
    }
    kf_notice ("forwarding %s -> %s", kf_config_str (kf_daemon_config (daemon), "bus/publish"),
               kf_config_str (kf_daemon_config (daemon), "bus/subscribe"));
    //  Its sockets are bound: producers and consumers can connect.
    kf_notify_ready ("forwarding events");
    status = bus_proxy_run (proxy) == 0 ? 0 : 1;
    kf_notify_stopping ();
    const bus_proxy_stats_t *stats = bus_proxy_stats (proxy);
    kf_notice ("stopping after %llu messages forwarded, %llu publishes and %llu subscriptions refused",
               (unsigned long long) stats->forwarded,
               (unsigned long long) (stats->refused_publish + stats->unknown_keys),
               (unsigned long long) stats->refused_subscribe);
    bus_proxy_destroy (&proxy);
    kf_daemon_destroy (&daemon);
    return status;
}
