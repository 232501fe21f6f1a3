/*  kf_keys — whose a CURVE certificate is (DESIGN.md §7, issue 16).

    Every certificate kefu makes says, in its metadata, which host it is
    ("name"), the host's role ("role": cluster, estate or operations) and,
    for an estate server, its estates ("estates": "E001,E002"). The key
    tool (kefuctl keys) writes them and fills the cluster's allowed-keys
    directory; the bus reads the same identity to decide what a sender may
    publish and read.

    Files are zcert's: NAME.cert (public key and metadata) and
    NAME.cert_secret (the secret key too), written 0600 and never logged.
*/
#ifndef KF_KEYS_H_INCLUDED
#define KF_KEYS_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include "kf_config.h"
#include "kf_log.h"

typedef enum {
    KF_KEY_CLUSTER = 1,      //  the cluster's hosts: may publish for every estate
    KF_KEY_ESTATE = 2,       //  an estate server: its estates only
    KF_KEY_OPERATIONS = 3,   //  operations hosts: kefuctl, the gateway, the capture socket
} kf_key_role_t;

#define KF_KEY_ESTATES_MAX 64

typedef struct {
    char name [KF_ID_MAX + 1];
    kf_key_role_t role;
    char estates [KF_KEY_ESTATES_MAX][KF_ID_MAX + 1];
    size_t estate_count;
} kf_key_identity_t;

//  The role's name ("estate"), and back: 0, or -1 for no such role.
const char *kf_key_role_name (kf_key_role_t role);
int kf_key_role_parse (const char *text, kf_key_role_t *role);

//  A new certificate for a host in directory `dir` (made 0700 if missing):
//  DIR/<name>.cert and DIR/<name>.cert_secret (0600). `estates` is a comma
//  list, required for an estate server and refused for the other roles.
//  Refuses to overwrite a certificate of that name. 0, or -1 with the
//  reason; the secret never appears in a reason or a log.
int kf_keys_make (const char *dir, const char *name, kf_key_role_t role, const char *estates, kf_err_t *err);

//  The identity a certificate's metadata states: 0, or -1 with the reason
//  (no name, an unknown role, an estate server without estates, or a role
//  that may not have any, a bad estate id).
int kf_keys_identity (zcert_t *cert, kf_key_identity_t *id, kf_err_t *err);

//  A certificate file and its identity: the zcert (to destroy), or NULL
//  with the reason (missing, not a certificate, no kefu identity).
zcert_t *kf_keys_load (const char *path, kf_key_identity_t *id, kf_err_t *err);

//  Whether an identity may act for an estate: a cluster host for all, an
//  estate server for its own; operations hosts publish nothing.
bool kf_keys_for_estate (const kf_key_identity_t *id, const char *estate);

//  Whether an identity may read an estate's events: an estate server its
//  own estates only; the cluster and operations hosts every estate.
bool kf_keys_reads_estate (const kf_key_identity_t *id, const char *estate);

//  The identity of this host's own processes, reached over ipc:// or
//  inproc:// (or tcp:// with CURVE turned off): trusted as the cluster.
const kf_key_identity_t *kf_keys_local (void);

//  ---- the keyring: the allowed-keys directory as identities ---------------
//
//  ZAP admits a connection whose key is in the directory; the keyring says
//  whose it is, for every message afterwards. It reads the directory again
//  when its contents changed (looked at no more than once a second), so a
//  key revoked while its host is connected stops counting at once: its
//  messages find no identity. A file without a kefu identity is named in
//  one error line when read and admits nothing.

typedef struct _kf_keyring_t kf_keyring_t;

kf_keyring_t *kf_keyring_new (const char *dir);
void kf_keyring_destroy (kf_keyring_t **self_p);

//  The identity of a public key (Z85 text, as ZAP's User-Id), or NULL.
const kf_key_identity_t *kf_keyring_lookup (kf_keyring_t *self, const char *public_txt);

//  Read the directory again if it changed (`force`: whether or not).
void kf_keyring_refresh (kf_keyring_t *self, bool force);

//  Identities held now.
size_t kf_keyring_size (kf_keyring_t *self);

#endif
