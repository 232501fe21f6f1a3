/*  dispatch_assign — who takes an order: someone on shift (or on call)
    with the skill and the least load, else the queue, offered again as
    people come on shift. See dispatch_private.h.
*/
#include "dispatch_private.h"

//  ---- assignment ------------------------------------------------------------------


typedef struct {
    const dispatch_estate_t *estate;
    Kf__Department department;
    Kf__Category category;
    bool emergency;
    int64_t now_ms;
    const char *exclude;         //  a reassignment passes over the current person
    bool found, found_on_duty;
    char staff_id [KF_ID_MAX + 1];
    char name [256];
    uint32_t open_orders;
    int64_t last_assigned_ms;
} s_pick_t;

static bool
s_has_skill (const Kf__Staff *staff, Kf__Category category)
{
    if (staff->n_skills == 0 || category == KF__CATEGORY__CATEGORY_UNSPECIFIED)
        return true;   //  skills = any: the whole department's work; no skill asked: anyone's
    for (size_t i = 0; i < staff->n_skills; i++)
        if (staff->skills [i] == category)
            return true;
    return false;
}

static bool
s_takes_orders (const Kf__Staff *staff)
{
    return staff->role == KF__ROLE__ROLE_TECHNICIAN || staff->role == KF__ROLE__ROLE_FRONT_DESK;
}

static int
s_pick_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) txn; (void) key;
    s_pick_t *p = arg;
    const Kf__Staff *s = (const Kf__Staff *) msg;
    if (!s->active || s->department != p->department || !s_takes_orders (s) || !s_has_skill (s, p->category)
    ||  !s->staff_id || (p->exclude && strcmp (p->exclude, s->staff_id) == 0))
        return 0;
    bool on_duty = kf_rota_on_duty (s->shifts, s->n_shifts, p->estate->estate->calendar, p->now_ms);
    if (!on_duty && !(p->emergency && s->on_call))
        return 0;
    //  Best: on shift before on call, then the lightest load, then who
    //  waited longest; staff ids come in order, so the first of equals stays.
    bool better = !p->found
        || (on_duty && !p->found_on_duty)
        || (on_duty == p->found_on_duty
            && (s->open_orders < p->open_orders
                || (s->open_orders == p->open_orders && s->last_assigned_ms < p->last_assigned_ms)));
    if (better) {
        p->found = true;
        p->found_on_duty = on_duty;
        snprintf (p->staff_id, sizeof p->staff_id, "%s", s->staff_id);
        snprintf (p->name, sizeof p->name, "%s", s->name ? s->name : "");
        p->open_orders = s->open_orders;
        p->last_assigned_ms = s->last_assigned_ms;
    }
    return 0;
}

//  Name the person: loads move, a queued order leaves its queue.
int
dispatch_assign_to (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Order *order, const char *staff_id,
                    const char *staff_name, Kf__AssignedBy by, const char *reason, const char *causation_id,
                    const char *actor, kf_arena_t *arena)
{
    char *previous = dispatch_held (order) ? order->staff_id : NULL;
    Kf__OrderAssigned assigned = KF__ORDER_ASSIGNED__INIT;
    assigned.order_no = order->order_no;
    assigned.ticket_no = order->created->ticket_no;
    assigned.staff_id = (char *) staff_id;
    assigned.staff_name = staff_name && *staff_name ? (char *) staff_name : NULL;
    KF_SET (&assigned, assigned_by, by);
    assigned.previous_staff_id = previous;
    assigned.reason = reason && *reason ? (char *) reason : NULL;
    KF_SET (&assigned, department, order->created->department);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_ORDER_ASSIGNED;
    event.order_assigned = &assigned;
    dispatch_order_evolve (self, txn, order, &event, now_ms, arena);
    return dispatch_emit (self, txn, now_ms, order, &event, causation_id, actor, arena);
}

int
dispatch_pick (dispatch_t *self, kf_txn_t *txn, const char *estate_id, Kf__Department department,
               Kf__Category category, bool emergency, int64_t now_ms, const char *exclude, dispatch_person_t *person)
{
    const dispatch_estate_t *estate = dispatch_estate (self, estate_id);
    if (!estate)
        return 0;
    s_pick_t p = {
        .estate = estate, .department = department, .category = category, .emergency = emergency,
        .now_ms = now_ms, .exclude = exclude,
    };
    kf_key_t prefix;
    kf_key_make (&prefix, "s|", estate_id);
    if (kf_txn_scan_msg (txn, self->staff, &prefix, &kf__staff__descriptor, s_pick_row, &p) < 0)
        return -1;
    if (!p.found)
        return 0;
    snprintf (person->staff_id, sizeof person->staff_id, "%s", p.staff_id);
    snprintf (person->name, sizeof person->name, "%s", p.name);
    return 1;
}

//  Assign by the rules. Returns 1 when someone took it, 0 when nobody is
//  available (the order is unchanged), -1 when the transaction failed.
int
dispatch_assign_auto (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Order *order, Kf__AssignedBy by,
                      const char *reason, const char *exclude, const char *causation_id, kf_arena_t *arena)
{
    dispatch_person_t person;
    int found = dispatch_pick (self, txn, order->estate, order->created->department, order->created->category,
                               order->created->priority == KF__PRIORITY__PRIORITY_EMERGENCY, now_ms, exclude, &person);
    if (found <= 0)
        return found;
    return dispatch_assign_to (self, txn, now_ms, order, person.staff_id, person.name, by, reason, causation_id, NULL,
                               arena) ? -1 : 1;
}

//  Nobody is available: the order waits in its department's queue, and
//  operations hear of it.
static int
s_queue (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Order *order, const char *causation_id,
         kf_arena_t *arena)
{
    if (order->status == KF__ORDER_STATUS__ORDER_STATUS_QUEUED)
        return 0;
    char department [32], category [48], reason [160];
    bool emergency = order->created->priority == KF__PRIORITY__PRIORITY_EMERGENCY;
    snprintf (reason, sizeof reason, "no %s staff for %s %s", 
              kf_enum_short_name (&kf__department__descriptor, order->created->department, department,
                                  sizeof department),
              kf_enum_short_name (&kf__category__descriptor, order->created->category, category, sizeof category),
              emergency ? "on shift or on call" : "on shift");
    Kf__OrderQueued queued = KF__ORDER_QUEUED__INIT;
    queued.order_no = order->order_no;
    queued.ticket_no = order->created->ticket_no;
    KF_SET (&queued, department, order->created->department);
    queued.reason = reason;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_ORDER_QUEUED;
    event.order_queued = &queued;
    dispatch_order_evolve (self, txn, order, &event, now_ms, arena);
    return dispatch_emit (self, txn, now_ms, order, &event, causation_id, NULL, arena);
}

//  A new order goes to someone, or to the queue.
int
dispatch_send_new (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Order *order, const char *causation_id,
                   kf_arena_t *arena)
{
    int rc = dispatch_assign_auto (self, txn, now_ms, order, KF__ASSIGNED_BY__ASSIGNED_BY_AUTO, NULL, NULL,
                                   causation_id,
                                   arena);
    if (rc == 0)
        rc = s_queue (self, txn, now_ms, order, causation_id, arena);
    if (rc >= 0)
        dispatch_order_put (self, txn, order);
    return kf_txn_ok (txn) ? 0 : -1;
}

//  The order leaves its person and its queue (completed, transferred,
//  cancelled).
static void
s_release (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Order *order, kf_arena_t *arena)
{
    if (dispatch_held (order))
        dispatch_load_change (self, txn, order->estate, order->staff_id, -1, now_ms, arena);
    if (order->status == KF__ORDER_STATUS__ORDER_STATUS_QUEUED) {
        kf_key_t key;
        dispatch_queue_key (&key, order);
        kf_txn_del (txn, self->queue, &key);
    }
}

//  What one of dispatch's own order events does to its order, its people's
//  loads and the queue: the one place an order's state moves, for a
//  request, a consumed event and an event taken back from the archive after
//  a restore alike. The caller builds the event from the order as it was.
void
dispatch_order_evolve (dispatch_t *self, kf_txn_t *txn, Kf__Order *order, const Kf__Envelope *event, int64_t at_ms,
                       kf_arena_t *arena)
{
    kf_key_t key;
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_ORDER_QUEUED:
            dispatch_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_QUEUED, at_ms);
            dispatch_queue_key (&key, order);
            kf_txn_put (txn, self->queue, &key, order->order_no, strlen (order->order_no));
            break;
        case KF__ENVELOPE__BODY_ORDER_ASSIGNED: {
            const char *staff_id = event->order_assigned->staff_id;
            if (dispatch_held (order))
                dispatch_load_change (self, txn, order->estate, order->staff_id, -1, at_ms, arena);
            if (order->status == KF__ORDER_STATUS__ORDER_STATUS_QUEUED) {
                dispatch_queue_key (&key, order);
                kf_txn_del (txn, self->queue, &key);
            }
            dispatch_load_change (self, txn, order->estate, staff_id, +1, at_ms, arena);
            order->staff_id = kf_arena_strdup (arena, staff_id);
            dispatch_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_ASSIGNED, at_ms);
            order->has_paused_from = 0;
            order->has_paused_for = 0;
            break;
        }
        case KF__ENVELOPE__BODY_ORDER_ACCEPTED:
            dispatch_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_ACCEPTED, at_ms);
            break;
        case KF__ENVELOPE__BODY_ORDER_STARTED:
            dispatch_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_STARTED, at_ms);
            break;
        case KF__ENVELOPE__BODY_ORDER_PAUSED:
            KF_SET (order, paused_from, order->status);
            KF_SET (order, paused_for, event->order_paused->reason);
            dispatch_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_PAUSED, at_ms);
            break;
        case KF__ENVELOPE__BODY_ORDER_RESUMED:
            dispatch_set_status (order,
                                 order->has_paused_from ? order->paused_from : KF__ORDER_STATUS__ORDER_STATUS_STARTED,
                                 at_ms);
            order->has_paused_from = 0;
            order->has_paused_for = 0;
            break;
        case KF__ENVELOPE__BODY_ORDER_COMPLETED:
            s_release (self, txn, at_ms, order, arena);
            dispatch_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_COMPLETED, at_ms);
            order->completion = event->order_completed;
            break;
        case KF__ENVELOPE__BODY_ORDER_TRANSFERRED:
            s_release (self, txn, at_ms, order, arena);
            dispatch_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_TRANSFERRED, at_ms);
            order->transferred_to = kf_arena_strdup (arena, event->order_transferred->new_order_no);
            break;
        case KF__ENVELOPE__BODY_ORDER_CANCELLED:
            s_release (self, txn, at_ms, order, arena);
            dispatch_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_CANCELLED, at_ms);
            break;
        default:
            break;   //  order.created makes the order (dispatch_order_make)
    }
}

//  ---- the queue ---------------------------------------------------------------------

static int
s_queue_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) txn; (void) key; (void) value;
    *(bool *) arg = true;
    return 1;
}

bool
dispatch_has_queued (dispatch_t *self, kf_txn_t *txn)
{
    assert (self && txn);
    dispatch_tables (self, txn);
    bool any = false;
    kf_txn_scan (txn, self->queue, NULL, s_queue_row, &any);
    return any;
}

int
dispatch_drain (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const char *estate, kf_arena_t *arena)
{
    char (*order_nos) [S_ORDER_NO_MAX + 1] = kf_arena_alloc (arena, S_QUEUE_BATCH * sizeof *order_nos);
    if (!order_nos)
        return kf_txn_fail (txn, "out of memory");
    s_ticket_orders_t t = { .order_nos = order_nos, .size = S_QUEUE_BATCH };
    kf_key_t prefix;
    if (estate)
        kf_key_make (&prefix, "s|", estate);
    kf_txn_scan (txn, self->queue, estate ? &prefix : NULL, dispatch_collect_order_no, &t);
    int assigned = 0;
    for (size_t i = 0; i < t.count && kf_txn_ok (txn); i++) {
        Kf__Order *order = dispatch_order_get (self, txn, order_nos [i], arena);
        if (!order || order->status != KF__ORDER_STATUS__ORDER_STATUS_QUEUED)
            continue;
        int rc = dispatch_assign_auto (self, txn, now_ms, order, KF__ASSIGNED_BY__ASSIGNED_BY_AUTO, NULL, NULL, NULL,
                                       arena);
        if (rc == 1) {
            dispatch_order_put (self, txn, order);
            assigned++;
        }
    }
    return kf_txn_ok (txn) ? assigned : -1;
}

int
dispatch_tick (dispatch_t *self, kf_txn_t *txn, int64_t now_ms)
{
    assert (self && txn);
    dispatch_tables (self, txn);
    kf_arena_reset (self->base.scratch);
    return dispatch_drain (self, txn, now_ms, NULL, self->base.scratch);
}
