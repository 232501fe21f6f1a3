/*  billing_units — the units billing bills: learnt from the registry's
    unit.registered (billing keeps each unit's money, the registry its
    shape and people), and the paged list of an estate's units. See
    billing_private.h.
*/
#include "billing_private.h"

void
billing_unit_learn (billing_t *self, kf_txn_t *txn, const char *estate, const Kf__Unit *registered,
                    kf_arena_t *arena)
{
    Kf__Unit unit = *registered;
    Kf__Unit *known = billing_unit_get (self, txn, estate, unit.unit, arena);
    unit.estate = (char *) estate;
    //  Its money is billing's: what the statement says, never the event.
    unit.has_credit_fen = unit.has_balance_fen = 0;
    if (known) {
        KF_SET (&unit, credit_fen, known->credit_fen);
        KF_SET (&unit, balance_fen, known->balance_fen);
    }
    else {
        kf_key_t key;
        kf_key_make (&key, "s|s", "units", estate);   //  the estate's unit count
        kf_txn_next (txn, self->counters, &key);
    }
    billing_unit_put (self, txn, &unit);
}

uint64_t
billing_unit_count (billing_t *self, kf_txn_t *txn, const char *estate)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", "units", estate);
    return kf_txn_counter (txn, self->counters, &key);
}

typedef struct {
    Kf__UnitList *list;
    kf_arena_t *arena;
} s_units_t;

static int
s_units_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, bool show, void *arg)
{
    (void) key;
    s_units_t *l = arg;
    if (!show)
        return 1;
    kf_err_t err;
    Kf__Unit *u = (Kf__Unit *) kf_codec_unpack_in (l->arena, &kf__unit__descriptor, value.data, value.size, &err);
    if (!u)
        return kf_txn_fail (txn, "a unit record does not decode: %s", err.text);
    l->list->units [l->list->n_units++] = u;
    return 1;
}

int
billing_list_units (billing_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ListUnits *q = request->list_units;
    const billing_estate_t *e = billing_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    uint32_t size = kf_page_size (q->page, BILLING_PAGE_DEFAULT, BILLING_PAGE_MAX);
    s_units_t l = { (Kf__UnitList *) kf_arena_message (arena, &kf__unit_list__descriptor), arena };
    if (!l.list || !(l.list->units = kf_arena_alloc (arena, size * sizeof *l.list->units)))
        return kf_txn_fail (txn, "out of memory");
    kf_key_t prefix, top;
    kf_key_make (&prefix, "s|", e->estate->id);
    kf_key_make (&top, "s|s", e->estate->id, "\x7f");
    kf_page_t page;
    int rc = kf_page_walk (txn, self->units, &prefix, &top, q->page, size, s_units_row, &l, arena, &page);
    if (kf_page_result (rc, reply, arena))
        return -1;
    KF_SET (l.list, total, page.total);
    l.list->next_page_token = page.next_token;
    reply->result_case = KF__REPLY__RESULT_UNITS;
    reply->units = l.list;
    return 0;
}
