/*  kf_daemon — common start-up of the kefu daemons.  */
#include "kf_daemon.h"

#include <assert.h>
#include <czmq.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _kf_daemon_t {
    char *name;
    kf_config_t *config;
    kf_clock_t *clock;
};

static void
s_usage (const char *name, const char *summary, FILE *out)
{
    fprintf (out,
        "usage: %s [--config FILE] [--clock FILE]\n"
        "%s\n\n"
        "  -c, --config FILE   the cluster's configuration (default: $KEFU_CONFIG, else\n"
        "                      var/kefu.conf when it exists, else deploy/kefu.conf)\n"
        "  -k, --clock FILE    follow the time written in FILE instead of the real clock\n"
        "  -h, --help          show this and exit\n", name, summary);
}

kf_daemon_t *
kf_daemon_new (const char *name, const char *summary, int argc, char **argv, int *exit_code)
{
    assert (name && summary && exit_code);
    static const struct option options [] = {
        { "config", required_argument, NULL, 'c' },
        { "clock", required_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *config_path = kf_config_default_path (), *clock_path = NULL;
    kf_log_init (name, KF_LOG_INFO);
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long (argc, argv, ":c:k:h", options, NULL)) != -1) {
        switch (c) {
            case 'c': config_path = optarg; break;
            case 'k': clock_path = optarg; break;
            case 'h':
                s_usage (name, summary, stdout);
                *exit_code = 0;
                return NULL;
            case ':':
                fprintf (stderr, "%s: %s needs a value (see --help)\n", name, argv [optind - 1]);
                *exit_code = 2;
                return NULL;
            default:
                fprintf (stderr, "%s: unknown option %s (see --help)\n", name, argv [optind - 1]);
                *exit_code = 2;
                return NULL;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "%s: unexpected argument '%s' (see --help)\n", name, argv [optind]);
        *exit_code = 2;
        return NULL;
    }
    kf_daemon_t *self = calloc (1, sizeof *self);
    kf_err_t err;
    *exit_code = 1;
    if (!self || !(self->name = strdup (name))) {
        fprintf (stderr, "%s: out of memory\n", name);
        kf_daemon_destroy (&self);
        return NULL;
    }
    self->config = kf_config_load (config_path, &err);
    if (self->config)
        self->clock = kf_clock_new (clock_path, &err);
    if (!self->config || !self->clock) {
        fprintf (stderr, "%s: %s\n", name, err.text);
        kf_daemon_destroy (&self);
        return NULL;
    }
    kf_log_level_t level = KF_LOG_INFO;
    kf_log_level_parse (kf_config_str (self->config, "cluster/log_level"), &level);
    kf_log_init (name, level);
    //  CZMQ catches SIGINT and SIGTERM and sets zsys_interrupted; the
    //  daemons' loops end on it. Its own log goes to stderr with ours.
    zsys_init ();
    zsys_set_logstream (stderr);
    zsys_set_logident (name);
    *exit_code = 0;
    return self;
}

void
kf_daemon_destroy (kf_daemon_t **self_p)
{
    assert (self_p);
    kf_daemon_t *self = *self_p;
    if (self) {
        kf_clock_destroy (&self->clock);
        kf_config_destroy (&self->config);
        free (self->name);
        free (self);
        *self_p = NULL;
    }
}

const char *
kf_daemon_name (kf_daemon_t *self)
{
    assert (self);
    return self->name;
}

kf_config_t *
kf_daemon_config (kf_daemon_t *self)
{
    assert (self);
    return self->config;
}

kf_clock_t *
kf_daemon_clock (kf_daemon_t *self)
{
    assert (self);
    return self->clock;
}
