/*  kf_notify — READY, WATCHDOG and STOPPING for systemd. See kf_notify.h.  */
#include "kf_notify.h"
#include "kf_log.h"

#include <assert.h>
#include <string.h>
#include <systemd/sd-daemon.h>

static int s_watchdog_ms = -1;      //  -1 until asked
static int64_t s_last_ping;         //  zclock_mono () of the last WATCHDOG=1
static bool s_failure_logged;

//  Send one notification; sd_notify is 0 without NOTIFY_SOCKET, < 0 when
//  the socket is there but refuses.
static void
s_notify (const char *state)
{
    int rc = sd_notify (0, state);
    if (rc < 0 && !s_failure_logged) {
        s_failure_logged = true;
        kf_warning ("cannot notify systemd (%.*s): %s", (int) strcspn (state, "\n"), state, strerror (-rc));
    }
}

int
kf_notify_watchdog_ms (void)
{
    if (s_watchdog_ms < 0) {
        //  > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is
        //  this process.
        uint64_t usec = 0;
        s_watchdog_ms = sd_watchdog_enabled (0, &usec) > 0 ? (int) (usec / 2000) : 0;
        if (usec && s_watchdog_ms == 0)
            s_watchdog_ms = 1;
    }
    return s_watchdog_ms;
}

static void
s_ping (void)
{
    s_last_ping = zclock_mono ();
    s_notify ("WATCHDOG=1");
}

void
kf_notify_ready (const char *status)
{
    assert (status);
    char state [512];
    snprintf (state, sizeof state, "READY=1\nSTATUS=%s", status);
    s_notify (state);
    if (kf_notify_watchdog_ms ())
        s_ping ();
}

void
kf_notify_stopping (void)
{
    s_notify ("STOPPING=1\nSTATUS=stopping");
}

void
kf_notify_alive (void)
{
    int interval = kf_notify_watchdog_ms ();
    if (interval && zclock_mono () - s_last_ping >= interval)
        s_ping ();
}

static int
s_on_watchdog (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id; (void) arg;
    s_ping ();
    return 0;
}

void
kf_notify_run (zloop_t *loop, const char *status)
{
    assert (loop && status);
    int interval = kf_notify_watchdog_ms ();
    int timer = interval ? zloop_timer (loop, (size_t) interval, 0, s_on_watchdog, NULL) : -1;
    kf_notify_ready (status);
    zloop_start (loop);
    kf_notify_stopping ();
    if (timer != -1)
        zloop_timer_end (loop, timer);
}
