/*  escalation_tally — what lets the on-time report answer for a year or
    the whole group without reading every outcome (issue 25.3): counts per
    estate and UTC day, kept in the transaction that writes the records
    they count. An outcome counts under its deadline's day, by category and
    by department (total and on time); a valid complaint under its filing
    day (valid, and handled). The report takes the whole days of its
    period from here and reads the records of the part-days at its ends.
    See escalation_private.h.
*/
#include "escalation_private.h"
#include "kf_tally.h"

#define S_BUILT   "built"          //  the tallies' own key: counted from the records once

//  A tally's key: estate, day (its first UTC ms), what is counted
//  (ESCALATION_TALLY_*), its slot (the category or department; 0 for
//  complaints) and which count (0: all, 1: on time / handled).
static void
s_key (kf_key_t *key, const char *estate, int64_t day, uint32_t what, uint32_t slot, uint32_t which)
{
    kf_key_make (key, "s|t|u|u|u", estate, day, what, slot, which);
}

void
escalation_tally_outcome (escalation_t *self, kf_txn_t *txn, const char *estate, int64_t deadline_ms,
                          const Kf__SlaMet *m, int delta)
{
    int64_t day = kf_utc_midnight_before (deadline_ms);
    const uint32_t slots [2] = { (uint32_t) m->category, (uint32_t) m->department };
    for (uint32_t what = 0; what < 2; what++) {
        kf_key_t key;
        s_key (&key, estate, day, what, slots [what], 0);
        kf_txn_add (txn, self->tallies, &key, delta);
        if (m->on_time) {
            s_key (&key, estate, day, what, slots [what], 1);
            kf_txn_add (txn, self->tallies, &key, delta);
        }
    }
}

void
escalation_tally_complaint (escalation_t *self, kf_txn_t *txn, const char *estate, int64_t filed_at_ms, char state,
                            int delta)
{
    int64_t day = kf_utc_midnight_before (filed_at_ms);
    kf_key_t key;
    s_key (&key, estate, day, ESCALATION_TALLY_COMPLAINTS, 0, 0);
    kf_txn_add (txn, self->tallies, &key, delta);
    if (state == '1') {
        s_key (&key, estate, day, ESCALATION_TALLY_COMPLAINTS, 0, 1);
        kf_txn_add (txn, self->tallies, &key, delta);
    }
}

typedef struct {
    escalation_tally_fn *fn;
    void *arg;
} s_read_t;

static int
s_read_one (kf_txn_t *txn, kf_val_t key, uint64_t count, void *arg)
{
    (void) txn;
    s_read_t *r = arg;
    char id [S_ID_SIZE];
    int64_t day;
    uint32_t what, slot, which;
    if (kf_key_scan (key.data, key.size, "s|t|u|u|u", id, sizeof id, &day, &what, &slot, &which))
        return -1;
    r->fn (what, slot, which, count, r->arg);
    return 0;
}

int
escalation_tally_read (escalation_t *self, kf_txn_t *txn, const char *estate, int64_t from, int64_t to,
                       escalation_tally_fn *fn, void *arg)
{
    s_read_t r = { fn, arg };
    return kf_tally_walk (txn, self->tallies, estate, from, to, s_read_one, &r);
}

//  ---- built once, for a store from before the tallies ----------------------------------------

static int
s_count_outcome (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    escalation_t *self = arg;
    char estate [S_ID_SIZE], ticket_no [64];
    int64_t deadline;
    uint32_t target, round;
    if (kf_key_scan (key.data, key.size, "s|t|s|u|u", estate, sizeof estate, &deadline, ticket_no, sizeof ticket_no,
                     &target, &round))
        return kf_txn_fail (txn, "an outcome's key does not decode");
    Kf__SlaMet *m = (Kf__SlaMet *) kf_codec_unpack (&kf__sla_met__descriptor, value.data, value.size, NULL);
    if (!m)
        return kf_txn_fail (txn, "an outcome does not decode");
    escalation_tally_outcome (self, txn, estate, deadline, m, 1);
    kf_codec_free ((ProtobufCMessage **) &m);
    return kf_txn_ok (txn) ? 0 : -1;
}

static int
s_count_complaint (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    char estate [S_ID_SIZE], ticket_no [64];
    int64_t filed;
    if (kf_key_scan (key.data, key.size, "s|t|s", estate, sizeof estate, &filed, ticket_no, sizeof ticket_no)
    ||  value.size != 1)
        return kf_txn_fail (txn, "a complaint's record does not decode");
    escalation_tally_complaint (arg, txn, estate, filed, *(const char *) value.data, 1);
    return kf_txn_ok (txn) ? 0 : -1;
}

int
escalation_tally_build (escalation_t *self, kf_txn_t *txn, uint64_t *built)
{
    escalation_tables (self, txn);
    *built = 0;
    int rc = kf_txn_rebuild_once (txn, self->tallies, S_BUILT);
    if (rc <= 0)
        return rc;
    *built = kf_txn_count (txn, self->outcomes) + kf_txn_count (txn, self->complaints);
    if (kf_txn_scan (txn, self->outcomes, NULL, s_count_outcome, self) < 0
    ||  kf_txn_scan (txn, self->complaints, NULL, s_count_complaint, self) < 0)
        return -1;
    return 0;
}
