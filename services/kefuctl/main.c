/*  kefuctl — the command line of kefu for staff and operations.

        kefuctl [--config FILE] [--timeout MS] [--as STAFF] [--role ROLE]
                [--scope ESTATE] [--json] COMMAND [ARGS]

    See ctl.h for what the commands share and the exit statuses.
*/
#include "ctl.h"
#include "kf_field.h"

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: kefuctl [OPTIONS] COMMAND [ARGS]     kefuctl COMMAND --help explains one\n\n"
        "tickets\n");
    for (int i = 0; ctl_commands [i]; i++) {
        if (ctl_commands [i] == &ctl_orders_command)
            fprintf (out, "work orders\n");
        if (ctl_commands [i] == &ctl_sla_command)
            fprintf (out, "service standard, owners, fees and reports\n");
        if (ctl_commands [i] == &ctl_tap_command)
            fprintf (out, "operations\n");
        fprintf (out, "  %-8s %s\n", ctl_commands [i]->name, ctl_commands [i]->summary);
    }
    fprintf (out,
        "\noptions\n"
        "  --config FILE   the cluster's configuration (default: $KEFU_CONFIG, else var/kefu.conf\n"
        "                  when it exists, else deploy/kefu.conf)\n"
        "  --timeout MS    how long to wait for a daemon (default 5000)\n"
        "  --as STAFF      who acts, for timelines (default: $KEFU_ACTOR, else $USER)\n"
        "  --role ROLE     front_desk, technician, supervisor, manager or operations\n"
        "                  (default: $KEFU_ROLE, else manager)\n"
        "  --scope ESTATE  act as staff of this estate only (default: the whole group); it is\n"
        "                  the --estate E of every command that needs one and is not given it\n"
        "  --json          machine-readable output: protobuf JSON\n\n"
        "Exit status: 0 done; 1 the request failed (refused, or no answer in time); 2 bad arguments.\n");
}

int
main (int argc, char **argv)
{
    //  kefuctl is a client: no CZMQ signal handling beyond what tap needs,
    //  and errors are its own one-line messages.
    zsys_init ();
    zsys_set_logstream (NULL);
    //  A line goes out when it is complete, piped or not: a run's progress,
    //  --all pages and tap are read by scripts while kefuctl still works.
    setvbuf (stdout, NULL, _IOLBF, 0);
    ctl_t ctl = {
        .config_path = kf_config_default_path (),
        .timeout_ms = 5000,
        .actor = getenv ("KEFU_ACTOR") && *getenv ("KEFU_ACTOR") ? getenv ("KEFU_ACTOR")
               : getenv ("USER") && *getenv ("USER") ? getenv ("USER") : "kefuctl",
        .role = KF__ROLE__ROLE_MANAGER,
        .scope = NULL,
    };
    const char *role = getenv ("KEFU_ROLE");
    int value;
    if (role && *role) {
        if (ctl_enum (&kf__role__descriptor, "KEFU_ROLE", role, &value))
            return CTL_USAGE;
        ctl.role = value;
    }
    static const struct option options [] = {
        { "config", required_argument, NULL, 'c' }, { "timeout", required_argument, NULL, 't' },
        { "as", required_argument, NULL, 'a' }, { "role", required_argument, NULL, 'r' },
        { "scope", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
    };
    opterr = 0;
    int c, index = -1;
    uint64_t seen = 0;
    char *end;
    while ((c = getopt_long (argc, argv, "+:h", options, &index)) != -1) {
        if (ctl_option_once (NULL, options, index, &seen))
            return CTL_USAGE;
        index = -1;
        switch (c) {
            case 'c': ctl.config_path = optarg; break;
            case 'a': ctl.actor = optarg; break;
            case 's': ctl.scope = optarg; break;
            case 'J': ctl.json = true; break;
            case 'h':
                s_usage (stdout);
                return 0;
            case 't': {
                long ms = strtol (optarg, &end, 10);
                if (*end || ms < 1 || ms > 3600000)
                    return ctl_fail (CTL_USAGE, "--timeout '%s' is not from 1 to 3600000 ms", optarg);
                ctl.timeout_ms = (int) ms;
                break;
            }
            case 'r':
                if (ctl_enum (&kf__role__descriptor, "--role", optarg, &value))
                    return CTL_USAGE;
                ctl.role = value;
                break;
            case ':':
                return ctl_fail (CTL_USAGE, "%s needs a value (see kefuctl --help)", argv [optind - 1]);
            default:
                return ctl_fail (CTL_USAGE, "unknown option %s (see kefuctl --help)", argv [optind - 1]);
        }
    }
    if (optind >= argc) {
        s_usage (stderr);
        return CTL_USAGE;
    }
    const char *name = argv [optind];
    if (strcmp (name, "help") == 0) {
        s_usage (stdout);
        return 0;
    }
    int rc = -1;
    for (int i = 0; ctl_commands [i] && rc < 0; i++)
        if (strcmp (ctl_commands [i]->name, name) == 0)
            rc = ctl_commands [i]->run (&ctl, argc - optind, argv + optind);
    if (rc < 0)
        rc = ctl_fail (CTL_USAGE, "unknown command '%s' (see kefuctl --help)", name);
    kf_net_destroy (&ctl.net);
    kf_config_destroy (&ctl.config);
    return rc;
}
