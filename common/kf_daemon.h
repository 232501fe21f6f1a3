/*  kf_daemon — what every kefu daemon does before its own work: parse the
    common command line, load and check the configuration, start logging,
    pick the clock. Keeps each main.c thin.

        kefu-NAME [--config FILE] [--clock FILE] [--help]

    Bad arguments or a broken configuration end the process with a one-line
    reason on stderr and a non-zero status, before anything is touched.
*/
#ifndef KF_DAEMON_H_INCLUDED
#define KF_DAEMON_H_INCLUDED

#include "kf_clock.h"
#include "kf_config.h"

typedef struct _kf_daemon_t kf_daemon_t;

//  NULL when the process should end now, with *exit_code: 0 after --help,
//  2 for bad arguments, 1 for a configuration or clock that cannot be used.
kf_daemon_t *kf_daemon_new (const char *name, const char *summary, int argc, char **argv, int *exit_code);
void kf_daemon_destroy (kf_daemon_t **self_p);

const char *kf_daemon_name (kf_daemon_t *self);
kf_config_t *kf_daemon_config (kf_daemon_t *self);
kf_clock_t *kf_daemon_clock (kf_daemon_t *self);

#endif
