/*  intake — tickets over a store transaction: set-up, priority rules,
    records and timelines, the requests' dispatch, other services' events,
    recovery after a restore. See intake.h; the other parts are named in
    intake_private.h.
*/
#include "intake_private.h"

static const char *s_level_names [S_LEVELS] = { "emergency", "urgent", "low" };
static const Kf__Priority s_level_priority [S_LEVELS] = {
    KF__PRIORITY__PRIORITY_EMERGENCY, KF__PRIORITY__PRIORITY_URGENT, KF__PRIORITY__PRIORITY_LOW
};

//  ---- set-up -----------------------------------------------------------------

static int
s_keep_term (const char *field, int value, void *arg)
{
    intake_level_t *level = arg;
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
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->estates = kf_domain_init (&self->base, config, sizeof *self->estates, err);
    size_t estates = self->base.estate_count;
    self->estate_ids = calloc (estates + 1, sizeof *self->estate_ids);
    if (!self->estates || !self->estate_ids) {
        kf_err_set (err, "out of memory");
        intake_destroy (&self);
        return NULL;
    }
    snprintf (self->producer, sizeof self->producer, "%s", producer);
    for (size_t i = 0; i < estates; i++) {
        const kf_estate_t *estate = kf_config_estate (config, i);
        intake_owned_t *owned = &self->estates [i];
        owned->estate = estate;
        if (strcmp (estate->intake, producer) != 0)
            continue;
        owned->owned = true;
        self->estate_ids [self->owned_count++] = estate->id;
        char check [128];
        owned->check_units = kf_config_bool (config, kf_config_rule (config, estate->id, "registry/check_units", check,
                                                                     sizeof check));
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
        kf_domain_fini (&self->base);
        free (self->estate_ids);
        free (self);
        *self_p = NULL;
    }
}

void
intake_set_outbox (intake_t *self, kf_outbox_t *outbox)
{
    assert (self && outbox);
    self->base.outbox = outbox;
}

const char *const *
intake_estates (intake_t *self)
{
    assert (self);
    return self->estate_ids;
}

const intake_owned_t *
intake_owned (intake_t *self, const char *estate)
{
    const intake_owned_t *e = estate ? kf_domain_estate (&self->base, estate) : NULL;
    return e && e->owned ? e : NULL;
}

void
intake_tables (intake_t *self, kf_txn_t *txn)
{
    static const char *const names [] = { INTAKE_OWN_TABLES, NULL };
    kf_table_t *const tables [] = { &self->tickets, &self->timeline, &self->idempotency, &self->counters,
                                    &self->by_filed, &self->by_estate, &self->units, &self->households,
                                    &self->phones, &self->by_status, &self->tallies };
    kf_domain_tables (&self->base, txn, names, tables);
}

//  ---- rules --------------------------------------------------------------------

static bool
s_in (const bool *set, int value)
{
    return value > 0 && value < 32 && set [value];
}

static bool
s_level_matches (const intake_level_t *level, const Kf__FileTicket *filing)
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
    const intake_owned_t *owned = intake_owned (self, estate);
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
int
intake_check_filing (intake_t *self, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__FileTicket *f = request->file_ticket;
    if (!f->estate || !*f->estate)
        return KF_BAD ("estate is required");
    const kf_estate_t *estate = kf_config_estate_find (self->base.config, f->estate);
    if (!estate || !kf_request_sees (request, f->estate))
        return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, "unknown estate '%s'",
                               f->estate);
    if (!intake_owned (self, f->estate))
        return KF_BAD ("estate %s is filed by %s, not by %s", f->estate, estate->intake, self->producer);
    //  An owner files for their own unit, through the owners' page.
    if (request->role == KF__ROLE__ROLE_OWNER) {
        if (!f->unit || !kf_request_sees_unit (request, f->estate, f->unit))
            return KF_FORBIDDEN ("an owner files for their own unit, %s", request->unit);
        if (!f->has_channel || f->channel != KF__CHANNEL__CHANNEL_APP_WEB)
            return KF_BAD ("an owner's case comes through the owners' page: channel app_web");
    }
    //  No unit: the register may know the reporter's phone (intake_register_unit).
    if (f->unit && *f->unit && !kf_unit_valid (f->unit))
        return KF_BAD ("unit '%s' is not building-unit-room (e.g. 3-2-1502)", f->unit);
    kf_err_t err;
    //  No name: the register's for the phone (intake_register_unit).
    if (f->reporter_name && *f->reporter_name && kf_text_check ("reporter_name", f->reporter_name, S_NAME_MAX, &err))
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
        if (!kf_url_valid (url, S_URL_MAX))
            return KF_BAD ("photo_urls: '%.60s' is not an http(s) URL", url ? url : "");
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
Kf__Ticket *
intake_load (intake_t *self, kf_txn_t *txn, const Kf__Request *request, const char *ticket_no,
             Kf__Reply *reply, kf_arena_t *arena)
{
    kf_key_t key;
    char estate [KF_ID_MAX + 1];
    Kf__Ticket *ticket = NULL;
    if (!ticket_no || !*ticket_no || !kf_ticket_no_estate (ticket_no, estate, sizeof estate)
    ||  !kf_request_sees (request, estate)
    ||  kf_key_make (&key, "s", ticket_no)
    ||  kf_txn_get_msg_in (txn, self->tickets, &key, &kf__ticket__descriptor, arena,
                           (ProtobufCMessage **) &ticket) != KF_FOUND
    ||  !kf_request_sees_unit (request, estate, ticket->filed ? ticket->filed->unit : NULL)) {
        if (kf_txn_ok (txn))
            kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, "no ticket '%s'",
                            ticket_no ? ticket_no : "");
        else
            kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_INTERNAL, arena, "ticket %s is damaged", ticket_no);
        return NULL;
    }
    return ticket;
}

int
intake_save (intake_t *self, kf_txn_t *txn, const Kf__Ticket *ticket)
{
    kf_key_t key;
    kf_key_make (&key, "s", ticket->ticket_no);
    kf_txn_put_msg (txn, self->tickets, &key, &ticket->base);
    return intake_tally_save (self, txn, ticket);
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
int
intake_publish (intake_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Envelope *event, const char *ticket_no,
                const char *actor)
{
    event->actor = actor && *actor ? (char *) actor : NULL;
    assert (self->base.outbox);
    if (kf_outbox_append (self->base.outbox, txn, event, now_ms) == 0)
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
int
intake_reply_ticket (intake_t *self, kf_txn_t *txn, Kf__Ticket *ticket, Kf__Reply *reply, kf_arena_t *arena)
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

void
intake_owner_view (const Kf__Request *request, Kf__Ticket *ticket, kf_arena_t *arena)
{
    if (request->role != KF__ROLE__ROLE_OWNER || !ticket->filed)
        return;
    Kf__TicketFiled *f = ticket->filed;
    if (f->reporter_phone) {
        char masked [32];
        kf_phone_mask (f->reporter_phone, masked, sizeof masked);
        f->reporter_phone = kf_arena_strdup (arena, masked);
    }
    if (f->reporter_name && *f->reporter_name) {
        //  The first character, whole (UTF-8), and a mark for the rest.
        size_t first = 1;
        while (f->reporter_name [first] && ((unsigned char) f->reporter_name [first] & 0xC0) == 0x80)
            first++;
        char *name = kf_arena_alloc (arena, first + 2);
        if (name) {
            memcpy (name, f->reporter_name, first);
            memcpy (name + first, "*", 2);
        }
        f->reporter_name = name;
    }
    for (size_t i = 0; i < ticket->n_timeline; i++)
        ticket->timeline [i]->summary = ticket->timeline [i]->actor = NULL;
}

//  ---- events of other services ---------------------------------------------------

//  A target of the ticket was missed: the desk's list can show the overdue.
static void
s_mark_overdue (intake_t *self, kf_txn_t *txn, const char *ticket_no)
{
    kf_key_t key;
    kf_key_make (&key, "s", ticket_no);
    kf_arena_reset (self->base.scratch);
    Kf__Ticket *ticket = (Kf__Ticket *) kf_txn_find_msg_in (txn, self->tickets, &key, &kf__ticket__descriptor,
                                                            self->base.scratch);
    if (ticket && !ticket->overdue) {
        KF_SET (ticket, overdue, 1);
        intake_save (self, txn, ticket);
    }
}

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
        intake_evolve (ticket, &reopen, now_ms);
        intake_save (self, txn, ticket);
        rc = intake_publish (self, txn, now_ms, &reopen, ticket->ticket_no, "survey");
    }
    kf_codec_free ((ProtobufCMessage **) &ticket);
    return rc;
}

int
intake_apply_event (intake_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    assert (self && txn && event);
    intake_tables (self, txn);
    int known = intake_register_apply (self, txn, now_ms, event);
    if (known)
        return known < 0 ? -1 : 0;
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
    if (event->body_case == KF__ENVELOPE__BODY_SLA_BREACHED)
        s_mark_overdue (self, txn, ticket_no);
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
    const intake_owned_t *owned = slash ? intake_owned (self, slash + 1) : NULL;
    if (!owned || seen_head <= restored_head)
        return 0;
    intake_tables (self, txn);
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
    intake_tables (self, txn);
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
        intake_store_filed (self, txn, &ticket, event->estate, filed, at, kf_codec_digest (&f.base));
    }
    else {
        //  In an arena: intake_evolve points the ticket at the event's strings.
        kf_arena_t *arena = self->base.scratch;
        kf_arena_reset (arena);
        Kf__Ticket *ticket = NULL;
        kf_key_make (&key, "s", ticket_no);
        int rc = kf_txn_get_msg_in (txn, self->tickets, &key, &kf__ticket__descriptor, arena,
                                    (ProtobufCMessage **) &ticket);
        if (rc == KF_NOTFOUND)
            kf_warning ("%s %llu: ticket %s is neither in the backup nor taken back before it", event->stream,
                        (unsigned long long) event->seq, ticket_no);
        if (rc == KF_FOUND) {
            intake_evolve (ticket, event, at);
            intake_save (self, txn, ticket);
        }
        if (rc != KF_FOUND)
            return kf_txn_ok (txn) ? 0 : -1;
    }
    char kind [64], summary [512];
    kf_codec_event_kind (&event->base, kind, sizeof kind);
    kf_summary (body, "ticket_no", summary, sizeof summary);
    s_timeline_add (self, txn, ticket_no, at, kind, summary, NULL, event->actor);
    return kf_txn_ok (txn) ? 0 : -1;
}


int
intake_handle_request (intake_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                       Kf__Reply *reply, kf_arena_t *arena)
{
    assert (self && txn && request && reply && arena);
    intake_tables (self, txn);
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_FILE_TICKET:
            return intake_file (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_ADD_NOTE:
        case KF__REQUEST__COMMAND_CLOSE_TICKET:
        case KF__REQUEST__COMMAND_REOPEN_TICKET:
        case KF__REQUEST__COMMAND_CANCEL_TICKET:
            return intake_transition (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_SHOW_TICKET:
            return intake_show (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_LIST_TICKETS:
            return intake_list (self, txn, request, reply, arena);
        default:
            return KF_BAD ("kefu-intake does not answer this command");
    }
}
