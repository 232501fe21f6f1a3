/*  dispatch — work orders over a store transaction: set-up, the events it
    consumes (tickets, unsatisfied visits, rotas), the lists and the
    requests' dispatch, and recovery after a restore. See dispatch.h; the
    other parts are named in dispatch_private.h.
*/
#include "dispatch_private.h"

const char *const dispatch_department_keys [S_DEPARTMENTS] = {
    NULL, "engineering", "cleaning", "security", "greening", "customer_service"
};

//  ---- consumed events ---------------------------------------------------------------

static int
s_on_ticket_filed (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    const Kf__TicketFiled *f = event->ticket_filed;
    const dispatch_estate_t *estate = dispatch_estate (self, event->estate);
    if (!estate || !f->ticket_no) {
        kf_warning ("ticket.filed of unknown estate '%s': no order", event->estate ? event->estate : "");
        return 0;
    }
    char existing [1][S_ORDER_NO_MAX + 1];
    if (dispatch_ticket_orders (self, txn, f->ticket_no, existing, 1) > 0)
        return 0;   //  it has its order already
    Kf__OrderCreated *spec = (Kf__OrderCreated *) kf_arena_message (self->base.scratch, &kf__order_created__descriptor);
    if (!spec)
        return kf_txn_fail (txn, "out of memory");
    spec->ticket_no = f->ticket_no;
    spec->unit = f->unit;
    KF_SET (spec, department, dispatch_route (self, event->estate, f->type, f->category, f->hazards, f->n_hazards));
    spec->category = f->category;
    spec->has_category = f->has_category;
    spec->type = f->type;
    spec->has_type = f->has_type;
    KF_SET (spec, priority, f->has_priority && f->priority ? f->priority : KF__PRIORITY__PRIORITY_NORMAL);
    spec->description = f->description;
    char order_no [S_ORDER_NO_MAX + 1];
    uint32_t n = dispatch_next_order_no (self, txn, f->ticket_no, order_no, sizeof order_no);
    Kf__Order *order = dispatch_order_create (self, txn, now_ms, estate->estate->id, order_no, n, spec, event->event_id,
                                              event->actor, self->base.scratch);
    return order ? dispatch_send_new (self, txn, now_ms, order, event->event_id, self->base.scratch) : -1;
}

//  The ticket's newest order, or NULL.
static Kf__Order *
s_last_order (dispatch_t *self, kf_txn_t *txn, const char *ticket_no, bool *any_open)
{
    char order_nos [S_TICKET_ORDERS_MAX][S_ORDER_NO_MAX + 1];
    size_t n = dispatch_ticket_orders (self, txn, ticket_no, order_nos, S_TICKET_ORDERS_MAX);
    Kf__Order *last = NULL;
    *any_open = false;
    for (size_t i = 0; i < n; i++) {
        Kf__Order *order = dispatch_order_get (self, txn, order_nos [i], self->base.scratch);
        if (!order)
            continue;
        if (dispatch_open (order->status))
            *any_open = true;
        if (!last || order->created_at_ms >= last->created_at_ms)
            last = order;
    }
    return last;
}

//  A follow-up order: after a reopening (owner says it is not fixed) or an
//  unsatisfied return visit (a rectification, due within 24 h).
static int
s_follow_up_order (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event, const Kf__Order *from,
                   const char *why, const char *text, bool rectification)
{
    if (dispatch_orders_made (self, txn, from->created->ticket_no) >= S_TICKET_ORDERS_MAX) {
        kf_warning ("ticket %s has had %d orders: no more (%s)", from->created->ticket_no, S_TICKET_ORDERS_MAX, why);
        return kf_txn_ok (txn) ? 0 : -1;
    }
    Kf__OrderCreated *spec = dispatch_follow_up (from->created, self->base.scratch);
    if (!spec)
        return kf_txn_fail (txn, "out of memory");
    char description [DISPATCH_TEXT_MAX + 128];
    snprintf (description, sizeof description, "%s%s%s", why, text && *text ? ": " : "", text ? text : "");
    spec->description = kf_arena_strdup (self->base.scratch, description);
    if (rectification) {
        int64_t visited = kf_event_time (event, now_ms);
        spec->rectification_of = from->order_no;
        KF_SET (spec, due_at_ms, visited + self->rectification_due_ms);
        if (spec->priority != KF__PRIORITY__PRIORITY_EMERGENCY)
            spec->priority = KF__PRIORITY__PRIORITY_URGENT;
    }
    char order_no [S_ORDER_NO_MAX + 1];
    uint32_t n = dispatch_next_order_no (self, txn, spec->ticket_no, order_no, sizeof order_no);
    Kf__Order *order = dispatch_order_create (self, txn, now_ms, from->estate, order_no, n, spec, event->event_id,
                                              event->actor, self->base.scratch);
    return order ? dispatch_send_new (self, txn, now_ms, order, event->event_id, self->base.scratch) : -1;
}

static int
s_on_ticket_reopened (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    const Kf__TicketReopened *r = event->ticket_reopened;
    //  After an unsatisfied visit the rectification order is the new work.
    if (kf_reopened_after_visit (r))
        return 0;
    bool any_open;
    Kf__Order *last = s_last_order (self, txn, r->ticket_no, &any_open);
    if (!last || any_open)
        return kf_txn_ok (txn) ? 0 : -1;
    return s_follow_up_order (self, txn, now_ms, event, last, "reopened", r->reason, false);
}

static int
s_on_visit_unsatisfied (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    const Kf__VisitUnsatisfied *v = event->visit_unsatisfied;
    Kf__Order *from = dispatch_order_get (self, txn, v->order_no, self->base.scratch);
    bool any_open;
    if (!from && kf_txn_ok (txn))
        from = s_last_order (self, txn, v->ticket_no, &any_open);
    if (!from) {
        if (kf_txn_ok (txn))
            kf_warning ("visit.unsatisfied names no order of ours (%s, %s): no rectification",
                        v->order_no ? v->order_no : "-", v->ticket_no ? v->ticket_no : "-");
        return kf_txn_ok (txn) ? 0 : -1;
    }
    return s_follow_up_order (self, txn, now_ms, event, from, "rectification after an unsatisfied return visit",
                              v->comment, true);
}

//  A first response overdue at level 2 or 3: an order nobody accepted goes
//  to someone else on shift, if there is anyone.
static int
s_on_escalation (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    const Kf__EscalationRaised *e = event->escalation_raised;
    if (e->level < KF__ESCALATION_LEVEL__ESCALATION_LEVEL_SUPERVISOR || e->target != KF__SLA_TARGET__SLA_TARGET_FIRST_RESPONSE)
        return 0;
    char order_nos [S_TICKET_ORDERS_MAX][S_ORDER_NO_MAX + 1];
    size_t n = dispatch_ticket_orders (self, txn, e->ticket_no, order_nos, S_TICKET_ORDERS_MAX);
    for (size_t i = 0; i < n && kf_txn_ok (txn); i++) {
        Kf__Order *order = dispatch_order_get (self, txn, order_nos [i], self->base.scratch);
        if (!order || order->status != KF__ORDER_STATUS__ORDER_STATUS_ASSIGNED)
            continue;
        char reason [128];
        snprintf (reason, sizeof reason, "escalation level %d: not accepted in time", (int) e->level);
        if (dispatch_assign_auto (self, txn, now_ms, order, KF__ASSIGNED_BY__ASSIGNED_BY_ESCALATION, reason,
                                  order->staff_id,
                                  event->event_id, self->base.scratch) == 1)
            dispatch_order_put (self, txn, order);
    }
    return kf_txn_ok (txn) ? 0 : -1;
}

int
dispatch_apply_event (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    assert (self && txn && event);
    dispatch_tables (self, txn);
    kf_arena_reset (self->base.scratch);
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_TICKET_FILED:
            return s_on_ticket_filed (self, txn, now_ms, event);
        case KF__ENVELOPE__BODY_TICKET_CLOSED:
            return dispatch_cancel_ticket_orders (self, txn, now_ms, event, event->ticket_closed->ticket_no,
                                                  "the ticket was closed");
        case KF__ENVELOPE__BODY_TICKET_CANCELLED:
            return dispatch_cancel_ticket_orders (self, txn, now_ms, event, event->ticket_cancelled->ticket_no,
                                                  "the ticket was cancelled");
        case KF__ENVELOPE__BODY_TICKET_REOPENED:
            return s_on_ticket_reopened (self, txn, now_ms, event);
        case KF__ENVELOPE__BODY_VISIT_UNSATISFIED:
            return s_on_visit_unsatisfied (self, txn, now_ms, event);
        case KF__ENVELOPE__BODY_ESCALATION_RAISED:
            return s_on_escalation (self, txn, now_ms, event);
        case KF__ENVELOPE__BODY_RENOVATION_STARTED:
        case KF__ENVELOPE__BODY_RENOVATION_COMPLETED:
            return dispatch_on_renovation (self, txn, event);
        default:
            return 0;
    }
}

//  ---- lists ---------------------------------------------------------------------------

typedef struct {
    dispatch_t *self;
    const Kf__ListOrders *query;
    const char *scope;
    Kf__OrderList *list;
    kf_arena_t *arena;
} s_list_t;

static int
s_list_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, bool show, void *arg)
{
    (void) key;
    s_list_t *l = arg;
    char order_no [S_ORDER_NO_MAX + 1];
    if (value.size > S_ORDER_NO_MAX)
        return kf_txn_fail (txn, "an order index holds a bad order number");
    memcpy (order_no, value.data, value.size);
    order_no [value.size] = 0;
    Kf__Order *order = dispatch_order_get (l->self, txn, order_no, l->arena);
    if (!order)
        return kf_txn_ok (txn) ? kf_txn_fail (txn, "index names order %s, which is not there", order_no) : -1;
    const Kf__ListOrders *q = l->query;
    bool match = (!l->scope || strcmp (order->estate, l->scope) == 0)
              && (!q->has_status || !q->status || q->status == order->status)
              && (!q->has_department || !q->department || q->department == order->created->department)
              && (!q->staff_id || !*q->staff_id || (order->staff_id && strcmp (q->staff_id, order->staff_id) == 0));
    if (match && show) {
        order->n_history = 0;   //  a list shows orders, not their stories
        order->history = NULL;
        l->list->orders [l->list->n_orders++] = order;
    }
    return match;
}

static int
s_list (dispatch_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ListOrders *q = request->list_orders;
    const char *estate = q->estate && *q->estate ? q->estate : NULL;
    if (estate && (!dispatch_estate (self, estate) || !kf_request_sees (request, estate)))
        return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, "unknown estate '%s'", estate);
    if (!estate && request->scope && *request->scope)
        estate = request->scope;
    uint32_t page_size = kf_page_size (q->page, DISPATCH_PAGE_DEFAULT, DISPATCH_PAGE_MAX);
    s_list_t l = {
        .self = self, .query = q, .scope = estate, .arena = arena,
        .list = (Kf__OrderList *) kf_arena_message (arena, &kf__order_list__descriptor),
    };
    if (l.list)
        l.list->orders = kf_arena_alloc (arena, page_size * sizeof *l.list->orders);
    if (!l.list || !l.list->orders)
        return kf_txn_fail (txn, "out of memory");
    //  The narrowest index: the ticket's orders, the estate's, or all.
    kf_key_t prefix = { 0 }, top;
    kf_table_t index;
    if (q->ticket_no && *q->ticket_no) {
        index = self->by_ticket;
        if (kf_key_make (&prefix, "s|", q->ticket_no) || kf_key_make (&top, "s|u", q->ticket_no, UINT32_MAX))
            return KF_BAD ("ticket_no '%s' is not a ticket number", q->ticket_no);
    }
    else
    if (estate) {
        index = self->by_estate;
        kf_key_make (&prefix, "s|", estate);
        kf_key_make (&top, "s|t", estate, INT64_MAX);
    }
    else {
        index = self->by_created;
        kf_key_make (&top, "t", INT64_MAX);
    }
    kf_page_t page;
    int rc = kf_page_walk (txn, index, &prefix, &top, q->page, page_size, s_list_row, &l, arena, &page);
    if (kf_page_result (rc, reply, arena))
        return -1;
    KF_SET (l.list, total, page.total);
    l.list->next_page_token = page.next_token;
    reply->result_case = KF__REPLY__RESULT_ORDERS;
    reply->orders = l.list;
    return 0;
}

typedef struct {
    const Kf__ListStaff *query;
    dispatch_t *self;
    int64_t now_ms;
    Kf__StaffList *list;
    size_t size;
    kf_arena_t *arena;
} s_staff_list_t;

static int
s_staff_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) key;
    s_staff_list_t *l = arg;
    Kf__Staff *s = (Kf__Staff *) msg;
    const dispatch_estate_t *estate = dispatch_estate (l->self, s->estate);
    KF_SET (s, on_duty, s->active && estate && kf_rota_on_duty (s->shifts, s->n_shifts, estate->estate->calendar, l->now_ms));
    const Kf__ListStaff *q = l->query;
    if ((q->has_department && q->department && q->department != s->department) || (q->on_duty_now && !s->on_duty))
        return 0;
    if (l->list->n_staff == l->size) {
        size_t size = l->size ? l->size * 2 : 64;
        Kf__Staff **grown = kf_arena_alloc (l->arena, size * sizeof *grown);
        if (!grown)
            return kf_txn_fail (txn, "out of memory");
        if (l->size)
            memcpy (grown, l->list->staff, l->size * sizeof *grown);
        l->list->staff = grown;
        l->size = size;
    }
    l->list->staff [l->list->n_staff++] = s;
    return 0;
}

static int
s_list_staff (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
              kf_arena_t *arena)
{
    const Kf__ListStaff *q = request->list_staff;
    const char *estate = q->estate && *q->estate ? q->estate : NULL;
    if (estate && (!dispatch_estate (self, estate) || !kf_request_sees (request, estate)))
        return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, "unknown estate '%s'", estate);
    if (!estate && request->scope && *request->scope)
        estate = request->scope;
    s_staff_list_t l = {
        .query = q, .self = self, .now_ms = now_ms, .arena = arena,
        .list = (Kf__StaffList *) kf_arena_message (arena, &kf__staff_list__descriptor),
    };
    if (!l.list)
        return kf_txn_fail (txn, "out of memory");
    kf_key_t prefix;
    if (estate)
        kf_key_make (&prefix, "s|", estate);
    if (kf_txn_scan_msg_in (txn, self->staff, estate ? &prefix : NULL, &kf__staff__descriptor, arena, s_staff_row,
                            &l) < 0)
        return -1;
    reply->result_case = KF__REPLY__RESULT_STAFF;
    reply->staff = l.list;
    return 0;
}

static int
s_set_rota (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
            kf_arena_t *arena)
{
    const Kf__SetRota *r = request->set_rota;
    if (!dispatch_directs (request->role))
        return KF_FORBIDDEN ("only a supervisor or a manager changes a rota");
    const char *estate = r->estate && *r->estate ? r->estate : request->scope;
    if (!estate || !*estate)
        return KF_BAD ("estate is required");
    if (!dispatch_estate (self, estate) || !kf_request_sees (request, estate))
        return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, "unknown estate '%s'", estate);
    kf_err_t err;
    if (kf_rota_check (r->shifts, r->n_shifts, &err))
        return KF_BAD ("%s", err.text);
    Kf__Staff *staff = dispatch_staff_get (self, txn, estate, r->staff_id, arena);
    if (!staff)
        return kf_txn_ok (txn) ? kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena,
                                                 "no staff '%s' in estate %s", r->staff_id ? r->staff_id : "", estate) : -1;
    staff->shifts = r->shifts;
    staff->n_shifts = r->n_shifts;
    if (r->has_on_call) {
        KF_SET (staff, on_call, r->on_call);
    }
    char rota [512];
    kf_notice ("rota of %s/%s set by %s: %s%s", estate, staff->staff_id, request->actor ? request->actor : "unknown",
               kf_rota_format (r->shifts, r->n_shifts, rota, sizeof rota), staff->on_call ? ", on call" : "");
    dispatch_staff_put (self, txn, staff);
    dispatch_staff_announce (self, txn, now_ms, staff, request->actor);
    //  Someone may be on shift now who was not: the queue need not wait.
    if (dispatch_drain (self, txn, now_ms, estate, arena) < 0)
        return -1;
    Kf__Staff *now = dispatch_staff_get (self, txn, estate, staff->staff_id, arena);
    if (!now)
        return -1;
    now->on_duty = now->active && kf_rota_on_duty (now->shifts, now->n_shifts, dispatch_estate (self,
                                                                                                estate)->estate->calendar,
                                                   now_ms);
    now->has_on_duty = 1;
    reply->result_case = KF__REPLY__RESULT_STAFF_MEMBER;
    reply->staff_member = now;
    return 0;
}

int
dispatch_handle_request (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                         Kf__Reply *reply, kf_arena_t *arena)
{
    assert (self && txn && request && reply && arena);
    dispatch_tables (self, txn);
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_LIST_ORDERS:
            return s_list (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_SHOW_ORDER:
            return dispatch_show (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_ACCEPT_ORDER:
        case KF__REQUEST__COMMAND_START_ORDER:
        case KF__REQUEST__COMMAND_PAUSE_ORDER:
        case KF__REQUEST__COMMAND_RESUME_ORDER:
        case KF__REQUEST__COMMAND_COMPLETE_ORDER:
            return dispatch_step (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_TRANSFER_ORDER:
            return dispatch_transfer (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_ASSIGN_ORDER:
            return dispatch_assign (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_LIST_STAFF:
            return s_list_staff (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_SET_ROTA:
            return s_set_rota (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_ADD_USER:
        case KF__REQUEST__COMMAND_SET_USER:
        case KF__REQUEST__COMMAND_LIST_USERS:
        case KF__REQUEST__COMMAND_SHOW_USER:
        case KF__REQUEST__COMMAND_BEGIN_SIGN_IN:
        case KF__REQUEST__COMMAND_END_SIGN_IN:
            return dispatch_accounts_request (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_ADD_PLAN:
        case KF__REQUEST__COMMAND_SET_PLAN:
        case KF__REQUEST__COMMAND_LIST_PLANS:
            return dispatch_plans_request (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_LIST_ROUNDS:
        case KF__REQUEST__COMMAND_SHOW_ROUND:
        case KF__REQUEST__COMMAND_START_ROUND:
        case KF__REQUEST__COMMAND_CHECK_IN:
        case KF__REQUEST__COMMAND_RECORD_CHECKPOINT:
        case KF__REQUEST__COMMAND_FINISH_ROUND:
            return dispatch_rounds_request (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_REPORT_ROUNDS:
            return dispatch_report_rounds (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_SHOW_CHECKPOINT:
            return dispatch_show_checkpoint (self, txn, now_ms, request, reply, arena);
        default:
            return KF_BAD ("kefu-dispatch does not answer this command");
    }
}

//  ---- after a restore -----------------------------------------------------------

//  A person's record as staff.changed announced it, with the load the
//  store keeps (staff.changed leaves it out).
static int
s_recover_staff (dispatch_t *self, kf_txn_t *txn, const Kf__Staff *news)
{
    if (!news || !news->estate || !news->staff_id)
        return 0;
    Kf__Staff staff = *news;
    Kf__Staff *known = dispatch_staff_get (self, txn, news->estate, news->staff_id, self->base.scratch);
    if (known) {
        staff.open_orders = known->open_orders;
        staff.has_open_orders = known->has_open_orders;
        staff.last_assigned_ms = known->last_assigned_ms;
        staff.has_last_assigned_ms = known->has_last_assigned_ms;
        staff.config_digest = known->config_digest;
        staff.has_config_digest = known->has_config_digest;
    }
    return dispatch_staff_put (self, txn, &staff);
}

int
dispatch_recover (dispatch_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    assert (self && txn && event);
    dispatch_tables (self, txn);
    kf_arena_reset (self->base.scratch);
    if (event->body_case == KF__ENVELOPE__BODY_STAFF_CHANGED)
        return s_recover_staff (self, txn, event->staff_changed->staff);
    int rounds = dispatch_rounds_recover (self, txn, event);
    if (rounds)
        return rounds;
    const ProtobufCMessage *body = kf_event_body (event);
    const char *order_no = body ? kf_summary_string (body, "order_no") : NULL;
    if (!order_no || !event->estate)
        return 0;
    int64_t at = event->occurred_at_ms;
    Kf__Order *order = NULL;
    if (event->body_case == KF__ENVELOPE__BODY_ORDER_CREATED) {
        Kf__OrderCreated *spec = event->order_created;
        const char *w = strrchr (order_no, 'W');
        char *end = NULL;
        unsigned long n = w && w > order_no && w [-1] == '-' ? strtoul (w + 1, &end, 10) : 0;
        if (!spec->ticket_no || n == 0 || *end || n > UINT32_MAX)
            return kf_txn_fail (txn, "%s: '%s' is not an order number", event->stream, order_no);
        //  Its number is taken: the ticket's counter goes at least that far.
        kf_key_t key;
        kf_key_make (&key, "s|s", "orders", spec->ticket_no);
        uint64_t have = kf_txn_counter (txn, self->counters, &key);
        if (n > have)
            kf_txn_add (txn, self->counters, &key, (int64_t) (n - have));
        order = dispatch_order_make (self, txn, at, event->estate, (uint32_t) n, spec, self->base.scratch);
    }
    else {
        order = dispatch_order_get (self, txn, order_no, self->base.scratch);
        if (!order) {
            if (kf_txn_ok (txn))
                kf_warning ("%s %llu: order %s is neither in the backup nor taken back before it", event->stream,
                            (unsigned long long) event->seq, order_no);
            return kf_txn_ok (txn) ? 0 : -1;
        }
        dispatch_order_evolve (self, txn, order, event, at, self->base.scratch);
    }
    if (!order)
        return -1;
    char kind [64], summary [512];
    kf_codec_event_kind (&event->base, kind, sizeof kind);
    kf_summary (body, "order_no", summary, sizeof summary);
    if (dispatch_history_add (order, self->base.scratch, at, kind, summary, event->actor))
        return kf_txn_fail (txn, "out of memory");
    dispatch_order_put (self, txn, order);
    //  What dispatch does with a consumed event is all in the orders it
    //  made or moved: the cause needs no second application.
    return kf_txn_ok (txn) ? 1 : -1;
}


dispatch_t *
dispatch_new (kf_config_t *config, kf_err_t *err)
{
    assert (config);
    dispatch_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->estates = kf_domain_init (&self->base, config, sizeof *self->estates, err);
    if (!self->estates) {
        dispatch_destroy (&self);
        return NULL;
    }
    size_t estates = self->base.estate_count;
    self->rectification_due_ms = kf_config_duration_ms (config, "dispatch/rectification_due");
    for (size_t i = 0; i < estates; i++) {
        self->estates [i].estate = kf_config_estate (config, i);
        if (dispatch_build_routing (&self->estates [i], config, err)) {
            dispatch_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
dispatch_destroy (dispatch_t **self_p)
{
    assert (self_p);
    dispatch_t *self = *self_p;
    if (self) {
        kf_domain_fini (&self->base);
        free (self);
        *self_p = NULL;
    }
}

void
dispatch_set_outbox (dispatch_t *self, kf_outbox_t *outbox)
{
    assert (self && outbox);
    self->base.outbox = outbox;
}
