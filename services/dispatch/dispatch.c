/*  dispatch — work orders over a store transaction. See dispatch.h.  */
#include "dispatch.h"
#include "kf_commands.h"
#include "kf_domain.h"
#include "kf_field.h"
#include "kf_money.h"
#include "kf_page.h"
#include "kf_rota.h"
#include "kf_summary.h"
#include "kf_time.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_ORDER_NO_MAX   (KF_ID_MAX + 48)
#define S_TYPES          16
#define S_CATEGORIES     32
#define S_HAZARDS        16
#define S_QUEUE_BATCH    1000    //  queued orders one tick offers
#define S_MATERIALS_MAX  50
#define S_LABOUR_MAX     (14 * 24 * 60)   //  minutes: two weeks on one job
#define S_TICKET_ORDERS_MAX 256           //  orders of one ticket: transfers, reopenings, rectifications

static const char *s_department_keys [] = { NULL, "engineering", "cleaning", "security", "greening", "customer_service" };
#define S_DEPARTMENTS 6

typedef struct {
    const kf_estate_t *estate;
    Kf__Department by_hazard [S_HAZARDS];
    Kf__Department by_type [S_TYPES];
    Kf__Department by_category [S_CATEGORIES];
} s_estate_t;

struct _dispatch_t {
    kf_config_t *config;
    kf_outbox_t *outbox;
    s_estate_t *estates;
    size_t estate_count;
    int64_t rectification_due_ms;
    kf_arena_t *scratch;     //  for consumed events and the tick
    kf_table_t orders, by_ticket, by_estate, by_created, queue, staff, counters;
    bool tables_known;
};

//  ---- set-up: routing ----------------------------------------------------------

typedef struct {
    s_estate_t *estate;
    Kf__Department department;
    bool estate_pass;            //  the estate's own rules, which win
    bool from_estate_hazard [S_HAZARDS], from_estate_type [S_TYPES], from_estate_category [S_CATEGORIES];
    char reason [160];
} s_routing_t;

static int
s_route_term (const char *field, int value, void *arg)
{
    s_routing_t *r = arg;
    //  Each field its table, its estate marks and its values.
    struct {
        const char *name;
        Kf__Department *slots;
        bool *from_estate;
        int size;
        const ProtobufCEnumDescriptor *descriptor;
    } fields [] = {
        { "hazard", r->estate->by_hazard, r->from_estate_hazard, S_HAZARDS, &kf__hazard__descriptor },
        { "type", r->estate->by_type, r->from_estate_type, S_TYPES, &kf__ticket_type__descriptor },
        { "category", r->estate->by_category, r->from_estate_category, S_CATEGORIES, &kf__category__descriptor },
    };
    size_t f = 0;
    while (f < sizeof fields / sizeof fields [0] && strcmp (field, fields [f].name) != 0)
        f++;
    if (f == sizeof fields / sizeof fields [0]) {
        snprintf (r->reason, sizeof r->reason, "routing names hazards, types and categories only, not %s:", field);
        return -1;
    }
    if (value <= 0 || value >= fields [f].size)
        return -1;
    Kf__Department *slot = &fields [f].slots [value];
    bool *from_estate = &fields [f].from_estate [value];
    if (!r->estate_pass && *from_estate)
        return 0;
    if (*slot && *slot != r->department) {
        char name [48];
        kf_enum_short_name (fields [f].descriptor, value, name, sizeof name);
        snprintf (r->reason, sizeof r->reason, "%s:%s is routed to both %s and %s", field, name,
                  s_department_keys [*slot], s_department_keys [r->department]);
        return -1;
    }
    *slot = r->department;
    *from_estate = r->estate_pass;
    return 0;
}

static int
s_build_routing (s_estate_t *estate, kf_config_t *config, kf_err_t *err)
{
    s_routing_t r = { .estate = estate };
    for (int pass = 0; pass < 2; pass++) {
        r.estate_pass = pass == 0;
        for (int d = 1; d < S_DEPARTMENTS; d++) {
            //  The estate's own rules first, then the group's for the
            //  departments the estate did not replace.
            char rule [64], path [128];
            snprintf (rule, sizeof rule, "routing/%s", s_department_keys [d]);
            kf_config_rule (config, estate->estate->id, rule, path, sizeof path);
            bool own = strncmp (path, "estates/", 8) == 0;
            if (own != r.estate_pass)
                continue;
            const char *terms = kf_config_str (config, path);
            if (!terms)
                continue;
            r.department = d;
            r.reason [0] = 0;
            if (kf_config_terms (terms, s_route_term, &r, err)) {
                if (r.reason [0])
                    kf_err_set (err, "%s", r.reason);
                return kf_err_prefix (err, "%s: ", path);
            }
        }
    }
    return 0;
}

dispatch_t *
dispatch_new (kf_config_t *config, kf_err_t *err)
{
    assert (config);
    dispatch_t *self = calloc (1, sizeof *self);
    size_t estates = kf_config_estate_count (config);
    if (self) {
        self->estates = calloc (estates, sizeof *self->estates);
        self->scratch = kf_arena_new ();
    }
    if (!self || !self->estates || !self->scratch) {
        kf_err_set (err, "out of memory");
        dispatch_destroy (&self);
        return NULL;
    }
    self->config = config;
    self->estate_count = estates;
    self->rectification_due_ms = kf_config_duration_ms (config, "dispatch/rectification_due");
    for (size_t i = 0; i < estates; i++) {
        self->estates [i].estate = kf_config_estate (config, i);
        if (s_build_routing (&self->estates [i], config, err)) {
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
        kf_arena_destroy (&self->scratch);
        free (self->estates);
        free (self);
        *self_p = NULL;
    }
}

void
dispatch_set_outbox (dispatch_t *self, kf_outbox_t *outbox)
{
    assert (self && outbox);
    self->outbox = outbox;
}

static const s_estate_t *
s_estate (dispatch_t *self, const char *id)
{
    for (size_t i = 0; id && i < self->estate_count; i++)
        if (strcmp (self->estates [i].estate->id, id) == 0)
            return &self->estates [i];
    return NULL;
}

Kf__Department
dispatch_route (dispatch_t *self, const char *estate, Kf__TicketType type, Kf__Category category,
                const Kf__Hazard *hazards, size_t hazard_count)
{
    const s_estate_t *e = s_estate (self, estate);
    assert (e);
    //  A hazard first (life safety goes to who can act), in the order ticked.
    for (size_t i = 0; i < hazard_count; i++)
        if (hazards [i] > 0 && hazards [i] < S_HAZARDS && e->by_hazard [hazards [i]])
            return e->by_hazard [hazards [i]];
    if (type > 0 && type < S_TYPES && e->by_type [type])
        return e->by_type [type];
    if (category > 0 && category < S_CATEGORIES && e->by_category [category])
        return e->by_category [category];
    return KF__DEPARTMENT__DEPARTMENT_CUSTOMER_SERVICE;
}

static void
s_tables (dispatch_t *self, kf_txn_t *txn)
{
    if (self->tables_known)
        return;
    kf_store_t *store = kf_txn_store (txn);
    self->orders = kf_store_table (store, "orders");
    self->by_ticket = kf_store_table (store, "by_ticket");
    self->by_estate = kf_store_table (store, "by_estate");
    self->by_created = kf_store_table (store, "by_created");
    self->queue = kf_store_table (store, "queue");
    self->staff = kf_store_table (store, "staff");
    self->counters = kf_store_table (store, "counters");
    self->tables_known = true;
}


//  ---- staff ----------------------------------------------------------------------

static Kf__Staff *
s_staff_get (dispatch_t *self, kf_txn_t *txn, const char *estate, const char *staff_id, kf_arena_t *arena)
{
    kf_key_t key;
    ProtobufCMessage *staff = NULL;
    if (staff_id && kf_key_make (&key, "s|s", estate, staff_id) == 0)
        kf_txn_get_msg_in (txn, self->staff, &key, &kf__staff__descriptor, arena, &staff);
    return (Kf__Staff *) staff;
}

static int
s_staff_put (dispatch_t *self, kf_txn_t *txn, const Kf__Staff *staff)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", staff->estate, staff->staff_id);
    return kf_txn_put_msg (txn, self->staff, &key, &staff->base);
}

//  A person's record changed (the file, a retirement, kefuctl staff rota):
//  staff.changed, so that escalation reaches who is on shift as dispatch
//  sees it. The load is dispatch's alone and is left out.
static int
s_staff_announce (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Staff *staff, const char *actor)
{
    assert (self->outbox);
    Kf__Staff news = *staff;
    news.has_open_orders = news.has_last_assigned_ms = news.has_config_digest = news.has_on_duty = 0;
    Kf__StaffChanged changed = KF__STAFF_CHANGED__INIT;
    changed.staff = &news;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_STAFF_CHANGED;
    event.staff_changed = &changed;
    event.actor = actor && *actor ? (char *) actor : NULL;
    return kf_emit (self->outbox, txn, now_ms, staff->estate, &event, NULL);
}

//  One person's load moves by delta; an assignment also stamps the time
//  (fairness among equal loads).
static int
s_load_change (dispatch_t *self, kf_txn_t *txn, const char *estate, const char *staff_id, int delta, int64_t now_ms,
               kf_arena_t *arena)
{
    Kf__Staff *staff = s_staff_get (self, txn, estate, staff_id, arena);
    if (!staff)
        return kf_txn_ok (txn) ? 0 : -1;   //  a person no longer known holds no load
    if (delta < 0 && staff->open_orders < (uint32_t) -delta)
        staff->open_orders = 0;
    else
        staff->open_orders = (uint32_t) ((int64_t) staff->open_orders + delta);
    staff->has_open_orders = 1;
    if (delta > 0) {
        staff->last_assigned_ms = now_ms;
        staff->has_last_assigned_ms = 1;
    }
    return s_staff_put (self, txn, staff);
}

//  The person a configuration entry describes, without the store's state.
static int
s_staff_from_config (dispatch_t *self, const char *estate, const char *staff_id, Kf__Staff *staff,
                     Kf__Shift *shifts, Kf__Shift **shift_ptrs, int *skills, kf_err_t *err)
{
    char path [160];
    kf__staff__init (staff);
    staff->estate = (char *) estate;
    staff->staff_id = (char *) staff_id;
#define S_PATH(key) (snprintf (path, sizeof path, "estates/%s/staff/%s/" key, estate, staff_id), path)
    staff->name = (char *) kf_config_str (self->config, S_PATH ("name"));
    staff->department = kf_config_enum (self->config, S_PATH ("department"));
    staff->has_department = 1;
    staff->role = kf_config_enum (self->config, S_PATH ("role"));
    staff->has_role = 1;
    staff->phone = (char *) kf_config_str (self->config, S_PATH ("phone"));
    staff->on_call = kf_config_bool (self->config, S_PATH ("on_call"));
    staff->has_on_call = 1;
    staff->active = kf_config_bool (self->config, S_PATH ("active"));
    staff->has_active = 1;
    int n = kf_config_enum_list (kf_config_str (self->config, S_PATH ("skills")), &kf__category__descriptor, skills,
                                 S_CATEGORIES, err);
    if (n < 0)
        return -1;
    staff->skills = (Kf__Category *) skills;
    staff->n_skills = (size_t) n;
    n = kf_rota_parse (kf_config_str (self->config, S_PATH ("shifts")), shifts, KF_ROTA_SHIFTS_MAX, err);
#undef S_PATH
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++)
        shift_ptrs [i] = &shifts [i];
    staff->shifts = shift_ptrs;
    staff->n_shifts = (size_t) n;
    return 0;
}

#define S_RETIRE_MAX 256   //  people leaving in one start; the rest at the next

typedef struct {
    dispatch_t *self;
    kf_txn_t *txn;
    int64_t now_ms;
    const char *estate;
    int changed;
    char retiring [S_RETIRE_MAX][KF_ID_MAX + 1];
    size_t retiring_count;
} s_load_t;

static int
s_load_one (const char *staff_id, void *arg)
{
    s_load_t *l = arg;
    dispatch_t *self = l->self;
    Kf__Staff wanted;
    Kf__Shift shifts [KF_ROTA_SHIFTS_MAX], *shift_ptrs [KF_ROTA_SHIFTS_MAX];
    int skills [S_CATEGORIES];
    kf_err_t err;
    if (s_staff_from_config (self, l->estate, staff_id, &wanted, shifts, shift_ptrs, skills, &err))
        return kf_txn_fail (l->txn, "estates/%s/staff/%s: %s", l->estate, staff_id, err.text);
    uint64_t digest = kf_codec_digest (&wanted.base);
    Kf__Staff *stored = s_staff_get (self, l->txn, l->estate, staff_id, self->scratch);
    if (!kf_txn_ok (l->txn))
        return -1;
    if (stored && stored->config_digest == digest)
        return 0;   //  unchanged in the file: kefuctl's changes stand
    wanted.config_digest = digest;
    wanted.has_config_digest = 1;
    if (stored) {   //  the file changed this entry: it wins, the load stays
        wanted.open_orders = stored->open_orders;
        wanted.has_open_orders = stored->has_open_orders;
        wanted.last_assigned_ms = stored->last_assigned_ms;
        wanted.has_last_assigned_ms = stored->has_last_assigned_ms;
    }
    kf_notice ("staff %s/%s %s from the configuration", l->estate, staff_id, stored ? "updated" : "added");
    l->changed++;
    s_staff_put (self, l->txn, &wanted);
    return s_staff_announce (self, l->txn, l->now_ms, &wanted, NULL);
}

//  People the file no longer lists, to make inactive after the scan.
static int
s_retire_row (kf_txn_t *txn, kf_val_t key, const ProtobufCMessage *msg, void *arg)
{
    (void) txn; (void) key;
    s_load_t *l = arg;
    const Kf__Staff *stored = (const Kf__Staff *) msg;
    char path [160];
    snprintf (path, sizeof path, "estates/%s/staff/%s/name", l->estate, stored->staff_id);
    if (stored->active && !kf_config_has (l->self->config, path) && l->retiring_count < S_RETIRE_MAX)
        snprintf (l->retiring [l->retiring_count++], KF_ID_MAX + 1, "%s", stored->staff_id);
    return 0;
}

static int
s_retire (s_load_t *l, const char *staff_id)
{
    Kf__Staff *left = s_staff_get (l->self, l->txn, l->estate, staff_id, l->self->scratch);
    if (!left)
        return -1;
    left->active = 0;
    left->has_active = 1;
    left->config_digest = 0;
    kf_notice ("staff %s/%s is no longer in the configuration: inactive (%u open orders stay with them)",
               l->estate, staff_id, left->open_orders);
    l->changed++;
    s_staff_put (l->self, l->txn, left);
    return s_staff_announce (l->self, l->txn, l->now_ms, left, NULL);
}

int
dispatch_load_staff (dispatch_t *self, kf_txn_t *txn, int64_t now_ms)
{
    assert (self && txn);
    s_tables (self, txn);
    kf_arena_reset (self->scratch);
    s_load_t *l = calloc (1, sizeof *l);
    if (!l)
        return kf_txn_fail (txn, "out of memory");
    l->self = self;
    l->txn = txn;
    l->now_ms = now_ms;
    for (size_t i = 0; i < self->estate_count && kf_txn_ok (txn); i++) {
        l->estate = self->estates [i].estate->id;
        l->retiring_count = 0;
        char path [96];
        snprintf (path, sizeof path, "estates/%s/staff", l->estate);
        kf_config_each (self->config, path, s_load_one, l);
        kf_key_t prefix;
        kf_key_make (&prefix, "s|", l->estate);
        kf_txn_scan_msg (txn, self->staff, &prefix, &kf__staff__descriptor, s_retire_row, l);
        for (size_t r = 0; r < l->retiring_count && kf_txn_ok (txn); r++)
            s_retire (l, l->retiring [r]);
    }
    int changed = l->changed;
    free (l);
    return kf_txn_ok (txn) ? changed : -1;
}

//  ---- orders ---------------------------------------------------------------------

static bool
s_open (Kf__OrderStatus status)
{
    return status != KF__ORDER_STATUS__ORDER_STATUS_COMPLETED && status != KF__ORDER_STATUS__ORDER_STATUS_TRANSFERRED
        && status != KF__ORDER_STATUS__ORDER_STATUS_CANCELLED;
}

//  Assigned, accepted, started or paused: a person carries it.
static bool
s_held (const Kf__Order *order)
{
    return order->staff_id && s_open (order->status) && order->status != KF__ORDER_STATUS__ORDER_STATUS_QUEUED
        && order->status != KF__ORDER_STATUS__ORDER_STATUS_CREATED;
}

static Kf__Order *
s_order_get (dispatch_t *self, kf_txn_t *txn, const char *order_no, kf_arena_t *arena)
{
    kf_key_t key;
    Kf__Order *order = NULL;
    if (!order_no || kf_key_make (&key, "s", order_no)
    ||  kf_txn_get_msg_in (txn, self->orders, &key, &kf__order__descriptor, arena, (ProtobufCMessage **) &order) != KF_FOUND)
        return NULL;
    if (!order->created || !order->estate) {
        kf_txn_fail (txn, "order %s has no estate or creation", order_no);
        return NULL;
    }
    return order;
}

static int
s_order_put (dispatch_t *self, kf_txn_t *txn, const Kf__Order *order)
{
    kf_key_t key;
    kf_key_make (&key, "s", order->order_no);
    return kf_txn_put_msg (txn, self->orders, &key, &order->base);
}

static void
s_queue_key (kf_key_t *key, const Kf__Order *order)
{
    const Kf__OrderCreated *c = order->created;
    uint32_t priority = c->priority ? (uint32_t) c->priority : KF__PRIORITY__PRIORITY_NORMAL;
    kf_key_make (key, "s|u|u|t|s", order->estate, (uint32_t) c->department, priority, order->created_at_ms,
                 order->order_no);
}

static void
s_set_status (Kf__Order *order, Kf__OrderStatus status, int64_t now_ms)
{
    order->status = status;
    order->has_status = 1;
    order->updated_at_ms = now_ms;
    order->has_updated_at_ms = 1;
}

//  A line of the order's own history (the ticket's timeline is intake's).
static int
s_history_add (Kf__Order *order, kf_arena_t *arena, int64_t at_ms, const char *kind, const char *summary,
               const char *actor)
{
    Kf__TimelineEntry **grown = kf_arena_alloc (arena, (order->n_history + 1) * sizeof *grown);
    Kf__TimelineEntry *entry = (Kf__TimelineEntry *) kf_arena_message (arena, &kf__timeline_entry__descriptor);
    if (!grown || !entry)
        return -1;
    if (order->n_history)
        memcpy (grown, order->history, order->n_history * sizeof *grown);
    entry->at_ms = at_ms;
    entry->has_at_ms = 1;
    entry->kind = kf_arena_strdup (arena, kind);
    entry->summary = kf_arena_strdup (arena, summary);
    entry->actor = actor && *actor ? kf_arena_strdup (arena, actor) : NULL;
    grown [order->n_history++] = entry;
    order->history = grown;
    return 0;
}

//  Publish an event about an order, and write it in the order's history.
static int
s_emit (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Order *order, Kf__Envelope *event,
        const char *causation_id, const char *actor, kf_arena_t *arena)
{
    assert (self->outbox);
    event->estate = order->estate;
    event->causation_id = causation_id && *causation_id ? (char *) causation_id : NULL;
    event->actor = actor && *actor ? (char *) actor : NULL;
    if (kf_outbox_append (self->outbox, txn, event, now_ms) == 0)
        return -1;
    char kind [64], summary [512];
    kf_codec_event_kind (&event->base, kind, sizeof kind);
    kf_summary (kf_event_body (event), "order_no", summary, sizeof summary);
    if (s_history_add (order, arena, now_ms, kind, summary, actor))
        return kf_txn_fail (txn, "out of memory");
    return 0;
}

//  How many orders a ticket has had.
static uint64_t
s_orders_made (dispatch_t *self, kf_txn_t *txn, const char *ticket_no)
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
static uint32_t
s_next_order_no (dispatch_t *self, kf_txn_t *txn, const char *ticket_no, char *order_no, size_t size)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", "orders", ticket_no);
    uint64_t n = kf_txn_next (txn, self->counters, &key);
    snprintf (order_no, size, "%s-W%" PRIu64, ticket_no, n);
    return (uint32_t) n;
}

//  The order `spec` describes (its order_no set), made and indexed: for a
//  new order, and for an order.created of ours taken back from the archive.
static Kf__Order *
s_order_make (dispatch_t *self, kf_txn_t *txn, int64_t at_ms, const char *estate, uint32_t n, Kf__OrderCreated *spec,
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
    order->created_at_ms = at_ms;
    order->has_created_at_ms = 1;
    s_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_CREATED, at_ms);

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
static Kf__Order *
s_order_create (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const char *estate, const char *order_no, uint32_t n,
                Kf__OrderCreated *spec, const char *causation_id, const char *actor, kf_arena_t *arena)
{
    if (!(spec->order_no = kf_arena_strdup (arena, order_no))) {
        kf_txn_fail (txn, "out of memory");
        return NULL;
    }
    Kf__Order *order = s_order_make (self, txn, now_ms, estate, n, spec, arena);
    if (!order)
        return NULL;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_ORDER_CREATED;
    event.order_created = spec;
    s_emit (self, txn, now_ms, order, &event, causation_id, actor, arena);
    return kf_txn_ok (txn) ? order : NULL;
}

//  ---- assignment ------------------------------------------------------------------

static void s_order_evolve (dispatch_t *self, kf_txn_t *txn, Kf__Order *order, const Kf__Envelope *event,
                            int64_t at_ms, kf_arena_t *arena);

typedef struct {
    const s_estate_t *estate;
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
    if (staff->n_skills == 0)
        return true;   //  skills = any: the whole department's work
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
static int
s_assign_to (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Order *order, const char *staff_id,
             const char *staff_name, Kf__AssignedBy by, const char *reason, const char *causation_id,
             const char *actor, kf_arena_t *arena)
{
    char *previous = s_held (order) ? order->staff_id : NULL;
    Kf__OrderAssigned assigned = KF__ORDER_ASSIGNED__INIT;
    assigned.order_no = order->order_no;
    assigned.ticket_no = order->created->ticket_no;
    assigned.staff_id = (char *) staff_id;
    assigned.staff_name = staff_name && *staff_name ? (char *) staff_name : NULL;
    assigned.assigned_by = by;
    assigned.has_assigned_by = 1;
    assigned.previous_staff_id = previous;
    assigned.reason = reason && *reason ? (char *) reason : NULL;
    assigned.department = order->created->department;
    assigned.has_department = 1;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_ORDER_ASSIGNED;
    event.order_assigned = &assigned;
    s_order_evolve (self, txn, order, &event, now_ms, arena);
    return s_emit (self, txn, now_ms, order, &event, causation_id, actor, arena);
}

//  Assign by the rules. Returns 1 when someone took it, 0 when nobody is
//  available (the order is unchanged), -1 when the transaction failed.
static int
s_assign_auto (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Order *order, Kf__AssignedBy by,
               const char *reason, const char *exclude, const char *causation_id, kf_arena_t *arena)
{
    const s_estate_t *estate = s_estate (self, order->estate);
    if (!estate)
        return 0;
    s_pick_t p = {
        .estate = estate, .department = order->created->department, .category = order->created->category,
        .emergency = order->created->priority == KF__PRIORITY__PRIORITY_EMERGENCY,
        .now_ms = now_ms, .exclude = exclude,
    };
    kf_key_t prefix;
    kf_key_make (&prefix, "s|", order->estate);
    if (kf_txn_scan_msg (txn, self->staff, &prefix, &kf__staff__descriptor, s_pick_row, &p) < 0)
        return -1;
    if (!p.found)
        return 0;
    return s_assign_to (self, txn, now_ms, order, p.staff_id, p.name, by, reason, causation_id, NULL, arena) ? -1 : 1;
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
              kf_enum_short_name (&kf__department__descriptor, order->created->department, department, sizeof department),
              kf_enum_short_name (&kf__category__descriptor, order->created->category, category, sizeof category),
              emergency ? "on shift or on call" : "on shift");
    Kf__OrderQueued queued = KF__ORDER_QUEUED__INIT;
    queued.order_no = order->order_no;
    queued.ticket_no = order->created->ticket_no;
    queued.department = order->created->department;
    queued.has_department = 1;
    queued.reason = reason;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_ORDER_QUEUED;
    event.order_queued = &queued;
    s_order_evolve (self, txn, order, &event, now_ms, arena);
    return s_emit (self, txn, now_ms, order, &event, causation_id, NULL, arena);
}

//  A new order goes to someone, or to the queue.
static int
s_dispatch_new (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Order *order, const char *causation_id,
                kf_arena_t *arena)
{
    int rc = s_assign_auto (self, txn, now_ms, order, KF__ASSIGNED_BY__ASSIGNED_BY_AUTO, NULL, NULL, causation_id,
                            arena);
    if (rc == 0)
        rc = s_queue (self, txn, now_ms, order, causation_id, arena);
    if (rc >= 0)
        s_order_put (self, txn, order);
    return kf_txn_ok (txn) ? 0 : -1;
}

//  The order leaves its person and its queue (completed, transferred,
//  cancelled).
static void
s_release (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Order *order, kf_arena_t *arena)
{
    if (s_held (order))
        s_load_change (self, txn, order->estate, order->staff_id, -1, now_ms, arena);
    if (order->status == KF__ORDER_STATUS__ORDER_STATUS_QUEUED) {
        kf_key_t key;
        s_queue_key (&key, order);
        kf_txn_del (txn, self->queue, &key);
    }
}

//  What one of dispatch's own order events does to its order, its people's
//  loads and the queue: the one place an order's state moves, for a
//  request, a consumed event and an event taken back from the archive after
//  a restore alike. The caller builds the event from the order as it was.
static void
s_order_evolve (dispatch_t *self, kf_txn_t *txn, Kf__Order *order, const Kf__Envelope *event, int64_t at_ms,
                kf_arena_t *arena)
{
    kf_key_t key;
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_ORDER_QUEUED:
            s_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_QUEUED, at_ms);
            s_queue_key (&key, order);
            kf_txn_put (txn, self->queue, &key, order->order_no, strlen (order->order_no));
            break;
        case KF__ENVELOPE__BODY_ORDER_ASSIGNED: {
            const char *staff_id = event->order_assigned->staff_id;
            if (s_held (order))
                s_load_change (self, txn, order->estate, order->staff_id, -1, at_ms, arena);
            if (order->status == KF__ORDER_STATUS__ORDER_STATUS_QUEUED) {
                s_queue_key (&key, order);
                kf_txn_del (txn, self->queue, &key);
            }
            s_load_change (self, txn, order->estate, staff_id, +1, at_ms, arena);
            order->staff_id = kf_arena_strdup (arena, staff_id);
            s_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_ASSIGNED, at_ms);
            order->has_paused_from = 0;
            order->has_paused_for = 0;
            break;
        }
        case KF__ENVELOPE__BODY_ORDER_ACCEPTED:
            s_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_ACCEPTED, at_ms);
            break;
        case KF__ENVELOPE__BODY_ORDER_STARTED:
            s_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_STARTED, at_ms);
            break;
        case KF__ENVELOPE__BODY_ORDER_PAUSED:
            order->paused_from = order->status;
            order->has_paused_from = 1;
            order->paused_for = event->order_paused->reason;
            order->has_paused_for = 1;
            s_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_PAUSED, at_ms);
            break;
        case KF__ENVELOPE__BODY_ORDER_RESUMED:
            s_set_status (order, order->has_paused_from ? order->paused_from : KF__ORDER_STATUS__ORDER_STATUS_STARTED,
                          at_ms);
            order->has_paused_from = 0;
            order->has_paused_for = 0;
            break;
        case KF__ENVELOPE__BODY_ORDER_COMPLETED:
            s_release (self, txn, at_ms, order, arena);
            s_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_COMPLETED, at_ms);
            order->completion = event->order_completed;
            break;
        case KF__ENVELOPE__BODY_ORDER_TRANSFERRED:
            s_release (self, txn, at_ms, order, arena);
            s_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_TRANSFERRED, at_ms);
            order->transferred_to = kf_arena_strdup (arena, event->order_transferred->new_order_no);
            break;
        case KF__ENVELOPE__BODY_ORDER_CANCELLED:
            s_release (self, txn, at_ms, order, arena);
            s_set_status (order, KF__ORDER_STATUS__ORDER_STATUS_CANCELLED, at_ms);
            break;
        default:
            break;   //  order.created makes the order (s_order_make)
    }
}

//  ---- a ticket's orders ---------------------------------------------------------

typedef struct {
    char (*order_nos) [S_ORDER_NO_MAX + 1];
    size_t count, size;
} s_ticket_orders_t;

static int
s_collect_order_no (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
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
static size_t
s_ticket_orders (dispatch_t *self, kf_txn_t *txn, const char *ticket_no, char (*order_nos) [S_ORDER_NO_MAX + 1],
                 size_t size)
{
    s_ticket_orders_t t = { .order_nos = order_nos, .size = size };
    kf_key_t prefix;
    if (!ticket_no || kf_key_make (&prefix, "s|", ticket_no))
        return 0;
    kf_txn_scan (txn, self->by_ticket, &prefix, s_collect_order_no, &t);
    return t.count;
}


//  Close every open order of a ticket (ticket closed or cancelled).
static int
s_cancel_ticket_orders (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event,
                        const char *ticket_no, const char *reason)
{
    char order_nos [S_TICKET_ORDERS_MAX][S_ORDER_NO_MAX + 1];
    size_t n = s_ticket_orders (self, txn, ticket_no, order_nos, S_TICKET_ORDERS_MAX);
    for (size_t i = 0; i < n && kf_txn_ok (txn); i++) {
        Kf__Order *order = s_order_get (self, txn, order_nos [i], self->scratch);
        if (!order || !s_open (order->status))
            continue;
        Kf__OrderCancelled cancelled = KF__ORDER_CANCELLED__INIT;
        cancelled.order_no = order->order_no;
        cancelled.ticket_no = order->created->ticket_no;
        cancelled.reason = (char *) reason;
        Kf__Envelope out = KF__ENVELOPE__INIT;
        out.body_case = KF__ENVELOPE__BODY_ORDER_CANCELLED;
        out.order_cancelled = &cancelled;
        s_order_evolve (self, txn, order, &out, now_ms, self->scratch);
        s_emit (self, txn, now_ms, order, &out, event->event_id, event->actor, self->scratch);
        s_order_put (self, txn, order);
    }
    return kf_txn_ok (txn) ? 0 : -1;
}

//  A copy of an order's creation, for a follow-up order of the same case.
static Kf__OrderCreated *
s_follow_up (const Kf__OrderCreated *from, kf_arena_t *arena)
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

//  ---- consumed events ---------------------------------------------------------------

static int
s_on_ticket_filed (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    const Kf__TicketFiled *f = event->ticket_filed;
    const s_estate_t *estate = s_estate (self, event->estate);
    if (!estate || !f->ticket_no) {
        kf_warning ("ticket.filed of unknown estate '%s': no order", event->estate ? event->estate : "");
        return 0;
    }
    char existing [1][S_ORDER_NO_MAX + 1];
    if (s_ticket_orders (self, txn, f->ticket_no, existing, 1) > 0)
        return 0;   //  it has its order already
    Kf__OrderCreated *spec = (Kf__OrderCreated *) kf_arena_message (self->scratch, &kf__order_created__descriptor);
    if (!spec)
        return kf_txn_fail (txn, "out of memory");
    spec->ticket_no = f->ticket_no;
    spec->unit = f->unit;
    spec->department = dispatch_route (self, event->estate, f->type, f->category, f->hazards, f->n_hazards);
    spec->has_department = 1;
    spec->category = f->category;
    spec->has_category = f->has_category;
    spec->type = f->type;
    spec->has_type = f->has_type;
    spec->priority = f->has_priority && f->priority ? f->priority : KF__PRIORITY__PRIORITY_NORMAL;
    spec->has_priority = 1;
    spec->description = f->description;
    char order_no [S_ORDER_NO_MAX + 1];
    uint32_t n = s_next_order_no (self, txn, f->ticket_no, order_no, sizeof order_no);
    Kf__Order *order = s_order_create (self, txn, now_ms, estate->estate->id, order_no, n, spec, event->event_id,
                                       event->actor, self->scratch);
    return order ? s_dispatch_new (self, txn, now_ms, order, event->event_id, self->scratch) : -1;
}

//  The ticket's newest order, or NULL.
static Kf__Order *
s_last_order (dispatch_t *self, kf_txn_t *txn, const char *ticket_no, bool *any_open)
{
    char order_nos [S_TICKET_ORDERS_MAX][S_ORDER_NO_MAX + 1];
    size_t n = s_ticket_orders (self, txn, ticket_no, order_nos, S_TICKET_ORDERS_MAX);
    Kf__Order *last = NULL;
    *any_open = false;
    for (size_t i = 0; i < n; i++) {
        Kf__Order *order = s_order_get (self, txn, order_nos [i], self->scratch);
        if (!order)
            continue;
        if (s_open (order->status))
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
    if (s_orders_made (self, txn, from->created->ticket_no) >= S_TICKET_ORDERS_MAX) {
        kf_warning ("ticket %s has had %d orders: no more (%s)", from->created->ticket_no, S_TICKET_ORDERS_MAX, why);
        return kf_txn_ok (txn) ? 0 : -1;
    }
    Kf__OrderCreated *spec = s_follow_up (from->created, self->scratch);
    if (!spec)
        return kf_txn_fail (txn, "out of memory");
    char description [DISPATCH_TEXT_MAX + 128];
    snprintf (description, sizeof description, "%s%s%s", why, text && *text ? ": " : "", text ? text : "");
    spec->description = kf_arena_strdup (self->scratch, description);
    if (rectification) {
        int64_t visited = event->has_occurred_at_ms ? event->occurred_at_ms : now_ms;
        spec->rectification_of = from->order_no;
        spec->due_at_ms = visited + self->rectification_due_ms;
        spec->has_due_at_ms = 1;
        if (spec->priority != KF__PRIORITY__PRIORITY_EMERGENCY)
            spec->priority = KF__PRIORITY__PRIORITY_URGENT;
    }
    char order_no [S_ORDER_NO_MAX + 1];
    uint32_t n = s_next_order_no (self, txn, spec->ticket_no, order_no, sizeof order_no);
    Kf__Order *order = s_order_create (self, txn, now_ms, from->estate, order_no, n, spec, event->event_id,
                                       event->actor, self->scratch);
    return order ? s_dispatch_new (self, txn, now_ms, order, event->event_id, self->scratch) : -1;
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
    Kf__Order *from = s_order_get (self, txn, v->order_no, self->scratch);
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
    size_t n = s_ticket_orders (self, txn, e->ticket_no, order_nos, S_TICKET_ORDERS_MAX);
    for (size_t i = 0; i < n && kf_txn_ok (txn); i++) {
        Kf__Order *order = s_order_get (self, txn, order_nos [i], self->scratch);
        if (!order || order->status != KF__ORDER_STATUS__ORDER_STATUS_ASSIGNED)
            continue;
        char reason [128];
        snprintf (reason, sizeof reason, "escalation level %d: not accepted in time", (int) e->level);
        if (s_assign_auto (self, txn, now_ms, order, KF__ASSIGNED_BY__ASSIGNED_BY_ESCALATION, reason, order->staff_id,
                           event->event_id, self->scratch) == 1)
            s_order_put (self, txn, order);
    }
    return kf_txn_ok (txn) ? 0 : -1;
}

int
dispatch_apply_event (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    assert (self && txn && event);
    s_tables (self, txn);
    kf_arena_reset (self->scratch);
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_TICKET_FILED:
            return s_on_ticket_filed (self, txn, now_ms, event);
        case KF__ENVELOPE__BODY_TICKET_CLOSED:
            return s_cancel_ticket_orders (self, txn, now_ms, event, event->ticket_closed->ticket_no,
                                           "the ticket was closed");
        case KF__ENVELOPE__BODY_TICKET_CANCELLED:
            return s_cancel_ticket_orders (self, txn, now_ms, event, event->ticket_cancelled->ticket_no,
                                           "the ticket was cancelled");
        case KF__ENVELOPE__BODY_TICKET_REOPENED:
            return s_on_ticket_reopened (self, txn, now_ms, event);
        case KF__ENVELOPE__BODY_VISIT_UNSATISFIED:
            return s_on_visit_unsatisfied (self, txn, now_ms, event);
        case KF__ENVELOPE__BODY_ESCALATION_RAISED:
            return s_on_escalation (self, txn, now_ms, event);
        default:
            return 0;
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
    s_tables (self, txn);
    bool any = false;
    kf_txn_scan (txn, self->queue, NULL, s_queue_row, &any);
    return any;
}

static int
s_drain (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const char *estate, kf_arena_t *arena)
{
    char (*order_nos) [S_ORDER_NO_MAX + 1] = kf_arena_alloc (arena, S_QUEUE_BATCH * sizeof *order_nos);
    if (!order_nos)
        return kf_txn_fail (txn, "out of memory");
    s_ticket_orders_t t = { .order_nos = order_nos, .size = S_QUEUE_BATCH };
    kf_key_t prefix;
    if (estate)
        kf_key_make (&prefix, "s|", estate);
    kf_txn_scan (txn, self->queue, estate ? &prefix : NULL, s_collect_order_no, &t);
    int assigned = 0;
    for (size_t i = 0; i < t.count && kf_txn_ok (txn); i++) {
        Kf__Order *order = s_order_get (self, txn, order_nos [i], arena);
        if (!order || order->status != KF__ORDER_STATUS__ORDER_STATUS_QUEUED)
            continue;
        int rc = s_assign_auto (self, txn, now_ms, order, KF__ASSIGNED_BY__ASSIGNED_BY_AUTO, NULL, NULL, NULL, arena);
        if (rc == 1) {
            s_order_put (self, txn, order);
            assigned++;
        }
    }
    return kf_txn_ok (txn) ? assigned : -1;
}

int
dispatch_tick (dispatch_t *self, kf_txn_t *txn, int64_t now_ms)
{
    assert (self && txn);
    s_tables (self, txn);
    kf_arena_reset (self->scratch);
    return s_drain (self, txn, now_ms, NULL, self->scratch);
}

//  ---- commands ----------------------------------------------------------------------

#define S_BAD(...) kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, arena, __VA_ARGS__)
#define S_CONFLICT(...) kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_CONFLICT, arena, __VA_ARGS__)
#define S_FORBIDDEN(...) kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN, arena, __VA_ARGS__)

static bool
s_directs (Kf__Role role)
{
    return role == KF__ROLE__ROLE_SUPERVISOR || role == KF__ROLE__ROLE_MANAGER;
}

//  The order a command names, or NULL with the reply set: not found, or
//  another estate's in the caller's scope, which must look the same.
static Kf__Order *
s_load (dispatch_t *self, kf_txn_t *txn, const Kf__Request *request, const char *order_no, Kf__Reply *reply,
        kf_arena_t *arena)
{
    Kf__Order *order = order_no && *order_no ? s_order_get (self, txn, order_no, arena) : NULL;
    if (order && order->estate && kf_request_sees (request, order->estate))
        return order;
    if (kf_txn_ok (txn))
        kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, "no order '%s'", order_no ? order_no : "");
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

//  Accept, start, pause, resume, complete: the assignee's own moves (a
//  technician may move only their own orders; others act for them).
static int
s_step (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
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
    if (request->role == KF__ROLE__ROLE_TECHNICIAN && (!order->staff_id || !actor || strcmp (actor, order->staff_id) != 0))
        return S_FORBIDDEN ("order %s is assigned to %s, not to %s", order->order_no,
                            order->staff_id ? order->staff_id : "nobody", actor ? actor : "you");
    kf_err_t err;
    if (note && kf_text_check ("note", note, DISPATCH_TEXT_MAX, &err))
        return S_BAD ("%s", err.text);
    Kf__OrderStatus from = order->status;
    char status [32];
    Kf__Envelope event = KF__ENVELOPE__INIT;
    Kf__OrderAccepted accepted = KF__ORDER_ACCEPTED__INIT;
    Kf__OrderStarted started = KF__ORDER_STARTED__INIT;
    Kf__OrderPaused paused = KF__ORDER_PAUSED__INIT;
    Kf__OrderResumed resumed = KF__ORDER_RESUMED__INIT;
    Kf__OrderCompleted *completed = NULL;
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_ACCEPT_ORDER:
            if (from != KF__ORDER_STATUS__ORDER_STATUS_ASSIGNED)
                return S_CONFLICT ("order %s is %s: only an assigned order can be accepted", order->order_no,
                                   s_status_name (from, status, sizeof status));
            accepted.order_no = order->order_no;
            accepted.ticket_no = order->created->ticket_no;
            accepted.staff_id = order->staff_id;
            event.body_case = KF__ENVELOPE__BODY_ORDER_ACCEPTED;
            event.order_accepted = &accepted;
            break;
        case KF__REQUEST__COMMAND_START_ORDER:
            if (from != KF__ORDER_STATUS__ORDER_STATUS_ACCEPTED)
                return S_CONFLICT ("order %s is %s: only an accepted order can be started", order->order_no,
                                   s_status_name (from, status, sizeof status));
            started.order_no = order->order_no;
            started.ticket_no = order->created->ticket_no;
            started.staff_id = order->staff_id;
            event.body_case = KF__ENVELOPE__BODY_ORDER_STARTED;
            event.order_started = &started;
            break;
        case KF__REQUEST__COMMAND_PAUSE_ORDER:
            if (from != KF__ORDER_STATUS__ORDER_STATUS_ACCEPTED && from != KF__ORDER_STATUS__ORDER_STATUS_STARTED)
                return S_CONFLICT ("order %s is %s: only an accepted or started order can be paused", order->order_no,
                                   s_status_name (from, status, sizeof status));
            if (!kf_enum_known (&kf__pause_reason__descriptor, request->pause_order->has_reason, request->pause_order->reason))
                return S_BAD ("a pause needs its reason (waiting_for_owner, waiting_for_parts or other)");
            paused.order_no = order->order_no;
            paused.ticket_no = order->created->ticket_no;
            paused.reason = request->pause_order->reason;
            paused.has_reason = 1;
            paused.note = (char *) note;
            event.body_case = KF__ENVELOPE__BODY_ORDER_PAUSED;
            event.order_paused = &paused;
            break;
        case KF__REQUEST__COMMAND_RESUME_ORDER:
            if (from != KF__ORDER_STATUS__ORDER_STATUS_PAUSED)
                return S_CONFLICT ("order %s is %s: only a paused order can be resumed", order->order_no,
                                   s_status_name (from, status, sizeof status));
            resumed.order_no = order->order_no;
            resumed.ticket_no = order->created->ticket_no;
            resumed.note = (char *) note;
            event.body_case = KF__ENVELOPE__BODY_ORDER_RESUMED;
            event.order_resumed = &resumed;
            break;
        case KF__REQUEST__COMMAND_COMPLETE_ORDER: {
            const Kf__CompleteOrder *c = request->complete_order;
            if (from != KF__ORDER_STATUS__ORDER_STATUS_ACCEPTED && from != KF__ORDER_STATUS__ORDER_STATUS_STARTED)
                return S_CONFLICT ("order %s is %s: only an accepted or started order can be completed%s",
                                   order->order_no, s_status_name (from, status, sizeof status),
                                   from == KF__ORDER_STATUS__ORDER_STATUS_PAUSED ? " (resume it first)" : "");
            if (c->labour_minutes > S_LABOUR_MAX)
                return S_BAD ("labour_minutes %u is more than %d", c->labour_minutes, S_LABOUR_MAX);
            if (c->n_materials > S_MATERIALS_MAX)
                return S_BAD ("at most %d materials", S_MATERIALS_MAX);
            for (size_t i = 0; i < c->n_materials; i++) {
                const Kf__Material *m = c->materials [i];
                if (kf_text_check ("name", m->name, 100, &err))
                    return S_BAD ("material %zu: %s", i + 1, err.text);
                if (m->quantity < 1 || m->unit_price_fen < 0 || m->unit_price_fen > DISPATCH_AMOUNT_MAX)
                    return S_BAD ("material %zu needs a name, a quantity of at least 1 and a price of 0 to %" PRId64 " fen",
                                  i + 1, DISPATCH_AMOUNT_MAX);
            }
            if (c->paid_service && kf_fen_check_positive (c->amount_fen, DISPATCH_AMOUNT_MAX, &err))
                return S_BAD ("a paid service: %s", err.text);
            if (!c->paid_service && c->amount_fen != 0)
                return S_BAD ("an amount is charged only for a paid service (--paid)");
            completed = (Kf__OrderCompleted *) kf_arena_message (arena, &kf__order_completed__descriptor);
            if (!completed)
                return kf_txn_fail (txn, "out of memory");
            const Kf__OrderCreated *o = order->created;
            completed->order_no = order->order_no;
            completed->ticket_no = o->ticket_no;
            completed->unit = o->unit;
            completed->department = o->department;
            completed->has_department = 1;
            completed->category = o->category;
            completed->has_category = o->has_category;
            completed->type = o->type;
            completed->has_type = o->has_type;
            completed->staff_id = order->staff_id;
            completed->labour_minutes = c->labour_minutes;
            completed->has_labour_minutes = 1;
            completed->materials = c->materials;
            completed->n_materials = c->n_materials;
            completed->paid_service = c->paid_service;
            completed->has_paid_service = 1;
            completed->amount_fen = c->paid_service ? c->amount_fen : 0;
            completed->has_amount_fen = 1;
            completed->note = (char *) note;
            completed->rectification_of = o->rectification_of;
            event.body_case = KF__ENVELOPE__BODY_ORDER_COMPLETED;
            event.order_completed = completed;
            break;
        }
        default:
            assert (false);
    }
    s_order_evolve (self, txn, order, &event, now_ms, arena);
    s_emit (self, txn, now_ms, order, &event, NULL, actor, arena);
    s_order_put (self, txn, order);
    return s_reply_order (txn, order, reply);
}

static int
s_transfer (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
            kf_arena_t *arena)
{
    const Kf__TransferOrder *t = request->transfer_order;
    Kf__Order *order = s_load (self, txn, request, t->order_no, reply, arena);
    if (!order)
        return -1;
    const char *actor = request->actor && *request->actor ? request->actor : NULL;
    if (request->role == KF__ROLE__ROLE_TECHNICIAN && (!order->staff_id || !actor || strcmp (actor, order->staff_id) != 0))
        return S_FORBIDDEN ("order %s is assigned to %s, not to %s", order->order_no,
                            order->staff_id ? order->staff_id : "nobody", actor ? actor : "you");
    char status [32], department [32];
    if (!s_open (order->status))
        return S_CONFLICT ("order %s is %s: only an open order can be transferred", order->order_no,
                           s_status_name (order->status, status, sizeof status));
    if (!kf_enum_known (&kf__department__descriptor, t->has_to_department, t->to_department))
        return S_BAD ("to_department is required (engineering, cleaning, security, greening or customer_service)");
    if (t->to_department == order->created->department)
        return S_BAD ("order %s is with %s already", order->order_no,
                      kf_enum_short_name (&kf__department__descriptor, t->to_department, department, sizeof department));
    kf_err_t err;
    if (kf_text_check ("reason", t->reason, DISPATCH_TEXT_MAX, &err))
        return S_BAD ("a transfer needs its reason: %s", err.text);
    if (s_orders_made (self, txn, order->created->ticket_no) >= S_TICKET_ORDERS_MAX)
        return S_CONFLICT ("ticket %s has had %d orders: file a new ticket", order->created->ticket_no,
                           S_TICKET_ORDERS_MAX);

    Kf__OrderCreated *spec = s_follow_up (order->created, arena);
    if (!spec)
        return kf_txn_fail (txn, "out of memory");
    spec->department = t->to_department;
    spec->rectification_of = order->created->rectification_of;   //  still the same rectification
    spec->due_at_ms = order->created->due_at_ms;
    spec->has_due_at_ms = order->created->has_due_at_ms;
    char new_order_no [S_ORDER_NO_MAX + 1];
    uint32_t n = s_next_order_no (self, txn, order->created->ticket_no, new_order_no, sizeof new_order_no);

    Kf__OrderTransferred transferred = KF__ORDER_TRANSFERRED__INIT;
    transferred.order_no = order->order_no;
    transferred.ticket_no = order->created->ticket_no;
    transferred.from_department = order->created->department;
    transferred.has_from_department = 1;
    transferred.to_department = t->to_department;
    transferred.has_to_department = 1;
    transferred.reason = t->reason;
    transferred.new_order_no = new_order_no;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_ORDER_TRANSFERRED;
    event.order_transferred = &transferred;
    s_order_evolve (self, txn, order, &event, now_ms, arena);
    s_emit (self, txn, now_ms, order, &event, NULL, actor, arena);
    s_order_put (self, txn, order);

    Kf__Order *next = s_order_create (self, txn, now_ms, order->estate, new_order_no, n, spec, NULL, actor, arena);
    if (!next || s_dispatch_new (self, txn, now_ms, next, NULL, arena))
        return -1;
    return s_reply_order (txn, next, reply);
}

static int
s_assign (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
          kf_arena_t *arena)
{
    const Kf__AssignOrder *a = request->assign_order;
    if (!s_directs (request->role))
        return S_FORBIDDEN ("only a supervisor or a manager assigns orders by hand");
    Kf__Order *order = s_load (self, txn, request, a->order_no, reply, arena);
    if (!order)
        return -1;
    char status [32], department [32];
    Kf__OrderStatus from = order->status;
    if (!s_open (from) || from == KF__ORDER_STATUS__ORDER_STATUS_PAUSED)
        return S_CONFLICT ("order %s is %s: it cannot be assigned%s", order->order_no,
                           s_status_name (from, status, sizeof status),
                           from == KF__ORDER_STATUS__ORDER_STATUS_PAUSED ? " while paused (resume it first)" : "");
    if (!a->staff_id || !*a->staff_id)
        return S_BAD ("staff_id is required");
    Kf__Staff *staff = s_staff_get (self, txn, order->estate, a->staff_id, arena);
    if (!staff)
        return kf_txn_ok (txn) ? kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena,
                                                 "no staff '%s' in estate %s", a->staff_id, order->estate) : -1;
    if (!staff->active)
        return S_CONFLICT ("%s is no longer active", staff->staff_id);
    if (staff->department != order->created->department)
        return S_CONFLICT ("%s works in %s, not %s: transfer the order first", staff->staff_id,
                           kf_enum_short_name (&kf__department__descriptor, staff->department, department, sizeof department),
                           kf_enum_short_name (&kf__department__descriptor, order->created->department, status, sizeof status));
    if (order->staff_id && s_held (order) && strcmp (order->staff_id, staff->staff_id) == 0)
        return S_CONFLICT ("order %s is with %s already", order->order_no, staff->staff_id);
    kf_err_t err;
    if (a->reason && *a->reason && kf_text_check ("reason", a->reason, DISPATCH_TEXT_MAX, &err))
        return S_BAD ("%s", err.text);
    const char *actor = request->actor && *request->actor ? request->actor : NULL;
    if (s_assign_to (self, txn, now_ms, order, staff->staff_id, staff->name, KF__ASSIGNED_BY__ASSIGNED_BY_MANUAL,
                     a->reason, NULL, actor, arena))
        return -1;
    s_order_put (self, txn, order);
    return s_reply_order (txn, order, reply);
}

static int
s_show (dispatch_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    Kf__Order *order = s_load (self, txn, request, request->show_order->order_no, reply, arena);
    return order ? s_reply_order (txn, order, reply) : -1;
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
    Kf__Order *order = s_order_get (l->self, txn, order_no, l->arena);
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
    if (estate && (!s_estate (self, estate) || !kf_request_sees (request, estate)))
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
            return S_BAD ("ticket_no '%s' is not a ticket number", q->ticket_no);
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
    if (rc == KF_PAGE_BAD_TOKEN)
        return S_BAD ("page_token is not one this service gave");
    if (rc)
        return -1;
    l.list->total = page.total;
    l.list->has_total = 1;
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
s_staff_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) key;
    s_staff_list_t *l = arg;
    kf_err_t err;
    Kf__Staff *s = (Kf__Staff *) kf_codec_unpack_in (l->arena, &kf__staff__descriptor, value.data, value.size, &err);
    if (!s)
        return kf_txn_fail (txn, "a staff record does not decode: %s", err.text);
    const s_estate_t *estate = s_estate (l->self, s->estate);
    s->on_duty = s->active && estate && kf_rota_on_duty (s->shifts, s->n_shifts, estate->estate->calendar, l->now_ms);
    s->has_on_duty = 1;
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
    if (estate && (!s_estate (self, estate) || !kf_request_sees (request, estate)))
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
    if (kf_txn_scan (txn, self->staff, estate ? &prefix : NULL, s_staff_row, &l) < 0)
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
    if (!s_directs (request->role))
        return S_FORBIDDEN ("only a supervisor or a manager changes a rota");
    const char *estate = r->estate && *r->estate ? r->estate : request->scope;
    if (!estate || !*estate)
        return S_BAD ("estate is required");
    if (!s_estate (self, estate) || !kf_request_sees (request, estate))
        return kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, "unknown estate '%s'", estate);
    kf_err_t err;
    if (kf_rota_check (r->shifts, r->n_shifts, &err))
        return S_BAD ("%s", err.text);
    Kf__Staff *staff = s_staff_get (self, txn, estate, r->staff_id, arena);
    if (!staff)
        return kf_txn_ok (txn) ? kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena,
                                                 "no staff '%s' in estate %s", r->staff_id ? r->staff_id : "", estate) : -1;
    staff->shifts = r->shifts;
    staff->n_shifts = r->n_shifts;
    if (r->has_on_call) {
        staff->on_call = r->on_call;
        staff->has_on_call = 1;
    }
    char rota [512];
    kf_notice ("rota of %s/%s set by %s: %s%s", estate, staff->staff_id, request->actor ? request->actor : "unknown",
               kf_rota_format (r->shifts, r->n_shifts, rota, sizeof rota), staff->on_call ? ", on call" : "");
    s_staff_put (self, txn, staff);
    s_staff_announce (self, txn, now_ms, staff, request->actor);
    //  Someone may be on shift now who was not: the queue need not wait.
    if (s_drain (self, txn, now_ms, estate, arena) < 0)
        return -1;
    Kf__Staff *now = s_staff_get (self, txn, estate, staff->staff_id, arena);
    if (!now)
        return -1;
    now->on_duty = now->active && kf_rota_on_duty (now->shifts, now->n_shifts, s_estate (self, estate)->estate->calendar,
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
    s_tables (self, txn);
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_LIST_ORDERS:
            return s_list (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_SHOW_ORDER:
            return s_show (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_ACCEPT_ORDER:
        case KF__REQUEST__COMMAND_START_ORDER:
        case KF__REQUEST__COMMAND_PAUSE_ORDER:
        case KF__REQUEST__COMMAND_RESUME_ORDER:
        case KF__REQUEST__COMMAND_COMPLETE_ORDER:
            return s_step (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_TRANSFER_ORDER:
            return s_transfer (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_ASSIGN_ORDER:
            return s_assign (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_LIST_STAFF:
            return s_list_staff (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_SET_ROTA:
            return s_set_rota (self, txn, now_ms, request, reply, arena);
        default:
            return S_BAD ("kefu-dispatch does not answer this command");
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
    Kf__Staff *known = s_staff_get (self, txn, news->estate, news->staff_id, self->scratch);
    if (known) {
        staff.open_orders = known->open_orders;
        staff.has_open_orders = known->has_open_orders;
        staff.last_assigned_ms = known->last_assigned_ms;
        staff.has_last_assigned_ms = known->has_last_assigned_ms;
        staff.config_digest = known->config_digest;
        staff.has_config_digest = known->has_config_digest;
    }
    return s_staff_put (self, txn, &staff);
}

int
dispatch_recover (dispatch_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    assert (self && txn && event);
    s_tables (self, txn);
    kf_arena_reset (self->scratch);
    if (event->body_case == KF__ENVELOPE__BODY_STAFF_CHANGED)
        return s_recover_staff (self, txn, event->staff_changed->staff);
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
        order = s_order_make (self, txn, at, event->estate, (uint32_t) n, spec, self->scratch);
    }
    else {
        order = s_order_get (self, txn, order_no, self->scratch);
        if (!order) {
            if (kf_txn_ok (txn))
                kf_warning ("%s %llu: order %s is neither in the backup nor taken back before it", event->stream,
                            (unsigned long long) event->seq, order_no);
            return kf_txn_ok (txn) ? 0 : -1;
        }
        s_order_evolve (self, txn, order, event, at, self->scratch);
    }
    if (!order)
        return -1;
    char kind [64], summary [512];
    kf_codec_event_kind (&event->base, kind, sizeof kind);
    kf_summary (body, "order_no", summary, sizeof summary);
    if (s_history_add (order, self->scratch, at, kind, summary, event->actor))
        return kf_txn_fail (txn, "out of memory");
    s_order_put (self, txn, order);
    //  What dispatch does with a consumed event is all in the orders it
    //  made or moved: the cause needs no second application.
    return kf_txn_ok (txn) ? 1 : -1;
}
