/*  http_sign_in — a person signs in as themselves (issue 20): their
    account from kefu-dispatch (which keeps the accounts and the lockout's
    count for every gateway of the group), the password checked against its
    Argon2id hash in a thread of its own (a check takes tens of
    milliseconds and 64 MiB: the loop keeps serving meanwhile), and the
    outcome counted by dispatch before a session opens. And afterwards each
    session's account is asked after, so that a disabled account or a new
    password ends the sessions opened before it. See http_private.h.

    The steps of one sign-in, the connection suspended throughout and
    pending under its request id (so the request timeout covers them all):
      begin_sign_in  -> the account and its hash (unknown: a decoy hash, so
                        that an unknown user takes as long as a wrong
                        password and says the same)
      the verifier   -> matched or not
      end_sign_in    -> dispatch counts it (and may lock the account), and
                        answers with the account: the session opens.
*/
#include "http_private.h"

//  ---- the verifier: a thread that checks passwords --------------------------------------

//  Frames in: [request id][password][hash]; out: [request id]["1" or "0"].
//  The password's frame is zeroed before it is freed.
static void
s_verifier (zsock_t *pipe, void *arg)
{
    (void) arg;
    zsock_signal (pipe, 0);
    while (true) {
        zmsg_t *msg = zmsg_recv (pipe);
        if (!msg)
            break;
        if (zmsg_size (msg) != 3) {   //  $TERM, or nothing of ours
            zmsg_destroy (&msg);
            break;
        }
        char *id = zmsg_popstr (msg);
        zframe_t *password = zmsg_pop (msg);
        char *hash = zmsg_popstr (msg);
        bool matched = id && password && hash
                    && crypto_pwhash_str_verify (hash, (const char *) zframe_data (password),
                                                 zframe_size (password)) == 0;
        if (password) {
            sodium_memzero (zframe_data (password), zframe_size (password));
            zframe_destroy (&password);
        }
        if (id)
            zsock_send (pipe, "ss", id, matched ? "1" : "0");
        zstr_free (&id);
        zstr_free (&hash);
        zmsg_destroy (&msg);
    }
}

static void s_verified (http_t *self, const char *id, bool matched);

static int
s_on_verified (zloop_t *loop, zsock_t *pipe, void *arg)
{
    (void) loop;
    char *id = NULL, *matched = NULL;
    if (zsock_recv (pipe, "ss", &id, &matched) == 0 && id && matched)
        s_verified ((http_t *) arg, id, strcmp (matched, "1") == 0);
    zstr_free (&id);
    zstr_free (&matched);
    return 0;
}

int
http_sign_in_start (http_t *self, kf_err_t *err)
{
    if (sodium_init () < 0)
        return kf_err_set (err, "libsodium did not start");
    //  A hash of a random password nobody knows: what an unknown user's
    //  password is checked against.
    unsigned char secret [32];
    randombytes_buf (secret, sizeof secret);
    self->decoy_hash = malloc (crypto_pwhash_STRBYTES);
    if (!self->decoy_hash
    ||  crypto_pwhash_str (self->decoy_hash, (const char *) secret, sizeof secret, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                           crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return kf_err_set (err, "out of memory for the sign-in's decoy hash");
    sodium_memzero (secret, sizeof secret);
    self->checks = zhashx_new ();
    self->verifier = zactor_new (s_verifier, NULL);
    if (!self->checks || !self->verifier || zloop_reader (self->loop, zactor_sock (self->verifier), s_on_verified, self))
        return kf_err_set (err, "cannot start the password verifier");
    return 0;
}

void
http_sign_in_stop (http_t *self)
{
    if (self->verifier)
        zloop_reader_end (self->loop, zactor_sock (self->verifier));
    zactor_destroy (&self->verifier);
    zhashx_destroy (&self->checks);
    free (self->decoy_hash);
    self->decoy_hash = NULL;
}

//  ---- the steps ----------------------------------------------------------------------------

static void
s_forget_password (http_conn_t *c)
{
    if (c->password) {
        sodium_memzero (c->password, strlen (c->password));
        free (c->password);
        c->password = NULL;
    }
}

//  The sign-in is over: answered, the connection out of pending, the
//  password gone.
static void
s_finish (http_t *self, http_conn_t *c)
{
    char id [32];
    snprintf (id, sizeof id, "g%" PRIu64, c->id);
    zhashx_delete (self->pending, id);
    s_forget_password (c);
    http_resume (c);
}

//  The gateway's own request to dispatch, as the group's operations.
static int
s_ask_dispatch (http_t *self, http_conn_t *c, Kf__Request *request)
{
    char id [32];
    snprintf (id, sizeof id, "g%" PRIu64, c->id);
    request->actor = "kefu-gateway";
    KF_SET (request, role, KF__ROLE__ROLE_OPERATIONS);
    request->scope = NULL;
    int rc = http_send_request (self, "dispatch", request, id);
    free (request->request_id);
    request->request_id = NULL;
    return rc;
}

static void
s_to_verifier (http_t *self, http_conn_t *c, const char *hash)
{
    char id [32];
    snprintf (id, sizeof id, "g%" PRIu64, c->id);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, id);
    zmsg_addmem (msg, c->password, strlen (c->password));
    zmsg_addstr (msg, hash);
    s_forget_password (c);
    if (zmsg_send (&msg, zactor_sock (self->verifier))) {
        zmsg_destroy (&msg);
        http_error (c, 503, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE, "the password cannot be checked now");
        s_finish (self, c);
        return;
    }
    self->verifying++;
}

void
http_sign_in_person (http_t *self, http_conn_t *c, const char *user, const char *password)
{
    if (!kf_config_valid_id (user) || strlen (password) > S_PASSWORD_MAX) {
        http_error (c, 400, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST,
                    "user: 1 to %d letters, digits, '-' and '_'; password: %d bytes at most", KF_ID_MAX,
                    S_PASSWORD_MAX);
        return;
    }
    if (self->verifying >= S_VERIFYING_MAX) {
        http_error (c, 503, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE, "too many sign-ins at once: try again shortly");
        return;
    }
    char id [32];
    c->id = ++self->next_id;
    snprintf (id, sizeof id, "g%" PRIu64, c->id);
    snprintf (c->user, sizeof c->user, "%s", user);
    c->password = strdup (password);
    Kf__BeginSignIn begin = KF__BEGIN_SIGN_IN__INIT;
    begin.user = c->user;
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_BEGIN_SIGN_IN;
    request.begin_sign_in = &begin;
    if (!c->password || s_ask_dispatch (self, c, &request) || zhashx_insert (self->pending, id, c)) {
        s_forget_password (c);
        http_error (c, 503, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE, "kefu-dispatch cannot be reached");
        return;
    }
    c->kind = C_SIGN_IN;
    c->step = SIGN_IN_ACCOUNT;
    c->deadline_ms = http_now () + self->timeout_ms;
    http_suspend (c);
}

static void
s_refused (http_conn_t *c, const Kf__Reply *reply)
{
    int status = reply->status == KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN ? 401
               : gateway_http_status (reply->status);
    http_error (c, status, reply->status, "%s", reply->error && *reply->error ? reply->error : "not signed in");
}

void
http_sign_in_reply (http_t *self, http_conn_t *c, const Kf__Reply *reply)
{
    bool ok = reply->status == KF__REPLY_STATUS__REPLY_STATUS_OK && reply->result_case == KF__REPLY__RESULT_ACCOUNT;
    if (c->step == SIGN_IN_ACCOUNT) {
        if (ok && reply->account->password_hash) {
            c->generation = reply->account->generation;
            c->step = SIGN_IN_VERIFY;
            s_to_verifier (self, c, reply->account->password_hash);
        }
        else
        if (reply->status == KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND) {
            c->step = SIGN_IN_DECOY;
            s_to_verifier (self, c, self->decoy_hash);
        }
        else {
            s_refused (c, reply);
            s_finish (self, c);
        }
        return;
    }
    if (c->step != SIGN_IN_COUNT)
        return;   //  a reply out of its turn: the verifier's answer decides
    if (!ok) {
        s_refused (c, reply);
        s_finish (self, c);
        return;
    }
    const Kf__Account *account = reply->account;
    gateway_token_t who = { .role = account->role };
    snprintf (who.name, sizeof who.name, "%s", account->name && *account->name ? account->name : account->user);
    snprintf (who.estate, sizeof who.estate, "%s", account->estate ? account->estate : "");
    snprintf (who.staff, sizeof who.staff, "%s", account->staff_id && *account->staff_id ? account->staff_id
                                                                                          : account->user);
    http_session_open (self, c, &who, account->user, account->generation);
    s_finish (self, c);
}

static void
s_verified (http_t *self, const char *id, bool matched)
{
    if (self->verifying)
        self->verifying--;
    http_conn_t *c = zhashx_lookup (self->pending, id);
    if (!c || c->kind != C_SIGN_IN)
        return;   //  timed out meanwhile: answered already
    if (c->step == SIGN_IN_DECOY) {
        http_error (c, 401, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN, "wrong user or password");
        s_finish (self, c);
        return;
    }
    Kf__EndSignIn end = KF__END_SIGN_IN__INIT;
    end.user = c->user;
    KF_SET (&end, generation, c->generation);
    KF_SET (&end, matched, matched);
    Kf__Request request = KF__REQUEST__INIT;
    request.command_case = KF__REQUEST__COMMAND_END_SIGN_IN;
    request.end_sign_in = &end;
    c->step = SIGN_IN_COUNT;
    if (s_ask_dispatch (self, c, &request)) {
        http_error (c, 503, KF__REPLY_STATUS__REPLY_STATUS_UNAVAILABLE, "kefu-dispatch cannot be reached");
        s_finish (self, c);
    }
}

//  ---- sessions' accounts, asked after ----------------------------------------------------

void
http_sessions_check (http_t *self, int64_t now)
{
    if (now - self->last_recheck_ms < S_SWEEP_MS)
        return;
    self->last_recheck_ms = now;
    //  Sessions past their lifetime or idle end here too, not only when
    //  their cookie comes back: their live streams close, their memory goes.
    zlistx_t *over = zlistx_new ();
    zlistx_set_destructor (over, (zlistx_destructor_fn *) zstr_free);
    for (http_session_t *session = zhashx_first (self->sessions); session && over;
         session = zhashx_next (self->sessions))
        if (session->expires_ms <= now || session->idle_until_ms <= now)
            zlistx_add_end (over, strdup (zhashx_cursor (self->sessions)));
    for (char *ended = over ? zlistx_first (over) : NULL; ended; ended = zlistx_next (over))
        http_session_end (self, ended, "its lifetime or idle time is over");
    zlistx_destroy (&over);
    const char *cookie;
    for (http_session_t *session = zhashx_first (self->sessions); session;
         session = zhashx_next (self->sessions)) {
        if (!session->user [0] || now - session->checked_ms < self->recheck_ms)
            continue;
        cookie = zhashx_cursor (self->sessions);
        if (session->check_id [0])
            zhashx_delete (self->checks, session->check_id);   //  never answered: asked again
        snprintf (session->check_id, sizeof session->check_id, "c%" PRIu64, ++self->next_id);
        Kf__ShowUser show = KF__SHOW_USER__INIT;
        show.user = session->user;
        Kf__Request request = KF__REQUEST__INIT;
        request.actor = "kefu-gateway";
        KF_SET (&request, role, KF__ROLE__ROLE_OPERATIONS);
        request.command_case = KF__REQUEST__COMMAND_SHOW_USER;
        request.show_user = &show;
        session->checked_ms = now;
        if (http_send_request (self, "dispatch", &request, session->check_id) == 0)
            zhashx_insert (self->checks, session->check_id, strdup (cookie));
        free (request.request_id);
    }
}

bool
http_sessions_checked (http_t *self, const Kf__Reply *reply)
{
    char *cookie = zhashx_lookup (self->checks, reply->request_id);
    if (!cookie)
        return false;
    cookie = strdup (cookie);
    zhashx_delete (self->checks, reply->request_id);
    http_session_t *session = cookie ? zhashx_lookup (self->sessions, cookie) : NULL;
    if (session) {
        session->check_id [0] = 0;
        const Kf__Account *account = reply->result_case == KF__REPLY__RESULT_ACCOUNT ? reply->account : NULL;
        if (reply->status == KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND)
            http_session_end (self, cookie, "its account is gone");
        else
        if (account && account->disabled)
            http_session_end (self, cookie, "its account was disabled");
        else
        if (account && account->generation != session->generation)
            http_session_end (self, cookie, "its account's password changed");
        //  Any other answer (dispatch busy, down) leaves it for the next check.
    }
    free (cookie);
    return true;
}
