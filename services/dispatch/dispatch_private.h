/*  dispatch_private — what dispatch's files share (not for other
    programs): the service's state, an estate's routing, and the helpers
    and handlers each part uses.

    The files, one concern each:
      dispatch.c          set-up, consumed events, lists and the requests'
                          dispatch, recovery after a restore
      dispatch_routing.c  routing: which department a case goes to
      dispatch_staff.c    staff and rotas, from the configuration and kefuctl
      dispatch_orders.c   orders: their records, a ticket's orders, and the
                          commands that move an order through its life
      dispatch_assign.c   assignment to someone on shift, and the queue
      dispatch_accounts.c staff accounts: kefuctl users, the gateway's sign-in
*/
#ifndef DISPATCH_PRIVATE_H_INCLUDED
#define DISPATCH_PRIVATE_H_INCLUDED

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

//  The configuration's names of the departments, by Kf__Department.
#define S_DEPARTMENTS 6
extern const char *const dispatch_department_keys [S_DEPARTMENTS];

typedef struct {
    const kf_estate_t *estate;
    Kf__Department by_hazard [S_HAZARDS];
    Kf__Department by_type [S_TYPES];
    Kf__Department by_category [S_CATEGORIES];
} dispatch_estate_t;

struct _dispatch_t {
    kf_domain_t base;               //  config, outbox, scratch arena, estates, tables
    dispatch_estate_t *estates;        //  base.estates, typed
    int64_t rectification_due_ms;
    kf_table_t orders, by_ticket, by_estate, by_created, queue, staff, counters, accounts;
};

typedef struct {
    char (*order_nos) [S_ORDER_NO_MAX + 1];
    size_t count, size;
} s_ticket_orders_t;



int dispatch_build_routing (dispatch_estate_t *estate, kf_config_t *config, kf_err_t *err);

const dispatch_estate_t *dispatch_estate (dispatch_t *self, const char *id);

void dispatch_tables (dispatch_t *self, kf_txn_t *txn);

Kf__Staff *dispatch_staff_get (dispatch_t *self, kf_txn_t *txn, const char *estate, const char *staff_id,
                               kf_arena_t *arena);

int dispatch_staff_put (dispatch_t *self, kf_txn_t *txn, const Kf__Staff *staff);

//  A person's record changed (the file, a retirement, kefuctl staff rota):
//  staff.changed, so that escalation reaches who is on shift as dispatch
//  sees it. The load is dispatch's alone and is left out.
int dispatch_staff_announce (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Staff *staff,
                             const char *actor);

//  One person's load moves by delta; an assignment also stamps the time
//  (fairness among equal loads).
int dispatch_load_change (dispatch_t *self, kf_txn_t *txn, const char *estate, const char *staff_id, int delta,
                          int64_t now_ms,
                      kf_arena_t *arena);

//  The account of a person of the configuration's staff: made when it is
//  new (without a password), its name and role kept as the file says,
//  disabled when the person leaves.
int dispatch_account_of_staff (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Staff *staff);

//  add_user, set_user, list_users, show_user, begin_sign_in, end_sign_in.
int dispatch_accounts_request (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                               Kf__Reply *reply, kf_arena_t *arena);

bool dispatch_open (Kf__OrderStatus status);

//  Assigned, accepted, started or paused: a person carries it.
bool dispatch_held (const Kf__Order *order);

Kf__Order *dispatch_order_get (dispatch_t *self, kf_txn_t *txn, const char *order_no, kf_arena_t *arena);

int dispatch_order_put (dispatch_t *self, kf_txn_t *txn, const Kf__Order *order);

void dispatch_queue_key (kf_key_t *key, const Kf__Order *order);

void dispatch_set_status (Kf__Order *order, Kf__OrderStatus status, int64_t now_ms);

//  A line of the order's own history (the ticket's timeline is intake's).
int dispatch_history_add (Kf__Order *order, kf_arena_t *arena, int64_t at_ms, const char *kind, const char *summary,
                      const char *actor);

//  Publish an event about an order, and write it in the order's history.
int dispatch_emit (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Order *order, Kf__Envelope *event,
               const char *causation_id, const char *actor, kf_arena_t *arena);

//  How many orders a ticket has had.
uint64_t dispatch_orders_made (dispatch_t *self, kf_txn_t *txn, const char *ticket_no);

//  The next order number of a ticket: <ticket_no>-W<n>.
uint32_t dispatch_next_order_no (dispatch_t *self, kf_txn_t *txn, const char *ticket_no, char *order_no, size_t size);

//  The order `spec` describes (its order_no set), made and indexed: for a
//  new order, and for an order.created of ours taken back from the archive.
Kf__Order *dispatch_order_make (dispatch_t *self, kf_txn_t *txn, int64_t at_ms, const char *estate, uint32_t n,
                                Kf__OrderCreated *spec,
                     kf_arena_t *arena);

//  A new order from `spec` (the OrderCreated to publish; its order_no is
//  set here), stored, indexed and announced. The caller assigns it.
Kf__Order *dispatch_order_create (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const char *estate,
                                  const char *order_no, uint32_t n,
                       Kf__OrderCreated *spec, const char *causation_id, const char *actor, kf_arena_t *arena);

int dispatch_collect_order_no (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg);

//  A ticket's orders, oldest first (at most `size`).
size_t dispatch_ticket_orders (dispatch_t *self, kf_txn_t *txn, const char *ticket_no,
                               char (*order_nos) [S_ORDER_NO_MAX + 1],
                        size_t size);

//  Close every open order of a ticket (ticket closed or cancelled).
int dispatch_cancel_ticket_orders (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event,
                               const char *ticket_no, const char *reason);

//  A copy of an order's creation, for a follow-up order of the same case.
Kf__OrderCreated *dispatch_follow_up (const Kf__OrderCreated *from, kf_arena_t *arena);

bool dispatch_directs (Kf__Role role);

//  Accept, start, pause, resume, complete: the assignee's own moves (a
//  technician may move only their own orders; others act for them).
int dispatch_step (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
               kf_arena_t *arena);

int dispatch_transfer (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                   kf_arena_t *arena);

int dispatch_assign (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                 kf_arena_t *arena);

int dispatch_show (dispatch_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena);

//  Name the person: loads move, a queued order leaves its queue.
int dispatch_assign_to (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Order *order, const char *staff_id,
                    const char *staff_name, Kf__AssignedBy by, const char *reason, const char *causation_id,
                    const char *actor, kf_arena_t *arena);

//  Assign by the rules. Returns 1 when someone took it, 0 when nobody is
//  available (the order is unchanged), -1 when the transaction failed.
int dispatch_assign_auto (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Order *order, Kf__AssignedBy by,
                      const char *reason, const char *exclude, const char *causation_id, kf_arena_t *arena);

//  A new order goes to someone, or to the queue.
int dispatch_send_new (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Order *order, const char *causation_id,
                   kf_arena_t *arena);

//  What one of dispatch's own order events does to its order, its people's
//  loads and the queue: the one place an order's state moves, for a
//  request, a consumed event and an event taken back from the archive after
//  a restore alike. The caller builds the event from the order as it was.
void dispatch_order_evolve (dispatch_t *self, kf_txn_t *txn, Kf__Order *order, const Kf__Envelope *event, int64_t at_ms,
                       kf_arena_t *arena);

int dispatch_drain (dispatch_t *self, kf_txn_t *txn, int64_t now_ms, const char *estate, kf_arena_t *arena);

#endif
