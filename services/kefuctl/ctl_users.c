/*  kefuctl — users: the staff's accounts for the web console (issue 20).
    Passwords are hashed here, with Argon2id (crypto_pwhash_str), before
    anything is sent: kefu-dispatch keeps the hash, never the password.
*/
#include "ctl.h"
#include "kf_field.h"
#include <sodium.h>

#define S_PASSWORD_MAX 128                //  bytes: longer is a paste gone wrong
#define S_GENERATED    16                 //  characters of a generated password

static Kf__Reply *
s_call (ctl_t *ctl, Kf__Request *request)
{
    return ctl_call (ctl, "kefu-dispatch", kf_config_str (ctl->config, "services/dispatch/endpoint"), request);
}

//  ---- printing ------------------------------------------------------------------------

static const char *
s_state (const Kf__Account *a)
{
    if (a->disabled)
        return "disabled";
    if (a->locked)
        return "locked";
    return a->has_password ? "active" : "no password";
}

static void
s_print (ctl_t *ctl, const Kf__Account *const *accounts, size_t count)
{
    if (count == 0) {
        printf ("no accounts\n");
        return;
    }
    ctl_table_t *table = ctl_table_new (8, "USER", "NAME", "ESTATE", "ROLE", "STAFF", "STATE", "LAST SIGN-IN",
                                        "WHY");
    for (size_t i = 0; i < count; i++) {
        const Kf__Account *a = accounts [i];
        char last [32] = "-";
        if (a->last_sign_in_ms)
            ctl_time (ctl, a->estate && *a->estate ? a->estate : NULL, a->last_sign_in_ms, last, sizeof last);
        ctl_table_row (table, a->user, a->name, a->estate && *a->estate ? a->estate : "*",
                       ctl_enum_name (&kf__role__descriptor, a->role), a->staff_id, s_state (a), last,
                       a->reason);
    }
    ctl_table_print (&table, stdout);
}

static int
s_print_reply (ctl_t *ctl, Kf__Reply *reply)
{
    int rc = 0;
    if (!reply)
        return CTL_FAILED;
    if (reply->result_case == KF__REPLY__RESULT_ACCOUNT) {
        if (ctl->json)
            ctl_print_json (&reply->account->base);
        else
            s_print (ctl, (const Kf__Account *const *) &reply->account, 1);
    }
    else
    if (reply->result_case == KF__REPLY__RESULT_ACCOUNTS) {
        if (ctl->json)
            ctl_print_json (&reply->accounts->base);
        else
            s_print (ctl, (const Kf__Account *const *) reply->accounts->accounts, reply->accounts->n_accounts);
    }
    else
        rc = ctl_fail (CTL_FAILED, "kefu-dispatch answered with something other than an account");
    kf_codec_free ((ProtobufCMessage **) &reply);
    return rc;
}

//  ---- passwords ---------------------------------------------------------------------

//  Characters, not bytes: a Chinese pass phrase counts as people read it.
static size_t
s_characters (const char *text)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *) text; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

//  The password to set: one line of stdin (--password-stdin), or one made
//  here and printed once. Then its hash into `hash`. -1 after saying why.
static int
s_password_hash (ctl_t *ctl, const char *command, bool from_stdin, const char *user,
                 char hash [crypto_pwhash_STRBYTES])
{
    if (sodium_init () < 0)
        return ctl_fail (CTL_FAILED, "%s: libsodium did not start", command);
    char password [S_PASSWORD_MAX + 2];
    size_t n = 0;
    if (from_stdin) {
        if (!fgets (password, sizeof password, stdin))
            return ctl_fail (CTL_USAGE, "%s: no password on stdin", command);
        n = strcspn (password, "\r\n");
        if (n > S_PASSWORD_MAX) {
            sodium_memzero (password, sizeof password);
            return ctl_fail (CTL_USAGE, "%s: a password is %d bytes at most", command, S_PASSWORD_MAX);
        }
        password [n] = 0;
        size_t least = (size_t) kf_config_int (ctl->config, "accounts/password_min");
        if (s_characters (password) < least) {
            sodium_memzero (password, sizeof password);
            return ctl_fail (CTL_USAGE, "%s: a password has at least %zu characters (accounts/password_min)",
                             command, least);
        }
    }
    else {
        //  No 0/O, 1/l/I: read aloud or copied from a slip of paper.
        static const char alphabet [] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        for (n = 0; n < S_GENERATED; n++)
            password [n] = alphabet [randombytes_uniform (sizeof alphabet - 1)];
        password [n] = 0;
    }
    int rc = crypto_pwhash_str (hash, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                crypto_pwhash_MEMLIMIT_INTERACTIVE);
    if (rc == 0 && !from_stdin)
        fprintf (ctl->json ? stderr : stdout, "password of %s (give it to them in person; shown once): %s\n",
                 user, password);
    sodium_memzero (password, sizeof password);
    if (rc)
        return ctl_fail (CTL_FAILED, "%s: out of memory for the password's hash", command);
    return 0;
}

//  ---- the actions --------------------------------------------------------------------

typedef struct {
    const char *estate, *name, *staff, *role;
    bool from_stdin;
} s_args_t;

static int
s_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_args_t *a = arg;
    switch (option) {
        case 'e': a->estate = value; break;
        case 'n': a->name = value; break;
        case 's': a->staff = value; break;
        case 'r': a->role = value; break;
        case 'p': a->from_stdin = true; break;
    }
    return 0;
}

static const struct option s_spec [] = {
    { "estate", required_argument, NULL, 'e' }, { "name", required_argument, NULL, 'n' },
    { "staff", required_argument, NULL, 's' }, { "role", required_argument, NULL, 'r' },
    { "password-stdin", no_argument, NULL, 'p' }, { NULL, 0, NULL, 0 }
};

//  Options this action does not take are refused by name.
static int
s_only (const char *action, const s_args_t *a, const char *takes)
{
    struct { const char *name; bool given; char letter; } given [] = {
        { "estate", a->estate != NULL, 'e' }, { "name", a->name != NULL, 'n' }, { "staff", a->staff != NULL, 's' },
        { "role", a->role != NULL, 'r' }, { "password-stdin", a->from_stdin, 'p' },
    };
    for (size_t i = 0; i < sizeof given / sizeof given [0]; i++)
        if (given [i].given && !strchr (takes, given [i].letter))
            return ctl_fail (CTL_USAGE, "users %s: --%s does not go with %s", action, given [i].name, action);
    return 0;
}

static int
s_users (ctl_t *ctl, int argc, char **argv)
{
    s_args_t a = { 0 };
    int code;
    int first = ctl_options (ctl, &ctl_users_command, argc, argv, s_spec, s_option, &a, &code);
    if (first < 0)
        return code;
    const char *action = first < argc ? argv [first] : "list";
    int operands = argc - first - (first < argc);
    const char *user = operands > 0 ? argv [first + 1] : NULL;
    static const char *const actions [] = { "list", "add", "reset-password", "disable", "enable", NULL };
    size_t i = 0;
    while (actions [i] && strcmp (actions [i], action) != 0)
        i++;
    if (!actions [i])
        return ctl_fail (CTL_USAGE, "users: unknown action '%s' (list, add, reset-password, disable or enable)",
                         action);
    bool is_list = i == 0, is_add = i == 1, is_reset = i == 2, needs_reason = i >= 3;
    if (is_list ? operands > 0 : operands < 1)
        return ctl_fail (CTL_USAGE, is_list ? "users list: unexpected argument '%s'" : "users %s: give the user%s",
                         is_list ? argv [first + 1] : action, needs_reason ? " and the reason" : "");
    if (needs_reason && operands < 2)
        return ctl_fail (CTL_USAGE, "users %s: give the reason after the user", action);
    if (!needs_reason && !is_list && operands > 1)
        return ctl_fail (CTL_USAGE, "users %s: unexpected argument '%s'", action, argv [first + 2]);
    if (s_only (action, &a, is_list ? "e" : is_add ? "enrsp" : is_reset ? "p" : ""))
        return CTL_USAGE;
    if (user && !kf_config_valid_id (user))
        return ctl_fail (CTL_USAGE, "users %s: a user is 1 to %d letters, digits, '-' and '_'", action, KF_ID_MAX);
    if (!ctl_config (ctl))
        return CTL_FAILED;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    Kf__ListUsers list = KF__LIST_USERS__INIT;
    Kf__AddUser add = KF__ADD_USER__INIT;
    Kf__SetUser set = KF__SET_USER__INIT;
    char hash [crypto_pwhash_STRBYTES] = "";
    char *reason = NULL;
    if (is_list) {
        if (a.estate && !kf_config_estate_find (ctl->config, a.estate))
            return ctl_fail (CTL_FAILED, "users list: unknown estate '%s'", a.estate);
        list.estate = (char *) a.estate;
        request.command_case = KF__REQUEST__COMMAND_LIST_USERS;
        request.list_users = &list;
    }
    else
    if (is_add) {
        int role;
        if (!a.role)
            return ctl_fail (CTL_USAGE, "users add: --role is required (front_desk, technician, supervisor, "
                             "manager or operations)");
        if (ctl_enum (&kf__role__descriptor, "--role", a.role, &role))
            return CTL_USAGE;
        if (!a.estate)
            return ctl_fail (CTL_USAGE, "users add: --estate E is required (or --estate '*' for the whole group)");
        if (strcmp (a.estate, "*") != 0 && !kf_config_estate_find (ctl->config, a.estate))
            return ctl_fail (CTL_FAILED, "users add: unknown estate '%s'", a.estate);
        if (a.staff && !kf_config_valid_id (a.staff))
            return ctl_fail (CTL_USAGE, "users add: --staff is 1 to %d letters, digits, '-' and '_'", KF_ID_MAX);
        if (s_password_hash (ctl, "users add", a.from_stdin, user, hash))
            return a.from_stdin ? CTL_USAGE : CTL_FAILED;
        add.user = (char *) user;
        add.name = (char *) a.name;
        add.estate = strcmp (a.estate, "*") == 0 ? NULL : (char *) a.estate;
        KF_SET (&add, role, (Kf__Role) role);
        add.staff_id = (char *) a.staff;
        add.password_hash = hash;
        request.command_case = KF__REQUEST__COMMAND_ADD_USER;
        request.add_user = &add;
    }
    else {
        set.user = (char *) user;
        if (is_reset) {
            if (s_password_hash (ctl, "users reset-password", a.from_stdin, user, hash))
                return a.from_stdin ? CTL_USAGE : CTL_FAILED;
            KF_SET (&set, action, KF__USER_ACTION__USER_ACTION_SET_PASSWORD);
            set.password_hash = hash;
        }
        else {
            reason = ctl_join (argc, argv, first + 2);
            if (!reason)
                return ctl_fail (CTL_FAILED, "out of memory");
            KF_SET (&set, action, i == 3 ? KF__USER_ACTION__USER_ACTION_DISABLE : KF__USER_ACTION__USER_ACTION_ENABLE);
            set.reason = reason;
        }
        request.command_case = KF__REQUEST__COMMAND_SET_USER;
        request.set_user = &set;
    }
    int rc = s_print_reply (ctl, s_call (ctl, &request));
    sodium_memzero (hash, sizeof hash);
    free (reason);
    return rc;
}

const ctl_command_t ctl_users_command = {
    "users", "staff accounts for the web console: list, add, reset-password, disable, enable",
    "users [list] [--estate E]\n"
    "       kefuctl users add USER --role R --estate E|'*' [--name N] [--staff S] [--password-stdin]\n"
    "       kefuctl users reset-password USER [--password-stdin]\n"
    "       kefuctl users disable USER REASON...\n"
    "       kefuctl users enable USER REASON...\n\n"
    "People sign in to the console as themselves. Each person of an estate's staff in\n"
    "the configuration has an account already (their staff id, their estate and role),\n"
    "without a password until reset-password gives one; add makes others (a group-wide\n"
    "manager: --estate '*'). The password is one line of stdin with --password-stdin,\n"
    "else one is made and printed once. Only its Argon2id hash leaves this host.\n"
    "disable ends sign-ins and the account's open sessions; enable undoes a disable or a\n"
    "lockout (accounts/lockout_after wrong passwords in a row lock it for lockout_for).\n"
    "Managers and operations change accounts (an estate's manager, its own estate's).",
    s_users, NULL
};
