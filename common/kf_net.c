/*  kf_net — binding and connecting endpoints, with CURVE over tcp://.  */
#include "kf_net.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_ZAP_DOMAIN "kefu"

struct _kf_net_t {
    bool curve;             //  security/curve
    zcert_t *cluster;       //  the cluster's certificate (with its secret on cluster hosts)
    zcert_t *own;           //  this process's certificate, as a client
    char *allowed;          //  directory of admitted client certificates
    kf_keyring_t *keyring;  //  whose each admitted key is
    zhashx_t *server_keys;  //  endpoint -> public key of a service served by an estate server
    zactor_t *auth;         //  zauth, started when a tcp:// endpoint is bound
};

static bool
s_is_tcp (const char *endpoint)
{
    return strncmp (endpoint, "tcp://", 6) == 0;
}

//  mkdir -p of the directory that will hold an ipc socket file.
static int
s_prepare_ipc (const char *endpoint, kf_err_t *err)
{
    const char *path = endpoint + strlen ("ipc://");
    char dir [512];
    const char *slash = strrchr (path, '/');
    if (!slash)
        return 0;
    if ((size_t) (slash - path) >= sizeof dir)
        return kf_err_set (err, "%s: path too long", endpoint);
    snprintf (dir, sizeof dir, "%.*s", (int) (slash - path), path);
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir (dir, 0755) != 0 && errno != EEXIST)
                return kf_err_set (err, "cannot create %s for %s: %s", dir, endpoint, strerror (errno));
            *p = '/';
        }
    if (*dir && mkdir (dir, 0755) != 0 && errno != EEXIST)
        return kf_err_set (err, "cannot create %s for %s: %s", dir, endpoint, strerror (errno));
    return 0;
}

kf_net_t *
kf_net_new (kf_config_t *config, kf_err_t *err)
{
    assert (config);
    kf_net_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->curve = kf_config_bool (config, "security/curve");
    const char *cluster = kf_config_str (config, "security/cluster_certificate");
    const char *own = kf_config_str (config, "security/certificate");
    const char *allowed = kf_config_str (config, "security/allowed_keys");
    if (cluster && !(self->cluster = zcert_load (cluster))) {
        kf_err_set (err, "security/cluster_certificate: cannot load %s", cluster);
        kf_net_destroy (&self);
        return NULL;
    }
    if (own && !(self->own = zcert_load (own))) {
        kf_err_set (err, "security/certificate: cannot load %s", own);
        kf_net_destroy (&self);
        return NULL;
    }
    //  A service on an estate server serves with that server's key: its
    //  clients need the public certificate (services/<name>/certificate).
    self->server_keys = zhashx_new ();
    if (!self->server_keys) {
        kf_err_set (err, "out of memory");
        kf_net_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->server_keys, (zhashx_destructor_fn *) zstr_free);
    size_t services = 0;
    while (kf_config_services () [services])
        services++;
    for (size_t i = 0; i < services + kf_config_estate_count (config); i++) {
        //  services/<name>/certificate for services/<name>/endpoint, and
        //  estates/<id>/intake_certificate for estates/<id>/intake_endpoint.
        char cert_key [96], endpoint_key [96];
        if (i < services) {
            snprintf (cert_key, sizeof cert_key, "services/%s/certificate", kf_config_services () [i]);
            snprintf (endpoint_key, sizeof endpoint_key, "services/%s/endpoint", kf_config_services () [i]);
        }
        else {
            const char *id = kf_config_estate (config, i - services)->id;
            snprintf (cert_key, sizeof cert_key, "estates/%s/intake_certificate", id);
            snprintf (endpoint_key, sizeof endpoint_key, "estates/%s/intake_endpoint", id);
        }
        const char *file = kf_config_str (config, cert_key);
        const char *endpoint = kf_config_str (config, endpoint_key);
        if (!file || !endpoint)
            continue;
        kf_key_identity_t id;
        zcert_t *cert = kf_keys_load (file, &id, err);
        if (!cert) {
            kf_err_prefix (err, "%s: ", cert_key);
            kf_net_destroy (&self);
            return NULL;
        }
        zhashx_update (self->server_keys, endpoint, strdup (zcert_public_txt (cert)));
        zcert_destroy (&cert);
    }
    if (allowed && (!(self->allowed = strdup (allowed)) || !(self->keyring = kf_keyring_new (allowed)))) {
        kf_err_set (err, "out of memory");
        kf_net_destroy (&self);
        return NULL;
    }
    return self;
}

void
kf_net_destroy (kf_net_t **self_p)
{
    assert (self_p);
    kf_net_t *self = *self_p;
    if (self) {
        zactor_destroy (&self->auth);
        kf_keyring_destroy (&self->keyring);
        zhashx_destroy (&self->server_keys);
        zcert_destroy (&self->cluster);
        zcert_destroy (&self->own);
        free (self->allowed);
        free (self);
        *self_p = NULL;
    }
}

//  A zero secret key means the certificate was loaded without its _secret file.
static bool
s_has_secret (zcert_t *cert)
{
    const byte *key = zcert_secret_key (cert);
    for (int i = 0; i < 32; i++)
        if (key [i])
            return true;
    return false;
}

//  The certificate a bound socket serves with: the cluster's on a cluster
//  host (which has its secret), else this host's own (an estate server's
//  replay endpoint). Its public key goes out in the heartbeat.
static zcert_t *
s_server_cert (kf_net_t *self)
{
    if (self->cluster && s_has_secret (self->cluster))
        return self->cluster;
    if (self->own && s_has_secret (self->own))
        return self->own;
    return NULL;
}

const char *
kf_net_server_key (kf_net_t *self)
{
    assert (self);
    zcert_t *cert = self->curve ? s_server_cert (self) : NULL;
    return cert ? zcert_public_txt (cert) : NULL;
}

const kf_key_identity_t *
kf_net_sender (kf_net_t *self, const char *user_id)
{
    assert (self);
    if (!user_id || !*user_id)
        return kf_keys_local ();
    return self->keyring ? kf_keyring_lookup (self->keyring, user_id) : NULL;
}

void
kf_net_refresh (kf_net_t *self)
{
    assert (self);
    if (self->keyring)
        kf_keyring_refresh (self->keyring, false);
}

int
kf_net_bind (kf_net_t *self, zsock_t *socket, const char *endpoint, kf_err_t *err)
{
    assert (self && socket && endpoint);
    if (strncmp (endpoint, "ipc://", 6) == 0 && s_prepare_ipc (endpoint, err))
        return -1;
    if (s_is_tcp (endpoint) && self->curve) {
        zcert_t *server = s_server_cert (self);
        if (!server || !self->allowed)
            return kf_err_set (err, "%s is tcp://: CURVE needs a certificate with its _secret file on this host "
                               "(security/cluster_certificate, or security/certificate) and security/allowed_keys, "
                               "or security/curve = false", endpoint);
        if (!self->auth) {
            self->auth = zactor_new (zauth, NULL);
            if (!self->auth)
                return kf_err_set (err, "cannot start ZAP authentication");
            //  Only the public certificates in this directory are admitted.
            zstr_sendx (self->auth, "CURVE", self->allowed, NULL);
            zsock_wait (self->auth);
        }
        zcert_apply (server, socket);
        zsock_set_curve_server (socket, 1);
        zsock_set_zap_domain (socket, S_ZAP_DOMAIN);
    }
    if (zsock_bind (socket, "%s", endpoint) < 0)
        return kf_err_set (err, "cannot bind %s: %s", endpoint, zmq_strerror (zmq_errno ()));
    return 0;
}

int
kf_net_connect (kf_net_t *self, zsock_t *socket, const char *endpoint, kf_err_t *err)
{
    assert (self && endpoint);
    return kf_net_connect_to (self, socket, endpoint, zhashx_lookup (self->server_keys, endpoint), err);
}

int
kf_net_connect_to (kf_net_t *self, zsock_t *socket, const char *endpoint, const char *server_key, kf_err_t *err)
{
    assert (self && socket && endpoint);
    if (s_is_tcp (endpoint) && self->curve) {
        if (!self->cluster || !self->own || !s_has_secret (self->own))
            return kf_err_set (err, "%s is tcp://: CURVE needs security/cluster_certificate and "
                               "security/certificate (with its _secret file), or security/curve = false", endpoint);
        if (server_key && strlen (server_key) != 40)
            return kf_err_set (err, "%s: a server key is 40 characters of Z85", endpoint);
        zcert_apply (self->own, socket);
        zsock_set_curve_serverkey (socket, server_key ? server_key : zcert_public_txt (self->cluster));
    }
    if (zsock_connect (socket, "%s", endpoint) < 0)
        return kf_err_set (err, "cannot connect to %s: %s", endpoint, zmq_strerror (zmq_errno ()));
    return 0;
}
