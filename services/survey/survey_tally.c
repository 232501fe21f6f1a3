/*  survey_tally — what lets the satisfaction report answer for a year or
    the whole group without reading every answer (issue 25.3): counts per
    estate and UTC day, kept in the transaction that writes what they
    count. An answered visit counts under the day it was answered, for the
    estate, its department and its technician (answered, satisfied, score);
    a visit counts as due under its due day when it is scheduled, and on
    time under the same day when it is answered in its window. The report
    takes the whole days of its period from here and reads the records of
    the part-days at its ends. See survey_private.h.
*/
#include "survey_private.h"
#include "kf_tally.h"

#define S_BUILT   "built"          //  the tallies' own key: counted from the records once

//  estate, day, what (SURVEY_TALLY_*), the group's name, which count.
static void
s_add (survey_t *self, kf_txn_t *txn, const char *estate, int64_t at_ms, uint32_t what, const char *name,
       uint32_t which, int64_t delta)
{
    kf_key_t key;
    if (kf_key_make (&key, "s|t|u|s|u", estate, kf_utc_midnight_before (at_ms), what, name, which) == 0)
        kf_txn_add (txn, self->tallies, &key, delta);
    else
        kf_txn_fail (txn, "a satisfaction tally's key does not fit: %s", name);
}

void
survey_tally_answer (survey_t *self, kf_txn_t *txn, const char *estate, int64_t answered_ms,
                     const Kf__VisitCompleted *c)
{
    //  The names as the report's groups have them (s_satisfaction_row):
    //  a technician's id cut to a group's length.
    char department [48], technician [S_ID_MAX];
    kf_enum_short_name (&kf__department__descriptor, c->department, department, sizeof department);
    snprintf (technician, sizeof technician, "%s", c->technician_id ? c->technician_id : "-");
    const char *names [3] = { "", department, technician };
    bool satisfied = c->satisfaction != KF__SATISFACTION__SATISFACTION_UNSATISFIED;
    for (uint32_t what = SURVEY_TALLY_ESTATE; what <= SURVEY_TALLY_TECHNICIAN; what++) {
        s_add (self, txn, estate, answered_ms, what, names [what], 0, 1);
        if (satisfied)
            s_add (self, txn, estate, answered_ms, what, names [what], 1, 1);
        if (c->score)
            s_add (self, txn, estate, answered_ms, what, names [what], 2, c->score);
    }
}

void
survey_tally_due (survey_t *self, kf_txn_t *txn, const char *estate, int64_t due_ms, bool on_time)
{
    s_add (self, txn, estate, due_ms, SURVEY_TALLY_DUE, "", on_time ? 1 : 0, 1);
}

typedef struct {
    survey_tally_fn *fn;
    void *arg;
} s_read_t;

static int
s_read_one (kf_txn_t *txn, kf_val_t key, uint64_t count, void *arg)
{
    (void) txn;
    s_read_t *r = arg;
    char id [KF_ID_MAX + 1], name [S_ID_MAX];
    int64_t day;
    uint32_t what, which;
    if (kf_key_scan (key.data, key.size, "s|t|u|s|u", id, sizeof id, &day, &what, name, sizeof name, &which))
        return -1;
    r->fn (what, name, which, count, r->arg);
    return 0;
}

int
survey_tally_read (survey_t *self, kf_txn_t *txn, const char *estate, int64_t from, int64_t to,
                   survey_tally_fn *fn, void *arg)
{
    s_read_t r = { fn, arg };
    return kf_tally_walk (txn, self->tallies, estate, from, to, s_read_one, &r);
}

//  ---- built once, for a store from before the tallies ----------------------------------------

static int
s_count_answer (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *message, void *arg)
{
    char estate [KF_ID_MAX + 1], visit_id [S_ID_MAX];
    int64_t at;
    if (kf_key_scan (key.data, key.size, "s|t|s", estate, sizeof estate, &at, visit_id, sizeof visit_id))
        return kf_txn_fail (txn, "an outcome key does not parse");
    survey_tally_answer (arg, txn, estate, at, (const Kf__VisitCompleted *) message);
    return kf_txn_ok (txn) ? 0 : -1;
}

static int
s_count_due (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) value;
    survey_t *self = arg;
    char estate [KF_ID_MAX + 1], visit_id [S_ID_MAX];
    int64_t minus_due;
    if (kf_key_scan (key.data, key.size, "s|t|s", estate, sizeof estate, &minus_due, visit_id, sizeof visit_id))
        return kf_txn_fail (txn, "a visit's index key does not parse");
    kf_arena_reset (self->base.scratch);
    Kf__Visit *visit = survey_visit_get (self, txn, visit_id, self->base.scratch);
    survey_tally_due (self, txn, estate, -minus_due, false);
    if (visit && visit->result && visit->result->on_time)
        survey_tally_due (self, txn, estate, -minus_due, true);
    return kf_txn_ok (txn) ? 0 : -1;
}

int
survey_tally_build (survey_t *self, kf_txn_t *txn, uint64_t *built)
{
    survey_tables (self, txn);
    *built = 0;
    int rc = kf_txn_rebuild_once (txn, self->tallies, S_BUILT);
    if (rc <= 0)
        return rc;
    *built = kf_txn_count (txn, self->outcomes) + kf_txn_count (txn, self->by_estate);
    if (kf_txn_scan_msg (txn, self->outcomes, NULL, &kf__visit_completed__descriptor, s_count_answer, self) < 0
    ||  kf_txn_scan (txn, self->by_estate, NULL, s_count_due, self) < 0)
        return -1;
    return 0;
}
