/*  kf_config — the cluster's configuration (deploy/kefu.conf).

    ZPL, read with CZMQ's zconfig, then checked against one schema that
    lists every key kefu knows with its type, default and meaning: an unknown
    key, a duplicate, a bad value or a missing required key is an error that
    names the key and says what was expected. Nothing half-loaded is ever
    returned. The cluster, calendars and estates are parsed into C here;
    services read their own keys with the typed getters.

    Paths are "section/child/key", e.g. "services/intake/endpoint" or
    "estates/E001/name".
*/
#ifndef KF_CONFIG_H_INCLUDED
#define KF_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "kf_calendar.h"
#include "kf_log.h"
#include <protobuf-c/protobuf-c.h>

#define KF_ID_MAX 32     //  estate ids, calendar names, cluster names

typedef struct _kf_config_t kf_config_t;

typedef struct {
    char id [KF_ID_MAX + 1];      //  e.g. "E001": letters, digits, '-' and '_'
    const char *name;             //  for people
    int utc_offset_min;
    const char *calendar_name;
    const kf_calendar_t *calendar;   //  with this estate's offset
    const char *intake;           //  the intake instance that owns it, e.g. "intake@c1"
} kf_estate_t;

kf_config_t *kf_config_load (const char *path, kf_err_t *err);
//  The same from text (tests, tools); `origin` names it in errors.
kf_config_t *kf_config_load_text (const char *text, const char *origin, kf_err_t *err);
void kf_config_destroy (kf_config_t **self_p);

//  Where the configuration is when no --config says: $KEFU_CONFIG, else
//  var/kefu.conf (what `make run` writes) when it exists, else
//  deploy/kefu.conf.
const char *kf_config_default_path (void);

size_t kf_config_estate_count (const kf_config_t *self);
const kf_estate_t *kf_config_estate (const kf_config_t *self, size_t index);
const kf_estate_t *kf_config_estate_find (const kf_config_t *self, const char *id);
//  Its index (as kf_config_estate takes it), or -1. A service that keeps
//  a record per estate in the configuration's order finds its own by it.
int kf_config_estate_index (const kf_config_t *self, const char *id);

//  Values by path: the configured value or the schema's default. Asking for
//  a path the schema does not have is a bug (assert).
const char *kf_config_str (const kf_config_t *self, const char *path);

//  The path of a rule an estate may set for itself: "estates/<id>/<key>"
//  when the configuration sets it there, else the group's "<key>". The one
//  place "the estate's value, else the group's" is decided; returns `path`.
const char *kf_config_rule (const kf_config_t *config, const char *estate, const char *key, char *path, size_t size);

//  Where a daemon writes its backups: cluster/backup_dir, else
//  data_dir/backups. Returns `path`.
const char *kf_config_backup_dir (const kf_config_t *self, char *path, size_t size);

//  The daemons with a services/<name> section of endpoints (not the
//  gateway): "intake", "dispatch", ..., "archive", KF_SERVICE_COUNT of
//  them, NULL-terminated.
#define KF_SERVICE_COUNT 9
const char *const *kf_config_services (void);
int64_t kf_config_int (const kf_config_t *self, const char *path);
int64_t kf_config_duration_ms (const kf_config_t *self, const char *path);
bool kf_config_bool (const kf_config_t *self, const char *path);

//  A department or role key's enum value.
int kf_config_enum (const kf_config_t *self, const char *path);

//  Each name under a section, in file order ("estates/E001/staff" -> "T01",
//  "T02"): fn returns 0 to go on, 1 to stop, -1 to fail (returned).
typedef int (kf_name_fn) (const char *name, void *arg);
int kf_config_each (const kf_config_t *self, const char *path, kf_name_fn *fn, void *arg);

//  Short enum names separated by commas ("water_leak, plumbing") into
//  values; "any" is none. Returns how many, or -1 with the reason.
int kf_config_enum_list (const char *value, const ProtobufCEnumDescriptor *descriptor, int *values, size_t max,
                         kf_err_t *err);

//  Whether the file sets this path (rather than the default applying).
bool kf_config_has (const kf_config_t *self, const char *path);

//  Print every key of the schema with its type, default and meaning.
void kf_config_print_schema (FILE *out);

//  Rule terms, as priority rules use them: "type:complaint, hazard:gas_smell",
//  or "none". Checks every term (the field is type, channel, category or
//  hazard; the value one of its enum's names, in any case, without the
//  prefix) and calls fn (field, enum value, arg) for each when fn is not
//  NULL; fn returns 0, or -1 to stop with an error.
typedef int (kf_term_fn) (const char *field, int value, void *arg);
int kf_config_terms (const char *value, kf_term_fn *fn, void *arg, kf_err_t *err);

//  An identifier as estates, calendars and clusters use: 1..KF_ID_MAX of
//  letters, digits, '-' and '_'.
bool kf_config_valid_id (const char *text);

//  The estate a ticket number belongs to: what comes before its
//  "-<yyyymmdd>-<nnnn>" (estate ids may hold '-' themselves). False when
//  ticket_no has not that shape or the estate does not fit in `size`.
bool kf_ticket_no_estate (const char *ticket_no, char *estate, size_t size);

#endif
