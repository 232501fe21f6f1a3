/*  kf_config_private — what kf_config's two files share (not for other
    modules): the schema, as a table of keys, and the checks of a value.

      kf_config.c         the loader: read, check, build, look up
      kf_config_schema.c  the schema and the checks of each type's values
*/
#ifndef KF_CONFIG_PRIVATE_H_INCLUDED
#define KF_CONFIG_PRIVATE_H_INCLUDED

#include "kf_config.h"
#include "kf_calendar.h"

typedef enum {
    T_SECTION,     //  holds keys, no value
    T_STRING,      //  UTF-8 text for people, at most 200 bytes
    T_ID,          //  kf_config_valid_id
    T_PRODUCER,    //  <service>@<cluster>, e.g. intake@c1
    T_ENDPOINT,    //  ipc://, tcp:// or inproc:// (no @ or >: kefu adds them)
    T_LISTEN,      //  host:port for HTTP
    T_PATH,        //  a file or directory
    T_INT,         //  decimal integer within [min, max]
    T_DURATION,    //  kf_duration_parse, within [min, max] ms
    T_BOOL,        //  true | false
    T_HOURS,       //  opening hours, kf_calendar_set_hours
    T_DATES,       //  YYYY-MM-DD and YYYY-MM-DD..YYYY-MM-DD, comma-separated
    T_OFFSET,      //  UTC offset, +08:00
    T_LEVEL,       //  log level
    T_TERMS,       //  kf_config_terms: "category:gas, hazard:person_trapped"
    T_DEPARTMENT,  //  a kf.Department short name: engineering
    T_ROLE,        //  a kf.Role short name: technician
    T_CATEGORIES,  //  kf.Category short names, comma-separated, or any
    T_SHIFTS,      //  kf_rota_parse: "mon-fri 08:30-17:30, hol 09:00-17:00"
    T_LIMIT,       //  kf_sla_limit_parse: none, same_day, 3wd, 72h
    T_CLOCK,       //  24x7 | working
    T_PAUSES,      //  kf.PauseReason short names, comma-separated, or none
    T_MINUTE,      //  a local time of day, 16:00
    T_DAYS         //  day counts, rising, comma-separated: 7, 15, 30
} kf_config_type_t;

typedef struct {
    const char *path;       //  '*' stands for any identifier
    kf_config_type_t type;
    const char *fallback;   //  default, or NULL when there is none
    bool required;
    int64_t min, max;       //  T_INT and T_DURATION (ms)
    const char *help;
} kf_config_key_t;

//  Every key, in the schema's order.
extern const kf_config_key_t kf_config_schema [];
extern const size_t kf_config_schema_size;
//  Each type's name, for "expected ..." messages.
extern const char *const kf_config_type_names [];

//  The key a concrete path is an instance of, or NULL.
const kf_config_key_t *kf_config_key_find (const char *path);

//  The keys allowed under a section, for "expected one of ..." messages.
void kf_config_keys_under (const char *section_path, char *out, size_t size);

//  A value checked against its key's type and limits: 0, or -1 with why.
int kf_config_check_value (const kf_config_key_t *key, const char *value, kf_err_t *err);

//  A list of dates (YYYY-MM-DD, or ranges) into a calendar's holidays or
//  make-up days: 0, or -1 with why.
int kf_config_parse_dates (const char *text, kf_calendar_t *calendar, bool holidays, kf_err_t *err);

#endif
