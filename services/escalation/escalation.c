/*  escalation — SLA clocks and the chain over a store transaction: set-up,
    a case's history and the events it publishes, timers, requests. See
    escalation.h; the other parts are named in escalation_private.h.
*/
#include "escalation_private.h"

const char *const escalation_target_keys [S_TARGETS] = { "first_response", "on_site", "resolution" };
const char *const escalation_policy_names [S_POLICIES] = {
    "emergency", "rectification", "hotline", "renovation", "complaint", "repair", "default"
};

//  ---- set-up -----------------------------------------------------------------------

escalation_t *
escalation_new (kf_config_t *config, kf_err_t *err)
{
    assert (config);
    escalation_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->estates = kf_domain_init (&self->base, config, sizeof *self->estates, err);
    if (!self->estates) {
        escalation_destroy (&self);
        return NULL;
    }
    size_t estates = self->base.estate_count;
    self->warning_percent = (int) kf_config_int (config, "sla/warning_percent");
    const char *cutoff = kf_config_str (config, "sla/same_day_cutoff");
    if (kf_hhmm_parse (&cutoff, &self->cutoff_minute))
        assert (false);   //  the configuration checked it
    self->level_after_ms [1] = kf_config_duration_ms (config, "escalation/supervisor_after");
    self->level_after_ms [2] = kf_config_duration_ms (config, "escalation/deputy_gm_after");
    self->reopens_to_supervisor = (uint32_t) kf_config_int (config, "escalation/reopens_to_supervisor");
    for (size_t i = 0; i < estates; i++) {
        escalation_estate_t *e = &self->estates [i];
        e->estate = kf_config_estate (config, i);
        for (int p = 0; p < S_POLICIES; p++)
            if (escalation_build_policy (&e->policies [p], p, config, e->estate->id, err)) {
                escalation_destroy (&self);
                return NULL;
            }
        if (escalation_chain_people (config, e, err)) {
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
        kf_domain_fini (&self->base);
        free (self);
        *self_p = NULL;
    }
}

void
escalation_set_outbox (escalation_t *self, kf_outbox_t *outbox)
{
    assert (self && outbox);
    self->base.outbox = outbox;
}

const escalation_estate_t *
escalation_estate (const escalation_t *self, const char *id)
{
    return kf_domain_estate (&self->base, id);
}

void
escalation_tables (escalation_t *self, kf_txn_t *txn)
{
    static const char *const names [] = { ESCALATION_OWN_TABLES, NULL };
    kf_table_t *const tables [] = { &self->cases, &self->timers, &self->board, &self->outcomes, &self->complaints,
                                    &self->staff, &self->tallies };
    kf_domain_tables (&self->base, txn, names, tables);
}

//  ---- history and events -----------------------------------------------------------------

void
escalation_history (escalation_ctx_t *x, int64_t at_ms, const char *format, ...)
{
    Kf__SlaCase *c = x->c;
    Kf__SlaHistoryEntry *entry = (Kf__SlaHistoryEntry *) kf_arena_message (x->arena,
                                                                           &kf__sla_history_entry__descriptor);
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
    KF_SET (entry, at_ms, at_ms);
    if (keep)
        memcpy (grown, c->history + (c->n_history - keep), keep * sizeof *grown);
    grown [keep] = entry;
    c->history = grown;
    c->n_history = keep + 1;
}

const char *
escalation_local (const escalation_ctx_t *x, int64_t utc_ms, char *buf, size_t size)
{
    return kf_local_format (utc_ms, x->estate->estate->utc_offset_min, buf, size);
}

int
escalation_emit (escalation_ctx_t *x, Kf__Envelope *event, const char *causation)
{
    return kf_emit (x->self->base.outbox, x->txn, x->now_ms, x->c->estate, event, causation);
}

Kf__SlaMet
escalation_met_record (const escalation_ctx_t *x, const Kf__SlaClock *k, int64_t met_at_ms, bool on_time)
{
    const Kf__SlaCase *c = x->c;
    Kf__SlaMet m = KF__SLA_MET__INIT;
    m.ticket_no = c->ticket_no;
    m.deadline = c->deadline;
    m.clock_id = k->clock_id;
    KF_SET (&m, target, k->target);
    m.policy = k->policy;
    KF_SET (&m, deadline_ms, k->deadline_ms);
    KF_SET (&m, met_at_ms, met_at_ms);
    KF_SET (&m, on_time, on_time);
    KF_SET (&m, department, c->department);
    KF_SET (&m, category, c->category);
    KF_SET (&m, type, c->type);
    return m;
}

//  The target's outcome for the reports, under its deadline: on time or
//  late. A later outcome of the same target replaces an earlier one.
//  The outcome under `deadline_ms`, if any, goes, and leaves the tallies.
static void
s_outcome_del (escalation_ctx_t *x, const Kf__SlaClock *k, int64_t deadline_ms)
{
    const Kf__SlaCase *c = x->c;
    kf_key_t key;
    ProtobufCMessage *was = NULL;
    if (kf_key_make (&key, "s|t|s|u|u", c->estate, deadline_ms, c->ticket_no, k->target, c->round)
    ||  kf_txn_get_msg (x->txn, x->self->outcomes, &key, &kf__sla_met__descriptor, &was) != KF_FOUND)
        return;
    escalation_tally_outcome (x->self, x->txn, c->estate, deadline_ms, (const Kf__SlaMet *) was, -1);
    kf_codec_free (&was);
    kf_txn_del (x->txn, x->self->outcomes, &key);
}

void
escalation_outcome (escalation_ctx_t *x, Kf__SlaClock *k, const Kf__SlaMet *m)
{
    const Kf__SlaCase *c = x->c;
    kf_key_t key;
    if (!c->ticket_no)
        return;   //  a deadline's: not a case of the on-time rate (escalation.md)
    if (k->outcome_deadline_ms && k->outcome_deadline_ms != k->deadline_ms)
        s_outcome_del (x, k, k->outcome_deadline_ms);
    s_outcome_del (x, k, k->deadline_ms);   //  a later outcome replaces an earlier one
    if (kf_key_make (&key, "s|t|s|u|u", c->estate, k->deadline_ms, c->ticket_no, k->target, c->round) == 0) {
        kf_txn_put_msg (x->txn, x->self->outcomes, &key, &m->base);
        escalation_tally_outcome (x->self, x->txn, c->estate, k->deadline_ms, m, 1);
    }
    KF_SET (k, outcome_deadline_ms, k->deadline_ms);
}

void
escalation_outcome_drop (escalation_ctx_t *x, Kf__SlaClock *k)
{
    if (k->outcome_deadline_ms && x->c->ticket_no)
        s_outcome_del (x, k, k->outcome_deadline_ms);
    KF_SET (k, outcome_deadline_ms, 0);
}

void
escalation_complaint_state (escalation_ctx_t *x, char state)
{
    const Kf__SlaCase *c = x->c;
    kf_key_t key;
    if (c->type != KF__TICKET_TYPE__TICKET_TYPE_COMPLAINT
    ||  kf_key_make (&key, "s|t|s", c->estate, c->filed_at_ms, c->ticket_no))
        return;
    kf_val_t was;
    if (kf_txn_get (x->txn, x->self->complaints, &key, &was) == KF_FOUND && was.size == 1)
        escalation_tally_complaint (x->self, x->txn, c->estate, c->filed_at_ms, *(const char *) was.data, -1);
    if (state) {
        kf_txn_put (x->txn, x->self->complaints, &key, &state, 1);
        escalation_tally_complaint (x->self, x->txn, c->estate, c->filed_at_ms, state, 1);
    }
    else
        kf_txn_del (x->txn, x->self->complaints, &key);
}

//  ---- timers ---------------------------------------------------------------------------------

int64_t
escalation_next_due (escalation_t *self, kf_txn_t *txn)
{
    assert (self && txn);
    escalation_tables (self, txn);
    return kf_timers_next (txn, self->timers);
}

uint64_t
escalation_timer_count (escalation_t *self, kf_txn_t *txn)
{
    assert (self && txn);
    escalation_tables (self, txn);
    return kf_txn_count (txn, self->timers);
}

//  One timer, already taken out of the table: the case it names decides
//  what it means now (a timer the case no longer holds is stale: nothing).
typedef struct {
    escalation_t *self;
    int64_t now_ms;
} s_fire_t;

static int
s_fire (kf_txn_t *txn, int64_t at_ms, const char *id, void *arg)
{
    s_fire_t *f = arg;
    escalation_t *self = f->self;
    kf_arena_reset (self->base.scratch);
    const char *slash = strrchr (id, '/');
    char case_id [S_TIMER_ID];
    if (!slash || slash == id || (size_t) (slash - id) >= sizeof case_id) {
        kf_warning ("timer '%s' names no case: dropped", id);
        return 1;
    }
    snprintf (case_id, sizeof case_id, "%.*s", (int) (slash - id), id);
    escalation_ctx_t x = { .self = self, .txn = txn, .now_ms = f->now_ms, .at_ms = at_ms, .arena = self->base.scratch };
    x.c = escalation_case_get (self, txn, case_id, x.arena);
    if (!x.c || !(x.estate = escalation_estate (self, x.c->estate)))
        return 1;
    escalation_unindex (&x);
    if (strcmp (slash + 1, "chain") == 0) {
        if (x.c->next_level_at_ms == at_ms)
            escalation_chain_due (&x, at_ms);
    }
    else
        for (size_t i = 0; i < x.c->n_clocks; i++) {
            Kf__SlaClock *k = x.c->clocks [i];
            if (strcmp (slash + 1, escalation_target_name (k->target)) == 0 && k->timer_at_ms == at_ms)
                escalation_clock_due (&x, k);
        }
    escalation_settle (&x);
    escalation_index (&x);
    escalation_case_put (&x);
    return 1;
}

int
escalation_fire_due (escalation_t *self, kf_txn_t *txn, int64_t now_ms, size_t max)
{
    assert (self && txn);
    escalation_tables (self, txn);
    s_fire_t fire = { self, now_ms };
    return kf_timers_fire (txn, self->timers, now_ms, max, s_fire, &fire);
}

//  ---- requests ---------------------------------------------------------------------------------


int
escalation_show (escalation_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                 kf_arena_t *arena)
{
    const Kf__ShowSla *q = request->show_sla;
    const char *ticket_no = q->ticket_no;
    char case_id [S_TIMER_ID];
    if (q->subject && *q->subject) {
        //  A deadline's case, by its estate and subject.
        if (ticket_no || !q->estate || !*q->estate)
            return KF_BAD ("a deadline's subject goes with its estate, and without a ticket_no");
        if (snprintf (case_id, sizeof case_id, "%s:%s", q->estate, q->subject) >= (int) sizeof case_id)
            return KF_BAD ("subject '%.40s…' is too long", q->subject);
    }
    else
    if (!ticket_no || !*ticket_no)
        return KF_BAD ("ticket_no is required");
    Kf__SlaCase *c = escalation_case_get (self, txn, q->subject && *q->subject ? case_id : ticket_no, arena);
    if (!kf_txn_ok (txn))
        return -1;
    if (!c || !c->estate || !kf_request_sees (request, c->estate))
        return ticket_no ? KF_NOT_FOUND ("no SLA clocks for ticket %s", ticket_no)
                         : KF_NOT_FOUND ("no deadline %s in %s", q->subject, q->estate);
    const escalation_estate_t *e = escalation_estate (self, c->estate);
    for (size_t i = 0; e && i < c->n_clocks; i++)
        KF_SET (c->clocks [i], used_now_ms, escalation_used_at (e, c->clocks [i], now_ms));
    reply->result_case = KF__REPLY__RESULT_SLA_CASE;
    reply->sla_case = c;
    return 0;
}

//  The estates a request may see: the one it names (within its scope), or
//  every estate of its scope. 0, or -1 when it names one it cannot see.
int
escalation_estates_of (const escalation_t *self, const Kf__Request *request, const char *estate,
                       const escalation_estate_t **list,
                       size_t *n)
{
    *n = 0;
    if (estate && *estate) {
        const escalation_estate_t *e = escalation_estate (self, estate);
        if (!e || !kf_request_sees (request, estate))
            return -1;
        list [(*n)++] = e;
        return 0;
    }
    for (size_t i = 0; i < self->base.estate_count; i++)
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
    Kf__SlaCase *c = escalation_case_get (b->self, txn, clock_id, b->arena);
    if (!c)
        return kf_txn_ok (txn) ? 0 : -1;
    for (size_t i = 0; i < c->n_clocks; i++) {
        const Kf__SlaClock *k = c->clocks [i];
        if (strcmp (escalation_target_name (k->target),
                    slash + 1) != 0 || !escalation_on_board (k) || (!b->all && !k->warned))
            continue;
        Kf__SlaRisk *r = (Kf__SlaRisk *) kf_arena_message (b->arena, &kf__sla_risk__descriptor);
        if (!r)
            return kf_txn_fail (txn, "out of memory");
        r->ticket_no = c->ticket_no;
        r->deadline = c->deadline;
        r->estate = c->estate;
        KF_SET (r, target, k->target);
        KF_SET (r, deadline_ms, k->deadline_ms);
        KF_SET (r, remaining_ms, k->deadline_ms - b->now_ms);
        //  A case nobody escalated is with its handler: level 1.
        KF_SET (r, level, c->level ? c->level : KF__ESCALATION_LEVEL__ESCALATION_LEVEL_HANDLER);
        KF_SET (r, department, c->department);
        KF_SET (r, category, c->category);
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
    return strcmp (x->ticket_no ? x->ticket_no : x->deadline->subject, y->ticket_no ? y->ticket_no : y->deadline->subject);
}

//  Open targets soonest due first: those past the warning threshold (or
//  every running one), across the estates the caller may see.
int
escalation_board (escalation_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                  kf_arena_t *arena)
{
    const Kf__GetSlaBoard *q = request->sla_board;
    const escalation_estate_t **estates = kf_arena_alloc (arena, (self->base.estate_count + 1) * sizeof *estates);
    size_t n;
    if (!estates)
        return kf_txn_fail (txn, "out of memory");
    if (escalation_estates_of (self, request, q->estate, estates, &n))
        return KF_NOT_FOUND ("unknown estate '%s'", q->estate);
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
