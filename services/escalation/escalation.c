/*  escalation — SLA clocks and the chain over a store transaction.
    See escalation.h.

    Every change to a case is the same straight line: read the case, take
    its timers and board rows out (from what the record says they are),
    change the case, put its timers and board rows back (from what it now
    is), write it. So the indexes are a function of the record and can
    never drift from it, whatever the order of events.
*/
#include "escalation.h"
#include "kf_commands.h"
#include "kf_domain.h"
#include "kf_field.h"
#include "kf_rate.h"
#include "kf_rota.h"
#include "kf_sla.h"
#include "kf_summary.h"
#include "kf_time.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TARGETS     3       //  kf.SlaTarget 1..3, at index 0..2
#define S_POLICIES    7
#define S_NOTIFY_MAX  16
#define S_ID_SIZE     (KF_ID_MAX + 1)
#define S_TIMER_ID    128     //  <ticket_no>/<what>
#define S_BOARD_SCAN  100000  //  board rows one request looks at, per estate
#define S_TYPES 16
#define S_CHANNELS 16
#define S_CATEGORIES 32
#define S_HAZARDS 16
#define S_PRIORITIES 8
#define S_PAUSES 4

//  A protobuf-c optional scalar is written only with its has_ flag.
#define S_SET(msg, field, value) ((msg)->field = (value), (msg)->has_##field = 1)

static const char *s_target_keys [S_TARGETS] = { "first_response", "on_site", "resolution" };
static const char *s_policy_names [S_POLICIES] = {
    "emergency", "rectification", "hotline", "renovation", "complaint", "repair", "default"
};
enum { S_POLICY_RECTIFICATION = 1, S_POLICY_DEFAULT = 6 };
enum { S_FIRST_RESPONSE = 0, S_ON_SITE = 1, S_RESOLUTION = 2 };

typedef struct {
    int index;                       //  in s_policy_names: the precedence
    bool type [S_TYPES], channel [S_CHANNELS], category [S_CATEGORIES], hazard [S_HAZARDS],
         priority [S_PRIORITIES];
    bool working;
    bool pause_for [S_PAUSES];
    kf_sla_limit_t limit [S_TARGETS];
    kf_sla_limit_t transferred;
} s_policy_t;

//  Someone levels 2 and 3 may notify, with their rota (the configuration's
//  text: the chain asks who is there only when it climbs).
typedef struct {
    char id [S_ID_SIZE];
    const char *shifts;
    bool on_call;
} s_person_t;

typedef struct {
    s_person_t people [S_NOTIFY_MAX];
    size_t count;
    char named [S_ID_SIZE];      //  the estate's own supervisor / deputy GM, always told
} s_level_people_t;

typedef struct {
    const kf_estate_t *estate;
    s_policy_t policies [S_POLICIES];
    s_level_people_t levels [4];   //  [2] the CS supervisors, [3] the managers (deputy GM)
} s_estate_t;

struct _escalation_t {
    kf_config_t *config;
    kf_outbox_t *outbox;
    s_estate_t *estates;
    size_t estate_count;
    int warning_percent;
    int cutoff_minute;
    int64_t level_after_ms [3];     //  [1]: level 1 to 2, [2]: level 2 to 3
    uint32_t reopens_to_supervisor;
    kf_arena_t *scratch;            //  for one event or one timer
    kf_table_t cases, timers, board, outcomes, complaints, staff;
    bool tables_known;
};

//  What a change to one case works with.
typedef struct {
    escalation_t *self;
    kf_txn_t *txn;
    int64_t now_ms;          //  the daemon's clock
    int64_t at_ms;           //  when the fact happened: the event's time, or the timer's
    const char *causation;   //  the consumed event's id
    const s_estate_t *estate;
    Kf__SlaCase *c;
    kf_arena_t *arena;
} s_ctx_t;

//  ---- set-up -----------------------------------------------------------------------

static const char *
s_policy_value (kf_config_t *config, const char *estate, const char *policy, const char *key)
{
    char rule [128], path [160];
    snprintf (rule, sizeof rule, "sla/%s/%s", policy, key);
    return kf_config_str (config, kf_config_rule (config, estate, rule, path, sizeof path));
}

static int
s_keep_term (const char *field, int value, void *arg)
{
    s_policy_t *p = arg;
    struct { const char *name; bool *set; int size; } fields [] = {
        { "type", p->type, S_TYPES }, { "channel", p->channel, S_CHANNELS },
        { "category", p->category, S_CATEGORIES }, { "hazard", p->hazard, S_HAZARDS },
        { "priority", p->priority, S_PRIORITIES },
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields [0]; i++)
        if (strcmp (field, fields [i].name) == 0) {
            if (value <= 0 || value >= fields [i].size)
                return -1;
            fields [i].set [value] = true;
            return 0;
        }
    return -1;
}

static int
s_build_policy (s_policy_t *p, int index, kf_config_t *config, const char *estate, kf_err_t *err)
{
    const char *name = s_policy_names [index];
    p->index = index;
    p->working = strcmp (s_policy_value (config, estate, name, "hours"), "working") == 0;
    const char *value = s_policy_value (config, estate, name, "match");
    if (index != S_POLICY_DEFAULT && kf_config_terms (value, s_keep_term, p, err))
        return kf_err_prefix (err, "estates/%s/sla/%s/match: ", estate, name);
    value = s_policy_value (config, estate, name, "pause_for");
    if (strcmp (value, "none") != 0) {
        int reasons [S_PAUSES];
        int n = kf_config_enum_list (value, &kf__pause_reason__descriptor, reasons, S_PAUSES, err);
        if (n < 0)
            return kf_err_prefix (err, "estates/%s/sla/%s/pause_for: ", estate, name);
        for (int i = 0; i < n; i++)
            if (reasons [i] > 0 && reasons [i] < S_PAUSES)
                p->pause_for [reasons [i]] = true;
    }
    for (int t = 0; t < S_TARGETS; t++)
        if (kf_sla_limit_parse (s_policy_value (config, estate, name, s_target_keys [t]), &p->limit [t], err))
            return kf_err_prefix (err, "estates/%s/sla/%s/%s: ", estate, name, s_target_keys [t]);
    if (kf_sla_limit_parse (s_policy_value (config, estate, name, "transferred"), &p->transferred, err))
        return kf_err_prefix (err, "estates/%s/sla/%s/transferred: ", estate, name);
    return 0;
}

typedef struct {
    kf_config_t *config;
    s_estate_t *estate;
} s_staff_load_t;

//  Who levels 2 and 3 may notify: the estate's active customer-service
//  supervisors, and its active managers (the deputy general manager).
static int
s_staff_one (const char *staff_id, void *arg)
{
    s_staff_load_t *l = arg;
    s_estate_t *e = l->estate;
    char path [160];
#define S_PATH(key) (snprintf (path, sizeof path, "estates/%s/staff/%s/" key, e->estate->id, staff_id), path)
    if (!kf_config_bool (l->config, S_PATH ("active")))
        return 0;
    int role = kf_config_enum (l->config, S_PATH ("role"));
    int department = kf_config_enum (l->config, S_PATH ("department"));
    int level = role == KF__ROLE__ROLE_MANAGER ? 3
              : role == KF__ROLE__ROLE_SUPERVISOR && department == KF__DEPARTMENT__DEPARTMENT_CUSTOMER_SERVICE ? 2 : 0;
    s_level_people_t *people = &e->levels [level];
    if (level && people->count < S_NOTIFY_MAX) {
        s_person_t *p = &people->people [people->count++];
        snprintf (p->id, sizeof p->id, "%s", staff_id);
        p->shifts = kf_config_str (l->config, S_PATH ("shifts"));
        p->on_call = kf_config_bool (l->config, S_PATH ("on_call"));
    }
#undef S_PATH
    return 0;
}

//  The estate's named supervisor and deputy GM (estates/<id>/escalation/
//  supervisor and deputy_gm): a person of that level, or the daemon stops.
static int
s_named (kf_config_t *config, s_estate_t *e, int level, const char *key, kf_err_t *err)
{
    char path [160];
    snprintf (path, sizeof path, "estates/%s/%s", e->estate->id, key);
    const char *id = kf_config_str (config, path);
    if (!id || !*id)
        return 0;
    s_level_people_t *people = &e->levels [level];
    for (size_t i = 0; i < people->count; i++)
        if (strcmp (people->people [i].id, id) == 0) {
            snprintf (people->named, sizeof people->named, "%s", id);
            return 0;
        }
    return kf_err_set (err, "%s: %s is not an active %s of estate %s", path, id,
                       level == 2 ? "customer-service supervisor" : "manager", e->estate->id);
}

escalation_t *
escalation_new (kf_config_t *config, kf_err_t *err)
{
    assert (config);
    escalation_t *self = calloc (1, sizeof *self);
    size_t estates = kf_config_estate_count (config);
    if (self) {
        self->estates = calloc (estates, sizeof *self->estates);
        self->scratch = kf_arena_new ();
    }
    if (!self || !self->estates || !self->scratch) {
        kf_err_set (err, "out of memory");
        escalation_destroy (&self);
        return NULL;
    }
    self->config = config;
    self->estate_count = estates;
    self->warning_percent = (int) kf_config_int (config, "sla/warning_percent");
    const char *cutoff = kf_config_str (config, "sla/same_day_cutoff");
    if (kf_hhmm_parse (&cutoff, &self->cutoff_minute))
        assert (false);   //  the configuration checked it
    self->level_after_ms [1] = kf_config_duration_ms (config, "escalation/supervisor_after");
    self->level_after_ms [2] = kf_config_duration_ms (config, "escalation/deputy_gm_after");
    self->reopens_to_supervisor = (uint32_t) kf_config_int (config, "escalation/reopens_to_supervisor");
    for (size_t i = 0; i < estates; i++) {
        s_estate_t *e = &self->estates [i];
        e->estate = kf_config_estate (config, i);
        for (int p = 0; p < S_POLICIES; p++)
            if (s_build_policy (&e->policies [p], p, config, e->estate->id, err)) {
                escalation_destroy (&self);
                return NULL;
            }
        char path [96];
        snprintf (path, sizeof path, "estates/%s/staff", e->estate->id);
        s_staff_load_t load = { config, e };
        kf_config_each (config, path, s_staff_one, &load);
        if (s_named (config, e, 2, "escalation/supervisor", err) || s_named (config, e, 3, "escalation/deputy_gm", err)) {
            escalation_destroy (&self);
            return NULL;
        }
        if (e->levels [2].count == 0)
            kf_warning ("estate %s has no active customer-service supervisor: level 2 names nobody", e->estate->id);
        if (e->levels [3].count == 0)
            kf_warning ("estate %s has no active manager: level 3 names nobody", e->estate->id);
    }
    return self;
}

void
escalation_destroy (escalation_t **self_p)
{
    assert (self_p);
    escalation_t *self = *self_p;
    if (self) {
        kf_arena_destroy (&self->scratch);
        free (self->estates);
        free (self);
        *self_p = NULL;
    }
}

void
escalation_set_outbox (escalation_t *self, kf_outbox_t *outbox)
{
    assert (self && outbox);
    self->outbox = outbox;
}

static const s_estate_t *
s_estate (const escalation_t *self, const char *id)
{
    for (size_t i = 0; id && i < self->estate_count; i++)
        if (strcmp (self->estates [i].estate->id, id) == 0)
            return &self->estates [i];
    return NULL;
}

static void
s_tables (escalation_t *self, kf_txn_t *txn)
{
    if (self->tables_known)
        return;
    kf_store_t *store = kf_txn_store (txn);
    self->cases = kf_store_table (store, "cases");
    self->timers = kf_store_table (store, "timers");
    self->board = kf_store_table (store, "board");
    self->outcomes = kf_store_table (store, "outcomes");
    self->complaints = kf_store_table (store, "complaints");
    self->staff = kf_store_table (store, "staff");
    self->tables_known = true;
}

//  ---- policies -------------------------------------------------------------------

static bool
s_in (const bool *set, int size, int value)
{
    return value > 0 && value < size && set [value];
}

static bool
s_applies (const s_policy_t *p, const Kf__SlaCase *c)
{
    if (p->index == S_POLICY_DEFAULT)
        return true;
    if (p->index == S_POLICY_RECTIFICATION && c->rectification_at_ms > 0)
        return true;
    if (s_in (p->type, S_TYPES, c->type) || s_in (p->channel, S_CHANNELS, c->channel)
    ||  s_in (p->category, S_CATEGORIES, c->category) || s_in (p->priority, S_PRIORITIES, c->priority))
        return true;
    for (size_t i = 0; i < c->n_hazards; i++)
        if (s_in (p->hazard, S_HAZARDS, c->hazards [i]))
            return true;
    return false;
}

//  The policy that sets this target for the case, and its limit; NULL when
//  none does (the case has no such target).
static const s_policy_t *
s_policy_for (const s_estate_t *e, const Kf__SlaCase *c, int target, kf_sla_limit_t *limit)
{
    for (int i = 0; i < S_POLICIES; i++) {
        const s_policy_t *p = &e->policies [i];
        if (!s_applies (p, c))
            continue;
        *limit = p->limit [target];
        if (target == S_RESOLUTION && c->transferred && p->transferred.kind != KF_SLA_NONE)
            *limit = p->transferred;
        if (limit->kind != KF_SLA_NONE)
            return p;
    }
    return NULL;
}

static const s_policy_t *
s_policy_named (const s_estate_t *e, const char *name)
{
    for (int i = 0; name && i < S_POLICIES; i++)
        if (strcmp (s_policy_names [i], name) == 0)
            return &e->policies [i];
    return NULL;
}

//  ---- clocks ----------------------------------------------------------------------

static bool
s_running (const Kf__SlaClock *k)
{
    return !k->stopped && !k->paused && !k->met_at_ms;
}

static const kf_calendar_t *
s_working (const s_estate_t *e, const Kf__SlaClock *k)
{
    return k->working_hours ? e->estate->calendar : NULL;
}

//  Time used on the clock by `at`.
static int64_t
s_used_at (const s_estate_t *e, const Kf__SlaClock *k, int64_t at)
{
    int64_t used = k->used_ms;
    if (s_running (k) && at > k->running_since_ms)
        used += kf_sla_between (s_working (e, k), k->running_since_ms, at);
    return used;
}

static void
s_run_from (const s_estate_t *e, Kf__SlaClock *k, int64_t at)
{
    S_SET (k, running_since_ms, at);
    S_SET (k, deadline_ms, k->limit_ms == INT64_MAX ? INT64_MAX
                         : kf_sla_add (s_working (e, k), at, k->limit_ms - k->used_ms));
}

static int64_t
s_warn_at (const escalation_t *self, const s_estate_t *e, const Kf__SlaClock *k)
{
    int64_t share = k->limit_ms / 100 * self->warning_percent + k->limit_ms % 100 * self->warning_percent / 100;
    if (share <= k->used_ms)
        return k->running_since_ms;
    return kf_sla_add (s_working (e, k), k->running_since_ms, share - k->used_ms);
}

//  The clock's one timer: its warning, then its breach, then none.
static int64_t
s_timer_at (const escalation_t *self, const s_estate_t *e, const Kf__SlaClock *k)
{
    if (!s_running (k) || k->deadline_ms == INT64_MAX)
        return 0;
    if (!k->warned)
        return s_warn_at (self, e, k);
    return k->breached ? 0 : k->deadline_ms;
}

static Kf__SlaClock *
s_clock (const Kf__SlaCase *c, int target)
{
    for (size_t i = 0; i < c->n_clocks; i++)
        if ((int) c->clocks [i]->target == target + 1)
            return c->clocks [i];
    return NULL;
}

//  Set the clock's policy and limit as of `start`: the limit becomes a
//  length on the clock, the time from start to the limit's deadline.
static void
s_clock_limit (const s_ctx_t *x, Kf__SlaClock *k, const s_policy_t *p, const kf_sla_limit_t *limit, int64_t start)
{
    const kf_calendar_t *calendar = x->estate->estate->calendar;
    char rule [32];
    k->policy = (char *) s_policy_names [p->index];
    k->rule = kf_arena_strdup (x->arena, kf_sla_limit_format (limit, rule, sizeof rule));
    S_SET (k, working_hours, p->working);
    S_SET (k, started_at_ms, start);
    int64_t deadline = kf_sla_deadline (limit, calendar, p->working ? calendar : NULL, x->self->cutoff_minute, start);
    S_SET (k, limit_ms, deadline == INT64_MAX ? INT64_MAX : kf_sla_between (s_working (x->estate, k), start, deadline));
}

static Kf__SlaClock *
s_clock_new (const s_ctx_t *x, int target, const s_policy_t *p, const kf_sla_limit_t *limit, int64_t start)
{
    Kf__SlaClock *k = (Kf__SlaClock *) kf_arena_message (x->arena, &kf__sla_clock__descriptor);
    char clock_id [S_TIMER_ID];
    snprintf (clock_id, sizeof clock_id, "%s/%s", x->c->ticket_no, s_target_keys [target]);
    k->clock_id = kf_arena_strdup (x->arena, clock_id);
    if (!k->clock_id)
        return NULL;
    k->ticket_no = x->c->ticket_no;
    k->estate = x->c->estate;
    S_SET (k, target, target + 1);
    S_SET (k, used_ms, 0);
    s_clock_limit (x, k, p, limit, start);
    s_run_from (x->estate, k, start);
    return k;
}

//  ---- indexes: timers and the board ------------------------------------------------

static int
s_timer_key (kf_key_t *key, int64_t at_ms, const char *ticket_no, const char *what)
{
    char id [S_TIMER_ID];
    snprintf (id, sizeof id, "%s/%s", ticket_no, what);
    return kf_key_make (key, "t|s", at_ms, id);
}

static bool
s_on_board (const Kf__SlaClock *k)
{
    return s_running (k) && k->deadline_ms != INT64_MAX;
}

static void
s_unindex (s_ctx_t *x)
{
    const Kf__SlaCase *c = x->c;
    kf_key_t key;
    for (size_t i = 0; i < c->n_clocks; i++) {
        const Kf__SlaClock *k = c->clocks [i];
        if (k->timer_at_ms && s_timer_key (&key, k->timer_at_ms, c->ticket_no, s_target_keys [k->target - 1]) == 0)
            kf_txn_del (x->txn, x->self->timers, &key);
        if (s_on_board (k) && kf_key_make (&key, "s|t|s", c->estate, k->deadline_ms, k->clock_id) == 0)
            kf_txn_del (x->txn, x->self->board, &key);
    }
    if (c->next_level_at_ms && s_timer_key (&key, c->next_level_at_ms, c->ticket_no, "chain") == 0)
        kf_txn_del (x->txn, x->self->timers, &key);
}

static void
s_index (s_ctx_t *x)
{
    Kf__SlaCase *c = x->c;
    kf_key_t key;
    for (size_t i = 0; i < c->n_clocks; i++) {
        Kf__SlaClock *k = c->clocks [i];
        S_SET (k, timer_at_ms, s_timer_at (x->self, x->estate, k));
        if (k->timer_at_ms) {
            s_timer_key (&key, k->timer_at_ms, c->ticket_no, s_target_keys [k->target - 1]);
            kf_txn_put (x->txn, x->self->timers, &key, "", 0);
        }
        if (s_on_board (k)) {
            kf_key_make (&key, "s|t|s", c->estate, k->deadline_ms, k->clock_id);
            kf_txn_put (x->txn, x->self->board, &key, "", 0);
        }
    }
    if (c->next_level_at_ms) {
        s_timer_key (&key, c->next_level_at_ms, c->ticket_no, "chain");
        kf_txn_put (x->txn, x->self->timers, &key, "", 0);
    }
}

static Kf__SlaCase *
s_case_get (escalation_t *self, kf_txn_t *txn, const char *ticket_no, kf_arena_t *arena)
{
    kf_key_t key;
    if (!ticket_no || kf_key_make (&key, "s", ticket_no))
        return NULL;
    return (Kf__SlaCase *) kf_txn_find_msg_in (txn, self->cases, &key, &kf__sla_case__descriptor, arena);
}

static int
s_case_put (s_ctx_t *x)
{
    kf_key_t key;
    kf_key_make (&key, "s", x->c->ticket_no);
    return kf_txn_put_msg (x->txn, x->self->cases, &key, &x->c->base);
}

//  ---- history and events -----------------------------------------------------------------

static void
s_history (s_ctx_t *x, int64_t at_ms, const char *format, ...)
{
    Kf__SlaCase *c = x->c;
    Kf__SlaHistoryEntry *entry = (Kf__SlaHistoryEntry *) kf_arena_message (x->arena, &kf__sla_history_entry__descriptor);
    size_t keep = c->n_history < ESCALATION_HISTORY_MAX ? c->n_history : ESCALATION_HISTORY_MAX - 1;
    Kf__SlaHistoryEntry **grown = kf_arena_alloc (x->arena, (keep + 1) * sizeof *grown);
    char what [512];
    va_list args;
    va_start (args, format);
    vsnprintf (what, sizeof what, format, args);
    va_end (args);
    if (!entry || !grown || !(entry->what = kf_arena_strdup (x->arena, what))) {
        kf_txn_fail (x->txn, "out of memory");
        return;
    }
    S_SET (entry, at_ms, at_ms);
    if (keep)
        memcpy (grown, c->history + (c->n_history - keep), keep * sizeof *grown);
    grown [keep] = entry;
    c->history = grown;
    c->n_history = keep + 1;
}

static const char *
s_local (const s_ctx_t *x, int64_t utc_ms, char *buf, size_t size)
{
    int offset = x->estate->estate->utc_offset_min, year, month, day;
    if (utc_ms == INT64_MAX) {
        snprintf (buf, size, "never");
        return buf;
    }
    int64_t days = kf_local_day (utc_ms, offset);
    int64_t minute = (utc_ms - kf_local_day_start (days, offset)) / KF_MS_PER_MINUTE;
    kf_civil_from_days (days, &year, &month, &day);
    snprintf (buf, size, "%04d-%02d-%02d %02d:%02d", year, month, day, (int) (minute / 60), (int) (minute % 60));
    return buf;
}

static int
s_emit (s_ctx_t *x, Kf__Envelope *event, const char *causation)
{
    return kf_emit (x->self->outbox, x->txn, x->now_ms, x->c->estate, event, causation);
}

static Kf__SlaMet
s_met_record (const s_ctx_t *x, const Kf__SlaClock *k, int64_t met_at_ms, bool on_time)
{
    const Kf__SlaCase *c = x->c;
    Kf__SlaMet m = KF__SLA_MET__INIT;
    m.ticket_no = c->ticket_no;
    m.clock_id = k->clock_id;
    S_SET (&m, target, k->target);
    m.policy = k->policy;
    S_SET (&m, deadline_ms, k->deadline_ms);
    S_SET (&m, met_at_ms, met_at_ms);
    S_SET (&m, on_time, on_time);
    S_SET (&m, department, c->department);
    S_SET (&m, category, c->category);
    S_SET (&m, type, c->type);
    return m;
}

//  The target's outcome for the reports, under its deadline: on time or
//  late. A later outcome of the same target replaces an earlier one.
static void
s_outcome (s_ctx_t *x, Kf__SlaClock *k, const Kf__SlaMet *m)
{
    const Kf__SlaCase *c = x->c;
    kf_key_t key;
    if (k->outcome_deadline_ms && k->outcome_deadline_ms != k->deadline_ms
    &&  kf_key_make (&key, "s|t|s|u|u", c->estate, k->outcome_deadline_ms, c->ticket_no, k->target, c->round) == 0)
        kf_txn_del (x->txn, x->self->outcomes, &key);
    if (kf_key_make (&key, "s|t|s|u|u", c->estate, k->deadline_ms, c->ticket_no, k->target, c->round) == 0)
        kf_txn_put_msg (x->txn, x->self->outcomes, &key, &m->base);
    S_SET (k, outcome_deadline_ms, k->deadline_ms);
}

static void
s_outcome_drop (s_ctx_t *x, Kf__SlaClock *k)
{
    kf_key_t key;
    if (k->outcome_deadline_ms
    &&  kf_key_make (&key, "s|t|s|u|u", x->c->estate, k->outcome_deadline_ms, x->c->ticket_no, k->target,
                     x->c->round) == 0)
        kf_txn_del (x->txn, x->self->outcomes, &key);
    S_SET (k, outcome_deadline_ms, 0);
}

static void
s_complaint_state (s_ctx_t *x, char state)
{
    const Kf__SlaCase *c = x->c;
    kf_key_t key;
    if (c->type != KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT
    ||  kf_key_make (&key, "s|t|s", c->estate, c->filed_at_ms, c->ticket_no))
        return;
    if (state)
        kf_txn_put (x->txn, x->self->complaints, &key, &state, 1);
    else
        kf_txn_del (x->txn, x->self->complaints, &key);
}

//  ---- the chain -------------------------------------------------------------------------

static const char *
s_target_name (int target)
{
    return target >= 1 && target <= S_TARGETS ? s_target_keys [target - 1] : "case";
}

//  Why the chain should climb: a missed target still unmet, or reopenings.
static bool
s_cause (const escalation_t *self, const Kf__SlaCase *c, Kf__SlaTarget *target, char *reason, size_t size)
{
    if (c->status != KF__TICKET_STATUS__TICKET_STATUS_OPEN)
        return false;
    for (size_t i = 0; i < c->n_clocks; i++) {
        const Kf__SlaClock *k = c->clocks [i];
        if (k->breached && !k->met_at_ms && !k->stopped) {
            *target = k->target;
            snprintf (reason, size, "%s missed", s_target_name (k->target));
            return true;
        }
    }
    if (c->reopen_count >= self->reopens_to_supervisor) {
        *target = KF__SLA_TARGET__SLA_TARGET_UNSPECIFIED;
        snprintf (reason, size, "reopened %u times", c->reopen_count);
        return true;
    }
    return false;
}

//  Who a level 2 or 3 reaches now: the people of its role on shift or on
//  call, and the estate's named supervisor / deputy GM whatever their
//  shift; when that is nobody, every one of the role (someone must hear).
//  A person's rota and on-call are dispatch's as last announced
//  (staff.changed: kefuctl staff rota included), else the configuration's.
static size_t
s_level_present (s_ctx_t *x, int level, char **notify)
{
    const s_estate_t *e = x->estate;
    const s_level_people_t *people = &e->levels [level];
    size_t n = 0, reachable = 0;
    const char *reach [S_NOTIFY_MAX];
    for (size_t i = 0; i < people->count; i++) {
        const s_person_t *p = &people->people [i];
        kf_key_t key;
        kf_key_make (&key, "s|s", e->estate->id, p->id);
        const Kf__Staff *known = (const Kf__Staff *) kf_txn_find_msg_in (x->txn, x->self->staff, &key,
                                                                        &kf__staff__descriptor, x->arena);
        if (known && !known->active)
            continue;   //  retired since the configuration was read
        reach [reachable++] = p->id;
        bool there;
        if (known)
            there = known->on_call
                 || kf_rota_on_duty (known->shifts, known->n_shifts, e->estate->calendar, x->now_ms);
        else {
            Kf__Shift shifts [KF_ROTA_SHIFTS_MAX];
            Kf__Shift *ptrs [KF_ROTA_SHIFTS_MAX];
            int count = kf_rota_parse (p->shifts ? p->shifts : "off", shifts, KF_ROTA_SHIFTS_MAX, NULL);
            for (int j = 0; j < count; j++)
                ptrs [j] = &shifts [j];
            there = p->on_call || (count > 0 && kf_rota_on_duty (ptrs, (size_t) count, e->estate->calendar, x->now_ms));
        }
        if (there || strcmp (p->id, people->named) == 0)
            notify [n++] = (char *) p->id;
    }
    for (size_t i = 0; n == 0 && i < reachable; i++)
        notify [i] = (char *) reach [i];
    return n ? n : reachable;
}

//  dispatch's news of a person: kept for s_level_present.
static int
s_on_staff (escalation_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    const Kf__Staff *staff = event->staff_changed->staff;
    if (!staff || !staff->staff_id || !staff->estate || !event->estate || strcmp (staff->estate, event->estate) != 0
    ||  !s_estate (self, staff->estate))
        return 0;   //  not a person of an estate this configuration knows
    kf_key_t key;
    if (kf_key_make (&key, "s|s", staff->estate, staff->staff_id))
        return 0;
    return kf_txn_put_msg (txn, self->staff, &key, &staff->base);
}

//  Notify a level: escalation.raised naming the people, and the next
//  level armed `after` the time this one was due.
static void
s_raise (s_ctx_t *x, int level, Kf__SlaTarget target, const char *reason, int64_t due_ms)
{
    static const Kf__Role roles [] = { 0, KF__ROLE__ROLE_FRONT_DESK, KF__ROLE__ROLE_SUPERVISOR, KF__ROLE__ROLE_MANAGER };
    Kf__SlaCase *c = x->c;
    char *notify [S_NOTIFY_MAX];
    size_t n = 0;
    if (level == 1) {
        if (c->handler && *c->handler)
            notify [n++] = c->handler;
        if (c->filed_by && *c->filed_by && strcmp (c->filed_by, "owner-app") != 0
        &&  (!c->handler || strcmp (c->handler, c->filed_by) != 0))
            notify [n++] = c->filed_by;
    }
    else
        n = s_level_present (x, level, notify);
    int64_t next = level < 3 ? due_ms + x->self->level_after_ms [level] : 0;
    Kf__EscalationRaised r = KF__ESCALATION_RAISED__INIT;
    r.ticket_no = c->ticket_no;
    S_SET (&r, level, level);
    S_SET (&r, notify_role, roles [level]);
    r.notify_staff = notify;
    r.n_notify_staff = n;
    r.reason = (char *) reason;
    S_SET (&r, target, target);
    S_SET (&r, next_level_at_ms, next);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_ESCALATION_RAISED;
    event.escalation_raised = &r;
    s_emit (x, &event, x->causation);
    S_SET (c, level, level);
    S_SET (c, next_level_at_ms, next);
    for (size_t i = 0; i < c->n_clocks; i++)
        if (c->clocks [i]->target == target)
            S_SET (c->clocks [i], level, level);
    char names [256] = "nobody by name";
    for (size_t i = 0, used = 0; i < n && used < sizeof names; i++)
        used += snprintf (names + used, sizeof names - used, "%s%s", i ? ", " : "", notify [i]);
    static const char *who [] = { "", "handler and receptionist", "customer-service supervisor", "deputy general manager" };
    s_history (x, x->now_ms, "level %d (%s): %s; notified %s", level, who [level], reason, names);
}

//  A breach starts the chain, or climbs it when it had stopped (an earlier
//  missed target was met since); a chain already climbing goes on as it is.
static void
s_chain_on_breach (s_ctx_t *x, const Kf__SlaClock *k)
{
    Kf__SlaCase *c = x->c;
    if (c->status != KF__TICKET_STATUS__TICKET_STATUS_OPEN || c->next_level_at_ms || c->level >= 3)
        return;
    char reason [64];
    snprintf (reason, sizeof reason, "%s missed", s_target_name (k->target));
    s_raise (x, c->level + 1, k->target, reason, k->deadline_ms);
}

static void
s_chain_due (s_ctx_t *x, int64_t due_ms)
{
    Kf__SlaCase *c = x->c;
    S_SET (c, next_level_at_ms, 0);
    Kf__SlaTarget target;
    char reason [64], still [80];
    if (c->level < 3 && s_cause (x->self, c, &target, reason, sizeof reason)) {
        snprintf (still, sizeof still, "still: %s", reason);
        s_raise (x, c->level + 1, target, still, due_ms);
    }
}

//  The next level waits only while its cause lasts.
static void
s_settle (s_ctx_t *x)
{
    Kf__SlaTarget target;
    char reason [64];
    if (x->c->next_level_at_ms && !s_cause (x->self, x->c, &target, reason, sizeof reason))
        S_SET (x->c, next_level_at_ms, 0);
}

//  ---- what happens to a clock ------------------------------------------------------------

static void
s_alert (s_ctx_t *x, const Kf__SlaClock *k, bool breach, bool warning_skipped)
{
    Kf__SlaAlert a = KF__SLA_ALERT__INIT;
    a.ticket_no = x->c->ticket_no;
    a.clock_id = k->clock_id;
    S_SET (&a, target, k->target);
    a.policy = k->policy;
    S_SET (&a, deadline_ms, k->deadline_ms);
    S_SET (&a, limit_ms, k->limit_ms);
    S_SET (&a, elapsed_ms, s_used_at (x->estate, k, x->now_ms));
    S_SET (&a, working_hours, k->working_hours);
    if (warning_skipped)
        S_SET (&a, warning_skipped, 1);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = breach ? KF__ENVELOPE__BODY_SLA_BREACHED : KF__ENVELOPE__BODY_SLA_WARNING;
    if (breach)
        event.sla_breached = &a;
    else
        event.sla_warning = &a;
    s_emit (x, &event, NULL);
}

//  A clock's timer fired (or time passed it while it was due): warn at
//  the threshold, breach at the deadline, both when both have passed.
static void
s_clock_due (s_ctx_t *x, Kf__SlaClock *k)
{
    char when [40];
    if (!s_running (k))
        return;
    bool past_deadline = k->deadline_ms != INT64_MAX && x->now_ms >= k->deadline_ms;
    bool skipped = false;
    if (!k->warned && x->now_ms >= s_warn_at (x->self, x->estate, k)) {
        S_SET (k, warned, 1);
        //  A warning after the deadline warns of nothing: the breach alone
        //  is published, marked as having passed its warning.
        skipped = past_deadline && !k->breached;
        if (skipped)
            s_history (x, x->now_ms, "warning skipped: %s (%s %s) passed its %d %% and its deadline %s at once",
                       s_target_name (k->target), k->policy, k->rule, x->self->warning_percent,
                       s_local (x, k->deadline_ms, when, sizeof when));
        else {
            s_alert (x, k, false, false);
            s_history (x, x->now_ms, "warning: %d %% of %s (%s %s) used, due %s", x->self->warning_percent,
                       s_target_name (k->target), k->policy, k->rule, s_local (x, k->deadline_ms, when, sizeof when));
        }
    }
    if (!k->breached && past_deadline) {
        S_SET (k, breached, 1);
        s_alert (x, k, true, skipped);
        Kf__SlaMet late = s_met_record (x, k, 0, false);
        s_outcome (x, k, &late);
        s_history (x, x->now_ms, "breached: %s (%s %s) was due %s", s_target_name (k->target), k->policy, k->rule,
                   s_local (x, k->deadline_ms, when, sizeof when));
        s_chain_on_breach (x, k);
    }
}

//  A target reached at `at`: on time when it came by the deadline (a
//  working-hours clock stands still after closing, so its use alone
//  cannot tell 17:59 from 21:59), or, for a paused clock, when the pause
//  began before the length was used up.
static void
s_meet (s_ctx_t *x, Kf__SlaClock *k, int64_t at)
{
    if (!k || k->met_at_ms || k->stopped)
        return;
    if (at < k->started_at_ms)
        at = k->started_at_ms;
    int64_t used = s_used_at (x->estate, k, at);
    bool on_time = s_running (k) ? at <= k->deadline_ms : !k->breached && used <= k->limit_ms;
    S_SET (k, used_ms, used);
    S_SET (k, running_since_ms, 0);
    S_SET (k, met_at_ms, at);
    Kf__SlaMet m = s_met_record (x, k, at, on_time);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_SLA_MET;
    event.sla_met = &m;
    s_emit (x, &event, x->causation);
    s_outcome (x, k, &m);
    s_history (x, at, "%s met %s (%s %s)", s_target_name (k->target), on_time ? "on time" : "late", k->policy, k->rule);
}

static void
s_stop (s_ctx_t *x, Kf__SlaClock *k, int64_t at)
{
    if (k->stopped || k->met_at_ms)
        return;
    S_SET (k, used_ms, s_used_at (x->estate, k, at));
    S_SET (k, running_since_ms, 0);
    S_SET (k, stopped, 1);
}

//  Clocks for each target the policies give the case, from `at` (a
//  rectification's resolution from the unsatisfied visit).
static void
s_start_round (s_ctx_t *x, int64_t at)
{
    Kf__SlaCase *c = x->c;
    Kf__SlaClock **clocks = kf_arena_alloc (x->arena, S_TARGETS * sizeof *clocks);
    if (!clocks) {
        kf_txn_fail (x->txn, "out of memory");
        return;
    }
    size_t n = 0;
    char line [400] = "", when [40];
    size_t used = 0;
    for (int t = 0; t < S_TARGETS; t++) {
        kf_sla_limit_t limit;
        const s_policy_t *p = s_policy_for (x->estate, c, t, &limit);
        if (!p)
            continue;
        int64_t start = at;
        if (t == S_RESOLUTION && p->index == S_POLICY_RECTIFICATION && c->rectification_at_ms
        &&  c->rectification_at_ms < at)
            start = c->rectification_at_ms;
        Kf__SlaClock *k = s_clock_new (x, t, p, &limit, start);
        if (!k) {
            kf_txn_fail (x->txn, "out of memory");
            return;
        }
        clocks [n++] = k;
        if (used < sizeof line)
            used += snprintf (line + used, sizeof line - used, "%s%s %s (%s) due %s", n > 1 ? "; " : "",
                              s_target_keys [t], k->rule, k->policy, s_local (x, k->deadline_ms, when, sizeof when));
    }
    c->clocks = clocks;
    c->n_clocks = n;
    s_history (x, at, "round %u: %s", c->round, n ? line : "no targets apply");
}

//  The case changed (transferred, made a rectification): a target whose
//  policy or limit changes keeps its start and the time it used, and
//  takes the new length; a rectification's resolution starts afresh at
//  the visit.
static void
s_retarget (s_ctx_t *x, int64_t at)
{
    Kf__SlaCase *c = x->c;
    char when [40];
    for (int t = 0; t < S_TARGETS; t++) {
        kf_sla_limit_t limit;
        char rule [32];
        const s_policy_t *p = s_policy_for (x->estate, c, t, &limit);
        Kf__SlaClock *k = s_clock (c, t);
        if (!p || !k || k->met_at_ms || k->stopped)
            continue;
        kf_sla_limit_format (&limit, rule, sizeof rule);
        if (strcmp (k->policy, s_policy_names [p->index]) == 0 && strcmp (k->rule, rule) == 0)
            continue;
        bool fresh = t == S_RESOLUTION && p->index == S_POLICY_RECTIFICATION && c->rectification_at_ms;
        bool running = s_running (k);
        int64_t start = fresh ? c->rectification_at_ms : k->started_at_ms;
        int64_t used = s_used_at (x->estate, k, at);
        if (fresh || (bool) k->working_hours != p->working)
            used = kf_sla_between (p->working ? x->estate->estate->calendar : NULL, start, at);
        s_clock_limit (x, k, p, &limit, start);
        S_SET (k, used_ms, used);
        if (running)
            s_run_from (x->estate, k, at);
        else
            S_SET (k, deadline_ms, kf_sla_add (s_working (x->estate, k), at, k->limit_ms - used));
        //  Alerts already sent stand only if the new limit has been used as far.
        int64_t share = k->limit_ms / 100 * x->self->warning_percent;
        if (k->warned && used < share)
            S_SET (k, warned, 0);
        if (k->breached && used < k->limit_ms) {
            S_SET (k, breached, 0);
            s_outcome_drop (x, k);
        }
        s_history (x, at, "%s now %s (%s), due %s", s_target_keys [t], k->rule, k->policy,
                   s_local (x, k->deadline_ms, when, sizeof when));
    }
}

//  ---- consumed events -------------------------------------------------------------------------

static bool
s_remove_string (char **list, size_t *n, const char *value)
{
    for (size_t i = 0; value && i < *n; i++)
        if (strcmp (list [i], value) == 0) {
            memmove (list + i, list + i + 1, (*n - i - 1) * sizeof *list);
            (*n)--;
            return true;
        }
    return false;
}

static void
s_resume_all (s_ctx_t *x, int64_t at)
{
    for (size_t i = 0; i < x->c->n_clocks; i++) {
        Kf__SlaClock *k = x->c->clocks [i];
        if (k->paused && !k->met_at_ms && !k->stopped) {
            S_SET (k, paused, 0);
            s_run_from (x->estate, k, at > k->started_at_ms ? at : k->started_at_ms);
        }
    }
}

static void
s_on_paused (s_ctx_t *x, const Kf__OrderPaused *o, int64_t at)
{
    Kf__SlaCase *c = x->c;
    bool any = false;
    for (size_t i = 0; i < c->n_clocks; i++) {
        Kf__SlaClock *k = c->clocks [i];
        const s_policy_t *p = s_policy_named (x->estate, k->policy);
        if (!s_running (k) || !p || !s_in (p->pause_for, S_PAUSES, o->reason))
            continue;
        S_SET (k, used_ms, s_used_at (x->estate, k, at));
        S_SET (k, running_since_ms, 0);
        S_SET (k, paused, 1);
        any = true;
    }
    if (!any || !o->order_no)
        return;
    char **grown = kf_arena_alloc (x->arena, (c->n_paused_orders + 1) * sizeof *grown);
    if (!grown) {
        kf_txn_fail (x->txn, "out of memory");
        return;
    }
    if (c->n_paused_orders)
        memcpy (grown, c->paused_orders, c->n_paused_orders * sizeof *grown);
    grown [c->n_paused_orders++] = o->order_no;
    c->paused_orders = grown;
    s_history (x, at, "clocks paused: %s %s", o->order_no,
               kf_summary_string (&o->base, "note") ? kf_summary_string (&o->base, "note") : "");
}

static void
s_on_order_gone (s_ctx_t *x, const char *order_no, int64_t at, const char *what)
{
    Kf__SlaCase *c = x->c;
    if (!s_remove_string (c->paused_orders, &c->n_paused_orders, order_no) || c->n_paused_orders)
        return;
    s_resume_all (x, at);
    s_history (x, at, "clocks run again: %s %s", order_no, what);
}

static void
s_handled_by (s_ctx_t *x, Kf__Department department, int64_t at)
{
    Kf__SlaCase *c = x->c;
    if (department)
        S_SET (c, department, department);
    if (department && department != KF__DEPARTMENT__DEPARTMENT_CUSTOMER_SERVICE && !c->transferred) {
        S_SET (c, transferred, 1);
        s_retarget (x, at);
    }
}

static void
s_on_closed (s_ctx_t *x, int64_t at)
{
    Kf__SlaCase *c = x->c;
    for (size_t i = 0; i < c->n_clocks; i++) {
        s_meet (x, c->clocks [i], at);
        s_stop (x, c->clocks [i], at);
    }
    S_SET (c, status, KF__TICKET_STATUS__TICKET_STATUS_CLOSED);
    c->n_paused_orders = 0;
    s_complaint_state (x, '1');
    s_history (x, at, "closed: clocks stopped");
}

//  A withdrawn case does not count: its open targets leave the reports.
static void
s_on_cancelled (s_ctx_t *x, int64_t at)
{
    Kf__SlaCase *c = x->c;
    for (size_t i = 0; i < c->n_clocks; i++) {
        Kf__SlaClock *k = c->clocks [i];
        if (!k->met_at_ms)
            s_outcome_drop (x, k);
        s_stop (x, k, at);
    }
    S_SET (c, status, KF__TICKET_STATUS__TICKET_STATUS_CANCELLED);
    c->n_paused_orders = 0;
    s_complaint_state (x, 0);
    s_history (x, at, "cancelled: clocks stopped");
}

static void
s_on_reopened (s_ctx_t *x, const Kf__TicketReopened *r, int64_t at)
{
    Kf__SlaCase *c = x->c;
    if (c->status == KF__TICKET_STATUS__TICKET_STATUS_OPEN)
        return;
    for (size_t i = 0; i < c->n_clocks; i++)
        s_stop (x, c->clocks [i], at);
    S_SET (c, status, KF__TICKET_STATUS__TICKET_STATUS_OPEN);
    S_SET (c, reopen_count, r->reopen_count ? r->reopen_count : c->reopen_count + 1);
    S_SET (c, round, c->round + 1);
    //  Only the reopening that follows an unsatisfied visit is a rectification.
    if (!kf_reopened_after_visit (r))
        S_SET (c, rectification_at_ms, 0);
    c->n_paused_orders = 0;
    s_complaint_state (x, '0');
    s_history (x, at, "reopened (%u): %s", c->reopen_count, r->reason ? r->reason : "");
    s_start_round (x, at);
    if (c->reopen_count >= x->self->reopens_to_supervisor && c->level < 2) {
        char reason [48];
        snprintf (reason, sizeof reason, "reopened %u times", c->reopen_count);
        s_raise (x, 2, KF__SLA_TARGET__SLA_TARGET_UNSPECIFIED, reason, at);
    }
}

//  An emergency nobody can take (nobody of the department on shift or on
//  call) goes to the supervisor and the deputy GM at once: DESIGN.md §5.
static void
s_on_queued (s_ctx_t *x, const Kf__OrderQueued *q, int64_t at)
{
    Kf__SlaCase *c = x->c;
    if (c->priority != KF__PRIORITY__PRIORITY_EMERGENCY || c->status != KF__TICKET_STATUS__TICKET_STATUS_OPEN
    ||  c->level >= 3)
        return;
    char reason [200];
    snprintf (reason, sizeof reason, "emergency with nobody to take it (%s)", q->reason ? q->reason : "queued");
    s_history (x, at, "%s: supervisor and deputy GM at once", reason);
    if (c->level < 2)
        s_raise (x, 2, KF__SLA_TARGET__SLA_TARGET_UNSPECIFIED, reason, at);
    s_raise (x, 3, KF__SLA_TARGET__SLA_TARGET_UNSPECIFIED, reason, at);
}

static void
s_on_unsatisfied (s_ctx_t *x, int64_t at)
{
    Kf__SlaCase *c = x->c;
    S_SET (c, rectification_at_ms, at);
    s_history (x, at, "unsatisfied return visit: rectification due by the rectification policy");
    if (c->status == KF__TICKET_STATUS__TICKET_STATUS_OPEN)
        s_retarget (x, at);
}

static void
s_apply (s_ctx_t *x, const Kf__Envelope *event, int64_t at)
{
    Kf__SlaCase *c = x->c;
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_TICKET_CLOSED:
            if (c->status == KF__TICKET_STATUS__TICKET_STATUS_OPEN)
                s_on_closed (x, at);
            break;
        case KF__ENVELOPE__BODY_TICKET_CANCELLED:
            if (c->status != KF__TICKET_STATUS__TICKET_STATUS_CANCELLED)
                s_on_cancelled (x, at);
            break;
        case KF__ENVELOPE__BODY_TICKET_REOPENED:
            s_on_reopened (x, event->ticket_reopened, at);
            break;
        case KF__ENVELOPE__BODY_ORDER_CREATED:
            c->handler = NULL;   //  a new order (a transfer, a rectification): nobody holds it yet
            s_handled_by (x, event->order_created->department, at);
            break;
        case KF__ENVELOPE__BODY_ORDER_QUEUED:
            c->handler = NULL;
            s_on_queued (x, event->order_queued, at);
            break;
        case KF__ENVELOPE__BODY_ORDER_ASSIGNED:
            c->handler = event->order_assigned->staff_id;
            if (event->order_assigned->department)
                s_handled_by (x, event->order_assigned->department, at);
            break;
        case KF__ENVELOPE__BODY_ORDER_ACCEPTED:
            s_meet (x, s_clock (c, S_FIRST_RESPONSE), at);
            break;
        case KF__ENVELOPE__BODY_ORDER_STARTED:
            s_meet (x, s_clock (c, S_FIRST_RESPONSE), at);
            s_meet (x, s_clock (c, S_ON_SITE), at);
            break;
        case KF__ENVELOPE__BODY_ORDER_PAUSED:
            s_on_paused (x, event->order_paused, at);
            break;
        case KF__ENVELOPE__BODY_ORDER_RESUMED:
            s_on_order_gone (x, event->order_resumed->order_no, at, "resumed");
            break;
        case KF__ENVELOPE__BODY_ORDER_COMPLETED:
            for (int t = 0; t < S_TARGETS; t++)
                s_meet (x, s_clock (c, t), at);
            break;
        case KF__ENVELOPE__BODY_ORDER_TRANSFERRED: {
            char name [48];
            kf_enum_short_name (&kf__department__descriptor, event->order_transferred->to_department, name, sizeof name);
            s_history (x, at, "transferred to %s", name);
            c->handler = NULL;
            s_handled_by (x, event->order_transferred->to_department, at);
            break;
        }
        case KF__ENVELOPE__BODY_ORDER_CANCELLED:
            s_on_order_gone (x, event->order_cancelled->order_no, at, "cancelled");
            break;
        case KF__ENVELOPE__BODY_VISIT_UNSATISFIED:
            s_on_unsatisfied (x, at);
            break;
        default:
            break;
    }
}

static int
s_on_filed (s_ctx_t *x, const Kf__Envelope *event, int64_t at)
{
    const Kf__TicketFiled *f = event->ticket_filed;
    if (s_case_get (x->self, x->txn, f->ticket_no, x->arena))
        return 0;   //  filed once; a second filing under the same number is not ours to judge
    if (!kf_txn_ok (x->txn))
        return -1;
    Kf__SlaCase *c = (Kf__SlaCase *) kf_arena_message (x->arena, &kf__sla_case__descriptor);
    if (!c)
        return kf_txn_fail (x->txn, "out of memory");
    x->c = c;
    c->ticket_no = f->ticket_no;
    c->estate = event->estate;
    S_SET (c, type, f->type);
    S_SET (c, category, f->category);
    S_SET (c, channel, f->channel);
    S_SET (c, priority, f->priority);
    c->hazards = f->hazards;
    c->n_hazards = f->n_hazards;
    c->filed_by = f->filed_by;
    S_SET (c, status, KF__TICKET_STATUS__TICKET_STATUS_OPEN);
    S_SET (c, round, 1);
    S_SET (c, filed_at_ms, at);
    s_start_round (x, at);
    s_complaint_state (x, '0');
    s_index (x);
    s_case_put (x);
    return kf_txn_ok (x->txn) ? 0 : -1;
}

static int64_t
s_event_time (const Kf__Envelope *event, int64_t now_ms)
{
    return event->has_occurred_at_ms && event->occurred_at_ms > 0 ? event->occurred_at_ms : now_ms;
}

int
escalation_apply_event (escalation_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    assert (self && txn && event);
    s_tables (self, txn);
    kf_arena_reset (self->scratch);
    s_ctx_t x = { .self = self, .txn = txn, .now_ms = now_ms, .causation = event->event_id, .arena = self->scratch };
    int64_t at = s_event_time (event, now_ms);
    const ProtobufCMessage *body = kf_event_body (event);
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_TICKET_FILED:
        case KF__ENVELOPE__BODY_TICKET_CLOSED:
        case KF__ENVELOPE__BODY_TICKET_CANCELLED:
        case KF__ENVELOPE__BODY_TICKET_REOPENED:
        case KF__ENVELOPE__BODY_ORDER_CREATED:
        case KF__ENVELOPE__BODY_ORDER_QUEUED:
        case KF__ENVELOPE__BODY_ORDER_ASSIGNED:
        case KF__ENVELOPE__BODY_ORDER_ACCEPTED:
        case KF__ENVELOPE__BODY_ORDER_STARTED:
        case KF__ENVELOPE__BODY_ORDER_PAUSED:
        case KF__ENVELOPE__BODY_ORDER_RESUMED:
        case KF__ENVELOPE__BODY_ORDER_COMPLETED:
        case KF__ENVELOPE__BODY_ORDER_TRANSFERRED:
        case KF__ENVELOPE__BODY_ORDER_CANCELLED:
        case KF__ENVELOPE__BODY_VISIT_UNSATISFIED:
        case KF__ENVELOPE__BODY_STAFF_CHANGED:
            break;
        default:
            return 0;
    }
    if (event->body_case == KF__ENVELOPE__BODY_STAFF_CHANGED)
        return s_on_staff (self, txn, event);
    const char *ticket_no = body ? kf_summary_string (body, "ticket_no") : NULL;
    if (!ticket_no || !*ticket_no || !(x.estate = s_estate (self, event->estate)))
        return 0;   //  not a case of an estate this configuration knows
    if (event->body_case == KF__ENVELOPE__BODY_TICKET_FILED)
        return s_on_filed (&x, event, at);
    x.c = s_case_get (self, txn, ticket_no, x.arena);
    if (!x.c) {
        if (kf_txn_ok (txn))
            kf_debug ("%s for %s, a case filed before this store began: no clocks", "event", ticket_no);
        return kf_txn_ok (txn) ? 0 : -1;
    }
    s_unindex (&x);
    s_apply (&x, event, at);
    s_settle (&x);
    s_index (&x);
    s_case_put (&x);
    return kf_txn_ok (txn) ? 0 : -1;
}

//  ---- timers ---------------------------------------------------------------------------------

int64_t
escalation_next_due (escalation_t *self, kf_txn_t *txn)
{
    assert (self && txn);
    s_tables (self, txn);
    kf_cursor_t *cursor = kf_cursor_open (txn, self->timers);
    kf_val_t k, v;
    int64_t at = INT64_MAX;
    char id [S_TIMER_ID];
    if (cursor && kf_cursor_first (cursor, &k, &v) == KF_FOUND
    &&  kf_key_scan (k.data, k.size, "t|s", &at, id, sizeof id))
        at = INT64_MAX;
    kf_cursor_close (&cursor);
    return at;
}

uint64_t
escalation_timer_count (escalation_t *self, kf_txn_t *txn)
{
    assert (self && txn);
    s_tables (self, txn);
    return kf_txn_count (txn, self->timers);
}

//  One timer, already taken out of the table: the case it names decides
//  what it means now (a timer the case no longer holds is stale: nothing).
static void
s_fire (escalation_t *self, kf_txn_t *txn, int64_t now_ms, int64_t at_ms, const char *id)
{
    kf_arena_reset (self->scratch);
    const char *slash = strrchr (id, '/');
    char ticket_no [S_TIMER_ID];
    if (!slash || slash == id || (size_t) (slash - id) >= sizeof ticket_no) {
        kf_warning ("timer '%s' names no case: dropped", id);
        return;
    }
    snprintf (ticket_no, sizeof ticket_no, "%.*s", (int) (slash - id), id);
    s_ctx_t x = { .self = self, .txn = txn, .now_ms = now_ms, .at_ms = at_ms, .arena = self->scratch };
    x.c = s_case_get (self, txn, ticket_no, x.arena);
    if (!x.c || !(x.estate = s_estate (self, x.c->estate)))
        return;
    s_unindex (&x);
    if (strcmp (slash + 1, "chain") == 0) {
        if (x.c->next_level_at_ms == at_ms)
            s_chain_due (&x, at_ms);
    }
    else
        for (size_t i = 0; i < x.c->n_clocks; i++) {
            Kf__SlaClock *k = x.c->clocks [i];
            if (strcmp (slash + 1, s_target_name (k->target)) == 0 && k->timer_at_ms == at_ms)
                s_clock_due (&x, k);
        }
    s_settle (&x);
    s_index (&x);
    s_case_put (&x);
}

int
escalation_fire_due (escalation_t *self, kf_txn_t *txn, int64_t now_ms, size_t max)
{
    assert (self && txn);
    s_tables (self, txn);
    kf_cursor_t *cursor = kf_cursor_open (txn, self->timers);
    if (!cursor)
        return -1;
    size_t fired = 0;
    kf_val_t k, v;
    while (fired < max && kf_txn_ok (txn) && kf_cursor_first (cursor, &k, &v) == KF_FOUND) {
        int64_t at;
        char id [S_TIMER_ID];
        if (kf_key_scan (k.data, k.size, "t|s", &at, id, sizeof id)) {
            kf_warning ("a timer key does not parse: dropped");
            kf_cursor_del (cursor);
            continue;
        }
        if (at > now_ms)
            break;
        kf_cursor_del (cursor);
        s_fire (self, txn, now_ms, at, id);
        fired++;
    }
    kf_cursor_close (&cursor);
    return kf_txn_ok (txn) ? (int) fired : -1;
}

//  ---- requests ---------------------------------------------------------------------------------

#define S_BAD(...) kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, arena, __VA_ARGS__)
#define S_NOT_FOUND(...) kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, __VA_ARGS__)

static int
s_show (escalation_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
        kf_arena_t *arena)
{
    const char *ticket_no = request->show_sla->ticket_no;
    if (!ticket_no || !*ticket_no)
        return S_BAD ("ticket_no is required");
    Kf__SlaCase *c = s_case_get (self, txn, ticket_no, arena);
    if (!kf_txn_ok (txn))
        return -1;
    if (!c || !c->estate || !kf_request_sees (request, c->estate))
        return S_NOT_FOUND ("no SLA clocks for ticket %s", ticket_no);
    const s_estate_t *e = s_estate (self, c->estate);
    for (size_t i = 0; e && i < c->n_clocks; i++)
        S_SET (c->clocks [i], used_now_ms, s_used_at (e, c->clocks [i], now_ms));
    reply->result_case = KF__REPLY__RESULT_SLA_CASE;
    reply->sla_case = c;
    return 0;
}

//  The estates a request may see: the one it names (within its scope), or
//  every estate of its scope. 0, or -1 when it names one it cannot see.
static int
s_estates_of (const escalation_t *self, const Kf__Request *request, const char *estate, const s_estate_t **list,
              size_t *n)
{
    *n = 0;
    if (estate && *estate) {
        const s_estate_t *e = s_estate (self, estate);
        if (!e || !kf_request_sees (request, estate))
            return -1;
        list [(*n)++] = e;
        return 0;
    }
    for (size_t i = 0; i < self->estate_count; i++)
        if (kf_request_sees (request, self->estates [i].estate->id))
            list [(*n)++] = &self->estates [i];
    return 0;
}

typedef struct {
    escalation_t *self;
    int64_t now_ms;
    bool all;
    Kf__SlaRisk **risks;
    size_t count, size;
    size_t scanned;
    kf_arena_t *arena;
} s_board_t;

static int
s_board_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) value;
    s_board_t *b = arg;
    char estate [S_ID_SIZE], clock_id [S_TIMER_ID];
    int64_t deadline;
    if (++b->scanned > S_BOARD_SCAN || b->count == b->size)
        return 1;
    if (kf_key_scan (key.data, key.size, "s|t|s", estate, sizeof estate, &deadline, clock_id, sizeof clock_id))
        return kf_txn_fail (txn, "a board key does not parse");
    char *slash = strrchr (clock_id, '/');
    if (!slash)
        return 0;
    *slash = 0;
    Kf__SlaCase *c = s_case_get (b->self, txn, clock_id, b->arena);
    if (!c)
        return kf_txn_ok (txn) ? 0 : -1;
    for (size_t i = 0; i < c->n_clocks; i++) {
        const Kf__SlaClock *k = c->clocks [i];
        if (strcmp (s_target_name (k->target), slash + 1) != 0 || !s_on_board (k) || (!b->all && !k->warned))
            continue;
        Kf__SlaRisk *r = (Kf__SlaRisk *) kf_arena_message (b->arena, &kf__sla_risk__descriptor);
        if (!r)
            return kf_txn_fail (txn, "out of memory");
        r->ticket_no = c->ticket_no;
        r->estate = c->estate;
        S_SET (r, target, k->target);
        S_SET (r, deadline_ms, k->deadline_ms);
        S_SET (r, remaining_ms, k->deadline_ms - b->now_ms);
        S_SET (r, level, c->level);
        S_SET (r, department, c->department);
        S_SET (r, category, c->category);
        r->handler = c->handler;
        r->policy = k->policy;
        b->risks [b->count++] = r;
    }
    return 0;
}

static int
s_by_deadline (const void *a, const void *b)
{
    const Kf__SlaRisk *x = *(Kf__SlaRisk *const *) a, *y = *(Kf__SlaRisk *const *) b;
    if (x->deadline_ms != y->deadline_ms)
        return x->deadline_ms < y->deadline_ms ? -1 : 1;
    return strcmp (x->ticket_no, y->ticket_no);
}

//  Open targets soonest due first: those past the warning threshold (or
//  every running one), across the estates the caller may see.
static int
s_board (escalation_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
         kf_arena_t *arena)
{
    const Kf__GetSlaBoard *q = request->sla_board;
    const s_estate_t **estates = kf_arena_alloc (arena, (self->estate_count + 1) * sizeof *estates);
    size_t n;
    if (!estates)
        return kf_txn_fail (txn, "out of memory");
    if (s_estates_of (self, request, q->estate, estates, &n))
        return S_NOT_FOUND ("unknown estate '%s'", q->estate);
    size_t limit = q->limit ? q->limit : ESCALATION_BOARD_DEFAULT;
    if (limit > ESCALATION_BOARD_MAX)
        limit = ESCALATION_BOARD_MAX;
    s_board_t b = { .self = self, .now_ms = now_ms, .all = q->all, .size = limit * n, .arena = arena };
    b.risks = kf_arena_alloc (arena, (b.size + 1) * sizeof *b.risks);
    Kf__SlaBoard *board = (Kf__SlaBoard *) kf_arena_message (arena, &kf__sla_board__descriptor);
    if (!b.risks || !board)
        return kf_txn_fail (txn, "out of memory");
    //  Each estate's first `limit` rows hold the group's first `limit`.
    for (size_t i = 0; i < n; i++) {
        kf_key_t prefix;
        size_t before = b.count;
        b.scanned = 0;
        b.size = before + limit;
        kf_key_make (&prefix, "s|", estates [i]->estate->id);
        if (kf_txn_scan (txn, self->board, &prefix, s_board_row, &b) < 0)
            return -1;
    }
    qsort (b.risks, b.count, sizeof *b.risks, s_by_deadline);
    board->risks = b.risks;
    board->n_risks = b.count < limit ? b.count : limit;
    reply->result_case = KF__REPLY__RESULT_SLA_BOARD;
    reply->sla_board = board;
    return 0;
}

//  ---- the on-time report ------------------------------------------------------------------

typedef struct {
    int64_t from_ms, to_ms;
    const char *group_by;
    size_t estate_index;
    uint64_t total [S_CATEGORIES], on_time [S_CATEGORIES];   //  by department or category
    uint64_t *estate_total, *estate_on_time;
    uint64_t complaints, handled;
} s_report_t;

//  Every key of `table` under prefix `estate|` from time `from` (inclusive)
//  to `to` (exclusive), in order: fn (key, value, arg), which returns -1
//  for a record that does not decode (the report fails; it never skips
//  one).
static int
s_range (kf_txn_t *txn, kf_table_t table, const char *estate, int64_t from, int64_t to,
         int (*fn) (kf_val_t key, kf_val_t value, void *arg), void *arg)
{
    kf_key_t start, prefix;
    kf_key_make (&prefix, "s|", estate);
    kf_key_make (&start, "s|t", estate, from);
    kf_cursor_t *cursor = kf_cursor_open (txn, table);
    if (!cursor)
        return -1;
    kf_val_t k, v;
    char id [S_ID_SIZE];
    int64_t at;
    int rc = kf_cursor_seek (cursor, &start, &k, &v);
    while (rc == KF_FOUND && kf_key_has_prefix (k, &prefix)) {
        //  The time follows the estate and its '|'.
        if (k.size < prefix.size + 8 || kf_key_scan (k.data, prefix.size + 8, "s|t", id, sizeof id, &at) || at >= to)
            break;
        if (fn (k, v, arg)) {
            kf_cursor_close (&cursor);
            return kf_txn_fail (txn, "a record of estate %s's report does not decode", estate);
        }
        rc = kf_cursor_next (cursor, &k, &v);
    }
    kf_cursor_close (&cursor);
    return rc < 0 ? -1 : 0;
}

static int
s_count_outcome (kf_val_t key, kf_val_t value, void *arg)
{
    (void) key;
    s_report_t *r = arg;
    Kf__SlaMet *m = (Kf__SlaMet *) kf_codec_unpack (&kf__sla_met__descriptor, value.data, value.size, NULL);
    if (!m)
        return -1;
    int slot = strcmp (r->group_by, "category") == 0 ? (int) m->category : (int) m->department;
    if (strcmp (r->group_by, "estate") == 0) {
        r->estate_total [r->estate_index]++;
        r->estate_on_time [r->estate_index] += m->on_time;
    }
    else
    if (slot >= 0 && slot < S_CATEGORIES) {
        r->total [slot]++;
        r->on_time [slot] += m->on_time;
    }
    kf_codec_free ((ProtobufCMessage **) &m);
    return 0;
}

static int
s_count_complaint (kf_val_t key, kf_val_t value, void *arg)
{
    (void) key;
    s_report_t *r = arg;
    if (value.size != 1)
        return -1;
    r->complaints++;
    r->handled += *(const char *) value.data == '1';
    return 0;
}

static int
s_report_row (Kf__SlaReport *report, kf_arena_t *arena, const char *key, uint64_t total, uint64_t on_time)
{
    if (total == 0)
        return 0;
    Kf__SlaReportRow *row = (Kf__SlaReportRow *) kf_arena_message (arena, &kf__sla_report_row__descriptor);
    if (!row || !(row->key = kf_arena_strdup (arena, key)))
        return -1;
    S_SET (row, total, total);
    S_SET (row, on_time, on_time);
    S_SET (row, on_time_permille, kf_permille (on_time, total));
    report->rows [report->n_rows++] = row;
    return 0;
}

static int
s_report (escalation_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
          kf_arena_t *arena)
{
    const Kf__ReportSla *q = request->report_sla;
    s_report_t r = {
        .from_ms = q->period && q->period->has_from_ms ? q->period->from_ms : INT64_MIN,
        .to_ms = q->period && q->period->has_to_ms ? q->period->to_ms : now_ms,
        .group_by = q->group_by && *q->group_by ? q->group_by : "estate",
    };
    if (strcmp (r.group_by, "estate") && strcmp (r.group_by, "department") && strcmp (r.group_by, "category"))
        return S_BAD ("group_by is estate, department or category, not '%s'", r.group_by);
    if (r.to_ms <= r.from_ms)
        return S_BAD ("the period ends before it begins");
    const s_estate_t **estates = kf_arena_alloc (arena, (self->estate_count + 1) * sizeof *estates);
    r.estate_total = kf_arena_alloc (arena, (self->estate_count + 1) * sizeof *r.estate_total);
    r.estate_on_time = kf_arena_alloc (arena, (self->estate_count + 1) * sizeof *r.estate_on_time);
    Kf__SlaReport *report = (Kf__SlaReport *) kf_arena_message (arena, &kf__sla_report__descriptor);
    Kf__TimeRange *period = (Kf__TimeRange *) kf_arena_message (arena, &kf__time_range__descriptor);
    if (!estates || !r.estate_total || !r.estate_on_time || !report || !period)
        return kf_txn_fail (txn, "out of memory");
    size_t n;
    if (s_estates_of (self, request, q->estate, estates, &n))
        return S_NOT_FOUND ("unknown estate '%s'", q->estate);
    s_tables (self, txn);
    for (size_t i = 0; i < n; i++) {
        r.estate_index = i;
        r.estate_total [i] = r.estate_on_time [i] = 0;
        if (s_range (txn, self->outcomes, estates [i]->estate->id, r.from_ms, r.to_ms, s_count_outcome, &r)
        ||  s_range (txn, self->complaints, estates [i]->estate->id, r.from_ms, r.to_ms, s_count_complaint, &r))
            return kf_txn_ok (txn) ? kf_txn_fail (txn, "cannot read the outcomes") : -1;
    }
    report->rows = kf_arena_alloc (arena, (n + S_CATEGORIES) * sizeof *report->rows);
    if (!report->rows)
        return kf_txn_fail (txn, "out of memory");
    int rc = 0;
    if (strcmp (r.group_by, "estate") == 0)
        for (size_t i = 0; i < n; i++)
            rc |= s_report_row (report, arena, estates [i]->estate->id, r.estate_total [i], r.estate_on_time [i]);
    else {
        const ProtobufCEnumDescriptor *d = strcmp (r.group_by, "category") == 0 ? &kf__category__descriptor
                                                                                 : &kf__department__descriptor;
        for (int slot = 0; slot < S_CATEGORIES; slot++) {
            char name [48];
            if (r.total [slot])
                rc |= s_report_row (report, arena, slot ? kf_enum_short_name (d, slot, name, sizeof name) : "none",
                                    r.total [slot], r.on_time [slot]);
        }
    }
    if (rc)
        return kf_txn_fail (txn, "out of memory");
    if (q->period && q->period->has_from_ms)
        S_SET (period, from_ms, r.from_ms);
    S_SET (period, to_ms, r.to_ms);
    report->period = period;
    report->group_by = (char *) r.group_by;
    S_SET (report, valid_complaints, r.complaints);
    S_SET (report, valid_complaints_handled, r.handled);
    S_SET (report, complaint_handling_permille, r.complaints ? kf_permille (r.handled, r.complaints) : 1000);
    reply->result_case = KF__REPLY__RESULT_SLA_REPORT;
    reply->sla_report = report;
    return 0;
}

int
escalation_handle_request (escalation_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                           Kf__Reply *reply, kf_arena_t *arena)
{
    assert (self && txn && request && reply && arena);
    s_tables (self, txn);
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_SHOW_SLA:
            return s_show (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_SLA_BOARD:
            return s_board (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_REPORT_SLA:
            return s_report (self, txn, now_ms, request, reply, arena);
        default:
            return S_BAD ("kefu-escalation does not answer this command");
    }
}
