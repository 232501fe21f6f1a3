/*  kf_schema — lookups over the generated table of message types.  */
#include "kf_schema.h"

#include <string.h>

const ProtobufCMessageDescriptor *
kf_schema_find (const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < kf_schema_message_count; i++) {
        const ProtobufCMessageDescriptor *d = kf_schema_messages [i];
        if (strcmp (d->name, name) == 0 || strcmp (d->short_name, name) == 0)
            return d;
    }
    return NULL;
}
