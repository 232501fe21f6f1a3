/*  dispatch_rounds — the rounds of the plans (巡检): generated at each slot
    of a plan's schedule by the shared timers, given to someone of the
    department on shift with the skill, walked checkpoint by checkpoint
    from the technician's phone (check in, record each item, finish), and
    missed when their window passes unfinished.

    Timers (table round_timers, kf_timers):
      P/<estate>/<plan>   at the plan's next slot: the round of that slot is
                          made and the next slot armed from it, so after
                          downtime every slot in between has its round, in
                          order, and a slot's round is made once (the timer
                          is stale unless the plan's next_slot_ms is it)
      M/<round_id>        at the round's window's end: missed, unless done

    A round is a deadline of escalation's (deadline.set, kind ROUND, at its
    window's end; .met when finished), so a missed round breaches and
    escalates through the usual chain. Each item not OK is a finding
    (round.finding): intake files a ticket at the checkpoint's area, which
    gets its order as any other.

    Rounds do not count in a person's order load: a round is a duty of the
    shift, not a case.

    Tables (keys):
      rounds          round_id               Round
      rounds_by_slot  estate|slot|round_id   ""
*/
#include "dispatch_private.h"
#include "kf_log.h"

#define S_FIRE_MAX    1000
#define S_TIMER_SIZE  (DISPATCH_ROUND_ID_MAX + 8)
#define S_NOTE_MAX    500
#define S_URL_MAX     500

Kf__Round *
dispatch_round_get (dispatch_t *self, kf_txn_t *txn, const char *round_id, kf_arena_t *arena)
{
    kf_key_t key;
    if (!round_id || kf_key_make (&key, "s", round_id))
        return NULL;
    return (Kf__Round *) kf_txn_find_msg_in (txn, self->rounds, &key, &kf__round__descriptor, arena);
}

static void
s_put (dispatch_t *self, kf_txn_t *txn, const Kf__Round *round)
{
    kf_key_t key, index;
    if (kf_key_make (&key, "s", round->round_id)
    ||  kf_key_make (&index, "s|t|s", round->estate, round->slot_ms, round->round_id)) {
        kf_txn_fail (txn, "round %s: not a key", round->round_id);
        return;
    }
    kf_txn_put_msg (txn, self->rounds, &key, &round->base);
    kf_txn_put (txn, self->rounds_by_slot, &index, "", 0);
}

static int
s_emit (dispatch_t *self, kf_txn_t *txn, int64_t at_ms, Kf__Envelope__BodyCase kind, Kf__Round *round,
        const char *checkpoint, const char *actor)
{
    Kf__RoundEvent body = KF__ROUND_EVENT__INIT;
    body.round = round;
    body.checkpoint = (char *) checkpoint;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = kind;
    event.round_due = &body;   //  the oneof's members share one pointer
    event.actor = (char *) actor;
    return kf_emit (self->base.outbox, txn, at_ms, round->estate, &event, NULL);
}

static void
s_deadline (dispatch_t *self, kf_txn_t *txn, int64_t at_ms, const Kf__Round *round, Kf__Envelope__BodyCase what)
{
    char subject [DISPATCH_ROUND_ID_MAX + 8], text [200];
    snprintf (subject, sizeof subject, "round/%s", round->round_id);
    snprintf (text, sizeof text, "巡检 round %s: %s", round->round_id, round->name ? round->name : "");
    kf_utf8_clip (text, sizeof text);
    Kf__Deadline d = KF__DEADLINE__INIT;
    d.subject = subject;
    KF_SET (&d, kind, KF__DEADLINE_KIND__DEADLINE_KIND_ROUND);
    d.what = text;
    d.handler = round->staff_id;
    KF_SET (&d, department, round->department);
    KF_SET (&d, due_ms, round->due_ms);
    KF_SET (&d, since_ms, round->slot_ms);
    kf_emit_deadline (self->base.outbox, txn, at_ms, round->estate, what, &d);
}

static void
s_miss_timer (char *id, size_t size, const Kf__Round *round)
{
    snprintf (id, size, "M/%s", round->round_id);
}

//  ---- generation ---------------------------------------------------------------------------

//  The round of a plan's slot: made, offered to someone on shift, its
//  window armed, announced. 1 when made, 0 when it was made already, -1.
static int
s_make (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Plan *plan, int64_t slot_ms, kf_arena_t *arena)
{
    const dispatch_estate_t *e = dispatch_estate (self, plan->estate);
    int offset = kf_calendar_offset (e->estate->calendar);
    int64_t day = kf_local_day (slot_ms, offset);
    int minutes = (int) ((slot_ms - kf_local_day_start (day, offset)) / 60000);
    char round_id [DISPATCH_ROUND_ID_MAX + 1];
    snprintf (round_id, sizeof round_id, "%s-%s-%08u-%02d%02d", plan->estate, plan->plan_id,
              (unsigned) kf_day_to_yyyymmdd (day), minutes / 60, minutes % 60);
    if (dispatch_round_get (self, txn, round_id, arena))
        return 0;   //  made already (a slot is made once)
    if (!kf_txn_ok (txn))
        return -1;
    Kf__Round *round = (Kf__Round *) kf_arena_message (arena, &kf__round__descriptor);
    if (!round || !(round->round_id = kf_arena_strdup (arena, round_id)))
        return kf_txn_fail (txn, "out of memory");
    round->plan_id = plan->plan_id;
    round->estate = plan->estate;
    round->name = plan->name;
    KF_SET (round, department, plan->department);
    if (plan->has_skill)
        KF_SET (round, skill, plan->skill);
    KF_SET (round, slot_ms, slot_ms);
    KF_SET (round, due_ms, slot_ms + plan->window_ms);
    KF_SET (round, status, KF__ROUND_STATUS__ROUND_STATUS_DUE);
    round->checkpoints = plan->checkpoints;
    round->n_checkpoints = plan->n_checkpoints;
    //  Someone on shift now, while its window is open (after downtime a
    //  round whose window has passed is missed at once, nobody named).
    dispatch_person_t person;
    int found = now_ms < round->due_ms
              ? dispatch_pick (self, txn, plan->estate, plan->department, plan->skill, false, now_ms, NULL, &person)
              : 0;
    if (found < 0)
        return -1;
    if (found) {
        round->staff_id = kf_arena_strdup (arena, person.staff_id);
        round->staff_name = kf_arena_strdup (arena, person.name);
        KF_SET (round, status, KF__ROUND_STATUS__ROUND_STATUS_ASSIGNED);
    }
    char timer [S_TIMER_SIZE];
    s_miss_timer (timer, sizeof timer, round);
    kf_timers_arm (txn, self->round_timers, round->due_ms, timer);
    s_put (self, txn, round);
    s_emit (self, txn, now_ms, KF__ENVELOPE__BODY_ROUND_DUE, round, NULL, NULL);
    s_deadline (self, txn, now_ms, round, KF__ENVELOPE__BODY_DEADLINE_SET);
    return kf_txn_ok (txn) ? 1 : -1;
}

//  "P/<estate>/<plan>": the plan's slot came.
static int
s_slot (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, int64_t at_ms, const char *id)
{
    kf_arena_t *arena = self->base.scratch;
    char estate [KF_ID_MAX + 1];
    const char *plan_id = strchr (id + 2, '/');
    if (!plan_id || (size_t) (plan_id - id - 2) >= sizeof estate)
        return 0;
    snprintf (estate, sizeof estate, "%.*s", (int) (plan_id - id - 2), id + 2);
    Kf__Plan *plan = dispatch_plan_get (self, txn, estate, plan_id + 1, arena);
    if (!plan || plan->paused || plan->next_slot_ms != at_ms || !dispatch_estate (self, estate))
        return kf_txn_ok (txn) ? 0 : -1;   //  stale: paused, changed, or a slot already done
    bool skip = plan->while_renovation && !dispatch_renovation_on (self, txn, estate);
    int made = skip ? 0 : s_make (self, txn, now_ms, plan, at_ms, arena);
    if (made < 0)
        return -1;
    if (made)
        KF_SET (plan, rounds_made, plan->rounds_made + 1);
    dispatch_plan_arm (self, txn, plan, at_ms + 1);
    dispatch_plan_put (self, txn, plan);
    return kf_txn_ok (txn) ? 1 : -1;
}

//  "M/<round_id>": its window passed.
static int
s_window_end (dispatch_t *self, kf_txn_t *txn, int64_t at_ms, const char *round_id)
{
    Kf__Round *round = dispatch_round_get (self, txn, round_id, self->base.scratch);
    if (!round || round->due_ms != at_ms || round->missed || round->status == KF__ROUND_STATUS__ROUND_STATUS_DONE)
        return kf_txn_ok (txn) ? 0 : -1;
    KF_SET (round, missed, 1);
    KF_SET (round, status, KF__ROUND_STATUS__ROUND_STATUS_MISSED);
    s_put (self, txn, round);
    kf_warning ("round %s missed: its window ended unfinished (%s)", round->round_id,
                round->staff_id ? round->staff_id : "nobody took it");
    s_emit (self, txn, at_ms, KF__ENVELOPE__BODY_ROUND_MISSED, round, NULL, NULL);
    return kf_txn_ok (txn) ? 1 : -1;
}

typedef struct {
    dispatch_t *self;
    int64_t now_ms;
} s_fire_t;

static int
s_fire (kf_txn_t *txn, int64_t at_ms, const char *id, void *arg)
{
    s_fire_t *f = arg;
    kf_arena_reset (f->self->base.scratch);
    if (id [0] == 'P' && id [1] == '/')
        return s_slot (f->self, txn, f->now_ms, at_ms, id);
    if (id [0] == 'M' && id [1] == '/')
        return s_window_end (f->self, txn, at_ms, id + 2);
    return 0;
}

bool
dispatch_rounds_due (dispatch_t *self, kf_txn_t *txn, int64_t now_ms)
{
    assert (self && txn);
    dispatch_tables (self, txn);
    return kf_timers_next (txn, self->round_timers) <= now_ms;
}

int
dispatch_rounds_tick (dispatch_t *self, kf_txn_t *txn, int64_t now_ms)
{
    assert (self && txn);
    dispatch_tables (self, txn);
    s_fire_t f = { self, now_ms };
    return kf_timers_fire (txn, self->round_timers, now_ms, S_FIRE_MAX, s_fire, &f);
}

//  ---- carrying it out ----------------------------------------------------------------------

static Kf__Round *
s_load (dispatch_t *self, kf_txn_t *txn, const Kf__Request *request, const char *round_id, Kf__Reply *reply,
        kf_arena_t *arena)
{
    Kf__Round *round = dispatch_round_get (self, txn, round_id, arena);
    if (round && round->estate && kf_request_sees (request, round->estate))
        return round;
    if (kf_txn_ok (txn))
        KF_NOT_FOUND ("no round '%s'", round_id ? round_id : "");
    return NULL;
}

static const Kf__Checkpoint *
s_checkpoint (const Kf__Round *round, const char *name)
{
    for (size_t i = 0; name && i < round->n_checkpoints; i++)
        if (strcmp (round->checkpoints [i]->name, name) == 0)
            return round->checkpoints [i];
    return NULL;
}

static Kf__CheckpointVisit *
s_visit (const Kf__Round *round, const char *name)
{
    for (size_t i = 0; name && i < round->n_visits; i++)
        if (round->visits [i]->checkpoint && strcmp (round->visits [i]->checkpoint, name) == 0)
            return round->visits [i];
    return NULL;
}

static bool
s_under_way (const Kf__Round *round)
{
    return round->started_at_ms && (round->status == KF__ROUND_STATUS__ROUND_STATUS_STARTED
                                    || round->status == KF__ROUND_STATUS__ROUND_STATUS_MISSED);
}

//  The results of a checkpoint's items, checked: one per item, each with
//  what its kind needs. Each item's ok is settled here (a reading out of its
//  range is not OK). 0, or -1 with the reason.
static int
s_results_check (const Kf__Checkpoint *cp, Kf__CheckResult **results, size_t count, kf_err_t *err)
{
    if (count != cp->n_items)
        return kf_err_set (err, "checkpoint %s has %zu items: one result for each (%zu given)", cp->name,
                           cp->n_items, count);
    for (size_t i = 0; i < count; i++) {
        Kf__CheckResult *r = results [i];
        if (!r || !r->has_item || r->item < 1 || r->item > cp->n_items)
            return kf_err_set (err, "result %zu: item must be 1 to %zu", i + 1, cp->n_items);
        for (size_t j = 0; j < i; j++)
            if (results [j]->item == r->item)
                return kf_err_set (err, "item %u is given twice", r->item);
        const Kf__CheckItem *item = cp->items [r->item - 1];
        kf_err_t why;
        if (r->note && kf_text_check ("note", r->note, S_NOTE_MAX, &why))
            return kf_err_set (err, "item %u: %s", r->item, why.text);
        if (r->photo_url && !kf_url_valid (r->photo_url, S_URL_MAX))
            return kf_err_set (err, "item %u: photo_url is not an http(s) URL of at most %d bytes", r->item, S_URL_MAX);
        switch (item->kind) {
            case KF__CHECK_KIND__CHECK_KIND_YES_NO:
                if (!r->has_ok)
                    return kf_err_set (err, "item %u (%s): ok is required, yes or no", r->item, item->what);
                break;
            case KF__CHECK_KIND__CHECK_KIND_READING:
                if (!r->has_reading_milli || r->reading_milli < -KF_READING_MAX || r->reading_milli > KF_READING_MAX)
                    return kf_err_set (err, "item %u (%s): a reading is required", r->item, item->what);
                KF_SET (r, ok, (!r->has_ok || r->ok)
                        && (!item->has_range || (r->reading_milli >= item->min_milli
                                                 && r->reading_milli <= item->max_milli)));
                break;
            case KF__CHECK_KIND__CHECK_KIND_PHOTO:
                if (!r->photo_url)
                    return kf_err_set (err, "item %u (%s): photo_url is required", r->item, item->what);
                KF_SET (r, ok, !r->has_ok || r->ok);
                break;
            default:
                return kf_err_set (err, "item %u has no kind", r->item);
        }
    }
    return 0;
}

//  What was observed of an item not OK, for the ticket.
static const char *
s_observed (const Kf__CheckItem *item, const Kf__CheckResult *r, char *buf, size_t size)
{
    char value [32], low [32], high [32];
    if (item->kind == KF__CHECK_KIND__CHECK_KIND_READING) {
        if (item->has_range)
            snprintf (buf, size, "%s%s%s, outside %s..%s", kf_milli_format (r->reading_milli, value, sizeof value),
                      item->unit ? " " : "", item->unit ? item->unit : "",
                      kf_milli_format (item->min_milli, low, sizeof low),
                      kf_milli_format (item->max_milli, high, sizeof high));
        else
            snprintf (buf, size, "%s%s%s, not OK", kf_milli_format (r->reading_milli, value, sizeof value),
                      item->unit ? " " : "", item->unit ? item->unit : "");
    }
    else
        snprintf (buf, size, "%s", item->kind == KF__CHECK_KIND__CHECK_KIND_PHOTO ? "see the photo" : "no");
    return buf;
}

//  Each item not OK: a finding, which intake files as a ticket at the
//  checkpoint's area, reported by whoever does the round.
static int
s_findings (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Round *round, const Kf__Checkpoint *cp,
            Kf__CheckpointVisit *visit, const Kf__Staff *by, const char *actor)
{
    const char *photo = NULL;
    for (size_t i = 0; i < visit->n_results; i++)
        if (!photo && visit->results [i]->photo_url)
            photo = visit->results [i]->photo_url;
    for (size_t i = 0; i < visit->n_results; i++) {
        const Kf__CheckResult *r = visit->results [i];
        if (r->ok)
            continue;
        const Kf__CheckItem *item = cp->items [r->item - 1];
        char observed [160];
        KF_SET (visit, findings, visit->findings + 1);
        KF_SET (round, findings, round->findings + 1);
        Kf__RoundFinding f = KF__ROUND_FINDING__INIT;
        f.round_id = round->round_id;
        f.plan_id = round->plan_id;
        f.checkpoint = cp->name;
        f.place = cp->place;
        f.area = cp->area ? cp->area : KF_COMMON_AREA;
        f.what = item->what;
        f.observed = (char *) s_observed (item, r, observed, sizeof observed);
        f.photo_url = r->photo_url ? r->photo_url : (char *) photo;
        f.note = r->note;
        KF_SET (&f, category, round->skill ? round->skill : KF__CATEGORY__CATEGORY_OTHER);
        f.by = by->staff_id;
        f.by_name = by->name;
        f.by_phone = by->phone;
        KF_SET (&f, index, round->findings);
        KF_SET (&f, slot_ms, round->slot_ms);
        Kf__Envelope event = KF__ENVELOPE__INIT;
        event.body_case = KF__ENVELOPE__BODY_ROUND_FINDING;
        event.round_finding = &f;
        event.actor = (char *) actor;
        kf_emit (self->base.outbox, txn, now_ms, round->estate, &event, NULL);
    }
    return kf_txn_ok (txn) ? 0 : -1;
}

static int
s_push_visit (Kf__Round *round, Kf__CheckpointVisit *visit, kf_arena_t *arena)
{
    Kf__CheckpointVisit **grown = kf_arena_alloc (arena, (round->n_visits + 1) * sizeof *grown);
    if (!grown)
        return -1;
    if (round->n_visits)
        memcpy (grown, round->visits, round->n_visits * sizeof *grown);
    grown [round->n_visits++] = visit;
    round->visits = grown;
    return 0;
}

static int
s_step (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
        kf_arena_t *arena)
{
    const Kf__RoundStep *q = request->start_round;   //  the oneof's members share one pointer
    Kf__Round *round = s_load (self, txn, request, q->round_id, reply, arena);
    if (!round)
        return -1;
    const char *actor = request->actor && *request->actor ? request->actor : NULL;
    bool directs = dispatch_directs (request->role);
    bool takes = request->role == KF__ROLE__ROLE_TECHNICIAN || request->role == KF__ROLE__ROLE_FRONT_DESK;
    if (!directs && !takes)
        return KF_FORBIDDEN ("rounds are walked by the department's staff");
    bool mine = actor && round->staff_id && strcmp (round->staff_id, actor) == 0;
    if (!directs && round->staff_id && !mine)
        return KF_FORBIDDEN ("round %s is %s's, not %s's", round->round_id, round->staff_id, actor ? actor : "yours");
    if (round->status == KF__ROUND_STATUS__ROUND_STATUS_DONE)
        return KF_CONFLICT ("round %s is done", round->round_id);
    kf_err_t err;
    Kf__Envelope__BodyCase kind = KF__ENVELOPE__BODY_ROUND_CHECKED;
    const char *checkpoint = NULL;
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_START_ROUND: {
            if (round->started_at_ms)
                return KF_CONFLICT ("round %s is under way already (since %" PRId64 ")", round->round_id,
                                    round->started_at_ms);
            if (!round->staff_id) {
                //  Nobody was named: whoever of the department starts it takes it.
                Kf__Staff *who = actor ? dispatch_staff_get (self, txn, round->estate, actor, arena) : NULL;
                if (!who && !kf_txn_ok (txn))
                    return -1;
                //  Its skill is not asked: nobody with it was on shift, and a
                //  round walked by another of the department beats one missed.
                if (!who || !who->active || who->department != round->department)
                    return KF_FORBIDDEN ("round %s is for the %s department's staff: %s is not one of them",
                                         round->round_id, kf_enum_short_name (&kf__department__descriptor,
                                         round->department, (char [32]) { 0 }, 32), actor ? actor : "nobody");
                round->staff_id = who->staff_id;
                round->staff_name = who->name;
            }
            KF_SET (round, started_at_ms, now_ms);
            if (!round->missed)
                KF_SET (round, status, KF__ROUND_STATUS__ROUND_STATUS_STARTED);
            kind = KF__ENVELOPE__BODY_ROUND_STARTED;
            break;
        }
        case KF__REQUEST__COMMAND_CHECK_IN:
        case KF__REQUEST__COMMAND_RECORD_CHECKPOINT: {
            if (!s_under_way (round))
                return KF_CONFLICT ("round %s is not under way: start it first", round->round_id);
            const Kf__Checkpoint *cp = s_checkpoint (round, q->checkpoint);
            if (!cp)
                return KF_BAD ("round %s has no checkpoint '%s'", round->round_id, q->checkpoint ? q->checkpoint : "");
            checkpoint = cp->name;
            Kf__CheckpointVisit *visit = s_visit (round, cp->name);
            if (visit && visit->recorded_at_ms)
                return KF_CONFLICT ("checkpoint %s of round %s is recorded already", cp->name, round->round_id);
            bool checking_in = request->command_case == KF__REQUEST__COMMAND_CHECK_IN;
            if (visit && checking_in)
                return KF_CONFLICT ("checked in at %s already", cp->name);
            if (!visit) {
                visit = (Kf__CheckpointVisit *) kf_arena_message (arena, &kf__checkpoint_visit__descriptor);
                if (!visit || s_push_visit (round, visit, arena))
                    return kf_txn_fail (txn, "out of memory");
                visit->checkpoint = cp->name;
                KF_SET (visit, checked_in_at_ms, now_ms);
            }
            if (checking_in)
                break;
            if (s_results_check (cp, q->results, q->n_results, &err))
                return KF_BAD ("%s", err.text);
            visit->results = q->results;
            visit->n_results = q->n_results;
            KF_SET (visit, recorded_at_ms, now_ms);
            KF_SET (visit, findings, 0);
            Kf__Staff *by = dispatch_staff_get (self, txn, round->estate, round->staff_id, arena);
            if (!by)
                return kf_txn_ok (txn) ? KF_CONFLICT ("round %s is %s's, who is not in the staff", round->round_id,
                                                      round->staff_id) : -1;
            bool findings = false;
            for (size_t i = 0; i < q->n_results; i++)
                findings = findings || !q->results [i]->ok;
            if (findings && (!by->phone || !kf_phone_valid (by->phone)))
                return KF_CONFLICT ("%s has no phone in the staff file: a finding is reported from it", by->staff_id);
            if (s_findings (self, txn, now_ms, round, cp, visit, by, actor))
                return -1;
            break;
        }
        case KF__REQUEST__COMMAND_FINISH_ROUND: {
            if (!s_under_way (round))
                return KF_CONFLICT ("round %s is not under way: start it first", round->round_id);
            char left [400] = "";
            size_t missing = 0;
            for (size_t i = 0; i < round->n_checkpoints; i++) {
                const Kf__CheckpointVisit *visit = s_visit (round, round->checkpoints [i]->name);
                if (visit && visit->recorded_at_ms)
                    continue;
                size_t used = strlen (left);
                snprintf (left + used, sizeof left - used, "%s%s", missing++ ? ", " : "", round->checkpoints [i]->name);
            }
            if (missing)
                return KF_CONFLICT ("round %s: %zu checkpoint%s not recorded: %s", round->round_id, missing,
                                    missing == 1 ? "" : "s", left);
            if (q->note && kf_text_check ("note", q->note, S_NOTE_MAX, &err))
                return KF_BAD ("%s", err.text);
            round->note = q->note;
            KF_SET (round, finished_at_ms, now_ms);
            KF_SET (round, late, now_ms > round->due_ms);
            KF_SET (round, status, KF__ROUND_STATUS__ROUND_STATUS_DONE);
            char timer [S_TIMER_SIZE];
            s_miss_timer (timer, sizeof timer, round);
            kf_timers_disarm (txn, self->round_timers, round->due_ms, timer);
            s_deadline (self, txn, now_ms, round, KF__ENVELOPE__BODY_DEADLINE_MET);
            kind = KF__ENVELOPE__BODY_ROUND_FINISHED;
            break;
        }
        default:
            assert (false);
    }
    s_put (self, txn, round);
    s_emit (self, txn, now_ms, kind, round, checkpoint, actor);
    reply->result_case = KF__REPLY__RESULT_ROUND;
    reply->round = round;
    return kf_txn_ok (txn) ? 0 : -1;
}

//  ---- lists --------------------------------------------------------------------------------

int
dispatch_rounds_walk (dispatch_t *self, kf_txn_t *txn, const char *estate, int64_t from, int64_t to,
                      dispatch_round_fn *fn, void *arg)
{
    kf_key_t start, prefix;
    kf_key_make (&prefix, "s|", estate);
    kf_key_make (&start, "s|t", estate, from);
    kf_cursor_t *cursor = kf_cursor_open (txn, self->rounds_by_slot);
    kf_val_t k, v;
    int rc = 0;
    for (int found = cursor ? kf_cursor_seek (cursor, &start, &k, &v) : -1;
         found == KF_FOUND && kf_key_has_prefix (k, &prefix) && rc == 0; found = kf_cursor_next (cursor, &k, &v)) {
        char id [KF_ID_MAX + 1], round_id [DISPATCH_ROUND_ID_MAX + 1];
        int64_t slot;
        if (kf_key_scan (k.data, k.size, "s|t|s", id, sizeof id, &slot, round_id, sizeof round_id) || slot >= to)
            break;
        //  One round at a time in the scratch arena: a year's walk holds one.
        kf_arena_reset (self->base.scratch);
        Kf__Round *round = dispatch_round_get (self, txn, round_id, self->base.scratch);
        if (round)
            rc = fn (txn, round, arg);
        else
        if (!kf_txn_ok (txn))
            rc = -1;
    }
    kf_cursor_close (&cursor);
    kf_arena_reset (self->base.scratch);
    return rc < 0 || !kf_txn_ok (txn) ? -1 : 0;
}

int
dispatch_rounds_period (const Kf__TimeRange *period, int64_t now_ms, int64_t back, int64_t ahead, int64_t *from,
                        int64_t *to)
{
    bool has_from = period && period->has_from_ms, has_to = period && period->has_to_ms;
    if ((has_from && (period->from_ms < 0 || period->from_ms > DISPATCH_TIME_MAX))
    ||  (has_to && (period->to_ms < 0 || period->to_ms > DISPATCH_TIME_MAX)))
        return -1;
    *to = has_to ? period->to_ms : now_ms + ahead;
    *from = has_from ? period->from_ms : *to - ahead - back;
    return *to > *from && *to - *from <= DISPATCH_PERIOD_MAX ? 0 : -1;
}

typedef struct {
    dispatch_t *self;
    const Kf__ListRounds *query;
    int64_t from;
    Kf__RoundList *list;
    size_t room;
    kf_arena_t *arena;
} s_list_t;

static int
s_list_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, bool show, void *arg)
{
    (void) value;
    s_list_t *l = arg;
    char estate [KF_ID_MAX + 1], round_id [DISPATCH_ROUND_ID_MAX + 1];
    int64_t slot;
    if (kf_key_scan (key.data, key.size, "s|t|s", estate, sizeof estate, &slot, round_id, sizeof round_id))
        return kf_txn_fail (txn, "a round index holds a bad key");
    if (slot < l->from)
        return 2;
    //  Every row of the period is counted; only a page's are kept.
    kf_arena_reset (l->self->base.scratch);
    Kf__Round *round = dispatch_round_get (l->self, txn, round_id, l->self->base.scratch);
    if (!round)
        return kf_txn_ok (txn) ? 0 : -1;
    const Kf__ListRounds *q = l->query;
    bool match = (!q->plan_id || !*q->plan_id || strcmp (q->plan_id, round->plan_id) == 0)
              && (!q->has_status || !q->status || q->status == round->status)
              && (!q->staff_id || !*q->staff_id || (round->staff_id && strcmp (q->staff_id, round->staff_id) == 0));
    if (match && show) {
        round = dispatch_round_get (l->self, txn, round_id, l->arena);
        if (!round || kf_arena_push (l->arena, (void ***) &l->list->rounds, &l->list->n_rounds, &l->room, round))
            return kf_txn_fail (txn, "out of memory");
    }
    return match;
}

static int
s_list (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
        kf_arena_t *arena)
{
    const Kf__ListRounds *q = request->list_rounds;
    const kf_estate_t *estate = kf_request_estate (self->base.config, request, q->estate, reply, arena);
    if (!estate)
        return -1;
    int64_t from, to;
    if (dispatch_rounds_period (q->period, now_ms, 7 * KF_MS_PER_DAY, KF_MS_PER_DAY, &from, &to))
        return KF_BAD ("the period must begin before it ends, within %d days", DISPATCH_PERIOD_DAYS);
    s_list_t l = { .self = self, .query = q, .from = from, .arena = arena,
                   .list = (Kf__RoundList *) kf_arena_message (arena, &kf__round_list__descriptor) };
    if (!l.list)
        return kf_txn_fail (txn, "out of memory");
    kf_key_t prefix, top;
    kf_key_make (&prefix, "s|", estate->id);
    kf_key_make (&top, "s|t", estate->id, to);
    kf_page_t page;
    int rc = kf_page_walk (txn, self->rounds_by_slot, &prefix, &top, q->page,
                           kf_page_size (q->page, DISPATCH_PAGE_DEFAULT, DISPATCH_PAGE_MAX), s_list_row, &l, arena,
                           &page);
    kf_arena_reset (self->base.scratch);
    if (kf_page_result (rc, reply, arena))
        return -1;
    KF_SET (l.list, total, page.total);
    l.list->next_page_token = page.next_token;
    reply->result_case = KF__REPLY__RESULT_ROUNDS;
    reply->rounds = l.list;
    return 0;
}

int
dispatch_rounds_request (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                         Kf__Reply *reply, kf_arena_t *arena)
{
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_LIST_ROUNDS:
            return s_list (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_SHOW_ROUND: {
            Kf__Round *round = s_load (self, txn, request, request->show_round->round_id, reply, arena);
            if (!round)
                return -1;
            reply->result_case = KF__REPLY__RESULT_ROUND;
            reply->round = round;
            return 0;
        }
        case KF__REQUEST__COMMAND_START_ROUND:
        case KF__REQUEST__COMMAND_CHECK_IN:
        case KF__REQUEST__COMMAND_RECORD_CHECKPOINT:
        case KF__REQUEST__COMMAND_FINISH_ROUND:
            return s_step (self, txn, now_ms, request, reply, arena);
        default:
            return KF_BAD ("not a round command");
    }
}

//  ---- after a restore --------------------------------------------------------------------

//  A plan or a round as its event left it, with its timers as the record
//  says (the ones the backup's record had disarmed first).
int
dispatch_rounds_recover (dispatch_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    kf_arena_t *arena = self->base.scratch;
    char timer [S_TIMER_SIZE];
    if (event->body_case == KF__ENVELOPE__BODY_ROUND_PLANNED) {
        const Kf__Plan *told = event->round_planned->plan;
        if (!told || !told->plan_id || !event->estate || !dispatch_estate (self, event->estate))
            return 0;
        Kf__Plan copy = *told, *plan = &copy;   //  the stream's estate, whatever the body says
        plan->estate = event->estate;
        Kf__Plan *was = dispatch_plan_get (self, txn, plan->estate, plan->plan_id, arena);
        dispatch_plan_timer_id (timer, sizeof timer, plan);
        if (was && was->next_slot_ms)
            kf_timers_disarm (txn, self->round_timers, was->next_slot_ms, timer);
        if (plan->next_slot_ms && !plan->paused)
            kf_timers_arm (txn, self->round_timers, plan->next_slot_ms, timer);
        dispatch_plan_put (self, txn, plan);
        return kf_txn_ok (txn) ? 1 : -1;
    }
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_ROUND_DUE: case KF__ENVELOPE__BODY_ROUND_STARTED:
        case KF__ENVELOPE__BODY_ROUND_CHECKED: case KF__ENVELOPE__BODY_ROUND_FINISHED:
        case KF__ENVELOPE__BODY_ROUND_MISSED:
            break;
        case KF__ENVELOPE__BODY_ROUND_FINDING:
            return 1;   //  in the round.checked that follows it
        default:
            return 0;
    }
    const Kf__Round *told = event->round_due->round;
    if (!told || !told->round_id || !told->plan_id || !event->estate || !dispatch_estate (self, event->estate))
        return 0;
    Kf__Round copy = *told, *round = &copy;
    round->estate = event->estate;
    s_miss_timer (timer, sizeof timer, round);
    bool open = round->status != KF__ROUND_STATUS__ROUND_STATUS_DONE && !round->missed;
    (open ? kf_timers_arm : kf_timers_disarm) (txn, self->round_timers, round->due_ms, timer);
    if (event->body_case == KF__ENVELOPE__BODY_ROUND_DUE) {
        //  The plan's next slot is past this one: its round is made.
        Kf__Plan *plan = dispatch_plan_get (self, txn, round->estate, round->plan_id, arena);
        if (plan && plan->next_slot_ms && plan->next_slot_ms <= round->slot_ms) {
            dispatch_plan_arm (self, txn, plan, round->slot_ms + 1);
            dispatch_plan_put (self, txn, plan);
        }
    }
    s_put (self, txn, round);
    return kf_txn_ok (txn) ? 1 : -1;
}
