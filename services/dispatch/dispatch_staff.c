/*  dispatch_staff — the staff and their rotas: from the configuration and
    from kefuctl, stored, announced, and their load of open orders. See
    dispatch_private.h.
*/
#include "dispatch_private.h"

//  ---- staff ----------------------------------------------------------------------

Kf__Staff *
dispatch_staff_get (dispatch_t *self, kf_txn_t *txn, const char *estate, const char *staff_id, kf_arena_t *arena)
{
    kf_key_t key;
    ProtobufCMessage *staff = NULL;
    if (staff_id && kf_key_make (&key, "s|s", estate, staff_id) == 0)
        kf_txn_get_msg_in (txn, self->staff, &key, &kf__staff__descriptor, arena, &staff);
    return (Kf__Staff *) staff;
}

int
dispatch_staff_put (dispatch_t *self, kf_txn_t *txn, const Kf__Staff *staff)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", staff->estate, staff->staff_id);
    return kf_txn_put_msg (txn, self->staff, &key, &staff->base);
}

//  A person's record changed (the file, a retirement, kefuctl staff rota):
//  staff.changed, so that escalation reaches who is on shift as dispatch
//  sees it. The load is dispatch's alone and is left out.
int
dispatch_staff_announce (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Staff *staff, const char *actor)
{
    assert (self->base.outbox);
    Kf__Staff news = *staff;
    news.has_open_orders = news.has_last_assigned_ms = news.has_config_digest = news.has_on_duty = 0;
    Kf__StaffChanged changed = KF__STAFF_CHANGED__INIT;
    changed.staff = &news;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_STAFF_CHANGED;
    event.staff_changed = &changed;
    event.actor = actor && *actor ? (char *) actor : NULL;
    return kf_emit (self->base.outbox, txn, now_ms, staff->estate, &event, NULL);
}

//  One person's load moves by delta; an assignment also stamps the time
//  (fairness among equal loads).
int
dispatch_load_change (dispatch_t *self, kf_txn_t *txn, const char *estate, const char *staff_id, int delta,
                      int64_t now_ms,
                      kf_arena_t *arena)
{
    Kf__Staff *staff = dispatch_staff_get (self, txn, estate, staff_id, arena);
    if (!staff)
        return kf_txn_ok (txn) ? 0 : -1;   //  a person no longer known holds no load
    if (delta < 0 && staff->open_orders < (uint32_t) -delta)
        staff->open_orders = 0;
    else
        staff->open_orders = (uint32_t) ((int64_t) staff->open_orders + delta);
    staff->has_open_orders = 1;
    if (delta > 0) {
        KF_SET (staff, last_assigned_ms, now_ms);
    }
    return dispatch_staff_put (self, txn, staff);
}

//  The person a configuration entry describes, without the store's state.
static int
s_staff_from_config (dispatch_t *self, const char *estate, const char *staff_id, Kf__Staff *staff,
                     Kf__Shift *shifts, Kf__Shift **shift_ptrs, int *skills, kf_err_t *err)
{
    char path [160];
    kf__staff__init (staff);
    staff->estate = (char *) estate;
    staff->staff_id = (char *) staff_id;
#define S_PATH(key) (snprintf (path, sizeof path, "estates/%s/staff/%s/" key, estate, staff_id), path)
    staff->name = (char *) kf_config_str (self->base.config, S_PATH ("name"));
    KF_SET (staff, department, kf_config_enum (self->base.config, S_PATH ("department")));
    KF_SET (staff, role, kf_config_enum (self->base.config, S_PATH ("role")));
    staff->phone = (char *) kf_config_str (self->base.config, S_PATH ("phone"));
    staff->email = (char *) kf_config_str (self->base.config, S_PATH ("email"));
    staff->language = (char *) kf_config_str (self->base.config, S_PATH ("language"));
    KF_SET (staff, on_call, kf_config_bool (self->base.config, S_PATH ("on_call")));
    KF_SET (staff, active, kf_config_bool (self->base.config, S_PATH ("active")));
    const char *listed = kf_config_str (self->base.config, S_PATH ("skills"));
    int n = kf_config_enum_list (listed, &kf__category__descriptor, skills, S_CATEGORIES, err);
    if (n < 0)
        return -1;
    staff->skills = (Kf__Category *) skills;
    staff->n_skills = (size_t) n;
    n = kf_rota_parse (kf_config_str (self->base.config, S_PATH ("shifts")), shifts, KF_ROTA_SHIFTS_MAX, err);
#undef S_PATH
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++)
        shift_ptrs [i] = &shifts [i];
    staff->shifts = shift_ptrs;
    staff->n_shifts = (size_t) n;
    return 0;
}

#define S_RETIRE_MAX 256   //  people leaving in one start; the rest at the next

typedef struct {
    dispatch_t *self;
    kf_txn_t *txn;
    int64_t now_ms;
    const char *estate;
    int changed;
    char retiring [S_RETIRE_MAX][KF_ID_MAX + 1];
    size_t retiring_count;
} s_load_t;

static int
s_load_one (const char *staff_id, void *arg)
{
    s_load_t *l = arg;
    dispatch_t *self = l->self;
    Kf__Staff wanted;
    Kf__Shift shifts [KF_ROTA_SHIFTS_MAX], *shift_ptrs [KF_ROTA_SHIFTS_MAX];
    int skills [S_CATEGORIES];
    kf_err_t err;
    if (s_staff_from_config (self, l->estate, staff_id, &wanted, shifts, shift_ptrs, skills, &err))
        return kf_txn_fail (l->txn, "estates/%s/staff/%s: %s", l->estate, staff_id, err.text);
    uint64_t digest = kf_codec_digest (&wanted.base);
    Kf__Staff *stored = dispatch_staff_get (self, l->txn, l->estate, staff_id, self->base.scratch);
    if (!kf_txn_ok (l->txn))
        return -1;
    if (stored && stored->config_digest == digest)
        return dispatch_account_of_staff (self, l->txn, l->now_ms, stored);   //  kefuctl's changes stand
    KF_SET (&wanted, config_digest, digest);
    if (stored) {   //  the file changed this entry: it wins, the load stays
        wanted.open_orders = stored->open_orders;
        wanted.has_open_orders = stored->has_open_orders;
        wanted.last_assigned_ms = stored->last_assigned_ms;
        wanted.has_last_assigned_ms = stored->has_last_assigned_ms;
    }
    kf_notice ("staff %s/%s %s from the configuration", l->estate, staff_id, stored ? "updated" : "added");
    l->changed++;
    dispatch_staff_put (self, l->txn, &wanted);
    dispatch_account_of_staff (self, l->txn, l->now_ms, &wanted);
    return dispatch_staff_announce (self, l->txn, l->now_ms, &wanted, NULL);
}

//  People the file no longer lists, to make inactive after the scan.
static int
s_retire_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) txn; (void) key;
    s_load_t *l = arg;
    const Kf__Staff *stored = (const Kf__Staff *) msg;
    char path [160];
    snprintf (path, sizeof path, "estates/%s/staff/%s/name", l->estate, stored->staff_id);
    if (stored->active && !kf_config_has (l->self->base.config, path) && l->retiring_count < S_RETIRE_MAX)
        snprintf (l->retiring [l->retiring_count++], KF_ID_MAX + 1, "%s", stored->staff_id);
    return 0;
}

static int
s_retire (s_load_t *l, const char *staff_id)
{
    Kf__Staff *left = dispatch_staff_get (l->self, l->txn, l->estate, staff_id, l->self->base.scratch);
    if (!left)
        return -1;
    KF_SET (left, active, 0);
    left->config_digest = 0;
    kf_notice ("staff %s/%s is no longer in the configuration: inactive (%u open orders stay with them)",
               l->estate, staff_id, left->open_orders);
    l->changed++;
    dispatch_staff_put (l->self, l->txn, left);
    dispatch_account_of_staff (l->self, l->txn, l->now_ms, left);
    return dispatch_staff_announce (l->self, l->txn, l->now_ms, left, NULL);
}

int
dispatch_load_staff (dispatch_t *self, kf_txn_t *txn, int64_t now_ms)
{
    assert (self && txn);
    dispatch_tables (self, txn);
    kf_arena_reset (self->base.scratch);
    s_load_t *l = calloc (1, sizeof *l);
    if (!l)
        return kf_txn_fail (txn, "out of memory");
    l->self = self;
    l->txn = txn;
    l->now_ms = now_ms;
    for (size_t i = 0; i < self->base.estate_count && kf_txn_ok (txn); i++) {
        l->estate = self->estates [i].estate->id;
        l->retiring_count = 0;
        char path [96];
        snprintf (path, sizeof path, "estates/%s/staff", l->estate);
        kf_config_each (self->base.config, path, s_load_one, l);
        kf_key_t prefix;
        kf_key_make (&prefix, "s|", l->estate);
        kf_txn_scan_msg (txn, self->staff, &prefix, &kf__staff__descriptor, s_retire_row, l);
        for (size_t r = 0; r < l->retiring_count && kf_txn_ok (txn); r++)
            s_retire (l, l->retiring [r]);
    }
    int changed = l->changed;
    free (l);
    return kf_txn_ok (txn) ? changed : -1;
}
