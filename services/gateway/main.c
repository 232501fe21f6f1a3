/*  kefu-gateway — the JSON HTTP API, the web console and /metrics.

    Holds nothing durable: it passes each request to the daemon that
    answers it (with the caller's estate and role from its token), streams
    the bus to the console, and asks the daemons for their status when
    Prometheus scrapes. See http.h for the routes, gateway.h for the rules.
*/
#include "gateway.h"
#include "http.h"
#include "kf_daemon.h"
#include "kf_notify.h"

int
main (int argc, char **argv)
{
    int status;
    kf_daemon_t *daemon = kf_daemon_new ("kefu-gateway",
        "The JSON HTTP API of every kefuctl operation, the web console and\n"
        "Prometheus /metrics, on services/gateway/listen; tokens in\n"
        "gateway/tokens bind each caller to an estate and a role.", argc, argv, &status);
    if (!daemon)
        return status;
    kf_config_t *config = kf_daemon_config (daemon);
    kf_err_t err;
    gateway_t *gateway = gateway_new (config, &err);
    kf_net_t *net = gateway ? kf_net_new (config, &err) : NULL;
    zloop_t *loop = net ? zloop_new () : NULL;
    http_t *http = loop ? http_new (config, net, gateway, kf_daemon_clock (daemon), loop, &err) : NULL;
    if (http) {
        kf_notify_run (loop, "serving HTTP");   //  until SIGINT or SIGTERM
        kf_notice ("stopping");
        status = 0;
    }
    else {
        kf_error ("%s", err.text);
        status = 1;
    }
    http_destroy (&http);
    zloop_destroy (&loop);
    kf_net_destroy (&net);
    gateway_destroy (&gateway);
    kf_daemon_destroy (&daemon);
    return status;
}
