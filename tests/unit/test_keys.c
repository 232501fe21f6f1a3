/*  Unit tests: kf_keys — certificates that say whose they are (issue 16.1):
    made with their identity and a secret no one else can read, read back,
    and refused when the identity is not sound.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "kf_keys.h"
#include "kf_test.h"

static void
test_make_and_read_back (void **state)
{
    (void) state;
    char dir [128], path [192];
    snprintf (dir, sizeof dir, "%s/keys", kf_test_dir);
    kf_err_t err;
    assert_int_equal (kf_keys_make (dir, "e1", KF_KEY_ESTATE, "E001,E002", &err), 0);
    struct stat st;
    snprintf (path, sizeof path, "%s/e1.cert_secret", dir);
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    snprintf (path, sizeof path, "%s/e1.cert", dir);
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0077, 0044);   //  the public part: readable
    kf_key_identity_t id;
    zcert_t *cert = kf_keys_load (path, &id, &err);
    assert_non_null (cert);
    assert_string_equal (id.name, "e1");
    assert_int_equal (id.role, KF_KEY_ESTATE);
    assert_int_equal (id.estate_count, 2);
    assert_string_equal (id.estates [1], "E002");
    assert_true (kf_keys_for_estate (&id, "E001"));
    assert_false (kf_keys_for_estate (&id, "E003"));
    zcert_destroy (&cert);
    //  Never over an existing one; a cluster host acts for all, operations for none.
    assert_int_equal (kf_keys_make (dir, "e1", KF_KEY_ESTATE, "E001", &err), -1);
    assert_non_null (strstr (err.text, "exists already"));
    assert_int_equal (kf_keys_make (dir, "c1", KF_KEY_CLUSTER, NULL, &err), 0);
    snprintf (path, sizeof path, "%s/c1.cert", dir);
    cert = kf_keys_load (path, &id, &err);
    assert_non_null (cert);
    assert_true (kf_keys_for_estate (&id, "E777"));
    zcert_destroy (&cert);
    assert_int_equal (kf_keys_make (dir, "ops1", KF_KEY_OPERATIONS, NULL, &err), 0);
    snprintf (path, sizeof path, "%s/ops1.cert", dir);
    cert = kf_keys_load (path, &id, &err);
    assert_non_null (cert);
    assert_false (kf_keys_for_estate (&id, "E001"));
    zcert_destroy (&cert);
}

static void
test_unsound_identities_are_refused (void **state)
{
    (void) state;
    char dir [128], path [192];
    snprintf (dir, sizeof dir, "%s/keys", kf_test_dir);
    kf_err_t err;
    static const struct { const char *name; kf_key_role_t role; const char *estates, *reason; } bad [] = {
        { "e2", KF_KEY_ESTATE, NULL, "names its estates" },
        { "e3", KF_KEY_ESTATE, "E001,,E002", "empty or over-long" },
        { "e4", KF_KEY_ESTATE, "E001,E 2", "not an estate id" },
        { "c2", KF_KEY_CLUSTER, "E001", "only an estate server" },
        { "bad name", KF_KEY_CLUSTER, NULL, "not a host name" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        if (kf_keys_make (dir, bad [i].name, bad [i].role, bad [i].estates, &err) != -1
        ||  !strstr (err.text, bad [i].reason))
            fail_msg ("%s: '%s'", bad [i].name, err.text);
    }
    //  Files that are no certificate, or one without a kefu identity.
    snprintf (path, sizeof path, "%s/junk.cert", kf_test_dir);
    FILE *file = fopen (path, "w");
    fputs ("not a certificate\n", file);
    fclose (file);
    kf_key_identity_t id;
    assert_null (kf_keys_load (path, &id, &err));
    assert_non_null (strstr (err.text, "not a certificate"));
    zcert_t *plain = zcert_new ();
    snprintf (path, sizeof path, "%s/plain.cert", kf_test_dir);
    assert_int_equal (zcert_save_public (plain, path), 0);
    zcert_destroy (&plain);
    assert_null (kf_keys_load (path, &id, &err));
    assert_non_null (strstr (err.text, "not a host name"));
    snprintf (path, sizeof path, "%s/missing.cert", kf_test_dir);
    assert_null (kf_keys_load (path, &id, &err));
    assert_null (strchr (err.text, '\n'));
}

//  The keyring: whose each admitted key is, read again when the directory
//  changes, so a revoked key stops counting while still connected.
static bool
s_keyring_forgets (kf_keyring_t *ring, const char *key)
{
    for (int i = 0; i < 40; i++) {
        if (!kf_keyring_lookup (ring, key))
            return true;
        zclock_sleep (100);
    }
    return false;
}

static void
test_keyring_follows_the_directory (void **state)
{
    (void) state;
    char dir [128], path [192];
    snprintf (dir, sizeof dir, "%s/allowed", kf_test_dir);
    kf_err_t err;
    assert_int_equal (kf_keys_make (dir, "e1", KF_KEY_ESTATE, "E001", &err), 0);
    assert_int_equal (kf_keys_make (dir, "ops", KF_KEY_OPERATIONS, NULL, &err), 0);
    //  A certificate with no identity admits nothing.
    zcert_t *plain = zcert_new ();
    snprintf (path, sizeof path, "%s/plain.cert", dir);
    assert_int_equal (zcert_save_public (plain, path), 0);
    kf_key_identity_t id;
    snprintf (path, sizeof path, "%s/e1.cert", dir);
    zcert_t *e1 = kf_keys_load (path, &id, &err);
    assert_non_null (e1);
    kf_keyring_t *ring = kf_keyring_new (dir);
    assert_non_null (ring);
    assert_int_equal (kf_keyring_size (ring), 2);
    const kf_key_identity_t *found = kf_keyring_lookup (ring, zcert_public_txt (e1));
    assert_non_null (found);
    assert_string_equal (found->name, "e1");
    assert_null (kf_keyring_lookup (ring, zcert_public_txt (plain)));
    assert_null (kf_keyring_lookup (ring, NULL));
    //  Revoked: gone within the refresh period.
    assert_int_equal (unlink (path), 0);
    assert_true (s_keyring_forgets (ring, zcert_public_txt (e1)));
    assert_int_equal (kf_keyring_size (ring), 1);
    //  Reading rules: an estate its own; operations and the cluster all.
    assert_true (kf_keys_reads_estate (&id, "E001"));
    assert_false (kf_keys_reads_estate (&id, "E002"));
    kf_key_identity_t ops = { "ops", KF_KEY_OPERATIONS, { { 0 } }, 0 };
    assert_true (kf_keys_reads_estate (&ops, "E002"));
    assert_false (kf_keys_for_estate (&ops, "E002"));
    assert_int_equal (kf_keys_local ()->role, KF_KEY_CLUSTER);
    kf_keyring_destroy (&ring);
    zcert_destroy (&e1);
    zcert_destroy (&plain);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_make_and_read_back, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_unsound_identities_are_refused, kf_test_dir_setup, kf_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_keyring_follows_the_directory, kf_test_dir_setup, kf_test_dir_teardown),
    };
    return cmocka_run_group_tests_name ("kf_keys", tests, NULL, NULL);
}
