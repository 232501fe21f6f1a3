/*  intake_list — the paged list of tickets, newest first, with its filters
    and total. See intake_private.h.
*/
#include "intake_private.h"

//  ---- list -----------------------------------------------------------------------

//  Whether `text` holds `part`, ASCII letters in any case (Chinese as it is).
static bool
s_holds (const char *text, const char *part)
{
    size_t n = strlen (part);
    for (const char *p = text; p && *p; p++) {
        size_t i = 0;
        while (i < n && p [i] && tolower ((unsigned char) p [i]) == tolower ((unsigned char) part [i]))
            i++;
        if (i == n)
            return true;
    }
    return false;
}

static bool
s_matches (const Kf__ListTickets *q, const Kf__Ticket *t)
{
    const Kf__TicketFiled *f = t->filed;
    return (!q->has_status || q->status == 0 || q->status == t->status)
        && (!q->has_type || q->type == 0 || (f && q->type == f->type))
        && (!q->has_category || q->category == 0 || (f && q->category == f->category))
        && (!q->unit || !*q->unit || (f && f->unit && strcmp (q->unit, f->unit) == 0))
        && (!q->reporter_phone || !*q->reporter_phone
            || (f && f->reporter_phone && strcmp (q->reporter_phone, f->reporter_phone) == 0))
        && (!q->overdue || t->overdue)
        && (!q->text || !*q->text
            || (f && (s_holds (f->description, q->text) || s_holds (f->unit, q->text)
                      || s_holds (f->reporter_name, q->text))));
}

typedef struct {
    intake_t *self;
    const Kf__ListTickets *query;
    const char *estate;
    int64_t from;
    Kf__TicketList *list;
    kf_arena_t *arena;
    const Kf__Request *request;
    bool by_status;   //  walking the by_status index (estate, status, filed at, ticket)
} s_list_t;

//  A list of an estate's tickets filtered by nothing but their status and
//  filing period: its page from an index, its total from the tallies.
static bool
s_plain (const Kf__ListTickets *q)
{
    return !(q->has_type && q->type) && !(q->has_category && q->category) && !(q->unit && *q->unit)
        && !(q->reporter_phone && *q->reporter_phone) && !(q->text && *q->text) && !q->overdue;
}

static int
s_list_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, bool show, void *arg)
{
    (void) value;
    s_list_t *l = arg;
    char ticket_no [S_TICKET_NO_MAX + 1], e [KF_ID_MAX + 1];
    int64_t at;
    uint32_t status;
    if (l->by_status ? kf_key_scan (key.data, key.size, "s|u|t|s", e, sizeof e, &status, &at, ticket_no,
                                    sizeof ticket_no)
      : l->estate ? kf_key_scan (key.data, key.size, "s|t|s", e, sizeof e, &at, ticket_no, sizeof ticket_no)
                  : kf_key_scan (key.data, key.size, "t|s", &at, ticket_no, sizeof ticket_no))
        return kf_txn_fail (txn, "a ticket index key does not decode");
    if (at < l->from)
        return 2;
    kf_key_t tk;
    Kf__Ticket *ticket = NULL;
    kf_key_make (&tk, "s", ticket_no);
    int rc = kf_txn_get_msg_in (txn, l->self->tickets, &tk, &kf__ticket__descriptor, l->arena,
                                (ProtobufCMessage **) &ticket);
    if (rc == KF_NOTFOUND)
        return kf_txn_fail (txn, "index names ticket %s, which is not there", ticket_no);
    if (rc != KF_FOUND)
        return -1;
    if (!s_matches (l->query, ticket))
        return 0;
    if (show) {
        intake_owner_view (l->request, ticket, l->arena);
        l->list->tickets [l->list->n_tickets++] = ticket;
    }
    return 1;
}

int
intake_list (intake_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ListTickets *q = request->list_tickets;
    const char *estate = q->estate && *q->estate ? q->estate : NULL;
    if (estate && !kf_request_sees (request, estate))
        return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, "unknown estate '%s'", estate);
    if (!estate && request->scope && *request->scope)
        estate = request->scope;
    if (request->role == KF__ROLE__ROLE_OWNER && !kf_request_sees_unit (request, estate, q->unit))
        return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN, arena,
                               "an owner lists the cases of their own unit, %s", request->unit);
    if (estate && !intake_owned (self, estate))
        return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena,
                               kf_config_estate_find (self->base.config, estate)
                               ? "estate %s is filed by another intake instance" : "unknown estate '%s'", estate);
    int64_t to = q->filed && q->filed->has_to_ms ? q->filed->to_ms : INT64_MAX;
    uint32_t page_size = kf_page_size (q->page, INTAKE_PAGE_DEFAULT, INTAKE_PAGE_MAX);
    s_list_t l = {
        .self = self, .query = q, .estate = estate, .arena = arena, .request = request,
        .from = q->filed && q->filed->has_from_ms ? q->filed->from_ms : INT64_MIN,
        .list = (Kf__TicketList *) kf_arena_message (arena, &kf__ticket_list__descriptor),
    };
    if (l.list)
        l.list->tickets = kf_arena_alloc (arena, page_size * sizeof *l.list->tickets);
    if (!l.list || !l.list->tickets)
        return kf_txn_fail (txn, "out of memory");

    //  Newest first: from the end of the range backwards. A plain list
    //  walks one page of its index and takes its total from the tallies;
    //  a filtered one counts what matches as it walks.
    kf_key_t prefix = { 0 }, top;
    bool plain = estate && s_plain (q);
    Kf__TicketStatus status = plain && q->has_status ? q->status : 0;
    l.by_status = status != 0;
    kf_table_t index = self->by_filed;
    if (estate)
        index = intake_index_range (self, estate, status, to, &prefix, &top);
    else
        kf_key_make (&top, "t", to);
    kf_page_t page;
    uint64_t total = 0;
    int rc = plain ? kf_page_walk_page (txn, index, &prefix, &top, q->page, page_size, s_list_row, &l, arena, &page)
                   : kf_page_walk (txn, index, &prefix, &top, q->page, page_size, s_list_row, &l, arena, &page);
    if (kf_page_result (rc, reply, arena)
    ||  (plain && intake_tally_total (self, txn, estate, status, l.from, to, arena, &total)))
        return -1;
    KF_SET (l.list, total, plain ? total : page.total);
    l.list->next_page_token = page.next_token;
    reply->result_case = KF__REPLY__RESULT_TICKETS;
    reply->tickets = l.list;
    return 0;
}
