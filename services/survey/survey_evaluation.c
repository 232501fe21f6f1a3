/*  survey_evaluation — the quarterly owner evaluation: at least 20 % of
    occupied households, none twice a year, handed out mid last month,
    collected within 15 days, answered. See survey_private.h.
*/
#include "survey_private.h"

//  ---- the quarterly evaluation -----------------------------------------------------------------

static uint64_t
s_splitmix (uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int
s_quarter_index (uint32_t yyyyq)
{
    return (int) (yyyyq / 10) * 4 + (int) (yyyyq % 10) - 1;
}

typedef struct {
    size_t index;
    uint32_t last;
    uint64_t order;
} s_candidate_t;

static int
s_by_draw (const void *a, const void *b)
{
    const s_candidate_t *x = a, *y = b;
    if (x->last != y->last)
        return x->last < y->last ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int
s_by_index (const void *a, const void *b)
{
    size_t x = *(const size_t *) a, y = *(const size_t *) b;
    return x < y ? -1 : x > y;
}

size_t
survey_draw (const uint32_t *last_sampled, size_t count, uint32_t quarter, unsigned percent, uint64_t seed,
             size_t *drawn)
{
    size_t want = (count * percent + 99) / 100;
    s_candidate_t *c = malloc ((count + 1) * sizeof *c);
    if (!c)
        return 0;
    //  Not drawn in the last four quarters: equal (last 0), in the seed's
    //  order. The others after them, least recently drawn first.
    uint64_t state = seed;
    int now = s_quarter_index (quarter);
    for (size_t i = 0; i < count; i++) {
        bool fresh = last_sampled [i] == 0 || now - s_quarter_index (last_sampled [i]) >= 4;
        c [i] = (s_candidate_t) { i, fresh ? 0 : last_sampled [i], s_splitmix (&state) };
    }
    qsort (c, count, sizeof *c, s_by_draw);
    for (size_t i = 0; i < want; i++)
        drawn [i] = c [i].index;
    free (c);
    qsort (drawn, want, sizeof *drawn, s_by_index);
    return want;
}

typedef struct {
    Kf__Household **households;
    size_t count, size;
    kf_arena_t *arena;
} s_frame_t;

static int
s_frame_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) key;
    s_frame_t *f = arg;
    Kf__Household *h = (Kf__Household *) msg;
    if (!h->occupied)
        return 0;
    if (f->count == f->size) {
        size_t size = f->size ? f->size * 2 : 1024;
        Kf__Household **grown = kf_arena_alloc (f->arena, size * sizeof *grown);
        if (!grown)
            return kf_txn_fail (txn, "out of memory");
        if (f->count)
            memcpy (grown, f->households, f->count * sizeof *grown);
        f->households = grown;
        f->size = size;
    }
    f->households [f->count++] = h;
    return 0;
}

void
survey_evaluation_id (char *buf, size_t size, const char *estate, uint32_t year, uint32_t quarter)
{
    snprintf (buf, size, "%s-%04uQ%u", estate, year, quarter);
}

//  Hand-out: local midnight of the 15th of the quarter's last month.
int64_t
survey_hand_out_at (const survey_estate_t *e, uint32_t year, uint32_t quarter)
{
    return kf_local_day_start (kf_days_from_civil ((int) year, (int) quarter * 3, 15), e->estate->utc_offset_min);
}

//  Draw the quarter's households and announce it. NULL (reply set, or
//  the transaction failed) when it cannot be drawn.
Kf__EvaluationStatusView *
survey_sample (survey_t *self, kf_txn_t *txn, int64_t now_ms, const survey_estate_t *e, uint32_t year, uint32_t quarter,
               uint64_t seed, kf_arena_t *arena, char *why, size_t why_size)
{
    s_frame_t frame = { .arena = arena };
    kf_key_t prefix;
    kf_key_make (&prefix, "s|", e->estate->id);
    if (kf_txn_scan_msg_in (txn, self->households, &prefix, &kf__household__descriptor, frame.arena, s_frame_row,
                            &frame) < 0)
        return NULL;
    if (frame.count == 0) {
        snprintf (why, why_size, "%s has no occupied households yet (billing's unit import registers them)",
                  e->estate->id);
        return NULL;
    }
    uint32_t *last = kf_arena_alloc (arena, frame.count * sizeof *last);
    size_t *drawn = kf_arena_alloc (arena, frame.count * sizeof *drawn);
    char **units = kf_arena_alloc (arena, frame.count * sizeof *units);
    Kf__EvaluationSampled *s = (Kf__EvaluationSampled *) kf_arena_message (arena, &kf__evaluation_sampled__descriptor);
    Kf__EvaluationStatusView *view = (Kf__EvaluationStatusView *) kf_arena_message (
        arena, &kf__evaluation_status_view__descriptor);
    char id [64];
    survey_evaluation_id (id, sizeof id, e->estate->id, year, quarter);
    if (!last || !drawn || !units || !s || !view || !(s->evaluation_id = kf_arena_strdup (arena, id))) {
        kf_txn_fail (txn, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < frame.count; i++)
        last [i] = frame.households [i]->last_sampled;
    uint32_t this_quarter = year * 10 + quarter;
    size_t n = survey_draw (last, frame.count, this_quarter, e->percent, seed, drawn);
    for (size_t i = 0; i < n; i++) {
        Kf__Household *h = frame.households [drawn [i]];
        units [i] = h->unit;
        KF_SET (h, last_sampled, this_quarter);
        kf_key_t key;
        kf_key_make (&key, "s|s", e->estate->id, h->unit);
        kf_txn_put_msg (txn, self->households, &key, &h->base);
    }
    KF_SET (s, year, year);
    KF_SET (s, quarter, quarter);
    KF_SET (s, seed, seed);
    KF_SET (s, occupied, (uint32_t) frame.count);
    s->units = units;
    s->n_units = n;
    KF_SET (s, hand_out_at_ms, survey_hand_out_at (e, year, quarter));
    KF_SET (s, closes_at_ms, s->hand_out_at_ms + (int64_t) e->collection_days * S_DAY_MS);
    view->sample = s;
    KF_SET (view, answered, 0);
    KF_SET (view, closed, 0);
    view->estate = (char *) e->estate->id;
    kf_key_t key;
    kf_key_make (&key, "s", id);
    kf_txn_put_msg (txn, self->evaluations, &key, &view->base);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_EVALUATION_SAMPLED;
    event.evaluation_sampled = s;
    kf_emit (self->base.outbox, txn, now_ms, e->estate->id, &event, NULL);
    kf_notice ("%s: %s drew %zu of %zu occupied households (seed %016" PRIx64 ")", e->estate->id, id, n, frame.count,
               seed);
    return kf_txn_ok (txn) ? view : NULL;
}

Kf__EvaluationStatusView *
survey_evaluation_get (survey_t *self, kf_txn_t *txn, const char *id, kf_arena_t *arena)
{
    kf_key_t key;
    if (!id || kf_key_make (&key, "s", id))
        return NULL;
    return (Kf__EvaluationStatusView *) kf_txn_find_msg_in (txn, self->evaluations, &key,
                                                            &kf__evaluation_status_view__descriptor,
                                               arena);
}

int
survey_sample_request (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                       kf_arena_t *arena)
{
    const Kf__SampleEvaluation *q = request->sample_evaluation;
    if (!kf_role_manages (request->role))
        return KF_FORBIDDEN ("only a supervisor, a manager or operations draws the evaluation");
    const survey_estate_t *e = survey_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    if (q->year < 2000 || q->year > 2999 || q->quarter < 1 || q->quarter > 4)
        return KF_BAD ("year and quarter (1 to 4) name the quarter");
    char id [64];
    survey_evaluation_id (id, sizeof id, e->estate->id, q->year, q->quarter);
    Kf__EvaluationStatusView *known = survey_evaluation_get (self, txn, id, arena);
    if (known) {
        if (q->has_seed && known->sample->seed != q->seed)
            return KF_CONFLICT ("%s was drawn already, with seed %016" PRIx64, id, known->sample->seed);
        reply->result_case = KF__REPLY__RESULT_EVALUATION;
        reply->evaluation = known;
        return 0;
    }
    //  Without a seed: one from the time and the quarter, recorded with the draw.
    uint64_t seed = q->has_seed ? q->seed : ((uint64_t) now_ms * 0x9E3779B97F4A7C15ull) ^ kf_codec_digest (&q->base);
    char why [200] = "";
    Kf__EvaluationStatusView *view = survey_sample (self, txn, now_ms, e, q->year, q->quarter, seed, arena, why,
                                                    sizeof why);
    if (!view)
        return why [0] ? KF_CONFLICT ("%s", why) : -1;
    reply->result_case = KF__REPLY__RESULT_EVALUATION;
    reply->evaluation = view;
    return 0;
}

static int
s_unit_cmp (const void *key, const void *member)
{
    return strcmp ((const char *) key, *(char *const *) member);
}

//  What an owner is shown of an evaluation: whether their own household
//  was drawn and has answered, never which others were.
static int
s_owner_view (survey_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__EvaluationStatusView *view)
{
    Kf__EvaluationSampled *s = view->sample;
    char **own = bsearch (request->unit, s->units, s->n_units, sizeof *s->units, s_unit_cmp);
    s->has_seed = s->has_occupied = 0;   //  the seed would redo the draw
    s->n_units = 0;
    view->n_not_answered = 0;
    view->next_page_token = NULL;
    if (!own)
        return 0;
    s->units [s->n_units++] = *own;
    kf_key_t key;
    kf_val_t answer;
    kf_key_make (&key, "s|s", s->evaluation_id, *own);
    int rc = kf_txn_get (txn, self->answers, &key, &answer);
    if (rc == KF_NOTFOUND && view->not_answered)
        view->not_answered [view->n_not_answered++] = *own;
    return rc < 0 ? -1 : 0;
}

//  The evaluation, with one page of the drawn households that have not
//  answered (whom to chase), in unit order: the page token is the last
//  unit of the page before. An owner sees their own household's alone.
int
survey_evaluation_status (survey_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply,
                          kf_arena_t *arena)
{
    const Kf__GetEvaluationStatus *q = request->evaluation_status;
    Kf__EvaluationStatusView *view = survey_evaluation_get (self, txn, q->evaluation_id, arena);
    if (!view || !kf_request_sees (request, view->estate))
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no evaluation '%s'", q->evaluation_id ? q->evaluation_id : "") : -1;
    const Kf__EvaluationSampled *s = view->sample;
    //  An owner's page is their household alone: a token naming another
    //  unit would tell whether that one was drawn.
    bool owner = request->role == KF__ROLE__ROLE_OWNER;
    const char *after = !owner && q->page && q->page->page_token && *q->page->page_token ? q->page->page_token : NULL;
    if (after && !bsearch (after, s->units, s->n_units, sizeof *s->units, s_unit_cmp))
        return KF_BAD ("page_token is not one this service gave: ask again without it for the first page");
    uint32_t size = kf_page_size (q->page, SURVEY_PAGE_DEFAULT, SURVEY_PAGE_MAX);
    if (!(view->not_answered = kf_arena_alloc (arena, size * sizeof *view->not_answered)))
        return kf_txn_fail (txn, "out of memory");
    for (size_t i = 0; !owner && i < s->n_units; i++) {
        if (after && strcmp (s->units [i], after) <= 0)
            continue;
        kf_key_t key;
        kf_val_t answer;
        kf_key_make (&key, "s|s", s->evaluation_id, s->units [i]);
        int rc = kf_txn_get (txn, self->answers, &key, &answer);
        if (rc < 0)
            return -1;
        if (rc == KF_FOUND)
            continue;
        if (view->n_not_answered == size) {
            view->next_page_token = view->not_answered [size - 1];
            break;
        }
        view->not_answered [view->n_not_answered++] = s->units [i];
    }
    if (owner && s_owner_view (self, txn, request, view))
        return -1;
    reply->result_case = KF__REPLY__RESULT_EVALUATION;
    reply->evaluation = view;
    return 0;
}

int
survey_answer_evaluation (survey_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                          kf_arena_t *arena)
{
    const Kf__AnswerEvaluation *q = request->answer_evaluation;
    Kf__EvaluationStatusView *view = survey_evaluation_get (self, txn, q->evaluation_id, arena);
    if (!view || !kf_request_sees (request, view->estate))
        return kf_txn_ok (txn) ? KF_NOT_FOUND ("no evaluation '%s'", q->evaluation_id ? q->evaluation_id : "") : -1;
    const Kf__EvaluationSampled *s = view->sample;
    if (view->closed || now_ms >= s->closes_at_ms)
        return KF_CONFLICT ("%s closed its collection", s->evaluation_id);
    if (now_ms < s->hand_out_at_ms)
        return KF_CONFLICT ("%s is handed out on the 15th; answers come after", s->evaluation_id);
    if (!kf_request_sees_unit (request, view->estate, q->unit))
        return KF_FORBIDDEN ("an owner answers for their own household, %s", request->unit);
    if (!q->unit || !bsearch (q->unit, s->units, s->n_units, sizeof *s->units, s_unit_cmp))
        return KF_BAD ("unit '%s' was not drawn for %s", q->unit ? q->unit : "", s->evaluation_id);
    if (q->n_answers == 0 || q->n_answers > 5)
        return KF_BAD ("an evaluation scores 1 to 5 service areas");
    bool seen [S_AREAS] = { false };
    kf_err_t err;
    for (size_t i = 0; i < q->n_answers; i++) {
        const Kf__AreaScore *a = q->answers [i];
        if (a->area <= 0 || a->area >= S_AREAS || seen [a->area])
            return KF_BAD ("answer %zu: each of the five service areas at most once", i + 1);
        seen [a->area] = true;
        if (a->score < 1 || a->score > 5)
            return KF_BAD ("answer %zu: a score is 1 to 5", i + 1);
        if (a->comment && kf_text_check ("comment", a->comment, SURVEY_TEXT_MAX, &err))
            return KF_BAD ("answer %zu: %s", i + 1, err.text);
        if (a->has_problem && !kf_enum_known (&kf__category__descriptor, a->has_problem, a->problem))
            return KF_BAD ("answer %zu: the problem is not a category", i + 1);
    }
    if (q->comment && kf_text_check ("comment", q->comment, SURVEY_TEXT_MAX, &err))
        return KF_BAD ("%s", err.text);
    kf_key_t key;
    kf_key_make (&key, "s|s", s->evaluation_id, q->unit);
    kf_val_t known;
    int rc = kf_txn_get (txn, self->answers, &key, &known);
    if (rc == KF_FOUND)
        return KF_CONFLICT ("%s answered %s already", q->unit, s->evaluation_id);
    if (rc < 0)
        return -1;
    Kf__EvaluationAnswered answered = KF__EVALUATION_ANSWERED__INIT;
    answered.evaluation_id = s->evaluation_id;
    answered.unit = q->unit;
    answered.answers = q->answers;
    answered.n_answers = q->n_answers;
    answered.comment = q->comment;
    kf_txn_put_msg (txn, self->answers, &key, &answered.base);
    for (size_t i = 0; i < q->n_answers; i++)
        if (q->answers [i]->problem) {
            char source [S_ID_MAX];
            snprintf (source, sizeof source, "%s/%s/%d", s->evaluation_id, q->unit, (int) q->answers [i]->area);
            survey_problem (self, txn, view->estate, now_ms, q->answers [i]->problem, source);
        }
    KF_SET (view, answered, view->answered + 1);
    kf_key_make (&key, "s", s->evaluation_id);
    kf_txn_put_msg (txn, self->evaluations, &key, &view->base);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_EVALUATION_ANSWERED;
    event.evaluation_answered = &answered;
    event.actor = request->actor;
    kf_emit (self->base.outbox, txn, now_ms, view->estate, &event, NULL);
    if (request->role == KF__ROLE__ROLE_OWNER && s_owner_view (self, txn, request, view))
        return -1;
    reply->result_case = KF__REPLY__RESULT_EVALUATION;
    reply->evaluation = view;
    return kf_txn_ok (txn) ? 0 : -1;
}
