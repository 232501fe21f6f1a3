/*  intake_commands — filing a ticket (idempotent on its key, numbered per
    estate and local day), the steps of its life, and showing it. See
    intake_private.h.
*/
#include "intake_private.h"

//  ---- commands -------------------------------------------------------------------

//  A ticket as filed (the caller's `ticket`, filled in here), with its
//  idempotency record and indexes: for a filing, and for a ticket.filed of
//  ours taken back from the archive after a restore.
int
intake_store_filed (intake_t *self, kf_txn_t *txn, Kf__Ticket *ticket, const char *estate, Kf__TicketFiled *filed,
                    int64_t at_ms, uint64_t request_hash)
{
    ticket->ticket_no = filed->ticket_no;
    ticket->estate = (char *) estate;
    ticket->filed = filed;
    KF_SET (ticket, status, KF__TICKET_STATUS__TICKET_STATUS_OPEN);
    KF_SET (ticket, filed_at_ms, at_ms);
    intake_save (self, txn, ticket);

    kf_key_t key;
    Kf__IdempotencyRecord record = KF__IDEMPOTENCY_RECORD__INIT;
    record.ticket_no = filed->ticket_no;
    KF_SET (&record, request_hash, request_hash);
    kf_key_make (&key, "s|s", estate, filed->idempotency_key);
    kf_txn_put_msg (txn, self->idempotency, &key, &record.base);
    kf_key_make (&key, "t|s", at_ms, filed->ticket_no);
    kf_txn_put (txn, self->by_filed, &key, "", 0);
    kf_key_make (&key, "s|t|s", estate, at_ms, filed->ticket_no);
    kf_txn_put (txn, self->by_estate, &key, "", 0);
    return kf_txn_ok (txn) ? 0 : -1;
}

//  What one of intake's own events does to its ticket: the one place a
//  ticket's status moves, for a request and for an event taken back from
//  the archive alike.
void
intake_evolve (Kf__Ticket *ticket, const Kf__Envelope *event, int64_t at_ms)
{
    Kf__TicketStatus status = ticket->status;
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_TICKET_CLOSED:
            ticket->status = KF__TICKET_STATUS__TICKET_STATUS_CLOSED;
            KF_SET (ticket, closed_at_ms, at_ms);
            ticket->resolution = event->ticket_closed->resolution;
            break;
        case KF__ENVELOPE__BODY_TICKET_REOPENED:
            ticket->status = KF__TICKET_STATUS__TICKET_STATUS_OPEN;
            KF_SET (ticket, reopen_count, event->ticket_reopened->reopen_count);
            break;
        case KF__ENVELOPE__BODY_TICKET_CANCELLED:
            ticket->status = KF__TICKET_STATUS__TICKET_STATUS_CANCELLED;
            ticket->cancel_reason = event->ticket_cancelled->reason;
            break;
        default:
            break;   //  a note changes the timeline only
    }
    if (ticket->status != status)
        ticket->has_status = 1;
}

int
intake_file (intake_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
             kf_arena_t *arena)
{
    if (intake_check_filing (self, request, reply, arena))
        return -1;
    const Kf__FileTicket *f = request->file_ticket;
    const kf_estate_t *estate = intake_owned (self, f->estate)->estate;
    uint64_t hash = kf_codec_digest (&f->base);

    //  A retry: the same ticket, nothing new.
    kf_key_t key;
    kf_key_make (&key, "s|s", f->estate, f->idempotency_key);
    Kf__IdempotencyRecord *seen = NULL;
    int rc = kf_txn_get_msg (txn, self->idempotency, &key, &kf__idempotency_record__descriptor,
                             (ProtobufCMessage **) &seen);
    if (rc == KF_FOUND) {
        char ticket_no [S_TICKET_NO_MAX + 1];
        snprintf (ticket_no, sizeof ticket_no, "%s", seen->ticket_no ? seen->ticket_no : "");
        bool same = seen->request_hash == hash;
        kf_codec_free ((ProtobufCMessage **) &seen);
        //  An owner is not told another filing's number (it may be another unit's).
        if (!same)
            return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_CONFLICT, arena,
                                   "idempotency_key '%s' already filed %s with other details", f->idempotency_key,
                                   request->role == KF__ROLE__ROLE_OWNER ? "a case" : ticket_no);
        Kf__Ticket *ticket = intake_load (self, txn, request, ticket_no, reply, arena);
        return ticket ? intake_reply_ticket (self, txn, ticket, reply, arena) : -1;
    }
    if (rc != KF_NOTFOUND)
        return -1;
    const char *unit, *reporter_name;
    if (intake_register_unit (self, txn, f, &unit, &reporter_name, reply, arena))
        return -1;

    //  <estate>-<yyyymmdd>-<nnnn>, numbered per estate and local day.
    uint32_t yyyymmdd = kf_day_to_yyyymmdd (kf_local_day (now_ms, estate->utc_offset_min));
    kf_key_make (&key, "s|s|u", "number", estate->id, yyyymmdd);
    uint64_t n = kf_txn_next (txn, self->counters, &key);
    char ticket_no [S_TICKET_NO_MAX + 1];
    snprintf (ticket_no, sizeof ticket_no, "%s-%08" PRIu32 "-%04" PRIu64, estate->id, yyyymmdd, n);

    //  Built in the arena: the event, the stored ticket and the reply share it.
    Kf__TicketFiled *filed = (Kf__TicketFiled *) kf_arena_message (arena, &kf__ticket_filed__descriptor);
    Kf__Ticket *ticket = (Kf__Ticket *) kf_arena_message (arena, &kf__ticket__descriptor);
    if (!filed || !ticket || !(filed->ticket_no = kf_arena_strdup (arena, ticket_no)))
        return kf_txn_fail (txn, "out of memory");
    filed->unit = (char *) unit;
    filed->reporter_name = (char *) reporter_name;
    filed->reporter_phone = f->reporter_phone;
    KF_SET (filed, type, f->type);
    KF_SET (filed, channel, f->channel);
    KF_SET (filed, category, f->category);
    KF_SET (filed, priority, intake_priority (self, f->estate, f));
    filed->description = f->description;
    filed->n_photo_urls = f->n_photo_urls;
    filed->photo_urls = f->photo_urls;
    filed->n_hazards = f->n_hazards;
    filed->hazards = f->hazards;
    filed->filed_by = request->actor && *request->actor ? request->actor : "unknown";
    filed->idempotency_key = f->idempotency_key;

    intake_store_filed (self, txn, ticket, f->estate, filed, now_ms, hash);

    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.estate = f->estate;
    event.body_case = KF__ENVELOPE__BODY_TICKET_FILED;
    event.ticket_filed = filed;
    intake_publish (self, txn, now_ms, &event, ticket_no, filed->filed_by);
    return intake_reply_ticket (self, txn, ticket, reply, arena);
}

static bool
s_may_cancel (Kf__Role role)
{
    return role == KF__ROLE__ROLE_SUPERVISOR || role == KF__ROLE__ROLE_MANAGER;
}

//  Note, close, reopen and cancel: one ticket, one transition, one event.
int
intake_transition (intake_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                   kf_arena_t *arena)
{
    const char *ticket_no = NULL, *text = NULL, *what = NULL;
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_ADD_NOTE:
            ticket_no = request->add_note->ticket_no;
            text = request->add_note->note;
            what = "note";
            break;
        case KF__REQUEST__COMMAND_CLOSE_TICKET:
            ticket_no = request->close_ticket->ticket_no;
            text = request->close_ticket->resolution;
            what = "resolution";
            break;
        case KF__REQUEST__COMMAND_REOPEN_TICKET:
            ticket_no = request->reopen_ticket->ticket_no;
            text = request->reopen_ticket->reason;
            what = "reason";
            break;
        case KF__REQUEST__COMMAND_CANCEL_TICKET:
            ticket_no = request->cancel_ticket->ticket_no;
            text = request->cancel_ticket->reason;
            what = "reason";
            if (!s_may_cancel (request->role))
                return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN, arena,
                                       "only a supervisor may cancel a ticket");
            break;
        default:
            assert (false);
    }
    Kf__Ticket *ticket = intake_load (self, txn, request, ticket_no, reply, arena);
    if (!ticket)
        return -1;
    kf_err_t err;
    if (kf_text_check (what, text, INTAKE_TEXT_MAX, &err))
        return KF_BAD ("%s", err.text);
    const char *actor = request->actor && *request->actor ? request->actor : "unknown";
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.estate = ticket->estate;
    Kf__TicketNoteAdded note = KF__TICKET_NOTE_ADDED__INIT;
    Kf__TicketClosed closed = KF__TICKET_CLOSED__INIT;
    Kf__TicketReopened reopened = KF__TICKET_REOPENED__INIT;
    Kf__TicketCancelled cancelled = KF__TICKET_CANCELLED__INIT;
    Kf__TicketStatus status = ticket->status;
    bool cancelled_already = status == KF__TICKET_STATUS__TICKET_STATUS_CANCELLED;
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_ADD_NOTE:
            note.ticket_no = ticket->ticket_no;
            note.note = (char *) text;
            note.author = (char *) actor;
            event.body_case = KF__ENVELOPE__BODY_TICKET_NOTE_ADDED;
            event.ticket_note_added = &note;
            break;
        case KF__REQUEST__COMMAND_CLOSE_TICKET:
            if (status != KF__TICKET_STATUS__TICKET_STATUS_OPEN)
                return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_CONFLICT, arena,
                                       "ticket %s is not open", ticket->ticket_no);
            closed.ticket_no = ticket->ticket_no;
            closed.resolution = (char *) text;
            closed.closed_by = (char *) actor;
            closed.category = ticket->filed->category;
            closed.has_category = ticket->filed->has_category;
            closed.type = ticket->filed->type;
            closed.has_type = ticket->filed->has_type;
            closed.unit = ticket->filed->unit;
            event.body_case = KF__ENVELOPE__BODY_TICKET_CLOSED;
            event.ticket_closed = &closed;
            break;
        case KF__REQUEST__COMMAND_REOPEN_TICKET:
            if (status != KF__TICKET_STATUS__TICKET_STATUS_CLOSED)
                return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_CONFLICT, arena,
                                       "ticket %s is not closed", ticket->ticket_no);
            reopened.ticket_no = ticket->ticket_no;
            reopened.reason = (char *) text;
            reopened.reopened_by = (char *) actor;
            KF_SET (&reopened, cause, KF__REOPEN_CAUSE__REOPEN_CAUSE_STAFF);
            KF_SET (&reopened, reopen_count, ticket->reopen_count + 1);
            event.body_case = KF__ENVELOPE__BODY_TICKET_REOPENED;
            event.ticket_reopened = &reopened;
            break;
        case KF__REQUEST__COMMAND_CANCEL_TICKET:
            if (cancelled_already)
                return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_CONFLICT, arena,
                                       "ticket %s is cancelled already", ticket->ticket_no);
            cancelled.ticket_no = ticket->ticket_no;
            cancelled.reason = (char *) text;
            cancelled.cancelled_by = (char *) actor;
            event.body_case = KF__ENVELOPE__BODY_TICKET_CANCELLED;
            event.ticket_cancelled = &cancelled;
            break;
        default:
            assert (false);
    }
    intake_evolve (ticket, &event, now_ms);
    intake_save (self, txn, ticket);
    intake_publish (self, txn, now_ms, &event, ticket->ticket_no, actor);
    return intake_reply_ticket (self, txn, ticket, reply, arena);
}

int
intake_show (intake_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    Kf__Ticket *ticket = intake_load (self, txn, request, request->show_ticket->ticket_no, reply, arena);
    if (!ticket || intake_reply_ticket (self, txn, ticket, reply, arena))
        return -1;
    intake_owner_view (request, ticket, arena);
    return 0;
}
