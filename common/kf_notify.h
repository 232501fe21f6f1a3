/*  kf_notify — what a daemon tells systemd (sd_notify, Type=notify units in
    deploy/systemd/): READY=1 once it is live, WATCHDOG=1 while its loop
    turns (when the unit sets WatchdogSec), STOPPING=1 when it begins to stop.

    The one place libsystemd is called. Every call does nothing when
    NOTIFY_SOCKET is unset (make run, tests), and a failure to notify is
    logged once, never fatal. State is per process, as NOTIFY_SOCKET is.

    "Live" means what kefuctl ping needs: the store open, the service's
    state loaded, what the outbox had not sent sent again, the endpoints
    bound. Catching up with other producers happens live (kf_bus): a
    producer that is down must not hold back another daemon's start.
*/
#ifndef KF_NOTIFY_H_INCLUDED
#define KF_NOTIFY_H_INCLUDED

#include <czmq.h>

//  READY=1, with `status` as the unit's status line (systemctl status).
void kf_notify_ready (const char *status);

//  STOPPING=1: the daemon has begun its orderly shutdown.
void kf_notify_stopping (void);

//  How often the loop must ping, in ms: half of systemd's WATCHDOG_USEC;
//  0 when systemd watches nothing (or watches another process).
int kf_notify_watchdog_ms (void);

//  WATCHDOG=1 when half the watchdog interval has passed since the last;
//  cheap enough for every turn of a loop that is not a zloop.
void kf_notify_alive (void);

//  A zloop as a daemon's main loop: READY=1 with `status`, a timer that
//  pings the watchdog, the loop until SIGINT/SIGTERM (or a handler ends
//  it), then STOPPING=1.
void kf_notify_run (zloop_t *loop, const char *status);

#endif
