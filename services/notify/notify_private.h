/*  notify_private — what kefu-notify's files share (not for other programs).

    The files, one concern each:
      notify.c            set-up: each estate's rules and templates; the
                          requests' dispatch
      notify_people.c     who an event concerns: the staff (dispatch's
                          staff.changed), a unit's people (the registry's
                          household.registered), a case's reporter and
                          handler (ticket.filed, order.assigned); and the
                          channel each of them is reached through
      notify_deliveries.c a delivery's life: made from an event, held by
                          quiet hours and the rate limit, claimed, answered,
                          retried, given up, found in flight at a start
      notify_commands.c   the log, retry, dismiss, test and send_code commands
      notify_http.c       the channels' settings, and what an HTTP call's
                          failure means
      notify_webhook.c    the signed webhook and its probe
      notify_email.c      the email as SMTP carries it
      notify_sms.c        Tencent Cloud SMS
      notify_wechat.c     WeChat template messages
      notify_sender.c     the calls themselves (libcurl), in a thread of
                          their own
      main.c              the wiring: the sender, the pump, the start

    Tables (keys):
      staff       estate|staff_id          Staff, as dispatch announced it
      households  estate|unit              HouseholdFile, as the registry announced it
      cases       estate|ticket_no         NotifyCase: its reporter, its handler
      deliveries  id                       Delivery
      queue       next_at|id               kf_timers: each pending delivery's time
      by_estate   estate|created_at|id     ""    the log, newest last
      alarms      estate|id                ""    failed and uncertain, until retried or dismissed
      rates       estate|channel|address#  the clock hour and the messages sent in it (two
                                           big-endian u64); address# 16 hex digits of its SHA-256
      in_flight   id                       ""    SENDING: handed to a provider, its answer not recorded
*/
#ifndef NOTIFY_PRIVATE_H_INCLUDED
#define NOTIFY_PRIVATE_H_INCLUDED

#include "notify.h"
#include "kf_commands.h"
#include "kf_domain.h"
#include "kf_field.h"
#include "kf_page.h"
#include "kf_template.h"
#include "kf_time.h"
#include "kf_timers.h"
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTIFY_TEXT_MAX      2000    //  bytes of a rendered message
#define NOTIFY_PARAMS_MAX    8       //  a provider template's parameters
#define NOTIFY_LANGUAGES     2       //  zh, en

typedef enum { NOTIFY_ZH = 0, NOTIFY_EN = 1 } notify_language_t;

//  Who a kind of event is for.
typedef enum {
    NOTIFY_TO_STAFF = 1,     //  work: never held by quiet hours
    NOTIFY_TO_RESIDENTS      //  notices: held by quiet hours unless urgent
} notify_audience_t;

//  One kind's messages in one estate, as loaded.
typedef struct {
    bool off;
    kf_template_t *text [NOTIFY_LANGUAGES];
    kf_template_t *subject [NOTIFY_LANGUAGES];
    const char *sms_template;                       //  the provider's id; NULL: no SMS
    kf_template_t *sms_params [NOTIFY_PARAMS_MAX];
    size_t sms_param_count;
    const char *wechat_template;
    kf_template_t *wechat_params [NOTIFY_PARAMS_MAX];
    size_t wechat_param_count;
} notify_messages_t;

//  A kind kefu-notify tells people of: its envelope body and audience, and
//  the built-in texts a configuration may replace.
typedef struct {
    const char *kind;                  //  "order.assigned"
    Kf__Envelope__BodyCase body;
    notify_audience_t audience;
    bool urgent;                       //  always urgent (escalations)
    const char *zh, *en, *subject_zh, *subject_en;
} notify_kind_t;

extern const notify_kind_t notify_kinds [];
extern const size_t notify_kind_count;

//  The kind of that name ("order.assigned"); NULL for none ("test").
const notify_kind_t *notify_kind_named (const char *name);

//  An estate's rules (the estate's value, else the group's).
typedef struct {
    const kf_estate_t *estate;
    notify_language_t language;
    int quiet_from_min, quiet_to_min;  //  local minutes of the day; equal: no quiet hours
    int64_t rate_per_hour;
    notify_messages_t *messages;       //  notify_kind_count of them
    bool shared;                       //  the group's messages (notify_t.group), not its own
} notify_estate_t;

struct _notify_t {
    kf_domain_t base;
    notify_estate_t *estates;
    notify_messages_t *group;          //  shared by every estate with no templates of its own
    notify_channels_t channels;
    bool staff_webhook, staff_email;   //  notify/staff_channels
    int64_t retry_first_ms, retry_for_ms;
    kf_table_t staff, households, cases, deliveries, queue, by_estate, alarms, rates, in_flight;
};

void notify_tables (notify_t *self, kf_txn_t *txn);
const notify_estate_t *notify_estate (const notify_t *self, const char *id);
notify_language_t notify_language_of (const notify_estate_t *estate, const char *language);

//  ---- people (notify_people.c) --------------------------------------------------------

//  What the people's and cases' events tell; 0 when the event is not one
//  of them, 1 when it was applied, -1 when the transaction failed.
int notify_people_follow (notify_t *self, kf_txn_t *txn, const Kf__Envelope *event);

//  Whether the phone is an owner's or a tenant's of the unit, as the
//  registry last announced its household.
bool notify_people_holds (notify_t *self, kf_txn_t *txn, const char *estate, const char *unit, const char *phone);

//  The deliveries an event makes: each person it concerns, through each
//  channel they are reached by. 0, or -1.
int notify_people_tell (notify_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event,
                        const notify_kind_t *kind, const ProtobufCMessage *body);

//  ---- deliveries (notify_deliveries.c) -------------------------------------------------

//  The delivery id of (event, recipient, channel).
void notify_delivery_id (const char *event_id, const Kf__Recipient *recipient, Kf__NotifyChannel channel,
                         char id [NOTIFY_ID_SIZE]);

//  Make (once: a replayed event finds its key and does nothing) the
//  delivery of one message to one person through one channel, rendered
//  from the body, pending at its time. 0, or -1.
int notify_deliver (notify_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event,
                    const notify_kind_t *kind, const ProtobufCMessage *body, const Kf__Recipient *recipient,
                    Kf__NotifyChannel channel, bool urgent, const char *ticket_no);

//  The record (notify_deliveries.c), for the commands: a delivery by id
//  (NULL: none, or the transaction failed); stored; its alarm raised or
//  ended; pending again at at_ms (or the end of its estate's quiet hours,
//  for a resident's notice); a new one stored with its log and queue rows.
Kf__Delivery *notify_delivery_get (notify_t *self, kf_txn_t *txn, const char *id, kf_arena_t *arena);
int notify_delivery_put (notify_t *self, kf_txn_t *txn, const Kf__Delivery *d);
int notify_delivery_alarm (notify_t *self, kf_txn_t *txn, const Kf__Delivery *d, bool raise);
int notify_delivery_pend (notify_t *self, kf_txn_t *txn, Kf__Delivery *d, int64_t at_ms);
int notify_delivery_record_new (notify_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Delivery *d);
//  A sign-in code's text as the log shows it: that it went, not the code.
void notify_delivery_hide_code (Kf__Delivery *d);
//  A copy of text from outside fit to be stored: one line of whole UTF-8.
char *notify_text_clean (kf_arena_t *arena, const char *text);

//  ---- commands (notify_commands.c) -----------------------------------------------------

int notify_list (notify_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena);
int notify_resolve (notify_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, bool retry,
                    Kf__Reply *reply, kf_arena_t *arena);
int notify_test (notify_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                 kf_arena_t *arena);
//  The gateway's: a one-time sign-in code to a person's phone (SendCode).
int notify_send_code (notify_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                      kf_arena_t *arena);
#define NOTIFY_CODE_KIND "sign_in.code"

#endif
