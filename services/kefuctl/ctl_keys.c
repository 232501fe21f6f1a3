/*  kefuctl — the key tool: CURVE certificates that say whose they are
    (kf_keys), and the cluster's allowed-keys directory.  */
#include "ctl.h"
#include "kf_keys.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const char *role, *estates, *dir, *allowed;
} s_keys_t;

static int
s_keys_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_keys_t *k = arg;
    if (option == 'r')
        k->role = value;
    else
    if (option == 'e')
        k->estates = value;
    else
    if (option == 'd')
        k->dir = value;
    else
    if (option == 'a')
        k->allowed = value;
    return 0;
}

//  The allowed-keys directory: --allowed, else the configuration's.
static const char *
s_allowed (ctl_t *ctl, const s_keys_t *k)
{
    if (k->allowed)
        return k->allowed;
    const char *dir = ctl_config (ctl) ? kf_config_str (ctl->config, "security/allowed_keys") : NULL;
    if (!dir && ctl->config)
        ctl_fail (CTL_USAGE, "keys: which allowed-keys directory? (--allowed, or security/allowed_keys)");
    return dir;
}

static int
s_new (ctl_t *ctl, const s_keys_t *k, const char *name)
{
    (void) ctl;
    kf_key_role_t role;
    if (!k->role || kf_key_role_parse (k->role, &role))
        return ctl_fail (CTL_USAGE, "keys new: --role is cluster, estate or operations");
    kf_err_t err;
    const char *dir = k->dir ? k->dir : ".";
    if (kf_keys_make (dir, name, role, k->estates, &err))
        return ctl_fail (CTL_USAGE, "keys new: %s", err.text);
    printf ("%s/%s.cert         the public certificate: give it to the cluster (keys admit)\n", dir, name);
    printf ("%s/%s.cert_secret  the secret one (0600): keep it on %s only\n", dir, name, name);
    return 0;
}

//  An estate certificate names estates the cluster serves.
static int
s_known_estates (ctl_t *ctl, const kf_key_identity_t *id)
{
    for (size_t i = 0; i < id->estate_count; i++)
        if (!kf_config_estate_find (ctl->config, id->estates [i]))
            return ctl_fail (CTL_FAILED, "keys admit: %s names estate %s, which this configuration does not serve",
                             id->name, id->estates [i]);
    return 0;
}

static int
s_admit (ctl_t *ctl, const s_keys_t *k, const char *file)
{
    if (!ctl_config (ctl))
        return CTL_FAILED;   //  the estates a certificate names are checked against it
    const char *allowed = s_allowed (ctl, k);
    if (!allowed)
        return ctl->config ? CTL_USAGE : CTL_FAILED;
    kf_err_t err;
    kf_key_identity_t id;
    zcert_t *cert = kf_keys_load (file, &id, &err);
    if (!cert)
        return ctl_fail (CTL_FAILED, "keys admit: %s", err.text);
    int rc = s_known_estates (ctl, &id);
    if (rc == 0 && mkdir (allowed, 0755) != 0 && errno != EEXIST)
        rc = ctl_fail (CTL_FAILED, "keys admit: cannot make %s: %s", allowed, strerror (errno));
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s.cert", allowed, id.name);
    //  Only the public part goes in, whatever file was given.
    if (rc == 0 && zcert_save_public (cert, path))
        rc = ctl_fail (CTL_FAILED, "keys admit: cannot write %s: %s", path, strerror (errno));
    if (rc == 0)
        printf ("admitted %s (%s%s%s) into %s\n", id.name, kf_key_role_name (id.role), id.estate_count ? ": " : "",
                id.estate_count ? zcert_meta (cert, "estates") : "", allowed);
    zcert_destroy (&cert);
    return rc;
}

static int
s_revoke (ctl_t *ctl, const s_keys_t *k, const char *name)
{
    const char *allowed = s_allowed (ctl, k);
    if (!allowed)
        return ctl->config ? CTL_USAGE : CTL_FAILED;
    if (!kf_config_valid_id (name))
        return ctl_fail (CTL_USAGE, "keys revoke: '%s' is not a host name", name);
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s.cert", allowed, name);
    if (unlink (path) != 0)
        return ctl_fail (CTL_FAILED, "keys revoke: %s: %s", path, strerror (errno));
    printf ("revoked %s: %s removed\n", name, path);
    return 0;
}

static int
s_by_name (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
s_list (ctl_t *ctl, const s_keys_t *k)
{
    const char *allowed = s_allowed (ctl, k);
    if (!allowed)
        return ctl->config ? CTL_USAGE : CTL_FAILED;
    DIR *dir = opendir (allowed);
    if (!dir)
        return ctl_fail (CTL_FAILED, "keys: %s: %s", allowed, strerror (errno));
    char *names [1024];
    size_t count = 0;
    for (struct dirent *e; (e = readdir (dir)) && count < 1024; ) {
        size_t n = strlen (e->d_name);
        if (n > 5 && strcmp (e->d_name + n - 5, ".cert") == 0)
            names [count++] = strdup (e->d_name);
    }
    closedir (dir);
    qsort (names, count, sizeof *names, s_by_name);
    ctl_table_t *table = ctl_table_new (4, "HOST", "ROLE", "ESTATES", "PUBLIC KEY");
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", allowed, names [i]);
        kf_err_t err;
        kf_key_identity_t id;
        zcert_t *cert = kf_keys_load (path, &id, &err);
        if (!cert) {
            ctl_fail (CTL_FAILED, "keys: %s", err.text);   //  said, and the rest listed
            rc = CTL_FAILED;
        }
        else {
            const char *estates = zcert_meta (cert, "estates");
            ctl_table_row (table, id.name, kf_key_role_name (id.role),
                           estates ? estates : id.role == KF_KEY_CLUSTER ? "all" : "-", zcert_public_txt (cert));
            zcert_destroy (&cert);
        }
        free (names [i]);
    }
    ctl_table_print (&table, stdout);
    return rc;
}

static int
s_keys (ctl_t *ctl, int argc, char **argv)
{
    static const struct option spec [] = {
        { "role", required_argument, NULL, 'r' }, { "estates", required_argument, NULL, 'e' },
        { "dir", required_argument, NULL, 'd' }, { "allowed", required_argument, NULL, 'a' },
        { NULL, 0, NULL, 0 }
    };
    s_keys_t k = { 0 };
    int code;
    int first = ctl_options (ctl, &ctl_keys_command, argc, argv, spec, s_keys_option, &k, &code);
    if (first < 0)
        return code;
    const char *action = first < argc ? argv [first] : "list";
    const char *operand = first + 1 < argc ? argv [first + 1] : NULL;
    if (first + 2 < argc)
        return ctl_fail (CTL_USAGE, "keys %s: unexpected argument '%s'", action, argv [first + 2]);
    if (strcmp (action, "list") == 0 && !operand)
        return s_list (ctl, &k);
    if (!operand)
        return ctl_fail (CTL_USAGE, "keys %s: which %s? (see kefuctl keys --help)", action,
                         strcmp (action, "admit") == 0 ? "certificate file" : "host");
    if (strcmp (action, "new") == 0)
        return s_new (ctl, &k, operand);
    if (strcmp (action, "admit") == 0)
        return s_admit (ctl, &k, operand);
    if (strcmp (action, "revoke") == 0)
        return s_revoke (ctl, &k, operand);
    return ctl_fail (CTL_USAGE, "keys: '%s' is not new, admit, revoke or list", action);
}

const ctl_command_t ctl_keys_command = {
    "keys", "CURVE certificates that say whose they are; the cluster's allowed keys",
    "keys new HOST --role cluster|estate|operations [--estates E001,E002] [--dir DIR]\n"
    "       kefuctl keys admit CERT_FILE [--allowed DIR]\n"
    "       kefuctl keys revoke HOST [--allowed DIR]\n"
    "       kefuctl keys [list] [--allowed DIR]\n\n"
    "new makes a host's key pair in DIR (default .): HOST.cert, its public certificate,\n"
    "and HOST.cert_secret (0600), each naming the host, its role and, for an estate\n"
    "server (--role estate), the estates it files. admit puts a certificate's public part\n"
    "into the cluster's allowed-keys directory (security/allowed_keys unless --allowed),\n"
    "once its identity is sound and its estates are the cluster's; revoke takes a host's\n"
    "out; list shows who is admitted. The bus and the daemons read the directory.",
    s_keys, NULL
};
