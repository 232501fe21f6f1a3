/*  kf_scope — the estate guard (DESIGN.md §7): what a caller bound to an
    estate may see. A scope is an estate's id, or empty for the whole group.
    Every service judges requests with it (kf_request_sees), the gateway
    judges its routes, its live events and its /metrics series with it,
    and a daemon's bus status is cut down to a scope here, so that the rule
    is written once.
*/
#ifndef KF_SCOPE_H_INCLUDED
#define KF_SCOPE_H_INCLUDED

#include <stdbool.h>
#include "bus.pb-c.h"

//  Whether a caller of `scope` (NULL or empty: the group) may see `estate`.
//  A scoped caller sees nothing of an unnamed (NULL) estate.
bool kf_scope_sees (const char *scope, const char *estate);

//  Whether the group as a whole is the caller's (an empty scope): what
//  spans estates (a store's copy, a daemon's totals) is the group's alone.
bool kf_scope_is_group (const char *scope);

//  The estate of a stream's name ("dispatch@c1/E001" -> "E001"), or NULL
//  for a name with none.
const char *kf_scope_stream_estate (const char *stream);

//  Whether a caller of `scope` may see a stream: its estate in scope.
bool kf_scope_sees_stream (const char *scope, const char *stream);

//  Cut a daemon's bus status down to what a caller of `scope` may see:
//  the heads, cursors, alarms and producers (with their heads) of its
//  estate's streams, and none of the daemon's totals, which count every
//  estate's events (they are left unset). A group scope changes nothing.
//  The status must come from kf_codec's allocator (kf_bus_status, or
//  unpacked).
void kf_scope_bus_status (Kf__BusStatus *status, const char *scope);

#endif
