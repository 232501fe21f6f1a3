/*  dispatch_accounts — staff accounts: who signs in to the console as
    themselves (issue 20). An account is made for each person of an
    estate's staff in the configuration (no password until a manager sets
    one) and by kefuctl users add; it carries its role, its estate and the
    staff id its actions go under. dispatch keeps them beside the staff so
    that every gateway of the group sees one set of accounts and one
    lockout count. Passwords never arrive here: kefuctl sends an Argon2id
    hash, and the gateway, which checks a password against the hash in a
    thread of its own, reports only whether it matched. See
    dispatch_private.h and docs/accounts.md.
*/
#include "dispatch_private.h"
#include "kf_scope.h"
#include <sodium.h>

#define S_HASH_PREFIX "$argon2id$"
#define S_LEFT        "no longer on the estate's staff"

static Kf__Account *
s_get (dispatch_t *self, kf_txn_t *txn, const char *user, kf_arena_t *arena)
{
    kf_key_t key;
    if (!user || !kf_config_valid_id (user) || kf_key_make (&key, "s", user))
        return NULL;
    return (Kf__Account *) kf_txn_find_msg_in (txn, self->accounts, &key, &kf__account__descriptor, arena);
}

static int
s_put (dispatch_t *self, kf_txn_t *txn, const Kf__Account *account)
{
    kf_key_t key;
    kf_key_make (&key, "s", account->user);
    return kf_txn_put_msg (txn, self->accounts, &key, &account->base);
}

//  What a reply shows of an account: never its hash.
static Kf__Account *
s_view (Kf__Account *account, int64_t now_ms)
{
    KF_SET (account, locked, account->locked_until_ms > now_ms);
    account->has_password = account->password_hash && *account->password_hash;
    account->has_has_password = 1;
    account->password_hash = NULL;
    return account;
}

//  A hash as crypto_pwhash_str makes it, with Argon2id at the interactive
//  limits exactly; anything else is refused, so that no other scheme (or a
//  plain password sent by mistake) is stored, nor a cost that would stall
//  the gateway's verifier (4 GiB, 100 passes) or make guessing cheap.
static bool
s_hash_valid (const char *hash)
{
    size_t n = hash ? strlen (hash) : 0;
    return n > strlen (S_HASH_PREFIX) && n < crypto_pwhash_STRBYTES
        && strncmp (hash, S_HASH_PREFIX, strlen (S_HASH_PREFIX)) == 0
        && crypto_pwhash_str_needs_rehash (hash, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                           crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
}

//  Whether this caller may see the account: the estate guard on the
//  account's estate (a group-wide account only to the group).
static bool
s_sees (const Kf__Request *request, const Kf__Account *account)
{
    if (!account->estate || !*account->estate)
        return kf_scope_is_group (request->scope);
    return kf_request_sees (request, account->estate);
}

//  "too many wrong passwords: locked until ..." in the account's estate's
//  time (UTC for a group-wide account).
static int
s_locked (dispatch_t *self, const Kf__Account *account, Kf__Reply *reply, kf_arena_t *arena)
{
    const dispatch_estate_t *estate = account->estate && *account->estate ? dispatch_estate (self, account->estate)
                                                                          : NULL;
    char until [40];
    kf_time_format (account->locked_until_ms, estate ? estate->estate->utc_offset_min : 0, until, sizeof until);
    return KF_FORBIDDEN ("too many wrong passwords: locked until %s, or until a manager enables it", until);
}

static bool
s_manages_accounts (Kf__Role role)
{
    return role == KF__ROLE__ROLE_MANAGER || role == KF__ROLE__ROLE_OPERATIONS;
}

static void
s_stamp (Kf__Account *account, const Kf__Request *request, int64_t now_ms)
{
    account->changed_by = request->actor;
    KF_SET (account, changed_ms, now_ms);
}

//  ---- the staff of the configuration ----------------------------------------

int
dispatch_account_of_staff (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Staff *staff)
{
    kf_arena_t *arena = self->base.scratch;
    Kf__Account *account = s_get (self, txn, staff->staff_id, arena);
    if (!kf_txn_ok (txn))
        return -1;
    if (account && (!account->from_config || strcmp (account->estate ? account->estate : "", staff->estate) != 0)) {
        //  A person of another estate (or an account kefuctl made) has this name.
        kf_warning ("staff %s/%s has no account of their own: user '%s' is %s's", staff->estate, staff->staff_id,
                    staff->staff_id, account->estate && *account->estate ? account->estate : "the group's");
        return 0;
    }
    Kf__Role role = staff->has_role && staff->role ? staff->role : KF__ROLE__ROLE_TECHNICIAN;
    //  The file disables the account of someone who left, and enables only
    //  what it disabled itself: a manager's disable stands across restarts.
    bool left = staff->has_active && !staff->active;
    bool by_file = account && account->disabled && account->reason && strcmp (account->reason, S_LEFT) == 0;
    bool disabled = account ? (left || (account->disabled && !by_file)) : left;
    if (account && account->role == role && account->disabled == disabled
    &&  strcmp (account->name ? account->name : "", staff->name ? staff->name : "") == 0)
        return 0;
    Kf__Account fresh = KF__ACCOUNT__INIT;
    if (!account) {
        account = &fresh;
        account->user = staff->staff_id;
        account->staff_id = staff->staff_id;
        account->estate = staff->estate;
        KF_SET (account, from_config, 1);
        KF_SET (account, created_ms, now_ms);
    }
    account->name = staff->name;
    //  A new role ends the sessions opened with the old one.
    if (account->role != role && account != &fresh) {
        KF_SET (account, generation, account->generation + 1);
    }
    KF_SET (account, role, role);
    if (disabled != account->disabled) {
        KF_SET (account, disabled, disabled);
        KF_SET (account, generation, account->generation + 1);
        account->reason = disabled ? S_LEFT : "on the estate's staff again";
        KF_SET (account, changed_ms, now_ms);
    }
    return s_put (self, txn, account);
}

//  ---- kefuctl users ----------------------------------------------------------------

static int
s_add (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
       kf_arena_t *arena)
{
    const Kf__AddUser *add = request->add_user;
    if (!s_manages_accounts (request->role))
        return KF_FORBIDDEN ("only a manager or operations adds accounts");
    if (!add->user || !kf_config_valid_id (add->user))
        return KF_BAD ("user: 1 to %d letters, digits, '-' and '_'", KF_ID_MAX);
    const char *estate = add->estate && *add->estate ? add->estate : "";
    if (*estate && !dispatch_estate (self, estate))
        return KF_NOT_FOUND ("unknown estate '%s'", estate);
    if (*estate ? !kf_request_sees (request, estate) : !kf_scope_is_group (request->scope))
        return KF_FORBIDDEN ("an account of %s is not yours to add", *estate ? estate : "the whole group");
    if (!add->has_role || add->role == KF__ROLE__ROLE_UNSPECIFIED || add->role == KF__ROLE__ROLE_OWNER
    ||  !protobuf_c_enum_descriptor_get_value (&kf__role__descriptor, add->role))
        return KF_BAD ("role is required: front_desk, technician, supervisor, manager or operations (owners sign in "
                       "with a code, never with an account)");
    if (add->role == KF__ROLE__ROLE_OPERATIONS && !kf_scope_is_group (request->scope))
        return KF_FORBIDDEN ("operations accounts are the group's to add");
    if (add->password_hash && *add->password_hash && !s_hash_valid (add->password_hash))
        return KF_BAD ("password_hash: not an Argon2id hash (crypto_pwhash_str)");
    const char *staff_id = add->staff_id && *add->staff_id ? add->staff_id : add->user;
    if (!kf_config_valid_id (staff_id))
        return KF_BAD ("staff_id: 1 to %d letters, digits, '-' and '_'", KF_ID_MAX);
    if (add->staff_id && *add->staff_id && *estate && !dispatch_staff_get (self, txn, estate, staff_id, arena))
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no staff '%s' in estate %s", staff_id, estate) : -1;
    if (s_get (self, txn, add->user, arena))
        return KF_CONFLICT ("user '%s' exists", add->user);
    if (!kf_txn_ok (txn))
        return -1;
    Kf__Account *account = (Kf__Account *) kf_arena_message (arena, &kf__account__descriptor);
    if (!account)
        return kf_txn_fail (txn, "out of memory");
    account->user = add->user;
    account->name = add->name;
    account->estate = (char *) estate;
    KF_SET (account, role, add->role);
    account->staff_id = (char *) staff_id;
    KF_SET (account, created_ms, now_ms);
    KF_SET (account, generation, 1);
    if (add->password_hash && *add->password_hash) {
        account->password_hash = add->password_hash;
        KF_SET (account, password_set_ms, now_ms);
    }
    s_stamp (account, request, now_ms);
    kf_notice ("account %s (%s of %s) added by %s", account->user, protobuf_c_enum_descriptor_get_value (
               &kf__role__descriptor, account->role)->name, *estate ? estate : "the group",
               request->actor ? request->actor : "unknown");
    if (s_put (self, txn, account) < 0)
        return -1;
    reply->result_case = KF__REPLY__RESULT_ACCOUNT;
    reply->account = s_view (account, now_ms);
    return 0;
}

//  The account a command names, within the caller's sight; NULL after a
//  reply (or a failed transaction).
static Kf__Account *
s_named (dispatch_t *self, kf_txn_t *txn, const Kf__Request *request, const char *user, Kf__Reply *reply,
         kf_arena_t *arena)
{
    Kf__Account *account = s_get (self, txn, user, arena);
    if ((!account || !s_sees (request, account)) && kf_txn_ok (txn)) {
        KF_NOT_FOUND ("no user '%s'", user ? user : "");
        return NULL;
    }
    return account;
}

static int
s_set (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
       kf_arena_t *arena)
{
    const Kf__SetUser *set = request->set_user;
    if (!s_manages_accounts (request->role))
        return KF_FORBIDDEN ("only a manager or operations changes accounts");
    Kf__Account *account = s_named (self, txn, request, set->user, reply, arena);
    if (!account)
        return -1;
    if (account->role == KF__ROLE__ROLE_OPERATIONS && !kf_scope_is_group (request->scope))
        return KF_FORBIDDEN ("operations accounts are the group's to change");
    bool reasoned = set->reason && *set->reason;
    switch (set->action) {
        case KF__USER_ACTION__USER_ACTION_SET_PASSWORD:
            if (!s_hash_valid (set->password_hash))
                return KF_BAD ("password_hash: not an Argon2id hash (crypto_pwhash_str)");
            account->password_hash = set->password_hash;
            KF_SET (account, password_set_ms, now_ms);
            account->failures = 0;
            account->locked_until_ms = 0;
            kf_notice ("account %s: a new password, set by %s", account->user, request->actor ? request->actor : "unknown");
            break;
        case KF__USER_ACTION__USER_ACTION_DISABLE:
            if (!reasoned)
                return KF_BAD ("reason is required");
            if (account->disabled)
                return KF_CONFLICT ("user '%s' is disabled already", account->user);
            KF_SET (account, disabled, 1);
            account->reason = set->reason;
            kf_notice ("account %s disabled by %s: %s", account->user, request->actor ? request->actor : "unknown",
                       set->reason);
            break;
        case KF__USER_ACTION__USER_ACTION_ENABLE:
            if (!reasoned)
                return KF_BAD ("reason is required");
            if (!account->disabled && account->locked_until_ms <= now_ms && !account->failures)
                return KF_CONFLICT ("user '%s' is neither disabled nor locked", account->user);
            account->disabled = 0;
            account->failures = 0;
            account->locked_until_ms = 0;
            account->reason = set->reason;
            kf_notice ("account %s enabled by %s: %s", account->user, request->actor ? request->actor : "unknown",
                       set->reason);
            break;
        default:
            return KF_BAD ("action: set_password, disable or enable");
    }
    //  A new password or a disable ends the sessions opened before it.
    if (set->action != KF__USER_ACTION__USER_ACTION_ENABLE) {
        KF_SET (account, generation, account->generation + 1);
    }
    s_stamp (account, request, now_ms);
    if (s_put (self, txn, account) < 0)
        return -1;
    reply->result_case = KF__REPLY__RESULT_ACCOUNT;
    reply->account = s_view (account, now_ms);
    return 0;
}

typedef struct {
    const Kf__Request *request;
    const char *estate;
    Kf__AccountList *list;
    int64_t now_ms;
    size_t size;
    kf_arena_t *arena;
} s_list_t;

static int
s_list_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) key;
    s_list_t *l = arg;
    Kf__Account *account = (Kf__Account *) msg;
    if (!s_sees (l->request, account)
    ||  (l->estate && strcmp (l->estate, account->estate ? account->estate : "") != 0))
        return 0;
    if (l->list->n_accounts == l->size) {
        size_t size = l->size ? l->size * 2 : 64;
        Kf__Account **grown = kf_arena_alloc (l->arena, size * sizeof *grown);
        if (!grown)
            return kf_txn_fail (txn, "out of memory");
        if (l->size)
            memcpy (grown, l->list->accounts, l->size * sizeof *grown);
        l->list->accounts = grown;
        l->size = size;
    }
    l->list->accounts [l->list->n_accounts++] = s_view (account, l->now_ms);
    return 0;
}

static int
s_list (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
        kf_arena_t *arena)
{
    if (!kf_role_manages (request->role))
        return KF_FORBIDDEN ("only supervisors, managers and operations list accounts");
    const char *estate = request->list_users->estate;
    if (estate && *estate && (!dispatch_estate (self, estate) || !kf_request_sees (request, estate)))
        return KF_NOT_FOUND ("unknown estate '%s'", estate);
    s_list_t l = {
        .request = request, .estate = estate && *estate ? estate : NULL, .arena = arena, .now_ms = now_ms,
        .list = (Kf__AccountList *) kf_arena_message (arena, &kf__account_list__descriptor),
    };
    if (!l.list)
        return kf_txn_fail (txn, "out of memory");
    if (kf_txn_scan_msg_in (txn, self->accounts, NULL, &kf__account__descriptor, arena, s_list_row, &l) < 0)
        return -1;
    reply->result_case = KF__REPLY__RESULT_ACCOUNTS;
    reply->accounts = l.list;
    return 0;
}

static int
s_show (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
        kf_arena_t *arena)
{
    if (!kf_role_manages (request->role))
        return KF_FORBIDDEN ("only supervisors, managers and operations look at accounts");
    Kf__Account *account = s_named (self, txn, request, request->show_user->user, reply, arena);
    if (!account)
        return -1;
    reply->result_case = KF__REPLY__RESULT_ACCOUNT;
    reply->account = s_view (account, now_ms);
    return 0;
}

//  ---- the gateway's sign-in ----------------------------------------------------------

//  Only the gateway's own requests: the group's operations. The command
//  socket is the boundary (CURVE keys on tcp://); an HTTP client never
//  reaches these, the gateway refuses to pass them on.
static bool
s_gateway (const Kf__Request *request)
{
    return request->role == KF__ROLE__ROLE_OPERATIONS && kf_scope_is_group (request->scope);
}

static int
s_begin (dispatch_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    if (!s_gateway (request))
        return KF_FORBIDDEN ("begin_sign_in is the gateway's");
    Kf__Account *account = s_get (self, txn, request->begin_sign_in->user, arena);
    if (!account || !account->password_hash || !*account->password_hash)
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no such user with a password") : -1;
    reply->result_case = KF__REPLY__RESULT_ACCOUNT;
    reply->account = account;   //  with its hash: the gateway checks the password against it
    return 0;
}

static int
s_end (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
       kf_arena_t *arena)
{
    const Kf__EndSignIn *end = request->end_sign_in;
    if (!s_gateway (request))
        return KF_FORBIDDEN ("end_sign_in is the gateway's");
    Kf__Account *account = s_get (self, txn, end->user, arena);
    if (!account)
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no such user") : -1;
    if (account->generation != end->generation)
        return KF_CONFLICT ("the account changed while its password was checked: sign in again");
    if (account->locked_until_ms > now_ms)
        return s_locked (self, account, reply, arena);
    if (account->locked_until_ms) {   //  a lockout over: a fresh count of misses
        account->locked_until_ms = 0;
        account->failures = 0;
    }
    if (!end->matched) {
        int64_t after = kf_config_int (self->base.config, "accounts/lockout_after");
        account->failures++;
        account->has_failures = 1;
        bool locks = account->failures >= after;
        if (locks) {
            KF_SET (account, locked_until_ms, now_ms + kf_config_duration_ms (self->base.config,
                                                                              "accounts/lockout_for"));
            kf_warning ("account %s locked after %u wrong passwords", account->user, account->failures);
        }
        if (s_put (self, txn, account) < 0)
            return -1;
        //  A refusal that must stay: the count is committed (returning 0
        //  keeps the request's nested transaction), the reply says no.
        if (locks)
            s_locked (self, account, reply, arena);
        else
            KF_FORBIDDEN ("wrong user or password");
        return 0;
    }
    if (account->disabled)
        return KF_FORBIDDEN ("this account is disabled: %s", account->reason ? account->reason : "ask a manager");
    account->failures = 0;
    account->has_failures = 1;
    account->locked_until_ms = 0;
    KF_SET (account, last_sign_in_ms, now_ms);
    if (s_put (self, txn, account) < 0)
        return -1;
    reply->result_case = KF__REPLY__RESULT_ACCOUNT;
    reply->account = s_view (account, now_ms);
    return 0;
}

int
dispatch_accounts_request (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                           Kf__Reply *reply, kf_arena_t *arena)
{
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_ADD_USER:
            return s_add (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_SET_USER:
            return s_set (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_LIST_USERS:
            return s_list (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_SHOW_USER:
            return s_show (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_BEGIN_SIGN_IN:
            return s_begin (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_END_SIGN_IN:
            return s_end (self, txn, now_ms, request, reply, arena);
        default:
            return KF_BAD ("not an account command");
    }
}
