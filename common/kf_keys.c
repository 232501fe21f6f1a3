/*  kf_keys — whose a CURVE certificate is. See kf_keys.h.  */
#include "kf_keys.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *s_roles [] = { NULL, "cluster", "estate", "operations" };

const char *
kf_key_role_name (kf_key_role_t role)
{
    return role >= KF_KEY_CLUSTER && role <= KF_KEY_OPERATIONS ? s_roles [role] : "?";
}

int
kf_key_role_parse (const char *text, kf_key_role_t *role)
{
    for (int r = KF_KEY_CLUSTER; text && r <= KF_KEY_OPERATIONS; r++)
        if (strcmp (text, s_roles [r]) == 0) {
            *role = (kf_key_role_t) r;
            return 0;
        }
    return -1;
}

//  "E001,E002" into the identity's estates: 0, or -1 with the reason.
static int
s_estates (const char *text, kf_key_identity_t *id, kf_err_t *err)
{
    id->estate_count = 0;
    const char *p = text;
    while (p && *p) {
        size_t n = strcspn (p, ",");
        char estate [KF_ID_MAX + 1];
        if (n == 0 || n > KF_ID_MAX)
            return kf_err_set (err, "estates '%s': an empty or over-long estate id", text);
        memcpy (estate, p, n);
        estate [n] = 0;
        if (!kf_config_valid_id (estate))
            return kf_err_set (err, "estates '%s': '%s' is not an estate id", text, estate);
        if (id->estate_count == KF_KEY_ESTATES_MAX)
            return kf_err_set (err, "estates '%s': more than %d", text, KF_KEY_ESTATES_MAX);
        memcpy (id->estates [id->estate_count++], estate, n + 1);
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

static int
s_check (const char *name, const char *role_text, const char *estates, kf_key_identity_t *id, kf_err_t *err)
{
    memset (id, 0, sizeof *id);
    if (!name || !kf_config_valid_id (name))
        return kf_err_set (err, "'%s' is not a host name (1-32 letters, digits, - and _)", name ? name : "");
    snprintf (id->name, sizeof id->name, "%s", name);
    if (kf_key_role_parse (role_text, &id->role))
        return kf_err_set (err, "%s: role '%s' is not cluster, estate or operations", name,
                           role_text ? role_text : "");
    bool any = estates && *estates;
    if (id->role == KF_KEY_ESTATE && !any)
        return kf_err_set (err, "%s: an estate server's certificate names its estates", name);
    if (id->role != KF_KEY_ESTATE && any)
        return kf_err_set (err, "%s: only an estate server's certificate names estates, not one of role %s", name,
                           kf_key_role_name (id->role));
    return s_estates (estates, id, err);
}

int
kf_keys_identity (zcert_t *cert, kf_key_identity_t *id, kf_err_t *err)
{
    assert (cert && id);
    return s_check (zcert_meta (cert, "name"), zcert_meta (cert, "role"), zcert_meta (cert, "estates"), id, err);
}

int
kf_keys_make (const char *dir, const char *name, kf_key_role_t role, const char *estates, kf_err_t *err)
{
    assert (dir);
    kf_key_identity_t id;
    if (s_check (name, kf_key_role_name (role), estates, &id, err))
        return -1;
    if (mkdir (dir, 0700) != 0 && errno != EEXIST)
        return kf_err_set (err, "cannot make %s: %s", dir, strerror (errno));
    char path [PATH_MAX], secret [PATH_MAX + 8];
    snprintf (path, sizeof path, "%s/%s.cert", dir, name);
    snprintf (secret, sizeof secret, "%s_secret", path);
    if (access (path, F_OK) == 0 || access (secret, F_OK) == 0)
        return kf_err_set (err, "%s exists already: revoke or remove it first", path);
    zcert_t *cert = zcert_new ();
    if (!cert)
        return kf_err_set (err, "cannot make a key pair");
    zcert_set_meta (cert, "name", "%s", name);
    zcert_set_meta (cert, "role", "%s", kf_key_role_name (role));
    if (estates && *estates)
        zcert_set_meta (cert, "estates", "%s", estates);
    //  The secret is never readable by others, not even for a moment.
    mode_t old = umask (077);
    int rc = zcert_save_secret (cert, secret);
    umask (022);
    rc = rc ? rc : zcert_save_public (cert, path);
    umask (old);
    zcert_destroy (&cert);
    if (rc) {
        unlink (secret);
        unlink (path);
        return kf_err_set (err, "cannot write %s: %s", path, strerror (errno));
    }
    return 0;
}

zcert_t *
kf_keys_load (const char *path, kf_key_identity_t *id, kf_err_t *err)
{
    assert (path && id);
    if (access (path, R_OK) != 0) {
        kf_err_set (err, "%s: %s", path, strerror (errno));
        return NULL;
    }
    //  zcert_load leaks (libczmq's zconfig_load) on a file that is not ZPL:
    //  look at the text first.
    char text [65536];
    FILE *file = fopen (path, "r");
    size_t got = file ? fread (text, 1, sizeof text - 1, file) : 0;
    if (file)
        fclose (file);
    text [got] = 0;
    zconfig_t *parsed = got < sizeof text - 1 ? zconfig_str_load (text) : NULL;
    bool keyed = parsed && zconfig_get (parsed, "curve/public-key", NULL);
    zconfig_destroy (&parsed);
    zcert_t *cert = keyed ? zcert_load (path) : NULL;
    if (!cert) {
        kf_err_set (err, "%s is not a certificate (zcert)", path);
        return NULL;
    }
    if (kf_keys_identity (cert, id, err)) {
        kf_err_prefix (err, "%s: ", path);
        zcert_destroy (&cert);
        return NULL;
    }
    return cert;
}

bool
kf_keys_for_estate (const kf_key_identity_t *id, const char *estate)
{
    assert (id);
    if (id->role == KF_KEY_CLUSTER)
        return true;
    for (size_t i = 0; id->role == KF_KEY_ESTATE && estate && i < id->estate_count; i++)
        if (strcmp (id->estates [i], estate) == 0)
            return true;
    return false;
}

bool
kf_keys_reads_estate (const kf_key_identity_t *id, const char *estate)
{
    assert (id);
    return id->role == KF_KEY_OPERATIONS || kf_keys_for_estate (id, estate);
}

const kf_key_identity_t *
kf_keys_local (void)
{
    static const kf_key_identity_t local = { "local", KF_KEY_CLUSTER, { { 0 } }, 0 };
    return &local;
}

//  ---- the keyring -----------------------------------------------------------

#define S_REFRESH_MS 1000

struct _kf_keyring_t {
    char *dir;
    zhashx_t *identities;     //  public key (Z85) -> kf_key_identity_t
    struct timespec mtime;    //  the directory's when last read
    int64_t checked_ms;       //  when the directory was last looked at
};

static void
s_identity_free (void **item)
{
    free (*item);
    *item = NULL;
}

//  Every NAME.cert of the directory (their _secret files are not read).
static void
s_keyring_load (kf_keyring_t *self)
{
    zhashx_purge (self->identities);
    DIR *dir = opendir (self->dir);
    if (!dir) {
        if (errno != ENOENT)
            kf_error ("allowed keys %s: %s", self->dir, strerror (errno));
        return;
    }
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        size_t len = strlen (entry->d_name);
        if (entry->d_name [0] == '.' || len < 6 || strcmp (entry->d_name + len - 5, ".cert") != 0)
            continue;
        char path [PATH_MAX];
        if (snprintf (path, sizeof path, "%s/%s", self->dir, entry->d_name) >= (int) sizeof path)
            continue;
        kf_key_identity_t *id = calloc (1, sizeof *id);
        kf_err_t err;
        zcert_t *cert = id ? kf_keys_load (path, id, &err) : NULL;
        if (cert)
            zhashx_update (self->identities, zcert_public_txt (cert), id);
        else {
            if (id)
                kf_error ("allowed keys: %s; it admits nothing", err.text);
            free (id);
        }
        zcert_destroy (&cert);
    }
    closedir (dir);
}

kf_keyring_t *
kf_keyring_new (const char *dir)
{
    assert (dir);
    kf_keyring_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->dir = strdup (dir);
    self->identities = zhashx_new ();
    if (!self->dir || !self->identities) {
        kf_keyring_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->identities, s_identity_free);
    kf_keyring_refresh (self, true);
    return self;
}

void
kf_keyring_destroy (kf_keyring_t **self_p)
{
    assert (self_p);
    kf_keyring_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->identities);
        free (self->dir);
        free (self);
        *self_p = NULL;
    }
}

void
kf_keyring_refresh (kf_keyring_t *self, bool force)
{
    assert (self);
    int64_t now = zclock_mono ();
    if (!force && now - self->checked_ms < S_REFRESH_MS)
        return;
    self->checked_ms = now;
    //  kefuctl keys adds and removes files, which changes the directory's
    //  mtime; a certificate edited in place is read again only when forced.
    struct stat st;
    struct timespec mtime = { 0, 0 };
    if (stat (self->dir, &st) == 0)
        mtime = st.st_mtim;
    if (!force && mtime.tv_sec == self->mtime.tv_sec && mtime.tv_nsec == self->mtime.tv_nsec)
        return;
    self->mtime = mtime;
    s_keyring_load (self);
}

const kf_key_identity_t *
kf_keyring_lookup (kf_keyring_t *self, const char *public_txt)
{
    assert (self);
    kf_keyring_refresh (self, false);
    return public_txt ? zhashx_lookup (self->identities, public_txt) : NULL;
}

size_t
kf_keyring_size (kf_keyring_t *self)
{
    assert (self);
    return zhashx_size (self->identities);
}
