/*  kf_filing — a valid FileTicket for tests and benchmarks: a dripping tap
    in 3-2-1502, reported by phone. Callers change what they test.  */
#ifndef KF_FILING_H_INCLUDED
#define KF_FILING_H_INCLUDED

#include "ticket.pb-c.h"

static inline Kf__FileTicket
kf_filing (const char *estate, const char *idempotency_key, const char *description)
{
    Kf__FileTicket f = KF__FILE_TICKET__INIT;
    f.estate = (char *) estate;
    f.unit = "3-2-1502";
    f.reporter_name = "张三";
    f.reporter_phone = "13800000000";
    f.type = KF__TICKET_TYPE__TICKET_TYPE_REPAIR;
    f.has_type = 1;
    f.channel = KF__CHANNEL__CHANNEL_PHONE;
    f.has_channel = 1;
    f.category = KF__CATEGORY__CATEGORY_PLUMBING;
    f.has_category = 1;
    f.description = (char *) description;
    f.idempotency_key = (char *) idempotency_key;
    return f;
}

#endif
