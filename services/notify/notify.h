/*  notify — kefu-notify's domain (DESIGN.md §11, issue 24): the events that
    concern a person become deliveries, each keyed by (event, recipient,
    channel), kept in the store with its attempts until the provider has
    taken it, or it is given up with an alarm.

    Plain functions over a store transaction, as the other services':
    - an event in (notify_apply_event): the people it concerns, as this
      daemon keeps them from staff.changed, household.registered and the
      cases' own events, get a message each in the template of the kind,
      their language and the channel; each delivery is pending, at once or
      after the estate's quiet hours;
    - the sender's turn (notify_claim): the pending deliveries now due are
      marked SENDING and committed *before* any provider is called;
    - the provider's answer (notify_record): SENT, a retry with backoff,
      or FAILED (an alarm, notification.failed);
    - a start (notify_recover_in_flight): what was SENDING when the daemon
      stopped is never simply sent again — a webhook asks its gateway
      first; the other channels are UNCERTAIN, an alarm an operator ends
      with kefuctl notify retry or dismiss.
    No sockets here: notify_sender.c makes the calls in its own thread.
*/
#ifndef NOTIFY_H_INCLUDED
#define NOTIFY_H_INCLUDED

#include <czmq.h>
#include "kf_codec.h"
#include "kf_config.h"
#include "kf_outbox.h"
#include "commands.pb-c.h"
#include "envelope.pb-c.h"
#include "notify_channel.h"

#define NOTIFY_OWN_TABLES "staff", "households", "cases", "deliveries", "queue", "by_estate", "alarms", "rates", "in_flight"
#define NOTIFY_TABLES KF_BUS_TABLES, NOTIFY_OWN_TABLES

#define NOTIFY_ID_SIZE      17      //  a delivery's id: 16 hex digits and the NUL
#define NOTIFY_PAGE_DEFAULT 50
#define NOTIFY_PAGE_MAX     500

typedef struct _notify_t notify_t;

//  The rules, templates and channels from the configuration; NULL with a
//  one-line reason naming the key (a template naming a field its event
//  does not have, a webhook secret too short, quiet hours that do not read).
notify_t *notify_new (kf_config_t *config, kf_err_t *err);
void notify_destroy (notify_t **self_p);
void notify_set_outbox (notify_t *self, kf_outbox_t *outbox);
const notify_channels_t *notify_channels (const notify_t *self);

int notify_handle_request (notify_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                           Kf__Reply *reply, kf_arena_t *arena);

//  The people (staff.changed, household.registered), the cases
//  (ticket.filed, order.assigned) and the deliveries each event makes.
int notify_apply_event (notify_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event);

//  At most `max` pending deliveries due by now_ms, each marked SENDING with
//  its attempt counted, copied into *claimed (two frames each, for the
//  sender: its id, then the packed Delivery). Held ones (the rate limit) move to
//  their next time. Returns how many were claimed, or -1.
int notify_claim (notify_t *self, kf_txn_t *txn, int64_t now_ms, size_t max, zmsg_t *claimed);

//  The outcome of one claimed delivery (its id), as the sender reports it.
int notify_record (notify_t *self, kf_txn_t *txn, int64_t now_ms, const char *id, bool probed,
                   const notify_result_t *result);

//  At start: every delivery still SENDING was in flight when the daemon
//  stopped. Returns how many, or -1.
int notify_recover_in_flight (notify_t *self, kf_txn_t *txn, int64_t now_ms);

//  When the next pending delivery is due (INT64_MAX: none); for the pump.
int64_t notify_next_due (notify_t *self, kf_txn_t *txn);

#endif
