/*  dispatch_orders — work orders: their records and history, a ticket's
    orders, and the commands that move an order through its life (accept,
    start, pause, resume, complete, transfer, assign). See
    dispatch_private.h.
*/
#include "dispatch_private.h"

//  ---- orders ---------------------------------------------------------------------

bool
dispatch_open (Kf__OrderStatus status)
{
    return status != KF__ORDER_STATUS__ORDER_STATUS_COMPLETED && status != KF__ORDER_STATUS__ORDER_STATUS_TRANSFERRED
        && status != KF__ORDER_STATUS__ORDER_STATUS_CANCELLED;
}

//  Assigned, accepted, started or paused: a person carries it.
bool
dispatch_held (const Kf__Order *order)
{
    return order->staff_id && dispatch_open (order->status) && order->status != KF__ORDER_STATUS__ORDER_STATUS_QUEUED
        && order->status != KF__ORDER_STATUS__ORDER_STATUS_CREATED;
}

Kf__Order *
dispatch_order_get (dispatch_t *self, kf_txn_t *txn, const char *order_no, kf_arena_t *arena)
{
    kf_key_t key;
    Kf__Order *order = NULL;
    if (!order_no || kf_key_make (&key, "s", order_no)
    ||  kf_txn_get_msg_in (txn, self->orders, &key, &kf__order__descriptor, arena,
                           (ProtobufCMessage **) &order) != KF_FOUND)
        return NULL;
    if (!order->created || !order->estate) {
        kf_txn_fail (txn, "order %s has no estate or creation", order_no);
        return NULL;
    }
    return order;
}

int
dispatch_order_put (dispatch_t *self, kf_txn_t *txn, const Kf__Order *order)
{
    kf_key_t key;
    kf_key_make (&key, "s", order->order_no);
    return kf_txn_put_msg (txn, self->orders, &key, &order->base);
}

void
dispatch_queue_key (kf_key_t *key, const Kf__Order *order)
{
    const Kf__OrderCreated *c = order->created;
    uint32_t priority = c->priority ? (uint32_t) c->priority : KF__PRIORITY__PRIORITY_NORMAL;
    kf_key_make (key, "s|u|u|t|s", order->estate, (uint32_t) c->department, priority, order->created_at_ms,
                 order->order_no);
}

void
dispatch_set_status (Kf__Order *order, Kf__OrderStatus status, int64_t now_ms)
{
    KF_SET (order, status, status);
    KF_SET (order, updated_at_ms, now_ms);
}

//  A line of the order's own history (the ticket's timeline is intake's).
int
dispatch_history_add (Kf__Order *order, kf_arena_t *arena, int64_t at_ms, const char *kind, const char *summary,
                      const char *actor)
{
    Kf__TimelineEntry **grown = kf_arena_alloc (arena, (order->n_history + 1) * sizeof *grown);
    Kf__TimelineEntry *entry = (Kf__TimelineEntry *) kf_arena_message (arena, &kf__timeline_entry__descriptor);
    if (!grown || !entry)
        return -1;
    if (order->n_history)
        memcpy (grown, order->history, order->n_history * sizeof *grown);
    KF_SET (entry, at_ms, at_ms);
    entry->kind = kf_arena_strdup (arena, kind);
    entry->summary = kf_arena_strdup (arena, summary);
    entry->actor = actor && *actor ? kf_arena_strdup (arena, actor) : NULL;
    grown [order->n_history++] = entry;
    order->history = grown;
    return 0;
}

//  Publish an event about an order, and write it in the order's history.
int
dispatch_emit (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Order *order, Kf__Envelope *event,
               const char *causation_id, const char *actor, kf_arena_t *arena)
{
    assert (self->base.outbox);
    event->estate = order->estate;
    event->causation_id = causation_id && *causation_id ? (char *) causation_id : NULL;
    event->actor = actor && *actor ? (char *) actor : NULL;
    if (kf_outbox_append (self->base.outbox, txn, event, now_ms) == 0)
        return -1;
    char kind [64], summary [512];
    kf_codec_event_kind (&event->base, kind, sizeof kind);
    kf_summary (kf_event_body (event), "order_no", summary, sizeof summary);
    if (dispatch_history_add (order, arena, now_ms, kind, summary, actor))
        return kf_txn_fail (txn, "out of memory");
    return 0;
}

//  How many orders a ticket has had.
uint64_t
dispatch_orders_made (dispatch_t *self, kf_txn_t *txn, const char *ticket_no)
{
    kf_key_t key;
    kf_val_t value;
    if (kf_key_make (&key, "s|s", "orders", ticket_no) || kf_txn_get (txn, self->counters, &key, &value) != KF_FOUND
    ||  value.size != 8)
        return 0;
    uint64_t n = 0;
    for (size_t i = 0; i < 8; i++)
        n = n << 8 | ((const uint8_t *) value.data) [i];
    return n;
}

//  The next order number of a ticket: <ticket_no>-W<n>.
uint32_t
dispatch_next_order_no (dispatch_t *self, kf_txn_t *txn, const char *ticket_no, char *order_no, size_t size)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", "orders", ticket_no);
    uint64_t n = kf_txn_next (txn, self->counters, &key);
    snprintf (order_no, size, "%s-W%" PRIu64, ticket_no, n);
    return (uint32_t) n;
}

//  The order `spec` describes (its order_no set), made and indexed: for a
//  new order, and for an order.created of ours taken back from the archive.
Kf__Order *
dispatch_order_make (dispatch_t *self, kf_txn_t *txn, int64_t at_ms, const char *estate, uint32_t n,
                     Kf__OrderCreated *spec,
                     kf_arena_t *arena)
{
    Kf__Order *order = (Kf__Order *) kf_arena_message (arena, &kf__order__descriptor);
    if (!order) {
        kf_txn_fail (txn, "out of memory");
        return NULL;
    }
    const char *order_no = spec->order_no;
    order->order_no = spec->order_no;
    order->estate = (char *) estate;
    order->created = spec;
    KF_SET (order, created_at_ms, at_ms);
    dispatch_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_CREATED, at_ms);

    kf_key_t key;
    kf_key_make (&key, "s|u", spec->ticket_no, n);
    kf_txn_put (txn, self->by_ticket, &key, order_no, strlen (order_no));
    kf_key_make (&key, "s|t|s", estate, at_ms, order_no);
    kf_txn_put (txn, self->by_estate, &key, order_no, strlen (order_no));
    kf_key_make (&key, "t|s", at_ms, order_no);
    kf_txn_put (txn, self->by_created, &key, order_no, strlen (order_no));
    return kf_txn_ok (txn) ? order : NULL;
}

//  A new order from `spec` (the OrderCreated to publish; its order_no is
//  set here), stored, indexed and announced. The caller assigns it.
Kf__Order *
dispatch_order_create (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const char *estate, const char *order_no,
                       uint32_t n,
                       Kf__OrderCreated *spec, const char *causation_id, const char *actor, kf_arena_t *arena)
{
    if (!(spec->order_no = kf_arena_strdup (arena, order_no))) {
        kf_txn_fail (txn, "out of memory");
        return NULL;
    }
    Kf__Order *order = dispatch_order_make (self, txn, now_ms, estate, n, spec, arena);
    if (!order)
        return NULL;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_ORDER_CREATED;
    event.order_created = spec;
    dispatch_emit (self, txn, now_ms, order, &event, causation_id, actor, arena);
    return kf_txn_ok (txn) ? order : NULL;
}

//  ---- a ticket's orders ---------------------------------------------------------


int
dispatch_collect_order_no (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) key;
    s_ticket_orders_t *t = arg;
    if (value.size > S_ORDER_NO_MAX)
        return kf_txn_fail (txn, "an order number in by_ticket is too long");
    if (t->count == t->size)
        return 1;
    memcpy (t->order_nos [t->count], value.data, value.size);
    t->order_nos [t->count][value.size] = 0;
    t->count++;
    return 0;
}

//  A ticket's orders, oldest first (at most `size`).
size_t
dispatch_ticket_orders (dispatch_t *self, kf_txn_t *txn, const char *ticket_no, char (*order_nos) [S_ORDER_NO_MAX + 1],
                        size_t size)
{
    s_ticket_orders_t t = { .order_nos = order_nos, .size = size };
    kf_key_t prefix;
    if (!ticket_no || kf_key_make (&prefix, "s|", ticket_no))
        return 0;
    kf_txn_scan (txn, self->by_ticket, &prefix, dispatch_collect_order_no, &t);
    return t.count;
}


//  Close every open order of a ticket (ticket closed or cancelled).
int
dispatch_cancel_ticket_orders (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event,
                               const char *ticket_no, const char *reason)
{
    char order_nos [S_TICKET_ORDERS_MAX][S_ORDER_NO_MAX + 1];
    size_t n = dispatch_ticket_orders (self, txn, ticket_no, order_nos, S_TICKET_ORDERS_MAX);
    for (size_t i = 0; i < n && kf_txn_ok (txn); i++) {
        Kf__Order *order = dispatch_order_get (self, txn, order_nos [i], self->base.scratch);
        if (!order || !dispatch_open (order->status))
            continue;
        Kf__OrderCancelled cancelled = KF__ORDER_CANCELLED__INIT;
        cancelled.order_no = order->order_no;
        cancelled.ticket_no = order->created->ticket_no;
        cancelled.reason = (char *) reason;
        Kf__Envelope out = KF__ENVELOPE__INIT;
        out.body_case = KF__ENVELOPE__BODY_ORDER_CANCELLED;
        out.order_cancelled = &cancelled;
        dispatch_order_evolve (self, txn, order, &out, now_ms, self->base.scratch);
        dispatch_emit (self, txn, now_ms, order, &out, event->event_id, event->actor, self->base.scratch);
        dispatch_order_put (self, txn, order);
    }
    return kf_txn_ok (txn) ? 0 : -1;
}

//  A copy of an order's creation, for a follow-up order of the same case.
Kf__OrderCreated *
dispatch_follow_up (const Kf__OrderCreated *from, kf_arena_t *arena)
{
    Kf__OrderCreated *spec = (Kf__OrderCreated *) kf_arena_message (arena, &kf__order_created__descriptor);
    if (spec) {
        *spec = *from;
        spec->order_no = NULL;
        spec->rectification_of = NULL;
        spec->has_due_at_ms = 0;
    }
    return spec;
}

//  ---- commands ----------------------------------------------------------------------


bool
dispatch_directs (Kf__Role role)
{
    return role == KF__ROLE__ROLE_SUPERVISOR || role == KF__ROLE__ROLE_MANAGER;
}

//  The order a command names, or NULL with the reply set: not found, or
//  another estate's in the caller's scope, which must look the same.
static Kf__Order *
s_load (dispatch_t *self, kf_txn_t *txn, const Kf__Request *request, const char *order_no, Kf__Reply *reply,
        kf_arena_t *arena)
{
    Kf__Order *order = order_no && *order_no ? dispatch_order_get (self, txn, order_no, arena) : NULL;
    if (order && order->estate && kf_request_sees (request, order->estate))
        return order;
    if (kf_txn_ok (txn))
        kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, "no order '%s'",
                        order_no ? order_no : "");
    else
        kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_INTERNAL, arena, "order %s is damaged", order_no);
    return NULL;
}

static int
s_reply_order (kf_txn_t *txn, Kf__Order *order, Kf__Reply *reply)
{
    reply->result_case = KF__REPLY__RESULT_ORDER;
    reply->order = order;
    return kf_txn_ok (txn) ? 0 : -1;
}

static const char *
s_status_name (Kf__OrderStatus status, char *buf, size_t size)
{
    return kf_enum_short_name (&kf__order_status__descriptor, status, buf, size);
}

//  The order's lifecycle, as a table: the states each step may leave from.
//  (Where it goes, and what each event does to the order, is
//  dispatch_order_evolve's.)
#define S_STATUS_BIT(name) (1u << (KF__ORDER_STATUS__ORDER_STATUS_##name))
#define S_STATUS_BIT_OF(status) (1u << (status))
typedef struct {
    Kf__Request__CommandCase command;
    unsigned from;               //  S_STATUS_BIT of each state it may leave from
    const char *from_text;       //  for the refusal: "only an assigned order can be accepted"
    const char *done;
} s_step_t;

static const s_step_t s_steps [] = {
    { KF__REQUEST__COMMAND_ACCEPT_ORDER, S_STATUS_BIT (ASSIGNED), "an assigned", "accepted" },
    { KF__REQUEST__COMMAND_START_ORDER, S_STATUS_BIT (ACCEPTED), "an accepted", "started" },
    { KF__REQUEST__COMMAND_PAUSE_ORDER, S_STATUS_BIT (ACCEPTED) | S_STATUS_BIT (STARTED), "an accepted or started",
      "paused" },
    { KF__REQUEST__COMMAND_RESUME_ORDER, S_STATUS_BIT (PAUSED), "a paused", "resumed" },
    { KF__REQUEST__COMMAND_COMPLETE_ORDER, S_STATUS_BIT (ACCEPTED) | S_STATUS_BIT (STARTED), "an accepted or started",
      "completed" },
};

static const s_step_t *
s_step_of (Kf__Request__CommandCase command)
{
    for (size_t i = 0; i < sizeof s_steps / sizeof s_steps [0]; i++)
        if (s_steps [i].command == command)
            return &s_steps [i];
    assert (false);
    return &s_steps [0];
}

//  Accept, start, pause, resume, complete: the assignee's own moves (a
//  technician may move only their own orders; others act for them).
int
dispatch_step (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
               kf_arena_t *arena)
{
    const char *order_no = NULL, *note = NULL;
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_ACCEPT_ORDER: order_no = request->accept_order->order_no; break;
        case KF__REQUEST__COMMAND_START_ORDER: order_no = request->start_order->order_no; break;
        case KF__REQUEST__COMMAND_PAUSE_ORDER: order_no = request->pause_order->order_no; note = request->pause_order->note; break;
        case KF__REQUEST__COMMAND_RESUME_ORDER: order_no = request->resume_order->order_no; note = request->resume_order->note; break;
        case KF__REQUEST__COMMAND_COMPLETE_ORDER: order_no = request->complete_order->order_no; note = request->complete_order->note; break;
        default: assert (false);
    }
    Kf__Order *order = s_load (self, txn, request, order_no, reply, arena);
    if (!order)
        return -1;
    const char *actor = request->actor && *request->actor ? request->actor : NULL;
    if (request->role == KF__ROLE__ROLE_TECHNICIAN && (!order->staff_id || !actor || strcmp (actor,
                                                                                             order->staff_id) != 0))
        return KF_FORBIDDEN ("order %s is assigned to %s, not to %s", order->order_no,
                            order->staff_id ? order->staff_id : "nobody", actor ? actor : "you");
    kf_err_t err;
    if (note && kf_text_check ("note", note, DISPATCH_TEXT_MAX, &err))
        return KF_BAD ("%s", err.text);
    Kf__OrderStatus from = order->status;
    const s_step_t *step = s_step_of (request->command_case);
    if (!(step->from & S_STATUS_BIT_OF (from))) {
        char status [32];
        return KF_CONFLICT ("order %s is %s: only %s order can be %s%s", order->order_no,
                            s_status_name (from, status, sizeof status), step->from_text, step->done,
                            from == KF__ORDER_STATUS__ORDER_STATUS_PAUSED
                            && step->command == KF__REQUEST__COMMAND_COMPLETE_ORDER ? " (resume it first)" : "");
    }
    Kf__Envelope event = KF__ENVELOPE__INIT;
    Kf__OrderAccepted accepted = KF__ORDER_ACCEPTED__INIT;
    Kf__OrderStarted started = KF__ORDER_STARTED__INIT;
    Kf__OrderPaused paused = KF__ORDER_PAUSED__INIT;
    Kf__OrderResumed resumed = KF__ORDER_RESUMED__INIT;
    Kf__OrderCompleted *completed = NULL;
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_ACCEPT_ORDER:
            accepted.order_no = order->order_no;
            accepted.ticket_no = order->created->ticket_no;
            accepted.staff_id = order->staff_id;
            event.body_case = KF__ENVELOPE__BODY_ORDER_ACCEPTED;
            event.order_accepted = &accepted;
            break;
        case KF__REQUEST__COMMAND_START_ORDER:
            started.order_no = order->order_no;
            started.ticket_no = order->created->ticket_no;
            started.staff_id = order->staff_id;
            event.body_case = KF__ENVELOPE__BODY_ORDER_STARTED;
            event.order_started = &started;
            break;
        case KF__REQUEST__COMMAND_PAUSE_ORDER:
            if (!kf_enum_known (&kf__pause_reason__descriptor, request->pause_order->has_reason,
                                request->pause_order->reason))
                return KF_BAD ("a pause needs its reason (waiting_for_owner, waiting_for_parts or other)");
            paused.order_no = order->order_no;
            paused.ticket_no = order->created->ticket_no;
            KF_SET (&paused, reason, request->pause_order->reason);
            paused.note = (char *) note;
            event.body_case = KF__ENVELOPE__BODY_ORDER_PAUSED;
            event.order_paused = &paused;
            break;
        case KF__REQUEST__COMMAND_RESUME_ORDER:
            resumed.order_no = order->order_no;
            resumed.ticket_no = order->created->ticket_no;
            resumed.note = (char *) note;
            event.body_case = KF__ENVELOPE__BODY_ORDER_RESUMED;
            event.order_resumed = &resumed;
            break;
        case KF__REQUEST__COMMAND_COMPLETE_ORDER: {
            const Kf__CompleteOrder *c = request->complete_order;
            if (c->labour_minutes > S_LABOUR_MAX)
                return KF_BAD ("labour_minutes %u is more than %d", c->labour_minutes, S_LABOUR_MAX);
            if (c->n_materials > S_MATERIALS_MAX)
                return KF_BAD ("at most %d materials", S_MATERIALS_MAX);
            for (size_t i = 0; i < c->n_materials; i++) {
                const Kf__Material *m = c->materials [i];
                if (kf_text_check ("name", m->name, 100, &err))
                    return KF_BAD ("material %zu: %s", i + 1, err.text);
                if (m->quantity < 1 || m->unit_price_fen < 0 || m->unit_price_fen > DISPATCH_AMOUNT_MAX)
                    return KF_BAD ("material %zu needs a name, a quantity of at least 1 and a price of 0 to %" PRId64 " fen",
                                  i + 1, DISPATCH_AMOUNT_MAX);
            }
            if (c->paid_service && kf_fen_check_positive (c->amount_fen, DISPATCH_AMOUNT_MAX, &err))
                return KF_BAD ("a paid service: %s", err.text);
            if (!c->paid_service && c->amount_fen != 0)
                return KF_BAD ("an amount is charged only for a paid service (--paid)");
            completed = (Kf__OrderCompleted *) kf_arena_message (arena, &kf__order_completed__descriptor);
            if (!completed)
                return kf_txn_fail (txn, "out of memory");
            const Kf__OrderCreated *o = order->created;
            completed->order_no = order->order_no;
            completed->ticket_no = o->ticket_no;
            completed->unit = o->unit;
            KF_SET (completed, department, o->department);
            completed->category = o->category;
            completed->has_category = o->has_category;
            completed->type = o->type;
            completed->has_type = o->has_type;
            completed->staff_id = order->staff_id;
            KF_SET (completed, labour_minutes, c->labour_minutes);
            completed->materials = c->materials;
            completed->n_materials = c->n_materials;
            KF_SET (completed, paid_service, c->paid_service);
            KF_SET (completed, amount_fen, c->paid_service ? c->amount_fen : 0);
            completed->note = (char *) note;
            completed->rectification_of = o->rectification_of;
            event.body_case = KF__ENVELOPE__BODY_ORDER_COMPLETED;
            event.order_completed = completed;
            break;
        }
        default:
            assert (false);
    }
    dispatch_order_evolve (self, txn, order, &event, now_ms, arena);
    dispatch_emit (self, txn, now_ms, order, &event, NULL, actor, arena);
    dispatch_order_put (self, txn, order);
    return s_reply_order (txn, order, reply);
}

int
dispatch_transfer (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                   kf_arena_t *arena)
{
    const Kf__TransferOrder *t = request->transfer_order;
    Kf__Order *order = s_load (self, txn, request, t->order_no, reply, arena);
    if (!order)
        return -1;
    const char *actor = request->actor && *request->actor ? request->actor : NULL;
    if (request->role == KF__ROLE__ROLE_TECHNICIAN && (!order->staff_id || !actor || strcmp (actor,
                                                                                             order->staff_id) != 0))
        return KF_FORBIDDEN ("order %s is assigned to %s, not to %s", order->order_no,
                            order->staff_id ? order->staff_id : "nobody", actor ? actor : "you");
    char status [32], department [32];
    if (!dispatch_open (order->status))
        return KF_CONFLICT ("order %s is %s: only an open order can be transferred", order->order_no,
                           s_status_name (order->status, status, sizeof status));
    if (!kf_enum_known (&kf__department__descriptor, t->has_to_department, t->to_department))
        return KF_BAD ("to_department is required (engineering, cleaning, security, greening or customer_service)");
    if (t->to_department == order->created->department)
        return KF_BAD ("order %s is with %s already", order->order_no,
                      kf_enum_short_name (&kf__department__descriptor, t->to_department, department,
                                          sizeof department));
    kf_err_t err;
    if (kf_text_check ("reason", t->reason, DISPATCH_TEXT_MAX, &err))
        return KF_BAD ("a transfer needs its reason: %s", err.text);
    if (dispatch_orders_made (self, txn, order->created->ticket_no) >= S_TICKET_ORDERS_MAX)
        return KF_CONFLICT ("ticket %s has had %d orders: file a new ticket", order->created->ticket_no,
                           S_TICKET_ORDERS_MAX);

    Kf__OrderCreated *spec = dispatch_follow_up (order->created, arena);
    if (!spec)
        return kf_txn_fail (txn, "out of memory");
    spec->department = t->to_department;
    spec->rectification_of = order->created->rectification_of;   //  still the same rectification
    spec->due_at_ms = order->created->due_at_ms;
    spec->has_due_at_ms = order->created->has_due_at_ms;
    char new_order_no [S_ORDER_NO_MAX + 1];
    uint32_t n = dispatch_next_order_no (self, txn, order->created->ticket_no, new_order_no, sizeof new_order_no);

    Kf__OrderTransferred transferred = KF__ORDER_TRANSFERRED__INIT;
    transferred.order_no = order->order_no;
    transferred.ticket_no = order->created->ticket_no;
    KF_SET (&transferred, from_department, order->created->department);
    KF_SET (&transferred, to_department, t->to_department);
    transferred.reason = t->reason;
    transferred.new_order_no = new_order_no;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_ORDER_TRANSFERRED;
    event.order_transferred = &transferred;
    dispatch_order_evolve (self, txn, order, &event, now_ms, arena);
    dispatch_emit (self, txn, now_ms, order, &event, NULL, actor, arena);
    dispatch_order_put (self, txn, order);

    Kf__Order *next = dispatch_order_create (self, txn, now_ms, order->estate, new_order_no, n, spec, NULL, actor,
                                             arena);
    if (!next || dispatch_send_new (self, txn, now_ms, next, NULL, arena))
        return -1;
    return s_reply_order (txn, next, reply);
}

int
dispatch_assign (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                 kf_arena_t *arena)
{
    const Kf__AssignOrder *a = request->assign_order;
    if (!dispatch_directs (request->role))
        return KF_FORBIDDEN ("only a supervisor or a manager assigns orders by hand");
    Kf__Order *order = s_load (self, txn, request, a->order_no, reply, arena);
    if (!order)
        return -1;
    char status [32], department [32];
    Kf__OrderStatus from = order->status;
    if (!dispatch_open (from) || from == KF__ORDER_STATUS__ORDER_STATUS_PAUSED)
        return KF_CONFLICT ("order %s is %s: it cannot be assigned%s", order->order_no,
                           s_status_name (from, status, sizeof status),
                           from == KF__ORDER_STATUS__ORDER_STATUS_PAUSED ? " while paused (resume it first)" : "");
    if (!a->staff_id || !*a->staff_id)
        return KF_BAD ("staff_id is required");
    Kf__Staff *staff = dispatch_staff_get (self, txn, order->estate, a->staff_id, arena);
    if (!staff)
        return kf_txn_ok (txn) ? kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena,
                                                 "no staff '%s' in estate %s", a->staff_id, order->estate) : -1;
    if (!staff->active)
        return KF_CONFLICT ("%s is no longer active", staff->staff_id);
    if (staff->department != order->created->department)
        return KF_CONFLICT ("%s works in %s, not %s: transfer the order first", staff->staff_id,
                           kf_enum_short_name (&kf__department__descriptor, staff->department, department,
                                               sizeof department),
                           kf_enum_short_name (&kf__department__descriptor, order->created->department, status,
                                               sizeof status));
    if (order->staff_id && dispatch_held (order) && strcmp (order->staff_id, staff->staff_id) == 0)
        return KF_CONFLICT ("order %s is with %s already", order->order_no, staff->staff_id);
    kf_err_t err;
    if (a->reason && *a->reason && kf_text_check ("reason", a->reason, DISPATCH_TEXT_MAX, &err))
        return KF_BAD ("%s", err.text);
    const char *actor = request->actor && *request->actor ? request->actor : NULL;
    if (dispatch_assign_to (self, txn, now_ms, order, staff->staff_id, staff->name, KF__ASSIGNED_BY__ASSIGNED_BY_MANUAL,
                            a->reason, NULL, actor, arena))
        return -1;
    dispatch_order_put (self, txn, order);
    return s_reply_order (txn, order, reply);
}

int
dispatch_show (dispatch_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    Kf__Order *order = s_load (self, txn, request, request->show_order->order_no, reply, arena);
    return order ? s_reply_order (txn, order, reply) : -1;
}
