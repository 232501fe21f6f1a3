/*  intake — tickets over a store transaction. See intake.h.  */
#include "intake.h"
#include "kf_commands.h"
#include "kf_domain.h"
#include "kf_field.h"
#include "kf_page.h"
#include "kf_summary.h"
#include "kf_time.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_PHOTOS_MAX   9
#define S_HAZARDS_MAX  8
#define S_URL_MAX      1024
#define S_NAME_MAX     64      //  characters of a reporter's name
#define S_KEY_MAX      128     //  bytes of an idempotency key
#define S_TICKET_NO_MAX (KF_ID_MAX + 24)

//  One level of priority rules: which values of each field match.
typedef struct {
    bool type [32], channel [32], category [32], hazard [32];
} s_level_t;

//  Levels in the order they are tried; the rest is normal.
enum { S_EMERGENCY, S_URGENT, S_LOW, S_LEVELS };
static const char *s_level_names [S_LEVELS] = { "emergency", "urgent", "low" };
static const Kf__Priority s_level_priority [S_LEVELS] = {
    KF__PRIORITY__PRIORITY_EMERGENCY, KF__PRIORITY__PRIORITY_URGENT, KF__PRIORITY__PRIORITY_LOW
};

typedef struct {
    const kf_estate_t *estate;
    s_level_t levels [S_LEVELS];
} s_owned_t;

struct _intake_t {
    kf_config_t *config;
    kf_outbox_t *outbox;
    char producer [KF_ID_MAX * 2 + 2];
    s_owned_t *owned;
    size_t owned_count;
    const char **estate_ids;   //  NULL-terminated, for the bus
    kf_table_t tickets, timeline, idempotency, counters, by_filed, by_estate;
    bool tables_known;
};

//  ---- set-up -----------------------------------------------------------------

static int
s_keep_term (const char *field, int value, void *arg)
{
    s_level_t *level = arg;
    if (value < 0 || value >= 32 || strcmp (field, "priority") == 0)
        return -1;   //  priority rules cannot be made of priorities
    if (strcmp (field, "type") == 0)
        level->type [value] = true;
    else
    if (strcmp (field, "channel") == 0)
        level->channel [value] = true;
    else
    if (strcmp (field, "category") == 0)
        level->category [value] = true;
    else
        level->hazard [value] = true;
    return 0;
}

intake_t *
intake_new (kf_config_t *config, const char *producer, kf_err_t *err)
{
    assert (config && producer);
    intake_t *self = calloc (1, sizeof *self);
    size_t estates = kf_config_estate_count (config);
    if (self) {
        self->owned = calloc (estates, sizeof *self->owned);
        self->estate_ids = calloc (estates + 1, sizeof *self->estate_ids);
    }
    if (!self || !self->owned || !self->estate_ids) {
        kf_err_set (err, "out of memory");
        intake_destroy (&self);
        return NULL;
    }
    self->config = config;
    snprintf (self->producer, sizeof self->producer, "%s", producer);
    for (size_t i = 0; i < estates; i++) {
        const kf_estate_t *estate = kf_config_estate (config, i);
        if (strcmp (estate->intake, producer) != 0)
            continue;
        s_owned_t *owned = &self->owned [self->owned_count++];
        owned->estate = estate;
        self->estate_ids [self->owned_count - 1] = estate->id;
        for (int level = 0; level < S_LEVELS; level++) {
            char rule [64], path [128];
            snprintf (rule, sizeof rule, "priority/%s", s_level_names [level]);
            const char *terms = kf_config_str (config, kf_config_rule (config, estate->id, rule, path, sizeof path));
            if (kf_config_terms (terms, s_keep_term, &owned->levels [level], err)) {
                kf_err_prefix (err, "%s", path);
                intake_destroy (&self);
                return NULL;
            }
        }
    }
    if (self->owned_count == 0) {
        kf_err_set (err, "no estate is filed by %s (see estates/<id>/intake)", producer);
        intake_destroy (&self);
        return NULL;
    }
    return self;
}

void
intake_destroy (intake_t **self_p)
{
    assert (self_p);
    intake_t *self = *self_p;
    if (self) {
        free (self->owned);
        free (self->estate_ids);
        free (self);
        *self_p = NULL;
    }
}

void
intake_set_outbox (intake_t *self, kf_outbox_t *outbox)
{
    assert (self && outbox);
    self->outbox = outbox;
}

const char *const *
intake_estates (intake_t *self)
{
    assert (self);
    return self->estate_ids;
}

static const s_owned_t *
s_owned (intake_t *self, const char *estate)
{
    for (size_t i = 0; estate && i < self->owned_count; i++)
        if (strcmp (self->owned [i].estate->id, estate) == 0)
            return &self->owned [i];
    return NULL;
}

static void
s_tables (intake_t *self, kf_txn_t *txn)
{
    if (self->tables_known)
        return;
    kf_store_t *store = kf_txn_store (txn);
    self->tickets = kf_store_table (store, "tickets");
    self->timeline = kf_store_table (store, "timeline");
    self->idempotency = kf_store_table (store, "idempotency");
    self->counters = kf_store_table (store, "counters");
    self->by_filed = kf_store_table (store, "by_filed");
    self->by_estate = kf_store_table (store, "by_estate");
    self->tables_known = true;
}

//  ---- rules --------------------------------------------------------------------

static bool
s_in (const bool *set, int value)
{
    return value > 0 && value < 32 && set [value];
}

static bool
s_level_matches (const s_level_t *level, const Kf__FileTicket *filing)
{
    if (s_in (level->type, filing->type) || s_in (level->channel, filing->channel)
    ||  s_in (level->category, filing->category))
        return true;
    for (size_t i = 0; i < filing->n_hazards; i++)
        if (s_in (level->hazard, filing->hazards [i]))
            return true;
    return false;
}

Kf__Priority
intake_priority (intake_t *self, const char *estate, const Kf__FileTicket *filing)
{
    const s_owned_t *owned = s_owned (self, estate);
    assert (owned);
    //  Life safety is never queued: no estate's rules make it less.
    if (kf_case_emergency (filing->type, filing->hazards, filing->n_hazards))
        return KF__PRIORITY__PRIORITY_EMERGENCY;
    for (int level = 0; level < S_LEVELS; level++)
        if (s_level_matches (&owned->levels [level], filing))
            return s_level_priority [level];
    return KF__PRIORITY__PRIORITY_NORMAL;
}


//  Every check of a filing, with the reason of the first that fails.
static int
s_check_filing (intake_t *self, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__FileTicket *f = request->file_ticket;
    if (!f->estate || !*f->estate)
        return KF_BAD ("estate is required");
    const kf_estate_t *estate = kf_config_estate_find (self->config, f->estate);
    if (!estate || !kf_request_sees (request, f->estate))
        return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, "unknown estate '%s'", f->estate);
    if (!s_owned (self, f->estate))
        return KF_BAD ("estate %s is filed by %s, not by %s", f->estate, estate->intake, self->producer);
    if (!f->unit || !kf_unit_valid (f->unit))
        return KF_BAD ("unit '%s' is not building-unit-room (e.g. 3-2-1502)", f->unit ? f->unit : "");
    kf_err_t err;
    if (kf_text_check ("reporter_name", f->reporter_name, S_NAME_MAX, &err))
        return KF_BAD ("%s", err.text);
    if (!f->reporter_phone || !kf_phone_valid (f->reporter_phone))
        return KF_BAD ("reporter_phone '%s' is not a phone number (5 to 20 digits, optional leading +)",
                      f->reporter_phone ? f->reporter_phone : "");
    if (!kf_enum_known (&kf__ticket_type__descriptor, f->has_type, f->type))
        return KF_BAD ("type is required (repair, complaint, enquiry, suggestion, emergency_help or renovation_application)");
    if (!kf_enum_known (&kf__channel__descriptor, f->has_channel, f->channel))
        return KF_BAD ("channel is required (counter, phone, on_site_visit, app_web, hotline or suggestion_box)");
    if (!kf_enum_known (&kf__category__descriptor, f->has_category, f->category))
        return KF_BAD ("category is required (e.g. water_leak, lift, noise, other)");
    if (kf_text_check ("description", f->description, INTAKE_TEXT_MAX, &err))
        return KF_BAD ("%s", err.text);
    if (f->n_photo_urls > S_PHOTOS_MAX)
        return KF_BAD ("at most %d photos", S_PHOTOS_MAX);
    for (size_t i = 0; i < f->n_photo_urls; i++) {
        const char *url = f->photo_urls [i];
        bool ok = (strncmp (url, "https://", 8) == 0 || strncmp (url, "http://", 7) == 0) && strlen (url) <= S_URL_MAX;
        for (const char *c = url; ok && *c; c++)
            ok = (unsigned char) *c > 0x20 && *c != 0x7f;
        if (!ok)
            return KF_BAD ("photo_urls: '%.60s' is not an http(s) URL", url);
    }
    if (f->n_hazards > S_HAZARDS_MAX)
        return KF_BAD ("at most %d hazards", S_HAZARDS_MAX);
    for (size_t i = 0; i < f->n_hazards; i++)
        if (!kf_enum_known (&kf__hazard__descriptor, true, f->hazards [i]))
            return KF_BAD ("hazards: %d is not a hazard", f->hazards [i]);
    if (kf_ref_check ("idempotency_key", f->idempotency_key, S_KEY_MAX, &err))
        return KF_BAD ("%s", err.text);
    return 0;
}

//  ---- records ------------------------------------------------------------------

//  The stored ticket, allocated from arena, or NULL (reply set: not found,
//  or another estate's in the caller's scope, which must look the same).
static Kf__Ticket *
s_load (intake_t *self, kf_txn_t *txn, const Kf__Request *request, const char *ticket_no,
        Kf__Reply *reply, kf_arena_t *arena)
{
    kf_key_t key;
    char estate [KF_ID_MAX + 1];
    Kf__Ticket *ticket = NULL;
    if (!ticket_no || !*ticket_no || !kf_ticket_no_estate (ticket_no, estate, sizeof estate)
    ||  !kf_request_sees (request, estate)
    ||  kf_key_make (&key, "s", ticket_no)
    ||  kf_txn_get_msg_in (txn, self->tickets, &key, &kf__ticket__descriptor, arena,
                           (ProtobufCMessage **) &ticket) != KF_FOUND) {
        if (kf_txn_ok (txn))
            kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, "no ticket '%s'",
                            ticket_no ? ticket_no : "");
        else
            kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_INTERNAL, arena, "ticket %s is damaged", ticket_no);
        return NULL;
    }
    return ticket;
}

static int
s_save (intake_t *self, kf_txn_t *txn, const Kf__Ticket *ticket)
{
    kf_key_t key;
    kf_key_make (&key, "s", ticket->ticket_no);
    return kf_txn_put_msg (txn, self->tickets, &key, &ticket->base);
}

//  A line on a ticket's timeline, numbered in the order it was written.
static int
s_timeline_add (intake_t *self, kf_txn_t *txn, const char *ticket_no, int64_t at_ms, const char *kind,
                const char *summary, const char *event_id, const char *actor)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", "timeline", ticket_no);
    uint64_t n = kf_txn_next (txn, self->counters, &key);
    Kf__TimelineEntry entry = KF__TIMELINE_ENTRY__INIT;
    KF_SET (&entry, at_ms, at_ms);
    entry.kind = (char *) kind;
    entry.summary = (char *) summary;
    entry.event_id = event_id && *event_id ? (char *) event_id : NULL;
    entry.actor = actor && *actor ? (char *) actor : NULL;
    kf_key_make (&key, "s|q", ticket_no, n);
    return kf_txn_put_msg (txn, self->timeline, &key, &entry.base);
}

//  Publish an event of this ticket's estate, and write it on the timeline.
static int
s_publish (intake_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Envelope *event, const char *ticket_no,
           const char *actor)
{
    event->actor = actor && *actor ? (char *) actor : NULL;
    assert (self->outbox);
    if (kf_outbox_append (self->outbox, txn, event, now_ms) == 0)
        return -1;
    char kind [64], summary [512];
    kf_codec_event_kind (&event->base, kind, sizeof kind);
    kf_summary (kf_event_body (event), "ticket_no", summary, sizeof summary);
    return s_timeline_add (self, txn, ticket_no, now_ms, kind, summary, NULL, actor);
}

typedef struct {
    Kf__TimelineEntry **entries;
    size_t count, size;
    kf_arena_t *arena;
} s_timeline_t;

static int
s_collect_entry (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) key;
    s_timeline_t *t = arg;
    if (t->count == t->size) {
        size_t size = t->size ? t->size * 2 : 16;
        Kf__TimelineEntry **grown = realloc (t->entries, size * sizeof *grown);
        if (!grown)
            return kf_txn_fail (txn, "out of memory");
        t->entries = grown;
        t->size = size;
    }
    kf_err_t err;
    Kf__TimelineEntry *entry = (Kf__TimelineEntry *) kf_codec_unpack_in (t->arena, &kf__timeline_entry__descriptor,
                                                                        value.data, value.size, &err);
    if (!entry)
        return kf_txn_fail (txn, "a timeline entry does not decode: %s", err.text);
    t->entries [t->count++] = entry;
    return 0;
}

//  Oldest first; entries of the same moment in the order they were written.
static void
s_sort_timeline (Kf__TimelineEntry **entries, size_t count)
{
    for (size_t i = 1; i < count; i++) {
        Kf__TimelineEntry *e = entries [i];
        size_t j = i;
        while (j > 0 && entries [j - 1]->at_ms > e->at_ms) {
            entries [j] = entries [j - 1];
            j--;
        }
        entries [j] = e;
    }
}

//  Answer with the ticket and its timeline.
static int
s_reply_ticket (intake_t *self, kf_txn_t *txn, Kf__Ticket *ticket, Kf__Reply *reply, kf_arena_t *arena)
{
    s_timeline_t t = { .arena = arena };
    kf_key_t prefix;
    kf_key_make (&prefix, "s|", ticket->ticket_no);
    kf_txn_scan (txn, self->timeline, &prefix, s_collect_entry, &t);
    if (t.count) {
        s_sort_timeline (t.entries, t.count);
        ticket->timeline = kf_arena_alloc (arena, t.count * sizeof *ticket->timeline);
        if (ticket->timeline) {
            memcpy (ticket->timeline, t.entries, t.count * sizeof *ticket->timeline);
            ticket->n_timeline = t.count;
        }
    }
    free (t.entries);
    reply->result_case = KF__REPLY__RESULT_TICKET;
    reply->ticket = ticket;
    return kf_txn_ok (txn) ? 0 : -1;
}

//  ---- commands -------------------------------------------------------------------

//  A ticket as filed (the caller's `ticket`, filled in here), with its
//  idempotency record and indexes: for a filing, and for a ticket.filed of
//  ours taken back from the archive after a restore.
static int
s_store_filed (intake_t *self, kf_txn_t *txn, Kf__Ticket *ticket, const char *estate, Kf__TicketFiled *filed,
               int64_t at_ms, uint64_t request_hash)
{
    ticket->ticket_no = filed->ticket_no;
    ticket->estate = (char *) estate;
    ticket->filed = filed;
    KF_SET (ticket, status, KF__TICKET_STATUS__TICKET_STATUS_OPEN);
    KF_SET (ticket, filed_at_ms, at_ms);
    s_save (self, txn, ticket);

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
static void
s_evolve (Kf__Ticket *ticket, const Kf__Envelope *event, int64_t at_ms)
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

static int
s_file (intake_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
        kf_arena_t *arena)
{
    if (s_check_filing (self, request, reply, arena))
        return -1;
    const Kf__FileTicket *f = request->file_ticket;
    const kf_estate_t *estate = s_owned (self, f->estate)->estate;
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
        if (!same)
            return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_CONFLICT, arena,
                                   "idempotency_key '%s' already filed %s with other details", f->idempotency_key, ticket_no);
        Kf__Ticket *ticket = s_load (self, txn, request, ticket_no, reply, arena);
        return ticket ? s_reply_ticket (self, txn, ticket, reply, arena) : -1;
    }
    if (rc != KF_NOTFOUND)
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
    filed->unit = f->unit;
    filed->reporter_name = f->reporter_name;
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

    s_store_filed (self, txn, ticket, f->estate, filed, now_ms, hash);

    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.estate = f->estate;
    event.body_case = KF__ENVELOPE__BODY_TICKET_FILED;
    event.ticket_filed = filed;
    s_publish (self, txn, now_ms, &event, ticket_no, filed->filed_by);
    return s_reply_ticket (self, txn, ticket, reply, arena);
}

static bool
s_may_cancel (Kf__Role role)
{
    return role == KF__ROLE__ROLE_SUPERVISOR || role == KF__ROLE__ROLE_MANAGER;
}

//  Note, close, reopen and cancel: one ticket, one transition, one event.
static int
s_transition (intake_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
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
    Kf__Ticket *ticket = s_load (self, txn, request, ticket_no, reply, arena);
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
    s_evolve (ticket, &event, now_ms);
    s_save (self, txn, ticket);
    s_publish (self, txn, now_ms, &event, ticket->ticket_no, actor);
    return s_reply_ticket (self, txn, ticket, reply, arena);
}

static int
s_show (intake_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    Kf__Ticket *ticket = s_load (self, txn, request, request->show_ticket->ticket_no, reply, arena);
    return ticket ? s_reply_ticket (self, txn, ticket, reply, arena) : -1;
}

//  ---- list -----------------------------------------------------------------------

static bool
s_matches (const Kf__ListTickets *q, const Kf__Ticket *t)
{
    const Kf__TicketFiled *f = t->filed;
    return (!q->has_status || q->status == 0 || q->status == t->status)
        && (!q->has_type || q->type == 0 || (f && q->type == f->type))
        && (!q->has_category || q->category == 0 || (f && q->category == f->category))
        && (!q->unit || !*q->unit || (f && f->unit && strcmp (q->unit, f->unit) == 0));
}

typedef struct {
    intake_t *self;
    const Kf__ListTickets *query;
    const char *estate;
    int64_t from;
    Kf__TicketList *list;
    kf_arena_t *arena;
} s_list_t;

static int
s_list_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, bool show, void *arg)
{
    (void) value;
    s_list_t *l = arg;
    char ticket_no [S_TICKET_NO_MAX + 1], e [KF_ID_MAX + 1];
    int64_t at;
    if (l->estate ? kf_key_scan (key.data, key.size, "s|t|s", e, sizeof e, &at, ticket_no, sizeof ticket_no)
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
    if (show)
        l->list->tickets [l->list->n_tickets++] = ticket;
    return 1;
}

static int
s_list (intake_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ListTickets *q = request->list_tickets;
    const char *estate = q->estate && *q->estate ? q->estate : NULL;
    if (estate && !kf_request_sees (request, estate))
        return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, "unknown estate '%s'", estate);
    if (!estate && request->scope && *request->scope)
        estate = request->scope;
    if (estate && !s_owned (self, estate))
        return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena,
                               kf_config_estate_find (self->config, estate)
                               ? "estate %s is filed by another intake instance" : "unknown estate '%s'", estate);
    int64_t to = q->filed && q->filed->has_to_ms ? q->filed->to_ms : INT64_MAX;
    uint32_t page_size = kf_page_size (q->page, INTAKE_PAGE_DEFAULT, INTAKE_PAGE_MAX);
    s_list_t l = {
        .self = self, .query = q, .estate = estate, .arena = arena,
        .from = q->filed && q->filed->has_from_ms ? q->filed->from_ms : INT64_MIN,
        .list = (Kf__TicketList *) kf_arena_message (arena, &kf__ticket_list__descriptor),
    };
    if (l.list)
        l.list->tickets = kf_arena_alloc (arena, page_size * sizeof *l.list->tickets);
    if (!l.list || !l.list->tickets)
        return kf_txn_fail (txn, "out of memory");

    //  Newest first: from the end of the range backwards.
    kf_key_t prefix = { 0 }, top;
    if (estate) {
        kf_key_make (&prefix, "s|", estate);
        kf_key_make (&top, "s|t", estate, to);
    }
    else
        kf_key_make (&top, "t", to);
    kf_page_t page;
    int rc = kf_page_walk (txn, estate ? self->by_estate : self->by_filed, &prefix, &top, q->page, page_size,
                           s_list_row, &l, arena, &page);
    if (rc == KF_PAGE_BAD_TOKEN)
        return KF_BAD ("page_token is not one this service gave");
    if (rc)
        return -1;
    KF_SET (l.list, total, page.total);
    l.list->next_page_token = page.next_token;
    reply->result_case = KF__REPLY__RESULT_TICKETS;
    reply->tickets = l.list;
    return 0;
}

int
intake_handle_request (intake_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                       Kf__Reply *reply, kf_arena_t *arena)
{
    assert (self && txn && request && reply && arena);
    s_tables (self, txn);
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_FILE_TICKET:
            return s_file (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_ADD_NOTE:
        case KF__REQUEST__COMMAND_CLOSE_TICKET:
        case KF__REQUEST__COMMAND_REOPEN_TICKET:
        case KF__REQUEST__COMMAND_CANCEL_TICKET:
            return s_transition (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_SHOW_TICKET:
            return s_show (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_LIST_TICKETS:
            return s_list (self, txn, request, reply, arena);
        default:
            return KF_BAD ("kefu-intake does not answer this command");
    }
}

//  ---- events of other services ---------------------------------------------------

//  An unsatisfied return visit reopens a closed ticket (issue 7: intake's half).
static int
s_reopen_after_visit (intake_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event,
                      const char *ticket_no)
{
    kf_key_t key;
    kf_key_make (&key, "s", ticket_no);
    Kf__Ticket *ticket = NULL;
    if (kf_txn_get_msg (txn, self->tickets, &key, &kf__ticket__descriptor, (ProtobufCMessage **) &ticket) != KF_FOUND)
        return kf_txn_ok (txn) ? 0 : -1;
    int rc = 0;
    if (ticket->status == KF__TICKET_STATUS__TICKET_STATUS_CLOSED) {
        Kf__TicketReopened reopened = KF__TICKET_REOPENED__INIT;
        reopened.ticket_no = ticket->ticket_no;
        reopened.reason = "unsatisfied return visit";
        reopened.reopened_by = "survey";
        KF_SET (&reopened, cause, KF__REOPEN_CAUSE__REOPEN_CAUSE_UNSATISFIED_VISIT);
        KF_SET (&reopened, reopen_count, ticket->reopen_count + 1);
        Kf__Envelope reopen = KF__ENVELOPE__INIT;
        reopen.estate = ticket->estate;
        reopen.causation_id = event->event_id;
        reopen.body_case = KF__ENVELOPE__BODY_TICKET_REOPENED;
        reopen.ticket_reopened = &reopened;
        s_evolve (ticket, &reopen, now_ms);
        s_save (self, txn, ticket);
        rc = s_publish (self, txn, now_ms, &reopen, ticket->ticket_no, "survey");
    }
    kf_codec_free ((ProtobufCMessage **) &ticket);
    return rc;
}

int
intake_apply_event (intake_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    assert (self && txn && event);
    s_tables (self, txn);
    const ProtobufCMessage *body = kf_event_body (event);
    const char *ticket_no = body ? kf_summary_string (body, "ticket_no") : NULL;
    if (!ticket_no)
        return 0;
    kf_key_t key;
    kf_val_t value;
    if (kf_key_make (&key, "s", ticket_no) || kf_txn_get (txn, self->tickets, &key, &value) != KF_FOUND)
        return kf_txn_ok (txn) ? 0 : -1;   //  not ours
    char kind [64], summary [512];
    kf_codec_event_kind (&event->base, kind, sizeof kind);
    kf_summary (body, "ticket_no", summary, sizeof summary);
    s_timeline_add (self, txn, ticket_no, kf_event_time (event, now_ms), kind,
                    summary, event->event_id, event->actor);
    if (event->body_case == KF__ENVELOPE__BODY_VISIT_UNSATISFIED)
        s_reopen_after_visit (self, txn, now_ms, event, ticket_no);
    return kf_txn_ok (txn) ? 0 : -1;
}

//  ---- after a restore -----------------------------------------------------------

int
intake_restored (void *app, kf_txn_t *txn, const Kf__RestoreMarker *marker, const char *stream,
                 uint64_t restored_head, uint64_t seen_head)
{
    intake_t *self = app;
    assert (self && txn && marker && stream);
    const char *slash = strrchr (stream, '/');
    const s_owned_t *owned = slash ? s_owned (self, slash + 1) : NULL;
    if (!owned || seen_head <= restored_head)
        return 0;
    s_tables (self, txn);
    uint64_t lost = seen_head - restored_head;
    const kf_estate_t *estate = owned->estate;
    int64_t first = kf_local_day (marker->backup_taken_at_ms, estate->utc_offset_min);
    int64_t last = kf_local_day (marker->restored_at_ms, estate->utc_offset_min) + 1;
    for (int64_t day = first; day <= last && day - first < 366; day++) {
        kf_key_t key;
        kf_key_make (&key, "s|s|u", "number", estate->id, kf_day_to_yyyymmdd (day));
        kf_txn_add (txn, self->counters, &key, (int64_t) lost);
    }
    kf_warning ("%s: ticket numbers of %s from %u to %u skip %llu (what the lost events may have used)", stream,
                estate->id, kf_day_to_yyyymmdd (first), kf_day_to_yyyymmdd (last), (unsigned long long) lost);
    return kf_txn_ok (txn) ? 0 : -1;
}

//  "E001-20261202-0004" -> its day and its number of the day; false when
//  it is not a ticket number.
static bool
s_ticket_no_parts (const char *ticket_no, uint32_t *yyyymmdd, uint64_t *n)
{
    const char *last = strrchr (ticket_no, '-');
    const char *day = last && last > ticket_no ? last - 9 : NULL;
    if (!day || day < ticket_no || *day != '-')
        return false;
    char *end;
    unsigned long d = strtoul (day + 1, &end, 10);
    if (end != last)
        return false;
    unsigned long long k = strtoull (last + 1, &end, 10);
    if (*end || k == 0)
        return false;
    *yyyymmdd = (uint32_t) d;
    *n = k;
    return true;
}

int
intake_recover (void *app, kf_txn_t *txn, const Kf__Envelope *event)
{
    intake_t *self = app;
    assert (self && txn && event);
    s_tables (self, txn);
    const ProtobufCMessage *body = kf_event_body (event);
    const char *ticket_no = body ? kf_summary_string (body, "ticket_no") : NULL;
    if (!ticket_no || !event->estate)
        return 0;
    int64_t at = event->occurred_at_ms;
    kf_key_t key;
    if (event->body_case == KF__ENVELOPE__BODY_TICKET_FILED) {
        Kf__TicketFiled *filed = event->ticket_filed;
        uint32_t day;
        uint64_t n;
        if (!s_ticket_no_parts (ticket_no, &day, &n))
            return kf_txn_fail (txn, "%s: '%s' is not a ticket number", event->stream, ticket_no);
        //  Its number is taken: the day's counter goes at least that far.
        kf_key_make (&key, "s|s|u", "number", event->estate, day);
        uint64_t have = kf_txn_counter (txn, self->counters, &key);
        if (n > have)
            kf_txn_add (txn, self->counters, &key, (int64_t) (n - have));
        //  The filing as the client sent it, so that its retry finds the ticket.
        Kf__FileTicket f = KF__FILE_TICKET__INIT;
        f.estate = event->estate;
        f.unit = filed->unit;
        f.reporter_name = filed->reporter_name;
        f.reporter_phone = filed->reporter_phone;
        f.type = filed->type;
        f.channel = filed->channel;
        f.category = filed->category;
        f.has_type = filed->has_type;
        f.has_channel = filed->has_channel;
        f.has_category = filed->has_category;
        f.description = filed->description;
        f.n_photo_urls = filed->n_photo_urls;
        f.photo_urls = filed->photo_urls;
        f.n_hazards = filed->n_hazards;
        f.hazards = filed->hazards;
        f.idempotency_key = filed->idempotency_key;
        Kf__Ticket ticket = KF__TICKET__INIT;
        s_store_filed (self, txn, &ticket, event->estate, filed, at, kf_codec_digest (&f.base));
    }
    else {
        //  In an arena: s_evolve points the ticket at the event's strings.
        kf_arena_t *arena = kf_arena_new ();
        Kf__Ticket *ticket = NULL;
        kf_key_make (&key, "s", ticket_no);
        int rc = arena ? kf_txn_get_msg_in (txn, self->tickets, &key, &kf__ticket__descriptor, arena,
                                            (ProtobufCMessage **) &ticket)
                       : kf_txn_fail (txn, "out of memory");
        if (rc == KF_NOTFOUND)
            kf_warning ("%s %llu: ticket %s is neither in the backup nor taken back before it", event->stream,
                        (unsigned long long) event->seq, ticket_no);
        if (rc == KF_FOUND) {
            s_evolve (ticket, event, at);
            s_save (self, txn, ticket);
        }
        kf_arena_destroy (&arena);
        if (rc != KF_FOUND)
            return kf_txn_ok (txn) ? 0 : -1;
    }
    char kind [64], summary [512];
    kf_codec_event_kind (&event->base, kind, sizeof kind);
    kf_summary (body, "ticket_no", summary, sizeof summary);
    s_timeline_add (self, txn, ticket_no, at, kind, summary, NULL, event->actor);
    return kf_txn_ok (txn) ? 0 : -1;
}
