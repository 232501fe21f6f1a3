/*  archive — recording, replaying, reading and retiring events. See archive.h.

    Tables (keys by kf_key_make):
      archive_events   stream|epoch|seq              -> the packed Envelope
      archive_epochs   stream|epoch                  -> StreamHead: first and last seq held
      archive_current  stream                        -> the epoch seen last (key-encoded q)
      archive_by_case  ticket_no|occurred|stream|epoch|seq -> ""
      archive_by_time  estate|occurred|stream|epoch|seq    -> ""
      archive_by_age   occurred|stream|epoch|seq     -> the ticket_no it names, or ""
*/
#include "archive.h"
#include "kf_field.h"
#include "kf_commands.h"
#include "kf_domain.h"
#include "kf_page.h"
#include "kf_summary.h"

#include <assert.h>
#include <string.h>

#define S_HEADS_CACHED 4096

//  An epoch's head as one write transaction moves it: read from the store
//  the first time, moved in memory, written once before the commit.
typedef struct {
    char stream [KF_STREAM_MAX];
    uint64_t epoch;
    uint64_t txn_id;
    uint64_t first_seq, head_seq;   //  head_seq 0: not held before this transaction
    bool moved;
} s_head_t;

struct _archive_t {
    kf_config_t *config;
    int64_t retention_ms;
    bool tables_known;
    kf_table_t events, epochs, current, by_case, by_time, by_age;
    zhashx_t *heads;                //  "stream|epoch" -> s_head_t
};

static void
s_head_free (void **item)
{
    free (*item);
    *item = NULL;
}

archive_t *
archive_new (kf_config_t *config, kf_err_t *err)
{
    assert (config);
    archive_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->config = config;
    self->retention_ms = kf_config_duration_ms (config, "archive/retention");
    self->heads = zhashx_new ();
    if (!self->heads) {
        kf_err_set (err, "out of memory");
        archive_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->heads, s_head_free);
    return self;
}

void
archive_destroy (archive_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zhashx_destroy (&(*self_p)->heads);
        free (*self_p);
        *self_p = NULL;
    }
}

static void
s_tables (archive_t *self, kf_txn_t *txn)
{
    if (self->tables_known)
        return;
    static const char *const names [] = { ARCHIVE_OWN_TABLES, NULL };
    kf_table_t *const tables [] = { &self->events, &self->epochs, &self->current, &self->by_case, &self->by_time,
                                    &self->by_age };
    kf_store_tables (kf_txn_store (txn), names, tables);
    self->tables_known = true;
}

//  The head the archive holds of (stream, epoch): KF_FOUND, KF_NOTFOUND
//  (head zeroed) or -1.
static int
s_epoch_head (archive_t *self, kf_txn_t *txn, const char *stream, uint64_t epoch, Kf__StreamHead **head)
{
    kf_key_t key;
    kf_key_make (&key, "s|q", stream, epoch);
    return kf_txn_get_msg (txn, self->epochs, &key, &kf__stream_head__descriptor, (ProtobufCMessage **) head);
}

//  The epoch of a stream the archive saw last: KF_FOUND, KF_NOTFOUND or -1.
static int
s_current_epoch (archive_t *self, kf_txn_t *txn, const char *stream, uint64_t *epoch)
{
    kf_key_t key;
    kf_val_t value;
    kf_key_make (&key, "s", stream);
    int rc = kf_txn_get (txn, self->current, &key, &value);
    if (rc == KF_FOUND && kf_key_scan (value.data, value.size, "q", epoch))
        return kf_txn_fail (txn, "archive_current of %s is damaged", stream);
    return rc;
}

//  ---- recording -------------------------------------------------------------------

//  Before the commit: the heads this transaction moved.
static void
s_write_heads (kf_txn_t *txn, void *arg)
{
    archive_t *self = arg;
    for (s_head_t *h = zhashx_first (self->heads); h; h = zhashx_next (self->heads)) {
        if (h->txn_id != kf_txn_id (txn) || !h->moved)
            continue;
        Kf__StreamHead head = KF__STREAM_HEAD__INIT;
        head.stream = h->stream;
        head.epoch = h->epoch;
        head.first_seq = h->first_seq;
        head.head_seq = h->head_seq;
        head.has_epoch = head.has_first_seq = head.has_head_seq = 1;
        kf_key_t key;
        kf_key_make (&key, "s|q", h->stream, h->epoch);
        kf_txn_put_msg (txn, self->epochs, &key, &head.base);
        h->moved = false;
    }
}

//  The head of (stream, epoch) in this transaction; NULL when it failed.
static s_head_t *
s_head_in (archive_t *self, kf_txn_t *txn, const char *stream, uint64_t epoch)
{
    char name [KF_STREAM_MAX + 20];
    snprintf (name, sizeof name, "%s|%016llx", stream, (unsigned long long) epoch);
    s_head_t *h = zhashx_lookup (self->heads, name);
    if (!h) {
        //  A bounded cache (an archive meets a few hundred streams, not
        //  millions): what this transaction moved is written first.
        if (zhashx_size (self->heads) >= S_HEADS_CACHED) {
            s_write_heads (txn, self);
            zhashx_purge (self->heads);
        }
        h = calloc (1, sizeof *h);
        if (!h) {
            kf_txn_fail (txn, "out of memory");
            return NULL;
        }
        snprintf (h->stream, sizeof h->stream, "%s", stream);
        h->epoch = epoch;
        zhashx_insert (self->heads, name, h);
    }
    if (h->txn_id != kf_txn_id (txn)) {
        Kf__StreamHead *known = NULL;
        int rc = s_epoch_head (self, txn, stream, epoch, &known);
        if (rc < 0)
            return NULL;
        h->txn_id = kf_txn_id (txn);
        h->first_seq = rc == KF_FOUND ? known->first_seq : 0;
        h->head_seq = rc == KF_FOUND ? known->head_seq : 0;
        h->moved = false;
        kf_codec_free ((ProtobufCMessage **) &known);
        if (kf_txn_before_commit (txn, s_write_heads, self))
            return NULL;
    }
    return h;
}

int
archive_record (archive_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    assert (self && txn && event);
    s_tables (self, txn);
    const char *slash = event->stream ? strrchr (event->stream, '/') : NULL;
    if (!slash || !event->has_seq || event->seq == 0 || !event->estate || strcmp (slash + 1, event->estate) != 0) {
        kf_warning ("archive: an event without a stream, sequence or estate is not kept (%s)",
                    event->stream ? event->stream : "no stream");
        return 0;
    }
    if (strlen (event->stream) >= KF_STREAM_MAX)
        return kf_txn_fail (txn, "archive: the stream name %s is too long", event->stream);
    s_head_t *head = s_head_in (self, txn, event->stream, event->epoch);
    if (!head)
        return -1;
    if (head->head_seq && event->seq <= head->head_seq)
        return 0;   //  held already (a stream the operator moved back)
    bool first_of_epoch = head->head_seq == 0;
    if (first_of_epoch)
        head->first_seq = event->seq;
    else
    if (event->seq > head->head_seq + 1) {
        //  A range the operator had this archive skip: what it holds whole
        //  starts here, so no replay is served across the hole.
        kf_warning ("archive: %s %llu..%llu is missing here; replays of its epoch start at %llu", event->stream,
                    (unsigned long long) (head->head_seq + 1), (unsigned long long) (event->seq - 1),
                    (unsigned long long) event->seq);
        head->first_seq = event->seq;
    }
    head->head_seq = event->seq;
    head->moved = true;
    kf_key_t key, value;
    if (first_of_epoch) {
        kf_key_make (&key, "s", event->stream);
        kf_key_make (&value, "q", event->epoch);
        kf_txn_put (txn, self->current, &key, value.data, value.size);
    }

    //  The event itself, packed straight into the map.
    kf_key_make (&key, "s|q|q", event->stream, event->epoch, event->seq);
    size_t size = protobuf_c_message_get_packed_size (&event->base);
    void *room = kf_txn_reserve (txn, self->events, &key, size);
    if (room)
        protobuf_c_message_pack (&event->base, room);

    int64_t at = event->occurred_at_ms;
    const ProtobufCMessage *body = kf_event_body (event);
    const char *ticket_no = body ? kf_summary_string (body, "ticket_no") : NULL;
    if (ticket_no && *ticket_no && kf_key_make (&key, "s|t|s|q|q", ticket_no, at, event->stream, event->epoch,
                                                event->seq) == 0)
        kf_txn_put (txn, self->by_case, &key, "", 0);
    else
        ticket_no = "";
    kf_key_make (&key, "s|t|s|q|q", event->estate, at, event->stream, event->epoch, event->seq);
    kf_txn_put (txn, self->by_time, &key, "", 0);
    kf_key_make (&key, "t|s|q|q", at, event->stream, event->epoch, event->seq);
    kf_txn_put (txn, self->by_age, &key, ticket_no, strlen (ticket_no));
    return kf_txn_ok (txn) ? 0 : -1;
}

uint64_t
archive_count (archive_t *self, kf_txn_t *txn)
{
    assert (self && txn);
    s_tables (self, txn);
    return kf_txn_count (txn, self->events);
}

//  ---- retention -----------------------------------------------------------------

int64_t
archive_trim (archive_t *self, kf_txn_t *txn, int64_t now_ms, size_t budget)
{
    assert (self && txn);
    s_tables (self, txn);
    int64_t before = now_ms - self->retention_ms;
    kf_cursor_t *cursor = kf_cursor_open (txn, self->by_age);
    kf_val_t k, v;
    int rc = cursor ? kf_cursor_first (cursor, &k, &v) : -1;
    int64_t trimmed = 0;
    for (; rc == KF_FOUND && (size_t) trimmed < budget; rc = kf_cursor_next (cursor, &k, &v)) {
        int64_t at;
        uint64_t epoch, seq;
        char stream [KF_STREAM_MAX], ticket_no [KF_KEY_MAX];
        if (kf_key_scan (k.data, k.size, "t|s|q|q", &at, stream, sizeof stream, &epoch, &seq)
        ||  v.size >= sizeof ticket_no) {
            rc = kf_txn_fail (txn, "archive_by_age holds a damaged key");
            break;
        }
        if (at >= before)
            break;
        memcpy (ticket_no, v.data, v.size);
        ticket_no [v.size] = 0;
        const char *estate = strrchr (stream, '/') + 1;
        kf_key_t key;
        if (*ticket_no) {
            kf_key_make (&key, "s|t|s|q|q", ticket_no, at, stream, epoch, seq);
            kf_txn_del (txn, self->by_case, &key);
        }
        kf_key_make (&key, "s|t|s|q|q", estate, at, stream, epoch, seq);
        kf_txn_del (txn, self->by_time, &key);
        kf_key_make (&key, "s|q|q", stream, epoch, seq);
        kf_txn_del (txn, self->events, &key);
        //  What the epoch still holds starts after it. A clock set back can
        //  make a later event older: the start only ever moves forward, so
        //  a replay from before it is refused, never served with a hole.
        s_head_t *head = s_head_in (self, txn, stream, epoch);
        if (head && head->head_seq && head->first_seq <= seq) {
            head->first_seq = seq + 1;
            head->moved = true;
        }
        if (kf_cursor_del (cursor) != 0)
            rc = -1;
        trimmed++;
    }
    kf_cursor_close (&cursor);
    return rc == -1 || !kf_txn_ok (txn) ? -1 : trimmed;
}

//  ---- replaying -----------------------------------------------------------------

static Kf__ReplayStatus
s_decide (void *source, kf_txn_t *txn, const Kf__ReplayRequest *request, kf_replay_range_t *range, char *reason,
          size_t size)
{
    archive_t *self = source;
    s_tables (self, txn);
    memset (range, 0, sizeof *range);
    const char *slash = request->stream ? strrchr (request->stream, '/') : NULL;
    if (!slash || slash == request->stream || !kf_config_valid_id (slash + 1)
    ||  strlen (request->stream) >= KF_STREAM_MAX || strchr (request->stream, '|')) {
        snprintf (reason, size, "'%s' is not a stream name", request->stream ? request->stream : "");
        return KF__REPLAY_STATUS__REPLAY_STATUS_BAD_REQUEST;
    }
    uint64_t epoch = request->epoch;
    int rc = request->has_epoch ? KF_FOUND : s_current_epoch (self, txn, request->stream, &epoch);
    if (rc == KF_NOTFOUND) {
        snprintf (reason, size, "the archive holds no events of %s", request->stream);
        return KF__REPLAY_STATUS__REPLAY_STATUS_UNKNOWN_STREAM;
    }
    Kf__StreamHead *head = NULL;
    if (rc < 0 || (rc = s_epoch_head (self, txn, request->stream, epoch, &head)) < 0) {
        snprintf (reason, size, "%s", kf_txn_reason (txn));
        return KF__REPLAY_STATUS__REPLAY_STATUS_BAD_REQUEST;
    }
    if (rc == KF_NOTFOUND) {
        snprintf (reason, size, "the archive holds no events of %s in epoch %016llx", request->stream,
                  (unsigned long long) epoch);
        return KF__REPLAY_STATUS__REPLAY_STATUS_SNAPSHOT_REQUIRED;
    }
    range->epoch = epoch;
    range->head = head->head_seq;
    range->first = head->first_seq;
    kf_codec_free ((ProtobufCMessage **) &head);
    range->from = request->from_seq ? request->from_seq : range->first;
    if (range->from < range->first) {
        snprintf (reason, size, "the archive holds %s from %llu to %llu, not from %llu", request->stream,
                  (unsigned long long) range->first, (unsigned long long) range->head,
                  (unsigned long long) range->from);
        return KF__REPLAY_STATUS__REPLAY_STATUS_SNAPSHOT_REQUIRED;
    }
    range->to = request->to_seq && request->to_seq < range->head ? request->to_seq : range->head;
    return KF__REPLAY_STATUS__REPLAY_STATUS_OK;
}

static int64_t
s_read (void *source, kf_txn_t *txn, const char *stream, uint64_t epoch, uint64_t from, uint64_t to, size_t max,
        kf_outbox_read_fn *fn, void *arg)
{
    archive_t *self = source;
    s_tables (self, txn);
    kf_key_t prefix, start;
    if (kf_key_make (&prefix, "s|q|", stream, epoch) || kf_key_make (&start, "s|q|q", stream, epoch, from))
        return kf_txn_fail (txn, "'%s' is not a stream name", stream);
    kf_cursor_t *cursor = kf_cursor_open (txn, self->events);
    kf_val_t k, v;
    int rc = cursor ? kf_cursor_seek (cursor, &start, &k, &v) : -1;
    int64_t count = 0;
    for (; rc == KF_FOUND && (size_t) count < max; rc = kf_cursor_next (cursor, &k, &v)) {
        uint64_t seq;
        if (!kf_key_has_prefix (k, &prefix) || kf_key_scan ((const uint8_t *) k.data + prefix.size,
                                                            k.size - prefix.size, "q", &seq) || seq > to)
            break;
        count++;
        if (fn (seq, v.data, v.size, arg))
            break;
    }
    kf_cursor_close (&cursor);
    return rc == -1 || !kf_txn_ok (txn) ? -1 : count;
}

kf_replay_source_t
archive_replay_source (archive_t *self)
{
    assert (self);
    return (kf_replay_source_t) { s_decide, s_read, self };
}

//  ---- kefuctl history -------------------------------------------------------------

typedef struct {
    archive_t *self;
    Kf__History *history;
    kf_arena_t *arena;
    int64_t to_ms;
} s_history_t;

//  One index row (…|occurred|stream|epoch|seq): its event on the page.
static int
s_history_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, bool show, void *arg)
{
    (void) value;
    s_history_t *h = arg;
    char subject [KF_KEY_MAX], stream [KF_STREAM_MAX];
    int64_t at;
    uint64_t epoch, seq;
    if (kf_key_scan (key.data, key.size, "s|t|s|q|q", subject, sizeof subject, &at, stream, sizeof stream,
                     &epoch, &seq))
        return kf_txn_fail (txn, "an archive index holds a damaged key");
    if (at >= h->to_ms)
        return 2;
    if (!show)
        return 1;
    kf_key_t event_key;
    kf_key_make (&event_key, "s|q|q", stream, epoch, seq);
    Kf__Envelope *event = NULL;
    int rc = kf_txn_get_msg_in (txn, h->self->events, &event_key, &kf__envelope__descriptor, h->arena,
                                (ProtobufCMessage **) &event);
    if (rc != KF_FOUND)
        return kf_txn_fail (txn, "the archive's index names %s %llu, which it does not hold", stream,
                            (unsigned long long) seq);
    h->history->events [h->history->n_events++] = event;
    return 1;
}

static int
s_history (archive_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
           kf_arena_t *arena)
{
    const Kf__GetHistory *q = request->history;
    bool by_case = q->ticket_no && *q->ticket_no;
    char estate [KF_ID_MAX + 1];
    if (by_case && (!kf_ticket_no_estate (q->ticket_no, estate, sizeof estate) || !kf_request_sees (request, estate)))
        return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, "no ticket '%s'", q->ticket_no);
    if (!by_case && (!q->estate || !*q->estate))
        return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, arena,
                               "history needs a ticket_no, or an estate and a time range");
    if (!by_case && (!kf_config_estate_find (self->config, q->estate) || !kf_request_sees (request, q->estate)))
        return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, "unknown estate '%s'", q->estate);
    int64_t from = q->has_from_ms ? q->from_ms : INT64_MIN;
    //  No end given: all of it, events stamped ahead of our clock too (a
    //  producer's clock may run ahead of ours).
    (void) now_ms;
    int64_t to = q->has_to_ms && q->to_ms ? q->to_ms : INT64_MAX;
    if (!by_case && from >= to)
        return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, arena,
                               "from must be before to");
    uint32_t page_size = kf_page_size (q->page, ARCHIVE_PAGE_DEFAULT, ARCHIVE_PAGE_MAX);
    s_history_t h = { self, (Kf__History *) kf_arena_message (arena, &kf__history__descriptor), arena,
                      by_case ? INT64_MAX : to };
    if (h.history)
        h.history->events = kf_arena_alloc (arena, page_size * sizeof *h.history->events);
    if (!h.history || !h.history->events)
        return kf_txn_fail (txn, "out of memory");
    const char *subject = by_case ? q->ticket_no : q->estate;
    kf_key_t prefix, start;
    if (kf_key_make (&prefix, "s|", subject) || kf_key_make (&start, "s|t", subject, by_case ? INT64_MIN : from))
        return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, arena, "'%s' cannot be looked up",
                               subject);
    kf_page_t page;
    int rc = kf_page_forward (txn, by_case ? self->by_case : self->by_time, &prefix, &start, q->page, page_size,
                              s_history_row, &h, arena, &page);
    if (kf_page_result (rc, reply, arena))
        return -1;
    h.history->next_token = page.next_token;
    KF_SET (h.history, archived, kf_txn_count (txn, self->events));
    reply->result_case = KF__REPLY__RESULT_HISTORY;
    reply->history = h.history;
    return 0;
}

int
archive_handle_request (archive_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                        Kf__Reply *reply, kf_arena_t *arena)
{
    assert (self && txn && request && reply && arena);
    s_tables (self, txn);
    if (request->command_case == KF__REQUEST__COMMAND_HISTORY)
        return s_history (self, txn, now_ms, request, reply, arena);
    return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, arena,
                           "kefu-archive does not answer that command");
}
