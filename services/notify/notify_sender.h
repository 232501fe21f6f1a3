/*  notify_sender — the calls to the providers, in a thread of their own
    (a zactor), so that a slow SMTP server never holds up the daemon's
    loop, its commands or its events.

    The loop hands it claimed deliveries (each already SENDING in the
    store) and reads back one outcome per delivery:
        [id] [probed "0"|"1"] [outcome, decimal notify_outcome_t] [reason] [reference]
    The sender keeps nothing durable: what it was doing when the process
    died is what the store's SENDING rows say. It is handed one or two
    deliveries at a time, so that a kill -9 leaves no more than that in
    doubt; a stop (notify_sender_stop) answers what it had not begun.
*/
#ifndef NOTIFY_SENDER_H_INCLUDED
#define NOTIFY_SENDER_H_INCLUDED

#include <czmq.h>
#include "notify_channel.h"

typedef struct _notify_sender_t notify_sender_t;

//  `channels` must outlive the sender.
notify_sender_t *notify_sender_new (const notify_channels_t *channels);
void notify_sender_destroy (notify_sender_t **self_p);

//  The daemon is stopping: the call under way is finished, every delivery
//  handed over and not yet begun is answered at once as not attempted
//  (NOTIFY_UNTRIED). The outcomes are still read as before, until none is owed.
void notify_sender_stop (notify_sender_t *self);

//  Where the outcomes arrive (a zloop reader).
zsock_t *notify_sender_sock (notify_sender_t *self);

//  Hand over one claimed delivery ([id][packed Delivery]); takes the
//  message. 0, or -1 when it could not be given (then no answer is owed).
int notify_sender_send (notify_sender_t *self, zmsg_t **claimed_p);

//  Read one outcome; 0, or -1 when the message is not one.
int notify_sender_recv (notify_sender_t *self, char *id, size_t id_size, bool *probed, notify_result_t *result);

#endif
