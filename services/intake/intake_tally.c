/*  intake_tally — what lets a list answer in the time of its page (issue
    25.3): an index of each estate's tickets by status (by_status: estate,
    status, filed at, ticket) and a count per estate, status and UTC day
    of filing (tallies), both kept in the transaction that saves the
    ticket. A list of an estate's tickets, of one status or all, over any
    filing period, takes its total from the tallies of the whole days in
    the period and a count of the index's rows in the part-days at its
    ends, never from a walk over every ticket. See intake_private.h.
*/
#include "intake_private.h"

#define S_DAY_MS  86400000LL
#define S_BUILT   "built"          //  the tallies' own key: built from the tickets once

static const Kf__TicketStatus s_statuses [] = {
    KF__TICKET_STATUS__TICKET_STATUS_OPEN, KF__TICKET_STATUS__TICKET_STATUS_CLOSED,
    KF__TICKET_STATUS__TICKET_STATUS_CANCELLED,
};
#define S_STATUSES (sizeof s_statuses / sizeof s_statuses [0])

//  The count of (estate, status, day) moves by delta.
static void
s_tally_add (intake_t *self, kf_txn_t *txn, const char *estate, Kf__TicketStatus status, int64_t day, int64_t delta)
{
    kf_key_t key;
    kf_key_make (&key, "s|u|t", estate, (uint32_t) status, day);
    kf_txn_add (txn, self->tallies, &key, delta);
}

//  The ticket's row of the status index under `status`: found or not.
static bool
s_indexed (intake_t *self, kf_txn_t *txn, const Kf__Ticket *ticket, Kf__TicketStatus status, kf_key_t *key)
{
    kf_val_t found;
    kf_key_make (key, "s|u|t|s", ticket->estate, (uint32_t) status, ticket->filed_at_ms, ticket->ticket_no);
    return kf_txn_get (txn, self->by_status, key, &found) == KF_FOUND;
}

int
intake_tally_save (intake_t *self, kf_txn_t *txn, const Kf__Ticket *ticket)
{
    //  Most saves (a note, a timeline's line, overdue) keep the status:
    //  one lookup in the index, no ticket read back.
    kf_key_t key;
    if (!ticket->estate || !ticket->ticket_no || s_indexed (self, txn, ticket, ticket->status, &key))
        return kf_txn_ok (txn) ? 0 : -1;
    int64_t day = ticket->filed_at_ms / S_DAY_MS;
    for (size_t i = 0; i < S_STATUSES; i++) {
        kf_key_t was;
        if (s_statuses [i] != ticket->status && s_indexed (self, txn, ticket, s_statuses [i], &was)) {
            kf_txn_del (txn, self->by_status, &was);
            s_tally_add (self, txn, ticket->estate, s_statuses [i], day, -1);
        }
    }
    kf_txn_put (txn, self->by_status, &key, "", 0);
    s_tally_add (self, txn, ticket->estate, ticket->status, day, 1);
    return kf_txn_ok (txn) ? 0 : -1;
}

typedef struct {
    intake_t *self;
    uint64_t count;
} s_build_t;

kf_table_t
intake_index_range (intake_t *self, const char *estate, Kf__TicketStatus status, int64_t to, kf_key_t *prefix,
                    kf_key_t *top)
{
    if (status) {
        kf_key_make (prefix, "s|u|", estate, (uint32_t) status);
        kf_key_make (top, "s|u|t", estate, (uint32_t) status, to);
        return self->by_status;
    }
    kf_key_make (prefix, "s|", estate);
    kf_key_make (top, "s|t", estate, to);
    return self->by_estate;
}

static int
s_build_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *message, void *arg)
{
    (void) key;
    s_build_t *b = arg;
    b->count++;
    return intake_tally_save (b->self, txn, (const Kf__Ticket *) message) ? -1 : 0;
}

int
intake_tally_build (intake_t *self, kf_txn_t *txn, uint64_t *built)
{
    intake_tables (self, txn);
    *built = 0;
    int rc = kf_txn_rebuild_once (txn, self->tallies, S_BUILT);
    if (rc <= 0)
        return rc;
    //  A store from before the tallies: every ticket counted once, now,
    //  into an empty index too (a recovery from the archive runs ahead of
    //  the start's build: what its saves indexed would count twice).
    if (kf_txn_clear (txn, self->by_status))
        return -1;
    s_build_t b = { self, 0 };
    if (kf_txn_scan_msg (txn, self->tickets, NULL, &kf__ticket__descriptor, s_build_row, &b) < 0)
        return -1;
    *built = b.count;
    return 0;
}

//  Rows of the index in [from, to): a count, through the page walk's rows.
typedef struct {
    int64_t from;
    bool status;   //  the by_status index's keys, else by_estate's
} s_edge_t;

static int
s_edge_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, bool show, void *arg)
{
    (void) value; (void) show;
    s_edge_t *e = arg;
    char estate [KF_ID_MAX + 1], ticket_no [64];
    uint32_t status;
    int64_t at;
    if (e->status ? kf_key_scan (key.data, key.size, "s|u|t|s", estate, sizeof estate, &status, &at, ticket_no,
                                 sizeof ticket_no)
                  : kf_key_scan (key.data, key.size, "s|t|s", estate, sizeof estate, &at, ticket_no, sizeof ticket_no))
        return kf_txn_fail (txn, "a ticket index key does not decode");
    return at < e->from ? 2 : 1;
}

static int
s_edge_count (intake_t *self, kf_txn_t *txn, const char *estate, Kf__TicketStatus status, int64_t from, int64_t to,
              kf_arena_t *arena, uint64_t *count)
{
    if (from >= to)
        return 0;
    kf_key_t prefix, top;
    kf_table_t index = intake_index_range (self, estate, status, to, &prefix, &top);
    s_edge_t e = { from, status != 0 };
    kf_page_t page;
    if (kf_page_walk (txn, index, &prefix, &top, NULL, 1, s_edge_row, &e, arena, &page))
        return -1;
    *count += page.total;
    return 0;
}

int
intake_tally_total (intake_t *self, kf_txn_t *txn, const char *estate, Kf__TicketStatus status, int64_t from,
                    int64_t to, kf_arena_t *arena, uint64_t *total)
{
    *total = 0;
    from = from < 0 ? 0 : from;
    if (from >= to)
        return 0;
    //  Whole days from the tallies; the part-days at the ends from the index.
    int64_t first_day = from / S_DAY_MS + (from % S_DAY_MS != 0);   //  no overflow near INT64_MAX
    int64_t end_day = to == INT64_MAX ? INT64_MAX / S_DAY_MS : to / S_DAY_MS;
    if (first_day >= end_day)
        return s_edge_count (self, txn, estate, status, from, to, arena, total);
    if (s_edge_count (self, txn, estate, status, from, first_day * S_DAY_MS, arena, total)
    ||  (to != INT64_MAX && s_edge_count (self, txn, estate, status, end_day * S_DAY_MS, to, arena, total)))
        return -1;
    for (size_t i = 0; i < S_STATUSES; i++) {
        if (status && s_statuses [i] != status)
            continue;
        kf_key_t prefix, start;
        kf_key_make (&prefix, "s|u|", estate, (uint32_t) s_statuses [i]);
        kf_key_make (&start, "s|u|t", estate, (uint32_t) s_statuses [i], first_day);
        kf_cursor_t *cursor = kf_cursor_open (txn, self->tallies);
        kf_val_t k, v;
        int rc = cursor ? kf_cursor_seek (cursor, &start, &k, &v) : -1;
        for (; rc == KF_FOUND && kf_key_has_prefix (k, &prefix); rc = kf_cursor_next (cursor, &k, &v)) {
            char e [KF_ID_MAX + 1];
            uint32_t s;
            int64_t day;
            kf_key_t tally = { .size = k.size };
            if (kf_key_scan (k.data, k.size, "s|u|t", e, sizeof e, &s, &day) || k.size > sizeof tally.data) {
                kf_cursor_close (&cursor);
                return kf_txn_fail (txn, "a tally does not decode");
            }
            if (day >= end_day)
                break;
            memcpy (tally.data, k.data, k.size);
            *total += kf_txn_counter (txn, self->tallies, &tally);
        }
        kf_cursor_close (&cursor);
        if (rc < 0 || !kf_txn_ok (txn))
            return -1;
    }
    return 0;
}
