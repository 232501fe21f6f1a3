/*  dispatch_round_reports — what the rounds show over a period: done on
    time per department and per person, findings per checkpoint, and one
    checkpoint's history. Read from the rounds themselves, one at a time
    (an estate has a few rounds a day per plan, and a period is at most
    DISPATCH_PERIOD_DAYS), keeping only what the reply shows. See
    dispatch_private.h.
*/
#include "dispatch_private.h"

#define S_PEOPLE_MAX       200
#define S_CHECKPOINTS_MAX  500
#define S_HISTORY_MAX      500

typedef struct {
    int64_t now_ms;
    kf_arena_t *arena;           //  the reply's: what is kept of the rounds walked
    Kf__RoundCount departments [S_DEPARTMENTS];
    Kf__RoundCount people [S_PEOPLE_MAX];
    size_t n_people;
    Kf__FindingCount checkpoints [S_CHECKPOINTS_MAX];
    size_t n_checkpoints;
    Kf__RoundCount total;
} s_report_t;

static void
s_count (Kf__RoundCount *c, const Kf__Round *round, int64_t now_ms)
{
    bool done = round->status == KF__ROUND_STATUS__ROUND_STATUS_DONE;
    if (!done && round->due_ms > now_ms)
        return;   //  still in its window: not yet due for the report
    KF_SET (c, due, c->due + 1);
    if (done && !round->late)
        KF_SET (c, done, c->done + 1);
    else
    if (done)
        KF_SET (c, late, c->late + 1);
    else
        KF_SET (c, missed, c->missed + 1);
    KF_SET (c, findings, c->findings + round->findings);
}

static int
s_report_row (kf_txn_t *txn, Kf__Round *round, void *arg)
{
    s_report_t *r = arg;
    s_count (&r->total, round, r->now_ms);
    if (round->department < S_DEPARTMENTS) {
        Kf__RoundCount *d = &r->departments [round->department];
        KF_SET (d, department, round->department);
        s_count (d, round, r->now_ms);
    }
    if (round->staff_id) {
        size_t i = 0;
        while (i < r->n_people && strcmp (r->people [i].staff_id, round->staff_id) != 0)
            i++;
        if (i == r->n_people && r->n_people < S_PEOPLE_MAX) {
            kf__round_count__init (&r->people [i]);
            r->people [i].staff_id = kf_arena_strdup (r->arena, round->staff_id);
            r->people [i].staff_name = round->staff_name ? kf_arena_strdup (r->arena, round->staff_name) : NULL;
            if (!r->people [i].staff_id)
                return kf_txn_fail (txn, "out of memory");
            r->n_people++;
        }
        if (i < r->n_people)
            s_count (&r->people [i], round, r->now_ms);
    }
    for (size_t v = 0; v < round->n_visits; v++) {
        const Kf__CheckpointVisit *visit = round->visits [v];
        if (!visit->recorded_at_ms)
            continue;
        size_t i = 0;
        while (i < r->n_checkpoints && (strcmp (r->checkpoints [i].plan_id, round->plan_id) != 0
                                        || strcmp (r->checkpoints [i].checkpoint, visit->checkpoint) != 0))
            i++;
        if (i == r->n_checkpoints && r->n_checkpoints < S_CHECKPOINTS_MAX) {
            kf__finding_count__init (&r->checkpoints [i]);
            r->checkpoints [i].plan_id = kf_arena_strdup (r->arena, round->plan_id);
            r->checkpoints [i].checkpoint = kf_arena_strdup (r->arena, visit->checkpoint);
            if (!r->checkpoints [i].plan_id || !r->checkpoints [i].checkpoint)
                return kf_txn_fail (txn, "out of memory");
            r->n_checkpoints++;
        }
        if (i < r->n_checkpoints) {
            KF_SET (&r->checkpoints [i], rounds, r->checkpoints [i].rounds + 1);
            KF_SET (&r->checkpoints [i], findings, r->checkpoints [i].findings + visit->findings);
        }
    }
    return 0;
}

static void
s_permille (Kf__RoundCount *c)
{
    if (c->due)
        KF_SET (c, on_time_permille, (uint32_t) ((c->done * 1000ULL + c->due / 2) / c->due));
}

static int
s_by_findings (const void *a, const void *b)
{
    const Kf__FindingCount *x = a, *y = b;
    return x->findings != y->findings ? (x->findings < y->findings ? 1 : -1) : strcmp (x->checkpoint, y->checkpoint);
}


int
dispatch_report_rounds (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                        Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ReportRounds *q = request->report_rounds;
    const kf_estate_t *estate = kf_request_estate (self->base.config, request, q->estate, reply, arena);
    if (!estate)
        return -1;
    int64_t from, to;
    if (dispatch_rounds_period (q->period, now_ms, 30 * KF_MS_PER_DAY, 0, &from, &to))
        return KF_BAD ("the period must begin before it ends, within %d days", DISPATCH_PERIOD_DAYS);
    s_report_t *r = kf_arena_alloc (arena, sizeof *r);
    Kf__RoundReport *report = (Kf__RoundReport *) kf_arena_message (arena, &kf__round_report__descriptor);
    Kf__TimeRange *range = (Kf__TimeRange *) kf_arena_message (arena, &kf__time_range__descriptor);
    if (!r || !report || !range)
        return kf_txn_fail (txn, "out of memory");
    r->now_ms = now_ms;
    r->arena = arena;
    kf__round_count__init (&r->total);
    for (int d = 0; d < S_DEPARTMENTS; d++)
        kf__round_count__init (&r->departments [d]);
    if (dispatch_rounds_walk (self, txn, estate->id, from, to, s_report_row, r))
        return -1;
    report->estate = (char *) estate->id;
    KF_SET (range, from_ms, from);
    KF_SET (range, to_ms, to);
    report->period = range;
    report->departments = kf_arena_alloc (arena, S_DEPARTMENTS * sizeof *report->departments);
    report->people = kf_arena_alloc (arena, (r->n_people + 1) * sizeof *report->people);
    report->checkpoints = kf_arena_alloc (arena, (r->n_checkpoints + 1) * sizeof *report->checkpoints);
    if (!report->departments || !report->people || !report->checkpoints)
        return kf_txn_fail (txn, "out of memory");
    for (int d = 1; d < S_DEPARTMENTS; d++)
        if (r->departments [d].has_due || r->departments [d].has_findings) {
            s_permille (&r->departments [d]);
            report->departments [report->n_departments++] = &r->departments [d];
        }
    for (size_t i = 0; i < r->n_people; i++) {
        s_permille (&r->people [i]);
        report->people [report->n_people++] = &r->people [i];
    }
    qsort (r->checkpoints, r->n_checkpoints, sizeof *r->checkpoints, s_by_findings);
    for (size_t i = 0; i < r->n_checkpoints; i++)
        report->checkpoints [report->n_checkpoints++] = &r->checkpoints [i];
    s_permille (&r->total);
    report->total = &r->total;
    reply->result_case = KF__REPLY__RESULT_ROUND_REPORT;
    reply->round_report = report;
    return 0;
}

//  ---- a checkpoint's history ---------------------------------------------------------

typedef struct {
    const char *plan_id, *checkpoint;
    Kf__CheckpointRecord *records [S_HISTORY_MAX];   //  a ring: the newest S_HISTORY_MAX
    size_t count;
    kf_arena_t *arena;
} s_history_t;

//  A copy of a visit in the reply's arena (the round walked goes).
static Kf__CheckpointVisit *
s_visit_copy (const Kf__CheckpointVisit *visit, kf_arena_t *arena)
{
    size_t size;
    uint8_t *packed = kf_codec_pack (&visit->base, &size);
    Kf__CheckpointVisit *copy = packed ? (Kf__CheckpointVisit *) kf_codec_unpack_in (arena,
                                         &kf__checkpoint_visit__descriptor, packed, size, NULL) : NULL;
    free (packed);
    return copy;
}

static int
s_history_row (kf_txn_t *txn, Kf__Round *round, void *arg)
{
    s_history_t *h = arg;
    if (strcmp (round->plan_id, h->plan_id) != 0)
        return 0;
    Kf__CheckpointRecord *rec = h->count >= S_HISTORY_MAX ? h->records [h->count % S_HISTORY_MAX]
                              : (Kf__CheckpointRecord *) kf_arena_message (h->arena, &kf__checkpoint_record__descriptor);
    if (!rec)
        return kf_txn_fail (txn, "out of memory");
    kf__checkpoint_record__init (rec);
    rec->round_id = kf_arena_strdup (h->arena, round->round_id);
    KF_SET (rec, slot_ms, round->slot_ms);
    KF_SET (rec, status, round->status);
    rec->staff_id = round->staff_id ? kf_arena_strdup (h->arena, round->staff_id) : NULL;
    for (size_t v = 0; v < round->n_visits; v++)
        if (strcmp (round->visits [v]->checkpoint, h->checkpoint) == 0
        &&  !(rec->visit = s_visit_copy (round->visits [v], h->arena)))
            return kf_txn_fail (txn, "out of memory");
    if (!rec->round_id)
        return kf_txn_fail (txn, "out of memory");
    h->records [h->count++ % S_HISTORY_MAX] = rec;
    return 0;
}

int
dispatch_show_checkpoint (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                          Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ShowCheckpoint *q = request->show_checkpoint;
    const kf_estate_t *estate = kf_request_estate (self->base.config, request, q->estate, reply, arena);
    if (!estate)
        return -1;
    Kf__Plan *plan = dispatch_plan_get (self, txn, estate->id, q->plan_id, arena);
    if (!plan)
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no plan '%s' in %s", q->plan_id ? q->plan_id : "", estate->id) : -1;
    Kf__Checkpoint *cp = NULL;
    for (size_t i = 0; q->checkpoint && i < plan->n_checkpoints; i++)
        if (strcmp (plan->checkpoints [i]->name, q->checkpoint) == 0)
            cp = plan->checkpoints [i];
    if (!cp)
        return KF_NOT_FOUND ("plan %s has no checkpoint '%s'", plan->plan_id, q->checkpoint ? q->checkpoint : "");
    int64_t from, to;
    if (dispatch_rounds_period (q->period, now_ms, 90 * KF_MS_PER_DAY, 0, &from, &to))
        return KF_BAD ("the period must begin before it ends, within %d days", DISPATCH_PERIOD_DAYS);
    s_history_t *h = kf_arena_alloc (arena, sizeof *h);
    if (!h)
        return kf_txn_fail (txn, "out of memory");
    h->plan_id = plan->plan_id;
    h->checkpoint = cp->name;
    h->arena = arena;
    if (dispatch_rounds_walk (self, txn, estate->id, from, to, s_history_row, h))
        return -1;
    Kf__CheckpointHistory *history = (Kf__CheckpointHistory *) kf_arena_message (arena,
                                                                                 &kf__checkpoint_history__descriptor);
    if (!history)
        return kf_txn_fail (txn, "out of memory");
    history->plan_id = plan->plan_id;
    history->checkpoint = cp;
    //  Newest first, at most S_HISTORY_MAX.
    size_t shown = h->count < S_HISTORY_MAX ? h->count : S_HISTORY_MAX;
    history->records = kf_arena_alloc (arena, (shown + 1) * sizeof *history->records);
    if (!history->records)
        return kf_txn_fail (txn, "out of memory");
    for (size_t i = 0; i < shown; i++)
        history->records [history->n_records++] = h->records [(h->count - 1 - i) % S_HISTORY_MAX];
    reply->result_case = KF__REPLY__RESULT_CHECKPOINT_HISTORY;
    reply->checkpoint_history = history;
    return 0;
}
